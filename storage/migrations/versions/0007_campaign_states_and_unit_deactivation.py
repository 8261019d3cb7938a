"""campaign states and unit deactivation.

A campaign's ``is_active`` flag becomes its ``state`` (draft → active → closed → archived): an
active campaign stays active, an inactive one becomes a draft. A unit gains ``deactivated_at``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 12:59:04.833806
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATE = sa.Enum(
    "draft",
    "active",
    "closed",
    "archived",
    name="campaignstate",
    native_enum=False,
    create_constraint=False,
    length=32,
)


def upgrade() -> None:
    """Add ``campaigns.state`` (from ``is_active``) and ``units.deactivated_at``."""
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", _STATE, server_default="active", nullable=False))
    op.execute(
        sa.text("UPDATE campaigns SET state = 'draft' WHERE is_active = :no").bindparams(no=False)
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("is_active")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Back to ``is_active`` (only an active campaign stays active); drop ``deactivated_at``."""
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("deactivated_at")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    op.execute(
        sa.text("UPDATE campaigns SET is_active = :no WHERE state <> 'active'").bindparams(
            no=False
        )
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("state")
