"""Small CSV tables operations edit: problems in them name the file, line, field and reason."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class TableProblem:
    file: str
    line: int  # 1 = the header
    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file} line {self.line}, {self.field} {self.value!r}: {self.reason}"


class PlaceTableError(ValueError):
    """A table could not be used; every problem found is listed, not only the first."""

    def __init__(self, problems: list[TableProblem]) -> None:
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__(f"{len(problems)} problem(s): {shown}{more}")


def read_table(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line, row)`` for every row of a CSV with a header holding ``required`` (any case,
    any order; cells stripped). A missing file or column raises :class:`PlaceTableError`."""
    if not path.is_file():
        raise PlaceTableError([TableProblem(path.name, 0, "file", str(path), "does not exist")])
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [h.strip().lower() for h in next(reader, [])]
        missing = [c for c in required if c not in header]
        if missing:
            raise PlaceTableError(
                [TableProblem(path.name, 1, c, ",".join(header), "missing column") for c in missing]
            )
        for line, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            yield (
                line,
                {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)},
            )
