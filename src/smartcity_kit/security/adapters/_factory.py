"""One adapter for any registered camera, by its vendor protocol."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import requests

from smartcity_kit.core import CityProfile
from smartcity_kit.errors import NotFoundError, ValidationError
from smartcity_kit.security.adapters._base import (
    CameraAdapter,
    Credentials,
    Timeouts,
    VendorProtocol,
)

if TYPE_CHECKING:
    from smartcity_kit.security._cameras import Camera

__all__ = ["make_adapter"]


def _city_zone(slug: str) -> dt.tzinfo:
    try:
        return CityProfile.builtin(slug).time_zone.zone
    except NotFoundError:
        return dt.UTC


def make_adapter(
    camera: Camera,
    credentials: Credentials | None,
    *,
    timeouts: Timeouts | None = None,
    session: requests.Session | None = None,
    device_timezone: dt.tzinfo | None = None,
) -> CameraAdapter:
    """The adapter that speaks ``camera``'s protocol, at its endpoint, with ``credentials``.

    A camera with only an HTTP snapshot takes its snapshot and RTSP paths from its main stream.
    A Dahua camera reports local time without a zone: it is read in ``device_timezone``, by
    default the zone of the camera's city when that is a built-in city (WITA for Makassar and
    Baubau), else UTC.

    Raises:
        ValidationError: An HTTP-snapshot camera has no snapshot URI in its main stream.
    """
    from smartcity_kit.security.adapters._dahua import DahuaAdapter  # noqa: PLC0415
    from smartcity_kit.security.adapters._isapi import IsapiAdapter  # noqa: PLC0415
    from smartcity_kit.security.adapters._onvif import OnvifAdapter  # noqa: PLC0415
    from smartcity_kit.security.adapters._snapshot import HttpSnapshotAdapter  # noqa: PLC0415

    endpoint = camera.endpoint
    if camera.protocol is VendorProtocol.ONVIF:
        return OnvifAdapter(endpoint, credentials, timeouts=timeouts, session=session)
    if camera.protocol is VendorProtocol.ISAPI:
        return IsapiAdapter(endpoint, credentials, timeouts=timeouts, session=session)
    if camera.protocol is VendorProtocol.DAHUA:
        return DahuaAdapter(
            endpoint,
            credentials,
            timeouts=timeouts,
            session=session,
            device_timezone=device_timezone or _city_zone(camera.city),
        )
    main = camera.main_stream
    if main is None or not main.snapshot_uri:
        raise ValidationError.single(
            "streams", f"camera {camera.id} (http_snapshot) needs a snapshot URI"
        )
    snapshot = urlsplit(main.snapshot_uri)
    rtsp = urlsplit(main.rtsp_uri) if main.rtsp_uri else None
    return HttpSnapshotAdapter(
        endpoint,
        credentials,
        snapshot_path=snapshot.path + (f"?{snapshot.query}" if snapshot.query else ""),
        rtsp_path=(rtsp.path + (f"?{rtsp.query}" if rtsp.query else "")) if rtsp else None,
        timeouts=timeouts,
        session=session,
    )
