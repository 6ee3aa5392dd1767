from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from smartcity_kit.errors import SchemaMismatchError
from smartcity_kit.storage import (
    AuditLog,
    Database,
    _migrations,
    current_revisions,
    head_revisions,
    pending_revisions,
    upgrade,
)


def test_upgrade_is_idempotent(database_url: str) -> None:
    db = Database(database_url)
    assert current_revisions(db) == ()
    assert upgrade(db) == head_revisions()
    assert upgrade(db) == head_revisions()
    with db.reading() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    assert {"audit_entries", "audit_head", "alembic_version"} <= tables
    db.dispose()


def test_empty_database_is_a_clear_error_not_sql(database_url: str) -> None:
    db = Database(database_url)
    with pytest.raises(
        SchemaMismatchError, match="no smartcity-kit schema yet: run `smartcity-kit db upgrade"
    ):
        AuditLog(db).head()
    db.dispose()


_EXTRA = '''
"""A later migration, as a newer library would ship it."""
import sqlalchemy as sa
from alembic import op

revision = "extra_0001"
down_revision = None
branch_labels = ("extra",)
depends_on = "storage_0001"


def upgrade() -> None:
    op.create_table("extra_things", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("extra_things")
'''


def test_older_and_newer_schemas_are_named(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(database_url)
    upgrade(db)
    extra = tmp_path / "extra_versions"
    extra.mkdir()
    (extra / "extra_0001.py").write_text(textwrap.dedent(_EXTRA))
    shipped = _migrations._version_locations()
    shipped_heads = head_revisions()
    monkeypatch.setattr(_migrations, "_version_locations", lambda: [*shipped, str(extra)])

    # A newer library (one more migration) on this database: behind, run upgrade.
    newer_lib_db = Database(database_url)
    with pytest.raises(
        SchemaMismatchError, match=f"is at {', '.join(shipped_heads)} and lacks extra_0001: run"
    ):
        AuditLog(newer_lib_db).head()
    assert pending_revisions(newer_lib_db) == ("extra_0001",)
    upgrade(newer_lib_db)
    assert pending_revisions(newer_lib_db) == ()
    assert AuditLog(newer_lib_db).head().seq == 0

    # The older library on the upgraded database: it cannot know the new revision.
    monkeypatch.setattr(_migrations, "_version_locations", lambda: shipped)
    older_lib_db = Database(database_url)
    with pytest.raises(SchemaMismatchError, match="upgraded by a newer smartcity-kit"):
        AuditLog(older_lib_db).head()
    for d in (db, newer_lib_db, older_lib_db):
        d.dispose()


def test_concurrent_upgrades_leave_one_schema(database_url: str, tmp_path: Path) -> None:
    script = tmp_path / "up.py"
    script.write_text(
        "import sys\nfrom smartcity_kit.storage import Database, upgrade\n"
        "print(upgrade(Database(sys.argv[1])))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), database_url], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    db = Database(database_url)
    assert current_revisions(db) == head_revisions()
    assert AuditLog(db).verify().intact
    db.dispose()
