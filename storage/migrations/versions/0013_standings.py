"""standings: the per (requirement, unit) read model of the status figures.

Created empty, then filled from the submissions and nominations already there (the same
computation as ``tdkt stats rebuild``).

Revision ID: 0013
Revises: 0015
Create Date: 2026-11-30 15:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``standings`` and fill it."""
    op.create_table(
        "standings",
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("n_returned", sa.Integer(), nullable=False),
        sa.Column("parts_done", sa.Integer(), nullable=False),
        sa.Column("n_open", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("n_noms", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirements.id"],
            name=op.f("fk_standings_requirement_id_requirements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_standings_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("requirement_id", "unit_id", name=op.f("pk_standings")),
    )
    op.create_index(
        "ix_standings_unit_requirement", "standings", ["unit_id", "requirement_id"], unique=False
    )
    from storage.standings import rebuild_sync  # the models of this revision: see its docstring

    rebuild_sync(op.get_bind())


def downgrade() -> None:
    """Drop ``standings``."""
    op.drop_index("ix_standings_unit_requirement", table_name="standings")
    op.drop_table("standings")
