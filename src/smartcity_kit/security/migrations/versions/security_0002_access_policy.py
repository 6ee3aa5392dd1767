"""Sharing cameras under policy: organisations, accounts, agreements, incident grants, access log.

Revision ID: security_0002
Revises: security_0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "security_0002"
down_revision = "security_0001"
branch_labels = None
depends_on = None

TIME = sa.String(27)


def upgrade() -> None:
    op.create_table(
        "security_organisations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("city", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
    )
    op.create_table(
        "security_accounts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "organisation",
            sa.String(64),
            sa.ForeignKey("security_organisations.id"),
            nullable=False,
        ),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=True, unique=True),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "security_agreements",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "owner", sa.String(64), sa.ForeignKey("security_organisations.id"), nullable=False
        ),
        sa.Column(
            "grantee", sa.String(64), sa.ForeignKey("security_organisations.id"), nullable=False
        ),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("rights", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.String(200), nullable=False),
        sa.Column("valid_from", TIME, nullable=False),
        sa.Column("valid_until", TIME, nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("revoked_at", TIME, nullable=True),
        sa.Column("revoked_by", sa.String(64), nullable=True),
        sa.Column("revoke_reason", sa.String(500), nullable=True),
    )
    op.create_index("ix_security_agreements_pair", "security_agreements", ["owner", "grantee"])
    op.create_table(
        "security_grants",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_number", sa.String(100), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column(
            "owner", sa.String(64), sa.ForeignKey("security_organisations.id"), nullable=False
        ),
        sa.Column(
            "organisation",
            sa.String(64),
            sa.ForeignKey("security_organisations.id"),
            nullable=False,
        ),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("approved_by", sa.String(64), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("radius_m", sa.Integer(), nullable=False),
        sa.Column("cameras", sa.Text(), nullable=False),
        sa.Column("rights", sa.Text(), nullable=False),
        sa.Column("footage_from", TIME, nullable=False),
        sa.Column("footage_until", TIME, nullable=False),
        sa.Column("granted_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.Column("revoked_at", TIME, nullable=True),
        sa.Column("revoked_by", sa.String(64), nullable=True),
        sa.Column("revoke_reason", sa.String(500), nullable=True),
    )
    op.create_index("ix_security_grants_organisation", "security_grants", ["organisation"])
    op.create_index("ix_security_grants_case", "security_grants", ["case_number"])
    op.create_table(
        "security_access_log",
        sa.Column("audit_seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("organisation", sa.String(64), nullable=True),
        sa.Column("camera", sa.String(64), nullable=False),
        sa.Column("right", sa.String(16), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("basis", sa.String(16), nullable=True),
        sa.Column("agreement", sa.String(64), nullable=True),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("case_number", sa.String(100), nullable=True),
        sa.Column("reason", sa.String(1000), nullable=False),
    )
    op.create_index("ix_security_access_log_camera", "security_access_log", ["camera", "at"])
    op.create_index(
        "ix_security_access_log_organisation", "security_access_log", ["organisation", "at"]
    )
    op.create_index("ix_security_access_log_grant", "security_access_log", ["grant_id"])
    op.create_index("ix_security_access_log_case", "security_access_log", ["case_number"])


def downgrade() -> None:
    op.drop_table("security_access_log")
    op.drop_table("security_grants")
    op.drop_table("security_agreements")
    op.drop_table("security_accounts")
    op.drop_table("security_organisations")
