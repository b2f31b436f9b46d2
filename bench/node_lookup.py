"""What finding a node by its credential costs the worker: the one query of
devices/api/authentication.py (SQL made once from the models' _meta, values converted as the
ORM converts them, three instances built) against the same lookup built through the ORM
(`values_list` across device, license and tenant), per lookup, in CPU and wall time.

Reads the credentials file bench/node_wrk.py writes (`--fleet`, a seeded bench database:
run node_wrk.py first). Env: DATABASE_URL (a database containing "bench"), as node_wrk.py.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_bench .venv/bin/python \\
        bench/node_lookup.py --fleet /tmp/fleet.tsv
"""

import argparse
import os
import sys
import time
from pathlib import Path

from update_check import bench_environment, stop


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fleet", type=Path, required=True, help="node_wrk.py's credentials")
    parser.add_argument("--lookups", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    var_dir = bench_environment()
    try:
        import django

        django.setup()
        from devices.api import authentication
        from devices.models import Device
        from licensing.keys import license_key_normalize, secret_hash

        lines = [line.split("\t") for line in args.fleet.read_text().splitlines() if line]
        credentials = [
            (secret_hash(license_key_normalize(key)), hardware_id.strip())
            for key, hardware_id in lines[: args.lookups]
        ]
        names = authentication._NAMES
        columns = (
            *names[0],
            *(f"license__{name}" for name in names[1]),
            *(f"tenant__{name}" for name in names[2]),
        )
        devices, licenses = len(names[0]), len(names[1])

        def through_the_orm():
            for key_hash, hardware_id in credentials:
                found = Device.objects.filter(
                    status=Device.Status.ACTIVE, license__key_hash=key_hash, hardware_id=hardware_id
                )
                row = next(iter(found.order_by().values_list(*columns)[:1]))
                rows = (row[:devices], row[devices : devices + licenses], row[devices + licenses :])
                authentication._device_from("default", rows)

        def in_sql():
            for key_hash, hardware_id in credentials:
                rows = authentication._QUERY.rows("default", "key", key_hash, hardware_id)
                authentication._device_from("default", rows)

        results = {through_the_orm.__name__: [], in_sql.__name__: []}
        for _ in range(args.rounds):
            for run in (through_the_orm, in_sql):
                cpu, wall = time.process_time(), time.perf_counter()
                run()
                results[run.__name__].append(
                    (
                        (time.process_time() - cpu) / len(credentials) * 1e6,
                        (time.perf_counter() - wall) / len(credentials) * 1e6,
                    )
                )
        print(f"{len(credentials)} lookups x {args.rounds} rounds; median per lookup:")
        for name, figures in results.items():
            cpu = sorted(f[0] for f in figures)[len(figures) // 2]
            wall = sorted(f[1] for f in figures)[len(figures) // 2]
            print(f"  {name:16} CPU {cpu:7.0f} µs   wall {wall:7.0f} µs")
    finally:
        stop(None, var_dir)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
