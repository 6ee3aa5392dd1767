"""Sales paid by QRIS, posted to the enterprise's books once the payment is known.

A sale is made *pending* with its items and a reference label; its dynamic QRIS code carries the
amount, the sale number (bill number, tag 62/01) and the reference (tag 62/05). When the payment
is known, by hand (:meth:`QrisSales.mark_paid`) or from a payment gateway's notification
(:meth:`QrisSales.apply_notification`), the sale becomes *paid* and is posted to the books (Dr
``1103 Dana QRIS dalam penyelesaian`` / Cr ``4101 Penjualan``) in the same transaction: once,
however many times the payment is reported.
"""

from __future__ import annotations

import builtins
import datetime as dt
import enum
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from smartcity_kit.core import (
    BUILTIN_CITIES,
    Clock,
    Rupiah,
    ensure_utc,
    find_personal_data,
    parse_instant,
)
from smartcity_kit.economy._books import Books, _Context
from smartcity_kit.economy._enterprises import EnterpriseStatus
from smartcity_kit.economy._ledger import (
    MAX_AMOUNT,
    EntryKind,
    JournalEntry,
    JournalLine,
    StandardAccount,
)
from smartcity_kit.economy._registry import member_from_row
from smartcity_kit.economy._store import members as member_table
from smartcity_kit.economy.qris import _store as store
from smartcity_kit.economy.qris._merchant import QrisMerchant
from smartcity_kit.economy.qris._model import MerchantCriteria
from smartcity_kit.errors import ConflictError, FieldError, NotFoundError, ValidationError
from smartcity_kit.storage import AuditLog, Database

__all__ = [
    "MAX_ITEMS",
    "MAX_QUANTITY",
    "MAX_SALE_AMOUNT",
    "PaymentNotification",
    "PaymentResult",
    "QrisSale",
    "QrisSales",
    "SaleItem",
    "SaleStatus",
]

#: The most items on one sale.
MAX_ITEMS: Final = 100
#: The most of one item on a sale.
MAX_QUANTITY: Final = 10_000
#: The largest sale: the most a QRIS amount (tag 54, at most 13 characters) can carry.
MAX_SALE_AMOUNT: Final = 10**13 - 1
#: The longest payment id (a gateway's transaction id) kept.
MAX_PAYMENT_ID: Final = 64
#: The most sales one call to :meth:`QrisSales.list` returns.
MAX_LIMIT: Final = 500
_REFERENCE_MAX: Final = 25
#: The largest id the database's integer columns hold.
_MAX_ID: Final = 2**31 - 1


class SaleStatus(enum.StrEnum):
    """Where a QRIS sale stands."""

    PENDING = "pending"
    """Made, its code shown; not paid yet (menunggu pembayaran)."""
    PAID = "paid"
    """Paid and posted to the books (lunas)."""
    CANCELLED = "cancelled"
    """Called off before it was paid (dibatalkan); never posted."""


def _printable(field: str, value: object, max_len: int, *, min_len: int = 1) -> str:
    """``value`` if it is printable text of ``min_len``..``max_len`` characters."""
    if (
        not isinstance(value, str)
        or not min_len <= len(value) <= max_len
        or not value.isprintable()
        or not value.strip()
    ):
        raise ValidationError.single(
            field, f"must be printable text of {min_len} to {max_len} characters"
        )
    return value


def _check_item_name(_instance: object, _attribute: object, value: Any) -> None:
    _printable("name", value, 100)


def _check_quantity(_instance: object, _attribute: object, value: Any) -> None:
    if type(value) is not int or not 1 <= value <= MAX_QUANTITY:
        raise ValidationError.single("quantity", f"must be a whole number from 1 to {MAX_QUANTITY}")


def _check_unit_price(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, Rupiah) or not 0 < value.amount <= MAX_SALE_AMOUNT:
        raise ValidationError.single(
            "unit_price", f"must be a Rupiah amount above Rp0 and at most {Rupiah(MAX_SALE_AMOUNT)}"
        )


@attrs.frozen
class SaleItem:
    """One line of a sale: what was sold, how many, at what price.

    >>> item = SaleItem("Sirup markisa 600 ml", 2, Rupiah(35_000))
    >>> item.total
    Rupiah(70000)

    Attributes:
        name: What was sold (1 to 100 printable characters).
        quantity: How many (1 to 10 000).
        unit_price: The price of one, above Rp0.
    """

    name: str = attrs.field(validator=_check_item_name)
    quantity: int = attrs.field(validator=_check_quantity)
    unit_price: Rupiah = attrs.field(validator=_check_unit_price)

    @property
    def total(self) -> Rupiah:
        """``quantity x unit_price``."""
        return self.unit_price * self.quantity


@attrs.frozen
class QrisSale:
    """A sale paid by QRIS, as stored.

    Attributes:
        id: The sale's number (also its bill number on the dynamic code).
        enterprise: The selling enterprise's id.
        reference: The reference label on the code and in the books (``QRS000000042``).
        items: What was sold.
        amount: The sum of the items' totals: what the payer pays.
        status: Pending, paid or cancelled.
        date: The day of the sale; the books take it on this day once it is paid.
        created_at: When the sale was made (UTC).
        member: The buying member's number, for a sale to a member of a cooperative.
        paid_at: When it was paid (UTC), once paid.
        payment_id: The payment's id at the gateway or acquirer, when one was given.
        entry_id: The journal entry that posted it, once paid.
    """

    id: int
    enterprise: str
    reference: str
    items: tuple[SaleItem, ...]
    amount: Rupiah
    status: SaleStatus
    date: dt.date
    created_at: dt.datetime
    member: int | None = None
    paid_at: dt.datetime | None = None
    payment_id: str | None = None
    entry_id: int | None = None


def _check_reference(_instance: object, _attribute: object, value: Any) -> None:
    _printable("reference", value, _REFERENCE_MAX)


def _check_amount(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, Rupiah) or value.amount <= 0:
        raise ValidationError.single("amount", "must be a Rupiah amount above Rp0")


def _to_utc(value: dt.datetime) -> dt.datetime:
    return ensure_utc(value, "paid_at")


def _check_payment_id(_instance: object, _attribute: object, value: Any) -> None:
    if value is not None:
        _printable("payment_id", value, MAX_PAYMENT_ID)


def _check_issuer(_instance: object, _attribute: object, value: Any) -> None:
    if value is not None:
        _printable("issuer", value, 100)


@attrs.frozen
class PaymentNotification:
    """A payment reported by a payment gateway or acquirer (PJP), in our own shape.

    Map the gateway's callback to these fields (its JSON through :meth:`from_mapping`) and give
    it to :meth:`QrisSales.apply_notification`. Check the gateway's signature before: this class
    trusts what it is given.

    >>> PaymentNotification.from_mapping(
    ...     {"reference": "QRS000000001", "amount": 15000, "paid_at": "2026-11-23T10:00:00+08:00"}
    ... ).paid_at
    datetime.datetime(2026, 11, 23, 2, 0, tzinfo=datetime.timezone.utc)

    Attributes:
        reference: The sale's reference label (tag 62/05 of the code that was paid).
        amount: What was paid.
        paid_at: When it was paid (with a time zone; kept in UTC).
        payment_id: The payment's id at the gateway, if it gives one (1 to 64 characters).
        issuer: Who the payer paid with (a bank or e-wallet), if known.
    """

    reference: str = attrs.field(validator=_check_reference)
    amount: Rupiah = attrs.field(validator=_check_amount)
    paid_at: dt.datetime = attrs.field(converter=_to_utc)
    payment_id: str | None = attrs.field(default=None, validator=_check_payment_id)
    issuer: str | None = attrs.field(default=None, validator=_check_issuer)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PaymentNotification:
        """A notification from its JSON shape.

        ``{"reference": "QRS000000001", "amount": 15000, "paid_at":
        "2026-11-23T10:00:00+08:00", "payment_id": "...", "issuer": "..."}``: the amount in
        whole rupiah as an integer, the time in ISO 8601 with an offset.

        Raises:
            ValidationError: Not a mapping, an unknown field, or bad fields; each one named.
        """
        if not isinstance(data, Mapping):
            raise ValidationError.single("", "the notification must be a JSON object")
        problems = [
            FieldError(str(name), "is not a field of a payment notification")
            for name in sorted(set(data) - _NOTIFICATION_FIELDS, key=str)
        ]
        values: dict[str, Any] = {}
        for name, read, required in _NOTIFICATION_READERS:
            value = data.get(name)
            if value is None:
                if required:
                    problems.append(FieldError(name, "is required"))
                continue
            try:
                values[name] = read(value)
            except ValidationError as e:
                problems.extend(FieldError(name, p.message) for p in e.errors)
        if problems:
            raise ValidationError(problems)
        try:
            return cls(**values)
        except ValidationError as e:
            raise ValidationError(e.errors) from None


def _read_text(max_len: int) -> Callable[[Any], str]:
    def read(value: Any) -> str:
        return _printable("", value, max_len)

    return read


def _read_amount(value: Any) -> Rupiah:
    if isinstance(value, Rupiah):
        return value
    if type(value) is not int or not 0 < value <= MAX_AMOUNT:
        raise ValidationError.single("", "must be whole rupiah (a JSON integer above 0)")
    return Rupiah(value)


def _read_instant(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return ensure_utc(value, "")
    if not isinstance(value, str):
        raise ValidationError.single("", "must be an ISO 8601 date-time with an offset")
    return ensure_utc(parse_instant(value, ""), "")


_NOTIFICATION_READERS: Final = (
    ("reference", _read_text(_REFERENCE_MAX), True),
    ("amount", _read_amount, True),
    ("paid_at", _read_instant, True),
    ("payment_id", _read_text(MAX_PAYMENT_ID), False),
    ("issuer", _read_text(100), False),
)
_NOTIFICATION_FIELDS: Final = frozenset(name for name, _, _ in _NOTIFICATION_READERS)


@attrs.frozen
class PaymentResult:
    """What recording a payment did.

    Attributes:
        sale: The sale as stored afterwards.
        posted: True when this call posted the sale; False when it was already paid (a
            repeated notification), in which case nothing was written.
    """

    sale: QrisSale
    posted: bool


def _reference(sale_id: int) -> str:
    return f"QRS{sale_id:09d}"


def _tail(text: str) -> str:
    """The last four characters of an id, for the audit log (never a whole account number)."""
    return "..." + text[-4:]


def _audited_issuer(issuer: str | None) -> str | None:
    """The issuer as the audit log keeps it.

    A gateway's text that reads as personal data (a wallet named by its phone number, say) is
    not written, and does not stop the payment.
    """
    if issuer is None or find_personal_data(issuer) is None:
        return issuer
    return "(hidden: looks like personal data)"


def _items_json(items: Sequence[SaleItem]) -> list[dict[str, Any]]:
    return [
        {"name": i.name, "quantity": i.quantity, "unit_price": i.unit_price.amount} for i in items
    ]


def _sale_from_row(row: RowMapping) -> QrisSale:
    return QrisSale(
        id=row["id"],
        enterprise=row["enterprise_id"],
        reference=row["reference"],
        items=tuple(
            SaleItem(i["name"], i["quantity"], Rupiah(i["unit_price"])) for i in row["items"]
        ),
        amount=Rupiah(row["amount"]),
        status=SaleStatus(row["status"]),
        date=row["date"],
        created_at=row["created_at"],
        member=row["member"],
        paid_at=row["paid_at"],
        payment_id=row["payment_id"],
        entry_id=row["entry_id"],
    )


def _merchant_from_row(row: RowMapping) -> QrisMerchant:
    return QrisMerchant(
        enterprise=row["enterprise_id"],
        nmid=row["nmid"],
        mcc=row["mcc"],
        name=row["name"],
        city=row["city"],
        postal_code=row["postal_code"],
        criteria=MerchantCriteria(row["criteria"]),
        merchant_pan=row["merchant_pan"],
        acquirer_guid=row["acquirer_guid"],
    )


def _check_items(items: object) -> tuple[SaleItem, ...]:
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise ValidationError.single("items", "must be a list of SaleItem")
    if not 1 <= len(items) <= MAX_ITEMS:
        raise ValidationError.single("items", f"must hold 1 to {MAX_ITEMS} items")
    for i, item in enumerate(items):
        if not isinstance(item, SaleItem):
            raise ValidationError.single(f"items[{i}]", "must be a SaleItem")
    return tuple(items)


def _check_day(value: object) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationError.single("date", "must be a date (YYYY-MM-DD)")
    return value


def _check_id(sale_id: object) -> int:
    if not isinstance(sale_id, int) or isinstance(sale_id, bool):
        raise ValidationError.single("sale_id", "must be a sale number")
    if not 1 <= sale_id <= _MAX_ID:
        raise NotFoundError(f"there is no QRIS sale {sale_id}")
    return sale_id


class QrisSales:
    """Sales paid by QRIS, and the merchant data their codes are made from.

    - :meth:`save_merchant` keeps an enterprise's QRIS merchant data (its NMID and the rest,
      from its payment provider); the static code comes from it.
    - :meth:`create` makes a pending sale with a reference label ``QRS`` + the sale number in
      nine or more digits (``QRS000000042``): unique, 12 characters until the billionth sale,
      and safe to write in the audit log (no run of digits that reads as a phone number).
    - :meth:`payload` gives the sale's dynamic code; :meth:`mark_paid` and
      :meth:`apply_notification` record its payment and post it to the books, exactly once even
      when the payment is reported twice at the same moment (by two threads or two processes):
      the sale row moves from pending to paid by a conditional update, and only the caller that
      moved it posts. The journal entry is dated on the sale's day.

    Every write is one transaction with its audit entry; a refusal writes nothing.

    >>> import datetime as dt
    >>> from smartcity_kit.core import Address, FixedClock, RegionCode, Rupiah
    >>> from smartcity_kit.economy import Enterprise, EnterpriseRegistry
    >>> from smartcity_kit.storage import Database, upgrade
    >>> db = Database("sqlite://")
    >>> _ = upgrade(db)
    >>> clock = FixedClock(dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC))
    >>> _ = EnterpriseRegistry(db, clock).register(
    ...     Enterprise(
    ...         id="mks-maricaya-01",
    ...         city="makassar",
    ...         name="BULo Maricaya",
    ...         address=Address(village=RegionCode.parse("73.71.03.1001"), lorong="Lorong 3"),
    ...         sector="processed_food",
    ...         legal_form="cooperative",
    ...         founded=dt.date(2017, 8, 17),
    ...     ),
    ...     actor="opd:dkukm/admin",
    ... )
    >>> sales = QrisSales(db, clock)
    >>> actor = "bulo:mks-maricaya-01/bendahara"
    >>> _ = sales.save_merchant(
    ...     QrisMerchant(
    ...         enterprise="mks-maricaya-01",
    ...         nmid="ID1020000000001",
    ...         mcc="5499",
    ...         name="BULO MARICAYA",
    ...         city="MAKASSAR",
    ...     ),
    ...     actor=actor,
    ... )
    >>> sale = sales.create(
    ...     "mks-maricaya-01", [SaleItem("Sirup markisa", 2, Rupiah(35_000))], actor=actor
    ... )
    >>> sale.reference, str(sale.amount), sale.status.value, sale.date.isoformat()
    ('QRS000000001', 'Rp70.000', 'pending', '2026-11-23')
    >>> "5405" + "70000" in sales.payload(sale.id)
    True
    >>> note = {
    ...     "reference": "QRS000000001",
    ...     "amount": 70000,
    ...     "paid_at": "2026-11-23T10:05:00+08:00",
    ... }
    >>> first = sales.apply_notification(note, actor="gateway:uji")
    >>> again = sales.apply_notification(note, actor="gateway:uji")
    >>> first.posted, again.posted, again.sale.status.value, again.sale.entry_id
    (True, False, 'paid', 1)
    """

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._books = Books(db, clock)
        self._clock = self._books.clock
        self._audit = AuditLog(db, self._clock)

    @property
    def books(self) -> Books:
        """The books paid sales are posted to."""
        return self._books

    # --- merchant data ------------------------------------------------------------------------

    def save_merchant(self, merchant: QrisMerchant, *, actor: str) -> QrisMerchant:
        """Keep (or replace) an enterprise's QRIS merchant data.

        Raises:
            ValidationError: ``merchant`` is not a QrisMerchant.
            NotFoundError: No such enterprise.
        """
        if not isinstance(merchant, QrisMerchant):
            raise ValidationError.single("merchant", "must be a QrisMerchant")
        table = store.merchants
        values = {
            "nmid": merchant.nmid,
            "mcc": merchant.mcc,
            "name": merchant.name,
            "city": merchant.city,
            "postal_code": merchant.postal_code,
            "criteria": str(merchant.criteria),
            "merchant_pan": merchant.merchant_pan,
            "acquirer_guid": merchant.acquirer_guid,
            "updated_at": self._clock.now(),
        }
        with self._db.transaction() as conn:
            Books._enterprise(conn, _Context(), merchant.enterprise, lock=True)  # noqa: SLF001
            found = conn.execute(
                sa.select(table.c.enterprise_id).where(table.c.enterprise_id == merchant.enterprise)
            ).first()
            if found is None:
                conn.execute(table.insert().values(enterprise_id=merchant.enterprise, **values))
            else:
                conn.execute(
                    table.update()
                    .where(table.c.enterprise_id == merchant.enterprise)
                    .values(**values)
                )
            self._audit.append(
                conn,
                actor=actor,
                action="qris.merchant_saved",
                subject=f"enterprise:{merchant.enterprise}",
                details={
                    "nmid": merchant.nmid,
                    "mcc": merchant.mcc,
                    "name": merchant.name,
                    "city": merchant.city,
                    "criteria": str(merchant.criteria),
                    "merchant_pan": _tail(merchant.merchant_pan) if merchant.merchant_pan else None,
                    "acquirer_guid": merchant.acquirer_guid,
                },
            )
        return merchant

    def merchant(self, enterprise_id: str) -> QrisMerchant:
        """The enterprise's QRIS merchant data.

        Raises:
            NotFoundError: No such enterprise, or it has no merchant data yet.
        """
        with self._db.reading() as conn:
            Books._enterprise(conn, _Context(), enterprise_id)  # noqa: SLF001
            row = self._merchant_row(conn, enterprise_id)
        if row is None:
            raise NotFoundError(f"{enterprise_id!r} has no QRIS merchant data yet")
        return _merchant_from_row(row)

    # --- sales --------------------------------------------------------------------------------

    def create(
        self,
        enterprise_id: str,
        items: Sequence[SaleItem],
        *,
        actor: str,
        date: dt.date | None = None,
        member: int | None = None,
    ) -> QrisSale:
        """Make a pending sale of ``items``; its amount is the sum of their totals.

        Args:
            enterprise_id: The selling enterprise.
            items: 1 to 100 items.
            actor: Who makes it, for the audit log.
            date: The day of the sale (today in the enterprise's city by default).
            member: The buying member's number, for a sale to a member.

        Raises:
            NotFoundError: No such enterprise.
            ValidationError: The enterprise is not active (``enterprise``) or has no merchant
                data (``merchant``); bad items; a date before the founding or in a closed
                period; a member who does not belong to the enterprise on that day. Nothing is
                written.
        """
        wanted = _check_items(items)
        amount = Rupiah.sum(i.total for i in wanted)
        if amount.amount > MAX_SALE_AMOUNT:
            raise ValidationError.single(
                "items", f"add up to {amount}: a QRIS sale is at most {Rupiah(MAX_SALE_AMOUNT)}"
            )
        if date is not None:
            date = _check_day(date)
        if member is not None and (
            not isinstance(member, int) or isinstance(member, bool) or member < 1
        ):
            raise ValidationError.single("member", "must be a member number (1 or more)")
        now = self._clock.now()
        table = store.sales
        with self._db.transaction() as conn:
            row = Books._enterprise(conn, _Context(), enterprise_id, lock=True)  # noqa: SLF001
            if row["status"] != EnterpriseStatus.ACTIVE:
                raise ValidationError.single(
                    "enterprise", f"{enterprise_id} is {row['status']}: it takes no new sales"
                )
            if self._merchant_row(conn, enterprise_id) is None:
                raise ValidationError.single(
                    "merchant",
                    f"{enterprise_id} has no QRIS merchant data: save its NMID and the rest first",
                )
            day = date or self._today(row["city"])
            self._check_date(row, day)
            if member is not None:
                self._check_member(conn, enterprise_id, member, day)
            sale_id = conn.execute(
                table.insert()
                .values(
                    enterprise_id=enterprise_id,
                    # A placeholder, unique, until the number is known.
                    reference="~" + secrets.token_hex(12),
                    items=_items_json(wanted),
                    amount=amount.amount,
                    status=str(SaleStatus.PENDING),
                    date=day,
                    member=member,
                    created_at=now,
                    version=1,
                )
                .returning(table.c.id)
            ).scalar_one()
            reference = _reference(sale_id)
            conn.execute(table.update().where(table.c.id == sale_id).values(reference=reference))
            self._audit.append(
                conn,
                actor=actor,
                action="qris.sale_created",
                subject=f"qris-sale:{reference}",
                details={
                    "enterprise": enterprise_id,
                    "reference": reference,
                    "date": day.isoformat(),
                    "items": len(wanted),
                    "amount": str(amount),
                    "member": member,
                },
            )
        return QrisSale(
            id=sale_id,
            enterprise=enterprise_id,
            reference=reference,
            items=wanted,
            amount=amount,
            status=SaleStatus.PENDING,
            date=day,
            created_at=now,
            member=member,
        )

    def get(self, sale_id: int) -> QrisSale:
        """One sale.

        Raises:
            NotFoundError: No such sale.
        """
        sale_id = _check_id(sale_id)
        with self._db.reading() as conn:
            return _sale_from_row(self._sale_row(conn, sale_id))

    def by_reference(self, reference: str) -> QrisSale:
        """The sale with this reference label.

        Raises:
            NotFoundError: No such sale.
        """
        with self._db.reading() as conn:
            return _sale_from_row(self._sale_by_reference(conn, reference))

    def list(
        self,
        enterprise_id: str,
        *,
        status: SaleStatus | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> builtins.list[QrisSale]:
        """The enterprise's sales, newest first (only those of ``status``, if given).

        Raises:
            NotFoundError: No such enterprise.
            ValidationError: A bad status, ``limit`` (1 to 500) or ``offset`` (0 or more).
        """
        problems: list[FieldError] = []
        if status is not None and (
            not isinstance(status, str) or status not in {s.value for s in SaleStatus}
        ):
            problems.append(
                FieldError("status", "must be one of " + ", ".join(s.value for s in SaleStatus))
            )
        if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:
            problems.append(FieldError("limit", f"must be a whole number from 1 to {MAX_LIMIT}"))
        if type(offset) is not int or offset < 0:
            problems.append(FieldError("offset", "must be a whole number from 0"))
        if problems:
            raise ValidationError(problems)
        table = store.sales
        query = sa.select(table).where(table.c.enterprise_id == enterprise_id)
        if status is not None:
            query = query.where(table.c.status == str(SaleStatus(status)))
        with self._db.reading() as conn:
            Books._enterprise(conn, _Context(), enterprise_id)  # noqa: SLF001
            rows = conn.execute(query.order_by(table.c.id.desc()).limit(limit).offset(offset))
            return [_sale_from_row(r) for r in rows.mappings()]

    def payload(self, sale_id: int) -> str:
        """The sale's dynamic QRIS code: its amount, bill number (the sale number) and reference.

        Raises:
            NotFoundError: No such sale.
            ConflictError: The sale is paid or cancelled (its code must not be paid again), or
                the enterprise is dissolved (its books take no payment).
            ValidationError: The enterprise has no merchant data any more (``merchant``).
        """
        sale_id = _check_id(sale_id)
        with self._db.reading() as conn:
            sale = _sale_from_row(self._sale_row(conn, sale_id))
            row = self._merchant_row(conn, sale.enterprise)
            enterprise = Books._enterprise(conn, _Context(), sale.enterprise)  # noqa: SLF001
        if sale.status is not SaleStatus.PENDING:
            raise ConflictError(
                f"sale {sale.reference} is {sale.status}: its QRIS code is no longer shown"
            )
        if enterprise["status"] == EnterpriseStatus.DISSOLVED:
            raise ConflictError(
                f"{sale.enterprise} is dissolved: its books take no payment, so its QRIS codes "
                "are no longer shown"
            )
        if row is None:
            raise ValidationError.single("merchant", f"{sale.enterprise} has no QRIS merchant data")
        return _merchant_from_row(row).dynamic_payload(
            sale.amount, bill_number=str(sale.id), reference_label=sale.reference
        )

    def cancel(self, sale_id: int, *, actor: str) -> QrisSale:
        """Call off a pending sale.

        Raises:
            NotFoundError: No such sale.
            ConflictError: The sale is paid (reverse its journal entry instead) or already
                cancelled.
        """
        sale_id = _check_id(sale_id)
        table = store.sales
        with self._db.transaction() as conn:
            moved = conn.execute(
                table.update()
                .where(table.c.id == sale_id, table.c.status == str(SaleStatus.PENDING))
                .values(status=str(SaleStatus.CANCELLED), version=table.c.version + 1)
            ).rowcount
            sale = _sale_from_row(self._sale_row(conn, sale_id))
            if moved != 1:
                raise ConflictError(
                    f"sale {sale.reference} is {sale.status}: only pending sales are cancelled"
                )
            self._audit.append(
                conn,
                actor=actor,
                action="qris.sale_cancelled",
                subject=f"qris-sale:{sale.reference}",
                details={
                    "enterprise": sale.enterprise,
                    "reference": sale.reference,
                    "amount": str(sale.amount),
                },
            )
        return sale

    # --- payments -----------------------------------------------------------------------------

    def mark_paid(
        self,
        sale_id: int,
        *,
        actor: str,
        paid_at: dt.datetime | None = None,
        payment_id: str | None = None,
    ) -> PaymentResult:
        """Record by hand that a sale was paid (the seller saw the payment in their app).

        Args:
            sale_id: The sale.
            actor: Who records it, for the audit log.
            paid_at: When it was paid (now by default); with a time zone.
            payment_id: The payment's id at the gateway, if known (1 to 64 characters).

        Returns:
            The sale and whether this call posted it (False when it was already paid).

        Raises:
            NotFoundError: No such sale.
            ConflictError: The sale was cancelled; the payment id belongs to another sale; or
                the sale was paid by another payment (another payment id).
            ValidationError: A bad ``paid_at`` or ``payment_id``, or the books refuse the
                posting (a closed period); nothing is written.
        """
        sale_id = _check_id(sale_id)
        when = self._clock.now() if paid_at is None else ensure_utc(paid_at, "paid_at")
        if payment_id is not None:
            _printable("payment_id", payment_id, MAX_PAYMENT_ID)
        return self._pay(
            lambda conn: self._sale_row(conn, sale_id),
            None,
            when,
            payment_id,
            actor=actor,
            via="hand",
        )

    def apply_notification(
        self, notification: PaymentNotification | Mapping[str, Any], *, actor: str
    ) -> PaymentResult:
        """Record a payment reported by a gateway; safe to call again with the same report.

        Args:
            notification: The payment, or its JSON shape (see
                :meth:`PaymentNotification.from_mapping`).
            actor: The integration that reports it, for the audit log.

        Returns:
            The sale and whether this call posted it; a repeated report posts nothing and
            answers ``posted=False``.

        Raises:
            NotFoundError: No sale has the reference.
            ValidationError: A bad notification, an amount other than the sale's (``amount``),
                or the books refuse the posting (a closed period); nothing is written.
            ConflictError: The sale was cancelled; the payment id belongs to another sale; or
                the sale was already paid by another payment (another payment id: a second
                payment to refund).
        """
        if not isinstance(notification, PaymentNotification):
            notification = PaymentNotification.from_mapping(notification)
        note = notification
        return self._pay(
            lambda conn: self._sale_by_reference(conn, note.reference),
            note.amount,
            note.paid_at,
            note.payment_id,
            actor=actor,
            via="notification",
            issuer=note.issuer,
        )

    def _pay(  # noqa: PLR0913 - one payment's facts
        self,
        find: Callable[[Connection], RowMapping],
        amount: Rupiah | None,
        paid_at: dt.datetime,
        payment_id: str | None,
        *,
        actor: str,
        via: str,
        issuer: str | None = None,
    ) -> PaymentResult:
        table = store.sales
        try:
            with self._db.transaction() as conn:
                sale = _sale_from_row(find(conn))
                if amount is not None and amount != sale.amount:
                    raise ValidationError.single(
                        "amount",
                        f"is {amount}, but sale {sale.reference} is for {sale.amount}",
                    )
                early = self._settled(sale, payment_id)
                if early is not None:
                    return early
                if payment_id is not None:
                    self._check_payment_unused(conn, sale, payment_id)
                moved = conn.execute(
                    table.update()
                    .where(table.c.id == sale.id, table.c.status == str(SaleStatus.PENDING))
                    .values(
                        status=str(SaleStatus.PAID),
                        paid_at=paid_at,
                        payment_id=payment_id,
                        version=table.c.version + 1,
                    )
                ).rowcount
                if moved != 1:
                    # Someone else moved it first: tell what they did, write nothing.
                    now = _sale_from_row(self._sale_row(conn, sale.id))
                    late = self._settled(now, payment_id)
                    if late is None:  # pragma: no cover - a pending row is always moved
                        raise ConflictError(f"sale {sale.reference} changed: try again")
                    return late
                entry = self._books.post_in(
                    conn,
                    JournalEntry(
                        enterprise=sale.enterprise,
                        date=sale.date,
                        description=f"Penjualan QRIS {sale.reference}",
                        lines=[
                            JournalLine.debit_of(StandardAccount.QRIS_CLEARING, sale.amount),
                            JournalLine.credit_of(
                                StandardAccount.SALES, sale.amount, member=sale.member
                            ),
                        ],
                        kind=EntryKind.SALE,
                    ),
                    actor=actor,
                )
                conn.execute(table.update().where(table.c.id == sale.id).values(entry_id=entry.id))
                self._audit.append(
                    conn,
                    actor=actor,
                    action="qris.sale_paid",
                    subject=f"qris-sale:{sale.reference}",
                    details={
                        "enterprise": sale.enterprise,
                        "reference": sale.reference,
                        "amount": str(sale.amount),
                        "paid_at": paid_at.isoformat(),
                        "payment_id": _tail(payment_id) if payment_id else None,
                        "issuer": _audited_issuer(issuer),
                        "via": via,
                        "entry": entry.id,
                    },
                )
                paid = attrs.evolve(
                    sale,
                    status=SaleStatus.PAID,
                    paid_at=paid_at,
                    payment_id=payment_id,
                    entry_id=entry.id,
                )
        except IntegrityError:
            # Another sale took the payment id between our check and our update.
            raise ConflictError(
                f"payment {_tail(payment_id or '')} is already recorded for another sale"
            ) from None
        return PaymentResult(paid, posted=True)

    # --- internals ----------------------------------------------------------------------------

    @staticmethod
    def _settled(sale: QrisSale, payment_id: str | None) -> PaymentResult | None:
        """What to answer for a sale that is no longer pending (None while it is pending)."""
        if sale.status is SaleStatus.CANCELLED:
            raise ConflictError(f"sale {sale.reference} was cancelled: it cannot be paid")
        if sale.status is SaleStatus.PAID:
            if payment_id is not None and sale.payment_id not in (None, payment_id):
                raise ConflictError(
                    f"sale {sale.reference} is already paid by payment "
                    f"{_tail(sale.payment_id or '')}; payment {_tail(payment_id)} is a second "
                    "payment: refund it or record it apart"
                )
            return PaymentResult(sale, posted=False)
        return None

    @staticmethod
    def _check_payment_unused(conn: Connection, sale: QrisSale, payment_id: str) -> None:
        table = store.sales
        other = conn.execute(
            sa.select(table.c.reference).where(
                table.c.payment_id == payment_id, table.c.id != sale.id
            )
        ).scalar_one_or_none()
        if other is not None:
            raise ConflictError(
                f"payment {_tail(payment_id)} is already recorded for sale {other}, not "
                f"{sale.reference}"
            )

    def _today(self, city: str) -> dt.date:
        """Today in the city's time zone (UTC for a city without a built-in profile)."""
        profile = BUILTIN_CITIES.get(city)
        return (profile.local_now(self._clock) if profile else self._clock.now()).date()

    @staticmethod
    def _check_date(row: RowMapping, day: dt.date) -> None:
        if day < row["founded"]:
            raise ValidationError.single(
                "date", f"is before the enterprise was founded ({row['founded'].isoformat()})"
            )
        closed = row["closed_through"]
        if closed is not None and day <= closed:
            raise ValidationError.single(
                "date",
                f"falls in a closed period: the books of {row['id']} are closed through "
                f"{closed.isoformat()}",
            )

    @staticmethod
    def _check_member(conn: Connection, enterprise_id: str, number: int, day: dt.date) -> None:
        row = (
            conn.execute(
                sa.select(member_table).where(
                    member_table.c.enterprise == enterprise_id, member_table.c.number == number
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise ValidationError.single("member", f"{number} is not a member of {enterprise_id}")
        if not member_from_row(row).active_on(day):
            raise ValidationError.single(
                "member", f"member {number} does not belong to {enterprise_id} on {day.isoformat()}"
            )

    @staticmethod
    def _merchant_row(conn: Connection, enterprise_id: str) -> RowMapping | None:
        table = store.merchants
        return (
            conn.execute(sa.select(table).where(table.c.enterprise_id == enterprise_id))
            .mappings()
            .first()
        )

    @staticmethod
    def _sale_row(conn: Connection, sale_id: int) -> RowMapping:
        table = store.sales
        row = conn.execute(sa.select(table).where(table.c.id == sale_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"there is no QRIS sale {sale_id}")
        return row

    @staticmethod
    def _sale_by_reference(conn: Connection, reference: str) -> RowMapping:
        table = store.sales
        if not isinstance(reference, str) or len(reference) > _REFERENCE_MAX:
            raise NotFoundError(f"there is no QRIS sale with reference {reference!r}")
        row = (
            conn.execute(sa.select(table).where(table.c.reference == reference)).mappings().first()
        )
        if row is None:
            raise NotFoundError(f"there is no QRIS sale with reference {reference!r}")
        return row
