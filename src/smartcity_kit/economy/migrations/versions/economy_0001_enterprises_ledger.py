"""Neighbourhood enterprises: registry, members, ledger, closings, SHU, waste bank.

Revision ID: economy_0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "economy_0001"
down_revision = None
branch_labels = ("economy",)
depends_on = None

TIME = sa.String(27)
ENTERPRISE = "economy_enterprises.id"


def upgrade() -> None:
    op.create_table(
        "economy_enterprises",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("city", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("sector", sa.String(32), nullable=False),
        sa.Column("legal_form", sa.String(32), nullable=False),
        sa.Column("village", sa.String(13), nullable=False),
        sa.Column("district", sa.String(8), nullable=False),
        sa.Column("lorong", sa.String(100), nullable=False),
        sa.Column("street", sa.String(200), nullable=True),
        sa.Column("rt", sa.Integer(), nullable=True),
        sa.Column("rw", sa.Integer(), nullable=True),
        sa.Column("postal_code", sa.String(5), nullable=True),
        sa.Column("founded", sa.Date(), nullable=False),
        sa.Column("nib", sa.String(13), nullable=True),
        sa.Column("mentor_agency", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("closed_through", sa.Date(), nullable=True),
        sa.Column("next_member", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_economy_enterprises_area", "economy_enterprises", ["city", "district"])
    op.create_table(
        "economy_accounts",
        sa.Column("enterprise", sa.String(64), sa.ForeignKey(ENTERPRISE), primary_key=True),
        sa.Column("code", sa.String(8), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("contra", sa.Boolean(), nullable=False),
        sa.Column("savings", sa.String(16), nullable=True),
    )
    op.create_table(
        "economy_members",
        sa.Column("enterprise", sa.String(64), sa.ForeignKey(ENTERPRISE), primary_key=True),
        sa.Column("number", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("nik", sa.String(16), nullable=True),
        sa.Column("joined", sa.Date(), nullable=False),
        sa.Column("left", sa.Date(), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
    )
    op.create_table(
        "economy_entries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("enterprise", sa.String(64), sa.ForeignKey(ENTERPRISE), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("reverses", sa.Integer(), nullable=True, unique=True),
        sa.Column("posted_at", TIME, nullable=False),
        sa.Column("posted_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_economy_entries_date", "economy_entries", ["enterprise", "date"])
    op.create_table(
        "economy_lines",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("entry", sa.Integer(), sa.ForeignKey("economy_entries.id"), nullable=False),
        sa.Column("enterprise", sa.String(64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("grp", sa.SmallInteger(), nullable=False),
        sa.Column("account", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("member", sa.Integer(), nullable=True),
        sa.Column("memo", sa.String(200), nullable=True),
    )
    op.create_index("ix_economy_lines_enterprise", "economy_lines", ["enterprise", "date"])
    op.create_index("ix_economy_lines_month", "economy_lines", ["month"])
    op.create_index("ix_economy_lines_entry", "economy_lines", ["entry"])
    op.create_index(
        "ix_economy_lines_aggregate",
        "economy_lines",
        ["enterprise", "month", "grp", "kind", "date", "amount"],
    )
    op.create_index("ix_economy_lines_member", "economy_lines", ["enterprise", "member", "account"])
    op.create_table(
        "economy_closings",
        sa.Column("enterprise", sa.String(64), sa.ForeignKey(ENTERPRISE), primary_key=True),
        sa.Column("through", sa.Date(), primary_key=True),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("entry", sa.Integer(), nullable=True),
        sa.Column("result", sa.BigInteger(), nullable=False),
        sa.Column("closed_at", TIME, nullable=False),
        sa.Column("closed_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "economy_shu",
        sa.Column("enterprise", sa.String(64), sa.ForeignKey(ENTERPRISE), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("entry", sa.Integer(), sa.ForeignKey("economy_entries.id"), nullable=False),
        sa.Column("distribution", sa.Text(), nullable=False),
    )
    op.create_table(
        "economy_waste_types",
        sa.Column("enterprise", sa.String(64), sa.ForeignKey(ENTERPRISE), primary_key=True),
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
    )
    op.create_table(
        "economy_waste_prices",
        sa.Column("enterprise", sa.String(64), primary_key=True),
        sa.Column("waste_type", sa.String(32), primary_key=True),
        sa.Column("effective_from", sa.Date(), primary_key=True),
        sa.Column("buy_per_kg", sa.BigInteger(), nullable=False),
        sa.Column("sell_per_kg", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "economy_waste_movements",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("entry", sa.Integer(), sa.ForeignKey("economy_entries.id"), nullable=False),
        sa.Column("enterprise", sa.String(64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("member", sa.Integer(), nullable=True),
        sa.Column("waste_type", sa.String(32), nullable=False),
        sa.Column("grams", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        "ix_economy_waste_enterprise", "economy_waste_movements", ["enterprise", "date"]
    )
    op.create_index("ix_economy_waste_month", "economy_waste_movements", ["month"])
    op.create_index("ix_economy_waste_entry", "economy_waste_movements", ["entry"])


def downgrade() -> None:
    for index, table in (
        ("ix_economy_waste_entry", "economy_waste_movements"),
        ("ix_economy_waste_month", "economy_waste_movements"),
        ("ix_economy_waste_enterprise", "economy_waste_movements"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "economy_waste_movements",
        "economy_waste_prices",
        "economy_waste_types",
        "economy_shu",
        "economy_closings",
    ):
        op.drop_table(table)
    for index in (
        "ix_economy_lines_aggregate",
        "ix_economy_lines_entry",
        "ix_economy_lines_member",
        "ix_economy_lines_month",
        "ix_economy_lines_enterprise",
    ):
        op.drop_index(index, table_name="economy_lines")
    op.drop_table("economy_lines")
    op.drop_index("ix_economy_entries_date", table_name="economy_entries")
    for table in ("economy_entries", "economy_members", "economy_accounts"):
        op.drop_table(table)
    op.drop_index("ix_economy_enterprises_area", table_name="economy_enterprises")
    op.drop_table("economy_enterprises")
