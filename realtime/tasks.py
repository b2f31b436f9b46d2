from celery import shared_task

from .force_update import push_forced_rollout


@shared_task
def force_update_push_task(rollout_id: str, stage: int | None = None) -> int:
    """`force-update` to the devices that entered a forced rollout's cohort at `stage`."""
    return push_forced_rollout(rollout_id=rollout_id, stage=stage)
