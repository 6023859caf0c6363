"""The parsers of config.py's settings: the text of an environment variable (stripped) to
its value, or ValueError naming what a good value is (config.parse adds the variable's name
and what was given). Each refuses what would otherwise start an unsafe or broken app."""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from limits import parse_many
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

MIN_SECRET_BYTES = 32
MIN_SECRET_DISTINCT = 8  # "x" * 40, 32 spaces, "abab...": too few different characters


class SettingError(RuntimeError):
    """A setting the app refuses to start with; the message names it and the rule."""


# Parsers: the text of a variable (stripped) to its value, or ValueError(the rule) naming
# what a good value is; the table adds the variable's name and what was given.
def whole(least: int, rule: str, then: Callable[[int], Any] = int) -> Callable[[str], Any]:
    """A parser of whole numbers from `least` up, ASCII digits only ("15m", "1.5", "-1",
    fullwidth digits are refused), whose value is then(number)."""

    def parse(text: str) -> Any:
        if not (text.isascii() and text.isdecimal()) or int(text) < least:
            raise ValueError(rule)
        return then(int(text))

    return parse


def in_seconds(number: int) -> timedelta:
    return timedelta(seconds=number)


seconds = whole(1, "a whole number of seconds", in_seconds)  # a lifetime
seconds_or_off = whole(0, "a whole number of seconds", in_seconds)  # 0 turns it off
count = whole(1, "a whole number of at least 1")
count_or_none = whole(0, "a whole number (0 or more)")


def timeout(text: str) -> float:
    """Seconds, fractions allowed, more than 0 and at most an hour."""
    if not (re.fullmatch(r"[0-9]+(\.[0-9]+)?", text) and 0 < float(text) <= 3600):
        raise ValueError("a number of seconds above 0 and at most 3600 (such as 0.5)")
    return float(text)


def flag(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError("true or false")


def rate(text: str) -> str:
    """A rate limit as Flask-Limiter reads it: "10 per minute", "5/second;100/hour"."""
    try:
        if parse_many(text):
            return text
    except ValueError:
        pass
    raise ValueError('a rate such as "10 per minute"')


def storage_uri(text: str) -> str:
    if urlsplit(text).scheme not in ("memory", "redis", "rediss", "redis+sentinel", "valkey"):
        raise ValueError("memory:// or a redis:// URL")
    return text


def database_url(text: str) -> str:
    """A SQLAlchemy URL, accepting the `postgres://` form that hosting providers hand out;
    empty means the SQLite file in the instance folder (from_environment fills it in)."""
    for prefix in ("postgres://", "postgresql://"):
        if text.startswith(prefix):
            text = "postgresql+psycopg://" + text.removeprefix(prefix)
    try:
        if text:
            make_url(text)
    except ArgumentError:
        raise ValueError("a database URL such as postgresql+psycopg://user@host/db") from None
    return text


def secret(text: str) -> str:
    """An HS256 key nobody could guess. Empty: a random key made in the instance folder."""
    if text and weakness(text):
        raise ValueError(f"{SECRET_RULE} (it is {weakness(text)})")
    return text


SECRET_RULE = (
    f"at least {MIN_SECRET_BYTES} bytes of at least {MIN_SECRET_DISTINCT} different "
    "characters, without whitespace at either end"
)


def weakness(key: str) -> str | None:
    """Why a key could be guessed (too short, one character repeated, padding), or None."""
    if len(key.encode()) < MIN_SECRET_BYTES:
        return f"shorter than {MIN_SECRET_BYTES} bytes"
    if len(set(key)) < MIN_SECRET_DISTINCT:
        return f"made of fewer than {MIN_SECRET_DISTINCT} different characters"
    if key != key.strip():
        return "padded with whitespace"
    return None


def secret_list(text: str) -> list[str]:
    """Comma-separated keys (blanks ignored), each held to JWT_SECRET_KEY's rule."""
    keys = [key.strip() for key in text.split(",") if key.strip()]
    for number, key in enumerate(keys, 1):
        if weakness(key):
            raise ValueError(f"keys of {SECRET_RULE}: key #{number} is {weakness(key)}")
    return keys


# An origin as a browser sends it: scheme://host[:port], nothing after.
ORIGIN = re.compile(
    r"https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*)(:[1-9][0-9]{0,4})?"
)


def origins(text: str) -> list[str]:
    """`*` alone, or origins (a path, a trailing slash, `*` among names: refused)."""
    entries = [entry.strip() for entry in text.split(",")]
    odd = [entry for entry in entries if not ORIGIN.fullmatch(entry)]
    if entries != ["*"] and odd:
        raise ValueError(
            "`*` alone or origins like https://app.example (no path, no trailing slash, "
            f"no `*` among them; {odd[0]!r} is not one)"
        )
    return entries


def algorithm(text: str) -> str:
    if text not in ("HS256", "EdDSA", "ES256", "RS256"):
        raise ValueError("HS256, EdDSA, ES256 or RS256")
    return text


def anything(text: str) -> str:
    return text


def non_empty(text: str) -> str:
    if not text:
        raise ValueError("a name, not empty")
    return text


def pooler(text: str) -> str:
    """What DATABASE_URL reaches: PostgreSQL itself, or a pooler such as PgBouncer."""
    if text not in ("none", "transaction"):
        raise ValueError("none or transaction (PgBouncer, whatever its pool_mode)")
    return text


def worker(text: str) -> str:
    """Who sends queued mail: a thread of each serving process, or `flask mail worker`."""
    if text not in ("", "thread", "external"):
        raise ValueError("thread or external")
    return text
