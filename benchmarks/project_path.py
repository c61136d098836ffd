"""The project's side of the benchmark: one instance through the public functions of `planner`.

Run by ``benchmarks/run.py`` in its own process (so its peak memory is its own); can be run
alone: ``python benchmarks/project_path.py --instance almaty --out result.json``.

Phases (each timed on its own; see BENCHMARKS.md for what each includes):

load             read_osm + build_walk_network + stations_from_osm + demand_from_buildings
candidates       network_candidates (street points) sampled to a fixed count with a fixed seed
service_areas    walk_distances (every building to its nearest station) + service_areas for
                 every station (by="station") + summarize_coverage
coverage_matrix  coverage_matrix(network, demand, candidates): snapping, access graph, one
                 bounded Dijkstra per candidate, sparse matrix
kernel           scipy.sparse.csgraph.dijkstra alone on the same access graph, same sources,
                 same blocks, same limit (the bare-kernel reference)
siting           maximize_coverage(method="exact") for the new sites
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from _common import INSTANCES, SEED, PhaseLog, run_recorded, save_inputs, timed

log = logging.getLogger("benchmarks.project")


def _stations(osm: Any) -> tuple[Any, str]:
    import geopandas as gpd

    try:
        from planner.stations import stations_from_osm

        stations = stations_from_osm(osm.police)
        usable = stations[stations["usable"].to_numpy(dtype=bool)]
        return usable, f"stations_from_osm: {len(usable)} usable of {len(stations)} features"
    except Exception as exc:  # module not landed or broken: say so, use every police feature
        log.warning("stations_from_osm failed (%s); using every amenity=police feature", exc)
        pts = osm.police.geometry.representative_point()
        return (
            gpd.GeoDataFrame(geometry=pts, crs=osm.crs),
            f"FALLBACK all amenity=police features ({type(exc).__name__}: {exc})",
        )


def _demand(osm: Any) -> tuple[Any, str]:
    try:
        from planner.demand import demand_from_buildings

        demand = demand_from_buildings(osm.buildings, osm.residential_areas)
        return demand, "demand_from_buildings: residential buildings, population from floor area"
    except Exception as exc:
        log.warning("demand_from_buildings failed (%s); using all buildings", exc)
        frame = osm.buildings[["geometry"]].copy()
        frame["population"] = frame.geometry.area.to_numpy() / 25.0
        return frame, (
            f"FALLBACK all buildings, population = footprint m2 / 25 ({type(exc).__name__}: {exc})"
        )


def _candidates(network: Any, n: int, spacing_m: float) -> tuple[Any, str]:
    """The project's street candidates, sampled to ``n`` with a fixed seed (sorted order)."""
    from planner.candidates import network_candidates

    cands = network_candidates(network, spacing_m=spacing_m, component=0)
    total = len(cands)
    if total > n:
        rng = np.random.default_rng(SEED)
        pick = np.sort(rng.choice(total, size=n, replace=False))
        cands = cands.iloc[pick].reset_index(drop=True)
    return cands, (
        f"network_candidates(spacing_m={spacing_m:g}, component=0): {total} points, "
        f"{len(cands)} kept (fixed-seed sample)"
    )


def analyse(
    plog: PhaseLog,
    network: Any,
    stations: Any,
    demand: Any,
    candidates: Any,
    *,
    max_walk_m: float,
    n_sites: int,
    time_limit_s: float = 60.0,
    kernel: bool = True,
) -> None:
    """The phases after loading, shared by the OSM instances and the synthetic city."""
    from planner.coverage import summarize_coverage
    from planner.covering import coverage_matrix
    from planner.distances import walk_distances
    from planner.isochrones import service_areas
    from planner.settings import WalkSettings
    from planner.siting import maximize_coverage

    settings = WalkSettings(max_walk_m=max_walk_m)
    population = demand["population"].to_numpy(dtype=float)

    with plog.phase("service_areas") as rec:
        with timed(rec, "walk_distances_s"):
            walk = walk_distances(network, demand, stations, settings=settings)
        with timed(rec, "service_areas_s"):
            try:
                areas = service_areas(network, stations, by="station", settings=settings)
            except Exception as exc:  # report the module's bug, measure the dissolved area
                rec["service_areas_error"] = f'by="station": {type(exc).__name__}: {exc}'
                log.warning("service_areas by='station' failed (%s); using by='all'", exc)
                areas = service_areas(network, stations, by="all", settings=settings)
        with timed(rec, "summary_s"):
            frame = walk.buildings.assign(population=population)
            summary = summarize_coverage(frame, max_walk_m=max_walk_m, speed_kmh=settings.speed_kmh)
        covered = walk.buildings["covered"].to_numpy(dtype=bool)
        rec.update(
            buildings_covered=int(covered.sum()),
            buildings=len(covered),
            residents_covered=float(population[covered].sum()),
            residents=float(population.sum()),
            n_areas=len(areas),
            summary_residents_within=getattr(summary, "residents_within", None),
        )

    with plog.phase("coverage_matrix", n_candidates=len(candidates)) as rec:
        cm = coverage_matrix(network, demand, candidates, settings=settings)
        rec.update(pairs=int(cm.matrix.nnz))

    if kernel:
        _kernel(plog, network, demand, candidates, settings)

    with plog.phase("siting", n_sites=n_sites) as rec:
        result = maximize_coverage(
            cm.matrix,
            population,
            n_sites=n_sites,
            already_covered=covered,
            method="exact",
            time_limit_s=time_limit_s,
        )
        rec.update(
            newly_covered=float(result.newly_covered_population),
            covered_total=float(result.covered_population),
            upper_bound=float(result.upper_bound),
            gap=float(result.gap),
            status=str(result.solver_status),
            sites=len(result.sites),
            solver_runtime_s=float(result.runtime_s),
            residents_covered=float(result.covered_population),
        )


def _kernel(plog: PhaseLog, network: Any, demand: Any, candidates: Any, settings: Any) -> None:
    """Bare scipy Dijkstra on the access graph coverage_matrix builds, in the same blocks."""
    import time

    from scipy.sparse.csgraph import dijkstra

    from planner import distances
    from planner.access import build_access_graph
    from planner.snapping import door_points, snap_points

    b = snap_points(network, door_points(demand), max_snap_m=settings.max_snap_m)
    c = snap_points(network, door_points(candidates), max_snap_m=settings.max_snap_m)
    access = build_access_graph(network, {"buildings": b, "candidates": c}, doors=["candidates"])
    doors = access.group("candidates").door_node
    doors = doors[doors >= 0]
    rows = max(1, distances.DEFAULT_BLOCK_BYTES // (8 * max(access.n_nodes, 1)))
    csr = access.csr
    with plog.phase("kernel", n_sources=int(doors.size), block_rows=int(rows)) as rec:
        spent = 0.0
        for start in range(0, doors.size, rows):
            t0 = time.perf_counter()
            dijkstra(
                csr, directed=True, indices=doors[start : start + rows], limit=settings.max_walk_m
            )
            spent += time.perf_counter() - t0
        rec.update(dijkstra_s=spent, access_nodes=int(access.n_nodes))


def run_osm(
    plog: PhaseLog,
    name: str,
    *,
    n_candidates: int | None,
    time_limit_s: float,
    plan: bool = True,
) -> None:
    from planner.network import build_walk_network
    from planner.osm import read_osm

    inst = INSTANCES[name]
    n_cand = n_candidates or inst.n_candidates
    plog.info.update(source=str(inst.pbf), max_walk_m=inst.max_walk_m, n_sites=inst.n_sites)
    with plog.phase("load") as rec:
        with timed(rec, "read_osm_s"):
            osm = read_osm(inst.pbf)
        with timed(rec, "walk_network_s"):
            network = build_walk_network(osm)
        with timed(rec, "stations_s"):
            stations, how_stations = _stations(osm)
        with timed(rec, "demand_s"):
            demand, how_demand = _demand(osm)
        rec.update(
            nodes=network.n_nodes,
            edges=network.n_edges,
            stations=len(stations),
            buildings_in_file=len(osm.buildings),
            demand_buildings=len(demand),
            residents=float(demand["population"].sum()),
        )
    with plog.phase("candidates") as rec:
        candidates, how_cand = _candidates(network, n_cand, inst.candidate_spacing_m)
        rec.update(n_candidates=len(candidates))
    plog.info.update(stations=how_stations, demand=how_demand, candidates=how_cand)
    _save_shared(name, network, stations, demand, candidates, plog.info)
    analyse(
        plog,
        network,
        stations,
        demand,
        candidates,
        max_walk_m=inst.max_walk_m,
        n_sites=inst.n_sites,
        time_limit_s=time_limit_s,
    )
    if plan:
        plan_run(plog, inst.pbf, n_sites=inst.n_sites, max_walk_m=inst.max_walk_m)


def plan_run(plog: PhaseLog, osm_path: Any, *, n_sites: int, max_walk_m: float) -> None:
    """The whole ``planner plan`` command as a user runs it, map and files included.

    Run as a child process; its wall time includes interpreter start-up and imports, and its
    peak memory is the child's ``ru_maxrss`` (this process starts no other children).
    """
    import importlib.util
    import resource
    import subprocess
    import tempfile

    if importlib.util.find_spec("planner.cli") is None:
        plog.info["plan"] = "planner.cli not available yet"
        return
    with tempfile.TemporaryDirectory(prefix="bench_plan_") as out:
        cmd = [
            sys.executable, "-c", "import sys; from planner.cli import main; "
            "sys.exit(main(sys.argv[1:]))",
            "plan", "--osm", str(osm_path), "--n-sites", str(n_sites), "--walk-m",
            f"{max_walk_m:g}", "--out", out,
        ]  # fmt: skip
        with plog.phase("plan") as rec:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        rec["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
        rec["command"] = "planner " + " ".join(cmd[3:]).replace(out, "OUT")
        rec["exit_code"] = proc.returncode
        rec["files"] = sorted(p.name for p in Path(out).rglob("*") if p.is_file())
        # the CLI prints each step with its time to stderr: "  reading ... 4.2 s"
        rec["steps"] = {
            m.group(1).replace(out, "OUT"): float(m.group(2))
            for m in re.finditer(
                r"^  (\S[^\n]*?) \.\.\.(?:[^\n]*\n)*?[^\n]*? ([0-9.]+) s$",
                proc.stderr,
                re.MULTILINE,
            )
        }
        if proc.returncode != 0:
            rec["error"] = (proc.stderr or proc.stdout)[-2000:]
        else:
            rec["stdout_tail"] = proc.stdout[-1500:]


def _save_shared(
    name: str, network: Any, stations: Any, demand: Any, candidates: Any, info: dict
) -> None:
    """Write what the peer must use too: the same network, stations, demand and candidates."""
    import shapely

    from planner.snapping import door_points

    coords, which = shapely.get_coordinates(network.edge_geometry, return_index=True)
    offsets = np.zeros(network.n_edges + 1, dtype=np.int64)
    np.cumsum(np.bincount(which, minlength=network.n_edges), out=offsets[1:])
    save_inputs(
        name,
        crs=np.array(network.crs.to_wkt()),
        node_xy=network.node_xy,
        edge_u=network.edge_u,
        edge_v=network.edge_v,
        edge_length_m=network.edge_length_m,
        edge_coords=coords,
        edge_offsets=offsets,
        station_xy=door_points(stations),
        demand_xy=door_points(demand),
        population=demand["population"].to_numpy(dtype=float),
        candidate_xy=door_points(candidates),
        how=np.array(repr(info)),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", required=True, choices=sorted(INSTANCES))
    parser.add_argument("--candidates", type=int, default=None)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--plan", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    warnings.filterwarnings("ignore")
    plog = PhaseLog("project", args.instance)
    return run_recorded(
        plog,
        Path(args.out),
        run_osm,
        args.instance,
        n_candidates=args.candidates,
        time_limit_s=args.time_limit,
        plan=args.plan,
    )


if __name__ == "__main__":
    sys.exit(main())
