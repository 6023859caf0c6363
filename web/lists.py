"""Lists, as HTTP: a bare JSON array ordered by id, walked by keyset (`?after=<id>`, with an
RFC 8288 `Link: <...>; rel="next"` header while more rows may follow), or by offset
for clients of the classic course (`?page=`, which alone counts the rows and sends
totals in `X-Pagination`). Keyset pages cost the same at any depth: no count, no
OFFSET, one index range scan of `page_size + 1` rows. queries/pages.py reads the page."""

from urllib.parse import urlencode

from flask import request

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


def next_link(args: dict, **replace) -> str:
    """This request's URL with `?after=` or `?page=` moved on. It carries only the
    parameters the list understood (`args`, as parsed), never the query string as sent:
    a 4,000-character query copied into `Link` made nginx answer 502."""
    kept = {k: v for k, v in args.items() if k not in ("after", "page")}
    return f'<{request.base_url}?{urlencode(kept | replace)}>; rel="next"'
