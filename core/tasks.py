"""Queuing a task from a request without ever waiting on, or failing with, the broker.

A down broker must delay background work, never a caller's answer: work queued here is
also found by a beat sweep (the outbox pattern), so a message that could not be sent is
only late. Each send uses its own connection with a short connect timeout and no
connection retries (kombu's defaults retry for seconds before giving up)."""

import logging

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def queue_now(task, *args) -> bool:
    """Send `task(*args)` to the broker; False (logged) when the broker cannot take it."""
    app = task.app
    if app.conf.task_always_eager:
        task.apply_async(args=args)
        return True
    timeout = settings.RELAIS_BROKER_CONNECT_TIMEOUT
    try:
        with app.connection_for_write(connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=0, timeout=timeout)
            task.apply_async(args=args, connection=connection, retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the sweep catches up
        logger.warning("Not queued (%s: %s); the sweep will pick it up.", task.name, exc)
        return False
    return True


def queue_after_commit(task, *args) -> None:
    """`queue_now` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: queue_now(task, *args))
