"""``smartcity-kit cctv``: share cameras with other organisations, and report who used them.

Organisations, accounts, sharing agreements and incident grants are kept by
:class:`~smartcity_kit.security.AccessPolicy`; these commands are its terminal for the city's IT
staff. Times are read as ISO 8601 date-times with an offset, or as a date alone, which means
midnight in the time zone of the city concerned (see :func:`_instant`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any, Final

import click

from smartcity_kit.cli._output import echo_json, fail, field_errors, table
from smartcity_kit.cli._storage import db_option, opened
from smartcity_kit.core import BUILTIN_CITIES, GeoPoint, mask_name, parse_instant
from smartcity_kit.errors import NotFoundError, ValidationError
from smartcity_kit.security import (
    AccessPolicy,
    AccessRecord,
    Account,
    AccountRole,
    Basis,
    CameraScope,
    IncidentGrant,
    Organisation,
    OwnerKind,
    Purpose,
    Right,
    SharingAgreement,
)
from smartcity_kit.storage import ApiKeys

#: How long an incident grant lasts when neither --hours nor --until is given.
DEFAULT_GRANT_HOURS: Final = 72
#: The longest grant the library accepts (90 days), in hours.
_MAX_GRANT_HOURS: Final = 90 * 24
#: Grant numbers are 32-bit integers in the database.
_MAX_GRANT_ID: Final = 2**31 - 1
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_EARLIEST_YEAR: Final = 1900
_LATEST_YEAR: Final = 2999
_TIME_HELP: Final = (
    "must be an ISO 8601 date-time with an offset (2026-11-23T08:00+08:00, 2026-11-23T00:00Z) "
    "or a date (2026-11-23: midnight in the city's time zone)"
)
_RIGHTS: Final = ", ".join(Right)


@contextlib.contextmanager
def _policy(url: str) -> Iterator[AccessPolicy]:
    """The access policy over the database; errors as one line each (exit 2)."""
    with opened(url) as database, field_errors():
        yield AccessPolicy(database)


def _instant(text: str, option: str, city: Callable[[], str | None]) -> dt.datetime:
    """Read a time option: ISO 8601 with an offset, or a date (midnight in ``city()``'s zone).

    ``city`` is asked only for a date alone; a city without a built-in profile has no known zone,
    and then a date alone is refused.
    """
    text = text.strip()
    if _DATE.fullmatch(text):
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            fail(f"{option}: {text} is not a date")
        if not _EARLIEST_YEAR <= day.year <= _LATEST_YEAR:
            fail(f"{option}: must be between {_EARLIEST_YEAR} and {_LATEST_YEAR}")
        slug = city()
        profile = BUILTIN_CITIES.get(slug) if slug else None
        if profile is None:
            where = f"city {slug} has no known time zone" if slug else "no city is known here"
            fail(
                f"{option}: {text} is a date, and {where}; give a date-time with an offset, "
                f"such as {text}T00:00+08:00"
            )
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=profile.time_zone.zone)
        return midnight.astimezone(dt.UTC)
    try:
        return parse_instant(text, option).astimezone(dt.UTC)
    except ValidationError as e:
        detail = e.errors[0].message
        fail(f"{option}: {_TIME_HELP if 'offset' in detail else detail}")


def _shown(at: dt.datetime | None, city: str | None) -> str:
    """``at`` in ``city``'s zone with its offset (UTC when the city has no built-in profile)."""
    if at is None:
        return "-"
    profile = BUILTIN_CITIES.get(city) if city else None
    zone = profile.time_zone.zone if profile is not None else dt.UTC
    return at.astimezone(zone).isoformat(timespec="minutes")


def _utc(at: dt.datetime | None) -> str | None:
    return at.astimezone(dt.UTC).isoformat() if at is not None else None


def _items(text: str | None) -> list[str]:
    """A comma-separated option as a list (blanks dropped)."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _rights(rights: frozenset[Right]) -> str:
    return ",".join(r.value for r in Right if r in rights)


def _city_of(policy: AccessPolicy, organisation: str) -> str:
    """The organisation's city (NotFoundError: no such organisation)."""
    return policy.organisation(organisation).city


@click.group()
def cctv() -> None:
    """Share cameras with other organisations (the police) and report who used them."""


# --- organisations ------------------------------------------------------------------------------


@cctv.group("org")
def org() -> None:
    """Organisations that own cameras or are given access to them."""


@org.command("add")
@click.argument("org_id", metavar="ID")
@click.option("--city", required=True, help="The city's slug (makassar).")
@click.option("--name", required=True, help="The organisation's full name.")
@click.option(
    "--kind",
    required=True,
    type=click.Choice([k.value for k in OwnerKind]),
    help="A city agency, a police unit or a private owner.",
)
@click.option("--update", is_flag=True, help="Change the organisation if it exists already.")
@db_option
def org_add(  # noqa: PLR0913, PLR0917 - one parameter per option
    org_id: str, city: str, name: str, kind: str, update: bool, url: str
) -> None:
    """Add an organisation; its ID is the owner code of the cameras it owns (cameras list)."""
    with _policy(url) as policy:
        organisation = Organisation(id=org_id, city=city, name=name, kind=OwnerKind(kind))
        try:
            policy.organisation(org_id)
            exists = True
        except NotFoundError:
            exists = False
        if exists and not update:
            fail(f"organisation {org_id} already exists (add --update to change it)")
        policy.save_organisation(organisation)
    click.echo(f"Organisation {org_id} ({kind}, {city}) {'updated' if exists else 'added'}.")


@org.command("list")
@click.option("--city", help="Only this city (slug).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@db_option
def org_list(city: str | None, as_json: bool, url: str) -> None:
    """List organisations by id."""
    with _policy(url) as policy:
        found = policy.organisations(city)
    if as_json:
        echo_json(
            [{"id": o.id, "city": o.city, "name": o.name, "kind": o.kind.value} for o in found]
        )
        return
    rows = [("ID", "KIND", "CITY", "NAME")]
    rows += [(o.id, o.kind.value, o.city, o.name) for o in found]
    table(rows)


# --- accounts -----------------------------------------------------------------------------------


@cctv.group("account")
def account() -> None:
    """People who act through an organisation: viewers, admins and auditors."""


@account.command("add")
@click.argument("account_id", metavar="ID")
@click.option("--org", "organisation", required=True, help="The organisation they act for.")
@click.option(
    "--role",
    required=True,
    type=click.Choice([r.value for r in AccountRole]),
    help="viewer: uses cameras; admin: also makes agreements and approves grants; "
    "auditor: reads access reports, never sees video.",
)
@click.option(
    "--name", required=True, help="The person's name (personal data: stored, shown masked)."
)
@click.option(
    "--key-id",
    metavar="KEYID",
    help="Their API key for the web API: the id that `smartcity-kit keys create` printed.",
)
@db_option
def account_add(  # noqa: PLR0913, PLR0917 - one parameter per option
    account_id: str, organisation: str, role: str, name: str, key_id: str | None, url: str
) -> None:
    """Add an account. Choose an ID without personal data: the audit log keeps it for good."""
    with opened(url) as database, field_errors():
        new = Account(
            id=account_id,
            organisation=organisation,
            role=AccountRole(role),
            name=name,
            key_id=key_id,
        )
        if key_id is not None:
            key = next((k for k in ApiKeys(database).list() if k.key_id == key_id), None)
            if key is None:
                fail(f"there is no API key {key_id} (see smartcity-kit keys list)")
            if not key.active:
                fail(f"API key {key_id} is revoked")
        AccessPolicy(database).add_account(new)
    click.echo(f"Account {account_id} ({role}) added to {organisation}.")


@account.command("list")
@click.option("--org", "organisation", help="Only the accounts of this organisation.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@db_option
def account_list(organisation: str | None, as_json: bool, url: str) -> None:
    """List accounts by id; names are personal data and shown masked."""
    with _policy(url) as policy:
        found = policy.accounts(organisation)
    if as_json:
        echo_json(
            [
                {
                    "id": a.id,
                    "organisation": a.organisation,
                    "role": a.role.value,
                    "name": mask_name(a.name),
                    "key_id": a.key_id,
                    "active": a.active,
                }
                for a in found
            ]
        )
        return
    rows = [("ID", "ORGANISATION", "ROLE", "STATE", "KEY", "NAME")]
    rows += [
        (
            a.id,
            a.organisation,
            a.role.value,
            "active" if a.active else "disabled",
            a.key_id or "-",
            mask_name(a.name),
        )
        for a in found
    ]
    table(rows)


@account.command("disable")
@click.argument("account_id", metavar="ID")
@db_option
def account_disable(account_id: str, url: str) -> None:
    """Disable an account at once: from now on it is denied everything."""
    with _policy(url) as policy:
        policy.set_account_active(account_id, active=False)
    click.echo(f"Account {account_id} is disabled.")


@account.command("enable")
@click.argument("account_id", metavar="ID")
@db_option
def account_enable(account_id: str, url: str) -> None:
    """Enable a disabled account again."""
    with _policy(url) as policy:
        policy.set_account_active(account_id, active=True)
    click.echo(f"Account {account_id} is enabled.")


# --- agreements ---------------------------------------------------------------------------------


@cctv.group("agreement")
def agreement() -> None:
    """Standing sharing agreements (an MoU or PKS) between a camera owner and another party."""


def _scope_text(scope: CameraScope) -> str:
    if scope.everything:
        return "all cameras"
    parts = []
    if scope.cameras:
        parts.append("cameras " + ",".join(sorted(scope.cameras)))
    if scope.sites:
        parts.append("sites " + ",".join(sorted(scope.sites)))
    if scope.districts:
        parts.append("kecamatan " + ",".join(sorted(d.value for d in scope.districts)))
    if scope.purposes:
        parts.append("purposes " + ",".join(sorted(p.value for p in scope.purposes)))
    return "; ".join(parts)


def _agreement_state(found: SharingAgreement, now: dt.datetime) -> str:
    if found.revoked_at is not None and found.revoked_at <= now:
        return "revoked"
    if now < found.valid_from:
        return "not yet"
    if found.valid_until is not None and found.valid_until <= now:
        return "ended"
    return "in force"


@agreement.command("add")
@click.argument("agreement_id", metavar="ID")
@click.option("--owner", required=True, help="The organisation whose cameras are shared.")
@click.option("--grantee", required=True, help="The organisation that may use them.")
@click.option(
    "--by", "by", required=True, metavar="ACCOUNT", help="The owner's admin account making it."
)
@click.option("--legal-basis", required=True, help="The MoU or PKS reference that allows it.")
@click.option("--rights", required=True, metavar="LIST", help=f"Comma-separated: {_RIGHTS}.")
@click.option("--cameras", metavar="LIST", help="Camera ids it covers (comma-separated).")
@click.option("--sites", metavar="LIST", help="Site ids it covers (comma-separated).")
@click.option("--districts", metavar="LIST", help="Kecamatan codes it covers (73.71.10,73.71.04).")
@click.option(
    "--purposes", metavar="LIST", help=f"Purposes it covers: {', '.join(Purpose)} (comma-sep.)."
)
@click.option("--all-cameras", is_flag=True, help="It covers every camera of the owner.")
@click.option(
    "--from",
    "valid_from",
    required=True,
    metavar="TIME",
    help="When it starts: ISO 8601 with an offset, or a date (midnight in the owner's city).",
)
@click.option(
    "--until", "valid_until", metavar="TIME", help="When it ends (default: until revoked)."
)
@db_option
def agreement_add(  # noqa: PLR0913, PLR0917 - one parameter per option
    agreement_id: str,
    owner: str,
    grantee: str,
    by: str,
    legal_basis: str,
    rights: str,
    cameras: str | None,
    sites: str | None,
    districts: str | None,
    purposes: str | None,
    all_cameras: bool,
    valid_from: str,
    valid_until: str | None,
    url: str,
) -> None:
    """Record a sharing agreement, made by an admin of the owner."""
    with _policy(url) as policy:
        city = _city_of(policy, owner)
        policy.organisation(grantee)
        start = _instant(valid_from, "--from", lambda: city)
        end = _instant(valid_until, "--until", lambda: city) if valid_until else None
        scope = CameraScope(
            cameras=_items(cameras),
            sites=_items(sites),
            districts=_items(districts),
            purposes=_items(purposes),
            everything=all_cameras,
        )
        made = policy.create_agreement(
            SharingAgreement(
                id=agreement_id,
                owner=owner,
                grantee=grantee,
                scope=scope,
                rights=_items(rights),
                legal_basis=legal_basis,
                valid_from=start,
                valid_until=end,
            ),
            by=by,
        )
    click.echo(
        f"Agreement {made.id} added: {owner} shares {_scope_text(made.scope)} with {grantee} "
        f"({_rights(made.rights)}) from {_shown(made.valid_from, city)} until "
        f"{_shown(made.valid_until, city) if made.valid_until else 'revoked'}."
    )


@agreement.command("list")
@click.option("--org", "organisation", help="Only agreements where it is owner or grantee.")
@click.option("--in-force", is_flag=True, help="Only agreements in force now.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@db_option
def agreement_list(organisation: str | None, in_force: bool, as_json: bool, url: str) -> None:
    """List agreements by id; times are shown in the owner's city's zone."""
    now = dt.datetime.now(dt.UTC)
    with _policy(url) as policy:
        found = policy.agreements(organisation=organisation, in_force_at=now if in_force else None)
        cities = {o.id: o.city for o in policy.organisations()}
    if as_json:
        echo_json([_agreement_json(a, now) for a in found])
        return
    rows = [("ID", "OWNER", "GRANTEE", "RIGHTS", "FROM", "UNTIL", "STATE", "SCOPE")]
    for a in found:
        city = cities.get(a.owner)
        rows.append(
            (
                a.id,
                a.owner,
                a.grantee,
                _rights(a.rights),
                _shown(a.valid_from, city),
                _shown(a.valid_until, city),
                _agreement_state(a, now),
                _scope_text(a.scope),
            )
        )
    table(rows)


def _agreement_json(found: SharingAgreement, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": found.id,
        "owner": found.owner,
        "grantee": found.grantee,
        "scope": found.scope.to_json(),
        "rights": [r.value for r in Right if r in found.rights],
        "legal_basis": found.legal_basis,
        "valid_from": _utc(found.valid_from),
        "valid_until": _utc(found.valid_until),
        "revoked_at": _utc(found.revoked_at),
        "revoked_by": found.revoked_by,
        "revoke_reason": found.revoke_reason,
        "state": _agreement_state(found, now),
    }


@agreement.command("revoke")
@click.argument("agreement_id", metavar="ID")
@click.option(
    "--by", required=True, metavar="ACCOUNT", help="An admin account of the owner or grantee."
)
@click.option("--reason", required=True, help="Why it is revoked (kept in the audit log).")
@db_option
def agreement_revoke(agreement_id: str, by: str, reason: str, url: str) -> None:
    """Revoke an agreement now: from this moment it allows nothing."""
    with _policy(url) as policy:
        before = policy.agreement(agreement_id)
        after = policy.revoke_agreement(agreement_id, by=by, reason=reason)
    if before.revoked_at is not None:
        click.echo(
            f"Agreement {agreement_id} was already revoked at {_utc(after.revoked_at)} "
            f"by {after.revoked_by}."
        )
        return
    click.echo(f"Agreement {agreement_id} is revoked.")


# --- incident grants ----------------------------------------------------------------------------


@cctv.group("grant")
def grant() -> None:
    """Time-bound access for one incident, to the owner's cameras near a place."""


def _grant_covers(found: IncidentGrant) -> str:
    parts = []
    if found.center is not None:
        parts.append(f"{found.radius_m} m around {found.center}")
    if found.cameras:
        parts.append("cameras " + ",".join(sorted(found.cameras)))
    return "; ".join(parts)


def _grant_state(found: IncidentGrant, now: dt.datetime) -> str:
    if found.revoked_at is not None and found.revoked_at <= now:
        return "revoked"
    if now < found.granted_at:
        return "not yet"
    if found.expires_at <= now:
        return "expired"
    return "in force"


def _point(text: str) -> GeoPoint:
    try:
        return GeoPoint.parse(text)
    except ValidationError as e:
        raise ValidationError.single("near", e.errors[0].message) from None


@grant.command("add")
@click.option("--case", "case_number", required=True, help="The police report or case number.")
@click.option("--reason", required=True, help="Why access is needed.")
@click.option("--owner", required=True, help="The organisation whose cameras are opened.")
@click.option("--org", "organisation", required=True, help="The organisation given access.")
@click.option(
    "--requested-by", required=True, metavar="ACCOUNT", help="The requesting officer's account."
)
@click.option(
    "--approved-by", required=True, metavar="ACCOUNT", help="The owner's admin who approves it."
)
@click.option(
    "--near",
    metavar="LAT,LON",
    help="The incident's place; write --near=-5.19,119.43 (a minus would read as an option).",
)
@click.option(
    "--radius",
    type=int,
    default=500,
    show_default=True,
    metavar="M",
    help="Metres around --near (1 to 5000).",
)
@click.option("--cameras", metavar="LIST", help="Cameras covered wherever they are (comma-sep.).")
@click.option(
    "--footage-from", required=True, metavar="TIME", help="Start of the incident's time window."
)
@click.option(
    "--footage-until", required=True, metavar="TIME", help="End of the incident's time window."
)
@click.option(
    "--hours",
    type=click.IntRange(1, _MAX_GRANT_HOURS),
    metavar="H",
    help=f"How long access lasts from now (default {DEFAULT_GRANT_HOURS}).",
)
@click.option("--until", "until", metavar="TIME", help="When access ends (instead of --hours).")
@click.option(
    "--rights", metavar="LIST", help="Comma-separated (default live,playback,snapshot,export)."
)
@db_option
def grant_add(  # noqa: PLR0913, PLR0917 - one parameter per option
    case_number: str,
    reason: str,
    owner: str,
    organisation: str,
    requested_by: str,
    approved_by: str,
    near: str | None,
    radius: int,
    cameras: str | None,
    footage_from: str,
    footage_until: str,
    hours: int | None,
    until: str | None,
    rights: str | None,
    url: str,
) -> None:
    """Record an incident grant from now, approved by an admin of the owner; prints its number."""
    if near is None and not _items(cameras):
        fail("give the incident's place (--near LAT,LON) or the cameras (--cameras A,B)")
    if hours is not None and until is not None:
        fail("give --hours or --until, not both")
    with _policy(url) as policy:
        city = _city_of(policy, owner)
        policy.organisation(organisation)
        start = _instant(footage_from, "--footage-from", lambda: city)
        end = _instant(footage_until, "--footage-until", lambda: city)
        expires = _instant(until, "--until", lambda: city) if until else None
        now = dt.datetime.now(dt.UTC)
        extra: dict[str, Any] = {"rights": _items(rights)} if rights is not None else {}
        made = policy.grant_incident(
            IncidentGrant(
                case_number=case_number,
                reason=reason,
                owner=owner,
                organisation=organisation,
                requested_by=requested_by,
                approved_by=approved_by,
                center=_point(near) if near is not None else None,
                radius_m=radius,
                cameras=_items(cameras),
                footage_from=start,
                footage_until=end,
                granted_at=now,
                expires_at=expires or now + dt.timedelta(hours=hours or DEFAULT_GRANT_HOURS),
                **extra,
            )
        )
    click.echo(
        f"Grant {made.id} added for case {made.case_number}: {organisation} may use {owner}'s "
        f"cameras ({_grant_covers(made)}) for {_rights(made.rights)} "
        f"until {_shown(made.expires_at, city)}."
    )


@grant.command("list")
@click.option("--org", "organisation", help="Only grants where it is owner or given access.")
@click.option("--case", "case_number", help="Only grants for this case number.")
@click.option("--in-force", is_flag=True, help="Only grants in force now.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@db_option
def grant_list(
    organisation: str | None, case_number: str | None, in_force: bool, as_json: bool, url: str
) -> None:
    """List grants by number; times are shown in the owner's city's zone."""
    now = dt.datetime.now(dt.UTC)
    with _policy(url) as policy:
        found = policy.grants(
            organisation=organisation,
            case_number=case_number,
            in_force_at=now if in_force else None,
        )
        cities = {o.id: o.city for o in policy.organisations()}
    if as_json:
        echo_json([_grant_json(g, now) for g in found])
        return
    rows = [("N", "OWNER", "ORGANISATION", "RIGHTS", "EXPIRES", "STATE", "COVERS", "CASE")]
    rows += [
        (
            str(g.id),
            g.owner,
            g.organisation,
            _rights(g.rights),
            _shown(g.expires_at, cities.get(g.owner)),
            _grant_state(g, now),
            _grant_covers(g),
            g.case_number,
        )
        for g in found
    ]
    table(rows)


def _grant_json(found: IncidentGrant, now: dt.datetime) -> dict[str, Any]:
    center = found.center
    return {
        "id": found.id,
        "case_number": found.case_number,
        "reason": found.reason,
        "owner": found.owner,
        "organisation": found.organisation,
        "requested_by": found.requested_by,
        "approved_by": found.approved_by,
        "center": None if center is None else {"lat": center.latitude, "lon": center.longitude},
        "radius_m": found.radius_m,
        "cameras": sorted(found.cameras),
        "rights": [r.value for r in Right if r in found.rights],
        "footage_from": _utc(found.footage_from),
        "footage_until": _utc(found.footage_until),
        "granted_at": _utc(found.granted_at),
        "expires_at": _utc(found.expires_at),
        "revoked_at": _utc(found.revoked_at),
        "revoked_by": found.revoked_by,
        "revoke_reason": found.revoke_reason,
        "state": _grant_state(found, now),
    }


@grant.command("revoke")
@click.argument("grant_id", metavar="N", type=click.IntRange(1, _MAX_GRANT_ID))
@click.option(
    "--by",
    required=True,
    metavar="ACCOUNT",
    help="An admin account of the owner or of the organisation given access.",
)
@click.option("--reason", required=True, help="Why it ends early (kept in the audit log).")
@db_option
def grant_revoke(grant_id: int, by: str, reason: str, url: str) -> None:
    """End a grant now, before it expires."""
    with _policy(url) as policy:
        before = policy.grant(grant_id)
        after = policy.revoke_grant(grant_id, by=by, reason=reason)
    if before.revoked_at is not None:
        click.echo(
            f"Grant {grant_id} was already revoked at {_utc(after.revoked_at)} "
            f"by {after.revoked_by}."
        )
        return
    click.echo(f"Grant {grant_id} ({after.case_number}) is revoked.")


# --- decisions ----------------------------------------------------------------------------------


@cctv.command("check")
@click.argument("account_id", metavar="ACCOUNT")
@click.argument("camera_id", metavar="CAMERA")
@click.argument("right", metavar="RIGHT", type=click.Choice([r.value for r in Right]))
@click.option(
    "--at",
    metavar="TIME",
    help="Ask about this time instead of now (a date alone: midnight in the camera's city).",
)
@click.option(
    "--grant",
    "grant_id",
    type=click.IntRange(1, _MAX_GRANT_ID),
    metavar="N",
    help="Consider only this incident grant (acting under a named incident).",
)
@db_option
def check(  # noqa: PLR0913, PLR0917 - one parameter per option
    account_id: str, camera_id: str, right: str, at: str | None, grant_id: int | None, url: str
) -> None:
    """Say whether ACCOUNT may use RIGHT on CAMERA, and why (nothing is recorded).

    Exits 0 when allowed, 1 when denied, 2 on bad input.
    """
    with _policy(url) as policy:
        when = None
        if at is not None:
            when = _instant(at, "--at", lambda: policy.registry.get(camera_id).city)
        decision = policy.decide(account_id, camera_id, right, at=when, grant=grant_id)
    click.echo(f"{'ALLOWED' if decision.allowed else 'DENIED'}: {decision.reason}")
    if not decision.allowed:
        raise SystemExit(1)


def _report_city(
    policy: AccessPolicy,
    camera: str | None,
    organisation: str | None,
    account_id: str | None,
    incident: str | None,
) -> str | None:
    """The city whose zone a date alone in --since/--until is read in: the first filter's."""

    def by_incident(text: str) -> str:
        found = policy.grants(case_number=text)
        if not found and text.isascii() and text.isdigit():
            found = [policy.grant(int(text))]
        if not found:
            raise NotFoundError(f"no grant {text}")
        return _city_of(policy, found[0].owner)

    lookups: list[Callable[[], str]] = []
    if camera is not None:
        lookups.append(lambda: policy.registry.get(camera).city)
    if organisation is not None:
        lookups.append(lambda: _city_of(policy, organisation))
    if account_id is not None:
        lookups.append(lambda: _city_of(policy, policy.account(account_id).organisation))
    if incident is not None:
        lookups.append(lambda: by_incident(incident.strip()))
    for lookup in lookups:
        with contextlib.suppress(NotFoundError, ValidationError):
            return lookup()
    return None


def _basis(record: AccessRecord) -> str:
    if record.basis is Basis.AGREEMENT:
        return record.agreement or "agreement"
    if record.basis is Basis.GRANT:
        return f"grant {record.grant} ({record.case_number})"
    if record.basis is Basis.OWNER:
        return "owner"
    return "-"


@cctv.command("access-report")
@click.option("--camera", help="Decisions on this camera.")
@click.option("--org", "organisation", help="Decisions for this organisation's accounts.")
@click.option(
    "--incident",
    metavar="N|CASE",
    help="Decisions that rested on this grant (its number, or the case number).",
)
@click.option("--account", "account_id", metavar="ID", help="Decisions on this account's requests.")
@click.option(
    "--since",
    metavar="TIME",
    help="From this time (a date alone: midnight in the city of the first filter).",
)
@click.option("--until", metavar="TIME", help="Before this time.")
@click.option("--denied-only", is_flag=True, help="Only denied requests.")
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")
@db_option
def access_report(  # noqa: PLR0913, PLR0917 - one parameter per option
    camera: str | None,
    organisation: str | None,
    incident: str | None,
    account_id: str | None,
    since: str | None,
    until: str | None,
    denied_only: bool,
    as_json: bool,
    url: str,
) -> None:
    """Who used which camera, when, under which agreement or grant (recorded decisions).

    Give at least one of --camera, --org, --incident and --account; they combine. Times are in
    UTC. AUDIT SEQ is the audit-log entry that records the decision (check the chain with
    `smartcity-kit audit verify`).
    """
    if camera is None and organisation is None and incident is None and account_id is None:
        fail("give at least one of --camera, --org, --incident or --account")
    with _policy(url) as policy:

        def city() -> str | None:
            return _report_city(policy, camera, organisation, account_id, incident)

        start = _instant(since, "--since", city) if since else None
        end = _instant(until, "--until", city) if until else None
        found = policy.access_report(
            camera=camera,
            organisation=organisation,
            incident=incident,
            account=account_id,
            since=start,
            until=end,
            allowed=False if denied_only else None,
        )
    if as_json:
        echo_json([_record_json(r) for r in found])
        return
    rows = [
        (
            "TIME (UTC)",
            "ACCOUNT",
            "ORGANISATION",
            "CAMERA",
            "RIGHT",
            "DECISION",
            "BASIS",
            "AUDIT SEQ",
        )
    ]
    rows += [
        (
            f"{r.at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}Z",
            r.account,
            r.organisation or "-",
            r.camera,
            r.right.value,
            "ALLOWED" if r.allowed else "DENIED",
            _basis(r),
            str(r.audit_seq),
        )
        for r in found
    ]
    table(rows)
    allowed = sum(r.allowed for r in found)
    click.echo(f"{len(found)} decision(s): {allowed} allowed, {len(found) - allowed} denied")


def _record_json(record: AccessRecord) -> dict[str, Any]:
    return {
        "audit_seq": record.audit_seq,
        "at": _utc(record.at),
        "account": record.account,
        "organisation": record.organisation,
        "camera": record.camera,
        "right": record.right.value,
        "allowed": record.allowed,
        "basis": record.basis.value if record.basis else None,
        "agreement": record.agreement,
        "grant": record.grant,
        "case_number": record.case_number,
        "reason": record.reason,
    }
