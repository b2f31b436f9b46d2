from celery import shared_task

from .services import document_revisions_prune


@shared_task
def document_revisions_prune_task() -> int:
    """Beat, hourly: old revisions beyond each document's newest ones are deleted."""
    return document_revisions_prune()
