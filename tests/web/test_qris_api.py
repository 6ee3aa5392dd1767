"""The QRIS API: merchant data, public static codes, sales, payments and notifications."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from smartcity_kit.core import Address, CityProfile, FixedClock, RegionCode, Rupiah
from smartcity_kit.economy import Books, Enterprise, EnterpriseRegistry
from smartcity_kit.economy import _store as store
from smartcity_kit.economy.qris import parse_qris
from smartcity_kit.storage import ApiKeys, AuditLog, Database, Role
from smartcity_kit.web import AppConfig, create_app

NOW = dt.datetime(2027, 1, 20, 2, 0, tzinfo=dt.UTC)
BULO = "mks-maricaya-01"
WASTE = "mks-bs-mawar"
BAUBAU = "bau-katobengke-01"
BASE = "/api/economy"
NMID = "ID1020000000001"
MERCHANT = {"nmid": NMID, "mcc": "5499", "city": "MAKASSAR"}
ITEMS = [
    {"name": "Sirup markisa 600 ml", "quantity": 2, "unit_price": 35000},
    {"name": "Tas anyaman", "quantity": 1, "unit_price": 15000},
]


@attrs.define
class Api:
    db: Database
    client: FlaskClient
    keys: dict[str, dict[str, str]] = attrs.field(factory=dict)

    def head(self) -> int:
        return AuditLog(self.db).head_seq()

    def entries(self) -> int:
        with self.db.reading() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(store.entries)).scalar_one()
            )

    def get(self, path: str, who: str | None = "admin", **kw: Any) -> TestResponse:
        headers = {**(self.keys[who] if who else {}), **kw.pop("headers", {})}
        return self.client.get(BASE + path, headers=headers, **kw)

    def post(self, path: str, who: str | None = "admin", **kw: Any) -> TestResponse:
        return self.client.post(BASE + path, headers=self.keys[who] if who else {}, **kw)

    def put(self, path: str, who: str | None = "admin", **kw: Any) -> TestResponse:
        return self.client.put(BASE + path, headers=self.keys[who] if who else {}, **kw)

    def sale(self, who: str = "bendahara", **body: Any) -> dict[str, Any]:
        found: dict[str, Any] = ok(
            self.post(f"/enterprises/{BULO}/sales", who, json={"items": ITEMS, **body}), 201
        )
        return found


def enterprise(enterprise_id: str, sector: str, **changes: Any) -> Enterprise:
    values: dict[str, Any] = {
        "id": enterprise_id,
        "city": "makassar",
        "name": f"BULo {enterprise_id}",
        "address": Address(
            village=RegionCode.parse("73.71.03.1001"), lorong="Lorong 3", postal_code="90111"
        ),
        "sector": sector,
        "legal_form": "cooperative",
        "founded": dt.date(2017, 8, 17),
    }
    values.update(changes)
    return Enterprise(**values)


@pytest.fixture
def api(db: Database) -> Api:
    clock = FixedClock(NOW)
    registry = EnterpriseRegistry(db, clock)
    registry.register(enterprise(BULO, "processed_food", name="BULo Maricaya"), actor="cli")
    registry.register(enterprise(WASTE, "waste_bank"), actor="cli")
    registry.register(
        enterprise(
            BAUBAU,
            "crafts",
            city="baubau",
            address=Address(village=RegionCode.parse("74.72.01.1007"), lorong="Lorong 1"),
        ),
        actor="cli",
    )
    registry.add_member(BULO, name="Andi Nurhaliza", joined=dt.date(2020, 1, 6), actor="cli")
    config = AppConfig(cities=(CityProfile.builtin("makassar"), CityProfile.builtin("baubau")))
    app = create_app(config, database=db, clock=clock)
    found = Api(db, app.test_client())
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


@pytest.fixture
def shop(api: Api) -> Api:
    """The BULo with its merchant data saved by its bendahara."""
    ok(api.put(f"/enterprises/{BULO}/qris/merchant", "bendahara", json=MERCHANT))
    return api


def problem(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.data
    assert response.content_type == "application/problem+json"
    body = response.json
    assert isinstance(body, dict)
    assert body["status"] == status
    return body


def fields(response: TestResponse) -> dict[str, str]:
    return {e["field"]: e["message"] for e in problem(response, 400)["errors"]}


def ok(response: TestResponse, status: int = 200) -> Any:
    assert response.status_code == status, response.data
    return response.json


# --- merchant data ------------------------------------------------------------------------------


def test_merchant_data_defaults_to_the_enterprise(api: Api) -> None:
    problem(api.get(f"/enterprises/{BULO}/qris/merchant"), 404)
    saved = ok(api.put(f"/enterprises/{BULO}/qris/merchant", "bendahara", json=MERCHANT))
    assert saved == {
        "enterprise": BULO,
        "nmid": NMID,
        "mcc": "5499",
        "name": "BULO MARICAYA",
        "city": "MAKASSAR",
        "postal_code": "90111",
        "criteria": "UMI",
        "merchant_pan": None,
        "acquirer_guid": None,
    }
    assert ok(api.get(f"/enterprises/{BULO}/qris/merchant", "auditor")) == saved
    changed = ok(
        api.put(
            f"/enterprises/{BULO}/qris/merchant",
            json={**MERCHANT, "name": "SIRUP MARICAYA", "postal_code": "90112", "criteria": "UKE"},
        )
    )
    assert (changed["name"], changed["postal_code"], changed["criteria"]) == (
        "SIRUP MARICAYA",
        "90112",
        "UKE",
    )


def test_bad_merchant_data_names_each_field(api: Api) -> None:
    head = api.head()
    bad = fields(
        api.put(
            f"/enterprises/{BULO}/qris/merchant",
            json={"nmid": 1020, "mcc": "5499", "criteria": "UMKM", "colour": "red"},
        )
    )
    assert set(bad) == {"nmid", "city", "criteria", "colour"}
    bad = fields(
        api.put(
            f"/enterprises/{BULO}/qris/merchant",
            json={**MERCHANT, "nmid": "NMID-1", "name": "X" * 26},
        )
    )
    assert {"nmid", "name"} <= set(bad)
    problem(api.put(f"/enterprises/{BULO}/qris/merchant", data="nmid"), 400)
    assert api.head() == head


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 403), ("auditor", 403), ("bendahara-waste", 403), ("open311", 403)],
)
def test_only_bookkeepers_save_merchant_data(api: Api, who: str | None, status: int) -> None:
    problem(api.put(f"/enterprises/{BULO}/qris/merchant", who, json=MERCHANT), status)


def test_merchant_data_is_for_its_readers(shop: Api) -> None:
    problem(shop.get(f"/enterprises/{BULO}/qris/merchant", None), 403)
    problem(shop.get(f"/enterprises/{BULO}/qris/merchant", "bendahara-waste"), 403)
    problem(shop.get(f"/enterprises/{BULO}/qris/merchant", "admin-baubau"), 403)
    problem(shop.get("/enterprises/mks-nowhere-01/qris/merchant"), 404)


# --- the static code ----------------------------------------------------------------------------


def test_the_static_code_is_public_in_every_format(shop: Api) -> None:
    found = ok(shop.get(f"/enterprises/{BULO}/qris.json", None))
    code = parse_qris(found["payload"])
    assert not code.is_dynamic
    assert code.nmid == NMID
    assert found["fields"]["merchant_name"] == "BULO MARICAYA"
    assert found["fields"]["nmid"] == NMID
    assert found["fields"]["amount"] is None
    assert found["fields"]["postal_code"] == "90111"
    png = shop.get(f"/enterprises/{BULO}/qris.png", None)
    assert png.status_code == 200
    assert png.content_type == "image/png"
    assert png.data.startswith(b"\x89PNG")
    svg = shop.get(f"/enterprises/{BULO}/qris.svg", None)
    assert svg.content_type.startswith("image/svg+xml")
    assert b"<svg" in svg.data
    html = shop.get(f"/enterprises/{BULO}/qris.html", None)
    assert html.content_type.startswith("text/html")
    assert b"BULO MARICAYA" in html.data
    problem(shop.get(f"/enterprises/{BULO}/qris.gif", None), 404)


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("image/png", "image/png"),
        ("image/svg+xml", "image/svg+xml"),
        ("text/html,application/xhtml+xml", "text/html"),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        ("text/plain", "application/json"),
    ],
)
def test_the_accept_header_chooses_the_format(shop: Api, accept: str, content_type: str) -> None:
    response = shop.get(f"/enterprises/{BULO}/qris", None, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.content_type.startswith(content_type)
    assert "Accept" in response.headers["Vary"]


def test_no_static_code_without_merchant_data(api: Api) -> None:
    problem(api.get(f"/enterprises/{BULO}/qris", None), 404)
    problem(api.get("/enterprises/mks-nowhere-01/qris.png", None), 404)


# --- sales --------------------------------------------------------------------------------------


def test_a_sale_is_made_read_and_listed(shop: Api) -> None:
    response = shop.post(f"/enterprises/{BULO}/sales", "bendahara", json={"items": ITEMS})
    sale = ok(response, 201)
    assert response.headers["Location"] == f"{BASE}/sales/{sale['id']}"
    assert sale["amount"] == 85000
    assert sale["status"] == "pending"
    assert sale["reference"] == f"QRS{sale['id']:09d}"
    assert sale["date"] == "2027-01-20"
    assert sale["items"][0] == {
        "name": "Sirup markisa 600 ml",
        "quantity": 2,
        "unit_price": 35000,
        "total": 70000,
    }
    assert ok(shop.get(f"/sales/{sale['id']}", "auditor")) == sale
    listed = ok(shop.get(f"/enterprises/{BULO}/sales?status=pending&page_size=10"))
    assert (listed["page"], listed["page_size"]) == (1, 10)
    assert [s["id"] for s in listed["items"]] == [sale["id"]]
    assert ok(shop.get(f"/enterprises/{BULO}/sales?status=paid"))["items"] == []


def test_a_sale_to_a_member_on_a_day(shop: Api) -> None:
    sale = shop.sale(member=1, date="2027-01-19")
    assert (sale["member"], sale["date"]) == (1, "2027-01-19")


def test_bad_sales_name_each_field_and_write_nothing(shop: Api) -> None:
    head = shop.head()
    bad = fields(
        shop.post(
            f"/enterprises/{BULO}/sales",
            "bendahara",
            json={
                "items": [
                    {"name": "", "quantity": 1, "unit_price": 1000},
                    {"name": "Sirup", "quantity": 1.5, "unit_price": 1000},
                    {"name": "Sirup", "quantity": 1, "unit_price": -1000},
                    {"name": "Sirup", "quantity": 1},
                    {"name": "Sirup", "quantity": 1, "unit_price": 1000, "colour": "red"},
                    "Sirup",
                ],
                "date": "2027-02-30",
                "member": 0,
                "payment": "qris",
            },
        )
    )
    assert set(bad) == {
        "items[0].name",
        "items[1].quantity",
        "items[2].unit_price",
        "items[3].unit_price",
        "items[4].colour",
        "items[5]",
        "date",
        "member",
        "payment",
    }
    # A float price is refused by the view (JSON Schema's integers take 1000.0).
    float_price = {"name": "Sirup", "quantity": 1, "unit_price": 1000.0}
    assert set(
        fields(shop.post(f"/enterprises/{BULO}/sales", "bendahara", json={"items": [float_price]}))
    ) == {"items[0].unit_price"}
    assert "items" in fields(shop.post(f"/enterprises/{BULO}/sales", "bendahara", json={}))
    assert "items" in fields(
        shop.post(f"/enterprises/{BULO}/sales", "bendahara", json={"items": []})
    )
    assert "member" in fields(
        shop.post(f"/enterprises/{BULO}/sales", "bendahara", json={"items": ITEMS, "member": 7})
    )
    assert shop.head() == head


def test_a_sale_needs_merchant_data(api: Api) -> None:
    bad = fields(api.post(f"/enterprises/{BULO}/sales", "bendahara", json={"items": ITEMS}))
    assert "merchant" in bad


def test_bad_list_parameters_are_named(shop: Api) -> None:
    bad = fields(shop.get(f"/enterprises/{BULO}/sales?status=lunas&page_size=0&page=x"))
    assert set(bad) == {"status", "page_size", "page"}


@pytest.mark.parametrize("who", [None, "auditor", "bendahara-waste", "admin-baubau", "open311"])
def test_only_bookkeepers_make_sales(shop: Api, who: str | None) -> None:
    problem(shop.post(f"/enterprises/{BULO}/sales", who, json={"items": ITEMS}), 403)


def test_a_sale_is_for_its_enterprises_readers(shop: Api) -> None:
    sale = shop.sale()
    for who in (None, "bendahara-waste", "admin-baubau", "open311"):
        problem(shop.get(f"/sales/{sale['id']}", who), 403)
        problem(shop.get(f"/sales/{sale['id']}/qris.json", who), 403)
    problem(shop.get("/sales/999"), 404)
    problem(shop.get(f"/sales/{2**40}"), 404)
    problem(shop.get(f"/enterprises/{BULO}/sales", "bendahara-waste"), 403)


# --- the dynamic code ---------------------------------------------------------------------------


def test_the_dynamic_code_of_a_pending_sale(shop: Api) -> None:
    sale = shop.sale()
    found = ok(shop.get(f"/sales/{sale['id']}/qris.json", "auditor"))
    code = parse_qris(found["payload"])
    assert code.is_dynamic
    assert code.amount == Rupiah(85000)
    assert found["fields"]["amount"] == 85000
    assert found["fields"]["additional"]["reference_label"] == sale["reference"]
    assert found["fields"]["additional"]["bill_number"] == str(sale["id"])
    png = shop.get(f"/sales/{sale['id']}/qris", headers={"Accept": "image/png"})
    assert png.content_type == "image/png"
    ok(shop.post(f"/sales/{sale['id']}/cancel", "bendahara"))
    problem(shop.get(f"/sales/{sale['id']}/qris.png"), 409)


# --- payments -----------------------------------------------------------------------------------


def test_marking_paid_posts_once(shop: Api) -> None:
    sale = shop.sale()
    entries = shop.entries()
    first = ok(
        shop.post(
            f"/sales/{sale['id']}/paid",
            "bendahara",
            json={"paid_at": "2027-01-20T10:05:00+08:00", "payment_id": "TRX-1"},
        )
    )
    assert first["posted"] is True
    assert first["sale"]["status"] == "paid"
    assert first["sale"]["paid_at"] == "2027-01-20T02:05:00+00:00"
    assert first["sale"]["payment_id"] == "TRX-1"
    entry = ok(shop.get(f"/enterprises/{BULO}/entries/{first['sale']['entry']}"))
    assert entry["description"] == f"Penjualan QRIS {sale['reference']}"
    assert [(line["account"], line["debit"], line["credit"]) for line in entry["lines"]] == [
        ("1103", 85000, 0),
        ("4101", 0, 85000),
    ]
    head = shop.head()
    again = ok(shop.post(f"/sales/{sale['id']}/paid", "bendahara"))
    assert again == {"posted": False, "sale": first["sale"]}
    assert (shop.head(), shop.entries()) == (head, entries + 1)
    problem(shop.post(f"/sales/{sale['id']}/cancel", "bendahara"), 409)


def test_marking_paid_with_no_body_and_bad_bodies(shop: Api) -> None:
    sale = shop.sale()
    bad = fields(
        shop.post(
            f"/sales/{sale['id']}/paid",
            "bendahara",
            json={"paid_at": "2027-01-20T10:05:00", "payment_id": 5, "amount": 1},
        )
    )
    assert set(bad) == {"paid_at", "payment_id", "amount"}
    done = ok(shop.post(f"/sales/{sale['id']}/paid", "bendahara"))
    assert done["sale"]["paid_at"] == NOW.isoformat()


@pytest.mark.parametrize("who", [None, "auditor", "bendahara-waste", "admin-baubau"])
def test_only_bookkeepers_mark_paid_or_cancel(shop: Api, who: str | None) -> None:
    sale = shop.sale()
    head = shop.head()
    problem(shop.post(f"/sales/{sale['id']}/paid", who), 403)
    problem(shop.post(f"/sales/{sale['id']}/cancel", who), 403)
    assert shop.head() == head


def test_a_closed_period_refuses_the_payment(shop: Api) -> None:
    sale = shop.sale(date="2026-12-31")
    Books(shop.db).close_period(BULO, dt.date(2026, 12, 31), actor="cli")
    head = shop.head()
    bad = fields(shop.post(f"/sales/{sale['id']}/paid", "bendahara"))
    assert "closed period" in bad["date"]
    assert shop.head() == head


# --- notifications ------------------------------------------------------------------------------


def notification(sale: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "reference": sale["reference"],
        "amount": sale["amount"],
        "paid_at": "2027-01-20T10:05:00+08:00",
        "payment_id": "TRX-20270120-000123",
        **changes,
    }


def test_a_notification_posts_once(shop: Api) -> None:
    sale = shop.sale()
    entries = shop.entries()
    first = ok(shop.post("/qris/notifications", json=notification(sale)))
    assert first["posted"] is True
    assert first["sale"]["payment_id"] == "TRX-20270120-000123"
    again = ok(shop.post("/qris/notifications", json=notification(sale)))
    assert again == {"posted": False, "sale": first["sale"]}
    assert shop.entries() == entries + 1


def test_notifications_in_parallel_post_once(shop: Api) -> None:
    sale = shop.sale()
    entries = shop.entries()
    answers: list[Any] = []
    start = threading.Barrier(6)

    def deliver() -> None:
        client = shop.client.application.test_client()
        start.wait()
        answers.append(
            client.post(
                BASE + "/qris/notifications", headers=shop.keys["admin"], json=notification(sale)
            ).json
        )

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a["posted"] for a in answers) == [False] * 5 + [True]
    assert shop.entries() == entries + 1


def test_bad_notifications(shop: Api) -> None:
    sale = shop.sale()
    other = shop.sale()
    head = shop.head()
    bad = fields(shop.post("/qris/notifications", json={"amount": "85000", "x": 1}))
    assert set(bad) == {"reference", "amount", "paid_at", "x"}
    bad = fields(shop.post("/qris/notifications", json=notification(sale, amount=85001)))
    assert set(bad) == {"amount"}
    problem(shop.post("/qris/notifications", json=notification(sale, reference="QRS999")), 404)
    problem(shop.post("/qris/notifications", data="not json"), 400)
    assert shop.head() == head
    ok(shop.post("/qris/notifications", json=notification(sale)))
    problem(shop.post("/qris/notifications", json=notification(other)), 409)
    ok(shop.post(f"/sales/{other['id']}/cancel", "bendahara"))
    problem(shop.post("/qris/notifications", json=notification(other, payment_id="T2")), 409)


@pytest.mark.parametrize("who", [None, "auditor", "bendahara", "open311", "admin-baubau"])
def test_only_admins_deliver_notifications(shop: Api, who: str | None) -> None:
    sale = shop.sale()
    head = shop.head()
    problem(shop.post("/qris/notifications", who, json=notification(sale)), 403)
    assert shop.head() == head


def test_decoded_fields_mask_a_mobile_number() -> None:
    from smartcity_kit.economy.qris import AdditionalData, build_qris  # noqa: PLC0415
    from smartcity_kit.web._qris import payload_json  # noqa: PLC0415

    static = parse_qris(
        "00020101021151440014ID.CO.QRIS.WWW0215ID10200000000010303UMI5204549953033605802ID"
        "5913WARUNG LORONG6008MAKASSAR61059011163041E30"
    )
    text = build_qris(
        attrs.evolve(static, additional=AdditionalData(mobile_number="081234567890"), crc=None)
    )
    fields = payload_json(parse_qris(text))
    assert fields["additional"]["mobile_number"] == "08********90"
    assert "081234567890" not in str(fields)


# --- the declarations (/api/openapi.json) -------------------------------------------------------


def test_bad_parameters_and_fields_are_named_without_their_values(shop: Api) -> None:
    response = shop.get(f"/enterprises/{BULO}/sales?page_size=9999999&status=lunas-sekali")
    bad = fields(response)
    assert bad == {
        "page_size": "must be from 1 to 200",
        "status": "must be one of pending, paid, cancelled",
    }
    assert b"9999999" not in response.data
    assert b"lunas-sekali" not in response.data
    response = shop.post(
        f"/enterprises/{BULO}/sales",
        "bendahara",
        json={"items": [{"name": "Sirup", "quantity": "dua-puluh", "unit_price": 1000}]},
    )
    assert fields(response) == {"items[0].quantity": "must be a whole number from 1 to 10000"}
    assert b"dua-puluh" not in response.data
    sale = shop.sale()
    response = shop.post(
        "/qris/notifications", json=notification(sale, paid_at="kemarin-sore", bank="BRI")
    )
    assert fields(response) == {
        "bank": "is not a field here",
        "paid_at": "must be an ISO 8601 date-time with an offset",
    }
    assert b"kemarin-sore" not in response.data


def test_the_body_is_checked_after_the_key(shop: Api) -> None:
    problem(shop.put(f"/enterprises/{BULO}/qris/merchant", "auditor", json={"nmid": 1}), 403)
    problem(shop.post("/qris/notifications", "bendahara", json={"x": 1}), 403)


def test_every_qris_endpoint_is_in_the_openapi_document(shop: Api) -> None:
    doc = shop.client.get("/api/openapi.json").get_json()
    paths = doc["paths"]
    expected = {
        "/enterprises/{enterprise_id}/qris/merchant": {"get", "put"},
        "/enterprises/{enterprise_id}/qris": {"get"},
        "/enterprises/{enterprise_id}/qris.{form}": {"get"},
        "/enterprises/{enterprise_id}/sales": {"get", "post"},
        "/sales/{sale_id}": {"get"},
        "/sales/{sale_id}/qris": {"get"},
        "/sales/{sale_id}/qris.{form}": {"get"},
        "/sales/{sale_id}/paid": {"post"},
        "/sales/{sale_id}/cancel": {"post"},
        "/qris/notifications": {"post"},
    }
    for path, methods in expected.items():
        assert set(paths[BASE + path]) == methods, path
        for method in methods:
            assert paths[BASE + path][method]["tags"] == ["qris"]
    static = paths[BASE + "/enterprises/{enterprise_id}/qris.{form}"]["get"]
    assert static["security"] == []
    form = next(p for p in static["parameters"] if p["name"] == "form")
    assert form["in"] == "path"
    assert form["schema"]["enum"] == ["png", "svg", "html", "json"]
    assert set(static["responses"]["200"]["content"]) == {
        "application/json",
        "image/png",
        "image/svg+xml",
        "text/html",
    }
    dynamic = paths[BASE + "/sales/{sale_id}/qris"]["get"]
    assert {"200", "403", "404", "409"} <= set(dynamic["responses"])
    paid = paths[BASE + "/sales/{sale_id}/paid"]["post"]
    assert paid["requestBody"]["required"] is False
    schemas = doc["components"]["schemas"]
    assert {"QrisMerchant", "QrisSale", "QrisSaleItem", "QrisCode", "QrisPaymentResult"} <= set(
        schemas
    )
