"""Fixtures that give each storage test a fresh database on each engine.

SQLite always runs. PostgreSQL runs when ``SMARTCITY_TEST_POSTGRES_URL`` is set (``.ci/run`` sets
it) and is skipped otherwise; with the variable set, a PostgreSQL that cannot be reached fails
the tests instead of skipping them. Each PostgreSQL test gets a schema of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from smartcity_kit.storage import Database, upgrade

PG_ENV = "SMARTCITY_TEST_POSTGRES_URL"
ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty database on the engine the test is parametrised with."""
    engine = getattr(request, "param", "sqlite")
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path / 'city.db'}"
        return
    base = os.environ[PG_ENV]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        separator = "&" if "?" in base else "?"
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """An upgraded database on the engine the test is parametrised with."""
    database = Database(database_url)
    upgrade(database)
    yield database
    database.dispose()


def engines(test: object) -> object:
    """Run a test (using ``database_url`` or ``db``) on both engines."""
    return pytest.mark.parametrize("database_url", ENGINES, indirect=True)(test)
