"""smartcity-kit: build and share smart-city modules for Indonesian cities.

The domain packages are :mod:`smartcity_kit.core` (value types every module shares) and, as they
are built, ``egov``, ``security`` and ``economy``. Errors live in :mod:`smartcity_kit.errors`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("smartcity-kit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
