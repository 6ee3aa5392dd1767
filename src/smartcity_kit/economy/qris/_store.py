"""Tables of QRIS merchants and sales (SQLAlchemy Core), on the economy's metadata.

They live on :data:`smartcity_kit.economy._store.metadata` so that their foreign keys to
``economy_enterprises`` and ``economy_entries`` resolve; migration ``economy_0002`` creates them.
"""

from __future__ import annotations

import sqlalchemy as sa

from smartcity_kit.economy._store import metadata
from smartcity_kit.storage import JsonText, UtcDateTime

__all__ = ["merchants", "sales"]

_ENTERPRISE = "economy_enterprises.id"

merchants = sa.Table(
    "economy_qris_merchants",
    metadata,
    sa.Column("enterprise_id", sa.String(64), sa.ForeignKey(_ENTERPRISE), primary_key=True),
    sa.Column("nmid", sa.String(32), nullable=False),
    sa.Column("mcc", sa.String(4), nullable=False),
    sa.Column("name", sa.String(25), nullable=False),
    sa.Column("city", sa.String(15), nullable=False),
    sa.Column("postal_code", sa.String(10), nullable=True),
    sa.Column("criteria", sa.String(3), nullable=False),
    sa.Column("merchant_pan", sa.String(99), nullable=True),
    sa.Column("acquirer_guid", sa.String(99), nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)
sales = sa.Table(
    "economy_qris_sales",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("enterprise_id", sa.String(64), sa.ForeignKey(_ENTERPRISE), nullable=False),
    sa.Column("reference", sa.String(25), nullable=False),
    # [{"name", "quantity", "unit_price"}], prices in whole rupiah.
    sa.Column("items", JsonText, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("member", sa.Integer, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("paid_at", UtcDateTime, nullable=True),
    sa.Column("payment_id", sa.String(64), nullable=True),
    sa.Column("entry_id", sa.Integer, sa.ForeignKey("economy_entries.id"), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.UniqueConstraint("reference", name="uq_economy_qris_sales_reference"),
    sa.UniqueConstraint("payment_id", name="uq_economy_qris_sales_payment"),
)
# Lists of one enterprise's sales, newest first, by status or all.
sa.Index("ix_economy_qris_sales_enterprise", sales.c.enterprise_id, sales.c.status, sales.c.id)
