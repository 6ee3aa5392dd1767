"""The economy demo data: deterministic, idempotent, balanced books, no personal data leaked."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from smartcity_kit.core import FixedClock
from smartcity_kit.economy import Books, EnterpriseRegistry, LegalForm, Period, Sector
from smartcity_kit.economy import _store as store
from smartcity_kit.economy._demo import DEMO_CITIES, demo_enterprise_ids, seed_economy_demo
from smartcity_kit.economy._wastebank import WasteBank
from smartcity_kit.storage import AuditLog, Database, upgrade

TODAY = dt.date(2026, 3, 20)
CLOCK = FixedClock(dt.datetime(2026, 3, 21, 2, 0, tzinfo=dt.UTC))


def _seeded(per_city: int = 2) -> Database:
    db = Database("sqlite://")
    upgrade(db)
    seed_economy_demo(db, today=TODAY, per_city=per_city)
    return db


@pytest.fixture(scope="module")
def small() -> Iterator[Database]:
    """A demo of two enterprises per city (a cooperative and a waste bank each), on SQLite."""
    db = _seeded()
    yield db
    db.dispose()


def test_templates_cover_every_sector_and_two_waste_banks_per_city() -> None:
    ids = demo_enterprise_ids()
    assert len(ids) == 36
    assert len(set(ids)) == 36
    assert ids[:2] == ["mks-markisa", "mks-bs-bersih"]
    assert demo_enterprise_ids(20)[18:20] == ["mks-markisa-2", "mks-bs-bersih-2"]
    assert set(DEMO_CITIES) == {"makassar", "baubau"}


def test_counts_and_shape(small: Database) -> None:
    registry = EnterpriseRegistry(small)
    found = registry.enterprises()
    assert [e.id for e in found] == sorted(demo_enterprise_ids(2))
    assert {e.city for e in found} == {"makassar", "baubau"}
    assert {(e.sector, e.legal_form) for e in found} >= {
        (Sector.PROCESSED_FOOD, LegalForm.COOPERATIVE),
        (Sector.WASTE_BANK, LegalForm.COMMUNITY_GROUP),
    }
    for e in found:
        assert e.village.exists
        assert str(e.district).startswith(("73.71.", "74.72."))
        assert e.founded < dt.date(2025, 1, 1)
        members = registry.members(e.id)
        assert 5 <= len(members) <= 25
        assert all(m.nik is None for m in members)


def test_books_are_closed_last_year_and_cooperatives_shared_their_surplus(small: Database) -> None:
    books = Books(small)
    for enterprise in EnterpriseRegistry(small).enterprises():
        assert books.closed_through(enterprise.id) == dt.date(2025, 12, 31)
        entries = books.entries(enterprise.id, period=Period.parse("2026-01-01/2026-03-20"))
        assert entries, enterprise.id
        assert max(e.date for e in entries) <= TODAY
        if enterprise.legal_form == LegalForm.COOPERATIVE:
            shu = books.shu(enterprise.id, 2025)
            assert shu.surplus.amount > 0
            assert shu.members


def test_waste_banks_weigh_sell_and_changed_a_price(small: Database) -> None:
    bank = WasteBank(small)
    for eid in ("mks-bs-bersih", "bau-bs-kotamara"):
        assert len(bank.waste_types(eid)) == 6
        pet = bank.price_history(eid, "pet")
        assert len(pet) == 2
        assert pet[-1].effective_from == dt.date(2025, 7, 1)
        assert sum(bank.collected(eid, Period.year(2025)).values()) > 0
        sales = Books(small).entries(eid, kind="waste_sale")
        assert len(sales) >= 12
        assert all("Bank Sampah Induk" in s.description for s in sales)


def test_idempotent(small: Database) -> None:
    head = AuditLog(small).head()
    again = seed_economy_demo(small, today=TODAY, per_city=2)
    assert AuditLog(small).head() == head
    assert again["enterprises"] == 4
    assert again == seed_economy_demo(small, today=dt.date(2026, 9, 1), per_city=2)


def test_deterministic(small: Database) -> None:
    other = _seeded()
    try:
        assert seed_economy_demo(other, today=TODAY, per_city=2) == seed_economy_demo(
            small, today=TODAY, per_city=2
        )
        for eid in ("mks-markisa", "bau-bs-kotamara"):
            ours = Books(small, CLOCK).statements(eid, Period.year(2025)).to_json()
            theirs = Books(other, CLOCK).statements(eid, Period.year(2025)).to_json()
            assert ours == theirs
    finally:
        other.dispose()


def test_every_book_balances_and_no_name_reaches_the_audit_log(db: Database) -> None:
    counts = seed_economy_demo(db, today=TODAY, per_city=2)
    assert counts["enterprises"] == 4
    assert counts["waste_deposits"] > 0
    books, registry = Books(db), EnterpriseRegistry(db)
    with db.reading() as conn:
        total = conn.execute(sa.select(sa.func.sum(store.lines.c.amount))).scalar_one()
    assert int(total) == 0
    names = set()
    for enterprise in registry.enterprises():
        names |= {m.name for m in registry.members(enterprise.id)}
        for year in (2025, 2026):
            sheet = books.statements(enterprise.id, Period.year(year)).balance_sheet
            assert sheet.balanced, (enterprise.id, year)
            assert sheet.total_assets.amount > 0
        last_year = books.statements(enterprise.id, Period.year(2025)).income_statement
        assert last_year.total_revenue.amount > 0
    log = AuditLog(db)
    assert log.verify().intact
    written = json.dumps(
        [[e.actor, e.subject, dict(e.details)] for e in log.entries()], ensure_ascii=False
    )
    assert names
    assert not [name for name in names if name in written]
    assert not [name for name in names if name.split()[-1] in written]
