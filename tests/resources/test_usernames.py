"""Usernames are unique as people read them: case and Unicode compatibility forms are
one username (NFKC, case-folded, unique in the database), and what cannot be seen
(surrounding whitespace, control and invisible characters) is refused."""

import os
import subprocess
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.conftest import PASSWORD, decode
from tests.server import BIN, ROOT, empty, flask, server_env
from validation.unicode import UNSEEN_RANGES
from validation.validators import Username

FULL_BOB = "\uff22\uff2f\uff22"
TAKEN = {"code": 409, "status": "Conflict", "message": "A user with that username already exists."}
LOOKALIKES = [
    "Alice",
    "ALICE",
    "\uff41\uff4c\uff49\uff43\uff45",  # fullwidth
    "\U0001d41a\U0001d425\U0001d422\U0001d41c\U0001d41e",  # mathematical bold
]


@pytest.mark.parametrize("spelling", LOOKALIKES)
def test_a_lookalike_of_a_taken_username_is_taken(auth, spelling):
    assert auth.register("alice").status_code == 201
    response = auth.register(spelling)
    assert response.status_code == 409
    assert response.json == TAKEN


@pytest.mark.parametrize(
    ("first", "second"),
    [("straße", "STRASSE"), ("\ufb01ona", "fiona"), ("Å ngström", "å ngström")],
)
def test_case_and_compatibility_forms_fold_together(auth, first, second):
    assert auth.register(first).status_code == 201
    assert auth.register(second).status_code == 409


@pytest.mark.parametrize("spelling", LOOKALIKES)
def test_login_finds_the_account_from_any_spelling(auth, spelling):
    alice = decode(auth.tokens("alice")["access_token"])["sub"]
    response = auth.login(spelling)
    assert response.status_code == 200
    assert decode(response.json["access_token"])["sub"] == alice


@pytest.mark.parametrize(
    "username",
    [
        "alice ",
        " alice",
        "\talice",
        "alice\u00a0",  # no-break space
        "alice\u3000",  # ideographic space
        "   ",
        "\u2003\u2003\u2003",
        "al\u200bice",  # zero-width space
        "al\u200dice",  # zero-width joiner
        "ali\u00adce",  # soft hyphen
        "alice\u202e",  # right-to-left override
        "\ufeffalice",  # byte order mark
        "ali\x07ce",
        "ali\x1bce",
        "ali\u2028ce",  # line separator
        "\u3164\u3164\u3164",  # Hangul filler
        "alice\ufe0f",  # variation selector
        "ali\U000e0041ce",  # tag character
    ],
)
def test_unreadable_usernames_are_refused(auth, username):
    response = auth.register(username)
    assert response.status_code == 422
    assert list(response.json["errors"]["json"]) == ["username"]


@pytest.mark.parametrize(
    "username", ["Zoë", "Ωμέγα", "Иван", "张小伟", "o'brien", "ann marie", "नमस्ते", "Zoë-张"]
)
def test_readable_usernames_are_accepted(auth, username):
    assert auth.register(username).status_code == 201
    assert auth.login(username).status_code == 200


def test_the_unseen_characters_are_those_of_pythons_unicode_database():
    """UNSEEN_RANGES is written out (so the pattern costs nothing at start-up); a Python
    whose Unicode database differs fails here until the ranges are brought up to date."""
    unseen = {chr(c) for first, last in UNSEEN_RANGES for c in range(first, last + 1)}
    categories = {"Cc", "Cf", "Zl", "Zp"}
    assert unseen == {chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) in categories}


def test_the_openapi_document_carries_the_username_rule(client):
    spec = client.get("/openapi.json").json
    username = spec["components"]["schemas"]["User"]["properties"]["username"]
    assert username["pattern"] == Username().regex.pattern


def test_failed_logins_count_against_every_spelling(app, client, auth):
    app.config["RATELIMIT_LOGIN_FAILURES"] = "3 per minute"
    auth.register("alice")
    for spelling in ("alice", "Alice", "ALICE"):
        assert auth.login(spelling, "wrong password").status_code == 401
    assert auth.login(LOOKALIKES[2]).status_code == 429  # the right password, fullwidth


def test_lookalikes_registering_at_once(app):
    """The database decides (username_key is unique): one wins, the others get 409."""
    spellings = ["twin", "Twin", "TWIN", "\uff54\uff57\uff49\uff4e", "tWiN", "twiN"]
    barrier = threading.Barrier(len(spellings))

    def register(username):
        client = app.test_client()
        barrier.wait()
        return client.post("/register", json={"username": username, "password": PASSWORD})

    with ThreadPoolExecutor(len(spellings)) as pool:
        responses = list(pool.map(register, spellings))
    assert sorted(r.status_code for r in responses) == [201] + [409] * (len(spellings) - 1)
    assert all(r.json == TAKEN for r in responses if r.status_code == 409)


# --- the migration ---------------------------------------------------------------------


@pytest.fixture
def database(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'mig.db'}"
    empty(url)
    yield url
    empty(url)


def before_username_key(url: str, env: dict, *usernames: str) -> None:
    flask(env, "db", "upgrade", "0004_session_devices")
    engine = create_engine(url)
    with engine.begin() as connection:
        for name in usernames:
            connection.execute(
                text("INSERT INTO users (username, password) VALUES (:u, 'x')"), {"u": name}
            )
    engine.dispose()


def test_migration_refuses_existing_lookalikes_and_changes_nothing(database):
    env = server_env(database)
    before_username_key(database, env, "alice", "Alice", "bob", FULL_BOB, "carol")
    result = subprocess.run(
        [BIN / "flask", "db", "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "2 username(s) are taken twice" in result.stderr
    assert "'alice' (id 1), 'Alice' (id 2)" in result.stderr
    assert "Rename all but one of each" in result.stderr
    engine = create_engine(database)
    columns = {c["name"] for c in inspect(engine).get_columns("users")}
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    assert columns == {"id", "username", "password", "is_admin"}
    assert version == "0004_session_devices"


def test_migration_fills_the_keys(database):
    env = server_env(database)
    before_username_key(database, env, "Alice", FULL_BOB)
    flask(env, "db", "upgrade")
    engine = create_engine(database)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT username, username_key FROM users ORDER BY id"))
        assert [tuple(row) for row in rows] == [("Alice", "alice"), (FULL_BOB, "bob")]
    with pytest.raises(Exception, match=r"(?i)unique"), engine.begin() as connection:
        connection.execute(
            text("INSERT INTO users (username, username_key, password) VALUES ('bOb', 'bob', 'x')")
        )
    engine.dispose()
