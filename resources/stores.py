"""Stores: anyone may read them; a logged-in user creates one and owns it."""

from typing import cast

from flask import jsonify
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import abort
from flask_smorest.error_handler import ErrorSchema
from sqlalchemy import CursorResult, delete

from db import db
from models import Store
from schemas import ListArgsSchema, MessageSchema, StoreCreateSchema, StoreSchema
from security.access import check_owner, owner_only, protected
from web import errors, lists, reads
from web.bodies import Blueprint

blp = Blueprint("stores", __name__, description="Stores, each owned by its creator")


@blp.route("/store")
class StoreList(MethodView):
    @blp.arguments(ListArgsSchema, location="query")
    @blp.response(200, StoreSchema(many=True), headers=lists.HEADERS)
    def get(self, args):
        """List stores with their items and tags"""
        body, headers = reads.store_page(args)
        return jsonify(body), 200, headers

    @protected(blp)
    @blp.arguments(StoreCreateSchema)
    @blp.response(201, StoreSchema)
    @blp.alt_response(
        400,
        schema=ErrorSchema,
        description="A store with that name already exists, or the body is not valid JSON",
        example=errors.conflict_example("stores"),
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
        return jsonify(reads.store(store_id))

    @protected(blp, fresh=True)
    @blp.response(200, MessageSchema)
    @owner_only(blp, missing="No such store")
    def delete(self, store_id):
        """Delete a store (owner, fresh token) with its items, tags and links"""
        check_owner(db.session.get(Store, store_id) or abort(404))
        # Its items, tags and links go with it (ON DELETE CASCADE); 404 if it went first.
        deleted = db.session.execute(delete(Store).where(Store.id == store_id))
        if cast(CursorResult, deleted).rowcount == 0:
            abort(404)
        db.session.commit()
        return {"message": "Store deleted"}
