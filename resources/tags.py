"""Tags belong to a store and label that store's items."""

from collections.abc import Callable
from typing import cast

from flask.views import MethodView
from flask_smorest import abort
from flask_smorest.error_handler import ErrorSchema
from sqlalchemy import CursorResult, delete, exists
from sqlalchemy.dialects import postgresql, sqlite

from db import db
from models import Item, Store, Tag, items_tags
from queries import items, tags
from schemas import ListArgsSchema, MessageSchema, TagAndItemSchema, TagCreateSchema, TagSchema
from web import lists
from web.blueprint import Blueprint
from web.errors import example

blp = Blueprint("tags", __name__, description="Tags of a store's items")

IN_USE = "Tag is still used by items: unlink them first."
OTHER_STORE = "The tag belongs to another store than the item."
NOT_LINKED = "The item is not linked to that tag."


def delete_if_unused(tag_id: int) -> bool:
    """Delete the tag unless an item uses it, as one statement: on SQLite it holds the
    write lock, on PostgreSQL it runs after get_owned_or_404(Tag, lock=True), so a link racing it
    either committed first (and is seen) or waits and then finds no tag."""
    in_use = exists().where(items_tags.c.tag_id == tag_id)
    deleted = db.session.execute(delete(Tag).where(Tag.id == tag_id, ~in_use))
    return cast(CursorResult, deleted).rowcount == 1


@blp.route("/store/<id:store_id>/tag")
class TagsInStore(MethodView):
    @blp.arguments(ListArgsSchema, location="query")
    @blp.response(200, TagSchema(many=True), headers=lists.HEADERS)
    @blp.alt_response(404, schema=ErrorSchema, description="No such store")
    def get(self, args, store_id):
        """List a store's tags"""
        return tags.tag_page(store_id, args)

    @blp.login_required()
    @blp.arguments(TagCreateSchema)
    @blp.response(201, TagSchema)
    @blp.conflict(
        400,
        "A tag with that name already exists in that store.",
        description="A tag with that name exists in that store, or the body is not valid JSON",
    )
    @blp.owner_required(Store, "store_id", missing="No such store")
    def post(self, data, store_id):
        """Create a tag in a store you own"""
        tag = Tag(name=data["name"], store=db.session.get(Store, store_id), items=[])
        db.session.add(tag)
        db.session.commit()
        return tag


@blp.route("/tag/<id:tag_id>")
class TagById(MethodView):
    @blp.response(200, TagSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such tag")
    def get(self, tag_id):
        """A tag with its items"""
        return tags.tag(tag_id)

    @blp.login_required()
    @blp.response(202, MessageSchema)
    @blp.alt_response(
        400, schema=ErrorSchema, description="Items still use the tag", example=example(400, IN_USE)
    )
    @blp.owner_required(Tag, "tag_id", missing="No such tag", lock=True)
    def delete(self, tag_id):
        """Delete a tag that no item uses"""
        if not delete_if_unused(tag_id):
            abort(400, message=IN_USE)
        db.session.commit()
        return {"message": "Tag deleted."}


@blp.route("/item/<id:item_id>/tag/<id:tag_id>")
class LinkTagsToItem(MethodView):
    @blp.login_required()
    @blp.response(201, TagSchema)
    @blp.alt_response(
        400,
        schema=ErrorSchema,
        description="The tag belongs to another store",
        example=example(400, OTHER_STORE),
    )
    @blp.owner_required(Item, "item_id", missing="No such item or tag")
    def post(self, item_id, tag_id):
        """Link an item to a tag of the same store (linking twice is harmless)"""
        same_store(item_id, tag_id)
        link(item_id, tag_id)
        db.session.commit()
        return tags.tag(tag_id)

    @blp.login_required()
    @blp.response(200, TagAndItemSchema)
    @blp.alt_response(
        400,
        schema=ErrorSchema,
        description="The item is not linked to the tag",
        example=example(400, NOT_LINKED),
    )
    @blp.owner_required(Item, "item_id", missing="No such item or tag")
    def delete(self, item_id, tag_id):
        """Unlink an item from a tag"""
        same_store(item_id, tag_id)
        if not unlink(item_id, tag_id):
            abort(400, message=NOT_LINKED)
        db.session.commit()
        return {
            "message": "Item removed from tag",
            "item": items.item(item_id),
            "tag": tags.tag(tag_id),
        }


def same_store(item_id: int, tag_id: int) -> None:
    """404 for no such tag, 400 for a tag of another store than the (owned) item's."""
    tag = db.session.get(Tag, tag_id) or abort(404)
    item = db.session.get(Item, item_id) or abort(404)
    if tag.store_id != item.store_id:
        abort(400, message=OTHER_STORE)


# INSERT ... ON CONFLICT DO NOTHING, which both databases speak.
INSERT_OR_IGNORE: dict[str, Callable[..., postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def link(item_id: int, tag_id: int) -> None:
    """Link them, unless they are already: a second link, even one racing the first
    in another worker, is harmless, not a conflict."""
    insert = INSERT_OR_IGNORE[db.session.get_bind().dialect.name]
    db.session.execute(
        insert(items_tags).values(item_id=item_id, tag_id=tag_id).on_conflict_do_nothing()
    )


def unlink(item_id: int, tag_id: int) -> bool:
    """Remove the link; False if there was none (never linked, or a racing unlink won)."""
    link = (items_tags.c.item_id == item_id) & (items_tags.c.tag_id == tag_id)
    return cast(CursorResult, db.session.execute(delete(items_tags).where(link))).rowcount == 1
