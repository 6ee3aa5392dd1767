from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner, Result

import smartcity_kit
from smartcity_kit.cli import main


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"smartcity-kit, version {smartcity_kit.__version__}"


def test_help_lists_the_groups() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "nik" in result.output
    assert "region" in result.output


def test_console_script_is_installed() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "smartcity_kit.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.startswith("smartcity-kit, version ")


class TestNikInspect:
    def test_names_region_birth_date_and_sex(self) -> None:
        result = run("nik", "inspect", "7371105508950001")
        assert result.exit_code == 0
        out = result.output
        assert "Kota Makassar" in out
        assert "Kecamatan Tamalate" in out
        assert "15 August 1995" in out
        assert "female" in out
        assert "737110******0001" in out
        assert "7371105508950001" not in out

    def test_json(self) -> None:
        result = run("nik", "inspect", "7371 1055 0895 0001", "--json")
        data = json.loads(result.output)
        assert data == {
            "nik": "737110******0001",
            "region": {
                "province": {"code": "73", "name": "Sulawesi Selatan"},
                "regency": {"code": "73.71", "name": "Kota Makassar"},
                "district": {"code": "73.71.10", "name": "Tamalate"},
            },
            "region_known": True,
            "birth_date": "1995-08-15",
            "sex": "female",
            "serial": "0001",
        }

    @pytest.mark.parametrize(
        ("number", "rule"),
        [
            ("7371105508950000", "serial number"),
            ("12345", "must be 16 digits"),
            ("7371103508950001", "not a real birth date"),
        ],
    )
    def test_invalid_nik_prints_one_line_and_exits_2(self, number: str, rule: str) -> None:
        result = CliRunner().invoke(main, ["nik", "inspect", number])
        assert result.exit_code == 2
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith("Error: nik: ")
        assert rule in lines[0]
        assert number not in result.stderr

    def test_unknown_district_warns_and_still_shows(self) -> None:
        result = CliRunner().invoke(main, ["nik", "inspect", "7371995508950001"])
        assert result.exit_code == 0
        assert "Warning: NIK issuing district 73.71.99" in result.stderr
        assert "(not in the current Kemendagri data)" in result.stdout
        assert "Kota Makassar" in result.stdout


class TestRegion:
    def test_show_baubau_lists_its_8_kecamatan(self) -> None:
        result = run("region", "show", "74.72")
        assert result.exit_code == 0
        lines = result.output.splitlines()
        assert lines[0].startswith("74.72  Kota Bau Bau (kota)")
        assert "8 kecamatan:" in lines
        for name in (
            "Betoambari",
            "Wolio",
            "Sorawolio",
            "Bungi",
            "Kokalukuna",
            "Murhum",
            "Lea-Lea",
            "Batupoaro",
        ):
            assert any(line.strip().endswith(name) for line in lines), name

    def test_show_makassar_lists_15_kecamatan(self) -> None:
        data = json.loads(run("region", "show", "7371", "--json").output)
        assert data["name"] == "Kota Makassar"
        assert len(data["children"]) == 15
        assert data["parents"] == [
            {
                "code": "73",
                "name": "Sulawesi Selatan",
                "level": "province",
                "kind": "provinsi",
                "path": "Sulawesi Selatan",
            }
        ]

    def test_show_village_has_postal_code(self) -> None:
        result = run("region", "show", "73.71.03.1001")
        assert "Maricaya (kelurahan, kode pos 90142)" in result.output

    @pytest.mark.parametrize(("code", "message"), [("73.99", "not in"), ("7", "must be 2, 4")])
    def test_show_bad_code_exits_2(self, code: str, message: str) -> None:
        result = CliRunner().invoke(main, ["region", "show", code])
        assert result.exit_code == 2
        assert message in result.stderr

    def test_search(self) -> None:
        result = run("region", "search", "bau bau")
        assert result.exit_code == 0
        assert result.output.splitlines()[0].startswith("74.72")

    def test_search_villages_within(self) -> None:
        data = json.loads(
            run("region", "search", "maricaya", "--within", "73.71.03", "--json").output
        )
        assert [r["code"] for r in data] == ["73.71.03.1001", "73.71.03.1006"]
        assert data[0]["postal_code"] == "90142"

    def test_search_level(self) -> None:
        data = json.loads(
            run("region", "search", "makassar", "--level", "district", "--json").output
        )
        assert [r["code"] for r in data] == ["73.71.03"]

    def test_search_nothing_found(self) -> None:
        result = CliRunner().invoke(main, ["region", "search", "atlantis"])
        assert result.exit_code == 2
        assert "no region matches" in result.stderr

    def test_search_bad_within(self) -> None:
        result = CliRunner().invoke(main, ["region", "search", "x", "--within", "99"])
        assert result.exit_code == 2
