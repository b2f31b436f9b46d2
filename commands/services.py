"""Remote commands: one set of services behind the admin, the management API, the HTTP
polling routes and the Socket.IO handlers.

`queued → delivered → succeeded | failed`; an open command is `cancelled` by staff or
`expired` by the beat sweep. Delivery is claimed with a conditional update, so a command
is handed out once whether it is polled or pushed, from any number of processes."""

import hashlib
import logging
import os
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApiError
from core.services import events
from devices.models import Device
from devices.windows import window_open
from releases.links import artifact_url, presigned_url
from releases.models import Release, UpdateSession
from releases.services.sessions import session_id, session_report

from .command_types import command_data_clean, json_size
from .models import DeviceCommand, MediaVideo, SiteVideo, video_upload_to
from .selectors import release_artifact_for

logger = logging.getLogger(__name__)
C = DeviceCommand.Status
# Commands that update the device: delivered only inside its maintenance window.
WINDOWED = frozenset({"update_software"})
# What agents answer, and what it means here (the seed's agent says "success").
RESULT_STATUSES = {
    "success": C.SUCCEEDED,
    "succeeded": C.SUCCEEDED,
    "ok": C.SUCCEEDED,
    "error": C.FAILED,
    "failed": C.FAILED,
    "failure": C.FAILED,
}


def _payload(command: DeviceCommand) -> dict:
    return {
        "commandId": command.pk,
        "deviceId": command.device_id,
        "type": command.type,
        "status": command.status,
    }


def _publish(event_type: str, command: DeviceCommand, actor=None, **extra) -> None:
    payload = _payload(command) | extra
    events.publish(event_type, tenant=command.tenant, payload=payload, actor=actor)


def command_create(
    *,
    device: Device,
    type: str,
    data: dict | None = None,
    release: Release | None = None,
    video: MediaVideo | None = None,
    actor=None,
    ttl: int | None = None,
) -> DeviceCommand:
    """Queue a command for `device` (pushed at once if it is connected). With `release`,
    an update_software whose URL and checksum come from the release's artifact; with
    `video`, a deploy_video of a library video (URL presigned at delivery, sha256, size)."""
    if release is not None and type != "update_software":
        raise ApiError("VALIDATION_ERROR", _("A release makes an update_software command."), 400)
    if video is not None and type != "deploy_video":
        raise ApiError("VALIDATION_ERROR", _("A library video makes a deploy_video command."), 400)
    data = command_data_clean(
        type=type,
        data=data,
        allowed=device.product.allowed_commands,
        from_release=release is not None or video is not None,
    )
    if not device.is_active:
        raise ApiError("DEVICE_INACTIVE", _("This device is deactivated."), 409)
    if release is not None:
        artifact = release_artifact_for(device, release)
        data = {"version": release.version, "checksum": artifact.sha256}
    if video is not None:
        if video.tenant_id != device.tenant_id:  # unknown and foreign look the same
            raise ApiError("VIDEO_NOT_FOUND", _("No such video in the media library."), 400)
        data = _video_data(video)
    now = timezone.now()
    ttl = settings.RELAIS_COMMAND_TTL_SECONDS if ttl is None else ttl
    with transaction.atomic():
        command = DeviceCommand(
            tenant_id=device.tenant_id,
            device=device,
            type=type,
            data=data,
            release=release,
            video=video,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
        )
        command.full_clean()
        command.save(force_insert=True)
        command.tenant = device.tenant
        device_id = str(device.pk)
        transaction.on_commit(lambda: _note_pending(device_id))
        # realtime subscribes to `command.queued` and pushes it to a connected site.
        _publish("command.queued", command, actor)
    return command


def command_message(command: DeviceCommand) -> dict:
    """The agent's `{id, type, data}`; a release's download URL is presigned now, at
    delivery, so that it has its whole lifetime ahead of it."""
    data = dict(command.data)
    release = command.release
    if release is not None:
        artifact = release_artifact_for(command.device, release)
        data["updateUrl"] = artifact_url(artifact)
    if command.video_id is not None:
        if command.video is None:
            raise ApiError("VIDEO_NOT_FOUND", _("No such video in the media library."), 400)
        data["videoUrl"] = video_url(command.video)
    return {"id": str(command.pk), "type": command.type, "data": data}


def commands_claim(*, device: Device, limit: int = 50) -> list[dict]:
    """Mark the device's queued commands delivered and return their messages, oldest first.
    Each command is claimed once, whoever asks (poll or push, any process). Outside the
    device's maintenance window an update_software stays queued (and noted pending, so the
    next heartbeat asks again)."""
    now = timezone.now()
    messages = []
    try:  # cleared first: a command queued from now on sets it again after its commit
        cache.delete(_pending_key(device.pk))
    except Exception:  # noqa: BLE001 - the flag only spares queries
        logger.warning("pending-commands flag of %s not cleared", device.pk, exc_info=True)
    with transaction.atomic():
        rows = list(
            DeviceCommand.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("release", "video", "device__license", "device__tenant")
            .filter(device=device, status=C.QUEUED, expires_at__gt=now)
            .order_by("created_at")[:limit]
        )
        held = False
        for command in rows:
            if command.type in WINDOWED and not window_open(command.device):
                held = True  # stays queued until the device's maintenance window opens
                continue
            try:
                message = command_message(command)
            except ApiError as exc:  # the release went away meanwhile: fail it, say why
                _close(command, C.FAILED, error=exc.message, now=now)
                continue
            claimed = DeviceCommand.objects.filter(pk=command.pk, status=C.QUEUED).update(
                status=C.DELIVERED, delivered_at=now
            )
            if claimed:
                messages.append(message)
                if command.release_id is not None:
                    _session(command, UpdateSession.Status.PENDING)
        if len(rows) == limit:
            transaction.on_commit(lambda: _note_pending(device.pk))
    if held:  # already committed, unlike a new command: noted at once
        _note_pending(device.pk)
    return messages


def _pending_key(device_id) -> str:
    return f"relais:commands:pending:{device_id}"


def _note_pending(device_id) -> None:
    try:
        cache.set(_pending_key(device_id), 1, None)
    except Exception:  # noqa: BLE001 - the sweep notes it again
        logger.warning("pending-commands flag of %s not set", device_id, exc_info=True)


def commands_pending(*, device: Device) -> list[dict]:
    """What a heartbeat answer lists: the queued commands, now delivered. A hot path: it
    claims only when a command was queued since the last claim (a cache flag set after
    commit and noted again by the expiry sweep), so a heartbeat with nothing new costs no
    query; without the cache it claims."""
    try:
        flagged = cache.get(_pending_key(device.pk))
    except Exception:  # noqa: BLE001 - no cache: ask the database
        flagged = True
    return commands_claim(device=device) if flagged else []


def _close(command: DeviceCommand, status: str, *, result=None, error="", now=None, actor=None):
    command.status = status
    command.result = result
    command.error = error
    command.completed_at = now or timezone.now()
    command.save(update_fields=["status", "result", "error", "completed_at"])
    extra = {"error": error} if error else {}
    _publish(f"command.{status}", command, actor, **extra)


def _session(command: DeviceCommand, status: str, error: str = "") -> None:
    """The update session of an update_software made from a release follows the command."""
    device = command.device
    try:
        session_report(
            license=device.license,
            device=device,
            session=session_id(device.pk, command.release_id),
            status=status,
            error=error,
        )
    except ApiError as exc:  # e.g. a session already finished: the command still closes
        logger.info("update session of command %s not moved: %s", command.pk, exc.message)


def _error_text(result) -> str:
    if isinstance(result, dict):
        for key in ("error", "message"):
            if isinstance(result.get(key), str):
                return result[key][:2000]
    if isinstance(result, str):
        return result[:2000]
    return ""


def command_complete(*, device: Device, command_id, status: str, result=None) -> DeviceCommand:
    """The agent's answer `{commandId, status, result}`. Another device's command is
    answered like one that does not exist; a repeated answer changes nothing."""
    missing = ApiError("COMMAND_NOT_FOUND", _("No such command for this device."), 404)
    new = RESULT_STATUSES.get(str(status).lower()) if isinstance(status, str) else None
    if new is None:
        raise ApiError(
            "VALIDATION_ERROR",
            _("status must be one of: %(choices)s") % {"choices": ", ".join(RESULT_STATUSES)},
            400,
        )
    if json_size(result) > settings.RELAIS_COMMAND_MAX_RESULT_BYTES:
        raise ApiError("PAYLOAD_TOO_LARGE", _("`result` is too large."), 413)
    with transaction.atomic():
        command = (
            DeviceCommand.objects.select_for_update()
            .select_related("device__license", "device__tenant", "tenant")
            .filter(pk=command_id, device=device)
            .first()
        )
        if command is None:
            raise missing
        if command.status == new:
            return command
        if command.status not in DeviceCommand.OPEN:
            raise ApiError(
                "COMMAND_CLOSED",
                _("This command is already %(status)s.") % {"status": command.status},
                409,
                currentStatus=command.status,
            )
        error = _error_text(result) if new == C.FAILED else ""
        if command.delivered_at is None:
            command.delivered_at = timezone.now()
            command.save(update_fields=["delivered_at"])
        _close(command, new, result=result, error=error)
        if command.release_id is not None:
            _update_outcome(command, new, result, error)
        if new == C.SUCCEEDED and command.type in ("deploy_video", "delete_video"):
            _inventory(command)
    return command


def _update_outcome(command: DeviceCommand, status: str, result, error: str) -> None:
    S = UpdateSession.Status
    if status == C.SUCCEEDED:
        _session(command, S.COMPLETED)
        return
    rolled_back = isinstance(result, dict) and bool(
        result.get("rolledBack") or result.get("rollback")
    )
    if rolled_back:  # the agent installed, failed its health check and restored the backup
        _session(command, S.INSTALLING)
        _session(command, S.ROLLED_BACK)
    else:
        _session(command, S.FAILED, error or "update_software failed")


def command_cancel(*, devicecommand: DeviceCommand, actor=None) -> DeviceCommand:
    """Cancel an open command (a delivered one may already be running on the device)."""
    with transaction.atomic():
        commands = DeviceCommand.objects.select_for_update().select_related("tenant")
        command = commands.get(pk=devicecommand.pk)
        if command.status not in DeviceCommand.OPEN:
            raise ApiError(
                "COMMAND_CLOSED",
                _("This command is already %(status)s.") % {"status": command.status},
                409,
            )
        _close(command, C.CANCELLED, actor=actor)
    return command


def commands_expire(*, now=None) -> int:
    """Beat: open commands past their expiry become `expired` (one event each)."""
    now = now or timezone.now()
    expired = 0
    due = DeviceCommand.objects.filter(status__in=DeviceCommand.OPEN, expires_at__lte=now)
    for pk in due.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            command = (
                DeviceCommand.objects.select_for_update()
                .select_related("tenant")
                .filter(pk=pk, status__in=DeviceCommand.OPEN, expires_at__lte=now)
                .first()
            )
            if command is not None:
                _close(command, C.EXPIRED, now=now)
                expired += 1
    # Flags lost with the cache are noted again, so a heartbeat finds them at the latest
    # one sweep later.
    queued = DeviceCommand.objects.filter(status=C.QUEUED).values_list("device_id", flat=True)
    for device_id in queued.distinct().iterator():
        _note_pending(device_id)
    return expired


# --- Media library (NEOPRO sites) ---------------------------------------------------------

CHUNK = 1024 * 1024
_VIDEO_LINKS = signing.TimestampSigner(salt="relais.media.video-link")


def _video_data(video: MediaVideo) -> dict:
    """The seed's deploy_video `data` for a library video, plus what the agent verifies
    with (`checksum`, `size`); `videoUrl` is added at delivery."""
    data: dict = {
        "filename": video.filename,
        "originalName": video.title,
        "category": video.category,
        "videoId": str(video.pk),
        "checksum": video.sha256,
        "size": video.size,
    }
    if video.subcategory:
        data["subcategory"] = video.subcategory
    if video.duration is not None:
        data["duration"] = video.duration
    return data


def video_link_token(video: MediaVideo) -> str:
    return _VIDEO_LINKS.sign(f"{video.pk}.{video.tenant_id}")


def video_for_link(token: str) -> MediaVideo:
    """The video a signed link names, while the link is young (RELAIS_DOWNLOAD_URL_TTL)."""
    try:
        video_id, tenant_id = _VIDEO_LINKS.unsign(
            token, max_age=settings.RELAIS_DOWNLOAD_URL_TTL
        ).split(".")
        return MediaVideo.objects.get(pk=video_id, tenant_id=tenant_id)
    except (signing.BadSignature, ValueError, MediaVideo.DoesNotExist) as exc:
        raise ApiError("VIDEO_NOT_FOUND", _("No such video in the media library."), 404) from exc


def video_url(video: MediaVideo) -> str:
    """A short-lived URL the agent downloads without credentials: presigned (S3), else a
    signed link to this server (RELAIS_PUBLIC_URL) that expires as fast."""
    url = presigned_url(str(video.file.name))
    if url and url.startswith(("http://", "https://")):
        return url
    base = settings.RELAIS_PUBLIC_URL.rstrip("/")
    return f"{base}/api/v1/devices/media/{video_link_token(video)}"


def media_video_create(
    *,
    tenant,
    title: str,
    category: str,
    file,
    subcategory: str = "",
    duration: float | None = None,
    actor=None,
    **_ignored,
) -> MediaVideo:
    """Store an uploaded video in the configured storage and record it; size and sha256
    are computed here, reading the file once. A failure leaves no file behind."""
    filename = os.path.basename(getattr(file, "name", "") or "video.mp4")
    digest, size = hashlib.sha256(), 0
    file.seek(0)
    for chunk in iter(lambda: file.read(CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    if size == 0:
        raise ApiError("EMPTY_FILE", _("The uploaded file is empty."), 400)
    video = MediaVideo(
        tenant_id=getattr(tenant, "pk", tenant),
        title=title,
        category=category,
        subcategory=subcategory or "",
        duration=duration,
        filename=filename,
        size=size,
        sha256=digest.hexdigest(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    video.file.name = default_storage.save(video_upload_to(video, filename), file)
    try:
        with transaction.atomic():
            video.full_clean()
            video.save(force_insert=True)
            events.publish(
                "media.video_created",
                tenant=video.tenant,
                payload={
                    "videoId": video.pk,
                    "title": title,
                    "category": category,
                    "size": size,
                    "sha256": video.sha256,
                },
                actor=actor,
            )
    except BaseException:
        default_storage.delete(video.file.name)
        raise
    return video


def media_video_update(*, mediavideo: MediaVideo, actor=None, **changed) -> MediaVideo:
    """Title, category, subcategory, duration: the file, size and hash never change."""
    fields = [f for f in ("title", "category", "subcategory", "duration") if f in changed]
    for field in fields:
        setattr(mediavideo, field, changed[field])
    mediavideo.full_clean()
    mediavideo.save(update_fields=fields)
    return mediavideo


def media_video_delete(*, mediavideo: MediaVideo, actor=None) -> None:
    """The row and its file; sites keep their copy (their inventory row loses the link)."""
    name = str(mediavideo.file.name or "")
    with transaction.atomic():
        mediavideo.delete()
        if name:
            transaction.on_commit(lambda: default_storage.delete(name))


def _inventory(command: DeviceCommand) -> None:
    """A site's inventory follows its agent's successful deploy_video / delete_video."""
    data = command.data
    key: dict[str, Any] = {
        "device_id": command.device_id,
        "category": str(data.get("category", "")),
        "subcategory": str(data.get("subcategory", "") or ""),
        "filename": str(data.get("filename", "")),
    }
    if command.type == "delete_video":
        SiteVideo.objects.filter(**key).delete()
        return
    checksum = data.get("checksum")
    SiteVideo.objects.update_or_create(
        **key,
        defaults={
            "tenant_id": command.tenant_id,
            "video_id": command.video_id,
            "sha256": checksum if isinstance(checksum, str) else "",
            "size": data.get("size") if isinstance(data.get("size"), int) else None,
            "command": command,
            "deployed_at": command.completed_at or timezone.now(),
        },
    )
