"""The web application: Open311 GeoReport v2, the staff JSON API, health (extra ``server``).

Flask is imported only here; everything below works without it.
"""

from smartcity_kit.web._app import create_app
from smartcity_kit.web._config import AppConfig

__all__ = ["AppConfig", "create_app"]
