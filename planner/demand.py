"""Where residents live and how many: the demand a police station must reach on foot.

Three sources give the same demand frame (schema below): OSM building footprints
(:func:`demand_from_buildings`), a population raster such as WorldPop 100 m
(:func:`demand_from_raster`), or a table of points with a population column
(:func:`demand_from_points`).

Which OSM buildings are homes
-----------------------------
A building counts as residential when

1. its ``building`` tag is a residential type (:data:`RESIDENTIAL_TYPES`): ``apartments``,
   ``residential``, ``house``, ``detached``, ``semidetached_house``, ``terrace``,
   ``dormitory``, ``bungalow``, ``cabin``, ``farm`` (OSM's farmhouse); or
2. it is tagged only ``building=yes`` and its representative point (a point inside the
   footprint) lies in a ``landuse=residential`` polygon. In Kazakh cities most private houses
   and many apartment blocks are mapped as ``building=yes``; inside residential land use they
   are nearly all homes;

and its footprint is at least ``min_footprint_m2`` (smaller ones are sheds, garages and
outbuildings). Everything else is left out: ``building=yes`` outside residential land use, and
every other type (``commercial``, ``school``, ``garage``, ``hut``, ``ger``, ``allotment_house``
and so on: huts and yurts in cities are rarely permanent homes, allotment houses (dachas) are
seasonal). Known limits: a ``building=yes`` school or shop inside residential land use counts
as housing (the OSM layer carries no ``amenity``/``shop`` tags), and homes above shops on
``building=commercial`` or ``retail`` are missed.

How many live there
-------------------
``population = footprint_m2 x levels / floor_area_per_resident_m2``, with the footprint
measured in the metric CRS and ``levels`` from ``building:levels``, or a default by building
type when the tag is missing or unreadable (:class:`PopulationSettings` has every default and
its reasoning). The estimate can be scaled so that it adds up to a known total
(``PopulationSettings.total_population``, or :func:`calibrate` on any demand frame).

The demand frame
----------------
``demand_id``
    ``"osm:way/123"`` for buildings, ``"raster:<row>/<col>"`` for raster cells without a
    building (0-based row and column of the whole raster), ``"<file name>:<row>"`` for points.
``population``
    Residents, float (``NaN`` on unusable rows).
``building``, ``levels``, ``levels_source``, ``footprint_m2``, ``floor_area_m2``
    The building tag, the storeys used, where they came from (``"tag"``, ``"default_missing"``,
    ``"default_unparsable"``, ``"default_out_of_range"``), the footprint and the floor area
    (footprint x levels); ``None``/``NaN`` for raster cell points and table points.
``source``
    ``"osm_footprint"``, ``"raster"`` or ``"points"``.
``demand_kind``
    Only in raster output: ``"building"`` for a building that received part of its cell's
    residents, :data:`RASTER_CELL_KIND` for a cell with residents but no mapped residential
    building (a demand point of its own at the cell centre, so nobody in the raster is
    dropped; the reports count these apart from buildings).
``usable``, ``problem``
    As for stations: later steps mark rows unusable (e.g. too far from a walkable street) with
    :func:`planner.stations.mark_unusable`; ``problem`` says why (``""`` when usable).
``geometry``
    The building polygon, or a point, in the metric CRS of the walk network. Where the door is
    (the representative point snapped to the street) is decided when distances are computed.

Building frames keep the index of the input buildings and their other columns (``osm_type``,
``osm_id``, ``name``, addresses). Raster output has a fresh index (building rows keep their
``demand_id``); point tables keep ``row`` and their columns.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from planner import i18n
from planner._crs import require_metric_crs
from planner._tables import read_point_table
from planner.errors import InputError
from planner.i18n import fmt_share, gettext, ngettext

__all__ = [
    "DEFAULT_LEVELS",
    "RASTER_CELL_KIND",
    "RESIDENTIAL_TYPES",
    "PopulationSettings",
    "calibrate",
    "classify_buildings",
    "demand_from_buildings",
    "demand_from_points",
    "demand_from_raster",
    "parse_levels",
    "population_from_floor_area",
    "spread_over_cells",
]

logger = logging.getLogger(__name__)

#: ``building=*`` values counted as homes wherever they are.
RESIDENTIAL_TYPES = frozenset(
    {
        "apartments",
        "residential",
        "house",
        "detached",
        "semidetached_house",
        "terrace",
        "dormitory",
        "bungalow",
        "cabin",
        "farm",
    }
)
#: Building values whose default storeys follow the footprint size (small: a house, large: an
#: apartment block): ``yes`` (counted only inside residential land use) and ``residential``,
#: which Kazakh and Russian mappers use for houses and blocks alike.
SIZE_RULE_TYPES = frozenset({"yes", "residential"})
#: Default storeys when ``building:levels`` is missing or unreadable.
#:
#: * ``apartments`` 5: the Soviet five-storey block (khrushchyovka, series 1-464 and kin) is the
#:   commonest apartment building in Kazakh cities; newer blocks are taller (9-16 storeys) but
#:   are also more often tagged with their levels.
#: * ``dormitory`` 5: Soviet dormitories (общежития) are mostly 5 storeys.
#: * ``house``, ``detached``, ``semidetached_house`` (a house for two families, "дом на двух
#:   хозяев"), ``bungalow``, ``cabin``, ``farm`` 1: private houses in the private-housing
#:   districts are mostly single storey.
#: * ``terrace`` 2: row houses and townhouses are usually two storeys.
DEFAULT_LEVELS: Mapping[str, float] = MappingProxyType(
    {
        "apartments": 5.0,
        "dormitory": 5.0,
        "house": 1.0,
        "detached": 1.0,
        "semidetached_house": 1.0,
        "bungalow": 1.0,
        "cabin": 1.0,
        "farm": 1.0,
        "terrace": 2.0,
    }
)

#: ``demand_kind`` of a raster cell with residents but no mapped residential building.
# untranslated: a value of the demand_kind column (data, not a message)
RASTER_CELL_KIND = "raster cell without mapped buildings"

DemandSource = Literal["osm_footprint", "raster", "points"]
DEMAND_COLUMNS = (
    "demand_id",
    "population",
    "building",
    "levels",
    "levels_source",
    "footprint_m2",
    "floor_area_m2",
    "source",
    "usable",
    "problem",
)


@dataclass(frozen=True, kw_only=True)
class PopulationSettings:
    """How building footprints become residents. Every default is an assumption; override it.

    Parameters
    ----------
    floor_area_per_resident_m2
        Gross floor area (footprint x storeys) per resident. Default 30 m²: Kazakhstan's
        housing stock was 23.4 m² of total dwelling area per resident in 2022 and 24.5 m² in
        2024 (Bureau of National Statistics figures as reported in the press; Astana and Almaty
        about 30 m²), times about 1.3 for what a footprint also covers but a dwelling's area
        does not (outer and inner walls, stairwells, corridors, lift shafts):
        23.4 x 1.3 = 30.4. The 1.3 is an assumption (typical gross-to-net ratios of
        residential blocks are 1.2-1.4). For Almaty or Astana ~38-40 m² fits the city
        figure better; ``total_population`` removes the dependence on this number.
    default_levels
        Storeys per ``building`` type when ``building:levels`` is missing or unreadable.
        Entries given here replace those of :data:`DEFAULT_LEVELS`; the others stay.
    large_footprint_m2
        For ``building=yes`` (in residential land use) and ``building=residential`` without
        levels: a footprint at least this large is taken as an apartment block (the
        ``apartments`` default storeys), a smaller one as a house (the ``house`` default).
        Default 300 m²: private houses in Kazakh cities have footprints of roughly 60-250 m²,
        while a single-entrance section of a Soviet block is about 12 m x 25 m = 300 m² and a
        four-entrance five-storey block about 700-850 m².
    min_footprint_m2
        Smaller residential-looking buildings are left out as sheds, garages and summer
        kitchens. Default 30 m² (a Soviet garage is 18-24 m²; the smallest lived-in houses are
        about 35-40 m²).
    max_levels
        ``building:levels`` values above this (or below 1) are treated as mistakes and replaced
        by the default. Default 100 (the tallest buildings in Kazakhstan have about 75).
    residential_types
        ``building`` values counted as homes wherever they are (``yes`` counts only inside
        residential land use, in addition). Default :data:`RESIDENTIAL_TYPES`.
    yes_outside_residential_landuse
        Count ``building=yes`` everywhere, not only inside ``landuse=residential``. For
        extracts where residential land use is barely mapped (the bundled Almaty 2012 extract
        has 178 of 8108 ``building=yes`` inside it), at the price of counting offices, shops
        and warehouses tagged ``yes`` as homes: calibrate with ``total_population`` or use a
        population raster. Default ``False``; a warning says when few ``yes`` buildings are
        inside residential land use.
    max_untyped_footprint_m2
        ``building=yes`` footprints larger than this are not counted as homes. Default
        5,000 m²: the longest Soviet residential blocks (nine storeys, up to ~250 m x 13 m)
        stay under ~3,300 m² and courtyard blocks under ~5,000 m², while the untyped giants
        of the bundled Almaty data are a shopping mall ("Мега", 29,000 m²), a university
        campus, water works and factory halls (92 footprints above 5,000 m² would otherwise
        hold 12.5 % of the estimated residents). Typed homes (``apartments``, ...) are never
        capped.
    total_population
        If given, the estimates are scaled to add up to this (e.g. the city's official
        population); ``None`` leaves them as computed.
    """

    floor_area_per_resident_m2: float = 30.0
    default_levels: Mapping[str, float] = field(default_factory=dict, hash=False)
    large_footprint_m2: float = 300.0
    min_footprint_m2: float = 30.0
    max_levels: float = 100.0
    residential_types: Collection[str] = RESIDENTIAL_TYPES
    yes_outside_residential_landuse: bool = False
    max_untyped_footprint_m2: float = 5_000.0
    total_population: float | None = None

    def __post_init__(self) -> None:
        problems: list[str] = []
        for name, upper in (
            ("floor_area_per_resident_m2", 500.0),
            ("large_footprint_m2", 100_000.0),
            ("max_untyped_footprint_m2", 10_000_000.0),
            ("max_levels", 500.0),
        ):
            problems += _positive(name, getattr(self, name), upper=upper)
        min_fp = self.min_footprint_m2
        if not _is_number(min_fp) or min_fp < 0 or min_fp > 10_000:
            problems.append(
                gettext("min_footprint_m2={value} is not an area in 0..10000 m²").format(
                    value=repr(min_fp)
                )
            )
        if not isinstance(self.yes_outside_residential_landuse, bool):
            problems.append(
                gettext("yes_outside_residential_landuse={value} is not True or False").format(
                    value=repr(self.yes_outside_residential_landuse)
                )
            )
        if self.total_population is not None:
            problems += _positive("total_population", self.total_population, upper=1e9)
        if isinstance(self.residential_types, str):
            problems.append(
                gettext(
                    "residential_types={value} is one text; give a set of building values, "
                    "e.g. {example}"
                ).format(value=repr(self.residential_types), example="{'apartments', 'house'}")
            )
            types: frozenset[str] = frozenset()
        else:
            types = frozenset(str(t).strip().lower() for t in self.residential_types)
        if not isinstance(self.default_levels, Mapping):
            problems.append(
                gettext("default_levels={value} is not a mapping").format(
                    value=repr(self.default_levels)
                )
            )
            merged = dict(DEFAULT_LEVELS)
        else:
            merged = dict(DEFAULT_LEVELS)
            for key, value in self.default_levels.items():
                key_text = str(key).strip().lower()
                if key_text not in types and key_text not in DEFAULT_LEVELS:
                    problems.append(
                        gettext(
                            "default_levels[{key}]: {key} is not a residential building type "
                            "(known: {known})"
                        ).format(key=repr(key), known=sorted(types))
                    )
                problems += _positive(f"default_levels[{key!r}]", value, upper=500.0)
                merged[key_text] = float(value) if _is_number(value) else value
        for needed in ("apartments", "house"):
            if needed not in merged:  # pragma: no cover - DEFAULT_LEVELS has both
                problems.append(
                    gettext("default_levels needs an entry for {key}").format(key=repr(needed))
                )
        no_default = sorted(t for t in types if t not in merged and t not in SIZE_RULE_TYPES)
        if no_default:
            problems.append(
                gettext(
                    "residential types {types} have no default storeys; add them to "
                    "default_levels"
                ).format(types=no_default)
            )
        if problems:
            raise InputError(
                gettext("invalid population settings"),
                problems,
                gettext(
                    "Give areas in m² and storeys as positive numbers, e.g. {example}."
                ).format(
                    example="PopulationSettings("
                    "floor_area_per_resident_m2=35, default_levels={'apartments': 9})"
                ),
            )
        object.__setattr__(self, "residential_types", types)
        object.__setattr__(self, "default_levels", MappingProxyType(merged))


def _decimal_text(text: str) -> str:
    """A decimal number as printed so far (``2.500``), with a decimal comma in ru/kk."""
    return text if i18n.language() == "en" else text.replace(".", ",")


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _positive(name: str, value: object, *, upper: float) -> list[str]:
    if not _is_number(value):
        return [
            gettext("{name}={value} is not a finite number").format(name=name, value=repr(value))
        ]
    assert isinstance(value, int | float)
    if value <= 0:
        return [
            gettext("{name}={value} must be greater than 0").format(name=name, value=repr(value))
        ]
    if value > upper:
        return [
            gettext("{name}={value} is larger than the plausible maximum {upper}").format(
                name=name, value=repr(value), upper=f"{upper:g}"
            )
        ]
    return []


# ---------------------------------------------------------------------------------------------
# numeric core: arrays in, arrays out


def population_from_floor_area(
    floor_area_m2: Sequence[float] | np.ndarray, *, floor_area_per_resident_m2: float
) -> np.ndarray:
    """Residents housed by each floor area: ``floor_area_m2 / floor_area_per_resident_m2``."""
    return np.asarray(floor_area_m2, dtype=np.float64) / float(floor_area_per_resident_m2)


def spread_over_cells(
    cell: np.ndarray, weight: np.ndarray, cell_population: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Share each cell's population among the items in it, in proportion to their weights.

    Parameters
    ----------
    cell
        Flat cell index of each item (``-1`` for items in no cell).
    weight
        Non-negative weight of each item (floor area, or 1 to share equally).
    cell_population
        Population of every cell (``NaN`` or 0 where none).

    Returns
    -------
    tuple of numpy.ndarray
        Population of each item (0 for items in no cell, in an empty cell, or with weight 0
        when all the cell's items have weight 0: then the cell counts as having none), and the
        flat indices of cells with population but no item of positive weight.
    """
    cell = np.asarray(cell, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.float64)
    cells = np.nan_to_num(np.asarray(cell_population, dtype=np.float64), nan=0.0)
    inside = cell >= 0
    total = np.bincount(cell[inside], weights=weight[inside], minlength=cells.size)
    share = np.zeros(len(cell), dtype=np.float64)
    ok = inside.copy()
    ok[inside] = total[cell[inside]] > 0
    share[ok] = weight[ok] / total[cell[ok]]
    population = np.zeros(len(cell), dtype=np.float64)
    population[ok] = cells[cell[ok]] * share[ok]
    orphan = np.flatnonzero((cells > 0) & (total <= 0))
    return population, orphan


_LEVEL_TOKEN = re.compile(
    r"^(\d+(?:\.\d+)?)(?:\s*(?:-|–|\.\.)\s*(\d+(?:\.\d+)?))?"
    r"\s*(?:эт\w*\.?|floors?|levels?|storeys?|stories)?$",
    re.IGNORECASE,
)


def _parse_level_text(text: str, max_levels: float) -> tuple[float, str]:
    parts = [p.strip() for p in re.split(r"[;,]", text) if p.strip()]
    if not parts:
        return math.nan, "missing"
    values: list[float] = []
    for part in parts:
        total = 0.0
        for piece in part.split("+"):  # "5+1": five storeys and an attic storey
            match = _LEVEL_TOKEN.match(piece.strip())
            if match is None:
                return math.nan, "unparsable"
            low = float(match.group(1))
            high = float(match.group(2)) if match.group(2) else low
            total += (low + high) / 2.0
        values.append(total)
    value = sum(values) / len(values)
    if value < 1 or value > max_levels:
        return math.nan, "out_of_range"
    return value, "tag"


def parse_levels(
    values: Sequence[object] | pd.Series | np.ndarray, *, max_levels: float = 100.0
) -> tuple[np.ndarray, np.ndarray]:
    """Read OSM ``building:levels`` values.

    ``"5"`` is 5; ``"3.5"`` is 3.5; a list ``"5;9"`` (or ``"5,9"``: a comma is read as a list
    separator, as in OSM, not as a decimal comma) is the mean, 7, since parts of one building
    often differ; a range ``"9-12"`` is its middle, 10.5; ``"5+1"`` is 6; units such as
    ``"5 этажей"`` or ``"5 floors"`` are accepted. Anything else is unparsable, and values
    below 1 or above ``max_levels`` are out of range.

    Returns
    -------
    tuple of numpy.ndarray
        The storeys (``NaN`` where not usable) and the status of each value: ``"tag"``,
        ``"missing"``, ``"unparsable"`` or ``"out_of_range"``.
    """
    series = pd.Series(np.asarray(values, dtype=object), dtype=object)
    text = series.map(_level_text)
    parsed = {t: _parse_level_text(t, max_levels) for t in pd.unique(text) if t}
    levels = np.array([parsed[t][0] if t else math.nan for t in text], dtype=np.float64)
    status = np.array([parsed[t][1] if t else "missing" for t in text], dtype=object)
    return levels, status


def _level_text(value: object) -> str:
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def calibrate(demand: gpd.GeoDataFrame, *, total_population: float) -> gpd.GeoDataFrame:
    """Scale ``population`` so that the usable rows add up to ``total_population``.

    The factor used is stored in ``result.attrs["calibration_factor"]`` and logged; a factor
    far from 1 says the footprints (or the raster) miss or overcount many homes.
    """
    problems = _positive("total_population", total_population, upper=1e9)
    if problems:
        raise InputError(
            gettext("calibrate: invalid total"), problems, gettext("Give the number of residents.")
        )
    usable = demand["usable"].to_numpy(dtype=bool) if "usable" in demand.columns else None
    population = demand["population"].to_numpy(dtype=np.float64)
    counted = population if usable is None else population[usable]
    estimate = float(np.nansum(counted))
    if estimate <= 0:
        raise InputError(
            gettext("calibrate: the estimate adds up to 0 residents, so it cannot be scaled"),
            hint=gettext(
                "Check that residential buildings were found (landuse polygons, building tags)."
            ),
        )
    factor = float(total_population) / estimate
    out = demand.copy()
    out["population"] = population * factor
    out.attrs["calibration_factor"] = factor
    level = logging.WARNING if not 0.5 <= factor <= 2.0 else logging.INFO
    logger.log(
        level,
        gettext("population calibrated: estimate {estimate} scaled by {factor} to {total}").format(
            estimate=f"{estimate:.0f}",
            factor=_decimal_text(f"{factor:.3f}"),
            total=f"{float(total_population):.0f}",
        ),
    )
    return out


# ---------------------------------------------------------------------------------------------
# buildings


def classify_buildings(
    buildings: gpd.GeoDataFrame,
    residential_areas: gpd.GeoDataFrame | None = None,
    *,
    settings: PopulationSettings | None = None,
) -> gpd.GeoDataFrame:
    """Decide for every building whether it is a home and how many storeys it has.

    Parameters
    ----------
    buildings
        OSM buildings (``building``, ``building:levels`` columns) in a metric CRS.
    residential_areas
        ``landuse=residential`` polygons in the same CRS; without them only buildings with a
        residential type count.
    settings
        Population assumptions; :class:`PopulationSettings` defaults when ``None``.

    Returns
    -------
    geopandas.GeoDataFrame
        Aligned to ``buildings``' index, with ``building`` (the tag, lower case),
        ``residential`` (bool), ``reason`` (why it is or is not counted), ``footprint_m2``,
        ``levels``, ``levels_source`` and ``floor_area_m2`` (``NaN`` for non-residential
        buildings), and the footprint geometry.
    """
    settings = settings or PopulationSettings()
    crs = require_metric_crs(
        buildings.crs, what=gettext("the buildings"), function="classify_buildings"
    )
    if "building" not in buildings.columns:
        raise InputError(
            gettext("classify_buildings: the buildings have no 'building' column"),
            [gettext("columns present: {columns}").format(columns=list(buildings.columns))],
            gettext("Pass the 'buildings' frame returned by planner.osm."),
        )
    geoms = np.asarray(buildings.geometry.values, dtype=object)
    polygonal = np.isin(shapely.get_type_id(geoms), [3, 6])  # Polygon, MultiPolygon
    footprint = np.where(polygonal, shapely.area(geoms), np.nan)
    tag = (
        buildings["building"]
        .astype(object)
        .where(buildings["building"].notna(), "")
        .astype(str)
        .str.strip()
        .str.lower()
        .to_numpy(dtype=object)
    )
    types = frozenset(settings.residential_types)
    typed = np.isin(tag, list(types))
    untyped = tag == "yes"
    in_landuse = np.zeros(len(buildings), dtype=bool)
    if residential_areas is not None and len(residential_areas) and untyped.any():
        require_metric_crs(
            residential_areas.crs,
            what=gettext("the residential areas"),
            function="classify_buildings",
        )
        if pyproj.CRS.from_user_input(residential_areas.crs) != crs:
            raise InputError(
                gettext(
                    "classify_buildings: buildings and residential areas are in different CRSs"
                ),
                [
                    gettext("buildings: {crs}").format(crs=crs.name),
                    gettext("residential areas: {crs}").format(crs=residential_areas.crs.name),
                ],
                gettext("Project both with .to_crs(network.crs)."),
            )
        candidates = np.flatnonzero(untyped & polygonal)
        points = shapely.point_on_surface(geoms[candidates])
        areas = np.asarray(residential_areas.geometry.values, dtype=object)
        hit, _ = shapely.STRtree(areas).query(points, predicate="within")
        in_landuse[candidates[np.unique(hit)]] = True
    _warn_sparse_landuse(untyped & polygonal, in_landuse, settings)
    if settings.yes_outside_residential_landuse:
        in_landuse = untyped.copy()
    area_m2 = np.nan_to_num(footprint, nan=0.0)
    big_enough = polygonal & (area_m2 >= settings.min_footprint_m2)
    too_big = untyped & in_landuse & (area_m2 > settings.max_untyped_footprint_m2)
    residential = (typed | (untyped & in_landuse)) & big_enough & ~too_big

    # untranslated: the reason column below is data (read by scripts and tests), not a message
    reason = np.full(len(buildings), "", dtype=object)
    reason[typed] = "residential type 'building=" + tag[typed].astype(str) + "'"
    reason[untyped & in_landuse] = (
        "'building=yes' (yes_outside_residential_landuse=True)"
        if settings.yes_outside_residential_landuse
        else "'building=yes' inside landuse=residential"
    )
    # untranslated: data
    reason[untyped & ~in_landuse] = "'building=yes' outside any landuse=residential area"
    other = ~typed & ~untyped
    reason[other & (tag != "")] = (
        # untranslated: data
        "'building=" + tag[other & (tag != "")].astype(str) + "' is not a residential type"
    )
    reason[other & (tag == "")] = "no building tag"  # untranslated: data
    small = (typed | (untyped & in_landuse)) & polygonal & ~big_enough
    if small.any():
        reason[small] = [  # untranslated: data
            f"footprint {a:.0f} m² is below min_footprint_m2={settings.min_footprint_m2:g} "
            "(shed or garage)"  # untranslated: data
            for a in footprint[small]
        ]
    if too_big.any():
        reason[too_big] = [  # untranslated: data
            f"'building=yes' footprint {a:.0f} m² is above max_untyped_footprint_m2="
            # untranslated: data
            f"{settings.max_untyped_footprint_m2:g} (a hall, mall, factory or campus)"
            for a in area_m2[too_big]
        ]
    reason[~polygonal] = "footprint is not a polygon"  # untranslated: data

    levels_col = (
        buildings["building:levels"]
        if "building:levels" in buildings.columns
        else pd.Series([None] * len(buildings))
    )
    tagged, status = parse_levels(levels_col.to_numpy(dtype=object), max_levels=settings.max_levels)
    defaults = (
        pd.Series(tag, dtype=object)
        .map(dict(settings.default_levels))
        .to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    )
    size_rule = np.isin(tag, list(SIZE_RULE_TYPES)) & ~np.isin(tag, list(settings.default_levels))
    large = np.nan_to_num(footprint, nan=0.0) >= settings.large_footprint_m2
    defaults[size_rule & large] = settings.default_levels["apartments"]
    defaults[size_rule & ~large] = settings.default_levels["house"]
    use_tag = status == "tag"
    levels = np.where(use_tag, tagged, defaults)
    levels_source = np.where(use_tag, "tag", "default_" + status.astype(str)).astype(object)
    levels[~residential] = np.nan
    levels_source[~residential] = None

    out = gpd.GeoDataFrame(
        {
            "building": pd.Series(tag, dtype=object, index=buildings.index).replace("", None),
            "residential": residential,
            "reason": reason.astype(str),
            "footprint_m2": footprint,
            "levels": levels,
            "levels_source": levels_source,
            "floor_area_m2": footprint * levels,
        },
        geometry=gpd.GeoSeries(geoms, crs=crs, index=buildings.index),
        crs=crs,
        index=buildings.index.copy(),
    )
    _log_classification(out, status, levels_col)
    return out


#: Below this share of ``building=yes`` inside residential land use, warn that it is sparse.
_SPARSE_LANDUSE_SHARE = 0.2


def _warn_sparse_landuse(
    untyped: np.ndarray, in_landuse: np.ndarray, settings: PopulationSettings
) -> None:
    n_yes = int(untyped.sum())
    if settings.yes_outside_residential_landuse or n_yes < 20:
        return
    share = float(in_landuse[untyped].mean())
    if share < _SPARSE_LANDUSE_SHARE:
        logger.warning(
            gettext(
                "only {n} of {total} 'building=yes' footprints ({share}) lie in "
                "landuse=residential: residential land use looks sparsely mapped, so many homes "
                "may be missed. Consider {settings} or a population raster (demand_from_raster)."
            ).format(
                n=int(in_landuse[untyped].sum()),
                total=n_yes,
                share=fmt_share(share, digits=0),
                settings="PopulationSettings(yes_outside_residential_landuse=True, "
                "total_population=...)",
            )
        )


def _log_classification(
    classified: gpd.GeoDataFrame, status: np.ndarray, levels_col: pd.Series
) -> None:
    residential = classified["residential"].to_numpy(dtype=bool)
    logger.info(
        ngettext(
            "{n} of {total} buildings are residential; reasons: {reasons}",
            "{n} of {total} buildings are residential; reasons: {reasons}",
            len(classified),
        ).format(
            n=int(residential.sum()),
            total=len(classified),
            reasons=classified["reason"]
            .str.replace(r"\d+ m²", "N m²", regex=True)
            .value_counts()
            .to_dict(),
        )
    )
    source = classified.loc[residential, "levels_source"].value_counts().to_dict()
    bad = residential & np.isin(status, ["unparsable", "out_of_range"])
    examples = pd.unique(levels_col.to_numpy(dtype=object)[bad].astype(str))[:5].tolist()
    if examples:
        logger.info(
            gettext(
                "storeys of residential buildings: {sources}; unreadable building:levels "
                "replaced by the default, e.g. {examples}"
            ).format(sources=source, examples=examples)
        )
    else:
        logger.info(gettext("storeys of residential buildings: {sources}").format(sources=source))


def demand_from_buildings(
    buildings: gpd.GeoDataFrame,
    residential_areas: gpd.GeoDataFrame | None = None,
    *,
    settings: PopulationSettings | None = None,
) -> gpd.GeoDataFrame:
    """Residents of every residential OSM building, from footprint, storeys and floor area.

    Parameters
    ----------
    buildings
        OSM buildings in a metric CRS (``building``, ``building:levels``, ``osm_type``,
        ``osm_id``, ...).
    residential_areas
        ``landuse=residential`` polygons, used for ``building=yes`` (module docstring).
    settings
        Population assumptions; :class:`PopulationSettings` defaults when ``None``.

    Returns
    -------
    geopandas.GeoDataFrame
        The demand frame of the module docstring, one row per residential building, index
        taken from ``buildings``, the buildings' other columns kept.
    """
    settings = settings or PopulationSettings()
    classified = classify_buildings(buildings, residential_areas, settings=settings)
    keep = classified["residential"].to_numpy(dtype=bool)
    chosen = classified.loc[keep]
    population = population_from_floor_area(
        chosen["floor_area_m2"].to_numpy(),
        floor_area_per_resident_m2=settings.floor_area_per_resident_m2,
    )
    index = chosen.index
    if {"osm_type", "osm_id"} <= set(buildings.columns):
        ids = [
            f"osm:{t}/{i}"
            for t, i in zip(
                buildings.loc[keep, "osm_type"], buildings.loc[keep, "osm_id"], strict=True
            )
        ]
    else:
        ids = [f"building:{i}" for i in index]
    frame = pd.DataFrame(
        {
            "demand_id": ids,
            "population": population,
            "building": chosen["building"].to_numpy(dtype=object),
            "levels": chosen["levels"].to_numpy(),
            "levels_source": chosen["levels_source"].to_numpy(dtype=object),
            "footprint_m2": chosen["footprint_m2"].to_numpy(),
            "floor_area_m2": chosen["floor_area_m2"].to_numpy(),
            "source": "osm_footprint",
            "usable": True,
            "problem": "",
        },
        index=index,
    )
    extra = buildings.loc[keep].drop(columns=[buildings.geometry.name])
    extra = extra[[c for c in extra.columns if c not in frame.columns]]
    frame = pd.concat([frame, extra], axis=1) if len(extra.columns) else frame
    out = gpd.GeoDataFrame(frame, geometry=chosen.geometry, crs=classified.crs)
    logger.info(
        ngettext(
            "{n} residential buildings house an estimated {residents} residents",
            "{n} residential buildings house an estimated {residents} residents",
            len(out),
        ).format(n=len(out), residents=f"{float(out['population'].sum()):.0f}")
    )
    if settings.total_population is not None:
        out = calibrate(out, total_population=settings.total_population)
    return out


# ---------------------------------------------------------------------------------------------
# raster


def demand_from_raster(
    path: str | Path,
    residential: gpd.GeoDataFrame,
    *,
    weight: Literal["floor_area", "equal"] = "floor_area",
    area: shapely.Geometry | None = None,
    band: int = 1,
    max_cells: int = 50_000_000,
) -> gpd.GeoDataFrame:
    """Spread a population raster (e.g. WorldPop 100 m) onto the residential buildings.

    Each cell's population goes to the residential buildings whose representative point lies in
    the cell, in proportion to their floor area (``weight="floor_area"``) or in equal parts
    (``"equal"``). A cell with population but no building becomes one point at the cell centre.
    The raster is not resampled: the buildings' points are projected into the raster's CRS.
    Nodata cells, ``NaN`` and negative values hold nobody.

    Parameters
    ----------
    path
        GeoTIFF (anything rasterio reads) of residents per cell, with a CRS.
    residential
        Residential buildings in the metric CRS, usually :func:`demand_from_buildings`' output
        (``floor_area_m2`` is needed for ``weight="floor_area"``). May be empty.
    weight
        How a cell is shared among its buildings.
    area
        Study area polygon in the metric CRS: only cells whose centre lies inside count, and
        only that part of the raster is read. Without it the whole raster is read.
    band
        Raster band holding the population.
    max_cells
        Refuse to read more cells than this at once (a country raster): pass ``area``.

    Returns
    -------
    geopandas.GeoDataFrame
        The demand frame (module docstring) with ``source="raster"``: building rows (with their
        ``demand_id``; buildings in empty cells or outside the raster are left out) followed by
        cell-centre points, plus a ``raster_cell`` column ``"<row>/<col>"`` and
        ``demand_kind`` (``"building"`` or :data:`RASTER_CELL_KIND`).
    """
    path = Path(path)
    crs = require_metric_crs(
        residential.crs, what=gettext("the residential buildings"), function="demand_from_raster"
    )
    if weight not in ("floor_area", "equal"):
        raise InputError(
            gettext("demand_from_raster: weight={value} is not 'floor_area' or 'equal'").format(
                value=repr(weight)
            ),
            hint=gettext("Use weight='floor_area' (default) or weight='equal'."),
        )
    if weight == "floor_area" and "floor_area_m2" not in residential.columns:
        raise InputError(
            gettext("demand_from_raster: the residential buildings have no 'floor_area_m2' column"),
            hint=gettext("Pass the output of demand_from_buildings, or use weight='equal'."),
        )
    raster = _read_cells(path, band=band, area=area, crs=crs, max_cells=max_cells)
    cells, transform, raster_crs = raster.cells, raster.transform, raster.crs
    n_rows, n_cols = cells.shape
    rep = gpd.GeoSeries(
        shapely.point_on_surface(np.asarray(residential.geometry.values, dtype=object)),
        crs=crs,
    ).to_crs(raster_crs)
    xy = shapely.get_coordinates(rep.values) if len(rep) else np.empty((0, 2))
    inverse = ~transform
    col_f = inverse.a * xy[:, 0] + inverse.b * xy[:, 1] + inverse.c
    row_f = inverse.d * xy[:, 0] + inverse.e * xy[:, 1] + inverse.f
    col, row = np.floor(col_f).astype(np.int64), np.floor(row_f).astype(np.int64)
    in_raster = (row >= 0) & (row < n_rows) & (col >= 0) & (col < n_cols)
    flat = np.where(in_raster, row * n_cols + col, -1)
    weights = (
        residential["floor_area_m2"].to_numpy(dtype=np.float64)
        if weight == "floor_area"
        else np.ones(len(residential))
    )
    weights = np.nan_to_num(weights, nan=0.0)
    population, orphan = spread_over_cells(flat, weights, cells.ravel())

    got = population > 0
    out = _raster_demand(residential, population, orphan, row, col, raster, crs=crs)
    n_b, n_c = int(got.sum()), len(orphan)
    raster_total = float(np.nansum(cells))
    logger.info(
        gettext(
            "{file}: {residents} residents in the raster; {spread} spread onto {n_buildings} "
            "buildings, {in_cells} in {n_cells} cells without a building (cell-centre points); "
            "{n_none} buildings got none (outside the raster or in empty cells)"
        ).format(
            file=path.name,
            residents=f"{raster_total:.0f}",
            spread=f"{float(population.sum()):.0f}",
            n_buildings=n_b,
            in_cells=f"{float(np.nansum(cells.ravel()[orphan])):.0f}",
            n_cells=n_c,
            n_none=int((~got).sum()),
        )
    )
    return out


@dataclass(frozen=True)
class _RasterCells:
    """The cells of a population raster read for a study area (NaN: nobody, or outside)."""

    cells: np.ndarray
    transform: Any
    crs: pyproj.CRS
    row_off: int
    col_off: int
    centre_x: np.ndarray
    centre_y: np.ndarray


def _read_cells(
    path: Path, *, band: int, area: shapely.Geometry | None, crs: pyproj.CRS, max_cells: int
) -> _RasterCells:
    """The raster's residents per cell in the window over ``area``, checked and masked."""
    import rasterio
    import rasterio.windows

    if not path.exists():
        raise InputError(
            gettext("population raster {file} does not exist").format(file=path),
            hint=gettext("Check the path."),
        )
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(
            gettext("population raster {file} cannot be read: {error}").format(
                file=path.name, error=exc
            ),
            hint=gettext("Give a GeoTIFF of residents per cell (e.g. WorldPop)."),
        ) from exc
    with src:
        if src.crs is None:
            raise InputError(
                gettext("population raster {file} has no CRS").format(file=path.name),
                hint=gettext("Assign one, e.g. {example} (WorldPop).").format(
                    example="gdal_edit.py -a_srs EPSG:4326 file.tif"
                ),
            )
        if not 1 <= band <= src.count:
            raise InputError(
                gettext("population raster {file} has {n} band(s); band={band} is not one").format(
                    file=path.name, n=src.count, band=band
                ),
                hint=gettext("Use band=1 for WorldPop rasters."),
            )
        raster_crs = pyproj.CRS.from_user_input(src.crs.to_wkt())
        full = rasterio.windows.Window(0, 0, src.width, src.height)
        if area is not None:
            bounds = gpd.GeoSeries([area], crs=crs).to_crs(raster_crs).total_bounds
            window = _window_for_bounds(src.transform, bounds, src.height, src.width)
        else:
            window = full
        if window.width * window.height > max_cells:
            raise InputError(
                gettext(
                    "population raster {file}: {n} cells to read, more than max_cells={limit}"
                ).format(file=path.name, n=int(window.width * window.height), limit=max_cells),
                hint=gettext("Pass area= (the study area polygon) or crop the raster to the city."),
            )
        data = src.read(band, window=window, masked=True)
        transform = _offset_transform(src.transform, window.col_off, window.row_off)
        col_off, row_off = int(window.col_off), int(window.row_off)
    cells = np.ma.filled(data.astype(np.float64), np.nan)
    negative = np.isfinite(cells) & (cells < 0)
    if negative.any():
        logger.warning(
            ngettext(
                "{file}: {n} cells with negative values (undeclared nodata?) hold nobody",
                "{file}: {n} cells with negative values (undeclared nodata?) hold nobody",
                int(negative.sum()),
            ).format(file=path.name, n=int(negative.sum()))
        )
        cells[negative] = np.nan
    n_rows, n_cols = cells.shape
    centre_x, centre_y = _cell_centres(transform, n_rows, n_cols)
    if area is not None and cells.size:
        centres = gpd.GeoSeries(
            gpd.points_from_xy(centre_x.ravel(), centre_y.ravel()), crs=raster_crs
        )
        inside = shapely.contains_xy(
            area,
            *np.asarray(shapely.get_coordinates(centres.to_crs(crs).values)).T,
        )
        cells[~inside.reshape(cells.shape)] = np.nan
    return _RasterCells(cells, transform, raster_crs, row_off, col_off, centre_x, centre_y)


def _raster_demand(
    residential: gpd.GeoDataFrame,
    population: np.ndarray,
    orphan: np.ndarray,
    row: np.ndarray,
    col: np.ndarray,
    raster: _RasterCells,
    *,
    crs: pyproj.CRS,
) -> gpd.GeoDataFrame:
    """The demand table: buildings given residents, then the cells without a building."""
    cells, row_off, col_off = raster.cells, raster.row_off, raster.col_off
    n_cols = cells.shape[1]
    centre_x, centre_y, raster_crs = raster.centre_x, raster.centre_y, raster.crs
    got = population > 0
    buildings_part = residential.loc[got].copy()
    buildings_part["population"] = population[got]
    buildings_part["source"] = "raster"
    buildings_part["raster_cell"] = [
        f"{r + row_off}/{c + col_off}" for r, c in zip(row[got], col[got], strict=True)
    ]
    if "usable" not in buildings_part.columns:
        buildings_part["usable"] = True
    if "problem" not in buildings_part.columns:
        buildings_part["problem"] = ""
    if "demand_id" not in buildings_part.columns:
        buildings_part["demand_id"] = [f"building:{i}" for i in buildings_part.index]
    orphan_rows, orphan_cols = np.divmod(orphan, n_cols)
    cell_points = gpd.GeoSeries(
        gpd.points_from_xy(centre_x.ravel()[orphan], centre_y.ravel()[orphan]), crs=raster_crs
    ).to_crs(crs)
    cell_ids = [
        f"{r + row_off}/{c + col_off}" for r, c in zip(orphan_rows, orphan_cols, strict=True)
    ]
    n_b, n_c = len(buildings_part), len(orphan)
    columns: dict[str, Any] = {
        "demand_id": list(buildings_part["demand_id"]) + [f"raster:{c}" for c in cell_ids],
        "population": np.concatenate([population[got], cells.ravel()[orphan]]),
    }
    for name in ("building", "levels_source"):
        values = buildings_part[name].tolist() if name in buildings_part.columns else [None] * n_b
        columns[name] = np.array(values + [None] * n_c, dtype=object)
    for name in ("levels", "footprint_m2", "floor_area_m2"):
        values = (
            buildings_part[name].to_numpy(dtype=np.float64)
            if name in buildings_part.columns
            else np.full(n_b, np.nan)
        )
        columns[name] = np.concatenate([values, np.full(n_c, np.nan)])
    columns["source"] = "raster"
    columns["usable"] = np.concatenate(
        [buildings_part["usable"].to_numpy(dtype=bool), np.ones(n_c, dtype=bool)]
    )
    columns["problem"] = np.array(
        buildings_part["problem"].astype(str).tolist() + [""] * n_c, dtype=object
    ).astype(str)
    columns["raster_cell"] = np.array(list(buildings_part["raster_cell"]) + cell_ids, dtype=object)
    columns["demand_kind"] = np.array(["building"] * n_b + [RASTER_CELL_KIND] * n_c, dtype=object)
    geometry = np.concatenate(
        [
            np.asarray(buildings_part.geometry.values, dtype=object),
            np.asarray(cell_points.values, dtype=object),
        ]
    )
    out = gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries(geometry, crs=crs), crs=crs)
    return out


# Affine arithmetic is written out: affine 3.1 warns on ``*`` (used by rasterio's window
# helpers), and tests turn warnings into errors.


def _offset_transform(transform: Any, col_off: float, row_off: float) -> Any:
    """The transform of a window starting at (``col_off``, ``row_off``)."""
    a, b, c, d, e, f = transform.a, transform.b, transform.c, transform.d, transform.e, transform.f
    return type(transform)(a, b, c + a * col_off + b * row_off, d, e, f + d * col_off + e * row_off)


def _window_for_bounds(transform: Any, bounds: np.ndarray, height: int, width: int) -> Any:
    """The window of whole cells covering ``bounds`` (raster CRS), clipped to the raster."""
    import rasterio.windows

    xmin, ymin, xmax, ymax = bounds
    inverse = ~transform
    xs = np.array([xmin, xmin, xmax, xmax])
    ys = np.array([ymin, ymax, ymin, ymax])
    cols = inverse.a * xs + inverse.b * ys + inverse.c
    rows = inverse.d * xs + inverse.e * ys + inverse.f
    col0 = int(np.clip(np.floor(cols.min()), 0, width))
    col1 = int(np.clip(np.ceil(cols.max()), 0, width))
    row0 = int(np.clip(np.floor(rows.min()), 0, height))
    row1 = int(np.clip(np.ceil(rows.max()), 0, height))
    return rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)


def _cell_centres(transform: Any, n_rows: int, n_cols: int) -> tuple[np.ndarray, np.ndarray]:
    cols, rows = np.meshgrid(np.arange(n_cols) + 0.5, np.arange(n_rows) + 0.5)
    x = transform.a * cols + transform.b * rows + transform.c
    y = transform.d * cols + transform.e * rows + transform.f
    return x, y


# ---------------------------------------------------------------------------------------------
# points


def demand_from_points(
    path: str | Path,
    *,
    crs: Any,
    population_column: str = "population",
    name_column: str | None = None,
    area_lonlat_bounds: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Residents from a table of points with a population column (CSV, GeoJSON, GeoPackage).

    Rows are checked like station files (:func:`planner._tables.read_point_table`) and, in
    addition, the population must be a non-negative number; bad rows stay in the frame,
    unusable, with their row number and the reason. Points at the same position are kept
    (two records for one address are both real).

    Returns
    -------
    geopandas.GeoDataFrame
        The demand frame (module docstring) with ``source="points"``, plus ``row``, ``name``,
        ``lon``, ``lat`` and the file's other columns.
    """
    table = read_point_table(
        path,
        what=gettext("population points"),
        crs=crs,
        name_column=name_column,
        value_columns=(population_column,),
        area_lonlat_bounds=area_lonlat_bounds,
        duplicate_tolerance_m=None,
    )
    path = Path(path)
    usable = table["usable"].to_numpy(dtype=bool)
    population = table[population_column].to_numpy(dtype=np.float64).copy()
    population[~usable] = np.nan
    n = len(table)
    front = pd.DataFrame(
        {
            "demand_id": [f"{path.name}:{r}" for r in table["row"]],
            "population": population,
            "building": np.full(n, None, dtype=object),
            "levels": np.full(n, np.nan),
            "levels_source": np.full(n, None, dtype=object),
            "footprint_m2": np.full(n, np.nan),
            "floor_area_m2": np.full(n, np.nan),
            "source": "points",
            "usable": usable,
            "problem": table["problem"].to_numpy(),
        },
        index=table.index,
    )
    rest = table.drop(columns=[c for c in ("usable", "problem") if c in table.columns])
    if population_column in rest.columns and population_column != "population":
        rest = rest.rename(columns={population_column: f"input_{population_column}"})
    elif population_column == "population":
        rest = rest.drop(columns=["population"])
    out = gpd.GeoDataFrame(pd.concat([front, rest], axis=1), geometry="geometry", crs=table.crs)
    out.attrs["illustrative"] = table.attrs.get("illustrative")
    logger.info(
        ngettext(
            "{file}: {n} usable points with {residents} residents",
            "{file}: {n} usable points with {residents} residents",
            int(usable.sum()),
        ).format(
            file=path.name, n=int(usable.sum()), residents=f"{float(np.nansum(population)):.0f}"
        )
    )
    return out
