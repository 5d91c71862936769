"""Limits on what one request may ask for, checked before anything runs.

Depth stops cyclic drill-downs (region -> children -> parent -> ...), aliases stop one query
asking for the same expensive field hundreds of times, tokens bound the parser's work. Page
sizes are capped in :mod:`api.pagination`. Each refusal is a GRAPHQL_VALIDATION_FAILED error
saying which limit was hit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from graphql.validation import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

# The deepest legitimate query (a region's children's children's coverage through
# connections, or a cooperative page with villages and their ancestors) is about 9 levels.
MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 4000


# Distinct query texts whose parse and validation are kept: dashboards send the same few
# queries over and over, and parsing plus validating them was most of a request's cost
# (about 20 ms of 25 for a cooperative profile). Bounded, so unique texts cannot grow memory.
CACHED_DOCUMENTS = 1024

# The rules are made once: Strawberry's limiter extensions make new rule classes per request,
# which would make every validation a cache miss.
_LIMIT_RULES: list[type[ASTValidationRule]] = [
    depth_rule(MAX_DEPTH, None, None),
    alias_rule(MAX_ALIASES),
]


def guard_extensions() -> list[Callable[[], SchemaExtension]]:
    """Factories (Strawberry makes one extension per operation from each)."""
    return [
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        partial(AddValidationRules, _LIMIT_RULES),
        partial(ParserCache, maxsize=CACHED_DOCUMENTS),
        partial(ValidationCache, maxsize=CACHED_DOCUMENTS),
    ]
