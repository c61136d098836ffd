"""Service vehicles: which stations get a car so that the most residents are reached.

A resident is **served** when their building is within walking distance of a working station
(as everywhere in the planner) **or** within ``drive_min`` minutes' drive of a working station
that has a vehicle (:mod:`planner.drive`: car rules, one-way streets, speed limits; the
inspector then walks at most ``max_kerb_m`` from the nearest node of the car network to the
door). Placing ``V`` vehicles is then a maximal covering problem over the stations: the
stations are the candidates, the drive-time coverage matrix says which buildings a car at each
station reaches, and the buildings already within walking distance count as covered. It is
solved by the same exact solver as new stations (:func:`planner.siting.maximize_coverage`:
reduction, greedy, local search, Lagrangian bound, HiGHS MILP), with its proven gap.

A station gets at most one vehicle in this model: a second car at the same station reaches the
same streets in the same time. Vehicles beyond the stations that add anybody are reported as
not placed. Nationally, each unit's curve "residents gained with ``v`` vehicles"
(:func:`vehicle_curve`, the same solver for every ``v``) goes into the same dynamic programme
as new stations (:func:`planner.allocation.allocate`). In a unit, only the stations inside the
unit's own area (``City.area``) are candidates, so each station can get a vehicle in one unit only;
the unit's residents still count as within walking distance of any station, its buffer's
included, and its car network is the unit's cut (its area plus the walking buffer).

:func:`allocate_vehicles` and :func:`vehicle_curve` are the numeric core
(:mod:`planner.vehicle_allocation`: arrays and ``scipy.sparse`` in, re-exported here);
:func:`plan_vehicles` is the adapter for a city run. Every exact solve stops on HiGHS' node
limit (``node_limit``), the wall clock (``time_limit_s``) being only a safety net whose hit the
result records (``siting.time_limit_hit``).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from planner._crs import WGS84
from planner._format import plain
from planner.defaults import (
    DEFAULT_DRIVE_MIN,
    DEFAULT_MAX_KERB_M,
    DEFAULT_NODE_LIMIT,
    DEFAULT_TIME_LIMIT_S,
    MAX_DRIVE_MIN,
)
from planner.drive import (
    DriveNetwork,
    build_drive_network,
    drive_area,
    drive_coverage,
    drive_times,
    snap_to_drive,
)
from planner.errors import InputError
from planner.i18n import gettext, ngettext
from planner.siting import CoverageCurve, SitingResult, curve_plan
from planner.snapping import door_points
from planner.stations import working
from planner.vehicle_allocation import (
    allocate_national_vehicles,
    allocate_vehicles,
    vehicle_curve,
)

if TYPE_CHECKING:
    from planner.results import City, CoverageResult

__all__ = [
    "DRIVE_AREA_COLUMNS",
    "VehiclePlan",
    "VehicleReach",
    "allocate_national_vehicles",
    "allocate_vehicles",
    "plan_vehicles",
    "plan_vehicles_from_curve",
    "unit_vehicle_curve",
    "vehicle_curve",
    "vehicle_reach",
]

log = logging.getLogger(__name__)

#: Side (metres) of the grid squares a station's drive-time area is drawn with (display only).
AREA_CELL_M = 100.0
#: Columns of :attr:`VehiclePlan.drive_areas` besides the geometry; ``base_lon``/``base_lat``
#: (EPSG:4326) is the station the vehicle is based at, for the maps.
DRIVE_AREA_COLUMNS = (
    "rank", "station_id", "name", "drive_min", "residents_gained", "area_km2", "base_lon",
    "base_lat",
)  # fmt: skip


def _check(func: str, n_vehicles: object, drive_min: object) -> None:
    problems = []
    if isinstance(n_vehicles, bool) or not isinstance(n_vehicles, int | np.integer):
        problems.append(
            gettext("{option} must be a whole number >= 0, e.g. 20").format(
                option=f"vehicles={plain(n_vehicles)}"
            )
        )
    elif n_vehicles < 0:
        problems.append(
            gettext("{option} must be >= 0, e.g. 20").format(option=f"vehicles={plain(n_vehicles)}")
        )
    if (
        isinstance(drive_min, bool)
        or not isinstance(drive_min, int | float | np.number)
        or not math.isfinite(float(drive_min))
        or not 0 < float(drive_min) <= MAX_DRIVE_MIN
    ):
        problems.append(
            gettext("{option} must be minutes in (0, {max}], e.g. 10").format(
                option=f"drive_min={plain(drive_min)}", max=f"{MAX_DRIVE_MIN:g}"
            )
        )
    if problems:
        raise InputError(gettext("{function}: invalid options").format(function=func), problems)


@dataclass(frozen=True, eq=False, kw_only=True)
class VehiclePlan:
    """Vehicles placed at stations (:func:`plan_vehicles`).

    Attributes
    ----------
    n_vehicles, drive_min, max_kerb_m
        What was asked for.
    stations
        All stations with ``vehicles`` (0 or 1), ``drive_node_m`` (straight line to the car
        network, NaN when it has none in reach), ``drive_reach_residents`` (residents a car
        there would reach within ``drive_min``) and ``vehicle_gain`` (residents it adds in
        rollout order; 0 without a vehicle).
    drive_areas
        One row per station with a vehicle (:data:`DRIVE_AREA_COLUMNS`): ``rank``,
        ``station_id``, ``name``, ``drive_min``, ``residents_gained``, ``area_km2``, where it is
        based (``base_lon``/``base_lat``, EPSG:4326) and the streets reached within
        ``drive_min`` (as :data:`AREA_CELL_M` grid squares, for display).
    buildings
        The residents with ``drive_min_nearest`` (fastest drive from any working station, one
        multi-source search), ``vehicle_reached`` and ``served`` (walk or vehicle).
    siting
        The solver's result (stations are its candidates, in the order of working stations).
    residents_total, walk_covered, vehicle_gain, upper_bound, gap
        Residents in all, within walking distance, added by the vehicles, the proven bound on
        the best gain and the relative gap.
    placed
        Vehicles placed (the others add nobody).
    network
        The car network.
    """

    n_vehicles: int
    drive_min: float
    max_kerb_m: float
    stations: gpd.GeoDataFrame
    drive_areas: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    siting: SitingResult
    residents_total: float
    walk_covered: float
    vehicle_gain: float
    upper_bound: float
    gap: float
    placed: int
    network: DriveNetwork

    @property
    def served(self) -> float:
        return self.walk_covered + self.vehicle_gain


@dataclass(frozen=True, eq=False)
class VehicleReach:
    """What a car at each station that may get one reaches (:func:`vehicle_reach`).

    Attributes
    ----------
    network
        The car network.
    drive_min, max_kerb_m
        The drive-time limit and the kerb walk it was computed with.
    working
        Rows (positions) of ``coverage.stations`` that may get a vehicle, in the order of
        ``matrix``'s rows: the working stations (in a national unit, those inside its own area).
    station_node, station_kerb_m
        Each of them's node of the car network (-1: none within ``max_kerb_m``) and the straight
        line to it (metres).
    building_node
        Each building's node (-1: not reached by car).
    matrix
        Stations x buildings: the drive time (seconds) of every pair within ``drive_min``.
    """

    network: DriveNetwork
    drive_min: float
    max_kerb_m: float
    working: np.ndarray
    station_node: np.ndarray
    station_kerb_m: np.ndarray
    building_node: np.ndarray
    matrix: sp.csr_array


def vehicle_reach(
    city: City,
    coverage: CoverageResult,
    *,
    drive_min: float = DEFAULT_DRIVE_MIN,
    max_kerb_m: float = DEFAULT_MAX_KERB_M,
    network: DriveNetwork | None = None,
) -> VehicleReach:
    """The car network, the stations that may get a vehicle and whom each one's car reaches
    within ``drive_min`` (the drive-time coverage matrix; module docstring)."""
    _check("vehicle_reach", 0, drive_min)
    net = network if network is not None else build_drive_network(city.osm)
    stations = coverage.stations
    ok = working(stations)
    if getattr(city, "area", None) is not None:
        # a unit of a national run: only its own stations get vehicles (each station belongs
        # to one unit), while its residents may be within walking distance of any station
        xy = door_points(stations)
        inside = np.zeros(len(stations), dtype=bool)
        finite = np.isfinite(xy).all(axis=1)
        inside[finite] = shapely.contains_xy(city.area, xy[finite, 0], xy[finite, 1])
        ok = ok & inside
    work = np.flatnonzero(ok)
    st_node, st_kerb = snap_to_drive(net, door_points(stations.iloc[work]), max_kerb_m=max_kerb_m)
    b_node, _ = snap_to_drive(net, door_points(coverage.buildings), max_kerb_m=max_kerb_m)
    far = np.flatnonzero(st_node < 0)
    if far.size:
        ids = stations["station_id"].to_numpy()[work[far]] if "station_id" in stations else far
        log.warning(
            ngettext(
                "{n} working stations are more than {metres} m from the car network and cannot "
                "use a vehicle: {stations}",
                "{n} working stations are more than {metres} m from the car network and cannot "
                "use a vehicle: {stations}",
                int(far.size),
            ).format(
                n=far.size,
                metres=f"{max_kerb_m:.0f}",
                stations=", ".join(str(i) for i in ids[:10]) + (" ..." if far.size > 10 else ""),
            )
        )
    return VehicleReach(
        network=net,
        drive_min=float(drive_min),
        max_kerb_m=float(max_kerb_m),
        working=work,
        station_node=st_node,
        station_kerb_m=st_kerb,
        building_node=b_node,
        matrix=drive_coverage(net, st_node, b_node, limit_s=float(drive_min) * 60.0),
    )


def unit_vehicle_curve(
    city: City,
    coverage: CoverageResult,
    *,
    max_vehicles: int,
    drive_min: float = DEFAULT_DRIVE_MIN,
    max_kerb_m: float = DEFAULT_MAX_KERB_M,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    node_limit: int = DEFAULT_NODE_LIMIT,
    reach: VehicleReach | None = None,
) -> tuple[CoverageCurve, tuple[str, ...]]:
    """A unit's curve of residents gained with ``v = 0 ..`` vehicles, for the national DP, and
    the ids of its working stations (the curve's candidates, so ``curve.sites[v]`` names the
    stations of the best ``v``-vehicle plan). ``reach`` (from :func:`vehicle_reach` with the
    same ``drive_min`` and ``max_kerb_m``) saves building it again."""
    _check("unit_vehicle_curve", max_vehicles, drive_min)
    if reach is None:
        reach = vehicle_reach(city, coverage, drive_min=drive_min, max_kerb_m=max_kerb_m)
    elif (reach.drive_min, reach.max_kerb_m) != (float(drive_min), float(max_kerb_m)):
        raise InputError(
            gettext("unit_vehicle_curve: reach was computed for another drive"),
            [
                gettext("reach: {reach}; asked: {asked}").format(
                    reach=(
                        f"drive_min={plain(reach.drive_min)}, max_kerb_m={plain(reach.max_kerb_m)}"
                    ),
                    asked=f"drive_min={plain(drive_min)}, max_kerb_m={plain(max_kerb_m)}",
                )
            ],
        )
    buildings = coverage.buildings
    curve = vehicle_curve(
        reach.matrix,
        buildings["population"].to_numpy(dtype=float),
        max_vehicles=max_vehicles,
        walk_covered=buildings["covered"].to_numpy(dtype=bool),
        time_limit_s=time_limit_s,
        node_limit=node_limit,
    )
    ids = tuple(str(i) for i in coverage.stations["station_id"].to_numpy()[reach.working])
    return curve, ids


def plan_vehicles(
    city: City,
    coverage: CoverageResult,
    *,
    n_vehicles: int,
    drive_min: float = DEFAULT_DRIVE_MIN,
    max_kerb_m: float = DEFAULT_MAX_KERB_M,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    node_limit: int = DEFAULT_NODE_LIMIT,
    network: DriveNetwork | None = None,
) -> VehiclePlan:
    """Place ``n_vehicles`` at working stations to serve the most residents (module docstring).

    Raises
    ------
    InputError
        Bad options, or no drivable street in the city.
    """
    _check("plan_vehicles", n_vehicles, drive_min)
    reach = vehicle_reach(
        city, coverage, drive_min=drive_min, max_kerb_m=max_kerb_m, network=network
    )
    buildings = coverage.buildings
    siting = allocate_vehicles(
        reach.matrix,
        buildings["population"].to_numpy(dtype=float),
        n_vehicles=int(n_vehicles),
        walk_covered=buildings["covered"].to_numpy(dtype=bool),
        time_limit_s=time_limit_s,
        node_limit=node_limit,
    )
    return _vehicle_plan(coverage, reach, siting, int(n_vehicles))


def plan_vehicles_from_curve(
    coverage: CoverageResult,
    reach: VehicleReach,
    curve: CoverageCurve,
    *,
    n_vehicles: int,
) -> VehiclePlan:
    """The plan of ``n_vehicles`` read off a unit's curve (:func:`unit_vehicle_curve` on the
    same ``reach``), without solving again: the stations of ``curve.sites[v]`` in rollout order,
    with the curve's bound. A national unit's files show these vehicles: the stations
    national.json lists for the unit."""
    _check("plan_vehicles_from_curve", n_vehicles, reach.drive_min)
    buildings = coverage.buildings
    siting = curve_plan(
        reach.matrix,
        buildings["population"].to_numpy(dtype=float),
        curve,
        int(n_vehicles),
        already_covered=buildings["covered"].to_numpy(dtype=bool),
    )
    return _vehicle_plan(coverage, reach, siting, int(n_vehicles))


def _vehicle_plan(
    coverage: CoverageResult, reach: VehicleReach, siting: SitingResult, n_vehicles: int
) -> VehiclePlan:
    """The :class:`VehiclePlan` of the stations ``siting`` chose among ``reach``'s."""
    net, work, st_node = reach.network, reach.working, reach.station_node
    limit_s = reach.drive_min * 60.0
    stations = coverage.stations
    buildings = coverage.buildings
    population = buildings["population"].to_numpy(dtype=float)
    walk = buildings["covered"].to_numpy(dtype=bool)
    chosen = siting.sites
    has = np.zeros(len(stations), dtype=np.int64)
    has[work[chosen]] = 1
    gain = np.zeros(len(stations))
    gain[work[chosen]] = siting.marginal_population
    alone = np.full(len(stations), np.nan)
    hits = reach.matrix.copy()
    hits.data = np.ones_like(hits.data)
    alone[work] = hits @ population
    kerb = np.full(len(stations), np.nan)
    st_kerb = reach.station_kerb_m
    kerb[work] = np.where(np.isfinite(st_kerb), st_kerb, np.nan)
    out_st = stations.copy()
    out_st["vehicles"] = has
    out_st["drive_node_m"] = kerb
    out_st["drive_reach_residents"] = alone
    out_st["vehicle_gain"] = gain
    nearest = drive_times(net, st_node)
    with_car = drive_times(net, np.where(np.isin(np.arange(work.size), chosen), st_node, -1))
    b_node = reach.building_node
    b_ok = b_node >= 0
    out_b = buildings.copy()
    t_near = np.full(len(buildings), np.inf)
    t_near[b_ok] = nearest.time_s[b_node[b_ok]]
    t_car = np.full(len(buildings), np.inf)
    t_car[b_ok] = with_car.time_s[b_node[b_ok]]
    out_b["drive_min_nearest"] = t_near / 60.0
    out_b["vehicle_reached"] = t_car <= limit_s
    out_b["served"] = walk | (t_car <= limit_s)
    areas = _drive_areas(net, out_st, work, chosen, st_node, siting.marginal_population, limit_s)
    log.info(  # untranslated: a developer's log line (INFO, not shown by the command line)
        "vehicles: %d of %d placed, %.0f residents gained within %g min drive",
        chosen.size,
        n_vehicles,
        siting.newly_covered_population,
        reach.drive_min,
    )
    return VehiclePlan(
        n_vehicles=int(n_vehicles),
        drive_min=reach.drive_min,
        max_kerb_m=reach.max_kerb_m,
        stations=out_st,
        drive_areas=areas,
        buildings=out_b,
        siting=siting,
        residents_total=float(population.sum()),
        walk_covered=float(population[walk].sum()),
        vehicle_gain=float(siting.newly_covered_population),
        upper_bound=float(siting.upper_bound),
        gap=float(siting.gap),
        placed=int(chosen.size),
        network=net,
    )


def _drive_areas(
    net: DriveNetwork,
    stations: gpd.GeoDataFrame,
    work: np.ndarray,
    chosen: np.ndarray,
    st_node: np.ndarray,
    gained: np.ndarray,
    limit_s: float,
) -> gpd.GeoDataFrame:
    rows: list[dict[str, Any]] = []
    geoms = []
    bases = gpd.GeoSeries(
        shapely.point_on_surface(stations.geometry.to_numpy()[work[chosen]]), crs=stations.crs
    ).to_crs(WGS84)
    for rank, (pos, people) in enumerate(zip(chosen.tolist(), gained.tolist(), strict=True)):
        one = np.full(work.size, -1, dtype=np.int64)
        one[pos] = st_node[pos]
        times = drive_times(net, one, limit_s=limit_s).time_s
        area = drive_area(net, times, limit_s=limit_s, cell_m=AREA_CELL_M)
        row = stations.iloc[work[pos]]
        base = bases.iloc[rank]
        rows.append(
            {
                "rank": rank + 1,
                "station_id": row.get("station_id"),
                "name": row.get("name"),
                "drive_min": limit_s / 60.0,
                "residents_gained": people,
                "area_km2": area.area / 1e6,
                "base_lon": float(base.x) if base is not None and not base.is_empty else np.nan,
                "base_lat": float(base.y) if base is not None and not base.is_empty else np.nan,
            }
        )
        geoms.append(area)
    frame = pd.DataFrame(rows, columns=list(DRIVE_AREA_COLUMNS))
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=net.crs))
