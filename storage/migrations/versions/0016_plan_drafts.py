"""plan drafts.

A plan read from a document in the chat (``/kehoach``): what was read and edited, kept until
the secretariat creates the campaign (or cancels).

Revision ID: 0016
Revises: 0013
Create Date: 2026-11-30 16:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``plan_drafts``."""
    op.create_table(
        "plan_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_plan_drafts_campaign_id_campaigns"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["people.id"], name=op.f("fk_plan_drafts_created_by_people")
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["stored_files.id"], name=op.f("fk_plan_drafts_file_id_stored_files")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["people.id"], name=op.f("fk_plan_drafts_updated_by_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_drafts")),
    )
    with op.batch_alter_table("plan_drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_drafts_status"), ["status"], unique=False)


def downgrade() -> None:
    """Drop ``plan_drafts``."""
    with op.batch_alter_table("plan_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_drafts_status"))
    op.drop_table("plan_drafts")
