"""Rate limits (Flask-Limiter): failed logins per client and username and per client
across usernames, sign-ups and password reset requests per client. Counters live in
RATELIMIT_STORAGE_URI: Redis shared by every worker in production, process memory by
default (and as the fallback while Redis is down).

A view takes its limit with the `limited(blp, LOGIN)` decorator, which also documents
the 429; init_app finds the views that carry one, so renaming a view keeps its limit.
Each app gets its own Limiter, so two apps in one process never share counters unless
they share a Redis. Only public Flask-Limiter API is used: the limits wrap the
registered view functions, and a request filter tells its per-request hook that every
other endpoint is exempt before it resolves any limit (bench/README.md).

Logins count before they are checked: every attempt takes one from the counters
atomically (Redis INCR) before the password is looked at, so 40 parallel wrong logins
against a limit of 10 verify at most 10, and a 422 or a 429 counts like a 401. A login
that succeeds gives its count back. (Counting after the answer, Flask-Limiter's
`deduct_when`, let parallel logins all pass the check, and its late write turned the
first failed login of a Redis outage into a 500.)"""

from typing import Any, cast

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest.error_handler import ErrorSchema

from models import username_key
from web.errors import example

LOGIN_LIMITED = "Too many failed logins. Try again later."
REGISTER_LIMITED = "Too many sign-ups from this client. Try again later."
RESET_LIMITED = "Too many password reset requests from this client. Try again later."
LOGIN, LOGIN_CODE, REGISTER, PASSWORD_RESET = "login", "login_code", "register", "password_reset"
DESCRIPTIONS = {
    LOGIN: "Too many failed logins",
    LOGIN_CODE: "Too many failed logins from this client",
    REGISTER: "Too many sign-ups from this client",
    PASSWORD_RESET: "Too many reset requests from this client",
}
MESSAGES = {
    LOGIN: LOGIN_LIMITED,
    LOGIN_CODE: LOGIN_LIMITED,
    REGISTER: REGISTER_LIMITED,
    PASSWORD_RESET: RESET_LIMITED,
}
# No account's username is longer (LoginSchema, UserCreateSchema): a longer one is a
# 422, keyed on the client alone before it costs a normalization or a long Redis key.
USERNAME_MAX = 80


def limited(blp, kind: str):
    """Blueprint decorator: the view is rate limited as `kind` (LOGIN or REGISTER), and
    its OpenAPI entry says so with the 429 answer."""

    def decorate(fn):
        fn = blp.alt_response(
            429,
            schema=ErrorSchema,
            description=DESCRIPTIONS[kind],
            example=example(429, MESSAGES[kind]),
        )(fn)
        fn.rate_limit = kind
        return fn

    return decorate


def login_key() -> str:
    """Client and account: every spelling of one username (username_key) counts together."""
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    if not isinstance(username, str) or len(username) > USERNAME_MAX:
        return f"{get_remote_address()}|"
    return f"{get_remote_address()}|{username_key(username)}"


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


def marked(app: Flask) -> dict[str, dict[str, str]]:
    """{endpoint: {method: kind}} for every view method `limited` marked."""
    found: dict[str, dict[str, str]] = {}
    for endpoint, view in app.view_functions.items():
        view_class = getattr(view, "view_class", None)
        for method in getattr(view_class, "methods", None) or ():
            kind = getattr(getattr(view_class, method.lower(), None), "rate_limit", None)
            if kind:
                found.setdefault(endpoint, {})[method] = kind
    return found


def init_app(app: Flask) -> None:
    """Call after the blueprints are registered: it wraps their view functions."""
    # Registered before the Limiter's own hook, so it runs after it: Flask runs
    # after_request functions last-registered first.
    app.after_request(retry_after_only_when_refused)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    # Giving a successful login's count back needs a counter (fixed window).
    if app.config.setdefault("RATELIMIT_STRATEGY", "fixed-window") != "fixed-window":
        raise RuntimeError("RATELIMIT_STRATEGY must be fixed-window (logins give counts back)")
    limiter = Limiter(key_func=get_remote_address, app=app)
    if not limiter.enabled:
        # RATELIMIT_ENABLED=False: Flask-Limiter installs no hooks, so nothing would keep
        # this limiter alive for the views it wraps (they hold it weakly). Wrap nothing.
        return

    def per_client(methods: list[str]):
        """One client trying passwords against many accounts, or codes after them."""
        return limiter.shared_limit(
            lambda: current_app.config["RATELIMIT_LOGIN_FAILURES_PER_CLIENT"],
            scope="login-per-client",
            error_message=LOGIN_LIMITED,
            methods=methods,
        )

    decorators = {
        LOGIN: lambda methods: [
            limiter.limit(
                lambda: current_app.config["RATELIMIT_LOGIN_FAILURES"],
                key_func=login_key,
                error_message=LOGIN_LIMITED,
                methods=methods,
            ),
            per_client(methods),
        ],
        # The code step of a two-factor login has no username: the client's budget,
        # shared with the password step (wrong codes also count per account, mfa/codes.py).
        LOGIN_CODE: lambda methods: [per_client(methods)],
        REGISTER: lambda methods: [
            limiter.limit(
                lambda: current_app.config["RATELIMIT_REGISTER"],
                error_message=REGISTER_LIMITED,
                methods=methods,
            )
        ],
        PASSWORD_RESET: lambda methods: [
            limiter.limit(
                lambda: current_app.config["RATELIMIT_PASSWORD_RESET"],
                error_message=RESET_LIMITED,
                methods=methods,
            )
        ],
    }
    limits = marked(app)
    for endpoint, kinds in limits.items():
        for kind in set(kinds.values()):
            methods = [method for method, k in kinds.items() if k == kind]
            for limit in decorators[kind](methods):
                app.view_functions[endpoint] = cast(Any, limit(app.view_functions[endpoint]))
    limiter.request_filter(lambda: request.endpoint not in limits)

    @app.after_request
    def login_succeeded(response: Response) -> Response:
        """Only failures count: a login that got in gives its counts back, and so does a
        right password that is asked for its second factor (mfa/login.py marks it)."""
        kinds = limits.get(request.endpoint or "") or {}
        got_in = response.status_code < 400 or g.get("mfa_required")
        if kinds.get(request.method) in (LOGIN, LOGIN_CODE) and got_in:
            try:
                for limit in limiter.current_limits:
                    limiter.limiter.hit(limit.limit, *limit.request_args, cost=-1)
            except Exception:  # storage gone mid-request: the count stays, nothing else
                app.logger.warning("Could not give a successful login's count back")
        return response
