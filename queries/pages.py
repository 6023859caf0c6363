"""One page of a list's rows: by keyset (`?after=`, which wins when `?page=` comes too)
or by offset (`?page=`, with totals counted up to COUNTED rows)."""

import json

from sqlalchemy import Column, Connection, Result, Select, func, select

from web.lists import next_link

# `?page=` counts at most this many rows: past 10,000 the total is a lower bound (the
# header says so with "total_is_lower_bound") and a deep count costs no more.
COUNTED = 10_001


def dicts(result: Result) -> list[dict]:
    """A result's rows as dicts by column name (cheaper to read than RowMappings)."""
    names = tuple(result.keys())
    return [dict(zip(names, row, strict=True)) for row in result]


def fetch(
    conn: Connection,
    stmt: Select,
    key: Column,
    args: dict,
    cut: tuple[str, str] | None = None,
    **params,
) -> tuple[list[dict], dict]:
    """One page of `stmt`'s rows (ordered by `key`, the table's id) and its headers.

    `cut` names the (skip, rows) parameters of a subquery that cuts `stmt`'s rows in
    `key` order before the outer statement sees them (queries.items: a tag's items): an
    offset page then skips there, not with an OFFSET of the outer statement."""
    size = args["page_size"]
    if "page" in args and "after" not in args:
        return offset_page(conn, stmt, args, cut, **params)
    if "after" in args:
        stmt = stmt.where(key > args["after"])
    rows = dicts(conn.execute(stmt.limit(size + 1), params))
    if len(rows) <= size:
        return rows, {}
    rows = rows[:size]
    return rows, {"Link": next_link(args, after=rows[-1]["id"])}


def offset_page(conn: Connection, stmt: Select, args: dict, cut=None, **params):
    """The classic `?page=`: a count, then OFFSET; a page past the end costs no second
    query."""
    page, size = args["page"], args["page_size"]
    counted = stmt.order_by(None).limit(COUNTED).subquery()
    window = {cut[0]: 0, cut[1]: COUNTED} if cut else {}
    count = select(func.count()).select_from(counted)
    total = conn.execute(count, params | window).scalar_one()
    meta = {"total": total, "total_pages": (total + size - 1) // size}
    if total >= COUNTED:
        meta["total_is_lower_bound"] = True
    if total:
        meta |= {"first_page": 1, "last_page": meta["total_pages"]}
        if page <= meta["total_pages"]:
            meta["page"] = page
            if page > 1:
                meta["previous_page"] = page - 1
            if page < meta["total_pages"]:
                meta["next_page"] = page + 1
    headers = {"X-Pagination": json.dumps(meta)}
    if (page - 1) * size >= total:
        return [], headers
    if cut:
        stmt, params = stmt.limit(size), params | {cut[0]: (page - 1) * size, cut[1]: size}
    else:
        stmt = stmt.offset((page - 1) * size).limit(size)
    rows = dicts(conn.execute(stmt, params))
    if "next_page" in meta:
        headers["Link"] = next_link(args, page=page + 1)
    return rows, headers
