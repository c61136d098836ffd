"""Issue 22, goal 4: a country of Kazakhstan's size and a real extract's density, end to end.

Examples (from the repository root)::

    python benchmarks/kazakhstan.py                  # generate (once) and run on 2 workers
    python benchmarks/kazakhstan.py --workers 1
    python benchmarks/kazakhstan.py --render-only    # the table of BENCHMARKS.md again

The country is ``python -m planner.synthetic --profile kazakhstan`` (SYNTHETIC data: 260
units, 20 M residents, 2.5 M buildings of which 2.3 M private houses, 36 M nodes, a 260 MB PBF;
Synthetic City 001-003 have 2.2, 1.6 and 1.5 M residents and few stations), generated once per
seed into ``benchmarks/_data/kz_<seed>/``. Each run is the real command line in a subprocess,
timed and sampled for memory by ``benchmarks/national.py``'s ``run_cli`` (client and every
worker's peak resident memory). Besides the phases, the record keeps every unit's own seconds
(``national.json``): from them, :func:`cluster_estimate` says what 16 and 100 workers would
take (see its docstring for the model). Results: ``benchmarks/_results/kazakhstan.json``
(gitignored); ``--update-md`` rewrites the table in BENCHMARKS.md between
``<!-- bench:kazakhstan:start -->`` and ``<!-- bench:kazakhstan:end -->``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import (
    BENCHMARKS_MD,
    DATA_DIR,
    REPO,
    RESULTS_DIR,
    machine,
    machine_text,
    replace_section,
)
from country import summarise
from national import run_cli

RESULT_PATH = RESULTS_DIR / "kazakhstan.json"
#: Targets of issue 22, goal 4.
WALL_TARGET_S = 20 * 60.0
CLIENT_TARGET_MIB = 4 * 1024
WORKER_TARGET_MIB = 3 * 1024


def generate(seed: int) -> dict[str, Any]:
    folder = DATA_DIR / f"kz_{seed}"
    meta_path = folder / "generated.json"
    if meta_path.exists():
        return json.loads(meta_path.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "planner.synthetic", "--out", str(folder),
        "--profile", "kazakhstan", "--seed", str(seed),
    ]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True)
    meta = {
        "folder": str(folder),
        "command": " ".join(cmd[1:]),
        "seconds": round(time.perf_counter() - t0, 1),
        "stdout": proc.stdout.strip(),
        "pbf_mb": round((folder / "synthetic.osm.pbf").stat().st_size / 1e6, 1),
    }
    meta_path.write_text(json.dumps(meta, indent=1))
    return meta


def cluster_estimate(unit_seconds: list[float], serial_s: float, workers: int) -> float:
    """Wall seconds of the unit phase on ``workers`` workers plus the serial rest.

    The unit tasks are handed out largest first as workers free up (what the scheduler does
    with the run's priorities), simulated here with the measured seconds of each unit: the
    phase ends when the last worker does. ``serial_s`` (reading, allocation, national outputs,
    and the proving rounds and unit outputs as measured on 2 workers, though they would shrink
    with more) is added unchanged: the estimate assumes the one client does not get faster and
    the workers do not get slower when there are more of them.
    """
    finish = [0.0] * workers
    for s in sorted(unit_seconds, reverse=True):
        k = min(range(workers), key=finish.__getitem__)
        finish[k] += s
    return serial_s + max(finish)


def run(args: argparse.Namespace) -> dict[str, Any]:
    meta = generate(args.seed)
    d = Path(meta["folder"])
    cli = [
        "--osm", str(d / "synthetic.osm.pbf"), "--units", str(d / "synthetic_units.geojson"),
        "--stations", str(d / "synthetic_stations.csv"), "--new-stations", "279",
        "--workers", str(args.workers), *args.extra,
    ]  # fmt: skip
    record = run_cli(cli, args.max_seconds, keep=True, idle_wait_s=args.idle_wait)
    out = Path(record["kept"]) / "out"
    if (out / "national.json").exists():
        record["country"] = summarise(out)
        s = json.loads((out / "national.json").read_text())
        record["unit_seconds_all"] = [u["seconds"] for u in s["units"] if u["status"] == "ok"]
        record["output_files"] = sum(1 for f in out.rglob("*") if f.is_file())
        record["output_mb"] = round(
            sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 1e6, 1
        )
    record["generated"] = meta
    record["workers"] = args.workers
    record["seed"] = args.seed
    return record


def render(results: dict[str, Any]) -> str:
    lines = [
        f"Machine: {machine_text({'machine': machine()})}",
        "",
        "| country | workers | wall s | reading | unit pipelines | proving points | allocation "
        "| unit outputs | national outputs | national gap | units proven to k + 1 "
        "| client peak MiB | largest worker MiB | est. 16 workers | est. 100 workers |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: | ---: |",
    ]
    for key in sorted(results):
        r = results[key]
        c = r.get("country")
        if c is None:
            lines.append(
                f"| {key} | {r['workers']} | {r['wall_s']:.0f} | (did not finish: exit "
                f"{r['exit_code']}) |"
            )
            continue
        sec = c["seconds"]
        mem = r["memory"]
        serial = (
            sec.get("reading_s", 0)
            + sec.get("allocation_s", 0)
            + sec.get("national_outputs_s", 0)
            + sec.get("refinement_s", 0)
            + sec.get("unit_outputs_s", 0)
        )
        est = {n: cluster_estimate(r["unit_seconds_all"], serial, n) for n in (16, 100)}
        lines.append(
            f"| seed {r['seed']} | {r['workers']} | {r['wall_s']:.0f} "
            f"| {sec.get('reading_s', 0):.0f} | {sec.get('units_s', 0):.0f} "
            f"| {sec.get('refinement_s', 0):.0f} | {sec.get('allocation_s', 0):.1f} "
            f"| {sec.get('unit_outputs_s', 0):.0f} | {sec.get('national_outputs_s', 0):.0f} "
            f"| {100 * c['gap']:.3f} % | {c['proven_k_plus_1']} of {c['units_ok']} "
            f"| {mem.get('client_vmhwm_mib', '?')} | {mem.get('worker_vmhwm_max_mib', '?')} "
            f"| {est[16]:.0f} s | {est[100]:.0f} s |"
        )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--max-seconds", type=float, default=5400.0)
    p.add_argument("--idle-wait", type=float, default=60.0)
    p.add_argument("--render-only", action="store_true")
    p.add_argument("--update-md", action="store_true")
    p.add_argument("extra", nargs="*", help="more options for planner national (after --)")
    args = p.parse_args()
    results = json.loads(RESULT_PATH.read_text()) if RESULT_PATH.exists() else {}
    if not args.render_only:
        record = run(args)
        record["options"] = " ".join(args.extra)
        key = f"kz{args.seed}-w{args.workers}" + ("-" + "_".join(args.extra) if args.extra else "")
        results[key] = record
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        RESULT_PATH.write_text(json.dumps(results, indent=1, default=str))
        print(json.dumps(record.get("country"), indent=1))
    table = render(results)
    print(table)
    if args.update_md:
        BENCHMARKS_MD.write_text(replace_section(BENCHMARKS_MD.read_text(), "kazakhstan", table))


if __name__ == "__main__":
    main()
