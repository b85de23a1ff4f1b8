"""Shared pieces: regions, money and locale helpers, security headers, preferences, errors."""
