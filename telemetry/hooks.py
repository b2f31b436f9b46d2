"""What telemetry asks of the apps above it, registered by them in `AppConfig.ready()`:
telemetry imports none of them, and nothing is named in settings."""

from collections.abc import Callable

_heartbeat_commands: list[Callable[..., list[dict]]] = []


def heartbeat_commands_register(pending: Callable[..., list[dict]]) -> None:
    """`pending(device=)` lists what an HTTP heartbeat answer carries as `commands` (the
    commands app registers its claim of the queued ones)."""
    if pending not in _heartbeat_commands:
        _heartbeat_commands.append(pending)


def heartbeat_commands(*, device) -> list[dict]:
    """The commands a heartbeat answer lists: every registered provider's, in order (none
    registered: an empty list)."""
    return [command for pending in _heartbeat_commands for command in pending(device=device)]
