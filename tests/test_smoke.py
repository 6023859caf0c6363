from tests.conftest import make_item, make_store


def test_store_and_item(client, auth):
    headers = auth.headers()
    store = make_store(client, headers)
    item = make_item(client, headers, store["id"])
    assert item["store"] == {"id": store["id"], "name": "Shop"}
    assert client.get(f"/store/{store['id']}").json["items"][0]["id"] == item["id"]
