"""The default heartbeat ingest for Socket.IO (RELAIS_HEARTBEAT_INGEST): contact only.
A deployment with the telemetry app names its ingest in the setting instead."""

from devices.services import device_seen


def heartbeat_contact_only(*, device, payload: dict) -> None:
    device_seen(device=device)
