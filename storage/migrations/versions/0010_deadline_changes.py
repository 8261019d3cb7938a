"""deadline changes (gia hạn).

A requirement gains ``unit_due`` (the later deadlines of listed units) and every extension is
kept in ``deadline_changes`` with the deadline it replaced.

Revision ID: 0010
Revises: 0012
Create Date: 2026-11-30 15:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``requirements.unit_due``, ``original_due`` and the ``deadline_changes`` table."""
    with op.batch_alter_table("requirements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_due", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("original_due", sa.Date(), nullable=True))
    op.create_table(
        "deadline_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("old_due", sa.Date(), nullable=False),
        sa.Column("new_due", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_deadline_changes_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirements.id"],
            name=op.f("fk_deadline_changes_requirement_id_requirements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_deadline_changes_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_changes")),
    )
    with op.batch_alter_table("deadline_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deadline_changes_requirement_id"), ["requirement_id"], unique=False
        )


def downgrade() -> None:
    """Drop ``deadline_changes`` and the requirements' extension columns."""
    with op.batch_alter_table("deadline_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deadline_changes_requirement_id"))
    op.drop_table("deadline_changes")
    with op.batch_alter_table("requirements", schema=None) as batch_op:
        batch_op.drop_column("original_due")
        batch_op.drop_column("unit_due")
