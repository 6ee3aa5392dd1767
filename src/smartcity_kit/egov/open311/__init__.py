"""Open311 GeoReport v2: the codec, a framework-free server handler, a client, the wire models.

The handler serves a city's :class:`~smartcity_kit.egov.ServiceDesk` to any GeoReport v2 client;
the codec reads and writes the spec's XML and JSON exactly, and reads real-world variants.
"""

from smartcity_kit.egov.open311._client import DEFAULT_TIMEOUT, Open311Client
from smartcity_kit.egov.open311._codec import (
    Format,
    decode_created,
    decode_definition,
    decode_discovery,
    decode_errors,
    decode_requests,
    decode_services,
    decode_updates,
    encode_created,
    encode_definition,
    encode_discovery,
    encode_errors,
    encode_requests,
    encode_services,
    encode_updates,
)
from smartcity_kit.egov.open311._convert import (
    definition_to_wire,
    request_to_wire,
    service_to_wire,
)
from smartcity_kit.egov.open311._handler import Authorizer, Open311Handler, Response
from smartcity_kit.egov.open311._wire import (
    Discovery,
    Endpoint,
    Note,
    RequestCreated,
    RequestUpdate,
    WireAttribute,
    WireDefinition,
    WireError,
    WireRequest,
    WireService,
    WireValue,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "Authorizer",
    "Discovery",
    "Endpoint",
    "Format",
    "Note",
    "Open311Client",
    "Open311Handler",
    "RequestCreated",
    "RequestUpdate",
    "Response",
    "WireAttribute",
    "WireDefinition",
    "WireError",
    "WireRequest",
    "WireService",
    "WireValue",
    "decode_created",
    "decode_definition",
    "decode_discovery",
    "decode_errors",
    "decode_requests",
    "decode_services",
    "decode_updates",
    "definition_to_wire",
    "encode_created",
    "encode_definition",
    "encode_discovery",
    "encode_errors",
    "encode_requests",
    "encode_services",
    "encode_updates",
    "request_to_wire",
    "service_to_wire",
]
