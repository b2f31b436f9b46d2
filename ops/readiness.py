"""Readiness: the database, the cache (Redis when REDIS_URL is set) and the storage, each
within a short timeout, all at once.

Each check runs in its own thread joined with the timeout: a server that accepts a
connection and never answers makes the probe fail on time instead of holding it (and the
orchestrator's probe) until the client library gives up. A check still blocked is left to
end in its daemon thread; its database connection is that thread's and is closed with it."""

import threading

from django.db import connections

from core.api.health import CHECKS


def _run(check, into: dict, name: str) -> None:
    try:
        check()
        into[name] = "ok"
    except Exception as exc:  # noqa: BLE001 - a probe reports, it never raises
        into[name] = f"error: {type(exc).__name__}"
    finally:
        connections.close_all()  # this thread's connections only


def readiness_check(*, timeout: float) -> dict[str, str]:
    """{check name: "ok", "error: <class>" or "error: timeout"} for database, cache, storage."""
    results: dict[str, str] = {}
    threads = [
        threading.Thread(target=_run, args=(check, results, name), daemon=True)
        for name, check in CHECKS.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)  # all started together: the whole probe waits at most ~timeout
    return {name: results.get(name, "error: timeout") for name in CHECKS}
