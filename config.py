"""Settings from the environment (and `.env` through python-dotenv), checked at start-up."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

from dotenv import load_dotenv

MIN_SECRET_BYTES = 32
MiB = 1024 * 1024


def _seconds(name: str, default: int) -> timedelta:
    """A lifetime in whole seconds; anything else ("15m", "1.5", "-1") stops start-up."""
    value = os.environ.get(name, str(default)).strip()
    if not (value.isascii() and value.isdecimal()) or int(value) == 0:
        raise RuntimeError(f"{name} must be a whole number of seconds, got {value!r}")
    return timedelta(seconds=int(value))


def database_url(instance_path: str) -> str:
    """DATABASE_URL, accepting the `postgres://` form that hosting providers hand out."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{Path(instance_path) / 'stores.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


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


def from_environment(instance_path: str) -> dict:
    load_dotenv()  # `.env` for gunicorn too; never overrides the real environment
    return {
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "JWT_SECRET_KEY": os.environ.get("JWT_SECRET_KEY") or instance_secret(instance_path),
        "JWT_ACCESS_TOKEN_EXPIRES": _seconds("JWT_ACCESS_TOKEN_EXPIRES", 900),
        "JWT_REFRESH_TOKEN_EXPIRES": _seconds("JWT_REFRESH_TOKEN_EXPIRES", 2_592_000),
        "JWT_ALGORITHM": "HS256",
        "JWT_DECODE_ALGORITHMS": ["HS256"],
        "JWT_TOKEN_LOCATION": ["headers"],
        "JWT_COOKIE_CSRF_PROTECT": False,  # tokens never travel in cookies
        "MAX_CONTENT_LENGTH": MiB,
        "CORS_ORIGINS": os.environ.get("CORS_ORIGINS", "*"),
        "RATELIMIT_LOGIN_FAILURES": os.environ.get("RATELIMIT_LOGIN_FAILURES", "10 per minute"),
        "RATELIMIT_REGISTER": os.environ.get("RATELIMIT_REGISTER", "30 per minute"),
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
        "PROPAGATE_EXCEPTIONS": False,
    }


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
