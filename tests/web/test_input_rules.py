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


CONTROL = [chr(c) for c in range(0x20)] + ["\x7f"]
CONTROL_ERROR = "Must not contain control characters."


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f"])
def test_control_characters_in_names_are_refused(client, owner, store, char):
    sid = store["id"]
    for path, body in [
        ("/store", {"name": f"Corner{char}Shop"}),
        ("/item", {"name": f"Cha{char}ir", "price": 1, "store_id": sid}),
        (f"/store/{sid}/tag", {"name": f"Fur{char}niture"}),
    ]:
        response = client.post(path, json=body, headers=owner)
        assert CONTROL_ERROR in field_errors(response, "name"), path


@pytest.mark.parametrize("char", sorted(set(CONTROL) - {"\n", "\t"}))
def test_control_characters_in_a_description_are_refused_post_and_put(client, owner, store, char):
    """A NUL was a 500 on PostgreSQL (its text cannot hold one) and stored on SQLite."""
    body = {"name": "Lamp", "price": 1, "store_id": store["id"], "description": f"a{char}b"}
    assert field_errors(client.post("/item", json=body, headers=owner), "description") == [
        CONTROL_ERROR
    ]
    item = make_item(client, owner, store["id"])
    response = client.put(f"/item/{item['id']}", json={"description": f"a{char}"}, headers=owner)
    assert field_errors(response, "description") == [CONTROL_ERROR]


def test_newline_and_tab_are_part_of_a_description(client, owner, store):
    body = {"name": "Lamp", "price": 1, "store_id": store["id"], "description": "Oak\n\tseats one"}
    response = client.post("/item", json=body, headers=owner)
    assert response.status_code == 201 and response.json["description"] == "Oak\n\tseats one"


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x7f"])
def test_control_characters_in_a_username_are_refused(client, char):
    response = client.post("/register", json={"username": f"al{char}ice", "password": "x" * 12})
    assert field_errors(response, "username")
