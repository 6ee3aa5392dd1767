"""``smartcity-kit db`` and ``smartcity-kit audit``: the database and the audit log."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator

import click
from sqlalchemy.exc import SQLAlchemyError

from smartcity_kit.cli._output import echo_json, fail
from smartcity_kit.core import parse_instant
from smartcity_kit.errors import SmartCityError
from smartcity_kit.storage import (
    DEFAULT_URL,
    ENV_URL,
    AuditAnchor,
    AuditLog,
    Database,
    current_revisions,
    pending_revisions,
    upgrade,
)

db_option = click.option(
    "--db",
    "url",
    envvar=ENV_URL,
    default=DEFAULT_URL,
    show_default=True,
    metavar="URL",
    help=f"Database URL (or set {ENV_URL}).",
)


@contextlib.contextmanager
def opened(url: str, *, create: bool = False) -> Iterator[Database]:
    """Open the database; turn our errors and the driver's into one clear line (exit 2).

    Only ``db upgrade`` creates a new SQLite file; the other commands refuse a missing one.
    """
    try:
        db = Database(url, must_exist=not create)
    except SmartCityError as e:
        fail(str(e))
    try:
        yield db
    except SmartCityError as e:
        fail(str(e))
    except SQLAlchemyError as e:
        reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
        fail(f"cannot use the database {db.url}: {reason}")
    finally:
        db.dispose()


@click.group()
def db() -> None:
    """Create and upgrade the database schema."""


@db.command("upgrade")
@db_option
def db_upgrade(url: str) -> None:
    """Bring the database to the current schema (safe to run again)."""
    with opened(url, create=True) as database:
        revisions = upgrade(database)
        click.echo(f"{database.url} is at {', '.join(revisions)} (current)")


@db.command("current")
@db_option
def db_current(url: str) -> None:
    """Print the schema revision the database is at."""
    with opened(url) as database:
        current = current_revisions(database)
        missing = pending_revisions(database)
        if not current:
            click.echo(f"{database.url} has no schema yet: run `smartcity-kit db upgrade`")
            return
        state = (
            f"lacks {', '.join(missing)}: run `smartcity-kit db upgrade`" if missing else "current"
        )
        click.echo(f"{', '.join(current)} ({state})")


@click.group()
def audit() -> None:
    """Verify, show and anchor the tamper-evident audit log."""


@audit.command("verify")
@db_option
@click.option("--anchor", metavar="SEQ:HASH", help="An exported head the chain must still hold.")
def audit_verify(url: str, anchor: str | None) -> None:
    """Walk the chain and recompute every hash.

    Exits 0 when the log is intact, 1 when an entry was altered, removed or reordered (naming the
    first bad entry), 2 when the database cannot be read.
    """
    with opened(url) as database:
        expected = AuditAnchor.parse(anchor) if anchor else None
        report = AuditLog(database).verify(anchor=expected)
    if report.intact:
        click.echo(f"Audit log intact: {report.entries} entries, head {report.head}")
        return
    click.echo(f"Audit log BROKEN at entry {report.first_bad_seq}: {report.problem}", err=True)
    raise SystemExit(1)


@audit.command("head")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def audit_head(url: str, as_json: bool) -> None:
    """Print the newest entry's number and hash (SEQ:HASH) to publish as an anchor."""
    with opened(url) as database:
        head = AuditLog(database).head()
    if as_json:
        echo_json({"seq": head.seq, "hash": head.hash})
    else:
        click.echo(str(head))


def _instant(value: str | None, name: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
        # No offset means UTC; then the same checks as every other instant read from input.
        return parse_instant(
            (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).isoformat(), name
        )
    except (ValueError, OverflowError):
        fail(f"{name}: must be an ISO 8601 date or date-time, e.g. 2026-11-23T08:00+08:00")


@audit.command("show")
@db_option
@click.option("--subject", help="Only entries about this subject (request:1042).")
@click.option("--actor", help="Only entries by this actor.")
@click.option("--action", help="Only entries of this action.")
@click.option("--since", metavar="TIME", help="From this ISO 8601 time (UTC when no offset).")
@click.option("--until", metavar="TIME", help="Before this ISO 8601 time.")
@click.option("--limit", type=click.IntRange(1), help="Only the newest N entries.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def audit_show(  # noqa: PLR0913, PLR0917 - one parameter per filter
    url: str,
    subject: str | None,
    actor: str | None,
    action: str | None,
    since: str | None,
    until: str | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """List audit entries, oldest first."""
    start, end = _instant(since, "--since"), _instant(until, "--until")
    with opened(url) as database:
        found = AuditLog(database).entries(
            subject=subject, actor=actor, action=action, since=start, until=end, limit=limit
        )
    if as_json:
        echo_json(
            [
                {
                    "seq": e.seq,
                    "at": e.at.isoformat(),
                    "actor": e.actor,
                    "action": e.action,
                    "subject": e.subject,
                    "details": dict(e.details),
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                }
                for e in found
            ]
        )
        return
    for e in found:
        click.echo(
            f"{e.seq:>6}  {e.at:%Y-%m-%d %H:%M:%S}Z  {e.actor}  {e.action}  {e.subject}"
            + (f"  {json.dumps(dict(e.details), ensure_ascii=False)}" if e.details else "")
        )
