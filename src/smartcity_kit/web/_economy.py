"""The economy JSON API under ``/api/economy/``: enterprises, members, books, SHU, waste banks.

Every request but the city overview names its caller with an API key (``X-API-Key`` or
``Authorization: Bearer``). Paths are relative to ``/api/economy``; ``<e>`` is an enterprise id
and ``<n>`` a member or entry number. *Readers* and *bookkeepers* are explained below.

==============================================  ====================  =======================
Endpoint                                        Who                   Answers
==============================================  ====================  =======================
``GET /enterprises``                            readers               200, 400, 403
``POST /enterprises``                           admins                201, 400, 403, 409
``GET /enterprises/<e>``                        readers of <e>        200, 403, 404
``POST|PATCH /enterprises/<e>/status``          admins                200, 400, 403, 404
``GET /enterprises/<e>/members``                readers of <e>        200, 400, 403, 404
``POST /enterprises/<e>/members``               bookkeepers of <e>    201, 400, 403, 404, 409
``GET /enterprises/<e>/members/<n>``            readers of <e>        200, 400, 403, 404
``POST|PATCH /enterprises/<e>/members/<n>``     bookkeepers of <e>    200, 400, 403, 404
``GET /enterprises/<e>/accounts``               readers of <e>        200, 403, 404
``POST /enterprises/<e>/accounts``              bookkeepers of <e>    201, 400, 403, 404
``GET /enterprises/<e>/entries``                readers of <e>        200, 400, 403, 404
``POST /enterprises/<e>/entries``               bookkeepers of <e>    201, 400, 403, 404
``GET /enterprises/<e>/entries/<n>``            readers of <e>        200, 403, 404
``POST /enterprises/<e>/entries/<n>/reverse``   bookkeepers of <e>    201, 400, 403, 404, 409
``POST /enterprises/<e>/transactions/<kind>``   bookkeepers of <e>    201, 400, 403, 404
``GET /enterprises/<e>/closings``               readers of <e>        200, 403, 404
``POST /enterprises/<e>/closings``              bookkeepers of <e>    201, 400, 403, 404
``GET /enterprises/<e>/statements``             readers of <e>        200, 400, 403, 404
``POST /enterprises/<e>/shu``                   bookkeepers of <e>    201, 400, 403, 404, 409
``GET /enterprises/<e>/shu/<year>``             readers of <e>        200, 403, 404
``POST /enterprises/<e>/shu/payments``          bookkeepers of <e>    201, 400, 403, 404
``GET /enterprises/<e>/waste/types``            readers of <e>        200, 403, 404
``POST /enterprises/<e>/waste/types``           bookkeepers of <e>    201, 400, 403, 404, 409
``GET /enterprises/<e>/waste/prices``           readers of <e>        200, 400, 403, 404
``POST /enterprises/<e>/waste/prices``          bookkeepers of <e>    201, 400, 403, 404
``POST /enterprises/<e>/waste/deposits``        bookkeepers of <e>    201, 400, 403, 404
``POST /enterprises/<e>/waste/withdrawals``     bookkeepers of <e>    201, 400, 403, 404
``POST /enterprises/<e>/waste/sales``           bookkeepers of <e>    201, 400, 403, 404
``GET /enterprises/<e>/waste/stock``            readers of <e>        200, 400, 403, 404
``GET /cities/<city>/overview``                 anyone (open data)    200, 400, 404
==============================================  ====================  =======================

Query parameters: ``/enterprises`` takes ``city``, ``district`` (a kecamatan code), ``sector``
and ``status``; ``/members`` takes ``active_on`` (a day); ``/members/<n>`` takes
``reveal=nik``; ``/entries`` takes ``period`` and ``kind``; ``/statements`` takes ``period``
and ``format`` (``json``, ``html`` or ``xlsx``); ``/waste/prices`` takes ``on`` (the prices in
force that day; without it, every price ever set) and ``waste_type``; ``/waste/stock`` takes
``as_of``; the overview takes ``period``, ``group_by`` (``district,sector`` by default; empty
for the city's total only), ``district`` and ``sector``. Lists of enterprises, members and
entries take ``page`` and ``page_size``.

The transaction kinds are ``sale``, ``purchase``, ``expense``, ``depreciation``,
``contribution``, ``savings-deposit`` and ``savings-withdrawal``; each maps to the
:class:`~smartcity_kit.economy.Books` helper of that name and takes its keyword arguments as
JSON fields (``{"date": "2026-03-02", "amount": 75000, "payment": "qris"}``).

Choices, and why:

- **Who may do what.** *Readers* of an enterprise are admin and auditor keys and the operator
  key whose ``agency`` is the enterprise's id. *Bookkeepers* (bendahara) of an enterprise are
  admin keys and that operator key: they may enrol members, extend the chart, post, reverse,
  close periods, share and pay the SHU and run the waste bank, for that enterprise only.
  Registering an enterprise and changing its status are for admins (the city's mentoring
  office). Auditor keys read everything and change nothing; Open311 client keys are refused.
  A key limited to a city (``ApiKey.city``) reaches that city's enterprises only. Every refusal
  is a 403 problem, given before the body is read, so a refused write changes nothing.
- **The city overview is open data**: sums per kecamatan and sector, no names, no member
  numbers, no single entries. It needs no key, like the Open311 service list.
- **Personal data.** Member names and NIKs are masked (``A*** N***``, ``737110******0001``) in
  every answer by default. The full name is shown to admins and to the enterprise's own
  operator, who keep the member book. The full NIK only to an admin who asks with
  ``?reveal=nik`` on one member, and that reveal is written to the audit log (nobody else may
  ask: 403). Ledger lines, SHU shares and waste deposits name members by number only.
- **Amounts are JSON integers of whole rupiah**; a float (``15000.0``), a boolean or text is
  refused with 400, as are amounts of Rp0 or less where something must move. Waste is weighed in
  whole grams. Dates are ``YYYY-MM-DD``; periods are ``2026``, ``2026-03``, ``2026-Q2`` or
  ``2026-01-01/2026-06-30`` (the current year when left out); both lie in the years 1900 to
  2999, which keeps every date sum and comparison inside the calendar.
- **Bad input** is a 400 problem naming each field (``lines[1].debit``, ``items[0].grams``,
  ``split.reserve``), checked before anything is written; a posting the books refuse (a closed
  period, an account not in the chart, savings below zero) is a 400 and writes nothing.
  Unknown fields are refused. An id the database could not hold is simply not found (404).
- **Writes answer 201** with what was made (the posted entry with its number, the member with
  their number); the audit log names the key (``key:<id>``) as the actor.
- **Statements** come as JSON, as printable HTML (``text/html``) or as an XLSX workbook sent
  as an attachment named ``laporan-keuangan-<e>-<period>.xlsx``.
- **Lists are paged** as the rest of the API (``page``, ``page_size`` up to 200, 50 by
  default): enterprises by id, members by number, journal entries by date and number.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

import attrs
from flask import Blueprint, Response, current_app, jsonify, request

from smartcity_kit.core import (
    Address,
    CityProfile,
    Clock,
    Nib,
    Nik,
    RegionCode,
    RegionLevel,
    Rupiah,
    ensure_utc,
)
from smartcity_kit.economy import (
    Account,
    AccountType,
    Books,
    CityEconomy,
    Enterprise,
    EnterpriseRegistry,
    EnterpriseStatus,
    EntryKind,
    FinancialStatements,
    JournalEntry,
    JournalLine,
    LegalForm,
    Member,
    MemberRole,
    Payment,
    Period,
    PeriodClosing,
    PricedItem,
    PurchaseKind,
    SavingsKind,
    Sector,
    ShuPool,
    ShuSplit,
    StockLevel,
    WasteBank,
    WasteDeposit,
    WasteItem,
    WastePrice,
    WasteSale,
    WasteType,
)
from smartcity_kit.economy._city import GROUPINGS
from smartcity_kit.economy._ledger import MAX_AMOUNT
from smartcity_kit.economy._wastebank import MAX_GRAMS
from smartcity_kit.errors import (
    FieldError,
    NotFoundError,
    PermissionDeniedError,
    UnknownRegionWarning,
    ValidationError,
)
from smartcity_kit.storage import ApiKey, ApiKeys, AuditLog, Role
from smartcity_kit.web._api import _json_body, _page
from smartcity_kit.web._auth import require
from smartcity_kit.web._openapi import PAGE, Answer, Param, Schema, component, operation, paged

__all__ = ["economy"]

economy = Blueprint("smartcity_economy", __name__, url_prefix="/api/economy")
_READERS: Final = (Role.ADMIN, Role.AUDITOR, Role.OPERATOR)
#: The largest number a path or a field may give as an id (the database's integer columns).
_MAX_ID: Final = 2**31 - 1
#: Dates and periods the API takes: wide enough for any ledger, far from the calendar's ends.
_FIRST_DAY: Final = dt.date(1900, 1, 1)
_LAST_DAY: Final = dt.date(2999, 12, 31)
_YEARS: Final = "must lie in the years 1900 to 2999"
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_CODE: Final = re.compile(r"[1-6][0-9]{3,7}")
_XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- services --------------------------------------------------------------------------------


def _ext(name: str) -> Any:
    return current_app.extensions["smartcity"][name]


def _registry() -> EnterpriseRegistry:
    registry: EnterpriseRegistry = _ext("enterprises")
    return registry


def _books() -> Books:
    books: Books = _ext("books")
    return books


def _waste_bank() -> WasteBank:
    bank: WasteBank = _ext("waste_bank")
    return bank


def _today() -> dt.date:
    """Today in the first served city's time zone (the year a period defaults to)."""
    clock: Clock = _ext("clock")
    cities: Sequence[CityProfile] = _ext("config").cities
    if cities:
        return cities[0].local_now(clock).date()
    return ensure_utc(clock.now()).date()


def _served() -> list[str]:
    return [city.slug for city in _ext("config").cities]


# --- the caller ------------------------------------------------------------------------------


@attrs.frozen
class _Access:
    """A caller allowed on one enterprise."""

    key: ApiKey
    enterprise: Enterprise

    @property
    def id(self) -> str:
        return self.enterprise.id

    @property
    def actor(self) -> str:
        return self.key.actor

    @property
    def sees_names(self) -> bool:
        """Admins and the enterprise's own operator see members' full names."""
        return self.key.role in (Role.ADMIN, Role.OPERATOR)


def _caller(*roles: Role) -> ApiKey:
    keys: ApiKeys = _ext("keys")
    return require(keys, request, *(roles or _READERS))


def _in_city(key: ApiKey, city: str) -> None:
    if key.city is not None and key.city != city:
        raise PermissionDeniedError(f"this key is for {key.city}, not {city}")


def _access(enterprise_id: str, *, write: bool = False, admin: bool = False) -> _Access:
    """The caller, if it may read (or ``write``, or do an ``admin``'s work) on the enterprise.

    Raises:
        PermissionDeniedError: No valid key, or a key that may not.
        NotFoundError: No such enterprise (asked only of keys that could be allowed).
    """
    key = _caller(Role.ADMIN) if admin else _caller()
    if key.role is Role.OPERATOR and key.agency != enterprise_id:
        raise PermissionDeniedError(
            f"this key keeps the books of {key.agency}, not of {enterprise_id}"
        )
    if write and key.role is Role.AUDITOR:
        raise PermissionDeniedError("auditor keys read; they change nothing")
    enterprise = _registry().get(enterprise_id)
    _in_city(key, enterprise.city)
    return _Access(key, enterprise)


def _created(body: Any, location: str | None = None) -> tuple[Response, int]:
    response = jsonify(body)
    if location is not None:
        response.headers["Location"] = location
    return response, 201


# --- JSON out --------------------------------------------------------------------------------


def _iso(value: dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return ensure_utc(value).isoformat()
    return value.isoformat()


def _enterprise_json(e: Enterprise, *, closed_through: dt.date | None = None) -> dict[str, Any]:
    address = e.address
    data: dict[str, Any] = {
        "id": e.id,
        "city": e.city,
        "name": e.name,
        "address": {
            "village": str(address.village),
            "district": str(address.district),
            "street": address.street,
            "lorong": address.lorong,
            "rt": address.rt,
            "rw": address.rw,
            "postal_code": address.postal_code,
        },
        "sector": e.sector.value,
        "legal_form": e.legal_form.value,
        "founded": e.founded.isoformat(),
        "nib": e.nib.value if e.nib else None,
        "mentor_agency": e.mentor_agency,
        "status": e.status.value,
    }
    if closed_through is not None:
        data["closed_through"] = closed_through.isoformat()
    return data


def _member_json(m: Member, *, full_name: bool, full_nik: bool = False) -> dict[str, Any]:
    nik = None
    if m.nik is not None:
        nik = m.nik.reveal() if full_nik else m.nik.masked()
    return {
        "enterprise": m.enterprise,
        "number": m.number,
        "name": m.name if full_name else m.masked_name,
        "nik": nik,
        "masked": {"name": not full_name, "nik": m.nik is not None and not full_nik},
        "joined": m.joined.isoformat(),
        "role": m.role.value,
        "left": _iso(m.left),
    }


def _account_json(a: Account) -> dict[str, Any]:
    return {
        "code": a.code,
        "name": a.name,
        "type": a.account_type.value,
        "contra": a.contra,
        "debit_normal": a.debit_normal,
        "savings": a.savings.value if a.savings else None,
    }


def _entry_json(e: JournalEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "enterprise": e.enterprise,
        "date": e.date.isoformat(),
        "kind": e.kind.value,
        "description": e.description,
        "total": e.total.amount,
        "reverses": e.reverses,
        "posted_at": _iso(e.posted_at),
        "posted_by": e.posted_by,
        "lines": [
            {
                "account": line.account,
                "debit": line.debit.amount,
                "credit": line.credit.amount,
                "member": line.member,
                "memo": line.memo,
            }
            for line in e.lines
        ],
    }


def _closing_json(c: PeriodClosing) -> dict[str, Any]:
    return {
        "enterprise": c.enterprise,
        "start": c.start.isoformat(),
        "through": c.through.isoformat(),
        "entry": c.entry,
        "result": c.result.amount,
        "closed_at": _iso(c.closed_at),
        "closed_by": c.closed_by,
    }


def _rupiah(value: Rupiah | None) -> int | None:
    return None if value is None else value.amount


def _entry_id(entry: object) -> object:
    return entry.id if isinstance(entry, JournalEntry) else entry


def _price_json(p: WastePrice) -> dict[str, Any]:
    return {
        "waste_type": p.waste_type,
        "effective_from": p.effective_from.isoformat(),
        "buy_per_kg": p.buy_per_kg.amount,
        "sell_per_kg": _rupiah(p.sell_per_kg),
    }


def _item_json(i: PricedItem) -> dict[str, Any]:
    return {
        "waste_type": i.waste_type,
        "grams": i.grams,
        "price_per_kg": i.price_per_kg.amount,
        "value": i.value.amount,
    }


def _deposit_json(d: WasteDeposit) -> dict[str, Any]:
    return {
        "entry": _entry_id(d.entry),
        "enterprise": d.enterprise,
        "member": d.member,
        "date": d.date.isoformat(),
        "items": [_item_json(i) for i in d.items],
        "total": d.total.amount,
    }


def _sale_json(s: WasteSale) -> dict[str, Any]:
    return {
        "entry": _entry_id(s.entry),
        "enterprise": s.enterprise,
        "date": s.date.isoformat(),
        "buyer": s.buyer,
        "items": [_item_json(i) for i in s.items],
        "amount": s.amount.amount,
        "cost": s.cost.amount,
    }


def _stock_json(s: StockLevel) -> dict[str, Any]:
    return {"waste_type": s.waste_type, "grams": s.grams, "value": s.value.amount}


# --- what the endpoints answer (checked in the tests; published at /api/openapi.json) --------

_TEXT: Final[Schema] = {"type": "string"}
_NULLABLE_TEXT: Final[Schema] = {"type": ["string", "null"]}
_DAY_OUT: Final[Schema] = {"type": "string", "format": "date"}
_NULLABLE_DAY_OUT: Final[Schema] = {"type": ["string", "null"], "format": "date"}
_INSTANT: Final[Schema] = {"type": ["string", "null"], "format": "date-time"}
_INT: Final[Schema] = {"type": "integer"}
_COUNT: Final[Schema] = {"type": "integer", "minimum": 0}
_NULLABLE_INT: Final[Schema] = {"type": ["integer", "null"]}


def _record(properties: Mapping[str, Schema], description: str = "") -> Schema:
    """An answer object whose properties are all always present."""
    schema: Schema = {"type": "object"}
    if description:
        schema["description"] = description
    schema["required"] = list(properties)
    schema["properties"] = dict(properties)
    return schema


def _list_of(item: Schema) -> Schema:
    return {"type": "array", "items": item}


ENTERPRISE: Final = component(
    "EconomyEnterprise",
    {
        **_record(
            {
                "id": _TEXT,
                "city": _TEXT,
                "name": _TEXT,
                "address": _record(
                    {
                        "village": _TEXT,
                        "district": _TEXT,
                        "street": _NULLABLE_TEXT,
                        "lorong": _NULLABLE_TEXT,
                        "rt": _NULLABLE_INT,
                        "rw": _NULLABLE_INT,
                        "postal_code": _NULLABLE_TEXT,
                    }
                ),
                "sector": {"enum": [s.value for s in Sector]},
                "legal_form": {"enum": [f.value for f in LegalForm]},
                "founded": _DAY_OUT,
                "nib": _NULLABLE_TEXT,
                "mentor_agency": _NULLABLE_TEXT,
                "status": {"enum": [s.value for s in EnterpriseStatus]},
            },
            "A neighbourhood enterprise (BULo, cooperative, waste bank...).",
        ),
    },
)
#: One enterprise, with the last day its books are closed through (when they ever were).
_ENTERPRISE_ONE: Final[Schema] = {
    "allOf": [ENTERPRISE],
    "properties": {"closed_through": _DAY_OUT},
}
_MEMBER_PROPERTIES: Final[dict[str, Schema]] = {
    "enterprise": _TEXT,
    "number": {"type": "integer", "minimum": 1},
    "name": {
        "type": "string",
        "description": "Masked (A*** N***) unless the caller keeps the book.",
    },
    "nik": {"type": ["string", "null"], "description": "Masked unless revealed (admins)."},
    "masked": _record({"name": {"type": "boolean"}, "nik": {"type": "boolean"}}),
    "joined": _DAY_OUT,
    "role": {"enum": [r.value for r in MemberRole]},
    "left": _NULLABLE_DAY_OUT,
}
MEMBER: Final = component(
    "EconomyMember", _record(_MEMBER_PROPERTIES, "A member; name and NIK masked for most callers.")
)
_MEMBER_WITH_SAVINGS: Final[Schema] = {
    "allOf": [MEMBER],
    "required": ["savings"],
    "properties": {
        "savings": {
            "type": "object",
            "description": "Whole rupiah held, per kind of savings.",
            "required": [k.value for k in SavingsKind],
            "properties": {k.value: _INT for k in SavingsKind},
        }
    },
}
ACCOUNT: Final = component(
    "EconomyAccount",
    _record(
        {
            "code": _TEXT,
            "name": _TEXT,
            "type": {"enum": [t.value for t in AccountType]},
            "contra": {"type": "boolean"},
            "debit_normal": {"type": "boolean"},
            "savings": {"enum": [*(k.value for k in SavingsKind), None]},
        },
        "An account of the chart (SAK EMKM).",
    ),
)
ENTRY: Final = component(
    "EconomyEntry",
    _record(
        {
            "id": {"type": "integer", "minimum": 1},
            "enterprise": _TEXT,
            "date": _DAY_OUT,
            "kind": {"enum": [k.value for k in EntryKind]},
            "description": _TEXT,
            "total": _COUNT,
            "reverses": _NULLABLE_INT,
            "posted_at": _INSTANT,
            "posted_by": _NULLABLE_TEXT,
            "lines": _list_of(
                _record(
                    {
                        "account": _TEXT,
                        "debit": _COUNT,
                        "credit": _COUNT,
                        "member": _NULLABLE_INT,
                        "memo": _NULLABLE_TEXT,
                    }
                )
            ),
        },
        "A posted journal entry; amounts in whole rupiah, members by number.",
    ),
)
CLOSING: Final = component(
    "EconomyClosing",
    _record(
        {
            "enterprise": _TEXT,
            "start": _DAY_OUT,
            "through": _DAY_OUT,
            "entry": _NULLABLE_INT,
            "result": _INT,
            "closed_at": _INSTANT,
            "closed_by": _NULLABLE_TEXT,
        },
        "A closing of the books (tutup buku) through a day.",
    ),
)
_STATEMENT_LINE: Final = _record(
    {
        "label": _TEXT,
        "code": _NULLABLE_TEXT,
        "amount": _INT,
        "previous": _NULLABLE_INT,
        "level": _COUNT,
        "total": {"type": "boolean"},
        "heading": {"type": "boolean"},
    }
)
_LINES: Final = _list_of(_STATEMENT_LINE)
_PERIOD_OUT: Final = _record({"start": _DAY_OUT, "end": _DAY_OUT, "label": _TEXT})
STATEMENTS: Final = component(
    "EconomyStatements",
    _record(
        {
            "title": _TEXT,
            "enterprise": _record({"id": _TEXT, "city": _TEXT, "name": _TEXT}),
            "period": _PERIOD_OUT,
            "generated_at": {"type": "string", "format": "date-time"},
            "balanced": {"type": "boolean"},
            "balance_sheet": _record(
                {
                    "title": _TEXT,
                    "as_of": _DAY_OUT,
                    "previous_as_of": _DAY_OUT,
                    "assets": _LINES,
                    "liabilities": _LINES,
                    "equity": _LINES,
                    "total_assets": _INT,
                    "total_liabilities": _INT,
                    "total_equity": _INT,
                    "total_liabilities_and_equity": _INT,
                    "balanced": {"type": "boolean"},
                }
            ),
            "income_statement": _record(
                {
                    "title": _TEXT,
                    "period": _PERIOD_OUT,
                    "revenue": _LINES,
                    "cost_of_sales": _LINES,
                    "expenses": _LINES,
                    "total_revenue": _INT,
                    "total_cost_of_sales": _INT,
                    "gross_profit": _INT,
                    "total_expenses": _INT,
                    "net_income": _INT,
                }
            ),
            "notes": _record(
                {
                    "title": _TEXT,
                    "entity": _record(
                        {
                            "id": _TEXT,
                            "name": _TEXT,
                            "legal_form": _TEXT,
                            "sector": _TEXT,
                            "address": _TEXT,
                            "nib": _NULLABLE_TEXT,
                            "founded": _DAY_OUT,
                            "mentor_agency": _NULLABLE_TEXT,
                            "members": _COUNT,
                        }
                    ),
                    "basis": _TEXT,
                    "policies": _list_of(_TEXT),
                    "details": _list_of(
                        _record(
                            {
                                "number": {"type": "integer", "minimum": 1},
                                "title": _TEXT,
                                "lines": _LINES,
                            }
                        )
                    ),
                    "closed_through": _NULLABLE_DAY_OUT,
                }
            ),
        },
        "Financial statements to SAK EMKM: balance sheet, income statement, notes.",
    ),
)
_POOLS: Final = [p.value for p in ShuPool]
SHU: Final = component(
    "EconomyShu",
    _record(
        {
            "enterprise": _TEXT,
            "year": _INT,
            "surplus": _INT,
            "member_surplus": _INT,
            "non_member_surplus": _INT,
            "split": {
                "type": "object",
                "description": "Percent per pool, as text.",
                "required": _POOLS,
                "properties": dict.fromkeys(_POOLS, _TEXT),
            },
            "pools": {
                "type": "object",
                "description": "Whole rupiah per pool.",
                "properties": dict.fromkeys(_POOLS, _INT),
            },
            "members": _list_of(
                _record(
                    {
                        "member": _INT,
                        "transactions": _INT,
                        "savings": _INT,
                        "business": _INT,
                        "capital": _INT,
                        "total": _INT,
                    }
                )
            ),
            "adjustments": _list_of(_record({"stage": _TEXT, "recipient": _TEXT, "rupiah": _INT})),
        },
        "A year's SHU (cooperative surplus) as shared; members by number.",
    ),
)
WASTE_TYPE: Final = component(
    "EconomyWasteType", _record({"code": _TEXT, "name": _TEXT}, "A waste type the bank takes.")
)
WASTE_PRICE: Final = component(
    "EconomyWastePrice",
    _record(
        {
            "waste_type": _TEXT,
            "effective_from": _DAY_OUT,
            "buy_per_kg": _INT,
            "sell_per_kg": _NULLABLE_INT,
        },
        "A price per kilogram in whole rupiah, from a day.",
    ),
)
_PRICED_ITEM: Final = _record(
    {"waste_type": _TEXT, "grams": _COUNT, "price_per_kg": _INT, "value": _INT}
)
WASTE_DEPOSIT: Final = component(
    "EconomyWasteDeposit",
    _record(
        {
            "entry": _INT,
            "enterprise": _TEXT,
            "member": _INT,
            "date": _DAY_OUT,
            "items": _list_of(_PRICED_ITEM),
            "total": _INT,
        },
        "Waste a member brought, priced; its value went to their waste savings.",
    ),
)
WASTE_SALE: Final = component(
    "EconomyWasteSale",
    _record(
        {
            "entry": _INT,
            "enterprise": _TEXT,
            "date": _DAY_OUT,
            "buyer": _TEXT,
            "items": _list_of(_PRICED_ITEM),
            "amount": _INT,
            "cost": _INT,
        },
        "Waste the bank sold on.",
    ),
)
WASTE_STOCK: Final = component(
    "EconomyWasteStock",
    _record(
        {"waste_type": _TEXT, "grams": _INT, "value": _INT},
        "The waste of one type in store, at cost.",
    ),
)
_FIGURES: Final = {
    "revenue": _INT,
    "surplus": _INT,
    "waste_grams": _COUNT,
    "waste_kg": {"type": "string", "description": "Kilograms, as exact decimal text."},
}
CITY_OVERVIEW: Final = component(
    "EconomyCityOverview",
    _record(
        {
            "city": _TEXT,
            "period": _record({"start": _DAY_OUT, "end": _DAY_OUT}),
            "group_by": _list_of({"enum": list(GROUPINGS)}),
            "rows": _list_of(
                _record(
                    {
                        "district": _NULLABLE_TEXT,
                        "sector": _NULLABLE_TEXT,
                        "enterprises": _COUNT,
                        "members": _COUNT,
                        **_FIGURES,
                    }
                )
            ),
            "total": _record(
                {
                    "district": _NULLABLE_TEXT,
                    "sector": _NULLABLE_TEXT,
                    "enterprises": _COUNT,
                    "members": _COUNT,
                    **_FIGURES,
                }
            ),
            "trend": _list_of(
                _record(
                    {
                        "month": _TEXT,
                        "start": _DAY_OUT,
                        "end": _DAY_OUT,
                        **_FIGURES,
                        "active_enterprises": _COUNT,
                    }
                )
            ),
        },
        "The city's figures by kecamatan and sector, with the monthly trend (no names).",
    ),
)
_LOCATION: Final = {"Location": "Where the new thing is read."}


# --- JSON in ---------------------------------------------------------------------------------

_Reader = Callable[[Any], Any]
_Spec = Mapping[str, tuple[_Reader, bool]]

#: The JSON Schema of what each reader takes (see :func:`_body`); registered where it is made.
_SCHEMAS: Final[dict[_Reader, Schema]] = {}


def _described(schema: Schema, read: _Reader) -> _Reader:
    """``read``, with ``schema`` as the JSON Schema of the values it takes."""
    _SCHEMAS[read] = schema
    return read


def _nullable(schema: Schema) -> Schema:
    """``schema`` also taking null (an optional field sent as null counts as left out)."""
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None]}
    kind = schema["type"]
    kinds = [kind] if isinstance(kind, str) else list(kind)
    return {**schema, "type": [*kinds, "null"]}


def _body(spec: _Spec, description: str = "") -> Schema:
    """The JSON Schema of a body read by ``spec``: an object of those fields and no others."""
    schema: Schema = {"type": "object"}
    if description:
        schema["description"] = description
    required = [name for name, (_, needed) in spec.items() if needed]
    if required:
        schema["required"] = required
    schema["properties"] = {
        name: _SCHEMAS[read] if needed else _nullable(_SCHEMAS[read])
        for name, (read, needed) in spec.items()
    }
    schema["additionalProperties"] = False
    return schema


def _fields(spec: _Spec, *, optional: bool = False) -> dict[str, Any]:
    """The body's fields read by ``spec`` (name: reader, required), the absent ones left out.

    The body is checked against the endpoint's schema first; the readers then check every
    field as before, so one answer names every problem (a reader's message where both speak
    of the same field).

    Raises:
        ValidationError: The body is not a JSON object, holds other fields, or fields are wrong;
            one problem per field.
    """
    declared: Sequence[FieldError] = ()
    if optional and not request.get_data(cache=True):
        data: dict[str, Any] = {}
    else:
        try:
            data = _json_body()
        except ValidationError as e:
            found = request.get_json(silent=True)
            if not isinstance(found, dict):
                raise
            data, declared = found, e.errors
    problems = [FieldError(name, "is not a field here") for name in sorted(set(data) - set(spec))]
    values: dict[str, Any] = {}
    for name, (read, required) in spec.items():
        value = data.get(name)
        if value is None:
            if required:
                problems.append(FieldError(name, "is required"))
            continue
        try:
            values[name] = read(value)
        except ValidationError as error:
            problems.extend(
                FieldError(p.path if p.path.startswith(name) else name, p.message)
                for p in error.errors
            )
    named = {p.path for p in problems}
    problems.extend(p for p in declared if p.path not in named)
    if problems:
        raise ValidationError(problems)
    return values


def _fail(message: str) -> ValidationError:
    return ValidationError.single("", message)


def _text(max_len: int, pattern: str = r"\S") -> _Reader:
    """Non-empty text of at most ``max_len`` characters (``pattern``: its published form)."""

    def read(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise _fail("must be non-empty text")
        if len(value) > max_len:
            raise _fail(f"must be at most {max_len} characters")
        return value

    schema = {"type": "string", "minLength": 1, "maxLength": max_len, "pattern": pattern}
    return _described(schema, read)


def _whole(value: Any, low: int, high: int, what: str) -> int:
    if type(value) is not int or not low <= value <= high:
        raise _fail(f"must be {what} (a JSON integer from {low} to {high})")
    return value


def _amount(value: Any) -> Rupiah:
    """A positive amount of whole rupiah: a JSON integer, never a float or a boolean."""
    return Rupiah(_whole(value, 1, MAX_AMOUNT, "whole rupiah"))


def _number(value: Any) -> int:
    return _whole(value, 1, _MAX_ID, "a member number")


def _year(value: Any) -> int:
    return _whole(value, _FIRST_DAY.year, _LAST_DAY.year, "a year")


def _day(value: Any) -> dt.date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _fail("must be a date (YYYY-MM-DD)")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise _fail("must be a real date (YYYY-MM-DD)") from None
    if not _FIRST_DAY <= day <= _LAST_DAY:
        raise _fail(_YEARS)
    return day


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail("must be true or false")
    return value


def _code(value: Any) -> str:
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise _fail("must be an account code: 4 to 8 digits starting with 1-6, e.g. '4101'")
    return value


def _choice(kind: type[Any]) -> _Reader:
    names = ", ".join(k.value for k in kind)

    def read(value: Any) -> Any:
        if isinstance(value, str) and value in {k.value for k in kind}:
            return kind(value)
        raise _fail(f"must be one of {names}")

    return _described({"enum": [k.value for k in kind]}, read)


def _region(level: RegionLevel, example: str) -> _Reader:
    def read(value: Any) -> RegionCode:
        if not isinstance(value, str):
            raise _fail(f"must be a region code such as {example}")
        try:
            code = RegionCode.parse(value)
        except ValidationError as e:
            raise _fail(e.errors[0].message) from None
        if code.level != level:
            raise _fail(f"must be a {level.name.lower()} code such as {example}")
        return code

    return read


def _nik(value: Any) -> Nik:
    if not isinstance(value, str):
        raise _fail("must be a NIK (16 digits) as text")
    with warnings.catch_warnings():
        # A NIK keeps the code of a district that has since split: still a valid NIK.
        warnings.simplefilter("ignore", UnknownRegionWarning)
        try:
            return Nik.parse(value)
        except ValidationError as e:
            raise _fail(e.errors[0].message) from None


def _nib(value: Any) -> Nib:
    if not isinstance(value, str):
        raise _fail("must be a NIB (13 digits) as text")
    try:
        return Nib.parse(value)
    except ValidationError as e:
        raise _fail(e.errors[0].message) from None


_ADDRESS: Final = {"village", "street", "lorong", "rt", "rw", "postal_code"}


def _address(value: Any) -> Address:
    if not isinstance(value, dict):
        raise ValidationError.single("address", "must be an object with village and lorong")
    problems = [
        FieldError(f"address.{name}", "is not a field here")
        for name in sorted(set(value) - _ADDRESS)
    ]
    village: Any = None
    if value.get("village") is None:
        problems.append(FieldError("address.village", "is required"))
    else:
        try:
            village = _region(RegionLevel.VILLAGE, "73.71.03.1001")(value["village"])
        except ValidationError as e:
            problems.extend(FieldError("address.village", p.message) for p in e.errors)
    if problems:
        raise ValidationError(problems)
    try:
        return Address(
            village=village,
            street=value.get("street"),
            lorong=value.get("lorong"),
            rt=value.get("rt"),
            rw=value.get("rw"),
            postal_code=value.get("postal_code"),
        )
    except ValidationError as e:
        raise e.prefixed("address") from None


_LINE: Final = {"account", "debit", "credit", "member", "memo"}


def _line(where: str, value: Any, problems: list[FieldError]) -> JournalLine | None:
    if not isinstance(value, dict):
        problems.append(FieldError(where, "must be an object {account, debit or credit, ...}"))
        return None
    found = len(problems)
    problems.extend(
        FieldError(f"{where}.{name}", "is not a field of a line")
        for name in sorted(set(value) - _LINE)
    )
    read: dict[str, Any] = {}
    for name, reader, required in (
        ("account", _code, True),
        ("debit", lambda v: _whole(v, 0, MAX_AMOUNT, "whole rupiah"), False),
        ("credit", lambda v: _whole(v, 0, MAX_AMOUNT, "whole rupiah"), False),
        ("member", _number, False),
        ("memo", _text(200), False),
    ):
        if value.get(name) is None:
            if required:
                problems.append(FieldError(f"{where}.{name}", "is required"))
            continue
        try:
            read[name] = reader(value[name])
        except ValidationError as e:
            problems.extend(FieldError(f"{where}.{name}", p.message) for p in e.errors)
    if len(problems) > found:
        return None
    debit, credit = read.get("debit", 0), read.get("credit", 0)
    if (debit > 0) == (credit > 0):
        problems.append(FieldError(where, "must have either a debit or a credit above 0"))
        return None
    return JournalLine(
        read["account"],
        debit=Rupiah(debit),
        credit=Rupiah(credit),
        member=read.get("member"),
        memo=read.get("memo"),
    )


def _lines(value: Any) -> list[JournalLine]:
    if not isinstance(value, list) or len(value) < 2:
        raise ValidationError.single("lines", "must be a list of at least two lines")
    problems: list[FieldError] = []
    lines = [_line(f"lines[{i}]", item, problems) for i, item in enumerate(value)]
    if problems:
        raise ValidationError(problems)
    return [line for line in lines if line is not None]


def _items(value: Any) -> list[WasteItem]:
    if not isinstance(value, list) or not value:
        raise ValidationError.single("items", "must be a list of {waste_type, grams}")
    problems: list[FieldError] = []
    items = []
    for i, item in enumerate(value):
        where = f"items[{i}]"
        if not isinstance(item, dict):
            problems.append(FieldError(where, "must be an object {waste_type, grams}"))
            continue
        problems.extend(
            FieldError(f"{where}.{name}", "is not a field of an item")
            for name in sorted(set(item) - {"waste_type", "grams"})
        )
        waste_type: Any = item.get("waste_type")
        grams: Any = item.get("grams")
        try:
            items.append(WasteItem(waste_type=waste_type, grams=grams))
        except ValidationError as e:
            problems.extend(e.prefixed(where).errors)
    if problems:
        raise ValidationError(problems)
    return items


def _split(value: Any) -> ShuSplit:
    return ShuSplit.from_percent(value)


# --- what the readers take, as JSON Schema (checked first; published at /api/openapi.json) ---

_DAY_SHAPE: Final = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
#: A day, as :func:`_day` reads it (and the query parameters that take a day).
_DAY_SCHEMA: Final[Schema] = {
    "type": "string",
    "description": "A day, YYYY-MM-DD, in the years 1900 to 2999.",
    "pattern": _DAY_SHAPE,
    "x-error": "must be a date (YYYY-MM-DD)",
    "if": {"pattern": _DAY_SHAPE},
    "then": {
        "allOf": [
            {"format": "date", "x-error": "must be a real date (YYYY-MM-DD)"},
            {"pattern": "^(19|2[0-9])", "x-error": _YEARS},
        ]
    },
}
_ID_SCHEMA: Final[Schema] = {"type": "integer", "minimum": 1, "maximum": _MAX_ID}
_AMOUNT_SCHEMA: Final[Schema] = {
    "type": "integer",
    "minimum": 1,
    "maximum": MAX_AMOUNT,
    "description": "Whole rupiah, as a JSON integer.",
}
_LINE_AMOUNT: Final[Schema] = {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_AMOUNT}
_ACCOUNT_CODE: Final[Schema] = {
    "type": "string",
    "pattern": "^[1-6][0-9]{3,7}$",
    "description": "4 to 8 digits; the first (1-6) is the account's group.",
}
_WASTE_CODE: Final[Schema] = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,31}$"}
_SEP: Final = r"[\s.-]"
#: A kecamatan code, dotted (73.71.10), spaced or plain (737110).
_DISTRICT_PATTERN: Final = (
    rf"^{_SEP}*[0-9]{{2}}{_SEP}+[0-9]{{2}}{_SEP}+[0-9]{{2}}{_SEP}*$|^\s*[0-9]{{6}}\s*$"
)
_VILLAGE_PATTERN: Final = (
    rf"^{_SEP}*[0-9]{{2}}{_SEP}+[0-9]{{2}}{_SEP}+[0-9]{{2}}{_SEP}+[0-9]{{4}}{_SEP}*$"
    r"|^\s*[0-9]{10}\s*$"
)


def _optional_text(max_len: int) -> Schema:
    return {"type": ["string", "null"], "minLength": 1, "maxLength": max_len, "pattern": r"\S"}


_SCHEMAS.update(
    {
        _amount: _AMOUNT_SCHEMA,
        _number: {**_ID_SCHEMA, "description": "A member number."},
        _year: {"type": "integer", "minimum": _FIRST_DAY.year, "maximum": _LAST_DAY.year},
        _day: _DAY_SCHEMA,
        _flag: {"type": "boolean"},
        _code: _ACCOUNT_CODE,
        _nik: {"type": "string", "description": "The NIK (16 digits), as text."},
        _nib: {"type": "string", "description": "The NIB (13 digits), as text."},
        _address: {
            "type": "object",
            "required": ["village"],
            "properties": {
                "village": {
                    "type": "string",
                    "pattern": _VILLAGE_PATTERN,
                    "description": "The kelurahan or desa code, e.g. 73.71.03.1001.",
                },
                "street": _optional_text(200),
                "lorong": _optional_text(100),
                "rt": {"type": ["integer", "null"], "minimum": 1, "maximum": 999},
                "rw": {"type": ["integer", "null"], "minimum": 1, "maximum": 999},
                "postal_code": {"type": ["string", "null"], "pattern": "^[1-9][0-9]{4}$"},
            },
            "additionalProperties": False,
        },
        _lines: {
            "type": "array",
            "minItems": 2,
            "description": "The lines; each has either a debit or a credit above 0.",
            "items": {
                "type": "object",
                "required": ["account"],
                "properties": {
                    "account": _ACCOUNT_CODE,
                    "debit": _LINE_AMOUNT,
                    "credit": _LINE_AMOUNT,
                    "member": {**_ID_SCHEMA, "type": ["integer", "null"]},
                    "memo": _optional_text(200),
                },
                "additionalProperties": False,
            },
        },
        _items: {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["waste_type", "grams"],
                "properties": {
                    "waste_type": _WASTE_CODE,
                    "grams": {"type": "integer", "minimum": 1, "maximum": MAX_GRAMS},
                },
                "additionalProperties": False,
            },
        },
        _split: {
            "type": "object",
            "description": "Percent per pool (text with at most 2 decimals, or a whole number); "
            "pools left out get 0%; they add up to 100.",
            "properties": {
                pool.value: {
                    "type": ["string", "integer"],
                    "minimum": 0,
                    "pattern": r"^\s*[0-9]+(\.[0-9]{1,2})?\s*$",
                }
                for pool in ShuPool
            },
            "additionalProperties": False,
        },
    }
)


def _arg(name: str, read: _Reader, problems: list[FieldError]) -> Any:
    """The query parameter ``name`` read by ``read`` (None when absent; problems are kept)."""
    value = request.args.get(name)
    if not value:
        return None
    try:
        return read(value)
    except ValidationError as e:
        problems.extend(FieldError(name, p.message) for p in e.errors)
        return None


def _period(problems: list[FieldError]) -> Period:
    text = request.args.get("period")
    if not text:
        return Period.year(_today().year)
    try:
        period = Period.parse(text)
    except ValidationError as e:
        problems.extend(e.errors)
        return Period.year(_today().year)
    if period.start < _FIRST_DAY or period.end > _LAST_DAY:
        problems.append(FieldError("period", _YEARS))
    return period


def _paging(problems: list[FieldError]) -> tuple[int, int]:
    """``page`` and ``page_size``, their problems kept with the other parameters'."""
    try:
        return _page()
    except ValidationError as e:
        problems.extend(e.errors)
        return 1, 1


def _check(problems: list[FieldError]) -> None:
    if problems:
        raise ValidationError(problems)


def _id(value: int) -> int:
    """A number from the path, not found if the database could not hold it."""
    if value > _MAX_ID:
        raise NotFoundError(f"there is no number {value}")
    return value


def _books_fields(error: ValidationError) -> ValidationError:
    """The books' errors about their own lines, told as the transaction's fields."""
    fields: list[FieldError] = []
    for p in error.errors:
        path = p.path
        if re.fullmatch(r"lines\[\d+\]\.member", path):
            path = "member"
        elif path == "lines":
            path = "amount"
        fields.append(FieldError(path, p.message))
    return ValidationError(fields)


# --- query parameters ------------------------------------------------------------------------

_PERIOD_PATTERN: Final = (
    r"^\s*([0-9]{4}(-(0[1-9]|1[0-2])|-[Qq][1-4])?"
    r"|[0-9]{4}-[0-9]{2}-[0-9]{2}(/|\.\.)[0-9]{4}-[0-9]{2}-[0-9]{2})\s*$"
)
_PERIOD_PARAM: Final = Param(
    "period",
    {
        "type": "string",
        "pattern": _PERIOD_PATTERN,
        "x-error": "must be a year (2026), a month (2026-03), a quarter (2026-Q2) or a range "
        "(2026-01-01/2026-06-30)",
    },
    "2026, 2026-03, 2026-Q2 or 2026-01-01/2026-06-30, in the years 1900 to 2999 "
    "(the current year when left out).",
)
_SECTOR_PARAM: Final = Param("sector", {"enum": [s.value for s in Sector]}, "Only this sector.")


def _day_param(name: str, description: str) -> Param:
    return Param(name, _DAY_SCHEMA, description)


def _district_param(message: str) -> Param:
    schema = {"type": "string", "pattern": _DISTRICT_PATTERN, "x-error": message}
    return Param("district", schema, "Only this kecamatan (e.g. 73.71.10).")


# --- enterprises -----------------------------------------------------------------------------


@economy.get("/enterprises")
@operation(
    "List enterprises",
    tag="economy",
    query=(
        *PAGE,
        Param("city", {"type": "string"}, "Only this city's (a city key sees its own only)."),
        _district_param("must be a district code such as 73.71.10"),
        _SECTOR_PARAM,
        Param("status", {"enum": [s.value for s in EnterpriseStatus]}, "Only this status."),
    ),
    answers={200: Answer("A page of enterprises, by id.", paged(ENTERPRISE))},
)
def list_enterprises() -> Response:
    """Enterprises by id; an operator sees its own, a city key its city's."""
    key = _caller()
    problems: list[FieldError] = []
    page, size = _paging(problems)
    filters: dict[str, Any] = {
        "city": request.args.get("city") or None,
        "district": _arg("district", _region(RegionLevel.DISTRICT, "73.71.10"), problems),
        "sector": _arg("sector", _choice(Sector), problems),
        "status": _arg("status", _choice(EnterpriseStatus), problems),
    }
    _check(problems)
    if filters["city"] is not None:
        _in_city(key, filters["city"])
    elif key.city is not None:
        filters["city"] = key.city
    found = _registry().enterprises(**filters)
    if key.role is Role.OPERATOR:
        found = [e for e in found if e.id == key.agency]
    items = found[(page - 1) * size : page * size]
    return jsonify({"page": page, "page_size": size, "items": [_enterprise_json(e) for e in items]})


_ENTERPRISE: Final = {
    "id": (_text(64, "^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$"), True),
    "city": (_text(64), False),
    "name": (_text(200), True),
    "address": (_address, True),
    "sector": (_choice(Sector), True),
    "legal_form": (_choice(LegalForm), True),
    "founded": (_day, True),
    "nib": (_nib, False),
    "mentor_agency": (_text(200), False),
    "status": (_choice(EnterpriseStatus), False),
}


@economy.post("/enterprises")
@operation(
    "Register an enterprise",
    tag="economy",
    body=_body(_ENTERPRISE, "The city may be left out by a key limited to one city."),
    answers={201: Answer("The enterprise as registered.", ENTERPRISE, headers=_LOCATION)},
    errors=(409,),
)
def register_enterprise() -> tuple[Response, int]:
    """Register an enterprise with the SAK EMKM chart of accounts (admins)."""
    key = _caller(Role.ADMIN)
    values = _fields(_ENTERPRISE)
    city = values.setdefault("city", key.city)
    if city is None:
        raise ValidationError.single("city", "is required")
    if city not in _served():
        raise ValidationError.single("city", "must be one of " + ", ".join(_served()))
    _in_city(key, city)
    made = _registry().register(Enterprise(**values), actor=key.actor)
    return _created(_enterprise_json(made), f"{economy.url_prefix}/enterprises/{made.id}")


@economy.get("/enterprises/<enterprise_id>")
@operation(
    "Read an enterprise",
    tag="economy",
    answers={200: Answer("The enterprise.", _ENTERPRISE_ONE)},
)
def get_enterprise(enterprise_id: str) -> Response:
    """One enterprise, with the last day its books are closed through."""
    access = _access(enterprise_id)
    closed = _books().closed_through(access.id)
    return jsonify(_enterprise_json(access.enterprise, closed_through=closed))


_STATUS: Final = {"status": (_choice(EnterpriseStatus), True)}


@economy.route("/enterprises/<enterprise_id>/status", methods=["POST", "PATCH"])
@operation(
    "Change an enterprise's status",
    tag="economy",
    body=_body(_STATUS),
    answers={200: Answer("The enterprise as changed.", ENTERPRISE)},
    errors=(409,),
)
def set_status(enterprise_id: str) -> Response:
    """Mark an enterprise active, dormant or dissolved (admins); body ``{"status": ...}``."""
    access = _access(enterprise_id, write=True, admin=True)
    values = _fields(_STATUS)
    changed = _registry().set_status(access.id, values["status"], actor=access.actor)
    return jsonify(_enterprise_json(changed))


# --- members ---------------------------------------------------------------------------------


@economy.get("/enterprises/<enterprise_id>/members")
@operation(
    "List members",
    tag="economy",
    query=(*PAGE, _day_param("active_on", "Only those who belong on this day.")),
    answers={200: Answer("A page of members, by number.", paged(MEMBER))},
)
def list_members(enterprise_id: str) -> Response:
    """Members by number (those belonging on ``active_on``, if given); names masked for some."""
    access = _access(enterprise_id)
    problems: list[FieldError] = []
    page, size = _paging(problems)
    active_on = _arg("active_on", _day, problems)
    _check(problems)
    found = _registry().members(access.id, active_on=active_on)
    items = found[(page - 1) * size : page * size]
    return jsonify(
        {
            "page": page,
            "page_size": size,
            "items": [_member_json(m, full_name=access.sees_names) for m in items],
        }
    )


_NEW_MEMBER: Final = {
    "name": (_text(200), True),
    "joined": (_day, True),
    "nik": (_nik, False),
    "role": (_choice(MemberRole), False),
}


@economy.post("/enterprises/<enterprise_id>/members")
@operation(
    "Enrol a member",
    tag="economy",
    body=_body(_NEW_MEMBER),
    answers={201: Answer("The member with their number.", MEMBER, headers=_LOCATION)},
    errors=(409,),
)
def add_member(enterprise_id: str) -> tuple[Response, int]:
    """Enrol a resident; the member number is the enterprise's next."""
    access = _access(enterprise_id, write=True)
    values = _fields(_NEW_MEMBER)
    member = _registry().add_member(access.id, **values, actor=access.actor)
    return _created(
        _member_json(member, full_name=access.sees_names),
        f"{economy.url_prefix}/enterprises/{access.id}/members/{member.number}",
    )


@economy.get("/enterprises/<enterprise_id>/members/<int:number>")
@operation(
    "Read a member",
    tag="economy",
    query=(
        Param(
            "reveal",
            {"enum": ["nik"], "x-error": "may only be 'nik'"},
            "`nik`: show the NIK in full (admins; written to the audit log).",
        ),
    ),
    answers={200: Answer("The member with their savings.", _MEMBER_WITH_SAVINGS)},
)
def get_member(enterprise_id: str, number: int) -> Response:
    """One member with their savings of every kind; ``?reveal=nik`` (admins) shows the NIK."""
    access = _access(enterprise_id)
    reveal = request.args.get("reveal")
    if reveal not in (None, "", "nik"):
        raise ValidationError.single("reveal", "may only be 'nik'")
    full_nik = reveal == "nik"
    if full_nik and access.key.role is not Role.ADMIN:
        raise PermissionDeniedError("only admin keys may see a member's NIK in full")
    member = _registry().member(access.id, _id(number))
    savings = _books().savings(access.id, member.number)
    if full_nik and member.nik is not None:
        db = _registry().database
        with db.transaction() as conn:
            AuditLog(db, _ext("clock")).append(
                conn,
                actor=access.actor,
                action="economy.member.nik_revealed",
                subject=f"member:{access.id}/{member.number}",
            )
    data = _member_json(member, full_name=access.sees_names, full_nik=full_nik)
    data["savings"] = {kind.value: amount.amount for kind, amount in savings.items()}
    return jsonify(data)


_MEMBER_CHANGE: Final = {"role": (_choice(MemberRole), False), "left": (_day, False)}


@economy.route("/enterprises/<enterprise_id>/members/<int:number>", methods=["POST", "PATCH"])
@operation(
    "Change a member's office, or record that they left",
    tag="economy",
    body=_body(_MEMBER_CHANGE, "Give role, left or both."),
    answers={200: Answer("The member as changed.", MEMBER)},
)
def change_member(enterprise_id: str, number: int) -> Response:
    """Give a member another office or record that they left: ``{"role": ..., "left": ...}``."""
    access = _access(enterprise_id, write=True)
    values = _fields(_MEMBER_CHANGE)
    if not values:
        raise ValidationError.single("", "give role, left or both")
    changed = _registry().change_member(access.id, _id(number), **values, actor=access.actor)
    return jsonify(_member_json(changed, full_name=access.sees_names))


# --- chart of accounts -----------------------------------------------------------------------


@economy.get("/enterprises/<enterprise_id>/accounts")
@operation(
    "The chart of accounts",
    tag="economy",
    answers={200: Answer("The accounts, in code order.", _list_of(ACCOUNT))},
)
def list_accounts(enterprise_id: str) -> Response:
    """The enterprise's chart of accounts, in code order."""
    access = _access(enterprise_id)
    return jsonify([_account_json(a) for a in _books().chart(access.id).accounts])


_ACCOUNT: Final = {
    "code": (_code, True),
    "name": (_text(120), True),
    "contra": (_flag, False),
    "savings": (_choice(SavingsKind), False),
}


@economy.post("/enterprises/<enterprise_id>/accounts")
@operation(
    "Add an account to the chart",
    tag="economy",
    body=_body(_ACCOUNT),
    answers={201: Answer("The account as added.", ACCOUNT)},
)
def add_account(enterprise_id: str) -> tuple[Response, int]:
    """Add an account to the chart: ``{"code": "4104", "name": "Penjualan sirup"}``."""
    access = _access(enterprise_id, write=True)
    values = _fields(_ACCOUNT)
    made = _books().add_account(access.id, Account(**values), actor=access.actor)
    return _created(_account_json(made))


# --- the journal -----------------------------------------------------------------------------


@economy.get("/enterprises/<enterprise_id>/entries")
@operation(
    "The journal",
    tag="economy",
    query=(
        *PAGE,
        _PERIOD_PARAM,
        Param("kind", {"enum": [k.value for k in EntryKind]}, "Only entries of this kind."),
    ),
    answers={200: Answer("A page of entries, by date and number.", paged(ENTRY))},
)
def list_entries(enterprise_id: str) -> Response:
    """The journal by date and number, paged; ``period`` and ``kind`` narrow it."""
    access = _access(enterprise_id)
    problems: list[FieldError] = []
    page, size = _paging(problems)
    period = _period(problems) if request.args.get("period") else None
    kind = _arg("kind", _choice(EntryKind), problems)
    _check(problems)
    found = _books().entries(
        access.id, period=period, kind=kind, limit=size, offset=(page - 1) * size
    )
    return jsonify({"page": page, "page_size": size, "items": [_entry_json(e) for e in found]})


_MADE_ELSEWHERE: Final = {
    EntryKind.CLOSING: "closing entries are made by POST .../closings",
    EntryKind.REVERSAL: "reversals are made by POST .../entries/<n>/reverse",
}


_NEW_ENTRY: Final = {
    "date": (_day, True),
    "description": (_text(500), True),
    "kind": (_choice(EntryKind), False),
    "lines": (_lines, True),
}


@economy.post("/enterprises/<enterprise_id>/entries")
@operation(
    "Post a journal entry",
    tag="economy",
    body=_body(_NEW_ENTRY),
    answers={201: Answer("The posted entry with its number.", ENTRY, headers=_LOCATION)},
)
def post_entry(enterprise_id: str) -> tuple[Response, int]:
    """Post a general journal entry: ``{"date", "description", "kind"?, "lines": [...]}``."""
    access = _access(enterprise_id, write=True)
    values = _fields(_NEW_ENTRY)
    kind = values.get("kind", EntryKind.GENERAL)
    if kind in _MADE_ELSEWHERE:
        raise ValidationError.single("kind", _MADE_ELSEWHERE[kind])
    entry = JournalEntry(enterprise=access.id, **values)
    posted = _books().post(entry, actor=access.actor)
    return _created(
        _entry_json(posted), f"{economy.url_prefix}/enterprises/{access.id}/entries/{posted.id}"
    )


def _own_entry(access: _Access, number: int) -> JournalEntry:
    entry = _books().entry(_id(number))
    if entry.enterprise != access.id:
        raise NotFoundError(f"{access.id} has no journal entry #{number}")
    return entry


@economy.get("/enterprises/<enterprise_id>/entries/<int:number>")
@operation(
    "Read a journal entry",
    tag="economy",
    answers={200: Answer("The entry.", ENTRY)},
)
def get_entry(enterprise_id: str, number: int) -> Response:
    """One posted entry."""
    access = _access(enterprise_id)
    return jsonify(_entry_json(_own_entry(access, number)))


_REVERSAL: Final = {"date": (_day, False), "description": (_text(500), False)}


@economy.post("/enterprises/<enterprise_id>/entries/<int:number>/reverse")
@operation(
    "Reverse a journal entry",
    tag="economy",
    body=_body(_REVERSAL),
    body_optional=True,
    answers={201: Answer("The reversing entry.", ENTRY, headers=_LOCATION)},
    errors=(409,),
)
def reverse_entry(enterprise_id: str, number: int) -> tuple[Response, int]:
    """Undo a posted entry; the optional body gives ``date`` and ``description``."""
    access = _access(enterprise_id, write=True)
    values = _fields(_REVERSAL, optional=True)
    _own_entry(access, number)
    reversal = _books().reverse(number, **values, actor=access.actor)
    return _created(
        _entry_json(reversal),
        f"{economy.url_prefix}/enterprises/{access.id}/entries/{reversal.id}",
    )


# --- common transactions ---------------------------------------------------------------------

_DATE_AMOUNT: Final = {"date": (_day, True), "amount": (_amount, True)}
_PAYMENT: Final = {"payment": (_choice(Payment), False)}
_DESCRIPTION: Final = {"description": (_text(500), False)}
_SAVINGS: Final = {"member": (_number, True), "kind": (_choice(SavingsKind), True)}

_TRANSACTIONS: Final[
    Mapping[str, tuple[Mapping[str, tuple[_Reader, bool]], Callable[[Books], Callable[..., Any]]]]
] = {
    "sale": (
        {
            **_DATE_AMOUNT,
            **_PAYMENT,
            "cost": (_amount, False),
            "member": (_number, False),
            "account": (_code, False),
            **_DESCRIPTION,
        },
        lambda b: b.record_sale,
    ),
    "purchase": (
        {**_DATE_AMOUNT, "item": (_choice(PurchaseKind), False), **_PAYMENT, **_DESCRIPTION},
        lambda b: b.record_purchase,
    ),
    "expense": (
        {**_DATE_AMOUNT, "account": (_code, False), **_PAYMENT, **_DESCRIPTION},
        lambda b: b.record_expense,
    ),
    "depreciation": ({**_DATE_AMOUNT, **_DESCRIPTION}, lambda b: b.record_depreciation),
    "contribution": (
        {**_DATE_AMOUNT, **_PAYMENT, **_DESCRIPTION},
        lambda b: b.record_contribution,
    ),
    "savings-deposit": ({**_SAVINGS, **_DATE_AMOUNT, **_PAYMENT}, lambda b: b.deposit_savings),
    "savings-withdrawal": (
        {**_SAVINGS, **_DATE_AMOUNT, **_PAYMENT},
        lambda b: b.withdraw_savings,
    ),
}


def _transaction_body() -> Schema:
    """The body of any transaction kind: each kind takes its own fields (said per kind)."""
    specs = [spec for spec, _ in _TRANSACTIONS.values()]
    required = [
        name for name in specs[0] if all(spec.get(name, (None, False))[1] for spec in specs)
    ]
    properties: dict[str, Schema] = {}
    for spec in specs:
        for name, (read, _) in spec.items():
            properties[name] = _SCHEMAS[read] if name in required else _nullable(_SCHEMAS[read])
    kinds = "; ".join(
        f"{kind}: "
        + ", ".join(name if needed else f"{name}?" for name, (_, needed) in spec.items())
        for kind, (spec, _) in _TRANSACTIONS.items()
    )
    return {
        "type": "object",
        "description": f"The fields each kind takes (? optional): {kinds}.",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }


_TRANSACTION_BODY: Final = _transaction_body()
_TRANSACTION_KIND: Final = Param(
    "kind", {"enum": list(_TRANSACTIONS)}, "What is recorded.", where="path"
)


@economy.post("/enterprises/<enterprise_id>/transactions/<kind>")
@operation(
    "Record a transaction",
    tag="economy",
    path=(_TRANSACTION_KIND,),
    body=_TRANSACTION_BODY,
    answers={201: Answer("The posted entry.", ENTRY, headers=_LOCATION)},
)
def post_transaction(enterprise_id: str, kind: str) -> tuple[Response, int]:
    """Record a sale, purchase, expense, depreciation, contribution or savings movement."""
    access = _access(enterprise_id, write=True)
    found = _TRANSACTIONS.get(kind)
    if found is None:
        raise NotFoundError(
            f"there is no transaction kind {kind!r}; the kinds are " + ", ".join(_TRANSACTIONS)
        )
    spec, helper = found
    values = _fields(spec)
    try:
        posted = helper(_books())(access.id, **values, actor=access.actor)
    except ValidationError as e:
        raise _books_fields(e) from None
    return _created(
        _entry_json(posted), f"{economy.url_prefix}/enterprises/{access.id}/entries/{posted.id}"
    )


# --- closing the books -----------------------------------------------------------------------


@economy.get("/enterprises/<enterprise_id>/closings")
@operation(
    "The closings of the books",
    tag="economy",
    answers={200: Answer("The closings, oldest first.", _list_of(CLOSING))},
)
def list_closings(enterprise_id: str) -> Response:
    """The enterprise's closings, oldest first."""
    access = _access(enterprise_id)
    return jsonify([_closing_json(c) for c in _books().closings(access.id)])


_CLOSING: Final = {"through": (_day, True)}


@economy.post("/enterprises/<enterprise_id>/closings")
@operation(
    "Close the books through a day",
    tag="economy",
    body=_body(_CLOSING),
    answers={201: Answer("The closing.", CLOSING)},
)
def close_period(enterprise_id: str) -> tuple[Response, int]:
    """Close the books through a day (tutup buku): ``{"through": "2026-12-31"}``."""
    access = _access(enterprise_id, write=True)
    values = _fields(_CLOSING)
    closing = _books().close_period(access.id, values["through"], actor=access.actor)
    return _created(_closing_json(closing))


# --- statements ------------------------------------------------------------------------------


def _period_slug(period: Period) -> str:
    start = period.start
    if period == Period.year(start.year):
        return str(start.year)
    if period == Period.month(start.year, start.month):
        return f"{start.year}-{start.month:02d}"
    return f"{start.isoformat()}_{period.end.isoformat()}"


@economy.get("/enterprises/<enterprise_id>/statements")
@operation(
    "Financial statements",
    tag="economy",
    query=(
        _PERIOD_PARAM,
        Param(
            "format",
            {"enum": ["json", "html", "xlsx"], "x-error": "must be json, html or xlsx"},
            "json (the default), html (printable) or xlsx (an attachment).",
        ),
    ),
    answers={
        200: Answer(
            "The statements as JSON, HTML or an XLSX workbook.",
            STATEMENTS,
            media=("application/json", "text/html", _XLSX),
            headers={"Content-Disposition": "For xlsx: the attachment's file name."},
        )
    },
)
def statements(enterprise_id: str) -> Response:
    """The financial statements (SAK EMKM) of a period as JSON, HTML or XLSX."""
    access = _access(enterprise_id)
    problems: list[FieldError] = []
    period = _period(problems)
    form = request.args.get("format") or "json"
    if form not in ("json", "html", "xlsx"):
        problems.append(FieldError("format", "must be json, html or xlsx"))
    _check(problems)
    made: FinancialStatements = _books().statements(access.id, period)
    if form == "html":
        return Response(made.render_html(), mimetype="text/html")
    if form == "xlsx":
        response = Response(made.render_xlsx(), mimetype=_XLSX)
        name = f"laporan-keuangan-{access.id}-{_period_slug(period)}.xlsx"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return jsonify(made.to_json())


# --- cooperative surplus (SHU) ---------------------------------------------------------------


_SHU: Final = {"year": (_year, True), "date": (_day, True), "split": (_split, False)}


@economy.post("/enterprises/<enterprise_id>/shu")
@operation(
    "Share a closed year's SHU",
    tag="economy",
    body=_body(_SHU),
    answers={201: Answer("The distribution as posted.", SHU, headers=_LOCATION)},
    errors=(409,),
)
def distribute_shu(enterprise_id: str) -> tuple[Response, int]:
    """Share a closed year's surplus: ``{"year", "date", "split"?: {pool: percent}}``."""
    access = _access(enterprise_id, write=True)
    values = _fields(_SHU)
    year = values.pop("year")
    distribution = _books().distribute_shu(access.id, year, **values, actor=access.actor)
    return _created(
        {"enterprise": access.id, "year": year, **distribution.to_json()},
        f"{economy.url_prefix}/enterprises/{access.id}/shu/{year}",
    )


@economy.get("/enterprises/<enterprise_id>/shu/<int:year>")
@operation(
    "Read a year's SHU",
    tag="economy",
    answers={200: Answer("The distribution as posted.", SHU)},
)
def get_shu(enterprise_id: str, year: int) -> Response:
    """A year's SHU distribution as posted (members by number)."""
    access = _access(enterprise_id)
    if year > _LAST_DAY.year:
        raise NotFoundError(f"no SHU of {year}")
    found = _books().shu(access.id, year)
    return jsonify({"enterprise": access.id, "year": year, **found.to_json()})


_SHU_PAYMENT: Final = {"member": (_number, True), "date": (_day, True), **_PAYMENT}


@economy.post("/enterprises/<enterprise_id>/shu/payments")
@operation(
    "Pay a member the SHU owed",
    tag="economy",
    body=_body(_SHU_PAYMENT),
    answers={201: Answer("The payment's entry.", ENTRY)},
)
def pay_shu(enterprise_id: str) -> tuple[Response, int]:
    """Pay a member all SHU owed: ``{"member", "date", "payment"?}``."""
    access = _access(enterprise_id, write=True)
    values = _fields(_SHU_PAYMENT)
    member = values.pop("member")
    posted = _books().pay_shu(access.id, member, **values, actor=access.actor)
    return _created(_entry_json(posted))


# --- the waste bank --------------------------------------------------------------------------


@economy.get("/enterprises/<enterprise_id>/waste/types")
@operation(
    "The waste types",
    tag="economy",
    answers={200: Answer("The waste types the bank takes.", _list_of(WASTE_TYPE))},
)
def list_waste_types(enterprise_id: str) -> Response:
    """The waste types the bank takes."""
    access = _access(enterprise_id)
    return jsonify([{"code": t.code, "name": t.name} for t in _waste_bank().waste_types(access.id)])


_WASTE_TYPE: Final = {
    "code": (_text(32, _WASTE_CODE["pattern"]), True),
    "name": (_text(100), True),
}


@economy.post("/enterprises/<enterprise_id>/waste/types")
@operation(
    "Add a waste type",
    tag="economy",
    body=_body(_WASTE_TYPE),
    answers={201: Answer("The waste type.", WASTE_TYPE)},
    errors=(409,),
)
def add_waste_type(enterprise_id: str) -> tuple[Response, int]:
    """Add a waste type: ``{"code": "pet", "name": "Plastik PET"}``."""
    access = _access(enterprise_id, write=True)
    values = _fields(_WASTE_TYPE)
    waste_type = WasteType(**values)
    made = _waste_bank().add_waste_type(access.id, waste_type, actor=access.actor)
    made = made if isinstance(made, WasteType) else waste_type
    return _created({"code": made.code, "name": made.name})


@economy.get("/enterprises/<enterprise_id>/waste/prices")
@operation(
    "Waste prices",
    tag="economy",
    query=(
        _day_param("on", "The prices in force on this day (else every price ever set)."),
        Param("waste_type", {"type": "string"}, "Only this waste type's."),
    ),
    answers={200: Answer("The prices.", _list_of(WASTE_PRICE))},
)
def list_waste_prices(enterprise_id: str) -> Response:
    """The prices in force ``on`` a day, or (without ``on``) every price ever set."""
    access = _access(enterprise_id)
    problems: list[FieldError] = []
    on = _arg("on", _day, problems)
    waste_type = request.args.get("waste_type") or None
    _check(problems)
    bank = _waste_bank()
    if on is not None:
        prices = list(bank.prices(access.id, on=on).values())
        if waste_type is not None:
            prices = [p for p in prices if p.waste_type == waste_type]
    else:
        prices = list(bank.price_history(access.id, waste_type))
    return jsonify([_price_json(p) for p in prices])


_WASTE_PRICE: Final = {
    "waste_type": (_text(32, _WASTE_CODE["pattern"]), True),
    "effective_from": (_day, True),
    "buy_per_kg": (_amount, True),
    "sell_per_kg": (_amount, False),
}


@economy.post("/enterprises/<enterprise_id>/waste/prices")
@operation(
    "Set a waste price",
    tag="economy",
    body=_body(_WASTE_PRICE),
    answers={201: Answer("The price.", WASTE_PRICE)},
    errors=(409,),
)
def set_waste_price(enterprise_id: str) -> tuple[Response, int]:
    """Set a price per kg from a day: ``{"waste_type", "effective_from", "buy_per_kg", ...}``."""
    access = _access(enterprise_id, write=True)
    values = _fields(_WASTE_PRICE)
    price = WastePrice(**values)
    made = _waste_bank().set_price(access.id, price, actor=access.actor)
    return _created(_price_json(made if isinstance(made, WastePrice) else price))


_WASTE_DEPOSIT: Final = {"member": (_number, True), "date": (_day, True), "items": (_items, True)}


@economy.post("/enterprises/<enterprise_id>/waste/deposits")
@operation(
    "A member deposits waste",
    tag="economy",
    body=_body(_WASTE_DEPOSIT),
    answers={201: Answer("The deposit, priced.", WASTE_DEPOSIT)},
)
def waste_deposit(enterprise_id: str) -> tuple[Response, int]:
    """A member brings sorted waste: ``{"member", "date", "items": [{waste_type, grams}]}``."""
    access = _access(enterprise_id, write=True)
    values = _fields(_WASTE_DEPOSIT)
    member = values.pop("member")
    deposit = _waste_bank().deposit(access.id, member, **values, actor=access.actor)
    return _created(_deposit_json(deposit))


_WASTE_WITHDRAWAL: Final = {"member": (_number, True), **_DATE_AMOUNT, **_PAYMENT}


@economy.post("/enterprises/<enterprise_id>/waste/withdrawals")
@operation(
    "A member withdraws waste savings",
    tag="economy",
    body=_body(_WASTE_WITHDRAWAL),
    answers={201: Answer("The withdrawal's entry.", ENTRY)},
)
def waste_withdrawal(enterprise_id: str) -> tuple[Response, int]:
    """A member takes money from their waste savings: ``{"member", "date", "amount", ...}``."""
    access = _access(enterprise_id, write=True)
    values = _fields(_WASTE_WITHDRAWAL)
    member = values.pop("member")
    try:
        posted = _waste_bank().withdraw(access.id, member, **values, actor=access.actor)
    except ValidationError as e:
        raise _books_fields(e) from None
    return _created(_entry_json(posted))


_WASTE_SALE: Final = {
    "date": (_day, True),
    "buyer": (_text(200), True),
    "items": (_items, True),
    "amount": (_amount, False),
    **_PAYMENT,
}


@economy.post("/enterprises/<enterprise_id>/waste/sales")
@operation(
    "The bank sells waste",
    tag="economy",
    body=_body(_WASTE_SALE),
    answers={201: Answer("The sale.", WASTE_SALE)},
)
def waste_sale(enterprise_id: str) -> tuple[Response, int]:
    """The bank sells waste on: ``{"date", "buyer", "items", "amount"?, "payment"?}``."""
    access = _access(enterprise_id, write=True)
    values = _fields(_WASTE_SALE)
    sale = _waste_bank().sell(access.id, **values, actor=access.actor)
    return _created(_sale_json(sale))


@economy.get("/enterprises/<enterprise_id>/waste/stock")
@operation(
    "Waste in store",
    tag="economy",
    query=(_day_param("as_of", "The stock at the end of this day (else now)."),),
    answers={200: Answer("The stock by waste type.", _list_of(WASTE_STOCK))},
)
def waste_stock(enterprise_id: str) -> Response:
    """The waste in store by type, in grams and at cost (``as_of`` a day, or now)."""
    access = _access(enterprise_id)
    problems: list[FieldError] = []
    as_of = _arg("as_of", _day, problems)
    _check(problems)
    levels: Iterable[StockLevel] = _waste_bank().stock(access.id, as_of=as_of)
    return jsonify([_stock_json(s) for s in levels])


# --- the city --------------------------------------------------------------------------------


@economy.get("/cities/<city>/overview")
@operation(
    "A city's enterprises in figures (open data)",
    tag="economy",
    auth="none",
    query=(
        _PERIOD_PARAM,
        Param(
            "group_by",
            {
                "type": "string",
                "pattern": "^(district|sector)?(,(district|sector)?)*$",
                "x-error": "must name 'district', 'sector', both or neither, each at most once",
            },
            "district, sector, both (comma-separated, the default) or empty for the total only.",
        ),
        _district_param("must be a kecamatan code such as 73.71.10"),
        _SECTOR_PARAM,
    ),
    answers={200: Answer("The overview.", CITY_OVERVIEW)},
)
def city_overview(city: str) -> Response:
    """The city's figures by kecamatan and sector, with the monthly trend (open data, no key)."""
    if city not in _served():
        raise NotFoundError(f"this server does not serve {city!r}: {', '.join(_served())}")
    problems: list[FieldError] = []
    period = _period(problems)
    _check(problems)
    group_by = request.args.get("group_by")
    names = GROUPINGS if group_by is None else tuple(n for n in group_by.split(",") if n)
    city_economy: CityEconomy = _ext("city_economy")
    overview = city_economy.overview(
        city,
        period,
        group_by=names,
        district=request.args.get("district") or None,
        sector=request.args.get("sector") or None,
    )
    return jsonify(overview.to_json())
