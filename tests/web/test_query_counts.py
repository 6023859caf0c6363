"""SQL statements per request must not grow with the number of rows (no N+1).

Statements are counted with a `before_cursor_execute` listener on db.engine while
the database holds 1, 10 and 200 rows of everything a response nests: stores, the
first store's items and tags, and links between them. Rows are seeded straight
through the models (fast); the user comes from the real /register and /login.
"""

import json
import os
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from db import db
from models import Item, Store, Tag, User
from schemas import NESTED_LIMIT

SIZES = (1, 10, 200)
POSTGRESQL = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")

# Statements per request, whatever the number of rows.
EXPECTED = {
    "/store?page_size=100": 3,  # stores, their items, their tags (no count: keyset)
    "/item?page_size=100": 2,  # items joined to their stores, their tags
    # PostgreSQL: one statement writes the whole body (queries/documents.py); SQLite: the
    # store, its items, its tags.
    "/store/{store}": 1 if POSTGRESQL else 3,
    "/tag/{tag}": 2,  # the tag with its store's name, its items
    "/item/{item}": 2,  # the item with its store's name, its tags
    "/store/{store}/tag?page_size=100": 3,  # store (404 check), tags, their items
    "/store?page=1&page_size=100": 4,  # ?page= alone counts: count, stores, items, tags
    "/my-info": 1,  # the login session joined to its user (security.tokens.load_user)
}


@contextmanager
def count_statements(app):
    statements = []

    def record(_conn, _cursor, statement, *_):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def grow(app, owner: str, n: int) -> None:
    """Bring the database up to n stores; the first store gets n items and n tags,
    item j linked to tag j and to the first tag; every other store one linked pair."""
    with app.app_context():
        owner_id = db.session.execute(select(User.id).where(User.username == owner)).scalar_one()
        stores = list(db.session.execute(select(Store).order_by(Store.id)).scalars())
        for i in range(len(stores), n):
            store = Store(name=f"store-{i}", owner_id=owner_id, items=[], tags=[])
            if i > 0:
                tag = Tag(name="t", items=[])
                store.tags.append(tag)
                store.items.append(Item(name="i", price=1.0, tags=[tag]))
            db.session.add(store)
            stores.append(store)
        first = stores[0]
        first_tag = first.tags[0] if first.tags else None
        for j in range(len(first.items), n):
            tag = Tag(name=f"tag-{j}", items=[])
            first.tags.append(tag)
            first_tag = first_tag or tag
            links = [tag] if tag is first_tag else [first_tag, tag]
            first.items.append(Item(name=f"item-{j}", price=j, tags=links))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Store)) == n
        assert len(first.items) == len(first.tags) == n
        assert len(first_tag.items) == n


def statements_for(app, client, url: str, headers: dict) -> list[str]:
    with count_statements(app) as statements:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, response.json
    return statements


@pytest.mark.parametrize("path", EXPECTED)
def test_statements_do_not_grow_with_rows(app, client, auth, path):
    headers = auth.headers()
    counts = {}
    for n in SIZES:
        grow(app, "alice", n)
        with app.app_context():
            store = db.session.execute(select(Store.id).order_by(Store.id)).scalars().first()
            tag = db.session.execute(
                select(Tag.id).where(Tag.store_id == store).order_by(Tag.id)
            ).scalars()
            item = db.session.execute(
                select(Item.id).where(Item.store_id == store).order_by(Item.id)
            ).scalars()
            url = path.format(store=store, tag=tag.first(), item=item.first())
        statements = statements_for(app, client, url, headers)
        counts[n] = len(statements)
        # The response really carries n rows where it lists them, and nests the first
        # NESTED_LIMIT of each relation: never more, however many there are.
        body = client.get(url, headers=headers).json
        nested = min(n, NESTED_LIMIT)
        if path.startswith("/store?"):
            assert len(body) == min(n, 100) and len(body[0]["items"]) == nested
        elif path == "/store/{store}":
            assert len(body["items"]) == len(body["tags"]) == nested
        elif path == "/tag/{tag}":
            assert len(body["items"]) == nested
        elif path == "/item/{item}":
            assert [tag["name"] for tag in body["tags"]] == ["tag-0"]
        elif path.startswith("/store/{store}/tag"):
            assert len(body) == min(n, 100)
    assert counts == dict.fromkeys(SIZES, EXPECTED[path]), (counts, statements)


def test_default_page_keeps_statement_count(app, client, auth):
    """Without ?page_size= too (100 a page): the same count at every size."""
    headers = auth.headers()
    counts = {}
    for n in SIZES:
        grow(app, "alice", n)
        counts[n] = len(statements_for(app, client, "/store", headers))
    assert counts == dict.fromkeys(SIZES, EXPECTED["/store?page_size=100"])


def pagination(response) -> dict:
    return json.loads(response.headers["X-Pagination"])


def test_page_size_default_max_and_header(app, client, auth):
    auth.tokens()
    grow(app, "alice", 1001)  # one past the largest page

    default = client.get("/store")
    assert default.status_code == 200
    assert [s["id"] for s in default.json] == sorted(s["id"] for s in default.json)
    assert len(default.json) == 100
    assert "X-Pagination" not in default.headers  # totals only for ?page= clients

    classic = client.get("/store?page=1")
    assert classic.json == default.json
    header = pagination(classic)
    assert header["total"] == 1001
    assert header["total_pages"] == 11
    assert header["page"] == 1 and header["next_page"] == 2

    biggest = client.get("/store?page_size=100&page=1")
    assert biggest.status_code == 200
    assert len(biggest.json) == 100

    last = client.get("/store?page_size=100&page=11")
    assert len(last.json) == 1
    assert pagination(last)["page"] == 11 and "next_page" not in pagination(last)

    too_big = client.get("/store?page_size=101")
    assert too_big.status_code == 422
    assert "page_size" in too_big.json["errors"]["query"]

    for url in ("/item?page_size=101", "/store/1/tag?page_size=101", "/item?page=101"):
        assert client.get(url).status_code == 422, url
    assert client.get("/item?page_size=100&page=100").status_code == 200
