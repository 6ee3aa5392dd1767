from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcity_kit.core import Address, FixedClock, RegionCode, Rupiah
from smartcity_kit.economy import (
    Enterprise,
    EnterpriseRegistry,
    EntryKind,
    Payment,
    Period,
    StandardAccount,
)
from smartcity_kit.economy import _store as store
from smartcity_kit.economy._wastebank import (
    PricedItem,
    StockLevel,
    WasteBank,
    WasteItem,
    WastePrice,
    WasteType,
)
from smartcity_kit.errors import ConflictError, NotFoundError, ValidationError
from smartcity_kit.storage import AuditLog, Database, upgrade

ENT = "mks-bs-mawar"
ADMIN = "opd:dlh/admin"
ACTOR = "bulo:mks-bs-mawar/bendahara"
FOUNDED = dt.date(2020, 1, 6)
CHANGE = dt.date(2026, 3, 1)
CLOCK = FixedClock(dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC))
TYPES = (
    WasteType("pet", "Plastik PET"),
    WasteType("kardus", "Kardus / karton"),
    WasteType("besi", "Besi"),
)
PRICES = (
    WastePrice("pet", dt.date(2026, 1, 1), Rupiah(1_500), Rupiah(2_500)),
    WastePrice("pet", CHANGE, Rupiah(2_000), Rupiah(3_000)),
    WastePrice("kardus", dt.date(2026, 1, 1), Rupiah(1_000)),
    WastePrice("besi", dt.date(2026, 2, 1), Rupiah(4_000), Rupiah(5_500)),
)


def setup_bank(db: Database, members: int = 3) -> WasteBank:
    registry = EnterpriseRegistry(db, CLOCK)
    registry.register(
        Enterprise(
            id=ENT,
            city="makassar",
            name="Bank Sampah Mawar",
            address=Address(village=RegionCode.parse("73.71.03.1001"), lorong="Lorong 5"),
            sector="waste_bank",
            legal_form="community_group",
            founded=FOUNDED,
        ),
        actor=ADMIN,
    )
    for i in range(members):
        registry.add_member(ENT, name=f"Nasabah Contoh {i}", joined=FOUNDED, actor=ADMIN)
    bank = WasteBank(db, CLOCK)
    for waste_type in TYPES:
        bank.add_waste_type(ENT, waste_type, actor=ACTOR)
    for price in PRICES:
        bank.set_price(ENT, price, actor=ACTOR)
    return bank


@pytest.fixture
def bank(db: Database) -> WasteBank:
    return setup_bank(db)


def state(db: Database) -> tuple[tuple[int, ...], int]:
    """Row counts of every table the waste bank writes, and the audit log's head."""
    tables = (
        store.entries,
        store.lines,
        store.waste_movements,
        store.waste_prices,
        store.waste_types,
    )
    with db.reading() as conn:
        counts = tuple(
            int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
            for t in tables
        )
    return counts, AuditLog(db).head_seq()


def ledger_sum(db: Database) -> int:
    with db.reading() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.coalesce(sa.func.sum(store.lines.c.amount), 0))
            ).scalar_one()
        )


def day(month: int, d: int) -> dt.date:
    return dt.date(2026, month, d)


# --- models ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["p", "PET", "-pet", "plastik pet", "a" * 33, "pét", 7])
def test_waste_type_code_is_a_slug(code: object) -> None:
    with pytest.raises(ValidationError) as e:
        WasteType(code, "Plastik")  # type: ignore[arg-type]
    assert e.value.fields == ("code",)


def test_waste_type_name() -> None:
    assert WasteType("pet-1", "x" * 100).code == "pet-1"
    for name in ["", "  ", "x" * 101]:
        with pytest.raises(ValidationError) as e:
            WasteType("pet", name)
        assert e.value.fields == ("name",)


@pytest.mark.parametrize("grams", [0, -1, 10_000_001, True, 1.5, "100"])
def test_item_grams_are_whole_and_bounded(grams: object) -> None:
    with pytest.raises(ValidationError) as e:
        WasteItem("pet", grams)  # type: ignore[arg-type]
    assert e.value.fields == ("grams",)


def test_item_limits_accepted() -> None:
    assert WasteItem("pet", 1).grams == 1
    assert WasteItem("pet", 10_000_000).grams == 10_000_000


@pytest.mark.parametrize(
    ("buy", "sell", "field"),
    [
        (Rupiah(0), None, "buy_per_kg"),
        (1500, None, "buy_per_kg"),
        (Rupiah(10**9 + 1), None, "buy_per_kg"),
        (Rupiah(1500), Rupiah(0), "sell_per_kg"),
        (Rupiah(1500), 2500, "sell_per_kg"),
    ],
)
def test_price_amounts(buy: object, sell: object, field: str) -> None:
    with pytest.raises(ValidationError) as e:
        WastePrice("pet", day(1, 1), buy, sell)  # type: ignore[arg-type]
    assert e.value.fields == (field,)


def test_price_date() -> None:
    with pytest.raises(ValidationError) as e:
        WastePrice("pet", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), Rupiah(1))
    assert e.value.fields == ("effective_from",)


# --- types and prices -----------------------------------------------------------------------


def test_waste_types(bank: WasteBank) -> None:
    assert [t.code for t in bank.waste_types(ENT)] == ["besi", "kardus", "pet"]
    with pytest.raises(ConflictError):
        bank.add_waste_type(ENT, WasteType("pet", "Botol PET"), actor=ACTOR)
    with pytest.raises(NotFoundError):
        bank.add_waste_type("mks-nowhere", WasteType("kaca", "Kaca"), actor=ACTOR)
    with pytest.raises(NotFoundError):
        bank.waste_types("mks-nowhere")
    actions = [e.action for e in AuditLog(bank.books.database).entries()]
    assert actions.count("economy.waste_type.added") == 3
    assert actions.count("economy.waste_price.set") == 4


def test_prices_in_force(bank: WasteBank) -> None:
    assert bank.prices(ENT, on=day(1, 1)).keys() == {"pet", "kardus"}
    assert bank.prices(ENT, on=day(2, 28))["pet"].buy_per_kg == Rupiah(1_500)
    on_change = bank.prices(ENT, on=CHANGE)
    assert on_change["pet"] == PRICES[1]
    assert on_change["besi"] == PRICES[3]
    assert on_change["kardus"].sell_per_kg is None
    assert bank.prices(ENT, on=dt.date(2025, 12, 31)) == {}


def test_price_history(bank: WasteBank) -> None:
    assert bank.price_history(ENT) == [PRICES[3], PRICES[2], PRICES[0], PRICES[1]]
    assert bank.price_history(ENT, "pet") == [PRICES[0], PRICES[1]]
    with pytest.raises(NotFoundError):
        bank.price_history(ENT, "kaca")


def test_price_refusals(bank: WasteBank) -> None:
    db = bank.books.database
    before = state(db)
    with pytest.raises(ValidationError) as e:
        bank.set_price(ENT, WastePrice("kaca", day(1, 1), Rupiah(100)), actor=ACTOR)
    assert e.value.fields == ("waste_type",)
    # Prices are history: the same type and date is refused, not replaced.
    with pytest.raises(ConflictError, match="publish a new"):
        bank.set_price(ENT, WastePrice("pet", CHANGE, Rupiah(9_999)), actor=ACTOR)
    assert state(db) == before
    assert bank.prices(ENT, on=CHANGE)["pet"].buy_per_kg == Rupiah(2_000)


# --- deposits -------------------------------------------------------------------------------


def test_deposit_posts_entry_stock_and_savings(bank: WasteBank) -> None:
    db = bank.books.database
    deposit = bank.deposit(
        ENT,
        1,
        date=day(2, 10),
        items=[WasteItem("pet", 2_400), WasteItem("kardus", 5_250)],
        actor=ACTOR,
    )
    # 2.4 kg x Rp1.500 = Rp3.600; 5.25 kg x Rp1.000 = Rp5.250.
    assert deposit.items == (
        PricedItem("pet", 2_400, Rupiah(1_500), Rupiah(3_600)),
        PricedItem("kardus", 5_250, Rupiah(1_000), Rupiah(5_250)),
    )
    assert deposit.total == Rupiah(8_850)
    assert deposit.member == 1
    entry = deposit.entry
    assert entry.id > 0
    assert entry.kind == EntryKind.WASTE_DEPOSIT
    assert [(ln.account, ln.signed, ln.member) for ln in entry.lines] == [
        ("1106", 8_850, None),
        ("2202", -8_850, 1),
    ]
    assert bank.books.entry(entry.id) == entry
    assert bank.balance(ENT, 1) == Rupiah(8_850)
    assert bank.balance(ENT, 2) == Rupiah(0)
    assert bank.books.balance(ENT, StandardAccount.WASTE_INVENTORY) == Rupiah(8_850)
    assert bank.stock(ENT) == [
        StockLevel("kardus", 5_250, Rupiah(5_250)),
        StockLevel("pet", 2_400, Rupiah(3_600)),
    ]
    with db.reading() as conn:
        moves = conn.execute(
            sa.select(store.waste_movements).order_by(store.waste_movements.c.id)
        ).mappings()
        assert [
            (m["entry"], m["member"], m["waste_type"], m["grams"], m["value"], m["month"])
            for m in moves
        ] == [
            (entry.id, 1, "pet", 2_400, 3_600, 202602),
            (entry.id, 1, "kardus", 5_250, 5_250, 202602),
        ]
    audit = AuditLog(db).entries()
    assert audit[-1].action == "economy.waste.deposited"
    assert audit[-1].subject == f"entry:{entry.id}"
    assert audit[-2].action == "economy.entry.posted"


def test_price_change_applies_from_its_date(bank: WasteBank) -> None:
    before = bank.deposit(
        ENT, 1, date=CHANGE - dt.timedelta(days=1), items=[WasteItem("pet", 1_000)], actor=ACTOR
    )
    on = bank.deposit(ENT, 2, date=CHANGE, items=[WasteItem("pet", 1_000)], actor=ACTOR)
    after = bank.deposit(ENT, 1, date=day(6, 1), items=[WasteItem("pet", 1_000)], actor=ACTOR)
    assert [d.total for d in (before, on, after)] == [Rupiah(1_500), Rupiah(2_000), Rupiah(2_000)]
    assert bank.balance(ENT, 1) == Rupiah(3_500)
    assert bank.balance(ENT, 1, as_of=day(3, 31)) == Rupiah(1_500)
    # A price published later never re-prices earlier deposits.
    bank.set_price(ENT, WastePrice("pet", day(7, 1), Rupiah(500)), actor=ACTOR)
    assert bank.balance(ENT, 1) == Rupiah(3_500)
    assert bank.stock(ENT) == [StockLevel("pet", 3_000, Rupiah(5_500))]


ROUNDING = [
    (333, 1_500, 500),  # Rp499,5 -> Rp500 (half up)
    (1, 500, 1),  # Rp0,5 -> Rp1
    (1, 1_499, 1),  # Rp1,499 -> Rp1
    (3, 1_500, 5),  # Rp4,5 -> Rp5
    (999, 1_001, 1_000),  # Rp999,999 -> Rp1.000
    (10_000_000, 10**9, 10**13),  # the largest item at the highest price
]


def test_rounding_half_up(db: Database) -> None:
    bank = setup_bank(db, members=1)
    held = 0
    for i, (grams, price, value) in enumerate(ROUNDING):
        when = day(8, i + 1)
        bank.set_price(ENT, WastePrice("pet", when, Rupiah(price)), actor=ACTOR)
        deposit = bank.deposit(ENT, 1, date=when, items=[WasteItem("pet", grams)], actor=ACTOR)
        assert deposit.total == Rupiah(value)
        held += value
        assert bank.balance(ENT, 1) == Rupiah(held)


def test_item_worth_nothing_is_kept_but_a_worthless_deposit_is_refused(db: Database) -> None:
    bank = setup_bank(db, members=1)
    bank.set_price(ENT, WastePrice("besi", day(8, 1), Rupiah(499)), actor=ACTOR)
    # 1 g at Rp499/kg is Rp0,499: Rp0.
    deposit = bank.deposit(
        ENT,
        1,
        date=day(8, 1),
        items=[WasteItem("besi", 1), WasteItem("kardus", 1_000)],
        actor=ACTOR,
    )
    assert deposit.items[0] == PricedItem("besi", 1, Rupiah(499), Rupiah(0))
    assert deposit.total == Rupiah(1_000)
    assert bank.stock(ENT)[0] == StockLevel("besi", 1, Rupiah(0))
    before = state(db)
    with pytest.raises(ValidationError, match="worth nothing at today's prices") as e:
        bank.deposit(ENT, 1, date=day(8, 2), items=[WasteItem("besi", 1)], actor=ACTOR)
    assert e.value.fields == ("items",)
    assert state(db) == before


DEPOSIT_REFUSALS = [
    (1, day(1, 15), [WasteItem("pet", 10), WasteItem("besi", 10)], "items[1].waste_type",
     "has no price on 2026-01-15"),
    (1, day(3, 2), [WasteItem("pet", 10), WasteItem("pet", 20)], "items[1].waste_type",
     "appears twice"),
    (1, day(3, 2), [WasteItem("kaca", 10)], "items[0].waste_type", "not a waste type"),
    (9, day(3, 2), [WasteItem("pet", 10)], "member", "not a member"),
    (0, day(3, 2), [WasteItem("pet", 10)], "member", "member number"),
    (True, day(3, 2), [WasteItem("pet", 10)], "member", "member number"),
    (1, day(3, 2), [], "items", "1 to 100"),
    (1, day(3, 2), [WasteItem("pet", 1)] * 101, "items", "1 to 100"),
    (1, day(3, 2), [("pet", 10)], "items[0]", "WasteItem"),
    (1, day(3, 2), "pet", "items", "list"),
    (1, dt.datetime(2026, 3, 2, tzinfo=dt.UTC), [WasteItem("pet", 10)], "date", "a date"),
    (1, dt.date(2019, 1, 1), [WasteItem("pet", 10)], "member", "had not joined"),
]  # fmt: skip


def test_deposit_refusals_write_nothing(bank: WasteBank) -> None:
    db = bank.books.database
    before = state(db)
    for member, when, wanted, field, message in DEPOSIT_REFUSALS:
        with pytest.raises(ValidationError, match=message) as e:
            bank.deposit(ENT, member, date=when, items=wanted, actor=ACTOR)  # type: ignore[arg-type]
        assert e.value.fields == (field,)
    assert state(db) == before


def test_deposit_by_a_member_not_yet_joined_or_gone(bank: WasteBank) -> None:
    registry = EnterpriseRegistry(bank.books.database, CLOCK)
    late = registry.add_member(ENT, name="Nasabah Baru", joined=day(5, 1), actor=ADMIN).number
    with pytest.raises(ValidationError, match="had not joined") as e:
        bank.deposit(ENT, late, date=day(4, 30), items=[WasteItem("pet", 10)], actor=ACTOR)
    assert e.value.fields == ("member",)
    registry.change_member(ENT, 2, left=day(4, 30), actor=ADMIN)
    bank.deposit(ENT, 2, date=day(4, 30), items=[WasteItem("pet", 10)], actor=ACTOR)
    with pytest.raises(ValidationError, match="left on 2026-04-30"):
        bank.deposit(ENT, 2, date=day(5, 1), items=[WasteItem("pet", 10)], actor=ACTOR)


def test_deposit_in_a_closed_period_is_refused(bank: WasteBank) -> None:
    db = bank.books.database
    bank.deposit(ENT, 1, date=day(3, 10), items=[WasteItem("pet", 1_000)], actor=ACTOR)
    bank.books.close_period(ENT, day(3, 31), actor=ACTOR)
    before = state(db)
    with pytest.raises(ValidationError, match="closed period") as e:
        bank.deposit(ENT, 1, date=day(3, 15), items=[WasteItem("pet", 1_000)], actor=ACTOR)
    assert e.value.fields == ("date",)
    with pytest.raises(ValidationError, match="closed period") as e:
        bank.set_price(ENT, WastePrice("besi", day(3, 31), Rupiah(1)), actor=ACTOR)
    assert e.value.fields == ("effective_from",)
    assert state(db) == before
    bank.deposit(ENT, 1, date=day(4, 1), items=[WasteItem("pet", 1_000)], actor=ACTOR)
    assert bank.balance(ENT, 1) == Rupiah(4_000)


def test_unknown_enterprise(bank: WasteBank) -> None:
    with pytest.raises(NotFoundError):
        bank.deposit("mks-nowhere", 1, date=day(3, 2), items=[WasteItem("pet", 1)], actor=ACTOR)
    with pytest.raises(NotFoundError):
        bank.stock("mks-nowhere")
    with pytest.raises(NotFoundError):
        bank.prices("mks-nowhere", on=day(3, 2))
    with pytest.raises(NotFoundError):
        bank.collected("mks-nowhere", Period.parse("2026"))


# --- withdrawals ----------------------------------------------------------------------------


def test_withdraw(bank: WasteBank) -> None:
    bank.deposit(ENT, 1, date=day(3, 2), items=[WasteItem("pet", 5_000)], actor=ACTOR)
    entry = bank.withdraw(ENT, 1, date=day(3, 9), amount=Rupiah(4_000), actor=ACTOR)
    assert entry.kind == EntryKind.SAVINGS_WITHDRAWAL
    assert bank.balance(ENT, 1) == Rupiah(6_000)
    assert bank.balance(ENT, 1, as_of=day(3, 8)) == Rupiah(10_000)
    assert bank.books.balance(ENT, StandardAccount.CASH) == Rupiah(-4_000)
    bank.withdraw(ENT, 1, date=day(3, 9), amount=Rupiah(6_000), payment="bank", actor=ACTOR)
    assert bank.balance(ENT, 1) == Rupiah(0)


def test_withdraw_beyond_balance_changes_nothing(bank: WasteBank) -> None:
    db = bank.books.database
    bank.deposit(ENT, 1, date=day(3, 2), items=[WasteItem("pet", 1_000)], actor=ACTOR)
    before = state(db)
    with pytest.raises(ValidationError, match="below zero"):
        bank.withdraw(ENT, 1, date=day(3, 9), amount=Rupiah(2_001), actor=ACTOR)
    with pytest.raises(ValidationError, match="below zero"):
        bank.withdraw(ENT, 2, date=day(3, 9), amount=Rupiah(1), actor=ACTOR)
    with pytest.raises(ValidationError) as e:
        bank.withdraw(ENT, 1, date=day(3, 9), amount=Rupiah(1), payment="cheque", actor=ACTOR)
    assert e.value.fields == ("payment",)
    with pytest.raises(ValidationError) as e:
        bank.withdraw(ENT, 1, date=day(3, 9), amount=Rupiah(0), actor=ACTOR)
    assert e.value.fields == ("amount",)
    assert state(db) == before
    assert bank.balance(ENT, 1) == Rupiah(2_000)


# --- sales ----------------------------------------------------------------------------------


def test_sell_part_then_rest_empties_stock_exactly(bank: WasteBank) -> None:
    books = bank.books
    # 333 g at Rp1.500 = Rp500 (Rp499,5 rounded up); 1 kg at Rp2.000: 1.333 g worth Rp2.500.
    bank.deposit(ENT, 1, date=day(2, 20), items=[WasteItem("pet", 333)], actor=ACTOR)
    bank.deposit(ENT, 2, date=day(3, 5), items=[WasteItem("pet", 1_000)], actor=ACTOR)
    deposited = Rupiah(2_500)
    assert bank.stock(ENT) == [StockLevel("pet", 1_333, deposited)]
    first = bank.sell(
        ENT, date=day(3, 10), items=[WasteItem("pet", 500)], buyer="BSI Makassar", actor=ACTOR
    )
    # Cost 2.500 x 500 / 1.333 = 937,7 -> Rp938; amount 0,5 kg x Rp3.000 = Rp1.500.
    assert first.cost == Rupiah(938)
    assert first.amount == Rupiah(1_500)
    assert first.items == (PricedItem("pet", 500, Rupiah(3_000), Rupiah(1_500)),)
    assert first.entry.description == "Penjualan sampah ke BSI Makassar"
    assert first.entry.kind == EntryKind.WASTE_SALE
    assert [(ln.account, ln.signed) for ln in first.entry.lines] == [
        ("1101", 1_500),
        ("4103", -1_500),
        ("5101", 938),
        ("1106", -938),
    ]
    assert bank.stock(ENT) == [StockLevel("pet", 833, Rupiah(1_562))]
    rest = bank.sell(
        ENT,
        date=day(3, 10),
        items=[WasteItem("pet", 833)],
        buyer="BSI Makassar",
        payment=Payment.BANK,
        actor=ACTOR,
    )
    assert rest.cost == Rupiah(1_562)
    assert bank.stock(ENT) == [StockLevel("pet", 0, Rupiah(0))]
    assert books.balance(ENT, StandardAccount.WASTE_INVENTORY) == Rupiah(0)
    assert books.balance(ENT, StandardAccount.COST_OF_SALES) == deposited
    assert books.balance(ENT, StandardAccount.WASTE_SALES) == first.amount + rest.amount
    assert books.balance(ENT, StandardAccount.BANK) == rest.amount
    # Selling takes nothing from the members' savings.
    assert bank.balance(ENT, 1) + bank.balance(ENT, 2) == deposited
    assert ledger_sum(bank.books.database) == 0


def test_sell_more_than_stock_is_refused(bank: WasteBank) -> None:
    db = bank.books.database
    bank.deposit(ENT, 1, date=day(3, 2), items=[WasteItem("pet", 1_000)], actor=ACTOR)
    before = state(db)
    with pytest.raises(ValidationError, match="1001 g of 'pet' asked, 1000 g on hand") as e:
        bank.sell(ENT, date=day(3, 3), items=[WasteItem("pet", 1_001)], buyer="BSI", actor=ACTOR)
    assert e.value.fields == ("items[0].grams",)
    with pytest.raises(ValidationError, match="0 g on hand") as e:
        bank.sell(
            ENT,
            date=day(3, 3),
            items=[WasteItem("pet", 10), WasteItem("besi", 1)],
            buyer="BSI",
            actor=ACTOR,
        )
    assert e.value.fields == ("items[1].grams",)
    assert state(db) == before


def test_sale_refusals(bank: WasteBank) -> None:
    db = bank.books.database
    bank.deposit(
        ENT,
        1,
        date=day(3, 2),
        items=[WasteItem("pet", 1_000), WasteItem("kardus", 1_000)],
        actor=ACTOR,
    )
    before = state(db)
    kardus = [WasteItem("kardus", 500)]
    with pytest.raises(ValidationError, match="no sell price") as e:
        bank.sell(ENT, date=day(3, 3), items=kardus, buyer="BSI", actor=ACTOR)
    assert e.value.fields == ("amount",)
    with pytest.raises(ValidationError, match="date order") as e:
        bank.sell(ENT, date=day(3, 1), items=kardus, buyer="BSI", amount=Rupiah(1), actor=ACTOR)
    assert e.value.fields == ("date",)
    for buyer in ["", "x" * 201]:
        with pytest.raises(ValidationError) as e:
            bank.sell(ENT, date=day(3, 3), items=kardus, buyer=buyer, actor=ACTOR)
        assert e.value.fields == ("buyer",)
    with pytest.raises(ValidationError) as e:
        bank.sell(ENT, date=day(3, 3), items=kardus, buyer="BSI", amount=Rupiah(0), actor=ACTOR)
    assert e.value.fields == ("amount",)
    with pytest.raises(ValidationError) as e:
        bank.sell(ENT, date=day(3, 3), items=kardus, buyer="BSI", payment="barter", actor=ACTOR)
    assert e.value.fields == ("payment",)
    with pytest.raises(ValidationError, match="appears twice"):
        bank.sell(ENT, date=day(3, 3), items=kardus * 2, buyer="BSI", actor=ACTOR)
    assert state(db) == before


def test_sale_with_a_given_amount_shares_it_over_the_items(bank: WasteBank) -> None:
    bank.deposit(
        ENT,
        1,
        date=day(3, 2),
        items=[WasteItem("pet", 1_000), WasteItem("kardus", 3_000)],
        actor=ACTOR,
    )
    # Kardus has no sell price: the amount is shared by weight.
    sale = bank.sell(
        ENT,
        date=day(3, 4),
        items=[WasteItem("pet", 1_000), WasteItem("kardus", 3_000)],
        buyer="Pengepul Lorong 7",
        amount=Rupiah(10_001),
        payment="credit",
        actor=ACTOR,
    )
    assert sale.amount == Rupiah(10_001)
    assert sale.items == (
        PricedItem("pet", 1_000, Rupiah(2_500), Rupiah(2_500)),
        PricedItem("kardus", 3_000, Rupiah(2_500), Rupiah(7_501)),
    )
    assert sale.cost == Rupiah(5_000)
    assert bank.books.balance(ENT, StandardAccount.RECEIVABLES) == Rupiah(10_001)
    # With sell prices for every type, by value at those prices (Rp3.000 and Rp5.500).
    bank.deposit(
        ENT,
        2,
        date=day(3, 5),
        items=[WasteItem("pet", 1_000), WasteItem("besi", 1_000)],
        actor=ACTOR,
    )
    sale = bank.sell(
        ENT,
        date=day(3, 6),
        items=[WasteItem("pet", 1_000), WasteItem("besi", 1_000)],
        buyer="BSI",
        amount=Rupiah(17_000),
        actor=ACTOR,
    )
    assert [i.value for i in sale.items] == [Rupiah(6_000), Rupiah(11_000)]


def test_a_sale_at_cost_zero_posts_no_cost_lines(db: Database) -> None:
    bank = setup_bank(db, members=1)
    bank.set_price(ENT, WastePrice("besi", day(8, 1), Rupiah(1), Rupiah(5_000)), actor=ACTOR)
    bank.deposit(
        ENT,
        1,
        date=day(8, 1),
        items=[WasteItem("besi", 100), WasteItem("kardus", 1_000)],
        actor=ACTOR,
    )
    assert bank.stock(ENT)[0] == StockLevel("besi", 100, Rupiah(0))
    sale = bank.sell(ENT, date=day(8, 2), items=[WasteItem("besi", 100)], buyer="BSI", actor=ACTOR)
    assert sale.cost == Rupiah(0)
    assert sale.amount == Rupiah(500)
    assert [ln.account for ln in sale.entry.lines] == ["1101", "4103"]


def test_stock_as_of_and_collected(bank: WasteBank) -> None:
    bank.deposit(ENT, 1, date=day(2, 10), items=[WasteItem("pet", 1_000)], actor=ACTOR)
    bank.deposit(
        ENT,
        2,
        date=day(3, 10),
        items=[WasteItem("pet", 2_000), WasteItem("besi", 700)],
        actor=ACTOR,
    )
    bank.sell(ENT, date=day(3, 20), items=[WasteItem("pet", 2_500)], buyer="BSI", actor=ACTOR)
    assert bank.stock(ENT, as_of=day(2, 9)) == []
    assert bank.stock(ENT, as_of=day(2, 10)) == [StockLevel("pet", 1_000, Rupiah(1_500))]
    assert bank.stock(ENT, as_of=day(3, 19)) == [
        StockLevel("besi", 700, Rupiah(2_800)),
        StockLevel("pet", 3_000, Rupiah(5_500)),
    ]
    assert bank.stock(ENT) == [
        StockLevel("besi", 700, Rupiah(2_800)),
        StockLevel("pet", 500, Rupiah(917)),
    ]
    assert bank.collected(ENT, Period.parse("2026-03")) == {"besi": 700, "pet": 2_000}
    assert bank.collected(ENT, Period.parse("2026")) == {"besi": 700, "pet": 3_000}
    assert bank.collected(ENT, Period.parse("2026-04")) == {}
    total_stock = sum(s.value.amount for s in bank.stock(ENT))
    assert bank.books.balance(ENT, StandardAccount.WASTE_INVENTORY) == Rupiah(total_stock)


def test_enterprise_of_another_sector_may_run_a_waste_bank(db: Database) -> None:
    registry = EnterpriseRegistry(db, CLOCK)
    registry.register(
        Enterprise(
            id="mks-sehati-01",
            city="makassar",
            name="BULo Lorong Sehati",
            address=Address(village=RegionCode.parse("73.71.03.1001"), lorong="Lorong 3"),
            sector="processed_food",
            legal_form="cooperative",
            founded=FOUNDED,
        ),
        actor=ADMIN,
    )
    registry.add_member("mks-sehati-01", name="Anggota Contoh", joined=FOUNDED, actor=ADMIN)
    bank = WasteBank(db, CLOCK)
    bank.add_waste_type(
        "mks-sehati-01", WasteType("minyak-jelantah", "Minyak jelantah"), actor=ACTOR
    )
    bank.set_price(
        "mks-sehati-01", WastePrice("minyak-jelantah", day(1, 1), Rupiah(4_000)), actor=ACTOR
    )
    deposit = bank.deposit(
        "mks-sehati-01", 1, date=day(1, 2), items=[WasteItem("minyak-jelantah", 900)], actor=ACTOR
    )
    assert deposit.total == Rupiah(3_600)


# --- the books stay consistent --------------------------------------------------------------


def check_consistent(bank: WasteBank, members: int, days: Iterator[dt.date]) -> None:
    db = bank.books.database
    assert ledger_sum(db) == 0
    stock = bank.stock(ENT)
    assert all(s.grams >= 0 and s.value.amount >= 0 for s in stock)
    assert all(s.value.amount == 0 for s in stock if s.grams == 0)
    assert bank.books.balance(ENT, StandardAccount.WASTE_INVENTORY) == Rupiah.sum(
        s.value for s in stock
    )
    balances = [bank.balance(ENT, m) for m in range(1, members + 1)]
    assert all(b.amount >= 0 for b in balances)
    assert bank.books.balance(ENT, StandardAccount.WASTE_SAVINGS) == Rupiah.sum(balances)
    for when in days:
        levels = bank.stock(ENT, as_of=when)
        assert all(s.grams >= 0 and s.value.amount >= 0 for s in levels)
        assert bank.books.balance(ENT, StandardAccount.WASTE_INVENTORY, as_of=when) == Rupiah.sum(
            s.value for s in levels
        )


def test_ledger_balanced_after_a_mix(bank: WasteBank) -> None:
    bank.deposit(ENT, 1, date=day(2, 1), items=[WasteItem("pet", 777)], actor=ACTOR)
    bank.deposit(ENT, 2, date=day(3, 1), items=[WasteItem("besi", 1_234)], actor=ACTOR)
    bank.withdraw(ENT, 1, date=day(3, 2), amount=Rupiah(1_000), actor=ACTOR)
    bank.sell(ENT, date=day(3, 3), items=[WasteItem("besi", 1_000)], buyer="BSI", actor=ACTOR)
    check_consistent(bank, 3, iter([day(2, 1), day(3, 2), day(3, 3)]))


START = dt.date(2026, 1, 1)
codes = st.sampled_from(["pet", "kardus", "besi"])
# Each operation moves the day forward by 0-3 days, and sometimes is dated a few days back.
steps = st.integers(0, 3)
backdating = st.sampled_from([0, 0, 0, 1, 4])
# Sales and withdrawals ask for a share of what is on hand, in per mille: 1000 is all of it,
# above 1000 more than there is (refused).
shares = st.one_of(st.just(1_000), st.integers(1, 1_100))
deposits = st.tuples(
    st.just("deposit"),
    steps,
    backdating,
    st.integers(1, 2),
    st.lists(
        st.tuples(codes, st.integers(1, 5_000)), min_size=1, max_size=3, unique_by=lambda i: i[0]
    ),
)
sales = st.tuples(
    st.just("sell"),
    steps,
    backdating,
    st.none() | st.integers(1, 50_000),
    st.lists(st.tuples(codes, shares), min_size=1, max_size=3, unique_by=lambda i: i[0]),
)
withdrawals = st.tuples(st.just("withdraw"), steps, backdating, st.integers(1, 2), shares)
# Deposits come up twice as often: sales and withdrawals need something on hand.
operations = st.lists(st.one_of(deposits, deposits, sales, withdrawals), max_size=12)


def share_of(held: int, per_mille: int) -> int:
    return max(1, -(-held * per_mille // 1000))


def run(bank: WasteBank, op: tuple[Any, ...], today: dt.date) -> None:
    when = today - dt.timedelta(days=op[2])
    match op:
        case ("deposit", _, _, member, wanted):
            items = [WasteItem(code, grams) for code, grams in wanted]
            bank.deposit(ENT, member, date=when, items=items, actor=ACTOR)
        case ("sell", _, _, amount, wanted):
            held = {s.waste_type: s.grams for s in bank.stock(ENT) if s.grams}
            # Mostly types on hand (refusals are tested above), else a refused sale.
            wanted = [(code, pm) for code, pm in wanted if code in held] or wanted
            items = [WasteItem(code, share_of(held.get(code, 0), pm)) for code, pm in wanted]
            price = None if amount is None else Rupiah(amount)
            bank.sell(ENT, date=when, items=items, buyer="BSI", amount=price, actor=ACTOR)
        case ("withdraw", _, _, member, per_mille):
            balance = bank.balance(ENT, member).amount
            rupiah = Rupiah(share_of(balance, per_mille))
            bank.withdraw(ENT, member, date=when, amount=rupiah, actor=ACTOR)
        case _:  # pragma: no cover - the strategies make only the cases above
            pytest.fail(f"unexpected operation {op!r}")


@settings(max_examples=25, deadline=None)
@given(operations)
def test_random_operations_keep_the_books_consistent(ops: list[tuple[Any, ...]]) -> None:
    db = Database("sqlite://")
    try:
        upgrade(db)
        registry = EnterpriseRegistry(db, CLOCK)
        registry.register(
            Enterprise(
                id=ENT,
                city="makassar",
                name="Bank Sampah Mawar",
                address=Address(village=RegionCode.parse("73.71.03.1001"), lorong="Lorong 5"),
                sector="waste_bank",
                legal_form="community_group",
                founded=FOUNDED,
            ),
            actor=ADMIN,
        )
        for i in range(2):
            registry.add_member(ENT, name=f"Nasabah Contoh {i}", joined=FOUNDED, actor=ADMIN)
        bank = WasteBank(db, CLOCK)
        for waste_type in TYPES:
            bank.add_waste_type(ENT, waste_type, actor=ACTOR)
        # Prices that change on the way; besi is priced only from day 5, kardus is never sold
        # without an amount (it has no sell price).
        for price in [
            WastePrice("pet", START, Rupiah(1_500), Rupiah(2_500)),
            WastePrice("pet", START + dt.timedelta(days=10), Rupiah(1_999), Rupiah(2_750)),
            WastePrice("kardus", START, Rupiah(777)),
            WastePrice("besi", START + dt.timedelta(days=5), Rupiah(4_321), Rupiah(5_000)),
        ]:
            bank.set_price(ENT, price, actor=ACTOR)
        today = START + dt.timedelta(days=4)
        for op in ops:
            today += dt.timedelta(days=op[1])
            try:
                run(bank, op, today)
            except ValidationError:
                continue
        days = (START + dt.timedelta(days=d) for d in range(0, (today - START).days + 1, 3))
        check_consistent(bank, 2, days)
    finally:
        db.dispose()
