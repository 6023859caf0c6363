import json

import pytest

from tests.conftest import FORBIDDEN, make_item, make_store, make_tag


def test_list_shape_and_order(client, auth):
    headers = auth.headers()
    me = client.get("/my-info", headers=headers).json["id"]
    first = make_store(client, headers, "A")
    second = make_store(client, headers, "B")
    item = make_item(client, headers, first["id"], "Chair", 5)
    tag = make_tag(client, headers, first["id"], "Wood")
    response = client.get("/store")
    assert response.status_code == 200
    assert response.json == [
        {
            "id": first["id"],
            "name": "A",
            "owner_id": me,
            "items": [{"id": item["id"], "name": "Chair", "price": 5.0}],
            "tags": [{"id": tag["id"], "name": "Wood"}],
        },
        {"id": second["id"], "name": "B", "owner_id": me, "items": [], "tags": []},
    ]


def test_list_empty(client):
    response = client.get("/store")
    assert response.status_code == 200
    assert response.json == []


def test_pagination(client, auth):
    headers = auth.headers()
    ids = [make_store(client, headers, f"S{i}")["id"] for i in range(5)]
    response = client.get("/store?page=2&page_size=2")
    assert response.status_code == 200
    assert [s["id"] for s in response.json] == ids[2:4]
    meta = json.loads(response.headers["X-Pagination"])
    assert meta["total"] == 5
    assert meta["page"] == 2
    assert meta["total_pages"] == 3


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("page_size=100", 200),
        ("page_size=101", 422),
        ("page=100", 200),
        ("page=101", 422),
        ("page_size=0", 422),
        ("page=0", 422),
        ("page=abc", 422),
    ],
)
def test_pagination_limits(client, query, status):
    response = client.get(f"/store?{query}")
    assert response.status_code == status
    if status == 422:
        assert response.json["code"] == 422
        assert response.json["status"] == "Unprocessable Entity"
        assert "errors" in response.json


def test_page_far_past_end_is_empty(client, auth):
    make_store(client, auth.headers())
    response = client.get("/store?page=100&page_size=100")
    assert response.status_code == 200
    assert response.json == []


def test_unknown_query_params_ignored(client, auth):
    make_store(client, auth.headers())
    response = client.get("/store?foo=bar&owner_id=7")
    assert response.status_code == 200
    assert [s["name"] for s in response.json] == ["Shop"]


def test_create_needs_token(client):
    response = client.post("/store", json={"name": "Shop"})
    assert response.status_code == 401
    assert response.json == {
        "description": "Request does not contain an access token.",
        "error": "authorization_required",
    }
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/store").json == []


def test_create(client, auth):
    headers = auth.headers()
    me = client.get("/my-info", headers=headers).json["id"]
    response = client.post("/store", json={"name": "Shop"}, headers=headers)
    assert response.status_code == 201
    assert response.json == {
        "id": response.json["id"],
        "name": "Shop",
        "owner_id": me,
        "items": [],
        "tags": [],
    }
    assert isinstance(response.json["id"], int)


def test_create_with_non_fresh_token(client, auth):
    response = client.post("/store", json={"name": "Shop"}, headers=auth.non_fresh_headers())
    assert response.status_code == 201


def test_create_duplicate(client, auth):
    make_store(client, auth.headers())
    response = client.post("/store", json={"name": "Shop"}, headers=auth.headers("bob"))
    assert response.status_code == 400
    assert response.json == {
        "code": 400,
        "status": "Bad Request",
        "message": "A store with that name already exists.",
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"name": 12}, "name"),
        ({"name": "Shop", "owner_id": 2}, "owner_id"),
        ({"name": "Shop", "id": 5}, "id"),
        ({"name": "Shop", "items": []}, "items"),
    ],
)
def test_create_invalid(client, auth, body, field):
    response = client.post("/store", json=body, headers=auth.headers())
    assert response.status_code == 422
    assert response.json["code"] == 422
    assert response.json["status"] == "Unprocessable Entity"
    assert field in response.json["errors"]["json"]
    assert client.get("/store").json == []


def test_create_name_of_80_chars(client, auth):
    assert make_store(client, auth.headers(), "x" * 80)["name"] == "x" * 80


def test_get_one(client, auth):
    store = make_store(client, auth.headers())
    response = client.get(f"/store/{store['id']}")
    assert response.status_code == 200
    assert response.json == store


def test_get_one_with_items_and_tags(client, auth):
    """The store is read joined to its items: each item once, in id order, plain."""
    headers = auth.headers()
    store = make_store(client, headers)
    other = make_store(client, headers, name="Other")
    chair = make_item(client, headers, store["id"], name="Chair", price=9.5)
    make_item(client, headers, other["id"], name="Elsewhere")
    table = make_item(client, headers, store["id"], name="Table", price=0)
    tag = make_tag(client, headers, store["id"])
    client.post(f"/item/{chair['id']}/tag/{tag['id']}", headers=headers)
    response = client.get(f"/store/{store['id']}")
    assert response.status_code == 200
    assert response.json == {
        "id": store["id"],
        "name": "Shop",
        "owner_id": store["owner_id"],
        "items": [
            {"id": chair["id"], "name": "Chair", "price": 9.5},
            {"id": table["id"], "name": "Table", "price": 0.0},
        ],
        "tags": [{"id": tag["id"], "name": "Furniture"}],
    }


@pytest.mark.parametrize("store_id", ["1", "99999999999999999999", "2147483648", "0", "-1"])
def test_get_unknown(client, store_id):
    response = client.get(f"/store/{store_id}")
    assert response.status_code == 404
    assert response.json["code"] == 404
    assert response.json["status"] == "Not Found"


def test_delete_needs_token(client, auth):
    store = make_store(client, auth.headers())
    response = client.delete(f"/store/{store['id']}")
    assert response.status_code == 401
    assert response.json["error"] == "authorization_required"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_delete_needs_fresh_token(client, auth):
    store = make_store(client, auth.headers())
    response = client.delete(f"/store/{store['id']}", headers=auth.non_fresh_headers())
    assert response.status_code == 401
    assert response.json == {
        "description": "The token is not fresh.",
        "error": "fresh_token_required",
    }
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert client.get(f"/store/{store['id']}").status_code == 200


def test_delete_by_non_owner(client, auth):
    store = make_store(client, auth.headers())
    response = client.delete(f"/store/{store['id']}", headers=auth.headers("bob"))
    assert response.status_code == 403
    assert response.json == FORBIDDEN
    assert client.get(f"/store/{store['id']}").status_code == 200


def test_delete_unknown(client, auth):
    response = client.delete("/store/42", headers=auth.headers())
    assert response.status_code == 404
    assert response.json["code"] == 404


def test_delete_by_owner_takes_items_and_tags(client, auth):
    headers = auth.headers()
    store = make_store(client, headers)
    other = make_store(client, headers, "Other")
    item = make_item(client, headers, store["id"])
    tag = make_tag(client, headers, store["id"])
    kept = make_item(client, headers, other["id"])
    linked = client.post(f"/item/{item['id']}/tag/{tag['id']}", headers=headers)
    assert linked.status_code == 201

    response = client.delete(f"/store/{store['id']}", headers=headers)
    assert response.status_code == 200
    assert response.json == {"message": "Store deleted"}
    assert client.get(f"/store/{store['id']}").status_code == 404
    assert client.get(f"/item/{item['id']}").status_code == 404
    assert client.get(f"/tag/{tag['id']}").status_code == 404
    assert [i["id"] for i in client.get("/item").json] == [kept["id"]]
    assert [s["id"] for s in client.get("/store").json] == [other["id"]]


def test_admin_deletes_anothers_store(client, auth, runner):
    store = make_store(client, auth.headers())
    make_item(client, auth.headers(), store["id"])
    response = client.delete(f"/store/{store['id']}", headers=auth.admin_headers(runner))
    assert response.status_code == 200
    assert response.json == {"message": "Store deleted"}
    assert client.get(f"/store/{store['id']}").status_code == 404
    assert client.get("/item").json == []


def test_name_free_again_after_delete(client, auth):
    headers = auth.headers()
    store = make_store(client, headers)
    assert client.delete(f"/store/{store['id']}", headers=headers).status_code == 200
    assert make_store(client, headers)["name"] == "Shop"
