"""The access log: one JSON line per request, without personal data or keys.

A line holds the time (UTC), method, path, the *names* of the query parameters (never their
values: Open311 clients send ``api_key`` there, and searches may hold a phone number), status,
response size, duration, the client's network (an IPv4 address with its last byte zeroed, an
IPv6 address cut to its /48), whether a key was sent (never the key), and the user agent (cut to
200 characters). What a client may put anywhere is treated as possibly personal: in the path and
the user agent, runs of 10 digits or more (a phone number, a NIK) and e-mail addresses are
replaced by ``*``, and a parameter name that is not a plain name is logged as ``?``.

Where the lines go: :class:`AppConfig.access_log <smartcity_kit.web.AppConfig>` takes a function
that receives each line (``smartcity-kit serve`` gives one that writes them to standard error in
batches, :class:`LineWriter`); without one, they go to the ``smartcity_kit.web.access`` logger at
INFO, if anyone listens there.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import json
import logging
import re
import threading
from collections.abc import Callable
from typing import IO, Final
from urllib.parse import unquote_plus

from flask import Request, Response
from werkzeug.exceptions import HTTPException

__all__ = ["ACCESS_LOGGER", "LineWriter", "access_line", "client_network"]

#: The logger that gets the lines when the app has no ``access_log`` function.
ACCESS_LOGGER: Final = "smartcity_kit.web.access"
_MAX_AGENT: Final = 200
_MAX_PATH: Final = 500
_MAX_NAMES: Final = 50
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.\[\]-]{0,63}")
_PERSONAL: Final = re.compile(r"\d{10,}|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGITS: Final = re.compile(r"\d{10,}")
_quote: Final = json.encoder.encode_basestring
_log = logging.getLogger(ACCESS_LOGGER)


@functools.lru_cache(maxsize=4096)
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


def _names(query: str) -> list[str]:
    names = set()
    for part in query.split("&", _MAX_NAMES)[:_MAX_NAMES]:
        if part:
            name = part.partition("=")[0]
            if "%" in name or "+" in name:
                name = unquote_plus(name)
            names.add(name if _NAME.fullmatch(name) else "?")
    return sorted(names)


def _key_in_form(request: Request) -> bool:
    try:
        return "api_key" in request.form  # parsed already by the view, or now
    except HTTPException:  # a body too large, or broken: the answer says so
        return False


def access_line(request: Request, response: Response, seconds: float, at: dt.datetime) -> str:
    """The access log's line for one request (see the module's description)."""
    return _line(_fields(request, response, seconds, at))


#: What the line is made of, taken while the request is at hand: time, method, path, query
#: string, status, size, seconds, client address, whether a header or the form held a key, and
#: the user agent. Raw: :func:`_line` leaves out or blanks what must not be logged.
_Fields = tuple[dt.datetime, str, str, str, int, int | None, float, str | None, bool, str]


def _fields(request: Request, response: Response, seconds: float, at: dt.datetime) -> _Fields:
    env = request.environ
    key = bool(
        env.get("HTTP_X_API_KEY")
        or env.get("HTTP_AUTHORIZATION")
        or (
            env.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")
            and _key_in_form(request)
        )
    )
    return (
        at,
        request.method,
        request.path,
        env.get("QUERY_STRING", ""),
        response.status_code,
        response.calculate_content_length(),
        seconds,
        env.get("REMOTE_ADDR"),
        key,
        env.get("HTTP_USER_AGENT", ""),
    )


def _line(fields: _Fields) -> str:
    """The line of :func:`access_line` from what was taken of the request."""
    at, method, path, query, status, size, seconds, address, key, agent = fields
    names = _names(query) if query else []
    if at.tzinfo is not dt.UTC:
        at = at.astimezone(dt.UTC)
    client = client_network(address)
    # Written out rather than through json.dumps (a line per request: this is the cheaper way);
    # every text goes through the JSON encoder's own quoting, as json.dumps would do it.
    return (
        f'{{"at":"{at.isoformat(timespec="milliseconds")[:23]}Z"'
        f',"method":{_quote(method)}'
        f',"path":{_quote(_blanked(path[:_MAX_PATH]))}'
        f',"query":[{",".join(map(_quote, names))}]'
        f',"status":{int(status)}'
        f',"bytes":{"null" if size is None else int(size)}'
        f',"ms":{round(seconds * 1000, 1)!r}'
        f',"client":{"null" if client is None else _quote(client)}'
        f',"key":{"true" if key or "api_key" in names else "false"}'
        f',"agent":{_quote(_blanked(agent[:_MAX_AGENT]))}}}'
    )


def _blanked(text: str) -> str:
    """``text`` with what may be personal (long runs of digits, e-mail addresses) as ``*``."""
    if "@" in text:
        return _PERSONAL.sub("*", text)
    return _DIGITS.sub("*", text)  # the same, faster, where no e-mail address can be


def _made(fields: _Fields) -> str:
    """The line of ``fields``, in the writer's thread: an error there must not stop the writing."""
    try:
        return _line(fields)
    except Exception:  # noqa: BLE001 - a bug; the line says so rather than lose the others
        return '{"error":"this request\'s access-log line could not be made"}'


def log_access(
    request: Request,
    response: Response,
    seconds: float,
    at: dt.datetime,
    write: Callable[[str], None] | None,
) -> None:
    """Hand the request's line to ``write``, or to the access logger if anyone listens.

    A :class:`LineWriter` is handed what the line is made of, and makes the line in its own
    thread, with the others of its batch: the request's thread only takes the fields.
    """
    if type(write) is LineWriter:  # not a subclass: its own __call__ would be passed by
        write.take(_fields(request, response, seconds, at))
    elif write is not None:
        write(access_line(request, response, seconds, at))
    elif _log.isEnabledFor(logging.INFO):
        _log.info(access_line(request, response, seconds, at))


class LineWriter:
    """Writes lines to a stream in batches, from a thread of its own.

    Taking a line costs the caller an append; every ``interval`` seconds the thread writes what
    came with one ``write`` and one ``flush``, so that a busy server does not pay a system call
    per request. What is queued when the process exits is written by :meth:`close`.

    Args:
        stream: Where the lines go (``sys.stderr``).
        interval: Seconds between writes.
    """

    def __init__(self, stream: IO[str], interval: float = 0.2) -> None:
        self._stream = stream
        self._interval = interval
        self._lines: list[str | _Fields] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="access-log", daemon=True)
        self._thread.start()

    def __call__(self, line: str) -> None:
        """Queue one line (without its newline)."""
        with self._lock:
            self._lines.append(line)

    def take(self, fields: _Fields) -> None:
        """Queue the access-log line of these fields; it is made when it is written."""
        with self._lock:
            self._lines.append(fields)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()

    def flush(self) -> None:
        """Write what is queued now."""
        with self._lock:
            lines, self._lines = self._lines, []
        if lines:
            text = "\n".join(one if isinstance(one, str) else _made(one) for one in lines)
            try:
                self._stream.write(text + "\n")
                self._stream.flush()
            except (OSError, ValueError):  # the stream is gone: the lines with it
                pass

    def close(self) -> None:
        """Stop the thread and write what is left."""
        self._stop.set()
        self._thread.join(timeout=5)
        self.flush()
