"""Tables of the service desk and the mapping between rows and models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from smartcity_kit.core import GeoPoint, RegionCode, make_converter
from smartcity_kit.egov._catalog import Agency, Service, ServiceAttribute, ServiceStandard
from smartcity_kit.egov._requests import (
    Classification,
    Contact,
    Location,
    RequestEvent,
    ServiceRequest,
    Status,
)
from smartcity_kit.storage import DriverInsert, JsonText, UtcDateTime

metadata = sa.MetaData()

agencies = sa.Table(
    "egov_agencies",
    metadata,
    sa.Column("city", sa.String(64), primary_key=True),
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
)
services = sa.Table(
    "egov_services",
    metadata,
    sa.Column("city", sa.String(64), primary_key=True),
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("group_name", sa.String(200), nullable=False),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("keywords", JsonText, nullable=False),
    sa.Column("standard", JsonText, nullable=False),
    sa.Column("attributes", JsonText, nullable=False),
    sa.Column("open311", sa.Boolean, nullable=False, server_default=sa.true()),
)
requests = sa.Table(
    "egov_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("city", sa.String(64), nullable=False),
    sa.Column("service_code", sa.String(64), nullable=False),
    sa.Column("classification", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("lat", sa.Float, nullable=True),
    sa.Column("lon", sa.Float, nullable=True),
    sa.Column("address", sa.String(500), nullable=True),
    sa.Column("address_id", sa.String(100), nullable=True),
    sa.Column("district", sa.String(8), nullable=True),
    sa.Column("media_url", sa.String(2000), nullable=True),
    sa.Column("attributes", JsonText, nullable=False),
    sa.Column("contact", JsonText, nullable=False),
    sa.Column("requested_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("verify_due", UtcDateTime, nullable=False),
    sa.Column("answer_due", UtcDateTime, nullable=True),
    sa.Column("complete_due", UtcDateTime, nullable=False),
    sa.Column("closed_at", UtcDateTime, nullable=True),
    sa.Column("duplicate_of", sa.Integer, nullable=True),
    sa.Column("status_notes", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)
events = sa.Table(
    "egov_request_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.Integer, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("notes", sa.Text, nullable=False),
    sa.Column("agency", sa.String(64), nullable=False),
)

# Statements on the hot path (a POST from a citizen), built once: SQLAlchemy then reuses their
# cache keys and compiled forms instead of coercing every value on every call.
SERVICE_BY_CODE = sa.select(services).where(
    services.c.city == sa.bindparam("city"), services.c.code == sa.bindparam("code")
)
REQUEST_BY_ID = sa.select(requests).where(
    requests.c.city == sa.bindparam("city"), requests.c.id == sa.bindparam("id")
)
AGENCY_EXISTS = sa.select(agencies.c.code).where(
    agencies.c.city == sa.bindparam("city"), agencies.c.code == sa.bindparam("code")
)
#: Inserts on the driver's cursor (the request's returns its new id).
insert_request = DriverInsert(requests, returning="id")
_insert_request_keyed = DriverInsert(requests, with_key=True)
insert_event = DriverInsert(events)


def insert_requests(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert requests, returning their new ids in order.

    On SQLite, whose writer holds the only write lock, the ids are taken after the highest
    (as SQLite itself numbers them: requests are never deleted) and every row goes in one
    statement; elsewhere, row by row with the generated keys.
    """
    if conn.dialect.name != "sqlite":
        return [int(insert_request(conn, row)) for row in rows]
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        (highest,) = cursor.execute("SELECT max(id) FROM egov_requests").fetchone()
    finally:
        cursor.close()
    first = int(highest or 0) + 1
    ids = list(range(first, first + len(rows)))
    _insert_request_keyed.many(conn, [{**row, "id": i} for i, row in zip(ids, rows, strict=True)])
    return ids


# Rows hold the full contact (personal data is needed to answer the citizen); what leaves the
# desk is masked by the callers that show it.
_stored = make_converter(reveal_personal_data=True)


def agency_from_row(row: Any) -> Agency:
    """An agency from its row."""
    return Agency(city=row.city, code=row.code, name=row.name)


def service_values(service: Service) -> dict[str, Any]:
    """The row values of a service."""
    return {
        "city": service.city,
        "code": service.code,
        "name": service.name,
        "description": service.description,
        "group_name": service.group,
        "open311": service.open311,
        "agency": service.agency,
        "type": service.type.value,
        "keywords": list(service.keywords),
        "standard": _stored.unstructure(service.standard),
        "attributes": _stored.unstructure(list(service.attributes)),
    }


def service_from_row(row: Any) -> Service:
    """A service from its row."""
    attributes: tuple[ServiceAttribute, ...] = _stored.structure(
        row.attributes, tuple[ServiceAttribute, ...]
    )
    return Service(
        city=row.city,
        code=row.code,
        name=row.name,
        description=row.description,
        group=row.group_name,
        agency=row.agency,
        type=row.type,
        keywords=tuple(row.keywords),
        standard=_stored.structure(row.standard, ServiceStandard),
        attributes=attributes,
        open311=bool(row.open311),
    )


def _attributes_out(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code, value in values.items():
        if isinstance(value, tuple):
            out[code] = list(value)
        elif hasattr(value, "isoformat"):
            out[code] = value.isoformat()
        else:
            out[code] = value
    return out


def request_values(request: ServiceRequest) -> dict[str, Any]:
    """The row values of a request (without its id)."""
    point = request.location.point
    return {
        "city": request.city,
        "service_code": request.service_code,
        "classification": request.classification.value,
        "status": request.status.value,
        "agency": request.agency,
        "description": request.description,
        "lat": point.latitude if point else None,
        "lon": point.longitude if point else None,
        "address": request.location.address,
        "address_id": request.location.address_id,
        "district": request.location.district.value if request.location.district else None,
        "media_url": request.media_url,
        "attributes": _attributes_out(request.attributes),
        "contact": _stored.unstructure(request.contact),
        "requested_at": request.requested_at,
        "updated_at": request.updated_at,
        "verify_due": request.verify_due,
        "answer_due": request.answer_due,
        "complete_due": request.complete_due,
        "closed_at": request.closed_at,
        "duplicate_of": request.duplicate_of,
        "status_notes": request.status_notes,
        "version": request.version,
    }


def request_from_row(row: Any) -> ServiceRequest:
    """A request from its row."""
    point = GeoPoint(row.lat, row.lon) if row.lat is not None and row.lon is not None else None
    return ServiceRequest(
        id=row.id,
        city=row.city,
        service_code=row.service_code,
        classification=Classification(row.classification),
        status=Status(row.status),
        agency=row.agency,
        description=row.description,
        location=Location(
            point=point,
            address=row.address,
            address_id=row.address_id,
            district=RegionCode(row.district) if row.district else None,
        ),
        media_url=row.media_url,
        attributes=dict(row.attributes),
        contact=_stored.structure(row.contact, Contact) if row.contact else Contact(),
        requested_at=row.requested_at,
        updated_at=row.updated_at,
        verify_due=row.verify_due,
        answer_due=row.answer_due,
        complete_due=row.complete_due,
        closed_at=row.closed_at,
        duplicate_of=row.duplicate_of,
        status_notes=row.status_notes,
        version=row.version,
    )


def event_from_row(row: Any) -> RequestEvent:
    """A history step from its row."""
    return RequestEvent(
        request_id=row.request_id,
        at=row.at,
        actor=row.actor,
        status=Status(row.status),
        notes=row.notes,
        agency=row.agency,
    )
