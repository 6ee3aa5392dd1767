"""QRIS: each enterprise's merchant data, and sales paid by QRIS.

Revision ID: economy_0002
Revises: economy_0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "economy_0002"
down_revision = "economy_0001"
branch_labels = None
depends_on = None

TIME = sa.String(27)
ENTERPRISE = "economy_enterprises.id"


def upgrade() -> None:
    op.create_table(
        "economy_qris_merchants",
        sa.Column("enterprise_id", sa.String(64), sa.ForeignKey(ENTERPRISE), primary_key=True),
        sa.Column("nmid", sa.String(32), nullable=False),
        sa.Column("mcc", sa.String(4), nullable=False),
        sa.Column("name", sa.String(25), nullable=False),
        sa.Column("city", sa.String(15), nullable=False),
        sa.Column("postal_code", sa.String(10), nullable=True),
        sa.Column("criteria", sa.String(3), nullable=False),
        sa.Column("merchant_pan", sa.String(99), nullable=True),
        sa.Column("acquirer_guid", sa.String(99), nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_table(
        "economy_qris_sales",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("enterprise_id", sa.String(64), sa.ForeignKey(ENTERPRISE), nullable=False),
        sa.Column("reference", sa.String(25), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("member", sa.Integer(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("paid_at", TIME, nullable=True),
        sa.Column("payment_id", sa.String(64), nullable=True),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("economy_entries.id"), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("reference", name="uq_economy_qris_sales_reference"),
        sa.UniqueConstraint("payment_id", name="uq_economy_qris_sales_payment"),
    )
    op.create_index(
        "ix_economy_qris_sales_enterprise",
        "economy_qris_sales",
        ["enterprise_id", "status", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_economy_qris_sales_enterprise", table_name="economy_qris_sales")
    op.drop_table("economy_qris_sales")
    op.drop_table("economy_qris_merchants")
