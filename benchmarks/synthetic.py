"""A synthetic grid city for the growth curve (SYNTHETIC data, not a real place).

``grid_city(n_nodes)`` makes a square grid of streets 80 m apart with about ``n_nodes``
junctions, removes 8 % of the street segments at random (dead ends, blocks without a through
street) and adds a diagonal footpath across 4 % of the blocks; about 0.3 buildings per junction
as points inside the blocks, 5-25 m from the nearest street, with 1-120 residents each (a
lognormal spread, median ~12); existing stations on a 2.4 km lattice. Everything comes from one
fixed seed, so a size always gives the same city. It is placed in UTM zone 33N (metres).

Run by ``benchmarks/run.py --instance synthetic`` once per size, each in its own process:
``python benchmarks/synthetic.py --nodes 100000 --out result.json``. Only the project path runs:
the peer path (networkx Dijkstra from each candidate, spopt/CBC on a dense cost matrix of
300k buildings x 5,000 candidates = 12 GB) would take hours and more memory than the machine has.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from _common import SEED, PhaseLog, run_recorded, timed

SPACING_M = 80.0
STATION_SPACING_M = 2400.0
ORIGIN = (400_000.0, 4_000_000.0)
CRS = "EPSG:32633"


def grid_city(n_nodes: int, *, seed: int = SEED) -> tuple[Any, Any, Any, dict[str, Any]]:
    """(network, stations, buildings, info) of a synthetic grid city with ~n_nodes junctions."""
    import geopandas as gpd

    from planner.network import WalkNetwork

    rng = np.random.default_rng(seed)
    side = max(3, round(np.sqrt(n_nodes)))
    idx = np.arange(side * side).reshape(side, side)  # idx[row, col]
    gx, gy = np.meshgrid(np.arange(side) * SPACING_M, np.arange(side) * SPACING_M)
    node_xy = np.column_stack([gx.ravel() + ORIGIN[0], gy.ravel() + ORIGIN[1]])
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(u.size) >= 0.08
    u, v = u[keep], v[keep]
    cells = idx[:-1, :-1].ravel()
    diag = cells[rng.random(cells.size) < 0.04]
    u = np.concatenate([u, diag])
    v = np.concatenate([v, diag + side + 1])
    highway = np.where(np.arange(u.size) < keep.sum(), "residential", "footway").astype(object)
    network = WalkNetwork.from_edges(node_xy, u, v, crs=CRS, edge_highway=highway)

    n_b = round(0.3 * side * side)
    cell_r = rng.integers(0, side - 1, n_b)
    cell_c = rng.integers(0, side - 1, n_b)
    # each building faces one of the four streets of its block, 5..25 m back from it
    setback = rng.uniform(5.0, 25.0, n_b)
    along = rng.uniform(5.0, SPACING_M - 5.0, n_b)
    face = rng.integers(0, 4, n_b)
    off = np.empty((n_b, 2))
    off[:, 0] = np.select([face == 0, face == 1], [setback, SPACING_M - setback], along)
    off[:, 1] = np.select([face == 2, face == 3], [setback, SPACING_M - setback], along)
    bx = ORIGIN[0] + cell_c * SPACING_M + off[:, 0]
    by = ORIGIN[1] + cell_r * SPACING_M + off[:, 1]
    population = np.clip(np.round(rng.lognormal(np.log(12.0), 1.0, n_b)), 1, 120)
    buildings = gpd.GeoDataFrame(
        {"population": population}, geometry=gpd.points_from_xy(bx, by), crs=CRS
    )

    step = max(1, round(STATION_SPACING_M / SPACING_M))
    lattice = np.arange(step // 2, side, step)
    sr, sc = np.meshgrid(lattice, lattice)
    sxy = node_xy[idx[sr.ravel(), sc.ravel()]] + np.array([12.0, 9.0])  # just off a junction
    stations = gpd.GeoDataFrame(geometry=gpd.points_from_xy(sxy[:, 0], sxy[:, 1]), crs=CRS)
    info = {
        "synthetic": True,
        "side": side,
        "nodes": network.n_nodes,
        "edges": network.n_edges,
        "buildings": len(buildings),
        "residents": float(population.sum()),
        "stations": len(stations),
    }
    return network, stations, buildings, info


def run(
    plog: PhaseLog,
    n_nodes: int,
    *,
    n_candidates: int,
    n_sites: int,
    time_limit_s: float,
    kernel: bool,
) -> None:
    from project_path import _candidates, analyse

    import planner.network  # noqa: F401  (imports are not timed)

    with plog.phase("load") as rec:
        network, stations, buildings, info = grid_city(n_nodes)
        with timed(rec, "connectivity_s"):
            network.connectivity()
        rec.update(info)
    plog.info.update(info)
    with plog.phase("candidates") as rec:
        candidates, how = _candidates(network, n_candidates, 100.0)
        rec.update(n_candidates=len(candidates))
    plog.info["candidates"] = how
    analyse(
        plog,
        network,
        stations,
        buildings,
        candidates,
        max_walk_m=800.0,
        n_sites=n_sites,
        time_limit_s=time_limit_s,
        kernel=kernel,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, required=True)
    parser.add_argument("--candidates", type=int, default=5000)
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--no-kernel", action="store_true")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("planner.snapping").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    plog = PhaseLog("project", f"synthetic-{args.nodes}")
    return run_recorded(
        plog,
        Path(args.out),
        run,
        args.nodes,
        n_candidates=args.candidates,
        n_sites=args.sites,
        time_limit_s=args.time_limit,
        kernel=not args.no_kernel,
    )


if __name__ == "__main__":
    sys.exit(main())
