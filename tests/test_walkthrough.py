"""The README's curl session and "Walkthrough: JWT step by step" run as written, so they
never go stale.

The shell block after each marker is split into steps: a command (with its
`\\`-continued lines) followed by `# ` lines, its expected output. `## ` lines are
narration. The whole block runs in one bash against gunicorn on a fresh SQLite file;
each step's output must equal the README's, once the values that change from run to
run (tokens, uuids, session ids, key ids, times, user ids) are replaced by placeholders.
"""

import re
import shutil
import subprocess

import pytest

from tests.conftest import missing
from tests.server import ROOT, Server, flask, server_env

# One pytest-xdist worker runs this file: its module-scoped servers start once.
pytestmark = pytest.mark.xdist_group("walkthrough")

WALKTHROUGH_MARKER = "<!-- walkthrough: run by tests/test_walkthrough.py -->"
CURL_MARKER = "<!-- curl session: run by tests/test_walkthrough.py -->"
API_LINE = "API=http://127.0.0.1:5000"

# Values that differ between runs, and what they become before comparing.
VARIABLE = [
    (r"eyJ[\w-]*\.[\w-]*\.[\w-]*", "<JWT>"),
    (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<UUID>"),
    (r"\b[0-9a-f]{32}\b", "<SID>"),
    (r'("kid": ?")[0-9a-f]{16}"', r'\1<KID>"'),
    (r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "<DATE>"),
    (r"\((?:just now|in \d+ \w+|\d+ \w+ ago)\)", "(<WHEN>)"),
    (r"\b\d{10}\b", "<UNIX>"),
    (r'("id": ?)\d+', r"\1<ID>"),
    (r'("sub": ?")\d+"', r'\1<ID>"'),
    (r"(User id:\s+)\d+", r"\1<ID>"),
]


def normalize(text: str) -> list[str]:
    for pattern, replacement in VARIABLE:
        text = re.sub(pattern, replacement, text)
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def readme_block(readme: str, marker: str) -> str:
    assert marker in readme, f"README.md lost the marker {marker}"
    after = readme.split(marker, 1)[1]
    match = re.search(r"```(?:sh|bash)\n(.*?)```", after, re.DOTALL)
    assert match, f"no ```sh block after {marker}"
    return match.group(1)


def steps(block: str) -> list[tuple[str, str]]:
    """(command, expected output) pairs, in order."""
    result: list[tuple[str, list[str]]] = []
    lines = iter(block.splitlines())
    for line in lines:
        if not line.strip() or line.startswith("##"):
            continue
        if line == "#" or line.startswith("# "):
            assert result, f"output before any command: {line!r}"
            result[-1][1].append(line[2:])
            continue
        command = [line]
        while command[-1].endswith("\\"):
            command.append(next(lines))
        result.append(("\n".join(command), []))
    return [(command, "\n".join(output)) for command, output in result]


def script(commands: list[str]) -> str:
    parts = []
    for number, command in enumerate(commands):
        parts.append(f"printf '\\n@@@ step {number} @@@\\n'\n{command}")
    return "\n".join(parts) + "\n"


def outputs(stdout: str, count: int) -> list[str]:
    chunks = re.split(r"\n?@@@ step (\d+) @@@\n", stdout)
    found = dict(zip(map(int, chunks[1::2]), chunks[2::2], strict=True))
    assert sorted(found) == list(range(count)), f"the script stopped early:\n{stdout}"
    return [found[number] for number in range(count)]


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """gunicorn on a fresh SQLite file built by the migrations, shared by both blocks (they
    use different users); yields (url, env)."""
    if shutil.which("curl") is None:
        missing("curl (e.g. apt-get install curl)")
    env = server_env(f"sqlite:///{tmp_path_factory.mktemp('readme') / 'walkthrough.db'}")
    flask(env, "db", "upgrade")
    server = Server(env, workers=1).start()
    yield server.url, env
    server.stop()


def runs_as_written(api, marker: str, min_steps: int) -> None:
    url, env = api
    block = readme_block((ROOT / "README.md").read_text(), marker)
    assert API_LINE in block.splitlines(), f"the README block must set {API_LINE}"
    walk = steps(block.replace(API_LINE, f"API={url}"))
    assert len(walk) >= min_steps

    result = subprocess.run(
        ["bash", "-c", script([command for command, _ in walk])],  # noqa: S607
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for (command, expected), actual in zip(walk, outputs(result.stdout, len(walk)), strict=True):
        assert normalize(actual) == normalize(expected), (
            f"README step\n{command}\nprinted\n{actual}\nbut README.md shows\n{expected}"
        )


def test_the_readme_curl_session_runs_as_written(api):
    runs_as_written(api, CURL_MARKER, min_steps=5)


def test_the_readme_walkthrough_runs_as_written(api):
    runs_as_written(api, WALKTHROUGH_MARKER, min_steps=10)


def test_the_parser_splits_commands_and_outputs():
    block = 'API=x\n\n## narration\ncurl a \\\n  b\n# {\n#   "id": 7\n# }\n#\necho hi\n# hi\n'
    assert steps(block) == [
        ("API=x", ""),
        ("curl a \\\n  b", '{\n  "id": 7\n}\n'),
        ("echo hi", "hi"),
    ]
    assert normalize('{"id":3} (in 14 minutes)') == normalize('{"id":1} (just now)')
    assert normalize("Verdict: accepted") != normalize("Verdict: REJECTED")
