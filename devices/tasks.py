from celery import shared_task
from django.utils.dateparse import parse_datetime

from .services import device_seats_free_silent, device_touch


@shared_task
def device_seats_free_silent_task() -> int:
    """Beat, every five minutes: free seats of devices silent beyond their heartbeat window."""
    return device_seats_free_silent()


@shared_task
def device_touch_task(device_id: str, seen_at: str) -> int:
    """Record a device's contact seen on a hot path (see services.device_seen)."""
    return device_touch(device_id=device_id, seen_at=parse_datetime(seen_at))
