"""Settings from the environment (and `.env` through python-dotenv), checked at start-up."""

import base64
import os
import secrets
from datetime import timedelta
from pathlib import Path

from dotenv import load_dotenv

MIN_SECRET_BYTES = 32
MiB = 1024 * 1024


def _seconds(name: str, default: int, *, zero: bool = False) -> timedelta:
    """A lifetime in whole seconds; anything else ("15m", "1.5", "-1") stops start-up,
    and so does 0 unless `zero` (a window that can be turned off)."""
    value = os.environ.get(name, str(default)).strip()
    if not (value.isascii() and value.isdecimal()) or (int(value) == 0 and not zero):
        raise RuntimeError(f"{name} must be a whole number of seconds, got {value!r}")
    return timedelta(seconds=int(value))


def _flag(name: str, default: bool) -> bool:
    """true/false (also 1/0, yes/no); anything else stops start-up."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise RuntimeError(f"{name} must be true or false, got {value!r}")


def _count(name: str, default: int) -> int:
    """A whole number of at least 1; anything else stops start-up."""
    value = os.environ.get(name, str(default)).strip()
    if not (value.isascii() and value.isdecimal()) or int(value) == 0:
        raise RuntimeError(f"{name} must be a whole number of at least 1, got {value!r}")
    return int(value)


def database_url(instance_path: str) -> str:
    """DATABASE_URL, accepting the `postgres://` form that hosting providers hand out."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{Path(instance_path) / 'stores.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


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


def from_environment(instance_path: str) -> dict:
    load_dotenv()  # `.env` for gunicorn too; never overrides the real environment
    return {
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "JWT_SECRET_KEY": os.environ.get("JWT_SECRET_KEY") or instance_secret(instance_path),
        "JWT_ACCESS_TOKEN_EXPIRES": _seconds("JWT_ACCESS_TOKEN_EXPIRES", 900),
        "JWT_REFRESH_TOKEN_EXPIRES": _seconds("JWT_REFRESH_TOKEN_EXPIRES", 2_592_000),
        # A tab that refreshes with the token another tab has just traded in, this many
        # seconds after that refresh, still gets a pair (security/sessions.py); 0 = never.
        "JWT_REFRESH_GRACE_SECONDS": _seconds("JWT_REFRESH_GRACE_SECONDS", 10, zero=True),
        # Keys that verify but never sign, so a rotated key logs nobody out (docs/jwt.md).
        "JWT_PREVIOUS_SECRET_KEYS": os.environ.get("JWT_PREVIOUS_SECRET_KEYS", ""),
        "JWT_ALGORITHM": "HS256",
        "JWT_DECODE_ALGORITHMS": ["HS256"],
        # The header first: a request with a valid Bearer token never looks at cookies,
        # so a stale cookie or a missing CSRF value cannot break it.
        "JWT_TOKEN_LOCATION": ["headers", "cookies"],
        # Cookie mode (POST /login?cookies=true, security/cookies.py): HttpOnly token
        # cookies, readable CSRF cookies, double submit in X-CSRF-TOKEN on every write.
        "JWT_COOKIE_CSRF_PROTECT": True,
        "JWT_CSRF_CHECK_FORM": False,  # the header only: a cross-site form cannot set one
        "JWT_COOKIE_SECURE": _flag("JWT_COOKIE_SECURE", True),  # false: local http only
        "JWT_COOKIE_SAMESITE": "Lax",
        "JWT_SESSION_COOKIE": False,  # kept across browser restarts, as the tokens are
        "JWT_REFRESH_COOKIE_PATH": "/refresh",  # the one endpoint that reads it
        "MAX_CONTENT_LENGTH": MiB,
        "CORS_ORIGINS": os.environ.get("CORS_ORIGINS", "*"),
        "RATELIMIT_LOGIN_FAILURES": os.environ.get("RATELIMIT_LOGIN_FAILURES", "10 per minute"),
        "RATELIMIT_LOGIN_FAILURES_PER_CLIENT": os.environ.get(
            "RATELIMIT_LOGIN_FAILURES_PER_CLIENT", "100 per minute"
        ),
        "RATELIMIT_REGISTER": os.environ.get("RATELIMIT_REGISTER", "30 per minute"),
        **mail_settings(),
        # Fernet keys for TOTP secrets, current first then previous (mfa/crypto.py).
        "MFA_ENCRYPTION_KEYS": os.environ.get("MFA_ENCRYPTION_KEYS")
        or instance_secret(instance_path, "mfa-key", fernet=True),
        # Live login sessions a user may hold; a login past it ends the oldest.
        "MAX_SESSIONS_PER_USER": _count("MAX_SESSIONS_PER_USER", 50),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # A Redis that stops answering costs a request at most these seconds, then the
        # limiter falls back to memory (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED).
        "RATELIMIT_STORAGE_OPTIONS": {
            "socket_connect_timeout": float(os.environ.get("REDIS_TIMEOUT", 1)),
            "socket_timeout": float(os.environ.get("REDIS_TIMEOUT", 1)),
        },
        # Proxies in front whose X-Forwarded-For is trusted: 0 = clients connect directly.
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", 0)),
        # Seconds PostgreSQL may take: statement_timeout on the server, and (plus a margin)
        # the client-side deadline on a checked-out connection (db.init_deadline).
        "DATABASE_TIMEOUT": float(os.environ.get("DATABASE_TIMEOUT", 5)),
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


def mail_settings() -> dict:
    """Email and account recovery (API.md; mail/ and account/). Lifetimes in seconds."""
    url = os.environ.get("MAIL_URL", "").strip()
    worker = os.environ.get("MAIL_WORKER", "thread" if url == "outbox:" else "external")
    if worker not in ("thread", "external"):
        raise RuntimeError(f"MAIL_WORKER must be thread or external, got {worker!r}")
    return {
        "MAIL_URL": url,
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Stores API <no-reply@localhost>"),
        # Links in mails are built from this alone, never from a request's Host.
        "FRONTEND_URL": os.environ.get("FRONTEND_URL", "").strip(),
        # thread: each serving process runs a worker; external: `flask mail worker` does.
        "MAIL_WORKER": worker,
        "MAIL_RETRY_FOR": _whole("MAIL_RETRY_FOR", 3600),
        "MAIL_BACKOFF_MAX": _whole("MAIL_BACKOFF_MAX", 300),
        # Longer than any SMTP conversation (mail/transport.TIMEOUT): a lease that runs out
        # means its worker died, and the mail goes to another.
        "MAIL_LEASE_SECONDS": _whole("MAIL_LEASE_SECONDS", 60),
        "MAIL_POLL_SECONDS": 1.0,
        "EMAIL_VERIFY_EXPIRES": _whole("EMAIL_VERIFY_EXPIRES", 86_400),
        "PASSWORD_RESET_EXPIRES": _whole("PASSWORD_RESET_EXPIRES", 1800),
        "RATELIMIT_PASSWORD_RESET": os.environ.get("RATELIMIT_PASSWORD_RESET", "5 per hour"),
        # Every reset request answers after this long, so its time tells nothing.
        "PASSWORD_RESET_ANSWER_SECONDS": 0.25,
    }


def _whole(name: str, default: int) -> int:
    return int(_seconds(name, default).total_seconds())


def finalize(config) -> None:
    """Settings that depend on others, then refuse a secret that could be brute-forced."""
    config.setdefault("DATABASE_DEADLINE", config["DATABASE_TIMEOUT"] + 2)
    config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        engine_options(config["SQLALCHEMY_DATABASE_URI"], config["DATABASE_TIMEOUT"]),
    )
    if len(str(config["JWT_SECRET_KEY"]).encode()) < MIN_SECRET_BYTES:
        raise RuntimeError(
            f"JWT_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes; "
            "unset it to have a random key made in the instance folder."
        )
    config["JWT_PREVIOUS_SECRET_KEYS"] = previous_keys(config["JWT_PREVIOUS_SECRET_KEYS"])
    if isinstance(config["JWT_REFRESH_GRACE_SECONDS"], int | float):
        config["JWT_REFRESH_GRACE_SECONDS"] = timedelta(seconds=config["JWT_REFRESH_GRACE_SECONDS"])


def previous_keys(value: str | list | tuple) -> list[str]:
    """JWT_PREVIOUS_SECRET_KEYS as a list: a comma-separated string (blanks ignored)
    or, from a test or a config file, a list. Each is held to JWT_SECRET_KEY's rule."""
    keys = value.split(",") if isinstance(value, str) else list(value)
    keys = [key.strip() for key in keys if key.strip()]
    for number, key in enumerate(keys, 1):
        if len(key.encode()) < MIN_SECRET_BYTES:
            raise RuntimeError(
                f"JWT_PREVIOUS_SECRET_KEYS: key #{number} is shorter than "
                f"{MIN_SECRET_BYTES} bytes; every key, old or new, must be at least that long."
            )
    return keys


def engine_options(url: str, timeout: float = 5) -> dict:
    if not url.startswith("postgresql"):
        return {}  # a SQLite file has no server to restart: nothing to ping
    ms = int(timeout * 1000)
    return {
        # A pooled connection that died with a database restart: the session's checkouts
        # ping it away inside their deadline (db.init_deadline), reads retry (db.read).
        "connect_args": {
            # Fail fast while PostgreSQL is unreachable instead of hanging a worker.
            "connect_timeout": 3,
            # The server ends a statement (or a lock wait) that runs too long.
            "options": f"-c statement_timeout={ms} -c lock_timeout={ms // 2}",
        },
        "pool_timeout": 5,
    }
