"""The official list of villages: its readers, validation, editions, their diffs and import."""
