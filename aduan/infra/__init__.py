"""Adapters to the outside world: configuration, MongoDB, RabbitMQ, S3, metrics, logs, keys."""
