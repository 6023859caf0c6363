"""Email and account recovery: change and verify an address, reset a forgotten password.
The logic is in account/; mail is queued in the same transaction (mail/outbox.py)."""

import time

from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import abort
from sqlalchemy.exc import IntegrityError

from account import addresses, recovery
from account.schemas import (
    EmailChangeSchema,
    LinkErrorSchema,
    LinkTokenSchema,
    ResetConfirmSchema,
    ResetRequestSchema,
)
from db import db
from models import User
from schemas import MessageSchema
from security.errors import (
    auth_error,
    invalid_credentials,
    token_revoked,
    wrong_password_response,
)
from security.limits import PASSWORD_RESET, limited
from security.passwords import verify_password
from web.blueprint import Blueprint

blp = Blueprint("account", __name__, description="Email and account recovery")

INVALID_LINK = {"message": "The link is invalid or has expired.", "error": "invalid_link"}
CHECK_INBOX = "Check your inbox to verify the new address."
RESET_SENT = "If an account with a verified email matches, a reset link has been sent."


def commit_or_invalid_link(ok: bool) -> None:
    """Keep what a link did, or answer 400 invalid_link (also when the address was
    verified by another account at the same moment: the unique key refuses it)."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        ok = False
    if not ok:
        abort(auth_error(400, **INVALID_LINK))


def invalid_link_response(fn):
    return blp.alt_response(
        400,
        schema=LinkErrorSchema,
        description="The token is unknown, spent or expired (or the body is not JSON)",
        example=INVALID_LINK,
    )(fn)


@blp.route("/my-info/email")
class MyEmail(MethodView):
    @blp.login_required(fresh=True)
    @wrong_password_response(blp)
    @blp.arguments(EmailChangeSchema)
    @blp.response(202, MessageSchema, example={"message": CHECK_INBOX})
    def put(self, data):
        """Set, change or (with null) remove my email (fresh token, current password)"""
        user = db.session.get(User, current_user.id) or abort(token_revoked())
        verify_password(data["current_password"], user.password)[0] or invalid_credentials()
        addresses.change(user, data["email"])
        db.session.commit()
        return {"message": CHECK_INBOX}


@blp.route("/verify-email")
class VerifyEmail(MethodView):
    @blp.arguments(LinkTokenSchema)
    @blp.response(200, MessageSchema, example={"message": "Email verified."})
    @invalid_link_response
    def post(self, data):
        """Verify an address with the token from its mail (single use)"""
        commit_or_invalid_link(addresses.verify(data["token"]))
        return {"message": "Email verified."}


@blp.route("/password-reset")
class PasswordReset(MethodView):
    @blp.arguments(ResetRequestSchema)
    @blp.response(202, MessageSchema, example={"message": RESET_SENT})
    @limited(blp, PASSWORD_RESET)
    def post(self, data):
        """Ask for a reset link: the same answer, in the same time, whatever matches"""
        started = time.monotonic()
        recovery.request_reset(data["login"])
        db.session.commit()
        recovery.answer_after(started)
        return {"message": RESET_SENT}


@blp.route("/password-reset/confirm")
class PasswordResetConfirm(MethodView):
    @blp.arguments(ResetConfirmSchema)
    @blp.response(200, MessageSchema, example={"message": "Password changed."})
    @invalid_link_response
    def post(self, data):
        """Set a new password with a reset token: every session of the user ends"""
        commit_or_invalid_link(recovery.confirm_reset(data["token"], data["new_password"]))
        return {"message": "Password changed."}
