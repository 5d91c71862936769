"""A name-keyed registry import's reconciliation report over GraphQL (operations): match
rates per level and every decision that was not an exact match (the job's
``reconciliation``, written by ``shared.registry.placing``)."""

from __future__ import annotations

from typing import Any

import strawberry

from api.pagination import Connection, list_connection
from api.schema.common import JSON
from shared.registry.placing import levels_of


@strawberry.type(description="How the names of one level fared.")
class LevelMatchRate:
    level: str = strawberry.field(description="province, regency, district or village.")
    rows: int = strawberry.field(description="Rows that name this level.")
    matched: int = strawberry.field(description="Of those, matched to an official region.")
    match_rate: float = strawberry.field(description="matched / rows (0-1).")
    not_reached: int = strawberry.field(description="Rows that failed at a level above.")
    outcomes: JSON = strawberry.field(description="Counts per outcome (matched, unknown...).")


@strawberry.type(description="A decision that was not an exact match: what, where, why.")
class PlaceDecision:
    line: int | None = strawberry.field(description="The file line (1 = header).")
    place: str = strawberry.field(description="The names as given, province first.")
    source_ids: str = strawberry.field(description="The source's own ids, per level.")
    level: str = strawberry.field(description="The level that decided the row.")
    outcome: str = strawberry.field(
        description="matched_alias, matched_fuzzy, matched_crosswalk, matched_override,"
        " ambiguous, misfiled or unknown."
    )
    code: str | None = strawberry.field(description="The official code found, if any.")
    official_name: str | None = strawberry.field(description="Its official name.")
    score: float | None = strawberry.field(description="Similarity 0-100 (fuzzy matches).")
    candidates: str = strawberry.field(description="Places considered, with their scores.")
    reason: str = strawberry.field(description="Why, for people.")


@strawberry.type(description="The reconciliation of a name-keyed registry file's places.")
class ReconciliationReport:
    source: str = strawberry.field(description="Whose place ids the file carries (crosswalk).")
    min_match_rate: float = strawberry.field(description="The minimum asked per level.")
    allow_low_match: bool = strawberry.field(description="Imported even below the minimum.")
    rows: int = strawberry.field(description="Rows reconciled.")
    matched: int = strawberry.field(description="Rows placed in a region.")
    match_rate: float = strawberry.field(description="matched / rows (0-1).")
    levels: list[LevelMatchRate] = strawberry.field(description="Per level, province first.")
    below_threshold: list[str] = strawberry.field(description="Levels below the minimum.")
    decision_count: int = strawberry.field(description="Decisions that were not exact.")
    csv_path: str = strawberry.field(
        description="Where the decisions download as CSV (GET, with an operations key)."
    )
    raw_decisions: strawberry.Private[list[dict[str, Any]]]

    @strawberry.field(description="The decisions that were not exact, in file order, in pages.")
    def decisions(
        self, first: int | None = None, after: str | None = None
    ) -> Connection[PlaceDecision]:
        return list_connection(self.raw_decisions, first, after, to_decision)


def to_decision(raw: dict[str, Any]) -> PlaceDecision:
    line = raw.get("line")
    return PlaceDecision(
        line=line if isinstance(line, int) else None,
        place=str(raw.get("place") or ""),
        source_ids=str(raw.get("source_ids") or ""),
        level=str(raw.get("level") or ""),
        outcome=str(raw.get("outcome") or ""),
        code=raw.get("code"),
        official_name=raw.get("official_name"),
        score=raw.get("score"),
        candidates=str(raw.get("candidates") or ""),
        reason=str(raw.get("reason") or ""),
    )


def csv_path(job_id: int) -> str:
    return f"/graphql/jobs/{job_id}/reconciliation.csv"


def to_report(job_id: int, raw: dict[str, Any] | None) -> ReconciliationReport | None:
    if not raw:
        return None
    summary = raw.get("summary") or {}
    return ReconciliationReport(
        source=str(raw.get("source") or ""),
        min_match_rate=float(raw.get("min_match_rate") or 0.0),
        allow_low_match=bool(raw.get("allow_low_match")),
        rows=int(summary.get("rows") or 0),
        matched=int(summary.get("matched") or 0),
        match_rate=float(summary.get("match_rate") or 0.0),
        levels=[
            LevelMatchRate(
                level=level,
                rows=f["rows"],
                matched=f["matched"],
                match_rate=f["match_rate"],
                not_reached=f["not_reached"],
                outcomes=JSON({k: v for k, v in f["outcomes"].items() if v}),
            )
            for level, f in levels_of(raw)
        ],
        below_threshold=[str(b["level"]) for b in raw.get("below_threshold") or []],
        decision_count=len(raw.get("decisions") or []),
        csv_path=csv_path(job_id),
        raw_decisions=list(raw.get("decisions") or []),
    )
