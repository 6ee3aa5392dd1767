"""Audit-log throughput: appends per second (1 and 4 writers) and time to verify a long chain.

Run: ``python benchmarks/audit_log.py [--postgres URL] [--verify-entries N]``.
Prints figures; it is not a test. The long chain is written with the library's own hash function
in bulk (one transaction), then verified by ``AuditLog.verify``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from smartcity_kit.storage import AuditLog, Database, entry_hash, upgrade


def _append(url: str, worker: int, count: int) -> None:
    db = Database(url)
    log = AuditLog(db)
    for i in range(count):
        log.record(
            actor=f"bench:{worker}", action="bench.append", subject=f"item:{i}", details={"i": i}
        )
    db.dispose()


def appends_per_second(url: str, writers: int, each: int) -> float:
    start = time.perf_counter()
    if writers == 1:
        _append(url, 0, each)
    else:
        ctx = mp.get_context("spawn")
        procs = [ctx.Process(target=_append, args=(url, w, each)) for w in range(writers)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
            if p.exitcode != 0:
                msg = f"writer failed with exit code {p.exitcode}"
                raise RuntimeError(msg)
    return writers * each / (time.perf_counter() - start)


def write_long_chain(db: Database, n: int) -> None:
    """Append n entries in bulk, hashed exactly as AuditLog.append does."""
    batch: list[dict[str, object]] = []
    entries = sa.table(
        "audit_entries",
        *(
            sa.column(c)
            for c in ("seq", "at", "actor", "action", "subject", "details", "prev_hash", "hash")
        ),
    )
    with db.transaction() as conn:
        head_seq, prev = conn.exec_driver_sql("SELECT seq, hash FROM audit_head").one()
        start_seq = head_seq + 1
        for seq in range(start_seq, start_seq + n):
            minute, second = seq // 60_000_000 % 60, seq // 1_000_000 % 60
            at = f"2026-11-23T01:{minute:02d}:{second:02d}.{seq % 1_000_000:06d}Z"
            details = json.dumps(
                {"i": seq, "note": "status diperbarui"}, separators=(",", ":"), sort_keys=True
            )
            digest = entry_hash(
                seq, at, "opd:dpu/andi", "request.updated", f"request:{seq % 5000}", details, prev
            )
            batch.append(
                {
                    "seq": seq,
                    "at": at,
                    "actor": "opd:dpu/andi",
                    "action": "request.updated",
                    "subject": f"request:{seq % 5000}",
                    "details": details,
                    "prev_hash": prev,
                    "hash": digest,
                }
            )
            prev = digest
            if len(batch) == 20_000:
                conn.execute(sa.insert(entries), batch)
                batch.clear()
        if batch:
            conn.execute(sa.insert(entries), batch)
        conn.execute(
            sa.text("UPDATE audit_head SET seq = :s, hash = :h"),
            {"s": start_seq + n - 1, "h": prev},
        )


def run(label: str, url: str, verify_entries: int) -> None:
    db = Database(url)
    upgrade(db)
    single = appends_per_second(url, 1, 2_000)
    print(f"{label:<11} appends, 1 writer:            {single:>9,.0f} /s")
    multi = appends_per_second(url, 4, 1_000)
    print(f"{label:<11} appends, 4 writers together:  {multi:>9,.0f} /s")
    start = time.perf_counter()
    write_long_chain(db, verify_entries)
    print(
        f"{label:<11} bulk-wrote {verify_entries:,} entries in {time.perf_counter() - start:.1f} s"
    )
    start = time.perf_counter()
    report = AuditLog(db).verify()
    elapsed = time.perf_counter() - start
    assert report.intact, report.problem
    print(
        f"{label:<11} verify {report.entries:,} entries:      {elapsed:>9.1f} s "
        f"({report.entries / elapsed:,.0f} entries/s)"
    )
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", metavar="URL", help="also measure this PostgreSQL database")
    parser.add_argument("--verify-entries", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", args.verify_entries)
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(args.postgres)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            run(
                "PostgreSQL",
                f"{args.postgres}?options=-csearch_path%3D{schema}",
                args.verify_entries,
            )
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
