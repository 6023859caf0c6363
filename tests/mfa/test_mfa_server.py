"""Two-factor login against gunicorn (two workers) on a database built by the migrations,
SQLite or PostgreSQL (TEST_DATABASE_URL): two logins racing with one code get one pair,
whether the code is a TOTP code or a recovery code, and an mfa_token from one worker is
spent or refused by the other alike (it is database state)."""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pyotp
import pytest

from tests.conftest import PASSWORD
from tests.server import database_url, serving

ROUNDS = 4


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    database = database_url(tmp_path_factory.mktemp("mfa"), "mfa.db")
    with serving(
        database,
        RATELIMIT_LOGIN_FAILURES="10000 per minute",
        RATELIMIT_LOGIN_FAILURES_PER_CLIENT="10000 per minute",
        RATELIMIT_REGISTER="10000 per minute",
    ) as server:
        yield server


def enrolled(server) -> tuple[str, str, list[str]]:
    """A new user with two-factor on: username, secret, recovery codes. The confirm
    spends the current step, so the next step's code (inside the ±1 window) is unused."""
    username = f"mfa-{uuid.uuid4().hex[:8]}"
    access = server.tokens(username)["access_token"]
    status, started = server.call("POST", "/my-info/mfa", token=access)
    assert status == 200, started
    secret = started["secret"]
    code = pyotp.TOTP(secret).now()
    status, confirmed = server.call("POST", "/my-info/mfa/confirm", {"code": code}, token=access)
    assert status == 200, confirmed
    return username, secret, confirmed["recovery_codes"]


def mfa_token(server, username: str) -> str:
    status, body = server.call("POST", "/login", {"username": username, "password": PASSWORD})
    assert (status, body["error"]) == (401, "mfa_required"), body
    return body["mfa_token"]


def race(server, username: str, code: str) -> list[tuple[int, dict]]:
    """Two logins of `username`, each with its own mfa_token, send `code` at once."""
    tokens = [mfa_token(server, username) for _ in range(2)]
    start = threading.Barrier(2)

    def second_step(token):
        start.wait()
        return server.call("POST", "/login/mfa", {"mfa_token": token, "code": code})

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(second_step, tokens))


def statuses(answers) -> list[int]:
    return sorted(status for status, _ in answers)


def test_two_logins_racing_with_one_code_get_one_pair(server):
    for _ in range(ROUNDS):
        username, secret, _ = enrolled(server)
        answers = race(server, username, pyotp.TOTP(secret).at(int(time.time()) + 30))
        assert statuses(answers) == [200, 400], answers
        winner = next(body for status, body in answers if status == 200)
        assert set(winner) == {"access_token", "refresh_token"}


def test_two_logins_racing_with_one_recovery_code_get_one_pair(server):
    for _ in range(ROUNDS):
        username, _, recovery = enrolled(server)
        answers = race(server, username, recovery[0])
        assert statuses(answers) == [200, 400], answers


def test_an_mfa_token_is_spent_once_across_workers(server):
    username, _, recovery = enrolled(server)
    token = mfa_token(server, username)
    body = {"mfa_token": token, "code": recovery[0]}
    assert server.call("POST", "/login/mfa", body)[0] == 200
    answers = [server.call("POST", "/login/mfa", body | {"code": code}) for code in recovery[1:4]]
    assert {status for status, _ in answers} == {401}  # whichever worker answers


def logins_during(server, credentials: dict, *action) -> tuple[list, tuple]:
    """Password logins from three threads, over and over, while `action` (one
    server.call) runs; the logins' answers and the action's."""
    done = threading.Event()

    def loop(_):
        answers = []
        while not done.is_set():
            answers.append(server.call("POST", "/login", credentials))
        return answers

    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(loop, n) for n in range(3)]
        time.sleep(0.05)  # logins in flight when the action starts
        try:
            answer = server.call(*action)
        finally:
            done.set()
        return [a for f in futures for a in f.result()], answer


def test_turning_it_on_is_final_for_password_logins_that_raced_it(server):
    """Whichever password logins got a pair while the confirm ran, none of their
    sessions outlives the answered confirm (the user's row orders them)."""
    for _ in range(2):
        username = f"mfa-{uuid.uuid4().hex[:8]}"
        access = server.tokens(username)["access_token"]
        secret = server.call("POST", "/my-info/mfa", token=access)[1]["secret"]
        body = {"code": pyotp.TOTP(secret).now()}
        answers, confirmed = logins_during(
            server,
            {"username": username, "password": PASSWORD},
            *("POST", "/my-info/mfa/confirm", body, access),
        )
        assert confirmed[0] == 200, confirmed
        assert {status for status, _ in answers} <= {200, 401}
        for status, tokens in answers:
            if status == 200:
                assert server.call("GET", "/my-info", token=tokens["access_token"])[0] == 401
        assert server.call("GET", "/my-info", token=access)[1]["mfa_enabled"] is True


def test_racing_wrong_codes_on_one_mfa_token_get_five_tries_in_all(server):
    username, _, _ = enrolled(server)
    token = mfa_token(server, username)
    start = threading.Barrier(8)

    def guess(n):
        start.wait()
        return server.call("POST", "/login/mfa", {"mfa_token": token, "code": f"wrong-{n}"})

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(guess, range(8)))
    assert statuses(answers) == [400] * 5 + [401] * 3, answers


def test_racing_wrong_codes_across_tokens_get_ten_tries_per_account(server):
    """16 wrong codes at once on four mfa_tokens of one account: the account's bound of 10
    holds (a read-then-insert let requests already in flight pass it)."""
    username, _, _ = enrolled(server)
    tokens = [mfa_token(server, username) for _ in range(4)]
    start = threading.Barrier(16)

    def guess(n):
        start.wait()
        body = {"mfa_token": tokens[n % 4], "code": f"wrong-{n}"}
        return server.call("POST", "/login/mfa", body)

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(guess, range(16)))
    assert statuses(answers).count(400) <= 10, answers
    assert set(statuses(answers)) <= {400, 401, 429}, answers
