"""The audit trail: who did what to which record, from where. Never holds a secret."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from unique.actor import Actor
from unique.db.tables import AuditEvent


def record(
    session: AsyncSession,
    action: str,
    actor: Actor,
    *,
    account_id: uuid.UUID | None,
    target_id: str = "",
) -> None:
    """Add an event to the caller's transaction, so it commits or rolls back with the change."""
    session.add(
        AuditEvent(
            action=action,
            account_id=account_id,
            actor_user_id=actor.user_id,
            actor_key_id=actor.key_id,
            target_id=target_id,
            source_addr=actor.address,
            user_agent=actor.user_agent,
            request_id=actor.request_id,
        )
    )
