"""A fresh clone stands alone: `make test` must pass in an empty folder with no shared/ folder
beside it. So no file of the repository refers to that sibling folder (or to a path of the
machine it was written on), and the tests that read example files find them in the clone.

The clone is `git clone` of the repository when its work tree is clean (as in CI), and
otherwise a copy of what the next commit would hold: tracked and untracked files that are
not ignored, as they are in the work tree now.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A relative step into the sibling folder, its docs, a quoted path segment of that name (a
# path built in code), or an absolute path of the workplace. A line that spells the pattern
# escaped, as the next one does, is a guard's pattern (here and in
# tests/unit/test_architecture_doc.py), not a reference.
OUTSIDE = re.compile(r"\.\./shared|shared[/]docs|[\"']shared[\"']|(?<![\w.-])/work/")
GUARD_PATTERN = re.compile(r"\\\.\\\./shared")


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=60
    ).stdout


def _work_tree_is_clean() -> bool:
    return git("status", "--porcelain", "--untracked-files=normal") == ""


def lay_out_clone(destination: Path) -> None:
    if _work_tree_is_clean():
        git("clone", "--quiet", str(ROOT), str(destination))
        return
    listed = git("ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if not source.is_file():  # deleted in the work tree, not yet in the index
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        top = git("rev-parse", "--show-toplevel").strip()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git work tree: nothing to clone")
    assert Path(top).resolve() == ROOT
    destination = tmp_path_factory.mktemp("lone") / "repository"
    lay_out_clone(destination)
    assert [path.name for path in destination.parent.iterdir()] == ["repository"]
    return destination


def text_lines(path: Path) -> list[str]:
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return []  # binary: screenshots, packages
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return []


def test_the_clone_holds_the_repository(clone: Path) -> None:
    for name in ("Makefile", "app.py", "package-lock.json", "tests/fixtures/direct_activation"):
        assert (clone / name).exists(), f"{name} is not in the clone"
    assert not (clone / ".venv").exists()
    assert not (clone / "node_modules").exists()


def test_no_file_refers_to_a_folder_outside_the_repository(clone: Path) -> None:
    referring = [
        f"{path.relative_to(clone)}:{number}: {line.strip()}"
        for path in sorted(clone.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(clone).parts
        for number, line in enumerate(text_lines(path), 1)
        if OUTSIDE.search(line) and not GUARD_PATTERN.search(line)
    ]
    assert referring == []


def test_the_example_replies_are_found_inside_the_clone(clone: Path) -> None:
    # The tests that read tests/fixtures/direct_activation/, run in the clone
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    environment.pop("PYTHONPATH", None)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/unit/test_direct_activation_replies.py",
            "-k",
            "example",
        ],
        cwd=clone,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    passed = re.search(r"(\d+) passed", run.stdout)
    # The directory check and one test per example file, at least
    examples = len(list((clone / "tests/fixtures/direct_activation").glob("*.xml")))
    assert passed and int(passed[1]) > examples, run.stdout[-3000:]
