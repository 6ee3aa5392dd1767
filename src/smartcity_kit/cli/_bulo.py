"""``smartcity-kit bulo``: neighbourhood enterprises (BULo), their books, statements and SHU.

The registry and books are kept by :class:`~smartcity_kit.economy.EnterpriseRegistry` and
:class:`~smartcity_kit.economy.Books`; these commands are their terminal. Amounts are printed as
``Rp1.234.567``; members are shown by their number only, never by name.

``bulo statements`` writes HTML or JSON to stdout unless ``--output`` is given. An XLSX workbook
is binary: without ``--output`` it is written to ``laporan-keuangan-<id>-<period>.xlsx`` in the
current directory, and ``--output -`` sends it to stdout, which is refused when stdout is a
terminal.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import click

from smartcity_kit.cli._output import day_option, echo_json, fail, field_errors, table
from smartcity_kit.cli._storage import db_option, opened
from smartcity_kit.core import BUILTIN_CITIES, CityProfile, Region, RegionCode, Rupiah
from smartcity_kit.economy import (
    AreaFigures,
    Books,
    CityEconomy,
    Enterprise,
    EnterpriseRegistry,
    FinancialStatements,
    Period,
    Sector,
    ShuDistribution,
    ShuPool,
    ShuSplit,
)
from smartcity_kit.economy._demo import seed_economy_demo
from smartcity_kit.errors import NotFoundError, ValidationError
from smartcity_kit.storage import upgrade

_FORMATS: Final = ("html", "xlsx", "json")
_SUFFIXES: Final = {".html": "html", ".htm": "html", ".xlsx": "xlsx", ".json": "json"}
_ACTOR_HELP: Final = "Who does it, as the audit log records it."


def _day(text: str, option: str) -> dt.date:
    """A ``YYYY-MM-DD`` option as a date (exit 2 with one line when it is not one)."""
    return day_option(text, option, "2026-12-31")


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValidationError as e:
        fail(f"--period: {e.errors[0].message}")


def _local_today() -> dt.date:
    """Today in Makassar (WITA), the demo's home."""
    return dt.datetime.now(CityProfile.builtin("makassar").time_zone.zone).date()


def _district_name(code: RegionCode | None) -> str:
    if code is None:
        return "-"
    try:
        return Region.get(code).name
    except NotFoundError:
        return str(code)


def _money(amount: Rupiah | int) -> str:
    return str(amount if isinstance(amount, Rupiah) else Rupiah(amount))


def _right(rows: Sequence[tuple[str, ...]], columns: Sequence[int]) -> list[tuple[str, ...]]:
    """Right-align the given columns (amounts) by padding them to their widest cell."""
    widths = {c: max(len(row[c]) for row in rows) for c in columns}
    return [
        tuple(cell.rjust(widths[i]) if i in widths else cell for i, cell in enumerate(row))
        for row in rows
    ]


@click.group()
def bulo() -> None:
    """Neighbourhood enterprises (BULo): registry, books, statements, SHU, waste bank, city view."""


# --- registry -----------------------------------------------------------------------------------


def _enterprise_json(e: Enterprise) -> dict[str, Any]:
    address = e.address
    return {
        "id": e.id,
        "city": e.city,
        "name": e.name,
        "sector": e.sector.value,
        "legal_form": e.legal_form.value,
        "status": e.status.value,
        "district": str(e.district),
        "village": str(e.village),
        "lorong": address.lorong,
        "rt": address.rt,
        "rw": address.rw,
        "postal_code": address.postal_code,
        "founded": e.founded.isoformat(),
        "nib": e.nib.value if e.nib else None,
        "mentor_agency": e.mentor_agency,
    }


@bulo.command("list")
@click.option("--city", help="Only this city (slug: makassar, baubau).")
@click.option("--district", metavar="CODE", help="Only this kecamatan (73.71.10).")
@click.option("--sector", type=click.Choice([s.value for s in Sector]), help="Only this sector.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@db_option
def list_enterprises(
    city: str | None, district: str | None, sector: str | None, as_json: bool, url: str
) -> None:
    """List enterprises by id."""
    with opened(url) as database, field_errors():
        found = EnterpriseRegistry(database).enterprises(
            city=city, district=district, sector=sector
        )
    if as_json:
        echo_json([_enterprise_json(e) for e in found])
        return
    if not found:
        click.echo("No enterprises.", err=True)
        return
    rows = [("ID", "CITY", "KECAMATAN", "SECTOR", "FORM", "NAME")]
    rows += [
        (
            e.id,
            e.city,
            _district_name(e.district),
            e.sector.value,
            e.legal_form.value,
            e.name,
        )
        for e in found
    ]
    table(rows)


@bulo.command("show")
@click.argument("enterprise_id", metavar="ENTERPRISE")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@db_option
def show(enterprise_id: str, as_json: bool, url: str) -> None:
    """Show an enterprise: details, how many members it has, how far its books are closed."""
    with opened(url) as database:
        registry = EnterpriseRegistry(database)
        found = registry.get(enterprise_id)
        members = len(registry.members(enterprise_id, active_on=_local_today()))
        closed = Books(database).closed_through(enterprise_id)
        address = found.address.format()
    if as_json:
        echo_json(
            {
                **_enterprise_json(found),
                "address": address,
                "members": members,
                "closed_through": closed.isoformat() if closed else None,
            }
        )
        return
    rows = [
        ("Id:", found.id),
        ("Name:", found.name),
        ("City:", found.city),
        ("Sector:", f"{found.sector.value} ({found.sector.label_id})"),
        ("Legal form:", f"{found.legal_form.value} ({found.legal_form.label_id})"),
        ("Status:", found.status.value),
        ("Address:", address),
        ("Kecamatan:", f"{found.district} {_district_name(found.district)}"),
        ("Founded:", found.founded.isoformat()),
        ("NIB:", found.nib.value if found.nib else "-"),
        ("Mentor:", found.mentor_agency or "-"),
        ("Members:", str(members)),
        ("Closed through:", closed.isoformat() if closed else "- (never closed)"),
    ]
    table(rows)


# --- books --------------------------------------------------------------------------------------


def _statements_file(enterprise_id: str, period_text: str) -> Path:
    safe = re.sub(r"[^0-9A-Za-z-]+", "_", period_text.strip())
    return Path(f"laporan-keuangan-{enterprise_id}-{safe}.xlsx")


def _terminal() -> bool:
    """Whether stdout is a terminal (no place for a binary workbook)."""
    return sys.stdout.isatty()


def _rendered(found: FinancialStatements, fmt: str) -> bytes:
    if fmt == "xlsx":
        return found.render_xlsx()
    if fmt == "html":
        return found.render_html().encode()
    return (json.dumps(found.to_json(), indent=2, ensure_ascii=False) + "\n").encode()


def _written(path: Path, data: bytes, fmt: str, found: FinancialStatements) -> None:
    try:
        path.write_bytes(data)
    except OSError as e:
        fail(f"cannot write {path}: {e.strerror or e}")
    sheet, income = found.balance_sheet, found.income_statement
    click.echo(f"Wrote {path} ({fmt}): {found.title()}")
    click.echo(
        f"  Total assets {_money(sheet.total_assets)}, liabilities and equity "
        f"{_money(sheet.total_liabilities_and_equity)}"
        f" ({'balanced' if sheet.balanced else 'NOT BALANCED'})"
    )
    click.echo(f"  Revenue {_money(income.total_revenue)}, net income {_money(income.net_income)}")


@bulo.command("statements")
@click.argument("enterprise_id", metavar="ENTERPRISE")
@click.option(
    "--period",
    required=True,
    metavar="PERIOD",
    help="A year (2026), a month (2026-03), a quarter (2026-Q2) or a range "
    "(2026-01-01/2026-06-30).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(_FORMATS),
    help="html, xlsx or json (default: from the --output suffix, else html).",
)
@click.option(
    "--output",
    "-o",
    metavar="FILE",
    help="Write to FILE ('-' for stdout). XLSX defaults to laporan-keuangan-<id>-<period>.xlsx.",
)
@db_option
def statements(
    enterprise_id: str, period: str, fmt: str | None, output: str | None, url: str
) -> None:
    """Financial statements to SAK EMKM: Laporan Posisi Keuangan, Laba Rugi, and notes.

    HTML and JSON go to stdout unless --output is given; an XLSX workbook goes to
    laporan-keuangan-<id>-<period>.xlsx unless --output is given ('-' for stdout, refused when
    stdout is a terminal).
    """
    chosen = _period(period)
    if fmt is None:
        suffix = Path(output).suffix.lower() if output and output != "-" else ""
        fmt = _SUFFIXES.get(suffix, "html")
    target = output
    if fmt == "xlsx" and target is None:
        target = str(_statements_file(enterprise_id, period))
    if fmt == "xlsx" and target == "-" and _terminal():
        fail("an XLSX workbook is binary: give --output FILE rather than writing it to a terminal")
    with opened(url) as database:
        found = Books(database).statements(enterprise_id, chosen)
    data = _rendered(found, fmt)
    if target is not None and target != "-":
        _written(Path(target), data, fmt, found)
    elif fmt == "xlsx":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        click.echo(data.decode(), nl=False)


@bulo.command("close")
@click.argument("enterprise_id", metavar="ENTERPRISE")
@click.option(
    "--through", required=True, metavar="DATE", help="The last day to close (2026-12-31)."
)
@click.option("--actor", default="cli", show_default=True, help=_ACTOR_HELP)
@db_option
def close(enterprise_id: str, through: str, actor: str, url: str) -> None:
    """Close the books through a date (tutup buku): the result goes to retained earnings."""
    day = _day(through, "--through")
    with opened(url) as database, field_errors():
        closing = Books(database).close_period(enterprise_id, day, actor=actor)
    result = closing.result
    kind = "profit" if result.amount >= 0 else "loss"
    entry = f" (closing entry #{closing.entry})" if closing.entry else " (nothing to close)"
    click.echo(
        f"Closed {enterprise_id} from {closing.start.isoformat()} through "
        f"{closing.through.isoformat()}: {kind} {_money(abs(result))}{entry}."
    )


# --- SHU ----------------------------------------------------------------------------------------


def _split(text: str) -> ShuSplit:
    percents: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        pool, sep, percent = part.partition("=")
        if not sep or not pool.strip() or not percent.strip():
            fail(f"--split: {part!r} is not POOL=PERCENT (reserve=40,member_business=25,...)")
        percents[pool.strip()] = percent.strip()
    if not percents:
        fail("--split: give POOL=PERCENT pairs, e.g. reserve=40,member_business=25,...")
    with field_errors():
        return ShuSplit.from_percent(percents)


def _print_shu(enterprise_id: str, year: int, shu: ShuDistribution) -> None:
    click.echo(
        f"SHU {year} of {enterprise_id}: {_money(shu.surplus)} "
        f"(from members' business {_money(shu.member_surplus)}, "
        f"from non-members' {_money(shu.non_member_surplus)})"
    )
    click.echo("")
    pools: list[tuple[str, ...]] = [("POOL", "PERCENT", "AMOUNT", "NAME")]
    pools += [
        (pool.value, f"{shu.split.percent(pool)}%", _money(shu.pools[pool]), pool.label_id)
        for pool in ShuPool
    ]
    table(_right(pools, (1, 2)))
    click.echo("")
    members: list[tuple[str, ...]] = [
        ("MEMBER", "TRANSACTIONS", "SAVINGS", "BUSINESS", "CAPITAL", "TOTAL")
    ]
    members += [
        (
            str(m.member),
            _money(m.transactions),
            _money(m.savings),
            _money(m.business),
            _money(m.capital),
            _money(m.total),
        )
        for m in shu.members
    ]
    table(_right(members, (0, 1, 2, 3, 4, 5)))


@bulo.command("shu")
@click.argument("enterprise_id", metavar="ENTERPRISE")
@click.option("--year", required=True, type=click.IntRange(1900, 2999), help="The closed year.")
@click.option(
    "--date",
    "on",
    metavar="DATE",
    help="Distribute the year's SHU with a posting on DATE; without it, show the one posted.",
)
@click.option(
    "--split",
    metavar="POOL=PCT,...",
    help="The split of the articles (default reserve=40,member_business=25,member_capital=15,"
    "management=5,employees=5,education=5,social=2.5,area_development=2.5).",
)
@click.option("--actor", default="cli", show_default=True, help=_ACTOR_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@db_option
def shu(  # noqa: PLR0913, PLR0917 - one parameter per option
    enterprise_id: str,
    year: int,
    on: str | None,
    split: str | None,
    actor: str,
    as_json: bool,
    url: str,
) -> None:
    """Share a cooperative's surplus (SHU) of a closed year, or show how it was shared.

    Members are shown by number: the pools, then each member's transactions (Va), savings (Sa)
    and their shares by business (JUA) and by capital (JMA).
    """
    if on is None and split is not None:
        fail("--split needs --date: it applies when the SHU is distributed")
    day = _day(on, "--date") if on is not None else None
    chosen = _split(split) if split is not None else None
    with opened(url) as database, field_errors():
        books = Books(database)
        if day is None:
            found = books.shu(enterprise_id, year)
        else:
            found = books.distribute_shu(enterprise_id, year, date=day, split=chosen, actor=actor)
    if as_json:
        echo_json({"enterprise": enterprise_id, "year": year, **found.to_json()})
        return
    _print_shu(enterprise_id, year, found)


# --- the city -----------------------------------------------------------------------------------


def _area_row(row: AreaFigures, label: str | None = None) -> tuple[str, ...]:
    district = label or (
        "-" if row.district is None else f"{row.district} {_district_name(row.district)}"
    )
    return (
        district,
        "-" if row.sector is None else row.sector.value,
        str(row.enterprises),
        str(row.members),
        _money(row.revenue),
        _money(row.surplus),
        row.waste_kg,
    )


@bulo.command("city")
@click.argument("city")
@click.option(
    "--period", required=True, metavar="PERIOD", help="2026, 2026-03, 2026-Q2 or a range."
)
@click.option(
    "--group-by",
    default="district,sector",
    show_default=True,
    metavar="LIST",
    help="district, sector, both (comma-separated), or 'none' for the total only.",
)
@click.option("--district", metavar="CODE", help="Only this kecamatan (73.71.10).")
@click.option("--sector", type=click.Choice([s.value for s in Sector]), help="Only this sector.")
@click.option("--trend", is_flag=True, help="Also print the month-by-month trend.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@db_option
def city(  # noqa: PLR0913, PLR0917 - one parameter per option
    city: str,
    period: str,
    group_by: str,
    district: str | None,
    sector: str | None,
    trend: bool,
    as_json: bool,
    url: str,
) -> None:
    """The city's neighbourhood economy: enterprises, members, revenue, surplus, waste by area."""
    chosen = _period(period)
    groups = [g.strip() for g in group_by.split(",") if g.strip() and g.strip() != "none"]
    with opened(url) as database, field_errors():
        if city not in BUILTIN_CITIES and not EnterpriseRegistry(database).enterprises(city=city):
            fail(f"no enterprises are registered in city {city!r}")
        overview = CityEconomy(database).overview(
            city, chosen, group_by=groups, district=district, sector=sector
        )
    if as_json:
        echo_json(overview.to_json())
        return
    click.echo(f"{city}, {chosen.label_id}")
    rows: list[tuple[str, ...]] = [
        ("KECAMATAN", "SECTOR", "ENTERPRISES", "MEMBERS", "REVENUE", "SURPLUS", "WASTE KG")
    ]
    rows += [_area_row(row) for row in overview.rows]
    rows.append(_area_row(overview.total, "TOTAL"))
    table(_right(rows, (2, 3, 4, 5, 6)))
    if trend:
        click.echo("")
        months: list[tuple[str, ...]] = [("MONTH", "REVENUE", "SURPLUS", "WASTE KG", "ACTIVE")]
        months += [
            (
                f"{m.month.start:%Y-%m}",
                _money(m.revenue),
                _money(m.surplus),
                m.waste_kg,
                str(m.active_enterprises),
            )
            for m in overview.trend
        ]
        table(_right(months, (1, 2, 3, 4)))


# --- demo ---------------------------------------------------------------------------------------


@bulo.command("demo")
@click.option(
    "--today",
    metavar="DATE",
    help="The last day with transactions (default: today in Makassar).",
)
@click.option(
    "--per-city", default=18, show_default=True, type=click.IntRange(1, 200), help="Enterprises."
)
@db_option
def demo(today: str | None, per_city: int, url: str) -> None:
    """Seed Makassar and Baubau with demo enterprises and their books (idempotent).

    Creates and upgrades the database when needed. Members' names are made up; no NIK is stored.
    """
    day = _day(today, "--today") if today is not None else _local_today()
    with opened(url, create=True) as database:
        upgrade(database)
        started = time.perf_counter()
        counts = seed_economy_demo(database, today=day, per_city=per_city)
        seconds = time.perf_counter() - started
    click.echo(
        f"Demo enterprises: {counts['enterprises']}, members: {counts['members']}, "
        f"journal entries: {counts['entries']}, waste deposits: {counts['waste_deposits']}"
    )
    click.echo(f"Seeded through {day.isoformat()} in {seconds:.1f} s.", err=True)
