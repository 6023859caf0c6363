"""Lists: a bare JSON array ordered by id, walked by keyset (`?after=<id>`, with an
RFC 8288 `Link: <...>; rel="next"` header while more rows may follow), or by offset
for clients of the classic course (`?page=`, which alone counts the rows and sends
totals in `X-Pagination`). Keyset pages cost the same at any depth: no count, no
OFFSET, one index range scan of `page_size + 1` rows."""

import json
from urllib.parse import urlencode

from flask import request
from sqlalchemy import Column, Connection, Select, func, select

HEADERS = {
    "Link": {
        "description": 'RFC 8288 `<url>; rel="next"` while more rows may follow: '
        "follow the URL as it is to get the next page. Absent on the last page.",
        "schema": {"type": "string"},
    },
    "X-Pagination": {
        "description": "Only with an explicit `?page=`: totals, as a JSON object.",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        name: {"type": "integer"}
                        for name in (
                            "total",
                            "total_pages",
                            "first_page",
                            "last_page",
                            "page",
                            "previous_page",
                            "next_page",
                        )
                    },
                }
            }
        },
    },
}


def fetch(
    conn: Connection, stmt: Select, key: Column, args: dict, **params
) -> tuple[list[dict], dict]:
    """One page of `stmt`'s rows (ordered by `key`, the table's id), as dicts by column
    name, and its headers."""
    size = args["page_size"]
    if "page" in args:
        return offset_page(conn, stmt, args["page"], size, **params)
    if "after" in args:
        stmt = stmt.where(key > args["after"])
    rows = [dict(row) for row in conn.execute(stmt.limit(size + 1), params).mappings()]
    if len(rows) <= size:
        return rows, {}
    rows = rows[:size]
    return rows, {"Link": next_link(after=rows[-1]["id"])}


def offset_page(conn: Connection, stmt: Select, page: int, size: int, **params):
    """The classic `?page=`: a count, then OFFSET; a page past the end costs no second
    query (and a huge ?page= can never overflow the database's OFFSET)."""
    total = conn.execute(
        select(func.count()).select_from(stmt.order_by(None).subquery()), params
    ).scalar_one()
    meta = {"total": total, "total_pages": (total + size - 1) // size}
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
    page_rows = conn.execute(stmt.offset((page - 1) * size).limit(size), params).mappings()
    rows = [dict(row) for row in page_rows]
    if "next_page" in meta:
        headers["Link"] = next_link(page=page + 1)
    return rows, headers


def next_link(**replace) -> str:
    """This request's URL with `?after=` or `?page=` moved on; other parameters kept."""
    args = {k: v for k, v in request.args.lists() if k not in ("after", "page")}
    query = urlencode({**args, **{k: [str(v)] for k, v in replace.items()}}, doseq=True)
    return f'<{request.base_url}?{query}>; rel="next"'
