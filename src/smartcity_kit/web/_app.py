"""The application factory."""

from __future__ import annotations

import logging
import math
import os
import threading
import time

from flask import Flask, Response, g, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from smartcity_kit.core import Clock, SystemClock
from smartcity_kit.economy import Books, EnterpriseRegistry, WasteBank
from smartcity_kit.economy._city import CityEconomy
from smartcity_kit.economy.qris._sales import QrisSales
from smartcity_kit.egov import ServiceDesk
from smartcity_kit.egov.cooperation import CooperationRegister
from smartcity_kit.egov.open311 import Open311Handler
from smartcity_kit.egov.permits import PermitOffice
from smartcity_kit.errors import FieldError, SmartCityError
from smartcity_kit.security import AccessPolicy, FleetMonitor
from smartcity_kit.storage import ApiKeys, AuditLog, Database, Role
from smartcity_kit.web._access_log import log_access
from smartcity_kit.web._api import api
from smartcity_kit.web._cctv import cctv
from smartcity_kit.web._config import AppConfig
from smartcity_kit.web._cooperation import cooperation
from smartcity_kit.web._dashboard import dashboard, dashboard_page
from smartcity_kit.web._economy import economy
from smartcity_kit.web._open311 import open311
from smartcity_kit.web._openapi import check_response, openapi_document
from smartcity_kit.web._permits import permits
from smartcity_kit.web._problems import problem, problem_for
from smartcity_kit.web._qris import qris

__all__ = ["create_app"]

_log = logging.getLogger("smartcity_kit.web")
#: How often the data version is read from the database (writes by other processes are seen
#: within this time; this process's own writes at once).
VERSION_CHECK_SECONDS = 0.1
#: Where the ``before_request`` hook leaves the time the request began (in the WSGI environ).
_STARTED = "smartcity_kit.started"


class _DataVersion:
    """A cheap answer to "has the data changed?": this process's write count and the audit head.

    Every change through the desks appends to the audit log in its own transaction, so the head
    moves with every write, in any process. It is read at most every ``VERSION_CHECK_SECONDS``;
    writes served by this process bump a local counter, so they are visible at once.
    """

    def __init__(self, audit: AuditLog) -> None:
        self._audit = audit
        self._lock = threading.Lock()
        self._writes = 0
        self._head = -1
        self._checked = -math.inf
        self._version = (0, -1)  # replaced whole, so that a reader needs no lock

    def __call__(self) -> tuple[int, int]:
        now = time.monotonic()
        if now - self._checked > VERSION_CHECK_SECONDS:
            head = self._audit.head_seq()
            with self._lock:
                # The head only grows: a slower thread's older reading must not move it back.
                self._head, self._checked = max(self._head, head), now
                self._version = (self._writes, self._head)
        return self._version

    def bump(self) -> None:
        with self._lock:
            self._writes += 1
            self._version = (self._writes, self._head)


_POSTERS = (Role.OPEN311_CLIENT, Role.ADMIN, Role.OPERATOR)


def create_app(  # noqa: C901, PLR0915 - the app's hooks are closures over its parts
    config: AppConfig | None = None,
    *,
    database: Database | None = None,
    clock: Clock | None = None,
    access_policy: AccessPolicy | None = None,
) -> Flask:
    """The Flask app: Open311 (``/open311/v2/``), staff, CCTV, economy APIs (``/api/``), health.

    Mount its blueprints in your own app instead if you have one; this factory is what
    ``smartcity-kit serve`` runs.

    Args:
        config: The settings (defaults serve Makassar from ``SMARTCITY_DATABASE_URL``).
        database: A database to use instead of ``config.database_url``.
        clock: Where "now" comes from.
        access_policy: The CCTV access policy (one over the same database and clock by default);
            give one to set a stream relay or how cameras are reached.
    """
    config = config or AppConfig()
    db = database or Database(config.database_url)
    clock = clock or SystemClock()
    keys = ApiKeys(db, clock)
    version = _DataVersion(AuditLog(db, clock))
    desks = {city.slug: ServiceDesk(db, city, clock) for city in config.cities}
    policy = access_policy or AccessPolicy(db, clock=clock)

    def authorize(key: str | None, city: str) -> str | None:
        found = keys.authenticate(key)
        if found is None or found.role not in _POSTERS:
            return None
        return found.actor if found.city in (None, city) else None

    app = Flask("smartcity_kit.web")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["smartcity"] = {
        "clock": clock,
        "config": config,
        "db": db,
        "keys": keys,
        "desks": desks,
        "access_policy": policy,
        "fleet_monitor": FleetMonitor(policy.registry, clock=clock),
        "enterprises": EnterpriseRegistry(db, clock),
        "books": Books(db, clock),
        "waste_bank": WasteBank(db, clock),
        "city_economy": CityEconomy(db),
        "qris_sales": QrisSales(db, clock),
        "cooperation": {city.slug: CooperationRegister(db, city, clock) for city in config.cities},
        "permit_offices": {city.slug: PermitOffice(db, city, clock) for city in config.cities},
        "open311": Open311Handler(
            list(desks.values()), authorize=authorize, clock=clock, data_version=version
        ),
    }
    app.register_blueprint(open311)
    app.register_blueprint(api)
    app.register_blueprint(cctv)
    app.register_blueprint(economy)
    app.register_blueprint(qris)
    app.register_blueprint(cooperation)
    app.register_blueprint(permits)
    app.register_blueprint(dashboard)
    app.register_blueprint(dashboard_page)

    check = config.check_responses or os.environ.get("SMARTCITY_CHECK_RESPONSES") == "1"
    document: dict[str, object] = {}

    @app.get("/api/openapi.json")
    def openapi() -> Response:
        """The OpenAPI 3.1 document of every ``/api/`` endpoint."""
        if not document:
            document.update(
                openapi_document(
                    app, server_url=config.public_url, path_values={"city": sorted(desks)}
                )
            )
        return jsonify(document)

    @app.get("/healthz")
    def healthz() -> Response:
        db.forget_schema_check()
        try:
            db.require_current_schema()
        except SQLAlchemyError:
            return problem(503, "the database cannot be reached")
        return jsonify({"status": "ok", "cities": sorted(desks)})

    # The hooks read the WSGI environ of the request itself, not through Flask's proxies: each
    # look through a proxy costs, and they run on every request (benchmarks/open311_http.py).
    @app.before_request
    def started() -> Response | None:
        env = request.environ
        env[_STARTED] = time.perf_counter()
        if env.get("REQUEST_METHOD", "").upper() != "OPTIONS":  # as request.method has it
            return None
        origin = env.get("HTTP_ORIGIN")
        if not origin or origin not in config.cors_origins:
            return None
        response = app.make_default_options_response()
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "X-API-Key, Authorization, Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
        return response

    @app.errorhandler(SmartCityError)
    def our_error(error: SmartCityError) -> Response:
        return problem_for(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return problem(error.code or 500, error.description or "")

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:  # pragma: no cover - a bug, logged
        _log.exception("unhandled error on %s %s", request.method, request.path, exc_info=error)
        return problem(500, "an unexpected error happened; it has been logged")

    @app.after_request
    def headers(response: Response) -> Response:
        if check:
            response = _checked(app, response)
        current = request._get_current_object()  # type: ignore[attr-defined]  # noqa: SLF001
        env = current.environ
        if current.method not in ("GET", "HEAD", "OPTIONS") and response.status_code < 400:
            version.bump()
        response.headers["X-Content-Type-Options"] = "nosniff"
        started = env.get(_STARTED)
        if started is not None:
            seconds = time.perf_counter() - started
            log_access(current, response, seconds, clock.now(), config.access_log)
        origin = env.get("HTTP_ORIGIN")
        if origin and origin in config.cors_origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    return app


def _checked(app: Flask, response: Response) -> Response:
    """The answer, or a 500 naming how it differs from its declaration."""
    wrong = check_response(app, response)
    if g.get("smartcity_operation") is not None and response.status_code < 400:
        op = g.smartcity_operation
        if (
            op.body is not None
            and request.get_data(cache=True)
            and not g.get("smartcity_body_checked")
        ):
            wrong.append(FieldError("", "the body was not checked against its schema"))
    if not wrong:
        return response
    _log.error(
        "answer of %s %s differs from its declaration: %s", request.method, request.path, wrong
    )
    return problem(
        500,
        f"the answer ({response.status_code}) differs from its declaration: "
        + "; ".join(str(e) for e in wrong),
    )
