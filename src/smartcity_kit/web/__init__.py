"""The web application: the city dashboard, Open311 GeoReport v2, the JSON API, health.

It needs the extra ``server``.

Flask is imported only here; everything below works without it.
"""

from smartcity_kit.web._access_log import ACCESS_LOGGER, LineWriter
from smartcity_kit.web._app import create_app
from smartcity_kit.web._config import AppConfig
from smartcity_kit.web._openapi import (
    PAGE,
    PROBLEM,
    Answer,
    Operation,
    Param,
    component,
    json_body,
    openapi_document,
    operation,
    paged,
)

__all__ = [
    "ACCESS_LOGGER",
    "PAGE",
    "PROBLEM",
    "Answer",
    "AppConfig",
    "LineWriter",
    "Operation",
    "Param",
    "component",
    "create_app",
    "json_body",
    "openapi_document",
    "operation",
    "paged",
]
