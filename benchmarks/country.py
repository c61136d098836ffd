"""Issue 22: the country at scale. A synthetic country of 600 units run end to end, proven.

Examples (from the repository root)::

    python benchmarks/country.py                         # 600 cities, seed 2026, 2 workers
    python benchmarks/country.py --seed 7                # a second country
    python benchmarks/country.py --workers 1
    python benchmarks/country.py --render-only           # the table of BENCHMARKS.md again

The country is ``python -m planner.synthetic --cities 600 --residents 20000000 --stations 2800``
(SYNTHETIC data: 443k buildings, 2,800 stations; generated once per seed into
``benchmarks/_data/country_<seed>/``). Each run is the real command line in a subprocess, timed
and sampled for memory by ``benchmarks/national.py``'s ``run_cli`` (see its docstring: the
client's and every worker's peak resident memory, other jobs' CPU seconds meanwhile). What is
kept from ``national.json``: the phases, the national gap, how many curve points the allocation
made the run prove (``allocation.refinement``), how many units are proven up to their
allocation + 1, and the largest units' numbers. Results: ``benchmarks/_results/country.json``
(gitignored); ``--update-md`` rewrites the table in BENCHMARKS.md between
``<!-- bench:country:start -->`` and ``<!-- bench:country:end -->``.
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
from national import run_cli

RESULT_PATH = RESULTS_DIR / "country.json"
#: Targets of issue 22 (goal 1: proven; goal 3: fast).
GAP_TARGET = 0.005
WALL_TARGET_S = 240.0


def generate(seed: int, cities: int, residents: int, stations: int) -> dict[str, Any]:
    folder = DATA_DIR / f"country_{seed}_{cities}"
    meta_path = folder / "generated.json"
    if meta_path.exists():
        return json.loads(meta_path.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "planner.synthetic", "--out", str(folder), "--cities", str(cities),
        "--residents", str(residents), "--stations", str(stations), "--seed", str(seed),
    ]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True)
    meta = {
        "folder": str(folder),
        "command": " ".join(cmd[1:]),
        "seconds": round(time.perf_counter() - t0, 1),
        "stdout": proc.stdout.strip(),
    }
    meta_path.write_text(json.dumps(meta, indent=1))
    return meta


def summarise(out: Path) -> dict[str, Any]:
    s = json.loads((out / "national.json").read_text())
    alloc = s["allocation"]
    units = [u for u in s["units"] if u["status"] == "ok"]
    big = sorted(units, key=lambda u: -u["residents"])[:3]
    return {
        "gap": s["gap"],
        "newly_covered": s["newly_covered"],
        "upper_bound_covered": s["upper_bound_covered"],
        "share_before": s["share_before"],
        "share_after": s["share_after"],
        "used": s["new_stations_used"],
        "units_ok": s["units_ok"],
        "refinement": alloc.get("refinement"),
        "proven_k_plus_1": alloc.get("units_proven_through_allocated_k_plus_1"),
        "seconds": s["run"]["seconds"],
        "time_limit_hit": s["time_limit_hit"],
        "allocation": {u["name"]: u["new_stations"] for u in units if u["new_stations"]},
        "largest": [
            {
                "name": u["name"],
                "residents": u["residents"],
                "new_stations": u["new_stations"],
                "gap": u["gap"],
                "refined_k": u["refined_k"],
                "proven_through_k": u["proven_through_k"],
                "curve_length": len(u["curve"]) - 1,
                "seconds": u["seconds"],
            }
            for u in big
        ],
        "unit_seconds": sorted((u["seconds"] for u in units), reverse=True)[:5],
        "unit_seconds_sum": round(sum(u["seconds"] for u in units), 1),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    meta = generate(args.seed, args.cities, args.residents, args.stations)
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
        record["output_files"] = sum(1 for f in out.rglob("*") if f.is_file())
    record["generated"] = meta
    record["workers"] = args.workers
    record["seed"] = args.seed
    return record


def render(results: dict[str, Any]) -> str:
    lines = [
        f"Machine: {machine_text({'machine': machine()})}",
        "",
        "| country | workers | options | wall s | reading | unit pipelines | proving points "
        "| allocation | unit outputs | national outputs | national gap | points proven again "
        "(units, rounds) | units proven to k + 1 | client peak MiB | largest worker MiB |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: "
        "| ---: | ---: |",
    ]
    for key in sorted(results):
        r = results[key]
        c = r.get("country")
        if c is None:
            lines.append(
                f"| {key} | {r['workers']} | | {r['wall_s']} | (failed: exit {r['exit_code']}) |"
            )
            continue
        sec = c["seconds"]
        ref = c["refinement"] or {"points": 0, "units": 0, "rounds": []}
        mem = r["memory"]
        lines.append(
            f"| seed {r['seed']} | {r['workers']} | {r.get('options', '') or 'defaults'} "
            f"| {r['wall_s']:.0f} | {sec.get('reading_s', 0):.0f} | {sec.get('units_s', 0):.0f} "
            f"| {sec.get('refinement_s', 0):.0f} | {sec.get('allocation_s', 0):.1f} "
            f"| {sec.get('unit_outputs_s', 0):.0f} | {sec.get('national_outputs_s', 0):.0f} "
            f"| {100 * c['gap']:.3f} % | {ref['points']} ({ref['units']}, {len(ref['rounds'])}) "
            f"| {c['proven_k_plus_1']} of {c['units_ok']} "
            f"| {mem.get('client_vmhwm_mib', '?')} | {mem.get('worker_vmhwm_max_mib', '?')} |"
        )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--cities", type=int, default=600)
    p.add_argument("--residents", type=int, default=20_000_000)
    p.add_argument("--stations", type=int, default=2800)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--max-seconds", type=float, default=3600.0)
    p.add_argument("--idle-wait", type=float, default=120.0)
    p.add_argument("--render-only", action="store_true")
    p.add_argument("--update-md", action="store_true")
    p.add_argument("extra", nargs="*", help="more options for planner national (after --)")
    args = p.parse_args()
    results = json.loads(RESULT_PATH.read_text()) if RESULT_PATH.exists() else {}
    if not args.render_only:
        record = run(args)
        record["options"] = " ".join(args.extra)
        key = f"seed{args.seed}-{args.cities}-w{args.workers}" + (
            "-" + "_".join(args.extra) if args.extra else ""
        )
        results[key] = record
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        RESULT_PATH.write_text(json.dumps(results, indent=1, default=str))
        print(json.dumps(record.get("country"), indent=1))
    table = render(results)
    print(table)
    if args.update_md:
        BENCHMARKS_MD.write_text(replace_section(BENCHMARKS_MD.read_text(), "country", table))


if __name__ == "__main__":
    main()
