"""docs/architecture.md stays true: each "Where is…" answer names a file that exists and a
function (or Class.method) defined in it, and the code cites this document, never one
outside the repository."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
ROW = re.compile(
    r"^\|\s*(?P<question>[^|]+?)\s*\|\s*`(?P<file>[^`]+)`\s*\|\s*`(?P<name>[^`]+)`\s*\|$"
)


def where_is_rows() -> list[tuple[str, str, str]]:
    section = DOC.read_text(encoding="utf-8").split("## Where is", 1)[1].split("\n## ", 1)[0]
    return [
        (match["question"], match["file"], match["name"])
        for line in section.splitlines()
        if (match := ROW.match(line.strip()))
    ]


def defined_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
            for member in node.body:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.add(f"{node.name}.{member.name}")
    return names


def test_the_where_is_table_answers_the_questions_a_newcomer_asks():
    questions = " ".join(question for question, _, _ in where_is_rows())
    for topic in (
        "refused `service_order`",
        "activation trigger",
        "webhook signing",
        "status rules",
        "bounce verification",
        "form validation",
    ):
        assert topic in questions


@pytest.mark.parametrize(("question", "file", "name"), where_is_rows())
def test_each_where_is_answer_is_a_function_in_that_file(question, file, name):
    path = ROOT / file
    assert path.is_file(), f"{question}: {file} does not exist"
    assert name in defined_names(path), f"{question}: {file} defines no {name}"


OUTSIDE = re.compile(
    r"\.\./shared|/work/shared|shared/docs|DESIGN\.md|STYLE\.md|processes\.(en\.)?md"
)


def test_the_code_cites_only_documents_in_the_repository():
    citing = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("chalicelib", "infra", "bench", "tests", "forms", "docs")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in {".py", ".md", ".json", ".html"} and path != Path(__file__)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert citing == []
