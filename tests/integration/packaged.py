"""Build the deployment package once per test session, without AWS credentials or AWS calls.

`packaged_stage()` runs infra/package.py (which runs `chalice package`) into a temporary
directory and returns the template and the zip. Chalice needs only PyPI (its wheel cache in
.chalice/deployments/ makes later runs offline); AWS is never contacted, and the fake
credentials from tests/conftest.py make sure nothing could reach an account.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

STAGE = "prod"


@dataclass(frozen=True)
class Packaged:
    stage: str
    template_path: Path
    zip_path: Path

    @property
    def template(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.template_path.read_text())
        return loaded

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.template["Resources"]
        return resources


@cache
def packaged_stage(stage: str = STAGE) -> Packaged:
    from infra.package import package

    out = Path(tempfile.mkdtemp(prefix=f"package-{stage}-")) / stage
    template_path = package(stage, out)
    return Packaged(stage, template_path, out / "deployment.zip")
