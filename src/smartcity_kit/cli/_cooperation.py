"""``smartcity-kit cooperation``: the city's register of cooperation agreements.

The register is :class:`~smartcity_kit.egov.cooperation.CooperationRegister`; these commands
read it, seed the demo, and store what the clock says about ended terms.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import click

from smartcity_kit.cli._output import day_option, echo_json, fail, field_errors, table
from smartcity_kit.cli._storage import db_option, opened
from smartcity_kit.core import BUILTIN_CITIES, CityProfile, FixedClock, SystemClock
from smartcity_kit.egov.cooperation import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    CooperationField,
    CooperationRegister,
)
from smartcity_kit.errors import NotFoundError
from smartcity_kit.storage import Database, upgrade

_CITY_HELP: Final = "The city whose register it is (a built-in slug)."
_TODAY_HELP: Final = "The day to look from (YYYY-MM-DD; today in the city by default)."

_city_option = click.option(
    "--city", default="makassar", show_default=True, metavar="SLUG", help=_CITY_HELP
)
_today_option = click.option("--today", "today_text", metavar="DATE", help=_TODAY_HELP)
_json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")


def _city(slug: str) -> CityProfile:
    try:
        return CityProfile.builtin(slug)
    except NotFoundError:
        fail(f"--city: no built-in city {slug!r} (known: {', '.join(BUILTIN_CITIES)})")


def _day(text: str | None, city: CityProfile) -> dt.date:
    if text is None:
        return dt.datetime.now(city.time_zone.zone).date()
    return day_option(text, "--today", "2026-11-23")


def _register(database: Database, city: CityProfile, today: dt.date) -> CooperationRegister:
    noon = dt.datetime.combine(today, dt.time(12), tzinfo=city.time_zone.zone)
    return CooperationRegister(database, city, FixedClock(noon))


def _agreement_json(a: Agreement, today: dt.date) -> dict[str, Any]:
    ends = a.end_on(today)
    return {
        "id": a.id,
        "partner": a.partner,
        "kind": a.kind.value,
        "title": a.title,
        "fields": [f.value for f in a.fields],
        "agencies": list(a.agencies),
        "implements": a.implements,
        "number": a.number,
        "signed_on": a.signed_on.isoformat() if a.signed_on else None,
        "signing_event": a.signing_event,
        "term_start": a.term.start.isoformat() if a.term else None,
        "ends_on": ends.isoformat() if ends else None,
        "renewal": a.renewal.value,
        "status": a.status_on(today).value,
        "status_notes": a.status_notes,
        "version": a.version,
    }


@click.group()
def cooperation() -> None:
    """Cooperation agreements (kerja sama daerah): LoI, MoU and PKS with partners."""


@cooperation.command("list")
@click.option(
    "--status",
    type=click.Choice([s.value for s in AgreementStatus]),
    help="Only this status (as of --today: a term that ended is expired).",
)
@click.option(
    "--field", type=click.Choice([f.value for f in CooperationField]), help="Only this field."
)
@click.option("--kind", type=click.Choice([k.value for k in AgreementKind]), help="Only this kind.")
@click.option("--partner", metavar="CODE", help="Only this partner's.")
@click.option(
    "--expiring",
    type=click.IntRange(0, 3660),
    metavar="DAYS",
    help="Only running agreements whose term ends within DAYS days, soonest first.",
)
@_today_option
@_city_option
@_json_option
@db_option
def list_agreements(  # noqa: PLR0913, PLR0917 - one parameter per option
    status: str | None,
    field: str | None,
    kind: str | None,
    partner: str | None,
    expiring: int | None,
    today_text: str | None,
    city: str,
    as_json: bool,
    url: str,
) -> None:
    """List agreements by id (or, with --expiring, by the day their term ends)."""
    profile = _city(city)
    today = _day(today_text, profile)
    with opened(url) as database, field_errors():
        register = _register(database, profile, today)
        found = register.agreements(
            status=status, field=field, kind=kind, partner=partner, today=today
        )
        if expiring is not None:
            soon = register.expiring(expiring, today=today)
            wanted = {a.id for a in found}
            found = [r.agreement for r in soon if r.agreement.id in wanted]
    if as_json:
        echo_json([_agreement_json(a, today) for a in found])
        return
    if not found:
        click.echo("No agreements.", err=True)
        return
    rows = [("ID", "KIND", "PARTNER", "STATUS", "ENDS", "FIELDS", "TITLE")]
    for a in found:
        ends = a.end_on(today)
        days = f" ({(ends - today).days} d)" if ends and expiring is not None else ""
        rows.append(
            (
                str(a.id),
                a.kind.label,
                a.partner,
                a.status_on(today).value,
                (ends.isoformat() if ends else "-") + days,
                ",".join(f.value for f in a.fields),
                a.title,
            )
        )
    table(rows)


@cooperation.command("show")
@click.argument("agreement_id", metavar="ID", type=click.IntRange(1, 2**31 - 1))
@_today_option
@_city_option
@_json_option
@db_option
def show(agreement_id: int, today_text: str | None, city: str, as_json: bool, url: str) -> None:
    """Show an agreement: partner, term, approvals, what it still needs, activities."""
    profile = _city(city)
    today = _day(today_text, profile)
    with opened(url) as database:
        register = _register(database, profile, today)
        found = register.get(agreement_id)
        partner = register.partner(found.partner)
        missing = register.missing_approvals(found) if not found.status.final else []
        activities = register.activities(agreement_id)
    if as_json:
        echo_json(
            {
                **_agreement_json(found, today),
                "missing_approvals": [k.value for k in missing],
                "activities": len(activities),
            }
        )
        return
    ends = found.end_on(today)
    rows = [
        ("Id:", str(found.id)),
        ("Kind:", found.kind.label),
        ("Title:", found.title),
        ("Partner:", f"{partner.name} ({partner.kind.value}, {partner.country})"),
        ("Fields:", ", ".join(f.value for f in found.fields)),
        ("Agencies:", ", ".join(found.agencies)),
        ("Status:", found.status_on(today).value),
    ]
    if found.status_notes:
        rows.append(("Notes:", found.status_notes))
    if found.implements is not None:
        rows.append(("Implements:", f"MoU {found.implements}"))
    if found.signed_on:
        event = f" at {found.signing_event}" if found.signing_event else ""
        rows.append(("Signed:", f"{found.signed_on.isoformat()}{event}"))
    if found.term:
        until = ends.isoformat() if ends else "open"
        term = f"{found.term.start.isoformat()} to {until} (renewal {found.renewal.value})"
        rows.append(("Term:", term))
    rows.extend(
        (
            "Approval:",
            f"{a.kind.value} {a.decision.value} {a.decided_on.isoformat()} ({a.reference})",
        )
        for a in found.approvals
    )
    if missing:
        rows.append(("Still needs:", ", ".join(missing)))
    rows.extend(
        (
            "Activity:",
            f"{a.starts.isoformat()} {a.kind.value}: {a.title} ({a.participants} people)",
        )
        for a in activities
    )
    table(rows)


@cooperation.command("apply-terms")
@_city_option
@click.option("--actor", default="cli", show_default=True, help="Who does it, as audited.")
@db_option
def apply_terms(city: str, actor: str, url: str) -> None:
    """Store what the clock says: expire agreements whose term ended (run daily).

    It writes, so it always uses the real clock (no --today).
    """
    profile = _city(city)
    with opened(url) as database, field_errors():
        changed = CooperationRegister(database, profile, SystemClock()).apply_terms(actor=actor)
    for a in changed:
        click.echo(f"{a.id} {a.partner} {a.kind.value}: {a.status.value}")
    click.echo(f"{len(changed)} agreement(s) changed.")


@cooperation.command("demo")
@_today_option
@db_option
def demo(today_text: str | None, url: str) -> None:
    """Seed Makassar's register with the agreements of the sources (illustrative dates)."""
    from smartcity_kit.egov._demo import seed_demo  # noqa: PLC0415
    from smartcity_kit.egov.cooperation._demo import seed_cooperation_demo  # noqa: PLC0415

    makassar = CityProfile.builtin("makassar")
    today = _day(today_text, makassar)
    with opened(url, create=True) as database:
        upgrade(database)
        now = dt.datetime.combine(today, dt.time(12), tzinfo=makassar.time_zone.zone)
        seed_demo(database, now=now, requests_per_city=0)  # the agencies and the catalogue
        counts = seed_cooperation_demo(database, today=today)
    click.echo(
        f"Demo partners: {counts['partners']}, agreements: {counts['agreements']}, "
        f"activities: {counts['activities']}"
    )
