"""What every import shares: problems and their report, input files, the tabular reader."""
