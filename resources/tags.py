"""Tags belong to a store and label that store's items."""

from flask import jsonify
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy.orm import selectinload

import reads
from auth import check_owner, protected
from db import db
from errors import ErrorSchema, json_body_errors
from models import Item, Store, Tag
from pagination import PAGINATION, Blueprint
from resources.items import get_item_or_404
from schemas import AuthErrorSchema, MessageSchema, TagAndItemSchema, TagSchema

blp = Blueprint("tags", __name__, description="Tags of a store's items")

WITH_RELATIONS = (selectinload(Tag.store), selectinload(Tag.items))
OWNER_ONLY = {"schema": AuthErrorSchema, "description": "Not the store's owner"}


def get_tag_or_404(tag_id: int) -> Tag:
    return db.session.get(Tag, tag_id, options=WITH_RELATIONS) or abort(404)


@blp.route("/store/<id:store_id>/tag")
class TagsInStore(MethodView):
    @blp.response(200, TagSchema(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="No such store")
    @blp.paginate(**PAGINATION)
    def get(self, store_id, pagination_parameters):
        """List a store's tags"""
        return jsonify(reads.tag_page(store_id, pagination_parameters))

    @protected(blp)
    @blp.arguments(TagSchema)
    @json_body_errors(blp)
    @blp.response(201, TagSchema)
    @blp.alt_response(
        400,
        schema=ErrorSchema,
        description="A tag with that name exists in that store, or the body is not valid JSON",
    )
    @blp.alt_response(403, **OWNER_ONLY)
    @blp.alt_response(404, schema=ErrorSchema, description="No such store")
    def post(self, data, store_id):
        """Create a tag in a store you own"""
        store = db.session.get(Store, store_id) or abort(404)
        check_owner(store)
        tag = Tag(name=data["name"], store=store, items=[])
        db.session.add(tag)
        db.session.commit()
        return tag


@blp.route("/tag/<id:tag_id>")
class TagById(MethodView):
    @blp.response(200, TagSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such tag")
    def get(self, tag_id):
        """A tag with its items"""
        return jsonify(reads.tag(tag_id))

    @protected(blp)
    @blp.response(202, MessageSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="Items still use the tag")
    @blp.alt_response(403, **OWNER_ONLY)
    @blp.alt_response(404, schema=ErrorSchema, description="No such tag")
    def delete(self, tag_id):
        """Delete a tag that no item uses"""
        tag = get_tag_or_404(tag_id)
        check_owner(tag.store)
        if tag.items:
            abort(400, message="Tag is still used by items: unlink them first.")
        db.session.delete(tag)
        db.session.commit()
        return {"message": "Tag deleted."}


@blp.route("/item/<id:item_id>/tag/<id:tag_id>")
class LinkTagsToItem(MethodView):
    @protected(blp)
    @blp.response(201, TagSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="The tag belongs to another store")
    @blp.alt_response(403, **OWNER_ONLY)
    @blp.alt_response(404, schema=ErrorSchema, description="No such item or tag")
    def post(self, item_id, tag_id):
        """Link an item to a tag of the same store (linking twice is harmless)"""
        item, tag = linkable(item_id, tag_id)
        if tag not in item.tags:
            item.tags.append(tag)
            db.session.commit()
        return tag

    @protected(blp)
    @blp.response(200, TagAndItemSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="The item is not linked to the tag")
    @blp.alt_response(403, **OWNER_ONLY)
    @blp.alt_response(404, schema=ErrorSchema, description="No such item or tag")
    def delete(self, item_id, tag_id):
        """Unlink an item from a tag"""
        item, tag = linkable(item_id, tag_id)
        if tag not in item.tags:
            abort(400, message="The item is not linked to that tag.")
        item.tags.remove(tag)
        db.session.commit()
        return {"message": "Item removed from tag", "item": item, "tag": tag}


def linkable(item_id: int, tag_id: int) -> tuple[Item, Tag]:
    item = get_item_or_404(item_id)
    tag = get_tag_or_404(tag_id)
    check_owner(item.store)
    if tag.store_id != item.store_id:
        abort(400, message="The tag belongs to another store than the item.")
    return item, tag
