"""GeoReport v2 codec: the wire models to and from XML (mandatory) and JSON.

Writing follows the spec exactly: XML without a namespace under the spec's root elements, JSON as
top-level arrays, service codes as strings, date-times ISO 8601 with an offset, UTF-8.

Reading is tolerant of what real servers send: namespaced XML, a single object where a list is
expected, values wrapped in one-item lists, booleans and numbers as text. Untrusted XML is parsed
with defusedxml. Any malformed input raises :class:`~smartcity_kit.errors.ValidationError` and
nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re

# Only to build XML; untrusted XML is parsed with defusedxml below.
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, Literal, TypeVar

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from smartcity_kit.egov.open311._wire import (
    Discovery,
    Endpoint,
    Note,
    RequestCreated,
    RequestUpdate,
    WireAttribute,
    WireDefinition,
    WireError,
    WireRequest,
    WireService,
    WireValue,
)
from smartcity_kit.errors import FieldError, ValidationError

__all__ = [
    "Format",
    "decode_created",
    "decode_definition",
    "decode_discovery",
    "decode_errors",
    "decode_requests",
    "decode_services",
    "decode_updates",
    "encode_created",
    "encode_definition",
    "encode_discovery",
    "encode_errors",
    "encode_requests",
    "encode_services",
    "encode_updates",
]

Format = Literal["xml", "json"]
T = TypeVar("T")

# XML list containers and the tag of their items.
_ITEMS: Final = {
    "services": "service",
    "service_requests": "request",
    "requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
    "service_request_updates": "request_update",
    "answers": "answer",
}
MAX_BODY: Final = 10 * 1024 * 1024
# Stands in for a missing date-time: where one is required the error is reported and the value
# never returned; a discovery document without a changeset reads as the earliest instant.
_EPOCH: Final = dt.datetime.min.replace(tzinfo=dt.UTC)


# --- writing ---------------------------------------------------------------------------------


# Characters XML 1.0 cannot carry at all; they are dropped from what we write.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _xml_child(parent: ET.Element, tag: str, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    if isinstance(value, Mapping):
        for key, item in value.items():
            _xml_child(element, str(key), item)
    elif isinstance(value, list | tuple):
        item_tag = _ITEMS.get(tag, "item")
        for item in value:
            _xml_child(element, item_tag, item)
    else:
        element.text = _text(value)


def _json_ready(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def _write(root: str, value: Any, fmt: Format) -> bytes:
    if fmt == "json":
        return json.dumps(_json_ready(value), ensure_ascii=False, separators=(",", ":")).encode()
    element = ET.Element(root)
    if isinstance(value, Mapping):
        for key, item in value.items():
            _xml_child(element, str(key), item)
    else:
        for item in value:
            _xml_child(element, _ITEMS[root], item)
    written: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return written


def _service_plain(s: WireService) -> dict[str, Any]:
    return {
        "service_code": s.service_code,
        "service_name": s.service_name,
        "description": s.description,
        "metadata": s.metadata,
        "type": s.type,
        "keywords": ", ".join(s.keywords),
        "group": s.group,
    }


def _attribute_plain(a: WireAttribute) -> dict[str, Any]:
    return {
        "variable": a.variable,
        "code": a.code,
        "datatype": a.datatype,
        "required": a.required,
        "datatype_description": a.datatype_description,
        "order": a.order,
        "description": a.description,
        "values": [{"key": v.key, "name": v.name} for v in a.values],
    }


def _request_plain(r: WireRequest) -> dict[str, Any]:
    plain: dict[str, Any] = {
        "service_request_id": r.service_request_id,
        "status": r.status,
        "status_notes": r.status_notes,
        "service_name": r.service_name,
        "service_code": r.service_code,
        "description": r.description,
        "agency_responsible": r.agency_responsible,
        "service_notice": r.service_notice,
        "requested_datetime": r.requested_datetime,
        "updated_datetime": r.updated_datetime,
        "expected_datetime": r.expected_datetime,
        "address": r.address,
        "address_id": r.address_id,
        "zipcode": r.zipcode,
        "lat": r.lat,
        "long": r.long,
        "media_url": r.media_url,
    }
    if r.extended_attributes is not None:
        plain["extended_attributes"] = dict(r.extended_attributes)
    if r.notes is not None:
        plain["notes"] = [
            {"datetime": n.datetime, "description": n.description, "type": n.type} for n in r.notes
        ]
    return plain


def encode_services(items: Iterable[WireService], fmt: Format) -> bytes:
    """``GET services``: a list of services."""
    return _write("services", [_service_plain(s) for s in items], fmt)


def encode_definition(definition: WireDefinition, fmt: Format) -> bytes:
    """``GET services/{code}``: one service definition (an object, not a list)."""
    plain = {
        "service_code": definition.service_code,
        "attributes": [_attribute_plain(a) for a in definition.attributes],
    }
    return _write("service_definition", plain, fmt)


def encode_requests(items: Iterable[WireRequest], fmt: Format) -> bytes:
    """``GET requests`` and ``GET requests/{id}``: a list of requests (one for an id)."""
    return _write("service_requests", [_request_plain(r) for r in items], fmt)


def encode_created(items: Iterable[RequestCreated], fmt: Format) -> bytes:
    """``POST requests`` and ``GET tokens/{token}``: a list of one id-or-token item."""
    plain = []
    for c in items:
        item: dict[str, Any] = {}
        if c.token is not None:
            item["token"] = c.token
        else:
            item["service_request_id"] = c.service_request_id
        item["service_notice"] = c.service_notice
        item["account_id"] = c.account_id
        plain.append(item)
    return _write("service_requests", plain, fmt)


def encode_updates(items: Iterable[RequestUpdate], fmt: Format) -> bytes:
    """``GET servicerequestupdates`` (FixMyStreet extension)."""
    plain = [
        {
            "update_id": u.update_id,
            "service_request_id": u.service_request_id,
            "status": u.status,
            "updated_datetime": u.updated_datetime,
            "description": u.description,
            "media_url": u.media_url,
        }
        for u in items
    ]
    return _write("service_request_updates", plain, fmt)


def encode_errors(items: Iterable[WireError], fmt: Format) -> bytes:
    """An error list."""
    return _write("errors", [{"code": e.code, "description": e.description} for e in items], fmt)


def encode_discovery(discovery: Discovery, fmt: Format) -> bytes:
    """The service discovery document."""
    plain = {
        "changeset": discovery.changeset,
        "contact": discovery.contact,
        "key_service": discovery.key_service,
        "endpoints": [
            {
                "specification": e.specification,
                "url": e.url,
                "changeset": e.changeset,
                "type": e.type,
                "formats": list(e.formats),
            }
            for e in discovery.endpoints
        ],
    }
    return _write("discovery", plain, fmt)


# --- reading ---------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_plain(element: Any) -> Any:
    children = list(element)
    tag = _local(element.tag)
    if not children:
        text = (element.text or "").strip()
        return [] if tag in _ITEMS and not text else (text or None)
    if tag in _ITEMS or (len(children) > 1 and len({_local(c.tag) for c in children}) == 1):
        return [_xml_plain(c) for c in children]
    return {_local(c.tag): _xml_plain(c) for c in children}


def _read(data: bytes | str, fmt: Format) -> tuple[str | None, Any]:
    """Parse a body: (XML root tag or None for JSON, plain value)."""
    if len(data) > MAX_BODY:
        raise ValidationError.single("", "the body is too large")
    if fmt == "json":
        try:
            return None, json.loads(data)
        except (ValueError, RecursionError):
            raise ValidationError.single("", "is not valid JSON") from None
    try:
        root = SafeET.fromstring(data)
        return _local(root.tag), _xml_plain(root)
    except (ET.ParseError, DefusedXmlException, ValueError, RecursionError):
        raise ValidationError.single("", "is not valid (or not allowed) XML") from None


def _unwrap(value: Any) -> Any:
    while isinstance(value, list) and len(value) == 1 and not isinstance(value[0], Mapping):
        value = value[0]
    return value


def _as_list(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return value
    raise ValidationError.single(path, "must be a list")


class _Fields:
    """Typed access to one plain object, collecting every problem with its path."""

    def __init__(self, value: Any, path: str, problems: list[FieldError]) -> None:
        if not isinstance(value, Mapping):
            problems.append(FieldError(path, "must be an object"))
            value = {}
        self._value, self._path, self._problems = value, path, problems

    def _bad(self, key: str, message: str) -> None:
        self._problems.append(FieldError(f"{self._path}.{key}" if self._path else key, message))

    def raw(self, key: str) -> Any:
        value = _unwrap(self._value.get(key))
        return None if value == "" else value

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.raw(key)
        if value is None:
            if required:
                self._bad(key, "is required")
            return None
        if isinstance(value, bool | Mapping | list):
            self._bad(key, "must be text")
            return None
        return str(value)

    def required_text(self, key: str) -> str:
        return self.text(key, required=True) or ""

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0"):
            return value.strip().lower() in ("true", "1")
        self._bad(key, "must be true or false")
        return default

    def integer(self, key: str, default: int = 0) -> int:
        value = self.raw(key)
        if value is None:
            return default
        whole = isinstance(value, int | str) and not isinstance(value, bool)
        whole = whole or (isinstance(value, float) and value.is_integer())
        try:
            if whole:
                return int(value)
        except ValueError:
            pass
        self._bad(key, "must be a whole number")
        return default

    def number(self, key: str) -> float | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self._bad(key, "must be a number")
            return None
        try:
            number = float(value)
        except ValueError:
            self._bad(key, "must be a number")
            return None
        if not math.isfinite(number):
            self._bad(key, "must be a finite number")
            return None
        return number

    def instant(self, key: str, *, required: bool = False) -> dt.datetime | None:
        value = self.text(key, required=required)
        if value is None:
            return None
        try:
            parsed = dt.datetime.fromisoformat(value.replace("z", "Z"))
        except ValueError:
            self._bad(key, "must be an ISO 8601 date-time")
            return None
        if parsed.tzinfo is None:
            self._bad(key, "must have a UTC offset")
            return None
        return parsed

    def objects(self, key: str) -> list[_Fields]:
        path = f"{self._path}.{key}" if self._path else key
        try:
            items = _as_list(self._value.get(key), path)
        except ValidationError as e:
            self._problems.extend(e.errors)
            return []
        return [_Fields(item, f"{path}[{i}]", self._problems) for i, item in enumerate(items)]

    def texts(self, key: str) -> list[str]:
        value = self._value.get(key)
        if value is None or value == "":
            return []
        items = value if isinstance(value, list) else [value]
        return [str(_unwrap(v)) for v in items if v not in (None, "")]

    def mapping(self, key: str) -> Mapping[str, Any] | None:
        value = self._value.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self._bad(key, "must be an object")
            return None
        return value


def _decode_list(
    data: bytes | str, fmt: Format, roots: Sequence[str], item: Callable[[_Fields], T]
) -> list[T]:
    root, plain = _read(data, fmt)
    if root is not None and root not in roots:
        raise ValidationError.single("", f"the XML root must be <{roots[0]}>, not <{root}>")
    if isinstance(plain, Mapping) and fmt == "json" and len(plain) == 1:
        # {"services": [...]}: an envelope some servers add.
        (only,) = plain.values()
        if isinstance(only, list):
            plain = only
    problems: list[FieldError] = []
    try:
        items = _as_list(plain, "")
    except ValidationError:
        raise ValidationError.single("", "must be a list") from None
    decoded = [item(_Fields(obj, f"[{i}]", problems)) for i, obj in enumerate(items)]
    if problems:
        raise ValidationError(problems)
    return decoded


def _service(f: _Fields) -> WireService:
    keywords = f.text("keywords") or ""
    return WireService(
        service_code=f.required_text("service_code"),
        service_name=f.required_text("service_name"),
        description=f.text("description"),
        metadata=f.boolean("metadata"),
        type=f.text("type") or "realtime",
        keywords=tuple(k.strip() for k in keywords.split(",") if k.strip()),
        group=f.text("group"),
    )


def _attribute(f: _Fields) -> WireAttribute:
    return WireAttribute(
        variable=f.boolean("variable", default=True),
        code=f.required_text("code"),
        datatype=f.required_text("datatype"),
        required=f.boolean("required"),
        datatype_description=f.text("datatype_description"),
        order=f.integer("order"),
        description=f.text("description") or "",
        values=tuple(
            WireValue(key=v.required_text("key"), name=v.text("name") or "")
            for v in f.objects("values")
        ),
    )


def _request(f: _Fields) -> WireRequest:
    notes = f.objects("notes") if f.raw("notes") is not None else None
    return WireRequest(
        service_request_id=f.required_text("service_request_id"),
        status=f.text("status") or "open",
        status_notes=f.text("status_notes"),
        service_name=f.text("service_name"),
        service_code=f.text("service_code") or "",
        description=f.text("description"),
        agency_responsible=f.text("agency_responsible"),
        service_notice=f.text("service_notice"),
        requested_datetime=f.instant("requested_datetime"),
        updated_datetime=f.instant("updated_datetime"),
        expected_datetime=f.instant("expected_datetime"),
        address=f.text("address"),
        address_id=f.text("address_id"),
        zipcode=f.text("zipcode"),
        lat=f.number("lat"),
        long=f.number("long"),
        media_url=f.text("media_url"),
        extended_attributes=f.mapping("extended_attributes"),
        notes=None
        if notes is None
        else tuple(
            Note(
                datetime=n.instant("datetime", required=True) or _EPOCH,
                description=n.text("description") or "",
                type=n.text("type") or "",
            )
            for n in notes
        ),
    )


def _created(f: _Fields) -> RequestCreated:
    created = RequestCreated(
        service_request_id=f.text("service_request_id"),
        token=f.text("token"),
        service_notice=f.text("service_notice"),
        account_id=f.text("account_id"),
    )
    if created.service_request_id is None and created.token is None:
        f._bad("service_request_id", "a created request needs a service_request_id or a token")  # noqa: SLF001
    return created


def _update(f: _Fields) -> RequestUpdate:
    return RequestUpdate(
        update_id=f.required_text("update_id"),
        service_request_id=f.required_text("service_request_id"),
        status=f.required_text("status"),
        updated_datetime=f.instant("updated_datetime", required=True) or _EPOCH,
        description=f.text("description") or "",
        media_url=f.text("media_url"),
    )


def decode_services(data: bytes | str, fmt: Format) -> list[WireService]:
    """Read a ``GET services`` body."""
    return _decode_list(data, fmt, ("services",), _service)


def decode_requests(data: bytes | str, fmt: Format) -> list[WireRequest]:
    """Read a ``GET requests`` body."""
    return _decode_list(data, fmt, ("service_requests", "requests"), _request)


def decode_created(data: bytes | str, fmt: Format) -> list[RequestCreated]:
    """Read a ``POST requests`` or ``GET tokens`` body."""
    return _decode_list(data, fmt, ("service_requests", "requests"), _created)


def decode_updates(data: bytes | str, fmt: Format) -> list[RequestUpdate]:
    """Read a ``GET servicerequestupdates`` body."""
    return _decode_list(data, fmt, ("service_request_updates",), _update)


def decode_errors(data: bytes | str, fmt: Format) -> list[WireError]:
    """Read an error body: a list, a single error object, or ``{"errors": [...]}``."""

    def error(f: _Fields) -> WireError:
        return WireError(code=f.integer("code"), description=f.text("description") or "")

    return _decode_list(data, fmt, ("errors", "error"), error)


def decode_definition(data: bytes | str, fmt: Format) -> WireDefinition:
    """Read a ``GET services/{code}`` body."""
    root, plain = _read(data, fmt)
    if root is not None and root != "service_definition":
        raise ValidationError.single("", f"the XML root must be <service_definition>, not <{root}>")
    if isinstance(plain, list) and len(plain) == 1:
        plain = plain[0]
    problems: list[FieldError] = []
    f = _Fields(plain, "", problems)
    definition = WireDefinition(
        service_code=f.required_text("service_code"),
        attributes=tuple(_attribute(a) for a in f.objects("attributes")),
    )
    if problems:
        raise ValidationError(problems)
    return definition


def decode_discovery(data: bytes | str, fmt: Format) -> Discovery:
    """Read a discovery document."""
    root, plain = _read(data, fmt)
    if root is not None and root != "discovery":
        raise ValidationError.single("", f"the XML root must be <discovery>, not <{root}>")
    problems: list[FieldError] = []
    f = _Fields(plain, "", problems)
    discovery = Discovery(
        changeset=f.instant("changeset") or _EPOCH,
        contact=f.text("contact") or "",
        key_service=f.text("key_service") or "",
        endpoints=tuple(
            Endpoint(
                specification=e.text("specification") or "",
                url=e.required_text("url"),
                changeset=e.instant("changeset") or _EPOCH,
                type=e.text("type") or "production",
                formats=tuple(e.texts("formats")),
            )
            for e in f.objects("endpoints")
        ),
    )
    if problems:
        raise ValidationError(problems)
    return discovery
