"""The books of an enterprise: posting, refusals, the audit trail, savings, closing and SHU."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from smartcity_kit.core import Address, FixedClock, Nik, RegionCode, Rupiah
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
    SavingsKind,
    Sector,
    StandardAccount,
)
from smartcity_kit.errors import ConflictError, NotFoundError, SmartCityError, ValidationError
from smartcity_kit.storage import AuditLog, Database

CLOCK_START = dt.datetime(2026, 3, 1, 1, 0, tzinfo=dt.UTC)
ACTOR = "bulo:mks-maricaya-01/bendahara"
E = "mks-maricaya-01"
DISSOLVED = "mks-bubar-01"
FOUNDED = dt.date(2020, 1, 1)
NAMES = ("Andi Nurhaliza", "Budi Santoso", "Citra Lestari")
NIKS = (Nik("7371105508950001"), Nik("7371104101900002"), Nik("7371101203850003"))
SA = StandardAccount


def bulo(enterprise_id: str) -> Enterprise:
    return Enterprise(
        id=enterprise_id,
        city="makassar",
        name="BULo Lorong Sehati",
        address=Address(village=RegionCode("73.71.03.1001"), lorong="Lorong 3"),
        sector=Sector.PROCESSED_FOOD,
        legal_form=LegalForm.COOPERATIVE,
        founded=FOUNDED,
    )


def general(day: dt.date, *lines: JournalLine, enterprise: str = E) -> JournalEntry:
    return JournalEntry(enterprise=enterprise, date=day, description="Jurnal umum", lines=lines)


def cash_to(account: str, amount: int, day: dt.date, *, member: int | None = None) -> JournalEntry:
    """Cash in, credited to ``account``."""
    return general(
        day,
        JournalLine.debit_of(SA.CASH, Rupiah(amount)),
        JournalLine.credit_of(account, Rupiah(amount), member=member),
    )


@attrs.define
class World:
    """An enterprise with three members, some history, and its 2025 books closed."""

    db: Database
    clock: FixedClock
    registry: EnterpriseRegistry
    books: Books
    reversed_entry: int = 0
    closing_entry: int = 0

    def snapshot(self) -> dict[str, Any]:
        """Everything a refused call must leave as it was."""
        with self.db.reading() as conn:
            counts = {
                table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in (
                    "economy_entries",
                    "economy_lines",
                    "economy_closings",
                    "economy_shu",
                    "economy_members",
                    "economy_accounts",
                )
            }
            lines = conn.execute(
                sa.text("SELECT entry, account, amount, member FROM economy_lines ORDER BY id")
            ).all()
            closed = conn.execute(
                sa.text("SELECT id, status, closed_through FROM economy_enterprises ORDER BY id")
            ).all()
        return {
            **counts,
            "lines": [tuple(r) for r in lines],
            "enterprises": [tuple(r) for r in closed],
            "audit_head": AuditLog(self.db).head_seq(),
        }


@pytest.fixture
def world(db: Database) -> World:
    clock = FixedClock(CLOCK_START)
    registry = EnterpriseRegistry(db, clock)
    books = Books(db, clock)
    w = World(db, clock, registry, books)
    registry.register(bulo(E), actor=ACTOR)
    for name, nik in zip(NAMES, NIKS, strict=True):
        registry.add_member(E, name=name, nik=nik, joined=FOUNDED, actor=ACTOR)
    registry.register(bulo(DISSOLVED), actor=ACTOR)
    registry.set_status(DISSOLVED, EnterpriseStatus.DISSOLVED, actor=ACTOR)
    day = dt.date(2025, 1, 2)
    books.record_contribution(E, date=day, amount=Rupiah(5_000_000), actor=ACTOR)
    for member in (1, 2, 3):
        books.deposit_savings(E, member, "principal", date=day, amount=Rupiah(50_000), actor=ACTOR)
    books.deposit_savings(E, 1, "voluntary", date=day, amount=Rupiah(100_000), actor=ACTOR)
    mistake = books.record_expense(E, date=dt.date(2025, 2, 1), amount=Rupiah(9), actor=ACTOR)
    w.reversed_entry = books.reverse(mistake.id, actor=ACTOR).reverses or 0
    books.record_sale(E, date=dt.date(2025, 3, 1), amount=Rupiah(400_000), member=1, actor=ACTOR)
    books.record_expense(E, date=dt.date(2025, 3, 2), amount=Rupiah(150_000), actor=ACTOR)
    w.closing_entry = books.close_period(E, dt.date(2025, 12, 31), actor=ACTOR).entry or 0
    return w


# --- refusals change nothing -------------------------------------------------------------------

OPEN_DAY = dt.date(2026, 2, 2)


def _unbalanced(w: World) -> object:
    return w.books.post(
        general(
            OPEN_DAY,
            JournalLine.debit_of(SA.CASH, Rupiah(75_000)),
            JournalLine.credit_of(SA.SALES, Rupiah(57_000)),
        ),
        actor=ACTOR,
    )


def _post_many_with_one_bad(w: World) -> object:
    good = cash_to(SA.SALES, 10_000, OPEN_DAY)
    bad = cash_to("4999", 10_000, OPEN_DAY)
    return w.books.post_many([good, good, bad, good], actor=ACTOR)


# name: (the call, the error type, the field paths (ValidationError only), a part of the message)
REFUSALS: dict[
    str, tuple[Callable[[World], object], type[SmartCityError], tuple[str, ...], str]
] = {
    "unbalanced entry": (_unbalanced, ValidationError, ("lines",), "do not balance"),
    "closed period": (
        lambda w: w.books.post(cash_to(SA.SALES, 1_000, dt.date(2025, 12, 31)), actor=ACTOR),
        ValidationError,
        ("date",),
        "closed through 2025-12-31",
    ),
    "withdrawal beyond savings": (
        lambda w: w.books.withdraw_savings(
            E, 1, "voluntary", date=OPEN_DAY, amount=Rupiah(100_001), actor=ACTOR
        ),
        ValidationError,
        ("lines",),
        "below zero: Rp100.001 out of Rp100.000 held",
    ),
    "withdrawal from empty savings": (
        lambda w: w.books.withdraw_savings(
            E, 2, SavingsKind.WASTE, date=OPEN_DAY, amount=Rupiah(1), actor=ACTOR
        ),
        ValidationError,
        ("lines",),
        "below zero",
    ),
    "principal savings of a member who has not left": (
        lambda w: w.books.withdraw_savings(
            E, 1, "principal", date=OPEN_DAY, amount=Rupiah(50_000), actor=ACTOR
        ),
        ValidationError,
        ("kind",),
        "only when the member leaves",
    ),
    "mandatory savings of a member who has not left": (
        lambda w: w.books.withdraw_savings(
            E, 1, "mandatory", date=OPEN_DAY, amount=Rupiah(1), actor=ACTOR
        ),
        ValidationError,
        ("kind",),
        "only when the member leaves",
    ),
    "account not in the chart": (
        lambda w: w.books.post(cash_to("4999", 1_000, OPEN_DAY), actor=ACTOR),
        ValidationError,
        ("lines[1].account",),
        "4999 is not in the chart of accounts",
    ),
    "savings line without a member": (
        lambda w: w.books.post(cash_to(SA.VOLUNTARY_SAVINGS, 1_000, OPEN_DAY), actor=ACTOR),
        ValidationError,
        ("lines[1].member",),
        "holds member savings",
    ),
    "unknown member": (
        lambda w: w.books.post(
            cash_to(SA.VOLUNTARY_SAVINGS, 1_000, OPEN_DAY, member=99), actor=ACTOR
        ),
        ValidationError,
        ("lines[1].member",),
        "99 is not a member",
    ),
    "withdrawal by an unknown member": (
        lambda w: w.books.withdraw_savings(
            E, 99, "principal", date=OPEN_DAY, amount=Rupiah(1), actor=ACTOR
        ),
        ValidationError,
        ("lines[0].member",),
        "99 is not a member",
    ),
    "date before the founding": (
        lambda w: w.books.post(cash_to(SA.SALES, 1_000, dt.date(2019, 12, 31)), actor=ACTOR),
        ValidationError,
        ("date",),
        "before the enterprise was founded (2020-01-01)",
    ),
    "dissolved enterprise": (
        lambda w: w.books.record_contribution(
            DISSOLVED, date=OPEN_DAY, amount=Rupiah(1_000), actor=ACTOR
        ),
        ValidationError,
        ("enterprise",),
        "is dissolved",
    ),
    "unknown enterprise": (
        lambda w: w.books.post(
            attrs.evolve(cash_to(SA.SALES, 1, OPEN_DAY), enterprise="mks-nowhere-01"),
            actor=ACTOR,
        ),
        NotFoundError,
        (),
        "no enterprise 'mks-nowhere-01'",
    ),
    "reversing twice": (
        lambda w: w.books.reverse(w.reversed_entry, actor=ACTOR),
        ConflictError,
        (),
        "already reversed",
    ),
    "reversing a closing entry": (
        lambda w: w.books.reverse(w.closing_entry, actor=ACTOR),
        ConflictError,
        (),
        "closing entry",
    ),
    "reversing a reversal": (
        lambda w: w.books.reverse(w.reversed_entry + 1, actor=ACTOR),
        ConflictError,
        (),
        "reversal entry",
    ),
    "reversing an unknown entry": (
        lambda w: w.books.reverse(10_000, actor=ACTOR),
        NotFoundError,
        (),
        "no journal entry #10000",
    ),
    "reversing into a closed period": (
        lambda w: w.books.reverse(w.closing_entry - 1, date=dt.date(2025, 6, 1), actor=ACTOR),
        ValidationError,
        ("date",),
        "closed through 2025-12-31",
    ),
    "post_many with one bad entry among good ones": (
        _post_many_with_one_bad,
        ValidationError,
        ("lines[1].account",),
        "4999",
    ),
    "a closing entry posted by hand": (
        lambda w: w.books.post(
            attrs.evolve(cash_to(SA.SALES, 1, OPEN_DAY), kind=EntryKind.CLOSING), actor=ACTOR
        ),
        ValidationError,
        ("kind",),
        "made by close_period",
    ),
    "an entry posted again": (
        lambda w: w.books.post(w.books.entry(w.closing_entry - 1), actor=ACTOR),
        ConflictError,
        (),
        "already posted",
    ),
    "a member line before the member joined": (
        lambda w: w.books.post(
            cash_to(SA.SALES, 1_000, dt.date(2026, 1, 15), member=4), actor=ACTOR
        ),
        ValidationError,
        ("lines[1].member",),
        "had not joined on 2026-01-15",
    ),
    "a zero amount": (
        lambda w: w.books.record_sale(E, date=OPEN_DAY, amount=Rupiah(0), actor=ACTOR),
        ValidationError,
        ("amount",),
        "above Rp0",
    ),
    "a sale to a non-revenue account": (
        lambda w: w.books.record_sale(
            E, date=OPEN_DAY, amount=Rupiah(5), account=SA.CASH, actor=ACTOR
        ),
        ValidationError,
        ("account",),
        "revenue account",
    ),
    "an expense on a non-expense account": (
        lambda w: w.books.record_expense(
            E, date=OPEN_DAY, amount=Rupiah(5), account=SA.SALES, actor=ACTOR
        ),
        ValidationError,
        ("account",),
        "expense account",
    ),
    "a QRIS withdrawal": (
        lambda w: w.books.withdraw_savings(
            E, 1, "voluntary", date=OPEN_DAY, amount=Rupiah(5), payment=Payment.QRIS, actor=ACTOR
        ),
        ValidationError,
        ("payment",),
        "cash or bank",
    ),
    "closing a closed period again": (
        lambda w: w.books.close_period(E, dt.date(2025, 6, 30), actor=ACTOR),
        ValidationError,
        ("through",),
        "already closed through 2025-12-31",
    ),
    "distributing the SHU of an open year": (
        lambda w: w.books.distribute_shu(E, 2026, date=OPEN_DAY, actor=ACTOR),
        ValidationError,
        ("year",),
        "close the books through 2026-12-31 first",
    ),
    "an account added twice": (
        lambda w: w.books.add_account(E, w.books.chart(E).get(SA.CASH), actor=ACTOR),
        ValidationError,
        ("code",),
        "1101 already exists",
    ),
}


def test_every_refusal_names_the_problem_and_changes_nothing(world: World) -> None:
    # One world per engine for all the refusals: a fresh PostgreSQL schema per case is slow.
    world.registry.add_member(E, name="Dewi Anggraini", joined=dt.date(2026, 2, 1), actor=ACTOR)
    failures = []
    for name, (call, error_type, fields, fragment) in REFUSALS.items():
        before = world.snapshot()
        try:
            call(world)
        except SmartCityError as e:
            problems = []
            if type(e) is not error_type:
                problems.append(f"raised {type(e).__name__}: {e}")
            if isinstance(e, ValidationError) and tuple(e.fields) != fields:
                problems.append(f"fields {e.fields}")
            if fragment not in str(e):
                problems.append(f"message {str(e)!r}")
            if world.snapshot() != before:
                problems.append("wrote something")
            if problems:
                failures.append(f"{name}: {'; '.join(problems)}")
        else:
            failures.append(f"{name}: was not refused")
    assert not failures, "\n".join(failures)
    assert AuditLog(world.db).verify().intact


def test_a_reversal_that_would_overdraw_savings_is_refused(world: World) -> None:
    deposit = world.books.deposit_savings(
        E, 2, "voluntary", date=OPEN_DAY, amount=Rupiah(30_000), actor=ACTOR
    )
    world.books.withdraw_savings(
        E, 2, "voluntary", date=OPEN_DAY, amount=Rupiah(30_000), actor=ACTOR
    )
    before = world.snapshot()
    with pytest.raises(ValidationError, match="below zero") as error:
        world.books.reverse(deposit.id, actor=ACTOR)
    assert error.value.fields == ("lines",)
    assert world.snapshot() == before


# --- posting and the audit trail ---------------------------------------------------------------


def test_post_returns_the_posted_entry_and_stores_signed_lines(world: World) -> None:
    world.clock.advance(hours=3)
    entry = JournalEntry(
        enterprise=E,
        date=dt.date(2026, 2, 14),
        description="Penjualan sirup markisa ke anggota",
        lines=[
            JournalLine.debit_of(SA.QRIS_CLEARING, Rupiah(75_000)),
            JournalLine.credit_of(SA.SALES, Rupiah(75_000), member=2, memo="10 botol"),
        ],
        kind=EntryKind.SALE,
    )
    posted = world.books.post(entry, actor=ACTOR)
    assert posted.id > 0
    assert posted.posted_at == CLOCK_START + dt.timedelta(hours=3)
    assert posted.posted_by == ACTOR
    assert attrs.evolve(posted, id=0, posted_at=None, posted_by=None) == entry
    assert world.books.entry(posted.id) == posted
    with world.db.reading() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT enterprise, date, month, grp, account, kind, amount, member, memo "
                "FROM economy_lines WHERE entry = :id ORDER BY id"
            ),
            {"id": posted.id},
        ).all()
    assert [tuple(r)[2:] for r in rows] == [
        (202602, 1, "1103", "sale", 75_000, None, None),
        (202602, 4, "4101", "sale", -75_000, 2, "10 botol"),
    ]
    assert {(r[0], str(r[1])) for r in rows} == {(E, "2026-02-14")}


def test_each_posting_appends_exactly_one_audit_entry(world: World) -> None:
    audit = AuditLog(world.db)
    books = world.books
    day = dt.date(2026, 2, 2)
    calls: list[Callable[[], JournalEntry | list[JournalEntry]]] = [
        lambda: books.record_sale(
            E,
            date=day,
            amount=Rupiah(60_000),
            cost=Rupiah(35_000),
            payment="qris",
            member=1,
            actor=ACTOR,
        ),
        lambda: books.record_purchase(
            E, date=day, amount=Rupiah(20_000), item="supplies", payment="credit", actor=ACTOR
        ),
        lambda: books.record_expense(
            E, date=day, amount=Rupiah(7_500), account=SA.UTILITIES, actor=ACTOR
        ),
        lambda: books.record_depreciation(E, date=day, amount=Rupiah(1_000), actor=ACTOR),
        lambda: books.record_contribution(
            E, date=day, amount=Rupiah(1_000), payment="bank", actor=ACTOR
        ),
        lambda: books.deposit_savings(
            E, 2, "mandatory", date=day, amount=Rupiah(10_000), actor=ACTOR
        ),
        lambda: books.withdraw_savings(
            E, 1, "voluntary", date=day, amount=Rupiah(10_000), actor=ACTOR
        ),
        lambda: books.post_many(
            [cash_to(SA.OTHER_INCOME, n, day) for n in (1, 2, 3)], actor="import:2026"
        ),
        lambda: books.reverse(world.closing_entry - 1, actor=ACTOR),
    ]
    for call in calls:
        head = audit.head_seq()
        result = call()
        posted = result if isinstance(result, list) else [result]
        assert audit.head_seq() == head + len(posted)
        for entry in posted:
            [record] = audit.entries(subject=f"entry:{entry.id}")
            assert record.seq > head
            assert record.action == "economy.entry.posted"
            assert record.actor == entry.posted_by
            assert record.at == world.clock.now()
            expected = {
                "enterprise": E,
                "date": entry.date.isoformat(),
                "kind": str(entry.kind),
                "lines": len(entry.lines),
                "digest": entry.digest(),
            }
            assert {k: record.details[k] for k in expected} == expected
            assert record.details["total"] == str(entry.total)
            assert record.details.get("reverses") == entry.reverses
            assert books.entry(entry.id).digest() == entry.digest()
    assert audit.verify().intact


def test_closing_is_audited_with_its_entry(world: World) -> None:
    audit = AuditLog(world.db)
    world.books.record_sale(E, date=dt.date(2026, 1, 5), amount=Rupiah(1_000), actor=ACTOR)
    head = audit.head_seq()
    closing = world.books.close_period(E, dt.date(2026, 1, 31), actor=ACTOR)
    assert audit.head_seq() == head + 2
    posted, closed = audit.entries()[-2:]
    assert (posted.action, posted.subject) == ("economy.entry.posted", f"entry:{closing.entry}")
    assert posted.details["digest"] == world.books.entry(closing.entry or 0).digest()
    assert (closed.action, closed.subject) == ("economy.period.closed", f"enterprise:{E}")
    assert closed.details == {
        "start": "2026-01-01",
        "through": "2026-01-31",
        "result": "Rp1.000",
        "entry": closing.entry,
    }


def test_no_name_or_nik_reaches_the_audit_log(world: World) -> None:
    books = world.books
    day = dt.date(2026, 2, 2)
    for member in (1, 2, 3):
        books.deposit_savings(E, member, "voluntary", date=day, amount=Rupiah(5_000), actor=ACTOR)
        books.record_sale(E, date=day, amount=Rupiah(10_000), member=member, actor=ACTOR)
    world.registry.change_member(E, 3, left=day, role="secretary", actor=ACTOR)
    books.withdraw_savings(E, 3, "principal", date=day, amount=Rupiah(50_000), actor=ACTOR)
    books.close_period(E, dt.date(2026, 12, 31), actor=ACTOR)
    books.distribute_shu(E, 2026, date=dt.date(2027, 1, 15), actor=ACTOR)
    text = "\n".join(
        f"{e.actor}\n{e.subject}\n{json.dumps(e.details, ensure_ascii=False)}"
        for e in AuditLog(world.db).entries()
    )
    words = {w for name in NAMES for w in name.split()}
    for secret in (*NAMES, *words, *(n.reveal() for n in NIKS)):
        assert secret not in text
    assert AuditLog(world.db).verify().intact


def test_large_amounts_can_be_posted(world: World) -> None:
    posted = world.books.record_contribution(
        E, date=OPEN_DAY, amount=Rupiah(800_000_000), actor=ACTOR
    )
    assert world.books.balance(E, SA.CAPITAL) == Rupiah(805_000_000)
    assert posted.id


# --- reading: balances, totals, journal --------------------------------------------------------


def test_balances_on_the_normal_side_as_of_a_day_and_per_member(world: World) -> None:
    books = world.books
    assert books.balance(E, SA.CAPITAL) == Rupiah(5_000_000)
    assert books.balance(E, SA.CASH) == Rupiah(5_000_000 + 150_000 + 100_000 + 400_000 - 150_000)
    assert books.balance(E, SA.CASH, as_of=dt.date(2025, 1, 1)) == Rupiah(0)
    assert books.balance(E, SA.PRINCIPAL_SAVINGS) == Rupiah(150_000)
    assert books.balance(E, SA.PRINCIPAL_SAVINGS, member=2) == Rupiah(50_000)
    # Closed: revenue and expenses are back to zero, the result sits in retained earnings.
    assert books.balance(E, SA.SALES) == Rupiah(0)
    assert books.balance(E, SA.SALES, as_of=dt.date(2025, 12, 30)) == Rupiah(400_000)
    assert books.balance(E, SA.RETAINED_EARNINGS) == Rupiah(250_000)
    with pytest.raises(NotFoundError, match="no account 4999"):
        books.balance(E, "4999")


def test_totals_over_a_period(world: World) -> None:
    books = world.books
    books.record_sale(E, date=dt.date(2026, 1, 10), amount=Rupiah(30_000), actor=ACTOR)
    books.record_sale(E, date=dt.date(2026, 2, 10), amount=Rupiah(20_000), actor=ACTOR)
    totals = books.totals(E, Period.parse("2026-02"))
    assert totals.opening[SA.SALES] == -30_000
    assert totals.movement[SA.SALES] == -20_000
    assert totals.closing[SA.SALES] == -50_000
    assert totals.closed_through == dt.date(2025, 12, 31)
    assert totals.chart == books.chart(E)
    year = books.totals(E, Period.year(2025))
    # The income statement's movement leaves the closing entry out; the closing balance has it.
    assert year.movement[SA.SALES] == -400_000
    assert year.closing[SA.SALES] == 0
    assert year.closing[SA.RETAINED_EARNINGS] == -250_000
    assert sum(year.closing.values()) == 0
    assert sum(year.movement.values()) == 0


def test_entries_lists_the_journal(world: World) -> None:
    books = world.books
    journal = books.entries(E)
    assert [e.id for e in journal] == sorted(e.id for e in journal)
    assert [e.date for e in journal] == sorted(e.date for e in journal)
    assert [e.kind for e in books.entries(E, kind="closing")] == [EntryKind.CLOSING]
    march = books.entries(E, period=Period.parse("2025-03"))
    assert [e.kind for e in march] == [EntryKind.SALE, EntryKind.EXPENSE]
    assert books.entries(E, limit=2, offset=1) == journal[1:3]
    assert books.entries(DISSOLVED) == []
    with pytest.raises(NotFoundError):
        books.entries("mks-nowhere-01")


# --- savings -----------------------------------------------------------------------------------


def test_savings_per_kind(world: World) -> None:
    books = world.books
    day = dt.date(2026, 2, 2)
    books.deposit_savings(E, 2, "mandatory", date=day, amount=Rupiah(25_000), actor=ACTOR)
    books.deposit_savings(
        E, 2, "voluntary", date=day, amount=Rupiah(40_000), payment="qris", actor=ACTOR
    )
    books.deposit_savings(E, 2, SavingsKind.WASTE, date=day, amount=Rupiah(3_500), actor=ACTOR)
    books.withdraw_savings(
        E, 2, "voluntary", date=day, amount=Rupiah(15_000), payment="bank", actor=ACTOR
    )
    books.withdraw_savings(E, 2, "waste", date=day, amount=Rupiah(3_500), actor=ACTOR)
    assert books.savings(E, 2) == {
        SavingsKind.PRINCIPAL: Rupiah(50_000),
        SavingsKind.MANDATORY: Rupiah(25_000),
        SavingsKind.VOLUNTARY: Rupiah(25_000),
        SavingsKind.WASTE: Rupiah(0),
    }
    assert books.savings(E, 2, as_of=dt.date(2026, 1, 1))[SavingsKind.VOLUNTARY] == Rupiah(0)
    assert books.balance(E, SA.QRIS_CLEARING) == Rupiah(40_000)
    assert books.balance(E, SA.BANK) == Rupiah(-15_000)
    with pytest.raises(NotFoundError, match="no member 9"):
        books.savings(E, 9)


def test_a_member_who_left_takes_principal_and_mandatory_savings_from_the_leaving_day(
    world: World,
) -> None:
    books = world.books
    left = dt.date(2026, 4, 30)
    books.deposit_savings(
        E, 3, "mandatory", date=dt.date(2026, 1, 5), amount=Rupiah(20_000), actor=ACTOR
    )
    world.registry.change_member(E, 3, left=left, actor=ACTOR)
    with pytest.raises(ValidationError, match="only when the member leaves"):
        books.withdraw_savings(
            E, 3, "principal", date=left - dt.timedelta(days=1), amount=Rupiah(50_000), actor=ACTOR
        )
    books.withdraw_savings(E, 3, "principal", date=left, amount=Rupiah(50_000), actor=ACTOR)
    books.withdraw_savings(
        E, 3, "mandatory", date=left + dt.timedelta(days=3), amount=Rupiah(20_000), actor=ACTOR
    )
    assert set(books.savings(E, 3).values()) == {Rupiah(0)}
    with pytest.raises(ValidationError, match="below zero"):
        books.withdraw_savings(E, 3, "principal", date=left, amount=Rupiah(1), actor=ACTOR)


def test_a_back_dated_withdrawal_cannot_spend_a_later_deposit(world: World) -> None:
    books = world.books
    books.deposit_savings(
        E, 2, "voluntary", date=dt.date(2026, 3, 1), amount=Rupiah(10_000), actor=ACTOR
    )
    with pytest.raises(ValidationError, match="below zero"):
        books.withdraw_savings(
            E, 2, "voluntary", date=dt.date(2026, 2, 1), amount=Rupiah(10_000), actor=ACTOR
        )
    # Nor may it spend money that a later withdrawal already took.
    books.withdraw_savings(
        E, 2, "voluntary", date=dt.date(2026, 4, 1), amount=Rupiah(10_000), actor=ACTOR
    )
    books.deposit_savings(
        E, 2, "voluntary", date=dt.date(2026, 5, 1), amount=Rupiah(10_000), actor=ACTOR
    )
    with pytest.raises(ValidationError, match="below zero"):
        books.withdraw_savings(
            E, 2, "voluntary", date=dt.date(2026, 3, 15), amount=Rupiah(10_000), actor=ACTOR
        )
    books.withdraw_savings(
        E, 2, "voluntary", date=dt.date(2026, 5, 1), amount=Rupiah(10_000), actor=ACTOR
    )
    assert books.savings(E, 2)[SavingsKind.VOLUNTARY] == Rupiah(0)


# --- reversals ---------------------------------------------------------------------------------


def test_a_reversal_restores_every_balance(world: World) -> None:
    books = world.books
    before = books.totals(E, Period.year(2026)).closing
    sale = books.record_sale(
        E,
        date=dt.date(2026, 2, 1),
        amount=Rupiah(80_000),
        cost=Rupiah(50_000),
        member=2,
        actor=ACTOR,
    )
    undo = books.reverse(sale.id, actor=ACTOR)
    assert (undo.kind, undo.reverses, undo.date) == (EntryKind.REVERSAL, sale.id, sale.date)
    after = books.totals(E, Period.year(2026)).closing
    assert {k: v for k, v in after.items() if v} == {k: v for k, v in before.items() if v}


def test_an_entry_of_a_closed_period_is_reversed_today_or_on_the_day_given(world: World) -> None:
    books = world.books
    expense = world.closing_entry - 1
    undo = books.reverse(expense, actor=ACTOR)
    assert undo.date == CLOCK_START.date()
    assert undo.description.startswith(f"Pembalikan jurnal #{expense}")
    other = books.entries(E, kind="sale")[0]
    chosen = books.reverse(other.id, date=dt.date(2026, 1, 15), description="Koreksi", actor=ACTOR)
    assert (chosen.date, chosen.description) == (dt.date(2026, 1, 15), "Koreksi")


# --- closing -----------------------------------------------------------------------------------


def test_closing_zeroes_the_nominal_accounts_into_retained_earnings(world: World) -> None:
    books = world.books
    [first] = books.closings(E)
    assert (first.start, first.through, first.result) == (
        FOUNDED,
        dt.date(2025, 12, 31),
        Rupiah(250_000),
    )
    assert first.closed_by == ACTOR
    books.record_sale(E, date=dt.date(2026, 1, 5), amount=Rupiah(10_000), actor=ACTOR)
    books.record_expense(E, date=dt.date(2026, 1, 6), amount=Rupiah(25_000), actor=ACTOR)
    loss = books.close_period(E, dt.date(2026, 1, 31), actor=ACTOR)
    assert (loss.start, loss.result) == (dt.date(2026, 1, 1), Rupiah(-15_000))
    assert books.balance(E, SA.RETAINED_EARNINGS) == Rupiah(235_000)
    closing = books.totals(E, Period.parse("2026-01")).closing
    assert all(v == 0 for code, v in closing.items() if code[0] in "456")
    quiet = books.close_period(E, dt.date(2026, 2, 28), actor=ACTOR)
    assert (quiet.entry, quiet.result) == (None, Rupiah(0))
    assert books.closed_through(E) == dt.date(2026, 2, 28)
    assert [c.through for c in books.closings(E)] == [
        dt.date(2025, 12, 31),
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 28),
    ]


# --- SHU ---------------------------------------------------------------------------------------


def test_distribute_shu_posts_the_closed_surplus_to_members_and_funds(world: World) -> None:
    books = world.books
    day = dt.date(2026, 5, 5)
    books.record_sale(E, date=day, amount=Rupiah(300_001), member=2, actor=ACTOR)
    books.record_sale(E, date=day, amount=Rupiah(100_000), member=3, actor=ACTOR)
    books.record_sale(E, date=day, amount=Rupiah(77_777), actor=ACTOR)
    books.record_expense(E, date=day, amount=Rupiah(12_345), actor=ACTOR)
    books.deposit_savings(E, 2, "mandatory", date=day, amount=Rupiah(60_000), actor=ACTOR)
    closing = books.close_period(E, dt.date(2026, 12, 31), actor=ACTOR)
    retained = books.balance(E, SA.RETAINED_EARNINGS)
    shu = books.distribute_shu(E, 2026, date=dt.date(2027, 2, 1), actor=ACTOR)
    assert shu.surplus == closing.result == Rupiah(465_433)
    [entry] = books.entries(E, kind="shu")
    assert entry.total == shu.surplus
    assert sum(line.credit.amount for line in entry.lines) == shu.surplus.amount
    assert books.balance(E, SA.RETAINED_EARNINGS) == retained - shu.surplus
    for share in shu.members:
        assert books.balance(E, SA.SHU_PAYABLE, member=share.member) == share.total
    assert {s.member for s in shu.members if s.total} <= {1, 2, 3}
    assert books.shu(E, 2026) == shu
    # Paying a member empties their SHU payable; there is nothing left to pay twice.
    owed = books.balance(E, SA.SHU_PAYABLE, member=2)
    paid = books.pay_shu(E, 2, date=dt.date(2027, 2, 10), actor=ACTOR)
    assert paid.total == owed
    assert books.balance(E, SA.SHU_PAYABLE, member=2) == Rupiah(0)
    with pytest.raises(ValidationError, match="owed no SHU"):
        books.pay_shu(E, 2, date=dt.date(2027, 2, 10), actor=ACTOR)
    with pytest.raises(ConflictError, match="was distributed by entry"):
        books.distribute_shu(E, 2026, date=dt.date(2027, 2, 1), actor=ACTOR)
    with pytest.raises(NotFoundError):
        books.shu(E, 2025)


def test_a_reversed_shu_distribution_can_be_made_again(world: World) -> None:
    books = world.books
    books.record_sale(E, date=dt.date(2026, 5, 5), amount=Rupiah(10_000), member=1, actor=ACTOR)
    books.close_period(E, dt.date(2026, 12, 31), actor=ACTOR)
    books.distribute_shu(E, 2026, date=dt.date(2027, 2, 1), actor=ACTOR)
    [entry] = books.entries(E, kind="shu")
    try:
        books.reverse(entry.id, actor=ACTOR)
    except ConflictError:
        return  # refusing to reverse an SHU entry is a fix too
    books.distribute_shu(E, 2026, date=dt.date(2027, 2, 2), actor=ACTOR)


# --- concurrency -------------------------------------------------------------------------------


def _full_url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def test_two_withdrawals_at_once_never_overdraw_savings(world: World) -> None:
    # Two Database objects, as two processes would have: no lock inside this process helps.
    other = Database(_full_url(world.db))
    try:
        books = [world.books, Books(other, world.clock)]
        start = threading.Barrier(2)
        day = dt.date(2026, 2, 2)

        def withdraw(which: int) -> str:
            start.wait(timeout=30)
            try:
                books[which].withdraw_savings(
                    E, 1, "voluntary", date=day, amount=Rupiah(60_000), actor=ACTOR
                )
            except ValidationError as e:
                assert "below zero" in str(e)  # noqa: PT017 - checked in the thread
                return "refused"
            return "paid"

        for _round in range(3):
            with ThreadPoolExecutor(max_workers=2) as pool:
                outcomes = sorted(pool.map(withdraw, [0, 1]))
            assert outcomes == ["paid", "refused"]
            assert world.books.savings(E, 1)[SavingsKind.VOLUNTARY] == Rupiah(40_000)
            world.books.deposit_savings(
                E, 1, "voluntary", date=day, amount=Rupiah(60_000), actor=ACTOR
            )
        assert AuditLog(world.db).verify().intact
    finally:
        other.dispose()
