"""Inkseal: electronic seal and certificate platform."""

__version__ = "0.1.0"
