"""Package size: the deployment zip `make package STAGE=dev` writes, against 10 MB.

boto3 and botocore come with Lambda's runtime and must not be in the zip (asserted)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LIMIT_BYTES = 10 * 1024 * 1024


def build(stage: str = "dev") -> Path:
    subprocess.run(
        [sys.executable, "-m", "infra.package", "--stage", stage],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return ROOT / "build" / stage / "deployment.zip"


def measure(stage: str = "dev", zip_path: Path | None = None) -> dict[str, Any]:
    path = zip_path or build(stage)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        unpacked = sum(info.file_size for info in archive.infolist())
    tops = {name.split("/", 1)[0] for name in names}
    shipped = sorted({"boto3", "botocore"} & tops)
    if shipped:
        raise AssertionError(f"the deployment zip ships {shipped}: the runtime provides them")
    size = path.stat().st_size
    return {
        "zip": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
        "bytes": size,
        "mb": size / 1024 / 1024,
        "limit_mb": LIMIT_BYTES / 1024 / 1024,
        "unpacked_mb": unpacked / 1024 / 1024,
        "files": len(names),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(measure(), indent=2))
