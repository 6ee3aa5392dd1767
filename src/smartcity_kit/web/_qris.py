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
from smartcity_kit.economy.qris import (
    AdditionalData,
    MerchantAccount,
    MerchantCriteria,
    QrisMerchant,
    QrisPayload,
    mask_mobile_number,
    parse_qris,
    qr_png,
    qr_poster_html,
    qr_svg,
)
from smartcity_kit.economy.qris._sales import (
    PaymentNotification,
    PaymentResult,
    QrisSale,
    QrisSales,
    SaleItem,
    SaleStatus,
)
from smartcity_kit.errors import FieldError, NotFoundError, ValidationError
from smartcity_kit.storage import Role
from smartcity_kit.web._api import _json_body
from smartcity_kit.web._economy import (
    _access,
    _amount,
    _books_fields,
    _caller,
    _check,
    _day,
    _ext,
    _fail,
    _fields,
    _id,
    _iso,
    _number,
    _registry,
)

__all__ = ["qris"]

qris = Blueprint("smartcity_qris", __name__, url_prefix="/api/economy")
#: What each path extension serves.
_FORMATS: Final = {
    "json": "application/json",
    "png": "image/png",
    "svg": "image/svg+xml",
    "html": "text/html",
}
_PAGE: Final = 100
_MAX_PAGE: Final = 500


def _sales() -> QrisSales:
    sales: QrisSales = _ext("qris_sales")
    return sales


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
def static_code(enterprise_id: str, form: str | None = None) -> Response:
    """The enterprise's static code, for its poster: open to anyone, no key."""
    enterprise = _registry().get(enterprise_id)
    if enterprise.status is EnterpriseStatus.DISSOLVED:
        raise NotFoundError(f"{enterprise_id} is dissolved: it takes no payments")
    return _code(_sales().merchant(enterprise.id).static_payload(), form)


# --- sales -----------------------------------------------------------------------------------


@qris.post("/enterprises/<enterprise_id>/sales")
def create_sale(enterprise_id: str) -> tuple[Response, int]:
    """A pending sale: ``{"items": [{"name", "quantity", "unit_price"}], "date"?, "member"?}``."""
    access = _access(enterprise_id, write=True)
    values = _fields({"items": (_items, True), "date": (_day, False), "member": (_number, False)})
    items = values.pop("items")
    sale = _sales().create(access.id, items, actor=access.actor, **values)
    response = jsonify(_sale_json(sale))
    response.headers["Location"] = f"{qris.url_prefix}/sales/{sale.id}"
    return response, 201


def _whole_arg(name: str, low: int, high: int, default: int, problems: list[FieldError]) -> int:
    text = request.args.get(name)
    if not text:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 9) or not low <= int(text) <= high:
        problems.append(FieldError(name, f"must be a whole number from {low} to {high}"))
        return default
    return int(text)


@qris.get("/enterprises/<enterprise_id>/sales")
def list_sales(enterprise_id: str) -> Response:
    """The enterprise's sales, newest first: ``status``, ``limit`` (1-500, 100), ``offset``."""
    access = _access(enterprise_id)
    problems: list[FieldError] = []
    status = None
    text = request.args.get("status")
    if text:
        if text in {s.value for s in SaleStatus}:
            status = SaleStatus(text)
        else:
            problems.append(
                FieldError("status", "must be one of " + ", ".join(s.value for s in SaleStatus))
            )
    limit = _whole_arg("limit", 1, _MAX_PAGE, _PAGE, problems)
    offset = _whole_arg("offset", 0, 10**9, 0, problems)
    _check(problems)
    found = _sales().list(access.id, status=status, limit=limit, offset=offset)
    return jsonify({"limit": limit, "offset": offset, "items": [_sale_json(s) for s in found]})


def _sale(sale_id: int, *, write: bool = False) -> tuple[QrisSale, str]:
    """The sale and the caller's actor, if the caller may read (or ``write``) its enterprise."""
    _caller()  # no key, no answer: not even whether the sale exists
    sale = _sales().get(_id(sale_id))
    access = _access(sale.enterprise, write=write)
    return sale, access.actor


@qris.get("/sales/<int:sale_id>")
def get_sale(sale_id: int) -> Response:
    """One sale (readers of its enterprise)."""
    sale, _ = _sale(sale_id)
    return jsonify(_sale_json(sale))


@qris.get("/sales/<int:sale_id>/qris")
@qris.get("/sales/<int:sale_id>/qris.<form>")
def dynamic_code(sale_id: int, form: str | None = None) -> Response:
    """The sale's dynamic code with its amount; only while the sale is pending (else 409)."""
    sale, _ = _sale(sale_id)
    return _code(_sales().payload(sale.id), form)


@qris.post("/sales/<int:sale_id>/paid")
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
def cancel_sale(sale_id: int) -> Response:
    """Call off a pending sale (bookkeepers); a paid one is a 409."""
    sale, actor = _sale(sale_id, write=True)
    return jsonify(_sale_json(_sales().cancel(sale.id, actor=actor)))


@qris.post("/qris/notifications")
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
