"""journal lanes: each inbound journal entry records its conversation's lane

Revision ID: c6e8a0b2d4f1
Revises: b2d4f6a8c0e1
Create Date: 2026-12-07 14:00:00

Entries journaled before the upgrade are in lane 0, so they are processed in their
arrival order, as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c6e8a0b2d4f1"
down_revision: str | None = "b2d4f6a8c0e1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "inbound_journal",
        sa.Column("lane", sa.Integer(), server_default="0", nullable=False),
    )
    op.create_index(
        "ix_inbound_journal_lane_pending",
        "inbound_journal",
        ["lane", "id"],
        unique=False,
        sqlite_where=sa.text("processed_at IS NULL"),
        postgresql_where=sa.text("processed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_journal_lane_pending", table_name="inbound_journal")
    with op.batch_alter_table("inbound_journal") as batch:
        batch.drop_column("lane")
