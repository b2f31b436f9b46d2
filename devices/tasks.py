from celery import shared_task

from .services import device_seats_free_silent


@shared_task
def device_seats_free_silent_task() -> int:
    """Beat, every five minutes: free seats of devices silent beyond their heartbeat window."""
    return device_seats_free_silent()
