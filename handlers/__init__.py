"""Telegram handlers: thin adapters from updates to services, one module per feature."""
