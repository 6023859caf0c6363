"""gunicorn settings: `gunicorn "app:create_app()"` picks this file up by itself."""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# The app writes its own access line (with request id and user): see requestlog.py.
accesslog = None
errorlog = "-"
timeout = 30


def post_worker_init(worker):
    """Hide the app's long-lived objects (routes, schemas, SQLAlchemy's compiled
    statements) from the garbage collector: its full passes then scan only what
    requests leave behind, which cut the list's p99 (see bench/README.md)."""
    gc.freeze()
