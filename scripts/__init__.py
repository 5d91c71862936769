"""Scripts that generate committed data sets."""
