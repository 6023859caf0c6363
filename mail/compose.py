"""The mails the app sends: plain text saying what happened, the link, the token for
API clients, and how long it lasts. Links come from FRONTEND_URL alone, never from a
request's Host, so a forged Host header cannot send a reset link to an attacker's site."""

from flask import current_app

VERIFY, RESET = "verify", "reset"
SIGNATURE = "\n\nIf this was not you, you can ignore this mail.\n"
NOTICE_SIGNATURE = "\n\nIf this was not you, reset your password and check your account now.\n"


def link(kind: str, token: str) -> str | None:
    """FRONTEND_URL#<kind>=<token>, or FRONTEND_URL as a template with {token} and {kind}."""
    frontend = current_app.config["FRONTEND_URL"]
    if not frontend:
        return None
    if "{token}" in frontend:
        return frontend.format(token=token, kind=kind)
    return f"{frontend}#{kind}={token}"


def lifetime(seconds: int) -> str:
    minutes = seconds // 60
    return f"{minutes // 60} hours" if minutes >= 120 else f"{minutes} minutes"


def with_token(kind: str, token: str, seconds: int, what: str) -> str:
    url = link(kind, token)
    lines = [what, ""]
    if url:
        lines += ["Open this link:", url, ""]
    endpoint = "/verify-email" if kind == VERIFY else "/password-reset/confirm"
    lines += [
        f"Or give this token to the API (POST {endpoint}):",
        token,
        "",
        f"It works once, for {lifetime(seconds)}.",
    ]
    return "\n".join(lines) + SIGNATURE


def verify(username: str, token: str, seconds: int) -> tuple[str, str]:
    what = f"Someone (hopefully you) gave this address to the Stores API account {username!r}."
    return "Verify your email address", with_token(VERIFY, token, seconds, what)


def reset(username: str, token: str, seconds: int) -> tuple[str, str]:
    what = f"A password reset was asked for the Stores API account {username!r}."
    return "Reset your password", with_token(RESET, token, seconds, what)


def address_taken(username: str) -> tuple[str, str]:
    body = (
        f"Someone gave this address to the Stores API, but it is already the verified "
        f"address of your account {username!r}, so it stays yours and no link was sent."
    )
    return "Your address was given to another account", body + SIGNATURE


def email_changed(username: str, new: str | None) -> tuple[str, str]:
    change = f"to {new} (it becomes the recovery address once verified)" if new else "removed"
    body = f"The email address of your Stores API account {username!r} was {change}."
    return "Your email address was changed", body + NOTICE_SIGNATURE


def password_changed(username: str, how: str) -> tuple[str, str]:
    body = (
        f"The password of your Stores API account {username!r} was {how}. "
        "Every session was logged out."
    )
    return "Your password was changed", body + NOTICE_SIGNATURE
