"""What one server process knows of its own sockets (each connection lives in one process;
with Redis, rooms and emits span them all)."""

import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class Connection:
    sid: str
    opened_at: float = field(default_factory=time.monotonic)
    site_id: str | None = None  # NEOPRO: the authenticated site (a device id)
    license_id: str | None = None  # ITStock: the license of the connection's auth
    device_id: str | None = None  # ITStock with a device token: that device only
    rooms: set[str] = field(default_factory=set)
    window: int = 0
    events_in_window: int = 0
    deadline: asyncio.Task | None = None
    # Held while the connection changes site or is handed commands: a push claims a site's
    # commands only for a socket that is still that site's when it sends them.
    turn: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def identified(self) -> bool:
        return bool(self.site_id or self.rooms)


@dataclass
class ProcessState:
    sio: object = None
    loop: asyncio.AbstractEventLoop | None = None
    connections: dict[str, Connection] = field(default_factory=dict)
    sites: dict[str, set[str]] = field(default_factory=dict)  # site id -> sids here
    listener: asyncio.Task | None = None
    pushes: set = field(default_factory=set)  # pushes the listener started, until done
    counters: dict[str, int] = field(default_factory=dict)

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + n


state = ProcessState()


def site_room(site_id) -> str:
    return f"site:{site_id}"


def device_room(device) -> str:
    """The ITStock room `device:<hardwareId>`, made unique by the device row: hardware ids
    are unique per tenant and product only, and no other fleet may hear this room."""
    return f"device:{device.hardware_id}#{device.pk}"
