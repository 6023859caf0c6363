"""One access-log line per request on stdout, tied together by a request id.

Only facts about the request are logged (never headers, bodies or tokens), and the
user id only when a token was verified: an unverified `sub` could be anything."""

import logging
import re
import sys
import time
import uuid
from urllib.parse import quote

from flask import Flask, Response, g, request
from flask_jwt_extended import get_jwt

log = logging.getLogger("stores.access")
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# What may appear unescaped: RFC 3986's unreserved and sub-delims, ':', '@' and '/'.
LOGGED_AS_IS = "/:@!$&'()*+,;=-._~"


def clean(value: str | None) -> str:
    """Percent-encode all else: a path's %0a (decoded to a newline), a space or any
    control or non-ASCII character cannot start a forged line or fake a field, and the
    logged form still reads as the URL the client sent."""
    return quote(value or "-", safe=LOGGED_AS_IS)


def _start() -> None:
    g.started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def _finish(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.request_id
    try:
        user = get_jwt().get("sub", "-")
    except RuntimeError:  # no token was verified on this request
        user = "-"
    log.info(
        "%s %s %s %.1fms client=%s user=%s request_id=%s",
        clean(request.method),
        clean(request.path),
        response.status_code,
        (time.perf_counter() - g.started) * 1000,
        clean(request.remote_addr),
        user,
        g.request_id,
    )
    return response


def init_app(app: Flask) -> None:
    if not log.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    app.before_request(_start)
    app.after_request(_finish)
