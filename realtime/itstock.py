"""The ITStock CRM's realtime push. The seed's client emits `register-device` with its
hardware id (a bare string, as the seed writes it, or `{hardwareId, licenseKey?}`); the
server joins it to that device's room, where `force-update` is emitted. The license key
(or a device token) may come where that client can put it: the connection's `auth`
(`{licenseKey}`), the handshake's query string (`?licenseKey=`), its `Authorization:
Bearer` header (Node's `extraHeaders`), or the event itself. A bad credential is refused
as today (at connect, or with an `error` event), and a hardware id outside the key's
fleet joins nothing."""

from urllib.parse import parse_qs

from socketio.exceptions import ConnectionRefusedError

from core.exceptions import ApiError
from devices.models import Device
from licensing.codes import Code, license_refusal, license_status_code
from licensing.keys import secret_hash
from licensing.selectors import license_by_key

from .db import db
from .guard import guarded
from .state import device_room

MAX_HARDWARE_ID = 200
AUTH_FIELDS = ("licenseKey", "token", "deviceToken")


def _refused(code) -> ConnectionRefusedError:
    """`connect_error` on the client: `err.message`, and `err.data` = `{code, message}`."""
    error = license_refusal(code)
    return ConnectionRefusedError(
        error.message, {"code": str(error.code), "message": error.message}
    )


def handshake_secret(auth, environ=None) -> str | None:
    """The credential a connection carries: in its auth payload, else its query string,
    else its `Authorization: Bearer` header; None when it carries none."""
    if isinstance(auth, dict):
        found = next((auth[f] for f in AUTH_FIELDS if auth.get(f)), None)
        if found is not None:
            return found
    environ = environ or {}
    query = parse_qs(environ.get("QUERY_STRING", ""))
    found = next((query[f][0] for f in AUTH_FIELDS if query.get(f, [""])[0]), None)
    if found is not None:
        return found
    header = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


def secret_credentials(secret) -> tuple[str, str | None]:
    """(license id, device id) a license key or device token stands for, or the refusal
    (ApiError with the license code) of a bad one."""
    if not isinstance(secret, str) or len(secret) > 200:
        raise license_refusal(Code.NOT_FOUND)
    if secret.startswith("dvt_"):
        device = (
            Device.objects.select_related("license", "tenant")
            .filter(token_hash=secret_hash(secret), status=Device.Status.ACTIVE)
            .first()
        )
        if device is None:
            raise license_refusal(Code.DEVICE_NOT_ACTIVATED)
        license, device_id = device.license, str(device.pk)
        license.tenant = device.tenant
    else:
        license, device_id = license_by_key(key=secret), None
        if license is None:
            raise license_refusal(Code.NOT_FOUND)
    code = license_status_code(license)
    if code != Code.VALID:
        raise license_refusal(code)
    return str(license.pk), device_id


def connection_credentials(auth, environ=None) -> tuple[str | None, str | None]:
    """(license id, device id) of a connection's credential, None/None when it carries
    none. Refused (ConnectionRefusedError with `{code, message}`) when it carries a bad one."""
    secret = handshake_secret(auth, environ)
    if not secret:
        return None, None
    try:
        return secret_credentials(secret)
    except ApiError as exc:
        raise _refused(exc.code) from exc


def _device_of(conn, hardware_id: str) -> Device:
    """The active device `hardware_id` of the connection's license (or its own device)."""
    devices = Device.objects.filter(
        license_id=conn.license_id, hardware_id=hardware_id, status=Device.Status.ACTIVE
    )
    if conn.device_id:
        devices = devices.filter(pk=conn.device_id)
    device = devices.first()
    if device is None:
        error = license_refusal(Code.DEVICE_NOT_ACTIVATED)
        raise ApiError(error.code, error.message, error.status_code)
    return device


def register(sio) -> None:
    @sio.on("register-device")
    @guarded("register-device", payload=(str, dict))
    async def register_device(sid, conn, data):
        hardware_id = data.get("hardwareId") if isinstance(data, dict) else data
        if not isinstance(hardware_id, str) or not 0 < len(hardware_id) <= MAX_HARDWARE_ID:
            raise ApiError("VALIDATION_ERROR", "hardwareId is required.", 400)
        secret = handshake_secret(data) if isinstance(data, dict) else None
        if secret:  # the event's own key (a refusal is an `error` event)
            conn.license_id, conn.device_id = await db(secret_credentials, secret)
        if not conn.license_id:
            raise ApiError(
                "NOT_AUTHENTICATED",
                "Send the license key: in the connection's auth or query, or in the event.",
                401,
            )
        device = await db(_device_of, conn, hardware_id)
        room = device_room(device)
        await sio.enter_room(sid, room)
        conn.rooms.add(room)
        return {"ok": True, "hardwareId": hardware_id}
