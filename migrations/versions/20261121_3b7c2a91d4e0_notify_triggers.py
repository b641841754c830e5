"""NOTIFY the relaybot processes when events, outbound items or timers are stored

On PostgreSQL, several relaybot processes may share the database. These statement
triggers send a notification on the channel each kind of work is announced on; it
reaches the listening processes when the transaction commits. SQLite has one
process: nothing to do there.

Revision ID: 3b7c2a91d4e0
Revises: fdd441f15c28
Create Date: 2026-11-21 08:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3b7c2a91d4e0"
down_revision: str | None = "fdd441f15c28"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGERS = (
    ("events_notify", "AFTER INSERT ON events", "relaybot_events"),
    ("outbox_notify", "AFTER INSERT ON outbox", "relaybot_outbox"),
    ("timers_notify", "AFTER INSERT OR UPDATE OF due_at, status ON timers", "relaybot_timers"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION relaybot_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify(TG_ARGV[0], '');
            RETURN NULL;
        END
        $$
        """
    )
    for name, when, channel in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION relaybot_notify('{channel}')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, when, _channel in TRIGGERS:
        table = when.rsplit(" ", 1)[1]
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS relaybot_notify()")
