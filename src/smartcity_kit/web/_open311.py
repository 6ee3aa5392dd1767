"""The Open311 GeoReport v2 blueprint: a thin layer over the framework-free handler."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from smartcity_kit.egov.open311 import Open311Handler

__all__ = ["open311"]

open311 = Blueprint("smartcity_open311", __name__, url_prefix="/open311")


def _handler() -> Open311Handler:
    handler: Open311Handler = current_app.extensions["smartcity"]["open311"]
    return handler


def _reply(status: int, body: bytes, content_type: str) -> Response:
    return Response(body, status=status, content_type=content_type)


@open311.route("/v2/<path:resource>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def georeport(resource: str) -> Response:
    """Every GeoReport v2 resource (``services.json``, ``requests.xml``, ...)."""
    params = {name: request.values.getlist(name) for name in request.values}
    answer = _handler().handle(request.method, resource, params)
    return _reply(answer.status, answer.body, answer.content_type)


@open311.get("/discovery.<fmt>")
def discovery(fmt: str) -> Response:
    """The service discovery document (``discovery.json`` or ``discovery.xml``)."""
    if fmt not in ("json", "xml"):
        return _reply(404, b"", "text/plain; charset=utf-8")
    config = current_app.extensions["smartcity"]["config"]
    answer = _handler().discovery(
        "json" if fmt == "json" else "xml",
        base_url=f"{config.public_url.rstrip('/')}/open311/v2/",
        contact=config.contact,
        key_service=config.key_service,
    )
    return _reply(answer.status, answer.body, answer.content_type)
