"""The CCTV JSON API: who sees which camera, streams and snapshots decided and recorded."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from smartcity_kit.core import FixedClock, GeoPoint, RegionCode
from smartcity_kit.errors import DeviceUnreachableError
from smartcity_kit.security import (
    AccessPolicy,
    Account,
    AccountRole,
    Camera,
    CameraEvent,
    CameraLocation,
    CameraRegistry,
    DeviceInfo,
    Endpoint,
    Organisation,
    Owner,
    OwnerContact,
    OwnerKind,
    Purpose,
    StreamProfile,
    VendorProtocol,
)
from smartcity_kit.storage import ApiKey, ApiKeys, AuditLog, Database, Role
from smartcity_kit.web import AppConfig, create_app

NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
JPEG = b"\xff\xd8\xff\xe0 a picture of Pantai Losari \xff\xd9"
LOSARI = GeoPoint(-5.1430, 119.4077)
MAIN_URI = "rtsp://10.20.0.2:554/Streaming/Channels/101"
SUB_URI = "rtsp://10.20.0.2:554/Streaming/Channels/102"


class FakeCamera:
    """A camera that hands out a picture, or fails as the test says."""

    def __init__(self, camera: Camera, world: World) -> None:
        self._camera = camera
        self._world = world

    @property
    def endpoint(self) -> Endpoint:
        return self._camera.endpoint

    def device_info(self) -> DeviceInfo:
        raise NotImplementedError

    def profiles(self) -> list[StreamProfile]:
        return list(self._camera.streams)

    def snapshot(self, profile: str | None = None) -> bytes:  # noqa: ARG002
        self._world.snapshots += 1
        if self._world.camera_down:
            raise DeviceUnreachableError(f"{self._camera.endpoint} did not answer in 5 s")
        return JPEG

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
        self._world.closed += 1


@attrs.define
class World:
    db: Database
    clock: FixedClock
    policy: AccessPolicy = attrs.field(init=False)
    client: FlaskClient = attrs.field(init=False)
    keys: dict[str, dict[str, str]] = attrs.field(factory=dict)
    snapshots: int = 0
    closed: int = 0
    camera_down: bool = False

    def head(self) -> int:
        return AuditLog(self.db).head_seq()

    def as_(self, who: str) -> dict[str, str]:
        return self.keys[who]


def new_key(keys: ApiKeys, name: str, role: Role, **kw: Any) -> tuple[ApiKey, str]:
    """A new API key and its secret."""
    return keys.create(name, role, **kw)


def camera(camera_id: str, point: GeoPoint, owner: Owner, **changes: Any) -> Camera:
    values: dict[str, Any] = {
        "id": camera_id,
        "city": "makassar",
        "name": f"Kamera {camera_id}",
        "owner": owner,
        "protocol": VendorProtocol.ONVIF,
        "endpoint": Endpoint("10.20.0.2", 80),
        "location": CameraLocation(
            point=point, address="Jl. Penghibur", district=RegionCode("73.71.10")
        ),
        "purpose": Purpose.SURVEILLANCE,
        "streams": (
            StreamProfile("main", "mainStream", MAIN_URI),
            StreamProfile("sub", "subStream", SUB_URI),
        ),
    }
    values.update(changes)
    return Camera(**values)


CITY = Owner(
    OwnerKind.CITY,
    "diskominfo",
    "Dinas Komunikasi dan Informatika",
    OwnerContact(name="Andi Makkulau"),
)
POLICE = Owner(OwnerKind.POLICE, "polsek-tamalate", "Polsek Tamalate")

#: Who is who: account id, organisation, role (every one gets an API key of its own).
ACCOUNTS = {
    "city-admin": ("diskominfo.admin-01", "diskominfo", AccountRole.ADMIN),
    "city-operator": ("diskominfo.operator-01", "diskominfo", AccountRole.VIEWER),
    "police": ("polsek-tamalate.reskrim-01", "polsek-tamalate", AccountRole.VIEWER),
    "police-admin": ("polsek-tamalate.kanit-01", "polsek-tamalate", AccountRole.ADMIN),
    "auditor": ("inspektorat.audit-01", "inspektorat", AccountRole.AUDITOR),
}


@pytest.fixture
def world(db: Database) -> World:
    clock = FixedClock(NOW)
    registry = CameraRegistry(db, clock=clock)
    registry.add(camera("MKS-0001", LOSARI, CITY), actor="cli")
    # About 4 km away: outside an incident's radius at Losari.
    registry.add(
        camera("MKS-0002", GeoPoint(-5.1700, 119.4400), CITY, purpose=Purpose.TRAFFIC),
        actor="cli",
    )
    registry.add(camera("POL-0001", GeoPoint(-5.1800, 119.4100), POLICE), actor="cli")
    found = World(db, clock)
    policy = AccessPolicy(db, registry, clock=clock, adapters=lambda c: FakeCamera(c, found))
    found.policy = policy
    for code, name, kind in [
        ("diskominfo", "Dinas Komunikasi dan Informatika Kota Makassar", OwnerKind.CITY),
        ("polsek-tamalate", "Polsek Tamalate", OwnerKind.POLICE),
        ("inspektorat", "Inspektorat Kota Makassar", OwnerKind.CITY),
    ]:
        policy.save_organisation(Organisation(code, "makassar", name, kind))
    keys = ApiKeys(db, clock)
    for who, (account_id, organisation, role) in ACCOUNTS.items():
        record, secret = new_key(keys, f"cctv {who}", Role.AUDITOR)
        policy.add_account(
            Account(account_id, organisation, role, f"Nama {who}", key_id=record.key_id)
        )
        found.keys[who] = {"X-API-Key": secret}
    app = create_app(AppConfig(), database=db, clock=clock, access_policy=policy)
    found.client = app.test_client()
    return found


def problem(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.data
    assert response.content_type == "application/problem+json"
    body = response.json
    assert isinstance(body, dict)
    assert body["status"] == status
    return body


def ok(response: TestResponse, status: int = 200) -> Any:
    assert response.status_code == status, response.data
    return response.json


def grant_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "case_number": "LP/B/1234/XI/2026/SPKT",
        "reason": "Penjambretan di Pantai Losari",
        "organisation": "polsek-tamalate",
        "requested_by": "polsek-tamalate.reskrim-01",
        "center": {"lat": LOSARI.latitude, "lon": LOSARI.longitude},
        "radius_m": 300,
        "footage_from": "2026-11-22T20:00:00+08:00",
        "footage_until": "2026-11-22T22:00:00+08:00",
        "hours": 24,
    }
    body.update(changes)
    return body


def stream(world: World, who: str, camera_id: str = "MKS-0001", **kw: Any) -> TestResponse:
    return world.client.post(f"/api/cctv/cameras/{camera_id}/stream", headers=world.as_(who), **kw)


def test_police_get_a_city_camera_only_while_a_grant_runs(world: World) -> None:
    refused = problem(stream(world, "police"), 403)
    assert refused["detail"] == (
        "no agreement or grant in force gives polsek-tamalate the right live on camera "
        "MKS-0001 (owner diskominfo)"
    )
    assert isinstance(refused["audit_seq"], int)

    made = ok(
        world.client.post("/api/cctv/grants", headers=world.as_("city-admin"), json=grant_body()),
        201,
    )
    assert made["owner"] == "diskominfo"
    assert made["approved_by"] == "diskominfo.admin-01"
    assert made["granted_at"] == "2026-11-23T01:00:00+00:00"
    assert made["expires_at"] == "2026-11-24T01:00:00+00:00"
    assert made["footage_from"] == "2026-11-22T12:00:00+00:00"
    assert made["center"] == {"type": "Point", "coordinates": [LOSARI.longitude, LOSARI.latitude]}
    assert made["in_force"] is True

    given = stream(world, "police")
    body = ok(given)
    assert given.headers["Cache-Control"] == "no-store"
    assert body["uri"] == MAIN_URI
    assert body["profile"] == "main"
    decision = body["decision"]
    assert decision["allowed"] is True
    assert decision["basis"] == "grant"
    assert decision["grant"] == made["id"]
    assert decision["case_number"] == "LP/B/1234/XI/2026/SPKT"
    assert decision["at"] == "2026-11-23T01:00:00+00:00"

    world.clock.advance(hours=25)
    expired = problem(stream(world, "police"), 403)
    assert (
        f"grant {made['id']} (LP/B/1234/XI/2026/SPKT) expired 2026-11-24 01:00 UTC"
        in (expired["detail"])
    )

    report = ok(
        world.client.get("/api/cctv/access-report?camera=MKS-0001", headers=world.as_("auditor"))
    )
    items = report["items"]
    assert [(r["allowed"], r["account"], r["right"]) for r in items] == [
        (False, "polsek-tamalate.reskrim-01", "live"),
        (True, "polsek-tamalate.reskrim-01", "live"),
        (False, "polsek-tamalate.reskrim-01", "live"),
    ]
    assert [r["audit_seq"] for r in items] == [
        refused["audit_seq"],
        decision["audit_seq"],
        expired["audit_seq"],
    ]
    assert (items[1]["grant"], items[1]["case_number"]) == (made["id"], made["case_number"])
    assert items[0]["grant"] is None
    assert items[0]["reason"] == refused["detail"]
    assert items[2]["at"] == "2026-11-24T02:00:00+00:00"
    for incident in (made["case_number"], str(made["id"])):
        by_incident = world.client.get(
            "/api/cctv/access-report",
            query_string={"incident": incident},
            headers=world.as_("auditor"),
        )
        assert [r["audit_seq"] for r in ok(by_incident)["items"]] == [decision["audit_seq"]]
    assert AuditLog(world.db).verify().intact


def test_visible_cameras_follow_the_grant_and_show_nothing_secret(world: World) -> None:
    def visible(who: str, query: str = "") -> list[dict[str, Any]]:
        found = ok(world.client.get(f"/api/cctv/cameras{query}", headers=world.as_(who)))
        assert isinstance(found, list)
        return found

    head = world.head()
    assert [c["id"] for c in visible("police")] == ["POL-0001"]  # their own
    own = visible("city-operator")
    assert [c["id"] for c in own] == ["MKS-0001", "MKS-0002"]
    assert own[0]["rights"] == ["live", "playback", "snapshot", "export", "ptz"]
    assert own[0]["owner"] == {"code": "diskominfo", "kind": "city"}
    assert own[0]["location"] == {
        "point": {"type": "Point", "coordinates": [LOSARI.longitude, LOSARI.latitude]},
        "district": "73.71.10",
        "village": None,
        "address": "Jl. Penghibur",
    }
    assert own[0]["profiles"] == ["main", "sub"]
    assert world.head() == head  # lists decide, they do not record

    ok(
        world.client.post(
            "/api/cctv/grants",
            headers=world.as_("city-admin"),
            json=grant_body(rights=["live", "playback"]),
        ),
        201,
    )
    shared = visible("police")
    assert [(c["id"], c["rights"]) for c in shared] == [
        ("MKS-0001", ["live", "playback"]),
        ("POL-0001", ["live", "playback", "snapshot", "export", "ptz"]),
    ]
    assert [c["id"] for c in visible("police", "?right=snapshot")] == ["POL-0001"]
    assert [c["id"] for c in visible("police", "?right=playback")] == ["MKS-0001", "POL-0001"]
    assert [c["id"] for c in visible("police", "?city=makassar")] == ["MKS-0001", "POL-0001"]
    assert visible("police", "?city=baubau") == []
    assert visible("auditor") == []

    response = world.client.get("/api/cctv/cameras", headers=world.as_("city-operator"))
    text = response.get_data(as_text=True)
    for secret in ("10.20.0.2", "rtsp://", "Andi", "Dinas Komunikasi", "endpoint", "streams"):
        assert secret not in text

    one = ok(world.client.get("/api/cctv/cameras/MKS-0001", headers=world.as_("police")))
    assert one["rights"] == ["live", "playback"]
    other = problem(
        world.client.get("/api/cctv/cameras/MKS-0002", headers=world.as_("police")), 403
    )
    assert "no agreement or grant in force gives polsek-tamalate" in other["detail"]
    problem(world.client.get("/api/cctv/cameras/MKS-9999", headers=world.as_("police")), 404)

    world.clock.advance(hours=24)
    assert [c["id"] for c in visible("police")] == ["POL-0001"]


def test_unknown_camera_is_a_recorded_denial(world: World) -> None:
    refused = problem(stream(world, "police", "MKS-9999"), 403)
    assert refused["detail"] == "there is no camera MKS-9999"
    report = ok(
        world.client.get("/api/cctv/access-report?camera=MKS-9999", headers=world.as_("auditor"))
    )
    assert [(r["audit_seq"], r["allowed"]) for r in report["items"]] == [
        (refused["audit_seq"], False)
    ]


def test_stream_profiles(world: World) -> None:
    sub = ok(stream(world, "city-operator", json={"profile": "sub"}))
    assert (sub["uri"], sub["profile"]) == (SUB_URI, "sub")
    assert sub["decision"]["basis"] == "owner"
    problem(stream(world, "city-operator", json={"profile": "fourk"}), 404)
    assert (
        world.client.get(
            "/api/cctv/cameras/MKS-0001/stream", headers=world.as_("city-operator")
        ).status_code
        == 405
    )


def test_agreements_are_made_listed_and_revoked_by_admins(world: World) -> None:
    agreement = {
        "id": "PKS-2026-007",
        "grantee": "polsek-tamalate",
        "scope": {"purposes": ["traffic"]},
        "rights": ["live", "snapshot"],
        "legal_basis": "PKS 045/2026 Diskominfo-Polsek Tamalate",
        "valid_until": "2027-11-23T09:00:00+08:00",
    }
    for who in ("police", "auditor", "city-operator"):
        problem(
            world.client.post("/api/cctv/agreements", headers=world.as_(who), json=agreement),
            403,
        )
        problem(world.client.get("/api/cctv/agreements", headers=world.as_(who)), 403)
    problem(stream(world, "police", "MKS-0002"), 403)

    made = ok(
        world.client.post("/api/cctv/agreements", headers=world.as_("city-admin"), json=agreement),
        201,
    )
    assert made["owner"] == "diskominfo"
    assert made["valid_from"] == "2026-11-23T01:00:00+00:00"  # now, by default
    assert made["valid_until"] == "2027-11-23T01:00:00+00:00"
    assert made["scope"]["purposes"] == ["traffic"]
    assert made["in_force"] is True
    again = world.client.post(
        "/api/cctv/agreements", headers=world.as_("city-admin"), json=agreement
    )
    problem(again, 409)

    for who in ("city-admin", "police-admin"):
        listed = ok(world.client.get("/api/cctv/agreements", headers=world.as_(who)))
        assert [a["id"] for a in listed] == ["PKS-2026-007"]

    given = ok(stream(world, "police", "MKS-0002"))
    assert given["decision"]["basis"] == "agreement"
    assert given["decision"]["agreement"] == "PKS-2026-007"
    problem(stream(world, "police", "MKS-0001"), 403)  # a surveillance camera: not in scope

    problem(
        world.client.post(
            "/api/cctv/agreements/PKS-2026-007/revoke",
            headers=world.as_("police"),
            json={"reason": "Selesai"},
        ),
        403,
    )
    world.clock.advance(hours=1)
    revoked = ok(
        world.client.post(
            "/api/cctv/agreements/PKS-2026-007/revoke",
            headers=world.as_("police-admin"),
            json={"reason": "Kerja sama berakhir"},
        )
    )
    assert revoked["revoked_at"] == "2026-11-23T02:00:00+00:00"
    assert revoked["revoked_by"] == "polsek-tamalate.kanit-01"
    assert revoked["in_force"] is False
    gone = problem(stream(world, "police", "MKS-0002"), 403)
    assert "agreement PKS-2026-007 was revoked 2026-11-23 02:00 UTC" in gone["detail"]
    problem(
        world.client.post(
            "/api/cctv/agreements/PKS-0000/revoke",
            headers=world.as_("city-admin"),
            json={"reason": "x"},
        ),
        404,
    )


def test_grants_are_listed_and_revoked_by_admins_of_either_side(world: World) -> None:
    made = ok(
        world.client.post("/api/cctv/grants", headers=world.as_("city-admin"), json=grant_body()),
        201,
    )
    # The owner is always the caller's organisation: the police cannot open the city's cameras.
    own = problem(
        world.client.post("/api/cctv/grants", headers=world.as_("police-admin"), json=grant_body()),
        400,
    )
    assert own["errors"] == [{"field": "organisation", "message": "an owner does not need a grant"}]
    problem(
        world.client.post("/api/cctv/grants", headers=world.as_("police"), json=grant_body()), 403
    )
    problem(world.client.get("/api/cctv/grants", headers=world.as_("police")), 403)
    for who in ("city-admin", "police-admin"):
        listed = ok(world.client.get("/api/cctv/grants", headers=world.as_(who)))
        assert [g["id"] for g in listed] == [made["id"]]
    by_case = world.client.get(
        "/api/cctv/grants?case_number=LP/B/9/2026", headers=world.as_("city-admin")
    )
    assert ok(by_case) == []
    ok(stream(world, "police"))

    world.clock.advance(minutes=30)
    revoked = ok(
        world.client.post(
            f"/api/cctv/grants/{made['id']}/revoke",
            headers=world.as_("police-admin"),
            json={"reason": "Pelaku tertangkap"},
        )
    )
    assert revoked["revoked_at"] == "2026-11-23T01:30:00+00:00"
    assert revoked["revoke_reason"] == "Pelaku tertangkap"
    assert "was revoked" in problem(stream(world, "police"), 403)["detail"]
    in_force = world.client.get("/api/cctv/grants?in_force=true", headers=world.as_("city-admin"))
    assert ok(in_force) == []
    for number in (9999, 2**40):  # beyond PostgreSQL's INTEGER too
        problem(
            world.client.post(
                f"/api/cctv/grants/{number}/revoke",
                headers=world.as_("city-admin"),
                json={"reason": "x"},
            ),
            404,
        )


def test_snapshots_are_decided_recorded_and_not_cached(world: World) -> None:
    shot = world.client.post(
        "/api/cctv/cameras/MKS-0001/snapshot", headers=world.as_("city-operator")
    )
    assert shot.status_code == 200
    assert shot.content_type == "image/jpeg"
    assert shot.data == JPEG
    assert shot.headers["Cache-Control"] == "no-store"
    report = ok(
        world.client.get("/api/cctv/access-report?camera=MKS-0001", headers=world.as_("auditor"))
    )
    assert [r["audit_seq"] for r in report["items"]] == [int(shot.headers["X-Audit-Seq"])]
    assert report["items"][0]["right"] == "snapshot"
    assert (world.snapshots, world.closed) == (1, 1)

    refused = problem(
        world.client.post("/api/cctv/cameras/MKS-0001/snapshot", headers=world.as_("police")),
        403,
    )
    assert "the right snapshot on camera MKS-0001" in refused["detail"]
    assert isinstance(refused["audit_seq"], int)
    assert world.snapshots == 1  # the camera was not asked

    world.camera_down = True
    failed = problem(
        world.client.post(
            "/api/cctv/cameras/MKS-0001/snapshot", headers=world.as_("city-operator")
        ),
        502,
    )
    assert failed["detail"] == "camera MKS-0001 did not deliver a snapshot: it did not answer"
    assert world.closed == 2
    recorded = ok(
        world.client.get(
            "/api/cctv/access-report?camera=MKS-0001&allowed=true", headers=world.as_("auditor")
        )
    )
    assert len(recorded["items"]) == 2  # access was given, then the camera failed


def test_who_may_call(world: World) -> None:
    client = world.client
    anonymous = problem(client.get("/api/cctv/cameras"), 403)
    assert anonymous["detail"] == "a valid API key is required (X-API-Key header)"
    _, unlinked = new_key(ApiKeys(world.db), "bukan cctv", Role.ADMIN)
    bearer = {"Authorization": f"Bearer {unlinked}"}
    assert problem(client.get("/api/cctv/cameras", headers=bearer), 403)["detail"] == (
        "this key is not linked to a CCTV account"
    )
    viewer_report = problem(client.get("/api/cctv/access-report", headers=world.as_("police")), 403)
    assert viewer_report["detail"] == (
        "this needs a CCTV account with role auditor or admin; polsek-tamalate.reskrim-01 is viewer"
    )
    audited = problem(stream(world, "auditor"), 403)
    assert audited["detail"] == "auditor accounts read access reports; they do not use cameras"

    world.policy.set_account_active("polsek-tamalate.reskrim-01", active=False)
    disabled = problem(client.get("/api/cctv/cameras", headers=world.as_("police")), 403)
    assert disabled["detail"] == "account polsek-tamalate.reskrim-01 is disabled"
    attempt = problem(stream(world, "police"), 403)  # recorded, so that an auditor sees it
    assert attempt["detail"] == "account polsek-tamalate.reskrim-01 is disabled"
    report = ok(
        client.get(
            "/api/cctv/access-report?account=polsek-tamalate.reskrim-01",
            headers=world.as_("auditor"),
        )
    )
    assert [r["audit_seq"] for r in report["items"]] == [attempt["audit_seq"]]


def test_admins_see_the_report_of_their_own_cameras_and_accounts(world: World) -> None:
    police_on_city = problem(stream(world, "police", "MKS-0001"), 403)["audit_seq"]
    city_on_city = ok(stream(world, "city-operator", "MKS-0001"))["decision"]["audit_seq"]
    police_on_police = ok(stream(world, "police", "POL-0001"))["decision"]["audit_seq"]
    city_on_police = problem(stream(world, "city-operator", "POL-0001"), 403)["audit_seq"]

    def seqs(who: str, query: str = "") -> list[int]:
        report = ok(world.client.get(f"/api/cctv/access-report{query}", headers=world.as_(who)))
        return [r["audit_seq"] for r in report["items"]]

    everything = [police_on_city, city_on_city, police_on_police, city_on_police]
    assert seqs("auditor") == everything
    assert seqs("city-admin") == [police_on_city, city_on_city, city_on_police]
    assert seqs("police-admin") == [police_on_city, police_on_police, city_on_police]
    assert seqs("city-admin", "?allowed=false") == [police_on_city, city_on_police]
    assert seqs("auditor", "?organisation=polsek-tamalate") == [police_on_city, police_on_police]
    assert seqs("auditor", "?page_size=2") == everything[:2]
    assert seqs("auditor", "?page_size=2&page=2") == everything[2:]
    assert seqs("auditor", "?until=2026-11-23T09:00:00%2B08:00") == []
    assert seqs("auditor", "?since=2026-11-23T09:00:00%2B08:00") == everything


def test_a_key_for_one_city_uses_that_citys_cameras_only(world: World) -> None:
    record, secret = new_key(
        ApiKeys(world.db), "cctv baubau", Role.OPERATOR, city="baubau", agency="dishub"
    )
    world.policy.add_account(
        Account("diskominfo.baubau-01", "diskominfo", AccountRole.VIEWER, "X", key_id=record.key_id)
    )
    headers = {"X-API-Key": secret}
    assert ok(world.client.get("/api/cctv/cameras", headers=headers)) == []
    refused = problem(world.client.get("/api/cctv/cameras?city=makassar", headers=headers), 403)
    assert refused["detail"] == "this key is for baubau, not makassar"
    head = world.head()
    problem(world.client.post("/api/cctv/cameras/MKS-0001/stream", headers=headers), 403)
    problem(world.client.get("/api/cctv/cameras/MKS-0001", headers=headers), 403)
    assert world.head() == head


GOOD_AGREEMENT = {
    "id": "PKS-2026-008",
    "grantee": "polsek-tamalate",
    "scope": {"everything": True},
    "rights": ["live"],
    "legal_basis": "PKS 046/2026",
}


@pytest.mark.parametrize(
    ("who", "method", "path", "body", "fields"),
    [
        (
            "city-admin",
            "post",
            "/api/cctv/grants",
            {},
            [  # the body's schema names them in order
                "case_number",
                "expires_at",
                "footage_from",
                "footage_until",
                "organisation",
                "reason",
                "requested_by",
            ],
        ),
        ("city-admin", "post", "/api/cctv/grants", [], [""]),
        (
            "city-admin",
            "post",
            "/api/cctv/grants",
            grant_body(footage_from="2026-11-22T20:00:00"),
            ["footage_from"],
        ),
        ("city-admin", "post", "/api/cctv/grants", grant_body(rights=["fly"]), ["rights[0]"]),
        ("city-admin", "post", "/api/cctv/grants", grant_body(rights=[]), ["rights"]),
        (
            "city-admin",
            "post",
            "/api/cctv/grants",
            grant_body(expires_at="2026-11-24T01:00:00Z"),
            ["hours"],
        ),
        ("city-admin", "post", "/api/cctv/grants", grant_body(hours=24 * 91), ["hours"]),
        ("city-admin", "post", "/api/cctv/grants", grant_body(hours=True), ["hours"]),
        (
            "city-admin",
            "post",
            "/api/cctv/grants",
            grant_body(expires_at="2026-11-23T00:00:00Z", hours=None),
            ["hours"],
        ),
        (
            "city-admin",
            "post",
            "/api/cctv/grants",
            {
                k: v
                for k, v in grant_body(expires_at="2026-11-23T00:00:00Z").items()
                if k != "hours"
            },
            ["expires_at"],
        ),
        (
            "city-admin",
            "post",
            "/api/cctv/grants",
            grant_body(center={"lat": 200, "lon": 119}),
            ["center.lat"],
        ),
        (
            "city-admin",
            "post",
            "/api/cctv/grants",
            grant_body(center={"type": "Point", "coordinates": [119]}),
            ["center.coordinates"],
        ),
        ("city-admin", "post", "/api/cctv/grants", grant_body(center=None), ["center"]),
        ("city-admin", "post", "/api/cctv/grants", grant_body(radius_m="500"), ["radius_m"]),
        ("city-admin", "post", "/api/cctv/grants", grant_body(radius_m=50_000), ["radius_m"]),
        ("city-admin", "post", "/api/cctv/grants", grant_body(cameras="MKS-0001"), ["cameras"]),
        (
            "city-admin",
            "post",
            "/api/cctv/grants",
            grant_body(cameras=["POL-0001"]),
            ["cameras"],
        ),
        ("city-admin", "post", "/api/cctv/grants", grant_body(colour="red"), ["colour"]),
        (
            "city-admin",
            "post",
            "/api/cctv/grants",
            grant_body(requested_by="diskominfo.operator-01"),
            ["requested_by"],
        ),
        (
            "city-admin",
            "post",
            "/api/cctv/grants",
            grant_body(organisation="polres-gowa", requested_by="polres-gowa.x"),
            ["organisation"],
        ),
        (
            "city-admin",
            "post",
            "/api/cctv/agreements",
            {k: v for k, v in GOOD_AGREEMENT.items() if k != "scope"},
            ["scope"],
        ),
        (
            "city-admin",
            "post",
            "/api/cctv/agreements",
            {**GOOD_AGREEMENT, "scope": {"everything": "yes"}},
            ["scope.everything"],
        ),
        ("city-admin", "post", "/api/cctv/agreements", {**GOOD_AGREEMENT, "scope": {}}, ["scope"]),
        (
            "city-admin",
            "post",
            "/api/cctv/agreements",
            {**GOOD_AGREEMENT, "rights": ["live", "fly"]},
            ["rights[1]"],
        ),
        (
            "city-admin",
            "post",
            "/api/cctv/agreements",
            {**GOOD_AGREEMENT, "id": "PKS 2026/008"},
            ["id"],
        ),
        (
            "city-admin",
            "post",
            "/api/cctv/agreements",
            {**GOOD_AGREEMENT, "valid_until": "2026-11-22T00:00:00Z"},
            ["valid_until"],
        ),
        (
            "city-admin",
            "post",
            "/api/cctv/agreements",
            {**GOOD_AGREEMENT, "valid_from": 20261123},
            ["valid_from"],
        ),
        (
            "city-admin",
            "post",
            "/api/cctv/agreements",
            {**GOOD_AGREEMENT, "grantee": "polres-gowa"},
            ["grantee"],
        ),
        ("city-admin", "post", "/api/cctv/agreements/PKS-1/revoke", {}, ["reason"]),
        ("city-admin", "post", "/api/cctv/grants/1/revoke", {"reason": 5}, ["reason"]),
        ("police", "post", "/api/cctv/cameras/MKS-0001/stream", {"profile": 5}, ["profile"]),
        ("police", "post", "/api/cctv/cameras/MKS-0001/stream", {"quality": "hd"}, ["quality"]),
        ("police", "post", "/api/cctv/cameras/MKS-0001/stream", [], [""]),
        ("police", "post", "/api/cctv/cameras/MKS$0001/stream", None, ["camera"]),
        ("police", "post", "/api/cctv/cameras/MKS$0001/snapshot", None, ["camera"]),
        ("police", "get", "/api/cctv/cameras?right=fly", None, ["right"]),
        ("police", "get", "/api/cctv/cameras?city=Makassar!", None, ["city"]),
        ("auditor", "get", "/api/cctv/access-report?since=yesterday", None, ["since"]),
        (
            "auditor",
            "get",
            "/api/cctv/access-report?allowed=maybe&until=2026-11-23",
            None,
            ["until", "allowed"],
        ),
        ("auditor", "get", "/api/cctv/access-report?page_size=0", None, ["page_size"]),
        ("auditor", "get", "/api/cctv/access-report?camera=a%20b", None, ["camera"]),
        ("city-admin", "get", "/api/cctv/grants?in_force=yes", None, ["in_force"]),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(  # noqa: PLR0913, PLR0917
    world: World, who: str, method: str, path: str, body: Any, fields: list[str]
) -> None:
    head = world.head()
    send = getattr(world.client, method)
    response = send(path, headers=world.as_(who), **({} if body is None else {"json": body}))
    found = problem(response, 400)
    assert [e["field"] for e in found["errors"]] == fields
    assert world.head() == head


def test_good_bodies_of_the_400_cases_pass(world: World) -> None:
    """The bodies the 400 cases change are good as they are (so each case tests its change)."""
    admin = world.as_("city-admin")
    ok(world.client.post("/api/cctv/agreements", headers=admin, json=GOOD_AGREEMENT), 201)
    as_geojson = grant_body(center={"type": "Point", "coordinates": [119.4077, -5.1430]})
    ok(world.client.post("/api/cctv/grants", headers=admin, json=as_geojson), 201)
    until = grant_body(expires_at="2026-11-23T00:00:00-08:00")
    del until["hours"]
    ok(world.client.post("/api/cctv/grants", headers=admin, json=until), 201)
    named = grant_body(cameras=["MKS-0002"], center=None, rights=["snapshot"])
    assert ok(world.client.post("/api/cctv/grants", headers=admin, json=named), 201)["rights"] == [
        "snapshot"
    ]


def test_a_bad_parameter_or_field_is_named_without_its_value(world: World) -> None:
    personal = "Budi-Santoso-0812345678"
    query = problem(
        world.client.get(
            "/api/cctv/access-report",
            query_string={"since": personal, "allowed": personal, "page": "0"},
            headers=world.as_("auditor"),
        ),
        400,
    )
    assert [e["field"] for e in query["errors"]] == ["page", "since", "allowed"]
    body = problem(
        world.client.post(
            "/api/cctv/grants",
            headers=world.as_("city-admin"),
            json=grant_body(requested_by=personal + " !", radius_m=personal, hours=personal),
        ),
        400,
    )
    assert body["errors"] == [
        {"field": "hours", "message": "must be a number of hours, more than 0 and at most 2160"},
        {"field": "radius_m", "message": "must be whole metres from 1 to 5000"},
        {
            "field": "requested_by",
            "message": "must be 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        },
    ]
    for found in (query, body):
        assert "Budi" not in str(found)
        assert "0812345678" not in str(found)
    # The body is read after the key: a caller without one learns nothing about the fields.
    problem(world.client.post("/api/cctv/grants", json={"colour": personal}), 403)


def test_a_grant_ends_at_a_time_or_after_some_hours(world: World) -> None:
    admin = world.as_("city-admin")
    both = grant_body(expires_at="2026-11-24T01:00:00Z")
    neither = {k: v for k, v in grant_body().items() if k != "hours"}
    for body, error in [
        (both, {"field": "hours", "message": "give expires_at or hours, not both"}),
        (neither, {"field": "expires_at", "message": "is required"}),
    ]:
        found = problem(world.client.post("/api/cctv/grants", headers=admin, json=body), 400)
        assert found["errors"] == [error]


def test_every_cctv_endpoint_is_in_the_openapi_document(world: World) -> None:
    document = world.client.get("/api/openapi.json").get_json()
    paths = {
        path: sorted(methods)
        for path, methods in document["paths"].items()
        if path.startswith("/api/cctv/")
    }
    assert paths == {
        "/api/cctv/access-report": ["get"],
        "/api/cctv/agreements": ["get", "post"],
        "/api/cctv/agreements/{agreement_id}/revoke": ["post"],
        "/api/cctv/cameras": ["get"],
        "/api/cctv/cameras/{camera_id}": ["get"],
        "/api/cctv/cameras/{camera_id}/snapshot": ["post"],
        "/api/cctv/cameras/{camera_id}/stream": ["post"],
        "/api/cctv/grants": ["get", "post"],
        "/api/cctv/grants/{grant_id}/revoke": ["post"],
    }
    operations = [op for path in paths for op in document["paths"][path].values()]
    assert len(operations) == 11
    assert {tag for op in operations for tag in op["tags"]} == {"cctv"}
    schemas = document["components"]["schemas"]
    for name in ("CctvCamera", "CctvAgreement", "CctvGrant", "CctvAccessRecord", "CctvDecision"):
        assert name in schemas
    snapshot = document["paths"]["/api/cctv/cameras/{camera_id}/snapshot"]["post"]
    assert list(snapshot["responses"]["200"]["content"]) == ["image/jpeg"]
    stream = document["paths"]["/api/cctv/cameras/{camera_id}/stream"]["post"]
    assert stream["requestBody"]["required"] is False


def test_a_malformed_camera_id_is_a_400(world: World) -> None:
    found = problem(
        world.client.get("/api/cctv/cameras/MKS$0001", headers=world.as_("police")), 400
    )
    assert [e["field"] for e in found["errors"]] == ["camera"]
