"""export job params.

What a job needs beyond its kind, format and scope: a /tinhhinh chart's filter (block, unit
kind), its subtitle and its number among the campaigns shown.

Revision ID: 0018
Revises: 0016
Create Date: 2026-11-30 16:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``export_jobs.params``."""
    with op.batch_alter_table("export_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop ``export_jobs.params``."""
    with op.batch_alter_table("export_jobs", schema=None) as batch_op:
        batch_op.drop_column("params")
