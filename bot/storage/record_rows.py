"""The rows the record repositories load stay in the session until the transaction ends.

The repositories hand out plain values, so nothing outside holds the ORM rows they read,
and the session's identity map, which holds rows weakly, would forget them: the next
look-up of the same row by id (the agent just chosen, the conversation just locked)
would cost another SELECT. Kept here, a look-up by id is answered from the session.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.storage.uow import Tx

_KEY = "relaybot.record_rows"


def keep(tx: Tx, rows: Iterable[object]) -> None:
    """Hold ``rows`` (ORM objects of ``tx``'s session) until the session is closed."""
    tx.session.info.setdefault(_KEY, []).extend(rows)
