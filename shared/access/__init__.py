"""Access control: API keys (issue, check, revoke), rate limiting, and audit log queries.

Services here take a Session and never commit; the CLI and the API own the transaction.
"""
