"""Celery's side of /metrics: task outcomes and durations counted in the workers, and an
internal HTTP port a worker serves them on (RELAIS_WORKER_METRICS_PORT).

A worker is not a web process, so it has no /metrics route: its main process serves the
Prometheus text on that port (inside the network only, like the broker), summing its pool's
processes through PROMETHEUS_MULTIPROC_DIR when set (prefork children count in their files).
Queue lengths are read from the broker by the web's /metrics (ops.queues)."""

import logging
import time

from celery import signals
from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

from core.metrics import CELERY_TASK_DURATION, CELERY_TASKS

logger = logging.getLogger(__name__)
_started: dict[str, float] = {}


def _name(sender) -> str:
    return getattr(sender, "name", None) or "unknown"


def _on_prerun(task_id=None, **kwargs):
    _started[task_id] = time.perf_counter()


def _on_postrun(task_id=None, task=None, **kwargs):
    began = _started.pop(task_id, None)
    if began is not None:
        CELERY_TASK_DURATION.labels(_name(task)).observe(time.perf_counter() - began)


def _on_success(sender=None, **kwargs):
    CELERY_TASKS.labels(_name(sender), "succeeded").inc()


def _on_failure(sender=None, **kwargs):
    CELERY_TASKS.labels(_name(sender), "failed").inc()


def _on_retry(sender=None, **kwargs):
    CELERY_TASKS.labels(_name(sender), "retried").inc()


def _serve(sender=None, **kwargs):
    """In the worker's main process, once it is ready."""
    from django.conf import settings

    port = settings.RELAIS_WORKER_METRICS_PORT
    if not port:
        return
    registry = REGISTRY
    if settings.PROMETHEUS_MULTIPROC_DIR:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
    start_http_server(port, addr=settings.RELAIS_WORKER_METRICS_ADDRESS, registry=registry)
    logger.info("worker metrics on port %s", port)


def signals_connect() -> None:
    """Connected once (OpsConfig.ready): counting costs nothing where no task runs."""
    signals.task_prerun.connect(_on_prerun, weak=False, dispatch_uid="ops.metrics.prerun")
    signals.task_postrun.connect(_on_postrun, weak=False, dispatch_uid="ops.metrics.postrun")
    signals.task_success.connect(_on_success, weak=False, dispatch_uid="ops.metrics.success")
    signals.task_failure.connect(_on_failure, weak=False, dispatch_uid="ops.metrics.failure")
    signals.task_retry.connect(_on_retry, weak=False, dispatch_uid="ops.metrics.retry")
    signals.worker_ready.connect(_serve, weak=False, dispatch_uid="ops.metrics.serve")
