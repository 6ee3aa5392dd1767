"""Smart security: one registry for every CCTV camera in the city, whoever owns it.

Cameras of any vendor are reached through :mod:`smartcity_kit.security.adapters`; what they
report is normalized into :class:`CameraEvent`.
"""

from smartcity_kit.security._events import CameraEvent, EventKind

__all__ = ["CameraEvent", "EventKind"]
