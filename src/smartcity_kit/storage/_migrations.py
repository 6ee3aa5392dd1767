"""Schema migrations with Alembic, kept inside the package.

Each domain keeps its tables in its own migration files, on its own Alembic branch (``storage``,
and later ``egov``, ``security``, ``economy``); :func:`upgrade` brings a database to every
branch's head.
"""

from __future__ import annotations

import os
from importlib import resources
from typing import TYPE_CHECKING, Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from smartcity_kit.errors import SchemaMismatchError

if TYPE_CHECKING:
    from smartcity_kit.storage._database import Database

__all__ = [
    "MIGRATION_PACKAGES",
    "current_revisions",
    "head_revisions",
    "pending_revisions",
    "upgrade",
]

#: Packages whose ``migrations/versions`` folder holds Alembic revisions, in dependency order.
MIGRATION_PACKAGES: Final = (
    "smartcity_kit.storage",
    "smartcity_kit.egov",
    "smartcity_kit.security",
    "smartcity_kit.economy",
)
#: Serialises concurrent upgrades of one PostgreSQL database (an arbitrary, fixed key).
_PG_LOCK_KEY: Final = 7_371_474_272


def _version_locations() -> list[str]:
    return [
        str(resources.files(package) / "migrations" / "versions") for package in MIGRATION_PACKAGES
    ]


def _config() -> Config:
    cfg = Config()
    script_location = resources.files("smartcity_kit.storage") / "migrations"
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(_version_locations()))
    return cfg


def head_revisions() -> tuple[str, ...]:
    """The revisions this version of the library expects, one per branch, sorted."""
    return tuple(sorted(ScriptDirectory.from_config(_config()).get_heads()))


def current_revisions(db: Database) -> tuple[str, ...]:
    """The revisions the database is at (empty for a database never upgraded), sorted."""
    with db.engine.connect() as conn:
        return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))


def upgrade(db: Database) -> tuple[str, ...]:
    """Bring ``db`` to the current schema; safe to run again, and from two processes at once.

    Returns:
        The revisions the database is at afterwards.

    Raises:
        SchemaMismatchError: The database was upgraded by a newer smartcity-kit.
    """
    pending_revisions(db)  # a database upgraded by a newer library: a clear error, not Alembic's
    cfg = _config()
    with db.engine.connect() as plain:
        conn = plain.execution_options(smartcity_write=True)
        with conn.begin():
            if db.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
    db.forget_schema_check()
    return current_revisions(db)


def _applied(script: ScriptDirectory, heads: tuple[str, ...]) -> set[str]:
    """Every revision applied when the database is at ``heads`` (ancestors and dependencies)."""
    revisions = script.revision_map.iterate_revisions(heads, "base")
    return {rev.revision for rev in revisions if rev is not None}


def pending_revisions(db: Database) -> tuple[str, ...]:
    """Revisions this library has that the database does not yet have, sorted.

    Raises:
        SchemaMismatchError: The database holds a revision this library does not know.
    """
    script = ScriptDirectory.from_config(_config())
    current = current_revisions(db)
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = sorted(set(current) - known)
    if unknown:
        raise SchemaMismatchError(
            f"the database {db.url} was upgraded by a newer smartcity-kit (revision "
            f"{', '.join(unknown)} is unknown here): upgrade smartcity-kit to use it"
        )
    return tuple(sorted(known - _applied(script, current)))


def check_schema(db: Database) -> None:
    """Raise :class:`SchemaMismatchError` unless ``db`` has every revision of this library."""
    missing = pending_revisions(db)
    if not missing:
        return
    current = current_revisions(db)
    upgrade_hint = f"run `smartcity-kit db upgrade --db {db.url}`"
    if not current:
        raise SchemaMismatchError(
            f"the database {db.url} has no smartcity-kit schema yet: {upgrade_hint}"
        )
    raise SchemaMismatchError(
        f"the database {db.url} schema is at {', '.join(current)} and lacks "
        f"{', '.join(missing)}: {upgrade_hint}"
    )
