"""The output folder as one transaction: a run's files appear all together or not at all.

Each writer in :mod:`planner.outputs` replaces its own file atomically, but a run writes a *set*
(plan.gpkg, summary.json, summary.md, map.html; or the national files and ``units/``). Two runs
into one folder, an interrupt or a full disk could leave files of different runs side by side.
:func:`output_set` makes the set one transaction. For ``--out`` = ``P/N``:

1. **Check first** (:func:`check_out_dir`, before any computing): ``--out`` must not be a file,
   lie below a file, be empty text or be unwritable, and an existing folder may hold only what
   planner wrote, at every depth. *Unrelated files are refused, not kept*: the whole folder is
   replaced, so a folder holding e.g. ``notes.docx`` or ``units/West/notes.docx`` is refused
   with the list of such files (move them or choose another ``--out``). What planner wrote is
   read from the previous set's ``manifest.json`` (every file with its size and SHA-256): a
   file not listed there, or changed since (a memo edited by hand, a GeoPackage edited in a
   GIS), is the user's. A folder written before manifests existed is checked against the
   names planner writes (``map.html`` must be a file, ``units/<unit>/`` may hold only a unit's
   four files).
2. **Lock** ``P/.N.lock`` (created exclusively; JSON with pid, host, start time and run id). A
   second run into the same folder refuses at once with a message naming the first run. A lock
   left by a killed run (same host, process gone) is taken over, with a note.
3. **Recover** what killed runs left beside the folder (``P/.N.staging-*``, ``P/.N.old-*``):
   staging folders are deleted; a previous set moved aside but not yet replaced is moved back.
   Every action is logged as a warning (the CLI prints it as a note).
4. **Stage**: the caller writes the whole set into ``P/.N.staging-<run_id>`` (same file system).
5. **Record** ``manifest.json``: the run id and every file of the set with its size and
   SHA-256 (what the next run's check, and the deletion of this set, go by).
6. **Verify** every file read back (:func:`verify_file`): GeoPackage layers, row counts and
   spatial indexes, JSON parses, HTML ends with ``</html>``, Markdown not empty, and each file
   carries the run id.
7. **Swap**: on Linux one atomic ``renameat2(RENAME_EXCHANGE)`` exchanges the staging folder and
   ``--out``; elsewhere ``--out`` is renamed to ``P/.N.old-<run_id>`` and the staging folder to
   ``--out`` (a kill between the two renames is repaired by the next run, step 3). SIGINT and
   SIGTERM are held back during the swap. The old set is then deleted file by file, only
   what its manifest lists (a file that appeared there during the run, or one the system
   refuses to delete, is kept in a visible folder ``P/N.kept-<run_id>`` named in a note), and
   the lock released.

Any failure before the swap deletes the staging folder (and parent folders this run created)
and leaves ``--out`` as it was. Write failures of the environment (disk full, file-size limit,
permission) become :class:`~planner.errors.OutputError` (the CLI exits with code 5).

The run id (``20251121T224000Z-1a2b3c``) goes into summary.json (``run_id``), the last line
of summary.md, a ``<meta name="planner-run-id">`` tag of map.html and the GeoPackage's one-row
``run`` table, so a mixed set is detectable (:func:`read_run_ids`).

For tests only, the environment variable ``_PLANNER_PAUSE_AT=<checkpoint>`` makes the process
create the file named by ``_PLANNER_PAUSE_FILE`` and sleep 60 s (or ``_PLANNER_PAUSE_S``) at
that checkpoint (see
:func:`planner._files.checkpoint`), so signals can be sent at a chosen moment of writing.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from planner import i18n
from planner._files import SQLITE_SIDECARS, checkpoint
from planner.errors import InputError, OutputError
from planner.i18n import N_, gettext, ngettext

__all__ = [
    "OutputSet",
    "check_out_dir",
    "foreign_files",
    "new_run_id",
    "output_set",
    "read_run_ids",
    "verify_file",
    "write_manifest",
]

log = logging.getLogger(__name__)

#: What planner writes into an output folder; anything else there is a user's file.
PLANNER_FILES = frozenset(
    {
        "plan.gpkg",
        "summary.json",
        "summary.md",
        "map.html",
        "national.gpkg",
        "national.json",
        "national.md",
        "national.html",
        "units",
        "manifest.json",
    }
)
#: The set's list of its own files (relative path -> bytes and SHA-256), written by
#: :func:`output_set` into every set; the next run's check and the deletion of the set go by it.
MANIFEST = "manifest.json"
#: The files of one unit's folder ``units/<unit>/`` of a national set.
_UNIT_FILES = frozenset({"plan.gpkg", "summary.json", "summary.md", "map.html"})
#: Hidden temporary files of :func:`planner._files.atomic_path`, the one atomic writer (a killed
#: writer leaves one).
_ATOMIC_TMP = re.compile(r"^\..+\.tmp-[0-9a-f]{8}.*$")
_RUN_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")
#: errno values that mean the environment, not the input, is at fault.
_ENV_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EACCES,
               errno.EPERM}  # fmt: skip


def new_run_id() -> str:
    """A new run id: UTC time and 6 random hex digits, e.g. ``20251121T224000Z-1a2b3c``."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


# --------------------------------------------------------------------------- checking --out


def check_out_dir(out_dir: str | os.PathLike[str], *, flag: str = "--out") -> Path:
    """Refuse an unusable output folder before any computing, all problems in one message.

    Parameters
    ----------
    out_dir
        The output folder (need not exist).
    flag
        How the user named it, for the message.

    Returns
    -------
    Path
        ``out_dir`` as a Path.

    Raises
    ------
    InputError
        If ``out_dir`` is empty text, a file, below a file, not writable, or an existing folder
        holding files planner did not write.
    """
    text = os.fspath(out_dir)
    if not text.strip():
        raise InputError(
            gettext('{flag} "": an empty folder name').format(flag=flag),
            hint=gettext("Give the output folder, e.g. {flag} out/almaty.").format(flag=flag),
        )
    out = Path(text)
    try:
        return _check_out(out, flag)
    except OSError as exc:
        raise InputError(
            gettext("{flag} {out}: cannot be used as a folder ({reason})").format(
                flag=flag, out=out, reason=exc.strerror or exc
            ),
            hint=gettext("Choose another folder, e.g. {flag} out/plan.").format(flag=flag),
        ) from None


#: Longest folder name accepted: the staging folder beside it adds ``.`` and ``.staging-<run id>``.
_MAX_NAME_BYTES = 255 - len(".staging-20251121T224000Z-1a2b3c") - 1


def _check_out(out: Path, flag: str) -> Path:
    if len(os.fsencode(out.name)) > _MAX_NAME_BYTES:
        size = len(os.fsencode(out.name))
        raise InputError(
            ngettext(
                "{flag} {name}...: the folder name is {bytes} bytes long; at most {most} are "
                "possible (the file system's limit is 255, and planner's staging folder beside "
                "it adds 32)",
                "{flag} {name}...: the folder name is {bytes} bytes long; at most {most} are "
                "possible (the file system's limit is 255, and planner's staging folder beside "
                "it adds 32)",
                size,
            ).format(flag=flag, name=out.name[:40], bytes=size, most=_MAX_NAME_BYTES),
            hint=gettext("Choose a shorter name, e.g. {flag} out/plan.").format(flag=flag),
        )
    cwd = Path.cwd().resolve()
    if out.resolve() == cwd or out.resolve() in cwd.parents:
        raise InputError(
            gettext(
                "{flag} {out}: is the current folder or holds it; planner replaces the output "
                "folder whole, which would pull the folder you are working in away"
            ).format(flag=flag, out=out),
            hint=gettext("Give a folder below it, e.g. {flag} out/plan.").format(flag=flag),
        )
    if out.exists() and not out.is_dir():
        raise InputError(
            gettext("{flag} {out}: is a file, not a folder").format(flag=flag, out=out),
            hint=gettext("Choose a folder name (planner writes several files into it)."),
        )
    probe = out.absolute().parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(
            gettext("{flag} {out}: {probe} is a file, so no folder can be made below it").format(
                flag=flag, out=out, probe=probe
            ),
            hint=gettext("Choose a folder whose parents are folders."),
        )
    problems = []
    if not os.access(probe, os.W_OK | os.X_OK):
        problems.append(
            gettext("cannot create files in {folder} (permission denied or read-only)").format(
                folder=probe
            )
        )
    else:
        refused = _cannot_create_in(probe)
        if refused:
            problems.append(
                gettext("cannot create a folder in {folder} (the system refuses: {reason})").format(
                    folder=probe, reason=refused
                )
            )
    if out.is_dir():
        if not os.access(out, os.W_OK | os.X_OK):
            problems.append(
                gettext("{out} is not writable, so its files cannot be replaced").format(out=out)
            )
        foreign = foreign_files(out)
        if foreign:
            problems += [gettext("{out} holds {item}").format(out=out, item=i) for i in foreign]
            return _refuse(flag, out, problems, foreign=True)
    if problems:
        _refuse(flag, out, problems, foreign=False)
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _walk(folder: Path) -> Iterator[tuple[str, Path]]:
    """Every entry below ``folder`` as (relative path with ``/``, path), parents first."""
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        base = Path(root)
        for name in sorted(dirs + files):
            p = base / name
            yield p.relative_to(folder).as_posix(), p


def _read_manifest(folder: Path) -> dict[str, dict[str, object]] | None:
    """The files a set's manifest lists (``None``: no usable manifest, e.g. an older set)."""
    path = folder / MANIFEST
    if not path.is_file() or path.is_symlink():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or not all(isinstance(v, dict) for v in files.values()):
        return None
    return files


def _legacy_planner_file(rel: str, p: Path) -> bool:
    """Whether ``rel`` is where a set written before manifests existed had its files."""
    parts = rel.split("/")
    if p.is_symlink():
        return False
    if len(parts) == 1:
        if parts[0] == "units":
            return p.is_dir()
        return parts[0] in PLANNER_FILES and p.is_file()
    if parts[0] != "units":
        return False
    if len(parts) == 2:
        return p.is_dir()
    return len(parts) == 3 and parts[2] in _UNIT_FILES and p.is_file()


def _what_is_foreign(rel: str, p: Path, listed: dict[str, dict[str, object]] | None) -> str | None:
    """Why the entry ``rel`` of an old set is not planner's own (``None``: it is)."""
    name = rel.rsplit("/", 1)[-1]
    if _ATOMIC_TMP.match(name) and p.is_file() and not p.is_symlink():
        return None  # a killed writer's temporary file
    for side in SQLITE_SIDECARS:
        base = rel[: -len(side)]
        if name.endswith(side) and (
            (listed is not None and base in listed)
            or (listed is None and _legacy_planner_file(base, p.with_name(name[: -len(side)])))
        ):
            return gettext(
                "{path}, which SQLite keeps beside {base} while a program has it open or was "
                "stopped while writing it (close it in QGIS or wherever it is open)"
            ).format(path=rel, base=base)
    if p.is_symlink():
        return gettext("{path}, a symbolic link, which planner did not make").format(path=rel)
    if listed is None:
        if _legacy_planner_file(rel, p):
            return None
        return _not_written(rel + ("/" if p.is_dir() else ""))
    if p.is_dir():
        prefix = rel + "/"
        if any(f.startswith(prefix) for f in listed):
            return None
        return _not_written(rel + "/")
    if rel == MANIFEST:
        return None
    entry = listed.get(rel)
    if entry is None or not p.is_file():
        return gettext(
            "{path}, which planner did not write (the previous run's {manifest} lacks it)"
        ).format(path=rel, manifest=MANIFEST)
    try:
        same = p.stat().st_size == entry.get("bytes") and _sha256(p) == entry.get("sha256")
    except OSError as exc:
        return gettext("{path}, which cannot be read ({reason})").format(
            path=rel, reason=exc.strerror or exc
        )
    if not same:
        return gettext(
            "{path}, which was changed after planner wrote it (it differs from {manifest})"
        ).format(path=rel, manifest=MANIFEST)
    return None


def _not_written(path: str) -> str:
    return gettext("{path}, which planner did not write").format(path=path)


def foreign_files(folder: str | os.PathLike[str]) -> list[str]:
    """What in an existing output folder is not planner's own, at every depth (sorted).

    A set written by planner carries ``manifest.json``: a file is planner's if the manifest
    lists it with the same size and SHA-256. Without a manifest (a set of an older version),
    only the names planner writes count: the files of :data:`PLANNER_FILES` at the top (as
    files) and a unit's four files in ``units/<unit>/``. Each item says why it is refused.
    """
    out = Path(folder)
    listed = _read_manifest(out)
    found = []
    skip: list[str] = []
    for rel, p in _walk(out):
        if any(rel.startswith(s) for s in skip):
            continue
        why = _what_is_foreign(rel, p, listed)
        if why is not None:
            found.append((rel, why))
            if p.is_dir() and not p.is_symlink():
                skip.append(rel + "/")  # the folder is named; its content with it
    return [why for _rel, why in sorted(found)]


def write_manifest(folder: Path, run_id: str) -> Path:
    """Write ``manifest.json`` into a complete set: the run id and every file's size and SHA-256."""
    files = {
        rel: {"bytes": p.stat().st_size, "sha256": _sha256(p)}
        for rel, p in _walk(folder)
        if p.is_file() and not p.is_symlink() and rel != MANIFEST
    }
    manifest = {
        "run_id": run_id,
        # untranslated: text of manifest.json, a machine-readable output
        "about": "Every file planner wrote into this folder, with its size and SHA-256. The next "
        "run into this folder replaces it only if it holds these files, unchanged, and nothing "
        "else.",
        "files": files,
    }
    path = folder / MANIFEST
    with path.open("w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=1, sort_keys=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    return path


def _remove_set(folder: Path, *, keep_as: Path, notes: list[str]) -> None:
    """Delete a replaced (or abandoned) set: only what planner wrote; keep everything else.

    Files its manifest lists unchanged (or, without a manifest, the names planner writes) are
    deleted; what is left (files that appeared during the run, files the system refuses to
    delete) is moved to ``keep_as`` and named in a note, never deleted.
    """
    if not folder.exists():
        return
    listed = _read_manifest(folder)
    errors: list[str] = []
    entries = list(_walk(folder))
    for rel, p in reversed(entries):  # children before their folders
        if p.is_dir() and not p.is_symlink():
            with contextlib.suppress(OSError):
                p.rmdir()  # only if empty
            continue
        if rel == MANIFEST:
            continue
        name = rel.rsplit("/", 1)[-1]
        side = next((x for x in SQLITE_SIDECARS if name.endswith(x)), None)
        ours = side is not None or _what_is_foreign(rel, p, listed) is None
        if not ours:
            continue
        try:
            p.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            errors.append(f"{rel} ({exc.strerror or exc})")
    left = [rel for rel, p in _walk(folder) if not p.is_dir() and rel != MANIFEST]
    with contextlib.suppress(OSError):
        (folder / MANIFEST).unlink()
    if not left:
        for _rel, p in reversed(list(_walk(folder))):
            with contextlib.suppress(OSError):
                p.rmdir()
        with contextlib.suppress(OSError):
            folder.rmdir()
        if not folder.exists():
            return
    try:
        folder.rename(keep_as)
        where = keep_as
    except OSError:
        where = folder
    unplanned = [rel for rel in left if not any(e.startswith(rel + " (") for e in errors)]
    if unplanned:
        notes.append(
            ngettext(
                "{n} file(s) that planner did not write appeared in the output folder while this "
                "run was computing ({files}); they were not deleted: they are in {where}",
                "{n} file(s) that planner did not write appeared in the output folder while this "
                "run was computing ({files}); they were not deleted: they are in {where}",
                len(unplanned),
            ).format(n=len(unplanned), files=_first_five(unplanned), where=where)
        )
    if errors:
        notes.append(
            ngettext(
                "{n} file(s) of the previous outputs could not be deleted ({files}); they are "
                "left in {where}: delete them yourself (e.g. after chattr -i)",
                "{n} file(s) of the previous outputs could not be deleted ({files}); they are "
                "left in {where}: delete them yourself (e.g. after chattr -i)",
                len(errors),
            ).format(n=len(errors), files=_first_five(errors), where=where)
        )


def _first_five(items: list[str]) -> str:
    """``a, b, c, d, e, ...``: the first five items, and ``...`` if there are more."""
    return ", ".join(items[:5]) + (", ..." if len(items) > 5 else "")


def _cannot_create_in(folder: Path) -> str | None:
    """Why no folder can be made in ``folder`` (``None``: one could; it is made and removed).

    ``os.access`` says yes to root everywhere, also in ``/proc`` or on a read-only mount, so
    the lock, staging folder and swap are tried for real on a hidden probe folder.
    """
    probe = folder / f".planner-probe-{os.getpid()}-{secrets.token_hex(3)}"
    try:
        probe.mkdir()
    except OSError as exc:
        return exc.strerror or str(exc)
    with contextlib.suppress(OSError):
        probe.rmdir()
    return None


def _refuse(flag: str, out: Path, problems: list[str], *, foreign: bool) -> Path:
    hint = (
        gettext(
            "planner replaces the whole output folder with each run's complete set of files, so "
            "it writes only into a new folder, an empty one or one of its own outputs. Move those "
            "files away or choose another {flag}."
        )
        if foreign
        else gettext("Choose a folder you can write to, e.g. {flag} ~/planner-out.")
    ).format(flag=flag)
    raise InputError(
        gettext("{flag} {out}: cannot write the outputs there").format(flag=flag, out=out),
        problems,
        hint,
    )


# --------------------------------------------------------------------------- the lock


@dataclass(frozen=True)
class _Lock:
    path: Path
    run_id: str


def _lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


def _acquire_lock(out: Path, run_id: str, notes: list[str]) -> _Lock:
    path = _lock_path(out)
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "run_id": run_id,
    }
    for _ in range(3):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            other = _read_lock(path)
            if not _is_stale(other):
                raise OutputError(
                    gettext(
                        "--out {out}: another planner run is writing there (pid {pid} on {host}, "
                        "started {started}, run {run})"
                    ).format(
                        out=out,
                        pid=other.get("pid"),
                        host=other.get("host"),
                        started=other.get("started"),
                        run=other.get("run_id"),
                    ),
                    hint=gettext(
                        "Wait for it to finish or choose another --out. If no such run exists "
                        "any more, delete the lock file {path}."
                    ).format(path=path),
                ) from None
            stale = path.with_name(f"{path.name}.stale-{os.getpid()}")
            with contextlib.suppress(FileNotFoundError):
                path.rename(stale)  # only one of several new runs wins this rename
                stale.unlink()
                notes.append(
                    gettext(
                        "took over the lock {path} of run {run} (pid {pid}, started {started}), "
                        "which is no longer running"
                    ).format(
                        path=path,
                        run=other.get("run_id"),
                        pid=other.get("pid"),
                        started=other.get("started"),
                    )
                )
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(record, f)
        return _Lock(path, run_id)
    raise OutputError(
        gettext("--out {out}: could not take the lock {path}").format(out=out, path=path),
        hint=gettext("Try again."),
    )


def _read_lock(path: Path) -> dict[str, object]:
    for _ in range(20):  # a lock being written is empty for a moment
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                return data
        except FileNotFoundError:
            return {}
        except (ValueError, OSError):
            pass
        time.sleep(0.05)
    return {
        "pid": None,
        "host": None,
        "started": gettext("at an unknown time"),
        "run_id": gettext("unknown"),
    }


def _is_stale(record: Mapping[str, object]) -> bool:
    """A lock is stale if it vanished or names a process of this host that no longer runs."""
    if not record:
        return True
    pid = record.get("pid")
    if record.get("host") != socket.gethostname() or not isinstance(pid, int):
        return False
    return _pid_gone(pid)


def _pid_gone(pid: int) -> bool:
    """Whether no process of this host has ``pid`` (one we may not signal still runs)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _release_lock(lock: _Lock) -> None:
    with contextlib.suppress(OSError):
        if json.loads(lock.path.read_text(encoding="utf-8")).get("run_id") == lock.run_id:
            lock.path.unlink()


# --------------------------------------------------------------------------- recovery


def _recover(out: Path, notes: list[str]) -> None:
    """Repair what killed runs left beside ``out`` (we hold the lock: no live run owns them)."""
    parent = out.parent
    if not parent.is_dir():
        return
    prefix = f".{out.name}."
    for old in sorted(parent.glob(f"{glob_escape(prefix)}old-*")):
        if not out.exists():
            old.rename(out)
            notes.append(
                gettext(
                    "a killed run had moved the previous outputs aside; moved {name} back to {out}"
                ).format(name=old.name, out=out)
            )
        else:
            _remove_set(old, keep_as=_kept(out, old.name.rsplit("old-", 1)[1]), notes=notes)
            notes.append(
                gettext(
                    "deleted {folder} (previous outputs of a killed run, already replaced)"
                ).format(folder=old)
            )
    for staging in sorted(parent.glob(f"{glob_escape(prefix)}staging-*")):
        _remove_set(staging, keep_as=_kept(out, staging.name.rsplit("staging-", 1)[1]), notes=notes)
        notes.append(gettext("deleted {folder} (outputs of a killed run)").format(folder=staging))
    for tmp in sorted(parent.glob(f"{glob_escape(prefix)}tmp-*")):  # national runs before 0.2
        if _national_tmp_gone(tmp.name):
            shutil.rmtree(tmp, ignore_errors=True)
            notes.append(
                gettext("deleted {folder} (unfinished outputs of a killed run)").format(folder=tmp)
            )


def _kept(out: Path, run_id: str) -> Path:
    """Where files that must not be deleted go when the set holding them is removed."""
    return out.parent / f"{out.name}.kept-{run_id}"


def glob_escape(text: str) -> str:
    """``text`` with glob metacharacters escaped."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def _national_tmp_gone(name: str) -> bool:
    try:
        pid = int(name.rsplit(".tmp-", 1)[1].split("-")[0])
    except (IndexError, ValueError):
        return False
    return _pid_gone(pid)


# --------------------------------------------------------------------------- the set


@dataclass
class OutputSet:
    """An output folder being written: files go to :attr:`path`, appear in :attr:`out_dir`.

    Attributes
    ----------
    out_dir
        The final folder (``--out``).
    path
        The staging folder to write into.
    run_id
        The run id every file of the set carries.
    expected_layers
        GeoPackage file name -> {layer: row count}, checked before the swap (optional).
    notes
        What was done about leftovers of killed runs and stale locks.
    """

    out_dir: Path
    path: Path
    run_id: str
    expected_layers: dict[str, dict[str, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    committed: bool = False
    discarded: bool = False

    def final(self, name: str) -> Path:
        """Where the file ``name`` written into :attr:`path` will be after the swap."""
        return self.out_dir / name

    def discard(self) -> None:
        """Leave ``out_dir`` as it was when the block ends (e.g. nothing worth writing)."""
        self.discarded = True


def _below(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies in ``folder`` (the staging folder)."""
    try:
        path.resolve().relative_to(folder.resolve())
    except (OSError, ValueError):
        return False
    return True


@contextlib.contextmanager
def output_set(
    out_dir: str | os.PathLike[str], *, run_id: str | None = None, flag: str = "--out"
) -> Iterator[OutputSet]:
    """Write a set of files into ``out_dir`` as one transaction (see the module docstring).

    Parameters
    ----------
    out_dir
        The output folder; checked at once (:func:`check_out_dir`).
    run_id
        The run id the files carry; a new one (:func:`new_run_id`) by default.
    flag
        How the user named the folder, for messages.

    Yields
    ------
    OutputSet
        Write the files into its ``path``; they replace ``out_dir`` when the block ends
        without an exception and every file passes :func:`verify_file`.

    Raises
    ------
    InputError
        If ``out_dir`` cannot be used (before anything is written).
    OutputError
        If another run holds the folder, writing fails for a reason of the environment (disk
        full, file-size limit, permissions) or a file fails verification. ``out_dir`` is then
        unchanged.

    Examples
    --------
    >>> with output_set("out/plan") as s:  # doctest: +SKIP
    ...     write_json(s.path / "summary.json", {"run_id": s.run_id, ...})
    """
    shown = check_out_dir(out_dir, flag=flag)
    out = shown.resolve()  # a symbolic link: its target is replaced, the link stays
    run_id = run_id or new_run_id()
    created = _missing_parents(out)
    notes: list[str] = []
    lock = None
    staging = out.parent / f".{out.name}.staging-{run_id}"
    try:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            lock = _acquire_lock(out, run_id, notes)
            _recover(out, notes)
            staging.mkdir()
            if out.is_dir():  # the new folder keeps the old one's permissions
                staging.chmod(stat.S_IMODE(out.stat().st_mode))
        except OutputError:
            raise
        except OSError as exc:
            raise _environment_error(exc, shown, "preparing") from None
        for note in notes:
            log.warning(note)
        target = OutputSet(out_dir=shown, path=staging, run_id=run_id, notes=notes)
        checkpoint("locked")
        try:
            yield target
        except OSError as exc:
            if isinstance(exc, OutputError) or exc.errno not in _ENV_ERRNOS:
                raise
            if exc.filename is not None and not _below(Path(str(exc.filename)), staging):
                raise  # an input file, read inside the block (the caller reports it as such)
            raise _environment_error(exc, shown, "writing") from exc
        except RuntimeError as exc:
            if type(exc).__module__.startswith("pyogrio"):  # GDAL: "Failed to commit ..."
                raise _environment_error(exc, shown, "writing") from exc
            raise
        if target.discarded:
            return
        try:
            write_manifest(staging, run_id)
        except OSError as exc:
            raise _environment_error(exc, shown, "writing") from None
        problems = [p for f in sorted(staging.iterdir()) for p in _verify(f, target)]
        problems += foreign_files(staging)  # the manifest lists exactly the files, unchanged
        if problems:
            raise OutputError(
                gettext(
                    "{flag} {out}: the new files failed the check before replacing the old ones; "
                    "{left}"
                ).format(flag=flag, out=shown, left=_left(shown)),
                problems,
                _space_hint(out),
            )
        checkpoint("verified")
        with _signals_held():
            try:
                _swap(staging, out)
            except OSError as exc:
                raise _environment_error(exc, shown, "replacing") from None
            target.committed = True
            removal_notes: list[str] = []
            _remove_set(staging, keep_as=_kept(out, run_id), notes=removal_notes)  # the old set
            _fsync_dir(out.parent)
            _release_lock(lock)
            lock = None
        for note in removal_notes:
            log.warning(note)
        target.notes.extend(removal_notes)
        log.info("run %s: wrote %s", run_id, shown)
    finally:
        if lock is not None:
            shutil.rmtree(staging, ignore_errors=True)
            _release_lock(lock)
        if not out.exists():
            for folder in created:  # deepest first; only folders this run made
                with contextlib.suppress(OSError):
                    folder.rmdir()


def _missing_parents(out: Path) -> list[Path]:
    missing = []
    p = out.parent
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    return missing


#: What failed, by the step of :func:`output_set` (one whole sentence each, for the catalogs).
_FAILED = {
    "preparing": N_("--out {out}: preparing the output files failed: {reason}{where}; {left}"),
    "writing": N_("--out {out}: writing the output files failed: {reason}{where}; {left}"),
    "replacing": N_("--out {out}: replacing the output files failed: {reason}{where}; {left}"),
}


def _environment_error(exc: BaseException, out: Path, doing: str) -> OutputError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
    return OutputError(
        gettext(_FAILED[doing]).format(out=out, reason=reason, where=where, left=_left(out)),
        hint=_space_hint(out.absolute()),
    )


def _left(out: Path) -> str:
    if out.exists():
        return gettext("{out} is unchanged").format(out=out)
    return gettext("nothing was written to {out}").format(out=out)


def _space_hint(out: Path) -> str:
    probe = out.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free / 1e6
    except OSError:
        return gettext("Check the disk space and the file-size limit (ulimit -f), then run again.")
    # English as it always was (1,234 MB); Russian and Kazakh as their numbers read (1 234 MB)
    megabytes = f"{free:,.0f}" if i18n.language() == "en" else i18n.fmt_int(free)
    return gettext(
        "{megabytes} MB are free on the disk of {folder}. Free some space (or raise the "
        "file-size limit, ulimit -f) or choose another --out, then run again."
    ).format(megabytes=megabytes, folder=probe)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back (main thread only) so the swap is not cut in two.

    A thread mask is not enough: the process's other threads (BLAS, GDAL) may take the signal
    and Python then acts on it in the main thread at once. So the handlers are replaced by one
    that notes the signal, which is raised again, to the original handler, once the swap is
    done.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: object) -> None:
        caught.append(signum)

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(sig)
        if handler is not None:  # None: installed outside Python, left alone
            previous[sig] = signal.signal(sig, hold)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if caught:
            signal.raise_signal(caught[0])


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _swap(staging: Path, out: Path) -> None:
    """Put ``staging`` at ``out``; afterwards ``staging`` holds the old set (or is gone)."""
    if not out.exists():
        staging.rename(out)
        return
    if os.environ.get("_PLANNER_PORTABLE_SWAP") != "1" and _exchange(staging, out):
        return
    old = out.parent / f".{out.name}.old-{staging.name.rsplit('staging-', 1)[1]}"
    out.rename(old)
    checkpoint("swap")
    staging.rename(out)
    old.rename(staging)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two folders (Linux renameat2); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False  # the file system cannot exchange: two renames instead
    raise OSError(err, os.strerror(err), os.fspath(b))


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --------------------------------------------------------------------------- verification


def _verify(path: Path, target: OutputSet) -> list[str]:
    if path.is_dir():
        return [p for f in sorted(path.iterdir()) for p in _verify(f, target)]
    if _ATOMIC_TMP.match(path.name) or path.name.endswith((".lock", "-journal", "-wal", "-shm")):
        return [gettext("{name}: a temporary file was left in the new set").format(name=path.name)]
    expected = target.expected_layers.get(path.name) if path.parent == target.path else None
    return verify_file(path, run_id=target.run_id, layers=expected)


def verify_file(
    path: str | os.PathLike[str],
    *,
    run_id: str | None = None,
    layers: Mapping[str, int] | None = None,
) -> list[str]:
    """Read a written file back; the list of problems (empty if it is complete and readable).

    - ``.gpkg``: opens, passes SQLite's quick check, has the ``layers`` given with these row
      counts, and every geometry column has a complete spatial index (one entry per non-empty
      geometry: a full disk can leave a GeoPackage without it, silently).
    - ``.json``: parses. ``.html``: ends with ``</html>``. ``.md``: not empty.
    - With ``run_id``: the file carries it (summary.json/national.json ``run_id``, the
      ``run`` table of a GeoPackage, the meta tag of an HTML page, the last
      lines of a memo); other files are only read.
    """
    p = Path(path)
    name = p.name
    try:
        if p.suffix == ".gpkg":
            return _verify_gpkg(p, run_id=run_id, layers=layers)
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, sqlite3.Error) as exc:
        return [gettext("{name}: cannot be read back ({error})").format(name=name, error=exc)]
    problems = []
    if p.suffix == ".json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            return [gettext("{name}: is not complete JSON ({error})").format(name=name, error=exc)]
        if run_id and isinstance(data, dict) and "run_id" in data and data["run_id"] != run_id:
            problems.append(
                gettext("{name}: run_id {found}, expected {expected}").format(
                    name=name, found=repr(data["run_id"]), expected=repr(run_id)
                )
            )
    elif p.suffix == ".html":
        if not text.rstrip().endswith("</html>"):
            problems.append(
                gettext("{name}: does not end with </html> (cut short)").format(name=name)
            )
        found = _html_run_id(text)
        if run_id and found is not None and found != run_id:
            problems.append(_other_run_id(name, found, run_id))
    elif p.suffix == ".md":
        if not text.strip():
            problems.append(gettext("{name}: is empty").format(name=name))
        found = _md_run_id(text)
        if run_id and found is not None and found != run_id:
            problems.append(_other_run_id(name, found, run_id))
    return problems


def _other_run_id(name: str, found: str, expected: str) -> str:
    return gettext("{name}: run id {found}, expected {expected}").format(
        name=name, found=repr(found), expected=repr(expected)
    )


def _verify_gpkg(path: Path, *, run_id: str | None, layers: Mapping[str, int] | None) -> list[str]:
    name = path.name
    problems = []
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        check = con.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            return [gettext("{name}: damaged ({check})").format(name=name, check=check)]
        # untranslated: SQL
        tables = [t for (t,) in con.execute("SELECT table_name FROM gpkg_contents").fetchall()]
        counts = {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
        for layer, rows in (layers or {}).items():
            if layer not in counts:
                problems.append(
                    gettext("{name}: layer {layer} is missing").format(name=name, layer=repr(layer))
                )
            elif counts[layer] != rows:
                problems.append(
                    ngettext(
                        "{name}: layer {layer} has {rows} rows, not {expected}",
                        "{name}: layer {layer} has {rows} rows, not {expected}",
                        counts[layer],
                    ).format(name=name, layer=repr(layer), rows=counts[layer], expected=rows)
                )
        for table, column in con.execute(
            "SELECT table_name, column_name FROM gpkg_geometry_columns"  # untranslated: SQL
        ).fetchall():
            rtree = f"rtree_{table}_{column}"
            # untranslated: SQL
            exists = con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (rtree,)).fetchone()
            if exists is None:
                problems.append(
                    gettext("{name}: layer {layer} has no spatial index").format(
                        name=name, layer=repr(table)
                    )
                )
                continue
            indexed = con.execute(f'SELECT COUNT(*) FROM "{rtree}"').fetchone()[0]
            non_empty = sum(
                1
                for (head,) in con.execute(f'SELECT substr("{column}", 1, 4) FROM "{table}"')
                if head is not None and len(head) == 4 and not head[3] & 0x10
            )
            if indexed != non_empty:
                problems.append(
                    ngettext(
                        "{name}: layer {layer}: spatial index has {indexed} of {total} geometries",
                        "{name}: layer {layer}: spatial index has {indexed} of {total} geometries",
                        non_empty,
                    ).format(name=name, layer=repr(table), indexed=indexed, total=non_empty)
                )
        if run_id is not None:
            found = _gpkg_run_id(con)
            if found != run_id:
                problems.append(
                    gettext("{name}: run id {found} in its run table, expected {expected}").format(
                        name=name, found=repr(found), expected=repr(run_id)
                    )
                )
    finally:
        con.close()
    return problems


def _gpkg_run_id(con: sqlite3.Connection) -> str | None:
    try:
        row = con.execute("SELECT run_id FROM run").fetchone()  # untranslated: SQL
    except sqlite3.Error:
        return None
    return None if row is None else str(row[0])


def _html_run_id(text: str) -> str | None:
    m = re.search(r'<meta name="planner-run-id" content="([^"]*)"', text)
    return m.group(1) if m else None


def _md_run_id(text: str) -> str | None:
    m = re.search(r"Run id: `([^`]*)`", text[-400:])
    return m.group(1) if m else None


def read_run_ids(out_dir: str | os.PathLike[str]) -> dict[str, str | None]:
    """The run id each file of an output folder carries (``None`` if it carries none).

    All values equal means the files are one set.
    """
    out = Path(out_dir)
    ids: dict[str, str | None] = {}
    for p in sorted(out.iterdir()):
        if p.suffix == ".json":
            data = json.loads(p.read_text(encoding="utf-8"))
            ids[p.name] = data.get("run_id") if isinstance(data, dict) else None
        elif p.suffix == ".html":
            ids[p.name] = _html_run_id(p.read_text(encoding="utf-8"))
        elif p.suffix == ".md":
            ids[p.name] = _md_run_id(p.read_text(encoding="utf-8"))
        elif p.suffix == ".gpkg":
            con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
            try:
                ids[p.name] = _gpkg_run_id(con)
            finally:
                con.close()
    return ids


def is_run_id(text: str) -> bool:
    """True for a run id as made by :func:`new_run_id`."""
    return bool(_RUN_ID.match(text))
