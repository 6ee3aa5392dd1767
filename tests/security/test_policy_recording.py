"""Every attempt through the policy leaves exactly one audit entry, and only the rule allows."""

from __future__ import annotations

import datetime as dt
import functools
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcity_kit.core import FixedClock, GeoPoint
from smartcity_kit.errors import PermissionDeniedError
from smartcity_kit.security import (
    AccessPolicy,
    Account,
    Camera,
    CameraLocation,
    CameraRegistry,
    CameraScope,
    Endpoint,
    IncidentGrant,
    Organisation,
    Owner,
    Purpose,
    Right,
    SharingAgreement,
    StreamProfile,
    evaluate,
)
from smartcity_kit.storage import AuditLog, Database, upgrade

START = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
ORGS = ("city", "police", "shop")
CAMERAS = ("C1", "C2", "C3")
ROLES = {
    "city.a": "admin",
    "police.a": "admin",
    "police.v": "viewer",
    "police.off": "auditor",
    "shop.a": "admin",
}
ACCOUNTS = tuple(ROLES)


@functools.cache
def _template() -> Path:
    path = Path(tempfile.mkdtemp()) / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    return path


class _Adapter:
    def snapshot(self, profile: str | None = None) -> bytes:  # noqa: ARG002 - the protocol's
        return b"\xff\xd8image\xff\xd9"

    def close(self) -> None:
        return None


def _world(
    owners: list[str], purposes: list[Purpose], agreements: list[tuple[str, frozenset[Right], int]]
) -> tuple[Database, AccessPolicy, FixedClock]:
    clock = FixedClock(START)
    # Upgrading takes seconds: each example starts from a copy of one upgraded file.
    folder = Path(tempfile.mkdtemp())
    shutil.copy(_template(), folder / "world.db")
    db = Database(f"sqlite:///{folder / 'world.db'}")
    registry = CameraRegistry(db, clock=clock)
    policy = AccessPolicy(db, registry, clock=clock, adapters=lambda _c: _Adapter())  # type: ignore[arg-type,return-value]
    for org in ORGS:
        policy.save_organisation(Organisation(org, "makassar", org.title(), "city"))
    for account, role in ROLES.items():
        policy.add_account(Account(account, account.partition(".")[0], role, "Nama Orang"))
    for number, (camera_id, owner, purpose) in enumerate(
        zip(CAMERAS, owners, purposes, strict=True)
    ):
        registry.add(
            Camera(
                id=camera_id,
                city="makassar",
                name=camera_id,
                owner=Owner("city", owner, owner.title()),
                protocol="onvif",
                endpoint=Endpoint("10.0.0.1"),
                location=CameraLocation(point=GeoPoint(-5.14 + number * 0.01, 119.41)),
                purpose=purpose,
                streams=[StreamProfile("main", "Main", f"rtsp://10.0.0.1/{camera_id}")],
            ),
            actor="cli",
        )
    for number, (owner, rights, days) in enumerate(agreements):
        grantee = "police" if owner != "police" else "shop"
        policy.create_agreement(
            SharingAgreement(
                id=f"AG-{number}",
                owner=owner,
                grantee=grantee,
                scope=CameraScope(purposes=[Purpose.TRAFFIC]),
                rights=rights,
                legal_basis="PKS 1/2026",
                valid_from=START,
                valid_until=START + dt.timedelta(days=days),
            ),
            by=f"{owner}.a",
        )
    if "city" in owners:
        policy.grant_incident(
            IncidentGrant(
                case_number="LP/B/1/XI/2026",
                reason="uji",
                owner="city",
                organisation="police",
                requested_by="police.v",
                approved_by="city.a",
                center=GeoPoint(-5.14, 119.41),
                radius_m=600,
                footage_from=START - dt.timedelta(hours=3),
                footage_until=START,
                granted_at=START,
                expires_at=START + dt.timedelta(days=2),
                rights=[Right.LIVE, Right.SNAPSHOT],
            )
        )
    return db, policy, clock


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    owners=st.lists(st.sampled_from(ORGS), min_size=3, max_size=3),
    purposes=st.lists(
        st.sampled_from([Purpose.TRAFFIC, Purpose.SURVEILLANCE]), min_size=3, max_size=3
    ),
    agreements=st.lists(
        st.tuples(
            st.sampled_from(ORGS),
            st.frozensets(st.sampled_from(list(Right)), min_size=1),
            st.integers(1, 5),
        ),
        max_size=3,
        unique_by=lambda a: a[0],
    ),
    attempts=st.lists(
        st.tuples(
            st.sampled_from(ACCOUNTS),
            st.sampled_from((*CAMERAS, "C9")),
            st.sampled_from(["stream", "snapshot", "export"]),
            st.integers(0, 6),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_every_attempt_is_decided_by_the_rule_and_recorded_once(
    owners: list[str],
    purposes: list[Purpose],
    agreements: list[tuple[str, frozenset[Right], int]],
    attempts: list[tuple[str, str, str, int]],
) -> None:
    db, policy, clock = _world(owners, purposes, agreements)
    audit = AuditLog(db)
    for account_id, camera_id, how, days in attempts:
        clock.set(START + dt.timedelta(days=days))
        right = {"stream": Right.LIVE, "snapshot": Right.SNAPSHOT, "export": Right.EXPORT}[how]
        expected = False
        if camera_id != "C9":
            camera = policy.registry.get(camera_id)
            expected = evaluate(
                policy.account(account_id),
                camera,
                right,
                clock.now(),
                agreements=policy.agreements(),
                grants=policy.grants(),
            ).allowed
        before = audit.head().seq
        try:
            if how == "stream":
                got = policy.stream_uri(account_id, camera_id).decision
            elif how == "snapshot":
                got = policy.snapshot(account_id, camera_id).decision
            else:
                got = policy.require(account_id, camera_id, Right.EXPORT)
            allowed = True
        except PermissionDeniedError:
            allowed = False
        else:
            assert got.allowed
        assert allowed == expected
        entries = audit.entries()[before:]
        assert len(entries) == 1
        (entry,) = entries
        assert entry.action == ("cctv.access.allowed" if allowed else "cctv.access.denied")
        assert entry.subject == f"camera:{camera_id}"
        assert entry.actor == f"account:{account_id}"
        assert entry.details["right"] == right.value
        assert "Nama Orang" not in str(entry)
    assert len(policy.access_report()) == len(attempts)
    for account_id in ACCOUNTS:
        rights = dict(policy.camera_rights(account_id))
        for camera_id in CAMERAS:
            camera = policy.registry.get(camera_id)
            may = {r for r in Right if policy.decide(account_id, camera_id, r).allowed}
            assert rights.get(camera, frozenset()) == may
    assert audit.verify().intact
