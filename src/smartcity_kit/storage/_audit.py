"""The tamper-evident audit log: an append-only hash chain kept beside the data it speaks of."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from smartcity_kit.core import Clock, SystemClock, ensure_utc, find_personal_data, make_converter
from smartcity_kit.errors import FieldError, ValidationError
from smartcity_kit.storage._database import Database
from smartcity_kit.storage._driver import _raise_terse
from smartcity_kit.storage._types import format_utc, parse_utc

__all__ = ["GENESIS_HASH", "AuditAnchor", "AuditEntry", "AuditLog", "ChainReport", "entry_hash"]

#: The "previous hash" of the first entry.
GENESIS_HASH: Final = "0" * 64
_FORMAT: Final = "smartcity-kit/audit/v1"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_LIMITS: Final = {"actor": 200, "action": 100, "subject": 200}

_metadata = sa.MetaData()
entries_table = sa.Table(
    "audit_entries",
    _metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)
head_table = sa.Table(
    "audit_head",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)
_converter = make_converter()
_select_head = sa.select(head_table.c.seq, head_table.c.hash).where(head_table.c.id == 1)
# Appending is the hot path: its three statements go straight to the driver's cursor on the
# transaction's own connection, written once per parameter style. That takes a third of the time
# of Core statements, which matters for a log written on every audited action.
_APPEND_SQL: Final = {
    "qmark": (
        "SELECT seq, hash FROM audit_head WHERE id = 1",
        (
            "INSERT INTO audit_entries (seq, at, actor, action, subject, details, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1",
    ),
    "pyformat": (
        "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
        (
            "INSERT INTO audit_entries (seq, at, actor, action, subject, details, prev_hash, hash) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        ),
        "UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1",
    ),
}
_APPEND_SQL["format"] = _APPEND_SQL["pyformat"]


def entry_hash(  # noqa: PLR0913, PLR0917 - the hash covers every field, in order
    seq: int, at: str, actor: str, action: str, subject: str, details: str, prev_hash: str
) -> str:
    """SHA-256 over the canonical encoding of an entry and the hash before it.

    The encoding is a compact JSON array (UTF-8, no spaces) of a format tag and the fields, with
    ``details`` as the exact JSON text stored; any change to any field changes the hash.
    """
    encoded = json.dumps(
        [_FORMAT, seq, at, actor, action, subject, details, prev_hash],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(encoded.encode()).hexdigest()


@attrs.frozen
class AuditAnchor:
    """A published point of the chain: entry ``seq`` has hash ``hash``.

    Export it (``smartcity-kit audit head``) and hand it to an auditor or publish it; verifying
    against it later proves that nothing up to that entry was rewritten.

    >>> anchor = AuditAnchor.parse("42:" + "ab" * 32)
    >>> anchor.seq, str(anchor) == "42:" + "ab" * 32
    (42, True)

    Attributes:
        seq: The entry number (0 for an empty log).
        hash: That entry's hash (the genesis hash for an empty log).
    """

    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> AuditAnchor:
        """Read ``SEQ:HASH`` as printed by ``smartcity-kit audit head``.

        Raises:
            ValidationError: Not ``SEQ:HASH`` with a whole number and 64 hex digits.
        """
        seq_text, _, hash_text = text.strip().partition(":")
        if not seq_text.isdigit() or not _HEX64.fullmatch(hash_text):
            raise ValidationError.single("anchor", "must be SEQ:HASH, e.g. 42:9f86d0...")
        return cls(int(seq_text), hash_text)

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


@attrs.frozen
class AuditEntry:
    """One entry of the audit log.

    Attributes:
        seq: Its place in the chain, from 1 with no gaps.
        at: When it was appended (UTC).
        actor: Who acted: an account or system id, never a person's name.
        action: What was done (``complaint.resolved``, ``camera.viewed``).
        subject: What it was done to (``request:1042``, ``camera:MKS-0007``).
        details: Facts about the action, as JSON (personal data only in masked form).
        prev_hash: The hash of the entry before it.
        hash: SHA-256 over this entry's fields and ``prev_hash``.
    """

    seq: int
    at: dt.datetime
    actor: str
    action: str
    subject: str
    details: Mapping[str, Any]
    prev_hash: str
    hash: str


@attrs.frozen
class ChainReport:
    """The result of :meth:`AuditLog.verify`.

    Attributes:
        intact: Whether every check passed.
        entries: How many entries were read.
        head: The last entry read (seq and hash), to export as an anchor.
        problem: What is wrong, naming the first bad entry; None when intact.
        first_bad_seq: The number of the first bad entry; None when intact.
    """

    intact: bool
    entries: int
    head: AuditAnchor
    problem: str | None = None
    first_bad_seq: int | None = None


class AuditLog:
    """The hash-chained, append-only audit log.

    Append inside the same transaction as the change it records, so that both commit or neither::

        with db.transaction() as conn:
            ...  # change the domain rows
            audit.append(
                conn,
                actor="opd:dpu/andi",
                action="request.resolved",
                subject="request:1042",
                details={"note": "lubang sudah ditambal"},
            )

    Appends are serialised by a lock on the chain head (``SELECT ... FOR UPDATE`` on PostgreSQL,
    the write lock taken at ``BEGIN`` on SQLite), so concurrent writers never fork the chain.
    """

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock: Clock = clock or SystemClock()

    def append(
        self,
        conn: Connection,
        *,
        actor: str,
        action: str,
        subject: str,
        details: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append an entry inside the caller's transaction (from :meth:`Database.transaction`).

        Value types in ``details`` are written masked (a ``Nik`` becomes ``737110******0001``).

        Raises:
            ValidationError: A field is empty or too long, ``details`` is not JSON-ready, or
                text looks like unmasked personal data (a NIK, phone, NPWP or e-mail); nothing
                is written.
        """
        fields = {"actor": actor, "action": action, "subject": subject}
        details_text = self._checked(fields, details or {})
        select_head, insert_entry, move_head = _APPEND_SQL[conn.dialect.paramstyle]
        now = ensure_utc(self._clock.now(), "at")
        at = format_utc(now)
        driver = conn.connection.driver_connection
        cursor = driver.cursor()  # type: ignore[union-attr]
        statement: str = select_head
        params: tuple[Any, ...] = ()
        try:
            cursor.execute(statement)
            head_seq, prev_hash = cursor.fetchone()
            seq = int(head_seq) + 1
            digest = entry_hash(seq, at, actor, action, subject, details_text, prev_hash)
            statement = insert_entry
            params = (seq, at, actor, action, subject, details_text, prev_hash, digest)
            cursor.execute(statement, params)
            statement, params = move_head, (seq, digest)
            cursor.execute(statement, params)
        except conn.dialect.loaded_dbapi.Error as e:
            _raise_terse(statement, e, conn.dialect)  # never the entry's values
        finally:
            cursor.close()
        return AuditEntry(
            seq=seq,
            at=now,
            actor=actor,
            action=action,
            subject=subject,
            details=json.loads(details_text),
            prev_hash=prev_hash,
            hash=digest,
        )

    def append_many(self, conn: Connection, items: Sequence[Mapping[str, Any]]) -> list[AuditEntry]:
        """Append several entries inside the caller's transaction, in order, at once.

        Each item has the keyword arguments of :meth:`append` (``actor``, ``action``,
        ``subject`` and optionally ``details``). The chain is the same as appending them one by
        one; the head is read and moved once, which saves two round trips per entry on
        PostgreSQL. Every item is checked before anything is written.

        Raises:
            ValidationError: An item is wrong (its index leads each field path); nothing is
                written.
        """
        checked: list[tuple[str, str, str, str]] = []
        for i, item in enumerate(items):
            fields = {k: item.get(k) for k in ("actor", "action", "subject")}
            try:
                details_text = self._checked(fields, item.get("details") or {})
            except ValidationError as e:
                raise e.prefixed(f"items[{i}]") from None
            checked.append((item["actor"], item["action"], item["subject"], details_text))
        if not checked:
            return []
        select_head, insert_entry, move_head = _APPEND_SQL[conn.dialect.paramstyle]
        now = ensure_utc(self._clock.now(), "at")
        at = format_utc(now)
        driver = conn.connection.driver_connection
        cursor = driver.cursor()  # type: ignore[union-attr]
        statement: str = select_head
        params: Any = ()
        found: list[AuditEntry] = []
        try:
            cursor.execute(statement)
            head_seq, prev_hash = cursor.fetchone()
            rows = []
            seq = int(head_seq)
            for actor, action, subject, details_text in checked:
                seq += 1
                digest = entry_hash(seq, at, actor, action, subject, details_text, prev_hash)
                rows.append((seq, at, actor, action, subject, details_text, prev_hash, digest))
                found.append(
                    AuditEntry(
                        seq=seq,
                        at=now,
                        actor=actor,
                        action=action,
                        subject=subject,
                        details=json.loads(details_text),
                        prev_hash=prev_hash,
                        hash=digest,
                    )
                )
                prev_hash = digest
            statement, params = insert_entry, rows
            if conn.dialect.paramstyle == "qmark":
                # One statement per 1,000 entries: each call into SQLite lets other threads take
                # the interpreter while this one holds the write lock.
                head, _, one = insert_entry.partition(" VALUES ")
                for start in range(0, len(rows), 1000):
                    chunk = rows[start : start + 1000]
                    statement = f"{head} VALUES {', '.join([one] * len(chunk))}"
                    cursor.execute(statement, [value for row in chunk for value in row])
            else:
                cursor.executemany(statement, rows)
            statement, params = move_head, (seq, prev_hash)
            cursor.execute(statement, params)
        except conn.dialect.loaded_dbapi.Error as e:
            _raise_terse(statement, e, conn.dialect)  # never the entry's values
        finally:
            cursor.close()
        return found

    def record(
        self,
        *,
        actor: str,
        action: str,
        subject: str,
        details: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append an entry in a transaction of its own (for events with no other change)."""
        with self._db.transaction() as conn:
            return self.append(conn, actor=actor, action=action, subject=subject, details=details)

    def head_seq(self) -> int:
        """The newest entry's number, read as cheaply as possible (a data version for caches)."""
        with self._db.engine.connect() as conn:
            seq = conn.exec_driver_sql("SELECT seq FROM audit_head WHERE id = 1").scalar_one()
            conn.rollback()
        return int(seq)

    def head(self) -> AuditAnchor:
        """The newest entry's number and hash, to export as an anchor."""
        with self._db.reading() as conn:
            row = conn.execute(_select_head).one()
        return AuditAnchor(int(row.seq), str(row.hash))

    def entries(  # noqa: PLR0913 - one keyword per filter
        self,
        *,
        subject: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """Entries matching every filter given, oldest first.

        ``since`` is inclusive and ``until`` exclusive; ``limit`` keeps the newest that many.
        """
        query = sa.select(entries_table)
        if subject is not None:
            query = query.where(entries_table.c.subject == subject)
        if actor is not None:
            query = query.where(entries_table.c.actor == actor)
        if action is not None:
            query = query.where(entries_table.c.action == action)
        if since is not None:
            query = query.where(entries_table.c.at >= format_utc(since))
        if until is not None:
            query = query.where(entries_table.c.at < format_utc(until))
        if limit is not None:
            if type(limit) is not int or limit < 1:
                raise ValidationError.single("limit", "must be a whole number of at least 1")
            query = query.order_by(entries_table.c.seq.desc()).limit(limit)
        else:
            query = query.order_by(entries_table.c.seq)
        with self._db.reading() as conn:
            rows = conn.execute(query).all()
        found = [
            AuditEntry(
                seq=int(r.seq),
                at=parse_utc(r.at),
                actor=r.actor,
                action=r.action,
                subject=r.subject,
                details=json.loads(r.details),
                prev_hash=r.prev_hash,
                hash=r.hash,
            )
            for r in rows
        ]
        return sorted(found, key=lambda e: e.seq) if limit is not None else found

    def verify(self, *, anchor: AuditAnchor | None = None) -> ChainReport:
        """Walk the whole chain and recompute every hash.

        Finds an entry altered (its hash no longer matches), removed (a gap, or a missing tail the
        head still counts), inserted or reordered (an entry that does not follow the one before),
        and, with ``anchor``, a chain rewritten before the exported anchor.
        """
        with self._db.reading() as conn:
            head = conn.execute(_select_head).one()
            result = conn.execution_options(yield_per=5_000).execute(
                sa.select(
                    entries_table.c.seq,
                    entries_table.c.at,
                    entries_table.c.actor,
                    entries_table.c.action,
                    entries_table.c.subject,
                    entries_table.c.details,
                    entries_table.c.prev_hash,
                    entries_table.c.hash,
                ).order_by(entries_table.c.seq)
            )
            try:
                return self._walk(result, AuditAnchor(int(head.seq), str(head.hash)), anchor)
            finally:
                result.close()  # a server-side cursor may be left part-read

    @staticmethod
    def _walk(  # noqa: C901, PLR0911 - one return per check, in the order they apply
        rows: Iterator[Any], head: AuditAnchor, anchor: AuditAnchor | None
    ) -> ChainReport:
        expected_seq, last_hash, count = 1, GENESIS_HASH, 0
        anchor_seen = anchor is None or anchor.seq == 0

        def broken(seq: int, problem: str) -> ChainReport:
            return ChainReport(
                intact=False,
                entries=count,
                head=AuditAnchor(expected_seq - 1, last_hash),
                problem=problem,
                first_bad_seq=seq,
            )

        if anchor is not None and anchor.seq == 0 and anchor.hash != GENESIS_HASH:
            return broken(0, "the anchor for entry 0 must carry the genesis hash")
        for seq, at, actor, action, subject, details, prev_hash, stored in rows:
            if seq != expected_seq:
                return broken(
                    expected_seq,
                    f"entry {expected_seq} is missing (the next entry is {seq}): "
                    "entries were removed",
                )
            if prev_hash != last_hash:
                return broken(
                    seq,
                    f"entry {seq} does not follow entry {seq - 1}: entries were removed, inserted "
                    "or reordered",
                )
            if entry_hash(seq, at, actor, action, subject, details, prev_hash) != stored:
                return broken(seq, f"entry {seq} was altered: its hash does not match its contents")
            if anchor is not None and seq == anchor.seq:
                if stored != anchor.hash:
                    return broken(
                        seq,
                        f"entry {seq} differs from the exported anchor: the chain was rewritten",
                    )
                anchor_seen = True
            count += 1
            last_hash = stored
            expected_seq += 1
        end = AuditAnchor(expected_seq - 1, last_hash)
        if head.seq > end.seq:
            return broken(
                end.seq + 1,
                f"entry {end.seq + 1} is missing: the chain ends at entry {end.seq} but the head "
                f"records entry {head.seq} (entries were removed from the end)",
            )
        if head != end:
            return broken(
                end.seq,
                f"the chain head does not match entry {end.seq}: the head was tampered with",
            )
        if not anchor_seen and anchor is not None:
            return broken(
                anchor.seq,
                f"entry {anchor.seq} from the exported anchor is missing: the chain was truncated",
            )
        return ChainReport(intact=True, entries=count, head=end)

    @staticmethod
    def _encode_details(details: Mapping[str, Any]) -> str:
        if not isinstance(details, Mapping):
            raise ValidationError.single("details", "must be a mapping (a JSON object)")
        try:
            plain = _converter.unstructure(details)
            return json.dumps(
                plain, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
            )
        except (TypeError, ValueError):
            raise ValidationError.single(
                "details", "must hold only JSON values (text, numbers, lists, objects)"
            ) from None

    @staticmethod
    def _checked(fields: Mapping[str, Any], details: Mapping[str, Any]) -> str:
        """The details as canonical JSON, once every field passed; else every problem at once."""
        problems = []
        for name, value in fields.items():
            if not isinstance(value, str) or not value.strip():
                problems.append(FieldError(name, "must be non-empty text"))
            elif len(value) > _LIMITS[name]:
                problems.append(FieldError(name, f"must be at most {_LIMITS[name]} characters"))
            elif kind := find_personal_data(value):
                problems.append(FieldError(name, f"looks like unmasked personal data ({kind})"))
        details_text = ""
        try:
            details_text = AuditLog._encode_details(details)
        except ValidationError as e:
            problems.extend(e.errors)
        if kind := find_personal_data(details_text):
            problems.append(
                FieldError("details", f"looks like unmasked personal data ({kind}): mask it first")
            )
        if problems:
            raise ValidationError(problems)
        return details_text
