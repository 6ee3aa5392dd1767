"""The ledger's pure models: accounts, the chart, journal lines and entries, periods."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity_kit.core import Rupiah
from smartcity_kit.economy import (
    Account,
    AccountType,
    ChartOfAccounts,
    EntryKind,
    JournalEntry,
    JournalLine,
    Period,
    SavingsKind,
    StandardAccount,
)
from smartcity_kit.errors import NotFoundError, ValidationError
from smartcity_kit.testing import strategies as city_st

E = "mks-maricaya-01"
DAY = dt.date(2026, 3, 2)
CODES = [str(a) for a in StandardAccount]


def entry(*lines: JournalLine, day: dt.date = DAY) -> JournalEntry:
    return JournalEntry(enterprise=E, date=day, description="Penjualan", lines=lines)


def field_of(error: pytest.ExceptionInfo[ValidationError]) -> tuple[str, ...]:
    return tuple(error.value.fields)


# --- account types and accounts ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("1101", AccountType.ASSET),
        ("2301", AccountType.LIABILITY),
        ("3202", AccountType.EQUITY),
        ("4101", AccountType.REVENUE),
        ("5101", AccountType.COST_OF_SALES),
        ("6199", AccountType.EXPENSE),
        ("61990001", AccountType.EXPENSE),
    ],
)
def test_account_type_of_code_is_the_first_digit(code: str, expected: AccountType) -> None:
    assert AccountType.of_code(code) is expected
    assert expected.digit == code[0]


def test_account_types_normal_sides_and_nominal_groups() -> None:
    debit_normal = {t for t in AccountType if t.debit_normal}
    nominal = {t for t in AccountType if t.nominal}
    assert debit_normal == {AccountType.ASSET, AccountType.COST_OF_SALES, AccountType.EXPENSE}
    assert nominal == {AccountType.REVENUE, AccountType.COST_OF_SALES, AccountType.EXPENSE}
    assert [t.digit for t in AccountType] == ["1", "2", "3", "4", "5", "6"]
    assert AccountType.LIABILITY.label_id == "Liabilitas"


@pytest.mark.parametrize("code", ["1101", "6201", "1234567", "12345678"])
def test_account_codes_of_4_to_8_digits_starting_with_the_group(code: str) -> None:
    assert Account(code, "Akun").code == code


@pytest.mark.parametrize(
    "code", ["", "110", "123456789", "7101", "0101", "11a1", " 1101", "1101 ", 1101, None]
)
def test_account_codes_are_refused_naming_the_field(code: object) -> None:
    with pytest.raises(ValidationError, match="4 to 8 digits") as error:
        Account(code, "Akun")  # type: ignore[arg-type]
    assert field_of(error) == ("code",)


@pytest.mark.parametrize("name", ["", "   ", "x" * 121, None])
def test_account_names_are_refused_naming_the_field(name: object) -> None:
    with pytest.raises(ValidationError) as error:
        Account("1101", name)  # type: ignore[arg-type]
    assert field_of(error) == ("name",)


def test_contra_accounts_have_the_other_normal_side() -> None:
    assert Account("1201", "Aset tetap").debit_normal
    assert not Account("1202", "Akumulasi penyusutan", contra=True).debit_normal
    assert not Account("3101", "Modal").debit_normal
    assert Account("3104", "Prive", contra=True).debit_normal


def test_savings_accounts_name_their_kind() -> None:
    assert Account("2201", "Simpanan sukarela", savings="voluntary").savings is (
        SavingsKind.VOLUNTARY
    )
    assert Account("1101", "Kas").savings is None


# --- the chart ---------------------------------------------------------------------------------


def test_the_sak_emkm_template_holds_every_standard_account() -> None:
    chart = ChartOfAccounts.sak_emkm()
    assert len(chart.accounts) == 38
    assert [a.code for a in chart.accounts] == sorted(CODES)
    assert {a.code for a in chart.accounts if a.savings} == {"2201", "2202", "3102", "3103"}
    assert {a.code for a in chart.accounts if a.contra} == {"1202", "3104"}
    assert [a.code for a in chart.of_type(AccountType.COST_OF_SALES)] == ["5101"]
    assert chart.get("3202").name == "Saldo laba (laba ditahan)"
    assert "1101" in chart
    assert "9999" not in chart


def test_the_chart_is_kept_in_code_order_and_grows_by_with_account() -> None:
    chart = ChartOfAccounts.sak_emkm().with_account(Account("1108", "Uang muka"))
    codes = [a.code for a in chart.accounts]
    assert codes == sorted(codes)
    assert chart.get("1108").name == "Uang muka"
    assert "1108" not in ChartOfAccounts.sak_emkm()  # the original chart is unchanged


def test_with_account_refuses_a_taken_code() -> None:
    with pytest.raises(ValidationError, match="1101 already exists") as error:
        ChartOfAccounts.sak_emkm().with_account(Account("1101", "Kas kecil"))
    assert field_of(error) == ("code",)


def test_a_chart_refuses_the_same_code_twice() -> None:
    with pytest.raises(ValidationError) as error:
        ChartOfAccounts([Account("1101", "Kas"), Account("1101", "Kas lagi")])
    assert field_of(error) == ("accounts",)


def test_get_of_an_unknown_code_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="9101"):
        ChartOfAccounts.sak_emkm().get("9101")


# --- journal lines -----------------------------------------------------------------------------


def test_a_line_is_a_debit_or_a_credit() -> None:
    debit = JournalLine.debit_of(StandardAccount.CASH, Rupiah(50_000), memo="tunai")
    credit = JournalLine.credit_of("4101", Rupiah(50_000), member=3)
    assert (debit.account, debit.debit, debit.credit, debit.signed) == (
        "1101",
        Rupiah(50_000),
        Rupiah(0),
        50_000,
    )
    assert (credit.signed, credit.member) == (-50_000, 3)
    assert credit.swapped() == JournalLine.debit_of("4101", Rupiah(50_000), member=3)


@pytest.mark.parametrize(
    ("debit", "credit"),
    [(0, 0), (1, 1), (50_000, 20_000)],
)
def test_a_line_needs_exactly_one_side(debit: int, credit: int) -> None:
    with pytest.raises(ValidationError, match="either a debit or a credit") as error:
        JournalLine("1101", debit=Rupiah(debit), credit=Rupiah(credit))
    assert field_of(error) == ("lines",)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"debit": Rupiah(-1)}, "debit"),
        ({"credit": Rupiah(-5)}, "credit"),
        ({"debit": Rupiah(10**15 + 1)}, "debit"),
        ({"debit": 5_000}, "debit"),
        ({"debit": Rupiah(1), "member": 0}, "member"),
        ({"debit": Rupiah(1), "member": True}, "member"),
        ({"debit": Rupiah(1), "member": "1"}, "member"),
        ({"debit": Rupiah(1), "memo": "x" * 201}, "memo"),
    ],
)
def test_line_fields_are_checked_naming_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        JournalLine("1101", **kwargs)  # type: ignore[arg-type]
    assert field_of(error) == (field,)


def test_a_line_with_a_bad_account_names_the_account_field() -> None:
    with pytest.raises(ValidationError) as error:
        JournalLine.debit_of("9101", Rupiah(1))
    assert field_of(error) == ("account",)


# --- journal entries ---------------------------------------------------------------------------


def test_an_entry_balances_and_totals_its_debits() -> None:
    sale = entry(
        JournalLine.debit_of("1101", Rupiah(60_000)),
        JournalLine.debit_of("1104", Rupiah(15_000)),
        JournalLine.credit_of("4101", Rupiah(75_000)),
    )
    assert sale.total == Rupiah(75_000)
    assert sale.kind is EntryKind.GENERAL
    assert (sale.id, sale.reverses, sale.posted_at, sale.posted_by) == (0, None, None, None)
    assert isinstance(sale.lines, tuple)


def test_an_unbalanced_entry_is_refused_and_says_by_how_much() -> None:
    with pytest.raises(ValidationError) as error:
        entry(
            JournalLine.debit_of("1101", Rupiah(75_000)),
            JournalLine.credit_of("4101", Rupiah(57_000)),
        )
    assert field_of(error) == ("lines",)
    assert "do not balance" in str(error.value)
    assert "Rp18.000" in str(error.value)


@pytest.mark.parametrize("count", [0, 1])
def test_an_entry_needs_two_lines(count: int) -> None:
    lines = [JournalLine.debit_of("1101", Rupiah(1))][:count]
    with pytest.raises(ValidationError, match="at least two lines") as error:
        entry(*lines)
    assert field_of(error) == ("lines",)


def test_an_entry_refuses_lines_that_are_not_journal_lines() -> None:
    with pytest.raises(ValidationError, match="JournalLine") as error:
        JournalEntry(E, DAY, "x", [("1101", 1), ("4101", -1)])  # type: ignore[list-item]
    assert field_of(error) == ("lines",)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"date": "2026-03-02"}, "date"),
        ({"date": dt.datetime(2026, 3, 2, tzinfo=dt.UTC)}, "date"),
        ({"date": None}, "date"),
        ({"description": ""}, "description"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 501}, "description"),
    ],
)
def test_entry_fields_are_checked_naming_the_field(changes: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "enterprise": E,
        "date": DAY,
        "description": "Penjualan",
        "lines": [
            JournalLine.debit_of("1101", Rupiah(1)),
            JournalLine.credit_of("4101", Rupiah(1)),
        ],
    } | changes
    with pytest.raises(ValidationError) as error:
        JournalEntry(**values)  # type: ignore[arg-type]
    assert field_of(error) == (field,)


def test_the_reversal_swaps_every_line_and_points_back() -> None:
    original = entry(
        JournalLine.debit_of("1101", Rupiah(60_000)),
        JournalLine.credit_of("2201", Rupiah(60_000), member=2, memo="setoran"),
    )
    posted = JournalEntry(
        enterprise=original.enterprise,
        date=original.date,
        description=original.description,
        lines=original.lines,
        id=7,
    )
    undo = posted.reversal(dt.date(2026, 4, 1))
    assert undo.kind is EntryKind.REVERSAL
    assert undo.reverses == 7
    assert undo.date == dt.date(2026, 4, 1)
    assert undo.description == "Pembalikan jurnal #7: Penjualan"
    assert [ln.signed for ln in undo.lines] == [-60_000, 60_000]
    assert undo.lines[1].member == 2
    assert undo.lines[1].memo == "setoran"
    assert posted.reversal(DAY, "Koreksi").description == "Koreksi"


def test_the_digest_pins_the_accounting_content() -> None:
    lines = [JournalLine.debit_of("1101", Rupiah(5)), JournalLine.credit_of("4101", Rupiah(5))]
    base = entry(*lines)
    assert len(base.digest()) == 64
    assert base.digest() == entry(*lines).digest()
    # Posting facts do not change it ...
    posted = JournalEntry(E, DAY, "Penjualan", lines, id=3, posted_by="opd:x")
    assert posted.digest() == base.digest()
    # ... every accounting fact does.
    others = [
        entry(*lines, day=DAY + dt.timedelta(days=1)),
        JournalEntry(E, DAY, "Penjualan tunai", lines),
        JournalEntry(E, DAY, "Penjualan", lines, kind=EntryKind.SALE),
        JournalEntry("mks-lain-01", DAY, "Penjualan", lines),
        entry(JournalLine.debit_of("1102", Rupiah(5)), lines[1]),
        entry(JournalLine.debit_of("1101", Rupiah(5), member=1), lines[1]),
        entry(JournalLine.debit_of("1101", Rupiah(5), memo="m"), lines[1]),
        entry(JournalLine.debit_of("1101", Rupiah(6)), JournalLine.credit_of("4101", Rupiah(6))),
    ]
    digests = {o.digest() for o in others}
    assert base.digest() not in digests
    assert len(digests) == len(others)


@given(city_st.journal_entries(E, CODES, members=(1, 2, 3)))
def test_drawn_entries_balance_and_their_reversal_cancels_them(drawn: JournalEntry) -> None:
    assert sum(line.signed for line in drawn.lines) == 0
    assert 2 <= len(drawn.lines) <= 6
    assert 1 <= drawn.total.amount <= 10_000_000
    assert drawn.kind not in {EntryKind.CLOSING, EntryKind.REVERSAL}
    undo = drawn.reversal(drawn.date)
    per_account: dict[tuple[str, int | None], int] = {}
    for line in (*drawn.lines, *undo.lines):
        key = (line.account, line.member)
        per_account[key] = per_account.get(key, 0) + line.signed
    assert set(per_account.values()) == {0}


@given(
    st.lists(st.integers(1, 10**9), min_size=1, max_size=5),
    st.lists(st.integers(1, 10**9), min_size=1, max_size=5),
)
def test_an_entry_is_accepted_exactly_when_it_balances(
    debits: list[int], credits_: list[int]
) -> None:
    lines = [JournalLine.debit_of("1101", Rupiah(d)) for d in debits] + [
        JournalLine.credit_of("4101", Rupiah(c)) for c in credits_
    ]
    if sum(debits) == sum(credits_):
        assert entry(*lines).total == Rupiah(sum(debits))
    else:
        with pytest.raises(ValidationError, match="do not balance"):
            entry(*lines)


# --- periods -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        (" 2026 ", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        ("2026-02", dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        ("2026-12", dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
        ("2026-Q1", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        ("2026-q2", dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
        ("2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        ("2026-01-01/2026-06-30", dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
        ("2026-01-15..2026-01-15", dt.date(2026, 1, 15), dt.date(2026, 1, 15)),
    ],
)
def test_period_parse(text: str, start: dt.date, end: dt.date) -> None:
    assert Period.parse(text) == Period(start, end)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "26",
        "2026-13",
        "2026-00",
        "2026-Q5",
        "2026-Q0",
        "2026-02-30/2026-03-01",
        "2026-06-30/2026-01-01",
        "2026/2027",
        "maret 2026",
        None,
    ],
)
def test_period_parse_refuses_other_text_naming_the_field(text: str) -> None:
    with pytest.raises(ValidationError, match="a year") as error:
        Period.parse(text)
    assert field_of(error) == ("period",)


def test_a_period_may_not_end_before_it_starts() -> None:
    with pytest.raises(ValidationError, match="end before it starts") as error:
        Period(dt.date(2026, 2, 1), dt.date(2026, 1, 31))
    assert field_of(error) == ("period",)


def test_period_days_must_be_dates() -> None:
    with pytest.raises(ValidationError) as error:
        Period("2026-01-01", dt.date(2026, 1, 31))  # type: ignore[arg-type]
    assert field_of(error) == ("period.start",)


def test_period_months_are_cut_to_the_period() -> None:
    months = list(Period.parse("2025-11-15/2026-02-10").months())
    assert months == [
        Period(dt.date(2025, 11, 15), dt.date(2025, 11, 30)),
        Period(dt.date(2025, 12, 1), dt.date(2025, 12, 31)),
        Period(dt.date(2026, 1, 1), dt.date(2026, 1, 31)),
        Period(dt.date(2026, 2, 1), dt.date(2026, 2, 10)),
    ]
    assert list(Period.parse("2026-03").months()) == [Period.month(2026, 3)]
    assert len(list(Period.year(2026).months())) == 12


@given(st.dates(dt.date(2000, 1, 1), dt.date(2100, 12, 31)), st.integers(0, 800))
def test_period_months_cover_the_period_without_gaps(start: dt.date, days: int) -> None:
    period = Period(start, start + dt.timedelta(days=days))
    months = list(period.months())
    assert months[0].start == period.start
    assert months[-1].end == period.end
    for before, after in itertools.pairwise(months):
        assert after.start == before.end + dt.timedelta(days=1)
        assert after.start.day == 1
    assert all(m.start.month == m.end.month for m in months)


def test_period_labels_and_membership() -> None:
    assert Period.parse("2026").label_id == "Tahun 2026"
    assert Period.parse("2026-03").label_id == "Maret 2026"
    assert Period.parse("2026-Q2").label_id == "1 April 2026 - 30 Juni 2026"
    assert str(Period.parse("2026-Q2")) == "2026-04-01/2026-06-30"
    assert dt.date(2026, 4, 1) in Period.parse("2026-Q2")
    assert dt.date(2026, 7, 1) not in Period.parse("2026-Q2")
    assert "2026-04-01" not in Period.parse("2026-Q2")
