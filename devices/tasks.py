from celery import shared_task
from django.utils.dateparse import parse_datetime

from .services.devices import device_contacts_flush, device_seats_free_silent, device_touch


@shared_task
def device_seats_free_silent_task() -> int:
    """Beat, every RELAIS_SEAT_SWEEP_SECONDS: free seats of devices silent beyond their
    heartbeat window (contacts still in the cache are written first)."""
    device_contacts_flush()
    return device_seats_free_silent()


@shared_task
def device_contacts_flush_task() -> int:
    """Beat, every RELAIS_SEEN_INTERVAL_SECONDS: contacts noted in the cache by hot paths
    reach `Device.last_seen_at` (see contacts.py)."""
    return device_contacts_flush()


@shared_task
def device_touch_task(device_id: str, seen_at: str) -> int:
    """Kept for messages queued by earlier versions (one per contact); nothing queues it now."""
    return device_touch(device_id=device_id, seen_at=parse_datetime(seen_at))
