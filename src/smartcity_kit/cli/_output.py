"""Output helpers shared by the subcommands."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, NoReturn

import click

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def fail(message: str) -> NoReturn:
    """Print one error line to stderr and exit with status 2 (bad input)."""
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(2)


def warn(message: str) -> None:
    """Print one warning line to stderr."""
    click.echo(f"Warning: {message}", err=True)


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def long_date(day: dt.date) -> str:
    """``15 August 1995``, whatever the locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def table(rows: Sequence[tuple[str, ...]]) -> None:
    """Print rows as left-aligned columns."""
    if not rows:
        return
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]).rstrip())
