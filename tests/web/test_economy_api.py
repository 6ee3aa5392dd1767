"""The economy JSON API: who may read and post, masking, strict input, and every endpoint."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from smartcity_kit.core import Address, CityProfile, FixedClock, RegionCode
from smartcity_kit.economy import Enterprise, EnterpriseRegistry
from smartcity_kit.economy import _store as store
from smartcity_kit.storage import ApiKeys, AuditLog, Database, Role
from smartcity_kit.web import AppConfig, create_app

NOW = dt.datetime(2027, 1, 20, 2, 0, tzinfo=dt.UTC)
BULO = "mks-maricaya-01"
WASTE = "mks-bs-mawar"
BAUBAU = "bau-katobengke-01"
BASE = "/api/economy"
NIK_ANDI = "7371105508950001"


@attrs.define
class Eco:
    db: Database
    client: FlaskClient
    keys: dict[str, dict[str, str]] = attrs.field(factory=dict)

    def as_(self, who: str) -> dict[str, str]:
        return self.keys.get(who, {})

    def head(self) -> int:
        return AuditLog(self.db).head_seq()

    def entries(self) -> int:
        with self.db.reading() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(store.entries)).scalar_one()
            )

    def get(self, path: str, who: str = "admin", **kw: Any) -> TestResponse:
        return self.client.get(BASE + path, headers=self.as_(who), **kw)

    def post(self, path: str, who: str = "admin", **kw: Any) -> TestResponse:
        return self.client.post(BASE + path, headers=self.as_(who), **kw)


def enterprise(enterprise_id: str, village: str, sector: str, **changes: Any) -> Enterprise:
    values: dict[str, Any] = {
        "id": enterprise_id,
        "city": "makassar",
        "name": f"BULo {enterprise_id}",
        "address": Address(village=RegionCode.parse(village), lorong="Lorong 3", rt=3, rw=5),
        "sector": sector,
        "legal_form": "cooperative",
        "founded": dt.date(2017, 8, 17),
    }
    values.update(changes)
    return Enterprise(**values)


@pytest.fixture
def eco(db: Database) -> Eco:
    clock = FixedClock(NOW)
    registry = EnterpriseRegistry(db, clock)
    registry.register(enterprise(BULO, "73.71.03.1001", "processed_food"), actor="cli")
    registry.register(
        enterprise(WASTE, "73.71.10.1001", "waste_bank", legal_form="community_group"),
        actor="cli",
    )
    registry.register(
        enterprise(BAUBAU, "74.72.01.1007", "crafts", city="baubau"),
        actor="cli",
    )
    registry.add_member(
        BULO, name="Andi Nurhaliza", joined=dt.date(2020, 1, 6), role="chair", actor="cli"
    )
    registry.add_member(BULO, name="Budi Santoso", joined=dt.date(2020, 1, 6), actor="cli")
    registry.add_member(WASTE, name="Siti Aminah", joined=dt.date(2020, 1, 6), actor="cli")
    config = AppConfig(cities=(CityProfile.builtin("makassar"), CityProfile.builtin("baubau")))
    app = create_app(config, database=db, clock=clock)
    found = Eco(db, app.test_client())
    keys = ApiKeys(db, clock)
    for who, role, kw in [
        ("admin", Role.ADMIN, {}),
        ("admin-baubau", Role.ADMIN, {"city": "baubau"}),
        ("auditor", Role.AUDITOR, {}),
        ("bendahara", Role.OPERATOR, {"agency": BULO}),
        ("bendahara-waste", Role.OPERATOR, {"agency": WASTE}),
        ("open311", Role.OPEN311_CLIENT, {}),
    ]:
        _, secret = keys.create(f"uji {who}", role, **kw)
        found.keys[who] = {"X-API-Key": secret}
    return found


def problem(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.data
    assert response.content_type == "application/problem+json"
    body = response.json
    assert isinstance(body, dict)
    assert body["status"] == status
    return body


def fields(response: TestResponse) -> dict[str, str]:
    """The fields a 400 names, with their messages."""
    return {e["field"]: e["message"] for e in problem(response, 400)["errors"]}


def ok(response: TestResponse, status: int = 200) -> Any:
    assert response.status_code == status, response.data
    return response.json


def sale(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"date": "2026-03-02", "amount": 75_000, "payment": "qris"}
    body.update(changes)
    return body


def entry(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "date": "2026-03-05",
        "description": "Bayar listrik Maret",
        "lines": [
            {"account": "6102", "debit": 120_000, "memo": "PLN"},
            {"account": "1101", "credit": 120_000},
        ],
    }
    body.update(changes)
    return body


# --- who may do what -------------------------------------------------------------------------

#: Who gets what: reading BULO, posting to BULO (a sale), registering an enterprise.
MATRIX = [
    ("admin", 200, 201),
    ("auditor", 200, 403),
    ("bendahara", 200, 201),
    ("bendahara-waste", 403, 403),
    ("admin-baubau", 403, 403),
    ("open311", 403, 403),
    ("nobody", 403, 403),
]


@pytest.mark.parametrize(("who", "read", "write"), MATRIX)
def test_the_role_matrix(eco: Eco, who: str, read: int, write: int) -> None:
    for path in ("", "/members", "/members/1", "/accounts", "/entries", "/closings"):
        response = eco.get(f"/enterprises/{BULO}{path}", who)
        assert response.status_code == read, (path, response.data)
    head, entries = eco.head(), eco.entries()
    posted = eco.post(f"/enterprises/{BULO}/transactions/sale", who, json=sale())
    assert posted.status_code == write, posted.data
    if write != 201:
        problem(posted, 403)
        assert (eco.head(), eco.entries()) == (head, entries)  # a refused posting writes nothing
    else:
        assert posted.json is not None
        assert posted.json["posted_by"].startswith("key:")


def test_only_admins_register_and_change_status(eco: Eco) -> None:
    for who in ("auditor", "bendahara", "open311", "nobody"):
        problem(eco.post(f"/enterprises/{BULO}/status", who, json={"status": "dormant"}), 403)
    assert (
        "auditor keys read"
        in problem(
            eco.post(
                f"/enterprises/{BULO}/members", "auditor", json={"name": "X", "joined": "2026"}
            ),
            403,
        )["detail"]
    )
    refused = problem(eco.get(f"/enterprises/{BULO}", "bendahara-waste"), 403)
    assert refused["detail"] == f"this key keeps the books of {WASTE}, not of {BULO}"
    assert (
        "this key is for baubau, not makassar"
        in problem(eco.get(f"/enterprises/{BULO}", "admin-baubau"), 403)["detail"]
    )
    ok(eco.get(f"/enterprises/{BAUBAU}", "admin-baubau"))
    bearer = {"Authorization": "Bearer " + eco.as_("auditor")["X-API-Key"]}
    ok(eco.client.get(f"{BASE}/enterprises/{BULO}", headers=bearer))
    problem(eco.get("/enterprises/no-such-bulo", "admin"), 404)
    # An operator is refused on another enterprise whether or not it exists.
    problem(eco.get("/enterprises/no-such-bulo", "bendahara"), 403)

    changed = ok(
        eco.client.patch(
            f"{BASE}/enterprises/{BULO}/status",
            headers=eco.as_("admin"),
            json={"status": "dormant"},
        )
    )
    assert changed["status"] == "dormant"
    dissolved = ok(eco.post(f"/enterprises/{BULO}/status", json={"status": "dissolved"}))
    assert dissolved["status"] == "dissolved"
    entries = eco.entries()
    refused_posting = fields(eco.post(f"/enterprises/{BULO}/transactions/sale", json=sale()))
    assert "is dissolved" in refused_posting["enterprise"]
    assert eco.entries() == entries
    assert fields(eco.post(f"/enterprises/{BULO}/status", json={"status": "bubar"})) == {
        "status": "must be one of active, dormant, dissolved"
    }


# --- enterprises -----------------------------------------------------------------------------


def new_enterprise(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "mks-barombong-07",
        "city": "makassar",
        "name": "BULo Lorong Wisata Barombong",
        "address": {"village": "73.71.10.1001", "lorong": "Lorong 7", "rt": 2, "rw": 1},
        "sector": "tourism_alley",
        "legal_form": "community_group",
        "founded": "2022-05-01",
        "nib": "9120001234567",
        "mentor_agency": "Kecamatan Tamalate",
    }
    body.update(changes)
    return body


def test_register_an_enterprise(eco: Eco) -> None:
    made = eco.post("/enterprises", json=new_enterprise())
    body = ok(made, 201)
    assert made.headers["Location"] == f"{BASE}/enterprises/mks-barombong-07"
    assert body["address"] == {
        "village": "73.71.10.1001",
        "district": "73.71.10",
        "street": None,
        "lorong": "Lorong 7",
        "rt": 2,
        "rw": 1,
        "postal_code": body["address"]["postal_code"],
    }
    assert (body["status"], body["nib"], body["founded"]) == (
        "active",
        "9120001234567",
        "2022-05-01",
    )
    chart = ok(eco.get("/enterprises/mks-barombong-07/accounts"))
    assert chart[0] == {
        "code": "1101",
        "name": "Kas",
        "type": "asset",
        "contra": False,
        "debit_normal": True,
        "savings": None,
    }
    problem(eco.post("/enterprises", json=new_enterprise()), 409)

    bad = fields(
        eco.post(
            "/enterprises",
            json=new_enterprise(
                id=None,
                sector="tambang",
                founded="01/05/2022",
                address={"village": "73.71.10", "rt": 0, "kota": "x"},
                nib="123",
                extra=1,
            ),
        )
    )
    assert set(bad) == {
        "id",
        "sector",
        "founded",
        "address.village",
        "address.rt",
        "address.kota",
        "nib",
        "extra",
    }
    assert bad["id"] == "is required"
    assert bad["founded"] == "must be a date (YYYY-MM-DD)"
    assert (
        fields(eco.post("/enterprises", json=new_enterprise(address={"village": "73.71.10.1001"})))[
            "address.lorong"
        ]
        == "must name the lorong (alley)"
    )
    assert "city" in fields(eco.post("/enterprises", json=new_enterprise(city="gotham")))
    assert "id" in fields(eco.post("/enterprises", json=new_enterprise(id="Bad Id!")))
    problem(eco.post("/enterprises", "admin-baubau", json=new_enterprise(id="mks-x-02")), 403)
    made_there = ok(
        eco.post(
            "/enterprises",
            "admin-baubau",
            json=new_enterprise(
                id="bau-x-02", city=None, address={"village": "74.72.01.1007", "lorong": "L 1"}
            ),
        ),
        201,
    )
    assert made_there["city"] == "baubau"


def test_list_enterprises(eco: Eco) -> None:
    def ids(who: str = "admin", query: str = "") -> list[str]:
        found = ok(eco.get(f"/enterprises{query}", who))
        return [e["id"] for e in found["items"]]

    assert ids() == [BAUBAU, WASTE, BULO]
    assert ids("auditor", "?city=makassar") == [WASTE, BULO]
    assert ids(query="?district=73.71.10") == [WASTE]
    assert ids(query="?sector=processed_food&status=active") == [BULO]
    assert ids(query="?status=dissolved") == []
    assert ids("bendahara") == [BULO]
    assert ids("admin-baubau") == [BAUBAU]
    problem(eco.get("/enterprises?city=makassar", "admin-baubau"), 403)
    assert ids(query="?page=2&page_size=2") == [BULO]
    assert set(fields(eco.get("/enterprises?sector=x&status=y&district=73.71&page=0"))) == {
        "sector",
        "status",
        "district",
        "page",
    }
    one = ok(eco.get(f"/enterprises/{BULO}"))
    assert one["name"] == f"BULo {BULO}"
    assert "closed_through" not in one


# --- members and personal data ---------------------------------------------------------------


def test_members_are_masked_unless_the_caller_keeps_the_book(eco: Eco) -> None:
    made = eco.post(
        f"/enterprises/{BULO}/members",
        "bendahara",
        json={
            "name": "Citra Lestari",
            "joined": "2026-02-01",
            "nik": NIK_ANDI,
            "role": "treasurer",
        },
    )
    body = ok(made, 201)
    assert made.headers["Location"] == f"{BASE}/enterprises/{BULO}/members/3"
    assert body == {
        "enterprise": BULO,
        "number": 3,
        "name": "Citra Lestari",
        "nik": "737110******0001",
        "masked": {"name": False, "nik": True},
        "joined": "2026-02-01",
        "role": "treasurer",
        "left": None,
    }

    def names(who: str) -> list[str]:
        return [m["name"] for m in ok(eco.get(f"/enterprises/{BULO}/members", who))["items"]]

    assert (
        names("admin") == names("bendahara") == ["Andi Nurhaliza", "Budi Santoso", "Citra Lestari"]
    )
    assert names("auditor") == ["A*** N***", "B*** S***", "C*** L***"]
    text = eco.get(f"/enterprises/{BULO}/members/3", "auditor").get_data(as_text=True)
    assert "Citra" not in text
    assert NIK_ANDI not in text
    assert NIK_ANDI not in eco.get(f"/enterprises/{BULO}/members/3", "bendahara").get_data(
        as_text=True
    )

    head = eco.head()
    revealed = ok(eco.get(f"/enterprises/{BULO}/members/3?reveal=nik"))
    assert (revealed["nik"], revealed["masked"]) == (NIK_ANDI, {"name": False, "nik": False})
    assert revealed["savings"] == {"principal": 0, "mandatory": 0, "voluntary": 0, "waste": 0}
    last = AuditLog(eco.db).entries()[-1]
    assert (last.seq, last.action, last.subject) == (
        head + 1,
        "economy.member.nik_revealed",
        f"member:{BULO}/3",
    )
    assert AuditLog(eco.db).verify().intact
    for who in ("bendahara", "auditor"):
        assert (
            "only admin keys"
            in problem(eco.get(f"/enterprises/{BULO}/members/3?reveal=nik", who), 403)["detail"]
        )
    assert fields(eco.get(f"/enterprises/{BULO}/members/3?reveal=name")) == {
        "reveal": "may only be 'nik'"
    }

    duplicate = problem(
        eco.post(
            f"/enterprises/{BULO}/members",
            json={"name": "Orang Lain", "joined": "2026-02-01", "nik": NIK_ANDI},
        ),
        409,
    )
    assert NIK_ANDI not in duplicate["detail"]
    bad = fields(
        eco.post(
            f"/enterprises/{BULO}/members",
            json={"name": "", "joined": "2026-02-30", "nik": "7371105508950000", "role": "boss"},
        )
    )
    assert set(bad) == {"name", "joined", "nik", "role"}
    assert bad["nik"] == "the serial number (last 4 digits) must not be 0000"
    assert "joined" in fields(
        eco.post(f"/enterprises/{BULO}/members", json={"name": "A B", "joined": "2010-01-01"})
    )

    changed = ok(
        eco.client.patch(
            f"{BASE}/enterprises/{BULO}/members/2",
            headers=eco.as_("bendahara"),
            json={"role": "secretary", "left": "2026-12-31"},
        )
    )
    assert (changed["role"], changed["left"], changed["name"]) == (
        "secretary",
        "2026-12-31",
        "Budi Santoso",
    )
    active = ok(eco.get(f"/enterprises/{BULO}/members?active_on=2027-01-01"))["items"]
    assert [m["number"] for m in active] == [1, 3]
    assert fields(eco.post(f"/enterprises/{BULO}/members/2", json={})) == {
        "": "give role, left or both"
    }
    assert "left" in fields(eco.post(f"/enterprises/{BULO}/members/2", json={"left": "2019-01-01"}))
    problem(eco.get(f"/enterprises/{BULO}/members/99"), 404)
    problem(eco.get(f"/enterprises/{BULO}/members/99999999999999"), 404)
    problem(eco.post(f"/enterprises/{BULO}/members/99", json={"role": "chair"}), 404)


# --- the chart and the journal ---------------------------------------------------------------


def test_accounts(eco: Eco) -> None:
    made = ok(
        eco.post(
            f"/enterprises/{BULO}/accounts",
            "bendahara",
            json={"code": "4104", "name": "Penjualan sirup markisa"},
        ),
        201,
    )
    assert made["type"] == "revenue"
    codes = [a["code"] for a in ok(eco.get(f"/enterprises/{BULO}/accounts", "auditor"))]
    assert "4104" in codes
    assert codes == sorted(codes)
    assert "code" in fields(
        eco.post(f"/enterprises/{BULO}/accounts", json={"code": "4104", "name": "Lagi"})
    )
    assert set(
        fields(
            eco.post(
                f"/enterprises/{BULO}/accounts",
                json={"code": "9999", "name": "", "contra": "yes", "savings": "gold"},
            )
        )
    ) == {"code", "name", "contra", "savings"}


def test_post_list_get_and_reverse_entries(eco: Eco) -> None:
    posted = eco.post(f"/enterprises/{BULO}/entries", "bendahara", json=entry())
    body = ok(posted, 201)
    number = body["id"]
    assert posted.headers["Location"] == f"{BASE}/enterprises/{BULO}/entries/{number}"
    assert body["kind"] == "general"
    assert body["total"] == 120_000
    assert body["lines"] == [
        {"account": "6102", "debit": 120_000, "credit": 0, "member": None, "memo": "PLN"},
        {"account": "1101", "debit": 0, "credit": 120_000, "member": None, "memo": None},
    ]
    assert body["posted_at"] == NOW.isoformat()
    ok(eco.post(f"/enterprises/{BULO}/transactions/sale", json=sale(date="2026-04-01")), 201)

    assert ok(eco.get(f"/enterprises/{BULO}/entries/{number}", "auditor")) == body
    problem(eco.get(f"/enterprises/{WASTE}/entries/{number}"), 404)
    problem(eco.get(f"/enterprises/{BULO}/entries/99999999999"), 404)

    journal = ok(eco.get(f"/enterprises/{BULO}/entries?period=2026-Q1"))
    assert [e["id"] for e in journal["items"]] == [number]
    by_kind = ok(eco.get(f"/enterprises/{BULO}/entries?kind=sale&page_size=1"))["items"]
    assert [e["kind"] for e in by_kind] == ["sale"]
    assert (
        ok(eco.get(f"/enterprises/{BULO}/entries?page=2&page_size=1"))["items"][0]["kind"] == "sale"
    )
    assert set(fields(eco.get(f"/enterprises/{BULO}/entries?period=last-year&kind=gift"))) == {
        "period",
        "kind",
    }

    reversed_ = ok(eco.post(f"/enterprises/{BULO}/entries/{number}/reverse", "bendahara"), 201)
    assert (reversed_["kind"], reversed_["reverses"], reversed_["date"]) == (
        "reversal",
        number,
        "2026-03-05",
    )
    assert reversed_["lines"][0]["credit"] == 120_000
    problem(eco.post(f"/enterprises/{BULO}/entries/{number}/reverse"), 409)
    problem(eco.post(f"/enterprises/{WASTE}/entries/{number}/reverse"), 404)
    problem(eco.post(f"/enterprises/{BULO}/entries/{number}/reverse", "bendahara-waste"), 403)
    second = ok(eco.post(f"/enterprises/{BULO}/entries", json=entry()), 201)
    dated = ok(
        eco.post(
            f"/enterprises/{BULO}/entries/{second['id']}/reverse",
            json={"date": "2026-03-31", "description": "Salah catat"},
        ),
        201,
    )
    assert (dated["date"], dated["description"]) == ("2026-03-31", "Salah catat")


def test_bad_entries_are_refused_and_write_nothing(eco: Eco) -> None:
    head, entries = eco.head(), eco.entries()
    path = f"/enterprises/{BULO}/entries"

    unbalanced = fields(
        eco.post(
            path,
            json=entry(
                lines=[
                    {"account": "6102", "debit": 120_000},
                    {"account": "1101", "credit": 100_000},
                ]
            ),
        )
    )
    assert unbalanced == {
        "lines": "do not balance: debits Rp120.000 and credits Rp100.000 differ by Rp20.000"
    }
    wrong_types = fields(
        eco.post(
            path,
            json=entry(
                lines=[
                    {"account": "6102", "debit": 120_000.0},
                    {"account": "1101", "credit": "120000"},
                    {"account": 1101, "credit": True},
                    {"account": "1101", "debit": 5, "credit": 5},
                    {"account": "1101", "debit": 0},
                    {"account": "1101", "debit": -5, "member": 0, "note": "x"},
                    "1101",
                ]
            ),
        )
    )
    assert set(wrong_types) == {
        "lines[0].debit",
        "lines[1].credit",
        "lines[2].account",
        "lines[2].credit",
        "lines[3]",
        "lines[4]",
        "lines[5].debit",
        "lines[5].member",
        "lines[5].note",
        "lines[6]",
    }
    assert "JSON integer" in wrong_types["lines[0].debit"]
    not_in_chart = fields(
        eco.post(
            path,
            json=entry(lines=[{"account": "6109", "debit": 5}, {"account": "1101", "credit": 5}]),
        )
    )
    assert not_in_chart == {"lines[0].account": "6109 is not in the chart of accounts of " + BULO}
    assert fields(eco.post(path, json=entry(kind="closing"))) == {
        "kind": "closing entries are made by POST .../closings"
    }
    assert set(fields(eco.post(path, json={"lines": "none", "kind": "x", "date": 20260305}))) == {
        "date",
        "description",
        "kind",
        "lines",
    }
    assert (
        fields(eco.post(path, json=entry(date="2026-3-5")))["date"] == "must be a date (YYYY-MM-DD)"
    )
    assert fields(eco.post(path, json=entry(date="2016-01-01")))["date"].startswith("is before")
    for far in ("9999-12-31", "1899-12-31"):
        assert fields(eco.post(path, json=entry(date=far))) == {
            "date": "must lie in the years 1900 to 2999"
        }
    assert fields(eco.post(path, json=entry(lines=[{"account": "1101", "debit": 1}]))) == {
        "lines": "must be a list of at least two lines"
    }
    savings_without_member = fields(
        eco.post(
            path,
            json=entry(lines=[{"account": "1101", "debit": 5}, {"account": "2201", "credit": 5}]),
        )
    )
    assert "lines[1].member" in savings_without_member

    malformed = eco.client.post(
        BASE + path,
        headers={**eco.as_("admin"), "Content-Type": "application/json"},
        data=b'{"date": "2026-03-05", ',
    )
    assert fields(malformed) == {"": "the body must be a JSON object"}
    assert fields(eco.post(path, json=[entry()])) == {"": "the body must be a JSON object"}
    assert fields(eco.post(path, data="date=2026-03-05")) == {"": "the body must be a JSON object"}
    assert (eco.head(), eco.entries()) == (head, entries)


# --- transactions ----------------------------------------------------------------------------


def test_every_transaction_kind(eco: Eco) -> None:
    def post(kind: str, body: dict[str, Any], who: str = "bendahara") -> dict[str, Any]:
        made = ok(eco.post(f"/enterprises/{BULO}/transactions/{kind}", who, json=body), 201)
        assert isinstance(made, dict)
        return made

    contribution = post("contribution", {"date": "2026-01-02", "amount": 5_000_000})
    assert [(ln["account"], ln["debit"], ln["credit"]) for ln in contribution["lines"]] == [
        ("1101", 5_000_000, 0),
        ("3101", 0, 5_000_000),
    ]
    assert contribution["description"] == "Setoran modal"
    purchase = post(
        "purchase",
        {"date": "2026-01-03", "amount": 1_000_000, "item": "inventory", "description": "Markisa"},
    )
    assert purchase["lines"][0]["account"] == "1105"
    sold = post(
        "sale",
        sale(amount=400_000, cost=250_000, member=1, payment="cash", description="Sirup"),
    )
    assert sold["kind"] == "sale"
    assert sold["lines"][1] == {
        "account": "4101",
        "debit": 0,
        "credit": 400_000,
        "member": 1,
        "memo": None,
    }
    assert len(sold["lines"]) == 4
    expense = post("expense", {"date": "2026-03-03", "amount": 150_000, "account": "6102"})
    assert expense["lines"][0]["account"] == "6102"
    depreciation = post("depreciation", {"date": "2026-12-31", "amount": 50_000})
    assert depreciation["lines"][1]["account"] == "1202"
    deposit = post(
        "savings-deposit",
        {"member": 2, "kind": "voluntary", "date": "2026-03-04", "amount": 30_000},
    )
    assert deposit["lines"][1] == {
        "account": "2201",
        "debit": 0,
        "credit": 30_000,
        "member": 2,
        "memo": None,
    }
    post(
        "savings-deposit",
        {"member": 2, "kind": "principal", "date": "2026-03-04", "amount": 10_000},
    )
    withdrawal = post(
        "savings-withdrawal",
        {
            "member": 2,
            "kind": "voluntary",
            "date": "2026-03-10",
            "amount": 20_000,
            "payment": "bank",
        },
    )
    assert withdrawal["lines"][1]["account"] == "1102"
    member = ok(eco.get(f"/enterprises/{BULO}/members/2", "bendahara"))
    assert member["savings"] == {
        "principal": 10_000,
        "mandatory": 0,
        "voluntary": 10_000,
        "waste": 0,
    }

    head, entries = eco.head(), eco.entries()
    path = f"/enterprises/{BULO}/transactions"
    too_much = fields(
        eco.post(
            f"{path}/savings-withdrawal",
            json={"member": 2, "kind": "voluntary", "date": "2026-03-11", "amount": 10_001},
        )
    )
    assert set(too_much) == {"amount"}
    assert "below zero" in too_much["amount"]
    assert set(
        fields(
            eco.post(
                f"{path}/savings-withdrawal",
                json={"member": 2, "kind": "principal", "date": "2026-03-11", "amount": 1},
            )
        )
    ) == {"kind"}
    assert fields(eco.post(f"{path}/sale", json=sale(member=9))) == {
        "member": f"9 is not a member of {BULO}"
    }
    assert fields(eco.post(f"{path}/sale", json=sale(account="6102"))) == {
        "account": "must be a revenue account (4xxx)"
    }
    assert fields(eco.post(f"{path}/purchase", json=sale(payment="qris"))) == {
        "payment": "must be cash, bank or credit for a purchase"
    }
    wrong = fields(
        eco.post(
            f"{path}/sale",
            json={"date": "2026-02-29", "amount": 75_000.0, "payment": "gopay", "cost": True},
        )
    )
    assert set(wrong) == {"date", "amount", "payment", "cost"}
    for amount in (0, -5, "75000", 10**16, None):
        assert "amount" in fields(eco.post(f"{path}/expense", json=sale(amount=amount)))
    assert fields(eco.post(f"{path}/depreciation", json=sale())) == {
        "payment": "is not a field here"
    }
    problem(eco.post(f"{path}/gift", json=sale()), 404)
    problem(eco.post(f"{path}/gift", "auditor", json=sale()), 403)
    assert (eco.head(), eco.entries()) == (head, entries)


# --- closing, statements, SHU ----------------------------------------------------------------


def a_year_of_business(eco: Eco) -> None:
    path = f"/enterprises/{BULO}/transactions"
    for kind, body in [
        ("contribution", {"date": "2026-01-02", "amount": 2_000_000}),
        (
            "savings-deposit",
            {"member": 1, "kind": "principal", "date": "2026-01-05", "amount": 100_000},
        ),
        (
            "savings-deposit",
            {"member": 2, "kind": "mandatory", "date": "2026-01-05", "amount": 300_000},
        ),
        ("purchase", {"date": "2026-02-01", "amount": 600_000}),
        ("sale", sale(amount=900_000, cost=400_000, member=1)),
        ("sale", sale(amount=300_000, cost=100_000, member=2, payment="cash")),
        ("sale", sale(amount=500_000, cost=100_000)),
        ("expense", {"date": "2026-06-30", "amount": 100_000, "account": "6102"}),
    ]:
        ok(eco.post(f"{path}/{kind}", "bendahara", json=body), 201)


def test_statements_in_three_formats(eco: Eco) -> None:
    a_year_of_business(eco)
    path = f"/enterprises/{BULO}"
    as_json = ok(eco.get(f"{path}/statements?period=2026", "auditor"))
    assert as_json["balanced"] is True
    assert as_json["enterprise"]["id"] == BULO
    assert as_json["period"]["start"] == "2026-01-01"

    html = eco.get(f"{path}/statements?period=2026&format=html", "bendahara")
    assert html.status_code == 200
    assert html.content_type == "text/html; charset=utf-8"
    assert "Laporan Posisi Keuangan" in html.get_data(as_text=True)
    assert "Andi" not in html.get_data(as_text=True)

    xlsx = eco.get(f"{path}/statements?period=2026&format=xlsx")
    assert xlsx.status_code == 200
    assert xlsx.content_type == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert xlsx.headers["Content-Disposition"] == (
        f'attachment; filename="laporan-keuangan-{BULO}-2026.xlsx"'
    )
    assert xlsx.data.startswith(b"PK\x03\x04")
    quarter = eco.get(f"{path}/statements?period=2026-01-01/2026-06-30&format=xlsx")
    assert quarter.headers["Content-Disposition"].endswith(f'-{BULO}-2026-01-01_2026-06-30.xlsx"')
    this_year = ok(eco.get(f"{path}/statements"))  # the clock's year
    assert this_year["period"]["start"] == "2027-01-01"
    assert set(fields(eco.get(f"{path}/statements?period=2026-13&format=pdf"))) == {
        "period",
        "format",
    }
    problem(eco.get(f"{path}/statements", "bendahara-waste"), 403)
    for far in ("0001", "9999", "2026-01-01/3000-01-01"):
        assert fields(eco.get(f"{path}/statements?period={far}")) == {
            "period": "must lie in the years 1900 to 2999"
        }


def test_closing_and_shu(eco: Eco) -> None:
    a_year_of_business(eco)
    path = f"/enterprises/{BULO}"
    early = fields(eco.post(f"{path}/shu", json={"year": 2026, "date": "2027-01-10"}))
    assert early["year"] == "close the books through 2026-12-31 first"
    closed = ok(eco.post(f"{path}/closings", "bendahara", json={"through": "2026-12-31"}), 201)
    assert (closed["start"], closed["through"], closed["result"]) == (
        "2017-08-17",
        "2026-12-31",
        1_000_000,
    )
    assert closed["closed_by"].startswith("key:")
    assert [c["through"] for c in ok(eco.get(f"{path}/closings", "auditor"))] == ["2026-12-31"]
    assert "through" in fields(eco.post(f"{path}/closings", json={"through": "2026-06-30"}))
    assert "date" in fields(eco.post(f"{path}/transactions/sale", json=sale()))
    assert ok(eco.get(path))["closed_through"] == "2026-12-31"

    bad_split = fields(
        eco.post(
            f"{path}/shu",
            json={"year": "2026", "date": "2027-01-10", "split": {"reserve": "60", "gold": 1}},
        )
    )
    assert set(bad_split) == {"year", "split.gold"}
    assert fields(
        eco.post(
            f"{path}/shu", json={"year": 2026, "date": "2027-01-10", "split": {"reserve": 2.5}}
        )
    ) == {"split.reserve": "must be a percentage as text (like '2.5') or a whole number"}
    assert "split" in fields(
        eco.post(f"{path}/shu", json={"year": 2026, "date": "2027-01-10", "split": {"reserve": 60}})
    )
    split = {
        "reserve": "40",
        "member_business": "25",
        "member_capital": "15",
        "management": "5",
        "employees": "5",
        "education": "5",
        "social": "2.5",
        "area_development": "2.5",
    }
    made = eco.post(
        f"{path}/shu", "bendahara", json={"year": 2026, "date": "2027-01-10", "split": split}
    )
    shu = ok(made, 201)
    assert made.headers["Location"] == f"{BASE}{path}/shu/2026"
    assert (shu["year"], shu["surplus"]) == (2026, 1_000_000)
    assert sum(shu["pools"].values()) == 1_000_000
    assert [m["member"] for m in shu["members"]] == [1, 2]
    assert "name" not in shu["members"][0]
    assert ok(eco.get(f"{path}/shu/2026", "auditor")) == shu
    problem(eco.post(f"{path}/shu", json={"year": 2026, "date": "2027-01-10"}), 409)
    problem(eco.get(f"{path}/shu/2025"), 404)
    problem(eco.get(f"{path}/shu/99999"), 404)

    paid = ok(
        eco.post(f"{path}/shu/payments", "bendahara", json={"member": 1, "date": "2027-01-15"}),
        201,
    )
    assert paid["lines"][0]["account"] == "2301"
    assert paid["total"] == shu["members"][0]["total"]
    assert fields(eco.post(f"{path}/shu/payments", json={"member": 1, "date": "2027-01-16"})) == {
        "member": "member 1 is owed no SHU"
    }
    assert set(
        fields(eco.post(f"{path}/shu/payments", json={"member": "1", "payment": "gopay"}))
    ) == {
        "member",
        "date",
        "payment",
    }


# --- the waste bank --------------------------------------------------------------------------


def test_the_waste_bank(eco: Eco) -> None:
    path = f"/enterprises/{WASTE}/waste"
    who = "bendahara-waste"
    ok(eco.post(f"{path}/types", who, json={"code": "pet", "name": "Plastik PET"}), 201)
    ok(eco.post(f"{path}/types", who, json={"code": "kardus", "name": "Kardus"}), 201)
    assert ok(eco.get(f"{path}/types", "auditor")) == [
        {"code": "kardus", "name": "Kardus"},
        {"code": "pet", "name": "Plastik PET"},
    ] or ok(eco.get(f"{path}/types", "auditor")) == [
        {"code": "pet", "name": "Plastik PET"},
        {"code": "kardus", "name": "Kardus"},
    ]
    assert "code" in fields(eco.post(f"{path}/types", who, json={"code": "PET!", "name": "x"}))
    problem(eco.post(f"{path}/types", "bendahara", json={"code": "pet", "name": "x"}), 403)
    problem(eco.post(f"{path}/types", who, json={"code": "pet", "name": "Botol"}), 409)

    price = ok(
        eco.post(
            f"{path}/prices",
            who,
            json={
                "waste_type": "pet",
                "effective_from": "2026-01-01",
                "buy_per_kg": 3_000,
                "sell_per_kg": 4_000,
            },
        ),
        201,
    )
    assert price == {
        "waste_type": "pet",
        "effective_from": "2026-01-01",
        "buy_per_kg": 3_000,
        "sell_per_kg": 4_000,
    }
    ok(
        eco.post(
            f"{path}/prices",
            who,
            json={"waste_type": "pet", "effective_from": "2026-06-01", "buy_per_kg": 3_500},
        ),
        201,
    )
    ok(
        eco.post(
            f"{path}/prices",
            who,
            json={"waste_type": "kardus", "effective_from": "2026-01-01", "buy_per_kg": 1_500},
        ),
        201,
    )
    in_march = ok(eco.get(f"{path}/prices?on=2026-03-01"))
    assert sorted((p["waste_type"], p["buy_per_kg"]) for p in in_march) == [
        ("kardus", 1_500),
        ("pet", 3_000),
    ]
    assert len(ok(eco.get(f"{path}/prices?waste_type=pet"))) == 2
    assert len(ok(eco.get(f"{path}/prices"))) == 3
    assert fields(eco.get(f"{path}/prices?on=maret")) == {"on": "must be a date (YYYY-MM-DD)"}
    assert set(
        fields(
            eco.post(
                f"{path}/prices",
                who,
                json={"waste_type": "pet", "effective_from": "2026-06-01", "buy_per_kg": 3.5},
            )
        )
    ) == {"buy_per_kg"}

    deposit = ok(
        eco.post(
            f"{path}/deposits",
            who,
            json={
                "member": 1,
                "date": "2026-03-02",
                "items": [
                    {"waste_type": "pet", "grams": 2_500},
                    {"waste_type": "kardus", "grams": 333},
                ],
            },
        ),
        201,
    )
    assert deposit["total"] == 7_500 + 500
    assert deposit["items"][0] == {
        "waste_type": "pet",
        "grams": 2_500,
        "price_per_kg": 3_000,
        "value": 7_500,
    }
    assert isinstance(deposit["entry"], int)
    head, entries = eco.head(), eco.entries()
    bad_items = fields(
        eco.post(
            f"{path}/deposits",
            who,
            json={
                "member": 1,
                "date": "2026-03-02",
                "items": [
                    {"waste_type": "pet", "grams": 2.5},
                    {"waste_type": "pet", "grams": True},
                    {"grams": 5, "kg": 1},
                    "pet",
                ],
            },
        )
    )
    assert set(bad_items) == {
        "items[0].grams",
        "items[1].grams",
        "items[2].waste_type",
        "items[2].kg",
        "items[3]",
    }
    assert "items" in fields(
        eco.post(f"{path}/deposits", who, json={"member": 1, "date": "2026-03-02", "items": []})
    )
    assert (eco.head(), eco.entries()) == (head, entries)

    withdrawn = ok(
        eco.post(
            f"{path}/withdrawals", who, json={"member": 1, "date": "2026-03-05", "amount": 5_000}
        ),
        201,
    )
    assert withdrawn["kind"] == "savings_withdrawal"
    too_much = fields(
        eco.post(
            f"{path}/withdrawals", who, json={"member": 1, "date": "2026-03-05", "amount": 5_000}
        )
    )
    assert set(too_much) == {"amount"}
    member = ok(eco.get(f"/enterprises/{WASTE}/members/1", who))
    assert member["savings"]["waste"] == 3_000
    assert member["name"] == "Siti Aminah"

    sold = ok(
        eco.post(
            f"{path}/sales",
            who,
            json={
                "date": "2026-03-09",
                "buyer": "Bank Sampah Induk Makassar",
                "items": [{"waste_type": "pet", "grams": 2_000}],
            },
        ),
        201,
    )
    assert (sold["amount"], sold["cost"], sold["buyer"]) == (
        8_000,
        6_000,
        "Bank Sampah Induk Makassar",
    )
    stock = {s["waste_type"]: s for s in ok(eco.get(f"{path}/stock", "auditor"))}
    assert stock["pet"] == {"waste_type": "pet", "grams": 500, "value": 1_500}
    before_sale = {
        s["waste_type"]: s["grams"] for s in ok(eco.get(f"{path}/stock?as_of=2026-03-03"))
    }
    assert before_sale["pet"] == 2_500
    assert fields(eco.get(f"{path}/stock?as_of=2026-02-30")) == {
        "as_of": "must be a real date (YYYY-MM-DD)"
    }
    assert "items[0].grams" in fields(
        eco.post(
            f"{path}/sales",
            who,
            json={
                "date": "2026-03-10",
                "buyer": "X",
                "items": [{"waste_type": "pet", "grams": 9_000}],
            },
        )
    )


# --- the city --------------------------------------------------------------------------------


def test_the_city_overview_is_open_data(eco: Eco) -> None:
    a_year_of_business(eco)
    overview = ok(eco.client.get(f"{BASE}/cities/makassar/overview?period=2026"))
    assert overview["city"] == "makassar"
    assert overview["group_by"] == ["district", "sector"]
    assert overview["total"]["enterprises"] == 2
    assert overview["total"]["revenue"] == 1_700_000
    assert [(r["district"], r["sector"]) for r in overview["rows"]] == [
        ("73.71.03", "processed_food"),
        ("73.71.10", "waste_bank"),
    ]
    assert len(overview["trend"]) == 12
    text = eco.client.get(f"{BASE}/cities/makassar/overview?period=2026").get_data(as_text=True)
    assert "Andi" not in text

    by_sector = ok(
        eco.client.get(
            f"{BASE}/cities/makassar/overview?period=2026-Q1&group_by=sector&sector=waste_bank"
        )
    )
    assert [r["sector"] for r in by_sector["rows"]] == ["waste_bank"]
    total_only = ok(eco.client.get(f"{BASE}/cities/makassar/overview?group_by=&district=73.71.03"))
    assert total_only["period"] == {"start": "2027-01-01", "end": "2027-12-31"}
    assert len(total_only["rows"]) == 1
    assert (
        ok(eco.client.get(f"{BASE}/cities/baubau/overview?period=2026"))["total"]["enterprises"]
        == 1
    )
    problem(eco.client.get(f"{BASE}/cities/gotham/overview"), 404)
    assert set(fields(eco.client.get(f"{BASE}/cities/makassar/overview?period=9999"))) == {"period"}
    assert set(fields(eco.client.get(f"{BASE}/cities/makassar/overview?period=tahun-ini"))) == {
        "period"
    }
    assert set(fields(eco.client.get(f"{BASE}/cities/makassar/overview?group_by=village"))) == {
        "group_by"
    }
    assert set(fields(eco.client.get(f"{BASE}/cities/makassar/overview?district=73.71"))) == {
        "district"
    }
    assert set(fields(eco.client.get(f"{BASE}/cities/makassar/overview?sector=tambang"))) == {
        "sector"
    }


# --- the published declaration ---------------------------------------------------------------


def test_bad_parameters_and_fields_are_named_without_their_values(eco: Eco) -> None:
    private = "Rahasia-7371105508950001"
    for path in (
        f"/enterprises?sector={private}",
        f"/enterprises/{BULO}/members?active_on={private}",
        f"/enterprises/{BULO}/entries?kind={private}",
        f"/enterprises/{BULO}/waste/stock?as_of={private}",
    ):
        response = eco.get(path)
        assert private not in response.get_data(as_text=True)
        assert len(fields(response)) == 1, path
    assert fields(eco.get(f"/enterprises/{BULO}/statements?format=pdf&page=x")) == {
        "format": "must be json, html or xlsx"
    }
    refused = eco.post(
        f"/enterprises/{BULO}/members",
        json={"name": private, "joined": private, "nik": 7371105508950001, "hobby": private},
    )
    assert private not in refused.get_data(as_text=True)
    assert "7371105508950001" not in refused.get_data(as_text=True)
    assert fields(refused) == {
        "joined": "must be a date (YYYY-MM-DD)",
        "nik": "must be a NIK (16 digits) as text",
        "hobby": "is not a field here",
    }
    # The schema and the readers speak together: every problem in one answer.
    both = fields(
        eco.post(
            "/enterprises",
            json=new_enterprise(
                address={"village": "73.71.10.1001", "rt": 1000, "kota": "x"}, nib="123"
            ),
        )
    )
    assert set(both) == {"address.rt", "address.kota", "nib"}
    assert both["address.rt"] == "must be at most 999"
    assert fields(eco.post(f"/enterprises/{BULO}/transactions/sale", json=sale(memo="x"))) == {
        "memo": "is not a field here"
    }


def test_every_endpoint_is_published(eco: Eco) -> None:
    document = eco.client.get("/api/openapi.json").get_json()
    paths = document["paths"]
    e = f"{BASE}/enterprises/{{enterprise_id}}"
    expected = {
        f"{BASE}/enterprises": {"get", "post"},
        e: {"get"},
        f"{e}/status": {"post", "patch"},
        f"{e}/members": {"get", "post"},
        f"{e}/members/{{number}}": {"get", "post", "patch"},
        f"{e}/accounts": {"get", "post"},
        f"{e}/entries": {"get", "post"},
        f"{e}/entries/{{number}}": {"get"},
        f"{e}/entries/{{number}}/reverse": {"post"},
        f"{e}/transactions/{{kind}}": {"post"},
        f"{e}/closings": {"get", "post"},
        f"{e}/statements": {"get"},
        f"{e}/shu": {"post"},
        f"{e}/shu/{{year}}": {"get"},
        f"{e}/shu/payments": {"post"},
        f"{e}/waste/types": {"get", "post"},
        f"{e}/waste/prices": {"get", "post"},
        f"{e}/waste/deposits": {"post"},
        f"{e}/waste/withdrawals": {"post"},
        f"{e}/waste/sales": {"post"},
        f"{e}/waste/stock": {"get"},
        f"{BASE}/cities/{{city}}/overview": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
        for method in methods:
            assert paths[path][method]["tags"] == ["economy"]
    assert sum(len(m) for m in expected.values()) == 32  # 30 routes, 2 of them with two methods
    overview = paths[f"{BASE}/cities/{{city}}/overview"]["get"]
    assert overview["security"] == []
    assert {p["name"] for p in overview["parameters"]} == {
        "city",
        "period",
        "group_by",
        "district",
        "sector",
    }
    post_entry = paths[f"{e}/entries"]["post"]
    assert post_entry["requestBody"]["required"] is True
    assert paths[f"{e}/entries/{{number}}/reverse"]["post"]["requestBody"]["required"] is False
    assert set(post_entry["responses"]) == {"201", "400", "403", "404", "413", "503"}
    schemas = document["components"]["schemas"]
    assert {"EconomyEnterprise", "EconomyMember", "EconomyEntry", "EconomyShu"} <= set(schemas)
