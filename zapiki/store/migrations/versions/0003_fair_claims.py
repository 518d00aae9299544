"""indexes for fair claims: the next user with pending jobs in a queue, and a user's jobs in flight

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 08:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_jobs_pick_user", "jobs", ["status", "queue", "user_id", "created_at"])
    op.create_index("ix_jobs_status_user", "jobs", ["status", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_jobs_status_user", table_name="jobs")
    op.drop_index("ix_jobs_pick_user", table_name="jobs")
