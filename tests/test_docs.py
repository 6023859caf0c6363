"""docs/api.md stays true to the API: every operation in its tables exists in
/openapi.json with every status the row names, and every operation of the spec has a
row. The README stands alone: it links docs/api.md and nothing outside the repository."""

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
API_MD = ROOT / "docs" / "api.md"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# `| METHOD /path | auth | body | success | errors |`
ROW = re.compile(rf"^\|\s*({'|'.join(METHODS)})\s+(/\S*)\s*\|(.*)\|\s*$")
# Statuses open the success and errors cells or follow a "; ": "401; 403 `admin_required`".
STATUS = re.compile(r"(?:^|;)\s*([1-5]\d\d)\b")


def shape(path: str) -> str:
    """A path with its parameters unnamed: /item/{item_id} and /item/{id} are one path."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def documented() -> dict[tuple[str, str], set[str]]:
    """(method, path shape) -> the statuses its row names."""
    rows = {}
    for line in API_MD.read_text().splitlines():
        match = ROW.match(line)
        if not match:
            continue
        method, path, rest = match.groups()
        cells = [cell.strip() for cell in rest.split("|")]
        assert len(cells) == 4, line  # auth, body, success, errors
        statuses = {s for cell in cells[2:] for s in STATUS.findall(cell)}
        key = (method, shape(path))
        assert key not in rows, f"{method} {path} has two rows"
        rows[key] = statuses
    return rows


@pytest.fixture(scope="module")
def spec():
    from app import create_app
    from tests.conftest import SECRET

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "JWT_SECRET_KEY": SECRET})
    return app.test_client().get("/openapi.json").json


def spec_operations(spec) -> dict[tuple[str, str], set[str]]:
    return {
        (method.upper(), shape(path)): set(operation["responses"])
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if method.upper() in METHODS
    }


ROWS = documented()


def test_the_tables_are_parsed():
    assert len(ROWS) >= 25
    assert ROWS[("POST", "/register")] == {"201", "409", "422", "429"}


@pytest.mark.parametrize("operation", sorted(ROWS), ids=" ".join)
def test_every_documented_operation_and_status_is_in_the_spec(spec, operation):
    operations = spec_operations(spec)
    assert operation in operations, f"{' '.join(operation)} is not in /openapi.json"
    missing = ROWS[operation] - operations[operation]
    assert not missing, f"{' '.join(operation)}: statuses {sorted(missing)} not in the spec"
    assert any(status.startswith("2") for status in ROWS[operation]), "no success status"


def test_every_operation_of_the_spec_is_documented(spec):
    assert sorted(set(spec_operations(spec)) - set(ROWS)) == []


README = ROOT / "README.md"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)[^)]*\)|<a\s[^>]*href=\"([^\"]+)\"")


def links(text: str) -> list[str]:
    return [a or b for a, b in LINK.findall(text)]


def test_the_readme_links_the_api_reference():
    assert "docs/api.md" in links(README.read_text())


def test_the_readme_links_nothing_outside_the_repository():
    """Relative links must name files of this repository (a clone has nothing beside it);
    absolute URLs may only point at the local server the README tells you to start."""
    outside = []
    for target in links(README.read_text()):
        url = urlparse(target)
        if url.scheme in ("http", "https"):
            if url.hostname not in ("127.0.0.1", "localhost"):
                outside.append(target)
            continue
        if url.scheme or target.startswith("#"):
            continue
        path = (ROOT / unquote(url.path)).resolve()
        if not path.is_relative_to(ROOT) or not path.exists():
            outside.append(target)
    assert outside == []
