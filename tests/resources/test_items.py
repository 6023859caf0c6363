import pytest

from tests.conftest import FORBIDDEN, make_item, make_store, make_tag


def test_create(client, owner, store):
    body = {"name": "Chair", "price": 9.5, "store_id": store["id"]}
    response = client.post("/item", json=body, headers=owner)
    assert response.status_code == 201
    assert response.json == {
        "id": response.json["id"],
        "name": "Chair",
        "price": 9.5,
        "description": None,
        "store": {"id": store["id"], "name": "Shop"},
        "tags": [],
    }
    assert isinstance(response.json["id"], int)


def test_create_needs_token(client, store):
    response = client.post("/item", json={"name": "Chair", "price": 1, "store_id": store["id"]})
    assert response.status_code == 401
    assert response.json["error"] == "authorization_required"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_create_in_unknown_store(client, owner):
    response = client.post(
        "/item", json={"name": "Chair", "price": 1, "store_id": 42}, headers=owner
    )
    assert response.status_code == 404
    assert response.json["code"] == 404
    assert response.json["status"] == "Not Found"


def test_create_by_non_owner(client, auth, store):
    body = {"name": "Chair", "price": 1, "store_id": store["id"]}
    response = client.post("/item", json=body, headers=auth.headers("bob"))
    assert response.status_code == 403
    assert response.json == FORBIDDEN
    assert client.get("/item").json == []


def test_admin_creates_in_anothers_store(client, auth, runner, store):
    body = {"name": "Chair", "price": 1, "store_id": store["id"]}
    response = client.post("/item", json=body, headers=auth.admin_headers(runner))
    assert response.status_code == 201


def test_duplicate_name_in_same_store(client, owner, store):
    make_item(client, owner, store["id"])
    body = {"name": "Chair", "price": 2, "store_id": store["id"]}
    response = client.post("/item", json=body, headers=owner)
    assert response.status_code == 409
    assert response.json["code"] == 409
    assert response.json["status"] == "Conflict"
    assert response.json["message"]
    assert len(client.get("/item").json) == 1


def test_same_name_in_another_store(client, owner, store):
    other = make_store(client, owner, "Other")
    make_item(client, owner, store["id"])
    assert make_item(client, owner, other["id"])["store"]["id"] == other["id"]


def test_price_zero_is_ok(client, owner, store):
    assert make_item(client, owner, store["id"], price=0)["price"] == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price": -1}, "price"),
        ({"price": -0.01}, "price"),
        ({"price": "abc"}, "price"),
        ({"price": "NaN"}, "price"),
        ({"price": "Infinity"}, "price"),
        ({"price": None}, "price"),
        ({"price": ...}, "price"),
        ({"name": ...}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"store_id": ...}, "store_id"),
        ({"store_id": "abc"}, "store_id"),
        ({"store_id": 99999999999999999999}, "store_id"),
        ({"id": 7}, "id"),
        ({"tags": []}, "tags"),
    ],
)
def test_create_invalid(client, owner, store, change, field):
    body = {"name": "Chair", "price": 1.0, "store_id": store["id"], **change}
    body = {k: v for k, v in body.items() if v is not ...}
    response = client.post("/item", json=body, headers=owner)
    assert response.status_code == 422
    assert response.json["code"] == 422
    assert response.json["status"] == "Unprocessable Entity"
    assert field in response.json["errors"]["json"]
    assert client.get("/item").json == []


def test_list_and_filter(client, owner, store):
    other = make_store(client, owner, "Other")
    a = make_item(client, owner, store["id"], "A", 1)
    b = make_item(client, owner, other["id"], "B", 2)
    c = make_item(client, owner, store["id"], "C", 3)
    response = client.get("/item")
    assert response.status_code == 200
    assert response.json == [a, b, c]
    assert client.get(f"/item?store_id={store['id']}").json == [a, c]
    assert client.get(f"/item?store_id={other['id']}").json == [b]
    assert client.get("/item?store_id=999").json == []
    assert client.get("/item?unknown=1").json == [a, b, c]


def test_list_bad_store_id(client):
    response = client.get("/item?store_id=abc")
    assert response.status_code == 422
    assert "store_id" in response.json["errors"]["query"]


def test_list_paginated(client, owner, store):
    items = [make_item(client, owner, store["id"], f"I{i}", i) for i in range(3)]
    response = client.get("/item?page=2&page_size=2")
    assert response.json == items[2:]
    assert '"total": 3' in response.headers["X-Pagination"]


def test_get_one(client, owner, store):
    item = make_item(client, owner, store["id"])
    tag = make_tag(client, owner, store["id"])
    client.post(f"/item/{item['id']}/tag/{tag['id']}", headers=owner)
    response = client.get(f"/item/{item['id']}")
    assert response.status_code == 200
    assert response.json == {**item, "tags": [{"id": tag["id"], "name": "Furniture"}]}


@pytest.mark.parametrize("item_id", ["1", "99999999999999999999", "abc"])
def test_get_unknown(client, item_id):
    response = client.get(f"/item/{item_id}")
    assert response.status_code == 404
    assert response.json["code"] == 404


@pytest.mark.parametrize(
    "change",
    [{"name": "Table"}, {"price": 20.0}, {"name": "Table", "price": 0.0}],
)
def test_update(client, owner, store, change):
    item = make_item(client, owner, store["id"])
    response = client.put(f"/item/{item['id']}", json=change, headers=owner)
    assert response.status_code == 200
    assert response.json == {**item, **change}
    assert client.get(f"/item/{item['id']}").json == {**item, **change}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "_schema"),
        ({"price": -1}, "price"),
        ({"price": "abc"}, "price"),
        ({"name": ""}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"name": "Table", "store_id": 2}, "store_id"),
        ({"id": 3}, "id"),
    ],
)
def test_update_invalid(client, owner, store, body, field):
    item = make_item(client, owner, store["id"])
    response = client.put(f"/item/{item['id']}", json=body, headers=owner)
    assert response.status_code == 422
    assert response.json["code"] == 422
    assert field in response.json["errors"]["json"]
    assert client.get(f"/item/{item['id']}").json == item


def test_update_unknown_does_not_create(client, owner, store):
    body = {"name": "Chair", "price": 1.0}
    response = client.put("/item/42", json=body, headers=owner)
    assert response.status_code == 404
    assert response.json["code"] == 404
    assert client.get("/item").json == []


def test_update_by_non_owner(client, auth, owner, store):
    item = make_item(client, owner, store["id"])
    response = client.put(f"/item/{item['id']}", json={"price": 1}, headers=auth.headers("bob"))
    assert response.status_code == 403
    assert response.json == FORBIDDEN
    assert client.get(f"/item/{item['id']}").json == item


def test_update_needs_token(client, owner, store):
    item = make_item(client, owner, store["id"])
    response = client.put(f"/item/{item['id']}", json={"price": 1})
    assert response.status_code == 401
    assert response.json["error"] == "authorization_required"


def test_update_to_duplicate_name(client, owner, store):
    make_item(client, owner, store["id"], "Chair")
    table = make_item(client, owner, store["id"], "Table")
    response = client.put(f"/item/{table['id']}", json={"name": "Chair"}, headers=owner)
    assert response.status_code == 409
    assert response.json["code"] == 409
    assert response.json["message"]
    assert client.get(f"/item/{table['id']}").json["name"] == "Table"


def test_delete(client, owner, store):
    item = make_item(client, owner, store["id"])
    response = client.delete(f"/item/{item['id']}", headers=owner)
    assert response.status_code == 200
    assert response.json == {"message": "Item deleted."}
    assert client.get(f"/item/{item['id']}").status_code == 404
    assert client.get(f"/store/{store['id']}").json["items"] == []


def test_delete_linked_item(client, owner, store):
    item = make_item(client, owner, store["id"])
    tag = make_tag(client, owner, store["id"])
    client.post(f"/item/{item['id']}/tag/{tag['id']}", headers=owner)
    assert client.delete(f"/item/{item['id']}", headers=owner).status_code == 200
    assert client.get(f"/tag/{tag['id']}").json["items"] == []


def test_delete_by_non_owner(client, auth, owner, store):
    item = make_item(client, owner, store["id"])
    response = client.delete(f"/item/{item['id']}", headers=auth.headers("bob"))
    assert response.status_code == 403
    assert response.json == FORBIDDEN
    assert client.get(f"/item/{item['id']}").status_code == 200


def test_delete_unknown(client, owner):
    response = client.delete("/item/42", headers=owner)
    assert response.status_code == 404
    assert response.json["code"] == 404


def test_description_is_optional_and_null_when_unset(client, owner, store):
    plain = make_item(client, owner, store["id"], "Plain")
    described = client.post(
        "/item",
        json={"name": "Lamp", "price": 20, "store_id": store["id"], "description": "Warm light"},
        headers=owner,
    ).json
    assert plain["description"] is None
    assert described["description"] == "Warm light"
    assert client.get(f"/item/{described['id']}").json["description"] == "Warm light"
    assert [i["description"] for i in client.get("/item").json] == [None, "Warm light"]


def test_description_never_in_a_plain_item(client, owner, store):
    item = client.post(
        "/item",
        json={"name": "Lamp", "price": 20, "store_id": store["id"], "description": "Warm"},
        headers=owner,
    ).json
    tag = make_tag(client, owner, store["id"])
    client.post(f"/item/{item['id']}/tag/{tag['id']}", headers=owner)
    assert client.get(f"/store/{store['id']}").json["items"] == [
        {"id": item["id"], "name": "Lamp", "price": 20.0}
    ]
    assert client.get(f"/tag/{tag['id']}").json["items"] == [
        {"id": item["id"], "name": "Lamp", "price": 20.0}
    ]


def test_description_set_and_cleared_by_put(client, owner, store):
    item = make_item(client, owner, store["id"])
    url = f"/item/{item['id']}"
    set_ = client.put(url, json={"description": "Oak"}, headers=owner)
    assert set_.status_code == 200 and set_.json["description"] == "Oak"
    assert set_.json["name"] == item["name"]
    cleared = client.put(url, json={"description": None}, headers=owner)
    assert cleared.status_code == 200 and cleared.json["description"] is None


@pytest.mark.parametrize("description", ["x" * 501, 5, ["a"]])
def test_description_rejected(client, owner, store, description):
    body = {"name": "Lamp", "price": 1, "store_id": store["id"], "description": description}
    response = client.post("/item", json=body, headers=owner)
    assert response.status_code == 422
    assert "description" in response.json["errors"]["json"]


def test_description_of_500_characters(client, owner, store):
    body = {"name": "Lamp", "price": 1, "store_id": store["id"], "description": "é" * 500}
    assert client.post("/item", json=body, headers=owner).json["description"] == "é" * 500
