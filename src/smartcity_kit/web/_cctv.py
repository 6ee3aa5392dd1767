"""The CCTV JSON API under ``/api/cctv/``: cameras, streams and snapshots, sharing, reports.

Every request names its caller with an API key (``X-API-Key`` or ``Authorization: Bearer``);
the caller is the :class:`~smartcity_kit.security.Account` linked to the key's id, whatever the
key's role. The account's organisation and role decide, through
:class:`~smartcity_kit.security.AccessPolicy`, what the caller may do. Every endpoint answers
403 to a request without a valid key, or whose key has no account (or a disabled one).

===========================================  ===========================  =====================
Endpoint                                     Who                          Answers
===========================================  ===========================  =====================
``GET /cameras[?right=&city=]``              any active account           200, 400
``GET /cameras/<id>``                        any active account           200, 400, 403, 404
``POST /cameras/<id>/stream``                any account (decided)        200, 400, 403, 404
``POST /cameras/<id>/snapshot``              any account (decided)        200, 400, 403, 502
``GET /agreements``                          admins                       200, 403
``POST /agreements``                         admins of the owner          201, 400, 403, 409
``POST /agreements/<id>/revoke``             admins of either side        200, 400, 403, 404
``GET /grants[?case_number=&in_force=]``     admins                       200, 400, 403
``POST /grants``                             admins of the owner          201, 400, 403
``POST /grants/<n>/revoke``                  admins of either side        200, 400, 403, 404
``GET /access-report?...&page=&page_size=``  auditors, admins             200, 400, 403
===========================================  ===========================  =====================

Choices, and why:

- **Refusals are 403 problem details**, as in the rest of the API: no key or a bad key
  ("a valid API key is required"), a key not linked to an account ("this key is not linked to a
  CCTV account"), a disabled account, the wrong role. A disabled account that asks for a stream
  or a snapshot is not turned away here but by the policy, so that the attempt is recorded.
- **Streams and snapshots are POST**: each writes a decision to the audit log and hands out
  something. GET must be safe (RFC 9110): browsers, proxies and link previews fetch and retry
  GETs, which would record decisions nobody asked for and could leave a URI in a cache. GET on
  them answers 405. Their answers carry ``Cache-Control: no-store``.
- **A denial names its audit entry**: the 403 of a stream or snapshot has the decision's reason as
  ``detail`` and its ``audit_seq`` as an extension member, so the person refused can quote it.
- **Unknown cameras**: as the library does. Asking for a stream or snapshot of a camera that does
  not exist is a recorded denial (403, "there is no camera ..."), because
  :meth:`~smartcity_kit.security.AccessPolicy.authorize` records it; ``GET /cameras/<id>`` asks
  :meth:`~smartcity_kit.security.AccessPolicy.decide`, which records nothing and answers 404 for
  an unknown camera, and 403 with the reason for a camera the caller has no right on (the stream
  endpoint tells that much anyway).
- **What a camera shows**: id, name, city, owner code and kind, purpose, type, status, site,
  location (GeoJSON point, kecamatan, kelurahan, address), its stream profile tokens and the
  caller's rights on it (decided now, not recorded). Never the management endpoint, credentials,
  stream URIs (only ``/stream`` hands one out, recorded) or the owner's name and contact (a private
  owner's is personal data). Accounts appear by id only, never by name.
- **A key limited to a city** (``ApiKey.city``) lists and uses that city's cameras only: another
  city, or a camera of another city, is refused with 403 before the policy is asked (nothing is
  handed out, so nothing is recorded). Agreements, grants and reports belong to organisations and
  ignore it.
- **Agreements and grants**: admins only. The owner is always the caller's organisation, the
  author (``by``, ``approved_by``) the caller; lists show what the caller's organisation owns or
  was given. ``valid_from`` defaults to now; a grant starts now and runs to ``expires_at`` or for
  ``hours``.
- **Access report**: auditors see every recorded decision; admins see the decisions about their
  organisation's cameras (as registered now) and those taken by their organisation's accounts;
  viewers are refused. Records come oldest first, paged as the rest of the API (``page``,
  ``page_size`` up to 200, 50 by default).
- **Bad input** is a 400 problem naming each field, checked before anything is written.
  Times are ISO 8601 with an offset; answers give them in UTC.
- **A camera that fails** to deliver a snapshot answers 502 without its address; the allowed
  decision stays recorded, since access was given.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Iterable
from typing import Any, Final, TypeVar

import attrs
from flask import Blueprint, Response, current_app, jsonify, request

from smartcity_kit.core import Clock, GeoPoint, ensure_utc, parse_instant
from smartcity_kit.errors import (
    DeviceAuthError,
    DeviceError,
    DeviceUnreachableError,
    FieldError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from smartcity_kit.security import (
    AccessDecision,
    AccessPolicy,
    AccessRecord,
    Account,
    AccountRole,
    Basis,
    Camera,
    CameraScope,
    CameraStatus,
    CameraType,
    IncidentGrant,
    OwnerKind,
    Purpose,
    Right,
    SharingAgreement,
)
from smartcity_kit.security._access import MAX_GRANT_DAYS, MAX_GRANT_RADIUS_M
from smartcity_kit.security._cameras import check_id
from smartcity_kit.security._policy import AccessDeniedError
from smartcity_kit.storage import ApiKey, ApiKeys, Role
from smartcity_kit.web._api import _json_body, _page
from smartcity_kit.web._auth import require
from smartcity_kit.web._openapi import PAGE, Answer, Param, Schema, component, operation, paged
from smartcity_kit.web._problems import problem

__all__ = ["cctv"]

cctv = Blueprint("smartcity_cctv", __name__, url_prefix="/api/cctv")
_log = logging.getLogger("smartcity_kit.web")
_ANY_KEY: Final = tuple(Role)
_T = TypeVar("_T")


# --- the caller ------------------------------------------------------------------------------


@attrs.frozen
class _Caller:
    key: ApiKey
    account: Account


def _policy() -> AccessPolicy:
    policy: AccessPolicy = current_app.extensions["smartcity"]["access_policy"]
    return policy


def _now() -> dt.datetime:
    clock: Clock = current_app.extensions["smartcity"]["clock"]
    return ensure_utc(clock.now())


def _caller(*roles: AccountRole, active: bool = True) -> _Caller:
    """The account behind the request's key, refused if disabled (``active``) or not in ``roles``.

    Raises:
        PermissionDeniedError: No valid key, no account for it, disabled, or the wrong role.
    """
    keys: ApiKeys = current_app.extensions["smartcity"]["keys"]
    key = require(keys, request, *_ANY_KEY)
    account = _policy().account_for_key(key.key_id)
    if account is None:
        raise PermissionDeniedError("this key is not linked to a CCTV account")
    if active and not account.active:
        raise PermissionDeniedError(f"account {account.id} is disabled")
    if roles and account.role not in roles:
        wanted = " or ".join(r.value for r in roles)
        raise PermissionDeniedError(
            f"this needs a CCTV account with role {wanted}; {account.id} is {account.role.value}"
        )
    return _Caller(key, account)


def _key_city(key: ApiKey, city: str | None) -> str | None:
    if key.city is None:
        return city
    if city is not None and city != key.city:
        raise PermissionDeniedError(f"this key is for {key.city}, not {city}")
    return key.city


def _check_camera_city(key: ApiKey, camera_id: str) -> None:
    """Refuse a camera of another city than the key's (an unknown camera is the policy's)."""
    if key.city is None:
        return
    try:
        camera = _policy().registry.get(camera_id)
    except NotFoundError:
        return
    _key_city(key, camera.city)


# --- JSON out --------------------------------------------------------------------------------


def _iso(value: dt.datetime | None) -> str | None:
    return ensure_utc(value).isoformat() if value is not None else None


def _rights_out(rights: Iterable[Right]) -> list[str]:
    given = set(rights)
    return [r.value for r in Right if r in given]


def _camera_json(camera: Camera, rights: Iterable[Right]) -> dict[str, Any]:
    location = camera.location
    return {
        "id": camera.id,
        "name": camera.name,
        "city": camera.city,
        "owner": {"code": camera.owner.code, "kind": camera.owner.kind.value},
        "purpose": camera.purpose.value,
        "type": camera.type.value,
        "status": camera.status.value,
        "site": camera.site,
        "location": {
            "point": location.point.to_geojson() if location.point else None,
            "district": str(location.district) if location.district else None,
            "village": str(location.village) if location.village else None,
            "address": location.address,
        },
        "profiles": [s.token for s in camera.streams],
        "rights": _rights_out(rights),
    }


def _decision_json(decision: AccessDecision) -> dict[str, Any]:
    return {
        "allowed": decision.allowed,
        "account": decision.account,
        "organisation": decision.organisation,
        "camera": decision.camera,
        "right": decision.right.value,
        "at": _iso(decision.at),
        "reason": decision.reason,
        "basis": decision.basis.value if decision.basis else None,
        "agreement": decision.agreement,
        "grant": decision.grant,
        "case_number": decision.case_number,
        "footage_from": _iso(decision.footage_from),
        "footage_until": _iso(decision.footage_until),
        "audit_seq": decision.audit_seq,
    }


def _agreement_json(agreement: SharingAgreement, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": agreement.id,
        "owner": agreement.owner,
        "grantee": agreement.grantee,
        "scope": agreement.scope.to_json(),
        "rights": _rights_out(agreement.rights),
        "legal_basis": agreement.legal_basis,
        "valid_from": _iso(agreement.valid_from),
        "valid_until": _iso(agreement.valid_until),
        "revoked_at": _iso(agreement.revoked_at),
        "revoked_by": agreement.revoked_by,
        "revoke_reason": agreement.revoke_reason,
        "in_force": agreement.in_force(now),
    }


def _grant_json(grant: IncidentGrant, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": grant.id,
        "case_number": grant.case_number,
        "reason": grant.reason,
        "owner": grant.owner,
        "organisation": grant.organisation,
        "requested_by": grant.requested_by,
        "approved_by": grant.approved_by,
        "center": grant.center.to_geojson() if grant.center else None,
        "radius_m": grant.radius_m,
        "cameras": sorted(grant.cameras),
        "rights": _rights_out(grant.rights),
        "footage_from": _iso(grant.footage_from),
        "footage_until": _iso(grant.footage_until),
        "granted_at": _iso(grant.granted_at),
        "expires_at": _iso(grant.expires_at),
        "revoked_at": _iso(grant.revoked_at),
        "revoked_by": grant.revoked_by,
        "revoke_reason": grant.revoke_reason,
        "in_force": grant.in_force(now),
    }


def _record_json(record: AccessRecord) -> dict[str, Any]:
    return {
        "audit_seq": record.audit_seq,
        "at": _iso(record.at),
        "account": record.account,
        "organisation": record.organisation,
        "camera": record.camera,
        "right": record.right.value,
        "allowed": record.allowed,
        "basis": record.basis.value if record.basis else None,
        "agreement": record.agreement,
        "grant": record.grant,
        "case_number": record.case_number,
        "reason": record.reason,
    }


@cctv.errorhandler(AccessDeniedError)
def _denied(error: AccessDeniedError) -> Response:
    """A recorded denial: 403 with the reason and the audit entry that records it."""
    response = problem(403, error.decision.reason)
    body = response.get_json()
    body["audit_seq"] = error.decision.audit_seq
    response.set_data(current_app.json.dumps(body))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- JSON in ---------------------------------------------------------------------------------


class _Body:
    """A JSON object body, read field by field; every problem is collected, then raised."""

    def __init__(self, allowed: Iterable[str], *, optional: bool = False) -> None:
        if optional and not request.get_data(cache=True):
            self.data: dict[str, Any] = {}
        else:
            self.data = _json_body()
        self.problems: list[FieldError] = [
            FieldError(name, "is not a field here") for name in sorted(set(self.data) - {*allowed})
        ]

    def get(self, name: str, read: Callable[[Any], _T], *, required: bool = False) -> _T | None:
        """The field read by ``read`` (None when absent or wrong; problems are kept)."""
        value = self.data.get(name)
        if value is None:
            if required:
                self.problems.append(FieldError(name, "is required"))
            return None
        try:
            return read(value)
        except ValidationError as error:
            self.problems.extend(
                FieldError(p.path if p.path.startswith(name) else name, p.message)
                for p in error.errors
            )
            return None

    def check(self) -> None:
        """Raise the problems found, if any.

        Raises:
            ValidationError: One problem per field.
        """
        if self.problems:
            raise ValidationError(self.problems)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError.single("", "must be text")
    return value


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError.single("", "must be a list of text")
    return value


def _rights_in(value: Any) -> frozenset[Right]:
    try:
        return frozenset(Right(v) for v in _texts(value))
    except ValueError:
        raise ValidationError.single("", "must be among " + ", ".join(Right)) from None


def _instant(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise ValidationError.single("", "must be an ISO 8601 date-time with an offset")
    return ensure_utc(parse_instant(value, ""))


def _center(value: Any) -> GeoPoint:
    if not isinstance(value, dict):
        raise ValidationError.single("center", "must be {lat, lon} or a GeoJSON Point")
    try:
        if "type" in value:
            return GeoPoint.from_geojson(value)
        if set(value) != {"lat", "lon"}:
            raise ValidationError.single("center", "must be {lat, lon} or a GeoJSON Point")
        return GeoPoint(latitude=value["lat"], longitude=value["lon"])
    except ValidationError as e:
        raise e.prefixed("center") from None


def _hours(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError.single("", "must be a number of hours")
    if not 0 < value <= 24 * 366:
        raise ValidationError.single("", "must be more than 0 (and a grant runs at most 90 days)")
    return float(value)


def _radius(value: Any) -> int:
    if type(value) is not int:
        raise ValidationError.single("", "must be whole metres")
    return value


def _path_id(field: str, value: str) -> str:
    return check_id(field, value)


def _arg_id(name: str) -> str | None:
    value = request.args.get(name)
    return check_id(name, value) if value else None


def _arg_instant(name: str) -> dt.datetime | None:
    value = request.args.get(name)
    return ensure_utc(parse_instant(value, name)) if value else None


def _arg_bool(name: str) -> bool | None:
    value = request.args.get(name)
    if not value:
        return None
    if value not in ("true", "false"):
        raise ValidationError.single(name, "must be true or false")
    return value == "true"


def _arg_right() -> Right | None:
    value = request.args.get("right")
    if not value:
        return None
    try:
        return Right(value)
    except ValueError:
        raise ValidationError.single("right", "must be one of " + ", ".join(Right)) from None


# --- what the endpoints take and answer (checked on every request; /api/openapi.json) --------

_RIGHTS: Final = [r.value for r in Right]
_RIGHTS_ERROR: Final = "must be among " + ", ".join(Right)
_ID_ERROR: Final = "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
_ID: Final[Schema] = {
    "type": "string",
    "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    "x-error": _ID_ERROR,
}
_TEXT: Final[Schema] = {"type": "string"}
_NULLABLE_TEXT: Final[Schema] = {"type": ["string", "null"]}
_INSTANT: Final[Schema] = {"type": "string", "format": "date-time"}
_NULLABLE_INSTANT: Final[Schema] = {"type": ["string", "null"], "format": "date-time"}
_INSTANT_ERROR: Final = "must be an ISO 8601 date-time with an offset"
_POINT: Final[Schema] = {
    "type": "object",
    "description": "A GeoJSON Point: [longitude, latitude].",
    "required": ["type", "coordinates"],
    "properties": {
        "type": {"const": "Point"},
        "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2},
    },
}
_NULLABLE_POINT: Final[Schema] = {**_POINT, "type": ["object", "null"]}
_RIGHTS_OUT: Final[Schema] = {
    "type": "array",
    "description": "In the order live, playback, snapshot, export, ptz.",
    "items": {"enum": _RIGHTS},
}
_BASIS: Final[Schema] = {
    "enum": [*(b.value for b in Basis), None],
    "description": "What an allowed decision rests on (null when denied).",
}


def _text_in(limit: int, error: str | None = None) -> Schema:
    """Text that is not blank, at most ``limit`` characters."""
    return {
        "type": "string",
        "pattern": r"\S",
        "maxLength": limit,
        "x-error": error or f"must be text of 1-{limit} characters",
    }


def _instant_in(*, nullable: bool) -> Schema:
    kind: Any = ["string", "null"] if nullable else "string"
    return {"type": kind, "format": "date-time", "x-error": _INSTANT_ERROR}


def _rights_in_schema(*, nullable: bool) -> Schema:
    kind: Any = ["array", "null"] if nullable else "array"
    return {
        "type": kind,
        "items": {"enum": _RIGHTS, "x-error": _RIGHTS_ERROR},
        "minItems": 1,
        "x-error": "must be a list naming at least one right",
    }


CAMERA: Final = component(
    "CctvCamera",
    {
        "type": "object",
        "description": "A camera as a caller sees it: never its address, credentials or "
        "stream URIs, nor its owner's name and contact.",
        "required": [
            "id",
            "name",
            "city",
            "owner",
            "purpose",
            "type",
            "status",
            "site",
            "location",
            "profiles",
            "rights",
        ],
        "properties": {
            "id": _TEXT,
            "name": _TEXT,
            "city": _TEXT,
            "owner": {
                "type": "object",
                "required": ["code", "kind"],
                "properties": {"code": _TEXT, "kind": {"enum": [k.value for k in OwnerKind]}},
            },
            "purpose": {"enum": [p.value for p in Purpose]},
            "type": {"enum": [t.value for t in CameraType]},
            "status": {"enum": [s.value for s in CameraStatus]},
            "site": _NULLABLE_TEXT,
            "location": {
                "type": "object",
                "required": ["point", "district", "village", "address"],
                "properties": {
                    "point": _NULLABLE_POINT,
                    "district": {
                        "type": ["string", "null"],
                        "description": "The kecamatan's code (73.71.10).",
                    },
                    "village": {
                        "type": ["string", "null"],
                        "description": "The kelurahan's code (73.71.10.1001).",
                    },
                    "address": _NULLABLE_TEXT,
                },
            },
            "profiles": {
                "type": "array",
                "items": _TEXT,
                "description": "Its stream profiles' tokens (ask /stream for one).",
            },
            "rights": {**_RIGHTS_OUT, "description": "The caller's rights on it now."},
        },
    },
)
DECISION: Final = component(
    "CctvDecision",
    {
        "type": "object",
        "description": "A decision on a camera access, with the audit entry that records it.",
        "required": [
            "allowed",
            "account",
            "organisation",
            "camera",
            "right",
            "at",
            "reason",
            "basis",
            "agreement",
            "grant",
            "case_number",
            "footage_from",
            "footage_until",
            "audit_seq",
        ],
        "properties": {
            "allowed": {"type": "boolean"},
            "account": _TEXT,
            "organisation": _NULLABLE_TEXT,
            "camera": _TEXT,
            "right": {"enum": _RIGHTS},
            "at": _INSTANT,
            "reason": _TEXT,
            "basis": _BASIS,
            "agreement": _NULLABLE_TEXT,
            "grant": {"type": ["integer", "null"]},
            "case_number": _NULLABLE_TEXT,
            "footage_from": _NULLABLE_INSTANT,
            "footage_until": _NULLABLE_INSTANT,
            "audit_seq": {"type": ["integer", "null"]},
        },
    },
)
_SCOPE: Final[Schema] = {
    "type": "object",
    "description": "Which of the owner's cameras: one matching any part is covered.",
    "properties": {
        "cameras": {"type": "array", "items": _ID, "x-error": "must be a list of text"},
        "sites": {"type": "array", "items": _ID, "x-error": "must be a list of text"},
        "districts": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Kecamatan codes (73.71.10).",
            "x-error": "must be a list of text",
        },
        "purposes": {
            "type": "array",
            "items": {
                "enum": [p.value for p in Purpose],
                "x-error": "must be among " + ", ".join(Purpose),
            },
            "x-error": "must be a list of text",
        },
        "everything": {
            "type": "boolean",
            "description": "Every camera of the owner.",
            "x-error": "must be true or false",
        },
    },
    "additionalProperties": False,
}
AGREEMENT: Final = component(
    "CctvAgreement",
    {
        "type": "object",
        "description": "An owner shares some of its cameras with another organisation.",
        "required": [
            "id",
            "owner",
            "grantee",
            "scope",
            "rights",
            "legal_basis",
            "valid_from",
            "valid_until",
            "revoked_at",
            "revoked_by",
            "revoke_reason",
            "in_force",
        ],
        "properties": {
            "id": _TEXT,
            "owner": _TEXT,
            "grantee": _TEXT,
            "scope": {
                "type": "object",
                "required": ["cameras", "sites", "districts", "purposes", "everything"],
                "properties": {
                    "cameras": {"type": "array", "items": _TEXT},
                    "sites": {"type": "array", "items": _TEXT},
                    "districts": {"type": "array", "items": _TEXT},
                    "purposes": {"type": "array", "items": {"enum": [p.value for p in Purpose]}},
                    "everything": {"type": "boolean"},
                },
            },
            "rights": _RIGHTS_OUT,
            "legal_basis": _TEXT,
            "valid_from": _INSTANT,
            "valid_until": _NULLABLE_INSTANT,
            "revoked_at": _NULLABLE_INSTANT,
            "revoked_by": _NULLABLE_TEXT,
            "revoke_reason": _NULLABLE_TEXT,
            "in_force": {"type": "boolean"},
        },
    },
)
_AGREEMENT_IN: Final[Schema] = {
    "type": "object",
    "required": ["id", "grantee", "scope", "rights", "legal_basis"],
    "properties": {
        "id": {**_ID, "description": "Its code (PKS-2026-007)."},
        "grantee": {**_ID, "description": "The organisation given access."},
        "scope": _SCOPE,
        "rights": _rights_in_schema(nullable=False),
        "legal_basis": {**_text_in(200), "description": "The MoU/PKS reference."},
        "valid_from": {**_instant_in(nullable=True), "description": "Now when left out."},
        "valid_until": {**_instant_in(nullable=True), "description": "Until revoked if left out."},
    },
    "additionalProperties": False,
}
GRANT: Final = component(
    "CctvGrant",
    {
        "type": "object",
        "description": "Time-bound access to the owner's cameras near an incident.",
        "required": [
            "id",
            "case_number",
            "reason",
            "owner",
            "organisation",
            "requested_by",
            "approved_by",
            "center",
            "radius_m",
            "cameras",
            "rights",
            "footage_from",
            "footage_until",
            "granted_at",
            "expires_at",
            "revoked_at",
            "revoked_by",
            "revoke_reason",
            "in_force",
        ],
        "properties": {
            "id": {"type": "integer"},
            "case_number": _TEXT,
            "reason": _TEXT,
            "owner": _TEXT,
            "organisation": _TEXT,
            "requested_by": _TEXT,
            "approved_by": _TEXT,
            "center": _NULLABLE_POINT,
            "radius_m": {"type": "integer"},
            "cameras": {"type": "array", "items": _TEXT},
            "rights": _RIGHTS_OUT,
            "footage_from": _INSTANT,
            "footage_until": _INSTANT,
            "granted_at": _INSTANT,
            "expires_at": _INSTANT,
            "revoked_at": _NULLABLE_INSTANT,
            "revoked_by": _NULLABLE_TEXT,
            "revoke_reason": _NULLABLE_TEXT,
            "in_force": {"type": "boolean"},
        },
    },
)
_CENTER_ERROR: Final = "must be {lat, lon} or a GeoJSON Point"
_CENTER_IN: Final[Schema] = {
    "type": ["object", "null"],
    "description": "The incident's place: {lat, lon}, or a GeoJSON Point.",
    "x-error": _CENTER_ERROR,
    "if": {"type": "object", "required": ["type"]},
    "then": {
        "required": ["coordinates"],
        "properties": {
            "type": {"const": "Point", "x-error": "must be 'Point'"},
            "coordinates": {
                "type": "array",
                "prefixItems": [
                    {"type": "number", "minimum": -180, "maximum": 180},
                    {"type": "number", "minimum": -90, "maximum": 90},
                ],
                "minItems": 2,
                "maxItems": 3,
                "x-error": "must be [longitude, latitude]",
            },
        },
    },
    "else": {
        "required": ["lat", "lon"],
        "properties": {
            "lat": {
                "type": "number",
                "minimum": -90,
                "maximum": 90,
                "x-error": "must be a latitude, -90 to 90",
            },
            "lon": {
                "type": "number",
                "minimum": -180,
                "maximum": 180,
                "x-error": "must be a longitude, -180 to 180",
            },
        },
        "additionalProperties": False,
    },
}
_MAX_HOURS: Final = 24 * MAX_GRANT_DAYS
_GRANT_IN: Final[Schema] = {
    "type": "object",
    "description": "Give `expires_at` or `hours`, not both; `center` or `cameras` (or both).",
    "required": [
        "case_number",
        "reason",
        "organisation",
        "requested_by",
        "footage_from",
        "footage_until",
    ],
    "properties": {
        "case_number": {**_text_in(100), "description": "The police report or case number."},
        "reason": {**_text_in(500), "description": "Why access is needed."},
        "organisation": {**_ID, "description": "The organisation given access."},
        "requested_by": {**_ID, "description": "The requesting officer's account."},
        "center": _CENTER_IN,
        "radius_m": {
            "type": ["integer", "null"],
            "minimum": 1,
            "maximum": MAX_GRANT_RADIUS_M,
            "description": "Cameras this close to center are covered (500 when left out).",
            "x-error": f"must be whole metres from 1 to {MAX_GRANT_RADIUS_M}",
        },
        "cameras": {
            "type": ["array", "null"],
            "items": _ID,
            "description": "Cameras of the owner named outright.",
            "x-error": "must be a list of text",
        },
        "footage_from": {**_instant_in(nullable=False), "description": "The incident's start."},
        "footage_until": {**_instant_in(nullable=False), "description": "The incident's end."},
        "expires_at": {**_instant_in(nullable=True), "description": "When access ends."},
        "hours": {
            "type": ["number", "null"],
            "exclusiveMinimum": 0,
            "maximum": _MAX_HOURS,
            "description": f"Or: access ends this many hours from now (at most {_MAX_HOURS}).",
            "x-error": f"must be a number of hours, more than 0 and at most {_MAX_HOURS}",
        },
        "rights": {
            **_rights_in_schema(nullable=True),
            "description": "live, playback, snapshot and export when left out.",
        },
    },
    "additionalProperties": False,
    "dependentSchemas": {
        "expires_at": {
            "properties": {"hours": {"not": {}, "x-error": "give expires_at or hours, not both"}}
        }
    },
    "if": {"not": {"required": ["hours"]}},
    "then": {"required": ["expires_at"]},
}
_REASON_IN: Final[Schema] = {
    "type": "object",
    "required": ["reason"],
    "properties": {"reason": {**_text_in(500, "say why, in 1-500 characters")}},
    "additionalProperties": False,
}
_STREAM_IN: Final[Schema] = {
    "type": "object",
    "properties": {
        "profile": {
            "type": ["string", "null"],
            "pattern": r"\S",
            "description": "A stream profile's token (the camera's first when left out).",
            "x-error": "must be text",
        }
    },
    "additionalProperties": False,
}
ACCESS_RECORD: Final = component(
    "CctvAccessRecord",
    {
        "type": "object",
        "description": "A recorded decision, naming its audit-log entry.",
        "required": [
            "audit_seq",
            "at",
            "account",
            "organisation",
            "camera",
            "right",
            "allowed",
            "basis",
            "agreement",
            "grant",
            "case_number",
            "reason",
        ],
        "properties": {
            "audit_seq": {"type": "integer"},
            "at": _INSTANT,
            "account": _TEXT,
            "organisation": _NULLABLE_TEXT,
            "camera": _TEXT,
            "right": {"enum": _RIGHTS},
            "allowed": {"type": "boolean"},
            "basis": _BASIS,
            "agreement": _NULLABLE_TEXT,
            "grant": {"type": ["integer", "null"]},
            "case_number": _NULLABLE_TEXT,
            "reason": _TEXT,
        },
    },
)
_CAMERA_ID: Final = Param("camera_id", _ID, "The camera's id.", where="path")
_NO_STORE: Final = {"Cache-Control": "no-store: the answer is not to be cached."}


# --- cameras ---------------------------------------------------------------------------------


@cctv.get("/cameras")
@operation(
    "List the cameras the caller may use",
    tag="cctv",
    query=(
        Param(
            "right",
            {"enum": _RIGHTS, "x-error": "must be one of " + ", ".join(Right)},
            "Only cameras the caller has this right on.",
        ),
        Param("city", _ID, "Only this city's cameras (a key limited to a city: its own)."),
    ),
    answers={
        200: Answer("The cameras, with the caller's rights.", {"type": "array", "items": CAMERA})
    },
)
def list_cameras() -> Response:
    """The cameras the caller may use (with ``right``: that right), with the caller's rights."""
    caller = _caller()
    wanted, city = _arg_right(), _arg_id("city")
    city = _key_city(caller.key, city)
    visible = _policy().camera_rights(caller.account.id, city=city, at=_now())
    return jsonify(
        [_camera_json(camera, rights) for camera, rights in visible if wanted in (None, *rights)]
    )


@cctv.get("/cameras/<camera_id>")
@operation(
    "One camera",
    tag="cctv",
    path=(_CAMERA_ID,),
    answers={200: Answer("The camera, with the caller's rights.", CAMERA)},
    errors=(400, 404),  # 400: a malformed camera id
)
def get_camera(camera_id: str) -> Response:
    """One camera the caller has some right on (404 unknown, 403 with the reason otherwise)."""
    caller = _caller()
    policy = _policy()
    camera = policy.registry.get(_path_id("camera", camera_id))
    _key_city(caller.key, camera.city)
    at = _now()
    decisions = [policy.decide(caller.account.id, camera.id, r, at=at) for r in Right]
    allowed = [d.right for d in decisions if d.allowed]
    if not allowed:
        raise PermissionDeniedError(decisions[0].reason)
    return jsonify(_camera_json(camera, allowed))


@cctv.post("/cameras/<camera_id>/stream")
@operation(
    "Hand out a camera's live stream (decided and recorded)",
    tag="cctv",
    path=(_CAMERA_ID,),
    body=_STREAM_IN,
    body_optional=True,
    answers={
        200: Answer(
            "The stream's URI and the recorded decision.",
            {
                "type": "object",
                "required": ["uri", "profile", "decision"],
                "properties": {"uri": _TEXT, "profile": _TEXT, "decision": DECISION},
            },
            headers=_NO_STORE,
        )
    },
    errors=(404,),
)
def stream(camera_id: str) -> Response:
    """The live stream's URI, after a recorded ``live`` decision; body ``{"profile": ...}``."""
    caller = _caller(active=False)
    body = _Body({"profile"}, optional=True)
    profile = body.get("profile", _text)
    body.check()
    _check_camera_city(caller.key, _path_id("camera", camera_id))
    access = _policy().stream_uri(caller.account.id, camera_id, profile=profile)
    response = jsonify(
        {"uri": access.uri, "profile": access.profile, "decision": _decision_json(access.decision)}
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _failure(error: DeviceError) -> str:
    if isinstance(error, DeviceUnreachableError):
        return "it did not answer"
    if isinstance(error, DeviceAuthError):
        return "it refused the credentials the city holds"
    return "it answered something unexpected"


@cctv.post("/cameras/<camera_id>/snapshot")
@operation(
    "Take a snapshot now (decided and recorded)",
    tag="cctv",
    path=(_CAMERA_ID,),
    answers={
        200: Answer(
            "The picture.",
            None,
            media=("image/jpeg",),
            headers={"X-Audit-Seq": "The audit entry that records the decision.", **_NO_STORE},
        )
    },
    errors=(400, 502),  # 400: a malformed camera id
)
def snapshot(camera_id: str) -> Response:
    """A JPEG taken now, after a recorded ``snapshot`` decision (``X-Audit-Seq`` names it)."""
    caller = _caller(active=False)
    _check_camera_city(caller.key, _path_id("camera", camera_id))
    try:
        shot = _policy().snapshot(caller.account.id, camera_id)
    except DeviceError as error:
        # The message names the device's address: logged for the city, not shown to the caller.
        _log.warning("snapshot of camera %s failed: %s", camera_id, error)
        return problem(502, f"camera {camera_id} did not deliver a snapshot: {_failure(error)}")
    response = Response(shot.image, status=200, mimetype="image/jpeg")
    response.headers["X-Audit-Seq"] = str(shot.decision.audit_seq)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Access-Control-Expose-Headers"] = "X-Audit-Seq"
    return response


# --- agreements ------------------------------------------------------------------------------


@cctv.get("/agreements")
@operation(
    "List the agreements of the caller's organisation",
    tag="cctv",
    answers={200: Answer("The agreements.", {"type": "array", "items": AGREEMENT})},
)
def list_agreements() -> Response:
    """Agreements the caller's organisation owns or was given (admins)."""
    caller = _caller(AccountRole.ADMIN)
    now = _now()
    found = _policy().agreements(organisation=caller.account.organisation)
    return jsonify([_agreement_json(a, now) for a in found])


@cctv.post("/agreements")
@operation(
    "Make a sharing agreement",
    tag="cctv",
    body=_AGREEMENT_IN,
    answers={201: Answer("The agreement as made.", AGREEMENT)},
    errors=(409,),
)
def create_agreement() -> tuple[Response, int]:
    """Share the caller's organisation's cameras with another (an admin of the owner)."""
    caller = _caller(AccountRole.ADMIN)
    now = _now()
    body = _Body({"id", "grantee", "scope", "rights", "legal_basis", "valid_from", "valid_until"})
    values: dict[str, Any] = {
        "id": body.get("id", _text, required=True),
        "grantee": body.get("grantee", _text, required=True),
        "scope": body.get("scope", CameraScope.from_json, required=True),
        "rights": body.get("rights", _rights_in, required=True),
        "legal_basis": body.get("legal_basis", _text, required=True),
        "valid_from": body.get("valid_from", _instant) or now,
        "valid_until": body.get("valid_until", _instant),
    }
    body.check()
    agreement = SharingAgreement(**values, owner=caller.account.organisation)
    made = _policy().create_agreement(agreement, by=caller.account.id)
    return jsonify(_agreement_json(made, now)), 201


def _reason() -> str:
    body = _Body({"reason"})
    reason = body.get("reason", _text, required=True)
    body.check()
    return reason or ""


@cctv.post("/agreements/<agreement_id>/revoke")
@operation(
    "Revoke an agreement",
    tag="cctv",
    path=(Param("agreement_id", _ID, "The agreement's code.", where="path"),),
    body=_REASON_IN,
    answers={200: Answer("The agreement, revoked.", AGREEMENT)},
    errors=(404,),
)
def revoke_agreement(agreement_id: str) -> Response:
    """End an agreement now (an admin of either side); body ``{"reason": ...}``."""
    caller = _caller(AccountRole.ADMIN)
    reason = _reason()
    policy = _policy()
    revoked = policy.revoke_agreement(
        _path_id("agreement", agreement_id), by=caller.account.id, reason=reason
    )
    return jsonify(_agreement_json(revoked, _now()))


# --- incident grants -------------------------------------------------------------------------


@cctv.get("/grants")
@operation(
    "List the incident grants of the caller's organisation",
    tag="cctv",
    query=(
        Param("case_number", _TEXT, "Only grants for this case."),
        Param(
            "in_force",
            {"type": "boolean", "x-error": "must be true or false"},
            "Only grants in force now (true) or not (false).",
        ),
    ),
    answers={200: Answer("The grants.", {"type": "array", "items": GRANT})},
)
def list_grants() -> Response:
    """Grants on the caller's organisation's cameras or given to it (admins)."""
    caller = _caller(AccountRole.ADMIN)
    now = _now()
    in_force = _arg_bool("in_force")
    case_number = request.args.get("case_number") or None
    found = _policy().grants(organisation=caller.account.organisation, case_number=case_number)
    return jsonify(
        [_grant_json(g, now) for g in found if in_force is None or g.in_force(now) == in_force]
    )


_GRANT_FIELDS: Final = {
    "case_number",
    "reason",
    "organisation",
    "requested_by",
    "center",
    "radius_m",
    "cameras",
    "footage_from",
    "footage_until",
    "expires_at",
    "hours",
    "rights",
}


@cctv.post("/grants")
@operation(
    "Open cameras near an incident to another organisation",
    tag="cctv",
    body=_GRANT_IN,
    answers={201: Answer("The grant as made, with its id.", GRANT)},
)
def create_grant() -> tuple[Response, int]:
    """Open the caller's organisation's cameras near an incident to another organisation."""
    caller = _caller(AccountRole.ADMIN)
    now = _now()
    body = _Body(_GRANT_FIELDS)
    values: dict[str, Any] = {
        name: body.get(name, _text, required=True)
        for name in ("case_number", "reason", "organisation", "requested_by")
    }
    values["footage_from"] = body.get("footage_from", _instant, required=True)
    values["footage_until"] = body.get("footage_until", _instant, required=True)
    optional: dict[str, Any] = {
        "center": body.get("center", _center),
        "radius_m": body.get("radius_m", _radius),
        "cameras": body.get("cameras", _texts),
        "rights": body.get("rights", _rights_in),
    }
    expires_at, hours = body.get("expires_at", _instant), body.get("hours", _hours)
    if "expires_at" in body.data and "hours" in body.data:
        body.problems.append(FieldError("hours", "give expires_at or hours, not both"))
    elif "expires_at" not in body.data and "hours" not in body.data:
        body.problems.append(FieldError("expires_at", "give expires_at or hours"))
    body.check()
    values["expires_at"] = now + dt.timedelta(hours=hours) if hours is not None else expires_at
    try:
        grant = IncidentGrant(
            **values,
            **{k: v for k, v in optional.items() if v is not None},
            owner=caller.account.organisation,
            approved_by=caller.account.id,
            granted_at=now,
        )
    except ValidationError as e:
        if hours is None:
            raise
        raise ValidationError(
            FieldError("hours" if p.path == "expires_at" else p.path, p.message) for p in e.errors
        ) from None
    made = _policy().grant_incident(grant)
    return jsonify(_grant_json(made, now)), 201


@cctv.post("/grants/<int:grant_id>/revoke")
@operation(
    "Revoke an incident grant",
    tag="cctv",
    path=(
        Param("grant_id", {"type": "integer", "minimum": 0}, "The grant's number.", where="path"),
    ),
    body=_REASON_IN,
    answers={200: Answer("The grant, revoked.", GRANT)},
    errors=(404,),
)
def revoke_grant(grant_id: int) -> Response:
    """End a grant now (an admin of either side); body ``{"reason": ...}``."""
    caller = _caller(AccountRole.ADMIN)
    reason = _reason()
    revoked = _policy().revoke_grant(grant_id, by=caller.account.id, reason=reason)
    return jsonify(_grant_json(revoked, _now()))


# --- the access report -----------------------------------------------------------------------


@cctv.get("/access-report")
@operation(
    "The access report",
    tag="cctv",
    query=(
        *PAGE,
        Param("camera", _ID, "Only decisions on this camera."),
        Param("organisation", _ID, "Only decisions for this organisation."),
        Param("account", _ID, "Only this account's decisions."),
        Param("incident", _TEXT, "Only decisions under this grant (its number or case number)."),
        Param("since", {**_INSTANT, "x-error": _INSTANT_ERROR}, "From this time (inclusive)."),
        Param("until", {**_INSTANT, "x-error": _INSTANT_ERROR}, "Before this time."),
        Param(
            "allowed",
            {"type": "boolean", "x-error": "must be true or false"},
            "Only allowed (true) or denied (false) decisions.",
        ),
    ),
    answers={200: Answer("A page of recorded decisions, oldest first.", paged(ACCESS_RECORD))},
)
def access_report() -> Response:
    """Recorded decisions, oldest first, paged: everything for auditors, their own for admins."""
    caller = _caller(AccountRole.AUDITOR, AccountRole.ADMIN)
    page, size = _page()
    problems: list[FieldError] = []

    def read(name: str, parse: Callable[[str], _T | None]) -> _T | None:
        try:
            return parse(name)
        except ValidationError as e:
            problems.extend(e.errors)
            return None

    filters: dict[str, Any] = {
        "camera": read("camera", _arg_id),
        "organisation": read("organisation", _arg_id),
        "account": read("account", _arg_id),
        "incident": request.args.get("incident") or None,
        "since": read("since", _arg_instant),
        "until": read("until", _arg_instant),
        "allowed": read("allowed", _arg_bool),
    }
    if problems:
        raise ValidationError(problems)
    policy = _policy()
    records = policy.access_report(**filters)
    if caller.account.role is AccountRole.ADMIN:
        organisation = caller.account.organisation
        own = {c.id for c in policy.registry.list(owner=organisation)}
        records = [r for r in records if r.organisation == organisation or r.camera in own]
    items = records[(page - 1) * size : page * size]
    return jsonify({"page": page, "page_size": size, "items": [_record_json(r) for r in items]})
