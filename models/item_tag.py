"""The item-tag link: a plain association table, since a link carries no data of its own."""

from sqlalchemy import Column, ForeignKey, Index, Table

from db import db

items_tags = Table(
    "items_tags",
    db.metadata,
    Column("item_id", ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    # The primary key serves an item's tags in order; this serves a tag's items in order
    # ("which items use this tag", asked on tag delete and by GET /tag/<id>).
    Index("ix_items_tags_tag_id_item_id", "tag_id", "item_id"),
)
