"""The codebase stays changeable: no reaching into other libraries' private names, and
the app starts under the settings other people's test suites and operators use."""

import ast
import importlib
import re
import sys
from pathlib import Path

import pytest

import resources
from app import create_app
from db import db
from tests.conftest import PASSWORD, REDIS_URL, SECRET

ROOT = Path(__file__).resolve().parent.parent
SKIP = {"tests", "migrations", ".venv", "node_modules"}
PROJECT = {p.stem for p in ROOT.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}


def project_files() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*.py")
        if not SKIP & set(path.relative_to(ROOT).parts[:-1]) and "node_modules" not in path.parts
    ]


def private_uses(tree: ast.AST) -> list[str]:
    """`x._name` where x is not self/cls, and `from lib import _name` of other libraries."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if not node.attr.startswith("__") and owner not in ("self", "cls"):
                found.append(f"{ast.unparse(node)} (line {node.lineno})")
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] not in PROJECT:
            found += [f"from {node.module} import {a.name}" for a in node.names if a.name[0] == "_"]
    return found


def test_no_private_names_of_other_libraries():
    files = project_files()
    assert len(files) > 20
    uses = {str(p.relative_to(ROOT)): private_uses(ast.parse(p.read_text())) for p in files}
    assert {path: found for path, found in uses.items() if found} == {}


def make(tmp_path, **settings):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", "JWT_SECRET_KEY": SECRET}
        | settings
    )
    with app.app_context():
        db.create_all()
    return app


def walk_through(app) -> None:
    """Register, log in, create a store: the app works end to end."""
    client = app.test_client()
    user = {"username": "course", "password": PASSWORD}
    assert client.post("/register", json=user).status_code == 201
    token = client.post("/login", json=user).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/store", json={"name": "S"}, headers=headers).status_code == 201
    with app.app_context():
        db.engine.dispose()


def test_flask_limiters_own_switch_turns_limits_off(tmp_path):
    app = make(tmp_path, RATELIMIT_ENABLED=False, RATELIMIT_LOGIN_FAILURES="1 per minute")
    client = app.test_client()
    wrong = {"username": "nobody", "password": "wrong password"}
    assert [client.post("/login", json=wrong).status_code for _ in range(3)] == [401] * 3
    walk_through(app)


def test_the_course_suites_usual_config(tmp_path):
    """What the classic course's conftest passes: an in-memory database, TESTING."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "PROPAGATE_EXCEPTIONS": True,
            "JWT_SECRET_KEY": SECRET,
        }
    )
    with app.app_context():
        db.create_all()
    walk_through(app)


# A value other than the default for every variable in the README's Settings table.
NON_DEFAULT = {
    "DATABASE_URL": "sqlite:///{tmp}/elsewhere.db",
    "JWT_SECRET_KEY": "another-secret-that-is-long-enough-for-hs256-abcdef",
    "JWT_ACCESS_TOKEN_EXPIRES": "60",
    "JWT_REFRESH_TOKEN_EXPIRES": "120",
    "RATELIMIT_LOGIN_FAILURES": "3 per hour",
    "RATELIMIT_LOGIN_FAILURES_PER_CLIENT": "50 per hour",
    "RATELIMIT_REGISTER": "5 per hour",
    "MAX_SESSIONS_PER_USER": "2",
    "RATELIMIT_STORAGE_URI": REDIS_URL,
    "CORS_ORIGINS": "https://a.example,https://b.example",
    "PROXY_COUNT": "1",
    "REDIS_TIMEOUT": "0.5",
    "DATABASE_TIMEOUT": "3",
    "DATABASE_POOLER": "transaction",  # on SQLite: nothing in between, nothing to do
    "DATABASE_BREAKER_FAILURES": "2",
    "DATABASE_BREAKER_COOLDOWN": "2.5",
    "TRUSTED_HOSTS": "localhost,.example.com",
    "JWT_COOKIE_SECURE": "false",
    "JWT_REFRESH_GRACE_SECONDS": "3",
    "MFA_ENCRYPTION_KEYS": "mqlXRmJCNVKwGq0_Qo6bPJvxJv9bXfQ0xz0GkW3hI5k=,"
    "Zb0K8m9yq9HFlfmE1g4l3tnQpUQv6XyH3wJ8b7GMv2c=",
    "JWT_PREVIOUS_SECRET_KEYS": "an-old-key-that-is-long-enough-for-hs256-000,"
    "another-old-key-long-enough-for-hs256-0000",
    "MAIL_URL": "outbox:",
    "MAIL_FROM": "Shop <shop@example.com>",
    "FRONTEND_URL": "https://app.example/#{{kind}}={{token}}",  # .format(tmp=) below
    "MAIL_WORKER": "external",
    "MAIL_RETRY_FOR": "600",
    "MAIL_BACKOFF_MAX": "30",
    "MAIL_LEASE_SECONDS": "20",
    "EMAIL_VERIFY_EXPIRES": "3600",
    "PASSWORD_RESET_EXPIRES": "600",
    "RATELIMIT_PASSWORD_RESET": "3 per hour",
}
# An Ed25519 key made for this test only (one line, as an environment can hold it).
TEST_PRIVATE_KEY = (
    "-----BEGIN PRIVATE KEY-----\\n"
    "MC4CAQAwBQYDK2VwBCIEIBmup+VEANmpXiHC4LKBnC+/GHBTgUqLM4vH1hD/6H0y\\n"
    "-----END PRIVATE KEY-----\\n"
)
TEST_PUBLIC_KEY = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEA3Zrc3uldgseyEMKQITHz4Hd0Agk5FklKDT0oUsGIK28=\n"
    "-----END PUBLIC KEY-----\n"
)
NON_DEFAULT |= {
    "JWT_ALGORITHM": "EdDSA",
    "JWT_PRIVATE_KEY": TEST_PRIVATE_KEY,
    "JWT_PRIVATE_KEY_FILE": "{tmp}/signing.pem",
    "JWT_EXTRA_PUBLIC_KEYS": "{tmp}/public.pem",
    "TRUSTED_PROXIES": "10.0.0.0/8,unix",
    "JWT_ISSUER": "https://api.example",
    "JWT_AUDIENCE": "shop",
}
# Settings that only mean something with another one.
ALSO = {
    "JWT_ALGORITHM": {"JWT_PRIVATE_KEY_FILE": "{tmp}/signing.pem"},
    "JWT_PRIVATE_KEY": {"JWT_ALGORITHM": "EdDSA"},
    "JWT_PRIVATE_KEY_FILE": {"JWT_ALGORITHM": "EdDSA"},
}
# Read by deploy/serve.sh (tests/deploy/test_serve.py), gunicorn.conf.py (test_server.py).
SERVE_ONLY = {
    "HOST",
    "PORT",
    "CLIENT_TIMEOUT",
    "GUNICORN_CONTROL_SOCKET",
    "INSTANCES",
    "PGBOUNCER",
    "PGBOUNCER_PORT",
}


def documented_settings() -> list[str]:
    """The variables in the README's Settings table, in its order."""
    section = (ROOT / "README.md").read_text().split("## Settings", 1)[1].split("\n## ", 1)[0]
    return [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")]


def test_every_documented_setting_has_a_non_default_value_here():
    assert set(documented_settings()) - SERVE_ONLY == set(NON_DEFAULT)


@pytest.mark.parametrize("name", sorted(NON_DEFAULT))
def test_every_documented_setting_at_a_non_default_value(monkeypatch, tmp_path, name):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("JWT_SECRET_KEY", SECRET)
    monkeypatch.setenv(name, NON_DEFAULT[name].format(tmp=tmp_path))
    for companion, value in ALSO.get(name, {}).items():
        monkeypatch.setenv(companion, value.format(tmp=tmp_path))
    (tmp_path / "signing.pem").write_text(TEST_PRIVATE_KEY.replace("\\n", "\n"))
    (tmp_path / "public.pem").write_text(TEST_PUBLIC_KEY)
    app = create_app({"TESTING": True})
    with app.app_context():
        db.create_all()
    walk_through(app)


def layout_map() -> dict[str, list[str]]:
    """The README's Layout block: each top-level name, with the files listed under it."""
    block = (ROOT / "README.md").read_text().split("## Layout", 1)[1].split("```", 2)[1]
    tree: dict[str, list[str]] = {}
    top = ""
    for line in block.strip().splitlines():
        name = line.split()[0]
        if line.startswith(" "):
            tree[top].append(name)
        else:
            top = name
            tree[top] = []
    return tree


def test_the_tests_are_laid_out_as_the_code():
    """tests/<name>/ holds the tests of <name>/ (resources, security, web, deploy...)."""
    folders = [p for p in (ROOT / "tests").iterdir() if (p / "__init__.py").exists()]
    assert folders
    assert [p.name for p in folders if not (ROOT / p.name).is_dir()] == []


def test_the_readmes_layout_is_the_tree():
    tree = layout_map()
    for name, files in tree.items():
        assert (ROOT / name).exists(), f"README's layout names {name}, which is not there"
        if files:  # a package whose modules are listed one by one: all of them, no more
            modules = {p.name for p in (ROOT / name).glob("*.py") if p.name != "__init__.py"}
            assert set(files) == modules, name
    tracked = {p.name for p in ROOT.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    listed = {name.rstrip("/") for name in tree}
    assert tracked <= listed


def defined_names(path: Path) -> set[str]:
    """Functions, classes and assigned names anywhere in a module."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def test_jwt_mds_code_map_is_the_tree():
    """docs/jwt.md names files (`security/tokens.py`) and functions (`sessions.end_session`,
    `access.is_admin()`): each file exists, each function is defined in a module of that
    name, as the README's layout is checked against the tree."""
    text = (ROOT / "docs" / "jwt.md").read_text()
    spans = re.findall(r"`([^`\s]+)`", text)
    files = [span for span in spans if span.endswith(".py")]
    assert len(files) >= 8
    assert [name for name in files if not (ROOT / name).is_file()] == []

    modules: dict[str, list[Path]] = {}
    for path in project_files():
        modules.setdefault(path.stem, []).append(path)
    references = [re.fullmatch(r"(\w+)\.(\w+)(?:\(.*\))?", span) for span in spans]
    named = [(m[1], m[2]) for m in references if m and m[1] in modules and m[2] != "py"]
    assert len(named) >= 8
    unknown = [
        f"{module}.{name}"
        for module, name in named
        if not any(name in defined_names(path) for path in modules[module])
    ]
    assert unknown == []


def test_a_new_view_module_is_registered_without_an_edit(tmp_path, monkeypatch):
    """Every module with `blp` is registered: accounts and stores first, the store's
    resources by name, the probes last; a module without `blp` (a helper) is left out."""
    package = tmp_path / "scratch_views"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text("")
    for name in ("zebras", "health", "stores", "users", "apples"):
        (package / f"{name}.py").write_text(f"blp = {name!r}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [name for name in sys.modules if name.split(".")[0] == "scratch_views"]:
        monkeypatch.delitem(sys.modules, name)
    modules = resources.blueprint_modules(importlib.import_module("scratch_views"))
    assert [module.blp for module in modules] == ["users", "stores", "apples", "zebras", "health"]


def test_the_openapi_tags_are_every_view_module_in_order(tmp_path):
    spec = make(tmp_path).test_client().get("/openapi.json").json
    names = [tag["name"] for tag in spec["tags"]]
    assert names == [module.blp.name for module in resources.blueprint_modules(resources)]
    # Not the whole list: a new resource needs no edit here.
    assert names[:5] == ["users", "mfa", "account", "sessions", "stores"]
    assert names[-2:] == ["health", "keys"]
    assert {"items", "tags"} <= set(names[5:-2])


def test_every_model_file_is_a_table_the_migrations_see():
    """models/__init__.py imports every module: a model in a new file needs no edit there."""
    declared = set()
    for path in (ROOT / "models").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "__tablename__":
                declared.add(ast.literal_eval(node.value))
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "Table":
                declared.add(ast.literal_eval(node.args[0]))
    assert len(declared) > 10
    assert declared == set(db.metadata.tables)
