"""Access control: API keys (issue, check, revoke) and rate limiting.

Services here take a Session and never commit; the CLI and the API own the transaction.
"""
