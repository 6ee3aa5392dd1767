"""The access policy: who may see which camera, decided in one place, recorded in the audit log."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from smartcity_kit.core import Clock, GeoPoint, SystemClock, ensure_utc
from smartcity_kit.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from smartcity_kit.security import _store as store
from smartcity_kit.security._access import (
    AccessDecision,
    Account,
    AccountRole,
    Basis,
    CameraScope,
    IncidentGrant,
    Organisation,
    Right,
    SharingAgreement,
    audit_time,
    check_footage,
    evaluate,
)
from smartcity_kit.security._cameras import Camera, check_id
from smartcity_kit.security._registry import CameraRegistry
from smartcity_kit.security.adapters._base import CameraAdapter, StreamProfile
from smartcity_kit.storage import AuditLog, Database

__all__ = ["AccessDeniedError", "AccessPolicy", "AccessRecord", "SnapshotAccess", "StreamAccess"]

#: How far before "now" a grant may say it starts (clocks of caller and server differ a little).
_GRANT_START_SLACK: Final = dt.timedelta(minutes=5)
_ALLOWED: Final = "cctv.access.allowed"
_DENIED: Final = "cctv.access.denied"
#: Grant numbers are 32-bit integers in the database; a larger number names no grant.
_MAX_GRANT_ID: Final = 2**31 - 1

Footage = tuple[dt.datetime, dt.datetime]


class AccessDeniedError(PermissionDeniedError):
    """A denial that is recorded: the message is its reason, ``decision`` the whole decision.

    Attributes:
        decision: The denied decision, with the ``audit_seq`` of the entry that records it.
    """

    def __init__(self, decision: AccessDecision) -> None:
        super().__init__(decision.reason)
        self.decision = decision


@attrs.frozen
class StreamAccess:
    """A stream URI handed out after an allowed, recorded decision.

    Attributes:
        uri: The RTSP URI (or the relay's), without credentials.
        profile: The stream profile's token.
        decision: The decision it was handed out under.
    """

    uri: str
    profile: str
    decision: AccessDecision


@attrs.frozen(repr=False)
class SnapshotAccess:
    """A still image taken after an allowed, recorded decision.

    Attributes:
        image: The JPEG bytes as the camera sent them.
        decision: The decision it was taken under.
    """

    image: bytes
    decision: AccessDecision

    def __repr__(self) -> str:
        return f"SnapshotAccess(image=<{len(self.image)} bytes>, decision={self.decision!r})"


@attrs.frozen
class AccessRecord:
    """One line of the access report: a recorded decision.

    Attributes:
        audit_seq: The audit-log entry that holds it (verify the chain to trust the report).
        at: When.
        account: Who asked.
        organisation: For which organisation.
        camera: Which camera.
        right: What was asked.
        allowed: The answer.
        basis: What an allowed decision rested on.
        agreement: The agreement, if any.
        grant: The incident grant, if any.
        case_number: The grant's case number.
        reason: The decision's reason.
    """

    audit_seq: int
    at: dt.datetime
    account: str
    organisation: str | None
    camera: str
    right: Right
    allowed: bool
    basis: Basis | None
    agreement: str | None
    grant: int | None
    case_number: str | None
    reason: str


class AccessPolicy:
    """Organisations, accounts, sharing agreements and incident grants, and the decisions on them.

    Every method that hands something out (:meth:`stream_uri`, :meth:`snapshot`,
    :meth:`authorize`, and the evidence exporter) writes the decision, allowed or denied, to the
    audit log in the same transaction that read the agreements and grants, so a revocation
    committed before the request is always seen. :meth:`decide` answers without recording, for
    screens that only show what someone could do.

    Args:
        db: The database (upgraded).
        registry: The camera registry (one over ``db`` by default).
        clock: Where "now" comes from.
        adapters: How to reach a camera for a snapshot (``registry.adapter`` by default).
        stream_relay: A URI template for the media relay that serves streams to other
            organisations, with ``{camera}`` and ``{profile}`` (``rtsp://relay:8554/{camera}``);
            by default the camera's own RTSP URI is handed out (never with credentials).
    """

    def __init__(
        self,
        db: Database,
        registry: CameraRegistry | None = None,
        *,
        clock: Clock | None = None,
        adapters: Callable[[Camera], CameraAdapter] | None = None,
        stream_relay: str | None = None,
    ) -> None:
        self._db = db
        self._clock: Clock = clock or SystemClock()
        self._registry = registry or CameraRegistry(db, clock=self._clock)
        self._adapters = adapters or self._registry.adapter
        self._audit = AuditLog(db, self._clock)
        if stream_relay is not None and "{camera}" not in stream_relay:
            raise ValidationError.single("stream_relay", "must contain {camera}")
        self._relay = stream_relay

    @property
    def clock(self) -> Clock:
        """Where the policy's "now" comes from."""
        return self._clock

    @property
    def database(self) -> Database:
        """The database the policy keeps its records in."""
        return self._db

    @property
    def registry(self) -> CameraRegistry:
        """The camera registry the policy reads."""
        return self._registry

    def _now(self) -> dt.datetime:
        return ensure_utc(self._clock.now())

    # --- organisations and accounts --------------------------------------------------------

    def save_organisation(self, organisation: Organisation, *, actor: str = "cli") -> Organisation:
        """Add an organisation, or change the one with the same id (recorded)."""
        values = attrs.asdict(organisation)
        values["kind"] = organisation.kind.value
        with self._db.transaction() as conn:
            table = store.organisations
            if conn.execute(sa.select(table.c.id).where(table.c.id == organisation.id)).first():
                conn.execute(sa.update(table).where(table.c.id == organisation.id), values)
            else:
                conn.execute(sa.insert(table), values)
            self._audit.append(
                conn,
                actor=actor,
                action="organisation.saved",
                subject=f"organisation:{organisation.id}",
                details={"city": organisation.city, "kind": organisation.kind.value},
            )
        return organisation

    def organisation(self, organisation_id: str) -> Organisation:
        """One organisation.

        Raises:
            NotFoundError: No such organisation.
        """
        with self._db.reading() as conn:
            found = self._organisation(conn, organisation_id)
        if found is None:
            raise NotFoundError(f"no organisation {check_id('organisation', organisation_id)}")
        return found

    def organisations(self, city: str | None = None) -> builtins.list[Organisation]:
        """Organisations by id (of one city when given)."""
        query = sa.select(store.organisations).order_by(store.organisations.c.id)
        if city is not None:
            query = query.where(store.organisations.c.city == city)
        with self._db.reading() as conn:
            return [_organisation_from_row(r) for r in conn.execute(query)]

    def add_account(self, account: Account, *, actor: str = "cli") -> Account:
        """Add an account to an organisation (recorded, without the name).

        Raises:
            ConflictError: The id, or the API key, is already taken.
            ValidationError: The organisation does not exist.
        """
        with self._db.transaction() as conn:
            if self._organisation(conn, account.organisation) is None:
                raise ValidationError.single(
                    "organisation", f"there is no organisation {account.organisation}"
                )
            if self._account(conn, account.id) is not None:
                raise ConflictError(f"account {account.id} already exists")
            if account.key_id is not None and self._account_by_key(conn, account.key_id):
                raise ConflictError(f"API key {account.key_id} already belongs to an account")
            conn.execute(
                sa.insert(store.accounts),
                {
                    "id": account.id,
                    "organisation": account.organisation,
                    "role": account.role.value,
                    "name": account.name,
                    "key_id": account.key_id,
                    "active": account.active,
                },
            )
            self._audit.append(
                conn,
                actor=actor,
                action="account.added",
                subject=account.actor,
                details={
                    "organisation": account.organisation,
                    "role": account.role.value,
                    "key_id": account.key_id,
                },
            )
        return account

    def set_account_active(self, account_id: str, *, active: bool, actor: str = "cli") -> Account:
        """Disable an account at once (``active=False``), or enable it again (recorded).

        Raises:
            NotFoundError: No such account.
        """
        with self._db.transaction() as conn:
            found = self._account(conn, account_id)
            if found is None:
                raise NotFoundError(f"no account {check_id('account', account_id)}")
            if found.active != active:
                conn.execute(
                    sa.update(store.accounts)
                    .where(store.accounts.c.id == account_id)
                    .values(active=active)
                )
                self._audit.append(
                    conn,
                    actor=actor,
                    action="account.enabled" if active else "account.disabled",
                    subject=found.actor,
                )
        return attrs.evolve(found, active=active)

    def account(self, account_id: str) -> Account:
        """One account.

        Raises:
            NotFoundError: No such account.
        """
        with self._db.reading() as conn:
            found = self._account(conn, account_id)
        if found is None:
            raise NotFoundError(f"no account {check_id('account', account_id)}")
        return found

    def account_for_key(self, key_id: str) -> Account | None:
        """The account that uses the API key ``key_id``, if any."""
        with self._db.reading() as conn:
            return self._account_by_key(conn, key_id)

    def accounts(self, organisation: str | None = None) -> builtins.list[Account]:
        """Accounts by id (of one organisation when given)."""
        query = sa.select(store.accounts).order_by(store.accounts.c.id)
        if organisation is not None:
            query = query.where(store.accounts.c.organisation == organisation)
        with self._db.reading() as conn:
            return [_account_from_row(r) for r in conn.execute(query)]

    # --- agreements ------------------------------------------------------------------------

    def create_agreement(self, agreement: SharingAgreement, *, by: str) -> SharingAgreement:
        """Record a sharing agreement, made by an admin of the owner (recorded).

        Raises:
            PermissionDeniedError: ``by`` is not an active admin of the owner.
            ValidationError: An organisation does not exist, or it is already revoked.
            ConflictError: An agreement with this id exists.
        """
        if agreement.revoked_at is not None:
            raise ValidationError.single("revoked_at", "a new agreement cannot be revoked")
        with self._db.transaction() as conn:
            admin = self._admin_of(conn, by, (agreement.owner,), "make agreements for")
            for field in ("owner", "grantee"):
                code = getattr(agreement, field)
                if self._organisation(conn, code) is None:
                    raise ValidationError.single(field, f"there is no organisation {code}")
            table = store.agreements
            if conn.execute(sa.select(table.c.id).where(table.c.id == agreement.id)).first():
                raise ConflictError(f"agreement {agreement.id} already exists")
            conn.execute(
                sa.insert(table),
                {
                    "id": agreement.id,
                    "owner": agreement.owner,
                    "grantee": agreement.grantee,
                    "scope": agreement.scope.to_json(),
                    "rights": sorted(r.value for r in agreement.rights),
                    "legal_basis": agreement.legal_basis,
                    "valid_from": agreement.valid_from,
                    "valid_until": agreement.valid_until,
                    "created_by": admin.id,
                },
            )
            self._audit.append(
                conn,
                actor=admin.actor,
                action="agreement.created",
                subject=f"agreement:{agreement.id}",
                details={
                    "owner": agreement.owner,
                    "grantee": agreement.grantee,
                    "scope": agreement.scope.to_json(),
                    "rights": sorted(r.value for r in agreement.rights),
                    "legal_basis": agreement.legal_basis,
                    "valid_from": audit_time(agreement.valid_from),
                    "valid_until": (
                        audit_time(agreement.valid_until) if agreement.valid_until else None
                    ),
                },
            )
        return agreement

    def revoke_agreement(self, agreement_id: str, *, by: str, reason: str) -> SharingAgreement:
        """Revoke an agreement now; from this moment it allows nothing (recorded).

        An admin of the owner or of the grantee may revoke. Revoking twice changes nothing.

        Raises:
            NotFoundError: No such agreement.
            PermissionDeniedError: ``by`` is not an active admin of either side.
            ValidationError: No reason given.
        """
        reason = _reason(reason)
        now = self._now()
        with self._db.transaction() as conn:
            found = self._agreement(conn, agreement_id)
            if found is None:
                raise NotFoundError(f"no agreement {check_id('agreement', agreement_id)}")
            admin = self._admin_of(conn, by, (found.owner, found.grantee), "revoke")
            if found.revoked_at is not None:
                return found
            conn.execute(
                sa.update(store.agreements)
                .where(store.agreements.c.id == agreement_id)
                .values(revoked_at=now, revoked_by=admin.id, revoke_reason=reason)
            )
            self._audit.append(
                conn,
                actor=admin.actor,
                action="agreement.revoked",
                subject=f"agreement:{agreement_id}",
                details={"reason": reason},
            )
        return attrs.evolve(found, revoked_at=now, revoked_by=admin.id, revoke_reason=reason)

    def agreement(self, agreement_id: str) -> SharingAgreement:
        """One agreement.

        Raises:
            NotFoundError: No such agreement.
        """
        with self._db.reading() as conn:
            found = self._agreement(conn, agreement_id)
        if found is None:
            raise NotFoundError(f"no agreement {check_id('agreement', agreement_id)}")
        return found

    def agreements(
        self,
        *,
        organisation: str | None = None,
        in_force_at: dt.datetime | None = None,
    ) -> builtins.list[SharingAgreement]:
        """Agreements by id: where ``organisation`` is owner or grantee; in force at a time."""
        table = store.agreements
        query = sa.select(table).order_by(table.c.id)
        if organisation is not None:
            query = query.where(
                sa.or_(table.c.owner == organisation, table.c.grantee == organisation)
            )
        with self._db.reading() as conn:
            found = [_agreement_from_row(r) for r in conn.execute(query)]
        if in_force_at is not None:
            at = ensure_utc(in_force_at, "in_force_at")
            found = [a for a in found if a.in_force(at)]
        return found

    # --- incident grants -------------------------------------------------------------------

    def grant_incident(self, grant: IncidentGrant) -> IncidentGrant:
        """Record an incident grant approved by an admin of the owner; returns it with its id.

        Raises:
            PermissionDeniedError: ``approved_by`` is not an active admin of the owner.
            ValidationError: The requester is not an active viewer or admin of the organisation
                given access, an organisation or a named camera does not exist (or is not the
                owner's), or the grant starts in the past.
        """
        if grant.revoked_at is not None:
            raise ValidationError.single("revoked_at", "a new grant cannot be revoked")
        if grant.granted_at < self._now() - _GRANT_START_SLACK:
            raise ValidationError.single("granted_at", "a grant cannot start in the past")
        with self._db.transaction() as conn:
            admin = self._admin_of(conn, grant.approved_by, (grant.owner,), "approve grants for")
            for field in ("owner", "organisation"):
                code = getattr(grant, field)
                if self._organisation(conn, code) is None:
                    raise ValidationError.single(field, f"there is no organisation {code}")
            requester = self._account(conn, grant.requested_by)
            if (
                requester is None
                or not requester.active
                or requester.organisation != grant.organisation
                or requester.role is AccountRole.AUDITOR
            ):
                raise ValidationError.single(
                    "requested_by",
                    f"must be an active viewer or admin of {grant.organisation}",
                )
            for camera_id in sorted(grant.cameras):
                row = conn.execute(store.CAMERA_BY_ID, {"id": camera_id}).first()
                if row is None or row.owner_code != grant.owner:
                    raise ValidationError.single(
                        "cameras", f"{camera_id} is not a camera of {grant.owner}"
                    )
            center = grant.center
            result = conn.execute(
                sa.insert(store.grants).returning(store.grants.c.id),
                {
                    "case_number": grant.case_number,
                    "reason": grant.reason,
                    "owner": grant.owner,
                    "organisation": grant.organisation,
                    "requested_by": grant.requested_by,
                    "approved_by": admin.id,
                    "lat": center.latitude if center else None,
                    "lon": center.longitude if center else None,
                    "radius_m": grant.radius_m,
                    "cameras": sorted(grant.cameras),
                    "rights": sorted(r.value for r in grant.rights),
                    "footage_from": grant.footage_from,
                    "footage_until": grant.footage_until,
                    "granted_at": grant.granted_at,
                    "expires_at": grant.expires_at,
                },
            )
            grant = attrs.evolve(grant, id=int(result.scalar_one()))
            self._audit.append(
                conn,
                actor=admin.actor,
                action="grant.created",
                subject=f"grant:{grant.id}",
                details=_grant_details(grant),
            )
        return grant

    def revoke_grant(self, grant_id: int, *, by: str, reason: str) -> IncidentGrant:
        """End a grant now, before it expires (recorded).

        An admin of the owner or of the organisation given access may revoke.

        Raises:
            NotFoundError: No such grant.
            PermissionDeniedError: ``by`` is not an active admin of either side.
            ValidationError: No reason given.
        """
        reason = _reason(reason)
        now = self._now()
        with self._db.transaction() as conn:
            found = self._grant(conn, grant_id)
            if found is None:
                raise NotFoundError(f"no grant {grant_id}")
            admin = self._admin_of(conn, by, (found.owner, found.organisation), "revoke")
            if found.revoked_at is not None:
                return found
            conn.execute(
                sa.update(store.grants)
                .where(store.grants.c.id == grant_id)
                .values(revoked_at=now, revoked_by=admin.id, revoke_reason=reason)
            )
            self._audit.append(
                conn,
                actor=admin.actor,
                action="grant.revoked",
                subject=f"grant:{grant_id}",
                details={"reason": reason, "case_number": found.case_number},
            )
        return attrs.evolve(found, revoked_at=now, revoked_by=admin.id, revoke_reason=reason)

    def grant(self, grant_id: int) -> IncidentGrant:
        """One grant.

        Raises:
            NotFoundError: No such grant.
        """
        with self._db.reading() as conn:
            found = self._grant(conn, grant_id)
        if found is None:
            raise NotFoundError(f"no grant {grant_id}")
        return found

    def grants(
        self,
        *,
        organisation: str | None = None,
        case_number: str | None = None,
        in_force_at: dt.datetime | None = None,
    ) -> builtins.list[IncidentGrant]:
        """Grants by id: where ``organisation`` is owner or grantee; of a case; in force."""
        table = store.grants
        query = sa.select(table).order_by(table.c.id)
        if organisation is not None:
            query = query.where(
                sa.or_(table.c.owner == organisation, table.c.organisation == organisation)
            )
        if case_number is not None:
            query = query.where(table.c.case_number == case_number)
        with self._db.reading() as conn:
            found = [_grant_from_row(r) for r in conn.execute(query)]
        if in_force_at is not None:
            at = ensure_utc(in_force_at, "in_force_at")
            found = [g for g in found if g.in_force(at)]
        return found

    # --- decisions -------------------------------------------------------------------------

    def decide(  # noqa: PLR0913 - one keyword per part of the question
        self,
        account_id: str,
        camera_id: str,
        right: Right | str,
        *,
        at: dt.datetime | None = None,
        footage: Footage | None = None,
        grant: int | None = None,
    ) -> AccessDecision:
        """The decision, without recording it (what a screen may offer; "what if" questions).

        Raises:
            ValidationError: A malformed id, an unknown right, a bad footage window.
            NotFoundError: No such camera.
        """
        right, footage = _question(account_id, camera_id, right, footage)
        when = ensure_utc(at, "at") if at is not None else self._now()
        with self._db.reading() as conn:
            camera = self._camera(conn, camera_id)
            if camera is None:
                raise NotFoundError(f"no camera {camera_id}")
            return self._evaluate(conn, account_id, camera, right, when, footage, grant)

    def authorize(
        self,
        account_id: str,
        camera_id: str,
        right: Right | str,
        *,
        footage: Footage | None = None,
        grant: int | None = None,
    ) -> AccessDecision:
        """Decide now and record the decision, allowed or denied, in the audit log.

        Use it before handing out anything the policy guards that this library does not hand out
        itself (playback from the city's NVR or VMS, PTZ control). Returns the decision with its
        ``audit_seq``; an unknown camera is recorded as denied too.

        Raises:
            ValidationError: A malformed id, an unknown right, a bad footage window (nothing
                is recorded for malformed input).
        """
        right, footage = _question(account_id, camera_id, right, footage)
        with self._db.transaction() as conn:
            return self._record(conn, account_id, camera_id, right, footage, grant)

    def require(
        self,
        account_id: str,
        camera_id: str,
        right: Right | str,
        *,
        footage: Footage | None = None,
        grant: int | None = None,
    ) -> AccessDecision:
        """:meth:`authorize`, raising when denied.

        Raises:
            AccessDeniedError: Denied (a :class:`PermissionDeniedError`); the message is the
                decision's reason, ``decision`` the decision with its ``audit_seq`` (recorded
                first).
            ValidationError: As for :meth:`authorize`.
        """
        decision = self.authorize(account_id, camera_id, right, footage=footage, grant=grant)
        if not decision.allowed:
            raise AccessDeniedError(decision)
        return decision

    def visible_cameras(
        self,
        account_id: str,
        right: Right | str = Right.LIVE,
        *,
        city: str | None = None,
        at: dt.datetime | None = None,
    ) -> builtins.list[Camera]:
        """The cameras ``account_id`` may use with ``right`` (not recorded: nothing is handed out).

        Raises:
            NotFoundError: No such account.
        """
        right = _right(right)
        return [
            camera
            for camera, rights in self.camera_rights(account_id, city=city, at=at)
            if right in rights
        ]

    def camera_rights(
        self,
        account_id: str,
        *,
        city: str | None = None,
        at: dt.datetime | None = None,
    ) -> builtins.list[tuple[Camera, frozenset[Right]]]:
        """Every camera ``account_id`` may use at all, by id, with the rights it has on each.

        One read of the cameras, agreements and grants; not recorded (nothing is handed out).

        Raises:
            NotFoundError: No such account.
        """
        when = ensure_utc(at, "at") if at is not None else self._now()
        with self._db.reading() as conn:
            account = self._account(conn, account_id)
            if account is None:
                raise NotFoundError(f"no account {check_id('account', account_id)}")
            agreements = self._agreements_for(conn, account.organisation)
            grants = self._grants_for(conn, account.organisation)
            query = sa.select(store.cameras).order_by(store.cameras.c.id)
            if city is not None:
                query = query.where(store.cameras.c.city == city)
            cameras = [store.camera_from_row(r) for r in conn.execute(query)]
        found = []
        for camera in cameras:
            rights = frozenset(
                right
                for right in Right
                if evaluate(
                    account, camera, right, when, agreements=agreements, grants=grants
                ).allowed
            )
            if rights:
                found.append((camera, rights))
        return found

    # --- hand-outs -------------------------------------------------------------------------

    def stream_uri(
        self, account_id: str, camera_id: str, *, profile: str | None = None
    ) -> StreamAccess:
        """The live stream URI, after a recorded, allowed ``live`` decision.

        Raises:
            PermissionDeniedError: Denied (recorded).
            NotFoundError: Allowed, but the camera has no such stream profile registered.
        """
        decision = self.require(account_id, camera_id, Right.LIVE)
        camera = self._registry.get(camera_id)
        stream = _pick_stream(camera, profile)
        if self._relay is not None:
            uri = self._relay.format(camera=camera.id, profile=stream.token)
        else:
            uri = stream.rtsp_uri
        return StreamAccess(uri=uri, profile=stream.token, decision=decision)

    def snapshot(self, account_id: str, camera_id: str) -> SnapshotAccess:
        """A still image taken now, after a recorded, allowed ``snapshot`` decision.

        The decision is committed before the camera is asked, so that the network wait holds no
        lock; a camera that fails to answer raises after the decision is recorded.

        Raises:
            PermissionDeniedError: Denied (recorded).
            DeviceError: The camera did not deliver.
        """
        decision = self.require(account_id, camera_id, Right.SNAPSHOT)
        adapter = self._adapters(self._registry.get(camera_id))
        try:
            image = adapter.snapshot()
        finally:
            adapter.close()
        return SnapshotAccess(image=image, decision=decision)

    # --- reports ---------------------------------------------------------------------------

    def access_report(  # noqa: PLR0913 - one keyword per filter
        self,
        *,
        camera: str | None = None,
        organisation: str | None = None,
        incident: str | int | None = None,
        account: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        allowed: bool | None = None,
    ) -> builtins.list[AccessRecord]:
        """Recorded decisions, oldest first: who used which camera, when, under what.

        ``incident`` is a grant id (a number) or a case number. ``since`` is inclusive and
        ``until`` exclusive. Each record names its audit-log entry, so the report can be checked
        against the verified chain.
        """
        log = store.access_log
        query = sa.select(log).order_by(log.c.audit_seq)
        if camera is not None:
            query = query.where(log.c.camera == camera)
        if organisation is not None:
            query = query.where(log.c.organisation == organisation)
        if account is not None:
            query = query.where(log.c.account == account)
        if allowed is not None:
            query = query.where(log.c.allowed == allowed)
        if incident is not None:
            text = str(incident).strip()
            if text.isascii() and text.isdigit() and int(text) <= _MAX_GRANT_ID:
                query = query.where(sa.or_(log.c.grant_id == int(text), log.c.case_number == text))
            else:
                query = query.where(log.c.case_number == text)
        if since is not None:
            query = query.where(log.c.at >= ensure_utc(since, "since"))
        if until is not None:
            query = query.where(log.c.at < ensure_utc(until, "until"))
        with self._db.reading() as conn:
            return [_record_from_row(r) for r in conn.execute(query)]

    # --- inside a transaction --------------------------------------------------------------

    def _record(  # noqa: PLR0913, PLR0917 - the question's parts
        self,
        conn: Connection,
        account_id: str,
        camera_id: str,
        right: Right,
        footage: Footage | None,
        grant: int | None,
    ) -> AccessDecision:
        now = self._now()
        camera = self._camera(conn, camera_id)
        if camera is None:
            account = self._account(conn, account_id)
            decision = AccessDecision(
                allowed=False,
                account=account_id,
                organisation=account.organisation if account else None,
                camera=camera_id,
                right=right,
                at=now,
                reason=f"there is no camera {camera_id}",
                footage_from=footage[0] if footage else None,
                footage_until=footage[1] if footage else None,
            )
        else:
            decision = self._evaluate(conn, account_id, camera, right, now, footage, grant)
        entry = self._audit.append(
            conn,
            actor=f"account:{account_id}",
            action=_ALLOWED if decision.allowed else _DENIED,
            subject=f"camera:{camera_id}",
            details=decision.audit_details(),
        )
        decision = attrs.evolve(decision, audit_seq=entry.seq)
        conn.execute(
            sa.insert(store.access_log),
            {
                "audit_seq": entry.seq,
                "at": now,
                "account": account_id,
                "organisation": decision.organisation,
                "camera": camera_id,
                "right": right.value,
                "allowed": decision.allowed,
                "basis": decision.basis.value if decision.basis else None,
                "agreement": decision.agreement,
                "grant_id": decision.grant,
                "case_number": decision.case_number,
                "reason": decision.reason[:1000],
            },
        )
        return decision

    def _evaluate(  # noqa: PLR0913, PLR0917 - the question's parts
        self,
        conn: Connection,
        account_id: str,
        camera: Camera,
        right: Right,
        at: dt.datetime,
        footage: Footage | None,
        grant: int | None,
    ) -> AccessDecision:
        account = self._account(conn, account_id)
        agreements: list[SharingAgreement] = []
        grants: list[IncidentGrant] = []
        if account is not None:
            agreements = self._agreements_for(conn, account.organisation, camera.owner.code)
            grants = self._grants_for(conn, account.organisation, camera.owner.code)
            if grant is not None and not any(g.id == grant for g in grants):
                found = self._grant(conn, grant)
                grants += [found] if found is not None else []
        return evaluate(
            account,
            camera,
            right,
            at,
            agreements=agreements,
            grants=grants,
            footage=footage,
            only_grant=grant,
            account_id=account_id,
        )

    def _admin_of(
        self, conn: Connection, account_id: str, organisations: tuple[str, ...], what: str
    ) -> Account:
        account = self._account(conn, check_id("by", account_id))
        if (
            account is None
            or not account.active
            or account.role is not AccountRole.ADMIN
            or account.organisation not in organisations
        ):
            raise PermissionDeniedError(
                f"only an active admin of {' or '.join(organisations)} may {what} this; "
                f"{account_id} is not one"
            )
        return account

    @staticmethod
    def _camera(conn: Connection, camera_id: str) -> Camera | None:
        row = conn.execute(store.CAMERA_BY_ID, {"id": camera_id}).first()
        return store.camera_from_row(row) if row is not None else None

    @staticmethod
    def _organisation(conn: Connection, organisation_id: str) -> Organisation | None:
        table = store.organisations
        row = conn.execute(sa.select(table).where(table.c.id == organisation_id)).first()
        return _organisation_from_row(row) if row is not None else None

    @staticmethod
    def _account(conn: Connection, account_id: str) -> Account | None:
        table = store.accounts
        row = conn.execute(sa.select(table).where(table.c.id == account_id)).first()
        return _account_from_row(row) if row is not None else None

    @staticmethod
    def _account_by_key(conn: Connection, key_id: str) -> Account | None:
        table = store.accounts
        row = conn.execute(sa.select(table).where(table.c.key_id == key_id)).first()
        return _account_from_row(row) if row is not None else None

    @staticmethod
    def _agreement(conn: Connection, agreement_id: str) -> SharingAgreement | None:
        table = store.agreements
        row = conn.execute(sa.select(table).where(table.c.id == agreement_id)).first()
        return _agreement_from_row(row) if row is not None else None

    @staticmethod
    def _grant(conn: Connection, grant_id: int) -> IncidentGrant | None:
        if type(grant_id) is not int:
            raise ValidationError.single("grant", "must be a grant number")
        if not 0 <= grant_id <= _MAX_GRANT_ID:
            return None  # PostgreSQL refuses to compare an INTEGER column with a larger number
        table = store.grants
        row = conn.execute(sa.select(table).where(table.c.id == grant_id)).first()
        return _grant_from_row(row) if row is not None else None

    @staticmethod
    def _agreements_for(
        conn: Connection, grantee: str, owner: str | None = None
    ) -> list[SharingAgreement]:
        table = store.agreements
        query = sa.select(table).where(table.c.grantee == grantee)
        if owner is not None:
            query = query.where(table.c.owner == owner)
        return [_agreement_from_row(r) for r in conn.execute(query)]

    @staticmethod
    def _grants_for(
        conn: Connection, organisation: str, owner: str | None = None
    ) -> list[IncidentGrant]:
        table = store.grants
        query = sa.select(table).where(table.c.organisation == organisation)
        if owner is not None:
            query = query.where(table.c.owner == owner)
        return [_grant_from_row(r) for r in conn.execute(query)]


def _right(right: Right | str) -> Right:
    try:
        return Right(right)
    except ValueError:
        raise ValidationError.single("right", "must be one of " + ", ".join(Right)) from None


def _question(
    account_id: str, camera_id: str, right: Right | str, footage: Footage | None
) -> tuple[Right, Footage | None]:
    check_id("account", account_id)
    check_id("camera", camera_id)
    return _right(right), check_footage(footage)


def _reason(reason: str) -> str:
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        raise ValidationError.single("reason", "say why, in 1-500 characters")
    return reason.strip()


def _pick_stream(camera: Camera, profile: str | None) -> StreamProfile:
    if not camera.streams:
        raise NotFoundError(f"camera {camera.id} has no stream registered")
    if profile is None:
        return camera.streams[0]
    for stream in camera.streams:
        if stream.token == profile:
            return stream
    raise NotFoundError(f"camera {camera.id} has no stream profile {profile!r}")


def _grant_details(grant: IncidentGrant) -> dict[str, Any]:
    return {
        "case_number": grant.case_number,
        "owner": grant.owner,
        "organisation": grant.organisation,
        "requested_by": grant.requested_by,
        "approved_by": grant.approved_by,
        # Rounded to about 10 cm: long digit runs of a float can read as an NPWP or a phone
        # number to the audit log's personal-data check.
        "center": (
            [round(grant.center.latitude, 6), round(grant.center.longitude, 6)]
            if grant.center
            else None
        ),
        "radius_m": grant.radius_m,
        "cameras": sorted(grant.cameras),
        "rights": sorted(r.value for r in grant.rights),
        "footage_from": audit_time(grant.footage_from),
        "footage_until": audit_time(grant.footage_until),
        "granted_at": audit_time(grant.granted_at),
        "expires_at": audit_time(grant.expires_at),
    }


def _organisation_from_row(row: Any) -> Organisation:
    return Organisation(id=row.id, city=row.city, name=row.name, kind=row.kind)


def _account_from_row(row: Any) -> Account:
    return Account(
        id=row.id,
        organisation=row.organisation,
        role=row.role,
        name=row.name,
        key_id=row.key_id,
        active=bool(row.active),
    )


def _agreement_from_row(row: Any) -> SharingAgreement:
    return SharingAgreement(
        id=row.id,
        owner=row.owner,
        grantee=row.grantee,
        scope=CameraScope.from_json(row.scope),
        rights=row.rights,
        legal_basis=row.legal_basis,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
        revoke_reason=row.revoke_reason,
    )


def _grant_from_row(row: Any) -> IncidentGrant:
    center = GeoPoint(row.lat, row.lon) if row.lat is not None and row.lon is not None else None
    return IncidentGrant(
        id=int(row.id),
        case_number=row.case_number,
        reason=row.reason,
        owner=row.owner,
        organisation=row.organisation,
        requested_by=row.requested_by,
        approved_by=row.approved_by,
        center=center,
        radius_m=int(row.radius_m),
        cameras=row.cameras,
        rights=row.rights,
        footage_from=row.footage_from,
        footage_until=row.footage_until,
        granted_at=row.granted_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
        revoke_reason=row.revoke_reason,
    )


def _record_from_row(row: Any) -> AccessRecord:
    return AccessRecord(
        audit_seq=int(row.audit_seq),
        at=row.at,
        account=row.account,
        organisation=row.organisation,
        camera=row.camera,
        right=Right(row.right),
        allowed=bool(row.allowed),
        basis=Basis(row.basis) if row.basis else None,
        agreement=row.agreement,
        grant=row.grant_id,
        case_number=row.case_number,
        reason=row.reason,
    )
