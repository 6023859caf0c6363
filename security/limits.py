"""Rate limits (Flask-Limiter): failed logins per client and username and per client
across usernames, sign-ups per client. Counters live in RATELIMIT_STORAGE_URI: Redis
shared by every worker in production, process memory by default (and as the fallback
while Redis is down).

Each app gets its own Limiter, so two apps in one process never share counters
unless they share a Redis. Only public Flask-Limiter API is used: the limits wrap
the registered view functions, and a request filter tells its per-request hook that
every other endpoint is exempt before it resolves any limit (bench/README.md)."""

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from models import username_key

LOGIN_LIMITED = "Too many failed logins. Try again later."
REGISTER_LIMITED = "Too many sign-ups from this client. Try again later."
RESET_LIMITED = "Too many password reset requests from this client. Try again later."


def login_key() -> str:
    """Client and account: every spelling of one username (username_key) counts together."""
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    key = username_key(username) if isinstance(username, str) else None
    return f"{get_remote_address()}|{key}"


def failed_login(response: Response) -> bool:
    """A wrong password (401) or a wrong one-time code; not the 401 mfa_required that a
    right password of a user with two-factor on gets (mfa/login.py marks both in `g`)."""
    if g.get("mfa_wrong_code"):
        return True
    return response.status_code == 401 and not g.get("mfa_required")


def retry_after_only_when_refused(response: Response) -> Response:
    """Flask-Limiter's headers put Retry-After on every response of a limited endpoint,
    a successful login included; a client must see it only when told to wait (429, or
    503 while a dependency is down)."""
    if response.status_code not in (429, 503):
        response.headers.pop("Retry-After", None)
    return response


def init_app(app: Flask) -> None:
    """Call after the blueprints are registered: it wraps their view functions."""
    # Registered before the Limiter's own hook, so it runs after it: Flask runs
    # after_request functions last-registered first.
    app.after_request(retry_after_only_when_refused)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter = Limiter(key_func=get_remote_address, app=app)
    if not limiter.enabled:
        # RATELIMIT_ENABLED=False: Flask-Limiter installs no hooks, so nothing would keep
        # this limiter alive for the views it wraps (they hold it weakly). Wrap nothing.
        return
    failed = {"deduct_when": failed_login, "error_message": LOGIN_LIMITED}
    # One budget per client for passwords and one-time codes alike (the code step has no
    # username; wrong codes are also counted per account in the database, mfa/codes.py).
    per_client = limiter.shared_limit(
        lambda: current_app.config["RATELIMIT_LOGIN_FAILURES_PER_CLIENT"],
        scope="login-per-client",
        **failed,
    )
    limits = {
        # Only failures count; once over either, even the right password gets 429.
        "users.Login": [
            limiter.limit(
                lambda: current_app.config["RATELIMIT_LOGIN_FAILURES"],
                key_func=login_key,
                **failed,
            ),
            # One client trying a password against many accounts.
            per_client,
        ],
        "mfa.LoginMfa": [per_client],
        "users.Register": [
            limiter.limit(
                lambda: current_app.config["RATELIMIT_REGISTER"],
                error_message=REGISTER_LIMITED,
            )
        ],
        "account.PasswordReset": [
            limiter.limit(
                lambda: current_app.config["RATELIMIT_PASSWORD_RESET"],
                error_message=RESET_LIMITED,
            )
        ],
    }
    for endpoint, decorators in limits.items():
        for limit in decorators:
            app.view_functions[endpoint] = limit(app.view_functions[endpoint])
    limiter.request_filter(lambda: request.endpoint not in limits)
