"""Inkseal: electronic seal and certificate platform."""
