"""The official list of villages: readers, validation, editions and their diffs."""
