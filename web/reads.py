"""The public GETs, read as rows and shaped into the JSON that schemas.py defines.

schemas.py is the one definition of each representation. A `Shape` reads a schema's
dump fields once, at import, and derives from them and from the model's relationships
the statements that fetch exactly those fields: scalar fields are columns of the
model's table, a nested object (`store`) is joined in, and a nested list (`items`,
`tags`) is one more statement per response (never one per row), cut to the first
NESTED_LIMIT rows of each parent. Adding a field to a schema adds it here too.

Why not ORM objects dumped by marshmallow: one page of 100 stores x 20 items built
2,100 objects and read every attribute a second time, about 35 ms a request against
6 ms for rows (bench/README.md). The statements run with bound parameters on a plain
connection (connections.read), so SQLAlchemy reuses their compiled form.
"""

from collections import defaultdict
from typing import Any

from flask_smorest import abort
from marshmallow import Schema, fields
from sqlalchemy import (
    Connection,
    Row,
    and_,
    bindparam,
    cast,
    func,
    inspect,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import RelationshipProperty
from sqlalchemy.sql import ColumnElement

from connections import read
from models import Item, Store, Tag, items_tags
from schemas import MAX_ID, NESTED_LIMIT, ItemSchema, StoreSchema, TagSchema
from web.lists import fetch


class Related:
    """A nested list: the plain rows of `relation`'s target, grouped by parent id."""

    def __init__(self, relation: RelationshipProperty, schema: type[Schema]):
        target = relation.mapper.local_table
        self.names = list(schema().dump_fields)
        columns = [target.c[name] for name in self.names]
        self.key: Any  # a Column: its .key names it in an alias too
        self.order: Any
        self.join: tuple[tuple[Any, ColumnElement], ...]
        if relation.secondary is None:  # one-to-many: the target holds the parent's key
            ((_, self.key),) = relation.local_remote_pairs or ()
            self.order, link = target.c.id, target
            self.join = ()
        else:  # many-to-many through an association table
            ((_, self.key),) = relation.synchronize_pairs
            ((target_id, self.order),) = relation.secondary_synchronize_pairs or ()
            link = relation.secondary
            self.join = ((target, target_id == self.order),)
        self.link, self.columns = link, columns
        rows = select(self.key.label("key"), *columns).select_from(link)
        for join in self.join:
            rows = rows.join(*join)
        self.of_one = rows.where(self.key == bindparam("id")).order_by(self.order)
        self.of_one = self.of_one.limit(NESTED_LIMIT)
        # Many parents: each parent's cut-off (its NESTED_LIMIT-th child) is one index
        # probe, so a parent with 100,000 children costs what one with 100 does.
        parent = relation.parent.local_table
        inner = link.alias()
        cutoff = (
            select(inner.c[self.order.key])
            .where(inner.c[self.key.key] == parent.c.id)
            .order_by(inner.c[self.order.key])
            .offset(NESTED_LIMIT - 1)
            .limit(1)
            .scalar_subquery()
        )
        # MATERIALIZED: the cut-offs are computed once per parent. Folded into the join,
        # PostgreSQL may evaluate the cut-off once per child row instead: with a fresh
        # database's stale statistics, GET /store's 100 stores x 20 items ran it 2,000
        # times, 60 ms instead of 1.3 ms (bench/README.md). SQLite's planner needs no hint.
        parents = (
            select(parent.c.id.label("id"), cutoff.label("last"))
            .where(parent.c.id.in_(bindparam("ids", expanding=True)))
            .cte(f"{relation.key}_parents")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        # One range per parent (`key = p AND order <= its cut-off`), so each is an index
        # range scan; `IS NULL OR` instead would have PostgreSQL scan the whole table.
        last = func.coalesce(parents.c.last, MAX_ID)
        self.of_many = rows.join(
            parents, and_(self.key == parents.c.id, self.order <= last)
        ).order_by(self.order)

    def of(self, conn: Connection, ids: list[int]) -> defaultdict[int, list[dict]]:
        groups: defaultdict[int, list[dict]] = defaultdict(list)
        if len(ids) == 1:
            result = conn.execute(self.of_one, {"id": ids[0]})
        elif ids:
            result = conn.execute(self.of_many, {"ids": ids})
        else:
            return groups
        names = self.names
        for key, *values in result:
            groups[key].append(dict(zip(names, values, strict=True)))
        return groups


def nested_column(relation: RelationshipProperty, name: str):
    """A nested object's field, read through the row's foreign key: the key itself for
    its id, else a correlated lookup by primary key. Lookups rather than a join keep a
    keyset page one index range scan of `page_size + 1` rows whatever the table sizes
    (PostgreSQL would hash-join a whole table to a page of 100)."""
    ((local, remote),) = relation.local_remote_pairs
    if name == remote.key:
        return local
    return select(remote.table.c[name]).where(remote == local).scalar_subquery()


class Shape:
    """A full representation (StoreSchema, ItemSchema, TagSchema) over its model."""

    def __init__(self, schema: type[Schema], model):
        mapper = inspect(model)
        table = mapper.local_table
        self.scalars: list[str] = []
        self.objects: list[tuple[str, list[str]]] = []  # nested plain object, its fields
        self.lists: list[tuple[str, Related]] = []
        columns = []
        for name, field in schema().dump_fields.items():
            if isinstance(field, fields.Nested):
                relation = mapper.relationships[name]
                names = list(field.schema.dump_fields)
                self.objects.append((name, names))
                columns += [nested_column(relation, n).label(f"{name}_{n}") for n in names]
            elif isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
                nested = type(field.inner.schema)
                self.lists.append((name, Related(mapper.relationships[name], nested)))
            else:
                self.scalars.append(name)
        rows = select(*(table.c[name] for name in self.scalars), *columns)
        self.rows = rows.order_by(table.c.id)
        # One object by id in one statement, whatever its nested lists: a branch per list
        # (UNION ALL), each the object's row beside that list's first NESTED_LIMIT rows (an
        # already cut subquery, so a parent of 100,000 children sorts none of them). Each
        # list has its own columns, NULL in the other branches; the first branch carries
        # the object's own columns (NULL elsewhere) and is an outer join, so an object
        # with no children is still one row. One round trip on PostgreSQL, not one a list.
        self.width = len(self.scalars) + sum(len(names) for _, names in self.objects)
        self.id_at = self.scalars.index("id")
        own = list(rows.selected_columns)
        cut = [related.of_one.subquery() for _, related in self.lists]
        branches = []
        for n, children in enumerate(cut):
            columns = [c if n == 0 else cast(null(), c.type) for c in own]
            for m, other in enumerate(cut):
                for c in [other.c.key] + [other.c[name] for name in self.lists[m][1].names]:
                    label = f"{self.lists[m][0]}_{c.key}"
                    columns.append((c if m == n else cast(null(), c.type)).label(label))
            branch = select(*columns).select_from(table)
            branch = (branch.outerjoin if n == 0 else branch.join)(children, true())
            branches.append(branch.where(table.c.id == bindparam("id")))
        order = [f"{name}_id" for name, _ in self.lists]
        self.one = (
            branches[0].order_by(*order)
            if len(branches) == 1
            else union_all(*branches).order_by(*order)
        )

    def shape(self, row: tuple) -> dict:
        scalars = len(self.scalars)
        body = dict(zip(self.scalars, row[:scalars], strict=True))
        start = scalars
        for name, names in self.objects:
            end = start + len(names)
            body[name] = dict(zip(names, row[start:end], strict=True))
            start = end
        return body

    def dump(self, conn: Connection, rows: list[Row]) -> list[dict]:
        """The rows of one page, each with its nested lists (a statement per list)."""
        ids = [row.id for row in rows]
        bodies = [self.shape(tuple(row)) for row in rows]
        for name, related in self.lists:
            groups = related.of(conn, ids)
            for body in bodies:
                body[name] = groups[body["id"]]
        return bodies

    def by_id(self, conn: Connection, id: int) -> dict:
        """One object by id, or 404: one statement (see `one`)."""
        rows = [tuple(row) for row in conn.execute(self.one, {"id": id})] or abort(404)
        width = self.width
        at = self.id_at
        body = self.shape(next(row for row in rows if row[at] is not None))  # the 1st branch
        start = width
        for name, related in self.lists:
            key, end = start, start + 1 + len(related.names)
            body[name] = [
                dict(zip(related.names, row[key + 1 : end], strict=True))
                for row in rows
                if row[key] is not None  # another list's row, or the outer join's NULLs
            ]
            start = end
        return body


STORE = Shape(StoreSchema, Store)
ITEM = Shape(ItemSchema, Item)
TAG = Shape(TagSchema, Tag)
stores, items, tags = Store.__table__, Item.__table__, Tag.__table__
STORE_EXISTS = select(stores.c.id).where(stores.c.id == bindparam("id"))
TAGGED = select(items_tags.c.item_id).where(items_tags.c.tag_id == bindparam("tag_id"))
# A keyset page of one tag's items takes its ids from the tag's index range, already cut:
# given `IN (all the tag's items)`, PostgreSQL merge-joins walking the items table in id
# order until it meets the tag's first item (1M rows, 160 ms, for a tag whose items are
# the newest; bench/README.md). The cut needs the page's `after` and size as parameters.
TAGGED_PAGE = (
    TAGGED.where(items_tags.c.item_id > bindparam("tag_after"))
    .order_by(items_tags.c.item_id)
    .limit(bindparam("tag_rows"))
)
ITEM_FILTERS = {
    "store_id": items.c.store_id == bindparam("store_id"),
    "tag_id": items.c.id.in_(TAGGED),
}
COMBINATIONS: tuple[tuple[str, ...], ...] = ((), ("store_id",), ("tag_id",), ("store_id", "tag_id"))
ITEM_LISTS = {  # every combination of the filters, in ITEM_FILTERS' order
    names: ITEM.rows.where(*(ITEM_FILTERS[name] for name in names)) for names in COMBINATIONS
}
# The same for keyset pages (an item never changes store and only carries its own
# store's tags, so cutting the tag's ids before the store filter loses no row).
ITEM_PAGES = {
    names: ITEM.rows.where(
        *(items.c.id.in_(TAGGED_PAGE) if name == "tag_id" else ITEM_FILTERS[name] for name in names)
    )
    for names in COMBINATIONS
}
TAGS_IN_STORE = TAG.rows.where(tags.c.store_id == bindparam("store_id"))


def store(store_id: int) -> dict:
    return read(lambda conn: STORE.by_id(conn, store_id))


def item(item_id: int) -> dict:
    return read(lambda conn: ITEM.by_id(conn, item_id))


def tag(tag_id: int) -> dict:
    return read(lambda conn: TAG.by_id(conn, tag_id))


def store_page(args: dict) -> tuple[list[dict], dict]:
    """A page of stores, and the headers that say where the next one is."""

    def page(conn: Connection) -> tuple[list[dict], dict]:
        rows, headers = fetch(conn, STORE.rows, stores.c.id, args)
        return STORE.dump(conn, rows), headers

    return read(page)


def item_page(args: dict) -> tuple[list[dict], dict]:
    """Items, of one store (?store_id=) and/or with one tag (?tag_id=)."""
    filters = tuple(name for name in ITEM_FILTERS if name in args)
    params = {name: args[name] for name in filters}
    if "page" in args:
        stmt = ITEM_LISTS[filters]
    else:
        stmt = ITEM_PAGES[filters]
        if "tag_id" in args:
            params |= {"tag_after": args.get("after", 0), "tag_rows": args["page_size"] + 1}

    def page(conn: Connection) -> tuple[list[dict], dict]:
        rows, headers = fetch(conn, stmt, items.c.id, args, **params)
        return ITEM.dump(conn, rows), headers

    return read(page)


def tag_page(store_id: int, args: dict) -> tuple[list[dict], dict]:
    def page(conn: Connection) -> tuple[list[dict], dict]:
        conn.execute(STORE_EXISTS, {"id": store_id}).one_or_none() or abort(404)
        rows, headers = fetch(conn, TAGS_IN_STORE, tags.c.id, args, store_id=store_id)
        return TAG.dump(conn, rows), headers

    return read(page)
