"""``smartcity-kit keys``: API keys with roles."""

from __future__ import annotations

import click

from smartcity_kit.cli._output import echo_json, table
from smartcity_kit.cli._storage import db_option, opened
from smartcity_kit.storage import ApiKeys, Role


@click.group()
def keys() -> None:
    """Create, list and revoke API keys (stored hashed; shown once)."""


@keys.command("create")
@click.option("--name", required=True, help="Who or what holds the key.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--city", help="Limit the key to one city (slug).")
@click.option("--agency", help="For an operator: the agency whose requests it works.")
@db_option
def create(name: str, role: str, city: str | None, agency: str | None, url: str) -> None:
    """Make a key and print it once; keep it somewhere safe."""
    with opened(url) as database:
        record, key = ApiKeys(database).create(name, Role(role), city=city, agency=agency)
    click.echo(key)
    click.echo(
        f"Key {record.key_id} ({record.role.value}) for {record.name}. It is shown only now; "
        "only its hash is stored.",
        err=True,
    )


@keys.command("list")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def list_keys(url: str, as_json: bool) -> None:
    """List keys (never the secrets)."""
    with opened(url) as database:
        found = ApiKeys(database).list()
    if as_json:
        echo_json(
            [
                {
                    "key_id": k.key_id,
                    "name": k.name,
                    "role": k.role.value,
                    "city": k.city,
                    "agency": k.agency,
                    "created_at": k.created_at.isoformat(),
                    "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
                }
                for k in found
            ]
        )
        return
    rows = [("KEY", "ROLE", "CITY", "AGENCY", "STATE", "NAME")]
    rows += [
        (
            k.key_id,
            k.role.value,
            k.city or "*",
            k.agency or "-",
            "active" if k.active else "revoked",
            k.name,
        )
        for k in found
    ]
    table(rows)


@keys.command("revoke")
@click.argument("key_id")
@db_option
def revoke(key_id: str, url: str) -> None:
    """Revoke a key at once (by the id that 'keys list' shows)."""
    with opened(url) as database:
        record = ApiKeys(database).revoke(key_id)
    click.echo(f"Key {record.key_id} ({record.name}) is revoked.")
