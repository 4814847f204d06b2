"""Users and their passwords."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from unique import audit
from unique.actor import Actor
from unique.config import PasswordHashCost, password_hash_cost_from
from unique.db.reads import Query, Reads, Row
from unique.db.tables import ConsoleSession, User, utcnow
from unique.errors import Conflict, InvalidInput
from unique.names import clean_name

# Printable characters only: a NUL or other control character is never part of an address.
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
CONSOLE_SESSION_LIFETIME = timedelta(days=14)


def password_hasher(cost: PasswordHashCost) -> PasswordHasher:
    """An Argon2id hasher making hashes at ``cost``; it verifies any hash at the hash's own cost."""
    return PasswordHasher(
        time_cost=cost.time_cost, memory_cost=cost.memory_kib, parallelism=cost.parallelism
    )


class _Hashing:
    """The process's hasher, and the decoy hash it verifies against for an unknown email."""

    def __init__(self, cost: PasswordHashCost) -> None:
        self.hasher = password_hasher(cost)
        # A hash at the cost new passwords get, so that a login attempt takes as long for a
        # missing account as for a wrong password: timing must not reveal which emails exist.
        self.decoy_hash = self.hasher.hash("decoy password, never matches a submitted one")


_hashing: _Hashing | None = None


def use_password_hash_cost(cost: PasswordHashCost) -> None:
    """Hash passwords at ``cost`` from now on, in the whole process (hashes made before keep
    verifying: each records its own cost)."""
    global _hashing
    _hashing = _Hashing(cost)


def _current_hashing() -> _Hashing:
    """The hashing in use. Servers and commands choose it from their settings as they start;
    code that calls these functions without either gets ``UNIQUE_PASSWORD_HASH_COST``."""
    if _hashing is None:
        use_password_hash_cost(password_hash_cost_from())
    assert _hashing is not None
    return _hashing


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
    return _current_hashing().hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _current_hashing().hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    password: str,
    projects_limit: int,
    actor: Actor,
) -> User:
    """Register a user; raise Conflict when the email (compared case-insensitively) is taken."""
    email = validate_email(email)
    user = User(
        email=email,
        email_normalized=normalize_email(email),
        name=clean_name(name, field="name", max_length=128),
        image="",
        # Argon2 takes ~200 ms of CPU on purpose (UNIQUE_PASSWORD_HASH_COST): run it off
        # the event loop.
        password_hash=await asyncio.to_thread(hash_password, validate_password(password)),
        projects_limit=projects_limit,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict(f"a user with email {email} already exists") from None
    audit.record(session, "user.create", actor, account_id=user.id, target_id=str(user.id))
    return user


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


# What a key's owner sees of their account (``GET /api/v2/users/me``).
_PROFILE = Query(
    select(User.id, User.email, User.name, User.image, User.projects_limit).where(
        User.id == bindparam("user_id")
    )
)


async def profile(reads: Reads, user_id: uuid.UUID) -> Row | None:
    return await reads.first(_PROFILE, user_id=user_id)


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    result = await session.execute(
        select(User).where(User.email_normalized == normalize_email(email))
    )
    return result.scalar_one_or_none()


def _matches_or_decoy(password_hash: str | None, password: str) -> bool:
    """Whether the password matches the hash; without a hash (an unknown email) it is checked
    against the decoy, as slowly, and never matches."""
    if password_hash is None:
        password_matches(_current_hashing().decoy_hash, password)
        return False
    return password_matches(password_hash, password)


async def check_login(session: AsyncSession, email: str, password: str) -> User | None:
    """The user whose email and password these are, or None; as slow either way."""
    try:
        user = await find_user_by_email(session, validate_email(email))
    except InvalidInput:
        user = None
    stored = None if user is None else user.password_hash
    matches = await asyncio.to_thread(_matches_or_decoy, stored, password)
    return user if user is not None and matches else None


@dataclass(frozen=True)
class ConsoleLogin:
    """A signed-in Console session: the user and the secret its forms' CSRF tokens derive from."""

    user: User
    csrf_secret: str


def _session_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def start_console_session(session: AsyncSession, user: User, actor: Actor) -> str:
    """Create a Console session for ``user``, signing in as ``actor`` (whose user it becomes);
    return the token for the cookie (stored only as its hash)."""
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
    audit.record(session, "login", replace(actor, user_id=user.id), account_id=user.id)
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
