"""Every error is JSON in flask-smorest's shape, never HTML or a traceback;
and the OpenAPI document describes the Bearer security."""

import json

import pytest


def assert_json_error(response, code, status):
    assert response.status_code == code
    assert response.mimetype == "application/json"
    assert response.json["code"] == code
    assert response.json["status"] == status
    assert b"<html" not in response.data.lower()


@pytest.mark.parametrize("path", ["/nope", "/store/1/nope", "/item/abc", "/tag/-1"])
def test_unknown_path_is_json_404(client, path):
    response = client.get(path)
    assert_json_error(response, 404, "Not Found")
    assert response.json["message"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("delete", "/store", {"GET", "POST"}),
        ("put", "/store/1", {"GET", "DELETE"}),
        ("patch", "/item", {"GET", "POST"}),
        ("get", "/login", {"POST"}),
    ],
)
def test_405_is_json_with_allow(client, method, path, allowed):
    response = getattr(client, method)(path)
    assert_json_error(response, 405, "Method Not Allowed")
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


@pytest.mark.parametrize("body", ['{"name": ', "not json", '{"name": "a",}'])
def test_malformed_json_is_400_json(client, auth, body):
    response = client.post(
        "/store", data=body, content_type="application/json", headers=auth.headers()
    )
    assert_json_error(response, 400, "Bad Request")
    assert response.json["message"]
    assert client.get("/store").json == []


def test_body_over_one_mib_is_413_json(client, auth):
    headers = auth.headers()
    body = json.dumps({"name": "x" * int(1.1 * 1024 * 1024)})
    response = client.post("/store", data=body, content_type="application/json", headers=headers)
    assert_json_error(response, 413, "Request Entity Too Large")
    assert response.json["message"]
    assert client.get("/store").json == []


def test_body_just_under_one_mib_is_parsed(client, auth):
    body = json.dumps({"name": "x" * (1024 * 1024 - 100)})
    response = client.post(
        "/store", data=body, content_type="application/json", headers=auth.headers()
    )
    assert response.status_code == 422  # read and validated (name too long), not 413
    assert "name" in response.json["errors"]["json"]


def test_unexpected_exception_is_500_json_without_traceback(app, client):
    def boom():
        raise ZeroDivisionError("secret internals: SELECT password FROM users")

    app.add_url_rule("/boom", view_func=boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
    response = client.get("/boom")
    assert_json_error(response, 500, "Internal Server Error")
    text = response.get_data(as_text=True)
    assert "Traceback" not in text
    assert "ZeroDivisionError" not in text
    assert "secret internals" not in text


def test_openapi_document(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = json.loads(response.data)
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The `access_token` from POST /login (or POST /refresh).",
    }
    paths = spec["paths"]
    bearer = [{"bearerAuth": []}]
    assert paths["/store"]["post"]["security"] == bearer
    assert paths["/store/{store_id}"]["delete"]["security"] == bearer
    assert paths["/item"]["post"]["security"] == bearer
    assert paths["/item/{item_id}"]["put"]["security"] == bearer
    assert paths["/tag/{tag_id}"]["delete"]["security"] == bearer
    assert paths["/item/{item_id}/tag/{tag_id}"]["post"]["security"] == bearer
    assert "401" in paths["/store"]["post"]["responses"]
    assert "403" in paths["/item"]["post"]["responses"]
    for path, method in [
        ("/store", "get"),
        ("/store/{store_id}", "get"),
        ("/item", "get"),
        ("/tag/{tag_id}", "get"),
        ("/store/{store_id}/tag", "get"),
    ]:
        operation = paths[path][method]
        assert not operation.get("security"), (path, method)
    assert "security" not in spec  # no global requirement making public calls look protected


def test_swagger_ui(client):
    response = client.get("/swagger-ui")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert b"swagger" in response.data.lower()


def test_foreign_key_violation_is_a_conflict_not_a_duplicate(app):
    """A row whose parent vanished at the same moment (the database's foreign key
    refuses it) is a 409 that does not claim a duplicate name."""
    from db import db
    from models import Item

    def orphan():
        db.session.add(Item(name="Orphan", price=1, store_id=424242))
        db.session.commit()

    app.add_url_rule("/test-orphan", view_func=orphan, methods=["POST"])
    response = app.test_client().post("/test-orphan")
    assert response.status_code == 409
    assert response.json == {
        "code": 409,
        "status": "Conflict",
        "message": "That conflicts with data changed at the same time.",
    }


def test_a_row_deleted_while_the_orm_writes_it_is_a_404(app, auth):
    """The ORM's UPDATE finding no row (another request deleted it) is 404, not 500."""
    from sqlalchemy import delete

    from db import db
    from models import User

    def rename():
        user = db.session.execute(db.select(User)).scalar_one()
        with db.engine.begin() as other:  # a racing request, on its own connection
            other.execute(delete(User.__table__))
        user.username = "renamed"
        db.session.commit()

    app.add_url_rule("/test-vanished", view_func=rename, methods=["POST"])
    auth.register()
    response = app.test_client().post("/test-vanished")
    assert_json_error(response, 404, "Not Found")
