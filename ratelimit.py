"""Rate limits (Flask-Limiter): failed logins per client and username, sign-ups per
client. Counters live in RATELIMIT_STORAGE_URI: Redis shared by every worker in
production, process memory by default (and as the fallback while Redis is down).

Each app gets its own Limiter, so two apps in one process never share counters
unless they share a Redis."""

from functools import partial

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address


def login_key() -> str:
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    return f"{get_remote_address()}|{username}"


def confine_hooks(app: Flask, limiter: Limiter, blueprint: str) -> None:
    """Flask-Limiter hooks into every request of the app, but every limit here is on
    one blueprint's views: move its after-request and teardown hooks (headers,
    failure-only deductions) to that blueprint, and drop its before-request check of
    app-wide limits, which we have none of (the wrapped views check their own).
    Together they were about 70 us of every request in-process, a quarter of GET /health."""
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    for hooks in (app.after_request_funcs, app.teardown_request_funcs):
        for hook in [hook for hook in hooks[None] if _bound_to(hook, limiter)]:
            hooks[None].remove(hook)
            hooks[blueprint].append(hook)


def _bound_to(hook, limiter: Limiter) -> bool:
    return getattr(hook, "__self__", None) is limiter or (
        isinstance(hook, partial) and limiter in hook.args
    )


def init_app(app: Flask) -> None:
    """Call after the blueprints are registered: it wraps their view functions."""
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter = Limiter(key_func=get_remote_address, app=app)
    confine_hooks(app, limiter, blueprint="users")
    limits = {
        # Only failures count; once over, even the right password gets 429.
        "users.Login": limiter.limit(
            lambda: current_app.config["RATELIMIT_LOGIN_FAILURES"],
            key_func=login_key,
            deduct_when=lambda response: response.status_code == 401,
            error_message="Too many failed logins. Try again later.",
        ),
        "users.Register": limiter.limit(
            lambda: current_app.config["RATELIMIT_REGISTER"],
            error_message="Too many sign-ups from this client. Try again later.",
        ),
    }
    for endpoint, limit in limits.items():
        app.view_functions[endpoint] = limit(app.view_functions[endpoint])
