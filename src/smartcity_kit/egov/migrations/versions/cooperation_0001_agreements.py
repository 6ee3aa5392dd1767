"""Cooperation agreements (kerja sama daerah): partners, agreements and their activities.

Revision ID: cooperation_0001
Revises: egov_0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cooperation_0001"
down_revision = "egov_0001"  # after the service desk: its tables are referenced
branch_labels = ("cooperation",)
depends_on = None

TIME = sa.String(27)


def upgrade() -> None:
    op.create_table(
        "egov_coop_partners",
        sa.Column("city", sa.String(64), primary_key=True),
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("region_code", sa.String(16), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "egov_coop_agreements",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("city", sa.String(64), nullable=False),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column(
            "implements", sa.Integer(), sa.ForeignKey("egov_coop_agreements.id"), nullable=True
        ),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("agencies", sa.Text(), nullable=False),
        sa.Column("number", sa.String(100), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("signing_event", sa.String(200), nullable=True),
        sa.Column("term_start", sa.Date(), nullable=True),
        sa.Column("term_end", sa.Date(), nullable=True),
        sa.Column("renewal", sa.String(16), nullable=False),
        sa.Column("documents", sa.Text(), nullable=False),
        sa.Column("approvals", sa.Text(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_notes", sa.Text(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city", "partner"],
            ["egov_coop_partners.city", "egov_coop_partners.code"],
            name="fk_egov_coop_agreements_partner",
        ),
    )
    op.create_index(
        "ix_egov_coop_agreements_city_status", "egov_coop_agreements", ["city", "status"]
    )
    op.create_index(
        "ix_egov_coop_agreements_city_end", "egov_coop_agreements", ["city", "term_end"]
    )
    op.create_table(
        "egov_coop_activities",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "agreement_id",
            sa.Integer(),
            sa.ForeignKey("egov_coop_agreements.id"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", TIME, nullable=False),
    )
    op.create_index(
        "ix_egov_coop_activities_agreement", "egov_coop_activities", ["agreement_id", "starts"]
    )


def downgrade() -> None:
    op.drop_table("egov_coop_activities")
    op.drop_table("egov_coop_agreements")
    op.drop_table("egov_coop_partners")
