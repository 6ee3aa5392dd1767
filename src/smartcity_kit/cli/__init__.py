"""The ``smartcity-kit`` command line."""

from smartcity_kit.cli._main import main

__all__ = ["main"]
