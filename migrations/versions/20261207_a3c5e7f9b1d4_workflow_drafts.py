"""workflow drafts: one unpublished YAML text per workflow name, with who saved it and when

Revision ID: a3c5e7f9b1d4
Revises: f2b4d6f8a0c3
Create Date: 2026-12-07 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.models

revision: str = "a3c5e7f9b1d4"
down_revision: str | None = "f2b4d6f8a0c3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workflow_drafts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("saved_by", sa.String(length=320), nullable=False),
        sa.Column("saved_at", bot.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_drafts")),
        sa.UniqueConstraint("name", name=op.f("uq_workflow_drafts_name")),
    )


def downgrade() -> None:
    op.drop_table("workflow_drafts")
