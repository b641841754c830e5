"""inbound journal: raw webhook payloads committed before they are acknowledged

Revision ID: a3c9e1d27b40
Revises: 3b7c2a91d4e0
Create Date: 2026-11-21 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import bot.storage.models

revision: str = 'a3c9e1d27b40'
down_revision: str | None = '3b7c2a91d4e0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inbound_journal',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('received_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_journal')),
    sa.UniqueConstraint('channel', 'external_id', name=op.f('uq_inbound_journal_channel_external_id'))
    )
    op.create_index('ix_inbound_journal_pending', 'inbound_journal', ['processed_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_inbound_journal_pending', table_name='inbound_journal')
    op.drop_table('inbound_journal')
