"""Bounds on ids and lists, shared by schemas, queries and the OpenAPI document."""

MAX_ID = 2**31 - 1  # INTEGER primary keys on PostgreSQL
PAGE_SIZE, MAX_PAGE_SIZE = 100, 100  # rows a list returns: default and most
MAX_PAGE = 100  # so ?page= reaches no deeper than MAX_PAGE x MAX_PAGE_SIZE = 10,000 rows
NESTED_LIMIT = 100  # a store's or tag's nested array: its first rows by id
