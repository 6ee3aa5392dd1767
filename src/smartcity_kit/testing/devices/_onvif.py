"""A simulated ONVIF camera: SOAP 1.2 device, media and event (PullPoint) services."""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import datetime as dt
import hashlib
import itertools
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import ClassVar, Final
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape, quoteattr

import attrs
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from smartcity_kit.security._events import EventKind
from smartcity_kit.testing.devices._farm import SimRequest, SimResponse, SimulatedDevice
from smartcity_kit.testing.devices._jpeg import TINY_JPEG

__all__ = ["OnvifCamera"]

_SOAP12: Final = "http://www.w3.org/2003/05/soap-envelope"
_SOAP11: Final = "http://schemas.xmlsoap.org/soap/envelope/"
_WSSE: Final = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
_WSU: Final = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
_SOAP_XML: Final = "application/soap+xml; charset=utf-8"
_NAMESPACES: Final = (
    f' xmlns:s="{_SOAP12}"'
    ' xmlns:tds="http://www.onvif.org/ver10/device/wsdl"'
    ' xmlns:trt="http://www.onvif.org/ver10/media/wsdl"'
    ' xmlns:tt="http://www.onvif.org/ver10/schema"'
    ' xmlns:tev="http://www.onvif.org/ver10/events/wsdl"'
    ' xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"'
    ' xmlns:wsa="http://www.w3.org/2005/08/addressing"'
    ' xmlns:tns1="http://www.onvif.org/ver10/topics"'
    ' xmlns:ter="http://www.onvif.org/ver10/error"'
)
_AUTH_MODES: Final = frozenset({"wsse", "digest", "both", "any"})
_DEVICE: Final = "/onvif/device_service"
_MEDIA: Final = "/onvif/media_service"
_EVENTS: Final = "/onvif/events_service"
_SNAPSHOT: Final = "/onvif/snapshot"
_SUBSCRIPTION: Final = re.compile(r"^/onvif/subscription/(\d+)$")
_SUBSCRIPTION_SERVICE: Final = "/onvif/subscription/"
_DURATION: Final = re.compile(
    r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$", re.IGNORECASE
)
_MAX_TERMINATION: Final = 24 * 3600.0
_MAX_PULL: Final = 60.0
#: The profiles every simulated camera has: token, name, width, height, stream path.
_PROFILES: Final = (
    ("Profile_1", "mainStream", 1920, 1080, "/Streaming/Channels/101"),
    ("Profile_2", "subStream", 640, 360, "/Streaming/Channels/102"),
)
#: kind -> (topic, Source item name, Data item name); how each kind looks on the wire.
_TOPICS: Final = {
    EventKind.MOTION: ("tns1:VideoSource/MotionAlarm", "Source", "State"),
    EventKind.TAMPER: ("tns1:VideoSource/GlobalSceneChange/ImagingService", "Source", "State"),
    EventKind.VIDEO_LOSS: ("tns1:VideoSource/SignalLoss", "Source", "State"),
    EventKind.LINE_CROSSING: (
        "tns1:RuleEngine/LineDetector/Crossed",
        "VideoSourceConfigurationToken",
        "ObjectId",
    ),
    EventKind.INTRUSION: (
        "tns1:RuleEngine/FieldDetector/ObjectsInside",
        "VideoSourceConfigurationToken",
        "IsInside",
    ),
    EventKind.OTHER: ("tns1:Device/Trigger/DigitalInput", "InputToken", "LogicalState"),
}


_Handler = Callable[[SimRequest, Element], Awaitable[SimResponse]]


@attrs.define
class _Subscription:
    number: int
    expires: dt.datetime
    queue: list[str] = attrs.Factory(list)
    wakeup: asyncio.Event = attrs.Factory(asyncio.Event)


class OnvifCamera(SimulatedDevice):
    """A simulated ONVIF camera on loopback.

    It answers SOAP 1.2 at ``/onvif/device_service`` (``GetSystemDateAndTime`` without
    credentials, ``GetDeviceInformation``, ``GetCapabilities``, ``GetServices``),
    ``/onvif/media_service`` (``GetProfiles`` with two profiles, ``GetStreamUri`` for RTP-Unicast
    over RTSP, ``GetSnapshotUri``), ``/onvif/events_service`` (``CreatePullPointSubscription``)
    and ``/onvif/subscription/N`` (``PullMessages`` as a long poll, ``Renew``, ``Unsubscribe``).
    ``GET /onvif/snapshot`` answers a small JPEG behind HTTP Digest. Addresses it reports use
    ``reported_host`` when set. Subscriptions are lost on a reboot
    (:meth:`~smartcity_kit.testing.devices.DeviceFarm.reboot`).

    WS-Security tokens are checked against the device's own (skewed) clock: a ``Created`` more
    than ``token_window`` seconds off, a reused nonce or a wrong digest is a ``ter:NotAuthorized``
    fault.

    Faults (switch on with :meth:`fail`):

    - ``"soap11"``: faults are sent in SOAP 1.1 form (``faultcode``/``faultstring``).
    - ``"garbage"``: every SOAP answer is a body that is not XML.
    - ``"auth"``: every operation that needs credentials answers ``ter:NotAuthorized``.
    - ``"fault"``: every operation that needs credentials answers a receiver fault.
    - ``"http500"``: every request answers HTTP 500 with an HTML page.
    - ``"clock-auth"``: ``GetSystemDateAndTime`` needs credentials too (not conforming, common).
    - ``"no-capabilities"``: ``GetCapabilities`` is not supported (only ``GetServices``).
    - ``"credentials-in-uri"``: stream and snapshot URIs embed the user and password.

    Args:
        manufacturer: What ``GetDeviceInformation`` says.
        model: Model name.
        firmware: Firmware version.
        serial: Serial number (a random one, repeatable with ``seed``, when None).
        hardware_id: Hardware id.
        auth: ``"wsse"`` (UsernameToken), ``"digest"`` (HTTP Digest only), ``"both"`` (both
            required) or ``"any"`` (either accepted).
        token_window: Seconds a UsernameToken's ``Created`` may be off the device's clock.
        username: The account on the device.
        password: Its password.
        latency: Seconds before each answer (or a ``(low, high)`` range).
        clock_skew: How far the device's clock is off.
        reported_host: The host the device puts in the addresses it reports.
        seed: Seed for the device's random choices.

    Attributes:
        subscriptions_created: PullPoint subscriptions made since the device started.
        renewals: Renew requests answered.
        unsubscribed: Unsubscribe requests answered.
    """

    vendor: ClassVar[str] = "onvif"
    realm: ClassVar[str] = "Simulated ONVIF Camera"

    def __init__(  # noqa: PLR0913 - a device's settings
        self,
        *,
        manufacturer: str = "SimCam",
        model: str = "SC-ONVIF-2MP",
        firmware: str = "V5.7.3 build 240101",
        serial: str | None = None,
        hardware_id: str = "SC2M-01",
        auth: str = "wsse",
        token_window: float = 5.0,
        username: str = "admin",
        password: str = "sim-Passw0rd",  # noqa: S107 - a simulator's default account
        latency: float | tuple[float, float] = 0.0,
        clock_skew: dt.timedelta = dt.timedelta(0),
        reported_host: str | None = None,
        seed: int | None = None,
    ) -> None:
        if auth not in _AUTH_MODES:
            raise ValueError(f"auth must be one of {sorted(_AUTH_MODES)}")
        super().__init__(
            username=username,
            password=password,
            latency=latency,
            clock_skew=clock_skew,
            reported_host=reported_host,
            http_auth="none" if auth == "wsse" else "digest",
            seed=seed,
        )
        self.manufacturer = manufacturer
        self.model = model
        self.firmware = firmware
        self.serial = serial or f"SC{self._random.randrange(10**9):09d}"
        self.hardware_id = hardware_id
        self.auth = auth
        self.token_window = token_window
        self.subscriptions_created = 0
        self.renewals = 0
        self.unsubscribed = 0
        self._subscriptions: dict[int, _Subscription] = {}
        self._numbers = itertools.count(1)
        self._seen_nonces: collections.deque[str] = collections.deque(maxlen=1000)
        self._operations: dict[str, dict[str, _Handler]] = {
            _DEVICE: {
                "GetSystemDateAndTime": self._system_date_and_time,
                "GetDeviceInformation": self._device_information,
                "GetCapabilities": self._capabilities,
                "GetServices": self._services,
            },
            _MEDIA: {
                "GetProfiles": self._profiles,
                "GetStreamUri": self._stream_uri,
                "GetSnapshotUri": self._snapshot_uri,
            },
            _EVENTS: {"CreatePullPointSubscription": self._create_subscription},
            _SUBSCRIPTION_SERVICE: {
                "PullMessages": self._pull_messages,
                "Renew": self._renew,
                "Unsubscribe": self._unsubscribe,
            },
        }

    # --- what tests call ------------------------------------------------------------------------

    @property
    def active_subscriptions(self) -> int:
        """PullPoint subscriptions the device holds now."""
        return len(self._subscriptions)

    def trigger(self, kind: EventKind, active: bool = True, channel: int = 1) -> None:
        """Queue an event, as the camera would word it, for every current subscription.

        Safe to call from any thread.

        Raises:
            ValueError: ``kind`` is not something a camera reports (online/offline).
        """
        if kind not in _TOPICS:
            raise ValueError(f"an ONVIF camera does not report {kind.value}")
        topic, source_name, data_name = _TOPICS[kind]
        if kind is EventKind.LINE_CROSSING:
            source_value, data_value = f"VideoSourceConfig_{channel}", "1"
        elif source_name == "InputToken":
            source_value, data_value = f"DigitalInput_{channel}", str(active).lower()
        else:
            source_value, data_value = f"VideoSource_{channel}", str(active).lower()
        message = _notification(
            topic, self.now(), "Changed", (source_name, source_value), (data_name, data_value)
        )
        if self.farm is None:
            self._publish(message)
        else:
            self.farm.call_soon(lambda: self._publish(message))

    def forget_sessions(self) -> None:
        """Lose every subscription (the device rebooted)."""
        lost = list(self._subscriptions.values())
        self._subscriptions = {}

        def wake() -> None:
            for subscription in lost:
                subscription.wakeup.set()

        if self.farm is None:
            wake()
        else:
            self.farm.call_soon(wake)

    # --- the HTTP side ------------------------------------------------------------------------

    async def handle(self, request: SimRequest) -> SimResponse:
        """Answer one HTTP request."""
        if "http500" in self.faults:
            return SimResponse(500, b"<html><body>Internal Server Error</body></html>", "text/html")
        if request.path == _SNAPSHOT and request.method == "GET":
            return self._jpeg() if self._digest_valid(request) else self.challenge()
        known = request.path in self._operations or _SUBSCRIPTION.match(request.path)
        if not known:
            return SimResponse(404, b"not found")
        if request.method != "POST":
            return SimResponse(405, b"method not allowed")
        return await self._soap(request)

    async def _soap(self, request: SimRequest) -> SimResponse:  # noqa: PLR0911 - one per refusal
        try:
            root = fromstring(request.body)
        except (ParseError, DefusedXmlException, ValueError):
            return self._fault("s:Sender", "ter:WellFormed", "The request is not well-formed XML")
        body = root.find(f"{{{_SOAP12}}}Body")
        operation = body[0] if body is not None and len(body) else None
        if operation is None:
            return self._fault("s:Sender", "ter:WellFormed", "No operation in the SOAP body")
        if "garbage" in self.faults:
            return SimResponse(200, b"\x00\x1fgarbage <<< not xml", _SOAP_XML)
        name = operation.tag.rpartition("}")[2]
        service = _SUBSCRIPTION_SERVICE if _SUBSCRIPTION.match(request.path) else request.path
        handler = self._operations[service].get(name)
        if handler is None:
            return self._not_supported(name)
        if name == "GetSystemDateAndTime" and "clock-auth" not in self.faults:
            return await handler(request, operation)  # callable without credentials
        if denied := self._authenticate(request, root):
            return denied
        if "fault" in self.faults:
            return self._receiver_fault()
        return await handler(request, operation)

    # --- authentication -----------------------------------------------------------------------

    def _authenticate(self, request: SimRequest, root: Element) -> SimResponse | None:
        """None when the request may proceed, else the answer that refuses it."""
        if "auth" in self.faults:
            return self._not_authorized()
        http_ok = self.auth != "wsse" and self._digest_valid(request)
        token_ok = self.auth != "digest" and self._token_valid(root)
        allowed = {
            "wsse": token_ok,
            "digest": http_ok,
            "both": http_ok and token_ok,
            "any": http_ok or token_ok,
        }[self.auth]
        if allowed:
            return None
        if self.auth == "wsse" or (self.auth == "both" and http_ok):
            return self._not_authorized()
        return self.challenge(self._fault_body(*_NOT_AUTHORIZED), _SOAP_XML)

    def _digest_valid(self, request: SimRequest) -> bool:
        scheme, _, rest = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "digest" and self._digest_ok(request, rest)

    def _token_valid(self, root: Element) -> bool:  # noqa: PLR0911 - one return per check
        token = root.find(f"{{{_SOAP12}}}Header/{{{_WSSE}}}Security/{{{_WSSE}}}UsernameToken")
        if token is None:
            return False
        username = token.findtext(f"{{{_WSSE}}}Username") or ""
        password = token.find(f"{{{_WSSE}}}Password")
        nonce = token.findtext(f"{{{_WSSE}}}Nonce") or ""
        created = token.findtext(f"{{{_WSU}}}Created") or ""
        if password is None or not password.get("Type", "").endswith("#PasswordDigest"):
            return False
        try:
            raw_nonce = base64.b64decode(nonce, validate=True)
            when = dt.datetime.fromisoformat(created)
        except ValueError:
            return False
        if when.tzinfo is None or abs((when - self.now()).total_seconds()) > self.token_window:
            return False
        if nonce in self._seen_nonces:
            return False  # a replayed token
        expected = base64.b64encode(
            hashlib.sha1(
                raw_nonce + created.encode() + self.password.encode(), usedforsecurity=False
            ).digest()
        ).decode()
        if not (
            secrets.compare_digest(username, self.username)
            and secrets.compare_digest(expected, (password.text or "").strip())
        ):
            return False
        self._seen_nonces.append(nonce)
        return True

    # --- device service -----------------------------------------------------------------------

    async def _system_date_and_time(self, _request: SimRequest, _operation: Element) -> SimResponse:
        now = self.now()
        local = now + dt.timedelta(hours=8)  # Makassar: WITA, UTC+8
        return self._answer(
            "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
            "<tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>"
            "<tt:TimeZone><tt:TZ>WITA-8</tt:TZ></tt:TimeZone>"
            f"<tt:UTCDateTime>{_date_time(now)}</tt:UTCDateTime>"
            f"<tt:LocalDateTime>{_date_time(local)}</tt:LocalDateTime>"
            "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
        )

    async def _device_information(self, _request: SimRequest, _operation: Element) -> SimResponse:
        return self._answer(
            "<tds:GetDeviceInformationResponse>"
            f"<tds:Manufacturer>{escape(self.manufacturer)}</tds:Manufacturer>"
            f"<tds:Model>{escape(self.model)}</tds:Model>"
            f"<tds:FirmwareVersion>{escape(self.firmware)}</tds:FirmwareVersion>"
            f"<tds:SerialNumber>{escape(self.serial)}</tds:SerialNumber>"
            f"<tds:HardwareId>{escape(self.hardware_id)}</tds:HardwareId>"
            "</tds:GetDeviceInformationResponse>"
        )

    async def _capabilities(self, request: SimRequest, _operation: Element) -> SimResponse:
        if "no-capabilities" in self.faults:
            return self._not_supported("GetCapabilities")
        base = f"http://{self.address_for(request)}"
        return self._answer(
            "<tds:GetCapabilitiesResponse><tds:Capabilities>"
            f"<tt:Device><tt:XAddr>{base}{_DEVICE}</tt:XAddr></tt:Device>"
            f"<tt:Events><tt:XAddr>{base}{_EVENTS}</tt:XAddr>"
            "<tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>"
            "<tt:WSPullPointSupport>true</tt:WSPullPointSupport>"
            "<tt:WSPausableSubscriptionManagerInterfaceSupport>false"
            "</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>"
            f"<tt:Media><tt:XAddr>{base}{_MEDIA}</tt:XAddr><tt:StreamingCapabilities>"
            "<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP>"
            "<tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>"
            "</tds:Capabilities></tds:GetCapabilitiesResponse>"
        )

    async def _services(self, request: SimRequest, _operation: Element) -> SimResponse:
        base = f"http://{self.address_for(request)}"
        services = (
            ("http://www.onvif.org/ver10/device/wsdl", _DEVICE),
            ("http://www.onvif.org/ver10/media/wsdl", _MEDIA),
            ("http://www.onvif.org/ver10/events/wsdl", _EVENTS),
        )
        return self._answer(
            "<tds:GetServicesResponse>"
            + "".join(
                f"<tds:Service><tds:Namespace>{namespace}</tds:Namespace>"
                f"<tds:XAddr>{base}{path}</tds:XAddr><tds:Version><tt:Major>2</tt:Major>"
                "<tt:Minor>60</tt:Minor></tds:Version></tds:Service>"
                for namespace, path in services
            )
            + "</tds:GetServicesResponse>"
        )

    # --- media service ------------------------------------------------------------------------

    async def _profiles(self, _request: SimRequest, _operation: Element) -> SimResponse:
        return self._answer(
            "<trt:GetProfilesResponse>"
            + "".join(
                f'<trt:Profiles token="{token}" fixed="true"><tt:Name>{name}</tt:Name>'
                '<tt:VideoSourceConfiguration token="VideoSourceConfig_1"><tt:Name>VideoSource'
                "</tt:Name><tt:UseCount>2</tt:UseCount><tt:SourceToken>VideoSource_1"
                '</tt:SourceToken><tt:Bounds x="0" y="0" width="1920" height="1080"/>'
                "</tt:VideoSourceConfiguration>"
                f'<tt:VideoEncoderConfiguration token="VideoEncoder_{index}">'
                f"<tt:Name>VideoEncoder_{index}</tt:Name><tt:UseCount>1</tt:UseCount>"
                "<tt:Encoding>H264</tt:Encoding><tt:Resolution>"
                f"<tt:Width>{width}</tt:Width><tt:Height>{height}</tt:Height></tt:Resolution>"
                "<tt:Quality>5</tt:Quality></tt:VideoEncoderConfiguration></trt:Profiles>"
                for index, (token, name, width, height, _path) in enumerate(_PROFILES, 1)
            )
            + "</trt:GetProfilesResponse>"
        )

    async def _stream_uri(self, request: SimRequest, operation: Element) -> SimResponse:
        profile = _profile(operation)
        stream = operation.findtext("{*}StreamSetup/{*}Stream") or ""
        protocol = operation.findtext("{*}StreamSetup/{*}Transport/{*}Protocol") or ""
        if profile is None:
            return self._fault("s:Sender", "ter:InvalidArgVal", "No such profile", "ter:NoProfile")
        if stream.strip() != "RTP-Unicast" or protocol.strip() not in ("RTSP", "TCP", "UDP"):
            return self._fault("s:Sender", "ter:InvalidArgVal", "Unsupported stream setup")
        host = self.reported_host if self.reported_host is not None else request.host
        uri = f"rtsp://{self._userinfo()}{host}:554{profile[4]}"
        return self._answer(
            "<trt:GetStreamUriResponse><trt:MediaUri>"
            f"<tt:Uri>{escape(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>"
            "<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout>"
            "</trt:MediaUri></trt:GetStreamUriResponse>"
        )

    async def _snapshot_uri(self, request: SimRequest, operation: Element) -> SimResponse:
        profile = _profile(operation)
        if profile is None:
            return self._fault("s:Sender", "ter:InvalidArgVal", "No such profile", "ter:NoProfile")
        uri = f"http://{self._userinfo()}{self.address_for(request)}{_SNAPSHOT}?token={profile[0]}"
        return self._answer(
            "<trt:GetSnapshotUriResponse><trt:MediaUri>"
            f"<tt:Uri>{escape(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>"
            "<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout>"
            "</trt:MediaUri></trt:GetSnapshotUriResponse>"
        )

    def _userinfo(self) -> str:
        if "credentials-in-uri" not in self.faults:
            return ""
        return f"{self.username}:{self.password}@"

    def _jpeg(self) -> SimResponse:
        return SimResponse(200, TINY_JPEG, "image/jpeg")

    # --- event service ------------------------------------------------------------------------

    async def _create_subscription(self, request: SimRequest, operation: Element) -> SimResponse:
        seconds = _termination(operation.findtext("{*}InitialTerminationTime"), self.now())
        number = next(self._numbers)
        now = self.now()
        subscription = _Subscription(number, now + dt.timedelta(seconds=seconds))
        self._subscriptions[number] = subscription
        self.subscriptions_created += 1
        # Real devices send the current state of each property on a new subscription.
        subscription.queue.append(
            _notification(
                _TOPICS[EventKind.MOTION][0],
                now,
                "Initialized",
                ("Source", "VideoSource_1"),
                ("State", "false"),
            )
        )
        address = f"http://{self.address_for(request)}/onvif/subscription/{number}"
        return self._answer(
            "<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>"
            f"<wsa:Address>{address}</wsa:Address></tev:SubscriptionReference>"
            f"<wsnt:CurrentTime>{_instant(now)}</wsnt:CurrentTime>"
            f"<wsnt:TerminationTime>{_instant(subscription.expires)}</wsnt:TerminationTime>"
            "</tev:CreatePullPointSubscriptionResponse>"
        )

    def _live(self, number: int) -> _Subscription | None:
        subscription = self._subscriptions.get(number)
        if subscription is not None and subscription.expires < self.now():
            del self._subscriptions[number]
            return None
        return subscription

    async def _pull_messages(self, request: SimRequest, operation: Element) -> SimResponse:
        number = _number(request)
        subscription = self._live(number)
        if subscription is None:
            return self._no_subscription()
        timeout = min(_MAX_PULL, _seconds(operation.findtext("{*}Timeout")) or 0.0)
        limit_text = (operation.findtext("{*}MessageLimit") or "").strip()
        limit = int(limit_text) if limit_text.isdigit() else 1
        if not subscription.queue and timeout > 0:
            subscription.wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(subscription.wakeup.wait(), timeout)
        if self._subscriptions.get(number) is not subscription:
            return self._no_subscription()  # lost while waiting (a reboot)
        messages = subscription.queue[:limit]
        del subscription.queue[:limit]
        now = self.now()
        return self._answer(
            f"<tev:PullMessagesResponse><tev:CurrentTime>{_instant(now)}</tev:CurrentTime>"
            f"<tev:TerminationTime>{_instant(subscription.expires)}</tev:TerminationTime>"
            + "".join(messages)
            + "</tev:PullMessagesResponse>"
        )

    async def _renew(self, request: SimRequest, operation: Element) -> SimResponse:
        number = _number(request)
        subscription = self._live(number)
        if subscription is None:
            return self._no_subscription()
        now = self.now()
        seconds = _termination(operation.findtext("{*}TerminationTime"), now)
        subscription.expires = now + dt.timedelta(seconds=seconds)
        self.renewals += 1
        return self._answer(
            f"<wsnt:RenewResponse><wsnt:TerminationTime>{_instant(subscription.expires)}"
            f"</wsnt:TerminationTime><wsnt:CurrentTime>{_instant(now)}</wsnt:CurrentTime>"
            "</wsnt:RenewResponse>"
        )

    async def _unsubscribe(self, request: SimRequest, _operation: Element) -> SimResponse:
        number = _number(request)
        subscription = self._live(number)
        if subscription is None:
            return self._no_subscription()
        del self._subscriptions[number]
        subscription.wakeup.set()
        self.unsubscribed += 1
        return self._answer("<wsnt:UnsubscribeResponse/>")

    def _publish(self, message: str) -> None:
        for subscription in self._subscriptions.values():
            subscription.queue.append(message)
            subscription.wakeup.set()

    # --- answers --------------------------------------------------------------------------------

    def _answer(self, body: str) -> SimResponse:
        return SimResponse(
            200,
            (
                f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope{_NAMESPACES}>'
                f"<s:Body>{body}</s:Body></s:Envelope>"
            ).encode(),
            _SOAP_XML,
        )

    def _fault(self, code: str, subcode: str, reason: str, detail: str = "") -> SimResponse:
        status = 400 if code == "s:Sender" else 500
        content_type = "text/xml; charset=utf-8" if "soap11" in self.faults else _SOAP_XML
        return SimResponse(status, self._fault_body(code, subcode, reason, detail), content_type)

    def _fault_body(self, code: str, subcode: str, reason: str, detail: str = "") -> bytes:
        if "soap11" in self.faults:
            return (
                '<?xml version="1.0" encoding="UTF-8"?>'
                f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{_SOAP11}"'
                ' xmlns:ter="http://www.onvif.org/ver10/error"><SOAP-ENV:Body><SOAP-ENV:Fault>'
                f"<faultcode>{subcode}</faultcode><faultstring>{escape(reason)}</faultstring>"
                "</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>"
            ).encode()
        inner = f"<s:Subcode><s:Value>{detail}</s:Value></s:Subcode>" if detail else ""
        return (
            f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope{_NAMESPACES}><s:Body><s:Fault>'
            f"<s:Code><s:Value>{code}</s:Value><s:Subcode><s:Value>{subcode}</s:Value>{inner}"
            f'</s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">{escape(reason)}</s:Text>'
            "</s:Reason></s:Fault></s:Body></s:Envelope>"
        ).encode()

    def _not_authorized(self) -> SimResponse:
        return self._fault(*_NOT_AUTHORIZED)

    def _not_supported(self, name: str) -> SimResponse:
        return self._fault(
            "s:Sender", "ter:ActionNotSupported", f"{name} is not supported by this service"
        )

    def _no_subscription(self) -> SimResponse:
        return self._fault("s:Sender", "ter:InvalidArgVal", "No such subscription")

    def _receiver_fault(self) -> SimResponse:
        return self._fault("s:Receiver", "ter:Action", "Simulated device failure")


_NOT_AUTHORIZED: Final = ("s:Sender", "ter:NotAuthorized", "Sender not Authorized")


def _number(request: SimRequest) -> int:
    match = _SUBSCRIPTION.match(request.path)
    return int(match.group(1)) if match else 0


def _profile(operation: Element) -> tuple[str, str, int, int, str] | None:
    token = (operation.findtext("{*}ProfileToken") or "").strip()
    return next((p for p in _PROFILES if p[0] == token), None)


def _notification(
    topic: str,
    at: dt.datetime,
    operation: str,
    source: tuple[str, str],
    data: tuple[str, str],
) -> str:
    return (
        "<wsnt:NotificationMessage><wsnt:Topic"
        ' Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">'
        f"{topic}</wsnt:Topic><wsnt:Message>"
        f'<tt:Message UtcTime="{_instant(at)}" PropertyOperation="{operation}">'
        f"<tt:Source><tt:SimpleItem Name={quoteattr(source[0])} Value={quoteattr(source[1])}/>"
        f"</tt:Source><tt:Data><tt:SimpleItem Name={quoteattr(data[0])}"
        f" Value={quoteattr(data[1])}/></tt:Data></tt:Message></wsnt:Message>"
        "</wsnt:NotificationMessage>"
    )


def _instant(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _date_time(at: dt.datetime) -> str:
    return (
        f"<tt:Time><tt:Hour>{at.hour}</tt:Hour><tt:Minute>{at.minute}</tt:Minute>"
        f"<tt:Second>{at.second}</tt:Second></tt:Time><tt:Date><tt:Year>{at.year}</tt:Year>"
        f"<tt:Month>{at.month}</tt:Month><tt:Day>{at.day}</tt:Day></tt:Date>"
    )


def _seconds(duration: str | None) -> float | None:
    """Seconds in an ``xs:duration`` (``PT5S``, ``PT10M``, ``P1DT2H``), None when it is not one."""
    match = _DURATION.match((duration or "").strip())
    if not match or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def _termination(value: str | None, now: dt.datetime) -> float:
    """A requested termination time (a duration or an instant) as seconds from ``now``."""
    seconds = _seconds(value)
    if seconds is None and value:
        try:
            when = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            when = None
        if when is not None and when.tzinfo is not None:
            seconds = (when - now).total_seconds()
    if seconds is None or seconds <= 0:
        seconds = 60.0
    return min(seconds, _MAX_TERMINATION)
