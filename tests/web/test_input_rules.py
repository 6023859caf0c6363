"""Input that could mean two things is refused, not guessed: numbers that are not
integers where an id is wanted, names that only look alike."""

import unicodedata

import pytest

from tests.conftest import make_item, make_store


def field_errors(response, field: str) -> list[str]:
    assert response.status_code == 422, response.json
    return response.json["errors"]["json"][field]


@pytest.mark.parametrize("store_id", [1.5, 1.0, "1", True])
def test_store_id_must_be_a_json_integer(client, owner, store, store_id):
    body = {"name": "Chair", "price": 15.99, "store_id": store_id}
    response = client.post("/item", json=body, headers=owner)
    assert field_errors(response, "store_id") == ["Not a valid integer."]


@pytest.mark.parametrize("price", ["15.99", True, None])
def test_price_must_be_a_json_number(client, owner, store, price):
    body = {"name": "Chair", "price": price, "store_id": store["id"]}
    assert field_errors(client.post("/item", json=body, headers=owner), "price")


NOT_NAMES = ["\t \n", " ", "\u3000", " Corner Shop", "Corner Shop ", "Corner Shop\n"]


@pytest.mark.parametrize("name", NOT_NAMES)
def test_names_with_whitespace_at_either_end_are_refused(client, owner, store, name):
    sid = store["id"]
    for path, body in [
        ("/store", {"name": name}),
        ("/item", {"name": name, "price": 1, "store_id": sid}),
        (f"/store/{sid}/tag", {"name": name}),
    ]:
        response = client.post(path, json=body, headers=owner)
        assert field_errors(response, "name") == ["Must not start or end with whitespace."], path


def test_an_item_rename_obeys_the_same_rule(client, owner, store):
    item = make_item(client, owner, store["id"])
    response = client.put(f"/item/{item['id']}", json={"name": "Chair "}, headers=owner)
    assert field_errors(response, "name")


def test_inner_spaces_are_part_of_the_name(client, owner):
    assert make_store(client, owner, "Corner  Shop")["name"] == "Corner  Shop"


def test_unicode_forms_of_one_name_are_one_name(client, owner):
    nfc, nfd = "Caf\u00e9", "Cafe\u0301"
    assert nfc != nfd and unicodedata.normalize("NFC", nfd) == nfc
    store = make_store(client, owner, nfd)
    assert store["name"] == nfc  # stored in NFC
    response = client.post("/store", json={"name": nfc}, headers=owner)
    assert response.status_code == 400
    assert response.json["message"] == "A store with that name already exists."


def test_item_and_tag_names_are_normalized_too(client, owner, store):
    item = make_item(client, owner, store["id"], name="Cafe\u0301 chair")
    assert item["name"] == "Caf\u00e9 chair"
    tag = client.post(f"/store/{store['id']}/tag", json={"name": "Cafe\u0301"}, headers=owner)
    assert tag.json["name"] == "Caf\u00e9"
    again = client.post(f"/store/{store['id']}/tag", json={"name": "Caf\u00e9"}, headers=owner)
    assert again.status_code == 400
