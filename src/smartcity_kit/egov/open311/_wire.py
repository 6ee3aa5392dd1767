"""The GeoReport v2 wire models: what goes over the network, field for field as the spec names it.

These are shared by the server (our desk encoded for the world) and the client (any city's
endpoint decoded for us). Field names are the spec's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

__all__ = [
    "Discovery",
    "Endpoint",
    "Note",
    "RequestCreated",
    "RequestUpdate",
    "WireAttribute",
    "WireDefinition",
    "WireError",
    "WireRequest",
    "WireService",
    "WireValue",
]

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def _tuple(items: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(items)


@attrs.frozen
class WireService:
    """A service as ``GET services`` lists it."""

    service_code: str
    service_name: str
    description: str | None = None
    metadata: bool = False
    type: str = "realtime"
    keywords: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    group: str | None = None


@attrs.frozen
class WireValue:
    """One choice of a list attribute."""

    key: str
    name: str


@attrs.frozen
class WireAttribute:
    """One attribute of a service definition."""

    code: str
    datatype: str
    description: str
    order: int
    variable: bool = True
    required: bool = False
    datatype_description: str | None = None
    values: tuple[WireValue, ...] = attrs.field(default=(), converter=_tuple)


@attrs.frozen
class WireDefinition:
    """A service definition (``GET services/{code}``)."""

    service_code: str
    attributes: tuple[WireAttribute, ...] = attrs.field(default=(), converter=_tuple)


@attrs.frozen
class Note:
    """A step of a request's history (extension ``extensions=true``)."""

    datetime: dt.datetime
    description: str
    type: str


@attrs.frozen
class WireRequest:
    """A service request as ``GET requests`` returns it.

    ``extended_attributes`` and ``notes`` are filled only with the ``extensions=true`` extension.
    """

    service_request_id: str
    status: str
    service_code: str
    service_name: str | None = None
    status_notes: str | None = None
    description: str | None = None
    agency_responsible: str | None = None
    service_notice: str | None = None
    requested_datetime: dt.datetime | None = None
    updated_datetime: dt.datetime | None = None
    expected_datetime: dt.datetime | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None
    extended_attributes: Mapping[str, Any] | None = None
    notes: tuple[Note, ...] | None = None


@attrs.frozen
class RequestCreated:
    """The answer to ``POST requests`` or ``GET tokens/{token}``: an id or a token, never both."""

    service_request_id: str | None = None
    token: str | None = None
    service_notice: str | None = None
    account_id: str | None = None


@attrs.frozen
class RequestUpdate:
    """A FixMyStreet-style ``servicerequestupdates`` item (extension)."""

    update_id: str
    service_request_id: str
    status: str
    updated_datetime: dt.datetime
    description: str
    media_url: str | None = None


@attrs.frozen
class WireError:
    """One error of an error list."""

    code: int
    description: str


@attrs.frozen
class Endpoint:
    """One endpoint of a discovery document."""

    url: str
    changeset: dt.datetime
    type: str = "production"
    formats: tuple[str, ...] = attrs.field(
        default=("text/xml", "application/json"), converter=_tuple
    )
    specification: str = SPECIFICATION


@attrs.frozen
class Discovery:
    """The service discovery document."""

    changeset: dt.datetime
    contact: str
    key_service: str
    endpoints: tuple[Endpoint, ...] = attrs.field(default=(), converter=_tuple)
