"""Stores: anyone may read them; a logged-in user creates one and owns it."""

from flask import jsonify
from flask.views import MethodView
from flask_smorest import abort

import reads
from auth import check_owner, current_user, protected
from db import db
from errors import ErrorSchema, json_body_errors
from models import Store
from pagination import PAGINATION, Blueprint
from schemas import AuthErrorSchema, MessageSchema, StoreSchema

blp = Blueprint("stores", __name__, description="Stores, each owned by its creator")


@blp.route("/store")
class StoreList(MethodView):
    @blp.response(200, StoreSchema(many=True))
    @blp.paginate(**PAGINATION)
    def get(self, pagination_parameters):
        """List stores with their items and tags"""
        return jsonify(reads.store_page(pagination_parameters))

    @protected(blp)
    @blp.arguments(StoreSchema)
    @json_body_errors(blp)
    @blp.response(201, StoreSchema)
    @blp.alt_response(
        400,
        schema=ErrorSchema,
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
        return jsonify(reads.store(store_id))

    @protected(blp, fresh=True)
    @blp.response(200, MessageSchema)
    @blp.alt_response(403, schema=AuthErrorSchema, description="Not the owner")
    @blp.alt_response(404, schema=ErrorSchema, description="No such store")
    def delete(self, store_id):
        """Delete a store (owner, fresh token) with its items, tags and links"""
        store = db.session.get(Store, store_id) or abort(404)
        check_owner(store)
        db.session.delete(store)
        db.session.commit()
        return {"message": "Store deleted"}
