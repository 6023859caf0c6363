"""Response bodies written by PostgreSQL: a read's whole JSON from its one statement.

`GET /store/<id>`, the hottest public read, made three round trips, then built dicts that
the schema dumped and orjson wrote. PostgreSQL's `json_build_object` writes the same
document in one statement and its text is the body (bench/README.md, issue 26). The
document follows the schema's own plan (queries/rows.py): its keys and what is nested
come from the RowSchema, the columns from the query modules, so the shape is still
defined once; tests/queries/test_documents.py checks that each body equals the schema's
dump of the same rows. SQLite keeps the rows path."""

from collections.abc import Mapping

from flask import Response, current_app
from sqlalchemy import (
    ColumnCollection,
    ColumnElement,
    Connection,
    Select,
    Text,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from queries.children import Children
from queries.prepared import Prepared
from queries.rows import RowSchema
from validation.bounds import NESTED_LIMIT

EMPTY_ARRAY: ColumnElement = literal_column("'[]'::json")
# The cut written into the SQL, not bound: with `LIMIT $2` PostgreSQL's generic plan
# costs more than a custom one, so each execution was planned again (0.6 ms of planning
# for 0.2 ms of execution); with a constant, the prepared statement's plan is reused.
CUT: ColumnElement = literal_column(str(NESTED_LIMIT))


def json_object(
    steps: list[tuple],
    columns: Mapping[str, ColumnElement] | ColumnCollection,
    arrays: Mapping[str, Children] | None = None,
    parent_id: ColumnElement | None = None,
) -> ColumnElement:
    """`json_build_object` of a RowSchema's plan, keys sorted as the API's JSON provider
    sorts them: each key with the column its attribute names, or for a nested list the
    `arrays` entry's children of the row `parent_id` names."""
    pairs: list[ColumnElement] = []
    for key, attribute, nested, _ in sorted(steps, key=lambda step: step[0]):
        if not key.isidentifier():  # a field name, written into the SQL as a literal
            raise ValueError(f"not a plain key: {key!r}")
        if nested is None:
            value = columns[attribute]
        else:
            assert arrays is not None and parent_id is not None, attribute
            value = json_array(arrays[attribute], nested, parent_id)
        pairs += [literal_column(f"'{key}'"), value]
    return func.json_build_object(*pairs)


def json_array(children: Children, steps: list[tuple], parent_id: ColumnElement):
    """The first NESTED_LIMIT children of the outer row, as a JSON array (`[]` for none)."""
    cut = (
        children.rows.add_columns(children.order.label("position"))
        .where(children.parent == parent_id)
        .order_by(children.order)
        .limit(CUT)
        .correlate(parent_id.table)
        .subquery()
    )
    array = func.json_agg(aggregate_order_by(json_object(steps, cut.c), cut.c.position))
    return select(func.coalesce(array, EMPTY_ARRAY)).scalar_subquery()


def document(schema: RowSchema, row: Select, arrays: Mapping[str, Children]) -> Select:
    """The statement whose one column is `schema`'s JSON (as text) of each of `row`'s
    rows, with the nested lists of the table `row` reads (by its `id`)."""
    steps = schema.row_plan()
    if steps is None:
        raise TypeError(f"{type(schema).__name__} does more than copy its fields")
    table = row.get_final_froms()[0]
    body = json_object(steps, row.selected_columns, arrays, table.c.id)
    return row.with_only_columns(cast(body, Text), maintain_column_froms=True)


def respond(conn: Connection, stmt: Prepared, params: dict) -> Response | None:
    """The document as a 200 JSON response, None for no row."""
    text = stmt.run(conn, params).scalar_one_or_none()
    if text is None:
        return None
    return current_app.response_class(text + "\n", mimetype="application/json")
