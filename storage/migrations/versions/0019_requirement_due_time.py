"""requirement due time.

A deadline may carry an hour ("trước 16g30 ngày 15/11/2019"): ``requirements.due_time``, the
time of day in the campaign's timezone (NULL: the end of the day).

Revision ID: 0019
Revises: 0017
Create Date: 2026-11-30 18:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``requirements.due_time``."""
    with op.batch_alter_table("requirements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_time", sa.Time(), nullable=True))


def downgrade() -> None:
    """Drop the requirement's hour."""
    with op.batch_alter_table("requirements", schema=None) as batch_op:
        batch_op.drop_column("due_time")
