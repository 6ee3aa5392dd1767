from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests as http
from click.testing import CliRunner

from smartcity_kit.cli import main
from smartcity_kit.security import CameraRegistry, FleetMonitor
from smartcity_kit.storage import ApiKeys, Database


def test_keys_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'city.db'}"
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade", "--db", url]).exit_code == 0
    made = runner.invoke(
        main, ["keys", "create", "--name", "kiosk kantor", "--role", "open311-client", "--db", url]
    )
    assert made.exit_code == 0
    key = made.stdout.strip()
    assert key.startswith("sck_")
    assert "shown only now" in made.stderr
    assert ApiKeys(Database(url)).authenticate(key) is not None
    listed = runner.invoke(main, ["keys", "list", "--db", url])
    key_id = key.split("_")[1]
    assert key_id in listed.output
    assert key.split("_", 2)[2] not in listed.output  # the secret (it may itself hold "_")
    data = json.loads(runner.invoke(main, ["keys", "list", "--json", "--db", url]).output)
    assert data[0]["role"] == "open311-client"
    revoked = runner.invoke(main, ["keys", "revoke", key_id, "--db", url])
    assert revoked.output.strip() == f"Key {key_id} (kiosk kantor) is revoked."
    assert ApiKeys(Database(url)).authenticate(key) is None
    operator = runner.invoke(
        main, ["keys", "create", "--name", "x", "--role", "operator", "--db", url]
    )
    assert operator.exit_code == 2
    assert "needs the agency" in operator.stderr
    assert runner.invoke(main, ["keys", "revoke", "nope", "--db", url]).exit_code == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_demo_answers_and_stops(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "SMARTCITY_DATABASE_URL"}
    command = [
        sys.executable,
        "-m",
        "smartcity_kit.cli",
        "serve",
        "--demo",
        "--port",
        str(port),
        "--db",
        f"sqlite:///{tmp_path / 'demo.db'}",
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    health = http.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                    break
                except http.ConnectionError:
                    time.sleep(0.5)
            else:
                raise AssertionError("the server did not start")
            assert health.json() == {"status": "ok", "cities": ["baubau", "makassar"]}
            services = http.get(
                f"http://127.0.0.1:{port}/open311/v2/services.json",
                params={"jurisdiction_id": "makassarkota.go.id"},
                timeout=5,
            ).json()
            assert [s["service_code"] for s in services] == [
                "001",
                "002",
                "003",
                "004",
                "005",
                "006",
                "007",
            ]
            # The demo's simulated cameras are registered and polled in the background.
            registry = CameraRegistry(Database(f"sqlite:///{tmp_path / 'demo.db'}"), secrets=None)
            monitor = FleetMonitor(registry)
            while time.monotonic() < deadline and len(monitor.latest()) < 24:
                time.sleep(0.5)
            cameras = registry.list()
            assert len(cameras) == 24
            assert {c.city for c in cameras} == {"makassar", "baubau"}
            checks = monitor.latest()
            assert sum(h.online for h in checks) == 22
            assert all(h.authenticated for h in checks if h.online)
        finally:
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
    assert "Demo API key (open311-client): sck_" in out
    # The access log: a JSON line per request on standard error.
    lines = [json.loads(line) for line in err.splitlines() if line.startswith('{"at"')]
    services_line = next(r for r in lines if r["path"] == "/open311/v2/services.json")
    assert services_line["query"] == ["jurisdiction_id"]
    assert services_line["status"] == 200
    assert "Demo requests: {'makassar': 300, 'baubau': 300}" in out


def test_serve_without_schema_says_what_to_do(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'city.db'}"
    Database(url).engine.connect().close()
    result = CliRunner().invoke(main, ["serve", "--db", url])
    assert result.exit_code == 2
    assert "run `smartcity-kit db upgrade" in result.stderr
    assert CliRunner().invoke(main, ["serve", "--city", "atlantis", "--db", url]).exit_code == 2
