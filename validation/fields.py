"""The custom marshmallow fields schemas.py is made of: each states its rule once, and
says it in the OpenAPI document (description, pattern, example) too."""

import unicodedata

from marshmallow import Schema, ValidationError, fields, validate

from validation.bounds import MAX_ID, NESTED_LIMIT
from validation.validators import (
    DESCRIPTION_PATTERN,
    NAME_PATTERN,
    no_control_but_lines,
    plain_name,
)

MIN_PASSWORD, MAX_PASSWORD = 8, 128
PASSWORD_EXAMPLE = {"example": "correct horse battery"}


class Name(fields.Str):
    """A store, item or tag name: 1 to 80 characters, NFC-normalized on load (so `Café`
    typed with a combining accent is the same name as the precomposed one), no control
    characters and no leading or trailing whitespace."""

    def __init__(self, example: str, **kwargs):
        description = (
            "1 to 80 characters, without control characters and without leading or "
            "trailing whitespace; stored in Unicode NFC form."
        )
        super().__init__(
            required=True,
            validate=[validate.Length(min=1, max=80), plain_name],
            metadata={"example": example, "description": description, "pattern": NAME_PATTERN},
            **kwargs,
        )

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if isinstance(value, str):
            value = unicodedata.normalize("NFC", value)
        return super().deserialize(value, attr, data, **kwargs)


def description_field(example: str) -> fields.Str:
    """Free text up to 500 characters, or null; newlines and tabs, no other control."""
    return fields.Str(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=500), no_control_but_lines],
        metadata={
            "example": example,
            "description": "Up to 500 characters; newline and tab, no other control characters.",
            "pattern": DESCRIPTION_PATTERN,
        },
    )


class Price(fields.Float):
    """A JSON number (never a string such as "15.99", never true/false), at least 0."""

    def __init__(self, **kwargs):
        super().__init__(
            required=True,
            validate=validate.Range(min=0),
            metadata={"example": 15.99},
            **kwargs,
        )

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if isinstance(value, str | bool):
            raise ValidationError("Not a valid number.")
        return super().deserialize(value, attr, data, **kwargs)


def password_to_set(example: str = PASSWORD_EXAMPLE["example"]) -> fields.Str:
    """The password rule, the one place it is stated: 8 to 128 characters, anything else
    goes (secrets are not inspected)."""
    return fields.Str(
        required=True,
        validate=validate.Length(min=MIN_PASSWORD, max=MAX_PASSWORD),
        metadata={
            "example": example,
            "description": f"{MIN_PASSWORD} to {MAX_PASSWORD} characters.",
        },
    )


def password_to_check() -> fields.Str:
    """A password to check, not to set: any length up to the rule's longest is just
    right or wrong."""
    return fields.Str(
        required=True, validate=validate.Length(max=MAX_PASSWORD), metadata=PASSWORD_EXAMPLE
    )


def id_field(**kwargs) -> fields.Int:
    """An id in a JSON body: a JSON integer (1.5, "1" and true are refused: strict)."""
    kwargs.setdefault("metadata", {"example": 1})
    return fields.Int(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def dump_only(schema: type[Schema]) -> tuple[str, ...]:
    """The fields of a representation that a request never carries: exclude them to
    derive its request body."""
    return tuple(name for name, field in schema().fields.items() if field.dump_only)


def nested_list(schema: type[Schema], rest: str) -> fields.List:
    """A nested array, cut to its first NESTED_LIMIT rows by id (queries/ cuts it)."""
    return fields.List(
        fields.Nested(schema),
        dump_only=True,
        metadata={
            "maxItems": NESTED_LIMIT,
            "description": f"At most the first {NESTED_LIMIT}, ordered by id. An array of "
            f"exactly {NESTED_LIMIT} may have been cut; the rest: {rest}.",
        },
    )
