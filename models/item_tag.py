"""The item-tag link: a plain association table, since a link carries no data of its own."""

from sqlalchemy import Column, ForeignKey, Table

from db import db

items_tags = Table(
    "items_tags",
    db.metadata,
    Column("item_id", ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    # The tag side is indexed too: "which items use this tag" is asked on tag delete.
    Column(
        "tag_id",
        ForeignKey("tags.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)
