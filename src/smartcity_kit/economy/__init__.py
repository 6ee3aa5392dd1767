"""Smart economy: neighbourhood enterprises (BULo), their books, SHU, and waste banks.

:class:`EnterpriseRegistry` keeps the enterprises and their members; :class:`Books` keeps each
enterprise's double-entry ledger to SAK EMKM, closes its periods and shares a cooperative's
surplus (SHU); statements (Laporan Posisi Keuangan, Laporan Laba Rugi, notes) are derived from
the ledger, never typed in. :class:`WasteBank` runs a waste bank (bank sampah) on the same
books, and :class:`CityEconomy` gives the city's picture across enterprises.
"""

from smartcity_kit.economy._books import (
    SAVINGS_ACCOUNTS,
    AccountTotals,
    Books,
    Payment,
    PeriodClosing,
    PurchaseKind,
)
from smartcity_kit.economy._city import AreaFigures, CityEconomy, CityOverview, MonthFigures
from smartcity_kit.economy._enterprises import (
    Enterprise,
    EnterpriseStatus,
    LegalForm,
    Member,
    MemberRole,
    SavingsKind,
    Sector,
)
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
from smartcity_kit.economy._registry import EnterpriseRegistry
from smartcity_kit.economy._shu import (
    MemberShare,
    RoundingAdjustment,
    ShuDistribution,
    ShuPool,
    ShuSplit,
    distribute_surplus,
)
from smartcity_kit.economy._statements import (
    BalanceSheet,
    EntityNote,
    FinancialStatements,
    IncomeStatement,
    NoteDetail,
    Notes,
    StatementLine,
    build_statements,
)
from smartcity_kit.economy._wastebank import (
    PricedItem,
    StockLevel,
    WasteBank,
    WasteDeposit,
    WasteItem,
    WastePrice,
    WasteSale,
    WasteType,
)

__all__ = [
    "SAVINGS_ACCOUNTS",
    "Account",
    "AccountTotals",
    "AccountType",
    "AreaFigures",
    "BalanceSheet",
    "Books",
    "ChartOfAccounts",
    "CityEconomy",
    "CityOverview",
    "Enterprise",
    "EnterpriseRegistry",
    "EnterpriseStatus",
    "EntityNote",
    "EntryKind",
    "FinancialStatements",
    "IncomeStatement",
    "JournalEntry",
    "JournalLine",
    "LegalForm",
    "Member",
    "MemberRole",
    "MemberShare",
    "MonthFigures",
    "NoteDetail",
    "Notes",
    "Payment",
    "Period",
    "PeriodClosing",
    "PricedItem",
    "PurchaseKind",
    "RoundingAdjustment",
    "SavingsKind",
    "Sector",
    "ShuDistribution",
    "ShuPool",
    "ShuSplit",
    "StandardAccount",
    "StatementLine",
    "StockLevel",
    "WasteBank",
    "WasteDeposit",
    "WasteItem",
    "WastePrice",
    "WasteSale",
    "WasteType",
    "build_statements",
    "distribute_surplus",
]
