"""Locks on things that have no row yet."""

import hashlib

from django.db import connection


def advisory_xact_lock(*parts) -> None:
    """Hold, until the current transaction ends, a PostgreSQL advisory lock named by `parts`
    (e.g. a uniqueness a row about to be inserted must respect). Elsewhere nothing: SQLite
    runs write transactions one at a time (BEGIN IMMEDIATE)."""
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("advisory_xact_lock() outside a transaction holds nothing.")
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)]
        )
