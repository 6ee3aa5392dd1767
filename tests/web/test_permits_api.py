"""The permits JSON API: roles, masking, strict input, every move, and the public check."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import attrs
import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from smartcity_kit.core import CityProfile, FixedClock
from smartcity_kit.egov.permits._demo import seed_permits_demo
from smartcity_kit.storage import ApiKeys, AuditLog, Database, Role
from smartcity_kit.web import AppConfig, create_app

NOW = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)
BASE = "/api/permits"
NIK = "7472015508950001"


@attrs.define
class Api:
    db: Database
    client: FlaskClient
    clock: FixedClock
    keys: dict[str, dict[str, str]] = attrs.field(factory=dict)

    def get(self, path: str, who: str | None = "admin", **kw: Any) -> TestResponse:
        return self.client.get(BASE + path, headers=self.keys.get(who or "", {}), **kw)

    def post(self, path: str, who: str | None = "admin", **kw: Any) -> TestResponse:
        return self.client.post(BASE + path, headers=self.keys.get(who or "", {}), **kw)


@pytest.fixture
def api(db: Database) -> Api:
    seed_permits_demo(db, now=NOW)
    clock = FixedClock(NOW)
    config = AppConfig(cities=(CityProfile.builtin("makassar"), CityProfile.builtin("baubau")))
    app = create_app(config, database=db, clock=clock)
    found = Api(db, app.test_client(), clock)
    keys = ApiKeys(db, clock)
    for who, role, kw in [
        ("admin", Role.ADMIN, {}),
        ("auditor", Role.AUDITOR, {}),
        ("ptsp", Role.OPERATOR, {"agency": "dpmptsp", "city": "baubau"}),
        ("dpu", Role.OPERATOR, {"agency": "dpu"}),
        ("open311", Role.OPEN311_CLIENT, {}),
        ("admin-makassar", Role.ADMIN, {"city": "makassar"}),
    ]:
        _, secret = keys.create(f"uji {who}", role, **kw)
        found.keys[who] = {"X-API-Key": secret}
    return found


def ok(response: TestResponse, status: int = 200) -> Any:
    assert response.status_code == status, response.data
    return response.get_json()


def problem(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.data
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert isinstance(body, dict)
    return body


def fields(response: TestResponse) -> dict[str, str]:
    return {e["field"]: e["message"] for e in problem(response, 400)["errors"]}


def doc(item: int) -> dict[str, Any]:
    return {
        "item": item,
        "name": f"berkas-{item}.pdf",
        "sha256": hashlib.sha256(str(item).encode()).hexdigest(),
        "size": 1234,
        "media_type": "application/pdf",
    }


# --- the public check ----------------------------------------------------------------------------


def test_anyone_can_check_a_permit_number(api: Api) -> None:
    body = ok(api.get("/verify/503/0001/DPMPTSP/XI/2026", who=None))
    assert body["valid"] is True
    assert body["reason"] is None
    assert body["city"] == "baubau"
    assert body["holder"] == "W*** S*** H***"
    assert body["holder_id"] == "747201******0001"
    assert body["service_code"] == "P01"
    assert body["issued_on"] == "2026-11-05"
    assert body["valid_until"] == "2031-11-04"
    assert NIK.encode() not in api.get("/verify/503/0001/DPMPTSP/XI/2026").data


def test_a_revoked_or_unknown_number_is_not_valid(api: Api) -> None:
    revoked = ok(api.get("/verify/503/0003/DPMPTSP/XI/2026", who=None))
    assert (revoked["valid"], revoked["reason"]) == (False, "revoked")
    assert revoked["revoked_on"] == "2026-11-12"
    unknown = ok(api.get("/verify/503/0099/DPMPTSP/XI/2026", who=None))
    assert unknown == {**unknown, "valid": False, "reason": "unknown", "holder": None}
    makassar = ok(api.get("/verify/503/0001/DPMPTSP/X/2026?city=makassar", who=None))
    assert makassar["valid"] is True
    elsewhere = ok(api.get("/verify/503/0001/DPMPTSP/X/2026?city=baubau", who=None))
    assert elsewhere["reason"] == "unknown"
    problem(api.get("/verify/503?city=tual", who=None), 404)
    assert "number" in fields(api.get("/verify/" + "9" * 101, who=None))


def test_a_number_issued_in_two_cities_needs_the_city(api: Api) -> None:
    ids = []
    # The demo issued 2 permits in Makassar and 3 in Baubau this year: 0004 is next-but-one
    # in Makassar and next in Baubau.
    for city in ("makassar", "makassar", "baubau"):
        made = ok(api.post(f"/{city}/applications", json=_business("P03")), 201)
        ids.append((city, made["id"]))
    api.clock.set(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    numbers = [_issue(api, city, i)["number"] for city, i in ids]
    assert numbers[1:] == ["503/0004/DPMPTSP/XII/2026"] * 2
    assert fields(api.get("/verify/503/0004/DPMPTSP/XII/2026", who=None)) == {
        "city": "this number was issued in baubau, makassar: name the city"
    }


# --- applications ---------------------------------------------------------------------------------


def _business(service: str = "P02") -> dict[str, Any]:
    return {
        "service_code": service,
        "applicant": {"kind": "business", "name": "CV Kasuami Jaya", "nib": "9120005550022"},
    }


def _issue(api: Api, city: str, aid: int) -> dict[str, Any]:
    path = f"/{city}/applications/{aid}"
    app = ok(api.get(path))
    for n in range(1, len(app["checklist"]) + 1):
        ok(api.post(path + "/documents", json=doc(n)), 201)
    for move in ({"to": "submitted"}, {"to": "verified"}):
        app = ok(api.post(path + "/transitions", json=move))
    if app["fee"]:
        ok(
            api.post(
                path + "/transitions",
                json={"to": "fee_paid", "amount": app["fee"], "reference": "BANK-9"},
            )
        )
    ok(api.post(path + "/transitions", json={"to": "approved"}))
    return ok(api.post(path + "/transitions", json={"to": "issued"}))  # type: ignore[no-any-return]


def test_a_clerk_takes_an_application_from_draft_to_issued(api: Api, db: Database) -> None:
    made = ok(api.post("/baubau/applications", who="ptsp", json=_business()), 201)
    assert made["status"] == "draft"
    assert made["applicant"] == {
        "kind": "business",
        "name": "CV Kasuami Jaya",
        "id": "9120005550022",
    }
    assert made["checklist"] == ["KTP atau NIB pemohon", "Desain reklame", "Foto lokasi"]
    assert made["fee"] == 350_000
    assert made["unanswered"] == [1, 2, 3]
    path = f"/baubau/applications/{made['id']}"
    problem(api.post(path + "/transitions", who="ptsp", json={"to": "submitted"}), 400)
    for n in (1, 2, 3):
        after = ok(api.post(path + "/documents", who="ptsp", json=doc(n)), 201)
    assert after["unanswered"] == []
    moved = ok(
        api.post(
            path + "/transitions",
            who="ptsp",
            json={"to": "submitted", "expected_version": after["version"]},
        )
    )
    assert moved["due_at"] == "2026-11-30T16:00:00+00:00"  # 5 working days from Monday
    back = ok(
        api.post(
            path + "/transitions",
            who="ptsp",
            json={"to": "requirements_incomplete", "missing": [2], "notes": "Desain buram"},
        )
    )
    assert back["due_at"] is None
    assert back["paused_since"] is not None
    assert back["unanswered"] == [2]
    api.clock.advance(days=2)
    ok(api.post(path + "/documents", who="ptsp", json={**doc(2), "name": "desain-2.pdf"}), 201)
    again = ok(api.post(path + "/transitions", who="ptsp", json={"to": "submitted"}))
    assert again["paused_days"] == 2
    assert again["due_at"] == "2026-12-02T16:00:00+00:00"
    ok(api.post(path + "/transitions", who="ptsp", json={"to": "verified"}))
    assert "amount" in fields(
        api.post(path + "/transitions", who="ptsp", json={"to": "fee_paid", "reference": "X"})
    )
    problem(api.post(path + "/transitions", who="ptsp", json={"to": "approved"}), 409)
    ok(
        api.post(
            path + "/transitions",
            who="ptsp",
            json={"to": "fee_paid", "amount": 350_000, "reference": "BANK-77"},
        )
    )
    ok(api.post(path + "/transitions", who="ptsp", json={"to": "approved"}))
    issued = ok(api.post(path + "/transitions", who="ptsp", json={"to": "issued"}))
    assert issued["number"] == "503/0004/DPMPTSP/XI/2026"
    assert issued["valid_from"] == "2026-11-25"
    assert [h["action"] for h in issued["history"]][-3:] == ["fee_paid", "approved", "issued"]
    assert ok(api.get(f"/verify/{issued['number']}", who=None))["valid"] is True
    assert AuditLog(db).verify().intact


def test_a_person_applies_by_nik(api: Api) -> None:
    body = {
        "service_code": "P01",
        "applicant": {"kind": "person", "name": "La Ode Rahman", "nik": "7472 0312 0388 0002"},
    }
    made = ok(api.post("/baubau/applications", json=body), 201)
    assert made["applicant"] == {
        "kind": "person",
        "name": "La Ode Rahman",
        "id": "747203******0002",
    }
    seen = ok(api.get(f"/baubau/applications/{made['id']}", who="auditor"))
    assert seen["applicant"]["name"] == "L*** O*** R***"
    assert b"7472031203880002" not in api.get(f"/baubau/applications/{made['id']}").data


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"service_code": "P01"}, {"applicant": "is required"}),
        (
            {"service_code": "P01", "applicant": {"kind": "person", "name": "Andi"}},
            {"applicant.nik": "is required"},
        ),
        (
            {
                "service_code": "P01",
                "applicant": {"kind": "person", "name": "Andi", "nik": "7472015508950000"},
            },
            {"applicant.nik": "the serial number (last 4 digits) must not be 0000"},
        ),
        (
            {
                "service_code": "P01",
                "applicant": {"kind": "business", "name": "CV", "nib": "123", "nik": NIK},
            },
            {"applicant.nik": "a business is identified by a NIB"},
        ),
        ({**_business(), "extra": 1}, {"extra": "is not a field here"}),
    ],
)
def test_bad_applications_are_refused_naming_the_field(
    api: Api, body: dict[str, Any], expected: dict[str, str]
) -> None:
    before = AuditLog(api.db).head_seq()
    response = api.post("/baubau/applications", json=body)
    assert fields(response) == expected
    assert b"7472015508950000" not in response.data
    assert AuditLog(api.db).head_seq() == before


def test_bad_documents_and_moves_are_refused(api: Api) -> None:
    made = ok(api.post("/baubau/applications", json=_business()), 201)
    path = f"/baubau/applications/{made['id']}"
    assert fields(api.post(path + "/documents", json={**doc(1), "sha256": "XYZ"})) == {
        "sha256": "must be 64 lower-case hexadecimal digits"
    }
    assert "item" in fields(api.post(path + "/documents", json=doc(9)))
    assert fields(api.post(path + "/transitions", json={"to": "submitted", "reason": "x"})) == {
        "reason": "is not a field of a move to submitted"
    }
    assert fields(api.post(path + "/transitions", json={"to": "rejected"})) == {
        "reason": "is required to move to rejected"
    }
    assert "to" in fields(api.post(path + "/transitions", json={"to": "draft"}))
    problem(api.post(path + "/transitions", json={"to": "issued"}), 409)
    problem(api.post(path + "/transitions", json={"to": "submitted", "expected_version": 99}), 409)


def test_bad_query_parameters_are_named_without_their_values(api: Api) -> None:
    response = api.get("/baubau/applications?page_size=9999999&status=selesai-sekali")
    assert set(fields(response)) == {"page_size", "status[0]"}
    assert b"9999999" not in response.data
    assert b"selesai-sekali" not in response.data


# --- who may do what -----------------------------------------------------------------------------


def test_readers_and_clerks(api: Api) -> None:
    listed = ok(api.get("/baubau/applications", who="auditor"))
    assert len(listed["items"]) == 6
    assert all("*" in a["applicant"]["name"] for a in listed["items"])
    names = {a["applicant"]["name"] for a in ok(api.get("/baubau/applications"))["items"]}
    assert "Waode Sitti Hasanah" in names
    assert ok(api.get("/baubau/applications", who="dpu"))["items"] == []
    problem(api.get("/baubau/applications", who="open311"), 403)
    problem(api.get("/baubau/applications", who=None), 403)
    problem(api.get("/baubau/applications", who="admin-makassar"), 403)
    problem(api.get("/tual/applications"), 404)
    problem(api.post("/baubau/applications", who="auditor", json=_business()), 403)
    problem(api.post("/baubau/applications", who="dpu", json=_business()), 403)
    problem(api.get("/baubau/applications/6", who="dpu"), 403)
    problem(api.get("/baubau/applications/1"), 404)  # a Makassar application
    problem(api.get("/baubau/applications/99999999999"), 404)
    statuses = {
        a["status"] for a in ok(api.get("/baubau/applications?status=issued,revoked"))["items"]
    }
    assert statuses == {"issued", "revoked"}


def test_overdue(api: Api) -> None:
    late = ok(api.get("/baubau/overdue", who="auditor"))
    # The verified application has a fee due: its deadline waits for the payment.
    assert [a["status"] for a in late] == ["submitted"]
    waiting = ok(api.get("/baubau/applications?status=verified"))["items"]
    assert [(a["due_at"], a["paused_since"] is not None) for a in waiting] == [(None, True)]
    assert all(a["overdue"] for a in late)
    assert ok(api.get("/baubau/overdue", who="dpu")) == []


# --- the declarations -----------------------------------------------------------------------------


def test_every_permits_endpoint_is_in_the_openapi_document(api: Api) -> None:
    paths = api.client.get("/api/openapi.json").get_json()["paths"]
    expected = {
        "/api/permits/verify/{number}": {"get"},
        "/api/permits/{city}/applications": {"get", "post"},
        "/api/permits/{city}/applications/{application_id}": {"get"},
        "/api/permits/{city}/applications/{application_id}/documents": {"post"},
        "/api/permits/{city}/applications/{application_id}/transitions": {"post"},
        "/api/permits/{city}/overdue": {"get"},
    }
    found = {p: set(methods) for p, methods in paths.items() if p.startswith("/api/permits/")}
    assert found == expected
    verify = paths["/api/permits/verify/{number}"]["get"]
    assert verify["tags"] == ["permits"]
    assert verify["security"] == []
