"""The demo camera fleet: simulated cameras per demo city, registered and polled."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Final

import click

from smartcity_kit.core import CityProfile, Region
from smartcity_kit.security import CameraRegistry, FleetMonitor, SecretBox
from smartcity_kit.storage import Database
from smartcity_kit.testing.devices import DeviceFarm, simulated_fleet

#: Simulated cameras per demo city.
CAMERAS_PER_CITY: Final = 12
#: Seconds between two polls of the demo fleet.
POLL_SECONDS: Final = 30.0
_PREFIXES: Final = {"makassar": "MKS-SIM", "baubau": "BAU-SIM"}


class DemoFleet:
    """Simulated cameras for the demo cities, registered and polled until :meth:`stop`."""

    def __init__(self, farm: DeviceFarm, monitor: FleetMonitor, stop: threading.Event) -> None:
        self.farm = farm
        self.monitor = monitor
        self._stop = stop
        self._thread = threading.Thread(
            target=monitor.run, args=(POLL_SECONDS, stop), name="demo-fleet", daemon=True
        )

    def start(self) -> None:
        """Start polling in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling and the simulated cameras."""
        self._stop.set()
        self._thread.join(timeout=10)
        self.monitor.close()
        self.farm.close()


def start_demo_fleet(db: Database, cities: Sequence[CityProfile]) -> DemoFleet:
    """Start the simulated cameras, register them (again: their ports change every run), poll.

    The cameras' passwords are sealed with ``SMARTCITY_SECRET_KEY`` when it is set, else with a
    key made for this run (the demo's cameras are re-registered at every start anyway).
    """
    secrets = SecretBox.from_env()
    if secrets is None:
        secrets = SecretBox(SecretBox.generate_key())
        click.echo(
            "Demo cameras: SMARTCITY_SECRET_KEY is not set; their passwords are sealed with a "
            "key made for this run.",
            err=True,
        )
    registry = CameraRegistry(db, secrets=secrets)
    farm = DeviceFarm()
    try:
        for number, city in enumerate(cities):
            districts = [r.code.value for r in Region.get(city.region_code).children()][:6]
            rows = simulated_fleet(
                farm,
                CAMERAS_PER_CITY,
                latency=(0.02, 0.08),
                dead_share=1 / CAMERAS_PER_CITY,
                city=city.slug,
                districts=districts,
                prefix=_PREFIXES.get(city.slug, f"SIM{number}"),
                seed=number,
            )
            registry.import_rows(rows, actor="demo", update_existing=True)
    except BaseException:
        farm.close()
        raise
    monitor = FleetMonitor(registry, concurrency=16)
    fleet = DemoFleet(farm, monitor, threading.Event())
    fleet.start()
    return fleet
