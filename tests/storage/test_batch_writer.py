"""BatchWriter: threads that write together share a transaction, and each gets its own result
or its own error."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from smartcity_kit.storage import BatchWriter, Database

metadata = sa.MetaData()
notes = sa.Table(
    "batch_writer_notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("text", sa.String(50), nullable=False),
)


@pytest.fixture
def tables(db: Database) -> Database:
    metadata.create_all(db.engine)
    return db


class Recorder:
    """write_many for notes: records each batch's size; a text of "bad" fails the batch."""

    def __init__(self, hold: float = 0.0) -> None:
        self.batches: list[int] = []
        self.hold = hold  # seconds the first batch keeps the transaction open
        self.first_started = threading.Event()

    def __call__(self, conn: Connection, texts: Sequence[str]) -> list[int]:
        self.batches.append(len(texts))
        if len(self.batches) == 1:
            self.first_started.set()
            time.sleep(self.hold)
        ids = []
        for text in texts:
            if text == "bad":
                msg = "a bad note"
                raise ValueError(msg)
            key = conn.execute(sa.insert(notes).values(text=text)).inserted_primary_key
            assert key is not None
            ids.append(int(key[0]))
        return ids


def stored(db: Database) -> dict[int, str]:
    with db.reading() as conn:
        return {row.id: row.text for row in conn.execute(sa.select(notes))}


def test_one_writer_alone_gets_its_result(tables: Database) -> None:
    writer = BatchWriter(tables, Recorder())
    new_id = writer.write("jalan berlubang")
    assert stored(tables) == {new_id: "jalan berlubang"}


def test_threads_writing_together_share_transactions_and_get_their_own_results(
    tables: Database,
) -> None:
    recorder = Recorder(hold=0.3)
    writer = BatchWriter(tables, recorder)
    texts = [f"laporan {n}" for n in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        first = pool.submit(writer.write, texts[0])
        assert recorder.first_started.wait(5)
        # These arrive while the first transaction is open: they queue and go in together.
        rest = list(pool.map(writer.write, texts[1:]))
        ids = [first.result(), *rest]
    assert stored(tables) == dict(zip(ids, texts, strict=True))
    assert len(set(ids)) == len(texts)
    assert sum(recorder.batches) == len(texts)
    assert max(recorder.batches) > 1
    assert len(recorder.batches) < len(texts)


def test_a_bad_item_fails_only_its_own_caller(tables: Database) -> None:
    recorder = Recorder(hold=0.3)
    writer = BatchWriter(tables, recorder)
    with ThreadPoolExecutor(max_workers=6) as pool:
        first = pool.submit(writer.write, "pertama")
        assert recorder.first_started.wait(5)
        futures = {text: pool.submit(writer.write, text) for text in ["a", "b", "bad", "c", "d"]}
        assert first.result() > 0
        with pytest.raises(ValueError, match="a bad note"):
            futures["bad"].result()
        good = {futures[t].result(): t for t in "abcd"}
    # The shared transaction was undone; each item was written again alone, but the bad one.
    assert recorder.batches[0] == 1
    assert max(recorder.batches) > 1
    assert sorted(stored(tables).values()) == ["a", "b", "c", "d", "pertama"]
    assert all(stored(tables)[i] == t for i, t in good.items())


def test_a_failure_alone_writes_nothing_and_the_writer_goes_on(tables: Database) -> None:
    writer = BatchWriter(tables, Recorder())
    with pytest.raises(ValueError, match="a bad note"):
        writer.write("bad")
    assert stored(tables) == {}
    new_id = writer.write("sesudahnya")
    assert stored(tables) == {new_id: "sesudahnya"}


def test_write_many_must_answer_every_item(tables: Database) -> None:
    def too_few(conn: Connection, _texts: Sequence[str]) -> list[int]:
        conn.execute(sa.insert(notes).values(text="x"))
        return []

    writer: BatchWriter[str, int] = BatchWriter(tables, too_few)
    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        writer.write("x")
    assert stored(tables) == {}  # rolled back
