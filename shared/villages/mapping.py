"""The mapping file of an edition: old village code -> new code, for villages re-coded.

A cooperative or a proposal attached to a village whose code disappears would be left on a
retired village; the mapping names the village's new code, so they move with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.imports.problems import Report
from shared.imports.tabular import Format, format_of_name, read_table
from shared.models import VILLAGE_CODE, CooperativeVillage, Proposal, ProposalVillage
from shared.villages import problems as p
from shared.villages.diff import Current
from shared.villages.validation import Edition as ParsedEdition

OLD_HEADERS = {"old_code", "old", "kode_lama", "from"}
NEW_HEADERS = {"new_code", "new", "kode_baru", "to"}


def read_mapping(path: Path, report: Report) -> list[tuple[str, str, int]]:
    """Pairs (old village code, new village code, line) of a mapping file (CSV, or any form
    the tabular reader takes)."""
    shown = path.name
    if not path.is_file():
        report.error(p.MISSING_FILE, f"the mapping file {path} cannot be read", file=shown)
        return []
    pairs: list[tuple[str, str, int]] = []
    with (
        path.open("rb") as stream,
        read_table(stream, format_of_name(path.name) or Format.csv, shown, report) as table,
    ):
        if table is None:
            return []
        if not table.columns:
            report.error(p.EMPTY_FILE, "the mapping file is empty", file=shown, line=1)
            return []
        old_i = next((i for i, h in enumerate(table.columns) if h in OLD_HEADERS), None)
        new_i = next((i for i, h in enumerate(table.columns) if h in NEW_HEADERS), None)
        if old_i is None or new_i is None:
            report.error(
                p.MISSING_COLUMNS,
                "the mapping file needs the columns old_code and new_code",
                file=shown,
                line=table.line,
                field="header",
                value=",".join(table.header),
            )
            return []
        for line, cells in table.rows:
            old, new = cells[old_i].strip(), cells[new_i].strip()
            bad = False
            for label, code in (("old_code", old), ("new_code", new)):
                if not VILLAGE_CODE.fullmatch(code):
                    report.error(
                        p.BAD_MAPPING,
                        "a mapping names village codes like 64.72.05.1003",
                        file=shown,
                        line=line,
                        field=label,
                        value=code,
                    )
                    bad = True
            if not bad:
                pairs.append((old, new, line))
    return pairs


@dataclass(frozen=True, slots=True)
class Move:
    old_id: int
    old_code: str
    new_code: str


def resolve_mapping(
    session: Session,
    pairs: list[tuple[str, str, int]],
    parsed: ParsedEdition,
    current: dict[str, Current],
    report: Report,
    path: Path | None,
) -> list[Move]:
    """Which old villages move to their new codes: those a cooperative or a proposal names."""
    if not pairs:
        return []
    shown = path.name if path else None
    linked = {row[0] for row in session.execute(select(CooperativeVillage.village_id)).all()}
    proposed = {
        *session.execute(select(ProposalVillage.village_id)).scalars(),
        *session.execute(select(Proposal.region_id)).scalars(),
    }
    moves: list[Move] = []
    targets: dict[str, int] = {}
    for old, new, line in pairs:
        before = current.get(old)
        if before is None:
            report.error(
                p.BAD_MAPPING, f"{old} is not a known village", file=shown, line=line,
                field="old_code", value=old,
            )  # fmt: skip
            continue
        if new not in parsed.regions:
            report.error(
                p.BAD_MAPPING, f"{new} is not in the imported file", file=shown, line=line,
                field="new_code", value=new,
            )  # fmt: skip
            continue
        if new in targets:
            report.error(
                p.BAD_MAPPING, f"{new} is already the target of line {targets[new]}",
                file=shown, line=line, field="new_code", value=new,
            )  # fmt: skip
            continue
        targets[new] = line
        target = current.get(new)
        taken = target is not None and target.id in linked and target.id != before.id
        if before.id in linked and taken:
            report.error(
                p.BAD_MAPPING,
                f"{new} already has a cooperative; {old}'s cannot move there",
                file=shown, line=line, field="new_code", value=new,
            )  # fmt: skip
            continue
        if before.id in linked or before.id in proposed:
            moves.append(Move(before.id, old, new))
    return moves
