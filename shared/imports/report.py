"""A finished import job as one JSON-able object, for scripts (``kopdes import ... --json``)."""

from __future__ import annotations

from typing import Any

from shared.imports.problems import PROBLEM_KEYS
from shared.models import ImportJob


def job_report(job: ImportJob, *, problem_keys: tuple[str, ...] = PROBLEM_KEYS) -> dict[str, Any]:
    """What every import reports: its status, message, problems (the kept ones, each with
    ``problem_keys``) and timings. Each import kind adds its own figures."""

    def shown(problems: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        return [{key: problem.get(key) for key in problem_keys} for problem in problems or []]

    return {
        "status": job.status.value,
        "dry_run": job.dry_run,
        "message": job.message,
        "error_count": job.error_count,
        "errors": shown(job.errors),
        "warning_count": job.warning_count,
        "warnings": shown(job.warnings),
        "timings": job.timings or {},
    }
