"""Waitress as ``smartcity-kit serve`` runs it: its main loop kept from spinning.

Waitress runs one main thread (the event loop: accepting, reading, flushing) and a pool of
task threads (the application). A task thread writes its answer into the connection's output
buffer and sends it itself, holding the buffer's lock; the main loop sends only what a task
could not. While the task holds that lock, waitress's main loop still asks ``select`` whether
the socket is writable (it is), finds the lock taken, and asks again at once: it spins. Each
turn takes the interpreter from the task threads, which must win it back after every system
call, so the time the task holds the lock grows, and with it the spinning. Under 50 clients
posting reports, the main thread used about half of the process's interpreter time that way;
stopping it doubled a single worker's POST throughput (244 to 491 requests/s, two-core machine).

:class:`QuietChannel` declares the socket not worth watching for writing while a task holds the
lock (the task is sending). A task that leaves bytes unsent wakes the main loop after letting
go of the lock, so nothing is left waiting; past the high-water mark (the task is about to wait
for the main loop to drain the buffer) the channel is watched as before. Its tasks send the
status line and headers with the first piece of the body, in one system call.

:class:`Balance` spreads the connections of forked workers that share one socket evenly, and
:func:`serve` freezes what exists once the app is built out of the garbage collector's sweeps.
"""

from __future__ import annotations

import gc
import logging
import math
import mmap
import time
from collections.abc import Callable
from typing import Any, Final, cast

from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import WSGITask

__all__ = [
    "BALANCED_LOOP_SECONDS",
    "QUEUE_WARNING_SECONDS",
    "STALE_SECONDS",
    "Balance",
    "QueueWarnings",
    "QuietChannel",
    "make_server",
    "serve",
]


class _OneSendTask(WSGITask):
    """A task whose status line and headers go out with the first piece of the body."""

    def write(self, data: bytes) -> None:
        """Write ``data`` of the body; the first non-empty piece takes the headers along."""
        channel = cast("QuietChannel", self.channel)  # this task serves only quiet channels
        hold = not self.wrote_header and bool(data)
        if not hold:  # the headers alone (an empty write), or more of the body
            super().write(data)
            return
        channel.hold_headers()
        try:
            super().write(data)  # writes the headers (held), then the body with them
        except BaseException:
            channel.drop_held()
            raise
        channel.send_held()  # no body went out (HEAD, 204, 304): the headers alone


class QuietChannel(HTTPChannel):
    """An ``HTTPChannel`` that the main loop leaves alone while a task sends its answer."""

    task_class = _OneSendTask
    _hold_next = False
    _held = b""

    def writable(self) -> bool:
        """Whether the main loop should watch the socket for writing."""
        if self.will_close or self.close_when_flushed:
            return True
        if not self.total_outbufs_len:
            return False
        if self.requests and self.total_outbufs_len <= self.adj.outbuf_high_watermark:
            # A task is running. If it holds the lock it is sending, and it wakes the loop
            # (write_soon below) if anything is left once it lets go.
            if not self.outbuf_lock.acquire(blocking=False):
                return False
            self.outbuf_lock.release()
        return True

    def write_soon(self, data: Any) -> int:
        """Queue ``data`` and send what the socket takes (in the task's thread)."""
        if self._hold_next and isinstance(data, bytes):  # the headers: sent with what follows
            self._hold_next, self._held = False, data
            return len(data)
        if self._held:
            if isinstance(data, bytes):
                data, self._held = self._held + data, b""
            else:  # a file buffer: the headers go first, on their own
                self.send_held()
        written: int = super().write_soon(data)
        if self.total_outbufs_len:  # not all sent: the main loop takes over now
            self.server.pull_trigger()
        return written

    def hold_headers(self) -> None:
        """Keep the next write (the headers) to send it with the one after."""
        self._hold_next, self._held = True, b""

    def send_held(self) -> None:
        """Send what is held, if anything."""
        self._hold_next = False
        if self._held:
            held, self._held = self._held, b""
            self.write_soon(held)

    def drop_held(self) -> None:
        """Forget what is held (the write failed: the client is gone)."""
        self._hold_next, self._held = False, b""


class Balance:
    """How many connections each worker process holds, in memory the workers share.

    Workers forked from one process serve one listening socket; the kernel hands a new
    connection to whichever worker's loop takes it first, so a burst of keep-alive clients can
    land 30 on one worker and 20 on the other, and those 30 wait half as long again. With a
    ``Balance``, a worker takes new connections only while it holds no more than any other; the
    others leave them to it. A worker publishes its count at each turn of its loop, which turns
    at least every :data:`BALANCED_LOOP_SECONDS`, so a worker that holds the fewest never leaves
    a new connection waiting much longer than that. A worker that has not published for
    :data:`STALE_SECONDS` (not started yet, or stuck) is left out: the others take its share.

    Make it before forking (``Balance(workers)``), then give each worker its own index.
    """

    def __init__(self, workers: int) -> None:
        # Anonymous shared memory survives fork: a count and a time per worker (8 bytes each).
        self._memory = mmap.mmap(-1, 16 * workers)
        self._slots = memoryview(self._memory).cast("d")
        self.workers = workers

    def publish(self, index: int, count: int) -> None:
        """Say how many connections worker ``index`` holds now."""
        self._slots[index] = count
        self._slots[self.workers + index] = time.monotonic()  # one clock for every process

    def fewest(self) -> float:
        """The fewest connections a live worker holds (infinity when none has published)."""
        since = time.monotonic() - STALE_SECONDS
        live = [
            self._slots[i] for i in range(self.workers) if self._slots[self.workers + i] >= since
        ]
        return min(live, default=math.inf)


#: How often (seconds) a worker's loop turns at least, when workers balance their connections.
BALANCED_LOOP_SECONDS: Final = 0.05
#: A worker that has not published its count for this long (seconds) is left out of the balance.
STALE_SECONDS: Final = 1.0


def _balanced(listeners: list[BaseWSGIServer], balance: Balance, index: int) -> None:
    """Let the listeners accept only while their worker holds no more connections than any other."""

    def held() -> int:
        return sum(len(cast("dict[int, Any]", one.active_channels)) for one in listeners)

    for listener in listeners:
        ready = listener.readable

        def readable(ready: Any = ready) -> bool:
            mine = held()
            balance.publish(index, mine)
            return bool(ready()) and mine <= balance.fewest()

        listener.readable = readable  # type: ignore[method-assign]


#: Waitress's "Task queue depth" warning is given at most once in this many seconds.
QUEUE_WARNING_SECONDS: Final = 10.0


class QueueWarnings:
    """Waitress's "Task queue depth is N" warning, at most once every ``interval`` seconds.

    Waitress warns whenever a request must wait for a free thread. Under steady load that is
    nearly every request: a log record made and written on the main loop for each, which cost
    the served app a few percent of its throughput, and a flood no one reads. This passes one
    warning on at most every ``interval`` seconds and counts the others; they are summed up
    (how many, over how long, the deepest queue) before the next one passed on, and by
    :meth:`flush` (``serve`` calls it when it stops).

    Args:
        interval: Seconds between warnings.
        logger: Where they go (waitress's ``waitress.queue`` logger).
        clock: Monotonic seconds.
    """

    def __init__(
        self,
        interval: float = QUEUE_WARNING_SECONDS,
        logger: logging.Logger | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = interval
        self._logger = logger or logging.getLogger("waitress.queue")
        self._clock = clock
        self._next = -math.inf
        self._held = 0
        self._first = self._last = 0.0
        self._deepest = 0

    def warning(self, message: str, depth: int, *_: Any) -> None:
        """Take one of waitress's warnings (``"Task queue depth is %d", depth``)."""
        # Called by the dispatcher with its lock held: one caller at a time.
        now = self._clock()
        if now >= self._next:
            self.flush()
            self._logger.warning(message, depth)
            self._next = now + self._interval
            return
        if not self._held:
            self._first = now
        self._held += 1
        self._last = now
        self._deepest = max(self._deepest, depth)

    def flush(self) -> None:
        """Sum up the warnings held back since the last one passed on, if any."""
        if self._held:
            self._logger.warning(
                "Task queue depth warnings held back: %d in %.1f s, the deepest queue %d "
                "(every thread was busy)",
                self._held,
                self._last - self._first,
                self._deepest,
            )
        self._held = self._deepest = 0


def make_server(
    app: Any, *, balance: Balance | None = None, worker: int = 0, **settings: Any
) -> Any:
    """A waitress server for ``app`` (``waitress.create_server``) whose channels are quiet.

    Args:
        app: The WSGI application.
        balance: Shared connection counts, when this is one of several worker processes.
        worker: This worker's index in ``balance``.
        settings: Waitress's adjustments (``host``, ``port``, ``sockets``, ``threads``, ...).
    """
    channels: dict[int, Any] = {}
    server = create_server(app, map=channels, **settings)
    listeners = [d for d in channels.values() if isinstance(d, BaseWSGIServer)]
    for listener in listeners:
        listener.channel_class = QuietChannel
    dispatcher: Any = server.task_dispatcher  # it calls only .warning() on it
    dispatcher.queue_logger = QueueWarnings()
    if balance is not None:
        _balanced(listeners, balance, worker)
        adjustments: Any = server.adj  # waitress reads it as a number of seconds
        adjustments.asyncore_loop_timeout = BALANCED_LOOP_SECONDS
    return server


def serve(app: Any, **settings: Any) -> None:
    """Serve ``app`` until stopped, like ``waitress.serve(app, **settings)``, with quiet channels.

    Args:
        app: The WSGI application.
        settings: :func:`make_server`'s arguments (``balance``, ``worker``) and waitress's
            adjustments (``host``, ``port``, ``sockets``, ``threads``, ...).
    """
    logging.basicConfig()  # as waitress.serve does: its warnings reach standard error
    server = make_server(app, **settings)
    # What exists now (the app, its caches, the imported modules) lives as long as the process:
    # the cyclic garbage collector need not walk it again. A full collection of it took 67 ms,
    # a pause for every request in flight. (A frozen object that later becomes garbage in a
    # cycle is not collected; the app's long-lived parts never do.)
    gc.collect()
    gc.freeze()
    server.print_listen("Serving on http://{}:{}")
    try:
        server.run()
    finally:
        server.task_dispatcher.queue_logger.flush()  # the queue warnings held back, if any
