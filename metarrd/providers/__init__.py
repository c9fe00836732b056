"""Thin adapters over the shared HTTP client, one module per metadata provider."""
