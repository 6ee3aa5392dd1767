"""Dahua (and Amcrest and other OEM) CGI: magicBox, encode config, snapshot, clock, events."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from typing import ClassVar, Final

import requests

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

__all__ = ["DahuaAdapter"]

_OK: Final = 200
_JPEG_SOI: Final = b"\xff\xd8"
#: subtype -> (token, the device's name for the stream in its Encode config)
_STREAMS: Final = ((0, "MainFormat"), (1, "ExtraFormat"))
_EVENT_KINDS: Final = {
    "VideoMotion": EventKind.MOTION,
    "VideoBlind": EventKind.TAMPER,
    "VideoLoss": EventKind.VIDEO_LOSS,
    "CrossLineDetection": EventKind.LINE_CROSSING,
    "CrossRegionDetection": EventKind.INTRUSION,
}
_EVENT_START: Final = re.compile(r"(?m)^[ \t]*(?=Code=)")
_TIME: Final = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{1,2}):(\d{1,2})$")
_UNSAFE: Final = re.compile(r"[^\x20-\x7e]+")


def _clean(text: str, limit: int = 100) -> str:
    """Device-supplied text made safe for an error message: printable ASCII, bounded."""
    return _UNSAFE.sub(" ", text).strip()[:limit]


def _pairs(text: str) -> dict[str, str]:
    """``key=value`` lines (the rest of a line after the first ``=`` is the value)."""
    pairs: dict[str, str] = {}
    for line in text.splitlines():
        key, equals, value = line.partition("=")
        if equals and key.strip():
            pairs[key.strip()] = value.strip()
    return pairs


def _error_reason(body: bytes) -> str | None:
    """The reason of an ``Error`` / ``Bad Request!`` answer; None when the body is not one."""
    lines = [line.strip() for line in body[:512].decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    if not lines or lines[0].lower() != "error":
        return None
    return _clean(lines[1]) if len(lines) > 1 else "no reason given"


class DahuaAdapter:
    """A Dahua (or Amcrest, or other OEM) camera or NVR channel, over its HTTP CGI API.

    HTTP authentication starts with Basic and switches to Digest when the device asks for it.
    An answer of ``Error`` and a reason on the next line (``Bad Request!``, which the
    firmware sends for unknown actions and bad arguments) becomes a
    :class:`~smartcity_kit.errors.DeviceProtocolError` quoting the reason.

    The device's clock (``global.cgi?action=getCurrentTime``) is local time without a zone,
    and the firmware's zone setting is an index into a vendor table that differs between
    firmware lines. So the adapter is told the zone: ``device_timezone`` (UTC by default,
    which is right for cameras set to UTC by NTP; a city whose cameras show local time
    passes e.g. ``TimeZone.WITA.zone``).

    Args:
        endpoint: Where the device answers (``channel`` picks the video channel).
        credentials: The device account, or None for a device without authentication.
        timeouts: Connect and read timeouts for every request.
        session: A shared session (see :func:`~smartcity_kit.security.adapters.new_session`).
        verify_tls: Check HTTPS certificates (True, False, or a CA bundle path).
        device_timezone: The zone the device's clock is set to.
        event_stream: How :meth:`events` follows the event stream (defaults: reopen at once
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
        device_timezone: dt.tzinfo = dt.UTC,
        event_stream: EventStreamPolicy | None = None,
    ) -> None:
        if not isinstance(device_timezone, dt.tzinfo):
            raise ValidationError.single("device_timezone", "must be a time zone (tzinfo)")
        self._endpoint = endpoint
        self._http = DeviceHttp(
            endpoint,
            credentials,
            timeouts=timeouts,
            session=session,
            auth=AuthMode.BASIC,
            verify_tls=verify_tls,
        )
        self._zone = device_timezone
        self._events = event_stream or EventStreamPolicy()

    @property
    def endpoint(self) -> Endpoint:
        """Where the device answers."""
        return self._endpoint

    # --- requests -------------------------------------------------------------------------

    def _get(self, path: str) -> tuple[int, bytes]:
        return self._http.exchange("GET", path)

    def _error(self, status: int, body: bytes) -> DeviceProtocolError:
        """The error a failed answer reports: the reason after ``Error``, else the status."""
        reason = _error_reason(body)
        if reason is not None:
            return DeviceProtocolError(f"{self._endpoint}: the device answered an error: {reason}")
        return DeviceProtocolError(f"{self._endpoint}: the device answered HTTP {status}")

    def _text(self, path: str) -> str:
        status, body = self._get(path)
        if status != _OK or _error_reason(body) is not None:
            raise self._error(status, body)
        return body.decode("utf-8", "replace")

    def _values(self, path: str, *keys: str) -> dict[str, str]:
        """The ``key=value`` answer at ``path``, which must hold ``keys``."""
        pairs = _pairs(self._text(path))
        missing = [key for key in keys if not pairs.get(key)]
        if missing:
            raise DeviceProtocolError(
                f"{self._endpoint}: {path.split('?', 1)[0]} answered no {missing[0]}"
            )
        return pairs

    # --- the CameraAdapter operations -----------------------------------------------------

    def device_info(self) -> DeviceInfo:
        """Model, firmware and serial number from ``magicBox.cgi``.

        ``getSystemInfo`` and ``getSoftwareVersion`` answer everything on current firmware;
        older firmware that leaves the model or serial number out of ``getSystemInfo`` is
        asked ``getDeviceType`` and ``getSerialNo``. The manufacturer is ``Dahua`` (the CGI
        API is Dahua's, whoever's name is on the case).
        """
        box = "/cgi-bin/magicBox.cgi?action="
        system = self._values(box + "getSystemInfo")
        model = system.get("deviceType") or self._values(box + "getDeviceType", "type")["type"]
        serial = system.get("serialNumber") or self._values(box + "getSerialNo", "sn")["sn"]
        firmware = self._values(box + "getSoftwareVersion", "version")["version"]
        return DeviceInfo(
            manufacturer="Dahua",
            model=model,
            firmware=firmware,
            serial=serial,
            hardware_id=system.get("hardwareVersion", ""),
        )

    def profiles(self) -> list[StreamProfile]:
        """Main (``subtype=0``) and sub (``subtype=1``) streams of ``endpoint.channel``.

        Codec and resolution come from the ``Encode`` config; a stream the config does not
        describe is left out (empty: the device has no such channel).
        """
        path = "/cgi-bin/configManager.cgi?action=getConfig&name=Encode"
        config = _pairs(self._text(path))
        if not any(key.startswith("table.Encode[") for key in config):
            raise DeviceProtocolError(f"{self._endpoint}: the Encode config is unreadable")
        channel = self._endpoint.channel
        host = self._endpoint.netloc.rsplit(":", 1)[0]  # bracketed when IPv6
        found: list[StreamProfile] = []
        for subtype, name in _STREAMS:
            prefix = f"table.Encode[{channel - 1}].{name}[0].Video."
            if not any(key.startswith(prefix) for key in config):
                continue
            width, height = config.get(prefix + "Width", ""), config.get(prefix + "Height", "")
            codec = config.get(prefix + "Compression", "").replace(".", "").upper()
            found.append(
                StreamProfile(
                    token=str(subtype),
                    name=name,
                    rtsp_uri=(
                        f"rtsp://{host}:{self._endpoint.rtsp_port}/cam/realmonitor"
                        f"?channel={channel}&subtype={subtype}"
                    ),
                    snapshot_uri=f"{self._endpoint.base_url}{self._snapshot_path()}",
                    width=int(width) if width.isdigit() else None,
                    height=int(height) if height.isdigit() else None,
                    encoding={"MJPG": "JPEG", "MJPEG": "JPEG", "": None}.get(codec, codec),
                )
            )
        return found

    def _snapshot_path(self) -> str:
        return f"/cgi-bin/snapshot.cgi?channel={self._endpoint.channel}"

    def snapshot(self, profile: str | None = None) -> bytes:
        """A JPEG of ``endpoint.channel``.

        Dahua has one picture per channel, whatever the stream: ``profile`` may be None,
        ``"0"`` or ``"1"``.

        Raises:
            ValidationError: ``profile`` is not one of this adapter's profile tokens.
            DeviceProtocolError: The device answered something other than a JPEG.
        """
        if profile not in (None, "0", "1"):
            raise ValidationError.single("profile", "must be '0' (main) or '1' (sub)")
        status, body = self._get(self._snapshot_path())
        if status != _OK:
            raise self._error(status, body)
        if not body.startswith(_JPEG_SOI):
            if _error_reason(body) is not None:
                raise self._error(status, body)
            raise DeviceProtocolError(f"{self._endpoint}: the picture is not a JPEG")
        return body

    def clock(self) -> dt.datetime:
        """The device's clock (``global.cgi?action=getCurrentTime``) as UTC.

        The device says local time without a zone: it is read in ``device_timezone``.
        """
        result = self._values("/cgi-bin/global.cgi?action=getCurrentTime", "result")["result"]
        match = _TIME.match(result)
        if match is None:
            raise DeviceProtocolError(f"{self._endpoint}: the device's time is unreadable")
        try:
            year, month, day, hour, minute, second = (int(n) for n in match.groups())
            local = dt.datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - below
        except ValueError:
            raise DeviceProtocolError(
                f"{self._endpoint}: the device's time is not a real date"
            ) from None
        return local.replace(tzinfo=self._zone).astimezone(dt.UTC)

    def events(
        self, camera_id: str, *, stop: threading.Event | None = None
    ) -> Iterator[CameraEvent]:
        """Events from ``eventManager.cgi?action=attach&codes=[All]``, normalized.

        ``VideoMotion`` is motion, ``VideoBlind`` tamper, ``VideoLoss`` video loss,
        ``CrossLineDetection`` line crossing, ``CrossRegionDetection`` intrusion, any other
        code :attr:`~smartcity_kit.security.EventKind.OTHER` (the raw code is kept).
        ``action=Start`` (and ``Pulse``, for momentary events) is active, ``Stop`` inactive;
        ``index`` is the 0-based channel, reported as ``index + 1``. The parts carry no
        reliable time, so events are stamped when received. ``Heartbeat`` parts (asked for
        every third of the idle timeout) are dropped.

        Reconnects and raises as :meth:`IsapiAdapter.events
        <smartcity_kit.security.adapters.IsapiAdapter.events>` does.
        """
        parts = follow_parts(
            self._open_attach,
            endpoint=self._endpoint,
            policy=self._events,
            stop=stop,
            default_boundary="myboundary",
        )
        for part in parts:
            yield from self._events_in(camera_id, part)

    def _open_attach(self) -> requests.Response:
        heartbeat = max(1, int(self._events.idle_timeout / 3))
        response = self._http.request(
            "GET",
            f"/cgi-bin/eventManager.cgi?action=attach&codes=[All]&heartbeat={heartbeat}",
            stream=True,
            read_timeout=self._events.idle_timeout,
        )
        if response.status_code != _OK:
            raise self._error(response.status_code, self._http.body(response))
        return response

    def _events_in(self, camera_id: str, part: Part) -> Iterator[CameraEvent]:
        if part.content_type and not part.content_type.startswith("text/"):
            return
        now = dt.datetime.now(dt.UTC)
        # One part may hold several events, and an event's data= JSON may span lines.
        for chunk in _EVENT_START.split(part.text()):
            text = chunk.strip()
            if not text.startswith("Code="):
                continue  # "Heartbeat", blank, or something else
            head, _, data = text.partition(";data=")
            fields = {
                key.strip(): value.strip()
                for key, _, value in (item.partition("=") for item in head.split(";"))
            }
            if data:
                fields["data"] = data.strip()
            code = fields.pop("Code", "")
            if not code or code == "Heartbeat":
                continue
            index = fields.get("index", "")
            channel = int(index) + 1 if index.isdigit() and index.isascii() else None
            if channel is not None and channel != self._endpoint.channel:
                continue  # another channel of the NVR: another camera in the registry
            yield CameraEvent(
                camera_id=camera_id,
                kind=_EVENT_KINDS.get(code, EventKind.OTHER),
                at=now,
                active=fields.get("action", "").lower() != "stop",
                vendor_type=code,
                channel=channel,
                details=fields,
            )

    def close(self) -> None:
        """Release the HTTP connections (if the adapter made its own session)."""
        self._http.close()

    def __repr__(self) -> str:
        return f"DahuaAdapter({self._endpoint}, http={self._http!r})"
