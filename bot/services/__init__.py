"""Domain services: the rules of Linli, free of Telegram types."""
