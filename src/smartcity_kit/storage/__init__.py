"""Storage: the database, its migrations, the tamper-evident audit log, and API keys.

SQLite by default, PostgreSQL for production, through one SQLAlchemy Core code path.
"""

from smartcity_kit.storage._audit import (
    GENESIS_HASH,
    AuditAnchor,
    AuditEntry,
    AuditLog,
    ChainReport,
    entry_hash,
)
from smartcity_kit.storage._batch import BatchWriter
from smartcity_kit.storage._database import DEFAULT_URL, ENV_URL, Database, update_versioned
from smartcity_kit.storage._driver import DriverInsert
from smartcity_kit.storage._keys import ApiKey, ApiKeys, Role
from smartcity_kit.storage._migrations import (
    MIGRATION_PACKAGES,
    current_revisions,
    head_revisions,
    pending_revisions,
    upgrade,
)
from smartcity_kit.storage._types import JsonText, UtcDateTime

__all__ = [
    "DEFAULT_URL",
    "ENV_URL",
    "GENESIS_HASH",
    "MIGRATION_PACKAGES",
    "ApiKey",
    "ApiKeys",
    "AuditAnchor",
    "AuditEntry",
    "AuditLog",
    "BatchWriter",
    "ChainReport",
    "Database",
    "DriverInsert",
    "JsonText",
    "Role",
    "UtcDateTime",
    "current_revisions",
    "entry_hash",
    "head_revisions",
    "pending_revisions",
    "update_versioned",
    "upgrade",
]
