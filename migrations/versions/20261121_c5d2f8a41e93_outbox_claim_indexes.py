"""outbox claim indexes: pending items in id order, earlier pending items per destination

Revision ID: c5d2f8a41e93
Revises: a3c9e1d27b40
Create Date: 2026-11-21 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'c5d2f8a41e93'
down_revision: str | None = 'a3c9e1d27b40'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_outbox_status_id', 'outbox', ['status', 'id'], unique=False)
    op.create_index(
        'ix_outbox_destination_status_id', 'outbox', ['destination', 'status', 'id'], unique=False
    )


def downgrade() -> None:
    op.drop_index('ix_outbox_destination_status_id', table_name='outbox')
    op.drop_index('ix_outbox_status_id', table_name='outbox')
