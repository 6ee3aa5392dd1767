"""Smart security: one registry for every CCTV camera in the city, whoever owns it.

Cameras of any vendor are reached through :mod:`smartcity_kit.security.adapters`; what they
report is normalized into :class:`CameraEvent`; :class:`FleetMonitor` keeps watch on their health;
:class:`AccessPolicy` decides, and records, who else may use them (sharing with the police).
"""

from smartcity_kit.security._access import (
    AccessDecision,
    Account,
    AccountRole,
    Basis,
    CameraScope,
    IncidentGrant,
    Organisation,
    Right,
    SharingAgreement,
    evaluate,
)
from smartcity_kit.security._cameras import (
    Camera,
    CameraLocation,
    CameraStatus,
    CameraType,
    Owner,
    OwnerContact,
    OwnerKind,
    Purpose,
    Site,
)
from smartcity_kit.security._events import CameraEvent, EventKind
from smartcity_kit.security._inventory import EXPORT_FIELDS, IMPORT_FIELDS
from smartcity_kit.security._monitor import FleetMonitor, HealthCheck, PollSummary
from smartcity_kit.security._policy import AccessPolicy, AccessRecord, SnapshotAccess, StreamAccess
from smartcity_kit.security._registry import CameraRegistry
from smartcity_kit.security._secrets import SECRET_KEY_VARIABLE, SecretBox
from smartcity_kit.security.adapters import (
    CameraAdapter,
    Credentials,
    DeviceInfo,
    Endpoint,
    StreamProfile,
    Timeouts,
    VendorProtocol,
)

__all__ = [
    "EXPORT_FIELDS",
    "IMPORT_FIELDS",
    "SECRET_KEY_VARIABLE",
    "AccessDecision",
    "AccessPolicy",
    "AccessRecord",
    "Account",
    "AccountRole",
    "Basis",
    "Camera",
    "CameraAdapter",
    "CameraEvent",
    "CameraLocation",
    "CameraRegistry",
    "CameraScope",
    "CameraStatus",
    "CameraType",
    "Credentials",
    "DeviceInfo",
    "Endpoint",
    "EventKind",
    "FleetMonitor",
    "HealthCheck",
    "IncidentGrant",
    "Organisation",
    "Owner",
    "OwnerContact",
    "OwnerKind",
    "PollSummary",
    "Purpose",
    "Right",
    "SecretBox",
    "SharingAgreement",
    "Site",
    "SnapshotAccess",
    "StreamAccess",
    "StreamProfile",
    "Timeouts",
    "VendorProtocol",
    "evaluate",
]
