"""Walking distances from every building to the nearest police station, door to door.

A walk is: building door -> straight to the nearest point of the nearest street (the snap
distance) -> along the street network -> straight to the station's door.
:func:`nearest_source` does this for all buildings with one multi-source Dijkstra on the
:class:`~planner.access.AccessGraph` (sources are the stations' door nodes);
:func:`source_distances` gives the bounded distance of every (building, station) pair, for
coverage models. :func:`walk_distances` is the GeoDataFrame adapter.

Distances are computed beyond the walking limit (unlimited by default), so a report can say an
uncovered building is 1,350 m from the nearest station; ``inf`` means no station can be reached
at all (the building or every station is cut off, or beyond the search limit).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

from planner._crs import require_metric_crs, require_same_crs
from planner.access import AccessGraph, build_access_graph
from planner.errors import InputError
from planner.i18n import N_, gettext, ngettext
from planner.network import WalkNetwork
from planner.settings import WalkSettings
from planner.snapping import (
    DEFAULT_MIN_COMPONENT_M,
    Snaps,
    door_points,
    feature_labels,
    log_unreached,
    snap_points,
)

__all__ = [
    "NearestSource",
    "PairDistances",
    "WalkResult",
    "local_source_distances",
    "nearest_source",
    "nearest_station",
    "sites_inside_buildings",
    "source_distances",
    "source_node_distances",
    "walk_distances",
]

log = logging.getLogger(__name__)

#: Memory for one block of per-source distances (rows of float64 over all access nodes).
DEFAULT_BLOCK_BYTES = 64 * 2**20


@dataclass(frozen=True, eq=False)
class NearestSource:
    """The nearest source (station) of every target (building).

    Attributes
    ----------
    walk_m
        Door-to-door walking distance to the nearest source, metres; inf when none is
        reachable within ``limit_m``.
    source
        Position (0..n_sources-1) of the nearest source in its group, -1 when none.
    node_distance_m
        Distance from the nearest source's door to every access-graph node (inf beyond
        ``limit_m``), for service areas.
    node_source
        Nearest source of every access-graph node, -1 when none.
    limit_m
        The search limit used.
    """

    walk_m: np.ndarray
    source: np.ndarray
    node_distance_m: np.ndarray
    node_source: np.ndarray
    limit_m: float


@dataclass(frozen=True, eq=False)
class PairDistances:
    """Walking distances of the (target, source) pairs within a limit, as sparse triplets.

    ``walk_m[k]`` is the door-to-door distance from source ``source[k]`` to target
    ``target[k]``; pairs further apart than ``limit_m`` are absent. Sorted by target, then
    source. Distances can be exactly 0 (a station in the building): convert with care, e.g.
    ``scipy.sparse.coo_array`` keeps explicit zeros, ``csr`` conversions may drop them.
    """

    target: np.ndarray
    source: np.ndarray
    walk_m: np.ndarray
    n_targets: int
    n_sources: int
    limit_m: float


def _source_doors(access: AccessGraph, sources: str) -> tuple[np.ndarray, np.ndarray]:
    group = access.group(sources)
    if not (group.door_node >= 0).any() and group.reached.any():
        raise InputError(
            gettext("point group {group} has no door nodes, so it cannot be a source").format(
                group=repr(sources)
            ),
            hint=gettext("Build the access graph with {example}.").format(
                example=f"doors=[{sources!r}]"
            ),
        )
    usable = np.flatnonzero(group.door_node >= 0)
    return usable, group.door_node[usable]


def _check_limit(limit_m: float, *, function: str) -> float:
    limit_m = float(limit_m)
    if not limit_m >= 0:  # also catches NaN
        raise InputError(
            gettext(
                "{function}: limit_m={value} must be 0 or more metres (inf for no limit)"
            ).format(function=function, value=repr(limit_m))
        )
    return limit_m


def nearest_source(
    access: AccessGraph,
    *,
    sources: str = "stations",
    targets: str = "buildings",
    limit_m: float = np.inf,
) -> NearestSource:
    """Door-to-door walking distance from every target to its nearest source.

    One multi-source Dijkstra from the sources' door nodes; a target's distance is the
    distance of its snap node plus its own snap distance. Ties between equally near sources
    are broken by the Dijkstra search (deterministic for given inputs).

    Parameters
    ----------
    access
        Access graph holding both groups, ``sources`` with door nodes.
    sources, targets
        Group names in ``access``.
    limit_m
        Search limit in metres; targets further than this get ``inf`` and source -1.
        Unlimited by default (one multi-source search over the whole city is cheap).

    Returns
    -------
    NearestSource
    """
    limit_m = _check_limit(limit_m, function="nearest_source")
    usable, doors = _source_doors(access, sources)
    target = access.group(targets)
    if doors.size:
        node_dist, _, node_src = dijkstra(
            access.csr,
            directed=True,  # the matrix is symmetric: directed search is exact and faster
            indices=doors,
            min_only=True,
            return_predecessors=True,
            limit=limit_m,
        )
        source_of_door = np.full(access.n_nodes, -1, dtype=np.int64)
        source_of_door[doors] = usable
        node_source = np.where(node_src >= 0, source_of_door[np.maximum(node_src, 0)], -1)
    else:
        node_dist = np.full(access.n_nodes, np.inf)
        node_source = np.full(access.n_nodes, -1, dtype=np.int64)
    walk = np.full(len(target), np.inf)
    source = np.full(len(target), -1, dtype=np.int64)
    ok = np.flatnonzero(target.reached)
    walk[ok] = node_dist[target.snap_node[ok]] + target.snap_distance_m[ok]
    source[ok] = node_source[target.snap_node[ok]]
    beyond = walk > limit_m
    walk[beyond] = np.inf
    source[beyond] = -1
    return NearestSource(
        walk_m=walk,
        source=source,
        node_distance_m=node_dist,
        node_source=node_source,
        limit_m=limit_m,
    )


def source_node_distances(
    access: AccessGraph,
    *,
    sources: str = "stations",
    limit_m: float,
    which: np.ndarray | None = None,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Distances from each source's door to every access-graph node, in memory-bounded blocks.

    Parameters
    ----------
    access
        Access graph with door nodes for ``sources``.
    sources
        Group name of the sources.
    limit_m
        Search limit in metres (nodes further away get inf); keeps each search local.
    which
        Positions of the sources to search from; default all snapped sources.
    block_bytes
        Memory for one block of distance rows.

    Yields
    ------
    tuple of numpy.ndarray
        ``(source_positions, distances)`` with ``distances.shape == (k, access.n_nodes)``.
        Unsnapped sources are skipped.
    """
    limit_m = _check_limit(limit_m, function="source_node_distances")
    usable, doors = _source_doors(access, sources)
    if which is not None:
        keep = np.isin(usable, np.asarray(which, dtype=np.int64))
        usable, doors = usable[keep], doors[keep]
    rows = max(1, int(block_bytes) // (8 * max(access.n_nodes, 1)))
    for start in range(0, usable.size, rows):
        block = slice(start, start + rows)
        dist = dijkstra(access.csr, directed=True, indices=doors[block], limit=limit_m)
        yield usable[block], np.atleast_2d(dist)


def source_distances(
    access: AccessGraph,
    *,
    sources: str = "stations",
    targets: str = "buildings",
    limit_m: float,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
) -> PairDistances:
    """Door-to-door walking distance of every (target, source) pair within ``limit_m``.

    One bounded Dijkstra per source. A walk is never shorter than the straight line (every
    access-graph edge weighs at least the distance between its ends), so a source's search
    only needs the nodes within ``limit_m`` of it in a straight line: sources are grouped by
    square cells of side ``limit_m``, and each group searches the subgraph of the 3 x 3 cells
    around it. The result is exact, and the work per source is proportional to its
    neighbourhood, not to the whole city (scipy's Dijkstra fills a row over every node of the
    graph it is given). Without a finite limit the whole graph is searched.

    Returns
    -------
    PairDistances
    """
    limit_m = _check_limit(limit_m, function="source_distances")
    target = access.group(targets)
    ok = np.flatnonzero(target.reached)
    t_node, t_snap = target.snap_node[ok], target.snap_distance_m[ok]
    plan = _local_plan(access, sources=sources, limit_m=limit_m) if np.isfinite(limit_m) else None
    if plan is not None:
        blocks = _local_blocks(
            access, plan, t_node=t_node, limit_m=limit_m, block_bytes=block_bytes
        )
    else:
        all_targets = np.arange(t_node.size)
        blocks = (
            (which, dist[:, t_node], all_targets)
            for which, dist in source_node_distances(
                access, sources=sources, limit_m=limit_m, block_bytes=block_bytes
            )
        )
    parts_t, parts_s, parts_d = [], [], []
    for which, target_dist, target_pos in blocks:
        walk = target_dist + t_snap[target_pos]  # (k sources, targets near them)
        s_idx, t_idx = np.nonzero(walk <= limit_m)
        parts_t.append(ok[target_pos[t_idx]])
        parts_s.append(which[s_idx])
        parts_d.append(walk[s_idx, t_idx])
    # one column at a time, each block list emptied as soon as it is joined: a big city has
    # tens of millions of pairs, and every copy of them counts
    tt = np.concatenate(parts_t).astype(np.int64, copy=False) if parts_t else np.empty(0, np.int64)
    parts_t.clear()
    ss = np.concatenate(parts_s).astype(np.int64, copy=False) if parts_s else np.empty(0, np.int64)
    parts_s.clear()
    dd = np.concatenate(parts_d) if parts_d else np.empty(0)
    parts_d.clear()
    order = np.lexsort((ss, tt))
    tt = tt[order]
    ss = ss[order]
    dd = dd[order]
    del order
    return PairDistances(
        target=tt,
        source=ss,
        walk_m=dd,
        n_targets=len(target),
        n_sources=len(access.group(sources)),
        limit_m=float(limit_m),
    )


def _cells(xy: np.ndarray, size_m: float, origin: np.ndarray, n_rows: int) -> np.ndarray:
    """Cell key ``column * n_rows + row`` of square cells of side ``size_m``."""
    cell = np.floor((xy - origin) / size_m).astype(np.int64)
    return cell[:, 0] * n_rows + cell[:, 1]


#: Fixed cost of one local search group (building its subgraph, a Dijkstra call), counted in
#: "node visits" of a whole-graph search: about 0.4 ms against 7.5 ns per node and source,
#: measured on Almaty and Malta.
GROUP_OVERHEAD_NODES = 50_000


@dataclass(frozen=True, eq=False)
class _LocalPlan:
    """Sources grouped by square cells of side ``size_m`` and the nodes sorted by cell."""

    usable: np.ndarray
    doors: np.ndarray
    size_m: float
    origin: np.ndarray
    n_rows: int
    node_key: np.ndarray
    node_order: np.ndarray
    node_sorted: np.ndarray
    source_key: np.ndarray
    source_order: np.ndarray
    group_start: np.ndarray
    group_end: np.ndarray

    def around(self, sorted_keys: np.ndarray, order: np.ndarray, key: int) -> np.ndarray:
        """Items (by ``order``) in the 3 x 3 cells centred on cell ``key``."""
        column, row = divmod(key, self.n_rows)
        parts = []
        for c in (column - 1, column, column + 1):
            lo = np.searchsorted(sorted_keys, c * self.n_rows + row - 1, side="left")
            hi = np.searchsorted(sorted_keys, c * self.n_rows + row + 1, side="right")
            parts.append(order[lo:hi])
        return np.concatenate(parts)


def _local_plan(access: AccessGraph, *, sources: str, limit_m: float) -> _LocalPlan | None:
    """The grouping for local searches, or ``None`` when whole-graph searches are cheaper.

    Local searches visit, per source, the nodes of the 3 x 3 cells around it, plus a fixed cost
    per group; whole-graph searches visit every node per source. On a small graph with sparse
    sources (few sources per cell) the whole graph wins; on a city with thousands of sources
    the neighbourhoods do.
    """
    usable, doors = _source_doors(access, sources)
    if usable.size == 0:
        return None
    xy = access.node_xy
    size = limit_m * (1 + 1e-9) + 1e-6  # a hair larger: no float doubt at the cell edges
    origin = xy.min(axis=0) - 2 * size
    n_rows = int(np.floor((xy[:, 1].max() - origin[1]) / size)) + 3
    node_key = _cells(xy, size, origin, n_rows)
    node_order = np.argsort(node_key, kind="stable")
    node_sorted = node_key[node_order]
    source_key = node_key[doors]
    source_order = np.argsort(source_key, kind="stable")
    group_start = np.flatnonzero(np.r_[True, np.diff(source_key[source_order]) != 0])
    group_end = np.r_[group_start[1:], source_order.size]
    column, row = np.divmod(source_key[source_order[group_start]], n_rows)
    neighbourhood = np.zeros(group_start.size, dtype=np.int64)
    for c in (column - 1, column, column + 1):
        lo = np.searchsorted(node_sorted, c * n_rows + row - 1, side="left")
        hi = np.searchsorted(node_sorted, c * n_rows + row + 1, side="right")
        neighbourhood += hi - lo
    local_cost = float(((group_end - group_start) * neighbourhood).sum())
    local_cost += group_start.size * GROUP_OVERHEAD_NODES
    if local_cost >= float(usable.size) * access.n_nodes:
        return None
    return _LocalPlan(
        usable=usable,
        doors=doors,
        size_m=size,
        origin=origin,
        n_rows=n_rows,
        node_key=node_key,
        node_order=node_order,
        node_sorted=node_sorted,
        source_key=source_key,
        source_order=source_order,
        group_start=group_start,
        group_end=group_end,
    )


def _subgraph(access: AccessGraph, nodes: np.ndarray, local: np.ndarray) -> sp.csr_array:
    """The access graph restricted to ``nodes`` (``local`` maps them to 0..n-1, others -1).

    Built straight from the CSR arrays, in time proportional to the subgraph's edges.
    """
    indptr, indices, weights = access.csr.indptr, access.csr.indices, access.csr.data
    starts, counts = indptr[nodes], np.diff(indptr)[nodes]
    entry = np.arange(counts.sum()) + np.repeat(starts - (np.cumsum(counts) - counts), counts)
    row = np.repeat(np.arange(nodes.size), counts)
    col = local[indices[entry]]
    keep = col >= 0
    sub_indptr = np.zeros(nodes.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(row[keep], minlength=nodes.size), out=sub_indptr[1:])
    return sp.csr_array(
        (weights[entry[keep]], col[keep].astype(np.int32), sub_indptr.astype(np.int32)),
        shape=(nodes.size, nodes.size),
    )


def local_source_distances(
    access: AccessGraph,
    *,
    sources: str = "stations",
    limit_m: float,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Bounded distances from each source, over only the nodes the search can reach.

    Like :func:`source_node_distances`, but each block of nearby sources is searched on the
    subgraph of the 3 x 3 cells of side ``limit_m`` around them (exact: no edge is shorter
    than the straight line), when the cost estimate says that is cheaper than whole-graph
    searches.

    Yields
    ------
    tuple of numpy.ndarray
        ``(source_positions, nodes, distances)``: ``distances[r, j]`` is the walk from source
        ``source_positions[r]`` to access-graph node ``nodes[j]`` (inf beyond ``limit_m``);
        nodes not listed are beyond the limit. With whole-graph searches ``nodes`` is every
        node.
    """
    limit_m = _check_limit(limit_m, function="local_source_distances")
    plan = _local_plan(access, sources=sources, limit_m=limit_m) if np.isfinite(limit_m) else None
    if plan is None:
        every = np.arange(access.n_nodes)
        for which, dist in source_node_distances(
            access, sources=sources, limit_m=limit_m, block_bytes=block_bytes
        ):
            yield which, every, dist
        return
    for which, nodes, dist, _ in _local_searches(
        access, plan, limit_m=limit_m, block_bytes=block_bytes
    ):
        yield which, nodes, dist


def _local_searches(
    access: AccessGraph, plan: _LocalPlan, *, limit_m: float, block_bytes: int
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, int]]:
    """``(source_positions, nodes, distances, group cell key)`` for each block of a plan."""
    local = np.full(access.n_nodes, -1, dtype=np.int64)
    for a, b in zip(plan.group_start, plan.group_end, strict=True):
        members = plan.source_order[a:b]
        key = int(plan.source_key[members[0]])
        nodes = plan.around(plan.node_sorted, plan.node_order, key)
        local[nodes] = np.arange(nodes.size)
        sub = _subgraph(access, nodes, local)
        rows = max(1, int(block_bytes) // (8 * max(nodes.size, 1)))
        for s in range(0, members.size, rows):
            block = members[s : s + rows]
            dist = dijkstra(sub, directed=True, indices=local[plan.doors[block]], limit=limit_m)
            yield plan.usable[block], nodes, np.atleast_2d(dist), key
        local[nodes] = -1


def _local_blocks(
    access: AccessGraph,
    plan: _LocalPlan,
    *,
    t_node: np.ndarray,
    limit_m: float,
    block_bytes: int,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Local searches with the distances to the targets near each group of sources.

    Yields ``(source_positions, distances to targets, target positions)`` where the targets are
    those whose snap node lies in the searched subgraph (positions index ``t_node``).
    """
    target_key = plan.node_key[t_node]
    target_order = np.argsort(target_key, kind="stable")
    target_sorted = target_key[target_order]
    position = np.full(access.n_nodes, -1, dtype=np.int64)
    for which, nodes, dist, key in _local_searches(
        access, plan, limit_m=limit_m, block_bytes=block_bytes
    ):
        near = plan.around(target_sorted, target_order, key)
        position[nodes] = np.arange(nodes.size)
        yield which, dist[:, position[t_node[near]]], near
        position[nodes] = -1


# --- GeoDataFrame adapter ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class WalkResult:
    """Walking distances of buildings to their nearest station, with the inputs' diagnostics.

    Attributes
    ----------
    buildings
        Aligned to the buildings' index (input geometry kept): ``walk_m`` (door to door, inf
        when no station is reachable), ``walk_min``, ``nearest_station`` (index label of the
        station, missing when none), ``snap_m`` (door to street, NaN when not snapped),
        ``reachable`` (a station can be reached at all), ``covered`` (``walk_m <= max_walk_m``).
    stations
        Aligned to the stations' index: ``snap_m``, ``usable``, ``problem`` (why a station is
        not usable, empty otherwise), ``n_nearest`` (buildings for which it is the nearest) and
        ``n_covered`` (of those, within the walking limit).
    settings
        The walking settings used.
    access
        The access graph (groups ``"buildings"`` and ``"stations"``), for reuse.
    nearest
        The numeric result of :func:`nearest_source`.
    building_snaps, station_snaps
        Where the doors reached the network.
    """

    buildings: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    settings: WalkSettings
    access: AccessGraph
    nearest: NearestSource
    building_snaps: Snaps
    station_snaps: Snaps

    @property
    def share_covered(self) -> float:
        """Share of buildings within the walking limit of a station, 0..1."""
        n = len(self.buildings)
        return float(self.buildings["covered"].sum()) / n if n else 0.0


def walk_distances(
    network: WalkNetwork,
    buildings: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    *,
    settings: WalkSettings | None = None,
    search_limit_m: float | None = None,
    min_component_m: float = DEFAULT_MIN_COMPONENT_M,
) -> WalkResult:
    """Walking distance from every building to its nearest station, door to door.

    Parameters
    ----------
    network
        The walk network, in a metric CRS.
    buildings
        Building footprints (or points) in the network's CRS; the door is the
        representative point of a footprint.
    stations
        Station points (or footprints) in the network's CRS.
    settings
        Walking limit, speed and snapping limit; default :class:`WalkSettings()`.
    search_limit_m
        Stop searching beyond this distance (``walk_m`` is inf beyond it); default unlimited,
        so uncovered buildings still get their real distance.
    min_component_m
        Snapping prefers network pieces with at least this much street (see
        :mod:`planner.snapping`).

    Returns
    -------
    WalkResult

    Raises
    ------
    InputError
        If an input is in a geographic CRS or in another CRS than the network.
    """
    settings = WalkSettings() if settings is None else settings
    for what, gdf in ((gettext("the buildings"), buildings), (gettext("the stations"), stations)):
        require_metric_crs(gdf.crs, what=what, function="walk_distances")
        require_same_crs(network, gdf, function="walk_distances")
    b_snaps = snap_points(
        network,
        door_points(buildings),
        max_snap_m=settings.max_snap_m,
        min_component_m=min_component_m,
    )
    s_snaps = snap_points(
        network,
        door_points(stations),
        max_snap_m=settings.max_snap_m,
        min_component_m=min_component_m,
    )
    log_unreached(b_snaps, what=gettext("buildings"), index=feature_labels(buildings))
    access = build_access_graph(
        network, {"buildings": b_snaps, "stations": s_snaps}, doors=("stations",)
    )
    limit = np.inf if search_limit_m is None else float(search_limit_m)
    nearest = nearest_source(access, sources="stations", targets="buildings", limit_m=limit)
    # a station inside a building serves it at 0 m (not out to the street and back in)
    inside_site, inside_building = sites_inside_buildings(stations, buildings)
    nearest = _with_inside(nearest, inside_site, inside_building, s_snaps.reached)

    walk = nearest.walk_m
    label = _labels(stations.index, nearest.source, index=buildings.index)
    covered = walk <= settings.max_walk_m
    b_frame = gpd.GeoDataFrame(
        {
            "walk_m": walk,
            "walk_min": walk * 60.0 / (settings.speed_kmh * 1000.0),
            "nearest_station": label,
            "snap_m": b_snaps.snap_distance_m,
            "reachable": np.isfinite(walk),
            "covered": covered,
        },
        geometry=buildings.geometry.copy(),
        index=buildings.index,
        crs=buildings.crs,
    )
    s_frame = _station_frame(network, stations, s_snaps, b_snaps, nearest, covered, settings)
    bad = np.flatnonzero(~s_frame["usable"].to_numpy(dtype=bool))
    if bad.size:
        shown = [
            f"{_station_label(stations, int(i))}: {s_frame['problem'].iloc[i]}" for i in bad[:10]
        ]
        more = (
            "\n  ... "
            + gettext("and {more} more, all listed with the reason in the stations output").format(
                more=bad.size - 10
            )
            if bad.size > 10
            else ""
        )
        log.warning(
            ngettext(
                "{n} of {total} stations are not usable:",
                "{n} of {total} stations are not usable:",
                len(stations),
            ).format(n=bad.size, total=len(stations))
            + "\n  "
            + "\n  ".join(shown)
            + more
        )
    return WalkResult(
        buildings=b_frame,
        stations=s_frame,
        settings=settings,
        access=access,
        nearest=nearest,
        building_snaps=b_snaps,
        station_snaps=s_snaps,
    )


#: How a barrier kind is named in messages (English message ids, translated where shown).
_BARRIER_NAMES = {
    "railway": N_("railway"),
    "water": N_("river, canal or lake shore"),
    "motorway": N_("motorway or trunk road"),
    "tram": N_("tram line"),
    "stream": N_("stream"),
    "wall": N_("wall or fence"),
}


def sites_inside_buildings(
    sites: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Which sites stand inside which building footprints: ``(site, building)`` positions.

    A station or candidate site inside a building (a police post in a residential block, a
    site chosen with ``building_sites``) reaches that building's residents without walking:
    their walk is 0 m, not the way out to the street and back in. The site's door point (its
    representative point, as for snapping) is tested against the building polygons; point
    buildings contain nothing.
    """
    if not len(sites) or not len(buildings):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    geoms = np.asarray(buildings.geometry.values, dtype=object)
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))  # Polygon, MultiPolygon
    if not polygonal.any():
        return np.empty(0, np.int64), np.empty(0, np.int64)
    xy = door_points(sites)
    ok = np.flatnonzero(np.isfinite(xy).all(axis=1))
    tree = shapely.STRtree(geoms[polygonal])
    site_pos, tree_pos = tree.query(shapely.points(xy[ok]), predicate="within")
    return ok[site_pos].astype(np.int64), np.flatnonzero(polygonal)[tree_pos].astype(np.int64)


def _with_inside(
    nearest: NearestSource, site: np.ndarray, building: np.ndarray, usable: np.ndarray
) -> NearestSource:
    """``nearest`` with every building holding a usable site at walk 0 from it (the lowest
    site position when a building holds several)."""
    keep = usable[site]
    site, building = site[keep], building[keep]
    if not site.size:
        return nearest
    order = np.lexsort((site, building))
    site, building = site[order], building[order]
    first = np.r_[True, building[1:] != building[:-1]]
    walk, source = nearest.walk_m.copy(), nearest.source.copy()
    walk[building[first]] = 0.0
    source[building[first]] = site[first]
    return replace(nearest, walk_m=walk, source=source)


def _labels(labels: pd.Index, position: np.ndarray, *, index: pd.Index) -> pd.Series:
    """``labels`` at ``position`` (missing where -1) as a Series on ``index``.

    Integer labels become nullable ``Int64`` so that "no station" stays distinct from 0.
    """
    ok = position >= 0
    values = np.full(len(position), None, dtype=object)
    if ok.any():
        values[ok] = labels.to_numpy()[position[ok]]
    series = pd.Series(values, index=index, dtype=object)
    if pd.api.types.is_integer_dtype(labels.dtype):
        return series.astype("Int64")
    return series


def _station_label(stations: pd.DataFrame, i: int) -> str:
    """How a user finds station ``i`` (position) in their file or in OSM: the file's row
    number (or the OSM id) and the name, never the frame's internal index."""
    row = stations["row"].iloc[i] if "row" in stations.columns else None
    sid = stations["station_id"].iloc[i] if "station_id" in stations.columns else None
    name = stations["name"].iloc[i] if "name" in stations.columns else None
    if row is not None and not pd.isna(row):
        label = gettext("row {row}").format(row=int(row))
        if isinstance(sid, str) and ":" in sid and not sid.startswith("osm:"):
            label = gettext("{file} row {row}").format(file=sid.rsplit(":", 1)[0], row=int(row))
    elif isinstance(sid, str) and sid:
        label = sid
    else:
        label = gettext("station {station}").format(station=repr(stations.index[i]))
    return f"{label} ({name})" if isinstance(name, str) and name else label


def _station_frame(
    network: WalkNetwork,
    stations: gpd.GeoDataFrame,
    s_snaps: Snaps,
    b_snaps: Snaps,
    nearest: NearestSource,
    covered: np.ndarray,
    settings: WalkSettings,
) -> gpd.GeoDataFrame:
    n = len(stations)
    problem = np.full(n, "", dtype=object)
    far = ~s_snaps.reached
    problem[far] = gettext(
        "no walkable street within {metres} m (max_snap_m); check the station's position or "
        "the street data around it"
    ).format(metres=f"{settings.max_snap_m:.0f}")
    if s_snaps.barrier_crossed is not None:
        for i in np.flatnonzero(far & (s_snaps.barrier_crossed != "")):
            barrier = _BARRIER_NAMES.get(s_snaps.barrier_crossed[i], N_("barrier"))
            problem[i] = gettext(
                "no walkable street within {metres} m (max_snap_m) on its side of a {barrier}; "
                "check the station's position or the street data around it"
            ).format(metres=f"{settings.max_snap_m:.0f}", barrier=gettext(barrier))
    # a station whose network piece holds no building door reaches nobody
    piece = network.component[network.edge_u]
    b_pieces = np.unique(piece[b_snaps.edge[b_snaps.reached]])
    s_piece = np.where(s_snaps.reached, piece[np.maximum(s_snaps.edge, 0)], -1)
    # (with no building snapped at all there is nothing to compare against)
    alone = s_snaps.reached & ~np.isin(s_piece, b_pieces) & b_snaps.reached.any()
    length = np.bincount(piece, weights=network.edge_length_m)
    for i in np.flatnonzero(alone):
        problem[i] = gettext(
            "its street network piece ({metres} m of street) holds none of the area's "
            "residential buildings: no walk connects them (water, a railway or the area's edge "
            "between them, or a path missing in OSM)"
        ).format(metres=f"{length[s_piece[i]]:.0f}")
    ok = nearest.source >= 0
    n_nearest = np.bincount(nearest.source[ok], minlength=n)
    n_covered = np.bincount(nearest.source[ok & covered], minlength=n)
    return gpd.GeoDataFrame(
        {
            "snap_m": s_snaps.snap_distance_m,
            "usable": problem == "",
            "problem": problem.astype(str),
            "n_nearest": n_nearest,
            "n_covered": n_covered,
        },
        geometry=stations.geometry.copy(),
        index=stations.index,
        crs=stations.crs,
    )


def nearest_station(access: AccessGraph, *, limit_m: float = np.inf) -> NearestSource:
    """:func:`nearest_source` from the ``"stations"`` group to the ``"buildings"`` group."""
    return nearest_source(access, sources="stations", targets="buildings", limit_m=limit_m)
