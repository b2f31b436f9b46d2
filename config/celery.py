"""The Celery app. The beat schedule is code, here, not rows in a database."""

import os

import environ
from celery import Celery, signals

env = environ.Env()

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("relais")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_soft_time_limit=300,
    task_time_limit=360,
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    timezone="UTC",
    beat_schedule={
        "sweep-webhook-deliveries": {
            "task": "webhooks.tasks.webhook_deliveries_sweep_task",
            "schedule": env.float("RELAIS_WEBHOOK_SWEEP_SECONDS", default=10.0),
        },
        # Deltas the task queued on publish did not make (a broker down at the time).
        "make-missing-deltas": {
            "task": "releases.tasks.deltas_sweep_task",
            "schedule": env.float("RELAIS_DELTA_SWEEP_SECONDS", default=600.0),
        },
        "advance-rollouts": {
            "task": "releases.tasks.rollouts_tick_task",
            "schedule": env.float("RELAIS_ROLLOUT_TICK_SECONDS", default=60.0),
        },
        "expire-device-commands": {
            "task": "commands.tasks.commands_expire_task",
            "schedule": env.float("RELAIS_COMMAND_SWEEP_SECONDS", default=300.0),
        },
        "free-silent-device-seats": {
            "task": "devices.tasks.device_seats_free_silent_task",
            "schedule": env.float("RELAIS_SEAT_SWEEP_SECONDS", default=300.0),
        },
        # Contacts noted in the cache by node routes reach the database (one bulk UPDATE).
        "flush-device-contacts": {
            "task": "devices.tasks.device_contacts_flush_task",
            "schedule": env.float("RELAIS_SEEN_INTERVAL_SECONDS", default=60.0),
        },
        # Telemetry: latest metrics from the cache to the database, then alerts resolved.
        "flush-latest-metrics": {
            "task": "telemetry.tasks.latest_metrics_flush_task",
            "schedule": env.float("RELAIS_TELEMETRY_FLUSH_SECONDS", default=10.0),
        },
        "sweep-offline-devices": {
            "task": "telemetry.tasks.devices_offline_sweep_task",
            "schedule": env.float("RELAIS_OFFLINE_SWEEP_SECONDS", default=60.0),
        },
        "roll-up-telemetry": {
            "task": "telemetry.tasks.telemetry_rollup_task",
            "schedule": env.float("RELAIS_TELEMETRY_ROLLUP_SECONDS", default=300.0),
        },
        "prune-telemetry": {
            "task": "telemetry.tasks.telemetry_prune_task",
            "schedule": env.float("RELAIS_TELEMETRY_PRUNE_SECONDS", default=600.0),
        },
        "prune-document-revisions": {
            "task": "documents.tasks.document_revisions_prune_task",
            "schedule": env.float("RELAIS_DOCUMENT_PRUNE_SECONDS", default=3600.0),
        },
        "warn-expiring-licenses": {
            "task": "telemetry.tasks.licenses_expiry_warn_task",
            "schedule": env.float("RELAIS_LICENSE_EXPIRY_SWEEP_SECONDS", default=3600.0),
        },
        # Notification digests: one email per recipient and RELAIS_NOTIFY_DIGEST_SECONDS.
        "send-notification-digests": {
            "task": "notifications.tasks.digests_send_task",
            "schedule": env.float("RELAIS_NOTIFY_SWEEP_SECONDS", default=60.0),
        },
    },
)
app.autodiscover_tasks()


@signals.setup_logging.connect
def _django_logging(**kwargs):
    """The worker and beat log through Django's LOGGING (JSON or text, capabilities masked,
    the request id of the request that queued the task) instead of Celery's own format."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
