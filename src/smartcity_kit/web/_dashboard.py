"""The city dashboard's figures: ``GET /api/dashboard/<city>``.

Without a key the figures are what a citizen may see: counts, shares and sums, no personal data,
no request texts, no stream addresses, and on the map only the city's own cameras (where police
and private cameras stand is not published). With a staff key (admin, operator or auditor of the
city) every camera is on the map with its owner, and the overdue list names the agency's own.

``GET /api/dashboard/<city>[?month=YYYY-MM]``: anyone (open data), more with a staff key;
answers 200, 400 (a bad month), 403 (a key that is not valid, or not staff of the city), 404.

``month`` picks the month of the figures (the city's current month by default); the weekly trend
ends with that month's last week, the uptime covers the 7 days before its end (or before now).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any, Final

import attrs
from flask import Blueprint, Response, current_app, jsonify, render_template, request

from smartcity_kit.core import CityProfile, Clock, Region, TimeZone
from smartcity_kit.economy import CityEconomy, Period
from smartcity_kit.egov import Metrics, ServiceDesk
from smartcity_kit.errors import NotFoundError, PermissionDeniedError, ValidationError
from smartcity_kit.security import AccessPolicy, Camera, EventKind, FleetMonitor, OwnerKind
from smartcity_kit.storage import ApiKey, ApiKeys, Role
from smartcity_kit.web._auth import key_from
from smartcity_kit.web._openapi import Answer, Param, Schema, component, operation

__all__ = ["dashboard", "dashboard_page"]

dashboard = Blueprint("smartcity_dashboard", __name__, url_prefix="/api/dashboard")
#: The page at ``/`` and its assets (``/static/dashboard/``), all shipped in the package.
dashboard_page = Blueprint(
    "smartcity_dashboard_page",
    __name__,
    static_folder="static/dashboard",
    static_url_path="/static/dashboard",
    template_folder="templates",
)
#: How often the page reads the figures again (seconds).
REFRESH_SECONDS: Final = 30
#: The page may load and fetch from this server only (and draw inline SVG).
PAGE_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

#: Weeks in the public-service trend.
WEEKS: Final = 12
#: Rows in the lists (overdue requests, recent camera events, cameras down longest, top
#: enterprises).
SHOWN: Final = 10
_STAFF: Final = (Role.ADMIN, Role.OPERATOR, Role.AUDITOR)


# --- what the figures endpoint answers (/api/openapi.json) -----------------------------------

_N: Final[Schema] = {"type": "integer", "minimum": 0}
_SHARE: Final[Schema] = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_DAYS: Final[Schema] = {"type": ["number", "null"], "minimum": 0}
_TEXT: Final[Schema] = {"type": "string"}
_WHEN: Final[Schema] = {"type": ["string", "null"], "format": "date-time"}
_SERVICE_ROW: Final[Schema] = {
    "type": "object",
    "required": ["code", "name", "received", "resolved", "median_days", "on_time_share"],
    "properties": {
        "code": _TEXT,
        "name": _TEXT,
        "received": _N,
        "resolved": _N,
        "median_days": _DAYS,
        "p90_days": _DAYS,
        "on_time_share": _SHARE,
    },
}


def _camera_row(key: str) -> Schema:
    return {
        "type": "object",
        "required": [key, "cameras", "online", "offline", "unknown", "uptime_7d"],
        "properties": {
            key: _TEXT,
            "cameras": _N,
            "online": _N,
            "offline": _N,
            "unknown": _N,
            "uptime_7d": _SHARE,
        },
    }


_ECONOMY_ROW: Final[Schema] = {
    "type": "object",
    "required": ["enterprises", "members", "revenue", "surplus", "waste_grams", "waste_kg"],
    "properties": {
        "district": {"type": ["string", "null"]},
        "sector": {"type": ["string", "null"]},
        "enterprises": _N,
        "members": _N,
        "revenue": {"type": "integer", "description": "Whole rupiah."},
        "surplus": {"type": "integer", "description": "Whole rupiah."},
        "waste_grams": _N,
        "waste_kg": {"type": "string", "description": "Kilograms, as a decimal text."},
    },
}
FIGURES: Final = component(
    "DashboardFigures",
    {
        "type": "object",
        "description": "Everything the dashboard shows for one city and month.",
        "required": ["city", "month", "as_of", "view", "public_service", "security", "economy"],
        "properties": {
            "city": {
                "type": "object",
                "required": ["slug", "name", "time_zone"],
                "properties": {"slug": _TEXT, "name": _TEXT, "time_zone": _TEXT},
            },
            "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
            "as_of": {"type": "string", "format": "date-time"},
            "view": {"enum": ["public", "staff"]},
            "public_service": {
                "type": "object",
                "required": [
                    "received",
                    "resolved",
                    "median_days",
                    "on_time_share",
                    "by_agency",
                    "by_district",
                    "weekly",
                    "overdue",
                ],
                "properties": {
                    "received": _N,
                    "resolved": _N,
                    "median_days": _DAYS,
                    "p90_days": _DAYS,
                    "on_time_share": _SHARE,
                    "by_agency": {"type": "array", "items": _SERVICE_ROW},
                    "by_district": {"type": "array", "items": _SERVICE_ROW},
                    "weekly": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["week_of", "received", "resolved"],
                            "properties": {
                                "week_of": {"type": "string", "format": "date"},
                                "received": _N,
                                "resolved": _N,
                            },
                        },
                    },
                    "overdue": {
                        "type": "object",
                        "required": ["count", "by_agency", "most_late"],
                        "properties": {
                            "count": _N,
                            "by_agency": {"type": "object", "additionalProperties": _N},
                            "most_late": {
                                "type": "array",
                                "description": "Staff only (empty in the public view).",
                                "items": {
                                    "type": "object",
                                    "required": ["id", "service_code", "agency", "status", "due"],
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "service_code": _TEXT,
                                        "service": _TEXT,
                                        "agency": {"type": ["string", "null"]},
                                        "agency_name": {"type": ["string", "null"]},
                                        "status": _TEXT,
                                        "district": {"type": ["string", "null"]},
                                        "due": _WHEN,
                                    },
                                },
                            },
                        },
                    },
                },
            },
            "security": {
                "type": "object",
                "required": [
                    "cameras",
                    "online",
                    "offline",
                    "uptime_7d",
                    "by_district",
                    "by_owner",
                    "recent_events",
                    "down_longest",
                    "map",
                ],
                "properties": {
                    "cameras": _N,
                    "online": _N,
                    "offline": _N,
                    "uptime_7d": _SHARE,
                    "by_district": {"type": "array", "items": _camera_row("district")},
                    "by_owner": {"type": "array", "items": _camera_row("owner_kind")},
                    "recent_events": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["camera_id", "camera", "kind", "at"],
                            "properties": {
                                "camera_id": _TEXT,
                                "camera": _TEXT,
                                "kind": _TEXT,
                                "at": _WHEN,
                            },
                        },
                    },
                    "down_longest": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["camera_id", "camera", "offline_since"],
                            "properties": {
                                "camera_id": _TEXT,
                                "camera": _TEXT,
                                "offline_since": _WHEN,
                            },
                        },
                    },
                    "map": {
                        "type": "array",
                        "description": "Public view: the city's own cameras only, no owner names.",
                        "items": {
                            "type": "object",
                            "required": ["camera_id", "name", "lat", "lon", "owner_kind", "online"],
                            "properties": {
                                "camera_id": _TEXT,
                                "name": _TEXT,
                                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                                "lon": {"type": "number", "minimum": -180, "maximum": 180},
                                "owner_kind": _TEXT,
                                "owner": {"type": "string", "description": "Staff only."},
                                "online": {"type": ["boolean", "null"]},
                            },
                        },
                    },
                },
            },
            "economy": {
                "type": "object",
                "required": [
                    "period",
                    "total",
                    "top_enterprises",
                    "by_sector",
                    "by_district",
                    "monthly",
                ],
                "properties": {
                    "period": _TEXT,
                    "total": _ECONOMY_ROW,
                    "top_enterprises": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["enterprise", "name", "revenue"],
                            "properties": {
                                "enterprise": _TEXT,
                                "name": _TEXT,
                                "district": {"type": ["string", "null"]},
                                "sector": _TEXT,
                                "revenue": {"type": "integer"},
                                "surplus": {"type": "integer"},
                                "waste_grams": _N,
                                "waste_kg": _TEXT,
                            },
                        },
                    },
                    "by_sector": {"type": "array", "items": _ECONOMY_ROW},
                    "by_district": {"type": "array", "items": _ECONOMY_ROW},
                    "monthly": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["month", "revenue", "active_enterprises"],
                            "properties": {
                                "month": _TEXT,
                                "start": {"type": "string", "format": "date"},
                                "end": {"type": "string", "format": "date"},
                                "revenue": {"type": "integer"},
                                "surplus": {"type": "integer"},
                                "waste_grams": _N,
                                "waste_kg": _TEXT,
                                "active_enterprises": _N,
                            },
                        },
                    },
                },
            },
        },
    },
)


def _metrics_json(metrics: Metrics) -> dict[str, Any]:
    return {
        "received": metrics.received,
        "resolved": metrics.resolved,
        "median_days": metrics.median_days,
        "p90_days": metrics.p90_days,
        "on_time_share": metrics.on_time_share,
    }


def _iso(at: dt.datetime | None) -> str | None:
    return None if at is None else at.isoformat().replace("+00:00", "Z")


@attrs.frozen
class DashboardFigures:
    """Everything the dashboard shows for one city, read from the domain packages.

    Args:
        desk: The city's service desk.
        policy: The CCTV access policy (its registry holds the cameras).
        monitor: The fleet monitor (health, uptime, events).
        economy: The city's economic picture.
    """

    desk: ServiceDesk
    policy: AccessPolicy
    monitor: FleetMonitor
    economy: CityEconomy

    def collect(self, month: Period, now: dt.datetime, *, staff: bool = False) -> dict[str, Any]:
        """The figures for ``month``, as of ``now``; ``staff`` adds what only staff may see.

        Raises:
            ValidationError: ``month`` is not a single calendar month.
        """
        if month != Period.month(month.start.year, month.start.month):
            raise ValidationError.single("month", "must be one calendar month, like 2026-11")
        city = self.desk.city
        zone = city.time_zone
        start = _midnight(zone, month.start)
        end = min(_midnight(zone, month.end + dt.timedelta(days=1)), now)
        if end <= start:
            raise ValidationError.single("month", "has not begun yet")
        districts = Region.get(city.region_code).children()
        return {
            "city": {"slug": city.slug, "name": city.name, "time_zone": zone.value},
            "month": f"{month.start:%Y-%m}",
            "as_of": _iso(now),
            "view": "staff" if staff else "public",
            "public_service": self._public_service(city, districts, start, end, now),
            "security": self._security(city, districts, end, staff=staff),
            "economy": self._economy(city, month),
        }

    def _public_service(
        self,
        city: CityProfile,
        districts: list[Region],
        start: dt.datetime,
        end: dt.datetime,
        now: dt.datetime,
    ) -> dict[str, Any]:
        desk = self.desk
        agencies = desk.agencies()
        by_agency = [
            {
                "code": a.code,
                "name": a.name,
                **_metrics_json(desk.metrics(start, end, agency=a.code)),
            }
            for a in agencies
        ]
        by_district = [
            {
                "code": d.code.value,
                "name": d.name,
                **_metrics_json(desk.metrics(start, end, district=d.code)),
            }
            for d in districts
        ]
        zone = city.time_zone
        last_day = zone.localize(end - dt.timedelta(microseconds=1)).date()
        monday = last_day - dt.timedelta(days=last_day.weekday())
        weeks = []
        for n in range(WEEKS - 1, -1, -1):
            first = monday - dt.timedelta(weeks=n)
            week_start = _midnight(zone, first)
            week_end = _midnight(zone, first + dt.timedelta(days=7))
            figures = desk.metrics(week_start, week_end)
            weeks.append(
                {
                    "week_of": first.isoformat(),
                    "received": figures.received,
                    "resolved": figures.resolved,
                }
            )
        services = {s.code: s.name for s in desk.services()}
        agency_names = {a.code: a.name for a in agencies}
        late = desk.overdue(now)
        return {
            **_metrics_json(desk.metrics(start, end)),
            "by_agency": by_agency,
            "by_district": by_district,
            "weekly": weeks,
            "overdue": {
                "count": len(late),
                "by_agency": dict(sorted(Counter(r.agency for r in late).items())),
                "most_late": [
                    {
                        "id": r.id,
                        "service_code": r.service_code,
                        "service": services.get(r.service_code, r.service_code),
                        "agency": r.agency,
                        "agency_name": agency_names.get(r.agency, r.agency),
                        "status": r.status.value,
                        "district": r.location.district.value if r.location.district else None,
                        "due": _iso(r.due_now()),
                    }
                    for r in late[:SHOWN]
                ],
            },
        }

    def _security(
        self, city: CityProfile, districts: list[Region], end: dt.datetime, *, staff: bool
    ) -> dict[str, Any]:
        cameras = self.policy.registry.list(city=city.slug)
        ids = [c.id for c in cameras]
        health = {h.camera_id: h for h in self.monitor.latest(ids)}
        uptime = self.monitor.uptime(end - dt.timedelta(days=7), end, ids) if ids else {}

        def online(camera: Camera) -> bool | None:
            found = health.get(camera.id)
            return None if found is None else found.online

        def tally(key: str, of: dict[str, list[Camera]]) -> list[dict[str, Any]]:
            rows = []
            for value, group in sorted(of.items()):
                states = [online(c) for c in group]
                shares = [s for c in group if (s := uptime.get(c.id)) is not None]
                rows.append(
                    {
                        key: value,
                        "cameras": len(group),
                        "online": states.count(True),
                        "offline": states.count(False),
                        "unknown": states.count(None),
                        "uptime_7d": sum(shares) / len(shares) if shares else None,
                    }
                )
            return rows

        by_district: dict[str, list[Camera]] = defaultdict(list)
        by_owner: dict[str, list[Camera]] = defaultdict(list)
        for camera in cameras:
            district = camera.location.district
            by_district[district.value if district else ""].append(camera)
            by_owner[camera.owner.kind.value].append(camera)
        names = {d.code.value: d.name for d in districts}
        district_rows = tally("district", by_district)
        for row in district_rows:
            row["name"] = names.get(row["district"], "")
        shares = [s for s in uptime.values() if s is not None]
        known = {c.id: c for c in cameras}
        events = [
            {
                "camera_id": e.camera_id,
                "camera": known[e.camera_id].name,
                "kind": e.kind.value,
                "at": _iso(e.at),
            }
            for e in self.monitor.events(limit=SHOWN, camera_ids=ids)
        ]
        down = []
        for camera in cameras:
            if online(camera) is False:
                went = self.monitor.events(camera.id, limit=50)
                since = next((e.at for e in went if e.kind is EventKind.DEVICE_OFFLINE), None)
                down.append((since, camera))
        down.sort(key=lambda pair: (pair[0] is None, pair[0] or end, pair[1].id))
        shown_on_map = [
            c for c in cameras if c.location.point and (staff or c.owner.kind is OwnerKind.CITY)
        ]
        return {
            "cameras": len(cameras),
            "online": sum(1 for c in cameras if online(c) is True),
            "offline": sum(1 for c in cameras if online(c) is False),
            "uptime_7d": sum(shares) / len(shares) if shares else None,
            "by_district": district_rows,
            "by_owner": tally("owner_kind", by_owner),
            "recent_events": events,
            "down_longest": [
                {"camera_id": c.id, "camera": c.name, "offline_since": _iso(since)}
                for since, c in down[:SHOWN]
            ],
            "map": [
                {
                    "camera_id": c.id,
                    "name": c.name,
                    "lat": c.location.point.latitude,  # type: ignore[union-attr]
                    "lon": c.location.point.longitude,  # type: ignore[union-attr]
                    "owner_kind": c.owner.kind.value,
                    **({"owner": c.owner.name} if staff else {}),
                    "online": online(c),
                }
                for c in shown_on_map
            ],
        }

    def _economy(self, city: CityProfile, month: Period) -> dict[str, Any]:
        year = Period(_year_back(month.start), month.end)
        overview = self.economy.overview(city.slug, year, group_by=("sector",)).to_json()
        by_district = self.economy.overview(city.slug, month, group_by=("district",)).to_json()
        top = self.economy.top_enterprises(city.slug, year, count=SHOWN)
        return {
            "period": str(year),
            "total": overview["total"],
            "top_enterprises": [e.to_json() for e in top],
            "by_sector": overview["rows"],
            "by_district": by_district["rows"],
            "monthly": overview["trend"],
        }


def _midnight(zone: TimeZone, day: dt.date) -> dt.datetime:
    """The instant a day begins in ``zone``, in UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone.zone).astimezone(dt.UTC)


def _year_back(first: dt.date) -> dt.date:
    """The first day of the month eleven months before ``first`` (twelve months in all)."""
    months = first.year * 12 + first.month - 1 - 11
    return dt.date(months // 12, months % 12 + 1, 1)


def _staff(city: str) -> bool:
    presented = key_from(request)
    if presented is None:
        return False
    keys: ApiKeys = current_app.extensions["smartcity"]["keys"]
    key: ApiKey | None = keys.authenticate(presented)
    if key is None:
        raise PermissionDeniedError("the API key is not valid")
    if key.role not in _STAFF or key.city not in (None, city):
        raise PermissionDeniedError("this key does not show this city's staff view")
    return True


@dashboard.get("/<city>")
@operation(
    "The dashboard's figures for a city",
    tag="dashboard",
    auth="optional",
    query=(
        Param(
            "month",
            {
                "type": "string",
                "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$",
                "x-error": "must be a month, like 2026-11",
            },
            "The month (YYYY-MM); the city's current month by default.",
        ),
    ),
    answers={
        200: Answer(
            "The figures: public without a key, more with a staff key of the city.",
            FIGURES,
            headers={"Cache-Control": "no-store for staff; public, max-age=10 otherwise"},
        )
    },
)
def figures(city: str) -> Response:
    """The dashboard's figures for a city (see the module's table)."""
    parts = current_app.extensions["smartcity"]
    desks: dict[str, ServiceDesk] = parts["desks"]
    desk = desks.get(city)
    if desk is None:
        raise NotFoundError(f"this server does not serve {city!r}: {', '.join(sorted(desks))}")
    staff = _staff(city)
    clock: Clock = parts["clock"]
    now = clock.now()
    text = request.args.get("month")
    if text:
        try:
            month = Period.parse(text)
        except ValidationError:
            raise ValidationError.single("month", "must be a month, like 2026-11") from None
    else:
        today = desk.city.time_zone.localize(now).date()
        month = Period.month(today.year, today.month)
    data = DashboardFigures(
        desk=desk,
        policy=parts["access_policy"],
        monitor=parts["fleet_monitor"],
        economy=parts["city_economy"],
    ).collect(month, now, staff=staff)
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store" if staff else "public, max-age=10"
    return response


@dashboard_page.get("/")
def page() -> Response:
    """The dashboard page: Bahasa Indonesia first, English by a switch, for every city served."""
    desks: dict[str, ServiceDesk] = current_app.extensions["smartcity"]["desks"]
    cities = [{"slug": d.city.slug, "name": d.city.name} for d in desks.values()]
    response = Response(
        render_template("dashboard.html", cities=cities, refresh_seconds=REFRESH_SECONDS),
        content_type="text/html; charset=utf-8",
    )
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    response.headers["Cache-Control"] = "no-cache"
    return response
