"""Signed evidence bundles: CCTV footage handed to the police or a court, provably unaltered.

A bundle is one ZIP file::

    manifest.json   what the bundle holds and how it came to be: canonical JSON, the signed bytes
    manifest.sig    the Ed25519 signature over manifest.json, in base64
    files/...       the evidence: snapshots, clips, camera metadata, the grant

The manifest lists every file with its size and SHA-256, who exported it and when, the audit log's
head at that moment, the access decisions that allowed the export, and the chain of custody. The
exporting city signs it with its evidence key; a recipient verifies the bundle with nothing but the
bundle and the city's public key.

The ZIP container is written by this module, byte for byte, with every entry stored
uncompressed (footage is compressed already). Verification rebuilds the container's own bytes
from the contents and compares them too, so that changing any byte of the bundle, not only of
the evidence and the manifest, makes it fail.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import enum
import hashlib
import json
import os
import re
import struct
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final

import attrs
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from smartcity_kit.core import Clock, SystemClock, ensure_utc, find_personal_data, make_converter
from smartcity_kit.errors import ConfigurationError, ConflictError, FieldError, ValidationError
from smartcity_kit.storage import AuditAnchor

__all__ = [
    "EVIDENCE_FORMAT",
    "EVIDENCE_KEY_VARIABLE",
    "MAX_BUNDLE_BYTES",
    "MAX_BUNDLE_FILES",
    "BundleReport",
    "CustodyEvent",
    "EvidenceFile",
    "EvidenceKey",
    "EvidenceKind",
    "EvidenceManifest",
    "ManifestFile",
    "custody_lines",
    "load_public_key",
    "public_key_id",
    "verify_bundle",
    "write_bundle",
]

#: The format tag in every manifest this version writes and reads.
EVIDENCE_FORMAT: Final = "smartcity-kit/evidence/1"
#: The environment variable that holds the path of the city's evidence key (a PEM file).
EVIDENCE_KEY_VARIABLE: Final = "SMARTCITY_EVIDENCE_KEY"
#: The largest bundle file written or read (2 GiB): a bundle never needs ZIP64, and a hostile
#: one cannot make verification read more than this.
MAX_BUNDLE_BYTES: Final = 2 * 1024**3
#: The most evidence files one bundle holds.
MAX_BUNDLE_FILES: Final = 10_000

_MANIFEST: Final = "manifest.json"
_SIGNATURE: Final = "manifest.sig"
_MAX_MANIFEST_BYTES: Final = 16 * 1024**2
_MAX_SIGNATURE_BYTES: Final = 1024
_SIGNATURE_BYTES: Final = 64
_MAX_KEY_FILE_BYTES: Final = 64 * 1024
_CHUNK: Final = 1024**2
_EXPORTED: Final = "evidence.exported"

_HEX64 = re.compile(r"[0-9a-f]{64}")
_KEY_ID = re.compile(r"[0-9a-f]{16}")
_BUNDLE_ID = re.compile(r"[0-9a-f]{32}")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# One part of a path: no leading dot (so no "." or ".."), no trailing dot (Windows drops it).
_PART = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9_-])?")
_MAX_PATH: Final = 200
_WINDOWS_DEVICES: Final = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"COM{i}" for i in range(1, 10)]
    + [f"LPT{i}" for i in range(1, 10)]
)
_PATH_RULE: Final = (
    "must be a relative path under files/ (files/NAME or files/FOLDER/NAME) of at most "
    f"{_MAX_PATH} characters; each part letters, digits, '.', '_' or '-', starting with a letter "
    "or digit and not ending with '.'"
)

_converter = make_converter()


# --- the city's key ------------------------------------------------------------------------


def public_key_id(public_key: Ed25519PublicKey) -> str:
    """The id of an evidence key: the first 16 hex digits of SHA-256 over its raw public key.

    Args:
        public_key: The key's public half.

    Returns:
        16 lowercase hex digits, as printed by ``smartcity-kit evidence keygen``.
    """
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class EvidenceKey:
    """The exporting city's Ed25519 key that signs evidence bundles.

    Keep the private key file on the server that exports, readable only by the service (it is
    written with mode 0600), and name it in ``SMARTCITY_EVIDENCE_KEY``. Hand the public key
    (:meth:`public_pem`, the ``.pub`` file from ``smartcity-kit evidence keygen``) to the police
    and courts that receive bundles: they verify with it alone. ``repr()`` shows the key id only.

    >>> key = EvidenceKey.generate()
    >>> len(key.key_id), repr(key) == f"EvidenceKey(key_id={key.key_id!r})"
    (16, True)
    >>> key.public_key.verify(key.sign(b"manifest"), b"manifest")  # raises if it does not hold

    Args:
        private_key: The Ed25519 private key.

    Raises:
        ConfigurationError: ``private_key`` is not an Ed25519 private key.
    """

    __slots__ = ("_private",)

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        if not isinstance(private_key, Ed25519PrivateKey):
            raise ConfigurationError("an evidence key must be an Ed25519 private key")
        self._private = private_key

    @classmethod
    def generate(cls) -> EvidenceKey:
        """A new random key.

        Returns:
            The key; save it with :meth:`save` and hand out :meth:`public_pem`.
        """
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> EvidenceKey:
        """The key in a PEM file (PKCS #8, unencrypted), as :meth:`save` writes it.

        Args:
            path: The private key file.

        Returns:
            The key.

        Raises:
            ConfigurationError: The file cannot be read, or does not hold an unencrypted
                Ed25519 private key in PEM.
        """
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise ConfigurationError(
                f"evidence key {os.fspath(path)}: cannot be read ({e.strerror or e})"
            ) from None
        try:
            private = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise ConfigurationError(
                f"evidence key {os.fspath(path)}: not an unencrypted PEM private key "
                "(make one with `smartcity-kit evidence keygen`)"
            ) from None
        if not isinstance(private, Ed25519PrivateKey):
            raise ConfigurationError(
                f"evidence key {os.fspath(path)}: not an Ed25519 key "
                "(make one with `smartcity-kit evidence keygen`)"
            )
        return cls(private)

    @classmethod
    def from_env(cls) -> EvidenceKey | None:
        """The key in the file that ``SMARTCITY_EVIDENCE_KEY`` names, or None when it is unset.

        Returns:
            The key, or None when the variable is unset or empty.

        Raises:
            ConfigurationError: The variable names a file that is not a readable evidence key.
        """
        path = os.environ.get(EVIDENCE_KEY_VARIABLE, "").strip()
        if not path:
            return None
        try:
            return cls.load(path)
        except ConfigurationError as e:
            raise ConfigurationError(f"{EVIDENCE_KEY_VARIABLE}: {e}") from None

    @property
    def key_id(self) -> str:
        """The key's id (16 hex digits), written into every manifest it signs."""
        return public_key_id(self._private.public_key())

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The public half, which verifies what this key signed."""
        return self._private.public_key()

    def public_pem(self) -> bytes:
        """The public key as PEM (SubjectPublicKeyInfo): what recipients verify with."""
        return self._private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature over ``data``."""
        return self._private.sign(data)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the private key (PEM, PKCS #8, unencrypted) to a new file with mode 0600.

        Args:
            path: Where to write it; the file must not exist yet.

        Raises:
            ConflictError: The file exists (a key is never overwritten).
            ConfigurationError: The file cannot be written.
        """
        pem = self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_new(path, pem, 0o600)

    def save_public(self, path: str | os.PathLike[str]) -> None:
        """Write the public key (PEM) to a new file, to hand to the recipients of bundles.

        Args:
            path: Where to write it; the file must not exist yet.

        Raises:
            ConflictError: The file exists.
            ConfigurationError: The file cannot be written.
        """
        _write_new(path, self.public_pem(), 0o644)

    def __repr__(self) -> str:
        return f"EvidenceKey(key_id={self.key_id!r})"


def _write_new(path: str | os.PathLike[str], data: bytes, mode: int) -> None:
    """Write ``data`` to a file that must not exist yet (never following a link there)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    shown = os.fspath(path)
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError:
        raise ConflictError(f"{shown} already exists: refusing to overwrite it") from None
    except OSError as e:
        raise ConfigurationError(f"cannot write {shown}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except OSError as e:
        Path(path).unlink(missing_ok=True)
        raise ConfigurationError(f"cannot write {shown}: {e.strerror or e}") from None


def load_public_key(source: Ed25519PublicKey | bytes | str | os.PathLike[str]) -> Ed25519PublicKey:
    """An evidence public key, from PEM bytes or text, or from the path of a PEM file.

    Args:
        source: The key itself; PEM as bytes, or as text starting with ``-----BEGIN``; or the
            path of a ``.pub`` file (from ``smartcity-kit evidence keygen``).

    Returns:
        The Ed25519 public key.

    Raises:
        ValidationError: The file cannot be read, or it is not an Ed25519 public key in PEM
            (a private key is refused too: recipients need only the public one).
    """
    if isinstance(source, Ed25519PublicKey):
        return source
    if isinstance(source, bytes):
        data, where = source, "public_key"
    elif isinstance(source, str) and source.lstrip().startswith("-----BEGIN"):
        data, where = source.encode(), "public_key"
    elif isinstance(source, str | os.PathLike):
        where = os.fspath(source)
        try:
            with Path(source).open("rb") as pem:
                data = pem.read(_MAX_KEY_FILE_BYTES + 1)
        except OSError as e:
            raise ValidationError.single(where, f"cannot be read ({e.strerror or e})") from None
    else:
        raise ValidationError.single("public_key", "must be PEM bytes or the path of a PEM file")
    if len(data) > _MAX_KEY_FILE_BYTES:
        raise ValidationError.single(where, "is far too large for a public key file")
    if b"PRIVATE KEY-----" in data:
        raise ValidationError.single(
            where,
            "is a private key: verify with the public key (the .pub file), and keep the "
            "private key secret",
        )
    try:
        public = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        public = None
    if not isinstance(public, Ed25519PublicKey):
        raise ValidationError.single(
            where, "is not an Ed25519 public key in PEM (the .pub file of the exporting city)"
        )
    return public


# --- the manifest ---------------------------------------------------------------------------


class EvidenceKind(enum.StrEnum):
    """What a file in a bundle is."""

    SNAPSHOT = "snapshot"
    """A still image fetched from a camera."""
    CLIP = "clip"
    """A video recording."""
    CAMERA = "camera"
    """A camera's metadata from the registry (location, owner kind, vendor)."""
    GRANT = "grant"
    """The access grant the export was made under."""
    OTHER = "other"
    """Anything else (a cover letter, an audit log excerpt)."""


def _text_rule(limit: int, *, optional: bool = False, empty: bool = False) -> Any:
    """A validator for single-line text of at most ``limit`` characters."""

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if optional and value is None:
            return
        if (
            not isinstance(value, str)
            or (not empty and not value.strip())
            or len(value) > limit
            or not value.isprintable()
        ):
            kind = "text" if empty else "non-empty text"
            raise ValidationError.single(
                attribute.name, f"must be {kind} of at most {limit} characters, on one line"
            )

    return check


def _pattern_rule(pattern: re.Pattern[str], rule: str) -> Any:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValidationError.single(attribute.name, rule)

    return check


def _check_path(field: str, value: object) -> str:
    """``value`` if it is a safe path for a file in a bundle (see ``_PATH_RULE``)."""
    if not isinstance(value, str) or len(value) > _MAX_PATH:
        raise ValidationError.single(field, _PATH_RULE)
    top, *parts = value.split("/")
    if top != "files" or not parts or not all(_PART.fullmatch(p) for p in parts):
        raise ValidationError.single(field, _PATH_RULE)
    if any(p.split(".")[0].upper() in _WINDOWS_DEVICES for p in parts):
        raise ValidationError.single(field, "must not use a Windows device name (CON, NUL, ...)")
    return value


def _path_rule(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _check_path(attribute.name, value)


def _size_rule(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not int or not 0 <= value <= MAX_BUNDLE_BYTES:
        raise ValidationError.single(
            attribute.name, f"must be a whole number of bytes from 0 to {MAX_BUNDLE_BYTES}"
        )


def _to_kind(value: EvidenceKind | str) -> EvidenceKind:
    try:
        return EvidenceKind(value)
    except ValueError:
        choices = ", ".join(repr(k.value) for k in EvidenceKind)
        raise ValidationError.single("kind", f"must be one of {choices}") from None


def _at_utc(value: dt.datetime) -> dt.datetime:
    return ensure_utc(value, "at")


def _exported_at_utc(value: dt.datetime) -> dt.datetime:
    return ensure_utc(value, "exported_at")


@attrs.frozen
class ManifestFile:
    """One evidence file as the manifest records it.

    Attributes:
        path: Its name in the bundle, under ``files/`` (``files/snapshots/MKS-0001-1.jpg``).
        sha256: SHA-256 of its bytes (64 lowercase hex digits).
        size: Its length in bytes.
        kind: What it is.
    """

    path: str = attrs.field(validator=_path_rule)
    sha256: str = attrs.field(validator=_pattern_rule(_HEX64, "must be 64 lowercase hex digits"))
    size: int = attrs.field(validator=_size_rule)
    kind: EvidenceKind = attrs.field(converter=_to_kind)


@attrs.frozen
class CustodyEvent:
    """One step in the chain of custody: who did what to the evidence, and when.

    Attributes:
        at: When (UTC).
        actor: Who: an account or organisation id, never a person's name.
        action: What (``grant.approved``, ``access.allowed``, ``evidence.exported``).
        detail: Facts about it (a grant id, an audit entry number); no personal data.
    """

    at: dt.datetime = attrs.field(converter=_at_utc)
    actor: str = attrs.field(validator=_text_rule(200))
    action: str = attrs.field(validator=_text_rule(100))
    detail: str = attrs.field(default="", validator=_text_rule(1000, empty=True))


def _ints(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(values)


def _files(values: Iterable[ManifestFile]) -> tuple[ManifestFile, ...]:
    found = tuple(values)
    for i, value in enumerate(found):
        if not isinstance(value, ManifestFile):
            raise ValidationError.single(f"files[{i}]", "must be a ManifestFile")
    return found


def _events(values: Iterable[CustodyEvent]) -> tuple[CustodyEvent, ...]:
    found = tuple(values)
    for i, value in enumerate(found):
        if not isinstance(value, CustodyEvent):
            raise ValidationError.single(f"custody[{i}]", "must be a CustodyEvent")
    return found


def _format_rule(_instance: object, _attribute: object, value: Any) -> None:
    if value != EVIDENCE_FORMAT:
        raise ValidationError.single("format", f"must be {EVIDENCE_FORMAT!r}")


def _anchor_rule(_instance: object, _attribute: object, value: Any) -> None:
    if (
        not isinstance(value, AuditAnchor)
        or type(value.seq) is not int
        or value.seq < 0
        or not isinstance(value.hash, str)
        or not _HEX64.fullmatch(value.hash)
    ):
        raise ValidationError.single(
            "audit_head", "must be an audit anchor: seq from 0 and a hash of 64 hex digits"
        )


@attrs.frozen(kw_only=True)
class EvidenceManifest:
    """What an evidence bundle holds and how it came to be; its canonical JSON is signed.

    Attributes:
        format: The format tag, :data:`EVIDENCE_FORMAT`.
        bundle_id: The bundle's unique id (32 hex digits).
        city: The exporting city's slug (``makassar``).
        case_number: The police or court case the evidence is for (nomor laporan polisi).
        grant_id: The access grant the export was made under, if any.
        exported_by: The account that exported it (an id, never a name).
        organisation: The organisation that account acts for (a code, e.g. ``polrestabes-mks``).
        exported_at: When it was exported (UTC).
        audit_head: The audit log's head at that moment: the bundle's place in the city's
            tamper-evident history.
        decisions: The audit log entry numbers of the access decisions that allowed the export.
        files: The evidence files, in the bundle's order.
        custody: The chain of custody, oldest first; the export itself is the last step.
        key_id: The id of the key that signed it.
        note: A remark from the exporter, if any.
    """

    format: str = attrs.field(default=EVIDENCE_FORMAT, validator=_format_rule)
    bundle_id: str = attrs.field(
        validator=_pattern_rule(_BUNDLE_ID, "must be 32 lowercase hex digits")
    )
    city: str = attrs.field(
        validator=_pattern_rule(_SLUG, "must be a city slug: lowercase letters, digits and dashes")
    )
    case_number: str = attrs.field(validator=_text_rule(200))
    grant_id: str | None = attrs.field(default=None, validator=_text_rule(200, optional=True))
    exported_by: str = attrs.field(validator=_text_rule(200))
    organisation: str = attrs.field(validator=_text_rule(200))
    exported_at: dt.datetime = attrs.field(converter=_exported_at_utc)
    audit_head: AuditAnchor = attrs.field(validator=_anchor_rule)
    decisions: tuple[int, ...] = attrs.field(default=(), converter=_ints)
    files: tuple[ManifestFile, ...] = attrs.field(converter=_files)
    custody: tuple[CustodyEvent, ...] = attrs.field(default=(), converter=_events)
    key_id: str = attrs.field(validator=_pattern_rule(_KEY_ID, "must be 16 lowercase hex digits"))
    note: str | None = attrs.field(default=None, validator=_text_rule(2000, optional=True))

    def __attrs_post_init__(self) -> None:
        problems = [*self._decision_problems(), *self._file_problems()]
        problems += self._custody_problems()
        if problems:
            raise ValidationError(problems)

    def _decision_problems(self) -> list[FieldError]:
        problems = []
        seen: set[int] = set()
        for i, seq in enumerate(self.decisions):
            if type(seq) is not int or not 1 <= seq <= self.audit_head.seq:
                problems.append(
                    FieldError(
                        f"decisions[{i}]",
                        "must be an audit entry number from 1 to the audit head's "
                        f"({self.audit_head.seq})",
                    )
                )
            elif seq in seen:
                problems.append(FieldError(f"decisions[{i}]", f"repeats entry {seq}"))
            seen.add(seq)
        return problems

    def _file_problems(self) -> list[FieldError]:
        if not 1 <= len(self.files) <= MAX_BUNDLE_FILES:
            return [FieldError("files", f"must list 1 to {MAX_BUNDLE_FILES} files")]
        problems = []
        seen: set[str] = set()
        for i, file in enumerate(self.files):
            # Folded: two names that differ only in case overwrite each other when a bundle is
            # extracted on Windows or macOS.
            folded = file.path.casefold()
            if folded in seen:
                problems.append(FieldError(f"files[{i}].path", f"repeats {file.path}"))
            seen.add(folded)
        return problems

    def _custody_problems(self) -> list[FieldError]:
        problems = []
        previous: dt.datetime | None = None
        for i, event in enumerate(self.custody):
            if event.at > self.exported_at:
                problems.append(FieldError(f"custody[{i}].at", "must not be after the export"))
            elif previous is not None and event.at < previous:
                problems.append(
                    FieldError(f"custody[{i}].at", "must not be before the step before it")
                )
            previous = event.at
        return problems

    def to_json(self) -> bytes:
        """The canonical JSON (UTF-8, sorted keys, no spaces): the exact bytes that are signed."""
        return json.dumps(
            _converter.unstructure(self),
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
            allow_nan=False,
        ).encode()

    @classmethod
    def parse(cls, data: bytes) -> EvidenceManifest:
        """Read a manifest from its JSON.

        Args:
            data: The bytes of ``manifest.json``.

        Returns:
            The manifest.

        Raises:
            ValidationError: Not UTF-8 JSON, a key given twice, another format, or a field that
                breaks the rules (each problem with its path, ``files[2].sha256``).
        """
        try:
            raw = json.loads(data.decode(), object_pairs_hook=_unique_keys)
        except _RepeatedKeyError as e:
            raise ValidationError.single("", f"the key {_shown(e.key)!r} appears twice") from None
        except (ValueError, RecursionError):
            raise ValidationError.single("", "is not valid UTF-8 JSON") from None
        if not isinstance(raw, dict):
            raise ValidationError.single("", "must be a JSON object")
        found = raw.get("format")
        if found != EVIDENCE_FORMAT:
            shown = _shown(found) if isinstance(found, str) else "missing or not text"
            raise ValidationError.single(
                "format", f"is {shown}; this version of smartcity-kit reads {EVIDENCE_FORMAT}"
            )
        return _converter.structure(raw, cls)


class _RepeatedKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object that refuses a key given twice: two readers could take different ones."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _RepeatedKeyError(key)
        found[key] = value
    return found


def custody_lines(manifest: EvidenceManifest) -> list[str]:
    """The chain of custody as lines of text, oldest first, with times in UTC.

    Args:
        manifest: A bundle's manifest.

    Returns:
        One line per step: ``2026-11-23T01:00:00Z  evidence.exported  opd:diskominfo/op-7  ...``.
    """
    return [
        f"{_utc_text(e.at)}  {e.action}  {e.actor}" + (f"  {e.detail}" if e.detail else "")
        for e in manifest.custody
    ]


def _utc_text(instant: dt.datetime) -> str:
    return ensure_utc(instant).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the ZIP container ----------------------------------------------------------------------
# Every entry is stored (no compression, no extra fields, no comments, no ZIP64), dated with the
# export time, so that the container's bytes follow from the contents and the manifest alone.

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_LOCAL_SIGNATURE: Final = 0x04034B50
_CENTRAL_SIGNATURE: Final = 0x02014B50
_END_SIGNATURE: Final = 0x06054B50
_ZIP64_LOCATOR: Final = b"PK\x06\x07"
_ZIP_VERSION: Final = 20  # 2.0: stored files, no ZIP64
_MAX_DIRECTORY_BYTES: Final = (MAX_BUNDLE_FILES + 2) * 512


@attrs.frozen
class _Entry:
    name: str
    size: int
    crc: int


def _dos_stamp(instant: dt.datetime) -> tuple[int, int]:
    """The (time, date) fields of a ZIP entry for an instant, in UTC (ZIP dates have no zone)."""
    utc = ensure_utc(instant)
    earliest = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)
    latest = dt.datetime(2107, 12, 31, 23, 59, 58, tzinfo=dt.UTC)
    utc = min(max(utc, earliest), latest)
    time = (utc.hour << 11) | (utc.minute << 5) | (utc.second // 2)
    date = ((utc.year - 1980) << 9) | (utc.month << 5) | utc.day
    return time, date


def _container(entries: Sequence[_Entry], stamp: tuple[int, int]) -> tuple[list[bytes], int]:
    """The bytes of a bundle around the contents, and the bundle's total length.

    The pieces are one local header per entry (each followed, in the file, by that entry's
    contents), then the central directory with the end record.
    """
    time, date = stamp
    pieces: list[bytes] = []
    directory: list[bytes] = []
    offset = 0
    for entry in entries:
        name = entry.name.encode("ascii")
        header = _LOCAL.pack(
            _LOCAL_SIGNATURE,
            _ZIP_VERSION,
            0,  # flags
            zipfile.ZIP_STORED,
            time,
            date,
            entry.crc,
            entry.size,
            entry.size,
            len(name),
            0,  # extra field length
        )
        directory.append(
            _CENTRAL.pack(
                _CENTRAL_SIGNATURE,
                _ZIP_VERSION,  # made by: MS-DOS attributes, version 2.0
                _ZIP_VERSION,
                0,
                zipfile.ZIP_STORED,
                time,
                date,
                entry.crc,
                entry.size,
                entry.size,
                len(name),
                0,  # extra field length
                0,  # comment length
                0,  # disk number
                0,  # internal attributes
                0,  # external attributes
                offset,
            )
            + name
        )
        pieces.append(header + name)
        offset += len(header) + len(name) + entry.size
    central = b"".join(directory)
    end = _END.pack(_END_SIGNATURE, 0, 0, len(entries), len(entries), len(central), offset, 0)
    pieces.append(central + end)
    return pieces, offset + len(central) + len(end)


# --- writing --------------------------------------------------------------------------------


@attrs.frozen(repr=False)
class EvidenceFile:
    """One file to put in a bundle: its path, its bytes and what it is.

    Attributes:
        path: Its name in the bundle, under ``files/`` (``files/snapshots/MKS-0001-1.jpg``).
        data: Its bytes (not shown in ``repr()``).
        kind: What it is (an :class:`EvidenceKind` or its value).
    """

    path: str = attrs.field(validator=_path_rule)
    data: bytes = attrs.field()
    kind: EvidenceKind = attrs.field(converter=_to_kind)

    @data.validator
    def _check_data(self, _attribute: object, value: object) -> None:
        if not isinstance(value, bytes):
            raise ValidationError.single("data", "must be bytes")

    def __repr__(self) -> str:
        return f"EvidenceFile(path={self.path!r}, kind={self.kind.value!r}, size={len(self.data)})"


def write_bundle(  # noqa: PLR0913 - one keyword per manifest field
    path: str | os.PathLike[str],
    *,
    files: Iterable[EvidenceFile],
    key: EvidenceKey,
    city: str,
    case_number: str,
    exported_by: str,
    organisation: str,
    audit_head: AuditAnchor,
    grant_id: str | None = None,
    decisions: Iterable[int] = (),
    custody: Iterable[CustodyEvent] = (),
    note: str | None = None,
    clock: Clock | None = None,
) -> EvidenceManifest:
    """Write a signed evidence bundle to a new file.

    The bundle appears whole or not at all: it is written to a temporary file beside ``path``
    and then linked into place, never over an existing file. It is created with mode 0600
    (footage is personal data).

    The export itself is added as the last step of the chain of custody
    (``evidence.exported`` by ``exported_by`` at the clock's time).

    Args:
        path: Where to write the bundle (``.zip``); the file must not exist yet.
        files: The evidence; hashes and sizes are computed here.
        key: The city's evidence key, which signs the manifest.
        city: The exporting city's slug.
        case_number: The police or court case the evidence is for.
        exported_by: The account that exports (an id, never a name).
        organisation: The organisation that account acts for (a code).
        audit_head: The audit log's head at the moment of export.
        grant_id: The access grant the export is made under, if any.
        decisions: Audit entry numbers of the access decisions that allowed the export.
        custody: The chain of custody up to the export, oldest first.
        note: A remark for the recipient (no personal data).
        clock: The clock that dates the export (the system clock if None).

    Returns:
        The manifest written, signed, in the bundle.

    Raises:
        ValidationError: A field or file breaks the rules (a bad or repeated path, no files, too
            large, text that looks like unmasked personal data); nothing is written.
        ConflictError: ``path`` exists.
        OSError: The bundle cannot be written (a full disk); no file is left behind.
    """
    if not isinstance(key, EvidenceKey):
        raise ValidationError.single("key", "must be an EvidenceKey")
    evidence = list(files)
    for i, file in enumerate(evidence):
        if not isinstance(file, EvidenceFile):
            raise ValidationError.single(f"files[{i}]", "must be an EvidenceFile")
    exported_at = ensure_utc((clock or SystemClock()).now(), "exported_at")
    before = EvidenceManifest(
        bundle_id=uuid.uuid4().hex,
        city=city,
        case_number=case_number,
        grant_id=grant_id,
        exported_by=exported_by,
        organisation=organisation,
        exported_at=exported_at,
        audit_head=audit_head,
        decisions=decisions,
        files=[
            ManifestFile(f.path, hashlib.sha256(f.data).hexdigest(), len(f.data), f.kind)
            for f in evidence
        ],
        custody=custody,
        key_id=key.key_id,
        note=note,
    )
    _refuse_personal_data(before)
    export = CustodyEvent(
        at=exported_at,
        actor=exported_by,
        action=_EXPORTED,
        detail=(
            f"{len(evidence)} file(s) in bundle {before.bundle_id}, signed with key {key.key_id}"
        ),
    )
    manifest = attrs.evolve(before, custody=[*before.custody, export])
    signed = manifest.to_json()
    signature = base64.b64encode(key.sign(signed))
    contents = [(_MANIFEST, signed), (_SIGNATURE, signature)] + [(f.path, f.data) for f in evidence]
    entries = [_Entry(name, len(data), zlib.crc32(data)) for name, data in contents]
    pieces, total = _container(entries, _dos_stamp(exported_at))
    if total > MAX_BUNDLE_BYTES:
        raise ValidationError.single(
            "files", f"make a bundle of {total} bytes; at most {MAX_BUNDLE_BYTES} fit in one"
        )
    target = Path(path)
    _publish(target, [*_interleave(pieces, [data for _, data in contents])])
    return manifest


def _refuse_personal_data(manifest: EvidenceManifest) -> None:
    texts: list[tuple[str, str | None]] = [
        ("case_number", manifest.case_number),
        ("grant_id", manifest.grant_id),
        ("exported_by", manifest.exported_by),
        ("organisation", manifest.organisation),
        ("note", manifest.note),
    ]
    for i, event in enumerate(manifest.custody):
        texts += [(f"custody[{i}].actor", event.actor), (f"custody[{i}].detail", event.detail)]
    problems = [
        FieldError(field, f"looks like unmasked personal data ({kind}): mask it first")
        for field, text in texts
        if text and (kind := find_personal_data(text))
    ]
    if problems:
        raise ValidationError(problems)


def _interleave(headers: list[bytes], contents: list[bytes]) -> Iterator[bytes]:
    for header, data in zip(headers, contents, strict=False):
        yield header
        yield data
    yield headers[-1]


def _publish(target: Path, chunks: Iterable[bytes]) -> None:
    """Write the bundle beside ``target`` and link it into place: whole, and never over a file."""
    if os.path.lexists(target):
        raise ConflictError(f"{target} already exists: refusing to overwrite it")
    folder = target.parent
    if not folder.is_dir():
        raise ValidationError.single("path", f"the folder {folder} does not exist")
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        try:
            # A hard link fails if the target appeared meanwhile; os.replace would overwrite it.
            os.link(temporary, target)
        except FileExistsError:
            raise ConflictError(f"{target} already exists: refusing to overwrite it") from None
        except OSError:  # a file system without hard links
            if os.path.lexists(target):
                raise ConflictError(f"{target} already exists: refusing to overwrite it") from None
            Path(temporary).replace(target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Make the new directory entry durable where the platform allows (not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


# --- verifying ------------------------------------------------------------------------------


@attrs.frozen
class BundleReport:
    """The result of :func:`verify_bundle`.

    Attributes:
        problems: What is wrong, each naming where (``files/snapshots/x.jpg: SHA-256 does not
            match the manifest``); empty when the bundle is valid.
        manifest: The manifest as the bundle states it, when it could be read (even when the
            bundle is not valid: then it is a claim, not a proof).
        key_id: The id of the public key the bundle was checked with.
    """

    problems: tuple[str, ...]
    manifest: EvidenceManifest | None
    key_id: str

    @property
    def valid(self) -> bool:
        """Whether every check passed: signature, every file's size and hash, nothing extra."""
        return not self.problems and self.manifest is not None

    def problems_for(self, path: str) -> tuple[str, ...]:
        """The problems found with one entry of the bundle (``files/...``, ``manifest.json``).

        Args:
            path: The entry's name.

        Returns:
            Those problems, without the leading name.
        """
        prefix = f"{path}: "
        return tuple(p.removeprefix(prefix) for p in self.problems if p.startswith(prefix))


def verify_bundle(
    path: str | os.PathLike[str], public_key: Ed25519PublicKey | bytes | str | os.PathLike[str]
) -> BundleReport:
    """Check an evidence bundle with the exporting city's public key alone.

    Checks the signature over the exact bytes of ``manifest.json``; that every file the
    manifest lists is there with its size and SHA-256; that nothing else is there; that the
    manifest follows the format; and, when all that passes, that the ZIP container itself is
    byte for byte the one written at export. A damaged or hostile bundle (not a ZIP, cut short,
    bad CRCs, repeated or unsafe names, huge declared sizes) is reported, never raised: at most
    :data:`MAX_BUNDLE_BYTES` are read, in chunks.

    Args:
        path: The bundle file.
        public_key: The city's public key: as for :func:`load_public_key`.

    Returns:
        The report; ``report.valid`` tells whether the bundle is intact.

    Raises:
        ValidationError: ``public_key`` is not an Ed25519 public key (nothing about the bundle
            raises).
    """
    key = load_public_key(public_key)
    key_id = public_key_id(key)
    problems: list[str] = []
    manifest = None
    try:
        with Path(path).open("rb") as handle:
            manifest = _Verifier(handle, key, key_id, problems).run()
    except OSError as e:
        problems.append(f"bundle: cannot be read ({e.strerror or e})")
    return BundleReport(tuple(problems), manifest, key_id)


@attrs.frozen
class _Digest:
    sha256: str
    size: int
    crc: int
    data: bytes | None


class _Verifier:
    """One verification of one bundle file; problems are appended as they are found."""

    def __init__(
        self, handle: IO[bytes], key: Ed25519PublicKey, key_id: str, problems: list[str]
    ) -> None:
        self._handle = handle
        self._key = key
        self._key_id = key_id
        self.problems = problems
        self._budget = MAX_BUNDLE_BYTES
        self._digests: dict[str, _Digest] = {}

    def run(self) -> EvidenceManifest | None:
        size = os.fstat(self._handle.fileno()).st_size
        if size > MAX_BUNDLE_BYTES:
            self.problems.append(
                f"bundle: {size} bytes, more than an evidence bundle holds ({MAX_BUNDLE_BYTES})"
            )
            return None
        if problem := self._directory_problem(size):
            self.problems.append(f"bundle: {problem}")
            return None
        try:
            archive = zipfile.ZipFile(self._handle)
            infos = archive.infolist()
        except Exception as e:  # noqa: BLE001 - zipfile raises many kinds on hostile input; none may escape
            self.problems.append(f"bundle: not a readable ZIP file ({_reason(e)})")
            return None
        with archive:
            manifest = self._check(archive, infos)
        if manifest is not None and not self.problems:
            self._check_container(manifest, size)
        return manifest

    def _directory_problem(self, size: int) -> str | None:
        """Refuse a central directory too large for a bundle before zipfile reads it all."""
        tail_start = max(size - _END.size - 0x10000, 0)
        tail = self._read_at(tail_start, size - tail_start)
        at = len(tail) - _END.size
        # Where zipfile looks: an end record without a comment, else the last one found.
        if at < 0 or tail[at : at + 4] != b"PK\x05\x06" or tail[-2:] != b"\0\0":
            at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < _END.size:
            return None  # zipfile will say that it is not a ZIP file
        locator = tail_start + at - 20
        if locator >= 0 and self._read_at(locator, 4) == _ZIP64_LOCATOR:
            return "a ZIP64 archive, which an evidence bundle never is"
        *_, entries, directory_size, _, _ = _END.unpack_from(tail, at)
        if entries > MAX_BUNDLE_FILES + 2 or directory_size > _MAX_DIRECTORY_BYTES:
            return (
                f"lists more entries than an evidence bundle holds (at most {MAX_BUNDLE_FILES} "
                "files)"
            )
        return None

    def _read_at(self, offset: int, length: int) -> bytes:
        self._handle.seek(offset)
        return self._handle.read(length)

    def _check(
        self, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]
    ) -> EvidenceManifest | None:
        named: dict[str, list[zipfile.ZipInfo]] = {}
        for info in infos:
            named.setdefault(info.filename, []).append(info)
        for name, found in named.items():
            if len(found) > 1:
                self.problems.append(f"{_shown(name)}: appears {len(found)} times in the bundle")
            if any(info.flag_bits & 0x1 for info in found):
                self.problems.append(f"{_shown(name)}: encrypted, which evidence never is")
        signed = self._read(archive, named, _MANIFEST, _MAX_MANIFEST_BYTES)
        signature = self._read(archive, named, _SIGNATURE, _MAX_SIGNATURE_BYTES)
        if signed is None:
            return None
        manifest = self._parse(signed)
        if signature is not None:
            self._check_signature(signed, signature, manifest)
        if manifest is None:
            return None
        for file in manifest.files:
            self._check_file(archive, named, file)
        self._check_extra(named, manifest)
        return manifest

    def _check_extra(self, named: Iterable[str], manifest: EvidenceManifest) -> None:
        expected = {_MANIFEST, _SIGNATURE, *(f.path for f in manifest.files)}
        for name in named:
            if name not in expected:
                unsafe = "" if _safe_name(name) else " (an unsafe name: do not extract it)"
                self.problems.append(
                    f"{_shown(name)}: in the bundle but not in the manifest{unsafe}"
                )

    def _read(
        self,
        archive: zipfile.ZipFile,
        named: Mapping[str, list[zipfile.ZipInfo]],
        name: str,
        limit: int,
    ) -> bytes | None:
        """The bytes of manifest.json or manifest.sig; None (and a problem) if unusable."""
        found = named.get(name, [])
        if not found:
            self.problems.append(f"{name}: missing from the bundle")
            return None
        if len(found) > 1 or found[0].flag_bits & 0x1:
            return None  # already reported
        if found[0].file_size > limit:
            self.problems.append(f"{name}: larger than {limit} bytes")
            return None
        digest = self._digest(archive, found[0], name, keep=True)
        return None if digest is None else digest.data

    def _digest(
        self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, *, keep: bool = False
    ) -> _Digest | None:
        """Read one entry in chunks, within the declared size and the bundle's budget."""
        declared = info.file_size
        if declared > self._budget:
            self.problems.append(
                f"{name}: too large to check ({declared} bytes; a bundle holds at most "
                f"{MAX_BUNDLE_BYTES})"
            )
            return None
        sha, crc, size = hashlib.sha256(), 0, 0
        kept = bytearray()
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > declared:
                        self.problems.append(f"{name}: longer than its declared size")
                        return None
                    sha.update(chunk)
                    crc = zlib.crc32(chunk, crc)
                    if keep:
                        kept += chunk
        except Exception as e:  # noqa: BLE001 - zipfile raises many kinds on hostile input; none may escape
            self.problems.append(f"{name}: damaged ({_reason(e)})")
            return None
        self._budget -= size
        digest = _Digest(sha.hexdigest(), size, crc, bytes(kept) if keep else None)
        self._digests[name] = digest
        return digest

    def _parse(self, signed: bytes) -> EvidenceManifest | None:
        try:
            return EvidenceManifest.parse(signed)
        except ValidationError as e:
            self.problems.extend(f"{_MANIFEST}: {error}" for error in e.errors)
            return None

    def _check_signature(
        self, signed: bytes, text: bytes, manifest: EvidenceManifest | None
    ) -> None:
        signature = _decode_signature(text)
        if signature is None:
            self.problems.append(f"{_SIGNATURE}: not a base64 Ed25519 signature")
            return
        try:
            self._key.verify(signature, signed)
        except InvalidSignature:
            if manifest is not None and manifest.key_id != self._key_id:
                self.problems.append(
                    f"{_SIGNATURE}: signed by key {manifest.key_id}, the key given is "
                    f"{self._key_id}: verify with the exporting city's public key "
                    "(or the manifest was altered)"
                )
            else:
                self.problems.append(
                    f"{_SIGNATURE}: the signature does not verify with key {self._key_id}: "
                    f"{_MANIFEST} or {_SIGNATURE} was altered"
                )
            return
        if manifest is not None and manifest.key_id != self._key_id:
            self.problems.append(
                f"{_MANIFEST}: names key {manifest.key_id} but was signed with key {self._key_id}"
            )

    def _check_file(
        self,
        archive: zipfile.ZipFile,
        named: Mapping[str, list[zipfile.ZipInfo]],
        file: ManifestFile,
    ) -> None:
        found = named.get(file.path, [])
        if not found:
            self.problems.append(f"{file.path}: in the manifest but missing from the bundle")
            return
        if len(found) > 1 or found[0].flag_bits & 0x1:
            return  # already reported
        if found[0].file_size != file.size:
            self.problems.append(
                f"{file.path}: {found[0].file_size} bytes, the manifest says {file.size}"
            )
            return
        digest = self._digest(archive, found[0], file.path)
        if digest is None:
            return
        if digest.size != file.size:
            self.problems.append(f"{file.path}: {digest.size} bytes, the manifest says {file.size}")
        elif digest.sha256 != file.sha256:
            self.problems.append(f"{file.path}: SHA-256 does not match the manifest")

    def _check_container(self, manifest: EvidenceManifest, size: int) -> None:
        """Compare every byte outside the (already checked) contents with the bundle as written."""
        names = [_MANIFEST, _SIGNATURE, *(f.path for f in manifest.files)]
        entries = [
            _Entry(name, self._digests[name].size, self._digests[name].crc) for name in names
        ]
        pieces, total = _container(entries, _dos_stamp(manifest.exported_at))
        altered = (
            "the contents and the signature check out, but the ZIP file was altered or repacked"
        )
        if total != size:
            self.problems.append(f"bundle: {size} bytes, not the {total} written; {altered}")
            return
        offset = 0
        for piece, entry in zip(pieces, [*entries, None], strict=True):
            found = self._read_at(offset, len(piece))
            if found != piece:
                at = next(
                    (i for i, (a, b) in enumerate(zip(found, piece, strict=False)) if a != b),
                    len(found),
                )
                self.problems.append(f"bundle: byte {offset + at} is not as written; {altered}")
                return
            offset += len(piece) + (entry.size if entry is not None else 0)


def _decode_signature(text: bytes) -> bytes | None:
    """The signature in ``manifest.sig``, only in the exact form written (so no byte is slack)."""
    try:
        signature = base64.b64decode(text, validate=True)
    except ValueError:
        return None
    if len(signature) != _SIGNATURE_BYTES or base64.b64encode(signature) != text:
        return None
    return signature


def _safe_name(name: str) -> bool:
    """Whether extracting an entry of this name stays inside the folder extracted to."""
    parts = name.replace("\\", "/").split("/")
    return not (name.startswith(("/", "\\")) or ":" in name or ".." in parts)


def _shown(text: str, limit: int = 120) -> str:
    """Text from a bundle, safe to print: control characters escaped, long text cut."""
    shown = text if text.isprintable() else ascii(text)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def _reason(error: Exception) -> str:
    return _shown(str(error) or type(error).__name__)
