"""Request bodies are JSON: one parser for every `@blp.arguments` body.

curl's `-d` sends `application/x-www-form-urlencoded` unless told otherwise, and a body
sent as text/plain or with no Content-Type is not read as JSON at all; webargs then saw
no body and answered 422 "Missing data for required field." for fields that were sent.
Here any body that is not declared JSON gets 415 naming the header to send, and a JSON
body is read by the app's one `json.loads` (web/json.py), so hostile JSON is a 400."""

from flask import Request, current_app
from flask_smorest import abort
from webargs import core
from webargs.flaskparser import FlaskParser

EXPECTED = "application/json"


def not_json(mimetype: str) -> str:
    """The 415 message for a body sent as `mimetype` ("" when it had no Content-Type)."""
    sent = f"'{mimetype[:100]}'" if mimetype else "no Content-Type"
    return (
        f"The request body must be JSON, sent with 'Content-Type: {EXPECTED}' "
        f"(this request had {sent})."
    )


class JsonBodyParser(FlaskParser):
    def load_json(self, req: Request, schema):
        data = req.get_data(cache=True)
        if not data:
            return core.missing  # then the schema's required fields answer 422
        if not core.is_json(req.mimetype):
            abort(415, message=not_json(req.mimetype))
        try:
            return current_app.json.loads(data)
        except ValueError as error:
            abort(
                400,
                message=f"The request body is not valid JSON: {error}",
                errors={"json": ["Invalid JSON body."]},
            )
