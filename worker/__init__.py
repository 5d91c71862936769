"""The Dramatiq worker: turns messages into job runs of flows in ``shared``."""
