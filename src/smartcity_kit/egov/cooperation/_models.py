"""Cooperation agreements (kerja sama daerah): partners, agreements, approvals, activities.

Pure models: each checks its own invariants; the rules that need the database (the partner
exists, the agencies are the city's, the MoU a PKS implements is active) live in
:class:`~smartcity_kit.egov.cooperation.CooperationRegister`.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final, TypeVar

import attrs

from smartcity_kit.core import RegionCode, RegionLevel, find_personal_data
from smartcity_kit.errors import FieldError, ValidationError

__all__ = [
    "DEFAULT_REQUIRED_APPROVALS",
    "TRANSITIONS",
    "Activity",
    "ActivityKind",
    "Agreement",
    "AgreementKind",
    "AgreementStatus",
    "Approval",
    "ApprovalKind",
    "ApprovalPolicy",
    "CooperationField",
    "Decision",
    "Document",
    "Partner",
    "PartnerKind",
    "Renewal",
    "Term",
]

_E = TypeVar("_E", bound=enum.Enum)
_Validator = Callable[[Any, Any, Any], None]

_CODE: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_AGENCY: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
_SHA256: Final = re.compile(r"[0-9a-f]{64}")
#: The most text an outcome or a note may hold.
MAX_TEXT: Final = 4000
#: The most participants one activity may count (a typo guard).
MAX_PARTICIPANTS: Final = 100_000
_MAX_TERM_YEARS: Final = 50

# ISO 3166-1 alpha-2: the officially assigned codes (249).
_COUNTRIES: Final = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
    BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ
    EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW
    GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY
    KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV
    MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY
    QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG
    TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM
    ZW
    """.split()  # noqa: SIM905 - a table of codes reads better than 249 quoted strings
)


def choice(enum_type: type[_E], field: str, value: object) -> _E:
    """``value`` as a member of ``enum_type``, or a ValidationError naming ``field``."""
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum_type)
        raise ValidationError.single(field, f"must be one of: {allowed}") from None


def check_text(field: str, value: object, max_len: int, *, empty: bool = False) -> None:
    """Check register text: a string within ``max_len``, without personal numbers.

    Raises:
        ValidationError: Naming ``field``.
    """
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise ValidationError.single(field, "must be text" if empty else "must be non-empty text")
    if len(value) > max_len:
        raise ValidationError.single(field, f"must be at most {max_len} characters")
    if kind := find_personal_data(value):
        raise ValidationError.single(
            field, f"must not hold personal data ({kind}): the register is shared widely"
        )


def _text(field: str, max_len: int, *, optional: bool = False, empty: bool = False) -> _Validator:
    def check(_instance: object, _attribute: object, value: str | None) -> None:
        if value is None and optional:
            return
        check_text(field, value, max_len, empty=empty)

    return check


def _date(field: str, *, optional: bool = False) -> _Validator:
    def check(_instance: object, _attribute: object, value: dt.date | None) -> None:
        if value is None and optional:
            return
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise ValidationError.single(field, "must be a date (YYYY-MM-DD)")
        if not 1900 <= value.year <= 2999:
            raise ValidationError.single(field, "must lie in the years 1900 to 2999")

    return check


def _whole(field: str, low: int, high: int) -> _Validator:
    def check(_instance: object, _attribute: object, value: int) -> None:
        if type(value) is not int or not low <= value <= high:
            raise ValidationError.single(field, f"must be a whole number from {low} to {high}")

    return check


def _check_code(field: str) -> _Validator:
    def check(_instance: object, _attribute: object, value: str) -> None:
        if not isinstance(value, str) or not _CODE.fullmatch(value):
            raise ValidationError.single(
                field, "must be 1-63 lower-case letters, digits and dashes, e.g. 'gothenburg'"
            )
        if kind := find_personal_data(value):
            raise ValidationError.single(
                field, f"must not look like personal data ({kind}): codes are shown widely"
            )

    return check


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# --- enums -----------------------------------------------------------------------------------


class PartnerKind(enum.StrEnum):
    """Who the city cooperates with (the kinds of kerja sama daerah)."""

    INDONESIAN_REGION = "indonesian_region"
    """Another Indonesian province, regency or city (kerja sama antardaerah), by region code."""
    FOREIGN_CITY = "foreign_city"
    """A city or regional government abroad (a sister city, kota kembar)."""
    FOREIGN_GOVERNMENT = "foreign_government"
    """A foreign national government or one of its agencies (IE Singapore)."""
    FOREIGN_PRIVATE = "foreign_private"
    """A foreign company or other private party (ENGIE INEO): needs the central review."""
    DOMESTIC_PRIVATE = "domestic_private"
    """An Indonesian company, university or other third party (pihak ketiga)."""
    INTERNATIONAL_BODY = "international_body"
    """An international organisation (a UN agency, a development bank)."""

    @property
    def foreign(self) -> bool:
        """Whether the partner is abroad (every kind but the two Indonesian ones)."""
        return self not in (PartnerKind.INDONESIAN_REGION, PartnerKind.DOMESTIC_PRIVATE)


class AgreementKind(enum.StrEnum):
    """The three documents of a cooperation, from intent to implementation."""

    LOI = "loi"
    """Letter of intent: the wish to cooperate, binding no one."""
    MOU = "mou"
    """Memorandum of understanding (nota kesepakatan / kesepakatan bersama): the fields."""
    PKS = "pks"
    """Perjanjian kerja sama: the implementing agreement of an MoU (who does what, costs)."""

    @property
    def label(self) -> str:
        """How officials write it: ``LoI``, ``MoU``, ``PKS``."""
        return {"loi": "LoI", "mou": "MoU", "pks": "PKS"}[self.value]


class CooperationField(enum.StrEnum):
    """A field (bidang) of cooperation."""

    SMART_CITY = "smart_city"
    E_GOVERNMENT = "e_government"
    SMART_ECONOMY = "smart_economy"
    SMART_SECURITY = "smart_security"
    TECHNOLOGY = "technology"
    INFRASTRUCTURE = "infrastructure"
    HR_TRAINING = "hr_training"
    """Training of officials (pengembangan sumber daya manusia)."""
    CULTURE = "culture"
    TOURISM = "tourism"
    TRADE = "trade"


class Renewal(enum.StrEnum):
    """What happens at the end of the term."""

    NONE = "none"
    """It ends (expires); a new agreement is needed to go on."""
    AUTOMATIC = "automatic"
    """It renews itself for another term of the same length unless a party ends it."""
    BY_AMENDMENT = "by_amendment"
    """It may be extended by an amendment (addendum) signed before it ends."""


class AgreementStatus(enum.StrEnum):
    """Where an agreement stands (see :data:`TRANSITIONS`)."""

    DRAFT = "draft"
    """Being written (konsep)."""
    NEGOTIATING = "negotiating"
    """Being discussed with the partner (pembahasan)."""
    AWAITING_CENTRAL_REVIEW = "awaiting_central_review"
    """Sent to the central government for its review or approval."""
    ACTIVE = "active"
    """Signed and in force (berlaku)."""
    ON_HOLD = "on_hold"
    """Paused (di-hold / pending), e.g. until a review ends or after a rejection."""
    EXPIRED = "expired"
    """Its term ended (berakhir); final."""
    TERMINATED = "terminated"
    """Ended early, or abandoned before signing (diakhiri); final."""

    @property
    def final(self) -> bool:
        """Whether nothing can follow (expired or terminated)."""
        return self in (AgreementStatus.EXPIRED, AgreementStatus.TERMINATED)


_S = AgreementStatus
#: The allowed moves between statuses; expired and terminated are final.
TRANSITIONS: Final[Mapping[AgreementStatus, frozenset[AgreementStatus]]] = MappingProxyType(
    {
        _S.DRAFT: frozenset({_S.NEGOTIATING, _S.TERMINATED}),
        _S.NEGOTIATING: frozenset(
            {_S.AWAITING_CENTRAL_REVIEW, _S.ACTIVE, _S.ON_HOLD, _S.TERMINATED}
        ),
        _S.AWAITING_CENTRAL_REVIEW: frozenset(
            {_S.NEGOTIATING, _S.ACTIVE, _S.ON_HOLD, _S.TERMINATED}
        ),
        _S.ACTIVE: frozenset({_S.ON_HOLD, _S.EXPIRED, _S.TERMINATED}),
        _S.ON_HOLD: frozenset(
            {_S.NEGOTIATING, _S.AWAITING_CENTRAL_REVIEW, _S.ACTIVE, _S.EXPIRED, _S.TERMINATED}
        ),
        _S.EXPIRED: frozenset(),
        _S.TERMINATED: frozenset(),
    }
)


class ApprovalKind(enum.StrEnum):
    """An approval an agreement may need before it is signed into force."""

    DPRD = "dprd"
    """Persetujuan DPRD: the city council's approval."""
    KEMENDAGRI = "kemendagri"
    """Persetujuan Menteri Dalam Negeri: the Home Affairs minister's approval."""
    KEMENLU = "kemenlu"
    """Pertimbangan Kementerian Luar Negeri: the Foreign Affairs ministry's consideration."""
    CENTRAL_REVIEW = "central_review"
    """Kajian pemerintah pusat: the central government's review of cooperation with a foreign
    private party; always required for one."""


class Decision(enum.StrEnum):
    """An approval's outcome."""

    APPROVED = "approved"
    REJECTED = "rejected"


class ActivityKind(enum.StrEnum):
    """What was done under an agreement."""

    TRAINING = "training"
    """Training of officials (bimbingan teknis, pelatihan)."""
    STUDY_VISIT = "study_visit"
    """A study visit (studi banding, kunjungan kerja)."""
    APP_DEPLOYMENT = "app_deployment"
    """An application handed over and set up (replikasi aplikasi)."""
    OTHER = "other"


def _to_partner_kind(value: object) -> PartnerKind:
    return choice(PartnerKind, "kind", value)


def _to_agreement_kind(value: object) -> AgreementKind:
    return choice(AgreementKind, "kind", value)


def _to_status(value: object) -> AgreementStatus:
    return choice(AgreementStatus, "status", value)


def _to_renewal(value: object) -> Renewal:
    return choice(Renewal, "renewal", value)


def _to_approval_kind(value: object) -> ApprovalKind:
    return choice(ApprovalKind, "kind", value)


def _to_decision(value: object) -> Decision:
    return choice(Decision, "decision", value)


def _to_activity_kind(value: object) -> ActivityKind:
    return choice(ActivityKind, "kind", value)


def _to_country(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


# --- partners --------------------------------------------------------------------------------


@attrs.frozen
class Partner:
    """Someone the city cooperates with.

    >>> Partner(
    ...     city="makassar",
    ...     code="gothenburg",
    ...     kind="foreign_city",
    ...     name="Göteborgs Stad (Gothenburg)",
    ...     country="se",
    ... ).country
    'SE'

    Attributes:
        city: The slug of the city whose register holds it.
        code: A short id chosen by the city, unique in its register (``gothenburg``).
        kind: Another Indonesian region, a foreign city or government, a foreign or domestic
            private party, or an international body.
        name: The partner's name.
        country: ISO 3166-1 alpha-2: ``ID`` for an Indonesian partner (the default); a foreign
            kind must name another country.
        region_code: For an Indonesian region: its Kemendagri code (a province or a regency or
            city), which must exist in the packaged data; None for every other kind.
    """

    city: str = attrs.field(validator=_check_code("city"))
    code: str = attrs.field(validator=_check_code("code"))
    kind: PartnerKind = attrs.field(converter=_to_partner_kind)
    name: str = attrs.field(validator=_text("name", 200))
    country: str = attrs.field(default="ID", converter=_to_country)
    region_code: RegionCode | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.country, str) or self.country not in _COUNTRIES:
            raise ValidationError.single(
                "country", "must be an ISO 3166-1 alpha-2 country code, e.g. ID, SE, KR"
            )
        if self.kind.foreign and self.country == "ID":
            raise ValidationError.single(
                "country", f"a {self.kind.value} partner must be in another country than ID"
            )
        if not self.kind.foreign and self.country != "ID":
            raise ValidationError.single(
                "country", f"a {self.kind.value} partner is in Indonesia: ID"
            )
        if self.kind is PartnerKind.INDONESIAN_REGION:
            code = self.region_code
            if not isinstance(code, RegionCode):
                raise ValidationError.single(
                    "region_code", "an Indonesian region needs its Kemendagri code, e.g. 81.72"
                )
            if code.level > RegionLevel.REGENCY:
                raise ValidationError.single(
                    "region_code", "must be a province or a regency or city (PP or PP.KK)"
                )
            if not code.exists:
                raise ValidationError.single(
                    "region_code", f"{code.value} is not a region in the Kemendagri data"
                )
        elif self.region_code is not None:
            raise ValidationError.single(
                "region_code", "only an indonesian_region partner has a region code"
            )


# --- agreement parts -------------------------------------------------------------------------


@attrs.frozen
class Term:
    """When an agreement is in force: from ``start`` through ``end`` (both included).

    >>> Term.years(dt.date(2016, 9, 10), 5)
    Term(start=datetime.date(2016, 9, 10), end=datetime.date(2021, 9, 9))

    Attributes:
        start: The first day in force.
        end: The last day in force; None for an agreement without an end date (until ended).
    """

    start: dt.date = attrs.field(validator=_date("term.start"))
    end: dt.date | None = attrs.field(default=None, validator=_date("term.end", optional=True))

    def __attrs_post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValidationError.single("term.end", "must not be before term.start")

    @classmethod
    def years(cls, start: dt.date, years: int) -> Term:
        """A term of whole years from ``start`` (through the day before the anniversary).

        Raises:
            ValidationError: ``years`` is not a whole number from 1 to 50.
        """
        if type(years) is not int or not 1 <= years <= _MAX_TERM_YEARS:
            raise ValidationError.single(
                "term.years", f"must be a whole number from 1 to {_MAX_TERM_YEARS}"
            )
        _date("term.start")(None, None, start)
        return cls(start, add_years(start, years) - dt.timedelta(days=1))

    def renewed(self) -> Term:
        """The next term of the same length, starting the day after this one ends.

        The same as ``renewal(1)``; see :meth:`renewal`.

        Raises:
            ValidationError: The term has no end.
        """
        return self.renewal(1)

    def renewal(self, n: int) -> Term:
        """The ``n``-th term after this one (``renewal(0)`` is this term), counted from its start.

        A term of whole years renews by whole years from the original anniversary: the
        ``n``-th renewal of ``Term.years(start, y)`` is ``Term.years(start + n*y years, y)``
        with 29 February falling on 28 February in a common year and back on 29 February in
        a leap year (no drift). Any other term renews by the same number of days.

        >>> Term.years(dt.date(2024, 2, 29), 1).renewal(4)
        Term(start=datetime.date(2028, 2, 29), end=datetime.date(2029, 2, 27))

        Raises:
            ValidationError: The term has no end, or ``n`` is negative.
        """
        if self.end is None:
            raise ValidationError.single("term.end", "a term without an end does not renew")
        if type(n) is not int or n < 0:
            raise ValidationError.single("n", "must be a whole number from 0")
        years = self.whole_years
        if years is not None:
            start = add_years(self.start, n * years)
            return Term(start, add_years(self.start, (n + 1) * years) - dt.timedelta(days=1))
        length = (self.end - self.start).days + 1
        start = self.start + dt.timedelta(days=n * length)
        return Term(start, start + dt.timedelta(days=length - 1))

    @property
    def whole_years(self) -> int | None:
        """The number of whole years the term lasts, or None (no end, or not whole years)."""
        if self.end is None:
            return None
        after = self.end + dt.timedelta(days=1)
        for years in range(1, _MAX_TERM_YEARS + 1):
            if add_years(self.start, years) == after:
                return years
        return None

    def running_on(self, day: dt.date) -> Term:
        """The renewal of this term that runs on ``day`` (this term up to its end).

        Raises:
            ValidationError: The term has no end.
        """
        if self.end is None:
            raise ValidationError.single("term.end", "a term without an end does not renew")
        if day <= self.end:
            return self
        years = self.whole_years
        if years is None:
            length = (self.end - self.start).days + 1
            return self.renewal((day - self.start).days // length)
        n = max(0, (day.year - self.start.year) // years - 1)
        while (term := self.renewal(n)).end is not None and term.end < day:
            n += 1
        return term


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


@attrs.frozen
class Document:
    """A signed or draft document of an agreement, identified by its SHA-256.

    The register keeps the fingerprint, not the file: a copy shown later can be checked against
    it.

    >>> Document.of("MoU Makassar-Tual.pdf", b"%PDF-1.7 ...").sha256[:12]
    'cd98c5bce101'

    Attributes:
        name: The file name or title (``Naskah PKS Makassar-Baubau.pdf``).
        sha256: The SHA-256 of the file, 64 lower-case hex digits.
    """

    name: str = attrs.field(validator=_text("name", 200))
    sha256: str = attrs.field(converter=_lower)

    @sha256.validator
    def _check_sha(self, _attribute: object, value: str) -> None:
        if not isinstance(value, str) or not _SHA256.fullmatch(value):
            raise ValidationError.single("sha256", "must be 64 hex digits (a SHA-256)")

    @classmethod
    def of(cls, name: str, data: bytes) -> Document:
        """The document ``name`` with the fingerprint of its content."""
        return cls(name, hashlib.sha256(data).hexdigest())


@attrs.frozen
class Approval:
    """A recorded decision on an agreement: by the DPRD, a ministry or the central review.

    Attributes:
        kind: Which approval.
        decision: Approved or rejected.
        reference: The decision letter's number (nomor surat).
        decided_on: The decision's date.
        notes: Anything worth keeping (conditions, the reason for a rejection).
        withdrawn_on: The day a substantive revision of the agreement, before it was signed,
            made this decision stale (it was on another text); None while it stands. A
            withdrawn decision is kept for the record but no longer counts.
    """

    kind: ApprovalKind = attrs.field(converter=_to_approval_kind)
    decision: Decision = attrs.field(converter=_to_decision)
    reference: str = attrs.field(validator=_text("reference", 100))
    decided_on: dt.date = attrs.field(validator=_date("decided_on"))
    notes: str = attrs.field(default="", validator=_text("notes", MAX_TEXT, empty=True))
    withdrawn_on: dt.date | None = attrs.field(
        default=None, validator=_date("withdrawn_on", optional=True)
    )

    @property
    def standing(self) -> bool:
        """Whether it still counts (not withdrawn by a later revision)."""
        return self.withdrawn_on is None


def _fields(value: object) -> tuple[CooperationField, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError.single("fields", "must be a list of fields of cooperation")
    found: list[CooperationField] = []
    problems: list[FieldError] = []
    allowed = ", ".join(CooperationField)
    for i, item in enumerate(value):
        try:
            found.append(CooperationField(item))
        except ValueError:
            problems.append(FieldError(f"fields[{i}]", f"must be one of: {allowed}"))
    if problems:
        raise ValidationError(problems)
    return tuple(found)


def _check_fields(
    _instance: object, _attribute: object, value: tuple[CooperationField, ...]
) -> None:
    if not value:
        raise ValidationError.single("fields", "must name at least one field of cooperation")
    if len(set(value)) != len(value):
        raise ValidationError.single("fields", "must not repeat a field")


def _agencies(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError.single("agencies", "must be a list of agency codes")
    return tuple(value)


def _check_agencies(_instance: object, _attribute: object, value: tuple[str, ...]) -> None:
    if not value:
        raise ValidationError.single("agencies", "must name at least one responsible agency")
    for i, code in enumerate(value):
        if not isinstance(code, str) or not _AGENCY.fullmatch(code):
            raise ValidationError.single(f"agencies[{i}]", "must be an agency code, e.g. dpu")
    if len(set(value)) != len(value):
        raise ValidationError.single("agencies", "must not repeat an agency")


def _documents(value: Iterable[Document]) -> tuple[Document, ...]:
    return tuple(value)


def _check_documents(_instance: object, _attribute: object, value: tuple[Document, ...]) -> None:
    for i, document in enumerate(value):
        if not isinstance(document, Document):
            raise ValidationError.single(f"documents[{i}]", "must be a Document")
    names = [d.name for d in value]
    if len(set(names)) != len(names):
        raise ValidationError.single("documents", "must not repeat a document name")


def _approvals(value: Iterable[Approval]) -> tuple[Approval, ...]:
    return tuple(value)


def _check_id(field: str) -> _Validator:
    def check(_instance: object, _attribute: object, value: int | None) -> None:
        if value is None:
            return
        if type(value) is not int or value < 0:
            raise ValidationError.single(field, "must be a whole number")

    return check


def _instant(field: str, *, optional: bool = False) -> _Validator:
    def check(_instance: object, _attribute: object, value: dt.datetime | None) -> None:
        if value is None and optional:
            return
        if not isinstance(value, dt.datetime) or value.utcoffset() is None:
            raise ValidationError.single(field, "must be a datetime with a time zone")

    return check


_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@attrs.frozen
class Agreement:
    """A cooperation agreement (LoI, MoU or PKS) in a city's register.

    >>> mou = Agreement(
    ...     city="makassar",
    ...     partner="tual",
    ...     kind="mou",
    ...     title="Kesepakatan bersama penerapan smart city",
    ...     fields=["smart_city", "e_government"],
    ...     agencies=["diskominfo"],
    ... )
    >>> mou.status, mou.in_force_on(dt.date(2026, 1, 1))
    (<AgreementStatus.DRAFT: 'draft'>, False)

    Attributes:
        city: The city slug.
        partner: The partner's code in the city's register.
        kind: LoI, MoU or PKS.
        title: What it is about (perihal).
        fields: The fields of cooperation, at least one.
        agencies: The codes of the city's agencies (OPD) responsible, at least one.
        implements: For a PKS: the id of the MoU it implements (same partner); None otherwise.
        number: The document number (nomor naskah), once it has one.
        signed_on: The signing date, once signed.
        signing_event: Where it was signed (``Festival F8, Pantai Losari``).
        term: When it is in force as signed (or amended); needed to sign. It is kept as is
            when the agreement renews itself: the running term is computed from it
            (:meth:`end_on`, :meth:`Term.renewal`), so renewals never drift.
        renewal: What happens at the term's end.
        documents: Its documents, by name and SHA-256.
        approvals: The decisions recorded on it, in recording order (of each kind, the
            standing one decided last counts; see :meth:`approval`).
        status: Where it stands.
        status_notes: Why it stands there (the reason for a hold, for instance).
        id: Given when stored (0 before).
        created_at: When it was entered.
        updated_at: When it last changed.
        version: Raised by every change (optimistic concurrency).
    """

    city: str = attrs.field(validator=_check_code("city"))
    partner: str = attrs.field(validator=_check_code("partner"))
    kind: AgreementKind = attrs.field(converter=_to_agreement_kind)
    title: str = attrs.field(validator=_text("title", 300))
    fields: tuple[CooperationField, ...] = attrs.field(converter=_fields, validator=_check_fields)
    agencies: tuple[str, ...] = attrs.field(converter=_agencies, validator=_check_agencies)
    implements: int | None = attrs.field(default=None, validator=_check_id("implements"))
    number: str | None = attrs.field(default=None, validator=_text("number", 100, optional=True))
    signed_on: dt.date | None = attrs.field(
        default=None, validator=_date("signed_on", optional=True)
    )
    signing_event: str | None = attrs.field(
        default=None, validator=_text("signing_event", 200, optional=True)
    )
    term: Term | None = None
    renewal: Renewal = attrs.field(default=Renewal.NONE, converter=_to_renewal)
    documents: tuple[Document, ...] = attrs.field(
        default=(), converter=_documents, validator=_check_documents
    )
    approvals: tuple[Approval, ...] = attrs.field(default=(), converter=_approvals)
    status: AgreementStatus = attrs.field(default=AgreementStatus.DRAFT, converter=_to_status)
    status_notes: str = attrs.field(default="", validator=_text("notes", MAX_TEXT, empty=True))
    id: int = attrs.field(default=0, validator=_check_id("id"))
    created_at: dt.datetime = attrs.field(default=_EPOCH, validator=_instant("created_at"))
    updated_at: dt.datetime = attrs.field(default=_EPOCH, validator=_instant("updated_at"))
    version: int = 1

    def __attrs_post_init__(self) -> None:
        if self.kind is AgreementKind.PKS and self.implements is None:
            raise ValidationError.single("implements", "a PKS must name the MoU it implements")
        if self.kind is not AgreementKind.PKS and self.implements is not None:
            raise ValidationError.single("implements", "only a PKS implements an MoU")
        if self.term is not None and not isinstance(self.term, Term):
            raise ValidationError.single("term", "must be a Term")
        if self.renewal is Renewal.AUTOMATIC and (self.term is None or self.term.end is None):
            raise ValidationError.single("renewal", "automatic renewal needs a term with an end")
        if self.signing_event is not None and self.signed_on is None:
            raise ValidationError.single("signed_on", "a signing event needs the signing date")
        for i, approval in enumerate(self.approvals):
            if not isinstance(approval, Approval):
                raise ValidationError.single(f"approvals[{i}]", "must be an Approval")

    def approval(self, kind: ApprovalKind) -> Approval | None:
        """The decision of ``kind`` that counts, or None.

        The standing (not withdrawn) decision of that kind decided last; of two decided on
        the same day, the one recorded last. A letter recorded late but dated before a
        later decision does not override it.
        """
        found = [(a.decided_on, i, a) for i, a in enumerate(self.approvals) if a.kind is kind]
        found = [f for f in found if f[2].standing]
        return max(found, key=lambda f: (f[0], f[1]))[2] if found else None

    def end_on(self, day: dt.date) -> dt.date | None:
        """The last day of the term running on ``day`` (automatic renewals counted), or None.

        None for an agreement without a term or whose term has no end.
        """
        term = self.term
        if term is None or term.end is None:
            return None
        if self.renewal is Renewal.AUTOMATIC:
            return term.running_on(day).end
        return term.end

    def status_on(self, day: dt.date) -> AgreementStatus:
        """The status as of ``day``: a running agreement whose term ended is expired.

        The register stores the expiry when asked (:meth:`CooperationRegister.apply_terms`);
        reads use this, so that a list is right even before that runs.
        """
        ends = self.end_on(day)
        if self.running and ends is not None and ends < day:
            return AgreementStatus.EXPIRED
        return self.status

    @property
    def running(self) -> bool:
        """Whether its term runs: active, or on hold after it was signed."""
        return self.status is AgreementStatus.ACTIVE or (
            self.status is AgreementStatus.ON_HOLD and self.signed_on is not None
        )

    def in_force_on(self, day: dt.date) -> bool:
        """Whether it is active on ``day`` (signed, within its term, not held or ended)."""
        if self.status_on(day) is not AgreementStatus.ACTIVE or self.term is None:
            return False
        return self.term.start <= day


@attrs.frozen
class Activity:
    """Something done under an agreement: a training, a study visit, an app deployment.

    Attributes:
        agreement_id: The agreement it was done under.
        kind: Training, study visit, app deployment or other.
        title: What it was (``Bimtek aplikasi perizinan untuk ASN Baubau``).
        starts: Its first day.
        ends: Its last day (the first, for a one-day activity).
        participants: How many took part.
        outcome: What came of it (may be empty for one still planned).
        id: Given when stored (0 before).
        recorded_by: Who recorded it (an account, never a person's name).
    """

    agreement_id: int = attrs.field(validator=_check_id("agreement_id"))
    kind: ActivityKind = attrs.field(converter=_to_activity_kind)
    title: str = attrs.field(validator=_text("title", 200))
    starts: dt.date = attrs.field(validator=_date("starts"))
    ends: dt.date = attrs.field(validator=_date("ends"))
    participants: int = attrs.field(
        default=0, validator=_whole("participants", 0, MAX_PARTICIPANTS)
    )
    outcome: str = attrs.field(default="", validator=_text("outcome", MAX_TEXT, empty=True))
    id: int = attrs.field(default=0, validator=_check_id("id"))
    recorded_by: str = ""

    def __attrs_post_init__(self) -> None:
        if self.ends < self.starts:
            raise ValidationError.single("ends", "must not be before starts")


# --- approvals policy ------------------------------------------------------------------------

_A = ApprovalKind
_K = PartnerKind
#: The approvals an agreement needs before it is signed into force, by partner kind (our
#: reading of PP 28/2018 and Permendagri 25/2020; give a city's own to
#: :class:`ApprovalPolicy`). Domestic cooperation needs none here.
DEFAULT_REQUIRED_APPROVALS: Final[Mapping[PartnerKind, frozenset[ApprovalKind]]] = MappingProxyType(
    {
        _K.INDONESIAN_REGION: frozenset(),
        _K.DOMESTIC_PRIVATE: frozenset(),
        _K.FOREIGN_CITY: frozenset({_A.DPRD, _A.KEMENDAGRI}),
        _K.FOREIGN_GOVERNMENT: frozenset({_A.DPRD, _A.KEMENDAGRI}),
        _K.INTERNATIONAL_BODY: frozenset({_A.DPRD, _A.KEMENDAGRI}),
        _K.FOREIGN_PRIVATE: frozenset({_A.CENTRAL_REVIEW, _A.DPRD}),
    }
)


def _required(value: Mapping[Any, Iterable[Any]]) -> Mapping[PartnerKind, frozenset[ApprovalKind]]:
    if not isinstance(value, Mapping):
        raise ValidationError.single("required", "must map partner kinds to approval kinds")
    found: dict[PartnerKind, frozenset[ApprovalKind]] = dict(DEFAULT_REQUIRED_APPROVALS)
    for kind, approvals in value.items():
        found[choice(PartnerKind, "required", kind)] = frozenset(
            choice(ApprovalKind, f"required.{kind}", a) for a in approvals
        )
    return MappingProxyType(found)


def _agreement_kinds(value: Iterable[Any]) -> frozenset[AgreementKind]:
    return frozenset(choice(AgreementKind, "applies_to", v) for v in value)


@attrs.frozen
class ApprovalPolicy:
    """Which approvals an agreement needs before it becomes active.

    The central government's review of cooperation with a foreign private party is always
    required, for every kind of agreement; no policy can drop it. The other approvals are
    required for the partner kinds in ``required`` (the kinds left out keep
    :data:`DEFAULT_REQUIRED_APPROVALS`), for the agreement kinds in ``applies_to``.

    >>> policy = ApprovalPolicy(required={"foreign_city": ["dprd", "kemendagri", "kemenlu"]})
    >>> sorted(k.value for k in policy.required_for(PartnerKind.FOREIGN_CITY, AgreementKind.MOU))
    ['dprd', 'kemendagri', 'kemenlu']
    >>> sorted(k.value for k in policy.required_for(PartnerKind.FOREIGN_PRIVATE, AgreementKind.LOI))
    ['central_review']

    Attributes:
        required: Approvals by partner kind.
        applies_to: The agreement kinds they apply to: MoU and PKS by default (a letter of
            intent binds no one).
    """

    required: Mapping[PartnerKind, frozenset[ApprovalKind]] = attrs.field(
        factory=lambda: DEFAULT_REQUIRED_APPROVALS, converter=_required
    )
    applies_to: frozenset[AgreementKind] = attrs.field(
        factory=lambda: frozenset({AgreementKind.MOU, AgreementKind.PKS}),
        converter=_agreement_kinds,
    )

    def required_for(
        self, partner: PartnerKind, agreement: AgreementKind
    ) -> frozenset[ApprovalKind]:
        """The approvals an agreement of ``agreement`` kind with a ``partner`` needs."""
        found = self.required[partner] if agreement in self.applies_to else frozenset()
        if partner is PartnerKind.FOREIGN_PRIVATE:
            found |= {ApprovalKind.CENTRAL_REVIEW}
        return frozenset(found)
