"""Open311 over HTTP: throughput and latency of the served app next to a bare Flask floor.

Serves the app with waitress on SQLite with 100,000 stored requests, loads it with wrk on loopback
(50 connections), and prints requests/s and p50/p99 latency for ``GET requests.json`` (50-item
pages) and ``POST requests.json``, beside a bare Flask endpoint that returns the same bytes under
the same server (the floor). Needs wrk (``apt-get install wrk``). Prints figures; not a test.

Both run as ``smartcity-kit serve --workers W --threads T`` would (default: one worker per core,
8 threads each). The four loads take turns, ``--rounds`` times ``--seconds`` each (default 3 x
5 s): a shared machine's speed drifts over minutes, and taking turns lets the app and its floor
meet the same drift. Each round's figures are printed; the summary gives the mean throughput, the
median p50 and the worst p99 of the rounds. Run: ``python benchmarks/open311_http.py
[--requests 100000] [--seconds 5] [--rounds 3] [--connections 50] [--workers W] [--threads T]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests as http
import sqlalchemy as sa

from smartcity_kit.core import CityProfile, GeoPoint, RegionCode
from smartcity_kit.egov import Classification, Contact, Location, ServiceRequest, Status
from smartcity_kit.egov import _store as store
from smartcity_kit.egov._demo import seed_demo
from smartcity_kit.storage import ApiKeys, Database, Role, upgrade

NOW = dt.datetime.now(dt.UTC)
MAKASSAR = CityProfile.builtin("makassar")

FLOOR = """
import os
import socket
import sys
from pathlib import Path

from flask import Flask, Response

from smartcity_kit.cli._waitress import Balance, serve

sys.setswitchinterval(0.001)  # as serve does (SWITCH_INTERVAL)
body = Path(sys.argv[1]).read_bytes()
workers, threads, port = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
app = Flask("floor")


@app.route("/open311/v2/requests.json", methods=["GET", "POST"])
def same_bytes():
    return Response(body, content_type="application/json; charset=utf-8")


# The same server as ``smartcity-kit serve --workers W --threads T``: one socket, W processes,
# waitress with the channels, the collector settings, the balanced accepts and the queue
# warnings that serve uses.
listener = socket.create_server(("127.0.0.1", port), backlog=1024)
balance = Balance(workers) if workers > 1 else None
index = 0
for n in range(1, workers):
    if os.fork() == 0:
        index = n
        break
serve(app, sockets=[listener], threads=threads, balance=balance, worker=index)
"""
POST_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "api_key=KEY&service_code=003&lat=-5.14&long=119.42&description=Sampah+belum+diangkut"
"""


def fill(db: Database, count: int) -> None:
    """Store ``count`` requests in bulk (the desk's own row mapping), spread over 90 days."""
    seed_demo(db, now=NOW, requests_per_city=0)
    rng = random.Random(1)
    districts = [RegionCode(f"73.71.{n:02d}") for n in range(1, 16)]
    rows = []
    for n in range(count):
        at = NOW - dt.timedelta(seconds=rng.randint(0, 89 * 86400))
        request = ServiceRequest(
            id=0,
            city="makassar",
            service_code=rng.choice(["002", "003", "004", "005"]),
            classification=Classification.PENGADUAN,
            status=rng.choice([Status.RECEIVED, Status.RESOLVED]),
            agency="dpu",
            description=f"Laporan uji nomor {n}",
            location=Location(
                point=GeoPoint(-5.1 - rng.random() / 10, 119.4 + rng.random() / 10),
                district=rng.choice(districts),
            ),
            media_url=None,
            attributes={},
            contact=Contact(),
            requested_at=at,
            updated_at=at,
            verify_due=at + dt.timedelta(days=3),
            answer_due=None,
            complete_due=at + dt.timedelta(days=14),
        )
        values = store.request_values(request)
        rows.append(values)
        if len(rows) == 10_000:
            with db.transaction() as conn:
                conn.execute(sa.insert(store.requests), rows)
            rows.clear()
    if rows:
        with db.transaction() as conn:
            conn.execute(sa.insert(store.requests), rows)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(command: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen(
        [*command, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: every worker is stopped at the end
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            http.get(f"http://127.0.0.1:{port}/open311/v2/requests.json", timeout=2)
        except http.ConnectionError:
            time.sleep(0.2)
        else:
            return proc, port
    os.killpg(proc.pid, signal.SIGKILL)
    msg = "server did not start"
    raise RuntimeError(msg)


def wrk(
    url: str, seconds: int, connections: int, lua: Path | None = None
) -> tuple[float, float, float]:
    """requests/s, p50 ms, p99 ms."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if lua is not None:
        command[1:1] = ["-s", str(lua)]
    out = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def ms(percent: str) -> float:
        value, unit = re.search(rf"\s{percent}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        print(f"  (warning: {errors.group(1)} non-2xx answers from {url})")
    return rate, ms("50"), ms("99")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=5, help="per load and round")
    parser.add_argument("--rounds", type=int, default=3, help="turns the four loads take")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="serve --workers (default: cores)"
    )
    parser.add_argument("--threads", type=int, default=8, help="serve --threads")
    parser.add_argument(
        "--no-access-log", action="store_true", help="serve --no-access-log (it is on by default)"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("needs wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        db = Database(url)
        upgrade(db)
        started = time.perf_counter()
        fill(db, args.requests)
        print(f"stored {args.requests:,} requests in {time.perf_counter() - started:.1f} s")
        _, key = ApiKeys(db).create("bench", Role.OPEN311_CLIENT)
        db.dispose()
        lua = Path(tmp) / "post.lua"
        lua.write_text(POST_LUA.replace("KEY", key))

        app, app_port = start(
            [
                sys.executable,
                "-m",
                "smartcity_kit.cli",
                "serve",
                "--db",
                url,
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
                *(["--no-access-log"] if args.no_access_log else []),
                "--port",
            ]
        )
        page_url = f"http://127.0.0.1:{app_port}/open311/v2/requests.json?page=1&page_size=50"
        body = http.get(page_url, timeout=10).content
        (Path(tmp) / "page.json").write_bytes(body)
        floor, floor_port = start(
            [
                sys.executable,
                "-c",
                FLOOR,
                str(Path(tmp) / "page.json"),
                str(args.workers),
                str(args.threads),
            ]
        )
        page_floor = f"http://127.0.0.1:{floor_port}/open311/v2/requests.json"
        post_url = f"http://127.0.0.1:{app_port}/open311/v2/requests.json"
        loads = [  # (short name, name, URL, wrk script)
            ("GET", "GET requests.json (50 per page)", page_url, None),
            ("floor", "floor: same bytes, bare Flask", page_floor, None),
            ("POST", "POST requests.json", post_url, lua),
            ("floor POST", "floor: POST, bare Flask", page_floor, lua),
        ]
        rounds: dict[str, list[tuple[float, float, float]]] = {load[0]: [] for load in loads}
        try:
            for n in range(1, args.rounds + 1):
                for short, _, target, script in loads:
                    rounds[short].append(wrk(target, args.seconds, args.connections, script))
                print(
                    f"round {n}: "
                    + "; ".join(
                        f"{short} {rounds[short][-1][0]:,.0f}/s p99 {rounds[short][-1][2]:.1f} ms"
                        for short, *_ in loads
                    )
                )
        finally:
            for proc in (app, floor):
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
    print(
        f"{args.connections} connections, {args.rounds} rounds of {args.seconds} s per load, "
        f"SQLite; both servers: waitress, {args.workers} worker processes x {args.threads} "
        "threads (serve --workers --threads)"
    )
    print(f"page of {len(body):,} bytes; {args.requests:,} requests stored")
    print(f"{'':<34} {'req/s (mean)':>12}   {'p50 (median)':>12}   {'p99 (worst)':>11}")
    for short, name, *_ in loads:
        figures = rounds[short]
        rate = statistics.fmean(f[0] for f in figures)
        p50 = statistics.median(f[1] for f in figures)
        p99 = max(f[2] for f in figures)
        print(f"{name:<34} {rate:>12,.0f}   {p50:>9.1f} ms   {p99:>8.1f} ms")
    shares = [get[0] / bare[0] for get, bare in zip(rounds["GET"], rounds["floor"], strict=True)]
    print(
        f"reads reach {100 * statistics.fmean(shares):.0f}% of the floor's throughput "
        f"(rounds: {', '.join(f'{100 * share:.0f}%' for share in shares)})"
    )


if __name__ == "__main__":
    main()
