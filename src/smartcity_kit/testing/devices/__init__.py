"""Simulated cameras on loopback for tests, benchmarks, the demo and adopters' own tests.

:class:`DeviceFarm` serves many :class:`SimulatedDevice` objects from one background event loop,
each on its own port of 127.0.0.1.
"""

from smartcity_kit.testing.devices._dahua import DahuaCamera
from smartcity_kit.testing.devices._farm import (
    DeviceFarm,
    DeviceState,
    SimRequest,
    SimResponse,
    SimulatedDevice,
)
from smartcity_kit.testing.devices._fleet import VENDORS, simulated_fleet
from smartcity_kit.testing.devices._isapi import (
    HIKVISION_NAMESPACE,
    ISAPI_NAMESPACE,
    HikvisionCamera,
)
from smartcity_kit.testing.devices._jpeg import TINY_JPEG
from smartcity_kit.testing.devices._onvif import OnvifCamera
from smartcity_kit.testing.devices._snapshot import SnapshotCamera

__all__ = [
    "HIKVISION_NAMESPACE",
    "ISAPI_NAMESPACE",
    "TINY_JPEG",
    "VENDORS",
    "DahuaCamera",
    "DeviceFarm",
    "DeviceState",
    "HikvisionCamera",
    "OnvifCamera",
    "SimRequest",
    "SimResponse",
    "SimulatedDevice",
    "SnapshotCamera",
    "simulated_fleet",
]
