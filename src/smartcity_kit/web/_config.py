"""What a deployment of the web app is configured with."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import attrs

from smartcity_kit.core import CityProfile

__all__ = ["AppConfig"]


def _cities(value: Iterable[CityProfile]) -> tuple[CityProfile, ...]:
    return tuple(value)


def _origins(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class AppConfig:
    """Settings of :func:`smartcity_kit.web.create_app`.

    Attributes:
        database_url: The database (default: ``SMARTCITY_DATABASE_URL`` or ``./smartcity.db``).
        cities: The cities served; Open311 picks one by ``jurisdiction_id``.
        public_url: Where the app is reached, for the discovery document.
        contact: Who to contact about the API (discovery ``contact``).
        key_service: How to get an API key (discovery ``key_service``).
        cors_origins: Origins allowed to call the API from a browser (none by default).
        max_body_bytes: Requests with a larger body are refused with 413.
        check_responses: Check every answer of an ``/api/`` endpoint against its OpenAPI
            declaration and turn a mismatch into a 500 naming it (for test suites; it costs
            time). Also turned on by the environment variable ``SMARTCITY_CHECK_RESPONSES=1``.
        access_log: Receives the access log's line for each request (JSON, no personal data,
            no keys); None sends them to the ``smartcity_kit.web.access`` logger instead.
    """

    database_url: str | None = None
    cities: tuple[CityProfile, ...] = attrs.field(
        factory=lambda: (CityProfile.builtin("makassar"),), converter=_cities
    )
    public_url: str = "http://127.0.0.1:8080"
    contact: str = "Diskominfo"
    key_service: str = "Ask the city's Diskominfo for an API key (open311-client role)."
    cors_origins: tuple[str, ...] = attrs.field(default=(), converter=_origins)
    max_body_bytes: int = 1_000_000
    check_responses: bool = False
    access_log: Callable[[str], None] | None = attrs.field(default=None, eq=False, repr=False)
