"""Our server, on a real socket, read and written by our client and by one written elsewhere."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import georeport
import pytest
import requests as http
from werkzeug.serving import make_server

from smartcity_kit.core import CityProfile, FixedClock
from smartcity_kit.egov import ServiceDesk
from smartcity_kit.egov._demo import seed_demo
from smartcity_kit.egov.open311 import Format, Open311Client
from smartcity_kit.errors import (
    NotFoundError,
    PermissionDeniedError,
    RemoteServiceError,
    ValidationError,
)
from smartcity_kit.storage import ApiKeys, Database, Role, upgrade
from smartcity_kit.web import AppConfig, create_app

NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Database]]:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('live') / 'city.db'}")
    upgrade(db)
    seed_demo(db, now=NOW, requests_per_city=30)
    _, key = ApiKeys(db).create("live client", Role.OPEN311_CLIENT)
    config = AppConfig(cities=(CityProfile.builtin("makassar"), CityProfile.builtin("baubau")))
    server = make_server(
        "127.0.0.1", 0, create_app(config, database=db, clock=FixedClock(NOW)), threaded=True
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/open311/v2", key, db
    server.shutdown()
    thread.join(timeout=10)
    db.dispose()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_client_written_elsewhere_reads_and_posts(
    served: tuple[str, str, Database], fmt: str
) -> None:
    base, key, db = served
    other = georeport.GeoReport(
        base, jurisdiction="baubaukota.go.id", api_key=key, output_format=fmt
    )
    services = other.get_service_list()
    assert [s["service_code"] for s in services][:3] == ["001", "002", "003"]
    definition = other.get_service_definition("001")
    attributes = definition["attributes"]
    first = attributes[0] if fmt == "json" else attributes["attribute"]
    assert first["code"] == "ukuran"
    listed = other.get_service_requests()
    assert len(listed) >= 30  # the seeded ones, and what the other format posted
    # georeport only reads; POST a plain form exactly as the spec shows it.
    posted = http.post(
        f"{base}/requests.{fmt}",
        data={
            "jurisdiction_id": "baubaukota.go.id",
            "api_key": key,
            "service_code": "003",
            "lat": "-5.47",
            "long": "122.61",
            "description": "Sampah di pasar belum diangkut",
            "email": "warga@example.com",
        },
        timeout=10,
    )
    assert posted.status_code == 201
    request_id = (
        posted.json()[0]["service_request_id"]
        if fmt == "json"
        else posted.text.split("<service_request_id>")[1].split("<")[0]
    )
    fetched = other.get_service_request(request_id)
    record = fetched[0] if isinstance(fetched, list) else fetched
    assert record["service_code"] == "003"
    assert record["status"] == "open"
    desk = ServiceDesk(db, CityProfile.builtin("baubau"))
    assert desk.get(int(request_id)).description == "Sampah di pasar belum diangkut"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_our_client(served: tuple[str, str, Database], fmt: Format) -> None:
    base, key, _ = served
    with Open311Client(
        base, jurisdiction_id="makassarkota.go.id", api_key=key, format=fmt
    ) as client:
        assert key not in repr(client)
        services = client.services()
        assert services[0].service_code == "001"
        assert client.definition("001").attributes[0].code == "ukuran"
        created = client.create(
            "001",
            lat=-5.14,
            long=119.42,
            description="Lubang di Jl. Penghibur",
            attributes={"ukuran": "besar"},
            email="warga@example.com",
        )
        assert created.service_request_id is not None
        assert created.service_notice is not None
        one = client.request(created.service_request_id)
        assert (one.service_code, one.status, one.lat) == ("001", "open", -5.14)
        found = client.requests(service_request_id=[created.service_request_id])
        assert [r.service_request_id for r in found] == [created.service_request_id]
        assert client.requests(status=["closed"], start_date=NOW - dt.timedelta(days=80))
        with pytest.raises(ValidationError) as info:
            client.create("001", description="tanpa lokasi")
        assert "location" in info.value.fields
        with pytest.raises(NotFoundError):
            client.definition("999")
        with pytest.raises(NotFoundError):
            client.request("99999")


def test_client_errors(served: tuple[str, str, Database]) -> None:
    base, _, _ = served
    with (
        Open311Client(base, jurisdiction_id="makassarkota.go.id", api_key="salah") as wrong,
        pytest.raises(PermissionDeniedError),
    ):
        wrong.create("001", lat=1, long=1)
    with pytest.raises(RemoteServiceError, match="cannot reach"):
        Open311Client("http://127.0.0.1:9/open311/v2", timeout=(1, 1)).services()
    with pytest.raises(NotFoundError):
        Open311Client(base.replace("/open311/v2", "/api")).services()
    with pytest.raises(RemoteServiceError, match="not GeoReport"):
        # /api/cities answers 200 with JSON that is not a GeoReport service list
        Open311Client(base.replace("/open311/v2", "/api/cities?ignored=")).services()
    with pytest.raises(ValidationError, match="format"):
        Open311Client(base, format="yaml")  # type: ignore[arg-type]
    discovery = Open311Client.discover(base.replace("/v2", "/discovery.xml"))
    assert discovery.endpoints[0].formats == ("text/xml", "application/json")


def test_client_keeps_field_names_only_when_they_are_fields(
    served: tuple[str, str, Database],
) -> None:
    base, key, _ = served
    with pytest.raises(ValidationError) as info:
        Open311Client(base, api_key=key).services()  # two jurisdictions: one is required
    assert info.value.fields == ("",)
    assert "jurisdiction_id is required" in str(info.value)
    client = Open311Client(base, jurisdiction_id="makassarkota.go.id", api_key=key)
    with pytest.raises(ValidationError, match="time zone"):
        client.requests(start_date=dt.datetime(2026, 11, 1))  # noqa: DTZ001
    with pytest.raises(ValidationError) as info:
        client.create("001", lat=-5.1)
    assert info.value.fields == ("long", "attribute[ukuran]")
