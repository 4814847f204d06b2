"""Names of keys, projects and users show what they are: nothing invisible, nothing reordered.

Zero-width and other format characters (Unicode category Cf) and whitespace show nothing, so a
name made only of them looks empty in the Console; bidirectional overrides and isolates reorder
the text around them, so a name holding one can pass for another. Both are refused.
"""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest

from unique.api.schemas import NAME_PATTERN
from unique.errors import InvalidInput
from unique.names import FORMAT_CHARACTERS, clean_name

BIDI_CONTROLS = [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
]


def accepts(name: str) -> bool:
    try:
        clean_name(name, field="name", max_length=64)
    except InvalidInput:
        return False
    return True


@pytest.mark.parametrize(
    ("name", "shows_something"),
    [
        # Only invisible characters, perhaps among spaces.
        pytest.param("\u200b", False, id="zero-width-space"),
        pytest.param("\u200c\u200d", False, id="zero-width-non-joiner-and-joiner"),
        pytest.param("\u2060", False, id="word-joiner"),
        pytest.param("\ufeff", False, id="byte-order-mark"),
        pytest.param("\u00ad", False, id="soft-hyphen"),
        pytest.param("\U000e0041\U000e0042", False, id="tag-characters"),
        pytest.param(" \u200b\u3000\u2060 ", False, id="format-characters-among-spaces"),
        # Invisible characters beside visible ones, where they join, break or mark real text.
        pytest.param("\U0001f468\u200d\U0001f469\u200d\U0001f467", True, id="emoji-joined-by-zwj"),
        pytest.param("co\u00adoperation", True, id="soft-hyphen-inside"),
        pytest.param("\u05e9\u05dc\u05d5\u05dd team", True, id="right-to-left-script"),
        pytest.param("\u200bvisible", True, id="zero-width-space-before-text"),
    ],
)
def test_a_name_of_only_invisible_characters_is_refused_and_any_other_kept_as_it_is(
    name: str, shows_something: bool
) -> None:
    if shows_something:
        assert clean_name(name, field="key_name", max_length=64) == name
    else:
        with pytest.raises(InvalidInput, match="visible") as refused:
            clean_name(name, field="key_name", max_length=64)
        assert refused.value.field == "key_name"


@pytest.mark.parametrize("control", BIDI_CONTROLS, ids=lambda char: f"U+{ord(char):04X}")
def test_a_name_with_a_bidirectional_control_is_refused(control: str) -> None:
    with pytest.raises(InvalidInput, match="bidirectional") as refused:
        clean_name(f"invoice{control}txt.exe", field="name", max_length=64)
    assert refused.value.field == "name"


def test_every_format_character_of_this_python_counts_as_invisible() -> None:
    format_characters = [
        chr(code) for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Cf"
    ]
    assert [char for char in format_characters if accepts(f" {char}{char} ")] == []


def test_the_published_name_pattern_accepts_exactly_what_clean_name_accepts() -> None:
    """The OpenAPI document's pattern for names states the same rule, for each character of the
    Basic Multilingual Plane and each format character beyond it, alone, inside a name and at
    either end of one (where trimming must not drop a character the pattern refuses)."""
    pattern = re.compile(NAME_PATTERN)
    characters = [
        *(chr(code) for code in range(0x10000) if not 0xD800 <= code <= 0xDFFF),
        *re.findall(f"[{FORMAT_CHARACTERS}]", "".join(map(chr, range(0x10000, 0xE0080)))),
        "\U0001f511",
    ]
    disagreements = [
        f"U+{ord(char):04X} in {name!r}"
        for char in characters
        for name in (char, f"a{char}b", f"{char}a", f"a{char}")
        if (pattern.fullmatch(name) is not None) != accepts(name)
    ]
    assert disagreements == []
