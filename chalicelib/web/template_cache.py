"""Templates compiled ahead of time, so a cold Lambda does not compile them on its first page.

infra/package.py writes every template's Jinja2 bytecode into template_cache/ before
packaging (`write_template_cache`); a function reads it and never writes. A bucket holds the
checksum of the template's source and Jinja2 drops it when the source changed: a stale
entry is never used, its template is compiled as without a cache. The key is the template's
name plus what shapes the compiled code (Jinja2's version and the Environment's options),
not its path, which differs between the build machine and /var/task.
"""

from __future__ import annotations

from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from jinja2.bccache import Bucket, BytecodeCache

if TYPE_CHECKING:
    from jinja2 import Environment

CACHE_DIR = Path(__file__).parent / "template_cache"


class ShippedTemplateCache(BytecodeCache):
    def __init__(self, directory: Path, fingerprint: str, *, writable: bool = False) -> None:
        self.directory = directory
        self.fingerprint = fingerprint
        self.writable = writable

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        identity = f"{name}|{jinja2.__version__}|{self.fingerprint}"
        return sha256(identity.encode()).hexdigest()

    def _path(self, bucket: Bucket) -> Path:
        return self.directory / f"{bucket.key}.jinja"

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            with self._path(bucket).open("rb") as cached:
                bucket.load_bytecode(cached)
        except OSError:
            return  # not shipped: compiled from the source

    def dump_bytecode(self, bucket: Bucket) -> None:
        if not self.writable:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        scratch = self._path(bucket).with_suffix(".tmp")
        with scratch.open("wb") as target:
            bucket.write_bytecode(target)
        scratch.replace(self._path(bucket))


def write_template_cache(
    environment: Environment,
    directory: Path = CACHE_DIR,
    *,
    extensions: tuple[str, ...] = ("html",),
    empty_first: bool = True,
) -> list[str]:
    """Compile every template of `environment` with one of `extensions` into `directory`
    (emptied first unless a second Environment adds to it, as the mails' text one does);
    returns the template names. `environment` must use a ShippedTemplateCache writing there."""
    cache = environment.bytecode_cache
    if not isinstance(cache, ShippedTemplateCache) or not cache.writable:
        raise ValueError("the environment does not write a ShippedTemplateCache")
    if empty_first:
        for stale in directory.glob("*.jinja"):
            stale.unlink()
    names = environment.list_templates(extensions=list(extensions))
    for name in names:
        environment.get_template(name)
    return names
