"""lookups by index: receipts for parts of split messages, runs left mid-call

Revision ID: e4b8d1f6a2c7
Revises: c5d2f8a41e93
Create Date: 2026-11-21 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e4b8d1f6a2c7'
down_revision: str | None = 'c5d2f8a41e93'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CALLING = "status = 'calling'"


def upgrade() -> None:
    parts = op.create_table(
        'message_parts',
        sa.Column('external_id', sa.String(length=255), nullable=False),
        sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.ForeignKeyConstraint(
            ['message_id'], ['messages.id'], name=op.f('fk_message_parts_message_id_messages'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('external_id', 'message_id', name=op.f('pk_message_parts')),
    )
    op.create_index(op.f('ix_message_parts_message_id'), 'message_parts', ['message_id'], unique=False)
    # messages already sent in parts keep their ids comma-separated in messages.external_id
    split = op.get_bind().execute(
        sa.text("SELECT id, external_id FROM messages WHERE direction = 'out' AND external_id LIKE '%,%'")
    ).all()
    rows = [
        {"external_id": part, "message_id": message_id}
        for message_id, joined in split
        for part in dict.fromkeys(p for p in joined.split(",") if p)
    ]
    if rows:
        op.bulk_insert(parts, rows)
    op.create_index(
        'ix_workflow_runs_calling', 'workflow_runs', ['status'], unique=False,
        sqlite_where=sa.text(CALLING), postgresql_where=sa.text(CALLING),
    )


def downgrade() -> None:
    op.drop_index('ix_workflow_runs_calling', table_name='workflow_runs')
    op.drop_index(op.f('ix_message_parts_message_id'), table_name='message_parts')
    op.drop_table('message_parts')
