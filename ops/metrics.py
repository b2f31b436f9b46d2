"""The Prometheus exposition of /metrics: the counters apps move (core.metrics), summed over
the gunicorn workers in multiprocess mode, and the figures read from the database
(ops.selectors) and the broker (ops.queues) at scrape time. Celery workers serve their own
counters on an internal port (ops.worker).

Multiprocess mode: with PROMETHEUS_MULTIPROC_DIR set in the environment before the process
starts, prometheus-client keeps every counter in a memory-mapped file of that directory per
process, and a scrape (answered by any one worker) sums them (MultiProcessCollector).
docker/gunicorn.conf.py marks a worker's files dead when it exits; docker/entrypoint.sh
empties the directory at start."""

import logging

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from .queues import queue_lengths
from .selectors import product_slugs, rollouts_running, webhook_backlog

logger = logging.getLogger(__name__)


class _ProductsNamed:
    """The source's families, with relais_update_checks' `product_id` label replaced by
    the product's slug (`product`): one query per scrape, none per check."""

    def __init__(self, source):
        self.source = source

    def collect(self):
        for family in self.source.collect():
            if family.name == "relais_update_checks":
                ids = {s.labels["product_id"] for s in family.samples}
                slugs = product_slugs(ids) if ids else {}
                samples = []
                for sample in family.samples:
                    labels = dict(sample.labels)
                    product_id = labels.pop("product_id")
                    labels = {"product": slugs.get(product_id, f"#{product_id}"), **labels}
                    samples.append(sample._replace(labels=labels))
                family.samples = samples
            yield family


class _DatabaseFigures:
    """Webhook backlog and running rollouts, read at scrape time."""

    def collect(self):
        backlog = webhook_backlog()
        deliveries = GaugeMetricFamily(
            "relais_webhook_deliveries",
            "Webhook deliveries waiting to be sent (pending) or given up (failed).",
            labels=["status"],
        )
        deliveries.add_metric(["pending"], backlog["pending"])
        deliveries.add_metric(["failed"], backlog["failed"])
        yield deliveries
        yield GaugeMetricFamily(
            "relais_webhook_endpoints_disabled",
            "Webhook endpoints disabled (by staff or after failing too long).",
            value=backlog["disabled_endpoints"],
        )
        labels = ["rollout", "product", "version"]
        percent = GaugeMetricFamily(
            "relais_rollout_percent",
            "Share of the fleet a running rollout offers to.",
            labels=labels,
        )
        failure = GaugeMetricFamily(
            "relais_rollout_failure_rate_percent",
            "Percent of a running rollout's finished update sessions that failed.",
            labels=labels,
        )
        finished = GaugeMetricFamily(
            "relais_rollout_sessions_finished",
            "Finished update sessions of a running rollout's release.",
            labels=labels,
        )
        for rollout in rollouts_running():
            values = [rollout["id"], rollout["product"], rollout["version"]]
            percent.add_metric(values, rollout["percent"])
            failure.add_metric(values, rollout["failure_rate"])
            finished.add_metric(values, rollout["finished"])
        yield from (percent, failure, finished)


class _BrokerFigures:
    """Celery queue lengths, read from the broker at scrape time."""

    def collect(self):
        from django.conf import settings

        lengths = queue_lengths(timeout=settings.RELAIS_READY_TIMEOUT)
        yield GaugeMetricFamily(
            "relais_celery_broker_up",
            "1 when the Celery broker answered this scrape, else 0.",
            value=0 if lengths is None else 1,
        )
        family = GaugeMetricFamily(
            "relais_celery_queue_length", "Celery messages waiting, per queue.", labels=["queue"]
        )
        for queue, length in (lengths or {}).items():
            family.add_metric([queue], length)
        yield family


def metrics_exposition(*, multiprocess_dir: str = "") -> bytes:
    """The text format of every Relais metric; `multiprocess_dir`: sum the processes' files
    there instead of reading this process's counters."""
    source = MultiProcessCollector(None, path=multiprocess_dir) if multiprocess_dir else REGISTRY
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ProductsNamed(source))
    registry.register(_DatabaseFigures())
    registry.register(_BrokerFigures())
    return generate_latest(registry)
