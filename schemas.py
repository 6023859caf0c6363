"""Marshmallow schemas: what the API reads and writes. Unknown fields are
rejected (marshmallow's default RAISE), so `is_admin` or `id` cannot be mass-assigned."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from models.user import KEY_LENGTH, username_key

MAX_ID = 2**31 - 1  # INTEGER primary keys on PostgreSQL
PAGE_SIZE, MAX_PAGE_SIZE = 100, 1000  # rows a list returns: default and most
# PostgreSQL text cannot hold NUL (0x00): refuse it with 422 rather than fail with 500.
# A pattern, so the OpenAPI document says it too.
NO_NUL = validate.Regexp(r"^[^\x00]*$", error="Must not contain NUL characters.")
NAME = {"required": True, "validate": [validate.Length(min=1, max=80), NO_NUL]}


NESTED_LIMIT = 100


def nested_list(schema: type[Schema], rest: str) -> fields.List:
    """A nested array, cut to its first NESTED_LIMIT rows by id (web/reads.py cuts it)."""
    return fields.List(
        fields.Nested(schema),
        dump_only=True,
        metadata={
            "maxItems": NESTED_LIMIT,
            "description": f"At most the first {NESTED_LIMIT}, ordered by id. An array of "
            f"exactly {NESTED_LIMIT} may have been cut; the rest: {rest}.",
        },
    )


class PlainStoreSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(**NAME)


class PlainItemSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(**NAME)
    price = fields.Float(required=True, validate=validate.Range(min=0))


class PlainTagSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(**NAME)


class StoreSchema(PlainStoreSchema):
    owner_id = fields.Int(dump_only=True, allow_none=True)
    items = nested_list(PlainItemSchema, "GET /item?store_id={id}&after={last id}")
    tags = nested_list(PlainTagSchema, "GET /store/{id}/tag?after={last id}")


class ItemSchema(PlainItemSchema):
    description = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=500))
    store_id = fields.Int(required=True, load_only=True, validate=validate.Range(min=1, max=MAX_ID))
    store = fields.Nested(PlainStoreSchema, dump_only=True)
    tags = nested_list(PlainTagSchema, "GET /store/{store id}/tag lists all the store's tags")


class ItemUpdateSchema(ItemSchema):
    """The item's own fields, each optional (load it with partial=True); an item
    never moves to another store."""

    class Meta:
        exclude = ("store_id", "store", "tags")

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Give a name, a price, a description or several.", "_schema")


class ListArgsSchema(Schema):
    """A list's query: keyset (`after`) or offset (`page`), never both."""

    class Meta:
        unknown = EXCLUDE

    page_size = fields.Int(load_default=PAGE_SIZE, validate=validate.Range(1, MAX_PAGE_SIZE))
    after = fields.Int(
        validate=validate.Range(min=0, max=MAX_ID),
        metadata={"description": "Rows whose id is greater than this (keyset walking)."},
    )
    page = fields.Int(
        validate=validate.Range(min=1),
        metadata={"description": "Classic offset page, with totals in X-Pagination."},
    )

    @validates_schema
    def _one_way_to_walk(self, data, **kwargs):
        if "page" in data and "after" in data:
            raise ValidationError("Use either ?page= or ?after=, not both.", "_schema")


class ItemQuerySchema(ListArgsSchema):
    store_id = fields.Int(validate=validate.Range(min=1, max=MAX_ID))
    tag_id = fields.Int(validate=validate.Range(min=1, max=MAX_ID))


class TagSchema(PlainTagSchema):
    store = fields.Nested(PlainStoreSchema, dump_only=True)
    items = nested_list(PlainItemSchema, "GET /item?tag_id={id}&after={last id}")


class TagAndItemSchema(Schema):
    message = fields.Str()
    item = fields.Nested(ItemSchema)
    tag = fields.Nested(TagSchema)


# What a username must not contain: control and format (zero-width, bidi, soft hyphen)
# characters, line and paragraph separators (Unicode categories Cc, Cf, Zl, Zp, as of
# Python's Unicode database: tests/test_usernames.py checks they agree; lone surrogates
# never get this far, web/json.py refuses them),
# and what shows nothing yet is no format character: the combining grapheme joiner,
# Hangul fillers, Khmer inherent vowels, Mongolian and other variation selectors, the
# blank Braille pattern.
UNSEEN_RANGES = [
    (0x0000, 0x001F), (0x007F, 0x009F), (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C),
    (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E),
    (0x200B, 0x200F), (0x2028, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD),
    (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
]  # fmt: skip
INVISIBLE_RANGES = [
    (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180D), (0x180F, 0x180F),
    (0x2800, 0x2800), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0),
    (0xE0100, 0xE01EF),
]  # fmt: skip


def escaped(code: int) -> str:
    """A code point in the pattern: a \\uXXXX escape, which JSON Schema's (ECMA) regexes
    and Python's read alike; beyond the BMP, which ECMA cannot escape, the character."""
    return f"\\u{code:04X}" if code <= 0xFFFF else chr(code)


UNSEEN = "".join(
    escaped(first) + (f"-{escaped(last)}" if last > first else "")
    for first, last in UNSEEN_RANGES + INVISIBLE_RANGES
)


class Username(validate.Regexp):
    """A username people can read and retype: none that differs from another only in
    what cannot be seen: whitespace around it (or nothing but whitespace), control or
    invisible characters. One pattern, so the OpenAPI document says it too. Case and
    Unicode forms are username_key's business (unique in the database)."""

    def __init__(self):
        super().__init__(
            rf"^[^\s{UNSEEN}](?:[^{UNSEEN}]*[^\s{UNSEEN}])?$",
            error="Must not start or end with whitespace, or contain control or "
            "invisible characters.",
        )

    def __call__(self, value: str) -> str:
        if "\x00" in value:
            raise ValidationError(NO_NUL.error)  # the message every other field gives
        super().__call__(value)
        if len(username_key(value)) > KEY_LENGTH:
            raise ValidationError(f"Must be at most {KEY_LENGTH} characters once normalized.")
        return value


class UserSchema(Schema):
    id = fields.Int(dump_only=True)
    username = fields.Str(required=True, validate=[validate.Length(min=3, max=80), Username()])
    password = fields.Str(required=True, load_only=True, validate=validate.Length(min=8, max=128))
    is_admin = fields.Bool(dump_only=True)


class LoginSchema(Schema):
    # No length rules here: a wrong-length password is simply a wrong password.
    username = fields.Str(required=True, validate=[validate.Length(max=80), NO_NUL])
    password = fields.Str(required=True, validate=validate.Length(max=128))


class PasswordChangeSchema(Schema):
    current_password = fields.Str(required=True, validate=validate.Length(max=128))
    new_password = fields.Str(required=True, validate=validate.Length(min=8, max=128))


class TokensSchema(Schema):
    access_token = fields.Str(required=True)
    refresh_token = fields.Str(required=True)


class MessageSchema(Schema):
    message = fields.Str(required=True)


class AuthErrorSchema(Schema):
    """The contract's exact JWT, admin and owner error bodies."""

    message = fields.Str()
    description = fields.Str()
    error = fields.Str(required=True)


class CredentialsErrorSchema(AuthErrorSchema):
    """401 where a password was checked: `{"message": "Invalid credentials."}`, or a
    JWT error body where the token was refused first."""

    error = fields.Str()


class StatusSchema(Schema):
    status = fields.Str(required=True)
