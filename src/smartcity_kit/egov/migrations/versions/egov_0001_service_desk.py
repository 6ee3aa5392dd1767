"""The service desk: agencies, the service catalogue, service requests and their history.

Revision ID: egov_0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "egov_0001"
down_revision = None
branch_labels = ("egov",)
depends_on = None

TIME = sa.String(27)


def upgrade() -> None:
    op.create_table(
        "egov_agencies",
        sa.Column("city", sa.String(64), primary_key=True),
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_table(
        "egov_services",
        sa.Column("city", sa.String(64), primary_key=True),
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("group_name", sa.String(200), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("standard", sa.Text(), nullable=False),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city", "agency"],
            ["egov_agencies.city", "egov_agencies.code"],
            name="fk_egov_services_agency",
        ),
    )
    op.create_table(
        "egov_requests",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("city", sa.String(64), nullable=False),
        sa.Column("service_code", sa.String(64), nullable=False),
        sa.Column("classification", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("address", sa.String(500), nullable=True),
        sa.Column("address_id", sa.String(100), nullable=True),
        sa.Column("district", sa.String(8), nullable=True),
        sa.Column("media_url", sa.String(2000), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("requested_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("verify_due", TIME, nullable=False),
        sa.Column("answer_due", TIME, nullable=True),
        sa.Column("complete_due", TIME, nullable=False),
        sa.Column("closed_at", TIME, nullable=True),
        sa.Column("duplicate_of", sa.Integer(), sa.ForeignKey("egov_requests.id"), nullable=True),
        sa.Column("status_notes", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city", "service_code"],
            ["egov_services.city", "egov_services.code"],
            name="fk_egov_requests_service",
        ),
    )
    op.create_index("ix_egov_requests_city_requested", "egov_requests", ["city", "requested_at"])
    op.create_index("ix_egov_requests_city_updated", "egov_requests", ["city", "updated_at"])
    op.create_index("ix_egov_requests_city_status", "egov_requests", ["city", "status"])
    op.create_index("ix_egov_requests_city_agency", "egov_requests", ["city", "agency"])
    op.create_table(
        "egov_request_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("egov_requests.id"), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
    )
    op.create_index("ix_egov_request_events_request", "egov_request_events", ["request_id", "id"])


def downgrade() -> None:
    op.drop_table("egov_request_events")
    op.drop_table("egov_requests")
    op.drop_table("egov_services")
    op.drop_table("egov_agencies")
