"""The city's economic picture: revenue, surplus, members and waste across its enterprises.

The figures are aggregated in the database (a few ``GROUP BY`` queries over the ledger's lines,
the waste movements and the members, each grouped by enterprise and month), then folded into
areas (kecamatan, sector) in Python, so that a city of thousands of enterprises with millions of
journal lines is summed in seconds on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from smartcity_kit.core import RegionCode, RegionLevel, Rupiah
from smartcity_kit.economy import _store as store
from smartcity_kit.economy._enterprises import EnterpriseStatus, Sector
from smartcity_kit.economy._ledger import AccountType, EntryKind, Period
from smartcity_kit.errors import ValidationError
from smartcity_kit.storage import Database

__all__ = ["AreaFigures", "CityEconomy", "CityOverview", "EnterpriseFigures", "MonthFigures"]

#: The names ``group_by`` accepts.
GROUPINGS: Final = ("district", "sector")
_REVENUE: Final = int(AccountType.REVENUE.digit)
_NOMINAL: Final = tuple(
    int(t.digit) for t in (AccountType.REVENUE, AccountType.COST_OF_SALES, AccountType.EXPENSE)
)
_GRAMS_PER_KG: Final = 1000
#: What :meth:`CityEconomy.top_enterprises` may rank by.
RANKINGS: Final = ("revenue", "surplus", "waste_grams")


def grams_as_kg(grams: int) -> str:
    """Grams as exact kilogram text, without a float: ``1234500`` -> ``"1234.5"``.

    >>> grams_as_kg(1_234_500), grams_as_kg(2_000), grams_as_kg(5), grams_as_kg(0)
    ('1234.5', '2', '0.005', '0')
    """
    sign = "-" if grams < 0 else ""
    kg, rest = divmod(abs(grams), _GRAMS_PER_KG)
    fraction = f"{rest:03d}".rstrip("0")
    return f"{sign}{kg}.{fraction}" if fraction else f"{sign}{kg}"


def _yyyymm(day: dt.date) -> int:
    return day.year * 100 + day.month


@attrs.frozen
class AreaFigures:
    """The figures of one area (a kecamatan, a sector, both, or the whole city) over a period.

    Attributes:
        district: The kecamatan; None in a total row or when not grouped by district.
        sector: The sector; None in a total row or when not grouped by sector.
        enterprises: Enterprises registered, founded on or before the period's end, and not
            dissolved.
        members: Members belonging on the period's last day (joined on or before it, and not
            left before it) of the enterprises counted.
        revenue: Revenue (group 4) posted in the period; closing entries left out, so a closed
            year still shows its revenue.
        surplus: Revenue less cost of sales and expenses (groups 4 to 6) in the period, closing
            entries left out; negative for a loss.
        waste_grams: Grams of waste deposited (movements in) in the period.
    """

    district: RegionCode | None
    sector: Sector | None
    enterprises: int
    members: int
    revenue: Rupiah
    surplus: Rupiah
    waste_grams: int

    @property
    def waste_kg(self) -> str:
        """The waste deposited in kilograms, as exact decimal text (``"1234.5"``)."""
        return grams_as_kg(self.waste_grams)

    def to_json(self) -> dict[str, Any]:
        """The figures as JSON-ready values: codes as text, amounts as ints, kilograms as text."""
        return {
            "district": None if self.district is None else str(self.district),
            "sector": None if self.sector is None else str(self.sector),
            "enterprises": self.enterprises,
            "members": self.members,
            "revenue": self.revenue.amount,
            "surplus": self.surplus.amount,
            "waste_grams": self.waste_grams,
            "waste_kg": self.waste_kg,
        }


@attrs.frozen
class EnterpriseFigures:
    """One enterprise's figures over a period (see :meth:`CityEconomy.top_enterprises`).

    Attributes:
        enterprise: The enterprise's id.
        name: Its registered name.
        district: Its kecamatan.
        sector: Its sector.
        revenue: Revenue posted in the period (closing entries left out).
        surplus: Revenue less cost of sales and expenses in the period.
        waste_grams: Grams of waste deposited with it in the period.
    """

    enterprise: str
    name: str
    district: RegionCode
    sector: Sector
    revenue: Rupiah
    surplus: Rupiah
    waste_grams: int

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values: codes as text, amounts as ints, kilograms as text."""
        return {
            "enterprise": self.enterprise,
            "name": self.name,
            "district": str(self.district),
            "sector": str(self.sector),
            "revenue": self.revenue.amount,
            "surplus": self.surplus.amount,
            "waste_grams": self.waste_grams,
            "waste_kg": grams_as_kg(self.waste_grams),
        }


@attrs.frozen
class MonthFigures:
    """One month of the city's trend (a month cut to the period where the period cuts it).

    Attributes:
        month: The month, cut to the overview's period.
        revenue: Revenue posted in the month (closing entries left out).
        surplus: Revenue less cost of sales and expenses in the month (closing entries left out).
        waste_grams: Grams of waste deposited in the month.
        active_enterprises: Enterprises with at least one posting in the month (closing entries
            do not count).
    """

    month: Period
    revenue: Rupiah
    surplus: Rupiah
    waste_grams: int
    active_enterprises: int

    @property
    def waste_kg(self) -> str:
        """The waste deposited in kilograms, as exact decimal text."""
        return grams_as_kg(self.waste_grams)

    def to_json(self) -> dict[str, Any]:
        """The month as JSON-ready values (``month`` as ``YYYY-MM``, with its first/last day)."""
        return {
            "month": f"{self.month.start.year:04d}-{self.month.start.month:02d}",
            "start": self.month.start.isoformat(),
            "end": self.month.end.isoformat(),
            "revenue": self.revenue.amount,
            "surplus": self.surplus.amount,
            "waste_grams": self.waste_grams,
            "waste_kg": self.waste_kg,
            "active_enterprises": self.active_enterprises,
        }


@attrs.frozen
class CityOverview:
    """The city's economic picture over a period, by area, with its total and monthly trend.

    Attributes:
        city: The city profile's slug (``makassar``).
        period: The period.
        group_by: How the rows are grouped: ``("district", "sector")``, one of them, or none.
        rows: One row per area that has enterprises, sorted by kecamatan then sector; the single
            total row when not grouped. The rows add up to the total.
        total: The whole city (within the filters).
        trend: One entry per calendar month the period touches, months without postings
            included (as zeros).
    """

    city: str
    period: Period
    group_by: tuple[str, ...]
    rows: tuple[AreaFigures, ...]
    total: AreaFigures
    trend: tuple[MonthFigures, ...]

    def to_json(self) -> dict[str, Any]:
        """The overview as JSON-ready values: no floats, amounts in whole rupiah."""
        return {
            "city": self.city,
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "group_by": list(self.group_by),
            "rows": [row.to_json() for row in self.rows],
            "total": self.total.to_json(),
            "trend": [month.to_json() for month in self.trend],
        }


@attrs.define
class _Sums:
    """Running figures of one area or month while folding."""

    enterprises: int = 0
    members: int = 0
    revenue: int = 0
    surplus: int = 0
    waste_grams: int = 0
    active: int = 0

    def area(self, district: RegionCode | None, sector: Sector | None) -> AreaFigures:
        return AreaFigures(
            district=district,
            sector=sector,
            enterprises=self.enterprises,
            members=self.members,
            revenue=Rupiah(self.revenue),
            surplus=Rupiah(self.surplus),
            waste_grams=self.waste_grams,
        )


@attrs.frozen
class _Place:
    district: str
    sector: str
    counted: bool


def _check_group_by(group_by: Sequence[str]) -> tuple[str, ...]:
    names = (group_by,) if isinstance(group_by, str) else tuple(group_by)
    if any(name not in GROUPINGS for name in names) or len(set(names)) != len(names):
        raise ValidationError.single(
            "group_by", "must name 'district', 'sector', both or neither, each at most once"
        )
    return names


def _check_district(district: RegionCode | str) -> str:
    try:
        code = (
            district
            if isinstance(district, RegionCode)
            else RegionCode.parse(str(district), must_exist=False)
        )
    except ValidationError:
        code = None
    if code is None or code.level != RegionLevel.DISTRICT:
        raise ValidationError.single("district", "must be a kecamatan code such as 73.71.10")
    return code.value


def _check_sector(sector: Sector | str) -> str:
    try:
        return str(Sector(sector))
    except ValueError:
        names = ", ".join(s.value for s in Sector)
        raise ValidationError.single("sector", f"must be one of {names}") from None


class CityEconomy:
    """The economic picture of a city's neighbourhood enterprises, for the dashboard and reports.

    >>> import datetime as dt
    >>> from smartcity_kit.storage import Database, upgrade
    >>> db = Database("sqlite://")
    >>> _ = upgrade(db)
    >>> picture = CityEconomy(db).overview("makassar", Period.parse("2026-Q1"))
    >>> picture.total.enterprises, [m.month.label_id for m in picture.trend]
    (0, ['Januari 2026', 'Februari 2026', 'Maret 2026'])
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def database(self) -> Database:
        """The database read from."""
        return self._db

    def overview(
        self,
        city: str,
        period: Period,
        *,
        group_by: Sequence[str] = GROUPINGS,
        district: RegionCode | str | None = None,
        sector: Sector | str | None = None,
    ) -> CityOverview:
        """The city's figures over ``period`` by area, with the total and the monthly trend.

        Revenue, surplus, waste and activity count every enterprise of the city (within the
        filters) that posted in the period, a dissolved one included; the enterprise count
        leaves out those dissolved or founded after the period, and the member count counts
        the members of the enterprises counted who belong on the period's last day. Closing
        entries are left out, so a closed year still shows its revenue and surplus.

        Args:
            city: The city profile's slug, as enterprises are registered under it.
            period: The period to sum over.
            group_by: ``"district"``, ``"sector"``, both (in the order given) or neither (the
                single total row).
            district: Only the enterprises of this kecamatan.
            sector: Only the enterprises of this sector.

        Raises:
            ValidationError: An unknown grouping, a code that is not a kecamatan, an unknown
                sector, or a period that is not a :class:`Period`.
        """
        names = _check_group_by(group_by)
        if not isinstance(city, str) or not city.strip():
            raise ValidationError.single("city", "must be a city profile's slug")
        if not isinstance(period, Period):
            raise ValidationError.single("period", "must be a Period")
        table = store.enterprises
        chosen = table.c.city == city
        if district is not None:
            chosen &= table.c.district == _check_district(district)
        if sector is not None:
            chosen &= table.c.sector == _check_sector(sector)
        with self._db.reading() as conn:
            places = self._places(conn, chosen, period)
            ids = sa.select(table.c.id).where(chosen).scalar_subquery()
            read = _Read(
                places=places,
                members=self._members(conn, ids, period),
                ledger=self._ledger(conn, ids, period),
                waste=self._waste(conn, ids, period),
            )
        return _fold(city, period, names, read)

    def top_enterprises(
        self, city: str, period: Period, *, count: int = 5, by: str = "revenue"
    ) -> tuple[EnterpriseFigures, ...]:
        """The city's ``count`` enterprises with the most ``by`` over ``period``, most first.

        ``by`` is ``"revenue"``, ``"surplus"`` or ``"waste_grams"``. Enterprises with none of it
        in the period are left out; ties go by id.

        Raises:
            ValidationError: An unknown ranking, a count outside 1 to 1,000, or a period that is
                not a :class:`Period`.
        """
        if by not in RANKINGS:
            raise ValidationError.single("by", f"must be one of: {', '.join(RANKINGS)}")
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
            raise ValidationError.single("count", "must be a whole number from 1 to 1000")
        if not isinstance(period, Period):
            raise ValidationError.single("period", "must be a Period")
        table = store.enterprises
        with self._db.reading() as conn:
            found = {
                row.id: row
                for row in conn.execute(
                    sa.select(table.c.id, table.c.name, table.c.district, table.c.sector).where(
                        table.c.city == city
                    )
                )
            }
            ids = sa.select(table.c.id).where(table.c.city == city).scalar_subquery()
            ledger = self._ledger(conn, ids, period)
            waste = self._waste(conn, ids, period)
        sums = {enterprise: [0, 0, 0] for enterprise in found}
        for enterprise, _month, revenue, result in ledger:
            sums[enterprise][0] -= revenue
            sums[enterprise][1] -= result
        for enterprise, _month, grams in waste:
            sums[enterprise][2] += grams
        measure = RANKINGS.index(by)
        ranked = sorted(
            (e for e in sums if sums[e][measure] > 0), key=lambda e: (-sums[e][measure], e)
        )
        return tuple(
            EnterpriseFigures(
                enterprise=e,
                name=found[e].name,
                district=RegionCode(found[e].district),
                sector=Sector(found[e].sector),
                revenue=Rupiah(sums[e][0]),
                surplus=Rupiah(sums[e][1]),
                waste_grams=sums[e][2],
            )
            for e in ranked[:count]
        )

    @staticmethod
    def _places(
        conn: Connection, chosen: sa.ColumnElement[bool], period: Period
    ) -> dict[str, _Place]:
        table = store.enterprises
        rows = conn.execute(
            sa.select(
                table.c.id, table.c.district, table.c.sector, table.c.founded, table.c.status
            ).where(chosen)
        )
        return {
            id_: _Place(
                district=district,
                sector=sector,
                counted=founded <= period.end and status != EnterpriseStatus.DISSOLVED,
            )
            for id_, district, sector, founded, status in rows
        }

    @staticmethod
    def _members(conn: Connection, ids: sa.ScalarSelect[Any], period: Period) -> dict[str, int]:
        table = store.members
        end = period.end
        query = (
            sa.select(table.c.enterprise, sa.func.count())
            .where(
                table.c.enterprise.in_(ids),
                table.c.joined <= end,
                sa.or_(table.c.left.is_(None), table.c.left >= end),
            )
            .group_by(table.c.enterprise)
        )
        return {enterprise: int(n) for enterprise, n in conn.execute(query)}

    @staticmethod
    def _ledger(
        conn: Connection, ids: sa.ScalarSelect[Any], period: Period
    ) -> list[tuple[str, int, int, int]]:
        """(enterprise, month, revenue, result) for each month an enterprise posted in.

        Revenue and result are signed as stored (credits negative). Grouped by enterprise and
        month only, so that an index led by (enterprise, month) yields the groups in order.
        """
        lines = store.lines
        revenue = sa.case((lines.c.grp == _REVENUE, lines.c.amount), else_=0)
        result = sa.case((lines.c.grp.in_(_NOMINAL), lines.c.amount), else_=0)
        query = (
            sa.select(lines.c.enterprise, lines.c.month, sa.func.sum(revenue), sa.func.sum(result))
            .where(
                lines.c.enterprise.in_(ids),
                *_in_period(lines.c.month, lines.c.date, period),
                lines.c.kind != str(EntryKind.CLOSING),
            )
            .group_by(lines.c.enterprise, lines.c.month)
        )
        return [(e, int(m), int(r), int(t)) for e, m, r, t in conn.execute(query)]

    @staticmethod
    def _waste(
        conn: Connection, ids: sa.ScalarSelect[Any], period: Period
    ) -> list[tuple[str, int, int]]:
        moves = store.waste_movements
        query = (
            sa.select(moves.c.enterprise, moves.c.month, sa.func.sum(moves.c.grams))
            .where(
                moves.c.enterprise.in_(ids),
                *_in_period(moves.c.month, moves.c.date, period),
                moves.c.grams > 0,
            )
            .group_by(moves.c.enterprise, moves.c.month)
        )
        return [(e, int(m), int(g)) for e, m, g in conn.execute(query)]


def _in_period(
    month: sa.ColumnElement[int], date: sa.ColumnElement[dt.date], period: Period
) -> list[sa.ColumnElement[bool]]:
    """The rows of ``period``: by month number, and by date only where a month is cut."""
    where: list[sa.ColumnElement[bool]] = [
        month.between(_yyyymm(period.start), _yyyymm(period.end))
    ]
    if period.start.day != 1:
        where.append(date >= period.start)
    if period.end != Period.month(period.end.year, period.end.month).end:
        where.append(date <= period.end)
    return where


@attrs.frozen
class _Read:
    """What the queries read: the enterprises, their members, ledger and waste sums."""

    places: dict[str, _Place]
    members: dict[str, int]
    ledger: list[tuple[str, int, int, int]]
    waste: list[tuple[str, int, int]]


def _fold(city: str, period: Period, names: tuple[str, ...], read: _Read) -> CityOverview:
    areas = _areas(names, read)
    total = _Sums()
    for sums in areas.values():
        total.enterprises += sums.enterprises
        total.members += sums.members
        total.revenue += sums.revenue
        total.surplus += sums.surplus
        total.waste_grams += sums.waste_grams
    total_row = total.area(None, None)
    rows = (
        tuple(
            sums.area(
                None if district is None else RegionCode(district),
                None if sector is None else Sector(sector),
            )
            for (district, sector), sums in sorted(
                areas.items(), key=lambda item: (item[0][0] or "", item[0][1] or "")
            )
        )
        if names
        else (total_row,)
    )
    return CityOverview(
        city=city,
        period=period,
        group_by=names,
        rows=rows,
        total=total_row,
        trend=_trend(period, read),
    )


def _areas(names: tuple[str, ...], read: _Read) -> dict[tuple[str | None, str | None], _Sums]:
    """Each area's sums; an area is a (kecamatan, sector) pair, None where not grouped."""
    by_district, by_sector = "district" in names, "sector" in names
    where = {
        enterprise: (
            place.district if by_district else None,
            place.sector if by_sector else None,
        )
        for enterprise, place in read.places.items()
    }
    areas: dict[tuple[str | None, str | None], _Sums] = {}
    for enterprise, place in read.places.items():
        sums = areas.setdefault(where[enterprise], _Sums())
        if place.counted:
            sums.enterprises += 1
            sums.members += read.members.get(enterprise, 0)
    for enterprise, _month, revenue, result in read.ledger:
        sums = areas[where[enterprise]]
        sums.revenue -= revenue
        sums.surplus -= result
    for enterprise, _month, grams in read.waste:
        areas[where[enterprise]].waste_grams += grams
    return areas


def _trend(period: Period, read: _Read) -> tuple[MonthFigures, ...]:
    """One figure per month the period touches, in order, zeros included."""
    months = {_yyyymm(m.start): (m, _Sums()) for m in period.months()}
    for _enterprise, month, revenue, result in read.ledger:
        sums = months[month][1]
        sums.active += 1
        sums.revenue -= revenue
        sums.surplus -= result
    for _enterprise, month, grams in read.waste:
        months[month][1].waste_grams += grams
    return tuple(
        MonthFigures(
            month=month,
            revenue=Rupiah(sums.revenue),
            surplus=Rupiah(sums.surplus),
            waste_grams=sums.waste_grams,
            active_enterprises=sums.active,
        )
        for month, sums in months.values()
    )
