"""Marshmallow schemas: what the API reads and writes. Unknown fields are
rejected (marshmallow's default RAISE), so `is_admin` or `id` cannot be mass-assigned.

Each representation is defined once, as the response it is (StoreSchema, ItemSchema...);
a request body is that representation minus its dump-only fields (`dump_only()`), plus
what only a request carries (an item's `store_id`, a user's `password`). So the OpenAPI
document has separate request and response schemas and no read-only field ever appears
in a request body (Postman's converter and Swagger UI would send it back: 422).
Every field carries a realistic `example`, which Swagger UI and Postman show and send."""

import re
import unicodedata

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from models.user import KEY_LENGTH, username_key

MAX_ID = 2**31 - 1  # INTEGER primary keys on PostgreSQL
PAGE_SIZE, MAX_PAGE_SIZE = 100, 1000  # rows a list returns: default and most


# The rules below as regular expressions, for the OpenAPI document: validators and
# fuzzers (tests/test_schemathesis.py) read `pattern`, and tests/test_openapi.py checks
# that pattern and validators agree. Every such field also has an `example`, which
# Swagger UI and Postman use before any pattern (tests/test_browser.py), so they never
# show strings generated from it.
NO_NUL_PATTERN = r"^[^\x00]*$"
# Whitespace spelled out (Python's str.isspace set), not `\s`, which means different
# characters to Python and to JavaScript (Swagger UI) and JSON Schema tools.
SPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# `(?![\s\S])` ends the string: `$` would also match before a final newline in Python.
NAME_PATTERN = rf"^[^{SPACE}\x00]([^\x00]*[^{SPACE}\x00])?(?![\s\S])"


def no_nul(value: str) -> None:
    """PostgreSQL text cannot hold NUL (0x00): refuse it with 422 rather than fail with 500."""
    if "\x00" in value:
        raise ValidationError("Must not contain NUL characters.")


EDGE_SPACE = re.compile(rf"^[{SPACE}]|[{SPACE}]\Z")


def trimmed(value: str) -> None:
    """A name with leading or trailing whitespace would be a second name that reads the
    same (and one of only whitespace, no name at all)."""
    if EDGE_SPACE.search(value):
        raise ValidationError("Must not start or end with whitespace.")


class Name(fields.Str):
    """A store, item or tag name: 1 to 80 characters, NFC-normalized on load (so `Café`
    typed with a combining accent is the same name as the precomposed one), no NUL and
    no leading or trailing whitespace."""

    def __init__(self, example: str, **kwargs):
        description = (
            "1 to 80 characters, without NUL and without leading or trailing whitespace; "
            "stored in Unicode NFC form."
        )
        super().__init__(
            required=True,
            validate=[validate.Length(min=1, max=80), no_nul, trimmed],
            metadata={"example": example, "description": description, "pattern": NAME_PATTERN},
            **kwargs,
        )

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if isinstance(value, str):
            value = unicodedata.normalize("NFC", value)
        return super().deserialize(value, attr, data, **kwargs)


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


def id_field(**kwargs) -> fields.Int:
    """An id in a JSON body: a JSON integer (1.5, "1" and true are refused: strict)."""
    kwargs.setdefault("metadata", {"example": 1})
    return fields.Int(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def dump_only(schema: type[Schema]) -> tuple[str, ...]:
    """The fields of a representation that a request never carries: exclude them to
    derive its request body."""
    return tuple(name for name, field in schema().fields.items() if field.dump_only)


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
    id = id_field(dump_only=True)
    name = Name("Corner Shop")


class PlainItemSchema(Schema):
    id = id_field(dump_only=True)
    name = Name("Chair")
    price = Price()


class PlainTagSchema(Schema):
    id = id_field(dump_only=True)
    name = Name("Furniture")


class StoreSchema(PlainStoreSchema):
    owner_id = id_field(dump_only=True, allow_none=True)
    items = nested_list(PlainItemSchema, "GET /item?store_id={id}&after={last id}")
    tags = nested_list(PlainTagSchema, "GET /store/{id}/tag?after={last id}")


class StoreCreateSchema(StoreSchema):
    class Meta:
        exclude = dump_only(StoreSchema)


class ItemSchema(PlainItemSchema):
    description = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={"example": "Solid oak, seats one."},
    )
    store = fields.Nested(PlainStoreSchema, dump_only=True)
    tags = nested_list(PlainTagSchema, "GET /store/{store id}/tag lists all the store's tags")


class ItemCreateSchema(ItemSchema):
    class Meta:
        exclude = dump_only(ItemSchema)

    store_id = id_field(required=True, metadata={"description": "A store you own.", "example": 1})


class ItemUpdateSchema(ItemSchema):
    """The item's own fields, each optional (load it with partial=True); an item
    never moves to another store."""

    class Meta:
        exclude = dump_only(ItemSchema)

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Give a name, a price, a description or several.", "_schema")


class ListArgsSchema(Schema):
    """A list's query: keyset (`after`) or offset (`page`), never both."""

    class Meta:
        unknown = EXCLUDE

    page_size = fields.Int(
        load_default=PAGE_SIZE,
        validate=validate.Range(1, MAX_PAGE_SIZE),
        metadata={"example": PAGE_SIZE},
    )
    after = fields.Int(
        validate=validate.Range(min=0, max=MAX_ID),
        metadata={
            "description": "Rows with a greater id (keyset walking); 0: from the start.",
            "example": 0,
        },
    )
    # No example: Swagger UI would fill it in beside `after`, and both at once are a 422.
    page = fields.Int(
        validate=validate.Range(min=1),
        metadata={
            "description": "Classic offset page, with totals in X-Pagination; not with ?after=."
        },
    )

    @validates_schema
    def _one_way_to_walk(self, data, **kwargs):
        if "page" in data and "after" in data:
            raise ValidationError("Use either ?page= or ?after=, not both.", "_schema")


class ItemQuerySchema(ListArgsSchema):
    store_id = fields.Int(validate=validate.Range(min=1, max=MAX_ID), metadata={"example": 1})
    tag_id = fields.Int(
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Only the items with this tag."},
    )


class TagSchema(PlainTagSchema):
    store = fields.Nested(PlainStoreSchema, dump_only=True)
    items = nested_list(PlainItemSchema, "GET /item?tag_id={id}&after={last id}")


class TagCreateSchema(TagSchema):
    class Meta:
        exclude = dump_only(TagSchema)


class TagAndItemSchema(Schema):
    message = fields.Str(metadata={"example": "Item removed from tag"})
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
            rf"^[^{SPACE}{UNSEEN}](?:[^{UNSEEN}]*[^{SPACE}{UNSEEN}])?(?![\s\S])",
            error="Must not start or end with whitespace, or contain control or "
            "invisible characters.",
        )

    def __call__(self, value: str) -> str:
        no_nul(value)  # the message every other field gives
        super().__call__(value)
        if len(username_key(value)) > KEY_LENGTH:
            raise ValidationError(f"Must be at most {KEY_LENGTH} characters once normalized.")
        return value


USERNAME = {"example": "alice"}
PASSWORD = {"example": "correct horse battery"}
TOKEN = {"example": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.sig"}


class UserSchema(Schema):
    id = id_field(dump_only=True)
    username = fields.Str(
        required=True, validate=[validate.Length(min=3, max=80), Username()], metadata=USERNAME
    )
    is_admin = fields.Bool(dump_only=True, metadata={"example": False})


def email_field(**kwargs) -> fields.Email:
    """An email address as a request gives it (compared folded: models.email_key)."""
    return fields.Email(
        validate=[validate.Length(max=254), no_nul],
        metadata={"example": "alice@example.com"},
        **kwargs,
    )


class MyInfoSchema(UserSchema):
    """GET /my-info: the user record plus the recovery address's state."""

    email = fields.Str(dump_only=True, allow_none=True, metadata={"example": "alice@example.com"})
    email_verified = fields.Bool(dump_only=True, metadata={"example": True})
    email_pending = fields.Str(dump_only=True, allow_none=True, metadata={"example": None})
    mfa_enabled = fields.Bool(dump_only=True, metadata={"example": False})


class UserCreateSchema(UserSchema):
    class Meta:
        exclude = dump_only(UserSchema)

    email = email_field(
        load_default=None, allow_none=True, load_only=True
    )  # optional: a verification mail goes to it

    password = fields.Str(
        required=True,
        validate=validate.Length(min=8, max=128),
        metadata=PASSWORD | {"description": "8 to 128 characters."},
    )


class LoginSchema(Schema):
    # No length rules here: a wrong-length password is simply a wrong password.
    username = fields.Str(
        required=True,
        validate=[validate.Length(max=80), no_nul],
        metadata=USERNAME | {"pattern": NO_NUL_PATTERN},
    )
    password = fields.Str(required=True, validate=validate.Length(max=128), metadata=PASSWORD)


class PasswordChangeSchema(Schema):
    current_password = fields.Str(
        required=True, validate=validate.Length(max=128), metadata=PASSWORD
    )
    new_password = fields.Str(
        required=True,
        validate=validate.Length(min=8, max=128),
        metadata={"example": "a longer correct horse"},
    )


class LoginQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    cookies = fields.Bool(
        load_default=False,
        metadata={
            "description": "true: cookie mode for browser apps. The tokens go into HttpOnly "
            "cookies (access_token_cookie, and refresh_token_cookie for /refresh only) and "
            "readable csrf_access_token and csrf_refresh_token cookies; the body holds only "
            "the CSRF values. Every cookie-authenticated POST, PUT, PATCH and DELETE must "
            "then send the matching value in X-CSRF-TOKEN (csrf_refresh_token's for "
            "/refresh), or get 403 csrf_failed."
        },
    )


class TokensSchema(Schema):
    """Bearer mode (the default): the tokens themselves."""

    access_token = fields.Str(required=True, metadata=TOKEN)
    refresh_token = fields.Str(required=True, metadata=TOKEN)


class CookieTokensSchema(Schema):
    """Cookie mode (`POST /login?cookies=true`, or a refresh by cookie): no token, only
    the CSRF values, the same as the readable csrf_* cookies hold (a frontend on
    another origin cannot read those). The tokens are in HttpOnly cookies."""

    csrf_access_token = fields.Str(
        required=True,
        metadata={
            "description": "X-CSRF-TOKEN for every cookie write",
            "example": "0fef9e14-4b0e-4d2c-9c43-6f1f3b0b5a11",
        },
    )
    csrf_refresh_token = fields.Str(
        required=True,
        metadata={
            "description": "X-CSRF-TOKEN for POST /refresh",
            "example": "5ba3b203-8f0e-4a8e-b1d5-2c7d9e4f6a02",
        },
    )


SET_COOKIE = {
    "Set-Cookie": {
        "description": "Cookie mode only: access_token_cookie and refresh_token_cookie "
        "(HttpOnly, SameSite=Lax, Secure; the refresh cookie on Path=/refresh), "
        "csrf_access_token and csrf_refresh_token (readable by the page)",
        "schema": {"type": "string"},
    }
}
# A token response is one or the other; the views return it as a Response already.
TOKEN_RESPONSE = {"oneOf": [TokensSchema, CookieTokensSchema]}


SESSION_ID = {
    "type": "string",
    "pattern": "^[0-9a-f]{32}$",
    "description": "The login session's id: 32 hex digits, the `sid` claim of its tokens. "
    "A string, unlike the API's other ids: it is random, so it reveals nothing about "
    "other users' logins and cannot be guessed.",
    "example": "92d797b63c3d4dc990f9eeea081daa4c",
}


class LoginSessionSchema(Schema):
    """A login session as its user sees it: one device or browser."""

    id = fields.Str(dump_only=True, metadata=SESSION_ID)
    created_at = fields.DateTime(
        dump_only=True,
        metadata={"description": "Login, UTC.", "example": "2026-12-01T09:30:00+00:00"},
    )
    last_used_at = fields.DateTime(
        dump_only=True,
        metadata={
            "description": "Login or latest refresh, UTC.",
            "example": "2026-12-01T10:45:12+00:00",
        },
    )
    expires_at = fields.DateTime(
        dump_only=True,
        metadata={
            "description": "No token of this session is valid after this, UTC.",
            "example": "2026-12-31T09:30:00+00:00",
        },
    )
    user_agent = fields.Str(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "The login's User-Agent, cut to 200 characters.",
            "example": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
        },
    )
    ip = fields.Str(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "The client address at login, as the reverse proxy saw it.",
            "example": "203.0.113.7",
        },
    )
    current = fields.Bool(
        dump_only=True,
        metadata={
            "description": "The session of the token making this call.",
            "example": True,
        },
    )
    mfa = fields.Bool(
        dump_only=True,
        metadata={"description": "The login used a second factor.", "example": False},
    )


class EndedSessionsSchema(Schema):
    message = fields.Str(required=True, metadata={"example": "Other sessions ended."})
    ended = fields.Int(required=True, metadata={"example": 2})


class MessageSchema(Schema):
    message = fields.Str(required=True, metadata={"example": "Item deleted."})


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
    status = fields.Str(required=True, metadata={"example": "ok"})


class MailBacklogSchema(Schema):
    waiting = fields.Int(required=True, metadata={"example": 0})
    oldest_age = fields.Int(required=True, metadata={"description": "Seconds.", "example": 0})


class ReadySchema(StatusSchema):
    mail = fields.Nested(MailBacklogSchema, required=True)
