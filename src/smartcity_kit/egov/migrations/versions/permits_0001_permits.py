"""The permit register: applications, their history, and the permit-number counters.

Revision ID: permits_0001
Revises: egov_0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "permits_0001"
down_revision = "egov_0001"  # after the service desk: its tables are referenced
branch_labels = ("permits",)
depends_on = None

TIME = sa.String(27)


def upgrade() -> None:
    op.create_table(
        "egov_permit_applications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("city", sa.String(64), nullable=False),
        sa.Column("service_code", sa.String(64), nullable=False),
        sa.Column("service_name", sa.String(200), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("applicant_kind", sa.String(16), nullable=False),
        sa.Column("applicant_name", sa.String(200), nullable=False),
        sa.Column("applicant_id", sa.String(16), nullable=False),
        sa.Column("checklist", sa.Text(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("documents", sa.Text(), nullable=False),
        sa.Column("missing", sa.Text(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("submitted_at", TIME, nullable=True),
        sa.Column("paused_at", TIME, nullable=True),
        sa.Column("paused_days", sa.Integer(), nullable=False),
        sa.Column("due_at", TIME, nullable=True),
        sa.Column("decided_at", TIME, nullable=True),
        sa.Column("payment_reference", sa.String(100), nullable=True),
        sa.Column("paid_at", TIME, nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("number", sa.String(100), nullable=True),
        sa.Column("issued_at", TIME, nullable=True),
        sa.Column("valid_from", sa.String(10), nullable=True),
        sa.Column("valid_until", sa.String(10), nullable=True),
        sa.Column("revoked_at", TIME, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city", "service_code"],
            ["egov_services.city", "egov_services.code"],
            name="fk_egov_permit_applications_service",
        ),
        # The last guard against two permits with one number, whatever the code above does.
        sa.UniqueConstraint("city", "number", name="uq_egov_permit_applications_number"),
    )
    op.create_index(
        "ix_egov_permit_applications_city_status", "egov_permit_applications", ["city", "status"]
    )
    op.create_index(
        "ix_egov_permit_applications_city_agency", "egov_permit_applications", ["city", "agency"]
    )
    op.create_index("ix_egov_permit_applications_number", "egov_permit_applications", ["number"])
    op.create_table(
        "egov_permit_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "application_id",
            sa.Integer(),
            sa.ForeignKey("egov_permit_applications.id"),
            nullable=False,
        ),
        sa.Column("at", TIME, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
    )
    op.create_index(
        "ix_egov_permit_events_application", "egov_permit_events", ["application_id", "id"]
    )
    op.create_table(
        "egov_permit_counters",
        sa.Column("city", sa.String(64), primary_key=True),
        sa.Column("agency", sa.String(20), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("last_seq", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("egov_permit_counters")
    op.drop_table("egov_permit_events")
    op.drop_table("egov_permit_applications")
