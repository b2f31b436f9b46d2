"""bench/deltas.py and bench/agent.py at a tiny size: they make their own data and server
(SQLite, local files), so they run on every backend."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_deltas_bench_measures_a_pair(tmp_path):
    old = os.urandom(200_000)
    (tmp_path / "old.bin").write_bytes(old)
    (tmp_path / "new.bin").write_bytes(old[:1000] + b"changed" + old[1000:])
    out = _run("bench/deltas.py", tmp_path / "old.bin", tmp_path / "new.bin", "--methods", "zstd")
    row = next(line for line in out.splitlines() if line.startswith("whole file"))
    assert float(row.split()[5]) < 0.01  # ratio: a few bytes changed


def test_agent_bench_measures_idle_and_an_update():
    out = _run("bench/agent.py", "--size-mb", "1", "--idle-seconds", "1")
    assert "idle:" in out and "(UPDATED)" in out
