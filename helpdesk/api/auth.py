"""API auth (being built)."""
