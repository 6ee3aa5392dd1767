from __future__ import annotations

import contextlib
import datetime as dt
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest

from smartcity_kit.errors import (
    DeviceAuthError,
    DeviceError,
    DeviceProtocolError,
    DeviceUnreachableError,
    ValidationError,
)
from smartcity_kit.security import CameraEvent, EventKind
from smartcity_kit.security.adapters import CameraAdapter, Credentials, Endpoint, Timeouts
from smartcity_kit.security.adapters._isapi import IsapiAdapter
from smartcity_kit.security.adapters._multipart import EventStreamPolicy, Part
from smartcity_kit.testing.devices import DeviceFarm, DeviceState
from smartcity_kit.testing.devices._isapi import (
    HIKVISION_NAMESPACE,
    ISAPI_NAMESPACE,
    HikvisionCamera,
)
from smartcity_kit.testing.devices._jpeg import TINY_JPEG

PASSWORD = "sim-Passw0rd"  # noqa: S105 - the simulator's default account
FAST = Timeouts(connect=1.0, read=1.0)
POLICY = EventStreamPolicy(idle_timeout=1.0, first_delay=0.05, max_delay=0.2, give_up_after=1.0)


@pytest.fixture(scope="module")
def farm() -> Iterator[DeviceFarm]:
    with DeviceFarm() as farm:
        yield farm


@pytest.fixture
def add(farm: DeviceFarm) -> Callable[..., HikvisionCamera]:
    def add(**settings: Any) -> HikvisionCamera:
        settings.setdefault("heartbeat_interval", 0.05)
        camera = HikvisionCamera(**settings)
        farm.add(camera)
        return camera

    return add


def adapter_for(
    camera: HikvisionCamera,
    *,
    password: str = PASSWORD,
    channel: int = 1,
    timeouts: Timeouts = FAST,
    policy: EventStreamPolicy = POLICY,
) -> IsapiAdapter:
    return IsapiAdapter(
        Endpoint("127.0.0.1", camera.port, channel=channel, rtsp_port=8554),
        Credentials("admin", password),
        timeouts=timeouts,
        event_stream=policy,
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
            for event in adapter.events("cam-1", stop=self.stop):
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
def following(adapter: CameraAdapter, camera: HikvisionCamera) -> Iterator[Collector]:
    collector = Collector(adapter)
    try:
        wait_until(lambda: camera.streams.open >= 1)
        yield collector
    finally:
        collector.close()


def near(instant: dt.datetime, expected: dt.datetime, seconds: float = 3.0) -> bool:
    return instant.tzinfo is dt.UTC and abs((instant - expected).total_seconds()) < seconds


# --- device info, profiles, snapshot, clock ---------------------------------------------------


@pytest.mark.parametrize("namespace", [HIKVISION_NAMESPACE, ISAPI_NAMESPACE, ""])
def test_device_info_in_any_namespace(add: Callable[..., HikvisionCamera], namespace: str) -> None:
    camera = add(namespace=namespace, model="DS-2CD2387G2-LU", firmware="V5.7.11")
    info = adapter_for(camera).device_info()
    assert info.manufacturer == "HIKVISION"
    assert info.model == "DS-2CD2387G2-LU"
    assert info.firmware == "V5.7.11"
    assert info.serial == camera.serial
    assert info.hardware_id == "IPCamera"


def test_the_adapter_is_a_camera_adapter(add: Callable[..., HikvisionCamera]) -> None:
    adapter = adapter_for(add())
    assert isinstance(adapter, CameraAdapter)
    assert adapter.endpoint.host == "127.0.0.1"
    adapter.close()


def test_profiles_main_first_without_credentials(add: Callable[..., HikvisionCamera]) -> None:
    camera = add()
    profiles = adapter_for(camera).profiles()
    assert [(p.token, p.name) for p in profiles] == [("101", "mainStream"), ("102", "subStream")]
    main = profiles[0]
    assert main.rtsp_uri == "rtsp://127.0.0.1:8554/Streaming/Channels/101"
    assert main.snapshot_uri == (
        f"http://127.0.0.1:{camera.port}/ISAPI/Streaming/channels/101/picture"
    )
    assert (main.width, main.height, main.encoding) == (1920, 1080, "H264")
    assert profiles[1].encoding == "H265"
    for profile in profiles:
        assert "admin" not in profile.rtsp_uri
        assert PASSWORD not in repr(profile)


def test_profiles_of_an_nvr_channel(add: Callable[..., HikvisionCamera]) -> None:
    camera = add(channels=4)
    assert [p.token for p in adapter_for(camera, channel=3).profiles()] == ["301", "302"]
    assert adapter_for(camera, channel=5).profiles() == []


def test_snapshot_is_a_jpeg(add: Callable[..., HikvisionCamera]) -> None:
    camera = add(channels=2)
    adapter = adapter_for(camera, channel=2)
    assert adapter.snapshot() == TINY_JPEG
    assert adapter.snapshot("102") == TINY_JPEG
    with pytest.raises(ValidationError):
        adapter.snapshot("../../System/deviceInfo")
    with pytest.raises(DeviceProtocolError, match="Invalid Operation"):
        adapter.snapshot("901")


@pytest.mark.parametrize(
    ("skew", "offset", "with_offset"),
    [
        (dt.timedelta(seconds=90), dt.timedelta(hours=8), True),
        (dt.timedelta(minutes=-7), dt.timedelta(hours=7), False),
        (dt.timedelta(0), dt.timedelta(hours=-5, minutes=-30), True),
        (dt.timedelta(hours=1), dt.timedelta(hours=-3), False),
    ],
)
def test_clock_is_utc_whatever_the_zone(
    add: Callable[..., HikvisionCamera],
    skew: dt.timedelta,
    offset: dt.timedelta,
    with_offset: bool,
) -> None:
    camera = add(clock_skew=skew, utc_offset=offset, offset_in_local_time=with_offset)
    assert near(adapter_for(camera).clock(), dt.datetime.now(dt.UTC) + skew)


# --- events -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "vendor_type"),
    [
        (EventKind.MOTION, "vmd"),
        (EventKind.TAMPER, "tamperdetection"),
        (EventKind.VIDEO_LOSS, "videoloss"),
        (EventKind.LINE_CROSSING, "linedetection"),
        (EventKind.INTRUSION, "fielddetection"),
        (EventKind.OTHER, "PIR"),
    ],
)
def test_each_kind_of_event(
    add: Callable[..., HikvisionCamera], kind: EventKind, vendor_type: str
) -> None:
    skew = dt.timedelta(seconds=-45)
    camera = add(clock_skew=skew, channels=2)
    with following(adapter_for(camera, channel=2), camera) as events:
        camera.trigger(kind, channel=1)  # another channel of the NVR: another camera
        camera.trigger(kind, channel=2)
        camera.trigger(kind, active=False, channel=2)
        start, end = events.next(), events.next()
    assert (start.kind, start.active, start.vendor_type) == (kind, True, vendor_type)
    assert (end.kind, end.active) == (kind, False)
    assert start.camera_id == "cam-1"
    assert start.channel == 2
    assert near(start.at, dt.datetime.now(dt.UTC) + skew)
    assert start.details["activePostCount"] == "1"


def test_heartbeats_are_dropped(add: Callable[..., HikvisionCamera]) -> None:
    camera = add(heartbeat_interval=0.02)
    with following(adapter_for(camera), camera) as events:
        time.sleep(0.3)  # a dozen heartbeats
        camera.trigger(EventKind.MOTION)
        assert events.next().kind is EventKind.MOTION
        time.sleep(0.2)
        assert events.events.empty()


def test_an_unknown_event_type_is_other_with_its_name(add: Callable[..., HikvisionCamera]) -> None:
    camera = add()
    with following(adapter_for(camera), camera) as events:
        camera.trigger(EventKind.OTHER, vendor_type="facedetection")
        event = events.next()
    assert (event.kind, event.vendor_type) == (EventKind.OTHER, "facedetection")


def test_the_simulator_reports_camera_events_only(add: Callable[..., HikvisionCamera]) -> None:
    with pytest.raises(ValueError, match="does not report"):
        add().trigger(EventKind.DEVICE_OFFLINE)


@pytest.mark.parametrize(
    ("boundary", "header_boundary"),
    [
        ("boundary", None),
        ("MIME_boundary", None),
        ("boundary", "--boundary"),
        ("0123456789abcdef", '"0123456789abcdef"'),
        ("boundary", ""),  # no boundary in the header: the vendor's usual one
    ],
)
def test_varying_boundaries(
    add: Callable[..., HikvisionCamera], boundary: str, header_boundary: str | None
) -> None:
    camera = add(boundary=boundary, header_boundary=header_boundary)
    with following(adapter_for(camera), camera) as events:
        camera.trigger(EventKind.INTRUSION)
        assert events.next().kind is EventKind.INTRUSION


def test_a_dropped_stream_is_reopened(add: Callable[..., HikvisionCamera]) -> None:
    camera = add(drop_after=0.3)
    with following(adapter_for(camera), camera) as events:
        camera.trigger(EventKind.MOTION)
        assert events.next().kind is EventKind.MOTION
        wait_until(lambda: camera.streams.served >= 3 and camera.streams.open == 1)
        camera.trigger(EventKind.TAMPER)
        assert events.next().kind is EventKind.TAMPER
        assert events.error is None


def test_events_resume_after_a_reboot(
    farm: DeviceFarm, add: Callable[..., HikvisionCamera]
) -> None:
    camera = add()
    with following(adapter_for(camera), camera) as events:
        farm.reboot(camera, seconds=0.2)
        wait_until(lambda: camera.streams.served >= 2 and camera.streams.open == 1)
        camera.trigger(EventKind.LINE_CROSSING)
        assert events.next().kind is EventKind.LINE_CROSSING
        assert events.error is None


def test_events_give_up_when_the_device_stays_away(
    farm: DeviceFarm, add: Callable[..., HikvisionCamera]
) -> None:
    camera = add()
    collector = Collector(adapter_for(camera))
    wait_until(lambda: camera.streams.open == 1)
    farm.set_state(camera, DeviceState.DOWN)
    camera.forget_sessions()
    collector.thread.join(5)
    assert isinstance(collector.error, DeviceUnreachableError)
    farm.set_state(camera, DeviceState.UP)


def test_stop_ends_the_events(add: Callable[..., HikvisionCamera]) -> None:
    camera = add()
    collector = Collector(adapter_for(camera))
    wait_until(lambda: camera.streams.open == 1)
    started = time.monotonic()
    collector.close()
    assert time.monotonic() - started < 1.0
    assert collector.error is None


def test_closing_the_generator_closes_the_stream(add: Callable[..., HikvisionCamera]) -> None:
    camera = add()
    stream = adapter_for(camera).events("cam-1")
    assert isinstance(stream, Generator)

    def trigger_when_open() -> None:
        wait_until(lambda: camera.streams.open == 1)
        camera.trigger(EventKind.MOTION)

    threading.Thread(target=trigger_when_open, daemon=True).start()
    assert next(stream).kind is EventKind.MOTION
    stream.close()
    wait_until(lambda: camera.streams.open == 0)


# --- authentication ---------------------------------------------------------------------------


def test_basic_only_device_is_spoken_to_in_basic(add: Callable[..., HikvisionCamera]) -> None:
    camera = add(http_auth="basic")
    adapter = adapter_for(camera)
    adapter.device_info()
    assert camera.requests_served == 1  # no challenge: Basic was taken at once


def test_digest_device_after_one_challenge(add: Callable[..., HikvisionCamera]) -> None:
    camera = add(http_auth="digest")
    adapter = adapter_for(camera)
    adapter.device_info()
    first = camera.requests_served
    adapter.clock()
    assert camera.requests_served == first + 1  # Digest from then on, no new challenge


def test_wrong_password_is_an_auth_error_without_the_password(
    add: Callable[..., HikvisionCamera],
) -> None:
    camera = add()
    wrong = "Wr0ng-Secret-99"
    adapter = adapter_for(camera, password=wrong)
    with pytest.raises(DeviceAuthError) as caught:
        adapter.device_info()
    for text in (str(caught.value), repr(caught.value), repr(adapter)):
        assert wrong not in text
        assert PASSWORD not in text
    assert f"127.0.0.1:{camera.port}" in str(caught.value)
    with pytest.raises(DeviceAuthError):
        next(adapter.events("cam-1"))


# --- unreachable devices and faults -----------------------------------------------------------


def test_down_device_is_unreachable(farm: DeviceFarm, add: Callable[..., HikvisionCamera]) -> None:
    camera = add()
    farm.set_state(camera, DeviceState.DOWN)
    adapter = adapter_for(camera)
    with pytest.raises(DeviceUnreachableError, match="cannot connect"):
        adapter.device_info()
    with pytest.raises(DeviceUnreachableError):
        next(adapter.events("cam-1"))


def test_hung_device_is_unreachable_after_the_read_timeout(
    farm: DeviceFarm, add: Callable[..., HikvisionCamera]
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
        adapter.snapshot()
    with pytest.raises(DeviceUnreachableError):
        next(adapter.events("cam-1"))
    assert time.monotonic() - started < 2.0


def call(adapter: IsapiAdapter, operation: str) -> object:
    if operation == "events":
        return next(adapter.events("cam-1"))
    return getattr(adapter, operation)()


OPERATIONS = ["device_info", "profiles", "snapshot", "clock", "events"]


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize(
    ("fault", "error", "message"),
    [
        ("status4", DeviceProtocolError, "'Invalid Operation' \\(statusCode 4, notSupport\\)"),
        ("garbage", DeviceProtocolError, "not well-formed XML|not a JPEG|not a multipart"),
        ("http500", DeviceProtocolError, "HTTP 500"),
    ],
)
def test_faults_on_every_operation(
    add: Callable[..., HikvisionCamera],
    operation: str,
    fault: str,
    error: type[DeviceError],
    message: str,
) -> None:
    camera = add()
    camera.fail(fault)
    with pytest.raises(error, match=message):
        call(adapter_for(camera), operation)
    camera.heal()
    call(adapter_for(camera), "device_info")


@pytest.mark.parametrize("operation", ["device_info", "profiles", "snapshot", "clock"])
def test_an_answer_cut_off_is_unreachable(
    add: Callable[..., HikvisionCamera], operation: str
) -> None:
    camera = add()
    camera.fail("cut")
    with pytest.raises(DeviceUnreachableError, match="cut off"):
        call(adapter_for(camera), operation)


def test_an_event_stream_always_cut_off_is_given_up(add: Callable[..., HikvisionCamera]) -> None:
    camera = add()
    camera.fail("cut")
    policy = EventStreamPolicy(idle_timeout=1.0, first_delay=0.02, give_up_after=0.3)
    started = time.monotonic()
    with pytest.raises(DeviceUnreachableError, match="closed before"):
        next(adapter_for(camera, policy=policy).events("cam-1"))
    assert time.monotonic() - started < 2.0
    assert camera.requests_served >= 3  # retried before giving up


def test_a_picture_that_is_not_a_jpeg(add: Callable[..., HikvisionCamera]) -> None:
    camera = add()
    camera.fail("not_jpeg")
    with pytest.raises(DeviceProtocolError, match="not a JPEG"):
        adapter_for(camera).snapshot()


# --- parsing details --------------------------------------------------------------------------


def test_xml_with_entities_is_refused(add: Callable[..., HikvisionCamera]) -> None:
    adapter = adapter_for(add())
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><ResponseStatus>&b;</ResponseStatus>'
    )
    assert adapter._response_status(bomb) is None
    assert adapter._event("cam-1", Part({"content-type": "application/xml"}, bomb)) is None


def alert(fields: str) -> Part:
    body = f'<EventNotificationAlert xmlns="{ISAPI_NAMESPACE}">{fields}</EventNotificationAlert>'
    return Part({"content-type": "application/xml"}, body.encode())


def test_alert_parsing_rules(add: Callable[..., HikvisionCamera]) -> None:
    camera = add()
    adapter = adapter_for(camera, channel=7)
    before = dt.datetime.now(dt.UTC)
    # No offset in dateTime: stamped when received; dynChannelID for NVR IP channels.
    event = adapter._event(
        "c",
        alert(
            "<dateTime>2024-05-01T10:00:00</dateTime><dynChannelID>7</dynChannelID>"
            "<eventType>vmd</eventType><eventState>active</eventState>"
        ),
    )
    assert event is not None
    assert event.at >= before
    assert event.channel == 7
    # Another channel of the same NVR is another camera in the registry: not this one's event.
    other = "<channelID>3</channelID><eventType>vmd</eventType><eventState>active</eventState>"
    assert adapter._event("c", alert(other)) is None
    # An inactive videoloss with a post count is the end of a real video loss.
    ended = adapter._event(
        "c",
        alert(
            "<eventType>videoloss</eventType><eventState>inactive</eventState>"
            "<activePostCount>3</activePostCount><dateTime>2024-05-01T10:00:00Z</dateTime>"
        ),
    )
    assert ended is not None
    assert (ended.kind, ended.active) == (EventKind.VIDEO_LOSS, False)
    assert ended.at == dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC)
    # Heartbeats, pictures, other documents and broken XML are skipped.
    heartbeat = "<eventType>videoloss</eventType><eventState>inactive</eventState>"
    assert adapter._event("c", alert(heartbeat)) is None
    assert adapter._event("c", Part({"content-type": "image/jpeg"}, TINY_JPEG)) is None
    assert adapter._event("c", Part({}, b"<ResponseStatus/>")) is None
    assert adapter._event("c", Part({}, b"<EventNotificationAlert>")) is None
