"""unit signer.

A unit's own exports sign for the unit: ``units.signer_title`` and ``units.signer_name``, set
once by the unit head in the chat (``/vanban``).

Revision ID: 0012
Revises: 0009
Create Date: 2026-11-30 15:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``units.signer_title`` and ``units.signer_name``."""
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signer_title", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("signer_name", sa.String(length=200), nullable=True))


def downgrade() -> None:
    """Drop the unit's signer."""
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("signer_name")
        batch_op.drop_column("signer_title")
