"""Simulated cameras on loopback for tests, benchmarks, the demo and adopters' own tests.

:class:`DeviceFarm` serves many :class:`SimulatedDevice` objects from one background event loop,
each on its own port of 127.0.0.1.
"""

from smartcity_kit.testing.devices._farm import (
    DeviceFarm,
    DeviceState,
    SimRequest,
    SimResponse,
    SimulatedDevice,
)
from smartcity_kit.testing.devices._fleet import VENDORS, simulated_fleet

__all__ = [
    "VENDORS",
    "DeviceFarm",
    "DeviceState",
    "SimRequest",
    "SimResponse",
    "SimulatedDevice",
    "simulated_fleet",
]
