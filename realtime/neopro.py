"""The NEOPRO sync agent's protocol: `authenticate {siteId, apiKey}` → `authenticated`,
`heartbeat`, pushed `command {id, type, data}`, `command_result {commandId, status,
result}`. Refusals of `authenticate` carry the seed's French messages, then disconnect."""

import logging
import uuid

from django.conf import settings
from django.utils import timezone

from commands.services import command_complete, commands_claim
from core.exceptions import ApiError
from devices.models import Device
from devices.services.devices import device_touch
from devices.services.sites import SiteAuthError, site_authenticate
from telemetry.services.ingest import heartbeat_ingest

from .db import db
from .guard import guarded
from .state import site_room, state

logger = logging.getLogger(__name__)


def _authenticate(site_id, api_key) -> dict:
    site = site_authenticate(site_id=site_id, api_key=api_key)
    device_touch(device_id=site.pk, seen_at=timezone.now())
    return {"siteId": str(site.pk), "siteName": site.name, "tenantId": str(site.tenant_id)}


def _site(site_id) -> Device:
    site = Device.objects.select_related("license", "tenant").filter(pk=site_id).first()
    if site is None or not site.is_active:
        raise ApiError("NOT_AUTHENTICATED", "Site désactivé.", 401)
    return site


def _claim(site_id) -> list[dict]:
    site = Device.objects.filter(pk=site_id, status=Device.Status.ACTIVE).first()
    return commands_claim(device=site) if site else []


async def push_pending(site_id: str) -> int:
    """Hand the site's queued commands to one of its sockets in this process (claimed as
    delivered first, so no other process or poll sends them again)."""
    for sid in list(state.sites.get(site_id, ())):
        conn = state.connections.get(sid)
        if conn is None:
            continue
        async with conn.turn:
            pushed = await _push_to(sid, conn, site_id)
        if pushed is not None:
            return pushed
    return 0


async def _push_to(sid: str, conn, site_id: str) -> int | None:
    """With `conn.turn` held: claim and send the site's commands to this socket, if it is
    still that site's (None if not: it re-authenticated as another site or went away)."""
    if conn.site_id != site_id or state.connections.get(sid) is not conn:
        return None
    messages = await db(_claim, site_id)
    for message in messages:
        await state.sio.emit("command", message, to=sid)
    state.count("commands.pushed", len(messages))
    return len(messages)


def forget_site(sid: str, conn) -> None:
    sids = state.sites.get(conn.site_id, set())
    sids.discard(sid)
    if not sids:
        state.sites.pop(conn.site_id, None)


async def _refuse(sid, conn, code: str, message: str) -> None:
    state.count("auth.refused")
    await state.sio.emit("auth_error", {"code": code, "message": message}, to=sid)
    await state.sio.disconnect(sid)


def register(sio) -> None:
    @sio.on("authenticate")
    @guarded("authenticate", payload=(dict, type(None), str, list, int, float))
    async def authenticate(sid, conn, data):
        if not isinstance(data, dict):
            await _refuse(sid, conn, "MISSING_CREDENTIALS", "Identifiants manquants")
            return None
        async with conn.turn:  # no push for the previous site once this one is answered
            try:
                site = await db(_authenticate, data.get("siteId"), data.get("apiKey"))
            except SiteAuthError as exc:
                await _refuse(sid, conn, exc.code, exc.message)
                return None
            if state.connections.get(sid) is not conn:  # the socket closed meanwhile
                return None
            if conn.site_id and conn.site_id != site["siteId"]:  # now another site's socket
                forget_site(sid, conn)
                await sio.leave_room(sid, site_room(conn.site_id))
            conn.site_id = site["siteId"]
            state.sites.setdefault(conn.site_id, set()).add(sid)
            await sio.enter_room(sid, site_room(conn.site_id))
            state.count("auth.succeeded")
            answer = site | {
                "serverTime": timezone.now().isoformat(),
                "heartbeatInterval": getattr(settings, "RELAIS_HEARTBEAT_INTERVAL_SECONDS", 30)
                * 1000,
            }
            await sio.emit("authenticated", answer, to=sid)
            await _push_to(sid, conn, conn.site_id)
        return answer

    @sio.on("heartbeat")
    @guarded("heartbeat")
    async def heartbeat(sid, conn, data):
        if not conn.site_id:
            raise ApiError("NOT_AUTHENTICATED", "Non authentifié", 401)
        if "siteId" in data and str(data["siteId"]) != conn.site_id:
            raise ApiError("SITE_MISMATCH", "siteId is not the authenticated site.", 403)
        site_id = conn.site_id
        await db(lambda: heartbeat_ingest(device=_site(site_id), payload=data))
        # Commands queued by a process that could not reach this one arrive here.
        async with conn.turn:
            await _push_to(sid, conn, site_id)
        return {"ok": True}

    @sio.on("command_result")
    @guarded("command_result")
    async def command_result(sid, conn, data):
        if not conn.site_id:
            raise ApiError("NOT_AUTHENTICATED", "Non authentifié", 401)
        if not isinstance(data.get("commandId"), str):
            raise ApiError("VALIDATION_ERROR", "commandId is required.", 400)
        command = await db(
            lambda: command_complete(
                device=_site(conn.site_id),
                command_id=_uuid_or_refuse(data["commandId"]),
                status=data.get("status"),
                result=data.get("result"),
            )
        )
        return {"ok": True, "commandId": str(command.pk), "status": command.status}


def _uuid_or_refuse(value: str):
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ApiError("COMMAND_NOT_FOUND", "No such command for this device.", 404) from None
