"""requirement unit blocks: a requirement may apply to the units of listed emulation blocks.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 18:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``requirements.unit_blocks`` (empty: every block)."""
    with op.batch_alter_table("requirements", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unit_blocks", sa.JSON(), server_default="[]", nullable=False)
        )


def downgrade() -> None:
    """Drop ``requirements.unit_blocks``."""
    with op.batch_alter_table("requirements", schema=None) as batch_op:
        batch_op.drop_column("unit_blocks")
