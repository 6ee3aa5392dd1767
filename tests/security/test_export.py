"""Exporting evidence: decided and recorded per camera, fetched through the adapters, signed."""

from __future__ import annotations

import datetime as dt
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from smartcity_kit.core import FixedClock, GeoPoint, PhoneNumber, RegionCode
from smartcity_kit.errors import (
    ConfigurationError,
    DeviceUnreachableError,
    PermissionDeniedError,
    ValidationError,
)
from smartcity_kit.security import (
    AccessPolicy,
    Account,
    AccountRole,
    Camera,
    CameraEvent,
    CameraLocation,
    CameraRegistry,
    Credentials,
    DeviceInfo,
    Endpoint,
    EvidenceExporter,
    EvidenceFile,
    EvidenceKey,
    EvidenceManifest,
    IncidentGrant,
    Organisation,
    Owner,
    OwnerContact,
    OwnerKind,
    SecretBox,
    StreamProfile,
    VendorProtocol,
    verify_bundle,
)
from smartcity_kit.storage import AuditEntry, AuditLog, Database
from smartcity_kit.testing.devices import (
    TINY_JPEG,
    DeviceFarm,
    DeviceState,
    OnvifCamera,
    SnapshotCamera,
)

NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
KEY = EvidenceKey.generate()
CASE = "LP/B/1234/XI/2026/SPKT"
OWN_CASE = "LP/A/77/XI/2026/HOTEL"
LOSARI = GeoPoint(-5.1430, 119.4077)
CLIP = EvidenceFile("files/clips/x.mp4", b"\x00\x00\x00\x18ftypmp42 a clip from the NVR", "clip")
# The hotel's contact person: personal data that must never leave in a bundle.
CONTACT_NAME = "Andi Baso Rahman"
CONTACT_PHONE = PhoneNumber.parse("0811-4123-4567")
CAMERA_HOST = "10.20.0.77"
SIM_PASSWORD = "Hotel-Penghibur-9"  # noqa: S105 - a simulated camera's password

HOTEL = "hotel-penghibur"
POLICE = "polsek-tamalate"
HOTEL_ADMIN = "hotel-penghibur.admin-01"
HOTEL_STAFF = "hotel-penghibur.security-01"
OFFICER = "polsek-tamalate.reskrim-01"


class TickingClock(FixedClock):
    """A fixed clock that moves one second each time it is read, so every step has its time."""

    def now(self) -> dt.datetime:
        self.advance(seconds=1)
        return super().now()


def frame(camera_id: str, n: int) -> bytes:
    """The picture the fake camera hands out as its ``n``-th snapshot."""
    return b"\xff\xd8\xff\xe0" + f"{camera_id} frame {n}".encode() + b"\xff\xd9"


class FakeAdapter:
    """A camera that hands out numbered pictures, or fails as the test says."""

    def __init__(self, camera: Camera, world: World) -> None:
        self._camera = camera
        self._world = world
        self._taken = 0

    @property
    def endpoint(self) -> Endpoint:
        return self._camera.endpoint

    def device_info(self) -> DeviceInfo:
        raise NotImplementedError

    def profiles(self) -> list[StreamProfile]:
        return list(self._camera.streams)

    def snapshot(self, profile: str | None = None) -> bytes:  # noqa: ARG002
        if self._camera.id in self._world.down:
            raise DeviceUnreachableError(f"{self._camera.endpoint} did not answer in 5 s")
        self._taken += 1
        self._world.taken.append((self._camera.id, self._taken))
        return frame(self._camera.id, self._taken)

    def clock(self) -> dt.datetime:
        raise NotImplementedError

    def events(
        self,
        camera_id: str,
        *,
        stop: threading.Event | None = None,
    ) -> Iterator[CameraEvent]:
        raise NotImplementedError

    def close(self) -> None:
        self._world.closed.append(self._camera.id)


@attrs.define
class World:
    db: Database
    clock: TickingClock
    policy: AccessPolicy
    opened: list[str] = attrs.field(factory=list)
    closed: list[str] = attrs.field(factory=list)
    taken: list[tuple[str, int]] = attrs.field(factory=list)
    down: set[str] = attrs.field(factory=set)

    def adapter(self, camera: Camera) -> FakeAdapter:
        self.opened.append(camera.id)
        return FakeAdapter(camera, self)

    def exporter(self, **kw: Any) -> EvidenceExporter:
        kw.setdefault("key", KEY)
        return EvidenceExporter(self.policy, adapters=self.adapter, clock=self.clock, **kw)

    def head(self) -> int:
        return AuditLog(self.db).head_seq()

    def grant(self, **changes: Any) -> IncidentGrant:
        values: dict[str, Any] = {
            "case_number": CASE,
            "reason": "Penjambretan di depan Hotel Pantai Penghibur",
            "owner": HOTEL,
            "organisation": POLICE,
            "requested_by": OFFICER,
            "approved_by": HOTEL_ADMIN,
            "cameras": {"HTL-0001", "HTL-0002"},
            "footage_from": NOW - dt.timedelta(hours=6),
            "footage_until": NOW - dt.timedelta(hours=2),
            "granted_at": self.clock.now(),
            "expires_at": self.clock.now() + dt.timedelta(hours=48),
        }
        values.update(changes)
        return self.policy.grant_incident(IncidentGrant(**values))


def hotel_camera(camera_id: str, point: GeoPoint, **changes: Any) -> Camera:
    values: dict[str, Any] = {
        "id": camera_id,
        "city": "makassar",
        "name": f"Hotel Pantai Penghibur {camera_id}",
        "owner": Owner(
            OwnerKind.PRIVATE,
            HOTEL,
            "Hotel Pantai Penghibur",
            OwnerContact(name=CONTACT_NAME, phone=CONTACT_PHONE),
        ),
        "protocol": VendorProtocol.ONVIF,
        "endpoint": Endpoint(CAMERA_HOST, 8080),
        "location": CameraLocation(
            point=point, address="Jl. Penghibur", district=RegionCode("73.71.04")
        ),
        "streams": (StreamProfile("main", "mainStream", f"rtsp://{CAMERA_HOST}:554/main"),),
    }
    values.update(changes)
    return Camera(**values)


def add_people(policy: AccessPolicy) -> None:
    for code, name, kind in [
        (HOTEL, "Hotel Pantai Penghibur", OwnerKind.PRIVATE),
        (POLICE, "Polsek Tamalate", OwnerKind.POLICE),
    ]:
        policy.save_organisation(Organisation(code, "makassar", name, kind))
    for account_id, organisation, role in [
        (HOTEL_ADMIN, HOTEL, AccountRole.ADMIN),
        (HOTEL_STAFF, HOTEL, AccountRole.VIEWER),
        (OFFICER, POLICE, AccountRole.VIEWER),
    ]:
        policy.add_account(Account(account_id, organisation, role, "Nama Petugas"))


@pytest.fixture
def world(db: Database) -> World:
    clock = TickingClock(NOW)
    registry = CameraRegistry(db, clock=clock)
    registry.add(hotel_camera("HTL-0001", LOSARI), actor="cli")
    registry.add(hotel_camera("HTL-0002", GeoPoint(-5.1432, 119.4079)), actor="cli")
    # The hotel's camera at its other branch, about 4 km away and not in the grant.
    registry.add(hotel_camera("HTL-0003", GeoPoint(-5.1700, 119.4400)), actor="cli")
    policy = AccessPolicy(db, registry, clock=clock)
    add_people(policy)
    return World(db, clock, policy)


def entries_by_seq(db: Database) -> dict[int, AuditEntry]:
    return {e.seq: e for e in AuditLog(db).entries()}


def decisions_on(db: Database, camera_id: str) -> list[AuditEntry]:
    return [
        e
        for e in AuditLog(db).entries(subject=f"camera:{camera_id}")
        if e.action.startswith("cctv")
    ]


def contents(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def assert_nothing_written(folder: Path) -> None:
    assert list(folder.iterdir()) == []  # no bundle, and no partial file left behind


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


# --- a police export under an incident grant ----------------------------------------------------


def test_a_police_export_under_a_grant(world: World, out: Path) -> None:
    grant = world.grant()
    path = out / "LP-1234.zip"

    manifest = world.exporter().export(
        path,
        account=OFFICER,
        cameras=["HTL-0001", "HTL-0002"],
        grant=grant.id,
        frames=2,
        files=[CLIP],
        note="Diserahkan kepada penyidik",
    )

    report = verify_bundle(path, KEY.public_pem())
    assert report.valid, report.problems
    assert report.manifest == manifest
    assert manifest.case_number == CASE
    assert manifest.grant_id == str(grant.id)
    assert manifest.exported_by == f"account:{OFFICER}"
    assert manifest.organisation == POLICE
    assert manifest.city == "makassar"
    assert manifest.key_id == KEY.key_id
    assert manifest.note == "Diserahkan kepada penyidik"
    # The head after the two decisions, and nothing was appended after it.
    head = AuditLog(world.db).head()
    assert manifest.audit_head == head
    assert len(manifest.decisions) == 2
    assert max(manifest.decisions) == head.seq
    entries = entries_by_seq(world.db)
    decided = [entries[seq] for seq in manifest.decisions]
    assert [e.subject for e in decided] == ["camera:HTL-0001", "camera:HTL-0002"]
    assert all(e.action == "cctv.access.allowed" for e in decided)
    assert all(e.details["right"] == "export" for e in decided)
    assert all(e.details["grant"] == grant.id for e in decided)
    assert all(e.actor == f"account:{OFFICER}" for e in decided)


def test_the_bundle_holds_the_grant_cameras_snapshots_and_clip(world: World, out: Path) -> None:
    grant = world.grant()
    path = out / "LP-1234.zip"

    manifest = world.exporter().export(
        path,
        account=OFFICER,
        cameras=["HTL-0001", "HTL-0002"],
        grant=grant.id,
        frames=2,
        files=[CLIP],
    )

    files = contents(path)
    assert [(f.path, f.kind.value) for f in manifest.files] == [
        ("files/grant.json", "grant"),
        ("files/cameras/HTL-0001.json", "camera"),
        ("files/snapshots/HTL-0001-1.jpg", "snapshot"),
        ("files/snapshots/HTL-0001-2.jpg", "snapshot"),
        ("files/cameras/HTL-0002.json", "camera"),
        ("files/snapshots/HTL-0002-1.jpg", "snapshot"),
        ("files/snapshots/HTL-0002-2.jpg", "snapshot"),
        ("files/clips/x.mp4", "clip"),
    ]
    assert set(files) == {"manifest.json", "manifest.sig", *(f.path for f in manifest.files)}
    # The snapshots are the pictures the cameras handed out, in the order they were taken.
    for camera_id in ("HTL-0001", "HTL-0002"):
        for n in (1, 2):
            assert files[f"files/snapshots/{camera_id}-{n}.jpg"] == frame(camera_id, n)
    assert world.taken == [("HTL-0001", 1), ("HTL-0001", 2), ("HTL-0002", 1), ("HTL-0002", 2)]
    assert world.closed == world.opened == ["HTL-0001", "HTL-0002"]
    assert files["files/clips/x.mp4"] == CLIP.data

    granted = json.loads(files["files/grant.json"])
    assert granted["id"] == grant.id
    assert granted["case_number"] == CASE
    assert granted["owner"] == HOTEL
    assert granted["organisation"] == POLICE
    assert granted["cameras"] == ["HTL-0001", "HTL-0002"]
    assert "export" in granted["rights"]

    described = json.loads(files["files/cameras/HTL-0001.json"])
    assert described["id"] == "HTL-0001"
    assert described["owner"] == {"kind": "private", "code": HOTEL}
    assert described["location"]["address"] == "Jl. Penghibur"
    assert described["location"]["district"] == "73.71.04"
    assert described["location"]["point"]["coordinates"] == [LOSARI.longitude, LOSARI.latitude]
    assert "endpoint" not in described
    assert "host" not in described
    assert "streams" not in described
    assert "contact" not in json.dumps(described)


def test_no_address_or_personal_data_of_the_owner_leaves_in_the_bundle(
    world: World, out: Path
) -> None:
    grant = world.grant()
    path = out / "LP-1234.zip"
    world.exporter().export(path, account=OFFICER, cameras=["HTL-0001", "HTL-0002"], grant=grant.id)

    raw = path.read_bytes()
    phone = CONTACT_PHONE.reveal()  # +6281141234567
    for secret in (
        CONTACT_NAME,
        phone,
        phone.removeprefix("+"),
        "0" + phone.removeprefix("+62"),
        "0811-4123-4567",
        CAMERA_HOST,
    ):
        assert secret.encode() not in raw, secret
    for name, data in contents(path).items():  # stored uncompressed, but check each entry too
        assert CONTACT_NAME.encode() not in data, name
        assert phone.removeprefix("+").encode() not in data, name


def test_the_chain_of_custody_in_time_order(world: World, out: Path) -> None:
    grant = world.grant()
    path = out / "LP-1234.zip"

    manifest = world.exporter().export(
        path, account=OFFICER, cameras=["HTL-0001", "HTL-0002"], grant=grant.id, frames=2
    )

    custody = manifest.custody
    assert [e.action for e in custody] == [
        "grant.approved",
        "export.allowed",
        "export.allowed",
        *["snapshot.taken"] * 4,
        "evidence.exported",
    ]
    times = [e.at for e in custody]
    assert times == sorted(times)
    assert len(set(times)) == len(times)  # the clock ticks: each step has its own moment
    assert custody[0].at == grant.granted_at
    assert custody[0].actor == f"account:{HOTEL_ADMIN}"
    assert str(grant.id) in custody[0].detail
    assert f"account:{OFFICER}" in custody[0].detail
    for event, camera_id, seq in zip(
        custody[1:3], ["HTL-0001", "HTL-0002"], manifest.decisions, strict=True
    ):
        assert event.actor == f"account:{OFFICER}"
        assert f"camera {camera_id}" in event.detail
        assert f"audit entry {seq}" in event.detail
    assert [e.detail for e in custody[3:7]] == [
        f"files/snapshots/{c}-{n}.jpg from camera {c}"
        for c in ("HTL-0001", "HTL-0002")
        for n in (1, 2)
    ]
    assert custody[-1].at == manifest.exported_at
    assert custody[-1].actor == f"account:{OFFICER}"
    assert manifest.bundle_id in custody[-1].detail


def test_a_grant_by_place_covers_the_cameras_near_it(world: World, out: Path) -> None:
    grant = world.grant(cameras=set(), center=LOSARI, radius_m=300)

    manifest = world.exporter().export(
        out / "b.zip", account=OFFICER, cameras=["HTL-0002"], grant=grant.id
    )

    assert manifest.grant_id == str(grant.id)
    assert verify_bundle(out / "b.zip", KEY.public_pem()).valid


def test_the_case_number_may_be_repeated_when_it_is_the_grants(world: World, out: Path) -> None:
    grant = world.grant()

    manifest = world.exporter().export(
        out / "b.zip", account=OFFICER, cameras=["HTL-0001"], grant=grant.id, case_number=CASE
    )

    assert manifest.case_number == CASE


def test_the_city_slug_may_be_given(world: World, out: Path) -> None:
    manifest = world.exporter(city="kota-makassar").export(
        out / "b.zip", account=HOTEL_STAFF, cameras=["HTL-0001"], case_number=OWN_CASE
    )

    assert manifest.city == "kota-makassar"


# --- real cameras, through the adapters ---------------------------------------------------------


@pytest.fixture(scope="module")
def farm() -> Iterator[DeviceFarm]:
    with DeviceFarm() as running:
        yield running


def simulated_world(db: Database, farm: DeviceFarm) -> tuple[AccessPolicy, dict[str, Any]]:
    """The hotel's two simulated cameras registered with sealed credentials."""
    onvif = farm.add(OnvifCamera(password=SIM_PASSWORD, reported_host="0.0.0.0"))  # noqa: S104
    still = farm.add(SnapshotCamera(password=SIM_PASSWORD))
    clock = FixedClock(NOW)
    registry = CameraRegistry(db, secrets=SecretBox(SecretBox.generate_key()), clock=clock)
    credentials = Credentials("admin", SIM_PASSWORD)
    registry.add(
        hotel_camera("SIM-0001", LOSARI, endpoint=Endpoint("127.0.0.1", onvif.port), streams=()),
        actor="cli",
        credentials=credentials,
    )
    snapshot_uri = f"http://127.0.0.1:{still.port}/snapshot.jpg"
    registry.add(
        hotel_camera(
            "SIM-0002",
            LOSARI,
            protocol=VendorProtocol.HTTP_SNAPSHOT,
            endpoint=Endpoint("127.0.0.1", still.port),
            streams=(StreamProfile("main", "main", "", snapshot_uri=snapshot_uri),),
        ),
        actor="cli",
        credentials=credentials,
    )
    policy = AccessPolicy(db, registry, clock=clock)
    add_people(policy)
    return policy, {"SIM-0001": onvif, "SIM-0002": still, "clock": clock}


def test_snapshots_of_simulated_cameras_go_through_the_adapters(
    db: Database, farm: DeviceFarm, out: Path
) -> None:
    policy, devices = simulated_world(db, farm)
    clock = devices["clock"]
    grant = policy.grant_incident(
        IncidentGrant(
            case_number=CASE,
            reason="Penjambretan di depan Hotel Pantai Penghibur",
            owner=HOTEL,
            organisation=POLICE,
            requested_by=OFFICER,
            approved_by=HOTEL_ADMIN,
            cameras={"SIM-0001", "SIM-0002"},
            footage_from=NOW - dt.timedelta(hours=6),
            footage_until=NOW - dt.timedelta(hours=2),
            granted_at=NOW,
            expires_at=NOW + dt.timedelta(hours=48),
        )
    )
    path = out / "LP-1234.zip"

    # No adapters given: the exporter reaches the cameras through the registry's adapters.
    manifest = EvidenceExporter(policy, key=KEY, clock=clock).export(
        path, account=OFFICER, cameras=["SIM-0001", "SIM-0002"], grant=grant.id, frames=2
    )

    report = verify_bundle(path, KEY.public_pem())
    assert report.valid, report.problems
    files = contents(path)
    snapshots = [f.path for f in manifest.files if f.kind.value == "snapshot"]
    assert snapshots == [
        "files/snapshots/SIM-0001-1.jpg",
        "files/snapshots/SIM-0001-2.jpg",
        "files/snapshots/SIM-0002-1.jpg",
        "files/snapshots/SIM-0002-2.jpg",
    ]
    assert all(files[name] == TINY_JPEG for name in snapshots)
    assert SIM_PASSWORD.encode() not in path.read_bytes()


def test_a_simulated_camera_that_is_down(db: Database, farm: DeviceFarm, out: Path) -> None:
    policy, devices = simulated_world(db, farm)
    farm.set_state(devices["SIM-0002"], DeviceState.DOWN)
    try:
        with pytest.raises(DeviceUnreachableError, match="camera SIM-0002"):
            EvidenceExporter(policy, key=KEY, clock=devices["clock"]).export(
                out / "b.zip",
                account=HOTEL_STAFF,
                cameras=["SIM-0001", "SIM-0002"],
                case_number=OWN_CASE,
            )
    finally:
        farm.set_state(devices["SIM-0002"], DeviceState.UP)
    assert_nothing_written(out)


# --- refusals -----------------------------------------------------------------------------------


def test_a_camera_outside_the_grant_refuses_the_whole_export(world: World, out: Path) -> None:
    grant = world.grant()
    before = world.head()

    with pytest.raises(PermissionDeniedError, match="HTL-0003") as raised:
        world.exporter().export(
            out / "b.zip", account=OFFICER, cameras=["HTL-0001", "HTL-0003"], grant=grant.id
        )

    assert "HTL-0001" not in str(raised.value)  # only the denied camera is named
    assert_nothing_written(out)
    assert world.opened == []  # no camera was asked for a picture
    # Every decision is recorded: the allowed one and the denied one.
    assert world.head() == before + 2
    (allowed,) = decisions_on(world.db, "HTL-0001")
    (denied,) = decisions_on(world.db, "HTL-0003")
    assert allowed.action == "cctv.access.allowed"
    assert denied.action == "cctv.access.denied"
    assert allowed.details["right"] == denied.details["right"] == "export"
    assert denied.details["reason"] in str(raised.value)


def test_an_unknown_camera_is_a_recorded_denial(world: World, out: Path) -> None:
    grant = world.grant()

    with pytest.raises(PermissionDeniedError, match="HTL-9999: there is no camera HTL-9999"):
        world.exporter().export(
            out / "b.zip", account=OFFICER, cameras=["HTL-9999"], grant=grant.id
        )

    assert_nothing_written(out)
    (denied,) = decisions_on(world.db, "HTL-9999")
    assert denied.action == "cctv.access.denied"


def test_an_expired_grant_exports_nothing(world: World, out: Path) -> None:
    grant = world.grant()
    world.clock.advance(hours=49)

    with pytest.raises(PermissionDeniedError, match="expired"):
        world.exporter().export(
            out / "b.zip", account=OFFICER, cameras=["HTL-0001"], grant=grant.id
        )

    assert_nothing_written(out)
    (denied,) = decisions_on(world.db, "HTL-0001")
    assert denied.action == "cctv.access.denied"
    assert world.opened == []


def test_a_revoked_grant_exports_nothing(world: World, out: Path) -> None:
    grant = world.grant()
    world.policy.revoke_grant(grant.id, by=HOTEL_ADMIN, reason="kasus dicabut")

    with pytest.raises(PermissionDeniedError, match="revoked"):
        world.exporter().export(
            out / "b.zip", account=OFFICER, cameras=["HTL-0001"], grant=grant.id
        )

    assert_nothing_written(out)


def test_the_police_must_name_the_grant_their_export_rests_on(world: World, out: Path) -> None:
    grant = world.grant()

    # The grant would allow, but a bundle without it (and under another case) would misstate
    # what the export was made under.
    with pytest.raises(
        PermissionDeniedError, match=f"HTL-0001: allowed only under grant {grant.id}"
    ):
        world.exporter().export(
            out / "b.zip", account=OFFICER, cameras=["HTL-0001"], case_number="LP/B/9999/XI/2026"
        )

    assert_nothing_written(out)
    assert world.opened == []
    (decided,) = decisions_on(world.db, "HTL-0001")  # the decision is recorded all the same
    assert decided.details["grant"] == grant.id


# --- the owner's own export ---------------------------------------------------------------------


def test_the_owners_account_exports_its_own_camera_naming_the_case(world: World, out: Path) -> None:
    path = out / "own.zip"

    manifest = world.exporter().export(
        path, account=HOTEL_STAFF, cameras=["HTL-0001"], case_number=f"  {OWN_CASE} "
    )

    assert verify_bundle(path, KEY.public_pem()).valid
    assert manifest.case_number == OWN_CASE
    assert manifest.grant_id is None
    assert manifest.exported_by == f"account:{HOTEL_STAFF}"
    assert manifest.organisation == HOTEL
    assert [f.path for f in manifest.files] == [
        "files/cameras/HTL-0001.json",
        "files/snapshots/HTL-0001-1.jpg",
    ]
    assert [e.action for e in manifest.custody] == [
        "export.allowed",
        "snapshot.taken",
        "evidence.exported",
    ]
    (decided,) = decisions_on(world.db, "HTL-0001")
    assert decided.action == "cctv.access.allowed"
    assert decided.details["basis"] == "owner"
    assert manifest.decisions == (decided.seq,)


@pytest.mark.parametrize("case_number", [None, "", "   "])
def test_an_export_without_a_grant_needs_the_case_number(
    world: World, out: Path, case_number: str | None
) -> None:
    before = world.head()

    with pytest.raises(ValidationError, match="case_number") as raised:
        world.exporter().export(
            out / "own.zip", account=HOTEL_STAFF, cameras=["HTL-0001"], case_number=case_number
        )

    assert raised.value.errors[0].path == "case_number"
    assert world.head() == before  # nothing recorded
    assert_nothing_written(out)


def test_a_case_number_other_than_the_grants(world: World, out: Path) -> None:
    grant = world.grant()
    before = world.head()

    with pytest.raises(ValidationError, match=f"grant {grant.id} is for case") as raised:
        world.exporter().export(
            out / "b.zip",
            account=OFFICER,
            cameras=["HTL-0001"],
            grant=grant.id,
            case_number="LP/B/9999/XI/2026/SPKT",
        )

    assert raised.value.errors[0].path == "case_number"
    assert world.head() == before
    assert_nothing_written(out)


# --- bad calls record nothing -------------------------------------------------------------------


def test_no_key_and_no_variable(world: World, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMARTCITY_EVIDENCE_KEY", raising=False)
    before = world.head()

    with pytest.raises(ConfigurationError, match="SMARTCITY_EVIDENCE_KEY"):
        world.exporter(key=None).export(
            out / "own.zip", account=HOTEL_STAFF, cameras=["HTL-0001"], case_number=OWN_CASE
        )

    assert world.head() == before
    assert_nothing_written(out)
    assert world.opened == []


def test_the_key_named_by_the_variable_signs(
    world: World, out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = EvidenceKey.generate()
    key.save(tmp_path / "city.key")
    monkeypatch.setenv("SMARTCITY_EVIDENCE_KEY", str(tmp_path / "city.key"))
    path = out / "own.zip"

    manifest = world.exporter(key=None).export(
        path, account=HOTEL_STAFF, cameras=["HTL-0001"], case_number=OWN_CASE
    )

    assert manifest.key_id == key.key_id
    assert verify_bundle(path, key.public_pem()).valid
    assert not verify_bundle(path, KEY.public_pem()).valid


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"frames": 0}, "frames"),
        ({"frames": 11}, "frames"),
        ({"frames": -1}, "frames"),
        ({"frames": True}, "frames"),
        ({"frames": 2.0}, "frames"),
        ({"cameras": []}, "cameras"),
        ({"cameras": ["HTL-0001", "HTL-0001"]}, "cameras"),
        ({"cameras": ["HTL-0001", "../etc"]}, "cameras"),
    ],
)
def test_bad_calls_record_nothing(
    world: World, out: Path, changes: dict[str, Any], field: str
) -> None:
    before = world.head()
    call: dict[str, Any] = {
        "account": HOTEL_STAFF,
        "cameras": ["HTL-0001"],
        "case_number": OWN_CASE,
    } | changes

    with pytest.raises(ValidationError) as raised:
        world.exporter().export(out / "own.zip", **call)

    assert [e.path for e in raised.value.errors] == [field]
    assert world.head() == before
    assert_nothing_written(out)
    assert world.opened == []


def test_ten_frames_is_the_most(world: World, out: Path) -> None:
    manifest = world.exporter().export(
        out / "own.zip", account=HOTEL_STAFF, cameras=["HTL-0001"], case_number=OWN_CASE, frames=10
    )

    assert [f.path for f in manifest.files][-1] == "files/snapshots/HTL-0001-10.jpg"
    assert len(world.taken) == 10


# --- a camera that fails ------------------------------------------------------------------------


def test_a_camera_that_does_not_answer(world: World, out: Path) -> None:
    world.down.add("HTL-0002")

    with pytest.raises(DeviceUnreachableError) as raised:
        world.exporter().export(
            out / "own.zip",
            account=HOTEL_STAFF,
            cameras=["HTL-0001", "HTL-0002"],
            case_number=OWN_CASE,
        )

    assert str(raised.value).startswith("camera HTL-0002: ")
    assert "did not answer" in str(raised.value)
    assert isinstance(raised.value.__cause__, DeviceUnreachableError)
    assert_nothing_written(out)
    # Each adapter opened was closed, the failing one too.
    assert world.opened == world.closed == ["HTL-0001", "HTL-0002"]


# --- tampering ----------------------------------------------------------------------------------


def rewrite(path: Path, name: str, change: Any) -> None:
    """Rebuild the bundle with an ordinary ZIP tool, ``name``'s bytes passed through ``change``."""
    with zipfile.ZipFile(path) as old:
        entries = [(info.filename, old.read(info)) for info in old.infolist()]
    tampered = path.with_suffix(".tmp")
    with zipfile.ZipFile(tampered, "w", zipfile.ZIP_STORED) as new:
        for filename, data in entries:
            new.writestr(filename, change(data) if filename == name else data)
    tampered.replace(path)


@pytest.fixture
def exported(world: World, out: Path) -> tuple[Path, EvidenceManifest]:
    grant = world.grant()
    path = out / "LP-1234.zip"
    manifest = world.exporter().export(
        path, account=OFFICER, cameras=["HTL-0001", "HTL-0002"], grant=grant.id, frames=2
    )
    assert verify_bundle(path, KEY.public_pem()).valid
    return path, manifest


def test_a_flipped_byte_in_a_snapshot(exported: tuple[Path, EvidenceManifest]) -> None:
    path, _ = exported
    name = "files/snapshots/HTL-0002-1.jpg"

    def flip(data: bytes) -> bytes:
        changed = bytearray(data)
        changed[len(changed) // 2] ^= 0x01
        return bytes(changed)

    rewrite(path, name, flip)

    report = verify_bundle(path, KEY.public_pem())
    assert not report.valid
    assert report.problems == (f"{name}: SHA-256 does not match the manifest",)
    assert report.problems_for(name) == ("SHA-256 does not match the manifest",)
    assert report.problems_for("files/snapshots/HTL-0001-1.jpg") == ()


def test_an_edited_exporter_in_the_manifest(exported: tuple[Path, EvidenceManifest]) -> None:
    path, manifest = exported

    def claim_another_exporter(data: bytes) -> bytes:
        edited = json.loads(data)
        assert edited["exported_by"] == f"account:{OFFICER}"
        edited["exported_by"] = "account:polsek-tamalate.kanit-01"
        return json.dumps(
            edited, ensure_ascii=False, sort_keys=True, separators=(",", ":")
        ).encode()

    rewrite(path, "manifest.json", claim_another_exporter)

    report = verify_bundle(path, KEY.public_pem())
    assert not report.valid
    assert report.manifest is not None
    assert report.manifest.exported_by == "account:polsek-tamalate.kanit-01"  # a claim, unproven
    assert report.manifest.bundle_id == manifest.bundle_id
    assert any(
        p.startswith("manifest.sig: the signature does not verify") for p in report.problems
    ), report.problems
