"""The access policy against the database: decisions recorded, agreements, grants, the report."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, cast

import attrs
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from smartcity_kit.core import FixedClock, GeoPoint, RegionCode
from smartcity_kit.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from smartcity_kit.security import (
    AccessDecision,
    AccessDeniedError,
    AccessPolicy,
    Account,
    AccountRole,
    Basis,
    Camera,
    CameraAdapter,
    CameraLocation,
    CameraScope,
    Endpoint,
    IncidentGrant,
    Organisation,
    Owner,
    OwnerKind,
    Purpose,
    Right,
    SharingAgreement,
    Site,
    SnapshotAccess,
    StreamAccess,
    StreamProfile,
    VendorProtocol,
)
from smartcity_kit.storage import AuditLog, Database, upgrade

T0 = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
LOSARI = GeoPoint(-5.1430, 119.4077)
NAME = "Bripka Andi Nurhaliza Mappanyukki"
CASE = "LP/B/1234/XI/2026/SPKT"
ORGS: dict[str, OwnerKind] = {
    "diskominfo": OwnerKind.CITY,
    "dishub": OwnerKind.CITY,
    "polrestabes": OwnerKind.POLICE,
    "polsek-tamalate": OwnerKind.POLICE,
}
SITES = ("POLE-1", "POLE-2", "POLE-7")
DISTRICTS = tuple(RegionCode(f"73.71.{n:02d}") for n in (1, 5, 10))
ALLOWED, DENIED = "cctv.access.allowed", "cctv.access.denied"

# The accounts every test world has.
ADMIN = "diskominfo.admin-01"
OPERATOR = "diskominfo.op-01"
AUDITOR = "diskominfo.audit-01"
POLICE = "polsek-tamalate.reskrim-01"
POLICE_ADMIN = "polsek-tamalate.admin-01"
POLRES = "polrestabes.op-01"
POLRES_ADMIN = "polrestabes.admin-01"
DISHUB_ADMIN = "dishub.admin-01"


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def make_camera(  # noqa: PLR0913 - every part a world varies
    camera_id: str,
    owner: str = "diskominfo",
    *,
    point: GeoPoint | None = LOSARI,
    district: RegionCode | None = None,
    site: str | None = None,
    purpose: Purpose = Purpose.SURVEILLANCE,
    streams: bool = True,
) -> Camera:
    profiles = (
        (
            StreamProfile("main", "main", f"rtsp://10.20.0.2:554/{camera_id}/main"),
            StreamProfile("sub", "sub", f"rtsp://10.20.0.2:554/{camera_id}/sub"),
        )
        if streams
        else ()
    )
    return Camera(
        id=camera_id,
        city="makassar",
        name=f"Kamera {camera_id}",
        owner=Owner(ORGS[owner], owner, f"Pemilik {owner}"),
        protocol=VendorProtocol.ONVIF,
        endpoint=Endpoint("10.20.0.2", 80),
        location=CameraLocation(point=point, district=district),
        site=site,
        purpose=purpose,
        streams=profiles,
    )


class FakeAdapter:
    """Stands in for a camera: a snapshot is the camera's id in bytes."""

    def __init__(self, camera: Camera, log: list[str]) -> None:
        self._camera = camera
        self._log = log

    def snapshot(self, profile: str | None = None) -> bytes:  # noqa: ARG002 - the protocol's
        self._log.append(f"snapshot {self._camera.id}")
        return image_of(self._camera.id)

    def close(self) -> None:
        self._log.append(f"close {self._camera.id}")


def image_of(camera_id: str) -> bytes:
    return b"\xff\xd8" + camera_id.encode() + b"\xff\xd9"


def fake_adapters(log: list[str]) -> Callable[[Camera], CameraAdapter]:
    def build(camera: Camera) -> CameraAdapter:
        return cast("CameraAdapter", FakeAdapter(camera, log))

    return build


@attrs.define
class City:
    db: Database
    clock: FixedClock
    policy: AccessPolicy
    audit: AuditLog
    adapter_log: list[str]

    def head(self) -> int:
        return self.audit.head().seq

    def access_entries(self) -> list[Any]:
        return [e for e in self.audit.entries() if e.action in (ALLOWED, DENIED)]


def new_city(db: Database, *, relay: str | None = None, start: dt.datetime = T0) -> City:
    """Organisations, their accounts, sites and a few cameras, at ``start``."""
    clock = FixedClock(start)
    log: list[str] = []
    policy = AccessPolicy(db, clock=clock, adapters=fake_adapters(log), stream_relay=relay)
    for code, kind in ORGS.items():
        policy.save_organisation(Organisation(code, "makassar", f"Organisasi {code}", kind))
    for account_id, role, name in [
        (ADMIN, AccountRole.ADMIN, "Andi Baso"),
        (OPERATOR, AccountRole.VIEWER, "Sitti Rahma"),
        (AUDITOR, AccountRole.AUDITOR, "Muhammad Ilham"),
        (POLICE, AccountRole.VIEWER, NAME),
        (POLICE_ADMIN, AccountRole.ADMIN, "Kompol Daeng Rani"),
        (POLRES, AccountRole.VIEWER, "Nur Aisyah"),
        (POLRES_ADMIN, AccountRole.ADMIN, "Akbp Haris Palallo"),
        (DISHUB_ADMIN, AccountRole.ADMIN, "Rudi Hartono"),
    ]:
        policy.add_account(Account(account_id, account_id.split(".")[0], role, name))
    for site in SITES:
        policy.registry.save_site(Site(site, "makassar", f"Tiang {site}"), actor="admin")
    return City(db, clock, policy, AuditLog(db), log)


def add_cameras(city: City, *cameras: Camera) -> None:
    for camera in cameras:
        city.policy.registry.add(camera, actor="admin")


def incident(**changes: Any) -> IncidentGrant:
    values: dict[str, Any] = {
        "case_number": CASE,
        "reason": "pencurian kendaraan bermotor di Jl. Penghibur",
        "owner": "diskominfo",
        "organisation": "polsek-tamalate",
        "requested_by": POLICE,
        "approved_by": ADMIN,
        "center": LOSARI,
        "radius_m": 300,
        "footage_from": at(-6),
        "footage_until": at(-2),
        "granted_at": at(0),
        "expires_at": at(48),
    }
    values.update(changes)
    return IncidentGrant(**values)


def agreement(**changes: Any) -> SharingAgreement:
    values: dict[str, Any] = {
        "id": "PKS-2026-007",
        "owner": "diskominfo",
        "grantee": "polrestabes",
        "scope": CameraScope(everything=True),
        "rights": {Right.LIVE, Right.SNAPSHOT},
        "legal_basis": "PKS 7/2026 Diskominfo-Polrestabes",
        "valid_from": at(-24),
    }
    values.update(changes)
    return SharingAgreement(**values)


@pytest.fixture
def city(db: Database) -> City:
    city = new_city(db)
    add_cameras(
        city,
        make_camera("MKS-0001", district=RegionCode("73.71.10"), site="POLE-7"),
        make_camera(
            "MKS-0002",
            point=GeoPoint(-5.1530, 119.4077),  # about 1.1 km south of Losari
            district=RegionCode("73.71.05"),
            purpose=Purpose.TRAFFIC,
        ),
        make_camera("MKS-0003", point=None, purpose=Purpose.FLOOD),
        make_camera("DSH-0001", "dishub", purpose=Purpose.TRAFFIC, site="POLE-7"),
        make_camera("POL-0001", "polrestabes", district=RegionCode("73.71.10")),
    )
    return city


# --- the scenario from the issue ----------------------------------------------------------------


def test_police_without_grant_then_with_grant_then_after_expiry(city: City) -> None:
    policy, clock = city.policy, city.clock
    with pytest.raises(PermissionDeniedError, match="no agreement or grant in force"):
        policy.stream_uri(POLICE, "MKS-0001")

    grant = policy.grant_incident(incident(granted_at=clock.now(), expires_at=at(24)))
    assert grant.id > 0
    assert grant.approved_by == ADMIN
    clock.advance(hours=1)
    access = policy.stream_uri(POLICE, "MKS-0001")
    assert isinstance(access, StreamAccess)
    assert access.uri == "rtsp://10.20.0.2:554/MKS-0001/main"
    assert access.profile == "main"
    assert access.decision.allowed
    assert access.decision.basis is Basis.GRANT
    assert (access.decision.grant, access.decision.case_number) == (grant.id, CASE)

    clock.advance(days=1)  # 25 hours after the grant: it expired by itself
    with pytest.raises(PermissionDeniedError, match="expired") as denied:
        policy.stream_uri(POLICE, "MKS-0001")
    assert CASE in str(denied.value)

    report = policy.access_report(camera="MKS-0001")
    assert [r.allowed for r in report] == [False, True, False]
    assert [r.at for r in report] == [at(0), at(1), at(25)]
    assert all(r.account == POLICE for r in report)
    assert all(r.organisation == "polsek-tamalate" for r in report)
    assert all(r.right is Right.LIVE for r in report)
    allowed = report[1]
    assert (allowed.basis, allowed.grant, allowed.case_number) == (Basis.GRANT, grant.id, CASE)
    assert (report[0].basis, report[0].grant, report[0].case_number) == (None, None, None)
    assert (report[2].basis, report[2].grant, report[2].case_number) == (None, None, None)
    assert "expired" in report[2].reason
    assert policy.access_report(organisation="polsek-tamalate") == report
    assert policy.access_report(incident=grant.id) == [allowed]
    assert policy.access_report(incident=CASE) == [allowed]

    entries = city.access_entries()
    assert [e.action for e in entries] == [DENIED, ALLOWED, DENIED]
    assert [e.seq for e in entries] == [r.audit_seq for r in report]
    assert all(e.subject == "camera:MKS-0001" for e in entries)
    assert all(e.actor == f"account:{POLICE}" for e in entries)
    assert entries[1].details["grant"] == grant.id
    assert entries[1].details["case_number"] == CASE
    assert city.audit.verify().intact


# --- the rule, through the database -------------------------------------------------------------


def test_revocation_is_immediate(city: City) -> None:
    policy = city.policy
    policy.create_agreement(agreement(), by=ADMIN)
    first = policy.require(POLRES, "MKS-0001", Right.LIVE)
    assert (first.basis, first.agreement) == (Basis.AGREEMENT, "PKS-2026-007")
    revoked = policy.revoke_agreement("PKS-2026-007", by=ADMIN, reason="MoU tidak diperpanjang")
    assert revoked.revoked_at == city.clock.now()
    assert revoked.revoked_by == ADMIN
    # The clock has not moved: the very next request is denied.
    with pytest.raises(PermissionDeniedError, match="revoked"):
        policy.require(POLRES, "MKS-0001", Right.LIVE)
    assert not policy.decide(POLRES, "MKS-0001", Right.LIVE).allowed
    assert policy.agreement("PKS-2026-007").revoked_at == at(0)
    assert policy.agreements(in_force_at=at(0)) == []
    # Revoking again changes nothing and records nothing.
    head = city.head()
    again = policy.revoke_agreement("PKS-2026-007", by=ADMIN, reason="sekali lagi")
    assert again.revoke_reason == "MoU tidak diperpanjang"
    assert city.head() == head
    report = policy.access_report(account=POLRES)
    assert [(r.allowed, r.agreement) for r in report] == [(True, "PKS-2026-007"), (False, None)]
    assert "agreement PKS-2026-007 was revoked" in report[1].reason


def test_a_grant_revoked_early_allows_nothing_more(city: City) -> None:
    policy = city.policy
    grant = policy.grant_incident(incident())
    assert policy.require(POLICE, "MKS-0001", Right.LIVE).grant == grant.id
    city.clock.advance(minutes=5)
    ended = policy.revoke_grant(grant.id, by=POLICE_ADMIN, reason="kasus selesai")
    assert ended.revoked_at == at(0) + dt.timedelta(minutes=5)
    with pytest.raises(PermissionDeniedError, match="was revoked"):
        policy.require(POLICE, "MKS-0001", Right.LIVE)
    assert policy.grant(grant.id).revoke_reason == "kasus selesai"
    assert policy.grants(in_force_at=city.clock.now()) == []
    assert policy.grants(case_number=CASE) == [policy.grant(grant.id)]
    with pytest.raises(PermissionDeniedError):
        policy.revoke_grant(grant.id, by=POLRES_ADMIN, reason="bukan urusan kami")
    with pytest.raises(NotFoundError):
        policy.revoke_grant(999, by=ADMIN, reason="tidak ada")


@pytest.mark.parametrize(
    ("scope", "covered"),
    [
        (CameraScope(cameras={"MKS-0002"}), {"MKS-0002"}),
        (CameraScope(sites={"POLE-7"}), {"MKS-0001"}),
        (CameraScope(districts={"73.71.05"}), {"MKS-0002"}),
        (CameraScope(purposes={"flood"}), {"MKS-0003"}),
        (CameraScope(everything=True), {"MKS-0001", "MKS-0002", "MKS-0003"}),
    ],
)
def test_agreement_scopes(city: City, scope: CameraScope, covered: set[str]) -> None:
    city.policy.create_agreement(agreement(scope=scope), by=ADMIN)
    assert city.policy.agreement("PKS-2026-007").scope == scope
    cameras = ["MKS-0001", "MKS-0002", "MKS-0003", "DSH-0001"]
    got = {c for c in cameras if city.policy.decide(POLRES, c, Right.LIVE).allowed}
    assert got == covered
    visible = {c.id for c in city.policy.visible_cameras(POLRES)}
    assert visible == covered | {"POL-0001"}


def test_owner_always_allowed_and_nothing_else_is_implicit(city: City) -> None:
    for right in Right:
        decision = city.policy.decide(OPERATOR, "MKS-0001", right)
        assert decision.allowed
        assert decision.basis is Basis.OWNER
        assert not city.policy.decide(OPERATOR, "DSH-0001", right).allowed
        assert not city.policy.decide(POLICE, "MKS-0001", right).allowed
        assert city.policy.decide(DISHUB_ADMIN, "DSH-0001", right).allowed
    head = city.head()
    city.policy.decide(POLICE, "MKS-0001", Right.LIVE)
    assert city.head() == head  # decide records nothing


def test_ptz_right(city: City) -> None:
    policy = city.policy
    policy.create_agreement(agreement(rights={Right.LIVE}), by=ADMIN)
    denied = policy.decide(POLRES, "MKS-0001", Right.PTZ)
    assert not denied.allowed
    assert "does not include ptz" in denied.reason
    recorded = policy.authorize(POLRES, "MKS-0001", "ptz")
    assert not recorded.allowed
    assert recorded.audit_seq == city.head()
    policy.create_agreement(
        agreement(id="PKS-2026-008", rights={Right.PTZ}, scope=CameraScope(sites={"POLE-7"})),
        by=ADMIN,
    )
    allowed = policy.authorize(POLRES, "MKS-0001", Right.PTZ)
    assert (allowed.allowed, allowed.agreement) == (True, "PKS-2026-008")
    assert allowed.audit_seq == city.head()
    assert not policy.decide(POLRES, "MKS-0002", Right.PTZ).allowed
    assert policy.decide(OPERATOR, "MKS-0001", Right.PTZ).allowed
    report = policy.access_report(account=POLRES)
    assert [(r.right, r.allowed) for r in report] == [(Right.PTZ, False), (Right.PTZ, True)]


def test_footage_window_on_playback(city: City) -> None:
    policy = city.policy
    grant = policy.grant_incident(incident(rights={Right.PLAYBACK, Right.EXPORT}))
    inside = policy.authorize(POLICE, "MKS-0001", Right.PLAYBACK, footage=(at(-5), at(-3)))
    assert inside.allowed
    assert inside.grant == grant.id
    assert (inside.footage_from, inside.footage_until) == (at(-5), at(-3))
    outside = policy.authorize(POLICE, "MKS-0001", Right.PLAYBACK, footage=(at(-7), at(-3)))
    assert not outside.allowed
    assert "covers footage from" in outside.reason
    entries = city.access_entries()
    assert entries[-1].details["footage_from"] is not None
    assert [e.action for e in entries] == [ALLOWED, DENIED]
    # Without footage the playback right alone decides; live is not in the grant.
    assert policy.decide(POLICE, "MKS-0001", Right.PLAYBACK).allowed
    assert not policy.decide(POLICE, "MKS-0001", Right.LIVE).allowed
    # A bad window is refused before anything is recorded.
    head = city.head()
    with pytest.raises(ValidationError, match="footage_until"):
        policy.authorize(POLICE, "MKS-0001", Right.PLAYBACK, footage=(at(-3), at(-3)))
    with pytest.raises(ValidationError, match="footage_from"):
        policy.authorize(
            POLICE,
            "MKS-0001",
            Right.PLAYBACK,
            footage=(dt.datetime(2026, 11, 22, 20), at(-3)),  # noqa: DTZ001 - a naive time
        )
    assert city.head() == head


def test_times_with_microseconds_are_recorded(db: Database) -> None:
    """Real clocks have microseconds; recorded times must not look like phone numbers."""
    # 19:44:07.850276: "07.850276" read as a run of digits is a landline number.
    odd = dt.datetime(2026, 11, 23, 19, 44, 7, 850276, tzinfo=dt.UTC)
    city = new_city(db, start=odd)
    add_cameras(city, make_camera("MKS-0001"))
    policy = city.policy
    footage = (odd - dt.timedelta(hours=3), odd - dt.timedelta(hours=1))
    grant = policy.grant_incident(
        incident(
            granted_at=odd,
            expires_at=odd + dt.timedelta(hours=5),
            footage_from=footage[0] - dt.timedelta(hours=1),
            footage_until=footage[1] + dt.timedelta(hours=1),
        )
    )
    decision = policy.authorize(POLICE, "MKS-0001", Right.PLAYBACK, footage=footage)
    assert decision.allowed
    assert decision.grant == grant.id
    created = policy.create_agreement(
        agreement(valid_from=odd, valid_until=odd + dt.timedelta(days=1)), by=ADMIN
    )
    assert created.valid_from == odd
    assert policy.agreement(created.id).valid_from == odd
    assert city.audit.verify().intact


def test_a_grant_centred_at_a_full_precision_point(city: City) -> None:
    """A point clicked on a map has 15 digits; the audit log must not take it for an NPWP."""
    center = GeoPoint(-5.15985796305845, 119.4311901945106)
    grant = city.policy.grant_incident(incident(center=center, radius_m=5_000))  # 3.2 km off
    assert city.policy.grant(grant.id).center == center  # the grant keeps the point whole
    entry = city.audit.entries(limit=1)[0]
    assert (entry.action, entry.subject) == ("grant.created", f"grant:{grant.id}")
    assert entry.details["center"] is not None
    assert city.policy.decide(POLICE, "MKS-0001", Right.LIVE).grant == grant.id
    assert city.audit.verify().intact


def test_acting_under_a_named_grant(city: City) -> None:
    policy = city.policy
    first = policy.grant_incident(incident(case_number="LP/B/0001/XI/2026/SPKT"))
    second = policy.grant_incident(incident(case_number="LP/B/0002/XI/2026/SPKT"))
    other = policy.grant_incident(
        incident(
            organisation="polrestabes",
            requested_by=POLRES,
            case_number="LP/B/0003/XI/2026/SPKT",
        )
    )
    assert policy.require(POLICE, "MKS-0001", Right.LIVE).grant == first.id
    chosen = policy.require(POLICE, "MKS-0001", Right.LIVE, grant=second.id)
    assert (chosen.grant, chosen.case_number) == (second.id, "LP/B/0002/XI/2026/SPKT")
    with pytest.raises(PermissionDeniedError, match="is not for polsek-tamalate"):
        policy.require(POLICE, "MKS-0001", Right.LIVE, grant=other.id)
    with pytest.raises(PermissionDeniedError, match="there is no grant 999"):
        policy.require(POLICE, "MKS-0001", Right.LIVE, grant=999)
    # Under a named grant, owning the camera does not count.
    with pytest.raises(PermissionDeniedError):
        policy.require(OPERATOR, "MKS-0001", Right.LIVE, grant=first.id)
    assert policy.decide(POLICE, "MKS-0001", Right.LIVE, grant=second.id).grant == second.id
    head = city.head()
    with pytest.raises(ValidationError, match="grant"):
        policy.authorize(POLICE, "MKS-0001", Right.LIVE, grant=str(first.id))  # type: ignore[arg-type]
    assert city.head() == head
    by_case = policy.access_report(incident="LP/B/0002/XI/2026/SPKT")
    assert [r.grant for r in by_case] == [second.id]


# --- management rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "by",
    [OPERATOR, AUDITOR, POLRES_ADMIN, DISHUB_ADMIN, "nobody"],
)
def test_only_an_owner_admin_makes_agreements(city: City, by: str) -> None:
    head = city.head()
    with pytest.raises(PermissionDeniedError, match="only an active admin of diskominfo"):
        city.policy.create_agreement(agreement(), by=by)
    assert city.head() == head
    assert city.policy.agreements() == []


def test_a_disabled_admin_makes_nothing(city: City) -> None:
    city.policy.set_account_active(ADMIN, active=False)
    head = city.head()
    with pytest.raises(PermissionDeniedError):
        city.policy.create_agreement(agreement(), by=ADMIN)
    with pytest.raises(PermissionDeniedError):
        city.policy.grant_incident(incident())
    assert city.head() == head


def test_agreement_creation_rules(city: City) -> None:
    policy = city.policy
    head = city.head()
    with pytest.raises(ValidationError, match="by"):
        policy.create_agreement(agreement(), by="not an id")
    with pytest.raises(ValidationError, match="grantee"):
        policy.create_agreement(agreement(grantee="satpol-pp"), by=ADMIN)
    with pytest.raises(ValidationError, match="revoked_at"):
        policy.create_agreement(agreement(revoked_at=at(1)), by=ADMIN)
    assert city.head() == head
    created = policy.create_agreement(agreement(), by=ADMIN)
    assert city.head() == head + 1
    entry = city.audit.entries(limit=1)[0]
    assert (entry.action, entry.subject, entry.actor) == (
        "agreement.created",
        "agreement:PKS-2026-007",
        f"account:{ADMIN}",
    )
    assert entry.details["grantee"] == "polrestabes"
    assert policy.agreement("PKS-2026-007") == created
    with pytest.raises(ConflictError, match="already exists"):
        policy.create_agreement(agreement(grantee="polsek-tamalate"), by=ADMIN)
    assert city.head() == head + 1
    assert [a.id for a in policy.agreements(organisation="polrestabes")] == ["PKS-2026-007"]
    assert policy.agreements(organisation="dishub") == []
    with pytest.raises(NotFoundError):
        policy.agreement("PKS-9999")


def test_who_may_revoke_an_agreement(city: City) -> None:
    policy = city.policy
    policy.create_agreement(agreement(), by=ADMIN)
    for by in (POLRES, OPERATOR, DISHUB_ADMIN, POLICE_ADMIN):
        with pytest.raises(PermissionDeniedError):
            policy.revoke_agreement("PKS-2026-007", by=by, reason="coba")
    with pytest.raises(ValidationError, match="reason"):
        policy.revoke_agreement("PKS-2026-007", by=POLRES_ADMIN, reason="  ")
    assert policy.agreement("PKS-2026-007").revoked_at is None
    revoked = policy.revoke_agreement("PKS-2026-007", by=POLRES_ADMIN, reason="tidak diperlukan")
    assert revoked.revoked_by == POLRES_ADMIN
    with pytest.raises(NotFoundError):
        policy.revoke_agreement("PKS-9999", by=ADMIN, reason="tidak ada")


@pytest.mark.parametrize("approver", [OPERATOR, AUDITOR, POLICE_ADMIN, DISHUB_ADMIN, "nobody"])
def test_grant_approval_needs_an_owner_admin(city: City, approver: str) -> None:
    head = city.head()
    with pytest.raises(PermissionDeniedError, match="approve grants"):
        city.policy.grant_incident(incident(approved_by=approver))
    assert city.head() == head
    assert city.policy.grants() == []


def test_grant_rules(city: City) -> None:
    policy = city.policy
    head = city.head()
    # The requester belongs to the organisation given access, and may use cameras.
    for requester in (POLRES, OPERATOR, "nobody"):
        with pytest.raises(ValidationError, match="requested_by"):
            policy.grant_incident(incident(requested_by=requester))
    policy.add_account(
        Account("polsek-tamalate.audit", "polsek-tamalate", AccountRole.AUDITOR, "Iptu Sari")
    )
    head = city.head()
    with pytest.raises(ValidationError, match="requested_by"):
        policy.grant_incident(incident(requested_by="polsek-tamalate.audit"))
    policy.set_account_active(POLICE, active=False)
    with pytest.raises(ValidationError, match="requested_by"):
        policy.grant_incident(incident())
    policy.set_account_active(POLICE, active=True)
    head = city.head()
    # Named cameras must be the owner's.
    with pytest.raises(ValidationError, match="DSH-0001 is not a camera of diskominfo"):
        policy.grant_incident(incident(cameras={"MKS-0001", "DSH-0001"}))
    with pytest.raises(ValidationError, match="cameras"):
        policy.grant_incident(incident(cameras={"MKS-9999"}))
    # A grant cannot start in the past (beyond a few minutes of clock skew).
    with pytest.raises(ValidationError, match="past"):
        policy.grant_incident(incident(granted_at=at(-1)))
    with pytest.raises(ValidationError, match="revoked_at"):
        policy.grant_incident(incident(revoked_at=at(1)))
    with pytest.raises(ValidationError, match="organisation"):
        policy.grant_incident(incident(organisation="satpol-pp"))
    assert city.head() == head
    skewed = policy.grant_incident(incident(granted_at=at(0) - dt.timedelta(minutes=4)))
    named = policy.grant_incident(incident(center=None, cameras={"MKS-0003"}))
    assert named.id == skewed.id + 1
    assert city.head() == head + 2
    entry = city.audit.entries(limit=1)[0]
    assert (entry.action, entry.subject) == ("grant.created", f"grant:{named.id}")
    assert entry.details["cameras"] == ["MKS-0003"]
    assert policy.grant(named.id) == named
    assert policy.decide(POLICE, "MKS-0003", Right.LIVE).grant == named.id
    with pytest.raises(NotFoundError):
        policy.grant(999)


def test_accounts(city: City) -> None:
    policy = city.policy
    head = city.head()
    with pytest.raises(ValidationError, match="organisation"):
        policy.add_account(Account("satpol.op", "satpol-pp", AccountRole.VIEWER, "Ahmad"))
    with pytest.raises(ConflictError, match="already exists"):
        policy.add_account(Account(POLICE, "polsek-tamalate", AccountRole.VIEWER, "Ahmad"))
    policy.add_account(Account("dishub.op-01", "dishub", "viewer", "Ahmad", key_id="k-dishub"))
    with pytest.raises(ConflictError, match="API key"):
        policy.add_account(Account("dishub.op-02", "dishub", "viewer", "Budi", key_id="k-dishub"))
    assert city.head() == head + 1
    assert policy.account_for_key("k-dishub") == policy.account("dishub.op-01")
    assert policy.account_for_key("k-nothing") is None
    assert [a.id for a in policy.accounts("dishub")] == [DISHUB_ADMIN, "dishub.op-01"]
    with pytest.raises(NotFoundError):
        policy.account("nobody")
    assert [o.id for o in policy.organisations("makassar")] == sorted(ORGS)
    assert policy.organisations("baubau") == []
    assert policy.organisation("dishub").kind is OwnerKind.CITY
    with pytest.raises(NotFoundError):
        policy.organisation("satpol-pp")


def test_disabled_account_is_denied_everything(city: City) -> None:
    policy = city.policy
    disabled = policy.set_account_active(OPERATOR, active=False)
    assert not disabled.active
    for right in Right:
        decision = policy.authorize(OPERATOR, "MKS-0001", right)
        assert not decision.allowed
        assert "disabled" in decision.reason
    with pytest.raises(PermissionDeniedError, match="disabled"):
        policy.stream_uri(OPERATOR, "MKS-0001")
    assert policy.visible_cameras(OPERATOR) == []
    policy.set_account_active(OPERATOR, active=True)
    assert policy.stream_uri(OPERATOR, "MKS-0001").decision.allowed
    with pytest.raises(NotFoundError):
        policy.set_account_active("nobody", active=False)


def test_auditor_is_denied(city: City) -> None:
    with pytest.raises(PermissionDeniedError, match="auditor"):
        city.policy.snapshot(AUDITOR, "MKS-0001")
    assert city.adapter_log == []
    assert city.policy.visible_cameras(AUDITOR) == []
    assert [r.allowed for r in city.policy.access_report(account=AUDITOR)] == [False]


def test_unknown_camera_and_account_are_recorded_as_denied(city: City) -> None:
    policy = city.policy
    decision = policy.authorize(POLICE, "MKS-9999", Right.EXPORT)
    assert not decision.allowed
    assert decision.reason == "there is no camera MKS-9999"
    assert decision.organisation == "polsek-tamalate"
    entry = city.audit.entries(limit=1)[0]
    assert (entry.seq, entry.action, entry.subject) == (
        decision.audit_seq,
        DENIED,
        "camera:MKS-9999",
    )
    with pytest.raises(PermissionDeniedError, match="there is no account ghost"):
        policy.stream_uri("ghost", "MKS-0001")
    report = policy.access_report()
    assert [(r.account, r.camera, r.allowed, r.organisation) for r in report] == [
        (POLICE, "MKS-9999", False, "polsek-tamalate"),
        ("ghost", "MKS-0001", False, None),
    ]
    with pytest.raises(NotFoundError):
        policy.decide(POLICE, "MKS-9999", Right.LIVE)
    with pytest.raises(NotFoundError):
        policy.visible_cameras("ghost")


@pytest.mark.parametrize(
    ("account_id", "camera_id", "right"),
    [
        ("bad id", "MKS-0001", "live"),
        (POLICE, "../MKS-0001", "live"),
        (POLICE, "", "live"),
        (POLICE, "MKS-0001", "teleport"),
    ],
)
def test_malformed_questions_record_nothing(
    city: City, account_id: str, camera_id: str, right: str
) -> None:
    head = city.head()
    for ask in (city.policy.authorize, city.policy.require, city.policy.decide):
        with pytest.raises(ValidationError):
            ask(account_id, camera_id, right)
    if right == "live":
        with pytest.raises(ValidationError):
            city.policy.stream_uri(account_id, camera_id)
        with pytest.raises(ValidationError):
            city.policy.snapshot(account_id, camera_id)
    assert city.head() == head
    assert city.policy.access_report() == []


# --- visible cameras and the report -------------------------------------------------------------


def test_visible_cameras_are_those_decide_allows(city: City) -> None:
    policy = city.policy
    policy.create_agreement(
        agreement(scope=CameraScope(purposes={"traffic"}), rights={Right.LIVE}), by=ADMIN
    )
    policy.create_agreement(
        agreement(
            id="PKS-DSH-1",
            owner="dishub",
            scope=CameraScope(cameras={"DSH-0001"}),
            rights={Right.SNAPSHOT},
            valid_from=at(2),
            valid_until=at(10),
        ),
        by=DISHUB_ADMIN,
    )
    policy.grant_incident(incident(radius_m=2_000, rights={Right.LIVE, Right.EXPORT}))
    accounts = [ADMIN, OPERATOR, AUDITOR, POLICE, POLICE_ADMIN, POLRES, POLRES_ADMIN]
    cameras = [c.id for c in policy.registry.list()]
    seen_any: set[tuple[str, str]] = set()
    for when in (at(0), at(3), at(11), at(60)):
        for account_id in accounts:
            for right in Right:
                visible = [c.id for c in policy.visible_cameras(account_id, right, at=when)]
                expected = [
                    c for c in cameras if policy.decide(account_id, c, right, at=when).allowed
                ]
                assert visible == expected, (account_id, right, when)
                seen_any.update((account_id, c) for c in visible)
    # Not trivially empty: the police see Losari under the grant, Polres the traffic cameras.
    assert (POLICE, "MKS-0002") in seen_any
    assert (POLRES, "DSH-0001") in seen_any
    assert [c.id for c in policy.visible_cameras(POLRES, "snapshot", at=at(3))] == [
        "DSH-0001",
        "POL-0001",
    ]
    assert policy.visible_cameras(POLRES, Right.LIVE, city="baubau") == []


def test_access_report_filters(city: City) -> None:
    policy, clock = city.policy, city.clock
    policy.create_agreement(agreement(rights={Right.LIVE}), by=ADMIN)
    grant = policy.grant_incident(incident())
    clock.advance(hours=1)
    policy.authorize(POLICE, "MKS-0001", Right.LIVE)  # allowed, grant
    clock.advance(hours=1)
    policy.authorize(POLRES, "MKS-0002", Right.LIVE)  # allowed, agreement
    clock.advance(hours=1)
    policy.authorize(POLRES, "MKS-0002", Right.EXPORT)  # denied
    clock.advance(hours=1)
    policy.authorize(POLICE, "MKS-0002", Right.EXPORT)  # denied: 1.1 km away
    clock.advance(hours=1)
    policy.authorize(OPERATOR, "MKS-0002", Right.EXPORT)  # allowed, owner
    report = policy.access_report()
    assert [r.at for r in report] == [at(h) for h in (1, 2, 3, 4, 5)]
    assert [r.audit_seq for r in report] == sorted(r.audit_seq for r in report)

    def seqs(records: list[Any]) -> list[int]:
        return [report.index(r) for r in records]

    assert seqs(policy.access_report(camera="MKS-0001")) == [0]
    assert seqs(policy.access_report(camera="MKS-0002")) == [1, 2, 3, 4]
    assert seqs(policy.access_report(organisation="polrestabes")) == [1, 2]
    assert seqs(policy.access_report(organisation="diskominfo")) == [4]
    assert seqs(policy.access_report(incident=grant.id)) == [0]
    assert seqs(policy.access_report(incident=str(grant.id))) == [0]
    assert seqs(policy.access_report(incident=CASE)) == [0]
    assert policy.access_report(incident=999) == []
    assert seqs(policy.access_report(account=POLICE)) == [0, 3]
    assert seqs(policy.access_report(since=at(2), until=at(4))) == [1, 2]
    assert seqs(policy.access_report(since=at(4))) == [3, 4]
    assert seqs(policy.access_report(until=at(1))) == []
    assert seqs(policy.access_report(allowed=True)) == [0, 1, 4]
    assert seqs(policy.access_report(allowed=False)) == [2, 3]
    assert seqs(policy.access_report(camera="MKS-0002", allowed=True)) == [1, 4]
    assert [(r.basis, r.agreement) for r in report[:2]] == [
        (Basis.GRANT, None),
        (Basis.AGREEMENT, "PKS-2026-007"),
    ]
    assert report[4].basis is Basis.OWNER
    with pytest.raises(ValidationError):
        policy.access_report(since=dt.datetime(2026, 11, 23))  # noqa: DTZ001


# --- personal data ------------------------------------------------------------------------------


def test_the_account_name_is_never_recorded(city: City) -> None:
    policy = city.policy
    decisions: list[AccessDecision] = [policy.authorize(POLICE, "MKS-0001", Right.LIVE)]
    grant = policy.grant_incident(incident())
    decisions.append(policy.authorize(POLICE, "MKS-0001", Right.LIVE))
    decisions.append(policy.authorize(POLICE, "MKS-0001", Right.PTZ))
    decisions.append(policy.decide(POLICE, "MKS-0002", Right.LIVE))
    decisions.append(policy.decide(POLICE, "MKS-0001", Right.LIVE, grant=grant.id))
    policy.revoke_grant(grant.id, by=POLICE_ADMIN, reason="selesai")
    decisions.append(policy.authorize(POLICE, "MKS-0001", Right.LIVE))
    policy.set_account_active(POLICE, active=False)
    decisions.append(policy.authorize(POLICE, "MKS-0001", Right.LIVE))
    assert [d.allowed for d in decisions] == [False, True, False, False, True, False, False]
    words = NAME.split()[1:]  # the rank, "Bripka", is no one's name
    for text in [d.reason for d in decisions] + [r.reason for r in policy.access_report()]:
        assert all(word not in text for word in words), text
    entries = city.audit.entries()
    assert len(entries) > 20
    for entry in entries:
        text = json.dumps([entry.actor, entry.subject, entry.details], ensure_ascii=False)
        assert all(word not in text for word in words), entry
    assert policy.account(POLICE).name == NAME  # kept, for the organisation's own records
    assert "Mappanyukki" not in repr(policy.account(POLICE))


# --- hand-outs ----------------------------------------------------------------------------------


def test_stream_relay_and_profiles(db: Database) -> None:
    city = new_city(db, relay="rtsp://relay:8554/{camera}/{profile}")
    add_cameras(city, make_camera("MKS-0001"), make_camera("MKS-0005", streams=False))
    access = city.policy.stream_uri(OPERATOR, "MKS-0001")
    assert access.uri == "rtsp://relay:8554/MKS-0001/main"
    sub = city.policy.stream_uri(OPERATOR, "MKS-0001", profile="sub")
    assert (sub.uri, sub.profile) == ("rtsp://relay:8554/MKS-0001/sub", "sub")
    head = city.head()
    with pytest.raises(NotFoundError, match="no stream profile 'hd'"):
        city.policy.stream_uri(OPERATOR, "MKS-0001", profile="hd")
    with pytest.raises(NotFoundError, match="no stream registered"):
        city.policy.stream_uri(OPERATOR, "MKS-0005")
    # Both decisions were made and recorded before the streams were looked at.
    assert city.head() == head + 2
    assert [e.action for e in city.access_entries()[-2:]] == [ALLOWED, ALLOWED]
    assert [e.subject for e in city.access_entries()[-2:]] == [
        "camera:MKS-0001",
        "camera:MKS-0005",
    ]
    # Without a relay the camera's own URI is handed out.
    own = AccessPolicy(db, clock=city.clock).stream_uri(OPERATOR, "MKS-0001")
    assert own.uri == "rtsp://10.20.0.2:554/MKS-0001/main"


@pytest.mark.parametrize("template", ["rtsp://relay:8554/{profile}", "rtsp://relay/live", ""])
def test_stream_relay_needs_the_camera(db: Database, template: str) -> None:
    with pytest.raises(ValidationError, match="stream_relay"):
        AccessPolicy(db, stream_relay=template)


def test_snapshot_is_taken_only_when_allowed(city: City) -> None:
    policy = city.policy
    with pytest.raises(PermissionDeniedError):
        policy.snapshot(POLICE, "MKS-0001")
    assert city.adapter_log == []
    taken = policy.snapshot(OPERATOR, "MKS-0001")
    assert isinstance(taken, SnapshotAccess)
    assert taken.image == image_of("MKS-0001")
    assert taken.decision.right is Right.SNAPSHOT
    assert taken.decision.audit_seq == city.head()
    assert city.adapter_log == ["snapshot MKS-0001", "close MKS-0001"]
    assert "bytes" in repr(taken)


# --- the property: no hand-out without a basis, one audit entry per attempt --------------------


def scope_holds(scope: CameraScope, camera: Camera) -> bool:
    district = camera.location.district
    return (
        scope.everything
        or camera.id in scope.cameras
        or (camera.site is not None and camera.site in scope.sites)
        or (district is not None and district in scope.districts)
        or camera.purpose in scope.purposes
    )


def oracle(  # noqa: PLR0913 - the question's parts
    account: Account | None,
    camera: Camera | None,
    right: Right,
    when: dt.datetime,
    *,
    agreements: list[SharingAgreement],
    grants: list[IncidentGrant],
) -> bool:
    """The rules, restated: owner, or an agreement in force, or a grant in force."""
    if account is None or camera is None:
        return False
    if not account.active or account.role is AccountRole.AUDITOR:
        return False
    if camera.owner.code == account.organisation:
        return True
    for a in agreements:
        if (
            (a.owner, a.grantee) == (camera.owner.code, account.organisation)
            and scope_holds(a.scope, camera)
            and right in a.rights
            and a.valid_from <= when
            and (a.valid_until is None or when < a.valid_until)
            and (a.revoked_at is None or when < a.revoked_at)
        ):
            return True
    point = camera.location.point
    for g in grants:
        near = (
            g.center is not None and point is not None and g.center.distance_to(point) <= g.radius_m
        )
        if (
            (g.owner, g.organisation) == (camera.owner.code, account.organisation)
            and (camera.id in g.cameras or near)
            and right in g.rights
            and g.granted_at <= when < g.expires_at
            and (g.revoked_at is None or when < g.revoked_at)
        ):
            return True
    return False


CREATED = at(-48)  # when the world is made: every grant starts later
hours = st.integers(min_value=-24, max_value=96)
rights_sets = st.frozensets(st.sampled_from(Right), min_size=1)
near_makassar = st.builds(
    GeoPoint,
    st.floats(min_value=-5.16, max_value=-5.12),
    st.floats(min_value=119.40, max_value=119.44),
)


def maybe(draw: Callable[..., Any], strategy: st.SearchStrategy[Any], one_in: int) -> Any:
    """A value from ``strategy`` about once in ``one_in`` draws, else None."""
    return draw(strategy) if draw(st.integers(1, one_in)) == one_in else None


@attrs.frozen
class Attempt:
    account: str
    camera: str
    kind: str  # stream, snapshot or export
    when: dt.datetime


@attrs.define
class DbWorld:
    cameras: dict[str, Camera]
    accounts: dict[str, Account]
    agreements: list[SharingAgreement]
    grants: list[IncidentGrant]


def pick_attempt(data: st.DataObject, world: DbWorld) -> Attempt:
    """Half the time aimed at an agreement or grant (a member of the grantee, a camera of the
    owner, near its time); otherwise anyone on anything, now and then unknown ones."""
    draw = data.draw
    things: list[SharingAgreement | IncidentGrant] = [*world.agreements, *world.grants]
    aimed: bool = draw(st.booleans(), label="aimed")
    if things and aimed:
        return aimed_attempt(data, world, draw(st.sampled_from(things), label="at"))
    account_id = "ghost"
    if draw(st.integers(0, 9), label="ghost") < 9:
        account_id = draw(st.sampled_from(sorted(world.accounts)), label="account")
    camera_id = "CAM-GONE"
    if draw(st.integers(0, 9), label="no camera") < 9:
        camera_id = draw(st.sampled_from(sorted(world.cameras)), label="camera")
    kind = draw(st.sampled_from(sorted(RIGHT_OF)), label="kind")
    return Attempt(account_id, camera_id, kind, at(draw(hours, label="when")))


def covers(thing: SharingAgreement | IncidentGrant, camera: Camera) -> bool:
    """Whether the agreement's scope or the grant's place takes in the camera (to aim at it)."""
    if isinstance(thing, SharingAgreement):
        return scope_holds(thing.scope, camera)
    point = camera.location.point
    return camera.id in thing.cameras or (
        thing.center is not None
        and point is not None
        and thing.center.distance_to(point) <= thing.radius_m
    )


def aimed_attempt(
    data: st.DataObject, world: DbWorld, thing: SharingAgreement | IncidentGrant
) -> Attempt:
    draw = data.draw
    if isinstance(thing, SharingAgreement):
        grantee, start, end = thing.grantee, thing.valid_from, thing.valid_until
    else:
        grantee, start, end = thing.organisation, thing.granted_at, thing.expires_at
    members = sorted(a.id for a in world.accounts.values() if a.organisation == grantee)
    owned = sorted(c.id for c in world.cameras.values() if c.owner.code == thing.owner)
    offered = sorted(k for k, right in RIGHT_OF.items() if right in thing.rights)
    account_id = draw(st.sampled_from(members), label="member")
    covered = [c for c in owned if covers(thing, world.cameras[c])]
    only_covered: bool = draw(st.integers(0, 3), label="covered") > 0
    choice = (covered if covered and only_covered else owned) or sorted(world.cameras)
    camera_id = draw(st.sampled_from(choice), label="owned camera")
    kind = draw(st.sampled_from(offered or sorted(RIGHT_OF)), label="offered kind")
    edges = [start, *(e for e in (end, thing.revoked_at) if e is not None)]
    if draw(st.booleans(), label="at an edge"):
        nudge = dt.timedelta(microseconds=draw(st.sampled_from([0, -1, 1]), label="nudge"))
        when = draw(st.sampled_from(edges), label="edge") + nudge
    else:
        span = int(((end or start + dt.timedelta(days=5)) - start) / dt.timedelta(hours=1))
        when = start + dt.timedelta(hours=draw(st.integers(0, max(span, 0)), label="into"))
    return Attempt(account_id, camera_id, kind, when)


def build_world(data: st.DataObject, city: City) -> DbWorld:  # noqa: C901 - one world
    policy, draw = city.policy, data.draw
    orgs = sorted(ORGS)
    # Accounts: the admins of new_city, and a few random ones.
    accounts = {a.id: a for a in policy.accounts()}
    for i in range(draw(st.integers(1, 4), label="accounts")):
        account = Account(
            f"acc-{i}",
            draw(st.sampled_from(orgs), label="organisation"),
            draw(st.sampled_from(list(AccountRole)), label="role"),
            draw(st.sampled_from(["Andi Baso", NAME, "Sitti Rahma"]), label="name"),
            active=draw(st.integers(0, 4), label="active") > 0,
        )
        accounts[account.id] = policy.add_account(account)
    cameras: dict[str, Camera] = {}
    for i in range(draw(st.integers(1, 5), label="cameras")):
        camera = make_camera(
            f"CAM-{i}",
            draw(st.sampled_from(orgs), label="owner"),
            point=None if draw(st.integers(0, 4), label="no point") == 0 else draw(near_makassar),
            district=maybe(draw, st.sampled_from(DISTRICTS), 2),
            site=maybe(draw, st.sampled_from(SITES), 2),
            purpose=draw(st.sampled_from(list(Purpose)), label="purpose"),
        )
        add_cameras(city, camera)
        cameras[camera.id] = camera
    camera_ids = sorted(cameras)

    users = {a.organisation for a in accounts.values() if a.id.startswith("acc-") and a.active}

    def pair() -> tuple[str, str]:
        """An owner and another organisation, mostly one with random accounts (so they meet)."""
        owner = draw(st.sampled_from(orgs), label="owner")
        wanted = sorted(users - {owner})
        favour: int = draw(st.integers(0, 3), label="favour")
        others = wanted if wanted and favour else orgs
        return owner, draw(st.sampled_from([o for o in others if o != owner]), label="other")

    agreements: list[SharingAgreement] = []
    for i in range(draw(st.integers(1, 4), label="agreements")):
        owner, grantee = pair()
        kinds = draw(
            st.sets(
                st.sampled_from(["cameras", "sites", "districts", "purposes"]),
                min_size=1,
                max_size=2,
            )
        )
        scope_values: dict[str, Any] = {
            "cameras": draw(st.frozensets(st.sampled_from(camera_ids), min_size=1)),
            "sites": draw(st.frozensets(st.sampled_from(SITES), min_size=1)),
            "districts": draw(st.frozensets(st.sampled_from(DISTRICTS), min_size=1)),
            "purposes": draw(st.frozensets(st.sampled_from(list(Purpose)), min_size=1, max_size=3)),
        }
        everything = draw(st.integers(0, 5), label="everything") == 0
        scope = CameraScope(everything=everything, **{k: scope_values[k] for k in kinds})
        start = draw(hours, label="valid_from")
        length = maybe(draw, st.integers(1, 24 * 5), 2)
        made = policy.create_agreement(
            SharingAgreement(
                id=f"PKS-{i:03d}",
                owner=owner,
                grantee=grantee,
                scope=scope,
                rights=draw(rights_sets, label="rights"),
                legal_basis=f"PKS {i}/2026",
                valid_from=at(start),
                valid_until=at(start + length) if length is not None else None,
            ),
            by=f"{owner}.admin-01",
        )
        agreements.append(made)
    grants: list[IncidentGrant] = []
    for i in range(draw(st.integers(1, 4), label="grants")):
        owner, organisation = pair()
        own = [c for c in camera_ids if cameras[c].owner.code == owner]
        named = draw(st.frozensets(st.sampled_from(own), max_size=2)) if own else frozenset()
        center = None if draw(st.integers(0, 3), label="no center") == 0 else draw(near_makassar)
        if center is None and not named:
            center = LOSARI
        start = draw(st.integers(-24, 72), label="granted_at")
        made_grant = policy.grant_incident(
            IncidentGrant(
                case_number=f"LP/B/{i}/XI/2026/SPKT",
                reason="pencurian",
                owner=owner,
                organisation=organisation,
                requested_by=f"{organisation}.admin-01",
                approved_by=f"{owner}.admin-01",
                center=center,
                radius_m=draw(st.integers(1, 5_000) | st.sampled_from([2_500, 5_000])),
                cameras=named,
                rights=draw(rights_sets, label="grant rights"),
                footage_from=at(-30),
                footage_until=at(-29),
                granted_at=at(start),
                expires_at=at(start + draw(st.integers(1, 24 * 90), label="length")),
            )
        )
        grants.append(made_grant)
    # Revocations, each at its own time.
    for index, made in enumerate(agreements):
        revoked = maybe(draw, hours, 3)
        if revoked is not None:
            city.clock.set(at(revoked))
            by = draw(st.sampled_from([made.owner, made.grantee]), label="revoker")
            agreements[index] = policy.revoke_agreement(
                made.id, by=f"{by}.admin-01", reason="akhir"
            )
            assert agreements[index].revoked_at == at(revoked)
    for index, made_grant in enumerate(grants):
        revoked = maybe(draw, hours, 3)
        if revoked is not None:
            city.clock.set(at(revoked))
            grants[index] = policy.revoke_grant(
                made_grant.id, by=f"{made_grant.owner}.admin-01", reason="akhir"
            )
    return DbWorld(cameras, accounts, agreements, grants)


def perform(city: City, attempt: Attempt) -> StreamAccess | SnapshotAccess | AccessDecision:
    if attempt.kind == "stream":
        return city.policy.stream_uri(attempt.account, attempt.camera)
    if attempt.kind == "snapshot":
        return city.policy.snapshot(attempt.account, attempt.camera)
    return city.policy.require(attempt.account, attempt.camera, Right.EXPORT)


def attempt_once(city: City, attempt: Attempt) -> AccessDecision:
    """The decision behind one attempt: the hand-out's, or the recorded denial's."""
    try:
        result = perform(city, attempt)
    except AccessDeniedError as e:
        denied = e
    else:
        if isinstance(result, StreamAccess):
            assert result.uri == f"rtsp://10.20.0.2:554/{attempt.camera}/main"
        if isinstance(result, SnapshotAccess):
            assert result.image == image_of(attempt.camera)
        decision = result if isinstance(result, AccessDecision) else result.decision
        assert decision.allowed
        assert decision.basis is not None
        return decision
    assert str(denied) == denied.decision.reason
    assert not denied.decision.allowed
    assert denied.decision.basis is None
    return denied.decision


RIGHT_OF = {"stream": Right.LIVE, "snapshot": Right.SNAPSHOT, "export": Right.EXPORT}


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_hand_out_without_a_basis_and_one_entry_per_attempt(data: st.DataObject) -> None:
    db = Database("sqlite://")
    try:
        upgrade(db)
        city = new_city(db, start=CREATED)
        world = build_world(data, city)
        recorded: list[tuple[Attempt, bool, int]] = []
        for _ in range(data.draw(st.integers(1, 10), label="attempts")):
            attempt = pick_attempt(data, world)
            city.clock.set(attempt.when)
            expected = oracle(
                world.accounts.get(attempt.account),
                world.cameras.get(attempt.camera),
                RIGHT_OF[attempt.kind],
                attempt.when,
                agreements=world.agreements,
                grants=world.grants,
            )
            before = city.head()
            decision = attempt_once(city, attempt)
            allowed = decision.allowed
            assert allowed is expected, attempt
            event(f"{attempt.kind} {decision.basis.value if decision.basis else 'denied'}")
            assert decision.audit_seq == before + 1
            assert (decision.account, decision.camera) == (attempt.account, attempt.camera)
            assert decision.right is RIGHT_OF[attempt.kind]
            assert city.head() == before + 1, attempt
            (entry,) = city.audit.entries(limit=1)
            assert entry.seq == before + 1
            assert entry.action == (ALLOWED if allowed else DENIED)
            assert entry.subject == f"camera:{attempt.camera}"
            assert entry.actor == f"account:{attempt.account}"
            assert entry.details["right"] == RIGHT_OF[attempt.kind].value
            recorded.append((attempt, allowed, entry.seq))
        report = city.policy.access_report()
        assert [(r.audit_seq, r.allowed, r.camera, r.account) for r in report] == [
            (seq, allowed, a.camera, a.account) for a, allowed, seq in recorded
        ]
        assert len(city.access_entries()) == len(recorded)
        assert city.audit.verify().intact
    finally:
        db.dispose()
