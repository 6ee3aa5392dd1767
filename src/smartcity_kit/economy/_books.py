"""An enterprise's books: posting, reversing, closing, balances, and the common transactions."""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from smartcity_kit.core import BUILTIN_CITIES, Clock, Rupiah, SystemClock
from smartcity_kit.economy import _store as store
from smartcity_kit.economy._enterprises import EnterpriseStatus, SavingsKind, choice
from smartcity_kit.economy._ledger import (
    Account,
    AccountType,
    ChartOfAccounts,
    EntryKind,
    JournalEntry,
    JournalLine,
    Period,
    StandardAccount,
)
from smartcity_kit.economy._registry import enterprise_from_row
from smartcity_kit.economy._shu import (
    MemberShare,
    RoundingAdjustment,
    ShuDistribution,
    ShuPool,
    ShuSplit,
    distribute_surplus,
)
from smartcity_kit.economy._statements import FinancialStatements, build_statements
from smartcity_kit.errors import ConflictError, NotFoundError, ValidationError
from smartcity_kit.storage import AuditLog, Database

__all__ = [
    "SAVINGS_ACCOUNTS",
    "AccountTotals",
    "Books",
    "Payment",
    "PeriodClosing",
    "PurchaseKind",
]

_ONE_DAY: Final = dt.timedelta(days=1)
# Built once: every posting runs them.
_INSERT_ENTRY: Final = store.entries.insert().returning(store.entries.c.id)
_INSERT_LINES: Final = store.lines.insert()


class Payment(enum.StrEnum):
    """How money moved in a transaction."""

    CASH = "cash"
    """Tunai: through the cash box (kas)."""
    BANK = "bank"
    """Transfer through the enterprise's bank account."""
    QRIS = "qris"
    """A QRIS payment, held as 'dana QRIS dalam penyelesaian' until the acquirer settles it."""
    CREDIT = "credit"
    """On credit: a receivable (piutang) for a sale, a payable (utang) for a purchase."""


class PurchaseKind(enum.StrEnum):
    """What a purchase buys."""

    INVENTORY = "inventory"
    """Goods for sale or raw materials (persediaan)."""
    SUPPLIES = "supplies"
    """Supplies used up in the business (perlengkapan)."""
    FIXED_ASSET = "fixed_asset"
    """Equipment used for more than a year (aset tetap), depreciated later."""


_MONEY_IN: Final = {
    Payment.CASH: StandardAccount.CASH,
    Payment.BANK: StandardAccount.BANK,
    Payment.QRIS: StandardAccount.QRIS_CLEARING,
    Payment.CREDIT: StandardAccount.RECEIVABLES,
}
_MONEY_OUT: Final = {
    Payment.CASH: StandardAccount.CASH,
    Payment.BANK: StandardAccount.BANK,
    Payment.CREDIT: StandardAccount.PAYABLES,
}
_PURCHASED: Final = {
    PurchaseKind.INVENTORY: StandardAccount.INVENTORY,
    PurchaseKind.SUPPLIES: StandardAccount.SUPPLIES,
    PurchaseKind.FIXED_ASSET: StandardAccount.FIXED_ASSETS,
}
#: The account that holds each kind of member savings.
SAVINGS_ACCOUNTS: Final = {
    SavingsKind.PRINCIPAL: StandardAccount.PRINCIPAL_SAVINGS,
    SavingsKind.MANDATORY: StandardAccount.MANDATORY_SAVINGS,
    SavingsKind.VOLUNTARY: StandardAccount.VOLUNTARY_SAVINGS,
    SavingsKind.WASTE: StandardAccount.WASTE_SAVINGS,
}


@attrs.frozen
class PeriodClosing:
    """The closing of an enterprise's books through a date (tutup buku).

    Attributes:
        enterprise: The enterprise's id.
        start: The first day the closing covers (the day after the previous closing).
        through: The last day closed; nothing dated up to it may be posted any more.
        entry: The closing entry's number (None when every income and expense account was 0).
        result: The period's profit (positive) or loss (negative), moved to retained earnings.
        closed_at: When it was closed (UTC).
        closed_by: Who closed it.
    """

    enterprise: str
    start: dt.date
    through: dt.date
    entry: int | None
    result: Rupiah
    closed_at: dt.datetime
    closed_by: str


@attrs.frozen
class AccountTotals:
    """What statements are made from: each account's balances and movement over a period.

    Amounts are signed as stored: debits positive, credits negative.

    Attributes:
        enterprise: The enterprise's id.
        period: The period.
        chart: The enterprise's chart of accounts.
        opening: Each account's balance at the end of the day before the period starts.
        closing: Each account's balance at the end of the period (closing entries included).
        movement: Each account's movement in the period, closing entries left out (what the
            income statement reports even after the year is closed).
        closed_through: The last closed day of the books, if any.
    """

    enterprise: str
    period: Period
    chart: ChartOfAccounts
    opening: Mapping[str, int]
    closing: Mapping[str, int]
    movement: Mapping[str, int]
    closed_through: dt.date | None


def _check_positive(field: str, amount: object) -> Rupiah:
    if not isinstance(amount, Rupiah) or amount.amount <= 0:
        raise ValidationError.single(field, "must be a Rupiah amount above Rp0")
    return amount


class _Context:
    """What one write transaction has already read (charts, enterprise rows).

    With ``deferred``, journal lines and audit entries are kept back and written together by
    :meth:`flush` (before anything reads lines, and at the end of the batch).
    """

    def __init__(self, *, deferred: bool = False) -> None:
        self.enterprises: dict[str, RowMapping] = {}
        self.charts: dict[str, dict[str, Account]] = {}
        self.members: dict[tuple[str, int], RowMapping] = {}
        self.deferred = deferred
        self.lines: list[dict[str, Any]] = []
        self.audit: list[dict[str, Any]] = []

    def flush_lines(self, conn: Connection) -> None:
        """Write the journal lines kept back."""
        if self.lines:
            conn.execute(_INSERT_LINES, self.lines)
            self.lines = []

    def flush(self, conn: Connection, audit: AuditLog) -> None:
        """Write everything kept back: the lines, then the audit entries in posting order."""
        self.flush_lines(conn)
        if self.audit:
            audit.append_many(conn, self.audit)
            self.audit = []


class Books:
    """The books of neighbourhood enterprises: a double-entry ledger to SAK EMKM.

    Postings balance by construction (see :class:`JournalEntry`), are checked against the
    enterprise's chart, its closed periods and its members' savings, and each one is written to
    the audit log in the same transaction. Posted entries are never changed: :meth:`reverse`
    undoes one.

    Every method that writes takes ``actor``, the person or system responsible, as the audit
    log records it (``opd:dkukm/andi``, ``bulo:mks-maricaya-01/bendahara``).
    """

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock: Clock = clock or SystemClock()
        self._audit = AuditLog(db, self._clock)

    @property
    def database(self) -> Database:
        """The database the books are kept in."""
        return self._db

    @property
    def clock(self) -> Clock:
        """The clock that stamps postings."""
        return self._clock

    # --- the chart ----------------------------------------------------------------------------

    def chart(self, enterprise_id: str) -> ChartOfAccounts:
        """The enterprise's chart of accounts.

        Raises:
            NotFoundError: No such enterprise.
        """
        with self._db.reading() as conn:
            return ChartOfAccounts(self._chart(conn, _Context(), enterprise_id).values())

    def add_account(self, enterprise_id: str, account: Account, *, actor: str) -> Account:
        """Add an account to the enterprise's chart (``4104 Penjualan sirup``, say).

        Raises:
            ValidationError: The code is taken.
        """
        if not isinstance(account, Account):
            raise ValidationError.single("account", "must be an Account")
        with self._db.transaction() as conn:
            ctx = _Context()
            self._enterprise(conn, ctx, enterprise_id, lock=True)
            if account.code in self._chart(conn, ctx, enterprise_id):
                raise ValidationError.single("code", f"account {account.code} already exists")
            conn.execute(
                store.accounts.insert().values(
                    enterprise=enterprise_id,
                    code=account.code,
                    name=account.name,
                    contra=account.contra,
                    savings=str(account.savings) if account.savings else None,
                )
            )
            self._audit.append(
                conn,
                actor=actor,
                action="economy.account.added",
                subject=f"enterprise:{enterprise_id}",
                details={"code": account.code, "name": account.name},
            )
        return account

    # --- posting ------------------------------------------------------------------------------

    def post(self, entry: JournalEntry, *, actor: str) -> JournalEntry:
        """Post one entry; returns it with its number and posting time.

        Raises:
            NotFoundError: No such enterprise.
            ValidationError: The entry does not fit the books (an account not in the chart, a
                date in a closed period or before the founding, a savings line without a
                member, a withdrawal beyond a member's savings); nothing is written.
        """
        with self._db.transaction() as conn:
            return self._post(conn, _Context(), entry, actor=actor, system=False)

    def post_many(self, entries: Iterable[JournalEntry], *, actor: str) -> list[JournalEntry]:
        """Post several entries in one transaction: all of them, or, if one is refused, none.

        Each entry still gets its own audit log entry. Used for imports and for loading a
        year of history.
        """
        ctx = _Context(deferred=True)
        with self._db.transaction() as conn:
            posted = [self._post(conn, ctx, e, actor=actor, system=False) for e in entries]
            ctx.flush(conn, self._audit)
            return posted

    def post_in(self, conn: Connection, entry: JournalEntry, *, actor: str) -> JournalEntry:
        """Post inside the caller's transaction, for modules that write their own rows too.

        Unlike :meth:`post`, it takes the kinds and accounts those modules own (waste-bank
        entries on ``1106``, SHU on ``2301``): the caller keeps its own records in step.
        """
        return self._post(conn, _Context(), entry, actor=actor)

    def _post(  # noqa: C901, PLR0912, PLR0913, PLR0915 - one check per rule, in order
        self,
        conn: Connection,
        ctx: _Context,
        entry: JournalEntry,
        *,
        actor: str,
        closing: bool = False,
        system: bool = True,
    ) -> JournalEntry:
        if not isinstance(entry, JournalEntry):
            raise ValidationError.single("entry", "must be a JournalEntry")
        if entry.id:
            raise ConflictError(f"entry #{entry.id} is already posted")
        if not closing and entry.kind == EntryKind.CLOSING:
            raise ValidationError.single("kind", "closing entries are made by close_period")
        if not system:
            _check_own_kinds(entry)
        row = self._enterprise(conn, ctx, entry.enterprise, lock=True)
        if row["status"] == EnterpriseStatus.DISSOLVED:
            raise ValidationError.single(
                "enterprise", f"{entry.enterprise} is dissolved: its books take no postings"
            )
        if entry.date < row["founded"]:
            raise ValidationError.single(
                "date", f"is before the enterprise was founded ({row['founded'].isoformat()})"
            )
        closed = row["closed_through"]
        if closed is not None and entry.date <= closed:
            raise ValidationError.single(
                "date",
                f"falls in a closed period: the books of {entry.enterprise} are closed through "
                f"{closed.isoformat()}",
            )
        chart = self._chart(conn, ctx, entry.enterprise)
        savings_moves: dict[tuple[int, str], int] = defaultdict(int)
        for i, line in enumerate(entry.lines):
            account = chart.get(line.account)
            if account is None:
                raise ValidationError.single(
                    f"lines[{i}].account",
                    f"{line.account} is not in the chart of accounts of {entry.enterprise}",
                )
            if account.savings is not None and line.member is None:
                raise ValidationError.single(
                    f"lines[{i}].member",
                    f"is required: {account.code} {account.name} holds member savings",
                )
            if line.member is not None:
                member = self._member(conn, ctx, entry.enterprise, line.member)
                if member is None:
                    raise ValidationError.single(
                        f"lines[{i}].member",
                        f"{line.member} is not a member of {entry.enterprise}",
                    )
                if entry.date < member["joined"]:
                    raise ValidationError.single(
                        f"lines[{i}].member",
                        f"member {line.member} had not joined on {entry.date.isoformat()}",
                    )
                # A member who left is still paid out: savings, and the SHU they earned.
                paid_out = account.code == StandardAccount.SHU_PAYABLE or (
                    bool(line.debit) and account.savings is not None
                )
                reversal = entry.kind == EntryKind.REVERSAL
                gone = member["left"] is not None and entry.date > member["left"]
                if gone and not paid_out and not reversal:
                    raise ValidationError.single(
                        f"lines[{i}].member",
                        f"member {line.member} left on {member['left'].isoformat()}: only "
                        "savings and SHU are paid out after that",
                    )
                if account.savings is not None or account.code == StandardAccount.SHU_PAYABLE:
                    savings_moves[line.member, account.code] += line.signed
        for (number, code), move in savings_moves.items():
            if move <= 0:
                continue  # deposits only
            ctx.flush_lines(conn)
            held = self._lowest_held_from(conn, entry.enterprise, number, code, entry.date)
            if move > held:
                account = chart[code]
                raise ValidationError.single(
                    "lines",
                    f"would take member {number}'s {account.name.lower()} below zero: "
                    f"{Rupiah(move)} out of {Rupiah(held)} held",
                )
        now = self._clock.now()
        entry_id = conn.execute(
            _INSERT_ENTRY,
            {
                "enterprise": entry.enterprise,
                "date": entry.date,
                "kind": str(entry.kind),
                "description": entry.description,
                "reverses": entry.reverses,
                "posted_at": now,
                "posted_by": actor,
            },
        ).scalar_one()
        month = entry.date.year * 100 + entry.date.month
        rows = [
            {
                "entry": entry_id,
                "enterprise": entry.enterprise,
                "date": entry.date,
                "month": month,
                "grp": int(line.account[0]),
                "account": line.account,
                "kind": str(entry.kind),
                "amount": line.signed,
                "member": line.member,
                "memo": line.memo,
            }
            for line in entry.lines
        ]
        if ctx.deferred:
            ctx.lines.extend(rows)
        else:
            conn.execute(_INSERT_LINES, rows)
        details: dict[str, Any] = {
            "enterprise": entry.enterprise,
            "date": entry.date.isoformat(),
            "kind": str(entry.kind),
            # Amounts as text (Rp800.000.000): a bare 9-digit number starting with 8 reads as a
            # phone number to the audit log's personal-data check.
            "total": str(entry.total),
            "lines": len(entry.lines),
            "digest": entry.digest(),
        }
        if entry.reverses is not None:
            details["reverses"] = entry.reverses
        record: dict[str, Any] = {
            "actor": actor,
            "action": "economy.entry.posted",
            "subject": f"entry:{entry_id}",
            "details": details,
        }
        if ctx.deferred:
            ctx.audit.append(record)
        else:
            self._audit.append(conn, **record)
        return attrs.evolve(entry, id=entry_id, posted_at=now, posted_by=actor)

    def reverse(
        self,
        entry_id: int,
        *,
        actor: str,
        date: dt.date | None = None,
        description: str | None = None,
    ) -> JournalEntry:
        """Undo a posted entry with its reversal (the same lines on the other side).

        The reversal is dated ``date``, or the original's date if that is still open, or else
        today.

        Raises:
            NotFoundError: No such entry.
            ConflictError: It was reversed already, or it is a closing, reversal, SHU or
                waste-bank entry.
            ValidationError: The date is in a closed period, or the reversal would take a
                member's savings below zero (the money was withdrawn since).
        """
        with self._db.transaction() as conn:
            ctx = _Context()
            original = self._entry(conn, entry_id)
            # Lock first: two reversals of one entry queue here, and the second sees the first.
            row = self._enterprise(conn, ctx, original.enterprise, lock=True)
            if original.kind in {EntryKind.CLOSING, EntryKind.REVERSAL}:
                raise ConflictError(f"entry #{entry_id} is a {original.kind} entry: not reversed")
            if original.kind == EntryKind.SHU:
                raise ConflictError(
                    f"entry #{entry_id} is an SHU entry: a distribution stands as the members' "
                    "meeting decided it; correct it with a general entry"
                )
            if original.kind in {EntryKind.WASTE_DEPOSIT, EntryKind.WASTE_SALE}:
                raise ConflictError(
                    f"entry #{entry_id} is a waste-bank entry: its stock moved with it, so it is "
                    "not reversed here; record the opposite movement through the waste bank"
                )
            done = conn.execute(
                sa.select(store.entries.c.id).where(store.entries.c.reverses == entry_id)
            ).first()
            if done:
                raise ConflictError(f"entry #{entry_id} was already reversed by #{done[0]}")
            if date is None:
                closed = row["closed_through"]
                open_original = closed is None or original.date > closed
                date = original.date if open_original else self._today(row["city"])
            return self._post(conn, ctx, original.reversal(date, description), actor=actor)

    # --- reading ------------------------------------------------------------------------------

    def entry(self, entry_id: int) -> JournalEntry:
        """A posted entry.

        Raises:
            NotFoundError: No such entry.
        """
        with self._db.reading() as conn:
            return self._entry(conn, entry_id)

    def entries(
        self,
        enterprise_id: str,
        *,
        period: Period | None = None,
        kind: EntryKind | str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[JournalEntry]:
        """Posted entries by date and number (the journal, buku jurnal)."""
        table = store.entries
        query = sa.select(table).where(table.c.enterprise == enterprise_id)
        if period is not None:
            query = query.where(table.c.date.between(period.start, period.end))
        if kind is not None:
            query = query.where(table.c.kind == str(choice(EntryKind, "kind", kind)))
        query = query.order_by(table.c.date, table.c.id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self._db.reading() as conn:
            self._enterprise(conn, _Context(), enterprise_id)
            rows = conn.execute(query).mappings().all()
            ids = [r["id"] for r in rows]
            lines: dict[int, list[JournalLine]] = defaultdict(list)
            for chunk in _chunks(ids, 500):
                found = conn.execute(
                    sa.select(store.lines)
                    .where(store.lines.c.entry.in_(chunk))
                    .order_by(store.lines.c.id)
                ).mappings()
                for line in found:
                    lines[line["entry"]].append(_line_from_row(line))
        return [_entry_from_row(r, lines[r["id"]]) for r in rows]

    def totals(self, enterprise_id: str, period: Period) -> AccountTotals:
        """Each account's opening and closing balance and its movement over ``period``."""
        lines = store.lines
        by_account = (lines.c.account, sa.func.sum(lines.c.amount))
        mine = lines.c.enterprise == enterprise_id
        with self._db.reading() as conn:
            ctx = _Context()
            row = self._enterprise(conn, ctx, enterprise_id)
            chart = ChartOfAccounts(self._chart(conn, ctx, enterprise_id).values())

            def sums(*where: sa.ColumnElement[bool]) -> dict[str, int]:
                query = sa.select(*by_account).where(mine, *where).group_by(lines.c.account)
                return {code: int(total) for code, total in conn.execute(query)}

            opening = sums(lines.c.date < period.start)
            closing = sums(lines.c.date <= period.end)
            movement = sums(
                lines.c.date.between(period.start, period.end),
                lines.c.kind != str(EntryKind.CLOSING),
            )
        return AccountTotals(
            enterprise=enterprise_id,
            period=period,
            chart=chart,
            opening=opening,
            closing=closing,
            movement=movement,
            closed_through=row["closed_through"],
        )

    def statements(self, enterprise_id: str, period: Period) -> FinancialStatements:
        """The financial statements of ``period`` to SAK EMKM, derived from the ledger.

        The Laporan Posisi Keuangan at the period's end (the day before it starts beside it),
        the Laporan Laba Rugi of the period, and the notes, which count the members who
        belonged at the period's end (never naming them). See :class:`FinancialStatements`.

        Raises:
            NotFoundError: No such enterprise.
        """
        members = store.members
        with self._db.reading() as conn:
            enterprise = enterprise_from_row(self._enterprise(conn, _Context(), enterprise_id))
            member_count = int(
                conn.execute(
                    sa.select(sa.func.count()).where(
                        members.c.enterprise == enterprise_id,
                        members.c.joined <= period.end,
                        sa.or_(members.c.left.is_(None), members.c.left >= period.end),
                    )
                ).scalar_one()
            )
        return build_statements(
            enterprise,
            self.totals(enterprise_id, period),
            member_count=member_count,
            generated_at=self._clock.now(),
        )

    def balance(
        self,
        enterprise_id: str,
        account: str,
        *,
        as_of: dt.date | None = None,
        member: int | None = None,
    ) -> Rupiah:
        """An account's balance on its normal side (a member's part of it, if ``member``).

        Raises:
            NotFoundError: No such enterprise or account.
        """
        lines = store.lines
        query = sa.select(sa.func.coalesce(sa.func.sum(lines.c.amount), 0)).where(
            lines.c.enterprise == enterprise_id, lines.c.account == str(account)
        )
        if as_of is not None:
            query = query.where(lines.c.date <= as_of)
        if member is not None:
            query = query.where(lines.c.member == member)
        with self._db.reading() as conn:
            found = self._chart(conn, _Context(), enterprise_id).get(str(account))
            if found is None:
                raise NotFoundError(f"{enterprise_id} has no account {account}")
            total = int(conn.execute(query).scalar_one())
        return Rupiah(total if found.debit_normal else -total)

    def savings(
        self, enterprise_id: str, member: int, *, as_of: dt.date | None = None
    ) -> dict[SavingsKind, Rupiah]:
        """A member's savings of every kind (simpanan pokok, wajib, sukarela, bank sampah).

        Raises:
            NotFoundError: No such enterprise or member.
        """
        lines = store.lines
        query = (
            sa.select(lines.c.account, sa.func.sum(lines.c.amount))
            .where(
                lines.c.enterprise == enterprise_id,
                lines.c.member == member,
                lines.c.account.in_([str(a) for a in SAVINGS_ACCOUNTS.values()]),
            )
            .group_by(lines.c.account)
        )
        if as_of is not None:
            query = query.where(lines.c.date <= as_of)
        with self._db.reading() as conn:
            ctx = _Context()
            self._enterprise(conn, ctx, enterprise_id)
            if self._member(conn, ctx, enterprise_id, member) is None:
                raise NotFoundError(f"{enterprise_id!r} has no member {member}")
            held = {code: -int(total) for code, total in conn.execute(query)}
        return {kind: Rupiah(held.get(str(code), 0)) for kind, code in SAVINGS_ACCOUNTS.items()}

    def closed_through(self, enterprise_id: str) -> dt.date | None:
        """The last closed day of the enterprise's books (None before the first closing)."""
        with self._db.reading() as conn:
            closed: dt.date | None = self._enterprise(conn, _Context(), enterprise_id)[
                "closed_through"
            ]
            return closed

    def closings(self, enterprise_id: str) -> list[PeriodClosing]:
        """The enterprise's closings, oldest first."""
        table = store.closings
        with self._db.reading() as conn:
            self._enterprise(conn, _Context(), enterprise_id)
            rows = conn.execute(
                sa.select(table)
                .where(table.c.enterprise == enterprise_id)
                .order_by(table.c.through)
            ).mappings()
            return [
                PeriodClosing(
                    enterprise=r["enterprise"],
                    start=r["start"],
                    through=r["through"],
                    entry=r["entry"],
                    result=Rupiah(int(r["result"])),
                    closed_at=r["closed_at"],
                    closed_by=r["closed_by"],
                )
                for r in rows
            ]

    # --- closing ------------------------------------------------------------------------------

    def close_period(self, enterprise_id: str, through: dt.date, *, actor: str) -> PeriodClosing:
        """Close the books through ``through`` (tutup buku).

        The closing entry, dated ``through``, brings every income, cost and expense account of
        the days since the last closing to zero and moves the result to retained earnings
        (``3202 Saldo laba``). From then on nothing dated up to ``through`` may be posted.

        Raises:
            ValidationError: ``through`` is not after the last closed day, or before the
                founding.
        """
        if not isinstance(through, dt.date) or isinstance(through, dt.datetime):
            raise ValidationError.single("through", "must be a date (YYYY-MM-DD)")
        with self._db.transaction() as conn:
            ctx = _Context()
            row = self._enterprise(conn, ctx, enterprise_id, lock=True)
            closed: dt.date | None = row["closed_through"]
            if closed is not None and through <= closed:
                raise ValidationError.single(
                    "through", f"the books are already closed through {closed.isoformat()}"
                )
            if through < row["founded"]:
                raise ValidationError.single(
                    "through", f"is before the founding ({row['founded'].isoformat()})"
                )
            start = closed + _ONE_DAY if closed is not None else row["founded"]
            lines = store.lines
            nominal = conn.execute(
                sa.select(lines.c.account, sa.func.sum(lines.c.amount))
                .where(
                    lines.c.enterprise == enterprise_id,
                    lines.c.date.between(start, through),
                    lines.c.grp >= int(AccountType.REVENUE.digit),
                )
                .group_by(lines.c.account)
                .order_by(lines.c.account)
            ).all()
            closing_lines = [
                JournalLine(code, credit=Rupiah(int(total)))
                if total > 0
                else JournalLine(code, debit=Rupiah(-int(total)))
                for code, total in nominal
                if total
            ]
            result = -sum(int(total) for _code, total in nominal)
            if result > 0:
                closing_lines.append(
                    JournalLine.credit_of(StandardAccount.RETAINED_EARNINGS, Rupiah(result))
                )
            elif result < 0:
                closing_lines.append(
                    JournalLine.debit_of(StandardAccount.RETAINED_EARNINGS, Rupiah(-result))
                )
            entry_id = None
            if closing_lines:
                posted = self._post(
                    conn,
                    ctx,
                    JournalEntry(
                        enterprise=enterprise_id,
                        date=through,
                        description=(
                            f"Jurnal penutup {start.isoformat()} s.d. {through.isoformat()}"
                        ),
                        lines=closing_lines,
                        kind=EntryKind.CLOSING,
                    ),
                    actor=actor,
                    closing=True,
                )
                entry_id = posted.id
            now = self._clock.now()
            conn.execute(
                store.closings.insert().values(
                    enterprise=enterprise_id,
                    through=through,
                    start=start,
                    entry=entry_id,
                    result=result,
                    closed_at=now,
                    closed_by=actor,
                )
            )
            conn.execute(
                store.enterprises.update()
                .where(store.enterprises.c.id == enterprise_id)
                .values(closed_through=through, version=store.enterprises.c.version + 1)
            )
            self._audit.append(
                conn,
                actor=actor,
                action="economy.period.closed",
                subject=f"enterprise:{enterprise_id}",
                details={
                    "start": start.isoformat(),
                    "through": through.isoformat(),
                    "result": str(Rupiah(result)),
                    "entry": entry_id,
                },
            )
        return PeriodClosing(
            enterprise=enterprise_id,
            start=start,
            through=through,
            entry=entry_id,
            result=Rupiah(result),
            closed_at=now,
            closed_by=actor,
        )

    # --- common transactions ------------------------------------------------------------------

    def record_sale(  # noqa: PLR0913 - the facts of a sale
        self,
        enterprise_id: str,
        *,
        date: dt.date,
        amount: Rupiah,
        payment: Payment | str = Payment.CASH,
        cost: Rupiah | None = None,
        member: int | None = None,
        account: str = StandardAccount.SALES,
        description: str = "Penjualan",
        actor: str,
    ) -> JournalEntry:
        """A sale: money (or a receivable) in, revenue out; and, with ``cost``, the goods sold.

        ``payment`` is cash, bank, QRIS (held as dana QRIS dalam penyelesaian until settled) or
        credit (piutang). A sale to a member names ``member``: it counts as the member's
        business with the cooperative when the surplus (SHU) is shared.
        """
        amount = _check_positive("amount", amount)
        payment = choice(Payment, "payment", payment)
        if AccountType.of_code(str(account)) != AccountType.REVENUE:
            raise ValidationError.single("account", "must be a revenue account (4xxx)")
        lines = [
            JournalLine.debit_of(_MONEY_IN[payment], amount),
            JournalLine.credit_of(str(account), amount, member=member),
        ]
        if cost is not None:
            cost = _check_positive("cost", cost)
            lines += [
                JournalLine.debit_of(StandardAccount.COST_OF_SALES, cost),
                JournalLine.credit_of(StandardAccount.INVENTORY, cost),
            ]
        return self.post(
            JournalEntry(enterprise_id, date, description, lines, kind=EntryKind.SALE),
            actor=actor,
        )

    def record_purchase(  # noqa: PLR0913 - the facts of a purchase
        self,
        enterprise_id: str,
        *,
        date: dt.date,
        amount: Rupiah,
        item: PurchaseKind | str = PurchaseKind.INVENTORY,
        payment: Payment | str = Payment.CASH,
        description: str = "Pembelian",
        actor: str,
    ) -> JournalEntry:
        """A purchase of goods, supplies or equipment, paid in cash, by bank, or on credit."""
        amount = _check_positive("amount", amount)
        payment = choice(Payment, "payment", payment)
        if payment not in _MONEY_OUT:
            raise ValidationError.single("payment", "must be cash, bank or credit for a purchase")
        lines = [
            JournalLine.debit_of(_PURCHASED[choice(PurchaseKind, "item", item)], amount),
            JournalLine.credit_of(_MONEY_OUT[payment], amount),
        ]
        return self.post(
            JournalEntry(enterprise_id, date, description, lines, kind=EntryKind.PURCHASE),
            actor=actor,
        )

    def record_expense(  # noqa: PLR0913 - the facts of an expense
        self,
        enterprise_id: str,
        *,
        date: dt.date,
        amount: Rupiah,
        account: str = StandardAccount.OTHER_EXPENSES,
        payment: Payment | str = Payment.CASH,
        description: str = "Beban",
        actor: str,
    ) -> JournalEntry:
        """An expense (electricity, wages, transport ...) on an expense account (6xxx)."""
        amount = _check_positive("amount", amount)
        payment = choice(Payment, "payment", payment)
        if AccountType.of_code(str(account)) != AccountType.EXPENSE:
            raise ValidationError.single("account", "must be an expense account (6xxx)")
        if payment not in _MONEY_OUT:
            raise ValidationError.single("payment", "must be cash, bank or credit for an expense")
        lines = [
            JournalLine.debit_of(str(account), amount),
            JournalLine.credit_of(_MONEY_OUT[payment], amount),
        ]
        return self.post(
            JournalEntry(enterprise_id, date, description, lines, kind=EntryKind.EXPENSE),
            actor=actor,
        )

    def record_depreciation(
        self,
        enterprise_id: str,
        *,
        date: dt.date,
        amount: Rupiah,
        description: str = "Penyusutan aset tetap",
        actor: str,
    ) -> JournalEntry:
        """Depreciation of fixed assets: expense in, accumulated depreciation up."""
        amount = _check_positive("amount", amount)
        lines = [
            JournalLine.debit_of(StandardAccount.DEPRECIATION, amount),
            JournalLine.credit_of(StandardAccount.ACCUMULATED_DEPRECIATION, amount),
        ]
        return self.post(
            JournalEntry(enterprise_id, date, description, lines, kind=EntryKind.DEPRECIATION),
            actor=actor,
        )

    def record_contribution(  # noqa: PLR0913 - the facts of a contribution
        self,
        enterprise_id: str,
        *,
        date: dt.date,
        amount: Rupiah,
        payment: Payment | str = Payment.CASH,
        description: str = "Setoran modal",
        actor: str,
    ) -> JournalEntry:
        """Capital put in by the owners or a grant-giver (setoran modal)."""
        amount = _check_positive("amount", amount)
        payment = choice(Payment, "payment", payment)
        if payment not in {Payment.CASH, Payment.BANK}:
            raise ValidationError.single("payment", "must be cash or bank for a contribution")
        lines = [
            JournalLine.debit_of(_MONEY_IN[payment], amount),
            JournalLine.credit_of(StandardAccount.CAPITAL, amount),
        ]
        return self.post(
            JournalEntry(enterprise_id, date, description, lines, kind=EntryKind.CONTRIBUTION),
            actor=actor,
        )

    def deposit_savings(  # noqa: PLR0913 - the facts of a deposit
        self,
        enterprise_id: str,
        member: int,
        kind: SavingsKind | str,
        *,
        date: dt.date,
        amount: Rupiah,
        payment: Payment | str = Payment.CASH,
        actor: str,
    ) -> JournalEntry:
        """A member pays into their savings (simpanan pokok, wajib or sukarela)."""
        amount = _check_positive("amount", amount)
        kind = choice(SavingsKind, "kind", kind)
        payment = choice(Payment, "payment", payment)
        if payment not in {Payment.CASH, Payment.BANK, Payment.QRIS}:
            raise ValidationError.single("payment", "must be cash, bank or QRIS for a deposit")
        lines = [
            JournalLine.debit_of(_MONEY_IN[payment], amount),
            JournalLine.credit_of(SAVINGS_ACCOUNTS[kind], amount, member=member),
        ]
        return self.post(
            JournalEntry(
                enterprise_id,
                date,
                f"Setoran {kind.label_id.lower()} anggota {member}",
                lines,
                kind=EntryKind.SAVINGS_DEPOSIT,
            ),
            actor=actor,
        )

    def withdraw_savings(  # noqa: PLR0913 - the facts of a withdrawal
        self,
        enterprise_id: str,
        member: int,
        kind: SavingsKind | str,
        *,
        date: dt.date,
        amount: Rupiah,
        payment: Payment | str = Payment.CASH,
        actor: str,
    ) -> JournalEntry:
        """A member takes money out of their savings.

        Voluntary and waste-bank savings may be withdrawn at any time; principal and mandatory
        savings only once the member has left.

        Raises:
            ValidationError: More than the member holds, or principal/mandatory savings of a
                member who has not left; nothing is written.
        """
        amount = _check_positive("amount", amount)
        kind = choice(SavingsKind, "kind", kind)
        payment = choice(Payment, "payment", payment)
        if payment not in {Payment.CASH, Payment.BANK}:
            raise ValidationError.single("payment", "must be cash or bank for a withdrawal")
        if kind in {SavingsKind.PRINCIPAL, SavingsKind.MANDATORY}:
            with self._db.reading() as conn:
                row = self._member(conn, _Context(), enterprise_id, member)
            if row is not None and (row["left"] is None or row["left"] > date):
                raise ValidationError.single(
                    "kind",
                    f"{kind.label_id.lower()} is returned only when the member leaves",
                )
        lines = [
            JournalLine.debit_of(SAVINGS_ACCOUNTS[kind], amount, member=member),
            JournalLine.credit_of(_MONEY_OUT[payment], amount),
        ]
        return self.post(
            JournalEntry(
                enterprise_id,
                date,
                f"Penarikan {kind.label_id.lower()} anggota {member}",
                lines,
                kind=EntryKind.SAVINGS_WITHDRAWAL,
            ),
            actor=actor,
        )

    # --- cooperative surplus (SHU) ------------------------------------------------------------

    def distribute_shu(
        self,
        enterprise_id: str,
        year: int,
        *,
        date: dt.date,
        split: ShuSplit | None = None,
        actor: str,
    ) -> ShuDistribution:
        """Share a closed year's surplus (SHU) by the articles' split, and post it.

        The surplus is the year's result as closed into retained earnings. A member's business
        (Va) is the revenue posted with their member number in that year; non-member business
        is the rest of the revenue, and its part of the surplus never reaches members. A
        member's capital (Sa) is their principal and mandatory savings at the end of the year.
        See :func:`distribute_surplus` for the formula and the rounding.

        The posting, dated ``date`` (after the members' meeting, in an open period), moves the
        surplus out of retained earnings: to the reserve (cadangan), to each member's SHU
        payable (utang SHU, paid with :meth:`pay_shu`), and to the funds for management,
        employees, education, social purposes and area development.

        Raises:
            ValidationError: The year is not closed yet, it made no surplus, or ``date`` is in
                a closed period.
            ConflictError: The year's surplus was distributed already.
        """
        split = split or ShuSplit.default()
        if not isinstance(split, ShuSplit):
            raise ValidationError.single("split", "must be a ShuSplit")
        if type(year) is not int:
            raise ValidationError.single("year", "must be a year such as 2026")
        period = Period.year(year)
        with self._db.transaction() as conn:
            ctx = _Context()
            row = self._enterprise(conn, ctx, enterprise_id, lock=True)
            closed: dt.date | None = row["closed_through"]
            if closed is None or closed < period.end:
                raise ValidationError.single(
                    "year", f"close the books through {period.end.isoformat()} first"
                )
            taken = conn.execute(
                sa.select(store.shu_distributions.c.entry).where(
                    store.shu_distributions.c.enterprise == enterprise_id,
                    store.shu_distributions.c.year == year,
                )
            ).first()
            if taken:
                raise ConflictError(f"the SHU of {year} was distributed by entry #{taken[0]}")
            # The year's own result: its income, cost and expense lines (closing entries left
            # out), whatever the closings spanned.
            surplus = -int(
                conn.execute(
                    sa.select(sa.func.coalesce(sa.func.sum(store.lines.c.amount), 0)).where(
                        store.lines.c.enterprise == enterprise_id,
                        store.lines.c.date.between(period.start, period.end),
                        store.lines.c.grp >= int(AccountType.REVENUE.digit),
                        store.lines.c.kind != str(EntryKind.CLOSING),
                    )
                ).scalar_one()
            )
            if surplus <= 0:
                raise ValidationError.single(
                    "year", f"{year} made no surplus to share (result {Rupiah(surplus)})"
                )
            lines = store.lines
            revenue = conn.execute(
                sa.select(lines.c.member, sa.func.sum(lines.c.amount))
                .where(
                    lines.c.enterprise == enterprise_id,
                    lines.c.date.between(period.start, period.end),
                    lines.c.grp == int(AccountType.REVENUE.digit),
                    lines.c.kind != str(EntryKind.CLOSING),
                )
                .group_by(lines.c.member)
            ).all()
            business = {m: Rupiah(max(-int(t), 0)) for m, t in revenue if m is not None}
            non_member = Rupiah(max(-sum(int(t) for m, t in revenue if m is None), 0))
            capital_accounts = [
                str(SAVINGS_ACCOUNTS[SavingsKind.PRINCIPAL]),
                str(SAVINGS_ACCOUNTS[SavingsKind.MANDATORY]),
            ]
            saved = conn.execute(
                sa.select(lines.c.member, sa.func.sum(lines.c.amount))
                .where(
                    lines.c.enterprise == enterprise_id,
                    lines.c.date <= period.end,
                    lines.c.account.in_(capital_accounts),
                )
                .group_by(lines.c.member)
            ).all()
            savings = {m: Rupiah(max(-int(t), 0)) for m, t in saved if m is not None}
            distribution = distribute_surplus(
                Rupiah(surplus),
                split,
                member_transactions=business,
                member_savings=savings,
                non_member_transactions=non_member,
            )
            entry_lines = [
                JournalLine.debit_of(StandardAccount.RETAINED_EARNINGS, distribution.surplus)
            ]
            for pool, code in _POOL_ACCOUNTS.items():
                if distribution.pools[pool]:
                    entry_lines.append(JournalLine.credit_of(code, distribution.pools[pool]))
            entry_lines.extend(
                JournalLine.credit_of(StandardAccount.SHU_PAYABLE, share.total, member=share.member)
                for share in distribution.members
                if share.total
            )
            posted = self._post(
                conn,
                ctx,
                JournalEntry(
                    enterprise=enterprise_id,
                    date=date,
                    description=f"Pembagian SHU tahun buku {year}",
                    lines=entry_lines,
                    kind=EntryKind.SHU,
                ),
                actor=actor,
            )
            conn.execute(
                store.shu_distributions.insert().values(
                    enterprise=enterprise_id,
                    year=year,
                    entry=posted.id,
                    distribution=distribution.to_json(),
                )
            )
        return distribution

    def shu(self, enterprise_id: str, year: int) -> ShuDistribution:
        """The SHU distribution of ``year``, as posted.

        Raises:
            NotFoundError: It was not distributed.
        """
        table = store.shu_distributions
        with self._db.reading() as conn:
            found = conn.execute(
                sa.select(table.c.distribution).where(
                    table.c.enterprise == enterprise_id, table.c.year == year
                )
            ).scalar_one_or_none()
        if found is None:
            raise NotFoundError(f"no SHU of {year} was distributed by {enterprise_id!r}")
        return _distribution_from_json(found)

    def pay_shu(
        self,
        enterprise_id: str,
        member: int,
        *,
        date: dt.date,
        payment: Payment | str = Payment.CASH,
        actor: str,
    ) -> JournalEntry:
        """Pay a member the SHU owed to them (all of it), in cash or by bank.

        Raises:
            ValidationError: Nothing is owed to the member.
        """
        payment = choice(Payment, "payment", payment)
        if payment not in {Payment.CASH, Payment.BANK}:
            raise ValidationError.single("payment", "must be cash or bank for an SHU payment")
        with self._db.transaction() as conn:
            ctx = _Context()
            # Lock before reading what is owed: two payments at once cannot both pay it.
            self._enterprise(conn, ctx, enterprise_id, lock=True)
            code = str(StandardAccount.SHU_PAYABLE)
            owed = Rupiah(self._lowest_held_from(conn, enterprise_id, member, code, date))
            if owed.amount <= 0:
                raise ValidationError.single("member", f"member {member} is owed no SHU")
            lines = [
                JournalLine.debit_of(code, owed, member=member),
                JournalLine.credit_of(_MONEY_OUT[payment], owed),
            ]
            return self._post(
                conn,
                ctx,
                JournalEntry(
                    enterprise_id,
                    date,
                    f"Pembayaran SHU anggota {member}",
                    lines,
                    kind=EntryKind.SHU,
                ),
                actor=actor,
            )

    # --- internals ----------------------------------------------------------------------------

    def _today(self, city: str) -> dt.date:
        """Today in the city's time zone (UTC for a city without a built-in profile)."""
        profile = BUILTIN_CITIES.get(city)
        now = self._clock.now()
        return (profile.local_now(self._clock) if profile else now).date()

    @staticmethod
    def _enterprise(
        conn: Connection, ctx: _Context, enterprise_id: str, *, lock: bool = False
    ) -> RowMapping:
        found = ctx.enterprises.get(enterprise_id)
        if found is not None:
            return found
        query = sa.select(store.enterprises).where(store.enterprises.c.id == enterprise_id)
        if lock:
            query = query.with_for_update()
        row = conn.execute(query).mappings().first()
        if row is None:
            raise NotFoundError(f"no enterprise {enterprise_id!r}")
        ctx.enterprises[enterprise_id] = row
        return row

    def _chart(self, conn: Connection, ctx: _Context, enterprise_id: str) -> dict[str, Account]:
        found = ctx.charts.get(enterprise_id)
        if found is not None:
            return found
        self._enterprise(conn, ctx, enterprise_id)
        rows = conn.execute(
            sa.select(store.accounts).where(store.accounts.c.enterprise == enterprise_id)
        ).mappings()
        chart = {
            r["code"]: Account(r["code"], r["name"], contra=r["contra"], savings=r["savings"])
            for r in rows
        }
        ctx.charts[enterprise_id] = chart
        return chart

    @staticmethod
    def _member(
        conn: Connection, ctx: _Context, enterprise_id: str, number: int
    ) -> RowMapping | None:
        key = (enterprise_id, number)
        if key in ctx.members:
            return ctx.members[key]
        row = (
            conn.execute(
                sa.select(store.members.c.joined, store.members.c.left).where(
                    store.members.c.enterprise == enterprise_id,
                    store.members.c.number == number,
                )
            )
            .mappings()
            .first()
        )
        if row is not None:
            ctx.members[key] = row
        return row

    @staticmethod
    def _lowest_held_from(
        conn: Connection, enterprise_id: str, number: int, code: str, day: dt.date
    ) -> int:
        """The least a member held on a savings account on any day from ``day`` on.

        A withdrawal dated ``day`` lowers every later balance too, so it must fit under the
        lowest of them, not only under today's.
        """
        lines = store.lines
        mine = (
            lines.c.enterprise == enterprise_id,
            lines.c.member == number,
            lines.c.account == code,
        )
        held = -int(
            conn.execute(
                sa.select(sa.func.coalesce(sa.func.sum(lines.c.amount), 0)).where(
                    *mine, lines.c.date <= day
                )
            ).scalar_one()
        )
        lowest = held
        later = conn.execute(
            sa.select(lines.c.date, sa.func.sum(lines.c.amount))
            .where(*mine, lines.c.date > day)
            .group_by(lines.c.date)
            .order_by(lines.c.date)
        )
        for _day, total in later:
            held -= int(total)
            lowest = min(lowest, held)
        return lowest

    @staticmethod
    def _entry(conn: Connection, entry_id: int) -> JournalEntry:
        row = (
            conn.execute(sa.select(store.entries).where(store.entries.c.id == entry_id))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFoundError(f"no journal entry #{entry_id}")
        lines = conn.execute(
            sa.select(store.lines).where(store.lines.c.entry == entry_id).order_by(store.lines.c.id)
        ).mappings()
        return _entry_from_row(row, [_line_from_row(line) for line in lines])


#: Kinds that only the library's own operations post (closing, reversal, SHU, waste bank).
_SYSTEM_KINDS: Final = frozenset(
    {
        EntryKind.CLOSING,
        EntryKind.REVERSAL,
        EntryKind.SHU,
        EntryKind.WASTE_DEPOSIT,
        EntryKind.WASTE_SALE,
    }
)
#: Accounts kept in step with records of their own: waste stock and SHU owed to members.
_SYSTEM_ACCOUNTS: Final = frozenset(
    {str(StandardAccount.WASTE_INVENTORY), str(StandardAccount.SHU_PAYABLE)}
)


def _check_own_kinds(entry: JournalEntry) -> None:
    """Refuse, in an entry posted by hand, what only the library's operations may post."""
    if entry.kind in _SYSTEM_KINDS:
        raise ValidationError.single(
            "kind",
            f"{entry.kind} entries are made by the operation itself (close_period, reverse, "
            "distribute_shu, pay_shu, the waste bank)",
        )
    if entry.reverses is not None:
        raise ValidationError.single("reverses", "reverse an entry with reverse()")
    for i, line in enumerate(entry.lines):
        if line.account in _SYSTEM_ACCOUNTS:
            raise ValidationError.single(
                f"lines[{i}].account",
                f"{line.account} is kept by the "
                + ("waste bank" if line.account == StandardAccount.WASTE_INVENTORY else "SHU")
                + " operations, in step with their own records",
            )


_POOL_ACCOUNTS: Final = {
    ShuPool.RESERVE: StandardAccount.RESERVE,
    ShuPool.MANAGEMENT: StandardAccount.MANAGEMENT_FUND,
    ShuPool.EMPLOYEES: StandardAccount.EMPLOYEE_FUND,
    ShuPool.EDUCATION: StandardAccount.EDUCATION_FUND,
    ShuPool.SOCIAL: StandardAccount.SOCIAL_FUND,
    ShuPool.AREA_DEVELOPMENT: StandardAccount.AREA_DEVELOPMENT_FUND,
}


def _distribution_from_json(data: Mapping[str, Any]) -> ShuDistribution:
    return ShuDistribution(
        surplus=Rupiah(data["surplus"]),
        member_surplus=Rupiah(data["member_surplus"]),
        non_member_surplus=Rupiah(data["non_member_surplus"]),
        split=ShuSplit.from_percent(data["split"]),
        pools={ShuPool(k): Rupiah(v) for k, v in data["pools"].items()},
        members=[
            MemberShare(
                member=m["member"],
                transactions=Rupiah(m["transactions"]),
                savings=Rupiah(m["savings"]),
                business=Rupiah(m["business"]),
                capital=Rupiah(m["capital"]),
            )
            for m in data["members"]
        ],
        adjustments=[
            RoundingAdjustment(stage=a["stage"], recipient=a["recipient"], rupiah=a["rupiah"])
            for a in data["adjustments"]
        ],
    )


def _line_from_row(row: RowMapping) -> JournalLine:
    amount = int(row["amount"])
    return JournalLine(
        row["account"],
        debit=Rupiah(max(amount, 0)),
        credit=Rupiah(max(-amount, 0)),
        member=row["member"],
        memo=row["memo"],
    )


def _entry_from_row(row: RowMapping, lines: Sequence[JournalLine]) -> JournalEntry:
    return JournalEntry(
        enterprise=row["enterprise"],
        date=row["date"],
        description=row["description"],
        lines=lines,
        kind=row["kind"],
        id=row["id"],
        reverses=row["reverses"],
        posted_at=row["posted_at"],
        posted_by=row["posted_by"],
    )


def _chunks(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
