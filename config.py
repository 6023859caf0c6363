"""Settings: the constants of this API, then the environment (and `.env`), every variable
through one strict parser in the ENVIRONMENT table, so a bad value stops start-up with one
line naming the variable, the rule and what was given.

Adding a variable is one line in ENVIRONMENT (plus its README Settings row)."""

import os
import re
import secrets
from collections.abc import Callable, Mapping, MutableMapping
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from dotenv import load_dotenv
from limits import parse_many
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

MIN_SECRET_BYTES = 32
MIN_SECRET_DISTINCT = 8  # "x" * 40, 32 spaces, "abab...": too few different characters
MiB = 1024 * 1024

# What no environment changes: the contract's choices (API.md) and the libraries' wiring.
CONSTANTS: dict[str, Any] = {
    "JWT_ALGORITHM": "HS256",
    "JWT_DECODE_ALGORITHMS": ["HS256"],
    # The header first: a request with a valid Bearer token never looks at cookies,
    # so a stale cookie or a missing CSRF value cannot break it.
    "JWT_TOKEN_LOCATION": ["headers", "cookies"],
    # Cookie mode (POST /login?cookies=true, security/cookies.py): HttpOnly token
    # cookies, readable CSRF cookies, double submit in X-CSRF-TOKEN on every write.
    "JWT_COOKIE_CSRF_PROTECT": True,
    "JWT_CSRF_CHECK_FORM": False,  # the header only: a cross-site form cannot set one
    "JWT_COOKIE_SAMESITE": "Lax",
    "JWT_SESSION_COOKIE": False,  # kept across browser restarts, as the tokens are
    "JWT_REFRESH_COOKIE_PATH": "/refresh",  # the one endpoint that reads it
    "MAX_CONTENT_LENGTH": MiB,
    # OWASP's argon2id minimum: 19 MiB, 2 passes, 1 lane.
    "ARGON2_MEMORY_COST": 19_456,
    "ARGON2_TIME_COST": 2,
    "API_TITLE": "Stores REST API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "/swagger-ui",
    "OPENAPI_SWAGGER_UI_URL": "/swagger-ui-assets/",
    # The tokens pasted into Authorize survive a page reload (kept in localStorage).
    "OPENAPI_SWAGGER_UI_CONFIG": {"persistAuthorization": True},
    "PROPAGATE_EXCEPTIONS": False,
}


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


class Setting(NamedTuple):
    parse: Callable[[str], Any]
    default: str
    shown: bool = True  # False for secrets: an error never prints them


# Every variable read from the environment: its parser and its default (README: Settings).
ENVIRONMENT: dict[str, Setting] = {
    "DATABASE_URL": Setting(database_url, ""),
    "JWT_SECRET_KEY": Setting(secret, "", shown=False),
    "JWT_PREVIOUS_SECRET_KEYS": Setting(secret_list, "", shown=False),
    "JWT_ACCESS_TOKEN_EXPIRES": Setting(seconds, "900"),
    "JWT_REFRESH_TOKEN_EXPIRES": Setting(seconds, "2592000"),
    "JWT_REFRESH_GRACE_SECONDS": Setting(seconds_or_off, "10"),
    "JWT_COOKIE_SECURE": Setting(flag, "true"),
    "CORS_ORIGINS": Setting(origins, "*"),
    "RATELIMIT_LOGIN_FAILURES": Setting(rate, "10 per minute"),
    "RATELIMIT_LOGIN_FAILURES_PER_CLIENT": Setting(rate, "100 per minute"),
    "RATELIMIT_REGISTER": Setting(rate, "30 per minute"),
    "MAX_SESSIONS_PER_USER": Setting(count, "50"),
    "RATELIMIT_STORAGE_URI": Setting(storage_uri, "memory://"),
    "REDIS_TIMEOUT": Setting(timeout, "1"),
    "PROXY_COUNT": Setting(count_or_none, "0"),
    "DATABASE_TIMEOUT": Setting(timeout, "5"),
}


def parse(name: str, text: str) -> Any:
    """One variable through its parser; a refusal becomes one line naming all three."""
    setting = ENVIRONMENT[name]
    text = text.strip() if setting.shown else text  # a secret's padding is its parser's
    try:
        return setting.parse(text)
    except ValueError as error:
        given = f", got {text!r}" if setting.shown else ""
        raise SettingError(f"{name} must be {error}{given}") from None


def read_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Every ENVIRONMENT variable, parsed; unset takes the default (set but empty does
    not: `JWT_ACCESS_TOKEN_EXPIRES=` is a mistake, not a wish for 900)."""
    return {
        name: parse(name, environ.get(name, setting.default))
        for name, setting in ENVIRONMENT.items()
    }


def from_environment(instance_path: str) -> dict[str, Any]:
    """The app's settings: CONSTANTS, then the environment mapped onto the libraries' names."""
    load_dotenv()  # `.env` for gunicorn too; never overrides the real environment
    env = read_environment(os.environ)
    url, redis_timeout = env.pop("DATABASE_URL"), env.pop("REDIS_TIMEOUT")
    return (
        CONSTANTS
        | env
        | {
            "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{Path(instance_path) / 'stores.db'}",
            "JWT_SECRET_KEY": env["JWT_SECRET_KEY"] or instance_secret(instance_path),
            # A Redis that stops answering costs a request at most this, then the limiter
            # falls back to memory (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED).
            "RATELIMIT_STORAGE_OPTIONS": {
                "socket_connect_timeout": redis_timeout,
                "socket_timeout": redis_timeout,
            },
        }
    )


def instance_secret(instance_path: str) -> str:
    """A random 256-bit key kept in the instance folder, made on first start (mode 0600)."""
    path = Path(instance_path) / "jwt-secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    return path.read_text().strip()


def finalize(config: MutableMapping[str, Any]) -> None:
    """Settings that depend on others, and the rules again for values a test or a config
    file passed to create_app() directly (strings are parsed as the environment's are)."""
    for name in ("JWT_PREVIOUS_SECRET_KEYS", "CORS_ORIGINS"):
        if isinstance(config[name], str):
            config[name] = parse(name, config[name])
        else:
            config[name] = parse(name, ",".join(config[name]))
    if weakness(str(config["JWT_SECRET_KEY"])):
        raise SettingError(
            f"JWT_SECRET_KEY must be {SECRET_RULE} (it is "
            f"{weakness(str(config['JWT_SECRET_KEY']))}); unset it to have a random key "
            "made in the instance folder."
        )
    if isinstance(config["JWT_REFRESH_GRACE_SECONDS"], int | float):
        config["JWT_REFRESH_GRACE_SECONDS"] = timedelta(seconds=config["JWT_REFRESH_GRACE_SECONDS"])
    config.setdefault("DATABASE_DEADLINE", config["DATABASE_TIMEOUT"] + 2)
    config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        engine_options(config["SQLALCHEMY_DATABASE_URI"], config["DATABASE_TIMEOUT"]),
    )


def engine_options(url: str, timeout: float = 5) -> dict[str, Any]:
    if not url.startswith("postgresql"):
        return {}  # a SQLite file has no server to restart: nothing to ping
    ms = int(timeout * 1000)
    return {
        # A pooled connection that died with a database restart: the session's checkouts
        # ping it away inside their deadline (connections.py), reads retry (read()).
        "connect_args": {
            # Fail fast while PostgreSQL is unreachable instead of hanging a worker.
            "connect_timeout": 3,
            # The server ends a statement (or a lock wait) that runs too long.
            "options": f"-c statement_timeout={ms} -c lock_timeout={ms // 2}",
        },
        "pool_timeout": 5,
    }
