"""Two-factor login: enrol, confirm, turn off, and the code step of a login.
The rules are in mfa/; every answer carrying a secret, codes or tokens is no-store."""

from flask import after_this_request
from flask.views import MethodView
from flask_jwt_extended import current_user, get_jwt
from flask_smorest import abort
from flask_smorest.error_handler import ErrorSchema

from db import db
from mfa import codes, enrolment
from mfa.login import (
    CODES_LIMITED,
    INVALID_CODE,
    MFA_TOKEN_INVALID,
    finish,
    refuse_while_limited,
    wrong_code,
)
from mfa.schemas import (
    CodeErrorSchema,
    CodeSchema,
    DisableSchema,
    EnrolmentSchema,
    MfaLoginSchema,
    RecoveryCodesSchema,
)
from models import User
from schemas import AuthErrorSchema, LoginQuerySchema, MessageSchema
from security.cookies import token_response
from security.errors import (
    invalid_credentials,
    token_revoked,
    wrong_password_response,
)
from security.limits import LOGIN_CODE, limited
from security.passwords import verify_password
from security.tokens import NO_STORE_DOC, issue_tokens, not_cached
from web.blueprint import Blueprint
from web.errors import example
from web.openapi import SET_COOKIE, TOKEN_RESPONSE

blp = Blueprint("mfa", __name__, description="Two-factor login (TOTP and recovery codes)")

ALREADY_ON = "Two-factor login is already on."
ALREADY_OFF = "Two-factor login is not on."
NO_PENDING = "No enrolment is pending."


def code_errors(fn):
    """The answers every endpoint that takes a code can give."""
    fn = blp.alt_response(
        400, schema=CodeErrorSchema, description="Wrong or used code", example=INVALID_CODE
    )(fn)
    return blp.alt_response(
        429,
        schema=ErrorSchema,
        description="Too many wrong codes for this account (10 in 15 minutes)",
        example=example(429, CODES_LIMITED),
    )(fn)


def me() -> User:
    """The caller's row, locked: two-factor changes of one user go one at a time."""
    return enrolment.locked_user(current_user.id) or abort(token_revoked())


@blp.route("/my-info/mfa")
class Enrol(MethodView):
    @blp.login_required(fresh=True)
    @blp.response(200, EnrolmentSchema, headers=NO_STORE_DOC)
    @blp.alt_response(
        409, schema=ErrorSchema, description=ALREADY_ON, example=example(409, ALREADY_ON)
    )
    def post(self):
        """Start turning on two-factor login: a new secret and its QR code (not on yet)"""
        started = enrolment.start(me()) or abort(409, message=ALREADY_ON)
        db.session.commit()
        after_this_request(not_cached)
        return started


@blp.route("/my-info/mfa/confirm")
class Confirm(MethodView):
    @blp.login_required(fresh=True)
    @blp.arguments(CodeSchema)
    @blp.response(200, RecoveryCodesSchema, headers=NO_STORE_DOC)
    @blp.alt_response(
        409, schema=ErrorSchema, description=NO_PENDING, example=example(409, NO_PENDING)
    )
    @code_errors
    def post(self, data):
        """Turn two-factor login on with a code from the app: ten recovery codes, shown once"""
        user = me()
        codes.credential(user.id, enabled=False) or abort(409, message=NO_PENDING)
        refuse_while_limited(user.id)
        recovery = enrolment.confirm(user, data["code"], get_jwt()["sid"]) or wrong_code(user)
        db.session.commit()
        after_this_request(not_cached)
        return {"recovery_codes": recovery}


@blp.route("/my-info/mfa/disable")
class Disable(MethodView):
    @blp.login_required(fresh=True)
    @wrong_password_response(blp)
    @blp.arguments(DisableSchema)
    @blp.response(200, MessageSchema, example={"message": "Two-factor login turned off."})
    @blp.alt_response(
        409, schema=ErrorSchema, description=ALREADY_OFF, example=example(409, ALREADY_OFF)
    )
    @code_errors
    def post(self, data):
        """Turn two-factor login off (fresh token, password and a code or recovery code)"""
        user = me()
        verify_password(data["current_password"], user.password)[0] or invalid_credentials()
        codes.credential(user.id) or abort(409, message=ALREADY_OFF)
        refuse_while_limited(user.id)
        enrolment.disable(user, data["code"], get_jwt()["sid"]) or wrong_code(user)
        db.session.commit()
        return {"message": "Two-factor login turned off."}


@blp.route("/login/mfa")
class LoginMfa(MethodView):
    @blp.arguments(MfaLoginSchema)
    @blp.arguments(LoginQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, TOKEN_RESPONSE, headers={**SET_COOKIE, **NO_STORE_DOC})
    @blp.alt_response(
        401,
        schema=AuthErrorSchema,
        description="Unknown, used, expired or exhausted mfa_token",
        example=MFA_TOKEN_INVALID,
    )
    @code_errors
    @limited(blp, LOGIN_CODE)
    def post(self, data, cookies):
        """Log in, second step: the mfa_token from POST /login and a code give the token pair"""
        user, session = finish(data["mfa_token"], data["code"])
        db.session.commit()
        tokens = issue_tokens(user, session.id, session.refresh_jti, fresh=True)
        return token_response(tokens, to_cookies=cookies)
