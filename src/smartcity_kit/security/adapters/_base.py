"""What every camera adapter offers, whatever the vendor: one Protocol and its result types."""

from __future__ import annotations

import datetime as dt
import enum
import ipaddress
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any, Final, Protocol, runtime_checkable

import attrs

from smartcity_kit.errors import ValidationError
from smartcity_kit.security._events import CameraEvent

__all__ = [
    "CameraAdapter",
    "Credentials",
    "DeviceInfo",
    "Endpoint",
    "StreamProfile",
    "Timeouts",
    "VendorProtocol",
]

_MAX_HOST: Final = 253


class VendorProtocol(enum.StrEnum):
    """How a camera is spoken to."""

    ONVIF = "onvif"
    """ONVIF Profile S/T over SOAP (most cameras and NVRs)."""
    ISAPI = "isapi"
    """Hikvision ISAPI (Hikvision and its OEMs)."""
    DAHUA = "dahua"
    """Dahua / Amcrest CGI (Dahua and its OEMs)."""
    HTTP_SNAPSHOT = "http_snapshot"
    """Nothing but a snapshot URL (and perhaps an RTSP URL): older or cheaper cameras."""


def _check_host(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, str) or not value or len(value) > _MAX_HOST:
        raise ValidationError.single("host", "must be a host name or IP address")
    if any(c.isspace() or c in "/@?#[]" for c in value):
        raise ValidationError.single("host", "must be a bare host name or IP address (no URL)")
    if ":" in value:
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            raise ValidationError.single(
                "host", "must be a host name or IP address without a port (give the port apart)"
            ) from None


#: Query parameters through which some cameras take credentials; a URI with one would hand
#: the password to whoever gets the URI.
CREDENTIAL_PARAMS: Final = frozenset(
    {"user", "usr", "username", "loginuse", "pwd", "pass", "passwd", "password", "loginpas"}
)


def carries_credentials(uri: str) -> bool:
    """Whether ``uri`` holds credentials: ``user:password@`` or a password query parameter."""
    parts = urllib.parse.urlsplit(uri)
    if "@" in parts.netloc:
        return True
    names = {n.lower() for n, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)}
    return bool(names & CREDENTIAL_PARAMS)


def without_credentials(uri: str) -> str:
    """``uri`` with any ``user:password@`` and password query parameters taken out."""
    parts = urllib.parse.urlsplit(uri)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    kept = [
        (n, v)
        for n, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        if n.lower() not in CREDENTIAL_PARAMS
    ]
    query = urllib.parse.urlencode(kept, safe="/:,[]") if kept else ""
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _check_port(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
        raise ValidationError.single("port", "must be a whole number from 1 to 65535")


def _check_scheme(_instance: object, _attribute: object, value: Any) -> None:
    if value not in ("http", "https"):
        raise ValidationError.single("scheme", "must be http or https")


def _check_channel(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 512:
        raise ValidationError.single("channel", "must be a whole number from 1 to 512")


@attrs.frozen
class Endpoint:
    """Where a camera's management interface answers.

    Attributes:
        host: Host name or IP address (no scheme, no path).
        port: HTTP(S) port of the management interface.
        scheme: ``http`` or ``https``.
        channel: Video channel (1 for a single camera; NVRs have many).
        rtsp_port: Port of the RTSP server (554 on almost every camera).
    """

    host: str = attrs.field(validator=_check_host)
    port: int = attrs.field(default=80, validator=_check_port)
    scheme: str = attrs.field(default="http", validator=_check_scheme)
    channel: int = attrs.field(default=1, validator=_check_channel)
    rtsp_port: int = attrs.field(default=554, validator=_check_port)

    @property
    def base_url(self) -> str:
        """``scheme://host:port`` (IPv6 addresses in brackets)."""
        return f"{self.scheme}://{self.netloc}"

    @property
    def netloc(self) -> str:
        """``host:port`` (IPv6 addresses in brackets)."""
        return f"{_bracketed(self.host)}:{self.port}"

    def __str__(self) -> str:
        return self.netloc


def _bracketed(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    return f"[{host}]" if address.version == 6 else host


@attrs.frozen(repr=False)
class Credentials:
    """A user name and password for a device. The password never appears in a repr or str.

    Attributes:
        username: The account on the device.
        password: Its password.
    """

    username: str
    password: str = attrs.field(eq=True)

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password='***')"

    __str__ = __repr__


@attrs.frozen
class Timeouts:
    """Seconds to wait for a device: to connect, and between bytes of an answer.

    Attributes:
        connect: Seconds to wait for the TCP (and TLS) connection.
        read: Seconds to wait for the next bytes of an answer.
    """

    connect: float = 3.05
    read: float = 10.0

    def as_tuple(self) -> tuple[float, float]:
        """``(connect, read)``, as requests takes them."""
        return (self.connect, self.read)


@attrs.frozen
class DeviceInfo:
    """What a device says it is.

    Attributes:
        manufacturer: Maker (``HIKVISION``, ``Dahua``, ...).
        model: Model name.
        firmware: Firmware version.
        serial: Serial number.
        hardware_id: Hardware id or device type, when the device reports one.
    """

    manufacturer: str
    model: str
    firmware: str
    serial: str
    hardware_id: str = ""


@attrs.frozen
class StreamProfile:
    """A video profile of a device: its RTSP stream and snapshot addresses.

    The URIs never embed credentials; a viewer adds them (or asks the city's media proxy).

    Attributes:
        token: The device's id for the profile (ONVIF profile token, ISAPI channel id ``101``).
        name: The device's name for it (``mainStream``, ``Profile_1``).
        rtsp_uri: ``rtsp://host:554/...`` without user or password.
        snapshot_uri: ``http(s)://host/...`` for a JPEG, when the device has one.
        width: Picture width in pixels, when known.
        height: Picture height in pixels, when known.
        encoding: ``H264``, ``H265``, ``JPEG``..., when known.
    """

    token: str
    name: str
    rtsp_uri: str
    snapshot_uri: str | None = None
    width: int | None = None
    height: int | None = None
    encoding: str | None = None


@runtime_checkable
class CameraAdapter(Protocol):
    """One camera, spoken to in its own protocol; every call has a timeout.

    Every method raises :class:`~smartcity_kit.errors.DeviceUnreachableError` when the device
    does not answer in time or refuses the connection,
    :class:`~smartcity_kit.errors.DeviceAuthError` when it refuses the credentials, and
    :class:`~smartcity_kit.errors.DeviceProtocolError` when it answers something the protocol
    does not allow. Messages name the device (``host:port``), never the credentials.
    """

    @property
    def endpoint(self) -> Endpoint:
        """Where the device answers."""
        ...

    def device_info(self) -> DeviceInfo:
        """Maker, model, firmware and serial number."""
        ...

    def profiles(self) -> list[StreamProfile]:
        """The video profiles, main stream first, with RTSP and snapshot URIs."""
        ...

    def snapshot(self, profile: str | None = None) -> bytes:
        """A JPEG picture, now (from ``profile``, else the first profile)."""
        ...

    def clock(self) -> dt.datetime:
        """The device's clock, as a UTC instant."""
        ...

    def events(
        self, camera_id: str, *, stop: threading.Event | None = None
    ) -> Iterator[CameraEvent]:
        """Normalized events as they come, until ``stop`` is set or the caller stops iterating.

        Reconnects (or resubscribes) when the device drops the stream or reboots; raises only
        when the device cannot be reached or refuses the credentials.
        """
        ...

    def close(self) -> None:
        """Release connections (and cancel event subscriptions)."""
        ...
