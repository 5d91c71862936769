"""The read side's two pieces of machinery: a read (a statement with what makes its rows into
plain values) and the one keyset page.

Query functions in ``shared/<domain>/queries.py`` return a :class:`Read`: the API runs it on
an ``AsyncSession``, the CLI, the worker and tests on a ``Session``. Rows become plain tuples
or slotted dataclasses, never ORM instances: a page of 100 cooperatives built as ORM objects
(identity map, instance state, attribute events) cost several times the SQL it came from.

A keyset page is ``WHERE (key...) > (:after...) ORDER BY key... LIMIT size + 1``: the 800th
page costs what the first does, and the extra row tells whether another page follows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Row, Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Read(Generic[T]):
    """A statement and the function making its rows into the answer."""

    statement: Any
    answer: Callable[[Sequence[Row[Any]]], T]
    # Values of the statement's named bind parameters: a statement built once (and kept)
    # for many reads costs no construction per request.
    params: dict[str, Any] | None = None

    def run(self, session: Session) -> T:
        return self.answer(session.execute(self.statement, self.params).all())

    async def run_async(self, session: AsyncSession) -> T:
        return self.answer((await session.execute(self.statement, self.params)).all())

    def then(self, more: Callable[[T], R]) -> Read[R]:
        """The same read, its answer passed through ``more``."""
        answer = self.answer
        return Read(self.statement, lambda rows: more(answer(rows)), self.params)

    def given(self, **params: Any) -> Read[T]:
        """The same read with these values of its bind parameters."""
        return Read(self.statement, self.answer, params)


def read_rows(statement: Any, row: Callable[..., T]) -> Read[list[T]]:
    """Every row, each made into ``row(*columns)``."""
    return Read(statement, lambda rows: [row(*r) for r in rows])


def read_scalar(statement: Any) -> Read[Any]:
    """The first column of the one row (a count)."""
    return Read(statement, lambda rows: rows[0][0])


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """Up to ``size`` items in key order, and whether more follow."""

    items: list[T]
    has_next: bool


def keyset_page(
    statement: Select[Any] | Any,
    key: Sequence[Any],
    after: Sequence[Any] | None,
    size: int,
    row: Callable[..., T] | None,
    *,
    descending: bool = False,
    around: Callable[[Select[Any]], Read[list[T]]] | None = None,
) -> Read[Page[T]]:
    """The page of ``statement``'s rows after the key values ``after`` (None: the first page),
    ordered by ``key`` (unique: end it with the id), each row made into ``row(*columns)``
    (None: the rows as they come, columns by name). A row value comparison is one index range
    scan on both databases.

    ``around``, given, reads the items from the limited statement instead (say, joining each
    item's children onto it in the same round trip), in key order."""
    if after is not None:
        left: ColumnElement[Any] = key[0] if len(key) == 1 else tuple_(*key)
        right: Any = after[0] if len(key) == 1 else tuple_(*after)
        statement = statement.where(left < right if descending else left > right)
    order = [k.desc() for k in key] if descending else list(key)
    statement = statement.order_by(*order).limit(size + 1)
    if around is not None:
        read = around(statement)
    elif row is None:
        read = Read(statement, _as_they_come)
    else:
        read = read_rows(statement, row)
    return read.then(lambda items: Page(items[:size], len(items) > size))


def _as_they_come(rows: Sequence[Any]) -> list[Any]:
    return list(rows)
