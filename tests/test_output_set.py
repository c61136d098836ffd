"""The output folder as one transaction: all of a run's files or none, never a mix, no leftovers.

In-process tests of :mod:`planner.output_set` on hand-made folders, then the real command line
in a subprocess (the tiny hand-made town, a plan in about 3 s) interrupted by SIGINT, SIGTERM and
SIGKILL at chosen moments of writing (the private ``_PLANNER_PAUSE_AT`` hook), run twice at once,
and run with a file-size limit (RLIMIT_FSIZE) as a full disk.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import resource
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from planner.errors import InputError, OutputError
from planner.output_set import (
    check_out_dir,
    foreign_files,
    output_set,
    read_run_ids,
    verify_file,
)
from planner.outputs import write_geopackage
from tests.conftest import ROOT, TINY


def snapshot(folder: Path) -> dict[str, bytes]:
    """The files of a set and their bytes, checking its manifest (which lists exactly them)."""
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "manifest.json"}
    if (folder / "manifest.json").exists():
        listed = json.loads((folder / "manifest.json").read_text())["files"]
        assert sorted(listed) == sorted(files)
        assert foreign_files(folder) == []
    return files


def beside(out: Path) -> list[str]:
    """Everything in the parent of ``out``: only ``out`` itself when nothing was left behind."""
    return sorted(p.name for p in out.parent.iterdir())


def old_set(out: Path) -> dict[str, bytes]:
    out.mkdir(parents=True)
    (out / "summary.json").write_text('{"run_id": "old"}\n')
    (out / "map.html").write_text("<html>old</html>\n")
    return snapshot(out)


# --------------------------------------------------------------------------- checking --out


def test_out_that_cannot_be_used_is_refused_before_anything(tmp_path: Path) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    with pytest.raises(InputError, match="is a file, not a folder"):
        check_out_dir(a_file)
    with pytest.raises(InputError, match=r"a_file is a file, so no folder can be made below it"):
        check_out_dir(a_file / "sub" / "out")
    with pytest.raises(InputError, match="an empty folder name"):
        check_out_dir("")
    with pytest.raises(InputError, match="the folder name is 300 bytes long; at most 222"):
        check_out_dir(tmp_path / ("x" * 300))
    with pytest.raises(InputError, match=r"cannot be used as a folder \(File name too long\)"):
        check_out_dir(tmp_path / ("y" * 300) / "out")
    assert beside(a_file) == ["a_file"]


def test_unrelated_files_are_listed_together_and_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    old_set(out)
    (out / "notes.docx").write_text("mine")
    (out / "photos").mkdir()
    with pytest.raises(InputError) as info:
        check_out_dir(out)
    assert info.value.problems == (
        f"{out} holds notes.docx, which planner did not write",
        f"{out} holds photos/, which planner did not write",
    )
    # planner's own files and the temporary files of older versions are not refused
    (out / "notes.docx").unlink()
    (out / "photos").rmdir()
    (out / ".plan.tmp-0a1b2c3d.gpkg-journal").write_text("")
    assert check_out_dir(out) == out


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_folder_where_none_can_be_made_is_bad_input_not_a_full_disk(tmp_path: Path) -> None:
    """/proc passes os.access for root; the old message blamed free space (exit 5)."""
    with pytest.raises(InputError) as info:
        check_out_dir("/proc/planner_out")
    assert info.value.problems == (
        "cannot create a folder in /proc (the system refuses: No such file or directory)",
    )
    assert "MB are free" not in str(info.value)
    proc = subprocess.run(plan_cmd(Path("/proc/planner_out"), 30), env=env(), capture_output=True,
                          text=True, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "cannot create a folder in /proc" in proc.stderr and "Traceback" not in proc.stderr


def test_the_current_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Replacing it would pull the folder the user works in away (their shell included)."""
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    for out in (".", "..", str(tmp_path)):
        with pytest.raises(InputError, match="is the current folder or holds it"):
            check_out_dir(out)
    assert check_out_dir("out") == Path("out")


def test_a_symbolic_link_stays_and_its_target_is_replaced(tmp_path: Path) -> None:
    real = tmp_path / "disk" / "real"
    old_set(real)
    link = tmp_path / "out"
    link.symlink_to(real, target_is_directory=True)
    with output_set(link) as s:
        (s.path / "map.html").write_text("<html>new</html>")
    assert link.is_symlink() and snapshot(link) == {"map.html": b"<html>new</html>"}
    assert beside(real) == ["real"] and beside(link) == ["disk", "out"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_read_only_out_is_refused(tmp_path: Path) -> None:  # pragma: no cover - not as root
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(InputError, match="permission denied or read-only"):
            check_out_dir(tmp_path / "out")
    finally:
        tmp_path.chmod(0o700)


# --------------------------------------------------------------------------- the transaction


def test_new_set_replaces_the_old_one_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    old_set(out)
    out.chmod(0o750)
    with output_set(out) as s:
        assert s.path.parent == tmp_path and s.path.name.startswith(".out.staging-")
        assert beside(out) == [".out.lock", s.path.name, "out"]
        (s.path / "summary.json").write_text(json.dumps({"run_id": s.run_id}))
    assert snapshot(out) == {"summary.json": json.dumps({"run_id": s.run_id}).encode()}
    assert beside(out) == ["out"]  # no staging folder, no old set, no lock
    assert s.committed
    assert stat.S_IMODE(out.stat().st_mode) == 0o750  # the folder's permissions are kept


@pytest.mark.parametrize("portable", [False, True], ids=["exchange", "two renames"])
def test_both_ways_of_swapping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, portable: bool
) -> None:
    if portable:
        monkeypatch.setenv("_PLANNER_PORTABLE_SWAP", "1")
    out = tmp_path / "out"
    old_set(out)
    with output_set(out) as s:
        (s.path / "map.html").write_text("<html>new</html>")
    assert snapshot(out) == {"map.html": b"<html>new</html>"}
    assert beside(out) == ["out"]


def test_failure_keeps_the_old_set_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    before = old_set(out)
    with pytest.raises(ValueError, match="computing failed"), output_set(out) as s:
        (s.path / "map.html").write_text("<html>new</html>")
        raise ValueError("computing failed")
    assert snapshot(out) == before
    assert beside(out) == ["out"]


def test_failure_into_a_new_folder_leaves_no_empty_folders(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "out"
    with pytest.raises(KeyboardInterrupt), output_set(out):
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_full_disk_is_an_output_error_and_keeps_the_old_set(tmp_path: Path) -> None:
    out = tmp_path / "out"
    before = old_set(out)
    with pytest.raises(OutputError) as info, output_set(out) as s:
        raise OSError(errno.ENOSPC, "No space left on device", str(s.path / "plan.gpkg"))
    message = str(info.value)
    assert "writing the output files failed: No space left on device" in message
    assert f"{out} is unchanged" in message and "MB are free on the disk" in message
    assert isinstance(info.value, OSError)  # callers may catch the builtin
    assert snapshot(out) == before
    assert beside(out) == ["out"]


def test_files_that_fail_the_check_are_not_swapped_in(tmp_path: Path) -> None:
    out = tmp_path / "out"
    before = old_set(out)
    with pytest.raises(OutputError) as info, output_set(out) as s:
        (s.path / "map.html").write_text("<html><body>cut sh")
        (s.path / "summary.json").write_text('{"run_id": "x", "cover')
        (s.path / "summary.md").write_text("  \n")
    assert info.value.problems == (
        "map.html: does not end with </html> (cut short)",
        "summary.json: is not complete JSON (Unterminated string starting at: line 1 column "
        "17 (char 16))",
        "summary.md: is empty",
    )
    assert snapshot(out) == before
    assert beside(out) == ["out"]


def test_a_file_of_another_run_is_caught(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as info, output_set(tmp_path / "out") as s:
        (s.path / "summary.json").write_text('{"run_id": "20250101T000000Z-aaaaaa"}')
        (s.path / "summary.md").write_text("# memo\n\nRun id: `20250101T000000Z-aaaaaa`\n")
        (s.path / "map.html").write_text(
            f'<html><meta name="planner-run-id" content="{s.run_id}"></html>'
        )
    assert info.value.problems == (
        f"summary.json: run_id '20250101T000000Z-aaaaaa', expected '{s.run_id}'",
        f"summary.md: run id '20250101T000000Z-aaaaaa', expected '{s.run_id}'",
    )


def points(n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"k": range(n)},
        geometry=[shapely.Point(i, i) for i in range(n - 1)] + [shapely.Point()],
        crs=32633,
    )


def test_geopackage_check_counts_rows_and_spatial_index(tmp_path: Path) -> None:
    good = write_geopackage(tmp_path / "good.gpkg", {"a": points(4)}, run={"run_id": "r1"})
    # 3 real points and an empty one: the index holds 3, which is complete
    assert verify_file(good, run_id="r1", layers={"a": 4}) == []
    assert verify_file(good, run_id="r2", layers={"a": 5, "b": 1}) == [
        "good.gpkg: layer 'a' has 4 rows, not 5",
        "good.gpkg: layer 'b' is missing",
        "good.gpkg: run id 'r1' in its run table, expected 'r2'",
    ]
    # what a full disk left in the issue: all rows, no spatial index
    bad = tmp_path / "bad.gpkg"
    points(4).to_file(bad, layer="a", driver="GPKG", engine="pyogrio", SPATIAL_INDEX="NO")
    assert verify_file(bad, layers={"a": 4}) == ["bad.gpkg: layer 'a' has no spatial index"]
    cut = tmp_path / "cut.gpkg"
    cut.write_bytes(good.read_bytes()[:5000])
    assert verify_file(cut)[0].startswith("cut.gpkg: ")


# --------------------------------------------------------------------------- lock and recovery


def test_a_second_run_into_the_same_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with output_set(out) as first:
        (first.path / "map.html").write_text("<html>1</html>")
        with pytest.raises(OutputError) as info, output_set(out):
            pass  # pragma: no cover - not entered
        message = str(info.value)
        assert message.startswith(f"--out {out}: another planner run is writing there (pid ")
        assert f"another planner run is writing there (pid {os.getpid()} on " in message
        assert f"run {first.run_id})" in message and ".out.lock" in message
    assert snapshot(out) == {"map.html": b"<html>1</html>"}
    assert beside(out) == ["out"]


def dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    return int(proc.stdout)


def test_leftovers_of_a_killed_run_are_cleaned_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    before = old_set(out)
    (tmp_path / ".out.lock").write_text(
        json.dumps({"pid": dead_pid(), "host": os.uname().nodename, "started": "t",
                    "run_id": "dead"})
    )  # fmt: skip
    (tmp_path / ".out.staging-dead").mkdir()
    (tmp_path / ".out.staging-dead" / ".plan.tmp-0a1b2c3d.gpkg").write_text("half")
    with caplog.at_level(logging.WARNING, logger="planner.output_set"), output_set(out) as s:
        s.discard()
    assert snapshot(out) == before
    assert beside(out) == ["out"]
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        f"took over the lock {tmp_path / '.out.lock'} of run dead",
        f"deleted {tmp_path / '.out.staging-dead'}",
    ]


def test_an_old_set_left_after_the_swap_is_deleted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Killed after the second rename, before the old set was deleted."""
    out = tmp_path / "out"
    before = old_set(out)
    old_set(tmp_path / ".out.old-dead")
    with caplog.at_level(logging.WARNING, logger="planner.output_set"), output_set(out) as s:
        s.discard()
    assert snapshot(out) == before
    assert beside(out) == ["out"]
    assert caplog.records[0].getMessage() == (
        f"deleted {tmp_path / '.out.old-dead'} (previous outputs of a killed run, already replaced)"
    )


def test_a_swap_cut_in_two_is_repaired(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Killed between the two renames: --out is gone, the old set and the new beside it."""
    out = tmp_path / "out"
    before = old_set(out)
    out.rename(tmp_path / ".out.old-dead")
    (tmp_path / ".out.staging-dead").mkdir()
    with caplog.at_level(logging.WARNING, logger="planner.output_set"), output_set(out) as s:
        s.discard()
    assert snapshot(out) == before
    assert beside(out) == ["out"]
    assert "moved .out.old-dead back to" in caplog.records[0].getMessage()


# --------------------------------------------------------------------------- the real command


def plan_cmd(out: Path, walk_m: int) -> list[str]:
    return [sys.executable, "-m", "planner.cli", "plan", "--osm", str(TINY), "--n-sites", "1",
            "--walk-m", str(walk_m), "--spacing-m", "10", "--out", str(out), "-q"]  # fmt: skip


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A complete set written by the command line with a 100 m limit."""
    out = tmp_path_factory.mktemp("previous") / "out"
    subprocess.run(plan_cmd(out, 100), env=env(), check=True, capture_output=True)
    return snapshot(out)


def with_previous(tmp_path: Path, previous: dict[str, bytes]) -> Path:
    out = tmp_path / "out"
    out.mkdir(parents=True)
    for name, data in previous.items():
        (out / name).write_bytes(data)
    return out


def paused(out: Path, at: str, tmp_path: Path, **extra: str) -> subprocess.Popen[str]:
    """Start the command and wait until it pauses at checkpoint ``at``."""
    marker = tmp_path / f"paused-{at.replace(':', '-')}"
    proc = subprocess.Popen(
        plan_cmd(out, 30),
        env=env(_PLANNER_PAUSE_AT=at, _PLANNER_PAUSE_FILE=str(marker), **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the command never reached the checkpoint"
        time.sleep(0.05)
    return proc


def assert_consistent(out: Path) -> None:
    """One complete set: the four files, all of one run."""
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json", "map.html", "plan.gpkg", "summary.json", "summary.md"
    ]  # fmt: skip
    assert foreign_files(out) == []
    assert len(set(read_run_ids(out).values())) == 1
    for p in out.iterdir():
        assert verify_file(p) == []


@pytest.mark.parametrize(
    ("sig", "at", "code", "said"),
    [
        (signal.SIGINT, "written:plan.gpkg", 130, "interrupted; {out} is unchanged"),
        (signal.SIGTERM, "written:summary.json", 143, "terminated; {out} is unchanged"),
        (signal.SIGINT, "verified", 130, "interrupted; {out} is unchanged"),
    ],
)
def test_interrupt_while_writing_keeps_the_previous_set(
    tmp_path: Path, previous: dict[str, bytes], sig: int, at: str, code: int, said: str
) -> None:
    out = with_previous(tmp_path / "w", previous)
    proc = paused(out, at, tmp_path)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code
    assert said.format(out=out) in err and "Traceback" not in err
    assert snapshot(out) == previous
    assert beside(out) == ["out"]


@pytest.mark.parametrize("at", ["locked", "gpkg-layer:buildings", "written:summary.md"])
def test_kill_while_writing_then_the_next_run_cleans_up(
    tmp_path: Path, previous: dict[str, bytes], caplog: pytest.LogCaptureFixture, at: str
) -> None:
    out = with_previous(tmp_path / "w", previous)
    proc = paused(out, at, tmp_path)
    proc.kill()
    proc.communicate(timeout=60)
    assert snapshot(out) == previous  # --out itself never holds a temporary file
    staging = [n for n in beside(out) if n.startswith(".out.staging-")]
    assert len(staging) == 1 and ".out.lock" in beside(out)
    if at.startswith("gpkg-layer"):  # killed inside GDAL's write: its temporary file is there
        left = sorted(p.name for p in (out.parent / staging[0]).iterdir())
        assert left and left[0].startswith(".plan.tmp-"), left
    with caplog.at_level(logging.WARNING, logger="planner.output_set"), output_set(out) as s:
        s.discard()
    assert beside(out) == ["out"]
    notes = [r.getMessage() for r in caplog.records]
    assert notes[0].startswith(f"took over the lock {out.parent / '.out.lock'}")
    assert notes[1].startswith(f"deleted {out.parent / staging[0]}")
    assert snapshot(out) == previous


def test_kill_between_the_two_renames(tmp_path: Path, previous: dict[str, bytes]) -> None:
    out = with_previous(tmp_path / "w", previous)
    proc = paused(out, "swap", tmp_path, _PLANNER_PORTABLE_SWAP="1")
    proc.kill()
    proc.communicate(timeout=60)
    assert not out.exists()  # the one moment --out is missing; the next run repairs it
    with output_set(out) as s:
        s.discard()
    assert snapshot(out) == previous
    assert beside(out) == ["out"]


@pytest.mark.parametrize(
    ("sig", "code", "said"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_interrupt_during_the_swap_waits_for_it(
    tmp_path: Path, previous: dict[str, bytes], sig: int, code: int, said: str
) -> None:
    """The signal is held back between the two renames: the swap completes, and the message
    says the new set is in place."""
    out = with_previous(tmp_path / "w", previous)
    proc = paused(out, "swap", tmp_path, _PLANNER_PORTABLE_SWAP="1", _PLANNER_PAUSE_S="2")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code
    assert f"{said}; the outputs were already complete: {out} holds this run's files" in err
    assert_consistent(out)
    assert snapshot(out) != previous
    assert json.loads((out / "summary.json").read_text())["parameters"]["max_walk_m"] == 30.0
    assert beside(out) == ["out"]


def test_a_second_run_is_refused_while_the_first_writes(
    tmp_path: Path, previous: dict[str, bytes]
) -> None:
    out = with_previous(tmp_path / "w", previous)
    first = paused(out, "written:plan.gpkg", tmp_path)
    second = subprocess.run(plan_cmd(out, 30), env=env(), capture_output=True, text=True)
    assert second.returncode == 5
    assert f"another planner run is writing there (pid {first.pid} on " in second.stderr
    assert "Traceback" not in second.stderr
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=60)
    assert snapshot(out) == previous
    assert beside(out) == ["out"]


def test_two_runs_at_once_leave_one_complete_set(
    tmp_path: Path, previous: dict[str, bytes]
) -> None:
    """The issue's race: 800 m and 500 m runs into one folder, both started together."""
    out = with_previous(tmp_path / "w", previous)
    procs = [
        subprocess.Popen(plan_cmd(out, w), env=env(), stderr=subprocess.PIPE, text=True,
                         stdout=subprocess.DEVNULL)
        for w in (30, 60)
    ]  # fmt: skip
    results = [(p.wait(timeout=120), p.communicate()[1]) for p in procs]
    assert {code for code, _ in results} <= {0, 5}
    assert any(code == 0 for code, _ in results)
    for code, err in results:
        if code == 5:
            assert "another planner run is writing there" in err
    assert_consistent(out)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["parameters"]["max_walk_m"] in (30.0, 60.0)
    assert beside(out) == ["out"]


def limit_file_size(kib: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (kib * 1024, kib * 1024))

    return apply


@pytest.mark.parametrize("kib", [8, 60, 150, 200])
def test_full_disk_exit_5_and_the_previous_set_stays(
    tmp_path: Path, previous: dict[str, bytes], kib: int
) -> None:
    out = with_previous(tmp_path / "w", previous)
    proc = subprocess.run(
        plan_cmd(out, 30), env=env(), capture_output=True, text=True,
        preexec_fn=limit_file_size(kib),
    )  # fmt: skip
    assert proc.returncode == 5, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"{out} is unchanged" in proc.stderr
    assert snapshot(out) == previous
    assert beside(out) == ["out"]


def test_full_disk_into_a_new_folder_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "new" / "out"
    proc = subprocess.run(
        plan_cmd(out, 30), env=env(), capture_output=True, text=True,
        preexec_fn=limit_file_size(60),
    )  # fmt: skip
    assert proc.returncode == 5, proc.stderr
    assert f"File too large; nothing was written to {out}" in proc.stderr
    assert list(tmp_path.iterdir()) == []


GRID_GPKG = """
import sys
import geopandas as gpd, numpy as np, shapely
from planner.output_set import output_set
from planner.outputs import write_geopackage
n = 20000
grid = gpd.GeoDataFrame(
    {"k": np.arange(n)}, geometry=shapely.points(np.arange(n) % 137, np.arange(n) // 137),
    crs=32633,
)
if sys.argv[1] == "plain":
    write_geopackage(sys.argv[2], {"grid": grid})
else:
    with output_set(sys.argv[2]) as s:
        s.expected_layers["plan.gpkg"] = {"grid": n}
        write_geopackage(s.path / "plan.gpkg", {"grid": grid}, run={"run_id": s.run_id})
"""


def test_full_disk_geopackage_without_spatial_index_is_caught(
    tmp_path: Path, previous: dict[str, bytes]
) -> None:
    """The issue's case: at a 1000 KiB file-size limit GDAL writes every row of a 20 000-point
    layer, fails to build the spatial index, and reports success (reproduced here first)."""
    plain = tmp_path / "plain.gpkg"
    subprocess.run([sys.executable, "-c", GRID_GPKG, "plain", str(plain)], env=env(),
                   check=True, preexec_fn=limit_file_size(1000))  # fmt: skip
    assert verify_file(plain, layers={"grid": 20000}) == [
        "plain.gpkg: layer 'grid' has no spatial index"
    ]
    out = with_previous(tmp_path / "w", previous)
    proc = subprocess.run(
        [sys.executable, "-c", GRID_GPKG, "set", str(out)], env=env(), capture_output=True,
        text=True, preexec_fn=limit_file_size(1000),
    )  # fmt: skip
    assert proc.returncode == 1
    assert "OutputError" in proc.stderr
    assert "plan.gpkg: layer 'grid' has no spatial index" in proc.stderr
    assert snapshot(out) == previous
    assert beside(out) == ["out"]


def test_an_unreadable_input_inside_the_block_is_not_an_output_error(tmp_path: Path) -> None:
    # the CLI reads its inputs inside the output set: a permission error on an input file is the
    # input's problem (exit 2, named by the CLI), not "writing the output files failed" (exit 5)
    out = tmp_path / "out"
    with pytest.raises(PermissionError) as info, output_set(out):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "stations.csv"))
    assert not isinstance(info.value, OutputError)
    assert not out.exists()
    # the same error on a file being written in the staging folder is the environment's
    with pytest.raises(OutputError), output_set(out) as target:
        raise PermissionError(errno.EACCES, "Permission denied", str(target.path / "plan.gpkg"))
    assert not out.exists()


# --------------------------------------------------------------------------- the user's files


def national_like_set(out: Path) -> None:
    """A set of national shape (a units/ folder of unit sets), written through output_set."""
    with output_set(out) as s:
        (s.path / "national.json").write_text(json.dumps({"run_id": s.run_id}))
        for unit in ("West", "East"):
            (s.path / "units" / unit).mkdir(parents=True)
            (s.path / "units" / unit / "summary.json").write_text(json.dumps({"run_id": s.run_id}))
            (s.path / "units" / unit / "map.html").write_text("<html>unit</html>")


@pytest.mark.parametrize(
    ("mine", "why"),
    [
        ("units/notes.docx", "units/notes.docx, which planner did not write"),
        ("units/West/notes.docx", "units/West/notes.docx, which planner did not write"),
        ("units/North/x.txt", "units/North/, which planner did not write"),
        ("national.html/x.txt", "national.html/, which planner did not write"),
    ],
)
def test_a_users_file_at_any_depth_is_refused_and_kept(tmp_path: Path, mine: str, why: str) -> None:
    out = tmp_path / "out"
    national_like_set(out)
    (out / mine).parent.mkdir(parents=True, exist_ok=True)
    (out / mine).write_text("the user's")
    with pytest.raises(InputError) as info:
        check_out_dir(out)
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith(f"{out} holds {why}")
    with pytest.raises(InputError), output_set(out) as s:
        (s.path / "national.json").write_text("{}")  # pragma: no cover - not entered
    assert (out / mine).read_text() == "the user's"
    assert beside(out) == ["out"]


def test_a_set_of_an_older_version_is_checked_by_name_at_every_depth(tmp_path: Path) -> None:
    """Without manifest.json only the names planner writes count: a unit's four files."""
    out = tmp_path / "out"
    (out / "units" / "West").mkdir(parents=True)
    (out / "national.json").write_text("{}")
    (out / "units" / "West" / "plan.gpkg").write_bytes(b"x")
    (out / "units" / "West" / "summary.md").write_text("memo")
    assert check_out_dir(out) == out
    (out / "units" / "West" / "notes.docx").write_text("mine")
    (out / "units" / "readme.txt").write_text("mine")
    (out / "map.html").mkdir()
    (out / "map.html" / "x.txt").write_text("mine")
    with pytest.raises(InputError) as info:
        check_out_dir(out)
    assert info.value.problems == (
        f"{out} holds map.html/, which planner did not write",
        f"{out} holds units/West/notes.docx, which planner did not write",
        f"{out} holds units/readme.txt, which planner did not write",
    )


def test_a_file_changed_after_planner_wrote_it_is_refused(tmp_path: Path) -> None:
    """An edited memo (or a GeoPackage edited in a GIS) is the user's work now."""
    out = tmp_path / "out"
    national_like_set(out)
    (out / "units" / "East" / "map.html").write_text("<html>edited by hand</html>")
    (out / "units" / "West" / "summary.json").unlink()  # missing files are fine
    (out / "national.gpkg-wal").write_bytes(b"")
    with pytest.raises(InputError) as info:
        check_out_dir(out)
    assert info.value.problems == (
        f"{out} holds national.gpkg-wal, which planner did not write (the previous run's "
        "manifest.json lacks it)",
        f"{out} holds units/East/map.html, which was changed after planner wrote it (it differs "
        "from manifest.json)",
    )
    (out / "national.gpkg-wal").unlink()
    (out / "units" / "East" / "map.html").unlink()
    with output_set(out) as s:
        write_geopackage(s.path / "national.gpkg", {"a": points(2)}, run={"run_id": s.run_id})
    assert check_out_dir(out) == out
    (out / "national.gpkg-wal").write_bytes(b"")  # the GeoPackage is open in QGIS
    with pytest.raises(InputError) as info:
        check_out_dir(out)
    assert info.value.problems == (
        f"{out} holds national.gpkg-wal, which SQLite keeps beside national.gpkg while a program "
        "has it open or was stopped while writing it (close it in QGIS or wherever it is open)",
    )


def test_files_that_appear_during_the_run_are_kept_not_deleted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    national_like_set(out)
    with caplog.at_level(logging.WARNING), output_set(out) as s:
        (s.path / "national.json").write_text(json.dumps({"run_id": s.run_id}))
        (out / "units" / "West" / "notes.docx").write_text("saved while planner ran")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "national.json"]
    kept = tmp_path / f"out.kept-{s.run_id}"
    assert beside(out) == ["out", kept.name]
    assert [p.relative_to(kept).as_posix() for p in sorted(kept.rglob("*")) if p.is_file()] == [
        "units/West/notes.docx"
    ]  # the previous set's own files are deleted, the user's file is kept
    assert (kept / "units" / "West" / "notes.docx").read_text() == "saved while planner ran"
    note = (
        "1 file(s) that planner did not write appeared in the output folder while this run was "
        f"computing (units/West/notes.docx); they were not deleted: they are in {kept}"
    )
    assert note in caplog.messages and note in s.notes


def test_a_file_that_cannot_be_deleted_is_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """chattr +i on a file of the previous set: the new set goes in, the old file is named."""
    out = tmp_path / "out"
    national_like_set(out)
    stuck = out / "units" / "East" / "map.html"
    if subprocess.run(["chattr", "+i", str(stuck)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not possible here (needs root on a file system that has it)")
    try:
        with caplog.at_level(logging.WARNING), output_set(out) as s:
            (s.path / "national.json").write_text(json.dumps({"run_id": s.run_id}))
        kept = tmp_path / f"out.kept-{s.run_id}"
        assert beside(out) == ["out", kept.name]
        assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "national.json"]
        assert (kept / "units" / "East" / "map.html").exists()
        assert not (kept / "units" / "West").exists()
        assert any(
            m.startswith("1 file(s) of the previous outputs could not be deleted "
                         "(units/East/map.html (Operation not permitted)); they are left in "
                         f"{kept}")
            for m in caplog.messages
        ), caplog.messages  # fmt: skip
    finally:
        for p in tmp_path.rglob("map.html"):
            subprocess.run(["chattr", "-i", str(p)], capture_output=True)


def test_the_command_line_keeps_a_users_file_in_a_subfolder(
    tmp_path: Path, previous: dict[str, bytes]
) -> None:
    """The held-out case: a folder named like an output, holding a user's file."""
    out = with_previous(tmp_path, previous)
    (out / "summary.md").unlink()
    (out / "summary.md").mkdir()
    (out / "summary.md" / "x.txt").write_text("mine")
    proc = subprocess.run(plan_cmd(out, 30), env=env(), capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "holds summary.md/, which planner did not write" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (out / "summary.md" / "x.txt").read_text() == "mine"
