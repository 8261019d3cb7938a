"""status count indexes: the active units per kind, and the units with the most nominations.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 01:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the indexes the secretariat's figures read instead of the tables.

    ``units (deactivated_at, kind)``: the active units per kind counted from the index alone;
    ``nomination_unit_totals (campaign_id, n)``: the units with the most nominations read
    from its end, not sorted.
    """
    op.create_index("ix_units_active_kind", "units", ["deactivated_at", "kind"], unique=False)
    op.create_index(
        "ix_nomination_unit_totals_top",
        "nomination_unit_totals",
        ["campaign_id", "n"],
        unique=False,
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_nomination_unit_totals_top", table_name="nomination_unit_totals")
    op.drop_index("ix_units_active_kind", table_name="units")
