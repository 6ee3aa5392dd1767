"""The dashboard page in a real browser (Playwright driving Debian's Chromium, headless).

Skipped where Chromium or Playwright is missing (a fresh laptop); ``.ci/run`` installs Chromium,
so there these tests run. The page is served by the app on 127.0.0.1 with the demo data and a
small simulated camera fleet.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests as http

from smartcity_kit.core import CityProfile
from smartcity_kit.economy._demo import seed_economy_demo
from smartcity_kit.egov._demo import seed_demo
from smartcity_kit.security import (
    AccessPolicy,
    CameraRegistry,
    FleetMonitor,
    SecretBox,
    Timeouts,
)
from smartcity_kit.storage import ApiKeys, Database, Role, upgrade
from smartcity_kit.testing.devices import DeviceFarm, DeviceState, simulated_fleet
from smartcity_kit.web import AppConfig, create_app

sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (the dev extra)")
CHROMIUM = os.environ.get("SMARTCITY_TEST_CHROMIUM") or shutil.which("chromium") or ""
if not CHROMIUM or not Path(CHROMIUM).exists():
    pytest.skip(
        "needs Chromium (apt-get install chromium, or SMARTCITY_TEST_CHROMIUM=/path)",
        allow_module_level=True,
    )

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Site:
    """The served app, what it holds, and what the browser did."""

    def __init__(self, base: str, admin_key: str, cameras: list[dict[str, Any]]) -> None:
        self.base = base
        self.admin_key = admin_key
        self.cameras = cameras
        self.console_errors: list[str] = []
        self.requests: list[str] = []

    def figures(self, city: str, key: str | None = None) -> Any:
        headers = {"X-API-Key": key} if key else {}
        response = http.get(f"{self.base}/api/dashboard/{city}", headers=headers, timeout=30)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from werkzeug.serving import make_server  # noqa: PLC0415 - Flask's own server, for a test

    now = dt.datetime.now(dt.UTC)
    path = tmp_path_factory.mktemp("browser") / "city.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    seed_demo(db, now=now, requests_per_city=120)
    seed_economy_demo(db, today=now.date())
    _, admin = ApiKeys(db).create("browser admin", Role.ADMIN)
    with DeviceFarm() as farm:
        registry = CameraRegistry(db, secrets=SecretBox(SecretBox.generate_key()))
        rows = simulated_fleet(farm, 6, vendor="isapi", districts=("73.71.10", "73.71.11"))
        registry.import_rows(rows, actor="test")
        farm.set_state(farm.devices[2], DeviceState.DOWN)
        monitor = FleetMonitor(registry, timeouts=Timeouts(connect=0.5, read=0.5))
        try:
            monitor.poll()
        finally:
            monitor.close()
    config = AppConfig(cities=(CityProfile.builtin("makassar"), CityProfile.builtin("baubau")))
    app = create_app(config, database=db, access_policy=AccessPolicy(db, registry))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_port}", admin, rows)
    finally:
        server.shutdown()
        db.dispose()


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()
    # Over every test of the module: nothing went wrong in the page, nothing left this machine.
    assert site.console_errors == []
    assert site.requests
    assert all(url.startswith(site.base + "/") for url in site.requests), site.requests


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.on(
        "console", lambda m: site.console_errors.append(m.text) if m.type == "error" else None
    )
    opened.on("pageerror", lambda e: site.console_errors.append(str(e)))
    opened.on("request", lambda r: site.requests.append(r.url))
    yield opened
    context.close()


def shown(page: Any, city: str, key: str | None = None) -> Any:
    """Wait until the page shows ``city`` (and the view the key gives); its data."""
    view = "staff" if key else "public"
    page.wait_for_function(
        "([city, view]) => { const d = window.smartcityDashboard.data;"
        " return d && d.city.slug === city && d.view === view; }",
        arg=[city, view],
    )
    page.wait_for_selector("[data-name=received] .value")
    return page.evaluate("window.smartcityDashboard.data")


def whole(text: str) -> int:
    return int(re.sub(r"\D", "", text))


@pytest.mark.parametrize("city", ["makassar", "baubau"])
def test_the_page_shows_each_citys_figures(page: Any, site: Site, city: str) -> None:
    page.goto(f"{site.base}/?city={city}")
    data = shown(page, city)
    api = site.figures(city)
    assert data["public_service"]["received"] == api["public_service"]["received"]
    tiles = {
        name: whole(page.inner_text(f"[data-name={name}] .value"))
        for name in ("received", "resolved", "overdue", "enterprises", "members")
    }
    assert tiles == {
        "received": api["public_service"]["received"],
        "resolved": api["public_service"]["resolved"],
        "overdue": api["public_service"]["overdue"]["count"],
        "enterprises": api["economy"]["total"]["enterprises"],
        "members": api["economy"]["total"]["members"],
    }
    assert api["public_service"]["received"] > 0
    # The charts are drawn from the same numbers: two bars per agency, one per month.
    agency_bars = page.eval_on_selector_all(
        "[data-chart=by-agency] rect", "bars => bars.map(b => Number(b.dataset.value))"
    )
    assert agency_bars == [
        n for a in api["public_service"]["by_agency"] for n in (a["received"], a["resolved"])
    ]
    weekly = page.eval_on_selector_all(
        "[data-chart=weekly] rect", "bars => bars.map(b => Number(b.dataset.value))"
    )
    assert weekly == [
        n for w in api["public_service"]["weekly"] for n in (w["received"], w["resolved"])
    ]
    revenue = page.eval_on_selector_all(
        "[data-chart=monthly-revenue] rect", "bars => bars.map(b => Number(b.dataset.value))"
    )
    assert revenue == [m["revenue"] for m in api["economy"]["monthly"]]
    assert page.locator("#ps-district tr").count() == len(api["public_service"]["by_district"]) + 1


def test_the_language_switch(page: Any, site: Site) -> None:
    page.goto(site.base + "/")
    shown(page, "makassar")
    assert page.inner_text("h1") == "Dasbor Kota"
    assert page.evaluate("document.documentElement.lang") == "id"
    assert "Diterima bulan ini" in page.inner_text("#ps-tiles")
    page.click("#lang-en")
    assert page.inner_text("h1") == "City dashboard"
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "Received this month" in page.inner_text("#ps-tiles")
    assert "Diterima" not in page.inner_text("#ps-tiles")
    page.reload()  # the choice is remembered
    shown(page, "makassar")
    assert page.inner_text("h1") == "City dashboard"
    page.click("#lang-id")
    assert page.inner_text("h1") == "Dasbor Kota"


def test_the_city_is_chosen_from_the_cities_served(page: Any, site: Site) -> None:
    page.goto(site.base + "/")
    shown(page, "makassar")
    options = page.eval_on_selector_all("#city option", "os => os.map(o => o.value)")
    assert options == ["makassar", "baubau"]
    page.select_option("#city", "baubau")
    data = shown(page, "baubau")
    assert data["city"]["name"] == "Kota Baubau"
    assert page.url.endswith("?city=baubau")


def test_cameras_on_the_map_and_a_staff_key(page: Any, site: Site) -> None:
    page.goto(site.base + "/")
    shown(page, "makassar")
    city_owned = {c["id"] for c in site.cameras if c["owner_kind"] == "city"}
    public_dots = page.eval_on_selector_all(
        "[data-chart=camera-map] circle", "dots => dots.map(d => d.dataset.camera)"
    )
    assert set(public_dots) == city_owned
    assert whole(page.inner_text("[data-name=cameras] .value")) == len(site.cameras)
    assert whole(page.inner_text("[data-name=offline] .value")) == 1
    assert page.is_hidden("#staff-queue")
    # Staff sign in with a key: every camera on the map, and the queue of open requests.
    page.fill("#key", site.admin_key)
    page.click("#signin button[type=submit]")
    shown(page, "makassar", key=site.admin_key)
    assert page.inner_text("#status") == "Tampilan staf"
    staff_dots = page.eval_on_selector_all(
        "[data-chart=camera-map] circle", "dots => dots.map(d => d.dataset.camera)"
    )
    assert set(staff_dots) == {c["id"] for c in site.cameras}
    page.wait_for_selector("#staff-queue:not([hidden])")
    assert page.locator("#queue tr").count() > 1
    assert page.input_value("#key") == ""  # the key is not left in the field
    page.click("#signout")
    shown(page, "makassar")
    assert page.is_hidden("#staff-queue")


def test_a_wrong_key_says_so_and_shows_the_public_view(page: Any, site: Site) -> None:
    page.goto(site.base + "/")
    shown(page, "makassar")
    page.fill("#key", "not-a-key")
    page.click("#signin button[type=submit]")
    page.wait_for_selector("#error:not([hidden])")
    assert page.inner_text("#error") == "Kunci tidak diterima"
    assert page.evaluate("window.smartcityDashboard.data.view") == "public"
    # The browser logs the refused request itself; that one is expected here.
    refused = [e for e in site.console_errors if "status of 403" in e]
    assert len(refused) == 1
    site.console_errors.remove(refused[0])
