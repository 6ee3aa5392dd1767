"""The service catalogue: agencies (OPD), services, standards, and typed attributes.

A service carries its Open311 fields and its published service standard (Standar Pelayanan).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from smartcity_kit.core import Rupiah
from smartcity_kit.errors import FieldError, ValidationError

__all__ = [
    "Agency",
    "AttributeValue",
    "Datatype",
    "Service",
    "ServiceAttribute",
    "ServiceStandard",
    "ServiceType",
]

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _code(field: str) -> Any:
    def check(_instance: object, _attribute: object, value: str) -> None:
        if not isinstance(value, str) or not _CODE.fullmatch(value):
            raise ValidationError.single(
                field,
                "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            )

    return check


def _text(field: str, max_len: int, *, required: bool = True) -> Any:
    def check(_instance: object, _attribute: object, value: str) -> None:
        if not isinstance(value, str) or (required and not value.strip()):
            raise ValidationError.single(field, "must be non-empty text")
        if len(value) > max_len:
            raise ValidationError.single(field, f"must be at most {max_len} characters")

    return check


def _texts(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _values(value: Iterable[AttributeValue]) -> tuple[AttributeValue, ...]:
    return tuple(value)


def _attributes(value: Iterable[ServiceAttribute]) -> tuple[ServiceAttribute, ...]:
    return tuple(value)


@attrs.frozen
class Agency:
    """A city agency (OPD, organisasi perangkat daerah) that answers requests.

    >>> Agency(city="makassar", code="dpu", name="Dinas Pekerjaan Umum")
    Agency(city='makassar', code='dpu', name='Dinas Pekerjaan Umum')

    Attributes:
        city: The city's slug (:attr:`smartcity_kit.core.CityProfile.slug`).
        code: A short code, unique in the city (``dpu``, ``dlh``, ``diskominfo``).
        name: The official name (``Dinas Pekerjaan Umum``).
    """

    city: str = attrs.field(validator=_code("city"))
    code: str = attrs.field(validator=_code("code"))
    name: str = attrs.field(validator=_text("name", 200))


class Datatype(enum.StrEnum):
    """The six Open311 attribute datatypes."""

    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    TEXT = "text"
    SINGLEVALUELIST = "singlevaluelist"
    MULTIVALUELIST = "multivaluelist"


class ServiceType(enum.StrEnum):
    """How a service's requests are handled (Open311 ``type``)."""

    REALTIME = "realtime"
    BATCH = "batch"
    BLACKBOX = "blackbox"


@attrs.frozen
class AttributeValue:
    """One choice of a list attribute.

    Attributes:
        key: What is stored and sent (``key`` in Open311).
        name: What people read.
    """

    key: str = attrs.field(validator=_text("key", 100))
    name: str = attrs.field(validator=_text("name", 200))


_MAX_STRING: Final = 255
_MAX_TEXT: Final = 4000


@attrs.frozen
class ServiceAttribute:
    """A question a service asks when a request is made (an Open311 attribute).

    Attributes:
        code: Its code, unique within the service.
        datatype: One of the six Open311 datatypes.
        description: The question, as shown to the citizen.
        order: Its place in the form (positive, unique within the service).
        required: Whether a request must answer it.
        variable: False for an informational attribute that takes no answer.
        datatype_description: A hint about the expected answer.
        values: The choices, for list datatypes.
    """

    code: str = attrs.field(validator=_code("code"))
    datatype: Datatype = attrs.field(converter=Datatype)
    description: str = attrs.field(validator=_text("description", 500))
    order: int = attrs.field()
    required: bool = False
    variable: bool = True
    datatype_description: str = ""
    values: tuple[AttributeValue, ...] = attrs.field(default=(), converter=_values)

    @order.validator
    def _check_order(self, _attribute: object, value: int) -> None:
        if type(value) is not int or value < 1:
            raise ValidationError.single("order", "must be a positive whole number")

    def __attrs_post_init__(self) -> None:
        is_list = self.datatype in (Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST)
        if is_list and not self.values:
            raise ValidationError.single("values", f"a {self.datatype} attribute needs values")
        if not is_list and self.values:
            raise ValidationError.single("values", f"a {self.datatype} attribute takes no values")
        keys = [v.key for v in self.values]
        if len(set(keys)) != len(keys):
            raise ValidationError.single("values", "keys must be unique")

    def parse(self, raw: str | Sequence[str]) -> Any:  # noqa: C901 - one branch per datatype
        """Check one answer as submitted (text, or a list of texts for a multi-value list).

        Returns the typed value: ``str``, ``int`` or a decimal string for numbers, an aware
        ``datetime``, or a tuple of keys.

        Raises:
            ValidationError: The answer does not fit; the path is ``attribute[CODE]``.
        """
        path = f"attribute[{self.code}]"
        if self.datatype is Datatype.MULTIVALUELIST:
            items = [raw] if isinstance(raw, str) else list(raw)
            allowed = {v.key for v in self.values}
            unknown = [item for item in items if item not in allowed]
            if unknown or not items:
                raise ValidationError.single(path, f"must be among {', '.join(sorted(allowed))}")
            return tuple(dict.fromkeys(items))
        if not isinstance(raw, str):
            raise ValidationError.single(path, "takes a single value")
        value = raw.strip()
        if self.datatype is Datatype.SINGLEVALUELIST:
            allowed = {v.key for v in self.values}
            if value not in allowed:
                raise ValidationError.single(path, f"must be one of {', '.join(sorted(allowed))}")
            return value
        if self.datatype is Datatype.NUMBER:
            if not _NUMBER.fullmatch(value):
                raise ValidationError.single(path, "must be a number like 12 or 3.5")
            return int(value) if "." not in value else value
        if self.datatype is Datatype.DATETIME:
            try:
                parsed = dt.datetime.fromisoformat(value)
            except ValueError:
                parsed = None
            if parsed is None or parsed.tzinfo is None:
                raise ValidationError.single(
                    path,
                    "must be an ISO 8601 date-time with an offset, e.g. 2026-11-23T09:00+08:00",
                )
            return parsed
        limit = _MAX_TEXT if self.datatype is Datatype.TEXT else _MAX_STRING
        if len(value) > limit:
            raise ValidationError.single(path, f"must be at most {limit} characters")
        if _looks_like_html(value):
            raise ValidationError.single(path, "must be plain text, not HTML")
        return value


_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|&[a-zA-Z]+;|&#[0-9]+;")


def _looks_like_html(text: str) -> bool:
    return bool(_HTML.search(text))


@attrs.frozen
class ServiceStandard:
    """The published service standard (Standar Pelayanan) of a public service.

    Attributes:
        working_days: Time to complete (jangka waktu pelayanan), in working days.
        fee: Fee (biaya/tarif); Rp0 when free.
        requirements: What the citizen must bring (persyaratan).
        procedure: The steps (sistem, mekanisme dan prosedur).
        output: What the citizen gets (produk pelayanan).
        complaint_channel: Where to complain (penanganan pengaduan, saran dan masukan).
        legal_basis: The regulations it rests on (dasar hukum).
    """

    working_days: int = attrs.field()
    fee: Rupiah = attrs.field(factory=Rupiah.zero)
    requirements: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    procedure: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    output: str = ""
    complaint_channel: str = ""
    legal_basis: tuple[str, ...] = attrs.field(default=(), converter=_texts)

    @working_days.validator
    def _check_days(self, _attribute: object, value: int) -> None:
        if type(value) is not int or not 1 <= value <= 365:
            raise ValidationError.single("working_days", "must be a whole number from 1 to 365")

    @fee.validator
    def _check_fee(self, _attribute: object, value: Rupiah) -> None:
        if not isinstance(value, Rupiah) or value.amount < 0:
            raise ValidationError.single("fee", "must be a Rupiah amount of at least Rp0")


@attrs.frozen
class Service:
    """A public service in a city's catalogue, with its Open311 fields and its standard.

    >>> s = Service(
    ...     city="makassar",
    ...     code="001",
    ...     name="Jalan rusak",
    ...     description="Laporan jalan berlubang atau rusak",
    ...     group="Infrastruktur",
    ...     keywords=("jalan", "lubang"),
    ...     agency="dpu",
    ...     standard=ServiceStandard(working_days=10),
    ... )
    >>> s.metadata, s.code
    (False, '001')

    Attributes:
        city: The city's slug.
        code: The Open311 ``service_code``: a string, leading zeros kept.
        name: The Open311 ``service_name``.
        description: What the service is for.
        group: The Open311 ``group``.
        keywords: The Open311 ``keywords``.
        type: realtime, batch or blackbox.
        agency: The code of the agency responsible.
        standard: The published service standard.
        attributes: The questions asked on a request; a service with any has ``metadata``.
        open311: Whether citizens file requests for it (Open311 lists it and takes them). A
            service applied for at a desk of its own, such as a permit
            (:mod:`smartcity_kit.egov.permits`), is in the catalogue with its standard but
            not open for requests.
    """

    city: str = attrs.field(validator=_code("city"))
    code: str = attrs.field(validator=_code("service_code"))
    name: str = attrs.field(validator=_text("service_name", 200))
    description: str = attrs.field(validator=_text("description", 2000, required=False))
    group: str = attrs.field(validator=_text("group", 200, required=False))
    agency: str = attrs.field(validator=_code("agency"))
    standard: ServiceStandard
    keywords: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    type: ServiceType = attrs.field(default=ServiceType.REALTIME, converter=ServiceType)
    attributes: tuple[ServiceAttribute, ...] = attrs.field(default=(), converter=_attributes)
    open311: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))

    def __attrs_post_init__(self) -> None:
        codes = [a.code for a in self.attributes]
        orders = [a.order for a in self.attributes]
        if len(set(codes)) != len(codes):
            raise ValidationError.single("attributes", "attribute codes must be unique")
        if len(set(orders)) != len(orders):
            raise ValidationError.single("attributes", "attribute orders must be unique")

    @property
    def metadata(self) -> bool:
        """Whether the service asks questions (Open311 ``metadata``)."""
        return bool(self.attributes)

    def parse_attributes(self, raw: Mapping[str, str | Sequence[str]]) -> dict[str, Any]:
        """Check every answer against the service definition; report every problem at once.

        Unknown codes, missing required answers and answers that do not fit are all errors.

        Raises:
            ValidationError: One :class:`~smartcity_kit.errors.FieldError` per problem, with
                paths ``attribute[CODE]``.
        """
        problems: list[FieldError] = []
        known = {a.code: a for a in self.attributes if a.variable}
        parsed: dict[str, Any] = {}
        problems.extend(
            FieldError(f"attribute[{code}]", "is not an attribute of this service")
            for code in raw
            if code not in known
        )
        for attribute in sorted(known.values(), key=lambda a: a.order):
            answer = raw.get(attribute.code)
            empty = answer is None or answer == "" or (not isinstance(answer, str) and not answer)
            if empty:
                if attribute.required:
                    problems.append(FieldError(f"attribute[{attribute.code}]", "is required"))
                continue
            try:
                parsed[attribute.code] = attribute.parse(answer)  # type: ignore[arg-type]
            except ValidationError as e:
                problems.extend(e.errors)
        if problems:
            raise ValidationError(problems)
        return parsed
