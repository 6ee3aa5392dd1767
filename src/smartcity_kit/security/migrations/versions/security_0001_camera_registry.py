"""The camera registry: sites, cameras (credentials encrypted), health, status changes, events.

Revision ID: security_0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "security_0001"
down_revision = None
branch_labels = ("security",)
depends_on = None

TIME = sa.String(27)


def _location() -> list[sa.Column[object]]:
    return [
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("address", sa.String(500), nullable=True),
        sa.Column("district", sa.String(8), nullable=True),
        sa.Column("village", sa.String(13), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "security_sites",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("city", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        *_location(),
    )
    op.create_table(
        "security_cameras",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("city", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("owner_kind", sa.String(16), nullable=False),
        sa.Column("owner_code", sa.String(64), nullable=False),
        sa.Column("owner_name", sa.String(200), nullable=False),
        sa.Column("owner_contact", sa.Text(), nullable=False),
        sa.Column("protocol", sa.String(16), nullable=False),
        sa.Column("host", sa.String(253), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(5), nullable=False),
        sa.Column("channel", sa.Integer(), nullable=False),
        sa.Column("rtsp_port", sa.Integer(), nullable=False),
        *_location(),
        sa.Column("site", sa.String(64), sa.ForeignKey("security_sites.id"), nullable=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("streams", sa.Text(), nullable=False),
        sa.Column("installed", sa.String(10), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_security_cameras_city_district", "security_cameras", ["city", "district"])
    op.create_index("ix_security_cameras_owner", "security_cameras", ["owner_code"])
    op.create_table(
        "security_health",
        sa.Column("camera_id", sa.String(64), primary_key=True),
        sa.Column("checked_at", TIME, nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("authenticated", sa.Boolean(), nullable=True),
        sa.Column("clock_drift", sa.Float(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("snapshot_ok", sa.Boolean(), nullable=True),
        sa.Column("error", sa.String(300), nullable=True),
        sa.Column("since", TIME, nullable=False),
    )
    op.create_table(
        "security_status_changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
    )
    op.create_index(
        "ix_security_status_changes_camera_at", "security_status_changes", ["camera_id", "at"]
    )
    op.create_table(
        "security_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("vendor_type", sa.String(200), nullable=False),
        sa.Column("channel", sa.Integer(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
    )
    op.create_index("ix_security_events_camera_at", "security_events", ["camera_id", "at"])


def downgrade() -> None:
    op.drop_table("security_events")
    op.drop_table("security_status_changes")
    op.drop_table("security_health")
    op.drop_table("security_cameras")
    op.drop_table("security_sites")
