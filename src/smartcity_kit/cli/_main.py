"""The ``smartcity-kit`` command group."""

from __future__ import annotations

import click

from smartcity_kit.cli._bulo import bulo
from smartcity_kit.cli._cameras import cameras
from smartcity_kit.cli._cctv import cctv
from smartcity_kit.cli._cooperation import cooperation
from smartcity_kit.cli._evidence import evidence
from smartcity_kit.cli._keys import keys
from smartcity_kit.cli._nik import nik
from smartcity_kit.cli._permits import permits
from smartcity_kit.cli._qris import qris
from smartcity_kit.cli._region import region
from smartcity_kit.cli._serve import serve
from smartcity_kit.cli._storage import audit, db


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="smartcity-kit", prog_name="smartcity-kit")
def main() -> None:
    """Smart-city modules for Indonesian cities (smartcity-kit)."""


main.add_command(nik)
main.add_command(region)
main.add_command(db)
main.add_command(audit)
main.add_command(keys)
main.add_command(serve)
main.add_command(cameras)
main.add_command(cctv)
main.add_command(evidence)
main.add_command(bulo)
main.add_command(qris)
main.add_command(permits)
main.add_command(cooperation)
