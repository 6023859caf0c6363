"""The public GETs: rows read with prebuilt Core statements, shaped here into the JSON
that schemas.py documents.

Loading a page of 100 stores x 20 items as ORM objects and dumping them with
marshmallow cost about 40 ms a request (bench/README.md): 2,100 objects built, then
every attribute read a second time. These statements are built once, at import, and
run with bound parameters, so SQLAlchemy reuses their compiled form; each nested
relation is one more statement per response, never one per row. The views return
these dicts as JSON directly; tests/test_schemathesis.py checks every response
against the documented schema. Writes stay on the ORM.
"""

from collections import defaultdict

from flask_smorest import abort
from sqlalchemy import Select, bindparam, select

from db import db
from models import Item, Store, Tag, items_tags
from pagination import paginate

stores, items, tags = Store.__table__, Item.__table__, Tag.__table__
IDS = bindparam("ids", expanding=True)

STORES = select(stores.c.id, stores.c.name, stores.c.owner_id).order_by(stores.c.id)
STORE = STORES.where(stores.c.id == bindparam("id"))
ITEMS_OF_STORES = (
    select(items.c.store_id.label("key"), items.c.id, items.c.name, items.c.price)
    .where(items.c.store_id.in_(IDS))
    .order_by(items.c.id)
)
TAGS_OF_STORES = (
    select(tags.c.store_id.label("key"), tags.c.id, tags.c.name)
    .where(tags.c.store_id.in_(IDS))
    .order_by(tags.c.id)
)

ITEMS = (
    select(
        items.c.id,
        items.c.name,
        items.c.price,
        stores.c.id.label("store_id"),
        stores.c.name.label("store_name"),
    )
    .join(stores, stores.c.id == items.c.store_id)
    .order_by(items.c.id)
)
ITEM = ITEMS.where(items.c.id == bindparam("id"))
ITEMS_IN_STORE = ITEMS.where(items.c.store_id == bindparam("store_id"))
TAGS_OF_ITEMS = (
    select(items_tags.c.item_id.label("key"), tags.c.id, tags.c.name)
    .join(tags, tags.c.id == items_tags.c.tag_id)
    .where(items_tags.c.item_id.in_(IDS))
    .order_by(tags.c.id)
)

TAGS = (
    select(
        tags.c.id,
        tags.c.name,
        stores.c.id.label("store_id"),
        stores.c.name.label("store_name"),
    )
    .join(stores, stores.c.id == tags.c.store_id)
    .order_by(tags.c.id)
)
TAG = TAGS.where(tags.c.id == bindparam("id"))
TAGS_IN_STORE = TAGS.where(tags.c.store_id == bindparam("store_id"))
ITEMS_OF_TAGS = (
    select(items_tags.c.tag_id.label("key"), items.c.id, items.c.name, items.c.price)
    .join(items, items.c.id == items_tags.c.item_id)
    .where(items_tags.c.tag_id.in_(IDS))
    .order_by(items.c.id)
)


def one(stmt: Select, id: int):
    """The row with that id, or 404."""
    return db.session.execute(stmt, {"id": id}).one_or_none() or abort(404)


def nested(stmt: Select, rows) -> defaultdict[int, list[dict]]:
    """The related rows of every row at once, grouped by their `key` column."""
    groups = defaultdict(list)
    if rows:
        result = db.session.execute(stmt, {"ids": [row.id for row in rows]})
        names = list(result.keys())[1:]
        for key, *values in result:
            groups[key].append(dict(zip(names, values, strict=True)))
    return groups


def store_list(rows) -> list[dict]:
    """Stores, each with its plain items and tags."""
    items_of, tags_of = nested(ITEMS_OF_STORES, rows), nested(TAGS_OF_STORES, rows)
    return [
        {
            "id": row.id,
            "name": row.name,
            "owner_id": row.owner_id,
            "items": items_of[row.id],
            "tags": tags_of[row.id],
        }
        for row in rows
    ]


def item_list(rows) -> list[dict]:
    """Items, each with its plain store and tags."""
    tags_of = nested(TAGS_OF_ITEMS, rows)
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


def tag_list(rows) -> list[dict]:
    """Tags, each with its plain store and items."""
    items_of = nested(ITEMS_OF_TAGS, rows)
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
    return store_list([one(STORE, store_id)])[0]


def item(item_id: int) -> dict:
    return item_list([one(ITEM, item_id)])[0]


def tag(tag_id: int) -> dict:
    return tag_list([one(TAG, tag_id)])[0]


def store_page(pagination_parameters) -> list[dict]:
    return store_list(paginate(STORES, pagination_parameters))


def item_page(pagination_parameters, store_id: int | None = None) -> list[dict]:
    if store_id is None:
        return item_list(paginate(ITEMS, pagination_parameters))
    return item_list(paginate(ITEMS_IN_STORE, pagination_parameters, store_id=store_id))


def tag_page(store_id: int, pagination_parameters) -> list[dict]:
    one(STORE, store_id)
    return tag_list(paginate(TAGS_IN_STORE, pagination_parameters, store_id=store_id))
