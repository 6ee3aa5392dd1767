"""HTTP to a device: timeouts always, Basic then Digest, errors that name the device only."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Final

import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from smartcity_kit.errors import DeviceAuthError, DeviceProtocolError, DeviceUnreachableError
from smartcity_kit.security.adapters._base import Credentials, Endpoint, Timeouts

__all__ = ["AuthMode", "DeviceHttp", "new_session"]

#: The biggest answer read into memory (a 4K JPEG is well under this).
MAX_BODY: Final = 16 * 1024 * 1024
_UNAUTHORIZED: Final = 401


class AuthMode(enum.Enum):
    """How HTTP authentication is done."""

    NONE = "none"
    """No HTTP authentication (ONVIF puts a WS-Security token in the body instead)."""
    BASIC = "basic"
    """Basic until the device asks for Digest (then Digest from then on)."""
    DIGEST = "digest"
    """Digest only."""


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

    def _auth_for(self, mode: AuthMode) -> AuthBase | None:
        if self._credentials is None or mode is AuthMode.NONE:
            return None
        user, password = self._credentials.username, self._credentials.password
        if mode is AuthMode.DIGEST:
            return HTTPDigestAuth(user, password)
        return HTTPBasicAuth(user, password)

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
        if response.status_code == _UNAUTHORIZED:
            challenge = response.headers.get("WWW-Authenticate", "")
            if (
                self._credentials is not None
                and "digest" in challenge.lower()
                and not isinstance(self._auth, HTTPDigestAuth)
            ):
                response.close()
                self._auth = self._auth_for(AuthMode.DIGEST)
                response = self._send(method, path, data, headers, params, stream, read_timeout)
            if response.status_code == _UNAUTHORIZED and self._mode is not AuthMode.NONE:
                response.close()
                raise DeviceAuthError(f"{self.endpoint}: the device refused the credentials")
        return response

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
