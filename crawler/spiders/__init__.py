"""Palimpsest spiders."""
