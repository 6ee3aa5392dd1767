"""The access log: a JSON line per request, and nothing personal or secret in it."""

from __future__ import annotations

import datetime as dt
import json
import logging
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcity_kit.egov._demo import seed_demo
from smartcity_kit.storage import ApiKeys, Database, Role
from smartcity_kit.web import ACCESS_LOGGER, AppConfig, create_app
from smartcity_kit.web._access_log import client_network

PHONE = "081234567890"


@pytest.fixture
def app_and_key(db: Database) -> tuple[Flask, str]:
    seed_demo(db, now=dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC), requests_per_city=0)
    _, key = ApiKeys(db).create("log test", Role.OPEN311_CLIENT)
    return create_app(AppConfig(), database=db), key


def lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS_LOGGER]


def test_one_line_per_request_without_values_keys_or_addresses(
    app_and_key: tuple[Flask, str], caplog: pytest.LogCaptureFixture
) -> None:
    app, key = app_and_key
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.57"
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    client.get(f"/open311/v2/requests.json?jurisdiction_id=makassarkota.go.id&api_key={key}")
    client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": key,
            "jurisdiction_id": "makassarkota.go.id",
            "service_code": "003",
            "lat": "-5.14",
            "long": "119.42",
            "description": "Sampah menumpuk",
            "phone": PHONE,
            "first_name": "Siti",
        },
        headers={"User-Agent": "kiosk/1.0"},
    )
    client.get("/healthz", headers={"X-API-Key": key})
    client.get(f"/api/makassar/requests?search={PHONE}")
    found = lines(caplog)
    assert [(r["method"], r["path"], r["status"]) for r in found] == [
        ("GET", "/open311/v2/requests.json", 200),
        ("POST", "/open311/v2/requests.json", 201),
        ("GET", "/healthz", 200),
        ("GET", "/api/makassar/requests", 403),
    ]
    assert found[0]["query"] == ["api_key", "jurisdiction_id"]
    assert [r["key"] for r in found] == [True, True, True, False]
    assert found[1]["agent"] == "kiosk/1.0"
    assert all(r["client"] == "203.0.113.0" for r in found)
    assert all(isinstance(r["ms"], float) and r["ms"] >= 0 for r in found)
    assert all(isinstance(r["bytes"], int) for r in found)
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER)
    for secret in (key, PHONE, "Siti", "203.0.113.57", "Sampah"):
        assert secret not in text


def test_a_body_too_large_is_logged_too(
    app_and_key: tuple[Flask, str], caplog: pytest.LogCaptureFixture
) -> None:
    app, key = app_and_key
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    response = app.test_client().post(
        "/open311/v2/requests.json",
        data={"api_key": key, "description": "x" * 2_000_000},
    )
    assert response.status_code == 413
    (line,) = lines(caplog)
    assert line["status"] == 413


def test_off_unless_someone_listens(
    app_and_key: tuple[Flask, str], caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = app_and_key
    caplog.set_level(logging.WARNING, logger=ACCESS_LOGGER)
    app.test_client().get("/healthz")
    assert lines(caplog) == []


@settings(max_examples=200)
@given(st.ip_addresses())
def test_the_client_is_a_network_never_an_address(address: IPv4Address | IPv6Address) -> None:
    network = client_network(str(address))
    assert network is not None
    prefix = 24 if address.version == 4 else 48
    # The address lies in the network given, and nothing finer than the prefix is kept.
    assert address in ip_network(f"{network}/{prefix}")
    assert int(ip_address(network)) & ((1 << (address.max_prefixlen - prefix)) - 1) == 0


def test_what_is_not_an_address_is_not_logged() -> None:
    assert client_network("not an address") is None
    assert client_network("") is None
    assert client_network(None) is None


def test_what_a_client_may_put_anywhere_is_blanked(db: Database) -> None:
    seed_demo(db, now=dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC), requests_per_city=0)
    found: list[str] = []
    app = create_app(AppConfig(access_log=found.append), database=db)
    client = app.test_client()
    client.get(f"/api/cctv/cameras/{PHONE}?{PHONE}=1&siti@example.id=2&page=1")
    client.get("/healthz", headers={"User-Agent": f"app/2.0 (call {PHONE}; siti@example.id)"})
    client.get("/open311/v2/requests/3172010101900001.json")
    assert len(found) == 3
    text = "\n".join(found)
    for secret in (PHONE, "siti@example.id", "3172010101900001"):
        assert secret not in text
    first, second, third = (json.loads(line) for line in found)
    assert first["path"] == "/api/cctv/cameras/*"
    assert first["query"] == ["?", "page"]
    assert second["agent"] == "app/2.0 (call *; *)"
    assert third["path"] == "/open311/v2/requests/*.json"


def test_the_line_writer_writes_in_batches_and_on_close() -> None:
    import io  # noqa: PLC0415

    from smartcity_kit.web._access_log import LineWriter  # noqa: PLC0415

    stream = io.StringIO()
    writer = LineWriter(stream, interval=60)  # no timed write during the test
    writer('{"n":1}')
    writer('{"n":2}')
    assert stream.getvalue() == ""
    writer.flush()
    assert stream.getvalue() == '{"n":1}\n{"n":2}\n'
    writer('{"n":3}')
    writer.close()
    assert stream.getvalue().splitlines() == ['{"n":1}', '{"n":2}', '{"n":3}']


def test_a_line_writer_makes_the_same_lines_in_its_own_thread(db: Database) -> None:
    import io  # noqa: PLC0415

    from smartcity_kit.web._access_log import LineWriter  # noqa: PLC0415

    seed_demo(db, now=dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC), requests_per_city=0)
    _, key = ApiKeys(db).create("log test", Role.OPEN311_CLIENT)
    stream = io.StringIO()
    writer = LineWriter(stream, interval=60)  # lines are made when flushed
    direct: list[str] = []
    for write in (writer, direct.append):
        client = create_app(AppConfig(access_log=write), database=db).test_client()
        client.environ_base["REMOTE_ADDR"] = "203.0.113.57"
        client.get(f"/api/cctv/cameras/{PHONE}?{PHONE}=1&siti@example.id=2&page=1")
        client.get(f"/open311/v2/requests.json?api_key={key}", headers={"User-Agent": PHONE})
        client.post(  # no such service: nothing is stored, the two runs see the same data
            "/open311/v2/requests.json",
            data={"api_key": key, "service_code": "none", "address_string": "Jl. A"},
        )
        client.get("/healthz", headers={"Authorization": f"Bearer {key}"})
    assert stream.getvalue() == ""
    writer.close()
    made = [json.loads(line) for line in stream.getvalue().splitlines()]
    expected = [json.loads(line) for line in direct]
    for line in (*made, *expected):
        del line["at"], line["ms"]
    assert made == expected
    assert [line["key"] for line in made] == [False, True, True, True]
    for secret in (PHONE, key, "siti@example.id", "203.0.113.57"):
        assert secret not in stream.getvalue()
