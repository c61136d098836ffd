"""The pedestrian street network: which ways are walkable, and the graph built from them.

Pedestrian rules (applied by :func:`is_walkable`, documented in README.md):

- Walkable ``highway`` values: footway, path, pedestrian, steps, living_street, residential,
  service, unclassified, road, tertiary, secondary, primary and their ``_link`` ways, track,
  bridleway, corridor, crossing, sidewalk, elevator, platform.
- Motorways and trunks (and their links) are walkable only with ``foot=yes|designated|permissive``.
  So are cycleways: by default they are not for walking, but many are shared (``foot=designated``).
- Never walkable: ``foot=no``; ``access=no|private`` unless foot is explicitly allowed; ways
  under construction or only proposed (``highway=construction|proposed|planned|abandoned|razed``,
  or a ``construction=*`` tag); raceways and bus guideways.
- Every walkable way is walkable in both directions (pedestrians ignore one-way rules).

The graph keeps OSM nodes where ways meet or end (as OSMnx's simplified graphs do); the nodes in
between only shape the edge geometry. Edge lengths are measured along that geometry in the
metric CRS of the data, so they are metres.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from functools import cached_property

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from planner import i18n
from planner._crs import require_metric_crs, utm_crs_for
from planner.errors import InputError
from planner.i18n import fmt_share, gettext, ngettext
from planner.osm import HighwayWays, OsmData

__all__ = [
    "BARRIER_KINDS",
    "DEFAULT_BARRIERS",
    "ConnectivityReport",
    "WalkNetwork",
    "barrier_lines",
    "build_walk_network",
    "from_networkx",
    "is_walkable",
    "to_networkx",
]

log = logging.getLogger(__name__)

WALKABLE_HIGHWAYS = frozenset(
    {
        "footway", "path", "pedestrian", "steps", "living_street", "residential", "service",
        "unclassified", "road", "tertiary", "tertiary_link", "secondary", "secondary_link",
        "primary", "primary_link", "track", "bridleway", "corridor", "crossing", "sidewalk",
        "elevator", "platform",
    }
)  # fmt: skip
#: Walkable only where pedestrians are explicitly allowed.
FOOT_ONLY_IF_ALLOWED = frozenset(
    {"motorway", "motorway_link", "trunk", "trunk_link", "cycleway", "busway"}
)
FOOT_ALLOWED = frozenset({"yes", "designated", "permissive", "official"})
ACCESS_DENIED = frozenset({"no", "private"})


def is_walkable(
    highway: object, *, foot: object = None, access: object = None, construction: object = None
) -> bool:
    """Whether a way with these tags is walkable under the pedestrian rules of this module."""
    if not isinstance(highway, str):
        return False
    if foot == "no" or (construction is not None and construction == construction):  # not NaN
        return False
    foot_allowed = foot in FOOT_ALLOWED
    if access in ACCESS_DENIED and not foot_allowed:
        return False
    if highway in WALKABLE_HIGHWAYS:
        return True
    return highway in FOOT_ONLY_IF_ALLOWED and foot_allowed


@dataclass(frozen=True)
class ConnectivityReport:
    """How the walk network falls apart into pieces that cannot reach each other on foot."""

    n_components: int
    total_length_m: float
    largest_length_m: float
    #: Share of street length outside the largest connected piece, 0..1.
    share_length_outside_largest: float


@dataclass(frozen=True, eq=False)
class WalkNetwork:
    """An undirected pedestrian network in a metric CRS, as arrays.

    Node ``i`` is at ``node_xy[i]`` (metres) and has OSM id ``node_osm_id[i]`` (negative ids
    for nodes made by the planner). Edge ``e`` joins ``edge_u[e]`` and ``edge_v[e]``, is
    ``edge_length_m[e]`` long and follows ``edge_geometry[e]``, a LineString that starts at
    ``edge_u[e]`` and ends at ``edge_v[e]``. Parallel edges and loops are kept (a loop road is
    somewhere a building can stand); routing takes the shortest of parallel edges.
    """

    crs: pyproj.CRS
    node_osm_id: np.ndarray
    node_xy: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_geometry: np.ndarray
    edge_way_id: np.ndarray
    edge_highway: np.ndarray
    #: Street name of each edge (``None`` when the way has no ``name``); optional.
    edge_name: np.ndarray | None = None
    #: Lines a pedestrian cannot cross between a door and the street (LineStrings in the same
    #: CRS), and the kind of each (see :data:`BARRIER_KINDS`); none by default.
    barrier_geometry: np.ndarray | None = None
    barrier_kind: np.ndarray | None = None
    #: Whether each edge is a straight crossing of a pedestrian area (not a mapped street);
    #: ``None``: none is.
    edge_area_crossing: np.ndarray | None = None

    @property
    def street_length_m(self) -> float:
        """Length of the mapped walkable ways, metres (crossings of squares left out)."""
        if self.edge_area_crossing is None:
            return float(self.edge_length_m.sum())
        return float(self.edge_length_m[~self.edge_area_crossing].sum())

    @cached_property
    def barrier_tree(self) -> shapely.STRtree | None:
        """Spatial index of :attr:`barrier_geometry` (``None`` without barriers)."""
        if self.barrier_geometry is None or not len(self.barrier_geometry):
            return None
        return shapely.STRtree(self.barrier_geometry)

    @property
    def n_nodes(self) -> int:
        return int(self.node_xy.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.edge_u.shape[0])

    @classmethod
    def from_edges(
        cls,
        node_xy: np.ndarray,
        edge_u: np.ndarray,
        edge_v: np.ndarray,
        *,
        crs: pyproj.CRS | str | int,
        edge_geometry: np.ndarray | None = None,
        node_osm_id: np.ndarray | None = None,
        edge_way_id: np.ndarray | None = None,
        edge_highway: np.ndarray | None = None,
    ) -> WalkNetwork:
        """A network from node coordinates (metres) and edges; straight edges by default.

        Lengths are measured along the geometry. Used for synthetic test networks and by
        :func:`from_networkx`.
        """
        crs = require_metric_crs(
            crs, what=gettext("the network"), function="WalkNetwork.from_edges"
        )
        node_xy = np.asarray(node_xy, dtype=float).reshape(-1, 2)
        u = np.asarray(edge_u, dtype=np.int64)
        v = np.asarray(edge_v, dtype=np.int64)
        out_of_range = u.size and (
            min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= len(node_xy)
        )
        if u.shape != v.shape or out_of_range:
            raise InputError(gettext("WalkNetwork.from_edges: edge ends must index node_xy"))
        if edge_geometry is None:
            coords = np.stack([node_xy[u], node_xy[v]], axis=1)
            edge_geometry = shapely.linestrings(coords)
        edge_geometry = np.asarray(edge_geometry, dtype=object)
        m = len(u)
        _check_edge_ends(node_xy, u, v, edge_geometry)
        return cls(
            crs=crs,
            node_osm_id=(
                -np.arange(1, len(node_xy) + 1, dtype=np.int64)
                if node_osm_id is None
                else np.asarray(node_osm_id, dtype=np.int64)
            ),
            node_xy=node_xy,
            edge_u=u,
            edge_v=v,
            edge_length_m=shapely.length(edge_geometry).astype(float),
            edge_geometry=edge_geometry,
            edge_way_id=(
                np.full(m, -1, dtype=np.int64)
                if edge_way_id is None
                else np.asarray(edge_way_id, dtype=np.int64)
            ),
            edge_highway=(
                np.full(m, None, dtype=object)
                if edge_highway is None
                else np.asarray(edge_highway, dtype=object)
            ),
        )

    @cached_property
    def csr(self) -> sp.csr_array:
        """Symmetric adjacency in metres for ``scipy.sparse.csgraph`` (shortest parallel edge).

        Loops are left out (they never shorten a path). Zero-length edges are kept as explicit
        zeros, which csgraph treats as edges.
        """
        return symmetric_csr(self.edge_u, self.edge_v, self.edge_length_m, self.n_nodes)

    @cached_property
    def component(self) -> np.ndarray:
        """Connected-component label of each node (0 is the piece with the most street length)."""
        n, labels = connected_components(self.csr, directed=False)
        edge_label = labels[self.edge_u]
        length = np.bincount(edge_label, weights=self.edge_length_m, minlength=n)
        # relabel so that 0 is the longest piece, then by length descending (stable)
        order = np.argsort(-length, kind="stable")
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        return rank[labels]

    def connectivity(self) -> ConnectivityReport:
        """Number of pieces and the share of street length outside the largest."""
        edge_label = self.component[self.edge_u]
        total = float(self.edge_length_m.sum())
        largest = float(self.edge_length_m[edge_label == 0].sum())
        return ConnectivityReport(
            n_components=int(self.component.max()) + 1 if self.n_nodes else 0,
            total_length_m=total,
            largest_length_m=largest,
            share_length_outside_largest=(total - largest) / total if total > 0 else 0.0,
        )

    def edges_gdf(self) -> gpd.GeoDataFrame:
        """The edges as a GeoDataFrame (one row per undirected edge)."""
        return gpd.GeoDataFrame(
            {
                "u": self.edge_u,
                "v": self.edge_v,
                "length_m": self.edge_length_m,
                "way_id": self.edge_way_id,
                "highway": self.edge_highway,
                "name": (
                    self.edge_name
                    if self.edge_name is not None
                    else np.full(self.n_edges, None, dtype=object)
                ),
                "component": self.component[self.edge_u],
            },
            geometry=gpd.GeoSeries(self.edge_geometry, crs=self.crs),
        )

    def nodes_gdf(self) -> gpd.GeoDataFrame:
        """The nodes as a GeoDataFrame indexed 0..n-1."""
        return gpd.GeoDataFrame(
            {"osm_id": self.node_osm_id, "component": self.component},
            geometry=gpd.points_from_xy(self.node_xy[:, 0], self.node_xy[:, 1], crs=self.crs),
        )


def symmetric_csr(u: np.ndarray, v: np.ndarray, weight: np.ndarray, n: int) -> sp.csr_array:
    """Symmetric CSR adjacency keeping the smallest weight of parallel edges, without loops."""
    keep = u != v
    rows = np.concatenate([u[keep], v[keep]])
    cols = np.concatenate([v[keep], u[keep]])
    w = np.concatenate([weight[keep], weight[keep]])
    # sort by (row, col, weight) and keep the first of each (row, col): the minimum
    order = np.lexsort((w, cols, rows))
    rows, cols, w = rows[order], cols[order], w[order]
    first = np.ones(rows.size, dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    rows, cols, w = rows[first], cols[first], w[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    # built directly (not via coo -> csr) so that explicit zeros survive
    return sp.csr_array((w, cols.astype(np.int32), indptr.astype(np.int32)), shape=(n, n))


# --- highways mapped as areas ------------------------------------------------------------------

#: How close (metres) a network node must be to a walkable area's outline to be one of its
#: entrances.
AREA_ENTRANCE_TOLERANCE_M = 0.5
#: Most entrances and corners joined pairwise in one area (n (n - 1) / 2 straight crossings);
#: beyond this, each point is joined to its 40 nearest.
AREA_MAX_ENTRANCES = 250


def _reflex_corners(poly: shapely.Geometry, *, step_m: float = 0.05) -> np.ndarray:
    """Corners of a polygon's rings where the walkable area turns around an obstacle: the only
    corners a shortest walk inside the area can bend at (a convex corner never helps).

    A corner is reflex when the point a short step inside its angle, along the bisector of its
    two edges, lies outside the area.
    """
    rings = [
        ring
        for part in shapely.get_parts(poly)
        for ring in (
            shapely.get_exterior_ring(part),
            *shapely.get_parts(
                shapely.get_interior_ring(part, range(shapely.get_num_interior_rings(part)))
            ),
        )
    ]
    out = []
    for ring in rings:
        xy = shapely.get_coordinates(ring)[:-1]  # closed ring: last == first
        if len(xy) < 3:
            continue
        prev, nxt = np.roll(xy, 1, axis=0), np.roll(xy, -1, axis=0)
        to_prev, to_next = prev - xy, nxt - xy
        n_prev = np.hypot(*to_prev.T)[:, None]
        n_next = np.hypot(*to_next.T)[:, None]
        ok = (n_prev[:, 0] > 0) & (n_next[:, 0] > 0)
        bisector = np.where(
            ok[:, None],
            to_prev / np.where(n_prev > 0, n_prev, 1) + to_next / np.where(n_next > 0, n_next, 1),
            0.0,
        )
        length = np.hypot(*bisector.T)
        probe = xy + step_m * bisector / np.where(length > 1e-12, length, 1.0)[:, None]
        reflex = ok & (length > 1e-9) & ~shapely.contains_xy(poly, probe[:, 0], probe[:, 1])
        out.append(xy[reflex])
    return np.unique(np.vstack(out), axis=0) if out else np.empty((0, 2))


def _with_area_crossings(net: WalkNetwork, areas: gpd.GeoDataFrame) -> WalkNetwork:
    """Add straight walks across highways mapped as areas (squares, plazas, platforms).

    A pedestrian square is walked across, not around its outline. Within each walkable area,
    the network nodes on its outline (within :data:`AREA_ENTRANCE_TOLERANCE_M`: the ends of the
    footways and streets that enter it, and the outline's own junctions) and the corners of its
    outline (outer and inner rings; new nodes where no network node stands) are joined by a
    straight edge wherever that line stays inside the area: a visibility graph, on which the
    shortest walk between two entrances is the shortest walk inside the area, around holes (a
    building in the square) and corners (an L-shaped square). New edges carry the area's way or
    relation id and highway value; new nodes get negative ids.
    """
    if not len(areas) or not net.n_nodes:
        return net
    walkable = np.fromiter(
        (
            is_walkable(h, foot=f, access=a)
            for h, f, a in zip(areas["highway"], areas["foot"], areas["access"], strict=True)
        ),
        dtype=bool,
        count=len(areas),
    )
    polys = np.asarray(areas.geometry.values, dtype=object)
    ok = walkable & np.isin(shapely.get_type_id(polys), (3, 6))
    if not ok.any():
        return net
    tree = shapely.STRtree(shapely.points(net.node_xy))
    n0 = net.n_nodes
    # node pairs an edge already joins (a straight ring side is not added twice)
    lo, hi = np.minimum(net.edge_u, net.edge_v), np.maximum(net.edge_u, net.edge_v)
    order = np.lexsort((net.edge_length_m, lo * np.int64(n0) + hi))
    keys = (lo * np.int64(n0) + hi)[order]
    first = np.r_[True, keys[1:] != keys[:-1]]
    joined, joined_m = keys[first], net.edge_length_m[order][first]  # shortest edge per pair
    new_xy: list[np.ndarray] = []
    n_new = 0
    us, vs, geoms, ways, highways, names = [], [], [], [], [], []
    # the entrances of every area at once; an area entered once or not at all has no crossing
    candidates = np.flatnonzero(ok)
    outlines = shapely.boundary(polys[candidates])
    which, node = tree.query(outlines, predicate="dwithin", distance=AREA_ENTRANCE_TOLERANCE_M)
    order = np.lexsort((node, which))
    which, node = which[order], node[order]
    starts = np.searchsorted(which, np.arange(len(candidates) + 1))
    for j in np.flatnonzero(np.diff(starts) >= 2).tolist():
        i = int(candidates[j])
        poly = polys[i]
        entrances = node[starts[j] : starts[j + 1]]
        corners = _reflex_corners(poly)
        # a corner where a network node already stands is that node
        taken = np.zeros(len(corners), dtype=bool)
        if len(corners):
            c_idx, _ = tree.query(
                shapely.points(corners), predicate="dwithin", distance=AREA_ENTRANCE_TOLERANCE_M
            )
            taken[c_idx] = True
        corners = corners[~taken]
        ids = np.r_[entrances, n0 + n_new + np.arange(len(corners))]
        xy = np.vstack([net.node_xy[entrances], corners])
        if len(ids) > AREA_MAX_ENTRANCES:  # each point to its 40 nearest
            from scipy.spatial import cKDTree

            _, nearest = cKDTree(xy).query(xy, k=41)
            first = np.repeat(np.arange(len(ids)), 40)
            second = nearest[:, 1:].ravel()
            pairs = np.unique(np.sort(np.stack([first, second], axis=1), axis=1), axis=0)
            a, b = pairs[:, 0], pairs[:, 1]
        else:
            a, b = np.triu_indices(len(ids), k=1)
        lines = shapely.linestrings(np.stack([xy[a], xy[b]], axis=1))
        inside = shapely.covered_by(lines, shapely.buffer(poly, 0.01)) & (shapely.length(lines) > 0)
        both_old = (ids[a] < n0) & (ids[b] < n0)
        key = np.minimum(ids[a], ids[b]) * np.int64(n0) + np.maximum(ids[a], ids[b])
        at = np.minimum(np.searchsorted(joined, key), max(joined.size - 1, 0))
        no_shorter = joined.size > 0
        if no_shorter:
            same = both_old & (joined[at] == key)
            inside &= ~(same & (joined_m[at] <= shapely.length(lines) + 1e-9))
        used = np.zeros(len(ids), dtype=bool)
        used[a[inside]] = used[b[inside]] = True
        if not inside.any():
            continue
        # keep only the corners some crossing uses; renumber them densely
        corner_used = used[entrances.size :]
        remap = np.full(len(ids), -1, dtype=np.int64)
        remap[: entrances.size] = entrances
        remap[entrances.size :][corner_used] = n0 + n_new + np.arange(int(corner_used.sum()))
        new_xy.append(corners[corner_used])
        n_new += int(corner_used.sum())
        us.append(remap[a[inside]])
        vs.append(remap[b[inside]])
        geoms.append(lines[inside])
        n = int(inside.sum())
        ways.append(np.full(n, int(areas["osm_id"].iloc[i]), dtype=np.int64))
        highways.append(np.full(n, areas["highway"].iloc[i], dtype=object))
        names.append(np.full(n, areas["name"].iloc[i], dtype=object))
    if not us:
        return net
    log.info(
        gettext(
            "walk network: {n} straight crossings ({corners} new corner nodes) in {areas} "
            "pedestrian areas"
        ).format(n=int(sum(len(u) for u in us)), corners=n_new, areas=len(us))
    )
    geometry = np.concatenate([net.edge_geometry, *geoms])
    first_id = min(0, int(net.node_osm_id.min())) - 1
    return replace(
        net,
        node_osm_id=np.r_[net.node_osm_id, first_id - np.arange(n_new)].astype(np.int64),
        node_xy=np.vstack([net.node_xy, *new_xy]) if new_xy else net.node_xy,
        edge_u=np.concatenate([net.edge_u, *us]).astype(np.int64),
        edge_v=np.concatenate([net.edge_v, *vs]).astype(np.int64),
        edge_length_m=shapely.length(geometry).astype(float),
        edge_geometry=geometry,
        edge_way_id=np.concatenate([net.edge_way_id, *ways]),
        edge_highway=np.concatenate([net.edge_highway, *highways]),
        edge_name=None if net.edge_name is None else np.concatenate([net.edge_name, *names]),
        edge_area_crossing=np.r_[
            np.zeros(net.n_edges, dtype=bool)
            if net.edge_area_crossing is None
            else net.edge_area_crossing,
            np.ones(len(geometry) - net.n_edges, dtype=bool),
        ],
    )


# --- barriers --------------------------------------------------------------------------------

#: What a pedestrian cannot walk straight across from a door to the street, by kind:
#:
#: - ``railway``: ``railway=rail|light_rail|narrow_gauge|subway|monorail|funicular|preserved``;
#: - ``water``: ``waterway=river|canal`` and the outlines of water areas (``natural=water``,
#:   ``waterway=riverbank``, ``landuse=reservoir|basin``);
#: - ``motorway``: ``highway=motorway|trunk`` (and links) where walking is not allowed;
#: - ``tram``: ``railway=tram`` (usually street-running and crossable: off by default);
#: - ``stream``: ``waterway=stream|ditch|drain`` (mostly small or culverted: off by default);
#: - ``wall``: ``barrier=wall|fence|retaining_wall|city_wall`` (off by default: often mapped
#:   with gates missing).
#:
#: Parts on a bridge, in a tunnel or covered (``bridge``, ``tunnel``, ``covered`` other than
#: ``no``) are never barriers: people walk under or over them.
BARRIER_KINDS = ("railway", "water", "motorway", "tram", "stream", "wall")
#: The kinds used unless the caller chooses.
DEFAULT_BARRIERS = ("railway", "water", "motorway")

_RAILWAYS = frozenset(
    {"rail", "light_rail", "narrow_gauge", "subway", "monorail", "funicular", "preserved"}
)
_WATERWAYS = frozenset({"river", "canal"})
_STREAMS = frozenset({"stream", "ditch", "drain"})
_WALLS = frozenset({"wall", "fence", "retaining_wall", "city_wall"})
_WATER_AREAS = (("natural", "water"), ("waterway", "riverbank"), ("landuse", "reservoir"),
                ("landuse", "basin"))  # fmt: skip
_MOTORWAYS = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})


def _passable(value: object) -> bool:
    """A bridge, tunnel or cover tag that lets people pass (any value but ``no``)."""
    return isinstance(value, str) and value != "no"


def _barrier_kinds(frame: pd.DataFrame) -> np.ndarray:
    """The kind of each row of ``osm.barriers`` (``""`` when it is no barrier), by its tags."""
    n = len(frame)

    def col(key: str) -> pd.Series:
        return frame[key] if key in frame.columns else pd.Series([None] * n, index=frame.index)

    passable = np.zeros(n, dtype=bool)
    for key in ("bridge", "tunnel", "covered"):
        values = col(key)
        passable |= (values.notna() & (values != "no")).to_numpy()
    railway, waterway = col("railway"), col("waterway")
    water_area = np.zeros(n, dtype=bool)
    for key, value in _WATER_AREAS:
        water_area |= (col(key) == value).to_numpy()
    conditions = [
        railway.isin(list(_RAILWAYS)).to_numpy(),
        (railway == "tram").to_numpy(),
        waterway.isin(list(_WATERWAYS)).to_numpy() | water_area,
        waterway.isin(list(_STREAMS)).to_numpy(),
        col("barrier").isin(list(_WALLS)).to_numpy(),
    ]
    kinds = np.select(conditions, ["railway", "tram", "water", "stream", "wall"], default="")
    return np.where(passable, "", kinds).astype(object)


def barrier_lines(
    osm: OsmData, *, kinds: tuple[str, ...] | list[str] = DEFAULT_BARRIERS
) -> tuple[np.ndarray, np.ndarray]:
    """The barrier lines of the chosen ``kinds`` in ``osm``: ``(geometry, kind)`` arrays.

    Railways, waterways, water outlines and walls come from ``osm.barriers``; motorways and
    trunks closed to pedestrians from its highway ways (the runs of present nodes).
    """
    unknown = sorted(set(kinds) - set(BARRIER_KINDS))
    if unknown:
        raise InputError(
            gettext("barrier kinds {kinds} are not known").format(kinds=unknown),
            hint=gettext("Choose from {known} (default {default}).").format(
                known=list(BARRIER_KINDS), default=list(DEFAULT_BARRIERS)
            ),
        )
    wanted = set(kinds)
    geoms: list[object] = []
    labels: list[str] = []
    frame = osm.barriers
    if len(frame):
        kind_of = _barrier_kinds(frame)
        shape = frame.geometry.to_numpy()
        present = ~(shapely.is_missing(shape) | shapely.is_empty(shape))
        keep = np.isin(kind_of, list(wanted)) & present
        geoms += list(shape[keep])
        labels += list(kind_of[keep])
    if "motorway" in wanted:
        hw = osm.highways
        tags = hw.tags
        for i in np.flatnonzero(tags["highway"].isin(_MOTORWAYS).to_numpy()):
            row = tags.iloc[i]
            if is_walkable(
                row["highway"], foot=row["foot"], access=row["access"],
                construction=row["construction"],
            ) or any(_passable(row.get(k)) for k in ("bridge", "tunnel")):  # fmt: skip
                continue
            xs = hw.x[hw.offsets[i] : hw.offsets[i + 1]]
            ys = hw.y[hw.offsets[i] : hw.offsets[i + 1]]
            ok = np.isfinite(xs)
            # runs of present nodes (a clipped way is never bridged across its gap)
            breaks = np.flatnonzero(np.diff(ok.astype(np.int8)) != 0) + 1
            for run in np.split(np.arange(xs.size), breaks):
                if run.size >= 2 and ok[run[0]]:
                    geoms.append(shapely.LineString(np.column_stack([xs[run], ys[run]])))
                    labels.append("motorway")
    return np.asarray(geoms, dtype=object), np.asarray(labels, dtype=object)


# --- building from OSM -----------------------------------------------------------------------


def build_walk_network(
    osm: OsmData, *, barriers: tuple[str, ...] | list[str] = DEFAULT_BARRIERS
) -> WalkNetwork:
    """Build the pedestrian network from the highway ways of :func:`planner.osm.read_osm`.

    Ways are cut into runs of present nodes (clipped extracts, area boundaries), split at nodes
    shared with other walkable ways, and turned into edges whose geometry follows the way.
    The ``barriers`` kinds (see :data:`BARRIER_KINDS`; ``()`` for none) are kept with the
    network: doors, stations and sites are snapped to the nearest street point they can walk
    to straight without crossing one (:func:`planner.snapping.snap_points`).

    Raises
    ------
    InputError
        If no walkable street remains in the area.
    """
    hw = osm.highways
    tags = hw.tags
    walkable = np.fromiter(
        (
            is_walkable(h, foot=f, access=a, construction=c)
            for h, f, a, c in zip(
                tags["highway"], tags["foot"], tags["access"], tags["construction"], strict=True
            )
        ),
        dtype=bool,
        count=len(tags),
    )
    net = _network_from_ways(hw, walkable, osm.crs)
    net = _with_area_crossings(net, osm.walk_areas)
    barrier_geometry, barrier_kind = barrier_lines(osm, kinds=barriers)
    net = replace(net, barrier_geometry=barrier_geometry, barrier_kind=barrier_kind)
    if net.n_edges == 0:
        raise InputError(
            gettext("{source}: no walkable streets in the area").format(source=osm.source),
            hint=gettext(
                "The area may be too small or hold only motorways; widen the bounding box."
            ),
        )
    report = net.connectivity()
    log.info(
        gettext(
            "walk network: {nodes} nodes, {edges} edges, {km} km; {pieces} connected pieces, "
            "{share} of length outside the largest"
        ).format(
            nodes=net.n_nodes,
            edges=net.n_edges,
            km=_decimal_text(report.total_length_m / 1000),
            pieces=report.n_components,
            share=fmt_share(report.share_length_outside_largest),
        )
    )
    return net


def _network_from_ways(hw: HighwayWays, walkable: np.ndarray, crs: pyproj.CRS) -> WalkNetwork:
    lengths = np.diff(hw.offsets)
    way_of_ref = np.repeat(np.arange(len(lengths)), lengths)
    use = walkable[way_of_ref] & hw.present
    ref_idx = np.flatnonzero(use)
    # a run is a maximal stretch of consecutive usable refs of one way
    new_run = np.ones(ref_idx.size, dtype=bool)
    new_run[1:] = (np.diff(ref_idx) != 1) | (way_of_ref[ref_idx[1:]] != way_of_ref[ref_idx[:-1]])
    run_id = np.cumsum(new_run) - 1
    run_len = np.bincount(run_id)
    long_enough = run_len[run_id] >= 2
    ref_idx, run_id = ref_idx[long_enough], run_id[long_enough]
    if ref_idx.size == 0:
        return _empty_network(crs)
    _, run_id = np.unique(run_id, return_inverse=True)
    node_ids = hw.node_id[ref_idx]
    first = np.ones(ref_idx.size, dtype=bool)
    first[1:] = run_id[1:] != run_id[:-1]
    last = np.ones(ref_idx.size, dtype=bool)
    last[:-1] = run_id[1:] != run_id[:-1]
    # graph nodes: run ends, and nodes used more than once by walkable ways
    _, inverse, counts = np.unique(node_ids, return_inverse=True, return_counts=True)
    is_graph_node = first | last | (counts[inverse] >= 2)
    # edges run between consecutive graph nodes of the same run
    gpos = np.flatnonzero(is_graph_node)
    same_run = run_id[gpos[1:]] == run_id[gpos[:-1]]
    start, end = gpos[:-1][same_run], gpos[1:][same_run]
    # coordinates of each edge: refs start..end inclusive
    n_coords = end - start + 1
    edge_of_coord = np.repeat(np.arange(start.size), n_coords)
    coord_pos = np.arange(n_coords.sum()) - np.repeat(np.cumsum(n_coords) - n_coords, n_coords)
    coord_ref = ref_idx[np.repeat(start, n_coords) + coord_pos]
    xy = np.column_stack([hw.x[coord_ref], hw.y[coord_ref]])
    geometry = shapely.linestrings(xy, indices=edge_of_coord)
    length = shapely.length(geometry)
    # graph node numbering
    graph_osm = np.unique(node_ids[gpos])
    u = np.searchsorted(graph_osm, node_ids[start])
    v = np.searchsorted(graph_osm, node_ids[end])
    # a node repeated in a way gives a zero-length loop: dropped. Two distinct nodes at one
    # position are a real (zero-length) link: kept, or the street would be cut in two.
    keep = (length > 0) | (u != v)
    node_xy = np.full((graph_osm.size, 2), np.nan)
    node_xy[np.searchsorted(graph_osm, node_ids[gpos])] = np.column_stack(
        [hw.x[ref_idx[gpos]], hw.y[ref_idx[gpos]]]
    )
    way_idx = way_of_ref[ref_idx[start]]
    return WalkNetwork(
        crs=crs,
        node_osm_id=graph_osm,
        node_xy=node_xy,
        edge_u=u[keep].astype(np.int64),
        edge_v=v[keep].astype(np.int64),
        edge_length_m=length[keep],
        edge_geometry=geometry[keep],
        edge_way_id=hw.tags["way_id"].to_numpy(dtype=np.int64)[way_idx][keep],
        edge_highway=hw.tags["highway"].to_numpy(dtype=object)[way_idx][keep],
        edge_name=hw.tags["name"].to_numpy(dtype=object)[way_idx][keep],
    )


#: How far (metres) an edge geometry's first/last point may lie from its end nodes.
EDGE_END_TOLERANCE_M = 0.01


def _check_edge_ends(
    node_xy: np.ndarray, u: np.ndarray, v: np.ndarray, geometry: np.ndarray
) -> None:
    """Refuse edge geometries that do not start at node ``u`` and end at node ``v``.

    Positions along an edge are measured from its first point, and the local searches bound a
    walk by straight lines between node coordinates: a geometry drawn elsewhere (reversed, or
    belonging to another edge) would make both silently wrong.
    """
    if len(geometry) != len(u):
        raise InputError(
            gettext("WalkNetwork.from_edges: {n} edge geometries for {edges} edges").format(
                n=len(geometry), edges=len(u)
            ),
            hint=gettext("Give one LineString per edge, in the order of edge_u/edge_v."),
        )
    if not len(u):
        return
    kinds = shapely.get_type_id(geometry)
    if (kinds != 1).any():  # 1: LineString
        bad = np.flatnonzero(kinds != 1)[:5].tolist()
        raise InputError(
            gettext(
                "WalkNetwork.from_edges: edge geometries must be LineStrings; edges {edges} are not"
            ).format(edges=bad),
            hint=gettext("Give each edge as a LineString from its node u to its node v."),
        )
    first = shapely.get_coordinates(shapely.get_point(geometry, 0))
    last = shapely.get_coordinates(shapely.get_point(geometry, -1))
    off_u = np.hypot(*(first - node_xy[u]).T)
    off_v = np.hypot(*(last - node_xy[v]).T)
    bad = np.flatnonzero((off_u > EDGE_END_TOLERANCE_M) | (off_v > EDGE_END_TOLERANCE_M))
    if bad.size:
        edge_text = gettext(
            "edge {edge} ({u} -> {v}: starts {start} m from node {u}, ends {end} m from node {v})"
        )
        shown = ", ".join(
            edge_text.format(
                edge=e,
                u=u[e],
                v=v[e],
                start=_decimal_text(off_u[e], digits=2),
                end=_decimal_text(off_v[e], digits=2),
            )
            for e in bad[:5].tolist()
        )
        if bad.size > 5:
            text = gettext(
                "WalkNetwork.from_edges: {n} edge geometries do not run from their node u to "
                "their node v: {shown} and {more} more"
            )
        else:
            text = gettext(
                "WalkNetwork.from_edges: {n} edge geometries do not run from their node u to "
                "their node v: {shown}"
            )
        raise InputError(
            text.format(n=bad.size, shown=shown, more=bad.size - 5),
            hint=gettext(
                "Each geometry must start at node_xy[u] and end at node_xy[v] (within "
                "{tolerance} m); reverse the geometries that run v -> u."
            ).format(tolerance=EDGE_END_TOLERANCE_M),
        )


def _decimal_text(value: float, *, digits: int = 1) -> str:
    """``value`` with ``digits`` decimals as printed so far, with a decimal comma in ru/kk."""
    text = f"{value:.{digits}f}"
    return text if i18n.language() == "en" else text.replace(".", ",")


def _empty_network(crs: pyproj.CRS) -> WalkNetwork:
    return WalkNetwork.from_edges(np.empty((0, 2)), np.empty(0), np.empty(0), crs=crs)


# --- networkx / OSMnx interoperability -----------------------------------------------------


def to_networkx(network: WalkNetwork) -> nx.MultiDiGraph:
    """An OSMnx-compatible ``MultiDiGraph``: both directions of every edge.

    Nodes are the OSM ids with ``x``/``y`` in the network's metric CRS; edges carry ``length``
    (metres), ``geometry``, ``osmid`` (the way) and ``highway``; ``graph["crs"]`` is the CRS.
    """
    graph = nx.MultiDiGraph(crs=network.crs)
    ids = network.node_osm_id.tolist()
    graph.add_nodes_from(
        (i, {"x": float(x), "y": float(y)})
        for i, (x, y) in zip(ids, network.node_xy.tolist(), strict=True)
    )
    for e in range(network.n_edges):
        u, v = ids[network.edge_u[e]], ids[network.edge_v[e]]
        geom = network.edge_geometry[e]
        attrs = {
            "length": float(network.edge_length_m[e]),
            "osmid": int(network.edge_way_id[e]),
            "highway": network.edge_highway[e],
        }
        graph.add_edge(u, v, geometry=geom, **attrs)
        if u != v:
            graph.add_edge(v, u, geometry=geom.reverse(), **attrs)
    return graph


def from_networkx(graph: nx.MultiGraph | nx.MultiDiGraph | nx.Graph) -> WalkNetwork:
    """A :class:`WalkNetwork` from a graph built with OSMnx (or by hand in the same form).

    Nodes need ``x`` and ``y``; ``graph.graph["crs"]`` gives their CRS (longitude/latitude
    graphs are projected to the local UTM zone). Edge ``geometry`` is used when present, else a
    straight line; lengths are re-measured along the geometry in metres. Both directions of a
    two-way street collapse into one undirected edge.
    """
    problems = []
    crs_in = graph.graph.get("crs")
    if crs_in is None:
        problems.append(gettext("{name} is missing").format(name='graph.graph["crs"]'))
    nodes = list(graph.nodes)
    missing_xy = [n for n in nodes if "x" not in graph.nodes[n] or "y" not in graph.nodes[n]]
    if missing_xy:
        problems.append(
            ngettext(
                "{n} nodes lack x/y coordinates, e.g. node {node}",
                "{n} nodes lack x/y coordinates, e.g. node {node}",
                len(missing_xy),
            ).format(n=len(missing_xy), node=missing_xy[0])
        )
    if problems:
        raise InputError(
            gettext("from_networkx: the graph is not in OSMnx form"),
            problems,
            gettext(
                "Build it with osmnx (e.g. {example}) or give nodes x/y attributes and set "
                "{name}."
            ).format(
                example="ox.graph_from_place(..., network_type='walk')", name='graph.graph["crs"]'
            ),
        )
    crs = pyproj.CRS.from_user_input(crs_in)
    xy = np.array([[graph.nodes[n]["x"], graph.nodes[n]["y"]] for n in nodes], dtype=float)
    index = {n: i for i, n in enumerate(nodes)}
    seen: set[tuple[int, int, object, bytes]] = set()
    us, vs, geoms, ways, highways = [], [], [], [], []
    multi = graph.is_multigraph()
    edges = graph.edges(keys=True, data=True) if multi else graph.edges(data=True)
    for edge in edges:
        u, v, data = edge[0], edge[1], edge[-1]
        iu, iv = index[u], index[v]
        geom = data.get("geometry")
        if geom is None:
            geom = shapely.LineString([xy[iu], xy[iv]])
        # one undirected edge for the two directions of a street (two different ways may
        # share a geometry, so the way id is part of the key)
        a, b, g = (iu, iv, geom) if iu <= iv else (iv, iu, geom.reverse())
        osmid = data.get("osmid", -1)
        key = (a, b, str(osmid), shapely.normalize(g).wkb)
        if key in seen:
            continue
        seen.add(key)
        us.append(a)
        vs.append(b)
        geoms.append(g)
        ways.append(osmid[0] if isinstance(osmid, list) else osmid)
        hwy = data.get("highway")
        highways.append(hwy[0] if isinstance(hwy, list) else hwy)
    geometry = np.asarray(geoms, dtype=object) if geoms else np.empty(0, dtype=object)
    if not crs.is_projected:
        centre = np.nanmean(xy, axis=0)
        target = utm_crs_for(float(centre[0]), float(centre[1]))
        xy = np.column_stack(
            pyproj.Transformer.from_crs(crs, target, always_xy=True).transform(xy[:, 0], xy[:, 1])
        )
        geometry = np.asarray(gpd.GeoSeries(geometry, crs=crs).to_crs(target).values, dtype=object)
        crs = target
    ids = np.array([n if isinstance(n, int | np.integer) else -1 - i for i, n in enumerate(nodes)])
    return WalkNetwork.from_edges(
        xy,
        np.asarray(us),
        np.asarray(vs),
        crs=crs,
        edge_geometry=geometry,
        node_osm_id=ids,
        edge_way_id=np.asarray(pd.to_numeric(pd.Series(ways), errors="coerce").fillna(-1)),
        edge_highway=np.asarray(highways, dtype=object),
    )
