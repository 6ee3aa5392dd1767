"""The ONVIF adapter against the simulated ONVIF camera, and its parsers against any bytes."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any
from xml.sax.saxutils import escape

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from smartcity_kit.errors import (
    DeviceAuthError,
    DeviceError,
    DeviceProtocolError,
    DeviceUnreachableError,
)
from smartcity_kit.security import CameraEvent, EventKind
from smartcity_kit.security.adapters import CameraAdapter, Credentials, Endpoint, Timeouts
from smartcity_kit.security.adapters._onvif import (
    OnvifAdapter,
    PullPointSettings,
    event_kind,
    parse_envelope,
    parse_notifications,
    password_digest,
)
from smartcity_kit.testing.devices import DeviceFarm, DeviceState
from smartcity_kit.testing.devices._onvif import OnvifCamera

PASSWORD = "sim-Passw0rd"  # noqa: S105 - the simulated camera's default account
WRONG = "not-the-Passw0rd"
ANY_HOST = "0.0.0.0"  # noqa: S104 - what cameras report, never bound
FAST = Timeouts(connect=0.5, read=1.0)
QUICK_EVENTS = PullPointSettings(termination=2, pull_timeout=0.3, give_up_after=5)
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"


@pytest.fixture
def farm() -> Iterator[DeviceFarm]:
    with DeviceFarm() as running:
        yield running


@pytest.fixture
def connect(farm: DeviceFarm) -> Iterator[Callable[..., tuple[OnvifCamera, OnvifAdapter]]]:
    """Start a camera with the given settings and an adapter for it."""
    adapters: list[OnvifAdapter] = []

    def make(
        password: str = PASSWORD,
        timeouts: Timeouts = FAST,
        pull_point: PullPointSettings = QUICK_EVENTS,
        **settings: object,
    ) -> tuple[OnvifCamera, OnvifAdapter]:
        camera = OnvifCamera(**settings)  # type: ignore[arg-type]
        farm.add(camera)
        adapter = OnvifAdapter(
            Endpoint("127.0.0.1", camera.port),
            Credentials("admin", password),
            timeouts=timeouts,
            pull_point=pull_point,
        )
        adapters.append(adapter)
        return camera, adapter

    yield make
    for adapter in adapters:
        adapter.close()


class EventReader:
    """Runs ``adapter.events`` in a thread and collects what it yields (or raises)."""

    def __init__(self, adapter: OnvifAdapter) -> None:
        self.stop = threading.Event()
        self.events: queue.Queue[CameraEvent] = queue.Queue()
        self.error: BaseException | None = None
        self._adapter = adapter
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for event in self._adapter.events("cam-1", stop=self.stop):
                self.events.put(event)
        except DeviceError as e:
            self.error = e

    def next(self, timeout: float = 2.0) -> CameraEvent:
        return self.events.get(timeout=timeout)

    def close(self) -> None:
        self.stop.set()
        self._thread.join(timeout=5)
        assert not self._thread.is_alive()


def wait_for(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# --- device information, profiles, snapshot, clock ---------------------------------------------


def test_device_info(connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]]) -> None:
    _camera, adapter = connect(
        manufacturer="Dahua & Co <ID>", model="IPC-HFW", firmware="2.8", serial="SN 1"
    )
    info = adapter.device_info()
    assert info.manufacturer == "Dahua & Co <ID>"
    assert (info.model, info.firmware, info.serial, info.hardware_id) == (
        "IPC-HFW",
        "2.8",
        "SN 1",
        "SC2M-01",
    )
    assert isinstance(adapter, CameraAdapter)
    assert adapter.endpoint.port == _camera.port


@pytest.mark.parametrize("reported", ["192.168.1.64", ANY_HOST, "cam.internal", None])
def test_profiles_are_rewritten_to_the_host_reached_without_credentials(
    connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]], reported: str | None
) -> None:
    camera, adapter = connect(reported_host=reported)
    camera.fail("credentials-in-uri")
    profiles = adapter.profiles()
    assert [p.token for p in profiles] == ["Profile_1", "Profile_2"]
    main = profiles[0]
    assert main.name == "mainStream"
    assert (main.width, main.height, main.encoding) == (1920, 1080, "H264")
    assert main.rtsp_uri == "rtsp://127.0.0.1:554/Streaming/Channels/101"
    assert main.snapshot_uri == f"http://127.0.0.1:{camera.port}/onvif/snapshot?token=Profile_1"
    for profile in profiles:
        assert PASSWORD not in repr(profile)
        assert "@" not in profile.rtsp_uri
        assert "@" not in (profile.snapshot_uri or "")


def test_rtsp_port_from_the_endpoint_when_it_names_one(farm: DeviceFarm) -> None:
    camera = OnvifCamera(reported_host="10.0.0.7")
    farm.add(camera)
    adapter = OnvifAdapter(
        Endpoint("127.0.0.1", camera.port, rtsp_port=10554), Credentials("admin", PASSWORD)
    )
    try:
        assert adapter.profiles()[1].rtsp_uri == "rtsp://127.0.0.1:10554/Streaming/Channels/102"
    finally:
        adapter.close()


def test_snapshot_is_a_jpeg_fetched_with_digest(
    connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]],
) -> None:
    _camera, adapter = connect(reported_host=ANY_HOST)
    assert adapter.snapshot().startswith(b"\xff\xd8")
    assert adapter.snapshot("Profile_2").startswith(b"\xff\xd8")
    # the snapshot's HTTP Digest does not move SOAP (WS-Security only) onto HTTP auth
    assert adapter._http._auth is None
    assert adapter.device_info().manufacturer == "SimCam"


def test_snapshot_of_an_unknown_profile(
    connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]],
) -> None:
    _camera, adapter = connect()
    with pytest.raises(DeviceProtocolError, match="no snapshot URI"):
        adapter.snapshot("Profile_9")


def test_clock(connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]]) -> None:
    _camera, adapter = connect()
    assert abs(adapter.clock() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=2)
    assert adapter.clock_offset is not None
    assert abs(adapter.clock_offset) < dt.timedelta(seconds=1)


def test_skewed_clock_is_learned_before_the_first_token(
    connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]],
) -> None:
    camera, adapter = connect(clock_skew=dt.timedelta(hours=2))
    assert adapter.device_info().manufacturer == "SimCam"
    assert adapter.clock_offset is not None
    assert abs(adapter.clock_offset - dt.timedelta(hours=2)) < dt.timedelta(seconds=1)
    assert camera.requests_served == 2  # GetSystemDateAndTime, GetDeviceInformation


def test_clock_change_is_retried_once_with_the_new_offset(
    connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]],
) -> None:
    camera, adapter = connect()
    adapter.device_info()
    camera.clock_skew = dt.timedelta(hours=-7)  # the camera rebooted to its factory clock
    served = camera.requests_served
    assert adapter.device_info().model == "SC-ONVIF-2MP"
    # the refused call, the clock, the retry
    assert camera.requests_served - served == 3
    assert adapter.clock_offset is not None
    assert abs(adapter.clock_offset + dt.timedelta(hours=7)) < dt.timedelta(seconds=1)


def test_clock_that_needs_credentials(
    connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]],
) -> None:
    camera, adapter = connect()
    camera.fail("clock-auth")
    assert adapter.device_info().manufacturer == "SimCam"
    assert abs(adapter.clock() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=2)


@pytest.mark.parametrize("auth", ["digest", "both", "any"])
def test_http_digest_devices(
    connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]], auth: str
) -> None:
    _camera, adapter = connect(auth=auth, clock_skew=dt.timedelta(minutes=30))
    assert adapter.device_info().manufacturer == "SimCam"
    assert len(adapter.profiles()) == 2
    assert adapter.snapshot().startswith(b"\xff\xd8")


def test_services_from_get_services_when_capabilities_are_not_supported(
    connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]],
) -> None:
    camera, adapter = connect(reported_host="192.168.1.64")
    camera.fail("no-capabilities")
    assert len(adapter.profiles()) == 2


def test_a_custom_transport_on_the_session_is_used(farm: DeviceFarm) -> None:
    calls: list[str] = []

    class Counting(requests.adapters.HTTPAdapter):
        def send(
            self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
        ) -> requests.Response:
            calls.append(request.url or "")
            return super().send(request, *args, **kwargs)

    camera = OnvifCamera()
    farm.add(camera)
    session = requests.Session()
    session.mount("http://", Counting())
    adapter = OnvifAdapter(
        Endpoint("127.0.0.1", camera.port), Credentials("admin", PASSWORD), session=session
    )
    try:
        assert adapter.device_info().manufacturer == "SimCam"
    finally:
        adapter.close()
        session.close()
    assert len(calls) == 2  # the clock, then the device information


# --- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["wsse", "digest", "both"])
def test_wrong_password(
    connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]], auth: str
) -> None:
    _camera, adapter = connect(password=WRONG, auth=auth)
    with pytest.raises(DeviceAuthError) as caught:
        adapter.device_info()
    for text in (str(caught.value), repr(caught.value), repr(adapter)):
        assert WRONG not in text
        assert PASSWORD not in text
    assert f"127.0.0.1:{adapter.endpoint.port}" in str(caught.value)


def test_snapshot_with_a_wrong_password(
    connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]],
) -> None:
    camera, adapter = connect(auth="any")
    adapter.profiles()
    camera.password = WRONG
    with pytest.raises(DeviceAuthError):
        adapter.snapshot()


def test_dead_device(
    farm: DeviceFarm, connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]]
) -> None:
    camera, adapter = connect()
    farm.set_state(camera, DeviceState.DOWN)
    with pytest.raises(DeviceUnreachableError, match="cannot connect"):
        adapter.device_info()


def test_hung_device(
    farm: DeviceFarm, connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]]
) -> None:
    camera, adapter = connect(timeouts=Timeouts(connect=0.5, read=0.2))
    farm.set_state(camera, DeviceState.HANG)
    started = time.monotonic()
    with pytest.raises(DeviceUnreachableError, match="no answer"):
        adapter.clock()
    assert time.monotonic() - started < 2.0  # the read timeout, not the hang


@pytest.mark.parametrize("soap11", [False, True], ids=["soap12", "soap11"])
def test_faults(connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]], soap11: bool) -> None:
    camera, adapter = connect()
    if soap11:
        camera.fail("soap11")
    camera.fail("fault")
    with pytest.raises(DeviceProtocolError, match="Simulated device failure"):
        adapter.device_info()
    camera.heal("fault")
    camera.fail("auth")
    with pytest.raises(DeviceAuthError, match="Sender not Authorized"):
        adapter.device_info()


def test_unsupported_operation_is_a_protocol_error(
    connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]],
) -> None:
    camera, adapter = connect()
    adapter.device_info()
    camera.fail("no-capabilities")
    # GetCapabilities refused, GetServices answers: the adapter still finds the media service
    assert adapter.snapshot().startswith(b"\xff\xd8")


@pytest.mark.parametrize("fault", ["garbage", "http500"])
def test_garbage_and_server_errors(
    connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]], fault: str
) -> None:
    camera, adapter = connect()
    camera.fail(fault)
    with pytest.raises(DeviceProtocolError):
        adapter.clock()
    with pytest.raises(DeviceProtocolError):
        adapter.device_info()


# --- events --------------------------------------------------------------------------------


@pytest.fixture
def reader_for() -> Iterator[Callable[[OnvifAdapter], EventReader]]:
    readers: list[EventReader] = []

    def start(adapter: OnvifAdapter) -> EventReader:
        reader = EventReader(adapter)
        readers.append(reader)
        return reader

    yield start
    for reader in readers:
        reader.close()


def test_events_are_normalized(
    connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]],
    reader_for: Callable[[OnvifAdapter], EventReader],
) -> None:
    camera, adapter = connect(reported_host="192.168.1.64", clock_skew=dt.timedelta(hours=1))
    reader = reader_for(adapter)
    wait_for(lambda: camera.active_subscriptions == 1)
    expected = [
        (EventKind.MOTION, True, 1),
        (EventKind.MOTION, False, 1),
        (EventKind.TAMPER, True, 2),
        (EventKind.VIDEO_LOSS, True, 1),
        (EventKind.LINE_CROSSING, True, 3),
        (EventKind.INTRUSION, False, 1),
        (EventKind.OTHER, True, None),  # a digital input is not a video channel
    ]
    for kind, active, channel in expected:
        camera.trigger(kind, active=active, channel=channel or 1)
    got = [reader.next() for _ in expected]
    assert [(e.kind, e.active, e.channel) for e in got] == expected
    assert all(e.camera_id == "cam-1" for e in got)
    assert got[0].vendor_type == "tns1:VideoSource/MotionAlarm"
    # the device's own time (an hour ahead here), in UTC
    assert abs(got[0].at - dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)) < dt.timedelta(
        seconds=2
    )
    assert got[0].details["property_operation"] == "Changed"
    assert reader.error is None


def test_events_stop_and_unsubscribe(
    connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]],
) -> None:
    camera, adapter = connect()
    reader = EventReader(adapter)
    wait_for(lambda: camera.active_subscriptions == 1)
    reader.close()
    assert camera.unsubscribed == 1
    assert camera.active_subscriptions == 0


def test_close_unsubscribes(connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]]) -> None:
    camera, adapter = connect()
    events = adapter.events("cam-1")
    assert isinstance(events, Generator)
    camera.trigger(EventKind.MOTION)  # nobody subscribed yet: lost, as on a camera
    wait_for(lambda: camera.active_subscriptions == 0)
    thread_events: queue.Queue[CameraEvent] = queue.Queue()

    def consume() -> None:
        thread_events.put(next(events))

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    wait_for(lambda: camera.active_subscriptions == 1)
    camera.trigger(EventKind.MOTION)
    assert thread_events.get(timeout=2).kind is EventKind.MOTION
    adapter.close()
    assert camera.active_subscriptions == 0
    assert camera.unsubscribed == 1
    events.close()
    assert camera.unsubscribed == 1


def test_subscription_is_renewed_before_it_expires(
    connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]],
    reader_for: Callable[[OnvifAdapter], EventReader],
) -> None:
    camera, adapter = connect(
        clock_skew=dt.timedelta(minutes=-10),
        pull_point=PullPointSettings(termination=1, pull_timeout=0.3),
    )
    reader = reader_for(adapter)
    wait_for(lambda: camera.renewals >= 2, timeout=4)
    assert camera.subscriptions_created == 1
    camera.trigger(EventKind.INTRUSION)
    assert reader.next().kind is EventKind.INTRUSION
    assert camera.subscriptions_created == 1


def test_resubscribes_after_a_reboot(
    farm: DeviceFarm,
    connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]],
    reader_for: Callable[[OnvifAdapter], EventReader],
) -> None:
    camera, adapter = connect()
    reader = reader_for(adapter)
    wait_for(lambda: camera.active_subscriptions == 1)
    farm.reboot(camera, seconds=0.3)
    wait_for(lambda: camera.subscriptions_created == 2 and camera.active_subscriptions == 1)
    camera.trigger(EventKind.VIDEO_LOSS)
    assert reader.next().kind is EventKind.VIDEO_LOSS
    assert reader.error is None


def test_events_give_up_on_a_device_that_stays_down(
    farm: DeviceFarm,
    connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]],
    reader_for: Callable[[OnvifAdapter], EventReader],
) -> None:
    camera, adapter = connect(
        pull_point=PullPointSettings(termination=10, pull_timeout=0.3, give_up_after=0.5)
    )
    reader = reader_for(adapter)
    wait_for(lambda: camera.active_subscriptions == 1)
    farm.set_state(camera, DeviceState.DOWN)
    wait_for(lambda: reader.error is not None)
    assert isinstance(reader.error, DeviceUnreachableError)


def test_events_from_an_unreachable_device(
    farm: DeviceFarm, connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]]
) -> None:
    camera, adapter = connect()
    farm.set_state(camera, DeviceState.DOWN)
    with pytest.raises(DeviceUnreachableError):
        next(adapter.events("cam-1"))


def test_events_with_a_wrong_password(
    connect: Callable[..., tuple[OnvifCamera, OnvifAdapter]],
) -> None:
    _camera, adapter = connect(password=WRONG)
    with pytest.raises(DeviceAuthError):
        next(adapter.events("cam-1"))


# --- parsers, on anything ------------------------------------------------------------------


@given(nonce=st.binary(min_size=0, max_size=64), created=st.text(), password=st.text())
def test_password_digest_matches_the_ws_security_formula(
    nonce: bytes, created: str, password: str
) -> None:
    sha1 = hashlib.sha1(usedforsecurity=False)
    sha1.update(nonce)
    sha1.update(created.encode("utf-8"))
    sha1.update(password.encode("utf-8"))
    assert password_digest(nonce, created, password) == base64.b64encode(sha1.digest()).decode()


def test_password_digest_known_value() -> None:
    # Worked example: nonce bytes 0..15, a fixed time, password "secret".
    digest = password_digest(bytes(range(16)), "2024-05-01T02:03:04.000Z", "secret")
    assert (
        digest
        == base64.b64encode(
            hashlib.sha1(
                bytes(range(16)) + b"2024-05-01T02:03:04.000Zsecret", usedforsecurity=False
            ).digest()
        ).decode()
    )
    assert len(base64.b64decode(digest)) == 20


@given(status=st.sampled_from([200, 400, 401, 404, 500]), content=st.binary(max_size=300))
def test_parse_envelope_raises_only_device_errors_on_bytes(status: int, content: bytes) -> None:
    with contextlib.suppress(DeviceError):
        parse_envelope("cam:80", status, content, "GetDeviceInformationResponse")


@given(
    status=st.sampled_from([200, 400, 401, 500]),
    soap11=st.booleans(),
    code=st.text(max_size=40),
    reason=st.text(max_size=300),
)
def test_faults_map_to_device_errors_without_the_secret(
    status: int, soap11: bool, code: str, reason: str
) -> None:
    secret = "Rahasia-123"  # noqa: S105 - the text that must not leak
    reason = reason + secret
    if soap11:
        body = (
            f'<e:Envelope xmlns:e="{SOAP11}"><e:Body><e:Fault><faultcode>{escape(code)}'
            f"</faultcode><faultstring>{escape(reason)}</faultstring></e:Fault></e:Body>"
            "</e:Envelope>"
        )
    else:
        body = (
            f'<s:Envelope xmlns:s="{SOAP12}"><s:Body><s:Fault><s:Code><s:Value>s:Sender'
            f"</s:Value><s:Subcode><s:Value>{escape(code)}</s:Value></s:Subcode></s:Code>"
            f"<s:Reason><s:Text>{escape(reason)}</s:Text></s:Reason></s:Fault></s:Body>"
            "</s:Envelope>"
        )
    try:
        content = body.encode()
    except UnicodeEncodeError:  # lone surrogates: not text a device can send
        return
    with pytest.raises(DeviceError) as caught:
        parse_envelope("cam:80", status, content, "GetDeviceInformationResponse", secret)
    assert secret not in str(caught.value)
    assert not str(caught.value).endswith(secret[:4])  # not even cut in half
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("cam:80: ")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ter:NotAuthorized", DeviceAuthError),
        ("wsse:FailedAuthentication", DeviceAuthError),
        ("ter:ActionNotSupported", DeviceProtocolError),
        ("ter:InvalidArgVal", DeviceProtocolError),
    ],
)
def test_fault_codes(code: str, expected: type[DeviceError]) -> None:
    body = (
        f'<s:Envelope xmlns:s="{SOAP12}"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value>'
        f"<s:Subcode><s:Value>{code}</s:Value></s:Subcode></s:Code><s:Reason>"
        "<s:Text>Refused</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"
    ).encode()
    with pytest.raises(expected, match="Refused"):
        parse_envelope("cam:80", 400, body, "GetProfilesResponse")


def test_unexpected_answers() -> None:
    wrong = (
        f'<s:Envelope xmlns:s="{SOAP12}"><s:Body><x:Other xmlns:x="urn:x"/></s:Body></s:Envelope>'
    )
    with pytest.raises(DeviceProtocolError, match="expected GetProfilesResponse"):
        parse_envelope("cam:80", 200, wrong.encode(), "GetProfilesResponse")
    with pytest.raises(DeviceProtocolError, match="not a SOAP envelope"):
        parse_envelope("cam:80", 200, b"<html/>", "GetProfilesResponse")
    with pytest.raises(DeviceAuthError):
        parse_envelope("cam:80", 401, b"Unauthorized", "GetProfilesResponse")
    bomb = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(DeviceProtocolError):
        parse_envelope("cam:80", 200, bomb, "GetProfilesResponse")


@pytest.mark.parametrize(
    ("topic", "kind"),
    [
        ("tns1:VideoSource/MotionAlarm", EventKind.MOTION),
        ("tns1:RuleEngine/CellMotionDetector/Motion", EventKind.MOTION),
        ("tns1:VideoSource/GlobalSceneChange/ImagingService", EventKind.TAMPER),
        ("tns1:RuleEngine/TamperDetector/Tamper", EventKind.TAMPER),
        ("tns1:VideoSource/SignalLoss", EventKind.VIDEO_LOSS),
        ("tns1:MediaControl/VideoLoss", EventKind.VIDEO_LOSS),
        ("tns1:RuleEngine/LineDetector/Crossed", EventKind.LINE_CROSSING),
        ("tns1:RuleEngine/FieldDetector/ObjectsInside", EventKind.INTRUSION),
        ("tns1:Device/Trigger/DigitalInput", EventKind.OTHER),
        ("", EventKind.OTHER),
    ],
)
def test_event_kinds(topic: str, kind: EventKind) -> None:
    assert event_kind(topic) is kind
    assert event_kind(topic.replace("tns1:", "tnsvendor:")) is kind


@given(st.text(max_size=200))
def test_event_kind_of_any_topic(topic: str) -> None:
    assert isinstance(event_kind(topic), EventKind)


def _pull_response(*messages: str) -> bytes:
    return (
        f'<s:Envelope xmlns:s="{SOAP12}" xmlns:tev="http://www.onvif.org/ver10/events/wsdl"'
        ' xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:tt="http://www.onvif.org/ver10/schema">'
        f"<s:Body><tev:PullMessagesResponse>{''.join(messages)}</tev:PullMessagesResponse>"
        "</s:Body></s:Envelope>"
    ).encode()


def _message(topic: str, attributes: str, items: str) -> str:
    return (
        f"<wsnt:NotificationMessage><wsnt:Topic>{topic}</wsnt:Topic><wsnt:Message>"
        f"<tt:Message {attributes}>{items}</tt:Message></wsnt:Message>"
        "</wsnt:NotificationMessage>"
    )


def test_notifications_edge_cases() -> None:
    answer = parse_envelope(
        "cam:80",
        200,
        _pull_response(
            # the state a new subscription starts with: left out
            _message(
                "tns1:VideoSource/MotionAlarm",
                'PropertyOperation="Initialized" UtcTime="2024-01-01T00:00:00Z"',
                '<tt:Data><tt:SimpleItem Name="State" Value="false"/></tt:Data>',
            ),
            # an ongoing motion at subscription time: kept
            _message(
                "tns1:RuleEngine/CellMotionDetector/Motion",
                'PropertyOperation="Initialized" UtcTime="2024-01-01T00:00:00Z"',
                '<tt:Source><tt:SimpleItem Name="VideoSourceConfigurationToken" Value="0"/>'
                '</tt:Source><tt:Data><tt:SimpleItem Name="IsMotion" Value="1"/></tt:Data>',
            ),
            # no data, no time, an odd time zone
            _message("tns1:Custom/Thing", 'UtcTime="yesterday"', ""),
            _message("tns1:VideoSource/SignalLoss", 'UtcTime="2024-01-01T08:00:00+08:00"', ""),
        ),
        "PullMessagesResponse",
    )
    events = parse_notifications("cam-9", answer)
    assert [e.kind for e in events] == [EventKind.MOTION, EventKind.OTHER, EventKind.VIDEO_LOSS]
    motion, other, loss = events
    assert motion.active
    assert motion.channel is None  # token 0 is not a channel number
    assert motion.at == dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert other.active
    assert abs(other.at - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)
    assert loss.at == dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@given(st.binary(max_size=400))
def test_notifications_from_any_answer(content: bytes) -> None:
    try:
        answer = parse_envelope("cam:80", 200, content, "PullMessagesResponse")
    except DeviceError:
        return
    for event in parse_notifications("cam", answer):
        assert isinstance(event, CameraEvent)


def test_simulator_refuses_what_a_camera_would_not_do() -> None:
    with pytest.raises(ValueError, match="auth"):
        OnvifCamera(auth="kerberos")
    with pytest.raises(ValueError, match="device_online"):
        OnvifCamera().trigger(EventKind.DEVICE_ONLINE)
    assert OnvifCamera(seed=7).serial == OnvifCamera(seed=7).serial
