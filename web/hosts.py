"""TRUSTED_HOSTS: the host names this API answers for. The absolute URLs it writes
(`Link`, the OpenAPI `servers` entry) copy the request's Host, so a Host the operator
did not list must never get that far.

Flask's own TRUSTED_HOSTS setting does the check, before routing, so no view ever sees
another Host; its SecurityError becomes 400 JSON here. Liveness and readiness probes
often send an address as Host, and their answers carry no URL: for /health and /ready
alone, the Host is set to a trusted name before Flask looks at it."""

from flask import Flask
from werkzeug.exceptions import SecurityError
from werkzeug.http import HTTP_STATUS_CODES

PROBES = frozenset({"/health", "/ready"})
UNTRUSTED = "This server does not answer for that Host."


def trusted_hosts(value: str | None) -> list[str] | None:
    """The comma list from the environment; None (every Host) when unset or empty."""
    names = [name.strip() for name in (value or "").split(",") if name.strip()]
    return names or None


class ProbesAnswerAnyHost:
    """WSGI middleware: /health and /ready answer whatever Host a probe sends."""

    def __init__(self, wsgi_app, stand_in: str):
        self.wsgi_app, self.stand_in = wsgi_app, stand_in

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") in PROBES:
            environ["HTTP_HOST"] = self.stand_in
        return self.wsgi_app(environ, start_response)


def untrusted_host(_error: SecurityError):
    return {"code": 400, "status": HTTP_STATUS_CODES[400], "message": UNTRUSTED}, 400


def init_app(app: Flask) -> None:
    app.register_error_handler(SecurityError, untrusted_host)
    trusted = app.config.get("TRUSTED_HOSTS")
    if trusted:
        # A leading dot trusts a domain and its subdomains: the domain itself stands in.
        app.wsgi_app = ProbesAnswerAnyHost(  # type: ignore[method-assign]
            app.wsgi_app, trusted[0].lstrip(".")
        )
