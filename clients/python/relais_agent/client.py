"""The canonical node API of Relais over HTTP (`/api/v1/`)."""

from typing import Any

import requests

from .errors import AgentError


class Offline(AgentError):
    """The server could not be reached (connection refused, timeout, 5xx)."""


class Client:
    def __init__(self, server: str, license_key: str, *, timeout: float = 30.0):
        self.base = server.rstrip("/") + "/api/v1"
        self.license_key = license_key
        self.device_token = ""
        self.hardware_id = ""
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "relais-agent/0.1"

    def auth_headers(self, license_key: bool = False) -> dict[str, str]:
        token = self.license_key if license_key or not self.device_token else self.device_token
        return {"Authorization": f"Bearer {token}"}

    def request(
        self, method: str, path: str, *, license_key: bool = False, **kwargs: Any
    ) -> requests.Response:
        try:
            response = self.session.request(
                method,
                f"{self.base}/{path}",
                headers={**self.auth_headers(license_key), **kwargs.pop("headers", {})},
                timeout=self.timeout,
                **kwargs,
            )
        except requests.RequestException as exc:
            raise Offline("OFFLINE", f"{method} {path}: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise Offline("UNAVAILABLE", f"{method} {path}: HTTP {response.status_code}")
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.request(method, path, **kwargs)
        try:
            body = response.json()
        except ValueError as exc:
            raise AgentError("BAD_RESPONSE", f"{path}: not JSON") from exc
        if response.status_code >= 400:
            raise AgentError(body.get("code", "HTTP_ERROR"), body.get("message", str(body)))
        if not isinstance(body, dict):
            raise AgentError("BAD_RESPONSE", f"{path}: not an object")
        return body

    # --- routes -------------------------------------------------------------------------

    def validate(self, product: str | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"key": self.license_key}
        if product:
            payload["product"] = product
        return self.json("POST", "licenses/validate", json=payload, license_key=True)

    def register(self, hardware: dict[str, Any]) -> dict[str, Any]:
        return self.json("POST", "updates/register-device", json=hardware, license_key=True)

    def keys(self) -> dict[str, Any]:
        return self.json("GET", "keys")

    def check(self, params: dict[str, str]) -> dict[str, Any]:
        return self.json("GET", "updates/check", params=params)

    def status(self, report: dict[str, Any]) -> dict[str, Any]:
        return self.json("POST", "updates/status", json=report)

    def telemetry(self, reports: list[dict[str, Any]]) -> dict[str, Any]:
        return self.json("POST", "telemetry", json={"reports": reports})

    def heartbeat(self, beat: dict[str, Any]) -> dict[str, Any]:
        return self.json("POST", "devices/heartbeat", json=beat)

    def license_file(self) -> dict[str, Any]:
        return self.json("GET", "license/file")

    def commands(self) -> list[dict[str, Any]]:
        body = self.json("GET", "devices/commands")
        return list(body.get("commands", []))

    def command_result(self, command_id: str, status: str, result: dict[str, Any]) -> None:
        self.json(
            "POST",
            f"devices/commands/{command_id}/result",
            json={"status": status, "result": result},
        )
