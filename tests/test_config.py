"""Settings: unsafe secrets refused, a random key kept in the instance folder, and
the database URLs that hosting providers hand out."""

import stat

import pytest
from sqlalchemy import text

import config
from app import create_app
from db import db

KEY = "k-0123456789-long-enough-for-hs256-key"


def test_short_secret_refuses_to_start():
    with pytest.raises(RuntimeError, match="at least 32 bytes"):
        create_app({"JWT_SECRET_KEY": "x" * 31, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_secret_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("JWT_SECRET_KEY", KEY)
    assert config.from_environment(str(tmp_path))["JWT_SECRET_KEY"] == KEY
    assert not (tmp_path / "jwt-secret").exists()


def test_random_secret_is_made_once_and_private(monkeypatch, tmp_path):
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    first = config.from_environment(str(tmp_path))["JWT_SECRET_KEY"]
    second = config.from_environment(str(tmp_path))["JWT_SECRET_KEY"]
    assert first == second
    assert len(bytes.fromhex(first)) == 32
    assert stat.S_IMODE((tmp_path / "jwt-secret").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u:p@db/x", "postgresql+psycopg://u:p@db/x"),
        ("postgresql://u@db/x", "postgresql+psycopg://u@db/x"),
        ("postgresql+psycopg://u@db/x", "postgresql+psycopg://u@db/x"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_forms(monkeypatch, tmp_path, given, used):
    monkeypatch.setenv("DATABASE_URL", given)
    assert config.from_environment(str(tmp_path))["SQLALCHEMY_DATABASE_URI"] == used


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = config.from_environment(str(tmp_path))
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'stores.db'}"


def test_token_lifetimes_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("JWT_ACCESS_TOKEN_EXPIRES", "60")
    monkeypatch.setenv("JWT_REFRESH_TOKEN_EXPIRES", "3600")
    settings = config.from_environment(str(tmp_path))
    assert settings["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds() == 60
    assert settings["JWT_REFRESH_TOKEN_EXPIRES"].total_seconds() == 3600


def test_postgres_connections_fail_fast():
    options = config.engine_options("postgresql+psycopg://u@db/x", timeout=5)
    # Dead pooled connections: writes ping on checkout, reads retry (connections.py).
    assert options["connect_args"]["connect_timeout"] <= 5
    assert "statement_timeout=5000" in options["connect_args"]["options"]
    assert "lock_timeout=2500" in options["connect_args"]["options"]


def test_behind_a_transaction_pooler_no_startup_options_and_no_prepared_statements():
    """PgBouncer refuses `options` and hands each transaction any server connection; the
    timeouts are its to set (tests/deploy/test_pgbouncer.py)."""
    options = config.engine_options("postgresql+psycopg://u@db/x", 5, "transaction")
    assert options["connect_args"] == {"connect_timeout": 3, "prepare_threshold": None}


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path):
    """Every pooled SQLite connection: cascades as on PostgreSQL, readers beside a writer."""
    app = create_app(
        {"JWT_SECRET_KEY": KEY, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"}
    )
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("name", ["JWT_ACCESS_TOKEN_EXPIRES", "JWT_REFRESH_TOKEN_EXPIRES"])
@pytest.mark.parametrize("given", ["15m", "1.5", "-1", "0", "", "PT15M", "\uff19\uff10\uff10"])
def test_token_lifetime_must_be_whole_seconds(monkeypatch, tmp_path, name, given):
    monkeypatch.setenv(name, given)
    with pytest.raises(RuntimeError) as raised:
        config.from_environment(str(tmp_path))
    assert str(raised.value) == f"{name} must be a whole number of seconds, got {given.strip()!r}"


def test_token_lifetime_in_seconds(monkeypatch, tmp_path):
    monkeypatch.setenv("JWT_ACCESS_TOKEN_EXPIRES", " 600 ")
    settings = config.from_environment(str(tmp_path))
    assert settings["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds() == 600


def test_refresh_grace_from_environment(monkeypatch, tmp_path):
    assert config.from_environment(str(tmp_path))["JWT_REFRESH_GRACE_SECONDS"].total_seconds() == 10
    for given, seconds in (("3", 3), (" 0 ", 0)):  # 0 turns the grace off
        monkeypatch.setenv("JWT_REFRESH_GRACE_SECONDS", given)
        grace = config.from_environment(str(tmp_path))["JWT_REFRESH_GRACE_SECONDS"]
        assert grace.total_seconds() == seconds


@pytest.mark.parametrize("given", ["10s", "1.5", "-1", "", "\uff19"])
def test_refresh_grace_must_be_whole_seconds(monkeypatch, tmp_path, given):
    monkeypatch.setenv("JWT_REFRESH_GRACE_SECONDS", given)
    with pytest.raises(RuntimeError, match="JWT_REFRESH_GRACE_SECONDS must be a whole number"):
        config.from_environment(str(tmp_path))


@pytest.mark.parametrize("given", ["0", "-1", "2.5", "many", ""])
def test_max_sessions_per_user_must_be_a_positive_count(monkeypatch, tmp_path, given):
    monkeypatch.setenv("MAX_SESSIONS_PER_USER", given)
    with pytest.raises(RuntimeError, match="MAX_SESSIONS_PER_USER must be a whole number"):
        config.from_environment(str(tmp_path))


def test_max_sessions_per_user_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MAX_SESSIONS_PER_USER", "7")
    assert config.from_environment(str(tmp_path))["MAX_SESSIONS_PER_USER"] == 7


# Each variable with values its parser must refuse, and the rule its one-line error states.
REFUSED = {
    "PROXY_COUNT": (["one", "-1", "1.0", "\uff11"], "a whole number (0 or more)"),
    "DATABASE_TIMEOUT": (["5s", "0", "-1", "nan", "inf", "1e3", "3601"], "a number of seconds"),
    "REDIS_TIMEOUT": (["fast", "0", "0.0", ".5"], "a number of seconds"),
    "JWT_COOKIE_SECURE": (["maybe", "2"], "true or false"),
    "RATELIMIT_LOGIN_FAILURES": (["10 per minuet", "ten"], 'a rate such as "10 per minute"'),
    "RATELIMIT_REGISTER": (["30/fortnight"], 'a rate such as "10 per minute"'),
    "RATELIMIT_STORAGE_URI": (["127.0.0.1:6379", "mongodb://x"], "memory:// or a redis:// URL"),
    "DATABASE_URL": (["not a url", "postgres//x"], "a database URL"),
    "DATABASE_POOLER": (["pgbouncer", "Transaction", ""], "none or transaction"),
    "CORS_ORIGINS": (
        [
            "https://app.example/",
            "https://app.example/path",
            "*,https://app.example",
            "app.example",
            "https://app.example,",
            "ftp://app.example",
            "https://user@app.example",
            "https://app.example:0",
            "https://app.example?x=1",
        ],
        "`*` alone or origins like https://app.example",
    ),
}


@pytest.mark.parametrize(
    ("name", "given", "rule"),
    [(name, given, rule) for name, (values, rule) in REFUSED.items() for given in values],
)
def test_a_bad_value_stops_start_up_with_one_clear_line(monkeypatch, tmp_path, name, given, rule):
    monkeypatch.setenv(name, given)
    with pytest.raises(config.SettingError) as raised:
        config.from_environment(str(tmp_path))
    message = str(raised.value)
    assert message.startswith(f"{name} must be {rule}") and f"got {given!r}" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "given", "value"),
    [
        ("PROXY_COUNT", " 2 ", 2),
        ("DATABASE_TIMEOUT", "0.5", 0.5),
        ("JWT_COOKIE_SECURE", "Off", False),
        ("CORS_ORIGINS", "https://a.example, http://localhost:5173", None),
        ("RATELIMIT_REGISTER", "5/second;100/hour", "5/second;100/hour"),
    ],
)
def test_good_values_are_read(monkeypatch, tmp_path, name, given, value):
    monkeypatch.setenv(name, given)
    read = config.from_environment(str(tmp_path))[name]
    if name == "CORS_ORIGINS":
        assert read == ["https://a.example", "http://localhost:5173"]
    else:
        assert read == value


@pytest.mark.parametrize(
    ("key", "why"),
    [
        (" " * 32, "made of fewer than 8 different characters"),
        ("x" * 64, "made of fewer than 8 different characters"),
        ("abcabcabc" * 5, "made of fewer than 8 different characters"),
        (" k-0123456789-long-enough-for-hs256", "padded with whitespace"),
    ],
)
def test_a_guessable_secret_refuses_to_start_without_being_printed(key, why):
    with pytest.raises(config.SettingError) as raised:
        create_app({"JWT_SECRET_KEY": key, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert why in str(raised.value)
    assert key.strip() not in str(raised.value) or not key.strip()


@pytest.mark.parametrize("key", [" " * 32, "a" * 40, " k-0123456789-long-enough-for-hs256 "])
def test_a_guessable_secret_in_the_environment_refuses_to_start(monkeypatch, tmp_path, key):
    """32 spaces are a key someone meant to set, not an unset one: refused, not replaced."""
    monkeypatch.setenv("JWT_SECRET_KEY", key)
    with pytest.raises(config.SettingError, match=r"^JWT_SECRET_KEY must be at least 32 bytes"):
        config.from_environment(str(tmp_path))
    assert not (tmp_path / "jwt-secret").exists()


def test_every_variable_is_in_the_readmes_settings_table():
    from tests.test_layout import SERVE_ONLY, documented_settings

    assert set(config.ENVIRONMENT) == set(documented_settings()) - SERVE_ONLY
