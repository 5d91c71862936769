"""Writing an edition: the new regions, renames, retirements and reinstatements, the villages
re-coded with what names them, and the per-region changes; set-based, in the caller's
transaction (readers see the old list or the new one, never a mix).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from sqlalchemy import (
    Constraint,
    Table,
    UniqueConstraint,
    bindparam,
    case,
    literal,
    null,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.schema import AddConstraint, DropConstraint
from sqlalchemy.sql.dml import Update

from shared import bulk
from shared.changes import emit_select
from shared.models import (
    ChangeType,
    CooperativeVillage,
    Edition,
    Proposal,
    ProposalVillage,
    Region,
    RegionChange,
    RegionLevel,
    ancestor_codes,
    link_codes,
    utcnow,
)
from shared.villages.diff import Current, Diff
from shared.villages.edition import EditionInfo
from shared.villages.mapping import Move

REGION_COLUMNS = (
    "id",
    "code",
    "level",
    "name",
    "kind",
    "customary",
    "parent_id",
    "province_code",
    "regency_code",
    "district_code",
    "first_edition_id",
    "retired_edition_id",
    "updated_at",
)
CHANGE_COLUMNS = ("edition_id", "region_id", "change", "old_name", "new_name")


def write_edition(
    session: Session,
    info: EditionInfo,
    sha: str,
    current: dict[str, Current],
    diff: Diff,
    moves: list[Move],
    *,
    restore: Edition | None = None,
) -> Edition:
    """Make ``info`` the current edition with the regions the diff describes (``restore``:
    an edition imported before, made current again; its earlier changes stay recorded)."""
    now = utcnow()
    session.execute(update(Edition).where(Edition.is_current).values(is_current=False))
    if restore is None:
        edition = Edition(
            label=info.label,
            decree=info.decree,
            published_on=info.published_on,
            source_sha256=sha,
            imported_at=now,
            is_current=True,
        )
        session.add(edition)
    else:
        edition = session.merge(restore)
        edition.is_current = True
    session.flush()
    eid = edition.id
    recorded: set[tuple[int, str]] = set()
    if restore is not None:
        for region_id, change in session.execute(
            select(RegionChange.region_id, RegionChange.change).where(
                RegionChange.edition_id == eid
            )
        ):
            recorded.add((region_id, change))

    stamp = bulk.timestamp(session, now)
    ids = {code: c.id for code, c in current.items()}
    new_ids = bulk.allocate_ids(session, "regions", len(diff.added), exclusive=True)
    for region, new_id in zip(diff.added, new_ids, strict=True):
        ids[region.code] = new_id

    def region_rows() -> Iterator[tuple[Any, ...]]:
        for region in diff.added:  # parents come first (validation ordered them)
            code = region.code
            parent = region.parent_code
            province, regency, district = ancestor_codes(code)
            yield (
                ids[code],
                code,
                region.level.value,
                region.name,
                region.kind.value if region.kind else None,
                region.customary,
                ids[parent] if parent else None,
                province,
                regency,
                district,
                eid,
                None,
                stamp,
            )

    def region_lines() -> Iterator[str]:
        # PostgreSQL COPY text lines built in one f-string each: 2-3x cheaper than adapting
        # 14 values per row. Names hold no control characters (validation refused them).
        null = "\\N"
        stamp_text = now.isoformat()
        for region in diff.added:
            code = region.code
            parent = region.parent_code
            kind = region.kind.value if region.kind else null
            province, regency, district = ancestor_codes(code)
            yield (
                f"{ids[code]}\t{code}\t{region.level.value}\t{bulk.copy_escape(region.name)}"
                f"\t{kind}\t{'t' if region.customary else 'f'}"
                f"\t{ids[parent] if parent else null}\t{province}"
                f"\t{regency or null}\t{district or null}\t{eid}\t{null}\t{stamp_text}\n"
            )

    def insert_regions() -> None:
        if bulk.is_postgres(session):
            bulk.copy_text(session, "regions", REGION_COLUMNS, region_lines())
        else:
            # Level, kind and codes come from validated codes: the CHECKs hold by construction.
            bulk.bulk_insert(
                session, "regions", REGION_COLUMNS, region_rows(), checked_by_caller=True
            )

    if current:
        insert_regions()
    else:
        # First load into an empty list: building the secondary indexes once, after the rows,
        # is several times cheaper than maintaining them row by row (DDL is transactional on
        # both databases, so a failure still leaves the table as it was).
        # On PostgreSQL the same goes for the foreign keys: one anti-join when the constraint
        # is added back instead of four trigger lookups per row. (The table is empty, so the
        # exclusive lock this takes keeps no reader from anything.)
        table = cast(Table, Region.__table__)
        indexes = [ix for ix in table.indexes if not ix.unique]
        constraints: list[Constraint] = []
        if bulk.is_postgres(session):
            # The unique code constraint too (no foreign key refers to it): built in one sort.
            constraints = [
                *(c for c in table.constraints if isinstance(c, UniqueConstraint)),
                *table.foreign_key_constraints,
            ]
        connection = session.connection()
        for constraint in constraints:
            connection.execute(DropConstraint(constraint))
        for index in indexes:
            index.drop(connection)
        insert_regions()
        for index in indexes:
            index.create(connection)
        for constraint in constraints:
            connection.execute(AddConstraint(constraint))
    # Set-based: a restored national list reinstates ~90,000 regions, a wrong file retires
    # as many (31.5 s as an executemany on PostgreSQL).
    bulk.update_ids(
        session,
        "regions",
        [i for i, _old, _new in diff.renamed],
        {"updated_at": now},
        names=[new for _i, _old, new in diff.renamed],
    )
    bulk.update_ids(
        session,
        "regions",
        [i for i, _old, _new in diff.reinstated],
        {"retired_edition_id": None, "updated_at": now},
        names=[new for _i, _old, new in diff.reinstated],
    )
    bulk.update_ids(
        session,
        "regions",
        [i for i, _name in diff.retired],
        {"retired_edition_id": eid, "updated_at": now},
    )
    _carry_over(session, [m for m in moves if ids[m.new_code] != m.old_id], ids)

    def change_rows() -> Iterator[tuple[Any, ...]]:
        # The first edition of an empty list adds every region: regions.first_edition_id
        # already says so, and 91,599 "added" rows would only repeat it.
        for region in diff.added if current else ():
            yield (eid, ids[region.code], "added", None, region.name)
        for i, old, new in diff.renamed:
            yield (eid, i, "renamed", old, new)
        for i, name in diff.retired:
            yield (eid, i, "retired", name, None)
        for i, old, new in diff.reinstated:
            yield (eid, i, "reinstated", old, new)
        for move in moves:
            # On the new village, naming the code it was known by.
            yield (eid, ids[move.new_code], "recoded", move.old_code, move.new_code)

    rows = change_rows()
    if recorded:  # a restored edition keeps the change it recorded first for a region
        rows = (row for row in rows if (row[1], row[2]) not in recorded)
    bulk.bulk_insert(session, "region_changes", CHANGE_COLUMNS, rows)
    return edition


def _carry_over(session: Session, moves: list[Move], ids: dict[str, int]) -> None:
    """Move what names a re-coded village to its new code: its cooperative, the proposals
    naming it, and proposals it made itself (with their region codes). One executemany per
    statement, whatever the number of villages re-coded."""
    if not moves:
        return
    pairs = [{"old": m.old_id, "new": ids[m.new_code]} for m in moves]
    links, named, proposals = (
        bulk.table_of(CooperativeVillage),
        bulk.table_of(ProposalVillage),
        bulk.table_of(Proposal),
    )
    connection = session.connection()
    # The link takes the new village's codes with it (its district or province may differ).
    codes = [link_codes(m.new_code) for m in moves]
    connection.execute(
        _recode(links, "village_id").values({c: bindparam(f"to_{c}") for c in codes[0]}),
        [
            {**pair, **{f"to_{c}": value for c, value in new.items()}}
            for pair, new in zip(pairs, codes, strict=True)
        ],
    )
    # A proposal already naming both keeps one link.
    connection.execute(
        named.delete().where(
            named.c.village_id == bindparam("old"),
            named.c.proposal_id.in_(
                select(named.c.proposal_id).where(named.c.village_id == bindparam("new"))
            ),
        ),
        pairs,
    )
    connection.execute(_recode(named, "village_id"), pairs)
    connection.execute(
        _recode(proposals, "region_id").values(
            province_code=bindparam("p"), regency_code=bindparam("rg"), district_code=bindparam("d")
        ),
        [
            {**pair, **dict(zip(("p", "rg", "d"), ancestor_codes(m.new_code), strict=True))}
            for pair, m in zip(pairs, moves, strict=True)
        ],
    )


def _recode(table: Table, column: str) -> Update:
    """``column`` from each old village id (``:old``) to the new village's (``:new``)."""
    return (
        table.update().where(table.c[column] == bindparam("old")).values({column: bindparam("new")})
    )


def announce_edition(session: Session, edition_id: int) -> int:
    """The change feed's events of an edition: villages renamed and retired, in one
    INSERT ... SELECT from the edition's region changes (after its data-version bump)."""
    renamed = RegionChange.change == "renamed"
    query = (
        select(
            case(
                (renamed, ChangeType.village_renamed.value),
                else_=ChangeType.village_retired.value,
            ).label("type"),
            literal("Village").label("entity_type"),
            Region.code.label("entity_key"),
            Region.province_code.label("province_code"),
            null().label("other_province_code"),
            case((renamed, "name"), else_="retired").label("fields"),
        )
        .join(Region, Region.id == RegionChange.region_id)
        .where(
            RegionChange.edition_id == edition_id,
            RegionChange.change.in_(("renamed", "retired")),
            Region.level == RegionLevel.village,
        )
    )
    return emit_select(session, query, [Region.code])
