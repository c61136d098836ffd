"""Service areas from the reachable streets: lengths and polygons by hand, nesting, monotonicity."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pytest
import shapely
from _walk_grid import CRS, plain_grid

from planner.errors import InputError
from planner.isochrones import service_areas, substrings
from planner.network import WalkNetwork
from planner.osm import OsmData


def _stations(xy: list[tuple[float, float]], names: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=shapely.points(np.array(xy)), index=names, crs=CRS)


# R = 150 m from a station on node 4 (100,100), the centre of the grid: its four edges are
# whole (4 x 100 m); from their far ends (100 m away) 50 m more along each of the 8 outer
# edges (8 x 50 m); the corners (200 m) are out of reach. 400 + 400 = 800 m.
CENTRE_150 = [
    ((100, 0), (100, 200)),  # e8 + e9
    ((0, 100), (200, 100)),  # e2 + e3
    ((50, 0), (150, 0)),  # e0 from node 1 and e1 from node 1, 50 m each
    ((50, 200), (150, 200)),  # e4, e5 from node 7
    ((0, 50), (0, 150)),  # e6, e7 from node 3
    ((200, 50), (200, 150)),  # e10, e11 from node 5
]


def test_centre_station_reaches_the_hand_computed_streets() -> None:
    st = _stations([(100.0, 100.0)], ["S"])
    out = service_areas(plain_grid(), st, limits_m=[150, 100, 200, 250], buffer_m=10)
    assert out["limit_m"].tolist() == [100, 150, 200, 250]  # sorted
    assert out["station_id"].tolist() == ["all"] * 4
    # 100 m: the four edges of node 4; 150 m: 800 (above); 200 m and more: all 12 edges
    np.testing.assert_allclose(out["street_m"], [400, 800, 1200, 1200], atol=1e-9)
    expected = shapely.union_all(
        shapely.buffer(shapely.linestrings(np.array(CENTRE_150, dtype=float)), 10, quad_segs=4)
    )
    got = out.geometry.iloc[1]
    assert got.symmetric_difference(expected).area < 1e-6 * expected.area
    assert out["area_km2"].iloc[1] == pytest.approx(expected.area / 1e6)
    np.testing.assert_allclose(out["limit_min"], np.array([100, 150, 200, 250]) / 80)


def test_areas_nest_as_the_limit_grows() -> None:
    st = _stations([(30.0, -12.0), (170.0, 130.0)], ["A", "B"])
    for by in ("all", "station", "nearest"):
        out = service_areas(plain_grid(), st, limits_m=[60, 120, 180, 400], by=by, buffer_m=15)
        for sid, rows in out.groupby("station_id"):
            rows = rows.sort_values("limit_m")
            assert rows["street_m"].is_monotonic_increasing, (by, sid)
            assert rows["area_km2"].is_monotonic_increasing, (by, sid)
            geoms = rows.geometry.to_list()
            for small, big in itertools.pairwise(geoms):
                assert small.difference(big).area < 1e-6 * max(small.area, 1.0), (by, sid)


# Stations on nodes 3 (0,100) and 2 (200,0). Node distances (A = 3, B = 2):
#   0: 100/200, 1: 200/100, 4: 100/200, 5: 200/100, 6: 100/400, 7: 200/300, 8: 300/200.
# Nearest: A owns 0, 3, 4, 6, 7; B owns 1, 2, 5, 8. An edge between owners is split where
# d_a + x = d_b + (L - x): e0 (0|1), e3 (4|5), e5 (7|8) and e8 (1|4) at their middles.
# A: e2, e4, e6, e7, e9 (500) + 4 halves (200) = 700; B: e1, e10, e11 (300) + 200 = 500.
# Within 150 m: A reaches e2, e6, e7 whole and 50 m of e0, e3, e8, e9, e4 = 550;
# B reaches e1, e10 whole and 50 m of e0, e8, e3, e11 = 400.
def test_nearest_station_split_and_overlapping_areas_by_hand() -> None:
    st = _stations([(0.0, 100.0), (200.0, 0.0)], ["A", "B"])
    near = service_areas(plain_grid(), st, limits_m=[150, 1000], by="nearest", buffer_m=10)
    assert near["station_id"].tolist() == ["A", "B", "A", "B"]
    np.testing.assert_allclose(near["street_m"], [550, 400, 700, 500], atol=1e-9)
    # the split areas overlap only around the 4 split points: at most a 10 m disc each
    a, b = near.geometry.iloc[2], near.geometry.iloc[3]
    assert 0 < a.intersection(b).area <= 4 * np.pi * 10**2
    each = service_areas(plain_grid(), st, limits_m=[150, 1000], by="station", buffer_m=10)
    np.testing.assert_allclose(each["street_m"], [550, 400, 1200, 1200], atol=1e-9)
    union = service_areas(plain_grid(), st, limits_m=[150, 1000], buffer_m=10)
    np.testing.assert_allclose(union["street_m"], [950, 1200], atol=1e-9)
    whole = union.geometry.iloc[1]
    assert whole.symmetric_difference(a.union(b)).area < 1e-6 * whole.area


def test_a_station_off_the_street_adds_its_own_walk_and_is_cut_at_the_limit() -> None:
    # 30 m from e0 at x = 50: limit 20 m reaches only 20 m of the door path, no street;
    # limit 80 m: the 30 m door path, then 50 m each way along e0 to nodes 0 and 1
    st = _stations([(50.0, -30.0)], ["S"])
    out = service_areas(plain_grid(), st, limits_m=[20, 80], buffer_m=5)
    np.testing.assert_allclose(out["street_m"], [20, 30 + 100], atol=1e-9)
    first = out.geometry.iloc[0]
    # a 20 m segment buffered by 5 m: rectangle 20 x 10 plus a (polygonal) circle of radius 5
    assert first.bounds == pytest.approx((45, -35, 55, -5))


def test_unusable_station_gets_an_empty_area_and_bad_options_are_refused() -> None:
    st = _stations([(100.0, 100.0), (100.0, -900.0)], ["ok", "far"])
    out = service_areas(plain_grid(), st, limits_m=[100], by="station", buffer_m=10)
    assert out["station_id"].tolist() == ["ok", "far"]
    assert out.geometry.iloc[1].is_empty and out["area_km2"].iloc[1] == 0
    with pytest.raises(InputError, match="not both"):
        service_areas(plain_grid(), st, limits_m=[100], limits_min=[5])
    with pytest.raises(InputError, match="positive"):
        service_areas(plain_grid(), st, limits_m=[-1])
    with pytest.raises(InputError, match="by="):
        service_areas(plain_grid(), st, by="district")  # type: ignore[arg-type]


def test_substrings_match_shapely_ops() -> None:
    from shapely.ops import substring

    lines = np.array(
        [
            shapely.LineString([(0, 0), (10, 0), (10, 10), (30, 10)]),
            shapely.LineString([(0, 0), (3, 4)]),
            shapely.LineString([(0, 0), (10, 0), (10, 10)]),
        ],
        dtype=object,
    )
    start, end = np.array([5.0, 0.0, 10.0]), np.array([25.0, 5.0, 20.0])
    got = substrings(lines, start, end)
    for g, line, s, e in zip(got, lines, start, end, strict=True):
        want = substring(line, s, e)
        assert shapely.equals_exact(shapely.normalize(g), shapely.normalize(want), 1e-9)


def test_real_city_areas_grow_with_the_limit(
    bishkek_osm: OsmData, bishkek_network: WalkNetwork
) -> None:
    out = service_areas(bishkek_network, bishkek_osm.police, limits_min=[5, 10, 15])
    assert out["limit_m"].tolist() == [400, 800, 1200]
    assert out["area_km2"].is_monotonic_increasing
    assert out["street_m"].is_monotonic_increasing
    assert out.geometry.is_valid.all()
    assert out.crs == bishkek_network.crs


def test_chain_lines_joins_lines_end_to_end_without_changing_them() -> None:
    from planner.isochrones import chain_lines

    # a plus of four arms meeting at (0,0), a separate two-piece path, and a closed square
    lines = shapely.linestrings(
        np.array(
            [
                [(0, 0), (10, 0)],
                [(0, 0), (0, 10)],
                [(-10, 0), (0, 0)],
                [(0, -10), (0, 0)],
                [(50, 0), (60, 0)],
                [(70, 5), (60, 0)],
                [(100, 0), (110, 0)],
                [(110, 0), (110, 10)],
                [(110, 10), (100, 10)],
                [(100, 10), (100, 0)],
            ],
            dtype=float,
        )
    )
    chains = chain_lines(lines)
    # the plus becomes 2 chains (degree 4 passes 2 through), the path 1, the square 1
    assert len(chains) == 4
    assert shapely.length(chains).sum() == pytest.approx(shapely.length(lines).sum())
    assert shapely.union_all(chains).equals(shapely.union_all(lines))


def test_partial_streets_are_cut_at_the_exact_limit() -> None:
    from planner.access import build_access_graph
    from planner.distances import nearest_source
    from planner.isochrones import reachable_pieces
    from planner.snapping import snap_points

    net = plain_grid()
    s = snap_points(net, np.array([[100.0, 100.0]]), max_snap_m=10)
    g = build_access_graph(net, {"stations": s}, doors=["stations"])
    near = nearest_source(g, targets="stations", limit_m=150)
    p = reachable_pieces(g, near.node_distance_m, 150)
    got = sorted(zip(p.edge.tolist(), p.start_m.tolist(), p.end_m.tolist(), strict=True))
    # whole: e2, e3, e8, e9 (the edges of node 4). The 8 outer edges are reached for 50 m
    # from their end at node 1, 3, 5 or 7 (100 m from node 4): [50, 100] when that node is
    # the edge's v end (e0 0->1, e4 6->7, e6 0->3, e10 2->5), [0, 50] when it is the u end
    # (e1 1->2, e5 7->8, e7 3->6, e11 5->8).
    assert got == [
        (0, 50.0, 100.0),
        (1, 0.0, 50.0),
        (2, 0.0, 100.0),
        (3, 0.0, 100.0),
        (4, 50.0, 100.0),
        (5, 0.0, 50.0),
        (6, 50.0, 100.0),
        (7, 0.0, 50.0),
        (8, 0.0, 100.0),
        (9, 0.0, 100.0),
        (10, 50.0, 100.0),
        (11, 0.0, 50.0),
    ]


def test_service_areas_refuse_degrees() -> None:
    st = _stations([(100.0, 100.0)], ["S"]).to_crs("EPSG:4326")
    with pytest.raises(InputError, match="not metres"):
        service_areas(plain_grid(), st)


@pytest.mark.parametrize("by", ["all", "station", "nearest"])
def test_each_limit_equals_that_limit_alone(bishkek_osm, bishkek_network, by):
    # a limit dissolves only its ring and is merged with the smaller limit's polygon: the
    # same street length, and the same area up to the buffer's own approximation (round ends
    # drawn with quad_segs segments fall slightly differently where streets are chained)
    stations = bishkek_osm.police.iloc[:4]
    together = service_areas(bishkek_network, stations, limits_min=[5, 10, 15], by=by)
    for limit in (5, 10, 15):
        alone = service_areas(bishkek_network, stations, limits_min=[limit], by=by)
        mine = together[together["limit_min"] == limit].reset_index(drop=True)
        assert len(mine) == len(alone) == (1 if by == "all" else 4)
        for a, b in zip(mine.geometry, alone.geometry, strict=True):
            assert a.is_valid and b.is_valid
            assert a.symmetric_difference(b).area <= 1e-5 * max(b.area, 1.0)
        np.testing.assert_allclose(mine["street_m"], alone["street_m"], rtol=1e-12)
        np.testing.assert_allclose(mine["area_km2"], alone["area_km2"], rtol=1e-5)


def test_strips_dissolve_to_the_same_polygon(bishkek_network, monkeypatch):
    # cutting a large area into strips dissolved on separate cores must not change it
    import planner.isochrones as isochrones_module

    stations = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(
            [bishkek_network.node_xy[:, 0].mean()], [bishkek_network.node_xy[:, 1].mean()]
        ),
        crs=bishkek_network.crs,
    )
    whole = service_areas(bishkek_network, stations, limits_m=[1500])
    monkeypatch.setattr(isochrones_module, "STRIP_MIN_CHAINS", 1)
    monkeypatch.setattr(isochrones_module.os, "cpu_count", lambda: 3)
    strips = service_areas(bishkek_network, stations, limits_m=[1500])
    a, b = whole.geometry.iloc[0], strips.geometry.iloc[0]
    assert a.symmetric_difference(b).area < 1e-6 * a.area
    assert whole["street_m"].iloc[0] == pytest.approx(strips["street_m"].iloc[0])


def test_local_searches_give_the_same_station_areas(almaty_osm, almaty_network, monkeypatch):
    # per-station areas from searches confined to each station's 3 x 3 cells must equal those
    # from whole-graph searches (forced both ways through the cost model)
    import planner.distances as distances_module

    stations = almaty_osm.police.iloc[:12]
    monkeypatch.setattr(distances_module, "GROUP_OVERHEAD_NODES", 10**12)  # whole graph
    whole = service_areas(almaty_network, stations, limits_m=[400, 800], by="station")
    monkeypatch.setattr(distances_module, "GROUP_OVERHEAD_NODES", 0)  # local subgraphs
    local = service_areas(almaty_network, stations, limits_m=[400, 800], by="station")
    np.testing.assert_allclose(local["street_m"], whole["street_m"], rtol=1e-12, atol=1e-6)
    for a, b in zip(whole.geometry, local.geometry, strict=True):
        assert a.symmetric_difference(b).area <= 1e-6 * max(a.area, 1.0)
    assert whole["street_m"].gt(0).sum() >= 10
