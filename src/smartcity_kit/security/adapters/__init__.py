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
from smartcity_kit.security.adapters._factory import make_adapter
from smartcity_kit.security.adapters._http import AuthMode, DeviceHttp, new_session

__all__ = [
    "AuthMode",
    "CameraAdapter",
    "Credentials",
    "DeviceHttp",
    "DeviceInfo",
    "Endpoint",
    "StreamProfile",
    "Timeouts",
    "VendorProtocol",
    "make_adapter",
    "new_session",
]
