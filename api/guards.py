"""Limits on what one request may ask for, checked before anything runs.

Depth stops cyclic drill-downs (region -> children -> parent -> ...), aliases stop one query
asking for the same expensive field hundreds of times, tokens bound the parser's work. Page
sizes are capped in :mod:`api.pagination`. Each refusal is a GRAPHQL_VALIDATION_FAILED error
saying which limit was hit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

# The deepest legitimate query (a region's children's children's coverage through
# connections, or a cooperative page with villages and their ancestors) is about 9 levels.
MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 4000


def guard_extensions() -> list[Callable[[], SchemaExtension]]:
    """Factories (Strawberry makes one extension per operation from each)."""
    return [
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
        partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
    ]
