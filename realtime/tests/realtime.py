"""Test helpers: a NEOPRO agent on python-socketio's client, recording what it receives."""

import queue
import time

import socketio


class Agent:
    """A socket with every received event queued as (event, data)."""

    def __init__(self, url: str, **connect):
        self.events: queue.Queue = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", lambda event, data=None: self.events.put((event, data)))
        self.client.on("disconnect", lambda *reason: self.events.put(("disconnect", None)))
        self.client.connect(url, transports=["websocket"], wait_timeout=10, **connect)

    def next(self, wanted: str, timeout: float = 10.0):
        """The data of the next `wanted` event (others received meanwhile are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {wanted!r} within {timeout}s")
            try:
                event, data = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if event == wanted:
                return data

    def authenticate(self, site_id, api_key) -> dict:
        self.client.emit("authenticate", {"siteId": site_id, "apiKey": api_key})
        return self.next("authenticated")

    def close(self):
        if self.client.connected:
            self.client.disconnect()


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")
