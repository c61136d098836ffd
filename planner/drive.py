"""The car network: which ways a service vehicle may drive, in which direction, how fast.

Built from the same highway ways as the walk network (the one OSM pass of :mod:`planner.osm`),
with car rules (:func:`is_drivable`, :func:`oneway_direction`, :func:`speed_kmh`; documented in
README.md and docs/method.md section 12):

- Drivable ``highway`` values: motorway, trunk, primary, secondary, tertiary and their
  ``_link`` ways, unclassified, residential, living_street, service (not
  ``service=parking_aisle``), road. Never drivable: footway, path, pedestrian, steps,
  cycleway, bridleway, track, corridor, busway, construction and everything else.
- ``access``, ``vehicle``, ``motor_vehicle`` or ``motorcar`` = ``no``/``private`` closes a way,
  unless a more specific of these keys (in that order) allows it again
  (``access=no`` + ``motor_vehicle=yes`` is open).
- One-way: ``oneway=yes/true/1`` (the way's direction), ``oneway=-1/reverse`` (against it),
  ``junction=roundabout/circular`` and motorways (and their links) are one-way unless
  ``oneway=no``; ``oneway=reversible/alternating`` ways are left out (their direction changes
  by the hour).
- Speed: the way's ``maxspeed`` (``60``, ``30 mph``, ``RU:urban``...; see :func:`parse_maxspeed`),
  else :data:`DEFAULT_SPEED_KMH` for its class. Times are free-flow at that speed, an
  optimistic figure for a city at rush hour.
- Turn restrictions are ignored (a car may turn wherever two ways share a node), so drive times
  can be slightly shorter than in reality.

The graph is directed; its nodes are all the OSM nodes of drivable ways, its edges the
segments between consecutive nodes (no simplification: every edge is a straight segment).
Times are seconds.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import numpy as np
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from planner.defaults import DEFAULT_DRIVE_MIN, DEFAULT_MAX_KERB_M
from planner.errors import InputError
from planner.i18n import gettext
from planner.osm import HighwayWays, OsmData

__all__ = [
    "DEFAULT_DRIVE_MIN",
    "DEFAULT_MAX_KERB_M",
    "DEFAULT_SPEED_KMH",
    "MIN_PIECE_NODES",
    "DriveNetwork",
    "DriveTimes",
    "build_drive_network",
    "drive_area",
    "drive_coverage",
    "drive_times",
    "is_drivable",
    "oneway_direction",
    "parse_maxspeed",
    "snap_to_drive",
    "speed_kmh",
    "to_networkx",
]

log = logging.getLogger(__name__)

#: Strongly connected pieces of the car network with fewer nodes than this (and not the largest)
#: are not snapped to: a car there could not get back to the rest.
MIN_PIECE_NODES = 50

#: Free-flow speed (km/h) of a way without a usable ``maxspeed``, by ``highway`` class.
DEFAULT_SPEED_KMH: dict[str, float] = {
    "motorway": 90.0, "motorway_link": 60.0, "trunk": 70.0, "trunk_link": 50.0,
    "primary": 60.0, "primary_link": 45.0, "secondary": 50.0, "secondary_link": 40.0,
    "tertiary": 40.0, "tertiary_link": 30.0, "unclassified": 30.0, "residential": 30.0,
    "road": 30.0, "living_street": 10.0, "service": 15.0,
}  # fmt: skip
DRIVABLE_HIGHWAYS = frozenset(DEFAULT_SPEED_KMH)
#: Keys closing a way to cars, from the most general to the most specific.
_ACCESS_KEYS = ("access", "vehicle", "motor_vehicle", "motorcar")
_DENIED = frozenset({"no", "private"})
_ONEWAY_FORWARD = frozenset({"yes", "true", "1"})
_ONEWAY_BACKWARD = frozenset({"-1", "reverse"})
_ONEWAY_CLOSED = frozenset({"reversible", "alternating"})
_IMPLIED_ONEWAY = frozenset({"motorway", "motorway_link"})
_ROUNDABOUTS = frozenset({"roundabout", "circular"})
#: Zone values of ``maxspeed`` (``XX:urban``), km/h; countries not listed use the generic.
_ZONE_KMH = {"urban": 50.0, "rural": 90.0, "living_street": 20.0, "motorway": 110.0}
_ZONE_KMH_BY_COUNTRY = {
    ("RU", "urban"): 60.0, ("KZ", "urban"): 60.0, ("KG", "urban"): 60.0, ("UZ", "urban"): 70.0,
    ("BY", "urban"): 60.0, ("UA", "urban"): 50.0,
}  # fmt: skip
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")
_MPH = 1.609344


def _text(value: object) -> str | None:
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def parse_maxspeed(value: object) -> float | None:
    """The speed limit in km/h of a ``maxspeed`` value, or ``None`` when it says none.

    ``"60"`` -> 60, ``"30 mph"`` -> 48.3, ``"RU:urban"`` -> 60, ``"DE:rural"`` -> 90,
    ``"walk"`` -> 5; ``"none"``, ``"signals"``, a list (``"60;40"``) or nonsense -> ``None``.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _NUMBER.match(text.lower())
    if match:
        number = float(match.group(1))
        if number <= 0:
            return None
        return number * _MPH if match.group(2) == "mph" else number
    if text.lower() == "walk":
        return 5.0
    if ":" in text:
        country, _, zone = text.partition(":")
        zone = zone.strip().lower()
        kmh = _ZONE_KMH_BY_COUNTRY.get((country.strip().upper(), zone), _ZONE_KMH.get(zone))
        return kmh
    return None


def is_drivable(
    highway: object,
    *,
    access: object = None,
    vehicle: object = None,
    motor_vehicle: object = None,
    motorcar: object = None,
    service: object = None,
    oneway: object = None,
    construction: object = None,
) -> bool:
    """Whether a car may use a way with these tags (see the module docstring)."""
    if not isinstance(highway, str) or highway not in DRIVABLE_HIGHWAYS:
        return False
    if isinstance(construction, str):
        return False
    if highway == "service" and _text(service) == "parking_aisle":
        return False
    if _text(oneway) in _ONEWAY_CLOSED:
        return False
    allowed = True
    for value in (access, vehicle, motor_vehicle, motorcar):  # the most specific says last
        text = _text(value)
        if text is not None:
            allowed = text not in _DENIED
    return allowed


def oneway_direction(highway: object, *, oneway: object = None, junction: object = None) -> int:
    """``1``: only along the way; ``-1``: only against it; ``0``: both directions."""
    text = _text(oneway)
    if text in _ONEWAY_FORWARD:
        return 1
    if text in _ONEWAY_BACKWARD:
        return -1
    if text == "no":
        return 0
    if _text(junction) in _ROUNDABOUTS or highway in _IMPLIED_ONEWAY:
        return 1
    return 0


def speed_kmh(highway: object, *, maxspeed: object = None) -> float:
    """Free-flow speed of a drivable way: its ``maxspeed``, else the class default."""
    limit = parse_maxspeed(maxspeed)
    if limit is not None:
        return limit
    return DEFAULT_SPEED_KMH.get(str(highway), DEFAULT_SPEED_KMH["unclassified"])


@dataclass(frozen=True, eq=False)
class DriveNetwork:
    """A directed car network in a metric CRS, as arrays.

    Node ``i`` is at ``node_xy[i]`` (metres), OSM id ``node_osm_id[i]``. Edge ``e`` runs from
    ``edge_u[e]`` to ``edge_v[e]`` (a straight segment ``edge_length_m[e]`` long) at
    ``edge_speed_kmh[e]``; a two-way street has one edge each way.
    """

    crs: pyproj.CRS
    node_osm_id: np.ndarray
    node_xy: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_speed_kmh: np.ndarray
    edge_way_id: np.ndarray
    edge_highway: np.ndarray

    @property
    def n_nodes(self) -> int:
        return int(self.node_xy.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.edge_u.shape[0])

    @property
    def edge_time_s(self) -> np.ndarray:
        """Seconds to drive each edge at its speed."""
        return self.edge_length_m / (self.edge_speed_kmh / 3.6)

    @classmethod
    def from_edges(
        cls,
        node_xy: np.ndarray,
        edge_u: np.ndarray,
        edge_v: np.ndarray,
        edge_speed_kmh: np.ndarray,
        *,
        crs: pyproj.CRS | str | int,
    ) -> DriveNetwork:
        """A network of straight directed edges (for synthetic tests)."""
        node_xy = np.asarray(node_xy, dtype=float).reshape(-1, 2)
        u = np.asarray(edge_u, dtype=np.int64)
        v = np.asarray(edge_v, dtype=np.int64)
        return cls(
            crs=pyproj.CRS.from_user_input(crs),
            node_osm_id=-np.arange(1, len(node_xy) + 1, dtype=np.int64),
            node_xy=node_xy,
            edge_u=u,
            edge_v=v,
            edge_length_m=np.hypot(*(node_xy[v] - node_xy[u]).T).astype(float),
            edge_speed_kmh=np.asarray(edge_speed_kmh, dtype=float),
            edge_way_id=np.full(u.size, -1, dtype=np.int64),
            edge_highway=np.full(u.size, None, dtype=object),
        )

    @cached_property
    def csr(self) -> sp.csr_array:
        """Directed adjacency in seconds (fastest of parallel edges; explicit zeros kept)."""
        n = self.n_nodes
        keep = self.edge_u != self.edge_v
        rows, cols, w = self.edge_u[keep], self.edge_v[keep], self.edge_time_s[keep]
        order = np.lexsort((w, cols, rows))
        rows, cols, w = rows[order], cols[order], w[order]
        first = np.ones(rows.size, dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        rows, cols, w = rows[first], cols[first], w[first]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return sp.csr_array((w, cols.astype(np.int32), indptr.astype(np.int32)), shape=(n, n))

    @cached_property
    def _pieces(self) -> np.ndarray:
        if self.n_nodes == 0:
            return np.zeros(0, dtype=np.int64)
        _, labels = connected_components(self.csr, directed=True, connection="strong")
        return np.asarray(labels, dtype=np.int64)

    @property
    def in_main_component(self) -> np.ndarray:
        """Nodes of the largest strongly connected piece (a car can get there and back)."""
        labels = self._pieces
        if labels.size == 0:
            return np.zeros(0, dtype=bool)
        return labels == np.bincount(labels).argmax()

    @property
    def snappable(self) -> np.ndarray:
        """Nodes a station or door is attached to: those of strongly connected pieces of at
        least :data:`MIN_PIECE_NODES` nodes, and always of the largest piece. An island's
        streets (Gozo beside Malta) are a piece of their own; a one-way stub clipped at the
        extract's edge, where a car could enter but not leave, is not."""
        labels = self._pieces
        if labels.size == 0:
            return np.zeros(0, dtype=bool)
        sizes = np.bincount(labels)
        return (sizes[labels] >= MIN_PIECE_NODES) | self.in_main_component


def build_drive_network(osm: OsmData) -> DriveNetwork:
    """The car network of :func:`planner.osm.read_osm`'s highway ways (rules: module docstring).

    Raises
    ------
    InputError
        If no drivable street is in the area.
    """
    hw = osm.highways
    tags = hw.tags

    def col(key: str) -> list[object]:
        return tags[key].tolist() if key in tags.columns else [None] * len(tags)

    highway = col("highway")
    drivable = np.array(
        [
            is_drivable(h, access=a, vehicle=ve, motor_vehicle=mv, motorcar=mc, service=s,
                        oneway=o, construction=c)
            for h, a, ve, mv, mc, s, o, c in zip(
                highway, col("access"), col("vehicle"), col("motor_vehicle"), col("motorcar"),
                col("service"), col("oneway"), col("construction"), strict=True,
            )
        ],
        dtype=bool,
    )  # fmt: skip
    direction = np.array(
        [
            oneway_direction(h, oneway=o, junction=j)
            for h, o, j in zip(highway, col("oneway"), col("junction"), strict=True)
        ],
        dtype=np.int8,
    )
    speed = np.array(
        [speed_kmh(h, maxspeed=m) for h, m in zip(highway, col("maxspeed"), strict=True)],
        dtype=float,
    )
    net = _network_from_ways(hw, drivable, direction, speed, osm.crs)
    if net.n_edges == 0:
        raise InputError(
            gettext("{file}: no drivable streets in the area").format(file=osm.source),
            hint=gettext(
                "The area may be too small or hold only footways; widen the bounding box."
            ),
        )
    main = net.in_main_component
    log.info(  # untranslated: a developer's log line (INFO, not shown by the command line)
        "drive network: %d nodes, %d directed edges; %.1f%% of nodes in the largest strongly "
        "connected piece (turn restrictions ignored)",
        net.n_nodes,
        net.n_edges,
        100 * main.mean(),
    )
    return net


def _network_from_ways(
    hw: HighwayWays,
    drivable: np.ndarray,
    direction: np.ndarray,
    speed: np.ndarray,
    crs: pyproj.CRS,
) -> DriveNetwork:
    lengths = np.diff(hw.offsets)
    way_of_ref = np.repeat(np.arange(lengths.size), lengths)
    # segments between consecutive refs of one drivable way, both ends present
    a = np.arange(hw.node_id.size - 1)
    seg = (
        (way_of_ref[a] == way_of_ref[a + 1])
        & drivable[way_of_ref[a]]
        & hw.present[a]
        & hw.present[a + 1]
        & (hw.node_id[a] != hw.node_id[a + 1])
    )
    a = a[seg]
    b = a + 1
    way = way_of_ref[a]
    ids, inverse = np.unique(np.r_[hw.node_id[a], hw.node_id[b]], return_inverse=True)
    u, v = inverse[: a.size], inverse[a.size :]
    node_xy = np.full((ids.size, 2), np.nan)
    node_xy[u] = np.column_stack([hw.x[a], hw.y[a]])
    node_xy[v] = np.column_stack([hw.x[b], hw.y[b]])
    length = np.hypot(hw.x[b] - hw.x[a], hw.y[b] - hw.y[a])
    d = direction[way]
    fwd, bwd = d >= 0, d <= 0
    way_id = hw.tags["way_id"].to_numpy(dtype=np.int64)
    highway = hw.tags["highway"].to_numpy(dtype=object)
    return DriveNetwork(
        crs=crs,
        node_osm_id=ids.astype(np.int64),
        node_xy=node_xy,
        edge_u=np.r_[u[fwd], v[bwd]].astype(np.int64),
        edge_v=np.r_[v[fwd], u[bwd]].astype(np.int64),
        edge_length_m=np.r_[length[fwd], length[bwd]],
        edge_speed_kmh=np.r_[speed[way][fwd], speed[way][bwd]],
        edge_way_id=np.r_[way_id[way][fwd], way_id[way][bwd]],
        edge_highway=np.r_[highway[way][fwd], highway[way][bwd]],
    )


def to_networkx(network: DriveNetwork) -> nx.DiGraph:
    """A ``DiGraph`` with ``time_s`` on every edge (the fastest of parallel edges)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(range(network.n_nodes))
    for u, v, t in zip(
        network.edge_u.tolist(), network.edge_v.tolist(), network.edge_time_s.tolist(), strict=True
    ):
        if u != v and (not graph.has_edge(u, v) or graph[u][v]["time_s"] > t):
            graph.add_edge(u, v, time_s=t)
    return graph


def snap_to_drive(
    network: DriveNetwork, xy: np.ndarray, *, max_kerb_m: float = DEFAULT_MAX_KERB_M
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest node of :attr:`DriveNetwork.snappable` for each point (metres).

    Returns ``(node, kerb_m)``: ``node`` is -1 where the nearest such node is further than
    ``max_kerb_m`` (``kerb_m`` is then still the distance, or inf without any node).
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    main = np.flatnonzero(network.snappable)
    node = np.full(len(xy), -1, dtype=np.int64)
    kerb_m = np.full(len(xy), np.inf)
    finite = np.isfinite(xy).all(axis=1)
    if main.size == 0 or not finite.any():
        return node, kerb_m
    dist, pos = cKDTree(network.node_xy[main]).query(xy[finite])
    kerb_m[finite] = dist
    near = np.flatnonzero(finite)[dist <= max_kerb_m]
    node[near] = main[pos[dist <= max_kerb_m]]
    return node, kerb_m


@dataclass(frozen=True, eq=False)
class DriveTimes:
    """Fastest drive from any source to every node: ``time_s`` (inf beyond the limit) and the
    position of that ``source`` (-1 when none)."""

    time_s: np.ndarray
    source: np.ndarray


def drive_times(
    network: DriveNetwork, source_nodes: np.ndarray, *, limit_s: float = np.inf
) -> DriveTimes:
    """One multi-source Dijkstra from the source nodes along the one-way rules.

    ``source_nodes`` may hold -1 (a source off the network: it reaches nothing).
    """
    nodes = np.asarray(source_nodes, dtype=np.int64)
    ok = np.flatnonzero(nodes >= 0)
    time_s = np.full(network.n_nodes, np.inf)
    source = np.full(network.n_nodes, -1, dtype=np.int64)
    if ok.size == 0 or network.n_nodes == 0:
        return DriveTimes(time_s=time_s, source=source)
    unique, first = np.unique(nodes[ok], return_index=True)
    dist, _, src = dijkstra(
        network.csr,
        directed=True,
        indices=unique,
        limit=limit_s,
        min_only=True,
        return_predecessors=True,
    )
    reached = src >= 0
    time_s[reached] = dist[reached]
    # src is a node id; map back to the first source position standing there
    position = ok[first]
    source[reached] = position[np.searchsorted(unique, src[reached])]
    return DriveTimes(time_s=time_s, source=source)


def drive_coverage(
    network: DriveNetwork,
    source_nodes: np.ndarray,
    target_nodes: np.ndarray,
    *,
    limit_s: float,
    block_bytes: int = 64 * 2**20,
) -> sp.csr_array:
    """Sources x targets drive time (seconds) of every pair within ``limit_s``.

    A stored entry means "reached" (explicit zeros kept: a target at its source's node).
    Sources or targets at node -1 reach / are reached by nothing. One bounded Dijkstra per
    distinct source node, in blocks of rows of at most ``block_bytes`` (float64 over all nodes).
    """
    if not math.isfinite(limit_s) or limit_s < 0:
        raise InputError(
            gettext("{option} must be a finite number >= 0").format(
                option=f"drive_coverage: limit_s={limit_s!r}"
            )
        )
    src = np.asarray(source_nodes, dtype=np.int64)
    tgt = np.asarray(target_nodes, dtype=np.int64)
    n_src, n_tgt = src.size, tgt.size
    good_t = np.flatnonzero(tgt >= 0)
    rows_l: list[np.ndarray] = []
    cols_l: list[np.ndarray] = []
    vals_l: list[np.ndarray] = []
    unique = np.unique(src[src >= 0])
    block = max(1, int(block_bytes) // (8 * max(network.n_nodes, 1)))
    for start in range(0, unique.size, block):
        part = unique[start : start + block]
        dist = np.atleast_2d(dijkstra(network.csr, directed=True, indices=part, limit=limit_s))[
            :, tgt[good_t]
        ]
        for k, node in enumerate(part.tolist()):
            hit = np.flatnonzero(dist[k] <= limit_s)
            for s in np.flatnonzero(src == node).tolist():
                rows_l.append(np.full(hit.size, s, dtype=np.int64))
                cols_l.append(good_t[hit])
                vals_l.append(dist[k, hit])
    rows = np.concatenate(rows_l) if rows_l else np.zeros(0, dtype=np.int64)
    cols = np.concatenate(cols_l) if cols_l else np.zeros(0, dtype=np.int64)
    vals = np.concatenate(vals_l) if vals_l else np.zeros(0)
    order = np.lexsort((cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    indptr = np.zeros(n_src + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_src), out=indptr[1:])
    return sp.csr_array((vals.astype(float), cols, indptr), shape=(n_src, n_tgt))


def drive_area(
    network: DriveNetwork, time_s: np.ndarray, *, limit_s: float, cell_m: float = 100.0
) -> shapely.Geometry:
    """The area reached within ``limit_s``, for maps: the ``cell_m`` grid squares holding a
    point of a street driven within the limit (both ends of a segment reached; points every
    ``cell_m / 2`` along it). Squares, because a union of buffered streets takes seconds per
    station on a city of 100,000 segments and this takes milliseconds."""
    ok = (time_s[network.edge_u] <= limit_s) & (time_s[network.edge_v] <= limit_s)
    if not ok.any():
        return shapely.Polygon()
    a = network.node_xy[network.edge_u[ok]]
    b = network.node_xy[network.edge_v[ok]]
    steps = np.maximum(1, np.ceil(network.edge_length_m[ok] / (cell_m / 2))).astype(np.int64)
    seg = np.repeat(np.arange(steps.size), steps + 1)
    frac = (np.arange(seg.size) - np.repeat(np.cumsum(steps + 1) - (steps + 1), steps + 1)) / (
        np.repeat(steps, steps + 1)
    )
    points = a[seg] + (b[seg] - a[seg]) * frac[:, None]
    cells = np.unique(np.floor(points / cell_m).astype(np.int64), axis=0)
    x0, y0 = cells[:, 0] * cell_m, cells[:, 1] * cell_m
    squares = shapely.box(x0, y0, x0 + cell_m, y0 + cell_m)
    return shapely.coverage_union_all(squares)


def reached_segments(network: DriveNetwork, time_s: np.ndarray, *, limit_s: float) -> np.ndarray:
    """LineStrings of the edges whose both ends are within ``limit_s`` (for drive-time areas)."""
    ok = (time_s[network.edge_u] <= limit_s) & (time_s[network.edge_v] <= limit_s)
    coords = np.stack([network.node_xy[network.edge_u[ok]], network.node_xy[network.edge_v[ok]]], 1)
    return shapely.linestrings(coords) if ok.any() else np.empty(0, dtype=object)
