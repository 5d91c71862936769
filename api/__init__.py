"""The GraphQL API: translates GraphQL into calls of services in ``shared``."""
