"""Items: anyone may read them; only the store's owner (or an admin) changes them."""

from flask import jsonify
from flask.views import MethodView
from flask_smorest import abort
from flask_smorest.error_handler import ErrorSchema
from sqlalchemy import delete, update

from db import db
from models import Item, Store
from schemas import ItemCreateSchema, ItemQuerySchema, ItemSchema, ItemUpdateSchema, MessageSchema
from security.access import check_owner, owned, owner_only, protected
from web import lists, reads
from web.bodies import Blueprint

blp = Blueprint("items", __name__, description="Items, in a store")

ITEM_UPDATE = ItemUpdateSchema(partial=True)


def gone(result) -> None:
    """A write that found no row: the item was deleted meanwhile (or its store was)."""
    if result.rowcount == 0:
        abort(404)


@blp.route("/item")
class ItemList(MethodView):
    @blp.arguments(ItemQuerySchema, location="query")
    @blp.response(200, ItemSchema(many=True), headers=lists.HEADERS)
    def get(self, args):
        """List items; ?store_id= keeps one store's, ?tag_id= one tag's"""
        body, headers = reads.item_page(args)
        return jsonify(body), 200, headers

    @protected(blp)
    @blp.arguments(ItemCreateSchema)
    @blp.response(201, ItemSchema)
    @owner_only(blp, missing="No such store", conflict="items")
    def post(self, data):
        """Create an item in a store you own"""
        check_owner(db.session.get(Store, data["store_id"]) or abort(404))
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
    @blp.arguments(ITEM_UPDATE)
    # At least one field: say so (minProperties) in the spec, as the schema checks it.
    @blp.doc(
        requestBody={
            "content": {
                "application/json": {"schema": {"allOf": [ITEM_UPDATE], "minProperties": 1}}
            }
        }
    )
    @blp.response(200, ItemSchema)
    @owner_only(blp, missing="No such item", conflict="items")
    def put(self, data, item_id):
        """Change an item's name, price and/or description"""
        owned(Item, item_id)
        gone(db.session.execute(update(Item).where(Item.id == item_id).values(**data)))
        db.session.commit()
        return jsonify(reads.item(item_id))

    @protected(blp)
    @blp.response(200, MessageSchema)
    @owner_only(blp, missing="No such item")
    def delete(self, item_id):
        """Delete an item"""
        owned(Item, item_id)  # its tag links go with it (ON DELETE CASCADE)
        gone(db.session.execute(delete(Item).where(Item.id == item_id)))
        db.session.commit()
        return {"message": "Item deleted."}
