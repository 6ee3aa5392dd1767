"""The access models and the one decision rule, ``evaluate``, checked against an oracle."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcity_kit.core import GeoPoint, RegionCode, RegionLevel
from smartcity_kit.errors import ValidationError
from smartcity_kit.security import (
    AccessDecision,
    Account,
    AccountRole,
    Basis,
    Camera,
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
    StreamProfile,
    VendorProtocol,
    evaluate,
)
from smartcity_kit.testing import strategies as st_city

T0 = dt.datetime(2026, 11, 23, 0, 0, tzinfo=dt.UTC)
LOSARI = GeoPoint(-5.1430, 119.4077)
ORGS = ("diskominfo", "dishub", "polrestabes", "polsek-tamalate")
SITES = ("POLE-1", "POLE-2", "POLE-3")
MAKASSAR = RegionCode("73.71")
DISTRICTS = tuple(RegionCode(f"73.71.{n:02d}") for n in (1, 5, 10, 12))
SCOPE_KINDS = ("cameras", "sites", "districts", "purposes", "everything")
_TICK = dt.timedelta(microseconds=1)
NUDGES = (
    dt.timedelta(0),
    -_TICK,
    _TICK,
    dt.timedelta(0),
    dt.timedelta(hours=-1),
    dt.timedelta(hours=1),
)
NAME = "Bripka Andi Nurhaliza Mappanyukki"


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def make_camera(  # noqa: PLR0913 - every part a world varies
    camera_id: str = "MKS-0001",
    owner: str = "diskominfo",
    *,
    point: GeoPoint | None = LOSARI,
    district: RegionCode | None = None,
    site: str | None = None,
    purpose: Purpose = Purpose.SURVEILLANCE,
) -> Camera:
    return Camera(
        id=camera_id,
        city="makassar",
        name=f"Kamera {camera_id}",
        owner=Owner(OwnerKind.CITY, owner, f"Pemilik {owner}"),
        protocol=VendorProtocol.ONVIF,
        endpoint=Endpoint("10.20.0.2", 80),
        location=CameraLocation(point=point, district=district),
        site=site,
        purpose=purpose,
        streams=(StreamProfile("main", "main", f"rtsp://10.20.0.2:554/{camera_id}"),),
    )


def make_account(
    account_id: str = "polsek-tamalate.reskrim-01",
    organisation: str = "polsek-tamalate",
    role: AccountRole = AccountRole.VIEWER,
    *,
    active: bool = True,
    name: str = NAME,
) -> Account:
    return Account(account_id, organisation, role, name, active=active)


def make_agreement(**changes: Any) -> SharingAgreement:
    values: dict[str, Any] = {
        "id": "PKS-2026-007",
        "owner": "diskominfo",
        "grantee": "polsek-tamalate",
        "scope": CameraScope(everything=True),
        "rights": {Right.LIVE},
        "legal_basis": "PKS 7/2026 Diskominfo-Polsek Tamalate",
        "valid_from": at(0),
    }
    values.update(changes)
    return SharingAgreement(**values)


def make_grant(**changes: Any) -> IncidentGrant:
    values: dict[str, Any] = {
        "id": 1,
        "case_number": "LP/B/1234/XI/2026/SPKT",
        "reason": "pencurian kendaraan bermotor",
        "owner": "diskominfo",
        "organisation": "polsek-tamalate",
        "requested_by": "polsek-tamalate.reskrim-01",
        "approved_by": "diskominfo.admin-01",
        "center": LOSARI,
        "radius_m": 300,
        "footage_from": at(-6),
        "footage_until": at(-2),
        "granted_at": at(0),
        "expires_at": at(48),
    }
    values.update(changes)
    return IncidentGrant(**values)


# --- the oracle: the rules, restated plainly ----------------------------------------------------


def scope_holds(scope: CameraScope, camera: Camera) -> bool:
    district = camera.location.district
    return (
        scope.everything
        or camera.id in scope.cameras
        or (camera.site is not None and camera.site in scope.sites)
        or (district is not None and district in scope.districts)
        or camera.purpose in scope.purposes
    )


def agreement_allows(
    agreement: SharingAgreement, account: Account, camera: Camera, right: Right, when: dt.datetime
) -> bool:
    return (
        agreement.owner == camera.owner.code
        and agreement.grantee == account.organisation
        and scope_holds(agreement.scope, camera)
        and right in agreement.rights
        and agreement.valid_from <= when
        and (agreement.valid_until is None or when < agreement.valid_until)
        and (agreement.revoked_at is None or when < agreement.revoked_at)
    )


def grant_allows(  # noqa: PLR0913, PLR0917 - the question's parts
    grant: IncidentGrant,
    account: Account,
    camera: Camera,
    right: Right,
    when: dt.datetime,
    footage: tuple[dt.datetime, dt.datetime] | None,
) -> bool:
    point = camera.location.point
    near = (
        grant.center is not None
        and point is not None
        and grant.center.distance_to(point) <= grant.radius_m
    )
    return (
        grant.owner == camera.owner.code
        and grant.organisation == account.organisation
        and (camera.id in grant.cameras or near)
        and right in grant.rights
        and grant.granted_at <= when < grant.expires_at
        and (grant.revoked_at is None or when < grant.revoked_at)
        and (
            footage is None
            or (grant.footage_from <= footage[0] and footage[1] <= grant.footage_until)
        )
    )


def oracle(  # noqa: PLR0913 - the question's parts
    account: Account | None,
    camera: Camera,
    right: Right,
    when: dt.datetime,
    *,
    agreements: list[SharingAgreement],
    grants: list[IncidentGrant],
    footage: tuple[dt.datetime, dt.datetime] | None = None,
    only_grant: int | None = None,
) -> bool:
    if account is None or not account.active or account.role is AccountRole.AUDITOR:
        return False
    if only_grant is not None:
        return any(
            grant_allows(g, account, camera, right, when, footage)
            for g in grants
            if g.id == only_grant
        )
    return (
        camera.owner.code == account.organisation
        or any(agreement_allows(a, account, camera, right, when) for a in agreements)
        or any(grant_allows(g, account, camera, right, when, footage) for g in grants)
    )


# --- random worlds ------------------------------------------------------------------------------

# Times on a coarse grid, so that boundaries (starts, ends, revocations) are hit exactly.
hours = st.integers(min_value=-24, max_value=96)
rights_sets = st.frozensets(st.sampled_from(Right), min_size=1)
names = st.lists(
    st.text(alphabet=st.characters(categories=["Ll"]), min_size=2, max_size=12),
    min_size=2,
    max_size=4,
).map(lambda words: " ".join(w[0].upper() + w[1:] for w in words))
near_makassar = st.builds(
    GeoPoint,
    st.floats(min_value=-5.16, max_value=-5.12),
    st.floats(min_value=119.40, max_value=119.44),
)
districts = st_city.region_codes(level=RegionLevel.DISTRICT, within=MAKASSAR)


def sometimes(draw: st.DrawFn, strategy: st.SearchStrategy[Any], one_in: int) -> Any:
    """A value from ``strategy`` about once in ``one_in`` draws, else None."""
    return draw(strategy) if draw(st.integers(1, one_in)) == one_in else None


def mostly(draw: st.DrawFn, strategy: st.SearchStrategy[Any], one_in: int) -> Any:
    """None about once in ``one_in`` draws, else a value from ``strategy``."""
    return None if draw(st.integers(1, one_in)) == one_in else draw(strategy)


@st.composite
def cameras(draw: st.DrawFn, number: int, orgs: tuple[str, ...]) -> Camera:
    return make_camera(
        f"CAM-{number}",
        draw(st.sampled_from(orgs)),
        point=mostly(draw, near_makassar, 5),
        district=draw(st.none() | st.sampled_from(DISTRICTS) | districts),
        site=draw(st.none() | st.sampled_from(SITES)),
        purpose=draw(st.sampled_from(Purpose)),
    )


@st.composite
def scopes(draw: st.DrawFn, camera_ids: list[str]) -> CameraScope:
    """A scope of one or two kinds (so that each kind alone decides now and then)."""
    kinds = draw(st.sets(st.sampled_from(SCOPE_KINDS), min_size=1, max_size=2))
    values: dict[str, Any] = {
        "cameras": st.frozensets(st.sampled_from([*camera_ids, "CAM-GONE"]), min_size=1),
        "sites": st.frozensets(st.sampled_from(SITES), min_size=1, max_size=2),
        "districts": st.frozensets(st.sampled_from(DISTRICTS), min_size=1, max_size=2),
        "purposes": st.frozensets(st.sampled_from(Purpose), min_size=1, max_size=2),
        "everything": st.just(True),  # noqa: FBT003 - the value drawn
    }
    return CameraScope(**{kind: draw(values[kind]) for kind in sorted(kinds)})


@st.composite
def pairs(draw: st.DrawFn, orgs: tuple[str, ...], parties: set[str]) -> tuple[str, str]:
    """An owner and another party: mostly one with accounts (so that the two meet)."""
    owner = draw(st.sampled_from(orgs))
    wanted = sorted(parties - {owner})
    if wanted and draw(st.integers(0, 4)) > 0:
        return owner, draw(st.sampled_from(wanted))
    return owner, draw(st.sampled_from([o for o in ORGS if o != owner]))


@st.composite
def agreements(
    draw: st.DrawFn, number: int, orgs: tuple[str, ...], parties: set[str], camera_ids: list[str]
) -> SharingAgreement:
    owner, grantee = draw(pairs(orgs, parties))
    start = draw(hours)
    length = sometimes(draw, st.integers(min_value=1, max_value=24 * 5), 2)
    revoked = sometimes(draw, hours, 4)
    return SharingAgreement(
        id=f"PKS-{number:03d}",
        owner=owner,
        grantee=grantee,
        scope=draw(scopes(camera_ids)),
        rights=draw(rights_sets),
        legal_basis=f"PKS {number}/2026",
        valid_from=at(start),
        valid_until=at(start + length) if length is not None else None,
        revoked_at=at(revoked) if revoked is not None else None,
        revoked_by="admin" if revoked is not None else None,
    )


@st.composite
def grants(
    draw: st.DrawFn, number: int, orgs: tuple[str, ...], parties: set[str], camera_ids: list[str]
) -> IncidentGrant:
    owner, organisation = draw(pairs(orgs, parties))
    center = mostly(draw, near_makassar, 4)
    named = draw(st.frozensets(st.sampled_from(camera_ids), max_size=2))
    if center is None and not named:
        center = LOSARI
    start = draw(hours)
    footage_start = draw(hours)
    revoked = sometimes(draw, hours, 4)
    return IncidentGrant(
        id=number,
        case_number=f"LP/B/{number}/XI/2026/SPKT",
        reason="pencurian",
        owner=owner,
        organisation=organisation,
        requested_by=f"{organisation}.viewer",
        approved_by=f"{owner}.admin",
        center=center,
        radius_m=draw(st.integers(min_value=1, max_value=5_000) | st.sampled_from([2_500, 5_000])),
        cameras=named,
        rights=draw(rights_sets),
        footage_from=at(footage_start),
        footage_until=at(footage_start + draw(st.integers(min_value=1, max_value=24 * 5))),
        granted_at=at(start),
        expires_at=at(start + draw(st.integers(min_value=1, max_value=24 * 90))),
        revoked_at=at(revoked) if revoked is not None else None,
    )


@st.composite
def accounts(draw: st.DrawFn, number: int, orgs: tuple[str, ...]) -> Account:
    return make_account(
        f"acc-{number}",
        draw(st.sampled_from(orgs if draw(st.integers(0, 5)) else ORGS)),
        draw(st.sampled_from([AccountRole.VIEWER, AccountRole.ADMIN] * 2 + [AccountRole.AUDITOR])),
        active=draw(st.integers(0, 7)) > 0,
        name=draw(names),
    )


@attrs.frozen
class World:
    cameras: list[Camera]
    agreements: list[SharingAgreement]
    grants: list[IncidentGrant]
    accounts: list[Account]

    def pick_account(self, data: st.DataObject) -> Account | None:
        """An account of the world, or now and then an unknown one (None)."""
        if data.draw(st.integers(0, 9), label="unknown account") == 0:
            return None
        return data.draw(st.sampled_from(self.accounts), label="account")

    def relevant(
        self, account: Account | None, camera: Camera
    ) -> tuple[list[SharingAgreement], list[IncidentGrant]]:
        """The agreements and grants between the camera's owner and the account's organisation."""
        if account is None:
            return [], []
        pair = (camera.owner.code, account.organisation)
        return (
            [a for a in self.agreements if (a.owner, a.grantee) == pair],
            [g for g in self.grants if (g.owner, g.organisation) == pair],
        )

    def pick_time(
        self, data: st.DataObject, account: Account | None, camera: Camera
    ) -> dt.datetime:
        """A time on the grid, or (half the time) just at, before or after a boundary."""
        mine_a, mine_g = self.relevant(account, camera)
        chosen_a = mine_a or self.agreements
        chosen_g = mine_g or self.grants
        edges = sorted(
            {a.valid_from for a in chosen_a}
            | {a.valid_until for a in chosen_a if a.valid_until is not None}
            | {a.revoked_at for a in chosen_a if a.revoked_at is not None}
            | {g.granted_at for g in chosen_g}
            | {g.expires_at for g in chosen_g}
            | {g.revoked_at for g in chosen_g if g.revoked_at is not None}
        )
        if edges and data.draw(st.integers(0, 1), label="at an edge") == 1:
            edge = data.draw(st.sampled_from(edges), label="edge")
            return edge + data.draw(st.sampled_from(NUDGES), label="nudge")
        return at(data.draw(hours, label="at")) + dt.timedelta(
            minutes=data.draw(st.sampled_from([0, 1, 59]), label="minutes")
        )

    def pick_right(self, data: st.DataObject, account: Account | None, camera: Camera) -> Right:
        """A right, half the time one that a relevant agreement or grant gives."""
        mine_a, mine_g = self.relevant(account, camera)
        offered = sorted(
            {r for a in mine_a for r in a.rights} | {r for g in mine_g for r in g.rights}
        )
        if offered and data.draw(st.integers(0, 1), label="an offered right") == 1:
            return data.draw(st.sampled_from(offered), label="right")
        return data.draw(st.sampled_from(list(Right)), label="right")

    def pick_footage(
        self, data: st.DataObject, account: Account | None, camera: Camera
    ) -> tuple[dt.datetime, dt.datetime] | None:
        """None (two times in three), or footage near a grant's window, or anywhere."""
        choice = data.draw(st.integers(0, 5), label="footage")
        if choice < 4:
            return None
        mine = self.relevant(account, camera)[1]
        if choice == 4 and self.grants:
            grant = data.draw(st.sampled_from(mine or self.grants), label="footage of")
            start = grant.footage_from + data.draw(st.sampled_from(NUDGES), label="start")
            end = grant.footage_until + data.draw(st.sampled_from(NUDGES), label="end")
            return start, max(end, start + _TICK)
        return data.draw(footages, label="footage window")

    def pick_camera(self, data: st.DataObject, account: Account | None) -> Camera:
        """A camera, half the time one the account's organisation does not own."""
        foreign = [
            c for c in self.cameras if account is None or c.owner.code != account.organisation
        ]
        if foreign and data.draw(st.integers(0, 1), label="foreign") == 1:
            return data.draw(st.sampled_from(foreign), label="camera")
        return data.draw(st.sampled_from(self.cameras), label="camera")


@st.composite
def worlds(draw: st.DrawFn) -> World:
    orgs = tuple(draw(st.lists(st.sampled_from(ORGS), min_size=2, max_size=3, unique=True)))
    cams = [draw(cameras(i, orgs)) for i in range(draw(st.integers(1, 6)))]
    ids = [c.id for c in cams]
    people = [draw(accounts(i, orgs)) for i in range(draw(st.integers(1, 4)))]
    parties = {a.organisation for a in people}
    return World(
        cameras=cams,
        agreements=[
            draw(agreements(i, orgs, parties, ids)) for i in range(draw(st.integers(1, 5)))
        ],
        grants=[draw(grants(i + 1, orgs, parties, ids)) for i in range(draw(st.integers(1, 5)))],
        accounts=people,
    )


footages = st.tuples(hours, st.integers(min_value=1, max_value=24)).map(
    lambda p: (at(p[0]), at(p[0] + p[1]))
)


def check_basis(  # noqa: PLR0913 - the question's parts
    decision: AccessDecision,
    account: Account,
    camera: Camera,
    world: World,
    *,
    footage: tuple[dt.datetime, dt.datetime] | None,
    only_grant: int | None,
) -> None:
    """An allowed decision names a thing that truly allows it, chosen as the rule says."""
    right, when = decision.right, decision.at
    good_agreements = sorted(
        (a for a in world.agreements if agreement_allows(a, account, camera, right, when)),
        key=lambda a: a.id,
    )
    good_grants = sorted(
        (
            g
            for g in world.grants
            if grant_allows(g, account, camera, right, when, footage)
            and (only_grant is None or g.id == only_grant)
        ),
        key=lambda g: g.id,
    )
    if decision.basis is Basis.OWNER:
        assert only_grant is None
        assert camera.owner.code == account.organisation
        assert (decision.agreement, decision.grant, decision.case_number) == (None, None, None)
    elif decision.basis is Basis.AGREEMENT:
        assert only_grant is None
        assert camera.owner.code != account.organisation
        assert decision.agreement == good_agreements[0].id
        assert (decision.grant, decision.case_number) == (None, None)
    else:
        assert decision.basis is Basis.GRANT
        assert only_grant is not None or (
            camera.owner.code != account.organisation and not good_agreements
        )
        assert decision.agreement is None
        assert decision.grant == good_grants[0].id
        assert decision.case_number == good_grants[0].case_number


@settings(max_examples=250)
@given(
    world=worlds(),
    data=st.data(),
)
def test_evaluate_agrees_with_the_oracle(world: World, data: st.DataObject) -> None:
    for _ in range(10):
        account = world.pick_account(data)
        camera = world.pick_camera(data, account)
        right = world.pick_right(data, account, camera)
        when = world.pick_time(data, account, camera)
        footage = world.pick_footage(data, account, camera)
        grant_ids = [g.id for g in world.grants]
        only_grant = data.draw(
            st.none() | st.none() | st.sampled_from([*grant_ids, 99]), label="only_grant"
        )
        decision = evaluate(
            account,
            camera,
            right,
            when,
            agreements=world.agreements,
            grants=world.grants,
            footage=footage,
            only_grant=only_grant,
            account_id="ghost",
        )
        expected = oracle(
            account,
            camera,
            right,
            when,
            agreements=world.agreements,
            grants=world.grants,
            footage=footage,
            only_grant=only_grant,
        )
        assert decision.allowed is expected, decision.reason
        assert (decision.camera, decision.right, decision.at) == (camera.id, right, when)
        assert (decision.footage_from, decision.footage_until) == (footage or (None, None))
        assert decision.audit_seq is None
        assert decision.reason.strip()
        if account is None:
            assert (decision.account, decision.organisation) == ("ghost", None)
            assert "ghost" in decision.reason
        else:
            assert (decision.account, decision.organisation) == (account.id, account.organisation)
            assert account.name not in decision.reason
        if decision.allowed:
            assert account is not None
            check_basis(decision, account, camera, world, footage=footage, only_grant=only_grant)
        else:
            assert decision.basis is None
            assert (decision.agreement, decision.grant, decision.case_number) == (None, None, None)


# --- the rule, case by case ---------------------------------------------------------------------


def decide(
    account: Account | None, camera: Camera, right: Right, when: dt.datetime, **kw: Any
) -> AccessDecision:
    return evaluate(account, camera, right, when, **kw)


def test_owner_sees_its_own_cameras_with_every_right() -> None:
    owner = make_account("diskominfo.op-01", "diskominfo")
    for right in Right:
        decision = decide(owner, make_camera(), right, at(0))
        assert decision.allowed
        assert decision.basis is Basis.OWNER
        assert "diskominfo owns the camera" in decision.reason


def test_nothing_else_is_implicit() -> None:
    police = make_account()
    decision = decide(police, make_camera(), Right.LIVE, at(0))
    assert not decision.allowed
    assert decision.basis is None
    assert "no agreement or grant in force gives polsek-tamalate the right live" in decision.reason
    # An agreement between other parties, or the other way round, gives nothing.
    others = [
        make_agreement(id="A-1", owner="dishub"),
        make_agreement(id="A-2", grantee="polrestabes"),
        make_agreement(id="A-3", owner="polsek-tamalate", grantee="diskominfo"),
    ]
    assert not decide(police, make_camera(), Right.LIVE, at(0), agreements=others).allowed


def test_agreement_validity_is_half_open_and_revocation_immediate() -> None:
    police = make_account()
    agreement = make_agreement(valid_from=at(0), valid_until=at(10), revoked_at=None)
    camera = make_camera()

    def allowed(when: dt.datetime, a: SharingAgreement = agreement) -> AccessDecision:
        return decide(police, camera, Right.LIVE, when, agreements=[a])

    assert not allowed(at(0) - dt.timedelta(microseconds=1)).allowed
    assert "starts 2026-11-23 00:00 UTC" in allowed(at(-1)).reason
    first = allowed(at(0))
    assert first.allowed
    assert first.basis is Basis.AGREEMENT
    assert first.agreement == "PKS-2026-007"
    assert "PKS 7/2026" in first.reason
    assert allowed(at(10) - dt.timedelta(microseconds=1)).allowed
    ended = allowed(at(10))
    assert not ended.allowed
    assert "agreement PKS-2026-007 ended 2026-11-23 10:00 UTC" in ended.reason
    revoked = attrs.evolve(agreement, revoked_at=at(5))
    assert allowed(at(5) - dt.timedelta(microseconds=1), revoked).allowed
    denied = allowed(at(5), revoked)
    assert not denied.allowed
    assert "was revoked 2026-11-23 05:00 UTC" in denied.reason


def test_agreement_right_must_be_included() -> None:
    agreement = make_agreement(rights={Right.LIVE, Right.PLAYBACK})
    decision = decide(make_account(), make_camera(), Right.PTZ, at(1), agreements=[agreement])
    assert not decision.allowed
    assert "does not include ptz" in decision.reason
    ptz = make_agreement(id="PKS-2026-008", rights={Right.PTZ})
    decision = decide(make_account(), make_camera(), Right.PTZ, at(1), agreements=[agreement, ptz])
    assert decision.allowed
    assert decision.agreement == "PKS-2026-008"


@pytest.mark.parametrize(
    ("scope", "covered"),
    [
        (CameraScope(cameras={"MKS-0001"}), {"MKS-0001"}),
        (CameraScope(sites={"POLE-7"}), {"MKS-0002"}),
        (CameraScope(districts={"73.71.05"}), {"MKS-0003"}),
        (CameraScope(purposes={Purpose.TRAFFIC}), {"MKS-0004"}),
        (CameraScope(everything=True), {"MKS-0001", "MKS-0002", "MKS-0003", "MKS-0004"}),
        (
            CameraScope(cameras={"MKS-0001"}, purposes={"traffic"}),
            {"MKS-0001", "MKS-0004"},
        ),
    ],
)
def test_scope_by_list_site_district_purpose(scope: CameraScope, covered: set[str]) -> None:
    cams = [
        make_camera("MKS-0001"),
        make_camera("MKS-0002", site="POLE-7"),
        make_camera("MKS-0003", district=RegionCode("73.71.05")),
        make_camera("MKS-0004", purpose=Purpose.TRAFFIC),
        make_camera("DSH-0001", owner="dishub", purpose=Purpose.TRAFFIC, site="POLE-7"),
    ]
    agreement = make_agreement(scope=scope)
    got = {
        c.id
        for c in cams
        if decide(make_account(), c, Right.LIVE, at(1), agreements=[agreement]).allowed
    }
    assert got == covered
    assert {c.id for c in cams if scope.covers(c) and c.owner.code == "diskominfo"} == covered


def test_grant_covers_by_radius_or_by_name_and_expires() -> None:
    police = make_account()
    grant = make_grant(radius_m=300, cameras={"MKS-0009"})
    near = make_camera("MKS-0001", point=GeoPoint(-5.1440, 119.4077))  # about 111 m
    far = make_camera("MKS-0002", point=GeoPoint(-5.1530, 119.4077))  # about 1.1 km
    nowhere = make_camera("MKS-0003", point=None)
    named = make_camera("MKS-0009", point=GeoPoint(-5.20, 119.50))
    results = {
        c.id: decide(police, c, Right.LIVE, at(1), grants=[grant])
        for c in (near, far, nowhere, named)
    }
    assert {k for k, d in results.items() if d.allowed} == {"MKS-0001", "MKS-0009"}
    assert results["MKS-0001"].basis is Basis.GRANT
    assert results["MKS-0001"].grant == 1
    assert results["MKS-0001"].case_number == "LP/B/1234/XI/2026/SPKT"
    assert "does not cover this camera" in results["MKS-0002"].reason
    assert not decide(police, near, Right.LIVE, at(-1), grants=[grant]).allowed
    expired = decide(police, near, Right.LIVE, at(48), grants=[grant])
    assert not expired.allowed
    assert "expired 2026-11-25 00:00 UTC" in expired.reason
    early_end = attrs.evolve(grant, revoked_at=at(2))
    revoked = decide(police, near, Right.LIVE, at(3), grants=[early_end])
    assert not revoked.allowed
    assert "was revoked" in revoked.reason
    ptz = decide(police, near, Right.PTZ, at(1), grants=[grant])
    assert not ptz.allowed
    assert "does not include ptz" in ptz.reason


def test_grant_footage_window() -> None:
    police, camera = make_account(), make_camera()
    grant = make_grant(footage_from=at(-6), footage_until=at(-2))

    def playback(start: float, end: float) -> AccessDecision:
        return decide(
            police, camera, Right.PLAYBACK, at(1), grants=[grant], footage=(at(start), at(end))
        )

    assert playback(-6, -2).allowed
    assert playback(-5, -3).allowed
    assert not playback(-7, -3).allowed
    outside = playback(-3, -1)
    assert not outside.allowed
    assert "covers footage from 2026-11-22 18:00 UTC to 2026-11-22 22:00 UTC only" in (
        outside.reason
    )
    # The footage window binds grants, not owners or agreements.
    owner = make_account("diskominfo.op-01", "diskominfo")
    assert decide(owner, camera, Right.PLAYBACK, at(1), footage=(at(-9), at(-8))).allowed
    agreement = make_agreement(rights={Right.PLAYBACK})
    assert decide(
        police, camera, Right.PLAYBACK, at(1), agreements=[agreement], footage=(at(-9), at(-8))
    ).allowed


def test_agreements_come_before_grants_and_the_lowest_id_wins() -> None:
    police, camera = make_account(), make_camera()
    grant = make_grant()
    second = make_agreement(id="PKS-B")
    first = make_agreement(id="PKS-A")
    decision = decide(police, camera, Right.LIVE, at(1), agreements=[second, first], grants=[grant])
    assert decision.basis is Basis.AGREEMENT
    assert decision.agreement == "PKS-A"
    grants = [make_grant(id=7, case_number="LP-7"), make_grant(id=3, case_number="LP-3")]
    decision = decide(police, camera, Right.LIVE, at(1), grants=grants)
    assert (decision.grant, decision.case_number) == (3, "LP-3")


def test_only_grant_acts_under_one_grant() -> None:
    police, camera = make_account(), make_camera()
    grants = [make_grant(id=3, case_number="LP-3"), make_grant(id=7, case_number="LP-7")]
    agreement = make_agreement()
    decision = decide(
        police, camera, Right.LIVE, at(1), agreements=[agreement], grants=grants, only_grant=7
    )
    assert decision.allowed
    assert (decision.basis, decision.grant, decision.agreement) == (Basis.GRANT, 7, None)
    missing = decide(police, camera, Right.LIVE, at(1), agreements=[agreement], only_grant=99)
    assert not missing.allowed
    assert "there is no grant 99" in missing.reason
    # Acting under a grant ignores ownership too.
    owner = make_account("diskominfo.op-01", "diskominfo")
    other = decide(owner, camera, Right.LIVE, at(1), grants=grants, only_grant=3)
    assert not other.allowed
    assert "is not for diskominfo" in other.reason


def test_disabled_auditor_and_unknown_accounts_are_denied() -> None:
    camera = make_camera()
    owner = make_account("diskominfo.op-01", "diskominfo", active=False)
    denied = decide(owner, camera, Right.LIVE, at(0))
    assert not denied.allowed
    assert "disabled" in denied.reason
    auditor = make_account("diskominfo.audit", "diskominfo", AccountRole.AUDITOR)
    denied = decide(auditor, camera, Right.LIVE, at(0))
    assert not denied.allowed
    assert "auditor" in denied.reason
    unknown = evaluate(None, camera, Right.LIVE, at(0), account_id="nobody")
    assert not unknown.allowed
    assert (unknown.account, unknown.organisation) == ("nobody", None)
    assert unknown.reason == "there is no account nobody"


def test_evaluate_takes_aware_times_and_known_rights() -> None:
    with pytest.raises(ValidationError, match="at"):
        evaluate(make_account(), make_camera(), Right.LIVE, dt.datetime(2026, 11, 23))  # noqa: DTZ001
    wita = dt.timezone(dt.timedelta(hours=8))
    nine_wita = dt.datetime(2026, 11, 23, 9, tzinfo=wita)
    decision = evaluate(make_account(), make_camera(), "live", nine_wita)  # type: ignore[arg-type]
    assert decision.right is Right.LIVE
    assert decision.at == at(1)
    assert decision.at.tzinfo is dt.UTC
    with pytest.raises(ValueError, match="teleport"):
        evaluate(make_account(), make_camera(), "teleport", at(0))  # type: ignore[arg-type]


def test_denial_reason_names_at_most_five_misses() -> None:
    agreements = [make_agreement(id=f"PKS-{i}", rights={Right.PTZ}) for i in range(8)]
    decision = decide(make_account(), make_camera(), Right.LIVE, at(1), agreements=agreements)
    assert not decision.allowed
    assert decision.reason.count("does not include live") == 5
    assert decision.reason.endswith("; and 3 more")


def test_audit_details_hold_no_personal_data_and_the_basis() -> None:
    decision = decide(make_account(), make_camera(), Right.LIVE, at(1), grants=[make_grant()])
    details = decision.audit_details()
    assert details["basis"] == "grant"
    assert details["grant"] == 1
    assert details["case_number"] == "LP/B/1234/XI/2026/SPKT"
    assert details["organisation"] == "polsek-tamalate"
    assert NAME not in repr(details)


# --- model validation ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "has space", "-lead", "a" * 65, "ünï", None, 7])
def test_models_refuse_bad_ids(bad: object) -> None:
    with pytest.raises(ValidationError, match="id"):
        Organisation(bad, "makassar", "Diskominfo", OwnerKind.CITY)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="id"):
        make_account(bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="organisation"):
        make_account("ok", bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="id"):
        make_agreement(id=bad)
    with pytest.raises(ValidationError, match="owner"):
        make_agreement(owner=bad)
    with pytest.raises(ValidationError, match="grantee"):
        make_agreement(grantee=bad)
    with pytest.raises(ValidationError, match="requested_by"):
        make_grant(requested_by=bad)
    with pytest.raises(ValidationError, match="cameras"):
        CameraScope(cameras={"ok", bad})  # type: ignore[arg-type]


def test_organisation_and_account_values() -> None:
    org = Organisation("polsek-tamalate", "makassar", "Polsek Tamalate", "police")
    assert org.kind is OwnerKind.POLICE
    with pytest.raises(ValidationError, match="name"):
        Organisation("x", "makassar", "  ", OwnerKind.CITY)
    with pytest.raises(ValueError, match="king"):
        Organisation("x", "makassar", "X", "king")
    account = Account("a-1", "polsek-tamalate", "admin", NAME)
    assert account.role is AccountRole.ADMIN
    assert account.active
    assert account.actor == "account:a-1"
    with pytest.raises(ValidationError, match="name"):
        make_account(name="x" * 101)
    with pytest.raises(ValidationError, match="name"):
        make_account(name=" ")
    with pytest.raises(ValueError, match="boss"):
        Account("a-1", "polsek-tamalate", "boss", NAME)


@given(name=names)
def test_account_repr_masks_the_name(name: str) -> None:
    account = make_account(name=name)
    for text in (repr(account), str(account)):
        assert name not in text
        assert "polsek-tamalate.reskrim-01" in text
        assert text.startswith("Account(")
        for word in name.split():
            assert f"{word[0]}***" in text


def test_repr_of_a_known_name() -> None:
    text = repr(make_account())
    assert "Mappanyukki" not in text
    assert "'B*** A*** N*** M***'" in text


def test_rights() -> None:
    assert make_agreement(rights="live").rights == {Right.LIVE}
    assert make_agreement(rights=["live", Right.PTZ]).rights == {Right.LIVE, Right.PTZ}
    with pytest.raises(ValidationError, match="at least one right"):
        make_agreement(rights=[])
    with pytest.raises(ValidationError, match="must be among"):
        make_agreement(rights=["live", "teleport"])
    with pytest.raises(ValidationError, match="at least one right"):
        make_grant(rights=frozenset())
    with pytest.raises(ValidationError, match="must be among"):
        make_grant(rights={"delete"})
    assert make_grant().rights == {Right.LIVE, Right.PLAYBACK, Right.SNAPSHOT, Right.EXPORT}


@pytest.mark.parametrize(
    "field",
    ["valid_from", "valid_until", "revoked_at"],
)
def test_agreement_times_need_a_zone(field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        make_agreement(**{field: dt.datetime(2026, 11, 23, 10)})  # noqa: DTZ001
    with pytest.raises(ValidationError, match=field):
        make_agreement(**{field: "2026-11-23T10:00:00Z"})


@pytest.mark.parametrize(
    "field",
    ["footage_from", "footage_until", "granted_at", "expires_at", "revoked_at"],
)
def test_grant_times_need_a_zone(field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        make_grant(**{field: dt.datetime(2026, 11, 23, 10)})  # noqa: DTZ001


def test_times_are_kept_in_utc() -> None:
    wita = dt.timezone(dt.timedelta(hours=8))
    agreement = make_agreement(valid_from=dt.datetime(2026, 11, 23, 8, tzinfo=wita))
    assert agreement.valid_from == at(0)
    assert agreement.valid_from.tzinfo is dt.UTC


def test_agreement_rules() -> None:
    with pytest.raises(ValidationError, match="valid_until"):
        make_agreement(valid_from=at(5), valid_until=at(5))
    with pytest.raises(ValidationError, match="valid_until"):
        make_agreement(valid_from=at(5), valid_until=at(4))
    with pytest.raises(ValidationError, match="grantee"):
        make_agreement(owner="diskominfo", grantee="diskominfo")
    with pytest.raises(ValidationError, match="legal_basis"):
        make_agreement(legal_basis="")
    with pytest.raises(ValidationError, match="legal_basis"):
        make_agreement(legal_basis="x" * 201)
    short = make_agreement(valid_from=at(5), valid_until=at(5) + dt.timedelta(microseconds=1))
    assert short.valid_until == at(5) + dt.timedelta(microseconds=1)


def test_agreement_in_force() -> None:
    agreement = make_agreement(valid_from=at(0), valid_until=at(10), revoked_at=at(6))
    assert [agreement.in_force(at(h)) for h in (-1, 0, 5, 6, 9, 10)] == [
        False,
        True,
        True,
        False,
        False,
        False,
    ]
    assert make_agreement().in_force(at(10_000))


@pytest.mark.parametrize("radius", [0, -1, 5_001, 1.5, True, "300", None])
def test_grant_radius_bounds(radius: object) -> None:
    with pytest.raises(ValidationError, match="radius_m"):
        make_grant(radius_m=radius)


@pytest.mark.parametrize("radius", [1, 500, 5_000])
def test_grant_radius_in_bounds(radius: int) -> None:
    assert make_grant(radius_m=radius).radius_m == radius


def test_grant_rules() -> None:
    assert make_grant(expires_at=at(0) + dt.timedelta(days=90)).expires_at == at(24 * 90)
    with pytest.raises(ValidationError, match="at most 90 days"):
        make_grant(expires_at=at(0) + dt.timedelta(days=90, microseconds=1))
    with pytest.raises(ValidationError, match="expires_at"):
        make_grant(expires_at=at(0))
    with pytest.raises(ValidationError, match="footage_until"):
        make_grant(footage_from=at(-2), footage_until=at(-2))
    with pytest.raises(ValidationError, match="center"):
        make_grant(center=None, cameras=())
    assert make_grant(center=None, cameras={"MKS-0001"}).cameras == {"MKS-0001"}
    with pytest.raises(ValidationError, match="center"):
        make_grant(center=(-5.14, 119.40))
    with pytest.raises(ValidationError, match="organisation"):
        make_grant(owner="diskominfo", organisation="diskominfo")
    with pytest.raises(ValidationError, match="case_number"):
        make_grant(case_number=" ")
    with pytest.raises(ValidationError, match="reason"):
        make_grant(reason="x" * 501)


def test_grant_in_force() -> None:
    grant = make_grant(granted_at=at(0), expires_at=at(10), revoked_at=at(6))
    assert [grant.in_force(at(h)) for h in (-1, 0, 5, 6, 10)] == [False, True, True, False, False]


def test_camera_scope_must_name_something() -> None:
    with pytest.raises(ValidationError, match="scope"):
        CameraScope()
    with pytest.raises(ValidationError, match="scope"):
        CameraScope(cameras=(), sites=(), districts=(), purposes=(), everything=False)
    assert CameraScope(cameras="MKS-0001").cameras == {"MKS-0001"}
    assert CameraScope(districts="73.71.10").districts == {RegionCode("73.71.10")}
    assert CameraScope(purposes="traffic").purposes == {Purpose.TRAFFIC}
    with pytest.raises(ValidationError, match="purposes"):
        CameraScope(purposes={"gossip"})
    with pytest.raises(ValidationError, match="region_code"):
        CameraScope(districts={"73.71.99"})
    with pytest.raises(ValidationError, match="sites"):
        CameraScope(sites={"no site"})


@st.composite
def any_scopes(draw: st.DrawFn) -> CameraScope:
    everything = draw(st.booleans())
    ids = draw(st.frozensets(st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,20}\Z"), max_size=3))
    if not everything and not ids:
        ids = frozenset({"MKS-0001"})
    return CameraScope(
        cameras=ids,
        sites=draw(st.frozensets(st.sampled_from(SITES), max_size=2)),
        districts=draw(st.frozensets(districts, max_size=3)),
        purposes=draw(st.frozensets(st.sampled_from(Purpose), max_size=3)),
        everything=everything,
    )


@given(scope=any_scopes())
def test_camera_scope_json_round_trip(scope: CameraScope) -> None:
    data = scope.to_json()
    assert CameraScope.from_json(data) == scope
    assert set(data) == {"cameras", "sites", "districts", "purposes", "everything"}
    for key in ("cameras", "sites", "districts", "purposes"):
        assert data[key] == sorted(data[key])
        assert all(isinstance(v, str) for v in data[key])


def test_camera_scope_from_json_fills_missing_lists() -> None:
    assert CameraScope.from_json({"sites": ["POLE-1"]}) == CameraScope(sites={"POLE-1"})
    assert CameraScope.from_json({"everything": True}) == CameraScope(everything=True)


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (["MKS-0001"], "scope"),
        ("everything", "scope"),
        ({"camera": ["MKS-0001"]}, "scope"),
        ({"cameras": "MKS-0001"}, "scope.cameras"),
        ({"cameras": ["MKS-0001", 7]}, "scope.cameras"),
        ({"purposes": [None]}, "scope.purposes"),
        ({"everything": "yes"}, "scope.everything"),
        ({"everything": 1}, "scope.everything"),
        ({}, "scope"),
        ({"cameras": ["no good"]}, "scope.cameras"),
        ({"purposes": ["gossip"]}, "scope.purposes"),
        ({"districts": ["73.71.99"]}, "scope.region_code"),
    ],
)
def test_camera_scope_from_json_errors(data: Any, path: str) -> None:
    with pytest.raises(ValidationError) as e:
        CameraScope.from_json(data)
    assert [err.path for err in e.value.errors] == [path]
