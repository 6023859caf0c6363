"""The two-factor mails (sent through the outbox like account/'s, to the verified address)."""

from mail.compose import NOTICE_SIGNATURE


def turned(username: str, on: bool) -> tuple[str, str]:
    state = "on" if on else "off"
    body = (
        f"Two-factor login was turned {state} for your Stores API account {username!r}. "
        "Every other session was logged out."
    )
    return f"Two-factor login turned {state}", body + NOTICE_SIGNATURE


def recovery_used(username: str, left: int) -> tuple[str, str]:
    body = (
        f"A recovery code was used to log in to your Stores API account {username!r}. "
        f"{left} unused code(s) are left; each works once."
    )
    return "A recovery code was used", body + NOTICE_SIGNATURE


def too_many_codes(username: str, seconds: int) -> tuple[str, str]:
    body = (
        f"Too many wrong one-time codes were given for your Stores API account {username!r}. "
        f"Codes are refused for the next {seconds // 60} minutes. Someone may know your "
        "password: change it."
    )
    return "Too many wrong one-time codes", body + NOTICE_SIGNATURE
