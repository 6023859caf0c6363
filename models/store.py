from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db import Model

if TYPE_CHECKING:
    from models.item import Item
    from models.tag import Tag


class Store(Model):
    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # A store outlives its owner's account: admins can still manage it.
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    items: Mapped[list[Item]] = relationship(
        back_populates="store",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Item.id",
    )
    tags: Mapped[list[Tag]] = relationship(
        back_populates="store",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Tag.id",
    )
