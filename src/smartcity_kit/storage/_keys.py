"""API keys with roles: stored as hashes, shown once, revocable, audited."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import re
import secrets
import time
from typing import Final

import attrs
import sqlalchemy as sa

from smartcity_kit.core import Clock, SystemClock, ensure_utc, find_personal_data
from smartcity_kit.errors import NotFoundError, ValidationError
from smartcity_kit.storage._audit import AuditLog
from smartcity_kit.storage._database import Database
from smartcity_kit.storage._types import UtcDateTime

__all__ = ["ApiKey", "ApiKeys", "Role"]

_PREFIX: Final = "sck"
_KEY = re.compile(r"sck_([0-9a-f]{12})_([A-Za-z0-9_\-]{43})")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._\-]{0,99}")

keys_table = sa.Table(
    "api_keys",
    sa.MetaData(),
    sa.Column("key_id", sa.String(16), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("city", sa.String(64), nullable=True),
    sa.Column("agency", sa.String(64), nullable=True),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
)
# Built once: checked on every request that carries a key.
#: How long :meth:`ApiKeys.authenticate` trusts a key it accepted without reading it again.
AUTH_CACHE_SECONDS: Final = 1.0
_AUTH_CACHE_ENTRIES: Final = 1024
_KEY_BY_ID = sa.select(keys_table).where(keys_table.c.key_id == sa.bindparam("key_id"))


class Role(enum.StrEnum):
    """What a key may do."""

    ADMIN = "admin"
    """May do everything (catalogue, keys, every agency's requests)."""
    OPERATOR = "operator"
    """Staff of one agency, who work that agency's requests."""
    OPEN311_CLIENT = "open311-client"
    """An app that posts requests through Open311 (a citizen app, a kiosk)."""
    AUDITOR = "auditor"
    """Reads everything, changes nothing (Inspektorat, BPK)."""


def _new_key_id() -> str:
    # The id is written to the audit log, which refuses text that looks like personal data: an
    # id of hex digits only (about one in 280) can look like a phone number. Draw again.
    while True:
        key_id = secrets.token_hex(6)
        if find_personal_data(f"key:{key_id}") is None:
            return key_id


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@attrs.frozen
class ApiKey:
    """A key's record; the secret itself is never kept.

    Attributes:
        key_id: The public part, shown in lists and logs.
        name: Who or what holds it.
        role: What it may do.
        city: The city it is limited to (None: every city).
        agency: For an operator, the agency whose requests it works.
        created_at: When it was made.
        revoked_at: When it was revoked, else None.
    """

    key_id: str
    name: str
    role: Role
    city: str | None
    agency: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None

    @property
    def actor(self) -> str:
        """How the key appears in the audit log."""
        return f"key:{self.key_id}"

    @property
    def active(self) -> bool:
        """Whether the key still works."""
        return self.revoked_at is None


class ApiKeys:
    """Creates, lists, revokes and checks API keys.

    A key looks like ``sck_<12 hex>_<43 characters>``. Only a SHA-256 hash of the secret part is
    stored (the secret is 256 random bits, so a fast hash is enough), and the key is shown once,
    when it is made.

    :meth:`authenticate` remembers a key it accepted for :data:`AUTH_CACHE_SECONDS` (one second),
    so that a busy server does not read the key's row on every request. A key revoked through
    this object stops working at once; one revoked elsewhere (``smartcity-kit keys revoke`` in
    another process) stops working here within that second.
    """

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock: Clock = clock or SystemClock()
        self._audit = AuditLog(db, self._clock)
        self._accepted: dict[tuple[str, str], tuple[float, ApiKey]] = {}
        # Moved on every revocation here: a check that read a key before it was revoked does not
        # put it back into ``_accepted`` after the revocation cleared it.
        self._generation = 0

    def create(
        self,
        name: str,
        role: Role,
        *,
        city: str | None = None,
        agency: str | None = None,
        actor: str = "cli",
    ) -> tuple[ApiKey, str]:
        """Make a key. Returns its record and the key itself, which is never shown again.

        Raises:
            ValidationError: The name is empty, or an operator has no agency.
        """
        try:
            role = Role(role)
        except ValueError:
            raise ValidationError.single("role", "must be one of " + ", ".join(Role)) from None
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValidationError.single(
                "name", "must be 1-100 letters, digits, spaces, '.', '_' or '-'"
            )
        if role is Role.OPERATOR and not agency:
            raise ValidationError.single("agency", "an operator key needs the agency it works for")
        if role is not Role.OPERATOR and agency:
            raise ValidationError.single("agency", "only operator keys belong to an agency")
        key_id = _new_key_id()
        secret = secrets.token_urlsafe(32)
        now = ensure_utc(self._clock.now())
        record = ApiKey(key_id, name, role, city, agency, now)
        with self._db.transaction() as conn:
            conn.execute(
                sa.insert(keys_table).values(
                    key_id=key_id,
                    name=name,
                    role=role.value,
                    city=city,
                    agency=agency,
                    secret_hash=_hash(secret),
                    created_at=now,
                )
            )
            self._audit.append(
                conn,
                actor=actor,
                action="key.created",
                subject=f"key:{key_id}",
                details={"name": name, "role": role.value, "city": city, "agency": agency},
            )
        return record, f"{_PREFIX}_{key_id}_{secret}"

    def list(self) -> list[ApiKey]:
        """Every key, active or not, oldest first."""
        with self._db.reading() as conn:
            rows = conn.execute(sa.select(keys_table).order_by(keys_table.c.created_at)).all()
        return [self._from_row(r) for r in rows]

    def revoke(self, key_id: str, *, actor: str = "cli") -> ApiKey:
        """Revoke a key at once.

        Raises:
            NotFoundError: No such key.
        """
        now = ensure_utc(self._clock.now())
        with self._db.transaction() as conn:
            row = conn.execute(sa.select(keys_table).where(keys_table.c.key_id == key_id)).first()
            if row is None:
                raise NotFoundError(f"no key {key_id}")
            if row.revoked_at is None:
                conn.execute(
                    sa.update(keys_table)
                    .where(keys_table.c.key_id == key_id)
                    .values(revoked_at=now)
                )
                self._audit.append(conn, actor=actor, action="key.revoked", subject=f"key:{key_id}")
            row = conn.execute(sa.select(keys_table).where(keys_table.c.key_id == key_id)).one()
        self._generation += 1
        self._accepted.clear()
        return self._from_row(row)

    def authenticate(self, key: str | None) -> ApiKey | None:
        """The active key that ``key`` is, or None (wrong, malformed, revoked or missing)."""
        match = _KEY.fullmatch(key.strip()) if isinstance(key, str) else None
        if match is None:
            return None
        key_id, secret = match.groups()
        hashed = _hash(secret)
        now = time.monotonic()
        remembered = self._accepted.get((key_id, hashed))
        if remembered is not None and now - remembered[0] <= AUTH_CACHE_SECONDS:
            return remembered[1]
        generation = self._generation
        with self._db.reading() as conn:
            row = conn.execute(_KEY_BY_ID, {"key_id": key_id}).first()
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.secret_hash, hashed):
            return None
        found = self._from_row(row)
        if len(self._accepted) >= _AUTH_CACHE_ENTRIES:
            self._accepted.clear()
        if generation == self._generation:
            self._accepted[key_id, hashed] = (now, found)
        return found

    @staticmethod
    def _from_row(row: sa.Row[tuple[object, ...]]) -> ApiKey:
        return ApiKey(
            key_id=str(row.key_id),
            name=str(row.name),
            role=Role(str(row.role)),
            city=row.city,
            agency=row.agency,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )
