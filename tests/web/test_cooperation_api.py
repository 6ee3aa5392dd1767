"""The cooperation JSON API: who may do what, strict input, the lifecycle over HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from smartcity_kit.core import CityProfile, FixedClock
from smartcity_kit.egov._demo import seed_demo
from smartcity_kit.egov.cooperation._demo import seed_cooperation_demo
from smartcity_kit.storage import ApiKeys, AuditLog, Database, Role
from smartcity_kit.web import AppConfig, create_app

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
BASE = "/api/cooperation/makassar"
SHA = "ab" * 32


@attrs.define
class Api:
    db: Database
    client: FlaskClient
    keys: dict[str, dict[str, str]] = attrs.field(factory=dict)

    def get(self, path: str, who: str = "admin", **kw: Any) -> TestResponse:
        return self.client.get(BASE + path, headers=self.keys.get(who, {}), **kw)

    def post(self, path: str, body: Any, who: str = "admin") -> TestResponse:
        return self.client.post(BASE + path, json=body, headers=self.keys.get(who, {}))

    def patch(self, path: str, body: Any, who: str = "admin") -> TestResponse:
        return self.client.patch(BASE + path, json=body, headers=self.keys.get(who, {}))


@pytest.fixture
def api(db: Database) -> Api:
    clock = FixedClock(NOW)
    seed_demo(db, now=NOW, requests_per_city=0)
    seed_cooperation_demo(db, today=dt.date(2026, 11, 23))
    config = AppConfig(cities=(CityProfile.builtin("makassar"), CityProfile.builtin("baubau")))
    found = Api(db, create_app(config, database=db, clock=clock).test_client())
    keys = ApiKeys(db, clock)
    for who, role, kw in [
        ("admin", Role.ADMIN, {}),
        ("admin-baubau", Role.ADMIN, {"city": "baubau"}),
        ("auditor", Role.AUDITOR, {}),
        ("kominfo", Role.OPERATOR, {"agency": "diskominfo"}),
        ("dlh", Role.OPERATOR, {"agency": "dlh"}),
        ("open311", Role.OPEN311_CLIENT, {}),
    ]:
        _, nik = keys.create(f"uji {who}", role, **kw)
        found.keys[who] = {"X-API-Key": nik}
    return found


def ok(response: TestResponse, status: int = 200) -> Any:
    assert response.status_code == status, response.data
    return response.json


def problem(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.data
    assert response.content_type == "application/problem+json"
    body = response.json
    assert isinstance(body, dict)
    return body


def fields(response: TestResponse) -> dict[str, str]:
    return {e["field"]: e["message"] for e in problem(response, 400)["errors"]}


def agreement_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "partner": "kaohsiung",
        "kind": "pks",
        "implements": 12,
        "title": "PKS smart tourism",
        "fields": ["tourism", "smart_city"],
        "agencies": ["diskominfo"],
        "term": {"start": "2026-12-01", "years": 2},
        "documents": [{"name": "PKS.pdf", "sha256": SHA}],
        "status": "negotiating",
    }
    body.update(changes)
    return body


def test_readers_list_partners_and_agreements(api: Api) -> None:
    partners = ok(api.get("/partners", who="auditor"))
    assert len(partners) == 11
    assert {p["code"]: p["country"] for p in partners}["engie-ineo"] == "FR"
    assert len(ok(api.get("/partners?kind=foreign_city", who="kominfo"))) == 4
    page = ok(api.get("/agreements?page_size=5"))
    assert (page["page"], page["page_size"], len(page["items"])) == (1, 5, 5)
    assert [a["id"] for a in ok(api.get("/agreements?page=3&page_size=5"))["items"]] == [
        11,
        12,
        13,
        14,
        15,
    ]
    held = ok(api.get("/agreements?status=on_hold"))["items"]
    assert [(a["partner"], a["missing_approvals"]) for a in held] == [
        ("engie-ineo", ["central_review", "dprd"])
    ]
    expired = ok(api.get("/agreements?status=expired&field=culture"))["items"]
    assert [(a["partner"], a["kind"], a["recorded_status"]) for a in expired] == [
        ("surakarta", "loi", "expired")
    ]
    soon = ok(api.get("/agreements?expiring=90"))["items"]
    assert [a["partner"] for a in soon] == ["palembang", "incheon"]
    assert [a["id"] for a in ok(api.get("/agreements?kind=pks&partner=baubau"))["items"]] == [8]


def test_keys_are_checked_before_anything(api: Api) -> None:
    problem(api.get("/agreements", who="nobody"), 403)
    problem(api.get("/agreements", who="open311"), 403)
    problem(api.get("/agreements", who="admin-baubau"), 403)
    problem(api.post("/agreements", agreement_body(), who="auditor"), 403)
    problem(api.post("/agreements", agreement_body(), who="kominfo"), 403)
    problem(api.post("/partners", {"code": "x"}, who="kominfo"), 403)  # 403 before the body
    problem(api.client.get("/api/cooperation/jakarta/agreements"), 404)


def test_one_agreement_and_its_activities(api: Api) -> None:
    pks = ok(api.get("/agreements/8", who="auditor"))
    assert (pks["kind"], pks["implements"], pks["status"]) == ("pks", 7, "active")
    activities = ok(api.get("/agreements/8/activities"))
    assert [a["kind"] for a in activities] == ["app_deployment", "training"]
    problem(api.get("/agreements/999"), 404)
    problem(api.get("/agreements/99999999999"), 404)
    problem(api.get("/agreements/999/activities"), 404)


def test_partners_are_added_by_admins_and_checked(api: Api) -> None:
    added = ok(
        api.post(
            "/partners",
            {"code": "gowa", "kind": "indonesian_region", "name": "Gowa", "region_code": "7306"},
        ),
        201,
    )
    assert added == {
        "code": "gowa",
        "kind": "indonesian_region",
        "name": "Gowa",
        "country": "ID",
        "region_code": "73.06",
    }
    problem(api.post("/partners", {"code": "gowa", "kind": "domestic_private", "name": "G"}), 409)
    assert fields(
        api.post("/partners", {"code": "x", "kind": "foreign_city", "name": "X", "country": "ID"})
    ) == {"country": "a foreign_city partner must be in another country than ID"}
    assert set(
        fields(api.post("/partners", {"code": "X!", "kind": "twin", "name": "", "extra": 1}))
    ) == {"code", "kind", "name", "extra"}
    assert "region_code" in fields(
        api.post(
            "/partners",
            {"code": "y", "kind": "indonesian_region", "name": "Y", "region_code": "99.99"},
        )
    )


def test_an_agreement_is_entered_revised_and_signed_over_http(api: Api, db: Database) -> None:
    made = ok(api.post("/agreements", agreement_body()), 201)
    assert (made["id"], made["status"], made["version"]) == (16, "negotiating", 1)
    assert made["term"] == {"start": "2026-12-01", "end": "2028-11-30"}
    assert made["missing_approvals"] == ["dprd", "kemendagri"]  # a PKS needs its own
    path = f"/agreements/{made['id']}"
    revised = ok(api.patch(path, {"version": 1, "number": "7/PKS/2026", "renewal": "automatic"}))
    assert (revised["number"], revised["renewal"], revised["version"]) == (
        "7/PKS/2026",
        "automatic",
        2,
    )
    problem(api.patch(path, {"version": 1, "title": "Stale"}), 409)
    problem(api.post(path + "/transitions", {"to": "active", "signed_on": "2026-11-20"}), 409)
    for kind in ("dprd", "kemendagri"):
        ok(
            api.post(
                path + "/approvals",
                {
                    "kind": kind,
                    "decision": "approved",
                    "reference": "1/2026",
                    "decided_on": "2026-11-02",
                },
            )
        )
    signed = ok(
        api.post(
            path + "/transitions",
            {
                "to": "active",
                "signed_on": "2026-11-20",
                "signing_event": "Festival F8",
                "version": 4,
            },
        )
    )
    assert (signed["status"], signed["signed_on"]) == ("active", "2026-11-20")
    activity = ok(
        api.post(
            path + "/activities",
            {
                "kind": "study_visit",
                "title": "Kunjungan",
                "starts": "2026-11-21",
                "participants": 9,
            },
            who="kominfo",
        ),
        201,
    )
    assert (activity["ends"], activity["participants"]) == ("2026-11-21", 9)
    problem(
        api.post(
            path + "/activities", {"kind": "other", "title": "x", "starts": "2026-11-21"}, who="dlh"
        ),
        403,
    )
    actors = {e.actor for e in AuditLog(db).entries(subject=f"cooperation:agreement:{made['id']}")}
    assert len(actors) == 2  # the admin key and the operator key


def test_engie_cannot_be_signed_until_the_review_approves(api: Api) -> None:
    refused = problem(
        api.post("/agreements/15/transitions", {"to": "active", "signed_on": "2026-11-20"}), 409
    )
    assert "central government's review" in refused["detail"]
    rejected = ok(
        api.post(
            "/agreements/15/approvals",
            {
                "kind": "central_review",
                "decision": "rejected",
                "reference": "100/KSDLN/2026",
                "decided_on": "2026-11-20",
                "on_rejection": "terminated",
            },
        )
    )
    assert (rejected["status"], rejected["missing_approvals"]) == ("terminated", [])


def test_bad_input_names_the_field_without_echoing_it(api: Api) -> None:
    nik = "7371105508950001"
    errors = fields(api.get(f"/agreements?status={nik}&expiring=-1&page=0"))
    assert set(errors) == {"status", "expiring", "page"}
    assert all(nik not in m for m in errors.values())
    errors = fields(
        api.post(
            "/agreements",
            agreement_body(fields=["smart_city", "space"], term={"start": "2026-02-30"}, kind="x"),
        )
    )
    assert set(errors) == {"fields[1]", "term.start", "kind"}
    errors = fields(api.post("/agreements", agreement_body(title=f"NIK {nik}")))
    assert set(errors) == {"title"}
    assert nik not in errors["title"]
    assert fields(api.post("/agreements", agreement_body(implements=None, kind="pks"))) == {
        "implements": "must be a whole number"
    }
    assert set(fields(api.post("/agreements", agreement_body(agencies=["bappeda"])))) == {
        "agencies[0]"
    }
    assert set(
        fields(
            api.post(
                "/agreements",
                agreement_body(term={"start": "2026-01-01", "end": "2027-01-01", "years": 1}),
            )
        )
    ) == {"term.years"}
    assert set(fields(api.post("/agreements/1/transitions", {"to": "on_hold"}))) == {"notes"}
    assert set(fields(api.patch("/agreements/1", {"title": "x"}))) == {"version"}
    assert set(
        fields(api.post("/agreements/1/approvals", {"kind": "dprd", "decision": "maybe"}))
    ) == {"decision", "reference", "decided_on"}
    problem(api.client.post(BASE + "/agreements", data="[]", headers=api.keys["admin"]), 400)


def test_reminders(api: Api) -> None:
    found = ok(api.get("/reminders", who="auditor"))
    assert [(r["agreement"]["partner"], r["days_left"], r["renews"]) for r in found] == [
        ("palembang", 45, False),
        ("incheon", 60, False),
    ]
    assert ok(api.get("/reminders?within=30")) == []
    assert set(fields(api.get("/reminders?within=forever"))) == {"within"}


def test_every_endpoint_is_in_the_openapi_document(api: Api) -> None:
    paths = ok(api.client.get("/api/openapi.json"))["paths"]
    expected = {
        "/api/cooperation/{city}/partners": {"get", "post"},
        "/api/cooperation/{city}/agreements": {"get", "post"},
        "/api/cooperation/{city}/agreements/{agreement_id}": {"get", "patch"},
        "/api/cooperation/{city}/agreements/{agreement_id}/transitions": {"post"},
        "/api/cooperation/{city}/agreements/{agreement_id}/approvals": {"post"},
        "/api/cooperation/{city}/agreements/{agreement_id}/activities": {"get", "post"},
        "/api/cooperation/{city}/reminders": {"get"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
        assert all(paths[path][m]["tags"] == ["cooperation"] for m in methods)
