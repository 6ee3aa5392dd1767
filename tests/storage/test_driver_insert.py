"""DriverInsert stores what a Core insert stores, returns the new key, and keeps values out of
its errors."""

from __future__ import annotations

import datetime as dt
import traceback
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcity_kit.storage import Database, DriverInsert, JsonText, UtcDateTime

metadata = sa.MetaData()
rows = sa.Table(
    "driver_insert_rows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("code", sa.String(64), nullable=True, unique=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("closed_at", UtcDateTime, nullable=True),
    sa.Column("data", JsonText, nullable=False),
    sa.Column("score", sa.Float, nullable=True),
    sa.Column("notes", sa.Text, nullable=True),
)
# A table without a generated key: every column is given.
pairs = sa.Table(
    "driver_insert_pairs",
    metadata,
    sa.Column("left", sa.String(64), primary_key=True),
    sa.Column("right", sa.Integer, primary_key=True),
)
RAW = sa.text(
    "SELECT name, code, at, closed_at, data, score, notes FROM driver_insert_rows WHERE id = :id"
)
# Personal data that must never appear in an error (a made-up phone number and name).
PHONE = "081234567890"
NAME = "Siti Aminah"

insert_row = DriverInsert(rows, returning="id")
insert_pair = DriverInsert(pairs)


@pytest.fixture
def tables(db: Database) -> Database:
    metadata.create_all(db.engine)
    return db


def _values(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Jalan rusak",
        "code": None,
        "at": dt.datetime(2026, 11, 23, 1, 0, 0, 123456, tzinfo=dt.UTC),
        "closed_at": None,
        "data": {"ukuran": "besar", "b": [1, 2, None], "a": {"x": 1.5}},
        "score": None,
        "notes": None,
    }
    values.update(changes)
    return values


def _stored_by_core_and_driver(db: Database, values: dict[str, Any]) -> tuple[Any, Any, int]:
    with db.transaction() as conn:
        core_id = conn.execute(sa.insert(rows), values).inserted_primary_key[0]  # type: ignore[index]
        driver_id = insert_row(conn, values)
    with db.reading() as conn:
        core = conn.execute(RAW, {"id": core_id}).one()
        driver = conn.execute(RAW, {"id": driver_id}).one()
    return tuple(core), tuple(driver), int(driver_id)


def test_stores_exactly_what_a_core_insert_stores(tables: Database) -> None:
    at = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    values = _values(at=at, closed_at=at + dt.timedelta(days=1), score=0.25, notes="catatan")
    core, driver, _ = _stored_by_core_and_driver(tables, values)
    assert driver == core
    # Instants as fixed-width UTC text, JSON as compact text with sorted keys.
    assert driver[2] == "2026-11-23T01:00:00.000000Z"
    assert driver[4] == '{"a":{"x":1.5},"b":[1,2,null],"ukuran":"besar"}'


def test_nulls_are_stored_as_nulls(tables: Database) -> None:
    core, driver, _ = _stored_by_core_and_driver(tables, _values())
    assert driver == core
    assert (driver[1], driver[3], driver[5], driver[6]) == (None, None, None, None)


def test_returns_the_new_key_and_the_row_reads_back(tables: Database) -> None:
    with tables.transaction() as conn:
        first = insert_row(conn, _values(code="a"))
        second = insert_row(conn, _values(code="b"))
    assert isinstance(first, int)
    assert second == first + 1
    with tables.reading() as conn:
        row = conn.execute(sa.select(rows).where(rows.c.id == second)).one()
    assert row.code == "b"
    assert row.at == dt.datetime(2026, 11, 23, 1, 0, 0, 123456, tzinfo=dt.UTC)
    assert row.data == {"ukuran": "besar", "b": [1, 2, None], "a": {"x": 1.5}}


def test_without_returning_it_returns_none_and_gives_every_column(tables: Database) -> None:
    with tables.transaction() as conn:
        assert insert_pair(conn, {"left": "a", "right": 1}) is None
    with tables.reading() as conn:
        assert conn.execute(sa.select(pairs)).all() == [("a", 1)]


def test_it_writes_in_the_callers_transaction(tables: Database) -> None:
    with pytest.raises(RuntimeError), tables.transaction() as conn:
        insert_row(conn, _values(code="rolled-back"))
        raise RuntimeError
    with tables.reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(rows)).scalar_one() == 0


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    at=st.datetimes(
        min_value=dt.datetime(1970, 1, 2),  # noqa: DTZ001 - hypothesis wants naive bounds
        max_value=dt.datetime(9998, 12, 31),  # noqa: DTZ001
        timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=9))]),
    ),
    data=st.dictionaries(
        st.text(max_size=5),
        st.recursive(
            st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
            max_leaves=8,
        ),
    ),
    notes=st.none() | st.text(max_size=50).filter(lambda s: "\x00" not in s),
)
def test_any_value_is_stored_as_core_stores_it(
    tables: Database, at: dt.datetime, data: Any, notes: str | None
) -> None:
    core, driver, _ = _stored_by_core_and_driver(tables, _values(at=at, data=data, notes=notes))
    assert driver == core


def test_a_failing_insert_names_no_value(tables: Database) -> None:
    with pytest.raises(sa.exc.DBAPIError) as missing, tables.transaction() as conn:
        insert_row(conn, _values(name=None, notes=f"{NAME}, {PHONE}"))
    assert isinstance(missing.value, sa.exc.IntegrityError)
    assert "driver_insert_rows" in str(missing.value)
    # Not in the message, nor anywhere in the traceback a log would show.
    shown = "".join(traceback.format_exception(missing.value))
    assert PHONE not in shown
    assert NAME not in shown

    with tables.transaction() as conn:
        insert_row(conn, _values(code=NAME))
    with pytest.raises(sa.exc.IntegrityError) as duplicate, tables.transaction() as conn:
        insert_row(conn, _values(code=NAME, notes=PHONE))
    shown = "".join(traceback.format_exception(duplicate.value))
    assert NAME not in shown
    assert PHONE not in shown

    # Nothing of the failed transactions was kept, and the database goes on working.
    with tables.transaction() as conn:
        insert_row(conn, _values(code="after"))
    with tables.reading() as conn:
        codes = conn.execute(sa.select(rows.c.code).order_by(rows.c.id)).scalars().all()
    assert codes == [NAME, "after"]


def test_many_stores_what_core_stores_in_order(tables: Database) -> None:
    values = [_values(code=f"c{n}", score=n / 4, notes=None if n % 2 else "n") for n in range(5)]
    with tables.transaction() as conn:
        insert_row.many(conn, values)
        conn.execute(sa.insert(rows), [{**v, "code": f"core-{v['code']}"} for v in values])
    with tables.reading() as conn:
        found = conn.execute(
            sa.select(rows.c.code, rows.c.at, rows.c.data, rows.c.score, rows.c.notes).order_by(
                rows.c.id
            )
        ).all()
    driver, core = found[:5], found[5:]
    assert [r.code for r in driver] == [f"c{n}" for n in range(5)]
    assert [r[1:] for r in driver] == [r[1:] for r in core]


def test_many_with_keys_the_caller_chose_and_more_rows_than_one_statement(
    tables: Database,
) -> None:
    from smartcity_kit.storage._driver import ROWS_PER_STATEMENT  # noqa: PLC0415

    keyed = DriverInsert(rows, with_key=True)
    count = ROWS_PER_STATEMENT * 2 + 3
    with tables.transaction() as conn:
        keyed.many(conn, [_values(id=1000 + n, code=str(n)) for n in range(count)])
        keyed.many(conn, [])
    with tables.reading() as conn:
        found = dict(conn.execute(sa.select(rows.c.id, rows.c.code)).all())
    assert found == {1000 + n: str(n) for n in range(count)}


def test_many_fails_whole_and_names_no_value(tables: Database) -> None:
    values = [_values(code="ok"), _values(name=None, notes=f"{NAME}, {PHONE}")]
    with pytest.raises(sa.exc.IntegrityError) as failed, tables.transaction() as conn:
        insert_row.many(conn, values)
    shown = "".join(traceback.format_exception(failed.value))
    assert PHONE not in shown
    assert NAME not in shown
    with tables.reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(rows)).scalar_one() == 0
