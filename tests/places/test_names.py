"""Normalisation: what two spellings of one name have in common, and what keeps apart."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.models import RegionKind, RegionLevel
from shared.places import Gazetteer, normalise, parse_name

LEVELS = st.sampled_from(list(RegionLevel))
# Names as registries type them: letters, digits, the punctuation of the official list,
# accents and other scripts now and then.
NAMES = st.text(
    alphabet=st.one_of(
        st.sampled_from("ABCDEKLMNOPSTUaeiou IVX0123456789.-'/(),\u2019"),
        st.characters(codec="utf-8"),
    ),
    max_size=40,
)


@given(level=LEVELS, name=NAMES)
@settings(max_examples=500, deadline=None)
def test_normalising_twice_changes_nothing(level: RegionLevel, name: str) -> None:
    # The key joins words (``S P`` -> ``SP``), so it is the normal words, not the key, that
    # must normalise to themselves: ``SP`` alone is an abbreviation of ``SIMPANG``.
    once = parse_name(level, name)
    again = parse_name(level, " ".join(once.words))
    if again.kind is None:  # a kind word left at the front (``Kota Kota Baru``) is stripped again
        assert again.words == once.words
        assert again.key == once.key


@given(level=LEVELS, name=NAMES)
@settings(max_examples=300, deadline=None)
def test_case_spacing_and_punctuation_do_not_change_the_key(level: RegionLevel, name: str) -> None:
    key = normalise(level, name)
    assert normalise(level, name.upper()) == key
    assert normalise(level, f"  {name}. ") == key


@pytest.mark.parametrize(
    ("level", "source", "official"),
    [
        (RegionLevel.regency, "KAB. ADM. KEP. SERIBU", "Kabupaten Administrasi Kepulauan Seribu"),
        (RegionLevel.regency, "KOTA ADM. JAKARTA BARAT", "Kota Administrasi Jakarta Barat"),
        (
            RegionLevel.regency,
            "KAB. KEP. SIAU TAGULANDANG BIARO",
            "Kabupaten Kep. Siau Tagulandang Biaro",
        ),
        (RegionLevel.regency, "KOTA PALANGKA RAYA", "Kota Palangkaraya"),
        (RegionLevel.regency, "KAB. TOLITOLI", "Kabupaten Toli-Toli"),
        (RegionLevel.regency, "KABUPATEN GUNUNG KIDUL", "Kabupaten Gunungkidul"),
        (RegionLevel.province, "PROV. KEP. RIAU", "Kepulauan Riau"),
        (RegionLevel.district, "KEC. SEI RAMPAH", "Sungai Rampah"),
        (RegionLevel.village, "DESA TOUNELET 1", "Tounelet Satu"),
        (RegionLevel.village, "KEL. SIDOMULYO II", "Sidomulyo 2"),
        (RegionLevel.village, "Ma\u2019rang", "MARANG"),
        (RegionLevel.village, "Désa Baru", "DESA BARU"),
    ],
)
def test_spellings_of_one_name_share_a_key(level: RegionLevel, source: str, official: str) -> None:
    assert normalise(level, source) == normalise(level, official)


@pytest.mark.parametrize(
    ("level", "one", "other"),
    [
        (RegionLevel.village, "Lubuk Pakam I,II", "Lubuk Pakam III"),  # one district, 12.07.28
        (RegionLevel.village, "Sidomulyo II", "Sidomulyo III"),
        (RegionLevel.regency, "Kabupaten Lima Puluh Kota", "Kabupaten Lima Puluh"),
        (RegionLevel.village, "Sukamaju Baru", "Sukamaju"),
    ],
)
def test_different_names_keep_different_keys(level: RegionLevel, one: str, other: str) -> None:
    assert normalise(level, one) != normalise(level, other)


def test_the_kind_is_stated_by_the_prefix_and_kept_out_of_the_key() -> None:
    kab, kota = (
        parse_name(RegionLevel.regency, "KAB. BEKASI"),
        parse_name(RegionLevel.regency, "Kota Bekasi"),
    )
    assert (kab.kind, kota.kind) == (RegionKind.kabupaten, RegionKind.kota)
    assert kab.key == kota.key == "BEKASI"
    # Only a leading word is a prefix, and never the whole name.
    assert parse_name(RegionLevel.regency, "Kota Kotamobagu").key == "KOTAMOBAGU"
    assert parse_name(RegionLevel.village, "Kota").key == "KOTA"
    assert parse_name(RegionLevel.village, "DESA ADAT YOBOI") == parse_name(
        RegionLevel.village, "Desa Adat Yoboi"
    )
    assert parse_name(RegionLevel.village, "DESA ADAT YOBOI").key == "YOBOI"


def test_every_official_name_has_a_key(gazetteer: Gazetteer) -> None:
    assert all(place.key for place in gazetteer.places.values())
