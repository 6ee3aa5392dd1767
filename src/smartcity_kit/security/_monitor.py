"""Fleet monitoring: is every camera up, reachable with its credentials, and on time?"""

from __future__ import annotations

import builtins
import datetime as dt
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

import attrs
import requests
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from smartcity_kit.core import Clock, SystemClock, ensure_utc
from smartcity_kit.errors import (
    ConfigurationError,
    DeviceAuthError,
    DeviceError,
    DeviceUnreachableError,
    SmartCityError,
    ValidationError,
)
from smartcity_kit.security import _store as store
from smartcity_kit.security._cameras import Camera, CameraStatus
from smartcity_kit.security._events import CameraEvent, EventKind
from smartcity_kit.security._registry import CameraRegistry
from smartcity_kit.security._secrets import SECRET_KEY_VARIABLE
from smartcity_kit.security.adapters._base import CameraAdapter, Credentials, Timeouts
from smartcity_kit.security.adapters._factory import make_adapter
from smartcity_kit.security.adapters._http import new_session
from smartcity_kit.storage import Database

__all__ = ["FleetMonitor", "HealthCheck", "PollSummary"]

_log = logging.getLogger("smartcity_kit.security")
_MAX_ERROR: Final = 300
#: Serialises health writes of concurrent pollers on PostgreSQL (an arbitrary, fixed key).
_PG_LOCK: Final = 7_371_000_005
_BATCH: Final = 500


@attrs.frozen
class HealthCheck:
    """One camera's health, as one poll found it.

    Attributes:
        camera_id: The camera.
        checked_at: When (UTC).
        online: It answered.
        authenticated: It accepted the credentials (None when it did not answer, or was not
            asked because it has none).
        clock_drift: Seconds its clock is ahead (negative: behind) of ours, when read.
        latency_ms: Milliseconds the check took.
        snapshot_ok: A snapshot could be fetched (None when not asked).
        error: Why it failed, in words that name no secret.
        skipped: Not contacted: its circuit breaker is open after repeated failures.
    """

    camera_id: str
    checked_at: dt.datetime
    online: bool
    authenticated: bool | None = None
    clock_drift: float | None = None
    latency_ms: float | None = None
    snapshot_ok: bool | None = None
    error: str | None = None
    skipped: bool = False


@attrs.frozen
class PollSummary:
    """What one sweep over the fleet found.

    Attributes:
        checked: Cameras polled (including skipped ones).
        online: Cameras that answered.
        offline: Cameras that did not (including skipped ones).
        auth_failed: Cameras that answered but refused the credentials.
        skipped: Cameras not contacted because their circuit breaker is open.
        snapshot_failed: Cameras that answered but gave no picture (when snapshots were asked).
        went_online: Cameras that came back since the last poll.
        went_offline: Cameras that went down since the last poll.
        seconds: Wall time of the sweep.
    """

    checked: int
    online: int
    offline: int
    auth_failed: int
    skipped: int
    snapshot_failed: int
    went_online: tuple[str, ...]
    went_offline: tuple[str, ...]
    seconds: float


@attrs.define
class _Breaker:
    failures: int = 0
    open_until: float = 0.0


class FleetMonitor:
    """Polls every active camera's health with bounded concurrency and stores what changed.

    Each check asks the device its clock and its identity (two small requests, the second with
    the credentials), and a snapshot when ``snapshot=True``. A camera that failed
    ``breaker_failures`` checks in a row is not contacted again for ``breaker_cooldown``
    seconds (counted offline meanwhile), so that dead cameras do not eat the polling interval.

    Online/offline changes are stored as status changes (for uptime) and as
    :class:`~smartcity_kit.security.CameraEvent` ``device_online`` / ``device_offline``.

    Args:
        registry: The camera registry (its credentials are used to connect).
        concurrency: How many cameras are checked at once.
        timeouts: Per-request timeouts for every device.
        snapshot: Also fetch a snapshot in each check.
        breaker_failures: Failures in a row that open a camera's circuit breaker.
        breaker_cooldown: Seconds a breaker stays open.
        clock: Where "now" comes from.
        session: A requests session to share (by default one sized for ``concurrency``).
    """

    def __init__(  # noqa: PLR0913 - the knobs of a fleet poller
        self,
        registry: CameraRegistry,
        *,
        concurrency: int = 64,
        timeouts: Timeouts | None = None,
        snapshot: bool = False,
        breaker_failures: int = 3,
        breaker_cooldown: float = 300.0,
        clock: Clock | None = None,
        session: requests.Session | None = None,
    ) -> None:
        if (
            not isinstance(concurrency, int)
            or isinstance(concurrency, bool)
            or not 1 <= concurrency <= 4096
        ):
            raise ValidationError.single("concurrency", "must be a whole number from 1 to 4096")
        self.registry = registry
        self._db: Database = registry._db  # noqa: SLF001 - same package
        self.concurrency = concurrency
        self.timeouts = timeouts or Timeouts(connect=2.0, read=5.0)
        self.snapshot = snapshot
        self.breaker_failures = breaker_failures
        self.breaker_cooldown = breaker_cooldown
        self._clock: Clock = clock or SystemClock()
        self._own_session = session is None
        self._session = session or new_session(pool_size=concurrency)
        self._adapters: dict[str, tuple[int, CameraAdapter]] = {}
        self._breakers: dict[str, _Breaker] = defaultdict(_Breaker)
        self._lock = threading.Lock()

    # --- polling ---------------------------------------------------------------------------

    def check(self, camera: Camera) -> HealthCheck:
        """Check one camera now, without storing the result or consulting its breaker."""
        opened = self.registry.credentials_each([camera.id]).get(camera.id)
        return self._guarded(camera, opened)

    def _guarded(
        self, camera: Camera, opened: Credentials | ConfigurationError | None
    ) -> HealthCheck:
        """:meth:`_check`, with every failure turned into this camera's result."""
        if isinstance(opened, ConfigurationError):
            return HealthCheck(
                camera.id, ensure_utc(self._clock.now()), online=False, error=str(opened)
            )
        try:
            return self._check(camera, opened)
        except Exception as e:  # noqa: BLE001 - one odd device must not stop the sweep
            _log.warning("camera %s: unexpected %s", camera.id, type(e).__name__)
            return HealthCheck(
                camera.id,
                ensure_utc(self._clock.now()),
                online=False,
                error=f"{camera.endpoint}: unexpected answer ({type(e).__name__})",
            )

    def _adapter(self, camera: Camera, credentials: Credentials | None) -> CameraAdapter:
        """The camera's adapter, kept between polls until the camera changes.

        A kept adapter remembers Digest nonces and the device's clock offset.
        """
        with self._lock:
            kept = self._adapters.get(camera.id)
        if kept is not None and kept[0] == camera.version:
            return kept[1]
        adapter = make_adapter(camera, credentials, timeouts=self.timeouts, session=self._session)
        with self._lock:
            old = self._adapters.get(camera.id)
            self._adapters[camera.id] = (camera.version, adapter)
        if old is not None:
            old[1].close()
        return adapter

    def _check(self, camera: Camera, credentials: Credentials | None) -> HealthCheck:  # noqa: C901
        started = time.perf_counter()
        now = ensure_utc(self._clock.now())
        result: dict[str, Any] = {"camera_id": camera.id, "checked_at": now, "online": False}
        try:
            adapter = self._adapter(camera, credentials)
        except (ValidationError, ConfigurationError) as e:
            return HealthCheck(**result, error=str(e)[:_MAX_ERROR])
        try:
            try:
                asked = ensure_utc(self._clock.now())
                device_time = adapter.clock()
                answered = ensure_utc(self._clock.now())
                result["online"] = True
                # Against the middle of the exchange, so that latency does not count as drift.
                drift = (device_time - (asked + (answered - asked) / 2)).total_seconds()
                result["clock_drift"] = round(drift, 3)
            except DeviceUnreachableError:
                raise
            except DeviceAuthError as e:
                result["online"] = True  # answered; the identity check below says more
                if credentials is None:
                    result["authenticated"] = False
                    result["error"] = f"{str(e)[:200]} (no credentials are stored)"
            except DeviceError:
                result["online"] = True  # it answered, but has no usable clock
            if credentials is not None:
                # One round trip when the clock was read with the credentials (ISAPI, Dahua);
                # ONVIF reads its clock without them, so the identity call proves them.
                if not (
                    "clock_drift" in result and getattr(adapter, "clock_needs_credentials", False)
                ):
                    adapter.device_info()
                result["authenticated"] = True
                result["online"] = True
            if self.snapshot:
                result["snapshot_ok"] = bool(adapter.snapshot())
        except DeviceAuthError as e:
            result["online"] = True
            result["authenticated"] = False
            result["error"] = str(e)[:_MAX_ERROR]
        except DeviceError as e:
            result["error"] = str(e)[:_MAX_ERROR]
            if self.snapshot and result["online"]:
                result["snapshot_ok"] = False
        result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return HealthCheck(**result)

    def close(self) -> None:
        """Close every kept adapter (and the session, when the monitor made it)."""
        with self._lock:
            kept, self._adapters = list(self._adapters.values()), {}
        for _, adapter in kept:
            adapter.close()
        if self._own_session:
            self._session.close()

    def poll(
        self,
        cameras: Iterable[Camera] | None = None,
        *,
        progress: Callable[[HealthCheck], None] | None = None,
    ) -> PollSummary:
        """Check every active camera (or the ones given) and store the results.

        A camera whose stored credentials cannot be decrypted (another key) is not contacted
        and its result not stored: a deployment mistake must not show as cameras going down.

        Args:
            cameras: The cameras to check; by default every camera in status ``active``.
            progress: Called with each result as it comes (from worker threads).

        Raises:
            ConfigurationError: Cameras have stored credentials and no secret key is set.
        """
        started = time.perf_counter()
        targets = (
            list(cameras) if cameras is not None else self.registry.list(status=CameraStatus.ACTIVE)
        )
        secrets = self.registry.credentials_each([c.id for c in targets])
        unreadable = {k for k, v in secrets.items() if isinstance(v, ConfigurationError)}
        if unreadable and not self.registry.has_secret_key:
            raise ConfigurationError(
                f"cameras have stored credentials: set {SECRET_KEY_VARIABLE} to use them"
            )
        results: list[HealthCheck] = []

        def one(camera: Camera) -> HealthCheck:
            breaker = self._breakers[camera.id]
            if camera.id in unreadable:
                health = HealthCheck(
                    camera.id,
                    ensure_utc(self._clock.now()),
                    online=False,
                    error=str(secrets[camera.id]),
                    skipped=True,
                )
            elif breaker.open_until > time.monotonic():
                health = HealthCheck(
                    camera.id,
                    ensure_utc(self._clock.now()),
                    online=False,
                    error="not contacted: failed repeatedly, waiting before trying again",
                    skipped=True,
                )
            else:
                health = self._guarded(camera, secrets.get(camera.id))
                self._record_breaker(camera.id, health)
            if progress is not None:
                progress(health)
            return health

        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="fleet") as pool:
            results.extend(pool.map(one, targets))
        went_online, went_offline = self._store(
            [r for r in results if r.camera_id not in unreadable]
        )
        return PollSummary(
            checked=len(results),
            online=sum(r.online for r in results),
            offline=sum(not r.online for r in results),
            auth_failed=sum(r.authenticated is False for r in results),
            skipped=sum(r.skipped for r in results),
            snapshot_failed=sum(r.snapshot_ok is False for r in results),
            went_online=tuple(went_online),
            went_offline=tuple(went_offline),
            seconds=round(time.perf_counter() - started, 3),
        )

    def run(self, interval: float, stop: threading.Event) -> None:
        """Poll every ``interval`` seconds until ``stop`` is set (for a background thread).

        A sweep that fails (the database is away) is logged and the next one tried on time.
        """
        while not stop.is_set():
            started = time.monotonic()
            try:
                summary = self.poll()
            except (SmartCityError, SQLAlchemyError) as e:
                _log.warning("fleet poll failed: %s: %s", type(e).__name__, e)
            except Exception as e:  # noqa: BLE001 - the background poller must keep going
                _log.exception("fleet poll failed: %s", type(e).__name__)
            else:
                _log.info(
                    "fleet poll: %d checked, %d online, %d offline in %.1f s",
                    summary.checked,
                    summary.online,
                    summary.offline,
                    summary.seconds,
                )
            stop.wait(max(0.0, interval - (time.monotonic() - started)))

    def _record_breaker(self, camera_id: str, health: HealthCheck) -> None:
        with self._lock:
            breaker = self._breakers[camera_id]
            if health.online:
                breaker.failures = 0
                breaker.open_until = 0.0
                return
            breaker.failures += 1
            if breaker.failures >= self.breaker_failures:
                breaker.open_until = time.monotonic() + self.breaker_cooldown

    # --- storage ---------------------------------------------------------------------------

    def _store(self, results: Sequence[HealthCheck]) -> tuple[list[str], list[str]]:
        went_online: list[str] = []
        went_offline: list[str] = []
        for start in range(0, len(results), _BATCH):
            batch = results[start : start + _BATCH]
            with self._db.transaction() as conn:
                if conn.dialect.name == "postgresql":
                    # Two pollers at once (the server's and a `cameras poll`) take turns.
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
                ids = [r.camera_id for r in batch]
                known = {
                    row.camera_id: row
                    for row in conn.execute(
                        sa.select(store.health).where(store.health.c.camera_id.in_(ids))
                    )
                }
                inserts: list[dict[str, Any]] = []
                updates: list[dict[str, Any]] = []
                changes: list[dict[str, Any]] = []
                events: list[dict[str, Any]] = []
                for r in batch:
                    before = known.get(r.camera_id)
                    flipped = before is None or bool(before.online) != r.online
                    values = {
                        "camera_id": r.camera_id,
                        "checked_at": r.checked_at,
                        "online": r.online,
                        "authenticated": r.authenticated,
                        "clock_drift": r.clock_drift,
                        "latency_ms": r.latency_ms,
                        "snapshot_ok": r.snapshot_ok,
                        "error": r.error,
                        "since": r.checked_at if flipped or before is None else before.since,
                    }
                    (inserts if before is None else updates).append(values)
                    if flipped:
                        changes.append(
                            {"camera_id": r.camera_id, "at": r.checked_at, "online": r.online}
                        )
                        if before is not None:
                            (went_online if r.online else went_offline).append(r.camera_id)
                            kind = EventKind.DEVICE_ONLINE if r.online else EventKind.DEVICE_OFFLINE
                            events.append(
                                {
                                    "camera_id": r.camera_id,
                                    "at": r.checked_at,
                                    "kind": kind.value,
                                    "active": True,
                                    "vendor_type": "fleet-monitor",
                                    "channel": None,
                                    "details": {"error": r.error} if r.error else {},
                                }
                            )
                if inserts:
                    conn.execute(sa.insert(store.health), inserts)
                if updates:
                    conn.execute(
                        sa.update(store.health).where(
                            store.health.c.camera_id == sa.bindparam("b_camera_id")
                        ),
                        [{**u, "b_camera_id": u["camera_id"]} for u in updates],
                    )
                if changes:
                    conn.execute(sa.insert(store.changes), changes)
                if events:
                    conn.execute(sa.insert(store.events), events)
        return went_online, went_offline

    # --- reading ---------------------------------------------------------------------------

    def latest(self, camera_ids: Iterable[str] | None = None) -> builtins.list[HealthCheck]:
        """The last stored check of every camera (or of the ones given), by camera id."""
        query = sa.select(store.health).order_by(store.health.c.camera_id)
        if camera_ids is not None:
            query = query.where(store.health.c.camera_id.in_(list(camera_ids)))
        with self._db.reading() as conn:
            return [
                HealthCheck(
                    camera_id=r.camera_id,
                    checked_at=r.checked_at,
                    online=bool(r.online),
                    authenticated=None if r.authenticated is None else bool(r.authenticated),
                    clock_drift=r.clock_drift,
                    latency_ms=r.latency_ms,
                    snapshot_ok=None if r.snapshot_ok is None else bool(r.snapshot_ok),
                    error=r.error,
                )
                for r in conn.execute(query)
            ]

    def events(
        self,
        camera_id: str | None = None,
        *,
        since: dt.datetime | None = None,
        limit: int = 100,
        camera_ids: Iterable[str] | None = None,
    ) -> builtins.list[CameraEvent]:
        """Stored events, newest first (device online/offline, and what was recorded).

        ``camera_id`` keeps one camera's, ``camera_ids`` those of several (a city's).
        """
        query = sa.select(store.events).order_by(store.events.c.id.desc()).limit(limit)
        if camera_id is not None:
            query = query.where(store.events.c.camera_id == camera_id)
        if camera_ids is not None:
            query = query.where(store.events.c.camera_id.in_(list(camera_ids)))
        if since is not None:
            query = query.where(store.events.c.at >= ensure_utc(since, "since"))
        with self._db.reading() as conn:
            return [
                CameraEvent(
                    camera_id=r.camera_id,
                    kind=r.kind,
                    at=r.at,
                    active=bool(r.active),
                    vendor_type=r.vendor_type,
                    channel=r.channel,
                    details=r.details,
                )
                for r in conn.execute(query)
            ]

    def record_events(self, events: Iterable[CameraEvent]) -> int:
        """Store events (from an adapter's :meth:`~CameraAdapter.events`); returns how many."""
        rows = [
            {
                "camera_id": e.camera_id,
                "at": e.at,
                "kind": e.kind.value,
                "active": e.active,
                "vendor_type": e.vendor_type[:200],
                "channel": e.channel,
                "details": dict(e.details),
            }
            for e in events
        ]
        if rows:
            with self._db.transaction() as conn:
                conn.execute(sa.insert(store.events), rows)
        return len(rows)

    def uptime(
        self, start: dt.datetime, end: dt.datetime, camera_ids: Iterable[str] | None = None
    ) -> dict[str, float | None]:
        """Share of ``[start, end)`` each camera was online (None: never checked in it).

        Time before a camera's first check is not counted; after its last check, its last
        known state holds until ``end``.

        Raises:
            ValidationError: ``end`` is not after ``start``.
        """
        start, end = ensure_utc(start, "start"), ensure_utc(end, "end")
        if end <= start:
            raise ValidationError.single("end", "must be after start")
        c = store.changes.c
        query = sa.select(c.camera_id, c.at, c.online).where(c.at < end).order_by(c.camera_id, c.at)
        ids = None if camera_ids is None else list(camera_ids)
        if ids is not None:
            query = query.where(c.camera_id.in_(ids))
        timelines: dict[str, list[tuple[dt.datetime, bool]]] = defaultdict(list)
        with self._db.reading() as conn:
            for row in conn.execute(query):
                timelines[row.camera_id].append((row.at, bool(row.online)))
        shares: dict[str, float | None] = {}
        for camera_id in ids if ids is not None else sorted(timelines):
            shares[camera_id] = _share_online(timelines.get(camera_id, []), start, end)
        return shares

    def uptime_by_district(
        self, start: dt.datetime, end: dt.datetime, *, city: str | None = None
    ) -> dict[str, float | None]:
        """Mean uptime of the cameras in each kecamatan (code, or ``""`` when unknown)."""
        cameras = self.registry.list(city=city)
        shares = self.uptime(start, end, [c.id for c in cameras])
        grouped: dict[str, list[float]] = defaultdict(list)
        seen: set[str] = set()
        for camera in cameras:
            district = camera.location.district.value if camera.location.district else ""
            seen.add(district)
            share = shares.get(camera.id)
            if share is not None:
                grouped[district].append(share)
        return {
            d: (sum(grouped[d]) / len(grouped[d]) if grouped[d] else None) for d in sorted(seen)
        }


def _share_online(
    timeline: Sequence[tuple[dt.datetime, bool]], start: dt.datetime, end: dt.datetime
) -> float | None:
    state: bool | None = None
    cursor = start
    online = known = 0.0
    for at, is_online in timeline:
        if at <= start:
            state = is_online
            continue
        if state is not None:
            span = (at - cursor).total_seconds()
            known += span
            online += span if state else 0.0
        cursor, state = at, is_online
    if state is not None:
        span = (end - cursor).total_seconds()
        known += span
        online += span if state else 0.0
    return online / known if known > 0 else None
