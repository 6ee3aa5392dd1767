"""A simulated Hikvision camera (ISAPI), and the event-stream machinery vendor simulators share."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import re
from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar, Final
from xml.sax.saxutils import escape

from smartcity_kit.security._events import EventKind
from smartcity_kit.testing.devices._farm import SimRequest, SimResponse, SimulatedDevice
from smartcity_kit.testing.devices._jpeg import TINY_JPEG

__all__ = [
    "HIKVISION_NAMESPACE",
    "ISAPI_NAMESPACE",
    "EventStreams",
    "HikvisionCamera",
    "cut_short",
]

#: The namespace of Hikvision's own firmware.
HIKVISION_NAMESPACE: Final = "http://www.hikvision.com/ver20/XMLSchema"
#: The namespace of newer and OEM firmware.
ISAPI_NAMESPACE: Final = "http://www.isapi.org/ver20/XMLSchema"

_serials = itertools.count(1)
_PICTURE: Final = re.compile(r"^/ISAPI/Streaming/channels/(\d+)/picture$")
_NOT_JPEG: Final = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24  # a PNG where a JPEG was promised
_GARBAGE: Final = b"\x00\x17<<?xml gar\xffbage \xfe>> <DeviceInfo><model>"
_NATIVE: Final = {
    EventKind.MOTION: ("vmd", "Motion alarm"),
    EventKind.TAMPER: ("tamperdetection", "Tamper detection"),
    EventKind.VIDEO_LOSS: ("videoloss", "videoloss alarm"),
    EventKind.LINE_CROSSING: ("linedetection", "Line crossing alarm"),
    EventKind.INTRUSION: ("fielddetection", "Intrusion detection alarm"),
    EventKind.OTHER: ("PIR", "PIR alarm"),
}


def cut_short(response: SimResponse) -> SimResponse:
    """``response`` announced in full (Content-Length) but cut off after half of its body."""
    body = response.body
    half = body[: len(body) // 2]

    async def half_then_close() -> AsyncIterator[bytes]:
        yield half

    headers = dict(response.headers)
    headers["Content-Length"] = str(len(body))
    return SimResponse(response.status, b"", response.content_type, headers, half_then_close())


class EventStreams:
    """The endless multipart event streams a simulated device is serving.

    Each stream has its own queue in the farm's event loop; :meth:`publish` puts a part into
    every one of them (from any thread). A stream sends a heartbeat part when nothing else
    came for ``heartbeat_interval`` seconds, and ends after ``drop_after`` seconds when set
    (as NVRs do), or when :meth:`end_all` is called (a reboot).

    Args:
        device: The device (its farm runs the streams).
        heartbeat: Makes one heartbeat part (framed), or None for no heartbeats.
        heartbeat_interval: Seconds between heartbeats.
        drop_after: Seconds after which each stream is dropped, or None.
    """

    def __init__(
        self,
        device: SimulatedDevice,
        heartbeat: Callable[[], bytes] | None,
        *,
        heartbeat_interval: float,
        drop_after: float | None,
    ) -> None:
        self._device = device
        self._heartbeat = heartbeat
        self.heartbeat_interval = heartbeat_interval
        self.drop_after = drop_after
        self._queues: set[asyncio.Queue[bytes | None]] = set()
        #: How many streams were ever opened (a client that reconnects opens another).
        self.served = 0

    @property
    def open(self) -> int:
        """How many streams are being served now."""
        return len(self._queues)

    def start(self) -> AsyncIterator[bytes]:
        """A new stream, for :attr:`SimResponse.stream`.

        It receives what is published once the farm starts sending it.
        """
        return self._run()

    async def _run(self) -> AsyncIterator[bytes]:
        # Registered when the farm starts sending it (after the answer's head), so a stream
        # whose client left before that leaves nothing behind.
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._queues.add(queue)
        self.served += 1
        loop = asyncio.get_running_loop()
        deadline = None if self.drop_after is None else loop.time() + self.drop_after
        try:
            while True:
                timeout = self.heartbeat_interval if self._heartbeat is not None else None
                if deadline is not None:
                    left = deadline - loop.time()
                    if left <= 0:
                        return
                    timeout = left if timeout is None else min(timeout, left)
                try:
                    item = await asyncio.wait_for(queue.get(), timeout)
                except TimeoutError:
                    if self._heartbeat is None or (
                        deadline is not None and loop.time() >= deadline
                    ):
                        continue
                    item = self._heartbeat()
                if item is None:
                    return
                yield item
        finally:
            self._queues.discard(queue)

    def _farm_call(self, callback: Callable[[], object]) -> None:
        if self._device.farm is None:
            msg = "the device is not served by a DeviceFarm"
            raise RuntimeError(msg)
        self._device.farm.call_soon(callback)

    def publish(self, part: bytes) -> None:
        """Send a framed part to every open stream (callable from any thread)."""

        def put() -> None:
            for queue in list(self._queues):
                queue.put_nowait(part)

        self._farm_call(put)

    def end_all(self, then: Callable[[], object] | None = None) -> None:
        """End every open stream (callable from any thread), then run ``then`` in the loop."""

        def end() -> None:
            for queue in list(self._queues):
                queue.put_nowait(None)
            if then is not None:
                then()

        self._farm_call(end)


def _xml(root: str, namespace: str, fields: list[tuple[str, object]]) -> bytes:
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    inner = "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in fields)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} version="2.0"{xmlns}>{inner}</{root}>\n'
    ).encode()


class HikvisionCamera(SimulatedDevice):
    """A Hikvision camera (or an NVR with ``channels`` video inputs) speaking ISAPI.

    Answers ``/ISAPI/System/deviceInfo``, ``/ISAPI/Streaming/channels`` (ids ``101`` main and
    ``102`` sub per input), ``/ISAPI/Streaming/channels/{id}/picture`` (a tiny JPEG),
    ``/ISAPI/System/time`` and ``/ISAPI/Event/notification/alertStream`` (see :meth:`trigger`);
    anything else is a 404 ``ResponseStatus``. Digest authentication by default.

    Faults (:meth:`~SimulatedDevice.fail`), on every request after authentication:

    - ``"status4"``: HTTP 403 with ``<ResponseStatus>`` statusCode 4 "Invalid Operation".
    - ``"garbage"``: HTTP 200 with bytes that are not XML (nor a JPEG, nor multipart).
    - ``"http500"``: HTTP 500 with an empty body.
    - ``"not_jpeg"``: pictures are a PNG (HTTP 200, ``image/jpeg``); other calls are normal.
    - ``"cut"``: the answer stops half way (event streams: half way through the first part).

    Args:
        model: ``model`` in deviceInfo.
        serial: ``serialNumber``; None makes a unique one.
        firmware: ``firmwareVersion``.
        namespace: The XML namespace of answers (:data:`HIKVISION_NAMESPACE`,
            :data:`ISAPI_NAMESPACE`, or ``""`` for none, as some old firmware).
        channels: Video inputs (1 for a camera).
        utc_offset: The zone the device shows its time in (``localTime``, event times).
        offset_in_local_time: Whether ``localTime`` carries the offset (current firmware) or
            only ``timeZone`` does.
        boundary: The alert stream's multipart boundary (delimiter lines are ``--boundary``).
        header_boundary: What the Content-Type header says the boundary is (some firmware
            writes ``--boundary`` there); None: the same as ``boundary``.
        heartbeat_interval: Seconds between heartbeats (``videoloss`` inactive alerts) on an
            idle alert stream; None for none.
        drop_after: Seconds after which the alert stream is dropped (NVRs: about 40), or None.
        settings: The :class:`SimulatedDevice` settings (``username``, ``password``,
            ``latency``, ``clock_skew``, ``reported_host``, ``http_auth``, ``seed``).
    """

    vendor: ClassVar[str] = "isapi"
    realm: ClassVar[str] = "IP Camera"

    def __init__(  # noqa: PLR0913 - a device's settings
        self,
        *,
        model: str = "DS-2CD2143G2-I",
        serial: str | None = None,
        firmware: str = "V5.7.3",
        namespace: str = HIKVISION_NAMESPACE,
        channels: int = 1,
        utc_offset: dt.timedelta = dt.timedelta(hours=8),
        offset_in_local_time: bool = True,
        boundary: str = "boundary",
        header_boundary: str | None = None,
        heartbeat_interval: float | None = 10.0,
        drop_after: float | None = None,
        **settings: Any,
    ) -> None:
        super().__init__(**settings)
        self.model = model
        self.serial = serial or f"{model}20240101AAWRJ{next(_serials):08d}"
        self.firmware = firmware
        self.namespace = namespace
        self.channels = channels
        self.utc_offset = utc_offset
        self.offset_in_local_time = offset_in_local_time
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
        """Send an ``EventNotificationAlert`` to every open alert stream (from any thread).

        Args:
            kind: What happened (``OTHER`` sends ``PIR``); not the fleet monitor's
                online/offline kinds.
            active: ``eventState`` active, or inactive (the end).
            channel: ``channelID``.
            vendor_type: Send this ``eventType`` instead of ``kind``'s.
        """
        if kind not in _NATIVE:
            msg = f"a camera does not report {kind.value}"
            raise ValueError(msg)
        event_type, description = _NATIVE[kind]
        self.streams.publish(
            self._alert(vendor_type or event_type, description, active=active, channel=channel)
        )

    def forget_sessions(self) -> None:
        """End the alert streams and forget Digest nonces (what a reboot does)."""
        self.streams.end_all(then=self._nonces.clear)

    def _alert(self, event_type: str, description: str, *, active: bool, channel: int) -> bytes:
        body = _xml(
            "EventNotificationAlert",
            self.namespace,
            [
                ("ipAddress", self.host),
                ("portNo", self.port),
                ("protocol", "HTTP"),
                ("macAddress", "44:19:b6:00:00:01"),
                ("channelID", channel),
                ("dateTime", self._local_time(with_offset=True)),
                ("activePostCount", 1),
                ("eventType", event_type),
                ("eventState", "active" if active else "inactive"),
                ("eventDescription", description),
            ],
        )
        return self._part(body)

    def _heartbeat(self) -> bytes:
        body = _xml(
            "EventNotificationAlert",
            self.namespace,
            [
                ("ipAddress", self.host),
                ("portNo", self.port),
                ("protocol", "HTTP"),
                ("channelID", 1),
                ("dateTime", self._local_time(with_offset=True)),
                ("activePostCount", 0),
                ("eventType", "videoloss"),
                ("eventState", "inactive"),
                ("eventDescription", "videoloss alarm"),
            ],
        )
        return self._part(body)

    def _part(self, body: bytes) -> bytes:
        head = (
            f"--{self.boundary}\r\n"
            'Content-Type: application/xml; charset="UTF-8"\r\n'
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body + b"\r\n"

    # --- answers --------------------------------------------------------------------------

    def _local_time(self, *, with_offset: bool) -> str:
        local = (self.now() + self.utc_offset).replace(tzinfo=None, microsecond=0)
        if not with_offset:
            return local.isoformat()
        return local.replace(tzinfo=dt.timezone(self.utc_offset)).isoformat()

    def _posix_zone(self) -> str:
        minutes = int(self.utc_offset.total_seconds()) // 60
        sign = "-" if minutes >= 0 else "+"  # POSIX inverts the sign
        hours, minutes = divmod(abs(minutes), 60)
        return f"CST{sign}{hours}:{minutes:02d}:00"

    def _status(self, http: int, code: int, text: str, sub: str, path: str) -> SimResponse:
        body = _xml(
            "ResponseStatus",
            self.namespace,
            [
                ("requestURL", path),
                ("statusCode", code),
                ("statusString", text),
                ("subStatusCode", sub),
            ],
        )
        return SimResponse(http, body, "application/xml; charset=UTF-8")

    def _document(self, root: str, fields: list[tuple[str, object]]) -> SimResponse:
        return SimResponse(200, _xml(root, self.namespace, fields), "application/xml")

    def _channels(self) -> SimResponse:
        xmlns = f' xmlns="{self.namespace}"' if self.namespace else ""
        items = []
        for channel in range(1, self.channels + 1):
            for stream, (width, height, codec) in (
                (1, (1920, 1080, "H.264")),
                (2, (640, 360, "H.265")),
            ):
                items.append(
                    f'<StreamingChannel version="2.0"{xmlns}>'
                    f"<id>{channel * 100 + stream}</id>"
                    f"<channelName>Camera {channel:02d}</channelName><enabled>true</enabled>"
                    f"<Video><enabled>true</enabled>"
                    f"<videoInputChannelID>{channel}</videoInputChannelID>"
                    f"<videoCodecType>{codec}</videoCodecType>"
                    f"<videoResolutionWidth>{width}</videoResolutionWidth>"
                    f"<videoResolutionHeight>{height}</videoResolutionHeight>"
                    f"</Video></StreamingChannel>"
                )
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<StreamingChannelList version="2.0"{xmlns}>{"".join(items)}</StreamingChannelList>\n'
        )
        return SimResponse(200, body.encode(), "application/xml")

    def _alert_stream(self) -> SimResponse:
        content_type = f"multipart/mixed; boundary={self.header_boundary}"
        if "cut" in self.faults:
            return cut_short(SimResponse(200, self._heartbeat(), content_type))
        return SimResponse(200, content_type=content_type, stream=self.streams.start())

    async def handle(self, request: SimRequest) -> SimResponse:
        """Answer one ISAPI request."""
        denied = self.check_http_auth(request)
        if denied is not None:
            return denied
        if "status4" in self.faults:
            return self._status(403, 4, "Invalid Operation", "notSupport", request.path)
        if "http500" in self.faults:
            return SimResponse(500, b"", "text/html")
        if "garbage" in self.faults:
            return SimResponse(200, _GARBAGE, "application/xml")
        response = self._route(request)
        if "cut" in self.faults and response.stream is None:
            return cut_short(response)
        return response

    def _route(self, request: SimRequest) -> SimResponse:  # noqa: PLR0911 - a router
        path = request.path
        if request.method != "GET":
            return self._status(405, 4, "Invalid Operation", "methodNotAllowed", path)
        if path == "/ISAPI/System/deviceInfo":
            return self._document(
                "DeviceInfo",
                [
                    ("deviceName", "IP CAMERA"),
                    ("deviceID", f"{self.port:08d}-0000-0000-0000-000000000000"),
                    ("model", self.model),
                    ("serialNumber", self.serial),
                    ("macAddress", "44:19:b6:00:00:01"),
                    ("firmwareVersion", self.firmware),
                    ("firmwareReleasedDate", "build 240101"),
                    ("deviceType", "IPCamera" if self.channels == 1 else "NVR"),
                ],
            )
        if path == "/ISAPI/Streaming/channels":
            return self._channels()
        if path == "/ISAPI/System/time":
            return self._document(
                "Time",
                [
                    ("timeMode", "NTP"),
                    ("localTime", self._local_time(with_offset=self.offset_in_local_time)),
                    ("timeZone", self._posix_zone()),
                ],
            )
        if path == "/ISAPI/Event/notification/alertStream":
            return self._alert_stream()
        picture = _PICTURE.match(path)
        if picture is not None:
            number = int(picture.group(1))
            if not 1 <= number // 100 <= self.channels or number % 100 not in (1, 2):
                return self._status(404, 4, "Invalid Operation", "invalidID", path)
            if "not_jpeg" in self.faults:
                return SimResponse(200, _NOT_JPEG, "image/jpeg")
            return SimResponse(200, TINY_JPEG, "image/jpeg")
        return self._status(404, 4, "Invalid Operation", "notSupport", path)
