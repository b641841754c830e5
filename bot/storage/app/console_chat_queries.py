"""What ``relaybot chat`` changes directly: the terminal customer's name."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.storage.models import Contact, ContactIdentity
from bot.storage.uow import Tx


async def rename_contact_of(tx: Tx, channel: str, external_id: str, name: str) -> None:
    """Give the contact known on ``channel`` as ``external_id`` (if any) the name ``name``."""
    contact = select(ContactIdentity.contact_id).where(
        ContactIdentity.channel == channel, ContactIdentity.external_id == external_id
    )
    await tx.session.execute(
        update(Contact).where(Contact.id.in_(contact)).values(name=name, updated_at=tx.now)
    )
