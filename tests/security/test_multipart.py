from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

import pytest
import requests
import urllib3.exceptions
from hypothesis import assume, given
from hypothesis import strategies as st

from smartcity_kit.errors import (
    DeviceAuthError,
    DeviceError,
    DeviceProtocolError,
    DeviceUnreachableError,
    ValidationError,
)
from smartcity_kit.security.adapters import Endpoint
from smartcity_kit.security.adapters._multipart import (
    EventStreamPolicy,
    MultipartParser,
    Part,
    follow_parts,
)

# --- helpers ----------------------------------------------------------------------------------


def feed_all(parser: MultipartParser, chunks: list[bytes]) -> list[Part]:
    parts: list[Part] = []
    for chunk in chunks:
        parts += parser.feed(chunk)
    return parts


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    chunks, start = [], 0
    for point in [*points, len(data)]:
        chunks.append(data[start:point])
        start = point
    return chunks


def parts_or_error(boundary: str, chunks: list[bytes], max_part: int) -> list[Part] | str:
    parser = MultipartParser(boundary, max_part=max_part)
    try:
        return feed_all(parser, chunks)
    except DeviceProtocolError:
        return "error"


# --- strategies -------------------------------------------------------------------------------

boundaries = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
    min_size=1,
    max_size=20,
)
header_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12).filter(
    lambda n: n.strip("-") and n != "content-length"
)
header_values = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=0, max_size=30
)


@st.composite
def streams(draw: st.DrawFn) -> tuple[str, bytes, list[Part]]:
    """A boundary (as a header may say it), a stream in some firmware's style, its parts."""
    token = draw(boundaries)
    header_boundary = draw(st.sampled_from([token, "--" + token, f'"{token}"']))
    newline = draw(st.sampled_from([b"\r\n", b"\n"]))
    delimiter = b"--" + token.encode()
    stream = bytearray(draw(st.sampled_from([b"", b"preamble text\r\n", newline])))
    expected: list[Part] = []
    for _ in range(draw(st.integers(0, 5))):
        names = draw(st.lists(header_names, min_size=1, max_size=3, unique=True))
        headers = {name: draw(header_values) for name in names}
        counted = draw(st.booleans())
        body = draw(st.binary(max_size=80))
        if not counted:
            assume(delimiter not in body + newline + delimiter[:-1])
            # One line break before a delimiter is the delimiter's: "\r" + "\n" reads as CRLF.
            assume(not (newline == b"\n" and body.endswith(b"\r")))
        else:
            headers["content-length"] = str(len(body))
        extra = draw(st.sampled_from([b"", b"--"])) if not counted else b""
        stream += extra + delimiter + draw(st.sampled_from([b"", b"  "])) + newline
        for name, value in headers.items():
            stream += name.encode() + b": " + value.encode() + newline
        stream += newline + body
        stream += newline if not counted else draw(st.sampled_from([b"", newline]))
        expected.append(Part(headers, body))
    stream += delimiter + b"--" + newline
    return header_boundary, bytes(stream), expected


# --- properties -------------------------------------------------------------------------------


@given(streams())
def test_a_stream_gives_back_its_parts(case: tuple[str, bytes, list[Part]]) -> None:
    boundary, stream, expected = case
    assert MultipartParser(boundary).feed(stream) == expected


@given(streams(), st.lists(st.integers(min_value=0), max_size=30))
def test_any_split_gives_the_same_parts(
    case: tuple[str, bytes, list[Part]], cuts: list[int]
) -> None:
    boundary, stream, expected = case
    assert parts_or_error(boundary, split(stream, cuts), 10_000) == expected
    assert parts_or_error(boundary, [bytes([b]) for b in stream], 10_000) == expected


@given(
    st.lists(
        st.one_of(
            st.binary(max_size=40),
            st.sampled_from(
                [
                    b"--b",
                    b"--b--",
                    b"\r\n",
                    b"\n",
                    b"Content-Length: 3",
                    b"Content-Length: 99",
                    b": x",
                    b"-",
                    b"X-A: b\r\n\r\n",
                    b"\r\n\r\n",
                ]
            ),
        ),
        max_size=30,
    ),
    st.lists(st.integers(min_value=0), max_size=20),
    st.integers(min_value=1, max_value=64),
)
def test_any_split_of_any_bytes_parses_alike(
    pieces: list[bytes], cuts: list[int], max_part: int
) -> None:
    stream = b"".join(pieces)
    whole = parts_or_error("b", [stream], max_part)
    assert parts_or_error("b", split(stream, cuts), max_part) == whole
    assert parts_or_error("b", [bytes([b]) for b in stream], max_part) == whole


@given(st.binary(max_size=2000), st.text(max_size=60))
def test_random_input_raises_only_protocol_errors(data: bytes, content_type: str) -> None:
    with contextlib.suppress(DeviceProtocolError):
        MultipartParser(content_type or "x", max_part=256).feed(data)
    with contextlib.suppress(DeviceProtocolError):
        MultipartParser.for_content_type(content_type, default_boundary="x").feed(data)


# --- firmware variants ------------------------------------------------------------------------


HIKVISION = (
    b"--boundary\r\n"
    b'Content-Type: application/xml; charset="UTF-8"\r\n'
    b"Content-Length: 25\r\n\r\n"
    b"<EventNotificationAlert/>\r\n"
    b"--boundary\r\n"
    b"Content-Type: image/jpeg\r\nContent-Length: 4\r\n\r\n\xff\xd8\xff\xd9\r\n"
)


def test_hikvision_style_parts_are_complete_without_the_next_delimiter() -> None:
    parser = MultipartParser.for_content_type("multipart/mixed; boundary=boundary")
    parts = parser.feed(HIKVISION)
    assert [p.content_type for p in parts] == ["application/xml", "image/jpeg"]
    assert parts[0].body == b"<EventNotificationAlert/>"
    assert parts[1].body == b"\xff\xd8\xff\xd9"


def test_dahua_style_text_parts() -> None:
    parser = MultipartParser.for_content_type("multipart/x-mixed-replace; boundary=myboundary")
    stream = (
        b"--myboundary\r\nContent-Type: text/plain\r\nContent-Length: 39\r\n\r\n"
        b"Code=VideoMotion;action=Start;index=0\r\n"
        b"--myboundary\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nHeartbeat\r\n"
    )
    parts = parser.feed(stream)
    assert [p.text().strip() for p in parts] == [
        "Code=VideoMotion;action=Start;index=0",
        "Heartbeat",
    ]


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/mixed; boundary=--frontier",
        'multipart/mixed; boundary="frontier"',
        "multipart/x-mixed-replace;boundary = frontier ",
        "Multipart/Mixed; charset=utf-8; BOUNDARY=frontier",
    ],
)
def test_boundary_header_variants(content_type: str) -> None:
    parser = MultipartParser.for_content_type(content_type)
    assert parser.boundary == "frontier"
    assert parser.feed(b"--frontier\r\n\r\nhello\r\n--frontier") == [Part({}, b"hello")]


def test_rfc_delimiter_for_a_boundary_that_starts_with_dashes() -> None:
    # The header says "--frontier": RFC 2046 delimiters are then "----frontier".
    parser = MultipartParser.for_content_type("multipart/mixed; boundary=--frontier")
    parts = parser.feed(b"----frontier\r\nA: 1\r\n\r\none\r\n----frontier\r\nA: 2\r\n\r\ntwo\r\n--")
    assert parts == [Part({"a": "1"}, b"one")]
    assert parser.feed(b"--frontier\r\n") == [Part({"a": "2"}, b"two")]


def test_missing_boundary_uses_the_vendor_default_or_fails() -> None:
    parser = MultipartParser.for_content_type("multipart/mixed", default_boundary="boundary")
    assert parser.boundary == "boundary"
    with pytest.raises(DeviceProtocolError, match="no boundary"):
        MultipartParser.for_content_type("multipart/mixed")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml; boundary=x", "", "multipart/mixed; boundary="]
)
def test_not_a_usable_multipart_type(content_type: str) -> None:
    with pytest.raises(DeviceProtocolError):
        MultipartParser.for_content_type(content_type)


def test_parts_without_headers_and_without_line_breaks() -> None:
    parser = MultipartParser("b")
    stream = b"--b\r\nHeartbeat\r\n--bCode=VideoLoss;action=Stop--b\n\nplain\n--b"
    assert parser.feed(stream) == [
        Part({}, b"Heartbeat"),
        Part({}, b"Code=VideoLoss;action=Stop"),
        Part({}, b"plain"),
    ]


def test_headers_without_a_blank_line_and_with_extra_whitespace() -> None:
    parser = MultipartParser("b")
    stream = b"  --b  \r\n\r\n  Content-Type :  text/plain  \r\nCode=X;action=Start\r\n--b"
    assert parser.feed(stream) == [Part({"content-type": "text/plain"}, b"Code=X;action=Start")]


def test_closing_delimiter_between_parts_does_not_end_the_stream() -> None:
    parser = MultipartParser("b")
    assert parser.feed(b"--b\r\nA: 1\r\n\r\none\r\n--b--\r\n--b\r\nA: 2\r\n\r\ntwo\r\n--b") == [
        Part({"a": "1"}, b"one"),
        Part({"a": "2"}, b"two"),
    ]


def test_a_short_content_length_cuts_the_part_and_drops_the_rest() -> None:
    parser = MultipartParser("b")
    stream = b"--b\r\nContent-Length: 3\r\n\r\nabcdef\r\n--b\r\nContent-Length: 1\r\n\r\nz"
    assert [p.body for p in parser.feed(stream)] == [b"abc", b"z"]


def test_empty_parts_are_skipped() -> None:
    parser = MultipartParser("b")
    assert parser.feed(b"--b\r\n\r\n--b\r\n--b\r\nA: 1\r\n\r\n\r\n--b") == [Part({"a": "1"}, b"")]


def test_part_text_uses_its_charset() -> None:
    part = Part({"content-type": "text/plain; charset=latin-1"}, "café".encode("latin-1"))
    assert part.text() == "café"
    assert Part({"content-type": "text/plain; charset=nonsense"}, b"ok").text() == "ok"
    assert Part({}, b"\xff").text() == "\ufffd"
    assert Part({}, b"").content_type == ""


# --- bounded memory ---------------------------------------------------------------------------


def test_a_part_bigger_than_the_limit_fails() -> None:
    parser = MultipartParser("b", max_part=100)
    with pytest.raises(DeviceProtocolError, match="bigger than 100 bytes"):
        parser.feed(b"--b\r\n\r\n" + b"x" * 200)


def test_a_content_length_bigger_than_the_limit_fails_at_once() -> None:
    parser = MultipartParser("b", max_part=100)
    with pytest.raises(DeviceProtocolError, match="bigger than"):
        parser.feed(b"--b\r\nContent-Length: 1000\r\n\r\n")


def test_endless_headers_fail() -> None:
    parser = MultipartParser("b", max_part=100)
    parser.feed(b"--b\r\n")
    with pytest.raises(DeviceProtocolError):
        for _ in range(20):
            parser.feed(b"X-Header: value\r\n")


def test_endless_junk_without_a_boundary_fails_and_stays_small() -> None:
    parser = MultipartParser("boundary", max_part=1000)
    for _ in range(9):
        parser.feed(b"j" * 100)
    assert len(parser._buffer) < len("--boundary")
    with pytest.raises(DeviceProtocolError, match="before a multipart boundary"):
        parser.feed(b"j" * 200)


@pytest.mark.parametrize("boundary", ["", "--", "   ", "a\r\nb", "x" * 201, "bé€"])
def test_bad_boundaries(boundary: str) -> None:
    with pytest.raises(DeviceProtocolError):
        MultipartParser(boundary)


# --- policy -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["idle_timeout", "first_delay", "max_delay", "give_up_after", "max_part"]
)
def test_policy_numbers_must_be_positive(field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        EventStreamPolicy(**{field: 0})
    assert caught.value.fields == (field,)


# --- following a stream -----------------------------------------------------------------------


class FakeRaw:
    """What requests' Response.raw offers to the follower: read1() and close()."""

    def __init__(self, chunks: list[bytes | Exception]) -> None:
        self.chunks = chunks
        self.closed = False

    def read1(self, _size: int) -> bytes:
        if not self.chunks:
            return b""
        chunk = self.chunks.pop(0)
        if isinstance(chunk, Exception):
            raise chunk
        return chunk

    def close(self) -> None:
        self.closed = True


def fake_response(
    chunks: list[bytes | Exception], content_type: str = "multipart/mixed; boundary=b"
) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.headers["Content-Type"] = content_type
    response.raw = FakeRaw(chunks)
    return response


def part(text: str) -> bytes:
    return b"--b\r\nContent-Length: %d\r\n\r\n%s\r\n" % (len(text), text.encode())


ENDPOINT = Endpoint("192.0.2.7", 8080)
QUICK = EventStreamPolicy(first_delay=0.01, max_delay=0.02, give_up_after=0.2)


def opener(
    *answers: requests.Response | DeviceError,
) -> tuple[Callable[[], requests.Response], list[int]]:
    queue = list(answers)
    calls = [0]

    def open_stream() -> requests.Response:
        calls[0] += 1
        answer = queue.pop(0) if queue else DeviceUnreachableError("192.0.2.7:8080: gone")
        if isinstance(answer, DeviceError):
            raise answer
        return answer

    return open_stream, calls


def bodies(open_stream: Callable[[], requests.Response]) -> list[bytes]:
    """The bodies received until the follower gives up."""
    stream = follow_parts(
        open_stream, endpoint=ENDPOINT, policy=QUICK, stop=None, default_boundary="b"
    )
    received: list[bytes] = []
    with contextlib.suppress(DeviceUnreachableError):
        received.extend(p.body for p in stream)
    return received


def test_the_first_attempt_is_not_retried() -> None:
    open_stream, calls = opener(DeviceUnreachableError("192.0.2.7:8080: cannot connect"))
    with pytest.raises(DeviceUnreachableError, match="cannot connect"):
        next(
            follow_parts(
                open_stream, endpoint=ENDPOINT, policy=QUICK, stop=None, default_boundary="b"
            )
        )
    assert calls == [1]


def test_a_stream_that_is_not_multipart_fails_at_once() -> None:
    response = fake_response([], content_type="text/html")
    open_stream, _ = opener(response)
    with pytest.raises(
        DeviceProtocolError, match=r"192\.0\.2\.7:8080: event stream: the answer is not a multipart"
    ):
        next(
            follow_parts(
                open_stream, endpoint=ENDPOINT, policy=QUICK, stop=None, default_boundary="b"
            )
        )
    assert response.raw.closed


def test_drops_and_silences_are_reopened_at_once() -> None:
    silent = urllib3.exceptions.ReadTimeoutError(None, "/", "read timed out")  # type: ignore[arg-type]
    reset = urllib3.exceptions.ProtocolError("connection reset")
    open_stream, calls = opener(
        fake_response([part("one")]),  # ends after a part: a drop (NVR)
        fake_response([silent]),  # nothing for idle_timeout
        fake_response([part("two"), reset]),
        fake_response([part("three"), OSError("broken pipe")]),
    )
    assert bodies(open_stream) == [b"one", b"two", b"three"]
    assert calls[0] >= 5  # then failures until give_up_after


def test_garbage_mid_stream_is_retried_then_given_up() -> None:
    garbage = part("x" * 100)
    policy = EventStreamPolicy(first_delay=0.01, give_up_after=0.1, max_part=50)
    open_stream, calls = opener(*(fake_response([garbage]) for _ in range(100)))
    with pytest.raises(
        DeviceProtocolError, match=r"192\.0\.2\.7:8080: event stream: multipart part bigger"
    ):
        list(
            follow_parts(
                open_stream, endpoint=ENDPOINT, policy=policy, stop=None, default_boundary="b"
            )
        )
    assert 3 <= calls[0] < 100


def test_auth_failure_later_raises_at_once() -> None:
    open_stream, calls = opener(
        fake_response([part("one")]), DeviceAuthError("192.0.2.7:8080: refused")
    )
    with pytest.raises(DeviceAuthError):
        list(
            follow_parts(
                open_stream, endpoint=ENDPOINT, policy=QUICK, stop=None, default_boundary="b"
            )
        )
    assert calls == [2]


def test_stop_ends_a_retry_wait() -> None:
    stop = threading.Event()
    slow = EventStreamPolicy(first_delay=30.0, give_up_after=60.0)
    open_stream, _ = opener(fake_response([part("one")]))
    stream = follow_parts(
        open_stream, endpoint=ENDPOINT, policy=slow, stop=stop, default_boundary="b"
    )
    assert next(stream).body == b"one"
    threading.Timer(0.1, stop.set).start()
    started = time.monotonic()
    assert list(stream) == []
    assert time.monotonic() - started < 5
