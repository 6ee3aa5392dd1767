"""DeviceHttp: pre-emptive, thread-safe HTTP Digest and Basic against a simulated device."""

from __future__ import annotations

import hashlib
import re
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from smartcity_kit.errors import DeviceAuthError, DeviceUnreachableError
from smartcity_kit.security.adapters import Credentials, Endpoint, Timeouts
from smartcity_kit.security.adapters._http import (
    AuthMode,
    DeviceHttp,
    _challenge,
    _Digest,
    new_session,
)
from smartcity_kit.testing.devices import (
    DeviceFarm,
    DeviceState,
    SimRequest,
    SimResponse,
    SimulatedDevice,
)

PASSWORD = "sim-Passw0rd"  # noqa: S105 - the simulator's default account
WRONG = "Salah-Sandi-99"
FAST = Timeouts(connect=0.5, read=0.5)


class WebDevice(SimulatedDevice):
    """A device behind HTTP authentication: ``/ok`` echoes the method and body, else 404.

    Args:
        basic_challenge: Challenge with ``Basic`` only (a device that knows no Digest).

    Attributes:
        stale_answers: How many of the next requests are answered with a fresh Digest challenge
            that says ``stale=true``, whatever they carry (nonces that expire at once).
    """

    vendor: ClassVar[str] = "test"

    def __init__(self, *, basic_challenge: bool = False, **settings: Any) -> None:
        super().__init__(**settings)
        self.basic_challenge = basic_challenge
        self.stale_answers = 0
        #: The authentication scheme of every request (``-`` for none), in order.
        self.schemes: list[str] = []

    async def handle(self, request: SimRequest) -> SimResponse:
        header = request.headers.get("authorization", "")
        self.schemes.append(header.partition(" ")[0].lower() or "-")
        if self.stale_answers > 0:
            self.stale_answers -= 1
            nonce = secrets.token_hex(8)
            self._nonces[nonce] = None
            challenge = f'Digest realm="{self.realm}", qop="auth", nonce="{nonce}", stale=true'
            return SimResponse(401, b"stale", headers={"WWW-Authenticate": challenge})
        denied = self.check_http_auth(request)
        if denied is not None:
            if self.basic_challenge:
                basic = {"WWW-Authenticate": f'Basic realm="{self.realm}"'}
                return SimResponse(401, b"Unauthorized", headers=basic)
            return denied
        if request.path == "/ok":
            return SimResponse(200, b"ok " + request.method.encode() + b" " + request.body)
        return SimResponse(404, b"no such page")


@pytest.fixture(scope="module")
def farm() -> Iterator[DeviceFarm]:
    with DeviceFarm() as running:
        yield running


@pytest.fixture
def device(farm: DeviceFarm) -> Callable[..., WebDevice]:
    def make(**settings: Any) -> WebDevice:
        started = WebDevice(**settings)
        farm.add(started)
        return started

    return make


@pytest.fixture
def connect() -> Iterator[Callable[..., DeviceHttp]]:
    made: list[DeviceHttp] = []

    def make(
        device: SimulatedDevice,
        password: str | None = PASSWORD,
        *,
        auth: AuthMode = AuthMode.DIGEST,
        pool_size: int = 4,
    ) -> DeviceHttp:
        credentials = None if password is None else Credentials("admin", password)
        http = DeviceHttp(
            Endpoint("127.0.0.1", device.port),
            credentials,
            timeouts=FAST,
            session=new_session(pool_size=pool_size),
            auth=auth,
        )
        made.append(http)
        return http

    yield make
    for http in made:
        http.session.close()


@pytest.fixture(params=["exchange", "request"])
def call(request: pytest.FixtureRequest) -> Callable[..., tuple[int, bytes]]:
    """One request through the fast path (``exchange``) or through requests (``request``)."""

    def via_exchange(
        http: DeviceHttp, method: str = "GET", path: str = "/ok", data: bytes | None = None
    ) -> tuple[int, bytes]:
        return http.exchange(method, path, data=data)

    def via_request(
        http: DeviceHttp, method: str = "GET", path: str = "/ok", data: bytes | None = None
    ) -> tuple[int, bytes]:
        response = http.request(method, path, data=data)
        return response.status_code, http.body(response)

    return via_exchange if request.param == "exchange" else via_request


def test_exchange_takes_the_fast_path(
    device: Callable[..., WebDevice], connect: Callable[..., DeviceHttp]
) -> None:
    http = connect(device(), auth=AuthMode.NONE, password=None)
    assert http._pool(http.url("/ok")) is not None


def test_digest_costs_one_round_trip_per_request_from_any_thread(
    device: Callable[..., WebDevice],
    connect: Callable[..., DeviceHttp],
    call: Callable[..., tuple[int, bytes]],
) -> None:
    camera = device()
    http = connect(camera, pool_size=8)
    assert call(http) == (200, b"ok GET ")
    assert camera.requests_served == 2  # challenged once
    requests, threads = 60, 8
    with ThreadPoolExecutor(threads) as pool:
        answers = list(pool.map(lambda _: call(http), range(requests - 1)))
    assert answers == [(200, b"ok GET ")] * (requests - 1)
    assert camera.requests_served == requests + 1
    assert camera.schemes == ["-"] + ["digest"] * requests


def test_a_forgotten_nonce_costs_one_extra_round_trip(
    device: Callable[..., WebDevice],
    connect: Callable[..., DeviceHttp],
    call: Callable[..., tuple[int, bytes]],
) -> None:
    camera = device()
    http = connect(camera)
    call(http)
    call(http)
    assert camera.requests_served == 3
    camera._nonces.clear()  # what a reboot does
    assert call(http) == (200, b"ok GET ")
    assert camera.requests_served == 5
    assert call(http) == (200, b"ok GET ")
    assert camera.requests_served == 6


def test_a_stale_nonce_is_answered_again(
    device: Callable[..., WebDevice],
    connect: Callable[..., DeviceHttp],
    call: Callable[..., tuple[int, bytes]],
) -> None:
    camera = device()
    http = connect(camera)
    call(http)
    camera.stale_answers = 2  # the nonce sent is stale, and so is the next one
    assert call(http) == (200, b"ok GET ")
    assert camera.requests_served == 2 + 3


@pytest.mark.parametrize("stale", [3, 50])
def test_a_device_that_says_stale_for_ever_is_not_asked_for_ever(
    stale: int,
    device: Callable[..., WebDevice],
    connect: Callable[..., DeviceHttp],
    call: Callable[..., tuple[int, bytes]],
) -> None:
    camera = device()
    http = connect(camera)
    camera.stale_answers = stale
    with pytest.raises(DeviceAuthError):
        call(http)
    assert camera.requests_served == 3


def test_a_wrong_password_is_refused_without_naming_it(
    device: Callable[..., WebDevice],
    connect: Callable[..., DeviceHttp],
    call: Callable[..., tuple[int, bytes]],
) -> None:
    camera = device()
    http = connect(camera, WRONG)
    with pytest.raises(DeviceAuthError) as raised:
        call(http)
    error = raised.value
    assert str(error) == f"127.0.0.1:{camera.port}: the device refused the credentials"
    for text in (str(error), repr(error), repr(http)):
        assert WRONG not in text
        assert PASSWORD not in text
    # Challenged, answered once, refused: no endless retries.
    assert camera.requests_served == 2


def test_basic_then_digest_when_the_device_asks_for_it(
    device: Callable[..., WebDevice],
    connect: Callable[..., DeviceHttp],
    call: Callable[..., tuple[int, bytes]],
) -> None:
    camera = device()
    http = connect(camera, auth=AuthMode.BASIC)
    for _ in range(3):
        assert call(http) == (200, b"ok GET ")
    assert camera.schemes == ["basic", "digest", "digest", "digest"]


def test_a_basic_only_device_works_with_basic(
    device: Callable[..., WebDevice],
    connect: Callable[..., DeviceHttp],
    call: Callable[..., tuple[int, bytes]],
) -> None:
    camera = device(http_auth="basic", basic_challenge=True)
    http = connect(camera, auth=AuthMode.BASIC)
    for _ in range(3):
        assert call(http) == (200, b"ok GET ")
    assert camera.schemes == ["basic"] * 3  # pre-emptive: no challenge at all
    refused = connect(camera, WRONG, auth=AuthMode.BASIC)
    with pytest.raises(DeviceAuthError) as raised:
        call(refused)
    assert WRONG not in str(raised.value)
    assert camera.requests_served == 4


def test_no_http_authentication_answers_401_as_a_status(
    device: Callable[..., WebDevice],
    connect: Callable[..., DeviceHttp],
    call: Callable[..., tuple[int, bytes]],
) -> None:
    camera = device()
    status, _ = call(connect(camera, None, auth=AuthMode.NONE))
    assert status == 401
    # With credentials, a Digest challenge switches even a NONE connection to Digest.
    assert call(connect(camera, auth=AuthMode.NONE)) == (200, b"ok GET ")


def test_status_and_body_whatever_the_status(
    device: Callable[..., WebDevice],
    connect: Callable[..., DeviceHttp],
    call: Callable[..., tuple[int, bytes]],
) -> None:
    http = connect(device())
    assert call(http, "GET", "/nowhere") == (404, b"no such page")
    assert call(http, "POST", "/ok", b"<x/>") == (200, b"ok POST <x/>")
    assert call(http, "PUT", "/ok", b"") == (200, b"ok PUT ")


@pytest.mark.parametrize(
    "case", [(DeviceState.DOWN, "cannot connect"), (DeviceState.HANG, "no answer within 0.5 s")]
)
def test_a_dead_device_is_unreachable(
    case: tuple[DeviceState, str],
    farm: DeviceFarm,
    device: Callable[..., WebDevice],
    connect: Callable[..., DeviceHttp],
    call: Callable[..., tuple[int, bytes]],
) -> None:
    state, message = case
    camera = device()
    http = connect(camera)
    call(http)
    farm.set_state(camera, state)
    with pytest.raises(DeviceUnreachableError) as raised:
        call(http)
    assert str(raised.value).startswith(f"127.0.0.1:{camera.port}: ")
    assert message in str(raised.value)
    assert PASSWORD not in str(raised.value)


# --- the Digest arithmetic, against RFC 7616 computed here --------------------------------------

_NAMES = {"MD5": "md5", "SHA-256": "sha256"}
_PART = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]+))')


def _parts(header: str) -> dict[str, str]:
    assert header.startswith("Digest ")
    return {m[1]: m[2] if m[2] is not None else m[3] for m in _PART.finditer(header[7:])}


def _h(algorithm: str, text: str) -> str:
    return hashlib.new(_NAMES[algorithm], text.encode()).hexdigest()


def _expected_response(  # noqa: PLR0913 - the inputs of RFC 7616's formula
    algorithm: str,
    *,
    username: str,
    password: str,
    realm: str,
    nonce: str,
    method: str,
    uri: str,
    sent: dict[str, str],
) -> str:
    base = algorithm.upper().removesuffix("-SESS")
    ha1 = _h(base, f"{username}:{realm}:{password}")
    if algorithm.upper().endswith("-SESS"):
        ha1 = _h(base, f"{ha1}:{nonce}:{sent['cnonce']}")
    ha2 = _h(base, f"{method}:{uri}")
    if "qop" in sent:
        return _h(base, f"{ha1}:{nonce}:{sent['nc']}:{sent['cnonce']}:{sent['qop']}:{ha2}")
    return _h(base, f"{ha1}:{nonce}:{ha2}")


_QUOTABLE = st.text(st.characters(codec="utf-8", exclude_characters='"\\'), max_size=20)
_TOKEN = st.text("abcdefABCDEF0123456789", min_size=1, max_size=32)


@given(
    algorithm=st.sampled_from(["MD5", "MD5-sess", "SHA-256", "SHA-256-sess", "sha-256"]),
    username=_QUOTABLE,
    password=st.text(max_size=30),
    realm=_QUOTABLE,
    nonce=_TOKEN,
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    uri=st.text("abcxyz019/?&=-._~%", max_size=40).map(lambda s: "/" + s),
    qop=st.sampled_from(['qop="auth"', 'qop="auth,auth-int"', "qop=auth", None]),
    opaque=st.none() | _TOKEN,
)
def test_digest_headers_match_rfc_7616(  # noqa: PLR0913 - one argument per drawn value
    *,
    algorithm: str,
    username: str,
    password: str,
    realm: str,
    nonce: str,
    method: str,
    uri: str,
    qop: str | None,
    opaque: str | None,
) -> None:
    # RFC 7616 has no -sess without qop (its cnonce travels only with a qop).
    assume(qop is not None or not algorithm.lower().endswith("-sess"))
    challenge = [f'realm="{realm}"', f'nonce="{nonce}"', f"algorithm={algorithm}"]
    challenge += [qop] if qop else []
    challenge += [f'opaque="{opaque}"'] if opaque is not None else []
    digest = _Digest(username, password)
    assert digest.header(method, uri) is None
    assert digest.learn("Digest " + ", ".join(challenge))
    assert digest.ready
    for count in (1, 2):
        header = digest.header(method, uri)
        assert header is not None
        sent = _parts(header)
        assert sent["username"] == username
        assert sent["realm"] == realm
        assert sent["nonce"] == nonce
        assert sent["uri"] == uri
        assert sent["algorithm"] == algorithm
        assert sent.get("opaque") == opaque
        if qop:
            assert sent["qop"] == "auth"
            assert sent["nc"] == f"{count:08x}"
            assert re.fullmatch(r"[0-9a-f]{16}", sent["cnonce"])
        else:
            assert "qop" not in sent
            assert "nc" not in sent
        expected = _expected_response(
            algorithm,
            username=username,
            password=password,
            realm=realm,
            nonce=nonce,
            method=method,
            uri=uri,
            sent=sent,
        )
        assert sent["response"] == expected
    # A new challenge starts the nonce count again.
    digest.learn(f'Digest realm="{realm}", nonce="{nonce}0", qop="auth"')
    again = digest.header(method, uri)
    assert again is not None
    assert _parts(again)["nc"] == "00000001"


def test_each_header_has_its_own_nonce_count_and_cnonce() -> None:
    digest = _Digest("admin", PASSWORD)
    digest.learn('Digest realm="r", nonce="n", qop="auth"')
    headers = [digest.header("GET", "/") for _ in range(3)]
    sent = [_parts(h) for h in headers if h is not None]
    assert [s["nc"] for s in sent] == ["00000001", "00000002", "00000003"]
    assert len({s["cnonce"] for s in sent}) == 3


@pytest.mark.parametrize(
    "header",
    [
        "",
        'Basic realm="camera"',
        'Digest realm="camera", qop="auth"',  # no nonce
        'Digest realm="camera", nonce="n", algorithm=SHA-512-256',
        'Digest realm="camera", nonce="n", algorithm=SHA-1',
    ],
)
def test_challenges_we_cannot_answer_are_not_learned(header: str) -> None:
    digest = _Digest("admin", PASSWORD)
    assert not digest.learn(header)
    assert not digest.ready


def test_challenge_values_may_hold_commas_and_spaces() -> None:
    header = (
        'Digest realm="Kamera, Pantai Losari", qop="auth,auth-int", '
        'nonce="a1b2, c3", opaque="x,y", algorithm=SHA-256, stale=TRUE'
    )
    assert _challenge(header) == {
        "realm": "Kamera, Pantai Losari",
        "qop": "auth,auth-int",
        "nonce": "a1b2, c3",
        "opaque": "x,y",
        "algorithm": "SHA-256",
        "stale": "TRUE",
    }


def test_challenge_is_found_after_other_schemes_and_in_any_case() -> None:
    assert _challenge('Basic realm="a, b", Digest realm="c", nonce="n"') == {
        "realm": "c",
        "nonce": "n",
    }
    assert _challenge('DIGEST Realm="c", NONCE="n"') == {"realm": "c", "nonce": "n"}
    assert _challenge('Basic realm="camera"') is None
    assert _challenge('Digest realm="camera"') is None


@given(
    st.dictionaries(
        st.sampled_from(["realm", "domain", "opaque", "qop", "charset", "userhash"]),
        st.text(st.characters(codec="utf-8", exclude_characters='"\\')),
        max_size=5,
    ),
    _TOKEN,
)
def test_challenge_reads_back_any_quoted_values(params: dict[str, str], nonce: str) -> None:
    quoted = [f'{name}="{value}"' for name, value in params.items()]
    header = "Digest " + ", ".join([*quoted, f'nonce="{nonce}"'])
    assert _challenge(header) == {**params, "nonce": nonce}


def test_a_connection_closed_before_the_answer_is_tried_once_more() -> None:
    # The race a poller meets with cameras that drop idle connections: the request goes out on
    # a kept-alive connection that the camera closes at that moment.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    accepted: list[int] = []

    def serve() -> None:
        for n in range(2):
            conn, _ = server.accept()
            accepted.append(n)
            conn.recv(65536)
            if n == 0:
                conn.close()  # read the request, answered nothing
                continue
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    http = DeviceHttp(Endpoint("127.0.0.1", port), timeouts=Timeouts(1, 1))
    try:
        assert http.exchange("GET", "/") == (200, b"ok")
    finally:
        http.close()
        server.close()
    thread.join(timeout=5)
    assert accepted == [0, 1]
