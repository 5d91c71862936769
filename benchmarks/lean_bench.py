"""Strawberry's view against the lean-path prototype, side by side in one run.

    python -m benchmarks.lean_bench [--only typename] [--seconds 8] [--rounds 3]

Processes on the national database: Kopdes as it is (``benchmarks.kopdes_server``), the same
app with the prototype's fast path for queries (``benchmarks.lean_prototype``), Strawberry's
stock view (the reference of the ``{ __typename }`` target), and uvicorn returning the
``{ __typename }`` answer's bytes without any work (the floor of this machine). Before timing, the
prototype must answer exactly as Kopdes does: the samples of each scenario, and requests that
fail (a syntax error, an unknown field, a query over the cost budget, a bad id that a
resolver refuses), status code and body alike. Figures only; no target is enforced here
(``benchmarks.api`` holds the targets).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys

import httpx

from benchmarks import loadgen, servers
from benchmarks.api import DEFAULT_DATABASE, SERVER_ENV, prepare_database, print_figures
from benchmarks.loadgen import Load
from benchmarks.scenarios import (
    NO_SAMPLE,
    PAGE,
    PROFILE,
    SAMPLE,
    TYPENAME,
    body,
    fill,
    fixed,
    sample_ids,
    sample_regencies,
)

SCENARIOS = ("typename", "profile", "page")
JSON = "application/json"

# Requests whose answers come from the error paths: the prototype hands the first three to
# the view (parse, validation, cost) and answers the last itself (a resolver's error).
FAILING = (
    json.dumps({"query": "{ provinces { code "}),
    json.dumps({"query": "{ nope }"}),
    json.dumps(
        {
            "query": "{ cooperatives(first: 500) { edges { node { villages { cooperatives"
            " { villages { code } } } } } } }"
        }
    ),
    json.dumps({"query": PROFILE, "variables": {"id": "not-an-id"}}),
)


def same_answers(kopdes: str, lean: str, requests: list[str]) -> list[str]:
    problems = []
    with httpx.Client(timeout=60) as client:
        for request in requests:
            for accept in ("application/json", "application/graphql-response+json"):
                headers = {"content-type": "application/json", "accept": accept}
                a = client.post(kopdes + "/graphql", content=request, headers=headers)
                b = client.post(lean + "/graphql", content=request, headers=headers)
                if (a.status_code, a.headers["content-type"], a.json()) != (
                    b.status_code,
                    b.headers["content-type"],
                    b.json(),
                ):
                    problems.append(
                        f"{request[:80]} ({accept}): kopdes {a.status_code} {a.text[:200]}"
                        f" | prototype {b.status_code} {b.text[:200]}"
                    )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--only", action="append", choices=SCENARIOS)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    loadgen.require_wrk()
    prepare_database(args.database_url, setup=False, recreate=False)
    env = {"KOPDES_DATABASE_URL": args.database_url, **SERVER_ENV}
    ids = tuple(sample_ids(args.database_url, 2000, seed=12))
    regencies = tuple(sample_regencies(args.database_url, seed=12))
    with contextlib.ExitStack() as stack:

        def start(name: str, module: str, *extra: str) -> str:
            port = servers.free_port()
            argv = servers.python_module(module, "--port", str(port), *extra)
            server = servers.start(name, argv, port=port, env=env)
            stack.callback(server.stop)
            return server.base

        kopdes = start("kopdes", "benchmarks.kopdes_server")
        lean = start("prototype", "benchmarks.lean_prototype")
        stock = start("stock", "benchmarks.kopdes_server", "--stock")
        # The floor: uvicorn answering the same bytes without any work (what no GraphQL
        # path can beat on this machine).
        typename_answer = httpx.post(
            kopdes + "/graphql", content=body(TYPENAME), headers={"content-type": JSON}
        ).content
        floor_file = servers.LOG_DIR / "typename.json"
        floor_file.write_bytes(typename_answer)
        floor = start("floor", "benchmarks.reference_app", "--static-file", str(floor_file))
        problems = same_answers(kopdes, lean, list(FAILING))
        for key in args.only or SCENARIOS:
            samples: tuple[str, ...]
            if key == "typename":
                template, samples = fixed(body(TYPENAME)), NO_SAMPLE
            elif key == "profile":
                template, samples = body(PROFILE, {"id": SAMPLE}), ids
            else:
                template, samples = body(PAGE, {"region": SAMPLE}), regencies
            print(f"\n== {key} ==", flush=True)
            problems += same_answers(kopdes, lean, [fill(template, s) for s in samples[:20]])
            if problems:
                print("the prototype answers differently:\n  " + "\n  ".join(problems[:10]))
                return 1
            loads = {
                "kopdes (strawberry view)": Load(kopdes, "/graphql", template, samples),
                "lean prototype": Load(lean, "/graphql", template, samples),
            }
            if key == "typename":
                loads["strawberry stock view"] = Load(stock, "/graphql", template, samples)
                loads["uvicorn floor (bytes)"] = Load(floor, "/static", template, samples)
            figures = loadgen.alternate(
                loads,
                connections=args.connections,
                seconds=args.seconds,
                rounds=args.rounds,
                warmup=args.warmup,
            )
            print_figures(figures)
            names = list(figures)
            for other in names[:1] + names[2:]:
                ratio = loadgen.ratio(figures["lean prototype"], figures[other])
                print(f"  ratio lean prototype / {other}: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
