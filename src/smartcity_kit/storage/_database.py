"""The database: one SQLAlchemy Core code path for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import types
import weakref
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from smartcity_kit.errors import ConflictError, NotFoundError, ValidationError

__all__ = ["DEFAULT_URL", "ENV_URL", "Database", "update_versioned"]

#: The environment variable that names the database when no URL is given.
ENV_URL: Final = "SMARTCITY_DATABASE_URL"
#: The database used when neither a URL nor :data:`ENV_URL` is given: a file in the current folder.
DEFAULT_URL: Final = "sqlite:///smartcity.db"
#: How long a SQLite writer waits for another writer's lock before giving up (milliseconds).
SQLITE_BUSY_TIMEOUT_MS: Final = 30_000
#: How long a SQLite writer waits for another process's turn on the writer lock file (ms).
WRITER_LOCK_TIMEOUT_MS: Final = SQLITE_BUSY_TIMEOUT_MS
_WRITE: Final = "smartcity_write"
_log = logging.getLogger(__name__)

fcntl: types.ModuleType | None
try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite's busy handler queues processes
    fcntl = None


def _redacted(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


class Database:
    """A database made from a URL, configured for a real service.

    - ``sqlite:///path/to/city.db`` (the default: ``SMARTCITY_DATABASE_URL`` or
      ``./smartcity.db``): WAL journal, foreign keys on, a busy timeout, ``synchronous=NORMAL``;
      write transactions take the write lock at ``BEGIN`` so that concurrent writers queue up
      instead of failing half-way. Writers in several processes (``serve --workers``) queue on
      an ``flock`` of ``city.db-writer`` beside the database, which wakes the next one at once
      (SQLite's own busy handler sleeps up to 100 ms between tries).
    - ``sqlite://``: in memory, for tests (one connection shared by all users).
    - ``postgresql+psycopg://user@host/db`` (extra ``postgres``): a connection pool.

    ``must_exist=True`` refuses to create a new SQLite file (for commands that only read).

    SQL errors never carry the statement's parameters (rows hold personal data).

    Use :meth:`transaction` for writes: everything written inside commits together or not at all.
    The password in a URL never appears in ``repr()`` or in errors.

    >>> db = Database("sqlite://")
    >>> db
    Database('sqlite://')
    >>> db.dialect
    'sqlite'
    """

    def __init__(
        self, url: str | None = None, *, echo: bool = False, must_exist: bool = False
    ) -> None:
        text = url or os.environ.get(ENV_URL) or DEFAULT_URL
        try:
            parsed = make_url(text)
        except ArgumentError:
            raise ValidationError.single(
                "url", "is not a database URL (sqlite:///city.db, postgresql+psycopg://...)"
            ) from None
        self._url = parsed
        self._schema_checked = False
        self._schema_lock = threading.Lock()
        backend = parsed.get_backend_name()
        file = parsed.database if backend == "sqlite" else None
        if must_exist and file not in (None, "", ":memory:") and not Path(str(file)).is_file():
            raise NotFoundError(f"no database file at {file}")
        if backend == "sqlite":
            self._engine = self._sqlite_engine(parsed, echo=echo)
        elif backend == "postgresql":
            if parsed.get_driver_name() != "psycopg":
                raise ValidationError.single(
                    "url", "use the psycopg 3 driver: postgresql+psycopg://user@host/db"
                )
            try:
                self._engine = sa.create_engine(
                    parsed,
                    echo=echo,
                    hide_parameters=True,
                    pool_size=10,
                    max_overflow=10,
                    pool_pre_ping=True,
                    pool_timeout=30,
                    connect_args={"connect_timeout": 10},
                )
            except (NoSuchModuleError, ModuleNotFoundError):
                raise ValidationError.single(
                    "url",
                    "PostgreSQL needs the 'postgres' extra: pip install 'smartcity-kit[postgres]'",
                ) from None
        else:
            raise ValidationError.single(
                "url", f"{backend!r} is not supported: use sqlite or postgresql"
            )
        # The same pool, marked so that SQLite takes the write lock at BEGIN.
        self._write_engine = self._engine.execution_options(**{_WRITE: True})
        self._writers: contextlib.AbstractContextManager[object] = (
            threading.RLock() if backend == "sqlite" else contextlib.nullcontext()
        )
        in_memory = file in (None, "", ":memory:")
        self._process_lock = (
            _ProcessLock(f"{file}-writer")
            if backend == "sqlite" and not in_memory and fcntl is not None
            else None
        )

    @staticmethod
    def _sqlite_engine(url: sa.URL, *, echo: bool) -> Engine:
        in_memory = url.database in (None, "", ":memory:")
        if in_memory:
            engine = sa.create_engine(
                url,
                echo=echo,
                hide_parameters=True,
                poolclass=sa.StaticPool,
                connect_args={"check_same_thread": False},
            )
        else:
            engine = sa.create_engine(
                url,
                echo=echo,
                hide_parameters=True,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            )

        @event.listens_for(engine, "connect")
        def configure(dbapi_connection: Any, _record: Any) -> None:
            # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is deferred, which makes
            # two writers deadlock on lock upgrade instead of queueing).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            try:
                if not in_memory:
                    cursor.execute("PRAGMA journal_mode=WAL")
                    cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            finally:
                cursor.close()

        @event.listens_for(engine, "begin")
        def begin(conn: Connection) -> None:
            write = conn.get_execution_options().get(_WRITE, False)
            # Straight to the driver: this runs for every transaction.
            conn.connection.driver_connection.execute(  # type: ignore[union-attr]
                "BEGIN IMMEDIATE" if write else "BEGIN"
            )

        return engine

    @classmethod
    def from_env(cls) -> Database:
        """The database named by ``SMARTCITY_DATABASE_URL``, or ``./smartcity.db``."""
        return cls(None)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for stores that run their own Core statements)."""
        return self._engine

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    @property
    def url(self) -> str:
        """The URL with any password hidden."""
        return self._url.render_as_string(hide_password=True)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A unit of work: all it writes commits together, or, if the block raises, nothing.

        Checks once that the database schema is current (see :meth:`require_current_schema`).
        Transactions do not nest: inside one, pass its connection on instead of opening another
        (on a SQLite file, a second one would wait for the first's write lock).
        """
        self.require_current_schema()
        # SQLite has one writer at a time. Threads of this process queue on a lock and wake at
        # once; without it they would poll SQLite's busy handler, which sleeps up to 100 ms.
        # Processes queue the same way on a lock file beside the database (``city.db-writer``).
        # The connection is taken from the pool before the lock, to keep the locked part short.
        with self._write_engine.connect() as conn, self._writers:
            if self._process_lock is None:
                with conn.begin():
                    yield conn
            else:
                with self._process_lock, conn.begin():
                    yield conn

    @contextlib.contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read-only view: a consistent snapshot for the length of the block.

        Whatever is written through it is rolled back at the end; write with
        :meth:`transaction`.
        """
        self.require_current_schema()
        with self._engine.connect() as conn:
            if self._engine.dialect.name == "postgresql":
                # One snapshot for every statement of the block (PostgreSQL's default, READ
                # COMMITTED, takes a new one per statement). SQLite's read transaction is one.
                conn.execution_options(isolation_level="REPEATABLE READ")
            transaction = conn.begin()
            try:
                yield conn
            finally:
                transaction.rollback()

    def require_current_schema(self) -> None:
        """Raise a clear error unless the schema matches this version of the library.

        Raises:
            SchemaMismatchError: The database is empty, behind (run ``smartcity-kit db
                upgrade``), or was upgraded by a newer smartcity-kit.
        """
        if self._schema_checked:
            return
        with self._schema_lock:
            if not self._schema_checked:
                from smartcity_kit.storage._migrations import check_schema  # noqa: PLC0415

                check_schema(self)
                self._schema_checked = True

    def forget_schema_check(self) -> None:
        """Check the schema again on next use (after :func:`upgrade` from elsewhere)."""
        self._schema_checked = False

    def dispose(self) -> None:
        """Close every pooled connection (and this process's writer lock file)."""
        self._engine.dispose()
        if self._process_lock is not None:
            self._process_lock.close()

    def __repr__(self) -> str:
        return f"Database({self.url!r})"


class _LockWaiter:
    """Blocking ``flock`` calls on a helper thread of its own, which a caller may stop waiting for.

    One helper per lock file and process, started on first need and kept: a writer that finds
    the lock taken by another process hands the wait to it and waits on an event, which wakes it
    the moment the kernel grants the lock, or gives up after its time. If the caller gives up,
    the helper still gets the lock in the end (when the holder lets go or dies) and gives it
    back at once, unless a new caller wants it by then. Callers come one at a time (they hold the
    database's thread lock).
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._mutex = threading.Lock()
        self._wake = threading.Condition(self._mutex)
        self._got = threading.Event()
        self._wanted = False  # a caller waits for the lock
        self._taking = False  # the helper is asked to take it, or is blocked taking it
        self._stopped = False
        self._failed: OSError | None = None
        self._thread: threading.Thread | None = None

    def wait(self, seconds: float) -> bool:
        """Whether the lock is ours within ``seconds``; if not, the helper lets it go."""
        with self._mutex:
            self._got.clear()
            self._wanted = True
            if not self._taking:  # else it is still blocked for a caller that gave up: reuse it
                self._taking = True
                self._wake.notify()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="writer-lock-wait", daemon=True
                )
                self._thread.start()
        got = self._got.wait(seconds)
        with self._mutex:
            got = got or self._got.is_set()  # got it just now
            self._wanted = False
            failed, self._failed = self._failed, None
        if failed is not None:
            raise failed
        return got

    def try_now(self) -> bool:
        """Take the lock if it is free, without waiting; never while the helper is taking it.

        While the helper is blocked for a caller that gave up, the kernel may hand it the lock
        at any moment, on the same open file, where a second ``flock`` would succeed too and the
        helper would then give the lock back under that caller: that caller waits instead.
        """
        assert fcntl is not None  # noqa: S101
        with self._mutex:
            if self._taking:
                return False
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

    def close(self) -> None:
        """Close the file, now or, if the helper is blocked taking the lock, once it is not."""
        with self._mutex:
            if self._stopped:
                return  # closed already
            self._stopped = True
            self._wake.notify()
            if self._taking:
                return  # the helper closes it
        os.close(self._fd)

    def _run(self) -> None:
        assert fcntl is not None  # noqa: S101
        while True:
            with self._mutex:
                while not self._taking and not self._stopped:
                    self._wake.wait()
                if not self._taking:
                    return
            failed = None
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except OSError as e:
                failed = e
            with self._mutex:
                self._taking = False
                if self._wanted:  # the lock is the caller's, or the caller raises the error
                    self._failed = failed
                    self._got.set()
                elif failed is None:  # the caller gave up
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                if self._stopped:
                    os.close(self._fd)
                    return


class _ProcessLock:
    """An exclusive ``flock`` on a file, taken by one thread of this process at a time.

    The caller already holds the database's thread lock, so only the depth is counted here:
    a nested transaction does not release the outer one's lock. The file is opened per process
    (a lock on a descriptor inherited across ``fork`` would be shared with the parent), with
    mode 0660 so that the service and an administrator's commands in the same group share it;
    if it cannot be opened, writers fall back on SQLite's own busy wait, with one warning.
    A writer waits for the lock as long as SQLite's busy timeout (:data:`WRITER_LOCK_TIMEOUT_MS`),
    blocked in the kernel (on a helper thread), which wakes it as soon as the holder lets go,
    then gives up the way SQLite does ("database is locked"): a stopped process that holds it
    cannot stop the others for ever.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._fd = -1
        self._pid = -1
        self._depth = 0
        self._waiter: _LockWaiter | None = None

    def __enter__(self) -> None:
        if self._depth == 0:
            fd = self._open()
            if fd >= 0:
                self._acquire(fd)
        self._depth += 1

    def __exit__(self, *_exc: object) -> None:
        assert fcntl is not None  # noqa: S101 - only made where fcntl exists
        self._depth -= 1
        if self._depth == 0 and self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _open(self) -> int:
        if self._pid != os.getpid():
            self._waiter = None  # a forked child has none of its parent's threads
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o660)
            except OSError as e:
                _log.warning(
                    "cannot open the writer lock file %s (%s); writers in several processes "
                    "fall back on SQLite's busy wait",
                    self._path,
                    e.strerror,
                )
                self._fd = -1
            self._pid = os.getpid()
        return self._fd

    def _acquire(self, fd: int) -> None:
        assert fcntl is not None  # noqa: S101
        if self._waiter is None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pass
            else:
                return
            self._waiter = _LockWaiter(fd)
            # A Database dropped without dispose() still lets its helper end and its file close
            # (not at exit, when the process closes it anyway, and a forked child, whose copy of
            # the helper's mutex may be taken, must not wait on it).
            weakref.finalize(self, self._waiter.close).atexit = False
        elif self._waiter.try_now():
            return
        # Another process writes. Wait in the kernel, which wakes us the moment it lets go (a
        # polling wait would sleep past that), on a helper thread, so as to give up in time.
        if not self._waiter.wait(WRITER_LOCK_TIMEOUT_MS / 1000):
            reason = sqlite3.OperationalError(
                "database is locked: another process held the writer lock file for "
                f"{WRITER_LOCK_TIMEOUT_MS / 1000:g} s"
            )
            raise sa.exc.OperationalError("BEGIN IMMEDIATE", None, reason) from None

    def close(self) -> None:
        """Close the file (it is opened again on next use)."""
        if self._depth == 0 and self._pid == os.getpid():
            if self._waiter is not None:
                self._waiter.close()  # closes the file, once its helper is done with it
            elif self._fd >= 0:
                os.close(self._fd)
            self._fd, self._pid, self._waiter = -1, -1, None


def update_versioned(
    conn: Connection,
    table: sa.Table,
    key: Mapping[str, Any],
    expected_version: int,
    values: Mapping[str, Any],
) -> int:
    """Update one row only if nobody changed it since it was read (optimistic concurrency).

    The table has an integer ``version`` column. The row matching ``key`` is updated with
    ``values`` and its version raised by one, provided its version is still ``expected_version``.

    Returns:
        The new version.

    Raises:
        NotFoundError: No row matches ``key``.
        ConflictError: The row was changed by someone else after it was read.
    """
    where = [table.c[name] == value for name, value in key.items()]
    new_version = expected_version + 1
    result = conn.execute(
        sa.update(table)
        .where(*where, table.c.version == expected_version)
        .values(**values, version=new_version)
    )
    if result.rowcount == 1:
        return new_version
    current = conn.execute(sa.select(table.c.version).where(*where)).scalar_one_or_none()
    described = ", ".join(f"{k}={v}" for k, v in key.items())
    if current is None:
        raise NotFoundError(f"no {table.name} row with {described}")
    raise ConflictError(
        f"{table.name} {described} was changed by someone else (now version {current}, "
        f"you read version {expected_version}): reload it and try again"
    )
