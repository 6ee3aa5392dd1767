"""``smartcity-kit cooperation``: list, show, apply-terms and the demo."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from smartcity_kit.cli import _cooperation, main
from smartcity_kit.core import FixedClock
from smartcity_kit.storage import AuditLog, Database

TODAY = "2026-11-23"


@pytest.fixture
def url(tmp_path: Path) -> str:
    found = f"sqlite:///{tmp_path / 'city.db'}"
    result = run("cooperation", "demo", "--today", TODAY, "--db", found)
    assert result.output == "Demo partners: 11, agreements: 15, activities: 5\n"
    return found


def run(*args: str) -> Result:
    return CliRunner(env={"SMARTCITY_DATABASE_URL": None}).invoke(main, list(args))


def test_the_demo_is_idempotent(url: str) -> None:
    again = run("cooperation", "demo", "--today", TODAY, "--db", url)
    assert again.output == "Demo partners: 11, agreements: 15, activities: 5\n"


def test_list_filters_by_status_field_and_expiry(url: str) -> None:
    every = run("cooperation", "list", "--today", TODAY, "--db", url)
    assert every.exit_code == 0
    assert len(every.output.splitlines()) == 16  # a header and 15 agreements
    held = run("cooperation", "list", "--status", "on_hold", "--today", TODAY, "--db", url)
    lines = held.output.splitlines()
    assert len(lines) == 2
    assert lines[1].split()[:4] == ["15", "MoU", "engie-ineo", "on_hold"]
    tourism = run(
        "cooperation", "list", "--field", "tourism", "--json", "--today", TODAY, "--db", url
    )
    assert {a["partner"] for a in json.loads(tourism.output)} == {
        "surakarta",
        "incheon",
        "kaohsiung",
    }
    soon = run("cooperation", "list", "--expiring", "90", "--today", TODAY, "--db", url)
    assert [line.split()[2] for line in soon.output.splitlines()[1:]] == ["palembang", "incheon"]
    assert "(45 d)" in soon.output
    none = run("cooperation", "list", "--expiring", "10", "--today", TODAY, "--db", url)
    assert (none.exit_code, none.output) == (0, "No agreements.\n")


def test_show_tells_what_an_agreement_still_needs(url: str) -> None:
    engie = run("cooperation", "show", "15", "--today", TODAY, "--db", url)
    assert engie.exit_code == 0
    assert "Still needs:  central_review, dprd" in engie.output
    assert "Di-hold" in engie.output
    data = json.loads(
        run("cooperation", "show", "8", "--json", "--today", TODAY, "--db", url).output
    )
    assert (data["implements"], data["activities"], data["missing_approvals"]) == (7, 2, [])


def test_bad_input_exits_2_with_one_line(url: str) -> None:
    for args, message in [
        (("list", "--today", "2026-02-30"), "Error: --today: must be a date"),
        (("list", "--city", "jakarta"), "Error: --city: no built-in city 'jakarta'"),
        (("show", "999"), "Error: no agreement 999 in makassar's register"),
    ]:
        result = run("cooperation", *args, "--db", url)
        assert result.exit_code == 2, result.output
        assert result.output.startswith(message)
    bad = run("cooperation", "list", "--status", "paused", "--db", url)
    assert bad.exit_code == 2
    missing = run("cooperation", "list", "--db", "sqlite:///nowhere/city.db")
    assert missing.exit_code == 2


def test_apply_terms_writes_with_the_real_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_url = f"sqlite:///{tmp_path / 'city.db'}"
    assert run("cooperation", "demo", "--today", TODAY, "--db", db_url).exit_code == 0
    refused = run("cooperation", "apply-terms", "--today", "2027-01-10", "--db", db_url)
    assert refused.exit_code == 2  # no --today for a command that writes
    now = dt.datetime(2027, 1, 10, 4, tzinfo=dt.UTC)
    monkeypatch.setattr(_cooperation, "SystemClock", lambda: FixedClock(now))
    later = run("cooperation", "apply-terms", "--db", db_url)
    assert later.output.splitlines() == ["9 palembang loi: expired", "1 agreement(s) changed."]
    entries = AuditLog(Database(db_url)).entries(actor="cli")
    assert [(e.action, e.at) for e in entries] == [("cooperation.agreement.expired", now)]
