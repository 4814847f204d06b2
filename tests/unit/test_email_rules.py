"""Email addresses: checked as typed and as stored (lower-cased), never with control characters."""

from __future__ import annotations

import pytest

from unique.accounts import normalize_email, validate_email
from unique.errors import InvalidInput


@pytest.mark.parametrize(
    "bad", ["a\x00@b.co", "İ" * 240 + "@example.com", "no-at-sign", " @x.io", "a@b", "a b@c.io"]
)
def test_invalid_addresses_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        validate_email(bad)


def test_a_valid_address_is_trimmed_and_compared_case_insensitively() -> None:
    assert validate_email(" Sam@Example.com ") == "Sam@Example.com"
    assert normalize_email("Sam@Example.com") == "sam@example.com"
