"""Name-keyed village rows as a registry writes them, with the truth behind each.

Built deterministically (one seed) from the official list: each row names a village's
province, regency, district and village the way registries do, with the source's own ids,
and knows which code it means (or that it is misfiled or unknown). Variations, each drawn
independently per row:

- case (upper, title, lower), prefixes (``PROV.``, ``KAB.``/``KOTA``/``KABUPATEN``, ``KEC.``,
  ``DESA``/``KEL.``), ``ADM.`` for Jakarta's cities and Kepulauan Seribu;
- abbreviations (``TG.``, ``SEI``, ``KEP.``, ``KP.``, ``SP.``, ``GN.``, ``BKT.``), numbers
  as digits or words (``Sidomulyo II`` -> ``SIDOMULYO 2``), province short forms
  (``DKI JAKARTA``, ``DI YOGYAKARTA``);
- spacing and punctuation (two words joined, a hyphen, doubled spaces);
- one-letter misspellings (substitution, deletion, insertion, transposition) in the
  village (6 % of rows), district (2 %) and regency (1 %) names;
- a regency filed under the wrong province (0.5 %: truth *misfiled*);
- a village that is not in the list (1 %: truth *unknown*): a foreign place name, a new
  village named after a neighbour (``<name> BARU``), or a village of another province.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass

from shared.models import RegionKind, RegionLevel
from shared.places import Gazetteer, Place, PlaceRow, normalise

MATCH, MISFILED, UNKNOWN = "match", "misfiled", "unknown"

SHORT_FORMS = {
    "TANJUNG": ["TG.", "TJ."],
    "SUNGAI": ["SEI", "SG."],
    "KEPULAUAN": ["KEP."],
    "KAMPUNG": ["KP."],
    "SIMPANG": ["SP."],
    "GUNUNG": ["GN."],
    "BUKIT": ["BKT."],
}
PROVINCE_SHORT = {"31": "DKI JAKARTA", "34": "DI YOGYAKARTA", "11": "ACEH"}
ROMAN_DIGITS = {"I": "1", "II": "2", "III": "3", "IV": "4", "V": "5", "VI": "6", "VII": "7"}
FOREIGN = [
    "Akaiwa",
    "Asakuchi",
    "Fukuoka",
    "Kobayashi, Miyazaki",
    "Otaru",
    "Kofu",
    "Hakodate",
    "Sak Lek",
    "Khun Yuam",
    "Chiang Dao",
    "Mae Sariang",
    "Pai",
    "Ban Phai",
    "Nong Khai",
    "Gouda",
    "Leiden",
    "Zwolle",
    "Kraków",
    "Gdańsk",
    "Évora",
    "Braga",
    "Tromsø",
    "Kuching",
    "Sibu",
    "Miri",
    "Ipoh",
    "Taiping",
    "Cebu",
    "Iloilo",
    "Davao",
]
PREFIXES = {"PROV.", "KAB.", "KAB", "KOTA", "KABUPATEN", "KEC.", "DESA", "KEL."}
NEW_VILLAGE_WORDS = ["BARU", "JAYA", "MAKMUR", "INDAH", "PERMAI", "SEJAHTERA", "MEKAR"]
LETTERS = "ABCDEFGHIJKLMNOPRSTUWY"


@dataclass(frozen=True, slots=True)
class Truth:
    expected: str  # MATCH, MISFILED or UNKNOWN
    code: str | None  # the village meant (None for unknown names)
    tags: tuple[str, ...]  # the variations applied, for figures per variation


def build_rows(gazetteer: Gazetteer, count: int, seed: int) -> tuple[list[PlaceRow], list[Truth]]:
    rng = random.Random(seed)
    villages = sorted(p.code for p in gazetteer.at_level(RegionLevel.village))
    chosen = sorted(rng.sample(villages, min(count, len(villages))))
    provinces = sorted(p.code for p in gazetteer.at_level(RegionLevel.province))
    keys_by_regency: dict[str, set[str]] = defaultdict(set)
    for code in villages:
        keys_by_regency[code[:5]].add(gazetteer.places[code].key)
    rows, truths = [], []
    for n, code in enumerate(chosen):
        row_rng = random.Random(f"{seed}:{code}")
        row, truth = _row(gazetteer, code, row_rng, provinces, villages, keys_by_regency, n)
        rows.append(row)
        truths.append(truth)
    return rows, truths


def _row(gazetteer, code, rng, provinces, villages, keys_by_regency, n):
    village = gazetteer.places[code]
    district = gazetteer.places[village.parent_code]
    regency = gazetteer.places[district.parent_code]
    province = gazetteer.places[regency.parent_code]
    tags: list[str] = []
    expected: str = MATCH
    case = rng.choices([str.upper, str.title, str.lower, str], [70, 15, 5, 10])[0]

    province_name = _province_name(province, rng, tags)
    province_id = _source_id("p", province.code)
    if rng.random() < 0.005:
        other = gazetteer.places[rng.choice([p for p in provinces if p != province.code])]
        province_name, province_id = other.name.upper(), _source_id("p", other.code)
        tags.append("swapped_parent")
        expected = MISFILED
    regency_name = _regency_name(regency, rng, tags)
    district_name = ("KEC. " if rng.random() < 0.2 else "") + district.name
    village_name = _village_name(village, rng, tags)
    village_id = _source_id("v", village.code)
    if rng.random() < 0.01:
        village_name = _unknown_village(gazetteer, village, rng, villages, keys_by_regency)
        village_id = f"new-{n}"
        tags.append("unknown")
        expected = UNKNOWN
    names = [province_name, regency_name, district_name, village_name]
    for depth, rate in ((1, 0.01), (2, 0.02), (3, 0.06)):
        if expected != UNKNOWN and rng.random() < rate:
            names[depth] = _misspell(names[depth], rng)
            tags.append(f"misspelt_{('province', 'regency', 'district', 'village')[depth]}")
    names = [_spacing(case(_abbreviate(name, rng, tags)), rng, tags) for name in names]
    row = PlaceRow(
        tuple(names),
        (province_id, _source_id("r", regency.code), _source_id("d", district.code), village_id),
        ref=n + 2,
    )
    return row, Truth(expected, None if expected == UNKNOWN else code, tuple(tags))


def _source_id(prefix: str, code: str) -> str:
    """The source's own id of a place: a number, as SIMKOPDES has (derived from the code)."""
    return prefix + code.replace(".", "")


def _province_name(province: Place, rng: random.Random, tags: list[str]) -> str:
    if province.code in PROVINCE_SHORT and rng.random() < 0.6:
        tags.append("province_short_form")
        return PROVINCE_SHORT[province.code]
    return ("PROV. " if rng.random() < 0.1 else "") + province.name


def _regency_name(regency: Place, rng: random.Random, tags: list[str]) -> str:
    core = re.sub(r"^(Kabupaten|Kota)( Administrasi)? ", "", regency.name)
    kota = regency.kind is RegionKind.kota
    style = rng.choices(["short", "full", "nodot", "bare"], [60, 25, 10, 5])[0]
    if style == "bare":
        tags.append("regency_without_kind")
        return core
    if style == "full":
        return regency.name
    if "Administrasi" in regency.name:
        return f"{'KOTA' if kota else 'KAB.'} ADM. {core}"
    prefix = "KOTA" if kota else ("KAB." if style == "short" else "KAB")
    return f"{prefix} {core}"


def _village_name(village: Place, rng: random.Random, tags: list[str]) -> str:
    name = village.name
    words = name.split()
    if len(words) > 1 and words[-1] in ROMAN_DIGITS and rng.random() < 0.3:
        words[-1] = ROMAN_DIGITS[words[-1]]
        tags.append("number_as_digits")
        name = " ".join(words)
    if rng.random() < 0.15:
        prefix = "KEL." if village.kind is RegionKind.kelurahan else "DESA"
        name = f"{prefix} {name}"
    return name


def _abbreviate(name: str, rng: random.Random, tags: list[str]) -> str:
    words = name.split(" ")
    for i, word in enumerate(words):
        short = SHORT_FORMS.get(word.upper())
        if short and rng.random() < 0.3:
            words[i] = rng.choice(short)
            tags.append("abbreviation")
    return " ".join(words)


def _spacing(name: str, rng: random.Random, tags: list[str]) -> str:
    if rng.random() >= 0.05:
        return name
    tags.append("spacing")
    words = name.split(" ")
    choice = rng.randrange(3)
    first = 1 if words[0].upper() in PREFIXES else 0  # "DESAKEUDE" is no registry's spelling
    if choice == 0 and len(words) > first + 1:
        i = rng.randrange(first, len(words) - 1)
        words[i : i + 2] = [words[i] + words[i + 1]]
        return " ".join(words)
    if choice == 1 and len(words) > 1:
        return "-".join(words)
    return "  " + "  ".join(words) + " "


def _misspell(name: str, rng: random.Random) -> str:
    """One letter wrong somewhere in the last word: the name, not its prefix."""
    start = name.rfind(" ") + 1
    word = name[start:]
    if len(word) < 3:
        return name
    i = rng.randrange(1, len(word))
    kind = rng.randrange(4)
    if kind == 0:
        letter = rng.choice([c for c in LETTERS if c != word[i].upper()])
        word = word[:i] + (letter if word[i].isupper() else letter.lower()) + word[i + 1 :]
    elif kind == 1:
        word = word[:i] + word[i + 1 :]
    elif kind == 2:
        word = word[:i] + word[i - 1] + word[i:]
    elif i < len(word) - 1:
        word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    else:
        word = word[: i - 1] + word[i] + word[i - 1]
    return name[:start] + word


def _unknown_village(gazetteer, village, rng, villages, keys_by_regency):
    """A name the list does not have in this village's regency."""
    taken = keys_by_regency[village.code[:5]]
    while True:
        choice = rng.randrange(3)
        if choice == 0:
            name = rng.choice(FOREIGN)
        elif choice == 1:
            name = f"{village.name} {rng.choice(NEW_VILLAGE_WORDS)}"
        else:
            name = gazetteer.places[rng.choice(villages)].name
        if normalise(RegionLevel.village, name) not in taken:
            return name
