"""API openapi (being built)."""
