"""The key format: unq_ + 53 random + 7 checksum characters, checked before storage is touched."""

from __future__ import annotations

import re
import secrets
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unique import keys

KEY_SHAPE = re.compile(r"^unq_[0-9a-z]{60}$")


def test_generated_key_has_the_documented_shape() -> None:
    key = keys.generate()
    assert len(key) == 64
    assert KEY_SHAPE.fullmatch(key)


def test_checksum_is_base36_crc32_of_the_first_57_characters() -> None:
    key = keys.generate()
    value = int(key[-7:], 36)
    assert value == zlib.crc32(key[:57].encode())


def test_checksum_is_zero_padded_to_seven_characters() -> None:
    # Find a body whose CRC32 is small enough to need padding.
    body = next(
        f"unq_{i:053d}" for i in range(10**6) if zlib.crc32(f"unq_{i:053d}".encode()) < 36**6
    )
    assert keys.checksum(body).startswith("0")
    assert len(keys.checksum(body)) == 7


def test_hash_is_sha256_of_the_whole_key() -> None:
    import hashlib

    key = keys.generate()
    assert keys.digest(key) == hashlib.sha256(key.encode()).digest()
    assert len(keys.digest(key)) == 32


def test_hint_shows_only_the_last_four_characters() -> None:
    key = keys.generate()
    assert keys.hint(key) == f"unq_…{key[-4:]}"


@given(st.integers(min_value=0, max_value=10**6))
def test_every_generated_key_parses(_: int) -> None:
    key = keys.generate()
    assert keys.check(key) == key


@settings(max_examples=500)
@given(
    position=st.integers(min_value=4, max_value=63),
    replacement=st.sampled_from(keys.ALPHABET),
)
def test_any_single_character_change_is_rejected(position: int, replacement: str) -> None:
    key = keys.generate()
    if key[position] == replacement:
        return
    changed = key[:position] + replacement + key[position + 1 :]
    with pytest.raises(keys.MalformedKey):
        keys.check(changed)


@pytest.mark.parametrize(
    "candidate",
    [
        "",
        "unq_",
        "Bearer",
        "unq_" + "a" * 59,
        "unq_" + "a" * 61,
        "UNQ_" + "a" * 60,
        "unq_" + "A" * 60,
        "xyz_" + "a" * 60,
        "unq_" + "é" * 60,
        "unq_" + "a" * 53 + "0000000",
        "x" * 10_000,
    ],
)
def test_malformed_strings_are_rejected(candidate: str) -> None:
    with pytest.raises(keys.MalformedKey):
        keys.check(candidate)


@given(st.text(max_size=80))
def test_arbitrary_text_never_passes_unless_it_is_a_valid_key(text: str) -> None:
    try:
        keys.check(text)
    except keys.MalformedKey:
        return
    assert KEY_SHAPE.fullmatch(text)
    assert keys.checksum(text[:57]) == text[57:]


def test_the_random_part_comes_from_the_secrets_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operating system's CSPRNG, not a seedable generator: with ``secrets.choice`` replaced,
    the key is made of what the replacement picked. (Its 53 characters carry about 274 bits, so a
    collision check over any number of keys we could afford could never fail.)"""
    picked = iter(keys.ALPHABET * 2)
    monkeypatch.setattr(secrets, "choice", lambda alphabet: next(picked))
    key = keys.generate()
    assert key[4:57] == (keys.ALPHABET * 2)[:53]
    assert keys.check(key) == key
    monkeypatch.undo()
    assert keys.generate() != keys.generate()
