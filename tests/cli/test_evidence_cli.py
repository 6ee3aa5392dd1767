"""``smartcity-kit evidence``: keygen and verify."""

from __future__ import annotations

import datetime as dt
import json
import stat
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from smartcity_kit.cli._evidence import evidence
from smartcity_kit.core import FixedClock
from smartcity_kit.security._evidence import (
    CustodyEvent,
    EvidenceFile,
    EvidenceKey,
    EvidenceManifest,
    custody_lines,
    write_bundle,
)
from smartcity_kit.storage import AuditAnchor

NOW = dt.datetime(2026, 11, 23, 1, 30, tzinfo=dt.UTC)
SNAPSHOT = "files/snapshots/MKS-0001-1.jpg"


def run(*args: str) -> Result:
    return CliRunner().invoke(evidence, list(args))


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    private = tmp_path / "city.key"
    result = run("keygen", "--out", str(private))
    assert result.exit_code == 0, result.output
    return private, tmp_path / "city.key.pub"


def export(private: Path, path: Path) -> EvidenceManifest:
    return write_bundle(
        path,
        files=[
            EvidenceFile(SNAPSHOT, b"\xff\xd8 a jpeg", "snapshot"),
            EvidenceFile("files/grant.json", b'{"grant":"G-7"}', "grant"),
        ],
        key=EvidenceKey.load(private),
        city="makassar",
        case_number="LP/B/1234/XI/2026/SPKT",
        exported_by="acct-op7",
        organisation="polrestabes-mks",
        audit_head=AuditAnchor(42, "9f" * 32),
        grant_id="G-7",
        decisions=[41],
        custody=[
            CustodyEvent(NOW - dt.timedelta(hours=2), "acct-kasat", "grant.approved", "G-7"),
            CustodyEvent(NOW - dt.timedelta(hours=1), "acct-op7", "access.allowed", "entry 41"),
        ],
        clock=FixedClock(NOW),
    )


def test_keygen_writes_the_pair(keys: tuple[Path, Path]) -> None:
    private, public = keys
    key = EvidenceKey.load(private)

    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert public.read_bytes() == key.public_pem()


def test_keygen_prints_the_key_id_and_what_to_hand_out(tmp_path: Path) -> None:
    out = tmp_path / "city.key"

    result = run("keygen", "--out", str(out))

    assert result.exit_code == 0, result.output
    key = EvidenceKey.load(out)
    assert f"Evidence key {key.key_id}" in result.output
    assert f"Give {out}.pub to the recipients of bundles" in result.output
    assert "BEGIN" not in result.output  # no key material on the screen


def test_keygen_never_overwrites(keys: tuple[Path, Path]) -> None:
    private, public = keys
    before = private.read_bytes(), public.read_bytes()

    result = run("keygen", "--out", str(private))

    assert result.exit_code == 2
    assert result.output == f"Error: {private} already exists: refusing to overwrite it\n"
    assert (private.read_bytes(), public.read_bytes()) == before


def test_keygen_refuses_when_only_the_public_file_exists(tmp_path: Path) -> None:
    (tmp_path / "city.key.pub").write_text("someone's key")

    result = run("keygen", "--out", str(tmp_path / "city.key"))

    assert result.exit_code == 2
    assert result.output.startswith("Error: ")
    assert not (tmp_path / "city.key").exists()


def test_keygen_into_a_missing_folder(tmp_path: Path) -> None:
    result = run("keygen", "--out", str(tmp_path / "nowhere" / "city.key"))

    assert result.exit_code == 2
    assert result.output.startswith("Error: cannot write")
    assert result.output.count("\n") == 1


def test_verify_a_valid_bundle(keys: tuple[Path, Path], tmp_path: Path) -> None:
    private, public = keys
    bundle = tmp_path / "LP-1234.zip"
    manifest = export(private, bundle)

    result = run("verify", str(bundle), "--public-key", str(public))

    assert result.exit_code == 0, result.output
    out = result.output
    assert f"Bundle:      {manifest.bundle_id}" in out
    assert "Case:        LP/B/1234/XI/2026/SPKT" in out
    assert "Exported by: acct-op7 (polrestabes-mks)" in out
    assert "Exported at: 2026-11-23T01:30:00Z" in out
    assert f"Audit head:  42:{'9f' * 32}" in out
    assert f"  snapshot   9 B  {SNAPSHOT}  ok" in out
    assert "  grant     15 B  files/grant.json  ok" in out
    assert "Chain of custody:" in out
    for line in custody_lines(manifest):
        assert f"  {line}\n" in out
    assert out.splitlines()[-1].startswith(f"VALID: the signature (key {manifest.key_id})")


def test_verify_a_tampered_bundle(keys: tuple[Path, Path], tmp_path: Path) -> None:
    private, public = keys
    bundle = tmp_path / "LP-1234.zip"
    export(private, bundle)
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(bundle) as old, zipfile.ZipFile(tampered, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            new.writestr(info.filename, b"\xff\xd8 edited" if info.filename == SNAPSHOT else data)

    result = run("verify", str(tampered), "--public-key", str(public))

    assert result.exit_code == 1
    assert f"{SNAPSHOT}  SHA-256 does not match the manifest" in result.output
    assert result.output.splitlines()[-2:] == [
        "INVALID: 1 problem(s)",
        f"  - {SNAPSHOT}: SHA-256 does not match the manifest",
    ]


def test_verify_a_byte_flipped_bundle(keys: tuple[Path, Path], tmp_path: Path) -> None:
    private, public = keys
    bundle = tmp_path / "LP-1234.zip"
    export(private, bundle)
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x40
    bundle.write_bytes(bytes(data))

    result = run("verify", str(bundle), "--public-key", str(public))

    assert result.exit_code == 1
    assert "INVALID: " in result.output
    assert "Traceback" not in result.output


def test_verify_with_json(keys: tuple[Path, Path], tmp_path: Path) -> None:
    private, public = keys
    bundle = tmp_path / "LP-1234.zip"
    manifest = export(private, bundle)

    result = run("verify", str(bundle), "--public-key", str(public), "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["valid"] is True
    assert report["problems"] == []
    assert report["checked_with_key"] == manifest.key_id
    assert report["manifest"]["bundle_id"] == manifest.bundle_id
    assert report["files"][0] == {
        "path": SNAPSHOT,
        "kind": "snapshot",
        "size": 9,
        "sha256": manifest.files[0].sha256,
        "problems": [],
    }
    assert report["custody"] == custody_lines(manifest)


def test_verify_junk_with_json(keys: tuple[Path, Path], tmp_path: Path) -> None:
    _, public = keys
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")

    result = run("verify", str(junk), "--public-key", str(public), "--json")

    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["valid"] is False
    assert report["manifest"] is None
    assert report["problems"][0].startswith("bundle: not a readable ZIP file")


def test_verify_with_another_citys_key(keys: tuple[Path, Path], tmp_path: Path) -> None:
    private, _ = keys
    bundle = tmp_path / "LP-1234.zip"
    manifest = export(private, bundle)
    other = tmp_path / "other.pub"
    other.write_bytes(EvidenceKey.generate().public_pem())

    result = run("verify", str(bundle), "--public-key", str(other))

    assert result.exit_code == 1
    assert f"manifest.sig: signed by key {manifest.key_id}, the key given is" in result.output


@pytest.mark.parametrize("content", [b"not a key", None])
def test_verify_with_a_bad_public_key_file(
    keys: tuple[Path, Path], tmp_path: Path, content: bytes | None
) -> None:
    private, _ = keys
    bundle = tmp_path / "LP-1234.zip"
    export(private, bundle)
    pub = tmp_path / "bad.pub"
    if content is not None:
        pub.write_bytes(content)

    result = run("verify", str(bundle), "--public-key", str(pub))

    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {pub}: ")
    assert result.output.count("\n") == 1


def test_verify_with_the_private_key_by_mistake(keys: tuple[Path, Path], tmp_path: Path) -> None:
    private, _ = keys
    bundle = tmp_path / "LP-1234.zip"
    export(private, bundle)

    result = run("verify", str(bundle), "--public-key", str(private))

    assert result.exit_code == 2
    assert "is a private key: verify with the public key" in result.output
    assert "BEGIN" not in result.output


def test_verify_a_missing_bundle(keys: tuple[Path, Path], tmp_path: Path) -> None:
    _, public = keys

    result = run("verify", str(tmp_path / "nowhere.zip"), "--public-key", str(public))

    assert result.exit_code == 2
    assert result.output == f"Error: {tmp_path / 'nowhere.zip'}: no such file\n"
