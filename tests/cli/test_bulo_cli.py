"""``smartcity-kit bulo``: list, show, statements, close, shu, city, demo."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]  # no stubs in the dev venv
import pytest
from click.testing import CliRunner, Result

from smartcity_kit.cli import _bulo, main
from smartcity_kit.core import Address, RegionCode, Rupiah
from smartcity_kit.economy import Books, Enterprise, EnterpriseRegistry, SavingsKind
from smartcity_kit.storage import AuditLog, Database

TODAY = "2026-03-20"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def ok(*args: str, url: str) -> Result:
    result = run(*args, "--db", url)
    assert result.exit_code == 0, result.output
    return result


def refused(*args: str, url: str, says: str) -> Result:
    """Exit 2 with one ``Error:`` line saying ``says``, and no traceback."""
    result = run(*args, "--db", url)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: "), result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.output
    return result


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SMARTCITY_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file with the demo of two enterprises per city, made by ``bulo demo``."""
    url = f"sqlite:///{tmp_path_factory.mktemp('bulo') / 'city.db'}"
    result = run("bulo", "demo", "--today", TODAY, "--per-city", "2", "--db", url)
    assert result.exit_code == 0, result.output
    assert "Demo enterprises: 4, members: " in result.stdout
    return url


@pytest.fixture(scope="module")
def names(seeded: str) -> set[str]:
    db = Database(seeded)
    try:
        registry = EnterpriseRegistry(db)
        return {m.name for e in registry.enterprises() for m in registry.members(e.id)}
    finally:
        db.dispose()


def no_names(text: str, names: set[str]) -> None:
    assert names
    assert not [n for n in names if n in text]


# --- demo, list, show ---------------------------------------------------------------------------


def test_demo_again_writes_nothing(seeded: str) -> None:
    db = Database(seeded)
    head = AuditLog(db).head()
    again = ok("bulo", "demo", "--today", TODAY, "--per-city", "2", url=seeded)
    assert again.stdout.startswith("Demo enterprises: 4, members: ")
    assert AuditLog(db).head() == head
    db.dispose()
    refused("bulo", "demo", "--today", "2026-02-30", url=seeded, says="--today: must be a date")


def test_list(seeded: str) -> None:
    out = ok("bulo", "list", url=seeded).stdout.splitlines()
    assert out[0].split() == ["ID", "CITY", "KECAMATAN", "SECTOR", "FORM", "NAME"]
    assert [line.split()[0] for line in out[1:]] == [
        "bau-bs-kotamara",
        "bau-kasuami",
        "mks-bs-bersih",
        "mks-markisa",
    ]
    assert "BULo Lorong Markisa" in out[-1]
    waste = ok("bulo", "list", "--sector", "waste_bank", "--city", "baubau", url=seeded).stdout
    assert [line.split()[0] for line in waste.splitlines()[1:]] == ["bau-bs-kotamara"]
    listed = json.loads(ok("bulo", "list", "--city", "makassar", "--json", url=seeded).stdout)
    assert [e["id"] for e in listed] == ["mks-bs-bersih", "mks-markisa"]
    assert listed[1]["legal_form"] == "cooperative"
    district = listed[1]["district"]
    only = json.loads(ok("bulo", "list", "--district", district, "--json", url=seeded).stdout)
    assert "mks-markisa" in [e["id"] for e in only]
    none = ok("bulo", "list", "--city", "atlantis", url=seeded)
    assert none.stdout == ""
    assert "No enterprises." in none.stderr
    refused("bulo", "list", "--district", "73.71.xx", url=seeded, says="Error: ")


def test_show(seeded: str, names: set[str]) -> None:
    out = ok("bulo", "show", "mks-markisa", url=seeded).stdout
    assert "BULo Lorong Markisa" in out
    assert "Closed through:  2025-12-31" in out
    assert "Kota Makassar" in out
    no_names(out, names)
    shown = json.loads(ok("bulo", "show", "bau-bs-kotamara", "--json", url=seeded).stdout)
    assert shown["closed_through"] == "2025-12-31"
    assert 5 <= shown["members"] <= 25
    assert shown["sector"] == "waste_bank"
    no_names(json.dumps(shown), names)
    refused("bulo", "show", "nope", url=seeded, says="no enterprise 'nope'")


# --- statements ---------------------------------------------------------------------------------


def test_statements_json_and_html_to_stdout(seeded: str, names: set[str]) -> None:
    found = json.loads(
        ok("bulo", "statements", "mks-markisa", "--period", "2025", "--format", "json",
           url=seeded).stdout
    )  # fmt: skip
    assert found["balanced"] is True
    assert found["enterprise"]["id"] == "mks-markisa"
    html = ok("bulo", "statements", "mks-markisa", "--period", "2026-Q1", url=seeded).stdout
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "Laporan" in html
    no_names(html, names)


def test_statements_xlsx(seeded: str, tmp_path: Path) -> None:
    out = ok("bulo", "statements", "bau-kasuami", "--period", "2025", "--format", "xlsx",
             url=seeded).stdout  # fmt: skip
    default = tmp_path / "laporan-keuangan-bau-kasuami-2025.xlsx"
    assert out.splitlines()[0] == (
        f"Wrote {default.name} (xlsx): Laporan Keuangan BULo Kasuami Lorong Wolio Tahun 2025"
    )
    assert "(balanced)" in out
    named = tmp_path / "f.xlsx"
    ok("bulo", "statements", "bau-kasuami", "--period", "2025", "--output", str(named), url=seeded)
    for path in (default, named):
        book = openpyxl.load_workbook(path)
        assert book.sheetnames == ["Posisi Keuangan", "Laba Rugi", "Catatan"]
    piped = ok("bulo", "statements", "bau-kasuami", "--period", "2025-01-01/2025-06-30",
               "--format", "xlsx", "--output", "-", url=seeded)  # fmt: skip
    assert piped.stdout_bytes.startswith(b"PK")
    assert openpyxl.load_workbook(io.BytesIO(piped.stdout_bytes)).sheetnames[0] == (
        "Posisi Keuangan"
    )
    as_json = tmp_path / "s.json"
    ok("bulo", "statements", "bau-kasuami", "--period", "2025", "-o", str(as_json), url=seeded)
    assert json.loads(as_json.read_text(encoding="utf-8"))["balanced"] is True


def test_statements_refusals(seeded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    refused("bulo", "statements", "mks-markisa", "--period", "last year", url=seeded,
            says="--period: must be a year (2026)")  # fmt: skip
    refused("bulo", "statements", "nope", "--period", "2025", url=seeded, says="no enterprise")
    monkeypatch.setattr(_bulo, "_terminal", lambda: True)
    refused("bulo", "statements", "mks-markisa", "--period", "2025", "--format", "xlsx",
            "--output", "-", url=seeded, says="give --output FILE")  # fmt: skip
    refused("bulo", "statements", "mks-markisa", "--period", "2025", "-o", "/no/such/dir/x.html",
            url=seeded, says="cannot write")  # fmt: skip


# --- the city -----------------------------------------------------------------------------------


def test_city(seeded: str) -> None:
    out = ok("bulo", "city", "makassar", "--period", "2025", "--trend", url=seeded).stdout
    lines = out.splitlines()
    assert lines[0] == "makassar, Tahun 2025"
    assert lines[1].split() == [
        "KECAMATAN", "SECTOR", "ENTERPRISES", "MEMBERS", "REVENUE", "SURPLUS", "WASTE", "KG",
    ]  # fmt: skip
    total = next(line for line in lines if line.startswith("TOTAL"))
    assert total.split()[1:3] == ["-", "2"]
    assert "Rp" in total
    assert any(line.startswith("2025-12 ") for line in lines)
    data = json.loads(
        ok("bulo", "city", "baubau", "--period", "2025", "--group-by", "sector", "--json",
           url=seeded).stdout
    )  # fmt: skip
    assert data["total"]["enterprises"] == 2
    assert {row["sector"] for row in data["rows"]} == {"processed_food", "waste_bank"}
    assert all(row["district"] is None for row in data["rows"])
    assert data["total"]["revenue"] == sum(row["revenue"] for row in data["rows"])
    alone = ok("bulo", "city", "makassar", "--period", "2025", "--group-by", "none", url=seeded)
    assert len(alone.stdout.splitlines()) == 4  # title, header, the one row, total
    refused("bulo", "city", "atlantis", "--period", "2025", url=seeded, says="no enterprises")
    refused("bulo", "city", "makassar", "--period", "2025", "--group-by", "lorong", url=seeded,
            says="group_by")  # fmt: skip
    refused("bulo", "city", "makassar", "--period", "20255", url=seeded, says="--period:")


# --- closing and SHU (written; on each engine) --------------------------------------------------


@pytest.fixture
def coop(database_url: str) -> Iterator[str]:
    """A cooperative with two members, their savings and a year of sales; returns the URL."""
    assert run("db", "upgrade", "--db", database_url).exit_code == 0
    db = Database(database_url)
    registry, books = EnterpriseRegistry(db), Books(db)
    registry.register(
        Enterprise(
            id="mks-test-koperasi",
            city="makassar",
            name="Koperasi Lorong Uji",
            address=Address(village=RegionCode.parse("73.71.03.1001"), lorong="Lorong 3"),
            sector="culinary",
            legal_form="cooperative",
            founded=dt.date(2025, 1, 2),
        ),
        actor="test",
    )
    for name in ("Ramali Tokasu", "Sunira Lobeta"):
        number = registry.add_member(
            "mks-test-koperasi", name=name, joined=dt.date(2025, 1, 2), actor="test"
        ).number
        books.deposit_savings(
            "mks-test-koperasi",
            number,
            SavingsKind.PRINCIPAL,
            date=dt.date(2025, 1, 2),
            amount=Rupiah(100_000),
            actor="test",
        )
    for month, member in ((3, 1), (6, 2), (9, None)):
        books.record_sale(
            "mks-test-koperasi",
            date=dt.date(2025, month, 5),
            amount=Rupiah(1_000_000),
            member=member,
            actor="test",
        )
    yield database_url
    db.dispose()


def test_close_and_shu(coop: str) -> None:
    refused("bulo", "close", "mks-test-koperasi", "--through", "31-12-2025", url=coop,
            says="--through: must be a date")  # fmt: skip
    refused("bulo", "shu", "mks-test-koperasi", "--year", "2025", "--date", "2026-02-01",
            url=coop, says="year: close the books through 2025-12-31 first")  # fmt: skip
    closed = ok("bulo", "close", "mks-test-koperasi", "--through", "2025-12-31", url=coop).stdout
    assert closed.startswith(
        "Closed mks-test-koperasi from 2025-01-02 through 2025-12-31: profit Rp3.000.000"
    )
    refused("bulo", "close", "mks-test-koperasi", "--through", "2025-12-31", url=coop,
            says="through: the books are already closed through 2025-12-31")  # fmt: skip
    split = "reserve=40,member_business=30,member_capital=10,education=10,social=10"
    for bad, says in (
        ("reserve=40,oops", "--split: 'oops' is not POOL=PERCENT"),
        ("reserve=60", "split: the shares add up to 60%"),
        ("reserve=40,lottery=60", "split.lottery: is not a pool"),
        ("reserve=abc,member_business=100", "split.reserve:"),
    ):
        refused("bulo", "shu", "mks-test-koperasi", "--year", "2025", "--date", "2026-02-01",
                "--split", bad, url=coop, says=says)  # fmt: skip
    refused("bulo", "shu", "mks-test-koperasi", "--year", "2025", url=coop,
            says="no SHU of 2025 was distributed")  # fmt: skip
    out = ok("bulo", "shu", "mks-test-koperasi", "--year", "2025", "--date", "2026-02-01",
             "--split", split, "--actor", "rapat-anggota", url=coop).stdout  # fmt: skip
    assert out.splitlines()[0].startswith("SHU 2025 of mks-test-koperasi: Rp3.000.000")
    pools = {line.split()[0]: line.split()[1:3] for line in out.splitlines()[3:11]}
    assert pools["reserve"][0] == "40%"
    assert pools["member_business"] == ["30%", "Rp600.000"]  # 30% of the members' Rp2.000.000
    assert pools["management"] == ["0%", "Rp0"]
    assert "Ramali" not in out
    assert "Sunira" not in out
    shown = json.loads(
        ok("bulo", "shu", "mks-test-koperasi", "--year", "2025", "--json", url=coop).stdout
    )
    assert shown["surplus"] == 3_000_000
    assert shown["split"]["member_business"] == "30"
    assert [m["member"] for m in shown["members"]] == [1, 2]
    assert sum(shown["pools"].values()) == 3_000_000
    refused("bulo", "shu", "mks-test-koperasi", "--year", "2025", "--date", "2026-02-02",
            url=coop, says="was distributed by entry")  # fmt: skip
    refused("bulo", "shu", "mks-test-koperasi", "--year", "2025", "--split", split, url=coop,
            says="--split needs --date")  # fmt: skip
