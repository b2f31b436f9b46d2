"""Binary deltas between two real releases: size ÷ full size, time to make and to apply,
and peak memory, for zstd with the old file as dictionary (what releases.deltas makes) and
bsdiff4 (the classic). Each method runs in a child process so that its peak RSS is its own.

    .venv/bin/python bench/deltas.py OLD NEW [--member auto] [--methods zstd,bsdiff4]

With `--member auto` and two zip files (wheels), the largest member present in both (a
native library) is compared too, as an agent would get it inside an uncompressed artifact.
Needs zstandard (pinned) and, for the comparison, bsdiff4 (`pip install bsdiff4==1.3.2`).
"""

import argparse
import json
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _zstd(old: bytes, new: bytes) -> tuple[bytes, float, float]:
    sys.path.insert(0, str(ROOT))
    from releases.deltas import delta_apply, delta_make

    start = time.process_time()
    delta = delta_make(old, new)
    made = time.process_time() - start
    start = time.process_time()
    assert delta_apply(old, delta) == new
    return delta, made, time.process_time() - start


def _bsdiff4(old: bytes, new: bytes) -> tuple[bytes, float, float]:
    import bsdiff4

    start = time.process_time()
    delta = bsdiff4.diff(old, new)
    made = time.process_time() - start
    start = time.process_time()
    assert bsdiff4.patch(old, delta) == new
    return delta, made, time.process_time() - start


METHODS = {"zstd": _zstd, "bsdiff4": _bsdiff4}


def one(method: str, old_path: str, new_path: str, member: str) -> dict:
    """In the child: the figures of one method on one pair."""
    old, new = Path(old_path).read_bytes(), Path(new_path).read_bytes()
    if member:
        old = zipfile.ZipFile(old_path).read(member)
        new = zipfile.ZipFile(new_path).read(member)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    delta, made, applied = METHODS[method](old, new)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "method": method,
        "full": len(new),
        "delta": len(delta),
        "ratio": len(delta) / len(new),
        "make_cpu_s": made,
        "apply_cpu_s": applied,
        "peak_rss_mb": peak / 1024,
        "rss_over_inputs_mb": (peak - base) / 1024,
    }


def largest_common_member(old: str, new: str) -> str:
    a, b = zipfile.ZipFile(old), zipfile.ZipFile(new)
    sizes = {i.filename: i.file_size for i in a.infolist()}
    common = [i for i in b.infolist() if i.filename in sizes]
    return max(common, key=lambda i: i.file_size).filename


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--member", default="", help="'auto': also the largest common zip member")
    parser.add_argument("--methods", default="zstd,bsdiff4")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.old, args.new, args.member)))
        return 0
    pairs = [("whole file", "")]
    if args.member == "auto":
        member = largest_common_member(args.old, args.new)
        pairs.append((member, member))
    print(f"{Path(args.old).name} -> {Path(args.new).name}")
    print(
        f"{'compared':<40} {'method':<8} {'full':>10} {'delta':>10} {'ratio':>7} "
        f"{'make s':>7} {'apply s':>7} {'peak MB':>8}"
    )
    for label, member in pairs:
        for method in args.methods.split(","):
            done = subprocess.run(
                [sys.executable, __file__, args.old, args.new, "--one", method, "--member", member],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(done.stdout)
            print(
                f"{label[-40:]:<40} {method:<8} {r['full']:>10} {r['delta']:>10} "
                f"{r['ratio']:>7.4f} {r['make_cpu_s']:>7.2f} {r['apply_cpu_s']:>7.2f} "
                f"{r['peak_rss_mb']:>8.0f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
