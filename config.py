"""Settings: the constants of this API, then the environment (and `.env`), every variable
through one strict parser in the ENVIRONMENT table, so a bad value stops start-up with one
line naming the variable, the rule and what was given.

Adding a variable is one line in ENVIRONMENT (plus its README Settings row); the parsers
are in validation/settings.py."""

import base64
import os
import secrets
from collections.abc import Callable, Mapping, MutableMapping
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple

from dotenv import load_dotenv

from validation.settings import (
    SECRET_RULE,
    SettingError,
    algorithm,
    anything,
    count,
    count_or_none,
    database_url,
    flag,
    non_empty,
    origins,
    pooler,
    rate,
    seconds,
    seconds_or_off,
    secret,
    secret_list,
    storage_uri,
    timeout,
    weakness,
    worker,
)
from web.hosts import trusted_hosts

__all__ = ["SettingError", "secret"]  # what tests and docs name here

MiB = 1024 * 1024

# What no environment changes: the contract's choices (API.md) and the libraries' wiring.
CONSTANTS: dict[str, Any] = {
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
    "MAIL_POLL_SECONDS": 1.0,
    # Every reset request answers after this long, so its time tells nothing.
    "PASSWORD_RESET_ANSWER_SECONDS": 0.25,
}


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
    # HS256 (the shared secret above) or a key pair whose public half is published
    # (security/keys.py); the extra public keys (PEM paths) verify, never sign.
    "JWT_ALGORITHM": Setting(algorithm, "HS256"),
    "JWT_PRIVATE_KEY": Setting(anything, "", shown=False),
    "JWT_PRIVATE_KEY_FILE": Setting(anything, ""),
    "JWT_EXTRA_PUBLIC_KEYS": Setting(anything, ""),
    # Written into every new token; a token naming another issuer or audience is refused.
    "JWT_ISSUER": Setting(non_empty, "stores-api"),
    "JWT_AUDIENCE": Setting(non_empty, "stores-api"),
    "JWT_COOKIE_SECURE": Setting(flag, "true"),
    "CORS_ORIGINS": Setting(origins, "*"),
    "RATELIMIT_LOGIN_FAILURES": Setting(rate, "10 per minute"),
    "RATELIMIT_LOGIN_FAILURES_PER_CLIENT": Setting(rate, "100 per minute"),
    "RATELIMIT_REGISTER": Setting(rate, "30 per minute"),
    "RATELIMIT_PASSWORD_RESET": Setting(rate, "5 per hour"),
    # Email and account recovery (API.md; mail/): where mail goes (mail/transport.py checks
    # the URL), links built from FRONTEND_URL alone, never from a request's Host.
    "MAIL_URL": Setting(anything, "", shown=False),
    "MAIL_FROM": Setting(non_empty, "Stores API <no-reply@localhost>"),
    "FRONTEND_URL": Setting(anything, ""),
    # Unset: a thread of the server with MAIL_URL=outbox:, else `flask mail worker`.
    "MAIL_WORKER": Setting(worker, ""),
    "MAIL_RETRY_FOR": Setting(count, "3600"),
    "MAIL_BACKOFF_MAX": Setting(count, "300"),
    # Longer than any SMTP conversation (mail/transport.TIMEOUT): a lease that runs out
    # means its worker died, and the mail goes to another.
    "MAIL_LEASE_SECONDS": Setting(count, "60"),
    "EMAIL_VERIFY_EXPIRES": Setting(count, "86400"),
    "PASSWORD_RESET_EXPIRES": Setting(count, "1800"),
    # Fernet keys for TOTP secrets, current first then previous (mfa/crypto.py); unset:
    # one made in the instance folder. Every instance must share them.
    "MFA_ENCRYPTION_KEYS": Setting(anything, "", shown=False),
    "MAX_SESSIONS_PER_USER": Setting(count, "50"),
    "RATELIMIT_STORAGE_URI": Setting(storage_uri, "memory://"),
    "REDIS_TIMEOUT": Setting(timeout, "1"),
    "PROXY_COUNT": Setting(count_or_none, "0"),
    # Or the proxies by address (web/proxies.py): load balancers on several machines.
    "TRUSTED_PROXIES": Setting(anything, ""),
    "DATABASE_TIMEOUT": Setting(timeout, "5"),
    # `transaction`: DATABASE_URL is PgBouncer (any pool mode), which sets the timeouts
    # itself; no prepared statements, nothing session-scoped (pooler.py).
    "DATABASE_POOLER": Setting(pooler, "none"),
    # Failures in a row that open the circuit breaker, and its cool-down (breaker.py).
    "DATABASE_BREAKER_FAILURES": Setting(count, "3"),
    "DATABASE_BREAKER_COOLDOWN": Setting(timeout, "5"),
    # Host names the API answers for (web/hosts.py); unset: any.
    "TRUSTED_HOSTS": Setting(trusted_hosts, ""),
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
            "MFA_ENCRYPTION_KEYS": env["MFA_ENCRYPTION_KEYS"]
            or instance_secret(instance_path, "mfa-key", fernet=True),
            # A Redis that stops answering costs a request at most this, then the limiter
            # falls back to memory (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED).
            "RATELIMIT_STORAGE_OPTIONS": {
                "socket_connect_timeout": redis_timeout,
                "socket_timeout": redis_timeout,
            },
        }
    )


def instance_secret(instance_path: str, name: str = "jwt-secret", fernet: bool = False) -> str:
    """A random 256-bit key kept in the instance folder, made on first start (mode 0600);
    `fernet`: in the url-safe base64 form a Fernet key takes."""
    path = Path(instance_path) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        key = secrets.token_bytes(32)
        f.write(base64.urlsafe_b64encode(key).decode() if fernet else key.hex())
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
    if not config["MAIL_WORKER"]:
        config["MAIL_WORKER"] = "thread" if config["MAIL_URL"] == "outbox:" else "external"
    if isinstance(config["JWT_REFRESH_GRACE_SECONDS"], int | float):
        config["JWT_REFRESH_GRACE_SECONDS"] = timedelta(seconds=config["JWT_REFRESH_GRACE_SECONDS"])
    config.setdefault("DATABASE_DEADLINE", config["DATABASE_TIMEOUT"] + 2)
    config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        engine_options(
            config["SQLALCHEMY_DATABASE_URI"], config["DATABASE_TIMEOUT"], config["DATABASE_POOLER"]
        ),
    )


def timeouts(timeout: float) -> dict[str, int]:
    """The server's bounds for DATABASE_TIMEOUT, in milliseconds: a statement, a lock wait."""
    ms = int(timeout * 1000)
    return {"statement_timeout": ms, "lock_timeout": ms // 2}


def engine_options(url: str, timeout: float = 5, pooler: str = "none") -> dict[str, Any]:
    if not url.startswith("postgresql"):
        return {}  # a SQLite file has no server to restart: nothing to ping
    if pooler == "transaction":
        # Each transaction may run on another server connection, where a statement psycopg
        # prepared on the last one does not exist; PgBouncer refuses `options` and sets the
        # timeouts itself (pooler.py checks them).
        bounds: dict[str, Any] = {"prepare_threshold": None}
    else:
        # The server ends a statement (or a lock wait) that runs too long.
        bounds = {"options": " ".join(f"-c {k}={v}" for k, v in timeouts(timeout).items())}
    return {
        # A pooled connection that died with a database restart: the session's checkouts
        # ping it away inside their deadline (connections.py), reads retry (read()).
        # connect_timeout: fail fast while PostgreSQL is unreachable, not hang a worker.
        "connect_args": {"connect_timeout": 3, **bounds},
        "pool_timeout": 5,
    }
