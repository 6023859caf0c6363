"""gunicorn settings: `gunicorn "app:create_app()"` picks this file up by itself."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# The app writes its own access line (with request id and user): see requestlog.py.
accesslog = None
errorlog = "-"
timeout = 30
