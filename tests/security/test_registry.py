"""The camera registry: cameras of every owner and vendor, credentials sealed, inventories."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcity_kit.core import GeoPoint, PhoneNumber, RegionCode
from smartcity_kit.errors import (
    ConfigurationError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from smartcity_kit.security import (
    Camera,
    CameraLocation,
    CameraRegistry,
    CameraStatus,
    Credentials,
    Endpoint,
    Owner,
    OwnerContact,
    OwnerKind,
    Purpose,
    SecretBox,
    Site,
    StreamProfile,
    VendorProtocol,
)
from smartcity_kit.security import _store as store
from smartcity_kit.storage import AuditLog, Database, upgrade

KEY = SecretBox.generate_key()
PASSWORD = "Rahasia-Kamera-42"  # noqa: S105 - a test camera's password


@pytest.fixture
def registry(db: Database) -> CameraRegistry:
    upgrade(db)
    return CameraRegistry(db, secrets=SecretBox(KEY))


def camera(number: int = 1, **changes: object) -> Camera:
    values: dict[str, object] = {
        "id": f"MKS-{number:04d}",
        "city": "makassar",
        "name": f"Pantai Losari {number}",
        "owner": Owner(OwnerKind.CITY, "diskominfo", "Dinas Komunikasi dan Informatika"),
        "protocol": VendorProtocol.ONVIF,
        "endpoint": Endpoint(f"10.20.0.{number % 250 + 1}", 80),
        "location": CameraLocation(
            point=GeoPoint(-5.1430, 119.4077),
            address="Jl. Penghibur",
            district=RegionCode("73.71.10"),
        ),
        "purpose": Purpose.SURVEILLANCE,
        "streams": (StreamProfile("main", "main", "rtsp://10.20.0.2:554/Streaming/Channels/101"),),
        "installed": dt.date(2019, 3, 1),
    }
    values.update(changes)
    return Camera(**values)  # type: ignore[arg-type]


def test_add_get_list_and_filters(registry: CameraRegistry) -> None:
    registry.add(camera(1), actor="admin")
    police = Owner(OwnerKind.POLICE, "polrestabes-makassar", "Polrestabes Makassar")
    registry.add(camera(2, owner=police, protocol=VendorProtocol.ISAPI), actor="admin")
    assert registry.get("MKS-0001") == camera(1)
    assert [c.id for c in registry.list()] == ["MKS-0001", "MKS-0002"]
    assert [c.id for c in registry.list(owner_kind=OwnerKind.POLICE)] == ["MKS-0002"]
    assert [c.id for c in registry.list(protocol=VendorProtocol.ONVIF)] == ["MKS-0001"]
    assert [c.id for c in registry.list(district="73.71.10")] == ["MKS-0001", "MKS-0002"]
    assert registry.list(city="baubau") == []
    assert registry.count() == 2


def test_add_twice_and_unknown_ids(registry: CameraRegistry) -> None:
    registry.add(camera(1), actor="admin")
    with pytest.raises(ConflictError, match="already registered"):
        registry.add(camera(1), actor="admin")
    with pytest.raises(NotFoundError):
        registry.get("MKS-9999")
    with pytest.raises(NotFoundError):
        registry.remove("MKS-9999", actor="admin")


def test_update_checks_the_version(registry: CameraRegistry) -> None:
    first = registry.add(camera(1), actor="admin")
    moved = registry.update(attrs.evolve(first, status=CameraStatus.MAINTENANCE), actor="operator")
    assert moved.status is CameraStatus.MAINTENANCE
    assert moved.version == 2
    with pytest.raises(ConflictError, match="changed by someone else"):
        registry.update(first, actor="operator")


def test_credentials_are_sealed_at_rest_and_never_shown(
    registry: CameraRegistry, db: Database
) -> None:
    registry.add(camera(1), actor="admin", credentials=Credentials("admin", PASSWORD))
    with db.reading() as conn:
        raw = conn.execute(sa.select(store.cameras)).one()
    assert PASSWORD not in str(tuple(raw))
    assert "admin" not in (raw.secret or "")
    assert registry.credentials("MKS-0001") == Credentials("admin", PASSWORD)
    assert registry.has_credentials("MKS-0001")
    assert PASSWORD not in repr(registry.credentials("MKS-0001"))
    assert PASSWORD not in repr(registry.get("MKS-0001"))
    entries = AuditLog(db).entries()
    assert entries
    assert all(PASSWORD not in json.dumps(e.details) for e in entries)
    registry.set_credentials("MKS-0001", None, actor="admin")
    assert registry.credentials("MKS-0001") is None


def test_credentials_need_a_key(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    upgrade(db)
    monkeypatch.delenv("SMARTCITY_SECRET_KEY", raising=False)
    keyless = CameraRegistry(db, secrets=None)
    assert not keyless.has_secret_key
    with pytest.raises(ConfigurationError, match="SMARTCITY_SECRET_KEY"):
        keyless.add(camera(1), actor="admin", credentials=Credentials("admin", PASSWORD))
    assert keyless.count() == 0
    keyless.add(camera(1), actor="admin")  # without credentials it is fine
    CameraRegistry(db, secrets=SecretBox(KEY)).set_credentials(
        "MKS-0001", Credentials("admin", PASSWORD), actor="admin"
    )
    with pytest.raises(ConfigurationError, match="set SMARTCITY_SECRET_KEY"):
        keyless.credentials("MKS-0001")
    other = CameraRegistry(db, secrets=SecretBox(SecretBox.generate_key()))
    with pytest.raises(ConfigurationError, match="cannot be decrypted") as e:
        other.credentials("MKS-0001")
    assert PASSWORD not in str(e.value)


def test_bad_key_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="not a valid key"):
        SecretBox("not-a-key")
    assert "=" not in repr(SecretBox(KEY)).replace("key=", "")


def test_sites_group_cameras(registry: CameraRegistry) -> None:
    registry.save_site(Site("POLE-7", "makassar", "Tiang simpang Losari"), actor="admin")
    registry.add(camera(1, site="POLE-7"), actor="admin")
    with pytest.raises(ValidationError, match="no site"):
        registry.add(camera(2, site="POLE-8"), actor="admin")
    registry.save_site(Site("BB-1", "baubau", "Pantai Kamali"), actor="admin")
    with pytest.raises(ValidationError, match="another city"):
        registry.add(camera(3, site="BB-1"), actor="admin")
    assert [s.id for s in registry.sites("makassar")] == ["POLE-7"]


def test_models_refuse_bad_values() -> None:
    with pytest.raises(ValidationError, match="snapshot_uri"):
        camera(1, protocol=VendorProtocol.HTTP_SNAPSHOT)
    with pytest.raises(ValidationError, match="id"):
        camera(1, id="has space")
    with pytest.raises(ValidationError, match="credentials"):
        camera(1, streams=(StreamProfile("m", "m", "rtsp://admin:pw@10.0.0.1/x"),))
    with pytest.raises(ValidationError, match="port"):
        Endpoint("10.0.0.1", 70000)
    with pytest.raises(ValidationError, match="host"):
        Endpoint("http://10.0.0.1")
    with pytest.raises(ValidationError, match="district"):
        CameraLocation(district=RegionCode("73.71"))


def test_private_owner_contact_is_masked() -> None:
    contact = OwnerContact("Andi Baso Mappanyukki", PhoneNumber.parse("081234567890"))
    owner = Owner(OwnerKind.PRIVATE, "toko-sinar", "Toko Sinar Jaya", contact)
    text = repr(camera(1, owner=owner))
    assert "Mappanyukki" not in text
    assert "081234567890" not in text


CSV = """\
id,name,city,owner_kind,owner_code,owner_name,protocol,host,port,kecamatan,username,password
MKS-0101,Simpang Lima,makassar,city,dishub,Dinas Perhubungan,isapi,10.1.0.5,80,73.71.10,admin,{pw}
MKS-0102,Karebosi,makassar,police,polrestabes,Polrestabes Makassar,dahua,10.1.0.6,,73.71.10,,
"""


def test_import_csv_with_credentials(registry: CameraRegistry) -> None:
    imported = registry.import_csv(CSV.format(pw=PASSWORD), actor="admin")
    assert [c.id for c in imported] == ["MKS-0101", "MKS-0102"]
    assert imported[1].endpoint.port == 80
    assert registry.credentials("MKS-0101") == Credentials("admin", PASSWORD)
    assert registry.credentials("MKS-0102") is None
    exported = registry.export_csv()
    assert PASSWORD not in exported
    assert "password" not in exported.splitlines()[0]


def test_import_names_every_bad_row_and_imports_nothing(registry: CameraRegistry) -> None:
    registry.add(camera(1), actor="admin")
    bad = (
        CSV.format(pw=PASSWORD)
        + "MKS-0103,Bad port,makassar,city,dishub,Dishub,onvif,10.1.0.7,99999,,,\n"
        + "MKS-0104,Bad vendor,makassar,city,dishub,Dishub,axis,10.1.0.8,80,,,\n"
        + "MKS-0101,Repeat,makassar,city,dishub,Dishub,onvif,10.1.0.9,80,,,\n"
        + "MKS-0001,Exists,makassar,city,dishub,Dishub,onvif,10.1.0.9,80,,,\n"
    )
    with pytest.raises(ValidationError) as e:
        registry.import_csv(bad, actor="admin")
    paths = [err.path for err in e.value.errors]
    assert paths == ["row 3: port", "row 4: protocol", "row 5: id"]
    assert PASSWORD not in str(e.value)
    assert [c.id for c in registry.list()] == ["MKS-0001"]
    only_existing = CSV.format(pw=PASSWORD) + (
        "MKS-0001,Exists,makassar,city,dishub,Dishub,onvif,10.1.0.9,80,,,\n"
    )
    with pytest.raises(ValidationError) as e:
        registry.import_csv(only_existing, actor="admin")
    assert [err.path for err in e.value.errors] == ["row 3: id"]
    assert [c.id for c in registry.list()] == ["MKS-0001"]


def test_import_without_key_refuses_passwords(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(db)
    monkeypatch.delenv("SMARTCITY_SECRET_KEY", raising=False)
    keyless = CameraRegistry(db, secrets=None)
    with pytest.raises(ValidationError, match="row 1: password"):
        keyless.import_csv(CSV.format(pw=PASSWORD), actor="admin")
    assert keyless.count() == 0


def test_import_update_existing_keeps_credentials(registry: CameraRegistry) -> None:
    registry.import_csv(CSV.format(pw=PASSWORD), actor="admin")
    renamed = registry.export_rows(reveal_personal_data=True)
    renamed[0]["name"] = "Simpang Lima (baru)"
    registry.import_rows(renamed, actor="admin", update_existing=True)
    assert registry.get("MKS-0101").name == "Simpang Lima (baru)"
    assert registry.get("MKS-0101").version == 2
    assert registry.credentials("MKS-0101") == Credentials("admin", PASSWORD)


def test_json_inventory_errors(registry: CameraRegistry) -> None:
    with pytest.raises(ValidationError, match="file: is not JSON"):
        registry.import_json("{", actor="admin")
    with pytest.raises(ValidationError, match="row 1: must be an object"):
        registry.import_json("[1]", actor="admin")
    with pytest.raises(ValidationError, match="row 1: colour: is not an inventory column"):
        registry.import_json('[{"colour": "red"}]', actor="admin")


# Names as officials write them (no digit runs: the audit log refuses text that looks like a NIK
# or a phone number, which is tested in the storage suite).
_names = st.from_regex(
    r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ .,'()/-]{0,60}[A-Za-z]( [0-9]{1,3})?", fullmatch=True
)


@st.composite
def cameras(draw: st.DrawFn) -> Camera:
    number = draw(st.integers(1, 9999))
    kind = draw(st.sampled_from(OwnerKind))
    contact = OwnerContact()
    if kind is OwnerKind.PRIVATE:
        contact = OwnerContact(
            draw(st.none() | _names.filter(lambda s: len(s) <= 100)),
            draw(st.none() | st.just(PhoneNumber.parse("081234567890"))),
        )
    point = draw(
        st.none()
        | st.builds(
            GeoPoint,
            st.floats(-11, 6, allow_nan=False).map(lambda f: round(f, 6)),
            st.floats(95, 141, allow_nan=False).map(lambda f: round(f, 6)),
        )
    )
    protocol = draw(st.sampled_from(VendorProtocol))
    streams = (StreamProfile("main", "main", "rtsp://10.20.0.2:554/Streaming/Channels/101"),)
    if protocol is VendorProtocol.HTTP_SNAPSHOT:
        streams = (StreamProfile("main", "main", "", "http://10.20.0.2/snap.jpg"),)
    return camera(
        number,
        name=draw(_names),
        streams=streams,
        owner=Owner(
            kind, draw(st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)), "Pemilik", contact
        ),
        protocol=protocol,
        endpoint=Endpoint(
            draw(st.ip_addresses(v=4).map(str)),
            draw(st.integers(1, 65535)),
            draw(st.sampled_from(["http", "https"])),
            draw(st.integers(1, 64)),
        ),
        location=CameraLocation(point=point, address=draw(st.none() | _names)),
        status=draw(st.sampled_from(CameraStatus)),
        purpose=draw(st.sampled_from(Purpose)),
        installed=draw(st.none() | st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31))),
    )


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None, max_examples=15
)
@given(st.lists(cameras(), min_size=1, max_size=5, unique_by=lambda c: c.id))
def test_inventory_round_trips_through_csv_and_json(
    tmp_path_factory: pytest.TempPathFactory, found: list[Camera]
) -> None:
    for fmt in ("csv", "json"):
        source = CameraRegistry(_fresh(tmp_path_factory), secrets=SecretBox(KEY))
        for c in found:
            source.add(c, actor="admin")
        if fmt == "csv":
            text = source.export_csv(reveal_personal_data=True)
        else:
            text = source.export_json(reveal_personal_data=True)
        target = CameraRegistry(_fresh(tmp_path_factory), secrets=SecretBox(KEY))
        (target.import_csv if fmt == "csv" else target.import_json)(text, actor="admin")
        assert target.list() == source.list()


def _fresh(factory: pytest.TempPathFactory) -> Database:
    db = Database(f"sqlite:///{factory.mktemp('inv') / 'x.db'}")
    upgrade(db)
    return db


def test_hosts_and_uris_that_would_leak_or_break() -> None:
    with pytest.raises(ValidationError, match="without a port"):
        Endpoint("10.0.0.5:8080")
    assert Endpoint("fe80::1").netloc == "[fe80::1]:80"
    with pytest.raises(ValidationError, match="must not embed credentials"):
        camera(
            1,
            protocol=VendorProtocol.HTTP_SNAPSHOT,
            streams=(StreamProfile("m", "m", "", "http://10.0.0.1/snap.cgi?user=a&pwd=S3cret"),),
        )


HEADER = "id,name,city,owner_kind,owner_code,owner_name,protocol,host,lat,lon,owner_contact_phone"


def test_inventory_errors_name_the_file_line_and_column(
    registry: CameraRegistry, tmp_path: Path
) -> None:
    text = (
        HEADER + "\n\n"
        "MKS-1,Simpang 0812 3456 7890,makassar,city,dishub,Dishub,onvif,10.0.0.1,,,\n\n"
        "MKS-2,Lat,makassar,city,dishub,Dishub,onvif,10.0.0.2,95,119.4,\n"
        "MKS-3,Phone,makassar,city,dishub,Dishub,onvif,10.0.0.3,,,12ab\n"
    )
    with pytest.raises(ValidationError) as e:
        registry.import_csv(text, actor="admin")
    # Row N is line N + 1 of the file (the header is row 0), blank lines included.
    assert [err.path for err in e.value.errors] == ["row 4: lat", "row 5: owner_contact_phone"]
    assert registry.count() == 0
    extra = HEADER + "\nMKS-1,A,makassar,city,dishub,Dishub,onvif,10.0.0.1,,,,surplus\n"
    with pytest.raises(ValidationError, match="row 1: has more cells than the header line"):
        registry.import_csv(extra, actor="admin")
    # A camera name is not personal data, even with digits in it.
    registry.import_csv(text.split("MKS-2")[0], actor="admin")
    assert registry.get("MKS-1").name == "Simpang 0812 3456 7890"
    latin1 = tmp_path / "kamera.csv"
    latin1.write_bytes(
        (HEADER + "\nMKS-9,Jalan Sultan Hasanuddin é,x,city,a,A,onvif,h,,,\n").encode("cp1252")
    )
    with pytest.raises(ValidationError, match="file: is not UTF-8 text"):
        registry.import_file(latin1, actor="admin")
