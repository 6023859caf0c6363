"""Marshmallow schemas: what the API reads and writes. Unknown fields are
rejected (marshmallow's default RAISE), so `is_admin` or `id` cannot be mass-assigned.

Each representation is defined once, as the response it is (StoreSchema, ItemSchema...);
a request body is that representation minus its dump-only fields (`dump_only()`), plus
what only a request carries (an item's `store_id`, a user's `password`). So the OpenAPI
document has separate request and response schemas and no read-only field ever appears
in a request body (Postman's converter and Swagger UI would send it back: 422).
Every field carries a realistic `example`, which Swagger UI and Postman show and send."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from queries.rows import RowSchema
from validation.bounds import MAX_ID, MAX_PAGE, MAX_PAGE_SIZE, NESTED_LIMIT, PAGE_SIZE
from validation.fields import (
    Name,
    Price,
    description_field,
    dump_only,
    id_field,
    nested_list,
    password_to_check,
    password_to_set,
)
from validation.validators import NO_NUL_PATTERN, Username, no_control, no_nul

__all__ = ["MAX_ID", "NESTED_LIMIT"]  # for the row reads, which cut lists as these do


class PlainStoreSchema(RowSchema):
    id = id_field(dump_only=True)
    name = Name("Corner Shop")


class PlainItemSchema(RowSchema):
    id = id_field(dump_only=True)
    name = Name("Chair")
    price = Price()


class PlainTagSchema(RowSchema):
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
    description = description_field("Solid oak, seats one.")
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
    """A list's query: keyset (`after`) or offset (`page`); `after` wins if both come."""

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
            "description": "Rows with a greater id (keyset walking); 0: from the start. "
            "Wins over ?page= when both are given.",
            "example": 0,
        },
    )
    # No example: Swagger UI would fill it in beside `after`.
    page = fields.Int(
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={
            "description": "Classic offset page, with totals in X-Pagination; ignored "
            "with ?after=. Offset pages reach 10,000 rows at most: past them, walk with ?after=."
        },
    )


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


class TagAndItemSchema(RowSchema):
    message = fields.Str(metadata={"example": "Item removed from tag"})
    item = fields.Nested(ItemSchema)
    tag = fields.Nested(TagSchema)


USERNAME = {"example": "alice"}
TOKEN = {"example": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.sig"}


class UserSchema(RowSchema):  # GET /my-info dumps the token check's row
    id = id_field(dump_only=True)
    username = fields.Str(
        required=True, validate=[validate.Length(min=3, max=80), Username()], metadata=USERNAME
    )
    is_admin = fields.Bool(dump_only=True, metadata={"example": False})


def email_field(**kwargs) -> fields.Email:
    """An email address as a request gives it (compared folded: models.email_key)."""
    return fields.Email(
        validate=[validate.Length(max=254), no_control],
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

    password = password_to_set()


class LoginSchema(Schema):
    # No length rules here: a wrong-length password is simply a wrong password.
    username = fields.Str(
        required=True,
        validate=[validate.Length(max=80), no_nul],
        metadata=USERNAME | {"pattern": NO_NUL_PATTERN},
    )
    password = password_to_check()


class PasswordChangeSchema(Schema):
    current_password = password_to_check()
    new_password = password_to_set("a longer correct horse")


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
