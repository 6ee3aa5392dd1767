"""``python -m smartcity_kit.cli``: the same as the ``smartcity-kit`` command."""

from smartcity_kit.cli import main

main(prog_name="smartcity-kit")
