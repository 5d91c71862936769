"""Keep a local copy of the cooperatives your Kopdes key may see: a full export once, then
the change feed from the export's cursor. Standard library only (Python 3.11+).

    python sync_client.py --url https://kopdes.example --key kdp_... --state kopdes.json

Run it as often as you like (from cron, say): the first run exports, later runs read only
what changed. The state file holds the profiles by id and the feed cursor.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

# What this copy keeps of a profile: a few fields, from the export's records and from the API.
PROFILE = """databaseId name stage officers { role name } legalIdentifiers { npwp nib }
  financingReadiness { ready }"""
START = """mutation { startExport(input: {dataset: COOPERATIVES, format: NDJSON}) {
  job { id } userErrors { code field message } } }"""
JOB = "query($id: ID!) { exportJob(id: $id) { status message downloadUrl manifest } }"
FEED = """query($after: String) { changes(after: $after, first: 200) {
  edges { node { type entityType entityId entityKey } } pageInfo { hasNextPage endCursor } } }"""
ONE = "query($id: ID!) { cooperative(id: $id) { " + PROFILE + " } }"


class CursorExpired(Exception):
    """The feed no longer holds the events after our cursor: export again."""


class Kopdes:
    def __init__(self, url: str, key: str) -> None:
        if not url.startswith(("http://", "https://")):
            raise SystemExit(f"--url must be http(s)://..., not {url!r}")
        self.url = url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def get(self, path: str) -> bytes:
        request = urllib.request.Request(self.url + path, headers=self.headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return bytes(response.read())

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": variables}).encode()
        request = urllib.request.Request(self.url + "/graphql", body, self.headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            answer: dict[str, Any] = json.load(response)
        for error in answer.get("errors") or []:
            if error.get("extensions", {}).get("code") == "CURSOR_EXPIRED":
                raise CursorExpired(error["message"])
            raise RuntimeError(f"{error.get('extensions', {}).get('code')}: {error['message']}")
        return answer["data"]


def from_export(r: dict[str, Any]) -> dict[str, Any]:
    ids = r["legal_identifiers"]
    return {
        "name": r["name"],
        "stage": r["stage"],
        "officers": [f"{o['role']}: {o['name']}" for o in r["officers"]],
        "npwp": ids["npwp"],
        "nib": ids["nib"],
        "financing_ready": r["financing_readiness"]["ready"],
    }


def from_api(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": p["name"],
        "stage": p["stage"],
        "officers": [f"{o['role']}: {o['name']}" for o in p["officers"]],
        "npwp": p["legalIdentifiers"]["npwp"],
        "nib": p["legalIdentifiers"]["nib"],
        "financing_ready": p["financingReadiness"]["ready"],
    }


def full_export(api: Kopdes) -> tuple[dict[str, Any], str]:
    """Every cooperative in the key's scope, and the feed cursor to continue from."""
    started = api.graphql(START)["startExport"]
    if started["userErrors"]:
        raise RuntimeError(started["userErrors"])
    while True:
        job = api.graphql(JOB, id=started["job"]["id"])["exportJob"]
        if job["status"] == "succeeded":
            break
        if job["status"] == "failed":
            raise RuntimeError(job["message"])
        time.sleep(1)
    lines = api.get(job["downloadUrl"]).decode("utf-8").splitlines()
    records = {str(r["id"]): from_export(r) for r in map(json.loads, lines)}
    return records, job["manifest"]["changes_cursor"]


def follow_feed(api: Kopdes, state: dict[str, Any]) -> int:
    """Apply the changes after the state's cursor; returns how many events were read."""
    seen = 0
    while True:
        page = api.graphql(FEED, after=state["cursor"])["changes"]
        for edge in page["edges"]:
            event = edge["node"]
            seen += 1
            if event["entityType"] != "Cooperative":
                continue  # proposals, villages, coverage: not kept in this copy
            profile = api.graphql(ONE, id=event["entityId"])["cooperative"]
            if profile is None:  # it left the key's scope
                state["profiles"].pop(event["entityKey"], None)
            else:
                state["profiles"][event["entityKey"]] = from_api(profile)
        state["cursor"] = page["pageInfo"]["endCursor"] or state["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            return seen


def sync(api: Kopdes, state_file: Path) -> dict[str, Any]:
    state = json.loads(state_file.read_text()) if state_file.exists() else None
    if state is not None:
        try:
            state["events"] = follow_feed(api, state)
        except CursorExpired:
            state = None  # too long away: start again from a fresh export
    if state is None:
        records, cursor = full_export(api)
        state = {"cursor": cursor, "profiles": records, "events": 0}
    state_file.write_text(json.dumps(state, ensure_ascii=False, indent=1))
    return state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--state", type=Path, default=Path("kopdes.json"))
    args = parser.parse_args()
    state = sync(Kopdes(args.url, args.key), args.state)
    print(json.dumps({"cooperatives": len(state["profiles"]), "events": state["events"]}))


if __name__ == "__main__":
    try:
        main()
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"HTTP {exc.code}: {exc.read().decode(errors='replace')}") from None
