"""The API benchmark's scenarios: queries, sides, targets, samples and the equality checks.

Every side of a scenario is sent the same kind of body through the same load generator; the
answers are compared before anything is timed, after normalising what differs only in shape
(PostGraphile reaches villages through the join table and numbers its ids; Kopdes gives
global ids), so a fast wrong answer cannot win.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg

from benchmarks.loadgen import Load

PROFILE = """query Profile($id: ID!) {
  cooperative(id: $id) { id name villages { code name kind } }
}"""

# PostGraphile 4 without plugins has no many-to-many field: the villages of a cooperative
# are reached through its `cooperative_villages` rows (the join table), each row's village by
# its foreign key. The same rows and columns as Kopdes's `villages`; its connection is ordered
# by the join table's primary key, so the comparison sorts villages by code.
POSTGRAPHILE_PROFILE = """query Profile($id: Int!) {
  cooperativeById(id: $id) {
    id name
    cooperativeVillagesByCooperativeId { nodes { regionByVillageId { code name kind } } }
  }
}"""

PAGE = """query Page($region: String!) {
  cooperatives(first: 100, filter: {regionCode: $region}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name kind villages { code name kind } } }
  }
}"""

COVERAGE_FIELDS = (
    "activeVillages desaCount kelurahanCount coveredVillages coveragePercent"
    " cooperatives kdmp kkmp mergers mockups stale computedAt"
)
DASHBOARD = f"""query Dashboard {{
  provinces {{
    code name
    coverage {{ {COVERAGE_FIELDS} }}
    children(first: 100) {{ edges {{ node {{ code name coverage {{ {COVERAGE_FIELDS} }} }} }} }}
  }}
}}"""

TYPENAME = "{ __typename }"

SAMPLE = "@@"  # where loadgen.lua puts the sample of each request


def body(query: str, variables: dict[str, Any] | None = None) -> str:
    """A GraphQL request body; a variable given as ``SAMPLE`` (or ``int(SAMPLE)``, written
    ``"@@int"``) is filled in per request by the load generator."""
    text = json.dumps({"query": query, "variables": variables or {}}, separators=(",", ":"))
    return text.replace('"@@int"', SAMPLE)


# The sample of a request that takes none: loadgen.lua needs a place and a sample, and a
# space after the JSON body changes nothing.
NO_SAMPLE = (" ",)


def fixed(request: str) -> str:
    """The template of a body that is the same for every request."""
    return request + SAMPLE


def fill(template: str, sample: str) -> str:
    return template.replace(SAMPLE, sample, 1)


# --- normalising answers -------------------------------------------------------------------


class BadAnswer(Exception):
    pass


def _data(content: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(content)
    except ValueError as exc:
        raise BadAnswer(f"not JSON: {content[:200]!r}") from exc
    if not isinstance(answer, dict) or answer.get("errors") or "data" not in answer:
        raise BadAnswer(f"errors or no data: {content[:300]!r}")
    data: dict[str, Any] = answer["data"]
    return data


def _villages(villages: list[dict[str, Any]]) -> tuple[tuple[str, str, str], ...]:
    return tuple(sorted((v["code"], v["name"], v["kind"]) for v in villages))


def database_id(global_id: str) -> int:
    raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    kind, _, key = raw.partition(":")
    if kind != "Cooperative":
        raise BadAnswer(f"not a cooperative id: {global_id}")
    return int(key)


def kopdes_profile(content: bytes) -> Any:
    found = _data(content).get("cooperative")
    if found is None:
        raise BadAnswer("no cooperative")
    return (database_id(found["id"]), found["name"], _villages(found["villages"]))


def postgraphile_profile(content: bytes) -> Any:
    found = _data(content).get("cooperativeById")
    if found is None:
        raise BadAnswer("no cooperative")
    links = found["cooperativeVillagesByCooperativeId"]["nodes"]
    return (found["id"], found["name"], _villages([link["regionByVillageId"] for link in links]))


def same_data(content: bytes) -> Any:
    """The parsed ``data`` (for sides that answer in the same shape)."""
    return _data(content)


def page_data(content: bytes) -> Any:
    data = _data(content)
    if not data["cooperatives"]["edges"]:
        raise BadAnswer("an empty page: the samples should hold regencies with cooperatives")
    return data


def dashboard_bytes(content: bytes) -> Any:
    data = _data(content)
    provinces = data["provinces"]
    regencies = sum(len(p["children"]["edges"]) for p in provinces)
    if len(provinces) != 38 or regencies < 500:
        raise BadAnswer(f"{len(provinces)} provinces, {regencies} regencies: not the national set")
    return content  # the static side must return these very bytes


# --- scenarios -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    name: str
    load: Load
    normalise: Callable[[bytes], Any]
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    sides: tuple[Side, ...]  # Kopdes first
    target_side: str
    target: float
    also: tuple[str, ...] = ()  # other sides whose ratio is printed, without a target

    def side(self, name: str) -> Side:
        return next(s for s in self.sides if s.name == name)


def check(scenario: Scenario, count: int) -> list[str]:
    """Ask every side the same ``count`` samples; the problems found (none when all agree)."""
    problems: list[str] = []
    first = scenario.sides[0]
    samples = first.load.samples[:count]
    with httpx.Client(timeout=60) as client:
        for sample in samples:
            answers: dict[str, Any] = {}
            for side in scenario.sides:
                response = client.post(
                    side.load.url + side.load.path,
                    content=fill(side.load.body, sample),
                    headers={"content-type": "application/json", **dict(side.headers)},
                )
                try:
                    if response.status_code != 200:
                        raise BadAnswer(f"status {response.status_code}: {response.text[:300]}")
                    answers[side.name] = side.normalise(response.content)
                except BadAnswer as exc:
                    problems.append(f"{side.name}, sample {sample}: {exc}")
            expected = answers.get(first.name)
            for name, answer in answers.items():
                if expected is not None and answer != expected:
                    problems.append(f"{name} differs from {first.name} on sample {sample}")
    return problems


# --- samples -------------------------------------------------------------------------------


def sample_ids(database_url: str, count: int, seed: int) -> list[str]:
    with psycopg.connect(database_url) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM cooperatives ORDER BY id")]
    if not ids:
        raise SystemExit("the database has no cooperatives: run with --setup")
    return [str(i) for i in random.Random(seed).sample(ids, min(count, len(ids)))]


def sample_regencies(database_url: str, seed: int) -> list[str]:
    """Every regency that has at least one cooperative: the one with the most first (its
    request is the one explained, the heaviest plan), the others in random order."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT r.regency_code, count(*) FROM cooperative_villages cv"
            " JOIN regions r ON r.id = cv.village_id"
            " WHERE r.regency_code IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()
    codes = [row[0] for row in rows]
    rest = codes[1:]
    random.Random(seed).shuffle(rest)
    return codes[:1] + rest
