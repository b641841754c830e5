"""NOTIFY payloads name the process that stored the work

Each relaybot process sets ``relaybot.origin`` on its database connections; the
triggers send it as the notification's payload, and a process's listener ignores its
own notifications (its commits already woke its workers). Connections that set no
origin send an empty payload, which every listener heeds, as before.

Revision ID: 7d1e4c9a2b58
Revises: e4b8d1f6a2c7
Create Date: 2026-11-22 02:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7d1e4c9a2b58"
down_revision: str | None = "e4b8d1f6a2c7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE OR REPLACE FUNCTION relaybot_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], {payload});
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION.format(payload="coalesce(current_setting('relaybot.origin', true), '')"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION.format(payload="''"))
