"""Coverage: how many villages have a cooperative, per region, computed set-based in SQL."""
