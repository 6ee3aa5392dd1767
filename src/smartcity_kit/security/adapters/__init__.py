"""Camera adapters: one :class:`CameraAdapter` protocol, one implementation per vendor protocol."""

from smartcity_kit.security.adapters._base import (
    CameraAdapter,
    Credentials,
    DeviceInfo,
    Endpoint,
    StreamProfile,
    Timeouts,
    VendorProtocol,
)
from smartcity_kit.security.adapters._dahua import DahuaAdapter
from smartcity_kit.security.adapters._factory import make_adapter
from smartcity_kit.security.adapters._http import AuthMode, DeviceHttp, new_session
from smartcity_kit.security.adapters._isapi import IsapiAdapter
from smartcity_kit.security.adapters._multipart import EventStreamPolicy
from smartcity_kit.security.adapters._onvif import OnvifAdapter, PullPointSettings
from smartcity_kit.security.adapters._snapshot import HttpSnapshotAdapter

__all__ = [
    "AuthMode",
    "CameraAdapter",
    "Credentials",
    "DahuaAdapter",
    "DeviceHttp",
    "DeviceInfo",
    "Endpoint",
    "EventStreamPolicy",
    "HttpSnapshotAdapter",
    "IsapiAdapter",
    "OnvifAdapter",
    "PullPointSettings",
    "StreamProfile",
    "Timeouts",
    "VendorProtocol",
    "make_adapter",
    "new_session",
]
