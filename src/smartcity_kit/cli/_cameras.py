"""``smartcity-kit cameras``: the camera registry, probing, fleet polling, events, simulators."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import click

from smartcity_kit.cli._output import echo_json, fail, table
from smartcity_kit.cli._storage import db_option, opened
from smartcity_kit.errors import SmartCityError
from smartcity_kit.security import (
    Camera,
    CameraEvent,
    CameraRegistry,
    CameraStatus,
    Credentials,
    Endpoint,
    FleetMonitor,
    HealthCheck,
    Owner,
    OwnerKind,
    SecretBox,
    Timeouts,
    VendorProtocol,
)

#: Where ``cameras probe`` reads the password when it is not typed at the prompt.
PASSWORD_VARIABLE: Final = "SMARTCITY_CAMERA_PASSWORD"  # noqa: S105 - a variable name


@click.group()
def cameras() -> None:
    """The city's camera registry: import, list, probe, poll, follow events, simulate."""


@cameras.command("secret-key")
def secret_key() -> None:
    """Print a new key for SMARTCITY_SECRET_KEY (encrypts camera credentials at rest)."""
    click.echo(SecretBox.generate_key())
    click.echo(
        "Set it as SMARTCITY_SECRET_KEY wherever smartcity-kit runs; keep it out of the "
        "database and out of version control.",
        err=True,
    )


@cameras.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--update", is_flag=True, help="Change cameras already registered.")
@db_option
def import_cameras(file: Path, update: bool, url: str) -> None:
    """Import an inventory (CSV or JSON): every row, or none when any row is wrong."""
    with opened(url) as database:
        try:
            imported = CameraRegistry(database).import_file(
                file, actor="cli", update_existing=update
            )
        except SmartCityError as e:
            errors = getattr(e, "errors", None)
            if errors:
                click.echo(f"Nothing was imported; {len(errors)} problem(s):", err=True)
                for error in errors:
                    click.echo(f"  {error}", err=True)
                raise SystemExit(2) from None
            raise
    click.echo(f"Imported {len(imported)} camera(s) from {file.name}.")


@cameras.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@click.option("--city", help="Only this city (slug).")
@click.option(
    "--reveal-personal-data", is_flag=True, help="Owners' contacts unmasked (for re-import)."
)
@db_option
def export_cameras(fmt: str, city: str | None, reveal_personal_data: bool, url: str) -> None:
    """Print the inventory (never credentials)."""
    with opened(url) as database:
        registry = CameraRegistry(database)
        if fmt == "csv":
            click.echo(
                registry.export_csv(reveal_personal_data=reveal_personal_data, city=city), nl=False
            )
        else:
            click.echo(registry.export_json(reveal_personal_data=reveal_personal_data, city=city))


@cameras.command("list")
@click.option("--city", help="Only this city (slug).")
@click.option("--district", help="Only this kecamatan (region code).")
@click.option("--owner", help="Only this owner (code).")
@click.option("--owner-kind", type=click.Choice([k.value for k in OwnerKind]))
@click.option("--status", type=click.Choice([s.value for s in CameraStatus]))
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@db_option
def list_cameras(  # noqa: PLR0913, PLR0917 - one option per filter
    city: str | None,
    district: str | None,
    owner: str | None,
    owner_kind: str | None,
    status: str | None,
    as_json: bool,
    url: str,
) -> None:
    """List cameras with their last known health."""
    with opened(url) as database:
        registry = CameraRegistry(database)
        found = registry.list(
            city=city,
            district=district,
            owner=owner,
            owner_kind=OwnerKind(owner_kind) if owner_kind else None,
            status=CameraStatus(status) if status else None,
        )
        health = {h.camera_id: h for h in FleetMonitor(registry).latest(c.id for c in found)}
    if as_json:
        echo_json([_camera_json(c, health.get(c.id)) for c in found])
        return
    rows = [("ID", "PROTOCOL", "ENDPOINT", "KECAMATAN", "OWNER", "STATUS", "HEALTH", "NAME")]
    for c in found:
        h = health.get(c.id)
        state = "-" if h is None else ("online" if h.online else "offline")
        if h is not None and h.authenticated is False:
            state = "auth failed"
        district_code = c.location.district.value if c.location.district else "-"
        rows.append(
            (
                c.id,
                c.protocol.value,
                str(c.endpoint),
                district_code,
                c.owner.code,
                c.status.value,
                state,
                c.name,
            )
        )
    table(rows)
    click.echo(f"{len(found)} camera(s)", err=True)


def _state(health: HealthCheck) -> str:
    if not health.online:
        return "offline"
    if health.authenticated is False:
        return "auth failed"
    return "no snapshot" if health.snapshot_ok is False else "online"


def _camera_json(camera: Camera, health: HealthCheck | None) -> dict[str, Any]:
    return {
        "id": camera.id,
        "name": camera.name,
        "city": camera.city,
        "protocol": camera.protocol.value,
        "endpoint": str(camera.endpoint),
        "district": camera.location.district.value if camera.location.district else None,
        "owner": camera.owner.code,
        "owner_kind": camera.owner.kind.value,
        "status": camera.status.value,
        "streams": [
            {"token": s.token, "rtsp_uri": s.rtsp_uri, "snapshot_uri": s.snapshot_uri}
            for s in camera.streams
        ],
        "health": None
        if health is None
        else {
            "online": health.online,
            "authenticated": health.authenticated,
            "checked_at": health.checked_at.isoformat(),
            "clock_drift": health.clock_drift,
            "error": health.error,
        },
    }


@cameras.command("probe")
@click.argument("address")
@click.option(
    "--vendor",
    required=True,
    type=click.Choice([p.value for p in VendorProtocol if p.value != "http_snapshot"]),
)
@click.option(
    "--user",
    help="The device account (the password is asked, or read from "
    f"{PASSWORD_VARIABLE}; never give it as an argument).",
)
@click.option("--https", "use_https", is_flag=True, help="Use HTTPS.")
@click.option("--timeout", type=click.FloatRange(0.1, 120), default=5.0, show_default=True)
def probe(address: str, vendor: str, user: str | None, use_https: bool, timeout: float) -> None:
    """Ask a camera at HOST[:PORT] who it is, its profiles and its clock."""
    from smartcity_kit.security.adapters import make_adapter  # noqa: PLC0415

    host, _, port_text = address.rpartition(":") if address.count(":") == 1 else (address, "", "")
    try:
        endpoint = Endpoint(
            host,
            int(port_text) if port_text else (443 if use_https else 80),
            "https" if use_https else "http",
        )
    except (SmartCityError, ValueError) as e:
        fail(f"address: {e}")
    if not user and vendor in {"isapi", "dahua"}:
        fail(f"--user is needed: {vendor} cameras answer only with credentials")
    credentials = None
    if user:
        password = os.environ.get(PASSWORD_VARIABLE)
        if password is None:
            password = click.prompt(f"Password for {user}@{endpoint}", hide_input=True)
        credentials = Credentials(user, password)
    camera = Camera(
        id="probe",
        city="probe",
        name="probe",
        owner=Owner(OwnerKind.CITY, "probe", "probe"),
        protocol=VendorProtocol(vendor),
        endpoint=endpoint,
    )
    adapter = make_adapter(camera, credentials, timeouts=Timeouts(min(timeout, 5.0), timeout))
    try:
        info = adapter.device_info() if credentials else None
        profiles = adapter.profiles() if credentials else []
        clock = adapter.clock()
    except SmartCityError as e:
        fail(str(e))
    finally:
        adapter.close()
    if info is not None:
        click.echo(
            f"{info.manufacturer} {info.model}, firmware {info.firmware}, serial {info.serial}"
        )
    drift = (clock - time_now()).total_seconds()
    click.echo(f"clock {clock.isoformat()} ({drift:+.1f} s from this machine)")
    for profile in profiles:
        size = f" {profile.width}x{profile.height}" if profile.width else ""
        click.echo(f"profile {profile.token} ({profile.name}{size}): {profile.rtsp_uri}")
        if profile.snapshot_uri:
            click.echo(f"  snapshot: {profile.snapshot_uri}")


def time_now() -> dt.datetime:
    """Now, in UTC."""
    return dt.datetime.now(dt.UTC)


@cameras.command("poll")
@click.option("--concurrency", type=click.IntRange(1, 4096), default=64, show_default=True)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 120),
    default=5.0,
    show_default=True,
    help="Seconds to wait for each answer.",
)
@click.option("--snapshot", is_flag=True, help="Also fetch a snapshot from each camera.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@db_option
def poll(concurrency: int, timeout: float, snapshot: bool, as_json: bool, url: str) -> None:
    """Check every active camera once and store what changed."""
    with opened(url) as database:
        registry = CameraRegistry(database)
        targets = registry.list(status=CameraStatus.ACTIVE)
        monitor = FleetMonitor(
            registry,
            concurrency=concurrency,
            snapshot=snapshot,
            timeouts=Timeouts(min(timeout, 3.0), timeout),
        )
        lock = threading.Lock()
        progressbar: Any = click.progressbar
        with progressbar(length=len(targets), label="Polling", file=sys.stderr) as bar:

            def progress(_: HealthCheck) -> None:
                with lock:
                    bar.update(1)

            summary = monitor.poll(targets, progress=progress)
        latest = monitor.latest(c.id for c in targets)
    if as_json:
        echo_json(
            {
                "checked": summary.checked,
                "online": summary.online,
                "offline": summary.offline,
                "auth_failed": summary.auth_failed,
                "skipped": summary.skipped,
                "snapshot_failed": summary.snapshot_failed,
                "went_online": list(summary.went_online),
                "went_offline": list(summary.went_offline),
                "seconds": summary.seconds,
            }
        )
        return
    table(
        [
            ("CHECKED", "ONLINE", "OFFLINE", "AUTH FAILED", "SECONDS"),
            (
                str(summary.checked),
                str(summary.online),
                str(summary.offline),
                str(summary.auth_failed),
                f"{summary.seconds:.1f}",
            ),
        ]
    )
    down = [h for h in latest if not h.online or h.authenticated is False or h.snapshot_ok is False]
    if down:
        click.echo("")
        rows = [("CAMERA", "STATE", "WHY")]
        rows += [(h.camera_id, _state(h), h.error or "") for h in down[:50]]
        table(rows)


@cameras.command("events")
@click.argument("camera_id")
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=20,
    show_default=True,
    help="Stored events to show first.",
)
@click.option("--no-follow", is_flag=True, help="Only show stored events; do not connect.")
@db_option
def events(camera_id: str, limit: int, no_follow: bool, url: str) -> None:
    """Show a camera's stored events, then follow new ones live (Ctrl-C stops)."""
    with opened(url) as database:
        registry = CameraRegistry(database)
        monitor = FleetMonitor(registry)
        camera = registry.get(camera_id)
        for event in reversed(monitor.events(camera_id, limit=limit)):
            click.echo(_event_line(event))
        if no_follow:
            return
        stop = threading.Event()
        adapter = registry.adapter(camera)
        click.echo(
            f"Following {camera.id} ({camera.protocol.value} at {camera.endpoint}); Ctrl-C stops.",
            err=True,
        )
        with _stop_on_sigterm(stop):
            try:
                for event in adapter.events(camera.id, stop=stop):
                    monitor.record_events([event])
                    click.echo(_event_line(event))
            except KeyboardInterrupt:
                stop.set()
            finally:
                adapter.close()


@contextlib.contextmanager
def _stop_on_sigterm(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` on SIGTERM while the block runs (main thread only); restore the handler."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _event_line(event: CameraEvent) -> str:
    state = "start" if event.active else "end"
    channel = f" ch{event.channel}" if event.channel else ""
    return (
        f"{event.at.isoformat()}  {event.camera_id}{channel}  {event.kind.value} {state}  "
        f"({event.vendor_type})"
    )


@cameras.command("simulate")
@click.option("--count", type=click.IntRange(1, 15_000), default=10, show_default=True)
@click.option(
    "--vendor",
    type=click.Choice(["onvif", "isapi", "dahua", "mixed"]),
    default="mixed",
    show_default=True,
)
@click.option(
    "--latency",
    type=click.FloatRange(0, 10),
    default=0.0,
    show_default=True,
    help="Seconds per answer.",
)
@click.option(
    "--dead",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share that never answers.",
)
@click.option(
    "--inventory",
    type=click.Path(dir_okay=False, path_type=Path),
    default="simulated-cameras.json",
    show_default=True,
)
@click.option(
    "--seconds", type=click.FloatRange(0), default=0, help="Stop after this long (0: until Ctrl-C)."
)
def simulate(  # noqa: PLR0913, PLR0917 - one parameter per option
    count: int, vendor: str, latency: float, dead: float, inventory: Path, seconds: float
) -> None:
    """Run simulated cameras on 127.0.0.1 and write an inventory file to import."""
    from smartcity_kit.testing.devices import DeviceFarm, simulated_fleet  # noqa: PLC0415

    with DeviceFarm() as farm:
        rows = simulated_fleet(farm, count, vendor=vendor, latency=latency, dead_share=dead)
        inventory.write_text(json.dumps({"cameras": rows}, indent=2), encoding="utf-8")
        click.echo(
            f"{count} simulated {vendor} camera(s) on 127.0.0.1 ports "
            f"{min(r['port'] for r in rows)}-{max(r['port'] for r in rows)}; "
            f"inventory in {inventory}"
        )
        click.echo("Import it with: smartcity-kit cameras import " + str(inventory), err=True)
        stop = threading.Event()
        with _stop_on_sigterm(stop), contextlib.suppress(KeyboardInterrupt):
            deadline = time.monotonic() + seconds if seconds else None
            while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
                stop.wait(
                    0.2 if deadline is None else min(0.2, max(0.0, deadline - time.monotonic()))
                )
