"""ONVIF cameras (Profile S/T) over plain SOAP 1.2: no WSDL, no zeep.

Requests are string templates with escaped values; answers are parsed with defusedxml. A device's
clock offset is learned once (``GetSystemDateAndTime`` needs no credentials) and used for every
WS-Security UsernameToken; an auth fault re-reads the clock and retries once. Devices that want
HTTP Digest get it (see :class:`~smartcity_kit.security.adapters.DeviceHttp`).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import ipaddress
import math
import os
import re
import threading
import time
from collections.abc import Iterator
from typing import Final
from urllib.parse import urlsplit, urlunsplit
from xml.etree.ElementTree import Element, ParseError, tostring
from xml.sax.saxutils import escape

import attrs
import requests
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from smartcity_kit.errors import (
    DeviceAuthError,
    DeviceError,
    DeviceProtocolError,
)
from smartcity_kit.security._events import CameraEvent, EventKind
from smartcity_kit.security.adapters._base import (
    Credentials,
    DeviceInfo,
    Endpoint,
    StreamProfile,
    Timeouts,
    without_credentials,
)
from smartcity_kit.security.adapters._http import AuthMode, DeviceHttp

__all__ = [
    "OnvifAdapter",
    "PullPointSettings",
    "event_kind",
    "parse_envelope",
    "parse_notifications",
    "password_digest",
]

_SOAP12: Final = "http://www.w3.org/2003/05/soap-envelope"
_SOAP11: Final = "http://schemas.xmlsoap.org/soap/envelope/"
_ENVELOPES: Final = {f"{{{_SOAP12}}}Envelope": _SOAP12, f"{{{_SOAP11}}}Envelope": _SOAP11}
_DEVICE_PATH: Final = "/onvif/device_service"
_MAX_REASON: Final = 200
_UNAUTHORIZED: Final = 401
_OK: Final = 200

# One prefix table for every request: declaring unused namespaces costs the device nothing.
_ENVELOPE_HEAD: Final = (
    '<?xml version="1.0" encoding="utf-8"?>'
    f'<s:Envelope xmlns:s="{_SOAP12}"'
    ' xmlns:tds="http://www.onvif.org/ver10/device/wsdl"'
    ' xmlns:trt="http://www.onvif.org/ver10/media/wsdl"'
    ' xmlns:tt="http://www.onvif.org/ver10/schema"'
    ' xmlns:tev="http://www.onvif.org/ver10/events/wsdl"'
    ' xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"'
    ' xmlns:wsa="http://www.w3.org/2005/08/addressing"><s:Header>'
)
_ENVELOPE_BODY: Final = "</s:Header><s:Body>"
_ENVELOPE_TAIL: Final = "</s:Body></s:Envelope>"
_UT_HEAD: Final = (
    '<wsse:Security s:mustUnderstand="1"'
    ' xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/'
    'oasis-200401-wss-wssecurity-secext-1.0.xsd"'
    ' xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/'
    'oasis-200401-wss-wssecurity-utility-1.0.xsd">'
    "<wsse:UsernameToken><wsse:Username>"
)
_UT_DIGEST: Final = (
    '</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/'
    'oasis-200401-wss-username-token-profile-1.0#PasswordDigest">'
)
_UT_NONCE: Final = (
    '</wsse:Password><wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/'
    'oasis-200401-wss-soap-message-security-1.0#Base64Binary">'
)
_UT_CREATED: Final = "</wsse:Nonce><wsu:Created>"
_UT_TAIL: Final = "</wsu:Created></wsse:UsernameToken></wsse:Security>"

_DEVICE_WSDL: Final = "http://www.onvif.org/ver10/device/wsdl"
_MEDIA_WSDL: Final = "http://www.onvif.org/ver10/media/wsdl"
_EVENTS_WSDL: Final = "http://www.onvif.org/ver10/events/wsdl"
_WSN: Final = "http://docs.oasis-open.org/wsn/bw-2"
_ACTIONS: Final = {
    "GetSystemDateAndTime": f"{_DEVICE_WSDL}/GetSystemDateAndTime",
    "GetDeviceInformation": f"{_DEVICE_WSDL}/GetDeviceInformation",
    "GetCapabilities": f"{_DEVICE_WSDL}/GetCapabilities",
    "GetServices": f"{_DEVICE_WSDL}/GetServices",
    "GetProfiles": f"{_MEDIA_WSDL}/GetProfiles",
    "GetStreamUri": f"{_MEDIA_WSDL}/GetStreamUri",
    "GetSnapshotUri": f"{_MEDIA_WSDL}/GetSnapshotUri",
    "CreatePullPointSubscription": (
        f"{_EVENTS_WSDL}/EventPortType/CreatePullPointSubscriptionRequest"
    ),
    "PullMessages": f"{_EVENTS_WSDL}/PullPointSubscription/PullMessagesRequest",
    "Renew": f"{_WSN}/SubscriptionManager/RenewRequest",
    "Unsubscribe": f"{_WSN}/SubscriptionManager/UnsubscribeRequest",
}
_HEADERS: Final = {
    name: {"Content-Type": f'application/soap+xml; charset=utf-8; action="{action}"'}
    for name, action in _ACTIONS.items()
}
# Fault codes (any namespace) that mean "wrong or stale credentials".
_AUTH_CODES: Final = frozenset(
    {"notauthorized", "failedauthentication", "invalidsecurity", "invalidsecuritytoken"}
)
_TRUE: Final = frozenset({"true", "1"})
_FALSE: Final = frozenset({"false", "0"})
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]+")
_POSIX_TZ: Final = re.compile(r"^[A-Za-z]{3,}([+-]?)(\d{1,2})(?::(\d{2}))?")
_TRAILING_NUMBER: Final = re.compile(r"(\d+)$")


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """The WS-Security UsernameToken PasswordDigest: ``Base64(SHA1(nonce + created + password))``.

    Args:
        nonce: The raw random bytes (sent Base64-encoded in ``wsse:Nonce``).
        created: The ``wsu:Created`` text, exactly as sent.
        password: The account's password.
    """
    raw = hashlib.sha1(nonce + created.encode() + password.encode(), usedforsecurity=False)
    return base64.b64encode(raw.digest()).decode("ascii")


@attrs.frozen
class PullPointSettings:
    """How an ONVIF event subscription (PullPoint) is kept alive.

    Attributes:
        termination: Seconds a subscription lives unless renewed (sent as ``PT600S``: some
            devices misread minutes).
        renew_at: Fraction of the lifetime after which it is renewed.
        pull_timeout: Seconds each PullMessages waits for events; a stop request is noticed
            between pulls, so this is also how long stopping may take. Keep it whole unless
            the device is known to read fractions.
        message_limit: Most events fetched per pull.
        give_up_after: Seconds of failed resubscription (device down, rebooting) before
            :meth:`OnvifAdapter.events` raises.
    """

    termination: int = 600
    renew_at: float = 0.8
    pull_timeout: float = 5.0
    message_limit: int = 100
    give_up_after: float = 120.0


@attrs.frozen
class _Services:
    media: str
    events: str | None


@attrs.define
class _Subscription:
    address: str
    to: str
    reference: str
    renew_at: float
    expires_at: float
    closed: bool = False


class OnvifAdapter:
    """An ONVIF camera or NVR channel, over SOAP 1.2.

    Service addresses (from ``GetCapabilities``, else ``GetServices``) and snapshot URIs are
    cached per adapter. Addresses a device reports with another host than the one reached
    (``0.0.0.0``, a private address behind NAT) are rewritten to the reached ``host:port``;
    RTSP URIs get the reached host and keep their port (or take :attr:`Endpoint.rtsp_port` when
    the endpoint names a non-default one). URIs given out never carry user or password.

    Args:
        endpoint: Where the device's ONVIF service answers (``/onvif/device_service``).
        credentials: The ONVIF account (WS-Security, or HTTP Digest when the device asks).
        timeouts: Connect and read timeouts for every request.
        session: A shared :class:`requests.Session`, else one of its own.
        verify_tls: Check HTTPS certificates (or a CA bundle path).
        pull_point: How event subscriptions are renewed and re-made.
    """

    def __init__(  # noqa: PLR0913 - the parts of a connection
        self,
        endpoint: Endpoint,
        credentials: Credentials | None,
        *,
        timeouts: Timeouts | None = None,
        session: requests.Session | None = None,
        verify_tls: bool | str = True,
        pull_point: PullPointSettings | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._name = str(endpoint)
        self._credentials = credentials
        self._http = DeviceHttp(
            endpoint,
            credentials,
            timeouts=timeouts,
            session=session,
            auth=AuthMode.NONE,
            verify_tls=verify_tls,
        )
        self._verify = verify_tls
        self._fetchers: dict[AuthMode, DeviceHttp] = {}
        self._pull_point = pull_point or PullPointSettings()
        self._device_url = endpoint.base_url + _DEVICE_PATH
        self._offset: dt.timedelta | None = None
        self._services: _Services | None = None
        self._tokens: list[str] | None = None
        self._snapshot_uris: dict[str, str | None] = {}
        self._live: dict[int, _Subscription] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._token_head = _UT_HEAD + escape(credentials.username if credentials else "")
        self._token_head += _UT_DIGEST
        self._password = credentials.password.encode() if credentials else b""

    @property
    def endpoint(self) -> Endpoint:
        """Where the device answers."""
        return self._endpoint

    @property
    def clock_offset(self) -> dt.timedelta | None:
        """How far the device's clock is ahead of ours, once learned (None before)."""
        return self._offset

    # --- the CameraAdapter operations -------------------------------------------------------

    def device_info(self) -> DeviceInfo:
        """Maker, model, firmware and serial number (``GetDeviceInformation``)."""
        answer = self._call(self._device_url, "GetDeviceInformation", "<tds:GetDeviceInformation/>")
        # One pass over the children: ElementPath lookups cost more than the rest of the parse.
        fields = {child.tag.rpartition("}")[2]: child.text for child in answer}
        return DeviceInfo(
            manufacturer=(fields.get("Manufacturer") or "").strip(),
            model=(fields.get("Model") or "").strip(),
            firmware=(fields.get("FirmwareVersion") or "").strip(),
            serial=(fields.get("SerialNumber") or "").strip(),
            hardware_id=(fields.get("HardwareId") or "").strip(),
        )

    def profiles(self) -> list[StreamProfile]:
        """The media profiles in the device's order, each with its RTSP and snapshot URI."""
        media = self._service_urls().media
        answer = self._call(media, "GetProfiles", "<trt:GetProfiles/>")
        found: list[StreamProfile] = []
        for element in answer.iterfind("{*}Profiles"):
            token = element.get("token", "")
            if not token:
                continue
            encoder = element.find("{*}VideoEncoderConfiguration")
            stream = self._call(
                media,
                "GetStreamUri",
                "<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream>"
                "<tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>"
                f"<trt:ProfileToken>{escape(token)}</trt:ProfileToken></trt:GetStreamUri>",
            )
            uri = _text(stream, "{*}MediaUri/{*}Uri")
            if not uri:
                raise DeviceProtocolError(f"{self._endpoint}: GetStreamUri gave no URI")
            snapshot = self._snapshot_uri(token)
            found.append(
                StreamProfile(
                    token=token,
                    name=_text(element, "{*}Name") or token,
                    rtsp_uri=self._rewrite_rtsp(uri),
                    snapshot_uri=snapshot,
                    width=_int(encoder, "{*}Resolution/{*}Width"),
                    height=_int(encoder, "{*}Resolution/{*}Height"),
                    encoding=_text(encoder, "{*}Encoding") or None,
                )
            )
        self._tokens = [p.token for p in found]
        return found

    def snapshot(self, profile: str | None = None) -> bytes:
        """A JPEG from ``profile`` (else the first profile), fetched from its snapshot URI.

        Raises:
            DeviceProtocolError: The device has no snapshot for the profile, or answered
                something that is not a JPEG.
        """
        token = profile or self._first_token()
        uri = self._snapshot_uri(token)
        if uri is None:
            raise DeviceProtocolError(f"{self._endpoint}: no snapshot URI for profile {token!r}")
        response = self._fetcher(AuthMode.NONE).request("GET", uri, stream=True)
        if response.status_code == _UNAUTHORIZED and self._credentials is not None:
            # Snapshot handlers often sit behind the web server's Basic auth.
            challenge = response.headers.get("WWW-Authenticate", "").lower()
            response.close()
            if "basic" not in challenge:
                raise DeviceAuthError(f"{self._endpoint}: the device refused the credentials")
            response = self._fetcher(AuthMode.BASIC).request("GET", uri, stream=True)
        status = response.status_code
        body = self._http.body(response)
        if status == _UNAUTHORIZED:
            raise DeviceAuthError(f"{self._endpoint}: the device refused the credentials")
        if status != _OK:
            raise DeviceProtocolError(f"{self._endpoint}: snapshot answered HTTP {status}")
        if not body.startswith(b"\xff\xd8"):
            raise DeviceProtocolError(f"{self._endpoint}: the snapshot is not a JPEG")
        return body

    def clock(self) -> dt.datetime:
        """The device's clock (``GetSystemDateAndTime``), as a UTC instant.

        Also relearns the offset used for WS-Security tokens.
        """
        return self._learn_clock()

    def events(
        self, camera_id: str, *, stop: threading.Event | None = None
    ) -> Iterator[CameraEvent]:
        """Normalized events from a PullPoint subscription, until ``stop`` is set.

        The subscription is renewed before it expires and made again when the device loses it
        (a fault on pull or renew, a reboot); while the device is down, resubscription backs off
        up to :attr:`PullPointSettings.give_up_after` seconds. The subscription is cancelled
        when iteration ends. ``Initialized`` messages that report an inactive state (sent on
        every new subscription) are skipped.

        Raises:
            DeviceUnreachableError: The device cannot be reached (at first, or for too long).
            DeviceAuthError: The device refused the credentials.
            DeviceProtocolError: The device has no event service, or refused to subscribe
                for too long.
        """
        stop = stop or threading.Event()
        settings = self._pull_point
        shortest = min(1.0, settings.pull_timeout)
        subscription: _Subscription | None = self._subscribe()
        try:
            while subscription is not None and not stop.is_set() and not self._closed:
                try:
                    # A pull must not outlast the renewal time: renew when less than the
                    # shortest pull is left, and pull whole seconds (devices misread others).
                    if subscription.renew_at - time.monotonic() < shortest:
                        self._renew(subscription)
                    left = math.floor(subscription.renew_at - time.monotonic())
                    wait = min(settings.pull_timeout, max(shortest, left))
                    answer = self._event_call(
                        subscription,
                        "PullMessages",
                        f"<tev:PullMessages><tev:Timeout>PT{wait:g}S</tev:Timeout>"
                        f"<tev:MessageLimit>{settings.message_limit}</tev:MessageLimit>"
                        "</tev:PullMessages>",
                        read_timeout=wait + self._http.timeouts.read,
                    )
                except DeviceAuthError:
                    raise
                except DeviceError:
                    # The device lost the subscription (rebooted, expired) or went away.
                    self._forget(subscription)
                    subscription = self._resubscribe(stop)
                    continue
                yield from parse_notifications(camera_id, answer)
        finally:
            if subscription is not None:
                self._unsubscribe(subscription)

    def close(self) -> None:
        """Cancel open event subscriptions and release connections."""
        self._closed = True
        with self._lock:
            live = list(self._live.values())
        for subscription in live:
            self._unsubscribe(subscription)
        self._http.close()

    def __repr__(self) -> str:
        user = self._credentials.username if self._credentials else None
        return f"OnvifAdapter({self._endpoint}, user={user!r})"

    # --- SOAP -----------------------------------------------------------------------------

    def _call(
        self,
        url: str,
        operation: str,
        body: str,
        *,
        header: str = "",
        read_timeout: float | None = None,
    ) -> Element:
        """One operation; with credentials, one retry after an auth fault with a fresh clock."""
        if self._credentials is None:
            return self._exchange(url, operation, body, "", header, read_timeout)
        if self._offset is None:
            self._learn_clock()
        try:
            return self._exchange(url, operation, body, self._token(), header, read_timeout)
        except DeviceAuthError:
            # Clocks drift and reset on reboot: the token may have been stale, not wrong.
            self._learn_clock()
            return self._exchange(url, operation, body, self._token(), header, read_timeout)

    def _exchange(  # noqa: PLR0913, PLR0917 - private; the parts of one exchange
        self,
        url: str,
        operation: str,
        body: str,
        token: str,
        header: str,
        read_timeout: float | None,
    ) -> Element:
        envelope = _ENVELOPE_HEAD + token + header + _ENVELOPE_BODY + body + _ENVELOPE_TAIL
        status, content = self._http.exchange(
            "POST",
            url,
            data=envelope.encode(),
            headers=_HEADERS[operation],
            read_timeout=read_timeout,
        )
        return parse_envelope(self._name, status, content, operation + "Response", self._secret())

    def _token(self) -> str:
        created = _created(dt.datetime.now(dt.UTC) + (self._offset or dt.timedelta(0)))
        nonce = os.urandom(16)
        digest = hashlib.sha1(
            nonce + created.encode() + self._password, usedforsecurity=False
        ).digest()
        return (
            self._token_head
            + base64.b64encode(digest).decode("ascii")
            + _UT_NONCE
            + base64.b64encode(nonce).decode("ascii")
            + _UT_CREATED
            + created
            + _UT_TAIL
        )

    def _secret(self) -> str | None:
        return self._credentials.password if self._credentials else None

    def _learn_clock(self) -> dt.datetime:
        """Read the device's clock and keep its offset from ours."""
        before = time.time()
        try:
            answer = self._exchange(
                self._device_url,
                "GetSystemDateAndTime",
                "<tds:GetSystemDateAndTime/>",
                "",
                "",
                None,
            )
        except DeviceAuthError:
            if self._credentials is None:
                raise
            # Not conforming, but common: the clock needs credentials too. Try our own clock.
            self._offset = self._offset or dt.timedelta(0)
            answer = self._exchange(
                self._device_url,
                "GetSystemDateAndTime",
                "<tds:GetSystemDateAndTime/>",
                self._token(),
                "",
                None,
            )
        after = time.time()
        device = _device_time(self._name, answer)
        # The device says whole seconds: take the middle of its second and of our round trip.
        middle = dt.datetime.fromtimestamp((before + after) / 2, dt.UTC)
        self._offset = device + dt.timedelta(milliseconds=500) - middle
        return device

    # --- services, URIs ---------------------------------------------------------------------

    def _service_urls(self) -> _Services:
        services = self._services
        if services is None:
            services = self._discover()
            self._services = services
        return services

    def _discover(self) -> _Services:
        media: str | None = None
        events: str | None = None
        try:
            answer = self._call(
                self._device_url,
                "GetCapabilities",
                "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>",
            )
            media = _text(answer, "{*}Capabilities/{*}Media/{*}XAddr") or None
            events = _text(answer, "{*}Capabilities/{*}Events/{*}XAddr") or None
        except DeviceProtocolError:
            pass  # GetCapabilities is deprecated: newer devices may only answer GetServices
        if media is None or events is None:
            try:
                answer = self._call(
                    self._device_url,
                    "GetServices",
                    "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability>"
                    "</tds:GetServices>",
                )
            except DeviceProtocolError:
                answer = Element("none")
            for service in answer.iterfind("{*}Service"):
                namespace = _text(service, "{*}Namespace")
                address = _text(service, "{*}XAddr") or None
                if namespace == _MEDIA_WSDL:
                    media = media or address
                elif namespace == _EVENTS_WSDL:
                    events = events or address
        return _Services(
            media=self._rewrite_http(media) if media else self._device_url,
            events=self._rewrite_http(events) if events else None,
        )

    def _first_token(self) -> str:
        if not self._tokens:
            answer = self._call(self._service_urls().media, "GetProfiles", "<trt:GetProfiles/>")
            self._tokens = [t for p in answer.iterfind("{*}Profiles") if (t := p.get("token"))]
        if not self._tokens:
            raise DeviceProtocolError(f"{self._endpoint}: the device has no media profile")
        return self._tokens[0]

    def _snapshot_uri(self, token: str) -> str | None:
        if token in self._snapshot_uris:
            return self._snapshot_uris[token]
        try:
            answer = self._call(
                self._service_urls().media,
                "GetSnapshotUri",
                f"<trt:GetSnapshotUri><trt:ProfileToken>{escape(token)}</trt:ProfileToken>"
                "</trt:GetSnapshotUri>",
            )
        except DeviceProtocolError:
            uri = None  # ActionNotSupported: a camera without snapshots
        else:
            found = _text(answer, "{*}MediaUri/{*}Uri")
            uri = self._rewrite_http(found) if found else None
        self._snapshot_uris[token] = uri
        return uri

    def _rewrite_http(self, url: str) -> str:
        """``url`` on the host reached; never with user or password in it."""
        try:
            parts = urlsplit(url.strip())
            host = parts.hostname
            port = parts.port
        except ValueError:
            raise DeviceProtocolError(f"{self._endpoint}: the device reported a bad URL") from None
        if parts.scheme not in ("http", "https"):
            raise DeviceProtocolError(f"{self._endpoint}: the device reported a non-HTTP URL")
        if host is None or not _same_host(host, self._endpoint.host):
            # Never send credentials to an address the device names: only to the one we chose.
            return without_credentials(
                urlunsplit(
                    (self._endpoint.scheme, self._endpoint.netloc, parts.path, parts.query, "")
                )
            )
        netloc = _bracket(host) + (f":{port}" if port else "")
        return without_credentials(urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")))

    def _rewrite_rtsp(self, uri: str) -> str:
        """``uri`` with the host reached and no user or password."""
        try:
            parts = urlsplit(uri.strip())
            host = parts.hostname
            port = parts.port
        except ValueError:
            raise DeviceProtocolError(f"{self._endpoint}: the device reported a bad URI") from None
        if host is None or not _same_host(host, self._endpoint.host):
            host = self._endpoint.host
            if self._endpoint.rtsp_port != 554:  # the registry knows the forwarded port
                port = self._endpoint.rtsp_port
        netloc = _bracket(host) + (f":{port}" if port else "")
        return without_credentials(
            urlunsplit((parts.scheme or "rtsp", netloc, parts.path, parts.query, ""))
        )

    def _fetcher(self, mode: AuthMode) -> DeviceHttp:
        """HTTP for snapshots, apart from SOAP's.

        A snapshot handler that wants HTTP Digest (most do) must not move the SOAP calls off
        their cheaper path.
        """
        fetcher = self._fetchers.get(mode)
        if fetcher is None:
            fetcher = DeviceHttp(
                self._endpoint,
                self._credentials,
                timeouts=self._http.timeouts,
                session=self._http.session,
                auth=mode,
                verify_tls=self._verify,
            )
            self._fetchers[mode] = fetcher
        return fetcher

    # --- events -------------------------------------------------------------------------------

    def _subscribe(self) -> _Subscription:
        events = self._service_urls().events
        if events is None:
            raise DeviceProtocolError(f"{self._endpoint}: the device has no event service")
        settings = self._pull_point
        answer = self._call(
            events,
            "CreatePullPointSubscription",
            "<tev:CreatePullPointSubscription><tev:InitialTerminationTime>"
            f"PT{settings.termination}S</tev:InitialTerminationTime>"
            "</tev:CreatePullPointSubscription>",
            header=_addressing("CreatePullPointSubscription", events, ""),
        )
        reference = answer.find("{*}SubscriptionReference")
        address = _text(reference, "{*}Address") if reference is not None else ""
        if not address:
            raise DeviceProtocolError(f"{self._endpoint}: the subscription has no address")
        parameters = reference.find("{*}ReferenceParameters") if reference is not None else None
        echoed = (
            "".join(tostring(child, encoding="unicode") for child in parameters)
            if parameters is not None
            else ""
        )
        subscription = _Subscription(
            address=self._rewrite_http(address),
            to=address,
            reference=echoed,
            renew_at=0,
            expires_at=0,
        )
        self._schedule(subscription, answer)
        with self._lock:
            self._live[id(subscription)] = subscription
        return subscription

    def _resubscribe(self, stop: threading.Event) -> _Subscription | None:
        """Subscribe again, backing off while the device is away; None when stopped."""
        deadline = time.monotonic() + self._pull_point.give_up_after
        delay = 0.1
        while not stop.is_set() and not self._closed:
            try:
                return self._subscribe()
            except DeviceAuthError:
                raise
            except DeviceError:
                if time.monotonic() >= deadline:
                    raise
                self._services = None  # a rebooted device may move its services
            stop.wait(delay)
            delay = min(delay * 2, 5.0)
        return None

    def _renew(self, subscription: _Subscription) -> None:
        answer = self._event_call(
            subscription,
            "Renew",
            "<wsnt:Renew><wsnt:TerminationTime>"
            f"PT{self._pull_point.termination}S</wsnt:TerminationTime></wsnt:Renew>",
        )
        self._schedule(subscription, answer)

    def _schedule(self, subscription: _Subscription, answer: Element) -> None:
        """Set when to renew from the lifetime the device granted (in its own clock)."""
        lifetime = float(self._pull_point.termination)
        current = _parse_time(_text(answer, "{*}CurrentTime"))
        termination = _parse_time(_text(answer, "{*}TerminationTime"))
        if current is not None and termination is not None:
            lifetime = max(1.0, (termination - current).total_seconds())
        now = time.monotonic()
        subscription.expires_at = now + lifetime
        subscription.renew_at = now + lifetime * self._pull_point.renew_at

    def _event_call(
        self,
        subscription: _Subscription,
        operation: str,
        body: str,
        *,
        read_timeout: float | None = None,
    ) -> Element:
        return self._call(
            subscription.address,
            operation,
            body,
            header=_addressing(operation, subscription.to, subscription.reference),
            read_timeout=read_timeout,
        )

    def _forget(self, subscription: _Subscription) -> None:
        subscription.closed = True
        with self._lock:
            self._live.pop(id(subscription), None)

    def _unsubscribe(self, subscription: _Subscription) -> None:
        with self._lock:
            if subscription.closed:
                return
            subscription.closed = True
            self._live.pop(id(subscription), None)
        with contextlib.suppress(DeviceError):  # it expires on the device anyway
            self._event_call(subscription, "Unsubscribe", "<wsnt:Unsubscribe/>")


# --- parsing (module functions, so they can be tested with any bytes) --------------------------


def parse_envelope(
    device: str, status: int, content: bytes, expected: str, secret: str | None = None
) -> Element:
    """The response element of a SOAP answer, or the error it means.

    Args:
        device: ``host:port``, for messages.
        status: The HTTP status.
        content: The HTTP body.
        expected: The response element's local name (``GetDeviceInformationResponse``).
        secret: Text never to repeat in a message (the password), should a device echo it.

    Raises:
        DeviceAuthError: HTTP 401, or a fault that means the credentials were refused.
        DeviceProtocolError: Any other fault (with its reason), or anything that is not the
            expected SOAP answer.
    """
    try:
        root = fromstring(content)
    except (ParseError, DefusedXmlException, ValueError, LookupError):
        root = None
    soap = _ENVELOPES.get(root.tag) if root is not None else None
    body = root.find(f"{{{soap}}}Body") if root is not None and soap else None
    first = body[0] if body is not None and len(body) else None
    if first is not None and first.tag == f"{{{soap}}}Fault":
        raise _fault_error(device, status, first, soap == _SOAP12, secret)
    if status == _UNAUTHORIZED:
        raise DeviceAuthError(f"{device}: the device refused the credentials")
    if first is None:
        if status != _OK:
            raise DeviceProtocolError(f"{device}: HTTP {status}, not a SOAP answer")
        raise DeviceProtocolError(f"{device}: the answer is not a SOAP envelope")
    if status != _OK:
        raise DeviceProtocolError(f"{device}: HTTP {status}")
    if first.tag.rpartition("}")[2] != expected:
        raise DeviceProtocolError(f"{device}: expected {expected}, got another answer")
    return first


def _fault_error(
    device: str, status: int, fault: Element, soap12: bool, secret: str | None
) -> DeviceError:
    if soap12:
        codes = [v.text or "" for v in fault.iterfind(".//{*}Value")]
        reason = _text(fault, "{*}Reason/{*}Text")
    else:
        codes = [_text(fault, "{*}faultcode")]
        detail = fault.find("{*}detail")
        if detail is not None:
            codes += [child.tag.rpartition("}")[2] for child in detail]
        reason = _text(fault, "{*}faultstring")
    names = {code.strip().rpartition(":")[2].lower() for code in codes}
    code = next((c.strip() for c in reversed(codes) if c.strip()), "")
    said = reason.strip() or code
    if secret:  # before cutting, so that no part of it survives either
        said = said.replace(secret, "***")
    said = _CONTROL.sub(" ", said).strip()[:_MAX_REASON] or "no reason given"
    lowered = reason.lower()
    if (
        status == _UNAUTHORIZED
        or names & _AUTH_CODES
        or "not authorized" in lowered
        or "unauthorized" in lowered
    ):
        return DeviceAuthError(f"{device}: the device refused the credentials ({said})")
    return DeviceProtocolError(f"{device}: SOAP fault: {said}")


def parse_notifications(camera_id: str, answer: Element) -> list[CameraEvent]:
    """The events in a ``PullMessagesResponse``, normalized.

    ``Initialized`` messages for an inactive state are left out: devices send one per property
    on every new subscription.
    """
    received = dt.datetime.now(dt.UTC)
    found: list[CameraEvent] = []
    for notification in answer.iterfind("{*}NotificationMessage"):
        topic = _text(notification, "{*}Topic")
        message = notification.find("{*}Message/{*}Message")
        if message is None:
            message = Element("none")
        operation = message.get("PropertyOperation", "")
        source = _items(message, "{*}Source/{*}SimpleItem")
        data = _items(message, "{*}Data/{*}SimpleItem")
        active = next(
            (v.lower() in _TRUE for v in data.values() if v.lower() in _TRUE | _FALSE), True
        )
        if operation == "Initialized" and not active:
            continue
        details = {**source, **data}
        if operation:
            details["property_operation"] = operation
        found.append(
            CameraEvent(
                camera_id=camera_id,
                kind=event_kind(topic),
                at=_parse_time(message.get("UtcTime", "")) or received,
                active=active,
                vendor_type=topic,
                channel=_channel(source),
                details=details,
            )
        )
    return found


def event_kind(topic: str) -> EventKind:
    """The normalized kind of an ONVIF topic (``tns1:VideoSource/MotionAlarm``: motion)."""
    names = {part.rpartition(":")[2].lower() for part in topic.strip().split("/")}
    if "linedetector" in names:
        return EventKind.LINE_CROSSING
    if names & {"fielddetector", "intrusiondetector"}:
        return EventKind.INTRUSION
    if names & {
        "globalscenechange",
        "tamperdetector",
        "tamper",
        "imagetoodark",
        "imagetoobright",
        "imagetooblurry",
    }:
        return EventKind.TAMPER
    if names & {"signalloss", "videoloss"}:
        return EventKind.VIDEO_LOSS
    if names & {"motionalarm", "cellmotiondetector", "motiondetector"}:
        return EventKind.MOTION
    return EventKind.OTHER


# --- small helpers ---------------------------------------------------------------------------


def _text(element: Element | None, path: str) -> str:
    if element is None:
        return ""
    return (element.findtext(path) or "").strip()


def _int(element: Element | None, path: str) -> int | None:
    text = _text(element, path)
    return int(text) if text.isdigit() else None


def _items(message: Element, path: str) -> dict[str, str]:
    return {
        item.get("Name", ""): item.get("Value", "")
        for item in message.iterfind(path)
        if item.get("Name")
    }


def _channel(source: dict[str, str]) -> int | None:
    for name, value in source.items():
        if "source" in name.lower() and (match := _TRAILING_NUMBER.search(value)):
            number = int(match.group(1))
            return number if 1 <= number <= 512 else None
    return None


def _created(instant: dt.datetime) -> str:
    return instant.isoformat(timespec="milliseconds")[:-6] + "Z"


def _parse_time(text: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _device_time(device: str, answer: Element) -> dt.datetime:
    """The instant in a ``GetSystemDateAndTimeResponse`` (UTC, else local time and TZ)."""
    stamp = answer.find("{*}SystemDateAndTime/{*}UTCDateTime")
    offset = dt.timedelta(0)
    if stamp is None:
        stamp = answer.find("{*}SystemDateAndTime/{*}LocalDateTime")
        offset = _posix_offset(_text(answer, "{*}SystemDateAndTime/{*}TimeZone/{*}TZ"))
    fields = [
        _int(stamp, path)
        for path in (
            "{*}Date/{*}Year",
            "{*}Date/{*}Month",
            "{*}Date/{*}Day",
            "{*}Time/{*}Hour",
            "{*}Time/{*}Minute",
            "{*}Time/{*}Second",
        )
    ]
    try:
        year, month, day, hour, minute, second = (f if f is not None else -1 for f in fields)
        local = dt.datetime(year, month, day, hour, minute, min(second, 59), tzinfo=dt.UTC)
    except (ValueError, OverflowError):
        raise DeviceProtocolError(f"{device}: the device's date and time are invalid") from None
    return local - offset


def _posix_offset(tz: str) -> dt.timedelta:
    """East-of-UTC offset of a POSIX TZ string (``WITA-8`` is UTC+8); DST rules are ignored."""
    match = _POSIX_TZ.match(tz.strip())
    if not match:
        return dt.timedelta(0)
    sign, hours, minutes = match.groups()
    west = dt.timedelta(hours=int(hours), minutes=int(minutes or 0))
    return west if sign == "-" else -west


def _same_host(reported: str, reached: str) -> bool:
    reported, reached = reported.lower(), reached.lower().strip("[]")
    if reported == reached:
        return True
    try:
        return ipaddress.ip_address(reported) == ipaddress.ip_address(reached)
    except ValueError:
        return False


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _addressing(operation: str, to: str, reference: str) -> str:
    return f"<wsa:Action>{_ACTIONS[operation]}</wsa:Action><wsa:To>{escape(to)}</wsa:To>{reference}"
