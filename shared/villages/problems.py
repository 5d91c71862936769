"""Every code a village-list import reports, in one place for scripts that match on them.

Problems with a file as a whole come from the shared readers; the rest are the list's rules.
"""

from __future__ import annotations

from shared.imports.problems import (
    BAD_ENCODING,
    BAD_ROW,
    EMPTY_FILE,
    FILE_TOO_LARGE,
    FORMULA_CELL,
    MISSING_COLUMNS,
    MISSING_FILE,
    UNKNOWN_COLUMN,
    UNKNOWN_FORMAT,
    UNREADABLE_FILE,
)

# Errors: the rules of the official list.
BAD_CODE = "bad_code"
BAD_VILLAGE_DIGIT = "bad_village_digit"
MISSING_PARENT = "missing_parent"
DUPLICATE_CODE = "duplicate_code"
EMPTY_NAME = "empty_name"
CONTROL_CHARACTER = "control_character"
NAME_TOO_LONG = "name_too_long"
KIND_NAME_MISMATCH = "kind_name_mismatch"
KIND_MISMATCH = "kind_mismatch"
UNKNOWN_KIND = "unknown_kind"  # a kind column holding a word that names no kind
PARENT_MISMATCH = "parent_mismatch"
WRONG_LEVEL = "wrong_level"
BAD_MAPPING = "bad_mapping"

# Warnings.
WHITESPACE = "whitespace"
DUPLICATE_ROW = "duplicate_row"
RETIRED_WITH_COOPERATIVE = "retired_with_cooperative"
# Guard rails on a whole edition (warnings of a dry run; an import refuses unless allowed).
MASS_RETIREMENT = "mass_retirement"
OLDER_EDITION = "older_edition"

__all__ = [
    "BAD_CODE",
    "BAD_ENCODING",
    "BAD_MAPPING",
    "BAD_ROW",
    "BAD_VILLAGE_DIGIT",
    "CONTROL_CHARACTER",
    "DUPLICATE_CODE",
    "DUPLICATE_ROW",
    "EMPTY_FILE",
    "EMPTY_NAME",
    "FILE_TOO_LARGE",
    "FORMULA_CELL",
    "KIND_MISMATCH",
    "KIND_NAME_MISMATCH",
    "MASS_RETIREMENT",
    "MISSING_COLUMNS",
    "MISSING_FILE",
    "MISSING_PARENT",
    "NAME_TOO_LONG",
    "OLDER_EDITION",
    "PARENT_MISMATCH",
    "RETIRED_WITH_COOPERATIVE",
    "UNKNOWN_COLUMN",
    "UNKNOWN_FORMAT",
    "UNKNOWN_KIND",
    "UNREADABLE_FILE",
    "WHITESPACE",
    "WRONG_LEVEL",
]
