"""Writers in several processes queue on the ``<file>-writer`` lock beside a SQLite database."""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import smartcity_kit.storage._database as database_module
from smartcity_kit.storage import AuditLog, Database, upgrade

# The processes run a module written to tmp_path: a spawned process imports its target by module
# name, which a test module imported by pytest's importlib mode does not have.
_WORKER = '''
import sqlalchemy as sa

import smartcity_kit.storage._database as database_module
from smartcity_kit.storage import AuditLog, Database

COUNTER = sa.text("SELECT n FROM writer_counter WHERE id = 1")
BUMP = sa.text("UPDATE writer_counter SET n = :n WHERE id = 1")


def write(url, worker, count, busy_timeout_ms, start, done):
    """Count up ``count`` times, each in its own transaction with an audit entry."""
    database_module.SQLITE_BUSY_TIMEOUT_MS = busy_timeout_ms
    db = Database(url)
    log = AuditLog(db)
    start.wait(60)
    try:
        for i in range(count):
            with db.transaction() as conn:
                n = conn.execute(COUNTER).scalar_one()
                conn.execute(BUMP, {"n": n + 1})
                log.append(conn, actor=f"worker:{worker}", action="test.count", subject=f"item:{i}")
    except Exception as e:
        done.put(f"{worker}: {type(e).__name__}: {e}")
        raise
    finally:
        db.dispose()
    done.put(f"{worker}: ok")
'''


@pytest.fixture
def worker_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    folder = tmp_path / "workers"
    folder.mkdir()
    (folder / "writer_lock_worker.py").write_text(_WORKER)
    monkeypatch.syspath_prepend(str(folder))  # spawned processes get this sys.path too
    monkeypatch.delitem(sys.modules, "writer_lock_worker", raising=False)
    return __import__("writer_lock_worker")


@pytest.fixture
def file_db(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'city.db'}")
    upgrade(db)
    with db.transaction() as conn:
        conn.execute(sa.text("CREATE TABLE writer_counter (id INTEGER PRIMARY KEY, n INTEGER)"))
        conn.execute(sa.text("INSERT INTO writer_counter VALUES (1, 0)"))
    yield db
    db.dispose()


def _count(db: Database) -> int:
    with db.reading() as conn:
        return int(conn.execute(sa.text("SELECT n FROM writer_counter")).scalar_one())


def _run_writers(
    db: Database, worker_module: object, *, processes: int, each: int, busy_timeout_ms: int
) -> list[str]:
    spawn = multiprocessing.get_context("spawn")
    start, done = spawn.Barrier(processes), spawn.Queue()  # all start writing together
    write = worker_module.write  # type: ignore[attr-defined]
    url = db.engine.url.render_as_string(hide_password=False)
    started = [
        spawn.Process(target=write, args=(url, w, each, busy_timeout_ms, start, done))
        for w in range(processes)
    ]
    for process in started:
        process.start()
    try:
        reports = sorted(done.get(timeout=120) for _ in started)
        for process in started:
            process.join(timeout=60)
    finally:
        for process in started:
            if process.is_alive():
                process.kill()
                process.join()
    assert [p.exitcode for p in started] == [0] * processes, reports
    return reports


def test_processes_writing_at_once_queue_and_lose_nothing(
    file_db: Database, worker_module: object
) -> None:
    processes, each = 3, 60
    reports = _run_writers(
        file_db, worker_module, processes=processes, each=each, busy_timeout_ms=30_000
    )
    assert reports == [f"{w}: ok" for w in range(processes)]
    assert _count(file_db) == processes * each
    log = AuditLog(file_db)
    report = log.verify()
    assert report.intact, report.problem
    assert len(log.entries(action="test.count", limit=1000)) == processes * each


def test_writers_wait_on_the_lock_file_not_on_sqlites_busy_handler(
    file_db: Database, worker_module: object
) -> None:
    # With SQLite's own wait cut to 1 ms, a writer that met another one inside SQLite would fail
    # with "database is locked": they meet on the lock file first, and queue there.
    processes, each = 3, 40
    reports = _run_writers(
        file_db, worker_module, processes=processes, each=each, busy_timeout_ms=1
    )
    assert reports == [f"{w}: ok" for w in range(processes)]
    assert _count(file_db) == processes * each
    assert AuditLog(file_db).verify().intact


@contextlib.contextmanager
def _holding(path: Path) -> Iterator[None]:
    """Hold the writer lock as another process would (a descriptor of our own)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _locked(path: Path) -> bool:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_a_writer_waits_while_another_process_holds_the_lock_file(
    file_db: Database, worker_module: object, tmp_path: Path
) -> None:
    lock = tmp_path / "city.db-writer"
    spawn = multiprocessing.get_context("spawn")
    start, done = spawn.Barrier(2), spawn.Queue()  # the writer and this test
    url = file_db.engine.url.render_as_string(hide_password=False)
    write = worker_module.write  # type: ignore[attr-defined]
    process = spawn.Process(target=write, args=(url, 9, 1, 30_000, start, done))
    try:
        with _holding(lock):
            process.start()
            start.wait(60)
            time.sleep(1)  # the writer is waiting for us all this time
            assert process.is_alive()
            assert _count(file_db) == 0
        assert done.get(timeout=60) == "9: ok"
        process.join(timeout=60)
        assert process.exitcode == 0
    finally:
        if process.is_alive():
            process.kill()
            process.join()
    assert _count(file_db) == 1


def test_a_transaction_holds_the_lock_file_beside_the_database(
    file_db: Database, tmp_path: Path
) -> None:
    lock = tmp_path / "city.db-writer"
    with file_db.transaction() as conn:
        conn.execute(sa.text("UPDATE writer_counter SET n = n + 1"))
        assert lock.is_file()
        assert _locked(lock)
    assert not _locked(lock)
    # A failed transaction lets go of it too.
    with pytest.raises(RuntimeError), file_db.transaction() as conn:
        conn.execute(sa.text("UPDATE writer_counter SET n = n + 1"))
        raise RuntimeError
    assert not _locked(lock)
    assert _count(file_db) == 1
    # Reading takes no lock.
    with _holding(lock), file_db.reading() as conn:
        assert conn.execute(sa.text("SELECT n FROM writer_counter")).scalar_one() == 1


def test_the_lock_is_counted_within_one_thread(file_db: Database, tmp_path: Path) -> None:
    # Entered again by the thread that holds it (as a nested use would), it is released by the
    # outermost exit only. (Transactions themselves do not nest: SQLite has one writer.)
    lock = tmp_path / "city.db-writer"
    process_lock = file_db._process_lock
    assert process_lock is not None
    with process_lock:
        with process_lock:
            assert _locked(lock)
        assert _locked(lock)
    assert not _locked(lock)


def _open_descriptors(path: Path) -> int:
    folder = Path("/proc/self/fd")
    count = 0
    for fd in folder.iterdir():
        with contextlib.suppress(OSError):
            if fd.readlink() == path:
                count += 1
    return count


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_dispose_closes_the_lock_file(file_db: Database, tmp_path: Path) -> None:
    lock = tmp_path / "city.db-writer"
    with file_db.transaction() as conn:
        conn.execute(sa.text("UPDATE writer_counter SET n = n + 1"))
    assert _open_descriptors(lock) == 1
    file_db.dispose()
    assert _open_descriptors(lock) == 0
    # The database goes on working, and opens the file again.
    with file_db.transaction() as conn:
        conn.execute(sa.text("UPDATE writer_counter SET n = n + 1"))
    assert _open_descriptors(lock) == 1
    assert _count(file_db) == 2


def test_no_lock_file_in_memory_or_on_postgresql(database_url: str, tmp_path: Path) -> None:
    db = Database("sqlite://") if database_url.startswith("sqlite") else Database(database_url)
    upgrade(db)
    AuditLog(db).record(actor="admin", action="test.write", subject="item:1")
    db.dispose()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith("-writer")]


def test_a_writer_gives_up_when_the_lock_file_is_held_too_long(
    file_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database_module, "WRITER_LOCK_TIMEOUT_MS", 200)
    with _holding(tmp_path / "city.db-writer"):
        started = time.monotonic()
        with pytest.raises(sa.exc.OperationalError, match="database is locked"):  # noqa: SIM117
            with file_db.transaction() as conn:
                conn.execute(sa.text("SELECT 1"))
        assert 0.2 <= time.monotonic() - started < 5
    # The writer's helper, still waiting in the kernel, gets the lock now and gives it back.
    deadline = time.monotonic() + 5
    while _locked(tmp_path / "city.db-writer") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _locked(tmp_path / "city.db-writer")
    with file_db.transaction() as conn:  # free again: the next writer goes ahead
        conn.execute(sa.text("SELECT 1"))
        assert _locked(tmp_path / "city.db-writer")
    assert not _locked(tmp_path / "city.db-writer")


def test_the_lock_file_is_shared_with_the_group(tmp_path: Path) -> None:
    old = os.umask(0o002)
    try:
        fresh = Database(f"sqlite:///{tmp_path / 'other.db'}")
        upgrade(fresh)
        with fresh.transaction():
            pass
        fresh.dispose()
    finally:
        os.umask(old)
    assert (tmp_path / "other.db-writer").stat().st_mode & 0o777 == 0o660


def _helpers() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "writer-lock-wait")


def test_one_helper_waits_for_every_writer_even_after_one_gave_up(
    file_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = tmp_path / "city.db-writer"
    before = _helpers()
    monkeypatch.setattr(database_module, "WRITER_LOCK_TIMEOUT_MS", 200)
    written: list[str] = []

    def write() -> None:
        with file_db.transaction() as conn:
            conn.execute(sa.text("UPDATE writer_counter SET n = n + 1"))
        written.append("ok")

    with _holding(lock):
        with pytest.raises(sa.exc.OperationalError, match="database is locked"):
            write()
        # The helper is still blocked in the kernel for the writer that gave up; the next
        # writer takes that wait over instead of starting another.
        monkeypatch.setattr(database_module, "WRITER_LOCK_TIMEOUT_MS", 30_000)
        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(0.3)
        assert written == []
    writer.join(timeout=30)
    assert written == ["ok"]
    assert _count(file_db) == 1
    assert not _locked(lock)
    for _ in range(3):  # more writers that must wait: still the same helper
        with _holding(lock):
            writer = threading.Thread(target=write)
            writer.start()
            time.sleep(0.05)
        writer.join(timeout=30)
    assert written == ["ok"] * 4
    assert _helpers() == before + 1
    file_db.dispose()
    deadline = time.monotonic() + 5
    while _helpers() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _helpers() == before  # dispose lets it end


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_dispose_while_the_helper_waits_closes_the_file_once_it_is_done(
    file_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = tmp_path / "city.db-writer"
    monkeypatch.setattr(database_module, "WRITER_LOCK_TIMEOUT_MS", 100)
    with _holding(lock):
        with pytest.raises(sa.exc.OperationalError, match="database is locked"):  # noqa: SIM117
            with file_db.transaction() as conn:
                conn.execute(sa.text("SELECT 1"))
        file_db.dispose()
        assert _open_descriptors(lock) == 2  # ours, and the helper's, still blocked on it
    deadline = time.monotonic() + 5
    while _open_descriptors(lock) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _open_descriptors(lock) == 0
    assert not _locked(lock)
    with file_db.transaction() as conn:  # the database opens the file again
        conn.execute(sa.text("UPDATE writer_counter SET n = n + 1"))
    assert _count(file_db) == 1


def test_no_writer_slips_in_while_the_helper_is_taking_the_lock(tmp_path: Path) -> None:
    # While the helper is blocked for a writer that gave up, the kernel may hand it the lock at
    # any moment, on the file it shares with this process's writers; a writer trying the lock
    # then would get it too, and lose it when the helper gives it back. It waits instead.
    fd = os.open(tmp_path / "city.db-writer", os.O_RDWR | os.O_CREAT, 0o660)
    waiter = database_module._LockWaiter(fd)
    try:
        waiter._taking = True  # as while the helper is blocked in flock
        assert not waiter.try_now()
        assert not _locked(tmp_path / "city.db-writer")
        waiter._taking = False
        assert waiter.try_now()
        assert _locked(tmp_path / "city.db-writer")
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        waiter.close()
        waiter.close()  # twice is harmless: the file is closed once
    with pytest.raises(OSError, match="Bad file descriptor"):
        os.fstat(fd)
