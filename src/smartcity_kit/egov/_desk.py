"""The service desk: what a city's complaint desk does, as use cases over a store and a clock."""

from __future__ import annotations

import datetime as dt
import math
import statistics
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from smartcity_kit.core import (
    CityProfile,
    Clock,
    RegionCode,
    SystemClock,
    ensure_utc,
    find_personal_data,
)
from smartcity_kit.egov import _store as store
from smartcity_kit.egov._catalog import Agency, Service, _looks_like_html
from smartcity_kit.egov._requests import (
    MAX_DESCRIPTION,
    TRANSITIONS,
    Classification,
    Contact,
    Location,
    RequestEvent,
    ServiceRequest,
    Status,
)
from smartcity_kit.errors import (
    ConflictError,
    FieldError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from smartcity_kit.storage import AuditLog, BatchWriter, Database, update_versioned

__all__ = ["ANSWER_DAYS", "REQUEST_SORTS", "VERIFY_DAYS", "Metrics", "ServiceDesk"]

#: Working days to verify a new or reopened request (SP4N-LAPOR!).
VERIFY_DAYS: Final = 3
#: How long a desk reuses a service definition it read for a new request (seconds).
SERVICE_CACHE_SECONDS: Final = 1.0
#: Working days for the agency a request was referred to to answer (SP4N-LAPOR!).
ANSWER_DAYS: Final = 5
_MAX_URL: Final = 2000
# Descriptions and status notes are published through Open311: no personal numbers in them.
_PUBLISHED: Final = (
    "is published and must not hold personal data ({kind}); give contact details in the "
    "contact fields"
)


@attrs.frozen
class Metrics:
    """Transparency figures for a period.

    Attributes:
        received: Requests received in the period.
        resolved: Requests resolved in the period.
        median_days: Median working days from receipt to resolution (resolved in the period).
        p90_days: 90th percentile of the same.
        on_time_share: Share of those resolved by the service standard's deadline (0 to 1).
    """

    received: int
    resolved: int
    median_days: float | None
    p90_days: float | None
    on_time_share: float | None


def check_text_fields(
    description: object,
    media_url: object,
    address: str | None = None,
    answers: Mapping[str, object] | None = None,
) -> list[FieldError]:
    """The problems with a request's published text (empty when all is fine).

    The description, address and free-text answers are published through Open311, so they must
    be plain text without personal numbers; the media URL must be http(s).
    """
    problems: list[FieldError] = []
    if address is not None and (kind := find_personal_data(address)):
        problems.append(FieldError("address_string", _PUBLISHED.format(kind=kind)))
    for code, answer in (answers or {}).items():
        texts = [answer] if isinstance(answer, str) else []
        if any(kind := find_personal_data(t) for t in texts):
            problems.append(FieldError(f"attribute[{code}]", _PUBLISHED.format(kind=kind)))
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        problems.append(
            FieldError("description", f"must be text of at most {MAX_DESCRIPTION} characters")
        )
    elif _looks_like_html(description):
        problems.append(FieldError("description", "must be plain text, not HTML"))
    elif kind := find_personal_data(description):
        problems.append(FieldError("description", _PUBLISHED.format(kind=kind)))
    if media_url is not None and (
        not isinstance(media_url, str)
        or not media_url.startswith(("https://", "http://"))
        or len(media_url) > _MAX_URL
        or any(c.isspace() for c in media_url)
    ):
        problems.append(FieldError("media_url", "must be an http(s) URL"))
    return problems


#: How :meth:`ServiceDesk.search` can sort: a field, descending with a leading ``-``.
REQUEST_SORTS: Final = (
    "-requested_at",
    "requested_at",
    "-updated_at",
    "updated_at",
    "-id",
    "id",
)


def _order(table: sa.Table, sort: str) -> tuple[sa.ColumnElement[Any], ...]:
    column = table.c[sort.lstrip("-")]
    if sort.startswith("-"):
        return (column.desc(), table.c.id.desc())
    return (column.asc(), table.c.id.asc())


def _classification(value: object) -> Classification:
    try:
        return Classification(str(value))
    except ValueError:
        choices = ", ".join(Classification)
        raise ValidationError.single("classification", f"must be one of {choices}") from None


def _upsert(conn: Connection, table: sa.Table, values: Mapping[str, Any]) -> None:
    """Insert a row, or update the one with the same (city, code)."""
    key = (table.c.city == values["city"], table.c.code == values["code"])
    if conn.execute(sa.select(table.c.code).where(*key)).first():
        conn.execute(sa.update(table).where(*key).values(**values))
    else:
        conn.execute(sa.insert(table).values(**values))


def _percentile(sorted_values: Sequence[int], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    rank = max(1, math.ceil(q * len(sorted_values)))
    return float(sorted_values[rank - 1])


@attrs.frozen
class _Received:
    """A request to store: its row, its first event (without the id) and its audit details."""

    values: dict[str, Any]
    event: dict[str, Any]
    details: dict[str, Any]


class ServiceDesk:
    """A city's service-request desk (the complaint desk), backed by the database.

    Every change is checked, stored and appended to the audit log in one transaction.

    Args:
        db: The database (upgraded).
        city: The city this desk serves; its time zone and calendar count the deadlines.
        clock: Where "now" comes from.
    """

    def __init__(self, db: Database, city: CityProfile, clock: Clock | None = None) -> None:
        self._db = db
        self._city = city
        self._clock: Clock = clock or SystemClock()
        self._audit = AuditLog(db, self._clock)
        self._recent_services: dict[str, tuple[float, Service]] = {}
        self._catalogue_generation = 0  # moved by every save here (see _recent_service)
        self._receiver: BatchWriter[_Received, int] = BatchWriter(db, self._write_received)

    @property
    def city(self) -> CityProfile:
        """The city this desk serves."""
        return self._city

    # --- catalogue -------------------------------------------------------------------------

    def save_agency(self, agency: Agency, *, actor: str) -> Agency:
        """Add an agency, or rename one with the same code."""
        self._own(agency.city)
        with self._db.transaction() as conn:
            values = {"city": agency.city, "code": agency.code, "name": agency.name}
            _upsert(conn, store.agencies, values)
            self._audit.append(
                conn,
                actor=actor,
                action="agency.saved",
                subject=f"agency:{agency.city}/{agency.code}",
                details={"name": agency.name},
            )
        return agency

    def agencies(self) -> list[Agency]:
        """The city's agencies, by code."""
        with self._db.reading() as conn:
            rows = conn.execute(
                sa.select(store.agencies)
                .where(store.agencies.c.city == self._city.slug)
                .order_by(store.agencies.c.code)
            ).all()
        return [store.agency_from_row(r) for r in rows]

    def save_service(self, service: Service, *, actor: str) -> Service:
        """Add a service to the catalogue, or replace the one with the same code.

        Raises:
            ValidationError: The responsible agency does not exist in this city.
        """
        self._own(service.city)
        with self._db.transaction() as conn:
            self._require_agency(conn, service.agency, "agency")
            _upsert(conn, store.services, store.service_values(service))
            self._audit.append(
                conn,
                actor=actor,
                action="service.saved",
                subject=f"service:{service.city}/{service.code}",
                details={"name": service.name, "agency": service.agency},
            )
        # After the commit: a read meanwhile may have seen the old one; the generation keeps a
        # read that began before this save from storing it again.
        self._catalogue_generation += 1
        self._recent_services.clear()
        return service

    def services(self) -> list[Service]:
        """The city's catalogue, by code."""
        with self._db.reading() as conn:
            rows = conn.execute(
                sa.select(store.services)
                .where(store.services.c.city == self._city.slug)
                .order_by(store.services.c.code)
            ).all()
        return [store.service_from_row(r) for r in rows]

    def service(self, code: str) -> Service:
        """One service by its code.

        Raises:
            NotFoundError: No such service in this city.
        """
        with self._db.reading() as conn:
            return self._service(conn, code)

    # --- requests --------------------------------------------------------------------------

    def submit(  # noqa: PLR0913 - the fields of a request
        self,
        service_code: str,
        *,
        location: Location,
        description: str = "",
        media_url: str | None = None,
        attributes: Mapping[str, str | Sequence[str]] | None = None,
        contact: Contact | None = None,
        classification: Classification = Classification.PENGADUAN,
        actor: str = "citizen",
    ) -> ServiceRequest:
        """Receive a request; every problem with the input is reported at once.

        Nothing is stored unless all is well.

        Raises:
            NotFoundError: No such service in this city, or one that takes no requests
                (``Service.open311`` is false).
            ValidationError: The description, media URL or attribute answers do not fit.
        """
        problems = check_text_fields(description, media_url, location.address)
        # Everything but the writing happens before the write lock is taken: SQLite has one
        # writer at a time, so the locked part is kept to the three inserts. The service is read
        # just before (and reused for a second: SERVICE_CACHE_SECONDS); services are never
        # deleted, and a definition changed meanwhile in another process is one that was current
        # a moment earlier, as if the request had come a moment earlier. A change made through
        # this desk is seen at once.
        service = self._recent_service(service_code)
        if not service.open311:
            raise NotFoundError(
                f"service {service.code!r} takes no requests: it is applied for at its own desk"
            )
        try:
            parsed = service.parse_attributes(attributes or {})
        except ValidationError as e:
            problems.extend(e.errors)
            parsed = {}
        problems += check_text_fields("", None, answers=parsed)
        if problems:
            raise ValidationError(problems)
        now = ensure_utc(self._clock.now())
        request = ServiceRequest(
            id=0,
            city=self._city.slug,
            service_code=service.code,
            classification=_classification(classification),
            status=Status.RECEIVED,
            agency=service.agency,
            description=description,
            location=location,
            media_url=media_url,
            attributes=parsed,
            contact=contact or Contact(),
            requested_at=now,
            updated_at=now,
            verify_due=self._city.deadline(now, VERIFY_DAYS),
            answer_due=None,
            complete_due=self._city.deadline(now, service.standard.working_days),
        )
        values = store.request_values(request)
        details = {"service": service.code, "classification": request.classification.value}
        event = {
            "at": now,
            "actor": actor,
            "status": request.status.value,
            "notes": "",
            "agency": request.agency,
        }
        # Reports that arrive together are written in one transaction (group commit).
        request.id = self._receiver.write(_Received(values, event, details))
        request.attributes = values["attributes"]
        return request

    def get(self, request_id: int) -> ServiceRequest:
        """One request.

        Raises:
            NotFoundError: No such request in this city.
        """
        with self._db.reading() as conn:
            return self._request(conn, request_id)

    def history(self, request_id: int) -> list[RequestEvent]:
        """Every step of a request, oldest first."""
        with self._db.reading() as conn:
            self._request(conn, request_id)
            rows = conn.execute(
                sa.select(store.events)
                .where(store.events.c.request_id == request_id)
                .order_by(store.events.c.id)
            ).all()
        return [store.event_from_row(r) for r in rows]

    def transition(  # noqa: PLR0913, PLR0912, PLR0915, C901 - one keyword per kind of step
        self,
        request_id: int,
        to: Status,
        *,
        actor: str,
        notes: str = "",
        agency: str | None = None,
        duplicate_of: int | None = None,
        expected_version: int | None = None,
        only_if_agency: str | None = None,
    ) -> ServiceRequest:
        """Move a request to another status, with notes, and record who did it.

        - ``REFERRED`` needs ``agency`` (another agency of the city); its answer is due in 5
          working days.
        - ``REJECTED`` needs ``notes`` (the reason).
        - ``DUPLICATE`` needs ``duplicate_of`` (another request of the city).
        - ``REOPENED`` restarts the verification deadline.

        With ``expected_version``, a request changed by someone else since it was read raises
        :class:`~smartcity_kit.errors.ConflictError`. With ``only_if_agency``, the move happens only
        while that agency is responsible (checked in the same transaction as the move), else
        :class:`~smartcity_kit.errors.PermissionDeniedError`.

        Raises:
            ConflictError: The transition is not allowed from the current status, or the
                request changed meanwhile.
            ValidationError: A needed field is missing or wrong.
            NotFoundError: No such request.
        """
        try:
            to = Status(to)
        except ValueError:
            raise ValidationError.single("to", "must be one of " + ", ".join(Status)) from None
        if not isinstance(notes, str) or len(notes) > MAX_DESCRIPTION:
            raise ValidationError.single(
                "notes", f"must be text of at most {MAX_DESCRIPTION} characters"
            )
        if kind := find_personal_data(notes):
            raise ValidationError.single("notes", _PUBLISHED.format(kind=kind))
        with self._db.transaction() as conn:
            request = self._request(conn, request_id)
            if only_if_agency is not None and request.agency != only_if_agency:
                raise PermissionDeniedError(
                    f"request {request_id} belongs to {request.agency}, not {only_if_agency}"
                )
            if expected_version is not None and expected_version != request.version:
                raise ConflictError(
                    f"request {request_id} was changed by someone else (now version "
                    f"{request.version}, you read version {expected_version}): reload it"
                )
            if to not in TRANSITIONS[request.status]:
                raise ConflictError(
                    f"request {request_id} is {request.status.value}: it cannot become {to.value}"
                )
            now = ensure_utc(self._clock.now())
            before = request.status
            if to is Status.REJECTED and not notes.strip():
                raise ValidationError.single("notes", "a rejection needs a reason")
            if to is Status.REFERRED:
                if not agency:
                    raise ValidationError.single(
                        "agency", "a referral needs the agency to refer to"
                    )
                if agency == request.agency:
                    raise ValidationError.single("agency", "is already responsible")
                self._require_agency(conn, agency, "agency")
                request.agency = agency
                request.answer_due = self._city.deadline(now, ANSWER_DAYS)
            if to is Status.DUPLICATE:
                if duplicate_of is None or duplicate_of == request_id:
                    raise ValidationError.single("duplicate_of", "must name another request")
                self._request(conn, duplicate_of)
                request.duplicate_of = duplicate_of
            if to is Status.REOPENED:
                request.closed_at = None
                request.duplicate_of = None
                request.verify_due = self._city.deadline(now, VERIFY_DAYS)
            if to.closed:
                request.closed_at = now
            request.status = to
            request.status_notes = notes
            request.updated_at = now
            request.version += 1
            values = store.request_values(request)
            del values["version"]
            update_versioned(conn, store.requests, {"id": request_id}, request.version - 1, values)
            self._record_event(conn, request, actor, notes)
            details: dict[str, Any] = {
                "from": before.value,
                "to": to.value,
                "agency": request.agency,
            }
            if duplicate_of is not None:
                details["duplicate_of"] = duplicate_of
            if notes:
                details["notes"] = notes
            self._audit.append(
                conn,
                actor=actor,
                action=f"request.{to.value}",
                subject=f"request:{request_id}",
                details=details,
            )
        return request

    def search(  # noqa: PLR0913 - one keyword per filter
        self,
        *,
        ids: Sequence[int] | None = None,
        service_codes: Sequence[str] | None = None,
        statuses: Sequence[Status] | None = None,
        agency: str | None = None,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        updated_after: dt.datetime | None = None,
        updated_before: dt.datetime | None = None,
        limit: int = 1000,
        offset: int = 0,
        sort: str = "-requested_at",
    ) -> list[ServiceRequest]:
        """Requests matching every filter given, newest first unless ``sort`` says otherwise.

        ``start`` is inclusive and ``end`` exclusive, on the time received. ``sort`` is one of
        :data:`REQUEST_SORTS`: a field, descending with a leading ``-``; ties go by id in the
        same direction.

        Raises:
            ValidationError: ``sort`` is not one of :data:`REQUEST_SORTS`.
        """
        if sort not in REQUEST_SORTS:
            raise ValidationError.single("sort", "must be one of " + ", ".join(REQUEST_SORTS))
        table = store.requests
        query = sa.select(table).where(table.c.city == self._city.slug)
        if ids is not None:
            query = query.where(table.c.id.in_(list(ids)))
        if service_codes is not None:
            query = query.where(table.c.service_code.in_(list(service_codes)))
        if statuses is not None:
            query = query.where(table.c.status.in_([Status(s).value for s in statuses]))
        if agency is not None:
            query = query.where(table.c.agency == agency)
        if start is not None:
            query = query.where(table.c.requested_at >= ensure_utc(start))
        if end is not None:
            query = query.where(table.c.requested_at < ensure_utc(end))
        if updated_after is not None:
            query = query.where(table.c.updated_at > ensure_utc(updated_after))
        if updated_before is not None:
            query = query.where(table.c.updated_at < ensure_utc(updated_before))
        query = query.order_by(*_order(table, sort)).limit(limit).offset(offset)
        with self._db.reading() as conn:
            rows = conn.execute(query).all()
        return [store.request_from_row(r) for r in rows]

    def overdue(self, now: dt.datetime | None = None) -> list[ServiceRequest]:
        """Open requests whose current step is late, most late first."""
        at = ensure_utc(now or self._clock.now())
        open_statuses = [s for s in Status if not s.closed]
        late = [r for r in self.search(statuses=open_statuses, limit=1_000_000) if r.overdue(at)]
        return sorted(late, key=lambda r: (r.due_now() or at, r.id))

    def metrics(
        self,
        start: dt.datetime,
        end: dt.datetime,
        *,
        agency: str | None = None,
        service_code: str | None = None,
        district: RegionCode | str | None = None,
    ) -> Metrics:
        """Transparency figures for ``[start, end)``, for the city or a part of it.

        Give ``agency``, ``service_code`` or ``district`` (a kecamatan's region code) for the
        figures of that part, or several for where they meet.

        Raises:
            ValidationError: ``end`` is not after ``start``, or ``district`` is not a region code.
        """
        start, end = ensure_utc(start, "start"), ensure_utc(end, "end")
        if end <= start:
            raise ValidationError.single("end", "must be after start")
        table = store.requests
        scope = [table.c.city == self._city.slug]
        if agency is not None:
            scope.append(table.c.agency == agency)
        if service_code is not None:
            scope.append(table.c.service_code == service_code)
        if district is not None:
            try:
                code = district if isinstance(district, RegionCode) else RegionCode.parse(district)
            except ValidationError:
                raise ValidationError.single(
                    "district", "must be a kecamatan's region code, like '73.71.03'"
                ) from None
            scope.append(table.c.district == code.value)
        with self._db.reading() as conn:
            received = conn.execute(
                sa.select(sa.func.count()).where(
                    *scope, table.c.requested_at >= start, table.c.requested_at < end
                )
            ).scalar_one()
            rows = conn.execute(
                sa.select(table.c.requested_at, table.c.closed_at, table.c.complete_due).where(
                    *scope,
                    table.c.status == Status.RESOLVED.value,
                    table.c.closed_at >= start,
                    table.c.closed_at < end,
                )
            ).all()
        calendar, zone = self._city.calendar, self._city.time_zone
        days = sorted(
            calendar.count_working_days(
                zone.localize(r.requested_at).date(), zone.localize(r.closed_at).date()
            )
            for r in rows
        )
        on_time = sum(1 for r in rows if r.closed_at <= r.complete_due)
        return Metrics(
            received=int(received),
            resolved=len(rows),
            median_days=float(statistics.median(days)) if days else None,
            p90_days=_percentile(days, 0.9) if days else None,
            on_time_share=on_time / len(rows) if rows else None,
        )

    # --- helpers ---------------------------------------------------------------------------

    def _own(self, city: str) -> None:
        if city != self._city.slug:
            raise ValidationError.single("city", f"this desk serves {self._city.slug!r}")

    def _require_agency(self, conn: Connection, code: str, field: str) -> None:
        found = conn.execute(store.AGENCY_EXISTS, {"city": self._city.slug, "code": code}).first()
        if found is None:
            raise ValidationError.single(field, f"no agency {code!r} in {self._city.slug}")

    def _service(self, conn: Connection, code: str) -> Service:
        row = conn.execute(store.SERVICE_BY_CODE, {"city": self._city.slug, "code": code}).first()
        if row is None:
            raise NotFoundError(f"no service {code!r} in {self._city.slug}")
        return store.service_from_row(row)

    def _recent_service(self, code: str) -> Service:
        now = time.monotonic()
        hit = self._recent_services.get(code)
        if hit is not None and now - hit[0] <= SERVICE_CACHE_SECONDS:
            return hit[1]
        generation = self._catalogue_generation
        service = self.service(code)
        if generation == self._catalogue_generation:
            self._recent_services[code] = (now, service)
        return service

    def _request(self, conn: Connection, request_id: int) -> ServiceRequest:
        row = conn.execute(store.REQUEST_BY_ID, {"city": self._city.slug, "id": request_id}).first()
        if row is None:
            raise NotFoundError(f"no request {request_id} in {self._city.slug}")
        return store.request_from_row(row)

    def _write_received(self, conn: Connection, received: Sequence[_Received]) -> list[int]:
        """Store newly received requests, their first events and audit entries, in bulk."""
        if len(received) == 1:  # alone: the plain inserts cost less than the bulk ones
            one = received[0]
            request_id = int(store.insert_request(conn, one.values))
            store.insert_event(conn, {"request_id": request_id, **one.event})
            self._audit.append(
                conn,
                actor=one.event["actor"],
                action="request.received",
                subject=f"request:{request_id}",
                details=one.details,
            )
            return [request_id]
        ids = store.insert_requests(conn, [r.values for r in received])
        store.insert_event.many(
            conn, [{"request_id": i, **r.event} for i, r in zip(ids, received, strict=True)]
        )
        self._audit.append_many(
            conn,
            [
                {
                    "actor": r.event["actor"],
                    "action": "request.received",
                    "subject": f"request:{i}",
                    "details": r.details,
                }
                for i, r in zip(ids, received, strict=True)
            ],
        )
        return ids

    def _record_event(
        self, conn: Connection, request: ServiceRequest, actor: str, notes: str
    ) -> None:
        store.insert_event(
            conn,
            {
                "request_id": request.id,
                "at": request.updated_at,
                "actor": actor,
                "status": request.status.value,
                "notes": notes,
                "agency": request.agency,
            },
        )
