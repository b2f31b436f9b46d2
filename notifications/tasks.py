from celery import shared_task

from .services.digests import digests_send


@shared_task
def digests_send_task() -> int:
    """Beat, every RELAIS_NOTIFY_SWEEP_SECONDS: the digests due, one email per recipient
    and RELAIS_NOTIFY_DIGEST_SECONDS."""
    return digests_send()
