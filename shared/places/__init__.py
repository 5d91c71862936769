"""Place reconciliation: official codes for the names (and ids) other sources use.

The real registry names its places by its own ids and spellings (``KAB. OKU TIMUR``), the
official list by codes (``16.08``). :class:`Reconciler` finds the codes level by level, and says
for every row how: matched, by alias, fuzzily (with a score), by crosswalk or override, or why
not (ambiguous, misfiled, unknown). Nothing here imports the API, the worker or the CLI.
"""

from shared.places.aliases import ALIASES_PATH, AliasTable, load_aliases
from shared.places.crosswalk import (
    Crosswalk,
    CrosswalkEntry,
    CrosswalkStore,
    CsvCrosswalkStore,
    Learned,
    SourceKey,
    load_crosswalk,
    read_overrides,
    save_crosswalk,
)
from shared.places.gazetteer import (
    BUNDLED_EDITION_PATH,
    LEVELS,
    Gazetteer,
    Place,
    load_edition_archive,
)
from shared.places.matching import MatchPolicy
from shared.places.names import normalise, parse_name
from shared.places.reconciler import Reconciler, Reconciliation
from shared.places.repository import load_current_gazetteer
from shared.places.results import (
    Candidate,
    LevelFigures,
    LevelMatch,
    Outcome,
    PlaceMatch,
    PlaceRow,
    Summary,
    summarise,
)
from shared.places.tables import PlaceTableError, TableProblem

__all__ = [
    "ALIASES_PATH",
    "BUNDLED_EDITION_PATH",
    "LEVELS",
    "AliasTable",
    "Candidate",
    "Crosswalk",
    "CrosswalkEntry",
    "CrosswalkStore",
    "CsvCrosswalkStore",
    "Gazetteer",
    "Learned",
    "LevelFigures",
    "LevelMatch",
    "MatchPolicy",
    "Outcome",
    "Place",
    "PlaceMatch",
    "PlaceRow",
    "PlaceTableError",
    "Reconciler",
    "Reconciliation",
    "SourceKey",
    "Summary",
    "TableProblem",
    "load_aliases",
    "load_crosswalk",
    "load_current_gazetteer",
    "load_edition_archive",
    "normalise",
    "parse_name",
    "read_overrides",
    "save_crosswalk",
    "summarise",
]
