"""Who may call what: the decorators views put on themselves, and the owner and
admin checks. Each also documents its error responses in the OpenAPI spec, so a
view's decorators are its whole access story."""

from flask_jwt_extended import current_user, get_jwt, jwt_required
from flask_smorest import Blueprint, abort
from flask_smorest.error_handler import ErrorSchema
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from db import db
from schemas import AuthErrorSchema
from security.errors import AUTHORIZATION_REQUIRED, FORBIDDEN, admin_required, forbidden
from web.errors import conflict_example
from web.openapi import ACCESS_SECURITY, REFRESH_SECURITY


def protected(blp: Blueprint, *, fresh: bool = False, refresh: bool = False, check=None):
    """jwt_required (or `check`, a decorator that does its work), plus the OpenAPI
    security requirement (the refresh token's scheme for refresh=True) and 401 response.
    The token comes from the Authorization header or, without one, from the cookies
    (cookie mode, security/cookies.py)."""

    def decorator(fn):
        fn = blp.alt_response(
            401,
            schema=AuthErrorSchema,
            description="Missing, invalid, expired or revoked token",
            example=AUTHORIZATION_REQUIRED,
        )(fn)
        fn = blp.doc(security=REFRESH_SECURITY if refresh else ACCESS_SECURITY)(fn)
        return (check or jwt_required(fresh=fresh, refresh=refresh))(fn)

    return decorator


def owner_only(blp: Blueprint, missing: str, conflict: str | None = None):
    """The responses every write inside a store can get: 403 for anyone but its owner
    (or an admin), 404 for what does not exist, and 409 where a name must be unique
    (`conflict` names the table whose unique name it is, as web/errors.py does)."""

    def decorator(fn):
        fn = blp.alt_response(
            403, schema=AuthErrorSchema, description="Not the store's owner", example=FORBIDDEN
        )(fn)
        fn = blp.alt_response(404, schema=ErrorSchema, description=missing)(fn)
        if conflict:
            fn = blp.alt_response(
                409,
                schema=ErrorSchema,
                description=conflict_example(conflict)["message"],
                example=conflict_example(conflict),
            )(fn)
        return fn

    return decorator


def is_admin() -> bool:
    return bool(get_jwt().get("is_admin"))


def check_owner(store) -> None:
    """Only the store's owner or an admin may change it or anything in it."""
    if store.owner_id != current_user.id and not is_admin():
        forbidden()


def owned(model, id: int, *, lock: bool = False):
    """The item or tag `id`, if it exists (404) and the caller owns its store (403).

    It is read with its store in one statement, so a store deleted meanwhile is a
    missing row (404), not a missing owner. `lock` takes the row FOR UPDATE on
    PostgreSQL, so nothing can link to it until the transaction ends."""
    query = select(model).join(model.store).options(contains_eager(model.store))
    if lock:
        query = query.with_for_update(of=model)
    row = db.session.execute(query.where(model.id == id)).scalar_one_or_none() or abort(404)
    check_owner(row.store)
    return row


def check_self_or_admin(user_id: int) -> None:
    """403 for anyone else's id, existing or not, so ids cannot be probed."""
    if current_user.id != user_id and not is_admin():
        admin_required()
