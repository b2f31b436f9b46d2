"""What realtime does when an event is published (registered in RealtimeConfig.ready()):
a queued command is pushed at once to its site's socket, a forced rollout that starts
pushes `force-update` to its devices, a document's change is pushed to the browsers whose
publishable key reads it (unless written with `notifyFrontend: false`), and a revoked
key's sockets are taken out of its room. All wait for the commit: a rolled-back change
pushes nothing."""

from django.db import transaction

from core.models import Event
from core.tasks import queue_after_commit


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
    elif event.type == "update.forced" and event.payload.get("status") == "running":
        from .tasks import force_update_push_task

        queue_after_commit(force_update_push_task, str(event.payload["rolloutId"]))
