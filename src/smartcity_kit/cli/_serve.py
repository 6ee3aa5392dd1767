"""``smartcity-kit serve``: run the web app with waitress."""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import functools
import os
import signal
import socket
import sys
import traceback
from collections.abc import Callable
from typing import Any, Final, NoReturn

import click

from smartcity_kit.cli._output import fail
from smartcity_kit.cli._storage import db_option, opened
from smartcity_kit.core import CityProfile
from smartcity_kit.errors import NotFoundError
from smartcity_kit.storage import ApiKeys, Database, Role, upgrade

DEMO_KEY_NAME = "demo open311 client"
#: The interpreter's thread switch interval while serving (seconds; Python's default is 0.005).
#: A thread that holds the database's write lock gives up the GIL at every SQLite call and must
#: win it back from threads parsing other requests; at 5 ms a turn, those waits make writes
#: queue up behind the lock. 1 ms measured best (benchmarks/open311_http.py).
SWITCH_INTERVAL: Final = 0.001


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
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads per worker process.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes sharing the port (POSIX; one per CPU core is a good start).",
)
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
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="Print one JSON line per request on standard error (no personal data, no keys).",
)
def serve(  # noqa: PLR0913, PLR0917 - one parameter per option
    url: str,
    host: str,
    port: int,
    cities: tuple[str, ...],
    threads: int,
    workers: int,
    public_url: str | None,
    demo: bool,
    access_log: bool,
) -> None:
    """Serve the city dashboard, Open311 GeoReport v2 and the JSON API ('server' extra)."""
    try:
        from smartcity_kit.cli._waitress import serve as quiet_serve  # noqa: PLC0415 - 'server'
        from smartcity_kit.web import AppConfig, create_app  # noqa: PLC0415
    except ImportError:
        fail("serving needs the 'server' extra: pip install 'smartcity-kit[server]'")
    from smartcity_kit.egov._demo import DEMO_CITIES  # noqa: PLC0415

    sys.setswitchinterval(SWITCH_INTERVAL)
    if workers > 1 and not hasattr(os, "fork"):
        fail("--workers above 1 needs a POSIX system (fork); use --threads on Windows")
    slugs = cities or (DEMO_CITIES if demo else ("makassar",))
    try:
        profiles = tuple(CityProfile.builtin(s) for s in slugs)
    except NotFoundError as e:
        fail(str(e))
    with opened(url, create=demo) as database:
        if (
            workers > 1
            and database.dialect == "sqlite"
            and database.engine.url.database in (None, "", ":memory:")
        ):
            fail("--workers above 1 needs a database file or PostgreSQL, not an in-memory one")
        if demo:
            _seed(database, profiles)
        database.require_current_schema()
        base = f"http://{host}:{port}"
        config = AppConfig(database_url=url, cities=profiles, public_url=public_url or base)
        fleet: list[Any] = []

        def start_fleet() -> None:
            if not demo:
                return
            from smartcity_kit.cli._demo_fleet import CAMERAS_PER_CITY, start_demo_fleet  # noqa: PLC0415

            fleet.append(start_demo_fleet(database, profiles))
            click.echo(
                f"Demo cameras: {CAMERAS_PER_CITY} simulated cameras per city on 127.0.0.1, "
                "polled every 30 s (smartcity-kit cameras list)"
            )

        click.echo(f"Serving {', '.join(p.name for p in profiles)} on {base}")
        click.echo(f"  Dashboard: {base}/")
        click.echo(f"  Open311:   {base}/open311/v2/services.json")
        click.echo(f"  Discovery: {base}/open311/discovery.json")
        click.echo(f"  Staff API: {base}/api/cities")
        click.echo(f"  Health:    {base}/healthz")
        try:
            if workers == 1:
                start_fleet()
                app = create_app(_with_access_log(config, on=access_log), database=database)
                quiet_serve(app, host=host, port=port, threads=threads, ident="smartcity-kit")
            else:
                click.echo(f"  Workers:   {workers} processes x {threads} threads")
                # Fork before any thread starts (the demo fleet runs in this process).
                database.dispose()
                _serve_forked(
                    config,
                    host,
                    port,
                    workers=workers,
                    threads=threads,
                    started=start_fleet,
                    access_log=access_log,
                )
        finally:
            for running in fleet:
                running.stop()


def _with_access_log(config: Any, *, on: bool) -> Any:
    """``config`` with the access log written to standard error, in batches (unless off)."""
    if not on:
        return config
    import attrs  # noqa: PLC0415

    from smartcity_kit.web._access_log import LineWriter  # noqa: PLC0415 - 'server' extra

    writer = LineWriter(sys.stderr)
    atexit.register(writer.close)
    return attrs.evolve(config, access_log=writer)


def _seed(database: Database, profiles: tuple[CityProfile, ...]) -> None:
    """Upgrade and seed the demo data; print the counts and a fresh demo key."""
    from smartcity_kit.economy._demo import seed_economy_demo  # noqa: PLC0415
    from smartcity_kit.egov._demo import seed_demo  # noqa: PLC0415
    from smartcity_kit.egov.cooperation._demo import seed_cooperation_demo  # noqa: PLC0415
    from smartcity_kit.egov.permits._demo import seed_permits_demo  # noqa: PLC0415

    upgrade(database)
    click.echo("Seeding demo data (first run takes up to half a minute)...", err=True)
    counts = seed_demo(database, now=dt.datetime.now(dt.UTC))
    permit_counts = seed_permits_demo(database, now=dt.datetime.now(dt.UTC))
    economy = seed_economy_demo(database, today=dt.datetime.now(profiles[0].time_zone.zone).date())
    cooperation = seed_cooperation_demo(
        database, today=dt.datetime.now(CityProfile.builtin("makassar").time_zone.zone).date()
    )
    keys = ApiKeys(database)
    for old in keys.list():
        if old.name == DEMO_KEY_NAME and old.active:
            keys.revoke(old.key_id, actor="demo")
    _, key = keys.create(DEMO_KEY_NAME, Role.OPEN311_CLIENT, actor="demo")
    click.echo(f"Demo requests: {counts}")
    click.echo(f"Demo enterprises: {economy}")
    click.echo(f"Demo permit applications: {permit_counts}")
    click.echo(f"Demo cooperation agreements: {cooperation}")
    click.echo(f"Demo API key (open311-client): {key}")


def _serve_forked(  # noqa: PLR0913 - where, how many, and what to do once forked
    config: Any,
    host: str,
    port: int,
    *,
    workers: int,
    threads: int,
    started: Callable[[], None],
    access_log: bool = True,
) -> None:
    """Bind once, fork ``workers`` processes that each serve the socket, and wait for them.

    Each worker opens its own database connections after the fork (a connection must never
    cross one). Writers in different processes queue on the database's writer lock. Ctrl-C or
    SIGTERM stops them all; if one dies, the others are stopped too.
    """
    from smartcity_kit.cli._waitress import Balance  # noqa: PLC0415
    from smartcity_kit.cli._waitress import serve as quiet_serve  # noqa: PLC0415
    from smartcity_kit.storage import Database  # noqa: PLC0415
    from smartcity_kit.web import create_app  # noqa: PLC0415

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # A service manager stops the parent with SIGTERM: the workers must go with it. Set before
    # the first fork, so that no SIGTERM can kill the parent and leave workers behind.
    signal.signal(signal.SIGTERM, stop)
    listener = socket.create_server((host, port), backlog=1024)
    children: list[int] = []
    ended: int | None = None
    try:
        balance = Balance(workers)  # how many connections each worker holds, seen by all
        for index in range(workers):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child, which never returns
                logged = _with_access_log(config, on=access_log)  # its thread, in the worker
                serve = functools.partial(quiet_serve, balance=balance, worker=index)
                _work(logged, listener, threads, serve, create_app, Database)
            children.append(pid)
        listener.close()
        started()
        ended, _ = os.wait()  # the first worker to end (it should not) ends the service
    except KeyboardInterrupt:
        pass
    finally:
        # Also when a fork failed half-way: the workers already started go too.
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
    if ended is not None:
        # Non-zero, so that a service manager (systemd's Restart=on-failure) starts it again.
        fail(f"worker process {ended} ended; the other workers were stopped")


def _interrupted(_signum: int, _frame: object) -> NoReturn:  # pragma: no cover - in a worker
    raise KeyboardInterrupt


def _work(  # pragma: no cover - runs in a forked worker  # noqa: PLR0913, PLR0917
    config: Any,
    listener: socket.socket,
    threads: int,
    serve: Callable[..., None],
    create_app: Callable[..., Any],
    database: Callable[[str | None], Any],
) -> NoReturn:
    """A worker's life: serve the shared socket until stopped; say why if it fails."""
    status = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us, with SIGTERM:
        signal.signal(signal.SIGTERM, _interrupted)  # waitress ends its loop, and the access
        # lines and queue warnings still held are written before the worker exits
        app = create_app(config, database=database(config.database_url))
        serve(app, sockets=[listener], threads=threads, ident="smartcity-kit")
    except KeyboardInterrupt:  # stopped before it served
        pass
    except BaseException:  # noqa: BLE001 - a worker reports and exits, never returns
        status = 1
        traceback.print_exc()
    finally:
        close = getattr(config.access_log, "close", None)
        if close is not None:  # the lines of the last moments (os._exit skips atexit)
            close()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
