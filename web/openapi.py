"""What the OpenAPI document says beyond each view's own decorators."""

from apispec import BasePlugin
from flask import Flask, jsonify, request
from flask_smorest import Api

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
ACCESS_SECURITY = [{"bearerAuth": []}]
REFRESH_SECURITY = [{"refreshAuth": []}]

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
            for code, description in BODY_ERRORS.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": "Error"}},
                    },
                )


SPEC_KWARGS = {
    "info": {"description": DESCRIPTION},
    "components": {"securitySchemes": SECURITY_SCHEMES},
    "extra_plugins": [BodyErrorsPlugin()],
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
