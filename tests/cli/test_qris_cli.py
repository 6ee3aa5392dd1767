"""``smartcity-kit qris``: make and read codes, without a database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from smartcity_kit.cli import main
from smartcity_kit.core import Rupiah
from smartcity_kit.economy.qris import crc16, parse_qris

# The synthetic static sample of the domain notes (cross-checked with two implementations).
SAMPLE = (
    "00020101021151440014ID.CO.QRIS.WWW0215ID10200000000010303UMI5204549953033605802ID"
    "5913WARUNG LORONG6008MAKASSAR61059011163041E30"
)
MAKE = (
    *("qris", "make", "--name", "WARUNG LORONG", "--city", "MAKASSAR"),
    *("--nmid", "ID1020000000001", "--mcc", "5499"),
)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def refused(*args: str) -> list[str]:
    """Exit 2, ``Error:`` lines only on stderr, no traceback; returns the lines."""
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines
    assert all(line.startswith("Error: ") for line in lines), lines
    return lines


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SMARTCITY_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)


def test_make_prints_the_static_sample() -> None:
    result = run(*MAKE, "--postal-code", "90111")
    assert result.exit_code == 0, result.output
    assert result.stdout == SAMPLE + "\n"


def test_make_a_dynamic_code_with_bill_and_reference() -> None:
    result = run(*MAKE, "--amount", "Rp15.000", "--bill", "42", "--reference", "QRS000000042")
    assert result.exit_code == 0, result.output
    code = parse_qris(result.stdout.strip())
    assert code.is_dynamic
    assert code.amount == Rupiah(15_000)
    assert code.additional is not None
    assert (code.additional.bill_number, code.additional.reference_label) == (
        "42",
        "QRS000000042",
    )
    assert code.nmid == "ID1020000000001"


def test_make_writes_images(tmp_path: Path) -> None:
    result = run(*MAKE, "--png", str(tmp_path / "kode.png"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "kode.png").read_bytes().startswith(b"\x89PNG")
    result = run(*MAKE, "--amount", "15000", "--svg", str(tmp_path / "kode.svg"))
    assert result.exit_code == 0, result.output
    assert b"<svg" in (tmp_path / "kode.svg").read_bytes()


def test_make_names_each_bad_option() -> None:
    lines = refused(
        "qris",
        "make",
        "--name",
        "WARUNG LORONG MARICAYA SEJAHTERA",
        "--city",
        "KOTA MAKASSAR SULSEL",
        "--nmid",
        "ID1020000000001",
        "--mcc",
        "54",
    )
    text = "\n".join(lines)
    assert len(lines) >= 3
    assert "--name" in text
    assert "--city" in text
    assert "--mcc" in text


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (("--amount", "0"), "--amount"),
        (("--amount", "lima ribu"), "--amount"),
        (("--amount", "Rp15.000,50"), "--amount"),
        (("--amount", "9" * 5000), "--amount"),
        (("--amount", "9" * 14), "--amount: tag 54 (transaction amount): must be at most 13"),
        (("--bill", "42"), "--amount too"),
        (("--png", "a.png", "--svg", "a.svg"), "give one of them"),
    ],
)
def test_make_refuses_bad_options(extra: tuple[str, ...], says: str) -> None:
    assert says in "\n".join(refused(*MAKE, *extra))


def test_read_prints_an_aligned_list() -> None:
    result = run("qris", "read", SAMPLE)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["00", "payload", "format", "indicator", "01"]
    assert "01     point of initiation" in result.stdout
    assert "11 (static)" in lines[1]
    assert any(line.startswith("51.02") and "ID1020000000001" in line for line in lines)
    assert any(line.startswith("59") and "WARUNG LORONG" in line for line in lines)
    assert lines[-1].split() == ["63", "CRC", "1E30"]
    # The values start in one column.
    assert len({line.index(line.split("  ")[-1].strip()) for line in lines[:2]}) == 1


def test_read_a_dynamic_code_shows_the_amount() -> None:
    made = run(*MAKE, "--amount", "15000", "--reference", "QRS000000001").stdout.strip()
    result = run("qris", "read", made)
    assert result.exit_code == 0, result.output
    assert "15000 (Rp15.000)" in result.stdout
    assert "12 (dynamic)" in result.stdout
    assert "62.05" in result.stdout


def test_read_as_json() -> None:
    result = run("qris", "read", SAMPLE, "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["valid"] is True
    assert found["dynamic"] is False
    by_tag = {f["tag"]: f for f in found["fields"]}
    assert by_tag["59"] == {"tag": "59", "name": "merchant name", "value": "WARUNG LORONG"}
    assert by_tag["51.02"]["value"] == "ID1020000000001"


def test_read_names_the_problems_by_tag() -> None:
    broken = SAMPLE[:-4] + "0000"
    lines = refused("qris", "read", broken)
    assert any(line.startswith("Error: tag 63 (CRC): ") for line in lines), lines
    long_name = SAMPLE.replace("5913WARUNG LORONG", "5926" + "W" * 26)[:-4]
    long_name += crc16(long_name)
    lines = refused("qris", "read", long_name)
    assert any(line.startswith("Error: tag 59 (merchant name): ") for line in lines), lines


def test_read_refuses_garbage_as_json_too() -> None:
    result = run("qris", "read", "hello", "--json")
    assert result.exit_code == 2
    found = json.loads(result.stdout)
    assert found["valid"] is False
    assert found["problems"]


def test_read_masks_a_mobile_number() -> None:
    made = run(*MAKE, "--amount", "15000").stdout.strip()
    # The same code with a mobile number in the additional data (62/02), and a new CRC.
    text = made[: made.index("6304")] + "6216" + "0212081234567890" + "6304"
    text += crc16(text)
    assert parse_qris(text).additional is not None
    result = run("qris", "read", text)
    assert result.exit_code == 0, result.output
    assert "081234567890" not in result.stdout
    assert "62.02" in result.stdout
