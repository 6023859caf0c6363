"""`make venv` survives what a new user does to it: Ctrl-C mid-install, a second `make`
started while the first installs, a requirements change. A tiny requirements file and a
local wheel (`--no-index`) keep it fast and offline."""

import base64
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def wheel(folder: Path, name: str, version: str) -> Path:
    """A minimal pure-Python wheel, so pip needs no index."""
    files = {
        f"{name}/__init__.py": f"VERSION = {version!r}\n",
        f"{name}-{version}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        ),
        f"{name}-{version}.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest())
        record.append(f"{path},sha256={digest.decode().rstrip('=')},{len(text.encode())}")
    record.append(f"{name}-{version}.dist-info/RECORD,,")
    files[f"{name}-{version}.dist-info/RECORD"] = "\n".join(record) + "\n"
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    return path


@pytest.fixture
def setup(tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    wheel(wheels, "tinypkg", "1.0")
    wheel(wheels, "tinypkg", "2.0")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("tinypkg==1.0\n")
    venv = tmp_path / "venv"
    variables = [
        f"PYTHON={sys.executable}",
        f"VENV={venv}",
        f"REQUIREMENTS={requirements}",
        f"PIP_OPTIONS=--no-index --find-links {wheels}",
    ]
    return venv, requirements, variables


def make(variables, **options):
    return subprocess.Popen(
        [shutil.which("make"), "--no-print-directory", *variables, "venv"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **options,
    )


def finish(process) -> str:
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output
    return output


def usable(venv: Path) -> str:
    result = subprocess.run(
        [venv / "bin" / "python", "-c", "import tinypkg; print(tinypkg.VERSION)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_interrupted_install_is_redone(setup):
    venv, _, variables = setup
    first = make(variables, start_new_session=True)
    deadline = time.monotonic() + 60
    while not (venv / "bin" / "python").exists():  # the venv exists, pip not yet done
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.01)
    os.killpg(first.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's group
    first.communicate(timeout=60)
    assert first.returncode != 0
    assert not (venv / ".installed").exists()

    finish(make(variables))
    assert usable(venv) == "1.0"


def test_second_make_waits_for_the_first(setup):
    venv, _, variables = setup
    runs = [make(variables), make(variables)]
    outputs = [finish(run) for run in runs]
    assert usable(venv) == "1.0"
    assert sum("== installing" in output for output in outputs) == 1, outputs


def test_requirements_change_rebuilds_and_a_rerun_installs_nothing(setup):
    venv, requirements, variables = setup
    assert "== installing" in finish(make(variables))
    assert "== installing" not in finish(make(variables))
    requirements.write_text("tinypkg==2.0\n")
    assert "== installing" in finish(make(variables))
    assert usable(venv) == "2.0"


def requirements(name: str) -> list:
    """The requirements a file lists, following `-r` includes."""
    from packaging.requirements import Requirement

    found = []
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found += requirements(line.removeprefix("-r ").strip())
        elif line:
            found.append(Requirement(line))
    return found


def locked(name: str) -> dict[str, str]:
    lines = (ROOT / name).read_text().splitlines()
    pins = [line.split("==") for line in lines if line and not line.startswith("#")]
    assert all(len(pin) == 2 for pin in pins), "a lock pins exact versions only"
    return {canonical(package): version for package, version in pins}


def canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(name)


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_every_requirement_is_bounded_above(name):
    """The next major (next minor for 0.x) is a new API: never taken without a look."""
    from packaging.version import Version

    for requirement in requirements(name):
        lower = [s.version for s in requirement.specifier if s.operator == ">="]
        upper = [s.version for s in requirement.specifier if s.operator == "<"]
        assert lower and upper, f"{requirement} needs >= and < bounds"
        low, high = Version(lower[0]), Version(upper[0])
        if low.major == 0:  # 0.x: the next minor, say <0.48
            assert high.major == 0 and high.micro == 0, requirement
        else:  # the next major, say <4
            assert high.minor == 0 and high.micro == 0, requirement


@pytest.mark.parametrize(
    ("requirements_file", "lock"),
    [("requirements.txt", "requirements.lock"), ("requirements-dev.txt", "requirements-dev.lock")],
)
def test_the_lock_pins_what_the_requirements_allow(requirements_file, lock):
    """`make lock` is rerun after a requirements change: a stale lock fails here."""
    pins = locked(lock)
    for requirement in requirements(requirements_file):
        name = canonical(requirement.name)
        assert name in pins, f"{requirement.name} is not in {lock}: run make lock"
        assert requirement.specifier.contains(pins[name]), f"{lock}: {name}=={pins[name]}"


def test_argon2_comes_once_through_libpass():
    names = [canonical(r.name) for r in requirements("requirements.txt")]
    assert "argon2-cffi" not in names
    assert "argon2" in next(
        r.extras for r in requirements("requirements.txt") if r.name == "libpass"
    )


def test_make_lock_freezes_what_the_requirements_resolve_to(setup, tmp_path):
    _, requirements, variables = setup
    requirements.write_text("tinypkg>=1.0,<3\n")
    lock = tmp_path / "requirements.lock"
    lock.write_text("stale\n")
    locks = f"LOCKS={requirements}:{lock}"
    process = subprocess.run(
        [shutil.which("make"), "--no-print-directory", *variables, locks, "lock"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 0, process.stdout + process.stderr
    pins = [line for line in lock.read_text().splitlines() if not line.startswith("#")]
    assert pins == ["tinypkg==2.0"]
    assert not list(tmp_path.glob("*.tmp"))
