from celery import shared_task

from .services import deliveries_sweep, endpoint_flush


@shared_task
def webhook_endpoint_flush_task(endpoint_id: str) -> int:
    """Send an endpoint's due deliveries in event order (queued after each publish)."""
    return endpoint_flush(endpoint_id=endpoint_id)


@shared_task
def webhook_deliveries_sweep_task() -> int:
    """Beat: queue a flush for every endpoint with a delivery due (retries, and whatever
    could not be queued while the broker was down)."""
    return deliveries_sweep()
