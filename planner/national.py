"""The national plan: every unit (city, council) through the city pipeline on Dask, then the
best allocation of the new stations across them.

The layer sits on top of the city pipeline and uses only its public functions:

1. **One read.** The country file is read once (:func:`planner.osm.scan_osm`), in one
   streaming pass; each unit gets its own cut (:meth:`planner.osm.OsmScan.cut`): the streets,
   buildings and police inside its polygon plus a walking buffer (see :mod:`planner.units`),
   projected to the unit's own UTM zone. A national stations file is read once and each row
   handed to every unit whose buffer holds it. With a manifest, each unit has its own file.
2. **One task per unit** (:func:`unit_curve`): :func:`planner.pipeline.city_from_osm`,
   :func:`~planner.pipeline.assess_coverage` and :func:`~planner.pipeline.plan_curve` (the best
   plan for every ``k = 0 .. K`` with its proven bound). It is a pure function of its inputs;
   the heavy result stays on the worker and only the curve (a few numbers per ``k``) travels
   back. A unit that fails (no streets, no residents, bad data) returns its reason and never
   stops the others.
3. **The allocation** (:mod:`planner.allocation`, numeric, knows nothing of Dask): dynamic
   programming over the curves, exact for any curve shape; the same DP over the bound curves
   gives the national upper bound and so the national optimality gap.
4. **Writing.** Each unit's outputs (plan.gpkg, summary, map.html with its allocated ``k``)
   are written by the worker holding it, into ``units/<folder>/``; the client writes
   ``national.gpkg``, ``national.json``, ``national.md`` and ``national.html``. Everything goes
   to a staging folder beside ``--out`` that replaces it only when complete and checked
   (:func:`planner.output_set.output_set`, the same transaction as a city run's; each unit's
   folder is itself written as one set). All files carry the run's id.

The result does not depend on the number of workers or the order in which tasks finish: each
unit's result is a function of its inputs alone (while its solver time limit is not reached:
then the curve's gap says so), and the allocation sees the units in input order.

With ``scheduler=`` (an existing cluster), the workers must be able to import ``planner`` and
write to ``out_dir``: use a path on a file system shared with the workers.
"""

from __future__ import annotations

import logging
import math
import os
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._crs import WGS84
from planner.allocation import Allocation, allocate, allocate_greedy, fewest_for_target
from planner.candidates import DEFAULT_SPACING_M
from planner.demand import PopulationSettings
from planner.errors import InputError, PlannerError
from planner.network import DEFAULT_BARRIERS
from planner.osm import OsmData, OsmScan, file_sha256, scan_osm
from planner.output_set import OutputSet, output_set
from planner.settings import WalkSettings
from planner.stations import read_stations
from planner.units import (
    Unit,
    assign_stations,
    prepare_units,
    read_manifest,
    read_units,
    units_from_osm,
)

__all__ = [
    "DEFAULT_NEW_STATIONS",
    "NationalOptions",
    "NationalResult",
    "UnitOutcome",
    "plan_nation",
    "unit_curve",
]

log = logging.getLogger(__name__)

#: The programme's number of new precinct points nationwide.
DEFAULT_NEW_STATIONS = 279


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
    spacing_m, method, time_limit_s
        Candidates and solver of each unit's curve; ``time_limit_s`` is each unit's budget
        for all its ``k``.
    population_settings
        Assumptions of the footprint-based resident estimate.
    allow_overlap
        Accept units that overlap by more than slivers (the first listed keeps the overlap).
    barriers
        Kinds of barrier a door's walk to the street may not cross (see
        :data:`planner.network.BARRIER_KINDS`).
    """

    settings: WalkSettings = field(default_factory=WalkSettings)
    new_stations: int = DEFAULT_NEW_STATIONS
    target_share: float | None = None
    spacing_m: float = DEFAULT_SPACING_M
    method: Literal["exact", "greedy"] = "exact"
    time_limit_s: float = 60.0
    population_settings: PopulationSettings | None = None
    allow_overlap: bool = False
    residents_per_inspector: float = 3000.0
    barriers: tuple[str, ...] = DEFAULT_BARRIERS
    #: Service vehicles to share among the units' working stations (0: none; planner.vehicles).
    vehicles: int = 0
    drive_min: float = 10.0

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.vehicles, int | np.integer) or self.vehicles < 0:
            problems.append(f"vehicles {self.vehicles!r} must be a whole number >= 0")
        if not 0 < self.drive_min <= 120:
            problems.append(f"drive minutes {self.drive_min!r} must be in (0, 120], e.g. 10")
        if not isinstance(self.new_stations, int | np.integer) or self.new_stations < 0:
            problems.append(f"new stations {self.new_stations!r} must be a whole number >= 0")
        if self.target_share is not None and not 0 < self.target_share <= 1:
            problems.append(f"target share {self.target_share!r} must be in (0, 1], e.g. 0.9")
        if not self.spacing_m > 0:
            problems.append(f"candidate spacing {self.spacing_m!r} m must be > 0")
        if not self.time_limit_s > 0:
            problems.append(f"time limit {self.time_limit_s!r} s must be > 0")
        if not self.residents_per_inspector > 0:
            problems.append(f"residents per inspector {self.residents_per_inspector!r} must be > 0")
        if problems:
            raise InputError("invalid national options", problems)


# --- the unit task -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitJob:
    """Everything one unit's task needs (sent to a worker)."""

    unit: Unit
    osm: OsmData | None  # the unit's cut of the country file; None: read unit.osm_path
    stations: gpd.GeoDataFrame | None  # its rows of the national stations file; None: OSM police
    options: NationalOptions
    max_sites: int  # K: the curve's cap


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
    inspectors_missing: int | None = None
    # with options.vehicles: residents gained with v = 0..V vehicles, bounds, station ids
    vehicle_curve: tuple[float, ...] = (0.0,)
    vehicle_bound: tuple[float, ...] = (0.0,)
    vehicle_stations: tuple[tuple[str, ...], ...] = ((),)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True, eq=False)
class _UnitState:
    """The heavy result of a unit (city, coverage, curve); stays on its worker."""

    job: UnitJob
    city: Any
    coverage: Any
    curve: Any
    outcome: UnitOutcome


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


def unit_curve(job: UnitJob) -> _UnitState | UnitOutcome:
    """One unit through the city pipeline up to its curve; a failure comes back as its reason.

    A pure function of ``job`` (no module state): safe to run on any worker, in any order.
    """
    from planner.pipeline import assess_coverage, city_from_osm, load_city, plan_curve

    t0 = time.perf_counter()
    unit, options = job.unit, job.options
    notes: list[str] = []
    handler = _ListHandler(notes)
    root = logging.getLogger("planner")
    root.addHandler(handler)
    try:
        if job.osm is not None:
            city = city_from_osm(
                job.osm,
                name=unit.name,
                area=unit.area,
                stations=job.stations,
                population_settings=options.population_settings,
                total_population=unit.population,
                barriers=options.barriers,
            )
        else:
            assert unit.osm_path is not None
            city = load_city(
                unit.osm_path,
                name=unit.name,
                stations_path=unit.stations_path,
                population_settings=options.population_settings,
                total_population=unit.population,
                barriers=options.barriers,
            )
        coverage = assess_coverage(city, settings=options.settings)
        curve = plan_curve(
            city,
            coverage,
            max_sites=job.max_sites,
            spacing_m=options.spacing_m,
            method=options.method,
            time_limit_s=options.time_limit_s,
        )
        vehicles = _vehicle_fields(city, coverage, options) if options.vehicles else {}
    except PlannerError as exc:
        return _failure(unit, str(exc).splitlines()[0], t0, notes)
    except Exception as exc:  # a bug or a broken input: reported for this unit only
        log.debug("unit %s failed:\n%s", unit.name, traceback.format_exc())
        return _failure(unit, f"unexpected error {type(exc).__name__}: {exc}", t0, notes)
    finally:
        root.removeHandler(handler)
    s = coverage.summary
    stations = coverage.stations
    if unit.outline is not None:
        outline = unit.outline
    else:
        hull = city.residents.geometry.union_all().convex_hull
        outline = gpd.GeoSeries([hull], crs=city.network.crs).to_crs(WGS84).iloc[0]
    c = curve.curve
    needed, now, missing = _inspectors(stations, options.residents_per_inspector)
    outcome = UnitOutcome(
        name=unit.name,
        folder=unit.folder,
        status="ok",
        residents=float(s.residents_total),
        covered_before=float(s.residents_covered),
        newly_covered=tuple(float(v) for v in c.newly_covered),
        upper_bound=tuple(float(v) for v in c.upper_bound),
        proven_optimal=tuple(bool(v) for v in c.proven_optimal),
        stations_usable=int(stations["usable"].sum()),
        stations_total=len(stations),
        buildings=int(s.buildings_total),
        outline_wkb=shapely.to_wkb(outline),
        data_date=city.osm.data_date,
        runtime_s=time.perf_counter() - t0,
        notes=tuple(dict.fromkeys(notes)),
        inspectors_needed=needed,
        inspectors_now=now,
        inspectors_missing=missing,
        **vehicles,
    )
    return _UnitState(job=job, city=city, coverage=coverage, curve=curve, outcome=outcome)


def _vehicle_fields(city: Any, coverage: Any, options: NationalOptions) -> dict[str, Any]:
    """A unit's vehicle curve for the national allocation (:mod:`planner.vehicles`)."""
    from planner.vehicles import unit_vehicle_curve

    curve, ids = unit_vehicle_curve(
        city,
        coverage,
        max_vehicles=options.vehicles,
        drive_min=options.drive_min,
        time_limit_s=options.time_limit_s,
    )
    return {
        "vehicle_curve": tuple(float(v) for v in curve.newly_covered),
        "vehicle_bound": tuple(float(v) for v in curve.upper_bound),
        "vehicle_stations": tuple(tuple(ids[i] for i in sites) for sites in curve.sites),
    }


def _inspectors(stations: pd.DataFrame, norm: float) -> tuple[int, int | None, int | None]:
    """Inspectors needed at the working stations, there now and missing (see
    :mod:`planner.station_review`)."""
    from planner.station_review import inspectors_needed
    from planner.stations import working

    st = stations[working(stations)]
    needed = inspectors_needed(st["residents_nearest"].fillna(0.0), norm)
    if "inspectors" not in st.columns or not st["inspectors"].notna().any():
        return int(needed.sum()), None, None
    now = st["inspectors"].to_numpy(dtype=float)
    known = np.isfinite(now)
    missing = np.clip(needed[known] - now[known], 0, None)
    return int(needed.sum()), int(now[known].sum()), int(missing.sum())


def _outcome_of(state: _UnitState | UnitOutcome) -> UnitOutcome:
    return state if isinstance(state, UnitOutcome) else state.outcome


def write_unit(
    state: _UnitState | UnitOutcome,
    new_stations: int,
    folder: str,
    parameters: dict[str, Any],
    run_id: str | None = None,
) -> UnitWritten:
    """Write a unit's city outputs with its allocated number of new stations.

    The unit's files are one set (:func:`planner.report.write_outputs`) carrying ``run_id``,
    the national run's id.
    """
    from planner.pipeline import plan_from_curve
    from planner.report import write_outputs

    t0 = time.perf_counter()
    if isinstance(state, UnitOutcome):
        return UnitWritten(name=state.name, status=state.status)
    try:
        plan = (
            plan_from_curve(state.city, state.coverage, state.curve, n_sites=new_stations)
            if new_stations > 0
            else None
        )
        write_outputs(
            folder,
            city=state.city,
            coverage=state.coverage,
            plan=plan,
            parameters={**parameters, "new_stations_allocated": new_stations},
            curve=state.curve.curve,  # the map's best plans: the unit's own curve
            run_id=run_id,
        )
    except PlannerError as exc:
        return UnitWritten(name=state.outcome.name, status=f"writing failed: {exc}")
    except OSError as exc:
        return UnitWritten(name=state.outcome.name, status=f"writing failed: {exc.strerror or exc}")
    if plan is None:
        return UnitWritten(
            name=state.outcome.name,
            status="ok",
            covered_after=state.outcome.covered_before,
            seconds=time.perf_counter() - t0,
        )
    sites = tuple(
        {
            "rank": int(r.rank),
            "candidate_id": str(r.candidate_id),
            "name": None if not isinstance(r.name, str) else r.name,
            "newly_covered": float(r.marginal_population),
            "cumulative": float(r.cumulative_population),
            "lon": float(r.lon),
            "lat": float(r.lat),
        }
        for r in plan.sites.itertuples()
    )
    return UnitWritten(
        name=state.outcome.name,
        status="ok",
        new_stations=len(plan.sites),
        covered_after=float(plan.summary_after.residents_covered),
        gap=float(plan.siting.gap),
        sites=sites,
        seconds=time.perf_counter() - t0,
    )


def _failure(unit: Unit, reason: str, t0: float, notes: list[str]) -> UnitOutcome:
    outline = None if unit.outline is None else shapely.to_wkb(unit.outline)
    return UnitOutcome(
        name=unit.name,
        folder=unit.folder,
        status=reason,
        outline_wkb=outline,
        runtime_s=time.perf_counter() - t0,
        notes=tuple(dict.fromkeys(notes)),
    )


class _ListHandler(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(level=logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record.getMessage())


# --- the national run --------------------------------------------------------------------------


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
    timings_s
        Seconds per phase: reading, units, allocation, writing.
    inputs
        Input files with role and SHA-256.
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
    #: With ``options.vehicles``: the vehicles per unit (same DP as the stations).
    vehicle_allocation: Allocation | None = None

    @property
    def n_ok(self) -> int:
        return sum(u.ok for u in self.units)

    @property
    def n_failed(self) -> int:
        return len(self.units) - self.n_ok


ProgressFn = Callable[[str, int, int], None]


def plan_nation(
    *,
    osm_path: str | Path | None = None,
    units_path: str | Path | None = None,
    admin_level: int | None = None,
    manifest_path: str | Path | None = None,
    stations_path: str | Path | None = None,
    name_column: str | None = None,
    options: NationalOptions | None = None,
    stations_layer: str | None = None,
    out_dir: str | Path,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: ProgressFn | None = None,
    step: Callable[[str], Any] | None = None,
    run_id: str | None = None,
    command: dict[str, Any] | None = None,
) -> NationalResult:
    """Run the national plan and write its outputs into ``out_dir`` (replaced when complete).

    Give ``osm_path`` with ``units_path`` (unit polygons) or ``admin_level`` (the file's own
    boundaries), or ``manifest_path`` (one OSM file per unit). ``scheduler`` is the address of
    an existing Dask scheduler; by default a local cluster of ``workers`` processes (one per
    core) runs the units. ``progress(phase, done, total)`` is called as units finish;
    ``step(text)`` is a context-manager factory announcing each phase (the CLI prints them).
    ``stations_layer`` is the layer (GeoPackage) or sheet (Excel) of the stations file.
    ``run_id`` is the id every file of the run carries (:func:`planner.output_set.new_run_id`
    by default); ``command`` (how the run was started, e.g. the command line's arguments and
    options) is recorded as is in national.json. ``out_dir`` is checked and locked before
    anything is read; an :class:`~planner.errors.OutputError` says when it could not be
    written (it is then unchanged), and when no unit succeeds nothing is written.
    """
    options = options or NationalOptions()
    announce = step or _null_step
    _check_sources(osm_path, units_path, admin_level, manifest_path)
    with output_set(out_dir, run_id=run_id) as target:
        result = _plan_into(
            target, osm_path, units_path, admin_level, manifest_path, stations_path,
            name_column, options, scheduler, workers, progress, announce, command,
            stations_layer,
        )  # fmt: skip
        if result.n_ok == 0:
            target.discard()
    late = tuple(n for n in target.notes if n not in result.notes)  # e.g. files kept at the swap
    return replace(result, notes=result.notes + late) if late else result


def _plan_into(
    target: OutputSet,
    osm_path: str | Path | None,
    units_path: str | Path | None,
    admin_level: int | None,
    manifest_path: str | Path | None,
    stations_path: str | Path | None,
    name_column: str | None,
    options: NationalOptions,
    scheduler: str | None,
    workers: int | None,
    progress: ProgressFn | None,
    announce: Callable[[str], Any],
    command: dict[str, Any] | None,
    stations_layer: str | None = None,
) -> NationalResult:
    timings: dict[str, float] = {}
    inputs: list[dict[str, str]] = []
    notes: list[str] = list(target.notes)
    t0 = time.perf_counter()
    scan: OsmScan | None = None
    with announce("reading the inputs (one pass over the OSM file)"):
        if manifest_path is not None:
            table = read_manifest(manifest_path)
            inputs.append(_input("manifest", manifest_path))
            inputs += [
                _input(f"osm ({n})", p) for n, p in zip(table["name"], table["osm"], strict=True)
            ]
        else:
            assert osm_path is not None
            if units_path is not None:
                table = read_units(units_path, name_column=name_column)
                inputs.append(_input("units", units_path))
            scan = scan_osm(osm_path)
            inputs.append({"role": "osm", "path": str(osm_path), "sha256": scan.sha256})
            if admin_level is not None:
                table = units_from_osm(scan, admin_level=admin_level)
        units, overlap_notes = prepare_units(
            table, settings=options.settings, allow_overlap=options.allow_overlap
        )
        notes += overlap_notes
        stations_by_unit: dict[str, gpd.GeoDataFrame] | None = None
        outside = None
        if stations_path is not None:
            if manifest_path is not None:
                raise InputError(
                    "--stations with --manifest: give each unit's stations in the manifest's "
                    "'stations' column instead",
                )
            stations_by_unit, outside = _national_stations(
                stations_path, units, layer=stations_layer
            )
            inputs.append(_input("stations", stations_path))
        jobs, cut_failures = _jobs(units, scan, stations_by_unit, options)
    timings["reading_s"] = time.perf_counter() - t0
    if scan is not None and len(cut_failures) == len(units):
        raise InputError(
            f"{osm_path}: none of the {len(units)} units overlaps the streets of the OSM file",
            [f"{u.name}: {r}" for u, r in list(cut_failures.items())[:10]],
            f"The file's streets span {_bounds_text(scan.bounds_lonlat)}; check that the units "
            "file and the OSM file are of the same country (and the units' CRS).",
        )
    del scan
    return _run_and_write(
        jobs, units, cut_failures, options, target, scheduler, workers,
        progress, announce, timings, inputs, notes, outside, command,
    )  # fmt: skip


def _run_and_write(
    jobs: list[UnitJob],
    units: list[Unit],
    cut_failures: dict[Unit, UnitOutcome],
    options: NationalOptions,
    out_set: OutputSet,
    scheduler: str | None,
    workers: int | None,
    progress: ProgressFn | None,
    announce: Callable[[str], Any],
    timings: dict[str, float],
    inputs: list[dict[str, str]],
    notes: list[str],
    outside: gpd.GeoDataFrame | None,
    command: dict[str, Any] | None = None,
) -> NationalResult:
    from planner.national_report import write_national

    with _dask_client(scheduler, workers) as (client, n_workers, address):
        t1 = time.perf_counter()
        outcomes, states = _run_units(client, jobs, progress)
        outcomes.update({u.name: f for u, f in cut_failures.items()})
        ordered = tuple(outcomes[u.name] for u in units)
        timings["units_s"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        with announce("allocating the new stations (dynamic programming)"):
            allocation, greedy, target = _allocate(ordered, units, options)
        vehicle_allocation = None
        if options.vehicles:
            from planner.vehicles import allocate_national_vehicles

            vehicle_allocation = allocate_national_vehicles(
                [np.asarray(u.vehicle_curve) if u.ok else np.zeros(1) for u in ordered],
                [np.asarray(u.vehicle_bound) if u.ok else np.zeros(1) for u in ordered],
                options.vehicles,
                names=[u.name for u in ordered],
            )
        timings["allocation_s"] = time.perf_counter() - t2
        t3 = time.perf_counter()
        parameters = _unit_parameters(options)
        written = _write_units(
            client, states, units, allocation, out_set.path / "units", parameters, progress,
            out_set.run_id,
        )  # fmt: skip
        timings["unit_outputs_s"] = time.perf_counter() - t3
    result = NationalResult(
        options=options,
        units=ordered,
        unit_specs=tuple(units),
        allocation=allocation,
        greedy=greedy,
        target=target,
        written=written,
        stations_outside=outside,
        notes=tuple(notes),
        timings_s=timings,
        inputs=tuple(inputs),
        workers=n_workers,
        scheduler=address,
        vehicle_allocation=vehicle_allocation,
    )
    if result.n_ok == 0:
        return result
    t4 = time.perf_counter()
    with announce(f"writing national.gpkg, .json, .md and .html to {out_set.out_dir}"):
        write_national(out_set.path, result, run_id=out_set.run_id, command=command)
        timings["national_outputs_s"] = time.perf_counter() - t4
    return result


def _null_step(text: str) -> Any:
    @contextmanager
    def nothing() -> Iterator[None]:
        yield

    return nothing()


def _check_sources(osm_path: Any, units_path: Any, admin_level: Any, manifest_path: Any) -> None:
    problems = []
    if manifest_path is not None:
        if osm_path is not None or units_path is not None or admin_level is not None:
            problems.append(
                "--manifest lists the OSM file of each unit: give it alone, without "
                "--osm, --units or --admin-level"
            )
    elif osm_path is None:
        problems.append("give --osm FILE with --units FILE or --admin-level N, or --manifest CSV")
    elif (units_path is None) == (admin_level is None):
        problems.append(
            "with --osm give either --units FILE (unit polygons) or --admin-level N "
            "(the file's own boundaries), one of them"
        )
    if admin_level is not None and (not isinstance(admin_level, int) or not 1 <= admin_level <= 11):
        problems.append(
            f"--admin-level {admin_level!r}: OSM levels are whole numbers 1..11 "
            "(cities are often 6 or 8)"
        )
    for flag, path in (("--osm", osm_path), ("--units", units_path), ("--manifest", manifest_path)):
        if path is not None and not Path(path).is_file():
            problems.append(
                f"{flag} {path}: no such file" + (" (a folder)" if Path(path).is_dir() else "")
            )
    if problems:
        raise InputError("planner national: the inputs do not fit together", problems)


def _input(role: str, path: str | Path) -> dict[str, str]:
    return {"role": role, "path": str(path), "sha256": file_sha256(path)}


def _bounds_text(b: tuple[float, float, float, float]) -> str:
    return f"longitude {b[0]:.3f}..{b[2]:.3f}, latitude {b[1]:.3f}..{b[3]:.3f}"


def _national_stations(
    path: str | Path, units: Sequence[Unit], *, layer: str | None = None
) -> tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame]:
    """Read the national stations file once and hand each row to the units it serves."""
    areas = [u.buffered for u in units if u.buffered is not None]
    merged = shapely.union_all(areas)
    west, south, east, north = merged.bounds
    centre = merged.centroid
    # an equidistant projection around the units: only the 1 m duplicate check measures here
    crs = f"+proj=aeqd +lat_0={centre.y:.6f} +lon_0={centre.x:.6f} +datum=WGS84 +units=m"
    table = read_stations(path, crs=crs, area_lonlat_bounds=(west, south, east, north), layer=layer)
    table.attrs["source"] = str(path)
    table.attrs["sha256"] = file_sha256(path)
    per_unit, outside = assign_stations(table, units)
    usable = int(table["usable"].sum())
    assigned = usable - int(outside["usable"].sum()) if len(outside) else usable
    if usable and not any(len(v) for v in per_unit.values()):
        raise InputError(
            f"{path}: none of its {usable} usable stations lies in any unit (or within the "
            "walking buffer around one)",
            [f"the units span {_bounds_text((west, south, east, north))}"],
            "Check that the stations and the units are of the same country, and that the "
            "latitude and longitude columns are not swapped.",
        )
    for frame in per_unit.values():
        frame.attrs["source"] = str(path)
        frame.attrs["sha256"] = table.attrs["sha256"]
    log.info("%s: %d of %d usable stations assigned to units", path, assigned, usable)
    return per_unit, outside


def _jobs(
    units: Sequence[Unit],
    scan: OsmScan | None,
    stations: dict[str, gpd.GeoDataFrame] | None,
    options: NationalOptions,
) -> tuple[list[UnitJob], dict[Unit, UnitOutcome]]:
    jobs = []
    failures: dict[Unit, UnitOutcome] = {}
    for unit in units:
        cap = (
            options.new_stations
            if unit.max_new is None
            else min(unit.max_new, options.new_stations)
        )
        osm = None
        if scan is not None:
            try:
                osm = scan.cut(unit.buffered, label=f"unit {unit.name}", whole_ways=True)
            except InputError as exc:
                failures[unit] = _failure(
                    unit,
                    "no streets in the OSM file here: " + exc.what.split(": ", 1)[-1],
                    time.perf_counter(),
                    [],
                )
                continue
        unit_stations = None if stations is None else stations.get(unit.name)
        jobs.append(
            UnitJob(unit=unit, osm=osm, stations=unit_stations, options=options, max_sites=cap)
        )
    return jobs, failures


@contextmanager
def _dask_client(scheduler: str | None, workers: int | None) -> Iterator[tuple[Any, int, str]]:
    """A Dask client: on an existing scheduler, or on a local cluster sized to the machine."""
    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(
                f"--scheduler {scheduler}: cannot reach a Dask scheduler there "
                f"({type(exc).__name__}: {exc})",
                hint="Check the address (e.g. tcp://10.0.0.5:8786) and that 'dask scheduler' "
                "runs there with workers attached; or leave --scheduler out to run on this "
                "machine.",
            ) from None
        try:
            n = len(client.scheduler_info().get("workers", {}))
            if n == 0:
                client.wait_for_workers(1, timeout=30)
                n = len(client.scheduler_info().get("workers", {}))
            yield client, n, scheduler
        except TimeoutError:
            raise InputError(
                f"--scheduler {scheduler}: the scheduler answers but has no workers",
                hint="Start workers with 'dask worker " + scheduler + "'.",
            ) from None
        finally:
            client.close()
        return
    n = workers or os.cpu_count() or 1
    if n < 1:
        raise InputError(f"--workers {workers}: need at least 1")
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # a free port: never collides with another cluster
        silence_logs=logging.CRITICAL,  # a worker losing its heartbeat at shutdown is not news
    )
    client = Client(cluster, set_as_default=False)
    try:
        yield client, n, "local"
    finally:
        client.close()
        cluster.close()


def _run_units(
    client: Any, jobs: Sequence[UnitJob], progress: ProgressFn | None
) -> tuple[dict[str, UnitOutcome], dict[str, Any]]:
    """Submit one task per unit (largest first), gather only the small outcomes."""
    from dask.distributed import as_completed

    sizes = [0 if j.osm is None else int(j.osm.highways.node_id.size) for j in jobs]
    futures = {}
    for job, size in sorted(zip(jobs, sizes, strict=True), key=lambda t: -t[1]):
        payload = client.scatter(job, direct=False) if job.osm is not None else job
        state = client.submit(
            unit_curve, payload, key=f"unit-{job.unit.folder}", priority=size, pure=False
        )
        futures[
            client.submit(
                _outcome_of, state, key=f"outcome-{job.unit.folder}", priority=size, pure=False
            )
        ] = (job, state)
    outcomes: dict[str, UnitOutcome] = {}
    states: dict[str, Any] = {}
    if progress:
        progress("units", 0, len(jobs))
    for done, future in enumerate(as_completed(list(futures), loop=client.loop), start=1):
        job, state = futures[future]
        try:
            outcome = future.result()
        except Exception as exc:  # the worker died (memory, crash): this unit only
            outcome = _failure(
                job.unit,
                f"the task failed on its worker ({type(exc).__name__}: {exc})",
                time.perf_counter(),
                [],
            )
        outcomes[job.unit.name] = outcome
        if outcome.ok:
            states[job.unit.name] = state
        if progress:
            progress("units", done, len(jobs))
    return outcomes, states


def _allocate(
    units: Sequence[UnitOutcome], specs: Sequence[Unit], options: NationalOptions
) -> tuple[Allocation, Allocation, dict[str, Any] | None]:
    curves = [np.asarray(u.newly_covered) if u.ok else np.zeros(1) for u in units]
    bounds = [np.asarray(u.upper_bound) if u.ok else np.zeros(1) for u in units]
    min_new = np.array([s.min_new if u.ok else 0 for u, s in zip(units, specs, strict=True)])
    max_new = np.array(
        [
            (options.new_stations if s.max_new is None else s.max_new) if u.ok else 0
            for u, s in zip(units, specs, strict=True)
        ]
    )
    names = [u.name for u in units]
    budget = options.new_stations
    if int(min_new.sum()) > budget:
        raise InputError(
            f"the units' minimums ask for {int(min_new.sum())} new stations but the budget "
            f"is {budget}",
            [f"{n}: min_new {m}" for n, m in zip(names, min_new, strict=True) if m > 0][:20],
            "Lower min_new in the units file or raise --new-stations.",
        )
    target = None
    if options.target_share is not None:
        residents = sum(u.residents for u in units if u.ok)
        before = sum(u.covered_before for u in units if u.ok)
        need = max(options.target_share * residents - before, 0.0)
        found = fewest_for_target(
            curves,
            need,
            max_total=budget,
            bounds=bounds,
            min_new=min_new,
            max_new=max_new,
            names=names,
        )
        target = {
            "target_share": options.target_share,
            "reachable": found is not None,
            "newly_needed": need,
        }
        if found is not None:
            allocation = found
        else:
            allocation = allocate(
                curves, budget, bounds=bounds, min_new=min_new, max_new=max_new, names=names
            )
    else:
        allocation = allocate(
            curves, budget, bounds=bounds, min_new=min_new, max_new=max_new, names=names
        )
    greedy = allocate_greedy(
        curves, allocation.budget, min_new=min_new, max_new=max_new, names=names
    )
    return allocation, greedy, target


def _unit_parameters(options: NationalOptions) -> dict[str, Any]:
    return {
        "national_new_stations": options.new_stations,
        "spacing_m": options.spacing_m,
        "method": options.method,
        "time_limit_s": options.time_limit_s,
        "barriers": ",".join(options.barriers) or "none",
    }


def _write_units(
    client: Any,
    states: dict[str, Any],
    units: Sequence[Unit],
    allocation: Allocation,
    folder: Path,
    parameters: dict[str, Any],
    progress: ProgressFn | None,
    run_id: str | None = None,
) -> dict[str, UnitWritten]:
    from dask.distributed import as_completed

    folder.mkdir(parents=True, exist_ok=True)
    futures = {}
    for unit, k in zip(units, allocation.new_stations, strict=True):
        if unit.name in states:
            fut = client.submit(
                write_unit,
                states[unit.name],
                int(k),
                str(folder / unit.folder),
                parameters,
                run_id,
                key=f"write-{unit.folder}",
                pure=False,
            )
            futures[fut] = unit
    written: dict[str, UnitWritten] = {}
    if progress:
        progress("writing", 0, len(futures))
    for i, future in enumerate(as_completed(list(futures), loop=client.loop), start=1):
        unit = futures[future]
        try:
            written[unit.name] = future.result()
        except Exception as exc:
            written[unit.name] = UnitWritten(
                name=unit.name, status=f"writing failed ({type(exc).__name__}: {exc})"
            )
        if progress:
            progress("writing", i, len(futures))
    states.clear()
    return written


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
