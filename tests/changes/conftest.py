"""The change feed's and the exports' tests use the API tests' Kaltim data and keys."""

from __future__ import annotations

from tests.api.conftest import _fresh_coverage_cache, coops, kaltim, keys

__all__ = ["_fresh_coverage_cache", "coops", "kaltim", "keys"]
