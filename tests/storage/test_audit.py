from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcity_kit.core import FixedClock, Nik
from smartcity_kit.errors import ValidationError
from smartcity_kit.storage import (
    GENESIS_HASH,
    AuditAnchor,
    AuditLog,
    Database,
    entry_hash,
    upgrade,
)

T0 = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)


def fill(log: AuditLog, n: int, clock: FixedClock | None = None) -> None:
    for i in range(1, n + 1):
        if clock is not None:
            clock.advance(minutes=1)
        log.record(
            actor=f"opd:dpu/user{i % 3}",
            action="request.updated" if i % 2 else "request.resolved",
            subject=f"request:{i % 4}",
            details={"i": i, "note": f"langkah {i}"},
        )


def test_append_links_each_entry_to_the_one_before(db: Database) -> None:
    clock = FixedClock(T0)
    log = AuditLog(db, clock)
    first = log.record(actor="opd:dpu/andi", action="request.received", subject="request:1")
    second = log.record(
        actor="opd:dpu/andi", action="request.verified", subject="request:1", details={"n": 1}
    )
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert second.hash == entry_hash(
        2,
        "2026-11-23T01:00:00.000000Z",
        "opd:dpu/andi",
        "request.verified",
        "request:1",
        '{"n":1}',
        first.hash,
    )
    assert first.at == T0
    assert log.head() == AuditAnchor(2, second.hash)


def test_append_many_makes_the_same_chain_as_appending_one_by_one(db: Database) -> None:
    clock = FixedClock(T0)
    log = AuditLog(db, clock)
    log.record(actor="opd:dpu/andi", action="request.received", subject="request:1")
    items: list[dict[str, Any]] = [
        {"actor": "bulo:x/bendahara", "action": "entry.posted", "subject": f"entry:{i}"}
        | ({"details": {"n": i}} if i % 2 else {})
        for i in range(1, 6)
    ]
    with db.transaction() as conn:
        many = log.append_many(conn, items)
    assert [e.seq for e in many] == [2, 3, 4, 5, 6]
    assert log.verify().intact
    assert log.head() == AuditAnchor(6, many[-1].hash)
    stored = log.entries()
    for entry, item in zip(stored[1:], items, strict=True):
        assert entry.hash == entry_hash(
            entry.seq,
            "2026-11-23T01:00:00.000000Z",
            item["actor"],
            item["action"],
            item["subject"],
            json.dumps(item.get("details", {}), separators=(",", ":")),
            entry.prev_hash,
        )
    with db.transaction() as conn:
        assert log.append_many(conn, []) == []
    assert log.head_seq() == 6


def test_append_many_checks_every_item_before_writing(db: Database) -> None:
    log = AuditLog(db, FixedClock(T0))
    items = [
        {"actor": "opd:dpu/andi", "action": "request.received", "subject": "request:1"},
        {"actor": "opd:dpu/andi", "action": "request.noted", "subject": "0812 3456 7890"},
    ]
    with pytest.raises(ValidationError) as caught, db.transaction() as conn:
        log.append_many(conn, items)
    assert caught.value.fields == ("items[1].subject",)
    assert "7890" not in str(caught.value)
    assert log.head_seq() == 0


def test_append_commits_with_the_change_or_not_at_all(db: Database) -> None:
    log = AuditLog(db)
    with pytest.raises(RuntimeError), db.transaction() as conn:
        log.append(conn, actor="a", action="b", subject="c")
        raise RuntimeError
    assert log.head().seq == 0
    assert log.entries() == []
    assert log.verify().intact


def test_entries_filters(db: Database) -> None:
    clock = FixedClock(T0)
    log = AuditLog(db, clock)
    fill(log, 12, clock)
    assert [e.seq for e in log.entries(subject="request:1")] == [1, 5, 9]
    assert [e.seq for e in log.entries(actor="opd:dpu/user0")] == [3, 6, 9, 12]
    assert [e.seq for e in log.entries(action="request.resolved", subject="request:2")] == [
        2,
        6,
        10,
    ]
    assert [e.seq for e in log.entries(since=T0 + dt.timedelta(minutes=11))] == [11, 12]
    assert [e.seq for e in log.entries(until=T0 + dt.timedelta(minutes=3))] == [1, 2]
    assert [e.seq for e in log.entries(limit=3)] == [10, 11, 12]
    assert log.entries(subject="request:1")[0].details == {"i": 1, "note": "langkah 1"}
    with pytest.raises(ValidationError, match="limit"):
        log.entries(limit=0)


def test_personal_data_is_masked_or_refused(db: Database) -> None:
    log = AuditLog(db)
    entry = log.record(
        actor="a", action="b", subject="c", details={"nik": Nik.parse("7371105508950001")}
    )
    assert entry.details == {"nik": "737110******0001"}
    refused: list[dict[str, object]] = [
        {"note": "pelapor NIK 7371105508950001"},
        {"contact": "0812-3456-7890"},
        {"email": "warga@example.com"},
        {"nested": [{"npwp": "01.300.066.6-091.000"}]},
        {"reference": "0013000666091000"},  # a bare 16-digit NPWP, no label
        {"call_back": "0411 452 870"},  # a bare landline
        {"kk": "7371101205080003"},
    ]
    for details in refused:
        with pytest.raises(ValidationError, match="personal data") as info:
            log.record(actor="a", action="b", subject="c", details=details)
        assert info.value.fields == ("details",)
        assert "7371105508950001" not in str(info.value)
    with pytest.raises(ValidationError, match="personal data"):
        log.record(actor="warga 081234567890", action="b", subject="c")
    assert log.head().seq == 1
    # Ordinary numbers are not personal data.
    fine = {"request": 1042, "amount": 1_500_000, "at": "2026-11-23T01:00:00Z", "seq": 12345678}
    assert log.record(actor="a", action="b", subject="request:1042", details=fine).seq == 2


def test_bad_fields_change_nothing(db: Database) -> None:
    log = AuditLog(db)
    with pytest.raises(ValidationError) as info:
        log.record(actor="", action="x" * 101, subject=" ", details={"f": float("nan")})
    assert info.value.fields == ("actor", "action", "subject", "details")
    assert [e.message for e in info.value.errors] == [
        "must be non-empty text",
        "must be at most 100 characters",
        "must be non-empty text",
        "must hold only JSON values (text, numbers, lists, objects)",
    ]
    with pytest.raises(ValidationError, match="mapping"):
        log.record(actor="a", action="b", subject="c", details=["x"])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="JSON values"):
        log.record(actor="a", action="b", subject="c", details={"x": object()})
    assert log.head().seq == 0


def _drop_guards(db: Database) -> None:
    """What an attacker with database rights does first: remove the append-only triggers."""
    with db.engine.begin() as conn:
        if db.dialect == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_entries_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_entries_no_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_entries_no_change ON audit_entries")


def test_database_refuses_to_change_entries(db: Database) -> None:
    AuditLog(db).record(actor="a", action="b", subject="c")
    for statement in ("UPDATE audit_entries SET actor = 'x'", "DELETE FROM audit_entries"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.exec_driver_sql(statement)
    assert AuditLog(db).verify().intact


TAMPERING = {
    "edit details": ("UPDATE audit_entries SET details = '{\"i\":99}' WHERE seq = 5", 5, "altered"),
    "edit actor": ("UPDATE audit_entries SET actor = 'someone' WHERE seq = 3", 3, "altered"),
    "edit time": (
        "UPDATE audit_entries SET at = '2020-01-01T00:00:00.000000Z' WHERE seq = 7",
        7,
        "altered",
    ),
    "delete middle": ("DELETE FROM audit_entries WHERE seq = 4", 4, "missing"),
    "delete last": ("DELETE FROM audit_entries WHERE seq = 10", 10, "removed from the end"),
    "swap two": (
        (
            "UPDATE audit_entries SET seq = CASE seq WHEN 6 THEN 1006 WHEN 7 THEN 1007 "
            "ELSE seq END;"
            "UPDATE audit_entries SET seq = 7 WHERE seq = 1006;"
            "UPDATE audit_entries SET seq = 6 WHERE seq = 1007"
        ),
        6,
        "does not follow",
    ),
    "move the head": ("UPDATE audit_head SET hash = '{fake}'", 10, "head was tampered"),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_verify_finds_the_first_bad_entry(db: Database, case: str) -> None:
    log = AuditLog(db)
    fill(log, 10)
    assert log.verify().intact
    statement, bad_seq, words = TAMPERING[case]
    _drop_guards(db)
    with db.engine.begin() as conn:
        for part in statement.split(";"):
            conn.exec_driver_sql(part.replace("{fake}", "f" * 64))
    report = log.verify()
    assert not report.intact
    assert report.first_bad_seq == bad_seq
    assert report.problem is not None
    assert words in report.problem


def test_an_entry_rehashed_after_editing_breaks_the_link_to_the_next(db: Database) -> None:
    log = AuditLog(db)
    fill(log, 4)
    _drop_guards(db)
    with db.engine.begin() as conn:
        row = conn.exec_driver_sql(
            "SELECT seq, at, actor, action, subject, prev_hash FROM audit_entries WHERE seq = 2"
        ).one()
        forged = entry_hash(row[0], row[1], row[2], row[3], row[4], "{}", row[5])
        conn.execute(
            sa.text("UPDATE audit_entries SET details = '{}', hash = :h WHERE seq = 2"),
            {"h": forged},
        )
    report = log.verify()
    assert (report.intact, report.first_bad_seq) == (False, 3)
    assert "does not follow" in (report.problem or "")


def test_anchor_proves_nothing_was_rewritten_before_it(db: Database) -> None:
    log = AuditLog(db)
    fill(log, 5)
    anchor = log.head()
    fill(log, 3)
    assert log.verify(anchor=anchor).intact
    # Rewrite the whole chain consistently from entry 3 on: only the anchor can tell.
    _drop_guards(db)
    with db.engine.begin() as conn:
        rows = conn.exec_driver_sql(
            "SELECT seq, at, actor, action, subject, details, prev_hash FROM audit_entries "
            "WHERE seq >= 3 ORDER BY seq"
        ).all()
        prev = conn.exec_driver_sql("SELECT hash FROM audit_entries WHERE seq = 2").scalar_one()
        conn.exec_driver_sql("DELETE FROM audit_entries WHERE seq >= 3")
        for seq, at, actor, action, subject, _details, _prev in rows:
            details = json.dumps({"rewritten": seq}, separators=(",", ":"))
            digest = entry_hash(seq, at, actor, action, subject, details, prev)
            conn.execute(
                sa.text(
                    "INSERT INTO audit_entries (seq, at, actor, action, subject, details, "
                    "prev_hash, hash) VALUES (:s, :at, :ac, :an, :su, :d, :p, :h)"
                ),
                {
                    "s": seq,
                    "at": at,
                    "ac": actor,
                    "an": action,
                    "su": subject,
                    "d": details,
                    "p": prev,
                    "h": digest,
                },
            )
            prev = digest
        conn.execute(sa.text("UPDATE audit_head SET hash = :h"), {"h": prev})
    assert log.verify().intact  # the rewrite is self-consistent...
    report = log.verify(anchor=anchor)  # ...but not with what was published
    assert not report.intact
    assert report.first_bad_seq == 5
    assert "exported anchor" in (report.problem or "")


def test_anchor_beyond_the_chain_means_truncation(db: Database) -> None:
    log = AuditLog(db)
    fill(log, 3)
    report = log.verify(anchor=AuditAnchor(7, "a" * 64))
    assert not report.intact
    assert "truncated" in (report.problem or "")


def test_anchor_parse() -> None:
    assert str(AuditAnchor.parse(f" 3:{'a' * 64} ")) == f"3:{'a' * 64}"
    for bad in ("3", f"x:{'a' * 64}", "3:abc", f"3:{'A' * 64}"):
        with pytest.raises(ValidationError, match="SEQ:HASH"):
            AuditAnchor.parse(bad)


def test_genesis_anchor() -> None:
    db = Database("sqlite://")
    upgrade(db)
    log = AuditLog(db)
    assert log.verify(anchor=AuditAnchor(0, GENESIS_HASH)).intact
    assert not log.verify(anchor=AuditAnchor(0, "a" * 64)).intact


_fields = st.sampled_from(["at", "actor", "action", "subject", "details", "prev_hash", "hash"])


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(min_value=1, max_value=12),
    target=st.integers(min_value=1, max_value=12),
    field=_fields,
)
def test_any_single_change_is_caught(n: int, target: int, field: str) -> None:
    """Change one field of one entry (triggers dropped): verify names that entry or the next."""
    db = Database("sqlite://")
    upgrade(db)
    log = AuditLog(db)
    fill(log, n)
    seq = min(target, n)
    _drop_guards(db)
    with db.engine.begin() as conn:
        value = conn.execute(
            sa.text(f"SELECT {field} FROM audit_entries WHERE seq = :s"), {"s": seq}
        ).scalar_one()
        changed = (
            ("f" * 64 if value != "f" * 64 else "e" * 64) if field.endswith("hash") else value + " "
        )
        if field == "details":
            changed = '{"x":1}'
        conn.execute(
            sa.text(f"UPDATE audit_entries SET {field} = :v WHERE seq = :s"),
            {"v": changed, "s": seq},
        )
    report = log.verify()
    assert not report.intact
    assert report.first_bad_seq in (seq, seq + 1)


@pytest.mark.parametrize("many", [False, True])
def test_a_failed_append_names_the_statement_not_the_entry(db: Database, many: bool) -> None:
    log = AuditLog(db)
    log.record(actor="a", action="b", subject="c")
    with db.engine.begin() as conn:  # the head moved back: the next entry's number is taken
        conn.exec_driver_sql("UPDATE audit_head SET seq = 0")
    entry: dict[str, Any] = {
        "actor": "opd:dpu/andi-petugas",
        "action": "request.resolved",
        "subject": "request:4242",
        "details": {"note": "lubang-ditambal-oleh-andi"},
    }
    with pytest.raises(sa.exc.DBAPIError) as raised, db.transaction() as conn:
        if many:
            log.append_many(conn, [entry])
        else:
            log.append(conn, **entry)
    shown = f"{raised.value}\n{raised.value.__cause__}\n{raised.value.__context__}"
    assert "INSERT INTO audit_entries" in shown
    for value in ("andi-petugas", "request:4242", "lubang-ditambal", "request.resolved"):
        assert value not in shown
