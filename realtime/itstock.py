"""The ITStock CRM's realtime push: the client connects with its license key (or device
token) in the connection's `auth` and emits `register-device` with its hardware id; the
server joins it to that device's room, where `force-update {version, downloadUrl,
mandatory}` is emitted. A hardware id outside the key's fleet joins nothing."""

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


def _refused(code) -> ConnectionRefusedError:
    """`connect_error` on the client: `err.message`, and `err.data` = `{code, message}`."""
    error = license_refusal(code)
    return ConnectionRefusedError(
        error.message, {"code": str(error.code), "message": error.message}
    )


def connection_credentials(auth) -> tuple[str | None, str | None]:
    """(license id, device id) of a connection's auth, None/None when it carries none.
    Refused (ConnectionRefusedError with `{code, message}`) when it carries a bad one."""
    if not isinstance(auth, dict):
        return None, None
    secret = auth.get("licenseKey") or auth.get("token") or auth.get("deviceToken")
    if not secret:
        return None, None
    if not isinstance(secret, str) or len(secret) > 200:
        raise _refused(Code.NOT_FOUND)
    if secret.startswith("dvt_"):
        device = (
            Device.objects.select_related("license", "tenant")
            .filter(token_hash=secret_hash(secret), status=Device.Status.ACTIVE)
            .first()
        )
        if device is None:
            raise _refused(Code.DEVICE_NOT_ACTIVATED)
        license, device_id = device.license, str(device.pk)
        license.tenant = device.tenant
    else:
        license, device_id = license_by_key(key=secret), None
        if license is None:
            raise _refused(Code.NOT_FOUND)
    code = license_status_code(license)
    if code != Code.VALID:
        raise _refused(code)
    return str(license.pk), device_id


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
        if not conn.license_id:
            raise ApiError(
                "NOT_AUTHENTICATED", "Connect with the license key in the auth payload.", 401
            )
        device = await db(_device_of, conn, hardware_id)
        room = device_room(device)
        await sio.enter_room(sid, room)
        conn.rooms.add(room)
        return {"ok": True, "hardwareId": hardware_id}
