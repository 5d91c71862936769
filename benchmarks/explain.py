"""The SQL behind one request, and the plan of each statement (EXPLAIN ANALYZE, BUFFERS).

The Kopdes server of the benchmark records the statements its SQLAlchemy engine sends while
recording is on (see ``benchmarks.kopdes_server``); here one request of a scenario is made
between switching it on and off, and each distinct read statement is explained on the same
database with the parameters it ran with, in a transaction that is rolled back.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg

RECORDER = "/__bench__/statements"


@dataclass(frozen=True)
class Statement:
    sql: str
    parameters: Any
    executemany: bool


@dataclass(frozen=True)
class Recording:
    statements: list[Statement]
    pings: int  # connection checkouts that sent a liveness query first (pool_pre_ping)


def record(base: str, path: str, content: str) -> Recording:
    """The statements the server ran to answer one POST of ``content`` to ``path``."""
    with httpx.Client(base_url=base, timeout=60) as client:
        client.post(RECORDER).raise_for_status()
        try:
            client.post(path, content=content, headers={"content-type": "application/json"})
        finally:
            recorded = client.delete(RECORDER)
    recorded.raise_for_status()
    entries = recorded.json()
    return Recording(
        statements=[
            Statement(r["statement"], r["parameters"], bool(r["executemany"]))
            for r in entries
            if "statement" in r
        ],
        pings=sum(1 for r in entries if r.get("checkout")),
    )


def _shape(sql: str) -> str:
    """The statement without the number of its expanded IN parameters, to tell them apart."""
    return re.sub(r"\(%\(\w+\)s(?:, %\(\w+\)s)*\)", "(...)", " ".join(sql.split()))


def explain(database_url: str, statement: Statement) -> str:
    if statement.executemany or not re.match(r"\s*(SELECT|WITH)\b", statement.sql, re.I):
        return "(not explained: it is not a single read statement)"
    with psycopg.connect(database_url) as conn:
        try:
            rows = conn.execute(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement.sql,
                statement.parameters or None,
            ).fetchall()
        finally:
            conn.rollback()
    return "\n".join(str(row[0]) for row in rows)


def report(database_url: str, recorded: dict[str, Recording]) -> None:
    """Print each scenario's statements, then the plan of each distinct statement once."""
    print("\n== SQL per request and EXPLAIN (ANALYZE, BUFFERS) of each distinct statement ==")
    seen: dict[str, int] = {}
    for scenario, recording in recorded.items():
        pings = (
            f" and {recording.pings} connection checkout(s), each with a pre-ping round"
            " trip (pool_pre_ping: SELECT 1 before the statement)"
            if recording.pings
            else ""
        )
        print(f"\n-- {scenario}: {len(recording.statements)} statement(s) for one request{pings}")
        for statement in recording.statements:
            shape = _shape(statement.sql)
            first = shape not in seen
            if first:
                seen[shape] = len(seen) + 1
            number = seen[shape]
            print(f"\n[S{number}]")
            print(
                textwrap.fill(
                    shape,
                    width=100,
                    initial_indent="  ",
                    subsequent_indent="  ",
                    break_on_hyphens=False,
                )
            )
            if not first:
                print("      (explained above)")
                continue
            print(textwrap.indent(explain(database_url, statement), "      "))
