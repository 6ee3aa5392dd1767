from __future__ import annotations

import datetime as dt
import types
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from smartcity_kit.core import CityProfile, FixedClock, PhoneNumber
from smartcity_kit.egov import Contact, Location, ServiceDesk, ServiceRequest
from smartcity_kit.egov._demo import seed_demo
from smartcity_kit.storage import ApiKeys, AuditLog, Database, Role
from smartcity_kit.web import AppConfig, create_app
from smartcity_kit.web import _app as web_app

NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def app(db: Database) -> Flask:
    seed_demo(db, now=NOW, requests_per_city=40)
    config = AppConfig(
        cities=(CityProfile.builtin("makassar"), CityProfile.builtin("baubau")),
        public_url="https://smartcity.example",
        cors_origins=("https://dasbor.example",),
    )
    return create_app(config, database=db, clock=FixedClock(NOW))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def key(db: Database, role: Role, **kw: Any) -> dict[str, str]:
    _, secret = ApiKeys(db).create(f"uji {role.value}", role, **kw)
    return {"X-API-Key": secret}


def test_health(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "cities": ["baubau", "makassar"]}
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_open311_is_mounted(client: FlaskClient, db: Database) -> None:
    services = client.get("/open311/v2/services.xml?jurisdiction_id=baubaukota.go.id")
    assert services.status_code == 200
    assert services.content_type == "text/xml; charset=utf-8"
    assert b"<service_code>001</service_code>" in services.data
    posted = client.post(
        "/open311/v2/requests.json",
        data={
            "jurisdiction_id": "makassarkota.go.id",
            "service_code": "003",
            "lat": "-5.14",
            "long": "119.42",
            "description": "Sampah menumpuk",
            "api_key": key(db, Role.OPEN311_CLIENT)["X-API-Key"],
        },
    )
    assert posted.status_code == 201
    assert posted.json is not None
    assert posted.json[0]["service_request_id"]
    refused = client.post(
        "/open311/v2/requests.json",
        data={"jurisdiction_id": "makassarkota.go.id", "service_code": "003", "api_key": "x"},
    )
    assert refused.status_code == 403
    discovery = client.get("/open311/discovery.json")
    assert discovery.json is not None
    assert discovery.json["endpoints"][0]["url"] == "https://smartcity.example/open311/v2/"


def test_api_needs_a_key(client: FlaskClient, db: Database) -> None:
    response = client.get("/api/makassar/requests")
    assert response.status_code == 403
    assert response.content_type == "application/problem+json"
    assert response.json is not None
    assert response.json["detail"] == "a valid API key is required (X-API-Key header)"
    citizen_app = client.get("/api/makassar/requests", headers=key(db, Role.OPEN311_CLIENT))
    assert citizen_app.status_code == 403
    wrong_city = client.get("/api/makassar/requests", headers=key(db, Role.AUDITOR, city="baubau"))
    assert wrong_city.status_code == 403


def test_operator_sees_and_works_its_agency_queue(client: FlaskClient, db: Database) -> None:
    headers = key(db, Role.OPERATOR, city="makassar", agency="dlh")
    page = client.get("/api/makassar/requests?page_size=200", headers=headers)
    assert page.status_code == 200
    assert page.json is not None
    items = page.json["items"]
    assert items
    assert {r["agency"] for r in items} == {"dlh"}
    assert all(set(r["contact"]) <= {"name", "email", "phone"} for r in items)
    desk = ServiceDesk(db, CityProfile.builtin("makassar"), FixedClock(NOW))
    with_contact = desk.submit(
        "003",
        location=Location(address="Jl. Somba Opu 10"),
        contact=Contact(
            first_name="Andi", email="andi@example.com", phone=PhoneNumber.parse("081234567890")
        ),
    )
    shown = client.get(f"/api/makassar/requests/{with_contact.id}", headers=headers).json
    assert shown is not None
    assert shown["contact"] == {
        "name": "A***",
        "email": "a***@example.com",
        "phone": "0812****7890",
    }
    other = client.get("/api/makassar/requests?agency=dpu", headers=headers)
    assert other.status_code == 403
    assert client.get("/api/makassar/metrics?agency=dpu", headers=headers).status_code == 403
    target = fresh(desk, "003")  # waste: Dinas Lingkungan Hidup
    moved = client.post(
        f"/api/makassar/requests/{target.id}/transitions",
        headers=headers,
        json={"to": "verified", "notes": "Dicek", "expected_version": target.version},
    )
    assert moved.status_code == 200, moved.json
    assert moved.json is not None
    assert moved.json["status"] == "verified"
    assert moved.json["history"][-1]["actor"].startswith("key:")
    stale = client.post(
        f"/api/makassar/requests/{target.id}/transitions",
        headers=headers,
        json={"to": "in_progress", "expected_version": target.version},
    )
    assert stale.status_code == 409
    assert AuditLog(db).verify().intact
    not_mine = next(r for r in desk.search(agency="dpu", limit=500))
    assert (
        client.post(
            f"/api/makassar/requests/{not_mine.id}/transitions",
            headers=headers,
            json={"to": "verified"},
        ).status_code
        == 403
    )


def fresh(desk: ServiceDesk, service_code: str) -> ServiceRequest:
    return desk.submit(
        service_code, location=Location(address="Jl. Somba Opu 10"), description="Uji"
    )


@pytest.mark.parametrize(
    ("body", "status", "fields"),
    [
        ({"to": "flying"}, 400, ["to"]),
        ({"to": "verified", "colour": "red"}, 400, ["colour"]),
        ({"to": "rejected"}, 400, ["notes"]),
        ({"to": "referred", "agency": 5}, 400, ["agency"]),
        ([], 400, [""]),
    ],
)
def test_transition_errors_are_problem_details(
    client: FlaskClient, db: Database, body: Any, status: int, fields: list[str]
) -> None:
    target = fresh(ServiceDesk(db, CityProfile.builtin("makassar"), FixedClock(NOW)), "005")
    response = client.post(
        f"/api/makassar/requests/{target.id}/transitions", headers=key(db, Role.ADMIN), json=body
    )
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    assert response.json is not None
    assert [e["field"] for e in response.json["errors"]] == fields


def test_catalogue_admin_and_metrics(client: FlaskClient, db: Database) -> None:
    admin = key(db, Role.ADMIN)
    services = client.get("/api/baubau/services", headers=admin).json
    assert services is not None
    assert services[0]["standard"]["working_days"] == 10
    new = {
        "name": "Pohon tumbang",
        "description": "",
        "group": "Lingkungan",
        "agency": "dlh",
        "standard": {
            "working_days": 2,
            "fee": 0,
            "requirements": [],
            "procedure": [],
            "output": "",
            "complaint_channel": "",
            "legal_basis": [],
        },
        "keywords": ["pohon"],
        "type": "realtime",
        "attributes": [],
    }
    assert client.put("/api/baubau/services/008", headers=admin, json=new).status_code == 200
    bad = client.put("/api/baubau/services/009", headers=admin, json={**new, "agency": "nasa"})
    assert bad.status_code == 400
    assert (
        client.put("/api/baubau/services/008", headers=key(db, Role.AUDITOR), json=new).status_code
        == 403
    )
    figures = client.get(
        "/api/makassar/metrics?start=2026-08-01T00:00:00%2B08:00", headers=admin
    ).json
    assert figures is not None
    assert figures["received"] == 40
    assert client.get("/api/nowhere/metrics", headers=admin).status_code == 404
    assert client.get("/api/makassar/requests/overdue", headers=admin).status_code == 200
    assert client.get("/api/makassar/requests?page=0", headers=admin).status_code == 400
    assert client.get("/api/makassar/requests/999999", headers=admin).status_code == 404


def test_unknown_paths_and_limits(client: FlaskClient, app: Flask) -> None:
    missing = client.get("/nothing")
    assert (missing.status_code, missing.content_type) == (404, "application/problem+json")
    app.config["MAX_CONTENT_LENGTH"] = 100
    big = client.post("/open311/v2/requests.json", data={"description": "x" * 500})
    assert big.status_code == 413


def test_cors_only_for_configured_origins(client: FlaskClient) -> None:
    allowed = client.get("/healthz", headers={"Origin": "https://dasbor.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://dasbor.example"
    other = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def _count(client: FlaskClient) -> int:
    listed = client.get(
        "/open311/v2/requests.json?jurisdiction_id=makassarkota.go.id&page_size=500&page=1"
    )
    assert listed.json is not None
    return len(listed.json)


def test_cached_reads_see_writes_through_the_app_at_once(client: FlaskClient, db: Database) -> None:
    before = _count(client)
    assert _count(client) == before  # served from the cache
    posted = client.post(
        "/open311/v2/requests.json",
        data={
            "jurisdiction_id": "makassarkota.go.id",
            "service_code": "005",
            "address_string": "Jl. A",
            "api_key": key(db, Role.OPEN311_CLIENT)["X-API-Key"],
        },
    )
    assert posted.status_code == 201
    assert _count(client) == before + 1


def test_cached_reads_see_other_processes_writes_once_the_head_moves(
    client: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _count(client)
    # Another process writes straight through the desk: this app has not seen it.
    fresh(ServiceDesk(db, CityProfile.builtin("makassar"), FixedClock(NOW)), "005")
    monkeypatch.setattr(web_app, "VERSION_CHECK_SECONDS", 0.0)
    assert _count(client) == before + 1


def test_a_city_limited_key_posts_only_to_its_city(client: FlaskClient, db: Database) -> None:
    baubau_app = key(db, Role.OPEN311_CLIENT, city="baubau")["X-API-Key"]
    form = {"service_code": "005", "address_string": "Jl. Betoambari", "api_key": baubau_app}
    to_makassar = client.post(
        "/open311/v2/requests.json", data={**form, "jurisdiction_id": "makassarkota.go.id"}
    )
    assert to_makassar.status_code == 403
    to_baubau = client.post(
        "/open311/v2/requests.json", data={**form, "jurisdiction_id": "baubaukota.go.id"}
    )
    assert to_baubau.status_code == 201


def test_cors_preflight(client: FlaskClient) -> None:
    allowed = client.options(
        "/api/makassar/requests",
        headers={"Origin": "https://dasbor.example", "Access-Control-Request-Method": "GET"},
    )
    assert allowed.status_code == 200
    assert "X-API-Key" in allowed.headers["Access-Control-Allow-Headers"]
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://dasbor.example"
    other = client.options("/api/makassar/requests", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Headers" not in other.headers


def test_metrics_default_window_uses_the_app_clock(client: FlaskClient, db: Database) -> None:
    figures = client.get("/api/makassar/metrics", headers=key(db, Role.AUDITOR)).json
    assert figures is not None
    assert figures["end"] == NOW.isoformat()


def test_health_reports_an_unreachable_database() -> None:
    unreachable = Database("postgresql+psycopg://x@127.0.0.1:1/none")
    app = create_app(AppConfig(), database=unreachable)
    response = app.test_client().get("/healthz")
    unreachable.dispose()
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"


@pytest.mark.usefixtures("app")  # it seeds the demo
def test_demo_history_is_never_in_the_future(db: Database) -> None:
    desk = ServiceDesk(db, CityProfile.builtin("baubau"), FixedClock(NOW))
    seeded = desk.search(limit=1000)
    assert len(seeded) == 40
    steps = [step for request in seeded for step in desk.history(request.id)]
    assert len(steps) > len(seeded)  # the demo walks requests along
    assert max(step.at for step in steps) <= NOW


@pytest.mark.parametrize(
    ("sort", "field", "descending"),
    [
        ("-requested_at", "requested_at", True),
        ("requested_at", "requested_at", False),
        ("updated_at", "updated_at", False),
        ("-updated_at", "updated_at", True),
        ("id", "id", False),
        ("-id", "id", True),
    ],
)
def test_requests_sort_by_the_field_asked(
    client: FlaskClient, db: Database, sort: str, field: str, descending: bool
) -> None:
    headers = key(db, Role.ADMIN)
    items = client.get(f"/api/makassar/requests?page_size=200&sort={sort}", headers=headers).json
    assert items is not None
    values = [(r[field], r["id"]) for r in items["items"]]
    assert len(values) == 40
    assert values == sorted(values, reverse=descending)


def test_requests_sort_newest_first_by_default_and_refuse_other_orders(
    client: FlaskClient, db: Database
) -> None:
    headers = key(db, Role.ADMIN)
    default = client.get("/api/makassar/requests?page_size=200", headers=headers).json
    newest = client.get("/api/makassar/requests?page_size=200&sort=-requested_at", headers=headers)
    assert default == newest.json
    bad = client.get("/api/makassar/requests?sort=contact", headers=headers)
    assert bad.status_code == 400
    assert bad.json is not None
    assert [e["field"] for e in bad.json["errors"]] == ["sort"]
    assert bad.json["errors"][0]["message"].startswith("must be one of -requested_at")


def test_the_data_version_never_moves_back_to_an_older_head(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two threads read the head at once; the slower one's older reading comes in last.
    readings = iter([7, 5, 9])
    audit = types.SimpleNamespace(head_seq=lambda: next(readings))
    version = web_app._DataVersion(audit)  # type: ignore[arg-type]
    monkeypatch.setattr(web_app, "VERSION_CHECK_SECONDS", -1.0)  # read the head every time
    assert version() == (0, 7)
    assert version() == (0, 7)
    version.bump()  # a write through this app: seen at once, with the next reading
    assert version() == (1, 9)


def test_a_query_with_a_key_is_not_kept_parsed(client: FlaskClient, db: Database) -> None:
    from smartcity_kit.web import _open311  # noqa: PLC0415

    secret = key(db, Role.OPEN311_CLIENT)["X-API-Key"]
    path = "/open311/v2/requests.json?jurisdiction_id=makassarkota.go.id"
    plain = client.get(f"{path}&page_size=3")
    keyed = client.get(f"{path}&page_size=3&api_key={secret}")
    again = client.get(f"{path}&page_size=3")
    assert plain.status_code == keyed.status_code == again.status_code == 200
    assert plain.json == keyed.json == again.json
    assert isinstance(plain.json, list)
    assert len(plain.json) == 3
    assert not any(secret in raw for raw in _open311._queries)
    assert any("page_size=3" in raw for raw in _open311._queries)
