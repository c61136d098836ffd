"""The national run on Dask: one task per unit, then the allocation and the files.

The steps, the guarantees and the run's options are described in :mod:`planner.national`.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import pickle
import shutil
import signal
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner import _tables, i18n
from planner._crs import WGS84
from planner._files import file_sha256
from planner._files import input_record as _input
from planner._format import plain
from planner.allocation import (
    Allocation,
    allocate,
    allocate_greedy,
    fewest_for_target,
    refinement_points,
)
from planner.errors import InputError, PlannerError
from planner.i18n import gettext, language, ngettext, set_language
from planner.inspector_moves import InspectorMoves, national_redistribution
from planner.national.report import write_national
from planner.national.results import (
    NationalOptions,
    NationalResult,
    UnitOutcome,
    UnitWritten,
)
from planner.national.units import (
    Unit,
    assign_stations,
    prepare_units,
    read_manifest,
    read_units,
    residents_outside_units,
    units_from_osm,
)
from planner.osm import OsmData, OsmScan, scan_osm
from planner.output_set import OutputSet, output_set
from planner.pipeline import (
    CurveModel,
    apply_plan_curve_points,
    assess_coverage,
    city_from_osm,
    curve_model,
    load_city,
    plan_curve,
    plan_from_curve,
    solve_plan_curve_points,
)
from planner.report import write_outputs
from planner.siting import CurvePoint
from planner.station_review import inspectors_needed
from planner.stations import read_stations, working
from planner.vehicle_allocation import allocate_national_vehicles
from planner.vehicles import (
    DRIVE_AREA_COLUMNS,
    VehicleReach,
    plan_vehicles_from_curve,
    unit_vehicle_curve,
    vehicle_reach,
)

__all__ = ["plan_nation", "unit_curve"]

log = logging.getLogger(__name__)

#: Rounds of curve refinement at most (:func:`_refine_curves`): a count, never a time, so the
#: answer is the same on any machine. The 600-unit synthetic country (seed 2026) needs 5.
REFINE_ROUNDS = 10
#: Unproven points solved ahead of where the allocation over the bounds stands
#: (:func:`planner.allocation.refinement_points`); a constant, so the curves do not depend on
#: the number of workers.
REFINE_AHEAD = 1

# --- the unit task -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitJob:
    """Everything one unit's task needs (sent to a worker)."""

    unit: Unit
    osm: OsmData | None  # the unit's cut of the country file; None: read unit.osm_path
    stations: gpd.GeoDataFrame | None  # its rows of the national stations file; None: OSM police
    options: NationalOptions
    max_sites: int  # K: the curve's cap
    lang: str = "en"  # the run's language: the worker's notes, failures and unit files use it
    #: The unit's cut spilled to disk (``osm`` is then None): a pickle the worker reads itself,
    #: so the client never holds every unit's cut (:func:`_spill_cut`).
    osm_file: str | None = None
    #: Street node references in the cut: the task's priority (biggest first).
    cut_nodes: int = 0


@dataclass(frozen=True, eq=False)
class _UnitState:
    """The heavy result of a unit (city, coverage, curve); stays on its worker."""

    job: UnitJob
    city: Any
    coverage: Any
    curve: Any
    outcome: UnitOutcome
    # with options.vehicles: what each station's car reaches and the unit's vehicle curve
    vehicles: tuple[VehicleReach, Any] | None = None
    #: Where city, coverage, curve and vehicles were spilled (they are then None here): a
    #: worker holds one unit's heavy data at a time, not every unit's it ran (:func:`_spilled`).
    file: str | None = None


def unit_curve(job: UnitJob) -> _UnitState | UnitOutcome:
    """One unit through the city pipeline up to its curve; a failure comes back as its reason.

    A pure function of ``job`` (no module state): safe to run on any worker, in any order.
    """
    set_language(job.lang)  # a worker is its own process: it speaks the run's language
    t0 = time.perf_counter()
    unit, options = job.unit, job.options
    notes: list[str] = []
    handler = _ListHandler(notes)
    root = logging.getLogger("planner")
    root.addHandler(handler)
    try:
        osm = job.osm if job.osm_file is None else _read_cut(job.osm_file)
        if osm is not None:
            city = city_from_osm(
                osm,
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
        # service areas are drawn only for the units whose folders are written (write_unit)
        coverage = assess_coverage(city, settings=options.settings, areas=False)
        curve = plan_curve(
            city,
            coverage,
            max_sites=job.max_sites,
            spacing_m=options.spacing_m,
            method=options.method,
            time_limit_s=options.time_limit_s,
            node_limit=options.node_limit,
            max_milp_pairs=options.curve_max_milp_pairs,
        )
        vehicle_state, vehicles = (
            _vehicle_fields(city, coverage, options) if options.vehicles else (None, {})
        )
    except PlannerError as exc:
        return _failure(unit, str(exc).splitlines()[0], t0, notes)
    except Exception as exc:  # a bug or a broken input: reported for this unit only
        log.debug("unit %s failed:\n%s", unit.name, traceback.format_exc())
        return _failure(
            unit,
            gettext("unexpected error {error}: {message}").format(
                error=type(exc).__name__, message=exc
            ),
            t0,
            notes,
        )
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
    vehicles_cut_short = bool(vehicles.pop("time_limit_hit", False))
    needed, now, missing = _inspectors(stations, options.residents_per_inspector)
    outcome = UnitOutcome(
        name=unit.name,
        folder=unit.folder,
        status="ok",
        residents=float(s.residents_total),
        covered_before=float(s.residents_covered),
        **_curve_fields(c),
        time_limit_hit=bool(c.time_limit_hit) or vehicles_cut_short,
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
        station_records=_station_records(stations),
        station_names=_station_names(stations) if options.redistribute_inspectors else (),
        **vehicles,
    )
    return _spilled(
        _UnitState(
            job=job,
            city=city,
            coverage=coverage,
            curve=curve,
            outcome=outcome,
            vehicles=vehicle_state,
        )
    )


def _spilled(state: _UnitState) -> _UnitState:
    """``state`` with its heavy data written beside its spilled cut (when the cut was spilled):
    the worker then keeps only the outcome and the file's name.

    Two files: the curve's numbers (:func:`planner.pipeline.curve_model`: matrix, residents,
    curve), all a proving point reads back, and the rest (city, coverage, candidates,
    vehicles) without the matrix, read back only to write the unit's folder."""
    if state.job.osm_file is None or state.file is not None:
        return state
    path = Path(state.job.osm_file).with_suffix(".state.pickle")
    _dump(curve_model(state.coverage, state.curve), _model_file(state))
    curve = state.curve
    bare = replace(curve, matrix=replace(curve.matrix, matrix=None), curve=None)
    _dump((state.city, state.coverage, bare, state.vehicles), path)
    return replace(state, city=None, coverage=None, curve=None, vehicles=None, file=str(path))


def _dump(value: Any, path: Path) -> None:
    """``value`` pickled to ``path`` whole or not at all (a worker dying mid-write leaves the
    file it replaces)."""
    part = path.with_name(path.name + ".part")
    with part.open("wb") as fh:
        pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
    part.replace(path)


def _model_file(state: _UnitState) -> Path:
    """The unit's curve numbers, beside its cut: ``<cut>.model.pickle``."""
    assert state.job.osm_file is not None
    return Path(state.job.osm_file).with_suffix(".model.pickle")


def _model(state: _UnitState) -> CurveModel:
    """The unit's curve numbers (read back alone when its state was spilled)."""
    if state.file is None:
        return curve_model(state.coverage, state.curve)
    with _model_file(state).open("rb") as fh:
        return pickle.load(fh)  # written by _spilled of this run


def _loaded(state: _UnitState) -> _UnitState:
    """``state`` with its heavy data in memory (read back when it was spilled)."""
    if state.file is None:
        return state
    model = _model(state)
    with Path(state.file).open("rb") as fh:
        city, coverage, bare, vehicles = pickle.load(fh)  # written by _spilled of this run
    curve = replace(bare, matrix=replace(bare.matrix, matrix=model.matrix), curve=model.curve)
    return replace(state, city=city, coverage=coverage, curve=curve, vehicles=vehicles, file=None)


def _spill_folder(spill_dir: str | Path | None) -> Path:
    """A new private folder for the run's cuts, in ``spill_dir`` (default: the temp folder)."""
    try:
        return Path(tempfile.mkdtemp(prefix="planner-cuts-", dir=spill_dir))
    except OSError as exc:
        raise InputError(
            gettext("--spill-dir {folder}: cannot make a folder there ({error})").format(
                folder=spill_dir, error=exc.strerror
            ),
            hint=gettext(
                "Name an existing folder you can write to, with room for the units' cuts "
                "(a few times the size of the OSM file)."
            ),
        ) from None


def _spill_cut(osm: OsmData, folder: Path, name: str) -> str:
    """Write one unit's cut to ``folder`` (a pickle of the :class:`OsmData`); its path."""
    path = folder / f"{name}.pickle"
    _dump(osm, path)
    return str(path)


def _read_cut(path: str) -> OsmData:
    """A spilled cut, read on the worker (the file is the run's own, in its private folder)."""
    with Path(path).open("rb") as fh:
        osm = pickle.load(fh)  # written by _spill_cut of this run, in its private folder
    if not isinstance(osm, OsmData):  # pragma: no cover - a foreign file in the run's folder
        raise TypeError(f"{path} does not hold a unit's cut")  # untranslated: a bug
    return osm


def _curve_fields(curve: Any) -> dict[str, tuple[Any, ...]]:
    """The :class:`UnitOutcome` fields of a unit's coverage curve (plain floats and bools)."""
    return {
        "newly_covered": tuple(float(v) for v in curve.newly_covered),
        "upper_bound": tuple(float(v) for v in curve.upper_bound),
        "proven_optimal": tuple(bool(v) for v in curve.proven_optimal),
    }


def _vehicle_fields(
    city: Any, coverage: Any, options: NationalOptions
) -> tuple[tuple[VehicleReach, Any], dict[str, Any]]:
    """A unit's vehicle curve for the national allocation (:mod:`planner.vehicles`): what stays
    on the worker for writing (the reach and the curve) and the :class:`UnitOutcome` fields
    (``time_limit_hit``: the clock cut the vehicle curve short)."""
    reach = vehicle_reach(city, coverage, drive_min=options.drive_min)
    curve, ids = unit_vehicle_curve(
        city,
        coverage,
        max_vehicles=options.vehicles,
        drive_min=options.drive_min,
        time_limit_s=options.time_limit_s,
        node_limit=options.node_limit,
        reach=reach,
    )
    return (reach, curve), {
        "vehicle_curve": tuple(float(v) for v in curve.newly_covered),
        "vehicle_bound": tuple(float(v) for v in curve.upper_bound),
        "vehicle_stations": tuple(tuple(ids[i] for i in sites) for sites in curve.sites),
        "time_limit_hit": bool(curve.time_limit_hit),
    }


def _inspectors(stations: pd.DataFrame, norm: float) -> tuple[int, int | None, int | None]:
    """Inspectors needed at the working stations, there now and missing (see
    :mod:`planner.station_review`)."""
    st = stations[working(stations)]
    needed = inspectors_needed(st["residents_nearest"].fillna(0.0), norm)
    if "inspectors" not in st.columns or not st["inspectors"].notna().any():
        return int(needed.sum()), None, None
    now = st["inspectors"].to_numpy(dtype=float)
    known = np.isfinite(now)
    missing = np.clip(needed[known] - now[known], 0, None)
    return int(needed.sum()), int(now[known].sum()), int(missing.sum())


def _station_records(stations: pd.DataFrame) -> tuple[tuple[str, float, float, float, float], ...]:
    """The working stations of a unit as :attr:`UnitOutcome.station_records`."""
    st = stations[working(stations)]
    if st.empty:
        return ()
    points = st.geometry.to_crs(WGS84)
    now = st["inspectors"] if "inspectors" in st.columns else pd.Series(np.nan, index=st.index)
    return tuple(
        (str(i), float(x), float(y), float(r), float(n))
        for i, x, y, r, n in zip(
            st["station_id"],
            shapely.get_x(points.to_numpy()),
            shapely.get_y(points.to_numpy()),
            st["residents_nearest"].fillna(0.0).to_numpy(dtype=float),
            now.to_numpy(dtype=float),
            strict=True,
        )
    )


def _station_names(stations: pd.DataFrame) -> tuple[str | None, ...]:
    """The names of :func:`_station_records`' stations (None where a station has none)."""
    st = stations[working(stations)]
    names = st["name"] if "name" in st.columns else pd.Series(None, index=st.index, dtype=object)
    return tuple(n if isinstance(n, str) and n.strip() else None for n in names)


def _home_units(
    records: dict[str, list[tuple[int, float, float]]], units: Sequence[Unit]
) -> dict[str, int]:
    """The one unit (index into ``units``) that counts each station.

    ``records`` maps a station to the units listing it, with its lon/lat. The home is the first
    unit of ``units`` whose area contains the station (whether or not it lists it, so that a
    station of a failed unit is not counted by a neighbour); if none does (the station lies in
    a walking buffer only), the listing unit whose area is nearest (distances in a local
    equirectangular projection, ties to the first); a listing unit without an area (manifest)
    counts its own.
    """
    ids = list(records)
    lon = np.array([records[i][0][1] for i in ids], dtype=float)
    lat = np.array([records[i][0][2] for i in ids], dtype=float)
    home = np.full(len(ids), -1, dtype=np.intp)
    for k, unit in enumerate(units):
        todo = np.flatnonzero(home < 0)
        if unit.area is None or not todo.size:
            continue
        home[todo[shapely.contains_xy(unit.area, lon[todo], lat[todo])]] = k
    out = {i: int(h) for i, h in zip(ids, home, strict=True) if h >= 0}
    for n in np.flatnonzero(home < 0):
        station = ids[n]
        idx = [k for k, _, _ in records[station]]
        own = [k for k in idx if units[k].area is None]
        if own:
            out[station] = own[0]
            continue
        distances = [_distance_deg_m(units[k].area, lon[n], lat[n]) for k in idx]
        out[station] = idx[int(np.argmin(distances))]  # ties: the first
    return out


def _distance_deg_m(area: Any, lon: float, lat: float) -> float:
    """Distance from a point to an area in lon/lat, in metres to about 1 % within a few km
    (longitudes scaled by the cosine of the latitude)."""
    scale = math.cos(math.radians(lat))
    scaled = shapely.transform(area, lambda xy: xy * np.array([scale, 1.0]))
    return float(shapely.distance(scaled, shapely.Point(lon * scale, lat))) * 111_320.0


@dataclass(frozen=True)
class _Stations:
    """The working stations of the successful units, each once (see :func:`_stations_once`)."""

    listed: dict[str, list[tuple[int, float, float]]]  # the units listing it, with its lon/lat
    served: dict[str, float]  # residents it is the nearest station for, over all units
    now: dict[str, float]  # inspectors there now, where known
    home: dict[str, int]  # the one unit (index) counting it
    names: dict[str, str]  # where known (station_names)


def _stations_once(outcomes: tuple[UnitOutcome, ...], units: Sequence[Unit]) -> _Stations:
    """Every working station of the successful units once, with its home unit
    (:func:`_home_units`), the residents it serves in all units and its inspectors."""
    seen: dict[str, list[tuple[int, float, float]]] = {}
    served: dict[str, float] = {}
    now: dict[str, float] = {}
    names: dict[str, str] = {}
    for k, u in enumerate(outcomes):
        if not u.ok:
            continue
        for i, (station, lon, lat, residents, count) in enumerate(u.station_records):
            seen.setdefault(station, []).append((k, lon, lat))
            served[station] = served.get(station, 0.0) + residents
            if math.isfinite(count):
                now[station] = count
            name = u.station_names[i] if i < len(u.station_names) else None
            if name is not None:
                names.setdefault(station, name)
    home = _home_units(seen, units) if seen else {}
    return _Stations(seen, served, now, home, names)


def _count_stations_once(
    outcomes: tuple[UnitOutcome, ...], units: Sequence[Unit], norm: float
) -> tuple[UnitOutcome, ...]:
    """Inspectors per unit with every station counted in exactly one unit.

    A station near a border is in the walking buffer of several units and serves residents
    of each; before, every unit counted its inspectors and rounded its need up again. Now a
    station's need is ``ceil(residents it serves in all units / norm)``, once, and it and its
    inspectors count in its home unit only (:func:`_home_units`); a station whose home unit
    failed is counted nowhere, like the rest of that unit.
    """
    once = _stations_once(outcomes, units)
    if not once.listed:
        return outcomes
    served, now, home = once.served, once.now, once.home
    counts_known = bool(now)
    out = []
    for k, u in enumerate(outcomes):
        if not u.ok:
            out.append(u)
            continue
        mine = [s for s, h in home.items() if h == k]
        needed = inspectors_needed([served[s] for s in mine], norm)
        there = np.array([now.get(s, math.nan) for s in mine], dtype=float)
        known = np.isfinite(there)
        missing = np.clip(needed[known] - there[known], 0, None)
        out.append(
            dataclasses.replace(
                u,
                inspectors_needed=int(needed.sum()),
                inspectors_now=int(there[known].sum()) if counts_known else None,
                inspectors_missing=int(missing.sum()) if counts_known else None,
            )
        )
    return tuple(out)


def _redistribute(
    outcomes: tuple[UnitOutcome, ...], units: Sequence[Unit], options: NationalOptions
) -> InspectorMoves:
    """The inspector moves over the country, on the stations as :func:`_count_stations_once`
    counts them: each in its home unit (a station whose home unit failed takes no part), with
    the inspectors it needs for the residents it serves in all units."""
    once = _stations_once(outcomes, units)
    ids = [s for s, h in once.home.items() if outcomes[h].ok]
    needed = inspectors_needed([once.served[s] for s in ids], options.residents_per_inspector)
    table = pd.DataFrame(
        {
            "unit": [units[once.home[s]].name for s in ids],
            "station_id": ids,
            "name": [once.names.get(s) for s in ids],
            "lon": [once.listed[s][0][1] for s in ids],
            "lat": [once.listed[s][0][2] for s in ids],
            "inspectors_now": [once.now.get(s, math.nan) for s in ids],
            "inspectors_needed": needed,
        }
    )
    return national_redistribution(
        table,
        units=[u.name for u in units],
        max_move_m=options.max_move_m,
        stations_in_several_units=sum(len(once.listed[s]) > 1 for s in ids),
        time_limit_s=options.time_limit_s,
        node_limit=options.node_limit,
    )


def solve_unit_point(state: _UnitState, k: int) -> tuple[CurvePoint, ...]:
    """One curve point of the unit solved again, exactly, with the largest MILPs
    (:func:`planner.pipeline.solve_plan_curve_points`). One task per point: the points of a
    big city run on every worker at once. A pure function of its inputs; a spilled unit reads
    back only its curve's numbers."""
    set_language(state.job.lang)
    options = state.job.options
    return solve_plan_curve_points(
        _model(state),
        (k,),
        time_limit_s=options.time_limit_s,
        node_limit=options.node_limit,
    )


def apply_unit_points(state: _UnitState, *solved: tuple[CurvePoint, ...]) -> _UnitState:
    """The unit with the points of :func:`solve_unit_point` on its curve and in its outcome."""
    points = [p for group in solved for p in group]
    model = apply_plan_curve_points(_model(state), points)
    c, o = model.curve, state.outcome
    outcome = replace(
        o,
        **_curve_fields(c),
        time_limit_hit=o.time_limit_hit or bool(c.time_limit_hit),
        runtime_s=o.runtime_s + sum(p.seconds for p in points),
        refined=tuple(sorted({*o.refined, *(p.k for p in points)})),
    )
    if state.file is not None:  # written back over the unit's file: the worker holds nothing heavy
        _dump(model, _model_file(state))
        return replace(state, outcome=outcome)
    return replace(state, curve=replace(state.curve, curve=c), outcome=outcome)


def _outcome_of(state: _UnitState | UnitOutcome) -> UnitOutcome:
    return state if isinstance(state, UnitOutcome) else state.outcome


def write_unit(
    state: _UnitState | UnitOutcome,
    new_stations: int,
    folder: str,
    parameters: dict[str, Any],
    run_id: str | None = None,
    vehicles: int = 0,
    files: bool = True,
) -> UnitWritten:
    """Write a unit's city outputs with its allocated number of new stations (and service
    vehicles, read off the unit's vehicle curve: its map, memo and GeoPackage show them).

    The unit's files are one set (:func:`planner.report.write_outputs`) carrying ``run_id``,
    the national run's id. With ``files=False`` only the plan's numbers come back (for the
    national files) and nothing is written.
    """
    t0 = time.perf_counter()
    if isinstance(state, UnitOutcome):
        return UnitWritten(name=state.name, status=state.status)
    set_language(state.job.lang)  # the unit's memo and map in the run's language
    vehicle_plan = None
    if files or new_stations > 0 or vehicles > 0:
        state = _loaded(state)
    try:
        plan = (
            plan_from_curve(state.city, state.coverage, state.curve, n_sites=new_stations)
            if new_stations > 0
            else None
        )
        if state.vehicles is not None:
            reach, vehicle_curve = state.vehicles
            parameters = {
                **parameters,
                "vehicles_allocated": vehicles,
                "drive_min": reach.drive_min,
            }
            if vehicles > 0:
                vehicle_plan = plan_vehicles_from_curve(
                    state.coverage, reach, vehicle_curve, n_vehicles=vehicles
                )
        if files:
            write_outputs(
                folder,
                city=state.city,
                coverage=state.coverage,
                plan=plan,
                parameters={**parameters, "new_stations_allocated": new_stations},
                curve=state.curve.curve,  # the map's best plans: the unit's own curve
                run_id=run_id,
                vehicles=vehicle_plan,
            )
    except PlannerError as exc:
        return UnitWritten(
            name=state.outcome.name,
            status=gettext("writing failed: {reason}").format(reason=exc),
        )
    except OSError as exc:
        return UnitWritten(
            name=state.outcome.name,
            status=gettext("writing failed: {reason}").format(reason=exc.strerror or exc),
        )
    areas = _vehicle_area_records(vehicle_plan)
    if plan is None:
        return UnitWritten(
            name=state.outcome.name,
            status="ok",
            covered_after=state.outcome.covered_before,
            seconds=time.perf_counter() - t0,
            vehicle_areas=areas,
            files=files,
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
        vehicle_areas=areas,
        files=files,
    )


def _vehicle_area_records(vehicle_plan: Any) -> tuple[dict[str, Any], ...]:
    """A unit's vehicles as :attr:`UnitWritten.vehicle_areas` (small, picklable)."""
    if vehicle_plan is None or not len(vehicle_plan.drive_areas):
        return ()
    areas = vehicle_plan.drive_areas.to_crs(WGS84)
    table = areas[list(DRIVE_AREA_COLUMNS)].astype(object)
    rows = table.where(table.notna(), None).to_dict("records")
    wkb = shapely.to_wkb(areas.geometry.to_numpy())
    return tuple(row | {"wkb": w} for row, w in zip(rows, wkb, strict=True))


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
    spill_dir: str | Path | None = None,
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

    Each unit's cut of a country file is written to a private folder as soon as it is made
    (in ``spill_dir``, by default the machine's temporary folder when the workers are local)
    and read there by the unit's worker, so the client holds one cut at a time; the folder is
    removed when the run ends. With a remote ``scheduler`` the cuts travel inside the tasks
    unless ``spill_dir`` names a folder every worker can read (a shared file system).
    """
    options = options or NationalOptions()
    announce = step or _null_step
    _check_sources(osm_path, units_path, admin_level, manifest_path)
    if scheduler is not None:
        _check_scheduler_address(scheduler)
    spill: Path | None = None
    try:
        with output_set(out_dir, run_id=run_id) as target:
            if osm_path is not None and (spill_dir is not None or scheduler is None):
                spill = _spill_folder(spill_dir)
            result = _plan_into(
                target, osm_path, units_path, admin_level, manifest_path, stations_path,
                name_column, options, scheduler, workers, progress, announce, command,
                stations_layer, spill,
            )  # fmt: skip
            if result.n_ok == 0:
                target.discard()
    finally:
        if spill is not None:
            shutil.rmtree(spill, ignore_errors=True)
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
    spill: Path | None = None,
) -> NationalResult:
    timings: dict[str, float] = {}
    inputs: list[dict[str, str]] = []
    notes: list[str] = list(target.notes)
    t0 = time.perf_counter()
    scan: OsmScan | None = None
    with announce(gettext("reading the inputs (one pass over the OSM file)")):
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
                    gettext(
                        "--stations with --manifest: give each unit's stations in the manifest's "
                        "'stations' column instead"
                    ),
                )
            stations_by_unit, outside = _national_stations(
                stations_path, units, layer=stations_layer
            )
            inputs.append(
                _input("stations", stations_path)
                | _tables.illustrative_fields(outside.attrs.get("illustrative"))
            )
        residents_outside = None
        if scan is not None:
            residents_outside = residents_outside_units(
                scan,
                units,
                population_settings=options.population_settings,
                admin_level=admin_level,
            )
            if len(residents_outside):
                notes.append(_outside_note(residents_outside, admin_level, units_path))
        jobs, cut_failures = _jobs(units, scan, stations_by_unit, options, spill)
    timings["reading_s"] = time.perf_counter() - t0
    if scan is not None and len(cut_failures) == len(units):
        raise InputError(
            ngettext(
                "{path}: none of the {n} units overlaps the streets of the OSM file",
                "{path}: none of the {n} units overlaps the streets of the OSM file",
                len(units),
            ).format(path=osm_path, n=len(units)),
            [f"{u.name}: {r.status}" for u, r in list(cut_failures.items())[:10]],
            gettext(
                "The file's streets span {span}; check that the units file and the OSM file are "
                "of the same country (and the units' CRS)."
            ).format(span=_bounds_text(scan.bounds_lonlat)),
        )
    del scan
    return _run_and_write(
        jobs, units, cut_failures, options, target, scheduler, workers,
        progress, announce, timings, inputs, notes, outside, command, residents_outside,
    )  # fmt: skip


def _outside_note(
    outside: gpd.GeoDataFrame, admin_level: int | None, units_path: str | Path | None
) -> str:
    """What the residents in no unit are, and (``--admin-level``) which other boundaries hold
    them: '40 buildings, 1,946 residents lie in no level-8 unit; boundaries of level 7 (Ħal
    Tarxien) cover them; ...'."""
    buildings, residents = _commas(len(outside)), _commas(outside["population"].sum())
    after = gettext(
        "They count in no unit's numbers (national.json 'outside_units', layer "
        "'residents_outside_units'); to plan for them, give units that cover them (--units)."
    )
    named = outside["other_level_area"].dropna()
    if admin_level is None:
        text = gettext("{buildings} buildings, {residents} residents lie in no unit of {units}")
        return text.format(buildings=buildings, residents=residents, units=units_path) + (
            ". " + after
        )
    if not len(named):
        text = gettext(
            "{buildings} buildings, {residents} residents lie in no level-{level} unit; no named "
            "boundary of another level covers them"
        )
        return text.format(buildings=buildings, residents=residents, level=admin_level) + (
            ". " + after
        )
    by_level: dict[str, list[str]] = {}
    for label in dict.fromkeys(named):
        name, level = label.rsplit(" (level ", 1)
        by_level.setdefault(level.rstrip(")"), []).append(name)
    parts = [
        gettext("level {level} ({names})").format(level=lv, names=", ".join(names))
        for lv, names in by_level.items()
    ]
    if len(named) == len(outside):
        text = gettext(
            "{buildings} buildings, {residents} residents lie in no level-{level} unit; "
            "boundaries of {levels} cover them"
        )
    else:
        text = gettext(
            "{buildings} buildings, {residents} residents lie in no level-{level} unit; "
            "boundaries of {levels} cover {n} of them"
        )
    return text.format(
        buildings=buildings,
        residents=residents,
        level=admin_level,
        levels=gettext(" and ").join(parts),
        n=_commas(len(named)),
    ) + (". " + after)


def _commas(value: float) -> str:
    """A count as the notes have always written it in English (``1,946``); ``1 946`` in ru/kk."""
    return f"{value:,.0f}" if i18n.language() == "en" else i18n.fmt_int(value)


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
    residents_outside: gpd.GeoDataFrame | None = None,
) -> NationalResult:

    with _dask_client(scheduler, workers) as (client, n_workers, address):
        t1 = time.perf_counter()
        outcomes, states = _run_units(client, jobs, progress)
        outcomes.update({u.name: f for u, f in cut_failures.items()})
        timings["units_s"] = time.perf_counter() - t1
        t_refine = time.perf_counter()
        with announce(gettext("proving the curve points the allocation depends on (HiGHS)")):
            refinement = _refine_curves(client, units, outcomes, states, options)
        timings["refinement_s"] = time.perf_counter() - t_refine
        ordered = _count_stations_once(
            tuple(outcomes[u.name] for u in units), units, options.residents_per_inspector
        )
        t2 = time.perf_counter()
        with announce(gettext("allocating the new stations (dynamic programming)")):
            allocation, greedy, target = _allocate(ordered, units, options)
        vehicle_allocation = None
        if options.vehicles:
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
            out_set.run_id, vehicle_allocation, unit_outputs=options.unit_outputs,
            covered_before={u.name: u.covered_before for u in ordered},
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
        residents_outside=residents_outside,
        refinement=refinement,
    )
    if result.n_ok == 0:
        return result
    if options.redistribute_inspectors:
        t_moves = time.perf_counter()
        with announce(gettext("inspector moves (HiGHS)")):
            result = replace(result, redistribution=_redistribute(ordered, units, options))
        timings["inspector_moves_s"] = time.perf_counter() - t_moves
    t4 = time.perf_counter()
    with announce(
        gettext("writing national.gpkg, .json, .md and .html to {folder}").format(
            folder=out_set.out_dir
        )
    ):
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
                gettext(
                    "--manifest lists the OSM file of each unit: give it alone, without "
                    "--osm, --units or --admin-level"
                )
            )
    elif osm_path is None:
        problems.append(
            gettext("give --osm FILE with --units FILE or --admin-level N, or --manifest CSV")
        )
    elif (units_path is None) == (admin_level is None):
        problems.append(
            gettext(
                "with --osm give either --units FILE (unit polygons) or --admin-level N "
                "(the file's own boundaries), one of them"
            )
        )
    if admin_level is not None and (not isinstance(admin_level, int) or not 1 <= admin_level <= 11):
        problems.append(
            gettext(
                "--admin-level {value}: OSM levels are whole numbers 1..11 "
                "(cities are often 6 or 8)"
            ).format(value=plain(admin_level))
        )
    for flag, path in (("--osm", osm_path), ("--units", units_path), ("--manifest", manifest_path)):
        if path is not None and not Path(path).is_file():
            problems.append(
                gettext("{flag} {path}: no such file (a folder)").format(flag=flag, path=path)
                if Path(path).is_dir()
                else gettext("{flag} {path}: no such file").format(flag=flag, path=path)
            )
    if problems:
        raise InputError(gettext("planner national: the inputs do not fit together"), problems)


def _bounds_text(b: tuple[float, float, float, float]) -> str:
    if i18n.language() == "en":
        west, east, south, north = (f"{v:.3f}" for v in (b[0], b[2], b[1], b[3]))
    else:
        west, east, south, north = (i18n.fmt_decimal(v, digits=3) for v in (b[0], b[2], b[1], b[3]))
    return gettext("longitude {west}..{east}, latitude {south}..{north}").format(
        west=west, east=east, south=south, north=north
    )


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
            ngettext(
                "{path}: none of its {n} usable stations lies in any unit (or within the "
                "walking buffer around one)",
                "{path}: none of its {n} usable stations lies in any unit (or within the "
                "walking buffer around one)",
                usable,
            ).format(path=path, n=usable),
            [
                gettext("the units span {span}").format(
                    span=_bounds_text((west, south, east, north))
                )
            ],
            gettext(
                "Check that the stations and the units are of the same country, and that the "
                "latitude and longitude columns are not swapped."
            ),
        )
    for frame in [*per_unit.values(), outside]:
        frame.attrs["source"] = str(path)
        frame.attrs["sha256"] = table.attrs["sha256"]
        frame.attrs["illustrative"] = table.attrs.get("illustrative")
    # untranslated: an info log for developers
    log.info("%s: %d of %d usable stations assigned to units", path, assigned, usable)
    return per_unit, outside


def _jobs(
    units: Sequence[Unit],
    scan: OsmScan | None,
    stations: dict[str, gpd.GeoDataFrame] | None,
    options: NationalOptions,
    spill: Path | None = None,
) -> tuple[list[UnitJob], dict[Unit, UnitOutcome]]:
    """One job per unit; with ``spill``, each cut is written there as soon as it is made and the
    job carries only its path (the client then holds one cut at a time, not all of them)."""
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
                    gettext("no streets in the OSM file here: {reason}").format(
                        reason=exc.what.split(": ", 1)[-1]
                    ),
                    time.perf_counter(),
                    [],
                )
                continue
        unit_stations = None if stations is None else stations.get(unit.name)
        cut_nodes = 0 if osm is None else int(osm.highways.node_id.size)
        osm_file = None
        if osm is not None and spill is not None:
            osm_file, osm = _spill_cut(osm, spill, unit.folder), None
        jobs.append(
            UnitJob(
                unit=unit,
                osm=osm,
                stations=unit_stations,
                options=options,
                max_sites=cap,
                lang=language(),
                osm_file=osm_file,
                cut_nodes=cut_nodes,
            )
        )
    return jobs, failures


def _check_scheduler_address(scheduler: str) -> None:
    """Refuse an address Dask cannot parse before anything is read or started.

    Dask's ``Client`` refuses it too, but only after inputs are read, and the half-made client
    then hangs for 20 s on its way out ("Exception ignored in: Client.__del__").
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        _, location = parse_address(scheduler)
        parse_host_port(location)
    except (ValueError, TypeError) as exc:
        raise InputError(
            gettext(
                "--scheduler {scheduler}: not the address of a Dask scheduler ({reason})"
            ).format(scheduler=scheduler, reason=exc),
            hint=gettext(
                "Give it as tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786, as 'dask scheduler' "
                "prints it); or leave --scheduler out to run on this machine."
            ),
        ) from None


@contextmanager
def _spawned_ignoring_ctrl_c(n: int, *, timeout_s: float = 30.0) -> Iterator[None]:
    """Processes started inside are born ignoring SIGINT (Ctrl+C): wait for ``n`` of them.

    Ctrl+C in a terminal signals the whole process group, the local cluster's worker processes
    included; each printed "Process Dask Worker process (from Nanny): Traceback ...
    KeyboardInterrupt" beside the planner's own line. A process started while SIGINT is ignored
    keeps ignoring it (the disposition survives exec, and Python leaves an ignored SIGINT
    ignored), so only the planner sees Ctrl+C, and its ``finally`` closes the client and the
    cluster, which stops the workers. SIGINT is ignored here only until the ``n`` worker
    processes exist (well under a second); a worker the nanny restarts later ignores it from its
    preload (:mod:`planner._dask_worker`).
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set in the main thread
        return
    import multiprocessing

    before = {p.pid for p in multiprocessing.active_children()}
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            started = {p.pid for p in multiprocessing.active_children()} - before
            if len(started) >= n:
                break
            time.sleep(0.01)
        # untranslated: a debug log for developers
        log.debug("%d worker processes started ignoring Ctrl+C in %.2f s", len(started),
                  timeout_s - (deadline - time.monotonic()))  # fmt: skip
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _dask_client(scheduler: str | None, workers: int | None) -> Iterator[tuple[Any, int, str]]:
    """A Dask client: on an existing scheduler, or on a local cluster sized to the machine."""
    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(
                gettext(
                    "--scheduler {scheduler}: cannot reach a Dask scheduler there "
                    "({error}: {message})"
                ).format(scheduler=scheduler, error=type(exc).__name__, message=exc),
                hint=gettext(
                    "Check the address (e.g. tcp://10.0.0.5:8786) and that 'dask scheduler' "
                    "runs there with workers attached; or leave --scheduler out to run on this "
                    "machine."
                ),
            ) from None
        try:
            n = len(client.scheduler_info().get("workers", {}))
            if n == 0:
                client.wait_for_workers(1, timeout=30)
                n = len(client.scheduler_info().get("workers", {}))
            yield client, n, scheduler
        except TimeoutError:
            raise InputError(
                gettext("--scheduler {scheduler}: the scheduler answers but has no workers").format(
                    scheduler=scheduler
                ),
                hint=gettext("Start workers with 'dask worker {scheduler}'.").format(
                    scheduler=scheduler
                ),
            ) from None
        finally:
            client.close()
        return
    n = workers or os.cpu_count() or 1
    if n < 1:
        raise InputError(gettext("--workers {workers}: need at least 1").format(workers=workers))
    # The scheduler first, the workers after: a Ctrl+C while they start then finds the cluster
    # in hand to close (inside LocalCluster(n_workers=n) it left a half-made cluster to an
    # atexit hook that printed a traceback).
    cluster = LocalCluster(
        n_workers=0,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # a free port: never collides with another cluster
        silence_logs=logging.CRITICAL,  # a worker losing its heartbeat at shutdown is not news
        preload=["planner._dask_worker"],  # workers leave Ctrl+C to the planner
    )
    local: Any = None
    try:
        local = Client(cluster, set_as_default=False)
        with _spawned_ignoring_ctrl_c(n):
            cluster.scale(n)
        local.wait_for_workers(n, timeout=300)
        yield local, n, "local"
    finally:
        if local is not None:
            local.close()
        cluster.close()


def _run_units(
    client: Any, jobs: Sequence[UnitJob], progress: ProgressFn | None
) -> tuple[dict[str, UnitOutcome], dict[str, Any]]:
    """Submit one task per unit (largest first), gather only the small outcomes.

    Each unit's cut travels inside its task (no ``scatter``): submitting only queues messages,
    so the loop takes about a second for 600 units, where one ``scatter`` round trip per unit
    waited on workers already busy computing. The scheduler hands the tasks out largest first
    as workers free up.
    """
    import dask
    from dask.distributed import as_completed

    sizes = [j.cut_nodes for j in jobs]
    futures = {}
    # a cut is one task's argument by design; Dask's "large graph" warning (10 MB) is not news
    with dask.config.set({"distributed.admin.large-graph-warning-threshold": "2GB"}):
        for job, size in sorted(zip(jobs, sizes, strict=True), key=lambda t: -t[1]):
            state = client.submit(
                unit_curve, job, key=f"unit-{job.unit.folder}", priority=size, pure=False
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
                gettext("the task failed on its worker ({error}: {message})").format(
                    error=type(exc).__name__, message=exc
                ),
                time.perf_counter(),
                [],
            )
        outcomes[job.unit.name] = outcome
        if outcome.ok:
            states[job.unit.name] = state
        if progress:
            progress("units", done, len(jobs))
    return outcomes, states


def _curves(
    units: Sequence[UnitOutcome], specs: Sequence[Unit], options: NationalOptions
) -> tuple[list[Any], list[Any], Any, Any]:
    """The allocation's inputs: curves, bounds, per-unit minimums and caps (failed units: 0)."""
    curves = [np.asarray(u.newly_covered) if u.ok else np.zeros(1) for u in units]
    bounds = [np.asarray(u.upper_bound) if u.ok else np.zeros(1) for u in units]
    min_new = np.array([s.min_new if u.ok else 0 for u, s in zip(units, specs, strict=True)])
    max_new = np.array(
        [
            (options.new_stations if s.max_new is None else s.max_new) if u.ok else 0
            for u, s in zip(units, specs, strict=True)
        ]
    )
    return curves, bounds, min_new, max_new


def _refine_curves(
    client: Any,
    units: Sequence[Unit],
    outcomes: dict[str, UnitOutcome],
    states: dict[str, Any],
    options: NationalOptions,
) -> dict[str, Any]:
    """Prove the curve points the allocation depends on, in rounds (at most ``REFINE_ROUNDS``):
    each round asks :func:`planner.allocation.refinement_points` which unproven points can
    narrow the national gap and solves them, one task per point, on the workers
    (:func:`solve_unit_point`, then :func:`apply_unit_points` on the worker holding the unit).
    Every round depends only on the curves, never on time or the number of workers."""
    rounds: list[dict[str, Any]] = []
    if options.method != "exact":
        return {"rounds": rounds, "points": 0, "units": 0}
    touched: set[str] = set()
    for number in range(1, REFINE_ROUNDS + 1):
        ordered = [outcomes[u.name] for u in units]
        curves, bounds, min_new, max_new = _curves(ordered, units, options)
        if int(min_new.sum()) > options.new_stations:
            break  # _allocate says so, with the units' minimums
        settled, proven = [], []
        for u, c in zip(ordered, curves, strict=True):
            exact = done = np.ones(c.size, dtype=bool)  # a failed unit: nothing to solve
            if u.ok:
                exact = np.asarray(u.proven_optimal, dtype=bool).copy()
                exact[0] = True
                done = exact.copy()
                done[list(u.refined)] = True  # solved as far as the limits allow
            settled.append(done)
            proven.append(exact)
        points = refinement_points(
            curves,
            bounds,
            options.new_stations,
            settled=settled,
            min_new=min_new,
            max_new=max_new,
            names=[u.name for u in ordered],
            ahead=REFINE_AHEAD,
            proven=proven,
        )
        todo = {
            u.name: tuple(int(k) for k in p)
            for u, p in zip(units, points, strict=True)
            if p.size and u.name in states
        }
        if not todo:
            break
        t0 = time.perf_counter()
        futures = {}
        for name, ks in todo.items():
            solved = [
                client.submit(
                    solve_unit_point, states[name], k, key=f"point{number}-{name}-{k}", pure=False
                )
                for k in ks
            ]
            state = client.submit(
                apply_unit_points, states[name], *solved, key=f"refine{number}-{name}", pure=False
            )
            futures[name] = (state, client.submit(_outcome_of, state, pure=False))
        for name, (state, outcome) in futures.items():  # in unit order: the same every run
            try:
                outcomes[name] = outcome.result()
                states[name] = state
            except Exception as exc:  # the worker died: the unit keeps its curve as it was
                log.warning(  # untranslated: log record for developers
                    "refining %s failed: %s: %s", name, type(exc).__name__, exc
                )
                outcomes[name] = replace(
                    outcomes[name], refined=tuple(sorted({*outcomes[name].refined, *todo[name]}))
                )
        touched |= set(todo)
        rounds.append(
            {
                "round": number,
                "units": len(todo),
                "points": sum(len(ks) for ks in todo.values()),
                "seconds": time.perf_counter() - t0,
            }
        )
    return {
        "rounds": rounds,
        "points": sum(r["points"] for r in rounds),
        "units": len(touched),
    }


def _allocate(
    units: Sequence[UnitOutcome], specs: Sequence[Unit], options: NationalOptions
) -> tuple[Allocation, Allocation, dict[str, Any] | None]:
    curves, bounds, min_new, max_new = _curves(units, specs, options)
    names = [u.name for u in units]
    budget = options.new_stations
    if int(min_new.sum()) > budget:
        raise InputError(
            ngettext(
                "the units' minimums ask for {n} new stations but the budget is {budget}",
                "the units' minimums ask for {n} new stations but the budget is {budget}",
                int(min_new.sum()),
            ).format(n=int(min_new.sum()), budget=budget),
            [f"{n}: min_new {m}" for n, m in zip(names, min_new, strict=True) if m > 0][:20],
            gettext("Lower min_new in the units file or raise --new-stations."),
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
        "time_limit_s": options.time_limit_s if options.time_limit_s < float("inf") else None,
        "node_limit": options.node_limit,
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
    vehicle_allocation: Allocation | None = None,
    *,
    unit_outputs: str = "all",
    covered_before: dict[str, float],
) -> dict[str, UnitWritten]:
    from dask.distributed import as_completed

    futures = {}
    vehicles = (
        vehicle_allocation.new_stations
        if vehicle_allocation is not None
        else np.zeros(len(units), dtype=np.int64)
    )
    written: dict[str, UnitWritten] = {}
    for unit, k, v in zip(units, allocation.new_stations, vehicles, strict=True):
        if unit.name not in states:
            continue
        allocated = int(k) > 0 or int(v) > 0
        files = unit_outputs == "all" or (unit_outputs == "allocated" and allocated)
        if not files and not allocated:  # nothing to write, nothing to plan
            written[unit.name] = UnitWritten(
                name=unit.name, status="ok", covered_after=covered_before[unit.name], files=False
            )
            continue
        fut = client.submit(
            write_unit,
            states[unit.name],
            int(k),
            str(folder / unit.folder),
            parameters,
            run_id,
            int(v),
            files,
            key=f"write-{unit.folder}",
            pure=False,
        )
        futures[fut] = unit
    if progress:
        progress("writing", 0, len(futures))
    for i, future in enumerate(as_completed(list(futures), loop=client.loop), start=1):
        unit = futures[future]
        try:
            written[unit.name] = future.result()
        except Exception as exc:
            written[unit.name] = UnitWritten(
                name=unit.name,
                status=gettext("writing failed ({error}: {message})").format(
                    error=type(exc).__name__, message=exc
                ),
            )
        if progress:
            progress("writing", i, len(futures))
    states.clear()
    return written
