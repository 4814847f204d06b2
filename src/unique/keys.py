"""The API key format: generate, check, hash. Pure functions, no I/O.

A key is ``unq_`` + 53 random characters + a 7-character checksum, 64 characters in all, every
character after the prefix from ``[0-9a-z]``. The checksum is the CRC32 of the first 57 characters
written in base 36; it lets us reject typos and garbage before touching storage, and lets secret
scanners recognise a real key offline.

Only the SHA-256 of the whole key is stored. The random part carries about 274 bits, so a fast
unkeyed hash is enough: nobody can brute-force a preimage (NIST SP 800-63B 5.1.2.2 asks for slow
hashing only of secrets a person chose).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import zlib

PREFIX = "unq_"
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
RANDOM_LENGTH = 53
CHECKSUM_LENGTH = 7
KEY_LENGTH = len(PREFIX) + RANDOM_LENGTH + CHECKSUM_LENGTH

_KEY_PATTERN = re.compile(rf"{PREFIX}[0-9a-z]{{{RANDOM_LENGTH + CHECKSUM_LENGTH}}}")


class MalformedKey(ValueError):
    """The string cannot be a key: wrong shape or wrong checksum. Says nothing about storage."""


def checksum(body: str) -> str:
    """CRC32 of ``body`` in base 36, zero-padded to 7 characters (CRC32 < 36**7)."""
    value = zlib.crc32(body.encode("ascii"))
    digits = []
    while value:
        value, remainder = divmod(value, 36)
        digits.append(ALPHABET[remainder])
    return "".join(reversed(digits)).rjust(CHECKSUM_LENGTH, "0")


def generate() -> str:
    """A fresh key from the operating system's CSPRNG."""
    body = PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return body + checksum(body)


def check(candidate: str) -> str:
    """Return ``candidate`` when it is shaped like a key with a valid checksum; else raise."""
    if len(candidate) != KEY_LENGTH or not _KEY_PATTERN.fullmatch(candidate):
        raise MalformedKey("not an API key")
    body, given = candidate[:-CHECKSUM_LENGTH], candidate[-CHECKSUM_LENGTH:]
    if not secrets.compare_digest(checksum(body), given):
        raise MalformedKey("API key checksum does not match")
    return candidate


def digest(key: str) -> bytes:
    """The 32-byte SHA-256 under which a key is stored and looked up."""
    return hashlib.sha256(key.encode("ascii")).digest()


def hint(key: str) -> str:
    """What we may show of a key after creation: enough to recognise it, useless to an attacker."""
    return f"{PREFIX}…{key[-4:]}"
