"""What the OpenAPI document says beyond each view's own decorators."""

from apispec import BasePlugin
from flask import Flask, jsonify, request
from flask_smorest import Api
from werkzeug.exceptions import UnprocessableEntity

from schemas import CookieTokensSchema, TokensSchema
from web.bodies import not_json
from web.errors import example

# Two slots in Swagger UI's Authorize dialog, so /refresh never needs the access token
# swapped out: it uses the second.
SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The `access_token` from POST /login (or POST /refresh).",
    },
    "refreshAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The `refresh_token` from POST /login; only POST /refresh takes it.",
    },
}
ACCESS_SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]
REFRESH_SECURITY: list[dict[str, list[str]]] = [{"refreshAuth": []}]

DESCRIPTION = """\
Stores, their items and tags, with users who log in and get JSON Web Tokens.
The full reference, with every rule and error body, is `docs/api.md` in the repository.

**Log in and authorize (Swagger UI)**

1. `POST /register` with a username and password (or use an account you have).
2. `POST /login` with the same body: the answer holds an `access_token` and a
   `refresh_token`.
3. Press **Authorize**, paste the `access_token` (without `Bearer `) into **bearerAuth**
   and the `refresh_token` into **refreshAuth**. The page keeps them across reloads.
4. Every protected operation now sends `Authorization: Bearer <access_token>`;
   `POST /refresh` sends the refresh token and answers a new pair: paste those in again.

An access token lives 15 minutes by default. Deleting a store or a user and changing a
password need a *fresh* access token, straight from `POST /login`.

**Postman**: import this document's URL (`/openapi.json`) and choose *Parameter
generation: Example* in the import settings; `baseUrl` is this server. Put the
`access_token` in the collection's Bearer token.

**curl**: send JSON bodies with `Content-Type: application/json`.
"""

# Errors any operation with a JSON body can get; 422 comes with blp.arguments.
BODY_ERRORS = {
    "400": "The request body is not valid JSON",
    "413": "The request body is larger than 1 MiB",
    "415": "The request body is not sent as Content-Type: application/json",
}


class BodyErrorsPlugin(BasePlugin):
    """Documents BODY_ERRORS on every operation that takes a request body, unless the
    view documents that status itself (its description then says more)."""

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for operation in (operations or {}).values():
            if "requestBody" not in operation:
                continue
            responses = operation.setdefault("responses", {})
            documented = {str(status) for status in responses}  # the views' are ints
            for code, description in BODY_ERRORS.items():
                if code not in documented:
                    responses[code] = {
                        "description": description,
                        "content": {"application/json": {"schema": "Error"}},
                    }


# The example of an error response whose view gives none: the body it gets, by status.
ERROR_EXAMPLES = {
    "400": example(400, errors={"json": ["Invalid JSON body."]}),
    "404": example(404),
    "413": example(413),
    "415": example(415, not_json("application/x-www-form-urlencoded")),
    "422": example(
        422,
        UnprocessableEntity.description,
        errors={"json": {"name": ["Missing data for required field."]}},
    ),
    "503": example(503),
    "default": example(500),
}
# flask-smorest's shared responses, referenced by every operation.
COMPONENT_RESPONSES = {"UNPROCESSABLE_ENTITY": "422", "DEFAULT_ERROR": "default"}


class ErrorExamplesPlugin(BasePlugin):
    """Gives every JSON error response without an example the body of its status, so
    Swagger UI and Postman show a real error rather than a schema's placeholders."""

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for operation in (operations or {}).values():
            for status, response in operation.get("responses", {}).items():
                with_example(response, str(status))


def with_example(response, status: str) -> None:
    media = (
        response.get("content", {}).get("application/json") if isinstance(response, dict) else None
    )
    if media is not None and status in ERROR_EXAMPLES:
        media.setdefault("example", ERROR_EXAMPLES[status])


SPEC_KWARGS = {
    "info": {"description": DESCRIPTION},
    "components": {"securitySchemes": SECURITY_SCHEMES},
    # In this order: the body errors are added first, then they get their examples.
    "extra_plugins": [BodyErrorsPlugin(), ErrorExamplesPlugin()],
}


# flask-smorest's endpoint for the spec: its doc blueprint ("api-docs") + "openapi_json".
SPEC_ENDPOINT = "api-docs.openapi_json"


def init_app(app: Flask, api: Api) -> None:
    """Serve /openapi.json with a `servers` entry naming the server that answers it.

    Postman's converter takes `servers[0].url` as the collection's base URL and a
    relative "/" gives it `http:////register`, so the URL must be absolute: the one the
    client reached (behind nginx, ProxyFix gives the forwarded host and scheme)."""

    def spec_with_server():
        server = {"url": request.host_url.rstrip("/"), "description": "This server"}
        return jsonify(api.spec.to_dict() | {"servers": [server]})

    app.view_functions[SPEC_ENDPOINT] = spec_with_server
    for name, status in COMPONENT_RESPONSES.items():
        with_example(api.spec.components.responses[name], status)


# --- Fragments of the token responses (from schemas.py) ------------------------------

SET_COOKIE = {
    "Set-Cookie": {
        "description": "Cookie mode only: access_token_cookie and refresh_token_cookie "
        "(HttpOnly, SameSite=Lax, Secure; the refresh cookie on Path=/refresh), "
        "csrf_access_token and csrf_refresh_token (readable by the page)",
        "schema": {"type": "string"},
    }
}
# A token response is one or the other: security.cookies.token_response builds it.
TOKEN_RESPONSE = {"oneOf": [TokensSchema, CookieTokensSchema]}
