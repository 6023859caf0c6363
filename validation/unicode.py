"""The code points a username may not hold, as ranges (validation/validators.py reads them)."""

# What a username must not contain: control and format (zero-width, bidi, soft hyphen)
# characters, line and paragraph separators (Unicode categories Cc, Cf, Zl, Zp, as of
# Python's Unicode database: tests/resources/test_usernames.py checks they agree; lone surrogates
# never get this far, web/json.py refuses them),
UNSEEN_RANGES = [
    (0x0000, 0x001F), (0x007F, 0x009F), (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C),
    (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E),
    (0x200B, 0x200F), (0x2028, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD),
    (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
]  # fmt: skip
# and what shows nothing yet is no format character: the combining grapheme joiner,
# Hangul fillers, Khmer inherent vowels, Mongolian and other variation selectors, the
# blank Braille pattern.
INVISIBLE_RANGES = [
    (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180D), (0x180F, 0x180F),
    (0x2800, 0x2800), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0),
    (0xE0100, 0xE01EF),
]  # fmt: skip


def escaped(code: int) -> str:
    """A code point in a pattern: a \\uXXXX escape, which JSON Schema's (ECMA) regexes
    and Python's read alike; beyond the BMP, which ECMA cannot escape, the character."""
    return f"\\u{code:04X}" if code <= 0xFFFF else chr(code)


def character_class(ranges: list[tuple[int, int]]) -> str:
    """The inside of a `[...]` matching the ranges."""
    return "".join(
        escaped(first) + (f"-{escaped(last)}" if last > first else "") for first, last in ranges
    )


UNSEEN = character_class(UNSEEN_RANGES + INVISIBLE_RANGES)
