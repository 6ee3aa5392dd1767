"""Demo data: neighbourhood enterprises (BULo) of Makassar and Baubau with their books.

:func:`seed_economy_demo` registers a few dozen synthetic enterprises in real kelurahan of both
cities, each with 5-25 members whose names are made up from syllables (no NIK), and keeps their
books from their founding to ``today``: capital and savings, sales recaps (cash and QRIS,
with the cost of the goods sold), restocking, monthly expenses, QRIS settlement and depreciation;
waste banks weigh their members' waste every month and sell it to the city's Bank Sampah Induk.
The last full calendar year is closed and each cooperative's surplus (SHU) of that year is shared
in January or February. Everything is drawn from ``random.Random(seed)``: the same arguments give
the same books.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Sequence
from typing import Final

import attrs
import sqlalchemy as sa

from smartcity_kit.core import Address, Region, RegionCode, Rupiah
from smartcity_kit.economy import _store as store
from smartcity_kit.economy._books import Books
from smartcity_kit.economy._enterprises import Enterprise, LegalForm, MemberRole, Sector
from smartcity_kit.economy._ledger import (
    EntryKind,
    JournalEntry,
    JournalLine,
    Period,
    StandardAccount,
    format_date_id,
)
from smartcity_kit.economy._registry import EnterpriseRegistry
from smartcity_kit.economy._wastebank import WasteBank, WasteItem, WastePrice, WasteType
from smartcity_kit.storage import Database

__all__ = ["DEMO_ACTOR", "DEMO_CITIES", "demo_enterprise_ids", "seed_economy_demo"]

#: The cities the economy demo seeds, with the prefix of their enterprises' ids.
DEMO_CITIES: Final = {"makassar": "mks", "baubau": "bau"}
#: Who the demo's postings are by, as the audit log records it.
DEMO_ACTOR: Final = "demo"

# key (the id after the city prefix)|name|lorong|sector|legal form. The first two of each
# city are a cooperative and a waste bank, so that a small demo (per_city=2) has both.
_MAKASSAR: Final = """
markisa|BULo Lorong Markisa|Lorong Markisa|processed_food|cooperative
bs-bersih|Bank Sampah Lorong Bersih|Lorong Bersih|waste_bank|community_group
garden-cabai|Lorong Garden Cabai Merah|Lorong Cabai|urban_farming|cooperative
wisata-pelangi|Lorong Wisata Pelangi|Lorong Pelangi|tourism_alley|community_group
bs-hijau|Bank Sampah Lorong Hijau Lestari|Lorong Hijau|waste_bank|cooperative
coto|BULo Kuliner Coto Lorong Daeng|Lorong Daeng|culinary|community_group
kriya-daur|BULo Kriya Daur Ulang|Lorong Kenari|crafts|cooperative
garden-hidroponik|Lorong Garden Hidroponik Sehati|Lorong Sehati|urban_farming|community_group
jalangkote|BULo Jalangkote Lorong Mawar|Lorong Mawar|processed_food|community_group
wisata-mammiri|Lorong Wisata Anging Mammiri|Lorong Anging Mammiri|tourism_alley|village_unit
jasa-cuci|BULo Jasa Cuci Lorong Melati|Lorong Melati|services|community_group
pisang-epe|BULo Pisang Epe Lorong Pantai|Lorong Pantai|culinary|cooperative
garden-kangkung|Lorong Garden Kangkung Bersama|Lorong Bersama|urban_farming|village_unit
songkok|BULo Kerajinan Songkok Recca|Lorong Recca|crafts|community_group
abon-ikan|BULo Abon Ikan Lorong Paotere|Lorong Paotere|processed_food|community_group
wisata-bunga|Lorong Wisata Tematik Bunga|Lorong Bunga|tourism_alley|community_group
kue-tradisional|BULo Kue Tradisional Lorong Nusa|Lorong Nusa|processed_food|cooperative
jasa-servis|BULo Servis Elektronik Lorong Teknik|Lorong Teknik|services|cooperative
"""
_BAUBAU: Final = """
kasuami|BULo Kasuami Lorong Wolio|Lorong Wolio|processed_food|cooperative
bs-kotamara|Bank Sampah Lorong Kotamara|Lorong Kotamara|waste_bank|community_group
garden-sayur|Lorong Garden Sayur Lipu|Lorong Lipu|urban_farming|cooperative
wisata-keraton|Lorong Wisata Benteng Keraton|Lorong Keraton|tourism_alley|community_group
bs-kamali|Bank Sampah Lorong Pantai Kamali|Lorong Kamali|waste_bank|cooperative
tenun|BULo Tenun Buton Lorong Sulaa|Lorong Sulaa|crafts|cooperative
ikan-asap|BULo Ikan Asap Lorong Nelayan|Lorong Nelayan|processed_food|community_group
kuliner-kamali|BULo Kuliner Pantai Kamali|Lorong Kuliner|culinary|community_group
wisata-bahari|Lorong Wisata Bahari Lakeba|Lorong Lakeba|tourism_alley|village_unit
garden-jagung|Lorong Garden Jagung Manis|Lorong Jagung|urban_farming|community_group
jasa-antar|BULo Jasa Antar Lorong Baadia|Lorong Baadia|services|community_group
kopi|BULo Kopi Lorong Batupoaro|Lorong Kopi|culinary|cooperative
anyaman|BULo Anyaman Pandan Lorong Bungi|Lorong Pandan|crafts|community_group
minyak-kelapa|BULo Minyak Kelapa Lorong Sorawolio|Lorong Kelapa|processed_food|community_group
garden-tomat|Lorong Garden Tomat Lea-Lea|Lorong Tomat|urban_farming|village_unit
wisata-lakasa|Lorong Wisata Goa Lakasa|Lorong Lakasa|tourism_alley|community_group
kue-kambewe|BULo Kue Kambewe Lorong Murhum|Lorong Murhum|processed_food|cooperative
jasa-jahit|BULo Jasa Jahit Lorong Wameo|Lorong Wameo|services|cooperative
"""
_Template = tuple[str, str, str, Sector, LegalForm]


def _parse_templates(text: str) -> tuple[_Template, ...]:
    rows = []
    for line in text.strip().splitlines():
        key, name, lorong, sector, form = (cell.strip() for cell in line.split("|"))
        rows.append((key, name, lorong, Sector(sector), LegalForm(form)))
    return tuple(rows)


_TEMPLATES: Final = {"makassar": _parse_templates(_MAKASSAR), "baubau": _parse_templates(_BAUBAU)}
_MENTORS: Final = {
    Sector.URBAN_FARMING: "Dinas Ketahanan Pangan",
    Sector.PROCESSED_FOOD: "Dinas Koperasi dan UKM",
    Sector.CRAFTS: "Dinas Perindustrian",
    Sector.WASTE_BANK: "Dinas Lingkungan Hidup",
    Sector.CULINARY: "Dinas Koperasi dan UKM",
    Sector.TOURISM_ALLEY: "Dinas Pariwisata",
    Sector.SERVICES: "Dinas Koperasi dan UKM",
}
_INDUK: Final = {
    "makassar": "Bank Sampah Induk Kota Makassar",
    "baubau": "Bank Sampah Induk Kota Baubau",
}
# Made-up names from syllables: nobody is called this, and nobody real is meant.
_SYLLABLES: Final = (
    "ra", "ma", "li", "ta", "nu", "sa", "ri", "ka", "lo", "mi",
    "da", "su", "we", "ni", "to", "ba", "ha", "ya", "ru", "pe",
)  # fmt: skip


@attrs.frozen
class _Profile:
    """How a sector trades: weekly revenue range, cost and QRIS shares (per mille), equipment."""

    revenue: tuple[int, int]
    cost_share: int
    qris_share: int
    equipment: tuple[int, int]
    account: str = StandardAccount.SALES


_PROFILES: Final = {
    Sector.URBAN_FARMING: _Profile((300_000, 900_000), 350, 200, (2_500_000, 6_000_000)),
    Sector.PROCESSED_FOOD: _Profile((700_000, 2_500_000), 550, 350, (4_000_000, 10_000_000)),
    Sector.CRAFTS: _Profile((400_000, 1_500_000), 400, 300, (2_000_000, 6_000_000)),
    Sector.CULINARY: _Profile((1_000_000, 3_500_000), 600, 450, (5_000_000, 14_000_000)),
    Sector.TOURISM_ALLEY: _Profile(
        (500_000, 2_500_000), 0, 500, (6_000_000, 18_000_000), StandardAccount.SERVICE_REVENUE
    ),
    Sector.SERVICES: _Profile(
        (350_000, 1_200_000), 0, 300, (3_000_000, 8_000_000), StandardAccount.SERVICE_REVENUE
    ),
    Sector.WASTE_BANK: _Profile((0, 0), 0, 0, (2_000_000, 4_000_000)),
}
# Month factors of sales, per mille (December holidays, the school holidays in July). All the
# demo's arithmetic is in integers: money never passes through a float.
_SEASON: Final = (900, 900, 1000, 1050, 1000, 1100, 1150, 1050, 1000, 1000, 1050, 1250)
_LEBARAN_BOOST: Final = 1300
# The month of Idul Fitri (Lebaran), when food sells and savings are drawn; April otherwise.
_LEBARAN: Final = {2023: 4, 2024: 4, 2025: 3, 2026: 3, 2027: 3, 2028: 2, 2029: 2, 2030: 2}
# code, name, buy price per kg, sell price per kg to the Bank Sampah Induk.
_WASTE: Final = (
    ("pet", "Plastik PET (botol)", 3_000, 4_300),
    ("gelas", "Plastik gelas", 2_200, 3_200),
    ("kardus", "Kardus", 1_600, 2_300),
    ("kertas", "Kertas HVS", 1_400, 2_000),
    ("besi", "Besi", 2_800, 3_900),
    ("aluminium", "Kaleng aluminium", 9_000, 12_500),
)
# The price change of the demo year: cardboard and PET up from 1 July.
_PRICE_CHANGE: Final = {"pet": (3_400, 4_800), "kardus": (1_800, 2_600)}
_MDR_PER_MILLE: Final = 3  # QRIS merchant discount rate for micro merchants (UMI): 0.3%
_TAX_PER_MILLE: Final = 5  # PPh final UMKM (PP 55/2022): 0.5% of turnover
_DEPRECIATION_MONTHS: Final = 60
_PRINCIPAL: Final = 100_000  # simpanan pokok
#: Days between two sales recaps: about twice a month this year, monthly in the closed year.
#: (Each posting costs about a millisecond and a half with its audit entry; weekly recaps for
#: 36 enterprises would make ``serve --demo`` start several seconds later.)
_RECAP_DAYS: Final = (13, 17)
_RECAP_DAYS_CLOSED: Final = (28, 33)
#: How many members bring waste on a weighing day (at most this many).
_DEPOSITORS: Final = (1, 3)


def demo_enterprise_ids(per_city: int = 18) -> list[str]:
    """The ids of the demo enterprises, Makassar's first (``mks-markisa``, ``bau-kasuami`` ...).

    >>> demo_enterprise_ids(2)
    ['mks-markisa', 'mks-bs-bersih', 'bau-kasuami', 'bau-bs-kotamara']
    """
    return [
        f"{DEMO_CITIES[city]}-{key}"
        for city in DEMO_CITIES
        for key, *_ in _templates(city, per_city)
    ]


def _templates(city: str, per_city: int) -> list[_Template]:
    base = _TEMPLATES[city]
    found = []
    for n in range(per_city):
        key, name, lorong, sector, form = base[n % len(base)]
        round_ = n // len(base)
        if round_:
            key, name, lorong = (
                f"{key}-{round_ + 1}",
                f"{name} {round_ + 1}",
                f"{lorong} {round_ + 1}",
            )
        found.append((key, name, lorong, sector, form))
    return found


def _round(amount: int, step: int = 500) -> int:
    """``amount`` rounded down to ``step`` (at least one step)."""
    return max(step, amount // step * step)


def _permille(amount: int, *factors: int) -> int:
    """``amount`` times each factor / 1000, in integers."""
    for factor in factors:
        amount = amount * factor // 1000
    return amount


def _name(rng: random.Random) -> str:
    def word(syllables: int) -> str:
        return "".join(rng.choice(_SYLLABLES) for _ in range(syllables)).capitalize()

    return f"{word(rng.randint(2, 3))} {word(3)}"


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def _months(start: dt.date, end: dt.date) -> list[tuple[int, int]]:
    months = []
    year, month = start.year, start.month
    while dt.date(year, month, 1) <= end:
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@attrs.define
class _Till:
    """What the simulation knows of an enterprise's money and stock while it writes the books."""

    cash: int = 0
    bank: int = 0
    qris: int = 0
    inventory: int = 0
    payables: int = 0
    revenue: dict[tuple[int, int], int] = attrs.field(factory=lambda: defaultdict(int))
    voluntary: dict[int, int] = attrs.field(factory=lambda: defaultdict(int))
    waste: dict[int, int] = attrs.field(factory=lambda: defaultdict(int))

    def pay(self, amount: int) -> list[tuple[str, int]]:
        """Pay ``amount`` from cash, then the bank, the rest on credit: (account, amount) parts."""
        parts = []
        from_cash = min(amount, max(self.cash, 0))
        from_bank = min(amount - from_cash, max(self.bank, 0))
        on_credit = amount - from_cash - from_bank
        for account, part in (
            (StandardAccount.CASH, from_cash),
            (StandardAccount.BANK, from_bank),
            (StandardAccount.PAYABLES, on_credit),
        ):
            if part:
                parts.append((str(account), part))
        self.cash -= from_cash
        self.bank -= from_bank
        self.payables += on_credit
        return parts


class _Seeder:
    """Writes one enterprise's members and books."""

    def __init__(  # noqa: PLR0913, PLR0917 - the enterprise and where it is written
        self,
        enterprise: Enterprise,
        rng: random.Random,
        books: Books,
        registry: EnterpriseRegistry,
        bank: WasteBank,
        today: dt.date,
    ) -> None:
        self.e = enterprise
        self.rng = rng
        self.books = books
        self.registry = registry
        self.bank = bank
        self.today = today
        self.profile = _PROFILES[enterprise.sector]
        self.till = _Till()
        self.entries: list[JournalEntry] = []
        self.joined: dict[int, dt.date] = {}
        self.weekly = rng.randint(*self.profile.revenue)
        self.equipment = _round(rng.randint(*self.profile.equipment), 100_000)
        self.wages = _round(rng.randint(300_000, 1_200_000), 50_000)
        self.mandatory = rng.choice((10_000, 15_000, 20_000, 25_000))
        self.cooperative = enterprise.legal_form == LegalForm.COOPERATIVE
        self.waste_bank = enterprise.sector == Sector.WASTE_BANK
        self.window = dt.date(today.year - 1, 1, 1)
        self.deposits = 0
        self.unpaid: list[int] = []
        self.recapped: dt.date | None = None

    # --- members and opening ---------------------------------------------------------------

    def members(self) -> None:
        """Enrol 5-25 members: the founders on the founding day, the others since."""
        rng, founded = self.rng, self.e.founded
        count = rng.randint(5, 25)
        founders = min(count, rng.randint(4, 8))
        days = (self.today - founded).days
        dates = [founded] * founders + sorted(
            founded + dt.timedelta(days=rng.randint(1, days)) for _ in range(count - founders)
        )
        roles = (MemberRole.CHAIR, MemberRole.TREASURER, MemberRole.SECRETARY)
        for i, joined in enumerate(dates):
            enrolled = self.registry.add_member(
                self.e.id,
                name=_name(rng),
                joined=joined,
                role=roles[i] if i < len(roles) else MemberRole.MEMBER,
                actor=DEMO_ACTOR,
            )
            self.joined[enrolled.number] = joined
        if not self.cooperative:
            return
        # Simpanan pokok: the founders' together, later members' on joining (in the window,
        # with the month's savings).
        founding = [m for m, joined in self.joined.items() if joined == founded]
        self.principal(founded, founding, "para pendiri")
        by_year: dict[int, list[int]] = defaultdict(list)
        for member, joined in self.joined.items():
            if founded < joined < self.window:
                by_year[joined.year].append(member)
        for year, members in sorted(by_year.items()):
            last = max(self.joined[m] for m in members)
            self.principal(last, members, f"anggota baru tahun {year}")
        self.unpaid = [m for m, joined in self.joined.items() if joined >= self.window]

    def principal(self, day: dt.date, members: Sequence[int], who: str) -> None:
        """Members pay their principal savings (simpanan pokok)."""
        lines = [
            JournalLine.credit_of(StandardAccount.PRINCIPAL_SAVINGS, Rupiah(_PRINCIPAL), member=m)
            for m in members
        ]
        total = _PRINCIPAL * len(members)
        self.post(
            day,
            f"Setoran simpanan pokok {who}",
            [JournalLine.debit_of(StandardAccount.CASH, Rupiah(total)), *lines],
            EntryKind.SAVINGS_DEPOSIT,
        )
        self.till.cash += total

    def opening(self) -> None:
        """The city's start-up grant at the founding, and new equipment at the window's start."""
        grant = self.equipment + _round(self.rng.randint(3_000_000, 8_000_000), 100_000)
        self.post(
            self.e.founded,
            "Hibah modal usaha dari Pemerintah Kota",
            [
                JournalLine.debit_of(StandardAccount.BANK, Rupiah(grant)),
                JournalLine.credit_of(StandardAccount.CAPITAL, Rupiah(grant)),
            ],
            EntryKind.CONTRIBUTION,
        )
        self.till.bank += grant
        day = self.window + dt.timedelta(days=self.rng.randint(1, 9))
        what = "timbangan dan gerobak" if self.waste_bank else "peralatan usaha"
        self.post(
            day,
            f"Pembelian {what}",
            [
                JournalLine.debit_of(StandardAccount.FIXED_ASSETS, Rupiah(self.equipment)),
                *self.credits(self.till.pay(self.equipment)),
            ],
            EntryKind.PURCHASE,
        )

    # --- the year's trade ------------------------------------------------------------------

    def trade(self, start: dt.date, end: dt.date, cadence: tuple[int, int]) -> None:
        """Sales recaps (or weighing and sales of waste), savings, and the monthly entries."""
        sales = [] if self.waste_bank else self.recap_days(start, end, cadence)
        for year, month in _months(start, end):
            last = _month_end(year, month)
            if month == _LEBARAN.get(year, 4) and dt.date(year, month, 5) <= end:
                self.withdrawals(dt.date(year, month, 5))
            if self.cooperative and month % 3 == 0 and dt.date(year, month, 10) <= end:
                self.savings(dt.date(year, month, 10))
            if self.waste_bank:
                self.weigh(dt.date(year, month, self.rng.randint(12, 18)), end)
            for day in sales:
                if (day.year, day.month) == (year, month):
                    self.sale(day)
            if last > end:
                continue
            if self.waste_bank:
                self.sell_waste(last - dt.timedelta(days=self.rng.randint(1, 3)))
            self.month_end(year, month, last)

    def recap_days(self, start: dt.date, end: dt.date, cadence: tuple[int, int]) -> list[dt.date]:
        """The days the sales are recapped and posted, from ``start`` to ``end``."""
        days = []
        day = start + dt.timedelta(days=self.rng.randint(*cadence))
        while day <= end:
            days.append(day)
            day += dt.timedelta(days=self.rng.randint(*cadence))
        return days

    def sale(self, day: dt.date) -> None:
        """A sales recap: cash and QRIS in, revenue (members' part named), the goods sold."""
        rng, till = self.rng, self.till
        days = (day - self.recapped).days if self.recapped else 14
        self.recapped = day
        growth = 1000 + 100 * (day - self.window).days // 365  # 10% a year
        lebaran = _LEBARAN_BOOST if day.month == _LEBARAN.get(day.year, 4) else 1000
        season = _permille(_SEASON[day.month - 1], lebaran)
        revenue = _round(_permille(self.weekly * days // 7, growth, season, rng.randint(700, 1300)))
        qris = min(
            revenue, _round(_permille(revenue, self.profile.qris_share, rng.randint(700, 1300)))
        )
        cash = revenue - qris
        cost = 0
        if self.profile.cost_share:
            cost = _round(_permille(revenue, self.profile.cost_share, rng.randint(900, 1100)))
        if cost and till.inventory < cost:
            self.restock(day - dt.timedelta(days=1), cost)
        lines = []
        if cash:
            lines.append(JournalLine.debit_of(StandardAccount.CASH, Rupiah(cash)))
        if qris:
            lines.append(JournalLine.debit_of(StandardAccount.QRIS_CLEARING, Rupiah(qris)))
        account = str(self.profile.account)
        rest = revenue
        if self.cooperative:
            members = [m for m, joined in self.joined.items() if joined <= day]
            for member in rng.sample(members, min(len(members), rng.randint(1, 3))):
                part = _round(_permille(revenue, rng.randint(100, 200)))
                if part < rest:
                    lines.append(JournalLine.credit_of(account, Rupiah(part), member=member))
                    rest -= part
        lines.append(JournalLine.credit_of(account, Rupiah(rest)))
        if cost:
            lines += [
                JournalLine.debit_of(StandardAccount.COST_OF_SALES, Rupiah(cost)),
                JournalLine.credit_of(StandardAccount.INVENTORY, Rupiah(cost)),
            ]
        self.post(day, f"Rekap penjualan s.d. {format_date_id(day)}", lines, EntryKind.SALE)
        till.cash += cash
        till.qris += qris
        till.inventory -= cost
        till.revenue[day.year, day.month] += revenue

    def restock(self, day: dt.date, needed: int) -> None:
        """Buy goods or raw materials for about three months."""
        amount = _round(
            needed - self.till.inventory + _permille(self.weekly * 12, self.profile.cost_share)
        )
        self.post(
            max(day, self.window),
            "Pembelian bahan baku dan barang dagang",
            [
                JournalLine.debit_of(StandardAccount.INVENTORY, Rupiah(amount)),
                *self.credits(self.till.pay(amount)),
            ],
            EntryKind.PURCHASE,
        )
        self.till.inventory += amount

    def savings(self, day: dt.date) -> None:
        """The quarter's savings: every member's mandatory, new members' principal, voluntary."""
        members = [m for m, joined in self.joined.items() if joined <= day]
        lines = [
            JournalLine.credit_of(
                StandardAccount.MANDATORY_SAVINGS, Rupiah(3 * self.mandatory), member=m
            )
            for m in members
        ]
        joining = [m for m in self.unpaid if self.joined[m] <= day]
        lines += [
            JournalLine.credit_of(StandardAccount.PRINCIPAL_SAVINGS, Rupiah(_PRINCIPAL), member=m)
            for m in joining
        ]
        self.unpaid = [m for m in self.unpaid if m not in joining]
        for member in self.rng.sample(members, min(len(members), self.rng.randint(0, 3))):
            amount = _round(self.rng.randint(50_000, 400_000), 10_000)
            lines.append(
                JournalLine.credit_of(
                    StandardAccount.VOLUNTARY_SAVINGS, Rupiah(amount), member=member
                )
            )
            self.till.voluntary[member] += amount
        if not lines:
            return
        total = sum(line.credit.amount for line in lines)
        lines.insert(0, JournalLine.debit_of(StandardAccount.CASH, Rupiah(total)))
        quarter = f"triwulan {day.month // 3} tahun {day.year}"
        self.post(day, f"Setoran simpanan anggota {quarter}", lines, EntryKind.SAVINGS_DEPOSIT)
        self.till.cash += total

    def withdrawals(self, day: dt.date) -> None:
        """Before Lebaran members draw on their voluntary (or waste-bank) savings."""
        lines = []
        for member, held in sorted(self.till.voluntary.items()):
            amount = (held // 2) // 1_000 * 1_000
            if amount > 0 and self.rng.randint(1, 10) <= 6:  # 60% of them
                lines.append(
                    JournalLine.debit_of(
                        StandardAccount.VOLUNTARY_SAVINGS, Rupiah(amount), member=member
                    )
                )
                self.till.voluntary[member] -= amount
        if lines:
            total = sum(line.debit.amount for line in lines)
            lines += self.credits(self.till.pay(total))
            self.post(day, "Penarikan simpanan sukarela menjelang Lebaran", lines,
                      EntryKind.SAVINGS_WITHDRAWAL)  # fmt: skip
        for member, held in sorted(self.till.waste.items()):
            amount = (held * 3 // 4) // 1_000 * 1_000
            if amount > 0 and self.rng.randint(0, 1):  # half of them
                self.bank.withdraw(
                    self.e.id, member, date=day, amount=Rupiah(amount), actor=DEMO_ACTOR
                )
                self.till.waste[member] -= amount
                self.till.cash -= amount

    def month_end(self, year: int, month: int, last: dt.date) -> None:
        """The month's journal: QRIS settled by the acquirer, expenses and tax, depreciation."""
        rng, till = self.rng, self.till
        if till.payables and till.bank + till.cash > till.payables:
            amount = till.payables
            till.payables = 0
            self.post(
                last, "Pelunasan utang usaha",
                [JournalLine.debit_of(StandardAccount.PAYABLES, Rupiah(amount)),
                 *self.credits(till.pay(amount))],
                EntryKind.GENERAL,
            )  # fmt: skip
        lines = []
        if till.qris:
            fee = till.qris * _MDR_PER_MILLE // 1_000
            lines.append(JournalLine.debit_of(StandardAccount.BANK, Rupiah(till.qris - fee)))
            if fee:
                lines.append(
                    JournalLine.debit_of(
                        StandardAccount.OTHER_EXPENSES, Rupiah(fee), memo="MDR QRIS"
                    )
                )
            lines.append(JournalLine.credit_of(StandardAccount.QRIS_CLEARING, Rupiah(till.qris)))
            till.bank += till.qris - fee
            till.qris = 0
        revenue = till.revenue.get((year, month), 0)
        if self.waste_bank:
            costs = [
                (StandardAccount.UTILITIES, _round(rng.randint(20_000, 60_000), 1_000)),
                (StandardAccount.TRANSPORT, _round(rng.randint(30_000, 90_000), 1_000)),
            ]
        else:
            costs = [
                (StandardAccount.UTILITIES, _round(rng.randint(60_000, 220_000), 1_000)),
                (StandardAccount.SUPPLIES_EXPENSE, _round(rng.randint(25_000, 120_000), 1_000)),
            ]
            if rng.randint(0, 1):  # transport in about half the months
                costs.append(
                    (StandardAccount.TRANSPORT, _round(rng.randint(40_000, 180_000), 1_000))
                )
            # Services and tourism pay the members who work (guides, washers) by the month's
            # takings; the others pay the management a fixed honorarium, if not a group.
            if not self.profile.cost_share:
                wages = _permille(revenue, rng.randint(400, 550))
                costs.append((StandardAccount.SALARIES, _round(wages)))
            elif self.e.legal_form != LegalForm.COMMUNITY_GROUP:
                costs.append((StandardAccount.SALARIES, self.wages))
        tax = revenue * _TAX_PER_MILLE // 1_000
        if tax:
            costs.append((StandardAccount.INCOME_TAX, tax))
        lines += [JournalLine.debit_of(code, Rupiah(amount)) for code, amount in costs]
        lines += self.credits(till.pay(sum(amount for _, amount in costs)))
        depreciation = Rupiah(self.equipment // _DEPRECIATION_MONTHS)
        lines += [
            JournalLine.debit_of(StandardAccount.DEPRECIATION, depreciation),
            JournalLine.credit_of(StandardAccount.ACCUMULATED_DEPRECIATION, depreciation),
        ]
        label = Period.month(year, month).label_id
        self.post(
            last, f"Jurnal bulan {label}: beban, penyusutan, dana QRIS", lines, EntryKind.EXPENSE
        )

    # --- waste bank ------------------------------------------------------------------------

    def price_list(self) -> None:
        """The waste types and their prices, with one price change in the window's year."""
        for code, name, buy, sell in _WASTE:
            self.bank.add_waste_type(self.e.id, WasteType(code, name), actor=DEMO_ACTOR)
            self.bank.set_price(
                self.e.id,
                WastePrice(code, self.e.founded, buy_per_kg=Rupiah(buy), sell_per_kg=Rupiah(sell)),
                actor=DEMO_ACTOR,
            )
        for code, (buy, sell) in _PRICE_CHANGE.items():
            self.bank.set_price(
                self.e.id,
                WastePrice(
                    code,
                    dt.date(self.window.year, 7, 1),
                    buy_per_kg=Rupiah(buy),
                    sell_per_kg=Rupiah(sell),
                ),
                actor=DEMO_ACTOR,
            )

    def weigh(self, day: dt.date, end: dt.date) -> None:
        """The month's weighing day (hari timbang): some members bring sorted waste."""
        if day > end:
            return
        rng = self.rng
        members = [m for m, joined in self.joined.items() if joined <= day]
        for member in rng.sample(members, min(len(members), rng.randint(*_DEPOSITORS))):
            kinds = rng.sample(_WASTE, rng.randint(1, 3))
            items = [WasteItem(code, rng.randint(80, 600) * 100) for code, *_ in kinds]
            deposit = self.bank.deposit(self.e.id, member, date=day, items=items, actor=DEMO_ACTOR)
            self.till.waste[member] += deposit.total.amount
            self.deposits += 1

    def sell_waste(self, day: dt.date) -> None:
        """Sell everything on hand to the city's Bank Sampah Induk."""
        items = [
            WasteItem(level.waste_type, level.grams)
            for level in self.bank.stock(self.e.id)
            if level.grams > 0
        ]
        if not items:
            return
        sale = self.bank.sell(
            self.e.id, date=day, items=items, buyer=_INDUK[self.e.city], actor=DEMO_ACTOR
        )
        self.till.cash += sale.amount.amount
        self.till.revenue[day.year, day.month] += sale.amount.amount
        if day.month % 3:
            return
        incentive = _round(self.rng.randint(450_000, 1_200_000), 10_000)
        self.post(
            day,
            "Insentif triwulanan bank sampah dari Dinas Lingkungan Hidup",
            [
                JournalLine.debit_of(StandardAccount.BANK, Rupiah(incentive)),
                JournalLine.credit_of(StandardAccount.OTHER_INCOME, Rupiah(incentive)),
            ],
            EntryKind.GENERAL,
        )
        self.till.bank += incentive

    # --- closing and SHU -------------------------------------------------------------------

    def close_and_share(self) -> None:
        """Close the window's year; a cooperative shares its surplus in January or February."""
        year = self.window.year
        closing = self.books.close_period(self.e.id, dt.date(year, 12, 31), actor=DEMO_ACTOR)
        if not self.cooperative or closing.result.amount <= 0:
            return
        meeting = min(
            dt.date(year + 1, 1, 15) + dt.timedelta(days=self.rng.randint(0, 40)), self.today
        )
        shares = self.books.distribute_shu(self.e.id, year, date=meeting, actor=DEMO_ACTOR)
        payday = meeting + dt.timedelta(days=7)
        owed = [(s.member, s.total.amount) for s in shares.members if s.total.amount]
        if payday > self.today or not owed:
            return
        total = sum(amount for _, amount in owed)
        lines = [
            JournalLine.debit_of(StandardAccount.SHU_PAYABLE, Rupiah(amount), member=member)
            for member, amount in owed
        ]
        payment = JournalEntry(
            self.e.id,
            payday,
            f"Pembayaran SHU tahun buku {year} kepada anggota",
            [*lines, *self.credits(self.till.pay(total))],
            kind=EntryKind.SHU,
        )
        # One payment to every member at once: an SHU entry, which only the library's own
        # operations post (post_in, not post).
        self.flush()
        with self.books.database.transaction() as conn:
            self.books.post_in(conn, payment, actor=DEMO_ACTOR)

    # --- helpers ---------------------------------------------------------------------------

    @staticmethod
    def credits(parts: Sequence[tuple[str, int]]) -> list[JournalLine]:
        """Credit lines for the parts of a payment."""
        return [JournalLine.credit_of(code, Rupiah(amount)) for code, amount in parts]

    def post(
        self, day: dt.date, description: str, lines: Sequence[JournalLine], kind: EntryKind
    ) -> None:
        """Queue an entry for the next :meth:`flush`."""
        self.entries.append(JournalEntry(self.e.id, day, description, lines, kind=kind))

    def flush(self) -> None:
        """Post the queued entries in one transaction."""
        if self.entries:
            self.books.post_many(self.entries, actor=DEMO_ACTOR)
        self.entries = []

    def run(self) -> None:
        """Members, a year of closed books, SHU, and this year up to today."""
        self.members()
        self.opening()
        if self.waste_bank:
            self.price_list()
        year_end = dt.date(self.window.year, 12, 31)
        self.trade(self.window, year_end, _RECAP_DAYS_CLOSED)
        self.flush()
        self.close_and_share()
        self.trade(year_end + dt.timedelta(days=1), self.today, _RECAP_DAYS)
        self.flush()


def _enterprise(
    city: str,
    template: _Template,
    district: Region,
    rng: random.Random,
    window: dt.date,
) -> Enterprise:
    key, name, lorong, sector, form = template
    village = rng.choice(district.children())
    return Enterprise(
        id=f"{DEMO_CITIES[city]}-{key}",
        city=city,
        name=name,
        address=Address(
            village=village.code, lorong=lorong, rt=rng.randint(1, 8), rw=rng.randint(1, 6)
        ),
        sector=sector,
        legal_form=form,
        founded=window - dt.timedelta(days=rng.randint(120, 2_900)),
        mentor_agency=_MENTORS[sector],
    )


def seed_economy_demo(
    db: Database, *, today: dt.date, per_city: int = 18, seed: int = 7
) -> dict[str, int]:
    """Seed the demo enterprises of Makassar and Baubau with their members and books, once.

    For each city, ``per_city`` enterprises over its kecamatan and every sector (cooperatives,
    two waste banks, tourism alleys, Lorong Garden urban farming ...), each with 5-25 members
    (made-up names, no NIK) and books from its founding to ``today``: the last calendar year is
    closed on 31 December and each cooperative's surplus (SHU) of it is shared in January or
    February; this year runs up to ``today``. All postings are by ``demo``.

    It is idempotent: an enterprise whose id exists already is left as it is, so running it
    again writes nothing. (An enterprise whose seeding was cut off half-way stays as it is;
    delete the database to start again.)

    Args:
        db: An upgraded database.
        today: The last day with transactions.
        per_city: Enterprises per city (the 18 templates of each city repeat beyond 18).
        seed: The seed of the random draws: the same arguments give the same books.

    Returns:
        What the database holds of the demo afterwards, whether written now or before:
        ``enterprises``, ``members``, ``entries`` (journal entries) and ``waste_deposits``.
    """
    registry = EnterpriseRegistry(db)
    books = Books(db)
    bank = WasteBank(db)
    window = dt.date(today.year - 1, 1, 1)
    existing = {e.id for e in registry.enterprises()}
    for city in DEMO_CITIES:
        city_rng = random.Random(f"{seed}:{city}")  # noqa: S311 - demo data, not security
        districts = Region.get(RegionCode.parse({"makassar": "73.71", "baubau": "74.72"}[city]))
        kecamatan = districts.children()
        city_rng.shuffle(kecamatan)
        for n, template in enumerate(_templates(city, per_city)):
            rng = random.Random(f"{seed}:{city}:{template[0]}")  # noqa: S311 - demo data
            enterprise = _enterprise(city, template, kecamatan[n % len(kecamatan)], rng, window)
            if enterprise.id in existing:
                continue
            registry.register(enterprise, actor=DEMO_ACTOR)
            _Seeder(enterprise, rng, books, registry, bank, today).run()
    return _counts(db, demo_enterprise_ids(per_city))


def _counts(db: Database, ids: list[str]) -> dict[str, int]:
    def count(table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
        query = sa.select(sa.func.count()).select_from(table).where(table.c.enterprise.in_(ids))
        return int(conn.execute(query.where(*where)).scalar_one())

    with db.reading() as conn:
        enterprises = int(
            conn.execute(
                sa.select(sa.func.count()).where(store.enterprises.c.id.in_(ids))
            ).scalar_one()
        )
        return {
            "enterprises": enterprises,
            "members": count(store.members),
            "entries": count(store.entries),
            "waste_deposits": count(
                store.entries, store.entries.c.kind == str(EntryKind.WASTE_DEPOSIT)
            ),
        }
