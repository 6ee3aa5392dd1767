"""Hikvision ISAPI: device info, streaming channels, pictures, clock and the alert stream."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Iterator
from typing import ClassVar, Final
from xml.etree.ElementTree import Element, ParseError

import requests
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from smartcity_kit.errors import DeviceProtocolError, ValidationError
from smartcity_kit.security._events import CameraEvent, EventKind
from smartcity_kit.security.adapters._base import (
    Credentials,
    DeviceInfo,
    Endpoint,
    StreamProfile,
    Timeouts,
)
from smartcity_kit.security.adapters._http import AuthMode, DeviceHttp
from smartcity_kit.security.adapters._multipart import EventStreamPolicy, Part, follow_parts

__all__ = ["IsapiAdapter"]

_log = logging.getLogger("smartcity_kit.security.adapters")

_OK: Final = 200
_JPEG_SOI: Final = b"\xff\xd8"
_STREAM_NAMES: Final = {1: "mainStream", 2: "subStream", 3: "thirdStream"}
_EVENT_KINDS: Final = {
    "vmd": EventKind.MOTION,
    "tamperdetection": EventKind.TAMPER,
    "videoloss": EventKind.VIDEO_LOSS,
    "linedetection": EventKind.LINE_CROSSING,
    "fielddetection": EventKind.INTRUSION,
}
# POSIX TZ as Hikvision writes it: "CST-8:00:00" is UTC+8 (the sign is inverted).
_POSIX_ZONE: Final = re.compile(r"^[A-Za-z]{3,}([+-]?)(\d{1,2})(?::(\d{1,2}))?(?::(\d{1,2}))?")
_UNSAFE: Final = re.compile(r"[^\x20-\x7e]+")


def _clean(text: str, limit: int = 100) -> str:
    """Device-supplied text made safe for an error message: printable ASCII, bounded."""
    return _UNSAFE.sub(" ", text).strip()[:limit]


def _local(tag: str) -> str:
    """``{namespace}name`` -> ``name``: ISAPI firmware uses two namespaces, or none."""
    return tag.rsplit("}", 1)[-1]


def _child(element: Element, name: str) -> Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text(element: Element, name: str) -> str:
    child = _child(element, name)
    return (child.text or "").strip() if child is not None else ""


def _parse_xml(body: bytes) -> Element:
    """Untrusted XML, parsed with defusedxml (no entities, no DTDs, no external references)."""
    try:
        return fromstring(body)
    except (ParseError, DefusedXmlException, ValueError):
        raise DeviceProtocolError("the answer is not well-formed XML") from None


def _instant(text: str) -> dt.datetime | None:
    """An ISO 8601 time with an offset as UTC; None when it has no offset or is not a time."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if value.tzinfo is None:
        return None
    return value.astimezone(dt.UTC)


def _posix_offset(zone: str) -> dt.timedelta | None:
    match = _POSIX_ZONE.match(zone.strip())
    if match is None:
        return None
    sign, hours, minutes, seconds = match.groups()
    offset = dt.timedelta(hours=int(hours), minutes=int(minutes or 0), seconds=int(seconds or 0))
    return offset if sign == "-" else -offset


def _positive_int(text: str) -> int | None:
    return int(text) if text.isdigit() and text.isascii() and int(text) > 0 else None


class IsapiAdapter:
    """A Hikvision (or OEM) camera or NVR channel, over ISAPI.

    HTTP authentication starts with Basic and switches to Digest when the device asks for it
    (most firmware since 2016 only accepts Digest). XML is read with defusedxml, ignoring
    which of the two ISAPI namespaces (or none) the firmware uses. A ``<ResponseStatus>``
    error (``statusCode`` 4 "Invalid Operation"...) becomes a
    :class:`~smartcity_kit.errors.DeviceProtocolError` that quotes the status string.

    Profiles are the device's streaming channels for ``endpoint.channel`` (channel id =
    channel x 100 + stream: ``101`` main, ``102`` sub), main stream first.

    Args:
        endpoint: Where the device answers (``channel`` picks the video channel).
        credentials: The device account, or None for a device without authentication.
        timeouts: Connect and read timeouts for every request.
        session: A shared session (see :func:`~smartcity_kit.security.adapters.new_session`).
        verify_tls: Check HTTPS certificates (True, False, or a CA bundle path).
        event_stream: How :meth:`events` follows the alert stream (defaults: reopen at once
            after a drop, retry failures with backoff, give up after 2 minutes of failures).
    """

    #: The clock is read with the credentials, so a clock answer also proves them.
    clock_needs_credentials: ClassVar[bool] = True

    def __init__(  # noqa: PLR0913 - the parts of a connection
        self,
        endpoint: Endpoint,
        credentials: Credentials | None,
        *,
        timeouts: Timeouts | None = None,
        session: requests.Session | None = None,
        verify_tls: bool | str = True,
        event_stream: EventStreamPolicy | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._http = DeviceHttp(
            endpoint,
            credentials,
            timeouts=timeouts,
            session=session,
            auth=AuthMode.BASIC,
            verify_tls=verify_tls,
        )
        self._events = event_stream or EventStreamPolicy()

    @property
    def endpoint(self) -> Endpoint:
        """Where the device answers."""
        return self._endpoint

    # --- requests -------------------------------------------------------------------------

    def _get(self, path: str) -> tuple[int, bytes]:
        return self._http.exchange("GET", path)

    def _document(self, path: str, root: str) -> Element:
        """The XML document at ``path``, whose root must be ``root``."""
        status, body = self._get(path)
        if status != _OK:
            raise self._error(status, body)
        try:
            element = _parse_xml(body)
        except DeviceProtocolError as e:
            raise DeviceProtocolError(f"{self._endpoint}: {path}: {e}") from None
        name = _local(element.tag)
        if name == "ResponseStatus":
            raise self._status_error(element)
        if name != root:
            raise DeviceProtocolError(
                f"{self._endpoint}: {path}: expected <{root}>, got <{_clean(name, 40)}>"
            )
        return element

    def _error(self, status: int, body: bytes) -> DeviceProtocolError:
        return self._response_status(body) or DeviceProtocolError(
            f"{self._endpoint}: the device answered HTTP {status}"
        )

    def _response_status(self, body: bytes) -> DeviceProtocolError | None:
        """The error a ``<ResponseStatus>`` body reports, if the body is one."""
        if not body.lstrip().startswith(b"<"):
            return None
        try:
            element = _parse_xml(body)
        except DeviceProtocolError:
            return None
        return self._status_error(element) if _local(element.tag) == "ResponseStatus" else None

    def _status_error(self, element: Element) -> DeviceProtocolError:
        code = _clean(_text(element, "statusCode"), 10)
        message = _clean(_text(element, "statusString")) or "an error"
        sub = _clean(_text(element, "subStatusCode"), 40)
        detail = f"statusCode {code}" + (f", {sub}" if sub else "")
        return DeviceProtocolError(f"{self._endpoint}: the device answered {message!r} ({detail})")

    # --- the CameraAdapter operations -----------------------------------------------------

    def device_info(self) -> DeviceInfo:
        """Maker, model, firmware and serial number, from ``/ISAPI/System/deviceInfo``."""
        info = self._document("/ISAPI/System/deviceInfo", "DeviceInfo")
        return DeviceInfo(
            manufacturer=_text(info, "manufacturer") or "HIKVISION",
            model=_text(info, "model"),
            firmware=_text(info, "firmwareVersion"),
            serial=_text(info, "serialNumber"),
            hardware_id=_text(info, "deviceType"),
        )

    def profiles(self) -> list[StreamProfile]:
        """The enabled streams of ``endpoint.channel``, main stream first.

        From ``/ISAPI/Streaming/channels``; empty when the device has no such channel.
        """
        channels = self._document("/ISAPI/Streaming/channels", "StreamingChannelList")
        found: list[tuple[int, StreamProfile]] = []
        for channel in channels:
            if _local(channel.tag) != "StreamingChannel":
                continue
            number = _positive_int(_text(channel, "id"))
            if number is None or number // 100 != self._endpoint.channel:
                continue
            if _text(channel, "enabled").lower() == "false":
                continue
            found.append((number % 100, self._profile(number, channel)))
        return [profile for _, profile in sorted(found, key=lambda item: item[0])]

    def _profile(self, number: int, channel: Element) -> StreamProfile:
        video = _child(channel, "Video")
        width = height = None
        encoding = None
        if video is not None:
            width = _positive_int(_text(video, "videoResolutionWidth"))
            height = _positive_int(_text(video, "videoResolutionHeight"))
            codec = _text(video, "videoCodecType").replace(".", "").upper()
            encoding = {"MJPEG": "JPEG", "": None}.get(codec, codec)
        host = self._endpoint.netloc.rsplit(":", 1)[0]  # bracketed when IPv6
        return StreamProfile(
            token=str(number),
            name=_STREAM_NAMES.get(number % 100, f"stream{number % 100}"),
            rtsp_uri=f"rtsp://{host}:{self._endpoint.rtsp_port}/Streaming/Channels/{number}",
            snapshot_uri=f"{self._endpoint.base_url}{self._picture_path(number)}",
            width=width,
            height=height,
            encoding=encoding,
        )

    @staticmethod
    def _picture_path(number: int) -> str:
        return f"/ISAPI/Streaming/channels/{number}/picture"

    def snapshot(self, profile: str | None = None) -> bytes:
        """A JPEG from ``profile`` (a channel id such as ``101``; default: the main stream).

        Raises:
            ValidationError: ``profile`` is not a channel id.
            DeviceProtocolError: The device answered something other than a JPEG.
        """
        token = profile if profile is not None else f"{self._endpoint.channel}01"
        number = _positive_int(token)
        if number is None:
            raise ValidationError.single("profile", "must be an ISAPI channel id such as 101")
        status, body = self._get(self._picture_path(number))
        if status != _OK:
            raise self._error(status, body)
        if not body.startswith(_JPEG_SOI):
            raise self._response_status(body) or DeviceProtocolError(
                f"{self._endpoint}: the picture is not a JPEG"
            )
        return body

    def clock(self) -> dt.datetime:
        """The device's clock from ``/ISAPI/System/time``, as UTC.

        ``localTime`` carries its offset on current firmware; when it does not, the POSIX
        ``timeZone`` (``CST-8:00:00`` is UTC+8) gives it.
        """
        time = self._document("/ISAPI/System/time", "Time")
        local = _text(time, "localTime")
        instant = _instant(local)
        if instant is not None:
            return instant
        offset = _posix_offset(_text(time, "timeZone"))
        try:
            naive = dt.datetime.fromisoformat(local)
        except ValueError:
            naive = None
        if naive is None or offset is None:
            raise DeviceProtocolError(f"{self._endpoint}: the device's time is unreadable")
        return naive.replace(tzinfo=dt.timezone(offset)).astimezone(dt.UTC)

    def events(
        self, camera_id: str, *, stop: threading.Event | None = None
    ) -> Iterator[CameraEvent]:
        """Events from ``/ISAPI/Event/notification/alertStream``, normalized.

        ``vmd`` is motion, ``tamperdetection`` tamper, ``videoloss`` video loss,
        ``linedetection`` line crossing, ``fielddetection`` intrusion, anything else
        :attr:`~smartcity_kit.security.EventKind.OTHER` (the raw type is kept). Times come from
        the alert's ``dateTime`` (UTC when it has an offset, else the time it was received).

        Heartbeats are dropped: firmware sends ``videoloss`` alerts with ``eventState``
        ``inactive`` and ``activePostCount`` 0 (or none) every few seconds while nothing
        happens. An inactive ``videoloss`` with ``activePostCount`` of 1 or more is the end of
        a real video loss and is reported. Parts that are not an ``EventNotificationAlert``
        (pictures, malformed XML) are skipped.

        The stream is reopened when it drops (NVRs drop it every 40 seconds or so) as the
        adapter's :class:`~smartcity_kit.security.adapters.EventStreamPolicy` says; this raises
        only when the credentials are refused, when the first attempt fails, or when failures
        go on for ``give_up_after`` seconds. Setting ``stop`` ends the iteration at the next
        byte the device sends (a heartbeat at the latest).
        """
        parts = follow_parts(
            self._open_alert_stream,
            endpoint=self._endpoint,
            policy=self._events,
            stop=stop,
            default_boundary="boundary",
        )
        for part in parts:
            event = self._event(camera_id, part)
            if event is not None:
                yield event

    def _open_alert_stream(self) -> requests.Response:
        response = self._http.request(
            "GET",
            "/ISAPI/Event/notification/alertStream",
            stream=True,
            read_timeout=self._events.idle_timeout,
        )
        if response.status_code != _OK:
            raise self._error(response.status_code, self._http.body(response))
        return response

    def _event(self, camera_id: str, part: Part) -> CameraEvent | None:
        if part.content_type and "xml" not in part.content_type:
            return None
        try:
            alert = _parse_xml(part.body)
        except DeviceProtocolError:
            _log.debug("%s: skipped an alert that is not XML", self._endpoint)
            return None
        if _local(alert.tag) != "EventNotificationAlert":
            return None
        vendor_type = _text(alert, "eventType")
        state = _text(alert, "eventState").lower()
        active = state != "inactive"
        if (
            vendor_type.lower() == "videoloss"
            and not active
            and _text(alert, "activePostCount") in ("", "0")
        ):
            return None  # a heartbeat
        channel = _positive_int(_text(alert, "channelID")) or _positive_int(
            _text(alert, "dynChannelID")
        )
        if channel is not None and channel != self._endpoint.channel:
            return None  # another channel of the NVR: another camera in the registry
        details = {
            _local(child.tag): (child.text or "").strip()
            for child in alert
            if len(child) == 0
            and (child.text or "").strip()
            and _local(child.tag) not in ("eventType", "eventState")
        }
        return CameraEvent(
            camera_id=camera_id,
            kind=_EVENT_KINDS.get(vendor_type.lower(), EventKind.OTHER),
            at=_instant(_text(alert, "dateTime")) or dt.datetime.now(dt.UTC),
            active=active,
            vendor_type=vendor_type,
            channel=channel,
            details=details,
        )

    def close(self) -> None:
        """Release the HTTP connections (if the adapter made its own session)."""
        self._http.close()

    def __repr__(self) -> str:
        return f"IsapiAdapter({self._endpoint}, http={self._http!r})"
