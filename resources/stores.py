"""Stores: anyone may read them; a logged-in user creates one and owns it."""

from typing import cast

from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import abort
from flask_smorest.error_handler import ErrorSchema
from sqlalchemy import CursorResult, delete

from db import db
from models import Store
from queries import stores
from schemas import ListArgsSchema, MessageSchema, StoreCreateSchema, StoreSchema
from web import lists
from web.blueprint import Blueprint

blp = Blueprint("stores", __name__, description="Stores, each owned by its creator")


@blp.route("/store")
class StoreList(MethodView):
    @blp.arguments(ListArgsSchema, location="query")
    @blp.response(200, StoreSchema(many=True), headers=lists.HEADERS)
    def get(self, args):
        """List stores with their items and tags"""
        return stores.store_page(args)

    @blp.login_required()
    @blp.arguments(StoreCreateSchema)
    @blp.response(201, StoreSchema)
    @blp.conflict(
        400,
        "A store with that name already exists.",
        description="A store with that name already exists, or the body is not valid JSON",
    )
    def post(self, data):
        """Create a store owned by the caller"""
        store = Store(name=data["name"], owner_id=current_user.id, items=[], tags=[])
        db.session.add(store)
        db.session.commit()
        return store


@blp.route("/store/<id:store_id>")
class StoreById(MethodView):
    @blp.response(200, StoreSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such store")
    def get(self, store_id):
        """A store with its items and tags"""
        return stores.store_body(store_id)

    @blp.login_required(fresh=True)
    @blp.response(200, MessageSchema)
    @blp.owner_required(Store, "store_id", missing="No such store")
    def delete(self, store_id):
        """Delete a store (owner, fresh token) with its items, tags and links"""
        # Its items, tags and links go with it (ON DELETE CASCADE); 404 if it went first.
        deleted = db.session.execute(delete(Store).where(Store.id == store_id))
        if cast(CursorResult, deleted).rowcount == 0:
            abort(404)
        db.session.commit()
        return {"message": "Store deleted"}
