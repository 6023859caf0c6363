"""A nested array: the first NESTED_LIMIT children of each parent, ordered by id."""

from collections import defaultdict

from sqlalchemy import Column, Connection, Table, and_, bindparam, func, select

from queries.pages import dicts
from validation.bounds import MAX_ID, NESTED_LIMIT


class Children:
    """The children's `columns`, for the parents (rows of `parents`) that the column
    `parent` names, in `order` (the children's id). `parent` and `order` are columns of
    one table, the children's own or an association table (a tag's items_tags), which
    `join` then joins to the children's."""

    def __init__(self, columns: list, parents: Table, parent: Column, order: Column, join=None):
        link = parent.table
        rows = select(*columns).select_from(link)
        if join is not None:
            rows = rows.join(*join)
        self.rows, self.parent, self.order = rows, parent, order
        # One parent's: its rows hold the children's fields alone, as the schema reads them.
        self.of_one = rows.where(parent == bindparam("id")).order_by(order).limit(NESTED_LIMIT)
        rows = rows.add_columns(parent.label("parent"))
        # Many parents: each parent's cut-off (its NESTED_LIMIT-th child) is one index
        # probe, so a parent with 100,000 children costs what one with 100 does.
        inner = link.alias()
        cutoff = (
            select(inner.c[order.key])
            .where(inner.c[parent.key] == parents.c.id)
            .order_by(inner.c[order.key])
            .offset(NESTED_LIMIT - 1)
            .limit(1)
            .scalar_subquery()
        )
        # MATERIALIZED: the cut-offs are computed once per parent. Folded into the join,
        # PostgreSQL may evaluate the cut-off once per child row instead: with a fresh
        # database's stale statistics, GET /store's 100 stores x 20 items ran it 2,000
        # times, 60 ms instead of 1.3 ms (bench/README.md). SQLite's planner needs no hint.
        cuts = (
            select(parents.c.id.label("id"), cutoff.label("last"))
            .where(parents.c.id.in_(bindparam("ids", expanding=True)))
            .cte(f"{link.name}_parents")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        # One range per parent (`parent = p AND order <= its cut-off`), so each is an
        # index range scan; `IS NULL OR` instead would have PostgreSQL scan the table.
        last = func.coalesce(cuts.c.last, MAX_ID)
        self.of_many = rows.join(cuts, and_(parent == cuts.c.id, order <= last))
        self.of_many = self.of_many.order_by(order)

    def of(self, conn: Connection, ids: list[int]) -> defaultdict[int, list[dict]]:
        """Each parent's children, by parent id."""
        groups: defaultdict[int, list[dict]] = defaultdict(list)
        if len(ids) == 1:
            groups[ids[0]] = dicts(conn.execute(self.of_one, {"id": ids[0]}))
        elif ids:
            for row in dicts(conn.execute(self.of_many, {"ids": ids})):
                groups[row.pop("parent")].append(row)  # then a child row holds its fields alone
        return groups

    def attach(self, conn: Connection, name: str, bodies: list[dict]) -> list[dict]:
        """Give each body (a dict with an "id") its children as `name`."""
        groups = self.of(conn, [body["id"] for body in bodies])
        for body in bodies:
            body[name] = groups[body["id"]]
        return bodies
