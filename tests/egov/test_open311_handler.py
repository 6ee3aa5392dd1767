from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcity_kit.core import CityProfile, FixedClock
from smartcity_kit.egov import (
    Agency,
    AttributeValue,
    Datatype,
    Location,
    Service,
    ServiceAttribute,
    ServiceDesk,
    ServiceStandard,
    Status,
)
from smartcity_kit.egov.open311 import Open311Handler, decode_errors, decode_requests
from smartcity_kit.errors import NotFoundError
from smartcity_kit.storage import Database, upgrade

NOW = dt.datetime(2026, 11, 20, 13, 0, tzinfo=dt.UTC)
KEY = "kunci-rahasia-uji"


def build(db: Database, clock: FixedClock, slug: str = "makassar") -> ServiceDesk:
    desk = ServiceDesk(db, CityProfile.builtin(slug), clock)
    desk.save_agency(Agency(city=slug, code="dpu", name="Dinas Pekerjaan Umum"), actor="admin")
    desk.save_service(
        Service(
            city=slug,
            code="001",
            name="Jalan rusak",
            description="Jalan berlubang",
            group="Infrastruktur",
            agency="dpu",
            keywords=("jalan", "lubang"),
            standard=ServiceStandard(working_days=10),
            attributes=(
                ServiceAttribute(
                    code="size",
                    datatype=Datatype.SINGLEVALUELIST,
                    description="Ukuran",
                    order=1,
                    required=True,
                    values=(AttributeValue("kecil", "Kecil"), AttributeValue("besar", "Besar")),
                ),
                ServiceAttribute(
                    code="hazards",
                    datatype=Datatype.MULTIVALUELIST,
                    description="Bahaya",
                    order=2,
                    values=(AttributeValue("air", "Genangan"), AttributeValue("malam", "Gelap")),
                ),
            ),
        ),
        actor="admin",
    )
    desk.save_service(
        Service(
            city=slug,
            code="002",
            name="Lampu jalan mati",
            description="",
            group="Infrastruktur",
            agency="dpu",
            standard=ServiceStandard(working_days=5),
        ),
        actor="admin",
    )
    return desk


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def desk(db: Database, clock: FixedClock) -> ServiceDesk:
    return build(db, clock)


@pytest.fixture
def handler(desk: ServiceDesk, clock: FixedClock) -> Open311Handler:
    return Open311Handler(
        [desk], authorize=lambda k, _city: "app:uji" if k == KEY else None, clock=clock
    )


def form(**fields: str | list[str]) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in fields.items()}


GOOD = {
    "api_key": KEY,
    "service_code": "001",
    "lat": "-5.1354",
    "long": "119.4238",
    "attribute[size]": "besar",
    "description": "Lubang dalam di depan SD",
}


def post(handler: Open311Handler, **fields: Any) -> tuple[int, Any]:
    """POST a form to requests.json; the status and the decoded JSON body."""
    response = handler.handle("POST", "requests.json", form(**fields))
    return response.status, json.loads(response.body)


def test_services_and_definitions(handler: Open311Handler) -> None:
    listed = handler.handle("GET", "services.json", {})
    assert listed.status == 200
    assert listed.content_type == "application/json; charset=utf-8"
    assert [(s["service_code"], s["metadata"]) for s in json.loads(listed.body)] == [
        ("001", True),
        ("002", False),
    ]
    definition = json.loads(handler.handle("GET", "services/001.json", {}).body)
    assert [a["code"] for a in definition["attributes"]] == ["size", "hazards"]
    xml = handler.handle("GET", "services/001.xml", {})
    assert xml.content_type == "text/xml; charset=utf-8"
    assert (
        b"<service_definition><service_code>001</service_code><attributes><attribute>" in xml.body
    )
    assert handler.handle("GET", "services/002.json", {}).status == 404  # no metadata
    assert handler.handle("GET", "services/404.json", {}).status == 404


def test_a_plain_form_post_creates_a_request(handler: Open311Handler, desk: ServiceDesk) -> None:
    status, body = post(
        handler,
        **GOOD,
        **{"attribute[hazards][]": ["air", "malam"]},
        email="warga@example.com",
        first_name="Andi",
        phone="0812-3456-7890",
        account_id="acc-7",
    )
    assert status == 201
    assert isinstance(body, list)
    (created,) = body
    assert created["service_request_id"] == "1"
    assert "token" not in created
    assert created["account_id"] == "acc-7"
    assert created["service_notice"].startswith(
        "Laporan diterima; diverifikasi paling lambat 25-11-2026"
    )
    stored = desk.get(1)
    assert stored.attributes == {"size": "besar", "hazards": ["air", "malam"]}
    assert stored.contact.email == "warga@example.com"
    assert desk.history(1)[0].actor == "app:uji"


def test_post_needs_a_valid_api_key(handler: Open311Handler, desk: ServiceDesk) -> None:
    for key in (None, "salah"):
        fields = {k: v for k, v in GOOD.items() if k != "api_key"}
        if key:
            fields["api_key"] = key
        status, body = post(handler, **fields)
        assert status == 403
        assert body == [
            {"code": 403, "description": "a valid api_key is required to post a request"}
        ]
    assert desk.search() == []


MALFORMED = {
    "missing location": (
        {"lat": "", "long": ""},
        ["location: give lat and long, address_string or address_id"],
    ),
    "half a pair": ({"long": ""}, ["long: lat and long come together"]),
    "lat out of range": ({"lat": "95"}, ["lat: must be between -90 and 90"]),
    "lat not a number": ({"lat": "utara"}, ["lat: lat and long must be decimal degrees (WGS84)"]),
    "unknown service": ({"service_code": "999"}, ["service_code: unknown service '999'"]),
    "no service": ({"service_code": ""}, ["service_code: is required"]),
    "bad attribute": (
        {"attribute[size]": "raksasa"},
        ["attribute[size]: must be one of besar, kecil"],
    ),
    "missing attribute": ({"attribute[size]": ""}, ["attribute[size]: is required"]),
    "unknown attribute": (
        {"attribute[colour]": "red"},
        ["attribute[colour]: is not an attribute of this service"],
    ),
    "long description": (
        {"description": "x" * 4001},
        ["description: must be text of at most 4000 characters"],
    ),
    "html": (
        {"description": "<script>alert(1)</script>"},
        ["description: must be plain text, not HTML"],
    ),
    "bad phone": (
        {"phone": "12"},
        ["phone: is not a valid Indonesian phone number (e.g. 0812-3456-7890)"],
    ),
    "bad email": ({"email": "bukan-email"}, ["email: must be an e-mail address"]),
    "bad media": ({"media_url": "file:///etc/passwd"}, ["media_url: must be an http(s) URL"]),
}


@pytest.mark.parametrize("case", list(MALFORMED))
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_malformed_posts_get_a_400_list_and_store_nothing(
    handler: Open311Handler, desk: ServiceDesk, case: str, fmt: str
) -> None:
    changes, expected = MALFORMED[case]
    fields = {**GOOD, **changes}
    response = handler.handle("POST", f"requests.{fmt}", form(**fields))
    assert response.status == 400
    errors = decode_errors(response.body, fmt)  # type: ignore[arg-type]
    assert [e.description for e in errors] == expected
    assert {e.code for e in errors} == {400}
    assert desk.search() == []


def test_every_problem_is_listed_at_once(handler: Open311Handler) -> None:
    status, body = post(
        handler,
        api_key=KEY,
        service_code="001",
        lat="-5.1",
        description="<b>x</b>",
        **{"attribute[size]": "raksasa"},
    )
    assert status == 400
    assert [e["description"].split(":")[0] for e in body] == [
        "long",
        "description",
        "attribute[size]",
    ]


def test_address_instead_of_a_point(handler: Open311Handler, desk: ServiceDesk) -> None:
    fields = {k: v for k, v in GOOD.items() if k not in ("lat", "long")}
    status, _ = post(
        handler, **fields, address_string="Jl. Veteran Selatan 12", address_id="7371031001"
    )
    assert status == 201
    stored = desk.get(1)
    assert stored.location.point is None
    assert str(stored.location.district) == "73.71.03"


def test_get_requests_with_filters(
    handler: Open311Handler, desk: ServiceDesk, clock: FixedClock
) -> None:
    for _ in range(3):
        post(handler, **GOOD)
        clock.advance(days=1)
    desk.transition(2, Status.REJECTED, actor="desk", notes="Bukan wewenang")
    everything = decode_requests(handler.handle("GET", "requests.xml", {}).body, "xml")
    assert [r.service_request_id for r in everything] == ["3", "2", "1"]
    assert everything[0].requested_datetime == dt.datetime(
        2026, 11, 22, 21, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))
    )
    assert everything[0].agency_responsible == "Dinas Pekerjaan Umum"
    assert everything[0].expected_datetime is not None
    closed = decode_requests(
        handler.handle("GET", "requests.json", form(status="closed")).body, "json"
    )
    assert [(r.service_request_id, r.status, r.status_notes) for r in closed] == [
        ("2", "closed", "Bukan wewenang")
    ]
    by_ids = decode_requests(
        handler.handle(
            "GET", "requests.json", form(service_request_id="1,3,x", status="closed")
        ).body,
        "json",
    )
    assert [r.service_request_id for r in by_ids] == ["3", "1"]
    window = form(start_date="2026-11-21T00:00:00+08:00", end_date="2026-11-22T00:00:00+08:00")
    assert [
        r.service_request_id
        for r in decode_requests(handler.handle("GET", "requests.json", window).body, "json")
    ] == ["2"]  # received Saturday 21 November, 21:00 WITA
    paged = form(page="2", page_size="2")
    assert [
        r.service_request_id
        for r in decode_requests(handler.handle("GET", "requests.json", paged).body, "json")
    ] == ["1"]
    assert (
        decode_requests(
            handler.handle("GET", "requests.json", form(service_code="002")).body, "json"
        )
        == []
    )
    one = decode_requests(handler.handle("GET", "requests/2.json", {}).body, "json")
    assert [r.service_request_id for r in one] == ["2"]
    assert "warga" not in handler.handle("GET", "requests.json", {}).body.decode()


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"service_code": "999"}, 404, "unknown service_code 999"),
        ({"status": "pending"}, 400, "status: must be open, closed or both"),
        (
            {"start_date": "kemarin"},
            400,
            "start_date: must be an ISO 8601 date-time with an offset",
        ),
        (
            {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
            400,
            "at most 90 days",
        ),
        (
            {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
            400,
            "must not be before",
        ),
        ({"page_size": "501"}, 400, "page_size: must be from 1 to 500"),
        ({"page": "0"}, 400, "page: must be a whole number from 1"),
    ],
)
def test_bad_queries(
    handler: Open311Handler, params: dict[str, str], status: int, message: str
) -> None:
    response = handler.handle("GET", "requests.json", form(**params))
    assert response.status == status
    assert message in json.loads(response.body)[0]["description"]


def test_extensions_add_history_and_answers(handler: Open311Handler, desk: ServiceDesk) -> None:
    post(handler, **GOOD)
    desk.transition(1, Status.VERIFIED, actor="desk", notes="Dicek di lokasi")
    (plain,) = json.loads(handler.handle("GET", "requests/1.json", {}).body)
    assert "notes" not in plain
    (extended,) = json.loads(handler.handle("GET", "requests/1.json", form(extensions="true")).body)
    assert extended["extended_attributes"]["detailed_status"] == "verified"
    assert extended["extended_attributes"]["answers"] == [{"code": "size", "value": "besar"}]
    assert [(n["type"], n["description"]) for n in extended["notes"]] == [
        ("received", ""),
        ("verified", "Dicek di lokasi"),
    ]
    xml = handler.handle("GET", "requests/1.xml", form(extensions="true")).body
    (decoded,) = decode_requests(xml, "xml")
    assert decoded.notes is not None
    assert len(decoded.notes) == 2


def test_service_request_updates(
    handler: Open311Handler, desk: ServiceDesk, clock: FixedClock
) -> None:
    post(handler, **GOOD)
    clock.advance(hours=2)
    desk.transition(1, Status.VERIFIED, actor="desk", notes="OK")
    updates = json.loads(handler.handle("GET", "servicerequestupdates.json", {}).body)
    assert [(u["update_id"], u["status"]) for u in updates] == [
        ("1-1", "received"),
        ("1-2", "verified"),
    ]


def test_unknown_things(handler: Open311Handler) -> None:
    assert handler.handle("GET", "tokens/abc.json", {}).status == 404
    assert handler.handle("GET", "requests/999.xml", {}).status == 404
    missing = handler.handle("GET", "nothing.json", {})
    assert (missing.status, missing.content_type) == (404, "application/json; charset=utf-8")
    assert handler.handle("GET", "nothing", {}).content_type == "text/xml; charset=utf-8"
    assert handler.handle("DELETE", "requests.json", {}).status == 405
    assert handler.handle("POST", "services.json", {}).status == 405


def test_several_jurisdictions(db: Database, clock: FixedClock) -> None:
    makassar, baubau = build(db, clock, "makassar"), build(db, clock, "baubau")
    handler = Open311Handler(
        [makassar, baubau], authorize=lambda k, _city: "app" if k == KEY else None, clock=clock
    )
    assert handler.handle("GET", "services.json", {}).status == 400
    assert (
        handler.handle("GET", "services.json", form(jurisdiction_id="tualkota.go.id")).status == 404
    )
    status, _ = post(handler, **GOOD, jurisdiction_id="baubaukota.go.id")
    assert status == 201
    assert [r.city for r in baubau.search()] == ["baubau"]
    assert makassar.search() == []


def test_discovery(handler: Open311Handler) -> None:
    document = json.loads(
        handler.discovery(
            "json",
            base_url="https://makassarkota.go.id/open311/v2/",
            contact="Diskominfo",
            key_service="Minta ke Diskominfo",
        ).body
    )
    (endpoint,) = document["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]


_param_names = st.sampled_from(
    [
        "api_key",
        "service_code",
        "lat",
        "long",
        "address_string",
        "address_id",
        "email",
        "phone",
        "first_name",
        "last_name",
        "description",
        "media_url",
        "attribute[size]",
        "attribute[hazards][]",
        "jurisdiction_id",
        "status",
        "start_date",
        "end_date",
        "page",
        "page_size",
        "service_request_id",
        "extensions",
        "updated_after",
    ]
)
_values = st.lists(
    st.text(max_size=30) | st.sampled_from([KEY, "001", "-5.1", "119.4", "besar", "open"]),
    max_size=2,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "POST", "PUT"]),
    path=st.sampled_from(
        [
            "services.json",
            "services/001.xml",
            "requests.json",
            "requests.xml",
            "requests/1.json",
            "tokens/x.json",
            "servicerequestupdates.xml",
            "x",
        ]
    )
    | st.text(max_size=20),
    params=st.dictionaries(_param_names, _values, max_size=8),
)
def test_no_input_gives_a_500(method: str, path: str, params: Mapping[str, Sequence[str]]) -> None:
    db = Database("sqlite://")
    upgrade(db)
    clock = FixedClock(NOW)
    desk = build(db, clock)
    handler = Open311Handler(
        [desk], authorize=lambda k, _city: "app" if k == KEY else None, clock=clock
    )
    response = handler.handle(method, path, params)
    assert response.status in (200, 201, 400, 403, 404, 405)
    if response.status >= 400:
        fmt = "json" if response.content_type.startswith("application/json") else "xml"
        assert decode_errors(response.body, fmt)  # type: ignore[arg-type]
        assert desk.search() == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "²"}, "page"),
        ({"page_size": "99999999999999999999"}, "page_size"),
        ({"start_date": "0001-01-01T00:00:00+08:00"}, "start_date"),
        ({"end_date": "9999-12-31T23:59:59+00:00"}, "end_date"),
    ],
)
def test_odd_query_values_are_400_not_500(
    handler: Open311Handler, params: dict[str, str], field: str
) -> None:
    response = handler.handle("GET", "requests.json", form(**params))
    assert response.status == 400
    assert json.loads(response.body)[0]["description"].startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"address_string": "Rumah Pak Andi, telp 0812-3456-7890"}, "address_string: is published"),
        ({"address_id": "x" * 101}, "address_id: must be at most 100 characters"),
        ({"attribute[size]": "besar", "attribute[hazards][]": "air"}, None),
    ],
)
def test_published_fields_are_checked(
    handler: Open311Handler, desk: ServiceDesk, changes: dict[str, str], expected: str | None
) -> None:
    status, body = post(handler, **{**GOOD, **changes})
    if expected is None:
        assert status == 201
        return
    assert status == 400
    assert body[0]["description"].startswith(expected)
    assert desk.search() == []


def test_contact_never_leaves_through_open311(handler: Open311Handler) -> None:
    post(handler, **GOOD, email="warga@example.com", first_name="Andi", phone="0812-3456-7890")
    for path in ("requests.json", "requests.xml", "requests/1.json"):
        body = handler.handle("GET", path, form(extensions="true")).body.decode()
        assert "warga@example.com" not in body
        assert "Andi" not in body
        assert "3456" not in body


def test_a_service_closed_to_requests_is_neither_listed_nor_taken(
    handler: Open311Handler, desk: ServiceDesk
) -> None:
    agency = desk.services()[0].agency
    permit = Service(
        city="makassar",
        code="P01",
        name="Persetujuan Bangunan Gedung",
        description="",
        group="Perizinan",
        agency=agency,
        standard=ServiceStandard(working_days=14, requirements=("KTP",)),
        open311=False,
    )
    desk.save_service(permit, actor="admin:uji")
    assert desk.service("P01").open311 is False
    listed = json.loads(handler.handle("GET", "services.json", {}).body)
    assert "P01" not in [s["service_code"] for s in listed]
    assert handler.handle("GET", "services/P01.json", {}).status == 404
    for extra in ({}, {"lat": "jauh"}):  # alone, or with another problem
        status, body = post(handler, **{**GOOD, "service_code": "P01", **extra})
        assert status == 400
        assert "service_code: unknown service 'P01'" in [e["description"] for e in body]
    assert desk.search() == []
    with pytest.raises(NotFoundError, match="takes no requests"):
        desk.submit("P01", location=Location(address="Jl. Sultan Hasanuddin 1"))


@pytest.mark.parametrize("field", ["description", "service_code", "first_name", "lat", "api_key"])
def test_a_nul_character_in_any_field_is_a_400_and_stores_nothing(
    handler: Open311Handler, desk: ServiceDesk, field: str
) -> None:
    # PostgreSQL refuses NUL in text: it must be turned away before any query.
    status, body = post(handler, **{**GOOD, field: GOOD.get(field, "x") + "\x00"})
    assert status == 400
    assert body == [{"code": 400, "description": f"{field}: must not contain a NUL character"}]
    assert desk.search() == []
    for path, params in (
        ("services/0\x0001.json", {}),
        ("requests.json", {"service_code": ["001\x00"]}),
        ("requests/1\x00.json", {}),
    ):
        assert handler.handle("GET", path, form(**params)).status in (400, 404)
