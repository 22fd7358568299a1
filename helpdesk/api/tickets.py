"""API tickets (being built)."""
