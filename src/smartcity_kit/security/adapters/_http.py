"""HTTP to a device: timeouts always, Basic then Digest, errors that name the device only."""

from __future__ import annotations

import base64
import enum
import hashlib
import os
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any, Final

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase, HTTPBasicAuth
from urllib3.exceptions import (
    ConnectTimeoutError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from smartcity_kit.errors import DeviceAuthError, DeviceProtocolError, DeviceUnreachableError
from smartcity_kit.security.adapters._base import Credentials, Endpoint, Timeouts

__all__ = ["AuthMode", "DeviceHttp", "new_session"]

#: The biggest answer read into memory (a 4K JPEG is well under this).
MAX_BODY: Final = 16 * 1024 * 1024
_UNAUTHORIZED: Final = 401
#: Sends after a 401: one for the first challenge, one more for a nonce gone stale. A device
#: that says "stale" every time must not keep a poller's thread sending for ever.
_MAX_RESENDS: Final = 2


class AuthMode(enum.Enum):
    """How HTTP authentication is done."""

    NONE = "none"
    """No HTTP authentication (ONVIF puts a WS-Security token in the body instead)."""
    BASIC = "basic"
    """Basic until the device asks for Digest (then Digest from then on)."""
    DIGEST = "digest"
    """Digest only."""


_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')
_HASHES: Final[dict[str, Callable[[bytes], Any]]] = {
    "MD5": hashlib.md5,
    "SHA-256": hashlib.sha256,
}


def _challenge(header: str) -> dict[str, str] | None:
    """The parameters of a ``Digest`` challenge in a WWW-Authenticate header, or None."""
    at = header.lower().find("digest ")
    if at < 0:
        return None
    params = {
        m[1].lower(): m[2] if m[2] is not None else m[3] for m in _PARAM.finditer(header[at + 7 :])
    }
    return params if "nonce" in params else None


def _quoted(text: str) -> str:
    """``text`` for a quoted-string (RFC 9110): a backslash before quotes and backslashes."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


class _Digest(AuthBase):
    """HTTP Digest (RFC 7616: MD5, MD5-sess, SHA-256; qop auth), thread-safe and pre-emptive.

    Once a challenge is known, every request carries the answer with a fresh nonce count, so a
    kept connection to a device costs one round trip, from any thread (requests' own digest
    auth keeps its state per thread, and re-challenges in every new one).
    """

    def __init__(self, username: str, password: str) -> None:
        self._username = username
        self._password = password
        self._lock = threading.Lock()
        self._params: dict[str, str] | None = None
        self._count = 0

    def learn(self, header: str) -> bool:
        """Take the challenge in ``header``; False when it is not a Digest challenge we speak."""
        params = _challenge(header)
        if params is None:
            return False
        algorithm = params.get("algorithm", "MD5").upper().removesuffix("-SESS")
        if algorithm not in _HASHES:
            return False
        with self._lock:
            self._params, self._count = params, 0
        return True

    @property
    def ready(self) -> bool:
        """Whether a challenge is known."""
        return self._params is not None

    def header(self, method: str, uri: str) -> str | None:
        """The Authorization header for one request, or None before any challenge."""
        with self._lock:
            params = self._params
            if params is None:
                return None
            self._count += 1
            count = self._count
        algorithm = params.get("algorithm", "MD5")
        digest = _HASHES[algorithm.upper().removesuffix("-SESS")]

        def h(text: str) -> str:
            return str(digest(text.encode()).hexdigest())

        realm, nonce = params.get("realm", ""), params["nonce"]
        cnonce = os.urandom(8).hex()
        nc = f"{count:08x}"
        ha1 = h(f"{self._username}:{realm}:{self._password}")
        if algorithm.upper().endswith("-SESS"):
            ha1 = h(f"{ha1}:{nonce}:{cnonce}")
        ha2 = h(f"{method}:{uri}")
        qops = [q.strip() for q in params.get("qop", "").split(",") if q.strip()]
        parts = [
            f'username="{_quoted(self._username)}"',
            f'realm="{realm}"',
            f'nonce="{nonce}"',
            f'uri="{uri}"',
            f"algorithm={algorithm}",
        ]
        if "auth" in qops:
            response = h(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
            parts += ["qop=auth", f"nc={nc}", f'cnonce="{cnonce}"']
        else:
            response = h(f"{ha1}:{nonce}:{ha2}")
        parts.append(f'response="{response}"')
        if "opaque" in params:
            parts.append(f'opaque="{params["opaque"]}"')
        return "Digest " + ", ".join(parts)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        value = self.header(str(r.method), r.path_url)
        if value is not None:
            r.headers["Authorization"] = value
        return r


def new_session(pool_size: int = 10) -> requests.Session:
    """A session for talking to devices: no proxies from the environment, a bounded pool.

    Pass one session to many adapters to share connections across a fleet.
    """
    session = requests.Session()
    session.trust_env = False  # camera networks are internal: never through an office proxy
    adapter = requests.adapters.HTTPAdapter(
        pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class DeviceHttp:
    """HTTP requests to one device.

    Args:
        endpoint: Where the device answers.
        credentials: User and password, or None.
        timeouts: Connect and read timeouts for every request.
        session: A shared session (see :func:`new_session`), else a new one.
        auth: How to authenticate; a device that answers 401 with a Digest challenge is
            switched to Digest whatever this says (unless it is ``NONE`` and there are no
            credentials).
        verify_tls: Check HTTPS certificates (cameras often have self-signed ones: then pass a
            CA bundle path, or False on a closed network).
    """

    def __init__(  # noqa: PLR0913 - the parts of a connection
        self,
        endpoint: Endpoint,
        credentials: Credentials | None = None,
        *,
        timeouts: Timeouts | None = None,
        session: requests.Session | None = None,
        auth: AuthMode = AuthMode.BASIC,
        verify_tls: bool | str = True,
    ) -> None:
        self.endpoint = endpoint
        self._credentials = credentials
        self.timeouts = timeouts or Timeouts()
        self._own_session = session is None
        self.session = session or new_session(pool_size=4)
        self._mode = auth
        self._verify = verify_tls
        self._auth: AuthBase | None = self._auth_for(auth)
        self._pools: dict[str, urllib3.HTTPConnectionPool] = {}

    def _auth_for(self, mode: AuthMode) -> AuthBase | None:
        if self._credentials is None or mode is AuthMode.NONE:
            return None
        user, password = self._credentials.username, self._credentials.password
        if mode is AuthMode.DIGEST:
            return _Digest(user, password)
        return HTTPBasicAuth(user, password)

    def _after_401(self, challenge_header: str, *, retried: bool) -> bool:
        """Whether to send again after a 401: learn a Digest challenge (switching to Digest).

        A first 401 is answered; a second only when the device says the nonce went stale; the
        callers stop after :data:`_MAX_RESENDS` in any case.
        """
        if self._credentials is None:
            return False
        if retried and "stale=true" not in challenge_header.lower().replace('"', ""):
            return False
        digest = self._auth
        if not isinstance(digest, _Digest):
            digest = _Digest(self._credentials.username, self._credentials.password)
        if not digest.learn(challenge_header):
            return False
        self._auth = digest
        return True

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this device (``path`` may already be absolute)."""
        if path.startswith(("http://", "https://")):
            return path
        return self.endpoint.base_url + ("" if path.startswith("/") else "/") + path

    def request(  # noqa: PLR0913 - requests' own keywords
        self,
        method: str,
        path: str,
        *,
        data: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        stream: bool = False,
        read_timeout: float | None = None,
    ) -> requests.Response:
        """Send one request; answer the response whatever its status, except 401.

        Raises:
            DeviceUnreachableError: No connection, or no answer within the timeouts.
            DeviceAuthError: The device refused the credentials (401 after Digest).
        """
        response = self._send(method, path, data, headers, params, stream, read_timeout)
        resent = 0
        while (
            response.status_code == _UNAUTHORIZED
            and resent < _MAX_RESENDS
            and self._after_401(response.headers.get("WWW-Authenticate", ""), retried=resent > 0)
        ):
            response.close()
            resent += 1
            response = self._send(method, path, data, headers, params, stream, read_timeout)
        if response.status_code == _UNAUTHORIZED and (
            self._mode is not AuthMode.NONE or isinstance(self._auth, _Digest)
        ):
            response.close()
            raise DeviceAuthError(f"{self.endpoint}: the device refused the credentials")
        return response

    def exchange(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        read_timeout: float | None = None,
    ) -> tuple[int, bytes]:
        """Send one request and read its whole answer (at most :data:`MAX_BODY` bytes).

        The contract of :meth:`request` followed by :meth:`body` (timeouts, the switch to Digest,
        401 answered as a status when the mode is ``NONE``, errors naming the device), at a
        fraction of the client CPU: while no HTTP authentication is in use, a plain-HTTP request
        goes straight to the session's connection pool, without requests' per-request work
        (hooks, cookies, settings merged from the environment). That work is most of the CPU of
        a small SOAP call, and a fleet makes millions of them. Cookies are neither sent nor kept
        on that path; a session with proxies, auth, response hooks or a custom transport
        mounted always goes through requests.

        Returns:
            The HTTP status and the body.
        """
        url = self.url(path)
        pool = self._pool(url)
        if pool is None:
            response = self.request(
                method, path, data=data, headers=headers, read_timeout=read_timeout, stream=True
            )
            return response.status_code, self.body(response)
        target = url[url.find("/", 7) :] if url.count("/") > 2 else "/"
        resent = 0
        while True:
            sent = dict(headers or {})
            authorization = self._authorization(method, target)
            if authorization is not None:
                sent["Authorization"] = authorization
            status, body, challenge = self._pooled(pool, method, url, data, sent, read_timeout)
            if (
                status != _UNAUTHORIZED
                or resent >= _MAX_RESENDS
                or not self._after_401(challenge, retried=resent > 0)
            ):
                break
            resent += 1
        if status == _UNAUTHORIZED and (
            self._mode is not AuthMode.NONE or isinstance(self._auth, _Digest)
        ):
            raise DeviceAuthError(f"{self.endpoint}: the device refused the credentials")
        return status, body

    def _authorization(self, method: str, target: str) -> str | None:
        auth = self._auth
        if isinstance(auth, _Digest):
            return auth.header(method, target)
        if isinstance(auth, HTTPBasicAuth):
            user, password = self._credentials.username, self._credentials.password  # type: ignore[union-attr]
            pair = f"{user}:{password}".encode()
            return "Basic " + base64.b64encode(pair).decode()
        return None

    def _pool(self, url: str) -> urllib3.HTTPConnectionPool | None:
        """The session's pool for ``url`` when requests' machinery is not needed for it."""
        session = self.session
        if (
            not url.startswith("http://")
            or session.proxies
            or session.auth
            or session.hooks.get("response")
        ):
            return None
        origin = url[: url.find("/", 7)] if url.count("/") > 2 else url  # after "http://"
        cached = self._pools.get(origin)
        if cached is not None and cached.pool is not None:  # a closed (evicted) pool has None
            return cached
        adapter = session.get_adapter(url)
        if type(adapter) is not HTTPAdapter:
            return None  # a custom transport (a test double, a proxy): let it do its work
        pool: urllib3.HTTPConnectionPool = adapter.poolmanager.connection_from_url(url)
        self._pools[origin] = pool
        return pool

    def _pooled(  # noqa: PLR0913, PLR0917 - private; mirrors exchange()
        self,
        pool: urllib3.HTTPConnectionPool,
        method: str,
        url: str,
        data: bytes | None,
        headers: Mapping[str, str] | None,
        read_timeout: float | None,
    ) -> tuple[int, bytes, str]:
        connect, read = self.timeouts.connect, read_timeout or self.timeouts.read
        target = url[url.find("/", 7) :] if url.count("/") > 2 else "/"
        for attempt in (1, 2):
            try:
                response = pool.urlopen(
                    method,
                    target,
                    body=data,
                    headers=_merged(self.session.headers, headers),
                    timeout=urllib3.Timeout(connect=connect, read=read),
                    retries=False,
                    redirect=False,
                    assert_same_host=False,
                    preload_content=False,
                )
                break
            except NewConnectionError:
                raise DeviceUnreachableError(f"{self.endpoint}: cannot connect") from None
            except (ConnectTimeoutError, ReadTimeoutError, TimeoutError):
                raise DeviceUnreachableError(
                    f"{self.endpoint}: no answer within {connect:g} s (connect) / {read:g} s (read)"
                ) from None
            except ProtocolError:
                # A kept-alive connection the device closed while idle (cameras do after
                # 15-60 s) fails like this before the request is read: try once on a new one.
                if attempt == 2:
                    raise DeviceUnreachableError(
                        f"{self.endpoint}: the connection was closed"
                    ) from None
            except OSError:
                raise DeviceUnreachableError(f"{self.endpoint}: cannot connect") from None
            except urllib3.exceptions.HTTPError as e:
                raise DeviceProtocolError(
                    f"{self.endpoint}: bad HTTP exchange ({type(e).__name__})"
                ) from None
        try:
            body = response.read(MAX_BODY + 1)
        except (urllib3.exceptions.HTTPError, OSError):
            response.close()
            raise DeviceUnreachableError(f"{self.endpoint}: the answer was cut off") from None
        if len(body) > MAX_BODY:
            response.close()
            raise DeviceProtocolError(f"{self.endpoint}: answer bigger than {MAX_BODY} bytes")
        response.release_conn()
        return response.status, body, response.headers.get("WWW-Authenticate", "")

    def _send(  # noqa: PLR0913, PLR0917 - private; mirrors request()
        self,
        method: str,
        path: str,
        data: bytes | str | None,
        headers: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        stream: bool,
        read_timeout: float | None,
    ) -> requests.Response:
        timeout = (self.timeouts.connect, read_timeout or self.timeouts.read)
        kwargs: dict[str, Any] = {
            "data": data,
            "headers": dict(headers or {}),
            "params": params,
            "timeout": timeout,
            "stream": stream,
            "auth": self._auth,
            "allow_redirects": False,
            "verify": self._verify,
        }
        try:
            return self.session.request(method, self.url(path), **kwargs)
        except requests.Timeout:
            raise DeviceUnreachableError(
                f"{self.endpoint}: no answer within {timeout[0]:g} s (connect) / "
                f"{timeout[1]:g} s (read)"
            ) from None
        except requests.exceptions.SSLError:
            raise DeviceUnreachableError(
                f"{self.endpoint}: the TLS handshake failed (is the device's certificate trusted?)"
            ) from None
        except requests.ConnectionError:
            raise DeviceUnreachableError(f"{self.endpoint}: cannot connect") from None
        except requests.RequestException as e:
            raise DeviceProtocolError(
                f"{self.endpoint}: bad HTTP exchange ({type(e).__name__})"
            ) from None

    def body(self, response: requests.Response) -> bytes:
        """The whole body (at most :data:`MAX_BODY` bytes).

        Raises:
            DeviceUnreachableError: The device stopped sending mid-answer.
            DeviceProtocolError: The body is bigger than :data:`MAX_BODY`.
        """
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(65536):
                size += len(chunk)
                if size > MAX_BODY:
                    raise DeviceProtocolError(
                        f"{self.endpoint}: answer bigger than {MAX_BODY} bytes"
                    )
                chunks.append(chunk)
        except requests.RequestException:
            raise DeviceUnreachableError(f"{self.endpoint}: the answer was cut off") from None
        finally:
            response.close()
        return b"".join(chunks)

    def close(self) -> None:
        """Close the session if this object made it."""
        if self._own_session:
            self.session.close()

    def __repr__(self) -> str:
        user = self._credentials.username if self._credentials else None
        return f"DeviceHttp({self.endpoint}, user={user!r})"


def _merged(
    defaults: Mapping[str, str | bytes], headers: Mapping[str, str] | None
) -> dict[str, str]:
    """The session's default headers (User-Agent...) under the request's own."""
    merged = {name: value for name, value in defaults.items() if isinstance(value, str)}
    merged.update(headers or {})
    return merged
