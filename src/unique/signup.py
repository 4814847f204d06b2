"""Who may create an account from the Console: the operator's ``UNIQUE_SIGNUP`` policy.

``open`` lets anyone sign up; ``invite`` only an address an operator invited (``unique admin
invite``), once; ``closed`` nobody, leaving accounts to ``unique admin create-user``. The
operator's own commands are never refused: the policy guards the public page only.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from unique.accounts import find_user_by_email, normalize_email, validate_email
from unique.config import SignupMode
from unique.db.tables import Invitation, utcnow
from unique.errors import Conflict, DomainError


class SignupRefused(DomainError):
    code = "SIGNUP_REFUSED"


async def invite(session: AsyncSession, email: str) -> Invitation:
    """Let ``email`` sign up while sign-up is by invitation; inviting twice changes nothing."""
    email = validate_email(email)
    if await find_user_by_email(session, email) is not None:
        raise Conflict(f"{email} already has an account")
    existing = await _invitation(session, email)
    if existing is not None:
        return existing
    invitation = Invitation(email=email, email_normalized=normalize_email(email))
    session.add(invitation)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict(f"{email} was invited at the same moment; try again") from None
    return invitation


async def admit(session: AsyncSession, mode: SignupMode, email: str) -> None:
    """Raise SignupRefused unless the policy lets ``email`` sign up now; under ``invite``, the
    invitation is used up in the caller's transaction, with the account it creates."""
    if mode is SignupMode.OPEN:
        return
    if mode is SignupMode.CLOSED:
        raise SignupRefused("Sign-up is closed here. Ask an administrator for an account.")
    invitation = await _invitation(session, email)
    if invitation is None or invitation.accepted_at is not None:
        raise SignupRefused(
            "Sign-up here is by invitation. Ask an administrator to invite this address."
        )
    invitation.accepted_at = utcnow()


async def _invitation(session: AsyncSession, email: str) -> Invitation | None:
    result = await session.execute(
        select(Invitation).where(Invitation.email_normalized == normalize_email(email))
    )
    return result.scalar_one_or_none()
