"""``smartcity-kit cameras``: import, list, export, probe, poll, events and simulate."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet

from smartcity_kit.cli import main
from smartcity_kit.security import (
    IMPORT_FIELDS,
    CameraEvent,
    CameraRegistry,
    Credentials,
    EventKind,
    FleetMonitor,
    SecretBox,
)
from smartcity_kit.storage import Database
from smartcity_kit.testing.devices import (
    DeviceFarm,
    DeviceState,
    HikvisionCamera,
    SimulatedDevice,
    simulated_fleet,
)

KEY = SecretBox.generate_key()
WITH_KEY = {"SMARTCITY_SECRET_KEY": KEY}
PASSWORD = "sim-Passw0rd"  # noqa: S105 - the simulators' default account
INVENTORY_PASSWORD = "Rahasia-Kamera-42"  # noqa: S105 - a test camera's password
WRONG = "Salah-Sandi-99"


def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:  # noqa: A002 - click's name
    return CliRunner().invoke(main, list(args), env=env, input=input)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No key, password or database from the outer environment; signal handlers restored."""
    for name in ("SMARTCITY_SECRET_KEY", "SMARTCITY_CAMERA_PASSWORD", "SMARTCITY_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    # `events` and `simulate` stop on SIGTERM: they install a handler for the process.
    handler = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, handler)


@pytest.fixture
def url(database_url: str) -> str:
    upgraded = run("db", "upgrade", "--db", database_url)
    assert upgraded.exit_code == 0, upgraded.output
    return database_url


@pytest.fixture(scope="module")
def farm() -> Iterator[DeviceFarm]:
    with DeviceFarm() as running:
        yield running


@pytest.fixture
def registry(url: str) -> Iterator[CameraRegistry]:
    """The registry the commands use, opened by the test (with the key)."""
    database = Database(url)
    yield CameraRegistry(database, secrets=SecretBox(KEY))
    database.dispose()


def inventory_rows() -> list[dict[str, str]]:
    """Two cameras as a city keeps them, the second with its device account."""
    common = {
        "city": "makassar",
        "owner_kind": "city",
        "owner_code": "diskominfo",
        "owner_name": "Dinas Komunikasi dan Informatika",
        "kecamatan": "73.71.10",
        "lat": "-5.1430",
        "lon": "119.4077",
    }
    return [
        common
        | {"id": "MKS-0001", "name": "Pantai Losari", "protocol": "onvif", "host": "10.20.0.2"},
        common
        | {
            "id": "MKS-0002",
            "name": "Jl. Penghibur",
            "protocol": "isapi",
            "host": "10.20.0.3",
            "port": "8080",
            "username": "operator",
            "password": INVENTORY_PASSWORD,
        },
    ]


def write_inventory(path: Path, rows: list[dict[str, Any]]) -> Path:
    if path.suffix == ".json":
        path.write_text(json.dumps({"cameras": rows}), encoding="utf-8")
        return path
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[f for f in IMPORT_FIELDS if any(f in r for r in rows)])
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- secret key, import, list, export -------------------------------------------------------


def test_secret_key_prints_a_new_fernet_key() -> None:
    first, second = run("cameras", "secret-key"), run("cameras", "secret-key")
    assert first.exit_code == 0
    key = first.stdout.strip()
    assert first.stdout == key + "\n"
    Fernet(key)  # a valid key
    box = SecretBox(key)
    assert box.open(box.seal(Credentials("admin", PASSWORD))) == Credentials("admin", PASSWORD)
    assert second.stdout.strip() != key
    assert "SMARTCITY_SECRET_KEY" in first.stderr


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_import_then_list_and_export_without_passwords(
    suffix: str, url: str, registry: CameraRegistry, tmp_path: Path
) -> None:
    inventory = write_inventory(tmp_path / f"kamera{suffix}", inventory_rows())
    imported = run("cameras", "import", str(inventory), "--db", url, env=WITH_KEY)
    assert imported.exit_code == 0, imported.output
    assert imported.stdout == f"Imported 2 camera(s) from kamera{suffix}.\n"
    assert registry.credentials("MKS-0002") == Credentials("operator", INVENTORY_PASSWORD)
    assert registry.credentials("MKS-0001") is None

    listed = run("cameras", "list", "--db", url)
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert lines[0].split() == [
        "ID", "PROTOCOL", "ENDPOINT", "KECAMATAN", "OWNER", "STATUS", "HEALTH", "NAME"
    ]  # fmt: skip
    assert lines[1].split() == [
        "MKS-0001", "onvif", "10.20.0.2:80", "73.71.10", "diskominfo", "active", "-", "Pantai",
        "Losari",
    ]  # fmt: skip
    assert lines[2].split()[:3] == ["MKS-0002", "isapi", "10.20.0.3:8080"]
    assert "2 camera(s)" in listed.stderr

    as_json = run("cameras", "list", "--json", "--db", url)
    cameras = json.loads(as_json.stdout)
    assert [c["id"] for c in cameras] == ["MKS-0001", "MKS-0002"]
    assert cameras[1]["endpoint"] == "10.20.0.3:8080"
    assert cameras[1]["health"] is None
    assert cameras[1]["district"] == "73.71.10"

    exported_csv = run("cameras", "export", "--db", url)
    exported_json = run("cameras", "export", "--format", "json", "--db", url)
    assert exported_csv.exit_code == exported_json.exit_code == 0
    header = exported_csv.stdout.splitlines()[0].split(",")
    assert "password" not in header
    assert "username" not in header
    assert [r["id"] for r in json.loads(exported_json.stdout)["cameras"]] == [
        "MKS-0001",
        "MKS-0002",
    ]
    for result in (imported, listed, as_json, exported_csv, exported_json):
        assert INVENTORY_PASSWORD not in result.output
    # Filters.
    assert run("cameras", "list", "--city", "baubau", "--json", "--db", url).stdout == "[]\n"
    makassar = run("cameras", "export", "--city", "makassar", "--db", url).stdout
    assert makassar.count("\n") == 3  # the header and both cameras


def test_an_exported_inventory_imports_again(
    url: str, registry: CameraRegistry, tmp_path: Path
) -> None:
    inventory = write_inventory(tmp_path / "kamera.csv", inventory_rows())
    run("cameras", "import", str(inventory), "--db", url, env=WITH_KEY)
    exported = run("cameras", "export", "--db", url).stdout
    (tmp_path / "again.csv").write_text(exported, encoding="utf-8")
    again = run("cameras", "import", str(tmp_path / "again.csv"), "--update", "--db", url)
    assert again.exit_code == 0, again.output
    assert "Imported 2 camera(s)" in again.stdout
    # Rows without a username keep the stored credentials.
    assert registry.credentials("MKS-0002") == Credentials("operator", INVENTORY_PASSWORD)


def test_an_import_with_a_bad_row_imports_nothing(url: str, tmp_path: Path) -> None:
    rows = inventory_rows()
    rows.append(dict(rows[0], id="MKS-0003", port="99999"))
    rows.append(dict(rows[0], id="MKS-0004", protocol=""))
    inventory = write_inventory(tmp_path / "kamera.csv", rows)
    result = run("cameras", "import", str(inventory), "--db", url, env=WITH_KEY)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Nothing was imported; 2 problem(s):",
        "  row 3: port: must be a whole number from 1 to 65535",
        "  row 4: protocol: is required",
    ]
    assert INVENTORY_PASSWORD not in result.output
    assert run("cameras", "list", "--json", "--db", url).stdout == "[]\n"


def test_an_import_of_registered_ids_imports_nothing(url: str, tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path / "kamera.json", inventory_rows())
    assert run("cameras", "import", str(inventory), "--db", url, env=WITH_KEY).exit_code == 0
    again = run("cameras", "import", str(inventory), "--db", url, env=WITH_KEY)
    assert again.exit_code == 2
    assert "  row 1: id: MKS-0001 is already registered" in again.stderr.splitlines()


def test_an_import_with_passwords_needs_the_key(url: str, tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path / "kamera.csv", inventory_rows())
    result = run("cameras", "import", str(inventory), "--db", url)
    assert result.exit_code == 2
    assert "Nothing was imported" in result.stderr
    assert "row 2: password" in result.stderr
    assert "SMARTCITY_SECRET_KEY" in result.stderr
    assert INVENTORY_PASSWORD not in result.output
    assert "Traceback" not in result.output
    assert run("cameras", "list", "--json", "--db", url).stdout == "[]\n"
    # Without passwords no key is needed.
    plain = write_inventory(tmp_path / "plain.csv", inventory_rows()[:1])
    assert run("cameras", "import", str(plain), "--db", url).exit_code == 0


def test_an_import_with_a_key_that_is_not_a_key(url: str, tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path / "kamera.csv", inventory_rows())
    result = run(
        "cameras", "import", str(inventory), "--db", url, env={"SMARTCITY_SECRET_KEY": "x"}
    )
    assert result.exit_code == 2
    assert "SMARTCITY_SECRET_KEY is not a valid key" in result.stderr


# --- probe ----------------------------------------------------------------------------------


def _device(farm: DeviceFarm, vendor: str, **options: Any) -> tuple[dict[str, Any], Any]:
    first = len(farm.devices)
    rows = simulated_fleet(farm, 1, vendor=vendor, **options)
    return rows[0], farm.devices[first]


@pytest.mark.parametrize(
    ("vendor", "maker"), [("onvif", "SimCam"), ("isapi", "HIKVISION"), ("dahua", "Dahua")]
)
def test_probe_with_the_password_from_the_environment(
    vendor: str, maker: str, farm: DeviceFarm
) -> None:
    row, _ = _device(farm, vendor)
    address = f"127.0.0.1:{row['port']}"
    env = {"SMARTCITY_CAMERA_PASSWORD": PASSWORD}
    result = run("cameras", "probe", "--vendor", vendor, address, "--user", "admin", env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{maker} ")
    assert ", firmware " in lines[0]
    assert ", serial " in lines[0]
    assert lines[1].startswith("clock ")
    profiles = [line for line in lines if line.startswith("profile ")]
    assert len(profiles) == 2
    assert all("rtsp://127.0.0.1:" in p for p in profiles)
    assert "snapshot: http://127.0.0.1:" in result.stdout
    assert PASSWORD not in result.output
    assert "Password for" not in result.output  # not asked


def test_probe_asks_for_the_password(farm: DeviceFarm) -> None:
    row, _ = _device(farm, "onvif")
    address = f"127.0.0.1:{row['port']}"
    result = run(
        "cameras", "probe", "--vendor", "onvif", address, "--user", "admin", input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert f"Password for admin@{address}" in result.output
    assert PASSWORD not in result.output  # hidden input
    assert result.stdout.splitlines()[-1].startswith("  snapshot: ")
    assert "profile Profile_1 (mainStream 1920x1080)" in result.stdout


def test_probe_with_a_wrong_password(farm: DeviceFarm) -> None:
    row, _ = _device(farm, "isapi")
    address = f"127.0.0.1:{row['port']}"
    env = {"SMARTCITY_CAMERA_PASSWORD": WRONG}
    result = run("cameras", "probe", "--vendor", "isapi", address, "--user", "admin", env=env)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {address}: the device refused the credentials\n"
    assert WRONG not in result.output


def test_probe_of_a_dead_address_is_one_line() -> None:
    address = f"127.0.0.1:{free_port()}"
    env = {"SMARTCITY_CAMERA_PASSWORD": PASSWORD}
    result = run(
        "cameras", "probe", "--vendor", "onvif", address, "--user", "admin", "--timeout", "1",
        env=env,
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == f"Error: {address}: cannot connect\n"
    assert result.stdout == ""
    assert PASSWORD not in result.output


def test_probe_of_a_hung_camera_times_out(farm: DeviceFarm) -> None:
    row, device = _device(farm, "onvif")
    farm.set_state(device, DeviceState.HANG)
    address = f"127.0.0.1:{row['port']}"
    result = run("cameras", "probe", "--vendor", "onvif", address, "--timeout", "0.3")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {address}: no answer within")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("address", ["127.0.0.1:port", "127.0.0.1:70000", "kamera/1:80"])
def test_probe_refuses_a_bad_address(address: str) -> None:
    result = run("cameras", "probe", "--vendor", "onvif", address)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: address: ")


# --- poll and events ------------------------------------------------------------------------


def _fleet(
    farm: DeviceFarm, registry: CameraRegistry, count: int, **options: Any
) -> list[SimulatedDevice]:
    first = len(farm.devices)
    rows = simulated_fleet(farm, count, **options)
    registry.import_rows(rows, actor="test")
    return farm.devices[first:]


def test_poll_prints_a_summary_and_what_is_down(
    farm: DeviceFarm, url: str, registry: CameraRegistry
) -> None:
    devices = _fleet(farm, registry, 3)
    farm.set_state(devices[1], DeviceState.HANG)
    result = run("cameras", "poll", "--timeout", "0.5", "--db", url, env=WITH_KEY)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["CHECKED", "ONLINE", "OFFLINE", "AUTH", "FAILED", "SECONDS"]
    assert lines[1].split()[:4] == ["3", "2", "1", "0"]
    assert lines[2] == ""
    assert lines[3].split() == ["CAMERA", "STATE", "WHY"]
    assert lines[4].startswith("SIM-00002  offline  ")
    assert f"127.0.0.1:{devices[1].port}: no answer within" in lines[4]
    assert len(lines) == 5
    assert "Polling" in result.stderr
    assert PASSWORD not in result.output
    listed = {
        c["id"]: c["health"]
        for c in json.loads(run("cameras", "list", "--json", "--db", url).stdout)
    }
    assert listed["SIM-00001"]["online"] is True
    assert listed["SIM-00002"]["online"] is False
    assert "offline" in run("cameras", "list", "--db", url).stdout


def test_poll_as_json_reports_changes(farm: DeviceFarm, url: str, registry: CameraRegistry) -> None:
    devices = _fleet(farm, registry, 2, vendor="isapi")
    poll = ("cameras", "poll", "--json", "--timeout", "0.5", "--db", url)
    first = json.loads(run(*poll, env=WITH_KEY).stdout)
    assert first == first | {
        "checked": 2,
        "online": 2,
        "offline": 0,
        "auth_failed": 0,
        "skipped": 0,
        "went_online": [],
        "went_offline": [],
    }
    assert isinstance(first["seconds"], float)
    farm.set_state(devices[0], DeviceState.DOWN)
    second = json.loads(run(*poll, env=WITH_KEY).stdout)
    assert (second["offline"], second["went_offline"]) == (1, ["SIM-00001"])
    farm.set_state(devices[0], DeviceState.UP)
    third = json.loads(run(*poll, env=WITH_KEY).stdout)
    assert (third["online"], third["went_online"]) == (2, ["SIM-00001"])


def test_poll_shows_refused_credentials(
    farm: DeviceFarm, url: str, registry: CameraRegistry
) -> None:
    _fleet(farm, registry, 2, vendor="dahua")
    registry.set_credentials("SIM-00002", Credentials("admin", WRONG), actor="test")
    result = run("cameras", "poll", "--timeout", "0.5", "--db", url, env=WITH_KEY)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1].split()[:4] == ["2", "2", "0", "1"]
    assert lines[4].startswith("SIM-00002  auth failed  ")
    assert WRONG not in result.output
    listed = run("cameras", "list", "--db", url).stdout
    assert "auth failed" in listed


def test_poll_without_the_key_says_which_variable(
    farm: DeviceFarm, url: str, registry: CameraRegistry
) -> None:
    _fleet(farm, registry, 1)
    result = run("cameras", "poll", "--db", url)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: cameras have stored credentials: set SMARTCITY_SECRET_KEY to use them"
    )
    assert "Traceback" not in result.output


def test_events_without_following_print_stored_events(
    farm: DeviceFarm, url: str, registry: CameraRegistry
) -> None:
    devices = _fleet(farm, registry, 2, vendor="isapi")
    run("cameras", "poll", "--timeout", "0.5", "--db", url, env=WITH_KEY)
    farm.set_state(devices[0], DeviceState.DOWN)
    run("cameras", "poll", "--timeout", "0.5", "--db", url, env=WITH_KEY)
    at = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    event = CameraEvent(
        "SIM-00001", EventKind.LINE_CROSSING, at, vendor_type="linedetection", channel=2
    )
    recorder = FleetMonitor(registry)
    recorder.record_events([event])
    recorder.close()
    result = run("cameras", "events", "SIM-00001", "--no-follow", "--db", url)
    assert result.exit_code == 0, result.output
    first, second = result.stdout.splitlines()  # oldest first
    assert first.endswith("  SIM-00001  device_offline start  (fleet-monitor)")
    assert second == f"{at.isoformat()}  SIM-00001 ch2  line_crossing start  (linedetection)"
    newest = run("cameras", "events", "SIM-00001", "--no-follow", "--limit", "1", "--db", url)
    assert newest.stdout.splitlines() == [second]
    quiet = run("cameras", "events", "SIM-00002", "--no-follow", "--db", url)
    assert (quiet.exit_code, quiet.stdout) == (0, "")
    unknown = run("cameras", "events", "SIM-09999", "--no-follow", "--db", url)
    assert unknown.exit_code == 2
    assert unknown.stderr == "Error: no camera SIM-09999\n"


def test_events_follow_a_camera_live(farm: DeviceFarm, url: str, registry: CameraRegistry) -> None:
    (device,) = _fleet(farm, registry, 1, vendor="isapi")
    assert isinstance(device, HikvisionCamera)
    device.streams.heartbeat_interval = 0.2  # so that a stop is noticed at once
    watcher = FleetMonitor(registry)
    original = signal.getsignal(signal.SIGTERM)

    def drive() -> None:
        deadline = time.monotonic() + 15
        while device.streams.open == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        device.trigger(EventKind.MOTION)
        while not watcher.events("SIM-00001") and time.monotonic() < deadline:
            time.sleep(0.05)
        # Stop the command as a service manager would, once its own handler is in place.
        if signal.getsignal(signal.SIGTERM) is not original:
            os.kill(os.getpid(), signal.SIGTERM)

    driver = threading.Thread(target=drive, daemon=True)
    driver.start()
    result = run("cameras", "events", "SIM-00001", "--db", url, env=WITH_KEY)
    driver.join(5)
    assert result.exit_code == 0, result.output
    assert "Following SIM-00001 (isapi at 127.0.0.1:" in result.stderr
    (line,) = result.stdout.splitlines()
    assert line.endswith("  SIM-00001 ch1  motion start  (vmd)")
    (stored,) = watcher.events("SIM-00001")
    assert (stored.kind, stored.vendor_type) == (EventKind.MOTION, "vmd")
    assert _closes_soon(device)  # the command let go of the stream
    watcher.close()


def _closes_soon(device: HikvisionCamera) -> bool:
    deadline = time.monotonic() + 2
    while device.streams.open and time.monotonic() < deadline:
        time.sleep(0.02)
    return device.streams.open == 0


# --- simulate ---------------------------------------------------------------------------------


def test_simulate_writes_an_inventory_that_imports(
    url: str, registry: CameraRegistry, tmp_path: Path
) -> None:
    inventory = tmp_path / "sim.json"
    result = run(
        "cameras", "simulate", "--count", "3", "--seconds", "0.5", "--inventory", str(inventory)
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("3 simulated mixed camera(s) on 127.0.0.1 ports ")
    assert result.stdout.rstrip().endswith(f"inventory in {inventory}")
    assert f"smartcity-kit cameras import {inventory}" in result.stderr
    rows = json.loads(inventory.read_text(encoding="utf-8"))["cameras"]
    assert [r["protocol"] for r in rows] == ["onvif", "isapi", "dahua"]
    imported = run("cameras", "import", str(inventory), "--db", url, env=WITH_KEY)
    assert imported.exit_code == 0, imported.output
    assert imported.stdout == "Imported 3 camera(s) from sim.json.\n"
    assert registry.credentials("SIM-00003") == Credentials("admin", PASSWORD)
