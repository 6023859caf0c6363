"""gunicorn settings: `gunicorn "app:create_app()"` picks this file up by itself.

Sync workers, behind nginx (`make serve`, deploy/): gunicorn's docs say sync workers
need a buffering proxy, and with one they measured better than gthread here. wrk, 2
threads, 32 connections, 6 s through nginx, 2 workers on 2 shared cores, SQLite:
GET /health 1307 req/s (sync) vs 1256 (gthread, 4 threads); GET /store 798 vs 542 req/s,
p-max latency 89 ms vs 189 ms: the app is CPU-bound (JSON, argon2), so threads only
contend for the GIL. Slow clients are nginx's to wait for, and a hung database is bounded
by connections.init_app, so neither is a reason for threads.
"""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# The app writes its own access line (with request id and user): see requestlog.py.
accesslog = None
errorlog = "-"
timeout = 30
# gunicorn's own error answers (a bad header, a request over its limits) in JSON.
worker_class = "deploy.json_errors.JsonErrorsWorker"
# nginx bounds the headers (16 KiB in all): gunicorn's default of 100 fields would
# answer more with its own HTML 431.
limit_request_fields = 32768
# gunicorn's control socket (gunicornc) defaults to one path per user, ~/.gunicorn/gunicorn.ctl,
# which every gunicorn on the machine would share: off unless GUNICORN_CONTROL_SOCKET names
# a path of this instance's own.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket


def post_worker_init(worker):
    """Hide the app's long-lived objects (routes, schemas, SQLAlchemy's compiled
    statements) from the garbage collector: its full passes then scan only what
    requests leave behind, which cut the list's p99 (see bench/README.md)."""
    gc.freeze()
