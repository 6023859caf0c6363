"""The attack suite: each attack an OWASP ASVS 5.0 / API Security Top 10 reader would
try on this API, one case each, answered with the contract's exact status and body."""

import base64
import json
import re

import pytest

import security.sessions
from app import create_app
from db import db
from models import Item, Store, Tag, User
from security import passwords
from tests.conftest import (
    ADMIN_REQUIRED,
    EXPIRED,
    FORBIDDEN,
    INVALID,
    MISSING,
    PASSWORD,
    SECRET,
    bearer,
    decode,
    forge,
    make_item,
    make_store,
    make_tag,
    now,
)

SQL_LOOKING = [
    "' OR 1=1 --",
    '"; DROP TABLE users; --',
    "'); DELETE FROM stores; --",
    "1; SELECT pg_sleep(5)",
    "admin'/*",
    "%' UNION SELECT password FROM users --",
]


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def assert_401(response, body):
    assert response.status_code == 401, response.json
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.is_json
    assert response.json == body


def my_info(client, token):
    return client.get("/my-info", headers=bearer(token))


@pytest.fixture
def token(auth):
    """A live access token of alice; its claims name a real login session."""
    return auth.tokens()["access_token"]


# --- forged and broken tokens ----------------------------------------------------------


def test_genuine_token_works(client, token):
    """The baseline every attack below is measured against."""
    assert my_info(client, token).status_code == 200


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_unsigned(client, token, alg):
    unsigned = f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(decode(token))}."
    assert_401(my_info(client, unsigned), INVALID)


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_keeping_the_signature(client, token, alg):
    signature = token.split(".")[2]
    forged = f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(decode(token))}.{signature}"
    assert_401(my_info(client, forged), INVALID)


@pytest.mark.parametrize("strip", ["{h}.{p}.", "{h}.{p}"])
def test_stripped_signature(client, token, strip):
    header, payload, _ = token.split(".")
    assert_401(my_info(client, strip.format(h=header, p=payload)), INVALID)


def test_swapped_signature(client, auth, token):
    """Alice's header and claims with the (valid) signature of Bob's token."""
    bob = auth.tokens("bob")["access_token"]
    header, payload, _ = token.split(".")
    assert_401(my_info(client, f"{header}.{payload}.{bob.split('.')[2]}"), INVALID)


def test_tampered_payload_is_admin(client, auth, token):
    bob_id = my_info(client, auth.tokens("bob")["access_token"]).json["id"]
    header, _, signature = token.split(".")
    tampered = f"{header}.{b64({**decode(token), 'is_admin': True})}.{signature}"
    assert_401(my_info(client, tampered), INVALID)
    assert_401(client.get(f"/user/{bob_id}", headers=bearer(tampered)), INVALID)
    assert_401(client.delete(f"/user/{bob_id}", headers=bearer(tampered)), INVALID)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("weak", ["secret", "password", "changeme", "jwt-secret"])
def test_token_signed_with_guessable_secret(client, token, weak):
    forged = forge({**decode(token), "is_admin": True}, key=weak)
    assert_401(my_info(client, forged), INVALID)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_other_hmac_algorithm_with_the_right_key(client, token, algorithm):
    assert_401(my_info(client, forge(decode(token), algorithm=algorithm)), INVALID)


def test_refresh_token_as_access_token(client, auth):
    refresh_token = auth.tokens()["refresh_token"]
    assert_401(my_info(client, refresh_token), INVALID)
    assert_401(client.post("/store", json={"name": "Shop"}, headers=bearer(refresh_token)), INVALID)


def test_expired_token(client, token):
    expired = forge(decode(token), iat=now() - 120, nbf=now() - 120, exp=now() - 60)
    assert_401(my_info(client, expired), EXPIRED)


def test_not_yet_valid_token(client, token):
    early = forge(decode(token), nbf=now() + 3600, exp=now() + 7200)
    assert_401(my_info(client, early), INVALID)


def test_issued_in_the_future_is_still_checked_by_signature(client, token):
    """A future `iat` with a wrong key: the signature answers, whatever the claims say."""
    forged = forge(decode(token), key=SECRET[::-1], iat=now() + 3600)
    assert_401(my_info(client, forged), INVALID)


@pytest.mark.parametrize("kind", ["padded claims", "junk"])
def test_20_kb_token(client, token, kind):
    if kind == "padded claims":
        huge = forge({**decode(token), "pad": "A" * 20_000}, key=SECRET[::-1])
    else:
        huge = "a" * 20_000
    assert len(huge) >= 20_000
    assert_401(my_info(client, huge), INVALID)


@pytest.mark.parametrize(
    ("header", "body"),
    [
        ("Bearer", INVALID),
        ("Bearer ", INVALID),
        ("Bearer a.b", INVALID),
        ("Bearer a.b.c", INVALID),
        ("Bearer ....", INVALID),
        ("Bearer garbage", INVALID),
        ("Bearer Bearer x.y.z", INVALID),
        ("Bearer \u00e9\u00e8.\u00e0.\u00fc", INVALID),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.e30.", INVALID),
        ("Basic YWxpY2U6cGFzc3dvcmQ=", MISSING),
        ("Basic x", MISSING),  # no bearer token at all
        ("Token abc.def.ghi", MISSING),
        ("bearer", MISSING),
        ("", MISSING),
    ],
)
def test_malformed_authorization_header(client, header, body):
    assert_401(client.get("/my-info", headers={"Authorization": header}), body)


def test_two_bearer_tokens(client, token):
    """A forged token next to a genuine one does not slip through: the request carries
    no single bearer token, so it carries none."""
    for header in (f"Bearer x.y.z, Bearer {token}", f"Bearer {token}, Bearer x.y.z"):
        assert_401(client.get("/my-info", headers={"Authorization": header}), MISSING)


# --- someone else's things (BOLA / BFLA) ---------------------------------------------


@pytest.fixture
def alice_shop(client, auth):
    """Alice's store with an item linked to a tag, and an unlinked tag."""
    headers = auth.headers("alice")
    store = make_store(client, headers, "Alice's")
    item = make_item(client, headers, store["id"])
    tag = make_tag(client, headers, store["id"])
    spare = make_tag(client, headers, store["id"], name="Spare")
    assert client.post(f"/item/{item['id']}/tag/{tag['id']}", headers=headers).status_code == 201
    alice_id = client.get("/my-info", headers=headers).json["id"]
    return {"store": store, "item": item, "tag": tag, "spare": spare, "alice_id": alice_id}


@pytest.fixture
def mallory(auth):
    return auth.headers("mallory")


def assert_forbidden(response, body=FORBIDDEN):
    assert response.status_code == 403, response.json
    assert response.json == body


def test_other_users_store_delete(app, client, alice_shop, mallory):
    assert_forbidden(client.delete(f"/store/{alice_shop['store']['id']}", headers=mallory))
    with app.app_context():
        assert db.session.get(Store, alice_shop["store"]["id"]) is not None


def test_other_users_store_new_item(app, client, alice_shop, mallory):
    body = {"name": "Planted", "price": 0, "store_id": alice_shop["store"]["id"]}
    assert_forbidden(client.post("/item", json=body, headers=mallory))
    with app.app_context():
        assert db.session.execute(db.select(Item).filter_by(name="Planted")).first() is None


def test_other_users_item_update(app, client, alice_shop, mallory):
    item_id = alice_shop["item"]["id"]
    assert_forbidden(client.put(f"/item/{item_id}", json={"price": 0}, headers=mallory))
    with app.app_context():
        assert db.session.get(Item, item_id).price == alice_shop["item"]["price"]


def test_other_users_item_delete(app, client, alice_shop, mallory):
    item_id = alice_shop["item"]["id"]
    assert_forbidden(client.delete(f"/item/{item_id}", headers=mallory))
    with app.app_context():
        assert db.session.get(Item, item_id) is not None


def test_other_users_store_new_tag(client, alice_shop, mallory):
    store_id = alice_shop["store"]["id"]
    assert_forbidden(client.post(f"/store/{store_id}/tag", json={"name": "Mine"}, headers=mallory))
    assert [tag["name"] for tag in client.get(f"/store/{store_id}/tag").json] == [
        "Furniture",
        "Spare",
    ]


def test_other_users_tag_delete(app, client, alice_shop, mallory):
    tag_id = alice_shop["spare"]["id"]
    assert_forbidden(client.delete(f"/tag/{tag_id}", headers=mallory))
    with app.app_context():
        assert db.session.get(Tag, tag_id) is not None


def test_other_users_item_tag_link(client, alice_shop, mallory):
    item_id, spare_id = alice_shop["item"]["id"], alice_shop["spare"]["id"]
    assert_forbidden(client.post(f"/item/{item_id}/tag/{spare_id}", headers=mallory))
    assert client.get(f"/tag/{spare_id}").json["items"] == []


def test_other_users_item_tag_unlink(client, alice_shop, mallory):
    item_id, tag_id = alice_shop["item"]["id"], alice_shop["tag"]["id"]
    assert_forbidden(client.delete(f"/item/{item_id}/tag/{tag_id}", headers=mallory))
    assert [item["id"] for item in client.get(f"/tag/{tag_id}").json["items"]] == [item_id]


def test_other_users_record_read(client, alice_shop, mallory):
    response = client.get(f"/user/{alice_shop['alice_id']}", headers=mallory)
    assert_forbidden(response, ADMIN_REQUIRED)


def test_other_users_record_delete(app, client, alice_shop, mallory):
    response = client.delete(f"/user/{alice_shop['alice_id']}", headers=mallory)
    assert_forbidden(response, ADMIN_REQUIRED)
    with app.app_context():
        assert db.session.get(User, alice_shop["alice_id"]) is not None


@pytest.mark.parametrize("user_id", [999_999, 2**31 - 1])
def test_probing_user_ids(client, alice_shop, mallory, user_id):
    """An id that does not exist looks exactly like somebody else's."""
    assert_forbidden(client.get(f"/user/{user_id}", headers=mallory), ADMIN_REQUIRED)


# --- mass assignment -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"is_admin": True}, "is_admin"),
        ({"id": 1}, "id"),
        ({"id": 1, "is_admin": True}, "is_admin"),
    ],
)
def test_mass_assignment_at_register(app, client, extra, field):
    body = {"username": "eve", "password": PASSWORD, **extra}
    response = client.post("/register", json=body)
    assert response.status_code == 422, response.json
    assert response.json["code"] == 422
    assert field in response.json["errors"]["json"]
    with app.app_context():
        assert db.session.execute(db.select(User).filter_by(username="eve")).first() is None


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"id": 1}, "id"),
        ({"owner_id": 1}, "owner_id"),
        ({"is_admin": True}, "is_admin"),
        ({"items": [{"name": "x", "price": 1}]}, "items"),
    ],
)
def test_mass_assignment_at_store(app, client, auth, extra, field):
    response = client.post("/store", json={"name": "Shop", **extra}, headers=auth.headers())
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["json"]
    with app.app_context():
        assert db.session.execute(db.select(Store)).first() is None


def test_mass_assignment_at_item(client, auth):
    headers = auth.headers()
    store = make_store(client, headers)
    body = {"name": "Chair", "price": 1, "store_id": store["id"], "id": 5}
    response = client.post("/item", json=body, headers=headers)
    assert response.status_code == 422
    assert "id" in response.json["errors"]["json"]
    item = make_item(client, headers, store["id"])
    response = client.put(f"/item/{item['id']}", json={"store_id": 99}, headers=headers)
    assert response.status_code == 422
    assert "store_id" in response.json["errors"]["json"]


def test_token_is_admin_follows_the_database_not_the_request(client, auth):
    """Nothing a client sends makes it an admin: the claim comes from the column."""
    client.post("/register", json={"username": "eve", "password": PASSWORD, "is_admin": True})
    tokens = auth.tokens("eve")
    assert decode(tokens["access_token"])["is_admin"] is False
    assert my_info(client, tokens["access_token"]).json["is_admin"] is False


# --- SQL-looking input -------------------------------------------------------------------


@pytest.mark.parametrize("text", SQL_LOOKING)
def test_sql_looking_username_and_password(app, client, auth, text):
    username = f"u{text}"[:80]
    password = f"{text}{PASSWORD}"
    assert auth.register(username, password).status_code == 201
    tokens = auth.tokens(username, password)
    info = my_info(client, tokens["access_token"]).json
    assert info["username"] == username
    # The injection does not log anybody in: a wrong password is still wrong.
    wrong = client.post("/login", json={"username": username, "password": text})
    assert_401(wrong, {"message": "Invalid credentials."})
    unknown = client.post("/login", json={"username": text, "password": text})
    assert_401(unknown, {"message": "Invalid credentials."})
    # Password change with SQL-looking values in both fields.
    headers = bearer(tokens["access_token"])
    body = {"current_password": text, "new_password": f"{PASSWORD}{text}"}
    assert_401(
        client.put("/my-info/password", json=body, headers=headers),
        {"message": "Invalid credentials."},
    )
    body = {"current_password": password, "new_password": f"{PASSWORD}{text}"}
    assert client.put("/my-info/password", json=body, headers=headers).status_code == 200
    assert auth.login(username, f"{PASSWORD}{text}").status_code == 200
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(User.id))).scalar_one() == 1


@pytest.mark.parametrize("text", SQL_LOOKING)
def test_sql_looking_catalogue_names(client, auth, text):
    headers = auth.headers()
    store = make_store(client, headers, text)
    assert store["name"] == text
    item = make_item(client, headers, store["id"], name=text)
    assert item["name"] == text
    tag = make_tag(client, headers, store["id"], name=text)
    assert tag["name"] == text
    renamed = client.put(f"/item/{item['id']}", json={"name": f"{text} 2"}, headers=headers)
    assert renamed.status_code == 200
    assert renamed.json["name"] == f"{text} 2"
    fetched = client.get(f"/store/{store['id']}").json
    assert fetched["name"] == text
    assert [i["name"] for i in fetched["items"]] == [f"{text} 2"]
    assert [t["name"] for t in fetched["tags"]] == [text]
    assert [s["name"] for s in client.get("/store").json] == [text]
    # A second store with the same literal name is a duplicate, not a query.
    again = client.post("/store", json={"name": text}, headers=headers)
    assert again.status_code == 400
    assert again.json["message"] == "A store with that name already exists."


@pytest.mark.parametrize("text", SQL_LOOKING)
def test_sql_looking_query_and_path(client, auth, text):
    response = client.get("/item", query_string={"store_id": text})
    assert response.status_code == 422
    assert "store_id" in response.json["errors"]["query"]
    assert client.get("/item", query_string={"page": text}).status_code == 422
    response = client.get(f"/store/{text}")
    assert response.status_code == 404
    assert response.is_json


def test_nul_byte_in_every_string_field(app, client, auth):
    """PostgreSQL text cannot hold NUL: every stored string field refuses it with 422,
    as a control character; a login's username is only checked for NUL."""
    headers = auth.headers()
    store = make_store(client, headers)
    item = make_item(client, headers, store["id"])
    attempts = [
        ("post", "/register", {"username": "ev\x00e", "password": PASSWORD}, "username"),
        ("post", "/login", {"username": "ali\x00ce", "password": PASSWORD}, "username"),
        ("post", "/store", {"name": "Sh\x00op"}, "name"),
        ("post", "/item", {"name": "a\x00", "price": 1, "store_id": store["id"]}, "name"),
        ("put", f"/item/{item['id']}", {"name": "a\x00"}, "name"),
        ("put", f"/item/{item['id']}", {"description": "a\x00"}, "description"),
        ("post", f"/store/{store['id']}/tag", {"name": "\x00"}, "name"),
    ]
    for method, path, body, field in attempts:
        response = getattr(client, method)(path, json=body, headers=headers)
        assert response.status_code == 422, (path, response.json)
        nul = "NUL" if path == "/login" else "control"
        assert response.json["errors"]["json"][field] == [f"Must not contain {nul} characters."]


# --- CORS --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/store"), ("DELETE", "/store/1"), ("GET", "/my-info"), ("PUT", "/item/1")],
)
def test_cors_preflight_with_authorization(client, method, path):
    response = client.options(
        path,
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://shop.example")
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed
    assert method in response.headers["Access-Control-Allow-Methods"]
    # Tokens travel in a header, never in cookies: no credentials mode.
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_cors_actual_request_exposes_pagination(client, auth):
    response = client.get("/store", headers={"Origin": "https://shop.example"})
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://shop.example")
    assert "X-Pagination" in response.headers["Access-Control-Expose-Headers"]


# --- passwords ---------------------------------------------------------------------------


ARGON2 = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$")


def test_production_argon2id_parameters(tmp_path):
    """Without the tests' cheap overrides, hashes meet OWASP's argon2id minimum."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.db'}",
            "JWT_SECRET_KEY": SECRET,
        }
    )
    with app.app_context():
        hashed = passwords.hash_password("correct horse battery staple")
        ok, upgrade = passwords.verify_password("correct horse battery staple", hashed)
    match = ARGON2.match(hashed)
    assert match, hashed
    memory, time_cost, parallelism = map(int, match.groups())
    assert memory >= 19_456
    assert time_cost >= 2
    assert parallelism >= 1
    assert ok
    assert upgrade is None


def test_hash_keeps_every_character(app):
    """No truncation: passwords that differ only past byte 72 (bcrypt's limit) differ."""
    base = "p" * 100
    with app.app_context():
        hashed = passwords.hash_password(base + "a")
        assert passwords.verify_password(base + "a", hashed)[0]
        assert not passwords.verify_password(base + "b", hashed)[0]


class CountingContext:
    """The app's CryptContext, counting what it verifies."""

    def __init__(self, context):
        self.context = context
        self.verified = []

    def verify(self, secret, hash, **kwargs):
        self.verified.append(hash)
        return self.context.verify(secret, hash, **kwargs)

    def verify_and_update(self, secret, hash, **kwargs):
        self.verified.append(hash)
        return self.context.verify_and_update(secret, hash, **kwargs)

    def __getattr__(self, name):
        return getattr(self.context, name)


def test_login_with_unknown_user_still_verifies_a_password(app, client, auth, monkeypatch):
    auth.register()
    calls = []
    original = security.sessions.verify_password

    def counting_verify(password, stored_hash):
        calls.append(stored_hash)
        return original(password, stored_hash)

    monkeypatch.setattr(security.sessions, "verify_password", counting_verify)
    context, dummy_hash = app.extensions["passwords"]
    counting = CountingContext(context)
    monkeypatch.setitem(app.extensions, "passwords", (counting, dummy_hash))

    unknown = client.post("/login", json={"username": "nobody", "password": PASSWORD})
    assert_401(unknown, {"message": "Invalid credentials."})
    assert calls == [None]
    assert counting.verified == [dummy_hash]  # a real argon2id verification ran

    wrong = client.post("/login", json={"username": "alice", "password": "wrong password"})
    assert_401(wrong, {"message": "Invalid credentials."})
    assert len(calls) == 2
    assert calls[1] is not None
    assert len(counting.verified) == 2
    assert counting.verified[1] != dummy_hash


def test_dummy_hash_costs_what_a_real_one_does(app, auth):
    """The dummy hash is made with the same parameters as users' hashes."""
    auth.register()
    _, dummy_hash = app.extensions["passwords"]
    with app.app_context():
        real = db.session.execute(db.select(User.password)).scalar_one()
    assert ARGON2.match(dummy_hash).groups() == ARGON2.match(real).groups()


# --- oversized and malformed bodies --------------------------------------------------------


def test_body_over_1_mib(client, auth):
    headers = {**auth.headers(), "Content-Type": "application/json"}
    body = b'{"name": "' + b"a" * (1024 * 1024) + b'"}'
    response = client.post("/store", data=body, headers=headers)
    assert response.status_code == 413
    assert response.is_json
    assert response.json["code"] == 413


@pytest.mark.parametrize("body", [b"{", b'{"name": }', b"\xff\xfe", b"[1, 2"])
def test_malformed_json(client, auth, body):
    headers = {**auth.headers(), "Content-Type": "application/json"}
    response = client.post("/store", data=body, headers=headers)
    assert response.status_code == 400
    assert response.is_json
    assert response.json["code"] == 400
