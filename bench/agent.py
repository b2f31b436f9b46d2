"""The reference agent's own cost: memory and CPU while idle (registered, up to date,
waiting for its next check) and while it downloads, verifies and installs an update, against
a real Relais (uvicorn with config.asgi on a scratch SQLite database and local files).

    .venv/bin/python bench/agent.py [--size-mb 50] [--idle-seconds 20]

Samples /proc/<pid> of the `relais-agent` process every 0.2 s: resident memory (VmRSS,
and VmHWM, its peak) and CPU time (utime + stime). Linux only.
"""

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TICK = os.sysconf("SC_CLK_TCK")

SEED = """
import json, os
from django.core.files.base import ContentFile
from licensing.services import tenant_create, product_create, policy_create, license_issue
from releases.services.releases import release_create, artifact_create, release_publish
tenant = tenant_create(name="Bench", slug="bench")
product = product_create(slug="bench-app", name="Bench app")
policy = policy_create(product=product, name="Fleet", max_devices=None)
issued = license_issue(tenant=tenant, policy=policy)
for version, size in (("1.0.0", 1024), ("2.0.0", SIZE)):
    release = release_create(product=product, version=version)
    artifact_create(release=release, file=ContentFile(os.urandom(size)), filename="app.bin")
    release_publish(release=release)
print(json.dumps({"key": issued.key}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc(pid: int) -> tuple[int, int, float]:
    """(VmRSS kB, VmHWM kB, CPU seconds) of a live process."""
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICK
    return int(status["VmRSS"].split()[0]), int(status["VmHWM"].split()[0]), cpu


def _watch(process: subprocess.Popen, seconds: float | None) -> dict:
    """Samples until `seconds` have passed (or the process ends)."""
    start, samples, last = time.monotonic(), [], None
    while process.poll() is None and (seconds is None or time.monotonic() - start < seconds):
        try:
            last = _proc(process.pid)
        except (FileNotFoundError, ProcessLookupError):
            break
        samples.append((time.monotonic() - start, *last))
        time.sleep(0.2)
    elapsed = time.monotonic() - start
    return {"samples": samples, "elapsed": elapsed, "last": last}


def _agent(url, key, state, target, version, command, interval="3600"):
    return subprocess.Popen(
        [
            *(str(BIN / "relais-agent"), command, "--server", url, "--key", key),
            *("--state-dir", str(state), "--hardware-id", state.name, "--version", version),
            *("--target", str(target), "--interval", interval),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=50)
    parser.add_argument("--idle-seconds", type=float, default=20)
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="relais-bench-agent-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "RELAIS_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'bench.sqlite3'}",
        "RELAIS_DELTA_SOURCES": "0",
        "REDIS_URL": "",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    seed = SEED.replace("SIZE", str(int(args.size_mb * 1024 * 1024)))
    seeded = subprocess.run(
        [*manage, "shell", "-c", seed],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    key = json.loads(seeded.stdout.strip().splitlines()[-1])["key"]
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/api/v1/health", timeout=2)  # noqa: S310 - loopback
                break
            except OSError as exc:
                if getattr(exc, "code", None):
                    break
                time.sleep(0.2)
        target = var / "node" / "app.bin"
        target.parent.mkdir()
        target.write_bytes(b"installed")

        # Idle: registered and up to date (2.0.0 installed), waiting an hour for its check.
        idle = _agent(url, key, var / "idle-state", target, "2.0.0", "run")
        time.sleep(3)  # start, validate, register, first check
        watched = _watch(idle, args.idle_seconds)
        idle.terminate()
        idle.wait(10)
        samples = watched["samples"]
        cpu = samples[-1][3] - samples[0][3]
        span = samples[-1][0] - samples[0][0]
        print(
            f"idle:        RSS {samples[-1][1] / 1024:.1f} MB, CPU {cpu:.2f} s over {span:.0f} s "
            f"({100 * cpu / span:.2f} %)"
        )

        # Downloading: 1.0.0 installed, one cycle fetches, verifies and installs 2.0.0.
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy = _agent(url, key, var / "busy-state", target, "1.0.0", "check")
        watched = _watch(busy, None)
        out, err = busy.communicate(timeout=600)
        if busy.returncode != 0:
            print(out, err, file=sys.stderr)
            return 1
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the agent, reaped
        samples = watched["samples"]
        peak = max(s[2] for s in samples)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        print(
            f"downloading: {args.size_mb:g} MB in {watched['elapsed']:.1f} s, peak RSS "
            f"{peak / 1024:.1f} MB, CPU {cpu:.2f} s ({json.loads(out)['outcome']})"
        )
    finally:
        server.terminate()
        server.wait(20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
