"""How the command line prints for people: tables that stay whole when piped, problems with
their stable codes in line order, samples of changes. ``--json`` prints for scripts."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from shared.villages.diff import CHANGE_KINDS

# A pipe or a file has no width: print every cell whole on one line, whatever it takes.
UNBOUNDED = 100_000


def err_console() -> Console:
    """Messages for people, on stderr: lines are not wrapped when piped or redirected."""
    return Console(stderr=True, soft_wrap=not sys.stderr.isatty())


def print_table(table: Table, *, file: Any = None) -> None:
    """A table on stdout: fitted to a terminal (cells that must stay whole say
    ``no_wrap``), whole lines when piped, so ``grep``, ``cut`` and copying a prefix work."""
    stream = file or sys.stdout
    if stream.isatty():
        Console(file=stream).print(table)
        return
    table.box = None  # columns apart by spaces: for awk, cut and eyes alike
    Console(file=stream, width=UNBOUNDED, no_color=True, highlight=False).print(
        table, soft_wrap=True
    )


def in_line_order(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Problems by file (in the order files were read) and line; problems of the file as a
    whole (no line) first."""
    rank: dict[Any, int] = {}
    for problem in problems:
        rank.setdefault(problem.get("file"), len(rank))
    return sorted(problems, key=lambda p: (rank[p.get("file")], p.get("line") or 0))


def describe_problem(problem: dict[str, Any]) -> str:
    """``villages.csv:12 [bad_code] code: ... ('64.1')``: where, the code, the field, why."""
    where = ":".join(str(x) for x in (problem.get("file"), problem.get("line")) if x is not None)
    field = f" {problem['field']}:" if problem.get("field") else ""
    value = f" ({problem['value']!r})" if problem.get("value") is not None else ""
    return f"{where or '(file)'} [{problem.get('code')}]{field} {problem.get('message')}{value}"


def print_problems(console: Console, report: dict[str, Any]) -> None:
    """Errors then warnings, each with its code, in line order, and how many were not kept."""
    for label, key, count_key, colour in (
        ("error", "errors", "error_count", "red"),
        ("warning", "warnings", "warning_count", "yellow"),
    ):
        items = in_line_order(report.get(key) or [])
        total = int(report.get(count_key) or len(items))
        if not total:
            continue
        shown = f" (the first {len(items)})" if total > len(items) else ""
        console.print(f"[{colour}]{total} {label}(s){shown}:[/{colour}]")
        for item in items:
            console.print(f"  {describe_problem(item)}", markup=False, highlight=False)


def print_samples(console: Console, samples: list[dict[str, Any]], *, title: str) -> None:
    """The first changes of each kind (``counts.sample`` of a village job)."""
    if not samples:
        return
    console.print(f"{title}:")
    for entry in samples:
        old, new = entry.get("old_name"), entry.get("new_name")
        names = f"{old} -> {new}" if old and new else new or old or ""
        console.print(f"  {entry['change']:<10} {entry['code']:<14} {names}", markup=False)


def print_diff(diff: dict[str, dict[str, int]]) -> None:
    """A village import's changes by level, on stdout."""
    table = Table(title="changes by level")
    table.add_column("level")
    for kind in CHANGE_KINDS:
        table.add_column(kind, justify="right")
    for level, counts in diff.items():
        table.add_row(level, *(f"{counts[k]:,}" for k in CHANGE_KINDS))
    print_table(table)
