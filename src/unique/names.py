"""Rules for the names people choose for keys, projects and users: one for API, Console and CLI."""

from __future__ import annotations

import re
import unicodedata

from unique.errors import InvalidInput

# Control characters make names unreadable in tables and logs; surrogates cannot be stored as
# UTF-8 at all (PostgreSQL would reject the row).
_FORBIDDEN_CATEGORIES = {"Cc", "Cs"}
# Bidirectional overrides and isolates reorder the text around them: a name holding one can show
# itself in the Console as a different name, or push the text of its neighbours around.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Format characters (Unicode's category Cf as of Unicode 15.1: zero-width spaces and joiners, the
# byte-order mark, tags, ...) show nothing: a name made only of them and of spaces looks empty, or
# like any other such name. Listed rather than looked up, so that the rule and the pattern the API
# publishes for it are the same on every Python version. A regular expression character class.
FORMAT_CHARACTERS = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
_NOTHING_VISIBLE = re.compile(f"[\\s{FORMAT_CHARACTERS}]*")


def clean_name(value: object, *, field: str, max_length: int) -> str:
    """Trim surrounding whitespace and check the length in code points and that the name shows
    something and only what it is; raise InvalidInput."""
    if not isinstance(value, str):
        raise InvalidInput(field, f"{field} must be a string")
    # Checked in the whole value, before trimming: a tab or a newline at either end is a control
    # character too (the API's published pattern says so), not whitespace to drop.
    if any(unicodedata.category(char) in _FORBIDDEN_CATEGORIES for char in value):
        raise InvalidInput(field, f"{field} must not contain control characters")
    name = value.strip()
    if not name:
        raise InvalidInput(field, f"{field} must not be empty")
    if len(name) > max_length:
        raise InvalidInput(field, f"{field} must be at most {max_length} characters")
    if any(char in BIDI_CONTROLS for char in name):
        raise InvalidInput(field, f"{field} must not contain bidirectional control characters")
    if _NOTHING_VISIBLE.fullmatch(name):
        raise InvalidInput(field, f"{field} must contain a visible character")
    return name
