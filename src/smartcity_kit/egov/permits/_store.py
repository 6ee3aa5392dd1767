"""Tables of the permit register and the mapping between rows and models."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from smartcity_kit.core import Nib, Nik, Rupiah
from smartcity_kit.egov.permits._models import (
    Applicant,
    ApplicantKind,
    ApplicationEvent,
    Document,
    PermitApplication,
    PermitStatus,
)
from smartcity_kit.storage import JsonText, UtcDateTime

metadata = sa.MetaData()

applications = sa.Table(
    "egov_permit_applications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("city", sa.String(64), nullable=False),
    sa.Column("service_code", sa.String(64), nullable=False),
    sa.Column("service_name", sa.String(200), nullable=False),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("applicant_kind", sa.String(16), nullable=False),
    sa.Column("applicant_name", sa.String(200), nullable=False),
    sa.Column("applicant_id", sa.String(16), nullable=False),
    sa.Column("checklist", JsonText, nullable=False),
    sa.Column("fee", sa.BigInteger, nullable=False),
    sa.Column("working_days", sa.Integer, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("documents", JsonText, nullable=False),
    sa.Column("missing", JsonText, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("submitted_at", UtcDateTime, nullable=True),
    sa.Column("paused_at", UtcDateTime, nullable=True),
    sa.Column("paused_days", sa.Integer, nullable=False),
    sa.Column("due_at", UtcDateTime, nullable=True),
    sa.Column("decided_at", UtcDateTime, nullable=True),
    sa.Column("payment_reference", sa.String(100), nullable=True),
    sa.Column("paid_at", UtcDateTime, nullable=True),
    sa.Column("notes", sa.Text, nullable=False),
    sa.Column("number", sa.String(100), nullable=True),
    sa.Column("issued_at", UtcDateTime, nullable=True),
    sa.Column("valid_from", sa.String(10), nullable=True),
    sa.Column("valid_until", sa.String(10), nullable=True),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
)
events = sa.Table(
    "egov_permit_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("application_id", sa.Integer, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("notes", sa.Text, nullable=False),
)
counters = sa.Table(
    "egov_permit_counters",
    metadata,
    sa.Column("city", sa.String(64), primary_key=True),
    sa.Column("agency", sa.String(20), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("last_seq", sa.Integer, nullable=False),
)


def next_sequence(conn: Connection, city: str, agency: str, year: int) -> int:
    """The next number of the city's office in ``year``, taken inside the caller's transaction.

    The counter row is made if missing (``ON CONFLICT DO NOTHING``, so two first issuers do not
    collide), then raised by one with ``UPDATE ... RETURNING``: on PostgreSQL the update locks
    the row until the transaction ends, so a concurrent issuer waits and reads the raised value;
    on SQLite the writer already holds the database's only write lock.
    """
    key = {"city": city, "agency": agency, "year": year}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(counters).values(**key, last_seq=0).on_conflict_do_nothing())
    return int(
        conn.execute(
            sa.update(counters)
            .where(counters.c.city == city, counters.c.agency == agency, counters.c.year == year)
            .values(last_seq=counters.c.last_seq + 1)
            .returning(counters.c.last_seq)
        ).scalar_one()
    )


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _document_json(d: Document) -> dict[str, Any]:
    return {
        "item": d.item,
        "name": d.name,
        "sha256": d.sha256,
        "size": d.size,
        "media_type": d.media_type,
    }


def application_values(a: PermitApplication) -> dict[str, Any]:
    """The row values of an application (without its id)."""
    applicant = a.applicant
    identifier = applicant.nik.reveal() if applicant.nik is not None else str(applicant.nib)
    return {
        "city": a.city,
        "service_code": a.service_code,
        "service_name": a.service_name,
        "agency": a.agency,
        "applicant_kind": applicant.kind.value,
        "applicant_name": applicant.name,
        "applicant_id": identifier,
        "checklist": list(a.checklist),
        "fee": a.fee.amount,
        "working_days": a.working_days,
        "status": a.status.value,
        "documents": [_document_json(d) for d in a.documents],
        "missing": list(a.missing),
        "created_at": a.created_at,
        "updated_at": a.updated_at,
        "submitted_at": a.submitted_at,
        "paused_at": a.paused_at,
        "paused_days": a.paused_days,
        "due_at": a.due_at,
        "decided_at": a.decided_at,
        "payment_reference": a.payment_reference,
        "paid_at": a.paid_at,
        "notes": a.notes,
        "number": a.number,
        "issued_at": a.issued_at,
        "valid_from": _day(a.valid_from),
        "valid_until": _day(a.valid_until),
        "revoked_at": a.revoked_at,
        "version": a.version,
    }


def application_from_row(row: Any) -> PermitApplication:
    """An application from its row."""
    kind = ApplicantKind(row.applicant_kind)
    applicant = (
        Applicant.person(row.applicant_name, Nik(row.applicant_id))
        if kind is ApplicantKind.PERSON
        else Applicant.business(row.applicant_name, Nib(row.applicant_id))
    )
    return PermitApplication(
        id=row.id,
        city=row.city,
        service_code=row.service_code,
        service_name=row.service_name,
        agency=row.agency,
        applicant=applicant,
        checklist=tuple(row.checklist),
        fee=Rupiah(row.fee),
        working_days=row.working_days,
        status=PermitStatus(row.status),
        documents=[Document(**d) for d in row.documents],
        missing=row.missing,
        created_at=row.created_at,
        updated_at=row.updated_at,
        submitted_at=row.submitted_at,
        paused_at=row.paused_at,
        paused_days=row.paused_days,
        due_at=row.due_at,
        decided_at=row.decided_at,
        payment_reference=row.payment_reference,
        paid_at=row.paid_at,
        notes=row.notes,
        number=row.number,
        issued_at=row.issued_at,
        valid_from=dt.date.fromisoformat(row.valid_from) if row.valid_from else None,
        valid_until=dt.date.fromisoformat(row.valid_until) if row.valid_until else None,
        revoked_at=row.revoked_at,
        version=row.version,
    )


def event_from_row(row: Any) -> ApplicationEvent:
    """A history step from its row."""
    return ApplicationEvent(
        application_id=row.application_id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        notes=row.notes,
    )
