"""A simulated fleet: many cameras of mixed vendors on one farm, and their inventory."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, Final

from smartcity_kit.testing.devices._farm import DeviceFarm, DeviceState, SimulatedDevice

__all__ = ["VENDORS", "simulated_fleet"]

#: Vendors a fleet can have; ``mixed`` cycles through the three protocols.
VENDORS: Final = ("onvif", "isapi", "dahua", "mixed")
_OWNERS: Final = (
    ("city", "diskominfo", "Dinas Komunikasi dan Informatika"),
    ("city", "dishub", "Dinas Perhubungan"),
    ("police", "polrestabes", "Polrestabes"),
    ("private", "swasta", "Mitra swasta"),
)


def _device(
    vendor: str, rng: random.Random, latency: float | tuple[float, float]
) -> SimulatedDevice:
    from smartcity_kit.testing.devices._dahua import DahuaCamera  # noqa: PLC0415
    from smartcity_kit.testing.devices._isapi import HikvisionCamera  # noqa: PLC0415
    from smartcity_kit.testing.devices._onvif import OnvifCamera  # noqa: PLC0415

    seed = rng.randrange(2**32)
    if vendor == "onvif":
        return OnvifCamera(latency=latency, seed=seed, reported_host="0.0.0.0")  # noqa: S104
    if vendor == "isapi":
        return HikvisionCamera(latency=latency, seed=seed)
    return DahuaCamera(latency=latency, seed=seed)


def simulated_fleet(  # noqa: PLR0913 - the shape of a fleet
    farm: DeviceFarm,
    count: int,
    *,
    vendor: str = "mixed",
    latency: float | tuple[float, float] = 0.0,
    dead_share: float = 0.0,
    city: str = "makassar",
    districts: Sequence[str] = ("73.71.10",),
    prefix: str = "SIM",
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Start ``count`` simulated cameras on ``farm`` and return their inventory rows.

    The rows (with ``username`` and ``password``) import straight into a
    :class:`~smartcity_kit.security.CameraRegistry` with ``import_rows``. A ``dead_share`` of
    the cameras hang (accept connections, never answer), as wedged cameras do.

    Args:
        farm: Where the cameras run.
        count: How many.
        vendor: ``onvif``, ``isapi``, ``dahua`` or ``mixed``.
        latency: Seconds each answer takes (or a ``(low, high)`` range).
        dead_share: Share of cameras (0 to 1) that never answer.
        city: The city's slug in the rows.
        districts: Kecamatan codes to spread the cameras over.
        prefix: Start of every camera id (``SIM-00001``).
        seed: Seed for every random choice, for repeatable fleets.
    """
    if vendor not in VENDORS:
        msg = f"vendor must be one of {', '.join(VENDORS)}"
        raise ValueError(msg)
    rng = random.Random(seed)  # noqa: S311 - simulation, not security
    vendors = ("onvif", "isapi", "dahua") if vendor == "mixed" else (vendor,)
    kinds = [vendors[n % len(vendors)] for n in range(count)]
    devices = farm.add_many(_device(kind, rng, latency) for kind in kinds)
    dead = set(rng.sample(range(count), round(count * dead_share)))
    rows = []
    for n, (kind, device) in enumerate(zip(kinds, devices, strict=True)):
        if n in dead:
            device.state = DeviceState.HANG
        owner_kind, owner_code, owner_name = _OWNERS[n % len(_OWNERS)]
        rows.append(
            {
                "id": f"{prefix}-{n + 1:05d}",
                "name": f"Kamera simulasi {n + 1}",
                "city": city,
                "owner_kind": owner_kind,
                "owner_code": owner_code,
                "owner_name": owner_name,
                "protocol": kind,
                "host": device.host,
                "port": device.port,
                "kecamatan": districts[n % len(districts)],
                "lat": round(-5.13 - rng.random() * 0.08, 6),
                "lon": round(119.40 + rng.random() * 0.08, 6),
                "username": device.username,
                "password": device.password,
            }
        )
    return rows
