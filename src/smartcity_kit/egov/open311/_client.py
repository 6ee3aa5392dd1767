"""A client for any GeoReport v2 endpoint (ours or another city's)."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Final, Self, TypeVar

import requests as http

from smartcity_kit.core import ensure_utc
from smartcity_kit.egov.open311 import _codec as codec
from smartcity_kit.egov.open311._codec import Format
from smartcity_kit.egov.open311._wire import (
    Discovery,
    RequestCreated,
    WireDefinition,
    WireRequest,
    WireService,
)
from smartcity_kit.errors import (
    FieldError,
    NotFoundError,
    PermissionDeniedError,
    RemoteServiceError,
    ValidationError,
)

__all__ = ["DEFAULT_TIMEOUT", "Open311Client"]

T = TypeVar("T")

#: Seconds to connect and to wait for an answer.
DEFAULT_TIMEOUT: Final = (5.0, 30.0)


class Open311Client:
    """Talks to a GeoReport v2 endpoint: services, definitions, create, query, tokens.

    >>> client = Open311Client("https://makassarkota.go.id/open311/v2", api_key="...")
    >>> client
    Open311Client('https://makassarkota.go.id/open311/v2', format='json')

    Every call has a timeout. Errors come back as ours: 400 as
    :class:`~smartcity_kit.errors.ValidationError` (one field error per item of the server's
    error list), 403 as :class:`~smartcity_kit.errors.PermissionDeniedError`, 404 as
    :class:`~smartcity_kit.errors.NotFoundError`, anything else (an unreachable server, a 500, an
    answer that is not GeoReport) as :class:`~smartcity_kit.errors.RemoteServiceError`. The
    api key never appears in ``repr()`` or in errors.

    Args:
        base_url: The endpoint root, e.g. ``https://city.go.id/open311/v2``.
        jurisdiction_id: Sent with every call when the endpoint serves several jurisdictions.
        api_key: Needed to create requests.
        format: ``json`` or ``xml``.
        timeout: Seconds to connect and to read.
        session: A requests session to reuse (connection pooling, proxies).
    """

    def __init__(  # noqa: PLR0913 - keywords with defaults
        self,
        base_url: str,
        *,
        jurisdiction_id: str | None = None,
        api_key: str | None = None,
        format: Format = "json",  # noqa: A002 - the spec's word
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        session: http.Session | None = None,
    ) -> None:
        if format not in ("json", "xml"):
            raise ValidationError.single("format", "must be 'json' or 'xml'")
        self._base = base_url.rstrip("/")
        self._jurisdiction = jurisdiction_id
        self._api_key = api_key
        self._format: Format = format
        self._timeout = timeout
        self._session = session or http.Session()
        self._own_session = session is None

    @classmethod
    def discover(
        cls, discovery_url: str, *, timeout: tuple[float, float] = DEFAULT_TIMEOUT
    ) -> Discovery:
        """Read a discovery document (``.../discovery.json`` or ``.xml``)."""
        fmt: Format = "xml" if discovery_url.endswith(".xml") else "json"
        with http.Session() as session:
            response = cls._send(session, "GET", discovery_url, {}, timeout)
            return cls._decode(codec.decode_discovery, response, fmt)

    def services(self) -> list[WireService]:
        """``GET services``."""
        return self._get("services", codec.decode_services, {})

    def definition(self, service_code: str) -> WireDefinition:
        """``GET services/{code}`` (only for services with ``metadata``)."""
        return self._get(f"services/{_segment(service_code)}", codec.decode_definition, {})

    def create(  # noqa: PLR0913 - the spec's fields
        self,
        service_code: str,
        *,
        lat: float | None = None,
        long: float | None = None,
        address_string: str | None = None,
        address_id: str | None = None,
        description: str | None = None,
        media_url: str | None = None,
        attributes: Mapping[str, str | Sequence[str]] | None = None,
        email: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        phone: str | None = None,
        device_id: str | None = None,
        account_id: str | None = None,
    ) -> RequestCreated:
        """``POST requests`` as a form, with ``attribute[CODE]`` and ``attribute[CODE][]``."""
        fields: list[tuple[str, str]] = []
        plain = {
            "service_code": service_code,
            "lat": None if lat is None else repr(float(lat)),
            "long": None if long is None else repr(float(long)),
            "address_string": address_string,
            "address_id": address_id,
            "description": description,
            "media_url": media_url,
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            "phone": phone,
            "device_id": device_id,
            "account_id": account_id,
        }
        fields += [(k, v) for k, v in plain.items() if v is not None]
        for code, answer in (attributes or {}).items():
            if isinstance(answer, str):
                fields.append((f"attribute[{code}]", answer))
            else:
                fields += [(f"attribute[{code}][]", item) for item in answer]
        if self._api_key is not None:
            fields.append(("api_key", self._api_key))
        if self._jurisdiction is not None:
            fields.append(("jurisdiction_id", self._jurisdiction))
        url = f"{self._base}/requests.{self._format}"
        response = self._send(self._session, "POST", url, {"data": fields}, self._timeout)
        created = self._decode(codec.decode_created, response, self._format)
        if len(created) != 1:
            raise RemoteServiceError(f"{url} answered {len(created)} items for one new request")
        return created[0]

    def requests(  # noqa: PLR0913 - the spec's filters
        self,
        *,
        service_request_id: Sequence[str] | None = None,
        service_code: Sequence[str] | None = None,
        start_date: dt.datetime | None = None,
        end_date: dt.datetime | None = None,
        status: Sequence[str] | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> list[WireRequest]:
        """``GET requests`` with the spec's filters; ``extra`` for a server's extensions."""
        params: dict[str, str] = dict(extra or {})
        if service_request_id:
            params["service_request_id"] = ",".join(service_request_id)
        if service_code:
            params["service_code"] = ",".join(service_code)
        if start_date is not None:
            params["start_date"] = ensure_utc(start_date, "start_date").isoformat()
        if end_date is not None:
            params["end_date"] = ensure_utc(end_date, "end_date").isoformat()
        if status:
            params["status"] = ",".join(status)
        return self._get("requests", codec.decode_requests, params)

    def request(self, service_request_id: str) -> WireRequest:
        """``GET requests/{id}``.

        Raises:
            NotFoundError: The server does not know it.
        """
        found = self._get(f"requests/{_segment(service_request_id)}", codec.decode_requests, {})
        if not found:
            raise NotFoundError(f"no request {service_request_id} at {self._base}")
        return found[0]

    def token(self, token: str) -> RequestCreated:
        """``GET tokens/{token}``: the request id once the server has one."""
        found = self._get(f"tokens/{_segment(token)}", codec.decode_created, {})
        if not found:
            raise NotFoundError(f"no token {token} at {self._base}")
        return found[0]

    def close(self) -> None:
        """Close the session (when the client made it)."""
        if self._own_session:
            self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Open311Client({self._base!r}, format={self._format!r})"

    # --- plumbing --------------------------------------------------------------------------

    def _get(
        self, resource: str, decode: Callable[[bytes, Format], T], params: dict[str, str]
    ) -> T:
        if self._jurisdiction is not None:
            params = {**params, "jurisdiction_id": self._jurisdiction}
        url = f"{self._base}/{resource}.{self._format}"
        response = self._send(self._session, "GET", url, {"params": params}, self._timeout)
        return self._decode(decode, response, self._format)

    @staticmethod
    def _send(
        session: http.Session,
        method: str,
        url: str,
        extra: Mapping[str, Any],
        timeout: tuple[float, float],
    ) -> http.Response:
        try:
            response = session.request(method, url, timeout=timeout, **extra)
        except http.Timeout:
            raise RemoteServiceError(f"{url} did not answer within {timeout[1]:g} s") from None
        except http.RequestException as e:
            raise RemoteServiceError(f"cannot reach {url}: {type(e).__name__}") from None
        if response.status_code >= 400:
            Open311Client._raise_for(response, url)
        return response

    @staticmethod
    def _raise_for(response: http.Response, url: str) -> None:
        fmt: Format = "json" if "json" in response.headers.get("Content-Type", "") else "xml"
        try:
            errors = codec.decode_errors(response.content, fmt)
        except ValidationError:
            errors = []
        described = "; ".join(e.description for e in errors) or response.reason or "no reason given"
        status = response.status_code
        if status == 400:
            if errors:
                raise ValidationError(_field_error(e.description) for e in errors)
            raise ValidationError.single("", described)
        if status == 403:
            raise PermissionDeniedError(f"{url}: {described}")
        if status == 404:
            raise NotFoundError(f"{url}: {described}")
        raise RemoteServiceError(f"{url} answered {status}: {described}")

    @staticmethod
    def _decode(decode: Callable[[bytes, Format], T], response: http.Response, fmt: Format) -> T:
        try:
            return decode(response.content, fmt)
        except ValidationError as e:
            raise RemoteServiceError(
                f"{response.url} answered something that is not GeoReport v2 {fmt}: {e}"
            ) from None


_FIELD = re.compile(r"[a-z_][a-z0-9_]*(\[[^\]]*\])*(\[\])?")


def _field_error(description: str) -> FieldError:
    """``"lat: must be ..."`` names the field; other descriptions belong to the whole call."""
    head, sep, rest = description.partition(": ")
    if sep and _FIELD.fullmatch(head):
        return FieldError(head, rest)
    return FieldError("", description)


def _segment(value: str) -> str:
    """A value made safe to place in a URL path ("a/b" cannot reach another resource)."""
    return urllib.parse.quote(str(value), safe="")
