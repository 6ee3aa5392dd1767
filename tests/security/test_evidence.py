"""Signed evidence bundles: writing, verifying, and every way a bundle can be tampered with."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import os
import stat
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from smartcity_kit.core import FixedClock
from smartcity_kit.errors import ConfigurationError, ConflictError, ValidationError
from smartcity_kit.security import _evidence
from smartcity_kit.security._evidence import (
    EVIDENCE_FORMAT,
    EVIDENCE_KEY_VARIABLE,
    CustodyEvent,
    EvidenceFile,
    EvidenceKey,
    EvidenceKind,
    EvidenceManifest,
    ManifestFile,
    custody_lines,
    load_public_key,
    public_key_id,
    verify_bundle,
    write_bundle,
)
from smartcity_kit.storage import AuditAnchor

KEY = EvidenceKey.generate()
OTHER_KEY = EvidenceKey.generate()
NOW = dt.datetime(2026, 11, 23, 1, 30, 15, tzinfo=dt.UTC)
HEAD = AuditAnchor(42, "9f" * 32)
SNAPSHOT = "files/snapshots/MKS-0001-1.jpg"
FILES = (
    EvidenceFile(SNAPSHOT, b"\xff\xd8\xff\xe0 a jpeg " * 50, EvidenceKind.SNAPSHOT),
    EvidenceFile("files/clips/MKS-0001.mp4", bytes(range(256)) * 20, "clip"),
    EvidenceFile("files/cameras/MKS-0001.json", b'{"id":"MKS-0001"}', "camera"),
    EvidenceFile("files/grant.json", b'{"grant":"G-7"}', "grant"),
)
APPROVED = CustodyEvent(
    at=NOW - dt.timedelta(hours=3), actor="acct-kasat", action="grant.approved", detail="G-7"
)
ALLOWED = CustodyEvent(
    at=NOW - dt.timedelta(hours=1), actor="acct-op7", action="access.allowed", detail="entry 41"
)


def write(path: Path, files: Any = FILES, **fields: Any) -> EvidenceManifest:
    arguments: dict[str, Any] = {
        "files": files,
        "key": KEY,
        "city": "makassar",
        "case_number": "LP/B/1234/XI/2026/SPKT",
        "exported_by": "acct-op7",
        "organisation": "polrestabes-mks",
        "audit_head": HEAD,
        "grant_id": "G-7",
        "decisions": [40, 41],
        "custody": [APPROVED, ALLOWED],
        "clock": FixedClock(NOW),
    }
    arguments.update(fields)
    return write_bundle(path, **arguments)


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    path = tmp_path / "LP-1234.zip"
    write(path)
    return path


def rezip(
    source: Path,
    target: Path,
    *,
    replace: Mapping[str, bytes] | None = None,
    drop: tuple[str, ...] = (),
    add: Mapping[str, bytes] | None = None,
) -> Path:
    """The bundle rebuilt by an ordinary ZIP tool (correct CRCs), with some entries changed."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename not in drop:
                new.writestr(info.filename, (replace or {}).get(info.filename, old.read(info)))
        for name, data in (add or {}).items():
            new.writestr(name, data)
    return target


def manifest_json(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        loaded: dict[str, Any] = json.loads(archive.read("manifest.json"))
    return loaded


def canonical(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def problems(path: Path, key: EvidenceKey = KEY) -> tuple[str, ...]:
    report = verify_bundle(path, key.public_pem())
    assert not report.valid
    return report.problems


# --- writing and verifying ------------------------------------------------------------------


def test_a_bundle_as_written_verifies(bundle: Path) -> None:
    report = verify_bundle(bundle, KEY.public_pem())

    assert report.valid, report.problems
    assert report.problems == ()
    assert report.key_id == KEY.key_id
    assert report.manifest is not None
    assert report.manifest.case_number == "LP/B/1234/XI/2026/SPKT"
    assert report.problems_for(SNAPSHOT) == ()


def test_the_bundle_layout(tmp_path: Path) -> None:
    path = tmp_path / "b.zip"
    manifest = write(path, note="Rekaman untuk penyidik")

    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        infos = archive.infolist()
        assert [i.filename for i in infos] == [
            "manifest.json",
            "manifest.sig",
            *(f.path for f in FILES),
        ]
        assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}
        signed = archive.read("manifest.json")
        signature = base64.b64decode(archive.read("manifest.sig"), validate=True)
        for file in FILES:
            assert archive.read(file.path) == file.data
    assert signed == manifest.to_json()
    KEY.public_key.verify(signature, signed)  # raises if it does not verify
    assert EvidenceManifest.parse(signed) == manifest
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["b.zip"]  # no temporary file left


def test_the_manifest_records_the_export(bundle: Path) -> None:
    raw = manifest_json(bundle)
    manifest = EvidenceManifest.parse(canonical(raw))

    assert raw["format"] == EVIDENCE_FORMAT
    assert raw["audit_head"] == {"seq": 42, "hash": "9f" * 32}
    assert raw["exported_at"] == "2026-11-23T01:30:15+00:00"
    assert manifest.exported_at == NOW
    assert manifest.decisions == (40, 41)
    assert manifest.key_id == KEY.key_id
    assert len(manifest.bundle_id) == 32
    assert [(f.path, f.size, f.kind) for f in manifest.files] == [
        (f.path, len(f.data), f.kind) for f in FILES
    ]
    assert manifest.files[0].sha256 == hashlib.sha256(FILES[0].data).hexdigest()
    *before, export = manifest.custody
    assert before == [APPROVED, ALLOWED]
    assert (export.at, export.actor, export.action) == (NOW, "acct-op7", "evidence.exported")
    assert manifest.bundle_id in export.detail
    assert KEY.key_id in export.detail


def test_custody_lines(tmp_path: Path) -> None:
    manifest = write(tmp_path / "b.zip")

    assert custody_lines(manifest) == [
        "2026-11-22T22:30:15Z  grant.approved  acct-kasat  G-7",
        "2026-11-23T00:30:15Z  access.allowed  acct-op7  entry 41",
        (
            "2026-11-23T01:30:15Z  evidence.exported  acct-op7  "
            f"4 file(s) in bundle {manifest.bundle_id}, signed with key {KEY.key_id}"
        ),
    ]


def test_the_public_key_may_be_given_as_a_path_text_or_key(bundle: Path, tmp_path: Path) -> None:
    pub = tmp_path / "city.pub"
    KEY.save_public(pub)

    assert verify_bundle(bundle, pub).valid
    assert verify_bundle(bundle, str(pub)).valid
    assert verify_bundle(bundle, KEY.public_pem().decode()).valid
    assert verify_bundle(bundle, KEY.public_key).valid


# --- properties -----------------------------------------------------------------------------

_parts = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,11}", fullmatch=True).filter(
    lambda p: p.upper() not in _evidence._WINDOWS_DEVICES
)
_paths = st.lists(_parts, min_size=1, max_size=3).map(lambda parts: "files/" + "/".join(parts))
_file_sets = st.lists(
    st.builds(
        EvidenceFile,
        path=_paths,
        data=st.binary(max_size=600),
        kind=st.sampled_from(EvidenceKind),
    ),
    min_size=1,
    max_size=5,
    unique_by=lambda f: f.path.casefold(),
).filter(
    # A file's path may not also be another file's folder.
    lambda files: not any(a.path.startswith(b.path + "/") for a in files for b in files)
)


@given(files=_file_sets, data=st.data())
def test_any_changed_byte_makes_a_bundle_invalid(files: list[EvidenceFile], data: Any) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "b.zip"
        write(path, files)
        assert verify_bundle(path, KEY.public_pem()).valid

        original = path.read_bytes()
        offset = data.draw(st.integers(0, len(original) - 1), label="offset")
        flip = data.draw(st.integers(1, 255), label="xor")
        tampered = bytearray(original)
        tampered[offset] ^= flip
        path.write_bytes(bytes(tampered))

        report = verify_bundle(path, KEY.public_pem())
    assert not report.valid
    assert report.problems


@given(files=_file_sets, data=st.data())
def test_a_bundle_cut_short_or_lengthened_is_invalid(files: list[EvidenceFile], data: Any) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "b.zip"
        write(path, files)
        original = path.read_bytes()
        if data.draw(st.booleans(), label="cut"):
            changed = original[: data.draw(st.integers(0, len(original) - 1), label="length")]
        else:
            changed = original + data.draw(st.binary(min_size=1, max_size=40), label="tail")
        path.write_bytes(changed)

        report = verify_bundle(path, KEY.public_pem())
    assert not report.valid


@given(junk=st.binary(max_size=400))
def test_junk_is_reported_never_raised(junk: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "junk.zip"
        path.write_bytes(junk)
        report = verify_bundle(path, KEY.public_pem())
    assert not report.valid
    assert report.manifest is None


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)


PLAIN_MANIFEST = EvidenceManifest(
    bundle_id="0" * 32,
    city="makassar",
    case_number="LP/B/1/2026",
    exported_by="acct-op7",
    organisation="polrestabes-mks",
    exported_at=NOW,
    audit_head=HEAD,
    decisions=[41],
    files=[ManifestFile(SNAPSHOT, "0" * 64, 1, "snapshot")],
    custody=[APPROVED],
    key_id=KEY.key_id,
)


@given(field=st.sampled_from([a.name for a in attrs.fields(EvidenceManifest)]), value=_json_values)
def test_any_field_value_parses_or_is_a_validation_error(field: str, value: Any) -> None:
    raw = json.loads(PLAIN_MANIFEST.to_json())
    raw[field] = value

    with contextlib.suppress(ValidationError):
        EvidenceManifest.parse(json.dumps(raw).encode())


# --- tampering, case by case ----------------------------------------------------------------


def test_a_changed_file_rezipped_with_a_correct_crc(bundle: Path, tmp_path: Path) -> None:
    changed = bytearray(FILES[0].data)
    changed[100] ^= 0x01
    tampered = rezip(bundle, tmp_path / "t.zip", replace={SNAPSHOT: bytes(changed)})

    report = verify_bundle(tampered, KEY.public_pem())

    assert not report.valid
    assert report.problems == (f"{SNAPSHOT}: SHA-256 does not match the manifest",)
    assert report.problems_for(SNAPSHOT) == ("SHA-256 does not match the manifest",)


def test_a_file_of_another_size(bundle: Path, tmp_path: Path) -> None:
    tampered = rezip(bundle, tmp_path / "t.zip", replace={SNAPSHOT: b"shorter"})

    assert problems(tampered) == (f"{SNAPSHOT}: 7 bytes, the manifest says {len(FILES[0].data)}",)


def test_a_removed_file(bundle: Path, tmp_path: Path) -> None:
    tampered = rezip(bundle, tmp_path / "t.zip", drop=("files/grant.json",))

    assert problems(tampered) == ("files/grant.json: in the manifest but missing from the bundle",)


def test_an_added_file(bundle: Path, tmp_path: Path) -> None:
    tampered = rezip(bundle, tmp_path / "t.zip", add={"files/planted.jpg": b"not ours"})

    assert problems(tampered) == ("files/planted.jpg: in the bundle but not in the manifest",)


def test_a_repacked_bundle_with_unchanged_contents(bundle: Path, tmp_path: Path) -> None:
    tampered = rezip(bundle, tmp_path / "t.zip")

    (problem,) = problems(tampered)
    assert problem.startswith("bundle: ")
    assert "the contents and the signature check out, but the ZIP file was altered" in problem


def test_a_changed_byte_outside_the_contents(bundle: Path) -> None:
    data = bytearray(bundle.read_bytes())
    header = data.index(b"PK\x03\x04", 1)  # the second entry's local header
    data[header + 10] ^= 0x01  # its modification time, which zipfile does not compare
    bundle.write_bytes(bytes(data))

    assert problems(bundle) == (
        (
            f"bundle: byte {header + 10} is not as written; the contents and the signature check "
            "out, but the ZIP file was altered or repacked"
        ),
    )


def test_an_edited_manifest_with_the_old_signature(bundle: Path, tmp_path: Path) -> None:
    raw = manifest_json(bundle)
    raw["exported_by"] = "acct-someone-else"
    tampered = rezip(bundle, tmp_path / "t.zip", replace={"manifest.json": canonical(raw)})

    report = verify_bundle(tampered, KEY.public_pem())

    assert report.problems == (
        (
            f"manifest.sig: the signature does not verify with key {KEY.key_id}: manifest.json or "
            "manifest.sig was altered"
        ),
    )
    assert report.manifest is not None
    assert report.manifest.exported_by == "acct-someone-else"  # shown as a claim, not a proof


def test_an_edited_hash_in_the_manifest(bundle: Path, tmp_path: Path) -> None:
    changed = b"a different picture"
    raw = manifest_json(bundle)
    raw["files"][0].update(sha256=hashlib.sha256(changed).hexdigest(), size=len(changed))
    tampered = rezip(
        bundle,
        tmp_path / "t.zip",
        replace={"manifest.json": canonical(raw), SNAPSHOT: changed},
    )

    (problem,) = problems(tampered)
    assert problem.startswith("manifest.sig: the signature does not verify")


def test_a_manifest_resigned_with_another_key(bundle: Path, tmp_path: Path) -> None:
    raw = manifest_json(bundle)
    raw.update(exported_by="acct-someone-else", key_id=OTHER_KEY.key_id)
    signed = canonical(raw)
    tampered = rezip(
        bundle,
        tmp_path / "t.zip",
        replace={"manifest.json": signed, "manifest.sig": base64.b64encode(OTHER_KEY.sign(signed))},
    )

    assert problems(tampered) == (
        (
            f"manifest.sig: signed by key {OTHER_KEY.key_id}, the key given is {KEY.key_id}: "
            "verify with the exporting city's public key (or the manifest was altered)"
        ),
    )


def test_a_manifest_resigned_keeping_the_key_id(bundle: Path, tmp_path: Path) -> None:
    raw = manifest_json(bundle)
    raw["exported_by"] = "acct-someone-else"
    signed = canonical(raw)
    tampered = rezip(
        bundle,
        tmp_path / "t.zip",
        replace={"manifest.json": signed, "manifest.sig": base64.b64encode(OTHER_KEY.sign(signed))},
    )

    (problem,) = problems(tampered)
    assert problem.startswith(f"manifest.sig: the signature does not verify with key {KEY.key_id}")
    # With the forger's key, the signature holds but names another key.
    assert f"manifest.json: names key {KEY.key_id} but was signed with key {OTHER_KEY.key_id}" in (
        problems(tampered, OTHER_KEY)
    )


def test_the_wrong_public_key(bundle: Path) -> None:
    assert problems(bundle, OTHER_KEY) == (
        (
            f"manifest.sig: signed by key {KEY.key_id}, the key given is {OTHER_KEY.key_id}: "
            "verify with the exporting city's public key (or the manifest was altered)"
        ),
    )


@pytest.mark.parametrize(
    ("signature", "expected"),
    [
        pytest.param(b"not base64!", "manifest.sig: not a base64 Ed25519 signature", id="junk"),
        pytest.param(base64.b64encode(b"short"), "manifest.sig: not a base64", id="short"),
        pytest.param(None, "manifest.sig: missing from the bundle", id="missing"),
    ],
)
def test_a_bad_signature_file(
    bundle: Path, tmp_path: Path, signature: bytes | None, expected: str
) -> None:
    if signature is None:
        tampered = rezip(bundle, tmp_path / "t.zip", drop=("manifest.sig",))
    else:
        tampered = rezip(bundle, tmp_path / "t.zip", replace={"manifest.sig": signature})

    (problem,) = problems(tampered)
    assert problem.startswith(expected)


def test_a_signature_with_an_added_newline(bundle: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        signature = archive.read("manifest.sig")
    tampered = rezip(bundle, tmp_path / "t.zip", replace={"manifest.sig": signature + b"\n"})

    assert problems(tampered) == ("manifest.sig: not a base64 Ed25519 signature",)


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        pytest.param(b"{not json", "manifest.json: is not valid UTF-8 JSON", id="not-json"),
        pytest.param(b"\xff\xfe{}", "manifest.json: is not valid UTF-8 JSON", id="not-utf8"),
        pytest.param(b"[1, 2]", "manifest.json: must be a JSON object", id="array"),
        pytest.param(b"[" * 100_000, "manifest.json: is not valid UTF-8 JSON", id="deep"),
        pytest.param(
            b'{"format": "other/2"}',
            "manifest.json: format: is other/2; this version of smartcity-kit reads "
            "smartcity-kit/evidence/1",
            id="unknown-format",
        ),
        pytest.param(
            b'{"city": "a", "city": "b"}',
            "manifest.json: the key 'city' appears twice",
            id="repeated-key",
        ),
        pytest.param(None, "manifest.json: missing from the bundle", id="missing"),
    ],
)
def test_an_unreadable_manifest(
    bundle: Path, tmp_path: Path, manifest: bytes | None, expected: str
) -> None:
    if manifest is None:
        tampered = rezip(bundle, tmp_path / "t.zip", drop=("manifest.json",))
    else:
        tampered = rezip(bundle, tmp_path / "t.zip", replace={"manifest.json": manifest})

    report = verify_bundle(tampered, KEY.public_pem())

    assert not report.valid
    assert report.manifest is None
    assert report.problems[0] == expected


def test_a_manifest_that_breaks_the_rules(bundle: Path, tmp_path: Path) -> None:
    raw = manifest_json(bundle)
    raw["files"][1]["sha256"] = "XYZ"
    raw["files"][2]["path"] = "../../etc/passwd"
    raw["decisions"] = [40, 99]
    raw["surprise"] = True
    tampered = rezip(bundle, tmp_path / "t.zip", replace={"manifest.json": canonical(raw)})

    found = problems(tampered)

    assert "manifest.json: files[1].sha256: must be 64 lowercase hex digits" in found
    assert any(p.startswith("manifest.json: files[2].path: must be a relative path") for p in found)
    assert "manifest.json: unknown field(s): surprise" in found
    assert any(p.startswith("manifest.sig: the signature does not verify") for p in found)


def test_a_name_that_climbs_out_of_the_folder(bundle: Path, tmp_path: Path) -> None:
    tampered = rezip(bundle, tmp_path / "t.zip", add={"../../evil.sh": b"rm -rf ~"})

    assert problems(tampered) == (
        "../../evil.sh: in the bundle but not in the manifest (an unsafe name: do not extract it)",
    )


def test_a_name_with_control_characters_is_escaped(bundle: Path, tmp_path: Path) -> None:
    tampered = rezip(bundle, tmp_path / "t.zip", add={"files/\x1b[2Jx": b"x"})

    (problem,) = problems(tampered)
    assert "\x1b" not in problem
    assert problem.startswith("'files/\\x1b[2Jx': in the bundle but not in the manifest")


def test_a_name_given_twice(bundle: Path, tmp_path: Path) -> None:
    tampered = rezip(bundle, tmp_path / "t.zip")
    with (
        warnings.catch_warnings(),
        zipfile.ZipFile(tampered, "a") as archive,
    ):
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of the duplicate name
        archive.writestr(SNAPSHOT, b"a second snapshot")

    found = problems(tampered)

    assert f"{SNAPSHOT}: appears 2 times in the bundle" in found


def test_an_encrypted_entry(bundle: Path) -> None:
    data = bytearray(bundle.read_bytes())
    name = b"files/grant.json"
    local = next(
        at
        for at in range(len(data))
        if data.startswith(b"PK\x03\x04", at) and data.startswith(name, at + 30)
    )
    central = data.rindex(name) - 46
    data[local + 6] |= 0x1  # the "encrypted" flag, in both headers
    data[central + 8] |= 0x1
    bundle.write_bytes(bytes(data))

    assert problems(bundle) == ("files/grant.json: encrypted, which evidence never is",)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"", "bundle: not a readable ZIP file", id="empty"),
        pytest.param(b"PK\x03\x04 and then nothing", "bundle: not a readable ZIP file", id="cut"),
        pytest.param(b"%PDF-1.7 a report", "bundle: not a readable ZIP file", id="pdf"),
    ],
)
def test_not_a_zip_file(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "b.zip"
    path.write_bytes(content)

    (problem,) = problems(path)
    assert problem.startswith(expected)


def test_a_missing_bundle_is_reported(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path / "nowhere.zip")

    assert problem.startswith("bundle: cannot be read (")


def test_a_bad_crc(bundle: Path) -> None:
    data = bytearray(bundle.read_bytes())
    at = data.index(FILES[0].data)
    data[at + 5] ^= 0x20
    bundle.write_bytes(bytes(data))

    found = problems(bundle)

    assert found == (f"{SNAPSHOT}: damaged (Bad CRC-32 for file '{SNAPSHOT}')",)


def test_a_bundle_over_the_size_limit(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_evidence, "MAX_BUNDLE_BYTES", 4000)

    (problem,) = problems(bundle)
    assert problem.startswith("bundle: ")
    assert "more than an evidence bundle holds (4000)" in problem


def test_reading_stops_at_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small file that inflates past the limit is not read."""
    files = [
        EvidenceFile("files/clips/a.mp4", bytes(600_000), "clip"),
        EvidenceFile("files/clips/b.mp4", bytes(600_000), "clip"),
    ]
    write(tmp_path / "b.zip", files)
    small = rezip(tmp_path / "b.zip", tmp_path / "deflated.zip")
    assert small.stat().st_size < 100_000
    monkeypatch.setattr(_evidence, "MAX_BUNDLE_BYTES", 1_000_000)

    found = problems(small)

    assert (
        "files/clips/b.mp4: too large to check (600000 bytes; a bundle holds at most 1000000)"
        in (found)
    )


def test_too_many_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(20):
            archive.writestr(f"files/{i}", b"")
    monkeypatch.setattr(_evidence, "MAX_BUNDLE_FILES", 5)

    assert problems(path) == (
        "bundle: lists more entries than an evidence bundle holds (at most 5 files)",
    )


def test_a_zip64_archive(bundle: Path) -> None:
    data = bundle.read_bytes()
    end = data.rindex(b"PK\x05\x06")
    bundle.write_bytes(data[:end] + b"PK\x06\x07" + bytes(16) + data[end:])

    assert problems(bundle) == ("bundle: a ZIP64 archive, which an evidence bundle never is",)


# --- writing: what is refused ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "../evil.jpg",
        "/etc/passwd",
        "files/../../evil.jpg",
        "files\\evil.jpg",
        "files/a\\b.jpg",
        "files/./a.jpg",
        "files/.hidden",
        "files/trailing.",
        "files/",
        "files",
        "files//a.jpg",
        "snapshots/a.jpg",
        "manifest.json",
        "files/C:/a.jpg",
        "files/with space.jpg",
        "files/CON.txt",
        "files/" + "a" * 200,
        "files/kamera-é.jpg",
    ],
)
def test_unsafe_paths_are_refused(path: str) -> None:
    with pytest.raises(ValidationError) as caught:
        EvidenceFile(path, b"x", "snapshot")
    assert caught.value.fields == ("path",)


def test_paths_repeated_in_another_case_are_refused(tmp_path: Path) -> None:
    files = [
        EvidenceFile("files/a.jpg", b"1", "snapshot"),
        EvidenceFile("files/A.jpg", b"2", "clip"),
    ]

    with pytest.raises(ValidationError) as caught:
        write(tmp_path / "b.zip", files)

    assert str(caught.value) == "files[1].path: repeats files/A.jpg"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"files": []}, "files", id="no-files"),
        pytest.param({"files": [b"raw"]}, "files[0]", id="not-a-file"),
        pytest.param({"city": "Makassar"}, "city", id="city"),
        pytest.param({"case_number": " "}, "case_number", id="case"),
        pytest.param({"exported_by": "acct\nforged"}, "exported_by", id="newline"),
        pytest.param({"grant_id": ""}, "grant_id", id="grant"),
        pytest.param({"decisions": [43]}, "decisions[0]", id="decision-after-head"),
        pytest.param({"decisions": [40, 40]}, "decisions[1]", id="decision-repeated"),
        pytest.param({"audit_head": AuditAnchor(1, "nope")}, "audit_head", id="head"),
        pytest.param({"custody": [ALLOWED, APPROVED]}, "custody[1].at", id="custody-out-of-order"),
        pytest.param(
            {"custody": [CustodyEvent(NOW + dt.timedelta(seconds=1), "a", "b")]},
            "custody[0].at",
            id="custody-after-export",
        ),
        pytest.param({"note": "hubungi 0812-3456-7890"}, "note", id="phone-in-note"),
        pytest.param({"key": "not a key"}, "key", id="key"),
    ],
)
def test_bad_fields_are_refused(tmp_path: Path, fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        write(tmp_path / "b.zip", **fields)

    assert field in caught.value.fields
    assert list(tmp_path.iterdir()) == []


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        CustodyEvent(dt.datetime(2026, 11, 23), "acct-1", "grant.approved")  # noqa: DTZ001 - on purpose
    assert caught.value.fields == ("at",)


def test_an_existing_bundle_is_not_overwritten(bundle: Path) -> None:
    before = bundle.read_bytes()

    with pytest.raises(ConflictError, match="already exists"):
        write(bundle)

    assert bundle.read_bytes() == before


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        write(tmp_path / "nowhere" / "b.zip")


def test_a_bundle_too_large_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_evidence, "MAX_BUNDLE_BYTES", 8000)

    with pytest.raises(ValidationError, match="at most 8000 fit in one"):
        write(tmp_path / "b.zip", [EvidenceFile("files/a.mp4", bytes(7000), "clip")])
    assert list(tmp_path.iterdir()) == []


def test_an_evidence_file_repr_leaves_out_the_bytes() -> None:
    assert repr(FILES[0]) == f"EvidenceFile(path={SNAPSHOT!r}, kind='snapshot', size=600)"


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValidationError, match="kind: must be one of"):
        EvidenceFile("files/a.jpg", b"x", "selfie")


# --- the key --------------------------------------------------------------------------------


def test_the_key_repr_shows_only_its_id() -> None:
    raw = KEY._private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )

    assert repr(KEY) == f"EvidenceKey(key_id={KEY.key_id!r})"
    assert raw.hex() not in repr(KEY)
    assert base64.b64encode(raw).decode() not in repr(KEY)


def test_the_key_id() -> None:
    raw = KEY.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    assert KEY.key_id == hashlib.sha256(raw).hexdigest()[:16]
    assert public_key_id(load_public_key(KEY.public_pem())) == KEY.key_id
    assert KEY.key_id != OTHER_KEY.key_id


def test_a_saved_key_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "city.key"
    KEY.save(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = EvidenceKey.load(path)
    assert loaded.key_id == KEY.key_id
    KEY.public_key.verify(loaded.sign(b"data"), b"data")


def test_a_key_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "city.key"
    path.write_bytes(b"something precious")

    with pytest.raises(ConflictError, match="already exists"):
        KEY.save(path)
    with pytest.raises(ConflictError):
        KEY.save_public(path)
    assert path.read_bytes() == b"something precious"


def test_a_key_cannot_be_written_to_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot write"):
        KEY.save(tmp_path / "nowhere" / "city.key")


def _ec_private_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(None, "cannot be read", id="missing"),
        pytest.param(b"not a key", "not an unencrypted PEM private key", id="junk"),
        pytest.param(_ec_private_pem(), "not an Ed25519 key", id="ec"),
        pytest.param(
            KEY._private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"sandi"),
            ),
            "not an unencrypted PEM private key",
            id="encrypted",
        ),
    ],
)
def test_a_bad_key_file(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "city.key"
    if content is not None:
        path.write_bytes(content)

    with pytest.raises(ConfigurationError, match=message) as caught:
        EvidenceKey.load(path)
    assert str(path) in str(caught.value)


def test_the_key_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(EVIDENCE_KEY_VARIABLE, raising=False)
    assert EvidenceKey.from_env() is None

    path = tmp_path / "city.key"
    KEY.save(path)
    monkeypatch.setenv(EVIDENCE_KEY_VARIABLE, str(path))
    key = EvidenceKey.from_env()
    assert key is not None
    assert key.key_id == KEY.key_id

    monkeypatch.setenv(EVIDENCE_KEY_VARIABLE, str(tmp_path / "gone.key"))
    with pytest.raises(ConfigurationError, match=f"^{EVIDENCE_KEY_VARIABLE}: evidence key"):
        EvidenceKey.from_env()


def test_only_an_ed25519_private_key_makes_an_evidence_key() -> None:
    with pytest.raises(ConfigurationError):
        EvidenceKey(ec.generate_private_key(ec.SECP256R1()))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param(b"junk", "is not an Ed25519 public key", id="junk"),
        pytest.param(
            ec.generate_private_key(ec.SECP256R1())
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
            "is not an Ed25519 public key",
            id="ec",
        ),
        pytest.param(_ec_private_pem(), "is a private key", id="private"),
        pytest.param("/nowhere/city.pub", "cannot be read", id="missing"),
        pytest.param(42, "must be PEM bytes or the path", id="number"),
    ],
)
def test_a_bad_public_key_raises(bundle: Path, source: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        verify_bundle(bundle, source)


def test_verification_needs_only_the_bundle_and_the_public_key(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pub = tmp_path / "city.pub"
    KEY.save_public(pub)
    monkeypatch.delenv(EVIDENCE_KEY_VARIABLE, raising=False)
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    copy = moved / "copy.zip"
    copy.write_bytes(bundle.read_bytes())
    os.chmod(copy, 0o400)  # noqa: PTH101 - as a recipient might keep it

    assert verify_bundle(copy, pub).valid


def test_public_names_are_documented() -> None:
    for name in _evidence.__all__:
        obj = getattr(_evidence, name)
        if callable(obj) and not name.isupper():
            assert obj.__doc__, f"{name} has no docstring"
