"""nomination counts: the per (campaign, unit, form, subject, gender, status) read model.

Created empty, then filled from the nominations already there (the same computation as
``tdkt stats rebuild``).

Revision ID: 0017
Revises: 0018
Create Date: 2026-11-30 16:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``nomination_counts`` and fill it."""
    op.create_table(
        "nomination_counts",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("award_code", sa.String(length=32), nullable=False),
        sa.Column(
            "subject",
            sa.Enum("ca_nhan", "tap_the", name="subjectkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("gender", sa.String(length=8), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "accepted",
                "returned",
                "withdrawn",
                name="nominationstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_nomination_counts_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_nomination_counts_unit_id_units")
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id",
            "unit_id",
            "award_code",
            "subject",
            "gender",
            "status",
            name=op.f("pk_nomination_counts"),
        ),
    )
    from storage.nomination_counts import rebuild_sync  # the models of this revision

    rebuild_sync(op.get_bind())


def downgrade() -> None:
    """Drop ``nomination_counts``."""
    op.drop_table("nomination_counts")
