"""Compile the customer web's gettext catalogs, .po to .mo: `python -m infra.catalogs`.

The .mo files are build output and never committed. scripts/bootstrap-venv compiles them
(`--if-stale`) for every local run and test, infra/package.py before packaging, and
`make messages` after extracting and merging new message ids.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "chalicelib" / "web" / "locale"


class CatalogError(Exception):
    """A catalog cannot be compiled as it is."""


def catalogs(locale_dir: Path = LOCALE) -> list[Path]:
    """Every <language>/LC_MESSAGES/<domain>.po under `locale_dir`."""
    return sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))


def compile_catalogs(locale_dir: Path = LOCALE, *, if_stale: bool = False) -> list[Path]:
    """Write each catalog's .mo beside its .po; returns the .mo files written. Fuzzy
    translations are left out, as gettext would (the catalog test flags them)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written: list[Path] = []
    found = catalogs(locale_dir)
    if not found:
        raise CatalogError(f"no catalogs under {locale_dir}")
    for po in found:
        mo = po.with_suffix(".mo")
        if if_stale and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parents[1].name, domain=po.stem)
        problems = [f"{message.id!r}: {e}" for message, errors in catalog.check() for e in errors]
        if problems:
            raise CatalogError(f"{po}: " + "; ".join(problems))
        # Written whole, then renamed: a process reading the catalog never sees half of it.
        handle, scratch = tempfile.mkstemp(dir=mo.parent, prefix=".messages-", suffix=".mo")
        try:
            with os.fdopen(handle, "wb") as target:
                write_mo(target, catalog)
            os.replace(scratch, mo)
        except BaseException:
            Path(scratch).unlink(missing_ok=True)
            raise
        written.append(mo)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.catalogs", description=__doc__)
    parser.add_argument(
        "--if-stale", action="store_true", help="only catalogs whose .mo is older than the .po"
    )
    args = parser.parse_args(argv)
    try:
        written = compile_catalogs(if_stale=args.if_stale)
    except CatalogError as error:
        print(f"compiling the catalogs failed: {error}", file=sys.stderr)
        return 1
    for mo in written:
        print(f"compiled {mo.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
