"""Districts: which district each resident lives in, and per-district population calibration.

A resident (a building, a raster cell point or a population point) belongs to the district
that contains its representative point; inside nested districts, to the smallest one; outside
every district it is ``"(outside)"`` (:func:`district_index`, :func:`district_names`).

Per-district calibration
------------------------
Footprint estimates miss homes wherever buildings are poorly mapped. When the districts file
carries each district's official population, :func:`calibrate_by_district` scales the
residents of each district by ``factor = official / estimate``, keeping the distribution
within the district. A factor above ``max_factor`` (default 3) or below ``1 / max_factor``
says the mapped buildings there are incomplete or wrong (the bundled Almaty map of 2012 under
the districts of 2024: Nauryzbay and Alatau, enlarged since, hold a few hundred estimated
residents against official figures above 200,000). Such a district is calibrated anyway (so
the city total is right) but flagged ``reliable = False``, logged as a warning, and every
report marks its numbers as unreliable: a population raster (``--population-raster``) is the
fix. A district without any estimated resident cannot be scaled; its official residents are
missing from the run, which the warning says. Residents outside every district are left as
estimated.

The bundled districts
---------------------
``data/almaty_districts_2024.geojson``: the 8 districts of Almaty in their 2024 boundaries
(geokz, A. Rodionov, CC BY 4.0) with the official population stated on each district's
gov.kz page (read 2025-2026; two of them are lower bounds, "more than ..."), see
``data/README.md``. The bundled streets and buildings are of 2012.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner import i18n
from planner._tables import local_names, name_columns, read_polygons
from planner.errors import InputError
from planner.i18n import N_, gettext, language, ngettext

__all__ = [
    "BUNDLED_ALMATY_DISTRICTS",
    "BUNDLED_ALMATY_OSM_SHA256",
    "DEFAULT_MAX_FACTOR",
    "DISTRICT_NAME_COLUMNS",
    "DistrictCalibration",
    "calibrate_by_district",
    "calibration_factors",
    "district_index",
    "district_names",
    "districts_note",
    "no_resident_warning",
    "osm_districts",
    "read_districts",
]

logger = logging.getLogger(__name__)

#: The bundled Almaty districts of 2024 with their official populations.
BUNDLED_ALMATY_DISTRICTS = (
    Path(__file__).resolve().parents[1] / "data" / "almaty_districts_2024.geojson"
)
#: A district whose calibration factor is above this, or below its inverse, is unreliable.
DEFAULT_MAX_FACTOR = 3.0
#: The name of residents outside every district in the tables.
OUTSIDE = "(outside)"

#: SHA-256 of the bundled Almaty OSM data of 2012 (``data/almaty_2012.osm.pbf``, see
#: ``data/README.md``): the bundled districts' note on the map's date is about that file only.
BUNDLED_ALMATY_OSM_SHA256 = "9582e95712cf1ab35f4458679a249472822e0a642804afa0ef5893994b8752a1"

_BUNDLED_SOURCE = N_("District boundaries of 2024 (geokz, A. Rodionov, CC BY 4.0)")
_BUNDLED_NOTE = N_(
    "{source} over the bundled OSM streets and buildings of 2012: districts added or enlarged "
    "since, such as Nauryzbay and Alatau, look nearly empty on the 2012 map."
)
_DATE_CHECK = N_(
    "check that their date matches the OSM data's (buildings missing from an older map make "
    "a district look emptier than it is)."
)


def districts_note(path: str | Path | None, *, osm_sha256: str | None = None) -> str | None:
    """What a reader must know about the districts file beside the OSM data, or ``None``.

    ``osm_sha256`` is the checksum of the OSM file read: the bundled districts of 2024 over
    the bundled Almaty map of 2012 get the note on that gap in time; over any other OSM data
    (or unknown data) they get the same reminder as any districts file.
    """
    if path is None:
        return None
    if Path(path).resolve() == BUNDLED_ALMATY_DISTRICTS:
        if osm_sha256 == BUNDLED_ALMATY_OSM_SHA256:
            return gettext(_BUNDLED_NOTE).format(source=gettext(_BUNDLED_SOURCE))
        return gettext("{source}: {check}").format(
            source=gettext(_BUNDLED_SOURCE), check=gettext(_DATE_CHECK)
        )
    return gettext("Districts from {name}: {check}").format(
        name=Path(path).name, check=gettext(_DATE_CHECK)
    )


def no_resident_warning(
    residents: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, *, name: str
) -> str | None:
    """A warning when not one resident lies in any of the districts, else ``None``.

    Districts of another city (or in the wrong place) would otherwise give a table where
    every resident is ``"(outside)"`` and every district empty, without a word; the warning
    gives both extents in degrees so that the mismatch is plain.
    """
    if residents.empty or districts.empty:
        return None
    if districts.crs != residents.crs:
        districts = districts.to_crs(residents.crs)
    if (district_index(residents.geometry, districts.geometry) >= 0).any():
        return None
    where = []
    for frame in (districts, residents):
        lon0, lon1, lat0, lat1 = frame.to_crs(4326).total_bounds[[0, 2, 1, 3]]
        where.append(
            gettext("longitude {lon0}..{lon1}, latitude {lat0}..{lat1}").format(
                lon0=f"{lon0:.2f}", lon1=f"{lon1:.2f}", lat0=f"{lat0:.2f}", lat1=f"{lat1:.2f}"
            )
        )
    n = len(districts)
    return ngettext(
        "no resident lies in any of the {n} districts of {name}: the districts ({districts}) do "
        "not cover the residents of the OSM data ({residents}); is it the districts file of "
        "another area? Every resident is counted as {outside}.",
        "no resident lies in any of the {n} districts of {name}: the districts ({districts}) do "
        "not cover the residents of the OSM data ({residents}); is it the districts file of "
        "another area? Every resident is counted as {outside}.",
        n,
    ).format(
        n=n if i18n.language() == "en" else i18n.fmt_int(n),
        name=name,
        districts=where[0],
        residents=where[1],
        outside=OUTSIDE,
    )


# ---------------------------------------------------------------------------------------------
# which district


def district_index(geometries: Any, districts: Any) -> np.ndarray:
    """Position (in ``districts``) of the district holding each geometry, ``-1`` for none.

    A geometry counts where its representative point lies (a point inside a polygon), and
    inside nested districts in the smallest one. Both arguments are arrays (or GeoSeries) of
    shapely geometries in the same CRS.
    """
    polygons = np.asarray(getattr(districts, "values", districts), dtype=object)
    geoms = np.asarray(getattr(geometries, "values", geometries), dtype=object)
    out = np.full(geoms.size, -1, dtype=np.int64)
    if not geoms.size or not polygons.size:
        return out
    points = shapely.point_on_surface(geoms)
    pt_idx, poly_idx = shapely.STRtree(polygons).query(points, predicate="within")
    area = shapely.area(polygons)
    order = np.lexsort((area[poly_idx], pt_idx))
    pt_idx, poly_idx = pt_idx[order], poly_idx[order]
    first = np.ones(pt_idx.size, dtype=bool)
    first[1:] = pt_idx[1:] != pt_idx[:-1]
    out[pt_idx[first]] = poly_idx[first]
    return out


def district_names(
    frame: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, *, name_column: str = "name"
) -> np.ndarray:
    """The district name of each row of ``frame`` (``"(outside)"`` for none), any CRS."""
    if districts.crs != frame.crs:
        districts = districts.to_crs(frame.crs)
    index = district_index(frame.geometry, districts.geometry)
    names = districts[name_column].astype(str).to_numpy(dtype=object)
    out = np.full(index.size, OUTSIDE, dtype=object)
    out[index >= 0] = names[index[index >= 0]]
    return out


# ---------------------------------------------------------------------------------------------
# numeric core


def calibration_factors(
    district: np.ndarray, population: np.ndarray, official: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Estimated residents and ``official / estimate`` of every district.

    Parameters
    ----------
    district
        District position of each resident (``-1``: outside every district).
    population
        Estimated residents of each resident row (``NaN`` counts as 0).
    official
        Official population of each district (``NaN`` where unknown).

    Returns
    -------
    tuple of numpy.ndarray
        The estimate of each district and its factor: ``NaN`` where the official figure is
        unknown, ``inf`` where the estimate is 0 but the official figure is not, and 1 where
        both are 0.
    """
    district = np.asarray(district, dtype=np.int64)
    official = np.asarray(official, dtype=np.float64)
    weights = np.nan_to_num(np.asarray(population, dtype=np.float64), nan=0.0)
    inside = district >= 0
    estimate = np.bincount(district[inside], weights=weights[inside], minlength=official.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = official / estimate
    factor = np.where((estimate == 0) & (official == 0), 1.0, factor)
    factor = np.where(np.isnan(official), np.nan, factor)
    return estimate, factor


# ---------------------------------------------------------------------------------------------
# frame adapter


@dataclass(frozen=True, eq=False)
class DistrictCalibration:
    """Residents scaled district by district to official figures (:func:`calibrate_by_district`).

    Attributes
    ----------
    residents
        The input residents with ``population`` scaled.
    table
        One row per district, in the districts' order, then ``"(outside)"`` if anyone is
        outside: ``district``, ``estimated_residents`` (before), ``official_population``,
        ``calibration_factor`` (``NaN`` where it could not be applied), ``residents`` (after),
        ``reliable`` (False where the factor is extreme, the district has no estimated
        resident, or no official figure) and ``note``.
    max_factor
        The limit of a plausible factor used.
    """

    residents: gpd.GeoDataFrame
    table: pd.DataFrame
    max_factor: float

    @property
    def unreliable(self) -> list[str]:
        """Names of the districts whose numbers are not reliable."""
        rows = self.table[(self.table["district"] != OUTSIDE) & ~self.table["reliable"]]
        return rows["district"].tolist()


def calibrate_by_district(
    residents: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    *,
    population_column: str = "population",
    name_column: str = "name",
    max_factor: float = DEFAULT_MAX_FACTOR,
) -> DistrictCalibration:
    """Scale each district's residents to its official population (module docstring).

    Parameters
    ----------
    residents
        The demand frame (``population`` and geometry).
    districts
        District polygons with ``name_column`` and ``population_column`` (the official
        figures; empty cells mean unknown).
    population_column
        The districts' official population column.
    name_column
        The districts' name column.
    max_factor
        Factors above this or below ``1 / max_factor`` flag the district as unreliable.
    """
    problems = []
    for column in (name_column, population_column):
        if column not in districts.columns:
            problems.append(
                gettext("the districts have no column {column}").format(column=repr(column))
            )
    if "population" not in residents.columns:
        problems.append(gettext("the residents have no 'population' column"))
    if not (isinstance(max_factor, int | float) and math.isfinite(max_factor) and max_factor > 1):
        problems.append(
            gettext("max_factor={value} must be a number above 1, e.g. 3").format(
                value=repr(max_factor)
            )
        )
    if problems:
        raise InputError(
            gettext("calibrate_by_district: cannot calibrate"),
            problems,
            gettext(
                "Give district polygons with a name and an official population column (columns "
                "now: {columns})."
            ).format(columns=[c for c in districts.columns if c != districts.geometry.name]),
        )
    if districts.crs != residents.crs:
        districts = districts.to_crs(residents.crs)
    names = districts[name_column].astype(str).to_numpy(dtype=object)
    official = pd.to_numeric(districts[population_column], errors="coerce").to_numpy(dtype=float)
    where = district_index(residents.geometry, districts.geometry)
    population = residents["population"].to_numpy(dtype=np.float64)
    estimate, factor = calibration_factors(where, population, official)
    usable = np.isfinite(factor)
    applied = np.where(usable, factor, 1.0)
    per_row = np.where(where >= 0, applied[np.maximum(where, 0)], 1.0)
    out = residents.copy()
    out["population"] = population * per_row

    low = 1.0 / max_factor
    extreme = usable & ((factor > max_factor) | (factor < low))
    reliable = usable & ~extreme
    notes: list[str] = []
    for i in range(names.size):
        if np.isnan(official[i]):
            notes.append(gettext("no official figure: left as estimated"))
        elif not usable[i]:
            notes.append(
                ngettext(
                    "no resident estimated in the mapped buildings: its official {n} residents "
                    "are missing from this run; use a population raster",
                    "no resident estimated in the mapped buildings: its official {n} residents "
                    "are missing from this run; use a population raster",
                    official[i],
                ).format(n=_thousands(official[i]))
            )
        elif extreme[i]:
            notes.append(
                gettext(
                    "factor {factor} is outside {low}..{high}: the buildings here look incomplete "
                    "or wrong; numbers not reliable; use a population raster"
                ).format(
                    factor=_decimal(factor[i]), low=_decimal(low), high=_decimal(max_factor, "g")
                )
            )
        else:
            notes.append("")
    after = np.bincount(
        where[where >= 0],
        weights=np.nan_to_num(out["population"].to_numpy(dtype=np.float64)[where >= 0]),
        minlength=names.size,
    )
    table = pd.DataFrame(
        {
            "district": names,
            "estimated_residents": estimate,
            "official_population": official,
            "calibration_factor": np.where(usable, factor, np.nan),
            "residents": after,
            "reliable": reliable,
            "note": notes,
        }
    )
    outside = where < 0
    if outside.any():
        outside_population = float(np.nansum(population[outside]))
        table = pd.concat(
            [
                table,
                pd.DataFrame(
                    {
                        "district": [OUTSIDE],
                        "estimated_residents": [outside_population],
                        "official_population": [np.nan],
                        "calibration_factor": [np.nan],
                        "residents": [outside_population],
                        "reliable": [False],
                        "note": [gettext("outside every district: left as estimated")],
                    }
                ),
            ],
            ignore_index=True,
        )
    for j in np.flatnonzero((~usable & ~np.isnan(official)) | extreme):
        logger.warning(
            gettext("district {name}: {note}").format(name=names[j], note=notes[j])
        )
    logger.info(  # untranslated: info log for developers (the CLI shows warnings only)
        "population calibrated by district: %.0f estimated, %.0f after (%d of %d districts "
        "reliable)",
        float(np.nansum(population)),
        float(out["population"].sum()),
        int(reliable.sum()),
        names.size,
    )
    return DistrictCalibration(residents=out, table=table, max_factor=float(max_factor))


def _thousands(value: float) -> str:
    """``1,234,567`` as the notes have always written it in English, ``1 234 567`` in ru/kk."""
    return f"{value:,.0f}" if i18n.language() == "en" else i18n.fmt_int(value)


def _decimal(value: float, spec: str = ".2f") -> str:
    """A number of the notes (``2.35``), with a decimal comma in ru/kk."""
    text = format(float(value), spec)
    return text if i18n.language() == "en" else text.replace(".", ",")


# --- reading districts -------------------------------------------------------------------------


#: Columns read as a district's name, in this order (case-insensitive): the shared list of
#: name columns, then the words for a district (:func:`planner._tables.name_columns`).
DISTRICT_NAME_COLUMNS = name_columns("districts")


def read_districts(
    path: str | Path, *, crs: Any, population_column: str | None = None
) -> gpd.GeoDataFrame:
    """District polygons from a GeoPackage, GeoJSON or shapefile, with a ``name`` column.

    The name comes from the first of :data:`DISTRICT_NAME_COLUMNS` present (case-insensitive);
    rows without a polygon are left out and counted in the logger. With ``population_column``
    (``--district-population-column``), that column is kept as ``population``: each
    district's official population (an empty cell means unknown); every value that is not a
    non-negative number is reported, with its row and district.
    """
    frame = read_polygons(path, what="districts")
    problems = []
    lower = {str(c).lower(): c for c in frame.columns}
    name_column = next((lower[c] for c in DISTRICT_NAME_COLUMNS if c in lower), None)
    if name_column is None:
        problems.append(
            gettext("no name column: the file has {columns}, looked for {names}").format(
                columns=[c for c in frame.columns if c != "geometry"],
                names=list(DISTRICT_NAME_COLUMNS),
            )
        )
    polygonal = frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if not polygonal.any():
        problems.append(gettext("no polygons (districts must be areas, not points or lines)"))
    if frame.crs is None:
        problems.append(
            gettext("no coordinate reference system (save it with one, e.g. EPSG:4326)")
        )
    official = None
    if population_column is not None:
        if population_column not in frame.columns:
            problems.append(
                gettext(
                    "--district-population-column {column}: no such column; the file has "
                    "{columns}"
                ).format(
                    column=population_column,
                    columns=[c for c in frame.columns if c != "geometry"],
                )
            )
        else:
            raw = frame[population_column]
            official = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
            blank = raw.isna().to_numpy() | (raw.astype(str).str.strip() == "").to_numpy()
            for i in np.flatnonzero((np.isnan(official) & ~blank) | (official < 0)):
                label = frame[name_column].iloc[i] if name_column is not None else "?"
                problems.append(
                    gettext(
                        "row {row} ({name}), column {column}: {value} is not a number of "
                        "residents (0 or more)"
                    ).format(
                        row=i + 1,
                        name=label,
                        column=repr(population_column),
                        value=repr(raw.iloc[i]),
                    )
                )
    if problems:
        raise InputError(
            gettext("{path}: the districts file cannot be used").format(path=path),
            problems,
            gettext(
                "Give district polygons with a 'name' column, e.g. exported from QGIS as "
                "GeoPackage, and official populations as plain numbers (empty where unknown)."
            )
            if population_column is not None
            else gettext(
                "Give district polygons with a 'name' column, e.g. exported from QGIS as "
                "GeoPackage."
            ),
        )
    if (~polygonal).any():
        logger.info(  # untranslated: info log for developers (the CLI shows warnings only)
            "%s: %d rows without a polygon left out", path, int((~polygonal).sum())
        )
    out = frame.to_crs(crs)
    out[name_column] = local_names(frame, name_column, lang=language())
    out = out.rename(columns={name_column: "name"}) if name_column != "name" else out
    id_column = next((lower[c] for c in ("osm_id", "id", "@id") if c in lower), None)
    ids = [
        None
        if id_column is None or pd.isna(v)
        else f"{id_column} {int(v) if isinstance(v, float) and v.is_integer() else v}"
        for v in (frame[id_column] if id_column is not None else [None] * len(frame))
    ]
    out["name"] = _unique_district_names(out["name"], ids)
    out = out[["name", "geometry"]].copy()
    if official is not None:
        out.insert(1, "population", official)
    return out[polygonal].reset_index(drop=True)


#: Named OSM administrative areas serve as districts only if they hold at least this share of
#: the residents; otherwise the table would be mostly "(outside)" (the bundled Almaty 2012 data
#: has 3 small named suburbs holding 0.3 % of the residents).
MIN_DISTRICT_SHARE = 0.5


def osm_districts(
    admin_areas: gpd.GeoDataFrame, residents: gpd.GeoDataFrame
) -> gpd.GeoDataFrame | None:
    """The named OSM administrative areas as districts, if they hold enough of the residents."""
    named = admin_areas[admin_areas["name"].notna()]
    if named.empty or residents.empty:
        return None
    ids: list[str | None] = [None] * len(named)
    if {"osm_type", "osm_id"} <= set(named.columns):
        ids = [f"{t} {i}" for t, i in zip(named["osm_type"], named["osm_id"], strict=True)]
    local = local_names(named, "name", lang=language())  # name:ru / name:kk where tagged
    named = named.assign(name=_unique_district_names(local, ids))
    points = shapely.point_on_surface(residents.geometry.to_numpy())
    inside = np.zeros(points.size, dtype=bool)
    hit, _ = shapely.STRtree(named.geometry.to_numpy()).query(points, predicate="within")
    inside[hit] = True
    population = residents["population"].to_numpy(dtype=float)
    share = float(population[inside].sum() / population.sum()) if population.sum() > 0 else 0.0
    if share < MIN_DISTRICT_SHARE:
        logger.info(  # untranslated: info log for developers (the CLI shows warnings only)
            "named OSM administrative areas hold %.1f%% of the residents: not used as districts "
            "(give a districts file for a per-district table)",
            100 * share,
        )
        return None
    return named


def _unique_district_names(names: pd.Series, ids: Sequence[str | None]) -> list[str]:
    """Two districts with one name stay two, told apart by their id ("Ir-Rabat (relation
    7510565)") or, without one, by their row ("Ir-Rabat (row 3)")."""
    text = [str(n) for n in names]
    shared = pd.Series(text).duplicated(keep=False).to_numpy()
    out = [f"{n} ({ids[i] or f'row {i + 1}'})" if shared[i] else n for i, n in enumerate(text)]
    if len(set(out)) < len(out):  # the ids repeat too
        out = [f"{n} (row {i + 1})" if shared[i] else n for i, n in enumerate(text)]
    return out
