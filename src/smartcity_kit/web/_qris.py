"""The QRIS JSON API under ``/api/economy/``: merchant data, static and dynamic codes, sales.

Paths are relative to ``/api/economy``; ``<e>`` is an enterprise id and ``<s>`` a sale number.
Readers and bookkeepers are those of :mod:`smartcity_kit.web._economy`, of the enterprise (for
``/sales/<s>``, of the sale's enterprise); admins are admin keys of the enterprise's city (a
payment gateway's integration).

====================================================  ===========  =======================
Endpoint                                              Who          Answers
====================================================  ===========  =======================
``GET /enterprises/<e>/qris/merchant``                readers      200, 403, 404
``PUT /enterprises/<e>/qris/merchant``                bookkeepers  200, 400, 403, 404
``GET /enterprises/<e>/qris[.png|.svg|.html|.json]``  anyone       200, 404
``POST /enterprises/<e>/sales``                       bookkeepers  201, 400, 403, 404
``GET /enterprises/<e>/sales``                        readers      200, 400, 403, 404
``GET /sales/<s>``                                    readers      200, 403, 404
``GET /sales/<s>/qris[.png|.svg|.html|.json]``        readers      200, 403, 404, 409
``POST /sales/<s>/paid``                              bookkeepers  200, 400, 403, 404, 409
``POST /sales/<s>/cancel``                            bookkeepers  200, 403, 404, 409
``POST /qris/notifications``                          admins       200, 400, 403, 404, 409
====================================================  ===========  =======================

- **The static code is public**: it is printed on the stall's poster, so it needs no key. It
  holds the merchant's name, city and NMID, nothing else.
- **Formats**: ``.png``, ``.svg``, ``.html`` (a printable A5 poster) or ``.json``
  (``{"payload", "fields"}``); without an extension, the ``Accept`` header chooses
  (``image/png``, ``image/svg+xml``, ``text/html``, anything else JSON).
- **Paying twice posts once**: ``/paid`` and ``/qris/notifications`` answer ``{"posted",
  "sale"}``; ``posted`` is false when the sale was already paid, and nothing was written.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any, Final

import attrs
from flask import Blueprint, Response, jsonify, request

from smartcity_kit.core import Rupiah, parse_instant
from smartcity_kit.economy import Enterprise, EnterpriseStatus
from smartcity_kit.economy._ledger import MAX_AMOUNT
from smartcity_kit.economy.qris import (
    AdditionalData,
    InitiationMethod,
    MerchantAccount,
    MerchantCriteria,
    QrisMerchant,
    QrisPayload,
    TipIndicator,
    mask_mobile_number,
    parse_qris,
    qr_png,
    qr_poster_html,
    qr_svg,
)
from smartcity_kit.economy.qris._sales import (
    MAX_ITEMS,
    MAX_PAYMENT_ID,
    MAX_QUANTITY,
    MAX_SALE_AMOUNT,
    PaymentNotification,
    PaymentResult,
    QrisSale,
    QrisSales,
    SaleItem,
    SaleStatus,
)
from smartcity_kit.errors import FieldError, NotFoundError, ValidationError
from smartcity_kit.storage import Role
from smartcity_kit.web._api import _json_body, _page
from smartcity_kit.web._economy import (
    _MAX_ID,
    _access,
    _amount,
    _books_fields,
    _caller,
    _day,
    _ext,
    _fail,
    _fields,
    _id,
    _iso,
    _number,
    _registry,
)
from smartcity_kit.web._openapi import PAGE, Answer, Param, Schema, component, operation, paged

__all__ = ["qris"]

qris = Blueprint("smartcity_qris", __name__, url_prefix="/api/economy")
#: What each path extension serves.
_FORMATS: Final = {
    "json": "application/json",
    "png": "image/png",
    "svg": "image/svg+xml",
    "html": "text/html",
}


def _sales() -> QrisSales:
    sales: QrisSales = _ext("qris_sales")
    return sales


# --- what the endpoints take and answer (checked on every request; /api/openapi.json) --------

_TEXT: Final[Schema] = {"type": "string"}
_NULLABLE_TEXT: Final[Schema] = {"type": ["string", "null"]}
_NULLABLE_MONEY: Final[Schema] = {"type": ["integer", "null"], "description": "Whole rupiah."}
_TAGS: Final[Schema] = {
    "type": "object",
    "description": "Other fields, by tag.",
    "additionalProperties": {"type": "string"},
}
_CRITERIA: Final = [c.value for c in MerchantCriteria]
_CRITERIA_ERROR: Final = "must be one of " + ", ".join(_CRITERIA)

MERCHANT = component(
    "QrisMerchant",
    {
        "type": "object",
        "description": "An enterprise's QRIS merchant data, as its acquirer (PJP) registered it.",
        "required": [
            "enterprise",
            "nmid",
            "mcc",
            "name",
            "city",
            "postal_code",
            "criteria",
            "merchant_pan",
            "acquirer_guid",
        ],
        "properties": {
            "enterprise": _TEXT,
            "nmid": {"type": "string", "description": "The National Merchant ID."},
            "mcc": {"type": "string", "description": "The merchant category code (ISO 18245)."},
            "name": _TEXT,
            "city": _TEXT,
            "postal_code": _NULLABLE_TEXT,
            "criteria": {"enum": _CRITERIA},
            "merchant_pan": _NULLABLE_TEXT,
            "acquirer_guid": _NULLABLE_TEXT,
        },
    },
)


def _optional(schema: Schema) -> Schema:
    """``schema`` that also takes null (a null field counts as left out)."""
    return {**schema, "type": [schema["type"], "null"]}


def _printable_text(most: int) -> Schema:
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": most,
        "x-error": f"must be 1 to {most} printable characters",
    }


_MERCHANT_IN: Final[Schema] = {
    "type": "object",
    "required": ["nmid", "mcc", "city"],
    "properties": {
        "nmid": {
            "type": "string",
            "pattern": "^ID[0-9]{10,15}$",
            "description": "The National Merchant ID: ID and 10 to 15 digits.",
            "x-error": "must be ID and 10 to 15 digits",
        },
        "mcc": {
            "type": "string",
            "pattern": "^[0-9]{4}$",
            "description": "The merchant category code (ISO 18245), 4 digits.",
            "x-error": "must be 4 digits",
        },
        "name": _optional(
            {
                **_printable_text(25),
                "description": "The name on the code (printable ASCII); by default the "
                "enterprise's name in capitals.",
            }
        ),
        "city": {**_printable_text(15), "description": "The city on the code (printable ASCII)."},
        "postal_code": {
            "type": ["string", "null"],
            "pattern": "^[0-9]{5}$",
            "description": "Five digits; by default the enterprise's address's.",
            "x-error": "must be 5 digits (kode pos)",
        },
        "criteria": {
            "enum": [*_CRITERIA, None],
            "description": "The merchant's size class (UMI by default).",
            "x-error": _CRITERIA_ERROR,
        },
        "merchant_pan": {
            "type": ["string", "null"],
            "pattern": "^[0-9]{1,19}$",
            "description": "The merchant PAN at the acquirer; with acquirer_guid.",
            "x-error": "must be 1 to 19 digits",
        },
        "acquirer_guid": _optional(
            {
                **_printable_text(32),
                "description": "The acquirer's reverse-domain GUID; with merchant_pan.",
            }
        ),
    },
    "additionalProperties": False,
}

_SALE_ITEM: Final = component(
    "QrisSaleItem",
    {
        "type": "object",
        "description": "One line of a sale.",
        "required": ["name", "quantity", "unit_price", "total"],
        "properties": {
            "name": _TEXT,
            "quantity": {"type": "integer", "minimum": 1},
            "unit_price": {"type": "integer", "minimum": 1, "description": "Whole rupiah."},
            "total": {"type": "integer", "minimum": 1, "description": "Whole rupiah."},
        },
    },
)
_INSTANT: Final[Schema] = {"type": "string", "format": "date-time"}
SALE = component(
    "QrisSale",
    {
        "type": "object",
        "description": "A sale paid by QRIS.",
        "required": [
            "id",
            "enterprise",
            "reference",
            "items",
            "amount",
            "status",
            "date",
            "member",
            "created_at",
            "paid_at",
            "payment_id",
            "entry",
        ],
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "enterprise": _TEXT,
            "reference": {"type": "string", "description": "The reference label (QRS...)."},
            "items": {"type": "array", "items": _SALE_ITEM},
            "amount": {"type": "integer", "minimum": 1, "description": "Whole rupiah."},
            "status": {"enum": [s.value for s in SaleStatus]},
            "date": {"type": "string", "format": "date"},
            "member": {"type": ["integer", "null"]},
            "created_at": _INSTANT,
            "paid_at": {"type": ["string", "null"], "format": "date-time"},
            "payment_id": _NULLABLE_TEXT,
            "entry": {"type": ["integer", "null"], "description": "The journal entry, once paid."},
        },
    },
)
PAYMENT_RESULT = component(
    "QrisPaymentResult",
    {
        "type": "object",
        "description": "A recorded payment: posted is false when the sale was already paid.",
        "required": ["posted", "sale"],
        "properties": {"posted": {"type": "boolean"}, "sale": SALE},
    },
)
_ACCOUNT: Final[Schema] = {
    "type": "object",
    "required": ["tag", "guid", "pan", "merchant_id", "criteria", "other"],
    "properties": {
        "tag": _TEXT,
        "guid": _TEXT,
        "pan": _NULLABLE_TEXT,
        "merchant_id": _NULLABLE_TEXT,
        "criteria": {"enum": [*_CRITERIA, None]},
        "other": _TAGS,
    },
}
_ADDITIONAL_FIELDS: Final = (
    "bill_number",
    "mobile_number",
    "store_label",
    "loyalty_number",
    "reference_label",
    "customer_label",
    "terminal_label",
    "purpose",
    "consumer_data_request",
)
_ADDITIONAL: Final[Schema] = {
    "type": ["object", "null"],
    "description": "Tag 62; the mobile number is masked.",
    "required": [*_ADDITIONAL_FIELDS, "other"],
    "properties": {**dict.fromkeys(_ADDITIONAL_FIELDS, _NULLABLE_TEXT), "other": _TAGS},
}
PAYLOAD = component(
    "QrisPayloadFields",
    {
        "type": "object",
        "description": "The decoded fields of a QRIS payload (amounts in whole rupiah).",
        "required": [
            "payload_format",
            "initiation",
            "dynamic",
            "nmid",
            "accounts",
            "mcc",
            "currency",
            "amount",
            "tip",
            "fee_fixed",
            "fee_percent",
            "country",
            "merchant_name",
            "merchant_city",
            "postal_code",
            "additional",
            "other",
            "crc",
        ],
        "properties": {
            "payload_format": _TEXT,
            "initiation": {"enum": [i.value for i in InitiationMethod]},
            "dynamic": {"type": "boolean"},
            "nmid": _NULLABLE_TEXT,
            "accounts": {"type": "array", "items": _ACCOUNT},
            "mcc": _TEXT,
            "currency": _TEXT,
            "amount": _NULLABLE_MONEY,
            "tip": {"enum": [*(t.value for t in TipIndicator), None]},
            "fee_fixed": _NULLABLE_MONEY,
            "fee_percent": {"type": ["string", "null"], "description": "A decimal, as text."},
            "country": _TEXT,
            "merchant_name": _TEXT,
            "merchant_city": _TEXT,
            "postal_code": _NULLABLE_TEXT,
            "additional": _ADDITIONAL,
            "other": _TAGS,
            "crc": _NULLABLE_TEXT,
        },
    },
)
CODE = component(
    "QrisCode",
    {
        "type": "object",
        "description": "A QRIS code: its payload text and its decoded fields.",
        "required": ["payload", "fields"],
        "properties": {"payload": _TEXT, "fields": PAYLOAD},
    },
)
_CODE_ANSWER: Final = Answer(
    "The code: JSON, a PNG or SVG image, or a printable HTML poster.",
    CODE,
    media=("application/json", "image/png", "image/svg+xml", "text/html"),
    headers={"Vary": "Accept: without an extension, the Accept header chooses the format."},
)
_ENTERPRISE: Final = Param(
    "enterprise_id",
    {"type": "string", "pattern": "^[^/]+$"},
    "The enterprise's id.",
    required=True,
    where="path",
)
_SALE_ID: Final = Param(
    "sale_id", {"type": "integer", "minimum": 0}, "The sale's number.", required=True, where="path"
)
_FORM: Final = Param(
    "form",
    {"enum": ["png", "svg", "html", "json"]},
    "The format: a PNG or SVG image, a printable HTML poster, or JSON.",
    required=True,
    where="path",
)
_AMOUNT_ERROR: Final = f"must be whole rupiah (a JSON integer from 1 to {MAX_SALE_AMOUNT})"
_SALE_IN: Final[Schema] = {
    "type": "object",
    "required": ["items"],
    "properties": {
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_ITEMS,
            "x-error": "must be a list of {name, quantity, unit_price}",
            "items": {
                "type": "object",
                "required": ["name", "quantity", "unit_price"],
                "properties": {
                    "name": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 100,
                        "x-error": "must be printable text of 1 to 100 characters",
                    },
                    "quantity": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_QUANTITY,
                        "x-error": f"must be a whole number from 1 to {MAX_QUANTITY}",
                    },
                    "unit_price": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_SALE_AMOUNT,
                        "description": "Whole rupiah.",
                        "x-error": _AMOUNT_ERROR,
                    },
                },
                "additionalProperties": False,
                "x-error": "must be an object {name, quantity, unit_price}",
            },
        },
        "date": {
            "type": ["string", "null"],
            "format": "date",
            "description": "The day of the sale (today in the enterprise's city by default).",
        },
        "member": {
            "type": ["integer", "null"],
            "minimum": 1,
            "maximum": _MAX_ID,
            "description": "The buying member's number, for a sale to a member.",
            "x-error": f"must be a member number (a JSON integer from 1 to {_MAX_ID})",
        },
    },
    "additionalProperties": False,
}
_PAYMENT_ID: Final[Schema] = {
    "type": ["string", "null"],
    "minLength": 1,
    "maxLength": MAX_PAYMENT_ID,
    "description": "The payment's id at the gateway or acquirer.",
    "x-error": f"must be printable text of 1 to {MAX_PAYMENT_ID} characters",
}
_PAID_IN: Final[Schema] = {
    "type": "object",
    "properties": {
        "paid_at": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "When it was paid (now by default).",
            "x-error": "must be an ISO 8601 date-time with an offset",
        },
        "payment_id": _PAYMENT_ID,
    },
    "additionalProperties": False,
}
_NOTIFICATION_IN: Final[Schema] = {
    "type": "object",
    "description": "A payment reported by a payment gateway (PaymentNotification).",
    "required": ["reference", "amount", "paid_at"],
    "properties": {
        "reference": {
            "type": "string",
            "minLength": 1,
            "maxLength": 25,
            "description": "The sale's reference label (tag 62/05 of the code that was paid).",
            "x-error": "must be printable text of 1 to 25 characters",
        },
        "amount": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_AMOUNT,
            "description": "What was paid, in whole rupiah.",
            "x-error": "must be whole rupiah (a JSON integer above 0)",
        },
        "paid_at": {
            "type": "string",
            "format": "date-time",
            "x-error": "must be an ISO 8601 date-time with an offset",
        },
        "payment_id": _PAYMENT_ID,
        "issuer": {
            "type": ["string", "null"],
            "minLength": 1,
            "maxLength": 100,
            "description": "Who the payer paid with (a bank or e-wallet).",
            "x-error": "must be printable text of 1 to 100 characters",
        },
    },
    "additionalProperties": False,
}


# --- JSON out --------------------------------------------------------------------------------


def _merchant_json(m: QrisMerchant) -> dict[str, Any]:
    return {
        "enterprise": m.enterprise,
        "nmid": m.nmid,
        "mcc": m.mcc,
        "name": m.name,
        "city": m.city,
        "postal_code": m.postal_code,
        "criteria": m.criteria.value,
        "merchant_pan": m.merchant_pan,
        "acquirer_guid": m.acquirer_guid,
    }


def _sale_json(s: QrisSale) -> dict[str, Any]:
    return {
        "id": s.id,
        "enterprise": s.enterprise,
        "reference": s.reference,
        "items": [
            {
                "name": i.name,
                "quantity": i.quantity,
                "unit_price": i.unit_price.amount,
                "total": i.total.amount,
            }
            for i in s.items
        ],
        "amount": s.amount.amount,
        "status": s.status.value,
        "date": s.date.isoformat(),
        "member": s.member,
        "created_at": _iso(s.created_at),
        "paid_at": _iso(s.paid_at),
        "payment_id": s.payment_id,
        "entry": s.entry_id,
    }


def _result_json(r: PaymentResult) -> dict[str, Any]:
    return {"posted": r.posted, "sale": _sale_json(r.sale)}


def _money(value: Rupiah | None) -> int | None:
    return None if value is None else value.amount


def _percent(value: decimal.Decimal | None) -> str | None:
    return None if value is None else str(value)


def _account_json(a: MerchantAccount) -> dict[str, Any]:
    return {
        "tag": a.tag,
        "guid": a.guid,
        "pan": a.pan,
        "merchant_id": a.merchant_id,
        "criteria": a.criteria.value if a.criteria else None,
        "other": {f.tag: f.value for f in a.other},
    }


def _additional_json(a: AdditionalData | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {
        "bill_number": a.bill_number,
        "mobile_number": None if a.mobile_number is None else mask_mobile_number(a.mobile_number),
        "store_label": a.store_label,
        "loyalty_number": a.loyalty_number,
        "reference_label": a.reference_label,
        "customer_label": a.customer_label,
        "terminal_label": a.terminal_label,
        "purpose": a.purpose,
        "consumer_data_request": a.consumer_data_request,
        "other": {f.tag: f.value for f in a.other},
    }


def payload_json(p: QrisPayload) -> dict[str, Any]:
    """The decoded fields of a QRIS payload, as JSON (amounts in whole rupiah)."""
    return {
        "payload_format": p.payload_format,
        "initiation": p.initiation.value,
        "dynamic": p.is_dynamic,
        "nmid": p.nmid,
        "accounts": [_account_json(a) for a in p.accounts],
        "mcc": p.mcc,
        "currency": p.currency,
        "amount": _money(p.amount),
        "tip": p.tip.value if p.tip else None,
        "fee_fixed": _money(p.fee_fixed),
        "fee_percent": _percent(p.fee_percent),
        "country": p.country,
        "merchant_name": p.merchant_name,
        "merchant_city": p.merchant_city,
        "postal_code": p.postal_code,
        "additional": _additional_json(p.additional),
        "other": {f.tag: f.value for f in p.other},
        "crc": p.crc,
    }


def _code(payload: str, form: str | None) -> Response:
    """The code in the asked format: the extension, or else the ``Accept`` header."""
    if form is None:
        best = request.accept_mimetypes.best_match(
            ["application/json", "image/png", "image/svg+xml", "text/html"]
        )
        form = next((k for k, v in _FORMATS.items() if v == best), "json")
    elif form not in _FORMATS:
        raise NotFoundError(f"there is no format {form!r}; the formats are png, svg, html, json")
    if form == "png":
        response = Response(qr_png(payload), mimetype="image/png")
    elif form == "svg":
        response = Response(qr_svg(payload), mimetype="image/svg+xml")
    elif form == "html":
        response = Response(qr_poster_html(payload), mimetype="text/html")
    else:
        response = jsonify({"payload": payload, "fields": payload_json(parse_qris(payload))})
    response.vary.add("Accept")
    return response


# --- JSON in ---------------------------------------------------------------------------------


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise _fail("must be text")
    return value


def _criteria(value: Any) -> MerchantCriteria:
    names = ", ".join(c.value for c in MerchantCriteria)
    if isinstance(value, str) and value in {c.value for c in MerchantCriteria}:
        return MerchantCriteria(value)
    raise _fail(f"must be one of {names}")


def _instant(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise _fail("must be an ISO 8601 date-time with an offset")
    try:
        return parse_instant(value, "")
    except ValidationError as e:
        raise _fail(e.errors[0].message) from None


_ITEM: Final = frozenset({"name", "quantity", "unit_price"})


def _items(value: Any) -> list[SaleItem]:
    if not isinstance(value, list) or not value:
        raise ValidationError.single("items", "must be a list of {name, quantity, unit_price}")
    problems: list[FieldError] = []
    items = []
    for i, item in enumerate(value):
        where = f"items[{i}]"
        if not isinstance(item, dict):
            problems.append(FieldError(where, "must be an object {name, quantity, unit_price}"))
            continue
        found = len(problems)
        problems.extend(
            FieldError(f"{where}.{name}", "is not a field of an item")
            for name in sorted(set(item) - _ITEM)
        )
        problems.extend(
            FieldError(f"{where}.{name}", "is required")
            for name in sorted(_ITEM - {k for k, v in item.items() if v is not None})
        )
        if len(problems) > found:
            continue
        price: Any = item["unit_price"]
        try:
            unit_price = _amount(price)
        except ValidationError as e:
            problems.extend(FieldError(f"{where}.unit_price", p.message) for p in e.errors)
            continue
        try:
            items.append(SaleItem(item["name"], item["quantity"], unit_price))
        except ValidationError as e:
            problems.extend(e.prefixed(where).errors)
    if problems:
        raise ValidationError(problems)
    return items


# --- merchant data and the static code -------------------------------------------------------


@qris.get("/enterprises/<enterprise_id>/qris/merchant")
@operation(
    "An enterprise's QRIS merchant data",
    tag="qris",
    path=(_ENTERPRISE,),
    answers={200: Answer("The merchant data.", MERCHANT)},
)
def get_merchant(enterprise_id: str) -> Response:
    """The enterprise's QRIS merchant data (readers)."""
    access = _access(enterprise_id)
    return jsonify(_merchant_json(_sales().merchant(access.id)))


_MERCHANT: Final = {
    "nmid": (_str, True),
    "mcc": (_str, True),
    "name": (_str, False),
    "city": (_str, True),
    "postal_code": (_str, False),
    "criteria": (_criteria, False),
    "merchant_pan": (_str, False),
    "acquirer_guid": (_str, False),
}


@qris.put("/enterprises/<enterprise_id>/qris/merchant")
@operation(
    "Save an enterprise's QRIS merchant data",
    tag="qris",
    path=(_ENTERPRISE,),
    body=_MERCHANT_IN,
    answers={200: Answer("The merchant data as saved.", MERCHANT)},
)
def put_merchant(enterprise_id: str) -> Response:
    """Save the merchant data the enterprise's payment provider gave it (bookkeepers).

    ``name`` defaults to the enterprise's name in capitals, ``postal_code`` to its address's.
    """
    access = _access(enterprise_id, write=True)
    merchant = _merchant(access.enterprise, _fields(_MERCHANT))
    saved = _sales().save_merchant(merchant, actor=access.actor)
    return jsonify(_merchant_json(saved))


#: Values that keep the merchant rules, put in place of a wrong one to find the next problem.
_STAND_INS: Final = {
    "nmid": "ID1000000000",
    "mcc": "0000",
    "name": "X",
    "city": "X",
    "postal_code": None,
    "merchant_pan": None,
    "acquirer_guid": None,
}


def _merchant(enterprise: Enterprise, values: dict[str, Any]) -> QrisMerchant:
    """The merchant data, or every wrong field at once (the model stops at the first)."""
    problems: list[FieldError] = []
    trial = dict(values)
    while True:
        try:
            made = _merchant_of(enterprise, trial)
        except ValidationError as e:
            problems.extend(e.errors)
            wrong = {p.path for p in e.errors}
            if wrong & {"merchant_pan", "acquirer_guid"}:  # a pair: both go, or neither
                wrong |= {"merchant_pan", "acquirer_guid"}
            stand_ins = {f: _STAND_INS[f] for f in wrong if f in _STAND_INS}
            if all(f in trial and trial[f] == v for f, v in stand_ins.items()):
                raise ValidationError(problems) from None
            trial.update(stand_ins)
            continue
        if problems:
            raise ValidationError(problems)
        return made


def _merchant_of(enterprise: Enterprise, values: dict[str, Any]) -> QrisMerchant:
    values = dict(values)
    has_postal_code = "postal_code" in values
    postal_code = values.pop("postal_code", None)
    merchant = QrisMerchant.from_enterprise(enterprise, **values)
    if has_postal_code:
        merchant = attrs.evolve(merchant, postal_code=postal_code)
    return merchant


@qris.get("/enterprises/<enterprise_id>/qris")
@qris.get("/enterprises/<enterprise_id>/qris.<form>")
@operation(
    "An enterprise's static QRIS code",
    tag="qris",
    auth="none",
    path=(_ENTERPRISE, _FORM),
    answers={200: _CODE_ANSWER},
)
def static_code(enterprise_id: str, form: str | None = None) -> Response:
    """The enterprise's static code, for its poster: open to anyone, no key."""
    enterprise = _registry().get(enterprise_id)
    if enterprise.status is EnterpriseStatus.DISSOLVED:
        raise NotFoundError(f"{enterprise_id} is dissolved: it takes no payments")
    return _code(_sales().merchant(enterprise.id).static_payload(), form)


# --- sales -----------------------------------------------------------------------------------


@qris.post("/enterprises/<enterprise_id>/sales")
@operation(
    "Make a pending sale",
    tag="qris",
    path=(_ENTERPRISE,),
    body=_SALE_IN,
    answers={201: Answer("The sale, pending.", SALE, headers={"Location": "The sale's address."})},
)
def create_sale(enterprise_id: str) -> tuple[Response, int]:
    """A pending sale: ``{"items": [{"name", "quantity", "unit_price"}], "date"?, "member"?}``."""
    access = _access(enterprise_id, write=True)
    values = _fields({"items": (_items, True), "date": (_day, False), "member": (_number, False)})
    items = values.pop("items")
    sale = _sales().create(access.id, items, actor=access.actor, **values)
    response = jsonify(_sale_json(sale))
    response.headers["Location"] = f"{qris.url_prefix}/sales/{sale.id}"
    return response, 201


@qris.get("/enterprises/<enterprise_id>/sales")
@operation(
    "List an enterprise's sales",
    tag="qris",
    path=(_ENTERPRISE,),
    query=(
        Param(
            "status",
            {"enum": [s.value for s in SaleStatus]},
            "Only the sales in this state.",
        ),
        *PAGE,
    ),
    answers={200: Answer("A page of sales, newest first.", paged(SALE))},
)
def list_sales(enterprise_id: str) -> Response:
    """The enterprise's sales, newest first, a page at a time; ``status`` picks one state."""
    access = _access(enterprise_id)
    text = request.args.get("status")
    status = SaleStatus(text) if text else None  # checked by the declaration
    page, size = _page()
    found = _sales().list(access.id, status=status, limit=size, offset=(page - 1) * size)
    return jsonify({"page": page, "page_size": size, "items": [_sale_json(s) for s in found]})


def _sale(sale_id: int, *, write: bool = False) -> tuple[QrisSale, str]:
    """The sale and the caller's actor, if the caller may read (or ``write``) its enterprise."""
    _caller()  # no key, no answer: not even whether the sale exists
    sale = _sales().get(_id(sale_id))
    access = _access(sale.enterprise, write=write)
    return sale, access.actor


@qris.get("/sales/<int:sale_id>")
@operation(
    "A sale",
    tag="qris",
    path=(_SALE_ID,),
    answers={200: Answer("The sale.", SALE)},
)
def get_sale(sale_id: int) -> Response:
    """One sale (readers of its enterprise)."""
    sale, _ = _sale(sale_id)
    return jsonify(_sale_json(sale))


@qris.get("/sales/<int:sale_id>/qris")
@qris.get("/sales/<int:sale_id>/qris.<form>")
@operation(
    "A pending sale's dynamic QRIS code",
    tag="qris",
    path=(_SALE_ID, _FORM),
    answers={200: _CODE_ANSWER},
    errors=(400, 409),
)
def dynamic_code(sale_id: int, form: str | None = None) -> Response:
    """The sale's dynamic code with its amount; only while the sale is pending (else 409)."""
    sale, _ = _sale(sale_id)
    return _code(_sales().payload(sale.id), form)


@qris.post("/sales/<int:sale_id>/paid")
@operation(
    "Record that a sale was paid",
    tag="qris",
    path=(_SALE_ID,),
    body=_PAID_IN,
    body_optional=True,
    answers={200: Answer("The payment: posted, or already recorded.", PAYMENT_RESULT)},
    errors=(409,),
)
def mark_paid(sale_id: int) -> Response:
    """Record that the sale was paid (bookkeepers): optional ``{"paid_at", "payment_id"}``."""
    sale, actor = _sale(sale_id, write=True)
    values = _fields({"paid_at": (_instant, False), "payment_id": (_str, False)}, optional=True)
    try:
        result = _sales().mark_paid(sale.id, actor=actor, **values)
    except ValidationError as e:
        raise _books_fields(e) from None
    return jsonify(_result_json(result))


@qris.post("/sales/<int:sale_id>/cancel")
@operation(
    "Call off a pending sale",
    tag="qris",
    path=(_SALE_ID,),
    answers={200: Answer("The sale, cancelled.", SALE)},
    errors=(409,),
)
def cancel_sale(sale_id: int) -> Response:
    """Call off a pending sale (bookkeepers); a paid one is a 409."""
    sale, actor = _sale(sale_id, write=True)
    return jsonify(_sale_json(_sales().cancel(sale.id, actor=actor)))


@qris.post("/qris/notifications")
@operation(
    "A payment gateway reports a payment",
    tag="qris",
    body=_NOTIFICATION_IN,
    answers={200: Answer("The payment: posted, or already recorded.", PAYMENT_RESULT)},
    errors=(404, 409),
)
def notification() -> Response:
    """A payment gateway reports a payment (admin keys): the PaymentNotification JSON."""
    _caller(Role.ADMIN)
    note = PaymentNotification.from_mapping(_json_body())
    sale = _sales().by_reference(note.reference)
    access = _access(sale.enterprise, admin=True)
    try:
        result = _sales().apply_notification(note, actor=access.actor)
    except ValidationError as e:
        raise _books_fields(e) from None
    return jsonify(_result_json(result))
