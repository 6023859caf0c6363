import json

import pytest

from tests.conftest import FORBIDDEN, make_item, make_store, make_tag


@pytest.fixture
def item(client, owner, store):
    return make_item(client, owner, store["id"])


@pytest.fixture
def tag(client, owner, store):
    return make_tag(client, owner, store["id"])


def link(client, headers, item, tag):
    return client.post(f"/item/{item['id']}/tag/{tag['id']}", headers=headers)


def unlink(client, headers, item, tag):
    return client.delete(f"/item/{item['id']}/tag/{tag['id']}", headers=headers)


def test_create(client, owner, store):
    response = client.post(f"/store/{store['id']}/tag", json={"name": "Wood"}, headers=owner)
    assert response.status_code == 201
    assert response.json == {
        "id": response.json["id"],
        "name": "Wood",
        "store": {"id": store["id"], "name": "Shop"},
        "items": [],
    }
    assert client.get(f"/store/{store['id']}").json["tags"] == [
        {"id": response.json["id"], "name": "Wood"}
    ]


def test_create_duplicate(client, owner, store, tag):
    response = client.post(f"/store/{store['id']}/tag", json={"name": tag["name"]}, headers=owner)
    assert response.status_code == 400
    assert response.json == {
        "code": 400,
        "status": "Bad Request",
        "message": "A tag with that name already exists in that store.",
    }


def test_same_name_in_another_store(client, owner, tag):
    other = make_store(client, owner, "Other")
    assert make_tag(client, owner, other["id"], tag["name"])["store"]["id"] == other["id"]


def test_create_in_unknown_store(client, owner):
    response = client.post("/store/42/tag", json={"name": "Wood"}, headers=owner)
    assert response.status_code == 404
    assert response.json["code"] == 404


def test_create_by_non_owner(client, auth, store):
    response = client.post(
        f"/store/{store['id']}/tag", json={"name": "Wood"}, headers=auth.headers("bob")
    )
    assert response.status_code == 403
    assert response.json == FORBIDDEN


def test_create_needs_token(client, store):
    response = client.post(f"/store/{store['id']}/tag", json={"name": "Wood"})
    assert response.status_code == 401
    assert response.json["error"] == "authorization_required"
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"name": "Wood", "store_id": 1}, "store_id"),
        ({"name": "Wood", "items": []}, "items"),
    ],
)
def test_create_invalid(client, owner, store, body, field):
    response = client.post(f"/store/{store['id']}/tag", json=body, headers=owner)
    assert response.status_code == 422
    assert field in response.json["errors"]["json"]


def test_list_in_store(client, owner, store, tag):
    second = make_tag(client, owner, store["id"], "Metal")
    other = make_store(client, owner, "Other")
    make_tag(client, owner, other["id"], "Elsewhere")
    response = client.get(f"/store/{store['id']}/tag")
    assert response.status_code == 200
    assert response.json == [tag, second]
    assert "Link" not in response.headers  # one page holds them all
    classic = client.get(f"/store/{store['id']}/tag?page=1")
    assert classic.json == [tag, second]
    assert json.loads(classic.headers["X-Pagination"])["total"] == 2


def test_list_in_unknown_store(client):
    response = client.get("/store/42/tag")
    assert response.status_code == 404
    assert response.json["code"] == 404


def test_get_one_with_items(client, owner, item, tag):
    assert link(client, owner, item, tag).status_code == 201
    response = client.get(f"/tag/{tag['id']}")
    assert response.status_code == 200
    assert response.json == {
        **tag,
        "items": [{"id": item["id"], "name": item["name"], "price": item["price"]}],
    }


@pytest.mark.parametrize("tag_id", ["1", "99999999999999999999"])
def test_get_unknown(client, tag_id):
    response = client.get(f"/tag/{tag_id}")
    assert response.status_code == 404
    assert response.json["code"] == 404


def test_link(client, owner, item, tag):
    response = link(client, owner, item, tag)
    assert response.status_code == 201
    assert response.json == {
        **tag,
        "items": [{"id": item["id"], "name": item["name"], "price": item["price"]}],
    }
    assert client.get(f"/item/{item['id']}").json["tags"] == [
        {"id": tag["id"], "name": tag["name"]}
    ]


def test_link_twice_is_one_link(client, owner, item, tag):
    assert link(client, owner, item, tag).status_code == 201
    response = link(client, owner, item, tag)
    assert response.status_code == 201
    assert len(response.json["items"]) == 1
    assert len(client.get(f"/item/{item['id']}").json["tags"]) == 1


def test_link_tag_of_another_store(client, owner, item):
    other = make_store(client, owner, "Other")
    foreign = make_tag(client, owner, other["id"])
    response = link(client, owner, item, foreign)
    assert response.status_code == 400
    assert response.json["code"] == 400
    assert response.json["message"]
    assert client.get(f"/item/{item['id']}").json["tags"] == []


@pytest.mark.parametrize("method", ["post", "delete"])
def test_link_unknown_item_or_tag(client, owner, item, tag, method):
    call = getattr(client, method)
    for path in (f"/item/42/tag/{tag['id']}", f"/item/{item['id']}/tag/42"):
        response = call(path, headers=owner)
        assert response.status_code == 404, path
        assert response.json["code"] == 404


@pytest.mark.parametrize("method", ["post", "delete"])
def test_link_by_non_owner(client, auth, owner, item, tag, method):
    if method == "delete":
        link(client, owner, item, tag)
    response = getattr(client, method)(
        f"/item/{item['id']}/tag/{tag['id']}", headers=auth.headers("bob")
    )
    assert response.status_code == 403
    assert response.json == FORBIDDEN
    expected = [] if method == "post" else [{"id": tag["id"], "name": tag["name"]}]
    assert client.get(f"/item/{item['id']}").json["tags"] == expected


@pytest.mark.parametrize("method", ["post", "delete"])
def test_link_needs_token(client, item, tag, method):
    response = getattr(client, method)(f"/item/{item['id']}/tag/{tag['id']}")
    assert response.status_code == 401
    assert response.json["error"] == "authorization_required"


def test_unlink(client, owner, item, tag):
    link(client, owner, item, tag)
    response = unlink(client, owner, item, tag)
    assert response.status_code == 200
    assert response.json == {
        "message": "Item removed from tag",
        "item": {**item, "tags": []},
        "tag": {**tag, "items": []},
    }
    assert client.get(f"/tag/{tag['id']}").json["items"] == []


def test_unlink_not_linked(client, owner, item, tag):
    response = unlink(client, owner, item, tag)
    assert response.status_code == 400
    assert response.json["code"] == 400
    assert response.json["message"]


def test_delete_while_linked_then_after_unlink(client, owner, item, tag):
    link(client, owner, item, tag)
    response = client.delete(f"/tag/{tag['id']}", headers=owner)
    assert response.status_code == 400
    assert response.json["code"] == 400
    assert response.json["message"]
    assert client.get(f"/tag/{tag['id']}").status_code == 200

    assert unlink(client, owner, item, tag).status_code == 200
    response = client.delete(f"/tag/{tag['id']}", headers=owner)
    assert response.status_code == 202
    assert response.json == {"message": "Tag deleted."}
    assert client.get(f"/tag/{tag['id']}").status_code == 404
    assert client.get(f"/item/{item['id']}").status_code == 200


def test_delete_unknown(client, owner):
    response = client.delete("/tag/42", headers=owner)
    assert response.status_code == 404
    assert response.json["code"] == 404


def test_delete_by_non_owner(client, auth, tag):
    response = client.delete(f"/tag/{tag['id']}", headers=auth.headers("bob"))
    assert response.status_code == 403
    assert response.json == FORBIDDEN
    assert client.get(f"/tag/{tag['id']}").status_code == 200


def test_admin_manages_anothers_tags(client, auth, runner, owner, item, tag):
    admin = auth.admin_headers(runner)
    assert link(client, admin, item, tag).status_code == 201
    assert unlink(client, admin, item, tag).status_code == 200
    assert client.delete(f"/tag/{tag['id']}", headers=admin).status_code == 202
