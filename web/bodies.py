"""Request bodies are JSON: one check, where flask-smorest reads a JSON body.

curl's `-d` sends `application/x-www-form-urlencoded` unless told otherwise, and a body
sent as text/plain or with no Content-Type is not read as JSON at all; webargs then saw
no body and answered 422 "Missing data for required field." for fields that were sent.
Here any body that is not declared JSON gets 415 naming the header to send."""

import flask_smorest
from flask import Request
from flask_smorest import abort
from webargs.core import is_json
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
        if not is_json(req.mimetype) and (req.content_length or req.get_data(cache=True)):
            abort(415, message=not_json(req.mimetype))
        return super().load_json(req, schema)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, reading JSON bodies through JsonBodyParser."""

    ARGUMENTS_PARSER = JsonBodyParser()
