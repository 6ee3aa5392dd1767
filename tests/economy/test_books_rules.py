"""Rules of the books that keep their own records in step: SHU, reversals, system entries."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from smartcity_kit.core import Address, FixedClock, RegionCode, Rupiah
from smartcity_kit.economy import (
    Account,
    Books,
    Enterprise,
    EnterpriseRegistry,
    EntryKind,
    JournalEntry,
    JournalLine,
    StandardAccount,
)
from smartcity_kit.economy import _store as store
from smartcity_kit.errors import ConflictError, SmartCityError, ValidationError
from smartcity_kit.storage import AuditLog, Database

E = "mks-rules-01"
ACTOR = "bulo:mks-rules-01/bendahara"
SA = StandardAccount


@pytest.fixture
def books(db: Database) -> Books:
    clock = FixedClock(dt.datetime(2027, 1, 20, 1, 0, tzinfo=dt.UTC))
    registry = EnterpriseRegistry(db, clock)
    registry.register(
        Enterprise(
            id=E,
            city="makassar",
            name="Koperasi Lorong Aturan",
            address=Address(village=RegionCode("73.71.03.1001"), lorong="Lorong 7"),
            sector="processed_food",
            legal_form="cooperative",
            founded=dt.date(2024, 1, 1),
        ),
        actor=ACTOR,
    )
    for name in ("Anggota Satu", "Anggota Dua"):
        registry.add_member(E, name=name, joined=dt.date(2024, 1, 1), actor=ACTOR)
    return Books(db, clock)


def _counts(db: Database) -> tuple[int, int, int]:
    with db.reading() as conn:
        entries = conn.execute(sa.select(sa.func.count()).select_from(store.entries)).scalar()
        lines = conn.execute(sa.select(sa.func.count()).select_from(store.lines)).scalar()
    return int(entries or 0), int(lines or 0), AuditLog(db).head_seq()


def test_shu_shares_only_the_years_own_result(books: Books) -> None:
    # 2025 is never closed on its own: a non-member sale then, a member sale in 2026, and one
    # closing through 2026 that spans both years.
    books.record_sale(E, date=dt.date(2025, 6, 1), amount=Rupiah(10_000_000), actor=ACTOR)
    books.record_sale(E, date=dt.date(2026, 6, 1), amount=Rupiah(1_000_000), member=1, actor=ACTOR)
    closing = books.close_period(E, dt.date(2026, 12, 31), actor=ACTOR)
    assert closing.result == Rupiah(11_000_000)
    shu = books.distribute_shu(E, 2026, date=dt.date(2027, 1, 15), actor=ACTOR)
    assert shu.surplus == Rupiah(1_000_000)
    assert shu.non_member_surplus == Rupiah(0)
    # JUA (25%) goes to the members; JMA goes to the reserve, since nobody saved.
    assert sum(m.total.amount for m in shu.members) == 250_000


def test_a_member_is_paid_their_shu_once(books: Books, db: Database) -> None:
    books.record_sale(E, date=dt.date(2026, 3, 1), amount=Rupiah(500_000), member=1, actor=ACTOR)
    books.close_period(E, dt.date(2026, 12, 31), actor=ACTOR)
    shu = books.distribute_shu(E, 2026, date=dt.date(2027, 1, 15), actor=ACTOR)
    owed = shu.members[0].total
    assert books.pay_shu(E, 1, date=dt.date(2027, 1, 16), actor=ACTOR).total == owed
    before = _counts(db)
    with pytest.raises(ValidationError, match="owed no SHU"):
        books.pay_shu(E, 1, date=dt.date(2027, 1, 17), actor=ACTOR)
    assert _counts(db) == before
    assert books.balance(E, SA.SHU_PAYABLE, member=1) == Rupiah(0)


def test_two_payments_at_once_pay_once(db: Database, books: Books) -> None:
    books.record_sale(E, date=dt.date(2026, 3, 1), amount=Rupiah(500_000), member=1, actor=ACTOR)
    books.close_period(E, dt.date(2026, 12, 31), actor=ACTOR)
    books.distribute_shu(E, 2026, date=dt.date(2027, 1, 15), actor=ACTOR)
    other = Books(Database(db.engine.url.render_as_string(hide_password=False)))
    results: list[object] = []
    start = threading.Barrier(2)

    def pay(which: Books) -> None:
        start.wait()
        try:
            results.append(which.pay_shu(E, 1, date=dt.date(2027, 1, 16), actor=ACTOR))
        except SmartCityError as e:
            results.append(e)

    threads = [threading.Thread(target=pay, args=(b,)) for b in (books, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.database.dispose()
    paid = [r for r in results if isinstance(r, JournalEntry)]
    assert len(paid) == 1
    assert [type(r) for r in results if not isinstance(r, JournalEntry)] == [ValidationError]
    assert books.balance(E, SA.SHU_PAYABLE, member=1) == Rupiah(0)


@pytest.mark.parametrize(
    ("kind", "lines", "field"),
    [
        (EntryKind.SHU, [("1101", 1), ("4101", -1)], "kind"),
        (EntryKind.WASTE_DEPOSIT, [("1101", 1), ("4101", -1)], "kind"),
        (EntryKind.WASTE_SALE, [("1101", 1), ("4101", -1)], "kind"),
        (EntryKind.REVERSAL, [("1101", 1), ("4101", -1)], "kind"),
        (EntryKind.GENERAL, [("1106", 500), ("1101", -500)], "lines[0].account"),
        (EntryKind.GENERAL, [("1101", 500), ("2301", -500)], "lines[1].account"),
    ],
)
def test_entries_by_hand_cannot_take_what_operations_keep(
    books: Books, db: Database, kind: EntryKind, lines: list[tuple[str, int]], field: str
) -> None:
    entry = JournalEntry(
        E,
        dt.date(2026, 5, 1),
        "Jurnal umum",
        [
            JournalLine.debit_of(code, Rupiah(amount))
            if amount > 0
            else JournalLine.credit_of(code, Rupiah(-amount), member=1 if code == "2301" else None)
            for code, amount in lines
        ],
        kind=kind,
    )
    before = _counts(db)
    with pytest.raises(ValidationError) as caught:
        books.post(entry, actor=ACTOR)
    assert caught.value.fields == (field,)
    with pytest.raises(ValidationError):
        books.post_many([entry], actor=ACTOR)
    assert _counts(db) == before


def test_a_reversal_is_made_by_reverse_only(books: Books) -> None:
    sale = books.record_sale(E, date=dt.date(2026, 5, 1), amount=Rupiah(1_000), actor=ACTOR)
    forged = JournalEntry(
        E,
        dt.date(2026, 5, 2),
        "Pembalikan",
        [line.swapped() for line in sale.lines],
        reverses=sale.id,
    )
    with pytest.raises(ValidationError) as caught:
        books.post(forged, actor=ACTOR)
    assert caught.value.fields == ("reverses",)
    assert books.reverse(sale.id, actor=ACTOR).reverses == sale.id
    with pytest.raises(ConflictError):
        books.reverse(sale.id, actor=ACTOR)


def test_a_departed_members_sale_can_still_be_reversed(db: Database, books: Books) -> None:
    sale = books.record_sale(
        E, date=dt.date(2026, 5, 1), amount=Rupiah(1_000), member=2, actor=ACTOR
    )
    EnterpriseRegistry(db).change_member(E, 2, left=dt.date(2026, 5, 31), actor=ACTOR)
    with pytest.raises(ValidationError, match="left on 2026-05-31"):
        books.record_sale(E, date=dt.date(2026, 6, 2), amount=Rupiah(1_000), member=2, actor=ACTOR)
    assert books.reverse(sale.id, actor=ACTOR, date=dt.date(2026, 6, 2)).total == Rupiah(1_000)


def test_a_reversal_of_a_closed_entry_is_dated_today_in_the_city(db: Database) -> None:
    # 23:30 UTC on 31 December is 07:30 on 1 January in Makassar (WITA).
    clock = FixedClock(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC))
    registry = EnterpriseRegistry(db, clock)
    registry.register(
        Enterprise(
            id=E,
            city="makassar",
            name="Koperasi Lorong Aturan",
            address=Address(village=RegionCode("73.71.03.1001"), lorong="Lorong 7"),
            sector="processed_food",
            legal_form="cooperative",
            founded=dt.date(2024, 1, 1),
        ),
        actor=ACTOR,
    )
    books = Books(db, clock)
    sale = books.record_sale(E, date=dt.date(2026, 12, 1), amount=Rupiah(1_000), actor=ACTOR)
    books.close_period(E, dt.date(2026, 12, 31), actor=ACTOR)
    assert books.reverse(sale.id, actor=ACTOR).date == dt.date(2027, 1, 1)


def test_an_enterprise_lies_in_its_city() -> None:
    with pytest.raises(ValidationError) as caught:
        Enterprise(
            id="bau-salah-01",
            city="baubau",
            name="BULo Salah Kota",
            address=Address(village=RegionCode("73.71.03.1001"), lorong="Lorong 1"),
            sector="crafts",
            legal_form="community_group",
            founded=dt.date(2024, 1, 1),
        )
    assert caught.value.fields == ("address.village",)


def test_only_liabilities_and_equity_hold_savings() -> None:
    with pytest.raises(ValidationError) as caught:
        Account("1301", "Simpanan di aset", savings="voluntary")
    assert caught.value.fields == ("savings",)
    assert Account("2209", "Simpanan hari raya", savings="voluntary").savings is not None
