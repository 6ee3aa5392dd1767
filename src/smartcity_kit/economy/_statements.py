"""Financial statements to SAK EMKM, derived from the ledger: never typed in.

SAK EMKM asks a micro or small entity for three statements: the *Laporan Posisi Keuangan*
(statement of financial position), the *Laporan Laba Rugi* (income statement) and the *Catatan
atas Laporan Keuangan* (notes). :func:`build_statements` makes all three from an enterprise's
:class:`~smartcity_kit.economy.AccountTotals`; :meth:`Books.statements
<smartcity_kit.economy.Books.statements>` reads those from the books. The result renders as JSON,
as a printable HTML document and as an XLSX workbook.

How the figures are laid out:

- Every amount is on its group's normal side: assets, cost of sales and expenses as the debit
  balance, liabilities, equity and revenue as the credit balance. A contra account (``1202
  Akumulasi penyusutan``, ``3104 Prive``) therefore shows as a negative line within its group
  and reduces the group's total.
- The balance sheet uses the balances at the end of the period, with those at the end of the
  day before the period starts beside them (the comparative column). The income statement uses
  the movement of the period without closing entries, so a closed year still shows its figures.
- Equity holds an extra line, *Laba (rugi) tahun berjalan*: the result not yet closed into
  retained earnings (the balance of every income, cost and expense account). With it, assets
  equal liabilities plus equity whether or not the period is closed.
- Assets are split into *aset lancar* (codes ``11..``) and *aset tidak lancar* (``12..`` and
  up); liabilities into *liabilitas jangka pendek* (``21..`` to ``23..``: trade and bank
  payables, members' voluntary and waste savings, SHU and funds owed) and *liabilitas jangka
  panjang* (``24..`` and up). Equity and the income statement groups are not split.
- An account line that is zero in both columns is left out, and so is a section with no lines;
  group totals are always there.

The lines of a group are, in order: for each section a heading (level 0, not a total, carrying
the section's total), its account lines (level 1) and its subtotal (level 0, a total); then the
group's total (``Jumlah aset``, ``Jumlah liabilitas``, ...). Figures that combine groups
(``Jumlah liabilitas dan ekuitas``, ``Laba kotor``, ``Laba (rugi) bersih``) are attributes of
the statement, and the renderings show them in their place.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import attrs

from smartcity_kit.core import Address, Rupiah, ensure_utc
from smartcity_kit.economy._enterprises import Enterprise, LegalForm, SavingsKind, Sector
from smartcity_kit.economy._ledger import (
    Account,
    AccountType,
    ChartOfAccounts,
    Period,
    StandardAccount,
    format_date_id,
)
from smartcity_kit.economy._xlsx import Cell, Sheet, write_xlsx
from smartcity_kit.errors import NotFoundError

if TYPE_CHECKING:
    from smartcity_kit.economy._books import AccountTotals

__all__ = [
    "BalanceSheet",
    "EntityNote",
    "FinancialStatements",
    "IncomeStatement",
    "NoteDetail",
    "Notes",
    "StatementLine",
    "build_statements",
]

BASIS: Final = (
    "Laporan keuangan disusun berdasarkan SAK EMKM dengan dasar akrual dan konsep biaya "
    "historis; mata uang penyajian Rupiah."
)
"""The basis of preparation, as the notes state it."""
CURRENT_RESULT: Final = "Laba (rugi) tahun berjalan"
"""The equity line for the result not yet closed into retained earnings."""
SOURCE_LINE: Final = "Disusun dari buku besar smartcity-kit; bukan diketik ulang."
"""The footer line that says where the figures come from."""

_POLICY_INVENTORY: Final = (
    "Persediaan diukur sebesar biaya perolehan (konsep biaya historis); harga pokok penjualan "
    "diakui pada saat barang dijual."
)
_POLICY_FIXED_ASSETS: Final = (
    "Aset tetap dicatat sebesar biaya perolehan dan disusutkan selama masa manfaatnya; "
    "akumulasi penyusutan disajikan sebagai pengurang aset tetap."
)
_POLICY_REVENUE: Final = (
    "Pendapatan diakui pada saat barang diserahkan atau jasa diberikan (dasar akrual); "
    "penerimaan melalui QRIS dicatat sebagai dana QRIS dalam penyelesaian sampai dana "
    "diterima dari penyelenggara."
)
_POLICY_SAVINGS: Final = (
    "Simpanan pokok dan simpanan wajib anggota disajikan sebagai ekuitas; simpanan sukarela "
    "dan tabungan nasabah bank sampah disajikan sebagai liabilitas kepada anggota."
)
_POLICY_RESULT: Final = (
    "Laba (rugi) tahun berjalan adalah hasil usaha yang belum ditutup ke saldo laba; pada "
    "tutup buku hasil usaha dipindahkan ke saldo laba (laba ditahan)."
)

_CURRENT_ASSET_DIGIT: Final = "1"
_SHORT_TERM_DIGITS: Final = frozenset("123")
_ONE_DAY: Final = dt.timedelta(days=1)


def _line_tuple(value: Iterable[StatementLine]) -> tuple[StatementLine, ...]:
    return tuple(value)


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _detail_tuple(value: Iterable[NoteDetail]) -> tuple[NoteDetail, ...]:
    return tuple(value)


@attrs.frozen
class StatementLine:
    """One line of a statement or note: a label and an amount.

    >>> StatementLine("Kas", Rupiah(1_500_000), code="1101", level=1)
    StatementLine(label='Kas', amount=Rupiah(1500000), code='1101', level=1, total=False, previous=None)

    Attributes:
        label: The Indonesian label (the account's name, a heading, a total).
        amount: The amount on the group's normal side; a contra account is negative.
        code: The account's code, for an account line.
        level: 0 for headings and totals, 1 for the lines under them.
        total: Whether the line is a (sub)total.
        previous: The comparative figure: the balance at the end of the day before the period
            (balance sheet and its notes); None where there is no comparative column.
    """  # noqa: E501 - the doctest shows a whole repr

    label: str
    amount: Rupiah
    code: str | None = None
    level: int = 0
    total: bool = False
    previous: Rupiah | None = None

    @property
    def heading(self) -> bool:
        """Whether the line heads a section (level 0, not a total): shown without amounts."""
        return self.level == 0 and not self.total

    def to_json(self) -> dict[str, Any]:
        """The line as JSON-ready data (amounts as whole rupiah)."""
        return {
            "label": self.label,
            "code": self.code,
            "amount": self.amount.amount,
            "previous": None if self.previous is None else self.previous.amount,
            "level": self.level,
            "total": self.total,
            "heading": self.heading,
        }


@attrs.frozen
class BalanceSheet:
    """The Laporan Posisi Keuangan (statement of financial position) at the end of a period.

    Attributes:
        as_of: The date of the figures (the period's last day).
        previous_as_of: The date of the comparative column (the day before the period starts).
        assets: The asset lines, ending with ``Jumlah aset``.
        liabilities: The liability lines, ending with ``Jumlah liabilitas``.
        equity: The equity lines, ``Laba (rugi) tahun berjalan`` among them, ending with
            ``Jumlah ekuitas``.
        total_assets: Jumlah aset.
        total_liabilities: Jumlah liabilitas.
        total_equity: Jumlah ekuitas.
    """

    as_of: dt.date
    previous_as_of: dt.date
    assets: tuple[StatementLine, ...] = attrs.field(converter=_line_tuple)
    liabilities: tuple[StatementLine, ...] = attrs.field(converter=_line_tuple)
    equity: tuple[StatementLine, ...] = attrs.field(converter=_line_tuple)
    total_assets: Rupiah
    total_liabilities: Rupiah
    total_equity: Rupiah

    @property
    def total_liabilities_and_equity(self) -> Rupiah:
        """Jumlah liabilitas dan ekuitas."""
        return self.total_liabilities + self.total_equity

    @property
    def balanced(self) -> bool:
        """Whether assets equal liabilities plus equity (they always do for posted books)."""
        return self.total_assets == self.total_liabilities_and_equity

    def title(self) -> str:
        """The heading: ``Laporan Posisi Keuangan per 31 Desember 2026``."""
        return f"Laporan Posisi Keuangan per {format_date_id(self.as_of)}"

    def to_json(self) -> dict[str, Any]:
        """The statement as JSON-ready data."""
        return {
            "title": self.title(),
            "as_of": self.as_of.isoformat(),
            "previous_as_of": self.previous_as_of.isoformat(),
            "assets": [line.to_json() for line in self.assets],
            "liabilities": [line.to_json() for line in self.liabilities],
            "equity": [line.to_json() for line in self.equity],
            "total_assets": self.total_assets.amount,
            "total_liabilities": self.total_liabilities.amount,
            "total_equity": self.total_equity.amount,
            "total_liabilities_and_equity": self.total_liabilities_and_equity.amount,
            "balanced": self.balanced,
        }


@attrs.frozen
class IncomeStatement:
    """The Laporan Laba Rugi (income statement) of a period.

    Attributes:
        period: The period.
        revenue: The revenue lines, ending with ``Jumlah pendapatan``.
        cost_of_sales: The cost-of-sales lines, ending with ``Jumlah harga pokok penjualan``.
        expenses: The expense lines, ending with ``Jumlah beban``.
        total_revenue: Jumlah pendapatan.
        total_cost_of_sales: Jumlah harga pokok penjualan.
        gross_profit: Laba kotor: revenue less cost of sales.
        total_expenses: Jumlah beban.
        net_income: Laba (rugi) bersih: gross profit less expenses.
    """

    period: Period
    revenue: tuple[StatementLine, ...] = attrs.field(converter=_line_tuple)
    cost_of_sales: tuple[StatementLine, ...] = attrs.field(converter=_line_tuple)
    expenses: tuple[StatementLine, ...] = attrs.field(converter=_line_tuple)
    total_revenue: Rupiah
    total_cost_of_sales: Rupiah
    gross_profit: Rupiah
    total_expenses: Rupiah
    net_income: Rupiah

    def title(self) -> str:
        """The heading: ``Laporan Laba Rugi Tahun 2026``."""
        return f"Laporan Laba Rugi {self.period.label_id}"

    def to_json(self) -> dict[str, Any]:
        """The statement as JSON-ready data."""
        return {
            "title": self.title(),
            "period": _period_json(self.period),
            "revenue": [line.to_json() for line in self.revenue],
            "cost_of_sales": [line.to_json() for line in self.cost_of_sales],
            "expenses": [line.to_json() for line in self.expenses],
            "total_revenue": self.total_revenue.amount,
            "total_cost_of_sales": self.total_cost_of_sales.amount,
            "gross_profit": self.gross_profit.amount,
            "total_expenses": self.total_expenses.amount,
            "net_income": self.net_income.amount,
        }


@attrs.frozen
class EntityNote:
    """Who the statements are of (the general information of the notes).

    It carries the number of members, never their names.

    Attributes:
        id: The enterprise's id.
        name: The enterprise's name.
        legal_form: The legal form, in Indonesian.
        sector: The sector, in Indonesian.
        address: The address on one line (region codes when the region data lacks the village).
        nib: The NIB, if any.
        founded: The founding date.
        mentor_agency: The mentoring city office or kecamatan, if any.
        members: The number of members at the end of the period.
    """

    id: str
    name: str
    legal_form: str
    sector: str
    address: str
    nib: str | None
    founded: dt.date
    mentor_agency: str | None
    members: int

    def rows(self) -> list[tuple[str, str]]:
        """The facts as (label, value) pairs, in Indonesian, as the renderings show them."""
        return [
            ("Nama entitas", self.name),
            ("Bentuk badan usaha", self.legal_form),
            ("Bidang usaha", self.sector),
            ("Alamat", self.address),
            ("NIB", self.nib or "-"),
            ("Tanggal berdiri", format_date_id(self.founded)),
            ("Pendamping", self.mentor_agency or "-"),
            ("Jumlah anggota pada akhir periode", str(self.members)),
        ]

    def to_json(self) -> dict[str, Any]:
        """The facts as JSON-ready data."""
        return {
            "id": self.id,
            "name": self.name,
            "legal_form": self.legal_form,
            "sector": self.sector,
            "address": self.address,
            "nib": self.nib,
            "founded": self.founded.isoformat(),
            "mentor_agency": self.mentor_agency,
            "members": self.members,
        }


@attrs.frozen
class NoteDetail:
    """A numbered note that breaks a figure down (``1. Kas dan bank``).

    Attributes:
        number: The note's number, from 1.
        title: The note's title.
        lines: The breakdown, ending with its total.
    """

    number: int
    title: str
    lines: tuple[StatementLine, ...] = attrs.field(converter=_line_tuple)

    @property
    def comparative(self) -> bool:
        """Whether the note has a comparative column (balance-sheet notes do)."""
        return any(line.previous is not None for line in self.lines)

    def to_json(self) -> dict[str, Any]:
        """The note as JSON-ready data."""
        return {
            "number": self.number,
            "title": self.title,
            "lines": [line.to_json() for line in self.lines],
        }


@attrs.frozen
class Notes:
    """The Catatan atas Laporan Keuangan (notes), in their basic SAK EMKM form.

    Attributes:
        entity: Who the statements are of.
        basis: The basis of preparation.
        policies: Short notes on the accounting policies.
        details: Numbered breakdowns of the main figures.
        closed_through: The last closed day of the books, if any.
    """

    entity: EntityNote
    basis: str
    policies: tuple[str, ...] = attrs.field(converter=_str_tuple)
    details: tuple[NoteDetail, ...] = attrs.field(converter=_detail_tuple)
    closed_through: dt.date | None

    def closing_text(self) -> str:
        """Where the books stand, in a sentence."""
        if self.closed_through is None:
            return "Buku belum pernah ditutup."
        return f"Buku telah ditutup sampai dengan {format_date_id(self.closed_through)}."

    def to_json(self) -> dict[str, Any]:
        """The notes as JSON-ready data."""
        return {
            "title": "Catatan atas Laporan Keuangan",
            "entity": self.entity.to_json(),
            "basis": self.basis,
            "policies": list(self.policies),
            "details": [detail.to_json() for detail in self.details],
            "closed_through": None
            if self.closed_through is None
            else self.closed_through.isoformat(),
        }


@attrs.frozen
class FinancialStatements:
    """An enterprise's financial statements for a period, to SAK EMKM.

    Made by :func:`build_statements` (or :meth:`Books.statements
    <smartcity_kit.economy.Books.statements>`); see the module's description for the layout.

    Attributes:
        enterprise: The enterprise.
        period: The period reported on.
        balance_sheet: The Laporan Posisi Keuangan at the period's end.
        income_statement: The Laporan Laba Rugi of the period.
        notes: The Catatan atas Laporan Keuangan.
        generated_at: When the statements were made (UTC).
    """

    enterprise: Enterprise
    period: Period
    balance_sheet: BalanceSheet
    income_statement: IncomeStatement
    notes: Notes
    generated_at: dt.datetime

    def title(self) -> str:
        """The document title: ``Laporan Keuangan BULo Lorong Sehati Tahun 2026``."""
        return f"Laporan Keuangan {self.enterprise.name} {self.period.label_id}"

    def to_json(self) -> dict[str, Any]:
        """The statements as JSON-ready data: amounts as whole rupiah, dates in ISO 8601."""
        return {
            "title": self.title(),
            "enterprise": {
                "id": self.enterprise.id,
                "city": self.enterprise.city,
                "name": self.enterprise.name,
            },
            "period": _period_json(self.period),
            "generated_at": ensure_utc(self.generated_at, "generated_at").isoformat(),
            "balanced": self.balance_sheet.balanced,
            "balance_sheet": self.balance_sheet.to_json(),
            "income_statement": self.income_statement.to_json(),
            "notes": self.notes.to_json(),
        }

    def render_html(self) -> str:
        """One standalone HTML document, printable on A4, every text escaped."""
        return _render_html(self)

    def render_xlsx(self) -> bytes:
        """An XLSX workbook: sheets ``Posisi Keuangan``, ``Laba Rugi`` and ``Catatan``."""
        return _render_xlsx(self)


# --- building -------------------------------------------------------------------------------


def build_statements(
    enterprise: Enterprise,
    totals: AccountTotals,
    *,
    member_count: int,
    generated_at: dt.datetime,
) -> FinancialStatements:
    """The financial statements of ``enterprise`` from its account totals.

    >>> from smartcity_kit.core import Address, RegionCode
    >>> from smartcity_kit.economy import AccountTotals, ChartOfAccounts, Enterprise, Period
    >>> bulo = Enterprise(
    ...     id="mks-maricaya-01",
    ...     city="makassar",
    ...     name="BULo Lorong Sehati",
    ...     address=Address(village=RegionCode.parse("73.71.03.1001"), lorong="Lorong 3"),
    ...     sector="processed_food",
    ...     legal_form="cooperative",
    ...     founded=dt.date(2017, 8, 17),
    ... )
    >>> totals = AccountTotals(
    ...     enterprise=bulo.id,
    ...     period=Period.parse("2026"),
    ...     chart=ChartOfAccounts.sak_emkm(),
    ...     opening={"1101": 1_000_000, "3101": -1_000_000},
    ...     closing={"1101": 1_150_000, "3101": -1_000_000, "4101": -250_000, "6102": 100_000},
    ...     movement={"1101": 150_000, "4101": -250_000, "6102": 100_000},
    ...     closed_through=None,
    ... )
    >>> fs = build_statements(
    ...     bulo, totals, member_count=12, generated_at=dt.datetime(2027, 1, 5, tzinfo=dt.UTC)
    ... )
    >>> fs.income_statement.net_income, fs.balance_sheet.total_assets, fs.balance_sheet.balanced
    (Rupiah(150000), Rupiah(1150000), True)
    >>> for line in fs.balance_sheet.equity:
    ...     print(line.label, line.amount, line.previous)
    Modal Rp1.000.000 Rp1.000.000
    Laba (rugi) tahun berjalan Rp150.000 Rp0
    Jumlah ekuitas Rp1.150.000 Rp1.000.000

    Args:
        enterprise: The enterprise.
        totals: Its balances and movements over the period (:meth:`Books.totals
            <smartcity_kit.economy.Books.totals>`).
        member_count: How many members it had at the period's end.
        generated_at: When the statements are made (with a time zone).
    """
    generated_at = ensure_utc(generated_at, "generated_at")
    figures = _Figures(totals)
    balance_sheet = _balance_sheet(figures, totals.period)
    income_statement = _income_statement(figures, totals.period)
    notes = Notes(
        entity=_entity(enterprise, member_count),
        basis=BASIS,
        policies=_policies(enterprise, figures),
        details=_details(figures),
        closed_through=totals.closed_through,
    )
    return FinancialStatements(
        enterprise=enterprise,
        period=totals.period,
        balance_sheet=balance_sheet,
        income_statement=income_statement,
        notes=notes,
        generated_at=generated_at,
    )


class _Figures:
    """The accounts and their amounts on their group's normal side, in three columns."""

    def __init__(self, totals: AccountTotals) -> None:
        chart: ChartOfAccounts = totals.chart
        known = {a.code: a for a in chart.accounts}
        codes = set(totals.opening) | set(totals.closing) | set(totals.movement)
        for code in codes - set(known):
            known[code] = Account(code, f"Akun {code}")
        self.accounts: list[Account] = sorted(known.values(), key=lambda a: a.code)
        self.closing = self._normal(totals.closing)
        self.opening = self._normal(totals.opening)
        self.movement = self._normal(totals.movement)
        nominal = [a.code for a in self.accounts if a.account_type.nominal]
        # The result not yet closed: minus the signed balance of every nominal account.
        self.result_closing = -sum(totals.closing.get(code, 0) for code in nominal)
        self.result_opening = -sum(totals.opening.get(code, 0) for code in nominal)

    def _normal(self, signed: Mapping[str, int]) -> dict[str, int]:
        return {
            a.code: signed.get(a.code, 0) if a.account_type.debit_normal else -signed.get(a.code, 0)
            for a in self.accounts
        }

    def of(
        self, account_type: AccountType, where: Callable[[Account], bool] | None = None
    ) -> list[Account]:
        """The accounts of a group (those ``where`` accepts), in code order."""
        return [
            a
            for a in self.accounts
            if a.account_type == account_type and (where is None or where(a))
        ]

    def position_line(self, account: Account, label: str | None = None) -> StatementLine:
        """A balance-sheet line: closing balance, opening balance beside it."""
        return StatementLine(
            label or account.name,
            Rupiah(self.closing[account.code]),
            code=account.code,
            level=1,
            previous=Rupiah(self.opening[account.code]),
        )

    def movement_line(self, account: Account) -> StatementLine:
        """An income-statement line: the period's movement."""
        return StatementLine(
            account.name, Rupiah(self.movement[account.code]), code=account.code, level=1
        )


def _nonzero(line: StatementLine) -> bool:
    return bool(line.amount) or bool(line.previous)


def _sum(lines: Sequence[StatementLine]) -> tuple[Rupiah, Rupiah]:
    current = Rupiah.sum(line.amount for line in lines)
    previous = Rupiah.sum(line.previous or Rupiah(0) for line in lines)
    return current, previous


def _total(label: str, lines: Sequence[StatementLine], *, comparative: bool) -> StatementLine:
    current, previous = _sum(lines)
    return StatementLine(label, current, total=True, previous=previous if comparative else None)


def _section(title: str, lines: Sequence[StatementLine]) -> list[StatementLine]:
    """A heading, the lines, and the subtotal; nothing when there are no lines."""
    lines = [line for line in lines if _nonzero(line)]
    if not lines:
        return []
    current, previous = _sum(lines)
    return [
        StatementLine(title, current, previous=previous),
        *lines,
        StatementLine(f"Jumlah {title.lower()}", current, total=True, previous=previous),
    ]


def _balance_sheet(figures: _Figures, period: Period) -> BalanceSheet:
    def current_asset(a: Account) -> bool:
        return a.code[1] == _CURRENT_ASSET_DIGIT

    def short_term(a: Account) -> bool:
        return a.code[1] in _SHORT_TERM_DIGITS

    line = figures.position_line
    current = [line(a) for a in figures.of(AccountType.ASSET, current_asset)]
    fixed = [line(a) for a in figures.of(AccountType.ASSET, lambda a: not current_asset(a))]
    short = [line(a) for a in figures.of(AccountType.LIABILITY, short_term)]
    long = [line(a) for a in figures.of(AccountType.LIABILITY, lambda a: not short_term(a))]
    equity_lines = [line(a) for a in figures.of(AccountType.EQUITY)]
    equity_lines.append(
        StatementLine(
            CURRENT_RESULT,
            Rupiah(figures.result_closing),
            level=1,
            previous=Rupiah(figures.result_opening),
        )
    )
    equity_lines = [x for x in equity_lines if _nonzero(x)]

    assets = [*_section("Aset lancar", current), *_section("Aset tidak lancar", fixed)]
    assets.append(_total("Jumlah aset", [x for x in assets if x.level], comparative=True))
    liabilities = [
        *_section("Liabilitas jangka pendek", short),
        *_section("Liabilitas jangka panjang", long),
    ]
    liabilities.append(
        _total("Jumlah liabilitas", [x for x in liabilities if x.level], comparative=True)
    )
    equity = [*equity_lines, _total("Jumlah ekuitas", equity_lines, comparative=True)]
    return BalanceSheet(
        as_of=period.end,
        # The day before the period (the first day itself for a period that starts at year 1).
        previous_as_of=period.start - _ONE_DAY if period.start > dt.date.min else period.start,
        assets=assets,
        liabilities=liabilities,
        equity=equity,
        total_assets=assets[-1].amount,
        total_liabilities=liabilities[-1].amount,
        total_equity=equity[-1].amount,
    )


def _income_statement(figures: _Figures, period: Period) -> IncomeStatement:
    def group(account_type: AccountType, total_label: str) -> list[StatementLine]:
        lines = [figures.movement_line(a) for a in figures.of(account_type)]
        lines = [x for x in lines if x.amount]
        return [*lines, _total(total_label, lines, comparative=False)]

    revenue = group(AccountType.REVENUE, "Jumlah pendapatan")
    cost = group(AccountType.COST_OF_SALES, "Jumlah harga pokok penjualan")
    expenses = group(AccountType.EXPENSE, "Jumlah beban")
    gross = revenue[-1].amount - cost[-1].amount
    return IncomeStatement(
        period=period,
        revenue=revenue,
        cost_of_sales=cost,
        expenses=expenses,
        total_revenue=revenue[-1].amount,
        total_cost_of_sales=cost[-1].amount,
        gross_profit=gross,
        total_expenses=expenses[-1].amount,
        net_income=gross - expenses[-1].amount,
    )


def _address_line(address: Address) -> str:
    try:
        return address.format()
    except NotFoundError:
        parts = [
            address.street,
            address.lorong,
            address.rt_rw(),
            f"kode kelurahan {address.village}",
            f"kode kecamatan {address.district}",
            address.postal_code,
        ]
        return ", ".join(p for p in parts if p)


def _entity(enterprise: Enterprise, member_count: int) -> EntityNote:
    return EntityNote(
        id=enterprise.id,
        name=enterprise.name,
        legal_form=enterprise.legal_form.label_id,
        sector=enterprise.sector.label_id,
        address=_address_line(enterprise.address),
        nib=enterprise.nib.value if enterprise.nib else None,
        founded=enterprise.founded,
        mentor_agency=enterprise.mentor_agency,
        members=member_count,
    )


def _has_savings(figures: _Figures) -> bool:
    return any(
        a.savings is not None and (figures.closing[a.code] or figures.opening[a.code])
        for a in figures.accounts
    )


def _policies(enterprise: Enterprise, figures: _Figures) -> tuple[str, ...]:
    policies = [_POLICY_INVENTORY, _POLICY_FIXED_ASSETS, _POLICY_REVENUE]
    member_owned = enterprise.legal_form == LegalForm.COOPERATIVE
    if member_owned or enterprise.sector == Sector.WASTE_BANK or _has_savings(figures):
        policies.append(_POLICY_SAVINGS)
    policies.append(_POLICY_RESULT)
    return tuple(policies)


def _details(figures: _Figures) -> list[NoteDetail]:
    def accounts(*codes: str) -> list[Account]:
        wanted = {str(c) for c in codes}
        return [a for a in figures.accounts if a.code in wanted]

    def position(
        title: str, chosen: Iterable[Account], total: str
    ) -> tuple[str, list[StatementLine]]:
        lines = [x for x in (figures.position_line(a) for a in chosen) if _nonzero(x)]
        return title, [*lines, _total(total, lines, comparative=True)] if lines else []

    drafts: list[tuple[str, list[StatementLine]]] = [
        position(
            "Kas dan bank",
            accounts(StandardAccount.CASH, StandardAccount.BANK, StandardAccount.QRIS_CLEARING),
            "Jumlah kas dan bank",
        ),
        position("Piutang usaha", accounts(StandardAccount.RECEIVABLES), "Jumlah piutang usaha"),
        position(
            "Persediaan",
            accounts(StandardAccount.INVENTORY, StandardAccount.WASTE_INVENTORY),
            "Jumlah persediaan",
        ),
        position(
            "Aset tetap",
            accounts(StandardAccount.FIXED_ASSETS, StandardAccount.ACCUMULATED_DEPRECIATION),
            "Nilai buku aset tetap",
        ),
        position("Liabilitas", figures.of(AccountType.LIABILITY), "Jumlah liabilitas"),
    ]
    savings: list[StatementLine] = []
    for kind in SavingsKind:
        held = [a for a in figures.accounts if a.savings == kind]
        if held:
            line = StatementLine(
                kind.label_id,
                Rupiah(sum(figures.closing[a.code] for a in held)),
                code=held[0].code if len(held) == 1 else None,
                level=1,
                previous=Rupiah(sum(figures.opening[a.code] for a in held)),
            )
            if _nonzero(line):
                savings.append(line)
    if savings:
        savings.append(_total("Jumlah simpanan anggota", savings, comparative=True))
    drafts.append(("Simpanan anggota", savings))
    revenue = [figures.movement_line(a) for a in figures.of(AccountType.REVENUE)]
    revenue = [x for x in revenue if x.amount]
    if revenue:
        revenue.append(_total("Jumlah pendapatan", revenue, comparative=False))
    drafts.append(("Pendapatan", revenue))
    kept = [(title, lines) for title, lines in drafts if lines]
    return [NoteDetail(number, title, lines) for number, (title, lines) in enumerate(kept, start=1)]


def _period_json(period: Period) -> dict[str, str]:
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "label": period.label_id,
    }


# --- rendering ------------------------------------------------------------------------------


def format_amount(amount: Rupiah) -> str:
    """An amount as statements print it: ``Rp1.500.000``, a negative one in parentheses.

    >>> format_amount(Rupiah(1_500_000)), format_amount(Rupiah(-250_000))
    ('Rp1.500.000', '(Rp250.000)')
    """
    if amount.amount < 0:
        return f"({abs(amount).format()})"
    return amount.format()


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


_CSS: Final = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt;
  color: #111; margin: 2em auto; max-width: 190mm; line-height: 1.35; }
header h1 { font-size: 16pt; margin: 0 0 0.2em 0; }
header p { margin: 0.1em 0; color: #333; }
h2 { font-size: 13pt; margin: 1.8em 0 0.6em 0; padding-bottom: 0.2em;
  border-bottom: 1.5px solid #333; }
h3 { font-size: 11pt; margin: 1.2em 0 0.4em 0; }
table { width: 100%; border-collapse: collapse; margin-bottom: 0.6em; }
th, td { padding: 2px 6px; vertical-align: top; text-align: left; }
thead th { border-bottom: 1px solid #333; font-weight: 600; }
.amount { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums;
  width: 24%; }
tr.group td { font-weight: 700; text-transform: uppercase; padding-top: 0.8em; }
tr.heading td { font-weight: 600; padding-top: 0.4em; }
tr.total td { font-weight: 600; }
tr.total td.amount { border-top: 1px solid #555; }
tr.grand td { font-weight: 700; }
tr.grand td.amount { border-top: 1px solid #111; border-bottom: 3px double #111; }
td.level-1 { padding-left: 1.6em; }
td.level-2 { padding-left: 3.2em; }
table.entity th { width: 38%; font-weight: 600; }
ul.policies li { margin-bottom: 0.3em; }
footer { margin-top: 2.5em; padding-top: 0.5em; border-top: 1px solid #999; font-size: 8.5pt;
  color: #444; }
@media print {
  body { margin: 0; max-width: none; }
  section.statement { break-before: page; }
  section.statement:first-of-type { break-before: auto; }
  h2, h3 { break-after: avoid; }
  tr { break-inside: avoid; }
}
""".strip()


def _html_row(line: StatementLine, *, columns: int, grand: bool = False) -> str:
    classes = "grand" if grand else "total" if line.total else "heading" if line.heading else ""
    attr = f' class="{classes}"' if classes else ""
    label = f'<td class="level-{line.level}">{_e(line.label)}</td>'
    if line.heading:
        cells = '<td class="amount"></td>' * columns
    else:
        amounts = [line.amount, line.previous or Rupiah(0)][:columns]
        cells = "".join(f'<td class="amount">{_e(format_amount(a))}</td>' for a in amounts)
    return f"<tr{attr}>{label}{cells}</tr>"


def _html_group(title: str, columns: int) -> str:
    return f'<tr class="group"><td colspan="{columns + 1}">{_e(title)}</td></tr>'


def _html_lines(
    lines: Sequence[StatementLine], columns: int, *, grand_total: bool = False
) -> list[str]:
    """The rows of a group; its total (the last line) ruled off twice if ``grand_total``."""
    last = len(lines) - 1
    return [
        _html_row(x, columns=columns, grand=grand_total and i == last) for i, x in enumerate(lines)
    ]


def _html_total(label: str, current: Rupiah, previous: Rupiah | None = None) -> str:
    line = StatementLine(label, current, total=True, previous=previous)
    return _html_row(line, columns=1 if previous is None else 2, grand=True)


def _html_head(*columns: str) -> str:
    cells = "".join(f'<th class="amount">{_e(c)}</th>' for c in columns)
    return f"<thead><tr><th>Keterangan</th>{cells}</tr></thead>"


def _html_balance_sheet(sheet: BalanceSheet) -> list[str]:
    previous_liabilities_and_equity = _sum(
        [sheet.liabilities[-1], sheet.equity[-1]],
    )[1]
    return [
        '<section class="statement" id="posisi-keuangan">',
        f"<h2>{_e(sheet.title())}</h2>",
        "<table>",
        _html_head(format_date_id(sheet.as_of), format_date_id(sheet.previous_as_of)),
        "<tbody>",
        _html_group("Aset", 2),
        *_html_lines(sheet.assets, 2, grand_total=True),
        _html_group("Liabilitas", 2),
        *_html_lines(sheet.liabilities, 2),
        _html_group("Ekuitas", 2),
        *_html_lines(sheet.equity, 2),
        _html_total(
            "Jumlah liabilitas dan ekuitas",
            sheet.total_liabilities_and_equity,
            previous_liabilities_and_equity,
        ),
        "</tbody>",
        "</table>",
        "</section>",
    ]


def _html_income_statement(statement: IncomeStatement) -> list[str]:
    return [
        '<section class="statement" id="laba-rugi">',
        f"<h2>{_e(statement.title())}</h2>",
        "<table>",
        _html_head(statement.period.label_id),
        "<tbody>",
        _html_group("Pendapatan", 1),
        *_html_lines(statement.revenue, 1),
        _html_group("Harga pokok penjualan", 1),
        *_html_lines(statement.cost_of_sales, 1),
        _html_total("Laba kotor", statement.gross_profit),
        _html_group("Beban", 1),
        *_html_lines(statement.expenses, 1),
        _html_total("Laba (rugi) bersih", statement.net_income),
        "</tbody>",
        "</table>",
        "</section>",
    ]


def _html_notes(notes: Notes, balance_sheet: BalanceSheet, period: Period) -> list[str]:
    parts = [
        '<section class="statement" id="catatan">',
        "<h2>Catatan atas Laporan Keuangan</h2>",
        "<h3>Informasi umum</h3>",
        '<table class="entity"><tbody>',
        *(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in notes.entity.rows()),
        "</tbody></table>",
        "<h3>Dasar penyusunan</h3>",
        f"<p>{_e(notes.basis)} {_e(notes.closing_text())}</p>",
        "<h3>Kebijakan akuntansi</h3>",
        '<ul class="policies">',
        *(f"<li>{_e(policy)}</li>" for policy in notes.policies),
        "</ul>",
    ]
    for detail in notes.details:
        if detail.comparative:
            head = _html_head(
                format_date_id(balance_sheet.as_of), format_date_id(balance_sheet.previous_as_of)
            )
            columns = 2
        else:
            head, columns = _html_head(period.label_id), 1
        parts += [
            f"<h3>{detail.number}. {_e(detail.title)}</h3>",
            "<table>",
            head,
            "<tbody>",
            *(_html_row(x, columns=columns) for x in detail.lines),
            "</tbody>",
            "</table>",
        ]
    parts.append("</section>")
    return parts


def _generated_text(instant: dt.datetime) -> str:
    utc = ensure_utc(instant, "generated_at")
    return f"Dibuat {format_date_id(utc.date())} pukul {utc:%H:%M:%S} UTC."


def _render_html(fs: FinancialStatements) -> str:
    entity = fs.notes.entity
    parts = [
        "<!DOCTYPE html>",
        '<html lang="id">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="smartcity-kit">',
        f"<title>{_e(fs.title())}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_e(fs.title())}</h1>",
        f"<p>{_e(entity.legal_form)} &middot; {_e(entity.sector)}</p>",
        f"<p>{_e(entity.address)}</p>",
        "<p>Disusun berdasarkan SAK EMKM &middot; dalam Rupiah</p>",
        "</header>",
        "<main>",
        *_html_balance_sheet(fs.balance_sheet),
        *_html_income_statement(fs.income_statement),
        *_html_notes(fs.notes, fs.balance_sheet, fs.period),
        "</main>",
        "<footer>",
        f"<p>{_e(_generated_text(fs.generated_at))} {_e(SOURCE_LINE)}</p>",
        "</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _xlsx_label(line: StatementLine) -> str:
    return "    " * line.level + line.label


def _xlsx_lines(
    lines: Sequence[StatementLine], rows: list[list[Cell]], bold: set[int], *, columns: int
) -> None:
    for line in lines:
        if line.heading:
            bold.add(len(rows))
            rows.append([_xlsx_label(line)])
            continue
        if line.total:
            bold.add(len(rows))
        amounts: list[Cell] = [line.amount, line.previous]
        rows.append([_xlsx_label(line), *amounts[:columns]])


def _xlsx_heading(rows: list[list[Cell]], bold: set[int], *cells: Cell) -> None:
    bold.add(len(rows))
    rows.append(list(cells))


def _xlsx_footer(fs: FinancialStatements, rows: list[list[Cell]]) -> None:
    rows.append([])
    rows.append([f"{_generated_text(fs.generated_at)} {SOURCE_LINE}"])


def _sheet_balance(fs: FinancialStatements) -> Sheet:
    sheet = fs.balance_sheet
    rows: list[list[Cell]] = []
    bold: set[int] = set()
    _xlsx_heading(rows, bold, fs.enterprise.name)
    _xlsx_heading(rows, bold, sheet.title())
    rows.append(["Disusun berdasarkan SAK EMKM; dalam Rupiah"])
    rows.append([])
    _xlsx_heading(
        rows,
        bold,
        "Keterangan",
        format_date_id(sheet.as_of),
        format_date_id(sheet.previous_as_of),
    )
    for title, lines in (
        ("ASET", sheet.assets),
        ("LIABILITAS", sheet.liabilities),
        ("EKUITAS", sheet.equity),
    ):
        _xlsx_heading(rows, bold, title)
        _xlsx_lines(lines, rows, bold, columns=2)
    previous = _sum([sheet.liabilities[-1], sheet.equity[-1]])[1]
    _xlsx_heading(
        rows, bold, "Jumlah liabilitas dan ekuitas", sheet.total_liabilities_and_equity, previous
    )
    _xlsx_footer(fs, rows)
    return Sheet("Posisi Keuangan", rows, column_widths=(52, 20, 20), bold_rows=bold)


def _sheet_income(fs: FinancialStatements) -> Sheet:
    statement = fs.income_statement
    rows: list[list[Cell]] = []
    bold: set[int] = set()
    _xlsx_heading(rows, bold, fs.enterprise.name)
    _xlsx_heading(rows, bold, statement.title())
    rows.append(["Disusun berdasarkan SAK EMKM; dalam Rupiah"])
    rows.append([])
    _xlsx_heading(rows, bold, "Keterangan", statement.period.label_id)
    _xlsx_heading(rows, bold, "PENDAPATAN")
    _xlsx_lines(statement.revenue, rows, bold, columns=1)
    _xlsx_heading(rows, bold, "HARGA POKOK PENJUALAN")
    _xlsx_lines(statement.cost_of_sales, rows, bold, columns=1)
    _xlsx_heading(rows, bold, "Laba kotor", statement.gross_profit)
    _xlsx_heading(rows, bold, "BEBAN")
    _xlsx_lines(statement.expenses, rows, bold, columns=1)
    _xlsx_heading(rows, bold, "Laba (rugi) bersih", statement.net_income)
    _xlsx_footer(fs, rows)
    return Sheet("Laba Rugi", rows, column_widths=(52, 24), bold_rows=bold)


def _sheet_notes(fs: FinancialStatements) -> Sheet:
    notes = fs.notes
    rows: list[list[Cell]] = []
    bold: set[int] = set()
    _xlsx_heading(rows, bold, fs.enterprise.name)
    _xlsx_heading(rows, bold, "Catatan atas Laporan Keuangan")
    rows.append([fs.period.label_id])
    rows.append([])
    _xlsx_heading(rows, bold, "Informasi umum")
    rows.extend([[label, value] for label, value in notes.entity.rows()])
    rows.append([])
    _xlsx_heading(rows, bold, "Dasar penyusunan")
    rows.append([notes.basis])
    rows.append([notes.closing_text()])
    rows.append([])
    _xlsx_heading(rows, bold, "Kebijakan akuntansi")
    rows.extend([[f"- {policy}"] for policy in notes.policies])
    for detail in notes.details:
        rows.append([])
        if detail.comparative:
            columns = 2
            head = [
                format_date_id(fs.balance_sheet.as_of),
                format_date_id(fs.balance_sheet.previous_as_of),
            ]
        else:
            columns, head = 1, [fs.period.label_id]
        _xlsx_heading(rows, bold, f"{detail.number}. {detail.title}", *head)
        _xlsx_lines(detail.lines, rows, bold, columns=columns)
    _xlsx_footer(fs, rows)
    return Sheet("Catatan", rows, column_widths=(52, 40, 20), bold_rows=bold)


def _render_xlsx(fs: FinancialStatements) -> bytes:
    return write_xlsx(
        [_sheet_balance(fs), _sheet_income(fs), _sheet_notes(fs)],
        created=fs.generated_at,
        title=fs.title(),
    )
