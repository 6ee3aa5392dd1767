"""The access log: one JSON line per request, without personal data or keys.

Records go to the ``smartcity_kit.web.access`` logger at INFO, the message being the JSON text;
``smartcity-kit serve`` prints them on standard error. A record holds the time (UTC), method,
path, the *names* of the query parameters (never their values: Open311 clients send
``api_key`` there, and searches may hold a phone number), status, response size, duration,
the client's network (an IPv4 address with its last byte zeroed, an IPv6 address cut to its
/48), whether a key was sent (never the key), and the user agent (cut to 200 characters).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
from typing import Any, Final

from flask import Request, Response
from werkzeug.exceptions import HTTPException

__all__ = ["ACCESS_LOGGER", "access_record", "client_network"]

#: The logger's name.
ACCESS_LOGGER: Final = "smartcity_kit.web.access"
_MAX_AGENT: Final = 200
_MAX_PATH: Final = 500
_log = logging.getLogger(ACCESS_LOGGER)


def client_network(address: str | None) -> str | None:
    """The client's network rather than its address (an IP address is personal data).

    >>> client_network("203.0.113.57"), client_network("2001:db8:abcd:12::1")
    ('203.0.113.0', '2001:db8:abcd::')
    """
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def _key_in_form(request: Request) -> bool:
    if request.mimetype != "application/x-www-form-urlencoded":
        return False
    try:
        return "api_key" in request.form  # parsed already by the view, or now
    except HTTPException:  # a body too large, or broken: the answer says so
        return False


def access_record(
    request: Request, response: Response, seconds: float, at: dt.datetime
) -> dict[str, Any]:
    """What the access log says of one request (see the module's description)."""
    has_key = bool(
        request.headers.get("X-API-Key")
        or request.headers.get("Authorization")
        or "api_key" in request.args
        or _key_in_form(request)
    )
    return {
        "at": at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "method": request.method,
        "path": request.path[:_MAX_PATH],
        "query": sorted(set(request.args.keys())),
        "status": response.status_code,
        "bytes": response.calculate_content_length(),
        "ms": round(seconds * 1000, 1),
        "client": client_network(request.remote_addr),
        "key": has_key,
        "agent": (request.user_agent.string or "")[:_MAX_AGENT],
    }


def log_access(request: Request, response: Response, seconds: float, at: dt.datetime) -> None:
    """Write the request's line, if the access logger is on."""
    if _log.isEnabledFor(logging.INFO):
        record = access_record(request, response, seconds, at)
        _log.info(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
