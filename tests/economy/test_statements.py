"""Financial statements to SAK EMKM, derived from real postings (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import openpyxl  # type: ignore[import-untyped]  # no stubs in the dev venv
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from smartcity_kit.core import Address, FixedClock, Nib, RegionCode, Rupiah
from smartcity_kit.economy import (
    AccountTotals,
    Books,
    ChartOfAccounts,
    Enterprise,
    EnterpriseRegistry,
    JournalEntry,
    JournalLine,
    Payment,
    Period,
    PurchaseKind,
    SavingsKind,
    StandardAccount,
)
from smartcity_kit.economy._statements import (
    CURRENT_RESULT,
    SOURCE_LINE,
    FinancialStatements,
    StatementLine,
    build_statements,
    format_amount,
)
from smartcity_kit.errors import NotFoundError
from smartcity_kit.storage import Database, upgrade

ACTOR = "opd:dkukm/test"
NOW = dt.datetime(2027, 1, 15, 2, 30, tzinfo=dt.UTC)
BULO = "mks-maricaya-01"
MEMBER_NAME = "Siti Rahmawati Daeng Ngai"
YEAR = Period.year(2026)


def enterprise(
    enterprise_id: str = BULO,
    *,
    name: str = "BULo Lorong Sehati",
    founded: dt.date = dt.date(2025, 6, 1),
    village: str = "73.71.03.1001",
) -> Enterprise:
    return Enterprise(
        id=enterprise_id,
        city="makassar",
        name=name,
        address=Address(village=RegionCode(village), lorong="Lorong 3", rt=3, rw=5),
        sector="processed_food",
        legal_form="cooperative",
        founded=founded,
        nib=Nib("9120001234567"),
        mentor_agency="Dinas Koperasi dan UKM Kota Makassar",
    )


def register(db: Database, bulo: Enterprise) -> tuple[EnterpriseRegistry, Books]:
    clock = FixedClock(NOW)
    registry = EnterpriseRegistry(db, clock)
    registry.register(bulo, actor=ACTOR)
    return registry, Books(db, clock)


def worked_example(db: Database, name: str = "BULo Lorong Sehati") -> Books:
    """A small cooperative: half a year in 2025, then a whole year of trading in 2026."""
    registry, books = register(db, enterprise(name=name))
    first = registry.add_member(
        BULO, name=MEMBER_NAME, joined=dt.date(2025, 6, 1), role="chair", actor=ACTOR
    ).number
    second = registry.add_member(
        BULO, name="Andi Nurhaliza", joined=dt.date(2026, 3, 1), actor=ACTOR
    ).number
    gone = registry.add_member(
        BULO, name="Baso Tang", joined=dt.date(2025, 7, 1), actor=ACTOR
    ).number
    registry.change_member(BULO, gone, left=dt.date(2026, 9, 30), actor=ACTOR)

    def sale(day: dt.date, amount: int, cost: int | None, payment: Payment) -> None:
        books.record_sale(
            BULO,
            date=day,
            amount=Rupiah(amount),
            cost=None if cost is None else Rupiah(cost),
            payment=payment,
            actor=ACTOR,
        )

    # 2025: the opening position of 2026.
    books.record_contribution(BULO, date=dt.date(2025, 6, 1), amount=Rupiah(5_000_000), actor=ACTOR)
    books.deposit_savings(
        BULO,
        first,
        SavingsKind.PRINCIPAL,
        date=dt.date(2025, 6, 1),
        amount=Rupiah(100_000),
        actor=ACTOR,
    )
    sale(dt.date(2025, 12, 10), 200_000, None, Payment.CASH)
    # 2026.
    books.record_purchase(
        BULO,
        date=dt.date(2026, 1, 5),
        amount=Rupiah(1_200_000),
        item=PurchaseKind.FIXED_ASSET,
        description="Mesin pres botol",
        actor=ACTOR,
    )
    books.record_purchase(BULO, date=dt.date(2026, 1, 10), amount=Rupiah(2_000_000), actor=ACTOR)
    sale(dt.date(2026, 2, 14), 1_500_000, 900_000, Payment.CASH)
    sale(dt.date(2026, 3, 20), 800_000, 450_000, Payment.QRIS)
    books.record_expense(
        BULO,
        date=dt.date(2026, 4, 1),
        amount=Rupiah(150_000),
        account=StandardAccount.UTILITIES,
        actor=ACTOR,
    )
    books.deposit_savings(
        BULO,
        first,
        SavingsKind.MANDATORY,
        date=dt.date(2026, 5, 1),
        amount=Rupiah(50_000),
        actor=ACTOR,
    )
    books.deposit_savings(
        BULO,
        second,
        SavingsKind.VOLUNTARY,
        date=dt.date(2026, 5, 1),
        amount=Rupiah(75_000),
        payment=Payment.QRIS,
        actor=ACTOR,
    )
    books.record_expense(
        BULO,
        date=dt.date(2026, 6, 30),
        amount=Rupiah(300_000),
        account=StandardAccount.SALARIES,
        actor=ACTOR,
    )
    books.record_purchase(
        BULO,
        date=dt.date(2026, 7, 1),
        amount=Rupiah(100_000),
        item=PurchaseKind.SUPPLIES,
        payment=Payment.CREDIT,
        actor=ACTOR,
    )
    books.record_depreciation(BULO, date=dt.date(2026, 12, 31), amount=Rupiah(240_000), actor=ACTOR)
    return books


def by_label(lines: tuple[StatementLine, ...]) -> dict[str, tuple[int, int | None]]:
    return {
        line.label: (line.amount.amount, None if line.previous is None else line.previous.amount)
        for line in lines
    }


# --- the worked example ---------------------------------------------------------------------


def test_worked_example_income_statement(db: Database) -> None:
    fs = worked_example(db).statements(BULO, YEAR)
    income = fs.income_statement
    # Sales 1.500.000 + 800.000; cost of sales 900.000 + 450.000; expenses: wages 300.000,
    # utilities 150.000, depreciation 240.000.
    assert income.total_revenue == Rupiah(2_300_000)
    assert income.total_cost_of_sales == Rupiah(1_350_000)
    assert income.gross_profit == Rupiah(950_000)
    assert income.total_expenses == Rupiah(690_000)
    assert income.net_income == Rupiah(260_000)
    assert by_label(income.revenue) == {
        "Penjualan": (2_300_000, None),
        "Jumlah pendapatan": (2_300_000, None),
    }
    assert [line.code for line in income.expenses] == ["6101", "6102", "6104", None]
    assert income.expenses[-1].total
    assert fs.generated_at == NOW
    assert fs.title() == "Laporan Keuangan BULo Lorong Sehati Tahun 2026"


def test_worked_example_balance_sheet(db: Database) -> None:
    fs = worked_example(db).statements(BULO, YEAR)
    sheet = fs.balance_sheet
    assert (sheet.as_of, sheet.previous_as_of) == (dt.date(2026, 12, 31), dt.date(2025, 12, 31))
    # Cash: 5.300.000 at the start, -1.200.000 -2.000.000 +1.500.000 -150.000 +50.000 -300.000.
    assert by_label(sheet.assets) == {
        "Aset lancar": (4_825_000, 5_300_000),
        "Kas": (3_200_000, 5_300_000),
        "Dana QRIS dalam penyelesaian": (875_000, 0),
        "Persediaan barang dagang": (650_000, 0),
        "Perlengkapan": (100_000, 0),
        "Jumlah aset lancar": (4_825_000, 5_300_000),
        "Aset tidak lancar": (960_000, 0),
        "Aset tetap": (1_200_000, 0),
        "Akumulasi penyusutan": (-240_000, 0),
        "Jumlah aset tidak lancar": (960_000, 0),
        "Jumlah aset": (5_785_000, 5_300_000),
    }
    assert [(x.heading, x.total, x.level) for x in sheet.assets[:2]] == [
        (True, False, 0),
        (False, False, 1),
    ]
    assert by_label(sheet.liabilities) == {
        "Liabilitas jangka pendek": (175_000, 0),
        "Utang usaha": (100_000, 0),
        "Simpanan sukarela anggota": (75_000, 0),
        "Jumlah liabilitas jangka pendek": (175_000, 0),
        "Jumlah liabilitas": (175_000, 0),
    }
    # The 2025 result (200.000) and the 2026 result (260.000) are not closed yet.
    assert by_label(sheet.equity) == {
        "Modal": (5_000_000, 5_000_000),
        "Simpanan pokok": (100_000, 100_000),
        "Simpanan wajib": (50_000, 0),
        CURRENT_RESULT: (460_000, 200_000),
        "Jumlah ekuitas": (5_610_000, 5_300_000),
    }
    assert sheet.total_assets == Rupiah(5_785_000)
    assert sheet.total_liabilities == Rupiah(175_000)
    assert sheet.total_equity == Rupiah(5_610_000)
    assert sheet.total_liabilities_and_equity == Rupiah(5_785_000)
    assert sheet.balanced
    assert fs.to_json()["balanced"] is True


def test_worked_example_notes(db: Database) -> None:
    notes = worked_example(db).statements(BULO, YEAR).notes
    entity = notes.entity
    assert entity.name == "BULo Lorong Sehati"
    assert entity.legal_form == "Koperasi"
    assert entity.sector == "Olahan pangan"
    assert entity.address.startswith("Lorong 3, RT 003/RW 005, Kel. Maricaya")
    assert entity.nib == "9120001234567"
    assert entity.founded == dt.date(2025, 6, 1)
    assert entity.members == 2  # the third member left on 30 September
    assert "SAK EMKM" in notes.basis
    assert "akrual" in notes.basis
    assert len(notes.policies) >= 4
    assert notes.closed_through is None
    details = {d.title: d for d in notes.details}
    assert [d.number for d in notes.details] == list(range(1, len(notes.details) + 1))
    assert list(details) == [
        "Kas dan bank",
        "Persediaan",
        "Aset tetap",
        "Liabilitas",
        "Simpanan anggota",
        "Pendapatan",
    ]  # no receivables: that note is left out
    assert by_label(details["Kas dan bank"].lines) == {
        "Kas": (3_200_000, 5_300_000),
        "Dana QRIS dalam penyelesaian": (875_000, 0),
        "Jumlah kas dan bank": (4_075_000, 5_300_000),
    }
    assert by_label(details["Aset tetap"].lines)["Nilai buku aset tetap"] == (960_000, 0)
    assert by_label(details["Simpanan anggota"].lines) == {
        "Simpanan pokok": (100_000, 100_000),
        "Simpanan wajib": (50_000, 0),
        "Simpanan sukarela": (75_000, 0),
        "Jumlah simpanan anggota": (225_000, 100_000),
    }
    assert by_label(details["Pendapatan"].lines)["Jumlah pendapatan"] == (2_300_000, None)


def test_month_inside_the_year(db: Database) -> None:
    fs = worked_example(db).statements(BULO, Period.parse("2026-03"))
    assert fs.balance_sheet.balanced
    assert fs.balance_sheet.previous_as_of == dt.date(2026, 2, 28)
    assert fs.income_statement.total_revenue == Rupiah(800_000)
    assert fs.income_statement.net_income == Rupiah(350_000)
    assert by_label(fs.balance_sheet.equity)[CURRENT_RESULT] == (
        200_000 + 600_000 + 350_000,
        200_000 + 600_000,
    )
    assert fs.notes.entity.members == 3  # the third member had not left yet


def test_closed_year(db: Database) -> None:
    books = worked_example(db)
    before = books.statements(BULO, YEAR)
    books.close_period(BULO, dt.date(2026, 12, 31), actor=ACTOR)
    after = books.statements(BULO, YEAR)
    assert after.balance_sheet.balanced
    assert after.income_statement == before.income_statement  # closing entries left out
    assert after.income_statement.total_revenue == Rupiah(2_300_000)
    equity = by_label(after.balance_sheet.equity)
    # The closing (from the founding) moved both years' results to retained earnings.
    assert equity["Saldo laba (laba ditahan)"] == (460_000, 0)
    assert equity[CURRENT_RESULT] == (0, 200_000)
    assert after.balance_sheet.total_equity == before.balance_sheet.total_equity
    assert after.notes.closed_through == dt.date(2026, 12, 31)
    # Inside the closed year, and the following, still open, year.
    assert books.statements(BULO, Period.parse("2026-Q2")).balance_sheet.balanced
    books.record_sale(BULO, date=dt.date(2027, 1, 4), amount=Rupiah(90_000), actor=ACTOR)
    next_year = books.statements(BULO, Period.year(2027))
    assert next_year.balance_sheet.balanced
    assert by_label(next_year.balance_sheet.equity)[CURRENT_RESULT] == (90_000, 0)
    assert next_year.income_statement.net_income == Rupiah(90_000)


def test_unknown_enterprise(db: Database) -> None:
    with pytest.raises(NotFoundError):
        Books(db).statements("no-such-bulo", YEAR)


# --- renderings -----------------------------------------------------------------------------


class Checker(HTMLParser):
    """Checks that every element opened is closed in order, and collects text per tag."""

    VOID = frozenset({"meta", "link", "br", "hr", "img", "input", "col"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.texts: dict[str, list[str]] = {}
        self.attrs: dict[str, list[dict[str, str | None]]] = {}
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs.setdefault(tag, []).append(dict(attrs))
        if tag not in self.VOID:
            self.stack.append(tag)
            self.texts.setdefault(tag, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        for tag in set(self.stack):
            self.texts[tag][-1] += data


def parse_html(text: str) -> Checker:
    checker = Checker()
    checker.feed(text)
    checker.close()
    assert checker.errors == []
    assert checker.stack == []
    return checker


def no_floats(value: Any) -> Iterator[Any]:
    if isinstance(value, float):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from no_floats(item)
    elif isinstance(value, list):
        for item in value:
            yield from no_floats(item)


def xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode() for name in archive.namelist())


def test_to_json(db: Database) -> None:
    data = worked_example(db).statements(BULO, YEAR).to_json()
    text = json.dumps(data)
    assert list(no_floats(json.loads(text))) == []
    assert data["balanced"] is True
    assert data["period"] == {"start": "2026-01-01", "end": "2026-12-31", "label": "Tahun 2026"}
    assert data["generated_at"] == "2027-01-15T02:30:00+00:00"
    sheet = data["balance_sheet"]
    assert sheet["title"] == "Laporan Posisi Keuangan per 31 Desember 2026"
    assert sheet["total_assets"] == 5_785_000
    assert sheet["total_liabilities_and_equity"] == 5_785_000
    assert sheet["assets"][1] == {
        "label": "Kas",
        "code": "1101",
        "amount": 3_200_000,
        "previous": 5_300_000,
        "level": 1,
        "total": False,
        "heading": False,
    }
    assert data["income_statement"]["net_income"] == 260_000
    assert data["notes"]["entity"]["members"] == 2
    assert data["notes"]["details"][0]["title"] == "Kas dan bank"


def test_render_html(db: Database) -> None:
    name = "BULo <script>alert('x')</script> & Co"
    fs = worked_example(db, name=name).statements(BULO, YEAR)
    text = fs.render_html()
    assert text.startswith("<!DOCTYPE html>")
    assert '<html lang="id">' in text
    assert '<meta charset="utf-8">' in text
    assert "@media print" in text
    assert "size: A4" in text
    assert "<script>" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Co" in text
    parsed = parse_html(text)
    assert parsed.texts["title"] == [f"Laporan Keuangan {name} Tahun 2026"]
    assert parsed.texts["h2"] == [
        "Laporan Posisi Keuangan per 31 Desember 2026",
        "Laporan Laba Rugi Tahun 2026",
        "Catatan atas Laporan Keuangan",
    ]
    assert "script" not in parsed.attrs
    body = parsed.texts["body"][0]
    assert "Rp5.785.000" in body  # total assets
    assert "(Rp240.000)" in body  # accumulated depreciation, a negative line
    assert "Jumlah liabilitas dan ekuitas" in body
    assert "Laba (rugi) bersih" in body
    assert "31 Desember 2025" in body  # the comparative column
    assert SOURCE_LINE in parsed.texts["footer"][0]
    assert "15 Januari 2027 pukul 02:30:00 UTC" in parsed.texts["footer"][0]


def test_render_xlsx(db: Database) -> None:
    fs = worked_example(db).statements(BULO, YEAR)
    data = fs.render_xlsx()
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Posisi Keuangan", "Laba Rugi", "Catatan"]
    assert workbook.properties.title == "Laporan Keuangan BULo Lorong Sehati Tahun 2026"
    sheet = workbook["Posisi Keuangan"]
    rows = {row[0]: row[1:] for row in sheet.iter_rows(values_only=True) if row[0]}
    assert rows["Jumlah aset"][:2] == (5_785_000, 5_300_000)
    assert rows["Jumlah liabilitas dan ekuitas"][:2] == (5_785_000, 5_300_000)
    assert sheet["A2"].value == "Laporan Posisi Keuangan per 31 Desember 2026"
    assert sheet["A2"].font.b
    assert sheet.column_dimensions["A"].width == 52
    income = {r[0]: r[1] for r in workbook["Laba Rugi"].iter_rows(values_only=True) if r[0]}
    assert income["Laba (rugi) bersih"] == 260_000
    assert income["    Penjualan"] == 2_300_000
    assert fs.render_xlsx() == data  # the same statements give the same bytes


def test_member_names_never_appear(db: Database) -> None:
    fs = worked_example(db).statements(BULO, YEAR)
    assert fs.notes.entity.members == 2
    renderings = [json.dumps(fs.to_json()), fs.render_html(), xlsx_text(fs.render_xlsx())]
    for text in renderings:
        for name in (MEMBER_NAME, "Andi Nurhaliza", "Baso Tang", "Rahmawati"):
            assert name not in text


# --- pure parts -----------------------------------------------------------------------------


def test_format_amount() -> None:
    assert format_amount(Rupiah(0)) == "Rp0"
    assert format_amount(Rupiah(1_500_000)) == "Rp1.500.000"
    assert format_amount(Rupiah(-1_500_000)) == "(Rp1.500.000)"


def test_address_falls_back_to_codes_and_zero_lines_are_left_out() -> None:
    bulo = enterprise(village="73.71.03.1099")  # a well-formed code the region data lacks
    totals = AccountTotals(
        enterprise=bulo.id,
        period=YEAR,
        chart=ChartOfAccounts.sak_emkm(),
        opening={},
        closing={"1101": 0, "1102": 10, "3101": -10},
        movement={"1101": 0},
        closed_through=None,
    )
    fs = build_statements(bulo, totals, member_count=0, generated_at=NOW)
    assert "kode kelurahan 73.71.03.1099" in fs.notes.entity.address
    assert [line.label for line in fs.balance_sheet.assets] == [
        "Aset lancar",
        "Bank",
        "Jumlah aset lancar",
        "Jumlah aset",
    ]
    assert [line.label for line in fs.balance_sheet.liabilities] == ["Jumlah liabilitas"]
    assert [line.label for line in fs.income_statement.revenue] == ["Jumlah pendapatan"]
    assert fs.income_statement.net_income == Rupiah(0)
    assert fs.balance_sheet.balanced
    parse_html(fs.render_html())


# --- property: any postings, any period -----------------------------------------------------

FOUNDED = dt.date(2025, 1, 1)
#: Chart accounts that random entries may use: no savings (they need members), and not
#: retained earnings, so that equity from results moves only by the period's result.
OPEN_ACCOUNTS = [
    a.code
    for a in ChartOfAccounts.sak_emkm().accounts
    if a.savings is None
    and a.code
    not in {
        StandardAccount.RETAINED_EARNINGS,
        StandardAccount.WASTE_INVENTORY,
        StandardAccount.SHU_PAYABLE,
    }
]
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def memory_db() -> Iterator[Database]:
    database = Database("sqlite://")
    upgrade(database)
    yield database
    database.dispose()


@st.composite
def entry_lines(draw: st.DrawFn) -> list[JournalLine]:
    debits = draw(
        st.lists(
            st.tuples(st.sampled_from(OPEN_ACCOUNTS), st.integers(1, 10**9)),
            min_size=1,
            max_size=3,
        )
    )
    credit = draw(st.sampled_from(OPEN_ACCOUNTS))
    lines = [JournalLine.debit_of(code, Rupiah(amount)) for code, amount in debits]
    lines.append(JournalLine.credit_of(credit, Rupiah(sum(a for _c, a in debits))))
    return draw(st.permutations(lines))


days = st.integers(0, 730).map(lambda n: FOUNDED + dt.timedelta(days=n))
operations = st.lists(
    st.one_of(
        st.tuples(days, entry_lines()),
        st.tuples(days, st.none()),  # a closing through that day
    ),
    max_size=12,
)
periods = st.lists(days, min_size=2, max_size=2).map(lambda d: Period(min(d), max(d)))


def results_equity(fs: FinancialStatements) -> tuple[int, int]:
    """Retained earnings plus the result not yet closed: (at the end, the day before)."""
    current = previous = 0
    for line in fs.balance_sheet.equity:
        if line.code == StandardAccount.RETAINED_EARNINGS or line.label == CURRENT_RESULT:
            current += line.amount.amount
            previous += (line.previous or Rupiah(0)).amount
    return current, previous


@given(operations=operations, checked=st.lists(periods, min_size=1, max_size=3))
def test_any_postings_balance(
    memory_db: Database,
    operations: list[tuple[dt.date, list[JournalLine] | None]],
    checked: list[Period],
) -> None:
    bulo_id = f"prop-{next(_ids)}"
    _registry, books = register(memory_db, enterprise(bulo_id, founded=FOUNDED))
    closed: dt.date | None = None
    batch: list[JournalEntry] = []
    # Postings first, then the closing, on any one day.
    for day, lines in sorted(operations, key=lambda op: (op[0], op[1] is None)):
        if closed is not None and day <= closed:
            continue
        if lines is None:
            books.post_many(batch, actor=ACTOR)
            batch = []
            books.close_period(bulo_id, day, actor=ACTOR)
            closed = day
        else:
            batch.append(JournalEntry(bulo_id, day, "Jurnal uji", lines))
    books.post_many(batch, actor=ACTOR)
    event("closed" if closed else "never closed")
    for period in checked:
        fs = books.statements(bulo_id, period)
        sheet = fs.balance_sheet
        assert sheet.balanced
        assert sheet.total_assets == sheet.total_liabilities + sheet.total_equity
        previous = [group[-1].previous for group in (sheet.assets, sheet.liabilities, sheet.equity)]
        assert None not in previous
        assert previous[0] == previous[1] + previous[2]  # type: ignore[operator]
        assert (
            sum(x.previous.amount for x in sheet.assets if x.level and x.previous)
            == (sheet.assets[-1].previous or Rupiah(0)).amount
        )
        end, start = results_equity(fs)
        assert fs.income_statement.net_income.amount == end - start
        event("a result" if fs.income_statement.net_income else "no result")
        assert list(no_floats(fs.to_json())) == []
