"""The update loop: validate, register, check, verify, download (or patch), install, check
health, roll back, report; telemetry and commands beside it."""

import logging
import os
import platform as platform_module
import random
import shutil
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import metrics
from .client import Client, Offline
from .delta import delta_apply
from .download import download, sha256_of
from .errors import AgentError
from .installer import CommandInstaller, Installer, SwapInstaller, run_command
from .state import State, StateFile
from .verify import VerificationError, load_keys, verify_license_file, verify_manifest

if TYPE_CHECKING:
    from .commands import CommandChannel

logger = logging.getLogger("relais_agent")
TELEMETRY_BATCH = 500  # the server's largest batch

DEFAULT_ALLOWED_COMMANDS = (
    "deploy_video",
    "delete_video",
    "update_software",
    "update_config",
    "reboot",
    "restart_service",
    "get_logs",
)

CommandHandler = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class AgentConfig:
    server: str
    license_key: str
    state_dir: Path
    hardware_id: str = ""
    machine_name: str = field(default_factory=socket.gethostname)
    os_version: str = field(
        default_factory=lambda: f"{platform_module.system()} {platform_module.release()}"
    )
    platform: str = ""
    channel: str = ""
    product: str = ""
    version: str = "0.0.0"  # installed version before the first update
    target: Path | None = None  # SwapInstaller's file or directory
    install_cmd: str = ""
    rollback_cmd: str = ""
    health_cmd: str = ""
    health_timeout: float = 60.0
    interval: float = 3600.0  # between checks
    jitter: float = 0.1  # ± this fraction of the interval
    max_backoff: float = 3600.0
    heartbeat_interval: float = 60.0
    telemetry_max: int = 10_000  # reports kept while offline, oldest dropped beyond
    # The agent's own allow-list (a command outside it is refused here, whatever the server
    # sent): the product's default list unless narrowed.
    allowed_commands: tuple[str, ...] = DEFAULT_ALLOWED_COMMANDS
    # A NEOPRO site (sites/register's SITE_ID and SITE_API_KEY): no license key needed, the
    # site key authenticates every route and the Socket.IO channel.
    site_id: str = ""
    site_key: str = ""
    timeout: float = 30.0


@dataclass
class CycleResult:
    outcome: str  # UP_TO_DATE, UPDATED, REFUSED, FAILED, ROLLED_BACK, INTERRUPTED, OFFLINE, SKIPPED
    version: str
    code: str = ""
    message: str = ""
    via_delta: bool = False


def default_hardware_id() -> str:
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            value = Path(path).read_text().strip()
        except OSError:
            continue
        if value:
            return value
    return socket.gethostname()


class Agent:
    def __init__(
        self,
        config: AgentConfig,
        *,
        installer: Installer | None = None,
        command_handlers: dict[str, CommandHandler] | None = None,
    ):
        self.config = config
        self.hardware_id = config.hardware_id or default_hardware_id()
        self.files = StateFile(config.state_dir)
        self.state: State = self.files.load()
        if not self.state.version:
            self.state.version = config.version
        self.client = Client(config.server, config.license_key, timeout=config.timeout)
        if config.site_id:
            self.state.device_id, self.state.device_token = config.site_id, config.site_key
        self.client.device_token = self.state.device_token
        self.client.hardware_id = self.hardware_id
        self.installer = installer or self._default_installer()
        self.command_handlers = command_handlers or {}
        self.lock = threading.RLock()  # the update loop, heartbeats and commands share state
        self.started = time.monotonic()

    def _default_installer(self) -> Installer:
        if self.config.install_cmd:
            return CommandInstaller(self.config.install_cmd, self.config.rollback_cmd)
        if self.config.target is not None:
            return SwapInstaller(self.config.target)
        raise AgentError("NO_INSTALLER", "give a target (swap) or an install command")

    @property
    def staging(self) -> Path:
        return self.config.state_dir / "staging"

    @property
    def current_artifact(self) -> Path:
        """A copy of the installed artifact: what a delta applies to."""
        return self.config.state_dir / "current.artifact"

    def save(self) -> None:
        with self.lock:
            self.files.save(self.state)

    # --- license and registration ----------------------------------------------------------

    def validate(self) -> dict[str, Any]:
        body = self.client.validate(self.config.product or None)
        if not body.get("valid"):
            raise AgentError(body.get("code", "INVALID"), body.get("message", "license refused"))
        return body

    def register(self) -> None:
        """Once: the device token is kept in the state file (mode 600)."""
        if self.state.device_token:
            return
        hardware: dict[str, Any] = {
            "hardwareId": self.hardware_id,
            "machineName": self.config.machine_name,
            "osVersion": self.config.os_version,
            "appVersion": self.state.version,
        }
        for key, value in (
            ("platform", self.config.platform),
            ("channel", self.config.channel),
            ("product", self.config.product),
        ):
            if value:
                hardware[key] = value
        body = self.client.register(hardware)
        self.state.device_id = str(body.get("deviceId", ""))
        token = body.get("deviceToken")
        if not token:
            raise AgentError(
                "TOKEN_LOST", "registered before without keeping the token: rotate it (rotateToken)"
            )
        self.state.device_token = token
        self.client.device_token = token
        self.save()

    def start(self) -> None:
        if self.config.site_id:  # a site: its key is its credential, registered already
            return
        self.validate()
        self.register()

    # --- keys ----------------------------------------------------------------------------

    def refresh_keys(self) -> None:
        self.state.jwks = list(self.client.keys()["keys"])
        self.save()

    def verified(self, offer: dict[str, Any]) -> dict[str, Any]:
        """The offer's manifest once verified; keys fetched once more on an unknown kid
        (rotation)."""
        if not self.state.jwks:
            self.refresh_keys()
        serials, product = self.state.serials, self.config.product or None
        try:
            manifest = verify_manifest(
                offer, load_keys(self.state.jwks), serials=serials, product=product
            )
        except VerificationError as exc:
            if exc.code not in ("UNKNOWN_KID", "KEY_EXPIRED"):
                raise
            self.refresh_keys()
            manifest = verify_manifest(
                offer, load_keys(self.state.jwks), serials=serials, product=product
            )
        self.save()  # the serial seen
        return manifest

    def license_file(self) -> dict[str, Any]:
        """The signed offline license file, fetched and verified against this machine."""
        body = self.client.license_file()
        if not self.state.jwks:
            self.refresh_keys()
        (self.config.state_dir / "license.lic").write_text(body["licenseFile"])
        return self.verify_offline_license(body["licenseFile"])

    def verify_offline_license(self, text: str) -> dict[str, Any]:
        keys = load_keys(self.state.jwks)
        product = self.config.product
        if not product:
            raise AgentError("NO_PRODUCT", "give --product to verify a license file")
        return verify_license_file(text, keys, product=product, hardware_id=self.hardware_id)

    # --- reports -------------------------------------------------------------------------

    def report(self, session_id: str, status: str, **extra: Any) -> None:
        """A status report, kept in the outbox (in order) while the server is unreachable."""
        report = {"sessionId": session_id, "status": status, **extra}
        with self.lock:
            self.state.outbox.append(report)
            self.save()
        self.flush_outbox()

    def flush_outbox(self) -> None:
        with self.lock:
            while self.state.outbox:
                try:
                    self.client.status(self.state.outbox[0])
                except Offline:
                    return
                except AgentError as exc:  # refused for good (conflict, unknown): not retried
                    logger.warning("status report dropped: %s", exc)
                self.state.outbox.pop(0)
                self.save()

    # --- the update ----------------------------------------------------------------------

    def check_params(self) -> dict[str, str]:
        params = {
            "hardwareId": self.hardware_id,
            "version": self.state.version,
            "osVersion": self.config.os_version,
        }
        if self.config.platform:
            params["platform"] = self.config.platform
        if self.config.channel:
            params["channel"] = self.config.channel
        return params

    def check_once(self) -> CycleResult:
        with self.lock:
            return self._check_once()

    def _check_once(self) -> CycleResult:
        self.flush_outbox()
        offer = self.client.check(self.check_params())
        if not offer.get("updateAvailable"):
            return CycleResult("UP_TO_DATE", self.state.version)
        try:
            manifest = self.verified(offer)
        except VerificationError as exc:
            logger.warning("offer refused: %s", exc)
            return CycleResult("REFUSED", self.state.version, exc.code, exc.message)
        version = manifest["version"]
        if version in self.state_rolled_back():
            return CycleResult("SKIPPED", self.state.version, "ROLLED_BACK_BEFORE", version)
        session = offer["sessionId"]
        start = time.monotonic()
        self.report(session, "DOWNLOADING", downloadPercent=0, fromVersion=self.state.version)
        staged = self.staging / f"{manifest['sha256']}.artifact"
        via_delta = False
        try:
            via_delta = self._patched(offer, manifest, staged)
            if not via_delta:
                self._download(offer, manifest, staged, session)
        except AgentError as exc:
            if exc.code == "DOWNLOAD_INTERRUPTED" or isinstance(exc, Offline):
                return CycleResult("INTERRUPTED", self.state.version, exc.code, exc.message)
            self.report(session, "FAILED", errorMessage=exc.message[:500])
            return CycleResult("FAILED", self.state.version, exc.code, exc.message)
        self.report(session, "DOWNLOADED", downloadPercent=100)
        return self._install(session, version, staged, start, via_delta)

    def state_rolled_back(self) -> set[str]:
        marker = self.config.state_dir / "rolled-back"
        return set(marker.read_text().split()) if marker.exists() else set()

    def _patched(self, offer: dict[str, Any], manifest: dict[str, Any], staged: Path) -> bool:
        """Whether the offered delta made the file; any mismatch falls back to the full one."""
        delta = offer.get("delta")
        if not isinstance(delta, dict) or not self.current_artifact.exists():
            return False
        if delta.get("fromVersion") != self.state.version:
            return False
        if delta.get("fullSha256") != manifest["sha256"]:
            return False
        patch = self.staging / f"{manifest['sha256']}.delta"
        output = self.staging / f"{manifest['sha256']}.patched"
        try:
            download(
                self.client.session,
                delta["url"],
                patch,
                size=int(delta["size"]),
                sha256=str(delta["sha256"]),
                headers=self.client.auth_headers(),
                timeout=self.config.timeout,
            )
            delta_apply(self.current_artifact, patch, output)
            if output.stat().st_size != manifest["size"] or sha256_of(output) != manifest["sha256"]:
                raise AgentError("DELTA_MISMATCH", "the patched file is not the signed one")
        except Exception as exc:  # noqa: BLE001 - any failure: the full file instead
            logger.warning("delta not used, downloading the full file: %s", exc)
            output.unlink(missing_ok=True)
            return False
        finally:
            patch.unlink(missing_ok=True)
        os.replace(output, staged)
        return True

    def _download(
        self, offer: dict[str, Any], manifest: dict[str, Any], staged: Path, session: str
    ) -> None:
        size = int(manifest["size"])
        marks = {25, 50, 75}

        def progress(done: int) -> None:
            percent = done * 100 // max(size, 1)
            for mark in sorted(marks):
                if percent >= mark:
                    marks.discard(mark)
                    self.report(session, "DOWNLOADING", downloadPercent=mark)

        download(
            self.client.session,
            offer["downloadUrl"],
            staged,
            size=size,
            sha256=manifest["sha256"],
            headers=self.client.auth_headers(),
            progress=progress,
            timeout=self.config.timeout,
        )

    def _install(
        self, session: str, version: str, staged: Path, start: float, via_delta: bool
    ) -> CycleResult:
        previous = self.state.version
        self.report(session, "INSTALLING")
        if isinstance(self.installer, CommandInstaller):
            self.installer.previous_version = previous
        try:
            self.installer.install(staged, version)
        except AgentError as exc:
            self.report(session, "FAILED", errorMessage=exc.message[:500])
            return CycleResult("FAILED", previous, exc.code, exc.message)
        try:
            self.health(version)
        except AgentError as exc:
            try:
                self.installer.rollback()
                error = f"{exc.message}; rolled back to {previous}"
            except AgentError as undo:
                error = f"{exc.message}; rollback failed: {undo.message}"
            marker = self.config.state_dir / "rolled-back"
            with marker.open("a") as handle:
                handle.write(version + "\n")
            self.report(session, "ROLLED_BACK", errorMessage=error[:500])
            staged.unlink(missing_ok=True)
            return CycleResult("ROLLED_BACK", previous, exc.code, error)
        self.state.version = version
        shutil.copyfile(staged, self.current_artifact)
        staged.unlink(missing_ok=True)
        self.save()
        self.report(session, "COMPLETED", duration=int(time.monotonic() - start))
        return CycleResult("UPDATED", version, via_delta=via_delta)

    def health(self, version: str) -> None:
        if self.config.health_cmd:
            run_command(
                self.config.health_cmd,
                env={"RELAIS_VERSION": version},
                timeout=self.config.health_timeout,
                code="HEALTH_CHECK_FAILED",
            )

    # --- telemetry and heartbeats ----------------------------------------------------------

    def queue_telemetry(self, values: dict[str, float | None] | None = None) -> None:
        """One report in the bounded local queue (oldest dropped and counted beyond it)."""
        report = {
            "metrics": values if values is not None else metrics.sample(self.config.state_dir),
            "reportedAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "uptime": int(time.monotonic() - self.started),
            "version": self.state.version,
        }
        with self.lock:
            self.state.telemetry.append(report)
            excess = len(self.state.telemetry) - self.config.telemetry_max
            if excess > 0:
                del self.state.telemetry[:excess]
                self.state.telemetry_dropped += excess
            self.save()

    def flush_telemetry(self) -> int:
        """Send the queue in batches; what the server refuses for good is dropped. Returns
        the number accepted."""
        sent = 0
        with self.lock:
            while self.state.telemetry:
                batch = self.state.telemetry[:TELEMETRY_BATCH]
                try:
                    sent += int(self.client.telemetry(batch).get("accepted", len(batch)))
                except Offline:
                    break
                except AgentError as exc:
                    logger.warning("telemetry batch refused, dropped: %s", exc)
                    self.state.telemetry_dropped += len(batch)
                del self.state.telemetry[: len(batch)]
                self.save()
        return sent

    # --- commands ------------------------------------------------------------------------

    def command_allowed(self, kind: str) -> bool:
        return kind in self.command_handlers and kind in self.config.allowed_commands

    def run_command(self, message: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """(status, result) of a pushed or polled `{id, type, data}`; a type outside the
        allow-list is refused here too, whatever the server sent."""
        kind = str(message.get("type", ""))
        if not self.command_allowed(kind):
            return "error", {"error": f"command {kind!r} is not allowed on this agent"}
        try:
            return "success", self.command_handlers[kind](dict(message.get("data") or {}))
        except Exception as exc:  # noqa: BLE001 - reported to the server, not fatal
            return "error", {"error": str(exc)[:500]}

    def command_channel(self) -> "CommandChannel":
        """The Socket.IO channel of a NEOPRO site (`site_id`, `site_key`); start() it."""
        from .commands import CommandChannel

        if not self.config.site_id:
            raise AgentError("NOT_A_SITE", "Socket.IO commands need a site id and key")
        return CommandChannel(self, site_id=self.config.site_id, api_key=self.config.site_key)

    def heartbeat(self) -> int:
        """NEOPRO's heartbeat (ms, as its agent sends it); the commands queued for this
        device come back in the answer: run, and their results posted. Returns how many."""
        values = metrics.sample(self.config.state_dir)
        beat = {
            "siteId": self.state.device_id,
            "timestamp": int(time.time() * 1000),
            "metrics": {
                "cpu": values["cpu"],
                "memory": values["memory"],
                "disk": values["disk"],
                "uptime": int((time.monotonic() - self.started) * 1000),
            },
        }
        return self._run_all(self.client.heartbeat(beat).get("commands", []))

    def poll_commands(self) -> int:
        return self._run_all(self.client.commands())

    def _run_all(self, messages: list[dict[str, Any]]) -> int:
        for message in messages:
            status, result = self.run_command(message)
            self.client.command_result(str(message["id"]), status, result)
        return len(messages)

    # --- the loop ------------------------------------------------------------------------

    def next_delay(self, failures: int) -> float:
        """The interval with jitter; after failures, exponential backoff (with jitter)."""
        base = self.config.interval
        if failures:
            base = min(
                self.config.max_backoff, max(1.0, self.config.interval) * 2 ** min(failures, 16)
            )
            base = min(base, self.config.max_backoff)
        spread = base * self.config.jitter
        return max(0.0, base + random.uniform(-spread, spread))

    def cycle(self) -> CycleResult:
        try:
            if not self.state.device_token:
                self.start()
            self.queue_telemetry()
            self.flush_telemetry()
            self.heartbeat()
            result = self.check_once()
        except Offline as exc:
            return CycleResult("OFFLINE", self.state.version, exc.code, exc.message)
        return result

    def run(self, stop: threading.Event | None = None, *, cycles: int | None = None) -> None:
        stop = stop or threading.Event()
        failures, done = 0, 0
        while not stop.is_set():
            result = self.cycle()
            logger.info("cycle: %s %s %s", result.outcome, result.version, result.code)
            done += 1
            if cycles is not None and done >= cycles:
                return
            failures = failures + 1 if result.outcome in ("OFFLINE", "INTERRUPTED") else 0
            stop.wait(self.next_delay(failures))
