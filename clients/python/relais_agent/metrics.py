"""What a Linux node reports without extra packages: /proc and statvfs."""

import contextlib
import os
from pathlib import Path


def _memory_percent() -> float | None:
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        total = int(fields["MemTotal"].split()[0])
        available = int(fields["MemAvailable"].split()[0])
    except (OSError, KeyError, ValueError):
        return None
    return round(100.0 * (total - available) / total, 1) if total else None


def sample(path: Path) -> dict[str, float | None]:
    """cpu (load average over the cores, %), memory, disk (of `path`'s file system, %)."""
    values: dict[str, float | None] = {"cpu": None, "memory": _memory_percent(), "disk": None}
    with contextlib.suppress(OSError):
        values["cpu"] = round(100.0 * os.getloadavg()[0] / (os.cpu_count() or 1), 1)
    try:
        path.mkdir(parents=True, exist_ok=True)
        stat = os.statvfs(path)
        used = (stat.f_blocks - stat.f_bfree) * stat.f_frsize
        total = stat.f_blocks * stat.f_frsize
        values["disk"] = round(100.0 * used / total, 1) if total else None
    except OSError:
        pass
    return values
