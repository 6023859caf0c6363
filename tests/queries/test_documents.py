"""The fast paths of the two hottest reads give what the schemas give: GET /store/<id>'s
body, which PostgreSQL writes in one statement (queries/documents.py), equals
StoreSchema's dump of the same store's rows; GET /my-info's body, the token check's row
copied by RowSchema, equals marshmallow's own dump of it. On SQLite the same tests hold
for the rows path the store read keeps there."""

import json
from types import SimpleNamespace

import pytest
from flask_jwt_extended import decode_token

from connections import read
from db import db
from models import Item, Store, Tag
from queries import stores
from schemas import NESTED_LIMIT, MyInfoSchema, StoreSchema
from security.tokens import SESSION_USER
from tests.conftest import make_item, make_store, make_tag


def body_and_dump(app, client, store_id: int) -> tuple:
    response = client.get(f"/store/{store_id}")
    assert response.status_code == 200 and response.mimetype == "application/json"
    with app.test_request_context():
        dumped = StoreSchema().dump(stores.store(store_id))
    return json.loads(response.get_data()), dumped


def test_a_store_body_is_its_schema_dump(app, client, auth):
    headers = auth.headers()
    store = make_store(client, headers, 'Café «Ünïcode» "quoted" \\ back')
    tag = make_tag(client, headers, store["id"], 'Étiquette "ü" / 漢字')
    for name, price in [("Chair", 15.5), ("Stool", 3), ("Free", 0), ("Tiny", 0.1), ("Big", 1e15)]:
        make_item(client, headers, store["id"], name, price)
    client.post(f"/item/1/tag/{tag['id']}", headers=headers)
    body, dumped = body_and_dump(app, client, store["id"])
    assert body == dumped
    assert [item["price"] for item in body["items"]] == [15.5, 3, 0, 0.1, 1e15]
    assert body["name"] == store["name"] and body["tags"][0]["name"] == 'Étiquette "ü" / 漢字'


def test_an_empty_store_has_empty_arrays(app, client, auth):
    store = make_store(client, auth.headers(), "Empty")
    body, dumped = body_and_dump(app, client, store["id"])
    assert body == dumped == {**store, "items": [], "tags": []}


def test_a_big_store_nests_its_first_items_by_id(app, client, auth):
    store = make_store(client, auth.headers(), "Big")
    with app.app_context():
        row = db.session.get(Store, store["id"])
        row.items = [Item(name=f"item-{n}", price=n) for n in range(NESTED_LIMIT + 5)]
        row.tags = [Tag(name=f"tag-{n}", items=[]) for n in range(3)]
        db.session.commit()
    body, dumped = body_and_dump(app, client, store["id"])
    assert body == dumped
    ids = [item["id"] for item in body["items"]]
    assert len(ids) == NESTED_LIMIT and ids == sorted(ids)
    assert [tag["name"] for tag in body["tags"]] == ["tag-0", "tag-1", "tag-2"]


def test_no_such_store_is_the_usual_404(client):
    response = client.get("/store/12345")
    assert response.status_code == 404
    assert response.json["code"] == 404 and response.json["status"] == "Not Found"


def test_my_info_is_the_schema_dump_of_the_token_check_row(app, client, auth):
    token = auth.tokens()["access_token"]
    body = client.get("/my-info", headers={"Authorization": f"Bearer {token}"}).json
    with app.test_request_context():
        sid = decode_token(token)["sid"]
        row = read(lambda conn: SESSION_USER.run(conn, {"sid": sid}).one())
    schema = MyInfoSchema()
    as_object = SimpleNamespace(**{name: getattr(row, name) for name in schema.dump_fields})
    assert body == schema.dump(row) == schema.dump(as_object)  # copied == marshmallow's own
    assert body["username"] == "alice" and body["mfa_enabled"] is False


@pytest.mark.parametrize("name", ["alice", "bob"])
def test_each_token_reads_its_own_user(client, auth, name):
    me = client.get("/my-info", headers=auth.headers(name)).json
    assert me["username"] == name
