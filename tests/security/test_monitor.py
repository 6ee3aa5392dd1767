"""FleetMonitor over small simulated fleets: health, status changes, the breaker, uptime."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity_kit.core import FixedClock
from smartcity_kit.errors import ConfigurationError, ValidationError
from smartcity_kit.security import (
    CameraEvent,
    CameraRegistry,
    CameraStatus,
    Credentials,
    EventKind,
    FleetMonitor,
    HealthCheck,
    PollSummary,
    SecretBox,
    Timeouts,
)
from smartcity_kit.security._monitor import _share_online
from smartcity_kit.storage import Database
from smartcity_kit.testing.devices import (
    DahuaCamera,
    DeviceFarm,
    DeviceState,
    SimulatedDevice,
    simulated_fleet,
)
from smartcity_kit.testing.devices import _farm as farm_module

KEY = SecretBox.generate_key()
PASSWORD = "sim-Passw0rd"  # noqa: S105 - the simulators' default account
WRONG = "Salah-Sandi-99"
FAST = Timeouts(connect=0.5, read=0.5)
T0 = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def farm() -> Iterator[DeviceFarm]:
    with DeviceFarm() as running:
        yield running


@pytest.fixture
def registry(db: Database) -> CameraRegistry:
    return CameraRegistry(db, secrets=SecretBox(KEY))


@attrs.define
class Fleet:
    """Simulated cameras registered in a registry, by camera id."""

    registry: CameraRegistry
    devices: dict[str, SimulatedDevice]

    @property
    def ids(self) -> list[str]:
        return sorted(self.devices)

    def served(self) -> dict[str, int]:
        return {camera_id: d.requests_served for camera_id, d in self.devices.items()}


@pytest.fixture
def make_fleet(farm: DeviceFarm, registry: CameraRegistry) -> Callable[..., Fleet]:
    """Start ``count`` simulated cameras (onvif, isapi, dahua, onvif...) and register them."""

    def make(count: int = 3, **options: Any) -> Fleet:
        first = len(farm.devices)
        rows = simulated_fleet(farm, count, **options)
        registry.import_rows(rows, actor="test")
        devices = farm.devices[first:]
        return Fleet(registry, {row["id"]: d for row, d in zip(rows, devices, strict=True)})

    return make


@pytest.fixture
def monitors(registry: CameraRegistry) -> Iterator[Callable[..., FleetMonitor]]:
    made: list[FleetMonitor] = []

    def make(**options: Any) -> FleetMonitor:
        options.setdefault("timeouts", FAST)
        monitor = FleetMonitor(registry, **options)
        made.append(monitor)
        return monitor

    yield make
    for monitor in made:
        monitor.close()


def polled(monitor: FleetMonitor) -> tuple[PollSummary, dict[str, HealthCheck]]:
    """Poll and return the summary with every check, by camera id."""
    checks: list[HealthCheck] = []
    summary = monitor.poll(progress=checks.append)
    return summary, {c.camera_id: c for c in checks}


def test_a_healthy_mixed_fleet(
    make_fleet: Callable[..., Fleet], monitors: Callable[..., FleetMonitor]
) -> None:
    fleet = make_fleet(3)
    assert [fleet.registry.get(i).protocol.value for i in fleet.ids] == ["onvif", "isapi", "dahua"]
    monitor = monitors()
    summary, checks = polled(monitor)
    assert (summary.checked, summary.online, summary.offline) == (3, 3, 0)
    assert (summary.auth_failed, summary.skipped) == (0, 0)
    # The first poll has nothing to compare with: no changes, no events.
    assert (summary.went_online, summary.went_offline) == ((), ())
    assert monitor.events() == []
    for check in checks.values():
        assert check.online
        assert check.authenticated is True
        assert check.error is None
        assert check.snapshot_ok is None  # not asked
        assert check.latency_ms is not None
    latest = monitor.latest()
    assert [h.camera_id for h in latest] == fleet.ids
    assert all(h.online and h.authenticated for h in latest)
    assert [h.camera_id for h in monitor.latest([fleet.ids[1]])] == [fleet.ids[1]]


@pytest.mark.parametrize("state", [DeviceState.HANG, DeviceState.DOWN])
def test_a_camera_that_does_not_answer_is_offline(
    state: DeviceState,
    farm: DeviceFarm,
    make_fleet: Callable[..., Fleet],
    monitors: Callable[..., FleetMonitor],
) -> None:
    fleet = make_fleet(3)
    dead_id = fleet.ids[1]
    dead = fleet.devices[dead_id]
    farm.set_state(dead, state)
    summary, checks = polled(monitors())
    assert (summary.checked, summary.online, summary.offline) == (3, 2, 1)
    check = checks[dead_id]
    assert not check.online
    assert check.authenticated is None
    assert check.clock_drift is None
    assert check.error is not None
    assert f"127.0.0.1:{dead.port}" in check.error
    assert PASSWORD not in check.error
    assert "admin" not in check.error
    if state is DeviceState.HANG:
        assert "no answer within" in check.error
    else:
        assert "cannot connect" in check.error
    stored = {h.camera_id: h for h in monitors().latest()}
    assert stored[dead_id].error == check.error
    assert not stored[dead_id].online


def test_a_refused_password_is_counted_as_auth_failed(
    make_fleet: Callable[..., Fleet], monitors: Callable[..., FleetMonitor]
) -> None:
    fleet = make_fleet(3)
    onvif_id, isapi_id, dahua_id = fleet.ids
    monitor = monitors()
    summary, _ = polled(monitor)
    assert summary.auth_failed == 0
    # ONVIF refuses every token; the ISAPI camera's stored password is changed to a wrong one
    # (the monitor builds a new adapter for the changed camera).
    fleet.devices[onvif_id].fail("auth")
    fleet.registry.set_credentials(isapi_id, Credentials("admin", WRONG), actor="test")
    summary, checks = polled(monitor)
    assert summary.auth_failed == 2
    assert (summary.online, summary.offline) == (3, 0)
    assert summary.went_offline == ()
    for camera_id in (onvif_id, isapi_id):
        check = checks[camera_id]
        assert check.online
        assert check.authenticated is False
        assert check.error is not None
        assert str(fleet.devices[camera_id].port) in check.error
        assert WRONG not in check.error
        assert PASSWORD not in check.error
    assert checks[dahua_id].authenticated is True
    stored = {h.camera_id: h for h in monitor.latest()}
    assert stored[isapi_id].authenticated is False
    assert stored[dahua_id].authenticated is True


def test_going_offline_and_online_makes_events(
    farm: DeviceFarm, make_fleet: Callable[..., Fleet], monitors: Callable[..., FleetMonitor]
) -> None:
    fleet = make_fleet(3)
    camera_id = fleet.ids[2]
    device = fleet.devices[camera_id]
    monitor = monitors()
    monitor.poll()
    farm.set_state(device, DeviceState.DOWN)
    down = monitor.poll()
    assert down.went_offline == (camera_id,)
    assert down.went_online == ()
    again = monitor.poll()  # still down: no new change
    assert (again.went_offline, again.went_online) == ((), ())
    farm.set_state(device, DeviceState.UP)
    up = monitor.poll()
    assert up.went_online == (camera_id,)
    assert up.went_offline == ()
    newest, oldest = monitor.events(camera_id)
    assert newest.kind is EventKind.DEVICE_ONLINE
    assert oldest.kind is EventKind.DEVICE_OFFLINE
    assert {newest.vendor_type, oldest.vendor_type} == {"fleet-monitor"}
    assert newest.details == {}
    assert "cannot connect" in oldest.details["error"]
    assert PASSWORD not in oldest.details["error"]
    assert newest.at > oldest.at
    assert monitor.events(fleet.ids[0]) == []
    assert len(monitor.events()) == 2
    assert monitor.events(limit=1) == [newest]
    assert monitor.events(since=newest.at) == [newest]
    assert monitor.events(camera_ids=[fleet.ids[0], camera_id]) == [newest, oldest]
    assert monitor.events(camera_ids=fleet.ids[:2]) == []
    assert monitor.events(camera_ids=[]) == []


def test_the_circuit_breaker_stops_contacting_a_dead_camera(
    farm: DeviceFarm, make_fleet: Callable[..., Fleet], monitors: Callable[..., FleetMonitor]
) -> None:
    fleet = make_fleet(3)
    dead_id = fleet.ids[0]
    dead = fleet.devices[dead_id]
    farm.set_state(dead, DeviceState.DOWN)
    monitor = monitors(breaker_failures=2, breaker_cooldown=3600)
    assert monitor.poll().skipped == 0
    assert monitor.poll().skipped == 0  # the second failure in a row opens the breaker
    # Back up, but the breaker is open: the camera is not asked anything.
    farm.set_state(dead, DeviceState.UP)
    before = fleet.served()
    summary, checks = polled(monitor)
    after = fleet.served()
    assert after[dead_id] == before[dead_id]
    assert all(after[i] > before[i] for i in fleet.ids[1:])
    assert summary.skipped == 1
    assert (summary.checked, summary.online, summary.offline) == (3, 2, 1)
    assert checks[dead_id].skipped
    assert not checks[dead_id].online
    error = checks[dead_id].error
    assert error is not None
    assert "not contacted" in error


def test_the_circuit_breaker_closes_after_its_cooldown(
    farm: DeviceFarm, make_fleet: Callable[..., Fleet], monitors: Callable[..., FleetMonitor]
) -> None:
    fleet = make_fleet(1)
    (camera_id,) = fleet.ids
    device = fleet.devices[camera_id]
    farm.set_state(device, DeviceState.DOWN)
    monitor = monitors(breaker_failures=1, breaker_cooldown=0.3)
    assert monitor.poll().offline == 1
    farm.set_state(device, DeviceState.UP)
    assert monitor.poll().skipped == 1
    time.sleep(0.35)
    summary = monitor.poll()
    assert (summary.skipped, summary.online) == (0, 1)
    assert summary.went_online == (camera_id,)


def test_one_success_resets_the_failure_count(
    farm: DeviceFarm, make_fleet: Callable[..., Fleet], monitors: Callable[..., FleetMonitor]
) -> None:
    fleet = make_fleet(1)
    device = fleet.devices[fleet.ids[0]]
    monitor = monitors(breaker_failures=2, breaker_cooldown=3600)
    farm.set_state(device, DeviceState.DOWN)
    monitor.poll()
    farm.set_state(device, DeviceState.UP)
    monitor.poll()
    farm.set_state(device, DeviceState.DOWN)
    # One failure since the success: the breaker stays closed and the camera is tried.
    assert monitor.poll().skipped == 0
    assert monitor.poll().skipped == 0
    assert monitor.poll().skipped == 1


@pytest.mark.parametrize("skew", [120, -45])
def test_clock_drift_is_measured(
    skew: int, make_fleet: Callable[..., Fleet], monitors: Callable[..., FleetMonitor]
) -> None:
    fleet = make_fleet(3)
    for device in fleet.devices.values():
        device.clock_skew = dt.timedelta(seconds=skew)
        # The Dahua simulator shows local time in UTC+8 (WITA), as Makassar's cameras do: the
        # monitor reads it in the camera's city's zone.
        if isinstance(device, DahuaCamera):
            assert device.utc_offset == dt.timedelta(hours=8)
    _, checks = polled(monitors())
    for camera_id, check in checks.items():
        assert check.clock_drift is not None, camera_id
        assert check.clock_drift == pytest.approx(skew, abs=3), camera_id
    stored = monitors().latest()
    assert all(h.clock_drift == pytest.approx(skew, abs=3) for h in stored)


def test_snapshots_are_fetched_when_asked(
    make_fleet: Callable[..., Fleet], monitors: Callable[..., FleetMonitor]
) -> None:
    fleet = make_fleet(3)
    _, checks = polled(monitors(snapshot=True))
    assert {c.snapshot_ok for c in checks.values()} == {True}
    # A camera that answers, but not with a picture: online, snapshot not fetchable.
    isapi_id = fleet.ids[1]
    fleet.devices[isapi_id].fail("not_jpeg")
    summary, checks = polled(monitors(snapshot=True))
    assert summary.online == 3
    assert checks[isapi_id].snapshot_ok is False
    assert checks[isapi_id].online
    assert checks[isapi_id].error is not None
    assert checks[fleet.ids[0]].snapshot_ok is True
    assert summary.snapshot_failed == 1
    stored = {h.camera_id: h for h in monitors().latest()}
    assert stored[isapi_id].snapshot_ok is False
    assert stored[fleet.ids[0]].snapshot_ok is True


def test_uptime_from_status_changes(
    farm: DeviceFarm, make_fleet: Callable[..., Fleet], monitors: Callable[..., FleetMonitor]
) -> None:
    fleet = make_fleet(2, vendor="isapi")
    flaky_id, steady_id = fleet.ids
    flaky = fleet.devices[flaky_id]
    clock = FixedClock(T0)
    monitor = monitors(clock=clock)
    monitor.poll()  # 00:00 both online
    clock.advance(hours=3)
    farm.set_state(flaky, DeviceState.DOWN)
    monitor.poll()  # 03:00 flaky offline
    clock.advance(hours=1)
    farm.set_state(flaky, DeviceState.UP)
    monitor.poll()  # 04:00 flaky online again
    four_hours = T0 + dt.timedelta(hours=4)
    assert monitor.uptime(T0, four_hours) == {flaky_id: 0.75, steady_id: 1.0}
    # After the last check its state holds until the end of the period.
    assert monitor.uptime(T0, T0 + dt.timedelta(hours=5))[flaky_id] == pytest.approx(0.8)
    # Time before the first check is not counted.
    assert monitor.uptime(T0 - dt.timedelta(hours=10), four_hours)[flaky_id] == 0.75
    # Inside the outage only.
    outage = monitor.uptime(T0 + dt.timedelta(hours=3), four_hours, [flaky_id])
    assert outage == {flaky_id: 0.0}
    # Half of it offline: from 02:00 to 04:00.
    assert monitor.uptime(T0 + dt.timedelta(hours=2), four_hours, [flaky_id]) == {flaky_id: 0.5}
    # Before any check, and a camera never checked: unknown.
    assert monitor.uptime(T0 - dt.timedelta(hours=2), T0, [flaky_id]) == {flaky_id: None}
    assert monitor.uptime(T0, four_hours, ["NEVER-1"]) == {"NEVER-1": None}
    # The period is given in any zone.
    wita = dt.timezone(dt.timedelta(hours=8))
    assert monitor.uptime(T0.astimezone(wita), four_hours.astimezone(wita))[flaky_id] == 0.75


def test_uptime_by_kecamatan(
    farm: DeviceFarm,
    registry: CameraRegistry,
    monitors: Callable[..., FleetMonitor],
) -> None:
    rows = simulated_fleet(farm, 4, vendor="isapi", districts=("73.71.10", "73.71.11"))
    # A fifth camera without a kecamatan, in maintenance: never checked.
    unplaced = dict(rows[0], id="SIM-00099", status="maintenance")
    del unplaced["kecamatan"]
    registry.import_rows([*rows, unplaced], actor="test")
    down_id = rows[1]["id"]  # in 73.71.11
    down = farm.devices[1]
    clock = FixedClock(T0)
    monitor = monitors(clock=clock)
    monitor.poll()
    farm.set_state(down, DeviceState.DOWN)
    clock.advance(hours=1)
    monitor.poll()
    clock.advance(hours=1)
    end = clock.now()
    assert monitor.uptime(T0, end)[down_id] == 0.5
    by_district = monitor.uptime_by_district(T0, end)
    assert by_district == {"": None, "73.71.10": 1.0, "73.71.11": 0.75}
    assert monitor.uptime_by_district(T0, end, city="makassar") == by_district
    assert monitor.uptime_by_district(T0, end, city="baubau") == {}


@pytest.mark.parametrize("hours", [0, -1])
def test_uptime_needs_a_period(
    hours: int, make_fleet: Callable[..., Fleet], monitors: Callable[..., FleetMonitor]
) -> None:
    make_fleet(1)
    monitor = monitors()
    with pytest.raises(ValidationError) as raised:
        monitor.uptime(T0, T0 + dt.timedelta(hours=hours))
    assert list(raised.value.fields) == ["end"]
    with pytest.raises(ValidationError):
        monitor.uptime_by_district(T0, T0 + dt.timedelta(hours=hours))


def test_uptime_refuses_times_without_a_zone(
    make_fleet: Callable[..., Fleet], monitors: Callable[..., FleetMonitor]
) -> None:
    make_fleet(1)
    naive = dt.datetime(2026, 3, 2)  # noqa: DTZ001 - the mistake under test
    with pytest.raises(ValidationError):
        monitors().uptime(naive, T0 + dt.timedelta(days=1))


@pytest.mark.parametrize("concurrency", [0, -1, 4097, 2.5, "8", None, True])
def test_concurrency_must_be_a_sensible_whole_number(
    concurrency: object, registry: CameraRegistry
) -> None:
    with pytest.raises(ValidationError) as raised:
        FleetMonitor(registry, concurrency=concurrency)  # type: ignore[arg-type]
    assert list(raised.value.fields) == ["concurrency"]


def test_concurrency_bounds_are_accepted(registry: CameraRegistry) -> None:
    for concurrency in (1, 4096):
        FleetMonitor(registry, concurrency=concurrency).close()


def test_cameras_in_maintenance_are_not_polled_unless_asked(
    make_fleet: Callable[..., Fleet], monitors: Callable[..., FleetMonitor]
) -> None:
    fleet = make_fleet(3)
    resting_id = fleet.ids[1]
    resting = fleet.registry.get(resting_id)
    fleet.registry.update(attrs.evolve(resting, status=CameraStatus.MAINTENANCE), actor="operator")
    monitor = monitors()
    summary, checks = polled(monitor)
    assert summary.checked == 2
    assert resting_id not in checks
    assert fleet.devices[resting_id].requests_served == 0
    assert resting_id not in {h.camera_id for h in monitor.latest()}
    # Given explicitly, it is checked.
    explicit = monitor.poll([fleet.registry.get(resting_id)])
    assert (explicit.checked, explicit.online) == (1, 1)
    assert fleet.devices[resting_id].requests_served > 0


def test_adapters_are_kept_between_polls_until_the_camera_changes(
    make_fleet: Callable[..., Fleet], monitors: Callable[..., FleetMonitor]
) -> None:
    fleet = make_fleet(1, vendor="isapi")
    (camera_id,) = fleet.ids
    device = fleet.devices[camera_id]
    monitor = monitors()

    def served_by_one_poll() -> int:
        before = device.requests_served
        assert monitor.poll().online == 1
        return device.requests_served - before

    # A new adapter is challenged for Digest (two round trips); a kept one knows the nonce.
    assert served_by_one_poll() == 2
    assert served_by_one_poll() == 1
    assert served_by_one_poll() == 1
    camera = fleet.registry.get(camera_id)
    fleet.registry.update(attrs.evolve(camera, name="Pantai Losari (pindah)"), actor="operator")
    assert served_by_one_poll() == 2
    assert served_by_one_poll() == 1


def test_check_one_camera(
    make_fleet: Callable[..., Fleet], monitors: Callable[..., FleetMonitor]
) -> None:
    fleet = make_fleet(2)
    monitor = monitors()
    check = monitor.check(fleet.registry.get(fleet.ids[0]))
    assert check.camera_id == fleet.ids[0]
    assert check.online
    assert check.authenticated is True
    # A check alone stores nothing.
    assert monitor.latest() == []


def test_recorded_events_come_back_newest_first(
    make_fleet: Callable[..., Fleet], monitors: Callable[..., FleetMonitor]
) -> None:
    fleet = make_fleet(2)
    first_id, second_id = fleet.ids
    monitor = monitors()
    recorded = [
        CameraEvent(
            first_id,
            EventKind.MOTION,
            T0,
            vendor_type="tns1:VideoSource/MotionAlarm",
            details={"Source": "VideoSource_1"},
        ),
        CameraEvent(first_id, EventKind.MOTION, T0 + dt.timedelta(seconds=5), active=False),
        CameraEvent(
            second_id,
            EventKind.LINE_CROSSING,
            T0 + dt.timedelta(seconds=9),
            vendor_type="linedetection",
            channel=2,
        ),
    ]
    assert monitor.record_events(recorded) == 3
    assert monitor.record_events([]) == 0
    assert monitor.events() == recorded[::-1]
    assert monitor.events(first_id) == recorded[1::-1]
    assert monitor.events(second_id)[0].channel == 2
    assert monitor.events(first_id, since=T0 + dt.timedelta(seconds=1)) == [recorded[1]]
    assert monitor.events(limit=2) == recorded[:0:-1]
    with pytest.raises(ValidationError):
        monitor.events(since=dt.datetime(2026, 3, 2))  # noqa: DTZ001 - the mistake under test


# --- _share_online: the uptime arithmetic ------------------------------------------------------

_START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@st.composite
def timelines(
    draw: st.DrawFn, states: st.SearchStrategy[bool] | None = None
) -> tuple[list[tuple[dt.datetime, bool]], dt.datetime, dt.datetime]:
    """A period of whole seconds and a sorted timeline of changes before its end."""
    length = draw(st.integers(1, 400))
    offsets = draw(st.lists(st.integers(-200, length - 1), max_size=12))
    flags = states if states is not None else st.booleans()
    timeline = [(_START + dt.timedelta(seconds=s), draw(flags)) for s in sorted(offsets)]
    return timeline, _START, _START + dt.timedelta(seconds=length)


def _brute_force(
    timeline: list[tuple[dt.datetime, bool]], start: dt.datetime, end: dt.datetime
) -> float | None:
    """Second by second: the state of each second is that of the last change at or before it."""
    online = known = 0
    for second in range(int((end - start).total_seconds())):
        now = start + dt.timedelta(seconds=second)
        states = [is_online for at, is_online in timeline if at <= now]
        if states:
            known += 1
            online += states[-1]
    return online / known if known else None


@given(timelines())
def test_share_online_is_a_share_or_unknown(
    case: tuple[list[tuple[dt.datetime, bool]], dt.datetime, dt.datetime],
) -> None:
    share = _share_online(*case)
    timeline = case[0]
    assert (share is None) == (not timeline)
    assert share is None or 0.0 <= share <= 1.0


@given(timelines(states=st.just(value=True)))
def test_share_online_of_an_always_online_camera_is_one(
    case: tuple[list[tuple[dt.datetime, bool]], dt.datetime, dt.datetime],
) -> None:
    assert _share_online(*case) in (1.0, None)


@given(timelines(states=st.just(value=False)))
def test_share_online_of_an_always_offline_camera_is_zero(
    case: tuple[list[tuple[dt.datetime, bool]], dt.datetime, dt.datetime],
) -> None:
    assert _share_online(*case) in (0.0, None)


@given(timelines())
def test_share_online_matches_a_second_by_second_count(
    case: tuple[list[tuple[dt.datetime, bool]], dt.datetime, dt.datetime],
) -> None:
    expected = _brute_force(*case)
    share = _share_online(*case)
    if expected is None:
        assert share is None
    else:
        assert share == pytest.approx(expected)


def test_an_odd_answer_fails_that_camera_only(
    make_fleet: Callable[..., Fleet],
    monitors: Callable[..., FleetMonitor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fleet = make_fleet(3)
    monitor = monitors()
    odd_id = fleet.ids[0]
    adapter = monitor._adapter(fleet.registry.get(odd_id), fleet.registry.credentials(odd_id))

    def broken_clock() -> dt.datetime:
        raise OverflowError("date value out of range")  # a device that reports year 1

    monkeypatch.setattr(adapter, "clock", broken_clock)
    summary, checks = polled(monitor)
    assert summary.checked == 3
    assert summary.online == 2
    assert not checks[odd_id].online
    assert checks[odd_id].error is not None
    assert "unexpected answer (OverflowError)" in str(checks[odd_id].error)


def test_credentials_sealed_with_another_key(
    db: Database,
    make_fleet: Callable[..., Fleet],
    monitors: Callable[..., FleetMonitor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fleet = make_fleet(2, vendor="isapi")
    monitors().poll()
    # Another key: the cameras are not contacted, and nothing is stored as going down.
    other = CameraRegistry(db, secrets=SecretBox(SecretBox.generate_key()))
    summary = FleetMonitor(other, timeouts=FAST).poll()
    assert (summary.checked, summary.skipped, summary.went_offline) == (2, 2, ())
    assert {h.online for h in monitors().latest()} == {True}
    # No key at all: a configuration error before any camera is contacted.
    monkeypatch.delenv("SMARTCITY_SECRET_KEY", raising=False)
    served = fleet.served()
    with pytest.raises(ConfigurationError, match="set SMARTCITY_SECRET_KEY"):
        FleetMonitor(CameraRegistry(db, secrets=None), timeouts=FAST).poll()
    assert fleet.served() == served


def test_a_camera_without_stored_credentials_that_needs_them(
    make_fleet: Callable[..., Fleet], monitors: Callable[..., FleetMonitor]
) -> None:
    fleet = make_fleet(1, vendor="isapi")
    fleet.registry.set_credentials(fleet.ids[0], None, actor="test")
    summary, checks = polled(monitors())
    assert summary.auth_failed == 1
    check = checks[fleet.ids[0]]
    assert check.online
    assert check.authenticated is False
    assert check.error is not None
    assert "no credentials are stored" in check.error


def test_a_connection_the_camera_closed_while_idle_is_not_an_outage(
    make_fleet: Callable[..., Fleet],
    monitors: Callable[..., FleetMonitor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Cameras drop kept-alive connections after a while; the next poll must reconnect.
    monkeypatch.setattr(farm_module, "_IDLE_SECONDS", 0.1)
    make_fleet(3)
    monitor = monitors()
    assert monitor.poll().online == 3
    time.sleep(0.4)
    summary = monitor.poll()
    assert (summary.online, summary.went_offline) == (3, ())
