"""Readiness for financing: the one definition the API, the reports and the filters share.

PMK 49/2025 lets the state banks (Himbara) lend to a cooperative only when it has all of:
a legal entity (an SK AHU decree), a cooperative ID (NIK koperasi), a bank account in its own
name, a tax ID (NPWP), a business ID (NIB), and a business proposal approved by the village
head (KDMP) or the regent/mayor (KKMP). Each requirement is a fact stored on the cooperative
row, so readiness is a pure function of that row (:func:`assess`) and the same test in SQL
(:func:`financing_ready_clause`), usable as a ``WHERE`` filter without loading rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, not_
from sqlalchemy.orm import InstrumentedAttribute

from shared.models import Cooperative


class Requirement(StrEnum):
    """A financing prerequisite, in the order a cooperative usually meets them."""

    legal_entity = "legal_entity"  # SK AHU number recorded
    nik_koperasi = "nik_koperasi"
    npwp = "npwp"
    nib = "nib"
    bank_account = "bank_account"  # an account number in the cooperative's own name
    business_proposal = "business_proposal"  # approved by the village head or regent/mayor


REQUIREMENT_LABELS: dict[Requirement, str] = {
    Requirement.legal_entity: "legal entity (SK AHU decree)",
    Requirement.nik_koperasi: "cooperative ID (NIK koperasi)",
    Requirement.npwp: "tax ID (NPWP)",
    Requirement.nib: "business ID (NIB)",
    Requirement.bank_account: "bank account in the cooperative's name",
    Requirement.business_proposal: "approved business proposal",
}

# Each requirement is met when this column holds a value (a blank string counts as missing:
# registry exports write empty cells, and the importers store those as NULL anyway).
_COLUMN: dict[Requirement, InstrumentedAttribute[Any]] = {
    Requirement.legal_entity: Cooperative.sk_ahu_number,
    Requirement.nik_koperasi: Cooperative.nik_koperasi,
    Requirement.npwp: Cooperative.npwp,
    Requirement.nib: Cooperative.nib,
    Requirement.bank_account: Cooperative.bank_account_number,
    Requirement.business_proposal: Cooperative.business_proposal_approved_on,
}


@dataclass(frozen=True, slots=True)
class Readiness:
    met: tuple[Requirement, ...]
    missing: tuple[Requirement, ...]

    @property
    def ready(self) -> bool:
        return not self.missing


def _present(value: object) -> bool:
    if value is None:
        return False
    return not (isinstance(value, str) and not value.strip())


def assess(cooperative: object) -> Readiness:
    """Which financing requirements the cooperative meets and which it lacks (``cooperative``:
    a model instance or a read-side row, anything with the columns' names)."""
    met: list[Requirement] = []
    missing: list[Requirement] = []
    for requirement, column in _COLUMN.items():
        value = getattr(cooperative, column.key)
        (met if _present(value) else missing).append(requirement)
    return Readiness(met=tuple(met), missing=tuple(missing))


def missing_from(values: Mapping[str, object]) -> list[Requirement]:
    """The requirements not met by a cooperative's column values, by column name (a bulk
    reader's row, without an object per cooperative)."""
    return [r for r, column in _COLUMN.items() if not _present(values[column.key])]


def _column_present(column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
    if column.key == Cooperative.business_proposal_approved_on.key:
        return column.is_not(None)
    return and_(column.is_not(None), column != "")


def requirement_clause(requirement: Requirement) -> ColumnElement[bool]:
    """SQL: the cooperative meets this one requirement."""
    return _column_present(_COLUMN[requirement])


def financing_ready_clause(ready: bool = True) -> ColumnElement[bool]:
    """SQL filter on ``cooperatives``: all requirements met (or, with ``ready=False``, not)."""
    clause = and_(*(requirement_clause(r) for r in Requirement))
    return clause if ready else not_(clause)


__all__ = [
    "REQUIREMENT_LABELS",
    "Readiness",
    "Requirement",
    "assess",
    "financing_ready_clause",
    "missing_from",
    "requirement_clause",
]
