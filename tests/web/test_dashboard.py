"""GET /api/dashboard/<city>: the figures agree with the domain packages, and the public view
shows nothing personal or secret."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from flask.testing import FlaskClient

from smartcity_kit.core import CityProfile, FixedClock, GeoPoint, PhoneNumber
from smartcity_kit.economy import Period
from smartcity_kit.economy._city import CityEconomy
from smartcity_kit.economy._demo import seed_economy_demo
from smartcity_kit.egov import Contact, Location, ServiceDesk
from smartcity_kit.egov._demo import seed_demo
from smartcity_kit.errors import ValidationError
from smartcity_kit.security import CameraRegistry, FleetMonitor, SecretBox, Timeouts
from smartcity_kit.storage import ApiKeys, Database, Role, upgrade
from smartcity_kit.testing.devices import DeviceFarm, DeviceState, simulated_fleet
from smartcity_kit.web import AppConfig, create_app

MAKASSAR = CityProfile.builtin("makassar")
BAUBAU = CityProfile.builtin("baubau")
# Monday 23 November 2026, 11:00 WITA.
NOW = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)
WITA = MAKASSAR.time_zone.zone
NOVEMBER = dt.datetime(2026, 11, 1, tzinfo=WITA)
OCTOBER = dt.datetime(2026, 10, 1, tzinfo=WITA)


@attrs.define
class Served:
    db: Database
    clock: FixedClock
    client: FlaskClient
    keys: ApiKeys

    def get(self, path: str, key: str | None = None) -> Any:
        headers = {"X-API-Key": key} if key else {}
        return self.client.get(path, headers=headers)

    def asset(self, path: str) -> str:
        """A static file's text (the response closed: it holds the file open)."""
        response = self.client.get(path)
        assert response.status_code == 200
        try:
            return response.get_data(as_text=True)
        finally:
            response.close()

    def key(self, role: Role, **kw: Any) -> str:
        return self.keys.create(f"test {role.value} {kw.get('city', 'all')}", role, **kw)[1]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the demo data, made once; each test works on a copy.

    The figures come from the domain packages, whose queries are tested on both engines.
    """
    path = tmp_path_factory.mktemp("dashboard") / "demo.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    seed_demo(db, now=NOW, requests_per_city=200)
    seed_economy_demo(db, today=NOW.date())
    db.dispose()
    return path


@pytest.fixture
def served(seeded: Path, tmp_path: Path) -> Iterator[Served]:
    copy = tmp_path / "city.db"
    shutil.copyfile(seeded, copy)
    db = Database(f"sqlite:///{copy}")
    clock = FixedClock(NOW)
    app = create_app(AppConfig(cities=(MAKASSAR, BAUBAU)), database=db, clock=clock)
    yield Served(db, clock, app.test_client(), ApiKeys(db, clock))
    db.dispose()


def desk(served: Served) -> ServiceDesk:
    return ServiceDesk(served.db, MAKASSAR, served.clock)


def test_public_service_figures_agree_with_the_desk(served: Served) -> None:
    response = served.get("/api/dashboard/makassar")
    assert response.status_code == 200
    data = response.get_json()
    assert data["month"] == "2026-11"
    assert data["view"] == "public"
    figures = data["public_service"]
    d = desk(served)
    month = [r for r in d.search(limit=10_000) if NOVEMBER <= r.requested_at < NOW]
    assert figures["received"] == len(month) > 0
    whole = d.metrics(NOVEMBER, NOW)
    assert (figures["resolved"], figures["median_days"], figures["on_time_share"]) == (
        whole.resolved,
        whole.median_days,
        whole.on_time_share,
    )
    by_agency = {row["code"]: row["received"] for row in figures["by_agency"]}
    assert by_agency == {a.code: Counter(r.agency for r in month)[a.code] for a in d.agencies()}
    by_district = {row["code"]: row["received"] for row in figures["by_district"]}
    counted = Counter(r.location.district.value for r in month if r.location.district)
    assert {k: v for k, v in by_district.items() if v} == dict(counted)
    assert len(by_district) == 15  # every kecamatan of Makassar, with or without requests
    late = d.overdue(NOW)
    assert figures["overdue"]["count"] == len(late)
    assert [r["id"] for r in figures["overdue"]["most_late"]] == [r.id for r in late[:10]]
    weeks = figures["weekly"]
    assert len(weeks) == 12
    assert weeks[-1]["week_of"] == "2026-11-23"
    first = dt.datetime.fromisoformat(weeks[0]["week_of"]).replace(tzinfo=WITA)
    assert sum(w["received"] for w in weeks) == sum(
        1 for r in d.search(limit=10_000) if first <= r.requested_at < NOW
    )


def test_another_month_and_another_city(served: Served) -> None:
    october = served.get("/api/dashboard/makassar?month=2026-10").get_json()
    d = desk(served)
    assert october["public_service"]["received"] == sum(
        1 for r in d.search(limit=10_000) if OCTOBER <= r.requested_at < NOVEMBER
    )
    baubau = served.get("/api/dashboard/baubau").get_json()
    assert baubau["city"]["slug"] == "baubau"
    assert {row["code"][:5] for row in baubau["public_service"]["by_district"]} == {"74.72"}


def test_economy_figures_are_the_city_overview(served: Served) -> None:
    data = served.get("/api/dashboard/makassar").get_json()["economy"]
    year = Period(dt.date(2025, 12, 1), dt.date(2026, 11, 30))
    overview = CityEconomy(served.db).overview("makassar", year, group_by=("sector",))
    assert data["period"] == str(year)
    assert data["total"] == overview.to_json()["total"]
    assert data["total"]["enterprises"] > 0
    assert [m["month"] for m in data["monthly"]][-1] == "2026-11"
    assert len(data["monthly"]) == 12


def test_the_public_view_holds_no_personal_data(served: Served) -> None:
    d = desk(served)
    plain = next(s for s in d.services() if not any(a.required for a in s.attributes))
    request = d.submit(
        plain.code,
        location=Location(point=GeoPoint(-5.14, 119.42)),
        description="Depan rumah Bu Siti Aminah, jalan amblas",
        contact=Contact(
            first_name="Siti", last_name="Aminah", phone=PhoneNumber.parse("081234567890")
        ),
        attributes={},
    )
    assert request.id > 0
    body = served.get("/api/dashboard/makassar").get_data(as_text=True)
    for secret in ("Siti", "Aminah", "081234567890", "6281234567890", "amblas"):
        assert secret not in body


def test_who_may_see_what(served: Served) -> None:
    assert served.get("/api/dashboard/jakarta").status_code == 404
    assert served.get("/api/dashboard/makassar", "not-a-key").status_code == 403
    client_key = served.key(Role.OPEN311_CLIENT)
    assert served.get("/api/dashboard/makassar", client_key).status_code == 403
    baubau_admin = served.key(Role.ADMIN, city="baubau")
    assert served.get("/api/dashboard/makassar", baubau_admin).status_code == 403
    staff = served.get("/api/dashboard/baubau", baubau_admin)
    assert staff.get_json()["view"] == "staff"
    assert staff.headers["Cache-Control"] == "no-store"
    public = served.get("/api/dashboard/baubau")
    assert public.headers["Cache-Control"].startswith("public")


@pytest.mark.parametrize(
    "month", ["2026-13", "November", "2026", "2026-Q4", "2027-01", "2026-11-01/2026-11-15"]
)
def test_a_bad_month_is_a_400_naming_it(served: Served, month: str) -> None:
    response = served.get(f"/api/dashboard/makassar?month={month}")
    assert response.status_code == 400
    assert [e["field"] for e in response.get_json()["errors"]] == ["month"]


@pytest.fixture
def farm() -> Iterator[DeviceFarm]:
    with DeviceFarm() as running:
        yield running


def test_cameras_by_kecamatan_and_owner_and_the_map(db: Database, farm: DeviceFarm) -> None:
    clock = FixedClock(NOW - dt.timedelta(days=2))
    registry = CameraRegistry(db, secrets=SecretBox(SecretBox.generate_key()), clock=clock)
    # Three cameras: city, police and private owners, in two kecamatan.
    rows = simulated_fleet(farm, 3, vendor="isapi", districts=("73.71.10", "73.71.11"))
    registry.import_rows(rows, actor="test")
    monitor = FleetMonitor(registry, clock=clock, timeouts=Timeouts(connect=0.5, read=0.5))
    try:
        monitor.poll()
        clock.advance(days=1)
        farm.set_state(farm.devices[1], DeviceState.DOWN)
        monitor.poll()
    finally:
        monitor.close()
    clock.advance(days=1)  # now NOW
    seed_demo(db, now=NOW, requests_per_city=0)
    from smartcity_kit.security import AccessPolicy  # noqa: PLC0415

    policy = AccessPolicy(db, registry, clock=clock)
    app = create_app(AppConfig(), database=db, clock=clock, access_policy=policy)
    client = app.test_client()
    public = client.get("/api/dashboard/makassar")
    text = public.get_data(as_text=True)
    security = public.get_json()["security"]
    assert (security["cameras"], security["online"], security["offline"]) == (3, 2, 1)
    assert security["uptime_7d"] == pytest.approx((1 + 0.5 + 1) / 3)
    down = rows[1]
    assert security["down_longest"] == [
        {
            "camera_id": down["id"],
            "camera": down["name"],
            "offline_since": "2026-11-22T03:00:00Z",
        }
    ]
    by_district = {r["district"]: (r["cameras"], r["offline"]) for r in security["by_district"]}
    assert by_district == {"73.71.10": (2, 0), "73.71.11": (1, 1)}
    owners = Counter(r["owner_kind"] for r in rows)
    assert {r["owner_kind"]: r["cameras"] for r in security["by_owner"]} == dict(owners)
    # The public map shows the city's own cameras only, without owners' names.
    assert {c["camera_id"] for c in security["map"]} == {
        r["id"] for r in rows if r["owner_kind"] == "city"
    }
    assert all("owner" not in c for c in security["map"])
    kinds = {e["kind"] for e in security["recent_events"]}
    assert "device_offline" in kinds
    assert {e["camera_id"] for e in security["recent_events"]} <= {r["id"] for r in rows}
    # Nothing of how the cameras are reached.
    for row in rows:
        assert f"{row['host']}:{row['port']}" not in text
        assert row["password"] not in text
    assert "rtsp" not in text.lower()
    admin = ApiKeys(db, clock).create("admin", Role.ADMIN)[1]
    staff = client.get("/api/dashboard/makassar", headers={"X-API-Key": admin}).get_json()
    assert {c["camera_id"] for c in staff["security"]["map"]} == {r["id"] for r in rows}
    assert {c["owner"] for c in staff["security"]["map"]} == {r["owner_name"] for r in rows}
    assert json.dumps(staff).lower().count("rtsp") == 0


def test_the_page_and_its_assets_come_from_this_server(served: Served) -> None:
    page = served.get("/")
    assert page.status_code == 200
    assert page.content_type == "text/html; charset=utf-8"
    html = page.get_data(as_text=True)
    assert '<html lang="id">' in html
    assert "Dasbor Kota" in html
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "connect-src 'self'" in policy
    # Both cities to choose from, as the page's data.
    assert '"slug": "makassar"' in html.replace("&#34;", '"')
    assert '"slug": "baubau"' in html.replace("&#34;", '"')
    assets = re.findall(r'(?:href|src|data-i18n-url)="([^"]+)"', html)
    assets.remove("data:,")  # no icon: the browser would ask for /favicon.ico
    assert sorted(assets) == [
        "/static/dashboard/dashboard.css",
        "/static/dashboard/dashboard.js",
        "/static/dashboard/i18n.json",
    ]
    for asset in assets:
        text = served.asset(asset)
        # Nothing is fetched from anywhere else (the SVG namespace is a name, not a request).
        assert re.findall(r"https?://[^\s\"')]+", text) in ([], ["http://www.w3.org/2000/svg"])


def test_every_word_of_the_page_is_in_both_languages(served: Served) -> None:
    words = json.loads(served.asset("/static/dashboard/i18n.json"))
    assert set(words) == {"id", "en"}
    assert set(words["id"]) == set(words["en"])
    assert all(words["id"].values())
    assert all(words["en"].values())
    html = served.get("/").get_data(as_text=True)
    script = served.asset("/static/dashboard/dashboard.js")
    used = set(re.findall(r'data-t="([a-z_0-9.]+)"', html))
    used |= set(re.findall(r'\bt\("([a-z_0-9.]+)"\)', script))
    used |= set(re.findall(r'\["([a-z_0-9]+)"', script))  # tile labels and table headers
    assert used, "the page uses words"
    assert used <= set(words["id"]), used - set(words["id"])
    # Every status, owner kind, event kind and sector the figures can hold has its words.
    from smartcity_kit.economy import Sector  # noqa: PLC0415
    from smartcity_kit.egov import Status  # noqa: PLC0415
    from smartcity_kit.security import EventKind, OwnerKind  # noqa: PLC0415

    for prefix, values in [
        ("status", Status),
        ("owner_kind", OwnerKind),
        ("event", EventKind),
        ("sector", Sector),
    ]:
        for value in values:
            assert f"{prefix}.{value.value}" in words["id"]


def test_top_enterprises_by_revenue(served: Served) -> None:
    data = served.get("/api/dashboard/makassar").get_json()["economy"]
    top = data["top_enterprises"]
    assert 0 < len(top) <= 10
    revenues = [e["revenue"] for e in top]
    assert revenues == sorted(revenues, reverse=True)
    year = Period(dt.date(2025, 12, 1), dt.date(2026, 11, 30))
    economy = CityEconomy(served.db)
    # Every enterprise ranked, the sums add up to the city's.
    everyone = economy.top_enterprises("makassar", year, count=1000)
    assert sum(e.revenue.amount for e in everyone) == data["total"]["revenue"]
    assert [e.to_json() for e in everyone[: len(top)]] == top
    by_waste = economy.top_enterprises("makassar", year, count=3, by="waste_grams")
    assert all(str(e.sector) == "waste_bank" for e in by_waste)
    assert [e.waste_grams for e in by_waste] == sorted(
        (e.waste_grams for e in by_waste), reverse=True
    )
    for bad in ({"by": "members"}, {"count": 0}, {"count": True}):
        with pytest.raises(ValidationError):
            economy.top_enterprises("makassar", year, **bad)
