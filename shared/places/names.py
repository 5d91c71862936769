"""Place names as the reconciler compares them.

A registry writes ``KAB. ADM. KEP. SERIBU`` where the decree says ``Kabupaten Administrasi
Kepulauan Seribu``. Both sides go through :func:`parse_name`, which splits a name into the
kind its prefix states (kabupaten/kota, desa/kelurahan) and a **key**: upper case, accents,
punctuation and spacing gone, known abbreviations expanded (``KEP`` -> ``KEPULAUAN``, from
``data/places/abbreviations.csv``), Roman numerals and number words after the first word
written as digits. Two names with the same key at one level are the same name.

Spacing is not part of the key (``Palangka Raya`` = ``Palangkaraya``, ``Toli-Toli`` =
``Tolitoli``) except around numbers, so that ``Lubuk Pakam I,II`` and ``Lubuk Pakam III``, two
villages of one district, keep different keys.

The kind is kept apart from the key because it is not spelling: ``KAB. BEKASI`` and ``KOTA
BEKASI`` are two regencies with one key, told apart only by their kind.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from shared.models import RegionKind, RegionLevel
from shared.places.tables import PlaceTableError, TableProblem, read_table

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "places"
ABBREVIATIONS_PATH = DATA_DIR / "abbreviations.csv"

# Leading words that say what a place is rather than what it is called, per level, with the
# kind they state. Only one is taken off a name (``KOTA KOTAMOBAGU`` keeps its second word),
# and never the last word (a place may be called ``Kota``).
_KIND_WORDS: dict[RegionLevel, dict[str, RegionKind | None]] = {
    RegionLevel.province: {"PROVINSI": None, "PROV": None, "PROPINSI": None},
    RegionLevel.regency: {
        "KABUPATEN": RegionKind.kabupaten,
        "KAB": RegionKind.kabupaten,
        "KOTA": RegionKind.kota,
        "KOTAMADYA": RegionKind.kota,
        "KOTAMADIA": RegionKind.kota,
        "KODYA": RegionKind.kota,
    },
    RegionLevel.district: {"KECAMATAN": None, "KEC": None, "DISTRIK": None},
    RegionLevel.village: {
        "DESA": RegionKind.desa,
        "DS": RegionKind.desa,
        "KELURAHAN": RegionKind.kelurahan,
        "KEL": RegionKind.kelurahan,
    },
}
# Words that may follow the kind word and say nothing about the name: ``Kota Administrasi
# Jakarta Barat`` (DKI Jakarta's cities), ``Desa Adat Yoboi`` (customary villages, 91.03).
_AFTER_KIND_WORDS = {"ADM", "ADMINISTRASI", "ADMINISTRATIF", "ADAT"}

_ROMAN = {
    "I": "1",
    "II": "2",
    "III": "3",
    "IV": "4",
    "V": "5",
    "VI": "6",
    "VII": "7",
    "VIII": "8",
    "IX": "9",
    "X": "10",
    "XI": "11",
    "XII": "12",
    "XIII": "13",
    "XIV": "14",
    "XV": "15",
}
_NUMBER_WORDS = {
    "SATU": "1",
    "DUA": "2",
    "TIGA": "3",
    "EMPAT": "4",
    "LIMA": "5",
    "ENAM": "6",
    "TUJUH": "7",
    "DELAPAN": "8",
    "SEMBILAN": "9",
    "SEPULUH": "10",
}
# Apostrophes join (``Ma'rang`` = ``Marang``); every other non-letter separates words.
_APOSTROPHES = re.compile(r"['`\u2018\u2019\u02bc\u00b4]")
_SEPARATORS = re.compile(r"[^A-Z0-9]+")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A name split into the kind its prefix states and the key it is compared by."""

    kind: RegionKind | None
    key: str
    words: tuple[str, ...]


def words_of(raw: str) -> list[str]:
    """Upper-case words without accents or punctuation."""
    if raw.isascii():  # nearly every name: skip the accent stripping
        text = raw.upper()
    else:
        text = unicodedata.normalize("NFKD", raw)
        text = "".join(c for c in text if not unicodedata.combining(c)).upper()
    return [w for w in _SEPARATORS.split(_APOSTROPHES.sub("", text)) if w]


def key_of(words: tuple[str, ...] | list[str]) -> str:
    """Words joined without spaces, except around numbers (``LUBUKPAKAM 1 2``)."""
    joined = "".join(words)
    if not _DIGITS.search(joined):
        return joined
    out: list[str] = []
    for i, word in enumerate(words):
        if i and (word[0].isdigit() or words[i - 1][-1].isdigit()):
            out.append(" ")
        out.append(word)
    return "".join(out)


def parse_name(level: RegionLevel, raw: str) -> ParsedName:
    """The kind and key of a place name at ``level`` (see the module docstring)."""
    words = words_of(raw)
    kind: RegionKind | None = None
    kind_words = _KIND_WORDS[level]
    if len(words) > 1 and words[0] in kind_words:
        kind = kind_words[words[0]]
        words = words[1:]
        if len(words) > 1 and words[0] in _AFTER_KIND_WORDS:
            words = words[1:]
    first, later = _word_tables()
    normal: list[str] = []
    for i, word in enumerate(words):
        replacement = (later if i else first).get(word)
        if replacement is not None:
            normal.extend(replacement)
        elif word.isdigit():
            normal.append(str(int(word)))  # "01" = "1"
        else:
            normal.append(word)
    return ParsedName(kind, key_of(normal), tuple(normal))


def normalise(level: RegionLevel, raw: str) -> str:
    """The key of a name: what two spellings of one name have in common."""
    return parse_name(level, raw).key


@lru_cache(maxsize=1)
def _word_tables() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """What replaces a word: as the first word (abbreviations only: ``Dua Boccoe`` is a
    name) and after it (numbers too)."""
    first = abbreviations()
    later = {**first, **{w: (d,) for w, d in (_ROMAN | _NUMBER_WORDS).items()}}
    return first, later


@lru_cache(maxsize=1)
def abbreviations() -> dict[str, tuple[str, ...]]:
    """The abbreviation table (``data/places/abbreviations.csv``): word -> words."""
    return read_abbreviations(ABBREVIATIONS_PATH)


def read_abbreviations(path: Path) -> dict[str, tuple[str, ...]]:
    """``abbreviation,expansion,note`` rows: one word, and the words it stands for."""
    table: dict[str, tuple[str, ...]] = {}
    problems: list[TableProblem] = []
    for line, row in read_table(path, ("abbreviation", "expansion")):
        short, long = words_of(row["abbreviation"]), tuple(words_of(row["expansion"]))
        if len(short) != 1:
            reason = "one word (letters and digits)"
            problems.append(
                TableProblem(path.name, line, "abbreviation", row["abbreviation"], reason)
            )
        elif not long:
            problems.append(TableProblem(path.name, line, "expansion", row["expansion"], "empty"))
        else:
            table[short[0]] = long
    if problems:
        raise PlaceTableError(problems)
    return table


def numbers_in(key: str) -> list[str]:
    """The numbers of a key: ``Sidomulyo II`` and ``Sidomulyo III`` differ only by these, and a
    fuzzy match must never cross them."""
    return _DIGITS.findall(key)
