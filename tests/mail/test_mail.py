"""Mail delivery through a real SMTP server (tests/smtp.py), reached only through MAIL_URL:
each transport, retries with backoff, giving up, leases, the outbox file mode, start-up."""

import logging
import os

import pytest

from app import create_app
from db import db
from mail import worker
from models import EmailToken, Mail
from tests.conftest import PASSWORD, SECRET
from tests.smtp import SmtpServer, token_in

FRONTEND = "https://app.example/demo"


@pytest.fixture
def smtp(tmp_path):
    server = SmtpServer(tmp_path).start()
    yield server
    server.stop()


def register(client, username="alice", address="alice@example.com"):
    body = {"username": username, "password": PASSWORD, "email": address}
    assert client.post("/register", json=body).status_code == 201


def rows(app) -> list[Mail]:
    with app.app_context():
        return list(db.session.execute(db.select(Mail).order_by(Mail.id)).scalars())


def run_worker(app) -> int:
    with app.app_context():
        return worker.run_once()


def worker_log(caplog) -> str:
    """What the worker logged (the SMTP server in this process logs too, as mail.log)."""
    return "\n".join(r.getMessage() for r in caplog.records if r.name == "mail.worker")


@pytest.fixture
def mailing(app, smtp):
    app.config.update(MAIL_URL=smtp.url, FRONTEND_URL=FRONTEND)
    return app


def test_a_queued_mail_is_sent_once_with_its_link(mailing, client, smtp):
    register(client)
    assert smtp.messages == []  # the request only queued it
    assert run_worker(mailing) == 1
    assert run_worker(mailing) == 0
    [message] = smtp.wait_for(1)
    assert message["To"] == "alice@example.com"
    assert message["Subject"] == "Verify your email address"
    token = token_in(message.get_content(), "verify")
    assert f"{FRONTEND}#verify={token}" in message.get_content()
    assert rows(mailing)[0].sent_at is not None


# aiosmtpd takes AUTH only after its own STARTTLS, so smtps is tried without it.
@pytest.mark.parametrize(("mode", "auth"), [("starttls", True), ("tls", False)])
def test_tls_transports_with_a_verified_certificate(app, client, tmp_path, monkeypatch, mode, auth):
    server = SmtpServer(tmp_path, mode=mode, auth=auth).start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))
        app.config.update(MAIL_URL=server.url, FRONTEND_URL=FRONTEND)
        register(client)
        run_worker(app)
        assert len(server.wait_for(1)) == 1
    finally:
        server.stop()


def test_an_untrusted_certificate_is_not_used(app, client, tmp_path, caplog):
    server = SmtpServer(tmp_path, mode="tls").start()
    try:
        app.config.update(MAIL_URL=server.url, FRONTEND_URL=FRONTEND)
        register(client)
        with caplog.at_level(logging.WARNING):
            run_worker(app)
        assert server.messages == []
        assert "CERTIFICATE_VERIFY_FAILED" in worker_log(caplog)
        assert rows(app)[0].failed_at is None  # retried later, not given up
    finally:
        server.stop()


def test_starttls_fails_when_the_server_does_not_offer_it(app, client, smtp, caplog):
    app.config.update(MAIL_URL=smtp.url.replace("smtp://", "smtp+starttls://"))
    app.config["FRONTEND_URL"] = FRONTEND
    register(client)
    with caplog.at_level(logging.WARNING):
        run_worker(app)
    assert smtp.messages == []  # never sent in the clear
    assert "STARTTLS" in worker_log(caplog)


def test_4xx_is_retried_with_backoff_and_sent_once_accepted(mailing, client, smtp, monkeypatch):
    smtp.handler.answers["alice@example.com"] = "451 4.3.0 Try again later"
    register(client)
    clock = [1_000_000_000]
    monkeypatch.setattr("mail.worker.unix_now", lambda: clock[0])
    with mailing.app_context():
        db.session.execute(db.update(Mail).values(created_at=clock[0], next_attempt_at=clock[0]))
        db.session.execute(db.update(Mail).values(give_up_at=clock[0] + 3600))
        db.session.commit()
    delays = []
    for _ in range(4):
        assert run_worker(mailing) == 1
        [mail] = rows(mailing)
        delays.append(mail.next_attempt_at - clock[0])
        assert run_worker(mailing) == 0  # not due yet
        clock[0] = mail.next_attempt_at
    assert delays == [1, 2, 4, 8]
    del smtp.handler.answers["alice@example.com"]
    run_worker(mailing)
    assert len(smtp.wait_for(1)) == 1
    run_worker(mailing)
    assert len(smtp.messages) == 1


def test_5xx_gives_up_at_once_with_a_reason_and_no_token_in_the_log(mailing, client, smtp, caplog):
    smtp.handler.answers["alice@example.com"] = "550 5.1.1 No such mailbox"
    register(client)
    with caplog.at_level(logging.INFO):
        run_worker(mailing)
        run_worker(mailing)
    [mail] = rows(mailing)
    assert mail.failed_at is not None and mail.attempts == 1
    assert "given up" in worker_log(caplog) and "550" in worker_log(caplog)
    token = token_in(mail.body, "verify")
    assert token not in worker_log(caplog)
    assert "alice@example.com" not in worker_log(caplog)  # addresses are masked


def test_a_server_that_stays_down_is_given_up_when_the_token_expires(mailing, client, smtp, caplog):
    smtp.stop()
    register(client)
    with mailing.app_context():
        db.session.execute(db.update(Mail).values(give_up_at=Mail.created_at))
        db.session.commit()
    with caplog.at_level(logging.ERROR):
        run_worker(mailing)
    [mail] = rows(mailing)
    assert mail.failed_at is not None
    assert "given up after 1 attempts" in worker_log(caplog)


def test_a_leased_mail_is_claimed_by_one_worker_until_its_lease_runs_out(
    mailing, client, monkeypatch
):
    register(client)
    [mail] = rows(mailing)
    with mailing.app_context():
        assert worker.claim(mail.id, "a" * 32) is not None
        assert worker.claim(mail.id, "b" * 32) is None  # held by the first
        later = rows(mailing)[0].lease_until + 1
        monkeypatch.setattr("mail.worker.unix_now", lambda: later)
        assert worker.claim(mail.id, "b" * 32) is not None  # the first worker died
        # The first worker's late outcome is not recorded: it no longer holds the lease.
        worker.record(mail, "a" * 32, sent_at=later)
        assert db.session.get(Mail, mail.id).sent_at is None


def test_old_mail_and_expired_link_tokens_are_pruned(mailing, client, monkeypatch):
    register(client)
    run_worker(mailing)
    register(client, "bob", "bob@example.com")  # still waiting: kept
    later = rows(mailing)[0].sent_at + worker.KEEP_SENT + 86_400 + 1
    monkeypatch.setattr("mail.worker.unix_now", lambda: later)
    with mailing.app_context():
        worker.prune()
        assert db.session.execute(db.select(db.func.count()).select_from(EmailToken)).scalar() == 0
    assert [mail.recipient for mail in rows(mailing)] == ["bob@example.com"]


def test_outbox_mode_writes_eml_files_to_the_instance_folder(app, client, tmp_path, caplog):
    app.instance_path = str(tmp_path / "instance")
    long_frontend = "https://a-rather-long-frontend-host-name.example/some/deeper/path/demo"
    app.config.update(MAIL_URL="outbox:", FRONTEND_URL=long_frontend)
    register(client)
    with caplog.at_level(logging.INFO):
        run_worker(app)
    [eml] = (tmp_path / "instance" / "outbox").glob("*.eml")
    text = eml.read_text()
    token = token_in(text, "verify")  # whole in the file, not folded by an encoding
    assert f"{long_frontend}#verify={token}\n" in text
    assert "To: alice@example.com" in text
    assert token not in worker_log(caplog)


def test_ready_reports_the_backlog_and_stays_200(app, client):
    assert client.get("/ready").json["mail"] == {"waiting": 0, "oldest_age": 0}
    register(client)
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json["mail"]["waiting"] == 1


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"MAIL_URL": "smtp://127.0.0.1:2525"}, "FRONTEND_URL must be set"),
        ({"MAIL_URL": "http://mail.example"}, "MAIL_URL must be"),
        ({"MAIL_WORKER": "cron"}, "MAIL_WORKER must be"),
    ],
)
def test_start_up_refuses_a_mail_server_it_cannot_use(monkeypatch, tmp_path, settings, error):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("JWT_SECRET_KEY", SECRET)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError, match=error):
        create_app()


def test_the_worker_command_needs_a_mail_url(runner):
    result = runner.invoke(args=["mail", "worker", "--once"])
    assert result.exit_code != 0
    assert "MAIL_URL is not set" in result.output
    assert os.environ.get("MAIL_URL") is None
