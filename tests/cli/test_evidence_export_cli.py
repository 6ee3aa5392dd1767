"""``smartcity-kit evidence export``: a signed bundle from simulated cameras, then verified."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner, Result

from smartcity_kit.cli import main
from smartcity_kit.core import GeoPoint
from smartcity_kit.security import (
    AccessPolicy,
    Account,
    AccountRole,
    Camera,
    CameraLocation,
    CameraRegistry,
    Credentials,
    Endpoint,
    EvidenceKey,
    IncidentGrant,
    Organisation,
    Owner,
    OwnerKind,
    SecretBox,
    StreamProfile,
    VendorProtocol,
    verify_bundle,
)
from smartcity_kit.storage import AuditLog, Database
from smartcity_kit.testing.devices import (
    TINY_JPEG,
    DeviceFarm,
    DeviceState,
    SimulatedDevice,
    SnapshotCamera,
)

SECRET_KEY = SecretBox.generate_key()
PASSWORD = "Hotel-Penghibur-9"  # noqa: S105 - a simulated camera's password
CASE = "LP/B/1234/XI/2026/SPKT"
HOTEL = "hotel-penghibur"
POLICE = "polsek-tamalate"
OFFICER = "polsek-tamalate.reskrim-01"
LOSARI = GeoPoint(-5.1430, 119.4077)
CLIP = b"\x00\x00\x00\x18ftypmp42 a clip copied from the hotel's recorder"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key or database from the outer environment."""
    for name in ("SMARTCITY_EVIDENCE_KEY", "SMARTCITY_SECRET_KEY", "SMARTCITY_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def farm() -> Iterator[DeviceFarm]:
    with DeviceFarm() as running:
        yield running


@attrs.define
class World:
    url: str
    db: Database
    grant: int
    cameras: dict[str, SimulatedDevice]

    def head(self) -> str:
        return str(AuditLog(self.db).head())


def snapshot_camera(camera_id: str, device: SimulatedDevice, point: GeoPoint) -> Camera:
    return Camera(
        id=camera_id,
        city="makassar",
        name=f"Hotel Pantai Penghibur {camera_id}",
        owner=Owner(OwnerKind.PRIVATE, HOTEL, "Hotel Pantai Penghibur"),
        protocol=VendorProtocol.HTTP_SNAPSHOT,
        endpoint=Endpoint("127.0.0.1", device.port),
        location=CameraLocation(point=point, address="Jl. Penghibur"),
        streams=(
            StreamProfile(
                "main", "main", "", snapshot_uri=f"http://127.0.0.1:{device.port}/snapshot.jpg"
            ),
        ),
    )


@pytest.fixture
def world(database_url: str, farm: DeviceFarm) -> Iterator[World]:
    """The hotel's two simulated cameras, the police, and a grant for the first camera."""
    upgraded = run("db", "upgrade", "--db", database_url)
    assert upgraded.exit_code == 0, upgraded.output
    db = Database(database_url)
    registry = CameraRegistry(db, secrets=SecretBox(SECRET_KEY))
    devices: dict[str, SimulatedDevice] = {}
    for camera_id, point in [("SIM-0001", LOSARI), ("SIM-0002", GeoPoint(-5.1700, 119.4400))]:
        device = farm.add(SnapshotCamera(password=PASSWORD))
        registry.add(
            snapshot_camera(camera_id, device, point),
            actor="cli",
            credentials=Credentials("admin", PASSWORD),
        )
        devices[camera_id] = device
    policy = AccessPolicy(db, registry)
    for code, name, kind in [
        (HOTEL, "Hotel Pantai Penghibur", OwnerKind.PRIVATE),
        (POLICE, "Polsek Tamalate", OwnerKind.POLICE),
    ]:
        policy.save_organisation(Organisation(code, "makassar", name, kind))
    policy.add_account(Account("hotel-penghibur.admin-01", HOTEL, AccountRole.ADMIN, "Admin"))
    policy.add_account(Account(OFFICER, POLICE, AccountRole.VIEWER, "Penyidik"))
    now = dt.datetime.now(dt.UTC)  # the command runs on the system clock
    grant = policy.grant_incident(
        IncidentGrant(
            case_number=CASE,
            reason="Penjambretan di depan Hotel Pantai Penghibur",
            owner=HOTEL,
            organisation=POLICE,
            requested_by=OFFICER,
            approved_by="hotel-penghibur.admin-01",
            cameras={"SIM-0001"},
            footage_from=now - dt.timedelta(hours=6),
            footage_until=now - dt.timedelta(hours=2),
            granted_at=now,
            expires_at=now + dt.timedelta(hours=48),
        )
    )
    yield World(database_url, db, grant.id, devices)
    db.dispose()


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    private = tmp_path / "city.key"
    result = run("evidence", "keygen", "--out", str(private))
    assert result.exit_code == 0, result.output
    return private, tmp_path / "city.key.pub"


def export(world: World, bundle: Path, *args: str, env: dict[str, str]) -> Result:
    return run("evidence", "export", str(bundle), *args, "--db", world.url, env=env)


def with_key(private: Path) -> dict[str, str]:
    return {"SMARTCITY_EVIDENCE_KEY": str(private), "SMARTCITY_SECRET_KEY": SECRET_KEY}


def assert_one_error_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    return result.stderr


def test_export_then_verify(world: World, keys: tuple[Path, Path], tmp_path: Path) -> None:
    private, public = keys
    clip = tmp_path / "nvr-clip.mp4"
    clip.write_bytes(CLIP)
    bundle = tmp_path / "LP-1234.zip"

    result = export(
        world,
        bundle,
        "--account", OFFICER,
        "--camera", "SIM-0001",
        "--grant", str(world.grant),
        "--frames", "2",
        "--clip", str(clip),
        "--note", "Diserahkan kepada penyidik",
        env=with_key(private),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    key = EvidenceKey.load(private)
    assert result.stdout.splitlines() == [
        f"Wrote {bundle}: 5 file(s) for case {CASE}.",
        f"Signed with key {key.key_id}; audit head {world.head()}.",
    ]
    report = verify_bundle(bundle, public)
    assert report.valid, report.problems
    assert report.manifest is not None
    assert report.manifest.grant_id == str(world.grant)
    assert report.manifest.exported_by == f"account:{OFFICER}"
    with zipfile.ZipFile(bundle) as archive:
        # The pictures came from the simulated camera, through the registry's adapter.
        assert archive.read("files/snapshots/SIM-0001-1.jpg") == TINY_JPEG
        assert archive.read("files/snapshots/SIM-0001-2.jpg") == TINY_JPEG
        assert archive.read("files/clips/nvr-clip.mp4") == CLIP
        assert "files/grant.json" in archive.namelist()
    assert PASSWORD.encode() not in bundle.read_bytes()

    verified = run("evidence", "verify", str(bundle), "--public-key", str(public))

    assert verified.exit_code == 0, verified.output
    assert verified.stdout.splitlines()[-1].startswith(
        f"VALID: the signature (key {key.key_id}) and all 5 file(s) check out"
    )
    assert f"Case:        {CASE}" in verified.stdout
    assert f"Grant:       {world.grant}" in verified.stdout
    assert "evidence.exported" in verified.stdout


def test_a_tampered_export_does_not_verify(
    world: World, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    private, public = keys
    bundle = tmp_path / "LP-1234.zip"
    result = export(
        world, bundle, "--account", OFFICER, "--camera", "SIM-0001", "--grant", str(world.grant),
        env=with_key(private),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = bytearray(bundle.read_bytes())
    at = bytes(data).index(TINY_JPEG) + len(TINY_JPEG) // 2
    data[at] ^= 0x01
    bundle.write_bytes(bytes(data))

    verified = run("evidence", "verify", str(bundle), "--public-key", str(public))

    assert verified.exit_code == 1, verified.output
    assert "INVALID" in verified.stdout
    assert "files/snapshots/SIM-0001-1.jpg" in verified.stdout


def test_a_denied_export_writes_nothing(
    world: World, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    private, _ = keys
    bundle = tmp_path / "LP-1234.zip"
    before = AuditLog(world.db).head_seq()

    result = export(
        world,
        bundle,
        "--account", OFFICER,
        "--camera", "SIM-0001",
        "--camera", "SIM-0002",
        "--grant", str(world.grant),
        env=with_key(private),
    )  # fmt: skip

    error = assert_one_error_line(result)
    assert error.startswith("Error: export refused (every decision is recorded): SIM-0002: ")
    assert "SIM-0001:" not in error
    assert not bundle.exists()
    decided = AuditLog(world.db).entries()[before:]
    assert [(e.subject, e.action) for e in decided] == [
        ("camera:SIM-0001", "cctv.access.allowed"),
        ("camera:SIM-0002", "cctv.access.denied"),
    ]


def test_no_key_in_the_environment(world: World, tmp_path: Path) -> None:
    bundle = tmp_path / "LP-1234.zip"
    before = world.head()

    result = export(
        world, bundle, "--account", OFFICER, "--camera", "SIM-0001", "--grant", str(world.grant),
        env={"SMARTCITY_SECRET_KEY": SECRET_KEY},
    )  # fmt: skip

    assert assert_one_error_line(result) == (
        "Error: no evidence key: make one with 'smartcity-kit evidence keygen' and name its "
        "file in SMARTCITY_EVIDENCE_KEY\n"
    )
    assert not bundle.exists()
    assert world.head() == before  # nothing recorded


def test_a_key_variable_naming_no_file(world: World, tmp_path: Path) -> None:
    bundle = tmp_path / "LP-1234.zip"
    missing = tmp_path / "nowhere.key"

    result = export(
        world, bundle, "--account", OFFICER, "--camera", "SIM-0001", "--grant", str(world.grant),
        env=with_key(missing),
    )  # fmt: skip

    error = assert_one_error_line(result)
    assert error.startswith(
        f"Error: SMARTCITY_EVIDENCE_KEY: evidence key {missing}: cannot be read"
    )
    assert not bundle.exists()


def test_a_camera_that_is_down(
    world: World, farm: DeviceFarm, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    private, _ = keys
    bundle = tmp_path / "LP-1234.zip"
    farm.set_state(world.cameras["SIM-0001"], DeviceState.DOWN)
    try:
        result = export(
            world, bundle, "--account", OFFICER, "--camera", "SIM-0001",
            "--grant", str(world.grant), env=with_key(private),
        )  # fmt: skip
    finally:
        farm.set_state(world.cameras["SIM-0001"], DeviceState.UP)

    assert assert_one_error_line(result).startswith("Error: camera SIM-0001: ")
    assert not bundle.exists()
    assert [p.name for p in tmp_path.iterdir() if "LP-1234" in p.name] == []  # no partial file


@pytest.mark.parametrize("frames", ["0", "11"])
def test_a_bad_frame_count(
    world: World, keys: tuple[Path, Path], tmp_path: Path, frames: str
) -> None:
    private, _ = keys
    bundle = tmp_path / "LP-1234.zip"
    before = world.head()

    result = export(
        world, bundle, "--account", OFFICER, "--camera", "SIM-0001", "--grant", str(world.grant),
        "--frames", frames, env=with_key(private),
    )  # fmt: skip

    assert assert_one_error_line(result).startswith("Error: frames: must be a whole number")
    assert not bundle.exists()
    assert world.head() == before


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("nvr clip (1).mp4", "files/clips/nvr_clip__1_.mp4"),
        ("_raw.mp4", "files/clips/raw.mp4"),
        ("-raw.mp4", "files/clips/raw.mp4"),
        ("x" * 120 + ".mp4", "files/clips/" + "x" * 96 + ".mp4"),
    ],
)
def test_a_clip_is_stored_under_a_safe_name(
    world: World, keys: tuple[Path, Path], tmp_path: Path, name: str, stored: str
) -> None:
    private, public = keys
    clip = tmp_path / name
    clip.write_bytes(CLIP)
    bundle = tmp_path / "LP-1234.zip"

    result = export(
        world, bundle, "--account", OFFICER, "--camera", "SIM-0001", "--grant", str(world.grant),
        "--clip", str(clip), env=with_key(private),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    report = verify_bundle(bundle, public)
    assert report.valid, report.problems
    assert report.manifest is not None
    assert [f.path for f in report.manifest.files if f.kind.value == "clip"] == [stored]


def test_a_clip_name_a_bundle_refuses_is_one_error_line(
    world: World, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    private, _ = keys
    clip = tmp_path / "CON.mp4"  # a Windows device name: unsafe to extract
    clip.write_bytes(CLIP)
    bundle = tmp_path / "LP-1234.zip"

    result = export(
        world, bundle, "--account", OFFICER, "--camera", "SIM-0001", "--grant", str(world.grant),
        "--clip", str(clip), env=with_key(private),
    )  # fmt: skip

    assert assert_one_error_line(result).startswith("Error: path: must not use a Windows device")
    assert not bundle.exists()


def test_an_existing_bundle_is_never_overwritten(
    world: World, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    private, _ = keys
    bundle = tmp_path / "LP-1234.zip"
    bundle.write_bytes(b"an earlier bundle")

    result = export(
        world, bundle, "--account", OFFICER, "--camera", "SIM-0001", "--grant", str(world.grant),
        env=with_key(private),
    )  # fmt: skip

    assert (
        assert_one_error_line(result)
        == "Error: LP-1234.zip exists; a bundle is never overwritten\n"
    )
    assert bundle.read_bytes() == b"an earlier bundle"
    # Refused before anything was decided: no export decision is recorded.
    assert not AuditLog(world.db).entries(action="cctv.access.allowed")
