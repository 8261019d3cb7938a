"""people removed and invites revoked.

A person removed by the secretariat keeps their row (history, audit) with ``removed_at``; their
chat accounts no longer act for them. An invite revoked by a newer batch gets ``revoked_at`` and
can no longer be used.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 15:05:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``people.removed_at`` and ``invites.revoked_at``."""
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop ``invites.revoked_at`` and ``people.removed_at``."""
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.drop_column("revoked_at")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("removed_at")
