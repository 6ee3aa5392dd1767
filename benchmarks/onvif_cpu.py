"""ONVIF client CPU: our OnvifAdapter next to onveef and onvif-zeep, on the same simulated camera.

Prints, for each client, the client CPU per ``GetDeviceInformation`` call on a connected device
(median over ``--calls`` calls, after a warm-up) and the client CPU for the first contact with a
new device (construct the client, first ``GetDeviceInformation``), averaged over ``--devices``
devices. The simulated cameras (:class:`~smartcity_kit.testing.devices.OnvifCamera`, WS-Security
UsernameToken) run in a child process, so ``time.process_time`` here counts the client only.

The peers are not project dependencies; install them to compare (a client that is missing is
skipped with a note)::

    pip install onveef onvif-zeep

Run: ``python benchmarks/onvif_cpu.py [--calls 300] [--devices 20]``
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from smartcity_kit.security.adapters import Credentials, Endpoint, Timeouts
from smartcity_kit.security.adapters._onvif import OnvifAdapter

USER = "admin"
PASSWORD = "sim-Passw0rd"  # noqa: S105 - the simulated cameras' default account
WARM_UP = 20

#: A client factory: port -> (one GetDeviceInformation call, close).
Client = Callable[[int], tuple[Callable[[], object], Callable[[], None]]]


def serve(count: int) -> None:
    """Child process: run ``count`` simulated cameras, print their ports, wait for stdin EOF."""
    from smartcity_kit.testing.devices import DeviceFarm  # noqa: PLC0415 - child only
    from smartcity_kit.testing.devices._onvif import OnvifCamera  # noqa: PLC0415

    with DeviceFarm() as farm:
        cameras = farm.add_many(OnvifCamera(seed=i) for i in range(count))
        print(json.dumps([c.port for c in cameras]), flush=True)
        sys.stdin.read()


@contextlib.contextmanager
def cameras(count: int) -> Iterator[list[int]]:
    """Start the cameras in a child process; their ports."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        ports: list[int] = json.loads(child.stdout.readline())
        yield ports
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)


def ours(port: int) -> tuple[Callable[[], object], Callable[[], None]]:
    adapter = OnvifAdapter(
        Endpoint("127.0.0.1", port), Credentials(USER, PASSWORD), timeouts=Timeouts(3, 10)
    )
    return adapter.device_info, adapter.close


def onveef(port: int) -> tuple[Callable[[], object], Callable[[], None]]:
    module: Any = importlib.import_module("onveef")
    client = module.OnvifClient("127.0.0.1", port, USER, PASSWORD, timeout_s=10)
    return client.get_device_information, client.close


def onvif_zeep(port: int) -> tuple[Callable[[], object], Callable[[], None]]:
    module: Any = importlib.import_module("onvif")
    camera = module.ONVIFCamera("127.0.0.1", port, USER, PASSWORD)
    return camera.devicemgmt.GetDeviceInformation, lambda: None


CLIENTS: dict[str, tuple[str, Client]] = {
    "smartcity-kit OnvifAdapter": ("smartcity_kit", ours),
    "onveef": ("onveef", onveef),
    "onvif-zeep": ("onvif", onvif_zeep),
}


def per_call(client: Client, port: int, calls: int) -> tuple[float, float]:
    """Median client CPU and wall time per call, in microseconds."""
    call, close = client(port)
    try:
        for _ in range(WARM_UP):
            call()
        cpu: list[float] = []
        wall: list[float] = []
        for _ in range(calls):
            c0, w0 = time.process_time(), time.perf_counter()
            call()
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
    finally:
        close()
    return statistics.median(cpu) * 1e6, statistics.median(wall) * 1e6


def first_contact(client: Client, ports: list[int]) -> float:
    """Mean client CPU to construct a client and make its first call, in milliseconds."""
    spent: list[float] = []
    for port in ports:
        c0 = time.process_time()
        call, close = client(port)
        call()
        spent.append(time.process_time() - c0)
        close()
    return statistics.mean(spent) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    with cameras(1 + args.devices) as ports:
        print("GetDeviceInformation on a simulated ONVIF camera (loopback, WS-Security)")
        head = ("client", "CPU/call µs", "wall/call µs", "first contact CPU ms")
        print(f"{head[0]:<28} {head[1]:>12} {head[2]:>13} {head[3]:>21}")
        for name, (module, client) in CLIENTS.items():
            try:
                importlib.import_module(module)
            except ImportError:
                print(f"{name:<28} not installed (pip install {name}): skipped")
                continue
            gc.collect()
            try:
                cpu, wall = per_call(client, ports[0], args.calls)
                first = first_contact(client, ports[1:])
            except Exception as e:  # noqa: BLE001 - a peer's failure is reported, not fatal
                print(f"{name:<28} failed: {type(e).__name__}: {e}")
                continue
            print(f"{name:<28} {cpu:>12.0f} {wall:>13.0f} {first:>21.2f}")


if __name__ == "__main__":
    main()
