"""Validation of the rows of an edition: codes, names, kinds, parents, duplicates.

The code says everything structural: its shape gives the level, its prefix the parent, the
regency number the kind (01-69 kabupaten, 71-99 kota) and the village number's first digit the
village kind (1 kelurahan, 2 desa, 3 desa adat, a customary desa). Names are checked, and
whitespace in them normalised with a warning.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from shared.imports.problems import Report, Where
from shared.models import LEVEL_BY_CODE_LENGTH, REGION_CODE, RegionKind, RegionLevel
from shared.villages import problems as p
from shared.villages.readers import SourceRow

PARENT_LENGTH = {RegionLevel.regency: 2, RegionLevel.district: 5, RegionLevel.village: 8}
MAX_NAME = 200

# "KAB. PASER" (older editions), "Kabupaten Paser", "Kabupaten Administrasi Kepulauan Seribu".
_KABUPATEN_NAME = re.compile(r"^(kab\.|kab\s|kabupaten\s)", re.IGNORECASE)
_KOTA_NAME = re.compile(r"^kota\s", re.IGNORECASE)

KIND_WORDS = {
    "kabupaten": RegionKind.kabupaten,
    "kab": RegionKind.kabupaten,
    "kota": RegionKind.kota,
    "desa": RegionKind.desa,
    "desa adat": RegionKind.desa,
    "kelurahan": RegionKind.kelurahan,
}
_WORD_SEPARATORS = re.compile(r"[\s_-]+")
# The words by their spelling without case, spaces, hyphens or underscores: "Desa-Adat",
# "desa_adat" and "DESA ADAT" are one word.
_KIND_BY_KEY = {_WORD_SEPARATORS.sub("", word): kind for word, kind in KIND_WORDS.items()}
ACCEPTED_KIND_WORDS = ", ".join(KIND_WORDS)


def kind_word(text: str) -> RegionKind | None:
    """The kind a kind column's word names, or None when it names none."""
    return _KIND_BY_KEY.get(_WORD_SEPARATORS.sub("", text.lower()))


class ParsedRegion(NamedTuple):  # a tuple: 91,599 of them are built per national import
    code: str
    level: RegionLevel
    name: str
    kind: RegionKind | None
    customary: bool
    file: str
    line: int

    @property
    def parent_code(self) -> str | None:
        length = PARENT_LENGTH.get(self.level)
        return None if length is None else self.code[:length]


@dataclass(slots=True)
class Edition:
    """The validated content of a file: every region by code, parents before children."""

    regions: dict[str, ParsedRegion]
    rows_read: int
    # Counts known without the regions (a re-import recognised by its SHA-256).
    level_counts: dict[RegionLevel, int] | None = None

    def count(self, level: RegionLevel) -> int:
        if self.level_counts is not None:
            return self.level_counts.get(level, 0)
        return sum(1 for r in self.regions.values() if r.level is level)


def kind_of(code: str, level: RegionLevel) -> tuple[RegionKind | None, bool] | str:
    """The kind (and customary flag) a code implies, or the reason the code is impossible."""
    if level is RegionLevel.province:
        return (None, False) if code != "00" else "province number 00 does not exist"
    if level is RegionLevel.regency:
        number = int(code[3:5])
        if 1 <= number <= 69:
            return RegionKind.kabupaten, False
        if 71 <= number <= 99:
            return RegionKind.kota, False
        return f"regency number {code[3:5]} is neither kabupaten (01-69) nor kota (71-99)"
    if level is RegionLevel.district:
        return (None, False) if code[6:8] != "00" else "district number 00 does not exist"
    digit = code[9]
    if digit == "1":
        return RegionKind.kelurahan, False
    if digit == "2":
        return RegionKind.desa, False
    if digit == "3":
        return RegionKind.desa, True
    return p.BAD_VILLAGE_DIGIT


# Control (Cc) and invisible format (Cf) characters; a regex scan is ~10x cheaper than asking
# unicodedata about every character of 91,599 names.
_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)


def _control_characters(name: str) -> list[str]:
    if not _CONTROL.search(name):
        return []
    return [f"U+{ord(c):04X}" for c in name if unicodedata.category(c) in ("Cc", "Cf")]


# The row the official list is 91% made of: a village whose code, parent and kind columns
# agree and whose name needs nothing. Checked in one pass; anything else takes every check.
_VILLAGE_CODE = re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[123][0-9]{3}")
_VILLAGE_KIND = {
    "1": (RegionKind.kelurahan, False, ("kelurahan",)),
    "2": (RegionKind.desa, False, ("desa",)),
    "3": (RegionKind.desa, True, ("desa", "desa adat")),
}
# A name that would be refused or normalised: control or format characters, whitespace at
# either end, doubled, or other than a plain space (what " ".join(name.split()) changes).
_SUSPECT_NAME = re.compile(_CONTROL.pattern + r"|^\s|\s$|\s\s|[^\S ]")


def _plain_village(row: SourceRow) -> ParsedRegion | None:
    """The region of a village row that passes every check without a remark, else None.

    Equivalent to ``_check_row`` for such rows (a property test holds them together); the
    duplicate check stays with the caller.
    """
    code = row.code
    if len(code) != 13 or not _VILLAGE_CODE.fullmatch(code):
        return None
    level = row.expected_level
    if level is not None and level is not RegionLevel.village:
        return None
    parent = row.parent
    if parent is not None and parent != code[:8]:
        return None
    kind, customary, words = _VILLAGE_KIND[code[9]]
    stated = row.kind
    if stated is not None and stated not in words:
        return None
    name = row.name
    if not name or len(name) > MAX_NAME or _SUSPECT_NAME.search(name):
        return None
    return ParsedRegion(code, RegionLevel.village, name, kind, customary, row.file, row.line)


def validate(
    rows: Iterable[SourceRow],
    report: Report,
    *,
    on_row: Callable[[int], None] | None = None,
    every: int = 10_000,
) -> Edition:
    """Check every row; return what is valid (meaningless when ``report.failed()``)."""
    regions: dict[str, ParsedRegion] = {}
    count = 0
    for row in rows:
        count += 1
        if on_row is not None and count % every == 0:
            on_row(count)
        region = _plain_village(row)
        if region is None or region.code in regions:
            region = _check_row(row, regions, report)
        if region is not None:
            regions[region.code] = region
    if on_row is not None:
        on_row(count)
    for region in regions.values():
        parent = region.parent_code
        if parent is not None and parent not in regions:
            message = (
                f"{region.level.value} {region.code} has no parent: {parent} is not in the file"
            )
            report.error(p.MISSING_PARENT, message, **_at(region, "code", region.code))
    # Parents first, whatever order the file had (inserts need parent ids).
    by_level: dict[RegionLevel, list[ParsedRegion]] = {level: [] for level in RegionLevel}
    for region in regions.values():
        by_level[region.level].append(region)
    ordered = {r.code: r for level in RegionLevel for r in by_level[level]}
    return Edition(regions=ordered, rows_read=count)


def _at(row: SourceRow | ParsedRegion, field: str, value: object) -> Where:
    """Where a row's problem is: its file and line, the field and the value found."""
    return {"file": row.file, "line": row.line, "field": field, "value": value}


def _check_row(
    row: SourceRow, regions: dict[str, ParsedRegion], report: Report
) -> ParsedRegion | None:
    code = row.code.strip()
    if code != row.code:
        report.warning(
            p.WHITESPACE, "spaces around the code were removed", **_at(row, "code", row.code)
        )
    if not REGION_CODE.fullmatch(code):
        message = "the code must look like 64, 64.72, 64.72.05 or 64.72.05.1003"
        report.error(p.BAD_CODE, message, **_at(row, "code", row.code))
        return None
    level = LEVEL_BY_CODE_LENGTH[len(code)]
    implied = kind_of(code, level)
    if isinstance(implied, str):
        if implied == p.BAD_VILLAGE_DIGIT:
            implied = (
                "a village number starts with 1 (kelurahan), 2 (desa) or 3 (desa adat),"
                f" not {code[9]}"
            )
            report.error(p.BAD_VILLAGE_DIGIT, implied, **_at(row, "code", code))
        else:
            report.error(p.BAD_CODE, implied, **_at(row, "code", code))
        return None
    kind, customary = implied
    ok = True
    if row.expected_level is not None and row.expected_level is not level:
        message = f"a {level.value} code in the file of {row.expected_level.value} rows"
        report.error(p.WRONG_LEVEL, message, **_at(row, "code", code))
        ok = False

    name = _check_name(row, report)
    if name is None:
        ok = False

    if row.parent is not None and row.parent.strip():
        expected_parent = code[: PARENT_LENGTH[level]] if level in PARENT_LENGTH else ""
        if row.parent.strip() != expected_parent:
            message = f"the parent code must be the code's prefix {expected_parent or '(none)'}"
            report.error(p.PARENT_MISMATCH, message, **_at(row, "parent_code", row.parent))
            ok = False

    if row.kind is not None and row.kind.strip():
        stated = kind_word(row.kind)
        if stated is None:
            report.error(
                p.UNKNOWN_KIND,
                f"{row.kind.strip()!r} is not a kind this list knows; write one of:"
                f" {ACCEPTED_KIND_WORDS} (case, spaces, hyphens and underscores do not matter)",
                **_at(row, "kind", row.kind),
            )
            ok = False
        elif stated is not kind:
            says = (kind.value if kind else "no kind") + (" (desa adat)" if customary else "")
            report.error(
                p.KIND_MISMATCH, f"the code {code} says {says}", **_at(row, "kind", row.kind)
            )
            ok = False

    if name is not None and level is RegionLevel.regency:
        named: RegionKind | None = None
        if _KOTA_NAME.match(name):
            named = RegionKind.kota
        elif _KABUPATEN_NAME.match(name):
            named = RegionKind.kabupaten
        if named is not None and named is not kind:
            assert kind is not None
            message = (
                f"the name says {named.value} but regency number {code[3:5]} is a {kind.value}"
                " (01-69 kabupaten, 71-99 kota)"
            )
            report.error(p.KIND_NAME_MISMATCH, message, **_at(row, "name", name))
            ok = False

    if not ok or name is None:
        return None
    seen = regions.get(code)
    if seen is not None:
        if seen.name == name:
            message = f"the same row as line {seen.line} of {seen.file}; kept once"
            report.warning(p.DUPLICATE_ROW, message, **_at(row, "code", code))
        else:
            message = (
                f"code {code} is already on line {seen.line} of {seen.file}"
                f" with another name ({seen.name!r})"
            )
            report.error(p.DUPLICATE_CODE, message, **_at(row, "code", code))
        return None
    return ParsedRegion(code, level, name, kind, customary, row.file, row.line)


def _check_name(row: SourceRow, report: Report) -> str | None:
    raw = row.name
    controls = _control_characters(raw)
    if controls:
        message = f"the name holds control character(s) {', '.join(sorted(set(controls)))}"
        report.error(p.CONTROL_CHARACTER, message, **_at(row, "name", raw))
        return None
    name = " ".join(raw.split())
    if not name:
        report.error(p.EMPTY_NAME, "the name is empty", **_at(row, "name", raw))
        return None
    if len(name) > MAX_NAME:
        message = f"the name has {len(name)} characters; at most {MAX_NAME} fit"
        report.error(p.NAME_TOO_LONG, message, **_at(row, "name", name))
        return None
    if name != raw:
        report.warning(
            p.WHITESPACE, "whitespace in the name was normalised", **_at(row, "name", raw)
        )
    return name
