"""A simulated camera with nothing but a snapshot URL (an older or cheaper camera)."""

from __future__ import annotations

import email.utils
from typing import Any, ClassVar, Final
from urllib.parse import urlsplit

from smartcity_kit.security._events import EventKind
from smartcity_kit.testing.devices._farm import SimRequest, SimResponse, SimulatedDevice
from smartcity_kit.testing.devices._isapi import cut_short
from smartcity_kit.testing.devices._jpeg import TINY_JPEG

__all__ = ["SnapshotCamera"]

_NOT_JPEG: Final = b"<html><body>404 image not ready</body></html>"


class SnapshotCamera(SimulatedDevice):
    """A camera whose only interface is a JPEG at ``snapshot_path``.

    Every answer carries a ``Date`` header from the device's (skewed) clock unless
    ``send_date`` is False, and a ``Server`` header when ``server`` is set. Any other path is
    a 404. Basic authentication by default (Digest is accepted too).

    Faults (:meth:`~SimulatedDevice.fail`), after authentication:

    - ``"http500"``: HTTP 500 with an empty body.
    - ``"not_jpeg"``: the snapshot is an HTML page (HTTP 200).
    - ``"cut"``: the picture stops half way.

    Args:
        snapshot_path: The picture's path (a query in it is ignored when matching).
        server: The ``Server`` header, or None for none.
        send_date: Whether answers carry a ``Date`` header.
        settings: The :class:`SimulatedDevice` settings (``username``, ``password``,
            ``latency``, ``clock_skew``, ``reported_host``, ``http_auth``, ``seed``).
    """

    vendor: ClassVar[str] = "http_snapshot"
    realm: ClassVar[str] = "IPCamera Login"

    def __init__(
        self,
        *,
        snapshot_path: str = "/snapshot.jpg",
        server: str | None = "Boa/0.94.14rc21",
        send_date: bool = True,
        **settings: Any,
    ) -> None:
        settings.setdefault("http_auth", "basic")
        super().__init__(**settings)
        self.snapshot_path = snapshot_path
        self.server = server
        self.send_date = send_date

    def trigger(self, kind: EventKind, active: bool = True, channel: int = 1) -> None:
        """Send nothing: such a camera has no event interface, so the event is lost.

        Present so that tests can trigger every camera of a mixed fleet alike.
        """

    def forget_sessions(self) -> None:
        """Forget Digest nonces (what a reboot does; there are no streams to end)."""
        if self.farm is not None:
            self.farm.call_soon(self._nonces.clear)

    def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.server is not None:
            headers["Server"] = self.server
        if self.send_date:
            headers["Date"] = email.utils.format_datetime(self.now(), usegmt=True)
        return headers

    async def handle(self, request: SimRequest) -> SimResponse:
        """Answer one request: the snapshot, or a 404."""
        denied = self.check_http_auth(request)
        if denied is not None:
            return denied
        headers = self._headers()
        if "http500" in self.faults:
            return SimResponse(500, b"", "text/html", headers)
        if request.method != "GET" or request.path != urlsplit(self.snapshot_path).path:
            return SimResponse(404, b"Not Found", "text/html", headers)
        if "not_jpeg" in self.faults:
            return SimResponse(200, _NOT_JPEG, "text/html", headers)
        response = SimResponse(200, TINY_JPEG, "image/jpeg", headers)
        return cut_short(response) if "cut" in self.faults else response
