"""Candidate sites and the coverage matrix, on hand-drawn networks and real data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner.candidates import (
    building_candidates,
    combine_candidates,
    network_candidates,
    read_candidates,
)
from planner.covering import coverage_matrix
from planner.distances import walk_distances
from planner.errors import InputError
from planner.network import WalkNetwork
from planner.settings import WalkSettings

CRS = 32643


def _line_network() -> WalkNetwork:
    # one straight street, 250 m long, along y = 50 (the middle row of 100 m cells)
    return WalkNetwork.from_edges(np.array([[0.0, 50.0], [250.0, 50.0]]), [0], [1], crs=CRS)


def test_network_candidates_by_hand():
    # 250 m at spacing 100: round(2.5) = 3 pieces of 83.33 m, points at their middles
    out = network_candidates(_line_network(), spacing_m=100)
    assert out["position_m"].tolist() == pytest.approx([250 / 6, 250 / 2, 5 * 250 / 6])
    assert shapely.get_coordinates(out.geometry.values)[:, 1] == pytest.approx([50, 50, 50])
    assert out["candidate_id"].tolist() == ["street:0:0", "street:0:1", "street:0:2"]
    assert out["name"].tolist() == ["unnamed street"] * 3  # a synthetic edge has no tags
    assert (out["source"] == "network").all()
    assert out.crs.to_epsg() == CRS


def test_network_candidates_thin_a_dense_grid_to_one_per_cell():
    # a 5 x 5 grid of 20 m blocks (80 m square): 40 short edges, each gets its midpoint,
    # but they all fall in the 100 m cell (0..100, 0..100): one candidate is kept, the one
    # nearest the cell centre (50, 50): midpoints nearest it are (50, 40), (40, 50), ...
    # at 10 m; the lowest index among the tied ones wins
    xs = np.arange(5) * 20.0
    xy = np.array([(x, y) for y in xs for x in xs])
    u, v = [], []
    for i in range(5):
        for j in range(5):
            k = i * 5 + j
            if j < 4:
                u.append(k)
                v.append(k + 1)
            if i < 4:
                u.append(k)
                v.append(k + 5)
    net = WalkNetwork.from_edges(xy, u, v, crs=CRS)
    out = network_candidates(net, spacing_m=100)
    assert len(out) == 1
    x, y = shapely.get_coordinates(out.geometry.values)[0]
    assert np.hypot(x - 50, y - 50) == pytest.approx(10.0)


def test_network_candidates_near_filter_is_a_straight_line_bound():
    near = np.array([[0.0, 50.0]])
    # points at x = 41.7, 125, 208.3: within 130 m of (0, 50) are the first two
    out = network_candidates(_line_network(), spacing_m=100, near_xy=near, within_m=130)
    assert len(out) == 2
    with pytest.raises(InputError, match="spacing_m"):
        network_candidates(_line_network(), spacing_m=0)


def test_building_candidates_use_a_point_inside_each_building():
    # an L-shaped building: its centroid lies outside it, its point on surface inside
    ell = shapely.Polygon([(0, 0), (30, 0), (30, 10), (10, 10), (10, 30), (0, 30)])
    frame = gpd.GeoDataFrame(
        {
            "floor_area_m2": [500.0, 50.0],
            "addr:street": ["Абая", None],
            "addr:housenumber": ["1", None],
        },
        geometry=[ell, shapely.box(100, 100, 105, 110)],
        crs=CRS,
    )
    out = building_candidates(frame, min_floor_area_m2=100)
    assert len(out) == 1
    assert out["name"].tolist() == ["Абая 1"]
    assert ell.contains(out.geometry.iloc[0])
    assert out["candidate_id"].tolist() == ["building:0"]


def test_read_candidates_keeps_bad_rows_with_reasons(tmp_path):
    path = tmp_path / "proposals.csv"
    path.write_text("name,lat,lon\nSchool 5,43.25,76.95\nBad,abc,76.9\n")
    out = read_candidates(path, crs=CRS)
    assert out["candidate_id"].tolist() == ["proposal:2", "proposal:3"]
    assert out["usable"].tolist() == [True, False]
    assert "abc" in out["problem"].iloc[1]


def test_combine_candidates_checks_ids():
    a = network_candidates(_line_network(), spacing_m=100)
    with pytest.raises(InputError, match="not unique"):
        combine_candidates(a, a)
    with pytest.raises(InputError, match="no candidate sites"):
        combine_candidates()
    assert len(combine_candidates(a)) == 3


# --- the coverage matrix -----------------------------------------------------------------------


def _grid() -> WalkNetwork:
    # 3 x 3 nodes, 100 m blocks:  6-7-8 / 3-4-5 / 0-1-2
    xy = np.array([(x, y) for y in (0.0, 100.0, 200.0) for x in (0.0, 100.0, 200.0)])
    u = [0, 1, 3, 4, 6, 7, 0, 1, 2, 3, 4, 5]
    v = [1, 2, 4, 5, 7, 8, 3, 4, 5, 6, 7, 8]
    return WalkNetwork.from_edges(xy, u, v, crs=CRS)


def test_coverage_matrix_by_hand():
    net = _grid()
    # building doors (points) 10 m off the streets:
    #   b0 at (50, -10): snaps to (50, 0) on edge 0-1, 10 m away
    #   b1 at (210, 150): snaps to (200, 150) on edge 5-8, 10 m away
    #   b2 at (150, 190): snaps to (150, 200) on edge 7-8, 10 m away
    buildings = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([50, 210, 150], [-10, 150, 190]), crs=CRS
    )
    # candidate c0 on the street at (0, 50) (edge 0-3), c1 at (200, 200) (node 8)
    candidates = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 200], [50, 200]), crs=CRS)
    cm = coverage_matrix(net, buildings, candidates, settings=WalkSettings(max_walk_m=200))
    dense = cm.matrix.toarray()
    # c0 -> b0: 50 (down to node 0) + 50 (along 0-1) + 10 (door) = 110 <= 200
    # c0 -> b1: 50 + 100 + 100 + 50 (0-1-2 then up to (200,150)) ... = 300 + 10 > 200: absent
    # c1 -> b1: 50 down from node 8 + 10 = 60; c1 -> b2: 50 + 10 = 60
    # c1 -> b0: far (200 + 150 + 10 = 360) > 200: absent
    expected = np.array([[110.0, 0, 0], [0, 60.0, 60.0]])
    np.testing.assert_allclose(dense, expected, atol=1e-9)
    assert cm.n_pairs == 3


def test_coverage_matrix_keeps_zero_distance_pairs():
    net = _grid()
    # a building door exactly on the street at a candidate's spot: distance 0, still covered
    buildings = gpd.GeoDataFrame(geometry=gpd.points_from_xy([100], [50]), crs=CRS)
    candidates = gpd.GeoDataFrame(geometry=gpd.points_from_xy([100], [50]), crs=CRS)
    cm = coverage_matrix(net, buildings, candidates, settings=WalkSettings(max_walk_m=100))
    assert cm.n_pairs == 1
    assert cm.matrix.toarray().tolist() == [[0.0]]


def test_coverage_matrix_rows_equal_single_station_walks(bishkek_osm, bishkek_network):
    # each row of the matrix must be the set of buildings that candidate alone reaches within
    # the limit, as computed by the nearest-station pass with that candidate as the only station
    buildings = bishkek_osm.buildings.iloc[::7].reset_index(drop=True)
    candidates = network_candidates(bishkek_network, spacing_m=400)
    settings = WalkSettings(max_walk_m=600)
    cm = coverage_matrix(bishkek_network, buildings, candidates, settings=settings)
    for i in range(0, len(candidates), max(1, len(candidates) // 8)):
        single = walk_distances(
            bishkek_network, buildings, candidates.iloc[[i]], settings=settings
        ).buildings
        row = cm.matrix[[i], :].toarray().ravel()
        covered = single["walk_m"].to_numpy() <= 600
        assert set(np.flatnonzero(covered)) == set(cm.matrix[[i], :].indices)
        np.testing.assert_allclose(row[covered], single["walk_m"].to_numpy()[covered], atol=1e-6)


def test_street_candidates_carry_the_street_name(almaty_network):
    out = network_candidates(almaty_network, spacing_m=500)
    named = out[~out["name"].str.startswith("unnamed ")]
    # measured on the 2012 data: 476 of 2,304 samples (20.7 %) lie on named ways
    assert 0.15 * len(out) < len(named) < 0.30 * len(out)
    edge_names = almaty_network.edge_name[named["edge"].to_numpy()]
    assert (named["name"].to_numpy() == edge_names).all()


def test_coverage_matrix_refuses_other_crs(bishkek_osm, bishkek_network):
    with pytest.raises(InputError, match="Project them first"):
        coverage_matrix(
            bishkek_network,
            bishkek_osm.buildings.to_crs(4326),
            network_candidates(bishkek_network, spacing_m=500),
        )
