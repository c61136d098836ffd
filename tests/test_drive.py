"""The car network: car rules, one-way streets and speeds by hand, drive times against networkx."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from planner.drive import (
    DriveNetwork,
    build_drive_network,
    drive_area,
    drive_coverage,
    drive_times,
    is_drivable,
    oneway_direction,
    parse_maxspeed,
    snap_to_drive,
    speed_kmh,
    to_networkx,
)
from planner.errors import InputError
from planner.osm import HIGHWAY_TAGS, HighwayWays, OsmData

CRS = pyproj.CRS("EPSG:32633")


def _empty() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"geometry": []}, geometry="geometry", crs=CRS)


def _osm(
    ways: list[tuple[list[int], dict[str, str]]], xy: dict[int, tuple[float, float]]
) -> OsmData:
    """An OsmData holding only these highway ways (node ids -> metres)."""
    rows = []
    refs: list[int] = []
    offsets = [0]
    for i, (nodes, tags) in enumerate(ways):
        rows.append({"way_id": 100 + i, **{k: tags.get(k) for k in HIGHWAY_TAGS}})
        refs += nodes
        offsets.append(len(refs))
    hw = HighwayWays(
        tags=pd.DataFrame(rows, columns=["way_id", *HIGHWAY_TAGS]),
        offsets=np.asarray(offsets, dtype=np.int64),
        node_id=np.asarray(refs, dtype=np.int64),
        x=np.array([xy[n][0] for n in refs]),
        y=np.array([xy[n][1] for n in refs]),
    )
    return OsmData(
        source="synthetic",
        sha256="",
        crs=CRS,
        highways=hw,
        buildings=_empty(),
        police=_empty(),
        residential_areas=_empty(),
        admin_areas=_empty(),
        data_date=None,
        clipped_ways=0,
        cut_ways=0,
        file_bounds_lonlat=(0.0, 0.0, 1.0, 1.0),
    )


#: 3x3 grid, node r*3+c at (100 c, 100 r):
#:   row 0 (0-1-2): oneway=yes, maxspeed 36 -> 10 s per block, only eastwards
#:   row 1 (3-4-5): residential, default 30 km/h -> 12 s per block, both ways
#:   row 2 drawn 8-7-6 with oneway=-1 and maxspeed 18 -> 20 s per block, only 6 -> 7 -> 8
#:   column 0 (0-3-6): primary, maxspeed 72 -> 5 s per block, both ways
#:   column 1 (1-4-7): footway -> no car
#:   column 2: 2-5 access=no + motor_vehicle=yes (open, 12 s); 5-8 motor_vehicle=private (closed)
GRID_XY = {r * 3 + c: (100.0 * c, 100.0 * r) for r in range(3) for c in range(3)}
GRID_WAYS = [
    ([0, 1, 2], {"highway": "residential", "oneway": "yes", "maxspeed": "36"}),
    ([3, 4, 5], {"highway": "residential"}),
    ([8, 7, 6], {"highway": "residential", "oneway": "-1", "maxspeed": "18"}),
    ([0, 3, 6], {"highway": "primary", "maxspeed": "72"}),
    ([1, 4, 7], {"highway": "footway"}),
    ([2, 5], {"highway": "residential", "access": "no", "motor_vehicle": "yes"}),
    ([5, 8], {"highway": "residential", "motor_vehicle": "private"}),
]


@pytest.fixture(scope="module")
def grid() -> DriveNetwork:
    return build_drive_network(_osm(GRID_WAYS, GRID_XY))


def _node(net: DriveNetwork, osm_id: int) -> int:
    return int(np.flatnonzero(net.node_osm_id == osm_id)[0])


def _times_by_osm(net: DriveNetwork, sources: list[int]) -> list[float]:
    t = drive_times(net, np.array([_node(net, s) for s in sources])).time_s
    return [float(t[_node(net, i)]) for i in range(9)]


def test_grid_oneway_and_speeds_by_hand(grid):
    # from 0: 1 at 10 (oneway row), 2 at 20; 3 at 5, 6 at 10 (primary); 4 = 5 + 12, 5 = 17 + 12
    # (2 -> 5 would be 32); 7 = 10 + 20, 8 = 30 + 20 (5 -> 8 is private)
    assert _times_by_osm(grid, [0]) == pytest.approx([0, 10, 20, 5, 17, 29, 10, 30, 50])
    # from 2: 1 is not reached back along the one-way row; 5 at 12, 4 at 24, 3 at 36, 0 at 41,
    # 6 at 36 + 5 = 41, 1 at 51 (via 0), 7 at 61, 8 at 81
    assert _times_by_osm(grid, [2]) == pytest.approx([41, 51, 0, 36, 24, 12, 41, 61, 81])


def test_grid_multi_source_takes_the_nearest(grid):
    t = drive_times(grid, np.array([_node(grid, 0), _node(grid, 2)]))
    times = [float(t.time_s[_node(grid, i)]) for i in range(9)]
    assert times == pytest.approx([0, 10, 0, 5, 17, 12, 10, 30, 50])
    assert [int(t.source[_node(grid, i)]) for i in range(9)] == [0, 0, 1, 0, 0, 1, 0, 0, 0]


def test_grid_edges_follow_the_rules(grid):
    edges = {
        (int(grid.node_osm_id[u]), int(grid.node_osm_id[v])): float(t)
        for u, v, t in zip(grid.edge_u, grid.edge_v, grid.edge_time_s, strict=True)
    }
    assert edges == pytest.approx(
        {
            (0, 1): 10, (1, 2): 10,  # one-way row, no reverse
            (3, 4): 12, (4, 3): 12, (4, 5): 12, (5, 4): 12,
            (6, 7): 20, (7, 8): 20,  # oneway=-1: against the drawing
            (0, 3): 5, (3, 0): 5, (3, 6): 5, (6, 3): 5,
            (2, 5): 12, (5, 2): 12,
        }
    )  # fmt: skip


def test_grid_drive_coverage_within_a_limit(grid):
    nodes = np.array([_node(grid, i) for i in range(9)])
    reach = drive_coverage(grid, np.array([_node(grid, 0), _node(grid, 2), -1]), nodes, limit_s=30)
    assert reach.shape == (3, 9)
    assert sorted(reach[[0]].indices.tolist()) == [0, 1, 2, 3, 4, 5, 6, 7]
    assert sorted(reach[[1]].indices.tolist()) == [2, 4, 5]
    assert reach[[2]].nnz == 0
    assert reach[0, 0] == 0 and reach[1, 4] == pytest.approx(24)


def test_grid_drive_area_by_hand(grid):
    # within 10 s of node 0: 0 -> 1 (10 s) along y = 0, and 0 -> 3 -> 6 (5 + 5 s) along x = 0;
    # points every 50 m fall in the 100 m squares (0, 0), (1, 0), (0, 1), (0, 2)
    times = drive_times(grid, np.array([_node(grid, 0)])).time_s
    area = drive_area(grid, times, limit_s=10.0, cell_m=100.0)
    assert area.area == pytest.approx(4 * 100 * 100)
    assert area.covers(shapely.box(0, 0, 100, 300)) and area.covers(shapely.box(100, 0, 200, 100))
    assert drive_area(grid, times, limit_s=-1.0).is_empty


def test_snap_uses_the_main_strongly_connected_piece():
    # 0 -> 1 -> 2 -> 0 is a one-way loop; 3 hangs off it by a one-way street 2 -> 3 (a car
    # there cannot get back): points are snapped to the loop, not to 3
    xy = {0: (0.0, 0.0), 1: (100.0, 0.0), 2: (100.0, 100.0), 3: (200.0, 100.0)}
    net = build_drive_network(
        _osm(
            [
                ([0, 1, 2, 0], {"highway": "residential", "oneway": "yes"}),
                ([2, 3], {"highway": "residential", "oneway": "yes"}),
            ],
            xy,
        )
    )
    node, kerb_m = snap_to_drive(net, np.array([[200.0, 110.0], [500.0, 500.0]]), max_kerb_m=150)
    assert int(net.node_osm_id[node[0]]) == 2
    assert kerb_m[0] == pytest.approx(np.hypot(100, 10))
    assert node[1] == -1


def test_an_island_is_its_own_piece_and_a_small_piece_is_not_snapped_to():
    # two two-way streets of 70 and 60 nodes 10 m apart, 5 km from each other (two islands: no
    # car gets from one to the other), and a 3-node two-way street beside the second island
    xy = {i: (10.0 * i, 0.0) for i in range(70)}
    xy |= {100 + i: (5000.0 + 10.0 * i, 0.0) for i in range(60)}
    xy |= {200: (5000.0, 100.0), 201: (5010.0, 100.0), 202: (5020.0, 100.0)}
    net = build_drive_network(
        _osm(
            [
                (list(range(70)), {"highway": "residential"}),
                (list(range(100, 160)), {"highway": "residential"}),
                ([200, 201, 202], {"highway": "residential"}),
            ],
            xy,
        )
    )
    assert net.in_main_component.sum() == 70  # the larger island
    node, _ = snap_to_drive(net, np.array([[5000.0, 5.0], [5010.0, 95.0]]), max_kerb_m=250)
    # the point near the second island is attached to it, not left out (as with only the
    # largest piece); the point beside the 3-node street goes to the island 95 m away
    assert int(net.node_osm_id[node[0]]) == 100
    assert int(net.node_osm_id[node[1]]) == 101
    times = drive_times(net, node[:1]).time_s
    assert np.isfinite(times[[_node(net, 100 + i) for i in range(60)]]).all()
    assert not np.isfinite(times[_node(net, 0)])


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("60", 60.0), (" 40 ", 40.0), ("30 mph", 30 * 1.609344), ("50 km/h", 50.0),
        ("RU:urban", 60.0), ("KZ:urban", 60.0), ("DE:rural", 90.0), ("RU:living_street", 20.0),
        ("walk", 5.0), ("none", None), ("signals", None), ("60;40", None), ("0", None),
        (None, None), (float("nan"), None),
    ],
)  # fmt: skip
def test_parse_maxspeed(value, kmh):
    got = parse_maxspeed(value)
    assert got == (None if kmh is None else pytest.approx(kmh))


def test_default_speeds():
    assert speed_kmh("residential") == 30
    assert speed_kmh("primary", maxspeed="none") == 60
    assert speed_kmh("living_street") == 10
    assert speed_kmh("secondary", maxspeed="80") == 80


@pytest.mark.parametrize(
    ("tags", "drivable"),
    [
        ({"highway": "residential"}, True),
        ({"highway": "footway"}, False),
        ({"highway": "path"}, False),
        ({"highway": "pedestrian"}, False),
        ({"highway": "steps"}, False),
        ({"highway": "cycleway"}, False),
        ({"highway": "track"}, False),
        ({"highway": "service"}, True),
        ({"highway": "service", "service": "parking_aisle"}, False),
        ({"highway": "primary", "access": "private"}, False),
        ({"highway": "primary", "access": "no", "motor_vehicle": "yes"}, True),
        ({"highway": "primary", "motor_vehicle": "no"}, False),
        ({"highway": "primary", "motorcar": "private"}, False),
        ({"highway": "primary", "vehicle": "no"}, False),
        ({"highway": "primary", "access": "destination"}, True),
        ({"highway": "primary", "oneway": "reversible"}, False),
        ({"highway": "primary", "construction": "minor"}, False),
        ({"highway": "construction"}, False),
    ],
)
def test_car_rules(tags, drivable):
    h = tags.pop("highway")
    assert is_drivable(h, **tags) is drivable


@pytest.mark.parametrize(
    ("highway", "oneway", "junction", "direction"),
    [
        ("residential", None, None, 0),
        ("residential", "yes", None, 1),
        ("residential", "true", None, 1),
        ("residential", "1", None, 1),
        ("residential", "-1", None, -1),
        ("residential", None, "roundabout", 1),
        ("residential", "no", "roundabout", 0),
        ("motorway", None, None, 1),
        ("motorway_link", "no", None, 0),
    ],
)
def test_oneway_direction(highway, oneway, junction, direction):
    assert oneway_direction(highway, oneway=oneway, junction=junction) == direction


def test_no_drivable_street_is_clear():
    osm = _osm([([0, 1], {"highway": "footway"})], {0: (0.0, 0.0), 1: (100.0, 0.0)})
    with pytest.raises(InputError, match="no drivable streets"):
        build_drive_network(osm)


# --- a real extract ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bishkek_drive(bishkek_osm) -> DriveNetwork:
    return build_drive_network(bishkek_osm)


def test_bishkek_oneway_streets_have_no_reverse_edges(bishkek_drive, bishkek_osm):
    tags = bishkek_osm.highways.tags
    oneway_ids = set(tags.loc[tags["oneway"] == "yes", "way_id"].tolist())
    assert oneway_ids  # the extract has one-way streets
    net = bishkek_drive
    pairs = set(zip(net.edge_u.tolist(), net.edge_v.tolist(), strict=True))
    on_oneway = np.isin(net.edge_way_id, list(oneway_ids))
    two_way_elsewhere = {
        (u, v) for u, v, w in zip(net.edge_u, net.edge_v, on_oneway, strict=True) if not w
    }
    backwards = [
        (u, v)
        for u, v in zip(net.edge_u[on_oneway].tolist(), net.edge_v[on_oneway].tolist(), strict=True)
        if (v, u) in pairs and (v, u) not in two_way_elsewhere
    ]
    assert backwards == []
    assert not np.isin(net.edge_highway, ["footway", "path", "steps", "pedestrian"]).any()


def test_bishkek_drive_times_match_networkx(bishkek_drive):
    net = bishkek_drive
    rng = np.random.default_rng(7)
    main = np.flatnonzero(net.in_main_component)
    sources = rng.choice(main, size=4, replace=False)
    graph = to_networkx(net)
    expected = nx.multi_source_dijkstra_path_length(graph, set(sources.tolist()), weight="time_s")
    got = drive_times(net, sources)
    reached = np.flatnonzero(np.isfinite(got.time_s))
    assert set(reached.tolist()) == set(expected)
    assert got.time_s[reached] == pytest.approx([expected[i] for i in reached.tolist()], rel=1e-9)
    # each node's source is one at that time
    for node in rng.choice(reached, size=50, replace=False).tolist():
        s = int(sources[got.source[node]])
        assert nx.dijkstra_path_length(graph, s, node, weight="time_s") == pytest.approx(
            got.time_s[node], rel=1e-9
        )
    # the bounded per-source matrix against single-source searches with a cutoff
    targets = rng.choice(net.n_nodes, size=300, replace=False)
    reach = drive_coverage(net, sources, targets, limit_s=180.0)
    one_by_one = drive_coverage(net, sources, targets, limit_s=180.0, block_bytes=1)
    assert (one_by_one != reach).nnz == 0  # blocks of one source give the same matrix
    for row, s in enumerate(sources.tolist()):
        within = nx.single_source_dijkstra_path_length(graph, s, cutoff=180.0, weight="time_s")
        want = {j: within[t] for j, t in enumerate(targets.tolist()) if t in within}
        got_row = reach[[row]]
        assert dict(zip(got_row.indices.tolist(), got_row.data.tolist(), strict=True)) == (
            pytest.approx(want, rel=1e-9)
        )
        assert want  # the check is not empty
