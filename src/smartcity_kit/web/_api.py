"""The staff JSON API under ``/api/``: catalogue, requests with transitions, metrics."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from smartcity_kit.core import Clock, make_converter, parse_instant
from smartcity_kit.egov import Agency, Service, ServiceDesk, ServiceRequest, Status
from smartcity_kit.errors import FieldError, NotFoundError, PermissionDeniedError, ValidationError
from smartcity_kit.storage import ApiKey, ApiKeys, Role
from smartcity_kit.web._auth import require

__all__ = ["api"]

api = Blueprint("smartcity_api", __name__, url_prefix="/api")
_converter = make_converter()
_READERS = (Role.ADMIN, Role.OPERATOR, Role.AUDITOR)
_MAX_PAGE_SIZE = 200


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
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError.single("", "the body must be a JSON object")
    return body


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
def list_agencies(city: str) -> Response:
    """The city's agencies."""
    desk = _desk(city)
    require(_keys(), request, *_READERS, city=city)
    return jsonify([_converter.unstructure(a) for a in desk.agencies()])


@api.put("/<city>/agencies/<code>")
def put_agency(city: str, code: str) -> Response:
    """Add or rename an agency (admin)."""
    desk = _desk(city)
    key = require(_keys(), request, Role.ADMIN, city=city)
    body = _json_body()
    agency = _converter.structure({**body, "city": city, "code": code}, Agency)
    return jsonify(_converter.unstructure(desk.save_agency(agency, actor=key.actor)))


@api.get("/<city>/services")
def list_services(city: str) -> Response:
    """The catalogue with each service's standard and attributes."""
    desk = _desk(city)
    require(_keys(), request, *_READERS, city=city)
    return jsonify([_converter.unstructure(s) for s in desk.services()])


@api.put("/<city>/services/<code>")
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
    )
    return jsonify({"page": page, "page_size": size, "items": [_request_json(r) for r in found]})


@api.get("/<city>/requests/overdue")
def overdue(city: str) -> Response:
    """Open requests whose current step is late."""
    desk = _desk(city)
    key = require(_keys(), request, *_READERS, city=city)
    agency = _scope(key, request.args.get("agency") or None)
    late = [r for r in desk.overdue() if agency is None or r.agency == agency]
    return jsonify([_request_json(r) for r in late])


@api.get("/<city>/requests/<int:request_id>")
def get_request(city: str, request_id: int) -> Response:
    """One request with its history."""
    desk = _desk(city)
    key = require(_keys(), request, *_READERS, city=city)
    found = desk.get(request_id)
    _scope(key, found.agency)
    return jsonify(_request_json(found, history=True, desk=desk))


@api.post("/<city>/requests/<int:request_id>/transitions")
def transition(city: str, request_id: int) -> Response:
    """Move a request (admin, or the operator of the agency responsible).

    The body: ``{"to": "verified", "notes": "...", "agency": ..., "duplicate_of": ...,
    "expected_version": 3}``.
    """
    desk = _desk(city)
    key = require(_keys(), request, Role.ADMIN, Role.OPERATOR, city=city)
    body = _json_body()
    unknown = set(body) - {"to", "notes", "agency", "duplicate_of", "expected_version"}
    if unknown:
        raise ValidationError(
            FieldError(name, "is not a field of a transition") for name in sorted(unknown)
        )
    current = desk.get(request_id)
    _scope(key, current.agency)
    try:
        to = Status(str(body.get("to")))
    except ValueError:
        raise ValidationError.single("to", "must be one of " + ", ".join(Status)) from None
    notes = body.get("notes", "")
    agency, duplicate_of, version = (
        body.get("agency"),
        body.get("duplicate_of"),
        body.get("expected_version"),
    )
    problems = []
    if not isinstance(notes, str):
        problems.append(FieldError("notes", "must be text"))
    if agency is not None and not isinstance(agency, str):
        problems.append(FieldError("agency", "must be an agency code"))
    if duplicate_of is not None and type(duplicate_of) is not int:
        problems.append(FieldError("duplicate_of", "must be a request id"))
    if version is not None and type(version) is not int:
        problems.append(FieldError("expected_version", "must be a whole number"))
    if problems:
        raise ValidationError(problems)
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
