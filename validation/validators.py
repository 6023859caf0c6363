"""The rules on text a client sends, each a validator and, for the OpenAPI document, the
same rule as a pattern. Validators and fuzzers (tests/web/test_schemathesis.py) read
`pattern`; tests/web/test_openapi.py checks that patterns and validators agree. Every such
field also has an `example`, which Swagger UI and Postman use before any pattern."""

import re
from typing import Any

from marshmallow import ValidationError, validate

from models.user import KEY_LENGTH, username_key
from validation.unicode import UNSEEN

# Whitespace spelled out (Python's str.isspace set), not `\s`, which means different
# characters to Python and to JavaScript (Swagger UI) and JSON Schema tools.
SPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# C0 controls and DEL: no stored text holds them (PostgreSQL's text cannot hold NUL);
# a description may hold the two that lay text out, newline and tab.
CONTROL = r"\x00-\x1f\x7f"
DESCRIPTION_CONTROL = r"\x00-\x08\x0b-\x1f\x7f"
# `(?![\s\S])` ends the string: `$` would also match before a final newline in Python.
NAME_PATTERN = rf"^[^{SPACE}{CONTROL}]([^{CONTROL}]*[^{SPACE}{CONTROL}])?(?![\s\S])"
DESCRIPTION_PATTERN = rf"^[^{DESCRIPTION_CONTROL}]*(?![\s\S])"
NO_NUL_PATTERN = r"^[^\x00]*$"

EDGE_SPACE = re.compile(rf"^[{SPACE}]|[{SPACE}]\Z")
CONTROL_ERROR = "Must not contain control characters."


def refuse(pattern: str, error: str):
    """A validator that refuses any string in which `pattern` is found."""
    found = re.compile(pattern).search

    def check(value: str) -> None:
        if found(value):
            raise ValidationError(error)

    return check


no_nul = refuse("\x00", "Must not contain NUL characters.")  # what login asks, no more
no_control = refuse(f"[{CONTROL}]", CONTROL_ERROR)
no_control_but_lines = refuse(f"[{DESCRIPTION_CONTROL}]", CONTROL_ERROR)


def trimmed(value: str) -> None:
    """A name with leading or trailing whitespace would be a second name that reads the
    same (and one of only whitespace, no name at all)."""
    if EDGE_SPACE.search(value):
        raise ValidationError("Must not start or end with whitespace.")


def plain_name(value: str) -> None:
    """NAME_PATTERN as a validator: trimmed, then no control character; one message."""
    trimmed(value)
    no_control(value)


class Username(validate.Regexp):
    """A username people can read and retype: none that differs from another only in
    what cannot be seen: whitespace around it (or nothing but whitespace), control or
    invisible characters. One pattern, so the OpenAPI document says it too. Case and
    Unicode forms are username_key's business (unique in the database)."""

    def __init__(self):
        super().__init__(
            rf"^[^{SPACE}{UNSEEN}](?:[^{UNSEEN}]*[^{SPACE}{UNSEEN}])?(?![\s\S])",
            error="Must not start or end with whitespace, or contain control or "
            "invisible characters.",
        )

    def __call__(self, value: Any) -> Any:  # Regexp's overloads: str (and bytes) in, out
        no_control(value)  # the message every other field gives
        super().__call__(value)
        # Too long is Length's 422; normalizing a megabyte first would cost a second.
        if len(value) <= KEY_LENGTH and len(username_key(value)) > KEY_LENGTH:
            raise ValidationError(f"Must be at most {KEY_LENGTH} characters once normalized.")
        return value
