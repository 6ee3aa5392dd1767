"""Endless multipart event streams: an incremental parser, and a follower that reconnects.

Hikvision (``alertStream``) and Dahua (``eventManager.cgi?action=attach``) push events as an
HTTP answer that never ends: ``multipart/mixed`` or ``multipart/x-mixed-replace``, one part per
event. Firmware differs in the details, so the parser is forgiving:

- the boundary in the Content-Type header may or may not start with ``--`` (the delimiter lines
  are ``--`` plus the boundary without its own leading dashes; extra dashes at the start of a
  delimiter line are part of the delimiter);
- line breaks may be CRLF, LF, or missing around delimiters and before the body;
- Content-Length may be present (the part is complete as soon as its bytes are in, without
  waiting for the next delimiter) or absent (the part ends at the next delimiter, less one line
  break);
- a part may have no headers at all, and whitespace may surround delimiters and header values.

A Content-Length that is too short cuts the part, and what follows up to the next delimiter is
dropped; one that is too long swallows the next part. Both are what the device said.

Memory is bounded: a part (headers and body), or the junk before a delimiter, bigger than
``max_part`` bytes raises :class:`~smartcity_kit.errors.DeviceProtocolError`, which is the only
error the parser raises.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from types import MappingProxyType
from typing import Final

import attrs
import requests
import urllib3.exceptions

from smartcity_kit.errors import (
    DeviceAuthError,
    DeviceError,
    DeviceProtocolError,
    DeviceUnreachableError,
    ValidationError,
)
from smartcity_kit.security.adapters._base import Endpoint

__all__ = [
    "MAX_PART",
    "EventStreamPolicy",
    "MultipartParser",
    "Part",
    "follow_parts",
]

_log = logging.getLogger("smartcity_kit.security.adapters")

#: The biggest part accepted by default (event XML is a few hundred bytes; some firmware attach
#: a picture to line-crossing events).
MAX_PART: Final = 1024 * 1024
_MAX_BOUNDARY: Final = 200
_WHITESPACE: Final = b" \t\r\n"
_HEADER_LINE: Final = re.compile(rb"^[ \t]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*:[ \t]*(.*?)[ \t]*$")
_READ_SIZE: Final = 65536


def _frozen(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


@attrs.frozen
class Part:
    """One part of a multipart stream.

    Attributes:
        headers: The part's headers, names in lower case (empty when the part had none).
        body: The part's body.
    """

    headers: Mapping[str, str] = attrs.field(converter=_frozen)
    body: bytes

    @property
    def content_type(self) -> str:
        """The media type in lower case without parameters (``application/xml``), or ``""``."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def text(self) -> str:
        """The body as text (the charset the part names, else UTF-8; bad bytes replaced)."""
        charset = "utf-8"
        for param in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset":
                charset = value.strip().strip('"') or charset
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


class _State(enum.Enum):
    SEEK = "seek"  # looking for a delimiter, dropping what comes before it
    AFTER_DELIMITER = "after_delimiter"  # a closing "--", then whitespace
    HEADERS = "headers"
    BODY = "body"  # no Content-Length: up to the next delimiter
    COUNTED = "counted"  # Content-Length bytes


class MultipartParser:
    r"""Splits a multipart byte stream into parts, fed in chunks split anywhere.

    >>> parser = MultipartParser("myboundary")
    >>> parser.feed(b"--myboundary\r\nContent-Type: text/plain\r\n\r\nHeartbeat\r\n--my")
    []
    >>> parser.feed(b"boundary\r\n")
    [Part(headers=mappingproxy({'content-type': 'text/plain'}), body=b'Heartbeat')]

    A part without Content-Length ends at the next delimiter; with one, as soon as its bytes
    are in. However the same stream is split into chunks, the parts are the same.

    Args:
        boundary: The boundary from the Content-Type header (with or without leading ``--``).
        max_part: The biggest part (headers and body), and the most junk before a delimiter,
            accepted, in bytes.

    Raises:
        DeviceProtocolError: The boundary is empty or unreasonable.
    """

    def __init__(self, boundary: str, *, max_part: int = MAX_PART) -> None:
        token = boundary.strip().strip('"').strip().lstrip("-")
        if not token or len(token) > _MAX_BOUNDARY or any(c in token for c in "\r\n"):
            raise DeviceProtocolError("the multipart boundary is empty or malformed")
        try:
            self._delimiter = b"--" + token.encode("latin-1")
        except UnicodeEncodeError:
            raise DeviceProtocolError("the multipart boundary is not plain text") from None
        self.boundary = token
        self.max_part = max_part
        self._buffer = bytearray()
        self._state = _State.SEEK
        self._skipped = 0  # junk dropped while seeking a delimiter
        self._part_size = 0  # header bytes of the current part
        self._headers: dict[str, str] = {}
        self._remaining = 0  # body bytes still due (COUNTED)
        self._scan = 0  # where to resume looking for a delimiter (BODY)
        self._closing_checked = False  # after a delimiter: "--" looked for (AFTER_DELIMITER)

    @classmethod
    def for_content_type(
        cls, content_type: str, *, default_boundary: str | None = None, max_part: int = MAX_PART
    ) -> MultipartParser:
        """A parser for an answer with this Content-Type (``multipart/...; boundary=...``).

        Args:
            content_type: The answer's Content-Type header.
            default_boundary: The boundary to use when the header names none (firmware that
                forgets it), else a missing boundary is an error.
            max_part: As for the constructor.

        Raises:
            DeviceProtocolError: Not a multipart type, or no usable boundary.
        """
        media, *params = content_type.split(";")
        if not media.strip().lower().startswith("multipart/"):
            raise DeviceProtocolError("the answer is not a multipart stream")
        boundary = default_boundary
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "boundary" and value.strip().strip('"').strip():
                boundary = value
        if boundary is None:
            raise DeviceProtocolError("the multipart stream names no boundary")
        return cls(boundary, max_part=max_part)

    def feed(self, data: bytes) -> list[Part]:
        """Add bytes; answer the parts they completed (often none, sometimes several).

        Raises:
            DeviceProtocolError: A part, or the junk before a delimiter, is bigger than
                ``max_part``. The parser is then unusable.
        """
        self._buffer += data
        parts: list[Part] = []
        while True:
            part, progressed = self._step()
            if part is not None:
                parts.append(part)
            if not progressed:
                return parts

    # --- the state machine: each step consumes what it can decide on ---------------------

    def _step(self) -> tuple[Part | None, bool]:
        if self._state is _State.SEEK:
            return None, self._seek()
        if self._state is _State.AFTER_DELIMITER:
            return None, self._after_delimiter()
        if self._state is _State.HEADERS:
            return None, self._header_line()
        if self._state is _State.COUNTED:
            return self._counted()
        return self._body()

    def _definite(self) -> int:
        """How many buffered bytes lie before any delimiter that may start in the buffer."""
        return max(0, len(self._buffer) - len(self._delimiter) + 1)

    def _too_big(self, size: int, what: str) -> None:
        if size > self.max_part:
            raise DeviceProtocolError(f"{what} bigger than {self.max_part} bytes")

    def _seek(self) -> bool:
        found = self._buffer.find(self._delimiter)
        if found < 0:
            drop = self._definite()
            self._too_big(self._skipped + drop, "data before a multipart boundary")
            self._skipped += drop
            del self._buffer[:drop]
            return False
        self._too_big(self._skipped + found, "data before a multipart boundary")
        del self._buffer[: found + len(self._delimiter)]
        self._skipped = 0
        self._state = _State.AFTER_DELIMITER
        self._closing_checked = False
        return True

    def _after_delimiter(self) -> bool:
        buffer = self._buffer
        if not self._closing_checked:
            # "--boundary--" closes the stream in RFC 2046; some firmware sends it between
            # parts, so it is read as any other delimiter.
            head = bytes(buffer[:2])
            if head in (b"", b"-"):
                return False
            if head == b"--":
                del buffer[:2]
            self._closing_checked = True
        index = 0
        while index < len(buffer) and buffer[index] in _WHITESPACE:
            index += 1
        del buffer[:index]
        if not buffer:
            return False
        self._state = _State.HEADERS
        self._headers = {}
        self._part_size = 0
        return True

    def _header_line(self) -> bool:
        buffer = self._buffer
        newline = buffer.find(b"\n")
        delimiter = buffer.find(self._delimiter)
        if delimiter >= 0 and (newline < 0 or delimiter < newline):
            # A delimiter before the end of the line: that text is a body without headers.
            self._too_big(self._part_size + delimiter, "multipart part")
            self._start_body()
            return True
        if newline < 0:
            self._too_big(self._part_size + self._definite(), "multipart part")
            return False
        self._too_big(self._part_size + newline, "multipart part")
        line = bytes(buffer[:newline]).rstrip(b"\r")
        if not line.strip():
            del buffer[: newline + 1]
            self._part_size += newline + 1
            self._start_body()
            return True
        match = _HEADER_LINE.match(line)
        if match is None:
            # Not a header: the body starts here (no blank line, or no headers at all).
            self._start_body()
            return True
        name, value = match.groups()
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")
        del buffer[: newline + 1]
        self._part_size += newline + 1
        return True

    def _start_body(self) -> None:
        length = self._headers.get("content-length", "").strip()
        if length.isdigit() and length.isascii():
            self._remaining = int(length)
            self._too_big(self._part_size + self._remaining, "multipart part")
            self._state = _State.COUNTED
        else:
            self._state = _State.BODY
            self._scan = 0

    def _counted(self) -> tuple[Part | None, bool]:
        if len(self._buffer) < self._remaining:
            return None, False
        body = bytes(self._buffer[: self._remaining])
        del self._buffer[: self._remaining]
        self._state = _State.SEEK
        return Part(self._headers, body), True

    def _body(self) -> tuple[Part | None, bool]:
        buffer = self._buffer
        found = buffer.find(self._delimiter, self._scan)
        if found < 0:
            self._too_big(self._part_size + self._definite(), "multipart part")
            self._scan = self._definite()
            return None, False
        self._too_big(self._part_size + found, "multipart part")
        end = found
        while end > 0 and buffer[end - 1] == ord("-"):
            end -= 1
        if end > 0 and buffer[end - 1] != ord("\n"):
            end = found  # dashes in the text itself, not the start of the delimiter line
        body = bytes(buffer[:end])
        if body.endswith(b"\r\n"):
            body = body[:-2]
        elif body.endswith(b"\n"):
            body = body[:-1]
        del buffer[: found + len(self._delimiter)]
        self._state = _State.AFTER_DELIMITER
        self._closing_checked = False
        if not body and not self._headers:
            return None, True
        return Part(self._headers, body), True


@attrs.frozen
class EventStreamPolicy:
    """How an adapter follows a device's endless event stream, and when it gives up.

    A stream that ends after it delivered something (NVRs drop theirs every 40 seconds or so),
    or that stays silent for ``idle_timeout``, is reopened at once. A stream that cannot be
    opened, or ends before delivering anything, is retried after ``first_delay`` seconds,
    doubling up to ``max_delay``; after ``give_up_after`` seconds of such failures in a row,
    the adapter raises the last error. The very first attempt is not retried: an adapter that
    cannot open the stream at all raises at once.

    Attributes:
        idle_timeout: Seconds without a byte before the stream is reopened (keep it above the
            device's heartbeat interval).
        first_delay: Seconds before the first retry after a failure.
        max_delay: The longest wait between retries.
        give_up_after: Seconds of failures in a row before giving up.
        max_part: The biggest part (event) accepted, in bytes.
    """

    idle_timeout: float = attrs.field(default=30.0)
    first_delay: float = attrs.field(default=0.5)
    max_delay: float = attrs.field(default=30.0)
    give_up_after: float = attrs.field(default=120.0)
    max_part: int = attrs.field(default=MAX_PART)

    def __attrs_post_init__(self) -> None:
        for name in ("idle_timeout", "first_delay", "max_delay", "give_up_after", "max_part"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValidationError.single(name, "must be a positive number")


def follow_parts(
    open_stream: Callable[[], requests.Response],
    *,
    endpoint: Endpoint,
    policy: EventStreamPolicy,
    stop: threading.Event | None,
    default_boundary: str,
) -> Iterator[Part]:
    """Parts of a device's event stream as they come, reopening it as ``policy`` says.

    Args:
        open_stream: Sends the request and answers a streamed 200 response; raises a
            :class:`~smartcity_kit.errors.DeviceError` for anything else.
        endpoint: The device, for messages.
        policy: Timeouts, retries and limits.
        stop: Ends the iteration when set (checked between chunks and during waits).
        default_boundary: The vendor's usual boundary, for firmware whose header names none.

    Raises:
        DeviceAuthError: The device refused the credentials (at once, at any time).
        DeviceError: The first attempt failed, or failures went on for ``give_up_after``.
    """
    stop = stop or threading.Event()
    first = True
    failing_since: float | None = None
    delay = policy.first_delay
    while not stop.is_set():
        delivered = False
        try:
            response, parser = _open(open_stream, endpoint, policy, default_boundary)
            first = False
            delivered = yield from _read_parts(response, parser, endpoint, stop)
            error: DeviceError = DeviceUnreachableError(
                f"{endpoint}: the event stream closed before sending anything"
            )
        except DeviceAuthError:
            raise
        except DeviceError as e:
            if first:
                raise
            error = e
        if stop.is_set():
            return
        if delivered:
            failing_since, delay = None, policy.first_delay
            _log.debug("%s: event stream ended; reopening it", endpoint)
            continue
        now = time.monotonic()
        if failing_since is None:
            failing_since = now
        elif now - failing_since >= policy.give_up_after:
            raise error
        _log.info("%s: event stream failed (%s); retrying in %g s", endpoint, error, delay)
        if stop.wait(delay):
            return
        delay = min(delay * 2, policy.max_delay)


def _open(
    open_stream: Callable[[], requests.Response],
    endpoint: Endpoint,
    policy: EventStreamPolicy,
    default_boundary: str,
) -> tuple[requests.Response, MultipartParser]:
    response = open_stream()
    try:
        parser = MultipartParser.for_content_type(
            response.headers.get("Content-Type", ""),
            default_boundary=default_boundary,
            max_part=policy.max_part,
        )
    except DeviceProtocolError as e:
        response.close()
        raise DeviceProtocolError(f"{endpoint}: event stream: {e}") from None
    return response, parser


def _read_parts(
    response: requests.Response, parser: MultipartParser, endpoint: Endpoint, stop: threading.Event
) -> Generator[Part, None, bool]:
    """Parts until the stream ends; answers whether it was healthy (delivered, or only idle)."""
    delivered = False
    try:
        while not stop.is_set():
            try:
                chunk = response.raw.read1(_READ_SIZE)
            except urllib3.exceptions.ReadTimeoutError:
                return True  # connected but silent: reopen, as after a drop
            except (urllib3.exceptions.HTTPError, OSError):
                return delivered
            if not chunk:
                return delivered
            try:
                parts = parser.feed(chunk)
            except DeviceProtocolError as e:
                raise DeviceProtocolError(f"{endpoint}: event stream: {e}") from None
            for part in parts:
                delivered = True
                yield part
                if stop.is_set():
                    return True
        return True
    finally:
        response.close()
