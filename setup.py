"""For scrapyd-deploy, which builds eggs with `setup.py bdist_egg`; metadata is in pyproject.toml."""

from setuptools import setup

setup()
