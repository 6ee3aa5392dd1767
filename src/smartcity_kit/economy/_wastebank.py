"""The waste bank (bank sampah; Permen LHK 14/2021) kept on top of an enterprise's books.

Members (nasabah) bring sorted waste; it is weighed, priced per kilogram by type from the
bank's own price list, and its value goes to the member's savings book (tabungan bank sampah,
account ``2202``). The waste is stock (``1106 Persediaan sampah``) until the bank sells it to a
Bank Sampah Induk (``4103 Penjualan sampah``, its cost to ``5101 Harga pokok penjualan``).

Grams and their value at cost are kept per movement in ``economy_waste_movements``, written in
the same transaction as the journal entry they belong to, so the ``1106`` balance always equals
the value of the stock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from smartcity_kit.core import Clock, Rupiah
from smartcity_kit.economy import _store as store
from smartcity_kit.economy._books import _MONEY_IN, Books, Payment, _Context
from smartcity_kit.economy._enterprises import SavingsKind
from smartcity_kit.economy._ledger import (
    MAX_AMOUNT,
    EntryKind,
    JournalEntry,
    JournalLine,
    Period,
    StandardAccount,
)
from smartcity_kit.errors import ConflictError, NotFoundError, ValidationError
from smartcity_kit.storage import AuditLog, Database

__all__ = [
    "PricedItem",
    "StockLevel",
    "WasteBank",
    "WasteDeposit",
    "WasteItem",
    "WastePrice",
    "WasteSale",
    "WasteType",
]

_SLUG: Final = re.compile(r"[a-z0-9][a-z0-9-]{1,31}")
#: The heaviest single item: 10 tonnes, in grams.
MAX_GRAMS: Final = 10_000_000
#: The highest price per kilogram accepted (Rp1.000.000.000/kg: a guard against typing errors).
MAX_PRICE_PER_KG: Final = 10**9
#: The most items in one deposit or sale.
MAX_ITEMS: Final = 100
_Validator = Callable[[Any, Any, Any], None]


def _round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up, for a numerator >= 0 and a denominator > 0."""
    return (2 * numerator + denominator) // (2 * denominator)


def _value(grams: int, price_per_kg: Rupiah) -> Rupiah:
    """What ``grams`` are worth at ``price_per_kg``: rounded half up to the whole rupiah."""
    return Rupiah(_round_half_up(grams * price_per_kg.amount, 1000))


def _slug(field: str) -> _Validator:
    def check(_instance: object, _attribute: object, value: str) -> None:
        if not isinstance(value, str) or not _SLUG.fullmatch(value):
            raise ValidationError.single(
                field,
                "must be 2-32 lower-case letters, digits and dashes, starting with a letter or "
                "digit, e.g. 'pet' or 'kardus'",
            )

    return check


def _check_name(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        raise ValidationError.single("name", "must be non-empty text of at most 100 characters")


def _check_day(field: str, value: object) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationError.single(field, "must be a date (YYYY-MM-DD)")
    return value


def _day(field: str) -> _Validator:
    def check(_instance: object, _attribute: object, value: object) -> None:
        _check_day(field, value)

    return check


def _price(field: str, *, optional: bool = False) -> _Validator:
    def check(_instance: object, _attribute: object, value: object) -> None:
        if value is None and optional:
            return
        if not isinstance(value, Rupiah) or not 0 < value.amount <= MAX_PRICE_PER_KG:
            raise ValidationError.single(
                field, "must be a Rupiah amount per kg above Rp0 and at most Rp1.000.000.000"
            )

    return check


def _check_grams(_instance: object, _attribute: object, value: int) -> None:
    if type(value) is not int or not 1 <= value <= MAX_GRAMS:
        raise ValidationError.single(
            "grams", "must be a whole number of grams from 1 to 10000000 (10 tonnes)"
        )


@attrs.frozen
class WasteType:
    """A kind of sorted waste the bank takes (jenis sampah), e.g. ``pet`` Plastik PET.

    >>> WasteType("kardus", "Kardus / karton")
    WasteType(code='kardus', name='Kardus / karton')

    Attributes:
        code: 2-32 lower-case letters, digits and dashes, unique within the enterprise.
        name: The name on the price list (at most 100 characters).
    """

    code: str = attrs.field(validator=_slug("code"))
    name: str = attrs.field(validator=_check_name)


@attrs.frozen
class WastePrice:
    """One line of the price list, in force from ``effective_from`` until the next one.

    Attributes:
        waste_type: The waste type's code.
        effective_from: The first day the price applies.
        buy_per_kg: What the bank credits a depositor per kilogram.
        sell_per_kg: What a Bank Sampah Induk pays the bank per kilogram, when known.
    """

    waste_type: str = attrs.field(validator=_slug("waste_type"))
    effective_from: dt.date = attrs.field(validator=_day("effective_from"))
    buy_per_kg: Rupiah = attrs.field(validator=_price("buy_per_kg"))
    sell_per_kg: Rupiah | None = attrs.field(
        default=None, validator=_price("sell_per_kg", optional=True)
    )


@attrs.frozen
class WasteItem:
    """Weighed waste of one type, as brought in or sold.

    Attributes:
        waste_type: The waste type's code.
        grams: The weight in whole grams (1 to 10 000 000).
    """

    waste_type: str = attrs.field(validator=_slug("waste_type"))
    grams: int = attrs.field(validator=_check_grams)


@attrs.frozen
class PricedItem:
    """An item with the price applied to it and its value.

    Attributes:
        waste_type: The waste type's code.
        grams: The weight in grams.
        price_per_kg: The price per kilogram used (buy price for a deposit, sell price for a
            sale).
        value: What the item is worth at that price, rounded half up to the whole rupiah.
    """

    waste_type: str
    grams: int
    price_per_kg: Rupiah
    value: Rupiah


@attrs.frozen
class WasteDeposit:
    """A member's deposit of waste, as posted.

    Attributes:
        entry: The journal entry (Dr 1106 Persediaan sampah / Cr 2202 Tabungan nasabah).
        enterprise: The enterprise's id.
        member: The depositing member's number.
        date: The day the waste was weighed.
        items: Each item with its buy price and value.
        total: What the member was credited.
    """

    entry: JournalEntry
    enterprise: str
    member: int
    date: dt.date
    items: tuple[PricedItem, ...]
    total: Rupiah


@attrs.frozen
class WasteSale:
    """A sale of waste to a Bank Sampah Induk (or another buyer), as posted.

    Attributes:
        entry: The journal entry (the money / 4103 Penjualan sampah; 5101 HPP / 1106).
        enterprise: The enterprise's id.
        date: The day of the sale.
        buyer: Who bought it.
        items: Each item with the sell price used and its share of the sale amount.
        amount: What the buyer pays.
        cost: The value of the waste sold at average cost (harga pokok).
    """

    entry: JournalEntry
    enterprise: str
    date: dt.date
    buyer: str
    items: tuple[PricedItem, ...]
    amount: Rupiah
    cost: Rupiah


@attrs.frozen
class StockLevel:
    """The waste of one type on hand.

    Attributes:
        waste_type: The waste type's code.
        grams: The weight on hand.
        value: Its value at cost (what was credited to depositors, less the cost of sales).
    """

    waste_type: str
    grams: int
    value: Rupiah


def _check_items(items: object) -> list[WasteItem]:
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise ValidationError.single("items", "must be a list of WasteItem")
    if not 1 <= len(items) <= MAX_ITEMS:
        raise ValidationError.single("items", f"must hold 1 to {MAX_ITEMS} items")
    seen: set[str] = set()
    for i, item in enumerate(items):
        if not isinstance(item, WasteItem):
            raise ValidationError.single(f"items[{i}]", "must be a WasteItem")
        if item.waste_type in seen:
            raise ValidationError.single(
                f"items[{i}].waste_type",
                f"{item.waste_type!r} appears twice: weigh each type once",
            )
        seen.add(item.waste_type)
    return list(items)


def _check_member(member: object) -> int:
    if not isinstance(member, int) or isinstance(member, bool) or member < 1:
        raise ValidationError.single("member", "must be a member number (1 or more)")
    return member


def _payment(payment: Payment | str) -> Payment:
    try:
        return Payment(payment)
    except ValueError:
        raise ValidationError.single(
            "payment", f"must be one of {', '.join(p.value for p in Payment)}"
        ) from None


def _subject(enterprise_id: str) -> str:
    return f"enterprise:{enterprise_id}"


class WasteBank:
    """A waste bank (bank sampah unit) kept on an enterprise's books.

    It is meant for enterprises of the sector ``waste_bank``, but any enterprise may run one
    beside its other business (a BULo with a waste-bank unit): the books are the same.

    - :meth:`deposit` weighs a member's waste, prices it with the buy prices in force that day
      and credits the value to the member's savings book; :meth:`withdraw` pays it out.
    - :meth:`sell` sells waste from stock; its cost is the average cost of the type on hand.
    - Values are ``grams x price per kg / 1000``, rounded half up to the whole rupiah, per item.

    Every write is one transaction (the journal entry, the stock movements and the audit log),
    and a refusal writes nothing.

    >>> import datetime as dt
    >>> from smartcity_kit.core import Address, RegionCode, Rupiah
    >>> from smartcity_kit.economy import Enterprise, EnterpriseRegistry
    >>> from smartcity_kit.storage import Database, upgrade
    >>> db = Database("sqlite://")
    >>> _ = upgrade(db)
    >>> registry = EnterpriseRegistry(db)
    >>> _ = registry.register(
    ...     Enterprise(
    ...         id="mks-bs-mawar",
    ...         city="makassar",
    ...         name="Bank Sampah Mawar",
    ...         address=Address(village=RegionCode.parse("73.71.03.1001"), lorong="Lorong 5"),
    ...         sector="waste_bank",
    ...         legal_form="community_group",
    ...         founded=dt.date(2020, 1, 6),
    ...     ),
    ...     actor="opd:dlh/admin",
    ... )
    >>> nasabah = registry.add_member(
    ...     "mks-bs-mawar", name="Siti Aminah", joined=dt.date(2020, 1, 6), actor="opd:dlh/admin"
    ... ).number
    >>> bank = WasteBank(db)
    >>> actor = "bulo:mks-bs-mawar/bendahara"
    >>> _ = bank.add_waste_type("mks-bs-mawar", WasteType("pet", "Plastik PET"), actor=actor)
    >>> _ = bank.set_price(
    ...     "mks-bs-mawar",
    ...     WastePrice(
    ...         "pet", dt.date(2026, 1, 1), buy_per_kg=Rupiah(3_000), sell_per_kg=Rupiah(4_000)
    ...     ),
    ...     actor=actor,
    ... )
    >>> bank.deposit(
    ...     "mks-bs-mawar",
    ...     nasabah,
    ...     date=dt.date(2026, 3, 2),
    ...     items=[WasteItem("pet", 2_500)],
    ...     actor=actor,
    ... ).total
    Rupiah(7500)
    >>> str(bank.balance("mks-bs-mawar", nasabah))
    'Rp7.500'
    >>> sale = bank.sell(
    ...     "mks-bs-mawar",
    ...     date=dt.date(2026, 3, 9),
    ...     items=[WasteItem("pet", 2_500)],
    ...     buyer="Bank Sampah Induk Makassar",
    ...     actor=actor,
    ... )
    >>> sale.amount, sale.cost
    (Rupiah(10000), Rupiah(7500))
    >>> bank.stock("mks-bs-mawar")
    [StockLevel(waste_type='pet', grams=0, value=Rupiah(0))]
    """

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._books = Books(db, clock)
        self._audit = AuditLog(db, self._books.clock)

    @property
    def books(self) -> Books:
        """The books the waste bank posts to."""
        return self._books

    # --- waste types and prices ---------------------------------------------------------------

    def add_waste_type(self, enterprise_id: str, waste_type: WasteType, *, actor: str) -> WasteType:
        """Add a waste type to the enterprise's list.

        Raises:
            NotFoundError: No such enterprise.
            ConflictError: The code is taken.
        """
        if not isinstance(waste_type, WasteType):
            raise ValidationError.single("waste_type", "must be a WasteType")
        with self._db.transaction() as conn:
            Books._enterprise(conn, _Context(), enterprise_id, lock=True)  # noqa: SLF001
            if waste_type.code in self._codes(conn, enterprise_id):
                raise ConflictError(f"{enterprise_id} already has waste type {waste_type.code!r}")
            conn.execute(
                store.waste_types.insert().values(
                    enterprise=enterprise_id, code=waste_type.code, name=waste_type.name
                )
            )
            self._audit.append(
                conn,
                actor=actor,
                action="economy.waste_type.added",
                subject=_subject(enterprise_id),
                details={"code": waste_type.code, "name": waste_type.name},
            )
        return waste_type

    def waste_types(self, enterprise_id: str) -> list[WasteType]:
        """The enterprise's waste types, by code.

        Raises:
            NotFoundError: No such enterprise.
        """
        table = store.waste_types
        with self._db.reading() as conn:
            Books._enterprise(conn, _Context(), enterprise_id)  # noqa: SLF001
            rows = conn.execute(
                sa.select(table.c.code, table.c.name)
                .where(table.c.enterprise == enterprise_id)
                .order_by(table.c.code)
            ).all()
        return [WasteType(code, name) for code, name in rows]

    def set_price(self, enterprise_id: str, price: WastePrice, *, actor: str) -> WastePrice:
        """Publish a price of a waste type, in force from ``price.effective_from``.

        Prices are history: a published price is never changed. To change it, publish a new
        one with a later date. Deposits keep the prices they were valued at.

        Raises:
            NotFoundError: No such enterprise.
            ValidationError: The waste type is not on the list (``waste_type``), or the date is
                in a closed period (``effective_from``).
            ConflictError: The type already has a price from that date.
        """
        if not isinstance(price, WastePrice):
            raise ValidationError.single("price", "must be a WastePrice")
        table = store.waste_prices
        with self._db.transaction() as conn:
            row = Books._enterprise(conn, _Context(), enterprise_id, lock=True)  # noqa: SLF001
            if price.waste_type not in self._codes(conn, enterprise_id):
                raise ValidationError.single(
                    "waste_type", f"{price.waste_type!r} is not a waste type of {enterprise_id}"
                )
            closed: dt.date | None = row["closed_through"]
            if closed is not None and price.effective_from <= closed:
                raise ValidationError.single(
                    "effective_from",
                    f"falls in a closed period: the books of {enterprise_id} are closed through "
                    f"{closed.isoformat()}",
                )
            taken = conn.execute(
                sa.select(table.c.buy_per_kg).where(
                    table.c.enterprise == enterprise_id,
                    table.c.waste_type == price.waste_type,
                    table.c.effective_from == price.effective_from,
                )
            ).first()
            if taken:
                raise ConflictError(
                    f"{price.waste_type!r} already has a price from "
                    f"{price.effective_from.isoformat()}: prices are history, publish a new "
                    "one with a later date"
                )
            conn.execute(
                table.insert().values(
                    enterprise=enterprise_id,
                    waste_type=price.waste_type,
                    effective_from=price.effective_from,
                    buy_per_kg=price.buy_per_kg.amount,
                    sell_per_kg=price.sell_per_kg.amount if price.sell_per_kg else None,
                )
            )
            self._audit.append(
                conn,
                actor=actor,
                action="economy.waste_price.set",
                subject=_subject(enterprise_id),
                details={
                    "waste_type": price.waste_type,
                    "effective_from": price.effective_from.isoformat(),
                    "buy_per_kg": str(price.buy_per_kg),
                    "sell_per_kg": str(price.sell_per_kg) if price.sell_per_kg else None,
                },
            )
        return price

    def prices(self, enterprise_id: str, *, on: dt.date) -> dict[str, WastePrice]:
        """The price in force on ``on`` for each waste type that has one, by code.

        The price in force is the one with the latest ``effective_from`` on or before ``on``.

        Raises:
            NotFoundError: No such enterprise.
        """
        on = _check_day("on", on)
        with self._db.reading() as conn:
            Books._enterprise(conn, _Context(), enterprise_id)  # noqa: SLF001
            return self._prices_on(conn, enterprise_id, on)

    def price_history(self, enterprise_id: str, waste_type: str | None = None) -> list[WastePrice]:
        """Every price published, by waste type and date (of one type, if ``waste_type``).

        Raises:
            NotFoundError: No such enterprise, or no such waste type.
        """
        table = store.waste_prices
        query = sa.select(table).where(table.c.enterprise == enterprise_id)
        with self._db.reading() as conn:
            Books._enterprise(conn, _Context(), enterprise_id)  # noqa: SLF001
            if waste_type is not None:
                if waste_type not in self._codes(conn, enterprise_id):
                    raise NotFoundError(f"{enterprise_id} has no waste type {waste_type!r}")
                query = query.where(table.c.waste_type == waste_type)
            rows = conn.execute(
                query.order_by(table.c.waste_type, table.c.effective_from)
            ).mappings()
            return [_price_from_row(r) for r in rows]

    # --- members' savings ---------------------------------------------------------------------

    def deposit(
        self,
        enterprise_id: str,
        member: int,
        *,
        date: dt.date,
        items: Sequence[WasteItem],
        actor: str,
    ) -> WasteDeposit:
        """A member brings in waste: it is priced, stocked and credited to their savings.

        Each item is valued at the buy price in force on ``date``: ``grams x buy_per_kg /
        1000`` rounded half up to the whole rupiah (333 g at Rp1.500/kg is Rp499,5: Rp500). An
        item worth Rp0 after rounding is still stocked, at Rp0; a deposit worth Rp0 in all is
        refused. One journal entry (Dr 1106 Persediaan sampah / Cr 2202 Tabungan nasabah bank
        sampah, the member's) and one stock movement per item are written together.

        Raises:
            NotFoundError: No such enterprise.
            ValidationError: The member does not belong to the enterprise on ``date``; a type
                is unknown, appears twice or has no price on ``date``; the deposit is worth
                Rp0; or the books refuse the posting (a closed period, say). Nothing is
                written.
        """
        member = _check_member(member)
        date = _check_day("date", date)
        wanted = _check_items(items)
        with self._db.transaction() as conn:
            ctx = _Context()
            Books._enterprise(conn, ctx, enterprise_id, lock=True)  # noqa: SLF001
            self._check_depositor(conn, ctx, enterprise_id, member, date)
            known = self._codes(conn, enterprise_id)
            prices = self._prices_on(conn, enterprise_id, date)
            priced: list[PricedItem] = []
            for i, item in enumerate(wanted):
                if item.waste_type not in known:
                    raise ValidationError.single(
                        f"items[{i}].waste_type",
                        f"{item.waste_type!r} is not a waste type of {enterprise_id}",
                    )
                price = prices.get(item.waste_type)
                if price is None:
                    raise ValidationError.single(
                        f"items[{i}].waste_type",
                        f"{item.waste_type!r} has no price on {date.isoformat()}",
                    )
                value = _value(item.grams, price.buy_per_kg)
                priced.append(PricedItem(item.waste_type, item.grams, price.buy_per_kg, value))
            total = Rupiah.sum(p.value for p in priced)
            if not total:
                raise ValidationError.single(
                    "items",
                    f"are worth nothing at today's prices (Rp0 at the prices of "
                    f"{date.isoformat()})",
                )
            posted = self._books.post_in(
                conn,
                JournalEntry(
                    enterprise=enterprise_id,
                    date=date,
                    description=f"Setoran sampah nasabah {member}",
                    lines=[
                        JournalLine.debit_of(StandardAccount.WASTE_INVENTORY, total),
                        JournalLine.credit_of(StandardAccount.WASTE_SAVINGS, total, member=member),
                    ],
                    kind=EntryKind.WASTE_DEPOSIT,
                ),
                actor=actor,
            )
            self._move(
                conn, posted, member, [(p.waste_type, p.grams, p.value.amount) for p in priced]
            )
            self._audit.append(
                conn,
                actor=actor,
                action="economy.waste.deposited",
                subject=f"entry:{posted.id}",
                details={
                    "enterprise": enterprise_id,
                    "date": date.isoformat(),
                    "member": member,
                    "items": [[p.waste_type, p.grams, str(p.value)] for p in priced],
                    "total": str(total),
                },
            )
        return WasteDeposit(
            entry=posted,
            enterprise=enterprise_id,
            member=member,
            date=date,
            items=tuple(priced),
            total=total,
        )

    def withdraw(  # noqa: PLR0913 - the facts of a withdrawal
        self,
        enterprise_id: str,
        member: int,
        *,
        date: dt.date,
        amount: Rupiah,
        payment: Payment | str = Payment.CASH,
        actor: str,
    ) -> JournalEntry:
        """A member takes money out of their waste-bank savings (cash or bank).

        Raises:
            ValidationError: More than the member holds, or a bad amount or payment; nothing
                is written.
        """
        return self._books.withdraw_savings(
            enterprise_id,
            member,
            SavingsKind.WASTE,
            date=date,
            amount=amount,
            payment=_payment(payment),
            actor=actor,
        )

    def balance(self, enterprise_id: str, member: int, *, as_of: dt.date | None = None) -> Rupiah:
        """The member's waste-bank savings (tabungan bank sampah), at the end of ``as_of``.

        Raises:
            NotFoundError: No such enterprise or member.
        """
        return self._books.savings(enterprise_id, member, as_of=as_of)[SavingsKind.WASTE]

    # --- sales and stock ----------------------------------------------------------------------

    def sell(  # noqa: PLR0913 - the facts of a sale
        self,
        enterprise_id: str,
        *,
        date: dt.date,
        items: Sequence[WasteItem],
        buyer: str,
        amount: Rupiah | None = None,
        payment: Payment | str = Payment.CASH,
        actor: str,
    ) -> WasteSale:
        """Sell waste from stock, usually to a Bank Sampah Induk.

        ``amount`` is what the buyer pays; left out, it is the sum over the items of ``grams
        x sell_per_kg / 1000`` (each rounded half up) at the sell prices in force on ``date``.
        A given amount is shared over the items in proportion to their value at those prices
        (to their weight when a type has no sell price), and each item's ``price_per_kg`` is
        then its share per kilogram, rounded half up.

        The cost of each item is the average cost of its type on hand (``stock value x grams /
        stock grams``, rounded half up); selling all the grams of a type takes all its value,
        so nothing is left over. Stock is counted in date order: a sale may not be dated before
        the last movement of a type it sells.

        Raises:
            NotFoundError: No such enterprise.
            ValidationError: More grams than on hand (``items[i].grams``), an unknown or
                repeated type, a sale dated before a later movement (``date``), no sell price
                and no ``amount``, or the books refuse the posting. Nothing is written.
        """
        date = _check_day("date", date)
        wanted = _check_items(items)
        if not isinstance(buyer, str) or not buyer.strip() or len(buyer) > 200:
            raise ValidationError.single(
                "buyer", "must be non-empty text of at most 200 characters"
            )
        if amount is not None and (
            not isinstance(amount, Rupiah) or not 0 < amount.amount <= MAX_AMOUNT
        ):
            raise ValidationError.single("amount", "must be a Rupiah amount above Rp0")
        payment = _payment(payment)
        with self._db.transaction() as conn:
            # Lock first: the stock read below must not change before the sale is written.
            Books._enterprise(conn, _Context(), enterprise_id, lock=True)  # noqa: SLF001
            known = self._codes(conn, enterprise_id)
            prices = self._prices_on(conn, enterprise_id, date)
            on_hand = self._levels(conn, enterprise_id, None)
            last = self._last_movements(conn, enterprise_id)
            costs: list[int] = []
            for i, item in enumerate(wanted):
                if item.waste_type not in known:
                    raise ValidationError.single(
                        f"items[{i}].waste_type",
                        f"{item.waste_type!r} is not a waste type of {enterprise_id}",
                    )
                latest = last.get(item.waste_type)
                if latest is not None and date < latest:
                    raise ValidationError.single(
                        "date",
                        f"is before the last stock movement of {item.waste_type!r} "
                        f"({latest.isoformat()}): record sales in date order",
                    )
                grams, value = on_hand.get(item.waste_type, (0, 0))
                if item.grams > grams:
                    raise ValidationError.single(
                        f"items[{i}].grams",
                        f"{item.grams} g of {item.waste_type!r} asked, {grams} g on hand",
                    )
                costs.append(
                    value if item.grams == grams else _round_half_up(value * item.grams, grams)
                )
            priced, amount = self._sale_prices(wanted, prices, amount, date)
            cost = Rupiah(sum(costs))
            lines = [
                JournalLine.debit_of(_MONEY_IN[payment], amount),
                JournalLine.credit_of(StandardAccount.WASTE_SALES, amount),
            ]
            if cost:
                lines += [
                    JournalLine.debit_of(StandardAccount.COST_OF_SALES, cost),
                    JournalLine.credit_of(StandardAccount.WASTE_INVENTORY, cost),
                ]
            posted = self._books.post_in(
                conn,
                JournalEntry(
                    enterprise=enterprise_id,
                    date=date,
                    description=f"Penjualan sampah ke {buyer}",
                    lines=lines,
                    kind=EntryKind.WASTE_SALE,
                ),
                actor=actor,
            )
            moves = [
                (item.waste_type, -item.grams, -c) for item, c in zip(wanted, costs, strict=True)
            ]
            self._move(conn, posted, None, moves)
            self._audit.append(
                conn,
                actor=actor,
                action="economy.waste.sold",
                subject=f"entry:{posted.id}",
                details={
                    "enterprise": enterprise_id,
                    "date": date.isoformat(),
                    "items": [[code, -grams, str(Rupiah(-c))] for code, grams, c in moves],
                    "amount": str(amount),
                    "cost": str(cost),
                },
            )
        return WasteSale(
            entry=posted,
            enterprise=enterprise_id,
            date=date,
            buyer=buyer,
            items=tuple(priced),
            amount=amount,
            cost=cost,
        )

    def stock(self, enterprise_id: str, *, as_of: dt.date | None = None) -> list[StockLevel]:
        """The waste on hand at the end of ``as_of`` (now, without it), by code.

        Every type that had a movement by then is listed, even when none of it is left.

        Raises:
            NotFoundError: No such enterprise.
        """
        if as_of is not None:
            as_of = _check_day("as_of", as_of)
        with self._db.reading() as conn:
            Books._enterprise(conn, _Context(), enterprise_id)  # noqa: SLF001
            levels = self._levels(conn, enterprise_id, as_of)
        return [StockLevel(code, grams, Rupiah(value)) for code, (grams, value) in levels.items()]

    def collected(self, enterprise_id: str, period: Period) -> dict[str, int]:
        """The grams members deposited in ``period``, per waste type (types with deposits only).

        Raises:
            NotFoundError: No such enterprise.
        """
        if not isinstance(period, Period):
            raise ValidationError.single("period", "must be a Period")
        moves, entries = store.waste_movements, store.entries
        query = (
            sa.select(moves.c.waste_type, sa.func.sum(moves.c.grams))
            .join(entries, entries.c.id == moves.c.entry)
            .where(
                moves.c.enterprise == enterprise_id,
                moves.c.date.between(period.start, period.end),
                entries.c.kind == str(EntryKind.WASTE_DEPOSIT),
            )
            .group_by(moves.c.waste_type)
            .order_by(moves.c.waste_type)
        )
        with self._db.reading() as conn:
            Books._enterprise(conn, _Context(), enterprise_id)  # noqa: SLF001
            return {code: int(grams) for code, grams in conn.execute(query)}

    # --- internals ----------------------------------------------------------------------------

    @staticmethod
    def _check_depositor(
        conn: Connection, ctx: _Context, enterprise_id: str, member: int, date: dt.date
    ) -> None:
        row = Books._member(conn, ctx, enterprise_id, member)  # noqa: SLF001
        if row is None:
            raise ValidationError.single("member", f"{member} is not a member of {enterprise_id}")
        if date < row["joined"]:
            raise ValidationError.single(
                "member", f"member {member} had not joined on {date.isoformat()}"
            )
        if row["left"] is not None and date > row["left"]:
            raise ValidationError.single(
                "member", f"member {member} left on {row['left'].isoformat()}"
            )

    @staticmethod
    def _sale_prices(
        items: Sequence[WasteItem],
        prices: dict[str, WastePrice],
        amount: Rupiah | None,
        date: dt.date,
    ) -> tuple[list[PricedItem], Rupiah]:
        """Each item's sell price and value, and the sale amount."""
        sell = {
            item.waste_type: prices[item.waste_type].sell_per_kg
            for item in items
            if item.waste_type in prices
        }
        at_price = [
            _value(item.grams, price) if (price := sell.get(item.waste_type)) else None
            for item in items
        ]
        if amount is None:
            for i, item in enumerate(items):
                if at_price[i] is None:
                    raise ValidationError.single(
                        "amount",
                        f"is needed: {item.waste_type!r} has no sell price on {date.isoformat()}",
                    )
            values = [v for v in at_price if v is not None]
            amount = Rupiah.sum(values)
            if not amount:
                raise ValidationError.single(
                    "amount",
                    f"is needed: the items are worth Rp0 at the sell prices of {date.isoformat()}",
                )
            priced = [
                PricedItem(item.waste_type, item.grams, sell[item.waste_type] or Rupiah(0), v)
                for item, v in zip(items, values, strict=True)
            ]
            return priced, amount
        weights = [v.amount if v is not None else 0 for v in at_price]
        if not all(v is not None for v in at_price) or sum(weights) == 0:
            weights = [item.grams for item in items]
        shares = amount.allocate(weights)
        priced = [
            PricedItem(
                item.waste_type,
                item.grams,
                Rupiah(_round_half_up(share.amount * 1000, item.grams)),
                share,
            )
            for item, share in zip(items, shares, strict=True)
        ]
        return priced, amount

    @staticmethod
    def _codes(conn: Connection, enterprise_id: str) -> set[str]:
        table = store.waste_types
        return set(
            conn.execute(sa.select(table.c.code).where(table.c.enterprise == enterprise_id))
            .scalars()
            .all()
        )

    @staticmethod
    def _prices_on(conn: Connection, enterprise_id: str, on: dt.date) -> dict[str, WastePrice]:
        table = store.waste_prices
        rows = conn.execute(
            sa.select(table)
            .where(table.c.enterprise == enterprise_id, table.c.effective_from <= on)
            .order_by(table.c.waste_type, table.c.effective_from)
        ).mappings()
        # Ordered by date: the last one of each type is the one in force.
        return {r["waste_type"]: _price_from_row(r) for r in rows}

    @staticmethod
    def _levels(
        conn: Connection, enterprise_id: str, as_of: dt.date | None
    ) -> dict[str, tuple[int, int]]:
        moves = store.waste_movements
        query = (
            sa.select(moves.c.waste_type, sa.func.sum(moves.c.grams), sa.func.sum(moves.c.value))
            .where(moves.c.enterprise == enterprise_id)
            .group_by(moves.c.waste_type)
            .order_by(moves.c.waste_type)
        )
        if as_of is not None:
            query = query.where(moves.c.date <= as_of)
        return {code: (int(grams), int(value)) for code, grams, value in conn.execute(query)}

    @staticmethod
    def _last_movements(conn: Connection, enterprise_id: str) -> dict[str, dt.date]:
        moves = store.waste_movements
        rows = conn.execute(
            sa.select(moves.c.waste_type, sa.func.max(moves.c.date))
            .where(moves.c.enterprise == enterprise_id)
            .group_by(moves.c.waste_type)
        )
        return {str(code): day for code, day in rows}

    @staticmethod
    def _move(
        conn: Connection,
        entry: JournalEntry,
        member: int | None,
        moves: Sequence[tuple[str, int, int]],
    ) -> None:
        conn.execute(
            store.waste_movements.insert(),
            [
                {
                    "entry": entry.id,
                    "enterprise": entry.enterprise,
                    "date": entry.date,
                    "month": entry.date.year * 100 + entry.date.month,
                    "member": member,
                    "waste_type": code,
                    "grams": grams,
                    "value": value,
                }
                for code, grams, value in moves
            ],
        )


def _price_from_row(row: Any) -> WastePrice:
    sell = row["sell_per_kg"]
    return WastePrice(
        waste_type=row["waste_type"],
        effective_from=row["effective_from"],
        buy_per_kg=Rupiah(int(row["buy_per_kg"])),
        sell_per_kg=Rupiah(int(sell)) if sell is not None else None,
    )
