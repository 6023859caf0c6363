"""A circuit breaker for PostgreSQL: a database outage fails fast.

Without it every request that needs the database waits out its own timeout
(DATABASE_DEADLINE) while PostgreSQL hangs, so a handful of readers hold every sync
worker and even `/health` queues behind them. With it, once DATABASE_BREAKER_FAILURES
database calls in a row have failed slowly (a timeout: a connect, statement or
deadline that ran out), the breaker opens: every checkout and connect raises 503 JSON
with `Retry-After` at once, and no request waits on the database. A background thread
tries the database every DATABASE_BREAKER_COOLDOWN seconds (bounded by the same
deadline as a request); its first success closes the breaker. Each process has its
own, like its pool.

A failure that came at once (a refused connection, a restart) never opens it: such an
answer costs no wait, and the next request may well find the database back.
"""

import math
import threading
import time

from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import ServiceUnavailable

from db import db

# A failure this long after its connect, checkout or statement began was a wait.
SLOW = 0.5  # seconds


class Breaker:
    def __init__(self, engine, failures: int, cooldown: float):
        self.engine, self.failures, self.cooldown = engine, failures, cooldown
        self.failed = 0  # database calls failed in a row
        self.next_try = 0.0  # monotonic time of the prober's next attempt
        self.prober: threading.Thread | None = None
        self.lock = threading.Lock()
        self.began = threading.local()  # when this thread's current database call began

    def begin(self) -> None:
        self.began.at = time.monotonic()

    def check(self) -> None:
        """Refuse at once while open (a checkout or connect is about to happen)."""
        if self.failed < self.failures or threading.current_thread() is self.prober:
            return
        wait = max(1, math.ceil(self.next_try - time.monotonic()))
        raise ServiceUnavailable(retry_after=wait)

    def failure(self) -> None:
        if time.monotonic() - getattr(self.began, "at", 0.0) < SLOW:
            return
        with self.lock:
            self.failed += 1
            if self.failed < self.failures or threading.current_thread() is self.prober:
                return
            self.next_try = time.monotonic() + self.cooldown
            if self.prober is None or not self.prober.is_alive():
                self.prober = threading.Thread(target=self.probe, name="db-breaker", daemon=True)
                self.prober.start()

    def success(self) -> None:
        if self.failed:
            with self.lock:
                self.failed = 0

    def probe(self) -> None:
        """Until the database answers: wait out the cool-down, then try it."""
        while self.failed >= self.failures:
            time.sleep(max(0.0, self.next_try - time.monotonic()))
            try:
                with self.engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
            except Exception:  # any failure: still down
                with self.lock:
                    self.next_try = time.monotonic() + self.cooldown


def init_app(app: Flask) -> None:
    """Hook the breaker into the app's PostgreSQL engine (SQLite has no outage)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    with app.app_context():
        engine = db.engine
    breaker = Breaker(
        engine,
        int(app.config.get("DATABASE_BREAKER_FAILURES", 3)),
        float(app.config.get("DATABASE_BREAKER_COOLDOWN", 5)),
    )
    app.extensions["db_breaker"] = breaker

    def check(*_) -> None:
        breaker.check()
        breaker.begin()

    # First among the checkout listeners: an open breaker costs no ping.
    event.listen(engine, "checkout", check, insert=True)
    event.listen(engine, "do_connect", check)
    event.listen(engine, "before_cursor_execute", lambda *_: breaker.begin())
    event.listen(engine, "after_cursor_execute", lambda *_: breaker.success())

    @event.listens_for(engine, "handle_error")
    def failed(context) -> None:
        if context.is_disconnect or isinstance(context.sqlalchemy_exception, OperationalError):
            breaker.failure()
