"""slack receipts: Slack requests committed before they are acknowledged, one per key

Revision ID: b2d4f6a8c0e1
Revises: a1c3e5f7b9d2
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.models

revision: str = "b2d4f6a8c0e1"
down_revision: str | None = "a1c3e5f7b9d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_receipts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", bot.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", bot.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("processed_at", bot.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_receipts")),
        sa.UniqueConstraint("key", name=op.f("uq_slack_receipts_key")),
    )
    op.create_index(
        "ix_slack_receipts_pending", "slack_receipts", ["processed_at", "claimed_until"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_slack_receipts_pending", table_name="slack_receipts")
    op.drop_table("slack_receipts")
