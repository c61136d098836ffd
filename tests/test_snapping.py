"""Snapping points to the nearest point of the nearest edge: by hand and against brute force."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from _walk_grid import CRS, full_grid, plain_grid

from planner.errors import InputError
from planner.network import WalkNetwork
from planner.osm import OsmData
from planner.snapping import door_points, snap, snap_points


def test_snap_by_hand() -> None:
    net = full_grid()
    xy = np.array(
        [
            [50.0, -10.0],  # below e0 (0,0)-(100,0): foot (50, 0), 10 m, 50 m from node 0
            [210.0, 150.0],  # right of e11 (200,100)-(200,200): 50 m from node 5, 10 m off
            [140.0, 130.0],  # off the bent e13's first leg y = x: foot (135, 135)
            [310.0, 250.0],  # right of the loop's leg x = 300: 100 + 50 m along the loop
            [100.0, -400.0],  # 400 m from every street: beyond max_snap_m = 250
            [np.nan, np.nan],  # no geometry
        ]
    )
    s = snap_points(net, xy, max_snap_m=250, min_component_m=0)
    assert s.edge.tolist() == [0, 11, 13, 14, -1, -1]
    np.testing.assert_allclose(s.position_m[:4], [50, 50, 35 * np.sqrt(2), 150], atol=1e-9)
    # (140,130) to the line y = x: |140 - 130| / sqrt(2)
    np.testing.assert_allclose(s.snap_distance_m[:4], [10, 10, 10 / np.sqrt(2), 10], atol=1e-9)
    np.testing.assert_allclose(s.snapped_xy[:4], [[50, 0], [200, 150], [135, 135], [300, 250]])
    assert s.reached.tolist() == [True] * 4 + [False] * 2
    assert s.unreached.tolist() == [4, 5]
    assert np.isnan(s.position_m[4:]).all() and np.isnan(s.snap_distance_m[4:]).all()


def test_ties_go_to_the_lowest_edge_index() -> None:
    net = plain_grid()
    # node 4 (100,100) lies on e2, e3, e8 and e9; (0,0) on e0 and e6
    s = snap_points(net, np.array([[100.0, 100.0], [-5.0, -5.0]]), max_snap_m=50)
    assert s.edge.tolist() == [2, 0]
    assert s.position_m.tolist() == [100.0, 0.0]  # e2 runs 3 -> 4: node 4 is its end
    np.testing.assert_allclose(s.snap_distance_m, [0.0, np.hypot(5, 5)])


def test_small_pieces_are_avoided_unless_nothing_else_is_near() -> None:
    net = full_grid()  # e12 (the isolated 100 m piece at x = 1000..1100) is below 500 m
    # (1050,10): the grid is over 700 m away, so it falls back to e12 (10 m away).
    s = snap_points(net, np.array([[1050.0, 10.0]]), max_snap_m=250)
    assert s.edge[0] == 12 and s.snap_distance_m[0] == pytest.approx(10)
    # (990,0) is 10 m from e12's end; with a 900 m limit the big piece wins: its nearest
    # point is the loop e14's corner (300,200), hypot(690, 200) = 718.4 m away
    s = snap_points(net, np.array([[990.0, 0.0]]), max_snap_m=900)
    assert s.edge[0] == 14 and s.snap_distance_m[0] == pytest.approx(np.hypot(690, 200))
    s = snap_points(net, np.array([[1000.0 - 10.0, 0.0]]), max_snap_m=900, min_component_m=0)
    assert s.edge[0] == 12 and s.snap_distance_m[0] == pytest.approx(10)


def test_snap_rejects_a_bad_limit() -> None:
    with pytest.raises(InputError, match="max_snap_m"):
        snap_points(plain_grid(), np.zeros((1, 2)), max_snap_m=0)


def test_snap_adapter_uses_the_representative_point_and_keeps_the_index() -> None:
    net = plain_grid()
    gdf = gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=[shapely.box(40, -30, 60, -10), shapely.Point(100, 500)],
        index=[17, 4],
        crs=CRS,
    )
    before = gdf.copy()
    out = snap(net, gdf, max_snap_m=250)
    assert out.index.tolist() == [17, 4]
    assert out.crs == gdf.crs
    assert out["edge"].tolist() == [0, -1]
    assert out["reached"].tolist() == [True, False]
    door = door_points(gdf)[0]
    assert shapely.contains_xy(gdf.geometry.iloc[0], *door)
    assert out["snap_m"].iloc[0] == pytest.approx(-door[1])
    assert out.geometry.iloc[1].is_empty
    assert gdf.equals(before)  # input untouched


def test_snap_adapter_refuses_degrees_and_other_crs() -> None:
    net = plain_grid()
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(0.1, 0.1)], crs="EPSG:4326")
    with pytest.raises(InputError, match="not metres"):
        snap(net, pts, max_snap_m=250)
    with pytest.raises(InputError, match="to_crs"):
        snap(net, pts.set_crs("EPSG:32634", allow_override=True), max_snap_m=250)


def _brute_force(
    net: WalkNetwork, xy: np.ndarray, max_snap_m: float, min_component_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Distance to every edge, numpy argmin, with the same preference for big pieces."""
    points = shapely.points(xy)
    d = shapely.distance(points[:, None], net.edge_geometry[None, :])  # (n, m)
    label = net.component[net.edge_u]
    piece_m = np.bincount(label, weights=net.edge_length_m)[label]
    big = np.where(piece_m >= min_component_m, d, np.inf)
    best = np.argmin(big, axis=1)
    best_d = big[np.arange(len(xy)), best]
    fallback = best_d > max_snap_m
    best[fallback] = np.argmin(d[fallback], axis=1)
    best_d[fallback] = d[fallback, best[fallback]]
    best[best_d > max_snap_m] = -1
    return best, best_d


@pytest.mark.parametrize("min_component_m", [0.0, 500.0])
def test_snap_matches_brute_force_on_almaty(
    almaty_osm: OsmData, almaty_network: WalkNetwork, min_component_m: float
) -> None:
    from dataclasses import replace

    # the plain nearest street (barriers are tested against dense sampling below)
    almaty_network = replace(almaty_network, barrier_geometry=None, barrier_kind=None)
    rng = np.random.default_rng(7)
    xy = door_points(almaty_osm.buildings)
    xy = xy[rng.choice(len(xy), 200, replace=False)]
    s = snap_points(almaty_network, xy, max_snap_m=250, min_component_m=min_component_m)
    edge, dist = _brute_force(almaty_network, xy, 250, min_component_m)
    ok = edge >= 0
    assert (s.edge >= 0).tolist() == ok.tolist()
    np.testing.assert_allclose(s.snap_distance_m[ok], dist[ok], atol=1e-6)
    # the snapped point lies on its edge, at the reported position and distance
    on = s.reached
    geoms = almaty_network.edge_geometry[s.edge[on]]
    snapped = shapely.points(s.snapped_xy[on])
    np.testing.assert_allclose(shapely.distance(snapped, geoms), 0, atol=1e-6)
    np.testing.assert_allclose(
        shapely.distance(snapped, shapely.points(xy[on])), s.snap_distance_m[on], atol=1e-6
    )
    np.testing.assert_allclose(
        shapely.line_locate_point(geoms, snapped), s.position_m[on], atol=1e-6
    )


# --- barriers ----------------------------------------------------------------------------------


def _with_barriers(
    net: WalkNetwork, lines: list[list[tuple[float, float]]], kind: str
) -> WalkNetwork:
    from dataclasses import replace

    geoms = np.array([shapely.LineString(c) for c in lines], dtype=object)
    return replace(
        net, barrier_geometry=geoms, barrier_kind=np.full(len(lines), kind, dtype=object)
    )


def test_a_door_is_not_snapped_across_a_barrier() -> None:
    # (150, 60): nearest street e2 (y = 100) is 40 m up, across a "river" along y = 80 from
    # x = 120 to 180. On its own side: e8 (x = 100) at (100, 60), 50 m; e1 (y = 0) is 60 m.
    # (150, 95) stands between the river and e2: it keeps e2, 5 m away.
    net = _with_barriers(plain_grid(), [[(120, 80), (180, 80)]], "water")
    s = snap_points(net, np.array([[150.0, 60.0], [150.0, 95.0]]), max_snap_m=250)
    np.testing.assert_allclose(s.snapped_xy, [[100.0, 60.0], [150.0, 100.0]], atol=1e-9)
    np.testing.assert_allclose(s.snap_distance_m, [50.0, 5.0], atol=1e-9)
    assert s.barrier_crossed.tolist() == ["water", ""]
    # without barriers, the plain nearest street
    plain = snap_points(plain_grid(), np.array([[150.0, 60.0]]), max_snap_m=250)
    assert plain.snapped_xy.tolist() == [[150.0, 100.0]] and plain.barrier_crossed is None


def test_a_street_cut_by_a_railway_is_reached_on_the_own_side() -> None:
    # A railway from (130, 30) to (150, -30) crosses e1 (y = 0) at (140, 0). The door (139, 4)
    # lies east of it (the rail is at x = 138.67 for y = 4); its foot on e1, (139, 0), is west:
    # across. The nearest point of e1 on its own side is the level crossing (140, 0), sqrt(17) m.
    net = _with_barriers(plain_grid(), [[(130, 30), (150, -30)]], "railway")
    s = snap_points(net, np.array([[139.0, 4.0]]), max_snap_m=250)
    assert s.edge.tolist() == [1]  # e1: node 1 (100, 0) -> node 2 (200, 0)
    np.testing.assert_allclose(s.snapped_xy, [[140.0, 0.0]], atol=1e-9)
    np.testing.assert_allclose(s.snap_distance_m, [np.sqrt(17)], atol=1e-9)
    np.testing.assert_allclose(s.position_m, [40.0], atol=1e-9)
    assert s.barrier_crossed.tolist() == ["railway"]


def test_a_door_fenced_in_by_barriers_is_not_snapped() -> None:
    # a closed ring of water around the door: no street can be reached, none is used
    ring = [(120, 20), (180, 20), (180, 80), (120, 80), (120, 20)]
    net = _with_barriers(plain_grid(), [ring], "water")
    s = snap_points(net, np.array([[150.0, 50.0]]), max_snap_m=250)
    assert s.edge.tolist() == [-1] and s.unreached.tolist() == [0]
    assert s.barrier_crossed.tolist() == ["water"]


def test_bishkek_building_across_the_tracks(
    bishkek_osm: OsmData, bishkek_network: WalkNetwork
) -> None:
    # way/189418047 (issue 14): its nearest street is 147 m away across the railway; the nearest
    # on its own side is 152 m away, and its walk to the nearest police station grows
    from dataclasses import replace

    from planner.distances import walk_distances
    from planner.stations import stations_from_osm

    b = bishkek_osm.buildings[bishkek_osm.buildings["osm_id"] == 189418047]
    stations = stations_from_osm(bishkek_osm.police).to_crs(bishkek_network.crs)
    stations = stations[stations["usable"]]  # the two district stations; not traffic police
    plain_net = replace(bishkek_network, barrier_geometry=None, barrier_kind=None)
    plain = walk_distances(plain_net, b, stations)
    fenced = walk_distances(bishkek_network, b, stations)
    assert plain.buildings["snap_m"].iloc[0] == pytest.approx(147.0, abs=0.5)
    assert fenced.buildings["snap_m"].iloc[0] == pytest.approx(151.6, abs=0.1)
    assert plain.buildings["walk_m"].iloc[0] == pytest.approx(1703.0, abs=1.0)
    assert fenced.buildings["walk_m"].iloc[0] == pytest.approx(2274.6, abs=0.5)
    assert fenced.building_snaps.barrier_crossed.tolist() == ["railway"]


@pytest.mark.parametrize("city", ["almaty", "bishkek"])
def test_barrier_snaps_against_dense_sampling(city: str, request: pytest.FixtureRequest) -> None:
    # Every residential building whose nearest street point lies across a barrier: its new
    # straight walk crosses no barrier (brute force over all barrier lines), and no street
    # point sampled every 0.5 m within the limit is both reachable and nearer.
    from scipy.spatial import cKDTree

    osm: OsmData = request.getfixturevalue(f"{city}_osm")
    net: WalkNetwork = request.getfixturevalue(f"{city}_network")
    xy = door_points(osm.buildings)
    s = snap_points(net, xy, max_snap_m=250)
    across = np.flatnonzero(s.barrier_crossed != "")
    assert across.size >= 10
    barriers = net.barrier_geometry
    lengths = net.edge_length_m
    counts = np.maximum(2, np.ceil(lengths / 0.5).astype(int) + 1)
    edge_of = np.repeat(np.arange(net.n_edges), counts)
    frac = np.concatenate([np.linspace(0, 1, c) for c in counts])
    samples = shapely.get_coordinates(
        shapely.line_interpolate_point(net.edge_geometry[edge_of], frac, normalized=True)
    )
    tree = cKDTree(samples)
    for i in across.tolist():
        p = xy[i]
        if s.edge[i] >= 0:
            walk = shapely.LineString([p, s.snapped_xy[i]])
            assert not shapely.crosses(walk, barriers).any()
            radius = s.snap_distance_m[i] - 1e-6
        else:
            radius = 250.0
        near = tree.query_ball_point(p, radius)
        if near:
            walks = shapely.linestrings(
                np.stack([np.broadcast_to(p, (len(near), 2)), samples[near]], axis=1)
            )
            hit, _ = shapely.STRtree(barriers).query(walks, predicate="crosses")
            # every sampled street point nearer than the snap lies across a barrier
            assert np.unique(hit).size == len(near), (i, s.snap_distance_m[i])


def _two_streets() -> WalkNetwork:
    # e0 runs along y = 40 (x -100..100), across the barrier from the door at (0, 0); e1 runs
    # up x = 200 (y -100..25), on the door's side: its nearest point is (200, 0), 200 m away
    xy = np.array([[-100.0, 40.0], [100.0, 40.0], [200.0, -100.0], [200.0, 25.0]])
    return WalkNetwork.from_edges(xy, [0, 2], [1, 3], crs=CRS)


def test_a_long_straight_barrier_still_casts_its_shadow_behind_it() -> None:
    # one 10 km straight segment of railway at y = 30: both its ends are far beyond the snap
    # limit, yet its shadow must fall behind it (hiding e0 at y = 40), not between it and the
    # door. The own-side street runs along y = 20 from x = 150 to 250: nearest (150, 20).
    xy = np.array([[-100.0, 40.0], [100.0, 40.0], [150.0, 20.0], [250.0, 20.0]])
    streets = WalkNetwork.from_edges(xy, [0, 2], [1, 3], crs=CRS)
    net = _with_barriers(streets, [[(-5000, 30), (5000, 30)]], "railway")
    s = snap_points(net, np.array([[0.0, 0.0]]), max_snap_m=250)
    assert s.edge.tolist() == [1]
    np.testing.assert_allclose(s.snapped_xy, [[150.0, 20.0]], atol=1e-9)
    np.testing.assert_allclose(s.snap_distance_m, [np.hypot(150, 20)], atol=1e-9)
    assert s.barrier_crossed.tolist() == ["railway"]


def test_the_parts_of_a_water_outline_are_not_joined() -> None:
    # a river bank at y = 30 (x -150..150, hiding all of e0) and, in the same
    # MultiLineString, the shore of an island ring at (250..260, -50..-40): joining the first
    # part's end to the second's start would make a "barrier" from (150, 30) to (250, -50),
    # which crosses y = 0 at x = 187.5 and so would hide e1's nearest point (200, 0) too
    from dataclasses import replace

    water = shapely.MultiLineString(
        [[(-150, 30), (150, 30)], [(250, -50), (260, -50), (260, -40), (250, -40), (250, -50)]]
    )
    net = replace(
        _two_streets(),
        barrier_geometry=np.array([water], dtype=object),
        barrier_kind=np.array(["water"], dtype=object),
    )
    s = snap_points(net, np.array([[0.0, 0.0]]), max_snap_m=250)
    assert s.edge.tolist() == [1]
    np.testing.assert_allclose(s.snapped_xy, [[200.0, 0.0]], atol=1e-9)
