"""Cooperatives, written one at a time (the registry import writes them in bulk), read with
filters, and assessed for financing."""
