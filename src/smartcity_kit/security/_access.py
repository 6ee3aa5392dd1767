"""Who may see which camera: organisations, accounts, agreements, incident grants, decisions.

The models are pure; :func:`evaluate` is the one decision rule, also pure, so that it can be
tested over random worlds. :class:`~smartcity_kit.security.AccessPolicy` loads the world from the
database, calls :func:`evaluate` and writes every decision that hands something out to the audit
log.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from typing import Any, Final

import attrs

from smartcity_kit.core import GeoPoint, RegionCode, ensure_utc, mask_name
from smartcity_kit.errors import ValidationError
from smartcity_kit.security._cameras import Camera, OwnerKind, Purpose, check_id

__all__ = [
    "AccessDecision",
    "Account",
    "AccountRole",
    "Basis",
    "CameraScope",
    "IncidentGrant",
    "Organisation",
    "Right",
    "SharingAgreement",
    "evaluate",
]

_MAX_TEXT: Final = 500
#: The widest area an incident grant may cover (metres): a grant is for one place, not a city.
MAX_GRANT_RADIUS_M: Final = 5_000
#: The longest an incident grant may run.
MAX_GRANT_DAYS: Final = 90


def _id(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_id(attribute.name, value)


def _text(limit: int = _MAX_TEXT) -> Any:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise ValidationError.single(attribute.name, f"must be text of 1-{limit} characters")

    return check


def _as_utc(field: str, value: object) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise ValidationError.single(field, "must be a date and time with a zone")
    try:
        return ensure_utc(value, field)
    except ValueError as e:
        raise ValidationError.single(field, str(e)) from None


def _maybe_utc(field: str, value: object) -> dt.datetime | None:
    return None if value is None else _as_utc(field, value)


# attrs converters must be named functions for mypy: one per field.
def _valid_from(value: dt.datetime) -> dt.datetime:
    return _as_utc("valid_from", value)


def _valid_until(value: dt.datetime | None) -> dt.datetime | None:
    return _maybe_utc("valid_until", value)


def _revoked_at(value: dt.datetime | None) -> dt.datetime | None:
    return _maybe_utc("revoked_at", value)


def _footage_from(value: dt.datetime) -> dt.datetime:
    return _as_utc("footage_from", value)


def _footage_until(value: dt.datetime) -> dt.datetime:
    return _as_utc("footage_until", value)


def _granted_at(value: dt.datetime) -> dt.datetime:
    return _as_utc("granted_at", value)


def _expires_at(value: dt.datetime) -> dt.datetime:
    return _as_utc("expires_at", value)


class Right(enum.StrEnum):
    """What an agreement or grant lets an organisation do with a camera."""

    LIVE = "live"
    """Watch the live stream (the stream URI is handed out)."""
    PLAYBACK = "playback"
    """Play back recorded footage."""
    SNAPSHOT = "snapshot"
    """Take a still image now."""
    EXPORT = "export"
    """Export evidence (snapshots, clips) in a signed bundle."""
    PTZ = "ptz"
    """Steer a pan-tilt-zoom camera."""


def _rights(value: Iterable[Right | str]) -> frozenset[Right]:
    if isinstance(value, str):
        value = [value]
    try:
        rights = frozenset(Right(v) for v in value)
    except ValueError:
        raise ValidationError.single("rights", "must be among " + ", ".join(Right)) from None
    if not rights:
        raise ValidationError.single("rights", "must name at least one right")
    return rights


class AccountRole(enum.StrEnum):
    """What a person may do inside their organisation."""

    VIEWER = "viewer"
    """Watches and exports within what the organisation may (an operator, an investigator)."""
    ADMIN = "admin"
    """A viewer who also makes and revokes the organisation's agreements and approves grants."""
    AUDITOR = "auditor"
    """Reads access reports; never sees video (Inspektorat, Propam, a data-protection officer)."""


@attrs.frozen
class Organisation:
    """A party that owns cameras or is given access to them.

    Its ``id`` is the ``owner.code`` of the cameras it owns: that is the owner relation.

    Attributes:
        id: Short code (``diskominfo``, ``polrestabes-makassar``, ``polsek-tamalate``).
        city: The city's slug.
        name: Its full name.
        kind: City agency, police unit or private owner.
    """

    id: str = attrs.field(validator=_id)
    city: str = attrs.field(validator=_id)
    name: str = attrs.field(validator=_text(200))
    kind: OwnerKind = attrs.field(converter=OwnerKind)


@attrs.frozen(repr=False)
class Account:
    """A person who acts through an organisation. The name is personal data: masked in reprs.

    Attributes:
        id: Handle used in the audit log as ``account:<id>``; choose one without personal data
            (``polsek-tamalate.reskrim-01``), since the log keeps it for good.
        organisation: The organisation's id.
        role: What the person may do.
        name: The person's name (personal data).
        key_id: The API key (``smartcity-kit keys``) through which they use the web API.
        active: False once disabled: a disabled account is denied everything.
    """

    id: str = attrs.field(validator=_id)
    organisation: str = attrs.field(validator=_id)
    role: AccountRole = attrs.field(converter=AccountRole)
    name: str = attrs.field(validator=_text(100))
    key_id: str | None = None
    active: bool = True

    @property
    def actor(self) -> str:
        """How the account appears in the audit log."""
        return f"account:{self.id}"

    def __repr__(self) -> str:
        return (
            f"Account(id={self.id!r}, organisation={self.organisation!r}, "
            f"role={self.role.value!r}, name={mask_name(self.name)!r}, active={self.active})"
        )

    __str__ = __repr__


def _ids(field: str, value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        value = [value]
    return frozenset(check_id(field, v) for v in value)


def _camera_ids(value: Iterable[str]) -> frozenset[str]:
    return _ids("cameras", value)


def _site_ids(value: Iterable[str]) -> frozenset[str]:
    return _ids("sites", value)


def _districts(value: Iterable[RegionCode | str]) -> frozenset[RegionCode]:
    if isinstance(value, str | RegionCode):
        value = [value]
    return frozenset(v if isinstance(v, RegionCode) else RegionCode.parse(v) for v in value)


def _purposes(value: Iterable[Purpose | str]) -> frozenset[Purpose]:
    if isinstance(value, str):
        value = [value]
    try:
        return frozenset(Purpose(v) for v in value)
    except ValueError:
        raise ValidationError.single("purposes", "must be among " + ", ".join(Purpose)) from None


@attrs.frozen
class CameraScope:
    """Which of the owner's cameras an agreement covers: a camera matching any part is covered.

    Attributes:
        cameras: Camera ids.
        sites: Site ids.
        districts: Kecamatan codes (an area).
        purposes: Purposes (every traffic camera, say).
        everything: Every camera of the owner.
    """

    cameras: frozenset[str] = attrs.field(default=frozenset(), converter=_camera_ids)
    sites: frozenset[str] = attrs.field(default=frozenset(), converter=_site_ids)
    districts: frozenset[RegionCode] = attrs.field(default=frozenset(), converter=_districts)
    purposes: frozenset[Purpose] = attrs.field(default=frozenset(), converter=_purposes)
    everything: bool = False

    def __attrs_post_init__(self) -> None:
        if not (self.everything or self.cameras or self.sites or self.districts or self.purposes):
            raise ValidationError.single(
                "scope", "name cameras, sites, districts or purposes (or everything)"
            )

    def covers(self, camera: Camera) -> bool:
        """Whether ``camera`` is inside the scope (ownership is checked by the agreement)."""
        district = camera.location.district
        return (
            self.everything
            or camera.id in self.cameras
            or (camera.site is not None and camera.site in self.sites)
            or (district is not None and district in self.districts)
            or camera.purpose in self.purposes
        )

    def to_json(self) -> dict[str, Any]:
        """The scope as JSON-ready lists (sorted)."""
        return {
            "cameras": sorted(self.cameras),
            "sites": sorted(self.sites),
            "districts": sorted(d.value for d in self.districts),
            "purposes": sorted(p.value for p in self.purposes),
            "everything": self.everything,
        }

    @classmethod
    def from_json(cls, data: Any) -> CameraScope:
        """A scope from :meth:`to_json`'s shape (missing lists are empty).

        Raises:
            ValidationError: Not an object, an unknown key, or a bad value.
        """
        if not isinstance(data, dict):
            raise ValidationError.single("scope", "must be an object")
        unknown = set(data) - {"cameras", "sites", "districts", "purposes", "everything"}
        if unknown:
            raise ValidationError.single("scope", f"unknown key {min(unknown)!r}")
        lists = {}
        for key in ("cameras", "sites", "districts", "purposes"):
            value = data.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValidationError.single(f"scope.{key}", "must be a list of text")
            lists[key] = value
        everything = data.get("everything", False)
        if not isinstance(everything, bool):
            raise ValidationError.single("scope.everything", "must be true or false")
        try:
            return cls(**lists, everything=everything)
        except ValidationError as e:
            if all(err.path == "scope" for err in e.errors):
                raise  # an empty scope: already named "scope", not "scope.scope"
            raise e.prefixed("scope") from None


@attrs.frozen
class SharingAgreement:
    """An owner shares some of its cameras with another organisation (an MoU or PKS).

    Attributes:
        id: Its code (``PKS-2026-007``).
        owner: The organisation whose cameras are shared.
        grantee: The organisation that may use them.
        scope: Which of the owner's cameras.
        rights: What the grantee may do with them.
        legal_basis: The MoU/PKS reference that allows it.
        valid_from: When it starts.
        valid_until: When it ends (None: until revoked).
        revoked_at: When it was revoked; revocation is immediate.
        revoked_by: The account that revoked it.
        revoke_reason: Why.
    """

    id: str = attrs.field(validator=_id)
    owner: str = attrs.field(validator=_id)
    grantee: str = attrs.field(validator=_id)
    scope: CameraScope
    rights: frozenset[Right] = attrs.field(converter=_rights)
    legal_basis: str = attrs.field(validator=_text(200))
    valid_from: dt.datetime = attrs.field(converter=_valid_from)
    valid_until: dt.datetime | None = attrs.field(default=None, converter=_valid_until)
    revoked_at: dt.datetime | None = attrs.field(default=None, converter=_revoked_at)
    revoked_by: str | None = None
    revoke_reason: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.owner == self.grantee:
            raise ValidationError.single(
                "grantee", "an owner does not need an agreement with itself"
            )
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ValidationError.single("valid_until", "must be after valid_from")

    def in_force(self, at: dt.datetime) -> bool:
        """Whether the agreement holds at ``at`` (started, not ended, not revoked by then)."""
        return (
            self.valid_from <= at
            and (self.valid_until is None or at < self.valid_until)
            and (self.revoked_at is None or at < self.revoked_at)
        )


def _radius(_instance: object, _attribute: object, value: object) -> None:
    if type(value) is not int or not 1 <= value <= MAX_GRANT_RADIUS_M:
        raise ValidationError.single(
            "radius_m", f"must be whole metres from 1 to {MAX_GRANT_RADIUS_M}"
        )


@attrs.frozen
class IncidentGrant:
    """Time-bound access for one incident, to the owner's cameras near a place.

    The grant runs from ``granted_at`` to ``expires_at`` and ends by itself. Footage that is
    played back or exported under it must lie inside ``footage_from``..``footage_until`` (the
    incident's time window).

    Attributes:
        id: Number given when it is stored (0 before).
        case_number: The police report or case number (``LP/B/1234/XI/2026/SPKT``).
        reason: Why access is needed.
        owner: The organisation whose cameras are opened (its admin approved).
        organisation: The organisation given access.
        requested_by: The requesting officer's account.
        approved_by: The approving account (an admin of ``owner``).
        center: The incident's place.
        radius_m: Cameras within this many metres of ``center`` are covered.
        cameras: Cameras named outright (covered wherever they are).
        footage_from: Start of the incident's time window.
        footage_until: End of the incident's time window.
        granted_at: When access starts.
        expires_at: When access ends by itself.
        rights: What may be done (live, playback, snapshot, export by default).
        revoked_at: When it was revoked early, if it was.
        revoked_by: The account that revoked it.
        revoke_reason: Why.
    """

    case_number: str = attrs.field(validator=_text(100))
    reason: str = attrs.field(validator=_text())
    owner: str = attrs.field(validator=_id)
    organisation: str = attrs.field(validator=_id)
    requested_by: str = attrs.field(validator=_id)
    approved_by: str = attrs.field(validator=_id)
    footage_from: dt.datetime = attrs.field(converter=_footage_from)
    footage_until: dt.datetime = attrs.field(converter=_footage_until)
    granted_at: dt.datetime = attrs.field(converter=_granted_at)
    expires_at: dt.datetime = attrs.field(converter=_expires_at)
    center: GeoPoint | None = None
    radius_m: int = attrs.field(default=500, validator=_radius)
    cameras: frozenset[str] = attrs.field(default=frozenset(), converter=_camera_ids)
    rights: frozenset[Right] = attrs.field(
        default=frozenset({Right.LIVE, Right.PLAYBACK, Right.SNAPSHOT, Right.EXPORT}),
        converter=_rights,
    )
    id: int = 0
    revoked_at: dt.datetime | None = attrs.field(default=None, converter=_revoked_at)
    revoked_by: str | None = None
    revoke_reason: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.owner == self.organisation:
            raise ValidationError.single("organisation", "an owner does not need a grant")
        if self.center is None and not self.cameras:
            raise ValidationError.single("center", "give the incident's place or the cameras")
        if self.center is not None and not isinstance(self.center, GeoPoint):
            raise ValidationError.single("center", "must be a GeoPoint")
        if self.footage_until <= self.footage_from:
            raise ValidationError.single("footage_until", "must be after footage_from")
        if self.expires_at <= self.granted_at:
            raise ValidationError.single("expires_at", "must be after granted_at")
        if self.expires_at - self.granted_at > dt.timedelta(days=MAX_GRANT_DAYS):
            raise ValidationError.single(
                "expires_at", f"a grant runs at most {MAX_GRANT_DAYS} days; ask again to extend"
            )

    def covers(self, camera: Camera) -> bool:
        """Whether ``camera`` is named, or stands within the radius of the place."""
        if camera.id in self.cameras:
            return True
        point = camera.location.point
        return (
            self.center is not None
            and point is not None
            and self.center.distance_to(point) <= self.radius_m
        )

    def in_force(self, at: dt.datetime) -> bool:
        """Whether the grant holds at ``at``."""
        return self.granted_at <= at < self.expires_at and (
            self.revoked_at is None or at < self.revoked_at
        )


class Basis(enum.StrEnum):
    """What an allowed decision rests on."""

    OWNER = "owner"
    """The actor's organisation owns the camera."""
    AGREEMENT = "agreement"
    """A sharing agreement in force."""
    GRANT = "grant"
    """An incident grant in force."""


@attrs.frozen
class AccessDecision:
    """The answer to "may this account do this with this camera now?", with the reason.

    Attributes:
        allowed: Yes or no.
        account: The account's id.
        organisation: The account's organisation (None if the account is unknown).
        camera: The camera's id.
        right: What was asked.
        at: When it was asked (UTC).
        reason: Why, in words an auditor reads.
        basis: What an allowed decision rests on (None when denied).
        agreement: The agreement it rests on.
        grant: The incident grant it rests on.
        case_number: That grant's case number.
        footage_from: Start of the footage asked for (playback, export), if any.
        footage_until: End of the footage asked for, if any.
        audit_seq: The audit-log entry that records it (None when not recorded).
    """

    allowed: bool
    account: str
    organisation: str | None
    camera: str
    right: Right
    at: dt.datetime
    reason: str
    basis: Basis | None = None
    agreement: str | None = None
    grant: int | None = None
    case_number: str | None = None
    footage_from: dt.datetime | None = None
    footage_until: dt.datetime | None = None
    audit_seq: int | None = None

    def audit_details(self) -> dict[str, Any]:
        """What the audit entry records beside actor, action and subject."""
        return {
            "right": self.right.value,
            "organisation": self.organisation,
            "basis": self.basis.value if self.basis else None,
            "agreement": self.agreement,
            "grant": self.grant,
            "case_number": self.case_number,
            "footage_from": audit_time(self.footage_from) if self.footage_from else None,
            "footage_until": audit_time(self.footage_until) if self.footage_until else None,
            "reason": self.reason,
        }


def audit_time(at: dt.datetime) -> str:
    """``at`` for audit details: ISO 8601 to the second, as people read a record."""
    return at.isoformat(timespec="seconds")


def _stamp(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def evaluate(  # noqa: PLR0913 - the decision needs all of these, by name
    account: Account | None,
    camera: Camera,
    right: Right,
    at: dt.datetime,
    *,
    agreements: Sequence[SharingAgreement] = (),
    grants: Sequence[IncidentGrant] = (),
    footage: tuple[dt.datetime, dt.datetime] | None = None,
    only_grant: int | None = None,
    account_id: str | None = None,
) -> AccessDecision:
    """Decide whether ``account`` may use ``right`` on ``camera`` at ``at``. Pure: no I/O.

    The rule, in order: an unknown or disabled account, or an auditor, is denied; the owner's
    own accounts are allowed; then the first agreement in force (by id) that is between the
    camera's owner and the account's organisation, covers the camera and includes the right;
    then the first grant in force (by id) that does the same and whose footage window holds the
    footage asked for. Nothing else allows. ``only_grant`` limits the grants considered to one
    (acting under a named incident) and then ignores ownership and agreements.

    A denial's reason names the nearest misses (an agreement that expired, a grant that does not
    include the right), so that the person asking knows what to request.
    """
    at = ensure_utc(at, "at")
    right = Right(right)
    reason, basis = _verdict(account, camera, right, at, agreements, grants, footage, only_grant)
    return AccessDecision(
        allowed=basis is not None,
        account=account.id if account is not None else (account_id or "?"),
        organisation=account.organisation if account is not None else None,
        camera=camera.id,
        right=right,
        at=at,
        reason=reason if account is not None else f"there is no account {account_id or '?'}",
        footage_from=footage[0] if footage is not None else None,
        footage_until=footage[1] if footage is not None else None,
        **(basis or {}),
    )


_Verdict = tuple[str, dict[str, Any] | None]
#: How many near misses a denial's reason names.
_MAX_MISSES: Final = 5


def _verdict(  # noqa: PLR0911, PLR0913, PLR0917 - evaluate's question; one return per rule
    account: Account | None,
    camera: Camera,
    right: Right,
    at: dt.datetime,
    agreements: Sequence[SharingAgreement],
    grants: Sequence[IncidentGrant],
    footage: tuple[dt.datetime, dt.datetime] | None,
    only_grant: int | None,
) -> _Verdict:
    if account is None:
        return "there is no such account", None
    if not account.active:
        return f"account {account.id} is disabled", None
    if account.role is AccountRole.AUDITOR:
        return "auditor accounts read access reports; they do not use cameras", None
    owner = camera.owner.code
    misses: list[str] = []
    if only_grant is None:
        if owner == account.organisation:
            return f"{owner} owns the camera", {"basis": Basis.OWNER}
        found = _by_agreement(account.organisation, camera, right, at, agreements, misses)
        if found is not None:
            return found
    found = _by_grant(account.organisation, camera, right, at, grants, footage, only_grant, misses)
    if found is not None:
        return found
    if only_grant is not None and not any(g.id == only_grant for g in grants):
        misses.append(f"there is no grant {only_grant}")
    reason = (
        f"no agreement or grant in force gives {account.organisation} the right {right.value} "
        f"on camera {camera.id} (owner {owner})"
    )
    if misses:
        more = len(misses) - _MAX_MISSES
        reason += (
            ": " + "; ".join(misses[:_MAX_MISSES]) + (f"; and {more} more" if more > 0 else "")
        )
    return reason, None


def _by_agreement(  # noqa: PLR0913, PLR0917 - the question's parts
    organisation: str,
    camera: Camera,
    right: Right,
    at: dt.datetime,
    agreements: Sequence[SharingAgreement],
    misses: list[str],
) -> _Verdict | None:
    for agreement in sorted(agreements, key=lambda a: a.id):
        if agreement.owner != camera.owner.code or agreement.grantee != organisation:
            continue
        if not agreement.scope.covers(camera):
            continue
        miss = _agreement_miss(agreement, right, at)
        if miss is None:
            reason = f"agreement {agreement.id} ({agreement.legal_basis}) covers {right.value}"
            return reason, {"basis": Basis.AGREEMENT, "agreement": agreement.id}
        misses.append(miss)
    return None


def _by_grant(  # noqa: PLR0913, PLR0917 - the question's parts
    organisation: str,
    camera: Camera,
    right: Right,
    at: dt.datetime,
    grants: Sequence[IncidentGrant],
    footage: tuple[dt.datetime, dt.datetime] | None,
    only_grant: int | None,
    misses: list[str],
) -> _Verdict | None:
    for grant in sorted(grants, key=lambda g: g.id):
        if only_grant is not None and grant.id != only_grant:
            continue
        label = f"grant {grant.id} ({grant.case_number})"
        if grant.owner != camera.owner.code or grant.organisation != organisation:
            if only_grant is not None:
                misses.append(f"{label} is not for {organisation} on {camera.owner.code}'s cameras")
            continue
        if not grant.covers(camera):
            misses.append(f"{label} does not cover this camera")
            continue
        miss = _grant_miss(grant, right, at, footage)
        if miss is None:
            reason = f"incident {label} covers {right.value}"
            basis = {"basis": Basis.GRANT, "grant": grant.id, "case_number": grant.case_number}
            return reason, basis
        misses.append(miss)
    return None


def _agreement_miss(agreement: SharingAgreement, right: Right, at: dt.datetime) -> str | None:
    label = f"agreement {agreement.id}"
    if agreement.revoked_at is not None and agreement.revoked_at <= at:
        return f"{label} was revoked {_stamp(agreement.revoked_at)}"
    if at < agreement.valid_from:
        return f"{label} starts {_stamp(agreement.valid_from)}"
    if agreement.valid_until is not None and agreement.valid_until <= at:
        return f"{label} ended {_stamp(agreement.valid_until)}"
    if right not in agreement.rights:
        return f"{label} does not include {right.value}"
    return None


def _grant_miss(
    grant: IncidentGrant,
    right: Right,
    at: dt.datetime,
    footage: tuple[dt.datetime, dt.datetime] | None,
) -> str | None:
    label = f"grant {grant.id} ({grant.case_number})"
    if grant.revoked_at is not None and grant.revoked_at <= at:
        return f"{label} was revoked {_stamp(grant.revoked_at)}"
    if at < grant.granted_at:
        return f"{label} starts {_stamp(grant.granted_at)}"
    if grant.expires_at <= at:
        return f"{label} expired {_stamp(grant.expires_at)}"
    if right not in grant.rights:
        return f"{label} does not include {right.value}"
    if footage is not None and not (
        grant.footage_from <= footage[0] and footage[1] <= grant.footage_until
    ):
        return (
            f"{label} covers footage from {_stamp(grant.footage_from)} "
            f"to {_stamp(grant.footage_until)} only"
        )
    return None


def check_footage(
    footage: tuple[dt.datetime, dt.datetime] | None,
) -> tuple[dt.datetime, dt.datetime] | None:
    """``footage`` in UTC, checked: start before end.

    Raises:
        ValidationError: A naive time or an empty window.
    """
    if footage is None:
        return None
    start = _footage_from(footage[0])
    end = _footage_until(footage[1])
    if end <= start:
        raise ValidationError.single("footage_until", "must be after footage_from")
    return start, end
