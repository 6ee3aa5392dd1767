"""Several processes appending at once leave one valid chain; a killed writer loses only its
own uncommitted transaction."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from smartcity_kit.storage import AuditLog, Database

_APPENDER = """
import sys
from smartcity_kit.storage import AuditLog, Database

db = Database(sys.argv[1])
log = AuditLog(db)
worker, count = sys.argv[2], int(sys.argv[3])
for i in range(count):
    log.record(actor=f"worker:{worker}", action="test.append", subject=f"item:{i}",
               details={"i": i})
db.dispose()
"""


def _full_url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def test_concurrent_writers_never_fork_the_chain(db: Database, tmp_path: Path) -> None:
    script = tmp_path / "append.py"
    script.write_text(_APPENDER)
    workers, each = 4, 60
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), _full_url(db), str(w), str(each)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    log = AuditLog(db)
    report = log.verify()
    assert report.intact, report.problem
    assert report.entries == workers * each
    for w in range(workers):
        mine = log.entries(actor=f"worker:{w}")
        assert [e.details["i"] for e in mine] == list(range(each))


_CRASHER = """
import sys, time
import sqlalchemy as sa
from smartcity_kit.storage import AuditLog, Database

db = Database(sys.argv[1])
log = AuditLog(db)
rows = sa.table("crash_rows", sa.column("batch"), sa.column("n"))
for batch in range(10):
    with db.transaction() as conn:
        for n in range(50):
            conn.execute(sa.insert(rows).values(batch=batch, n=n))
            log.append(conn, actor="crash:test", action="row.added", subject=f"batch:{batch}",
                       details={"n": n})
            if batch == 3 and n == 25:
                print("MIDDLE", flush=True)
                time.sleep(60)
    print(f"COMMITTED {batch}", flush=True)
"""


def test_a_killed_writer_leaves_committed_work_whole(db: Database, tmp_path: Path) -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE crash_rows (batch INTEGER NOT NULL, n INTEGER NOT NULL)")
    script = tmp_path / "crash.py"
    script.write_text(_CRASHER)
    seen = []
    with subprocess.Popen(
        [sys.executable, str(script), _full_url(db)], stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline().strip()
            seen.append(line)
            if line in ("MIDDLE", ""):
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert seen == ["COMMITTED 0", "COMMITTED 1", "COMMITTED 2", "MIDDLE"]

    fresh = Database(_full_url(db))
    with fresh.reading() as conn:
        batches = conn.execute(
            sa.text("SELECT batch, COUNT(*) FROM crash_rows GROUP BY batch ORDER BY batch")
        ).all()
    assert [tuple(b) for b in batches] == [(0, 50), (1, 50), (2, 50)]
    report = AuditLog(fresh).verify()
    assert report.intact, report.problem
    assert report.entries == 150
    # The database keeps working after the crash.
    AuditLog(fresh).record(actor="crash:test", action="after", subject="batch:x")
    assert AuditLog(fresh).verify().entries == 151
    fresh.dispose()
