"""status indexes: covering indexes for the secretariat's status figures.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 03:09:08.048890
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the indexes the status figures (handlers.queries.stats) read instead of the tables."""
    op.create_index(
        "ix_nominations_campaign_award",
        "nominations",
        ["campaign_id", "award_code", "subject", "gender", "status", "unit_id"],
        unique=False,
    )
    op.create_index(
        "ix_nominations_campaign_created",
        "nominations",
        ["campaign_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_nominations_campaign_unit_status",
        "nominations",
        ["campaign_id", "unit_id", "status"],
        unique=False,
    )
    op.create_index(
        "ix_nominations_req_unit_status",
        "nominations",
        ["requirement_id", "unit_id", "status", "created_at"],
        unique=False,
    )
    op.create_index("ix_submissions_submitted_at", "submissions", ["submitted_at"], unique=False)


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_submissions_submitted_at", table_name="submissions")
    op.drop_index("ix_nominations_req_unit_status", table_name="nominations")
    op.drop_index("ix_nominations_campaign_unit_status", table_name="nominations")
    op.drop_index("ix_nominations_campaign_created", table_name="nominations")
    op.drop_index("ix_nominations_campaign_award", table_name="nominations")
