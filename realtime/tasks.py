from celery import shared_task

from .force_update import push_forced_rollout


@shared_task
def force_update_push_task(rollout_id: str) -> int:
    """`force-update` to the devices a forced rollout at 100 % targets (ITStock push)."""
    return push_forced_rollout(rollout_id=rollout_id)
