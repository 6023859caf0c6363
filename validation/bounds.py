"""Bounds on ids and lists, shared by schemas, queries and the OpenAPI document."""

MAX_ID = 2**31 - 1  # INTEGER primary keys on PostgreSQL
PAGE_SIZE, MAX_PAGE_SIZE = 100, 1000  # rows a list returns: default and most
NESTED_LIMIT = 100  # a store's or tag's nested array: its first rows by id
