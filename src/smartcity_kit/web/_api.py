"""The staff JSON API under ``/api/``: catalogue, requests with transitions, metrics."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from smartcity_kit.core import Clock, make_converter, parse_instant
from smartcity_kit.egov import (
    REQUEST_SORTS,
    Agency,
    Datatype,
    Service,
    ServiceDesk,
    ServiceRequest,
    ServiceType,
    Status,
)
from smartcity_kit.egov._requests import MAX_DESCRIPTION
from smartcity_kit.errors import FieldError, NotFoundError, PermissionDeniedError, ValidationError
from smartcity_kit.storage import ApiKey, ApiKeys, Role
from smartcity_kit.web._auth import require
from smartcity_kit.web._openapi import (
    PAGE,
    Answer,
    Param,
    Schema,
    component,
    json_body,
    operation,
    paged,
)

__all__ = ["api"]

api = Blueprint("smartcity_api", __name__, url_prefix="/api")
_converter = make_converter()
_READERS = (Role.ADMIN, Role.OPERATOR, Role.AUDITOR)
_MAX_PAGE_SIZE = 200

# --- what the endpoints take and answer (checked on every request; /api/openapi.json) --------

_TEXT = {"type": "string"}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_INSTANT = {"type": "string", "format": "date-time"}
_CODE_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_CODE_ERROR = "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
_CODE = {"type": "string", "pattern": _CODE_PATTERN, "x-error": _CODE_ERROR}
_TEXTS = {"type": "array", "items": {"type": "string", "maxLength": 2000}, "maxItems": 100}

CITY = component(
    "City",
    {
        "type": "object",
        "required": ["slug", "name", "region_code", "time_zone", "jurisdiction_id"],
        "properties": {
            "slug": _TEXT,
            "name": _TEXT,
            "region_code": {"type": "string", "description": "Kemendagri code, e.g. 73.71."},
            "time_zone": {"enum": ["WIB", "WITA", "WIT"]},
            "jurisdiction_id": _TEXT,
        },
    },
)
AGENCY = component(
    "Agency",
    {
        "type": "object",
        "description": "A city agency (OPD) that answers requests.",
        "required": ["city", "code", "name"],
        "properties": {"city": _TEXT, "code": _TEXT, "name": _TEXT},
    },
)
_AGENCY_IN: Schema = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 200}},
    "additionalProperties": False,
}
_STANDARD: Schema = {
    "type": "object",
    "description": "The published service standard (standar pelayanan).",
    "required": ["working_days"],
    "properties": {
        "working_days": {"type": "integer", "minimum": 1, "maximum": 366},
        "fee": {"type": "integer", "minimum": 0, "description": "Whole rupiah."},
        "requirements": _TEXTS,
        "procedure": _TEXTS,
        "output": {"type": "string", "maxLength": 2000},
        "complaint_channel": {"type": "string", "maxLength": 2000},
        "legal_basis": _TEXTS,
    },
    "additionalProperties": False,
}
_ATTRIBUTE: Schema = {
    "type": "object",
    "description": "A question asked on a request (Open311 service definition attribute).",
    "required": ["code", "datatype", "description", "order"],
    "properties": {
        "code": _CODE,
        "datatype": {"enum": [d.value for d in Datatype]},
        "description": {"type": "string", "minLength": 1, "maxLength": 500},
        "order": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
        "required": {"type": "boolean"},
        "variable": {"type": "boolean"},
        "datatype_description": {"type": "string", "maxLength": 500},
        "values": {
            "type": "array",
            "maxItems": 200,
            "items": {
                "type": "object",
                "required": ["key", "name"],
                "properties": {
                    "key": {"type": "string", "minLength": 1, "maxLength": 100},
                    "name": {"type": "string", "minLength": 1, "maxLength": 200},
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}
_SERVICE_IN: Schema = {
    "type": "object",
    "required": ["name", "description", "group", "agency", "standard"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": "string", "maxLength": 2000},
        "group": {"type": "string", "maxLength": 200},
        "agency": _CODE,
        "standard": _STANDARD,
        "keywords": {"type": "array", "items": {"type": "string", "maxLength": 200}},
        "type": {"enum": [t.value for t in ServiceType]},
        "attributes": {"type": "array", "items": _ATTRIBUTE, "maxItems": 100},
        "open311": {
            "type": "boolean",
            "description": "Whether citizens file requests for it (false: a permit service).",
        },
    },
    "additionalProperties": False,
}
SERVICE = component(
    "Service",
    {
        **_SERVICE_IN,
        "description": "A service of the catalogue with its standard and its questions.",
        "required": [
            "city",
            "code",
            *_SERVICE_IN["required"],
            "keywords",
            "type",
            "attributes",
            "open311",
        ],
        "properties": {"city": _TEXT, "code": _TEXT, **_SERVICE_IN["properties"]},
        "additionalProperties": True,
    },
)
_STATUSES = [s.value for s in Status]
SERVICE_REQUEST = component(
    "ServiceRequest",
    {
        "type": "object",
        "description": "A citizen's request or complaint; the contact is masked.",
        "required": [
            "id",
            "city",
            "service_code",
            "classification",
            "status",
            "open311_status",
            "agency",
            "description",
            "location",
            "media_url",
            "attributes",
            "contact",
            "requested_at",
            "updated_at",
            "verify_due",
            "answer_due",
            "complete_due",
            "due_now",
            "closed_at",
            "duplicate_of",
            "status_notes",
            "version",
        ],
        "properties": {
            "id": {"type": "integer"},
            "city": _TEXT,
            "service_code": _TEXT,
            "classification": _TEXT,
            "status": {"enum": _STATUSES},
            "open311_status": {"enum": ["open", "closed"]},
            "agency": _NULLABLE_TEXT,
            "description": _TEXT,
            "location": {
                "type": "object",
                "required": ["point", "address", "address_id", "district"],
                "properties": {
                    "point": {"type": ["object", "null"]},
                    "address": _NULLABLE_TEXT,
                    "address_id": _NULLABLE_TEXT,
                    "district": _NULLABLE_TEXT,
                },
            },
            "media_url": _NULLABLE_TEXT,
            "attributes": {"type": "object"},
            "contact": {"type": "object", "description": "Masked."},
            "requested_at": _INSTANT,
            "updated_at": _INSTANT,
            "verify_due": _INSTANT,
            "answer_due": {"type": ["string", "null"]},
            "complete_due": _INSTANT,
            "due_now": {"type": ["string", "null"]},
            "closed_at": {"type": ["string", "null"]},
            "duplicate_of": {"type": ["integer", "null"]},
            "status_notes": _TEXT,
            "version": {"type": "integer"},
            "history": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["at", "actor", "status", "notes", "agency"],
                    "properties": {
                        "at": _INSTANT,
                        "actor": _TEXT,
                        "status": {"enum": _STATUSES},
                        "notes": _TEXT,
                        "agency": _NULLABLE_TEXT,
                    },
                },
            },
        },
    },
)
METRICS = component(
    "Metrics",
    {
        "type": "object",
        "description": "Transparency figures for a period.",
        "required": ["received", "resolved", "median_days", "p90_days", "on_time_share"],
        "properties": {
            "start": _INSTANT,
            "end": _INSTANT,
            "received": {"type": "integer", "minimum": 0},
            "resolved": {"type": "integer", "minimum": 0},
            "median_days": {"type": ["number", "null"]},
            "p90_days": {"type": ["number", "null"]},
            "on_time_share": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        },
    },
)
_STATUS_ERROR = "must be a list of statuses: " + ", ".join(Status)
_TRANSITION: Schema = {
    "type": "object",
    "required": ["to"],
    "properties": {
        "to": {"enum": _STATUSES, "x-error": "must be one of " + ", ".join(Status)},
        "notes": {"type": "string", "maxLength": MAX_DESCRIPTION, "x-error": "must be text"},
        "agency": {"type": ["string", "null"], "x-error": "must be an agency code"},
        "duplicate_of": {
            "type": ["integer", "null"],
            "minimum": 1,
            "x-error": "must be a request id",
        },
        "expected_version": {
            "type": ["integer", "null"],
            "minimum": 1,
            "x-error": "must be a whole number",
        },
    },
    "additionalProperties": False,
}
_CITY = Param("city", {"type": "string", "pattern": "^[^/]+$"}, "The city's slug.", where="path")
_AGENCY_FILTER = Param(
    "agency", {"type": "string"}, "Only this agency's (an operator's key sees its own only)."
)
_TIME_RANGE = (
    Param("start", _INSTANT, "From this time (ISO 8601 with an offset)."),
    Param("end", _INSTANT, "Before this time (ISO 8601 with an offset)."),
)


def _desk(city: str) -> ServiceDesk:
    desks: dict[str, ServiceDesk] = current_app.extensions["smartcity"]["desks"]
    desk = desks.get(city)
    if desk is None:
        raise NotFoundError(f"this server does not serve {city!r}: {', '.join(sorted(desks))}")
    return desk


def _keys() -> ApiKeys:
    keys: ApiKeys = current_app.extensions["smartcity"]["keys"]
    return keys


def _json_body() -> dict[str, Any]:
    return json_body()


def _request_json(
    r: ServiceRequest, history: bool = False, desk: ServiceDesk | None = None
) -> dict[str, Any]:
    point = r.location.point
    data: dict[str, Any] = {
        "id": r.id,
        "city": r.city,
        "service_code": r.service_code,
        "classification": r.classification.value,
        "status": r.status.value,
        "open311_status": r.status.open311,
        "agency": r.agency,
        "description": r.description,
        "location": {
            "point": point.to_geojson() if point else None,
            "address": r.location.address,
            "address_id": r.location.address_id,
            "district": str(r.location.district) if r.location.district else None,
        },
        "media_url": r.media_url,
        "attributes": dict(r.attributes),
        "contact": r.contact.masked(),
        "requested_at": r.requested_at.isoformat(),
        "updated_at": r.updated_at.isoformat(),
        "verify_due": r.verify_due.isoformat(),
        "answer_due": r.answer_due.isoformat() if r.answer_due else None,
        "complete_due": r.complete_due.isoformat(),
        "due_now": due.isoformat() if (due := r.due_now()) else None,
        "closed_at": r.closed_at.isoformat() if r.closed_at else None,
        "duplicate_of": r.duplicate_of,
        "status_notes": r.status_notes,
        "version": r.version,
    }
    if history and desk is not None:
        data["history"] = [
            {
                "at": e.at.isoformat(),
                "actor": e.actor,
                "status": e.status.value,
                "notes": e.notes,
                "agency": e.agency,
            }
            for e in desk.history(r.id)
        ]
    return data


def _instant(name: str) -> dt.datetime | None:
    value = request.args.get(name)
    return parse_instant(value, name) if value else None


def _whole(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 9


def _page() -> tuple[int, int]:
    problems = []
    page_text, size_text = request.args.get("page", "1"), request.args.get("page_size", "50")
    if not _whole(page_text) or not 1 <= int(page_text) <= 1_000_000:
        problems.append(FieldError("page", "must be a whole number from 1"))
    if not _whole(size_text) or not 1 <= int(size_text) <= _MAX_PAGE_SIZE:
        problems.append(FieldError("page_size", f"must be from 1 to {_MAX_PAGE_SIZE}"))
    if problems:
        raise ValidationError(problems)
    return int(page_text), int(size_text)


@api.get("/cities")
@operation(
    "The cities this server serves",
    tag="complaints",
    auth="none",
    answers={200: Answer("The cities.", {"type": "array", "items": CITY})},
)
def cities() -> Response:
    """The cities this server serves."""
    desks: dict[str, ServiceDesk] = current_app.extensions["smartcity"]["desks"]
    return jsonify(
        [
            {
                "slug": d.city.slug,
                "name": d.city.name,
                "region_code": str(d.city.region_code),
                "time_zone": d.city.time_zone.value,
                "jurisdiction_id": d.city.jurisdiction_id,
            }
            for d in desks.values()
        ]
    )


@api.get("/<city>/agencies")
@operation(
    "The city's agencies",
    tag="complaints",
    path=(_CITY,),
    answers={200: Answer("The agencies.", {"type": "array", "items": AGENCY})},
)
def list_agencies(city: str) -> Response:
    """The city's agencies."""
    desk = _desk(city)
    require(_keys(), request, *_READERS, city=city)
    return jsonify([_converter.unstructure(a) for a in desk.agencies()])


@api.put("/<city>/agencies/<code>")
@operation(
    "Add or rename an agency",
    tag="complaints",
    path=(_CITY, Param("code", _CODE, "The agency's code.", where="path")),
    body=_AGENCY_IN,
    answers={200: Answer("The agency as saved.", AGENCY)},
)
def put_agency(city: str, code: str) -> Response:
    """Add or rename an agency (admin)."""
    desk = _desk(city)
    key = require(_keys(), request, Role.ADMIN, city=city)
    body = _json_body()
    agency = _converter.structure({**body, "city": city, "code": code}, Agency)
    return jsonify(_converter.unstructure(desk.save_agency(agency, actor=key.actor)))


@api.get("/<city>/services")
@operation(
    "The service catalogue",
    tag="complaints",
    path=(_CITY,),
    answers={200: Answer("The services.", {"type": "array", "items": SERVICE})},
)
def list_services(city: str) -> Response:
    """The catalogue with each service's standard and attributes."""
    desk = _desk(city)
    require(_keys(), request, *_READERS, city=city)
    return jsonify([_converter.unstructure(s) for s in desk.services()])


@api.put("/<city>/services/<code>")
@operation(
    "Add or replace a service",
    tag="complaints",
    path=(_CITY, Param("code", _CODE, "The Open311 service_code.", where="path")),
    body=_SERVICE_IN,
    answers={200: Answer("The service as saved.", SERVICE)},
)
def put_service(city: str, code: str) -> Response:
    """Add or replace a service (admin)."""
    desk = _desk(city)
    key = require(_keys(), request, Role.ADMIN, city=city)
    service = _converter.structure({**_json_body(), "city": city, "code": code}, Service)
    return jsonify(_converter.unstructure(desk.save_service(service, actor=key.actor)))


def _scope(key: ApiKey, agency: str | None) -> str | None:
    if key.role is Role.OPERATOR:
        if agency is not None and agency != key.agency:
            raise PermissionDeniedError(f"this key works for {key.agency}, not {agency}")
        return key.agency
    return agency


@api.get("/<city>/requests")
@operation(
    "Search requests",
    tag="complaints",
    path=(_CITY,),
    query=(
        *PAGE,
        Param(
            "status",
            {"type": "array", "items": {"enum": _STATUSES}, "x-error": _STATUS_ERROR},
            "Only these statuses (comma-separated).",
        ),
        _AGENCY_FILTER,
        Param(
            "service_code",
            {"type": "array", "items": {"type": "string"}},
            "Only these services (comma-separated).",
        ),
        *_TIME_RANGE,
        Param("updated_after", _INSTANT, "Changed after this time."),
        Param(
            "sort",
            {"enum": list(REQUEST_SORTS), "default": "-requested_at"},
            "The order: a field, descending with a leading '-' (newest first by default).",
        ),
    ),
    answers={200: Answer("A page of requests, newest first.", paged(SERVICE_REQUEST))},
)
def list_requests(city: str) -> Response:
    """Requests, newest first; an operator sees its agency's queue."""
    desk = _desk(city)
    key = require(_keys(), request, *_READERS, city=city)
    page, size = _page()
    statuses = None
    if request.args.get("status"):
        try:
            statuses = [Status(s) for s in request.args["status"].split(",")]
        except ValueError:
            raise ValidationError.single(
                "status", "must be a list of statuses: " + ", ".join(Status)
            ) from None
    found = desk.search(
        statuses=statuses,
        agency=_scope(key, request.args.get("agency") or None),
        service_codes=request.args["service_code"].split(",")
        if request.args.get("service_code")
        else None,
        start=_instant("start"),
        end=_instant("end"),
        updated_after=_instant("updated_after"),
        limit=size,
        offset=(page - 1) * size,
        sort=request.args.get("sort") or "-requested_at",
    )
    return jsonify({"page": page, "page_size": size, "items": [_request_json(r) for r in found]})


@api.get("/<city>/requests/overdue")
@operation(
    "Overdue requests",
    tag="complaints",
    path=(_CITY,),
    query=(_AGENCY_FILTER,),
    answers={
        200: Answer(
            "Open requests whose step is late.", {"type": "array", "items": SERVICE_REQUEST}
        )
    },
)
def overdue(city: str) -> Response:
    """Open requests whose current step is late."""
    desk = _desk(city)
    key = require(_keys(), request, *_READERS, city=city)
    agency = _scope(key, request.args.get("agency") or None)
    late = [r for r in desk.overdue() if agency is None or r.agency == agency]
    return jsonify([_request_json(r) for r in late])


@api.get("/<city>/requests/<int:request_id>")
@operation(
    "One request with its history",
    tag="complaints",
    path=(_CITY,),
    answers={200: Answer("The request.", SERVICE_REQUEST)},
)
def get_request(city: str, request_id: int) -> Response:
    """One request with its history."""
    desk = _desk(city)
    key = require(_keys(), request, *_READERS, city=city)
    found = desk.get(request_id)
    _scope(key, found.agency)
    return jsonify(_request_json(found, history=True, desk=desk))


@api.post("/<city>/requests/<int:request_id>/transitions")
@operation(
    "Move a request to another status",
    tag="complaints",
    path=(_CITY,),
    body=_TRANSITION,
    errors=(409,),
    answers={200: Answer("The request after the move, with its history.", SERVICE_REQUEST)},
)
def transition(city: str, request_id: int) -> Response:
    """Move a request (admin, or the operator of the agency responsible).

    The body: ``{"to": "verified", "notes": "...", "agency": ..., "duplicate_of": ...,
    "expected_version": 3}``.
    """
    desk = _desk(city)
    key = require(_keys(), request, Role.ADMIN, Role.OPERATOR, city=city)
    body = _json_body()  # its fields' types are checked by _TRANSITION
    current = desk.get(request_id)
    _scope(key, current.agency)
    to = Status(body["to"])
    notes, agency = body.get("notes") or "", body.get("agency")
    duplicate_of, version = body.get("duplicate_of"), body.get("expected_version")
    moved = desk.transition(
        request_id,
        to,
        actor=key.actor,
        notes=notes,
        agency=agency,
        duplicate_of=duplicate_of,
        expected_version=version,
        only_if_agency=key.agency if key.role is Role.OPERATOR else None,
    )
    return jsonify(_request_json(moved, history=True, desk=desk))


@api.get("/<city>/metrics")
@operation(
    "Transparency figures",
    tag="complaints",
    path=(_CITY,),
    query=(
        *_TIME_RANGE,
        _AGENCY_FILTER,
        Param("service_code", {"type": "string"}, "Only this service."),
    ),
    answers={200: Answer("The figures for start..end (default: the last 30 days).", METRICS)},
)
def metrics(city: str) -> Response:
    """Transparency figures for ``start``..``end`` (default: the last 30 days)."""
    desk = _desk(city)
    key = require(_keys(), request, *_READERS, city=city)
    clock: Clock = current_app.extensions["smartcity"]["clock"]
    end = _instant("end") or clock.now()
    start = _instant("start") or end - dt.timedelta(days=30)
    m = desk.metrics(
        start,
        end,
        agency=_scope(key, request.args.get("agency") or None),
        service_code=request.args.get("service_code") or None,
    )
    return jsonify(
        {"start": start.isoformat(), "end": end.isoformat(), **_converter.unstructure(m)}
    )
