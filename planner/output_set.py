"""The output folder as one transaction: a run's files appear all together or not at all.

Each writer in :mod:`planner.outputs` replaces its own file atomically, but a run writes a *set*
(plan.gpkg, summary.json, summary.md, map.html; or the national files and ``units/``). Two runs
into one folder, an interrupt or a full disk could leave files of different runs side by side.
:func:`output_set` makes the set one transaction. For ``--out`` = ``P/N``:

1. **Check first** (:func:`check_out_dir`, before any computing): ``--out`` must not be a file,
   lie below a file, be empty text or be unwritable, and an existing folder may hold only what
   planner writes. *Unrelated files are refused, not kept*: the whole folder is replaced, so a
   folder holding e.g. ``notes.docx`` is refused with the list of such files (move them or
   choose another ``--out``).
2. **Lock** ``P/.N.lock`` (created exclusively; JSON with pid, host, start time and run id). A
   second run into the same folder refuses at once with a message naming the first run. A lock
   left by a killed run (same host, process gone) is taken over, with a note.
3. **Recover** what killed runs left beside the folder (``P/.N.staging-*``, ``P/.N.old-*``):
   staging folders are deleted; a previous set moved aside but not yet replaced is moved back.
   Every action is logged as a warning (the CLI prints it as a note).
4. **Stage**: the caller writes the whole set into ``P/.N.staging-<run_id>`` (same file system).
5. **Verify** every file read back (:func:`verify_file`): GeoPackage layers, row counts and
   spatial indexes, JSON parses, HTML ends with ``</html>``, Markdown not empty, and each file
   carries the run id.
6. **Swap**: on Linux one atomic ``renameat2(RENAME_EXCHANGE)`` exchanges the staging folder and
   ``--out``; elsewhere ``--out`` is renamed to ``P/.N.old-<run_id>`` and the staging folder to
   ``--out`` (a kill between the two renames is repaired by the next run, step 3). SIGINT and
   SIGTERM are held back during the swap. The old set is then deleted and the lock released.

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

from planner._files import checkpoint
from planner.errors import InputError, OutputError

__all__ = [
    "OutputSet",
    "check_out_dir",
    "new_run_id",
    "output_set",
    "read_run_ids",
    "verify_file",
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
    }
)
#: Hidden temporary files of :func:`planner._files.atomic_path`, the one atomic writer (every
#: file of a run is written through it; a process killed mid-write leaves one behind).
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
            f'{flag} "": an empty folder name',
            hint=f"Give the output folder, e.g. {flag} out/almaty.",
        )
    out = Path(text)
    try:
        return _check_out(out, flag)
    except OSError as exc:
        raise InputError(
            f"{flag} {out}: cannot be used as a folder ({exc.strerror or exc})",
            hint=f"Choose another folder, e.g. {flag} out/plan.",
        ) from None


#: Longest folder name accepted: the staging folder beside it adds ``.`` and ``.staging-<run id>``.
_MAX_NAME_BYTES = 255 - len(".staging-20251121T224000Z-1a2b3c") - 1


def _check_out(out: Path, flag: str) -> Path:
    if len(os.fsencode(out.name)) > _MAX_NAME_BYTES:
        raise InputError(
            f"{flag} {out.name[:40]}...: the folder name is {len(os.fsencode(out.name))} bytes "
            f"long; at most {_MAX_NAME_BYTES} are possible (the file system's limit is 255, and "
            "planner's staging folder beside it adds 32)",
            hint=f"Choose a shorter name, e.g. {flag} out/plan.",
        )
    cwd = Path.cwd().resolve()
    if out.resolve() == cwd or out.resolve() in cwd.parents:
        raise InputError(
            f"{flag} {out}: is the current folder or holds it; planner replaces the output "
            "folder whole, which would pull the folder you are working in away",
            hint=f"Give a folder below it, e.g. {flag} out/plan.",
        )
    if out.exists() and not out.is_dir():
        raise InputError(
            f"{flag} {out}: is a file, not a folder",
            hint="Choose a folder name (planner writes several files into it).",
        )
    probe = out.absolute().parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(
            f"{flag} {out}: {probe} is a file, so no folder can be made below it",
            hint="Choose a folder whose parents are folders.",
        )
    problems = []
    if not os.access(probe, os.W_OK | os.X_OK):
        problems.append(f"cannot create files in {probe} (permission denied or read-only)")
    if out.is_dir():
        if not os.access(out, os.W_OK | os.X_OK):
            problems.append(f"{out} is not writable, so its files cannot be replaced")
        foreign = sorted(
            p.name + ("/" if p.is_dir() else "")
            for p in out.iterdir()
            if p.name not in PLANNER_FILES and not _ATOMIC_TMP.match(p.name)
        )
        if foreign:
            problems += [f"{out} holds {name}, which planner did not write" for name in foreign]
            return _refuse(flag, out, problems, foreign=True)
    if problems:
        _refuse(flag, out, problems, foreign=False)
    return out


def _refuse(flag: str, out: Path, problems: list[str], *, foreign: bool) -> Path:
    hint = (
        "planner replaces the whole output folder with each run's complete set of files, so it "
        "writes only into a new folder, an empty one or one of its own outputs. Move those "
        f"files away or choose another {flag}."
        if foreign
        else f"Choose a folder you can write to, e.g. {flag} ~/planner-out."
    )
    raise InputError(f"{flag} {out}: cannot write the outputs there", problems, hint)


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
                    f"--out {out}: another planner run is writing there "
                    f"(pid {other.get('pid')} on {other.get('host')}, started "
                    f"{other.get('started')}, run {other.get('run_id')})",
                    hint=f"Wait for it to finish or choose another --out. If no such run exists "
                    f"any more, delete the lock file {path}.",
                ) from None
            stale = path.with_name(f"{path.name}.stale-{os.getpid()}")
            with contextlib.suppress(FileNotFoundError):
                path.rename(stale)  # only one of several new runs wins this rename
                stale.unlink()
                notes.append(
                    f"took over the lock {path} of run {other.get('run_id')} (pid "
                    f"{other.get('pid')}, started {other.get('started')}), which is no longer "
                    "running"
                )
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(record, f)
        return _Lock(path, run_id)
    raise OutputError(f"--out {out}: could not take the lock {path}", hint="Try again.")


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
    return {"pid": None, "host": None, "started": "at an unknown time", "run_id": "unknown"}


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
                f"a killed run had moved the previous outputs aside; moved {old.name} back to {out}"
            )
        else:
            shutil.rmtree(old, ignore_errors=True)
            notes.append(f"deleted {old} (previous outputs of a killed run, already replaced)")
    for staging in sorted(parent.glob(f"{glob_escape(prefix)}staging-*")):
        shutil.rmtree(staging, ignore_errors=True)
        notes.append(f"deleted {staging} (unfinished outputs of a killed run)")
    for tmp in sorted(parent.glob(f"{glob_escape(prefix)}tmp-*")):  # national runs before 0.2
        if _national_tmp_gone(tmp.name):
            shutil.rmtree(tmp, ignore_errors=True)
            notes.append(f"deleted {tmp} (unfinished outputs of a killed run)")


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
        problems = [p for f in sorted(staging.iterdir()) for p in _verify(f, target)]
        if problems:
            raise OutputError(
                f"{flag} {shown}: the new files failed the check before replacing the old ones; "
                f"{_left(shown)}",
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
            shutil.rmtree(staging, ignore_errors=True)  # now the old set, if any
            _fsync_dir(out.parent)
            _release_lock(lock)
            lock = None
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


def _environment_error(exc: BaseException, out: Path, doing: str) -> OutputError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
    return OutputError(
        f"--out {out}: {doing} the output files failed: {reason}{where}; {_left(out)}",
        hint=_space_hint(out.absolute()),
    )


def _left(out: Path) -> str:
    return f"{out} is unchanged" if out.exists() else f"nothing was written to {out}"


def _space_hint(out: Path) -> str:
    probe = out.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free / 1e6
    except OSError:
        return "Check the disk space and the file-size limit (ulimit -f), then run again."
    return (
        f"{free:,.0f} MB are free on the disk of {probe}. Free some space (or raise the "
        "file-size limit, ulimit -f) or choose another --out, then run again."
    )


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
        return [f"{path.name}: a temporary file was left in the new set"]
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
        return [f"{name}: cannot be read back ({exc})"]
    problems = []
    if p.suffix == ".json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            return [f"{name}: is not complete JSON ({exc})"]
        if run_id and isinstance(data, dict) and "run_id" in data and data["run_id"] != run_id:
            problems.append(f"{name}: run_id {data['run_id']!r}, expected {run_id!r}")
    elif p.suffix == ".html":
        if not text.rstrip().endswith("</html>"):
            problems.append(f"{name}: does not end with </html> (cut short)")
        found = _html_run_id(text)
        if run_id and found is not None and found != run_id:
            problems.append(f"{name}: run id {found!r}, expected {run_id!r}")
    elif p.suffix == ".md":
        if not text.strip():
            problems.append(f"{name}: is empty")
        found = _md_run_id(text)
        if run_id and found is not None and found != run_id:
            problems.append(f"{name}: run id {found!r}, expected {run_id!r}")
    return problems


def _verify_gpkg(path: Path, *, run_id: str | None, layers: Mapping[str, int] | None) -> list[str]:
    name = path.name
    problems = []
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        check = con.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            return [f"{name}: damaged ({check})"]
        tables = [t for (t,) in con.execute("SELECT table_name FROM gpkg_contents").fetchall()]
        counts = {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
        for layer, rows in (layers or {}).items():
            if layer not in counts:
                problems.append(f"{name}: layer {layer!r} is missing")
            elif counts[layer] != rows:
                problems.append(f"{name}: layer {layer!r} has {counts[layer]} rows, not {rows}")
        for table, column in con.execute(
            "SELECT table_name, column_name FROM gpkg_geometry_columns"
        ).fetchall():
            rtree = f"rtree_{table}_{column}"
            exists = con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (rtree,)).fetchone()
            if exists is None:
                problems.append(f"{name}: layer {table!r} has no spatial index")
                continue
            indexed = con.execute(f'SELECT COUNT(*) FROM "{rtree}"').fetchone()[0]
            non_empty = sum(
                1
                for (head,) in con.execute(f'SELECT substr("{column}", 1, 4) FROM "{table}"')
                if head is not None and len(head) == 4 and not head[3] & 0x10
            )
            if indexed != non_empty:
                problems.append(
                    f"{name}: layer {table!r}: spatial index has {indexed} of {non_empty} "
                    "geometries"
                )
        if run_id is not None:
            found = _gpkg_run_id(con)
            if found != run_id:
                problems.append(f"{name}: run id {found!r} in its run table, expected {run_id!r}")
    finally:
        con.close()
    return problems


def _gpkg_run_id(con: sqlite3.Connection) -> str | None:
    try:
        row = con.execute("SELECT run_id FROM run").fetchone()
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
