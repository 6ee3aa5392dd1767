"""``smartcity-kit permits``: verify, list, show, demo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from smartcity_kit.cli import main


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('permits') / 'city.db'}"
    result = run("permits", "demo", "--today", "2026-11-23", "--db", url)
    assert result.exit_code == 0, result.output
    assert result.stdout == "Demo permit applications: {'makassar': 5, 'baubau': 6}\n"
    return url


def test_demo_again_writes_nothing(seeded: str) -> None:
    again = run("permits", "demo", "--today", "2026-11-23", "--db", seeded)
    assert again.stdout == "Demo permit applications: {'makassar': 5, 'baubau': 6}\n"


def test_a_valid_permit(seeded: str) -> None:
    result = run(
        "permits", "verify", "503/0001/DPMPTSP/XI/2026", "--on", "2026-11-23", "--db", seeded
    )
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "Number:       503/0001/DPMPTSP/XI/2026",
        "Valid:        yes",
        "Holder:       W*** S*** H*** (person, 747201******0001)",
        "Service:      P01 Persetujuan Bangunan Gedung (PBG)",
        "Issued by:    dpmptsp, Kota Baubau",
        "Issued on:    2026-11-05",
        "Valid until:  2031-11-04",
    ]
    assert "7472015508950001" not in result.output


def test_not_valid_exits_1(seeded: str) -> None:
    revoked = run("permits", "verify", "503/0003/DPMPTSP/XI/2026", "--db", seeded)
    assert revoked.exit_code == 1
    assert "Valid:        no (revoked on 2026-11-12)" in revoked.stdout
    unknown = run("permits", "verify", "503/0042/DPMPTSP/XI/2026", "--db", seeded)
    assert unknown.exit_code == 1
    assert "no permit has this number" in unknown.stdout
    expired = run(
        "permits", "verify", "503/0001/DPMPTSP/X/2026", "--on", "2031-10-02", "--db", seeded
    )
    assert expired.exit_code == 1
    assert "Valid:        no (expired)" in expired.stdout


def test_verify_as_json(seeded: str) -> None:
    result = run(
        "permits",
        "verify",
        "503/0002/DPMPTSP/X/2026",
        "--on",
        "2026-11-23",
        "--json",
        "--db",
        seeded,
    )
    body = json.loads(result.stdout)
    assert body["valid"] is True
    assert body["valid_until"] is not None
    assert body["city"] == "makassar"
    assert body["holder"] == "C*** L*** K***"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("permits", "verify", " "), "Error: NUMBER: must be a permit number"),
        (("permits", "verify", "503/1", "--city", "atlantis"), "Error: --city: must be one of"),
        (("permits", "verify", "503/1", "--on", "23-11-2026"), "Error: --on: must be a date"),
        (("permits", "list", "--city", "atlantis"), "Error: --city: must be one of"),
        (("permits", "demo", "--today", "tomorrow"), "Error: --today: must be a date"),
    ],
)
def test_bad_input_exits_2(seeded: str, args: tuple[str, ...], message: str) -> None:
    result = run(*args, "--db", seeded)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)


def test_a_missing_database_is_refused(tmp_path: Path) -> None:
    result = run("permits", "verify", "503/1", "--db", f"sqlite:///{tmp_path / 'none.db'}")
    assert result.exit_code == 2
    assert "no database file" in result.stderr


def test_list(seeded: str) -> None:
    result = run("permits", "list", "--city", "baubau", "--status", "issued", "--db", seeded)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "ID  STATUS  SERVICE  DUE         NUMBER                    APPLICANT",
        "7   issued  P03      2026-11-09  503/0002/DPMPTSP/XI/2026  C*** B*** W***",
        "6   issued  P01      2026-11-23  503/0001/DPMPTSP/XI/2026  W*** S*** H***",
    ]
    listed = json.loads(
        run("permits", "list", "--city", "makassar", "--json", "--db", seeded).stdout
    )
    assert [a["status"] for a in listed] == [
        "rejected",
        "requirements_incomplete",
        "fee_paid",
        "issued",
        "issued",
    ]
    assert all("*" in a["applicant"]["name"] for a in listed)
    overdue = run("permits", "list", "--city", "makassar", "--overdue", "--db", seeded)
    assert "fee_paid" in overdue.stdout
    none = run("permits", "list", "--city", "tual", "--db", seeded)
    assert none.stdout == "No applications.\n"


def test_show(seeded: str) -> None:
    result = run("permits", "show", "4", "--city", "makassar", "--db", seeded)
    assert result.exit_code == 0
    out = result.stdout
    assert "Status:       requirements_incomplete" in out
    assert "Due:          paused" in out
    assert "  2. Akta pendirian usaha: (no document)  MISSING" in out
    assert "requirements_incomplete" in out
    body = json.loads(
        run("permits", "show", "4", "--city", "makassar", "--json", "--db", seeded).stdout
    )
    assert body["missing"] == [2]
    assert [h["action"] for h in body["history"]][-1] == "requirements_incomplete"
    missing = run("permits", "show", "4", "--city", "baubau", "--db", seeded)
    assert missing.exit_code == 2
    assert "no permit application 4 in baubau" in missing.stderr
