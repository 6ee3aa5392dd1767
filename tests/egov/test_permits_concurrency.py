"""Two processes issuing permits at once never produce the same number (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
import time
from pathlib import Path

from smartcity_kit.core import CityProfile, FixedClock, Nib, Rupiah
from smartcity_kit.egov import Agency, Service, ServiceDesk, ServiceStandard
from smartcity_kit.egov.permits import Applicant, Document, PermitOffice, PermitStatus
from smartcity_kit.storage import AuditLog, Database

BAUBAU = CityProfile.builtin("baubau")

_ISSUER = """
import pathlib, sys, time
from smartcity_kit.core import CityProfile
from smartcity_kit.egov.permits import PermitOffice
from smartcity_kit.storage import Database

url, folder, ids = sys.argv[1], pathlib.Path(sys.argv[2]), [int(i) for i in sys.argv[3].split(",")]
worker = sys.argv[4]
db = Database(url)
office = PermitOffice(db, CityProfile.builtin("baubau"))
office.get(ids[0])  # connect and check the schema before the start
(folder / f"ready-{worker}").touch()
deadline = time.time() + 120
while not (folder / "go").exists():
    if time.time() > deadline:
        sys.exit("no go")
    time.sleep(0.001)
# time.time(), not time.monotonic(): the parent compares the workers' clocks.
print(f"start {time.time():.6f}", flush=True)
for i in ids:
    print(office.issue(i, actor=f"worker:{worker}").number, flush=True)
print(f"end {time.time():.6f}", flush=True)
db.dispose()
"""


def _approved(db: Database, count: int) -> list[int]:
    clock = FixedClock(dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC))
    desk = ServiceDesk(db, BAUBAU, clock)
    desk.save_agency(Agency("baubau", "dpmptsp", "DPMPTSP"), actor="admin")
    desk.save_service(
        Service(
            city="baubau",
            code="P03",
            name="TDUP",
            description="",
            group="Perizinan",
            agency="dpmptsp",
            standard=ServiceStandard(working_days=3, fee=Rupiah(0), requirements=("NIB",)),
        ),
        actor="admin",
    )
    office = PermitOffice(db, BAUBAU, clock)
    digest = hashlib.sha256(b"nib").hexdigest()
    ids = []
    for _ in range(count):
        a = office.apply("P03", Applicant.business("CV Uji", Nib("9120005550011")), actor="t")
        office.attach(a.id, Document(1, "nib.pdf", digest, 10, "application/pdf"), actor="t")
        office.submit(a.id, actor="t")
        office.verify(a.id, actor="t")
        ids.append(office.approve(a.id, actor="t").id)
    return ids


def _wait_until_ready(procs: list[subprocess.Popen[str]], ready: list[Path]) -> None:
    """Wait (two minutes at most) until every worker has connected and says so."""
    deadline = time.time() + 120
    while not all(r.exists() for r in ready):
        ended = [p.communicate()[1] for p in procs if p.poll() is not None]
        assert not ended, f"a worker ended before it was ready: {ended}"
        assert time.time() < deadline, "the workers did not get ready in time"
        time.sleep(0.01)


def test_two_processes_issuing_at_once_never_share_a_number(db: Database, tmp_path: Path) -> None:
    workers, each = 2, 15
    ids = _approved(db, workers * each)
    script, go = tmp_path / "issue.py", tmp_path / "go"
    script.write_text(_ISSUER)
    url = db.engine.url.render_as_string(hide_password=False)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                url,
                str(tmp_path),
                ",".join(str(i) for i in ids[w::workers]),
                str(w),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    try:
        _wait_until_ready(procs, [tmp_path / f"ready-{w}" for w in range(workers)])
        go.touch()  # both connected, the schema checked: they start together
        outputs = [p.communicate(timeout=300) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    intervals, numbers = [], []
    for out, _ in outputs:
        lines = out.splitlines()
        assert lines[0].startswith("start "), lines
        assert lines[-1].startswith("end "), lines
        intervals.append((float(lines[0].split()[1]), float(lines[-1].split()[1])))
        numbers += lines[1:-1]
    # The workers really issued at the same time: their issuing intervals overlap.
    assert max(start for start, _ in intervals) < min(end for _, end in intervals), intervals
    assert len(numbers) == workers * each
    assert len(set(numbers)) == len(numbers)
    # One sequence with no gaps: every number from 1 (the month and year are today's).
    assert sorted(int(n.split("/")[1]) for n in numbers) == list(range(1, workers * each + 1))
    office = PermitOffice(db, BAUBAU)
    issued = office.search(statuses=[PermitStatus.ISSUED], limit=1000)
    assert sorted(a.number or "" for a in issued) == sorted(numbers)
    assert AuditLog(db).verify().intact
