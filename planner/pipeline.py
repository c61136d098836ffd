"""The city pipeline: load a city, assess coverage, plan sites, evaluate proposals.

Each step is a plain function of its inputs returning a frozen result; nothing is cached in
module state, so many cities can run at once (one process per city, or a distributed engine
mapping :func:`run_city` over a list of cities). The command line (:mod:`planner.cli`) and the
notebooks are thin layers over these functions::

    city = load_city("data/almaty_2012.osm.pbf")
    coverage = assess_coverage(city)
    plan = plan_sites(city, coverage, n_sites=10)
    write_outputs("out", city=city, coverage=coverage, plan=plan)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner import _tables, i18n
from planner import coverage as cov
from planner._files import input_record
from planner._tables import mark_unusable
from planner.candidates import (
    DEFAULT_SPACING_M,
    building_candidates,
    combine_candidates,
    network_candidates,
)
from planner.covering import CoverageMatrix, coverage_matrix
from planner.defaults import (
    DEFAULT_MAX_SNAP_M,
    DEFAULT_MAX_WALK_M,
    DEFAULT_NODE_LIMIT,
    DEFAULT_TIME_LIMIT_S,
)
from planner.demand import (
    PopulationSettings,
    calibrate,
    demand_from_buildings,
    demand_from_points,
    demand_from_raster,
)
from planner.distances import walk_distances
from planner.districts import (
    DistrictCalibration,
    calibrate_by_district,
    district_names,
    districts_note,
    no_resident_warning,
    osm_districts,
    read_districts,
)
from planner.errors import ArgumentTypeError, InputError
from planner.i18n import N_, gettext, ngettext
from planner.isochrones import service_areas
from planner.network import DEFAULT_BARRIERS, WalkNetwork, build_walk_network
from planner.osm import BBox, OsmData, boundary_polygon, buffered_area, read_osm
from planner.results import (
    City,
    CityRun,
    CoverageResult,
    CurveModel,
    EvaluationResult,
    PlanCurve,
    PlanResult,
)
from planner.settings import WalkSettings
from planner.siting import (
    MILP_MAX_PAIRS,
    CurvePoint,
    MinSitesResult,
    RolloutResult,
    SitingResult,
    apply_curve_points,
    coverage_curve,
    curve_plan,
    evaluate_proposals,
    maximize_coverage,
    minimize_sites,
    rollout_order,
    solve_curve_points,
)
from planner.snapping import door_points
from planner.stations import (
    beyond_reach_text,
    read_stations,
    stations_from_osm,
    walking_reach_lonlat_bounds,
    working,
)

__all__ = [
    "City",
    "CityRun",
    "CoverageResult",
    "CurveModel",
    "EvaluationResult",
    "PlanCurve",
    "PlanResult",
    "apply_plan_curve_points",
    "assess_coverage",
    "city_from_osm",
    "curve_model",
    "district_table",
    "draw_service_areas",
    "evaluate_sites",
    "load_city",
    "plan_curve",
    "plan_from_curve",
    "plan_sites",
    "read_districts",
    "run_city",
    "solve_plan_curve_points",
    "study_area_lonlat_bounds",
]

log = logging.getLogger(__name__)

#: Service-area limits drawn by default, in minutes: 5, 10 (the default limit) and 15.
DEFAULT_SERVICE_LIMITS_MIN = (5.0, 10.0, 15.0)
#: How far beyond the streets a station of a file still counts when none is given: the default
#: walking limit plus the default snapping limit
#: (:func:`planner.stations.walking_reach_lonlat_bounds`).
DEFAULT_STATION_REACH_M = DEFAULT_MAX_WALK_M + DEFAULT_MAX_SNAP_M
#: Walking speeds of the default sensitivity table: slow (elderly) to brisk adult.
DEFAULT_SENSITIVITY_SPEEDS_KMH = (3.6, 4.2, 4.8, 5.0)
#: Walking limits of the default sensitivity table, minutes.
DEFAULT_SENSITIVITY_LIMITS_MIN = (5.0, 10.0, 12.5, 15.0)


def load_city(
    osm_path: str | Path,
    *,
    name: str | None = None,
    bbox: BBox | None = None,
    boundary: str | Path | shapely.Geometry | None = None,
    stations_path: str | Path | None = None,
    population_raster: str | Path | None = None,
    population_points: str | Path | None = None,
    population_settings: PopulationSettings | None = None,
    total_population: float | None = None,
    districts_path: str | Path | None = None,
    district_population_column: str | None = None,
    exclude_station_kinds: Sequence[str] | None = None,
    barriers: Sequence[str] = DEFAULT_BARRIERS,
    stations_layer: str | None = None,
    station_reach_m: float = DEFAULT_STATION_REACH_M,
    settings: WalkSettings | None = None,
) -> City:
    """Read the OSM file, build the walk network, the residents and the stations.

    Parameters
    ----------
    osm_path
        ``.osm.pbf``/``.osm``/``.osm.gz``/``.osm.bz2`` file of the area.
    name
        Label for reports.
    bbox, boundary
        Restrict to a box ``(west, south, east, north)`` or a boundary polygon/file. A boundary
        is the city's own territory, as a national unit's: residents are counted and new sites
        placed only inside it, while the streets and stations within the walking buffer around
        it (:func:`planner.osm.buffered_area`) still serve it.
    stations_path
        Existing stations file (CSV/GeoJSON/GeoPackage); OSM ``amenity=police`` by default.
    population_raster
        GeoTIFF of population (e.g. WorldPop), spread over residential buildings.
    population_points
        Table of points with a ``population`` column, used instead of buildings.
    population_settings
        Assumptions of the footprint-based estimate.
    total_population
        Scale the estimates so they sum to this known total (e.g. the official figure).
    districts_path
        District polygons with a name column; otherwise named OSM administrative areas.
    district_population_column
        The districts file's column of official populations: each district's residents are
        scaled to it (:func:`planner.districts.calibrate_by_district`); not with
        ``total_population``.
    exclude_station_kinds
        Station kinds to leave out (see :mod:`planner.stations`); defaults as documented there.
    barriers
        Kinds of barrier a door's straight walk to the street may not cross (see
        :data:`planner.network.BARRIER_KINDS`); ``()`` for none.
    stations_layer
        Layer (GeoPackage) or sheet (Excel) of the stations file, when it has several.
    station_reach_m
        Rows of the stations file farther than this from every street (a national list read
        for one city) are left out and counted in ``City.stations_beyond_reach``
        (:func:`planner.stations.walking_reach_lonlat_bounds`); give the walking limit plus
        the snapping limit of the run, the defaults' by default.
    settings
        The walk settings the city will be assessed with (:class:`WalkSettings` defaults when
        ``None``): they size the walking buffer around a ``boundary``.
    """
    if not isinstance(osm_path, str | Path):
        raise ArgumentTypeError(
            "load_city",
            "osm_path",
            gettext("the path of an OSM file"),
            osm_path,
            gettext("e.g. {example}; for data already read use {other}.").format(
                example="load_city('data/almaty_2012.osm.pbf')",
                other="city_from_osm(read_osm(...))",
            ),
        )
    _check_files_exist(
        stations=stations_path,
        population_raster=population_raster,
        population_points=population_points,
        districts=districts_path,
    )
    _check_district_options(districts_path, district_population_column, total_population)
    area = None
    if boundary is not None and bbox is None:
        # cut as a national unit is: the boundary plus its walking buffer, streets kept whole
        area = boundary_polygon(boundary)
        around = buffered_area(area, settings=settings or WalkSettings())
        osm = read_osm(osm_path, boundary=around, whole_ways=True)
    else:
        osm = read_osm(osm_path, bbox=bbox, boundary=boundary)
    city = city_from_osm(
        osm,
        name=name or Path(osm_path).name.split(".")[0],
        area=area,
        stations_path=stations_path,
        population_raster=population_raster,
        population_points=population_points,
        population_settings=population_settings,
        total_population=total_population,
        districts_path=districts_path,
        district_population_column=district_population_column,
        exclude_station_kinds=exclude_station_kinds,
        barriers=barriers,
        stations_layer=stations_layer,
        station_reach_m=station_reach_m,
    )
    return replace(city, inputs=city.inputs + _area_inputs(bbox, boundary))


def _area_inputs(
    bbox: BBox | None, boundary: str | Path | shapely.Geometry | None
) -> tuple[dict[str, Any], ...]:
    """The study area for the summary's provenance: the bbox, the boundary file or polygon."""
    out: list[dict[str, Any]] = []
    if bbox is not None:
        out.append({"role": "bbox", "path": None, "value": [float(v) for v in bbox]})
    if isinstance(boundary, str | Path):
        out.append(_input("boundary", boundary))
    elif boundary is not None:
        import hashlib

        wkb = shapely.to_wkb(boundary, hex=False)
        out.append(
            {
                "role": "boundary",
                "path": None,
                # untranslated: provenance in summary.json, read by scripts
                "value": f"a {boundary.geom_type} given in Python ({len(wkb)} bytes of WKB)",
                "sha256": hashlib.sha256(wkb).hexdigest(),
            }
        )
    return tuple(out)


def city_from_osm(
    osm: OsmData,
    *,
    name: str,
    area: shapely.Geometry | None = None,
    stations_path: str | Path | None = None,
    stations: gpd.GeoDataFrame | None = None,
    population_raster: str | Path | None = None,
    population_points: str | Path | None = None,
    population_settings: PopulationSettings | None = None,
    total_population: float | None = None,
    districts_path: str | Path | None = None,
    district_population_column: str | None = None,
    exclude_station_kinds: Sequence[str] | None = None,
    barriers: Sequence[str] = DEFAULT_BARRIERS,
    stations_layer: str | None = None,
    station_reach_m: float = DEFAULT_STATION_REACH_M,
) -> City:
    """Build the walk network, the residents and the stations from OSM data already read.

    ``area`` (a polygon in EPSG:4326) is the city's own territory when ``osm`` reaches beyond
    it: residents are counted only inside it (by the door point of their building) and new
    sites are placed only inside it, while the streets and stations around it still serve
    (a national run hands each unit its area plus a walking buffer). The other options are
    those of :func:`load_city`; ``stations`` is a stations table already read (by
    :func:`planner.stations.read_stations`, any CRS) instead of ``stations_path``.
    """
    _check_files_exist(
        stations=stations_path,
        population_raster=population_raster,
        population_points=population_points,
        districts=districts_path,
    )
    _check_district_options(districts_path, district_population_column, total_population)
    osm_path = osm.source
    network = build_walk_network(osm, barriers=tuple(barriers))
    inputs = [{"role": "osm", "path": str(osm_path), "sha256": osm.sha256, "illustrative": False}]
    plausible = _plausible_bounds(osm)  # stations just outside the extract are still plausible

    if population_points is not None:
        residents = demand_from_points(
            population_points, crs=network.crs, area_lonlat_bounds=plausible
        )
        inputs.append(
            _input("population points", population_points, residents.attrs.get("illustrative"))
        )
    else:
        residents = demand_from_buildings(
            osm.buildings, osm.residential_areas, settings=population_settings
        )
        if population_raster is not None:
            residents = demand_from_raster(population_raster, residents)
            inputs.append(_input("population raster", population_raster))
    if "usable" in residents.columns:
        residents = residents[residents["usable"].to_numpy(dtype=bool)]
    own_area = None
    if area is not None:
        own_area = gpd.GeoSeries([area], crs=4326).to_crs(network.crs).iloc[0]
        # tested in degrees, where every unit sees the same building geometry, so that units
        # sharing a border never both count (or both miss) a building on it
        doors = door_points(residents.to_crs(4326))
        residents = residents[shapely.contains_xy(area, doors[:, 0], doors[:, 1])]
    if residents.empty:
        raise InputError(
            gettext("{file}: no residential buildings found in the area").format(file=osm_path),
            hint=gettext(
                "The OSM data may lack buildings here; give population points "
                "(--population-points) or a population raster."
            ),
        )
    if total_population is not None:
        residents = calibrate(residents, total_population=total_population)
    districts: gpd.GeoDataFrame | None = None
    calibration = None
    note = districts_note(districts_path, osm_sha256=osm.sha256)
    if districts_path is not None:
        districts = read_districts(
            districts_path, crs=network.crs, population_column=district_population_column
        )
        inputs.append(_input("districts", districts_path))
        warning = no_resident_warning(residents, districts, name=Path(districts_path).name)
        if warning is not None:
            log.warning("%s", warning)
            warned = gettext("Warning: {warning}").format(warning=warning)
            note = warned + ("" if note is None else f" {note}")
        if district_population_column is not None:
            calibration = calibrate_by_district(residents, districts)
            residents = calibration.residents

    beyond_reach = 0
    if stations is not None:
        stations = stations.to_crs(network.crs)
        source = stations.attrs.get("source")
        if source:
            inputs.append(
                {
                    "role": "stations",
                    "path": str(source),
                    "sha256": stations.attrs.get("sha256", ""),
                    **_tables.illustrative_fields(stations.attrs.get("illustrative")),
                }
            )
    elif stations_path is not None:
        reach = walking_reach_lonlat_bounds(
            _street_extent_m(network), crs=network.crs, reach_m=station_reach_m
        )
        stations = read_stations(
            stations_path,
            crs=network.crs,
            area_lonlat_bounds=_union_bounds(plausible, reach),
            exclude_kinds=tuple(exclude_station_kinds or ()),
            layer=stations_layer,
            reach_lonlat_bounds=reach,
        )
        beyond_reach = int(stations.attrs.get("beyond_reach", 0))
        if beyond_reach:
            log.warning("%s", beyond_reach_text(beyond_reach))
        inputs.append(_input("stations", stations_path, stations.attrs.get("illustrative")))
    elif exclude_station_kinds is None:
        stations = stations_from_osm(osm.police)
    else:
        stations = stations_from_osm(osm.police, exclude_kinds=tuple(exclude_station_kinds))
    if districts_path is None:
        districts = osm_districts(osm.admin_areas, residents)
    return City(
        name=name,
        osm=osm,
        network=network,
        residents=residents,
        stations=stations,
        districts=districts,
        inputs=tuple(inputs),
        area=own_area,
        district_calibration=calibration,
        districts_note=note,
        stations_beyond_reach=beyond_reach,
        station_reach_m=float(station_reach_m),
    )


def _street_extent_m(network: WalkNetwork) -> tuple[float, float, float, float]:
    """``(min_x, min_y, max_x, max_y)`` of every street and node of the walk network."""
    x0, y0, x1, y1 = shapely.total_bounds(network.edge_geometry)
    if len(network.node_xy):
        nx0, ny0 = network.node_xy.min(axis=0)
        nx1, ny1 = network.node_xy.max(axis=0)
        x0, y0, x1, y1 = np.fmin(x0, nx0), np.fmin(y0, ny0), np.fmax(x1, nx1), np.fmax(y1, ny1)
    return (float(x0), float(y0), float(x1), float(y1))


def _union_bounds(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _check_district_options(
    districts_path: str | Path | None,
    population_column: str | None,
    total_population: float | None,
) -> None:
    """The district calibration options that cannot go together, all at once."""
    problems = []
    if population_column is not None and districts_path is None:
        problems.append(
            gettext(
                "--district-population-column {column} needs --districts FILE (the polygons "
                "holding that column)"
            ).format(column=population_column)
        )
    if population_column is not None and total_population is not None:
        problems.append(
            gettext(
                "--total-population and --district-population-column both set the population: "
                "give one (the districts' figures already add up to a total)"
            )
        )
    if problems:
        raise InputError(gettext("conflicting population options"), problems)


#: The input files :func:`_check_files_exist` checks, as its messages name them (translated).
_FILE_ROLES = {
    "stations": N_("stations"),
    "population_raster": N_("population raster"),
    "population_points": N_("population points"),
    "districts": N_("districts"),
}


def _check_files_exist(**files: str | Path | None) -> None:
    """All missing and unreadable input files at once, before the (slow) OSM file is read."""
    missing, unreadable = [], []
    for role, path in files.items():
        if path is None:
            continue
        role_name = _FILE_ROLES.get(role)
        label = gettext(role_name) if role_name else role.replace("_", " ")
        if not isinstance(path, str | Path):
            raise ArgumentTypeError(
                "load_city",
                {"stations": "stations_path", "districts": "districts_path"}.get(role, role),
                gettext("a file path"),
                path,
            )
        if not Path(path).is_file():
            missing.append(
                gettext("{what} file {path} does not exist").format(what=label, path=path)
            )
            continue
        try:
            with Path(path).open("rb") as fh:
                fh.read(1)
        except OSError as exc:
            unreadable.append(
                gettext("{what} file {path} cannot be read ({reason})").format(
                    what=label, path=path, reason=exc.strerror or exc
                )
            )
    if missing or unreadable:
        raise InputError(
            gettext("input files are missing")
            if not unreadable
            else gettext("input files cannot be read"),
            missing + unreadable,
            (
                gettext(
                    "Check the paths (relative paths start in {folder}) and the files' "
                    "permissions (ls -l)."
                )
                if unreadable
                else gettext("Check the paths (relative paths start in {folder}).")
            ).format(folder=Path.cwd()),
        )


def _expect_city(function: str, city: object, *, parameter: str = "city") -> None:
    if isinstance(city, City):
        return
    if isinstance(city, str | Path):
        hint = gettext("Read the city first: city = load_city({path}); then {function}(city, ...).")
        hint = hint.format(path=repr(str(city)), function=function)
    elif isinstance(city, CoverageResult | PlanResult | EvaluationResult):
        hint = gettext(
            "The arguments are in the wrong order: {function}(city, coverage, ...), with the "
            "city from load_city() first."
        ).format(function=function)
    else:
        hint = gettext("Pass the City returned by load_city('city.osm.pbf').")
    raise ArgumentTypeError(function, parameter, gettext("a City (from load_city)"), city, hint)


def _expect_coverage(function: str, coverage: object) -> None:
    if isinstance(coverage, CoverageResult):
        return
    if isinstance(coverage, City):
        hint = gettext(
            "The arguments are in the wrong order: {function}(city, coverage, ...), with the "
            "coverage from assess_coverage(city) second."
        ).format(function=function)
    else:
        hint = gettext(
            "Assess the coverage first: coverage = assess_coverage(city); then "
            "{function}(city, coverage, ...)."
        ).format(function=function)
    expected = gettext("a CoverageResult (from assess_coverage)")
    raise ArgumentTypeError(function, "coverage", expected, coverage, hint)


#: What a frame of sites must have, as :func:`planner.candidates.read_candidates` makes it.
_SITE_COLUMNS = {
    "candidate_id": N_("a unique id per site, e.g. 'proposal:2'"),
    "source": N_("'proposal' for the sites of a proposals list"),
}


def _expect_sites(function: str, parameter: str, sites: object, *, optional: bool) -> None:
    if optional and sites is None:
        return
    if isinstance(sites, gpd.GeoDataFrame):
        _check_site_frame(function, parameter, sites, proposals=parameter == "proposals")
        return
    if isinstance(sites, str | Path):
        call = (  # untranslated: Python code
            f"{parameter} = read_candidates({str(sites)!r}, "
            "crs=city.network.crs, area_lonlat_bounds=study_area_lonlat_bounds(city)"
            + (", what='proposals'" if parameter == "proposals" else "")
            + ")"
        )
        hint = gettext("Read the file first: {call}.").format(call=call)
    else:
        hint = gettext(
            "Pass a GeoDataFrame of points, e.g. from planner.candidates.read_candidates."
        )
    expected = (
        gettext("a GeoDataFrame of sites or None")
        if optional
        else gettext("a GeoDataFrame of sites")
    )
    raise ArgumentTypeError(function, parameter, expected, sites, hint)


def _check_site_frame(
    function: str, parameter: str, sites: gpd.GeoDataFrame, *, proposals: bool
) -> None:
    """A frame of sites with what the siting needs, or an :class:`InputError` listing all
    that it lacks (rather than pandas' ``KeyError: 'candidate_id'`` deep inside)."""
    needed = ("candidate_id", "source") if proposals else ("candidate_id",)
    problems = [
        gettext("{parameter} has no column {column} ({meaning})").format(
            parameter=parameter, column=repr(column), meaning=gettext(_SITE_COLUMNS[column])
        )
        for column in needed
        if column not in sites.columns
    ]
    if sites._geometry_column_name not in sites.columns:
        problems.append(
            gettext("{parameter} has no geometry column (the sites' points)").format(
                parameter=parameter
            )
        )
    if sites.empty:
        problems.append(
            (
                gettext("{parameter} has no rows: there is no site to evaluate")
                if proposals
                else gettext("{parameter} has no rows: there is no site to add to the candidates")
            ).format(parameter=parameter)
        )
    elif proposals and "source" in sites.columns:
        other = sorted({str(v) for v in sites["source"] if v != "proposal"})
        if other:
            problems.append(
                gettext(
                    "{parameter} has rows whose 'source' is not 'proposal' ({values}): "
                    "every site of a proposals list is a proposal"
                ).format(parameter=parameter, values=", ".join(other))
            )
    if problems:
        call = (
            f"{parameter} = read_candidates(path, crs=city.network.crs"
            + (", what='proposals'" if proposals else "")
            + ")"
        )
        raise InputError(
            gettext("{function}: {parameter} cannot be used").format(
                function=function, parameter=parameter
            ),
            problems,
            gettext(
                "Read the file with {call}, which gives candidate_id ('proposal:<row>'), "
                "source ('proposal'), name, row, usable, problem and the points."
            ).format(call=call),
        )


def study_area_lonlat_bounds(
    city: City, *, margin_deg: float = 0.05
) -> tuple[float, float, float, float]:
    """``(min_lon, min_lat, max_lon, max_lat)`` where the city's stations and sites can be.

    The extent of the OSM data read, widened by ``margin_deg`` (about 5 km): points just
    outside the extract are still plausible, points in another city are not. Pass it as
    ``area_lonlat_bounds`` to the readers of stations, candidate sites and proposals.
    """
    _expect_city("study_area_lonlat_bounds", city)
    return _plausible_bounds(city.osm, margin_deg=margin_deg)


def _plausible_bounds(
    osm: OsmData, *, margin_deg: float = 0.05
) -> tuple[float, float, float, float]:
    lon0, lat0, lon1, lat1 = osm.file_bounds_lonlat
    return (
        max(-180.0, lon0 - margin_deg),
        max(-90.0, lat0 - margin_deg),
        min(180.0, lon1 + margin_deg),
        min(90.0, lat1 + margin_deg),
    )


def _input(role: str, path: str | Path, illustrative: str | None = None) -> dict[str, Any]:
    """An input's provenance record, flagged ``illustrative`` (with the file's own words in
    ``illustrative_note``) when the table reader found it declares itself made up."""
    return input_record(role, path) | _tables.illustrative_fields(illustrative)


#: Column names read as the district name, in this order.
# --- coverage ---------------------------------------------------------------------------------


def assess_coverage(
    city: City,
    *,
    settings: WalkSettings | None = None,
    service_limits_min: Sequence[float] = DEFAULT_SERVICE_LIMITS_MIN,
    sensitivity_speeds_kmh: Sequence[float] = DEFAULT_SENSITIVITY_SPEEDS_KMH,
    sensitivity_limits_min: Sequence[float] = DEFAULT_SENSITIVITY_LIMITS_MIN,
    areas: bool = True,
) -> CoverageResult:
    """Walking distance from every resident to the nearest usable station, and the summary.

    The nearest-station search has no distance cap (it is one multi-source pass over the
    network), so ``walk_m`` is finite for every resident who can reach a station at all, and
    the sensitivity table can use any limit. ``areas=False`` leaves the service areas (a
    picture; no number depends on them) undrawn: :func:`draw_service_areas` draws them, e.g.
    in the background while the sites are chosen, as the command line does.
    """
    _expect_city("assess_coverage", city)
    if settings is not None and not isinstance(settings, WalkSettings):
        raise ArgumentTypeError(
            "assess_coverage",
            "settings",
            gettext("a WalkSettings or None"),
            settings,
            gettext("e.g. {example} or {other}.").format(
                example="settings=WalkSettings(max_walk_m=800)",
                other="WalkSettings.from_minutes(10)",
            ),
        )
    settings = settings or WalkSettings()
    if city.stations_beyond_reach and settings.max_snap_m > city.station_reach_m:
        n = city.stations_beyond_reach
        # the English has always said "1 stations": both forms alike keep it byte for byte
        text = ngettext(
            "{n} stations of the file were left out as beyond a reach of {reach} m, but the "
            "snapping limit is {snap} m: some of them might have served; load the city with "
            "station_reach_m={needed}",
            "{n} stations of the file were left out as beyond a reach of {reach} m, but the "
            "snapping limit is {snap} m: some of them might have served; load the city with "
            "station_reach_m={needed}",
            n,
        )
        log.warning(
            "%s",
            text.format(
                n=f"{n:d}",
                reach=_metres(city.station_reach_m),
                snap=_metres(settings.max_snap_m),
                needed=f"{settings.max_walk_m + settings.max_snap_m:.0f}",
            ),
        )
    usable = working(city.stations)  # open and under repair; planned and closed do not serve
    walk = walk_distances(
        city.network,
        city.residents,
        city.stations[usable],
        settings=settings,
        search_limit_m=np.inf,
    )
    buildings = city.residents.copy()
    for column in ("walk_m", "walk_min", "nearest_station", "snap_m", "reachable", "covered"):
        buildings[column] = walk.buildings[column]
    stations = city.stations.copy()
    reached = walk.stations
    stations["snap_m"] = reached["snap_m"].reindex(stations.index)
    failed = ~reached["usable"].to_numpy(dtype=bool)
    if failed.any():  # one pass: thousands of stations off the streets once took minutes
        problems = reached["problem"].astype(str)[failed]
        stations = mark_unusable(
            stations,
            stations.index.isin(problems.index),
            problems.reindex(stations.index).fillna("").to_numpy(dtype=object),
        )
    workload = cov.coverage_by_station(buildings, stations, max_walk_m=settings.max_walk_m)
    stations = stations.join(workload)
    summary = cov.summarize_coverage(
        buildings, max_walk_m=settings.max_walk_m, speed_kmh=settings.speed_kmh
    )
    by_district = (
        _with_calibration(
            cov.coverage_by_district(buildings, city.districts, max_walk_m=settings.max_walk_m),
            city.district_calibration,
        )
        if city.districts is not None
        else None
    )
    sensitivity = cov.coverage_sensitivity(
        buildings, speeds_kmh=sensitivity_speeds_kmh, limits_min=sensitivity_limits_min
    )
    result = CoverageResult(
        settings=settings,
        buildings=buildings,
        stations=stations,
        service_areas=None,
        station_areas=None,
        summary=summary,
        by_district=by_district,
        sensitivity=sensitivity,
        building_snaps=walk.building_snaps,
        service_limits_min=tuple(float(v) for v in service_limits_min),
    )
    return draw_service_areas(city, result) if areas else result


def draw_service_areas(
    city: City,
    coverage: CoverageResult,
    *,
    service_limits_min: Sequence[float] | None = None,
) -> CoverageResult:
    """``coverage`` with its service areas drawn (:func:`planner.isochrones.service_areas`):
    the areas of all working stations together at each of ``service_limits_min`` (default:
    the limits given to :func:`assess_coverage`) and each station's own area at the walking
    limit."""
    _expect_city("draw_service_areas", city)
    _expect_coverage("draw_service_areas", coverage)
    if service_limits_min is None:
        service_limits_min = coverage.service_limits_min or DEFAULT_SERVICE_LIMITS_MIN
    settings = coverage.settings
    usable = coverage.stations[working(coverage.stations)]
    areas = service_areas(
        city.network, usable, limits_min=list(service_limits_min), settings=settings
    )
    station_areas = service_areas(
        city.network, usable, limits_m=[settings.max_walk_m], by="station", settings=settings
    )
    station_areas["station_id"] = (
        usable["station_id"].reindex(station_areas["station_id"]).to_numpy()
    )
    return replace(coverage, service_areas=areas, station_areas=station_areas)


def district_table(
    city: City, coverage: CoverageResult, plan: PlanResult | None = None
) -> pd.DataFrame | None:
    """Coverage by district now and, with ``plan``, after it (``residents_covered_after``,
    ``share_covered_after``), with the calibration columns when the districts were calibrated
    (``official_population``, ``calibration_factor``, ``reliable``, ``calibration_note``);
    ``None`` without districts. A plan made by :func:`plan_sites` or :func:`plan_from_curve`
    carries its table already (``plan.by_district``), which is returned as it is."""
    if city.districts is None:
        return None
    if plan is None:
        return coverage.by_district
    if plan.by_district is not None:
        return plan.by_district  # made with the plan (_with_districts)
    table = cov.coverage_by_district(
        plan.buildings,
        city.districts,
        max_walk_m=coverage.settings.max_walk_m,
        covered_after_column="covered_after",
    )
    return _with_calibration(table, city.district_calibration)


def _with_calibration(table: pd.DataFrame, calibration: DistrictCalibration | None) -> pd.DataFrame:
    if calibration is None:
        return table
    extra = calibration.table.rename(columns={"note": "calibration_note"})[
        ["district", "official_population", "calibration_factor", "reliable", "calibration_note"]
    ]
    out = table.merge(extra, on="district", how="left")
    out["reliable"] = out["reliable"].fillna(False).astype(bool)
    out["calibration_note"] = out["calibration_note"].fillna("")
    return out


# --- siting -----------------------------------------------------------------------------------


def _candidates_for(
    city: City,
    coverage: CoverageResult,
    *,
    spacing_m: float | None,
    building_sites: bool,
    extra: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    uncovered = coverage.buildings[~coverage.buildings["covered"].to_numpy(dtype=bool)]
    near = door_points(uncovered)
    within = coverage.settings.max_walk_m
    frames = []
    if spacing_m is not None and len(uncovered):
        frames.append(
            network_candidates(city.network, spacing_m=spacing_m, near_xy=near, within_m=within)
        )
    if building_sites and len(uncovered):
        frames.append(building_candidates(city.residents, near_xy=near, within_m=within))
    if extra is not None:
        frames.append(extra)
    cands = combine_candidates(*frames)
    if city.area is not None and len(cands):
        points = shapely.point_on_surface(cands.geometry.to_numpy())
        inside = shapely.contains_xy(city.area, shapely.get_x(points), shapely.get_y(points))
        cands = cands[inside | (cands["source"].to_numpy() == "proposal")].reset_index(drop=True)
    return cands


def plan_sites(
    city: City,
    coverage: CoverageResult,
    *,
    n_sites: int | None = None,
    target_share: float | None = None,
    spacing_m: float | None = DEFAULT_SPACING_M,
    building_sites: bool = False,
    candidates: gpd.GeoDataFrame | None = None,
    method: Literal["exact", "greedy"] = "exact",
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    node_limit: int = DEFAULT_NODE_LIMIT,
    prefix_gaps: bool = True,
    prefix_budget_s: float = DEFAULT_TIME_LIMIT_S,
    prefer_shorter_walks: bool = False,
) -> PlanResult:
    """Choose new sites: ``n_sites`` covering the most residents, or the fewest reaching
    ``target_share`` of all residents (existing stations always stay).

    Parameters
    ----------
    city, coverage
        From :func:`load_city` and :func:`assess_coverage`.
    n_sites
        Number of new sites (maximal coverage).
    target_share
        Or: the share of residents (0..1) to reach with as few new sites as possible.
    spacing_m
        Generate candidates along the streets at this spacing near uncovered residents
        (``None``: none generated).
    building_sites
        Also consider residential buildings near uncovered residents as sites.
    candidates
        Extra candidate sites (e.g. from :func:`planner.candidates.read_candidates`).
    method
        ``"exact"`` (HiGHS, with bound and gap) or ``"greedy"``.
    time_limit_s
        Wall-clock safety net of each exact solve (``inf``, the default: off). When it stops
        a solve the result says so (``time_limit_hit``): it then depended on the machine.
    node_limit
        Work limit of each exact solve: branch-and-bound nodes of one HiGHS MILP. Counted by
        the solver, so the same inputs give the same plan on any machine.
    prefix_gaps
        Also compute, for each prefix of the rollout, the best plan of that size.
    prefix_budget_s
        Wall-clock safety net for all those prefix solves together (``inf``: off); prefixes
        past it get a greedy bound and the rollout says so.
    prefer_shorter_walks
        Among plans covering equally many residents, take the one with the shortest total
        walk (a second exact stage; with ``n_sites`` only). Slower on big cities: when its
        time runs out the first-stage plan stands.
    """
    _expect_city("plan_sites", city)
    _expect_coverage("plan_sites", coverage)
    _expect_sites("plan_sites", "candidates", candidates, optional=True)
    if (n_sites is None) == (target_share is None):
        raise InputError(
            gettext("plan_sites: give n_sites or target_share (one of them)"),
            hint=gettext(
                "e.g. n_sites=10, or target_share=0.9 for the fewest sites reaching 90 %."
            ),
        )
    if prefer_shorter_walks and (n_sites is None or method != "exact"):
        raise InputError(
            gettext("plan_sites: prefer_shorter_walks works with n_sites and method='exact'"),
            hint=gettext("Drop prefer_shorter_walks, or ask for n_sites with the exact method."),
        )
    settings = coverage.settings
    cands = _candidates_for(
        city, coverage, spacing_m=spacing_m, building_sites=building_sites, extra=candidates
    )
    if "usable" in cands.columns:
        cands = cands[cands["usable"].to_numpy(dtype=bool)].reset_index(drop=True)
    buildings = coverage.buildings
    matrix = coverage_matrix(
        city.network, buildings, cands, settings=settings, building_snaps=coverage.building_snaps
    )
    population = buildings["population"].to_numpy(dtype=float)
    covered = buildings["covered"].to_numpy(dtype=bool)
    siting: SitingResult | MinSitesResult
    if n_sites is not None:
        siting = maximize_coverage(
            matrix.matrix,
            population,
            n_sites=n_sites,
            already_covered=covered,
            method=method,
            time_limit_s=time_limit_s,
            node_limit=node_limit,
            distance_tiebreak=prefer_shorter_walks,
            existing_distance_m=(
                buildings["walk_m"].to_numpy(dtype=float) if prefer_shorter_walks else None
            ),
        )
    else:
        assert target_share is not None
        siting = minimize_sites(
            matrix.matrix,
            population,
            target_share=target_share,
            already_covered=covered,
            method=method,
            time_limit_s=time_limit_s,
            node_limit=node_limit,
        )
    rollout = rollout_order(
        matrix.matrix,
        population,
        siting.sites,
        already_covered=covered,
        prefix_gaps=prefix_gaps,
        time_limit_s=prefix_budget_s,
        node_limit=node_limit,
    )
    return _with_districts(
        city,
        coverage,
        _plan_result(coverage, cands, matrix, siting, rollout, districts=city.districts),
    )


def _with_districts(city: City, coverage: CoverageResult, plan: PlanResult) -> PlanResult:
    """``plan`` carrying its district table, made once for every output that shows it."""
    return replace(plan, by_district=district_table(city, coverage, plan))


def _plan_result(
    coverage: CoverageResult,
    cands: gpd.GeoDataFrame,
    matrix: CoverageMatrix,
    siting: SitingResult | MinSitesResult,
    rollout: RolloutResult,
    *,
    districts: gpd.GeoDataFrame | None = None,
) -> PlanResult:
    """Assemble a :class:`PlanResult`: the sites table and the coverage after building them
    (with ``districts``, each site's ``district``)."""
    settings = coverage.settings
    buildings = coverage.buildings
    population = buildings["population"].to_numpy(dtype=float)
    covered = buildings["covered"].to_numpy(dtype=bool)
    alone = _alone_gain(matrix, population, covered)
    cands = cands.copy()
    cands["alone_population"] = alone
    chosen = np.asarray(rollout.sites, dtype=np.int64)
    existing = float(population[covered].sum())
    total = float(population.sum())
    sites = cands.iloc[chosen][["candidate_id", "source", "name", "geometry"]].copy()
    sites.insert(0, "rank", np.arange(1, chosen.size + 1))
    sites["marginal_population"] = rollout.marginal_population
    sites["cumulative_population"] = np.asarray(rollout.cumulative_population)
    sites["cumulative_share"] = (
        (existing + sites["cumulative_population"]) / total if total > 0 else 0.0
    )
    sites["best_population_same_size"] = rollout.best_population
    sites["prefix_gap"] = rollout.prefix_gap
    sites = _with_lonlat(sites.reset_index(drop=True))
    if districts is not None:
        sites["district"] = district_names(sites, districts)
    covered_after = covered.copy()
    if chosen.size:
        covered_after[np.unique(matrix.matrix[chosen, :].indices)] = True
    buildings = buildings.copy()
    buildings["covered_after"] = covered_after
    # newly covered residents are within the limit (their new walk is not needed here); the
    # others keep their walk to an existing station, so "unreachable" stays meaningful
    walk_after = np.where(covered_after & ~covered, 0.0, buildings["walk_m"].to_numpy())
    summary_after = cov.summarize_arrays(
        population,
        walk_after,
        max_walk_m=settings.max_walk_m,
        speed_kmh=settings.speed_kmh,
    )
    return PlanResult(
        candidates=cands,
        matrix=matrix,
        siting=siting,
        rollout=rollout,
        sites=sites,
        buildings=buildings,
        summary_after=replace(summary_after, walk_m_percentiles={}),
    )


def plan_curve(
    city: City,
    coverage: CoverageResult,
    *,
    max_sites: int,
    spacing_m: float | None = DEFAULT_SPACING_M,
    building_sites: bool = False,
    candidates: gpd.GeoDataFrame | None = None,
    method: Literal["exact", "greedy"] = "exact",
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    node_limit: int = DEFAULT_NODE_LIMIT,
    max_milp_pairs: int = MILP_MAX_PAIRS,
) -> PlanCurve:
    """The best plan of every size ``k = 0 .. max_sites`` in one city, each with its proven
    bound: the city's answer to "what would ``k`` more stations give?" for every ``k``.

    Candidates and the coverage matrix are made as in :func:`plan_sites`, and the plan for
    each ``k`` equals what ``plan_sites(city, coverage, n_sites=k)`` chooses (while the time
    limit, shared by all ``k``, is not reached). :func:`plan_from_curve` turns one ``k`` into
    a :class:`PlanResult` for the city's outputs.
    """
    if not isinstance(city, City) or not isinstance(coverage, CoverageResult):
        raise InputError(
            gettext(
                "plan_curve: expected plan_curve(city, coverage, max_sites=...) with a City from "
                "load_city and a CoverageResult from assess_coverage"
            ),
            hint=gettext("got {city} and {coverage}").format(
                city=type(city).__name__, coverage=type(coverage).__name__
            ),
        )
    buildings = coverage.buildings
    if candidates is None and bool(buildings["covered"].all()):
        # everyone is already within a walk: the curve is flat at zero, no candidate needed
        cands = gpd.GeoDataFrame(
            {"candidate_id": [], "source": [], "name": []},
            geometry=gpd.GeoSeries([], crs=city.network.crs),
        )
    else:
        cands = _candidates_for(
            city, coverage, spacing_m=spacing_m, building_sites=building_sites, extra=candidates
        )
    if "usable" in cands.columns:
        cands = cands[cands["usable"].to_numpy(dtype=bool)].reset_index(drop=True)
    matrix = coverage_matrix(
        city.network,
        buildings,
        cands,
        settings=coverage.settings,
        building_snaps=coverage.building_snaps,
    )
    curve = coverage_curve(
        matrix.matrix,
        buildings["population"].to_numpy(dtype=float),
        max_sites=max_sites,
        already_covered=buildings["covered"].to_numpy(dtype=bool),
        method=method,
        time_limit_s=time_limit_s,
        node_limit=node_limit,
        max_milp_pairs=max_milp_pairs,
    )
    return PlanCurve(candidates=cands, matrix=matrix, curve=curve)


def curve_model(coverage: CoverageResult, curve: PlanCurve) -> CurveModel:
    """The numbers of ``curve`` a point is solved from (:class:`planner.results.CurveModel`):
    its matrix, each building's residents and whether it is covered already."""
    buildings = coverage.buildings
    return CurveModel(
        matrix=curve.matrix.matrix,
        population=buildings["population"].to_numpy(dtype=float),
        covered=buildings["covered"].to_numpy(dtype=bool),
        curve=curve.curve,
    )


def solve_plan_curve_points(
    model: CurveModel,
    points: Sequence[int],
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    node_limit: int = DEFAULT_NODE_LIMIT,
) -> tuple[CurvePoint, ...]:
    """The plans of ``points`` (values of ``k``) of a :func:`plan_curve`, solved again exactly
    with HiGHS allowed the largest models (:func:`planner.siting.solve_curve_points`): how a
    national run proves the few points of a big city's curve its allocation depends on.
    ``model`` is :func:`curve_model` of the curve; :func:`apply_plan_curve_points` puts the
    points on it."""
    return solve_curve_points(
        model.matrix,
        model.population,
        points,
        already_covered=model.covered,
        time_limit_s=time_limit_s,
        node_limit=node_limit,
    )


def apply_plan_curve_points(model: CurveModel, solved: Sequence[CurvePoint]) -> CurveModel:
    """``model`` with the points of :func:`solve_plan_curve_points` on its curve
    (:func:`planner.siting.apply_curve_points`)."""
    refined = apply_curve_points(
        model.matrix, model.population, model.curve, solved, already_covered=model.covered
    )
    return replace(model, curve=refined)


def plan_from_curve(
    city: City, coverage: CoverageResult, curve: PlanCurve, *, n_sites: int
) -> PlanResult:
    """The city's plan with ``n_sites`` new sites, taken from its :func:`plan_curve`, in
    rollout order; every prefix is compared with the curve's best plan of that size."""
    buildings = coverage.buildings
    population = buildings["population"].to_numpy(dtype=float)
    covered = buildings["covered"].to_numpy(dtype=bool)
    siting = curve_plan(
        curve.matrix.matrix, population, curve.curve, n_sites, already_covered=covered
    )
    rollout = rollout_order(curve.matrix.matrix, population, siting.sites, already_covered=covered)
    m = np.arange(1, rollout.sites.size + 1)
    at = np.minimum(m, curve.curve.k_max)
    cumulative = np.asarray(rollout.cumulative_population, dtype=float)
    best = np.maximum(curve.curve.newly_covered[at], cumulative)
    bound = np.maximum(curve.curve.upper_bound[at], cumulative)
    gap = np.where(bound > 0, (bound - cumulative) / np.where(bound > 0, bound, 1.0), 0.0)
    rollout = replace(
        rollout,
        best_population=best,
        upper_bound=bound,
        prefix_gap=np.maximum(gap, 0.0),
        prefix_proven_optimal=curve.curve.proven_optimal[at],
    )
    return _with_districts(
        city,
        coverage,
        _plan_result(
            coverage, curve.candidates, curve.matrix, siting, rollout, districts=city.districts
        ),
    )


def _with_lonlat(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``lon``/``lat`` columns (degrees, 6 decimals, ~0.1 m) for people who type them in."""
    out = frame.copy()
    points = shapely.point_on_surface(frame.geometry.to_crs(4326).to_numpy())
    out["lon"] = np.round(shapely.get_x(points), 6)
    out["lat"] = np.round(shapely.get_y(points), 6)
    return out


def _alone_gain(matrix: CoverageMatrix, population: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """Residents each candidate would newly cover on its own."""
    weights = np.where(covered, 0.0, population)
    pattern = matrix.matrix.copy()
    pattern.data = np.ones_like(pattern.data)
    return np.asarray(pattern @ weights, dtype=float)


# --- evaluating proposals ---------------------------------------------------------------------


def evaluate_sites(
    city: City,
    coverage: CoverageResult,
    proposals: gpd.GeoDataFrame,
    *,
    spacing_m: float | None = DEFAULT_SPACING_M,
    method: Literal["exact", "greedy"] = "exact",
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    node_limit: int = DEFAULT_NODE_LIMIT,
) -> EvaluationResult:
    """Score each proposed site and compare the list with the best plan of the same size.

    Flags: unusable rows (the file's problem), off the network (no walkable street within the
    snap limit), reaches no resident within the walking limit, covers nobody new (all its
    residents already have a station), duplicates another proposal's coverage.
    """
    _expect_city("evaluate_sites", city)
    _expect_coverage("evaluate_sites", coverage)
    _expect_sites("evaluate_sites", "proposals", proposals, optional=False)
    usable = proposals["usable"].to_numpy(dtype=bool) if "usable" in proposals.columns else None
    usable_props = proposals[usable] if usable is not None else proposals
    settings = coverage.settings
    cands = _candidates_for(
        city, coverage, spacing_m=spacing_m, building_sites=False, extra=usable_props
    )
    buildings = coverage.buildings
    matrix = coverage_matrix(
        city.network, buildings, cands, settings=settings, building_snaps=coverage.building_snaps
    )
    population = buildings["population"].to_numpy(dtype=float)
    covered = buildings["covered"].to_numpy(dtype=bool)
    rows = np.flatnonzero(cands["source"].to_numpy() == "proposal")
    id_to_row = dict(zip(cands["candidate_id"].to_numpy()[rows], rows, strict=True))
    prop_rows = np.array([id_to_row[c] for c in usable_props["candidate_id"]], dtype=np.int64)
    off_network = ~matrix.candidate_reached[prop_rows]
    reaches_nobody = np.diff(matrix.matrix.indptr)[prop_rows] == 0
    evaluation = evaluate_proposals(
        matrix.matrix,
        population,
        prop_rows,
        already_covered=covered,
        unreachable=off_network | reaches_nobody,
        method=method,
        time_limit_s=time_limit_s,
        node_limit=node_limit,
    )
    out = proposals.copy()
    n = len(out)
    alone = np.full(n, np.nan)
    marginal = np.full(n, np.nan)
    rank = np.full(n, -1, dtype=np.int64)
    snap_m = np.full(n, np.nan)
    flags: list[list[str]] = [[] for _ in range(n)]
    positions = np.flatnonzero(usable) if usable is not None else np.arange(n)
    names = out["name"].to_numpy() if "name" in out.columns else np.full(n, None)
    for k, pos in enumerate(positions):
        alone[pos] = evaluation.alone_population[k]
        marginal[pos] = evaluation.marginal_population[k]
        rank[pos] = evaluation.greedy_rank[k]
        snap_m[pos] = matrix.candidate_snap_m[prop_rows[k]]
        if off_network[k]:
            flags[pos].append(
                gettext("off the network: no walkable street within {metres} m").format(
                    metres=_metres(settings.max_snap_m)
                )
            )
        elif reaches_nobody[k]:
            flags[pos].append(
                gettext("cannot be reached on foot by any resident within {metres} m").format(
                    metres=_metres(settings.max_walk_m)
                )
            )
        elif evaluation.covers_nobody_new[k]:
            flags[pos].append(gettext("covers nobody new: its residents already have a station"))
        if evaluation.subset_of[k] >= 0:
            other = positions[evaluation.subset_of[k]]
            name = names[other]
            label = (
                str(name)
                if name is not None and not pd.isna(name) and str(name)
                else gettext("row {row}").format(row=out["row"].iloc[other])
            )
            flags[pos].append(gettext("duplicates the coverage of {label}").format(label=label))
        elif evaluation.redundant[k]:
            flags[pos].append(gettext("redundant: the other proposals already cover its residents"))
    if usable is not None:
        for pos in np.flatnonzero(~usable):
            flags[pos].append(
                gettext("unusable: {problem}").format(problem=out["problem"].iloc[pos])
            )
    out["alone_population"] = alone
    out["marginal_population"] = marginal
    out["greedy_rank"] = rank
    out["snap_m"] = snap_m
    out["flags"] = ["; ".join(f) for f in flags]
    best = evaluation.best
    best_rows = np.asarray(best.sites, dtype=np.int64)
    best_sites = cands.iloc[best_rows][["candidate_id", "source", "name", "geometry"]].copy()
    best_sites.insert(0, "rank", np.arange(1, best_rows.size + 1))
    best_sites["marginal_population"] = best.marginal_population
    return EvaluationResult(
        proposals=_with_lonlat_where_known(out),
        evaluation=evaluation,
        best_sites=_with_lonlat(best_sites.reset_index(drop=True)),
        candidates=cands,
        matrix=matrix,
    )


def _metres(value: float) -> str:
    """Metres of a walking or snapping limit as a message shows them: ``800``, ``1050`` in
    English as always, thousands apart in Russian and Kazakh (``1 050``)."""
    return f"{value:.0f}" if i18n.language() == "en" else i18n.fmt_int(value)


def _with_lonlat_where_known(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``lon``/``lat`` for usable rows; rows without a point keep what the file said."""
    has_point = ~(frame.geometry.isna() | frame.geometry.is_empty)  # notna() warns on empties
    out = frame.copy()
    if has_point.any():
        done = _with_lonlat(frame[has_point])
        for column in ("lon", "lat"):
            out[column] = out[column] if column in out.columns else np.nan
            out.loc[has_point, column] = done[column]
    return out


def run_city(
    osm_path: str | Path,
    *,
    settings: WalkSettings | None = None,
    n_sites: int | None = None,
    target_share: float | None = None,
    spacing_m: float | None = DEFAULT_SPACING_M,
    method: Literal["exact", "greedy"] = "exact",
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    node_limit: int = DEFAULT_NODE_LIMIT,
    **load_options: Any,
) -> CityRun:
    """One city from file to results: :func:`load_city`, :func:`assess_coverage` and, when
    ``n_sites`` or ``target_share`` is given, :func:`plan_sites`.

    A pure function of its arguments (no module state, nothing cached between calls, threads
    only inside a call), and its result pickles, so a distributed engine can map it over the
    cities of a country, e.g. ``dask.bag.from_sequence(paths).map(run_city, n_sites=10)``.
    ``load_options`` go to :func:`load_city` (``stations_path``, ``population_settings``, ...).
    """
    city = load_city(osm_path, settings=settings, **load_options)
    coverage = assess_coverage(city, settings=settings)
    plan = None
    if n_sites is not None or target_share is not None:
        plan = plan_sites(
            city,
            coverage,
            n_sites=n_sites,
            target_share=target_share,
            spacing_m=spacing_m,
            method=method,
            time_limit_s=time_limit_s,
            node_limit=node_limit,
        )
    return CityRun(city=city, coverage=coverage, plan=plan)
