"""Shared pieces of the benchmark harness: instances, phase timing, peak memory, cached inputs.

Both paths (the project and the OSMnx/networkx/spopt peer) run in their own subprocess, so the
peak resident memory of one never mixes with the other's. Peak memory is the process's
``ru_maxrss`` (high-water mark of resident memory, numpy/C allocations included) read at the end
of every phase: it is "peak so far", so it never decreases from one phase to the next.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / "_data"
RESULTS_DIR = BENCH_DIR / "_results"
BENCHMARKS_MD = REPO / "BENCHMARKS.md"

#: Fixed seed for every random choice of the harness (candidate sample, synthetic city).
SEED = 20240601


@dataclass(frozen=True)
class Instance:
    """One benchmark instance read from an OSM file."""

    name: str
    pbf: Path
    max_walk_m: float = 800.0
    n_candidates: int = 5000
    n_sites: int = 20
    #: Spacing of the project's street candidates before the fixed-seed sample to n_candidates.
    candidate_spacing_m: float = 100.0


INSTANCES = {
    "almaty": Instance("almaty", REPO / "data" / "almaty_2012.osm.pbf", n_candidates=2000),
    "malta": Instance(
        "malta",
        Path(
            os.environ.get(
                "PLANNER_MALTA_PBF",
                REPO.parent
                / "shared"
                / "data"
                / "osm"
                / "malta_2018_snodnipper"
                / "malta-latest.osm.pbf",
            )
        ),
    ),
}
# CI and the development machines keep shared/ beside the clone; /work/shared is this machine's.
if not INSTANCES["malta"].pbf.exists():
    _alt = Path("/work/shared/data/osm/malta_2018_snodnipper/malta-latest.osm.pbf")
    if _alt.exists():
        INSTANCES["malta"] = Instance("malta", _alt)


def peak_rss_mb() -> float:
    """High-water mark of this process's resident memory, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its finished children (e.g. CBC).

    On a machine shared with other jobs, wall time grows with their load; CPU time much less,
    so both are recorded.
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class PhaseLog:
    """Wall time and peak memory of named phases, with whatever each phase reports."""

    def __init__(self, side: str, instance: str) -> None:
        self.side = side
        self.instance = instance
        self.phases: list[dict[str, Any]] = []
        self.info: dict[str, Any] = {}

    @contextmanager
    def phase(self, name: str, **info: Any) -> Iterator[dict[str, Any]]:
        record: dict[str, Any] = {"phase": name, **info}
        cpu0 = cpu_seconds()
        load0 = os.getloadavg()[0]
        start = time.perf_counter()
        yield record
        record["wall_s"] = time.perf_counter() - start
        record["cpu_s"] = cpu_seconds() - cpu0
        record["peak_rss_mb"] = peak_rss_mb()
        # other jobs on the machine: the 1-minute load average before and after the phase
        record["load_avg"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
        self.phases.append(record)
        print(
            f"[{self.side}:{self.instance}] {name}: {record['wall_s']:.2f} s "
            f"(cpu {record['cpu_s']:.2f} s), peak {record['peak_rss_mb']:.0f} MiB, "
            f"load {record['load_avg']}",
            file=sys.stderr,
            flush=True,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "instance": self.instance,
            "info": self.info,
            "phases": self.phases,
            "peak_rss_mb": peak_rss_mb(),
        }


@contextmanager
def timed(record: dict[str, Any], key: str) -> Iterator[None]:
    """Add the wall time of the block to ``record[key]`` (sub-phase timings)."""
    start = time.perf_counter()
    yield
    record[key] = record.get(key, 0.0) + time.perf_counter() - start


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gib = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    versions = {}
    for mod in ("numpy", "scipy", "shapely", "geopandas", "osmnx", "networkx", "spopt", "pulp"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # optional dependency missing
            versions[mod] = None
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "commit": commit,
    }


# --- the inputs both paths share ------------------------------------------------------------


def inputs_path(instance: str) -> Path:
    return DATA_DIR / f"{instance}_inputs.npz"


def save_inputs(instance: str, **arrays: Any) -> Path:
    """Network, stations, demand and candidates as the project used them, for the peer."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = inputs_path(instance)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)
    return path


def load_inputs(instance: str) -> dict[str, np.ndarray]:
    with np.load(inputs_path(instance), allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def run_recorded(plog: Any, out: Path, fn: Any, *args: Any, **kwargs: Any) -> int:
    """Run ``fn(plog, ...)``, keep the phases that finished if it fails, write the JSON record.

    Returns the process exit status: 0, or 1 when ``fn`` raised (the error is in the record).
    """
    status = 0
    try:
        fn(plog, *args, **kwargs)
    except Exception as exc:  # keep the phases that finished, and say what failed
        import traceback

        traceback.print_exc()
        plog.info["error"] = f"{type(exc).__name__}: {exc}"
        status = 1
    record = plog.to_json()
    record["machine"] = machine()
    write_json(out, record)
    return status


def write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj, indent=1, default=_json_default))
    tmp.replace(path)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return str(value)


# --- OSM XML for the peer path ---------------------------------------------------------------


def osm_xml(instance: Instance) -> tuple[Path, dict[str, Any]]:
    """The instance's PBF converted once to OSM XML (cached), as OSMnx reads only XML.

    osmnx 2.x ``graph_from_xml`` fails on ways that reference nodes missing from the file
    (extracts clipped at their edge), so such ways are left out of the XML; how many is
    returned. The conversion is preparation and is not timed as part of the peer path.
    """
    import osmium

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    out = DATA_DIR / f"{instance.name}.osm"
    meta_path = out.with_suffix(".json")
    if out.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("source_size") == instance.pbf.stat().st_size:
            return out, meta
    start = time.perf_counter()
    node_ids: set[int] = set()
    for node in osmium.FileProcessor(str(instance.pbf), osmium.osm.NODE):
        node_ids.add(node.id)
    dropped_ways = 0
    dropped_highways = 0
    tmp = out.with_name(out.name + ".tmp.osm")
    with osmium.SimpleWriter(str(tmp), overwrite=True) as writer:
        for obj in osmium.FileProcessor(str(instance.pbf)):
            if obj.is_way() and any(ref.ref not in node_ids for ref in obj.nodes):
                dropped_ways += 1
                dropped_highways += "highway" in obj.tags
                continue
            writer.add(obj)
    tmp.replace(out)
    meta = {
        "source": str(instance.pbf),
        "source_size": instance.pbf.stat().st_size,
        "dropped_ways_with_missing_nodes": dropped_ways,
        "dropped_highway_ways": dropped_highways,
        "convert_s": time.perf_counter() - start,
    }
    meta_path.write_text(json.dumps(meta, indent=1))
    return out, meta


# --- BENCHMARKS.md sections (used by report.py, national.py, try_sites.py, startup.py) ---------


def replace_section(text: str, name: str, body: str) -> str:
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"BENCHMARKS.md has no {start} ... {end} section to rewrite")
    return pattern.sub(lambda _: f"{start}\n{body}\n{end}", text)


def machine_text(result: dict[str, Any]) -> str:
    m = result.get("machine", {})
    v = m.get("versions", {})
    return (
        f"{m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_gib')} GiB; Python "
        f"{m.get('python')}; " + ", ".join(f"{k} {val}" for k, val in v.items() if val)
    )
