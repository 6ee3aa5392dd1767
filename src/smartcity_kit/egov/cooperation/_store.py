"""Tables of the cooperation register and the mapping between rows and models."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from smartcity_kit.core import RegionCode
from smartcity_kit.egov.cooperation._models import (
    Activity,
    Agreement,
    Approval,
    Document,
    Partner,
    Term,
)
from smartcity_kit.storage import JsonText, UtcDateTime

metadata = sa.MetaData()

partners = sa.Table(
    "egov_coop_partners",
    metadata,
    sa.Column("city", sa.String(64), primary_key=True),
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("region_code", sa.String(16), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
)
agreements = sa.Table(
    "egov_coop_agreements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("city", sa.String(64), nullable=False),
    sa.Column("partner", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("implements", sa.Integer, nullable=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("fields", JsonText, nullable=False),
    sa.Column("agencies", JsonText, nullable=False),
    sa.Column("number", sa.String(100), nullable=True),
    sa.Column("signed_on", sa.Date, nullable=True),
    sa.Column("signing_event", sa.String(200), nullable=True),
    sa.Column("term_start", sa.Date, nullable=True),
    sa.Column("term_end", sa.Date, nullable=True),
    sa.Column("renewal", sa.String(16), nullable=False),
    sa.Column("documents", JsonText, nullable=False),
    sa.Column("approvals", JsonText, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("status_notes", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)
activities = sa.Table(
    "egov_coop_activities",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("agreement_id", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("starts", sa.Date, nullable=False),
    sa.Column("ends", sa.Date, nullable=False),
    sa.Column("participants", sa.Integer, nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.String(200), nullable=False),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
)


def partner_values(partner: Partner) -> dict[str, Any]:
    """The row values of a partner (without its version)."""
    return {
        "city": partner.city,
        "code": partner.code,
        "kind": partner.kind.value,
        "name": partner.name,
        "country": partner.country,
        "region_code": partner.region_code.value if partner.region_code else None,
    }


def partner_from_row(row: Any) -> Partner:
    """A partner from its row."""
    return Partner(
        city=row.city,
        code=row.code,
        kind=row.kind,
        name=row.name,
        country=row.country,
        region_code=RegionCode(row.region_code) if row.region_code else None,
    )


def agreement_values(agreement: Agreement) -> dict[str, Any]:
    """The row values of an agreement (without its id)."""
    term = agreement.term
    return {
        "city": agreement.city,
        "partner": agreement.partner,
        "kind": agreement.kind.value,
        "implements": agreement.implements,
        "title": agreement.title,
        "fields": [f.value for f in agreement.fields],
        "agencies": list(agreement.agencies),
        "number": agreement.number,
        "signed_on": agreement.signed_on,
        "signing_event": agreement.signing_event,
        "term_start": term.start if term else None,
        "term_end": term.end if term else None,
        "renewal": agreement.renewal.value,
        "documents": [{"name": d.name, "sha256": d.sha256} for d in agreement.documents],
        "approvals": [
            {
                "kind": a.kind.value,
                "decision": a.decision.value,
                "reference": a.reference,
                "decided_on": a.decided_on.isoformat(),
                "notes": a.notes,
                "withdrawn_on": a.withdrawn_on.isoformat() if a.withdrawn_on else None,
            }
            for a in agreement.approvals
        ],
        "status": agreement.status.value,
        "status_notes": agreement.status_notes,
        "created_at": agreement.created_at,
        "updated_at": agreement.updated_at,
        "version": agreement.version,
    }


def agreement_from_row(row: Any) -> Agreement:
    """An agreement from its row."""
    return Agreement(
        id=row.id,
        city=row.city,
        partner=row.partner,
        kind=row.kind,
        implements=row.implements,
        title=row.title,
        fields=row.fields,
        agencies=row.agencies,
        number=row.number,
        signed_on=row.signed_on,
        signing_event=row.signing_event,
        term=Term(row.term_start, row.term_end) if row.term_start else None,
        renewal=row.renewal,
        documents=[Document(d["name"], d["sha256"]) for d in row.documents],
        approvals=[
            Approval(
                kind=a["kind"],
                decision=a["decision"],
                reference=a["reference"],
                decided_on=dt.date.fromisoformat(a["decided_on"]),
                notes=a["notes"],
                withdrawn_on=(
                    dt.date.fromisoformat(a["withdrawn_on"]) if a.get("withdrawn_on") else None
                ),
            )
            for a in row.approvals
        ],
        status=row.status,
        status_notes=row.status_notes,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def activity_values(activity: Activity) -> dict[str, Any]:
    """The row values of an activity (without its id and recording time)."""
    return {
        "agreement_id": activity.agreement_id,
        "kind": activity.kind.value,
        "title": activity.title,
        "starts": activity.starts,
        "ends": activity.ends,
        "participants": activity.participants,
        "outcome": activity.outcome,
        "recorded_by": activity.recorded_by,
    }


def activity_from_row(row: Any) -> Activity:
    """An activity from its row."""
    return Activity(
        id=row.id,
        agreement_id=row.agreement_id,
        kind=row.kind,
        title=row.title,
        starts=row.starts,
        ends=row.ends,
        participants=row.participants,
        outcome=row.outcome,
        recorded_by=row.recorded_by,
    )
