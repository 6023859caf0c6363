"""The fast path of the representation schemas: query rows dumped by field name.

A page of 100 stores x 20 items dumped field by field through marshmallow's `Nested`
took 40 ms, twice the rest of the request (bench/README.md). The rows this package reads
already hold what those fields would produce (the database typed them: ints, floats,
strings, booleans), so a `RowSchema` copies them by name, following the schema's own
fields: the schema stays the one definition, `@blp.response` stays the one path to
JSON. Anything else (a model object a POST returns) takes marshmallow's ordinary dump,
and tests/queries/test_queries.py checks that both give the same JSON for every resource."""

from collections.abc import Mapping

from marshmallow import Schema, fields
from sqlalchemy import Row

# Fields whose dump of a value the database returned is that value itself.
VERBATIM = (fields.Integer, fields.Float, fields.String, fields.Boolean)


def plan(schema: Schema) -> list[tuple] | None:
    """(key, attribute, nested plan, many) for each dump field, or None when a field
    does more than copy (a date to format, a method to call)."""
    steps: list[tuple] = []
    for name, field in schema.dump_fields.items():
        key, attribute = field.data_key or name, field.attribute or name
        many = isinstance(field, fields.List)
        nested = field.inner if isinstance(field, fields.List) else field
        if isinstance(field, VERBATIM):
            steps.append((key, attribute, None, False))
        elif isinstance(nested, fields.Nested) and isinstance(nested.schema, RowSchema):
            inner = nested.schema.row_plan()
            if inner is None:
                return None
            steps.append((key, attribute, inner, many or nested.many))
        else:
            return None
    return steps


def copy(row: Mapping, steps: list[tuple]) -> dict:
    body = {}
    for key, attribute, nested, many in steps:
        value = row[attribute]
        if nested is not None and value is not None:
            value = copy_all(value, nested) if many else copy(value, nested)
        body[key] = value
    return body


def copy_all(rows: list, steps: list[tuple]) -> list:
    """A nested list. The rows of one statement share their columns: when the first holds
    exactly a flat plan's fields, each under its own key, the rows are already their
    copies (GET /store's 2,000 nested items)."""
    if rows and isinstance(rows[0], dict) and flat_keys(steps) == rows[0].keys():
        return rows
    return [copy(each, steps) for each in rows]


def flat_keys(steps: list[tuple]) -> set | None:
    """A plan's keys, when every field copies a value from the same name; else None."""
    if all(nested is None and key == attribute for key, attribute, nested, _ in steps):
        return {key for key, *_ in steps}
    return None


class RowSchema(Schema):
    """A schema that dumps query rows (mappings, or SQLAlchemy Rows such as the token
    check's user) by copying its fields by name."""

    def row_plan(self) -> list[tuple] | None:
        """This schema's plan, made at its first dump (nested schemas bind late)."""
        if "steps" not in self.plans:
            self.plans["steps"] = plan(self)
        return self.plans["steps"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plans: dict = {}

    def dump(self, obj, *, many: bool | None = None):
        many = self.many if many is None else many
        steps = self.row_plan()
        if steps is not None and isinstance(obj, Row):  # one SQLAlchemy Row, by attribute
            obj = {attribute: getattr(obj, attribute) for _, attribute, _, _ in steps}
        rows = obj if many else [obj]
        if steps is None or not all(isinstance(row, Mapping) for row in rows):
            return super().dump(obj, many=many)
        return [copy(row, steps) for row in obj] if many else copy(obj, steps)
