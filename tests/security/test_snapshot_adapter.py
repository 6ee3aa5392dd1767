from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from smartcity_kit.errors import (
    DeviceAuthError,
    DeviceProtocolError,
    DeviceUnreachableError,
    ValidationError,
)
from smartcity_kit.security import EventKind
from smartcity_kit.security.adapters import CameraAdapter, Credentials, Endpoint, Timeouts
from smartcity_kit.security.adapters._snapshot import HttpSnapshotAdapter
from smartcity_kit.testing.devices import DeviceFarm, DeviceState
from smartcity_kit.testing.devices._jpeg import TINY_JPEG
from smartcity_kit.testing.devices._snapshot import SnapshotCamera

PASSWORD = "sim-Passw0rd"  # noqa: S105 - the simulator's default account
FAST = Timeouts(connect=1.0, read=1.0)


@pytest.fixture(scope="module")
def farm() -> Iterator[DeviceFarm]:
    with DeviceFarm() as farm:
        yield farm


@pytest.fixture
def add(farm: DeviceFarm) -> Callable[..., SnapshotCamera]:
    def add(**settings: Any) -> SnapshotCamera:
        camera = SnapshotCamera(**settings)
        farm.add(camera)
        return camera

    return add


def adapter_for(
    camera: SnapshotCamera,
    *,
    password: str = PASSWORD,
    snapshot_path: str = "/snapshot.jpg",
    rtsp_path: str | None = "/live/ch0",
    timeouts: Timeouts = FAST,
) -> HttpSnapshotAdapter:
    return HttpSnapshotAdapter(
        Endpoint("127.0.0.1", camera.port, rtsp_port=10554),
        Credentials("admin", password),
        snapshot_path=snapshot_path,
        rtsp_path=rtsp_path,
        timeouts=timeouts,
    )


def test_the_adapter_is_a_camera_adapter(add: Callable[..., SnapshotCamera]) -> None:
    adapter = adapter_for(add())
    assert isinstance(adapter, CameraAdapter)
    assert adapter.endpoint.rtsp_port == 10554
    adapter.close()


def test_one_profile_from_the_configured_paths(add: Callable[..., SnapshotCamera]) -> None:
    camera = add(snapshot_path="/cgi-bin/snap.cgi")
    adapter = adapter_for(camera, snapshot_path="/cgi-bin/snap.cgi?chn=1&res=hd")
    [profile] = adapter.profiles()
    assert (profile.token, profile.name) == ("default", "default")
    assert profile.rtsp_uri == "rtsp://127.0.0.1:10554/live/ch0"
    assert profile.snapshot_uri == f"http://127.0.0.1:{camera.port}/cgi-bin/snap.cgi?chn=1&res=hd"
    assert "admin" not in repr(profile)
    assert PASSWORD not in repr(profile)
    assert adapter.snapshot() == TINY_JPEG
    assert adapter.snapshot("default") == TINY_JPEG


def test_a_camera_without_rtsp_has_an_empty_stream_uri(add: Callable[..., SnapshotCamera]) -> None:
    [profile] = adapter_for(add(), rtsp_path=None).profiles()
    assert profile.rtsp_uri == ""
    assert profile.snapshot_uri is not None


@pytest.mark.parametrize(
    ("field", "path"),
    [
        ("snapshot_path", "snapshot.jpg"),
        ("snapshot_path", "//evil.example/x.jpg"),
        ("snapshot_path", "/snap shot.jpg"),
        ("snapshot_path", "/snapshot.cgi?user=admin&pwd=secret"),
        ("snapshot_path", "/image/auto.jpg?usr=admin&PASSWORD=secret"),
        ("rtsp_path", "/live@admin"),
        ("rtsp_path", "rtsp://host/live"),
    ],
)
def test_paths_must_be_plain_and_without_credentials(field: str, path: str) -> None:
    paths = {"snapshot_path": "/snapshot.jpg", "rtsp_path": "/live", field: path}
    with pytest.raises(ValidationError) as caught:
        HttpSnapshotAdapter(
            Endpoint("127.0.0.1"),
            None,
            snapshot_path=paths["snapshot_path"],
            rtsp_path=paths["rtsp_path"],
        )
    assert caught.value.fields == (field,)
    assert "secret" not in str(caught.value)


def test_device_info_says_what_it_can(add: Callable[..., SnapshotCamera]) -> None:
    info = adapter_for(add(server="GoAhead-Webs/2.5.0")).device_info()
    assert (info.manufacturer, info.model, info.firmware, info.serial) == (
        "unknown",
        "unknown",
        "",
        "",
    )
    assert info.hardware_id == "GoAhead-Webs/2.5.0"
    assert adapter_for(add(server=None)).device_info().hardware_id == ""


@pytest.mark.parametrize(
    "skew", [dt.timedelta(0), dt.timedelta(minutes=-12), dt.timedelta(hours=3)]
)
def test_clock_is_the_date_header(add: Callable[..., SnapshotCamera], skew: dt.timedelta) -> None:
    clock = adapter_for(add(clock_skew=skew)).clock()
    assert clock.tzinfo is dt.UTC
    assert abs((clock - (dt.datetime.now(dt.UTC) + skew)).total_seconds()) < 3


def test_a_camera_without_a_date_header_has_no_clock(add: Callable[..., SnapshotCamera]) -> None:
    with pytest.raises(DeviceProtocolError, match="no clock interface"):
        adapter_for(add(send_date=False)).clock()


def test_events_end_at_once_without_stop(add: Callable[..., SnapshotCamera]) -> None:
    camera = add()
    adapter = adapter_for(camera)
    camera.trigger(EventKind.MOTION)
    assert list(adapter.events("cam-9")) == []
    assert camera.requests_served == 0


def test_events_wait_for_stop_without_spinning(add: Callable[..., SnapshotCamera]) -> None:
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started_wall, started_cpu = time.monotonic(), time.process_time()
    assert list(adapter_for(add()).events("cam-9", stop=stop)) == []
    assert time.monotonic() - started_wall >= 0.19
    assert time.process_time() - started_cpu < 0.1


def test_other_profile_tokens_are_refused(add: Callable[..., SnapshotCamera]) -> None:
    with pytest.raises(ValidationError):
        adapter_for(add()).snapshot("101")


def test_basic_only_camera_in_one_request(add: Callable[..., SnapshotCamera]) -> None:
    camera = add(http_auth="basic")
    adapter_for(camera).snapshot()
    assert camera.requests_served == 1


def test_digest_camera(add: Callable[..., SnapshotCamera]) -> None:
    camera = add(http_auth="digest")
    adapter = adapter_for(camera)
    assert adapter.snapshot() == TINY_JPEG
    first = camera.requests_served
    adapter.snapshot()
    assert camera.requests_served == first + 1


def test_wrong_password_is_an_auth_error_without_the_password(
    add: Callable[..., SnapshotCamera],
) -> None:
    wrong = "Wr0ng-Secret-55"
    adapter = adapter_for(add(), password=wrong)
    for operation in (adapter.snapshot, adapter.device_info, adapter.clock):
        with pytest.raises(DeviceAuthError) as caught:
            operation()
        for text in (str(caught.value), repr(caught.value), repr(adapter)):
            assert wrong not in text
            assert PASSWORD not in text


def test_down_camera_is_unreachable(farm: DeviceFarm, add: Callable[..., SnapshotCamera]) -> None:
    camera = add()
    farm.set_state(camera, DeviceState.DOWN)
    with pytest.raises(DeviceUnreachableError, match="cannot connect"):
        adapter_for(camera).snapshot()


def test_hung_camera_is_unreachable_after_the_read_timeout(
    farm: DeviceFarm, add: Callable[..., SnapshotCamera]
) -> None:
    camera = add()
    farm.set_state(camera, DeviceState.HANG)
    adapter = adapter_for(camera, timeouts=Timeouts(connect=1.0, read=0.2))
    started = time.monotonic()
    with pytest.raises(DeviceUnreachableError, match="no answer"):
        adapter.device_info()
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("operation", ["device_info", "snapshot", "clock"])
def test_http_errors_are_protocol_errors(
    add: Callable[..., SnapshotCamera], operation: str
) -> None:
    camera = add()
    camera.fail("http500")
    with pytest.raises(DeviceProtocolError, match="HTTP 500"):
        getattr(adapter_for(camera), operation)()
    with pytest.raises(DeviceProtocolError, match="HTTP 404"):
        getattr(adapter_for(add(), snapshot_path="/wrong.jpg"), operation)()


def test_a_snapshot_that_is_not_a_jpeg(add: Callable[..., SnapshotCamera]) -> None:
    camera = add()
    camera.fail("not_jpeg")
    with pytest.raises(DeviceProtocolError, match="not a JPEG"):
        adapter_for(camera).snapshot()


def test_a_snapshot_cut_off_is_unreachable(add: Callable[..., SnapshotCamera]) -> None:
    camera = add()
    camera.fail("cut")
    with pytest.raises(DeviceUnreachableError, match="cut off"):
        adapter_for(camera).snapshot()


def test_a_reboot_forgets_digest_sessions(
    farm: DeviceFarm, add: Callable[..., SnapshotCamera]
) -> None:
    camera = add(http_auth="digest")
    adapter = adapter_for(camera)
    adapter.snapshot()
    farm.reboot(camera, seconds=0.1)
    deadline = time.monotonic() + 5
    while True:
        try:
            assert adapter.snapshot() == TINY_JPEG
            break
        except DeviceUnreachableError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
