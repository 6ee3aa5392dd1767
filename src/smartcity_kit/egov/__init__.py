"""E-government: the service catalogue and the citizen service-request desk.

Requests are handled SP4N-LAPOR! style (classification, referral, working-day deadlines) and
published through Open311 GeoReport v2.
"""

from smartcity_kit.egov._catalog import (
    Agency,
    AttributeValue,
    Datatype,
    Service,
    ServiceAttribute,
    ServiceStandard,
    ServiceType,
)
from smartcity_kit.egov._desk import ANSWER_DAYS, REQUEST_SORTS, VERIFY_DAYS, Metrics, ServiceDesk
from smartcity_kit.egov._requests import (
    TRANSITIONS,
    Classification,
    Contact,
    Location,
    RequestEvent,
    ServiceRequest,
    Status,
)

__all__ = [
    "ANSWER_DAYS",
    "REQUEST_SORTS",
    "TRANSITIONS",
    "VERIFY_DAYS",
    "Agency",
    "AttributeValue",
    "Classification",
    "Contact",
    "Datatype",
    "Location",
    "Metrics",
    "RequestEvent",
    "Service",
    "ServiceAttribute",
    "ServiceDesk",
    "ServiceRequest",
    "ServiceStandard",
    "ServiceType",
    "Status",
]
