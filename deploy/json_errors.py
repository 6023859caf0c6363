"""gunicorn's sync worker, its own error answers in the API's JSON shape.

gunicorn refuses some requests before the app sees them (a control character in a
header, clashing scheme headers, a request line or headers over its limits) and answers
those in HTML. Its public `handle_error` decides the status; the socket it writes to
here turns that HTML answer into {"code", "status", "message"} JSON.
"""

import json

from gunicorn.workers.sync import SyncWorker
from werkzeug.http import HTTP_STATUS_CODES

MESSAGES = {
    400: "The request could not be understood.",
    414: "The request line is too long.",
    431: "The request headers are too large.",
    500: "An unexpected error occurred.",
    501: "That transfer coding is not supported.",
}


def as_json(answer: bytes) -> bytes:
    """gunicorn's HTML error answer, as JSON with the same status."""
    status_line = answer.split(b"\r\n", 1)[0].decode("latin-1")
    code = int(status_line.split(" ", 2)[1])
    status = HTTP_STATUS_CODES.get(code, "Error")  # named as the app names it
    body = json.dumps(
        {"code": code, "status": status, "message": MESSAGES.get(code, status + ".")}
    ).encode()
    head = (
        f"{status_line}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class JsonAnswers:
    """The client socket, but what is sent through it is rewritten by as_json."""

    def __init__(self, sock):
        self.sock = sock

    def sendall(self, data: bytes) -> None:
        self.sock.sendall(as_json(data))

    def __getattr__(self, name):
        return getattr(self.sock, name)


class JsonErrorsWorker(SyncWorker):
    def handle_error(self, req, client, addr, exc):
        super().handle_error(req, JsonAnswers(client), addr, exc)
