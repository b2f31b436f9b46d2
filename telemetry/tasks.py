from celery import shared_task

from .services.alerts import devices_offline_sweep
from .services.expiry import licenses_expiry_warn
from .services.maintenance import latest_metrics_flush, telemetry_prune, telemetry_rollup


@shared_task
def latest_metrics_flush_task() -> int:
    """Beat, every RELAIS_TELEMETRY_FLUSH_SECONDS: latest metrics from the cache to the
    database; alerts whose value recovered are resolved."""
    return latest_metrics_flush()


@shared_task
def devices_offline_sweep_task() -> dict:
    """Beat, every RELAIS_OFFLINE_SWEEP_SECONDS: offline alerts open and resolve."""
    return devices_offline_sweep()


@shared_task
def telemetry_rollup_task() -> int:
    """Beat, every RELAIS_TELEMETRY_ROLLUP_SECONDS: hourly rollups for the charts."""
    return telemetry_rollup()


@shared_task
def telemetry_prune_task() -> dict:
    """Beat, every RELAIS_TELEMETRY_PRUNE_SECONDS: retention, in bounded batches."""
    return telemetry_prune()


@shared_task
def licenses_expiry_warn_task() -> int:
    """Beat, hourly: `license.expiring` 30, 7 and 1 days ahead."""
    return licenses_expiry_warn()
