"""One representation, one path: what a POST answers is what the following GET reads
(model objects dumped by marshmallow, query rows copied by RowSchema), and RowSchema's
copy of query rows is exactly marshmallow's own dump of them."""

from types import SimpleNamespace

import pytest

from queries import items, stores, tags
from queries.rows import copy_all
from schemas import ItemSchema, StoreSchema, TagSchema
from tests.conftest import make_item, make_store, make_tag


@pytest.fixture
def shop(client, auth):
    """A store with a described item linked to a tag, and a second bare item."""
    headers = auth.headers()
    store = make_store(client, headers, "Corner Shop")
    tag = make_tag(client, headers, store["id"], "Furniture")
    item = make_item(client, headers, store["id"], "Chair", 15.5)
    make_item(client, headers, store["id"], "Stool", 3)
    linked = client.post(f"/item/{item['id']}/tag/{tag['id']}", headers=headers)
    assert linked.status_code == 201
    return headers, store, tag, item, linked.json


def test_a_posted_store_reads_back_the_same(client, auth):
    store = make_store(client, auth.headers(), "Fresh")
    assert store == client.get(f"/store/{store['id']}").json


def test_a_posted_item_reads_back_the_same(client, shop):
    headers, store, *_ = shop
    response = client.post(
        "/item",
        json={"name": "Desk", "price": 120, "description": "Oak.", "store_id": store["id"]},
        headers=headers,
    )
    assert response.status_code == 201
    assert response.json == client.get(f"/item/{response.json['id']}").json


def test_a_posted_tag_reads_back_the_same(client, shop):
    headers, store, *_ = shop
    tag = make_tag(client, headers, store["id"], "Garden")
    assert tag == client.get(f"/tag/{tag['id']}").json


def test_a_link_answers_the_tag_as_get_reads_it(client, shop):
    _, _, tag, _, linked = shop
    assert linked == client.get(f"/tag/{tag['id']}").json
    assert linked["items"] and linked["store"]


def test_a_put_item_answers_what_get_reads(client, shop):
    headers, _, _, item, _ = shop
    response = client.put(f"/item/{item['id']}", json={"price": 16}, headers=headers)
    assert response.status_code == 200
    assert response.json == client.get(f"/item/{item['id']}").json


def test_my_info_is_my_user_record(client, auth):
    headers = auth.headers()
    me = client.get("/my-info", headers=headers).json
    record = client.get(f"/user/{me['id']}", headers=headers).json
    assert record == {name: me[name] for name in record}  # my-info adds email and 2FA state


READS = {
    "store": (StoreSchema, lambda ids: stores.store(ids["store"])),
    "stores": (StoreSchema(many=True), lambda _: stores.store_page({"page_size": 10})[0]),
    "item": (ItemSchema, lambda ids: items.item(ids["item"])),
    "items": (ItemSchema(many=True), lambda _: items.item_page({"page_size": 10})[0]),
    "tag": (TagSchema, lambda ids: tags.tag(ids["tag"])),
    "tags": (TagSchema(many=True), lambda ids: tags.tag_page(ids["store"], {"page_size": 9})[0]),
}


def as_objects(value):
    """Rows turned into plain objects, which RowSchema leaves to marshmallow throughout."""
    if isinstance(value, list):
        return [as_objects(each) for each in value]
    if isinstance(value, dict):
        return SimpleNamespace(**{key: as_objects(each) for key, each in value.items()})
    return value


@pytest.mark.parametrize("name", READS)
def test_row_schemas_copy_rows_as_marshmallow_dumps_them(app, shop, name):
    _, store, tag, item, _ = shop
    schema, read = READS[name]
    schema = schema() if isinstance(schema, type) else schema
    with app.test_request_context():
        rows = read({"store": store["id"], "tag": tag["id"], "item": item["id"]})
    copied = schema.dump(rows)
    assert copied == schema.dump(as_objects(rows))  # marshmallow's own, field by field
    assert copied  # and there was something to compare


def test_nested_rows_are_reused_only_when_they_hold_exactly_their_fields():
    steps = [("id", "id", None, False), ("name", "name", None, False)]
    exact = [{"id": 1, "name": "a"}]
    assert copy_all(exact, steps) is exact
    assert copy_all([{"id": 1, "name": "a", "parent": 7}], steps) == [{"id": 1, "name": "a"}]
    renamed = [("id", "id", None, False), ("title", "name", None, False)]
    assert copy_all(exact, renamed) == [{"id": 1, "title": "a"}]
