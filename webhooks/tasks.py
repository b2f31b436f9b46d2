from celery import shared_task

from .commands import commands_expire
from .document_services import document_revisions_prune
from .webhooks import deliveries_sweep, endpoint_flush


@shared_task
def webhook_endpoint_flush_task(endpoint_id: str) -> int:
    """Send an endpoint's due deliveries in event order (queued after each publish)."""
    return endpoint_flush(endpoint_id=endpoint_id)


@shared_task
def webhook_deliveries_sweep_task() -> int:
    """Beat: queue a flush for every endpoint with a delivery due (retries, and whatever
    could not be queued while the broker was down)."""
    return deliveries_sweep()


@shared_task
def commands_expire_task() -> int:
    """Beat: open commands past their expiry become `expired`."""
    return commands_expire()


@shared_task
def document_revisions_prune_task() -> int:
    """Beat, hourly: old revisions beyond each document's newest ones are deleted."""
    return document_revisions_prune()


@shared_task
def force_update_push_task(rollout_id: str) -> int:
    """`force-update` to the devices a forced rollout at 100 % targets (ITStock push)."""
    from .force_update import push_forced_rollout

    return push_forced_rollout(rollout_id=rollout_id)
