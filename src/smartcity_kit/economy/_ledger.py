"""Double-entry bookkeeping to SAK EMKM: accounts, the chart, journal entries, periods. Pure."""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, Final

import attrs

from smartcity_kit.core import Rupiah
from smartcity_kit.economy._enterprises import SavingsKind, choice
from smartcity_kit.errors import NotFoundError, ValidationError

__all__ = [
    "Account",
    "AccountType",
    "ChartOfAccounts",
    "EntryKind",
    "JournalEntry",
    "JournalLine",
    "Period",
    "StandardAccount",
]

_CODE: Final = re.compile(r"[1-6][0-9]{3,7}")
#: The largest amount one line may carry (Rp1 quadrillion): far above any BULo, far below 2**63.
MAX_AMOUNT: Final = 10**15


class AccountType(enum.StrEnum):
    """The six groups of a SAK EMKM chart of accounts, by the first digit of the code."""

    ASSET = "asset"
    """1: aset."""
    LIABILITY = "liability"
    """2: liabilitas (kewajiban)."""
    EQUITY = "equity"
    """3: ekuitas."""
    REVENUE = "revenue"
    """4: pendapatan."""
    COST_OF_SALES = "cost_of_sales"
    """5: harga pokok penjualan."""
    EXPENSE = "expense"
    """6: beban."""

    @property
    def digit(self) -> str:
        """The first digit of the codes of this group."""
        return str(list(AccountType).index(self) + 1)

    @property
    def debit_normal(self) -> bool:
        """Whether a balance of this group is normally on the debit side."""
        return self in {AccountType.ASSET, AccountType.COST_OF_SALES, AccountType.EXPENSE}

    @property
    def nominal(self) -> bool:
        """Whether the group belongs to the income statement (closed at the end of a period)."""
        return self in {AccountType.REVENUE, AccountType.COST_OF_SALES, AccountType.EXPENSE}

    @property
    def label_id(self) -> str:
        """The Indonesian heading."""
        return _TYPE_LABELS[self]

    @classmethod
    def of_code(cls, code: str) -> AccountType:
        """The group an account code belongs to, by its first digit."""
        return list(cls)[int(code[0]) - 1]


_TYPE_LABELS: Final = {
    AccountType.ASSET: "Aset",
    AccountType.LIABILITY: "Liabilitas",
    AccountType.EQUITY: "Ekuitas",
    AccountType.REVENUE: "Pendapatan",
    AccountType.COST_OF_SALES: "Harga pokok penjualan",
    AccountType.EXPENSE: "Beban",
}


class StandardAccount(enum.StrEnum):
    """The codes of the SAK EMKM template chart that the transaction helpers post to.

    Each value is the account code (``StandardAccount.CASH == "1101"``).
    """

    CASH = "1101"
    BANK = "1102"
    QRIS_CLEARING = "1103"
    RECEIVABLES = "1104"
    INVENTORY = "1105"
    WASTE_INVENTORY = "1106"
    SUPPLIES = "1107"
    FIXED_ASSETS = "1201"
    ACCUMULATED_DEPRECIATION = "1202"
    PAYABLES = "2101"
    BANK_LOANS = "2102"
    VOLUNTARY_SAVINGS = "2201"
    WASTE_SAVINGS = "2202"
    SHU_PAYABLE = "2301"
    MANAGEMENT_FUND = "2302"
    EMPLOYEE_FUND = "2303"
    EDUCATION_FUND = "2304"
    SOCIAL_FUND = "2305"
    AREA_DEVELOPMENT_FUND = "2306"
    CAPITAL = "3101"
    PRINCIPAL_SAVINGS = "3102"
    MANDATORY_SAVINGS = "3103"
    DRAWINGS = "3104"
    RESERVE = "3201"
    RETAINED_EARNINGS = "3202"
    SALES = "4101"
    SERVICE_REVENUE = "4102"
    WASTE_SALES = "4103"
    OTHER_INCOME = "4201"
    COST_OF_SALES = "5101"
    SALARIES = "6101"
    UTILITIES = "6102"
    RENT = "6103"
    DEPRECIATION = "6104"
    TRANSPORT = "6105"
    SUPPLIES_EXPENSE = "6106"
    OTHER_EXPENSES = "6199"
    INCOME_TAX = "6201"


def _to_savings(value: object) -> SavingsKind | None:
    return None if value is None else choice(SavingsKind, "savings", value)


def _check_code(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise ValidationError.single(
            "code", "must be 4 to 8 digits starting with 1-6 (the group), e.g. '1101'"
        )


def _check_account(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise ValidationError.single(
            "account", "must be an account code: 4 to 8 digits starting with 1-6, e.g. '1101'"
        )


def _check_name(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > 120:
        raise ValidationError.single("name", "must be non-empty text of at most 120 characters")


@attrs.frozen
class Account:
    """An account of the chart (akun), e.g. ``1101 Kas``.

    The first digit of the code gives its group (1 assets ... 6 expenses). A contra account
    (``1202 Akumulasi penyusutan``, ``3104 Prive``) has its normal balance on the other side of
    its group. An account that holds member savings names the kind, and each of its lines names
    the member (a sub-ledger per member).

    >>> Account("1101", "Kas").account_type
    <AccountType.ASSET: 'asset'>

    Attributes:
        code: 4 to 8 digits, the first one the group.
        name: The Indonesian name shown on statements.
        contra: A contra account (normal balance opposite to its group).
        savings: The kind of member savings it holds, if any.
    """

    code: str = attrs.field(validator=_check_code)
    name: str = attrs.field(validator=_check_name)
    contra: bool = False
    savings: SavingsKind | None = attrs.field(default=None, converter=_to_savings)

    def __attrs_post_init__(self) -> None:
        if self.savings is not None and self.code[0] not in "23":
            raise ValidationError.single(
                "savings", "only a liability (2xxx) or equity (3xxx) account holds member savings"
            )

    @property
    def account_type(self) -> AccountType:
        """The group, from the first digit of the code."""
        return AccountType.of_code(self.code)

    @property
    def debit_normal(self) -> bool:
        """Whether the account's balance is normally a debit."""
        return self.account_type.debit_normal != self.contra


_TEMPLATE: Final[tuple[Account, ...]] = (
    Account("1101", "Kas"),
    Account("1102", "Bank"),
    Account("1103", "Dana QRIS dalam penyelesaian"),
    Account("1104", "Piutang usaha"),
    Account("1105", "Persediaan barang dagang"),
    Account("1106", "Persediaan sampah"),
    Account("1107", "Perlengkapan"),
    Account("1201", "Aset tetap"),
    Account("1202", "Akumulasi penyusutan", contra=True),
    Account("2101", "Utang usaha"),
    Account("2102", "Utang bank"),
    Account("2201", "Simpanan sukarela anggota", savings=SavingsKind.VOLUNTARY),
    Account("2202", "Tabungan nasabah bank sampah", savings=SavingsKind.WASTE),
    Account("2301", "Utang SHU anggota"),
    Account("2302", "Dana pengurus"),
    Account("2303", "Dana karyawan"),
    Account("2304", "Dana pendidikan"),
    Account("2305", "Dana sosial"),
    Account("2306", "Dana pembangunan daerah kerja"),
    Account("3101", "Modal"),
    Account("3102", "Simpanan pokok", savings=SavingsKind.PRINCIPAL),
    Account("3103", "Simpanan wajib", savings=SavingsKind.MANDATORY),
    Account("3104", "Prive", contra=True),
    Account("3201", "Cadangan"),
    Account("3202", "Saldo laba (laba ditahan)"),
    Account("4101", "Penjualan"),
    Account("4102", "Pendapatan jasa"),
    Account("4103", "Penjualan sampah"),
    Account("4201", "Pendapatan lain-lain"),
    Account("5101", "Harga pokok penjualan"),
    Account("6101", "Beban gaji dan upah"),
    Account("6102", "Beban listrik, air dan telepon"),
    Account("6103", "Beban sewa"),
    Account("6104", "Beban penyusutan"),
    Account("6105", "Beban transportasi"),
    Account("6106", "Beban perlengkapan"),
    Account("6199", "Beban lain-lain"),
    Account("6201", "Beban pajak penghasilan"),
)


def _accounts(value: Iterable[Account]) -> tuple[Account, ...]:
    return tuple(value)


def _lines(value: Iterable[JournalLine]) -> tuple[JournalLine, ...]:
    return tuple(value)


@attrs.frozen
class ChartOfAccounts:
    """The accounts of one enterprise (bagan akun), in code order.

    Start from the SAK EMKM template and add accounts as the enterprise needs them:

    >>> chart = ChartOfAccounts.sak_emkm().with_account(Account("4104", "Penjualan sirup markisa"))
    >>> chart.get("4104").account_type, chart.get("1202").debit_normal
    (<AccountType.REVENUE: 'revenue'>, False)

    Attributes:
        accounts: The accounts, sorted by code, codes unique.
    """

    accounts: tuple[Account, ...] = attrs.field(converter=_accounts)

    def __attrs_post_init__(self) -> None:
        codes = [a.code for a in self.accounts]
        if len(set(codes)) != len(codes):
            raise ValidationError.single("accounts", "hold the same code twice")
        object.__setattr__(self, "accounts", tuple(sorted(self.accounts, key=lambda a: a.code)))

    @classmethod
    def sak_emkm(cls) -> ChartOfAccounts:
        """The template every new enterprise starts with (see :class:`StandardAccount`)."""
        return cls(_TEMPLATE)

    def get(self, code: str) -> Account:
        """The account with ``code``.

        Raises:
            NotFoundError: The chart has no such account.
        """
        for account in self.accounts:
            if account.code == code:
                return account
        raise NotFoundError(f"the chart of accounts has no account {code}")

    def __contains__(self, code: object) -> bool:
        return any(a.code == code for a in self.accounts)

    def with_account(self, account: Account) -> ChartOfAccounts:
        """A chart with ``account`` added.

        Raises:
            ValidationError: The code is taken.
        """
        if account.code in self:
            raise ValidationError.single("code", f"account {account.code} already exists")
        return ChartOfAccounts((*self.accounts, account))

    def of_type(self, account_type: AccountType) -> list[Account]:
        """The accounts of one group, in code order."""
        return [a for a in self.accounts if a.account_type == account_type]


def _check_amount(field: str) -> Any:
    def check(_instance: object, _attribute: object, value: Rupiah) -> None:
        if not isinstance(value, Rupiah):
            raise ValidationError.single(field, "must be a Rupiah amount")
        if value.amount < 0 or value.amount > MAX_AMOUNT:
            raise ValidationError.single(field, "must be from Rp0 to Rp1.000.000.000.000.000")

    return check


def _check_member(_instance: object, _attribute: object, value: int | None) -> None:
    if value is not None and (type(value) is not int or value < 1):
        raise ValidationError.single("member", "must be a member number (1 or more) or left out")


def _check_memo(_instance: object, _attribute: object, value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > 200):
        raise ValidationError.single("memo", "must be text of at most 200 characters")


@attrs.frozen
class JournalLine:
    """One line of a journal entry: an amount on one side of one account.

    >>> JournalLine.debit_of("1101", Rupiah(50_000))
    JournalLine(account='1101', debit=Rupiah(50000), credit=Rupiah(0), member=None, memo=None)

    Attributes:
        account: The account code.
        debit: The debit amount (Rp0 when the line is a credit).
        credit: The credit amount (Rp0 when the line is a debit).
        member: The member the line belongs to (savings accounts, member sales), if any.
        memo: A short note.
    """

    account: str = attrs.field(validator=_check_account)
    debit: Rupiah = attrs.field(default=Rupiah(0), validator=_check_amount("debit"))
    credit: Rupiah = attrs.field(default=Rupiah(0), validator=_check_amount("credit"))
    member: int | None = attrs.field(default=None, validator=_check_member)
    memo: str | None = attrs.field(default=None, validator=_check_memo)

    def __attrs_post_init__(self) -> None:
        if bool(self.debit) == bool(self.credit):
            raise ValidationError.single(
                "lines", f"a line of account {self.account} must have either a debit or a credit"
            )

    @classmethod
    def debit_of(
        cls, account: str, amount: Rupiah, *, member: int | None = None, memo: str | None = None
    ) -> JournalLine:
        """A debit line."""
        return cls(str(account), debit=amount, member=member, memo=memo)

    @classmethod
    def credit_of(
        cls, account: str, amount: Rupiah, *, member: int | None = None, memo: str | None = None
    ) -> JournalLine:
        """A credit line."""
        return cls(str(account), credit=amount, member=member, memo=memo)

    @property
    def signed(self) -> int:
        """The amount as stored: debits positive, credits negative."""
        return self.debit.amount - self.credit.amount

    def swapped(self) -> JournalLine:
        """The same amount on the other side (for a reversal)."""
        return JournalLine(
            self.account, debit=self.credit, credit=self.debit, member=self.member, memo=self.memo
        )


class EntryKind(enum.StrEnum):
    """What a journal entry records (the helper that posted it)."""

    GENERAL = "general"
    OPENING = "opening"
    SALE = "sale"
    PURCHASE = "purchase"
    EXPENSE = "expense"
    DEPRECIATION = "depreciation"
    CONTRIBUTION = "contribution"
    SAVINGS_DEPOSIT = "savings_deposit"
    SAVINGS_WITHDRAWAL = "savings_withdrawal"
    WASTE_DEPOSIT = "waste_deposit"
    WASTE_SALE = "waste_sale"
    SHU = "shu"
    CLOSING = "closing"
    REVERSAL = "reversal"


def _to_kind(value: object) -> EntryKind:
    return choice(EntryKind, "kind", value)


def _check_lines(_instance: object, _attribute: object, value: tuple[JournalLine, ...]) -> None:
    if len(value) < 2:
        raise ValidationError.single("lines", "an entry needs at least two lines")
    if len(value) > 10_000:
        raise ValidationError.single("lines", "an entry may have at most 10,000 lines")
    if not all(isinstance(line, JournalLine) for line in value):
        raise ValidationError.single("lines", "must be JournalLine objects")
    debit = sum(line.debit.amount for line in value)
    credit = sum(line.credit.amount for line in value)
    if debit != credit:
        raise ValidationError.single(
            "lines",
            f"do not balance: debits {Rupiah(debit)} and credits {Rupiah(credit)} "
            f"differ by {Rupiah(abs(debit - credit))}",
        )


def _check_description(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > 500:
        raise ValidationError.single(
            "description", "must be non-empty text of at most 500 characters"
        )


def _check_day(_instance: object, _attribute: object, value: dt.date) -> None:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationError.single("date", "must be a date (YYYY-MM-DD)")


@attrs.frozen
class JournalEntry:
    """A journal entry (jurnal): two or more lines whose debits equal their credits.

    It cannot be made unbalanced: the constructor refuses it, so nothing unbalanced ever reaches
    the ledger. Once posted an entry is never changed; a mistake is undone by a reversal.

    >>> sale = JournalEntry(
    ...     enterprise="mks-maricaya-01",
    ...     date=dt.date(2026, 3, 2),
    ...     description="Penjualan sirup markisa",
    ...     lines=[
    ...         JournalLine.debit_of("1101", Rupiah(75_000)),
    ...         JournalLine.credit_of("4101", Rupiah(75_000)),
    ...     ],
    ...     kind=EntryKind.SALE,
    ... )
    >>> sale.total
    Rupiah(75000)
    >>> JournalEntry(
    ...     enterprise="mks-maricaya-01",
    ...     date=dt.date(2026, 3, 2),
    ...     description="salah ketik",
    ...     lines=[
    ...         JournalLine.debit_of("1101", Rupiah(75_000)),
    ...         JournalLine.credit_of("4101", Rupiah(57_000)),
    ...     ],
    ... )
    Traceback (most recent call last):
    ...
    smartcity_kit.errors.ValidationError: lines: do not balance: debits Rp75.000 and credits Rp57.000 differ by Rp18.000

    Attributes:
        enterprise: The enterprise's id.
        date: The accounting date (tanggal transaksi).
        description: What happened (keterangan).
        lines: The lines; debits equal credits.
        kind: Which kind of transaction it records.
        id: The entry number, given when posted (0 before).
        reverses: The entry this one reverses, for a reversal.
        posted_at: When it was posted (UTC), once posted.
        posted_by: Who posted it, once posted.
    """  # noqa: E501 - the doctest shows a whole error message

    enterprise: str
    date: dt.date = attrs.field(validator=_check_day)
    description: str = attrs.field(validator=_check_description)
    lines: tuple[JournalLine, ...] = attrs.field(converter=_lines, validator=_check_lines)
    kind: EntryKind = attrs.field(default=EntryKind.GENERAL, converter=_to_kind)
    id: int = 0
    reverses: int | None = None
    posted_at: dt.datetime | None = None
    posted_by: str | None = None

    @property
    def total(self) -> Rupiah:
        """The sum of the debits (equal to the sum of the credits)."""
        return Rupiah(sum(line.debit.amount for line in self.lines))

    def digest(self) -> str:
        """A SHA-256 over the entry's accounting content, written to the audit log when posted.

        It covers the enterprise, date, kind, description and every line, so the audit log pins
        what was posted.
        """
        content = {
            "enterprise": self.enterprise,
            "date": self.date.isoformat(),
            "kind": str(self.kind),
            "description": self.description,
            "reverses": self.reverses,
            "lines": [[ln.account, ln.signed, ln.member, ln.memo] for ln in self.lines],
        }
        text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def reversal(self, day: dt.date, description: str | None = None) -> JournalEntry:
        """The entry that undoes this one on ``day``: the same lines on the other side."""
        return JournalEntry(
            enterprise=self.enterprise,
            date=day,
            description=description or f"Pembalikan jurnal #{self.id}: {self.description}"[:500],
            lines=[line.swapped() for line in self.lines],
            kind=EntryKind.REVERSAL,
            reverses=self.id,
        )


_YEAR: Final = re.compile(r"(\d{4})")
_MONTH: Final = re.compile(r"(\d{4})-(\d{2})")
_QUARTER: Final = re.compile(r"(\d{4})-[Qq]([1-4])")
_RANGE: Final = re.compile(r"(\d{4}-\d{2}-\d{2})(?:/|\.\.)(\d{4}-\d{2}-\d{2})")
_MONTHS_ID: Final = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def _check_period_day(
    _instance: object, attribute: attrs.Attribute[dt.date], value: object
) -> None:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationError.single(f"period.{attribute.name}", "must be a date (YYYY-MM-DD)")


@attrs.frozen
class Period:
    """A reporting period: from ``start`` to ``end``, both days included.

    >>> Period.parse("2026")
    Period(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 12, 31))
    >>> Period.parse("2026-02").end, Period.parse("2026-Q2").label_id
    (datetime.date(2026, 2, 28), '1 April 2026 - 30 Juni 2026')

    Attributes:
        start: The first day.
        end: The last day.
    """

    start: dt.date = attrs.field(validator=_check_period_day)
    end: dt.date = attrs.field(validator=_check_period_day)

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationError.single("period", "must not end before it starts")

    @classmethod
    def year(cls, year: int) -> Period:
        """A calendar (fiscal) year."""
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """A calendar month."""
        return cls(
            dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
        )

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read ``2026``, ``2026-03``, ``2026-Q2`` or ``2026-01-01/2026-06-30``.

        Raises:
            ValidationError: The text is none of those (field ``period``).
        """
        value = text.strip() if isinstance(text, str) else ""
        try:
            if m := _YEAR.fullmatch(value):
                return cls.year(int(m[1]))
            if m := _MONTH.fullmatch(value):
                return cls.month(int(m[1]), int(m[2]))
            if m := _QUARTER.fullmatch(value):
                year, quarter = int(m[1]), int(m[2])
                first = cls.month(year, 3 * quarter - 2)
                return cls(first.start, cls.month(year, 3 * quarter).end)
            if m := _RANGE.fullmatch(value):
                return cls(dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2]))
        except ValueError:
            pass
        raise ValidationError.single(
            "period",
            "must be a year (2026), a month (2026-03), a quarter (2026-Q2) or a range "
            "(2026-01-01/2026-06-30)",
        )

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end

    def months(self) -> Iterator[Period]:
        """The calendar months the period touches, each cut to the period."""
        year, month = self.start.year, self.start.month
        while True:
            whole = Period.month(year, month)
            yield Period(max(whole.start, self.start), min(whole.end, self.end))
            if (year, month) == (self.end.year, self.end.month):
                return
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    @property
    def label_id(self) -> str:
        """The period in Indonesian, as statement headings write it."""
        if self == Period.year(self.start.year):
            return f"Tahun {self.start.year}"
        if self == Period.month(self.start.year, self.start.month):
            return f"{_MONTHS_ID[self.start.month - 1]} {self.start.year}"
        return f"{format_date_id(self.start)} - {format_date_id(self.end)}"

    def __str__(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


def format_date_id(day: dt.date) -> str:
    """A date as Indonesian documents write it: ``31 Desember 2026``."""
    return f"{day.day} {_MONTHS_ID[day.month - 1]} {day.year}"
