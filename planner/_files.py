"""Files written and read for the record: the one atomic writer, checksums, input records.

- :func:`atomic_path` is the only way the package writes a file: the content goes to a hidden
  temporary file in the destination folder (``.<stem>.tmp-<hex><suffix>``) that is moved over
  the destination with :func:`os.replace` only once complete. :mod:`planner.output_set` cleans up
  such ``.tmp-`` files if a process is killed mid-write.
- :func:`file_sha256` and :func:`input_record` make the ``{"role", "path", "sha256"}`` entries of
  ``summary.json``'s inputs; :func:`library_versions` the versions recorded beside them.

No numpy, pandas or geometry here: the command line may import it before any of those load.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from planner.errors import InputError
from planner.i18n import gettext

__all__ = [
    "RECORDED_LIBRARIES",
    "SQLITE_SIDECARS",
    "atomic_path",
    "checkpoint",
    "file_sha256",
    "input_record",
    "library_versions",
    "write_bytes",
    "write_text",
]

PathLike = str | os.PathLike[str]

#: Libraries whose versions every summary records (the national one adds Dask's).
RECORDED_LIBRARIES = ("numpy", "scipy", "shapely", "geopandas", "osmium", "folium")
#: Side files SQLite may create next to a GeoPackage while it is being written.
SQLITE_SIDECARS = ("-journal", "-wal", "-shm")


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` only if the block succeeds.

    The temporary file lives in the destination folder (so :func:`os.replace` is an atomic rename
    on the same file system), is hidden (leading dot) and keeps the suffix of ``path`` (so GDAL
    and other writers recognise the format). If the block raises, the temporary file and any
    SQLite side files are deleted and the exception propagates; the previous ``path``, if any, is
    untouched. Missing parent folders are created.

    Parameters
    ----------
    path
        Final destination.

    Yields
    ------
    Path
        Where the block must write the complete file.

    Examples
    --------
    >>> with atomic_path("out/plan.csv") as tmp:  # doctest: +SKIP
    ...     frame.to_csv(tmp)
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.stem}.tmp-{secrets.token_hex(4)}{final.suffix}")
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(  # untranslated: a bug of the writer, not of the input
                f"atomic_path: nothing was written to the temporary file {tmp}; "
                f"{final} was left unchanged"
            )
        _fsync(tmp)
        tmp.replace(final)  # os.replace: atomic on the same file system
        _fsync(final.parent)
    except BaseException:
        for leftover in (tmp, *(Path(f"{tmp}{s}") for s in SQLITE_SIDECARS)):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        raise


def _fsync(path: Path) -> None:
    """Flush a file or folder to disk where the platform allows it (best effort)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # e.g. folders on Windows
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_text(path: PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` as UTF-8 with ``\\n`` line ends, atomically.

    Returns
    -------
    Path
        The path written.
    """
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return Path(path)


def write_bytes(path: PathLike, content: bytes) -> Path:
    """Write ``content`` to ``path``, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(content)
    return Path(path)


def checkpoint(name: str) -> None:
    """Test hook: pause here if ``_PLANNER_PAUSE_AT`` names this checkpoint.

    Checkpoints: ``locked`` (lock taken, staging made), ``gpkg-layer:<layer>`` (after each layer
    of :func:`planner.outputs.write_geopackage`), ``written:<file>`` (after each file of
    :func:`planner.report.write_outputs`), ``verified`` (before the swap), ``swap`` (between
    the two renames of the portable swap; only with ``_PLANNER_PORTABLE_SWAP=1``).
    """
    if os.environ.get("_PLANNER_PAUSE_AT") != name:
        return
    marker = os.environ.get("_PLANNER_PAUSE_FILE")
    if marker:
        Path(marker).write_text(str(os.getpid()))
    time.sleep(float(os.environ.get("_PLANNER_PAUSE_S", "60")))


def file_sha256(path: PathLike, *, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks (for input checksums in the summary).

    Raises
    ------
    InputError
        If the file does not exist.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(
            gettext("{function}: {path} does not exist or is not a file").format(
                function="file_sha256", path=p
            ),
            hint=gettext("Pass the path of the input file whose checksum goes into the summary."),
        )
    digest = hashlib.sha256()
    with p.open("rb") as f:
        while chunk := f.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def input_record(role: str, path: PathLike) -> dict[str, str]:
    """The summary's record of one input file: ``{"role", "path", "sha256"}``."""
    return {"role": role, "path": str(path), "sha256": file_sha256(path)}


def library_versions(packages: Iterable[str]) -> dict[str, str]:
    """``{package: installed version}``, ``"not installed"`` where it is missing."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package in packages:
        try:
            out[package] = version(package)
        except PackageNotFoundError:  # pragma: no cover - all are dependencies
            out[package] = "not installed"
    return out
