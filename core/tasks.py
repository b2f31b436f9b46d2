"""Queuing a task from a request without ever waiting long on, or failing with, the broker.

A down broker must delay background work, never a caller's answer: work queued here is
also found by a beat sweep (the outbox pattern), so a message that could not be sent is
only late. Each send uses its own connection with short connect and socket timeouts and
no connection retries (kombu's defaults retry for seconds, and its Redis transport waits
forever on a broker that accepts connections but never answers). After a failure, sends
are skipped for RELAIS_BROKER_RETRY_AFTER seconds: a request that queues several tasks,
or a burst of requests, pays the timeout once, not once per task."""

import contextlib
import contextvars
import logging
import time

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

_down_until = 0.0  # per process: monotonic time before which the broker is not tried


def broker_transport_options(timeout: float) -> dict:
    """Timeouts for whichever transport is configured (Redis reads the socket ones)."""
    return {
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
        "max_retries": 0,
    }


# Set while a node route runs: node routes never talk to the broker (not even for the
# short connect timeout below, nor a connection per event); what they would queue is found
# by the beat sweeps instead (webhook deliveries within RELAIS_WEBHOOK_SWEEP_SECONDS).
_left_to_sweeps = contextvars.ContextVar("relais_left_to_sweeps", default=False)


@contextlib.contextmanager
def left_to_sweeps():
    """Within this block, `queue_after_commit` queues nothing: the outbox's sweep sends it."""
    token = _left_to_sweeps.set(True)
    try:
        yield
    finally:
        _left_to_sweeps.reset(token)


def queue_now(task, *args) -> bool:
    """Send `task(*args)` to the broker; False (logged) when the broker cannot take it."""
    global _down_until
    app = task.app
    if app.conf.task_always_eager:
        task.apply_async(args=args)
        return True
    if time.monotonic() < _down_until:
        return False
    timeout = settings.RELAIS_BROKER_CONNECT_TIMEOUT
    options = dict(app.conf.broker_transport_options or {}, **broker_transport_options(timeout))
    try:
        with app.connection_for_write(
            connect_timeout=timeout, transport_options=options
        ) as connection:
            connection.ensure_connection(max_retries=0, timeout=timeout)
            task.apply_async(args=args, connection=connection, retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the sweep catches up
        _down_until = time.monotonic() + settings.RELAIS_BROKER_RETRY_AFTER
        logger.warning("Not queued (%s: %s); the sweep will pick it up.", task.name, exc)
        return False
    return True


def queue_after_commit(task, *args) -> None:
    """`queue_now` once the current transaction commits (at once outside one); nothing
    within `left_to_sweeps` (a node route)."""
    if _left_to_sweeps.get():
        return
    transaction.on_commit(lambda: queue_now(task, *args))
