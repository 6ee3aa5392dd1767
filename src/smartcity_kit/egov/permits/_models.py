"""Permit applications, their documents and lifecycle, and issued permits: pure models."""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

import attrs

from smartcity_kit.core import Nib, Nik, Rupiah, find_personal_data, mask_name
from smartcity_kit.errors import ValidationError

__all__ = [
    "PERMIT_TRANSITIONS",
    "Applicant",
    "ApplicantKind",
    "ApplicationEvent",
    "Document",
    "PermitApplication",
    "PermitStatus",
    "Verification",
]

#: The largest document a reference may describe (bytes): 50 MiB.
MAX_DOCUMENT_BYTES: Final = 50 * 1024 * 1024
_SHA256: Final = re.compile(r"[0-9a-f]{64}")
_MEDIA_TYPE: Final = re.compile(
    r"[a-z0-9][a-z0-9!#$&^_.+\-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+\-]{0,62}"
)
_MAX_NAME: Final = 200


def _has_controls(value: str) -> bool:
    """Whether ``value`` holds a control character (Unicode category Cc, NUL included)."""
    return any(unicodedata.category(c) == "Cc" for c in value)


class ApplicantKind(enum.StrEnum):
    """Who applies: a person (by NIK) or a business (by NIB)."""

    PERSON = "person"
    """Perorangan: identified by the NIK."""
    BUSINESS = "business"
    """Badan usaha: identified by the NIB from OSS-RBA."""


def _kind(value: object) -> ApplicantKind:
    try:
        return ApplicantKind(str(value))
    except ValueError:
        raise ValidationError.single("applicant.kind", "must be person or business") from None


@attrs.frozen(repr=False)
class Applicant:
    """Who applies for a permit, and whom the permit is issued to.

    A person is identified by a NIK, a business by a NIB. The name is treated as personal data
    in both cases (a sole trader's business carries the owner's name): ``repr()`` masks it, and
    so do the public verification and the answers to callers who may not see it.

    >>> Applicant.person("Andi Nurhaliza", Nik.parse("7371105508950001"))
    Applicant(kind='person', name='A*** N***', id='737110******0001')
    >>> Applicant.business("CV Maju Jaya", Nib.parse("9120001234567")).identifier
    '9120001234567'

    Attributes:
        kind: Person or business.
        name: The full name (personal data).
        nik: A person's NIK (personal data); None for a business.
        nib: A business's NIB; None for a person.
    """

    kind: ApplicantKind = attrs.field(converter=_kind)
    name: str = attrs.field()
    nik: Nik | None = None
    nib: Nib | None = None

    @name.validator
    def _check_name(self, _attribute: object, value: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError.single("applicant.name", "must be non-empty text")
        if len(value) > _MAX_NAME:
            raise ValidationError.single(
                "applicant.name", f"must be at most {_MAX_NAME} characters"
            )
        if _has_controls(value):
            raise ValidationError.single("applicant.name", "must not hold control characters")
        if find_personal_data(value):
            raise ValidationError.single("applicant.name", "must be a name, not a number")

    def __attrs_post_init__(self) -> None:
        if self.kind is ApplicantKind.PERSON:
            if not isinstance(self.nik, Nik):
                raise ValidationError.single("applicant.nik", "a person is identified by a NIK")
            if self.nib is not None:
                raise ValidationError.single("applicant.nib", "a person has no NIB here")
        else:
            if not isinstance(self.nib, Nib):
                raise ValidationError.single("applicant.nib", "a business is identified by a NIB")
            if self.nik is not None:
                raise ValidationError.single("applicant.nik", "a business has no NIK here")

    @classmethod
    def person(cls, name: str, nik: Nik) -> Applicant:
        """A person applying in their own name."""
        return cls(ApplicantKind.PERSON, name, nik=nik)

    @classmethod
    def business(cls, name: str, nib: Nib) -> Applicant:
        """A business applying under its NIB."""
        return cls(ApplicantKind.BUSINESS, name, nib=nib)

    @property
    def masked_name(self) -> str:
        """The name with all but each word's first letter hidden (``A*** N***``)."""
        return mask_name(self.name)

    @property
    def identifier(self) -> str:
        """The NIK masked (``737110******0001``) or the NIB in full (not personal data)."""
        if self.nik is not None:
            return self.nik.masked()
        return str(self.nib)

    def __repr__(self) -> str:
        return (
            f"Applicant(kind={self.kind.value!r}, name={self.masked_name!r}, "
            f"id={self.identifier!r})"
        )


def _check_document_name(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError.single("name", "must be non-empty text")
    if _has_controls(value):
        raise ValidationError.single("name", "must not hold control characters")
    if len(value) > _MAX_NAME or any(c in value for c in "/\\") or value in (".", ".."):
        raise ValidationError.single(
            "name", f"must be a file name of at most {_MAX_NAME} characters, without a folder"
        )
    if kind := find_personal_data(value):
        raise ValidationError.single("name", f"must not hold personal data ({kind})")


def _check_item(_instance: object, _attribute: object, value: int) -> None:
    if type(value) is not int or value < 1:
        raise ValidationError.single("item", "must be a checklist item number, from 1")


def _check_sha256(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise ValidationError.single("sha256", "must be 64 lower-case hexadecimal digits")


def _check_size(_instance: object, _attribute: object, value: int) -> None:
    if type(value) is not int or not 1 <= value <= MAX_DOCUMENT_BYTES:
        raise ValidationError.single(
            "size", f"must be a whole number of bytes from 1 to {MAX_DOCUMENT_BYTES}"
        )


def _check_media_type(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not _MEDIA_TYPE.fullmatch(value):
        raise ValidationError.single(
            "media_type", "must be a media type such as application/pdf or image/jpeg"
        )


@attrs.frozen
class Document:
    """A reference to a document uploaded for one item of the checklist.

    The file itself lives wherever the city keeps uploads; the application holds its name, its
    SHA-256 digest (so the file shown later can be proved the same), size and media type.

    >>> Document(
    ...     item=1,
    ...     name="ktp.pdf",
    ...     sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ...     size=48213,
    ...     media_type="application/pdf",
    ... ).item
    1

    Attributes:
        item: The checklist item it answers, numbered from 1 as the checklist shows them.
        name: The file name (no folder, no personal numbers).
        sha256: The file's SHA-256 digest, 64 lower-case hex digits.
        size: Its size in bytes.
        media_type: Its media type (``application/pdf``, ``image/jpeg``).
    """

    item: int = attrs.field(validator=_check_item)
    name: str = attrs.field(validator=_check_document_name)
    sha256: str = attrs.field(validator=_check_sha256)
    size: int = attrs.field(validator=_check_size)
    media_type: str = attrs.field(validator=_check_media_type)


class PermitStatus(enum.StrEnum):
    """Where a permit application stands."""

    DRAFT = "draft"
    """Being filled in (draf): documents may be attached."""
    SUBMITTED = "submitted"
    """Submitted with a document for every checklist item (diajukan); the deadline runs."""
    REQUIREMENTS_INCOMPLETE = "requirements_incomplete"
    """Back with the applicant, with what is missing (berkas tidak lengkap); the deadline pauses."""
    VERIFIED = "verified"
    """The documents were checked and accepted (diverifikasi); the deadline pauses while a fee
    is due."""
    FEE_PAID = "fee_paid"
    """The fee (retribusi) is paid; only when the service charges one."""
    APPROVED = "approved"
    """Approved (disetujui), waiting to be issued."""
    REJECTED = "rejected"
    """Refused, with the reason (ditolak); also a draft withdrawn or an application abandoned."""
    ISSUED = "issued"
    """Issued (terbit): the permit has its number."""
    REVOKED = "revoked"
    """The issued permit was revoked, with the reason (dicabut)."""

    @property
    def closed(self) -> bool:
        """Whether the application is decided (its deadline no longer runs)."""
        return self in _DECIDED


_DECIDED: Final = frozenset(
    {PermitStatus.APPROVED, PermitStatus.REJECTED, PermitStatus.ISSUED, PermitStatus.REVOKED}
)

_S = PermitStatus
#: Which status may follow which. ``fee_paid`` is skipped when the service is free, and
#: ``approved`` needs the fee paid when one is due (checked by the office). A draft or an
#: application sent back may be ``rejected`` too: abandoned or withdrawn by the applicant.
PERMIT_TRANSITIONS: Final[Mapping[PermitStatus, frozenset[PermitStatus]]] = MappingProxyType(
    {
        _S.DRAFT: frozenset({_S.SUBMITTED, _S.REJECTED}),
        _S.SUBMITTED: frozenset({_S.REQUIREMENTS_INCOMPLETE, _S.VERIFIED}),
        _S.REQUIREMENTS_INCOMPLETE: frozenset({_S.SUBMITTED, _S.REJECTED}),
        _S.VERIFIED: frozenset({_S.FEE_PAID, _S.APPROVED, _S.REJECTED}),
        _S.FEE_PAID: frozenset({_S.APPROVED, _S.REJECTED}),
        _S.APPROVED: frozenset({_S.ISSUED}),
        _S.REJECTED: frozenset(),
        _S.ISSUED: frozenset({_S.REVOKED}),
        _S.REVOKED: frozenset(),
    }
)


def _documents(value: Iterable[Document]) -> tuple[Document, ...]:
    return tuple(value)


def _items(value: Iterable[int]) -> tuple[int, ...]:
    return tuple(value)


@attrs.define(repr=False)
class PermitApplication:
    """An application for a permit service of the city's catalogue, and the permit it becomes.

    The checklist, fee and working days are copied from the service standard when the
    application is made, so a later change of the standard does not move the goalposts of an
    application already running.

    Attributes:
        id: Its number in the city (given when stored).
        city: The city's slug.
        service_code: The service applied for.
        service_name: Its name when the application was made.
        agency: The office that handles it (the service's agency).
        applicant: Who applies (personal data: masked in ``repr()``).
        checklist: The requirements (persyaratan), numbered from 1 by their place.
        fee: The fee due (Rp0 for a free service).
        working_days: The service standard's time to complete.
        status: Where it stands.
        documents: The documents attached, in the order attached.
        missing: The checklist items the desk found missing or wrong when it sent the
            application back (empty otherwise).
        created_at: When it was made.
        updated_at: When it last changed.
        submitted_at: When it was first submitted complete; the deadline counts from here.
        paused_at: Since when the applicant must act (sent back, or verified with a fee
            due), while they must.
        paused_days: Working days it spent with the applicant, added to the deadline.
        due_at: The deadline: the end of the last working day; None before submission and
            while the deadline is paused.
        decided_at: When it was approved or rejected.
        payment_reference: The payment's reference (a bank or QRIS reference) once paid.
        paid_at: When the fee was paid.
        notes: The last transition's notes (the reason of a rejection or revocation).
        number: The permit number, once issued.
        issued_at: When the permit was issued.
        valid_from: The first day the permit is valid (the city's date of issue).
        valid_until: The last day it is valid; None when it does not expire.
        revoked_at: When it was revoked.
        version: Raised by one with every change (optimistic concurrency).
    """

    id: int
    city: str
    service_code: str
    service_name: str
    agency: str
    applicant: Applicant
    checklist: tuple[str, ...]
    fee: Rupiah
    working_days: int
    created_at: dt.datetime
    updated_at: dt.datetime
    status: PermitStatus = PermitStatus.DRAFT
    documents: tuple[Document, ...] = attrs.field(default=(), converter=_documents)
    missing: tuple[int, ...] = attrs.field(default=(), converter=_items)
    submitted_at: dt.datetime | None = None
    paused_at: dt.datetime | None = None
    paused_days: int = 0
    due_at: dt.datetime | None = None
    decided_at: dt.datetime | None = None
    payment_reference: str | None = None
    paid_at: dt.datetime | None = None
    notes: str = ""
    number: str | None = None
    issued_at: dt.datetime | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    revoked_at: dt.datetime | None = None
    version: int = 1

    @property
    def fee_due(self) -> bool:
        """Whether the service charges a fee."""
        return self.fee.amount > 0

    def unanswered(self) -> list[int]:
        """The checklist items (from 1) that have no document yet."""
        answered = {d.item for d in self.documents}
        return [n for n in range(1, len(self.checklist) + 1) if n not in answered]

    def overdue(self, now: dt.datetime) -> bool:
        """Whether the deadline has passed while the application is still open."""
        return self.due_at is not None and not self.status.closed and now > self.due_at

    def valid_on(self, day: dt.date) -> bool:
        """Whether the issued permit is valid on ``day`` (the city's date)."""
        if self.status is not PermitStatus.ISSUED or self.valid_from is None:
            return False
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def __repr__(self) -> str:
        return (
            f"PermitApplication(id={self.id}, city={self.city!r}, service={self.service_code!r}, "
            f"status={self.status.value!r}, applicant={self.applicant!r}, number={self.number!r})"
        )


@attrs.frozen
class ApplicationEvent:
    """One step in an application's history.

    Attributes:
        application_id: The application.
        at: When.
        actor: Who (a key, a clerk, ``applicant``).
        action: What: a status it moved to, or ``document.attached`` / ``document.removed``.
        notes: The notes given (a reason, the missing items, a payment reference).
    """

    application_id: int
    at: dt.datetime
    actor: str
    action: str
    notes: str


@attrs.frozen
class Verification:
    """What the public verification of a permit number answers; never unmasked personal data.

    Attributes:
        number: The number asked about.
        valid: Whether a permit with this number is valid today.
        reason: Why not, when not: ``unknown``, ``revoked``, ``expired`` or ``not_yet_valid``;
            None when valid.
        city: The city that issued it (None when unknown).
        holder: The holder's masked name (None when unknown).
        holder_kind: ``person`` or ``business`` (None when unknown).
        holder_id: The NIK masked or the NIB (None when unknown).
        service_code: The service (None when unknown).
        service_name: Its name (None when unknown).
        agency: The issuing office (None when unknown).
        issued_on: The day of issue in the city (None when unknown).
        valid_until: The last valid day; None when unknown or when it does not expire.
        revoked_on: The day it was revoked, if it was.
    """

    number: str
    valid: bool
    reason: str | None = None
    city: str | None = None
    holder: str | None = None
    holder_kind: str | None = None
    holder_id: str | None = None
    service_code: str | None = None
    service_name: str | None = None
    agency: str | None = None
    issued_on: dt.date | None = None
    valid_until: dt.date | None = None
    revoked_on: dt.date | None = None
