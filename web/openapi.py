"""What the OpenAPI document says beyond each view's own decorators."""

from apispec import BasePlugin
from flask import Flask, jsonify, request
from flask_smorest import Api

SECURITY_SCHEMES = {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}

# Errors any operation with a JSON body can get; 422 comes with blp.arguments.
BODY_ERRORS = {
    "400": "The request body is not valid JSON",
    "413": "The request body is larger than 1 MiB",
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
