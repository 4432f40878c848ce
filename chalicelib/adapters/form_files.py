"""Loads the form definitions (forms/*.json) from disk once per process.

The directory is `forms/` at the package root: the repository root locally, /var/task/forms
in Lambda (the build copies forms/ there); the FORMS_DIR setting overrides it. Every file is
checked when loaded, so a broken definition fails the first request loudly instead of
mis-validating.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from chalicelib.domain.forms import FormDefinitionError, FormDefinitions, check_form_definitions
from chalicelib.domain.models import Category

DEFAULT_FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"
# Far above any sane definition; keeps a stray large file from being parsed on cold start.
_MAX_FILE_BYTES = 256 * 1024


def load_form_definitions(directory: Path | None = None) -> FormDefinitions:
    """Every definition under `directory` (default: forms/), cached per directory."""
    return _load((directory or DEFAULT_FORMS_DIR).resolve())


@lru_cache(maxsize=4)
def _load(directory: Path) -> FormDefinitions:
    if not directory.is_dir():
        raise FormDefinitionError(f"form definitions directory {directory} does not exist")
    providers = directory / "providers"
    extension_files = sorted(providers.glob("*.json")) if providers.is_dir() else []
    definitions = FormDefinitions(
        base=_read(directory / "base.json"),
        categories={c.value: _read(directory / f"{c.value}.json") for c in Category},
        extensions={path.stem: _read(path) for path in extension_files},
    )
    check_form_definitions(definitions)
    return definitions


def _read(path: Path) -> dict[str, Any]:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise FormDefinitionError(f"{path} is larger than {_MAX_FILE_BYTES} bytes")
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FormDefinitionError(f"cannot read form definition {path}: {exc}") from exc
    if not isinstance(document, dict):
        raise FormDefinitionError(f"{path} is not a JSON object")
    try:
        Draft202012Validator.check_schema(document)
    except SchemaError as exc:
        raise FormDefinitionError(f"{path} is not a valid JSON Schema: {exc.message}") from exc
    return document
