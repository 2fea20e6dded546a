"""Domain values: frozen pydantic models that services, storage and views share.

They hold no SQL and no Telegram types; storage builds them from rows, services and
views take and return them.
"""
