"""Baseline: the least code that does the API's two hottest reads on PostgreSQL (issue 26),
served by gunicorn with the same settings, so run.py can show how much of a read our own
layers cost beyond the work itself.

- `GET /store/<id>`: one `json_build_object` statement builds the store with its first
  100 items (id, name, price) and first 100 tags (id, name), the same JSON the API
  returns, and its text is the body as PostgreSQL wrote it.
- `GET /my-info`: PyJWT's HS256 decode of the Bearer token (JWT_SECRET_KEY), then one
  primary-key `SELECT` of the token's login session joined to its user, as the API's
  revocation check does; the row is the body.

Flask and psycopg, one connection per worker (opened on its first request, after the fork),
in autocommit as the API's reads are. Nothing else: no limits, logs, CORS or pool."""

import os

import jwt
import psycopg
from flask import Flask, Response, abort, request

app = Flask(__name__)
SECRET = os.environ["JWT_SECRET_KEY"]
AUDIENCE, ISSUER = (os.environ.get(name, "stores-api") for name in ("JWT_AUDIENCE", "JWT_ISSUER"))
DSN = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1)
connection: psycopg.Connection | None = None

STORE = """
SELECT json_build_object(
  'id', s.id,
  'items', COALESCE((SELECT json_agg(json_build_object('id', i.id, 'name', i.name,
                                                       'price', i.price) ORDER BY i.id)
                     FROM (SELECT id, name, price FROM items WHERE store_id = s.id
                           ORDER BY id LIMIT 100) AS i), '[]'),
  'name', s.name,
  'owner_id', s.owner_id,
  'tags', COALESCE((SELECT json_agg(json_build_object('id', t.id, 'name', t.name) ORDER BY t.id)
                    FROM (SELECT id, name FROM tags WHERE store_id = s.id
                          ORDER BY id LIMIT 100) AS t), '[]')
)::text
FROM stores AS s WHERE s.id = %s
"""
MY_INFO = """
SELECT json_build_object(
  'email', u.email, 'email_pending', u.email_pending, 'email_verified', u.email_verified,
  'id', u.id, 'is_admin', u.is_admin, 'mfa_enabled', u.mfa_enabled, 'username', u.username
)::text
FROM login_sessions AS s JOIN users AS u ON u.id = s.user_id
WHERE s.id = %s AND u.id = %s
"""


def one(sql: str, params: tuple) -> str | None:
    global connection
    if connection is None:
        connection = psycopg.connect(DSN, autocommit=True)
    row = connection.execute(sql, params).fetchone()
    return row[0] if row else None


def body(text: str | None) -> Response:
    if text is None:
        abort(404)
    return Response(text + "\n", mimetype="application/json")


@app.get("/store/<int:store_id>")
def store(store_id: int):
    return body(one(STORE, (store_id,)))


@app.get("/my-info")
def my_info():
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    try:
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER)
    except jwt.InvalidTokenError:
        abort(401)
    if scheme != "Bearer" or claims.get("type") != "access":
        abort(401)
    return body(one(MY_INFO, (claims["sid"], int(claims["sub"]))))
