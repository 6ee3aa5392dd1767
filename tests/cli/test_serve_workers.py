"""`smartcity-kit serve --workers N`: several processes share the port and one SQLite file, and
stopping the parent stops them all."""

from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests as http
import sqlalchemy as sa
from click.testing import CliRunner

from smartcity_kit.cli import main
from smartcity_kit.core import CityProfile
from smartcity_kit.egov import Agency, Service, ServiceDesk, ServiceStandard
from smartcity_kit.storage import ApiKeys, Database, Role, upgrade

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="--workers needs fork (POSIX)")

POSTS = 12


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed(url: str) -> str:
    """A current database with one service in Makassar; returns an open311-client key."""
    db = Database(url)
    upgrade(db)
    desk = ServiceDesk(db, CityProfile.builtin("makassar"))
    desk.save_agency(Agency(city="makassar", code="dlh", name="Dinas LH"), actor="admin")
    desk.save_service(
        Service(
            city="makassar",
            code="003",
            name="Sampah belum diangkut",
            description="Sampah menumpuk di jalan",
            group="Kebersihan",
            agency="dlh",
            standard=ServiceStandard(working_days=3),
        ),
        actor="admin",
    )
    _, key = ApiKeys(db).create("kiosk uji", Role.OPEN311_CLIENT)
    db.dispose()
    return key


def _group(pgid: int) -> list[int]:
    """The live processes of a process group (zombies excluded)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(entry.name))
    return found


def _wait_for_health(base: str, proc: subprocess.Popen[str]) -> http.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            return http.get(f"{base}/healthz", timeout=2)
        except http.ConnectionError:
            time.sleep(0.2)
    raise AssertionError("the server did not start")


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return True
    return False


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs /proc")
def test_workers_share_the_port_and_the_file_and_stop_together(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'city.db'}"
    key = _seed(url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "SMARTCITY_DATABASE_URL"}
    command = [sys.executable, "-m", "smartcity_kit.cli", "serve", "--db", url]
    command += ["--workers", "2", "--threads", "4", "--port", str(port)]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, so that nothing outlives the test
    ) as proc:
        try:
            health = _wait_for_health(base, proc)
            assert health.json() == {"status": "ok", "cities": ["makassar"]}
            workers = _group(proc.pid)
            assert proc.pid in workers
            assert len(workers) == 3  # the parent and two workers

            def post(n: int) -> int:
                form = {
                    "service_code": "003",
                    "lat": "-5.14",
                    "long": "119.42",
                    "description": f"Sampah menumpuk, laporan {n}",
                    "api_key": key,
                }
                answer = http.post(f"{base}/open311/v2/requests.json", data=form, timeout=30)
                assert answer.status_code == 201, answer.text
                return int(answer.json()[0]["service_request_id"])

            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                ids = list(pool.map(post, range(POSTS)))
            assert len(set(ids)) == POSTS
            assert http.get(f"{base}/healthz", timeout=5).status_code == 200

            proc.send_signal(signal.SIGTERM)  # to the parent only, as a service manager does
            out, err = proc.communicate(timeout=30)
            deadline = time.monotonic() + 30
            while _group(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _group(proc.pid) == [], "a worker outlived the parent"
            assert _refused(port)
        finally:
            if proc.poll() is None or _group(proc.pid):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
    assert "Workers:   2 processes x 4 threads" in out
    assert (tmp_path / "city.db-writer").is_file()  # where the workers' writers queue
    # Stopped, the workers still wrote the access lines they held, the last request's too.
    logged = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert [line["path"] for line in logged].count("/open311/v2/requests.json") == POSTS
    assert [line["path"] for line in logged].count("/healthz") == 2  # the last one too
    assert "Traceback" not in err

    db = Database(url)
    with db.reading() as conn:
        stored = conn.execute(sa.text("SELECT id, description FROM egov_requests")).all()
    db.dispose()
    assert sorted(row.id for row in stored) == sorted(ids)
    assert {row.description for row in stored} == {
        f"Sampah menumpuk, laporan {n}" for n in range(POSTS)
    }


def test_workers_need_a_database_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--workers", "2", "--db", "sqlite://"])
    assert result.exit_code == 2
    assert "--workers above 1 needs a database file or PostgreSQL" in result.stderr
    file_url = f"sqlite:///{tmp_path / 'none.db'}"
    missing = CliRunner().invoke(main, ["serve", "--workers", "2", "--db", file_url])
    assert missing.exit_code == 2
    assert not (tmp_path / "none.db").exists()


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs /proc")
def test_a_worker_that_dies_ends_the_service_with_an_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'city.db'}"
    _seed(url)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "SMARTCITY_DATABASE_URL"}
    command = [sys.executable, "-m", "smartcity_kit.cli", "serve", "--db", url]
    command += ["--workers", "2", "--port", str(port)]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    ) as proc:
        try:
            _wait_for_health(f"http://127.0.0.1:{port}", proc)
            victim = next(pid for pid in _group(proc.pid) if pid != proc.pid)
            os.kill(victim, signal.SIGKILL)
            _, err = proc.communicate(timeout=30)
            deadline = time.monotonic() + 30
            while _group(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _group(proc.pid) == [], "the other worker outlived the parent"
        finally:
            if proc.poll() is None or _group(proc.pid):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
    assert proc.returncode == 2  # non-zero: a service manager starts it again
    assert f"worker process {victim} ended" in err
