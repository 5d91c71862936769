"""Regions of the official list as the read side answers them (the list's imports are in
``shared.villages``)."""
