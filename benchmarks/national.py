"""Benchmarks of `planner national`: Malta by council, a synthetic country, the allocation alone.

Examples (from the repository root)::

    python benchmarks/national.py                            # every part, 10-40 minutes
    python benchmarks/national.py --part malta --repeats 3   # Malta, 67 councils, 3 runs
    python benchmarks/national.py --part synthetic           # 100 cities on 2 then 1 workers
    python benchmarks/national.py --part slowest             # its largest unit alone
    python benchmarks/national.py --part allocation          # the DP alone, 100 units x 279
    python benchmarks/national.py --part startup             # imports, local cluster start
    python benchmarks/national.py --part cuts                # street nodes in the unit cuts
    python benchmarks/national.py --update-md                # ... and rewrite BENCHMARKS.md
    python benchmarks/national.py --render-only --update-md  # BENCHMARKS.md from last results

Each national run is the real command line in a subprocess (``/usr/bin/time -v python -m
planner.cli national ... --out <tmp>``); the numbers are the command's wall clock (Python and
Dask start-up included), the phase split ``run.seconds`` and the per-unit ``seconds`` of the
``national.json`` it writes, and peak memory:

- **client**: ``VmHWM`` (the kernel's resident high-water mark) of the CLI process, read every
  0.2 s while it runs; ``/usr/bin/time``'s "Maximum resident set size" is also kept, but it is
  the largest of the client *and every descendant it reaped* (the workers), not the client's own;
- **workers**: every 0.2 s a thread lists the CLI process's descendants with psutil and keeps,
  per process, the largest RSS seen and its ``VmHWM``; the figure reported is the largest single
  worker process (nothing is summed; the sum is kept in the JSON as machine sizing only).

The command's output is read as it comes, with the time of each line, which places what
``run.seconds`` leaves out (start-up, the local cluster's start, the loop submitting the units).
The machine is shared: before each run the harness waits (``--idle-wait``, default 600 s) for
15 s without other jobs, then runs anyway, and records the CPU seconds other processes used
during the run (``/proc/stat`` minus this run's process tree). A run that exceeds
``--max-seconds`` (default 1,500 s) is stopped (its process group) and its partial progress
recorded; the full output goes to ``benchmarks/_results/national_logs/``.

The synthetic country (``python -m planner.synthetic``, SYNTHETIC data) is generated once into
``benchmarks/_data/national_synthetic/``. Results are merged into
``benchmarks/_results/national.json`` (gitignored); the numbers that matter go into the
national section of BENCHMARKS.md (``--update-md``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import (
    BENCHMARKS_MD,
    DATA_DIR,
    INSTANCES,
    REPO,
    RESULTS_DIR,
    SEED,
    machine,
    machine_text,
    replace_section,
    write_json,
)

RESULT_PATH = RESULTS_DIR / "national.json"
LOG_DIR = RESULTS_DIR / "national_logs"
SYNTHETIC_DIR = DATA_DIR / "national_synthetic"
TIME_BIN = "/usr/bin/time"
MIB = 2**20

#: Targets of the national run (from the issue).
MALTA_TARGET_S = 60.0
SYNTHETIC_TARGET_S = 600.0
WORKER_TARGET_MIB = 2 * 1000**3 / MIB  # 2 GB = 1,907 MiB (the stricter reading of "2 GB")

PHASES = (
    ("reading_s", "reading: one pass over the OSM file, units, stations, cuts (client)"),
    ("units_s", "per-unit pipelines on Dask (city, coverage, curve k = 0..K)"),
    ("allocation_s", "allocation: DP over the curves + greedy comparison (client)"),
    ("unit_outputs_s", "writing each unit's plan.gpkg, summary, map.html (workers)"),
    ("national_outputs_s", "writing national.gpkg/.json/.md/.html, swap in (client)"),
)


# --- running the command line ------------------------------------------------------------------


def _rel(path: Path) -> str:
    """A path as the docs show it: relative to the repository root when that is shorter."""
    rel = os.path.relpath(path, REPO)
    return rel if len(rel) < len(str(path)) else str(path)


def _vmhwm_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _kind(cmdline: list[str]) -> str:
    text = " ".join(cmdline)
    if "resource_tracker" in text:
        return "resource_tracker"
    if "forkserver" in text:
        return "forkserver"
    if "spawn_main" in text or "--multiprocessing-fork" in text:
        return "worker"
    return "other"


class MemorySampler(threading.Thread):
    """Every ``interval`` s: RSS and VmHWM of the CLI process and of each of its descendants."""

    def __init__(self, root_pid: int, via_time: bool, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.root_pid = root_pid
        self.via_time = via_time
        self.interval = interval
        self.stop_event = threading.Event()
        self.client_pid: int | None = None
        self.client: dict[str, Any] = {"rss_max_kib": 0, "vmhwm_kib": 0, "cpu_s": 0.0}
        self.procs: dict[int, dict[str, Any]] = {}
        self.total_max_kib = 0
        self.samples = 0
        self.t0 = time.perf_counter()

    def _client(self) -> Any:
        import psutil

        root = psutil.Process(self.root_pid)
        if self.via_time:  # /usr/bin/time -> python -m planner.cli
            kids = root.children()
            return kids[0] if kids else None
        return root

    def run(self) -> None:
        import psutil

        client = None
        while not self.stop_event.is_set():
            try:
                if client is None:
                    client = self._client()
                    if client is not None:
                        self.client_pid = client.pid
                if client is not None:
                    total = self._sample(client, self.client)
                    for child in client.children(recursive=True):
                        try:
                            entry = self.procs.get(child.pid)
                            if entry is None:
                                entry = self.procs[child.pid] = {
                                    "pid": child.pid,
                                    "kind": _kind(child.cmdline()),
                                    "rss_max_kib": 0,
                                    "vmhwm_kib": 0,
                                    "first_seen_s": round(time.perf_counter() - self.t0, 1),
                                }
                            elif entry["kind"] == "other":
                                # a spawned worker shows its parent's command line until exec
                                entry["kind"] = _kind(child.cmdline())
                            total += self._sample(child, entry)
                            entry["last_seen_s"] = round(time.perf_counter() - self.t0, 1)
                        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                            continue
                    self.total_max_kib = max(self.total_max_kib, total)
                    self.samples += 1
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                pass
            self.stop_event.wait(self.interval)

    @staticmethod
    def _sample(proc: Any, entry: dict[str, Any]) -> int:
        t = proc.cpu_times()
        entry["cpu_s"] = round(t.user + t.system, 2)
        rss = proc.memory_info().rss // 1024
        entry["rss_max_kib"] = max(entry["rss_max_kib"], rss)
        hwm = _vmhwm_kib(proc.pid)
        if hwm is not None:
            entry["vmhwm_kib"] = max(entry["vmhwm_kib"], hwm)
        return rss

    def result(self) -> dict[str, Any]:
        workers = [p for p in self.procs.values() if p["kind"] == "worker"]

        def mib(kib: float) -> float:
            return round(kib / 1024, 1)

        return {
            "interval_s": self.interval,
            "samples": self.samples,
            "client_pid": self.client_pid,
            "client_rss_max_mib": mib(self.client["rss_max_kib"]),
            "client_vmhwm_mib": mib(self.client["vmhwm_kib"]),
            "client_cpu_s": self.client["cpu_s"],
            "tree_cpu_s": round(
                self.client["cpu_s"] + sum(p.get("cpu_s", 0) for p in self.procs.values()), 1
            ),
            "workers": [
                {**p, "rss_max_mib": mib(p["rss_max_kib"]), "vmhwm_mib": mib(p["vmhwm_kib"])}
                for p in sorted(workers, key=lambda p: p["first_seen_s"])
            ],
            "other_processes": [
                {"kind": p["kind"], "rss_max_mib": mib(p["rss_max_kib"]), "cpu_s": p.get("cpu_s")}
                for p in self.procs.values()
                if p["kind"] != "worker"
            ],
            "worker_rss_max_mib": mib(max((p["rss_max_kib"] for p in workers), default=0)),
            "worker_vmhwm_max_mib": mib(max((p["vmhwm_kib"] for p in workers), default=0)),
            "sum_rss_max_mib": mib(self.total_max_kib),
        }


def machine_busy_s() -> float:
    """CPU seconds all processes of the machine have used since boot (``/proc/stat``)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def wait_idle(max_wait_s: float, busy_below: float = 0.25, window_s: float = 5.0) -> dict:
    """Wait until the machine's other jobs use under ``busy_below`` cores for 3 windows running.

    The machine is shared; a run beside another job's Dask workers measures the other job too.
    Returns how long it waited and the last busy share, so the record says what the run met.
    """
    start = time.perf_counter()
    quiet = 0
    busy = 0.0
    while time.perf_counter() - start < max_wait_s:
        b0 = machine_busy_s()
        time.sleep(window_s)
        busy = (machine_busy_s() - b0) / window_s
        quiet = quiet + 1 if busy < busy_below else 0
        if quiet >= 3:
            break
    return {
        "waited_s": round(time.perf_counter() - start, 1),
        "busy_cores_before": round(busy, 2),
        "idle": quiet >= 3,
    }


def _parse_time(path: Path) -> dict[str, Any]:
    """The fields of ``/usr/bin/time -v`` this harness uses."""
    out: dict[str, Any] = {}
    if not path.exists():
        return out
    text = path.read_text()
    patterns = {
        "user_s": r"User time \(seconds\): ([\d.]+)",
        "system_s": r"System time \(seconds\): ([\d.]+)",
        "maxrss_kib": r"Maximum resident set size \(kbytes\): (\d+)",
        "exit_status": r"Exit status: (\d+)",
        "cpu_percent": r"Percent of CPU this job got: (\d+)%",
    }
    for key, pat in patterns.items():
        m = re.search(pat, text)
        if m:
            out[key] = float(m.group(1))
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    if m:
        parts = [float(p) for p in m.group(1).split(":")]
        out["elapsed_s"] = sum(v * 60**i for i, v in enumerate(reversed(parts)))
    m = re.search(r"Command terminated by signal (\d+)", text)
    if m:
        out["signal"] = int(m.group(1))
    if "maxrss_kib" in out:
        out["maxrss_mib"] = round(out.pop("maxrss_kib") / 1024, 1)
    return out


_BAR = re.compile(r"^\s*(units|writing)\s+\[[#.]*\]\s+(\d+)/(\d+)\s+elapsed (\d+):(\d+):(\d+)")


def _log_summary(text: str) -> dict[str, Any]:
    """Last progress of each phase, the step lines, and the notes/warnings the CLI printed."""
    progress: dict[str, Any] = {}
    steps, notes = [], []
    for line in text.splitlines():
        m = _BAR.match(line)
        if m:
            h, mi, s = (int(v) for v in m.group(4, 5, 6))
            progress[m.group(1)] = {
                "done": int(m.group(2)),
                "total": int(m.group(3)),
                "elapsed_s": h * 3600 + mi * 60 + s,
            }
        elif " ... " in line and line.startswith("  ") and re.search(r"\d s$", line.strip()):
            steps.append(line.strip())
        if re.search(r"\b(note|warning|FAILED|Traceback|Error)\b", line, re.IGNORECASE):
            notes.append(line.strip())
    return {"progress": progress, "steps": steps, "printed_notes": notes[:50]}


def _national_summary(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    units = [
        {
            "name": u["name"],
            "status": u["status"],
            "seconds": u["seconds"],
            "buildings": u["buildings"],
            "residents": u["residents"],
            "stations": u["stations_usable"],
            "new_stations": u["new_stations"],
            "curve_len": len(u["curve"]),
            "notes": len(u["notes"]),
        }
        for u in data["units"]
    ]
    note_texts: dict[str, int] = {}
    for u in data["units"]:
        for n in u["notes"]:
            key = re.sub(r"\d[\d,.]*", "N", n)[:120]
            note_texts[key] = note_texts.get(key, 0) + 1
    return {
        "run": data["run"],
        "units_ok": data["units_ok"],
        "units_failed": data["units_failed"],
        "failed": data["failed"],
        "residents": data["residents"],
        "share_before": data["share_before"],
        "share_after": data["share_after"],
        "new_stations_used": data["new_stations_used"],
        "gap": data["gap"],
        "notes": data["notes"],
        "unit_note_kinds": note_texts,
        "units": units,
    }


def run_cli(
    cli_args: list[str], max_seconds: float, keep: bool = False, idle_wait_s: float = 0.0
) -> dict[str, Any]:
    """One ``planner national`` in a subprocess, measured; see the module docstring."""
    idle = wait_idle(idle_wait_s) if idle_wait_s > 0 else None
    if idle is not None:
        print(f"  machine: {idle}", file=sys.stderr, flush=True)
    work = Path(tempfile.mkdtemp(prefix="natbench-"))
    out_dir = work / "out"
    time_file, log_file = work / "time.txt", work / "log.txt"
    base = [sys.executable, "-m", "planner.cli", "national", *cli_args, "--out", str(out_dir)]
    has_time = Path(TIME_BIN).exists()
    cmd = [TIME_BIN, "-v", "-o", str(time_file), *base] if has_time else base
    print("$", " ".join(shlex.quote(c) for c in cmd), file=sys.stderr, flush=True)
    load0 = os.getloadavg()
    stopped = False
    commit = _git_state()
    busy0 = machine_busy_s()
    with log_file.open("w") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        reader = LineClock(proc.stdout, log, start)
        reader.start()
        sampler = MemorySampler(proc.pid, via_time=has_time)
        sampler.start()
        while True:
            try:
                proc.wait(timeout=1.0)
                break
            except subprocess.TimeoutExpired:
                if time.perf_counter() - start > max_seconds:
                    stopped = True
                    print(f"stopping after {max_seconds:.0f} s", file=sys.stderr, flush=True)
                    os.killpg(proc.pid, signal.SIGTERM)  # our own session: the CLI and its workers
                    try:
                        proc.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        os.killpg(proc.pid, signal.SIGKILL)
                        proc.wait()
                    break
        wall = time.perf_counter() - start
        reader.join(timeout=10)
    busy = machine_busy_s() - busy0
    sampler.stop_event.set()
    sampler.join(timeout=5)
    mem = sampler.result()
    log_text = log_file.read_text(errors="replace")
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    kept_log = LOG_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}-{work.name}.log"
    shutil.copyfile(log_file, kept_log)
    record: dict[str, Any] = {
        "timestamp": _now(),
        "commit": commit,
        "commit_after": _git_state(),
        "log_file": _rel(kept_log),
        "command": "planner national "
        + " ".join(shlex.quote(_rel(Path(a)) if Path(a).exists() else a) for a in cli_args)
        + " --out OUT",
        "wall_s": round(wall, 2),
        "exit_code": proc.returncode,
        "stopped_after_s": max_seconds if stopped else None,
        "load_avg_before": [round(v, 2) for v in load0],
        "load_avg_after": [round(v, 2) for v in os.getloadavg()],
        "idle_wait": idle,
        "machine_busy_cpu_s": round(busy, 1),
        # CPU the machine spent outside this run's process tree (other engineers' jobs)
        "others_cpu_s": round(max(busy - mem["tree_cpu_s"], 0.0), 1),
        "time_v": _parse_time(time_file),
        "memory": mem,
        "log": _log_summary(log_text),
        "clock": _clock_events(reader.lines, wall),
        "clock_lines": [[b, e, t[:100]] for b, e, t in reader.lines[:400]],
        "log_tail": log_text[-3000:],
    }
    nat = out_dir / "national.json"
    if nat.exists():
        record["national"] = _national_summary(nat)
        seconds = record["national"]["run"]["seconds"]
        if "national_outputs_s" not in seconds:
            # national.json is written inside the timed block, before its own time is known:
            # take the time the CLI printed for that step
            for line in record["log"]["steps"]:
                m = re.match(r"writing national\..*\.\.\. ([\d.]+) s$", line)
                if m:
                    seconds["national_outputs_s"] = float(m.group(1))
                    record["national_outputs_s_from"] = "the CLI's step line"
        record["output_mib"] = round(
            sum(f.stat().st_size for f in out_dir.rglob("*") if f.is_file()) / MIB, 1
        )
    if keep:
        record["kept"] = str(work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    _print_run(record)
    return record


class LineClock(threading.Thread):
    """Copies the command's output to the log, noting when each line began and ended.

    The CLI prints a step's name when it begins and its seconds when it ends (one line), and a
    progress line now and then; their times locate what the phases of ``run.seconds`` leave
    out (interpreter start-up and imports, the cluster's start, shutting down).
    """

    def __init__(self, stream: Any, log: Any, t0: float) -> None:
        super().__init__(daemon=True)
        self.stream, self.log, self.t0 = stream, log, t0
        self.lines: list[tuple[float, float, str]] = []

    def run(self) -> None:
        fd = self.stream.fileno()
        buf, began = b"", None
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            now = time.perf_counter() - self.t0
            self.log.write(chunk.decode(errors="replace"))
            self.log.flush()
            for part in chunk.splitlines(keepends=True):
                if began is None:
                    began = now
                buf += part
                if buf.endswith((b"\n", b"\r")):
                    text = buf.decode(errors="replace").strip()
                    self.lines.append((round(began, 2), round(now, 2), text))
                    buf, began = b"", None
        if buf:
            self.lines.append((round(began or 0.0, 2), round(time.perf_counter() - self.t0, 2),
                               buf.decode(errors="replace").strip()))  # fmt: skip


def _clock_events(lines: list[tuple[float, float, str]], wall: float) -> dict[str, Any]:
    """Seconds from the command's start at which the CLI's steps began and ended."""

    def first(prefix: str, end: bool = False) -> float | None:
        for began, ended, text in lines:
            if text.startswith(prefix):
                return ended if end else began
        return None

    def last(prefix: str) -> float | None:
        hits = [ended for _, ended, text in lines if text.startswith(prefix)]
        return hits[-1] if hits else None

    ev = {
        "reading_began": first("reading the inputs"),
        "reading_ended": first("reading the inputs", end=True),
        "units_bar_first": first("units "),
        "units_bar_last": last("units "),
        "allocation_began": first("allocating"),
        "writing_bar_first": first("writing  ["),
        "national_outputs_began": first("writing national"),
        "national_outputs_ended": first("writing national", end=True),
        "last_output": lines[-1][1] if lines else None,
        "exit": round(wall, 2),
    }
    gaps: dict[str, float] = {}
    if ev["reading_began"] is not None:
        gaps["before_reading_s"] = ev["reading_began"]  # interpreter, imports, checks
    if ev["reading_ended"] is not None and ev["units_bar_first"] is not None:
        # the local cluster's start and the scatter of every unit's cut
        gaps["cluster_start_and_submit_s"] = ev["units_bar_first"] - ev["reading_ended"]
    if ev["national_outputs_ended"] is not None:
        gaps["after_national_outputs_s"] = wall - ev["national_outputs_ended"]
    return {"events": ev, "gaps": {k: round(v, 2) for k, v in gaps.items()}}


def _git_state() -> str:
    """HEAD's short hash, with ``+dirty`` when planner/ has uncommitted changes (shared clone)."""

    def git(*a: str) -> str:
        return subprocess.run(
            ["git", "-C", str(REPO), *a], capture_output=True, text=True, check=False
        ).stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    return head + ("+dirty" if git("status", "--porcelain", "--", "planner") else "")


def _print_run(r: dict[str, Any]) -> None:
    m = r["memory"]
    nat = r.get("national", {})
    sec = nat.get("run", {}).get("seconds", {})
    print(
        f"  wall {r['wall_s']:.1f} s (exit {r['exit_code']}"
        + (f", STOPPED after {r['stopped_after_s']:.0f} s" if r["stopped_after_s"] else "")
        + f"), cpu {r['time_v'].get('user_s', 0) + r['time_v'].get('system_s', 0):.0f} s; "
        + ", ".join(f"{k} {v}" for k, v in sec.items())
        + f"; client VmHWM {m['client_vmhwm_mib']:.0f} MiB, largest worker "
        f"{m['worker_vmhwm_max_mib']:.0f} MiB ({len(m['workers'])} workers); "
        f"units ok {nat.get('units_ok')}, failed {nat.get('units_failed')}",
        file=sys.stderr,
        flush=True,
    )


# --- the parts ---------------------------------------------------------------------------------


def part_malta(args: argparse.Namespace) -> dict[str, Any]:
    pbf = INSTANCES["malta"].pbf
    cli = ["--osm", str(pbf), "--admin-level", "8", "--new-stations", "20"]
    if args.malta_workers:
        cli += ["--workers", str(args.malta_workers)]
    runs = [
        run_cli(cli, args.max_seconds, args.keep_out, args.idle_wait) for _ in range(args.repeats)
    ]
    return {"timestamp": _now(), "source": _rel(pbf), "runs": runs}


def ensure_synthetic(regenerate: bool) -> dict[str, Any]:
    files = [SYNTHETIC_DIR / n for n in ("synthetic.osm.pbf", "synthetic_units.geojson",
                                         "synthetic_stations.csv")]  # fmt: skip
    meta_path = SYNTHETIC_DIR / "generated.json"
    if not regenerate and all(f.exists() for f in files) and meta_path.exists():
        return json.loads(meta_path.read_text())
    SYNTHETIC_DIR.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "planner.synthetic", "--out", str(SYNTHETIC_DIR)]
    print("$", " ".join(cmd), file=sys.stderr, flush=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True)
    meta = {
        "command": f"python -m planner.synthetic --out {_rel(SYNTHETIC_DIR)}",
        "wall_s": round(time.perf_counter() - start, 2),
        "stdout": proc.stdout.strip(),
        "timestamp": _now(),
    }
    meta_path.write_text(json.dumps(meta, indent=1))
    return meta


def part_synthetic(args: argparse.Namespace) -> dict[str, Any]:
    meta = ensure_synthetic(args.regenerate)
    d = SYNTHETIC_DIR
    cli = [
        "--osm", str(d / "synthetic.osm.pbf"),
        "--units", str(d / "synthetic_units.geojson"),
        "--stations", str(d / "synthetic_stations.csv"),
        "--new-stations", "279",
    ]  # fmt: skip
    previous = _load().get("synthetic", {}).get("runs", {})
    runs = dict(previous) if args.keep_previous else {}
    for w in args.workers:
        runs[str(w)] = run_cli(
            [*cli, "--workers", str(w)], args.max_seconds, args.keep_out, args.idle_wait
        )
        runs[str(w)]["timestamp"] = _now()
    return {"timestamp": _now(), "generated": meta, "runs": runs}


def part_allocation(args: argparse.Namespace) -> dict[str, Any]:
    """``allocate`` (and ``allocate_greedy``) at national size on fixed-seed concave curves."""
    import numpy as np

    from planner.allocation import allocate, allocate_greedy

    n_units, budget, length = 100, 279, 280
    rng = np.random.default_rng(SEED)
    k = np.arange(length)
    curves, bounds = [], []
    for _ in range(n_units):
        total = rng.lognormal(9.0, 1.0)  # residents a unit could still gain
        scale = rng.uniform(2, 60)  # how fast its new stations saturate
        c = total * (1 - np.exp(-k / scale))
        curves.append(c)
        bounds.append(c * (1 + rng.uniform(0, 0.01, length) * (k > 0)))
    idle = wait_idle(args.idle_wait) if args.idle_wait > 0 else None
    busy0, own0 = machine_busy_s(), time.process_time()
    times, greedy_times = [], []
    result = None
    for _ in range(args.allocation_repeats):
        t = time.perf_counter()
        result = allocate(curves, budget, bounds=bounds)
        times.append(time.perf_counter() - t)
        t = time.perf_counter()
        allocate_greedy(curves, budget)
        greedy_times.append(time.perf_counter() - t)
    assert result is not None
    others = (machine_busy_s() - busy0) - (time.process_time() - own0)
    out = {
        "idle_wait": idle,
        "others_cpu_s": round(max(others, 0.0), 1),
        "timestamp": _now(),
        "units": n_units,
        "budget": budget,
        "curve_length": length,
        "bounds": True,
        "repeats": args.allocation_repeats,
        "seconds": [round(t, 4) for t in times],
        "median_s": round(statistics.median(times), 4),
        "greedy_seconds": [round(t, 4) for t in greedy_times],
        "greedy_median_s": round(statistics.median(greedy_times), 4),
        "used": int(result.used),
        "gap": float(result.gap),
        "curves": "per unit R (1 - exp(-k/s)), R ~ lognormal(9, 1), s ~ U(2, 60); bound = "
        "curve x (1 + U(0, 1 %)); fixed seed",
    }
    print(
        f"  allocate 100 x 279: median {out['median_s']:.3f} s of {out['seconds']}; greedy "
        f"{out['greedy_median_s']:.3f} s",
        file=sys.stderr,
    )
    return out


_CLUSTER_SNIPPET = """
import logging, time, json, sys
t0 = time.perf_counter()
from dask.distributed import Client, LocalCluster
import planner.national
t1 = time.perf_counter()
cluster = LocalCluster(n_workers=int(sys.argv[1]), threads_per_worker=1, processes=True,
                       dashboard_address=None, silence_logs=logging.ERROR)
client = Client(cluster, set_as_default=False)
t2 = time.perf_counter()
client.run(lambda: __import__("planner.pipeline") and None)  # what the first task imports
t3 = time.perf_counter()
client.close(); cluster.close()
t4 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "cluster_start_s": t2 - t1,
                  "workers_import_pipeline_s": t3 - t2, "cluster_close_s": t4 - t3}))
"""


def part_startup(args: argparse.Namespace) -> dict[str, Any]:
    """What the command spends outside its phases: interpreter, imports, the local cluster."""
    out: dict[str, Any] = {"timestamp": _now(), "repeats": 3}
    helps, clusters = [], []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "planner.cli", "national", "--help"],
            cwd=REPO,
            capture_output=True,
            check=True,
        )
        helps.append(time.perf_counter() - t)
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", _CLUSTER_SNIPPET, "2"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        rec = json.loads(proc.stdout.strip().splitlines()[-1])
        rec["process_s"] = time.perf_counter() - t
        clusters.append(rec)
    out["cli_help_s"] = round(statistics.median(helps), 2)
    out["cluster_2_workers"] = {
        k: round(statistics.median(c[k] for c in clusters), 2) for k in clusters[0]
    }
    print(f"  {out}", file=sys.stderr)
    return out


def part_slowest(args: argparse.Namespace) -> dict[str, Any]:
    """The synthetic country's largest unit alone, in this process: pipeline, then writing.

    ``national.json`` has each unit's pipeline time but not its writing time; the 100-worker
    estimate needs the slowest unit's. The unit's job is built as ``plan_nation`` builds it
    (this uses private helpers of ``planner.national``: if they change, this part says so).
    """
    from planner import national as nat
    from planner.osm import scan_osm
    from planner.units import prepare_units, read_units

    d = SYNTHETIC_DIR
    ensure_synthetic(False)
    options = nat.NationalOptions(new_stations=279)
    scan = scan_osm(d / "synthetic.osm.pbf")
    units, _ = prepare_units(
        read_units(d / "synthetic_units.geojson"), settings=options.settings, allow_overlap=False
    )
    try:
        stations, _ = nat._national_stations(d / "synthetic_stations.csv", units)
        jobs, _ = nat._jobs(units, scan, stations, options)
    except AttributeError as exc:
        return {"timestamp": _now(), "error": f"planner.national changed: {exc}"}
    job = max(jobs, key=lambda j: j.osm.highways.node_id.size)
    idle = wait_idle(args.idle_wait) if args.idle_wait > 0 else None
    busy0, own0 = machine_busy_s(), time.process_time()
    t = time.perf_counter()
    state = nat.unit_curve(job)
    curve_s = time.perf_counter() - t
    outcome = state if isinstance(state, nat.UnitOutcome) else state.outcome
    k = len(outcome.newly_covered) - 1  # write with every station its curve offers
    with tempfile.TemporaryDirectory(prefix="natbench-") as tmp:
        t = time.perf_counter()
        written = nat.write_unit(state, k, str(Path(tmp) / job.unit.folder), {})
        write_s = time.perf_counter() - t
    others = (machine_busy_s() - busy0) - (time.process_time() - own0)
    out = {
        "timestamp": _now(),
        "unit": job.unit.name,
        "street_nodes": int(job.osm.highways.node_id.size),
        "buildings": outcome.buildings,
        "pipeline_s": round(curve_s, 2),
        "write_s": round(write_s, 2),
        "write_new_stations": k,
        "write_status": written.status,
        "idle_wait": idle,
        "others_cpu_s": round(max(others, 0.0), 1),
    }
    print(f"  {out}", file=sys.stderr)
    return out


def part_cuts(args: argparse.Namespace) -> dict[str, Any]:
    """Street nodes in each unit's buffered cut, against the whole file (redundant reading)."""
    import numpy as np
    import shapely

    from planner.osm import scan_osm
    from planner.settings import WalkSettings
    from planner.units import buffer_m_for, prepare_units, read_units, units_from_osm

    out: dict[str, Any] = {"timestamp": _now()}
    sources = {
        "malta": (INSTANCES["malta"].pbf, None),
        "synthetic": (
            SYNTHETIC_DIR / "synthetic.osm.pbf",
            SYNTHETIC_DIR / "synthetic_units.geojson",
        ),
    }
    for name, (pbf, units_path) in sources.items():
        if not pbf.exists():
            continue
        scan = scan_osm(pbf)
        table = (
            units_from_osm(scan, admin_level=8) if units_path is None else read_units(units_path)
        )
        units, _ = prepare_units(table, settings=WalkSettings(), allow_overlap=False)
        whole = scan.cut(shapely.box(*scan.bounds_lonlat).buffer(0.1), label="whole file")
        sizes = []
        for u in units:
            try:
                sizes.append(
                    scan.cut(u.buffered, label=u.name, only_nearby_ways=True).highways.node_id.size
                )
            except Exception:  # a unit without streets: no cut
                sizes.append(0)
        s = np.array(sizes)
        out[name] = {
            "units": len(units),
            "buffer_m": buffer_m_for(WalkSettings()),
            "whole_file_street_nodes": int(whole.highways.node_id.size),
            "sum_cut_street_nodes": int(s.sum()),
            "max_cut_street_nodes": int(s.max()),
            "median_cut_street_nodes": float(np.median(s)),
            "redundancy": round(float(s.sum()) / whole.highways.node_id.size, 2),
        }
        print(f"  {name}: {out[name]}", file=sys.stderr)
    return out


# --- results and BENCHMARKS.md -----------------------------------------------------------------


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M")


def _load() -> dict[str, Any]:
    return json.loads(RESULT_PATH.read_text()) if RESULT_PATH.exists() else {}


def _f(v: float | None, nd: int = 1) -> str:
    return "–" if v is None else f"{v:,.{nd}f}"


def _secs(run: dict[str, Any]) -> dict[str, float]:
    return run.get("national", {}).get("run", {}).get("seconds", {})


def _other_s(run: dict[str, Any]) -> float:
    """Wall clock not in any phase: Python start-up and imports, Dask cluster start and close."""
    return run["wall_s"] - sum(_secs(run).values())


def _unit_stats(run: dict[str, Any]) -> dict[str, Any]:
    units = [u for u in run.get("national", {}).get("units", []) if u["status"] == "ok"]
    secs = sorted((u["seconds"] for u in units), reverse=True)
    if not secs:
        return {}
    slowest = max(units, key=lambda u: u["seconds"])
    return {
        "n": len(secs),
        "sum": sum(secs),
        "max": secs[0],
        "median": statistics.median(secs),
        "mean": sum(secs) / len(secs),
        "top5_share": sum(secs[:5]) / sum(secs),
        "slowest": slowest,
    }


def _verdict(value: float | None, limit: float, unit: str, why: str = "") -> str:
    if value is None:
        return "not measured"
    if value <= limit:
        return f"met ({100 * value / limit:.0f} % of the limit)"
    over = value - limit
    return f"**missed by {over:,.0f} {unit} ({100 * over / limit:.0f} %)**" + (
        f": {why}" if why else ""
    )


def _runs_over(runs: list[dict[str, Any]], limit: float) -> str:
    over = [r for r in runs if r["wall_s"] > limit]
    if not over or len(over) * 2 > len(runs):
        return ""
    return f"; {len(over)} of {len(runs)} runs over: " + ", ".join(
        f"{r['wall_s']:.1f} s (other jobs used {r.get('others_cpu_s', 0):.0f} CPU s meanwhile)"
        for r in over
    )


def _dominant(run: dict[str, Any]) -> str:
    secs = dict(_secs(run))
    secs["start-up"] = _other_s(run)
    name, value = max(secs.items(), key=lambda kv: kv[1])
    label = {
        "reading_s": "reading",
        "units_s": "unit pipelines",
        "allocation_s": "allocation",
        "unit_outputs_s": "writing the unit outputs",
        "national_outputs_s": "national outputs",
    }.get(name, name)
    others = sorted(((k, v) for k, v in secs.items() if k != name), key=lambda kv: -kv[1])[0]
    other_label = {"unit_outputs_s": "writing the unit outputs", "units_s": "unit pipelines",
                   "reading_s": "reading"}.get(others[0], others[0])  # fmt: skip
    return f"{label} {value:.0f} s and {other_label} {others[1]:.0f} s of {run['wall_s']:.0f} s"


def _timeline(run: dict[str, Any]) -> dict[str, float]:
    """Where the wall clock went, from the CLI's timed output lines and ``run.seconds``.

    ``units_s`` starts once the local cluster is up; the progress bar's first line comes after
    the last unit is submitted (one ``client.scatter`` + two ``submit`` per unit, in a loop on
    the client), so: cluster start = (units end - units_s) - reading end; submit loop = first
    bar line - (units end - units_s).
    """
    ev = run.get("clock", {}).get("events", {})
    s = _secs(run)
    if not ev or ev.get("units_bar_last") is None or "units_s" not in s:
        return {}
    units_began = ev["units_bar_last"] - s["units_s"]
    out = {
        "before_reading_s": ev["reading_began"],
        "cluster_start_s": units_began - ev["reading_ended"],
        "submit_loop_s": ev["units_bar_first"] - units_began,
        "after_last_submit_s": ev["units_bar_last"] - ev["units_bar_first"],
    }
    if ev.get("national_outputs_ended") is not None:
        out["after_national_outputs_s"] = run["wall_s"] - ev["national_outputs_ended"]
    return {k: round(v, 2) for k, v in out.items()}


def _gaps_text(run: dict[str, Any]) -> str:
    t = _timeline(run)
    if not t:
        return ""
    return (
        f"{t['before_reading_s']:.1f} s before reading begins (interpreter, imports); "
        f"{t['cluster_start_s']:.1f} s from the end of reading to the local cluster being up; "
        f"the loop submitting the units (one `scatter` of the cut per unit, serial on the "
        f"client, while the workers already compute) {t['submit_loop_s']:.1f} s of unit "
        f"pipelines' {_secs(run)['units_s']:.1f} s, then {t['after_last_submit_s']:.1f} s to "
        f"the last unit; {t.get('after_national_outputs_s', 0):.1f} s after the national "
        "outputs (summary, exit)"
    )


def _worker_peak(run: dict[str, Any]) -> float | None:
    m = run.get("memory", {})
    vals = [m.get("worker_vmhwm_max_mib"), m.get("worker_rss_max_mib")]
    vals = [v for v in vals if v]
    return max(vals) if vals else None


def render(result: dict[str, Any]) -> str:
    """The generated part of BENCHMARKS.md's national section (between the bench markers)."""
    malta = result.get("malta", {})
    syn = result.get("synthetic", {})
    alloc = result.get("allocation")
    cuts = result.get("cuts", {})
    mruns = [r for r in malta.get("runs", []) if "national" in r]
    sruns = syn.get("runs", {})
    s2, s1 = sruns.get("2"), sruns.get("1")
    out: list[str] = []

    # targets
    m_med = statistics.median([r["wall_s"] for r in mruns]) if mruns else None
    med_run = sorted(mruns, key=lambda r: r["wall_s"])[len(mruns) // 2] if mruns else None
    peaks = [p for r in [*mruns, *(x for x in (s1, s2) if x)] if (p := _worker_peak(r))]
    s2_done = s2 is not None and "national" in s2
    out += [
        "| target | limit | measured | verdict |",
        "| --- | --- | --- | --- |",
        f"| Malta, 67 councils (`--admin-level 8`), 20 new, whole command on 2 workers | <= 60 s "
        f"| median {_f(m_med)} s ({', '.join(_f(r['wall_s']) for r in mruns)}) | "
        + _verdict(m_med, MALTA_TARGET_S, "s", _dominant(med_run) if med_run else "")
        + _runs_over(mruns, MALTA_TARGET_S)
        + " |",
        "| synthetic country: 100 cities, 2 M residents, 2,800 stations, 279 new, 2 workers "
        f"| <= 10 min | {_f(s2['wall_s'] if s2_done else None)} s |"
        f" {_verdict(s2['wall_s'] if s2_done else None, SYNTHETIC_TARGET_S, 's')} |",
        f"| peak resident memory of any single worker process (all runs above) | <= 2 GB "
        f"(1,907 MiB) | {_f(max(peaks) if peaks else None, 0)} MiB | "
        + _verdict(max(peaks) if peaks else None, WORKER_TARGET_MIB, "MiB")
        + " |",
        "",
    ]

    # Malta runs
    if mruns:
        out += [
            "**Malta runs** (wall clock of the command; phases from `national.json` "
            "`run.seconds`; start-up = wall minus the phases: Python imports, Dask cluster "
            "start and close):",
            "",
            *_run_header("run"),
        ]
        for i, r in enumerate(mruns, 1):
            out.append(_run_row(str(i), r))
        ms = _unit_stats(med_run) if med_run else {}
        if ms:
            assert med_run is not None
            workers = med_run["national"]["run"]["workers"]
            write_per_unit = _secs(med_run).get("unit_outputs_s", 0) * workers / ms["n"]
            sl = ms["slowest"]
            out += [
                "",
                f"Per unit (median run): {ms['n']} units, pipeline seconds sum {ms['sum']:.0f} s, "
                f"median {ms['median']:.2f} s, max {ms['max']:.2f} s ({sl['name']}, "
                f"{sl['buildings']:,} buildings); the unit outputs took "
                f"{write_per_unit:.2f} worker-seconds per unit on average.",
                "",
                f"Timeline of the median run: {_gaps_text(med_run)}.",
            ]
        out.append("")

    # synthetic
    if sruns:
        gen = syn.get("generated", {})
        out += [
            f"**Synthetic country** (SYNTHETIC data, `{gen.get('command', '')}`, generated in "
            f"{gen.get('wall_s', 0):.1f} s: "
            + "; ".join(
                line.strip().split(": ", 1)[-1] if ": " in line else line.strip()
                for line in gen.get("stdout", "").splitlines()[1:]
            )
            + "):",
            "",
            *_run_header("workers"),
        ]
        for w in sorted(sruns, key=int):
            out.append(_run_row(w, sruns[w]))
        out.append("")
        for w in sorted(sruns, key=int):
            r = sruns[w]
            if _gaps_text(r):
                out.append(f"- Timeline, {w} worker(s): {_gaps_text(r)}.")
            if r.get("stopped_after_s"):
                prog = r["log"]["progress"].get("units", {})
                out.append(
                    f"- {w} worker(s): STOPPED after {r['stopped_after_s']:.0f} s with "
                    f"{prog.get('done', '?')}/{prog.get('total', '?')} units done."
                )
        done = [sruns[w] for w in sorted(sruns, key=int) if "national" in sruns[w]]
        if done:
            n = done[-1]["national"]
            longest = max(u["curve_len"] for u in n["units"])
            out.append(
                f"- The plan: coverage {100 * n['share_before']:.1f} % -> "
                f"{100 * n['share_after']:.2f} %, {n['new_stations_used']} of 279 new stations "
                f"used, national gap {100 * n['gap']:.2g} %. With 2,800 stations for 2 M "
                "residents most cities are nearly covered already: a unit's curve ends where no "
                f"further candidate adds residents (the longest has {longest - 1} stations, not "
                "279), so the curves are short and cheap here."
            )
        out.append("")
        if s1 and s2 and "national" in s1 and "national" in s2:
            a, b = _secs(s1), _secs(s2)
            u1, u2 = _unit_stats(s1), _unit_stats(s2)
            out += [
                "**1 -> 2 workers** (same inputs, same machine): "
                f"whole command {s1['wall_s']:.0f} s -> {s2['wall_s']:.0f} s "
                f"(x{s1['wall_s'] / s2['wall_s']:.2f}); "
                + "; ".join(
                    f"{label.split(':')[0].split(' (')[0]} {a.get(k, 0):.1f} -> {b.get(k, 0):.1f} s"
                    + (f" (x{a[k] / b[k]:.2f})" if b.get(k) and a.get(k) and a[k] > 1 else "")
                    for k, label in PHASES
                )
                + f". Sum of the per-unit pipeline times: {u1['sum']:.0f} s on 1 worker, "
                f"{u2['sum']:.0f} s on 2 (x{u2['sum'] / u1['sum']:.2f}: two workers on two cores, "
                "with the client and the scheduler beside them, slow each unit down).",
                "",
            ]
        est = [(w, r) for w, r in sorted(sruns.items()) if "national" in r]
        if est:
            out += [
                "**On paper, 100 workers** (one per unit; from the per-unit `seconds` of each "
                "run):",
                "",
                "| from the run on | reading (serial, client) | max unit pipeline (unit) | sum "
                "of unit pipelines / 100 | unit writing: mean; slowest unit | allocation + "
                "national outputs | critical path | balanced | client submit loop here |",
                "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
            ]
            slow = result.get("slowest")
            for w, r in est:
                e = paper_estimate(r, slow)
                tl = _timeline(r)
                out.append(
                    f"| {w} worker(s) | {e['reading_s']:.1f} s | {e['max_unit_s']:.1f} s "
                    f"({e['max_unit']}) | {e['sum_units_s'] / 100:.2f} s | "
                    f"{e['write_mean_s']:.2f} s; {e['write_slowest_s']:.1f} s "
                    f"({e['write_slowest_how']}) | "
                    f"{e['alloc_s'] + e['national_s']:.1f} s | **{e['critical_s']:.0f} s** | "
                    f"{e['balanced_s']:.0f} s | {tl.get('submit_loop_s', 0):.1f} s |"
                )
            out += [
                "",
                "critical path = reading + max(unit pipeline) + allocation + writing of the "
                "slowest unit + national outputs; balanced = reading + sum(unit pipelines)/100 + "
                "allocation + sum(unit writing)/100 + national outputs (with 100 units on 100 "
                "workers no unit can be split, so the critical path is the estimate and "
                "'balanced' only a floor). Writing per unit is not in `national.json`: the mean "
                "is `unit_outputs_s` x workers / units; the slowest unit's writing is measured "
                "alone (`--part slowest`). Not in the model, all serial on the client or per "
                "worker: Python start-up and imports, the loop that submits the units (one "
                "`scatter` round trip per unit; the last column), each worker's first import "
                "of `planner.pipeline` (in the slowest unit's time here, as the largest unit "
                "goes first), the scheduler's per-task overhead, and the workers' core counts "
                "(a unit's GEOS unions use every core of its machine).",
                "",
            ]
            if slow and "pipeline_s" in slow:
                out += [
                    f"The slowest unit alone (`--part slowest`, in one process, after the "
                    f"imports): {slow['unit']} ({slow['street_nodes']:,} street nodes, "
                    f"{slow['buildings']:,} buildings): pipeline {slow['pipeline_s']:.1f} s, "
                    f"writing with k = {slow['write_new_stations']} {slow['write_s']:.1f} s.",
                    "",
                ]
            u = _unit_stats(est[-1][1] if s1 is None else s1)
            if u:
                top = sorted(
                    (x for x in (s1 or est[-1][1])["national"]["units"] if x["status"] == "ok"),
                    key=lambda x: -x["seconds"],
                )[:5]
                out += [
                    "Slowest units ("
                    + ("1 worker" if s1 else f"{est[-1][0]} workers")
                    + "): "
                    + ", ".join(
                        f"{x['name']} {x['seconds']:.1f} s ({x['buildings']:,} buildings, "
                        f"{x['residents']:,.0f} residents)"
                        for x in top
                    )
                    + f"; the 5 slowest are {100 * u['top5_share']:.0f} % of the sum "
                    f"{u['sum']:.0f} s; median unit {u['median']:.2f} s.",
                    "",
                ]

    # allocation alone
    if alloc:
        out += [
            f"**Allocation alone**: `planner.allocation.allocate` for {alloc['units']} units, "
            f"budget {alloc['budget']}, curves of length {alloc['curve_length']} with bounds, "
            f"{alloc['repeats']} repetitions: median **{alloc['median_s'] * 1000:.0f} ms** "
            f"({', '.join(f'{t * 1000:.0f}' for t in alloc['seconds'])} ms); "
            f"`allocate_greedy` {alloc['greedy_median_s'] * 1000:.0f} ms (other jobs used "
            f"{alloc.get('others_cpu_s', '?')} CPU s meanwhile). Curves: "
            f"{alloc['curves']}.",
            "",
        ]
    startup = result.get("startup")
    if startup:
        c = startup["cluster_2_workers"]
        out += [
            "**Start-up** (`--part startup`, medians of 3): `planner national --help` "
            f"{startup['cli_help_s']:.1f} s (interpreter + CLI); in a fresh process, importing "
            f"dask.distributed + planner.national {c['import_s']:.1f} s, starting the local "
            f"cluster of 2 worker processes {c['cluster_start_s']:.1f} s, the workers' first "
            f"import of planner.pipeline {c['workers_import_pipeline_s']:.1f} s, closing the "
            f"cluster {c['cluster_close_s']:.1f} s (whole process {c['process_s']:.1f} s). "
            "In the command the cluster starts only after the reading phase.",
            "",
        ]
    if cuts:
        parts = [
            f"{name}: {c['units']} units, buffer {c['buffer_m']:.0f} m, the cuts hold "
            f"{c['sum_cut_street_nodes']:,} street nodes against {c['whole_file_street_nodes']:,}"
            f" in the whole file (x{c['redundancy']:.1f}; largest cut "
            f"{c['max_cut_street_nodes']:,}, median {c['median_cut_street_nodes']:,.0f})"
            for name, c in cuts.items()
            if isinstance(c, dict)
        ]
        out += [
            "**Street nodes per unit cut** (`--part cuts`: each unit's polygon plus the walking "
            "buffer, `OsmScan.cut(..., only_nearby_ways=True)`): " + "; ".join(parts) + ".",
            "",
        ]
    commits = sorted(
        {r.get("commit", "?") for r in [*mruns, *sruns.values()]}
        | {r.get("commit_after", "?") for r in [*mruns, *sruns.values()]}
    )
    if len(commits) > 1:
        out.append(
            f"The runs above were measured at commits {', '.join(commits)} (`git diff` between "
            "them, limited to `planner/`, shows what differs)."
        )
        out.append("")
    cmds = []
    if mruns:
        cmds.append(mruns[0]["command"])
    gen = syn.get("generated", {}).get("command")
    if gen:
        cmds.append(gen)
    for w in sorted(sruns, key=int):
        cmds.append(sruns[w]["command"])
    out += [
        "Reproduce (from the repository root; OUT any new folder):",
        "",
        "```sh",
        "python benchmarks/national.py --update-md           # every part below, ~10-40 min",
        "python benchmarks/national.py --part malta --repeats 3",
        "python benchmarks/national.py --part synthetic --workers 2,1",
        "python benchmarks/national.py --part slowest --part allocation --part startup --part cuts",
        "# the measured commands themselves:",
        *((f"/usr/bin/time -v {c}" if c.startswith("planner") else c) for c in cmds),
        "```",
        "",
    ]
    stamps = {k: v.get("timestamp") for k, v in result.items() if isinstance(v, dict)}
    out.append(
        "Measured "
        + ", ".join(f"{k} {v}" for k, v in stamps.items() if v)
        + f"; commit {', '.join(commits) or result.get('machine', {}).get('commit')}; raw "
        "results in "
        "`benchmarks/_results/national.json`."
    )
    return "\n".join(out)


RUN_COLUMNS = (
    ("wall s", "---:"),
    ("reading", "---:"),
    ("unit pipelines", "---:"),
    ("allocation", "---:"),
    ("unit outputs", "---:"),
    ("national outputs", "---:"),
    ("start-up", "---:"),
    ("CPU s (user+sys)", "---:"),
    ("other jobs' CPU s", "---:"),
    ("units ok / failed", "---"),
    ("client peak MiB", "---:"),
    ("largest worker peak MiB (per worker)", "---"),
    ("`time -v` max RSS MiB", "---:"),
)


def _run_header(first: str) -> list[str]:
    return [
        "| " + " | ".join([first, *(c for c, _ in RUN_COLUMNS)]) + " |",
        "| " + " | ".join(["---:", *(a for _, a in RUN_COLUMNS)]) + " |",
    ]


def _run_row(label: str, r: dict[str, Any]) -> str:
    s = _secs(r)
    nat = r.get("national", {})
    m = r["memory"]
    tv = r.get("time_v", {})
    per_worker = ", ".join(f"{_f(max(w['vmhwm_mib'], w['rss_max_mib']), 0)}" for w in m["workers"])
    cells = [
        label,
        f"{r['wall_s']:.1f}" + (" STOPPED" if r.get("stopped_after_s") else ""),
        *(f"{s[k]:.1f}" if k in s else "–" for k, _ in PHASES),
        f"{_other_s(r):.1f}" if s else "–",
        f"{tv.get('user_s', 0) + tv.get('system_s', 0):.0f}" if tv else "–",
        _f(r.get("others_cpu_s"), 0),
        f"{nat.get('units_ok', '–')} / {nat.get('units_failed', '–')}",
        f"{m['client_vmhwm_mib']:.0f}",
        f"{_f(_worker_peak(r), 0)} ({per_worker})",
        _f(tv.get("maxrss_mib"), 0),
    ]
    return "| " + " | ".join(cells) + " |"


def paper_estimate(
    run: dict[str, Any], slowest: dict[str, Any] | None = None, workers: int = 100
) -> dict[str, Any]:
    """The 100-worker model (see the notes under the table in BENCHMARKS.md)."""
    s = _secs(run)
    u = _unit_stats(run)
    w_here = run["national"]["run"]["workers"]
    write_total = s.get("unit_outputs_s", 0) * w_here  # worker-seconds of writing
    write_mean = write_total / u["n"]
    if slowest and slowest.get("unit") == u["slowest"]["name"] and "write_s" in slowest:
        write_slowest, write_how = slowest["write_s"], "measured alone"
    else:  # no measurement of that unit: assume writing scales with its pipeline time
        write_slowest, write_how = write_mean * u["max"] / u["mean"], "mean x max/mean pipeline"
    fixed = s.get("allocation_s", 0) + s.get("national_outputs_s", 0)
    return {
        "reading_s": s.get("reading_s", 0),
        "max_unit_s": u["max"],
        "max_unit": u["slowest"]["name"],
        "sum_units_s": u["sum"],
        "write_mean_s": write_mean,
        "write_slowest_s": write_slowest,
        "write_slowest_how": write_how,
        "alloc_s": s.get("allocation_s", 0),
        "national_s": s.get("national_outputs_s", 0),
        "critical_s": s.get("reading_s", 0) + u["max"] + write_slowest + fixed,
        "balanced_s": s.get("reading_s", 0) + u["sum"] / workers + write_total / workers + fixed,
    }


def update_markdown(result: dict[str, Any]) -> None:
    path = BENCHMARKS_MD
    text = path.read_text()
    if "<!-- bench:national:start -->" not in text:
        text = text.rstrip("\n") + (
            "\n\n## National run (`planner national`)\n\nMachine: "
            "<!-- bench:national-machine:start -->\n<!-- bench:national-machine:end -->\n\n"
            "<!-- bench:national:start -->\n<!-- bench:national:end -->\n"
        )
    text = replace_section(text, "national", render(result))
    text = replace_section(text, "national-machine", machine_text(result))
    path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]),
    )
    parser.add_argument(
        "--part",
        action="append",
        choices=("malta", "synthetic", "allocation", "cuts", "startup", "slowest"),
        help="what to run (repeatable; default: all)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="Malta runs (default 3)")
    parser.add_argument(
        "--malta-workers", type=int, default=None, help="--workers for Malta (default: the CLI's)"
    )
    parser.add_argument(
        "--workers",
        default="2,1",
        help="synthetic runs' --workers, comma separated, in this order (default 2,1)",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=1500.0,
        help="stop a national run after this long and record the partial progress (1,500 s)",
    )
    parser.add_argument(
        "--idle-wait",
        type=float,
        default=600.0,
        help="before each run, wait up to this long for the shared machine to be idle (600 s; "
        "0: do not wait)",
    )
    parser.add_argument("--allocation-repeats", type=int, default=5)
    parser.add_argument(
        "--regenerate", action="store_true", help="regenerate the synthetic country"
    )
    parser.add_argument(
        "--keep-previous",
        action="store_true",
        help="keep earlier synthetic runs with other worker counts in the results",
    )
    parser.add_argument("--keep-out", action="store_true", help="keep each run's output folder")
    parser.add_argument("--update-md", action="store_true", help="rewrite BENCHMARKS.md's section")
    parser.add_argument(
        "--render-only", action="store_true", help="no runs: print (and with --update-md write) "
        "the section from the last results"
    )  # fmt: skip
    args = parser.parse_args()
    args.workers = [int(w) for w in str(args.workers).split(",") if w.strip()]
    result = _load()
    if not args.render_only:
        command = "python benchmarks/national.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        parts = args.part or ["malta", "synthetic", "slowest", "allocation", "cuts", "startup"]
        runners = {
            "malta": part_malta,
            "synthetic": part_synthetic,
            "allocation": part_allocation,
            "cuts": part_cuts,
            "startup": part_startup,
            "slowest": part_slowest,
        }
        for name in parts:
            print(f"== {name}", file=sys.stderr, flush=True)
            result[name] = runners[name](args)
            result[name]["command"] = command
            result["machine"] = machine()
            write_json(RESULT_PATH, result)  # after each part: a stopped session keeps the rest
    print(render(result))
    if args.update_md:
        update_markdown(result)
        print("rewrote BENCHMARKS.md's national section", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
