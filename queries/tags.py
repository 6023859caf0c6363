"""Tags, each with its store and its first items."""

from flask_smorest import abort
from sqlalchemy import Connection, bindparam, select

from connections import read
from models import Item, Store, Tag, items_tags
from queries.children import Children
from queries.pages import dicts, fetch

tags, stores, items = Tag.__table__, Store.__table__, Item.__table__

# The store's name by a correlated lookup, as queries/items.py explains.
STORE_NAME = select(stores.c.name).where(stores.c.id == tags.c.store_id).scalar_subquery()
TAGS = select(tags.c.id, tags.c.name, tags.c.store_id, STORE_NAME.label("store_name")).order_by(
    tags.c.id
)
TAG = TAGS.where(tags.c.id == bindparam("id"))
IN_STORE = TAGS.where(tags.c.store_id == bindparam("store_id"))
STORE_EXISTS = select(stores.c.id).where(stores.c.id == bindparam("id"))
ITEMS = Children(
    [items.c.id, items.c.name, items.c.price],
    tags,
    items_tags.c.tag_id,
    items_tags.c.item_id,
    join=(items, items.c.id == items_tags.c.item_id),
)


def shaped(conn: Connection, rows: list[dict]) -> list[dict]:
    """Rows with their nested `store` and `items`, as TagSchema reads them."""
    for row in rows:
        row["store"] = {"id": row["store_id"], "name": row["store_name"]}
    return ITEMS.attach(conn, "items", rows)


def tag(tag_id: int) -> dict:
    """The tag `tag_id`, or 404."""

    def work(conn: Connection) -> dict:
        rows = dicts(conn.execute(TAG, {"id": tag_id})) or abort(404)
        return shaped(conn, rows)[0]

    return read(work)


def tag_page(store_id: int, args: dict) -> tuple[list[dict], dict]:
    """A page of the store's tags; 404 for no such store."""

    def work(conn: Connection) -> tuple[list[dict], dict]:
        conn.execute(STORE_EXISTS, {"id": store_id}).one_or_none() or abort(404)
        rows, headers = fetch(conn, IN_STORE, tags.c.id, args, store_id=store_id)
        return shaped(conn, rows), headers

    return read(work)
