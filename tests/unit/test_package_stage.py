"""`make package` builds deployable stages only: the local stage's allowance (plain-http
webhooks to loopback) never reaches a package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra import package


def config_with_stage(tmp_path: Path, stage_env: dict[str, str]) -> Path:
    path = tmp_path / "config.json"
    path.write_text(
        json.dumps(
            {"environment_variables": {}, "stages": {"demo": {"environment_variables": stage_env}}}
        )
    )
    return path


def test_a_stage_that_allows_insecure_webhooks_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(package, "CHALICE_CONFIG", config_with_stage(tmp_path, {"STAGE": "local"}))
    with pytest.raises(package.PackagingError, match="STAGE=local"):
        package.stage_environment("demo")


def test_a_deployable_stage_is_packaged_with_its_environment(tmp_path, monkeypatch):
    monkeypatch.setattr(package, "CHALICE_CONFIG", config_with_stage(tmp_path, {"STAGE": "demo"}))
    assert package.stage_environment("demo") == {"STAGE": "demo"}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_projects_own_stages_are_not_local(stage):
    assert package.stage_environment(stage)["STAGE"] == stage
