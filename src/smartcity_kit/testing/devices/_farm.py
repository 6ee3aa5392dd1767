"""Simulated devices on loopback: a small asyncio HTTP/1.1 server, many devices per process.

Each device listens on its own port of 127.0.0.1; one event loop in one background thread serves
them all, so ten thousand devices cost ten thousand sockets, not ten thousand threads.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import contextlib
import datetime as dt
import enum
import hashlib
import random
import secrets
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from typing import Any, ClassVar, Final, Self, TypeVar
from urllib.parse import parse_qs, urlsplit

import attrs

__all__ = [
    "DeviceFarm",
    "DeviceState",
    "SimRequest",
    "SimResponse",
    "SimulatedDevice",
]

_T = TypeVar("_T")
_MAX_HEADER: Final = 64 * 1024
#: Seconds an idle keep-alive connection stays open (cameras use 15-60 s).
_IDLE_SECONDS: Final = 30.0
_MAX_BODY: Final = 1024 * 1024
_REASONS: Final = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class DeviceState(enum.Enum):
    """How a simulated device behaves on the network."""

    UP = "up"
    """Answers (after its latency)."""
    HANG = "hang"
    """Accepts connections and reads requests but never answers (a wedged camera)."""
    DOWN = "down"
    """Refuses connections (unplugged, or rebooting)."""


@attrs.define
class SimRequest:
    """A request as a simulated device sees it.

    Attributes:
        method: ``GET``, ``POST``...
        path: The path without the query (``/onvif/device_service``).
        query: Query parameters, each with all its values.
        headers: Header names in lower case.
        body: The request body.
        host: The host the client asked for (the ``Host`` header without the port).
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    host: str

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter ``name``."""
        values = self.query.get(name)
        return values[0] if values else default


@attrs.define
class SimResponse:
    """What a simulated device answers.

    Attributes:
        status: HTTP status code.
        body: The body (ignored when ``stream`` is set).
        content_type: The Content-Type header.
        headers: Other headers.
        stream: An async iterator of body chunks, sent as they come until it ends or the client
            goes away (multipart event streams).
    """

    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = attrs.field(factory=dict)
    stream: AsyncIterator[bytes] | None = None


class SimulatedDevice(abc.ABC):
    """A camera's management interface, simulated. Subclasses answer :meth:`handle`.

    Args:
        username: The account on the device.
        password: Its password.
        latency: Seconds before each answer: a number, or ``(low, high)`` for a uniform random
            delay per request.
        clock_skew: How far the device's clock is off (positive: ahead).
        reported_host: The address the device puts in URIs it reports (real cameras often say
            ``0.0.0.0`` or a private address); None reports the host it was reached at.
        http_auth: ``"digest"``, ``"basic"`` (Basic or Digest accepted) or ``"none"``.
        seed: Seed for the device's random choices (latency), for repeatable runs.

    Faults are switched on with :meth:`fail` and off with :meth:`heal`; which names mean what is
    up to each vendor's simulator (see their docstrings).
    """

    #: The vendor protocol, as in :class:`~smartcity_kit.security.VendorProtocol`.
    vendor: ClassVar[str] = ""
    #: The HTTP realm for Digest and Basic challenges.
    realm: ClassVar[str] = "Simulated Camera"

    def __init__(  # noqa: PLR0913 - a device's settings
        self,
        *,
        username: str = "admin",
        password: str = "sim-Passw0rd",  # noqa: S107 - a simulator's default account
        latency: float | tuple[float, float] = 0.0,
        clock_skew: dt.timedelta = dt.timedelta(0),
        reported_host: str | None = None,
        http_auth: str = "digest",
        seed: int | None = None,
    ) -> None:
        self.username = username
        self.password = password
        self.latency = latency
        self.clock_skew = clock_skew
        self.reported_host = reported_host
        self.http_auth = http_auth
        self.faults: set[str] = set()
        self.state = DeviceState.UP
        self.port = 0
        self.host = "127.0.0.1"
        self.requests_served = 0
        self._random = random.Random(seed)  # noqa: S311 - simulated latency, not security
        self._nonces: dict[str, None] = {}  # issued nonces, oldest first
        self.farm: DeviceFarm | None = None

    # --- what subclasses implement -------------------------------------------------------------

    @abc.abstractmethod
    async def handle(self, request: SimRequest) -> SimResponse:
        """Answer one request (after latency and state were applied)."""

    # --- helpers for subclasses ------------------------------------------------------------

    def now(self) -> dt.datetime:
        """The device's clock (UTC plus its skew)."""
        return dt.datetime.now(dt.UTC) + self.clock_skew

    def fail(self, *faults: str) -> None:
        """Switch faults on (names are vendor-specific)."""
        self.faults.update(faults)

    def heal(self, *faults: str) -> None:
        """Switch faults off (all of them when none are named)."""
        if faults:
            self.faults.difference_update(faults)
        else:
            self.faults.clear()

    def address_for(self, request: SimRequest) -> str:
        """The ``host:port`` the device reports in URIs for this request."""
        host = self.reported_host if self.reported_host is not None else request.host
        return f"{host}:{self.port}"

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    def check_http_auth(self, request: SimRequest) -> SimResponse | None:
        """None when the request carries valid HTTP credentials, else a 401 challenge."""
        if self.http_auth == "none":
            return None
        header = request.headers.get("authorization", "")
        scheme, _, rest = header.partition(" ")
        if scheme.lower() == "basic" and self.http_auth == "basic":
            try:
                user, _, password = base64.b64decode(rest).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return self.challenge()
            if secrets.compare_digest(user, self.username) and secrets.compare_digest(
                password, self.password
            ):
                return None
        elif scheme.lower() == "digest" and self._digest_ok(request, rest):
            return None
        return self.challenge()

    def challenge(self, body: bytes = b"", content_type: str = "text/plain") -> SimResponse:
        """A 401 with a Digest challenge (and a Basic one when Basic is accepted)."""
        nonce = secrets.token_hex(16)
        self._nonces[nonce] = None
        if len(self._nonces) > 1000:
            del self._nonces[next(iter(self._nonces))]  # forget the oldest
        headers = {
            "WWW-Authenticate": (
                f'Digest realm="{self.realm}", qop="auth", nonce="{nonce}", '
                f'opaque="{secrets.token_hex(8)}", algorithm=MD5'
            )
        }
        return SimResponse(401, body or b"Unauthorized", content_type, headers)

    def _digest_ok(self, request: SimRequest, header: str) -> bool:
        fields = _digest_fields(header)
        nonce = fields.get("nonce", "")
        if fields.get("username") != self.username or nonce not in self._nonces:
            return False
        ha1 = _md5(f"{self.username}:{fields.get('realm', '')}:{self.password}")
        ha2 = _md5(f"{request.method}:{fields.get('uri', '')}")
        if fields.get("qop"):
            expected = _md5(
                f"{ha1}:{nonce}:{fields.get('nc', '')}:{fields.get('cnonce', '')}:"
                f"{fields['qop']}:{ha2}"
            )
        else:
            expected = _md5(f"{ha1}:{nonce}:{ha2}")
        return secrets.compare_digest(expected, fields.get("response", ""))

    async def _delay(self) -> None:
        latency = self.latency
        seconds = self._random.uniform(*latency) if isinstance(latency, tuple) else latency
        if seconds > 0:
            await asyncio.sleep(seconds)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.host}:{self.port} {self.state.value}>"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _digest_fields(header: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in _split_commas(header):
        name, _, value = part.strip().partition("=")
        fields[name.strip().lower()] = value.strip().strip('"')
    return fields


def _split_commas(text: str) -> Iterable[str]:
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            yield "".join(current)
            current = []
        else:
            current.append(char)
    if current:
        yield "".join(current)


class DeviceFarm:
    """Runs simulated devices on loopback, one port each, in one background event loop.

    Use it as a context manager::

        with DeviceFarm() as farm:
            camera = farm.add(OnvifCamera())
            ...  # talk to camera.endpoint_url

    Args:
        host: The loopback address to listen on.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.devices: list[SimulatedDevice] = []
        self._servers: dict[int, asyncio.Server] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="device-farm", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def _call(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    def add(self, device: SimulatedDevice, port: int = 0) -> SimulatedDevice:
        """Start serving ``device`` (on ``port``, or a free one); returns it with its port set."""
        device.host = self.host
        device.farm = self
        device.port = self._call(self._listen(device, port))
        self.devices.append(device)
        return device

    def add_many(self, devices: Iterable[SimulatedDevice]) -> list[SimulatedDevice]:
        """Start serving many devices at once."""
        started = list(devices)

        async def listen_all() -> list[int]:
            return [await self._listen(d, 0) for d in started]

        for device, port in zip(started, self._call(listen_all()), strict=True):
            device.host = self.host
            device.farm = self
            device.port = port
        self.devices.extend(started)
        return started

    def set_state(self, device: SimulatedDevice, state: DeviceState) -> None:
        """Take a device down (refuse connections), hang it, or bring it back on the same port."""
        if state is DeviceState.DOWN and device.port in self._servers:
            self._call(self._close_server(device.port))
        elif state is not DeviceState.DOWN and device.port not in self._servers:
            self._call(self._listen(device, device.port))
        device.state = state

    def reboot(self, device: SimulatedDevice, seconds: float = 0.2) -> None:
        """Take a device down for ``seconds`` and bring it back (it forgets its sessions)."""
        self.set_state(device, DeviceState.DOWN)
        forget = getattr(device, "forget_sessions", None)
        if callable(forget):
            forget()
        self._loop.call_soon_threadsafe(self._loop.call_later, seconds, self._revive, device)

    def _revive(self, device: SimulatedDevice) -> None:
        self._loop.create_task(self._listen(device, device.port))
        device.state = DeviceState.UP

    async def _listen(self, device: SimulatedDevice, port: int) -> int:
        def handler(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> Coroutine[Any, Any, None]:
            return _serve_connection(device, reader, writer)

        server = await asyncio.start_server(handler, self.host, port, backlog=128)
        bound = int(server.sockets[0].getsockname()[1])
        self._servers[bound] = server
        return bound

    async def _close_server(self, port: int) -> None:
        server = self._servers.pop(port)
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 1)

    def call_soon(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` in the farm's event loop (for simulators that push events)."""
        self._loop.call_soon_threadsafe(callback)

    def close(self) -> None:
        """Stop every device and the event loop."""

        async def stop_all() -> None:
            for port in list(self._servers):
                await self._close_server(port)
            current = asyncio.current_task()
            pending = [t for t in asyncio.all_tasks() if t is not current]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        if self._loop.is_running():
            with contextlib.suppress(Exception):
                self._call(stop_all())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        if not self._loop.is_running():
            self._loop.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


async def _serve_connection(  # noqa: PLR0911 - one return per way a connection ends
    device: SimulatedDevice, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            try:
                # Like a camera's web server, drop a connection left idle too long.
                request = await asyncio.wait_for(_read_request(reader), _IDLE_SECONDS)
            except TimeoutError:
                return
            if request is None:
                return
            if device.state is DeviceState.HANG:
                # Never answer; let go when the client gives up (or after an hour).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(reader.read(), 3600)
                return
            await device._delay()  # noqa: SLF001 - the farm applies the device's latency
            if device.state is not DeviceState.UP:
                return
            device.requests_served += 1
            try:
                response = await device.handle(request)
            except Exception:  # noqa: BLE001 - a simulator bug becomes a 500, as on a camera
                response = SimResponse(500, b"simulator error")
            keep_alive = request.headers.get("connection", "").lower() != "close"
            await _write_response(writer, response, keep_alive=keep_alive)
            if response.stream is not None or not keep_alive:
                return
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return
    except asyncio.CancelledError:
        # DeviceFarm.close() cancels connections still open (hung devices, event streams).
        # End quietly: Python 3.11's StreamReaderProtocol calls task.exception() on its
        # handler task, which on a cancelled task logs a spurious CancelledError traceback.
        return
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def _read_request(reader: asyncio.StreamReader) -> SimRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    if len(head) > _MAX_HEADER:
        return None
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, _version = lines[0].split(" ", 2)
    except ValueError:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    try:
        length = int(headers.get("content-length", "0") or 0)
    except ValueError:
        return None
    if length > _MAX_BODY:
        return None
    body = await reader.readexactly(length) if length else b""
    parts = urlsplit(target)
    host = headers.get("host", "127.0.0.1")
    host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return SimRequest(
        method=method.upper(),
        path=parts.path or "/",
        query=parse_qs(parts.query, keep_blank_values=True),
        headers=headers,
        body=body,
        host=host,
    )


async def _write_response(
    writer: asyncio.StreamWriter, response: SimResponse, *, keep_alive: bool
) -> None:
    reason = _REASONS.get(response.status, "Unknown")
    head = [f"HTTP/1.1 {response.status} {reason}", f"Content-Type: {response.content_type}"]
    head += [f"{name}: {value}" for name, value in response.headers.items()]
    if response.stream is None:
        head.append(f"Content-Length: {len(response.body)}")
        head.append("Connection: keep-alive" if keep_alive else "Connection: close")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.body)
        await writer.drain()
        return
    head.append("Connection: close")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
    await writer.drain()
    try:
        async for chunk in response.stream:
            writer.write(chunk)
            await writer.drain()
    finally:
        # When the client goes away, close the stream now: left to the garbage collector (it
        # sits in a reference cycle with the connection error), its cleanup would wait.
        aclose = getattr(response.stream, "aclose", None)
        if aclose is not None:
            await aclose()
