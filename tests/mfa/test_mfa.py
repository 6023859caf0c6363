"""Two-factor login over HTTP (API.md "Two-factor login"), with codes computed by pyotp
at a controlled time: mfa.codes.clock is the app's one clock for codes, tokens and the
per-account window, so each test sets it and moves it."""

import base64
import re

import pyotp
import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select

from db import db
from mfa import crypto
from mfa.codes import matching_step
from models import Mail, MfaCredential, RecoveryCode, User
from tests.conftest import NOT_FRESH, PASSWORD, bearer
from tests.qr import says

T0 = 1_900_000_020  # on a step boundary (30 s steps): step 63_333_334
INVALID_CODE = {"message": "The code is not valid.", "error": "invalid_code"}
TOKEN_INVALID = {
    "message": "The login step has expired. Log in again.",
    "error": "mfa_token_invalid",
}


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("mfa.codes.clock", clock)
    return clock


def code(secret: str, at: float, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(int(at) + 30 * steps)


def verified(app, username="alice"):
    """Give the user a verified address, so notices are mailed."""
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == username)).scalar_one()
        user.email, user.email_verified = f"{username}@example.com", True
        db.session.commit()


def mail_kinds(app) -> list[str]:
    with app.app_context():
        return [m.kind for m in db.session.execute(select(Mail).order_by(Mail.id)).scalars()]


class Mfa:
    """A user with two-factor on: its secret, recovery codes and headers."""

    def __init__(self, client, auth, clock):
        self.client, self.auth, self.clock = client, auth, clock

    def enable(self, username="alice") -> "Mfa":
        self.headers = self.auth.headers(username)
        started = self.client.post("/my-info/mfa", headers=self.headers)
        assert started.status_code == 200, started.json
        self.secret = started.json["secret"]
        confirmed = self.client.post(
            "/my-info/mfa/confirm", headers=self.headers, json={"code": self.code()}
        )
        assert confirmed.status_code == 200, confirmed.json
        self.recovery = confirmed.json["recovery_codes"]
        self.clock.now += 30  # the confirm's code is spent
        return self

    def code(self, steps: int = 0) -> str:
        return code(self.secret, self.clock.now, steps)

    def mfa_token(self, username="alice") -> str:
        response = self.auth.login(username)
        assert response.status_code == 401, response.json
        assert response.json["error"] == "mfa_required"
        return response.json["mfa_token"]

    def second(self, mfa_token: str, code: str, **kwargs):
        return self.client.post("/login/mfa", json={"mfa_token": mfa_token, "code": code}, **kwargs)


@pytest.fixture
def mfa(client, auth, clock):
    return Mfa(client, auth, clock)


def test_enrolment_shows_the_secret_as_uri_and_qr_code_never_cached(client, auth, clock):
    headers = auth.headers()
    response = client.post("/my-info/mfa", headers=headers)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert re.fullmatch(r"[A-Z2-7]{32}", body["secret"])
    assert pyotp.parse_uri(body["otpauth_uri"]).secret == body["secret"]
    assert body["otpauth_uri"].startswith("otpauth://totp/Stores%20API:alice?")
    assert body["qr_svg"].startswith("<svg") and "<script" not in body["qr_svg"]
    assert body["qr_svg"].startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert says(body["qr_svg"], body["otpauth_uri"])
    # Not on yet: a password login still gets tokens.
    assert client.get("/my-info", headers=headers).json["mfa_enabled"] is False
    assert auth.login().status_code == 200


def test_enrolment_needs_a_fresh_token(client, auth):
    headers = auth.non_fresh_headers()
    for path in ("/my-info/mfa", "/my-info/mfa/confirm", "/my-info/mfa/disable"):
        response = client.post(path, headers=headers, json={})
        assert (response.status_code, response.json) == (401, NOT_FRESH)


def test_confirm_turns_it_on_with_ten_recovery_codes_and_ends_other_sessions(
    app, client, auth, mfa, clock
):
    auth.register()
    verified(app)
    other = auth.tokens()
    mfa.headers = auth.headers()
    assert client.post(
        "/my-info/mfa/confirm", headers=mfa.headers, json={"code": "123456"}
    ).json == {
        "code": 409,
        "status": "Conflict",
        "message": "No enrolment is pending.",
    }
    secret = client.post("/my-info/mfa", headers=mfa.headers).json["secret"]
    wrong = client.post("/my-info/mfa/confirm", headers=mfa.headers, json={"code": "000000"})
    assert (wrong.status_code, wrong.json) == (400, INVALID_CODE)
    confirmed = client.post(
        "/my-info/mfa/confirm", headers=mfa.headers, json={"code": code(secret, clock.now)}
    )
    assert confirmed.status_code == 200
    assert confirmed.headers["Cache-Control"] == "no-store"
    codes = confirmed.json["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    for recovery in codes:  # 12 base32 characters: 60 bits, never six digits
        assert re.fullmatch(r"[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}", recovery)
    assert client.get("/my-info", headers=mfa.headers).json["mfa_enabled"] is True
    assert client.get("/my-info", headers=bearer(other["access_token"])).status_code == 401
    assert "mfa_enabled" in mail_kinds(app)
    again = client.post("/my-info/mfa", headers=mfa.headers)
    assert (again.status_code, again.json["message"]) == (409, "Two-factor login is already on.")
    with app.app_context():  # stored encrypted and hashed, never as given
        row = db.session.get(MfaCredential, 1)
        assert secret not in row.secret
        digests = db.session.execute(select(RecoveryCode.digest)).scalars().all()
        assert len(digests) == 10 and not {c.replace("-", "") for c in codes} & set(digests)


def test_password_login_gets_mfa_required_and_the_code_step_gives_a_fresh_pair(
    client, auth, mfa, clock
):
    mfa.enable()
    wrong = auth.login(password="not the password")
    assert (wrong.status_code, wrong.json) == (401, {"message": "Invalid credentials."})
    response = auth.login()
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["Cache-Control"] == "no-store"
    assert set(response.json) == {"message", "error", "mfa_token"}
    assert response.json["message"] == "A one-time code is required."
    done = mfa.second(response.json["mfa_token"], mfa.code())
    assert done.status_code == 200, done.json
    assert done.headers["Cache-Control"] == "no-store"
    headers = bearer(done.json["access_token"])
    # Fresh: it may turn two-factor off (password and a code are still asked for).
    off = client.post(
        "/my-info/mfa/disable", headers=headers, json={"code": "1", "current_password": "nope"}
    )
    assert (off.status_code, off.json) == (401, {"message": "Invalid credentials."})
    rows = client.get("/my-info/sessions", headers=headers).json
    current = [row for row in rows if row["current"]]
    assert current[0]["mfa"] is True
    assert [row["mfa"] for row in rows if not row["current"]] == [False]  # the enrolling login
    # One login per mfa_token.
    clock.now += 30
    assert mfa.second(response.json["mfa_token"], mfa.code()).json == TOKEN_INVALID


def test_the_code_step_sets_cookies_in_cookie_mode(client, mfa):
    mfa.enable()
    done = mfa.second(mfa.mfa_token(), mfa.code(), query_string={"cookies": "true"})
    assert done.status_code == 200
    assert set(done.json) == {"csrf_access_token", "csrf_refresh_token"}
    cookies = done.headers.getlist("Set-Cookie")
    assert any(c.startswith("access_token_cookie=") and "HttpOnly" in c for c in cookies)


def test_a_code_works_once_and_never_after_a_later_one(mfa, clock):
    mfa.enable()
    now = mfa.code()
    assert mfa.second(mfa.mfa_token(), now).status_code == 200
    replay = mfa.second(mfa.mfa_token(), now)
    assert (replay.status_code, replay.json) == (400, INVALID_CODE)
    # The next step's code is taken (one step early), and then the current one is too old.
    ahead, current = mfa.code(+1), mfa.code()
    assert mfa.second(mfa.mfa_token(), ahead).status_code == 200
    assert mfa.second(mfa.mfa_token(), current).json == INVALID_CODE


@pytest.mark.parametrize(("steps", "ok"), [(-2, False), (-1, True), (1, True), (2, False)])
def test_one_step_either_side_is_accepted(mfa, clock, steps, ok):
    mfa.enable()
    clock.now += 300  # well after the confirm's step
    response = mfa.second(mfa.mfa_token(), mfa.code(steps))
    assert response.status_code == (200 if ok else 400)


def test_rfc_6238_vector(clock):
    """The app's codes are RFC 6238's: its SHA-1 vector at T=59 is 94287082 (8 digits
    there, the last 6 here), which is step 1."""
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert pyotp.TOTP(secret, digits=8).at(59) == "94287082"
    clock.now = 59
    assert matching_step(secret, "287082") == 1
    assert matching_step(secret, "287083") is None


def test_recovery_codes_work_once_in_any_case_and_are_told(app, mfa):
    mfa.enable()
    verified(app)
    first = mfa.recovery[0]
    typed = first.upper().replace("-", " ")
    assert mfa.second(mfa.mfa_token(), typed).status_code == 200
    assert mail_kinds(app)[-1] == "mfa_recovery_used"
    assert mfa.second(mfa.mfa_token(), first).json == INVALID_CODE
    assert mfa.second(mfa.mfa_token(), mfa.recovery[1]).status_code == 200


def test_an_mfa_token_takes_five_wrong_codes(mfa):
    mfa.enable()
    token = mfa.mfa_token()
    for _ in range(5):
        assert mfa.second(token, "000000").json == INVALID_CODE
    response = mfa.second(token, mfa.code())
    assert (response.status_code, response.json) == (401, TOKEN_INVALID)
    assert mfa.second(mfa.mfa_token(), mfa.code()).status_code == 200  # a new login works


def test_an_mfa_token_lasts_five_minutes(mfa, clock):
    mfa.enable()
    token = mfa.mfa_token()
    clock.now += 301
    assert mfa.second(token, mfa.code()).json == TOKEN_INVALID
    assert mfa.second("made-up", mfa.code()).json == TOKEN_INVALID


def test_wrong_codes_count_per_account_across_tokens_then_429_and_a_mail(app, client, mfa, clock):
    mfa.enable()
    verified(app)
    for attempt in range(10):  # five each on two tokens... over two logins and the disable
        if attempt % 5 == 0:
            token = mfa.mfa_token()
        assert mfa.second(token, "000000").status_code == 400
    assert mail_kinds(app).count("mfa_locked") == 1
    limited = mfa.second(mfa.mfa_token(), mfa.code())
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 900
    off = client.post(
        "/my-info/mfa/disable",
        headers=mfa.headers,
        json={"code": mfa.code(), "current_password": PASSWORD},
    )
    assert off.status_code == 429  # every endpoint that takes a code
    clock.now += 901
    assert mfa.second(mfa.mfa_token(), mfa.code()).status_code == 200


def test_an_mfa_required_answer_is_not_a_failed_login_but_a_wrong_code_is(app, mfa):
    mfa.enable()
    app.config.update(RATELIMIT_LOGIN_FAILURES="2 per minute")
    for _ in range(4):
        mfa.mfa_token()  # 401 mfa_required each time, never 429
    app.config.update(RATELIMIT_LOGIN_FAILURES_PER_CLIENT="3 per minute")
    token = mfa.mfa_token()
    for _ in range(3):
        assert mfa.second(token, "000000").status_code == 400
    limited = mfa.second(token, mfa.code())
    assert limited.status_code == 429
    assert mfa.auth.login().status_code == 429  # one budget per client for both steps


@pytest.mark.parametrize("event", ["reset", "change", "disable", "mfa reset"])
def test_a_waiting_login_dies_with_the_password_or_two_factor_state(
    app, client, runner, mfa, event
):
    mfa.enable()
    token = mfa.mfa_token()
    if event == "reset":
        verified(app)
        client.post("/password-reset", json={"login": "alice"})
        with app.app_context():
            body = db.session.execute(select(Mail.body).where(Mail.kind == "reset")).scalar_one()
        reset_token = re.search(r"\(POST /password-reset/confirm\):\n(\S+)", body)[1]
        response = client.post(
            "/password-reset/confirm", json={"token": reset_token, "new_password": "x" * 12}
        )
        assert response.status_code == 200
    elif event == "change":
        response = client.put(
            "/my-info/password",
            headers=mfa.headers,
            json={"current_password": PASSWORD, "new_password": "x" * 12},
        )
        assert response.status_code == 200
    elif event == "disable":
        response = client.post(
            "/my-info/mfa/disable",
            headers=mfa.headers,
            json={"code": mfa.code(), "current_password": PASSWORD},
        )
        assert response.status_code == 200
        mfa.clock.now += 30
    else:
        assert runner.invoke(args=["mfa", "reset", "ALICE"]).exit_code == 0
    assert mfa.second(token, mfa.code()).json == TOKEN_INVALID


def test_disable_needs_the_password_and_a_code_and_ends_other_sessions(app, client, auth, mfa):
    mfa.enable()
    verified(app)
    other = mfa.second(mfa.mfa_token(), mfa.code()).json
    mfa.clock.now += 30

    def disable(code, password=PASSWORD):
        body = {"code": code, "current_password": password}
        return client.post("/my-info/mfa/disable", headers=mfa.headers, json=body)

    assert disable(mfa.code(), "wrong password").status_code == 401
    assert disable("000000").json == INVALID_CODE
    response = disable(mfa.recovery[0])
    assert (response.status_code, response.json) == (
        200,
        {"message": "Two-factor login turned off."},
    )
    assert client.get("/my-info", headers=bearer(other["access_token"])).status_code == 401
    assert client.get("/my-info", headers=mfa.headers).json["mfa_enabled"] is False
    assert mail_kinds(app)[-1] == "mfa_disabled"
    assert auth.login().status_code == 200
    assert disable(mfa.code()).status_code == 409


def test_flask_mfa_reset(runner, auth, mfa):
    mfa.enable()
    result = runner.invoke(args=["mfa", "reset", "alice"])
    assert result.exit_code == 0, result.output
    assert auth.login().status_code == 200
    assert client_get_status(mfa) == 401  # every session ended
    assert runner.invoke(args=["mfa", "reset", "nobody"]).exit_code != 0


def client_get_status(mfa) -> int:
    return mfa.client.get("/my-info", headers=mfa.headers).status_code


def test_the_secret_survives_a_rotation_of_the_encryption_key(app, runner, mfa, clock):
    mfa.enable()
    old, new = app.config["MFA_ENCRYPTION_KEYS"], Fernet.generate_key().decode()
    app.config["MFA_ENCRYPTION_KEYS"] = f"{new},{old}"
    assert mfa.second(mfa.mfa_token(), mfa.code()).status_code == 200  # under the old key
    result = runner.invoke(args=["mfa", "rotate-key"])
    assert "Re-encrypted 1 " in result.output
    app.config["MFA_ENCRYPTION_KEYS"] = new  # the old key removed
    clock.now += 30
    assert mfa.second(mfa.mfa_token(), mfa.code()).status_code == 200
    app.config["MFA_ENCRYPTION_KEYS"] = old  # a key that never encrypted it
    with app.app_context(), pytest.raises(InvalidToken):  # an operator error, not an answer
        crypto.decrypt(db.session.get(MfaCredential, 1).secret)
