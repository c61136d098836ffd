"""The walk network: pedestrian rules, edges and lengths on paper, real cities, networkx.

The tiny hand-made network (tests/data/tiny_walk.osm), in metres::

    y=300             13
                       |  tertiary 12-13 (50 m): cut off from the rest by missing node 999
    y=250             12
    y=200            8      15 ---- 16      (6-15 under construction, 15-16 plain cycleway:
                   /         |               both not walkable)
    y=150        9   11
                /     |   tertiary 5-11 (50 m), then node 999 is missing
    y=100     4 ----- 5 ----- 6 ----- 7     (6-7 service access=private: not walkable)
              |       |       |
              x foot=no footway  motorway (not walkable)
              |       |       |
    y=0       1 ----- 2 ----- 3 ----- 14    (3-14 trunk with foot=yes: walkable)
              |
    y=-100   17 ---- 18     cycleway foot=designated 1-17-18 (walkable, 200 m, 17 is a bend)

    x=        0      100     200     300
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely

from planner.errors import InputError
from planner.network import WalkNetwork, build_walk_network, from_networkx, is_walkable, to_networkx
from tests.conftest import TINY_CRS

EXPECTED_EDGES = {  # (u, v) in OSM ids: length in metres, measured on paper
    (1, 2): 100.0,
    (2, 3): 100.0,
    (4, 5): 100.0,
    (5, 6): 100.0,
    (2, 5): 100.0,
    (4, 8): 2 * 50 * 2**0.5,  # path 4 -> 9 -> 8, two diagonals of a 50 m square
    (5, 11): 50.0,
    (12, 13): 50.0,
    (3, 14): 100.0,
    (1, 18): 200.0,  # cycleway 1 -> 17 -> 18
}


def _edges(net: WalkNetwork) -> dict[tuple[int, int], float]:
    ids = net.node_osm_id
    return {
        (int(ids[u]), int(ids[v])): float(length)
        for u, v, length in zip(net.edge_u, net.edge_v, net.edge_length_m, strict=True)
    }


def test_tiny_edges_and_lengths(tiny_network):
    assert _edges(tiny_network) == pytest.approx(EXPECTED_EDGES, abs=1e-9)
    # node 9 and node 17 only shape their ways; 999 is missing: none is a graph node
    assert set(tiny_network.node_osm_id.tolist()) == {1, 2, 3, 4, 5, 6, 8, 11, 12, 13, 14, 18}


def test_tiny_edge_geometry_follows_the_way(tiny_network):
    edges = dict(zip(_edges(tiny_network), tiny_network.edge_geometry, strict=True))
    np.testing.assert_allclose(
        shapely.get_coordinates(edges[(4, 8)]), [[0, 100], [50, 150], [100, 200]], atol=1e-9
    )
    np.testing.assert_allclose(
        shapely.get_coordinates(edges[(1, 18)]), [[0, 0], [0, -100], [100, -100]], atol=1e-9
    )


def test_tiny_connectivity(tiny_network):
    report = tiny_network.connectivity()
    # the 50 m stub 12-13 is cut off by the missing node; everything else is one piece
    assert report.n_components == 2
    assert report.total_length_m == pytest.approx(sum(EXPECTED_EDGES.values()))
    assert report.largest_length_m == pytest.approx(sum(EXPECTED_EDGES.values()) - 50.0)
    assert report.share_length_outside_largest == pytest.approx(50.0 / 1041.4213562373095)


def test_csr_is_symmetric_with_the_shortest_parallel_edge():
    # nodes 0-1 joined by a straight 100 m edge and a 200 m detour; plus a loop at 1
    detour = shapely.LineString([(0, 0), (50, 86.6025403784), (100, 0)])
    loop = shapely.LineString([(100, 0), (150, 0), (150, 50), (100, 0)])
    net = WalkNetwork.from_edges(
        np.array([[0.0, 0.0], [100.0, 0.0]]),
        [0, 0, 1],
        [1, 1, 1],
        crs=32643,
        edge_geometry=np.array(
            [shapely.LineString([(0, 0), (100, 0)]), detour, loop], dtype=object
        ),
    )
    assert net.edge_length_m == pytest.approx([100.0, 200.0, 50 + 50 + 50 * 2**0.5])
    dense = net.csr.toarray()
    assert dense.tolist() == [[0.0, 100.0], [100.0, 0.0]]


@pytest.mark.parametrize(
    ("tags", "walkable"),
    [
        ({"highway": "footway"}, True),
        ({"highway": "residential", "foot": "no"}, False),
        ({"highway": "service", "access": "private"}, False),
        ({"highway": "service", "access": "private", "foot": "yes"}, True),
        ({"highway": "motorway"}, False),
        ({"highway": "motorway_link", "foot": "designated"}, True),
        ({"highway": "trunk"}, False),
        ({"highway": "cycleway"}, False),
        ({"highway": "cycleway", "foot": "designated"}, True),
        ({"highway": "construction"}, False),
        ({"highway": "residential", "construction": "yes"}, False),
        ({"highway": "proposed"}, False),
        ({"highway": "steps"}, True),
        ({"highway": "living_street"}, True),
        ({"highway": "raceway", "foot": "yes"}, False),
    ],
)
def test_pedestrian_rules(tags, walkable):
    highway = tags.pop("highway")
    assert is_walkable(highway, **tags) is walkable


def test_almaty_network(almaty_network):
    report = almaty_network.connectivity()
    # measured 2012-03 data: 2,787 km of walkable street, 96 pieces, 6.2 % outside the largest
    assert 2700e3 < report.total_length_m < 2870e3
    assert 8000 < almaty_network.n_nodes < 9500
    assert 0.03 < report.share_length_outside_largest < 0.10
    assert almaty_network.crs.to_epsg() == 32643
    assert (almaty_network.edge_length_m > 0).all()


def test_edge_lengths_match_geodesic_lengths(bishkek_network, bishkek_osm):
    # UTM lengths agree with geodesic lengths on the ellipsoid to well under 0.1 %
    import pyproj

    geod = pyproj.Geod(ellps="WGS84")
    lonlat = (
        __import__("geopandas")
        .GeoSeries(bishkek_network.edge_geometry[:200], crs=bishkek_network.crs)
        .to_crs(4326)
    )
    geodesic = np.array([geod.geometry_length(g) for g in lonlat])
    ratio = bishkek_network.edge_length_m[:200] / geodesic
    assert np.abs(ratio - 1).max() < 1e-3


def test_bishkek_network(bishkek_network):
    report = bishkek_network.connectivity()
    # measured: 1,452 nodes, 1,894 edges, 136.5 km, 7 pieces, 1.6 % outside the largest
    assert 130e3 < report.total_length_m < 145e3
    assert report.n_components < 15
    assert report.share_length_outside_largest < 0.05


def test_networkx_round_trip(bishkek_network):
    graph = to_networkx(bishkek_network)
    assert graph.graph["crs"] == bishkek_network.crs
    assert graph.number_of_edges() == 2 * bishkek_network.n_edges - int(
        (bishkek_network.edge_u == bishkek_network.edge_v).sum()
    )
    back = from_networkx(graph)
    assert back.n_nodes == bishkek_network.n_nodes
    assert back.n_edges == bishkek_network.n_edges
    assert np.sort(back.edge_length_m) == pytest.approx(np.sort(bishkek_network.edge_length_m))
    # the same shortest paths from an arbitrary node, by networkx on the exported graph
    source = int(bishkek_network.node_osm_id[0])
    nx_dist = nx.single_source_dijkstra_path_length(graph, source, weight="length")
    from scipy.sparse.csgraph import dijkstra

    ours = dijkstra(bishkek_network.csr, indices=0)
    index = {int(n): i for i, n in enumerate(bishkek_network.node_osm_id)}
    got = np.array([ours[index[n]] for n in nx_dist])
    assert got == pytest.approx(np.array(list(nx_dist.values())), abs=1e-6)


def test_from_osmnx_style_lonlat_graph_is_projected():
    # an OSMnx-style graph in longitude/latitude: two nodes 0.001 degrees of latitude apart
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    graph.add_node(10, x=76.9, y=43.25)
    graph.add_node(11, x=76.9, y=43.251)
    graph.add_edge(10, 11, length=111.0, osmid=5, highway="footway")
    graph.add_edge(11, 10, length=111.0, osmid=5, highway="footway")
    net = from_networkx(graph)
    assert net.crs.to_epsg() == 32643
    assert net.n_edges == 1
    # 0.001 degree of latitude at 43.25 N is 111.1 m on the WGS 84 ellipsoid
    assert net.edge_length_m[0] == pytest.approx(111.1, abs=0.3)


def test_from_networkx_without_crs_or_coordinates():
    graph = nx.MultiDiGraph()
    graph.add_node(1)
    with pytest.raises(InputError) as info:
        from_networkx(graph)
    assert len(info.value.problems) == 2


def test_from_edges_refuses_degrees():
    with pytest.raises(InputError, match="not metres"):
        WalkNetwork.from_edges(np.zeros((2, 2)), [0], [1], crs=4326)


def test_tiny_network_crs(tiny_network):
    assert tiny_network.crs == __import__("pyproj").CRS.from_user_input(TINY_CRS)


def test_no_walkable_street_is_clear(tmp_path):
    path = tmp_path / "motorway.osm"
    path.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" lat="43.0" lon="76.0"/><node id="2" lat="43.001" lon="76.0"/>'
        '<way id="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="motorway"/></way></osm>'
    )
    from planner.osm import read_osm

    with pytest.raises(InputError, match="no walkable streets"):
        build_walk_network(read_osm(path))


def test_two_nodes_at_one_position_keep_the_street_continuous(tmp_path):
    # way 1 runs 1 -> 2 -> 3 -> 4 along a meridian; nodes 2 and 3 are distinct OSM nodes at the
    # same position (a mapping artefact), each also the end of a side street (ways 2 and 3), so
    # both are graph nodes and the edge 2 - 3 has length 0. Dropping it would cut way 1 in two.
    path = tmp_path / "same_position.osm"
    path.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" lat="43.000" lon="76.0"/><node id="2" lat="43.001" lon="76.0"/>'
        '<node id="3" lat="43.001" lon="76.0"/><node id="4" lat="43.002" lon="76.0"/>'
        '<node id="5" lat="43.001" lon="76.001"/><node id="6" lat="43.001" lon="75.999"/>'
        '<way id="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/>'
        '<tag k="highway" v="residential"/></way>'
        '<way id="2"><nd ref="2"/><nd ref="5"/><tag k="highway" v="residential"/></way>'
        '<way id="3"><nd ref="3"/><nd ref="6"/><tag k="highway" v="residential"/></way>'
        # a node repeated in a way (1 -> 1) gives a true zero-length loop stub: that one goes
        '<way id="4"><nd ref="4"/><nd ref="4"/><nd ref="1"/><tag k="highway" v="footway"/></way>'
        "</osm>"
    )
    from planner.osm import read_osm

    net = build_walk_network(read_osm(path))
    edges = _edges(net)
    assert edges[(2, 3)] == 0.0
    assert not any(u == v for u, v in edges)
    assert net.connectivity().n_components == 1
    i2, i3 = (int(np.flatnonzero(net.node_osm_id == k)[0]) for k in (2, 3))
    from scipy.sparse.csgraph import dijkstra

    assert dijkstra(net.csr, indices=i2)[i3] == 0.0
    i5, i6 = (int(np.flatnonzero(net.node_osm_id == k)[0]) for k in (5, 6))
    # side street to side street through the two coincident nodes: 2 x ~81 m
    assert dijkstra(net.csr, indices=i5)[i6] == pytest.approx(
        edges[(2, 5)] + edges[(3, 6)], abs=1e-9
    )


def test_from_edges_refuses_geometries_that_do_not_join_their_nodes():
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [100.0, 100.0]])
    ok = [shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(100, 0), (100, 100)])]
    WalkNetwork.from_edges(xy, [0, 1], [1, 2], crs=TINY_CRS, edge_geometry=np.array(ok))
    reversed_ = [ok[0], ok[1].reverse()]
    with pytest.raises(InputError, match=r"1 edge geometries do not run .*edge 1 \(1 -> 2"):
        WalkNetwork.from_edges(xy, [0, 1], [1, 2], crs=TINY_CRS, edge_geometry=np.array(reversed_))
    elsewhere = [ok[0], shapely.LineString([(500, 0), (500, 100)])]
    with pytest.raises(InputError, match=r"starts 400\.00 m from node 1"):
        WalkNetwork.from_edges(xy, [0, 1], [1, 2], crs=TINY_CRS, edge_geometry=np.array(elsewhere))
    with pytest.raises(InputError, match="2 edge geometries for 1 edges"):
        WalkNetwork.from_edges(xy, [0], [1], crs=TINY_CRS, edge_geometry=np.array(ok))


def _osm_xml(nodes: dict[int, tuple[float, float]], body: str) -> str:
    # coordinates in metres on the TINY_CRS sphere, where 1 m is exactly 9e-6 degrees
    pts = "".join(
        f'<node id="{i}" lat="{y * 9e-6:.9f}" lon="{x * 9e-6:.9f}"/>' for i, (x, y) in nodes.items()
    )
    return f'<?xml version="1.0"?><osm version="0.6">{pts}{body}</osm>'


def _walk_m(net: WalkNetwork, a: int, b: int) -> float:
    from scipy.sparse.csgraph import dijkstra

    ia, ib = (int(np.flatnonzero(net.node_osm_id == k)[0]) for k in (a, b))
    return float(dijkstra(net.csr, indices=ia)[ib])


def test_a_pedestrian_square_is_walked_across(tmp_path):
    # A 100 m square plaza (way 1, highway=pedestrian, area=yes) with footways entering at the
    # middle of its west side (7 -> 5) and of its east side (6 -> 8). Across: 50 + 100 + 50 =
    # 200 m; around the outline (5 -> 1 -> 2 -> 6) it would be 50 + 200 + 50 = 300 m.
    from planner.osm import read_osm

    nodes = {1: (0, 0), 2: (100, 0), 6: (100, 50), 3: (100, 100), 4: (0, 100), 5: (0, 50),
             7: (-50, 50), 8: (150, 50)}  # fmt: skip
    body = (
        '<way id="1"><nd ref="1"/><nd ref="2"/><nd ref="6"/><nd ref="3"/><nd ref="4"/>'
        '<nd ref="5"/><nd ref="1"/><tag k="highway" v="pedestrian"/><tag k="area" v="yes"/></way>'
        '<way id="2"><nd ref="7"/><nd ref="5"/><tag k="highway" v="footway"/></way>'
        '<way id="3"><nd ref="6"/><nd ref="8"/><tag k="highway" v="footway"/></way>'
    )
    path = tmp_path / "square.osm"
    path.write_text(_osm_xml(nodes, body))
    net = build_walk_network(read_osm(path, crs=TINY_CRS))
    assert _walk_m(net, 7, 8) == pytest.approx(200.0, abs=1e-6)
    # the crossings are not counted as street length: 400 m of outline + 2 x 50 m of footway
    assert net.street_length_m == pytest.approx(500.0, abs=1e-6)
    # a closed highway way WITHOUT area=yes is a loop street: walked around, not across
    path.write_text(_osm_xml(nodes, body.replace('<tag k="area" v="yes"/>', "")))
    loop = build_walk_network(read_osm(path, crs=TINY_CRS))
    assert _walk_m(loop, 7, 8) == pytest.approx(300.0, abs=1e-6)


def test_a_square_with_a_hole_and_an_untagged_outline(tmp_path):
    # A highway=pedestrian multipolygon (relation 100): outer ring 0..100 x 0..100 (way 10,
    # untagged, so not a street itself) with a 20 m building-hole at 40..60 x 40..60 (way 20).
    # Footways enter at (0, 50) and (100, 50). The straight line between them crosses the hole,
    # so the walk bends at two of the hole's corners: (0,50) -> (40,40) -> (60,40) -> (100,50)
    # = sqrt(40^2 + 10^2) + 20 + sqrt(40^2 + 10^2); plus 2 x 50 m of footway.
    from planner.osm import read_osm

    nodes = {11: (0, 0), 12: (100, 0), 16: (100, 50), 13: (100, 100), 14: (0, 100), 15: (0, 50),
             21: (40, 40), 22: (60, 40), 23: (60, 60), 24: (40, 60),
             17: (-50, 50), 18: (150, 50)}  # fmt: skip
    body = (
        '<way id="10"><nd ref="11"/><nd ref="12"/><nd ref="16"/><nd ref="13"/><nd ref="14"/>'
        '<nd ref="15"/><nd ref="11"/></way>'
        '<way id="20"><nd ref="21"/><nd ref="22"/><nd ref="23"/><nd ref="24"/><nd ref="21"/></way>'
        '<way id="30"><nd ref="17"/><nd ref="15"/><tag k="highway" v="footway"/></way>'
        '<way id="31"><nd ref="16"/><nd ref="18"/><tag k="highway" v="footway"/></way>'
        '<relation id="100"><member type="way" ref="10" role="outer"/>'
        '<member type="way" ref="20" role="inner"/><tag k="type" v="multipolygon"/>'
        '<tag k="highway" v="pedestrian"/></relation>'
    )
    path = tmp_path / "holed.osm"
    path.write_text(_osm_xml(nodes, body))
    net = build_walk_network(read_osm(path, crs=TINY_CRS))
    expected = 50 + 2 * np.hypot(40, 10) + 20 + 50
    assert _walk_m(net, 17, 18) == pytest.approx(expected, abs=1e-6)
    # the new corner nodes are the planner's own (negative ids), the crossings carry the area
    crossing = net.edge_area_crossing
    assert crossing is not None and crossing.sum() > 0
    assert set(net.edge_way_id[crossing].tolist()) == {100}
    assert (net.node_osm_id[net.node_osm_id < 0].size) == 4  # the hole's four corners


def test_a_big_square_joins_every_entrance_to_its_nearest_others():
    # 300 entrances crowd the square's south-west corner (a chain of footway nodes every 0.1 m)
    # and two stand alone in the far north-east corner. Past AREA_MAX_ENTRANCES points each is
    # joined to its 40 nearest: the lone ones must get their crossings too (the 40 n shortest
    # pairs of the whole square would all lie in the crowd).
    import geopandas as gpd

    from planner.network import AREA_MAX_ENTRANCES, _with_area_crossings

    crowd = np.column_stack([np.arange(300) * 0.1, np.zeros(300)])
    lone = np.array([[1000.0, 1000.0], [1000.0, 990.0]])
    xy = np.vstack([crowd, lone])
    u = np.r_[np.arange(299), 300]
    v = np.r_[np.arange(1, 300), 301]
    net = WalkNetwork.from_edges(xy, u, v, crs=TINY_CRS)
    square = shapely.box(0, 0, 1000, 1000)
    areas = gpd.GeoDataFrame(
        {"osm_id": [7], "highway": ["pedestrian"], "foot": [None], "access": [None],
         "name": [None]},
        geometry=[square],
    )  # fmt: skip
    assert len(xy) > AREA_MAX_ENTRANCES
    out = _with_area_crossings(net, areas)
    crossing = out.edge_area_crossing
    ends = np.r_[out.edge_u[crossing], out.edge_v[crossing]]
    assert 300 in ends and 301 in ends
    # and a crossing joins the lone corner to the crowd, across the square
    lone_to_crowd = crossing & (
        ((out.edge_u == 300) & (out.edge_v < 300)) | ((out.edge_v == 300) & (out.edge_u < 300))
    )
    assert lone_to_crowd.any()
