"""Read user point tables (stations, candidate sites, population points) and check every row.

One reader serves every table of points a user brings: CSV (spreadsheet exports: UTF-8,
Windows-1251 or UTF-16 "Unicode text"), Excel workbooks (``.xlsx``), GeoJSON, GeoPackage (any
vector format GDAL reads, e.g. shapefiles) and GeoParquet/Parquet (needs ``pyarrow``). It
never drops a row silently: the result holds **every** row of the file with

``row``
    The row number as the user sees it. CSV: the header is row 1, so the first data row is
    row 2, as a spreadsheet shows it. Vector files: features are numbered from 1 in file order.
``name``
    The name column if one was given or found (``name``, ``название``, ``имя``, ``title``,
    ...), else ``None``.
one column per ``value_columns`` entry
    Parsed as non-negative floats (``NaN`` when the row is unusable for that reason).
``lon``, ``lat``
    The position in degrees (EPSG:4326) as read, ``NaN`` when it could not be read.
``usable``, ``problem``
    ``usable`` is ``False`` for rows that cannot be used; ``problem`` says why, naming the
    column and the value (``""`` for usable rows).
``geometry``
    The point in the requested metric CRS (``None`` for unusable rows).

plus the other columns of the file, unchanged (renamed ``input_<name>`` if they clash with the
names above). :class:`~planner.errors.InputError` is raised only when the file as a whole is
unusable: missing, empty, no coordinate columns, or not a single usable row. Otherwise the
unusable rows are logged and kept, so outputs can list them with their reason.

Coordinates in CSV come from a latitude and a longitude column, found by name (case-insensitive,
ignoring a unit in brackets): ``lat``, ``latitude``, ``y``, ``широта`` and ``lon``, ``lng``,
``long``, ``longitude``, ``x``, ``долгота``; or from a single column ``coordinates`` (also
``coords``, ``lat,lon``, ``latlon``, ``координаты``) holding ``"43.25, 76.95"`` in latitude,
longitude order, the order map services copy (a column named ``lon,lat`` or ``lonlat`` is read
the other way round). Kazakh headers (``ендік``, ``бойлық``, ``атауы``) are read like the
Russian ones. A decimal comma (``43,25``) is accepted in ``;``- or tab-separated files; in a
comma-separated file a quoted ``"43,25"`` is reported with a hint, and unquoted decimal commas,
which split every number in two and shift the columns, stop the read with an explanation.
Degrees-minutes-seconds (``43°15'07.2"N``, ``43° 15.12' N``) are converted to degrees.

A workbook or GeoPackage with several sheets or layers is read from the one that fits (the only
sheet with coordinate columns, the only layer of points); when none or several fit, ``layer``
must name it and the error lists them.

Polygons in vector files are replaced by their representative point (a point guaranteed to lie
inside the polygon, unlike the centroid of an L-shaped building): a police station mapped as a
building outline is still one station. Lines, collections and multi-points with several points
are marked unusable, since it is unclear which point is meant.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner import i18n
from planner._crs import WGS84, looks_like_metres, noun, require_degrees, require_metric_crs
from planner.errors import ArgumentTypeError, InputError
from planner.i18n import N_, gettext, ngettext

__all__ = [
    "NAME_COLUMNS",
    "declared_illustrative",
    "illustrative_fields",
    "mark_unusable",
    "name_columns",
    "read_point_table",
    "read_polygons",
    "read_table",
    "row_problems",
]

logger = logging.getLogger(__name__)

#: Column names (normalised: lower case, unit in brackets removed) read as latitude/longitude.
LAT_NAMES = ("lat", "latitude", "широта", "ендік", "lat_deg", "y")
LON_NAMES = ("lon", "lng", "long", "longitude", "долгота", "бойлық", "lon_deg", "x")
#: A single column holding both, in latitude, longitude order ...
PAIR_LATLON_NAMES = (
    "coordinates",
    "coords",
    "lat,lon",
    "lat, lon",
    "latlon",
    "lat_lon",
    "координаты",
    "координаттар",
)
#: ... or in longitude, latitude order.
PAIR_LONLAT_NAMES = ("lon,lat", "lon, lat", "lonlat", "lon_lat")
#: Columns read as a feature's name, in this order (case-insensitive): one list for every file
#: with names (stations, candidate sites, population points, districts, national units).
NAME_COLUMNS = (
    "name",
    "название",
    "наименование",
    "имя",
    "title",
    "атауы",
    "name_ru",
    "name_kk",
    "name_en",
)
#: After those, polygons are also named by the word for what they are.
_KIND_NAME_COLUMNS = {
    "districts": ("district", "район", "аудан"),
    "units": ("unit", "city", "город"),
}


def name_columns(kind: str | None = None) -> tuple[str, ...]:
    """The name columns looked for in a file of ``kind`` (``"districts"``, ``"units"``)."""
    return NAME_COLUMNS + _KIND_NAME_COLUMNS.get(kind or "", ())


#: A place's name in Russian and Kazakh: these columns of a file (or tags of an OSM boundary),
#: case-insensitive, the OSM tag first (it wins over the column spelling).
LOCAL_NAME_COLUMNS = {"ru": ("name:ru", "name_ru"), "kk": ("name:kk", "name_kk")}


def local_names(frame: pd.DataFrame, name_column: Any, *, lang: str) -> pd.Series:
    """The names of ``frame`` in the language ``lang``: per row, the first non-empty cell of
    ``name:<lang>`` / ``name_<lang>`` (OSM's tag and its usual column spelling,
    case-insensitive), else ``name_column``'s. English, and a file without such a column, keep
    ``name_column`` as it is."""
    base = frame[name_column]
    if lang not in LOCAL_NAME_COLUMNS:
        return base
    lower = {str(c).lower(): c for c in frame.columns}
    out = base.copy()
    for key in reversed(LOCAL_NAME_COLUMNS.get(lang, ())):  # the OSM tag wins: applied last
        column = lower.get(key)
        if column is None:
            continue
        value = frame[column]
        usable = value.notna() & (value.astype(str).str.strip() != "")
        out = out.where(~usable, value.astype(str).str.strip())
    return out

#: Columns in which a file may say that it is made up (normalised names), and comment lines
#: (``# ...`` above a CSV header) are read for the same words: see :func:`declared_illustrative`.
NOTE_NAMES = (
    "note",
    "notes",
    "source",
    "data_source",
    "comment",
    "comments",
    "remark",
    "примечание",
    "комментарий",
    "источник",
    "ескертпе",
)
#: Words by which a file declares itself illustrative or synthetic (case-insensitive).
ILLUSTRATIVE_WORDS = re.compile(
    r"illustrative|synthetic|made[ -]up|not real|fictional|fictitious|dummy data|fake data|"
    r"иллюстратив|синтетич|вымышлен|выдуман|не реальн|нереальн|условные данные",
    re.IGNORECASE,
)

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb")
PARQUET_SUFFIXES = (".parquet", ".geoparquet")

#: The public reader of each kind of table, for messages about the call.
_READERS = {
    "stations": "read_stations",
    "candidate sites": "read_candidates",
    "proposals": "read_candidates",
    "population points": "demand_from_points",
}

#: Output columns made by the reader; file columns with these names are renamed input_<name>.
_RESERVED = ("row", "name", "lon", "lat", "usable", "problem", "geometry")


def _normalise(column: object) -> str:
    text = str(column).replace("\ufeff", "").strip().strip('"').strip().lower()
    text = re.sub(r"\s*[\(\[][^\)\]]*[\)\]]\s*$", "", text)  # "Latitude (deg)" -> "latitude"
    return text.strip()


def _find_column(columns: Sequence[str], candidates: Sequence[str]) -> str | None:
    normalised = {_normalise(c): c for c in reversed(list(columns))}
    for candidate in candidates:
        if candidate in normalised:
            return normalised[candidate]
    return None


def _to_float(
    text: pd.Series, *, decimal_comma: bool, dms: bool = False, kind: str | None = None
) -> pd.Series:
    """Parse text to float (NaN where empty or not a number); numbers pass through.

    With ``dms``, degrees-minutes-seconds (``42°52'14.2"N``) are converted to degrees too.
    """
    if pd.api.types.is_numeric_dtype(text):
        return text.astype("float64")
    raw = text.astype(object).where(text.notna(), "").astype(str).str.strip()
    cleaned = raw.str.replace("\u00b0", "", regex=False).str.replace("\u2212", "-")
    if decimal_comma:
        cleaned = cleaned.str.replace(",", ".", regex=False)
    values = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    if dms:
        failed = values.isna() & (raw != "")
        if failed.any():
            values[failed] = [_parse_dms(t, kind) for t in raw[failed]]
    return values


#: Degrees, minutes, seconds: 42°52'14.2"N, 42° 52.237' N, N 42 52 14, 76°57′E, 42:52:14.
_DMS = re.compile(
    r"""^\s*(?P<h1>[NSEWСЮВЗ])?\s*
    (?P<deg>[-+\u2212]?\d+(?:[.,]\d+)?)\s*(?:°|º|˚|deg|град\.?|[:\s])?\s*
    (?:(?P<min>\d+(?:[.,]\d+)?)\s*(?:'|′|’|`|min|мин\.?|[:\s])?\s*)?
    (?:(?P<sec>\d+(?:[.,]\d+)?)\s*(?:"|″|''|”|′′|sec|сек\.?)?\s*)?
    (?P<h2>[NSEWСЮВЗ]|с\.?\s*ш\.?|ю\.?\s*ш\.?|в\.?\s*д\.?|з\.?\s*д\.?)?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)
_SOUTH_WEST = ("S", "W", "Ю", "З")
#: Hemisphere letters of each kind of coordinate (Cyrillic: север, юг, восток, запад).
_HEMISPHERES = {"latitude": ("N", "S", "С", "Ю"), "longitude": ("E", "W", "В", "З")}


def _hemisphere(text: str) -> str:
    match = _DMS.match(text)
    return (match["h1"] or match["h2"] or "").strip().upper()[:1] if match else ""


def _parse_dms(text: str, kind: str | None = None) -> float:
    """``42°52'14.2"N`` -> 42.870611; NaN when the text is not degrees-minutes-seconds, or
    when its hemisphere letter belongs to the other ``kind`` (an N in a longitude column)."""
    match = _DMS.match(text)
    if not match or (match["min"] is None and match["h1"] is None and match["h2"] is None):
        return float("nan")

    def number(part: str | None) -> float:
        return float(part.replace(",", ".")) if part else 0.0

    degrees = match["deg"].replace("\u2212", "-")
    sign = -1.0 if degrees.startswith("-") else 1.0
    minutes, seconds = number(match["min"]), number(match["sec"])
    if minutes >= 60 or seconds >= 60:
        return float("nan")
    value = abs(number(degrees)) + minutes / 60 + seconds / 3600
    hemisphere = (match["h1"] or match["h2"] or "").strip().upper()[:1]
    if kind in _HEMISPHERES and hemisphere and hemisphere not in _HEMISPHERES[kind]:
        return float("nan")
    if hemisphere in _SOUTH_WEST:
        sign = -1.0
    return sign * value


def _is_blank(values: pd.Series) -> np.ndarray:
    as_text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    return np.asarray(as_text == "")


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return repr(str(value)) if isinstance(value, str) else str(value)


def _count(n: int) -> str:
    """A count in a message: as Python writes it in English, thousands apart in ru/kk."""
    return str(n) if i18n.language() == "en" else i18n.fmt_int(n)


#: How the rows of a table are numbered, said under the list of its unusable rows.
ROW_NUMBERING = N_("Row numbers count the header line as row 1, as a spreadsheet shows them.")
FEATURE_NUMBERING = N_("Features are numbered from 1 in file order.")
#: One unusable row of the list, by what a row of the file is (``"row"``, ``"feature"``).
_LABELLED = {"row": N_("row {row}: {problem}"), "feature": N_("feature {row}: {problem}")}


def _labelled(label: str, row: object, problem: str) -> str:
    """``"row 14: <problem>"`` in the language in use (another ``label`` as it is given)."""
    if label in _LABELLED:
        return gettext(_LABELLED[label]).format(row=row, problem=problem)
    return f"{label} {row}: {problem}"


class _Rows:
    """Problems per row, collected so that all of them can be reported together."""

    def __init__(self, n: int) -> None:
        self.problems: list[list[str]] = [[] for _ in range(n)]

    def add(self, mask: np.ndarray, message: Callable[[int], str]) -> None:
        for i in np.flatnonzero(mask):
            self.problems[i].append(message(int(i)))

    def bad(self) -> np.ndarray:
        return np.array([bool(p) for p in self.problems], dtype=bool)

    def subset(self, keep: np.ndarray) -> _Rows:
        """The problems of the rows in ``keep`` (boolean), renumbered in order."""
        out = _Rows(0)
        out.problems = [p for p, k in zip(self.problems, keep, strict=True) if k]
        return out


def beyond_reach(
    lat: np.ndarray, lon: np.ndarray, bounds: tuple[float, float, float, float]
) -> np.ndarray:
    """Rows whose position lies outside ``bounds`` (degrees) read either way round.

    ``bounds`` is ``(min_lon, min_lat, max_lon, max_lat)`` of where a point can still reach the
    study area on foot (:func:`planner.stations.walking_reach_lonlat_bounds`). A row that would
    fall inside with latitude and longitude exchanged is not beyond reach: it is kept, to be
    reported as swapped. Rows with a missing, impossible (``|lat| > 90``, ``|lon| > 180``) or
    placeholder (0, 0) position are kept too, to be reported with their problem.
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    min_lon, min_lat, max_lon, max_lat = bounds
    with np.errstate(invalid="ignore"):
        valid = (
            np.isfinite(lat)
            & np.isfinite(lon)
            & (np.abs(lat) <= 90)
            & (np.abs(lon) <= 180)
            & ~((lat == 0) & (lon == 0))
        )
        inside = (lon >= min_lon) & (lon <= max_lon) & (lat >= min_lat) & (lat <= max_lat)
        swapped = (lat >= min_lon) & (lat <= max_lon) & (lon >= min_lat) & (lon <= max_lat)
    return np.asarray(valid & ~inside & ~swapped, dtype=bool)


def read_point_table(
    path: str | Path,
    *,
    what: str,
    crs: Any,
    name_column: str | None = None,
    value_columns: Sequence[str] = (),
    area_lonlat_bounds: tuple[float, float, float, float] | None = None,
    duplicate_tolerance_m: float | None = 1.0,
    layer: str | None = None,
    reach_lonlat_bounds: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Read a table of points, check every row and project it to a metric CRS.

    Parameters
    ----------
    path
        CSV, GeoJSON, GeoPackage (or another GDAL vector format) or (Geo)Parquet file.
    what
        What the points are, for messages: ``"stations"``, ``"candidate sites"``,
        ``"proposals"``.
    crs
        The metric CRS to project to (the CRS of the walk network).
    name_column
        Column holding the names; found automatically when ``None``.
    value_columns
        Columns that must exist and hold non-negative numbers (e.g. ``("population",)``),
        matched case-insensitively and returned under the name given here.
    area_lonlat_bounds
        ``(min_lon, min_lat, max_lon, max_lat)`` of the study area in degrees. Rows outside it
        are unusable; rows that fall inside once latitude and longitude are exchanged are
        reported as swapped.
    duplicate_tolerance_m
        A row within this distance of an earlier usable row is unusable (a duplicate). ``None``
        keeps duplicates (population points: two records at one address are both real).
    layer
        Layer of a multi-layer file (GeoPackage) or sheet of an Excel workbook. When ``None``
        and the file has several, the one that fits is taken (the only point layer; the only
        sheet with coordinate columns); if none or several fit, an error lists them.
    reach_lonlat_bounds
        ``(min_lon, min_lat, max_lon, max_lat)`` in degrees beyond which a point cannot serve
        the study area (see :func:`beyond_reach`): rows whose position lies outside it, read
        either way round, are set aside before any other step: left out of the result and
        only counted, in ``result.attrs["beyond_reach"]`` (a national list read for one
        city). Rows with a missing or impossible position are never set aside.

    Returns
    -------
    geopandas.GeoDataFrame
        Every row of the file (but those set aside), in file order; schema in the module
        docstring.

    Raises
    ------
    InputError
        When the file is missing, empty, unreadable, lacks coordinate (or value) columns, or
        has no usable row; the message lists every problem found.
    """
    if not isinstance(path, str | Path):
        function = _READERS.get(what, "read_point_table")
        raise ArgumentTypeError(
            function,
            "path",
            gettext("the path of a {what} file (CSV, Excel, GeoJSON, GeoPackage)").format(
                what=noun(what)
            ),
            path,
            gettext("e.g. {example}.").format(
                example=f"{function}('{what.replace(' ', '_')}.csv', crs=city.network.crs)"
            ),
        )
    path = Path(path)
    target = require_metric_crs(
        crs,
        what=gettext("the CRS requested for {what}").format(what=noun(what)),
        function="read_point_table",
    )
    if area_lonlat_bounds is not None:
        _check_bounds(area_lonlat_bounds)
    if reach_lonlat_bounds is not None:
        _check_bounds(reach_lonlat_bounds)
    read = _read_any_table(path, what=what, layer=layer)
    table, rows, geometry = read.table, read.rows, read.geometry
    decimal_comma, label, numbering = read.decimal_comma, read.label, read.numbering
    n = len(table)
    columns = [str(c) for c in table.columns]
    table.columns = columns
    illustrative = declared_illustrative(table, table.attrs.get("comments", ()))

    located = _find_columns(
        columns,
        by_geometry=geometry is not None,
        name_column=name_column,
        value_columns=value_columns,
        what=what,
        path=path,
    )
    found_name, found_values, used = located.name, located.value_columns, located.used

    problems = _Rows(n)
    lat, lon, lat_name, lon_name = _coordinates(
        table, located, geometry, problems, decimal_comma=decimal_comma
    )

    n_beyond = 0
    if reach_lonlat_bounds is not None:
        keep = _within_reach(lat, lon, reach_lonlat_bounds, what=what, name=path.name, label=label)
        n_beyond = int((~keep).sum())
        if n_beyond:
            table = table[keep].reset_index(drop=True)
            rows, lat, lon = rows[keep], lat[keep], lon[keep]
            if geometry is not None:
                geometry = geometry[keep].reset_index(drop=True)
            problems = problems.subset(keep)
            n = len(table)

    _check_ranges(lat, lon, lat_name, lon_name, area_lonlat_bounds, problems)

    # Projection of the rows whose position is fine.
    ok = ~problems.bad()
    points = np.full(n, None, dtype=object)
    if ok.any():
        projected = gpd.GeoSeries(gpd.points_from_xy(lon[ok], lat[ok]), crs=WGS84).to_crs(target)
        points[ok] = np.asarray(projected.values, dtype=object)
    if duplicate_tolerance_m is not None and ok.any():
        _check_duplicates(
            points, ok, rows, label, lat, lon, (lat_name, lon_name), duplicate_tolerance_m, problems
        )

    out = pd.DataFrame({"row": rows.astype("int64")})
    out["name"] = _names(table[found_name]) if found_name is not None else None
    for value_column, found in found_values.items():
        values = _to_float(table[found], decimal_comma=decimal_comma)
        _check_values(table[found], values, found, problems)
        out[value_column] = values.to_numpy()
    out["lon"], out["lat"] = lon, lat
    bad = problems.bad()
    out["usable"] = ~bad
    out["problem"] = ["; ".join(p) for p in problems.problems]
    for column in columns:
        if column in used:
            continue
        target_name = f"input_{column}" if column in _RESERVED or column in out.columns else column
        out[target_name] = table[column].to_numpy()
    points[bad] = None
    result = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(points, crs=target), crs=target)
    result.attrs["beyond_reach"] = n_beyond
    result.attrs["illustrative"] = illustrative
    if illustrative is not None:
        logger.warning("%s file %s is illustrative (%s)", what, path.name, illustrative)

    n_bad = int(bad.sum())
    listing = [
        _labelled(label, r, p) for r, p in zip(rows[bad], result["problem"][bad], strict=True)
    ]
    rows_word = label == "row"
    if n_bad == n:
        none_usable = (
            ngettext(
                "{what} file {name}: none of the {n} rows is usable",
                "{what} file {name}: none of the {n} rows is usable",
                n,
            )
            if rows_word
            else ngettext(
                "{what} file {name}: none of the {n} features is usable",
                "{what} file {name}: none of the {n} features is usable",
                n,
            )
        ).format(what=noun(what), name=path.name, n=_count(n))
        if n_beyond:
            none_usable += " " + ngettext(
                "(and {n} more lie beyond walking reach of this area)",
                "(and {n} more lie beyond walking reach of this area)",
                n_beyond,
            ).format(n=_count(n_beyond))
        fix = (
            gettext("Fix the rows above and run again.")
            if rows_word
            else gettext("Fix the features above and run again.")
        )
        raise InputError(none_usable, listing, f"{gettext(numbering)} {fix}")
    if n_bad:
        more = (
            "\n  " + gettext("... and {n} more").format(n=_count(n_bad - 20)) if n_bad > 20 else ""
        )
        logger.warning(
            (
                gettext(
                    "{what} file {name}: {bad} of {n} rows are unusable and will be listed in "
                    "the outputs ({numbering}):\n  {listing}"
                )
                if rows_word
                else gettext(
                    "{what} file {name}: {bad} of {n} features are unusable and will be listed "
                    "in the outputs ({numbering}):\n  {listing}"
                )
            ).format(
                what=noun(what),
                name=path.name,
                bad=_count(n_bad),
                n=_count(n),
                numbering=gettext(numbering),
                listing="\n  ".join(listing[:20]) + more,
            )
        )
    return result


def declared_illustrative(table: pd.DataFrame, comments: Sequence[str] = ()) -> str | None:
    """What says that a table is illustrative or synthetic, or ``None`` if nothing does.

    The one rule, for every table a user brings: a comment line above a CSV header (``# ...``)
    or a value of a note column (:data:`NOTE_NAMES`: ``note``, ``source``, ``примечание``, ...)
    holding one of :data:`ILLUSTRATIVE_WORDS` (``illustrative``, ``synthetic``, ``made up``,
    ``not real``, ``иллюстративные``, ...). The files :mod:`planner.synthetic` writes and the
    bundled ``data/almaty_stations_illustrative.csv`` say so in their ``note`` column. The
    result quotes the declaration (``"note column: ILLUSTRATIVE, not real: ..."``), cut to
    200 characters; the readers record it in ``attrs["illustrative"]``.
    """
    found: str | None = None
    for line in comments:
        if ILLUSTRATIVE_WORDS.search(line):
            found = f"comment line: {line}"
            break
    if found is None:
        for column in table.columns:
            if _normalise(column) not in NOTE_NAMES:
                continue
            for value in pd.unique(table[column].astype(str)):
                if ILLUSTRATIVE_WORDS.search(value):
                    found = f"{column} column: {value.strip()}"
                    break
            if found is not None:
                break
    if found is None:
        return None
    return found if len(found) <= 200 else found[:199] + "…"


def illustrative_fields(note: str | None) -> dict[str, Any]:
    """The provenance fields of an input file: ``illustrative`` (a flag on every input) and,
    when :func:`declared_illustrative` found a declaration, ``illustrative_note`` quoting it."""
    return {"illustrative": note is not None} | ({"illustrative_note": note} if note else {})


@dataclass(frozen=True)
class _Table:
    """A user table as read: its cells as text, row numbers and, for vector files, points."""

    table: pd.DataFrame
    rows: np.ndarray  # the number a user sees for each row (spreadsheet row, feature number)
    geometry: gpd.GeoSeries | None
    decimal_comma: bool
    label: str  # "row" or "feature" (a key: shown through _labelled)
    numbering: str  # how the numbers count, for messages: a message id, shown translated


def _read_any_table(path: Path, *, what: str, layer: str | None) -> _Table:
    """Any supported file (CSV, Excel, GeoJSON/GeoPackage/Shapefile, Parquet) as a table."""
    if not path.exists():
        raise InputError(
            gettext("{what} file {path} does not exist").format(what=noun(what), path=path),
            hint=gettext("Check the path (relative paths start in {cwd}).").format(cwd=Path.cwd()),
        )
    if path.is_dir():
        raise InputError(
            gettext("{what} file {path} is a folder, not a file").format(
                what=noun(what), path=path
            ),
            hint=gettext("Give the path of the CSV, GeoJSON or GeoPackage file itself."),
        )
    suffix = _table_suffix(path, what=what)
    geometry: gpd.GeoSeries | None = None
    if suffix in CSV_SUFFIXES or suffix in EXCEL_SUFFIXES:
        table, rows, decimal_comma = _read_cells(path, suffix, what=what, sheet=layer)
        label, numbering = "row", ROW_NUMBERING
    elif suffix in VECTOR_SUFFIXES or suffix in PARQUET_SUFFIXES:
        frame = _read_vector(path, what=what, layer=layer)
        label, numbering = "feature", FEATURE_NUMBERING
        decimal_comma = False
        table = pd.DataFrame(frame.drop(columns=frame.geometry.name)).reset_index(drop=True)
        rows = np.arange(1, len(table) + 1)
        if not (frame.geometry.isna() | frame.geometry.is_empty).all():
            geometry = frame.geometry.reset_index(drop=True)
        # else: a table without geometries (plain Parquet, GeoJSON with null geometries) is
        # read through its coordinate columns like a CSV.
    else:
        raise InputError(
            gettext("{what} file {name}: unsupported file type {suffix}").format(
                what=noun(what), name=path.name, suffix=repr(path.suffix)
            ),
            hint=gettext(
                "Use CSV (.csv), Excel (.xlsx), GeoJSON (.geojson), GeoPackage (.gpkg) or "
                "Parquet (.parquet)."
            ),
        )
    return _Table(table, rows, geometry, decimal_comma, label, numbering)


@dataclass(frozen=True)
class _Columns:
    """Which column of a user table holds what (``None``: not in the file)."""

    lat: str | None
    lon: str | None
    pair: str | None
    name: str | None
    value_columns: dict[str, str]
    used: list[str]


def _find_columns(
    columns: list[str],
    *,
    by_geometry: bool,
    name_column: str | None,
    value_columns: Sequence[str],
    what: str,
    path: Path,
) -> _Columns:
    """The coordinate, name and value columns; every missing one is reported together."""
    file_problems: list[str] = []
    used: list[str] = []
    lat_col = lon_col = pair_col = None
    if not by_geometry:
        lat_col, lon_col = _find_column(columns, LAT_NAMES), _find_column(columns, LON_NAMES)
        if lat_col is None or lon_col is None:
            pair_col = _find_column(columns, PAIR_LATLON_NAMES + PAIR_LONLAT_NAMES)
            if pair_col is None:
                file_problems.append(
                    gettext(
                        "no coordinate columns: the file has columns {columns}; looked for a "
                        "latitude column ({lat}) and a longitude column ({lon}), or one column "
                        "({pair}) with 'lat, lon'"
                    ).format(
                        columns=columns,
                        lat=", ".join(LAT_NAMES),
                        lon=", ".join(LON_NAMES),
                        pair=", ".join(PAIR_LATLON_NAMES + PAIR_LONLAT_NAMES),
                    )
                )
            used.append(str(pair_col))
        else:
            used += [lat_col, lon_col]
    if name_column is not None:
        found_name = _find_column(columns, (_normalise(name_column),))
        if found_name is None:
            file_problems.append(
                gettext("name column {name} not found; the file has columns {columns}").format(
                    name=repr(name_column), columns=columns
                )
            )
    else:
        found_name = _find_column(columns, NAME_COLUMNS)
    if found_name is not None:
        used.append(found_name)
    found_values: dict[str, str] = {}
    for value_column in value_columns:
        found = _find_column(columns, (_normalise(value_column),))
        if found is None:
            file_problems.append(
                gettext("column {column} not found; the file has columns {columns}").format(
                    column=repr(value_column), columns=columns
                )
            )
        else:
            found_values[value_column] = found
            used.append(found)
    if file_problems:
        raise InputError(
            gettext("{what} file {name}: required columns are missing").format(
                what=noun(what), name=path.name
            ),
            file_problems,
            gettext(
                "Rename the columns in the header line (e.g. 'lat' and 'lon'), or name them "
                "explicitly in the call."
            ),
        )
    return _Columns(lat_col, lon_col, pair_col, found_name, found_values, used)


def _coordinates(
    table: pd.DataFrame,
    located: _Columns,
    geometry: gpd.GeoSeries | None,
    problems: _Rows,
    *,
    decimal_comma: bool,
) -> tuple[np.ndarray, np.ndarray, str, str]:
    """Latitude and longitude of every row (NaN where unusable, with the problem recorded),
    from the coordinate columns or the geometry, and the names to quote them by."""
    lat_col, lon_col, pair_col = located.lat, located.lon, located.pair
    if geometry is None:
        assert lat_col is not None or pair_col is not None
        if pair_col is not None:
            lat_text, lon_text = _split_pair(
                table[pair_col], lon_first=_normalise(pair_col) in PAIR_LONLAT_NAMES
            )
            lat_name = lon_name = pair_col
        else:
            assert lat_col is not None and lon_col is not None
            lat_text, lon_text, lat_name, lon_name = (
                table[lat_col],
                table[lon_col],
                lat_col,
                lon_col,
            )
        lat, lon = _parse_coordinates(
            lat_text, lon_text, lat_name, lon_name, problems, decimal_comma=decimal_comma
        )
    else:
        lat, lon = _points_from_geometry(geometry, problems)
        lat_name, lon_name = "geometry (y)", "geometry (x)"
    return lat, lon, lat_name, lon_name


def _within_reach(
    lat: np.ndarray,
    lon: np.ndarray,
    bounds: tuple[float, float, float, float],
    *,
    what: str,
    name: str,
    label: str,
) -> np.ndarray:
    """Which rows to keep: all but those beyond walking reach (:func:`beyond_reach`), which
    are counted in the log; an error if that would leave none."""
    aside = beyond_reach(lat, lon, bounds)
    n, n_beyond = len(aside), int(aside.sum())
    if n_beyond == n:
        lon0, lat0, lon1, lat1 = bounds
        message = (
            ngettext(
                "{what} file {name}: all {n} rows lie beyond walking reach of this area "
                "(lon {lon0}..{lon1}, lat {lat0}..{lat1}); they lie around latitude {lat}, "
                "longitude {lon}",
                "{what} file {name}: all {n} rows lie beyond walking reach of this area "
                "(lon {lon0}..{lon1}, lat {lat0}..{lat1}); they lie around latitude {lat}, "
                "longitude {lon}",
                n,
            )
            if label == "row"
            else ngettext(
                "{what} file {name}: all {n} features lie beyond walking reach of this area "
                "(lon {lon0}..{lon1}, lat {lat0}..{lat1}); they lie around latitude {lat}, "
                "longitude {lon}",
                "{what} file {name}: all {n} features lie beyond walking reach of this area "
                "(lon {lon0}..{lon1}, lat {lat0}..{lat1}); they lie around latitude {lat}, "
                "longitude {lon}",
                n,
            )
        )
        raise InputError(
            message.format(
                what=noun(what),
                name=name,
                n=_count(n),
                lon0=f"{lon0:.4f}",
                lon1=f"{lon1:.4f}",
                lat0=f"{lat0:.4f}",
                lat1=f"{lat1:.4f}",
                lat=f"{np.nanmedian(lat):.2f}",
                lon=f"{np.nanmedian(lon):.2f}",
            ),
            hint=gettext(
                "Check that the {what} file and the OSM data are of the same place, and that "
                "latitude and longitude are in degrees (EPSG:4326)."
            ).format(what=noun(what)),
        )
    if n_beyond:
        logger.info(  # untranslated: info log for developers (the CLI shows warnings only)
            "%s file %s: %d %ss lie beyond walking reach of this area and were left out",
            what,
            name,
            n_beyond,
            label,
        )
    return ~aside


def row_problems(table: pd.DataFrame, *, label: str = "row") -> list[str]:
    """The problems of the unusable rows of a table, one line each (``"row 14: ..."``)."""
    bad = ~table["usable"].to_numpy(dtype=bool)
    ids = table["row"] if "row" in table.columns else table.index
    return [
        _labelled(label, r, p)
        for r, p in zip(np.asarray(ids)[bad], table["problem"].to_numpy()[bad], strict=True)
    ]


def mark_unusable(
    frame: gpd.GeoDataFrame,
    mask: Sequence[bool] | np.ndarray | pd.Series,
    reason: str | Sequence[str] | np.ndarray,
) -> gpd.GeoDataFrame:
    """Return a copy of ``frame`` with the rows in ``mask`` marked unusable because of ``reason``.

    Rows keep their place: later steps skip them, outputs list them with the reason. A row that
    already has a problem gets ``reason`` appended after ``"; "``.

    Parameters
    ----------
    frame
        Stations, sites or demand with ``usable`` and ``problem`` columns (added if missing).
    mask
        Boolean, one value per row; a :class:`pandas.Series` is aligned on the index.
    reason
        Why, in the user's terms, e.g. ``"412 m from the nearest walkable street (limit 250 m)"``;
        or one reason per row of ``frame`` (those of the rows in ``mask`` are used), to mark
        many rows for different reasons in one pass.
    """
    if isinstance(reason, str):
        reasons = None
        bad_reason = not reason.strip()
    else:
        reasons = np.asarray(reason, dtype=object)
        bad_reason = reasons.shape != (len(frame),)
    if bad_reason:
        raise InputError(
            gettext("mark_unusable: reason must be a non-empty text, or one text per row"),
            hint=gettext("Say why, e.g. 'outside the study area'."),
        )
    if isinstance(mask, pd.Series):
        if not mask.index.equals(frame.index):
            missing = frame.index.difference(mask.index)
            if len(missing):
                raise InputError(
                    ngettext(
                        "mark_unusable: the mask has no value for {n} rows of the frame",
                        "mark_unusable: the mask has no value for {n} rows of the frame",
                        len(missing),
                    ).format(n=_count(len(missing))),
                    [f"index {i!r}" for i in missing[:10]],
                    gettext("Build the mask from the frame itself, e.g. frame['snap_m'] > 250."),
                )
            mask = mask.reindex(frame.index)
        values = mask.to_numpy()
    else:
        values = np.asarray(mask)
    if values.shape != (len(frame),) or values.dtype != bool:
        raise InputError(
            gettext(
                "mark_unusable: mask must be {n} True/False values, got shape {shape} of {dtype}"
            ).format(n=len(frame), shape=values.shape, dtype=values.dtype),
            hint=gettext("Pass a boolean array or Series with one value per row."),
        )
    out = frame.copy()
    usable = (
        out["usable"].to_numpy(dtype=bool)
        if "usable" in out.columns
        else np.ones(len(out), dtype=bool)
    )
    problem = (
        out["problem"].fillna("").astype(str).to_numpy(dtype=object)
        if "problem" in out.columns
        else np.full(len(out), "", dtype=object)
    )
    for i in np.flatnonzero(values):
        why = str(reason) if reasons is None else str(reasons[i])
        if not why.strip():
            raise InputError(
                gettext("mark_unusable: the reason for row {row} is empty").format(row=i),
                hint=gettext("Say why, e.g. 'outside the study area'."),
            )
        problem[i] = f"{problem[i]}; {why}" if problem[i] else why
    out["usable"] = usable & ~values
    out["problem"] = problem.astype(str)
    return out


# ---------------------------------------------------------------------------------------------
# readers


def read_table(
    path: Path,
    *,
    what: str,
    sheet: str | None = None,
    fits: Callable[[Sequence[object]], bool] | None = None,
    fits_label: str = N_("latitude/longitude columns"),
    row_noun: str = N_("point"),
) -> tuple[pd.DataFrame, np.ndarray, bool]:
    """A CSV export or an .xlsx sheet as text cells, as every table of the user is read.

    CSV in UTF-8, UTF-16 ("Unicode text") or Windows-1251, separated by ``,``, ``;`` or tabs;
    an .xlsx workbook (also one named .csv). Returns the table (every cell a string, blank rows
    left out), the row number of each row as a spreadsheet shows it (the header is row 1) and
    whether numbers may carry a decimal comma (a ``;``- or tab-separated file). ``fits`` tells
    which sheet of a workbook (and which line below title lines) holds the header: a row whose
    cells name the columns the caller needs (``fits_label`` in messages); by default
    coordinate columns; ``row_noun`` is what a row is, for the hint on a table without rows.
    Raises :class:`InputError` for a missing, empty or unreadable file and
    for a header without data rows.
    """
    return _read_cells(
        path, _table_suffix(path, what=what), what=what, sheet=sheet, fits=fits,
        fits_label=fits_label, row_noun=row_noun,
    )  # fmt: skip


def _read_cells(
    path: Path,
    suffix: str,
    *,
    what: str,
    sheet: str | None,
    fits: Callable[[Sequence[object]], bool] | None = None,
    fits_label: str = N_("latitude/longitude columns"),
    row_noun: str = N_("point"),
) -> tuple[pd.DataFrame, np.ndarray, bool]:
    if suffix in EXCEL_SUFFIXES:
        table, rows = _read_excel(
            path,
            what=what,
            sheet=sheet,
            fits=fits or _has_coordinate_columns,
            fits_label=fits_label,
            row_noun=row_noun,
        )
        return table, rows, False
    return _read_csv(path, what=what, row_noun=row_noun)


def _table_suffix(path: Path, *, what: str) -> str:
    """The file's suffix, ``.xlsx`` for a workbook under a CSV name; an old .xls is refused."""
    suffix = path.suffix.lower()
    head = _head(path, what=what)
    if head.startswith(_ZIP_MAGIC) and suffix in CSV_SUFFIXES:
        logger.info(  # untranslated: info log for developers (the CLI shows warnings only)
            "%s: an Excel workbook named %s, read as .xlsx", path.name, path.suffix
        )
        suffix = ".xlsx"
    if head.startswith(_OLE_MAGIC) and suffix in CSV_SUFFIXES + EXCEL_SUFFIXES + (".xls",):
        raise InputError(
            gettext(
                "{what} file {name} is an old Excel workbook (.xls), which cannot be read"
            ).format(what=noun(what), name=path.name),
            hint=gettext(
                "Open it in Excel or LibreOffice and save it as .xlsx (Excel Workbook) or CSV."
            ),
        )
    return suffix


_ZIP_MAGIC = b"PK\x03\x04"  # .xlsx (a zip archive)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .xls


def _head(path: Path, *, what: str) -> bytes:
    """The first bytes of the file; an unreadable file is an :class:`InputError`."""
    try:
        with path.open("rb") as fh:
            return fh.read(8)
    except OSError as exc:
        raise _unreadable(path, what, exc) from None


def _unreadable(path: Path, what: str, exc: OSError) -> InputError:
    return InputError(
        gettext("{what} file {path} cannot be read ({reason})").format(
            what=noun(what), path=path, reason=exc.strerror or exc
        ),
        hint=gettext("Check the file's permissions (ls -l) or copy it somewhere readable."),
    )


def _decode(raw: bytes, *, path: Path, what: str) -> str:
    """Text of a CSV export: UTF-8, UTF-16 (Excel's "Unicode text") or Windows-1251."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        logger.info(  # untranslated: info log for developers (the CLI shows warnings only)
            "%s: UTF-16 text (Excel 'Unicode text'), read as such", path.name
        )
        return raw.decode("utf-16")
    sample = raw[:4096]
    if b"\x00" in sample:
        # UTF-16 without a byte-order mark: the high byte of ASCII (and of the digits and
        # separators of any table) is zero, always at the same parity
        even = sample[0::2].count(b"\x00") / max(1, len(sample[0::2]))
        odd = sample[1::2].count(b"\x00") / max(1, len(sample[1::2]))
        if max(even, odd) > 0.2 and min(even, odd) < 0.02:
            encoding = "utf-16-le" if odd > even else "utf-16-be"
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                text = ""
            if text and "\n" in text and "\x00" not in text:
                logger.info(  # untranslated: info log for developers (the CLI shows warnings only)
                    "%s: UTF-16 text without a byte-order mark, read as %s", path.name, encoding
                )
                return text
        raise _not_text(path, what)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1251")  # Windows Cyrillic, the default of Russian-language Excel
    except UnicodeDecodeError:
        raise _not_text(path, what) from None
    logger.info(  # untranslated: info log for developers (the CLI shows warnings only)
        "%s: not UTF-8, read as Windows-1251 (Cyrillic)", path.name
    )
    return text


def _not_text(path: Path, what: str) -> InputError:
    return InputError(
        gettext(
            "{what} file {name} is not a text table: it holds binary data, not comma-separated "
            "text"
        ).format(what=noun(what), name=path.name),
        hint=gettext(
            "Export the table from the spreadsheet again as CSV (or give the .xlsx workbook "
            "itself); check that the right file was given."
        ),
    )


def _field_counts(text: str, sep: str, first_row: int = 1) -> list[tuple[int, int]]:
    """``(row, number of fields)`` of every non-blank record, the header being ``first_row``."""
    out = []
    for number, record in enumerate(csv.reader(io.StringIO(text), delimiter=sep), start=first_row):
        if record and any(field.strip() for field in record):
            out.append((number, len(record)))
    return out


_DECIMAL_COMMA_TEXT = re.compile(r"(?<![\d.])-?\d{1,3},\d+(?![\d.])")


def _check_field_counts(text: str, sep: str, *, path: Path, what: str, first_row: int = 1) -> None:
    """Rows with more values than the header has columns shift every column after them."""
    counts = _field_counts(text, sep, first_row)
    if not counts:
        return
    _, width = counts[0]
    longer = [(row, n) for row, n in counts[1:] if n > width]
    if not longer:
        return
    lines = [""] * (first_row - 1) + text.splitlines()
    problems = [
        gettext("row {row}: {n} values for {width} columns: {line}").format(
            row=row, n=n, width=width, line=repr(lines[row - 1].strip()[:80])
        )
        if row - 1 < len(lines)
        else gettext("row {row}: {n} values for {width} columns").format(
            row=row, n=n, width=width
        )
        for row, n in longer
    ]
    decimal_commas = sep == "," and any(
        _DECIMAL_COMMA_TEXT.search(lines[row - 1]) for row, _ in longer if row - 1 < len(lines)
    )
    if decimal_commas:
        raise InputError(
            gettext(
                "{what} file {name}: the columns are shifted: numbers written with a decimal "
                "comma (42,87) in a comma-separated file split into two values each"
            ).format(what=noun(what), name=path.name),
            problems,
            gettext(
                "Save the table with ';' as the separator (Excel: 'CSV (semicolon delimited)' "
                "or the list separator of a Russian/Kazakh Windows), or write decimal points "
                '(42.87), or put each number in quotes ("42,87").'
            ),
        )
    raise InputError(
        gettext(
            "{what} file {name}: rows have more values than the header line has columns, so "
            "their columns would be shifted"
        ).format(what=noun(what), name=path.name),
        problems,
        gettext(
            "Check for a separator inside a value (quote such values) or a missing column name "
            "in the header line."
        ),
    )


def _read_csv(
    path: Path, *, what: str, row_noun: str = N_("point")
) -> tuple[pd.DataFrame, np.ndarray, bool]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _unreadable(path, what, exc) from None
    if not raw.strip():
        raise InputError(
            gettext("{what} file {name} is empty").format(what=noun(what), name=path.name),
            hint=gettext("Export the table again with a header line and one row per point."),
        )
    text = _decode(raw, path=path, what=what)
    text, comments = _comment_lines(text.lstrip("\r\n"))
    if not text.strip():
        raise InputError(
            gettext("{what} file {name} holds only comment lines (starting with '#')").format(
                what=noun(what), name=path.name
            ),
            hint=gettext("Add a header line and one row per point below the comments."),
        )
    header = text.splitlines()[0]
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    sep = max(counts, key=lambda s: counts[s]) if any(counts.values()) else ","
    _check_field_counts(text, sep, path=path, what=what, first_row=1 + len(comments))
    try:
        table = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(
            gettext("{what} file {name} cannot be read as CSV: {error}").format(
                what=noun(what), name=path.name, error=exc
            ),
            hint=gettext("Check that every line has the same number of separators."),
        ) from exc
    # Blank lines are kept by read_csv (so row numbers stay right) and only now left out.
    blank = np.ones(len(table), dtype=bool)
    for column in table.columns:
        blank &= _is_blank(table[column])
    if blank.all():
        raise InputError(
            gettext("{what} file {name} has a header line but no data rows").format(
                what=noun(what), name=path.name
            ),
            [gettext("header: {header}").format(header=repr(header.strip()))],
            gettext("Add one row per {noun} below the header.").format(noun=noun(row_noun)),
        )
    rows = np.flatnonzero(~blank) + 2 + len(comments)  # the header is line 1 after comments
    table = table.loc[~blank].reset_index(drop=True)
    table.attrs["comments"] = comments
    return table, rows, sep != ","


def _comment_lines(text: str) -> tuple[str, list[str]]:
    """The text without its leading comment lines, and those lines (without the ``#``).

    A comment line starts with ``#`` followed by anything but a separator: ``# ILLUSTRATIVE
    data`` is a comment, ``#,name,lat,lon`` a header with a column named ``#``.
    """
    lines = text.splitlines(keepends=True)
    comments: list[str] = []
    while lines and lines[0].startswith("#") and lines[0][1:2] not in (",", ";", "\t"):
        comments.append(lines.pop(0)[1:].strip())
    return "".join(lines), comments


def _has_coordinate_columns(columns: Sequence[object]) -> bool:
    names = [str(c) for c in columns]
    both = _find_column(names, LAT_NAMES) is not None and _find_column(names, LON_NAMES) is not None
    return both or _find_column(names, PAIR_LATLON_NAMES + PAIR_LONLAT_NAMES) is not None


def _excel_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_excel(
    path: Path,
    *,
    what: str,
    sheet: str | None,
    fits: Callable[[Sequence[object]], bool] = _has_coordinate_columns,
    fits_label: str = N_("latitude/longitude columns"),
    row_noun: str = N_("point"),
) -> tuple[pd.DataFrame, np.ndarray]:
    """One sheet of an .xlsx workbook as text, with the row numbers Excel shows."""
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency
        raise InputError(
            gettext("{what} file {name}: reading Excel needs openpyxl ({error})").format(
                what=noun(what), name=path.name, error=exc
            ),
            hint=gettext("pip install openpyxl, or save the sheet as CSV."),
        ) from None
    try:
        with path.open("rb") as fh:  # a file object: any file name (an .xlsx named .csv)
            book = openpyxl.load_workbook(io.BytesIO(fh.read()), read_only=True, data_only=True)
    except OSError as exc:
        raise _unreadable(path, what, exc) from None
    except Exception as exc:  # zipfile.BadZipFile, KeyError, ...: not a workbook
        raise InputError(
            gettext("{what} file {name} cannot be read as an Excel workbook ({error})").format(
                what=noun(what), name=path.name, error=exc
            ),
            hint=gettext("Check that it opens in Excel; save it again as .xlsx or as CSV."),
        ) from None
    try:
        sheets: dict[str, list[tuple[int, list[str]]]] = {}
        for ws in book.worksheets:
            rows = []
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                cells = [_excel_cell(v).strip() for v in values]
                if any(cells):
                    rows.append((number, cells))
            # the header is the first row naming coordinate columns (title lines above it are
            # common), else the first row with anything in it
            start = next((k for k, (_, cells) in enumerate(rows[:20]) if fits(cells)), 0)
            sheets[ws.title] = rows[start:]
    finally:
        book.close()
    listing = [
        ngettext("sheet {name}: {n} rows", "sheet {name}: {n} rows", max(len(r) - 1, 0)).format(
            name=repr(name), n=_count(max(len(r) - 1, 0))
        )
        for name, r in sheets.items()
    ]
    if sheet is not None:
        if sheet not in sheets:
            raise InputError(
                gettext("{what} file {name} has no sheet {sheet}").format(
                    what=noun(what), name=path.name, sheet=repr(sheet)
                ),
                listing,
                gettext("Give one of the sheet names listed (as layer=...)."),
            )
        chosen = sheet
    else:
        filled = [name for name, r in sheets.items() if r]
        fitting = [name for name in filled if fits(sheets[name][0][1])]
        if len(filled) == 1:
            chosen = filled[0]
        elif len(fitting) == 1:
            chosen = fitting[0]
            logger.info(  # untranslated: info log for developers (the CLI shows warnings only)
                "%s: sheet %r read, the only one with %s", path.name, chosen, fits_label
            )
        else:
            which = (
                ngettext(
                    "{what} file {name} has {n} sheets with data and {k} of them with {fits}: "
                    "which one holds the {what}?",
                    "{what} file {name} has {n} sheets with data and {k} of them with {fits}: "
                    "which one holds the {what}?",
                    len(filled),
                )
                if fitting
                else ngettext(
                    "{what} file {name} has {n} sheets with data and none of them with {fits}: "
                    "which one holds the {what}?",
                    "{what} file {name} has {n} sheets with data and none of them with {fits}: "
                    "which one holds the {what}?",
                    len(filled),
                )
            )
            raise InputError(
                which.format(
                    what=noun(what),
                    name=path.name,
                    n=_count(len(filled)),
                    k=_count(len(fitting)),
                    fits=noun(fits_label),
                ),
                listing,
                gettext("Name the sheet with layer='<sheet name>'."),
            )
    rows = sheets[chosen]
    if not rows:
        raise InputError(
            gettext("{what} file {name}: sheet {sheet} is empty").format(
                what=noun(what), name=path.name, sheet=repr(chosen)
            ),
            listing,
            gettext("Give the sheet that holds the table (layer=...)."),
        )
    (_, header), body = rows[0], rows[1:]
    if not body:
        raise InputError(
            gettext("{what} file {name} has a header line but no data rows (sheet {sheet})").format(
                what=noun(what), name=path.name, sheet=repr(chosen)
            ),
            [gettext("header: {header}").format(header=header)],
            gettext("Add one row per {noun} below the header.").format(noun=noun(row_noun)),
        )
    width = max(len(header), *(len(cells) for _, cells in body))
    columns = [
        c if c else f"column {i + 1}" for i, c in enumerate(header + [""] * (width - len(header)))
    ]
    table = pd.DataFrame(
        [cells + [""] * (width - len(cells)) for _, cells in body], columns=columns, dtype=str
    )
    numbers = np.array([number for number, _ in body], dtype=np.int64)  # as Excel shows them
    return table, numbers


def read_polygons(
    path: str | Path, *, what: str, layer: str | None = None
) -> gpd.GeoDataFrame:
    """Read a file of polygons (a boundary, districts, units) for one of the file options.

    A table (CSV, Excel) holds no polygon and is refused by name; an unreadable file, a file
    without geometry and a multi-layer file with no single polygon layer are
    :class:`InputError` s listing what the file holds, and so are coordinates in metres in a
    file read as degrees (:func:`planner._crs.require_degrees`). ``layer`` names the layer of a
    multi-layer file (default: the only polygon layer). The frame is returned as read (its own
    CRS); checking the polygons themselves is the caller's.
    """
    path = Path(path)
    hint = gettext(
        "Give the {what} as polygons in a GeoJSON or GeoPackage file (e.g. exported from QGIS "
        "or drawn on geojson.io)."
    ).format(what=noun(what))
    if not path.is_file():
        raise InputError(
            gettext("{what} file {path} does not exist").format(what=noun(what), path=path),
            hint=hint,
        )
    head = _head(path, what=what)
    if path.suffix.lower() in CSV_SUFFIXES + EXCEL_SUFFIXES + (".xls",) or head.startswith(
        (_ZIP_MAGIC, _OLE_MAGIC)
    ):
        raise InputError(
            gettext(
                "{what} file {name}: {what} must be polygons; a {suffix} table holds none"
            ).format(what=noun(what), name=path.name, suffix=path.suffix or gettext("table")),
            hint=hint,
        )
    layer = _vector_layer(path, what=what, layer=layer, prefer=("polygon",))
    try:
        frame = gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio's own error types
        raise InputError(
            gettext("{what} file {name} cannot be read: {error}").format(
                what=noun(what), name=path.name, error=exc
            ),
            hint=hint,
        ) from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
        raise InputError(
            gettext("{what} file {name} has no geometry").format(what=noun(what), name=path.name),
            hint=hint,
        )
    require_degrees(frame.crs, tuple(frame.total_bounds), what=what, name=path.name)
    frame.attrs["illustrative"] = declared_illustrative(pd.DataFrame(frame))
    return frame


def _vector_layer(
    path: Path, *, what: str, layer: str | None, prefer: Sequence[str] = ("point", "polygon")
) -> str | None:
    """The layer to read: the one asked for, the only one, or the only one of the geometry
    kind ``prefer`` lists first (then the next kind, when no layer has the first)."""
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return layer
    try:
        import pyogrio

        layers = [
            (str(n), str(g) if g is not None else "no geometry")
            for n, g in pyogrio.list_layers(path)
        ]
    except Exception:  # unreadable: gpd.read_file reports it below
        return layer
    listing = [
        gettext("layer {name}: {geometry}").format(
            name=repr(name), geometry=gettext("no geometry") if geom == "no geometry" else geom
        )
        for name, geom in layers
    ]
    if layer is not None:
        if layer not in {name for name, _ in layers}:
            raise InputError(
                gettext("{what} file {name} has no layer {layer}").format(
                    what=noun(what), name=path.name, layer=repr(layer)
                ),
                listing,
                gettext("Give one of the layer names listed (layer=...)."),
            )
        return layer
    if len(layers) <= 1:
        return None
    for kind in prefer:
        fitting = [name for name, geom in layers if kind in geom.lower()]
        if len(fitting) == 1:
            logger.info(  # untranslated: info log for developers (the CLI shows warnings only)
                "%s: layer %r read, the only layer of %ss", path.name, fitting[0], kind
            )
            return fitting[0]
        if fitting:
            break
    which = {
        ("point", True): N_(
            "{what} file {name} has {n} layers and {k} of them hold points: which one holds the "
            "{what}?"
        ),
        ("polygon", True): N_(
            "{what} file {name} has {n} layers and {k} of them hold polygons: which one holds "
            "the {what}?"
        ),
        ("point", False): N_(
            "{what} file {name} has {n} layers and none holds points: which one holds the {what}?"
        ),
        ("polygon", False): N_(
            "{what} file {name} has {n} layers and none holds polygons: which one holds the "
            "{what}?"
        ),
    }
    shown = (kind, True) if fitting else (prefer[0], False)
    values = {"what": noun(what), "name": path.name, "n": _count(len(layers))}
    if shown in which:
        message = gettext(which[shown]).format(k=_count(len(fitting)), **values)
    else:  # a kind of geometry no caller asks for today: the English sentence
        message = (  # untranslated: no caller prefers another kind of geometry
            f"{path.name} has {len(layers)} layers and "
            + (f"{len(fitting)} of them hold {kind}s" if fitting else f"none holds {prefer[0]}s")
            + f": which one holds the {what}?"
        )
        message = f"{what} file {message}"
    raise InputError(message, listing, gettext("Name the layer with layer='<layer name>'."))


def _read_vector(path: Path, *, what: str, layer: str | None) -> gpd.GeoDataFrame:
    try:
        empty = path.stat().st_size == 0
    except OSError as exc:
        raise _unreadable(path, what, exc) from None
    if empty:
        raise InputError(
            gettext("{what} file {name} is empty").format(what=noun(what), name=path.name),
            hint=gettext("Export the layer again; the file has no content."),
        )
    layer = _vector_layer(path, what=what, layer=layer)
    try:
        if path.suffix.lower() in PARQUET_SUFFIXES:
            frame = _read_parquet(path)
        else:
            frame = gpd.read_file(path, layer=layer)
    except ImportError as exc:
        raise InputError(
            gettext("{what} file {name}: reading Parquet needs pyarrow ({error})").format(
                what=noun(what), name=path.name, error=exc
            ),
            hint=gettext("pip install pyarrow, or save the table as CSV or GeoPackage."),
        ) from exc
    except Exception as exc:  # pyogrio raises its own error types; report them all the same way
        raise InputError(
            gettext("{what} file {name} cannot be read: {error}").format(
                what=noun(what), name=path.name, error=exc
            ),
            hint=gettext("Check the file opens in QGIS; save it as GeoJSON or GeoPackage."),
        ) from exc
    if len(frame) == 0:
        raise InputError(
            gettext("{what} file {name} has no features").format(what=noun(what), name=path.name),
            hint=gettext("Check the layer name and that the export contains the points."),
        )
    if frame.crs is None:
        logger.info(  # untranslated: info log for developers (the CLI shows warnings only)
            "%s: no CRS recorded, assuming longitude/latitude (EPSG:4326)", path.name
        )
        frame = frame.set_crs(WGS84)
    return frame


def _read_parquet(path: Path) -> gpd.GeoDataFrame:
    try:
        return gpd.read_parquet(path)
    except ValueError:  # plain Parquet without geo metadata: a table with coordinate columns
        table = pd.read_parquet(path)
        return gpd.GeoDataFrame(table, geometry=gpd.GeoSeries([None] * len(table)), crs=WGS84)


# ---------------------------------------------------------------------------------------------
# checks


def _check_bounds(bounds: tuple[float, float, float, float]) -> None:
    try:
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in bounds)
    except (TypeError, ValueError) as exc:
        raise InputError(
            gettext("area_lonlat_bounds={bounds} is not four numbers").format(bounds=repr(bounds)),
            hint=gettext("Give (min_lon, min_lat, max_lon, max_lat) in degrees."),
        ) from exc
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise InputError(
            gettext(
                "area_lonlat_bounds={bounds} is not (min_lon, min_lat, max_lon, max_lat) in degrees"
            ).format(bounds=repr(bounds)),
            hint=gettext("For Almaty that is about (76.7, 43.1, 77.2, 43.4)."),
        )


def _split_pair(values: pd.Series, *, lon_first: bool) -> tuple[pd.Series, pd.Series]:
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    parts = text.str.extract(r"^\s*[\(\[]?\s*([^,;\s]+)\s*[,;\s]\s*([^,;\s\)\]]+)\s*[\)\]]?\s*$")
    first, second = parts[0].fillna(text), parts[1].fillna("")
    return (second, first) if lon_first else (first, second)


def _parse_coordinates(
    lat_text: pd.Series,
    lon_text: pd.Series,
    lat_name: str,
    lon_name: str,
    problems: _Rows,
    *,
    decimal_comma: bool,
) -> tuple[np.ndarray, np.ndarray]:
    lat = _to_float(lat_text, decimal_comma=decimal_comma, dms=True, kind="latitude").to_numpy()
    lon = _to_float(lon_text, decimal_comma=decimal_comma, dms=True, kind="longitude").to_numpy()
    converted = sum(
        int((~_is_blank(t) & ~_plain_number(t) & np.isfinite(v)).sum())
        for t, v in ((lat_text, lat), (lon_text, lon))
    )
    if converted:
        logger.info(  # untranslated: info log for developers (the CLI shows warnings only)
            "%d coordinates given in degrees, minutes, seconds, converted", converted
        )
    for values, text, column, kind in (
        (lat, lat_text, lat_name, "latitude"),
        (lon, lon_text, lon_name, "longitude"),
    ):
        _check_number_text(text, values, column, kind, problems)
    return lat, lon


def _points_from_geometry(
    geometry: gpd.GeoSeries, problems: _Rows
) -> tuple[np.ndarray, np.ndarray]:
    geoms = np.asarray(geometry.values, dtype=object)
    kinds = np.array([g.geom_type if g is not None else "" for g in geoms], dtype=object)
    missing = np.array([g is None or g.is_empty for g in geoms], dtype=bool)
    single_multi = np.array(
        [
            k == "MultiPoint" and not m and len(g.geoms) == 1
            for g, k, m in zip(geoms, kinds, missing, strict=True)
        ],
        dtype=bool,
    )
    polygon = np.isin(kinds, ["Polygon", "MultiPolygon"]) & ~missing
    point = (kinds == "Point") & ~missing
    other = ~missing & ~point & ~polygon & ~single_multi
    problems.add(missing, lambda i: gettext("column 'geometry': the feature has no geometry"))
    problems.add(
        other,
        lambda i: gettext(
            "column 'geometry': a {kind} is not a point; use a point (or a polygon, whose inside "
            "point is taken)"
        ).format(kind=kinds[i]),
    )
    chosen = np.full(len(geoms), None, dtype=object)
    chosen[point] = geoms[point]
    if single_multi.any():
        chosen[single_multi] = [g.geoms[0] for g in geoms[single_multi]]
    if polygon.any():
        chosen[polygon] = shapely.point_on_surface(geoms[polygon].astype(object))
        logger.info(  # untranslated: info log for developers (the CLI shows warnings only)
            "%d polygons replaced by a point inside each", int(polygon.sum())
        )
    lat = np.full(len(geoms), np.nan)
    lon = np.full(len(geoms), np.nan)
    have = chosen != None  # noqa: E711  (element-wise comparison on an object array)
    if have.any():
        degrees = gpd.GeoSeries(list(chosen[have]), crs=geometry.crs).to_crs(WGS84)
        lon[have], lat[have] = degrees.x.to_numpy(), degrees.y.to_numpy()
    return lat, lon


def _check_ranges(
    lat: np.ndarray,
    lon: np.ndarray,
    lat_name: str,
    lon_name: str,
    bounds: tuple[float, float, float, float] | None,
    problems: _Rows,
) -> None:
    finite = np.isfinite(lat) & np.isfinite(lon)
    with np.errstate(invalid="ignore"):
        lat_bad = finite & (np.abs(lat) > 90)
        lon_bad = finite & (np.abs(lon) > 180)
        swapped = lat_bad & (np.abs(lon) <= 90) & (np.abs(lat) <= 180)
    problems.add(
        swapped,
        lambda i: gettext(
            "column {column}: latitude {lat} is outside -90..90 but longitude {lon} would fit; "
            "are the latitude and longitude columns swapped?"
        ).format(column=repr(lat_name), lat=f"{lat[i]:g}", lon=f"{lon[i]:g}"),
    )
    problems.add(
        lat_bad & ~swapped,
        lambda i: (
            gettext(
                "column {column}: latitude {lat} is outside -90..90; are these projected "
                "coordinates in metres? give degrees (EPSG:4326)"
            )
            if looks_like_metres(lat[i])
            else gettext("column {column}: latitude {lat} is outside -90..90")
        ).format(column=repr(lat_name), lat=f"{lat[i]:g}"),
    )
    problems.add(
        lon_bad & ~swapped,
        lambda i: (
            gettext(
                "column {column}: longitude {lon} is outside -180..180; are these projected "
                "coordinates in metres? give degrees (EPSG:4326)"
            )
            if looks_like_metres(lon[i])
            else gettext("column {column}: longitude {lon} is outside -180..180")
        ).format(column=repr(lon_name), lon=f"{lon[i]:g}"),
    )
    zero = finite & (lat == 0) & (lon == 0)
    columns = {"lat_column": repr(lat_name), "lon_column": repr(lon_name)}
    problems.add(
        zero,
        lambda i: gettext(
            "columns {lat_column}/{lon_column}: 0, 0 is a placeholder, not a position (the sea "
            "off West Africa); the position is missing"
        ).format(**columns),
    )
    in_range = finite & ~lat_bad & ~lon_bad & ~zero
    if bounds is None:
        _check_swapped_against_others(lat, lon, lat_name, lon_name, in_range, problems)
        return
    min_lon, min_lat, max_lon, max_lat = bounds
    inside = (lon >= min_lon) & (lon <= max_lon) & (lat >= min_lat) & (lat <= max_lat)
    inside_swapped = (lat >= min_lon) & (lat <= max_lon) & (lon >= min_lat) & (lon <= max_lat)
    area = gettext("lon {min_lon}..{max_lon}, lat {min_lat}..{max_lat}").format(
        min_lon=f"{min_lon:g}",
        max_lon=f"{max_lon:g}",
        min_lat=f"{min_lat:g}",
        max_lat=f"{max_lat:g}",
    )
    problems.add(
        in_range & ~inside & inside_swapped,
        lambda i: gettext(
            "columns {lat_column}/{lon_column}: latitude {lat}, longitude {lon} is outside the "
            "study area ({area}) but would be inside with the two exchanged; are the latitude "
            "and longitude columns swapped?"
        ).format(lat=f"{lat[i]:g}", lon=f"{lon[i]:g}", area=area, **columns),
    )
    problems.add(
        in_range & ~inside & ~inside_swapped,
        lambda i: gettext(
            "columns {lat_column}/{lon_column}: latitude {lat}, longitude {lon} is outside the "
            "study area ({area})"
        ).format(lat=f"{lat[i]:g}", lon=f"{lon[i]:g}", area=area, **columns),
    )


#: Rows further than this (degrees) from the typical position of the file are outliers ...
_CLUSTER_DEG = 1.0
#: ... and the typical position is trusted when this share of rows lies near it.
_CLUSTER_SHARE = 0.75


def _check_swapped_against_others(
    lat: np.ndarray,
    lon: np.ndarray,
    lat_name: str,
    lon_name: str,
    in_range: np.ndarray,
    problems: _Rows,
) -> None:
    """Without a study area, catch single rows with latitude and longitude exchanged.

    In Kazakhstan both orders are valid degrees (43.25, 76.95 and 76.95, 43.25), so the range
    check cannot see a swap. When most rows (75 %) lie within 1 degree of their median
    position, a row far from it that would lie near it with the two exchanged is reported.
    """
    index = np.flatnonzero(in_range)
    if len(index) < 3:
        return
    mid_lat, mid_lon = float(np.median(lat[index])), float(np.median(lon[index]))
    near = (np.abs(lat - mid_lat) <= _CLUSTER_DEG) & (np.abs(lon - mid_lon) <= _CLUSTER_DEG)
    if near[index].mean() < _CLUSTER_SHARE:
        return
    near_swapped = (np.abs(lon - mid_lat) <= _CLUSTER_DEG) & (np.abs(lat - mid_lon) <= _CLUSTER_DEG)
    problems.add(
        in_range & ~near & near_swapped,
        lambda i: gettext(
            "columns {lat_column}/{lon_column}: latitude {lat}, longitude {lon} is far from the "
            "other rows (around latitude {mid_lat}, longitude {mid_lon}) but would be among them "
            "with the two exchanged; are the latitude and longitude columns swapped?"
        ).format(
            lat_column=repr(lat_name),
            lon_column=repr(lon_name),
            lat=f"{lat[i]:g}",
            lon=f"{lon[i]:g}",
            mid_lat=f"{mid_lat:.2f}",
            mid_lon=f"{mid_lon:.2f}",
        ),
    )


def _check_duplicates(
    points: np.ndarray,
    ok: np.ndarray,
    rows: np.ndarray,
    label: str,
    lat: np.ndarray,
    lon: np.ndarray,
    names: tuple[str, str],
    tolerance_m: float,
    problems: _Rows,
) -> None:
    index = np.flatnonzero(ok)
    geoms = points[index].astype(object)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=float(tolerance_m))
    later = left > right  # (later row, earlier row) pairs
    if not later.any():
        return
    dup, first = index[left[later]], index[right[later]]
    earliest = np.full(len(points), len(points), dtype=np.int64)
    np.minimum.at(earliest, dup, first)
    is_dup = earliest < len(points)

    texts = {
        ("row", True): N_(
            "columns {lat_column}/{lon_column}: latitude {lat}, longitude {lon} is the same "
            "position as row {row} (within {tolerance} m): a duplicate"
        ),
        ("row", False): N_(
            "columns {lat_column}/{lon_column}: latitude {lat}, longitude {lon} is {gap} m from "
            "row {row} (within {tolerance} m): a duplicate"
        ),
        ("feature", True): N_(
            "columns {lat_column}/{lon_column}: latitude {lat}, longitude {lon} is the same "
            "position as feature {row} (within {tolerance} m): a duplicate"
        ),
        ("feature", False): N_(
            "columns {lat_column}/{lon_column}: latitude {lat}, longitude {lon} is {gap} m from "
            "feature {row} (within {tolerance} m): a duplicate"
        ),
    }

    def message(i: int) -> str:
        j = int(earliest[i])
        gap = float(shapely.distance(points[i], points[j]))
        text = texts.get((label, gap == 0), texts[("row", gap == 0)])
        return gettext(text).format(
            lat_column=repr(names[0]),
            lon_column=repr(names[1]),
            lat=f"{lat[i]:g}",
            lon=f"{lon[i]:g}",
            gap=f"{gap:.2f}",
            row=rows[j],
            tolerance=f"{tolerance_m:g}",
        )

    problems.add(is_dup, message)


def _check_values(text: pd.Series, values: pd.Series, column: str, problems: _Rows) -> None:
    blank = _is_blank(text)
    number = values.to_numpy()
    raw = text.to_numpy()
    name = repr(column)
    problems.add(
        blank, lambda i: gettext("column {column}: value is missing").format(column=name)
    )
    problems.add(
        ~blank & ~np.isfinite(number),
        lambda i: gettext("column {column}: {value} is not a number").format(
            column=name, value=_fmt(raw[i])
        )
        + _number_hint(raw[i]),
    )
    with np.errstate(invalid="ignore"):
        negative = np.isfinite(number) & (number < 0)
    problems.add(
        negative,
        lambda i: gettext("column {column}: {value} is negative").format(
            column=name, value=f"{number[i]:g}"
        ),
    )


def _check_number_text(
    text: pd.Series, values: np.ndarray, column: str, kind: str, problems: _Rows
) -> None:
    blank = _is_blank(text)
    raw = text.to_numpy()
    latitude = kind == "latitude"
    missing = (
        N_("column {column}: latitude is missing")
        if latitude
        else N_("column {column}: longitude is missing")
    )
    not_number = (
        N_("column {column}: latitude {value} is not a number")
        if latitude
        else N_("column {column}: longitude {value} is not a number")
    )
    problems.add(blank, lambda i: gettext(missing).format(column=repr(column)))
    problems.add(
        ~blank & ~np.isfinite(values),
        lambda i: gettext(not_number).format(column=repr(column), value=_fmt(raw[i]))
        + _number_hint(raw[i], kind),
    )


def _plain_number(text: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(text):
        return np.ones(len(text), dtype=bool)
    cleaned = text.astype(object).where(text.notna(), "").astype(str).str.strip()
    cleaned = cleaned.str.replace("\u2212", "-").str.replace(",", ".", regex=False)
    return np.asarray(pd.to_numeric(cleaned, errors="coerce").notna())


def _number_hint(value: object, kind: str | None = None) -> str:
    """Why a text that looks nearly like a number is not one, and how to fix it."""
    text = str(value).strip()
    letter = _hemisphere(text)
    if kind in _HEMISPHERES and letter and letter not in _HEMISPHERES[kind]:
        marks = (
            N_(
                "({letter} marks a longitude, not a latitude: are the latitude and longitude "
                "columns swapped?)"
            )
            if kind == "latitude"
            else N_(
                "({letter} marks a latitude, not a longitude: are the latitude and longitude "
                "columns swapped?)"
            )
        )
        return " " + gettext(marks).format(letter=letter)
    if re.fullmatch(r"[-+\u2212]?\d+,\d+", text):
        return " " + gettext(
            "(a decimal comma? in a comma-separated file write {number}, or save the file with "
            "';' as the separator)"
        ).format(number=text.replace(",", "."))
    if re.search(r"\d\s*[°º]", text):
        return " " + gettext(
            "(degrees-minutes-seconds could not be read: write it as 42°52'14.2\"N or in decimal "
            "degrees, 42.870611)"
        )
    return ""


def _names(values: pd.Series) -> list[str | None]:
    out: list[str | None] = []
    for value in values.to_numpy(dtype=object):
        missing = value is None or (not isinstance(value, str) and bool(pd.isna(value)))
        text = "" if missing else str(value).strip()
        out.append(text or None)
    return out
