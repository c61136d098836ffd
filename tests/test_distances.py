"""Door-to-door walking distances: by hand on the grid, against networkx on real cities."""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from _walk_grid import CRS, full_grid

from planner.access import build_access_graph
from planner.distances import nearest_source, source_distances, walk_distances
from planner.errors import InputError
from planner.network import WalkNetwork
from planner.osm import OsmData
from planner.settings import WalkSettings
from planner.snapping import door_points, snap_points

SQ2 = math.sqrt(2)

# The station is at (50,-10): 10 m below e0, 50 m from node 0 and node 1.
STATION = (50.0, -10.0)
# Buildings (door points) and their hand-computed walks from the station's door.
# "S -> 1" is the station's 10 m to the street plus 50 m along e0 to node 1 = 60 m.
BUILDINGS = {
    # e11 (node 5 -> 8), 50 m from 5, 10 m off: S -> 1 (60) -> 2 (100) -> 5 (100) -> +50 +10
    "mid-edge": ((210.0, 150.0), 60 + 100 + 100 + 50 + 10),
    # same edge as the station, further along: 10 + |80 - 50| + 5
    "same edge, after": ((80.0, 5.0), 10 + 30 + 5),
    # same edge, before the station: 10 + |20 - 50| + 3
    "same edge, before": ((20.0, -3.0), 10 + 30 + 3),
    # on the bent parallel e13 (4 -> 5), 35*sqrt(2) from node 4, 10/sqrt(2) = 5*sqrt(2) off:
    # S -> 1 (60) -> 4 (100) -> +35*sqrt(2) + 5*sqrt(2)
    "bent parallel edge": ((140.0, 130.0), 160 + 40 * SQ2),
    # on the loop e14 at node 8, 150 m along it one way (250 m the other), 10 m off:
    # S -> 1 -> 2 -> 5 -> 8 is 60 + 300 = 360, + 150 + 10
    "loop": ((310.0, 250.0), 360 + 150 + 10),
    # 400 m from any street: not snapped
    "too far": ((100.0, -400.0), math.inf),
    # on the isolated piece e12: snapped, but no station can reach it
    "isolated": ((1050.0, 10.0), math.inf),
}


def _points(xy: list[tuple[float, float]], index: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=shapely.points(np.array(xy)), index=index, crs=CRS)


def _grid_result(stations: list[tuple[float, float]] | None = None):  # type: ignore[no-untyped-def]
    buildings = _points([xy for xy, _ in BUILDINGS.values()], list(BUILDINGS))
    st = stations or [STATION]
    return walk_distances(
        full_grid(),
        buildings,
        _points(st, [f"S{i}" for i in range(len(st))]),
        settings=WalkSettings(max_walk_m=300),
    )


def test_walks_by_hand_on_the_grid() -> None:
    r = _grid_result()
    expected = np.array([w for _, w in BUILDINGS.values()])
    np.testing.assert_allclose(r.buildings["walk_m"].to_numpy(), expected, atol=1e-9)
    b = r.buildings
    assert b.index.tolist() == list(BUILDINGS)
    assert b.crs == CRS
    np.testing.assert_allclose(b["walk_min"], expected * 60 / 4800)  # 4.8 km/h = 80 m/min
    assert b["reachable"].tolist() == [True] * 5 + [False] * 2
    # covered: within 300 m (45, 43 and 216.57 m)
    assert b["covered"].tolist() == [False, True, True, True, False, False, False]
    assert b["nearest_station"].tolist()[:5] == ["S0"] * 5
    assert b["nearest_station"].isna().tolist() == [False] * 5 + [True] * 2
    np.testing.assert_allclose(b["snap_m"].iloc[:5], [10, 5, 3, 5 * SQ2, 10])
    assert np.isnan(b["snap_m"].iloc[5])
    s = r.stations
    assert s["usable"].tolist() == [True]
    assert s["n_nearest"].tolist() == [5] and s["n_covered"].tolist() == [3]
    assert r.share_covered == pytest.approx(3 / 7)


def test_second_station_takes_the_buildings_it_is_nearer_to() -> None:
    # S1 at (190,160) is 10 m left of e11, 60 m from node 5: to the e11 building
    # 10 + |60 - 50| + 10 = 30; to the loop building via node 8: 10 + 40 + 150 + 10 = 210
    r = _grid_result([STATION, (190.0, 160.0)])
    b = r.buildings
    assert b.loc["mid-edge", "walk_m"] == pytest.approx(30)
    assert b.loc["mid-edge", "nearest_station"] == "S1"
    assert b.loc["loop", "walk_m"] == pytest.approx(210)
    assert b.loc["same edge, after", "nearest_station"] == "S0"


def test_stations_that_cannot_serve_anyone_are_listed_with_the_reason() -> None:
    # S1 is 400 m from every street; S2 stands on the isolated piece, which holds no
    # building door once the isolated building is left out
    buildings = _points([(80.0, 5.0)], ["b"])
    stations = _points([STATION, (100.0, -400.0), (1050.0, -5.0)], ["S0", "S1", "S2"])
    r = walk_distances(full_grid(), buildings, stations)
    s = r.stations
    assert s["usable"].tolist() == [True, False, False]
    assert s.loc["S0", "problem"] == ""
    assert "no walkable street within 250 m" in s.loc["S1", "problem"]
    assert "holds none of the area's residential buildings" in s.loc["S2", "problem"]
    assert "100 m of street" in s.loc["S2", "problem"]


def test_geographic_crs_is_refused() -> None:
    b = _points([(80.0, 5.0)], ["b"]).to_crs("EPSG:4326")
    with pytest.raises(InputError, match="not metres"):
        walk_distances(full_grid(), b, _points([STATION], ["S0"]))


def test_search_limit_gives_inf_beyond_it() -> None:
    net = full_grid()
    b = snap_points(net, np.array([xy for xy, _ in BUILDINGS.values()]), max_snap_m=250)
    s = snap_points(net, np.array([STATION]), max_snap_m=250)
    g = build_access_graph(net, {"buildings": b, "stations": s}, doors=["stations"])
    near = nearest_source(g, limit_m=100)
    assert near.walk_m[[1, 2]].tolist() == [45.0, 43.0]
    assert np.isinf(near.walk_m[[0, 3, 4, 5, 6]]).all()
    assert near.source.tolist() == [-1, 0, 0, -1, -1, -1, -1]


def test_pair_distances_agree_with_the_nearest_station() -> None:
    net = full_grid()
    b = snap_points(net, np.array([xy for xy, _ in BUILDINGS.values()]), max_snap_m=250)
    s = snap_points(net, np.array([STATION, (190.0, 160.0)]), max_snap_m=250)
    g = build_access_graph(net, {"buildings": b, "stations": s}, doors=["stations"])
    pairs = source_distances(g, limit_m=1000, block_bytes=1)  # one source per block
    # S0 -> mid-edge 320 (hand-computed above), S1 -> mid-edge 30, S1 -> same edge, after:
    # 10 + 60 (to node 5) + 100 (5 -> 4) + 100 (4 -> 1) + 20 + 5 = 295
    triplets = zip(pairs.target, pairs.source, pairs.walk_m, strict=True)
    got = {(int(t), int(s_)): w for t, s_, w in triplets}
    assert got[(0, 0)] == pytest.approx(320)
    assert got[(0, 1)] == pytest.approx(30)
    assert got[(1, 1)] == pytest.approx(295)
    near = nearest_source(g)
    best = np.full(len(b), np.inf)
    np.minimum.at(best, pairs.target, pairs.walk_m)
    np.testing.assert_allclose(best, near.walk_m)


# --- real data: against networkx ---------------------------------------------------------------


def _networkx_walks(
    net: WalkNetwork, b_xy: np.ndarray, s_xy: np.ndarray, max_snap_m: float
) -> np.ndarray:
    """Door-to-door walks with networkx, built in a different, plainly correct way.

    Snapping is brute force (distance to every edge); each snapped point becomes a virtual node
    joined to both ends of its edge (``pos`` and ``L - pos``) and directly to every other point
    on the same edge (``|pos_a - pos_b|``); a super source joins each station's virtual node
    with its snap distance.
    """
    graph = nx.Graph()
    for u, v, w in zip(net.edge_u, net.edge_v, net.edge_length_m, strict=True):
        if u != v and (not graph.has_edge(u, v) or graph[u][v]["weight"] > w):
            graph.add_edge(int(u), int(v), weight=float(w))

    barriers = net.barrier_geometry if net.barrier_geometry is not None else np.empty(0, object)
    blade = shapely.union_all(barriers)

    def reach(p: shapely.Point) -> tuple[int, float, shapely.Point] | None:
        # brute force over every edge, each cut where barriers cross it; the nearest point of
        # any piece whose straight walk crosses no barrier at all (no spatial index)
        d = shapely.distance(p, net.edge_geometry)
        options = []
        for e in np.flatnonzero(d <= max_snap_m):
            geom = net.edge_geometry[e]
            for piece in (
                shapely.get_parts(shapely.difference(geom, blade)) if len(barriers) else [geom]
            ):
                q = piece.interpolate(piece.project(p))
                options.append((p.distance(q), int(e), q))
        for dq, e, q in sorted(options, key=lambda o: (o[0], o[1])):
            if not len(barriers) or not shapely.crosses(shapely.LineString([p, q]), barriers).any():
                return e, dq, q
        return None

    def add(xy: np.ndarray, tag: str) -> list[tuple[object, float] | None]:
        out: list[tuple[object, float] | None] = []
        for i, (x, y) in enumerate(xy):
            found = reach(shapely.Point(x, y))
            if found is None:
                out.append(None)
                continue
            e, d, q = found
            pos = float(shapely.line_locate_point(net.edge_geometry[e], q))
            node = (tag, i)
            on_edge.setdefault(e, []).append((node, pos))
            out.append((node, d))
        return out

    on_edge: dict[int, list[tuple[object, float]]] = {}
    b_nodes = add(b_xy, "b")
    s_nodes = add(s_xy, "s")
    for e, pts in on_edge.items():
        u, v, length = int(net.edge_u[e]), int(net.edge_v[e]), float(net.edge_length_m[e])
        for k, (node, pos) in enumerate(pts):
            _add_min(graph, node, u, pos)
            _add_min(graph, node, v, length - pos)  # on a loop (u == v): the shorter way
            for node2, pos2 in pts[k + 1 :]:
                _add_min(graph, node, node2, abs(pos - pos2))
    for sn in s_nodes:
        if sn is not None:
            _add_min(graph, "SOURCE", sn[0], sn[1])
    dist = nx.single_source_dijkstra_path_length(graph, "SOURCE")
    return np.array(
        [math.inf if bn is None else dist.get(bn[0], math.inf) + bn[1] for bn in b_nodes]
    )


def _add_min(graph: nx.Graph, a: object, b: object, w: float) -> None:
    if a == b:
        return
    if not graph.has_edge(a, b) or graph[a][b]["weight"] > w:
        graph.add_edge(a, b, weight=w)


@pytest.mark.parametrize("city", ["almaty", "bishkek"])
def test_walks_match_networkx_on_real_cities(city: str, request: pytest.FixtureRequest) -> None:
    osm: OsmData = request.getfixturevalue(f"{city}_osm")
    net: WalkNetwork = request.getfixturevalue(f"{city}_network")
    rng = np.random.default_rng(11)
    buildings = osm.buildings.iloc[np.sort(rng.choice(len(osm.buildings), 300, replace=False))]
    stations = osm.police
    r = walk_distances(net, buildings, stations, min_component_m=0)
    expected = _networkx_walks(net, door_points(buildings), door_points(stations), 250)
    got = r.buildings["walk_m"].to_numpy()
    assert (np.isinf(got) == np.isinf(expected)).all()
    fin = np.isfinite(expected)
    assert fin.sum() > 200
    np.testing.assert_allclose(got[fin], expected[fin], atol=0.01)


def test_adding_a_station_never_lengthens_a_walk(
    bishkek_osm: OsmData, bishkek_network: WalkNetwork
) -> None:
    buildings = bishkek_osm.buildings
    police = bishkek_osm.police
    walks = []
    for k in range(1, len(police) + 1):
        walks.append(walk_distances(bishkek_network, buildings, police.iloc[:k]).buildings)
    for fewer, more in itertools.pairwise(walks):
        assert (more["walk_m"].to_numpy() <= fewer["walk_m"].to_numpy() + 1e-9).all()
        assert more["covered"].sum() >= fewer["covered"].sum()
    # a longer walking limit never covers fewer buildings
    counts = [
        walk_distances(bishkek_network, buildings, police, settings=WalkSettings(max_walk_m=m))
        .buildings["covered"]
        .sum()
        for m in (400, 800, 1200)
    ]
    assert counts == sorted(counts) and counts[0] < counts[-1]


def test_local_searches_equal_whole_graph_searches(almaty_osm, almaty_network, monkeypatch):
    # source_distances confines each search to the 3 x 3 cells of side limit_m around its
    # sources; the pairs must be exactly those of plain bounded searches on the whole graph.
    # With no per-group cost the cost model always picks local searches: force that path.
    import planner.distances as distances_module
    from planner.access import build_access_graph
    from planner.candidates import network_candidates
    from planner.distances import source_node_distances
    from planner.snapping import door_points, snap_points

    candidates = network_candidates(almaty_network, spacing_m=300)
    b = snap_points(almaty_network, door_points(almaty_osm.buildings), max_snap_m=250)
    c = snap_points(almaty_network, door_points(candidates), max_snap_m=250)
    access = build_access_graph(almaty_network, {"b": b, "c": c}, doors=["c"])
    monkeypatch.setattr(distances_module, "GROUP_OVERHEAD_NODES", 0)
    assert distances_module._local_plan(access, sources="c", limit_m=600) is not None
    local = source_distances(access, sources="c", targets="b", limit_m=600)
    group = access.group("b")
    ok = np.flatnonzero(group.reached)
    rows = []
    for which, dist in source_node_distances(access, sources="c", limit_m=600):
        walk = dist[:, group.snap_node[ok]] + group.snap_distance_m[ok]
        s, t = np.nonzero(walk <= 600)
        rows += list(zip(ok[t].tolist(), which[s].tolist(), walk[s, t].tolist(), strict=True))
    rows.sort()
    assert local.target.size == len(rows) > 10_000
    assert local.target.tolist() == [r[0] for r in rows]
    assert local.source.tolist() == [r[1] for r in rows]
    np.testing.assert_allclose(local.walk_m, [r[2] for r in rows], atol=1e-9)


def test_access_edges_are_never_shorter_than_the_straight_line(bishkek_osm, bishkek_network):
    # the property that makes local searches exact
    import scipy.sparse as sp

    from planner.access import build_access_graph
    from planner.snapping import door_points, snap_points

    b = snap_points(bishkek_network, door_points(bishkek_osm.buildings), max_snap_m=250)
    access = build_access_graph(bishkek_network, {"b": b}, doors=["b"])
    coo = sp.coo_array(access.csr)
    chord = np.hypot(*(access.node_xy[coo.row] - access.node_xy[coo.col]).T)
    assert (coo.data >= chord - 1e-6).all()


def test_a_walk_exactly_at_the_limit_counts_as_within() -> None:
    # "same edge, after" is exactly 10 + 30 + 5 = 45 m from the station (all exact in floats)
    walk_45 = _points([(80.0, 5.0)], ["b"])
    station = _points([STATION], ["S0"])
    at = walk_distances(full_grid(), walk_45, station, settings=WalkSettings(max_walk_m=45))
    assert at.buildings.loc["b", "walk_m"] == 45.0
    assert bool(at.buildings.loc["b", "covered"])
    below = walk_distances(
        full_grid(), walk_45, station, settings=WalkSettings(max_walk_m=np.nextafter(45, 0))
    )
    assert not bool(below.buildings.loc["b", "covered"])
    net = full_grid()
    b = snap_points(net, np.array([(80.0, 5.0)]), max_snap_m=250)
    s = snap_points(net, np.array([STATION]), max_snap_m=250)
    g = build_access_graph(net, {"buildings": b, "stations": s}, doors=["stations"])
    assert nearest_source(g, limit_m=45).walk_m.tolist() == [45.0]
    pairs = source_distances(g, limit_m=45)
    assert pairs.walk_m.tolist() == [45.0]
    assert np.isinf(nearest_source(g, limit_m=np.nextafter(45, 0)).walk_m).all()


def test_a_station_inside_a_building_serves_it_at_0_m() -> None:
    # Building "home" is the box 110..190 x 10..40: its door (representative point) is
    # (150, 25), 25 m above e0. The station stands inside it at (180, 35): its nearest street
    # is e10 (x = 200), 20 m away. Walking out and back in would be 20 + 35 (down e10 to node 2)
    # + 50 (along e0 to x = 150) + 25 = 130 m; inside, the walk is 0 m. The neighbour "next"
    # (box 10..90 x 10..40, door (50, 25)) still walks the streets: 20 + 35 + 150 + 25 = 230 m.
    from planner.covering import coverage_matrix

    buildings = gpd.GeoDataFrame(
        geometry=[shapely.box(110, 10, 190, 40), shapely.box(10, 10, 90, 40)],
        index=["home", "next"],
        crs=CRS,
    )
    station = _points([(180.0, 35.0)], ["S0"])
    r = walk_distances(full_grid(), buildings, station, settings=WalkSettings(max_walk_m=100))
    b = r.buildings
    assert b["walk_m"].tolist() == pytest.approx([0.0, 230.0])
    assert b["covered"].tolist() == [True, False]
    assert b["nearest_station"].tolist() == ["S0", "S0"]
    # a station just outside the footprint, at (195, 35), walks the streets to both
    outside = walk_distances(
        full_grid(), buildings, _points([(195.0, 35.0)], ["S0"]), settings=WalkSettings()
    )
    assert outside.buildings["walk_m"].tolist() == pytest.approx(
        [5 + 35 + 50 + 25, 5 + 35 + 150 + 25]
    )
    # the same for candidate sites: a pair at 0 m even beyond the limit of the street walk
    m = coverage_matrix(full_grid(), buildings, station, settings=WalkSettings(max_walk_m=100))
    assert m.matrix.shape == (1, 2)
    assert m.matrix.indices.tolist() == [0] and m.matrix.data.tolist() == [0.0]
    m = coverage_matrix(full_grid(), buildings, station, settings=WalkSettings(max_walk_m=300))
    assert m.matrix.indices.tolist() == [0, 1]
    assert m.matrix.data.tolist() == pytest.approx([0.0, 230.0])


def test_stations_and_candidates_are_not_snapped_across_a_barrier() -> None:
    # A "river" along y = 80 (x 120..180) between the station/candidate at (150, 60) and its
    # nearest street e2 (y = 100). It snaps to e8 (x = 100) at (100, 60) instead: 50 m.
    # The building door (150, 105) is 5 m above e2. Walk: 50 + 40 (up e8 to node 4 (100, 100))
    # + 50 (along e2 to x = 150) + 5 = 145 m. Across the river it would be 40 + 5 = 45 m.
    from dataclasses import replace

    from planner.covering import coverage_matrix

    river = np.array([shapely.LineString([(120, 80), (180, 80)])], dtype=object)
    net = replace(
        full_grid(), barrier_geometry=river, barrier_kind=np.array(["water"], dtype=object)
    )
    building = _points([(150.0, 105.0)], ["b"])
    site = _points([(150.0, 60.0)], ["S0"])
    r = walk_distances(net, building, site, settings=WalkSettings(max_walk_m=300))
    assert r.buildings["walk_m"].tolist() == pytest.approx([145.0])
    assert r.stations["snap_m"].tolist() == pytest.approx([50.0])
    m = coverage_matrix(net, building, site, settings=WalkSettings(max_walk_m=300))
    assert m.matrix.data.tolist() == pytest.approx([145.0])
    plain = walk_distances(full_grid(), building, site, settings=WalkSettings(max_walk_m=300))
    assert plain.buildings["walk_m"].tolist() == pytest.approx([45.0])


def test_unusable_stations_are_named_by_file_row_and_name_in_the_log(caplog) -> None:
    # the frame's index (0, 1, 2) is internal; the user knows the file row and the name
    buildings = _points([(80.0, 5.0)], ["b"])
    stations = _points([STATION, (100.0, -400.0), (1050.0, -5.0)], ["S0", "S1", "S2"]).reset_index(
        drop=True
    )
    stations["station_id"] = ["stations.csv:2", "stations.csv:4", "stations.csv:5"]
    stations["row"] = [2, 4, 5]
    stations["name"] = ["УПП 1", "УПП 2", None]
    with caplog.at_level("WARNING", logger="planner.distances"):
        walk_distances(full_grid(), buildings, stations)
    (message,) = [r.getMessage() for r in caplog.records if "not usable" in r.getMessage()]
    lines = message.splitlines()
    assert lines[0] == "2 of 3 stations are not usable:"
    assert lines[1].startswith("  stations.csv row 4 (УПП 2): no walkable street within 250 m")
    assert lines[2].startswith("  stations.csv row 5: its street network piece")
    assert "1:" not in message and "2:" not in message


def test_many_unusable_stations_are_summarised(caplog) -> None:
    buildings = _points([(80.0, 5.0)], ["b"])
    far = [(100.0 + i, -400.0) for i in range(25)]
    stations = _points([STATION, *far], [f"S{i}" for i in range(26)])
    stations["station_id"] = [f"osm:node/{i}" for i in range(26)]
    with caplog.at_level("WARNING", logger="planner.distances"):
        walk_distances(full_grid(), buildings, stations)
    (message,) = [r.getMessage() for r in caplog.records if "not usable" in r.getMessage()]
    lines = message.splitlines()
    assert lines[0] == "25 of 26 stations are not usable:"
    assert lines[1].startswith("  osm:node/1: no walkable street")
    assert len(lines) == 1 + 10 + 1
    assert lines[-1] == "  ... and 15 more, all listed with the reason in the stations output"
