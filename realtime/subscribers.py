"""What realtime does when an event is published (registered in RealtimeConfig.ready()):
a queued command is pushed at once to its site's socket, and a forced rollout whose cohort
grows (it starts, now or on schedule, or advances a stage) pushes `force-update` to the
devices that entered it. Both wait for the commit: a rolled-back change pushes nothing."""

from django.db import transaction

from core.models import Event
from core.tasks import queue_after_commit

COHORT_GROWS = ("rollout.started", "rollout.advanced")


def on_event(event: Event) -> None:
    if event.type == "command.queued":
        from .push import commands_nudge

        device_id = str(event.payload["deviceId"])
        transaction.on_commit(lambda: commands_nudge(device_id))
    elif event.type in COHORT_GROWS and event.payload.get("forced"):
        from .tasks import force_update_push_task

        rollout_id, stage = str(event.payload["rolloutId"]), int(event.payload["stage"])
        queue_after_commit(force_update_push_task, rollout_id, stage)
