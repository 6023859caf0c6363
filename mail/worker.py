"""The mail worker: `flask mail worker`, or a thread in the app (MAIL_WORKER=thread, the
default with MAIL_URL=outbox:, which `make run` sets).

Each round it looks for due mails and claims them one at a time, just before sending:
one conditional UPDATE moves the row's lease forward and stamps this worker's lease id,
and is committed before any SMTP. So no row lock is held across a conversation, nothing
lives in a database session between statements (PgBouncer's transaction mode is fine),
several workers never claim one mail, and a worker killed mid-batch leaves at most one
leased mail, which another worker takes once the lease runs out. The mail is recorded
as sent only by the worker that holds its lease."""

import logging
import os
import threading
import uuid
from pathlib import Path
from typing import cast

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask.globals import app_ctx
from sqlalchemy import CursorResult, delete, or_, select, update

from account import tokens
from db import db
from mail import transport
from models import Mail
from models.login_session import unix_now

log = logging.getLogger(__name__)
BATCH = 20
KEEP_SENT = 86_400  # sent and failed rows are kept a day: the per-recipient throttle counts them


def masked(address: str) -> str:
    """b***@example.com: enough to tell mails apart in a log, not to harvest addresses."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}"


def due(now: int) -> list[int]:
    return list(
        db.session.execute(
            select(Mail.id)
            .where(
                Mail.sent_at.is_(None),
                Mail.failed_at.is_(None),
                Mail.next_attempt_at <= now,
                or_(Mail.lease_until.is_(None), Mail.lease_until < now),
            )
            .order_by(Mail.id)
            .limit(BATCH)
        ).scalars()
    )


def claim(mail_id: int, lease_id: str) -> Mail | None:
    """The mail, if this worker won it: one conditional UPDATE, committed at once."""
    now = unix_now()
    claimed = cast(
        CursorResult,
        db.session.execute(
            update(Mail)
            .where(
                Mail.id == mail_id,
                Mail.sent_at.is_(None),
                Mail.failed_at.is_(None),
                or_(Mail.lease_until.is_(None), Mail.lease_until < now),
            )
            .values(
                lease_until=now + current_app.config["MAIL_LEASE_SECONDS"],
                lease_id=lease_id,
                attempts=Mail.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    mail = db.session.get(Mail, mail_id) if claimed == 1 else None
    db.session.commit()
    return mail


def record(mail: Mail, lease_id: str, **values) -> None:
    """Write the outcome, only while this worker still holds the lease."""
    db.session.execute(
        update(Mail)
        .where(Mail.id == mail.id, Mail.lease_id == lease_id)
        .values(lease_until=None, lease_id=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def deliver(mail: Mail, lease_id: str) -> None:
    config = current_app.config
    msg = transport.message(mail, config["MAIL_FROM"])
    outbox = Path(current_app.instance_path) / "outbox"
    what = f"mail {mail.id} ({mail.kind}) to {masked(mail.recipient)}"
    now = unix_now()
    try:
        where = transport.send(config["MAIL_URL"], msg, outbox)
    except transport.GiveUp as error:
        log.error("%s given up: the server refused it (%s)", what, error)
        record(mail, lease_id, failed_at=now, last_error=str(error)[:200])
        return
    except transport.Retry as error:
        delay = min(2 ** (mail.attempts - 1), config["MAIL_BACKOFF_MAX"])
        if now + delay >= mail.give_up_at:
            log.error("%s given up after %s attempts: %s", what, mail.attempts, error)
            record(mail, lease_id, failed_at=now, last_error=str(error)[:200])
        else:
            log.warning("%s not sent (%s); next try in %ss", what, error, delay)
            record(mail, lease_id, next_attempt_at=now + delay, last_error=str(error)[:200])
        return
    record(mail, lease_id, sent_at=unix_now())
    log.info("%s sent (%s)", what, where)


def run_once() -> int:
    """One round: every due mail this worker can claim; how many it handled."""
    lease_id = uuid.uuid4().hex
    handled = 0
    for mail_id in due(unix_now()):
        mail = claim(mail_id, lease_id)
        if mail is not None:
            deliver(mail, lease_id)
            handled += 1
    db.session.commit()
    return handled


def prune() -> None:
    """Sent and failed mail, and link tokens, a day after they stopped mattering."""
    old = unix_now() - KEEP_SENT
    db.session.execute(delete(Mail).where(or_(Mail.sent_at < old, Mail.failed_at < old)))
    tokens.prune(old)
    db.session.commit()


def loop(app: Flask, stop: threading.Event) -> None:
    """Rounds until `stop`; a database or other failure costs a round, never the worker."""
    rounds = 0
    while not stop.is_set():
        handled = 0
        with app.app_context():
            try:
                handled = run_once()
                if rounds % 600 == 0:
                    prune()
            except Exception:
                log.exception("mail worker round failed; retrying")
                db.session.rollback()
            finally:
                db.session.remove()
        rounds += 1
        if not handled:
            stop.wait(app.config["MAIL_POLL_SECONDS"])


mail_cli = AppGroup("mail", help="Send the mail the app has queued (see mail/worker.py).")


@mail_cli.command("worker")
@click.option("--once", is_flag=True, help="One round, then exit.")
@with_appcontext
def worker_command(once: bool) -> None:
    """Deliver queued mail to MAIL_URL until stopped (run as many as you like)."""
    if not current_app.config["MAIL_URL"]:
        raise click.UsageError("MAIL_URL is not set: there is nowhere to send mail.")
    if once:
        click.echo(f"Handled {run_once()} mail(s).")
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    log.info(
        "mail worker started (pid %s), sending to %s",
        os.getpid(),
        transport.where(current_app.config["MAIL_URL"]),
    )
    loop(app_ctx.app, threading.Event())


class InProcess:
    """The worker as a thread of each serving process, started by its first request, so
    CLI commands (`flask db upgrade`) start none and a forked gunicorn worker its own."""

    def __init__(self, app: Flask):
        self.app, self.lock = app, threading.Lock()
        self.pid: int | None = None

    def __call__(self) -> None:
        if self.pid == os.getpid():
            return
        with self.lock:
            if self.pid != os.getpid():
                self.pid = os.getpid()
                args = (self.app, threading.Event())
                threading.Thread(target=loop, args=args, name="mail-worker", daemon=True).start()


def init_app(app: Flask) -> None:
    app.cli.add_command(mail_cli)
    if app.config["MAIL_WORKER"] == "thread" and app.config["MAIL_URL"]:
        app.before_request(InProcess(app))
