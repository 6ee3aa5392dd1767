"""A sweep over a city-sized fleet: 10,000 simulated cameras, mixed vendors, slow and dead ones.

Starts the simulated cameras in a separate process (ONVIF, ISAPI and Dahua in turn, each answer
taking 100-300 ms, 5% hung), imports their inventory into a SQLite registry, and polls them all
once with :class:`~smartcity_kit.security.FleetMonitor`. Prints wall time, CPU seconds and peak
memory of the polling process, and the ratio to the ideal latency-bound time for the
concurrency used: (round trips of every live camera x mean latency + the dead cameras' timeouts)
/ concurrency. Prints figures; not a test.

Run: ``python benchmarks/fleet_poll.py [--count 10000] [--concurrency 256] [--sweeps 2]``
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from smartcity_kit.security import CameraRegistry, FleetMonitor, SecretBox, Timeouts
from smartcity_kit.storage import Database, upgrade

FARM = """
import json, sys, time, resource
resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
from smartcity_kit.testing.devices import DeviceFarm, simulated_fleet
count, low, high = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
dead, out = float(sys.argv[4]), sys.argv[5]
with DeviceFarm() as farm:
    rows = simulated_fleet(farm, count, latency=(low, high), dead_share=dead, seed=7)
    with open(out, "w") as f:
        json.dump({"cameras": rows}, f)
    print("ready", flush=True)
    for line in sys.stdin:  # each line asks how many requests were served so far
        print(sum(d.requests_served for d in farm.devices), flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--latency", type=float, nargs=2, default=(0.1, 0.3))
    parser.add_argument("--dead", type=float, default=0.05)
    parser.add_argument("--timeout", type=float, default=2.0, help="read timeout per request")
    parser.add_argument("--sweeps", type=int, default=2)
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 20_000), hard))
    with tempfile.TemporaryDirectory() as tmp:
        inventory = Path(tmp) / "fleet.json"
        low, high = args.latency
        farm = subprocess.Popen(
            [
                sys.executable,
                "-c",
                FARM,
                str(args.count),
                str(low),
                str(high),
                str(args.dead),
                str(inventory),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert farm.stdout is not None
        assert farm.stdin is not None

        def served() -> int:
            farm.stdin.write("?\n")  # type: ignore[union-attr]
            farm.stdin.flush()  # type: ignore[union-attr]
            return int(farm.stdout.readline())  # type: ignore[union-attr]

        if farm.stdout.readline().strip() != "ready":
            sys.exit("the simulated fleet did not start")
        db = Database(f"sqlite:///{Path(tmp) / 'fleet.db'}")
        upgrade(db)
        registry = CameraRegistry(db, secrets=SecretBox(SecretBox.generate_key()))
        started = time.perf_counter()
        registry.import_json(inventory.read_text(), actor="benchmark")
        print(f"imported {registry.count():,} cameras in {time.perf_counter() - started:.1f} s")
        monitor = FleetMonitor(
            registry, concurrency=args.concurrency, timeouts=Timeouts(2.0, args.timeout)
        )
        try:
            for sweep in range(1, args.sweeps + 1):
                requests = served()
                cpu, wall = time.process_time(), time.perf_counter()
                summary = monitor.poll()
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                requests = served() - requests
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                dead = summary.offline
                live = summary.checked - dead
                # Round trips per live camera: 2 (clock + identity), Digest challenges aside.
                mean = (low + high) / 2
                ideal = (
                    live * 2 * mean + (dead - summary.skipped) * args.timeout
                ) / args.concurrency
                print(
                    f"sweep {sweep}: {summary.checked:,} cameras ({summary.online:,} online, "
                    f"{dead:,} offline, {summary.skipped:,} skipped by the breaker, "
                    f"{summary.auth_failed} auth failures)"
                )
                print(
                    f"  wall {wall:6.1f} s   CPU {cpu:6.1f} s   peak memory {peak:,.0f} MiB   "
                    f"{requests:,} requests   ideal {ideal:5.1f} s   ratio {wall / ideal:4.2f}"
                )
        finally:
            monitor.close()
            farm.stdin.close()
            farm.wait(timeout=60)
    print(
        f"{args.concurrency} concurrent checks, {low * 1000:.0f}-{high * 1000:.0f} ms per answer, "
        f"{args.dead:.0%} hung, read timeout {args.timeout:g} s"
    )
    print("ideal = (answered requests x mean latency + hung cameras x timeout) / concurrency")


if __name__ == "__main__":
    main()
