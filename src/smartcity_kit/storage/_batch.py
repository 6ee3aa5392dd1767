"""Group commit: the writes of threads that arrive together go into one transaction."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final, Generic, TypeVar, cast

from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from smartcity_kit.storage._database import Database

__all__ = ["MAX_BATCH", "BatchWriter"]

#: The most items one transaction of a :class:`BatchWriter` takes.
MAX_BATCH: Final = 64

_I = TypeVar("_I")
_R = TypeVar("_R")


class _Waiting(Generic[_I, _R]):
    __slots__ = ("done", "error", "item", "lead", "result", "wake", "written")

    def __init__(self, item: _I) -> None:
        self.item = item
        self.wake = threading.Event()
        self.lead = False
        self.done = False
        self.result: _R | None = None
        self.written = False
        self.error: BaseException | None = None


class BatchWriter(Generic[_I, _R]):
    """Writes items of one kind, those of threads that arrive together in one transaction.

    On SQLite one transaction writes at a time. When many threads write small items at once (a
    service receiving citizens' reports), each waiting for its own turn on the write lock and
    its own commit costs more than the writing. A ``BatchWriter`` lets the first thread to
    arrive write; the threads that arrive meanwhile queue, and when the first has committed the
    next in the queue writes the whole queue (up to :data:`MAX_BATCH` items) in one transaction
    with one call of ``write_many``. No thread runs more than one transaction for others, and
    none starts a thread. On PostgreSQL it saves commits the same way.

    If ``write_many`` raises for a batch of several items, each item is written again alone in a
    transaction of its own, so that one bad item fails only its own caller.

    Args:
        db: The database.
        write_many: Writes the items in the caller's transaction and returns one result per item,
            in order. It may run in another thread than the caller's, must do nothing but
            database work on the connection, and must write each item alone as it writes them
            together.

    >>> import sqlalchemy as sa
    >>> from smartcity_kit.storage import Database, upgrade
    >>> db = Database("sqlite://")
    >>> _ = upgrade(db)
    >>> notes = sa.Table(
    ...     "notes",
    ...     sa.MetaData(),
    ...     sa.Column("id", sa.Integer, primary_key=True),
    ...     sa.Column("text", sa.String(100)),
    ... )
    >>> notes.create(db.engine)
    >>> def write_many(conn, texts):
    ...     return [
    ...         conn.execute(notes.insert().values(text=t)).inserted_primary_key[0] for t in texts
    ...     ]
    >>> writer = BatchWriter(db, write_many)
    >>> writer.write("Jalan berlubang di Jl. Perintis"), writer.write("Lampu jalan mati")
    (1, 2)
    """

    def __init__(
        self, db: Database, write_many: Callable[[Connection, Sequence[_I]], Sequence[_R]]
    ) -> None:
        self._db = db
        self._write_many = write_many
        self._mutex = threading.Lock()
        self._queue: list[_Waiting[_I, _R]] = []
        self._busy = False

    def write(self, item: _I) -> _R:
        """Write one item and return its result, once its transaction has committed.

        Call it outside any :meth:`Database.transaction` of the same thread.

        Raises:
            Exception: What ``write_many`` raised for this item, or what the commit raised.
        """
        mine: _Waiting[_I, _R] = _Waiting(item)
        with self._mutex:
            self._queue.append(mine)
            if not self._busy:
                self._busy = mine.lead = True
        if not mine.lead:
            mine.wake.wait()
        if not mine.done:  # the previous writer handed the queue over
            self._lead()
        if mine.error is not None:
            raise mine.error
        return cast("_R", mine.result)  # set with done

    def _lead(self) -> None:
        with self._mutex:
            batch = self._queue[:MAX_BATCH]
            del self._queue[:MAX_BATCH]
        try:
            self._write(batch)
        finally:
            with self._mutex:
                if self._queue:
                    self._queue[0].lead = True
                    self._queue[0].wake.set()
                else:
                    self._busy = False
            for waiting in batch:
                if not waiting.written and waiting.error is None:  # an interrupt in a retry
                    waiting.error = RuntimeError("the write was interrupted; it may not be stored")
                waiting.done = True
                waiting.wake.set()

    def _write(self, batch: list[_Waiting[_I, _R]]) -> None:
        try:
            self._transaction(batch)
        except Exception as e:  # noqa: BLE001 - raised again in the caller's thread
            if len(batch) == 1:
                batch[0].error = e
                return
            for waiting in batch:  # one at a time: the error is only the bad item's
                try:
                    self._transaction([waiting])
                except Exception as alone:  # noqa: BLE001 - raised in the item's own thread
                    waiting.error = alone
        except BaseException as e:  # an interrupt: nothing of the batch is known to be written
            for waiting in batch:
                waiting.error = e
            raise

    def _transaction(self, batch: list[_Waiting[_I, _R]]) -> None:
        with self._db.transaction() as conn:
            results = self._write_many(conn, [w.item for w in batch])
            if len(results) != len(batch):
                msg = f"write_many returned {len(results)} results for {len(batch)} items"
                raise RuntimeError(msg)
        for waiting, result in zip(batch, results, strict=True):
            waiting.result, waiting.written = result, True
