"""Data-quality findings: what the registry holds that a tracking system must show, not
absorb (``shared.findings.service``)."""
