"""What a national run decides and reports: its options and its result types.

Below the run (:mod:`planner.national.run`) that fills them and the report
(:mod:`planner.national.report`) that writes them, so neither imports the other to read a result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from planner._format import plain
from planner.candidates import DEFAULT_SPACING_M
from planner.defaults import (
    DEFAULT_DRIVE_MIN,
    DEFAULT_NEW_STATIONS,
    DEFAULT_NODE_LIMIT,
    DEFAULT_RESIDENTS_PER_INSPECTOR,
    DEFAULT_TIME_LIMIT_S,
    DEFAULT_UNIT_OUTPUTS,
    MAX_DRIVE_MIN,
    UNIT_OUTPUTS,
)
from planner.errors import InputError
from planner.i18n import gettext
from planner.network import DEFAULT_BARRIERS
from planner.settings import WalkSettings

if TYPE_CHECKING:
    import geopandas as gpd

    from planner.allocation import Allocation
    from planner.demand import PopulationSettings
    from planner.inspector_moves import InspectorMoves
    from planner.national.units import Unit

__all__ = [
    "DEFAULT_NEW_STATIONS",
    "NationalOptions",
    "NationalResult",
    "UnitOutcome",
    "UnitWritten",
    "allocation_table",
    "vehicle_table",
]


@dataclass(frozen=True, kw_only=True)
class NationalOptions:
    """Settings every unit runs with (a frozen, picklable value).

    Attributes
    ----------
    settings
        Walking limit, speed and snap distance.
    new_stations
        The national budget ``N`` (with ``target_share``: the most that may be used).
    target_share
        Instead of placing ``N``: the fewest new stations bringing the nation to this share.
    spacing_m, method, time_limit_s, node_limit
        Candidates and solver of each unit's curve. ``node_limit`` is the work limit of each
        MILP (counted by HiGHS: the same curves on any machine, with any number of workers);
        ``time_limit_s`` is a wall-clock safety net for all ``k`` of a unit together (``inf``,
        the default: off) whose every hit the outputs report (``time_limit_hit``).
    unit_outputs
        Which units get their own folder of city files: ``"all"``, ``"allocated"`` (those
        receiving new stations or vehicles) or ``"none"``
        (:data:`planner.defaults.UNIT_OUTPUTS`); the national files hold every unit's numbers.
    curve_max_milp_pairs
        Largest MILP (coverage pairs after reduction) of a curve's first pass. The default, 0,
        gives every point its greedy, local-search and Lagrangian answer only; the points the
        allocation depends on are then solved with HiGHS (LP, MILP) on models of up to
        :data:`planner.siting.REFINE_MILP_MAX_PAIRS` pairs. ``MILP_MAX_PAIRS`` solves every
        point of every curve with HiGHS where it can (slower; the same allocation).
    population_settings
        Assumptions of the footprint-based resident estimate.
    allow_overlap
        Accept units that overlap by more than slivers (the first listed keeps the overlap).
    barriers
        Kinds of barrier a door's walk to the street may not cross (see
        :data:`planner.network.BARRIER_KINDS`).
    redistribute_inspectors, max_move_m
        Move inspectors between the working stations (:mod:`planner.inspector_moves`): within
        each unit, or with ``max_move_m`` between any stations at most that far apart
        (straight line, metres), across units too.
    vehicles, drive_min
        Service vehicles to share among the units' working stations (0: none) and the drive
        time each one's car reaches, minutes (:mod:`planner.vehicles`).
    """

    settings: WalkSettings = field(default_factory=WalkSettings)
    new_stations: int = DEFAULT_NEW_STATIONS
    target_share: float | None = None
    spacing_m: float = DEFAULT_SPACING_M
    method: Literal["exact", "greedy"] = "exact"
    time_limit_s: float = DEFAULT_TIME_LIMIT_S
    node_limit: int = DEFAULT_NODE_LIMIT
    curve_max_milp_pairs: int = 0
    unit_outputs: str = DEFAULT_UNIT_OUTPUTS
    population_settings: PopulationSettings | None = None
    allow_overlap: bool = False
    residents_per_inspector: float = DEFAULT_RESIDENTS_PER_INSPECTOR
    barriers: tuple[str, ...] = DEFAULT_BARRIERS
    redistribute_inspectors: bool = False
    max_move_m: float | None = None
    vehicles: int = 0
    drive_min: float = DEFAULT_DRIVE_MIN

    def __post_init__(self) -> None:
        problems = []
        if self.unit_outputs not in UNIT_OUTPUTS:
            problems.append(
                gettext("unit outputs {value} must be one of {choices}").format(
                    value=plain(self.unit_outputs), choices=", ".join(UNIT_OUTPUTS)
                )
            )
        if not isinstance(self.vehicles, int | np.integer) or self.vehicles < 0:
            problems.append(
                gettext("vehicles {value} must be a whole number >= 0").format(
                    value=plain(self.vehicles)
                )
            )
        if not 0 < self.drive_min <= MAX_DRIVE_MIN:
            problems.append(
                gettext("drive minutes {value} must be in (0, {most}], e.g. 10").format(
                    value=plain(self.drive_min), most=f"{MAX_DRIVE_MIN:g}"
                )
            )
        if not isinstance(self.new_stations, int | np.integer) or self.new_stations < 0:
            problems.append(
                gettext("new stations {value} must be a whole number >= 0").format(
                    value=plain(self.new_stations)
                )
            )
        if self.target_share is not None and not 0 < self.target_share <= 1:
            problems.append(
                gettext("target share {value} must be in (0, 1], e.g. 0.9").format(
                    value=plain(self.target_share)
                )
            )
        if not self.spacing_m > 0:
            problems.append(
                gettext("candidate spacing {value} m must be > 0").format(
                    value=plain(self.spacing_m)
                )
            )
        if not self.time_limit_s > 0:
            problems.append(
                gettext("time limit {value} s must be > 0 (inf: no limit)").format(
                    value=plain(self.time_limit_s)
                )
            )
        if not isinstance(self.node_limit, int | np.integer) or self.node_limit < 1:
            problems.append(
                gettext("node limit {value} must be a whole number >= 1").format(
                    value=plain(self.node_limit)
                )
            )
        if not self.residents_per_inspector > 0:
            problems.append(
                gettext("residents per inspector {value} must be > 0").format(
                    value=plain(self.residents_per_inspector)
                )
            )
        if self.max_move_m is not None and not (
            isinstance(self.max_move_m, int | float) and 0 < self.max_move_m < math.inf
        ):
            problems.append(
                gettext("max_move_m={value} must be a number of metres > 0").format(
                    value=plain(self.max_move_m)
                )
            )
        if self.max_move_m is not None and not self.redistribute_inspectors:
            problems.append(gettext("max_move_m works with redistribute_inspectors=True"))
        if problems:
            raise InputError(gettext("invalid national options"), problems)


@dataclass(frozen=True)
class UnitOutcome:
    """The small result of a unit that travels back to the client (and into national.json)."""

    name: str
    folder: str
    status: str  # "ok" or the failure reason
    residents: float = 0.0
    covered_before: float = 0.0
    newly_covered: tuple[float, ...] = (0.0,)  # curve: k = 0..K
    upper_bound: tuple[float, ...] = (0.0,)
    proven_optimal: tuple[bool, ...] = (True,)
    stations_usable: int = 0
    stations_total: int = 0
    buildings: int = 0
    outline_wkb: bytes | None = None  # EPSG:4326
    data_date: str | None = None
    runtime_s: float = 0.0
    notes: tuple[str, ...] = ()
    inspectors_needed: int = 0  # at the working stations, at options.residents_per_inspector
    inspectors_now: int | None = None  # from the stations file's inspectors column, if any
    time_limit_hit: bool = False  # the wall-clock safety net cut the unit's curve short
    # the curve points solved again, with the largest MILPs, because the allocation needs them
    refined: tuple[int, ...] = ()
    inspectors_missing: int | None = None
    # the unit's working stations: (station_id, lon, lat, residents for whom it is the nearest
    # in this unit, inspectors there now or NaN); the national totals count each station once
    station_records: tuple[tuple[str, float, float, float, float], ...] = ()
    # with options.redistribute_inspectors: the names of station_records' stations (or None)
    station_names: tuple[str | None, ...] = ()
    # with options.vehicles: residents gained with v = 0..V vehicles, bounds, station ids
    vehicle_curve: tuple[float, ...] = (0.0,)
    vehicle_bound: tuple[float, ...] = (0.0,)
    vehicle_stations: tuple[tuple[str, ...], ...] = ((),)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class UnitWritten:
    """What writing a unit's outputs with its allocated ``k`` reports back."""

    name: str
    status: str
    new_stations: int = 0
    covered_after: float = 0.0
    gap: float = 0.0
    sites: tuple[dict[str, Any], ...] = ()
    seconds: float = 0.0
    # with options.vehicles: the unit's service vehicles as written in its files, one dict per
    # vehicle (the columns of planner.vehicles.DRIVE_AREA_COLUMNS and "wkb", its drive-time
    # area in EPSG:4326)
    vehicle_areas: tuple[dict[str, Any], ...] = ()
    # whether the unit's folder of city files was written (options.unit_outputs)
    files: bool = True


@dataclass(frozen=True, eq=False)
class NationalResult:
    """What a national run found and decided (see :func:`plan_nation`).

    Attributes
    ----------
    units
        Every unit's outcome, in input order.
    allocation
        The DP allocation (aligned with ``units``; failed units get 0).
    greedy
        The greedy marginal allocation, for comparison.
    written
        What writing each unit reported, by unit name.
    outlines
        Units as polygons (EPSG:4326) with their numbers: the ``units`` layer.
    stations_outside
        Rows of the national stations file that fall in no unit (with the reason).
    notes
        Things the user should know (overlaps, units without data, ...).
    residents_outside
        Residential buildings whose door lies in no unit (EPSG:4326, with ``population`` and
        ``other_level_area``; :func:`planner.national.units.residents_outside_units`): counted
        in no unit and reported; ``None`` for a manifest (each file is its unit).
    timings_s
        Seconds per phase: reading, units, allocation, writing.
    inputs
        Input files with role and SHA-256.
    redistribution
        With ``options.redistribute_inspectors``: the inspector moves over the country
        (:class:`planner.inspector_moves.InspectorMoves` with its ``units`` table).
    """

    options: NationalOptions
    units: tuple[UnitOutcome, ...]
    unit_specs: tuple[Unit, ...]
    allocation: Allocation
    greedy: Allocation
    target: dict[str, Any] | None
    written: dict[str, UnitWritten]
    stations_outside: gpd.GeoDataFrame | None
    notes: tuple[str, ...]
    timings_s: dict[str, float]
    inputs: tuple[dict[str, str], ...]
    workers: int
    scheduler: str
    residents_outside: gpd.GeoDataFrame | None = None
    redistribution: InspectorMoves | None = None
    #: With ``options.vehicles``: the vehicles per unit (same DP as the stations).
    vehicle_allocation: Allocation | None = None
    #: The rounds that proved the curve points the allocation depends on: ``rounds`` (each
    #: with its ``units``, ``points`` and ``seconds``), ``points`` and ``units`` in all.
    refinement: dict[str, Any] | None = None

    @property
    def n_ok(self) -> int:
        return sum(u.ok for u in self.units)

    @property
    def n_failed(self) -> int:
        return len(self.units) - self.n_ok

    @property
    def time_limit_hit(self) -> bool:
        """Whether the wall-clock safety net cut any unit's curve short (the allocation then
        depended on the machine's speed and load), or stopped the inspector moves."""
        moves = self.redistribution
        return any(u.time_limit_hit for u in self.units) or (
            moves is not None and moves.time_limit_hit
        )


def allocation_table(result: NationalResult) -> pd.DataFrame:
    """One row per unit: numbers before and after, stations allocated, gap, status."""
    rows = []
    for u, spec, k in zip(
        result.units, result.unit_specs, result.allocation.new_stations, strict=True
    ):
        w = result.written.get(u.name)
        status = u.status if (w is None or w.status == "ok" or not u.ok) else w.status
        after = w.covered_after if (w is not None and u.ok) else math.nan
        ok = u.ok
        rows.append(
            {
                "name": u.name,
                "status": status,
                "residents": u.residents if ok else math.nan,
                "covered_before": u.covered_before if ok else math.nan,
                "covered_after": after,
                "share_before": u.covered_before / u.residents if ok and u.residents else math.nan,
                "share_after": after / u.residents if ok and u.residents else math.nan,
                "new_stations": int(k) if ok else 0,
                "min_new": spec.min_new,
                "max_new": spec.max_new,
                "gap": (w.gap if w is not None and w.new_stations else 0.0) if ok else math.nan,
                "stations": u.stations_usable,
                "inspectors_needed": u.inspectors_needed if ok else math.nan,
                "inspectors_now": u.inspectors_now
                if ok and u.inspectors_now is not None
                else math.nan,
                "inspectors_missing": (
                    u.inspectors_missing if ok and u.inspectors_missing is not None else math.nan
                ),
                "folder": u.folder,
                "runtime_s": u.runtime_s,
            }
        )
    return pd.DataFrame(rows)


def vehicle_table(result: NationalResult) -> pd.DataFrame:
    """With ``options.vehicles``, one row per unit: vehicles allocated, residents they gain
    (and the proven bound), the share served on foot or by car, and the stations that get them
    (``;``-separated ids)."""
    alloc = result.vehicle_allocation
    rows = []
    for i, u in enumerate(result.units):
        v = int(alloc.new_stations[i]) if alloc is not None and u.ok else 0
        k = min(v, len(u.vehicle_curve) - 1)
        gain = float(u.vehicle_curve[k]) if u.ok else math.nan
        rows.append(
            {
                "name": u.name,
                "vehicles": v,
                "vehicle_gain": gain,
                "vehicle_bound": float(u.vehicle_bound[k]) if u.ok else math.nan,
                "share_served_with_vehicles": (
                    (u.covered_before + gain) / u.residents if u.ok and u.residents else math.nan
                ),
                "vehicle_stations": ";".join(u.vehicle_stations[k]) if u.ok else "",
            }
        )
    return pd.DataFrame(rows)
