"""``smartcity-kit serve``: run the web app with waitress."""

from __future__ import annotations

import datetime as dt

import click

from smartcity_kit.cli._output import fail
from smartcity_kit.cli._storage import db_option, opened
from smartcity_kit.core import CityProfile
from smartcity_kit.errors import NotFoundError
from smartcity_kit.storage import ApiKeys, Role, upgrade

DEMO_KEY_NAME = "demo open311 client"


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--city",
    "cities",
    multiple=True,
    metavar="SLUG",
    help="A built-in city to serve (repeatable; default makassar, or the demo cities).",
)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--public-url",
    metavar="URL",
    help="Where clients reach the app (behind a proxy), for the discovery document.",
)
@click.option(
    "--demo",
    is_flag=True,
    help="Upgrade the database and seed Makassar and Baubau with demo data (idempotent).",
)
def serve(  # noqa: PLR0913, PLR0917 - one parameter per option
    url: str,
    host: str,
    port: int,
    cities: tuple[str, ...],
    threads: int,
    public_url: str | None,
    demo: bool,
) -> None:
    """Serve Open311 GeoReport v2 and the staff API (needs the 'server' extra)."""
    try:
        import waitress  # noqa: PLC0415 - the 'server' extra

        from smartcity_kit.web import AppConfig, create_app  # noqa: PLC0415
    except ImportError:
        fail("serving needs the 'server' extra: pip install 'smartcity-kit[server]'")
    from smartcity_kit.economy._demo import seed_economy_demo  # noqa: PLC0415
    from smartcity_kit.egov._demo import DEMO_CITIES, seed_demo  # noqa: PLC0415

    slugs = cities or (DEMO_CITIES if demo else ("makassar",))
    try:
        profiles = tuple(CityProfile.builtin(s) for s in slugs)
    except NotFoundError as e:
        fail(str(e))
    with opened(url, create=demo) as database:
        if demo:
            upgrade(database)
            click.echo("Seeding demo data (first run takes up to half a minute)...", err=True)
            counts = seed_demo(database, now=dt.datetime.now(dt.UTC))
            economy = seed_economy_demo(
                database, today=dt.datetime.now(profiles[0].time_zone.zone).date()
            )
            keys = ApiKeys(database)
            for old in keys.list():
                if old.name == DEMO_KEY_NAME and old.active:
                    keys.revoke(old.key_id, actor="demo")
            _, key = keys.create(DEMO_KEY_NAME, Role.OPEN311_CLIENT, actor="demo")
            click.echo(f"Demo requests: {counts}")
            click.echo(f"Demo enterprises: {economy}")
            click.echo(f"Demo API key (open311-client): {key}")
        database.require_current_schema()
        base = f"http://{host}:{port}"
        app = create_app(
            AppConfig(database_url=url, cities=profiles, public_url=public_url or base),
            database=database,
        )
        fleet = None
        if demo:
            from smartcity_kit.cli._demo_fleet import CAMERAS_PER_CITY, start_demo_fleet  # noqa: PLC0415

            fleet = start_demo_fleet(database, profiles)
            click.echo(
                f"Demo cameras: {CAMERAS_PER_CITY} simulated cameras per city on 127.0.0.1, "
                "polled every 30 s (smartcity-kit cameras list)"
            )
        click.echo(f"Serving {', '.join(p.name for p in profiles)} on {base}")
        click.echo(f"  Open311:   {base}/open311/v2/services.json")
        click.echo(f"  Discovery: {base}/open311/discovery.json")
        click.echo(f"  Staff API: {base}/api/cities")
        click.echo(f"  Health:    {base}/healthz")
        try:
            waitress.serve(app, host=host, port=port, threads=threads, ident="smartcity-kit")
        finally:
            if fleet is not None:
                fleet.stop()
