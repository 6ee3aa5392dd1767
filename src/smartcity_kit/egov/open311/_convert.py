"""From the desk's models to the GeoReport v2 wire models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from smartcity_kit.core import TimeZone
from smartcity_kit.egov._catalog import Service
from smartcity_kit.egov._requests import RequestEvent, ServiceRequest
from smartcity_kit.egov.open311._wire import (
    Note,
    WireAttribute,
    WireDefinition,
    WireRequest,
    WireService,
    WireValue,
)

__all__ = ["definition_to_wire", "request_to_wire", "service_to_wire"]


def service_to_wire(service: Service) -> WireService:
    """A catalogue service as ``GET services`` lists it."""
    return WireService(
        service_code=service.code,
        service_name=service.name,
        description=service.description or None,
        metadata=service.metadata,
        type=service.type.value,
        keywords=service.keywords,
        group=service.group or None,
    )


def definition_to_wire(service: Service) -> WireDefinition:
    """A service's questions as ``GET services/{code}`` returns them."""
    return WireDefinition(
        service_code=service.code,
        attributes=tuple(
            WireAttribute(
                variable=a.variable,
                code=a.code,
                datatype=a.datatype.value,
                required=a.required,
                datatype_description=a.datatype_description or None,
                order=a.order,
                description=a.description,
                values=tuple(WireValue(v.key, v.name) for v in a.values),
            )
            for a in sorted(service.attributes, key=lambda a: a.order)
        ),
    )


def _answers(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"code": code, "value": value} for code, value in sorted(values.items())]


def request_to_wire(
    request: ServiceRequest,
    service: Service | None,
    agency_name: str | None,
    zone: TimeZone,
    *,
    history: Sequence[RequestEvent] | None = None,
) -> WireRequest:
    """A request as ``GET requests`` shows it, in the city's time zone; the contact never leaves.

    With ``history``, adds the ``extensions=true`` fields.
    """
    point = request.location.point
    expected = request.expected_at
    extended = None
    notes = None
    if history is not None:
        extended = {
            "classification": request.classification.value,
            "detailed_status": request.status.value,
            "agency_code": request.agency,
            "duplicate_of": str(request.duplicate_of) if request.duplicate_of else None,
            "answers": _answers(dict(request.attributes)),
        }
        notes = tuple(
            Note(datetime=zone.localize(e.at), description=e.notes, type=e.status.value)
            for e in history
        )
    return WireRequest(
        service_request_id=str(request.id),
        status=request.status.open311,
        status_notes=request.status_notes or None,
        service_name=service.name if service else None,
        service_code=request.service_code,
        description=request.description or None,
        agency_responsible=agency_name or request.agency,
        requested_datetime=zone.localize(request.requested_at),
        updated_datetime=zone.localize(request.updated_at),
        expected_datetime=zone.localize(expected) if expected else None,
        address=request.location.address,
        address_id=request.location.address_id,
        lat=point.latitude if point else None,
        long=point.longitude if point else None,
        media_url=request.media_url,
        extended_attributes=extended,
        notes=notes,
    )
