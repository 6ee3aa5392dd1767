"""A simulated Dahua camera (CGI API): magicBox, Encode config, snapshot, clock, event attach."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any, ClassVar, Final

from smartcity_kit.security._events import EventKind
from smartcity_kit.testing.devices._farm import SimRequest, SimResponse, SimulatedDevice
from smartcity_kit.testing.devices._isapi import EventStreams, cut_short
from smartcity_kit.testing.devices._jpeg import TINY_JPEG

__all__ = ["DahuaCamera"]

_serials = itertools.count(1)
_BAD_REQUEST: Final = b"Error\r\nBad Request!\r\n"
_NOT_JPEG: Final = b"<html><body>snapshot unavailable</body></html>"
_GARBAGE: Final = b"\x00\x17\xff\xfe garbage without key or value \x01\x02"
_NATIVE: Final = {
    EventKind.MOTION: "VideoMotion",
    EventKind.TAMPER: "VideoBlind",
    EventKind.VIDEO_LOSS: "VideoLoss",
    EventKind.LINE_CROSSING: "CrossLineDetection",
    EventKind.INTRUSION: "CrossRegionDetection",
    EventKind.OTHER: "AlarmLocal",
}


def _lines(pairs: list[tuple[str, object]]) -> SimResponse:
    body = "".join(f"{key}={value}\r\n" for key, value in pairs)
    return SimResponse(200, body.encode(), "text/plain;charset=utf-8")


class DahuaCamera(SimulatedDevice):
    """A Dahua camera (or an NVR with ``channels`` inputs) speaking the Dahua CGI API.

    Answers ``/cgi-bin/magicBox.cgi`` (``getDeviceType``, ``getSystemInfo``,
    ``getSoftwareVersion``, ``getSerialNo``, ``getMachineName``),
    ``/cgi-bin/configManager.cgi?action=getConfig&name=Encode``,
    ``/cgi-bin/snapshot.cgi?channel=N`` (a tiny JPEG), ``/cgi-bin/global.cgi?action=
    getCurrentTime`` (local time in ``utc_offset``, without a zone, as the firmware does) and
    ``/cgi-bin/eventManager.cgi?action=attach`` (see :meth:`trigger`; the request's
    ``heartbeat`` parameter is ignored, ``heartbeat_interval`` rules). An unknown action or
    argument answers 400 ``Error`` / ``Bad Request!``. Digest authentication by default.

    Faults (:meth:`~SimulatedDevice.fail`), on every request after authentication:

    - ``"bad_request"``: HTTP 400 ``Error`` / ``Bad Request!``.
    - ``"garbage"``: HTTP 200 with bytes that are neither ``key=value`` lines nor a JPEG.
    - ``"http500"``: HTTP 500 with an empty body.
    - ``"not_jpeg"``: snapshots are an HTML page (HTTP 200); other calls are normal.
    - ``"cut"``: the answer stops half way (the event stream: half way through a part).

    Args:
        model: The device type.
        serial: The serial number; None makes a unique one.
        firmware: ``getSoftwareVersion``'s version.
        name: ``getMachineName``'s name.
        channels: Video inputs (1 for a camera).
        utc_offset: The zone the device's clock shows.
        legacy_system_info: Leave the model and serial number out of ``getSystemInfo`` (old
            firmware), so that clients must ask ``getDeviceType`` and ``getSerialNo``.
        boundary: The event stream's multipart boundary (delimiter lines ``--myboundary``).
        header_boundary: What the Content-Type header says the boundary is; None: the same.
        heartbeat_interval: Seconds between ``Heartbeat`` parts on an idle stream; None: none.
        drop_after: Seconds after which the event stream is dropped, or None.
        settings: The :class:`SimulatedDevice` settings (``username``, ``password``,
            ``latency``, ``clock_skew``, ``reported_host``, ``http_auth``, ``seed``).
    """

    vendor: ClassVar[str] = "dahua"
    realm: ClassVar[str] = "Login to Dahua"

    def __init__(  # noqa: PLR0913 - a device's settings
        self,
        *,
        model: str = "IPC-HFW2431S-S-S2",
        serial: str | None = None,
        firmware: str = "2.800.0000016.0.R,build:2023-08-26",
        name: str = "IPC",
        channels: int = 1,
        utc_offset: dt.timedelta = dt.timedelta(hours=8),
        legacy_system_info: bool = False,
        boundary: str = "myboundary",
        header_boundary: str | None = None,
        heartbeat_interval: float | None = 10.0,
        drop_after: float | None = None,
        **settings: Any,
    ) -> None:
        super().__init__(**settings)
        self.model = model
        self.serial = serial or f"7K0{next(_serials):010d}"
        self.firmware = firmware
        self.name = name
        self.channels = channels
        self.utc_offset = utc_offset
        self.legacy_system_info = legacy_system_info
        self.boundary = boundary
        self.header_boundary = boundary if header_boundary is None else header_boundary
        self.streams = EventStreams(
            self,
            self._heartbeat if heartbeat_interval is not None else None,
            heartbeat_interval=heartbeat_interval or 0.0,
            drop_after=drop_after,
        )

    # --- events ---------------------------------------------------------------------------

    def trigger(
        self,
        kind: EventKind,
        active: bool = True,
        channel: int = 1,
        *,
        vendor_type: str | None = None,
    ) -> None:
        """Send ``Code=...;action=Start|Stop;index=channel-1`` to every open event stream.

        Args:
            kind: What happened (``OTHER`` sends ``AlarmLocal``); not the fleet monitor's
                online/offline kinds.
            active: ``action=Start``, or ``Stop``.
            channel: The channel (sent as the 0-based ``index``).
            vendor_type: Send this code instead of ``kind``'s.

        Callable from any thread.
        """
        if kind not in _NATIVE:
            msg = f"a camera does not report {kind.value}"
            raise ValueError(msg)
        code = vendor_type or _NATIVE[kind]
        action = "Start" if active else "Stop"
        self.streams.publish(self._part(f"Code={code};action={action};index={channel - 1}"))

    def forget_sessions(self) -> None:
        """End the event streams and forget Digest nonces (what a reboot does)."""
        self.streams.end_all(then=self._nonces.clear)

    def _heartbeat(self) -> bytes:
        return self._part("Heartbeat")

    def _part(self, text: str) -> bytes:
        body = text.encode() + b"\r\n"
        head = (
            f"--{self.boundary}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    # --- answers --------------------------------------------------------------------------

    async def handle(self, request: SimRequest) -> SimResponse:
        """Answer one CGI request."""
        denied = self.check_http_auth(request)
        if denied is not None:
            return denied
        if "bad_request" in self.faults:
            return SimResponse(400, _BAD_REQUEST)
        if "http500" in self.faults:
            return SimResponse(500, b"", "text/html")
        if "garbage" in self.faults:
            return SimResponse(200, _GARBAGE)
        response = self._route(request)
        if "cut" in self.faults and response.stream is None:
            return cut_short(response)
        return response

    def _route(self, request: SimRequest) -> SimResponse:  # noqa: PLR0911 - a router
        action = request.arg("action")
        if request.method != "GET":
            return SimResponse(400, _BAD_REQUEST)
        if request.path == "/cgi-bin/magicBox.cgi":
            return self._magic_box(action)
        if request.path == "/cgi-bin/configManager.cgi":
            if action == "getConfig" and request.arg("name") == "Encode":
                return self._encode()
            return SimResponse(400, _BAD_REQUEST)
        if request.path == "/cgi-bin/snapshot.cgi":
            return self._snapshot(request.arg("channel", "1") or "")
        if request.path == "/cgi-bin/global.cgi" and action == "getCurrentTime":
            local = self.now() + self.utc_offset
            return _lines([("result", local.strftime("%Y-%m-%d %H:%M:%S"))])
        if request.path == "/cgi-bin/eventManager.cgi" and action == "attach":
            return self._attach()
        if request.path.startswith("/cgi-bin/"):
            return SimResponse(400, _BAD_REQUEST)
        return SimResponse(404, b"Not Found")

    def _snapshot(self, channel: str) -> SimResponse:
        if not channel.isdigit() or not 1 <= int(channel) <= self.channels:
            return SimResponse(400, _BAD_REQUEST)
        if "not_jpeg" in self.faults:
            return SimResponse(200, _NOT_JPEG, "text/html")
        return SimResponse(200, TINY_JPEG, "image/jpeg")

    def _magic_box(self, action: str | None) -> SimResponse:
        if action == "getDeviceType":
            return _lines([("type", self.model)])
        if action == "getSystemInfo":
            info: list[tuple[str, object]] = [("appAutoStart", "true")]
            if not self.legacy_system_info:
                info.append(("deviceType", self.model))
            info += [("hardwareVersion", "1.00"), ("processor", "S2L55M")]
            if not self.legacy_system_info:
                info.append(("serialNumber", self.serial))
            info.append(("updateSerial", self.model))
            return _lines(info)
        if action == "getSoftwareVersion":
            return _lines([("version", self.firmware)])
        if action == "getSerialNo":
            return _lines([("sn", self.serial)])
        if action == "getMachineName":
            return _lines([("name", self.name)])
        return SimResponse(400, _BAD_REQUEST)

    def _encode(self) -> SimResponse:
        pairs: list[tuple[str, object]] = []
        for index in range(self.channels):
            for stream, (codec, width, height) in (
                ("MainFormat", ("H.264", 2688, 1520)),
                ("ExtraFormat", ("H.265", 704, 576)),
            ):
                prefix = f"table.Encode[{index}].{stream}[0].Video."
                pairs += [
                    (prefix + "Compression", codec),
                    (prefix + "Width", width),
                    (prefix + "Height", height),
                    (prefix + "FPS", 25),
                ]
        return _lines(pairs)

    def _attach(self) -> SimResponse:
        content_type = f"multipart/x-mixed-replace; boundary={self.header_boundary}"
        if "cut" in self.faults:
            first = self._heartbeat()
            return cut_short(SimResponse(200, first, content_type))
        return SimResponse(200, content_type=content_type, stream=self.streams.start())
