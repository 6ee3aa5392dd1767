"""The city's economic picture: each figure checked by hand on a small city."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from smartcity_kit.core import Address, FixedClock, RegionCode, Rupiah
from smartcity_kit.economy import (
    Books,
    Enterprise,
    EnterpriseRegistry,
    EnterpriseStatus,
    EntryKind,
    JournalEntry,
    JournalLine,
    LegalForm,
    Payment,
    Period,
    Sector,
    StandardAccount,
)
from smartcity_kit.economy import _store as store
from smartcity_kit.economy._city import (
    AreaFigures,
    CityEconomy,
    CityOverview,
    MonthFigures,
    grams_as_kg,
)
from smartcity_kit.errors import ValidationError
from smartcity_kit.storage import Database

ACTOR = "opd:dkukm/test"
TAMALATE = RegionCode("73.71.10")
RAPPOCINI = RegionCode("73.71.13")
Q1 = Period.parse("2026-Q1")
A = StandardAccount


def _enterprise(  # noqa: PLR0913, PLR0917 - the facts of an enterprise
    registry: EnterpriseRegistry,
    enterprise_id: str,
    village: str,
    sector: Sector,
    founded: dt.date,
    city: str = "makassar",
) -> str:
    registry.register(
        Enterprise(
            id=enterprise_id,
            city=city,
            name=f"BULo {enterprise_id}",
            address=Address(village=RegionCode.parse(village), lorong="Lorong 1"),
            sector=sector,
            legal_form=LegalForm.COOPERATIVE,
            founded=founded,
        ),
        actor=ACTOR,
    )
    return enterprise_id


def _waste(  # noqa: PLR0913, PLR0917 - the facts of a movement
    books: Books, enterprise: str, day: dt.date, grams: int, value: int, member: int
) -> None:
    """A waste deposit (grams > 0) or sale (grams < 0): its entry and its movement."""
    if grams > 0:
        lines = [
            JournalLine.debit_of(A.WASTE_INVENTORY, Rupiah(value)),
            JournalLine.credit_of(A.WASTE_SAVINGS, Rupiah(value), member=member),
        ]
        kind = EntryKind.WASTE_DEPOSIT
    else:
        lines = [
            JournalLine.debit_of(A.CASH, Rupiah(value)),
            JournalLine.credit_of(A.WASTE_SALES, Rupiah(value)),
            JournalLine.debit_of(A.COST_OF_SALES, Rupiah(value * 3 // 5)),
            JournalLine.credit_of(A.WASTE_INVENTORY, Rupiah(value * 3 // 5)),
        ]
        kind = EntryKind.WASTE_SALE
    # As the waste bank does it: the entry and its movement in one transaction.
    with books.database.transaction() as conn:
        entry = JournalEntry(enterprise, day, "Sampah", lines, kind=kind)
        posted = books.post_in(conn, entry, actor=ACTOR)
        conn.execute(
            store.waste_movements.insert().values(
                entry=posted.id,
                enterprise=enterprise,
                date=day,
                month=day.year * 100 + day.month,
                member=member if grams > 0 else None,
                waste_type="plastik",
                grams=grams,
                value=value,
            )
        )


@pytest.fixture
def city(db: Database) -> CityEconomy:
    """Four enterprises of Makassar in two kecamatan and two sectors, and one of Baubau.

    A (Tamalate, culinary), B (Tamalate, waste bank), C (Rappocini, culinary, founded in
    February), D (Rappocini, culinary, dissolved after trading in January), E (Baubau).
    """
    clock = FixedClock(dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC))
    registry = EnterpriseRegistry(db, clock)
    books = Books(db, clock)
    a = _enterprise(registry, "mks-a", "73.71.10.1001", Sector.CULINARY, dt.date(2020, 1, 1))
    b = _enterprise(registry, "mks-b", "73.71.10.1002", Sector.WASTE_BANK, dt.date(2021, 5, 1))
    c = _enterprise(registry, "mks-c", "73.71.13.1001", Sector.CULINARY, dt.date(2026, 2, 1))
    d = _enterprise(registry, "mks-d", "73.71.13.1002", Sector.CULINARY, dt.date(2019, 1, 1))
    e = _enterprise(
        registry, "bau-e", "74.72.02.1001", Sector.CULINARY, dt.date(2019, 1, 1), city="baubau"
    )

    def member(enterprise: str, joined: dt.date, left: dt.date | None = None) -> None:
        number = registry.add_member(enterprise, name="Warga Lorong", joined=joined, actor=ACTOR)
        if left is not None:
            registry.change_member(enterprise, number.number, left=left, actor=ACTOR)

    member(a, dt.date(2020, 1, 1))  # 1: belongs throughout
    member(a, dt.date(2020, 1, 1), left=dt.date(2026, 2, 10))  # 2: gone by the end of Q1
    member(a, dt.date(2026, 4, 5))  # 3: joins after Q1
    member(a, dt.date(2020, 1, 1), left=dt.date(2026, 3, 31))  # 4: leaves on Q1's last day
    member(b, dt.date(2021, 5, 1))
    member(b, dt.date(2021, 5, 1))
    member(c, dt.date(2026, 2, 1))
    member(d, dt.date(2019, 1, 1))
    member(e, dt.date(2019, 1, 1))

    def sale(enterprise: str, day: dt.date, amount: int, **kw: Any) -> JournalEntry:
        return books.record_sale(enterprise, date=day, amount=Rupiah(amount), actor=ACTOR, **kw)

    # A: a sale in December (outside), January sale and expense, the books closed through
    # January (a closing entry), a March sale reversed the same day, an April sale (outside).
    sale(a, dt.date(2025, 12, 20), 999_000)
    sale(a, dt.date(2026, 1, 10), 100_000, cost=Rupiah(60_000))
    books.record_expense(a, date=dt.date(2026, 1, 20), amount=Rupiah(15_000), actor=ACTOR)
    books.close_period(a, dt.date(2026, 1, 31), actor=ACTOR)
    wrong = sale(a, dt.date(2026, 3, 3), 50_000)
    books.reverse(wrong.id, actor=ACTOR)
    sale(a, dt.date(2026, 4, 1), 7_000)
    # B: waste deposits in February and on 31 March, a waste sale in March, a deposit in April.
    _waste(books, b, dt.date(2026, 2, 14), 2_500, 7_500, member=1)
    _waste(books, b, dt.date(2026, 3, 10), -1_000, 5_000, member=1)
    _waste(books, b, dt.date(2026, 3, 31), 1_234, 3_702, member=2)
    _waste(books, b, dt.date(2026, 4, 2), 700, 2_100, member=2)
    # C: a QRIS sale to its member in February, a March expense bigger than it (a loss).
    sale(c, dt.date(2026, 2, 2), 40_000, payment=Payment.QRIS, member=1)
    books.record_expense(c, date=dt.date(2026, 3, 5), amount=Rupiah(55_000), actor=ACTOR)
    # D: a January sale, then dissolved. E (Baubau): a January sale.
    sale(d, dt.date(2026, 1, 5), 10_000)
    registry.set_status(d, EnterpriseStatus.DISSOLVED, actor=ACTOR)
    sale(e, dt.date(2026, 1, 6), 1_000_000)
    return CityEconomy(db)


def _row(district: RegionCode | None, sector: Sector | None, *figures: int) -> AreaFigures:
    """Enterprises, members, revenue, surplus, waste grams."""
    enterprises, members, revenue, surplus, waste_grams = figures
    return AreaFigures(
        district=district,
        sector=sector,
        enterprises=enterprises,
        members=members,
        revenue=Rupiah(revenue),
        surplus=Rupiah(surplus),
        waste_grams=waste_grams,
    )


def _month(month: str, *figures: int) -> tuple[Any, ...]:
    """Revenue, surplus, waste grams, active enterprises."""
    return (month, *figures)


def _trend(picture: CityOverview) -> list[tuple[Any, ...]]:
    return [
        (
            f"{m.month.start:%Y-%m}",
            m.revenue.amount,
            m.surplus.amount,
            m.waste_grams,
            m.active_enterprises,
        )
        for m in picture.trend
    ]


def test_the_quarter_by_kecamatan_and_sector(city: CityEconomy) -> None:
    picture = city.overview("makassar", Q1)
    assert picture.city == "makassar"
    assert picture.period == Q1
    assert picture.group_by == ("district", "sector")
    assert picture.rows == (
        # A: 100 000 sold (the closing entry and the reversed sale leave it as is), less
        # 60 000 cost and 15 000 expense; members 1 and 4 (4 leaves on the last day).
        _row(TAMALATE, Sector.CULINARY, 1, 2, 100_000, 25_000, 0),
        # B: 5 000 of waste sold at 3 000 cost; 2 500 g + 1 234 g deposited (sales not counted).
        _row(TAMALATE, Sector.WASTE_BANK, 1, 2, 5_000, 2_000, 3_734),
        # C: 40 000 sold, 55 000 spent; D: dissolved, so neither it nor its member counts, but
        # its January sale of 10 000 does.
        _row(RAPPOCINI, Sector.CULINARY, 1, 1, 50_000, -5_000, 0),
    )
    assert picture.total == _row(None, None, 3, 5, 155_000, 22_000, 3_734)
    assert _trend(picture) == [
        _month("2026-01", 110_000, 35_000, 0, 2),  # A and D
        _month("2026-02", 40_000, 40_000, 2_500, 2),  # B and C
        _month("2026-03", 5_000, -53_000, 1_234, 3),  # A (sale and reversal), B, C
    ]
    assert picture.rows[1].waste_kg == "3.734"


def test_a_cut_period_counts_by_date_and_shows_empty_months(city: CityEconomy) -> None:
    picture = city.overview("makassar", Period.parse("2026-01-15/2026-05-10"), group_by=())
    # A: January's sale (the 10th) and D's (the 5th) fall before the period; A's expense, its
    # reversed March sale and its April sale fall in it. Members on 10 May: A's 1 and 3, B's
    # two, C's one.
    assert picture.total == _row(
        None,
        None,
        3,
        5,
        7_000 + 5_000 + 40_000,
        -15_000 + 7_000 + 2_000 + 40_000 - 55_000,
        2_500 + 1_234 + 700,
    )
    assert picture.rows == (picture.total,)
    assert [m.month for m in picture.trend] == [
        Period(dt.date(2026, 1, 15), dt.date(2026, 1, 31)),
        Period.month(2026, 2),
        Period.month(2026, 3),
        Period.month(2026, 4),
        Period(dt.date(2026, 5, 1), dt.date(2026, 5, 10)),
    ]
    assert _trend(picture) == [
        _month("2026-01", 0, -15_000, 0, 1),
        _month("2026-02", 40_000, 40_000, 2_500, 2),
        _month("2026-03", 5_000, -53_000, 1_234, 3),
        _month("2026-04", 7_000, 7_000, 700, 2),
        _month("2026-05", 0, 0, 0, 0),
    ]


def test_groupings(city: CityEconomy) -> None:
    # January by kecamatan: C was founded in February and D is dissolved, so Rappocini counts
    # no enterprise, though D's January sale is still the city's revenue.
    january = city.overview("makassar", Period.parse("2026-01"), group_by=["district"])
    assert january.rows == (
        _row(TAMALATE, None, 2, 5, 100_000, 25_000, 0),
        _row(RAPPOCINI, None, 0, 0, 10_000, 10_000, 0),
    )
    by_sector = city.overview("makassar", Q1, group_by=["sector"])
    assert by_sector.group_by == ("sector",)
    assert by_sector.rows == (
        _row(None, Sector.CULINARY, 2, 3, 150_000, 20_000, 0),
        _row(None, Sector.WASTE_BANK, 1, 2, 5_000, 2_000, 3_734),
    )
    # The order of group_by is kept; the rows still sort by kecamatan, then sector.
    swapped = city.overview("makassar", Q1, group_by=("sector", "district"))
    assert swapped.group_by == ("sector", "district")
    assert swapped.rows == city.overview("makassar", Q1).rows
    for group_by in [(), ("district",), ("sector",), ("district", "sector")]:
        picture = city.overview("makassar", Q1, group_by=group_by)
        assert sum(r.revenue.amount for r in picture.rows) == picture.total.revenue.amount
        assert sum(r.surplus.amount for r in picture.rows) == picture.total.surplus.amount
        assert sum(r.members for r in picture.rows) == picture.total.members
        assert sum(r.waste_grams for r in picture.rows) == picture.total.waste_grams
        assert sum(m.revenue.amount for m in picture.trend) == picture.total.revenue.amount


def test_filters_and_cities(city: CityEconomy) -> None:
    rappocini = city.overview("makassar", Q1, district="73.71.13")
    assert rappocini.total == _row(None, None, 1, 1, 50_000, -5_000, 0)
    assert [m.active_enterprises for m in rappocini.trend] == [1, 1, 1]
    assert city.overview("makassar", Q1, district=RAPPOCINI) == rappocini
    waste = city.overview("makassar", Q1, sector="waste_bank", group_by=["district"])
    assert waste.rows == (_row(TAMALATE, None, 1, 2, 5_000, 2_000, 3_734),)
    both = city.overview("makassar", Q1, district=TAMALATE, sector=Sector.CULINARY)
    assert both.total == _row(None, None, 1, 2, 100_000, 25_000, 0)
    # Another city's enterprises stay out of Makassar's figures, and a city without any has
    # no rows but a total and a trend of zeros.
    baubau = city.overview("baubau", Q1)
    assert baubau.total == _row(None, None, 1, 1, 1_000_000, 1_000_000, 0)
    empty = city.overview("parepare", Q1)
    assert empty.rows == ()
    assert empty.total == _row(None, None, 0, 0, 0, 0, 0)
    assert [m.active_enterprises for m in empty.trend] == [0, 0, 0]


def _floats(value: object) -> list[object]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in _floats(v)]
    return []


def test_to_json_has_no_floats(city: CityEconomy) -> None:
    data = city.overview("makassar", Q1).to_json()
    assert _floats(data) == []
    assert json.loads(json.dumps(data)) == data
    assert data["period"] == {"start": "2026-01-01", "end": "2026-03-31"}
    assert data["group_by"] == ["district", "sector"]
    assert data["rows"][1] == {
        "district": "73.71.10",
        "sector": "waste_bank",
        "enterprises": 1,
        "members": 2,
        "revenue": 5_000,
        "surplus": 2_000,
        "waste_grams": 3_734,
        "waste_kg": "3.734",
    }
    assert data["total"]["district"] is None
    assert data["trend"][2] == {
        "month": "2026-03",
        "start": "2026-03-01",
        "end": "2026-03-31",
        "revenue": 5_000,
        "surplus": -53_000,
        "waste_grams": 1_234,
        "waste_kg": "1.234",
        "active_enterprises": 3,
    }


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"group_by": ["kelurahan"]}, "group_by"),
        ({"group_by": ["district", "district"]}, "group_by"),
        ({"group_by": "village"}, "group_by"),
        ({"district": "73.71"}, "district"),
        ({"district": "73.71.10.1001"}, "district"),
        ({"district": "nowhere"}, "district"),
        ({"sector": "mining"}, "sector"),
        ({"period": "2026"}, "period"),
        ({"city": ""}, "city"),
    ],
)
def test_bad_input_is_refused(kwargs: dict[str, Any], field: str) -> None:
    # Refused before the database is read: this one has no tables at all.
    args: dict[str, Any] = {"city": "makassar", "period": Q1, **kwargs}
    with pytest.raises(ValidationError) as caught:
        CityEconomy(Database("sqlite://")).overview(args.pop("city"), args.pop("period"), **args)
    assert caught.value.errors[0].path == field


def test_one_grouping_may_be_named_alone(db: Database) -> None:
    picture = CityEconomy(db).overview("makassar", Q1, group_by="sector")
    assert picture.group_by == ("sector",)
    assert picture.rows == ()


def test_month_figures_to_json() -> None:
    month = MonthFigures(Period.month(2026, 2), Rupiah(1), Rupiah(-2), 1_500, 1)
    assert month.waste_kg == "1.5"
    assert month.to_json()["month"] == "2026-02"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_kilograms_are_exact(grams: int) -> None:
    text = grams_as_kg(grams)
    assert Decimal(text) == Decimal(grams) / 1000
    assert not text.endswith(("0.", "."))
    if "." in text:
        assert not text.endswith("0")


def test_whole_months_need_no_date_bound() -> None:
    # A period cut inside months is read by date too (its figures are checked above); whole
    # months are read by the month column alone.
    from smartcity_kit.economy._city import _in_period  # noqa: PLC0415 - a private helper

    lines = store.lines
    whole = _in_period(lines.c.month, lines.c.date, Q1)
    cut = _in_period(lines.c.month, lines.c.date, Period.parse("2026-01-15/2026-05-10"))
    assert len(whole) == 1
    assert len(cut) == 3
    assert isinstance(whole[0], sa.ColumnElement)
