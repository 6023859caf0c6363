"""Items: anyone may read them; only the store's owner (or an admin) changes them."""

from flask import jsonify
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy.orm import selectinload

import reads
from auth import check_owner, protected
from db import db
from errors import ErrorSchema, json_body_errors
from models import Item, Store
from pagination import PAGINATION, Blueprint
from schemas import (
    AuthErrorSchema,
    ItemQuerySchema,
    ItemSchema,
    ItemUpdateSchema,
    MessageSchema,
)

blp = Blueprint("items", __name__, description="Items, in a store")

WITH_RELATIONS = (selectinload(Item.store), selectinload(Item.tags))


def get_item_or_404(item_id: int) -> Item:
    return db.session.get(Item, item_id, options=WITH_RELATIONS) or abort(404)


@blp.route("/item")
class ItemList(MethodView):
    @blp.arguments(ItemQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, ItemSchema(many=True))
    @blp.paginate(**PAGINATION)
    def get(self, pagination_parameters, store_id=None):
        """List items; ?store_id= keeps one store's"""
        return jsonify(reads.item_page(pagination_parameters, store_id))

    @protected(blp)
    @blp.arguments(ItemSchema)
    @json_body_errors(blp)
    @blp.response(201, ItemSchema)
    @blp.alt_response(403, schema=AuthErrorSchema, description="Not the store's owner")
    @blp.alt_response(404, schema=ErrorSchema, description="No such store")
    @blp.alt_response(
        409, schema=ErrorSchema, description="An item with that name exists in that store"
    )
    def post(self, data):
        """Create an item in a store you own"""
        store = db.session.get(Store, data["store_id"]) or abort(404)
        check_owner(store)
        item = Item(**data, tags=[])
        db.session.add(item)
        db.session.commit()
        return item


@blp.route("/item/<id:item_id>")
class ItemById(MethodView):
    @blp.response(200, ItemSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such item")
    def get(self, item_id):
        """An item with its store and tags"""
        return jsonify(reads.item(item_id))

    @protected(blp)
    @blp.arguments(ItemUpdateSchema)
    @json_body_errors(blp)
    # The body needs a name, a price or both: say so (minProperties) in the spec too.
    @blp.doc(
        requestBody={
            "content": {
                "application/json": {"schema": {"allOf": [ItemUpdateSchema], "minProperties": 1}}
            }
        }
    )
    @blp.response(200, ItemSchema)
    @blp.alt_response(403, schema=AuthErrorSchema, description="Not the store's owner")
    @blp.alt_response(404, schema=ErrorSchema, description="No such item")
    @blp.alt_response(
        409, schema=ErrorSchema, description="An item with that name exists in that store"
    )
    def put(self, data, item_id):
        """Change an item's name and/or price"""
        item = get_item_or_404(item_id)
        check_owner(item.store)
        for field, value in data.items():
            setattr(item, field, value)
        db.session.commit()
        return item

    @protected(blp)
    @blp.response(200, MessageSchema)
    @blp.alt_response(403, schema=AuthErrorSchema, description="Not the store's owner")
    @blp.alt_response(404, schema=ErrorSchema, description="No such item")
    def delete(self, item_id):
        """Delete an item"""
        item = get_item_or_404(item_id)
        check_owner(item.store)
        db.session.delete(item)
        db.session.commit()
        return {"message": "Item deleted."}
