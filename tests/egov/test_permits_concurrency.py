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

url, go, ids = sys.argv[1], pathlib.Path(sys.argv[2]), [int(i) for i in sys.argv[3].split(",")]
db = Database(url)
office = PermitOffice(db, CityProfile.builtin("baubau"))
office.get(ids[0])  # connect and check the schema before the start
while not go.exists():
    time.sleep(0.001)
for i in ids:
    print(office.issue(i, actor=f"worker:{sys.argv[4]}").number, flush=True)
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
                str(go),
                ",".join(str(i) for i in ids[w::workers]),
                str(w),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    time.sleep(1.0)  # both connected and waiting
    go.touch()
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    numbers = [line for out, _ in outputs for line in out.splitlines()]
    assert len(numbers) == workers * each
    assert len(set(numbers)) == len(numbers)
    # One sequence with no gaps: every number from 1 (the month and year are today's).
    assert sorted(int(n.split("/")[1]) for n in numbers) == list(range(1, workers * each + 1))
    office = PermitOffice(db, BAUBAU)
    issued = office.search(statuses=[PermitStatus.ISSUED], limit=1000)
    assert sorted(a.number or "" for a in issued) == sorted(numbers)
    assert AuditLog(db).verify().intact
