from __future__ import annotations

import contextlib
import datetime as dt
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from smartcity_kit.core import TimeZone
from smartcity_kit.errors import (
    DeviceAuthError,
    DeviceError,
    DeviceProtocolError,
    DeviceUnreachableError,
    ValidationError,
)
from smartcity_kit.security import CameraEvent, EventKind
from smartcity_kit.security.adapters import CameraAdapter, Credentials, Endpoint, Timeouts
from smartcity_kit.security.adapters._dahua import DahuaAdapter
from smartcity_kit.security.adapters._multipart import EventStreamPolicy, Part
from smartcity_kit.testing.devices import DeviceFarm, DeviceState
from smartcity_kit.testing.devices._dahua import DahuaCamera
from smartcity_kit.testing.devices._jpeg import TINY_JPEG

PASSWORD = "sim-Passw0rd"  # noqa: S105 - the simulator's default account
FAST = Timeouts(connect=1.0, read=1.0)
POLICY = EventStreamPolicy(idle_timeout=1.0, first_delay=0.05, max_delay=0.2, give_up_after=1.0)
WITA = dt.timedelta(hours=8)


@pytest.fixture(scope="module")
def farm() -> Iterator[DeviceFarm]:
    with DeviceFarm() as farm:
        yield farm


@pytest.fixture
def add(farm: DeviceFarm) -> Callable[..., DahuaCamera]:
    def add(**settings: Any) -> DahuaCamera:
        settings.setdefault("heartbeat_interval", 0.05)
        camera = DahuaCamera(**settings)
        farm.add(camera)
        return camera

    return add


def adapter_for(  # noqa: PLR0913 - test knobs
    camera: DahuaCamera,
    *,
    password: str = PASSWORD,
    channel: int = 1,
    timeouts: Timeouts = FAST,
    policy: EventStreamPolicy = POLICY,
    zone: dt.tzinfo = dt.timezone(WITA),
) -> DahuaAdapter:
    return DahuaAdapter(
        Endpoint("127.0.0.1", camera.port, channel=channel),
        Credentials("admin", password),
        timeouts=timeouts,
        event_stream=policy,
        device_timezone=zone,
    )


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting")
        time.sleep(0.01)


class Collector:
    """Follows adapter.events() in a thread."""

    def __init__(self, adapter: CameraAdapter) -> None:
        self.stop = threading.Event()
        self.events: queue.Queue[CameraEvent] = queue.Queue()
        self.error: DeviceError | None = None
        self.thread = threading.Thread(target=self._run, args=(adapter,), daemon=True)
        self.thread.start()

    def _run(self, adapter: CameraAdapter) -> None:
        try:
            for event in adapter.events("cam-7", stop=self.stop):
                self.events.put(event)
        except DeviceError as e:
            self.error = e

    def next(self, timeout: float = 5.0) -> CameraEvent:
        return self.events.get(timeout=timeout)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        assert not self.thread.is_alive()


@contextlib.contextmanager
def following(adapter: CameraAdapter, camera: DahuaCamera) -> Iterator[Collector]:
    collector = Collector(adapter)
    try:
        wait_until(lambda: camera.streams.open >= 1)
        yield collector
    finally:
        collector.close()


# --- device info, profiles, snapshot, clock ---------------------------------------------------


@pytest.mark.parametrize("legacy", [False, True])
def test_device_info_from_magic_box(add: Callable[..., DahuaCamera], legacy: bool) -> None:
    camera = add(model="IPC-HDW5442TM-AS", legacy_system_info=legacy)
    info = adapter_for(camera).device_info()
    assert info.manufacturer == "Dahua"
    assert info.model == "IPC-HDW5442TM-AS"
    assert info.serial == camera.serial
    assert info.firmware == camera.firmware
    assert info.hardware_id == "1.00"


def test_the_adapter_is_a_camera_adapter(add: Callable[..., DahuaCamera]) -> None:
    adapter = adapter_for(add())
    assert isinstance(adapter, CameraAdapter)
    assert adapter.endpoint.port > 0
    adapter.close()


def test_profiles_main_and_sub_without_credentials(add: Callable[..., DahuaCamera]) -> None:
    camera = add(channels=2)
    profiles = adapter_for(camera, channel=2).profiles()
    assert [(p.token, p.name) for p in profiles] == [("0", "MainFormat"), ("1", "ExtraFormat")]
    assert [p.rtsp_uri for p in profiles] == [
        "rtsp://127.0.0.1:554/cam/realmonitor?channel=2&subtype=0",
        "rtsp://127.0.0.1:554/cam/realmonitor?channel=2&subtype=1",
    ]
    assert profiles[0].snapshot_uri == (
        f"http://127.0.0.1:{camera.port}/cgi-bin/snapshot.cgi?channel=2"
    )
    assert (profiles[0].width, profiles[0].height, profiles[0].encoding) == (2688, 1520, "H264")
    assert profiles[1].encoding == "H265"
    assert all("admin" not in p.rtsp_uri and PASSWORD not in repr(p) for p in profiles)
    assert adapter_for(camera, channel=3).profiles() == []


def test_snapshot_is_a_jpeg(add: Callable[..., DahuaCamera]) -> None:
    camera = add(channels=2)
    adapter = adapter_for(camera, channel=2)
    assert adapter.snapshot() == TINY_JPEG
    assert adapter.snapshot("1") == TINY_JPEG
    with pytest.raises(ValidationError):
        adapter.snapshot("101")
    with pytest.raises(DeviceProtocolError, match="Bad Request!"):
        adapter_for(camera, channel=3).snapshot()


@pytest.mark.parametrize(
    ("skew", "offset", "zone"),
    [
        (dt.timedelta(seconds=75), WITA, TimeZone.WITA.zone),
        (dt.timedelta(minutes=-3), dt.timedelta(hours=7), TimeZone.WIB.zone),
        (dt.timedelta(0), dt.timedelta(0), dt.UTC),
        (dt.timedelta(hours=2), dt.timedelta(hours=-4), dt.timezone(dt.timedelta(hours=-4))),
    ],
)
def test_clock_is_read_in_the_device_timezone(
    add: Callable[..., DahuaCamera], skew: dt.timedelta, offset: dt.timedelta, zone: dt.tzinfo
) -> None:
    camera = add(clock_skew=skew, utc_offset=offset)
    clock = adapter_for(camera, zone=zone).clock()
    assert clock.tzinfo is dt.UTC
    assert abs((clock - (dt.datetime.now(dt.UTC) + skew)).total_seconds()) < 3


def test_the_device_timezone_defaults_to_utc(add: Callable[..., DahuaCamera]) -> None:
    camera = add(utc_offset=WITA)
    adapter = DahuaAdapter(Endpoint("127.0.0.1", camera.port), Credentials("admin", PASSWORD))
    off = adapter.clock() - dt.datetime.now(dt.UTC)
    assert abs((off - WITA).total_seconds()) < 3  # a WITA clock read as UTC is 8 h ahead
    with pytest.raises(ValidationError):
        DahuaAdapter(adapter.endpoint, None, device_timezone="Asia/Makassar")  # type: ignore[arg-type]


# --- events -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        (EventKind.MOTION, "VideoMotion"),
        (EventKind.TAMPER, "VideoBlind"),
        (EventKind.VIDEO_LOSS, "VideoLoss"),
        (EventKind.LINE_CROSSING, "CrossLineDetection"),
        (EventKind.INTRUSION, "CrossRegionDetection"),
        (EventKind.OTHER, "AlarmLocal"),
    ],
)
def test_each_kind_of_event(add: Callable[..., DahuaCamera], kind: EventKind, code: str) -> None:
    camera = add(channels=4)
    before = dt.datetime.now(dt.UTC)
    with following(adapter_for(camera, channel=3), camera) as events:
        camera.trigger(kind, channel=1)  # another channel of the NVR: another camera
        camera.trigger(kind, channel=3)
        camera.trigger(kind, active=False, channel=3)
        start, end = events.next(), events.next()
    assert (start.kind, start.active, start.vendor_type) == (kind, True, code)
    assert (end.kind, end.active) == (kind, False)
    assert start.camera_id == "cam-7"
    assert start.channel == 3
    assert start.details == {"action": "Start", "index": "2"}
    assert before <= start.at <= dt.datetime.now(dt.UTC)


def test_heartbeats_are_dropped(add: Callable[..., DahuaCamera]) -> None:
    camera = add(heartbeat_interval=0.02)
    with following(adapter_for(camera), camera) as events:
        time.sleep(0.3)
        camera.trigger(EventKind.MOTION)
        assert events.next().kind is EventKind.MOTION
        time.sleep(0.2)
        assert events.events.empty()


def test_the_simulator_reports_camera_events_only(add: Callable[..., DahuaCamera]) -> None:
    with pytest.raises(ValueError, match="does not report"):
        add().trigger(EventKind.DEVICE_ONLINE)


@pytest.mark.parametrize(
    ("boundary", "header_boundary"),
    [("myboundary", None), ("myboundary", "--myboundary"), ("Boundary-42", '"Boundary-42"')],
)
def test_varying_boundaries(
    add: Callable[..., DahuaCamera], boundary: str, header_boundary: str | None
) -> None:
    camera = add(boundary=boundary, header_boundary=header_boundary)
    with following(adapter_for(camera), camera) as events:
        camera.trigger(EventKind.TAMPER)
        assert events.next().kind is EventKind.TAMPER


def test_a_dropped_stream_is_reopened(add: Callable[..., DahuaCamera]) -> None:
    camera = add(drop_after=0.3)
    with following(adapter_for(camera), camera) as events:
        camera.trigger(EventKind.MOTION)
        assert events.next().kind is EventKind.MOTION
        wait_until(lambda: camera.streams.served >= 3 and camera.streams.open == 1)
        camera.trigger(EventKind.VIDEO_LOSS)
        assert events.next().kind is EventKind.VIDEO_LOSS
        assert events.error is None


def test_events_resume_after_a_reboot(farm: DeviceFarm, add: Callable[..., DahuaCamera]) -> None:
    camera = add()
    with following(adapter_for(camera), camera) as events:
        farm.reboot(camera, seconds=0.2)
        wait_until(lambda: camera.streams.served >= 2 and camera.streams.open == 1)
        camera.trigger(EventKind.INTRUSION)
        assert events.next().kind is EventKind.INTRUSION


def test_the_attach_request_asks_for_heartbeats(add: Callable[..., DahuaCamera]) -> None:
    camera = add()
    adapter = adapter_for(camera, policy=EventStreamPolicy(idle_timeout=30.0))
    response = adapter._open_attach()
    try:
        # The HTTP stack percent-encodes the brackets; Dahua firmware decodes them.
        assert response.url.endswith("action=attach&codes=%5BAll%5D&heartbeat=10")
    finally:
        response.close()


def test_parts_with_several_events_and_data(add: Callable[..., DahuaCamera]) -> None:
    adapter = adapter_for(add())
    text = (
        "Code=CrossLineDetection;action=Pulse;index=0;data={\n"
        '   "Direction" : "LeftToRight",\n   "Name" : "Rule1"\n}\n'
        "Code=VideoMotion;action=Stop;index=x\n"
        "Heartbeat\n"
        "Code=;action=Start\n"
    )
    events = list(adapter._events_in("c", Part({"content-type": "text/plain"}, text.encode())))
    assert [(e.kind, e.active, e.channel) for e in events] == [
        (EventKind.LINE_CROSSING, True, 1),
        (EventKind.MOTION, False, None),
    ]
    assert events[0].details["data"].startswith('{\n   "Direction"')
    assert list(adapter._events_in("c", Part({"content-type": "image/jpeg"}, TINY_JPEG))) == []


# --- authentication ---------------------------------------------------------------------------


def test_basic_only_device_is_spoken_to_in_basic(add: Callable[..., DahuaCamera]) -> None:
    camera = add(http_auth="basic")
    adapter_for(camera).clock()
    assert camera.requests_served == 1


def test_digest_device_after_one_challenge(add: Callable[..., DahuaCamera]) -> None:
    camera = add()
    adapter = adapter_for(camera)
    adapter.clock()
    first = camera.requests_served
    adapter.snapshot()
    assert camera.requests_served == first + 1


def test_wrong_password_is_an_auth_error_without_the_password(
    add: Callable[..., DahuaCamera],
) -> None:
    camera = add()
    wrong = "Wr0ng-Secret-77"
    adapter = adapter_for(camera, password=wrong)
    with pytest.raises(DeviceAuthError) as caught:
        adapter.device_info()
    for text in (str(caught.value), repr(caught.value), repr(adapter)):
        assert wrong not in text
        assert PASSWORD not in text
    with pytest.raises(DeviceAuthError):
        next(adapter.events("cam-7"))


# --- unreachable devices and faults -----------------------------------------------------------


def test_down_device_is_unreachable(farm: DeviceFarm, add: Callable[..., DahuaCamera]) -> None:
    camera = add()
    farm.set_state(camera, DeviceState.DOWN)
    adapter = adapter_for(camera)
    with pytest.raises(DeviceUnreachableError, match="cannot connect"):
        adapter.clock()
    with pytest.raises(DeviceUnreachableError):
        next(adapter.events("cam-7"))


def test_hung_device_is_unreachable_after_the_read_timeout(
    farm: DeviceFarm, add: Callable[..., DahuaCamera]
) -> None:
    camera = add()
    farm.set_state(camera, DeviceState.HANG)
    adapter = adapter_for(
        camera,
        timeouts=Timeouts(connect=1.0, read=0.2),
        policy=EventStreamPolicy(idle_timeout=0.2),
    )
    started = time.monotonic()
    with pytest.raises(DeviceUnreachableError, match="no answer"):
        adapter.device_info()
    with pytest.raises(DeviceUnreachableError):
        next(adapter.events("cam-7"))
    assert time.monotonic() - started < 2.0


def call(adapter: DahuaAdapter, operation: str) -> object:
    if operation == "events":
        return next(adapter.events("cam-7"))
    return getattr(adapter, operation)()


@pytest.mark.parametrize("operation", ["device_info", "profiles", "snapshot", "clock", "events"])
@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("bad_request", "answered an error: Bad Request!"),
        ("garbage", "answered no|not a JPEG|not a multipart|unreadable"),
        ("http500", "HTTP 500"),
    ],
)
def test_faults_on_every_operation(
    add: Callable[..., DahuaCamera], operation: str, fault: str, message: str
) -> None:
    camera = add()
    camera.fail(fault)
    with pytest.raises(DeviceProtocolError, match=message):
        call(adapter_for(camera), operation)


@pytest.mark.parametrize("operation", ["device_info", "profiles", "snapshot", "clock"])
def test_an_answer_cut_off_is_unreachable(add: Callable[..., DahuaCamera], operation: str) -> None:
    camera = add()
    camera.fail("cut")
    with pytest.raises(DeviceUnreachableError, match="cut off"):
        call(adapter_for(camera), operation)


def test_an_event_stream_always_cut_off_is_given_up(add: Callable[..., DahuaCamera]) -> None:
    camera = add()
    camera.fail("cut")
    policy = EventStreamPolicy(idle_timeout=1.0, first_delay=0.02, give_up_after=0.3)
    with pytest.raises(DeviceUnreachableError, match="closed before"):
        next(adapter_for(camera, policy=policy).events("cam-7"))


def test_a_snapshot_that_is_not_a_jpeg(add: Callable[..., DahuaCamera]) -> None:
    camera = add()
    camera.fail("not_jpeg")
    with pytest.raises(DeviceProtocolError, match="not a JPEG"):
        adapter_for(camera).snapshot()
