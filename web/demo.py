"""A one-page browser client at /demo: plain HTML and JavaScript, no build step.

It is a plain Flask blueprint, not a flask-smorest one, so it stays out of the OpenAPI
spec: it is an example of a client, not part of the API.
"""

from pathlib import Path

from flask import Blueprint, Flask, send_from_directory

STATIC = Path(__file__).resolve().parent.parent / "static"

blp = Blueprint("demo", __name__)


@blp.get("/demo")
def page():
    response = send_from_directory(STATIC, "demo.html")
    # Always revalidate, so a changed demo page is picked up at the next load.
    response.headers["Cache-Control"] = "no-cache"
    # Links from mails carry a token in the fragment: never in a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@blp.get("/demo/mfa.js")
def mfa_script():
    """The page's two-factor part (static/mfa.js)."""
    response = send_from_directory(STATIC, "mfa.js")
    response.headers["Cache-Control"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)
