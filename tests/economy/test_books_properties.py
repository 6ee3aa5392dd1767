"""Properties of the books over random postings, checked against an oracle computed here.

One in-memory database serves every example; each example gets an enterprise of its own.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from smartcity_kit.core import Address, FixedClock, RegionCode, Rupiah
from smartcity_kit.economy import (
    SAVINGS_ACCOUNTS,
    AccountType,
    Books,
    ChartOfAccounts,
    Enterprise,
    EnterpriseRegistry,
    EntryKind,
    JournalEntry,
    JournalLine,
    LegalForm,
    Period,
    SavingsKind,
    Sector,
    StandardAccount,
)
from smartcity_kit.errors import ValidationError
from smartcity_kit.storage import AuditLog, Database, upgrade
from smartcity_kit.testing import strategies as city_st

ACTOR = "bulo:test/bendahara"
FOUNDED = dt.date(2020, 1, 1)
YEAR = Period.year(2026)
CHART = ChartOfAccounts.sak_emkm()
NORMAL = {a.code: a.debit_normal for a in CHART.accounts}
# Savings accounts need a member with enough savings on every line: left to the savings tests.
# Waste stock (1106) and SHU owed (2301) are posted only by their own operations.
PLAIN = [
    a.code
    for a in CHART.accounts
    if a.savings is None
    and a.code not in {StandardAccount.WASTE_INVENTORY, StandardAccount.SHU_PAYABLE}
]
MEMBERS = (1, 2, 3)
IN_2026 = st.dates(YEAR.start, YEAR.end)
# Totals stay below Rp100 juta: see test_books.py::test_large_amounts_can_be_posted.
# Each example registers an enterprise and posts through a real database: a quarter of the
# profile's examples (15 locally, 75 in CI) keeps the file fast.
DB_EXAMPLES = settings(max_examples=max(10, settings().max_examples // 4))
ENTRIES = st.lists(
    city_st.journal_entries(
        "placeholder", PLAIN, dates=IN_2026, members=MEMBERS, max_total=1_000_000
    ),
    min_size=1,
    max_size=6,
)


@attrs.define
class Shelf:
    """One database; a new enterprise (with members 1-3) per example."""

    db: Database
    registry: EnterpriseRegistry
    books: Books
    audit: AuditLog
    ids: Iterator[int] = attrs.field(factory=itertools.count)

    def enterprise(self) -> str:
        enterprise_id = f"prop-{next(self.ids):06d}"
        self.registry.register(
            Enterprise(
                id=enterprise_id,
                city="makassar",
                name="BULo uji",
                address=Address(village=RegionCode("73.71.03.1001"), lorong="Lorong 3"),
                sector=Sector.CULINARY,
                legal_form=LegalForm.COOPERATIVE,
                founded=FOUNDED,
            ),
            actor=ACTOR,
        )
        for number in MEMBERS:
            self.registry.add_member(
                enterprise_id, name=f"Anggota {number}", joined=FOUNDED, actor=ACTOR
            )
        return enterprise_id

    def rows(self, enterprise_id: str) -> tuple[int, int, int]:
        """The enterprise's entries and lines, and the audit log's head."""
        with self.db.reading() as conn:
            entries = conn.execute(
                sa.text("SELECT count(*) FROM economy_entries WHERE enterprise = :e"),
                {"e": enterprise_id},
            ).scalar_one()
            lines = conn.execute(
                sa.text("SELECT count(*) FROM economy_lines WHERE enterprise = :e"),
                {"e": enterprise_id},
            ).scalar_one()
        return int(entries), int(lines), self.audit.head_seq()


@pytest.fixture(scope="module")
def shelf() -> Iterator[Shelf]:
    db = Database("sqlite://")
    upgrade(db)
    clock = FixedClock(dt.datetime(2027, 1, 10, tzinfo=dt.UTC))
    yield Shelf(db, EnterpriseRegistry(db, clock), Books(db, clock), AuditLog(db, clock))
    db.dispose()


def of(enterprise_id: str, entries: Iterable[JournalEntry]) -> list[JournalEntry]:
    return [attrs.evolve(e, enterprise=enterprise_id) for e in entries]


def oracle(
    entries: Iterable[JournalEntry],
    *,
    through: dt.date | None = None,
    since: dt.date | None = None,
    member: int | None = None,
) -> dict[str, int]:
    """Each account's signed sum over the entries' lines (within the dates, of the member)."""
    found: dict[str, int] = defaultdict(int)
    for entry in entries:
        if (through is not None and entry.date > through) or (
            since is not None and entry.date < since
        ):
            continue
        for line in entry.lines:
            if member is None or line.member == member:
                found[line.account] += line.signed
    return {code: total for code, total in found.items() if total}


def nonzero(totals: dict[str, int] | Any) -> dict[str, int]:
    return {code: total for code, total in dict(totals).items() if total}


def normal(code: str, signed: int) -> Rupiah:
    return Rupiah(signed if NORMAL[code] else -signed)


# --- postings balance and match the oracle -----------------------------------------------------


@DB_EXAMPLES
@given(entries=ENTRIES, together=st.booleans(), as_of=IN_2026)
def test_postings_balance_and_match_an_oracle(
    shelf: Shelf, entries: list[JournalEntry], together: bool, as_of: dt.date
) -> None:
    e = shelf.enterprise()
    drafts = of(e, entries)
    head = shelf.audit.head_seq()
    if together:
        posted = shelf.books.post_many(drafts, actor=ACTOR)
    else:
        posted = [shelf.books.post(d, actor=ACTOR) for d in drafts]
    books = shelf.books

    # Debits equal credits: overall, per entry, and in the trial balance.
    with shelf.db.reading() as conn:
        total = conn.execute(
            sa.text("SELECT coalesce(sum(amount), 0) FROM economy_lines WHERE enterprise = :e"),
            {"e": e},
        ).scalar_one()
        per_entry = conn.execute(
            sa.text(
                "SELECT entry, sum(amount) FROM economy_lines WHERE enterprise = :e GROUP BY entry"
            ),
            {"e": e},
        ).all()
    assert total == 0
    assert sorted(entry for entry, _ in per_entry) == sorted(p.id for p in posted)
    assert {int(amount) for _, amount in per_entry} == {0}
    closing = books.totals(e, YEAR).closing
    debits = sum(v for v in closing.values() if v > 0)
    credits_ = -sum(v for v in closing.values() if v < 0)
    assert debits == credits_

    # Balances, totals and member balances equal the oracle.
    assert nonzero(closing) == oracle(posted)
    for code in {line.account for d in drafts for line in d.lines} | {"1101", "3202"}:
        assert books.balance(e, code) == normal(code, oracle(posted).get(code, 0))
        expected = oracle(posted, through=as_of).get(code, 0)
        assert books.balance(e, code, as_of=as_of) == normal(code, expected)
    for member in MEMBERS:
        for code, signed in oracle(posted, member=member).items():
            assert books.balance(e, code, member=member) == normal(code, signed)
    later = Period(as_of, YEAR.end)
    totals = books.totals(e, later)
    assert nonzero(totals.opening) == oracle(posted, through=as_of - dt.timedelta(days=1))
    assert nonzero(totals.movement) == oracle(posted, since=as_of)

    # The journal holds what was posted, and each posting wrote one audit entry with its digest.
    assert sorted(books.entries(e), key=lambda x: x.id) == posted
    assert shelf.audit.head_seq() == head + len(posted)
    for entry in posted:
        [record] = shelf.audit.entries(subject=f"entry:{entry.id}")
        assert record.details["digest"] == entry.digest()
        assert record.details["lines"] == len(entry.lines)


# --- reversals ---------------------------------------------------------------------------------


@DB_EXAMPLES
@given(entries=ENTRIES, data=st.data())
def test_reversals_bring_every_account_back(
    shelf: Shelf, entries: list[JournalEntry], data: st.DataObject
) -> None:
    e = shelf.enterprise()
    posted = [shelf.books.post(d, actor=ACTOR) for d in of(e, entries)]
    undone = data.draw(st.sets(st.sampled_from(range(len(posted)))), label="undone")
    for i in sorted(undone, reverse=True):
        reversal = shelf.books.reverse(posted[i].id, actor=ACTOR)
        assert (reversal.reverses, reversal.date) == (posted[i].id, posted[i].date)
    kept = [p for i, p in enumerate(posted) if i not in undone]
    assert nonzero(shelf.books.totals(e, YEAR).closing) == oracle(kept)
    for member in MEMBERS:
        for code, signed in oracle(kept, member=member).items():
            assert shelf.books.balance(e, code, member=member) == normal(code, signed)
    if len(undone) == len(posted):
        assert nonzero(shelf.books.totals(e, YEAR).closing) == {}


# --- closing -----------------------------------------------------------------------------------


@DB_EXAMPLES
@given(entries=ENTRIES, through=IN_2026)
def test_closing_zeroes_nominal_accounts_and_moves_exactly_the_result(
    shelf: Shelf, entries: list[JournalEntry], through: dt.date
) -> None:
    e = shelf.enterprise()
    drafts = of(e, entries)
    posted = [shelf.books.post(d, actor=ACTOR) for d in drafts]
    books = shelf.books
    retained_before = books.balance(e, StandardAccount.RETAINED_EARNINGS, as_of=through)
    closed = oracle(posted, through=through)
    result = -sum(v for code, v in closed.items() if AccountType.of_code(code).nominal)

    closing = books.close_period(e, through, actor=ACTOR)

    assert closing.result == Rupiah(result)
    assert (closing.start, closing.through) == (FOUNDED, through)
    after = books.totals(e, Period(YEAR.start, through)).closing
    assert all(v == 0 for code, v in after.items() if code[0] in "456")
    retained_after = books.balance(e, StandardAccount.RETAINED_EARNINGS, as_of=through)
    assert retained_after - retained_before == Rupiah(result)
    # Real accounts are untouched, and so is everything dated after the closing.
    real = {c: v for c, v in closed.items() if not AccountType.of_code(c).nominal}
    real[StandardAccount.RETAINED_EARNINGS] = real.get("3202", 0) - result
    assert nonzero(after) == nonzero(real)
    movement = books.totals(e, Period(through, YEAR.end)).movement
    assert nonzero(movement) == oracle(posted, since=through)
    if closing.entry is not None:
        assert books.entry(closing.entry).kind is EntryKind.CLOSING
    # Nothing dated up to the closing may be posted any more, and the refusal writes nothing.
    rows = shelf.rows(e)
    with pytest.raises(ValidationError, match="closed period"):
        shelf.books.post(attrs.evolve(drafts[0], date=through), actor=ACTOR)
    assert shelf.rows(e) == rows


# --- savings -----------------------------------------------------------------------------------

SAVINGS_DAYS = [dt.date(2026, 5, d) for d in (1, 2, 3)]
SAVINGS_OPS = st.lists(
    st.tuples(
        st.sampled_from(MEMBERS),
        st.sampled_from(SavingsKind),
        st.sampled_from(SAVINGS_DAYS),
        st.integers(-200_000, 200_000).filter(bool),  # deposits positive, withdrawals negative
    ),
    min_size=1,
    max_size=12,
)


def lowest_from(moves: list[tuple[dt.date, int]], day: dt.date) -> int:
    """The least held on any day from ``day`` on (a withdrawal lowers every later balance)."""
    held = sum(amount for when, amount in moves if when <= day)
    lowest = held
    for later in sorted({when for when, _ in moves if when > day}):
        held += sum(amount for when, amount in moves if when == later)
        lowest = min(lowest, held)
    return lowest


@DB_EXAMPLES
@given(ops=SAVINGS_OPS)
def test_savings_never_go_below_zero_and_refusals_write_nothing(
    shelf: Shelf, ops: list[tuple[int, SavingsKind, dt.date, int]]
) -> None:
    e = shelf.enterprise()
    moves: dict[tuple[int, SavingsKind], list[tuple[dt.date, int]]] = defaultdict(list)
    for member, kind, day, amount in ops:
        mine = moves[member, kind]
        if amount > 0:
            shelf.books.deposit_savings(
                e, member, kind, date=day, amount=Rupiah(amount), actor=ACTOR
            )
            mine.append((day, amount))
            continue
        locked = kind in {SavingsKind.PRINCIPAL, SavingsKind.MANDATORY}
        if locked or -amount > lowest_from(mine, day):
            rows = shelf.rows(e)
            with pytest.raises(ValidationError) as error:
                shelf.books.withdraw_savings(
                    e, member, kind, date=day, amount=Rupiah(-amount), actor=ACTOR
                )
            assert error.value.fields == (("kind",) if locked else ("lines",))
            assert shelf.rows(e) == rows
        else:
            shelf.books.withdraw_savings(
                e, member, kind, date=day, amount=Rupiah(-amount), actor=ACTOR
            )
            mine.append((day, amount))
    for member in MEMBERS:
        for day in SAVINGS_DAYS:
            held = shelf.books.savings(e, member, as_of=day)
            assert held == {
                kind: Rupiah(sum(a for when, a in moves[member, kind] if when <= day))
                for kind in SavingsKind
            }
            assert all(v.amount >= 0 for v in held.values())
    for kind, code in SAVINGS_ACCOUNTS.items():
        total = sum(a for m in MEMBERS for _, a in moves[m, kind])
        assert shelf.books.balance(e, code) == Rupiah(total)


# --- refused batches ---------------------------------------------------------------------------


@DB_EXAMPLES
@given(entries=ENTRIES, data=st.data())
def test_post_many_with_one_bad_entry_writes_nothing(
    shelf: Shelf, entries: list[JournalEntry], data: st.DataObject
) -> None:
    e = shelf.enterprise()
    drafts = of(e, entries)
    bad = data.draw(
        st.sampled_from(
            [
                JournalEntry(
                    e,
                    dt.date(2026, 1, 1),
                    "x",
                    [
                        JournalLine.debit_of("1101", Rupiah(1)),
                        JournalLine.credit_of("4999", Rupiah(1)),
                    ],
                ),
                JournalEntry(
                    e,
                    dt.date(2019, 1, 1),
                    "x",
                    [
                        JournalLine.debit_of("1101", Rupiah(1)),
                        JournalLine.credit_of("4101", Rupiah(1)),
                    ],
                ),
                JournalEntry(
                    e,
                    dt.date(2026, 1, 1),
                    "x",
                    [
                        JournalLine.debit_of("1101", Rupiah(1)),
                        JournalLine.credit_of("2201", Rupiah(1), member=9),
                    ],
                ),
                JournalEntry(
                    e,
                    dt.date(2026, 1, 1),
                    "x",
                    [
                        JournalLine.debit_of("2202", Rupiah(1), member=1),
                        JournalLine.credit_of("1101", Rupiah(1)),
                    ],
                ),
            ]
        ),
        label="bad",
    )
    at = data.draw(st.integers(0, len(drafts)), label="at")
    rows = shelf.rows(e)
    with pytest.raises(ValidationError):
        shelf.books.post_many([*drafts[:at], bad, *drafts[at:]], actor=ACTOR)
    assert shelf.rows(e) == rows
    assert shelf.books.entries(e) == []


# --- SHU ---------------------------------------------------------------------------------------

AMOUNTS = st.integers(1, 2_000_000)


@DB_EXAMPLES
@given(
    member_sales=st.lists(st.tuples(st.sampled_from(MEMBERS), AMOUNTS), max_size=6),
    other_sales=st.lists(AMOUNTS, max_size=3),
    expenses=st.lists(AMOUNTS, max_size=3),
    savings=st.lists(
        st.tuples(
            st.sampled_from(MEMBERS),
            st.sampled_from([SavingsKind.PRINCIPAL, SavingsKind.MANDATORY]),
            AMOUNTS,
        ),
        max_size=4,
    ),
)
def test_shu_posting_shares_exactly_the_closed_surplus(
    shelf: Shelf,
    member_sales: list[tuple[int, int]],
    other_sales: list[int],
    expenses: list[int],
    savings: list[tuple[int, SavingsKind, int]],
) -> None:
    revenue = sum(a for _, a in member_sales) + sum(other_sales)
    assume(revenue > sum(expenses))
    e = shelf.enterprise()
    books = shelf.books
    day = dt.date(2026, 6, 1)
    for member, amount in member_sales:
        books.record_sale(e, date=day, amount=Rupiah(amount), member=member, actor=ACTOR)
    for amount in other_sales:
        books.record_sale(e, date=day, amount=Rupiah(amount), actor=ACTOR)
    for amount in expenses:
        books.record_expense(e, date=day, amount=Rupiah(amount), actor=ACTOR)
    for member, kind, amount in savings:
        books.deposit_savings(e, member, kind, date=day, amount=Rupiah(amount), actor=ACTOR)
    closing = books.close_period(e, YEAR.end, actor=ACTOR)
    assert closing.result == Rupiah(revenue - sum(expenses))
    retained = books.balance(e, StandardAccount.RETAINED_EARNINGS)

    shu = books.distribute_shu(e, 2026, date=dt.date(2027, 1, 5), actor=ACTOR)

    assert shu.surplus == closing.result
    [entry] = books.entries(e, kind=EntryKind.SHU)
    assert sum(line.credit.amount for line in entry.lines) == shu.surplus.amount
    assert [line.account for line in entry.lines if line.debit] == ["3202"]
    assert books.balance(e, StandardAccount.RETAINED_EARNINGS) == retained - shu.surplus
    shares = {s.member: s.total for s in shu.members}
    for member in MEMBERS:
        owed = books.balance(e, StandardAccount.SHU_PAYABLE, member=member)
        assert owed == shares.get(member, Rupiah(0))
    assert books.balance(e, StandardAccount.SHU_PAYABLE) == Rupiah(
        sum(s.amount for s in shares.values())
    )
    assert books.shu(e, 2026) == shu
