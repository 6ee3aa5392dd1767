"""Cameras with nothing but a snapshot URL (and perhaps an RTSP path): older or cheaper ones."""

from __future__ import annotations

import datetime as dt
import email.utils
import threading
from collections.abc import Iterator
from typing import Final

import requests

from smartcity_kit.errors import DeviceProtocolError, ValidationError
from smartcity_kit.security._events import CameraEvent
from smartcity_kit.security.adapters._base import (
    Credentials,
    DeviceInfo,
    Endpoint,
    StreamProfile,
    Timeouts,
    carries_credentials,
)
from smartcity_kit.security.adapters._http import AuthMode, DeviceHttp

__all__ = ["HttpSnapshotAdapter"]

_OK: Final = 200
_JPEG_SOI: Final = b"\xff\xd8"
_TOKEN: Final = "default"  # noqa: S105 - a profile token, not a password
_UNKNOWN: Final = "unknown"


def _check_path(field: str, path: str) -> str:
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("//"):
        raise ValidationError.single(field, "must be a path on the device, starting with /")
    if any(c.isspace() or c in "#@\\" for c in path):
        raise ValidationError.single(field, "must be a plain path (no spaces, # or @)")
    if carries_credentials(path):  # such a path would put the password in every URI handed out
        raise ValidationError.single(
            field, "must not carry credentials: give them as Credentials instead"
        )
    return path


class HttpSnapshotAdapter:
    """A camera that offers only a snapshot URL over HTTP, and perhaps an RTSP stream.

    There is one profile (token ``default``) built from the configured paths. What the
    protocol cannot say is reported as such:

    - :meth:`device_info` fetches the snapshot's headers (proving the camera answers and takes
      the credentials) and answers manufacturer and model ``unknown``, no firmware or serial
      number, and the HTTP ``Server`` header (the embedded web server's name, often the only
      hint of the OEM) as ``hardware_id``.
    - :meth:`clock` is the HTTP ``Date`` header of a snapshot answer (the camera's clock, to
      the second); a camera that sends none raises
      :class:`~smartcity_kit.errors.DeviceProtocolError`.
    - :meth:`events` yields nothing: such cameras have no event interface.

    Args:
        endpoint: Where the camera answers.
        credentials: The camera account (Basic, or Digest when it asks), or None.
        snapshot_path: The JPEG's path on the camera (``/snapshot.jpg``, may have a query).
        rtsp_path: The RTSP stream's path (``/live/ch0``), or None when there is none (the
            profile's ``rtsp_uri`` is then empty).
        timeouts: Connect and read timeouts for every request.
        session: A shared session (see :func:`~smartcity_kit.security.adapters.new_session`).
        verify_tls: Check HTTPS certificates (True, False, or a CA bundle path).

    Raises:
        ValidationError: A path is not a plain path on the device, or carries credentials.
    """

    def __init__(  # noqa: PLR0913 - the parts of a connection
        self,
        endpoint: Endpoint,
        credentials: Credentials | None,
        *,
        snapshot_path: str,
        rtsp_path: str | None = None,
        timeouts: Timeouts | None = None,
        session: requests.Session | None = None,
        verify_tls: bool | str = True,
    ) -> None:
        self._snapshot_path = _check_path("snapshot_path", snapshot_path)
        self._rtsp_path = None if rtsp_path is None else _check_path("rtsp_path", rtsp_path)
        self._endpoint = endpoint
        self._http = DeviceHttp(
            endpoint,
            credentials,
            timeouts=timeouts,
            session=session,
            auth=AuthMode.BASIC,
            verify_tls=verify_tls,
        )

    @property
    def endpoint(self) -> Endpoint:
        """Where the camera answers."""
        return self._endpoint

    def _headers(self) -> requests.structures.CaseInsensitiveDict[str]:
        """The headers of a snapshot answer (the picture itself is not read)."""
        response = self._http.request("GET", self._snapshot_path, stream=True)
        response.close()
        if response.status_code != _OK:
            raise self._status_error(response.status_code)
        return response.headers

    def _status_error(self, status: int) -> DeviceProtocolError:
        return DeviceProtocolError(f"{self._endpoint}: the snapshot URL answered HTTP {status}")

    def device_info(self) -> DeviceInfo:
        """What can be known: maker and model ``unknown``, ``Server`` header as hardware id."""
        server = self._headers().get("Server", "")
        return DeviceInfo(
            manufacturer=_UNKNOWN,
            model=_UNKNOWN,
            firmware="",
            serial="",
            hardware_id="".join(c for c in server if c.isprintable())[:100],
        )

    def profiles(self) -> list[StreamProfile]:
        """The one profile, from the configured paths (no request is made)."""
        host = self._endpoint.netloc.rsplit(":", 1)[0]  # bracketed when IPv6
        rtsp = (
            f"rtsp://{host}:{self._endpoint.rtsp_port}{self._rtsp_path}"
            if self._rtsp_path is not None
            else ""
        )
        return [
            StreamProfile(
                token=_TOKEN,
                name=_TOKEN,
                rtsp_uri=rtsp,
                snapshot_uri=f"{self._endpoint.base_url}{self._snapshot_path}",
            )
        ]

    def snapshot(self, profile: str | None = None) -> bytes:
        """The JPEG at the snapshot path (``profile`` may be None or ``"default"``).

        Raises:
            ValidationError: ``profile`` is another token.
            DeviceProtocolError: The answer is not a JPEG.
        """
        if profile not in (None, _TOKEN):
            raise ValidationError.single("profile", "this camera has one profile: 'default'")
        response = self._http.request("GET", self._snapshot_path, stream=True)
        if response.status_code != _OK:
            response.close()
            raise self._status_error(response.status_code)
        body = self._http.body(response)
        if not body.startswith(_JPEG_SOI):
            raise DeviceProtocolError(f"{self._endpoint}: the picture is not a JPEG")
        return body

    def clock(self) -> dt.datetime:
        """The camera's clock, from the ``Date`` header of a snapshot answer, as UTC.

        Raises:
            DeviceProtocolError: The camera sends no (readable) ``Date`` header.
        """
        date = self._headers().get("Date")
        if not date:
            raise DeviceProtocolError(f"{self._endpoint}: the device has no clock interface")
        try:
            instant = email.utils.parsedate_to_datetime(date)
        except (TypeError, ValueError):
            raise DeviceProtocolError(
                f"{self._endpoint}: the device's Date header is unreadable"
            ) from None
        if instant.tzinfo is None:  # "-0000": UTC by RFC 5322
            instant = instant.replace(tzinfo=dt.UTC)
        return instant.astimezone(dt.UTC)

    def events(
        self,
        camera_id: str,  # noqa: ARG002 - the protocol's signature
        *,
        stop: threading.Event | None = None,
    ) -> Iterator[CameraEvent]:
        """Nothing: such cameras have no events.

        With ``stop``, waits until it is set (so a caller that restarts ended streams does not
        spin); without it, ends at once (nothing could end the wait).
        """
        if stop is not None:
            stop.wait()
        yield from ()

    def close(self) -> None:
        """Release the HTTP connections (if the adapter made its own session)."""
        self._http.close()

    def __repr__(self) -> str:
        return (
            f"HttpSnapshotAdapter({self._endpoint}, {self._snapshot_path!r}, http={self._http!r})"
        )
