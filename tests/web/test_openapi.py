"""The OpenAPI document at /api/openapi.json: complete, valid, and true of the served demo app.

The last test is Schemathesis against ``smartcity-kit serve --demo`` on a free port: for every
operation it sends requests generated from the document (valid ones and invalid ones) and checks
that no answer is a 5xx and every answer matches the document (status, media type, body schema,
headers). The server inherits ``SMARTCITY_CHECK_RESPONSES=1`` from the test run, so it also turns
any answer that differs from its declaration into a 500 that names the difference.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask.testing import FlaskClient

from smartcity_kit.core import CityProfile, SystemClock
from smartcity_kit.economy import EnterpriseRegistry
from smartcity_kit.security import AccessPolicy, Account, CameraRegistry, Organisation, SecretBox
from smartcity_kit.storage import ApiKeys, Database, Role, upgrade
from smartcity_kit.web import AppConfig, create_app

#: Where the declared endpoints live; everything else under /api/ must be declared too.
_UNDECLARED = {"/api/openapi.json"}


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    db = Database(f"sqlite:///{tmp_path / 'city.db'}")
    upgrade(db)
    cities = (CityProfile.builtin("makassar"), CityProfile.builtin("baubau"))
    app = create_app(AppConfig(cities=cities), database=db)
    return app.test_client()


def _document(client: FlaskClient) -> dict[str, Any]:
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    doc = answer.get_json()
    assert isinstance(doc, dict)
    return doc


def test_every_api_route_is_in_the_document(client: FlaskClient) -> None:
    doc = _document(client)
    assert doc["openapi"] == "3.1.0"
    app = client.application
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule in _UNDECLARED:
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert routes - documented == set(), "routes missing from /api/openapi.json"
    assert documented - routes == set(), "documented operations that do not exist"
    # Each module is there, with its operations.
    assert ("/api/{city}/requests", "get") in documented
    assert ("/api/dashboard/{city}", "get") in documented
    tags = {op["tags"][0] for ops in doc["paths"].values() for op in ops.values()}
    assert {"complaints", "cctv", "economy", "qris", "dashboard"} <= tags


def test_operations_are_described_with_their_errors(client: FlaskClient) -> None:
    doc = _document(client)
    ids = set()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["summary"], (path, method)
            assert op["operationId"] not in ids
            ids.add(op["operationId"])
            statuses = set(op["responses"])
            assert any(s.startswith("2") for s in statuses), (path, method)
            assert "503" in statuses
            query = [p for p in op.get("parameters", []) if p["in"] == "query"]
            if query or "requestBody" in op:
                assert "400" in statuses, (path, method)
            if "{" in path:
                assert "404" in statuses, (path, method)
            if op["security"]:
                assert "403" in statuses, (path, method)
            problem = op["responses"]["503"]["content"]["application/problem+json"]["schema"]
            assert problem == {"$ref": "#/components/schemas/Problem"}
    assert doc["components"]["securitySchemes"]["apiKey"]["name"] == "X-API-Key"


def test_a_query_parameter_is_checked_by_its_declaration(client: FlaskClient) -> None:
    answer = client.get("/api/dashboard/makassar?month=2026-13")
    assert answer.status_code == 400
    assert answer.mimetype == "application/problem+json"
    assert answer.get_json()["errors"] == [
        {"field": "month", "message": "must be a month, like 2026-11"}
    ]


def test_a_body_is_checked_by_its_declaration_after_the_key(
    client: FlaskClient, tmp_path: Path
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'city.db'}")
    _, admin = ApiKeys(db, SystemClock()).create("admin", Role.ADMIN, actor="test")
    body = {"name": 12345, "nik": "7371010101900001"}
    # Without a key nothing is said about the fields.
    assert client.put("/api/makassar/agencies/dpu", json=body).status_code == 403
    answer = client.put("/api/makassar/agencies/dpu", json=body, headers={"X-API-Key": admin})
    assert answer.status_code == 400
    errors = answer.get_json()["errors"]
    assert errors == [
        {"field": "name", "message": "must be text"},
        {"field": "nik", "message": "is not a field here"},
    ]
    assert "7371010101900001" not in answer.get_data(as_text=True)
    assert "12345" not in answer.get_data(as_text=True)


def _link_to_a_camera_owner(db: Database, key_id: str) -> str:
    """Make the key an admin account of the organisation owning the first demo camera (its id)."""
    policy = AccessPolicy(db)
    camera = CameraRegistry(db).list()[0]
    policy.save_organisation(
        Organisation(camera.owner.code, camera.city, camera.owner.name, camera.owner.kind),
        actor="test",
    )
    policy.add_account(
        Account("schemathesis.admin", camera.owner.code, "admin", "Uji Skema", key_id=key_id),
        actor="test",
    )
    return camera.id


# --- Schemathesis against the served demo -----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_for_health(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if requests.get(f"{base}/healthz", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    pytest.fail("the demo never answered /healthz:\n" + log.read_text())  # pragma: no cover


@contextlib.contextmanager
def _demo_database(engine: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database: a file, or a PostgreSQL schema dropped afterwards."""
    if engine == "sqlite":
        yield f"sqlite:///{folder / 'demo.db'}"
        return
    base = os.environ["SMARTCITY_TEST_POSTGRES_URL"]
    schema = f"served_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ],
)
def served_demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, str]]:
    """``smartcity-kit serve --demo`` on a free port, on SQLite and on PostgreSQL: a folder with
    its address (``base``) and Schemathesis's settings, and an admin key linked to a CCTV
    account."""
    folder = tmp_path_factory.mktemp("served")
    with _demo_database(request.param, folder) as url:
        yield from _served(folder, url)


def _served(folder: Path, url: str) -> Iterator[tuple[Path, str]]:
    base = f"http://127.0.0.1:{_free_port()}"
    (folder / "base").write_text(base)
    # The demo cameras' passwords are sealed with this key, so snapshots can use them.
    secret = SecretBox.generate_key()
    env = {**os.environ, "SMARTCITY_CHECK_RESPONSES": "1", "SMARTCITY_SECRET_KEY": secret}
    command = [sys.executable, "-m", "smartcity_kit.cli", "serve", "--demo", "--db", url]
    command += ["--port", base.rsplit(":", 1)[1], "--public-url", base, "--no-access-log"]
    with (folder / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        _wait_for_health(process, base, folder / "serve.log")
        db = Database(url)
        found, key = ApiKeys(db, SystemClock()).create("schemathesis", Role.ADMIN, actor="t")
        camera = _link_to_a_camera_owner(db, found.key_id)
        enterprise = EnterpriseRegistry(db).enterprises()[0]
        # Real ids for the path parameters, so that requests reach past "not found".
        (folder / "schemathesis.toml").write_text(
            "[parameters]\n"
            f'"path.camera_id" = "{camera}"\n'
            f'"path.enterprise_id" = "{enterprise.id}"\n'
            '"path.request_id" = 1\n'
            '"path.number" = 1\n'
            '"path.application_id" = 1\n'
            '"path.agreement_id" = 1\n'
        )
        yield folder, key
        db.dispose()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover - it would not stop
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


#: What Schemathesis checks: no 5xx, and every answer as documented.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)


def test_the_served_api_matches_its_document(served_demo: tuple[Path, str]) -> None:
    folder, key = served_demo
    base = (folder / "base").read_text()
    examples = os.environ.get("SMARTCITY_SCHEMATHESIS_EXAMPLES", "25")
    command = [str(Path(sys.executable).with_name("schemathesis")), "run"]
    command += [f"{base}/api/openapi.json", "--checks", ",".join(CHECKS)]
    command += ["--header", f"X-API-Key: {key}", "--max-examples", examples]
    command += ["--seed", "20261123", "--request-timeout", "30", "--workers", "1"]
    command += ["--generation-database", "none", "--suppress-health-check", "all"]
    command += ["--generation-allow-x00", "true"]  # PostgreSQL refuses NUL: it must be a 400
    command += ["--no-color", "--report", "junit", "--report-dir", str(folder)]
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=1500, check=False, cwd=folder
    )
    print(run.stdout[-3000:])  # noqa: T201 - the summary, shown with -s or on failure
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert "Tested:" in run.stdout


def test_a_nul_character_is_refused_before_any_database_sees_it(
    client: FlaskClient, tmp_path: Path
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'city.db'}")
    _, admin = ApiKeys(db, SystemClock()).create("admin", Role.ADMIN, actor="test")
    headers = {"X-API-Key": admin}
    query = client.get("/api/makassar/requests?service_code=00%001", headers=headers)
    assert query.status_code == 400
    assert query.get_json()["errors"] == [
        {"field": "service_code", "message": "must not contain a NUL character"}
    ]
    body = client.put("/api/makassar/agencies/dpu", json={"name": "Dinas\x00PU"}, headers=headers)
    assert body.status_code == 400
    assert body.get_json()["errors"] == [
        {"field": "name", "message": "must not contain a NUL character"}
    ]
    path = client.put("/api/makassar/agencies/d%00pu", json={"name": "DPU"}, headers=headers)
    assert path.status_code == 404
    assert path.get_json()["detail"] == "there is no such code"
