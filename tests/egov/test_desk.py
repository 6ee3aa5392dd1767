from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcity_kit.core import CityProfile, FixedClock, GeoPoint, PhoneNumber, RegionCode
from smartcity_kit.egov import (
    TRANSITIONS,
    Agency,
    AttributeValue,
    Classification,
    Contact,
    Datatype,
    Location,
    Service,
    ServiceAttribute,
    ServiceDesk,
    ServiceStandard,
    Status,
)
from smartcity_kit.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from smartcity_kit.storage import AuditLog, Database, upgrade

MAKASSAR = CityProfile.builtin("makassar")
# Friday 20 November 2026, 21:00 WITA.
FRIDAY_NIGHT = dt.datetime(2026, 11, 20, 13, 0, tzinfo=dt.UTC)
HERE = Location(point=GeoPoint(-5.1354, 119.4238), district=RegionCode("73.71.03"))


def make_desk(db: Database, clock: FixedClock) -> ServiceDesk:
    desk = ServiceDesk(db, MAKASSAR, clock)
    for code, name in (("dpu", "Dinas Pekerjaan Umum"), ("dlh", "Dinas Lingkungan Hidup")):
        desk.save_agency(Agency(city="makassar", code=code, name=name), actor="admin")
    desk.save_service(
        Service(
            city="makassar",
            code="001",
            name="Jalan rusak",
            description="Jalan berlubang",
            group="Infrastruktur",
            agency="dpu",
            standard=ServiceStandard(working_days=10),
            attributes=(
                ServiceAttribute(
                    code="size",
                    datatype=Datatype.SINGLEVALUELIST,
                    description="Ukuran lubang",
                    order=1,
                    required=True,
                    values=(AttributeValue("kecil", "Kecil"), AttributeValue("besar", "Besar")),
                ),
            ),
        ),
        actor="admin",
    )
    return desk


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(FRIDAY_NIGHT)


@pytest.fixture
def desk(db: Database, clock: FixedClock) -> ServiceDesk:
    return make_desk(db, clock)


def submit(desk: ServiceDesk, **kw: object) -> int:
    fields: dict[str, object] = {
        "location": HERE,
        "description": "Lubang",
        "attributes": {"size": "besar"},
    }
    fields.update(kw)
    return desk.submit("001", **fields).id  # type: ignore[arg-type]


def test_submit_counts_deadlines_in_working_days(desk: ServiceDesk, db: Database) -> None:
    request = desk.submit(
        "001",
        location=HERE,
        description="Lubang besar di depan sekolah",
        media_url="https://foto.example/1.jpg",
        attributes={"size": "besar"},
        contact=Contact(
            first_name="Andi", last_name="Nurhaliza", phone=PhoneNumber.parse("0812-3456-7890")
        ),
        classification=Classification.PENGADUAN,
    )
    assert request.status is Status.RECEIVED
    assert request.agency == "dpu"
    # Received Friday night WITA: verify by end of Wednesday 25 Nov, complete in 10 working days
    # (Mon 23 Nov .. Fri 4 Dec), each the midnight that ends the day in WITA.
    assert request.verify_due == dt.datetime(2026, 11, 25, 16, 0, tzinfo=dt.UTC)
    assert request.complete_due == dt.datetime(2026, 12, 4, 16, 0, tzinfo=dt.UTC)
    assert request.expected_at == request.complete_due
    stored = desk.get(request.id)
    assert stored == request
    assert stored.contact.phone == PhoneNumber.parse("081234567890")
    assert "Nurhaliza" not in repr(stored)
    assert "81234567890" not in repr(stored)
    entries = AuditLog(db).entries(subject=f"request:{request.id}")
    assert [e.action for e in entries] == ["request.received"]


def test_bad_input_reports_everything_and_stores_nothing(desk: ServiceDesk) -> None:
    with pytest.raises(ValidationError) as info:
        desk.submit(
            "001",
            location=HERE,
            description="<b>tolong</b>",
            media_url="javascript:alert(1)",
            attributes={"size": "raksasa", "warna": "merah"},
        )
    assert info.value.fields == (
        "description",
        "media_url",
        "attribute[warna]",
        "attribute[size]",
    )
    with pytest.raises(ValidationError, match="at most 4000"):
        submit(desk, description="x" * 4001)
    with pytest.raises(NotFoundError, match="no service '999'"):
        desk.submit("999", location=HERE)
    assert desk.search() == []


def test_location_needs_something() -> None:
    with pytest.raises(ValidationError, match="lat and long, address_string or address_id"):
        Location()
    with pytest.raises(ValidationError, match="kecamatan"):
        Location(address="Jl. A", district=RegionCode("73.71"))


def test_lifecycle_with_referral_and_history(
    desk: ServiceDesk, clock: FixedClock, db: Database
) -> None:
    rid = submit(desk)
    clock.set(dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC))  # Monday 10:00 WITA
    desk.transition(rid, Status.VERIFIED, actor="desk:rina")
    referred = desk.transition(
        rid, Status.REFERRED, actor="desk:rina", agency="dlh", notes="Saluran"
    )
    assert referred.agency == "dlh"
    # Answer within 5 working days of the referral: Mon 23 -> Mon 30 Nov, end of day WITA.
    assert referred.answer_due == dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)
    assert referred.due_now() == referred.answer_due
    done = desk.transition(rid, Status.RESOLVED, actor="opd:dlh/budi", notes="Sudah dibersihkan")
    assert done.status.open311 == "closed"
    assert done.closed_at == clock.now()
    assert done.expected_at is None
    assert [(e.status, e.actor, e.agency) for e in desk.history(rid)] == [
        (Status.RECEIVED, "citizen", "dpu"),
        (Status.VERIFIED, "desk:rina", "dpu"),
        (Status.REFERRED, "desk:rina", "dlh"),
        (Status.RESOLVED, "opd:dlh/budi", "dlh"),
    ]
    actions = [e.action for e in AuditLog(db).entries(subject=f"request:{rid}")]
    assert actions == [
        "request.received",
        "request.verified",
        "request.referred",
        "request.resolved",
    ]
    assert AuditLog(db).verify().intact


@pytest.mark.parametrize(
    ("to", "kwargs", "field"),
    [
        (Status.REJECTED, {}, "notes"),
        (Status.REFERRED, {}, "agency"),
        (Status.REFERRED, {"agency": "dpu"}, "agency"),
        (Status.REFERRED, {"agency": "satpolpp"}, "agency"),
        (Status.DUPLICATE, {}, "duplicate_of"),
    ],
)
def test_transitions_need_their_fields(
    desk: ServiceDesk, db: Database, to: Status, kwargs: dict[str, object], field: str
) -> None:
    rid = submit(desk)
    before = AuditLog(db).head()
    with pytest.raises(ValidationError) as info:
        desk.transition(rid, to, actor="desk:rina", **kwargs)  # type: ignore[arg-type]
    assert info.value.fields == (field,)
    assert desk.get(rid).status is Status.RECEIVED
    assert AuditLog(db).head() == before


def test_no_resolving_a_rejected_request(desk: ServiceDesk) -> None:
    rid = submit(desk)
    desk.transition(rid, Status.REJECTED, actor="desk:rina", notes="Bukan wewenang kota")
    with pytest.raises(ConflictError, match="is rejected: it cannot become resolved"):
        desk.transition(rid, Status.RESOLVED, actor="desk:rina")
    reopened = desk.transition(rid, Status.REOPENED, actor="desk:rina", notes="Banding warga")
    assert reopened.closed_at is None
    assert reopened.status.open311 == "open"


def test_duplicates_point_at_another_request(desk: ServiceDesk) -> None:
    first, second = submit(desk), submit(desk)
    with pytest.raises(ValidationError):
        desk.transition(second, Status.DUPLICATE, actor="desk", duplicate_of=second)
    with pytest.raises(NotFoundError):
        desk.transition(second, Status.DUPLICATE, actor="desk", duplicate_of=9999)
    dup = desk.transition(second, Status.DUPLICATE, actor="desk", duplicate_of=first)
    assert dup.duplicate_of == first
    assert dup.status.closed


def test_stale_version_is_a_conflict(desk: ServiceDesk) -> None:
    rid = submit(desk)
    read = desk.get(rid)
    desk.transition(rid, Status.VERIFIED, actor="desk:a", expected_version=read.version)
    with pytest.raises(ConflictError, match="changed by someone else"):
        desk.transition(
            rid, Status.REJECTED, actor="desk:b", notes="x", expected_version=read.version
        )


def test_search_filters(desk: ServiceDesk, clock: FixedClock) -> None:
    ids = []
    for _ in range(4):
        ids.append(submit(desk))
        clock.advance(hours=1)
    desk.transition(ids[1], Status.VERIFIED, actor="desk")
    assert [r.id for r in desk.search()] == ids[::-1]
    assert [r.id for r in desk.search(statuses=[Status.VERIFIED])] == [ids[1]]
    assert [r.id for r in desk.search(ids=[ids[0], ids[2]])] == [ids[2], ids[0]]
    assert [r.id for r in desk.search(start=FRIDAY_NIGHT + dt.timedelta(hours=2))] == [
        ids[3],
        ids[2],
    ]
    assert [r.id for r in desk.search(limit=2, offset=1)] == [ids[2], ids[1]]
    assert [
        r.id for r in desk.search(updated_after=FRIDAY_NIGHT + dt.timedelta(hours=3, minutes=30))
    ] == [ids[1]]
    assert desk.search(service_codes=["404"]) == []


def test_overdue(desk: ServiceDesk, clock: FixedClock) -> None:
    late, on_time = submit(desk), submit(desk)
    desk.transition(on_time, Status.VERIFIED, actor="desk")
    clock.set(dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC))  # Thursday: verification was due
    assert [r.id for r in desk.overdue()] == [late]
    assert desk.overdue(now=FRIDAY_NIGHT) == []


def test_metrics(desk: ServiceDesk, clock: FixedClock) -> None:
    ids = [submit(desk) for _ in range(4)]
    for rid, days_later in zip(ids[:3], (2, 5, 20), strict=True):
        clock.set(FRIDAY_NIGHT + dt.timedelta(days=days_later))
        desk.transition(rid, Status.VERIFIED, actor="desk")
        desk.transition(rid, Status.RESOLVED, actor="desk")
    m = desk.metrics(
        dt.datetime(2026, 11, 1, tzinfo=dt.UTC), dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    )
    assert (m.received, m.resolved) == (4, 3)
    # Working days from Friday: Sunday 22 -> 0, Wednesday 25 -> 3, 10 December -> 14.
    assert m.median_days == 3
    assert m.p90_days == 14
    assert m.on_time_share == pytest.approx(2 / 3)
    assert desk.metrics(
        dt.datetime(2026, 11, 1, tzinfo=dt.UTC), dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    ) == type(m)(0, 0, None, None, None)
    with pytest.raises(ValidationError, match="after start"):
        desk.metrics(FRIDAY_NIGHT, FRIDAY_NIGHT)


def test_metrics_of_one_kecamatan(desk: ServiceDesk) -> None:
    elsewhere = Location(point=GeoPoint(-5.16, 119.43), district=RegionCode("73.71.10"))
    submit(desk)  # HERE is in 73.71.03
    submit(desk, location=elsewhere)
    submit(desk, location=elsewhere)
    submit(desk, location=Location(point=GeoPoint(-5.16, 119.43)))  # no kecamatan known
    start, end = FRIDAY_NIGHT, FRIDAY_NIGHT + dt.timedelta(days=1)
    assert desk.metrics(start, end).received == 4
    assert desk.metrics(start, end, district="73.71.03").received == 1
    assert desk.metrics(start, end, district=RegionCode("73.71.10")).received == 2
    assert desk.metrics(start, end, district="737110", agency="dlh").received == 0
    with pytest.raises(ValidationError) as bad:
        desk.metrics(start, end, district="Tamalate")
    assert [e.path for e in bad.value.errors] == ["district"]


def test_catalogue_round_trip(desk: ServiceDesk) -> None:
    service = desk.service("001")
    assert service.attributes[0].values[1].name == "Besar"
    assert [a.code for a in desk.agencies()] == ["dlh", "dpu"]
    assert [s.code for s in desk.services()] == ["001"]
    with pytest.raises(NotFoundError):
        desk.service("002")
    with pytest.raises(ValidationError, match="no agency 'satpolpp'"):
        desk.save_service(
            Service(
                city="makassar",
                code="002",
                name="Parkir liar",
                description="",
                group="",
                agency="satpolpp",
                standard=ServiceStandard(working_days=3),
            ),
            actor="admin",
        )
    with pytest.raises(ValidationError, match="this desk serves 'makassar'"):
        desk.save_agency(Agency(city="baubau", code="dpu", name="Dinas PU"), actor="admin")


def test_cities_do_not_see_each_other(db: Database, clock: FixedClock) -> None:
    makassar = make_desk(db, clock)
    rid = submit(makassar)
    baubau = ServiceDesk(db, CityProfile.builtin("baubau"), clock)
    with pytest.raises(NotFoundError):
        baubau.get(rid)
    assert baubau.search() == []


_moves = st.lists(
    st.tuples(st.sampled_from(list(Status)), st.integers(min_value=0, max_value=3)),
    min_size=1,
    max_size=12,
)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=_moves)
def test_any_sequence_of_moves_keeps_the_books_straight(moves: list[tuple[Status, int]]) -> None:
    """Allowed moves happen, others are refused; closed_at, history and the audit log agree."""
    db = Database("sqlite://")
    upgrade(db)
    clock = FixedClock(FRIDAY_NIGHT)
    desk = make_desk(db, clock)
    rid, other = submit(desk), submit(desk)
    expected_history = 1
    for to, hours in moves:
        clock.advance(hours=hours)
        current = desk.get(rid).status
        kwargs: dict[str, object] = {"notes": "alasan"}
        if to is Status.REFERRED:
            kwargs["agency"] = "dlh" if desk.get(rid).agency == "dpu" else "dpu"
        if to is Status.DUPLICATE:
            kwargs["duplicate_of"] = other
        if to in TRANSITIONS[current]:
            after = desk.transition(rid, to, actor="desk", **kwargs)  # type: ignore[arg-type]
            expected_history += 1
            assert after.status is to
        else:
            with pytest.raises(ConflictError):
                desk.transition(rid, to, actor="desk", **kwargs)  # type: ignore[arg-type]
        request = desk.get(rid)
        assert (request.closed_at is not None) == request.status.closed
        assert request.version == expected_history
    assert len(desk.history(rid)) == expected_history
    report = AuditLog(db).verify()
    assert report.intact
    assert len(AuditLog(db).entries(subject=f"request:{rid}")) == expected_history


def test_published_text_holds_no_personal_numbers(desk: ServiceDesk) -> None:
    """Descriptions and status notes go out through Open311, so personal numbers are refused."""
    with pytest.raises(ValidationError, match="published and must not hold personal data") as info:
        submit(desk, description="Tolong hubungi saya di 0812-3456-7890")
    assert info.value.fields == ("description",)
    assert "3456" not in str(info.value)
    assert desk.search() == []
    rid = submit(desk, description="Lubang 2 meter di depan rumah nomor 12")
    with pytest.raises(ValidationError) as info:
        desk.transition(rid, Status.VERIFIED, actor="desk", notes="NIK pelapor 7371105508950001")
    assert info.value.fields == ("notes",)
    assert desk.get(rid).status is Status.RECEIVED


def test_bad_enum_values_are_validation_errors(desk: ServiceDesk) -> None:
    rid = submit(desk)
    with pytest.raises(ValidationError, match="to: must be one of"):
        desk.transition(rid, "flying", actor="desk")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="classification"):
        submit(desk, classification="gossip")


def test_only_if_agency_is_checked_with_the_move(desk: ServiceDesk) -> None:
    rid = submit(desk)
    desk.transition(rid, Status.REFERRED, actor="desk", agency="dlh")
    with pytest.raises(PermissionDeniedError, match="belongs to dlh"):
        desk.transition(rid, Status.IN_PROGRESS, actor="opd:dpu", only_if_agency="dpu")
    moved = desk.transition(rid, Status.IN_PROGRESS, actor="opd:dlh", only_if_agency="dlh")
    assert moved.status is Status.IN_PROGRESS


def test_personal_data_in_answers_is_refused(desk: ServiceDesk) -> None:
    desk.save_service(
        Service(
            city="makassar",
            code="009",
            name="Lainnya",
            description="",
            group="",
            agency="dpu",
            standard=ServiceStandard(working_days=5),
            attributes=(
                ServiceAttribute(
                    code="catatan", datatype=Datatype.TEXT, description="Catatan", order=1
                ),
            ),
        ),
        actor="admin",
    )
    with pytest.raises(ValidationError) as info:
        desk.submit("009", location=HERE, attributes={"catatan": "NIK saya 7371105508950001"})
    assert info.value.fields == ("attribute[catatan]",)


def test_reports_submitted_at_once_are_each_stored_whole(db: Database) -> None:
    clock = FixedClock(FRIDAY_NIGHT)
    desk = make_desk(db, clock)
    texts = [f"Lubang nomor {n}" for n in range(120)]

    def report(text: str) -> int:
        return desk.submit("001", location=HERE, description=text, attributes={"size": "besar"}).id

    with ThreadPoolExecutor(max_workers=12) as pool:
        ids = list(pool.map(report, texts))
    assert len(set(ids)) == len(ids)
    for request_id, text in zip(ids, texts, strict=True):
        request = desk.get(request_id)
        assert request.description == text
        assert request.status is Status.RECEIVED
        assert [e.status for e in desk.history(request_id)] == [Status.RECEIVED]
    log = AuditLog(db, clock)
    assert log.verify().intact
    received = [e.subject for e in log.entries(action="request.received")]
    assert sorted(received) == sorted(f"request:{i}" for i in ids)
