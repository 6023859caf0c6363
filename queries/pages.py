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
    conn: Connection, stmt: Select, key: Column, args: dict, **params
) -> tuple[list[dict], dict]:
    """One page of `stmt`'s rows (ordered by `key`, the table's id) and its headers."""
    size = args["page_size"]
    if "page" in args and "after" not in args:
        return offset_page(conn, stmt, args, **params)
    if "after" in args:
        stmt = stmt.where(key > args["after"])
    rows = dicts(conn.execute(stmt.limit(size + 1), params))
    if len(rows) <= size:
        return rows, {}
    rows = rows[:size]
    return rows, {"Link": next_link(args, after=rows[-1]["id"])}


def offset_page(conn: Connection, stmt: Select, args: dict, **params):
    """The classic `?page=`: a count, then OFFSET; a page past the end costs no second
    query."""
    page, size = args["page"], args["page_size"]
    counted = stmt.order_by(None).limit(COUNTED).subquery()
    total = conn.execute(select(func.count()).select_from(counted), params).scalar_one()
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
    rows = dicts(conn.execute(stmt.offset((page - 1) * size).limit(size), params))
    if "next_page" in meta:
        headers["Link"] = next_link(args, page=page + 1)
    return rows, headers
