from celery import shared_task

from .services import commands_expire


@shared_task
def commands_expire_task() -> int:
    """Beat: open commands past their expiry become `expired`."""
    return commands_expire()
