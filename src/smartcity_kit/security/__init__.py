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
from smartcity_kit.security._evidence import (
    EVIDENCE_FORMAT,
    EVIDENCE_KEY_VARIABLE,
    BundleReport,
    CustodyEvent,
    EvidenceFile,
    EvidenceKey,
    EvidenceKind,
    EvidenceManifest,
    ManifestFile,
    custody_lines,
    load_public_key,
    verify_bundle,
    write_bundle,
)
from smartcity_kit.security._export import EvidenceExporter
from smartcity_kit.security._inventory import EXPORT_FIELDS, IMPORT_FIELDS
from smartcity_kit.security._monitor import FleetMonitor, HealthCheck, PollSummary
from smartcity_kit.security._policy import (
    AccessDeniedError,
    AccessPolicy,
    AccessRecord,
    SnapshotAccess,
    StreamAccess,
)
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
    "EVIDENCE_FORMAT",
    "EVIDENCE_KEY_VARIABLE",
    "EXPORT_FIELDS",
    "IMPORT_FIELDS",
    "SECRET_KEY_VARIABLE",
    "AccessDecision",
    "AccessDeniedError",
    "AccessPolicy",
    "AccessRecord",
    "Account",
    "AccountRole",
    "Basis",
    "BundleReport",
    "Camera",
    "CameraAdapter",
    "CameraEvent",
    "CameraLocation",
    "CameraRegistry",
    "CameraScope",
    "CameraStatus",
    "CameraType",
    "Credentials",
    "CustodyEvent",
    "DeviceInfo",
    "Endpoint",
    "EventKind",
    "EvidenceExporter",
    "EvidenceFile",
    "EvidenceKey",
    "EvidenceKind",
    "EvidenceManifest",
    "FleetMonitor",
    "HealthCheck",
    "IncidentGrant",
    "ManifestFile",
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
    "custody_lines",
    "evaluate",
    "load_public_key",
    "verify_bundle",
    "write_bundle",
]
