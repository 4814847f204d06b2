"""Rules for the human-chosen names of keys and projects, shared by the API, Console and CLI."""

from __future__ import annotations

import unicodedata

from unique.errors import InvalidInput

# Control characters make names unreadable in tables and logs; surrogates cannot be stored as
# UTF-8 at all (PostgreSQL would reject the row).
_FORBIDDEN_CATEGORIES = {"Cc", "Cs"}


def clean_name(value: object, *, field: str, max_length: int) -> str:
    """Trim surrounding whitespace and check the length in code points; raise InvalidInput."""
    if not isinstance(value, str):
        raise InvalidInput(field, f"{field} must be a string")
    name = value.strip()
    if not name:
        raise InvalidInput(field, f"{field} must not be empty")
    if len(name) > max_length:
        raise InvalidInput(field, f"{field} must be at most {max_length} characters")
    if any(unicodedata.category(char) in _FORBIDDEN_CATEGORIES for char in name):
        raise InvalidInput(field, f"{field} must not contain control characters")
    return name
