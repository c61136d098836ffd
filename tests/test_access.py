"""The access graph: snapped points inserted into their edges as nodes."""

from __future__ import annotations

import numpy as np
import pytest
from _walk_grid import full_grid
from scipy.sparse.csgraph import dijkstra

from planner.access import build_access_graph
from planner.errors import InputError
from planner.network import WalkNetwork
from planner.snapping import snap_points


def _line() -> WalkNetwork:
    """One 100 m edge, node 0 at x = 0, node 1 at x = 100."""
    return WalkNetwork.from_edges(np.array([[0.0, 0.0], [100.0, 0.0]]), [0], [1], crs="EPSG:32633")


def test_points_become_a_chain_along_their_edge() -> None:
    net = _line()
    # buildings at x = 70, 30, 30 (shared node), 0 (node 0 itself) and 100 (node 1)
    b = snap_points(net, np.array([[70, 5], [30, -2], [30, 4], [0, 3], [100, 1.0]]), max_snap_m=50)
    s = snap_points(net, np.array([[50.0, 8.0]]), max_snap_m=50)
    g = build_access_graph(net, {"buildings": b, "stations": s}, doors=["stations"])
    # inner snap nodes, numbered by (edge, position): 30 -> 2, 50 -> 3, 70 -> 4; door -> 5
    assert g.n_network_nodes == 2 and g.n_nodes == 6
    assert g.groups["buildings"].snap_node.tolist() == [4, 2, 2, 0, 1]
    assert g.groups["buildings"].door_node.tolist() == [-1] * 5
    assert g.groups["stations"].snap_node.tolist() == [3]
    assert g.groups["stations"].door_node.tolist() == [5]
    # the chain 0 -30- 2 -20- 3 -20- 4 -30- 1 and the door leaf 5 -8- 3
    assert g.sub_u.tolist() == [0, 2, 3, 4]
    assert g.sub_v.tolist() == [2, 3, 4, 1]
    assert g.sub_edge.tolist() == [0, 0, 0, 0]
    assert g.sub_start_m.tolist() == [0, 30, 50, 70]
    assert g.sub_end_m.tolist() == [30, 50, 70, 100]
    dense = g.csr.toarray()
    assert dense[0, 2] == 30 and dense[2, 3] == 20 and dense[3, 4] == 20 and dense[4, 1] == 30
    assert dense[5, 3] == 8 and dense[3, 5] == 8
    assert (dense == dense.T).all()
    # from the station's door: 8 + |50 - 70| = 28 to x = 70, 8 + 20 = 28 to x = 30
    d = dijkstra(g.csr, indices=5)
    assert d[[4, 2, 0, 1]].tolist() == [28.0, 28.0, 58.0, 58.0]


def test_zero_snap_distance_keeps_an_explicit_zero_edge() -> None:
    net = _line()
    s = snap_points(net, np.array([[40.0, 0.0]]), max_snap_m=50)
    g = build_access_graph(net, {"stations": s}, doors=["stations"])
    door = g.groups["stations"].door_node[0]
    d = dijkstra(g.csr, indices=door)
    assert d.tolist() == [40.0, 60.0, 0.0, 0.0]  # door and snap node 0 m apart, not cut off


def test_loop_and_parallel_edges() -> None:
    net = full_grid()
    # a point on the loop e14 (400 m, from node 8 and back) 150 m along it, and one on the
    # bent edge e13 (141.42 m) parallel to e3 (100 m) between nodes 4 and 5
    p = snap_points(net, np.array([[310.0, 250.0], [140.0, 130.0]]), max_snap_m=50)
    g = build_access_graph(net, {"p": p})
    loop_node, bent_node = g.groups["p"].snap_node
    d = dijkstra(g.csr, indices=[8, 4])
    # from node 8 around the loop: min(150, 400 - 150)
    assert d[0, loop_node] == pytest.approx(150)
    # node 4 to 5 takes the straight e3, not the bent e13
    assert d[1, 5] == pytest.approx(100)
    # node 4 to the point on e13: 35 * sqrt(2) along it
    assert d[1, bent_node] == pytest.approx(35 * np.sqrt(2))
    # every base edge is covered exactly by its sub-edges
    total = np.bincount(g.sub_edge, weights=g.sub_length_m, minlength=net.n_edges)
    np.testing.assert_allclose(total, net.edge_length_m)


def test_unsnapped_points_stay_out_and_bad_groups_are_named() -> None:
    net = _line()
    p = snap_points(net, np.array([[50.0, 500.0]]), max_snap_m=50)
    g = build_access_graph(net, {"stations": p}, doors=["stations"])
    assert g.groups["stations"].snap_node.tolist() == [-1]
    assert g.groups["stations"].door_node.tolist() == [-1]
    assert g.n_nodes == 2
    with pytest.raises(InputError, match="not in points"):
        build_access_graph(net, {"stations": p}, doors=["candidates"])
    with pytest.raises(InputError, match="no point group 'buildings'"):
        g.group("buildings")
