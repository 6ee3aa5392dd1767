"""The permit office: what a city's one-stop permit desk (DPMPTSP) does, as use cases."""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from smartcity_kit.core import CityProfile, Clock, Rupiah, SystemClock, ensure_utc
from smartcity_kit.core import find_personal_data as _personal
from smartcity_kit.egov import _store as egov_store
from smartcity_kit.egov.permits import _store as store
from smartcity_kit.egov.permits._deadline import deadline_with_pauses, paused_working_days
from smartcity_kit.egov.permits._models import (
    PERMIT_TRANSITIONS,
    Applicant,
    ApplicationEvent,
    Document,
    PermitApplication,
    PermitStatus,
    Verification,
)
from smartcity_kit.egov.permits._numbers import (
    NumberParts,
    PermitNumberFormat,
    check_publishable,
)
from smartcity_kit.errors import (
    ConfigurationError,
    ConflictError,
    FieldError,
    NotFoundError,
    ValidationError,
)
from smartcity_kit.storage import AuditLog, Database, update_versioned

__all__ = ["PERMIT_SORTS", "PermitOffice", "PermitRules", "check_number"]

#: The most documents one application may hold.
MAX_DOCUMENTS: Final = 100
_MAX_NOTES: Final = 2000
_MAX_REFERENCE: Final = 100
_CODE_IN_NUMBER: Final = re.compile(r"[0-9A-Z.\-]{1,20}")
_CLASSIFICATION: Final = re.compile(r"[0-9A-Za-z.]{1,20}")
_MAX_MONTHS: Final = 1200
#: The characters a permit number can hold in any pattern (fields and separators), and its
#: longest length: anything else is not a permit number and is answered without a query.
_NUMBER_TEXT: Final = re.compile(r"[0-9A-Za-z./_:|#\-]{1,100}")
_S = PermitStatus
#: Statuses whose deadline runs.
_RUNNING: Final = (_S.SUBMITTED, _S.VERIFIED, _S.FEE_PAID)
#: How :meth:`PermitOffice.search` can sort: a field, descending with a leading ``-``.
PERMIT_SORTS: Final = ("-created_at", "created_at", "-updated_at", "updated_at", "due_at")


def _months(value: Mapping[str, int | None]) -> Mapping[str, int | None]:
    return MappingProxyType(dict(value))


def _codes(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


def _check_months(field: str, months: object) -> None:
    if months is not None and (type(months) is not int or not 1 <= months <= _MAX_MONTHS):
        raise ValidationError.single(
            field, f"must be a whole number of months from 1 to {_MAX_MONTHS}, or None"
        )


@attrs.frozen
class PermitRules:
    """How a city numbers its permits and how long they stay valid.

    >>> rules = PermitRules(validity_months={"P01": None, "P02": 12})
    >>> rules.months_valid("P02"), rules.months_valid("P01"), rules.months_valid("P03")
    (12, None, 60)

    Attributes:
        number_format: The number pattern (``503/0042/DPMPTSP/XI/2026`` by default).
        classification: The archive classification code written in numbers (``503``,
            perizinan).
        agency_codes: How an office's code is written in numbers, by its code in the
            catalogue (``{"dpmptsp": "DPMPTSP"}``); by default the code in capitals, with
            ``-`` for ``_``.
        default_validity_months: How long a permit is valid, in months; None for no end.
        validity_months: The same per service code, where it differs from the default.
    """

    number_format: PermitNumberFormat = attrs.field(factory=PermitNumberFormat)
    classification: str = "503"
    agency_codes: Mapping[str, str] = attrs.field(factory=dict, converter=_codes)
    default_validity_months: int | None = 60
    validity_months: Mapping[str, int | None] = attrs.field(factory=dict, converter=_months)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.number_format, PermitNumberFormat):
            raise ValidationError.single("number_format", "must be a PermitNumberFormat")
        if not isinstance(self.classification, str) or not _CLASSIFICATION.fullmatch(
            self.classification
        ):
            raise ValidationError.single(
                "classification", "must be 1-20 letters, digits or dots, like 503"
            )
        for office, code in self.agency_codes.items():
            if not isinstance(code, str) or not _CODE_IN_NUMBER.fullmatch(code):
                raise ValidationError.single(
                    f"agency_codes[{office}]",
                    "must be 1-20 capital letters, digits, dots or dashes, like DPMPTSP",
                )
        check_publishable(self.number_format, self.classification, self.agency_codes.values())
        _check_months("default_validity_months", self.default_validity_months)
        for service, months in self.validity_months.items():
            _check_months(f"validity_months[{service}]", months)

    def months_valid(self, service_code: str) -> int | None:
        """How many months a permit of this service is valid (None: no end)."""
        if service_code in self.validity_months:
            return self.validity_months[service_code]
        return self.default_validity_months

    def agency_code(self, agency: str) -> str:
        """How ``agency`` is written in permit numbers.

        Raises:
            ConfigurationError: The office's code does not fit a number and has no entry in
                :attr:`agency_codes`.
        """
        code = self.agency_codes.get(agency, agency.upper().replace("_", "-"))
        if not _CODE_IN_NUMBER.fullmatch(code):
            msg = (
                f"the office code {agency!r} cannot be written in a permit number: give "
                f"PermitRules(agency_codes={{{agency!r}: 'CODE'}})"
            )
            raise ConfigurationError(msg)
        return code


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved on by whole months; the 31st becomes the month's last day when it has none."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def valid_through(start: dt.date, months: int) -> dt.date:
    """The last day of a permit valid for ``months`` from ``start``.

    It is the day before the same calendar day ``months`` later; when that month has no such
    day (31 January + 1 month), the permit is valid through that month's last day.

    >>> valid_through(dt.date(2026, 11, 2), 60)
    datetime.date(2031, 11, 1)
    >>> valid_through(dt.date(2027, 1, 31), 1), valid_through(dt.date(2028, 1, 31), 1)
    (datetime.date(2027, 2, 28), datetime.date(2028, 2, 29))
    >>> valid_through(dt.date(2027, 1, 28), 1)
    datetime.date(2027, 2, 27)
    """
    same_day = add_months(start, months)
    if same_day.day != start.day:  # no such day that month: valid through its last day
        return same_day
    return same_day - dt.timedelta(days=1)


#: Control characters a note or a reason may hold: lines and tabs (a clerk writes in lines).
_LAYOUT: Final = frozenset("\n\r\t")


def _no_controls(field: str, value: str, *, lines: bool = False) -> None:
    allowed = _LAYOUT if lines else frozenset()
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in value):
        raise ValidationError.single(field, "must not hold control characters")


def _text(field: str, value: object, *, required: bool, limit: int = _MAX_NOTES) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationError.single(
            field, "must be non-empty text" if required else "must be text"
        )
    if len(value) > limit:
        raise ValidationError.single(field, f"must be at most {limit} characters")
    _no_controls(field, value.strip(), lines=field in ("notes", "reason"))
    if kind := _personal(value):
        raise ValidationError.single(field, f"must not hold personal data ({kind})")
    return value.strip()


#: What a change does to an application inside the transaction: it returns the event's notes
#: and the audit details.
_Change = Callable[[Connection, PermitApplication, dt.datetime], tuple[str, dict[str, Any]]]


class PermitOffice:
    """A city's permit register: applications, their checks and deadlines, issued permits.

    Every change is checked, stored, added to the application's history and appended to the
    audit log in one transaction. Changes take ``expected_version`` (the version the caller
    read): an application changed meanwhile raises :class:`~smartcity_kit.errors.ConflictError`.
    An application's office (``agency``) is its service's and never changes.

    Args:
        db: The database (upgraded).
        city: The city; its zone and working-day calendar count the deadlines.
        clock: Where "now" comes from.
        rules: Permit numbers and validity (:class:`PermitRules` defaults).
    """

    def __init__(
        self,
        db: Database,
        city: CityProfile,
        clock: Clock | None = None,
        rules: PermitRules | None = None,
    ) -> None:
        self._db = db
        self._city = city
        self._clock: Clock = clock or SystemClock()
        self._rules = rules or PermitRules()
        self._audit = AuditLog(db, self._clock)

    @property
    def city(self) -> CityProfile:
        """The city this office serves."""
        return self._city

    @property
    def clock(self) -> Clock:
        """Where its "now" comes from."""
        return self._clock

    @property
    def rules(self) -> PermitRules:
        """Its numbering and validity rules."""
        return self._rules

    # --- applications ---------------------------------------------------------------------

    def apply(self, service_code: str, applicant: Applicant, *, actor: str) -> PermitApplication:
        """Open a draft application for a service of the city's catalogue.

        The checklist (the standard's requirements), the fee and the working days are copied
        from the service standard as it is now.

        Raises:
            NotFoundError: No such service in this city.
            ValidationError: ``applicant`` is not an :class:`Applicant`.
        """
        if not isinstance(applicant, Applicant):
            raise ValidationError.single("applicant", "must be an Applicant")
        now = ensure_utc(self._clock.now())
        with self._db.transaction() as conn:
            row = conn.execute(
                egov_store.SERVICE_BY_CODE, {"city": self._city.slug, "code": service_code}
            ).first()
            if row is None:
                raise NotFoundError(f"no service {service_code!r} in {self._city.slug}")
            service = egov_store.service_from_row(row)
            application = PermitApplication(
                id=0,
                city=self._city.slug,
                service_code=service.code,
                service_name=service.name,
                agency=service.agency,
                applicant=applicant,
                checklist=service.standard.requirements,
                fee=service.standard.fee,
                working_days=service.standard.working_days,
                created_at=now,
                updated_at=now,
            )
            values = store.application_values(application)
            application.id = int(
                conn.execute(
                    sa.insert(store.applications)
                    .values(**values)
                    .returning(store.applications.c.id)
                ).scalar_one()
            )
            self._event(conn, application.id, now, actor, "draft", "")
            self._audit.append(
                conn,
                actor=actor,
                action="permit.applied",
                subject=self._subject(application.id),
                details={
                    "service": service.code,
                    "agency": service.agency,
                    "applicant_kind": applicant.kind.value,
                    "fee": application.fee.amount,
                },
            )
        return application

    def attach(
        self,
        application_id: int,
        document: Document,
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> PermitApplication:
        """Attach a document reference to a checklist item (while a draft or sent back).

        Raises:
            ValidationError: The item is not on the checklist, or the application is full.
            ConflictError: The application is past the applicant's hands, the same file is
                already attached to the item, or it changed meanwhile.
        """
        if not isinstance(document, Document):
            raise ValidationError.single("document", "must be a Document")

        def change(
            _conn: Connection, a: PermitApplication, _now: dt.datetime
        ) -> tuple[str, dict[str, Any]]:
            self._editable(a)
            if document.item > len(a.checklist):
                raise ValidationError.single(
                    "item", f"must be a checklist item, 1 to {len(a.checklist)}"
                )
            if any(d.item == document.item and d.sha256 == document.sha256 for d in a.documents):
                raise ConflictError(f"this file is already attached to item {document.item}")
            if len(a.documents) >= MAX_DOCUMENTS:
                raise ValidationError.single(
                    "document", f"an application holds at most {MAX_DOCUMENTS} documents"
                )
            a.documents = (*a.documents, document)
            details = {
                "item": document.item,
                "name": document.name,
                "sha256": document.sha256,
                "size": document.size,
                "media_type": document.media_type,
            }
            return f"item {document.item}: {document.name}", details

        return self._change(
            application_id, actor, expected_version, "document.attached", None, change
        )

    def detach(
        self,
        application_id: int,
        item: int,
        sha256: str,
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> PermitApplication:
        """Remove a document from a checklist item (while a draft or sent back).

        Raises:
            NotFoundError: No such document on that item.
            ConflictError: The application is past the applicant's hands, or changed meanwhile.
        """

        def change(
            _conn: Connection, a: PermitApplication, _now: dt.datetime
        ) -> tuple[str, dict[str, Any]]:
            self._editable(a)
            kept = tuple(d for d in a.documents if not (d.item == item and d.sha256 == sha256))
            if len(kept) == len(a.documents):
                raise NotFoundError(f"no such document on item {item} of application {a.id}")
            a.documents = kept
            return f"item {item}", {"item": item, "sha256": sha256}

        return self._change(
            application_id, actor, expected_version, "document.removed", None, change
        )

    def submit(
        self, application_id: int, *, actor: str, expected_version: int | None = None
    ) -> PermitApplication:
        """Submit a draft, or resubmit an application sent back for missing requirements.

        Every checklist item needs a document. The first submission starts the deadline (the
        standard's working days); a resubmission ends the pause and adds the working days the
        application spent with the applicant to the deadline.

        Raises:
            ValidationError: Items without a document, each named ``checklist[N]``.
            ConflictError: Not a draft nor sent back, or changed meanwhile.
        """

        def change(
            _conn: Connection, a: PermitApplication, now: dt.datetime
        ) -> tuple[str, dict[str, Any]]:
            empty = a.unanswered()
            if empty:
                raise ValidationError(
                    FieldError(f"checklist[{n}]", f"needs a document ({a.checklist[n - 1]})")
                    for n in empty
                )
            if a.submitted_at is None:
                a.submitted_at = now
            a.missing = ()
            return "", self._resume(a, now)

        return self._change(application_id, actor, expected_version, None, _S.SUBMITTED, change)

    def return_incomplete(
        self,
        application_id: int,
        missing: Sequence[int],
        *,
        actor: str,
        notes: str = "",
        expected_version: int | None = None,
    ) -> PermitApplication:
        """Send a submitted application back to the applicant: requirements incomplete.

        ``missing`` names the checklist items (from 1) that are missing or not acceptable; the
        documents attached to them are set aside (the history and the audit log keep them), so
        the application can be resubmitted only with a new document for each. The deadline
        pauses until then.

        Raises:
            ValidationError: ``missing`` is empty or names an item not on the checklist.
            ConflictError: Not submitted, or changed meanwhile.
        """
        items = self._items(missing)
        notes = _text("notes", notes, required=False)

        def change(
            _conn: Connection, a: PermitApplication, now: dt.datetime
        ) -> tuple[str, dict[str, Any]]:
            wrong = [n for n in items if n > len(a.checklist)]
            if wrong:
                raise ValidationError.single(
                    "missing", f"must name checklist items, 1 to {len(a.checklist)}"
                )
            set_aside = [d for d in a.documents if d.item in items]
            a.documents = tuple(d for d in a.documents if d.item not in items)
            a.missing = items
            a.paused_at = now
            a.due_at = None
            a.notes = notes
            listed = ", ".join(str(n) for n in items)
            details = {
                "missing": list(items),
                "set_aside": [d.sha256 for d in set_aside],
            }
            return (f"missing items {listed}. {notes}".strip(), details)

        return self._change(
            application_id, actor, expected_version, None, _S.REQUIREMENTS_INCOMPLETE, change
        )

    def verify(
        self,
        application_id: int,
        *,
        actor: str,
        notes: str = "",
        expected_version: int | None = None,
    ) -> PermitApplication:
        """Accept the documents of a submitted application (verifikasi berkas).

        When the service charges a fee, the applicant must now pay it: the deadline pauses
        (``paused_at`` is now, ``due_at`` None) until :meth:`record_payment`.

        Raises:
            ConflictError: Not submitted, or changed meanwhile.
        """
        notes = _text("notes", notes, required=False)
        noting = self._noting(notes)

        def change(
            conn: Connection, a: PermitApplication, now: dt.datetime
        ) -> tuple[str, dict[str, Any]]:
            text, details = noting(conn, a, now)
            if a.fee_due:
                a.paused_at = now
                a.due_at = None
                details = {**details, "paused": "fee due"}
            return text, details

        return self._change(application_id, actor, expected_version, None, _S.VERIFIED, change)

    def record_payment(
        self,
        application_id: int,
        amount: Rupiah,
        reference: str,
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> PermitApplication:
        """Record the fee (retribusi) as paid, in full, after verification.

        The deadline, paused since verification while the fee was due, runs again: the working
        days spent waiting for the payment are added to it, as after a resubmission.

        Raises:
            ValidationError: ``amount`` is not the fee due, or ``reference`` is empty or too
                long.
            ConflictError: The service is free, the application is not verified, or it
                changed meanwhile.
        """
        if not isinstance(amount, Rupiah):
            raise ValidationError.single("amount", "must be a Rupiah amount")
        reference = _text("reference", reference, required=True, limit=_MAX_REFERENCE)

        def change(
            _conn: Connection, a: PermitApplication, now: dt.datetime
        ) -> tuple[str, dict[str, Any]]:
            if not a.fee_due:
                raise ConflictError(f"application {a.id} is for a free service: no fee to pay")
            if amount != a.fee:
                raise ValidationError.single("amount", f"must be the fee due, {a.fee}")
            a.payment_reference = reference
            a.paid_at = now
            return f"{a.fee} paid, reference {reference}", {
                "amount": a.fee.amount,
                "reference": reference,
                **self._resume(a, now),
            }

        return self._change(application_id, actor, expected_version, None, _S.FEE_PAID, change)

    def approve(
        self,
        application_id: int,
        *,
        actor: str,
        notes: str = "",
        expected_version: int | None = None,
    ) -> PermitApplication:
        """Approve a verified application; one with a fee due must have it paid first.

        Raises:
            ConflictError: Not verified (or paid), the fee is unpaid, or it changed meanwhile.
        """
        notes = _text("notes", notes, required=False)

        def change(
            conn: Connection, a: PermitApplication, now: dt.datetime
        ) -> tuple[str, dict[str, Any]]:
            if a.status is _S.VERIFIED and a.fee_due:
                raise ConflictError(
                    f"application {a.id} has a fee of {a.fee} due: record the payment first"
                )
            a.decided_at = now
            return self._noting(notes)(conn, a, now)

        return self._change(application_id, actor, expected_version, None, _S.APPROVED, change)

    def reject(
        self,
        application_id: int,
        reason: str,
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> PermitApplication:
        """Refuse an application; the reason is required.

        The office decides on a verified (or paid) application. It also closes one the
        applicant abandoned: sent back and never completed (``berkas tidak dilengkapi``), or a
        draft never submitted or withdrawn by the applicant (``ditarik oleh pemohon``); there is
        no separate withdrawn status, the reason says why.

        Raises:
            ValidationError: No reason, or one that holds personal data.
            ConflictError: Not a draft, sent back, verified or paid, or changed meanwhile.
        """
        reason = _text("reason", reason, required=True)

        def change(
            _conn: Connection, a: PermitApplication, now: dt.datetime
        ) -> tuple[str, dict[str, Any]]:
            a.decided_at = now
            a.notes = reason
            return reason, {"reason": reason}

        return self._change(application_id, actor, expected_version, None, _S.REJECTED, change)

    def issue(
        self, application_id: int, *, actor: str, expected_version: int | None = None
    ) -> PermitApplication:
        """Issue the permit of an approved application: its number and validity.

        The number is taken from the counter of the city, the office and the year of issue
        inside the same transaction (:class:`PermitRules` says how it is written); the
        permit is valid from the city's date of issue for the service's months.

        Raises:
            ConflictError: Not approved, changed meanwhile, or the number exists already.
            ConfigurationError: The office's code cannot be written in a number.
        """

        def change(
            conn: Connection, a: PermitApplication, now: dt.datetime
        ) -> tuple[str, dict[str, Any]]:
            today = self._city.localize(now).date()
            agency = self._rules.agency_code(a.agency)
            seq = store.next_sequence(conn, a.city, agency, today.year)
            a.number = self._rules.number_format.format(
                NumberParts(self._rules.classification, seq, agency, today.month, today.year)
            )
            months = self._rules.months_valid(a.service_code)
            a.issued_at = now
            a.valid_from = today
            a.valid_until = valid_through(today, months) if months is not None else None
            until = a.valid_until.isoformat() if a.valid_until else "no end"
            return f"{a.number}, valid until {until}", {
                "number": a.number,
                "valid_from": today.isoformat(),
                "valid_until": a.valid_until.isoformat() if a.valid_until else None,
            }

        return self._change(application_id, actor, expected_version, None, _S.ISSUED, change)

    def revoke(
        self,
        application_id: int,
        reason: str,
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> PermitApplication:
        """Revoke an issued permit; the reason is required. It is no longer valid.

        Raises:
            ValidationError: No reason, or one that holds personal data.
            ConflictError: Not issued, or changed meanwhile.
        """
        reason = _text("reason", reason, required=True)

        def change(
            _conn: Connection, a: PermitApplication, now: dt.datetime
        ) -> tuple[str, dict[str, Any]]:
            a.revoked_at = now
            a.notes = reason
            return reason, {"reason": reason, "number": a.number}

        return self._change(application_id, actor, expected_version, None, _S.REVOKED, change)

    # --- reading --------------------------------------------------------------------------

    def get(self, application_id: int) -> PermitApplication:
        """One application.

        Raises:
            NotFoundError: No such application in this city.
        """
        with self._db.reading() as conn:
            return self._application(conn, application_id)

    def history(self, application_id: int) -> list[ApplicationEvent]:
        """Every step of an application, oldest first."""
        with self._db.reading() as conn:
            self._application(conn, application_id)
            rows = conn.execute(
                sa.select(store.events)
                .where(store.events.c.application_id == application_id)
                .order_by(store.events.c.id)
            ).all()
        return [store.event_from_row(r) for r in rows]

    def search(  # noqa: PLR0913 - one keyword per filter
        self,
        *,
        statuses: Sequence[PermitStatus] | None = None,
        service_code: str | None = None,
        agency: str | None = None,
        limit: int = 1000,
        offset: int = 0,
        sort: str = "-created_at",
    ) -> list[PermitApplication]:
        """Applications matching every filter given, newest first unless ``sort`` says otherwise.

        Raises:
            ValidationError: ``sort`` is not one of :data:`PERMIT_SORTS`.
        """
        if sort not in PERMIT_SORTS:
            raise ValidationError.single("sort", "must be one of " + ", ".join(PERMIT_SORTS))
        table = store.applications
        query = sa.select(table).where(table.c.city == self._city.slug)
        if statuses is not None:
            query = query.where(table.c.status.in_([_S(s).value for s in statuses]))
        if service_code is not None:
            query = query.where(table.c.service_code == service_code)
        if agency is not None:
            query = query.where(table.c.agency == agency)
        column = table.c[sort.lstrip("-")]
        order = (column.desc(), table.c.id.desc()) if sort[0] == "-" else (column, table.c.id)
        query = query.order_by(*order).limit(limit).offset(offset)
        with self._db.reading() as conn:
            rows = conn.execute(query).all()
        return [store.application_from_row(r) for r in rows]

    def overdue(self, now: dt.datetime | None = None) -> list[PermitApplication]:
        """Applications whose deadline has passed while still open, most late first."""
        at = ensure_utc(now or self._clock.now())
        table = store.applications
        with self._db.reading() as conn:
            rows = conn.execute(
                sa.select(table)
                .where(
                    table.c.city == self._city.slug,
                    table.c.status.in_([s.value for s in _RUNNING]),
                    table.c.due_at < at,
                )
                .order_by(table.c.due_at, table.c.id)
            ).all()
        return [store.application_from_row(r) for r in rows]

    def permit(self, number: str) -> PermitApplication:
        """The application that was issued ``number`` in this city.

        Raises:
            NotFoundError: No permit with this number in this city.
        """
        table = store.applications
        with self._db.reading() as conn:
            row = conn.execute(
                sa.select(table).where(
                    table.c.city == self._city.slug, table.c.number == number.strip()
                )
            ).first()
        if row is None:
            raise NotFoundError(f"no permit numbered {number.strip()!r} in {self._city.slug}")
        return store.application_from_row(row)

    def check(self, number: str) -> Verification:
        """The public answer about a permit number: valid or not, for whom (masked), until when.

        Valid means issued, not revoked, and today (in the city) within its validity. An
        unknown number answers ``valid=False`` with ``reason="unknown"``; so does text that
        cannot be a permit number (more than 100 characters, or any character besides letters,
        digits and ``. - / _ : | #``), without looking it up.
        """
        text = number.strip() if isinstance(number, str) else ""
        try:
            found = self.permit(text) if _NUMBER_TEXT.fullmatch(text) else None
        except NotFoundError:
            found = None
        if found is None:
            return Verification(number=text, valid=False, reason="unknown")
        today = self._city.local_now(self._clock).date()
        reason = None
        if found.status is _S.REVOKED:
            reason = "revoked"
        elif found.valid_from is not None and today < found.valid_from:
            reason = "not_yet_valid"
        elif found.valid_until is not None and today > found.valid_until:
            reason = "expired"
        return Verification(
            number=text,
            valid=reason is None,
            reason=reason,
            city=self._city.slug,
            holder=found.applicant.masked_name,
            holder_kind=found.applicant.kind.value,
            holder_id=found.applicant.identifier,
            service_code=found.service_code,
            service_name=found.service_name,
            agency=found.agency,
            issued_on=found.valid_from,
            valid_until=found.valid_until,
            revoked_on=self._city.localize(found.revoked_at).date() if found.revoked_at else None,
        )

    # --- helpers --------------------------------------------------------------------------

    def _resume(self, a: PermitApplication, now: dt.datetime) -> dict[str, Any]:
        """End a pause (adding its working days) and count the deadline again; the details."""
        if a.submitted_at is None:  # pragma: no cover - every caller is past submission
            raise ConflictError(f"application {a.id} was never submitted")
        details: dict[str, Any] = {}
        if a.paused_at is not None:
            paused = paused_working_days(
                self._city.calendar, self._city.time_zone, a.paused_at, now
            )
            a.paused_days += paused
            a.paused_at = None
            details["paused_days"] = paused
        a.due_at = deadline_with_pauses(
            self._city.calendar, self._city.time_zone, a.submitted_at, a.working_days, a.paused_days
        )
        details["due_at"] = a.due_at.isoformat()
        return details

    @staticmethod
    def _subject(application_id: int) -> str:
        return f"permit-application:{application_id}"

    @staticmethod
    def _items(missing: Sequence[int]) -> tuple[int, ...]:
        if isinstance(missing, str | bytes) or not isinstance(missing, Sequence):
            raise ValidationError.single("missing", "must list checklist item numbers")
        if not missing:
            raise ValidationError.single("missing", "must name at least one checklist item")
        if any(type(n) is not int or n < 1 for n in missing):
            raise ValidationError.single("missing", "must list checklist item numbers, from 1")
        return tuple(sorted(set(missing)))

    @staticmethod
    def _editable(a: PermitApplication) -> None:
        if a.status not in (_S.DRAFT, _S.REQUIREMENTS_INCOMPLETE):
            raise ConflictError(
                f"application {a.id} is {a.status.value}: documents change only in a draft or "
                "when it was sent back"
            )

    @staticmethod
    def _noting(notes: str) -> _Change:
        def change(
            _conn: Connection, a: PermitApplication, _now: dt.datetime
        ) -> tuple[str, dict[str, Any]]:
            a.notes = notes
            return notes, ({"notes": notes} if notes else {})

        return change

    def _application(self, conn: Connection, application_id: int) -> PermitApplication:
        if type(application_id) is not int:
            raise ValidationError.single("application_id", "must be a whole number")
        table = store.applications
        row = conn.execute(
            sa.select(table).where(table.c.city == self._city.slug, table.c.id == application_id)
        ).first()
        if row is None:
            raise NotFoundError(f"no permit application {application_id} in {self._city.slug}")
        return store.application_from_row(row)

    def _event(  # noqa: PLR0913, PLR0917 - an event's fields
        self,
        conn: Connection,
        application_id: int,
        at: dt.datetime,
        actor: str,
        action: str,
        notes: str,
    ) -> None:
        conn.execute(
            sa.insert(store.events).values(
                application_id=application_id, at=at, actor=actor, action=action, notes=notes
            )
        )

    def _change(  # noqa: PLR0913, PLR0917 - the parts of every change
        self,
        application_id: int,
        actor: str,
        expected_version: int | None,
        action: str | None,
        to: PermitStatus | None,
        change: _Change,
    ) -> PermitApplication:
        """Read, check, change, store, record history and audit: one transaction."""
        if expected_version is not None and type(expected_version) is not int:
            raise ValidationError.single("expected_version", "must be a whole number")
        with self._db.transaction() as conn:
            a = self._application(conn, application_id)
            if expected_version is not None and expected_version != a.version:
                raise ConflictError(
                    f"permit application {application_id} was changed by someone else (now "
                    f"version {a.version}, you read version {expected_version}): reload it"
                )
            before = a.status
            if to is not None and to not in PERMIT_TRANSITIONS[before]:
                raise ConflictError(
                    f"permit application {application_id} is {before.value}: it cannot become "
                    f"{to.value}"
                )
            now = ensure_utc(self._clock.now())
            notes, details = change(conn, a, now)
            if to is not None:
                a.status = to
                details = {"from": before.value, "to": to.value, **details}
            a.updated_at = now
            a.version += 1
            values = store.application_values(a)
            del values["version"]
            try:
                update_versioned(
                    conn, store.applications, {"id": application_id}, a.version - 1, values
                )
            except sa.exc.IntegrityError:
                raise ConflictError(
                    f"permit number {a.number} exists already in {a.city}: try again"
                ) from None
            step = action or (to.value if to is not None else "changed")
            self._event(conn, application_id, now, actor, step, notes)
            self._audit.append(
                conn,
                actor=actor,
                action=f"permit.{step}",
                subject=self._subject(application_id),
                details=details,
            )
        return a


def check_number(
    offices: Mapping[str, PermitOffice], number: str, city: str | None = None
) -> Verification:
    """Check a permit number in ``city``, or in every city of ``offices`` when none is named.

    Cities issue numbers of their own, and two may write the same number; a number found in
    more than one of them needs ``city``.

    Raises:
        NotFoundError: ``city`` is not one of ``offices``.
        ValidationError: No city named, and the number was issued in more than one.
    """
    if city is not None:
        office = offices.get(city)
        if office is None:
            raise NotFoundError(f"no permit office for {city!r}: {', '.join(sorted(offices))}")
        return office.check(number)
    found = [v for v in (o.check(number) for o in offices.values()) if v.reason != "unknown"]
    if len(found) > 1:
        cities = ", ".join(sorted(str(v.city) for v in found))
        raise ValidationError.single("city", f"this number was issued in {cities}: name the city")
    if found:
        return found[0]
    text = number.strip() if isinstance(number, str) else ""
    return Verification(number=text, valid=False, reason="unknown")
