"""Every recovery flow as users run it: gunicorn and a `flask mail worker` process, a real
SMTP server in this process reached only through MAIL_URL, on SQLite or on PostgreSQL
(TEST_DATABASE_URL). Also: SMTP down when the request comes, no enumeration by time,
and (system tier) a worker killed with kill -9 mid-batch, several workers at once."""

import contextlib
import signal
import statistics
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import PASSWORD
from tests.server import BIN, ROOT, database_url, serving
from tests.smtp import SmtpServer, token_in

FRONTEND = "https://app.example/demo"
NEW_PASSWORD = "a brand new password"
# Two medians of the same work differ by less than this share of the larger plus a
# constant for scheduling noise on a loaded machine.
TIME_TOLERANCE, TIME_NOISE = 0.25, 0.015


class Worker:
    """`flask mail worker` as its own process; its log is kept to check for tokens."""

    def __init__(self, env: dict, log):
        self.process = subprocess.Popen(
            [BIN / "flask", "mail", "worker"], cwd=ROOT, env=env, stdout=log, stderr=log
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Running:
    """One stack for the module's ordinary tests (starting gunicorn, migrating and
    starting a worker costs seconds): each test starts with an empty inbox."""

    def __init__(self, server, smtp, folder, start_worker):
        self.server, self.smtp, self.folder = server, smtp, folder
        self.start_worker = start_worker
        self.worker = start_worker()

    def log(self) -> str:
        return (self.folder / "worker.log").read_text()


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mail-stack")
    smtp = SmtpServer(folder).start()
    try:
        # A short lease, so the kill test's restarted workers take over quickly.
        with stack(folder, smtp, MAIL_LEASE_SECONDS="4") as (server, start_worker):
            yield Running(server, smtp, folder, start_worker)
    finally:
        smtp.stop()


def drain(running) -> None:
    """Wait for the worker to send what earlier tests queued, then empty the inbox."""
    deadline = time.monotonic() + 30
    while running.server.call("GET", "/ready")[1]["mail"]["waiting"]:
        assert time.monotonic() < deadline, "the backlog was not sent"
        time.sleep(0.2)
    running.smtp.handler.messages.clear()


@pytest.fixture
def inbox(running):
    running.smtp.handler.messages.clear()
    return running


@contextlib.contextmanager
def stack(tmp_path, smtp, **settings):
    """gunicorn on a migrated database, and a function that starts mail workers."""
    settings = {
        "MAIL_URL": smtp.url,
        "FRONTEND_URL": FRONTEND,
        "MAIL_BACKOFF_MAX": "1",
        "RATELIMIT_REGISTER": "1000 per minute",
        "RATELIMIT_PASSWORD_RESET": "1000 per hour",
    } | settings
    workers = []
    log = (tmp_path / "worker.log").open("w")
    with serving(database_url(tmp_path, "mail.db"), **settings) as server:

        def start_worker(**extra) -> Worker:
            workers.append(Worker(server.env | extra, log))
            return workers[-1]

        try:
            yield server, start_worker
        finally:
            for worker in workers:
                worker.stop()
            log.close()


def register(server, username, address=None):
    body = {"username": username, "password": PASSWORD} | ({"email": address} if address else {})
    status, answer = server.call("POST", "/register", body)
    assert status == 201, answer


def fresh_token(server, username, password=PASSWORD):
    status, tokens = server.call("POST", "/login", {"username": username, "password": password})
    return tokens["access_token"] if status == 200 else None


def message_ids(messages) -> Counter:
    return Counter(message["Message-ID"] for message in messages)


def test_every_flow_end_to_end(inbox):
    server, smtp = inbox.server, inbox.smtp
    register(server, "alice", "alice@example.com")
    [verify] = smtp.wait_for(1)
    assert verify["To"] == "alice@example.com"
    status, body = server.call("POST", "/verify-email", {"token": token_in(verify, "verify")})
    assert (status, body) == (200, {"message": "Email verified."})
    access = fresh_token(server, "alice")
    status, info = server.call("GET", "/my-info", token=access)
    assert (info["email"], info["email_verified"], info["mfa_enabled"]) == (
        "alice@example.com",
        True,
        False,
    )

    assert server.call("POST", "/password-reset", {"login": "ALICE@example.com"})[0] == 202
    reset = smtp.wait_for(2)[1]
    assert reset["Subject"] == "Reset your password"
    link = token_in(reset, "reset")
    assert f"{FRONTEND}#reset={link}" in reset.get_content()
    # Two racing confirms of one token: exactly one sets the password.
    confirm = {"token": link, "new_password": NEW_PASSWORD}
    with ThreadPoolExecutor(2) as pool:
        calls = [pool.submit(server.call, "POST", "/password-reset/confirm", confirm)]
        calls.append(pool.submit(server.call, "POST", "/password-reset/confirm", confirm))
    assert sorted(call.result()[0] for call in calls) == [200, 400]
    assert server.call("GET", "/my-info", token=access)[0] == 401  # every session ended
    assert fresh_token(server, "alice") is None
    access = fresh_token(server, "alice", NEW_PASSWORD)
    assert access is not None
    notice = smtp.wait_for(3)[2]
    assert notice["Subject"] == "Your password was changed"

    body = {"email": "new@example.com", "current_password": NEW_PASSWORD}
    assert server.call("PUT", "/my-info/email", body, token=access)[0] == 202
    messages = smtp.wait_for(5)
    assert sorted(m["To"] for m in messages[3:]) == ["alice@example.com", "new@example.com"]
    [new] = [m for m in messages[3:] if m["To"] == "new@example.com"]
    assert server.call("POST", "/verify-email", {"token": token_in(new, "verify")})[0] == 200
    time.sleep(1.5)  # one more worker round: nothing is sent twice
    assert set(message_ids(smtp.messages).values()) == {1}
    assert len(smtp.messages) == 5
    log = inbox.log()
    assert "sent" in log
    tokens = [token_in(verify, "verify"), token_in(reset, "reset"), token_in(new, "verify")]
    assert [token for token in tokens if token in log] == []  # no token in any log line


def test_smtp_down_at_request_time_costs_no_time_and_the_mail_arrives_once(inbox):
    server, smtp = inbox.server, inbox.smtp
    failures = inbox.log().count("not sent")
    up = timed(server, "POST", "/password-reset", {"login": "nobody"}, rounds=5)
    smtp.stop()
    started = time.monotonic()
    register(server, "carol", "carol@example.com")
    register_time = time.monotonic() - started
    down = timed(server, "POST", "/password-reset", {"login": "nobody"}, rounds=5)
    assert register_time < 2
    assert close(up, down), (up, down)
    wait_for_log(inbox, "not sent", failures + 1)  # the worker tried and failed
    assert smtp.messages == []
    smtp.start()
    [message] = smtp.wait_for(1)
    assert message["To"] == "carol@example.com"
    time.sleep(2.5)
    assert len(smtp.messages) == 1


def wait_for_log(inbox, text: str, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while inbox.log().count(text) < count:
        assert time.monotonic() < deadline, f"the worker never logged {text!r}"
        time.sleep(0.1)


def timed(server, method, path, body, rounds=9, token=None, vary=None) -> float:
    """The median time of `rounds` calls (vary(n) makes each call's body)."""
    times = []
    for n in range(rounds):
        started = time.perf_counter()
        status, _ = server.call(method, path, vary(n) if vary else body, token=token)
        times.append(time.perf_counter() - started)
        assert status < 300, status
    return statistics.median(times)


def close(a: float, b: float) -> bool:
    return abs(a - b) <= TIME_TOLERANCE * max(a, b) + TIME_NOISE


def medians(server, method, path, bodies: dict, rounds=12, token=None) -> dict:
    """The median time of each kind of call; the kinds take turns, each round starting
    with the next, so a slow moment of the machine (or the worker sending what the last
    call queued) falls on all of them alike."""
    times = {label: [] for label in bodies}
    for n in range(rounds):
        order = list(bodies.items())
        for label, body in order[n % len(order) :] + order[: n % len(order)]:
            started = time.perf_counter()
            status, _ = server.call(method, path, body(n), token=token)
            times[label].append(time.perf_counter() - started)
            assert status < 300, (label, status)
    return {label: statistics.median(values) for label, values in times.items()}


def alike(times: dict) -> bool:
    return close(min(times.values()), max(times.values()))


@pytest.mark.system  # its point is time (many rounds of argon2 and the reset floor)
def test_no_answer_or_time_tells_whether_an_account_or_address_exists(inbox):
    server, smtp = inbox.server, inbox.smtp
    register(server, "owner", "owner@example.com")
    status, _ = server.call(
        "POST", "/verify-email", {"token": token_in(smtp.wait_for(1)[0], "verify")}
    )
    assert status == 200
    register(server, "unverified", "unverified@example.com")
    logins = ("owner", "owner@example.com", "unverified", "nobody", "nobody@example.com")
    bodies = {login: server.call("POST", "/password-reset", {"login": login}) for login in logins}
    assert len({(status, str(body)) for status, body in bodies.values()}) == 1
    resets = {login: (lambda n, login=login: {"login": login}) for login in logins[::2]}
    times = medians(server, "POST", "/password-reset", resets)
    assert alike(times), times

    def signup(address):
        return lambda n: {"username": f"{address[:4]}{n}", "password": PASSWORD, "email": address}

    addresses = {"free": signup("free@example.com"), "taken": signup("OWNER@example.com")}
    times = medians(server, "POST", "/register", addresses)
    assert alike(times), times

    access = fresh_token(server, "unverified")

    def change(address):
        return lambda n: {"email": address, "current_password": PASSWORD}

    addresses = {"free": change("f@x.org"), "taken": change("owner@example.com")}
    times = medians(server, "PUT", "/my-info/email", addresses, token=access)
    assert alike(times), times


@pytest.mark.system
def test_a_worker_killed_mid_batch_loses_nothing_and_several_never_send_twice(inbox):
    server, smtp, count = inbox.server, inbox.smtp, 30
    drain(inbox)
    inbox.worker.stop()
    for n in range(count):
        register(server, f"user{n}", f"user{n}@example.com")
    original = smtp.handler.handle_DATA

    async def slow(*args):
        time.sleep(0.1)  # a slow server: the batch is still going when the kill comes
        return await original(*args)

    smtp.handler.handle_DATA = slow
    try:
        first = inbox.start_worker()
        smtp.wait_for(5, timeout=60)
        first.kill()
        for _ in range(3):  # several workers pick up what is left
            inbox.start_worker()
        smtp.wait_for(count, timeout=90)
        time.sleep(5)  # past a lease: anything sent twice would show now
    finally:
        smtp.handler.handle_DATA = original
    ids = message_ids(smtp.messages)
    assert len(ids) == count
    # Only the mail in flight at the kill may come twice (accepted, not yet recorded).
    assert sum(ids.values()) - count <= 1, ids
    assert {m["To"] for m in smtp.messages} == {f"user{n}@example.com" for n in range(count)}
