"""Which failures of a job are worth another attempt.

*Transient* failures come from the machinery, not the job: a lost or refused database
connection, a deadlock or serialization failure that PostgreSQL asks to retry, the broker
out of reach. The same job may well succeed a moment later, so it is retried with backoff.

Everything else is *permanent*: a refusal (``ServiceError``, ``JobFailed``), bad input, or a
fault in the code. Running it again would fail the same way, so the job fails at once with
the reason.
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

# PostgreSQL's SQLSTATEs that say "try the transaction again": deadlock detected,
# serialization failure; and the class of connection exceptions (08xxx), the operator
# intervention class (57P0x: admin shutdown, crash shutdown, cannot connect now, database
# dropped... ALLOW_CONNECTIONS false answers 55000 "not currently accepting connections").
RETRY_SQLSTATES = frozenset({"40P01", "40001", "55000", "57P01", "57P02", "57P03"})
_RETRY_SQLSTATE_CLASSES = ("08",)


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    for candidate in (orig, exc):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


def _transient_one(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError):
        state = _sqlstate(exc)
        if state is not None and (
            state in RETRY_SQLSTATES or state.startswith(_RETRY_SQLSTATE_CLASSES)
        ):
            return True
        if exc.connection_invalidated:
            return True
        # Lost connections without a SQLSTATE (the server went away mid-query), SQLite's
        # "database is locked" after its busy timeout.
        return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True  # no pooled connection came free in time; the server went away
    try:
        import redis
    except ImportError:  # pragma: no cover - redis is a dependency
        return False
    return isinstance(exc, redis.ConnectionError | redis.TimeoutError)


def is_transient(exc: BaseException) -> bool:
    """Whether a job that failed with ``exc`` should be tried again (see the module's doc).

    The exception's causes count too: a connection lost under a flow's own exception
    (raised while handling it) is still a lost connection.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _transient_one(current):
            return True
        current = current.__cause__ or current.__context__
    return False
