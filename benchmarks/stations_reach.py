"""Benchmark of a city run given a long list of stations (issue 18, "slow where it need not be").

A city run with a national list of stations should take seconds: only the stations whose
walking reach touches the study area need snapping, areas and workloads. This times
``planner coverage`` and ``planner plan`` on the bundled central Bishkek extract with three
SYNTHETIC stations files (made up here, not real stations), written to a temporary folder:

``near``
    36 stations at random inside the extract (the stations that matter).
``national``
    The same 36 plus 9,964 rows spread over Kazakhstan and Kyrgyzstan (lat 39..55,
    lon 46..87, none within 0.3 degrees of the extract): a national list.
``regional``
    The same 36 plus 9,964 rows within 0.05 degrees of the extract (the reader's "plausible"
    margin) but 1.6 km or more from it: a list for the whole city and its suburbs.

Example (from the repository root)::

    python benchmarks/stations_reach.py                  # ~1 min after the fix
    python benchmarks/stations_reach.py --repo ../main   # the same against another checkout

Each run is its own process (``python -m planner.cli``, imports included, from ``--repo``);
wall times go to ``benchmarks/_results/stations_reach.json`` and a Markdown table to stdout.
The machine is shared, so expect +-20 %.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import REPO, RESULTS_DIR, machine, write_json

OSM = REPO / "data" / "bishkek_2025_center.osm.gz"
#: The extract's bounds (lon0, lat0, lon1, lat1), from its header.
EXTENT = (74.6239673, 42.8423352, 74.649412, 42.8747628)
N_ROWS = 10_000
N_NEAR = 36


def _files(folder: Path) -> dict[str, Path]:
    rng = np.random.default_rng(18)
    lon0, lat0, lon1, lat1 = EXTENT
    near = [
        (f"synthetic near {i}", 42.845 + rng.random() * 0.027, 74.626 + rng.random() * 0.021)
        for i in range(N_NEAR)
    ]
    national: list[tuple[str, float, float]] = []
    while len(national) < N_ROWS - N_NEAR:
        lat, lon = 39 + rng.random() * 16, 46 + rng.random() * 41
        if abs(lat - 42.86) < 0.3 and abs(lon - 74.64) < 0.3:
            continue
        national.append((f"synthetic far {len(national)}", lat, lon))
    regional: list[tuple[str, float, float]] = []
    while len(regional) < N_ROWS - N_NEAR:
        lat = lat0 - 0.049 + rng.random() * (lat1 - lat0 + 0.098)
        lon = lon0 - 0.049 + rng.random() * (lon1 - lon0 + 0.098)
        if lat0 - 0.02 < lat < lat1 + 0.02 and lon0 - 0.025 < lon < lon1 + 0.025:
            continue
        regional.append((f"synthetic regional {len(regional)}", lat, lon))
    out = {}
    for name, rows in (
        ("near", near),
        ("national", near + national),
        ("regional", near + regional),
    ):
        path = folder / f"stations_{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["name", "latitude", "longitude", "note"])
            for n, la, lo in rows:
                writer.writerow([n, f"{la:.6f}", f"{lo:.6f}", "SYNTHETIC, not a real station"])
        out[name] = path
    return out


def _run(repo: Path, command: str, stations: Path, out: Path) -> float:
    args = [sys.executable, "-m", "planner.cli", command, "--osm", str(OSM)]
    args += ["--stations", str(stations), "--out", str(out), "-q"]
    if command == "plan":
        args += ["--n-sites", "3", "--spacing-m", "200"]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    start = time.perf_counter()
    subprocess.run(args, check=True, cwd=repo, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=REPO, help="checkout whose planner to run")
    parser.add_argument("--commands", default="coverage,plan")
    args = parser.parse_args()
    repo = args.repo.resolve()
    commit = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        files = _files(Path(tmp))
        for command in args.commands.split(","):
            for case, path in files.items():
                seconds = _run(repo, command, path, Path(tmp) / f"out_{command}_{case}")
                results.append({"command": command, "case": case, "seconds": seconds})
                print(f"{command:9s} {case:9s} {seconds:6.1f} s", file=sys.stderr, flush=True)
    write_json(
        RESULTS_DIR / "stations_reach.json",
        {"commit": commit, "repo": str(repo), "machine": machine(), "results": results},
    )
    print(f"| command | stations file | wall s ({commit}) |\n|---|---|---:|")
    for r in results:
        print(f"| {r['command']} | {r['case']} | {r['seconds']:.1f} |")
    print(json.dumps({"commit": commit}), file=sys.stderr)


if __name__ == "__main__":
    main()
