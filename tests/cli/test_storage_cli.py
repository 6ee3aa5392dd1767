from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from smartcity_kit.cli import main
from smartcity_kit.storage import AuditLog, Database, head_revisions


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'city.db'}"


def test_upgrade_then_verify(url: str) -> None:
    up = run("db", "upgrade", "--db", url)
    assert up.exit_code == 0, up.output
    assert f"is at {', '.join(head_revisions())} (current)" in up.output
    current = run("db", "current", "--db", url)
    assert current.output.strip() == f"{', '.join(head_revisions())} (current)"
    verify = run("audit", "verify", "--db", url)
    assert verify.exit_code == 0
    assert verify.output.startswith("Audit log intact: 0 entries, head 0:0000")


def test_database_from_environment(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTCITY_DATABASE_URL", url)
    assert run("db", "upgrade").exit_code == 0
    assert run("audit", "verify").exit_code == 0


def test_commands_before_upgrade_say_what_to_do(url: str, tmp_path: Path) -> None:
    missing = run("audit", "verify", "--db", url)
    assert missing.exit_code == 2
    assert "no database file" in missing.stderr
    assert not (tmp_path / "city.db").exists()
    Database(url).engine.connect().close()  # an empty file, as another tool might leave it
    empty = run("audit", "show", "--db", url)
    assert empty.exit_code == 2
    assert "run `smartcity-kit db upgrade" in empty.stderr
    assert "Traceback" not in empty.output
    assert "no schema yet" in run("db", "current", "--db", url).output


def _filled(url: str) -> AuditLog:
    run("db", "upgrade", "--db", url)
    log = AuditLog(Database(url))
    for i in range(3):
        log.record(
            actor="opd:dpu/andi",
            action="request.resolved",
            subject=f"request:{i}",
            details={"i": i},
        )
    return log


def test_show_head_and_anchor(url: str) -> None:
    log = _filled(url)
    shown = run("audit", "show", "--db", url, "--subject", "request:1")
    assert shown.exit_code == 0
    assert 'opd:dpu/andi  request.resolved  request:1  {"i": 1}' in shown.output
    data = json.loads(run("audit", "show", "--db", url, "--limit", "2", "--json").output)
    assert [e["seq"] for e in data] == [2, 3]
    head = run("audit", "head", "--db", url).output.strip()
    assert head == str(log.head())
    assert json.loads(run("audit", "head", "--db", url, "--json").output)["seq"] == 3
    assert run("audit", "verify", "--db", url, "--anchor", head).exit_code == 0
    bad_anchor = run("audit", "verify", "--db", url, "--anchor", "2:" + "a" * 64)
    assert bad_anchor.exit_code == 1
    assert "BROKEN at entry 2" in bad_anchor.stderr
    assert run("audit", "verify", "--db", url, "--anchor", "nonsense").exit_code == 2


def test_show_since_needs_a_time(url: str) -> None:
    _filled(url)
    assert run("audit", "show", "--db", url, "--since", "2000-01-01").output.count("\n") == 3
    bad = run("audit", "show", "--db", url, "--since", "yesterday")
    assert bad.exit_code == 2
    assert "--since" in bad.stderr


def test_verify_exits_1_and_names_the_entry(url: str) -> None:
    _filled(url)
    db = Database(url)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_entries_no_update")
        conn.exec_driver_sql("UPDATE audit_entries SET actor = 'x' WHERE seq = 2")
    result = run("audit", "verify", "--db", url)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Audit log BROKEN at entry 2: entry 2 was altered: its hash does not match its contents"
    )


def test_unreachable_postgres_is_one_line_without_the_password() -> None:
    result = run("audit", "head", "--db", "postgresql+psycopg://city:s3cret@127.0.0.1:1/x")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: cannot use the database postgresql+psycopg://city:***@")
    assert "s3cret" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.postgres
def test_upgrade_and_verify_on_postgres() -> None:
    url = os.environ["SMARTCITY_TEST_POSTGRES_URL"]
    schema = f"cli_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        scoped = f"{url}?options=-csearch_path%3D{schema}"
        assert run("db", "upgrade", "--db", scoped).exit_code == 0
        assert run("audit", "verify", "--db", scoped).exit_code == 0
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_audit_show_refuses_absurd_times(url: str) -> None:
    _filled(url)
    result = run("audit", "show", "--db", url, "--since", "0001-01-01T00:00+08:00")
    assert result.exit_code == 2
    assert "--since" in result.stderr


def test_upgrade_refuses_a_database_from_a_newer_library(url: str) -> None:
    run("db", "upgrade", "--db", url)
    with Database(url).engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE alembic_version SET version_num = 'storage_9999' "
            "WHERE version_num LIKE 'storage%'"
        )
    result = run("db", "upgrade", "--db", url)
    assert result.exit_code == 2
    assert "upgraded by a newer smartcity-kit" in result.stderr
