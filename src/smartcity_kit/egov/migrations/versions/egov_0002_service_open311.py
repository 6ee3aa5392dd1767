"""Services that take no requests: ``egov_services.open311`` (a permit is applied for elsewhere).

Revision ID: egov_0002
Revises: egov_0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "egov_0002"
down_revision = "egov_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("egov_services") as batch:
        batch.add_column(
            sa.Column("open311", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("egov_services") as batch:
        batch.drop_column("open311")
