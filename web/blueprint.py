"""The API's Blueprint. Each of its decorators enforces a rule and documents it in the
OpenAPI document in one step (BEMServer's pattern), so no view can carry the
documentation of a check it does not make, or make a check its document does not name.

    @blp.login_required(fresh=True)       # 401 unless a (fresh) access token: jwt_required
    @blp.arguments(...) / @blp.response(...)
    @blp.conflict(409, "...")             # a unique rule this view's write may break
    @blp.owner_required(Item, "item_id")  # 404 / 403 before the view runs: get_owned_or_404

`owner_required` goes last (nearest the function), so it sees the parsed body when the
id it checks comes from there (POST /item's `store_id`)."""

import functools
from collections.abc import Callable, Mapping

import flask_smorest
from flask_jwt_extended import current_user, get_jwt, jwt_required
from flask_smorest import abort
from flask_smorest.error_handler import ErrorSchema
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from db import db
from schemas import AuthErrorSchema
from web.bodies import JsonBodyParser
from web.errors import (
    ADMIN_REQUIRED,
    AUTHORIZATION_REQUIRED,
    FORBIDDEN,
    admin_required,
    body,
    forbidden,
    is_unique_violation,
)
from web.openapi import ACCESS_SECURITY, REFRESH_SECURITY


def is_admin() -> bool:
    return bool(get_jwt().get("is_admin"))


def get_owned_or_404(model, id: int, *, lock: bool = False):
    """The store, item or tag `id`, read with its store in one statement, so a store
    deleted meanwhile is a missing row rather than a missing owner.

    :raise 404: no such row.
    :raise 403: the caller neither owns its store nor is an admin.
    `lock` takes the row FOR UPDATE on PostgreSQL: nothing links to it until the
    transaction ends."""
    query = select(model).where(model.id == id)
    if hasattr(model, "store"):
        query = query.join(model.store).options(contains_eager(model.store))
    if lock:
        query = query.with_for_update(of=model)
    row = db.session.execute(query).scalar_one_or_none() or abort(404)
    if getattr(row, "store", row).owner_id != current_user.id and not is_admin():
        forbidden()
    return row


def argument(key: str, args: tuple, kwargs: dict):
    """A view's URL variable `key`, or else the field `key` of its parsed body."""
    if key in kwargs:
        return kwargs[key]
    return next(arg for arg in args if isinstance(arg, Mapping))[key]


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, reading JSON bodies through JsonBodyParser, with
    decorators that check and document at once."""

    ARGUMENTS_PARSER = JsonBodyParser()

    def login_required(self, *, fresh: bool = False, refresh: bool = False, check=None):
        """jwt_required (or `check`, a decorator that does that work its own way), with
        the security requirement (the refresh token's scheme for refresh=True) and the
        401 it answers. The token comes from the Authorization header or, without one,
        from the cookies (cookie mode, security/cookies.py)."""

        def decorator(fn: Callable) -> Callable:
            fn = self.alt_response(
                401,
                schema=AuthErrorSchema,
                description="Missing, invalid, expired or revoked token",
                example=AUTHORIZATION_REQUIRED,
            )(fn)
            fn = self.doc(security=REFRESH_SECURITY if refresh else ACCESS_SECURITY)(fn)
            return (check or jwt_required(fresh=fresh, refresh=refresh))(fn)

        return decorator

    def owner_required(self, model, key: str, *, missing: str, lock: bool = False):
        """404 unless the `model` row that `key` names (a URL variable, else a body
        field) exists, 403 unless the caller owns its store or is an admin."""

        def decorator(fn: Callable) -> Callable:
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                get_owned_or_404(model, argument(key, args, kwargs), lock=lock)
                return fn(*args, **kwargs)

            wrapper = self.alt_response(
                403, schema=AuthErrorSchema, description="Not the store's owner", example=FORBIDDEN
            )(wrapper)
            return self.alt_response(404, schema=ErrorSchema, description=missing)(wrapper)

        return decorator

    def self_or_admin(self, key: str = "user_id", *, missing: str):
        """403 for anyone but user `key` or an admin, before the view looks the user up,
        so ids cannot be probed; 404 (`missing`) is then for admins only."""

        def decorator(fn: Callable) -> Callable:
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                if current_user.id != kwargs[key] and not is_admin():
                    admin_required()
                return fn(*args, **kwargs)

            wrapper = self.alt_response(
                403,
                schema=AuthErrorSchema,
                description="Not yourself, not an admin",
                example=ADMIN_REQUIRED,
            )(wrapper)
            return self.alt_response(404, schema=ErrorSchema, description=missing)(wrapper)

        return decorator

    def conflict(self, status: int, message: str, *, description: str | None = None):
        """A unique rule the view's write may break (checked by the database, so two
        racing requests get what two sequential ones would): answered `status` with
        `message`, after a rollback."""

        def decorator(fn: Callable) -> Callable:
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                try:
                    return fn(*args, **kwargs)
                except IntegrityError as error:
                    if not is_unique_violation(error):
                        raise  # web/errors.py answers the rest
                    db.session.rollback()
                    abort(status, message=message)

            return self.alt_response(
                status,
                schema=ErrorSchema,
                description=description or message,
                example=body(status, message),
            )(wrapper)

        return decorator
