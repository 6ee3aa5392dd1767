"""The waitress server ``smartcity-kit serve`` runs: quiet channels, headers sent with the body."""

from __future__ import annotations

import http.client
import io
import logging
import math
import os
import socket
import threading
import time
import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

pytest.importorskip("waitress")

from waitress import wasyncore
from waitress.parser import HTTPRequestParser

import smartcity_kit.cli._waitress as waitress_module
from smartcity_kit.cli._waitress import (
    STALE_SECONDS,
    Balance,
    QueueWarnings,
    QuietChannel,
    make_server,
)

BIG = 5_000_000  # far more than a loopback socket takes at once

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def _app(  # noqa: C901, PLR0911 - one answer per path
    environ: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path == "/small":
        body = b'{"ok":true}'
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
    if path == "/empty":
        start_response("204 No Content", [])
        return []
    if path == "/big":
        start_response("200 OK", [("Content-Length", str(BIG))])
        return [b"x" * BIG]
    if path == "/streamed":  # no length: chunked, in pieces, with pauses between them

        def pieces() -> Iterator[bytes]:
            for n in range(20):
                time.sleep(0.01)
                yield bytes([65 + n]) * 100_000

        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return pieces()
    if path == "/slow":  # the answer is written, then the task goes on a while

        def slow() -> Iterator[bytes]:
            yield b"first"
            time.sleep(0.5)
            yield b"second"

        start_response("200 OK", [("Content-Length", "11")])
        return slow()
    if path == "/file":  # a file answer, as Flask's send_file gives (the dashboard's CSS)
        start_response("200 OK", [("Content-Type", "text/css"), ("Content-Length", "13")])
        wrapped: Iterable[bytes] = environ["wsgi.file_wrapper"](io.BytesIO(b"body{margin:0"))
        return wrapped
    if path == "/headers-first":  # an app that sends its headers before its body

        def later() -> Iterator[bytes]:
            yield b""
            yield b"late"

        start_response("200 OK", [("Content-Length", "4")])
        return later()
    if path == "/broken":

        def broken() -> Iterator[bytes]:
            yield b"part"
            raise RuntimeError("the app failed half-way")

        start_response("200 OK", [("Content-Length", "100")])
        return broken()
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"no"]


class _Running:
    """A server's loop in a thread of its own, until :meth:`stop`; then :meth:`close`."""

    def __init__(self, served: Any) -> None:
        self.served = served
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        # As server.run() turns it: waiting up to the loop timeout (1 s) unless woken, so that a
        # missed wake-up shows as a pause.
        timeout = self.served.adj.asyncore_loop_timeout
        while not self._stopped.is_set():
            wasyncore.loop(timeout=timeout, map=self.served._map, count=1)

    def stop(self) -> None:
        """Stop the loop (no socket is closed under it)."""
        self._stopped.set()
        self.served.pull_trigger()  # wake it to see that
        self._thread.join(timeout=5)

    def close(self) -> None:
        """Close what the server holds (listener, connections) and stop its threads."""
        _close(self.served)


def _close(served: Any) -> None:
    """Close what a server that no loop runs holds, and stop its task threads."""
    wasyncore.close_all(served._map)
    served.task_dispatcher.shutdown(timeout=5)


@pytest.fixture
def server() -> Iterator[Any]:
    running = _Running(make_server(_app, host="127.0.0.1", port=0, threads=4))
    yield running.served
    running.stop()
    running.close()


def _ask(conn: http.client.HTTPConnection, method: str, path: str) -> http.client.HTTPResponse:
    conn.request(method, path)
    return conn.getresponse()


def _connect(server: Any) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=10)


def test_answers_of_every_shape_arrive_whole_on_one_connection(server: Any) -> None:
    conn = _connect(server)
    for _ in range(3):  # keep-alive: the connection serves one request after another
        answer = _ask(conn, "GET", "/small")
        assert (answer.status, answer.read()) == (200, b'{"ok":true}')
        answer = _ask(conn, "GET", "/empty")
        assert (answer.status, answer.read()) == (204, b"")
        answer = _ask(conn, "HEAD", "/small")
        assert (answer.status, answer.read()) == (200, b"")
        assert answer.getheader("Content-Length") == "11"
    answer = _ask(conn, "GET", "/missing")
    assert (answer.status, answer.read()) == (404, b"no")
    for _ in range(2):
        answer = _ask(conn, "GET", "/file")
        assert (answer.status, answer.read()) == (200, b"body{margin:0")
        assert answer.getheader("Content-Type") == "text/css"
        answer = _ask(conn, "GET", "/headers-first")
        assert (answer.status, answer.read()) == (200, b"late")
    conn.close()


def test_an_app_failing_half_way_closes_the_connection_after_what_it_sent(server: Any) -> None:
    with socket.create_connection(("127.0.0.1", server.effective_port), timeout=10) as raw:
        raw.sendall(b"GET /broken HTTP/1.1\r\nHost: x\r\n\r\n")
        received = bytearray()
        while chunk := raw.recv(65536):
            received += chunk
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert body == b"part"  # then the server closed the connection, as plain waitress does


def test_answers_larger_than_the_socket_takes_arrive_whole_and_without_delay(
    server: Any,
) -> None:
    conn = _connect(server)
    for path, size in (("/big", BIG), ("/streamed", 2_000_000)):
        started = time.monotonic()
        conn.request("GET", path)
        answer = conn.getresponse()
        body = answer.read()
        assert len(body) == size
        # The main loop takes over what the task could not send: a missed wake-up would show
        # as a pause of a second (waitress's loop timeout).
        assert time.monotonic() - started < 0.9
    assert body[:1] == b"A"
    assert body[-1:] == b"T"
    conn.close()


def test_a_client_reading_slowly_still_gets_everything(server: Any) -> None:
    with socket.create_connection(("127.0.0.1", server.effective_port), timeout=10) as raw:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        raw.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.3)  # the server fills the socket and must wait for us
        started = time.monotonic()
        received = bytearray()
        while b"\r\n\r\n" not in received:
            received += raw.recv(65536)
        head, _, body = bytes(received).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        size = len(body)
        while size < BIG:
            chunk = raw.recv(1 << 20)
            assert chunk, f"the connection ended after {size} bytes"
            size += len(chunk)
        assert size == BIG
        assert time.monotonic() - started < 5


def test_headers_and_a_small_body_go_out_in_one_send(
    server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sends: list[bytes] = []
    original = QuietChannel.send

    def counted(self: QuietChannel, data: bytes, do_close: bool = True) -> int:
        sends.append(bytes(data))
        return int(original(self, data, do_close=do_close))

    monkeypatch.setattr(QuietChannel, "send", counted)
    conn = _connect(server)
    conn.request("GET", "/small")
    assert conn.getresponse().read() == b'{"ok":true}'
    conn.close()
    assert len(sends) == 1
    assert sends[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert sends[0].endswith(b'\r\n\r\n{"ok":true}')


def test_an_answer_written_in_pieces_with_a_pause_arrives_whole(server: Any) -> None:
    conn = _connect(server)
    conn.request("GET", "/slow")
    answer = conn.getresponse()
    assert answer.getheader("Content-Length") == "11"
    assert answer.read() == b"firstsecond"
    conn.request("GET", "/small")  # and the connection goes on
    assert conn.getresponse().read() == b'{"ok":true}'
    conn.close()


class _Server:
    """Just enough of a waitress server for a channel made by hand."""

    def __init__(self, adj: Any) -> None:
        self.adj = adj
        self.active_channels: dict[int, Any] = {}
        self.pulled = 0

    def pull_trigger(self) -> None:
        self.pulled += 1


def test_a_channel_is_watched_for_writing_only_when_the_loop_has_something_to_do(
    server: Any,
) -> None:
    ours, theirs = socket.socketpair()
    try:
        fake: Any = _Server(server.adj)
        channel = QuietChannel(fake, ours, ("127.0.0.1", 1), server.adj, map={})
        assert not channel.writable()  # nothing to send
        channel.outbufs[-1].append(b"data")
        channel.total_outbufs_len = 4
        assert channel.writable()  # no task: the loop sends it
        channel.requests = [HTTPRequestParser(server.adj)]
        assert channel.writable()  # a task runs but has let go of the buffer
        holding, done = threading.Event(), threading.Event()

        def task_sending() -> None:
            with channel.outbuf_lock:
                holding.set()
                done.wait(5)

        task = threading.Thread(target=task_sending)
        task.start()
        holding.wait(5)
        try:
            assert not channel.writable()  # the task sends it: the loop would only spin
            channel.total_outbufs_len = server.adj.outbuf_high_watermark + 1
            assert channel.writable()  # the task is about to wait for the loop to drain it
            channel.total_outbufs_len = 4
            channel.will_close = True
            assert channel.writable()
        finally:
            done.set()
            task.join()
    finally:
        ours.close()
        theirs.close()


def test_balance_is_shared_with_forked_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    balance = Balance(3)
    assert balance.fewest() == math.inf  # nobody has published
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        balance.publish(1, 7)
        os._exit(0)
    os.waitpid(pid, 0)
    balance.publish(0, 8)
    assert balance.fewest() == 7  # the child's count arrived; worker 2 is not counted yet
    balance.publish(2, 9)
    balance.publish(0, 5)
    assert balance.fewest() == 5
    # A worker silent for too long (stuck, or gone) no longer holds the others back.
    later = time.monotonic() + STALE_SECONDS + 1
    monkeypatch.setattr(waitress_module, "time", types.SimpleNamespace(monotonic=lambda: later))
    balance.publish(2, 9)
    assert balance.fewest() == 9


def _connected(port: int, count: int) -> list[http.client.HTTPConnection]:
    clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(count)]
    for client in clients:
        client.connect()
    return clients


def test_workers_sharing_a_socket_take_new_connections_in_turn() -> None:
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    port = listener.getsockname()[1]
    balance = Balance(2)
    workers = [
        make_server(_app, sockets=[listener], threads=2, balance=balance, worker=i)
        for i in range(2)
    ]
    clients: list[http.client.HTTPConnection] = []
    running = [_Running(workers[0])]
    try:
        clients += _connected(port, 10)  # the second worker has not started: the first takes all
        for client in clients:
            client.request("GET", "/small")
            assert client.getresponse().read() == b'{"ok":true}'
        assert [len(w.active_channels) for w in workers] == [10, 0]
        running.append(_Running(workers[1]))
        time.sleep(0.2)
        clients += _connected(port, 10)  # now only the second takes them, up to the first's 10
        for client in clients:
            client.request("GET", "/small")
            assert client.getresponse().read() == b'{"ok":true}'
        assert [len(w.active_channels) for w in workers] == [10, 10]
        clients += _connected(port, 2)  # then both
        for client in clients[-2:]:
            client.request("GET", "/small")
            assert client.getresponse().read() == b'{"ok":true}'
        assert [len(w.active_channels) for w in workers] == [11, 11]
    finally:
        for client in clients:
            client.close()
        for one in running:  # both loops stop before the socket they share is closed
            one.stop()
        for worker in workers:
            _close(worker)
        listener.close()


def test_waitress_queue_warnings_come_once_per_interval_and_the_rest_are_summed_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [100.0]
    warnings = QueueWarnings(interval=10, clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="waitress.queue")

    def said() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "waitress.queue"]

    warnings.warning("Task queue depth is %d", 1)
    assert said() == ["Task queue depth is 1"]  # the first at once, as waitress says it
    for depth in (2, 7, 3):
        now[0] += 1.5
        warnings.warning("Task queue depth is %d", depth)
    assert len(said()) == 1  # within the interval: counted, not said
    now[0] += 3600  # an hour later: the held ones are summed up over their own 3 s
    warnings.warning("Task queue depth is %d", 2)
    held = "Task queue depth warnings held back: {} in {} s, the deepest queue {} (every thread "
    held += "was busy)"
    assert said()[1:] == [held.format(3, "3.0", 7), "Task queue depth is 2"]
    now[0] += 1
    warnings.warning("Task queue depth is %d", 5)
    warnings.flush()  # serve stops: what was held back is said
    warnings.flush()  # and only once
    assert said()[3:] == [held.format(1, "0.0", 5)]


def test_a_busy_server_warns_of_its_queue_once_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="waitress.queue")
    release = threading.Event()

    def blocked(_: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        release.wait(5)
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    running = _Running(make_server(blocked, host="127.0.0.1", port=0, threads=1))
    port = running.served.getsockname()[1]
    clients = _connected(port, 6)
    try:
        for client in clients:  # one is served, five wait for the one thread
            client.request("GET", "/")
        time.sleep(0.3)
        release.set()
        for client in clients:
            assert client.getresponse().read() == b"ok"
    finally:
        for client in clients:
            client.close()
        running.stop()
        running.close()
    queued = [r.getMessage() for r in caplog.records if r.name == "waitress.queue"]
    assert queued == ["Task queue depth is 1"]  # waitress alone would say it five times
