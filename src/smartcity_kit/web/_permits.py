"""The permits JSON API under ``/api/permits/``: applications, their lifecycle, verification.

Paths are relative to ``/api/permits``; ``<city>`` is a served city's slug and ``<id>`` an
application's number.

==============================================  ===================  ======================
Endpoint                                        Who                  Answers
==============================================  ===================  ======================
``GET /verify/<number>``                        anyone (no key)      200, 400
``GET /<city>/applications``                    readers              200, 400, 403, 404
``POST /<city>/applications``                   clerks               201, 400, 403, 404
``GET /<city>/applications/<id>``               readers              200, 403, 404
``POST /<city>/applications/<id>/documents``    clerks               201, 400, 403, 404, 409
``POST /<city>/applications/<id>/transitions``  clerks               200, 400, 403, 404, 409
``GET /<city>/overdue``                         readers              200, 403, 404
==============================================  ===================  ======================

Choices, and why:

- **Who may do what.** *Readers* are admin and auditor keys, and operator keys for the
  applications of their own office (``ApiKey.agency``, the service's agency). *Clerks* are
  admin keys and those operator keys: they open applications, attach documents and move them
  on. Auditors read and change nothing; Open311 client keys are refused. A key limited to a
  city reaches that city only.
- **Personal data.** The applicant's name is shown in full to admins and to the office's own
  operators, who handle the file; auditors see it masked (``A*** N***``). A NIK is always
  masked (``737110******0001``); a NIB is a business number and shown in full.
- **The public check** answers for any number, with no key: ``valid`` true or false, with the
  ``reason`` when false (``unknown``, ``revoked``, ``expired``, ``not_yet_valid``), the holder
  masked, the service and the dates. An unknown number is an answer (``valid: false``), not a
  404. A number issued in two of the served cities needs ``city``.
- **Moves** go through one endpoint, ``transitions``, with ``to`` and only the fields that move
  takes: ``missing`` (item numbers) and ``notes`` to send an application back, ``amount``
  (whole rupiah, the fee due) and ``reference`` to record a payment, ``reason`` to reject or
  revoke, ``notes`` to verify or approve. ``expected_version`` guards against a change made
  meanwhile (409). ``issued`` gives the permit its number.
"""

from __future__ import annotations

import warnings
from typing import Any, Final

from flask import Blueprint, Response, current_app, jsonify, request

from smartcity_kit.core import Nib, Nik, Rupiah, make_converter
from smartcity_kit.egov.permits import (
    PERMIT_SORTS,
    Applicant,
    ApplicantKind,
    Document,
    PermitApplication,
    PermitOffice,
    PermitStatus,
    check_number,
)
from smartcity_kit.egov.permits._models import MAX_DOCUMENT_BYTES
from smartcity_kit.errors import (
    ConfigurationError,
    ConflictError,
    FieldError,
    NotFoundError,
    PermissionDeniedError,
    UnknownRegionWarning,
    ValidationError,
)
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

__all__ = ["permits"]

permits = Blueprint("smartcity_permits", __name__, url_prefix="/api/permits")
_READERS: Final = (Role.ADMIN, Role.AUDITOR, Role.OPERATOR)
_CLERKS: Final = (Role.ADMIN, Role.OPERATOR)
_TAG: Final = "permits"
_converter = make_converter()

# --- what the endpoints take and answer --------------------------------------------------------

_TEXT: Final[Schema] = {"type": "string"}
_NULLABLE_TEXT: Final[Schema] = {"type": ["string", "null"]}
_INSTANT: Final[Schema] = {"type": ["string", "null"], "format": "date-time"}
_DAY: Final[Schema] = {"type": ["string", "null"], "format": "date"}
_STATUSES: Final = [s.value for s in PermitStatus]
_CITY = Param("city", {"type": "string"}, "The city's slug (makassar, baubau).", where="path")

DOCUMENT = component(
    "PermitDocument",
    {
        "type": "object",
        "description": "A reference to an uploaded document, for one checklist item.",
        "required": ["item", "name", "sha256", "size", "media_type"],
        "properties": {
            "item": {"type": "integer", "minimum": 1},
            "name": _TEXT,
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "size": {"type": "integer", "minimum": 1},
            "media_type": _TEXT,
        },
    },
)
APPLICATION = component(
    "PermitApplication",
    {
        "type": "object",
        "description": "A permit application, and the permit once issued.",
        "required": [
            "id",
            "city",
            "service_code",
            "service_name",
            "agency",
            "status",
            "applicant",
            "checklist",
            "documents",
            "missing",
            "unanswered",
            "fee",
            "working_days",
            "created_at",
            "updated_at",
            "submitted_at",
            "due_at",
            "paused_since",
            "paused_days",
            "overdue",
            "number",
            "valid_from",
            "valid_until",
            "version",
        ],
        "properties": {
            "id": {"type": "integer"},
            "city": _TEXT,
            "service_code": _TEXT,
            "service_name": _TEXT,
            "agency": _TEXT,
            "status": {"enum": _STATUSES},
            "applicant": {
                "type": "object",
                "required": ["kind", "name", "id"],
                "properties": {
                    "kind": {"enum": [k.value for k in ApplicantKind]},
                    "name": {
                        "type": "string",
                        "description": "Masked unless the caller may see it.",
                    },
                    "id": {"type": "string", "description": "The NIK masked, or the NIB."},
                },
            },
            "checklist": {
                "type": "array",
                "items": _TEXT,
                "description": "The requirements; item N is the N-th, from 1.",
            },
            "documents": {"type": "array", "items": DOCUMENT},
            "missing": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "Items the desk found missing when it sent the application back.",
            },
            "unanswered": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "Items without a document now.",
            },
            "fee": {"type": "integer", "minimum": 0, "description": "Whole rupiah."},
            "working_days": {"type": "integer"},
            "created_at": _INSTANT,
            "updated_at": _INSTANT,
            "submitted_at": _INSTANT,
            "due_at": {**_INSTANT, "description": "Null before submission and while paused."},
            "paused_since": _INSTANT,
            "paused_days": {"type": "integer", "minimum": 0},
            "overdue": {"type": "boolean"},
            "decided_at": _INSTANT,
            "paid_at": _INSTANT,
            "payment_reference": _NULLABLE_TEXT,
            "notes": _TEXT,
            "number": _NULLABLE_TEXT,
            "issued_at": _INSTANT,
            "valid_from": _DAY,
            "valid_until": _DAY,
            "revoked_at": _INSTANT,
            "version": {"type": "integer", "minimum": 1},
            "history": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["at", "actor", "action", "notes"],
                    "properties": {
                        "at": _INSTANT,
                        "actor": _TEXT,
                        "action": _TEXT,
                        "notes": _TEXT,
                    },
                },
            },
        },
    },
)
VERIFICATION = component(
    "PermitVerification",
    {
        "type": "object",
        "description": "Whether a permit number is valid; the holder masked.",
        "required": ["number", "valid", "reason"],
        "properties": {
            "number": _TEXT,
            "valid": {"type": "boolean"},
            "reason": {"enum": [None, "unknown", "revoked", "expired", "not_yet_valid"]},
            "city": _NULLABLE_TEXT,
            "holder": {**_NULLABLE_TEXT, "description": "The holder's name, masked."},
            "holder_kind": {"enum": [None, *(k.value for k in ApplicantKind)]},
            "holder_id": {**_NULLABLE_TEXT, "description": "The NIK masked, or the NIB."},
            "service_code": _NULLABLE_TEXT,
            "service_name": _NULLABLE_TEXT,
            "agency": _NULLABLE_TEXT,
            "issued_on": _DAY,
            "valid_until": _DAY,
            "revoked_on": _DAY,
        },
    },
)
_VERSION: Final[Schema] = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
_NEW_APPLICATION: Final[Schema] = {
    "type": "object",
    "required": ["service_code", "applicant"],
    "properties": {
        "service_code": {"type": "string", "minLength": 1, "maxLength": 64},
        "applicant": {
            "type": "object",
            "required": ["kind", "name"],
            "properties": {
                "kind": {"enum": [k.value for k in ApplicantKind]},
                "name": {"type": "string", "minLength": 1, "maxLength": 200},
                "nik": {"type": "string", "maxLength": 40, "x-error": "must be a NIK as text"},
                "nib": {"type": "string", "maxLength": 40, "x-error": "must be a NIB as text"},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}
_NEW_DOCUMENT: Final[Schema] = {
    "type": "object",
    "required": ["item", "name", "sha256", "size", "media_type"],
    "properties": {
        "item": {"type": "integer", "minimum": 1, "maximum": 1000},
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "sha256": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "x-error": "must be 64 lower-case hexadecimal digits",
        },
        "size": {"type": "integer", "minimum": 1, "maximum": MAX_DOCUMENT_BYTES},
        "media_type": {"type": "string", "minLength": 3, "maxLength": 127},
        "expected_version": _VERSION,
    },
    "additionalProperties": False,
}
#: Every status an application can be moved to (all but the first).
_MOVES: Final = [s.value for s in PermitStatus if s is not PermitStatus.DRAFT]
_TRANSITION: Final[Schema] = {
    "type": "object",
    "required": ["to"],
    "properties": {
        "to": {"enum": _MOVES},
        "notes": {"type": "string", "maxLength": 2000},
        "reason": {"type": "string", "minLength": 1, "maxLength": 2000},
        "missing": {
            "type": "array",
            "items": {"type": "integer", "minimum": 1, "maximum": 1000},
            "minItems": 1,
            "maxItems": 100,
        },
        "amount": {"type": "integer", "minimum": 0, "maximum": 10**15},
        "reference": {"type": "string", "minLength": 1, "maxLength": 100},
        "expected_version": _VERSION,
    },
    "additionalProperties": False,
}
# The fields each move takes besides ``to`` and ``expected_version``.
_FIELDS_OF: Final = {
    PermitStatus.SUBMITTED: frozenset(),
    PermitStatus.REQUIREMENTS_INCOMPLETE: frozenset({"missing", "notes"}),
    PermitStatus.VERIFIED: frozenset({"notes"}),
    PermitStatus.FEE_PAID: frozenset({"amount", "reference"}),
    PermitStatus.APPROVED: frozenset({"notes"}),
    PermitStatus.REJECTED: frozenset({"reason"}),
    PermitStatus.ISSUED: frozenset(),
    PermitStatus.REVOKED: frozenset({"reason"}),
}
_NEEDS: Final = {
    PermitStatus.REQUIREMENTS_INCOMPLETE: ("missing",),
    PermitStatus.FEE_PAID: ("amount", "reference"),
    PermitStatus.REJECTED: ("reason",),
    PermitStatus.REVOKED: ("reason",),
}


# --- services and the caller -------------------------------------------------------------------


def _offices() -> dict[str, PermitOffice]:
    offices: dict[str, PermitOffice] = current_app.extensions["smartcity"]["permit_offices"]
    return offices


def _office(city: str) -> PermitOffice:
    offices = _offices()
    office = offices.get(city)
    if office is None:
        raise NotFoundError(f"this server does not serve {city!r}: {', '.join(sorted(offices))}")
    return office


def _caller(city: str, *roles: Role) -> ApiKey:
    keys: ApiKeys = current_app.extensions["smartcity"]["keys"]
    return require(keys, request, *roles, city=city)


def _mine(key: ApiKey, agency: str) -> None:
    """An operator works on its own office's applications only."""
    if key.role is Role.OPERATOR and key.agency != agency:
        raise PermissionDeniedError(f"this key works for {key.agency}, not {agency}")


def _sees_names(key: ApiKey) -> bool:
    return key.role in (Role.ADMIN, Role.OPERATOR)


# --- answers -------------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _application_json(
    a: PermitApplication, key: ApiKey, office: PermitOffice, *, history: bool = False
) -> dict[str, Any]:
    now = office.clock.now()
    data: dict[str, Any] = {
        "id": a.id,
        "city": a.city,
        "service_code": a.service_code,
        "service_name": a.service_name,
        "agency": a.agency,
        "status": a.status.value,
        "applicant": {
            "kind": a.applicant.kind.value,
            "name": a.applicant.name if _sees_names(key) else a.applicant.masked_name,
            "id": a.applicant.identifier,
        },
        "checklist": list(a.checklist),
        "documents": [
            {
                "item": d.item,
                "name": d.name,
                "sha256": d.sha256,
                "size": d.size,
                "media_type": d.media_type,
            }
            for d in a.documents
        ],
        "missing": list(a.missing),
        "unanswered": a.unanswered(),
        "fee": a.fee.amount,
        "working_days": a.working_days,
        "created_at": _iso(a.created_at),
        "updated_at": _iso(a.updated_at),
        "submitted_at": _iso(a.submitted_at),
        "due_at": _iso(a.due_at),
        "paused_since": _iso(a.paused_at),
        "paused_days": a.paused_days,
        "overdue": a.overdue(now),
        "decided_at": _iso(a.decided_at),
        "paid_at": _iso(a.paid_at),
        "payment_reference": a.payment_reference,
        "notes": a.notes,
        "number": a.number,
        "issued_at": _iso(a.issued_at),
        "valid_from": _iso(a.valid_from),
        "valid_until": _iso(a.valid_until),
        "revoked_at": _iso(a.revoked_at),
        "version": a.version,
    }
    if history:
        data["history"] = [
            {"at": _iso(e.at), "actor": e.actor, "action": e.action, "notes": e.notes}
            for e in office.history(a.id)
        ]
    return data


# --- endpoints -----------------------------------------------------------------------------------


@permits.get("/verify/<path:number>")
@operation(
    "Check a permit number",
    tag=_TAG,
    auth="none",
    path=(
        Param(
            "number",
            {"type": "string"},
            "The permit number, e.g. 503/0042/DPMPTSP/XI/2026.",
            where="path",
        ),
    ),
    query=(
        Param(
            "city",
            {"type": "string", "maxLength": 64},
            "The issuing city, when several are served.",
        ),
    ),
    answers={
        200: Answer("Whether the number is a valid permit, and whose (masked).", VERIFICATION)
    },
)
def verify(number: str) -> Response:
    """Whether a permit number is valid today, for whom (masked) and until when; no key needed.

    An unknown number answers ``valid: false`` with ``reason: unknown``.
    """
    if len(number) > 100:
        raise ValidationError.single("number", "must be at most 100 characters")
    found = check_number(_offices(), number, request.args.get("city") or None)
    return jsonify(_converter.unstructure(found))


@permits.get("/<city>/applications")
@operation(
    "List permit applications",
    tag=_TAG,
    path=(_CITY,),
    query=(
        *PAGE,
        Param(
            "status",
            {"type": "array", "items": {"enum": _STATUSES}},
            "Only these statuses (comma-separated).",
        ),
        Param("service_code", {"type": "string", "maxLength": 64}, "Only this service."),
        Param(
            "sort",
            {"enum": list(PERMIT_SORTS), "default": "-created_at"},
            "The order: a field, descending with a leading '-' (newest first by default).",
        ),
    ),
    answers={200: Answer("A page of applications.", paged(APPLICATION))},
)
def list_applications(city: str) -> Response:
    """Applications, newest first; an operator sees its own office's."""
    office = _office(city)
    key = _caller(city, *_READERS)
    page = int(request.args.get("page") or 1)
    size = int(request.args.get("page_size") or 50)
    statuses = (
        [PermitStatus(s) for s in request.args["status"].split(",")]
        if request.args.get("status")
        else None
    )
    found = office.search(
        statuses=statuses,
        service_code=request.args.get("service_code") or None,
        agency=key.agency if key.role is Role.OPERATOR else None,
        limit=size,
        offset=(page - 1) * size,
        sort=request.args.get("sort") or "-created_at",
    )
    items = [_application_json(a, key, office) for a in found]
    return jsonify({"page": page, "page_size": size, "items": items})


def _applicant(body: dict[str, Any]) -> Applicant:
    data = body["applicant"]
    kind = ApplicantKind(data["kind"])
    problems: list[FieldError] = []
    if kind is ApplicantKind.PERSON and "nib" in data:
        problems.append(FieldError("applicant.nib", "a person is identified by a NIK"))
    if kind is ApplicantKind.BUSINESS and "nik" in data:
        problems.append(FieldError("applicant.nik", "a business is identified by a NIB"))
    field = "nik" if kind is ApplicantKind.PERSON else "nib"
    if field not in data:
        problems.append(FieldError(f"applicant.{field}", "is required"))
    if problems:
        raise ValidationError(problems)
    try:
        if kind is ApplicantKind.PERSON:
            with warnings.catch_warnings():
                # A NIK keeps the code of a district that has since split: still a valid NIK.
                warnings.simplefilter("ignore", UnknownRegionWarning)
                nik = Nik.parse(data["nik"])
            return Applicant.person(data["name"], nik)
        return Applicant.business(data["name"], Nib.parse(data["nib"]))
    except ValidationError as e:
        raise ValidationError(
            FieldError(
                e.path if e.path.startswith("applicant.") else f"applicant.{e.path}", e.message
            )
            for e in e.errors
        ) from None


@permits.post("/<city>/applications")
@operation(
    "Open a permit application",
    tag=_TAG,
    path=(_CITY,),
    body=_NEW_APPLICATION,
    answers={201: Answer("The new draft application.", APPLICATION)},
)
def create_application(city: str) -> Response:
    """Open a draft application for a service of the catalogue (admin, or the office's operator).

    The body: ``{"service_code": "P01", "applicant": {"kind": "person", "name": "...",
    "nik": "..."}}``; a business gives ``"nib"`` instead.
    """
    office = _office(city)
    key = _caller(city, *_CLERKS)
    body = json_body()
    applicant = _applicant(body)
    desks = current_app.extensions["smartcity"]["desks"]
    service = desks[city].service(body["service_code"])
    _mine(key, service.agency)
    made = office.apply(service.code, applicant, actor=key.actor)
    response = jsonify(_application_json(made, key, office, history=True))
    response.status_code = 201
    return response


@permits.get("/<city>/applications/<int:application_id>")
@operation(
    "One permit application with its history",
    tag=_TAG,
    path=(_CITY,),
    answers={200: Answer("The application.", APPLICATION)},
)
def get_application(city: str, application_id: int) -> Response:
    """One application, with every step of its history."""
    office = _office(city)
    key = _caller(city, *_READERS)
    found = office.get(_id(application_id))
    _mine(key, found.agency)
    return jsonify(_application_json(found, key, office, history=True))


def _id(value: int) -> int:
    if value > 2**31 - 1:
        raise NotFoundError(f"no permit application {value}")
    return value


@permits.post("/<city>/applications/<int:application_id>/documents")
@operation(
    "Attach a document to a checklist item",
    tag=_TAG,
    path=(_CITY,),
    body=_NEW_DOCUMENT,
    errors=(409,),
    answers={201: Answer("The application with the document.", APPLICATION)},
)
def attach_document(city: str, application_id: int) -> Response:
    """Attach a document reference to a checklist item, while a draft or sent back.

    The body: ``{"item": 1, "name": "ktp.pdf", "sha256": "...", "size": 48213,
    "media_type": "application/pdf", "expected_version": 1}``.
    """
    office = _office(city)
    key = _caller(city, *_CLERKS)
    body = json_body()
    current = office.get(_id(application_id))
    _mine(key, current.agency)
    document = Document(
        item=body["item"],
        name=body["name"],
        sha256=body["sha256"],
        size=body["size"],
        media_type=body["media_type"],
    )
    changed = office.attach(
        current.id, document, actor=key.actor, expected_version=body.get("expected_version")
    )
    response = jsonify(_application_json(changed, key, office, history=True))
    response.status_code = 201
    return response


@permits.post("/<city>/applications/<int:application_id>/transitions")
@operation(
    "Move a permit application on",
    tag=_TAG,
    path=(_CITY,),
    body=_TRANSITION,
    errors=(409,),
    answers={200: Answer("The application after the move, with its history.", APPLICATION)},
)
def transition(city: str, application_id: int) -> Response:
    """Move an application (admin, or the office's operator); ``to`` names the new status.

    The body holds ``to``, ``expected_version`` and the fields of that move: ``missing`` and
    ``notes`` (requirements_incomplete), ``amount`` and ``reference`` (fee_paid), ``reason``
    (rejected, revoked), ``notes`` (verified, approved).
    """
    office = _office(city)
    key = _caller(city, *_CLERKS)
    body = json_body()
    to = PermitStatus(body["to"])
    extra = set(body) - {"to", "expected_version"} - _FIELDS_OF[to]
    missing = [f for f in _NEEDS.get(to, ()) if f not in body]
    if extra or missing:
        raise ValidationError(
            [FieldError(f, f"is not a field of a move to {to.value}") for f in sorted(extra)]
            + [FieldError(f, f"is required to move to {to.value}") for f in missing]
        )
    current = office.get(_id(application_id))
    _mine(key, current.agency)
    version = body.get("expected_version")
    common: dict[str, Any] = {"actor": key.actor, "expected_version": version}
    notes = body.get("notes", "")
    aid = current.id
    if to is PermitStatus.SUBMITTED:
        moved = office.submit(aid, **common)
    elif to is PermitStatus.REQUIREMENTS_INCOMPLETE:
        moved = office.return_incomplete(aid, body["missing"], notes=notes, **common)
    elif to is PermitStatus.VERIFIED:
        moved = office.verify(aid, notes=notes, **common)
    elif to is PermitStatus.FEE_PAID:
        moved = office.record_payment(aid, Rupiah(body["amount"]), body["reference"], **common)
    elif to is PermitStatus.APPROVED:
        moved = office.approve(aid, notes=notes, **common)
    elif to is PermitStatus.REJECTED:
        moved = office.reject(aid, body["reason"], **common)
    elif to is PermitStatus.ISSUED:
        try:
            moved = office.issue(aid, **common)
        except ConfigurationError as e:
            raise ConflictError(str(e)) from None
    else:
        moved = office.revoke(aid, body["reason"], **common)
    return jsonify(_application_json(moved, key, office, history=True))


@permits.get("/<city>/overdue")
@operation(
    "Overdue permit applications",
    tag=_TAG,
    path=(_CITY,),
    answers={
        200: Answer(
            "Open applications past their deadline, most late first.",
            {"type": "array", "items": APPLICATION},
        )
    },
)
def overdue(city: str) -> Response:
    """Open applications past their deadline, most late first; an operator sees its own."""
    office = _office(city)
    key = _caller(city, *_READERS)
    late = [a for a in office.overdue() if key.role is not Role.OPERATOR or a.agency == key.agency]
    return jsonify([_application_json(a, key, office) for a in late])
