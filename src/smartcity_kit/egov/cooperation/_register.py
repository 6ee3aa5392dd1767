"""The cooperation register: a city's partners, agreements and activities, over a store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from smartcity_kit.core import CityProfile, Clock, SystemClock, ensure_utc
from smartcity_kit.egov import _store as desk_store
from smartcity_kit.egov.cooperation import _store as store
from smartcity_kit.egov.cooperation._models import (
    MAX_TEXT,
    TRANSITIONS,
    Activity,
    Agreement,
    AgreementKind,
    AgreementStatus,
    Approval,
    ApprovalKind,
    ApprovalPolicy,
    CooperationField,
    Decision,
    Partner,
    PartnerKind,
    Renewal,
    Term,
    check_text,
    choice,
)
from smartcity_kit.errors import ConflictError, NotFoundError, ValidationError
from smartcity_kit.storage import AuditLog, Database, update_versioned

__all__ = ["REVISABLE", "SUBSTANTIVE", "CooperationRegister", "ExpiryReminder"]

#: The details :meth:`CooperationRegister.revise` may change.
REVISABLE: Final = frozenset(
    {"title", "fields", "agencies", "number", "term", "renewal", "documents", "signing_event"}
)
#: The details whose change makes the approvals recorded before it stale: the
#: decisions were on another text (everything revisable but the number and the event).
SUBSTANTIVE: Final = REVISABLE - {"number", "signing_event"}
_S = AgreementStatus
#: Statuses in which decisions on an agreement may be recorded.
_DECIDABLE: Final = frozenset({_S.NEGOTIATING, _S.AWAITING_CENTRAL_REVIEW, _S.ACTIVE, _S.ON_HOLD})
#: Statuses in which a signed agreement runs its term (and may expire).
_RUNNING: Final = frozenset({_S.ACTIVE, _S.ON_HOLD})


@attrs.frozen
class ExpiryReminder:
    """An agreement whose term ends soon.

    Attributes:
        agreement: The agreement.
        ends_on: The last day of its current term.
        days_left: Days from the day asked about to ``ends_on`` (0 on the last day).
        renews: Whether it renews itself then (automatic renewal): the reminder is the last
            chance to end it instead.
    """

    agreement: Agreement
    ends_on: dt.date
    days_left: int
    renews: bool


def _subject(agreement_id: int) -> str:
    return f"cooperation:agreement:{agreement_id}"


class CooperationRegister:
    """A city's register of cooperation agreements (kerja sama daerah).

    Every change is checked, stored and appended to the audit log in one transaction; a change
    to an agreement read at an older version raises :class:`~smartcity_kit.errors.ConflictError`
    when ``expected_version`` is given.

    Args:
        db: The database (upgraded).
        city: The city whose register it is; its time zone says what day it is.
        clock: Where "now" comes from.
        policy: Which approvals an agreement needs before it becomes active
            (:class:`ApprovalPolicy` with its defaults when left out).
    """

    def __init__(
        self,
        db: Database,
        city: CityProfile,
        clock: Clock | None = None,
        policy: ApprovalPolicy | None = None,
    ) -> None:
        self._db = db
        self._city = city
        self._clock: Clock = clock or SystemClock()
        self._audit = AuditLog(db, self._clock)
        self._policy = policy or ApprovalPolicy()

    @property
    def city(self) -> CityProfile:
        """The city whose register it is."""
        return self._city

    @property
    def policy(self) -> ApprovalPolicy:
        """The approvals policy."""
        return self._policy

    def today(self) -> dt.date:
        """Today in the city's time zone."""
        return self._city.local_now(self._clock).date()

    # --- partners --------------------------------------------------------------------------

    def add_partner(self, partner: Partner, *, actor: str) -> Partner:
        """Add a partner to the register.

        Raises:
            ValidationError: The partner belongs to another city's register, or is this city.
            ConflictError: The code is taken.
        """
        if not isinstance(partner, Partner):
            raise ValidationError.single("partner", "must be a Partner")
        self._own(partner.city)
        if partner.region_code is not None and partner.region_code == self._city.region_code:
            raise ValidationError.single("region_code", "is this city's own region")
        with self._db.transaction() as conn:
            if self._partner_row(conn, partner.code) is not None:
                raise ConflictError(f"a partner with code {partner.code!r} already exists")
            try:
                conn.execute(
                    store.partners.insert().values(**store.partner_values(partner), version=1)
                )
            except sa.exc.IntegrityError:
                # Another process added the same code between the check and the insert.
                raise ConflictError(
                    f"a partner with code {partner.code!r} already exists"
                ) from None
            self._audit.append(
                conn,
                actor=actor,
                action="cooperation.partner.added",
                subject=f"cooperation:partner:{partner.city}/{partner.code}",
                details={"kind": partner.kind.value, "country": partner.country},
            )
        return partner

    def partners(self, *, kind: PartnerKind | str | None = None) -> list[Partner]:
        """The city's partners by code, of one kind if ``kind`` is given."""
        query = sa.select(store.partners).where(store.partners.c.city == self._city.slug)
        if kind is not None:
            query = query.where(store.partners.c.kind == choice(PartnerKind, "kind", kind).value)
        with self._db.reading() as conn:
            rows = conn.execute(query.order_by(store.partners.c.code)).all()
        return [store.partner_from_row(r) for r in rows]

    def partner(self, code: str) -> Partner:
        """One partner by its code.

        Raises:
            NotFoundError: No such partner in this city's register.
        """
        with self._db.reading() as conn:
            return self._partner(conn, code)

    # --- agreements ------------------------------------------------------------------------

    def add_agreement(self, agreement: Agreement, *, actor: str) -> Agreement:
        """Enter a new agreement, as a draft or already under negotiation.

        The id, times and version are given here; an agreement already signed is entered as a
        draft or in negotiation and then moved to active with :meth:`transition`, so that
        every rule for signing is checked.

        Raises:
            ValidationError: It belongs to another city, starts in another status, names an
                agency the city does not have, or (a PKS) an MoU that does not fit.
            NotFoundError: No such partner.
        """
        if not isinstance(agreement, Agreement):
            raise ValidationError.single("agreement", "must be an Agreement")
        self._own(agreement.city)
        if agreement.status not in (_S.DRAFT, _S.NEGOTIATING):
            raise ValidationError.single("status", "a new agreement starts as draft or negotiating")
        if agreement.approvals:
            raise ValidationError.single(
                "approvals", "are recorded with record_approval, once it is under negotiation"
            )
        if agreement.signed_on is not None:
            raise ValidationError.single(
                "signed_on", "is given when signing it into force (transition to active)"
            )
        if agreement.signing_event is not None:
            raise ValidationError.single(
                "signing_event", "is given when signing it into force (transition to active)"
            )
        now = ensure_utc(self._clock.now())
        with self._db.transaction() as conn:
            partner = self._partner(conn, agreement.partner)
            self._check_agencies(conn, agreement.agencies)
            if agreement.implements is not None:
                self._check_mou(conn, agreement, partner)
            stored = attrs.evolve(agreement, created_at=now, updated_at=now, version=1)
            values = store.agreement_values(stored)
            new_id = _inserted(conn.execute(store.agreements.insert().values(**values)))
            stored = attrs.evolve(stored, id=new_id)
            self._audit.append(
                conn,
                actor=actor,
                action="cooperation.agreement.added",
                subject=_subject(new_id),
                details={
                    "partner": partner.code,
                    "partner_kind": partner.kind.value,
                    "kind": stored.kind.value,
                    "status": stored.status.value,
                    "fields": [f.value for f in stored.fields],
                    "implements": stored.implements,
                },
            )
        return stored

    def get(self, agreement_id: int) -> Agreement:
        """One agreement.

        Raises:
            NotFoundError: No such agreement in this city's register.
        """
        with self._db.reading() as conn:
            return self._agreement(conn, agreement_id)

    def agreements(  # noqa: PLR0913 - one keyword per filter
        self,
        *,
        status: AgreementStatus | str | None = None,
        field: CooperationField | str | None = None,
        kind: AgreementKind | str | None = None,
        partner: str | None = None,
        expiring_within: int | None = None,
        today: dt.date | None = None,
    ) -> list[Agreement]:
        """The city's agreements matching every filter given, by id.

        ``status`` is the status as of ``today`` (the city's today by default): an agreement
        whose term ended counts as expired even before :meth:`apply_terms` stores it.
        ``expiring_within`` keeps those whose term ends within that many days (see
        :meth:`expiring`).

        Raises:
            ValidationError: A filter is not one of its choices.
        """
        wanted_status = choice(AgreementStatus, "status", status) if status is not None else None
        wanted_field = choice(CooperationField, "field", field) if field is not None else None
        wanted_kind = choice(AgreementKind, "kind", kind) if kind is not None else None
        day = today or self.today()
        table = store.agreements
        query = sa.select(table).where(table.c.city == self._city.slug)
        if wanted_kind is not None:
            query = query.where(table.c.kind == wanted_kind.value)
        if partner is not None:
            query = query.where(table.c.partner == partner)
        with self._db.reading() as conn:
            rows = conn.execute(query.order_by(table.c.id)).all()
        found = [store.agreement_from_row(r) for r in rows]
        if wanted_status is not None:
            found = [a for a in found if a.status_on(day) is wanted_status]
        if wanted_field is not None:
            found = [a for a in found if wanted_field in a.fields]
        if expiring_within is not None:
            soon = {r.agreement.id for r in self._reminders(found, expiring_within, day)}
            found = [a for a in found if a.id in soon]
        return found

    def expiring(self, within_days: int, *, today: dt.date | None = None) -> list[ExpiryReminder]:
        """Running agreements (active, or on hold once signed) ending within ``within_days``.

        Soonest first. An agreement that renews itself is listed before each renewal.

        Raises:
            ValidationError: ``within_days`` is not a whole number from 0 to 3660.
        """
        day = today or self.today()
        return self._reminders(self.agreements(today=day), within_days, day)

    def revise(
        self,
        agreement_id: int,
        changes: Mapping[str, Any],
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> Agreement:
        """Change an agreement's details (see :data:`REVISABLE`); its status moves elsewhere.

        Once running (active, or on hold after signing), the term may change only by
        amendment: the agreement's renewal must be ``by_amendment`` and the start stays; the
        renewal itself no longer changes.

        Before it is signed, a substantive change (any of :data:`SUBSTANTIVE`) withdraws the
        decisions recorded so far (:attr:`Approval.withdrawn_on`): they were on another text,
        and must be decided and recorded again, dated no earlier than the revision.

        Raises:
            ValidationError: A change is not allowed or not valid (named by its field).
            ConflictError: The agreement is expired or terminated (as of today), changed
                meanwhile, or running and the change is not an amendment.
            NotFoundError: No such agreement.
        """
        unknown = sorted(set(changes) - REVISABLE)
        if unknown:
            raise ValidationError.single(unknown[0], "cannot be revised here")
        if not changes:
            raise ValidationError.single("", "nothing to change")
        today = self.today()
        with self._db.transaction() as conn:
            current = self._agreement(conn, agreement_id)
            self._check_version(current, expected_version)
            status = current.status_on(today)
            if status.final:
                raise ConflictError(
                    f"agreement {agreement_id} is {status.value}: it can no longer change"
                )
            revised = attrs.evolve(current, **changes)
            if "agencies" in changes:
                self._check_agencies(conn, revised.agencies)
            if current.running:
                self._check_amendment(current, revised)
            changed = sorted(k for k in changes if getattr(revised, k) != getattr(current, k))
            if not changed:
                return current
            withdrawn = [a.kind.value for a in current.approvals if a.standing]
            if current.running or not SUBSTANTIVE.intersection(changed):
                withdrawn = []
            else:
                revised = attrs.evolve(
                    revised,
                    approvals=[
                        attrs.evolve(a, withdrawn_on=today) if a.standing else a
                        for a in current.approvals
                    ],
                )
            revised = self._write(conn, current, revised)
            details: dict[str, Any] = {"changed": changed}
            if "term" in changed and revised.term is not None:
                details["term"] = _term_json(revised.term)
            if withdrawn:
                details["approvals_withdrawn"] = withdrawn
            self._audit.append(
                conn,
                actor=actor,
                action="cooperation.agreement.revised",
                subject=_subject(agreement_id),
                details=details,
            )
        return revised

    def transition(  # noqa: PLR0913 - the move and what it needs
        self,
        agreement_id: int,
        to: AgreementStatus | str,
        *,
        actor: str,
        notes: str = "",
        signed_on: dt.date | None = None,
        signing_event: str | None = None,
        expected_version: int | None = None,
    ) -> Agreement:
        """Move an agreement to another status (see :data:`TRANSITIONS`).

        - ``active`` (signed into force) needs the signing date (``signed_on`` here or
          already recorded), a term that has not ended, every approval the policy requires
          for the partner recorded as approved (for a foreign private party, always the
          central government's review), and, for a PKS, its MoU in force.
        - ``awaiting_central_review`` is for agreements with a foreign partner.
        - ``on_hold`` and ``terminated`` need ``notes`` (the reason).
        - ``expired`` is for an agreement whose term has ended.

        Raises:
            ValidationError: ``to``, ``notes``, ``signed_on`` or ``signing_event`` is wrong or
                missing.
            ConflictError: The move is not allowed now (the message says why), or the agreement
                changed meanwhile.
            NotFoundError: No such agreement.
        """
        target = choice(AgreementStatus, "to", to)
        self._check_notes(notes)
        if target in (_S.ON_HOLD, _S.TERMINATED) and not notes.strip():
            raise ValidationError.single("notes", f"moving to {target.value} needs a reason")
        if target is not _S.ACTIVE:
            _refuse_signing(signed_on=signed_on, signing_event=signing_event)
        today = self.today()
        with self._db.transaction() as conn:
            current = self._agreement(conn, agreement_id)
            self._check_version(current, expected_version)
            self._check_move(current, target)
            changes: dict[str, Any] = {"status": target, "status_notes": notes}
            if signed_on is not None:
                changes["signed_on"] = signed_on
            if signing_event is not None:
                changes["signing_event"] = signing_event
            moved = attrs.evolve(current, **changes)
            partner = self._partner(conn, current.partner)
            if target is _S.ACTIVE:
                self._check_signing(conn, moved, partner, today)
            elif target is _S.AWAITING_CENTRAL_REVIEW and not partner.kind.foreign:
                raise ConflictError(
                    f"agreement {agreement_id} is with a domestic partner: only cooperation "
                    "with a foreign partner goes to the central government for review"
                )
            elif target is _S.EXPIRED and current.status_on(today) is not _S.EXPIRED:
                raise ConflictError(f"agreement {agreement_id}'s term has not ended")
            moved = self._write(conn, current, moved)
            details: dict[str, Any] = {"from": current.status.value, "to": target.value}
            if notes:
                details["notes"] = notes
            if target is _S.ACTIVE and moved.signed_on is not None:
                details["signed_on"] = moved.signed_on.isoformat()
            self._audit.append(
                conn,
                actor=actor,
                action=f"cooperation.agreement.{target.value}",
                subject=_subject(agreement_id),
                details=details,
            )
        return moved

    def record_approval(
        self,
        agreement_id: int,
        approval: Approval,
        *,
        actor: str,
        on_rejection: AgreementStatus | str = AgreementStatus.ON_HOLD,
        expected_version: int | None = None,
    ) -> Agreement:
        """Record a decision on an agreement (DPRD, ministry, central review).

        Of each kind, the standing decision decided last counts
        (:meth:`Agreement.approval`). A decision may not be dated before the agreement's last
        substantive revision (the day its earlier decisions were withdrawn). A rejection of an
        approval the agreement needs moves it to ``on_rejection``: ``on_hold`` (the default;
        talks may resume) or ``terminated``, with the decision's notes (or its reference) as
        the reason.

        Raises:
            ValidationError: The approval or ``on_rejection`` is wrong, or decided in the
                future or before the agreement's last substantive revision.
            ConflictError: The agreement is a draft, expired or terminated, or changed
                meanwhile.
            NotFoundError: No such agreement.
        """
        if not isinstance(approval, Approval):
            raise ValidationError.single("approval", "must be an Approval")
        then = choice(AgreementStatus, "on_rejection", on_rejection)
        if then not in (_S.ON_HOLD, _S.TERMINATED):
            raise ValidationError.single("on_rejection", "must be on_hold or terminated")
        if approval.decided_on > self.today():
            raise ValidationError.single("decided_on", "must not be in the future")
        with self._db.transaction() as conn:
            current = self._agreement(conn, agreement_id)
            self._check_version(current, expected_version)
            if current.status not in _DECIDABLE:
                raise ConflictError(
                    f"agreement {agreement_id} is {current.status.value}: decisions are recorded "
                    "while it is negotiated, awaits review, is active or on hold"
                )
            withdrawn = [a.withdrawn_on for a in current.approvals if a.withdrawn_on]
            if withdrawn and approval.decided_on < max(withdrawn):
                raise ValidationError.single(
                    "decided_on",
                    f"must not be before {max(withdrawn).isoformat()}, when the agreement was "
                    "last revised: a decision must be on its current text",
                )
            partner = self._partner(conn, current.partner)
            needed = self._policy.required_for(partner.kind, current.kind)
            approval = attrs.evolve(approval, withdrawn_on=None)
            changes: dict[str, Any] = {"approvals": (*current.approvals, approval)}
            moves = (
                approval.decision is Decision.REJECTED
                and approval.kind in needed
                and current.status is not then
            )
            if moves:
                changes["status"] = then
                changes["status_notes"] = (
                    approval.notes or f"{approval.kind.value} rejected ({approval.reference})"
                )
            updated = self._write(conn, current, attrs.evolve(current, **changes))
            self._audit.append(
                conn,
                actor=actor,
                action="cooperation.approval.recorded",
                subject=_subject(agreement_id),
                details={
                    "kind": approval.kind.value,
                    "decision": approval.decision.value,
                    "reference": approval.reference,
                    "decided_on": approval.decided_on.isoformat(),
                    "required": approval.kind in needed,
                },
            )
            if moves:
                self._audit.append(
                    conn,
                    actor=actor,
                    action=f"cooperation.agreement.{then.value}",
                    subject=_subject(agreement_id),
                    details={
                        "from": current.status.value,
                        "to": then.value,
                        "notes": updated.status_notes,
                    },
                )
        return updated

    def missing_approvals(self, agreement: Agreement) -> list[ApprovalKind]:
        """The approvals ``agreement`` still needs before it can become active, sorted."""
        partner = self.partner(agreement.partner)
        return _missing(agreement, self._policy.required_for(partner.kind, agreement.kind))

    def apply_terms(self, *, actor: str, today: dt.date | None = None) -> list[Agreement]:
        """Store what the clock says: expire agreements whose term ended.

        A running agreement (active, or on hold once signed) whose term ended, and that does
        not renew itself, becomes ``expired``. One that renews automatically keeps its term
        as signed: the running term is computed from it (:meth:`Agreement.end_on`), so
        nothing is stored for a renewal. Run it daily (``smartcity-kit cooperation list``
        shows the right status before it runs). Each change is audited.

        Args:
            actor: Who runs it, as audited.
            today: The day to apply (the city's today by default); an earlier day may be
                given to catch up, never a later one.

        Returns:
            The agreements changed.

        Raises:
            ValidationError: ``today`` is after the clock's today.
        """
        day = today or self.today()
        if day > self.today():
            raise ValidationError.single("today", "must not be after today: terms end by the clock")
        changed: list[Agreement] = []
        with self._db.transaction() as conn:
            rows = conn.execute(
                sa.select(store.agreements).where(
                    store.agreements.c.city == self._city.slug,
                    store.agreements.c.status.in_([s.value for s in _RUNNING]),
                    store.agreements.c.renewal != Renewal.AUTOMATIC.value,
                    store.agreements.c.term_end < day,
                    store.agreements.c.signed_on.is_not(None),
                )
            ).all()
            for row in rows:
                current = store.agreement_from_row(row)
                updated = self._write(
                    conn,
                    current,
                    attrs.evolve(current, status=_S.EXPIRED, status_notes="term ended"),
                )
                self._audit.append(
                    conn,
                    actor=actor,
                    action="cooperation.agreement.expired",
                    subject=_subject(current.id),
                    details={"from": current.status.value, "to": "expired"},
                )
                changed.append(updated)
        return changed

    # --- activities ------------------------------------------------------------------------

    def add_activity(self, activity: Activity, *, actor: str) -> Activity:
        """Record an activity under a running agreement.

        The agreement must be signed and running today: active, or on hold after it was
        signed (the cooperation paused; what was done before the hold can still be
        recorded). Not under one being negotiated, nor one expired or terminated.

        Raises:
            ValidationError: It starts before the agreement was signed.
            ConflictError: The agreement is not signed yet, or no longer runs.
            NotFoundError: No such agreement.
        """
        if not isinstance(activity, Activity):
            raise ValidationError.single("activity", "must be an Activity")
        now = ensure_utc(self._clock.now())
        with self._db.transaction() as conn:
            agreement = self._agreement(conn, activity.agreement_id)
            if agreement.signed_on is None:
                raise ConflictError(
                    f"agreement {agreement.id} is not signed: activities come under signed "
                    "agreements"
                )
            status = agreement.status_on(self.today())
            if not agreement.running or status.final:
                raise ConflictError(
                    f"agreement {agreement.id} is {status.value}: activities come under "
                    "agreements that run (active, or on hold after signing)"
                )
            if activity.starts < agreement.signed_on:
                raise ValidationError.single(
                    "starts", "must not be before the agreement was signed"
                )
            stored = attrs.evolve(activity, recorded_by=actor)
            new_id = _inserted(
                conn.execute(
                    store.activities.insert().values(
                        **store.activity_values(stored), recorded_at=now
                    )
                )
            )
            stored = attrs.evolve(stored, id=new_id)
            self._audit.append(
                conn,
                actor=actor,
                action="cooperation.activity.added",
                subject=_subject(agreement.id),
                details={
                    "activity": new_id,
                    "kind": stored.kind.value,
                    "starts": stored.starts.isoformat(),
                    "participants": stored.participants,
                },
            )
        return stored

    def activities(self, agreement_id: int) -> list[Activity]:
        """The activities under an agreement, by start date.

        Raises:
            NotFoundError: No such agreement.
        """
        table = store.activities
        with self._db.reading() as conn:
            self._agreement(conn, agreement_id)
            rows = conn.execute(
                sa.select(table)
                .where(table.c.agreement_id == agreement_id)
                .order_by(table.c.starts, table.c.id)
            ).all()
        return [store.activity_from_row(r) for r in rows]

    # --- helpers ---------------------------------------------------------------------------

    def _own(self, city: str) -> None:
        if city != self._city.slug:
            raise ValidationError.single("city", f"this register is {self._city.slug!r}'s")

    @staticmethod
    def _check_notes(notes: object) -> None:
        check_text("notes", notes, MAX_TEXT, empty=True)

    @staticmethod
    def _check_version(current: Agreement, expected: int | None) -> None:
        if expected is not None and expected != current.version:
            raise ConflictError(
                f"agreement {current.id} was changed by someone else (now version "
                f"{current.version}, you read version {expected}): reload it"
            )

    @staticmethod
    def _check_move(current: Agreement, target: AgreementStatus) -> None:
        if target not in TRANSITIONS[current.status]:
            raise ConflictError(
                f"agreement {current.id} is {current.status.value}: it cannot become {target.value}"
            )

    def _check_signing(
        self, conn: Connection, agreement: Agreement, partner: Partner, today: dt.date
    ) -> None:
        if agreement.signed_on is None:
            raise ValidationError.single("signed_on", "is needed to sign it into force")
        if agreement.signed_on > today:
            raise ValidationError.single("signed_on", "must not be in the future")
        if agreement.term is None:
            raise ValidationError.single("term", "is needed to sign it into force")
        needed = self._policy.required_for(partner.kind, agreement.kind)
        decided = [a.decided_on for k in needed if (a := agreement.approval(k)) is not None]
        if decided and agreement.signed_on < max(decided):
            raise ValidationError.single(
                "signed_on",
                f"must not be before {max(decided).isoformat()}, the last approval it needs",
            )
        ends = agreement.end_on(today)
        if ends is not None and ends < today:
            raise ValidationError.single("term.end", "has passed: it would be expired at once")
        missing = _missing(agreement, needed)
        if ApprovalKind.CENTRAL_REVIEW in missing:
            raise ConflictError(
                f"agreement {agreement.id} is with a foreign private party: it cannot become "
                "active until the central government's review approves it "
                "(record_approval with kind central_review)"
            )
        if missing:
            raise ConflictError(
                f"agreement {agreement.id} cannot become active before these approvals are "
                f"recorded as approved: {', '.join(missing)}"
            )
        if agreement.implements is not None:
            mou = self._agreement(conn, agreement.implements)
            if not mou.in_force_on(today):
                raise ConflictError(
                    f"agreement {agreement.id} implements MoU {mou.id}, which is not in force "
                    f"({mou.status_on(today).value})"
                )

    @staticmethod
    def _check_amendment(current: Agreement, revised: Agreement) -> None:
        """A running agreement keeps its renewal; its term changes only by amendment."""
        if revised.renewal is not current.renewal:
            raise ConflictError(
                f"agreement {current.id} is signed: its renewal changes only by a new agreement"
            )
        if revised.term == current.term:
            return
        if current.renewal is not Renewal.BY_AMENDMENT:
            raise ConflictError(
                f"agreement {current.id} is {current.status.value} and renews "
                f"{current.renewal.value}: its term changes only by amendment (renewal "
                "by_amendment)"
            )
        old, new = current.term, revised.term
        if old is not None and (new is None or new.start != old.start):
            raise ValidationError.single("term.start", "an amendment keeps the start")

    def _check_agencies(self, conn: Connection, codes: Sequence[str]) -> None:
        for i, code in enumerate(codes):
            found = conn.execute(
                desk_store.AGENCY_EXISTS, {"city": self._city.slug, "code": code}
            ).first()
            if found is None:
                raise ValidationError.single(
                    f"agencies[{i}]", f"no such agency in {self._city.slug}"
                )

    def _check_mou(self, conn: Connection, agreement: Agreement, partner: Partner) -> None:
        row = conn.execute(
            sa.select(store.agreements).where(
                store.agreements.c.city == self._city.slug,
                store.agreements.c.id == agreement.implements,
            )
        ).first()
        if row is None:
            raise ValidationError.single(
                "implements", f"no agreement {agreement.implements} in {self._city.slug}"
            )
        mou = store.agreement_from_row(row)
        if mou.kind is not AgreementKind.MOU:
            raise ValidationError.single("implements", f"agreement {mou.id} is not an MoU")
        if mou.partner != partner.code:
            raise ValidationError.single(
                "implements", f"MoU {mou.id} is with {mou.partner}, not {partner.code}"
            )
        if mou.status.final:
            raise ValidationError.single("implements", f"MoU {mou.id} is {mou.status.value}")

    def _write(self, conn: Connection, current: Agreement, updated: Agreement) -> Agreement:
        now = ensure_utc(self._clock.now())
        updated = attrs.evolve(updated, updated_at=now, version=current.version + 1)
        values = store.agreement_values(updated)
        del values["version"]
        update_versioned(conn, store.agreements, {"id": current.id}, current.version, values)
        return updated

    def _partner_row(self, conn: Connection, code: str) -> Any:
        return conn.execute(
            sa.select(store.partners).where(
                store.partners.c.city == self._city.slug, store.partners.c.code == code
            )
        ).first()

    def _partner(self, conn: Connection, code: str) -> Partner:
        row = self._partner_row(conn, code)
        if row is None:
            raise NotFoundError(f"partner: no such partner in {self._city.slug}'s register")
        return store.partner_from_row(row)

    def _agreement(self, conn: Connection, agreement_id: int) -> Agreement:
        row = conn.execute(
            sa.select(store.agreements).where(
                store.agreements.c.city == self._city.slug,
                store.agreements.c.id == agreement_id,
            )
        ).first()
        if row is None:
            raise NotFoundError(f"no agreement {agreement_id} in {self._city.slug}'s register")
        return store.agreement_from_row(row)

    @staticmethod
    def _reminders(
        agreements: Sequence[Agreement], within_days: int, day: dt.date
    ) -> list[ExpiryReminder]:
        if type(within_days) is not int or not 0 <= within_days <= 3660:
            raise ValidationError.single("within_days", "must be a whole number from 0 to 3660")
        found = []
        for agreement in agreements:
            if not agreement.running or agreement.status_on(day) is _S.EXPIRED:
                continue
            ends = agreement.end_on(day)
            if ends is None or not 0 <= (ends - day).days <= within_days:
                continue
            renews = agreement.renewal is Renewal.AUTOMATIC
            found.append(ExpiryReminder(agreement, ends, (ends - day).days, renews))
        return sorted(found, key=lambda r: (r.ends_on, r.agreement.id))


def _refuse_signing(**given: object) -> None:
    """Refuse signing details given with a move other than to active."""
    for field, value in given.items():
        if value is not None:
            raise ValidationError.single(field, "is given only when signing (to active)")


def _missing(agreement: Agreement, needed: frozenset[ApprovalKind]) -> list[ApprovalKind]:
    missing = []
    for kind in sorted(needed):
        latest = agreement.approval(kind)
        if latest is None or latest.decision is not Decision.APPROVED:
            missing.append(kind)
    return missing


def _inserted(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None  # noqa: S101 - an insert into a table with a primary key
    return int(key[0])


def _term_json(term: Term) -> dict[str, Any]:
    return {"start": term.start.isoformat(), "end": term.end.isoformat() if term.end else None}
