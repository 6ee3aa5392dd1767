"""Tables of the economy module (enterprises, members, ledger, waste bank, SHU)."""

from __future__ import annotations

import sqlalchemy as sa

from smartcity_kit.storage import JsonText, UtcDateTime

__all__ = [
    "accounts",
    "closings",
    "enterprises",
    "entries",
    "lines",
    "members",
    "metadata",
    "shu_distributions",
    "waste_movements",
    "waste_prices",
    "waste_types",
]

metadata = sa.MetaData()
_ENTERPRISE = "economy_enterprises.id"
#: Amounts in whole rupiah, signed: debits positive, credits negative.
_AMOUNT = sa.BigInteger

enterprises = sa.Table(
    "economy_enterprises",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("city", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("sector", sa.String(32), nullable=False),
    sa.Column("legal_form", sa.String(32), nullable=False),
    sa.Column("village", sa.String(13), nullable=False),
    sa.Column("district", sa.String(8), nullable=False),
    sa.Column("lorong", sa.String(100), nullable=False),
    sa.Column("street", sa.String(200), nullable=True),
    sa.Column("rt", sa.Integer, nullable=True),
    sa.Column("rw", sa.Integer, nullable=True),
    sa.Column("postal_code", sa.String(5), nullable=True),
    sa.Column("founded", sa.Date, nullable=False),
    sa.Column("nib", sa.String(13), nullable=True),
    sa.Column("mentor_agency", sa.String(200), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("closed_through", sa.Date, nullable=True),
    sa.Column("next_member", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)
accounts = sa.Table(
    "economy_accounts",
    metadata,
    sa.Column("enterprise", sa.String(64), sa.ForeignKey(_ENTERPRISE), primary_key=True),
    sa.Column("code", sa.String(8), primary_key=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("contra", sa.Boolean, nullable=False),
    sa.Column("savings", sa.String(16), nullable=True),
)
members = sa.Table(
    "economy_members",
    metadata,
    sa.Column("enterprise", sa.String(64), sa.ForeignKey(_ENTERPRISE), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("nik", sa.String(16), nullable=True),
    sa.Column("joined", sa.Date, nullable=False),
    sa.Column("left", sa.Date, nullable=True),
    sa.Column("role", sa.String(16), nullable=False),
)
entries = sa.Table(
    "economy_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("enterprise", sa.String(64), sa.ForeignKey(_ENTERPRISE), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("description", sa.String(500), nullable=False),
    sa.Column("reverses", sa.Integer, nullable=True, unique=True),
    sa.Column("posted_at", UtcDateTime, nullable=False),
    sa.Column("posted_by", sa.String(200), nullable=False),
)
lines = sa.Table(
    "economy_lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entry", sa.Integer, sa.ForeignKey("economy_entries.id"), nullable=False),
    sa.Column("enterprise", sa.String(64), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    # yyyymm and the account's group digit (1-6), kept beside each line for fast aggregates.
    sa.Column("month", sa.Integer, nullable=False),
    sa.Column("grp", sa.SmallInteger, nullable=False),
    sa.Column("account", sa.String(8), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("amount", _AMOUNT, nullable=False),
    sa.Column("member", sa.Integer, nullable=True),
    sa.Column("memo", sa.String(200), nullable=True),
)
closings = sa.Table(
    "economy_closings",
    metadata,
    sa.Column("enterprise", sa.String(64), sa.ForeignKey(_ENTERPRISE), primary_key=True),
    sa.Column("through", sa.Date, primary_key=True),
    sa.Column("start", sa.Date, nullable=False),
    sa.Column("entry", sa.Integer, nullable=True),
    sa.Column("result", _AMOUNT, nullable=False),
    sa.Column("closed_at", UtcDateTime, nullable=False),
    sa.Column("closed_by", sa.String(200), nullable=False),
)
shu_distributions = sa.Table(
    "economy_shu",
    metadata,
    sa.Column("enterprise", sa.String(64), sa.ForeignKey(_ENTERPRISE), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("entry", sa.Integer, sa.ForeignKey("economy_entries.id"), nullable=False),
    sa.Column("distribution", JsonText, nullable=False),
)
waste_types = sa.Table(
    "economy_waste_types",
    metadata,
    sa.Column("enterprise", sa.String(64), sa.ForeignKey(_ENTERPRISE), primary_key=True),
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
)
waste_prices = sa.Table(
    "economy_waste_prices",
    metadata,
    sa.Column("enterprise", sa.String(64), primary_key=True),
    sa.Column("waste_type", sa.String(32), primary_key=True),
    sa.Column("effective_from", sa.Date, primary_key=True),
    sa.Column("buy_per_kg", _AMOUNT, nullable=False),
    sa.Column("sell_per_kg", _AMOUNT, nullable=True),
)
waste_movements = sa.Table(
    "economy_waste_movements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entry", sa.Integer, sa.ForeignKey("economy_entries.id"), nullable=False),
    sa.Column("enterprise", sa.String(64), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("month", sa.Integer, nullable=False),
    sa.Column("member", sa.Integer, nullable=True),
    sa.Column("waste_type", sa.String(32), nullable=False),
    # Grams in (deposits, positive) and out (sales, negative), and their value at cost.
    sa.Column("grams", sa.BigInteger, nullable=False),
    sa.Column("value", _AMOUNT, nullable=False),
)
sa.Index("ix_economy_enterprises_area", enterprises.c.city, enterprises.c.district)
sa.Index("ix_economy_entries_date", entries.c.enterprise, entries.c.date)
sa.Index("ix_economy_lines_enterprise", lines.c.enterprise, lines.c.date)
sa.Index("ix_economy_lines_month", lines.c.month)
sa.Index("ix_economy_lines_entry", lines.c.entry)
sa.Index("ix_economy_waste_entry", waste_movements.c.entry)
# Covers the city's aggregate: read from the index alone, already in group order.
sa.Index(
    "ix_economy_lines_aggregate",
    lines.c.enterprise,
    lines.c.month,
    lines.c.grp,
    lines.c.kind,
    lines.c.date,
    lines.c.amount,
)
sa.Index("ix_economy_lines_member", lines.c.enterprise, lines.c.member, lines.c.account)
sa.Index("ix_economy_waste_enterprise", waste_movements.c.enterprise, waste_movements.c.date)
sa.Index("ix_economy_waste_month", waste_movements.c.month)
