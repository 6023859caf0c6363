"""Request bodies of the email and recovery endpoints (resources/account.py)."""

from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, fields, validate

from schemas import email_field
from validation.fields import password_to_check, password_to_set
from validation.validators import no_nul

TOKEN = {"example": "q3vP0v9m3yQk7bq1cX0sJ2l8Zr5tYw4uHn6aE1dG2fI"}


class LinkErrorSchema(ErrorSchema):
    """400: `{"message", "error": "invalid_link"}` for a token that is no good, or the
    API's usual error shape for a body that is not JSON."""

    error = fields.Str(metadata={"example": "invalid_link"})


class EmailChangeSchema(Schema):
    email = email_field(required=True, allow_none=True)
    current_password = password_to_check()


class LinkTokenSchema(Schema):
    token = fields.Str(required=True, validate=[validate.Length(max=128), no_nul], metadata=TOKEN)


class ResetRequestSchema(Schema):
    login = fields.Str(
        required=True,
        validate=[validate.Length(min=1, max=254), no_nul],
        metadata={"example": "alice@example.com", "description": "A username or an email."},
    )


class ResetConfirmSchema(LinkTokenSchema):
    new_password = password_to_set("a new correct horse")
