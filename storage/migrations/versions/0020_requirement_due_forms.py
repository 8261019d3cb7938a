"""requirement due forms.

A requirement "chưa có hạn" (``due_date`` NULL; its first deadline set later is a
``deadline_changes`` row without ``old_due``), the first day of a range or period
(``due_start``) and a yearly rule (``recurrence``).

Revision ID: 0020
Revises: 0023
Create Date: 2026-11-30 18:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Make ``requirements.due_date`` (and a change's ``old_due``) nullable; add columns."""
    with op.batch_alter_table("requirements", schema=None) as batch_op:
        batch_op.alter_column("due_date", existing_type=sa.Date(), nullable=True)
        batch_op.add_column(sa.Column("due_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("recurrence", sa.JSON(), nullable=True))
    with op.batch_alter_table("deadline_changes", schema=None) as batch_op:
        batch_op.alter_column("old_due", existing_type=sa.Date(), nullable=True)


def downgrade() -> None:
    """Drop the new columns; a requirement without a day takes today."""
    op.execute(
        "UPDATE requirements SET due_date = COALESCE(due_start, CURRENT_DATE) "
        "WHERE due_date IS NULL"
    )
    op.execute("UPDATE deadline_changes SET old_due = new_due WHERE old_due IS NULL")
    with op.batch_alter_table("deadline_changes", schema=None) as batch_op:
        batch_op.alter_column("old_due", existing_type=sa.Date(), nullable=False)
    with op.batch_alter_table("requirements", schema=None) as batch_op:
        batch_op.drop_column("recurrence")
        batch_op.drop_column("due_start")
        batch_op.alter_column("due_date", existing_type=sa.Date(), nullable=False)
