"""What the API and the worker share: configuration, models, services, the broker."""
