"""Cooperatives and proposals, written one at a time (the registry import writes them in bulk)."""
