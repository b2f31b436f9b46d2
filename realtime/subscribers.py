"""What realtime does when an event is published (registered in RealtimeConfig.ready()):
a queued command is pushed at once to its site's socket, a forced rollout whose cohort
grows (it starts, now or on schedule, or advances a stage) pushes `force-update` to the
devices that entered it, a document's change is pushed to the browsers whose publishable
key reads it (unless written with `notifyFrontend: false`), and a revoked key's sockets
are taken out of its room. All wait for the commit: a rolled-back change pushes nothing."""

from django.db import transaction

from core.models import Event
from core.tasks import queue_after_commit

COHORT_GROWS = ("rollout.started", "rollout.advanced")


def on_event(event: Event) -> None:
    if event.type == "command.queued":
        from .push import commands_nudge

        device_id = str(event.payload["deviceId"])
        transaction.on_commit(lambda: commands_nudge(device_id))
    elif event.type == "document.updated" and event.payload.get("notifyFrontend", True):
        from .browser import documents_push

        tenant_id, payload = str(event.tenant_id), dict(event.payload)
        transaction.on_commit(lambda: documents_push(tenant_id, payload))
    elif event.type == "publishable_key.revoked":
        from .browser import key_revoked

        key_id = str(event.payload["keyId"])
        transaction.on_commit(lambda: key_revoked(key_id))
    elif event.type in COHORT_GROWS and event.payload.get("forced"):
        from .tasks import force_update_push_task

        rollout_id, stage = str(event.payload["rolloutId"]), int(event.payload["stage"])
        queue_after_commit(force_update_push_task, rollout_id, stage)
