"""Benchmarks: scripts that print figures and ratios (run by hand, not in tests)."""
