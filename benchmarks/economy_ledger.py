"""Economy ledger at city scale: loading the books, one enterprise's statements, the city overview.

Registers N enterprises (default 2,000) across Makassar's kecamatan and kelurahan (real
Kemendagri codes) and sectors, each with members, then loads about L journal lines per
enterprise (default 1,000, so 2M lines) for one year through ``Books.post_many`` (one batch per
enterprise, so every entry is checked against the chart, the members and the closed periods, and
audited): daily sales summaries (cash, QRIS, credit, cost of goods), purchases, monthly
expenses, depreciation, members' mandatory savings, waste deposits for the waste banks (the
waste movements are written beside their entries, as the waste bank module would), a few
reversals. Then it prints:

- the load time and rate (lines/s, entries/s);
- one enterprise's statements for the year (``Books.statements`` when it exists, else
  ``Books.totals``): p50 and max over 20 random enterprises (target < 50 ms);
- the city overview (``CityEconomy.overview("makassar", year)``, by kecamatan and sector, with
  the monthly trend): p50 of 3 runs (target < 5 s); and the same for one kecamatan.

Each backend gets a fresh database: an SQLite file in a temporary folder; for PostgreSQL a
database ``bench_economy`` created beside the one in ``--postgres-url`` and dropped at the end.
Loading 2M lines through the library takes long (every entry is checked and audited: see
the load rate printed); ``--through-books N`` registers and posts only the first N enterprises
through the library, where the rate is measured, and writes the others' rows (exactly those
``Books.post_many`` would write, from the same generator) in bulk, without checks or audit
entries, so that the queries can be timed at full size. After loading PostgreSQL is ANALYZEd
(autovacuum does the same soon after a bulk load); SQLite is left as a default installation
leaves it.

With ``--keep FILE`` both databases are kept (the SQLite file, the PostgreSQL database) and
reused by the next run, which then only times the queries. Prints figures; it is not a test.

Run: ``python benchmarks/economy_ledger.py [--enterprises 2000] [--lines 1000]
[--backend sqlite|postgresql|both] [--through-books N] [--keep FILE] [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import sqlalchemy as sa

from smartcity_kit.core import Address, Region, RegionCode, Rupiah
from smartcity_kit.economy import (
    Books,
    ChartOfAccounts,
    Enterprise,
    EnterpriseRegistry,
    EntryKind,
    JournalEntry,
    JournalLine,
    LegalForm,
    Period,
    Sector,
    StandardAccount,
)
from smartcity_kit.economy import _store as store
from smartcity_kit.economy._city import CityEconomy
from smartcity_kit.economy._registry import _enterprise_values
from smartcity_kit.storage import Database, upgrade

YEAR = 2025
PERIOD = Period.year(YEAR)
ACTOR = "bench:economy"
BENCH_DB = "bench_economy"
SECTORS = list(Sector)
A = StandardAccount


def rp(amount: int) -> Rupiah:
    return Rupiah(amount)


def villages() -> list[RegionCode]:
    """Every kelurahan of Makassar (73.71), from the packaged Kemendagri data."""
    found: list[RegionCode] = []
    for district in Region.get("73.71").children():
        found.extend(v.code for v in district.children())
    return found


@attrs.frozen
class Plan:
    """One enterprise to make: where, what, since when, and how many members."""

    id: str
    sector: Sector
    village: RegionCode
    founded: dt.date
    members: int


def plan(n: int, rng: random.Random) -> list[Plan]:
    """N enterprises spread over Makassar's kelurahan and the sectors, 3-12 members each."""
    places = villages()
    return [
        Plan(
            id=f"mks-bulo-{i:05d}",
            sector=SECTORS[i % len(SECTORS)],
            village=places[i % len(places)],
            founded=dt.date(2017 + rng.randrange(8), 1 + rng.randrange(12), 1 + rng.randrange(28)),
            members=3 + rng.randrange(10),
        )
        for i in range(n)
    ]


def enterprise_of(spec: Plan) -> Enterprise:
    return Enterprise(
        id=spec.id,
        city="makassar",
        name=f"BULo {spec.id}",
        address=Address(village=spec.village, lorong="Lorong 7", rt=1, rw=1),
        sector=spec.sector,
        legal_form=LegalForm.COOPERATIVE,
        founded=spec.founded,
    )


def register(db: Database, specs: list[Plan]) -> None:
    """Through the registry: each enterprise and member in its own audited transaction."""
    registry = EnterpriseRegistry(db)
    for spec in specs:
        registry.register(enterprise_of(spec), actor=ACTOR)
        for m in range(spec.members):
            registry.add_member(spec.id, name=f"Anggota {m}", joined=spec.founded, actor=ACTOR)


def register_bulk(db: Database, specs: list[Plan]) -> None:
    """The rows the registry would write, in bulk (no audit)."""
    chart = ChartOfAccounts.sak_emkm().accounts
    with db.transaction() as conn:
        conn.execute(
            store.enterprises.insert(),
            [
                {
                    "id": s.id,
                    **_enterprise_values(enterprise_of(s)),
                    "closed_through": None,
                    "next_member": s.members + 1,
                    "version": 1,
                }
                for s in specs
            ],
        )
        conn.execute(
            store.accounts.insert(),
            [
                {
                    "enterprise": s.id,
                    "code": a.code,
                    "name": a.name,
                    "contra": a.contra,
                    "savings": str(a.savings) if a.savings else None,
                }
                for s in specs
                for a in chart
            ],
        )
        conn.execute(
            store.members.insert(),
            [
                {
                    "enterprise": s.id,
                    "number": m,
                    "name": f"Anggota {m}",
                    "nik": None,
                    "joined": s.founded,
                    "left": None,
                    "role": "member",
                }
                for s in specs
                for m in range(1, s.members + 1)
            ],
        )


def days_of(year: int) -> list[dt.date]:
    start = dt.date(year, 1, 1)
    return [start + dt.timedelta(days=d) for d in range((dt.date(year + 1, 1, 1) - start).days)]


def year_of_entries(
    enterprise: str, sector: Sector, members: int, target: int, rng: random.Random
) -> Iterator[JournalEntry]:
    """About ``target`` lines of a plausible year, in date order."""

    def entry(day: dt.date, text: str, lines: list[JournalLine], kind: EntryKind) -> JournalEntry:
        return JournalEntry(enterprise, day, text, lines, kind=kind)

    days = days_of(YEAR)
    monthly_lines = 12 * (2 * 3 + 2 + 1 + members)  # expenses, depreciation, savings
    waste = sector == Sector.WASTE_BANK
    weekly_lines = 52 * (2 + (2 * 2 if waste else 0))  # purchases, waste deposits
    left = max(target - monthly_lines - weekly_lines, 5)
    trading = set(rng.sample(days, min(len(days), max(left // 5, 1))))
    for day in days:
        if day in trading:
            cash, qris = 50_000 + rng.randrange(400_000), rng.randrange(200_000)
            sold = cash + qris
            cost = sold * (50 + rng.randrange(20)) // 100
            yield entry(
                day,
                "Rekap penjualan harian",
                [
                    JournalLine.debit_of(A.CASH, rp(cash)),
                    JournalLine.debit_of(A.QRIS_CLEARING, rp(qris))
                    if qris
                    else JournalLine.debit_of(A.RECEIVABLES, rp(1_000)),
                    JournalLine.credit_of(A.SALES, rp(sold if qris else sold + 1_000)),
                    JournalLine.debit_of(A.COST_OF_SALES, rp(cost)),
                    JournalLine.credit_of(A.INVENTORY, rp(cost)),
                ],
                EntryKind.SALE,
            )
        if day.weekday() == 0:
            amount = 100_000 + rng.randrange(900_000)
            yield entry(
                day,
                "Pembelian bahan",
                [
                    JournalLine.debit_of(A.INVENTORY, rp(amount)),
                    JournalLine.credit_of(A.CASH, rp(amount)),
                ],
                EntryKind.PURCHASE,
            )
            if waste:
                for member in rng.sample(range(1, members + 1), min(2, members)):
                    value = 2_000 + rng.randrange(30_000)
                    yield entry(
                        day,
                        f"Setoran sampah anggota {member}",
                        [
                            JournalLine.debit_of(A.WASTE_INVENTORY, rp(value)),
                            JournalLine.credit_of(A.WASTE_SAVINGS, rp(value), member=member),
                        ],
                        EntryKind.WASTE_DEPOSIT,
                    )
        if day.day == 25:
            for account, text in (
                (A.SALARIES, "Upah"),
                (A.UTILITIES, "Listrik dan air"),
                (A.TRANSPORT, "Transportasi"),
            ):
                amount = 50_000 + rng.randrange(500_000)
                yield entry(
                    day,
                    text,
                    [
                        JournalLine.debit_of(account, rp(amount)),
                        JournalLine.credit_of(A.CASH, rp(amount)),
                    ],
                    EntryKind.EXPENSE,
                )
            saved = [
                JournalLine.credit_of(A.MANDATORY_SAVINGS, rp(10_000), member=m)
                for m in range(1, members + 1)
            ]
            yield entry(
                day,
                "Simpanan wajib bulanan",
                [JournalLine.debit_of(A.CASH, rp(10_000 * members)), *saved],
                EntryKind.SAVINGS_DEPOSIT,
            )
        if day.day == 28:
            yield entry(
                day,
                "Penyusutan",
                [
                    JournalLine.debit_of(A.DEPRECIATION, rp(25_000)),
                    JournalLine.credit_of(A.ACCUMULATED_DEPRECIATION, rp(25_000)),
                ],
                EntryKind.DEPRECIATION,
            )


def waste_moves(entries: list[JournalEntry]) -> list[dict[str, Any]]:
    """The waste bank's movements beside its deposits (Rp4 000 a kilogram)."""
    return [
        {
            "entry": e.id,
            "enterprise": e.enterprise,
            "date": e.date,
            "month": e.date.year * 100 + e.date.month,
            "member": e.lines[1].member,
            "waste_type": "plastik-pet",
            "grams": e.lines[0].debit.amount // 4,
            "value": e.lines[0].debit.amount,
        }
        for e in entries
        if e.kind == EntryKind.WASTE_DEPOSIT
    ]


def load(db: Database, specs: list[Plan], target: int) -> tuple[int, int]:
    """Post every enterprise's year (one post_many each); returns (entries, lines)."""
    books = Books(db)
    entries = lines = 0
    for spec in specs:
        rng = random.Random(f"2025:{spec.id}")
        made = list(year_of_entries(spec.id, spec.sector, spec.members, target, rng))
        posted = books.post_many(
            [e for e in made if e.kind != EntryKind.WASTE_DEPOSIT], actor=ACTOR
        )
        if waste := [e for e in made if e.kind == EntryKind.WASTE_DEPOSIT]:
            # As the waste bank posts them: each deposit beside its movement, in one transaction.
            with db.transaction() as conn:
                deposits = [books.post_in(conn, e, actor=ACTOR) for e in waste]
                conn.execute(store.waste_movements.insert(), waste_moves(deposits))
            posted += deposits
        entries += len(posted)
        lines += sum(len(e.lines) for e in posted)
        # A wrong sale, reversed the same day.
        wrong = next(e for e in posted if e.kind == EntryKind.SALE)
        books.reverse(wrong.id, actor=ACTOR)
        entries += 1
        lines += len(wrong.lines)
    return entries, lines


def load_bulk(db: Database, specs: list[Plan], target: int) -> tuple[int, int]:
    """The rows ``Books.post_many`` would write, in bulk: no checks, no audit log."""
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as conn:
        next_id = 1 + (conn.execute(sa.select(sa.func.max(store.entries.c.id))).scalar() or 0)
    entries = lines = 0
    for start in range(0, len(specs), 50):
        entry_rows: list[dict[str, Any]] = []
        line_rows: list[dict[str, Any]] = []
        posted: list[JournalEntry] = []
        for spec in specs[start : start + 50]:
            rng = random.Random(f"2025:{spec.id}")
            made = list(year_of_entries(spec.id, spec.sector, spec.members, target, rng))
            made = [attrs.evolve(e, id=next_id + k) for k, e in enumerate(made)]
            next_id += len(made)
            wrong = next(e for e in made if e.kind == EntryKind.SALE)
            undo = attrs.evolve(wrong.reversal(wrong.date), id=next_id)
            next_id += 1
            posted.extend([*made, undo])
        for e in posted:
            entry_rows.append(
                {
                    "id": e.id,
                    "enterprise": e.enterprise,
                    "date": e.date,
                    "kind": str(e.kind),
                    "description": e.description,
                    "reverses": e.reverses,
                    "posted_at": now,
                    "posted_by": ACTOR,
                }
            )
            line_rows.extend(
                {
                    "entry": e.id,
                    "enterprise": e.enterprise,
                    "date": e.date,
                    "month": e.date.year * 100 + e.date.month,
                    "grp": int(line.account[0]),
                    "account": line.account,
                    "kind": str(e.kind),
                    "amount": line.signed,
                    "member": line.member,
                    "memo": line.memo,
                }
                for line in e.lines
            )
        with db.transaction() as conn:
            conn.execute(store.entries.insert(), entry_rows)
            conn.execute(store.lines.insert(), line_rows)
            if moves := waste_moves(posted):
                conn.execute(store.waste_movements.insert(), moves)
        entries += len(entry_rows)
        lines += len(line_rows)
    if db.dialect == "postgresql":
        with db.transaction() as conn:
            conn.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence('economy_entries', 'id'), "
                    "(SELECT max(id) FROM economy_entries))"
                )
            )
    return entries, lines


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def loaded(db: Database) -> list[tuple[str, Sector, int]]:
    """The enterprises of an earlier run (--keep), if the database holds them."""
    table = store.enterprises
    with db.reading() as conn:
        rows = conn.execute(sa.select(table.c.id, table.c.sector).order_by(table.c.id)).all()
        lines = conn.execute(sa.select(sa.func.count()).select_from(store.lines)).scalar_one()
    return [(e, Sector(s), 0) for e, s in rows] if lines else []


def run(label: str, url: str, n: int, target: int, through_books: int) -> None:
    db = Database(url)
    upgrade(db)
    rng = random.Random(2025)
    made = loaded(db)
    if made:
        print(
            f"{label:<10} reusing the {len(made):,} enterprises loaded before (--keep)", flush=True
        )
    else:
        specs = plan(n, rng)
        made = [(s.id, s.sector, s.members) for s in specs]
        first, rest = specs[:through_books], specs[through_books:]
        start = time.perf_counter()
        register(db, first)
        took = time.perf_counter() - start
        people = sum(s.members for s in first)
        print(
            f"{label:<10} registered {len(first):,} enterprises, {people:,} members through "
            f"the registry in {took:.1f} s",
            flush=True,
        )
        start = time.perf_counter()
        entries, lines = load(db, first, target)
        took = time.perf_counter() - start
        print(
            f"{label:<10} posted {lines:,} lines in {entries:,} entries through Books.post_many "
            f"in {took:.1f} s: {lines / took:,.0f} lines/s, {entries / took:,.0f} entries/s",
            flush=True,
        )
        if rest:
            start = time.perf_counter()
            register_bulk(db, rest)
            entries, lines = load_bulk(db, rest, target)
            print(
                f"{label:<10} wrote the other {len(rest):,} enterprises' {lines:,} lines in "
                f"{entries:,} entries in bulk (the same rows, no checks, no audit) in "
                f"{time.perf_counter() - start:.1f} s",
                flush=True,
            )
        if db.dialect == "postgresql":  # what autovacuum does soon after a bulk load
            with db.transaction() as conn:
                conn.execute(sa.text("ANALYZE"))
        with db.reading() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(store.lines)).scalar_one()
        print(f"{label:<10} the ledger holds {total:,} lines", flush=True)
    books = Books(db)
    statements = getattr(books, "statements", None)
    what = "Books.statements" if statements is not None else "Books.totals"
    call = statements if statements is not None else books.totals
    call(made[0][0], PERIOD)  # warm up: imports, caches
    sample = rng.sample([e for e, _, _ in made], min(20, n))
    times = [timed(lambda e=e: call(e, PERIOD)) * 1000 for e in sample]  # type: ignore[misc]
    print(
        f"{label:<10} {what} for {YEAR}: p50 {statistics.median(times):.1f} ms, "
        f"max {max(times):.1f} ms over {len(times)} enterprises (target < 50 ms)"
    )
    city = CityEconomy(db)
    runs = [timed(lambda: city.overview("makassar", PERIOD)) for _ in range(3)]
    picture = city.overview("makassar", PERIOD)
    print(
        f"{label:<10} city overview {YEAR} by kecamatan x sector + 12-month trend: "
        f"p50 {statistics.median(runs):.2f} s, max {max(runs):.2f} s (target < 5 s); "
        f"{len(picture.rows)} rows, revenue {picture.total.revenue}, "
        f"{picture.total.waste_kg} kg waste",
        flush=True,
    )
    one = [timed(lambda: city.overview("makassar", PERIOD, district="73.71.10")) for _ in range(3)]
    print(f"{label:<10} city overview of one kecamatan: p50 {statistics.median(one):.2f} s")
    quarter = Period.parse(f"{YEAR}-Q2")
    q = [timed(lambda: city.overview("makassar", quarter, group_by=())) for _ in range(3)]
    print(f"{label:<10} city total for {YEAR}-Q2: p50 {statistics.median(q):.2f} s")
    db.dispose()


def postgres(url: str, n: int, target: int, through_books: int, *, keep: bool) -> None:
    base = sa.make_url(url)
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        there = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": BENCH_DB}
        ).first()
        if there and not keep:
            conn.execute(sa.text(f'DROP DATABASE "{BENCH_DB}" WITH (FORCE)'))
        if not there or not keep:
            conn.execute(sa.text(f'CREATE DATABASE "{BENCH_DB}"'))
    try:
        bench_url = base.set(database=BENCH_DB).render_as_string(hide_password=False)
        run("PostgreSQL", bench_url, n, target, through_books)
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enterprises", type=int, default=2_000)
    parser.add_argument("--lines", type=int, default=1_000, help="journal lines per enterprise")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument(
        "--keep",
        metavar="SQLITE_FILE",
        help="keep the databases (this SQLite file, and the PostgreSQL database "
        f"{BENCH_DB}) and reuse what they hold next time, to time the queries again",
    )
    parser.add_argument(
        "--through-books",
        type=int,
        metavar="N",
        help="register and post only the first N enterprises through the library (the load "
        "rate is measured on them); write the others' identical rows in bulk (default: all)",
    )
    args = parser.parse_args()
    through = args.enterprises if args.through_books is None else args.through_books
    sizes = (args.enterprises, args.lines, through)
    if args.backend in {"sqlite", "both"}:
        if args.keep:
            run("SQLite", f"sqlite:///{Path(args.keep).resolve()}", *sizes)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite:///{Path(tmp) / 'economy.db'}"
                run("SQLite", url, *sizes)
    if args.backend in {"postgresql", "both"}:
        postgres(args.postgres_url, *sizes, keep=bool(args.keep))


if __name__ == "__main__":
    main()
