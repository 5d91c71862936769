"""What an export holds: each dataset's rows, streamed from the database in batches.

A dataset yields *records*: nested dicts of plain values (lists for a cooperative's villages,
outlets and officers). NDJSON writes them as they are; the tabular formats (CSV, XLSX,
Parquet) write them flattened to ``COLUMNS`` (:func:`flatten`), multi-valued fields joined
with ``;``, each item's parts with ``:`` (the registry file's notation, docs/partners.md).

Rows come from one server-side cursor (``yield_per``) in id order; the related rows of each
batch (villages, outlets, officers) are read with one query per relation, so memory stays
that of one batch whatever the size of the export. The caller's scope applies exactly as in
the API's queries (``cooperative_conditions(filter, scope)``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, func, literal, or_, select
from sqlalchemy.orm import Session

from shared.bulk import is_postgres
from shared.cooperatives.financing import missing_from
from shared.cooperatives.queries import CooperativeFilter, cooperative_conditions
from shared.models import (
    COVERAGE_COLUMNS,
    PROFILE_COLUMNS,
    Cooperative,
    CooperativeVillage,
    CoverageFigure,
    Officer,
    OfficerRole,
    Outlet,
    Proposal,
    ProposalStatus,
    ProposalVillage,
    Region,
)
from shared.proposals.queries import ProposalFilter, proposal_conditions


class Dataset(StrEnum):
    COOPERATIVES = "COOPERATIVES"
    PROPOSALS = "PROPOSALS"
    COVERAGE = "COVERAGE"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: str  # int, float, bool, str, date, datetime: the Parquet type


@dataclass(frozen=True, slots=True)
class ExportSpec:
    """What to export for whom: the dataset, the caller's filter, and the caller's scope."""

    dataset: Dataset
    filter: CooperativeFilter = field(default_factory=CooperativeFilter)
    proposal_status: ProposalStatus | None = None
    scope: str | None = None  # a partner key's province; None: the whole country


def _columns(*spec: str) -> tuple[Column, ...]:
    return tuple(Column(*item.split(":")) for item in spec)


COLUMNS: dict[Dataset, tuple[Column, ...]] = {
    Dataset.COOPERATIVES: _columns(
        "id:int",
        "registry_id:str",
        "name:str",
        "kind:str",
        "scheme:str",
        "stage:str",
        "is_mockup:bool",
        "village_codes:str",
        "village_names:str",
        "outlets:str",
        "officers:str",
        "member_count:int",
        *(f"{c}:{'date' if c.endswith(('_date', '_on')) else 'str'}" for c in PROFILE_COLUMNS),
        "financing_ready:bool",
        "financing_missing:str",
        "version:int",
        "updated_at:datetime",
    ),
    Dataset.PROPOSALS: _columns(
        "id:int",
        "external_id:str",
        "region_code:str",
        "province_code:str",
        "proposed_name:str",
        "status:str",
        "village_codes:str",
        "submitted_on:date",
        "decided_on:date",
        "decided_by:str",
        "cooperative_id:int",
        "note:str",
    ),
    Dataset.COVERAGE: _columns(
        "scope_code:str",
        "level:str",
        "name:str",
        *(f"{c}:int" for c in COVERAGE_COLUMNS),
        "coverage_percent:float",
        "outlets:str",
        "data_version:int",
        "computed_at:datetime",
    ),
}


def _value(value: Any) -> Any:
    """An enum as the API spells it (its GraphQL name: ``kdmp``, ``legal_entity``)."""
    return value.name if isinstance(value, StrEnum) else value


def _part(value: Any) -> Any:
    return "" if value is None else value


def _joined(items: Iterable[str]) -> str | None:
    """A list as one cell: its items joined with ``;``, or empty (null) when it has none."""
    return ";".join(items) or None


_OWN = ("id", "registry_id", "name", "kind", "scheme", "stage", "is_mockup", "member_count")


def flatten(dataset: Dataset, record: dict[str, Any]) -> dict[str, Any]:
    """A record as one row of ``COLUMNS[dataset]`` (lists joined; see the module's note)."""
    if dataset is Dataset.COOPERATIVES:
        flat = {k: record[k] for k in _OWN}
        villages = record["villages"]
        flat["village_codes"] = _joined([v["code"] for v in villages])
        flat["village_names"] = _joined([v["name"] for v in villages])
        flat["outlets"] = _joined(
            [
                f"{o['type']}:{_part(o['kbli'])}:{o['status']}:{_part(o['opened_on'])}"
                for o in record["outlets"]
            ]
        )
        flat["officers"] = _joined(
            [
                f"{o['role']}:{o['name']}:{_part(o['term_start'])}:{_part(o['term_end'])}"
                for o in record["officers"]
            ]
        )
        flat.update(record["legal_identifiers"])
        readiness = record["financing_readiness"]
        flat["financing_ready"] = readiness["ready"]
        flat["financing_missing"] = _joined(readiness["missing"])
        flat["version"] = record["version"]
        flat["updated_at"] = record["updated_at"]
        return flat
    if dataset is Dataset.PROPOSALS:
        return {**record, "village_codes": _joined(record["village_codes"])}
    outlets = record["outlets"]
    return {**record, "outlets": _joined(f"{k}:{outlets[k]}" for k in sorted(outlets))}


# ----------------------------------------------------------------------------- cooperatives


def _batch(session: Session) -> int:
    # Rows fetched per round trip of a server-side cursor (SQLite binds at most 999
    # parameters per statement in older builds: the proposals' IN lists).
    return 2000 if is_postgres(session) else 900


def _grouped(session: Session, query: Any, key: Any, ids: Sequence[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    for row in session.execute(query.where(key.in_(ids))):
        found.setdefault(row[0], []).append(row)
    return found


_OFFICER_ORDER = {role: i for i, role in enumerate(OfficerRole)}


class _Following:
    """The rows of a query ordered by cooperative id (its first column), handed out one
    cooperative at a time as the main query reaches it: a merge join over two streams, so
    each relation is read once, whatever the number of cooperatives."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self._rows = iter(rows)
        self._next = next(self._rows, None)

    def take(self, cooperative_id: int) -> list[Any]:
        found: list[Any] = []
        row = self._next
        while row is not None and row[0] < cooperative_id:  # a cooperative the filter left out
            row = next(self._rows, None)
        while row is not None and row[0] == cooperative_id:
            found.append(row)
            row = next(self._rows, None)
        self._next = row
        return found


def _cooperative_record(
    row: Any, villages: list[Any], outlets: list[Any], officers: list[Any]
) -> dict[str, Any]:
    # By position (``_COOPERATIVE_COLUMNS``): attribute access on 83,404 rows costs seconds.
    legal = dict(zip(PROFILE_COLUMNS, row[_PROFILE_AT], strict=True))
    missing = missing_from(legal)
    return {
        "id": row[0],
        "registry_id": row[1],
        "name": row[2],
        "kind": row[3].name,
        "scheme": row[4].name,
        "stage": row[5].name,
        "is_mockup": bool(row[6]),
        "villages": [{"code": v[1], "name": v[2]} for v in villages],
        "outlets": [
            {"type": o[2].name, "kbli": o[3], "status": o[4].name, "opened_on": o[5]}
            for o in sorted(outlets, key=lambda o: (o[2].value, o[1]))
        ],
        "officers": [
            {"role": o[2].name, "name": o[3], "term_start": o[4], "term_end": o[5]}
            for o in sorted(officers, key=lambda o: (_OFFICER_ORDER[o[2]], o[1]))
        ],
        "member_count": row[7],
        "legal_identifiers": legal,
        "financing_readiness": {"ready": not missing, "missing": [r.value for r in missing]},
        "version": row[-2],
        "updated_at": row[-1],
    }


_COOPERATIVE_COLUMNS = (
    "id",
    "registry_id",
    "name",
    "kind",
    "scheme",
    "stage",
    "is_mockup",
    "member_count",
    *PROFILE_COLUMNS,
    "version",
    "updated_at",
)
_PROFILE_AT = slice(8, 8 + len(PROFILE_COLUMNS))
assert list(_COOPERATIVE_COLUMNS)[_PROFILE_AT] == list(PROFILE_COLUMNS)


def _cooperative_conditions(spec: ExportSpec) -> list[ColumnElement[bool]]:
    return cooperative_conditions(spec.filter, scope=spec.scope)


def _cooperatives(session: Session, spec: ExportSpec) -> Iterator[dict[str, Any]]:
    conditions = _cooperative_conditions(spec)
    columns = [getattr(Cooperative, c) for c in _COOPERATIVE_COLUMNS]
    query = select(*columns).where(*conditions).order_by(Cooperative.id)
    chosen = select(Cooperative.id).where(*conditions) if conditions else None
    connection = session.connection()  # Core rows: no ORM layer per row

    def related(key: Any, *columns: Any, join: Any = None, order: Any = None) -> _Following:
        stmt = select(key, *columns)
        if join is not None:
            stmt = stmt.join(*join)
        if chosen is not None:
            stmt = stmt.where(key.in_(chosen))
        stmt = stmt.order_by(key, *(() if order is None else (order,)))
        return _Following(connection.execute(stmt.execution_options(yield_per=_batch(session))))

    villages = related(
        CooperativeVillage.cooperative_id,
        Region.code,
        Region.name,
        join=(Region, Region.id == CooperativeVillage.village_id),
        order=Region.code,
    )
    outlets = related(
        Outlet.cooperative_id, Outlet.id, Outlet.type, Outlet.kbli, Outlet.status, Outlet.opened_on
    )
    officers = related(
        Officer.cooperative_id,
        Officer.id,
        Officer.role,
        Officer.name,
        Officer.term_start,
        Officer.term_end,
    )
    for row in connection.execute(query.execution_options(yield_per=_batch(session))):
        coop = row[0]
        yield _cooperative_record(row, villages.take(coop), outlets.take(coop), officers.take(coop))


# ----------------------------------------------------------------------------- proposals


def _proposal_conditions(spec: ExportSpec) -> list[ColumnElement[bool]]:
    conditions = proposal_conditions(
        ProposalFilter(region_code=spec.filter.region_code, status=spec.proposal_status)
    )
    if spec.scope is not None:
        conditions.append(Proposal.province_code == spec.scope)
    return conditions


def _proposals(session: Session, spec: ExportSpec) -> Iterator[dict[str, Any]]:
    query = (
        select(Proposal, Region.code)
        .join(Region, Region.id == Proposal.region_id)
        .where(*_proposal_conditions(spec))
        .order_by(Proposal.id)
    )
    villages = (
        select(ProposalVillage.proposal_id, Region.code)
        .join(Region, Region.id == ProposalVillage.village_id)
        .order_by(Region.code)
    )
    result = session.execute(query.execution_options(yield_per=_batch(session)))
    for part in result.partitions():
        ids = [proposal.id for proposal, _code in part]
        codes = _grouped(session, villages, ProposalVillage.proposal_id, ids)
        for proposal, region_code in part:
            yield {
                "id": proposal.id,
                "external_id": proposal.external_id,
                "region_code": region_code,
                "province_code": proposal.province_code,
                "proposed_name": proposal.proposed_name,
                "status": _value(proposal.status),
                "village_codes": [r.code for r in codes.get(proposal.id, [])],
                "submitted_on": proposal.submitted_on,
                "decided_on": proposal.decided_on,
                "decided_by": proposal.decided_by,
                "cooperative_id": proposal.cooperative_id,
                "note": proposal.note,
            }
        session.expunge_all()  # ORM rows of the batch: keep memory at one batch


# ----------------------------------------------------------------------------- coverage


def _inside(column: Any, code: str) -> ColumnElement[bool]:
    return or_(column == code, column.like(code + ".%"))


def _coverage_conditions(spec: ExportSpec) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for code in (spec.scope, spec.filter.region_code):
        if code:
            conditions.append(_inside(CoverageFigure.scope_code, code))
    return conditions


def _coverage(session: Session, spec: ExportSpec) -> Iterator[dict[str, Any]]:
    figures = [getattr(CoverageFigure, c) for c in ("scope_code", "level", *COVERAGE_COLUMNS)]
    query = (
        select(
            *figures,
            CoverageFigure.coverage_percent,
            CoverageFigure.outlets,
            CoverageFigure.data_version,
            CoverageFigure.computed_at,
            func.coalesce(Region.name, literal("Indonesia")).label("name"),
        )
        .outerjoin(Region, Region.code == CoverageFigure.scope_code)
        .where(*_coverage_conditions(spec))
        .order_by(CoverageFigure.scope_code)
    )
    for row in session.execute(query.execution_options(yield_per=_batch(session))):
        yield {
            "scope_code": row.scope_code,
            "level": row.level,
            "name": row.name,
            **{c: getattr(row, c) for c in COVERAGE_COLUMNS},
            "coverage_percent": row.coverage_percent,
            "outlets": dict(row.outlets or {}),
            "data_version": row.data_version,
            "computed_at": row.computed_at,
        }


# ----------------------------------------------------------------------------- the table


@dataclass(frozen=True, slots=True)
class _Source:
    model: Any
    conditions: Callable[[ExportSpec], list[ColumnElement[bool]]]
    records: Callable[[Session, ExportSpec], Iterator[dict[str, Any]]]


_SOURCES = {
    Dataset.COOPERATIVES: _Source(Cooperative, _cooperative_conditions, _cooperatives),
    Dataset.PROPOSALS: _Source(Proposal, _proposal_conditions, _proposals),
    Dataset.COVERAGE: _Source(CoverageFigure, _coverage_conditions, _coverage),
}


def count(session: Session, spec: ExportSpec) -> int:
    """How many records the export will hold (for its progress)."""
    source = _SOURCES[spec.dataset]
    query = select(func.count()).select_from(source.model).where(*source.conditions(spec))
    return int(session.execute(query).scalar_one())


def records(session: Session, spec: ExportSpec) -> Iterator[dict[str, Any]]:
    """The export's records, streamed in id (or region code) order."""
    return _SOURCES[spec.dataset].records(session, spec)


__all__ = [
    "COLUMNS",
    "Column",
    "Dataset",
    "ExportSpec",
    "count",
    "flatten",
    "records",
]
