"""Stores: anyone may read them; a logged-in user creates one and owns it."""

from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from auth import check_owner, current_user, protected
from db import db
from errors import ErrorSchema, json_body_errors
from models import Store
from pagination import PAGINATION, Blueprint, paginate
from schemas import AuthErrorSchema, MessageSchema, StoreSchema

blp = Blueprint("stores", __name__, description="Stores, each owned by its creator")

WITH_RELATIONS = (selectinload(Store.items), selectinload(Store.tags))


@blp.route("/store")
class StoreList(MethodView):
    @blp.response(200, StoreSchema(many=True))
    @blp.paginate(**PAGINATION)
    def get(self, pagination_parameters):
        """List stores with their items and tags"""
        stmt = select(Store).options(*WITH_RELATIONS).order_by(Store.id)
        return paginate(stmt, pagination_parameters)

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
        return db.session.get(Store, store_id, options=WITH_RELATIONS) or abort(404)

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
