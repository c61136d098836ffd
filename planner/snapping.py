"""Snap buildings, stations and candidate sites to the nearest point of the walk network.

A point reaches the street network at the nearest point of the nearest *edge* (not the nearest
node): the walk from a building door goes straight to the street, then along it. The result of
:func:`snap_points` says for each point which edge it reaches, where along it (metres from the
edge's ``u`` end, measured along the edge geometry), and how far the straight walk to it is.

Isolated pieces of network
--------------------------
OSM networks fall apart into pieces: the main network, plus short courtyard footways, paths on a
school ground or a car park whose connection to the streets is not mapped. A building snapped to
a 20 m isolated footway is unreachable from every station, which would wrongly count it as
uncovered. :func:`snap_points` therefore prefers edges in pieces with at least
``min_component_m`` metres of street (500 m by default): a point is snapped to the nearest edge of
such a piece if one lies within ``max_snap_m``, and only otherwise to the nearest edge of any
piece (a village with its own short network still reaches its own streets). Pass
``min_component_m=0`` for the plain nearest edge.

Points with no edge within ``max_snap_m`` are not snapped: their ``edge`` is -1 and they are
reported (logged, and listed by :attr:`Snaps.unreached`).

Barriers
--------
A door's straight walk to the street must not cross a railway, a river or canal, the shore of a
lake or a motorway closed to pedestrians (the network's :attr:`~planner.network.WalkNetwork.
barrier_geometry`, see :data:`planner.network.BARRIER_KINDS`). When the nearest street point lies
across one, the point is snapped to the nearest street point it can reach in a straight line
without crossing any (within ``max_snap_m``), or not at all: it is never silently moved across
a river. :attr:`Snaps.barrier_crossed` records, for every point whose nearest street point was
across a barrier, the kind of that barrier.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._crs import require_metric_crs, require_same_crs
from planner.errors import InputError
from planner.i18n import gettext
from planner.network import WalkNetwork

__all__ = ["DEFAULT_MIN_COMPONENT_M", "Snaps", "door_points", "snap", "snap_points"]

log = logging.getLogger(__name__)

#: Pieces of network with less street length than this are used only as a last resort.
DEFAULT_MIN_COMPONENT_M = 500.0


@dataclass(frozen=True, eq=False)
class Snaps:
    """Where each of ``n`` points reaches the walk network.

    Attributes
    ----------
    edge
        Index of the edge reached (int64), -1 when no edge lies within ``max_snap_m``.
    position_m
        Distance along the edge geometry from ``edge_u[edge]`` to the snapped point
        (NaN when not reached).
    snap_distance_m
        Straight distance from the point to the snapped point (NaN when not reached).
    snapped_xy
        Coordinates of the snapped point, shape (n, 2) (NaN when not reached).
    point_xy
        The points themselves, shape (n, 2).
    max_snap_m
        The snapping limit used.
    """

    edge: np.ndarray
    position_m: np.ndarray
    snap_distance_m: np.ndarray
    snapped_xy: np.ndarray
    point_xy: np.ndarray
    max_snap_m: float
    #: Kind of barrier (``"railway"``, ``"water"``, ...) between each point and its plain
    #: nearest street point, when there was one (the point was then snapped to its own side, or
    #: not at all); ``""`` otherwise. ``None`` when the network has no barriers.
    barrier_crossed: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.edge.shape[0])

    @property
    def reached(self) -> np.ndarray:
        """Whether each point was snapped to an edge within ``max_snap_m``."""
        return self.edge >= 0

    @property
    def unreached(self) -> np.ndarray:
        """Positions (0..n-1) of the points with no street within ``max_snap_m``."""
        return np.flatnonzero(self.edge < 0)


def snap_points(
    network: WalkNetwork,
    xy: np.ndarray,
    *,
    max_snap_m: float,
    min_component_m: float = DEFAULT_MIN_COMPONENT_M,
) -> Snaps:
    """Snap points to the nearest point on the nearest edge of the walk network.

    Parameters
    ----------
    network
        The walk network (metric CRS).
    xy
        Point coordinates in the network's CRS, shape (n, 2), metres. Rows with NaN are not
        snapped.
    max_snap_m
        Furthest straight distance accepted from a point to the street.
    min_component_m
        Prefer edges in network pieces with at least this much street length (see the module
        docstring); 0 snaps to the plain nearest edge.

    Returns
    -------
    Snaps
        Equidistant edges are broken deterministically: the lowest edge index wins.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if not (np.isfinite(max_snap_m) and max_snap_m > 0):
        raise InputError(
            gettext("snap_points: max_snap_m={value} must be a positive number of metres").format(
                value=repr(max_snap_m)
            ),
            hint=gettext("Use e.g. {example} (250 m).").format(example="WalkSettings().max_snap_m"),
        )
    n = xy.shape[0]
    edge = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    snapped = np.full((n, 2), np.nan)
    crossed = np.full(n, "", dtype=object) if network.barrier_tree is not None else None
    todo = np.flatnonzero(np.isfinite(xy).all(axis=1))
    if network.n_edges and todo.size:
        big = _big_piece_edges(network, min_component_m)
        phases = [big, np.arange(network.n_edges)] if big is not None else [None]
        for candidates in phases:  # big pieces first, then any piece for points left over
            if candidates is None:
                candidates = np.arange(network.n_edges)
            found = _nearest_reachable(network, candidates, xy[todo], max_snap_m)
            hit = found[0] >= 0
            edge[todo[hit]] = found[0][hit]
            dist[todo[hit]] = found[1][hit]
            snapped[todo[hit]] = found[2][hit]
            if crossed is not None:
                across = found[3] != ""
                crossed[todo[across]] = found[3][across]
            todo = todo[~hit]
            if not todo.size:
                break
    ok = edge >= 0
    position = np.full(n, np.nan)
    if ok.any():
        geoms = network.edge_geometry[edge[ok]]
        pos = shapely.line_locate_point(geoms, shapely.points(snapped[ok]))
        position[ok] = np.clip(pos, 0.0, network.edge_length_m[edge[ok]])
    return Snaps(
        edge=edge,
        position_m=position,
        snap_distance_m=dist,
        snapped_xy=snapped,
        point_xy=xy,
        max_snap_m=float(max_snap_m),
        barrier_crossed=crossed,
    )


def _nearest_reachable(
    network: WalkNetwork, candidates: np.ndarray, xy: np.ndarray, max_snap_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nearest street point of ``candidates`` reachable in a straight line crossing no barrier.

    Returns ``(edge, distance, snapped_xy, crossed)``: edge -1 when none lies within
    ``max_snap_m``; ``crossed`` is the kind of barrier that the plain nearest point lay
    across (``""`` if none).
    """
    points = shapely.points(xy)
    edge, dist = _nearest(network.edge_geometry, candidates, points, max_snap_m)
    snapped = np.full((len(xy), 2), np.nan)
    crossed = np.full(len(xy), "", dtype=object)
    ok = np.flatnonzero(edge >= 0)
    if ok.size:
        geoms = network.edge_geometry[edge[ok]]
        snapped[ok] = shapely.get_coordinates(
            shapely.line_interpolate_point(geoms, shapely.line_locate_point(geoms, points[ok]))
        )
    tree = network.barrier_tree
    if tree is None or not ok.size:
        return edge, dist, snapped, crossed
    walks = shapely.linestrings(np.stack([xy[ok], snapped[ok]], axis=1))
    walk_idx, barrier_idx = tree.query(walks, predicate="crosses")
    if not walk_idx.size:
        return edge, dist, snapped, crossed
    kinds = np.asarray(network.barrier_kind, dtype=object)
    bad = ok[np.unique(walk_idx)]
    first = np.unique(walk_idx, return_index=True)[1]
    crossed[bad] = kinds[barrier_idx[first]]
    edge_tree = shapely.STRtree(network.edge_geometry[candidates])
    for i in bad.tolist():
        found = _own_side(network, candidates, edge_tree, points[i], max_snap_m)
        edge[i], dist[i] = found[0], found[1]
        snapped[i] = found[2]
    return edge, dist, snapped, crossed


def _own_side(
    network: WalkNetwork,
    candidates: np.ndarray,
    edge_tree: shapely.STRtree,
    point: shapely.Point,
    max_snap_m: float,
) -> tuple[int, float, np.ndarray]:
    """The nearest street point within ``max_snap_m`` that ``point`` sees, i.e. reaches in a
    straight line crossing no barrier (lowest edge index on ties).

    Each barrier segment near the point casts a "shadow": the quadrilateral between the
    segment and its projection away from the point, beyond ``max_snap_m``. What of the nearby
    edges lies outside every shadow is visible; its nearest point is the answer. Exact up to
    floating point, and also right where a street passes the end of a barrier (a spur track,
    a wall's end) or crosses it (a level crossing: the crossing itself is reachable).
    """
    tree = network.barrier_tree
    assert tree is not None and network.barrier_geometry is not None
    near = network.barrier_geometry[tree.query(point, predicate="dwithin", distance=max_snap_m)]
    p = shapely.get_coordinates(point)[0]
    # one line per part: a lake outline with an island is a MultiLineString whose rings must
    # not be joined end to start
    parts = shapely.get_parts(near)
    coords, index = shapely.get_coordinates(parts, return_index=True)
    same_line = index[1:] == index[:-1]
    a, b = coords[:-1][same_line], coords[1:][same_line]
    segments = shapely.linestrings(np.stack([a, b], axis=1))
    keep = (
        shapely.dwithin(segments, point, max_snap_m)
        & (np.hypot(*(a - p).T) > 1e-9)
        & (np.hypot(*(b - p).T) > 1e-9)
    )
    a, b = a[keep], b[keep]
    reach = 2.0 * max_snap_m + 1.0

    def far(x: np.ndarray) -> np.ndarray:
        # beyond every street within max_snap_m, and always behind the barrier's end (an end
        # already further away than ``reach``, on a long straight track, is pushed out too)
        v = x - p
        length = np.hypot(v[:, 0], v[:, 1])
        return p + v * np.maximum(reach / length, 2.0)[:, None]

    quads = shapely.polygons(np.stack([a, b, far(b), far(a), a], axis=1))
    quads = quads[shapely.area(quads) > 0]  # segments pointing at the door cast no shadow
    shadow = shapely.union_all(shapely.make_valid(quads)) if len(quads) else None
    blade = shapely.union_all(near)
    options: list[tuple[float, int, np.ndarray]] = []
    for e in np.sort(candidates[edge_tree.query(point, predicate="dwithin", distance=max_snap_m)]):
        geom = network.edge_geometry[e]
        # where the street meets a barrier (a level crossing, a street ending at the tracks):
        # on the shadows' edge, so tried on their own
        for q in shapely.get_parts(shapely.intersection(geom, blade)):
            if shapely.get_type_id(q) != 0 or shapely.is_empty(q):
                continue
            xy = shapely.get_coordinates(q)[0]
            if (
                shapely.distance(point, q) <= max_snap_m
                and not shapely.crosses(shapely.LineString([p, xy]), near).any()
            ):
                options.append((float(shapely.distance(point, q)), int(e), xy))
        visible = shapely.difference(geom, shadow) if shadow is not None else geom
        for part in shapely.get_parts(visible):
            if shapely.is_empty(part) or shapely.get_type_id(part) != 1:
                continue
            t = float(shapely.line_locate_point(part, point))
            # the nearest visible point often lies on a shadow's edge, where the straight walk
            # grazes a barrier's end: a hair further along the part it clears it for sure
            for step in (0.0, 0.01, -0.01, 0.1, -0.1):
                q = shapely.line_interpolate_point(part, min(max(t + step, 0.0), part.length))
                d = float(shapely.distance(point, q))
                if d > max_snap_m:
                    continue
                xy = shapely.get_coordinates(q)[0]
                if not shapely.crosses(shapely.LineString([p, xy]), near).any():
                    options.append((d, int(e), xy))
                    break
    if not options:
        return -1, float("nan"), np.full(2, np.nan)
    d, e, q = min(options, key=lambda o: (o[0], o[1]))
    return e, d, q


def _big_piece_edges(network: WalkNetwork, min_component_m: float) -> np.ndarray | None:
    """Edges of pieces with at least ``min_component_m`` of street, or None if that is all."""
    if min_component_m <= 0:
        return None
    label = network.component[network.edge_u]
    length = np.bincount(label, weights=network.edge_length_m)
    big = length[label] >= min_component_m
    if big.all():
        return None
    return np.flatnonzero(big)


def _nearest(
    geometry: np.ndarray, candidates: np.ndarray, points: np.ndarray, max_snap_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest of ``geometry[candidates]`` to each point (lowest edge index on ties)."""
    edge = np.full(len(points), -1, dtype=np.int64)
    dist = np.full(len(points), np.nan)
    if candidates.size == 0:
        return edge, dist
    tree = shapely.STRtree(geometry[candidates])
    (src, tree_idx), d = tree.query_nearest(
        points, max_distance=max_snap_m, return_distance=True, all_matches=True
    )
    keep = d <= max_snap_m
    src, hit, d = src[keep], candidates[tree_idx[keep]], d[keep]
    # ties: several rows per point; keep the lowest edge index (candidates is ascending)
    order = np.lexsort((hit, src))
    src, hit, d = src[order], hit[order], d[order]
    first = np.ones(src.size, dtype=bool)
    first[1:] = src[1:] != src[:-1]
    edge[src[first]] = hit[first]
    dist[src[first]] = d[first]
    return edge, dist


def door_points(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Where people leave each feature for the street: (n, 2) coordinates.

    Points are used as they are; polygons and lines by their representative point (a point
    inside the footprint, unlike the centroid of an L-shaped building). OSM rarely maps doors;
    ``entrance=*`` nodes, where present, could replace this guess later. Missing or empty
    geometries give NaN.
    """
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    xy = np.full((len(geoms), 2), np.nan)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if present.any():
        g = geoms[present]
        is_point = shapely.get_type_id(g) == 0
        pts = np.where(is_point, g, shapely.point_on_surface(g))
        xy[present] = shapely.get_coordinates(pts)
    return xy


def snap(
    network: WalkNetwork,
    gdf: gpd.GeoDataFrame,
    *,
    max_snap_m: float,
    min_component_m: float = DEFAULT_MIN_COMPONENT_M,
) -> gpd.GeoDataFrame:
    """Snap the doors of a GeoDataFrame's features to the walk network.

    The door of a building polygon is its representative point (see :func:`door_points`).

    Returns
    -------
    geopandas.GeoDataFrame
        Aligned to ``gdf.index``, CRS carried through, with ``edge`` (-1 when no street is
        within ``max_snap_m``), ``position_m`` (along the edge from its ``u`` end), ``snap_m``
        (door to street), ``reached``, and the snapped point as geometry (empty when not
        reached). The input is not modified.
    """
    require_metric_crs(gdf.crs, what=gettext("the features"), function="snap")
    require_same_crs(network, gdf, function="snap")
    snaps = snap_points(
        network, door_points(gdf), max_snap_m=max_snap_m, min_component_m=min_component_m
    )
    log_unreached(snaps, what=gettext("features"), index=feature_labels(gdf))
    return snaps_frame(snaps, index=gdf.index, crs=gdf.crs)


def snaps_frame(snaps: Snaps, *, index: pd.Index, crs: object) -> gpd.GeoDataFrame:
    """:class:`Snaps` as a GeoDataFrame aligned to ``index`` (see :func:`snap`)."""
    ok = snaps.reached
    geometry = np.full(len(snaps), shapely.Point(), dtype=object)
    if ok.any():
        geometry[ok] = shapely.points(snaps.snapped_xy[ok])
    return gpd.GeoDataFrame(
        {
            "edge": snaps.edge,
            "position_m": snaps.position_m,
            "snap_m": snaps.snap_distance_m,
            "reached": ok,
        },
        geometry=gpd.GeoSeries(geometry, index=index, crs=crs),
        index=index,
    )


def feature_labels(gdf: pd.DataFrame) -> pd.Index:
    """Labels a user can look up: ``way/123`` (OSM element) when known, else the index."""
    if {"osm_type", "osm_id"} <= set(gdf.columns):
        return pd.Index(gdf["osm_type"].astype(str) + "/" + gdf["osm_id"].astype(str))
    return gdf.index


def log_unreached(snaps: Snaps, *, what: str, index: pd.Index) -> None:
    """Log how many (and which) points have no street within ``max_snap_m``, and how many were
    kept from snapping across a barrier. ``what`` names the points, translated ("buildings")."""
    bad = snaps.unreached
    if snaps.barrier_crossed is not None:
        crossed = snaps.barrier_crossed != ""
        if crossed.any():
            kinds = pd.Series(snaps.barrier_crossed[crossed]).value_counts()
            stranded = int((crossed & (snaps.edge < 0)).sum())
            if stranded:
                text = gettext(
                    "{n} {what} lie across a barrier from their nearest street ({kinds}): "
                    "snapped to the nearest street on their own side; {stranded} have none "
                    "within {metres} m and were not snapped"
                )
            else:
                text = gettext(
                    "{n} {what} lie across a barrier from their nearest street ({kinds}): "
                    "snapped to the nearest street on their own side"
                )
            log.warning(
                text.format(
                    n=int(crossed.sum()),
                    what=what,
                    kinds=", ".join(f"{k} {v}" for k, v in kinds.items()),
                    stranded=stranded,
                    metres=f"{snaps.max_snap_m:.0f}",
                )
            )
    if bad.size:
        shown = ", ".join(str(i) for i in index[bad[:10]])
        if bad.size > 10:
            text = gettext(
                "{n} of {total} {what} have no walkable street within {metres} m and were not "
                "snapped: {shown} and {more} more"
            )
        else:
            text = gettext(
                "{n} of {total} {what} have no walkable street within {metres} m and were not "
                "snapped: {shown}"
            )
        log.warning(
            text.format(
                n=bad.size,
                total=len(snaps),
                what=what,
                metres=f"{snaps.max_snap_m:.0f}",
                shown=shown,
                more=bad.size - 10,
            )
        )
