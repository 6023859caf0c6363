"""Data access for the reads: one module per resource, each a few `select`s whose
columns are named, giving plain dicts that the views return and their `@blp.response`
schemas dump. A nested array's rows come from `children.Children`, one statement per
array and response (never one per row).

The reads run on a plain pooled connection (connections.read), not the ORM session: rows, not
objects, because one page of 100 stores x 20 items built 2,100 objects and read every
attribute a second time (bench/README.md)."""
