"""The read side's statements are built to be cached: SQLAlchemy compiles a statement once per
cache key, and a construct without one is compiled anew on every request."""

from __future__ import annotations

from shared.cooperatives.queries import CooperativeFilter, cooperative_page, cooperatives_by_id


def _key(read: object) -> object:
    key = read.statement._generate_cache_key()  # type: ignore[attr-defined]
    assert key is not None, "this statement would be compiled on every request"
    return key.key


def test_region_filtered_pages_have_a_cache_key_per_level_not_per_code() -> None:
    def page(code: str, scope: str | None = None) -> object:
        spec = CooperativeFilter(region_code=code)
        return _key(cooperative_page(spec, order="id", after=None, size=100, scope=scope))

    assert page("64.72") == page("33.01")  # the code is a parameter
    assert page("64") != page("64.72")  # the level is another column
    assert page("99.01", scope="64") != page("99.01")  # the scope is a column of its own


def test_cooperatives_by_id_reuse_one_statement_per_shape() -> None:
    first = cooperatives_by_id([1, 2], "64", villages=True)
    second = cooperatives_by_id([3], "11", villages=True)
    assert first.statement is second.statement
    assert (first.params, second.params) == (
        {"ids": [1, 2], "scope": "64"},
        {"ids": [3], "scope": "11"},
    )
    assert cooperatives_by_id([1], None).statement is not first.statement
