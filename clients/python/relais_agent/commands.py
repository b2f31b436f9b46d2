"""Commands pushed over Socket.IO, NEOPRO's shape: the agent sends `authenticate {siteId,
apiKey}` on each connection, receives `command {id, type, data}`, runs it if its own
allow-list has it, and answers `command_result {commandId, status, result}`."""

import logging
import threading
from typing import TYPE_CHECKING, Any

import socketio

if TYPE_CHECKING:
    from .agent import Agent

logger = logging.getLogger("relais_agent")


class CommandChannel:
    def __init__(self, agent: "Agent", *, site_id: str, api_key: str):
        self.agent = agent
        self.site_id = site_id
        self.api_key = api_key
        self.authenticated = threading.Event()
        self.refused: dict[str, Any] | None = None
        self.client = socketio.Client(reconnection=True, reconnection_delay_max=60)
        self.client.on("connect", self._on_connect)
        self.client.on("authenticated", self._on_authenticated)
        self.client.on("auth_error", self._on_auth_error)
        self.client.on("command", self._on_command)
        self.client.on("disconnect", lambda *reason: self.authenticated.clear())

    def _on_connect(self) -> None:
        self.client.emit("authenticate", {"siteId": self.site_id, "apiKey": self.api_key})

    def _on_authenticated(self, data: dict[str, Any]) -> None:
        self.authenticated.set()

    def _on_auth_error(self, data: dict[str, Any]) -> None:
        self.refused = data
        logger.error("Socket.IO authentication refused: %s", data)

    def _on_command(self, message: dict[str, Any]) -> None:
        status, result = self.agent.run_command(message)
        self.client.emit(
            "command_result", {"commandId": message.get("id"), "status": status, "result": result}
        )

    def start(self, *, timeout: float = 30.0) -> bool:
        """Connected and authenticated within `timeout` (reconnects by itself later)."""
        server = self.agent.config.server.rstrip("/")
        self.client.connect(server, transports=["websocket"], wait_timeout=timeout)
        return self.authenticated.wait(timeout)

    def stop(self) -> None:
        if self.client.connected:
            self.client.disconnect()
