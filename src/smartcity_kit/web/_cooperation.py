"""The cooperation JSON API under ``/api/cooperation/<city>/``: partners, agreements, activities.

=====================================  ==================  =========================
Endpoint                               Who                 Answers
=====================================  ==================  =========================
``GET /partners``                      readers             200, 400, 403
``POST /partners``                     admins              201, 400, 403, 409
``GET /agreements``                    readers             200, 400, 403
``POST /agreements``                   admins              201, 400, 403, 404
``GET /agreements/<id>``               readers             200, 403, 404
``PATCH /agreements/<id>``             admins              200, 400, 403, 404, 409
``POST /agreements/<id>/transitions``  admins              200, 400, 403, 404, 409
``POST /agreements/<id>/approvals``    admins              200, 400, 403, 404, 409
``GET /agreements/<id>/activities``    readers             200, 403, 404
``POST /agreements/<id>/activities``   admins, operators   201, 400, 403, 404, 409
``GET /reminders``                     readers             200, 400, 403
=====================================  ==================  =========================

*Readers* are admin, auditor and operator keys (of the city, or of no city). Changes are for
admins (the city's cooperation office, Bagian Kerja Sama); an operator key records activities
under the agreements its agency is responsible for. An agreement's ``status`` is its status
today (an agreement whose term ended is ``expired`` even before the register stores it);
``recorded_status`` is the one stored. Changes to an agreement take the ``version`` read, and a
stale one is a 409. Lists are paged by id.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from flask import Blueprint, Response, current_app, jsonify, request

from smartcity_kit.core import RegionCode
from smartcity_kit.egov.cooperation import (
    REVISABLE,
    Activity,
    ActivityKind,
    Agreement,
    AgreementKind,
    AgreementStatus,
    Approval,
    ApprovalKind,
    CooperationField,
    CooperationRegister,
    Decision,
    Document,
    ExpiryReminder,
    Partner,
    PartnerKind,
    Renewal,
    Term,
)
from smartcity_kit.errors import NotFoundError, PermissionDeniedError, ValidationError
from smartcity_kit.storage import ApiKeys, Role
from smartcity_kit.web._api import _page
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

__all__ = ["cooperation"]

cooperation = Blueprint("smartcity_cooperation", __name__, url_prefix="/api/cooperation")
_READERS: Final = (Role.ADMIN, Role.AUDITOR, Role.OPERATOR)
_MAX_ID: Final = 2**31 - 1

# --- schemas ---------------------------------------------------------------------------------

_DATE: Final[Schema] = {"type": "string", "format": "date"}
_NULL_DATE: Final[Schema] = {"type": ["string", "null"], "format": "date"}
_TEXT: Final[Schema] = {"type": "string"}
_CODE: Final[Schema] = {
    "type": "string",
    "pattern": "^[a-z0-9][a-z0-9-]{0,62}$",
    "x-error": "must be 1-63 lower-case letters, digits and dashes, e.g. 'gothenburg'",
}
_AGENCY: Final[Schema] = {
    "type": "string",
    "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    "x-error": "must be an agency code, e.g. dpu",
}
_FIELDS: Final[Schema] = {
    "type": "array",
    "items": {"enum": [f.value for f in CooperationField]},
    "minItems": 1,
    "uniqueItems": True,
}
_AGENCIES: Final[Schema] = {"type": "array", "items": _AGENCY, "minItems": 1, "maxItems": 50}
_DOCUMENT: Final[Schema] = {
    "type": "object",
    "required": ["name", "sha256"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "sha256": {
            "type": "string",
            "pattern": "^[0-9a-fA-F]{64}$",
            "x-error": "must be 64 hex digits (a SHA-256)",
        },
    },
    "additionalProperties": False,
}
_DOCUMENTS: Final[Schema] = {"type": "array", "items": _DOCUMENT, "maxItems": 100}
_TERM_IN: Final[Schema] = {
    "type": "object",
    "description": "From start through end (both included), or for a number of whole years.",
    "required": ["start"],
    "properties": {
        "start": _DATE,
        "end": _NULL_DATE,
        "years": {"type": "integer", "minimum": 1, "maximum": 50},
    },
    "additionalProperties": False,
}
_NOTES: Final[Schema] = {"type": "string", "maxLength": 4000}
_VERSION: Final[Schema] = {
    "type": "integer",
    "minimum": 1,
    "description": "The version read; a stale one is a 409.",
}

PARTNER: Final = component(
    "CooperationPartner",
    {
        "type": "object",
        "required": ["code", "kind", "name", "country", "region_code"],
        "properties": {
            "code": _TEXT,
            "kind": {"enum": [k.value for k in PartnerKind]},
            "name": _TEXT,
            "country": {"type": "string", "description": "ISO 3166-1 alpha-2."},
            "region_code": {"type": ["string", "null"]},
        },
    },
)
_PARTNER_IN: Final[Schema] = {
    "type": "object",
    "required": ["code", "kind", "name"],
    "properties": {
        "code": _CODE,
        "kind": {"enum": [k.value for k in PartnerKind]},
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "country": {
            "type": "string",
            "pattern": "^[A-Za-z]{2}$",
            "x-error": "must be an ISO 3166-1 alpha-2 country code, e.g. ID, SE, KR",
        },
        "region_code": {"type": "string", "maxLength": 16},
    },
    "additionalProperties": False,
}
_APPROVAL: Final[Schema] = {
    "type": "object",
    "required": ["kind", "decision", "reference", "decided_on", "notes", "withdrawn_on"],
    "properties": {
        "kind": {"enum": [k.value for k in ApprovalKind]},
        "decision": {"enum": [d.value for d in Decision]},
        "reference": _TEXT,
        "decided_on": _DATE,
        "notes": _TEXT,
        "withdrawn_on": {
            **_NULL_DATE,
            "description": "When a revision before signing made it stale (it no longer counts).",
        },
    },
}
AGREEMENT: Final = component(
    "CooperationAgreement",
    {
        "type": "object",
        "required": [
            "id",
            "partner",
            "kind",
            "title",
            "fields",
            "agencies",
            "implements",
            "number",
            "signed_on",
            "signing_event",
            "term",
            "renewal",
            "documents",
            "approvals",
            "missing_approvals",
            "status",
            "recorded_status",
            "status_notes",
            "created_at",
            "updated_at",
            "version",
        ],
        "properties": {
            "id": {"type": "integer"},
            "partner": _TEXT,
            "kind": {"enum": [k.value for k in AgreementKind]},
            "title": _TEXT,
            "fields": {"type": "array", "items": {"enum": [f.value for f in CooperationField]}},
            "agencies": {"type": "array", "items": _TEXT},
            "implements": {"type": ["integer", "null"]},
            "number": {"type": ["string", "null"]},
            "signed_on": _NULL_DATE,
            "signing_event": {"type": ["string", "null"]},
            "term": {
                "type": ["object", "null"],
                "required": ["start", "end"],
                "properties": {"start": _DATE, "end": _NULL_DATE},
            },
            "renewal": {"enum": [r.value for r in Renewal]},
            "documents": {"type": "array", "items": _DOCUMENT},
            "approvals": {"type": "array", "items": _APPROVAL},
            "missing_approvals": {
                "type": "array",
                "items": {"enum": [k.value for k in ApprovalKind]},
                "description": "Approvals still needed before it can become active.",
            },
            "status": {
                "enum": [s.value for s in AgreementStatus],
                "description": "The status today (expired once its term ended).",
            },
            "recorded_status": {"enum": [s.value for s in AgreementStatus]},
            "status_notes": _TEXT,
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "version": {"type": "integer", "minimum": 1},
        },
    },
)
_AGREEMENT_IN: Final[Schema] = {
    "type": "object",
    "required": ["partner", "kind", "title", "fields", "agencies"],
    "properties": {
        "partner": _CODE,
        "kind": {"enum": [k.value for k in AgreementKind]},
        "title": {"type": "string", "minLength": 1, "maxLength": 300},
        "fields": _FIELDS,
        "agencies": _AGENCIES,
        "implements": {"type": "integer", "minimum": 1, "maximum": _MAX_ID},
        "number": {"type": "string", "minLength": 1, "maxLength": 100},
        "term": _TERM_IN,
        "renewal": {"enum": [r.value for r in Renewal]},
        "documents": _DOCUMENTS,
        "status": {"enum": ["draft", "negotiating"]},
    },
    "additionalProperties": False,
}
_REVISION: Final[Schema] = {
    "type": "object",
    "required": ["version"],
    "properties": {
        "version": _VERSION,
        "title": {"type": "string", "minLength": 1, "maxLength": 300},
        "fields": _FIELDS,
        "agencies": _AGENCIES,
        "number": {"type": ["string", "null"], "maxLength": 100},
        "term": {"anyOf": [_TERM_IN, {"type": "null"}]},
        "renewal": {"enum": [r.value for r in Renewal]},
        "documents": _DOCUMENTS,
        "signing_event": {"type": ["string", "null"], "maxLength": 200},
    },
    "additionalProperties": False,
}
_TRANSITION: Final[Schema] = {
    "type": "object",
    "required": ["to"],
    "properties": {
        "to": {"enum": [s.value for s in AgreementStatus]},
        "notes": _NOTES,
        "signed_on": _DATE,
        "signing_event": {"type": "string", "minLength": 1, "maxLength": 200},
        "version": _VERSION,
    },
    "additionalProperties": False,
}
_APPROVAL_IN: Final[Schema] = {
    "type": "object",
    "required": ["kind", "decision", "reference", "decided_on"],
    "properties": {
        "kind": {"enum": [k.value for k in ApprovalKind]},
        "decision": {"enum": [d.value for d in Decision]},
        "reference": {"type": "string", "minLength": 1, "maxLength": 100},
        "decided_on": _DATE,
        "notes": _NOTES,
        "on_rejection": {"enum": ["on_hold", "terminated"], "default": "on_hold"},
        "version": _VERSION,
    },
    "additionalProperties": False,
}
ACTIVITY: Final = component(
    "CooperationActivity",
    {
        "type": "object",
        "required": [
            "id",
            "agreement_id",
            "kind",
            "title",
            "starts",
            "ends",
            "participants",
            "outcome",
            "recorded_by",
        ],
        "properties": {
            "id": {"type": "integer"},
            "agreement_id": {"type": "integer"},
            "kind": {"enum": [k.value for k in ActivityKind]},
            "title": _TEXT,
            "starts": _DATE,
            "ends": _DATE,
            "participants": {"type": "integer", "minimum": 0},
            "outcome": _TEXT,
            "recorded_by": _TEXT,
        },
    },
)
_ACTIVITY_IN: Final[Schema] = {
    "type": "object",
    "required": ["kind", "title", "starts"],
    "properties": {
        "kind": {"enum": [k.value for k in ActivityKind]},
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "starts": _DATE,
        "ends": _DATE,
        "participants": {"type": "integer", "minimum": 0, "maximum": 100_000},
        "outcome": _NOTES,
    },
    "additionalProperties": False,
}
REMINDER: Final = component(
    "CooperationReminder",
    {
        "type": "object",
        "required": ["agreement", "ends_on", "days_left", "renews"],
        "properties": {
            "agreement": AGREEMENT,
            "ends_on": _DATE,
            "days_left": {"type": "integer", "minimum": 0},
            "renews": {"type": "boolean", "description": "It renews itself on that day."},
        },
    },
)

_CITY: Final = Param(
    "city", {"type": "string", "pattern": "^[^/]+$"}, "The city's slug.", where="path"
)
_ID: Final = Param(
    "agreement_id", {"type": "integer", "minimum": 0}, "The agreement's id.", where="path"
)

# --- helpers ---------------------------------------------------------------------------------


def _register(city: str) -> CooperationRegister:
    registers: dict[str, CooperationRegister] = current_app.extensions["smartcity"]["cooperation"]
    found = registers.get(city)
    if found is None:
        served = ", ".join(sorted(registers))
        raise NotFoundError(f"this server does not serve {city!r}: {served}")
    return found


def _keys() -> ApiKeys:
    keys: ApiKeys = current_app.extensions["smartcity"]["keys"]
    return keys


def _agreement_id(agreement_id: int) -> int:
    if agreement_id > _MAX_ID:
        raise NotFoundError(f"no agreement {agreement_id}")
    return agreement_id


def _date(value: str | None) -> dt.date | None:
    # The body schema has checked the form (format: date).
    return dt.date.fromisoformat(value) if value is not None else None


def _term(value: dict[str, Any] | None) -> Term | None:
    if value is None:
        return None
    start = dt.date.fromisoformat(value["start"])
    years, end = value.get("years"), value.get("end")
    if years is not None and end is not None:
        raise ValidationError.single("term.years", "give term.end or term.years, not both")
    if years is not None:
        return Term.years(start, years)
    return Term(start, _date(end))


def _documents(value: list[dict[str, str]]) -> list[Document]:
    found = []
    for i, d in enumerate(value):
        try:
            found.append(Document(d["name"], d["sha256"]))
        except ValidationError as e:
            raise e.prefixed(f"documents[{i}]") from None
    return found


def _term_json(term: Term | None) -> dict[str, Any] | None:
    if term is None:
        return None
    return {"start": term.start.isoformat(), "end": term.end.isoformat() if term.end else None}


def _agreement_json(register: CooperationRegister, a: Agreement) -> dict[str, Any]:
    today = register.today()
    return {
        "id": a.id,
        "partner": a.partner,
        "kind": a.kind.value,
        "title": a.title,
        "fields": [f.value for f in a.fields],
        "agencies": list(a.agencies),
        "implements": a.implements,
        "number": a.number,
        "signed_on": a.signed_on.isoformat() if a.signed_on else None,
        "signing_event": a.signing_event,
        "term": _term_json(a.term),
        "renewal": a.renewal.value,
        "documents": [{"name": d.name, "sha256": d.sha256} for d in a.documents],
        "approvals": [
            {
                "kind": p.kind.value,
                "decision": p.decision.value,
                "reference": p.reference,
                "decided_on": p.decided_on.isoformat(),
                "notes": p.notes,
                "withdrawn_on": p.withdrawn_on.isoformat() if p.withdrawn_on else None,
            }
            for p in a.approvals
        ],
        "missing_approvals": [k.value for k in register.missing_approvals(a)]
        if not a.status.final
        else [],
        "status": a.status_on(today).value,
        "recorded_status": a.status.value,
        "status_notes": a.status_notes,
        "created_at": a.created_at.isoformat(),
        "updated_at": a.updated_at.isoformat(),
        "version": a.version,
    }


def _partner_json(p: Partner) -> dict[str, Any]:
    return {
        "code": p.code,
        "kind": p.kind.value,
        "name": p.name,
        "country": p.country,
        "region_code": p.region_code.value if p.region_code else None,
    }


def _activity_json(a: Activity) -> dict[str, Any]:
    return {
        "id": a.id,
        "agreement_id": a.agreement_id,
        "kind": a.kind.value,
        "title": a.title,
        "starts": a.starts.isoformat(),
        "ends": a.ends.isoformat(),
        "participants": a.participants,
        "outcome": a.outcome,
        "recorded_by": a.recorded_by,
    }


def _reminder_json(register: CooperationRegister, r: ExpiryReminder) -> dict[str, Any]:
    return {
        "agreement": _agreement_json(register, r.agreement),
        "ends_on": r.ends_on.isoformat(),
        "days_left": r.days_left,
        "renews": r.renews,
    }


def _created(data: dict[str, Any]) -> Response:
    response = jsonify(data)
    response.status_code = 201
    return response


# --- partners --------------------------------------------------------------------------------


@cooperation.get("/<city>/partners")
@operation(
    "The city's cooperation partners",
    tag="cooperation",
    path=(_CITY,),
    query=(Param("kind", {"enum": [k.value for k in PartnerKind]}, "Only this kind."),),
    answers={200: Answer("The partners, by code.", {"type": "array", "items": PARTNER})},
)
def list_partners(city: str) -> Response:
    """The partners in the city's register: other regions, cities and bodies abroad, firms."""
    register = _register(city)
    require(_keys(), request, *_READERS, city=city)
    kind = request.args.get("kind") or None
    return jsonify([_partner_json(p) for p in register.partners(kind=kind)])


@cooperation.post("/<city>/partners")
@operation(
    "Add a partner",
    tag="cooperation",
    path=(_CITY,),
    body=_PARTNER_IN,
    errors=(409,),
    answers={201: Answer("The partner as added.", PARTNER)},
)
def add_partner(city: str) -> Response:
    """Add a partner (admin). An Indonesian region gives its Kemendagri ``region_code``."""
    register = _register(city)
    key = require(_keys(), request, Role.ADMIN, city=city)
    body = json_body()
    region = body.get("region_code")
    partner = Partner(
        city=city,
        code=body["code"],
        kind=body["kind"],
        name=body["name"],
        country=body.get("country", "ID"),
        region_code=RegionCode.parse(region) if region else None,
    )
    return _created(_partner_json(register.add_partner(partner, actor=key.actor)))


# --- agreements ------------------------------------------------------------------------------


@cooperation.get("/<city>/agreements")
@operation(
    "Search agreements",
    tag="cooperation",
    path=(_CITY,),
    query=(
        *PAGE,
        Param(
            "status",
            {"enum": [s.value for s in AgreementStatus]},
            "Only this status (as of today: an agreement whose term ended is expired).",
        ),
        Param("field", {"enum": [f.value for f in CooperationField]}, "Only this field."),
        Param("kind", {"enum": [k.value for k in AgreementKind]}, "Only this kind."),
        Param("partner", _CODE, "Only this partner's."),
        Param(
            "expiring",
            {"type": "integer", "minimum": 0, "maximum": 3660},
            "Only those running whose term ends within this many days.",
        ),
    ),
    answers={200: Answer("A page of agreements, by id.", paged(AGREEMENT))},
)
def list_agreements(city: str) -> Response:
    """The city's agreements, by id."""
    register = _register(city)
    require(_keys(), request, *_READERS, city=city)
    page, size = _page()
    expiring = request.args.get("expiring")
    found = register.agreements(
        status=request.args.get("status") or None,
        field=request.args.get("field") or None,
        kind=request.args.get("kind") or None,
        partner=request.args.get("partner") or None,
        expiring_within=int(expiring) if expiring else None,
    )
    items = found[(page - 1) * size : page * size]
    return jsonify(
        {
            "page": page,
            "page_size": size,
            "items": [_agreement_json(register, a) for a in items],
        }
    )


@cooperation.post("/<city>/agreements")
@operation(
    "Enter an agreement",
    tag="cooperation",
    path=(_CITY,),
    body=_AGREEMENT_IN,
    answers={201: Answer("The agreement as entered, with its id.", AGREEMENT)},
)
def add_agreement(city: str) -> Response:
    """Enter an agreement as a draft or under negotiation (admin); sign it with a transition."""
    register = _register(city)
    key = require(_keys(), request, Role.ADMIN, city=city)
    body = json_body()
    agreement = Agreement(
        city=city,
        partner=body["partner"],
        kind=body["kind"],
        title=body["title"],
        fields=body["fields"],
        agencies=body["agencies"],
        implements=body.get("implements"),
        number=body.get("number"),
        term=_term(body.get("term")),
        renewal=body.get("renewal", "none"),
        documents=_documents(body.get("documents", [])),
        status=body.get("status", "draft"),
    )
    added = register.add_agreement(agreement, actor=key.actor)
    return _created(_agreement_json(register, added))


@cooperation.get("/<city>/agreements/<int:agreement_id>")
@operation(
    "One agreement",
    tag="cooperation",
    path=(_CITY, _ID),
    answers={200: Answer("The agreement.", AGREEMENT)},
)
def get_agreement(city: str, agreement_id: int) -> Response:
    """One agreement, with the approvals it still needs."""
    register = _register(city)
    require(_keys(), request, *_READERS, city=city)
    return jsonify(_agreement_json(register, register.get(_agreement_id(agreement_id))))


@cooperation.patch("/<city>/agreements/<int:agreement_id>")
@operation(
    "Revise an agreement's details",
    tag="cooperation",
    path=(_CITY, _ID),
    body=_REVISION,
    errors=(409,),
    answers={200: Answer("The agreement as revised.", AGREEMENT)},
)
def revise_agreement(city: str, agreement_id: int) -> Response:
    """Change details (admin): title, fields, agencies, number, term, renewal, documents.

    Give the ``version`` read. Once the agreement runs, its term changes only by amendment
    (renewal ``by_amendment``), keeping its start.
    """
    register = _register(city)
    key = require(_keys(), request, Role.ADMIN, city=city)
    body = json_body()
    version = body.pop("version")
    changes: dict[str, Any] = {k: v for k, v in body.items() if k in REVISABLE}
    if "term" in changes:
        changes["term"] = _term(changes["term"])
    if "documents" in changes:
        changes["documents"] = _documents(changes["documents"])
    revised = register.revise(
        _agreement_id(agreement_id), changes, actor=key.actor, expected_version=version
    )
    return jsonify(_agreement_json(register, revised))


@cooperation.post("/<city>/agreements/<int:agreement_id>/transitions")
@operation(
    "Move an agreement to another status",
    tag="cooperation",
    path=(_CITY, _ID),
    body=_TRANSITION,
    errors=(409,),
    answers={200: Answer("The agreement after the move.", AGREEMENT)},
)
def transition(city: str, agreement_id: int) -> Response:
    """Move an agreement (admin): sign it into force, hold, terminate, send for review.

    ``active`` takes ``signed_on`` (and ``signing_event``) unless recorded; it is refused
    (409) until the approvals the partner needs are recorded, and for a foreign private party
    until the central government's review approves it. ``on_hold`` and ``terminated`` need
    ``notes``.
    """
    register = _register(city)
    key = require(_keys(), request, Role.ADMIN, city=city)
    body = json_body()
    moved = register.transition(
        _agreement_id(agreement_id),
        body["to"],
        actor=key.actor,
        notes=body.get("notes", ""),
        signed_on=_date(body.get("signed_on")),
        signing_event=body.get("signing_event"),
        expected_version=body.get("version"),
    )
    return jsonify(_agreement_json(register, moved))


@cooperation.post("/<city>/agreements/<int:agreement_id>/approvals")
@operation(
    "Record an approval decision",
    tag="cooperation",
    path=(_CITY, _ID),
    body=_APPROVAL_IN,
    errors=(409,),
    answers={200: Answer("The agreement with the decision recorded.", AGREEMENT)},
)
def record_approval(city: str, agreement_id: int) -> Response:
    """Record a decision of the DPRD, a ministry or the central review (admin).

    A rejection of an approval the agreement needs puts it on hold, or ends it with
    ``"on_rejection": "terminated"``.
    """
    register = _register(city)
    key = require(_keys(), request, Role.ADMIN, city=city)
    body = json_body()
    approval = Approval(
        kind=body["kind"],
        decision=body["decision"],
        reference=body["reference"],
        decided_on=dt.date.fromisoformat(body["decided_on"]),
        notes=body.get("notes", ""),
    )
    updated = register.record_approval(
        _agreement_id(agreement_id),
        approval,
        actor=key.actor,
        on_rejection=body.get("on_rejection", "on_hold"),
        expected_version=body.get("version"),
    )
    return jsonify(_agreement_json(register, updated))


# --- activities and reminders ----------------------------------------------------------------


@cooperation.get("/<city>/agreements/<int:agreement_id>/activities")
@operation(
    "Activities under an agreement",
    tag="cooperation",
    path=(_CITY, _ID),
    answers={200: Answer("The activities, by start.", {"type": "array", "items": ACTIVITY})},
)
def list_activities(city: str, agreement_id: int) -> Response:
    """The trainings, study visits and app deployments done under an agreement."""
    register = _register(city)
    require(_keys(), request, *_READERS, city=city)
    found = register.activities(_agreement_id(agreement_id))
    return jsonify([_activity_json(a) for a in found])


@cooperation.post("/<city>/agreements/<int:agreement_id>/activities")
@operation(
    "Record an activity",
    tag="cooperation",
    path=(_CITY, _ID),
    body=_ACTIVITY_IN,
    errors=(409,),
    answers={201: Answer("The activity as recorded.", ACTIVITY)},
)
def add_activity(city: str, agreement_id: int) -> Response:
    """Record an activity under a signed agreement (admin, or a responsible agency's operator).

    ``ends`` is ``starts`` when left out.
    """
    register = _register(city)
    key = require(_keys(), request, Role.ADMIN, Role.OPERATOR, city=city)
    agreement = register.get(_agreement_id(agreement_id))
    if key.role is Role.OPERATOR and key.agency not in agreement.agencies:
        raise PermissionDeniedError(
            f"this key works for {key.agency}, which is not responsible for agreement "
            f"{agreement.id}"
        )
    body = json_body()
    starts = dt.date.fromisoformat(body["starts"])
    activity = Activity(
        agreement_id=agreement.id,
        kind=body["kind"],
        title=body["title"],
        starts=starts,
        ends=_date(body.get("ends")) or starts,
        participants=body.get("participants", 0),
        outcome=body.get("outcome", ""),
    )
    return _created(_activity_json(register.add_activity(activity, actor=key.actor)))


@cooperation.get("/<city>/reminders")
@operation(
    "Agreements ending soon",
    tag="cooperation",
    path=(_CITY,),
    query=(
        Param(
            "within",
            {"type": "integer", "minimum": 0, "maximum": 3660, "default": 90},
            "Days ahead (90 by default).",
        ),
    ),
    answers={
        200: Answer(
            "Running agreements ending soon, soonest first.",
            {
                "type": "array",
                "items": REMINDER,
            },
        )
    },
)
def reminders(city: str) -> Response:
    """Running agreements whose term ends within ``within`` days: renew, amend or let go."""
    register = _register(city)
    require(_keys(), request, *_READERS, city=city)
    within = int(request.args.get("within") or 90)
    return jsonify([_reminder_json(register, r) for r in register.expiring(within)])
