"""Closed-loop load with wrk: fixed connections, random samples, identical for every side.

wrk (C, one event loop) costs a fraction of the CPU a Python generator does, which matters on
a 2-core machine where the generator and the server share the cores: an asyncio + httpx
generator used most of a core and made every server look slower than it is. Each side of a
comparison gets the same wrk, the same script (``loadgen.lua``), the same connections and the
same kind of body; only the URL, the body template and the samples differ.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "loadgen.lua"


@dataclass(frozen=True)
class Load:
    """What one side of a scenario is sent: ``body`` has ``@@`` where a sample goes."""

    url: str  # base, e.g. http://127.0.0.1:8765
    path: str
    body: str
    samples: tuple[str, ...]


@dataclass(frozen=True)
class Figures:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(
            "wrk is not installed: `apt-get update && apt-get install -y wrk` (Debian's package)"
        )
    return found


def run(load: Load, *, connections: int, seconds: float) -> Figures:
    """One wrk run; raises when wrk fails or prints no figures."""
    wrk = require_wrk()
    with tempfile.TemporaryDirectory(prefix="kopdes-wrk-") as folder:
        body = Path(folder, "body.json")
        body.write_text(load.body)
        samples = Path(folder, "samples.txt")
        samples.write_text("\n".join(load.samples) + "\n")
        completed = subprocess.run(
            [
                wrk,
                "--threads",
                "1",
                "--connections",
                str(connections),
                "--duration",
                f"{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "--script",
                str(SCRIPT),
                load.url,
                "--",
                load.path,
                str(body),
                str(samples),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    raw = json.loads(lines[-1])
    return Figures(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        errors=raw["socket_errors"] + raw["bad_answers"],
        p50_ms=raw["p50_us"] / 1000,
        p95_ms=raw["p95_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
    )


@dataclass(frozen=True)
class Summary:
    """The medians of several runs of one side (and every run's rate, to show the noise)."""

    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    requests: int
    rounds: tuple[float, ...]


def ratio(ours: Summary, reference: Summary) -> float:
    """Our rate over the reference's; 0 when the reference answered nothing."""
    return ours.rps / reference.rps if reference.rps > 0 else 0.0


def summarise(runs: list[Figures]) -> Summary:
    return Summary(
        rps=statistics.median(r.rps for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p95_ms=statistics.median(r.p95_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        errors=sum(r.errors for r in runs),
        requests=sum(r.requests for r in runs),
        rounds=tuple(r.rps for r in runs),
    )


def alternate(
    loads: dict[str, Load], *, connections: int, seconds: float, rounds: int, warmup: float
) -> dict[str, Summary]:
    """Warm every side up, then run the sides in turn (A, B, A, B, ...) and take medians, so
    the load of other processes on a shared machine falls on every side alike."""
    for load in loads.values():
        if warmup > 0:
            run(load, connections=connections, seconds=warmup)
    runs: dict[str, list[Figures]] = {name: [] for name in loads}
    for _ in range(rounds):
        for name, load in loads.items():
            runs[name].append(run(load, connections=connections, seconds=seconds))
    return {name: summarise(figures) for name, figures in runs.items()}
