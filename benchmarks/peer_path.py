"""The peer path: what a planner does today with OSMnx, networkx and spopt (CBC via PuLP).

Run by ``benchmarks/run.py`` in its own process after the project side, whose inputs it reads
from ``benchmarks/_data/<instance>_inputs.npz`` so that both use the same walk network, stations,
demand points, candidates and walking limit.

Phases:

load             ox.graph_from_xml + ox.features_from_xml (buildings, police, residential
                 land use) + projection to UTM: how the peer reads the OSM file. (OSMnx reads
                 XML only; the PBF is converted once beforehand, not timed.)
service_areas    the OSMnx isochrone example on the shared network: per station an
                 nx.ego_graph within the limit, nodes buffered 50 m and edges 25 m, union;
                 then a spatial join of the demand points with the union
coverage_matrix  nearest-node snapping, then nx.single_source_dijkstra_path_length with
                 cutoff=limit from every candidate, filled into the dense demand x candidate
                 cost matrix spopt takes
siting           spopt MCLP.from_cost_matrix + solve with CBC (PuLP), demand already within
                 the limit of an existing station removed first (same objective as the project's
                 ``already_covered``; it makes the peer's model smaller, not larger)

The analysis phases run on the project's walk network exported as an OSMnx-style MultiDiGraph
(both directions, ``length`` and ``geometry`` on every edge), not on the graph OSMnx loaded:
OSMnx's XML reader keeps every highway (motorways included) and its own simplification, so its
network would differ. The sizes of the OSMnx graph are reported with the load phase.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from _common import INSTANCES, PhaseLog, load_inputs, osm_xml, run_recorded, timed

log = logging.getLogger("benchmarks.peer")


def shared_graph(inputs: dict[str, np.ndarray]) -> Any:
    """The project's walk network as an OSMnx-style MultiDiGraph (both directions)."""
    import networkx as nx
    import shapely

    xy = inputs["node_xy"]
    offsets = inputs["edge_offsets"]
    lines = shapely.linestrings(
        inputs["edge_coords"], indices=np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
    )
    graph = nx.MultiDiGraph(crs=str(inputs["crs"]))
    graph.add_nodes_from((i, {"x": x, "y": y}) for i, (x, y) in enumerate(xy.tolist()))
    for u, v, length, geom in zip(
        inputs["edge_u"].tolist(),
        inputs["edge_v"].tolist(),
        inputs["edge_length_m"].tolist(),
        lines,
        strict=True,
    ):
        graph.add_edge(u, v, length=length, geometry=geom)
        if u != v:
            graph.add_edge(v, u, length=length, geometry=geom.reverse())
    return graph


def make_iso_poly(
    graph: Any, center: int, radius_m: float, edge_buff: float = 25, node_buff: float = 50
) -> tuple[Any, set]:
    """One station's isochrone as the OSMnx isochrone example draws it (``make_iso_polys``)."""
    import geopandas as gpd
    import networkx as nx
    from shapely.geometry import LineString, Point

    subgraph = nx.ego_graph(graph, center, radius=radius_m, distance="length")
    node_points = [Point((data["x"], data["y"])) for _, data in subgraph.nodes(data=True)]
    nodes_gdf = gpd.GeoDataFrame({"id": list(subgraph.nodes)}, geometry=node_points)
    nodes_gdf = nodes_gdf.set_index("id")
    edge_lines = []
    for n_fr, n_to in subgraph.edges():
        f = nodes_gdf.loc[n_fr].geometry
        t = nodes_gdf.loc[n_to].geometry
        edge_lookup = graph.get_edge_data(n_fr, n_to)[0].get("geometry", LineString([f, t]))
        edge_lines.append(edge_lookup)
    n = nodes_gdf.buffer(node_buff).geometry
    e = gpd.GeoSeries(edge_lines).buffer(edge_buff).geometry
    all_gs = list(n) + list(e)
    return gpd.GeoSeries(all_gs).union_all(), set(subgraph.nodes)


def run(plog: PhaseLog, name: str, *, time_limit_s: float) -> None:
    import geopandas as gpd
    import networkx as nx
    import osmnx as ox
    import pulp
    from spopt.locate import MCLP

    inst = INSTANCES[name]
    radius = inst.max_walk_m
    xml, meta = osm_xml(inst)
    plog.info.update(xml=str(xml), **meta)
    inputs = load_inputs(name)

    with plog.phase("load") as rec:
        with timed(rec, "graph_from_xml_s"):
            g_osm = ox.graph_from_xml(xml)
        with timed(rec, "features_from_xml_s"):
            feats = ox.features_from_xml(
                xml, tags={"building": True, "amenity": "police", "landuse": "residential"}
            )
        with timed(rec, "project_s"):
            g_osm = ox.project_graph(g_osm)
            feats = feats.to_crs(g_osm.graph["crs"])
        rec.update(
            osmnx_nodes=len(g_osm),
            osmnx_edges=g_osm.number_of_edges(),
            features=len(feats),
            buildings_in_file=int(feats["building"].notna().sum()) if "building" in feats else 0,
        )
    del g_osm, feats

    t0 = time.perf_counter()
    graph = shared_graph(inputs)
    plog.info["shared_graph_build_s"] = time.perf_counter() - t0  # preparation, not timed
    plog.info.update(shared_nodes=len(graph), shared_directed_edges=graph.number_of_edges())
    crs = graph.graph["crs"]
    population = inputs["population"]
    dxy, sxy, cxy = inputs["demand_xy"], inputs["station_xy"], inputs["candidate_xy"]
    ok_s = np.isfinite(sxy).all(axis=1)

    with plog.phase("service_areas") as rec:
        station_nodes = ox.distance.nearest_nodes(graph, sxy[ok_s, 0], sxy[ok_s, 1])
        polys, reached = [], set()
        for node in station_nodes:
            poly, nodes = make_iso_poly(graph, int(node), radius)
            polys.append(poly)
            reached |= nodes
        union = gpd.GeoSeries(polys, crs=crs).union_all()
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(dxy[:, 0], dxy[:, 1]), crs=crs)
        joined = gpd.sjoin(points, gpd.GeoDataFrame(geometry=[union], crs=crs), predicate="within")
        covered = np.zeros(len(points), dtype=bool)
        covered[joined.index.to_numpy()] = True
        rec.update(
            buildings_covered=int(covered.sum()),
            buildings=len(points),
            residents_covered=float(population[covered].sum()),
            residents=float(population.sum()),
            n_areas=len(polys),
        )
    demand_nodes = ox.distance.nearest_nodes(graph, dxy[:, 0], dxy[:, 1])
    # for the MCLP: demand whose nearest node an existing station reaches (network distance)
    already = np.isin(demand_nodes, np.fromiter(reached, dtype=np.int64))
    plog.info["peer_already_covered_by_network"] = int(already.sum())

    with plog.phase("coverage_matrix", n_candidates=len(cxy)) as rec:
        with timed(rec, "snap_s"):
            cand_nodes = ox.distance.nearest_nodes(graph, cxy[:, 0], cxy[:, 1])
            demand_nodes = ox.distance.nearest_nodes(graph, dxy[:, 0], dxy[:, 1])
            rows_of_node: dict[int, list[int]] = {}
            for i, node in enumerate(demand_nodes.tolist()):
                rows_of_node.setdefault(node, []).append(i)
        cost = np.full((len(dxy), len(cxy)), np.inf)
        with timed(rec, "dijkstra_s"):
            for j, node in enumerate(cand_nodes.tolist()):
                lengths = nx.single_source_dijkstra_path_length(
                    graph, node, cutoff=radius, weight="length"
                )
                for reached_node, dist in lengths.items():
                    rows = rows_of_node.get(reached_node)
                    if rows is not None:
                        cost[rows, j] = dist
        rec.update(pairs=int(np.isfinite(cost).sum()))

    with plog.phase("siting", n_sites=inst.n_sites) as rec:
        keep = ~already & (population > 0)
        with timed(rec, "build_s"):
            model = MCLP.from_cost_matrix(
                cost[keep], population[keep], service_radius=radius, p_facilities=inst.n_sites
            )
        with timed(rec, "solve_s"):
            model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s))
        objective = pulp.value(model.problem.objective)
        rec.update(
            status=pulp.LpStatus[model.problem.status],
            newly_covered=float(objective) if objective is not None else None,
            demand_rows=int(keep.sum()),
            time_limit_s=time_limit_s,
            residents_covered=(
                float(objective + population[already].sum()) if objective is not None else None
            ),
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", required=True, choices=sorted(INSTANCES))
    parser.add_argument("--time-limit", type=float, default=1800.0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    warnings.filterwarnings("ignore")
    plog = PhaseLog("peer", args.instance)
    return run_recorded(plog, Path(args.out), run, args.instance, time_limit_s=args.time_limit)


if __name__ == "__main__":
    sys.exit(main())
