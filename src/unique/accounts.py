"""Users and their passwords."""

from __future__ import annotations

import re
import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from unique import audit
from unique.db.tables import User
from unique.errors import Conflict, InvalidInput
from unique.names import clean_name

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024

_hasher = PasswordHasher()


def normalize_email(email: str) -> str:
    return email.strip().lower()


def validate_email(email: object) -> str:
    if not isinstance(email, str) or not _EMAIL.fullmatch(email.strip()) or len(email) > 254:
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
        password_hash=hash_password(validate_password(password)),
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


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    result = await session.execute(
        select(User).where(User.email_normalized == normalize_email(email))
    )
    return result.scalar_one_or_none()
