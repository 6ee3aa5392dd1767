"""The Open311 GeoReport v2 blueprint: a thin layer over the framework-free handler."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from flask import Blueprint, Request, Response, current_app, request

from smartcity_kit.egov.open311 import Open311Handler

__all__ = ["open311"]

open311 = Blueprint("smartcity_open311", __name__, url_prefix="/open311")


def _handler() -> Open311Handler:
    handler: Open311Handler = current_app.extensions["smartcity"]["open311"]
    return handler


#: The longest query string whose parameters are kept parsed.
_MAX_KEPT_QUERY: Final = 512
#: How many query strings' parameters are kept parsed (readers ask for the same pages).
_QUERIES_KEPT: Final = 256
_queries: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}


def _query(current: Request) -> Mapping[str, Sequence[str]]:
    """The query's parameters, parsed once for a query string asked for again and again."""
    raw = current.environ.get("QUERY_STRING", "")
    found = _queries.get(raw)
    if found is not None:
        return dict(found)
    params = dict(current.args.lists())
    if "api_key" not in params and len(raw) <= _MAX_KEPT_QUERY:  # a key is never kept
        if len(_queries) >= _QUERIES_KEPT:
            _queries.clear()
        _queries[raw] = tuple((name, tuple(values)) for name, values in params.items())
    return params


def _reply(status: int, body: bytes, content_type: str) -> Response:
    return Response(body, status=status, content_type=content_type)


_METHODS: Final = ["GET", "POST", "PUT", "DELETE", "PATCH"]
#: The resources clients ask for most, given rules of their own: a fixed path is found by one
#: dictionary lookup, a ``<path:...>`` one by trying a regular expression (3 µs a request).
_COMMON: Final = ("requests.json", "requests.xml", "services.json", "services.xml")


@open311.route("/v2/<path:resource>", methods=_METHODS)
def georeport(resource: str) -> Response:
    """Every GeoReport v2 resource (``services.json``, ``requests.xml``, ...)."""
    current = request._get_current_object()  # type: ignore[attr-defined]  # noqa: SLF001
    method = current.method
    # Query parameters (GET: only those), then form fields: what ``request.values`` holds.
    params = _query(current) if method == "GET" else dict(current.values.lists())
    answer = _handler().handle(method, resource, params)
    return _reply(answer.status, answer.body, answer.content_type)


for _resource in _COMMON:
    open311.add_url_rule(
        f"/v2/{_resource}", view_func=georeport, methods=_METHODS, defaults={"resource": _resource}
    )


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
