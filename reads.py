"""The public GETs: rows read with prebuilt Core statements, shaped here into the JSON
that schemas.py documents.

Loading a page of 100 stores x 20 items as ORM objects and dumping them with
marshmallow cost about 40 ms a request (bench/README.md): 2,100 objects built, then
every attribute read a second time. These statements are built once, at import, and
run with bound parameters on a plain connection (db.read_connection), so SQLAlchemy
reuses their compiled form; each nested relation is one more statement per response,
never one per row. The views return these dicts as JSON directly;
tests/test_schemathesis.py checks every response against the documented schema.
Writes stay on the ORM.
"""

from collections import defaultdict

from flask_smorest import abort
from sqlalchemy import Connection, Row, Select, bindparam, select

from db import read_connection
from models import Item, Store, Tag, items_tags
from pagination import paginate

stores, items, tags = Store.__table__, Item.__table__, Tag.__table__


class Related:
    """Plain rows related to parent rows, `key` naming the parent: one statement for a
    single parent (`key = :id`) and one for a page of them (`key IN (...)`), never one
    per parent. Rows come back as dicts, grouped by parent id."""

    def __init__(self, key, *columns, join=()):
        stmt = select(key.label("key"), *columns).order_by(columns[0])
        if join:
            stmt = stmt.join(*join)
        self.names = [column.key for column in columns]
        self.of_one = stmt.where(key == bindparam("id"))
        self.of_many = stmt.where(key.in_(bindparam("ids", expanding=True)))

    def of(self, conn: Connection, rows) -> defaultdict[int, list[dict]]:
        groups = defaultdict(list)
        if len(rows) == 1:
            result = conn.execute(self.of_one, {"id": rows[0].id})
        elif rows:
            result = conn.execute(self.of_many, {"ids": [row.id for row in rows]})
        else:
            return groups
        for key, *values in result:
            groups[key].append(dict(zip(self.names, values, strict=True)))
        return groups


def with_plain_store(id_column, *columns) -> Select:
    """Rows of the items or tags table joined to their store's id and name, by id."""
    table = id_column.table
    return (
        select(
            id_column, *columns, stores.c.id.label("store_id"), stores.c.name.label("store_name")
        )
        .join(stores, stores.c.id == table.c.store_id)
        .order_by(id_column)
    )


STORES = select(stores.c.id, stores.c.name, stores.c.owner_id).order_by(stores.c.id)
STORE = STORES.where(stores.c.id == bindparam("id"))
# GET /store/<id>, the most read response: the store and its items in one statement.
STORE_WITH_ITEMS = (
    select(
        *STORE.selected_columns,
        items.c.id.label("item_id"),
        items.c.name.label("item_name"),
        items.c.price.label("item_price"),
    )
    .outerjoin(items, items.c.store_id == stores.c.id)
    .where(stores.c.id == bindparam("id"))
    .order_by(items.c.id)
)
ITEMS_OF_STORES = Related(items.c.store_id, items.c.id, items.c.name, items.c.price)
TAGS_OF_STORES = Related(tags.c.store_id, tags.c.id, tags.c.name)

ITEMS = with_plain_store(items.c.id, items.c.name, items.c.price)
ITEM = ITEMS.where(items.c.id == bindparam("id"))
ITEMS_IN_STORE = ITEMS.where(items.c.store_id == bindparam("store_id"))
TAGS_OF_ITEMS = Related(
    items_tags.c.item_id, tags.c.id, tags.c.name, join=(tags, tags.c.id == items_tags.c.tag_id)
)

TAGS = with_plain_store(tags.c.id, tags.c.name)
TAG = TAGS.where(tags.c.id == bindparam("id"))
TAGS_IN_STORE = TAGS.where(tags.c.store_id == bindparam("store_id"))
ITEMS_OF_TAGS = Related(
    items_tags.c.tag_id,
    items.c.id,
    items.c.name,
    items.c.price,
    join=(items, items.c.id == items_tags.c.item_id),
)


def one(conn: Connection, stmt: Select, id: int) -> Row:
    """The row with that id, or 404."""
    return conn.execute(stmt, {"id": id}).one_or_none() or abort(404)


def store_list(conn: Connection, rows) -> list[dict]:
    """Stores, each with its plain items and tags."""
    items_of, tags_of = ITEMS_OF_STORES.of(conn, rows), TAGS_OF_STORES.of(conn, rows)
    return [store_dict(row, items_of[row.id], tags_of[row.id]) for row in rows]


def store_dict(row: Row, items: list[dict], tags: list[dict]) -> dict:
    return {"id": row.id, "name": row.name, "owner_id": row.owner_id, "items": items, "tags": tags}


def item_list(conn: Connection, rows) -> list[dict]:
    """Items, each with its plain store and tags."""
    tags_of = TAGS_OF_ITEMS.of(conn, rows)
    return [
        {
            "id": row.id,
            "name": row.name,
            "price": row.price,
            "store": {"id": row.store_id, "name": row.store_name},
            "tags": tags_of[row.id],
        }
        for row in rows
    ]


def tag_list(conn: Connection, rows) -> list[dict]:
    """Tags, each with its plain store and items."""
    items_of = ITEMS_OF_TAGS.of(conn, rows)
    return [
        {
            "id": row.id,
            "name": row.name,
            "store": {"id": row.store_id, "name": row.store_name},
            "items": items_of[row.id],
        }
        for row in rows
    ]


def store(store_id: int) -> dict:
    with read_connection() as conn:
        rows = conn.execute(STORE_WITH_ITEMS, {"id": store_id}).all() or abort(404)
        items = [
            {"id": row.item_id, "name": row.item_name, "price": row.item_price}
            for row in rows
            if row.item_id is not None  # a store without items: one row, NULL item
        ]
        return store_dict(rows[0], items, TAGS_OF_STORES.of(conn, rows[:1])[store_id])


def item(item_id: int) -> dict:
    with read_connection() as conn:
        return item_list(conn, [one(conn, ITEM, item_id)])[0]


def tag(tag_id: int) -> dict:
    with read_connection() as conn:
        return tag_list(conn, [one(conn, TAG, tag_id)])[0]


def store_page(pagination_parameters) -> list[dict]:
    with read_connection() as conn:
        return store_list(conn, paginate(conn, STORES, pagination_parameters))


def item_page(pagination_parameters, store_id: int | None = None) -> list[dict]:
    with read_connection() as conn:
        if store_id is None:
            rows = paginate(conn, ITEMS, pagination_parameters)
        else:
            rows = paginate(conn, ITEMS_IN_STORE, pagination_parameters, store_id=store_id)
        return item_list(conn, rows)


def tag_page(store_id: int, pagination_parameters) -> list[dict]:
    with read_connection() as conn:
        one(conn, STORE, store_id)
        rows = paginate(conn, TAGS_IN_STORE, pagination_parameters, store_id=store_id)
        return tag_list(conn, rows)
