"""Issue 22: what one curve point of a big city costs to prove (the national run's refining
rounds are made of these).

Examples (from the repository root; the country is made by ``benchmarks/country.py``)::

    python benchmarks/curve_points.py --seed 7 --unit "Synthetic City 444" --k 10 20 30 45 56
    python benchmarks/curve_points.py --seed 2026 --unit "Synthetic City 077" --k 10 18 24 28

The unit's city is built through the public API as a national unit is (``load_city`` on the
SYNTHETIC country's file, cut at the unit's polygon with the walking buffer around it, its
stations and official residents), then ``plan_curve`` with the national first pass
(``max_milp_pairs=0``: greedy, local search, anchored Lagrangian bounds), ``curve_model`` and,
for each ``k``, ``solve_plan_curve_points`` alone in this process (the task a worker runs for
one point). Printed: seconds per point, the plan and bound found, HiGHS's status, and the
first pass's plan and bound at that ``k``. The script uses only functions that also exist in
earlier commits, so the same command run from an older checkout (``PYTHONPATH=<checkout>``)
gives the "before" column. Results: ``benchmarks/_results/curve_points.json`` (gitignored).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import DATA_DIR, RESULTS_DIR, machine, machine_text


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--cities", type=int, default=600)
    p.add_argument("--unit", default="Synthetic City 444")
    p.add_argument("--k", type=int, nargs="+", default=[10, 20, 30, 45, 56])
    args = p.parse_args()

    import geopandas as gpd

    import planner
    from planner.pipeline import (
        assess_coverage,
        curve_model,
        load_city,
        plan_curve,
        solve_plan_curve_points,
    )

    folder = DATA_DIR / f"country_{args.seed}_{args.cities}"
    if not folder.exists():
        sys.exit(f"{folder} is missing: run python benchmarks/country.py --seed {args.seed} first")
    units = gpd.read_file(folder / "synthetic_units.geojson")
    row = units[units["name"] == args.unit]
    if row.empty:
        sys.exit(f"no unit named {args.unit!r} in {folder / 'synthetic_units.geojson'}")
    commit = subprocess.run(
        ["git", "-C", str(Path(planner.__file__).parent), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(machine_text(machine()))
    print(f"planner from {Path(planner.__file__).parent} (commit {commit})", flush=True)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        boundary = Path(tmp) / "unit.geojson"
        row[["name", "geometry"]].to_file(boundary, driver="GeoJSON")
        city = load_city(
            folder / "synthetic.osm.pbf",
            boundary=boundary,
            stations_path=folder / "synthetic_stations.csv",
            total_population=float(row["population"].iloc[0]),
        )
    coverage = assess_coverage(city, areas=False)
    t1 = time.perf_counter()
    curve = plan_curve(city, coverage, max_sites=279, max_milp_pairs=0)
    model = curve_model(coverage, curve)
    t2 = time.perf_counter()
    m = model.matrix
    print(
        f"{args.unit}: city and coverage {t1 - t0:.0f} s, first pass {t2 - t1:.0f} s; "
        f"matrix {m.shape[0]:,} x {m.shape[1]:,}, {m.nnz:,} pairs",
        flush=True,
    )
    first = model.curve
    rows = []
    print("| k | seconds | plan | bound | status | first pass: plan | bound |")
    print("| ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    for k in args.k:
        t = time.perf_counter()
        (point,) = solve_plan_curve_points(model, (k,))
        seconds = time.perf_counter() - t
        rows.append(
            {
                "k": k,
                "seconds": round(seconds, 2),
                "plan": point.newly_covered,
                "bound": point.upper_bound,
                "status": point.status,
                "first_plan": float(first.newly_covered[k]),
                "first_bound": float(first.upper_bound[k]),
            }
        )
        print(
            f"| {k} | {seconds:.1f} | {point.newly_covered:,.1f} | {point.upper_bound:,.1f} "
            f"| {point.status} | {first.newly_covered[k]:,.1f} | {first.upper_bound[k]:,.1f} |",
            flush=True,
        )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / "curve_points.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results[f"seed{args.seed}-{args.unit}-{commit}"] = {"commit": commit, "points": rows}
    path.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
