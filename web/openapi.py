"""What the OpenAPI document says beyond each view's own decorators."""

from apispec import BasePlugin

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
