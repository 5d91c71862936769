"""Logging: plain text for people, one JSON object a line for machines, with its context.

One configuration for every process (the API's, each ``kopdes worker`` process, the CLI):
:func:`configure_logging`. Every line carries the context it was written in: a request's id
(set by ``api.access_log``), or a job's ``job_id``, ``kind`` and ``attempt`` (set by the
worker's message middleware and the job runner through :func:`job_context`).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from shared.config import LogFormat, Settings

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
# The job a line is written for: {"job_id": 12, "kind": "villages", "attempt": 2}.
job_var: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("job", default=None)

JOB_FIELDS = ("job_id", "kind", "attempt")
_STANDARD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "context"}
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(context)s] %(message)s"


@contextlib.contextmanager
def job_context(**fields: Any) -> Iterator[None]:
    """Lines logged inside carry these job fields (on top of any already set)."""
    current = job_var.get() or {}
    token = job_var.set({**current, **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        job_var.reset(token)


class ContextFilter(logging.Filter):
    """Puts the request id and the job fields of the current context on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        job = job_var.get()
        for key, value in (job or {}).items():
            if getattr(record, key, None) is None:
                setattr(record, key, value)
        parts = [f"{k}={getattr(record, k)}" for k in JOB_FIELDS if hasattr(record, k)]
        record.context = getattr(record, "request_id", None) or " ".join(parts) or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and value is not None:
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    """Install the one handler on the root logger (replacing any: Dramatiq's, uvicorn's)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ContextFilter())
    if settings.log_format == LogFormat.json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # uvicorn's access line knows nothing of operations or keys: api.access_log replaces it.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "dramatiq"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
