"""Registry files, row by row: one row per cooperative (docs/registry-format.md), checked on
its own, without the database, into a :class:`CoopRow`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from shared.imports import cells
from shared.imports.problems import Report
from shared.imports.records import EXTRA, Record, read_records
from shared.models import OUTLET_KBLI, STAGE_ORDER, OfficerRole, OutletType, Scheme, Stage

REQUIRED_COLUMNS = ("registry_id", "name", "village_codes", "scheme", "stage")

# Text columns stored on the cooperative row, with their length limits (from the model).
TEXT_COLUMNS: dict[str, int] = {
    "sk_ahu_number": 100,
    "akta_number": 100,
    "notary_name": 200,
    "nik_koperasi": 32,
    "nib": 32,
    "npwp": 32,
    "bank_name": 100,
    "bank_account_number": 64,
}
DATE_COLUMNS = ("sk_ahu_date", "akta_date", "business_proposal_approved_on")
STAGE_DATE_COLUMNS: dict[str, Stage] = {f"{stage.value}_on": stage for stage in Stage}
# Numbers that identify one cooperative: the same number on two cooperatives is an error.
# (Akta numbers are not among them: each notary numbers deeds from 1.)
LEGAL_NUMBERS = ("sk_ahu_number", "nik_koperasi", "nib", "npwp")
OPTIONAL_COLUMNS = (
    *TEXT_COLUMNS,
    *DATE_COLUMNS,
    *STAGE_DATE_COLUMNS,
    "is_mockup",
    "outlets",
    "officers",
    "member_count",
    "member_count_as_of",
)
KNOWN_COLUMNS = frozenset((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))

# The columns of the cooperatives table an import sets (and compares).
VALUE_COLUMNS = (
    "name",
    "kind",
    "scheme",
    "stage",
    "stage_rank",
    *TEXT_COLUMNS,
    *DATE_COLUMNS,
    "is_mockup",
    "member_count",
)

SCHEME_ALIASES = {
    "pembentukan_baru": Scheme.new,
    "baru": Scheme.new,
    "pengembangan": Scheme.development,
    "revitalisasi": Scheme.revitalisation,
    "revitalization": Scheme.revitalisation,
}
STAGE_ALIASES = {
    "musdesus": Stage.deliberation,
    "musyawarah_desa_khusus": Stage.deliberation,
    "rapat_pendirian": Stage.founding_meeting,
    "akta": Stage.notarial_deed,
    "akta_notaris": Stage.notarial_deed,
    "badan_hukum": Stage.legal_entity,
    "sk_ahu": Stage.legal_entity,
    "nik_koperasi": Stage.cooperative_id,
    "nib_npwp": Stage.business_ids,
    "rekening": Stage.bank_account,
    "rekening_bank": Stage.bank_account,
    "operasional": Stage.operational,
}
OUTLET_ALIASES = {
    "sembako": OutletType.grocery,
    "apotek": OutletType.pharmacy,
    "apotek_desa": OutletType.pharmacy,
    "kantor": OutletType.office,
    "kantor_koperasi": OutletType.office,
    "simpan_pinjam": OutletType.savings_loans,
    "klinik": OutletType.clinic,
    "klinik_desa": OutletType.clinic,
    "cold_storage": OutletType.cold_storage,
    "logistik": OutletType.logistics,
    "distribution": OutletType.logistics,
}

# Officers' roles as the registry writes them (pengurus and pengawas).
OFFICER_ALIASES = {
    "ketua": OfficerRole.chair,
    "wakil_ketua": OfficerRole.vice_chair,
    "sekretaris": OfficerRole.secretary,
    "bendahara": OfficerRole.treasurer,
    "ketua_pengawas": OfficerRole.supervisor_chair,
    "pengawas": OfficerRole.supervisor,
    "anggota_pengawas": OfficerRole.supervisor,
    "manajer": OfficerRole.manager,
}

OutletKey = tuple[OutletType, str | None]
# role, name, term start, term end
OfficerKey = tuple[OfficerRole, str, date | None, date | None]


@dataclass(slots=True)
class CoopRow:
    """One valid-looking file row, ready to compare with the database."""

    line: int
    registry_id: str
    values: dict[str, Any]  # VALUE_COLUMNS except kind (which follows from the villages)
    village_codes: list[str]
    events: dict[Stage, date | None]
    outlets: frozenset[OutletKey]
    members_as_of: date | None
    # None when the file says nothing (no column, or an empty cell): stored officers stay.
    officers: frozenset[OfficerKey] | None = None


def _outlets(report: Report, line: int, value: str) -> frozenset[OutletKey]:
    found: set[OutletKey] = set()
    for item in (i.strip() for i in cells.LIST_SEPARATORS.split(value)):
        if not item:
            continue
        name, _, kbli = item.partition(":")
        outlet_type = cells.choice(
            report, line, "outlets", name, OutletType, OUTLET_ALIASES, required=True
        )
        if outlet_type is None:
            continue
        code = kbli.strip() or None
        if code is not None and code not in OUTLET_KBLI[outlet_type]:
            allowed = ", ".join(OUTLET_KBLI[outlet_type]) or "none"
            message = f"KBLI {code} is not a {outlet_type.value} activity (allowed: {allowed})"
            report.error("bad_kbli", message, line=line, field="outlets")
            continue
        if (outlet_type, code) in found:
            report.error("repeated_outlet", f"{item} is listed twice", line=line, field="outlets")
        found.add((outlet_type, code))
    return frozenset(found)


def _officers(report: Report, line: int, value: str) -> frozenset[OfficerKey] | None:
    """``role:name[:term start[:term end]]`` items, e.g. ``ketua:Siti Aminah:2025-07-01``."""
    found: set[OfficerKey] = set()
    items = [i.strip() for i in cells.LIST_SEPARATORS.split(value) if i.strip()]
    for item in items:
        role_text, _, rest = item.partition(":")
        name, _, terms = rest.partition(":")
        start_text, _, end_text = terms.partition(":")
        role = cells.choice(
            report, line, "officers", role_text, OfficerRole, OFFICER_ALIASES, required=True
        )
        person = cells.text(report, line, "officers", name, max_length=200, required=True)
        start = cells.day(report, line, "officers", start_text)
        end = cells.day(report, line, "officers", end_text)
        if role is None or person is None:
            continue
        if start is not None and end is not None and end < start:
            message = f"{item}: the term ends ({end}) before it starts ({start})"
            report.error("bad_term", message, line=line, field="officers")
            continue
        officer = (role, person, start, end)
        if officer in found:
            report.error("repeated_officer", f"{item} is listed twice", line=line, field="officers")
        found.add(officer)
    return frozenset(found) if items else None


def parse_row(report: Report, line: int, record: Record) -> CoopRow | None:
    """Check one row on its own; None when it has errors (they are in ``report``)."""
    before = report.error_count
    cell = cells.Cells(report, line, record)
    registry_id = cell.text("registry_id", 64, required=True)
    name = cell.text("name", 300, required=True)
    codes = cell.codes("village_codes", required=True)
    scheme = cell.choice("scheme", Scheme, SCHEME_ALIASES)
    stage = cell.choice("stage", Stage, STAGE_ALIASES)
    values: dict[str, Any] = {"name": name, "scheme": scheme, "stage": stage}
    values["stage_rank"] = STAGE_ORDER[stage] if stage is not None else None
    for column, limit in TEXT_COLUMNS.items():
        values[column] = cell.text(column, limit)
    for column in DATE_COLUMNS:
        values[column] = cell.day(column)
    values["is_mockup"] = cell.flag("is_mockup")
    values["member_count"] = cell.count("member_count")
    members_as_of = cell.day("member_count_as_of")
    if members_as_of is not None and values["member_count"] is None:
        message = "a date is given but no member_count"
        report.error("date_without_count", message, line=line, field="member_count_as_of")
    events: dict[Stage, date | None] = {}
    for column, event_stage in STAGE_DATE_COLUMNS.items():
        reached = cell.day(column)
        if reached is None:
            continue
        if stage is not None and STAGE_ORDER[event_stage] > STAGE_ORDER[stage]:
            message = (
                f"a date for {event_stage.value}, a stage after the current stage {stage.value}"
            )
            report.error("stage_not_reached", message, line=line, field=column)
            continue
        events[event_stage] = reached
    if stage is not None:
        events.setdefault(stage, None)
    outlets = _outlets(report, line, record.get("outlets", ""))
    officers = _officers(report, line, record.get("officers", ""))
    if EXTRA in record:
        report.error("extra_cells", "the row has more cells than the header", line=line)
    if report.error_count > before or registry_id is None:
        return None
    return CoopRow(line, registry_id, values, codes, events, outlets, members_as_of, officers)


def parse(
    path: Path, report: Report, *, on_rows: Callable[[int], None] | None = None
) -> list[CoopRow]:
    """Read and check every row of a registry file (no database access)."""
    return read_records(
        path,
        report,
        partial(parse_row, report),
        required=REQUIRED_COLUMNS,
        known=KNOWN_COLUMNS,
        on_rows=on_rows,
    )
