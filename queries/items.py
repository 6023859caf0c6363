"""Items, each with its store and its first tags."""

from flask_smorest import abort
from sqlalchemy import Connection, Integer, bindparam, select

from connections import read
from models import Item, Store, Tag, items_tags
from queries.children import Children
from queries.pages import dicts, fetch

items, stores, tags = Item.__table__, Store.__table__, Tag.__table__

# The store's name by the row's foreign key, a correlated lookup by primary key rather
# than a join: a keyset page stays one index range scan of `page_size + 1` rows whatever
# the table sizes (PostgreSQL would hash-join a whole table to a page of 100).
STORE_NAME = select(stores.c.name).where(stores.c.id == items.c.store_id).scalar_subquery()
ITEMS = select(
    items.c.id,
    items.c.name,
    items.c.price,
    items.c.description,
    items.c.store_id,
    STORE_NAME.label("store_name"),
).order_by(items.c.id)
ITEM = ITEMS.where(items.c.id == bindparam("id"))
TAGS = Children(
    [tags.c.id, tags.c.name],
    items,
    items_tags.c.item_id,
    items_tags.c.tag_id,
    join=(tags, tags.c.id == items_tags.c.tag_id),
)

# ?tag_id=: the tag's item ids, taken from the tag's index range already cut. Given
# `IN (all the tag's items)`, PostgreSQL merge-joins walking the items table in id order
# until it meets the tag's first item (1M rows, 160 ms, for a tag whose items are the
# newest; bench/README.md), for a keyset page and an offset page alike; an offset page
# skips inside the cut (pages.fetch's `cut`). An item never changes store and only
# carries its own store's tags, so cutting before the store filter loses no row.
TAGGED = (
    select(items_tags.c.item_id)
    .where(items_tags.c.tag_id == bindparam("tag_id"))
    .where(items_tags.c.item_id > bindparam("tag_after", type_=Integer))
    .order_by(items_tags.c.item_id)
    .offset(bindparam("tag_skip", type_=Integer))
    .limit(bindparam("tag_rows", type_=Integer))
)
OF_STORE = items.c.store_id == bindparam("store_id")


def shaped(rows: list[dict]) -> list[dict]:
    """Rows with their nested `store` object, as ItemSchema reads them."""
    for row in rows:
        row["store"] = {"id": row["store_id"], "name": row["store_name"]}
    return rows


def item(item_id: int) -> dict:
    """The item `item_id`, or 404."""

    def work(conn: Connection) -> dict:
        rows = dicts(conn.execute(ITEM, {"id": item_id})) or abort(404)
        return TAGS.attach(conn, "tags", shaped(rows))[0]

    return read(work)


def item_page(args: dict) -> tuple[list[dict], dict]:
    """Items, of one store (?store_id=) and/or with one tag (?tag_id=)."""
    stmt, params, cut = ITEMS, dict[str, int](), None
    if "store_id" in args:
        stmt, params = stmt.where(OF_STORE), params | {"store_id": args["store_id"]}
    if "tag_id" in args:
        stmt, cut = stmt.where(items.c.id.in_(TAGGED)), ("tag_skip", "tag_rows")
        params |= {"tag_id": args["tag_id"], "tag_after": args.get("after", 0)}
        params |= {"tag_skip": 0, "tag_rows": args["page_size"] + 1}  # a keyset page's

    def work(conn: Connection) -> tuple[list[dict], dict]:
        rows, headers = fetch(conn, stmt, items.c.id, args, cut, **params)
        return TAGS.attach(conn, "tags", shaped(rows)), headers

    return read(work)
