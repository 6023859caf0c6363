"""The requests of the Postman collection, in the order a session runs them: (method, path
as the converter spells it, expected status, overrides). generate.py builds them."""

PASSWORD, NEW_PASSWORD = "correct horse battery", "a longer correct horse battery"

# Test-script lines that keep what later requests use.
KEEP_TOKENS = [
    "const tokens = pm.response.json();",
    'pm.collectionVariables.set("accessToken", tokens.access_token);',
    'pm.collectionVariables.set("refreshToken", tokens.refresh_token);',
]


def keep(variable: str, field: str = "id") -> list[str]:
    return [f'pm.collectionVariables.set("{variable}", pm.response.json().{field});']


# (method, path as the converter spells it, expected status, overrides). In this order.
# "why" names an expected error: the documented answer to what this run can send.
STEPS = [
    ("GET", "/health", 200, {"auth": None}),
    ("GET", "/ready", 200, {"auth": None}),
    ("GET", "/.well-known/jwks.json", 200, {"auth": None}),
    (
        "POST",
        "/register",
        201,
        {
            "auth": None,
            "body": {
                "username": "{{username}}",
                "password": "{{password}}",
                "email": "{{username}}@example.com",
            },
            "prerequest": [  # a new account every run, so a second run is not a 409
                'pm.collectionVariables.set("username", "postman-" + Date.now());',
                f'pm.collectionVariables.set("password", "{PASSWORD}");',
            ],
        },
    ),
    (
        "POST",
        "/login",
        200,
        {
            "auth": None,
            "body": {"username": "{{username}}", "password": "{{password}}"},
            "test": KEEP_TOKENS,
        },
    ),
    ("GET", "/my-info", 200, {"test": keep("userId")}),
    ("GET", "/user/:user_id", 200, {"path": {"user_id": "{{userId}}"}}),
    (
        "POST",
        "/store",
        201,
        {"body": {"name": "Corner Shop {{$timestamp}}"}, "test": keep("storeId")},
    ),
    ("GET", "/store", 200, {"query_off": ["page"]}),
    ("GET", "/store/:store_id", 200, {"path": {"store_id": "{{storeId}}"}}),
    (
        "POST",
        "/store/:store_id/tag",
        201,
        {"path": {"store_id": "{{storeId}}"}, "test": keep("tagId")},
    ),
    (
        "GET",
        "/store/:store_id/tag",
        200,
        {"path": {"store_id": "{{storeId}}"}, "query_off": ["page"]},
    ),
    ("GET", "/tag/:tag_id", 200, {"path": {"tag_id": "{{tagId}}"}}),
    ("POST", "/item", 201, {"body": {"store_id": "{{storeId}}"}, "test": keep("itemId")}),
    (
        "GET",
        "/item",
        200,
        {"query": {"store_id": "{{storeId}}"}, "query_off": ["page", "tag_id"]},
    ),
    ("GET", "/item/:item_id", 200, {"path": {"item_id": "{{itemId}}"}}),
    (
        "PUT",
        "/item/:item_id",
        200,
        {"path": {"item_id": "{{itemId}}"}},
    ),
    (
        "POST",
        "/item/:item_id/tag/:tag_id",
        201,
        {"path": {"item_id": "{{itemId}}", "tag_id": "{{tagId}}"}},
    ),
    (
        "DELETE",
        "/item/:item_id/tag/:tag_id",
        200,
        {"path": {"item_id": "{{itemId}}", "tag_id": "{{tagId}}"}},
    ),
    ("DELETE", "/tag/:tag_id", 202, {"path": {"tag_id": "{{tagId}}"}}),
    ("DELETE", "/item/:item_id", 200, {"path": {"item_id": "{{itemId}}"}}),
    ("DELETE", "/store/:store_id", 200, {"path": {"store_id": "{{storeId}}"}}),
    (
        "PUT",
        "/my-info/email",
        202,
        {"body": {"email": "new-{{username}}@example.com", "current_password": "{{password}}"}},
    ),
    (
        "POST",
        "/verify-email",
        400,
        {"auth": None, "why": "the example token is no real link", "error": "invalid_link"},
    ),
    ("POST", "/password-reset", 202, {"auth": None, "body": {"login": "{{username}}"}}),
    (
        "POST",
        "/password-reset/confirm",
        400,
        {"auth": None, "why": "the example token is no real link", "error": "invalid_link"},
    ),
    ("POST", "/my-info/mfa", 200, {}),
    (
        "POST",
        "/my-info/mfa/confirm",
        400,
        {"why": "the example code is not the authenticator's", "error": "invalid_code"},
    ),
    (
        "POST",
        "/my-info/mfa/disable",
        409,
        {"body": {"current_password": "{{password}}"}, "why": "two-factor login is not on"},
    ),
    (
        "POST",
        "/login/mfa",
        401,
        {"auth": None, "why": "the example mfa_token is unknown", "error": "mfa_token_invalid"},
    ),
    (
        "GET",
        "/my-info/sessions",
        200,
        {"test": ['pm.collectionVariables.set("sessionId", pm.response.json()[0].id);']},
    ),
    ("DELETE", "/my-info/sessions", 200, {}),
    (
        "PUT",
        "/my-info/password",
        200,
        {
            "body": {"current_password": "{{password}}", "new_password": NEW_PASSWORD},
            "test": [f'pm.collectionVariables.set("password", "{NEW_PASSWORD}");'],
        },
    ),
    # The password change ended every session: log in again with the new password.
    (
        "POST",
        "/login",
        200,
        {
            "name": "Log in with the new password",
            "auth": None,
            "body": {"username": "{{username}}", "password": "{{password}}"},
            "test": KEEP_TOKENS,
        },
    ),
    (
        "DELETE",
        "/my-info/sessions/:session_id",
        404,
        {"path": {"session_id": "{{sessionId}}"}, "why": "the password change ended that session"},
    ),
    ("POST", "/refresh", 200, {"auth": "{{refreshToken}}", "test": KEEP_TOKENS}),
    (
        "DELETE",
        "/user/:user_id",
        401,
        {
            "path": {"user_id": "{{userId}}"},
            "why": "a refreshed token is not fresh",
            "error": "fresh_token_required",
        },
    ),
    ("POST", "/logout", 200, {}),
]
