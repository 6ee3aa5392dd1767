"""A framework-free GeoReport v2 server: (method, path, parameters) in, (status, body) out.

The Flask blueprint in :mod:`smartcity_kit.web` is a thin layer over this; any other web
framework can mount it the same way.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Final

import attrs

from smartcity_kit.core import (
    Clock,
    GeoPoint,
    PhoneNumber,
    RegionCode,
    SystemClock,
    parse_instant,
)
from smartcity_kit.egov._catalog import Service
from smartcity_kit.egov._desk import ServiceDesk, check_text_fields
from smartcity_kit.egov._requests import Contact, Location, ServiceRequest, Status
from smartcity_kit.egov.open311 import _codec as codec
from smartcity_kit.egov.open311._codec import Format
from smartcity_kit.egov.open311._convert import definition_to_wire, request_to_wire, service_to_wire
from smartcity_kit.egov.open311._wire import (
    Discovery,
    Endpoint,
    RequestCreated,
    RequestUpdate,
    WireError,
)
from smartcity_kit.errors import FieldError, NotFoundError, ValidationError

__all__ = ["Authorizer", "Open311Handler", "Response"]

#: Turns an ``api_key`` (or None) and the city (slug) posted to into the actor id allowed to
#: post there, or None to refuse (403).
Authorizer = Callable[[str | None, str], str | None]

CONTENT_TYPES: Final = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
_ROUTE = re.compile(
    r"^(?P<resource>services|requests|tokens|servicerequestupdates)"
    r"(?:/(?P<id>[^/]+))?\.(?P<fmt>xml|json)$"
)
_MAX_SPAN: Final = dt.timedelta(days=90)
_SPEC_LIMIT: Final = 1000
_DEFAULT_PAGE_SIZE: Final = 50
_MAX_PAGE_SIZE: Final = 500
_MAX_IDS: Final = 1000
_CACHE_ENTRIES: Final = 512
# How long a reader waits for another thread making the same answer before making it alone.
_MAKING_WAIT_SECONDS: Final = 10.0
#: When this GeoReport v2 implementation last changed (the discovery ``changeset``).
API_CHANGED: Final = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


@attrs.frozen
class Response:
    """What to send back.

    Attributes:
        status: The HTTP status: 200, 201, 400, 403, 404 or 405.
        body: The encoded body (UTF-8).
        content_type: ``text/xml; charset=utf-8`` or ``application/json; charset=utf-8``.
    """

    status: int
    body: bytes
    content_type: str


class _Problem(Exception):  # noqa: N818 - internal control flow, never escapes the handler
    def __init__(self, status: int, errors: Sequence[WireError]) -> None:
        super().__init__(status)
        self.status = status
        self.errors = errors


def _error(status: int, description: str) -> _Problem:
    return _Problem(status, [WireError(status, description)])


class _Params:
    """Query or form parameters; an empty value counts as absent (the spec says so)."""

    def __init__(self, raw: Mapping[str, Sequence[str]]) -> None:
        self._raw = raw

    def one(self, name: str) -> str | None:
        for value in self._raw.get(name, ()):
            if value.strip():
                return value.strip()
        return None

    def many(self, name: str) -> list[str]:
        return [v for v in self._raw.get(name, ()) if v.strip()]

    def commas(self, name: str) -> list[str] | None:
        value = self.one(name)
        return None if value is None else [p.strip() for p in value.split(",") if p.strip()]

    def names(self) -> list[str]:
        return list(self._raw)


_NUL: Final = "\x00"


def _refuse_nul(params: Mapping[str, Sequence[str]]) -> None:
    """No database stores a NUL character (PostgreSQL refuses it): a 400 naming each field."""
    bad = sorted(
        name.replace(_NUL, "")[:64]
        for name, values in params.items()
        if _NUL in name or any(_NUL in value for value in values)
    )
    if bad:
        raise _Problem(
            400, [WireError(400, f"{name}: must not contain a NUL character") for name in bad]
        )


class _Making(threading.Event):
    """Set when the thread making an answer is done; ``kept`` says whether it kept one."""

    kept = False


class Open311Handler:
    """Answers GeoReport v2 calls for one or more cities' desks.

    Args:
        desks: One desk per jurisdiction; ``jurisdiction_id`` picks one and may be left out
            when there is only one.
        authorize: Checks the ``api_key`` of a POST for the city posted to; returns the actor id
            or None (403).
        clock: Where "now" comes from (the default 90-day window of ``GET requests``).
        data_version: A cheap call whose answer changes whenever the data does (the web app
            passes the audit-log head). With it, GET answers are cached for ``cache_seconds``.
        cache_seconds: How long a GET answer may be reused while the data version holds.

    Extensions beyond the spec (documented as such): ``page``/``page_size`` and
    ``updated_after``/``updated_before`` on ``GET requests``; ``extensions=true`` adds
    ``extended_attributes`` (classification, detailed status, agency code, answers) and
    ``notes`` (the request's history); ``GET servicerequestupdates`` lists status changes in
    FixMyStreet's shape.
    """

    def __init__(
        self,
        desks: Sequence[ServiceDesk],
        *,
        authorize: Authorizer,
        clock: Clock | None = None,
        data_version: Callable[[], object] | None = None,
        cache_seconds: float = 5.0,
    ) -> None:
        if not desks:
            raise ValidationError.single("desks", "give at least one desk")
        self._desks = {d.city.jurisdiction_id: d for d in desks}
        self._authorize = authorize
        self._clock: Clock = clock or SystemClock()
        self._version = data_version
        self._cache_seconds = cache_seconds
        self._cache: OrderedDict[tuple[object, ...], tuple[float, Response]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._making: dict[tuple[object, ...], _Making] = {}

    def handle(self, method: str, path: str, params: Mapping[str, Sequence[str]]) -> Response:
        """Answer one call. ``path`` is relative to the GeoReport root (``requests.json``).

        Never raises for a client's mistake: it answers 400, 403, 404 or 405 with the spec's
        error list, in the format asked for (XML when the path names none).
        """
        match = _ROUTE.match(path.strip("/"))
        fmt: Format = "json" if path.rstrip("/").endswith(".json") else "xml"
        key = self._cache_key(method, path, params)
        if key is None:
            return self._answer(method, path, match, fmt, params)
        cached, mine = self._cached(key)
        if cached is not None:
            return cached
        answer: Response | None = None
        try:
            answer = self._answer(method, path, match, fmt, params)
        finally:
            self._remember(
                key, answer if answer is not None and answer.status == 200 else None, mine
            )
        return answer

    def _answer(
        self,
        method: str,
        path: str,
        match: re.Match[str] | None,
        fmt: Format,
        params: Mapping[str, Sequence[str]],
    ) -> Response:
        try:
            if match is None or _NUL in path:
                raise _error(404, f"no such resource: {path.strip('/')[:100].replace(_NUL, '')}")
            _refuse_nul(params)
            return self._route(method.upper(), match["resource"], match["id"], fmt, _Params(params))
        except _Problem as problem:
            return Response(
                problem.status, codec.encode_errors(problem.errors, fmt), CONTENT_TYPES[fmt]
            )

    # --- read cache ------------------------------------------------------------------------
    # A GET answer is kept for a few seconds, keyed by the call and by the data version (the
    # audit-log head, which every change through the desk advances in the same transaction), so
    # a change is seen at once; only the 90-day default window may lag by the cache time.
    # One thread at a time computes a given answer: threads asking for it meanwhile wait for it
    # (none is kept yet, or the kept one is older than twice the cache time) or get the kept one
    # while it is made again (older than the cache time, but of the same data version). A page
    # over 100,000 requests takes milliseconds to make; made by every thread at once whenever it
    # expired, it held up every reader. An answer that is not kept (an error) is made by each.

    def _cache_key(
        self, method: str, path: str, params: Mapping[str, Sequence[str]]
    ) -> tuple[object, ...] | None:
        if self._version is None or method.upper() != "GET" or self._cache_seconds <= 0:
            return None
        query = tuple(sorted((k, tuple(v)) for k, v in params.items()))
        return (path, query, self._version())

    def _cached(self, key: tuple[object, ...]) -> tuple[Response | None, bool]:
        """The answer to give from the cache, or None and whether this thread makes it for all."""
        while True:
            with self._cache_lock:
                hit = self._cache.get(key)
                age = math.inf if hit is None else time.monotonic() - hit[0]
                if hit is not None and age <= self._cache_seconds:
                    self._cache.move_to_end(key)
                    return hit[1], False
                making = self._making.get(key)
                if making is None:
                    self._making[key] = _Making()
                    return None, True
                if hit is not None and age <= 2 * self._cache_seconds:
                    return hit[1], False  # the kept one, while another thread makes it again
            if not making.wait(_MAKING_WAIT_SECONDS) or not making.kept:
                return None, False  # taking too long, or not to be kept (an error): make it too

    def _remember(self, key: tuple[object, ...], answer: Response | None, mine: bool) -> None:
        """Keep ``answer`` (None: nothing to keep) and wake the threads waiting for it."""
        with self._cache_lock:
            if answer is not None:
                self._cache[key] = (time.monotonic(), answer)
                self._cache.move_to_end(key)
                while len(self._cache) > _CACHE_ENTRIES:
                    self._cache.popitem(last=False)
            if mine:
                making = self._making.pop(key)
                making.kept = answer is not None
                making.set()

    def discovery(self, fmt: Format, *, base_url: str, contact: str, key_service: str) -> Response:
        """The service discovery document for the endpoint at ``base_url``."""
        changeset = API_CHANGED
        document = Discovery(
            changeset=changeset,
            contact=contact,
            key_service=key_service,
            endpoints=(Endpoint(url=base_url, changeset=changeset),),
        )
        return Response(200, codec.encode_discovery(document, fmt), CONTENT_TYPES[fmt])

    # --- routing ---------------------------------------------------------------------------

    def _route(
        self, method: str, resource: str, item: str | None, fmt: Format, params: _Params
    ) -> Response:
        desk = self._desk(params)
        allowed = {"requests": ("GET", "POST")}.get(resource if item is None else "", ("GET",))
        if method not in allowed:
            raise _error(405, f"{method} is not allowed here; use {' or '.join(allowed)}")
        if resource == "services":
            return self._services(desk, item, fmt)
        if resource == "tokens":
            raise _error(
                404,
                f"unknown token {item[:64]!r}: requests get an id at once"
                if item
                else "unknown token",
            )
        if resource == "servicerequestupdates":
            return self._updates(desk, params, fmt)
        if method == "POST":
            return self._create(desk, params, fmt)
        return self._requests(desk, item, params, fmt)

    def _desk(self, params: _Params) -> ServiceDesk:
        jurisdiction = params.one("jurisdiction_id")
        if jurisdiction is None:
            if len(self._desks) == 1:
                return next(iter(self._desks.values()))
            raise _error(400, "jurisdiction_id is required: " + ", ".join(sorted(self._desks)))
        desk = self._desks.get(jurisdiction)
        if desk is None:
            raise _error(404, f"unknown jurisdiction_id {jurisdiction[:100]!r}")
        return desk

    def _ok(self, body: bytes, fmt: Format, status: int = 200) -> Response:
        return Response(status, body, CONTENT_TYPES[fmt])

    # --- services --------------------------------------------------------------------------

    def _services(self, desk: ServiceDesk, code: str | None, fmt: Format) -> Response:
        if code is None:
            return self._ok(
                codec.encode_services(
                    [service_to_wire(s) for s in desk.services() if s.open311], fmt
                ),
                fmt,
            )
        try:
            service = desk.service(code)
        except NotFoundError:
            raise _error(404, f"unknown service_code {code[:64]!r}") from None
        if not service.open311:
            raise _error(404, f"unknown service_code {code[:64]!r}")
        if not service.metadata:
            raise _error(404, f"service {code!r} has no definition (metadata is false)")
        return self._ok(codec.encode_definition(definition_to_wire(service), fmt), fmt)

    # --- reading requests ------------------------------------------------------------------

    def _requests(  # noqa: C901, PLR0912 - the spec's filters and their defaults, in order
        self, desk: ServiceDesk, item: str | None, params: _Params, fmt: Format
    ) -> Response:
        extensions = (params.one("extensions") or "").lower() == "true"
        if item is not None:
            found = self._by_ids(desk, [item])
            if not found:
                raise _error(404, f"unknown service_request_id {item[:64]!r}")
            return self._ok(self._encode(desk, found, fmt, extensions), fmt)
        ids = params.commas("service_request_id")
        if ids is not None:
            return self._ok(self._encode(desk, self._by_ids(desk, ids), fmt, extensions), fmt)
        problems: list[FieldError] = []
        codes = params.commas("service_code")
        if codes is not None:
            known = {s.code for s in desk.services()}
            unknown = [c for c in codes if c not in known]
            if unknown:
                raise _error(404, f"unknown service_code {', '.join(unknown)[:200]}")
        statuses = self._statuses(params.commas("status"), problems)
        start = self._instant(params, "start_date", problems)
        end = self._instant(params, "end_date", problems)
        updated_after = self._instant(params, "updated_after", problems)
        updated_before = self._instant(params, "updated_before", problems)
        page, page_size = self._paging(params, problems)
        if start is not None and end is not None and end < start:
            problems.append(FieldError("end_date", "must not be before start_date"))
        if problems:
            raise _Problem(400, [WireError(400, str(p)) for p in problems])
        now = self._clock.now()
        if start is None and end is None and updated_after is None and updated_before is None:
            start = now - _MAX_SPAN
        elif start is not None and end is None:
            end = min(start + _MAX_SPAN, now + dt.timedelta(days=1))
        elif end is not None and start is None:
            start = end - _MAX_SPAN
        if start is not None and end is not None and end - start > _MAX_SPAN:
            raise _error(400, "start_date and end_date may span at most 90 days")
        if page is None:
            limit, offset = _SPEC_LIMIT, 0
        else:
            limit, offset = page_size, (page - 1) * page_size
        found = desk.search(
            service_codes=codes,
            statuses=statuses,
            start=start,
            end=end + dt.timedelta(microseconds=1) if end is not None else None,
            updated_after=updated_after,
            updated_before=updated_before,
            limit=limit,
            offset=offset,
        )
        return self._ok(self._encode(desk, found, fmt, extensions), fmt)

    @staticmethod
    def _by_ids(desk: ServiceDesk, raw_ids: Sequence[str]) -> list[ServiceRequest]:
        ids = [int(i) for i in raw_ids[:_MAX_IDS] if i.isascii() and i.isdigit() and len(i) < 12]
        return desk.search(ids=ids, limit=_MAX_IDS) if ids else []

    @staticmethod
    def _statuses(values: list[str] | None, problems: list[FieldError]) -> list[Status] | None:
        if values is None:
            return None
        wanted: set[Status] = set()
        for value in values:
            if value.lower() == "open":
                wanted |= {s for s in Status if not s.closed}
            elif value.lower() == "closed":
                wanted |= {s for s in Status if s.closed}
            else:
                problems.append(FieldError("status", "must be open, closed or both"))
        return sorted(wanted)

    @staticmethod
    def _instant(params: _Params, name: str, problems: list[FieldError]) -> dt.datetime | None:
        value = params.one(name)
        if value is None:
            return None
        try:
            return parse_instant(value, name)
        except ValidationError as e:
            problems.extend(e.errors)
            return None

    @staticmethod
    def _paging(params: _Params, problems: list[FieldError]) -> tuple[int | None, int]:
        page_text, size_text = params.one("page"), params.one("page_size")
        if page_text is None and size_text is None:
            return None, _DEFAULT_PAGE_SIZE
        page, size = 1, _DEFAULT_PAGE_SIZE
        if page_text is not None:
            if not _whole(page_text) or not 1 <= int(page_text) <= 1_000_000:
                problems.append(FieldError("page", "must be a whole number from 1"))
            else:
                page = int(page_text)
        if size_text is not None:
            if not _whole(size_text) or not 1 <= int(size_text) <= _MAX_PAGE_SIZE:
                problems.append(FieldError("page_size", f"must be from 1 to {_MAX_PAGE_SIZE}"))
            else:
                size = int(size_text)
        return page, size

    def _encode(
        self, desk: ServiceDesk, found: Sequence[ServiceRequest], fmt: Format, extensions: bool
    ) -> bytes:
        services = {s.code: s for s in desk.services()}
        agencies = {a.code: a.name for a in desk.agencies()}
        wire = [
            request_to_wire(
                r,
                services.get(r.service_code),
                agencies.get(r.agency),
                desk.city.time_zone,
                history=desk.history(r.id) if extensions else None,
            )
            for r in found
        ]
        return codec.encode_requests(wire, fmt)

    def _updates(self, desk: ServiceDesk, params: _Params, fmt: Format) -> Response:
        problems: list[FieldError] = []
        start = self._instant(params, "start_date", problems)
        end = self._instant(params, "end_date", problems)
        if problems:
            raise _Problem(400, [WireError(400, str(p)) for p in problems])
        now = self._clock.now()
        end = end or now
        start = start or end - dt.timedelta(days=1)
        if end - start > _MAX_SPAN:
            raise _error(400, "start_date and end_date may span at most 90 days")
        zone = desk.city.time_zone
        updates = [
            RequestUpdate(
                update_id=f"{event_request.id}-{n}",
                service_request_id=str(event_request.id),
                status=event.status.value,
                updated_datetime=zone.localize(event.at),
                description=event.notes,
            )
            for event_request in desk.search(updated_after=start, limit=_SPEC_LIMIT)
            for n, event in enumerate(desk.history(event_request.id), start=1)
            if start < event.at <= end
        ]
        return self._ok(codec.encode_updates(updates, fmt), fmt)

    # --- creating requests -----------------------------------------------------------------

    def _create(self, desk: ServiceDesk, params: _Params, fmt: Format) -> Response:
        actor = self._authorize(params.one("api_key"), desk.city.slug)
        if actor is None:
            raise _error(403, "a valid api_key is required to post a request")
        problems: list[FieldError] = []
        code = params.one("service_code")
        if code is None:
            problems.append(FieldError("service_code", "is required"))
        location = self._location(params, problems)
        contact = self._contact(params, problems)
        attributes = self._attributes(params)
        description = params.one("description") or ""
        media_url = params.one("media_url")
        if problems or code is None or location is None:
            # Something is already wrong: check the rest too, so that every problem is listed.
            problems.extend(check_text_fields(description, media_url))
            if code is not None:
                try:
                    service: Service | None = desk.service(code)
                except NotFoundError:
                    service = None
                if service is None or not service.open311:
                    problems.append(FieldError("service_code", f"unknown service {code[:64]!r}"))
                else:
                    try:
                        service.parse_attributes(attributes)
                    except ValidationError as e:
                        problems.extend(e.errors)
            raise _Problem(400, [WireError(400, str(p)) for p in problems])
        try:
            # The desk checks the text fields and the answers, and stores nothing on error.
            created = desk.submit(
                code,
                location=location,
                description=description,
                media_url=media_url,
                attributes=attributes,
                contact=contact,
                actor=actor,
            )
        except ValidationError as e:
            raise _Problem(400, [WireError(400, str(err)) for err in e.errors]) from None
        except NotFoundError:
            raise _error(400, f"service_code: unknown service {code[:64]!r}") from None
        notice = _notice(desk, created)
        body = codec.encode_created(
            [
                RequestCreated(
                    service_request_id=str(created.id),
                    service_notice=notice,
                    account_id=params.one("account_id"),
                )
            ],
            fmt,
        )
        return self._ok(body, fmt, status=201)

    @staticmethod
    def _location(  # noqa: C901 - the three ways to give a location, each checked
        params: _Params, problems: list[FieldError]
    ) -> Location | None:
        lat, lon = params.one("lat"), params.one("long")
        address, address_id = params.one("address_string"), params.one("address_id")
        point = None
        if (lat is None) != (lon is None):
            problems.append(
                FieldError("lat" if lat is None else "long", "lat and long come together")
            )
        elif lat is not None and lon is not None:
            try:
                point = GeoPoint(float(lat), float(lon))
            except ValidationError as e:  # out of range (a ValueError too: catch it first)
                problems.extend(
                    FieldError("long" if err.path == "longitude" else "lat", err.message)
                    for err in e.errors
                )
            except ValueError:
                problems.append(FieldError("lat", "lat and long must be decimal degrees (WGS84)"))
        district = None
        if address_id is not None:
            try:
                village = RegionCode.parse(address_id)
            except ValidationError:
                village = None
            if village is not None and village.level == 4:
                district = village.parent
        if point is None and address is None and address_id is None:
            if not any(p.path in ("lat", "long") for p in problems):
                problems.append(
                    FieldError("location", "give lat and long, address_string or address_id")
                )
            return None
        try:
            return Location(point=point, address=address, address_id=address_id, district=district)
        except ValidationError as e:
            problems.extend(e.errors)
            return None

    @staticmethod
    def _contact(params: _Params, problems: list[FieldError]) -> Contact | None:
        phone = None
        phone_text = params.one("phone")
        if phone_text is not None:
            try:
                phone = PhoneNumber.parse(phone_text)
            except ValidationError as e:
                problems.extend(e.errors)
        try:
            return Contact(
                first_name=params.one("first_name"),
                last_name=params.one("last_name"),
                email=params.one("email"),
                phone=phone,
            )
        except ValidationError as e:
            problems.extend(e.errors)
            return None

    @staticmethod
    def _attributes(params: _Params) -> dict[str, str | list[str]]:
        answers: dict[str, str | list[str]] = {}
        for name in params.names():
            if not name.startswith("attribute[") or not name.endswith("]"):
                continue
            if name.endswith("[]"):
                answers[name[len("attribute[") : -3]] = params.many(name)
            else:
                value = params.one(name)
                if value is not None:
                    answers[name[len("attribute[") : -1]] = value
        return answers


def _whole(text: str) -> bool:
    """ASCII digits only ("²" is a digit to str.isdigit, but not to int)."""
    return text.isascii() and text.isdigit() and len(text) <= 9


def _notice(desk: ServiceDesk, request: ServiceRequest) -> str:
    zone = desk.city.time_zone
    day = (zone.localize(request.verify_due) - dt.timedelta(microseconds=1)).date()
    return (  # the date written out: strftime costs three times as much, on every report
        f"Laporan diterima; diverifikasi paling lambat {day.day:02d}-{day.month:02d}-{day.year} "
        f"({zone.value}). Received; to be verified by {day.isoformat()} ({zone.value})."
    )
