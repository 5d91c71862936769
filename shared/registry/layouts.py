"""The three layouts of a registry file, told apart by the header (docs/import-formats.md):

* **code-keyed** (``village_codes``): one row per cooperative, places as official codes
  (docs/registry-format.md), read by ``shared.registry.rows``;
* **name-keyed list**: the registry columns with the place named from the province down to
  the village (``province``, ``regency``, ``district``, ``village``, each with an optional
  ``*_id``) instead of ``village_codes``; a merger has one row per village;
* **regional summary**: one row per region with ``cooperatives`` and optional
  ``npwp_count``, ``nib_count``, ``legal_entity_count``, like SIMKOPDES's published counts
  (``shared/data/registry/simkopdes_regencies_2026-08.csv``).

Rows are checked here on their own, without the database; their places are reconciled to
official codes later (``shared.registry.placing``), against the stored edition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from shared.imports import cells
from shared.imports.problems import InvalidFile, Report
from shared.imports.records import EXTRA, Record, open_records
from shared.places import PlaceRow
from shared.registry.rows import KNOWN_COLUMNS, REQUIRED_COLUMNS, CoopRow, parse_row

PLACE_LEVELS = ("province", "regency", "district", "village")
PLACE_COLUMNS = tuple(c for level in PLACE_LEVELS for c in (level, f"{level}_id"))
SUMMARY_COUNTS = ("npwp_count", "nib_count", "legal_entity_count")
SUMMARY_COLUMNS = ("cooperatives", *SUMMARY_COUNTS)
# SIMKOPDES calls its regencies "districts": its own header, read as regencies.
SIMKOPDES_HEADER = ("province_id", "province", "district_id", "district")
LIST_REQUIRED = tuple(c for c in REQUIRED_COLUMNS if c != "village_codes")
KNOWN = frozenset((*KNOWN_COLUMNS, *PLACE_COLUMNS, *SUMMARY_COLUMNS))
NAME_MAX = 200
ID_MAX = 64


class Layout(StrEnum):
    codes = "codes"  # today's registry file: village_codes
    names = "names"  # a name-keyed cooperative list
    summary = "summary"  # a name-keyed regional summary


@dataclass(frozen=True, slots=True)
class NamedRow:
    """A name-keyed cooperative row: its place, and the registry record with a placeholder
    for ``village_codes`` (set once the place is reconciled)."""

    line: int
    place: PlaceRow
    record: Record


@dataclass(frozen=True, slots=True)
class SummaryRow:
    line: int
    place: PlaceRow
    cooperatives: int
    counts: dict[str, int]  # npwp_count, nib_count, legal_entity_count when given


@dataclass(slots=True)
class Parsed:
    """A registry file read: its layout and its rows (of the layout's type)."""

    layout: Layout
    coops: list[CoopRow] = field(default_factory=list)
    named: list[NamedRow] = field(default_factory=list)
    summary: list[SummaryRow] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # file column -> column read as

    def __len__(self) -> int:
        return len(self.coops) + len(self.named) + len(self.summary)


def layout_of(columns: list[str]) -> tuple[Layout, dict[str, str]]:
    """The layout a header says, and the columns to read under another name."""
    present = set(columns)
    if "village_codes" in present:
        return Layout.codes, {}
    renamed: dict[str, str] = {}
    if "regency" not in present and tuple(columns[:4]) == SIMKOPDES_HEADER:
        renamed = {"district": "regency", "district_id": "regency_id"}
    if "cooperatives" in present:
        return Layout.summary, renamed
    if "province" in present:
        return Layout.names, renamed
    return Layout.codes, {}


def parse(path: Path, report: Report, *, on_rows: Callable[[int], None] | None = None) -> Parsed:
    """Read and check every row of a registry file of any layout (no database access)."""
    with open_records(path, report, required=(), known=KNOWN) as records:
        layout, renamed = layout_of(records.columns)
        required = {
            Layout.codes: REQUIRED_COLUMNS,
            Layout.names: ("province", "regency", "district", "village", *LIST_REQUIRED),
            Layout.summary: ("province", "cooperatives"),
        }[layout]
        read_as = {renamed.get(c, c) for c in records.columns}
        for column in required:
            if column not in read_as:
                message = f"required column {column!r} is missing"
                report.error("missing_column", message, line=1, field=column)
        if report.failed():
            raise InvalidFile(report)
        parsed = Parsed(layout, renamed=renamed)
        seen = 0
        for line, raw in records.rows:
            seen += 1
            record = {renamed.get(k, k): v for k, v in raw.items()}
            if layout is Layout.codes:
                row = parse_row(report, line, record)
                if row is not None:
                    parsed.coops.append(row)
            else:
                place = _place(report, line, record)
                if layout is Layout.summary:
                    summary = _summary(report, line, record, place)
                    if summary is not None:
                        parsed.summary.append(summary)
                elif place is not None:
                    parsed.named.append(NamedRow(line, place, record))
            if on_rows is not None and seen % 5000 == 0:
                on_rows(seen)
    if seen == 0:
        report.error("empty_file", "the file has a header but no rows", line=2)
    return parsed


def _place(report: Report, line: int, record: Record) -> PlaceRow | None:
    """The row's place, from the province down to the last level named."""
    before = report.error_count
    names: dict[str, str | None] = {}
    ids: dict[str, str | None] = {}
    for level in PLACE_LEVELS:
        names[level] = cells.text(report, line, level, record.get(level, ""), max_length=NAME_MAX)
        ids[f"{level}_id"] = cells.text(
            report, line, f"{level}_id", record.get(f"{level}_id", ""), max_length=ID_MAX
        )
    if report.error_count > before:
        return None
    try:
        return PlaceRow.of(
            names["province"] or "",
            names["regency"],
            names["district"],
            names["village"],
            province_id=ids["province_id"],
            regency_id=ids["regency_id"],
            district_id=ids["district_id"],
            village_id=ids["village_id"],
            ref=line,
        )
    except ValueError as exc:
        field_name = next((lv for lv in PLACE_LEVELS if not names[lv]), "province")
        message = str(exc).removeprefix(f"row {line}: ")
        report.error("place_gap", message, line=line, field=field_name)
        return None


def _summary(
    report: Report, line: int, record: Record, place: PlaceRow | None
) -> SummaryRow | None:
    before = report.error_count
    total = cells.count(report, line, "cooperatives", record.get("cooperatives", ""))
    if total is None and report.error_count == before:
        report.error("required", "cooperatives is required", line=line, field="cooperatives")
    counts: dict[str, int] = {}
    for column in SUMMARY_COUNTS:
        value = cells.count(report, line, column, record.get(column, ""))
        if value is None:
            continue
        if total is not None and value > total:
            message = f"{column} {value} exceeds cooperatives {total}"
            report.error("count_exceeds_total", message, line=line, field=column)
        counts[column] = value
    if EXTRA in record:
        report.error("extra_cells", "the row has more cells than the header", line=line)
    if report.error_count > before or place is None or total is None:
        return None
    return SummaryRow(line, place, total, counts)
