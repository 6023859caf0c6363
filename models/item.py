from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db import Model
from models.item_tag import items_tags

if TYPE_CHECKING:
    from models.store import Store
    from models.tag import Tag


class Item(Model):
    __tablename__ = "items"
    # (store_id, id) serves a store's list walked by id: `store_id = ? AND id > ?`.
    __table_args__ = (
        UniqueConstraint("store_id", "name"),
        Index("ix_items_store_id_id", "store_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    price: Mapped[float]
    description: Mapped[str | None] = mapped_column(String(500))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))

    store: Mapped[Store] = relationship(back_populates="items")
    tags: Mapped[list[Tag]] = relationship(
        secondary=items_tags, back_populates="items", order_by="Tag.id"
    )
