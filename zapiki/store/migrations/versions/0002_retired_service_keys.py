"""retired service keys: old public keys stay verifiable after a rotation

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 08:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retired_service_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_retired_service_keys_name", "retired_service_keys", ["name"])


def downgrade() -> None:
    op.drop_index("ix_retired_service_keys_name", table_name="retired_service_keys")
    op.drop_table("retired_service_keys")
