"""Palimpsest: rebuild the history of privacy policies from Wayback archives."""

__version__ = "0.1.0"
