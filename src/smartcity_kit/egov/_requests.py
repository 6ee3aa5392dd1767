"""Service requests: classification, a lifecycle richer than open/closed, locations, contacts."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

from smartcity_kit.core import GeoPoint, PhoneNumber, RegionCode, mask_name
from smartcity_kit.errors import ValidationError

__all__ = [
    "TRANSITIONS",
    "Classification",
    "Contact",
    "Location",
    "RequestEvent",
    "ServiceRequest",
    "Status",
]

MAX_DESCRIPTION: Final = 4000
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class Classification(enum.StrEnum):
    """The kind of report, as SP4N-LAPOR! classifies it."""

    ASPIRASI = "aspirasi"
    """A suggestion (aspirasi)."""
    PENGADUAN = "pengaduan"
    """A complaint about a public service (pengaduan)."""
    PERMINTAAN_INFORMASI = "permintaan_informasi"
    """A request for information (permintaan informasi)."""


class Status(enum.StrEnum):
    """Where a request stands. Open311 sees only ``open`` or ``closed`` (:attr:`open311`)."""

    RECEIVED = "received"
    """Received, waiting to be verified (diterima)."""
    VERIFIED = "verified"
    """Checked and accepted by the desk (diverifikasi)."""
    REFERRED = "referred"
    """Sent on to the agency responsible (didisposisikan); "no wrong door"."""
    IN_PROGRESS = "in_progress"
    """Being worked on (ditindaklanjuti)."""
    RESOLVED = "resolved"
    """Done (selesai)."""
    REJECTED = "rejected"
    """Refused, with a reason (ditolak)."""
    DUPLICATE = "duplicate"
    """The same as another request."""
    REOPENED = "reopened"
    """Opened again after it was closed (dibuka kembali)."""

    @property
    def open311(self) -> str:
        """``closed`` for resolved, rejected and duplicate requests, ``open`` otherwise."""
        return "closed" if self in _CLOSED else "open"

    @property
    def closed(self) -> bool:
        """Whether the request is closed."""
        return self in _CLOSED


_CLOSED: Final = frozenset({Status.RESOLVED, Status.REJECTED, Status.DUPLICATE})

#: Which status may follow which. A closed request only reopens; nothing resolves a rejected one.
TRANSITIONS: Final[Mapping[Status, frozenset[Status]]] = MappingProxyType(
    {
        Status.RECEIVED: frozenset(
            {Status.VERIFIED, Status.REFERRED, Status.REJECTED, Status.DUPLICATE}
        ),
        Status.VERIFIED: frozenset(
            {
                Status.REFERRED,
                Status.IN_PROGRESS,
                Status.RESOLVED,
                Status.REJECTED,
                Status.DUPLICATE,
            }
        ),
        Status.REFERRED: frozenset(
            {Status.REFERRED, Status.IN_PROGRESS, Status.RESOLVED, Status.REJECTED}
        ),
        Status.IN_PROGRESS: frozenset({Status.REFERRED, Status.RESOLVED}),
        Status.RESOLVED: frozenset({Status.REOPENED}),
        Status.REJECTED: frozenset({Status.REOPENED}),
        Status.DUPLICATE: frozenset({Status.REOPENED}),
        Status.REOPENED: frozenset(
            {Status.VERIFIED, Status.REFERRED, Status.IN_PROGRESS, Status.RESOLVED, Status.REJECTED}
        ),
    }
)


@attrs.frozen(repr=False)
class Contact:
    """Who made a request, when they chose to say. Personal data: masked in ``repr()``.

    Attributes:
        first_name: Given name.
        last_name: Family name.
        email: E-mail address.
        phone: Phone number.
    """

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: PhoneNumber | None = None

    def __attrs_post_init__(self) -> None:
        for field in ("first_name", "last_name"):
            value = getattr(self, field)
            if value is not None and (not isinstance(value, str) or len(value) > 100):
                raise ValidationError.single(field, "must be text of at most 100 characters")
        if self.email is not None and (
            not isinstance(self.email, str)
            or not _EMAIL.fullmatch(self.email)
            or len(self.email) > 254
        ):
            raise ValidationError.single("email", "must be an e-mail address")

    @property
    def empty(self) -> bool:
        """Whether nothing is known."""
        return not any((self.first_name, self.last_name, self.email, self.phone))

    def masked(self) -> dict[str, str]:
        """The contact with every part masked, for screens and logs."""
        out: dict[str, str] = {}
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        if name:
            out["name"] = mask_name(name)
        if self.email:
            user, _, domain = self.email.partition("@")
            out["email"] = f"{user[:1]}***@{domain}"
        if self.phone:
            out["phone"] = self.phone.masked()
        return out

    def __repr__(self) -> str:
        return f"Contact({self.masked()!r})"


@attrs.frozen
class Location:
    """Where the problem is: a point, an address, an address id, or several of them.

    Attributes:
        point: WGS84 coordinates.
        address: The address as the citizen wrote it (Open311 ``address_string``).
        address_id: An id from the city's address register (Open311 ``address_id``).
        district: The kecamatan, when known (for metrics by kecamatan).
    """

    point: GeoPoint | None = None
    address: str | None = None
    address_id: str | None = None
    district: RegionCode | None = None

    def __attrs_post_init__(self) -> None:
        if self.point is None and not self.address and not self.address_id:
            raise ValidationError.single(
                "location", "give lat and long, address_string or address_id"
            )
        if self.address is not None and len(self.address) > 500:
            raise ValidationError.single("address_string", "must be at most 500 characters")
        if self.address_id is not None and len(self.address_id) > 100:
            raise ValidationError.single("address_id", "must be at most 100 characters")
        if self.district is not None and self.district.level != 3:
            raise ValidationError.single("district", "must be a kecamatan code (PP.KK.CC)")


@attrs.frozen
class RequestEvent:
    """One step in a request's history.

    Attributes:
        request_id: The request.
        at: When (UTC).
        actor: Who (an account id).
        status: The status after the step.
        notes: What was said (Open311 ``status_notes``); a reason for a rejection.
        agency: The agency responsible after the step.
    """

    request_id: int
    at: dt.datetime
    actor: str
    status: Status
    notes: str
    agency: str


@attrs.define
class ServiceRequest:
    """A service request or complaint, as the desk keeps it.

    The deadlines are instants in UTC, counted in working days in the city's time zone:
    verification within 3 working days of receipt, an answer within 5 working days of each
    referral, completion within the service standard's time from receipt.

    Attributes:
        id: The ``service_request_id``.
        city: The city's slug.
        service_code: The service asked for.
        classification: Aspirasi, pengaduan or permintaan informasi.
        status: Where it stands.
        agency: The agency responsible now.
        description: What the citizen wrote.
        location: Where.
        media_url: A photo or video link.
        attributes: Answers to the service's questions, typed.
        contact: Who (personal data).
        requested_at: When it was received.
        updated_at: When it last changed.
        verify_due: When verification is due.
        answer_due: When the agency's answer is due (after a referral), else None.
        complete_due: When completion is due under the service standard.
        closed_at: When it was last closed, else None.
        duplicate_of: The request this one duplicates.
        status_notes: The latest notes.
        version: Raised on every change (optimistic concurrency).
    """

    id: int
    city: str
    service_code: str
    classification: Classification
    status: Status
    agency: str
    description: str
    location: Location
    media_url: str | None
    attributes: Mapping[str, Any]
    contact: Contact
    requested_at: dt.datetime
    updated_at: dt.datetime
    verify_due: dt.datetime
    answer_due: dt.datetime | None
    complete_due: dt.datetime
    closed_at: dt.datetime | None = None
    duplicate_of: int | None = None
    status_notes: str = ""
    version: int = 1

    @property
    def expected_at(self) -> dt.datetime | None:
        """Completion due under the standard (Open311 ``expected_datetime``); None once closed."""
        return None if self.status.closed else self.complete_due

    def due_now(self) -> dt.datetime | None:
        """The deadline of the step the request waits for; None when closed."""
        if self.status.closed:
            return None
        if self.status in (Status.RECEIVED, Status.REOPENED):
            return self.verify_due
        if self.status is Status.REFERRED and self.answer_due is not None:
            return self.answer_due
        return self.complete_due

    def overdue(self, now: dt.datetime) -> bool:
        """Whether the step it waits for is late at ``now``."""
        due = self.due_now()
        return due is not None and now >= due
