"""Accounts and tokens: register, login, refresh, logout, my-info, user records."""

from flask.views import MethodView
from flask_jwt_extended import current_user, get_current_user, get_jwt, get_jwt_request_location
from flask_smorest import abort

from account import addresses, recovery
from db import db
from mfa.login import MFA_REQUIRED_BODY, challenge, mfa_required
from mfa.schemas import MfaRequiredSchema
from models import User
from schemas import (
    LoginQuerySchema,
    LoginSchema,
    MessageSchema,
    MyInfoSchema,
    PasswordChangeSchema,
    UserCreateSchema,
    UserSchema,
)
from security.cookies import logout_required, token_response
from security.errors import (
    INVALID_CREDENTIALS,
    invalid_credentials,
    token_revoked,
    wrong_password_response,
)
from security.limits import LOGIN, REGISTER, limited
from security.passwords import hash_password, verify_password
from security.sessions import end_all_sessions, end_session, log_in, rotate_or_end
from security.tokens import NO_STORE_DOC, issue_tokens
from web.blueprint import Blueprint
from web.openapi import SET_COOKIE, TOKEN_RESPONSE

blp = Blueprint("users", __name__, description="Accounts and tokens")

# A token response: cookies in cookie mode, and never cached (web/protocol.py).
TOKEN_HEADERS = {**SET_COOKIE, **NO_STORE_DOC}


@blp.route("/register")
class Register(MethodView):
    @blp.arguments(UserCreateSchema)
    @blp.response(201, MessageSchema)
    @blp.conflict(409, "A user with that username already exists.")
    @limited(blp, REGISTER)
    def post(self, data):
        """Create an account; with an email, a verification mail is sent"""
        user = User(username=data["username"], password=hash_password(data["password"]))
        db.session.add(user)
        if data["email"]:
            db.session.flush()  # the id the verification token names
            addresses.offer(user, data["email"])
        db.session.commit()
        return {"message": "User created successfully."}


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.arguments(LoginQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, TOKEN_RESPONSE, headers=TOKEN_HEADERS)
    @blp.alt_response(
        401,
        schema=MfaRequiredSchema,
        description="Invalid credentials (the example); or, for the right password of a user "
        "with two-factor login on, no tokens but `"
        + MFA_REQUIRED_BODY
        + "`: send that mfa_token and a code to POST /login/mfa",
        example=INVALID_CREDENTIALS,
    )
    @limited(blp, LOGIN)
    def post(self, data, cookies):
        """Log in with a password: a fresh access token and a refresh token"""
        user, session = log_in(data["username"], data["password"])
        if session is None:  # two-factor on: POST /login/mfa finishes with a code
            token = challenge(user) or invalid_credentials()
            db.session.commit()
            return mfa_required(token)
        db.session.commit()
        tokens = issue_tokens(user, session.id, session.refresh_jti, fresh=True)
        return token_response(tokens, to_cookies=cookies)


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.login_required(refresh=True)
    @blp.response(200, TOKEN_RESPONSE, headers=TOKEN_HEADERS)
    def post(self):
        """Trade a refresh token for a new (non-fresh) access token and refresh token"""
        claims = get_jwt()
        refresh_jti = rotate_or_end(claims["sid"], claims["jti"])
        db.session.commit()
        if refresh_jti is None:  # a spent refresh token came back: its session ended
            return token_revoked()
        tokens = issue_tokens(current_user, claims["sid"], refresh_jti, fresh=False)
        return token_response(tokens, to_cookies=get_jwt_request_location() == "cookies")


@blp.route("/logout")
class Logout(MethodView):
    @blp.login_required(check=logout_required)
    @blp.response(200, MessageSchema)
    def post(self, sid):
        """End this login session: its tokens stop working (by cookie: cookies cleared)"""
        end_session(sid)
        db.session.commit()
        return {"message": "Successfully logged out"}


@blp.route("/my-info")
class MyInfo(MethodView):
    @blp.login_required()
    @blp.response(200, MyInfoSchema)
    def get(self):
        """The token's user, with the state of its email address and two-factor login"""
        return get_current_user()  # the token check's row itself, not its proxy


@blp.route("/my-info/password")
class MyPassword(MethodView):
    @blp.login_required(fresh=True)
    # Below `login_required`, so it overrides its token-only 401 schema: a wrong current
    # password answers 401 {"message": "Invalid credentials."}.
    @wrong_password_response(blp)
    @blp.arguments(PasswordChangeSchema)
    @blp.response(200, MessageSchema)
    def put(self, data):
        """Change my password (fresh token): every session of mine ends"""
        user = db.session.get(User, current_user.id) or abort(token_revoked())
        ok, _ = verify_password(data["current_password"], user.password)
        if not ok:
            invalid_credentials()
        user.password = hash_password(data["new_password"])
        end_all_sessions(user.id)
        recovery.password_changed(user)
        db.session.commit()
        return {"message": "Password changed."}


@blp.route("/user/<id:user_id>")
class UserById(MethodView):
    @blp.login_required()
    @blp.response(200, UserSchema)
    @blp.self_or_admin("user_id", missing="No such user (answered to admins only)")
    def get(self, user_id):
        """A user's record: yourself, or anyone if you are an admin"""
        return db.session.get(User, user_id) or abort(404)

    @blp.login_required(fresh=True)
    @blp.response(200, MessageSchema)
    @blp.self_or_admin("user_id", missing="No such user (answered to admins only)")
    def delete(self, user_id):
        """Delete an account (fresh token): yourself, or anyone if you are an admin"""
        user = db.session.get(User, user_id) or abort(404)
        db.session.delete(user)  # its login sessions go with it (ON DELETE CASCADE)
        db.session.commit()
        return {"message": "User deleted."}
