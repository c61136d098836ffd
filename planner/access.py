"""The walk network and the snapped points as one graph, so every walking distance is exact.

Every snapped point (building, station, candidate site) is inserted into its edge as a node: an
edge ``(u, v)`` of length ``L`` carrying points at positions ``p1 <= ... <= pk`` (metres from
``u`` along the edge geometry) becomes the chain ``u - p1 - ... - pk - v`` with the position
differences as weights. Points at the same position of the same edge share one node; a point
at position 0 or ``L`` is node ``u`` or ``v`` itself. Two points on the same edge are therefore
``|p_a - p_b|`` apart along it, not a detour via the edge's ends, and parallel edges and loops
work as on the plain network (``symmetric_csr`` keeps the shortest of parallel sub-edges).

Point groups that serve as Dijkstra sources (stations, candidate sites) also get a *door*
node: a leaf joined to the point's snap node by its straight snap distance. A search started at
the door nodes includes the source's own walk to the street; a leaf is never walked through,
so nobody takes a short cut through a building. A target's distance is the distance of its snap
node plus its own snap distance.

Nodes are numbered: the network's nodes ``0..n_network_nodes-1``, then the inserted snap nodes,
then the door nodes. The *sub-edge* table maps each street piece of the access graph back to its
base edge and positions, for drawing service areas. This module knows no geometry.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from planner.errors import InputError
from planner.i18n import gettext
from planner.network import WalkNetwork, symmetric_csr
from planner.snapping import Snaps

__all__ = ["AccessGraph", "PointNodes", "build_access_graph"]


@dataclass(frozen=True, eq=False)
class PointNodes:
    """Where one group of points sits in an :class:`AccessGraph`.

    Attributes
    ----------
    snap_node
        Access-graph node of each point's snapped position (int64, -1 when not snapped).
    door_node
        The point's leaf door node (int64), -1 when the group has no doors or the point was
        not snapped.
    snap_distance_m
        Straight distance from the point to its snapped position (NaN when not snapped).
    """

    snap_node: np.ndarray
    door_node: np.ndarray
    snap_distance_m: np.ndarray

    def __len__(self) -> int:
        return int(self.snap_node.shape[0])

    @property
    def reached(self) -> np.ndarray:
        """Whether each point is in the graph."""
        return self.snap_node >= 0


@dataclass(frozen=True, eq=False)
class AccessGraph:
    """The walk network with snapped points inserted as nodes (see the module docstring).

    Attributes
    ----------
    n_network_nodes
        Nodes ``0..n_network_nodes-1`` are the walk network's nodes.
    n_nodes
        All nodes: network nodes, inserted snap nodes, door nodes.
    csr
        Symmetric adjacency in metres (shortest of parallel sub-edges, explicit zeros kept).
    sub_u, sub_v
        End nodes of each street sub-edge (int64).
    sub_edge
        Base network edge of each sub-edge (int64).
    sub_start_m, sub_end_m
        Positions of ``sub_u`` and ``sub_v`` along the base edge geometry, from its ``u`` end
        (``sub_start_m <= sub_end_m``).
    groups
        The :class:`PointNodes` of each point group, by name.
    node_xy
        Coordinates of every node in the network's CRS (network nodes, snapped positions,
        the points themselves for doors). Every edge weighs at least the straight distance
        between its ends, so a node within walking distance ``d`` of a source lies within
        straight distance ``d`` of it: searches can be confined to a box around the source.
    """

    n_network_nodes: int
    n_nodes: int
    csr: sp.csr_array
    sub_u: np.ndarray
    sub_v: np.ndarray
    sub_edge: np.ndarray
    sub_start_m: np.ndarray
    sub_end_m: np.ndarray
    groups: Mapping[str, PointNodes]
    node_xy: np.ndarray

    @property
    def sub_length_m(self) -> np.ndarray:
        """Length of each sub-edge in metres."""
        return self.sub_end_m - self.sub_start_m

    def group(self, name: str) -> PointNodes:
        """The points of group ``name``, with an error that lists the groups if it is absent."""
        try:
            return self.groups[name]
        except KeyError:
            raise InputError(
                gettext("the access graph has no point group {group}").format(group=repr(name)),
                hint=gettext("It has {groups}; pass the group to build_access_graph.").format(
                    groups=sorted(self.groups)
                ),
            ) from None


def build_access_graph(
    network: WalkNetwork,
    points: Mapping[str, Snaps],
    *,
    doors: Collection[str] = (),
) -> AccessGraph:
    """Insert the snapped points of every group into the network as nodes.

    Parameters
    ----------
    network
        The walk network the points were snapped to.
    points
        Snapped points by group name, e.g. ``{"buildings": ..., "stations": ...}``.
    doors
        Names of the groups that get door nodes (those used as Dijkstra sources).

    Returns
    -------
    AccessGraph
    """
    unknown = sorted(set(doors) - set(points))
    if unknown:
        raise InputError(
            gettext(
                "build_access_graph: doors names groups that are not in points: {groups}"
            ).format(groups=unknown),
            hint=gettext("Use names from {names}.").format(names=sorted(points)),
        )
    n0 = network.n_nodes
    eu, ev, length = network.edge_u, network.edge_v, network.edge_length_m
    names = list(points)
    sizes = [len(points[k]) for k in names]
    edge = np.concatenate([points[k].edge for k in names]) if names else np.empty(0, np.int64)
    pos = np.concatenate([points[k].position_m for k in names]) if names else np.empty(0)
    snapped_xy = (
        np.concatenate(
            [np.asarray(points[k].snapped_xy, dtype=float).reshape(-1, 2) for k in names]
        )
        if names
        else np.empty((0, 2))
    )
    if edge.size and edge.max() >= network.n_edges:
        raise InputError(
            gettext("build_access_graph: points were snapped to a different network"),
            hint=gettext("Snap them with {example} for this network.").format(
                example="snap_points(network, ...)"
            ),
        )

    # --- snap node of every point
    node = np.full(edge.size, -1, dtype=np.int64)
    ok = np.flatnonzero(edge >= 0)
    e_ok, p_ok = edge[ok], pos[ok]
    at_u = p_ok <= 0.0
    at_v = ~at_u & (p_ok >= length[e_ok])
    inner = ~(at_u | at_v)
    node[ok[at_u]] = eu[e_ok[at_u]]
    node[ok[at_v]] = ev[e_ok[at_v]]
    ie, ip = e_ok[inner], p_ok[inner]
    order = np.lexsort((ip, ie))
    new = np.ones(order.size, dtype=bool)
    new[1:] = (ie[order][1:] != ie[order][:-1]) | (ip[order][1:] != ip[order][:-1])
    rank = np.cumsum(new) - 1
    inner_node = np.empty(order.size, dtype=np.int64)
    inner_node[order] = n0 + rank
    node[ok[inner]] = inner_node
    n_inner = int(new.sum())
    stop_edge, stop_pos = ie[order][new], ip[order][new]
    stop_node = n0 + np.arange(n_inner, dtype=np.int64)
    stop_xy = snapped_xy[ok[inner]][order][new]

    # --- chains u - p1 - ... - pk - v for every edge
    m = network.n_edges
    all_edge = np.concatenate([np.arange(m), stop_edge, np.arange(m)])
    all_pos = np.concatenate([np.zeros(m), stop_pos, length])
    all_kind = np.concatenate([np.zeros(m), np.ones(n_inner), np.full(m, 2.0)])
    all_node = np.concatenate([eu, stop_node, ev])
    order = np.lexsort((all_kind, all_pos, all_edge))
    all_edge, all_pos, all_node = all_edge[order], all_pos[order], all_node[order]
    link = all_edge[1:] == all_edge[:-1]
    sub_u, sub_v = all_node[:-1][link], all_node[1:][link]
    sub_edge = all_edge[:-1][link]
    sub_start, sub_end = all_pos[:-1][link], all_pos[1:][link]

    # --- door leaves
    n_nodes = n0 + n_inner
    groups: dict[str, PointNodes] = {}
    door_u, door_v, door_w, door_xy = [], [], [], []
    start = 0
    for name, size in zip(names, sizes, strict=True):
        snap_node = node[start : start + size]
        start += size
        dist = np.asarray(points[name].snap_distance_m, dtype=float)
        door = np.full(size, -1, dtype=np.int64)
        if name in doors:
            has = np.flatnonzero(snap_node >= 0)
            door[has] = n_nodes + np.arange(has.size)
            n_nodes += has.size
            door_u.append(door[has])
            door_v.append(snap_node[has])
            door_w.append(dist[has])
            door_xy.append(np.asarray(points[name].point_xy, dtype=float).reshape(-1, 2)[has])
        groups[name] = PointNodes(snap_node=snap_node, door_node=door, snap_distance_m=dist)

    csr = symmetric_csr(
        np.concatenate([sub_u, *door_u]),
        np.concatenate([sub_v, *door_v]),
        np.concatenate([sub_end - sub_start, *door_w]),
        n_nodes,
    )
    return AccessGraph(
        n_network_nodes=n0,
        n_nodes=n_nodes,
        csr=csr,
        sub_u=sub_u,
        sub_v=sub_v,
        sub_edge=sub_edge,
        sub_start_m=sub_start,
        sub_end_m=sub_end,
        groups=groups,
        node_xy=np.concatenate([network.node_xy, stop_xy, *door_xy]).reshape(-1, 2),
    )
