"""``smartcity-kit permits``: check a permit number, list a city's applications, show one.

The register is kept by :class:`~smartcity_kit.egov.permits.PermitOffice`; these commands are
its terminal for a clerk and for anyone checking a permit. Applicants are shown masked
(``A*** N***``, ``737110******0001``), as the public check shows them.

``permits verify`` prints whether a number is a valid permit and exits 0 when it is, 1 when it
is not (unknown, revoked, expired, not yet valid); bad input exits 2. The cities are the
built-in ones (``makassar``, ``baubau`` ...); ``--city`` names one.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, Final

import click
import sqlalchemy as sa

from smartcity_kit.cli._output import day_option, echo_json, fail, field_errors, table
from smartcity_kit.cli._storage import db_option, opened
from smartcity_kit.core import BUILTIN_CITIES, CityProfile, FixedClock, make_converter
from smartcity_kit.egov.permits import (
    PermitApplication,
    PermitOffice,
    PermitStatus,
    Verification,
    check_number,
)
from smartcity_kit.egov.permits import _store as permit_store
from smartcity_kit.egov.permits._demo import seed_permits_demo
from smartcity_kit.storage import Database, upgrade

_REASONS: Final = {
    "unknown": "no permit has this number",
    "revoked": "revoked",
    "expired": "expired",
    "not_yet_valid": "not yet valid",
}


def _day(text: str, option: str) -> dt.date:
    return day_option(text, option, "2026-11-23")


def _city(slug: str) -> CityProfile:
    if slug not in BUILTIN_CITIES:
        fail(f"--city: must be one of {', '.join(BUILTIN_CITIES)}")
    return BUILTIN_CITIES[slug]


def _cities_with_permits(database: Database) -> list[CityProfile]:
    table_ = permit_store.applications
    with database.reading() as conn:
        slugs = conn.execute(sa.select(table_.c.city).distinct()).scalars().all()
    return [BUILTIN_CITIES[s] for s in sorted(slugs) if s in BUILTIN_CITIES]


def _noon(city: CityProfile, day: dt.date) -> FixedClock:
    """A clock standing at noon of ``day`` in the city."""
    return FixedClock(dt.datetime.combine(day, dt.time(12), tzinfo=city.time_zone.zone))


@click.group()
def permits() -> None:
    """Permits: check a permit number, list and show applications, seed a demo."""


# --- verify ------------------------------------------------------------------------------------


def _verification_lines(v: Verification) -> list[tuple[str, str]]:
    if v.valid:
        state = "yes"
    else:
        state = f"no ({_REASONS.get(v.reason or '', v.reason)}"
        state += f" on {v.revoked_on.isoformat()})" if v.revoked_on else ")"
    rows = [("Number:", v.number), ("Valid:", state)]
    if v.reason == "unknown":
        return rows
    profile = BUILTIN_CITIES.get(v.city or "")
    city = profile.name if profile is not None else str(v.city)
    rows += [
        ("Holder:", f"{v.holder} ({v.holder_kind}, {v.holder_id})"),
        ("Service:", f"{v.service_code} {v.service_name}"),
        ("Issued by:", f"{v.agency}, {city}"),
        ("Issued on:", v.issued_on.isoformat() if v.issued_on else "-"),
        ("Valid until:", v.valid_until.isoformat() if v.valid_until else "no end date"),
    ]
    return rows


@permits.command("verify")
@click.argument("number")
@click.option("--city", help="The issuing city (slug), when several issue the same numbers.")
@click.option("--on", "on", metavar="DATE", help="Check validity on this day (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@db_option
def verify(number: str, city: str | None, on: str | None, as_json: bool, url: str) -> None:
    """Check whether NUMBER is a valid permit: for whom (masked), which service, until when.

    Exits 0 when it is valid and 1 when it is not.
    """
    if not number.strip() or len(number) > 100:
        fail("NUMBER: must be a permit number of at most 100 characters")
    day = _day(on, "--on") if on is not None else None
    with opened(url) as database, field_errors():
        cities = [_city(city)] if city is not None else _cities_with_permits(database)
        offices = {
            c.slug: PermitOffice(database, c, _noon(c, day) if day else None) for c in cities
        }
        found = check_number(offices, number, city)
    if as_json:
        echo_json(make_converter().unstructure(found))
    else:
        table([(label, value) for label, value in _verification_lines(found)])
    if not found.valid:
        raise SystemExit(1)


# --- list and show -----------------------------------------------------------------------------


def _due_day(city: CityProfile, a: PermitApplication) -> str:
    """The last working day of the application's time in the city, or why there is none."""
    if a.paused_at is not None:
        return "paused"
    if a.due_at is None:
        return "-"
    return city.localize(a.due_at - dt.timedelta(microseconds=1)).date().isoformat()


def _application_row(city: CityProfile, a: PermitApplication) -> tuple[str, ...]:
    due = _due_day(city, a)
    return (
        str(a.id),
        a.status.value,
        a.service_code,
        due,
        a.number or "-",
        a.applicant.masked_name,
    )


def _application_json(a: PermitApplication) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": a.id,
        "city": a.city,
        "service_code": a.service_code,
        "service_name": a.service_name,
        "agency": a.agency,
        "status": a.status.value,
        "applicant": {
            "kind": a.applicant.kind.value,
            "name": a.applicant.masked_name,
            "id": a.applicant.identifier,
        },
        "checklist": list(a.checklist),
        "documents": [
            {"item": d.item, "name": d.name, "sha256": d.sha256, "size": d.size}
            for d in a.documents
        ],
        "missing": list(a.missing),
        "fee": a.fee.amount,
        "submitted_at": iso(a.submitted_at),
        "due_at": iso(a.due_at),
        "paused_days": a.paused_days,
        "number": a.number,
        "valid_from": iso(a.valid_from),
        "valid_until": iso(a.valid_until),
        "version": a.version,
    }


@permits.command("list")
@click.option("--city", required=True, help="The city (slug: makassar, baubau).")
@click.option(
    "--status",
    type=click.Choice([s.value for s in PermitStatus]),
    multiple=True,
    help="Only this status (repeat for several).",
)
@click.option("--service", metavar="CODE", help="Only this service.")
@click.option("--overdue", is_flag=True, help="Only open applications past their deadline.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@db_option
def list_applications(  # noqa: PLR0913, PLR0917 - one option per filter
    city: str,
    status: tuple[str, ...],
    service: str | None,
    overdue: bool,
    as_json: bool,
    url: str,
) -> None:
    """List a city's permit applications, newest first (the due day is the city's last day)."""
    profile = _city(city)
    with opened(url) as database, field_errors():
        office = PermitOffice(database, profile)
        if overdue:
            found = office.overdue()
        else:
            found = office.search(
                statuses=[PermitStatus(s) for s in status] or None, service_code=service
            )
        if service is not None:
            found = [a for a in found if a.service_code == service]
        if status:
            found = [a for a in found if a.status.value in status]
    if as_json:
        echo_json([_application_json(a) for a in found])
        return
    if not found:
        click.echo("No applications.")
        return
    rows = [_application_row(profile, a) for a in found]
    table([("ID", "STATUS", "SERVICE", "DUE", "NUMBER", "APPLICANT"), *rows])


@permits.command("show")
@click.argument("application_id", type=click.IntRange(1, 2**31 - 1))
@click.option("--city", required=True, help="The city (slug: makassar, baubau).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@db_option
def show(application_id: int, city: str, as_json: bool, url: str) -> None:
    """Show an application: applicant (masked), checklist and documents, dates, history."""
    profile = _city(city)
    with opened(url) as database, field_errors():
        office = PermitOffice(database, profile)
        a = office.get(application_id)
        history = office.history(application_id)
    if as_json:
        echo_json(
            {
                **_application_json(a),
                "history": [
                    {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "notes": e.notes}
                    for e in history
                ],
            }
        )
        return
    local = profile.localize
    rows = [
        ("Application:", f"{a.id} ({profile.name})"),
        ("Service:", f"{a.service_code} {a.service_name} ({a.agency})"),
        (
            "Applicant:",
            f"{a.applicant.masked_name} ({a.applicant.kind.value}, {a.applicant.identifier})",
        ),
        ("Status:", a.status.value),
        ("Fee:", str(a.fee)),
        ("Submitted:", local(a.submitted_at).strftime("%Y-%m-%d %H:%M") if a.submitted_at else "-"),
        ("Due:", _due_day(profile, a)),
        ("Paused days:", str(a.paused_days)),
        ("Number:", a.number or "-"),
    ]
    if a.valid_from is not None:
        until = a.valid_until.isoformat() if a.valid_until else "no end date"
        rows.append(("Valid:", f"{a.valid_from.isoformat()} to {until}"))
    table(rows)
    click.echo("Checklist:")
    for n, requirement in enumerate(a.checklist, start=1):
        names = ", ".join(d.name for d in a.documents if d.item == n) or "(no document)"
        flag = "  MISSING" if n in a.missing else ""
        click.echo(f"  {n}. {requirement}: {names}{flag}")
    click.echo("History:")
    for e in history:
        notes = f"  {e.notes}" if e.notes else ""
        click.echo(
            f"  {local(e.at).strftime('%Y-%m-%d %H:%M')}  {e.action:<24} {e.actor}{notes}".rstrip()
        )


# --- demo --------------------------------------------------------------------------------------


@permits.command("demo")
@click.option("--today", metavar="DATE", help="The last day of the demo (default: today).")
@db_option
def demo(today: str | None, url: str) -> None:
    """Seed Makassar and Baubau with permit services and applications at every stage.

    Issued and revoked permits included; running it again writes nothing. Creates and upgrades
    the database when needed. Names and numbers are made up.
    """
    makassar = BUILTIN_CITIES["makassar"]
    now = (
        _noon(makassar, _day(today, "--today")).now()
        if today is not None
        else dt.datetime.now(dt.UTC)
    )
    with opened(url, create=True) as database:
        upgrade(database)
        started = time.perf_counter()
        counts = seed_permits_demo(database, now=now)
        seconds = time.perf_counter() - started
    click.echo(f"Demo permit applications: {counts}")
    click.echo(f"Seeded in {seconds:.1f} s.", err=True)
