"""Build the QGIS plugin's installable zip: ``python -m planner.qgis_plugin --zip DIR``.

The plugin's source is ``qgis_plugin/precinct_planner/`` in the project folder (it runs in
QGIS's own Python and calls the ``planner`` command; it is not part of the ``planner``
package). The zip holds that folder as ``precinct_planner/`` (what QGIS's Plugins > Manage and
Install Plugins > Install from ZIP expects), without caches, and is named
``precinct_planner-<version>.zip`` after the version in ``metadata.txt``.

Standard library only: building the zip needs none of the planner's dependencies.
"""

from __future__ import annotations

import argparse
import configparser
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

from planner import i18n
from planner.errors import InputError, OutputError
from planner.i18n import gettext

__all__ = ["PLUGIN_NAME", "build_zip", "main", "plugin_source"]

PLUGIN_NAME = "precinct_planner"
#: Where the plugin's source lives in a clone of the project.
DEFAULT_SOURCE = Path(__file__).resolve().parents[1] / "qgis_plugin" / PLUGIN_NAME
_SKIP_DIRS = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
_SKIP_SUFFIXES = {".pyc", ".pyo", ".orig", ".rej", ".swp"}


def plugin_source(source: str | Path | None = None) -> Path:
    """The plugin folder, checked: it must hold ``metadata.txt`` and ``__init__.py``."""
    folder = Path(source) if source is not None else DEFAULT_SOURCE
    missing = [n for n in ("metadata.txt", "__init__.py") if not (folder / n).is_file()]
    if missing:
        raise InputError(
            gettext("{folder}: not the QGIS plugin's folder (no {files})").format(
                folder=folder, files=", ".join(missing)
            ),
            hint=gettext(
                "Run from a clone of the project (the plugin is {plugin} there, not in an "
                "installed wheel), or give the folder with {flag}."
            ).format(plugin="qgis_plugin/precinct_planner/", flag="--source"),
        )
    return folder


def _metadata(folder: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(folder / "metadata.txt", encoding="utf-8")
    problems = [
        gettext("{file}: no {key}=").format(file="metadata.txt", key=key)
        for key in ("name", "version", "qgisMinimumVersion")
        if not parser.get("general", key, fallback="").strip()
    ]
    if problems:
        raise InputError(
            gettext("{file}: incomplete").format(file=folder / "metadata.txt"), problems
        )
    return parser


def build_zip(out_dir: str | Path, *, source: str | Path | None = None) -> Path:
    """Write ``precinct_planner-<version>.zip`` into ``out_dir`` and return its path.

    Files are stored under ``precinct_planner/`` in a stable order with a fixed timestamp, so
    the same source gives the same bytes. The zip is written beside its final name and
    renamed into place: an interrupted build leaves no half zip.
    """
    folder = plugin_source(source)
    version = _metadata(folder).get("general", "version").strip()
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            gettext("{folder}: cannot create the folder: {reason}").format(
                folder=out, reason=exc.strerror or exc
            )
        ) from None
    target = out / f"{PLUGIN_NAME}-{version}.zip"
    partial = out / f".{target.name}.partial"
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix not in _SKIP_SUFFIXES
        and not _SKIP_DIRS.intersection(p.relative_to(folder).parts)
    )
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path in files:
                name = f"{PLUGIN_NAME}/{path.relative_to(folder).as_posix()}"
                info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, path.read_bytes())
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise OutputError(
            gettext("{file}: cannot write the zip: {reason}").format(
                file=target, reason=exc.strerror or exc
            )
        ) from None
    return target


def main(argv: Sequence[str] | None = None) -> int:
    """The command, in the language of ``PLANNER_LANG`` or the locale (:mod:`planner.i18n`)."""
    try:
        lang = i18n.resolve_language()
    except InputError as exc:
        print(f"planner.qgis_plugin: {exc}", file=sys.stderr)
        return 2
    with i18n.using_language(lang):
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m planner.qgis_plugin",
        description=gettext(
            "Build the QGIS plugin zip (install it in QGIS with Plugins > Manage and "
            "Install Plugins > Install from ZIP)."
        ),
    )
    parser.add_argument("--zip", required=True, metavar="DIR", type=Path,
                        help=gettext("folder to write {file} into").format(
                            file="precinct_planner-<version>.zip"))  # fmt: skip
    parser.add_argument(
        "--source", type=Path, help=gettext("the plugin folder (default: the clone's)")
    )
    args = parser.parse_args(argv)
    try:
        path = build_zip(args.zip, source=args.source)
    except (InputError, OutputError) as exc:
        print(f"planner.qgis_plugin: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, InputError) else 5
    print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
