"""Items: anyone may read them; only the store's owner (or an admin) changes them."""

from flask.views import MethodView
from flask_smorest import abort
from flask_smorest.error_handler import ErrorSchema
from sqlalchemy import delete, update

from db import db
from models import Item, Store
from queries import items
from schemas import ItemCreateSchema, ItemQuerySchema, ItemSchema, ItemUpdateSchema, MessageSchema
from web import lists
from web.blueprint import Blueprint

blp = Blueprint("items", __name__, description="Items, in a store")

ITEM_UPDATE = ItemUpdateSchema(partial=True)
TAKEN = "An item with that name already exists in that store."


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
        return items.item_page(args)

    @blp.login_required()
    @blp.arguments(ItemCreateSchema)
    @blp.response(201, ItemSchema)
    @blp.conflict(409, TAKEN)
    @blp.owner_required(Store, "store_id", missing="No such store")
    def post(self, data):
        """Create an item in a store you own"""
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
        return items.item(item_id)

    @blp.login_required()
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
    @blp.conflict(409, TAKEN)
    @blp.owner_required(Item, "item_id", missing="No such item")
    def put(self, data, item_id):
        """Change an item's name, price and/or description"""
        gone(db.session.execute(update(Item).where(Item.id == item_id).values(**data)))
        db.session.commit()
        return items.item(item_id)

    @blp.login_required()
    @blp.response(200, MessageSchema)
    @blp.owner_required(Item, "item_id", missing="No such item")
    def delete(self, item_id):
        """Delete an item"""
        # Its tag links go with it (ON DELETE CASCADE).
        gone(db.session.execute(delete(Item).where(Item.id == item_id)))
        db.session.commit()
        return {"message": "Item deleted."}
