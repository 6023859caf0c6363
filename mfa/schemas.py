"""Request and response bodies of the two-factor endpoints (resources/mfa.py)."""

from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, fields, validate

from validation.fields import password_to_check

CODE = fields.Str(
    required=True,
    validate=validate.Length(min=1, max=64),
    metadata={
        "description": "The 6-digit code the authenticator app shows now, or an unused "
        "recovery code (xxxx-xxxx-xxxx; case, spaces and dashes do not matter).",
        "example": "123456",
    },
)
MFA_TOKEN = {
    "description": "From the 401 mfa_required answer of POST /login: opaque, 5 minutes, "
    "one login, at most 5 wrong codes.",
    "example": "Qm9vdHN0cmFwIHRoZSBzZWNvbmQgZmFjdG9yIGhlcmUuLi4",
}


class EnrolmentSchema(Schema):
    secret = fields.Str(required=True, metadata={"example": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"})
    otpauth_uri = fields.Str(
        required=True,
        metadata={
            "example": "otpauth://totp/Stores%20API:alice?secret=JBSWY3DPEHPK3PXP"
            "&issuer=Stores%20API"
        },
    )
    qr_svg = fields.Str(
        required=True,
        metadata={
            "description": "otpauth_uri as a QR code, an SVG document. Show it as an image "
            "(an <img> with a data: URI), never as markup.",
            "example": '<svg xmlns="http://www.w3.org/2000/svg" ...></svg>',
        },
    )


class CodeSchema(Schema):
    code = CODE


class DisableSchema(Schema):
    code = CODE
    current_password = password_to_check()


class MfaLoginSchema(Schema):
    mfa_token = fields.Str(required=True, validate=validate.Length(max=128), metadata=MFA_TOKEN)
    code = CODE


class RecoveryCodesSchema(Schema):
    recovery_codes = fields.List(
        fields.Str(),
        required=True,
        metadata={
            "description": "Ten codes, each good for one login. Shown once: keep them safe.",
            "example": ["k2bq-7xmd-ra4p", "wz5f-h3cn-e6ty"],
        },
    )


class CodeErrorSchema(ErrorSchema):
    """400: `{"message": "The code is not valid.", "error": "invalid_code"}` for a wrong
    code, or the API's usual error shape for a body that is not JSON."""

    error = fields.Str(metadata={"example": "invalid_code"})


class MfaRequiredSchema(Schema):
    """POST /login's 401: `{"message": "Invalid credentials."}`, or for the right password
    of a user with two-factor on, mfa_required with the token for POST /login/mfa."""

    message = fields.Str(required=True, metadata={"example": "A one-time code is required."})
    error = fields.Str(metadata={"example": "mfa_required"})
    mfa_token = fields.Str(metadata=MFA_TOKEN)
