import logging

from celery import shared_task

from releases.services.rollouts import rollout_tick, rollouts_due

logger = logging.getLogger(__name__)


@shared_task
def rollouts_tick_task() -> dict:
    """Beat, every minute: start, advance, complete or halt each rollout that is due. Each
    rollout in its own transaction, so one failing does not hold the others back; two
    ticks at once are safe (see rollouts.py)."""
    done = {}
    for rollout_id in rollouts_due():
        try:
            outcome = rollout_tick(rollout_id=rollout_id)
        except Exception:
            logger.exception("Rollout %s: tick failed", rollout_id)
            continue
        if outcome:
            done[str(rollout_id)] = outcome
    return done


@shared_task
def release_deltas_make_task(release_id: str) -> int:
    """Queued after a release is published: its artifacts' binary deltas."""
    from releases.services.deltas import release_deltas_make

    return release_deltas_make(release_id=release_id)


@shared_task
def deltas_sweep_task() -> int:
    """Beat: the deltas whose task, queued on publish, never ran."""
    from releases.services.deltas import deltas_sweep

    return deltas_sweep()
