from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from smartcity_kit.errors import ConflictError, NotFoundError, ValidationError
from smartcity_kit.storage import DEFAULT_URL, ENV_URL, Database, update_versioned


def test_sqlite_is_configured_for_a_service(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'city.db'}")
    with db.engine.connect() as conn:
        pragma = conn.exec_driver_sql
        assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert pragma("PRAGMA foreign_keys").scalar() == 1
        assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert pragma("PRAGMA busy_timeout").scalar() == 30_000
    db.dispose()


def test_in_memory_database_is_shared_by_its_users() -> None:
    db = Database("sqlite://")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT x FROM t").scalar() == 1


def test_url_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv(ENV_URL, url)
    assert Database.from_env().url == url
    monkeypatch.delenv(ENV_URL)
    monkeypatch.chdir(tmp_path)
    assert Database().url == DEFAULT_URL


def test_password_never_shown() -> None:
    db = Database("postgresql+psycopg://city:s3cret@127.0.0.1:1/x")
    assert "s3cret" not in repr(db)
    assert "s3cret" not in db.url
    assert db.dialect == "postgresql"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "not a database URL"),
        ("mysql://root@localhost/x", "'mysql' is not supported"),
        ("postgresql+psycopg2://u@h/x", "psycopg 3 driver"),
    ],
)
def test_bad_urls_are_clear_errors(url: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        Database(url)
    assert info.value.fields == ("url",)


def test_must_exist_refuses_to_create_a_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    with pytest.raises(NotFoundError, match="no database file"):
        Database(f"sqlite:///{missing}", must_exist=True)
    assert not missing.exists()


_items = sa.Table(
    "items",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50)),
    sa.Column("version", sa.Integer, nullable=False),
)


def test_transaction_commits_all_or_nothing(db: Database) -> None:
    _items.create(db.engine)
    with db.transaction() as conn:
        conn.execute(sa.insert(_items).values(id=1, name="a", version=1))
    with pytest.raises(RuntimeError), db.transaction() as conn:
        conn.execute(sa.insert(_items).values(id=2, name="b", version=1))
        raise RuntimeError
    with db.reading() as conn:
        assert conn.execute(sa.select(_items.c.id)).scalars().all() == [1]


def test_optimistic_concurrency(db: Database) -> None:
    _items.create(db.engine)
    with db.transaction() as conn:
        conn.execute(sa.insert(_items).values(id=1, name="a", version=1))
    # Two operators read version 1; the first write wins, the second is told.
    with db.transaction() as conn:
        assert update_versioned(conn, _items, {"id": 1}, 1, {"name": "first"}) == 2
    with (
        pytest.raises(ConflictError, match="changed by someone else") as info,
        db.transaction() as conn,
    ):
        update_versioned(conn, _items, {"id": 1}, 1, {"name": "second"})
    assert "now version 2" in str(info.value)
    with pytest.raises(NotFoundError), db.transaction() as conn:
        update_versioned(conn, _items, {"id": 9}, 1, {"name": "x"})
    with db.reading() as conn:
        assert conn.execute(sa.select(_items.c.name, _items.c.version)).one() == ("first", 2)


def test_reading_never_writes(db: Database) -> None:
    _items.create(db.engine)
    with db.reading() as conn:
        conn.execute(sa.insert(_items).values(id=1, name="a", version=1))
    with db.reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(_items)).scalar_one() == 0
