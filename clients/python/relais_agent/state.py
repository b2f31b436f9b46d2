"""What the agent keeps between runs, in one JSON file readable by its owner only (it holds
the device token): device id and token, installed version, highest manifest serial per
product, the published keys, and the reports and telemetry not yet delivered."""

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class State:
    device_id: str = ""
    device_token: str = ""
    version: str = ""
    serials: dict[str, int] = field(default_factory=dict)
    jwks: list[dict[str, Any]] = field(default_factory=list)
    # Status reports and telemetry waiting for the server (oldest first, bounded).
    outbox: list[dict[str, Any]] = field(default_factory=list)
    telemetry: list[dict[str, Any]] = field(default_factory=list)
    telemetry_dropped: int = 0


class StateFile:
    def __init__(self, directory: Path):
        self.directory = directory
        self.path = directory / "state.json"

    def load(self) -> State:
        try:
            raw = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return State()
        known = State.__dataclass_fields__
        return State(**{k: v for k, v in raw.items() if k in known})

    def save(self, state: State) -> None:
        """Atomically (a crash leaves the old or the new file, never half of one), mode 600
        in a directory of mode 700."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.directory, 0o700)
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".state-", suffix=".json")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(asdict(state), handle, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
