"""Linli (邻里): the bot application."""

__version__ = "0.1.0"
