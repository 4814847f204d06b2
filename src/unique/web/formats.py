"""How the service writes a timestamp and reads an integer from a path or a query."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BeforeValidator


def rfc3339(value: datetime) -> str:
    """RFC 3339 in UTC, whole seconds, with a ``Z``: ``2022-12-23T20:52:29Z``."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


# An integer in a path or query is written the one way str(int) writes it. Lax parsing would also
# take "01", "+1", "1.0", "1_000", " 1" or "1\n": several spellings of one resource or page, which
# caches, logs and rate limits count apart, and typos answered as if they were meant.
_CANONICAL_INTEGER = re.compile(r"0|-?[1-9][0-9]*")


def _canonical_integer(value: object) -> object:
    if isinstance(value, str) and not _CANONICAL_INTEGER.fullmatch(value):
        raise ValueError("must be an integer in plain decimal digits, like 42")
    return value


# Marks an int parameter of a path or query as accepting only the canonical form:
# ``Annotated[int, Query(ge=1), CANONICAL_INTEGER]``. It goes after the Path or Query, whose bounds
# would otherwise be left out of the OpenAPI document.
CANONICAL_INTEGER = BeforeValidator(_canonical_integer)
