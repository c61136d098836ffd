"""The units of a national plan: the places (cities, councils) that receive new stations.

Three sources, each checked as a whole (every problem reported at once):

- :func:`read_units`: a polygon file (GeoJSON, GeoPackage, Shapefile) with a name column and
  optional ``population`` (official total, calibrates that unit's residents), ``min_new``,
  ``max_new`` and ``quota`` (a number already decided: ``min_new = max_new = quota``) columns;
- :func:`units_from_osm`: the ``boundary=administrative`` polygons of one ``admin_level`` in
  the OSM file itself (the same single pass that reads the streets);
- :func:`read_manifest`: a CSV listing one OSM file per unit (``name``, ``osm``, optional
  ``stations``, ``population``, ``min_new``, ``max_new``, ``quota``).

:func:`prepare_units` turns the table into :class:`Unit` specs for the unit tasks:

- **Own area.** Residents are counted in at most one unit (those in none are reported:
  :func:`residents_outside_units`). Where units overlap, the overlap belongs to the unit listed
  first (file order): each unit's own area is its polygon minus those of the units before it.
  Slivers (under :data:`SLIVER_SHARE` of the smaller unit) are noted; larger overlaps are
  refused unless allowed, since they usually mean a city and its own districts in one file.
- **Walking buffer.** Each unit is handed the buildings and stations within its polygon plus a
  buffer of ``max_walk_m + max_snap_m + STREET_MARGIN_M`` (:func:`planner.osm.buffered_area`,
  the one home of the rule, which a city run with ``--boundary`` shares), and every street that
  passes through that buffered area, **whole** (:meth:`planner.osm.OsmScan.cut` with
  ``whole_ways``). Every walk of at most ``max_walk_m`` from a home inside the unit
  (door-to-street line, streets, street-to-station line) stays within ``max_walk_m`` of the
  home; the station lies within ``max_walk_m`` and its own street point within ``max_snap_m`` of
  the station; so every street point such a walk or snap can use lies in the buffered area, on a
  way kept whole. Coverage within the limit is therefore the same as in a run on the whole
  country (the margin covers the few metres by which a straight segment in degrees and one in
  metres differ). Walks longer than the limit (homes beyond it) may look longer than on the
  whole map.

:func:`assign_stations` hands every row of a national stations file to each unit whose
buffered area holds it (a station just across a border also serves the neighbour) and lists
the rows that fall in no unit.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from planner import _tables, i18n
from planner._crs import WGS84, utm_crs_for
from planner._format import plain
from planner._tables import LOCAL_NAME_COLUMNS, name_columns, read_polygons
from planner.demand import PopulationSettings, demand_from_buildings
from planner.errors import InputError
from planner.i18n import N_, gettext, ngettext
from planner.osm import STREET_MARGIN_M, OsmScan, buffer_m_for, buffered_area
from planner.settings import WalkSettings
from planner.snapping import door_points

__all__ = [
    "STREET_MARGIN_M",
    "Unit",
    "assign_stations",
    "buffer_m_for",
    "buffered_area",
    "prepare_units",
    "read_manifest",
    "read_units",
    "residents_outside_units",
    "units_from_osm",
]

log = logging.getLogger(__name__)

#: Overlaps smaller than this share of the smaller unit's area are digitising slivers.
SLIVER_SHARE = 0.01
#: Column names read as the unit name, in this order (case-insensitive): the shared list of
#: name columns, then the words for a unit (:func:`planner._tables.name_columns`).
NAME_COLUMNS = name_columns("units")
_COUNT_COLUMNS = ("min_new", "max_new", "quota")


@dataclass(frozen=True)
class Unit:
    """One unit as handed to its task: a pure, picklable description.

    Attributes
    ----------
    name
        The unit's name as given.
    folder
        Its folder under ``units/`` (the name made safe for file systems, unique).
    row
        Where it came from (file row, ``relation 123``, manifest row) for messages.
    area
        Its own territory (EPSG:4326): residents are counted and new sites placed only here.
        ``None`` for manifest units (the whole file is the unit).
    buffered
        ``area`` plus the walking buffer: what the unit's streets and stations are cut to.
    population
        Official total to calibrate the unit's residents to, or ``None``.
    min_new, max_new
        Bounds on the new stations it may receive (``max_new`` ``None``: no cap).
    osm_path, stations_path
        Manifest units: the unit's own OSM file and optional stations file.
    """

    name: str
    folder: str
    row: str
    area: BaseGeometry | None
    buffered: BaseGeometry | None
    population: float | None = None
    min_new: int = 0
    max_new: int | None = None
    osm_path: str | None = None
    stations_path: str | None = None
    outline: BaseGeometry | None = None  # the polygon as given (for maps), EPSG:4326
    name_ru: str | None = None  # the name in Russian / Kazakh, where the source has it
    name_kk: str | None = None

    def display_name(self, lang: str) -> str:
        """The name to show in ``lang``: ``name_ru``/``name_kk`` where known, else ``name``."""
        return getattr(self, f"name_{lang}", None) or self.name


# --- reading -----------------------------------------------------------------------------------


def read_units(
    path: str | Path, *, name_column: str | None = None, layer: str | None = None
) -> gpd.GeoDataFrame:
    """Unit polygons from a GeoJSON, GeoPackage or Shapefile, in EPSG:4326.

    Returns columns ``name``, ``row`` (``"row N"``, 1-based data row), ``population``,
    ``min_new``, ``max_new``, ``geometry``. Raises :class:`InputError` listing every problem.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            gettext("{path}: units file not found (it is a folder)").format(path=path)
            if path.is_dir()
            else gettext("{path}: units file not found").format(path=path),
            hint=gettext("Check the path (relative paths start in {cwd}).").format(cwd=Path.cwd()),
        )
    if path.suffix.lower() in {".csv", ".txt", ".xlsx", ".xls"}:
        raise InputError(
            gettext("{path}: a table, not a polygon file").format(path=path),
            hint=gettext(
                "--units needs polygons (GeoJSON, GeoPackage, Shapefile) with a name column; "
                "for a list of OSM files per city use --manifest."
            ),
        )
    frame = read_polygons(path, what="units", layer=layer)  # also refuses metres as degrees
    problems: list[str] = []
    column = _name_column(frame, name_column, problems)
    if frame.crs is None:
        problems.append(
            gettext("no coordinate reference system (save it with one, e.g. EPSG:4326)")
        )
    if frame.empty:
        problems.append(gettext("no rows"))
    if problems:
        raise InputError(
            gettext("{path}: the units file cannot be used").format(path=path),
            problems,
            gettext(_UNITS_HINT),
        )
    frame = frame.to_crs(WGS84)
    out = gpd.GeoDataFrame(
        {
            "name": [_clean_name(v) for v in frame[column]],
            # untranslated: the unit's source as national.json records it (see _row_text)
            "row": [f"row {i + 1}" for i in range(len(frame))],
        },
        geometry=frame.geometry.to_numpy(),
        crs=WGS84,
    )
    lower = {str(c).lower(): c for c in frame.columns}
    _local_names(out, frame, lower)
    out["population"] = _numbers(frame, lower.get("population"), out["row"], problems, "float")
    for key in _COUNT_COLUMNS:
        out[key] = _numbers(frame, lower.get(key), out["row"], problems, "count")
    _apply_quota(out, problems)
    _check_table(out, problems)
    if problems:
        raise InputError(
            gettext("{path}: the units file cannot be used").format(path=path),
            problems,
            gettext(_UNITS_HINT),
        )
    return out.drop(columns="quota")


_UNITS_HINT = N_(
    "Fix the rows listed (QGIS: Vector > Geometry Tools > Fix Geometries for invalid polygons) "
    "and run again."
)


def _local_names(out: pd.DataFrame, frame: pd.DataFrame, lower: dict[str, Any]) -> None:
    """Columns ``name_ru``/``name_kk`` of ``out`` from ``frame``'s ``name:ru``/``name_ru``/...
    columns (``lower``: its columns by lower-case name), where it has them."""
    for lang, candidates in LOCAL_NAME_COLUMNS.items():
        column = next((lower[c] for c in candidates if c in lower), None)
        if column is not None:
            names = [_clean_name(v) or None for v in frame[column]]
            if any(names):
                out[f"name_{lang}"] = names


def units_from_osm(scan: OsmScan, *, admin_level: int) -> gpd.GeoDataFrame:
    """The named ``boundary=administrative`` areas of ``admin_level`` in the OSM file.

    Names shared by several areas (Malta has two councils called Iż-Żebbuġ) get the OSM id
    added, e.g. ``"Iż-Żebbuġ (relation 1234)"``, so every unit is addressable.
    """
    admin = scan.admin_areas()
    level = admin["admin_level"].astype(str).str.strip()
    chosen = admin[(level == str(admin_level)) & admin["name"].notna()]
    if chosen.empty:
        found = sorted({str(v) for v in level if v and v != "None"}, key=_level_key)
        raise InputError(
            gettext("{source}: no named administrative boundary of admin_level={level}").format(
                source=scan.source, level=admin_level
            ),
            hint=(
                gettext(
                    "Levels in the file: {levels}; pick one with --admin-level, "
                    "or give unit polygons with --units."
                ).format(levels=", ".join(found))
                if found
                else gettext(
                    "The file has no administrative boundaries; give unit polygons with --units."
                )
            ),
        )
    chosen = chosen.sort_values(["name", "osm_id"], kind="stable").reset_index(drop=True)
    names = chosen["name"].map(_clean_name)
    shared = names.duplicated(keep=False).to_numpy()
    labels = [
        f"{n} ({t} {i})" if dup else n
        for n, t, i, dup in zip(names, chosen["osm_type"], chosen["osm_id"], shared, strict=True)
    ]
    out = gpd.GeoDataFrame(
        {
            "name": labels,
            "row": [f"{t} {i}" for t, i in zip(chosen["osm_type"], chosen["osm_id"], strict=True)],
            "population": np.nan,
            "min_new": 0,
            "max_new": np.nan,
        },
        geometry=chosen.geometry.to_numpy(),
        crs=WGS84,
    )
    _local_names(out, chosen, {c: c for c in chosen.columns})  # the name:ru, name:kk tags
    problems: list[str] = []
    _check_table(out, problems)
    if problems:
        raise InputError(
            gettext("{source}: its admin_level={level} areas").format(
                source=scan.source, level=admin_level
            ),
            problems,
        )
    return out


def read_manifest(path: str | Path) -> pd.DataFrame:
    """A table listing one OSM file per unit: ``name``, ``osm`` and optional ``stations``,
    ``population``, ``min_new``, ``max_new``, ``quota``. Paths are relative to its folder.

    Read like every table of the user (:func:`planner._tables.read_table`): CSV in UTF-8,
    UTF-16 or Windows-1251 separated by ``,``, ``;`` or tabs (decimal commas then allowed), or an
    .xlsx workbook. Rows are numbered as a spreadsheet shows them (the header is row 1).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            gettext("manifest {path} is a folder, not a file").format(path=path)
            if path.is_dir()
            else gettext("manifest {path} not found").format(path=path),
            hint=gettext("Check the path (relative paths start in {cwd}).").format(cwd=Path.cwd()),
        )
    table, numbers, _ = _tables.read_table(
        path,
        what="manifest",
        fits=_manifest_columns,
        fits_label=gettext("'name' and 'osm' columns"),
        row_noun=gettext("unit (name,osm)"),
    )
    lower: dict[str, str] = {}
    for c in table.columns:
        lower.setdefault(_tables._normalise(c), c)
    problems: list[str] = []
    for need in ("name", "osm"):
        if need not in lower:
            problems.append(
                gettext("no {column} column (columns: {columns})").format(
                    column=repr(need), columns=list(table.columns)
                )
            )
    if problems:
        raise InputError(
            gettext("{path}: the manifest cannot be used").format(path=path),
            problems,
            gettext(_MANIFEST_HINT),
        )
    base = path.parent
    rows = [f"row {n}" for n in numbers]  # untranslated: national.json's source (_row_text)
    out = pd.DataFrame(
        {"name": [_clean_name(v) for v in table[lower["name"]]], "row": rows},
    )
    _local_names(out, table, {str(c).lower(): c for c in table.columns})
    out["osm"] = [_resolve(base, v) for v in table[lower["osm"]]]
    out["stations"] = (
        [_resolve(base, v) or None for v in table[lower["stations"]]]
        if "stations" in lower
        else None
    )
    out["population"] = _numbers(table, lower.get("population"), out["row"], problems, "float")
    for key in _COUNT_COLUMNS:
        out[key] = _numbers(table, lower.get(key), out["row"], problems, "count")
    _apply_quota(out, problems)
    for row, name, osm, stations in zip(
        out["row"], out["name"], out["osm"], out["stations"], strict=True
    ):
        where = _row_text(row)
        if not name:
            problems.append(gettext("{row}: empty name").format(row=where))
        if not osm:
            problems.append(gettext("{row} ({name}): empty osm path").format(row=where, name=name))
        elif not Path(osm).is_file():
            problems.append(
                gettext("{row} ({name}): OSM file {osm} does not exist").format(
                    row=where, name=name, osm=osm
                )
            )
        if stations and not Path(stations).is_file():
            problems.append(
                gettext("{row} ({name}): stations file {stations} does not exist").format(
                    row=where, name=name, stations=stations
                )
            )
    _duplicates(out, problems)
    if problems:
        raise InputError(
            gettext("{path}: the manifest cannot be used").format(path=path),
            problems,
            gettext(_MANIFEST_HINT),
        )
    return out.drop(columns="quota")


def _row_text(row: str) -> str:
    """A unit's source for a message: ``"row 3"`` in the language in use, ``"relation 12"``
    (an OSM id) as it is."""
    if row.startswith("row ") and row[4:].isdigit():
        return gettext("row {n}").format(n=row[4:])
    return row


def _manifest_columns(cells: Sequence[object]) -> bool:
    names = {_tables._normalise(c) for c in cells}
    return {"name", "osm"} <= names


_MANIFEST_HINT = N_(
    "One row per unit: name,osm[,stations,population,min_new,max_new,quota]; paths relative "
    "to the manifest's folder."
)


# --- preparing ---------------------------------------------------------------------------------


def prepare_units(
    units: gpd.GeoDataFrame | pd.DataFrame,
    *,
    settings: WalkSettings,
    allow_overlap: bool = False,
) -> tuple[list[Unit], list[str]]:
    """:class:`Unit` specs (own areas, buffers, folders) and notes for the report.

    ``units`` is what :func:`read_units`, :func:`units_from_osm` or :func:`read_manifest`
    returned. Overlaps larger than slivers raise :class:`InputError` unless ``allow_overlap``.
    """
    folders = _folders(list(units["name"]))
    notes: list[str] = []
    if "osm" in units.columns and "geometry" not in units.columns:  # a manifest
        return [
            Unit(
                name=r.name,
                folder=f,
                row=r.row,
                area=None,
                buffered=None,
                population=_opt_float(r.population),
                min_new=int(r.min_new) if pd.notna(r.min_new) else 0,
                max_new=int(r.max_new) if pd.notna(r.max_new) else None,
                osm_path=str(r.osm),
                stations_path=None if r.stations is None else str(r.stations),
                **_local(r),
            )
            for r, f in zip(units.itertuples(), folders, strict=True)
        ], notes
    geoms = np.asarray(units.geometry.to_numpy(), dtype=object)
    own, overlap_notes, refused = _own_areas(geoms, list(units["name"]), list(units["row"]))
    notes += overlap_notes
    if refused and not allow_overlap:
        raise InputError(
            gettext(
                "units overlap: residents in an overlap would be counted in the unit listed first"
            ),
            refused,
            gettext(
                "If that is intended (say, a city listed before the suburbs it overlaps), run "
                "again with --allow-overlap; otherwise fix the file (a city and its own districts "
                "in one file?)."
            ),
        )
    if refused:
        notes += [
            gettext("{overlap} (allowed: the unit listed first keeps it)").format(overlap=r)
            for r in refused
        ]
    out = []
    for r, folder, area, geom in zip(units.itertuples(), folders, own, geoms, strict=True):
        out.append(
            Unit(
                name=r.name,
                folder=folder,
                row=r.row,
                area=area,
                buffered=buffered_area(geom, settings=settings),
                population=_opt_float(r.population),
                min_new=int(r.min_new) if pd.notna(r.min_new) else 0,
                max_new=int(r.max_new) if pd.notna(r.max_new) else None,
                outline=geom,
                **_local(r),
            )
        )
    return out, notes


def assign_stations(
    stations: gpd.GeoDataFrame, units: Sequence[Unit]
) -> tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame]:
    """Each unit's stations (those inside its buffered area) and the rows in no unit.

    ``stations`` is a table from :func:`planner.stations.read_stations` in any CRS; rows that are
    unusable for the file's own reasons (bad coordinates, ...) are not assigned and come back
    with the outside rows, keeping their ``problem``.
    """
    lonlat = stations.to_crs(WGS84)
    usable = lonlat["usable"].to_numpy(dtype=bool)
    points = lonlat.geometry.to_numpy()
    hit_any = np.zeros(len(lonlat), dtype=bool)
    per_unit: dict[str, gpd.GeoDataFrame] = {}
    for unit in units:
        if unit.buffered is None:
            continue
        inside = usable & shapely.contains_xy(
            unit.buffered, shapely.get_x(points), shapely.get_y(points)
        )
        inside &= ~shapely.is_missing(points)
        hit_any |= inside
        per_unit[unit.name] = stations[inside].copy()
    rest = stations[~hit_any].copy()
    reason = np.where(
        rest["usable"].to_numpy(dtype=bool),
        gettext("outside every unit (and its walking buffer)"),
        rest["problem"].astype(object).fillna("").to_numpy(),
    )
    rest["problem"] = reason
    return per_unit, rest


def residents_outside_units(
    scan: OsmScan,
    units: Sequence[Unit],
    *,
    population_settings: PopulationSettings | None = None,
    admin_level: int | None = None,
) -> gpd.GeoDataFrame:
    """The residential buildings of ``scan`` whose door lies in no unit's own area (EPSG:4326).

    They count in no unit, so a national run reports them rather than dropping them. Residents
    are estimated as a unit estimates its own (footprint and storeys, uncalibrated) and the door
    is tested in degrees, as :func:`planner.pipeline.city_from_osm` tests it. Column
    ``other_level_area``: with ``admin_level``, the named ``boundary=administrative`` area of
    another level holding the door that lies mostly outside the units (``"Ħal Tarxien (level
    7)"``), so the user can see which boundaries would close the gap; ``None`` otherwise.
    """
    columns = ["demand_id", "population", "building", "other_level_area"]
    empty = gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=WGS84)
    areas = [u.area for u in units if u.area is not None]
    if not areas:
        return empty
    union = shapely.union_all(areas)
    shapely.prepare(union)
    # only buildings not strictly inside the units can have their door outside them
    buildings, landuse = scan.homes_layers(skip_inside=union)
    if not len(buildings):
        return empty
    west, south, east, north = scan.bounds_lonlat
    crs = utm_crs_for((west + east) / 2, (south + north) / 2)
    residents = demand_from_buildings(
        buildings.to_crs(crs), landuse.to_crs(crs), settings=population_settings
    )
    residents = residents[residents["usable"].to_numpy(dtype=bool)].to_crs(WGS84)
    doors = door_points(residents)
    present = np.isfinite(doors).all(axis=1)
    inside = np.zeros(len(residents), dtype=bool)
    inside[present] = shapely.contains_xy(union, doors[present, 0], doors[present, 1])
    out = residents.loc[present & ~inside, ["demand_id", "population", "building", "geometry"]]
    out = out.reset_index(drop=True)
    out["other_level_area"] = _covering_boundaries(scan, out, union, admin_level)
    return out[[*columns, "geometry"]]


def _covering_boundaries(
    scan: OsmScan, outside: gpd.GeoDataFrame, union: BaseGeometry, admin_level: int | None
) -> list[str | None]:
    """For each building, the named boundary of another level around its door that lies mostly
    outside the units (the deepest level first), or ``None``."""
    found: list[str | None] = [None] * len(outside)
    if admin_level is None or not len(outside):
        return found
    admin = scan.admin_areas()
    levels = [str(v).strip() for v in admin["admin_level"]]
    names = list(admin["name"])
    geoms = admin.geometry.to_numpy()
    other = [i for i in range(len(admin)) if levels[i] != str(admin_level) and pd.notna(names[i])]
    other.sort(key=lambda i: -_level_key(levels[i])[0] % 10**6)  # the deepest level first
    doors = door_points(outside)
    for i in other:
        geom = geoms[i]
        if geom is None or shapely.area(geom) <= 0:
            continue
        if shapely.area(shapely.intersection(geom, union)) >= 0.5 * shapely.area(geom):
            continue  # mostly inside the units: a region or the country, not a gap's boundary
        hit = shapely.contains_xy(geom, doors[:, 0], doors[:, 1])
        for j in np.flatnonzero(hit):
            if found[j] is None:
                # untranslated: a machine-readable label (run._outside_note splits it)
                found[j] = f"{names[i]} (level {levels[i]})"
    return found


# --- helpers -----------------------------------------------------------------------------------


def _name_column(frame: pd.DataFrame, name_column: str | None, problems: list[str]) -> str:
    lower = {str(c).lower(): c for c in frame.columns if c != "geometry"}
    if name_column is not None:
        if name_column in frame.columns:
            return name_column
        problems.append(
            gettext("no column {column} (given with --name-column); columns: {columns}").format(
                column=repr(name_column), columns=list(lower.values())
            )
        )
        return ""
    for candidate in NAME_COLUMNS:
        if candidate in lower:
            return str(lower[candidate])
    problems.append(
        gettext(
            "no name column: the file has {columns}, looked for {names} "
            "(or name it with --name-column)"
        ).format(columns=list(lower.values()), names=list(NAME_COLUMNS))
    )
    return ""


def _local(row: Any) -> dict[str, str]:
    """The ``name_ru``/``name_kk`` of a units table row (:func:`_local_names`), where known."""
    out = {}
    for lang in LOCAL_NAME_COLUMNS:
        value = getattr(row, f"name_{lang}", None)
        if isinstance(value, str) and value:
            out[f"name_{lang}"] = value
    return out


def _clean_name(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return unicodedata.normalize("NFC", str(value)).strip()


def _numbers(
    frame: pd.DataFrame,
    column: object,
    rows: pd.Series,
    problems: list[str],
    kind: str,
) -> pd.Series:
    if column is None:
        return pd.Series(np.nan, index=range(len(frame)), dtype=float)
    raw = frame[column].reset_index(drop=True)
    text = raw.astype(str).str.strip().str.replace("\u00a0", "").str.replace(" ", "")
    blank = raw.isna().to_numpy() | text.isin(["", "nan", "None"]).to_numpy()
    values = pd.to_numeric(text.str.replace(",", "."), errors="coerce")
    for i in np.flatnonzero(~blank & values.isna().to_numpy()):
        problems.append(
            gettext("{row}: {column} {value} is not a number").format(
                row=_row_text(rows.iloc[i]), column=column, value=plain(raw.iloc[i])
            )
        )
    for i in np.flatnonzero(~blank & values.notna().to_numpy()):
        v = float(values.iloc[i])
        if v < 0 or (kind == "count" and v != int(v)):
            message = (
                gettext("{row}: {column} {value} must be a whole number >= 0")
                if kind == "count"
                else gettext("{row}: {column} {value} must be a number >= 0")
            )
            problems.append(
                message.format(row=_row_text(rows.iloc[i]), column=column, value=plain(raw.iloc[i]))
            )
    values[blank] = np.nan
    return values.astype(float)


def _apply_quota(out: pd.DataFrame, problems: list[str]) -> None:
    quota = out["quota"]
    has = quota.notna()
    for i in np.flatnonzero(has & (out["min_new"].notna() | out["max_new"].notna())):
        problems.append(
            gettext("{row}: give either quota or min_new/max_new, not both").format(
                row=_row_text(out["row"].iloc[i])
            )
        )
    out.loc[has, "min_new"] = quota[has]
    out.loc[has, "max_new"] = quota[has]
    out["min_new"] = out["min_new"].fillna(0)
    bad = out["max_new"].notna() & (out["max_new"] < out["min_new"])
    for i in np.flatnonzero(bad):
        problems.append(
            gettext("{row}: max_new {max_new} is below min_new {min_new}").format(
                row=_row_text(out["row"].iloc[i]),
                max_new=plain(out["max_new"].iloc[i]),
                min_new=plain(out["min_new"].iloc[i]),
            )
        )


def _duplicates(out: pd.DataFrame, problems: list[str]) -> None:
    key = out["name"].str.casefold()
    for name, group in out.groupby(key, sort=True):
        if name and len(group) > 1:
            problems.append(
                ngettext(
                    "name {name} is used by {n} units ({rows}); unit names must be unique",
                    "name {name} is used by {n} units ({rows}); unit names must be unique",
                    len(group),
                ).format(
                    name=repr(group["name"].iloc[0]),
                    n=len(group),
                    rows=", ".join(_row_text(r) for r in group["row"]),
                )
            )


def _check_table(out: gpd.GeoDataFrame, problems: list[str]) -> None:
    for i, (row, name) in enumerate(zip(out["row"], out["name"], strict=True)):
        geom = out.geometry.iloc[i]
        where = _row_text(row)
        label = f"{where} ({name})" if name else where
        if not name:
            problems.append(gettext("{row}: empty name").format(row=where))
        if geom is None or geom.is_empty:
            problems.append(gettext("{unit}: empty geometry").format(unit=label))
        elif geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(
                gettext("{unit}: a {type}, not a polygon").format(unit=label, type=geom.geom_type)
            )
        elif not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            problems.append(
                gettext("{unit}: invalid polygon ({reason})").format(unit=label, reason=reason)
            )
        elif not (geom.bounds[0] >= -180 and geom.bounds[2] <= 180 and geom.bounds[1] >= -90):
            problems.append(
                gettext("{unit}: coordinates outside longitude/latitude ranges").format(unit=label)
            )
    _duplicates(out, problems)


def _own_areas(
    geoms: np.ndarray, names: list[str], rows: list[str]
) -> tuple[list[BaseGeometry], list[str], list[str]]:
    """Each polygon minus the polygons listed before it; notes on slivers, refusals on more."""
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = sorted({(int(a), int(b)) for a, b in zip(left, right, strict=True) if b < a})
    earlier: dict[int, list[int]] = {}
    notes: list[str] = []
    refused: list[str] = []
    for later, first in pairs:
        shared = shapely.area(shapely.intersection(geoms[later], geoms[first]))
        if shared <= 0:
            continue  # touching borders
        smaller = min(shapely.area(geoms[later]), shapely.area(geoms[first]))
        share = shared / smaller if smaller > 0 else 1.0
        earlier.setdefault(later, []).append(first)
        text = gettext(
            "{first} ({first_row}) and {later} ({later_row}) overlap by {share} % of the smaller "
            "one; residents there count in {first}"
        ).format(
            first=names[first],
            first_row=_row_text(rows[first]),
            later=names[later],
            later_row=_row_text(rows[later]),
            share=_share_text(100 * share),
        )
        (notes if share < SLIVER_SHARE else refused).append(text)
    own = []
    for i, geom in enumerate(geoms):
        if i in earlier:
            geom = shapely.difference(geom, shapely.union_all(geoms[earlier[i]]))
        own.append(geom)
    return own, notes, refused


def _share_text(percent: float) -> str:
    """A percentage to two significant digits as :func:`planner._format.plain` writes it
    (``0.52``), with a decimal comma in ru/kk."""
    text = plain(percent, digits=2)
    return text if i18n.language() == "en" else text.replace(".", ",")


def _folders(names: list[str]) -> list[str]:
    """File-system-safe, unique folder names (letters of any script kept)."""
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        base = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", unicodedata.normalize("NFC", name))
        base = re.sub(r"\s+", "_", base).strip("._") or "unit"
        base = base[:80]
        folder, n = base, 2
        while folder.casefold() in seen:
            folder, n = f"{base}-{n}", n + 1
        seen.add(folder.casefold())
        out.append(folder)
    return out


def _resolve(base: Path, value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    p = Path(value)
    return str(p if p.is_absolute() else base / p)


def _opt_float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _level_key(value: str) -> tuple[int, str]:
    return (int(value), value) if value.isdigit() else (10**6, value)
