"""Stores, each with its first items and tags."""

from flask import Response
from flask_smorest import abort
from sqlalchemy import Connection, bindparam, select

from connections import read
from db import db
from models import Item, Store, Tag
from queries import documents
from queries.children import Children
from queries.pages import dicts, fetch
from queries.prepared import Prepared
from schemas import StoreSchema

stores, items, tags = Store.__table__, Item.__table__, Tag.__table__

STORES = select(stores.c.id, stores.c.name, stores.c.owner_id).order_by(stores.c.id)
STORE = STORES.where(stores.c.id == bindparam("id"))
ITEMS = Children([items.c.id, items.c.name, items.c.price], stores, items.c.store_id, items.c.id)
TAGS = Children([tags.c.id, tags.c.name], stores, tags.c.store_id, tags.c.id)
# PostgreSQL: GET /store/<id>'s whole body, written by the database (queries/documents.py).
STORE_DOCUMENT = Prepared(documents.document(StoreSchema(), STORE, {"items": ITEMS, "tags": TAGS}))


def with_children(conn: Connection, bodies: list[dict]) -> list[dict]:
    ITEMS.attach(conn, "items", bodies)
    return TAGS.attach(conn, "tags", bodies)


def store(store_id: int) -> dict:
    """The store `store_id`, or 404."""

    def work(conn: Connection) -> dict:
        rows = dicts(conn.execute(STORE, {"id": store_id})) or abort(404)
        return with_children(conn, rows)[0]

    return read(work)


def store_body(store_id: int) -> dict | Response:
    """GET /store/<id>: on PostgreSQL the response its one statement wrote, else the
    store's rows for StoreSchema; 404 for no such store."""

    if db.engine.dialect.name != "postgresql":
        return store(store_id)
    params = {"id": store_id}
    return read(lambda conn: documents.respond(conn, STORE_DOCUMENT, params)) or abort(404)


def store_page(args: dict) -> tuple[list[dict], dict]:
    """A page of stores, and the headers that say where the next one is."""

    def work(conn: Connection) -> tuple[list[dict], dict]:
        rows, headers = fetch(conn, STORES, stores.c.id, args)
        return with_children(conn, rows), headers

    return read(work)
