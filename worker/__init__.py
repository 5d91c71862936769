"""The Dramatiq worker: turns messages into calls of services in ``shared``."""
