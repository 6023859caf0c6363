"""Lists: ordered by id, paginated with ?page= and ?page_size= (X-Pagination header)."""

import flask_smorest
from flask_smorest.pagination import PaginationMetadataSchema
from sqlalchemy import Connection, Row, Select, func, select


class Blueprint(flask_smorest.Blueprint):
    """Documents X-Pagination as what it is, a JSON object in a header (`content`),
    rather than flask-smorest's `schema`, which OpenAPI reads as `k,v,k,v` text."""

    def _document_pagination_metadata(self, spec, resp_doc):
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = {
            "description": "Pagination metadata",
            "content": {"application/json": {"schema": PaginationMetadataSchema}},
        }


PAGINATION = {"page_size": 100, "max_page_size": 1000}


def paginate(conn: Connection, stmt: Select, pagination_parameters, **params) -> list[Row]:
    """Count, then fetch one page of rows; a page past the end costs no second query
    (and a huge ?page= can never overflow the database's OFFSET)."""
    total = conn.execute(
        select(func.count()).select_from(stmt.order_by(None).subquery()), params
    ).scalar_one()
    pagination_parameters.item_count = total
    if pagination_parameters.first_item >= total:
        return []
    page = stmt.offset(pagination_parameters.first_item).limit(pagination_parameters.page_size)
    return list(conn.execute(page, params))
