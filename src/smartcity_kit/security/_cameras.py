"""Cameras, their owners and sites: the registry's models (pure, no I/O)."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable
from typing import Any, Final

import attrs

from smartcity_kit.core import GeoPoint, PhoneNumber, RegionCode, RegionLevel, mask_name
from smartcity_kit.errors import ValidationError
from smartcity_kit.security.adapters._base import (
    Endpoint,
    StreamProfile,
    VendorProtocol,
    carries_credentials,
)

__all__ = [
    "Camera",
    "CameraLocation",
    "CameraStatus",
    "CameraType",
    "Owner",
    "OwnerContact",
    "OwnerKind",
    "Purpose",
    "Site",
]

_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_MAX_NAME: Final = 200


def check_id(field: str, value: object) -> str:
    """``value`` if it is a registry id (letters, digits, ``.``, ``_``, ``-``; at most 64)."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise ValidationError.single(
            field, "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return value


def _id(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_id(attribute.name, value)


def _optional_id(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        check_id(attribute.name, value)


def _name(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_NAME:
        raise ValidationError.single(attribute.name, f"must be text of 1-{_MAX_NAME} characters")


class OwnerKind(enum.StrEnum):
    """Who owns a camera."""

    CITY = "city"
    """A city agency (Diskominfo's war room, Dishub, Satpol PP)."""
    POLICE = "police"
    """A POLRI unit (Polrestabes, Polsek)."""
    PRIVATE = "private"
    """A private owner (a shop, a bank, a housing estate) who shares the camera."""


class Purpose(enum.StrEnum):
    """What a camera watches for."""

    SURVEILLANCE = "surveillance"
    """General public-safety watching."""
    TRAFFIC = "traffic"
    """Traffic flow and incidents (ATCS)."""
    ANPR = "anpr"
    """Number-plate reading (ETLE)."""
    CROWD = "crowd"
    """Crowds at markets, stations, events."""
    FLOOD = "flood"
    """Water levels and flood-prone spots."""
    ENVIRONMENT = "environment"
    """Illegal dumping, beaches, parks."""
    OTHER = "other"
    """Anything else."""


class CameraType(enum.StrEnum):
    """The camera's build."""

    FIXED = "fixed"
    BULLET = "bullet"
    DOME = "dome"
    PTZ = "ptz"
    """Pan-tilt-zoom: can be steered."""
    FISHEYE = "fisheye"
    OTHER = "other"


class CameraStatus(enum.StrEnum):
    """The camera's place in the registry (whether it answers is the fleet monitor's business)."""

    PLANNED = "planned"
    """Registered ahead of installation."""
    ACTIVE = "active"
    """Installed and in service: polled by the fleet monitor."""
    MAINTENANCE = "maintenance"
    """Out of service for repair: not polled, not counted as down."""
    DECOMMISSIONED = "decommissioned"
    """Taken out for good; kept for the record."""

    @property
    def monitored(self) -> bool:
        """Whether the fleet monitor polls cameras in this status."""
        return self is CameraStatus.ACTIVE


@attrs.frozen(repr=False)
class OwnerContact:
    """A person to call about a privately owned camera. Personal data: masked in ``repr()``.

    Attributes:
        name: The person's name.
        phone: Their phone number.
    """

    name: str | None = None
    phone: PhoneNumber | None = None

    def __attrs_post_init__(self) -> None:
        if self.name is not None and (not isinstance(self.name, str) or len(self.name) > 100):
            raise ValidationError.single("contact.name", "must be text of at most 100 characters")
        if self.phone is not None and not isinstance(self.phone, PhoneNumber):
            raise ValidationError.single("contact.phone", "must be a PhoneNumber")

    def __repr__(self) -> str:
        name = mask_name(self.name) if self.name else None
        return f"OwnerContact(name={name!r}, phone={self.phone!r})"

    __str__ = __repr__


@attrs.frozen
class Owner:
    """Who owns a camera.

    Attributes:
        kind: City agency, police unit or private owner.
        code: A short id for the owner (``diskominfo``, ``polrestabes-makassar``).
        name: The owner's name.
        contact: Whom to call (for private owners); personal data, masked in reprs.
    """

    kind: OwnerKind = attrs.field(converter=OwnerKind)
    code: str = attrs.field(validator=_id)
    name: str = attrs.field(validator=_name)
    contact: OwnerContact = attrs.field(factory=OwnerContact)


@attrs.frozen
class CameraLocation:
    """Where a camera is.

    Attributes:
        point: Coordinates.
        address: Street address as people say it.
        district: The kecamatan's region code (``73.71.10``).
        village: The kelurahan's region code (``73.71.10.1001``), when known.
    """

    point: GeoPoint | None = None
    address: str | None = None
    district: RegionCode | None = None
    village: RegionCode | None = None

    def __attrs_post_init__(self) -> None:
        if self.address is not None and (
            not isinstance(self.address, str) or len(self.address) > 500
        ):
            raise ValidationError.single("address", "must be text of at most 500 characters")
        if self.district is not None and self.district.level is not RegionLevel.DISTRICT:
            raise ValidationError.single("district", "must be a kecamatan code (73.71.10)")
        if self.village is not None:
            if self.village.level is not RegionLevel.VILLAGE:
                raise ValidationError.single("village", "must be a kelurahan code (73.71.10.1001)")
            if self.district is not None and self.village.parent != self.district:
                raise ValidationError.single("village", "is not in the given district")


@attrs.frozen
class Site:
    """A place that groups cameras: a pole, a building, an intersection.

    Attributes:
        id: Registry id of the site.
        city: The city's slug.
        name: What people call it.
        location: Where it is.
    """

    id: str = attrs.field(validator=_id)
    city: str = attrs.field(validator=_id)
    name: str = attrs.field(validator=_name)
    location: CameraLocation = attrs.field(factory=CameraLocation)


def _streams(value: Iterable[StreamProfile]) -> tuple[StreamProfile, ...]:
    return tuple(value)


def _date(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
        raise ValidationError.single(attribute.name, "must be a date")


@attrs.frozen
class Camera:
    """A camera in the city's registry, of any owner and vendor.

    The camera's credentials are not part of it: they are kept encrypted by the registry and
    used only to build an adapter (:meth:`CameraRegistry.adapter`).

    Attributes:
        id: Registry id (``MKS-0001``).
        city: The city's slug.
        name: What operators call it (``Pantai Losari 1``).
        owner: Who owns it.
        protocol: How it is spoken to.
        endpoint: Where its management interface answers (host, port, scheme, channel).
        location: Where it is.
        site: The site it belongs to, if any.
        purpose: What it watches for.
        type: Its build.
        streams: Video profiles (main first), with RTSP and snapshot URIs without credentials.
        installed: When it was installed.
        status: Its place in the registry.
        version: Raised by one at every change (optimistic concurrency).
    """

    id: str = attrs.field(validator=_id)
    city: str = attrs.field(validator=_id)
    name: str = attrs.field(validator=_name)
    owner: Owner
    protocol: VendorProtocol = attrs.field(converter=VendorProtocol)
    endpoint: Endpoint
    location: CameraLocation = attrs.field(factory=CameraLocation)
    site: str | None = attrs.field(default=None, validator=_optional_id)
    purpose: Purpose = attrs.field(default=Purpose.SURVEILLANCE, converter=Purpose)
    type: CameraType = attrs.field(default=CameraType.FIXED, converter=CameraType)
    streams: tuple[StreamProfile, ...] = attrs.field(default=(), converter=_streams)
    installed: dt.date | None = attrs.field(default=None, validator=_date)
    status: CameraStatus = attrs.field(default=CameraStatus.ACTIVE, converter=CameraStatus)
    version: int = 1

    def __attrs_post_init__(self) -> None:
        if self.protocol is VendorProtocol.HTTP_SNAPSHOT and not (
            self.streams and self.streams[0].snapshot_uri
        ):
            raise ValidationError.single(
                "snapshot_uri", "a camera with only an HTTP snapshot needs its snapshot URI"
            )
        for stream in self.streams:
            for uri in (stream.rtsp_uri, stream.snapshot_uri):
                if uri and carries_credentials(uri):
                    raise ValidationError.single(
                        "streams",
                        "stream URIs must not embed credentials (user:password@ or a password "
                        "parameter): store them as the camera's credentials",
                    )

    @property
    def main_stream(self) -> StreamProfile | None:
        """The first profile, if any."""
        return self.streams[0] if self.streams else None
