"""Marshmallow schemas: what the API reads and writes. Unknown fields are
rejected (marshmallow's default RAISE), so `is_admin` or `id` cannot be mass-assigned."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

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


class UserSchema(Schema):
    id = fields.Int(dump_only=True)
    username = fields.Str(required=True, validate=[validate.Length(min=3, max=80), NO_NUL])
    password = fields.Str(required=True, load_only=True, validate=validate.Length(min=8, max=128))
    is_admin = fields.Bool(dump_only=True)


class LoginSchema(Schema):
    # No length rules here: a wrong-length password is simply a wrong password.
    username = fields.Str(required=True, validate=[validate.Length(max=80), NO_NUL])
    password = fields.Str(required=True, validate=validate.Length(max=128))


class PasswordChangeSchema(Schema):
    current_password = fields.Str(required=True, validate=validate.Length(max=128))
    new_password = fields.Str(required=True, validate=validate.Length(min=8, max=128))


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

    access_token = fields.Str(required=True)
    refresh_token = fields.Str(required=True)


class CookieTokensSchema(Schema):
    """Cookie mode (`POST /login?cookies=true`, or a refresh by cookie): no token, only
    the CSRF values, the same as the readable csrf_* cookies hold (a frontend on
    another origin cannot read those). The tokens are in HttpOnly cookies."""

    csrf_access_token = fields.Str(
        required=True, metadata={"description": "X-CSRF-TOKEN for every cookie write"}
    )
    csrf_refresh_token = fields.Str(
        required=True, metadata={"description": "X-CSRF-TOKEN for POST /refresh"}
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
}


class LoginSessionSchema(Schema):
    """A login session as its user sees it: one device or browser."""

    id = fields.Str(dump_only=True, metadata=SESSION_ID)
    created_at = fields.DateTime(dump_only=True, metadata={"description": "Login, UTC."})
    last_used_at = fields.DateTime(
        dump_only=True, metadata={"description": "Login or latest refresh, UTC."}
    )
    expires_at = fields.DateTime(
        dump_only=True,
        metadata={"description": "No token of this session is valid after this, UTC."},
    )
    user_agent = fields.Str(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The login's User-Agent, cut to 200 characters."},
    )
    ip = fields.Str(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The client address at login, as the reverse proxy saw it."},
    )
    current = fields.Bool(
        dump_only=True, metadata={"description": "The session of the token making this call."}
    )


class EndedSessionsSchema(Schema):
    message = fields.Str(required=True)
    ended = fields.Int(required=True)


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
