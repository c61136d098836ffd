"""Read an OpenStreetMap file into the raw layers the planner needs, in one streaming pass.

:func:`read_osm` reads ``.osm.pbf``, ``.osm``, ``.osm.gz`` and ``.osm.bz2`` files with pyosmium
(libosmium), optionally restricted to a bounding box or a boundary polygon, and returns an
:class:`OsmData` with everything projected once to a metric UTM CRS chosen for the area:

- ``highways``: every way with a ``highway`` tag, as flat node arrays (the walk network is built
  from them by :func:`planner.network.build_walk_network`, which applies the pedestrian rules);
- ``buildings``: building footprints (ways and multipolygon relations);
- ``police``: ``amenity=police`` nodes and areas, as points;
- ``residential_areas``: ``landuse=residential`` polygons;
- ``admin_areas``: ``boundary=administrative`` polygons (districts), when the file has them.

Real extracts are clipped at their edge: ways reference nodes that are not in the file. Such
ways are cut into their runs of present nodes (never bridged across the gap with a straight line)
and counted in ``OsmData.clipped_ways``. Nodes outside the requested area are treated the same way.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import logging
import re
from dataclasses import dataclass
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
from planner.errors import InputError

__all__ = ["HighwayWays", "OsmData", "read_osm"]

log = logging.getLogger(__name__)

#: Way tags kept for the pedestrian rules and for display.
HIGHWAY_TAGS = ("highway", "foot", "access", "area", "construction", "name", "service", "sidewalk")
#: Building tags kept.
BUILDING_TAGS = (
    "building",
    "building:levels",
    "name",
    "addr:street",
    "addr:housenumber",
    "addr:city",
)
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


def read_osm(
    path: str | Path,
    *,
    bbox: BBox | None = None,
    boundary: BaseGeometry | str | Path | None = None,
    crs: pyproj.CRS | str | None = None,
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
    reader = _Collector(area)
    try:
        processor = (
            osmium.FileProcessor(osmium.io.File(str(path), _FORMATS[fmt]))
            .with_areas(KeyFilter("building", "landuse", "amenity", "boundary"))
            .with_filter(KeyFilter("highway", "building", "landuse", "amenity", "boundary"))
        )
        for obj in processor:
            reader.add(obj)
    except (RuntimeError, ValueError) as exc:  # libosmium parse errors
        raise InputError(
            f"{path}: could not be read as OpenStreetMap data ({exc})",
            hint="Give an .osm.pbf, .osm, .osm.gz or .osm.bz2 file, e.g. a Geofabrik extract "
            "or an export from openstreetmap.org.",
        ) from None
    data_date = reader.newest.isoformat() if reader.newest else _overpass_base_date(path, fmt)
    return reader.finish(
        source=str(path),
        sha256=file_sha256(path),
        data_date=data_date,
        crs=crs,
        bbox=bbox,
        boundary_given=boundary is not None,
    )


def file_sha256(path: str | Path) -> str:
    """The SHA-256 checksum of a file, hex encoded."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- input checks ---------------------------------------------------------------------------


def _detect_format(path: Path) -> str:
    if not path.exists():
        raise InputError(
            f"{path}: file not found",
            hint="Check the path; the bundled data is in the data/ folder of the project "
            "(e.g. data/almaty_2012.osm.pbf).",
        )
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not an OSM file", hint="Name the file itself.")
    with path.open("rb") as fh:
        head = fh.read(64)
    if not head:
        raise InputError(f"{path}: the file is empty", hint="Download or export the area again.")
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
        raise InputError(
            f"{path}: not an OpenStreetMap file (it starts with {head[:16]!r})",
            hint="Give an .osm.pbf, .osm, .osm.gz or .osm.bz2 file.",
        )
    return fmt


def _peek(opener: object, path: Path) -> bytes:
    try:
        with opener(path, "rb") as fh:  # type: ignore[operator]
            return bytes(fh.read(4096))
    except OSError as exc:
        raise InputError(f"{path}: the compressed file is damaged ({exc})") from None


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
        raise InputError("read_osm: give either bbox or boundary, not both")
    if bbox is not None:
        problems = []
        if len(bbox) != 4:
            raise InputError(f"bbox {bbox!r}: expected four numbers (west, south, east, north)")
        west, south, east, north = (float(v) for v in bbox)
        if not (-180 <= west < east <= 180):
            problems.append(f"west={west}, east={east}: need -180 <= west < east <= 180")
        if not (-90 <= south < north <= 90):
            problems.append(f"south={south}, north={north}: need -90 <= south < north <= 90")
        if problems:
            raise InputError(
                f"bbox {bbox!r} is not a valid longitude/latitude box",
                problems,
                "Give it as west,south,east,north in degrees, e.g. 76.85,43.20,76.98,43.30.",
            )
        return shapely.box(west, south, east, north)
    if boundary is None:
        return None
    if isinstance(boundary, BaseGeometry):
        return boundary
    try:
        frame = gpd.read_file(boundary)
    except Exception as exc:
        raise InputError(
            f"{boundary}: could not read the boundary file ({exc})",
            hint="Give a GeoJSON or GeoPackage file with the area's polygon.",
        ) from None
    polygons = frame[frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons.empty:
        raise InputError(f"{boundary}: no polygon in the boundary file")
    if frame.crs is not None:
        polygons = polygons.to_crs(WGS84)
    return shapely.union_all(polygons.geometry.values)


# --- the streaming collector ---------------------------------------------------------------


class _Collector:
    """Accumulates the objects of one pass; :meth:`finish` turns them into frames."""

    def __init__(self, area: BaseGeometry | None) -> None:
        self.area = area
        if area is not None:
            shapely.prepare(area)
        self.way_tags: list[tuple[object, ...]] = []
        self.way_lengths: list[int] = []
        self.node_ids: list[int] = []
        self.lons: list[float] = []
        self.lats: list[float] = []
        self.clipped_ways = 0
        self.wkb = osmium.geom.WKBFactory()
        self.areas: dict[str, list[tuple[object, ...]]] = {
            "buildings": [],
            "police": [],
            "residential": [],
            "admin": [],
        }
        self.newest: datetime | None = None

    def add(self, obj: object) -> None:
        stamp = obj.timestamp  # type: ignore[attr-defined]
        if stamp is not None and stamp > _NOT_BEFORE:
            self.newest = stamp if self.newest is None else max(self.newest, stamp)
        if obj.is_way():  # type: ignore[attr-defined]
            if "highway" in obj.tags:  # type: ignore[attr-defined]
                self._add_highway(obj)
        elif obj.is_area():  # type: ignore[attr-defined]
            self._add_area(obj)
        elif obj.is_node():  # type: ignore[attr-defined]
            tags = obj.tags  # type: ignore[attr-defined]
            if tags.get("amenity") == "police":
                loc = obj.location  # type: ignore[attr-defined]
                self.areas["police"].append(
                    ("node", obj.id, dict(tags), shapely.Point(loc.lon, loc.lat).wkb)  # type: ignore[attr-defined]
                )

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
        self.way_tags.append((way.id, *(tags.get(k) for k in HIGHWAY_TAGS)))  # type: ignore[attr-defined]

    def _add_area(self, area: object) -> None:
        tags = area.tags  # type: ignore[attr-defined]
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
        self.areas[kind].append((osm_type, area.orig_id(), dict(tags), bytes.fromhex(wkb)))  # type: ignore[attr-defined]
        if kind == "buildings" and tags.get("amenity") == "police":
            self.areas["police"].append((osm_type, area.orig_id(), dict(tags), bytes.fromhex(wkb)))  # type: ignore[attr-defined]

    def finish(
        self,
        *,
        source: str,
        sha256: str,
        data_date: str | None,
        crs: pyproj.CRS | str | None,
        bbox: BBox | None,
        boundary_given: bool,
    ) -> OsmData:
        lon = np.asarray(self.lons, dtype=float)
        lat = np.asarray(self.lats, dtype=float)
        if not np.isfinite(lon).any():
            raise InputError(
                f"{source}: the file has no streets (no highway ways with known nodes)",
                hint="Check that it is an extract of a city, not of a single feature.",
            )
        file_bounds = (
            float(np.nanmin(lon)),
            float(np.nanmin(lat)),
            float(np.nanmax(lon)),
            float(np.nanmax(lat)),
        )
        offsets = np.zeros(len(self.way_lengths) + 1, dtype=np.int64)
        np.cumsum(self.way_lengths, out=offsets[1:])
        cut_ways = 0
        if self.area is not None:
            known = np.isfinite(lon)
            inside = np.zeros(lon.shape, dtype=bool)
            inside[known] = shapely.contains_xy(self.area, lon[known], lat[known])
            outside = known & ~inside
            way_of_node = np.repeat(np.arange(len(self.way_lengths)), self.way_lengths)
            crossing = np.zeros(len(self.way_lengths), dtype=np.int8)
            crossing[way_of_node[outside]] |= 1
            crossing[way_of_node[inside]] |= 2
            cut_ways = int(np.count_nonzero(crossing == 3))
            lon[outside] = np.nan
            lat[outside] = np.nan
            if not inside.any():
                where = f"bbox {bbox}" if bbox is not None else "boundary"
                raise InputError(
                    f"{source}: no streets inside the requested {where}",
                    hint="The file's streets span longitude "
                    f"{file_bounds[0]:.4f}..{file_bounds[2]:.4f} and latitude "
                    f"{file_bounds[1]:.4f}..{file_bounds[3]:.4f}; choose an area in that range "
                    "(bbox is west,south,east,north).",
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
        tags = pd.DataFrame(self.way_tags, columns=["way_id", *HIGHWAY_TAGS])
        highways = HighwayWays(
            tags=tags,
            offsets=offsets,
            node_id=np.asarray(self.node_ids, dtype=np.int64),
            x=np.asarray(x, dtype=float),
            y=np.asarray(y, dtype=float),
        )
        if self.clipped_ways:
            log.info(
                "%s: %d highway ways reference nodes missing from the file (clipped extract); "
                "they were cut to their present nodes",
                source,
                self.clipped_ways,
            )
        return OsmData(
            source=source,
            sha256=sha256,
            crs=crs,
            highways=highways,
            buildings=self._frame("buildings", (*BUILDING_TAGS, "amenity"), crs, mode="inside"),
            police=self._police(crs),
            residential_areas=self._frame("residential", ("landuse", "name"), crs, mode="inside"),
            admin_areas=self._frame(
                "admin", ("name", "admin_level", "boundary"), crs, mode="intersects"
            ),
            data_date=data_date,
            clipped_ways=self.clipped_ways,
            cut_ways=cut_ways,
            file_bounds_lonlat=file_bounds,
        )

    def _frame(
        self, kind: str, keep: tuple[str, ...], crs: pyproj.CRS, *, mode: str
    ) -> gpd.GeoDataFrame:
        rows = self.areas[kind]
        geoms = shapely.from_wkb([r[3] for r in rows]) if rows else np.empty(0, dtype=object)
        # single-part multipolygons become plain polygons (as OSMnx returns them)
        if len(geoms):
            single = shapely.get_num_geometries(geoms) == 1
            geoms[single] = shapely.get_geometry(geoms[single], 0)
        data = {
            "osm_type": [r[0] for r in rows],
            "osm_id": np.asarray([r[1] for r in rows], dtype=np.int64),
        }
        for key in keep:
            data[key] = [r[2].get(key) for r in rows]  # type: ignore[attr-defined]
        frame = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=WGS84))
        frame = self._clip(frame, mode=mode)
        return frame.to_crs(crs).reset_index(drop=True)

    def _police(self, crs: pyproj.CRS) -> gpd.GeoDataFrame:
        frame = self._frame("police", ("name", "amenity", "police", "operator"), crs, mode="inside")
        # areas become a point inside the area (a station is reached at one door)
        frame["geometry"] = frame.geometry.representative_point()
        return frame

    def _clip(self, frame: gpd.GeoDataFrame, *, mode: str) -> gpd.GeoDataFrame:
        if self.area is None or frame.empty:
            return frame
        if mode == "inside":
            points = frame.geometry.representative_point().array
            keep = shapely.contains_xy(self.area, shapely.get_x(points), shapely.get_y(points))
        else:
            keep = shapely.intersects(self.area, frame.geometry.values)
        return frame[keep]
