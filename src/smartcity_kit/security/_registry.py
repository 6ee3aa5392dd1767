"""The camera registry: every camera of the city, of any owner and vendor, in one place."""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from smartcity_kit.core import Clock, RegionCode, SystemClock, ensure_utc
from smartcity_kit.errors import (
    ConfigurationError,
    ConflictError,
    FieldError,
    NotFoundError,
    ValidationError,
)
from smartcity_kit.security import _store as store
from smartcity_kit.security._cameras import Camera, CameraStatus, OwnerKind, Site, check_id
from smartcity_kit.security._inventory import (
    camera_row,
    parse_rows,
    read_csv_numbered,
    read_json,
    rows_to_csv,
)
from smartcity_kit.security._secrets import SECRET_KEY_VARIABLE, SecretBox
from smartcity_kit.security.adapters._base import (
    CameraAdapter,
    Credentials,
    Timeouts,
    VendorProtocol,
)
from smartcity_kit.security.adapters._factory import make_adapter
from smartcity_kit.storage import AuditLog, Database, update_versioned

__all__ = ["CameraRegistry"]

_KEEP: Any = object()


class CameraRegistry:
    """The city's cameras: add, change, list, import and export them; build their adapters.

    Credentials are encrypted with the key in ``SMARTCITY_SECRET_KEY`` (or the ``secrets`` box
    given); without a key the registry keeps cameras but refuses to store credentials. Every
    change is appended to the audit log in the same transaction (never the credentials).

    Args:
        db: The database (upgraded).
        secrets: The box that encrypts credentials; by default the one for
            ``SMARTCITY_SECRET_KEY``, if set.
        clock: Where "now" comes from.
    """

    def __init__(
        self, db: Database, *, secrets: SecretBox | None = None, clock: Clock | None = None
    ) -> None:
        self._db = db
        self._secrets = secrets if secrets is not None else SecretBox.from_env()
        self._clock: Clock = clock or SystemClock()
        self._audit = AuditLog(db, self._clock)

    @property
    def has_secret_key(self) -> bool:
        """Whether a key is set, so that credentials can be stored and used."""
        return self._secrets is not None

    # --- sites -----------------------------------------------------------------------------

    def save_site(self, site: Site, *, actor: str) -> Site:
        """Add a site, or change the one with the same id."""
        with self._db.transaction() as conn:
            values = store.site_values(site)
            found = conn.execute(sa.select(store.sites.c.id).where(store.sites.c.id == site.id))
            if found.first():
                conn.execute(sa.update(store.sites).where(store.sites.c.id == site.id), values)
            else:
                conn.execute(sa.insert(store.sites), values)
            self._audit.append(
                conn,
                actor=actor,
                action="site.saved",
                subject=f"site:{site.id}",
                details={"name": site.name, "city": site.city},
            )
        return site

    def sites(self, city: str | None = None) -> builtins.list[Site]:
        """Sites, by id (of one city when given)."""
        query = sa.select(store.sites).order_by(store.sites.c.id)
        if city is not None:
            query = query.where(store.sites.c.city == city)
        with self._db.reading() as conn:
            return [store.site_from_row(r) for r in conn.execute(query)]

    # --- cameras ---------------------------------------------------------------------------

    def add(self, camera: Camera, *, actor: str, credentials: Credentials | None = None) -> Camera:
        """Register a camera (version 1), with its credentials if given.

        Raises:
            ConflictError: A camera with this id exists.
            ValidationError: Its site does not exist.
            ConfigurationError: Credentials were given but no secret key is set.
        """
        secret = self._seal(credentials)
        with self._db.transaction() as conn:
            self._insert(conn, camera, secret, actor)
        return self.get(camera.id)

    def _insert(self, conn: Connection, camera: Camera, secret: str | None, actor: str) -> None:
        if conn.execute(store.CAMERA_BY_ID, {"id": camera.id}).first():
            raise ConflictError(f"camera {camera.id} is already registered")
        self._check_site(conn, camera)
        now = ensure_utc(self._clock.now())
        values = store.camera_values(camera, now) | {"secret": secret, "version": 1}
        conn.execute(sa.insert(store.cameras), values)
        self._audit.append(
            conn,
            actor=actor,
            action="camera.added",
            subject=f"camera:{camera.id}",
            details=_audit_details(camera, secret is not None),
        )

    def update(
        self, camera: Camera, *, actor: str, credentials: Credentials | None = _KEEP
    ) -> Camera:
        """Change a camera; ``camera.version`` must be the stored one (else ConflictError).

        Credentials are kept unless given (None removes them).

        Raises:
            NotFoundError: No such camera.
            ConflictError: Someone changed it since it was read.
            ConfigurationError: Credentials were given but no secret key is set.
        """
        values = store.camera_values(camera, ensure_utc(self._clock.now()))
        del values["version"]
        changed_credentials = credentials is not _KEEP
        if changed_credentials:
            values["secret"] = self._seal(credentials)
        with self._db.transaction() as conn:
            self._check_site(conn, camera)
            update_versioned(conn, store.cameras, {"id": camera.id}, camera.version, values)
            details = _audit_details(camera, None)
            if changed_credentials:
                details["credentials"] = "set" if credentials is not None else "removed"
            self._audit.append(
                conn,
                actor=actor,
                action="camera.updated",
                subject=f"camera:{camera.id}",
                details=details,
            )
        return self.get(camera.id)

    def set_credentials(
        self, camera_id: str, credentials: Credentials | None, *, actor: str
    ) -> None:
        """Store (or, with None, remove) a camera's credentials, encrypted.

        Raises:
            NotFoundError: No such camera.
            ConfigurationError: No secret key is set.
        """
        secret = self._seal(credentials)
        with self._db.transaction() as conn:
            result = conn.execute(
                sa.update(store.cameras)
                .where(store.cameras.c.id == camera_id)
                .values(secret=secret, version=store.cameras.c.version + 1)
            )
            if result.rowcount != 1:
                raise NotFoundError(f"no camera {camera_id}")
            self._audit.append(
                conn,
                actor=actor,
                action="camera.credentials",
                subject=f"camera:{camera_id}",
                details={"credentials": "set" if credentials else "removed"},
            )

    def has_credentials(self, camera_id: str) -> bool:
        """Whether credentials are stored for the camera."""
        with self._db.reading() as conn:
            return self._secret(conn, camera_id) is not None

    def credentials(self, camera_id: str) -> Credentials | None:
        """The camera's credentials, decrypted (for building an adapter; never show them).

        Raises:
            NotFoundError: No such camera.
            ConfigurationError: Credentials are stored but no (or another) key is set.
        """
        with self._db.reading() as conn:
            secret = self._secret(conn, camera_id)
        if secret is None:
            return None
        if self._secrets is None:
            raise ConfigurationError(
                f"camera {camera_id} has stored credentials: set {SECRET_KEY_VARIABLE} to use them"
            )
        return self._secrets.open(secret)

    def credentials_for(self, camera_ids: Iterable[str]) -> dict[str, Credentials]:
        """Decrypted credentials of many cameras at once (those that have some).

        Raises:
            ConfigurationError: Credentials are stored but no (or another) key is set; the
                message names the first such camera.
        """
        found: dict[str, Credentials] = {}
        for camera_id, opened in self.credentials_each(camera_ids).items():
            if isinstance(opened, ConfigurationError):
                raise opened
            found[camera_id] = opened
        return found

    def credentials_each(
        self, camera_ids: Iterable[str]
    ) -> dict[str, Credentials | ConfigurationError]:
        """Each camera's decrypted credentials, or the error that stops decrypting them.

        Cameras without stored credentials are left out. One unreadable secret does not stop
        the others (for a fleet monitor, which reports it per camera).
        """
        wanted = builtins.list(camera_ids)
        found: dict[str, Credentials | ConfigurationError] = {}
        c = store.cameras.c
        with self._db.reading() as conn:
            for start in range(0, len(wanted), 900):
                chunk = wanted[start : start + 900]
                rows = conn.execute(
                    sa.select(c.id, c.secret).where(c.id.in_(chunk), c.secret.is_not(None))
                )
                for row in rows:
                    if self._secrets is None:
                        found[row.id] = ConfigurationError(
                            f"camera {row.id} has stored credentials: "
                            f"set {SECRET_KEY_VARIABLE} to use them"
                        )
                        continue
                    try:
                        found[row.id] = self._secrets.open(row.secret)
                    except ConfigurationError as e:
                        found[row.id] = ConfigurationError(f"camera {row.id}: {e}")
        return found

    def remove(self, camera_id: str, *, actor: str) -> None:
        """Delete a camera from the registry (use status ``decommissioned`` to keep the record).

        Raises:
            NotFoundError: No such camera.
        """
        with self._db.transaction() as conn:
            result = conn.execute(sa.delete(store.cameras).where(store.cameras.c.id == camera_id))
            if result.rowcount != 1:
                raise NotFoundError(f"no camera {camera_id}")
            conn.execute(sa.delete(store.health).where(store.health.c.camera_id == camera_id))
            self._audit.append(
                conn, actor=actor, action="camera.removed", subject=f"camera:{camera_id}"
            )

    def get(self, camera_id: str) -> Camera:
        """One camera.

        Raises:
            NotFoundError: No such camera.
        """
        with self._db.reading() as conn:
            row = conn.execute(store.CAMERA_BY_ID, {"id": camera_id}).first()
        if row is None:
            raise NotFoundError(f"no camera {check_id('camera_id', camera_id)}")
        return store.camera_from_row(row)

    def list(  # noqa: PLR0913 - one keyword per filter
        self,
        *,
        city: str | None = None,
        district: RegionCode | str | None = None,
        owner: str | None = None,
        owner_kind: OwnerKind | None = None,
        status: CameraStatus | None = None,
        protocol: VendorProtocol | None = None,
    ) -> builtins.list[Camera]:
        """Cameras by id, filtered by city, kecamatan, owner code or kind, status, protocol."""
        c = store.cameras.c
        query = sa.select(store.cameras).order_by(c.id)
        filters: builtins.list[tuple[sa.Column[Any], Any]] = [
            (c.city, city),
            (c.district, str(district) if district is not None else None),
            (c.owner_code, owner),
            (c.owner_kind, OwnerKind(owner_kind).value if owner_kind else None),
            (c.status, CameraStatus(status).value if status else None),
            (c.protocol, VendorProtocol(protocol).value if protocol else None),
        ]
        for column, value in filters:
            if value is not None:
                query = query.where(column == value)
        with self._db.reading() as conn:
            return [store.camera_from_row(r) for r in conn.execute(query)]

    def count(self) -> int:
        """How many cameras are registered."""
        with self._db.reading() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(store.cameras)).scalar_one()
            )

    # --- inventory -------------------------------------------------------------------------

    def import_rows(
        self, rows: Iterable[object], *, actor: str, update_existing: bool = False
    ) -> builtins.list[Camera]:
        """Import inventory rows: all of them, or (on any error) none.

        New ids are added; an id already registered is an error unless ``update_existing``,
        which changes it (keeping stored credentials when the row has no ``username``).

        Raises:
            ValidationError: Every problem, as ``row N: column`` (rows counted from 1).
            ConfigurationError: Rows have passwords but no secret key is set.
        """
        return self._import(rows, None, actor=actor, update_existing=update_existing)

    def _import(
        self,
        rows: Iterable[object],
        numbers: builtins.list[int] | None,
        *,
        actor: str,
        update_existing: bool,
    ) -> builtins.list[Camera]:
        parsed = parse_rows(rows, numbers)
        labels = numbers if numbers is not None else builtins.list(range(1, len(parsed) + 1))
        sealed = [
            (camera, self._seal_row(n, creds))
            for n, (camera, creds) in zip(labels, parsed, strict=True)
        ]
        problems = []
        with self._db.transaction() as conn:
            for number, (camera, (secret, has_credentials)) in zip(labels, sealed, strict=True):
                existing = conn.execute(store.CAMERA_BY_ID, {"id": camera.id}).first()
                if existing is not None and not update_existing:
                    problems.append((number, "id", f"{camera.id} is already registered"))
                    continue
                try:
                    self._check_site(conn, camera)
                except ValidationError as e:
                    problems.append((number, "site", e.errors[0].message))
                    continue
                if problems:
                    continue
                if existing is None:
                    self._insert(conn, camera, secret, actor)
                    continue
                values = store.camera_values(camera, ensure_utc(self._clock.now()))
                values["version"] = existing.version + 1
                if has_credentials:
                    values["secret"] = secret
                conn.execute(
                    sa.update(store.cameras).where(store.cameras.c.id == camera.id), values
                )
                self._audit.append(
                    conn,
                    actor=actor,
                    action="camera.updated",
                    subject=f"camera:{camera.id}",
                    details=_audit_details(camera, has_credentials or None) | {"import": True},
                )
            if problems:
                raise ValidationError(
                    [FieldError(f"row {n}: {field}", message) for n, field, message in problems]
                )
        return [self.get(camera.id) for camera, _ in parsed]

    def import_csv(
        self, text: str, *, actor: str, update_existing: bool = False
    ) -> builtins.list[Camera]:
        """Import a CSV inventory (see :meth:`import_rows`)."""
        rows, numbers = read_csv_numbered(text)
        return self._import(rows, numbers, actor=actor, update_existing=update_existing)

    def import_json(
        self, text: str, *, actor: str, update_existing: bool = False
    ) -> builtins.list[Camera]:
        """Import a JSON inventory (see :meth:`import_rows`)."""
        return self.import_rows(read_json(text), actor=actor, update_existing=update_existing)

    def import_file(
        self, path: Path | str, *, actor: str, update_existing: bool = False
    ) -> builtins.list[Camera]:
        """Import ``*.csv`` or ``*.json`` by its extension (see :meth:`import_rows`)."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError.single(
                "file", "is not UTF-8 text: save the spreadsheet as 'CSV UTF-8'"
            ) from None
        if path.suffix.lower() == ".json":
            return self.import_json(text, actor=actor, update_existing=update_existing)
        return self.import_csv(text, actor=actor, update_existing=update_existing)

    def export_rows(
        self, *, reveal_personal_data: bool = False, **filters: Any
    ) -> builtins.list[dict[str, Any]]:
        """Inventory rows of the cameras :meth:`list` gives for ``filters`` (never credentials)."""
        return [
            camera_row(c, reveal_personal_data=reveal_personal_data) for c in self.list(**filters)
        ]

    def export_csv(self, *, reveal_personal_data: bool = False, **filters: Any) -> str:
        """The inventory as CSV (see :meth:`export_rows`)."""
        return rows_to_csv(self.export_rows(reveal_personal_data=reveal_personal_data, **filters))

    def export_json(self, *, reveal_personal_data: bool = False, **filters: Any) -> str:
        """The inventory as JSON: ``{"cameras": [rows]}`` (see :meth:`export_rows`)."""
        rows = self.export_rows(reveal_personal_data=reveal_personal_data, **filters)
        return json.dumps({"cameras": rows}, ensure_ascii=False, indent=2)

    # --- adapters --------------------------------------------------------------------------

    def adapter(
        self,
        camera: Camera | str,
        *,
        timeouts: Timeouts | None = None,
        session: requests.Session | None = None,
    ) -> CameraAdapter:
        """An adapter for the camera, with its stored credentials.

        Raises:
            NotFoundError: No such camera.
            ConfigurationError: Credentials are stored but no key is set to open them.
        """
        camera = self.get(camera) if isinstance(camera, str) else camera
        return make_adapter(camera, self.credentials(camera.id), timeouts=timeouts, session=session)

    # --- helpers ---------------------------------------------------------------------------

    def _seal(self, credentials: Credentials | None) -> str | None:
        if credentials is None:
            return None
        if self._secrets is None:
            raise ConfigurationError(
                f"camera credentials are stored encrypted: set {SECRET_KEY_VARIABLE} first "
                "(make a key with `smartcity-kit cameras secret-key`)"
            )
        return self._secrets.seal(credentials)

    def _seal_row(self, number: int, credentials: Credentials | None) -> tuple[str | None, bool]:
        if credentials is None:
            return None, False
        if self._secrets is None:
            raise ValidationError.single(
                f"row {number}: password",
                f"cannot be stored without {SECRET_KEY_VARIABLE} (nothing was imported)",
            )
        return self._secrets.seal(credentials), True

    def _secret(self, conn: Connection, camera_id: str) -> str | None:
        row = conn.execute(
            sa.select(store.cameras.c.secret).where(store.cameras.c.id == camera_id)
        ).first()
        if row is None:
            raise NotFoundError(f"no camera {check_id('camera_id', camera_id)}")
        return row.secret  # type: ignore[no-any-return]

    def _check_site(self, conn: Connection, camera: Camera) -> None:
        if camera.site is None:
            return
        found = conn.execute(
            sa.select(store.sites.c.city).where(store.sites.c.id == camera.site)
        ).first()
        if found is None:
            raise ValidationError.single("site", f"no site {camera.site}")
        if found.city != camera.city:
            raise ValidationError.single("site", f"site {camera.site} is in another city")


def _audit_details(camera: Camera, credentials: bool | None) -> dict[str, Any]:
    # Not the address: the audit log refuses digit runs that look like phone numbers, and some
    # IP addresses do. The registry row holds it.
    # Not the name either: it is free text, and the audit log refuses digit runs that look
    # like phone numbers.
    details: dict[str, Any] = {
        "city": camera.city,
        "owner": camera.owner.code,
        "protocol": camera.protocol.value,
        "status": camera.status.value,
    }
    if credentials is not None:
        details["credentials"] = "set" if credentials else "none"
    return details
