"""The shared event model: what any camera, of any vendor, reports, in one shape."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

from smartcity_kit.core import ensure_utc

__all__ = ["CameraEvent", "EventKind"]


class EventKind(enum.StrEnum):
    """What happened, whatever the vendor called it."""

    MOTION = "motion"
    """Something moved in the picture (ONVIF MotionAlarm, ISAPI ``vmd``, Dahua ``VideoMotion``)."""
    TAMPER = "tamper"
    """The camera was covered, turned or blinded (scene change, ``tamperdetection``,
    ``VideoBlind``)."""
    VIDEO_LOSS = "video_loss"
    """The video signal was lost (``videoloss``, ``VideoLoss``)."""
    LINE_CROSSING = "line_crossing"
    """Something crossed a virtual line (``linedetection``, ``CrossLineDetection``)."""
    INTRUSION = "intrusion"
    """Something entered a watched area (``fielddetection``, ``CrossRegionDetection``)."""
    DEVICE_ONLINE = "device_online"
    """The camera answers again (from the fleet monitor)."""
    DEVICE_OFFLINE = "device_offline"
    """The camera stopped answering (from the fleet monitor)."""
    OTHER = "other"
    """A vendor event with no normalized kind; see :attr:`CameraEvent.vendor_type`."""


def _frozen_mapping(value: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(value or {}))


def _utc(value: Any) -> dt.datetime:
    return ensure_utc(value, "at")


@attrs.frozen
class CameraEvent:
    """One normalized event from one camera.

    Attributes:
        camera_id: The camera in the registry (or the device address when it has no id yet).
        kind: The normalized kind.
        at: When it happened, in UTC (the device's time when it said, else when it was received).
        active: True when the condition starts (motion begins), False when it ends.
        vendor_type: The vendor's own name for it, kept for reference (``tns1:VideoSource/
            MotionAlarm``, ``vmd``, ``VideoMotion``).
        channel: The video channel, for multi-channel devices (NVRs), when known.
        details: Other fields the device sent, as text.
    """

    camera_id: str
    kind: EventKind = attrs.field(converter=EventKind)
    at: dt.datetime = attrs.field(converter=_utc)
    active: bool = True
    vendor_type: str = ""
    channel: int | None = None
    details: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_mapping)
