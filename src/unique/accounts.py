"""Users and their passwords."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from unique import audit
from unique.db.reads import UUID, VALUE, Reads, Statement
from unique.db.tables import ConsoleSession, User, utcnow
from unique.errors import Conflict, InvalidInput
from unique.names import clean_name

# Printable characters only: a NUL or other control character is never part of an address.
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
CONSOLE_SESSION_LIFETIME = timedelta(days=14)

_hasher = PasswordHasher()


def normalize_email(email: str) -> str:
    return email.strip().lower()


def validate_email(email: object) -> str:
    if (
        not isinstance(email, str)
        or not _EMAIL.fullmatch(email.strip())
        or len(normalize_email(email)) > 254
        or len(email.strip()) > 254
    ):
        raise InvalidInput("email", "email must be a valid email address")
    return email.strip()


def validate_password(password: object) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            "password", f"password must be at least {MIN_PASSWORD_LENGTH} characters"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput("password", f"password must be at most {MAX_PASSWORD_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    password: str,
    projects_limit: int,
    source_addr: str = "",
) -> User:
    """Register a user; raise Conflict when the email (compared case-insensitively) is taken."""
    email = validate_email(email)
    user = User(
        email=email,
        email_normalized=normalize_email(email),
        name=clean_name(name, field="name", max_length=128),
        image="",
        # Argon2 takes ~100 ms of CPU on purpose: run it off the event loop.
        password_hash=await asyncio.to_thread(hash_password, validate_password(password)),
        projects_limit=projects_limit,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict(f"a user with email {email} already exists") from None
    audit.record(
        session, "user.create", account_id=user.id, target_id=str(user.id), source_addr=source_addr
    )
    return user


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


class Profile(NamedTuple):
    """What a key's owner sees of their account (``GET /api/v2/users/me``)."""

    id: uuid.UUID
    email: str
    name: str
    image: str
    projects_limit: int


_PROFILE = Statement(
    "SELECT id, email, name, image, projects_limit FROM users WHERE id = ?",
    (UUID, VALUE, VALUE, VALUE, VALUE),
)


async def profile(reads: Reads, user_id: uuid.UUID) -> Profile | None:
    row = await reads.first(_PROFILE, user_id)
    return None if row is None else Profile(*row)


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    result = await session.execute(
        select(User).where(User.email_normalized == normalize_email(email))
    )
    return result.scalar_one_or_none()


# A hash to verify against when the email is unknown, so that a login attempt takes as long for
# a missing account as for a wrong password: timing must not reveal which emails exist.
_DECOY_HASH = _hasher.hash("decoy password, never matches a submitted one")


async def check_login(session: AsyncSession, email: str, password: str) -> User | None:
    """The user whose email and password these are, or None; as slow either way."""
    try:
        user = await find_user_by_email(session, validate_email(email))
    except InvalidInput:
        user = None
    stored = _DECOY_HASH if user is None else user.password_hash
    matches = await asyncio.to_thread(password_matches, stored, password)
    return user if user is not None and matches else None


@dataclass(frozen=True)
class ConsoleLogin:
    """A signed-in Console session: the user and the secret its forms' CSRF tokens derive from."""

    user: User
    csrf_secret: str


def _session_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def start_console_session(session: AsyncSession, user: User, *, source_addr: str = "") -> str:
    """Create a Console session; return the token for the cookie (stored only as its hash)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        ConsoleSession(
            id_hash=_session_digest(token),
            user_id=user.id,
            csrf_secret=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + CONSOLE_SESSION_LIFETIME,
        )
    )
    audit.record(
        session, "login", account_id=user.id, actor_user_id=user.id, source_addr=source_addr
    )
    return token


async def find_console_session(session: AsyncSession, token: str) -> ConsoleLogin | None:
    result = await session.execute(
        select(User, ConsoleSession.csrf_secret)
        .join(ConsoleSession, ConsoleSession.user_id == User.id)
        .where(
            ConsoleSession.id_hash == _session_digest(token), ConsoleSession.expires_at > utcnow()
        )
    )
    row = result.one_or_none()
    return None if row is None else ConsoleLogin(user=row[0], csrf_secret=row[1])


async def end_console_session(session: AsyncSession, token: str) -> None:
    await session.execute(
        delete(ConsoleSession).where(ConsoleSession.id_hash == _session_digest(token))
    )
