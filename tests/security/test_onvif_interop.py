"""Our ONVIF adapter against an ONVIF server no one here wrote: ipycam's virtual camera.

ipycam (PyPI, MIT) serves ONVIF device and media services with WS-Security UsernameToken checks
and a snapshot behind HTTP Basic. Only its HTTP server is started, on loopback: no WS-Discovery,
no RTSP, no ffmpeg. It reports ``0.0.0.0`` in its addresses, as many cameras do, and asks for
credentials even for ``GetSystemDateAndTime`` (which conforming devices answer without).
"""

from __future__ import annotations

import datetime as dt
import socketserver
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from smartcity_kit.errors import DeviceAuthError
from smartcity_kit.security.adapters import Credentials, Endpoint, Timeouts
from smartcity_kit.security.adapters._onvif import OnvifAdapter

ipycam = pytest.importorskip("ipycam")
numpy = pytest.importorskip("numpy")

PASSWORD = "Interop-Passw0rd"  # noqa: S105 - the virtual camera's account
REPORTED = "0.0.0.0"  # noqa: S104 - the address the camera reports, never bound


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture
def ipcamera() -> Iterator[Any]:
    """An ipycam camera answering ONVIF on 127.0.0.1, with one frame for its snapshot."""
    config = ipycam.CameraConfig(
        local_ip=REPORTED, manufacturer="Interop", model="IPyCam", serial_number="PY-42"
    )
    config.set_credentials("admin", PASSWORD)
    camera = ipycam.IPCamera(config)
    handler = ipycam.IPCameraHTTPHandler
    handler.camera = camera  # ipycam keeps its camera on the handler class
    server = _Server(("127.0.0.1", 0), handler)
    config.onvif_port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    camera.stream(numpy.zeros((config.main_height, config.main_width, 3), numpy.uint8))
    try:
        yield camera
    finally:
        server.shutdown()
        server.server_close()
        camera.stop()
        handler.camera = None


def _adapter(camera: Any, password: str = PASSWORD) -> OnvifAdapter:
    return OnvifAdapter(
        Endpoint("127.0.0.1", camera.config.onvif_port),
        Credentials("admin", password),
        timeouts=Timeouts(connect=1, read=5),
    )


def test_device_info_and_clock(ipcamera: Any) -> None:
    adapter = _adapter(ipcamera)
    try:
        info = adapter.device_info()
        assert (info.manufacturer, info.model, info.serial) == ("Interop", "IPyCam", "PY-42")
        assert info.firmware == ipycam.__version__
        assert abs(adapter.clock() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=3)
    finally:
        adapter.close()


def test_profiles_stream_and_snapshot_uris(ipcamera: Any) -> None:
    adapter = _adapter(ipcamera)
    port = ipcamera.config.onvif_port
    rtsp_port = ipcamera.config.rtsp_port
    try:
        main, sub = adapter.profiles()
        assert (main.width, main.height, main.encoding) == (1920, 1080, "H264")
        assert main.rtsp_uri == f"rtsp://127.0.0.1:{rtsp_port}/{ipcamera.config.main_stream_name}"
        assert sub.rtsp_uri == f"rtsp://127.0.0.1:{rtsp_port}/{ipcamera.config.sub_stream_name}"
        assert main.snapshot_uri == f"http://127.0.0.1:{port}/{ipcamera.config.snapshot_url}"
        picture = adapter.snapshot()
        assert picture.startswith(b"\xff\xd8")
        assert picture.endswith(b"\xff\xd9")
    finally:
        adapter.close()


def test_wrong_password(ipcamera: Any) -> None:
    adapter = _adapter(ipcamera, password="not-the-password")  # noqa: S106 - on purpose
    try:
        with pytest.raises(DeviceAuthError) as caught:
            adapter.device_info()
        assert "not-the-password" not in str(caught.value)
    finally:
        adapter.close()
