"""A request id on every log record of a request and of the tasks it queues.

The id is the client's `X-Request-ID` when it is well formed (a proxy's or a load
balancer's, so one id follows a request through every tier), else a new one; it is echoed in
the response. Tasks queued while a request runs carry it in a message header and the worker
logs under it, so `grep <id>` finds the request and the work it caused. Records logged
outside any request or task carry `-`."""

import contextvars
import logging
import re
import uuid

from celery import signals
from django.core.signals import request_finished

_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
HEADER = "relais_request_id"  # the task message header carrying it
NONE = "-"

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("relais_request_id", default=NONE)


def request_id() -> str:
    """The current request's (or task's) id, `-` outside both."""
    return _request_id.get()


def request_id_from(header: str | None) -> str:
    """`header` when it is a well-formed id (8 to 128 of letters, digits, `.`, `_`, `:`,
    `-`: no spaces, quotes or control characters to forge log lines with), else a new id."""
    if header and _WELL_FORMED.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Sets the request id for the request's records and echoes it as `X-Request-ID`.

    Kept until the request is finished (request_id_forget), not just while the middleware
    runs: Django logs a 4xx or 5xx (`django.request`) after the middleware chain returned."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        value = request_id_from(request.headers.get("X-Request-ID"))
        _request_id.set(value)
        response = self.get_response(request)
        response["X-Request-ID"] = value
        return response


def request_id_forget(**kwargs) -> None:
    """On request_finished: the thread's next records belong to no request."""
    _request_id.set(NONE)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (a handler filter: records of every logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


# --- Celery: the id travels in the task's headers -------------------------------------------

_task_tokens: dict[str, contextvars.Token] = {}


def _on_publish(headers=None, **kwargs):
    current = _request_id.get()
    if headers is not None and current != NONE:
        headers.setdefault(HEADER, current)


def _on_prerun(task_id=None, task=None, **kwargs):
    sent = getattr(task.request, HEADER, None) if task is not None else None
    if sent and _WELL_FORMED.fullmatch(str(sent)):
        _task_tokens[task_id] = _request_id.set(str(sent))


def _on_postrun(task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _request_id.reset(token)


def signals_connect() -> None:
    """Connected once (OpsConfig.ready), in web processes and workers alike."""
    request_finished.connect(request_id_forget, dispatch_uid="ops.request_id_forget")
    signals.before_task_publish.connect(_on_publish, weak=False, dispatch_uid="ops.publish")
    signals.task_prerun.connect(_on_prerun, weak=False, dispatch_uid="ops.prerun")
    signals.task_postrun.connect(_on_postrun, weak=False, dispatch_uid="ops.postrun")
