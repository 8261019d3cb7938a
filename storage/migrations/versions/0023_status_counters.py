"""status counters: the standings and nominations counted per block and kind of units.

``standing_counts`` (per requirement, block, kind, retired, mark, late),
``nomination_block_counts`` (per campaign, block, kind, form, subject, gender, status) and
``nomination_unit_totals`` (per campaign and unit, the nominations that count), and an index
of the submissions' review times (the digest's returned versions). Created empty,
then filled from the standings and nomination counters already there (the same computation as
``tdkt stats rebuild``).

Revision ID: 0023
Revises: 0019
Create Date: 2026-11-30 18:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SUBJECT = sa.Enum("ca_nhan", "tap_the", name="subjectkind", native_enum=False, length=32)
_STATUS = sa.Enum(
    "submitted",
    "accepted",
    "returned",
    "withdrawn",
    name="nominationstatus",
    native_enum=False,
    length=32,
)


def upgrade() -> None:
    """Create the three tables and fill them."""
    op.create_table(
        "standing_counts",
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("block", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("mark", sa.Integer(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirements.id"],
            name=op.f("fk_standing_counts_requirement_id_requirements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "requirement_id",
            "block",
            "kind",
            "retired",
            "mark",
            "late",
            name=op.f("pk_standing_counts"),
        ),
    )
    op.create_table(
        "nomination_block_counts",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("block", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("award_code", sa.String(length=32), nullable=False),
        sa.Column("subject", _SUBJECT, nullable=False),
        sa.Column("gender", sa.String(length=8), nullable=False),
        sa.Column("status", _STATUS, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_nomination_block_counts_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id",
            "block",
            "kind",
            "award_code",
            "subject",
            "gender",
            "status",
            name=op.f("pk_nomination_block_counts"),
        ),
    )
    op.create_table(
        "nomination_unit_totals",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_nomination_unit_totals_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_nomination_unit_totals_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("campaign_id", "unit_id", name=op.f("pk_nomination_unit_totals")),
    )
    op.create_index("ix_submissions_reviewed_at", "submissions", ["reviewed_at"], unique=False)
    # The models of this revision (see 0013): filled from the read models already there.
    from storage import nomination_counts, standing_counts

    bind = op.get_bind()
    rids = bind.execute(sa.text("SELECT id FROM requirements")).scalars().all()
    standing_counts.recompute(bind, rids)
    nomination_counts.rebuild_roll_ups(bind, None)


def downgrade() -> None:
    """Drop the three tables and the index."""
    op.drop_index("ix_submissions_reviewed_at", table_name="submissions")
    op.drop_table("nomination_unit_totals")
    op.drop_table("nomination_block_counts")
    op.drop_table("standing_counts")
