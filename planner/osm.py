"""Read an OpenStreetMap file into the raw layers the planner needs, in one streaming pass.

:func:`read_osm` reads ``.osm.pbf``, ``.osm``, ``.osm.gz`` and ``.osm.bz2`` files with pyosmium
(libosmium), optionally restricted to a bounding box or a boundary polygon, and returns an
:class:`OsmData` with everything projected once to a metric UTM CRS chosen for the area:

- ``highways``: every way with a ``highway`` tag, as flat node arrays (the walk network is built
  from them by :func:`planner.network.build_walk_network`, which applies the pedestrian rules);
- ``buildings``: building footprints (ways and multipolygon relations);
- ``police``: ``amenity=police`` nodes and areas, as points;
- ``residential_areas``: ``landuse=residential`` polygons;
- ``admin_areas``: ``boundary=administrative`` polygons (districts), when the file has them;
- ``walk_areas``: highways mapped as areas (``area=yes`` ways and highway multipolygons:
  squares, plazas, platforms), which pedestrians cross in straight lines;
- ``barriers``: lines a pedestrian cannot cross on the way from a door to the street (railways,
  rivers and canals, the shores of water areas, walls and fences), with their tags; which of
  them count is decided by :func:`planner.network.build_walk_network`.

Real extracts are clipped at their edge: ways reference nodes that are not in the file. Such
ways are cut into their runs of present nodes (never bridged across the gap with a straight line)
and counted in ``OsmData.clipped_ways``. Nodes outside the requested area are treated the same way.
"""

from __future__ import annotations

import bz2
import gzip
import logging
import re
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pyproj
import shapely
from osmium.filter import KeyFilter
from shapely.geometry.base import BaseGeometry

from planner._crs import WGS84, utm_crs_for
from planner._files import file_sha256
from planner._tables import read_polygons
from planner.errors import ArgumentTypeError, InputError
from planner.i18n import gettext, ngettext
from planner.settings import WalkSettings

__all__ = [
    "STREET_MARGIN_M",
    "HighwayWays",
    "OsmData",
    "OsmScan",
    "boundary_polygon",
    "buffer_m_for",
    "buffered_area",
    "read_osm",
    "scan_osm",
]

log = logging.getLogger(__name__)

#: Way tags kept for the pedestrian rules, the car rules and for display.
HIGHWAY_TAGS = (
    "highway", "foot", "access", "area", "construction", "name", "service", "sidewalk",
    "bridge", "tunnel", "layer",
    # car rules of the drive network (planner.drive)
    "oneway", "junction", "motor_vehicle", "motorcar", "vehicle", "maxspeed",
)  # fmt: skip
#: Tags kept on barrier lines (see :data:`planner.network.BARRIER_KINDS`).
BARRIER_TAGS = (
    "railway", "waterway", "natural", "barrier", "landuse", "water",
    "bridge", "tunnel", "layer", "covered", "service", "usage", "name",
)  # fmt: skip
#: Tags kept on highway areas.
WALK_AREA_TAGS = ("highway", "foot", "access", "area", "name")
#: Line features that may be barriers (which ones count is decided by the network builder).
_BARRIER_LINE_KEYS = ("railway", "waterway", "barrier")
#: Area features whose outline is a barrier: open water.
_WATER_AREA = {"natural": {"water"}, "waterway": {"riverbank"}, "landuse": {"reservoir", "basin"}}
#: Building tags kept.
BUILDING_TAGS = (
    "building",
    "building:levels",
    "name",
    "addr:street",
    "addr:housenumber",
    "addr:city",
)
#: The tags kept of each area layer of a scan (every ``_frame`` asks for a subset of these):
#: a country holds millions of buildings, so only what is read later is kept, as tuples.
_LAYER_KEYS: dict[str, tuple[str, ...]] = {
    "buildings": (*BUILDING_TAGS, "amenity"),
    "police": ("name", "amenity", "police", "operator"),
    "residential": ("landuse", "name"),
    "admin": ("name", "name:ru", "name:kk", "admin_level", "boundary"),
    "barriers": BARRIER_TAGS,
    "walk_areas": WALK_AREA_TAGS,
}
#: Geometries are made from WKB this many rows at a time (the WKB is not kept).
_WKB_BATCH = 65_536
_FORMATS = {"pbf": "pbf", "xml": "osm", "gzip": "osm.gz", "bzip2": "osm.bz2"}
_NOT_BEFORE = datetime(2004, 1, 1, tzinfo=UTC)  # OSM began in 2004: older stamps are "unset"

BBox = tuple[float, float, float, float]


@dataclass(frozen=True, eq=False)
class HighwayWays:
    """All ``highway=*`` ways of the area as flat arrays (a CSR-like layout).

    Way ``i`` has the nodes ``node_id[offsets[i]:offsets[i + 1]]`` with coordinates ``x``/``y``
    in the metric CRS; a node missing from the file or outside the area has ``present`` False and
    NaN coordinates. ``tags`` has one row per way with the columns of :data:`HIGHWAY_TAGS` and
    ``way_id``.
    """

    tags: pd.DataFrame
    offsets: np.ndarray
    node_id: np.ndarray
    x: np.ndarray
    y: np.ndarray

    @property
    def present(self) -> np.ndarray:
        """Whether each node reference has a location in the area."""
        return np.isfinite(self.x)


@dataclass(frozen=True, eq=False)
class OsmData:
    """What :func:`read_osm` found in an OSM file, projected to the metric ``crs``."""

    source: str
    sha256: str
    crs: pyproj.CRS
    highways: HighwayWays
    buildings: gpd.GeoDataFrame
    police: gpd.GeoDataFrame
    residential_areas: gpd.GeoDataFrame
    admin_areas: gpd.GeoDataFrame
    #: Date of the data: the newest object timestamp, or the Overpass ``osm_base`` (ISO 8601).
    data_date: str | None
    #: Highway ways that referenced nodes missing from the file (clipped at the extract's edge).
    clipped_ways: int
    #: Highway ways cut by the requested bounding box or boundary.
    cut_ways: int
    #: Extent of the file's highway nodes, lon/lat (west, south, east, north).
    file_bounds_lonlat: BBox
    #: Possible barrier lines (railways, waterways, water outlines, walls): ``osm_type``,
    #: ``osm_id``, the tags of :data:`BARRIER_TAGS`, and LineString geometry (water areas as
    #: their outline).
    barriers: gpd.GeoDataFrame = field(
        default_factory=lambda: gpd.GeoDataFrame(
            {"osm_type": [], "osm_id": [], **{k: [] for k in BARRIER_TAGS}}, geometry=[]
        )
    )
    #: Highways mapped as areas (squares, plazas): ``osm_type``, ``osm_id``, the tags of
    #: :data:`WALK_AREA_TAGS` and (Multi)Polygon geometry.
    walk_areas: gpd.GeoDataFrame = field(
        default_factory=lambda: gpd.GeoDataFrame(
            {"osm_type": [], "osm_id": [], **{k: [] for k in WALK_AREA_TAGS}}, geometry=[]
        )
    )


_OSM_TYPES = ("node", "way", "relation")


@dataclass(frozen=True, eq=False)
class _Layer:
    """One area layer of a scan, in columns: a country's millions of buildings cost about
    200 bytes each (WKB, bounds, tag codes) instead of a Python object graph each.

    Row ``i`` is ``_OSM_TYPES[osm_type[i]]`` ``osm_id[i]``; its value of the layer's ``j``-th
    kept tag (:data:`_LAYER_KEYS`) is ``strings[codes[i, j]]`` (code -1: not tagged); its
    geometry (EPSG:4326) is the WKB ``wkb[wkb_offsets[i]:wkb_offsets[i + 1]]``, with the
    extent ``bounds[i]`` (west, south, east, north).
    """

    osm_type: np.ndarray
    osm_id: np.ndarray
    codes: np.ndarray
    strings: tuple[str, ...]
    wkb: np.ndarray
    wkb_offsets: np.ndarray
    bounds: np.ndarray

    def __len__(self) -> int:
        return self.osm_id.size

    def near(self, box: tuple[float, float, float, float]) -> np.ndarray:
        """Rows whose extent meets the box (west, south, east, north), ascending."""
        west, south, east, north = box
        b = self.bounds
        return np.flatnonzero(
            (b[:, 0] <= east) & (b[:, 2] >= west) & (b[:, 1] <= north) & (b[:, 3] >= south)
        )

    def geometries(self, rows: np.ndarray) -> np.ndarray:
        """Shapely geometries of ``rows``; single-part multi-geometries as plain ones (as OSMnx
        returns them)."""
        if not rows.size:
            return np.empty(0, dtype=object)
        buf, at = self.wkb, self.wkb_offsets
        geoms = shapely.from_wkb([buf[at[i] : at[i + 1]].tobytes() for i in rows.tolist()])
        single = shapely.get_num_geometries(geoms) == 1
        geoms[single] = shapely.get_geometry(geoms[single], 0)
        return np.asarray(geoms, dtype=object)

    def values(self, key: str, rows: np.ndarray, kind: str) -> list[str | None]:
        """The rows' values of one kept tag."""
        codes = self.codes[rows, _LAYER_KEYS[kind].index(key)].tolist()
        strings = self.strings
        return [None if c < 0 else strings[c] for c in codes]


@dataclass(frozen=True, eq=False)
class OsmScan:
    """One streaming pass over an OSM file, unprojected: the raw material of :class:`OsmData`.

    Highway ways are flat arrays as in :class:`HighwayWays` but in degrees (``lon``/``lat``,
    NaN for nodes missing from the file); ``layers`` maps ``buildings``, ``police``,
    ``residential``, ``admin``, ``barriers`` and ``walk_areas`` to columnar
    :class:`_Layer` tables (the layer's kept tags, :data:`_LAYER_KEYS`, and WKB geometries in
    EPSG:4326). :meth:`cut` makes the :class:`OsmData` of one study area.
    """

    source: str
    sha256: str
    data_date: str | None
    way_tags: pd.DataFrame
    offsets: np.ndarray
    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    clipped_ways: int
    layers: dict[str, _Layer]
    _extents: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False
    )

    @property
    def bounds_lonlat(self) -> BBox:
        """Extent of the file's highway nodes (west, south, east, north)."""
        return (
            float(np.nanmin(self.lon)),
            float(np.nanmin(self.lat)),
            float(np.nanmax(self.lon)),
            float(np.nanmax(self.lat)),
        )

    def admin_areas(self) -> gpd.GeoDataFrame:
        """``boundary=administrative`` polygons of the whole file, EPSG:4326 (with their names
        in Russian and Kazakh, ``name:ru`` and ``name:kk``, where tagged)."""
        keep = ("name", "name:ru", "name:kk", "admin_level", "boundary")
        return self._frame("admin", keep, None, mode="intersects")

    def homes_layers(
        self, area: BaseGeometry | None = None, *, skip_inside: BaseGeometry | None = None
    ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        """The buildings (a point inside them in ``area``) and the ``landuse=residential``
        polygons (reaching into it) of :meth:`cut`, in EPSG:4326: what residents are read from.

        ``skip_inside``: leave out the buildings lying wholly inside it (``contains_properly``),
        tested a batch at a time, so a country's buildings are never all made geometries at once.
        """
        return (
            self._frame(
                "buildings", (*BUILDING_TAGS, "amenity"), area, "inside", skip_inside=skip_inside
            ),
            # every landuse polygon reaching into the area, not only those whose interior point
            # lies in it: whether a building is a home must not depend on where the area is cut
            self._frame("residential", ("landuse", "name"), area, "intersects"),
        )

    def cut(
        self,
        area: BaseGeometry | None,
        *,
        crs: pyproj.CRS | str | None = None,
        label: str | None = None,
        only_nearby_ways: bool = False,
        whole_ways: bool = False,
    ) -> OsmData:
        """The layers inside ``area`` (EPSG:4326 polygon; ``None``: everything), projected.

        Streets are cut to their nodes inside the area (never bridged across the cut), buildings
        and police areas are kept when a point inside them lies in the area,
        ``landuse=residential``, administrative and walkable areas and barriers when they
        intersect it. ``crs`` defaults to the UTM zone of the area's streets. With
        ``only_nearby_ways`` the ways whose extent misses the area are left out altogether
        (faster when one file is cut into many areas; the counts then describe those ways).
        With ``whole_ways``, every way whose line passes through the area is kept **whole**,
        nodes outside the area included, and the others are left out: every street point inside
        the area is then on a complete way (what the national run's walking buffer relies on).
        ``label`` names the area in messages (default: "area").
        """
        label = gettext("area") if label is None else label
        lon, lat = self.lon, self.lat
        offsets, node_id, tags = self.offsets, self.node_id, self.way_tags
        clipped = self.clipped_ways
        if area is not None and whole_ways:
            extents = self._extents.get("ways")
            if extents is None:  # computed once per scan: a country is cut many times
                extents = self._extents["ways"] = _way_extents(lon, lat, offsets)
            ways = _ways_through(lon, lat, offsets, area, extents)
        elif area is not None and only_nearby_ways:
            ways = _ways_touching_box(lon, lat, offsets, area.bounds)
        if area is not None and (only_nearby_ways or whole_ways):
            lengths = np.diff(offsets)[ways]
            starts = offsets[:-1][ways]
            take = np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths) + np.arange(
                lengths.sum()
            )
            lon, lat, node_id = lon[take], lat[take], node_id[take]
            offsets = np.zeros(ways.size + 1, dtype=np.int64)
            np.cumsum(lengths, out=offsets[1:])
            tags = tags.iloc[ways].reset_index(drop=True)
            missing = ~np.isfinite(lon)
            way_of_node = np.repeat(np.arange(ways.size), lengths)
            clipped = int(np.unique(way_of_node[missing]).size)
        else:
            lon, lat = lon.copy(), lat.copy()
        if not np.isfinite(lon).any():
            raise InputError(
                gettext("{source}: no streets inside the requested {label}").format(
                    source=self.source, label=label
                ),
                hint=gettext(
                    "The file's streets span {span}; choose an area in that range "
                    "(bbox is west,south,east,north)."
                ).format(span=_span_text(self.bounds_lonlat)),
            )
        file_bounds = (
            float(np.nanmin(lon)),
            float(np.nanmin(lat)),
            float(np.nanmax(lon)),
            float(np.nanmax(lat)),
        )
        n_ways = offsets.size - 1
        lengths = np.diff(offsets)
        cut_ways = 0
        if area is not None and not whole_ways:
            shapely.prepare(area)
            known = np.isfinite(lon)
            inside = np.zeros(lon.shape, dtype=bool)
            inside[known] = shapely.contains_xy(area, lon[known], lat[known])
            outside = known & ~inside
            way_of_node = np.repeat(np.arange(n_ways), lengths)
            crossing = np.zeros(n_ways, dtype=np.int8)
            crossing[way_of_node[outside]] |= 1
            crossing[way_of_node[inside]] |= 2
            cut_ways = int(np.count_nonzero(crossing == 3))
            lon[outside] = np.nan
            lat[outside] = np.nan
            if not inside.any():
                raise InputError(
                    gettext("{source}: no streets inside the requested {label}").format(
                        source=self.source, label=label
                    ),
                    hint=gettext(
                        "The file's streets span {span}; choose an area in that range "
                        "(bbox is west,south,east,north)."
                    ).format(span=_span_text(self.bounds_lonlat)),
                )
        if crs is None:
            present = np.isfinite(lon)
            crs = utm_crs_for(
                float(np.mean([lon[present].min(), lon[present].max()])),
                float(np.mean([lat[present].min(), lat[present].max()])),
            )
        crs = pyproj.CRS.from_user_input(crs)
        to_metric = pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)
        x, y = to_metric.transform(lon, lat)
        highways = HighwayWays(
            tags=tags,
            offsets=offsets,
            node_id=node_id,
            x=np.asarray(x, dtype=float),
            y=np.asarray(y, dtype=float),
        )
        if clipped:
            log.info(
                ngettext(
                    "{source}: {n} highway ways reference nodes missing from the file (clipped "
                    "extract); they were cut to their present nodes",
                    "{source}: {n} highway ways reference nodes missing from the file (clipped "
                    "extract); they were cut to their present nodes",
                    clipped,
                ).format(source=self.source, n=clipped)
            )
        police = self._frame("police", ("name", "amenity", "police", "operator"), area, "inside")
        buildings, residential = self.homes_layers(area)
        # areas become a point inside the area (a station is reached at one door)
        police["geometry"] = police.geometry.representative_point()
        return OsmData(
            source=self.source,
            sha256=self.sha256,
            crs=crs,
            highways=highways,
            buildings=buildings.to_crs(crs),
            police=police.to_crs(crs),
            residential_areas=residential.to_crs(crs),
            admin_areas=self._frame(
                "admin", ("name", "admin_level", "boundary"), area, "intersects"
            ).to_crs(crs),
            barriers=self._frame("barriers", BARRIER_TAGS, area, "intersects").to_crs(crs),
            walk_areas=self._frame("walk_areas", WALK_AREA_TAGS, area, "intersects").to_crs(crs),
            data_date=self.data_date,
            clipped_ways=clipped,
            cut_ways=cut_ways,
            file_bounds_lonlat=file_bounds,
        )

    def _frame(
        self,
        kind: str,
        keep: tuple[str, ...],
        area: BaseGeometry | None,
        mode: str,
        *,
        skip_inside: BaseGeometry | None = None,
    ) -> gpd.GeoDataFrame:
        layer = self.layers[kind]
        if area is not None:
            hit = layer.near(area.bounds)
            geoms = layer.geometries(hit)
            if len(geoms):
                shapely.prepare(area)
                if mode == "inside":
                    points = shapely.point_on_surface(geoms)
                    ok = shapely.contains_xy(area, shapely.get_x(points), shapely.get_y(points))
                else:
                    ok = shapely.intersects(area, geoms)
                hit, geoms = hit[ok], geoms[ok]
        elif skip_inside is not None:
            shapely.prepare(skip_inside)
            kept_rows, kept_geoms = [], []
            for start in range(0, len(layer), _WKB_BATCH):
                rows = np.arange(start, min(start + _WKB_BATCH, len(layer)))
                g = layer.geometries(rows)
                out = ~shapely.contains_properly(skip_inside, g)
                kept_rows.append(rows[out])
                kept_geoms.append(g[out])
            hit = np.concatenate(kept_rows) if kept_rows else np.zeros(0, dtype=np.int64)
            geoms = np.concatenate(kept_geoms) if kept_geoms else np.empty(0, dtype=object)
        else:
            hit = np.arange(len(layer))
            geoms = layer.geometries(hit)
        data: dict[str, object] = {
            "osm_type": [_OSM_TYPES[t] for t in layer.osm_type[hit].tolist()],
            "osm_id": layer.osm_id[hit].astype(np.int64),
        }
        for key in keep:
            data[key] = layer.values(key, hit, kind)
        return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=WGS84)).reset_index(
            drop=True
        )


def _span_text(bounds: BBox) -> str:
    return gettext("longitude {west}..{east} and latitude {south}..{north}").format(
        west=f"{bounds[0]:.4f}",
        east=f"{bounds[2]:.4f}",
        south=f"{bounds[1]:.4f}",
        north=f"{bounds[3]:.4f}",
    )


def _way_extents(
    lon: np.ndarray, lat: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-way extent of the present nodes (west, east, south, north); NaN for none."""
    lengths = np.diff(offsets)
    out = [np.full(lengths.size, np.nan) for _ in range(4)]
    nonempty = lengths > 0
    if nonempty.any():
        starts = offsets[:-1][nonempty]
        out[0][nonempty] = np.fmin.reduceat(lon, starts)
        out[1][nonempty] = np.fmax.reduceat(lon, starts)
        out[2][nonempty] = np.fmin.reduceat(lat, starts)
        out[3][nonempty] = np.fmax.reduceat(lat, starts)
    return out[0], out[1], out[2], out[3]


def _ways_through(
    lon: np.ndarray,
    lat: np.ndarray,
    offsets: np.ndarray,
    area: BaseGeometry,
    extents: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray:
    """Indices of the ways whose line (through their present nodes) meets ``area``."""
    west, south, east, north = area.bounds
    lo_x, hi_x, lo_y, hi_y = extents
    near = np.flatnonzero((lo_x <= east) & (hi_x >= west) & (lo_y <= north) & (hi_y >= south))
    if not near.size:
        return near.astype(np.int64)
    lengths = np.diff(offsets)[near]
    starts = offsets[:-1][near]
    take = np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths) + np.arange(lengths.sum())
    group = np.repeat(np.arange(near.size), lengths)
    x, y = lon[take], lat[take]
    present = np.isfinite(x)
    group, coords = group[present], np.column_stack([x[present], y[present]])
    counts = np.bincount(group, minlength=near.size)
    # one present node: a point; more: the line through them (bridging a missing node only
    # widens the test, never loses a way)
    single = counts == 1
    geoms = np.empty(near.size, dtype=object)
    multi = ~single[group]
    if multi.any():
        geoms[np.flatnonzero(counts > 1)] = _lines(coords[multi], group[multi])
    if single.any():
        first = np.r_[0, np.cumsum(counts)[:-1]][single]
        geoms[single] = shapely.points(coords[first])
    shapely.prepare(area)
    hit = np.zeros(near.size, dtype=bool)
    has = counts > 0
    hit[has] = shapely.intersects(area, geoms[has])
    return near[hit].astype(np.int64)


def _lines(coords: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Linestrings of consecutive coordinates sharing a group label (labels ascending)."""
    _, index = np.unique(group, return_inverse=True)
    return shapely.linestrings(coords, indices=index)


def _ways_touching_box(
    lon: np.ndarray, lat: np.ndarray, offsets: np.ndarray, box: tuple[float, ...]
) -> np.ndarray:
    """Indices of the ways with at least one present node inside the box."""
    west, south, east, north = box
    inside = (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)  # NaN: False
    lengths = np.diff(offsets)
    nonempty = lengths > 0
    if not nonempty.any():
        return np.zeros(0, dtype=np.int64)
    any_inside = np.zeros(lengths.size, dtype=bool)
    any_inside[nonempty] = np.logical_or.reduceat(inside, offsets[:-1][nonempty])
    return np.flatnonzero(any_inside)


def read_osm(
    path: str | Path,
    *,
    bbox: BBox | None = None,
    boundary: BaseGeometry | str | Path | None = None,
    crs: pyproj.CRS | str | None = None,
    whole_ways: bool = False,
) -> OsmData:
    """Read the layers of an OSM file needed for walking-distance planning.

    Parameters
    ----------
    path
        An ``.osm.pbf``, ``.osm``, ``.osm.gz`` or ``.osm.bz2`` file (the format is detected from
        the content, so a misnamed file still reads).
    bbox
        Restrict to ``(west, south, east, north)`` in degrees of longitude/latitude.
    boundary
        Restrict to a polygon in EPSG:4326, or a file holding one (GeoJSON, GeoPackage, ...).
    crs
        Metric CRS to project to; by default the UTM zone of the area's centre.
    whole_ways
        Keep every street passing through the area whole (see :meth:`OsmScan.cut`), as for an
        area with a walking buffer around it.

    Returns
    -------
    OsmData

    Raises
    ------
    InputError
        If the file is missing or not OSM data, or the area holds no streets.
    """
    path = Path(path)
    fmt = _detect_format(path)
    area = _area_polygon(bbox, boundary)
    scan = _scan(path, fmt)
    if bbox is not None:
        _check_bbox_order(bbox, scan.bounds_lonlat)
    label = gettext("bbox {bbox}").format(bbox=bbox) if bbox is not None else gettext("boundary")
    return scan.cut(area, crs=crs, label=label, whole_ways=whole_ways)


def boundary_polygon(boundary: BaseGeometry | str | Path) -> BaseGeometry:
    """The study area (EPSG:4326) of ``boundary``: a shapely polygon as is, or the union of the
    polygons of a file (GeoJSON, GeoPackage, ...), refused with a clear error when it has none."""
    area = _area_polygon(None, boundary)
    assert area is not None
    return area


# --- the walking buffer around a study area ------------------------------------------------------

#: Extra buffer beyond the longest walk and snap: the polygons are buffered in metres and tested
#: in degrees, whose straight segments differ by centimetres to metres; 50 m covers that.
STREET_MARGIN_M = 50.0


def buffer_m_for(settings: WalkSettings) -> float:
    """The walking buffer around a national unit or a ``--boundary`` study area:
    ``max_walk_m + max_snap_m + STREET_MARGIN_M`` (see :mod:`planner.national.units`)."""
    return float(settings.max_walk_m + settings.max_snap_m + STREET_MARGIN_M)


def buffered_area(area: BaseGeometry, *, settings: WalkSettings) -> BaseGeometry:
    """``area`` (EPSG:4326) plus the walking buffer of :func:`buffer_m_for`, buffered in its own
    UTM zone: what a unit's (or a city run with ``--boundary``) streets and stations are cut to
    (the one home of the rule; see :mod:`planner.national.units`)."""
    centre = area.centroid
    crs = utm_crs_for(centre.x, centre.y)
    metric = gpd.GeoSeries([area], crs=WGS84).to_crs(crs)
    return metric.buffer(buffer_m_for(settings), quad_segs=8).to_crs(WGS84).iloc[0]


def _overlaps(a: BBox, b: BBox) -> bool:
    return a[0] <= b[2] and a[2] >= b[0] and a[1] <= b[3] and a[3] >= b[1]


def _check_bbox_order(bbox: BBox, streets: BBox) -> None:
    """A box that misses the file's streets but would hold them with latitude and longitude
    exchanged was written latitude first (``42.84,74.62,42.88,74.66``): say so, with the box
    in the right order, rather than "no streets inside"."""
    west, south, east, north = (float(v) for v in bbox)
    exchanged = (south, west, north, east)
    if _overlaps((west, south, east, north), streets) or not _overlaps(exchanged, streets):
        return
    given = ",".join(f"{v:g}" for v in (west, south, east, north))
    fixed = ",".join(f"{v:g}" for v in exchanged)
    raise InputError(
        gettext(
            "bbox {given} holds none of the file's streets (they span {span}), but {fixed} "
            "would: latitude and longitude look exchanged"
        ).format(given=given, span=_span_text(streets), fixed=fixed),
        hint=gettext("The order is west,south,east,north (longitude first): give {fixed}.").format(
            fixed=fixed
        ),
    )


def scan_osm(path: str | Path) -> OsmScan:
    """Read an OSM file in one streaming pass, keeping everything in longitude/latitude.

    The result is cut into study areas with :meth:`OsmScan.cut`, each projected to its own
    metric CRS: a country file is read once and handed to its cities (see
    :mod:`planner.national`), never read once per city.

    Raises
    ------
    InputError
        If the file is missing, not OSM data, or holds no streets.
    """
    path = Path(path)
    return _scan(path, _detect_format(path))


def _scan(path: Path, fmt: str) -> OsmScan:
    reader = _Collector()
    try:
        processor = (
            osmium.FileProcessor(osmium.io.File(str(path), _FORMATS[fmt]))
            .with_areas(
                KeyFilter(
                    "building", "landuse", "amenity", "boundary", "natural", "waterway", "highway"
                )
            )
            .with_filter(
                KeyFilter(
                    "highway",
                    "building",
                    "landuse",
                    "amenity",
                    "boundary",
                    "railway",
                    "waterway",
                    "barrier",
                    "natural",
                )
            )
        )
        for obj in processor:
            reader.add(obj)
    except (RuntimeError, ValueError) as exc:  # libosmium parse errors
        raise InputError(
            gettext("{file}: could not be read as OpenStreetMap data ({error})").format(
                file=path, error=exc
            ),
            hint=gettext(
                "Give an .osm.pbf, .osm, .osm.gz or .osm.bz2 file, e.g. a Geofabrik extract "
                "or an export from openstreetmap.org."
            ),
        ) from None
    except PermissionError as exc:
        raise InputError(
            gettext("{file}: cannot be read ({error})").format(file=path, error=exc.strerror),
            hint=gettext("Check the file's permissions (ls -l) or copy it somewhere readable."),
        ) from None
    data_date = reader.newest.isoformat() if reader.newest else _overpass_base_date(path, fmt)
    return reader.scan(source=str(path), sha256=file_sha256(path), data_date=data_date)


# --- input checks ---------------------------------------------------------------------------


def _detect_format(path: Path) -> str:
    if not path.exists():
        raise InputError(
            gettext("{file}: file not found").format(file=path),
            hint=gettext(
                "Check the path; the bundled data is in the data/ folder of the project "
                "(e.g. {example})."
            ).format(example="data/almaty_2012.osm.pbf"),
        )
    if path.is_dir():
        raise InputError(
            gettext("{file}: is a folder, not an OSM file").format(file=path),
            hint=gettext("Name the file itself."),
        )
    try:
        with path.open("rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise InputError(
            gettext("{file}: cannot be read ({error})").format(
                file=path, error=exc.strerror or exc
            ),
            hint=gettext("Check the file's permissions (ls -l) or copy it somewhere readable."),
        ) from None
    if not head:
        raise InputError(
            gettext("{file}: the file is empty").format(file=path),
            hint=gettext("Download or export the area again."),
        )
    if head[:2] == b"\x1f\x8b":
        fmt = "gzip"
        inner = _peek(gzip.open, path)
    elif head[:3] == b"BZh":
        fmt = "bzip2"
        inner = _peek(bz2.open, path)
    elif b"OSMHeader" in head[:32]:
        return "pbf"
    else:
        fmt, inner = "xml", head
    if b"<osm" not in inner and b"<?xml" not in inner:
        if fmt == "xml":
            text = gettext("{file}: not an OpenStreetMap file (it starts with {start})")
            start = repr(head[:16])
        else:
            text = gettext(
                "{file}: not an OpenStreetMap file (a {format} file whose content starts with "
                "{start})"
            )
            start = repr(inner[:16])
        raise InputError(
            text.format(file=path, format=fmt, start=start),
            hint=gettext("Give an .osm.pbf, .osm, .osm.gz or .osm.bz2 file."),
        )
    return fmt


def _peek(opener: object, path: Path) -> bytes:
    try:
        with opener(path, "rb") as fh:  # type: ignore[operator]
            return bytes(fh.read(4096))
    except OSError as exc:
        raise InputError(
            gettext("{file}: the compressed file is damaged ({error})").format(file=path, error=exc)
        ) from None


def _overpass_base_date(path: Path, fmt: str) -> str | None:
    """The ``<meta osm_base=...>`` stamp of an Overpass XML download, if any."""
    if fmt == "pbf":
        return None
    opener = {"gzip": gzip.open, "bzip2": bz2.open}.get(fmt, open)
    with opener(path, "rb") as fh:  # type: ignore[operator]
        head = fh.read(8192)
    match = re.search(rb'osm_base="([^"]+)"', head)
    return match.group(1).decode() if match else None


def _area_polygon(
    bbox: BBox | None, boundary: BaseGeometry | str | Path | None
) -> BaseGeometry | None:
    if bbox is not None and boundary is not None:
        raise InputError(gettext("read_osm: give either bbox or boundary, not both"))
    if bbox is not None:
        problems = []
        if len(bbox) != 4:
            raise InputError(
                gettext("bbox {bbox}: expected four numbers (west, south, east, north)").format(
                    bbox=repr(bbox)
                )
            )
        west, south, east, north = (float(v) for v in bbox)
        if not (-180 <= west < east <= 180):
            problems.append(
                gettext("west={west}, east={east}: need -180 <= west < east <= 180").format(
                    west=west, east=east
                )
            )
        if not (-90 <= south < north <= 90):
            problems.append(
                gettext("south={south}, north={north}: need -90 <= south < north <= 90").format(
                    south=south, north=north
                )
            )
        if problems:
            raise InputError(
                gettext("bbox {bbox} is not a valid longitude/latitude box").format(
                    bbox=repr(bbox)
                ),
                problems,
                gettext("Give it as west,south,east,north in degrees, e.g. {example}.").format(
                    example="76.85,43.20,76.98,43.30"
                ),
            )
        return shapely.box(west, south, east, north)
    if boundary is None:
        return None
    if isinstance(boundary, BaseGeometry):
        return boundary
    if not isinstance(boundary, str | Path):
        raise ArgumentTypeError(
            "read_osm",
            "boundary",
            gettext("a shapely polygon or the path of a polygon file"),
            boundary,
            gettext("e.g. {example} or {other}.").format(
                example="boundary='almaty.geojson'",
                other="boundary=shapely.box(76.85, 43.2, 76.98, 43.3)",
            ),
        )
    hint = gettext("Give a GeoJSON or GeoPackage file with the area's polygon.")
    frame = read_polygons(boundary, what=gettext("boundary"))
    polygons = frame[frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons.empty:
        kinds = sorted({str(k) for k in frame.geometry.geom_type.dropna()})
        raise InputError(
            gettext("{file}: no polygon in the boundary file (it holds {kinds})").format(
                file=boundary, kinds=", ".join(kinds)
            ),
            hint=hint,
        )
    if frame.crs is not None:
        polygons = polygons.to_crs(WGS84)
    return shapely.union_all(polygons.geometry.values)


# --- the streaming collector ---------------------------------------------------------------


class _Collector:
    """Accumulates the objects of one pass; :meth:`scan` freezes them into arrays.

    Built for a country's millions of objects: node references, coordinates and the area
    layers go to typed arrays (:class:`_Layer`), tag values to codes of shared strings, and WKB
    is measured (its extent) every ``_WKB_BATCH`` rows and kept as bytes, not as geometry.
    """

    def __init__(self) -> None:
        self.way_tags: list[tuple[object, ...]] = []
        self.way_lengths = array("q")
        self.node_ids = array("q")
        self.lons = array("d")
        self.lats = array("d")
        self.clipped_ways = 0
        self.wkb = osmium.geom.WKBFactory()
        self._types = {kind: array("b") for kind in _LAYER_KEYS}
        self._ids = {kind: array("q") for kind in _LAYER_KEYS}
        self._codes = {kind: array("i") for kind in _LAYER_KEYS}
        self._pending: dict[str, list[bytes]] = {kind: [] for kind in _LAYER_KEYS}
        self._blobs: dict[str, list[bytes]] = {kind: [] for kind in _LAYER_KEYS}
        self._sizes = {kind: array("q") for kind in _LAYER_KEYS}
        self._bounds: dict[str, list[np.ndarray]] = {kind: [] for kind in _LAYER_KEYS}
        self._strings: dict[str, int] = {}
        self._shared: dict[str, str] = {}
        self.newest: datetime | None = None

    def _values(self, tags: object, keys: tuple[str, ...]) -> tuple[str | None, ...]:
        shared = self._shared
        out = []
        for key in keys:
            value = tags.get(key)  # type: ignore[attr-defined]
            out.append(None if value is None else shared.setdefault(value, value))
        return tuple(out)

    def _keep(self, kind: str, osm_type: str, osm_id: int, tags: object, wkb: bytes) -> None:
        self._types[kind].append(_OSM_TYPES.index(osm_type))
        self._ids[kind].append(osm_id)
        strings = self._strings
        codes = self._codes[kind]
        for key in _LAYER_KEYS[kind]:
            value = tags.get(key)  # type: ignore[attr-defined]
            codes.append(-1 if value is None else strings.setdefault(value, len(strings)))
        pending = self._pending[kind]
        pending.append(wkb)
        if len(pending) >= _WKB_BATCH:
            self._flush(kind)

    def _flush(self, kind: str) -> None:
        pending = self._pending[kind]
        if pending:
            self._bounds[kind].append(shapely.bounds(shapely.from_wkb(pending)))
            self._sizes[kind].extend(len(b) for b in pending)
            self._blobs[kind].append(b"".join(pending))
            pending.clear()

    def _layer(self, kind: str, strings: tuple[str, ...]) -> _Layer:
        self._flush(kind)
        keys = _LAYER_KEYS[kind]
        sizes = np.frombuffer(self._sizes[kind], dtype=np.int64)
        offsets = np.zeros(sizes.size + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        blob = b"".join(self._blobs[kind])
        self._blobs[kind].clear()
        bounds = self._bounds[kind]
        return _Layer(
            osm_type=np.frombuffer(self._types[kind], dtype=np.int8).copy(),
            osm_id=np.frombuffer(self._ids[kind], dtype=np.int64).copy(),
            codes=np.frombuffer(self._codes[kind], dtype=np.int32).reshape(-1, len(keys)).copy(),
            strings=strings,
            wkb=np.frombuffer(blob, dtype=np.uint8),
            wkb_offsets=offsets,
            bounds=np.concatenate(bounds) if bounds else np.zeros((0, 4)),
        )

    def add(self, obj: object) -> None:
        stamp = obj.timestamp  # type: ignore[attr-defined]
        if stamp is not None and stamp > _NOT_BEFORE:
            self.newest = stamp if self.newest is None else max(self.newest, stamp)
        if obj.is_way():  # type: ignore[attr-defined]
            tags = obj.tags  # type: ignore[attr-defined]
            if "highway" in tags:
                self._add_highway(obj)
            if any(k in tags for k in _BARRIER_LINE_KEYS):
                self._add_barrier_line(obj)
        elif obj.is_area():  # type: ignore[attr-defined]
            self._add_area(obj)
        elif obj.is_node():  # type: ignore[attr-defined]
            tags = obj.tags  # type: ignore[attr-defined]
            if tags.get("amenity") == "police":
                loc = obj.location  # type: ignore[attr-defined]
                self._keep("police", "node", obj.id, tags, shapely.Point(loc.lon, loc.lat).wkb)  # type: ignore[attr-defined]

    def _add_highway(self, way: object) -> None:
        tags = way.tags  # type: ignore[attr-defined]
        count = 0
        clipped = False
        for ref in way.nodes:  # type: ignore[attr-defined]
            loc = ref.location
            self.node_ids.append(ref.ref)
            if loc.valid():
                self.lons.append(loc.lon)
                self.lats.append(loc.lat)
            else:
                clipped = True
                self.lons.append(np.nan)
                self.lats.append(np.nan)
            count += 1
        self.clipped_ways += clipped
        self.way_lengths.append(count)
        self.way_tags.append((way.id, *self._values(tags, HIGHWAY_TAGS)))  # type: ignore[attr-defined]

    def _add_barrier_line(self, way: object) -> None:
        if way.tags.get("waterway") == "riverbank":  # type: ignore[attr-defined]
            return  # an area: its outline is taken by _add_area
        try:
            wkb = self.wkb.create_linestring(way)  # type: ignore[arg-type]
        except (RuntimeError, osmium.InvalidLocationError):  # clipped or degenerate way
            return
        self._keep("barriers", "way", way.id, way.tags, bytes.fromhex(wkb))  # type: ignore[attr-defined]

    def _add_walk_area(self, area: object, tags: object) -> None:
        try:
            wkb = self.wkb.create_multipolygon(area)  # type: ignore[arg-type]
        except RuntimeError:
            return
        osm_type = "way" if area.from_way() else "relation"  # type: ignore[attr-defined]
        self._keep("walk_areas", osm_type, area.orig_id(), tags, bytes.fromhex(wkb))  # type: ignore[attr-defined]

    def _add_water_outline(self, area: object, tags: object) -> None:
        try:
            wkb = self.wkb.create_multipolygon(area)  # type: ignore[arg-type]
        except RuntimeError:
            return
        outline = shapely.boundary(shapely.from_wkb(bytes.fromhex(wkb)))
        osm_type = "way" if area.from_way() else "relation"  # type: ignore[attr-defined]
        self._keep("barriers", osm_type, area.orig_id(), tags, outline.wkb)  # type: ignore[attr-defined]

    def _add_area(self, area: object) -> None:
        tags = area.tags  # type: ignore[attr-defined]
        if "highway" in tags:
            # a closed highway way is a line (a roundabout) unless tagged area=yes; a highway
            # multipolygon is always an area
            if tags.get("area") == "yes" or not area.from_way():  # type: ignore[attr-defined]
                self._add_walk_area(area, tags)
            return
        if any(tags.get(k) in v for k, v in _WATER_AREA.items()):
            self._add_water_outline(area, tags)
        if "building" in tags and tags.get("building") != "no":
            kind = "buildings"
        elif tags.get("amenity") == "police":
            kind = "police"
        elif tags.get("landuse") == "residential":
            kind = "residential"
        elif tags.get("boundary") == "administrative":
            kind = "admin"
        else:
            return
        try:
            wkb = self.wkb.create_multipolygon(area)  # type: ignore[arg-type]
        except RuntimeError:  # broken ring in the data: nothing to draw
            return
        osm_type = "way" if area.from_way() else "relation"  # type: ignore[attr-defined]
        raw = bytes.fromhex(wkb)
        self._keep(kind, osm_type, area.orig_id(), tags, raw)  # type: ignore[attr-defined]
        if kind == "buildings" and tags.get("amenity") == "police":
            self._keep("police", osm_type, area.orig_id(), tags, raw)  # type: ignore[attr-defined]

    def scan(self, *, source: str, sha256: str, data_date: str | None) -> OsmScan:
        """Freeze what was collected into arrays (still in longitude/latitude)."""
        lon = np.frombuffer(self.lons, dtype=float).copy()
        lat = np.frombuffer(self.lats, dtype=float).copy()
        del self.lons[:], self.lats[:]
        if not np.isfinite(lon).any():
            raise InputError(
                gettext(
                    "{source}: the file has no streets (no highway ways with known nodes)"
                ).format(source=source),
                hint=gettext("Check that it is an extract of a city, not of a single feature."),
            )
        offsets = np.zeros(len(self.way_lengths) + 1, dtype=np.int64)
        np.cumsum(np.frombuffer(self.way_lengths, dtype=np.int64), out=offsets[1:])
        strings = tuple(self._strings)  # insertion order: code k is the k-th string
        layers = {kind: self._layer(kind, strings) for kind in _LAYER_KEYS}
        return OsmScan(
            source=source,
            sha256=sha256,
            data_date=data_date,
            way_tags=pd.DataFrame(self.way_tags, columns=["way_id", *HIGHWAY_TAGS]),
            offsets=offsets,
            node_id=np.frombuffer(self.node_ids, dtype=np.int64).copy(),
            lon=lon,
            lat=lat,
            clipped_ways=self.clipped_ways,
            layers=layers,
        )
