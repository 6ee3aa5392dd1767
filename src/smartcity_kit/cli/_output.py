"""Output helpers shared by the subcommands."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any, Final, NoReturn

import click

from smartcity_kit.errors import ValidationError

_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")

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


@contextlib.contextmanager
def field_errors() -> Iterator[None]:
    """A ValidationError becomes one ``Error: field: message`` line per field, and exit 2."""
    try:
        yield
    except ValidationError as e:
        for error in e.errors:
            click.echo(f"Error: {error}", err=True)
        raise SystemExit(2) from None


def day_option(text: str, option: str, example: str) -> dt.date:
    """A ``YYYY-MM-DD`` option as a date (exit 2 with one line, showing ``example``, if not)."""
    value = text.strip()
    day = None
    if _DATE.fullmatch(value):
        with contextlib.suppress(ValueError):
            day = dt.date.fromisoformat(value)
    if day is None:
        fail(f"{option}: must be a date (YYYY-MM-DD), e.g. {example}")
    return day


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
