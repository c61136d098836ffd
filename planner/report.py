"""Turn pipeline results into what a planner opens: plan.gpkg, summary.json/.md, map.html.

:func:`summary_dict` gathers the key numbers, parameters, data date, checksums and versions;
:func:`build_layers` and :func:`build_map` shape the GeoPackage layers and the map.

Everything is computed before anything is written, and the four files are written as one set
(:mod:`planner.output_set`): an interrupted or failed run leaves the previous outputs intact.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from planner import i18n, vehicle_outputs
from planner._files import RECORDED_LIBRARIES, checkpoint, library_versions
from planner._format import count_text, number_or_none
from planner._version import __version__
from planner.capacitated import quality_text
from planner.demand import RASTER_CELL_KIND
from planner.errors import InputError
from planner.i18n import gettext
from planner.inspector_moves import InspectorMoves
from planner.maps import STATION_REVIEW_COLUMNS, coverage_map
from planner.output_set import OutputSet, output_set
from planner.outputs import (
    summary_markdown,
    tag_map_run,
    write_geopackage,
    write_json,
    write_map,
    write_text,
)
from planner.pipeline import district_table, draw_service_areas
from planner.results import City, CoverageResult, EvaluationResult, PlanResult
from planner.siting import CoverageCurve, SitingResult, at_most_more
from planner.station_review import CapacityPlan, StationReview
from planner.try_sites import (
    DEFAULT_MAX_CANDIDATES,
    try_sites_for_evaluation,
    try_sites_for_plan,
)
from planner.vehicles import VehiclePlan

__all__ = ["build_layers", "build_map", "summary_dict", "write_outputs"]

#: Columns of the residents layer, in this order (those present are written).
BUILDING_COLUMNS = (
    "demand_id",
    "osm_type",
    "osm_id",
    "building",
    "name",
    "addr:street",
    "addr:housenumber",
    "levels",
    "footprint_m2",
    "floor_area_m2",
    "population",
    "source",
    "demand_kind",
    "walk_m",
    "walk_min",
    "nearest_station",
    "snap_m",
    "reachable",
    "covered",
    "covered_after",
)
STATION_COLUMNS = (
    "station_id",
    "name",
    "kind",
    "source",
    "status",
    "usable",
    "problem",
    "working",
    "snap_m",
    "residents_nearest",
    "residents_within",
    "buildings_nearest",
    "buildings_within",
    *STATION_REVIEW_COLUMNS,
)
#: Columns of the ``planned`` layer (the planned stations scored as proposals).
PLANNED_COLUMNS = (
    "opening_order",
    "station_id",
    "name",
    "alone_population",
    "marginal_population",
    "flags",
    "snap_m",
    "lon",
    "lat",
)


def _residents_layer(coverage: CoverageResult, plan: PlanResult | None) -> gpd.GeoDataFrame:
    frame = plan.buildings if plan is not None else coverage.buildings
    out = frame[[c for c in BUILDING_COLUMNS if c in frame.columns] + ["geometry"]].copy()
    # inf ("no station reachable") is not a number GIS tools show well: write it as empty
    for column in ("walk_m", "walk_min"):
        values = out[column].to_numpy(dtype=float)
        out[column] = np.where(np.isfinite(values), values, np.nan)
    station_ids = coverage.stations["station_id"]
    out["nearest_station"] = out["nearest_station"].map(station_ids)
    return out


def build_layers(
    coverage: CoverageResult,
    *,
    plan: PlanResult | None = None,
    evaluation: EvaluationResult | None = None,
    districts: gpd.GeoDataFrame | None = None,
    review: StationReview | None = None,
    by_district: pd.DataFrame | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """The GeoPackage layers of a run (metric CRS; reprojected when written).

    ``districts`` (the city's district polygons) adds a ``districts`` layer carrying the
    per-district coverage numbers (``by_district``, default ``coverage.by_district``; pass
    :func:`planner.pipeline.district_table` for the numbers after the plan); ``review``
    (:func:`planner.station_review.review_stations`) adds its columns to ``stations`` and the
    layers ``repair_schedule`` and ``planned``.
    """
    if coverage.service_areas is None or coverage.station_areas is None:
        raise InputError(
            gettext("build_layers: the coverage's service areas are not drawn"),
            hint=gettext(
                "It came from assess_coverage(..., areas=False): draw them first, coverage = "
                "draw_service_areas(city, coverage)."
            ),
        )
    stations = review.stations if review is not None else coverage.stations
    layers = {
        "stations": stations[
            [c for c in STATION_COLUMNS if c in stations.columns] + ["geometry"]
        ].copy(),
        "service_areas": coverage.service_areas.copy(),
        "station_areas": coverage.station_areas.copy(),
        "buildings": _residents_layer(coverage, plan),
    }
    by_district = coverage.by_district if by_district is None else by_district
    if by_district is not None and districts is not None:
        layers["districts"] = _districts_frame(districts, by_district)
    if plan is not None:
        layers["proposed_sites"] = plan.sites.copy()
        layers["candidates"] = plan.candidates[
            [
                c
                for c in ("candidate_id", "source", "name", "alone_population", "geometry")
                if c in plan.candidates.columns
            ]
        ].copy()
    if evaluation is not None:
        layers["proposals"] = evaluation.proposals.copy()
        layers["best_sites_same_size"] = evaluation.best_sites.copy()
    if review is not None and review.schedule_table is not None:
        layers["repair_schedule"] = review.schedule_table.copy()
    if review is not None and review.planned is not None:
        planned = review.planned
        layers["planned"] = planned[
            [c for c in PLANNED_COLUMNS if c in planned.columns] + ["geometry"]
        ].copy()
    return layers


def _districts_frame(districts: gpd.GeoDataFrame, by_district: pd.DataFrame) -> gpd.GeoDataFrame:
    """The district polygons with their row of the per-district table; the shares of districts
    without residents in the study area (a unit's neighbours) are empty, not 0 % covered."""
    frame = districts
    if "official_population" in by_district.columns:  # calibrated: the file's figure is there
        frame = frame.drop(columns="population", errors="ignore")
    out = frame.merge(by_district, left_on="name", right_on="district", how="left").drop(
        columns="district"
    )
    nobody = ~(pd.to_numeric(out["residents_total"], errors="coerce").fillna(0) > 0)
    for column in ("share_covered", "share_covered_after"):
        if column in out.columns:
            out[column] = out[column].astype(float).mask(nobody.to_numpy())
    return out


def build_map(
    city: City,
    coverage: CoverageResult,
    *,
    plan: PlanResult | None = None,
    evaluation: EvaluationResult | None = None,
    summary: dict[str, Any] | None = None,
    tiles: str | None = None,
    review: StationReview | None = None,
    try_sites_max: int = DEFAULT_MAX_CANDIDATES,
    spacing_m: float | None = None,
    curve: CoverageCurve | None = None,
    vehicles: VehiclePlan | None = None,
) -> folium.Map:
    """The interactive map of a run (works offline; ``tiles`` adds an online background).

    With districts, a districts layer shows each district's share covered now (and after the
    plan), its calibration factor and whether its numbers are reliable.

    With ``review``, stations are coloured by status with the review's numbers in their
    popups (its inspector moves, if any, are arrows between them), and two scenario layers
    (off at start) show the resident buildings that gain walking access if the planned
    stations open and those that lose it while the stations under repair are closed. With
    ``plan`` or ``evaluation``, the map gets the "Try sites" panel (:mod:`planner.try_sites`)
    with the best ``try_sites_max`` candidates clickable besides the plan's sites and the
    proposals (``try_sites_max < 0``: no panel); ``spacing_m`` is the run's candidate spacing
    (a click on a street picks a site within it); ``curve``, the best plans already computed
    on ``plan.matrix`` (a national unit's), saves solving them again. With ``vehicles``
    (``--vehicles``), the service vehicles' layer (their drive-time areas and ringed base
    stations) and its legend line. The map opens fitted
    to where the residents live.
    """
    coverage = _drawn(city, coverage)
    buildings = plan.buildings if plan is not None else coverage.buildings
    if plan is not None:
        buildings = buildings[~buildings["covered_after"].to_numpy(dtype=bool)]
    scenarios: dict[str, gpd.GeoDataFrame] = {}
    if review is not None:
        everyone = coverage.buildings
        covered = everyone["covered"].to_numpy(dtype=bool)
        population = everyone["population"].to_numpy(dtype=float)
        status = review.stations["status"].to_numpy(dtype=object)
        usable = review.stations["usable"].to_numpy(dtype=bool)
        if review.covered_if_planned_open is not None and (usable & (status == "planned")).any():
            gain = review.covered_if_planned_open & ~covered
            name = gettext("Scenario: planned stations open (+{residents} residents)").format(
                residents=count_text(population[gain].sum())
            )
            scenarios[name] = everyone[gain]
        working = review.stations["working"].to_numpy(dtype=bool)
        if (
            review.covered_while_repair_closed is not None
            and (working & (status == "repair")).any()
        ):
            loss = covered & ~review.covered_while_repair_closed
            name = gettext(
                "Scenario: stations under repair closed (\u2212{residents} residents)"
            ).format(residents=count_text(population[loss].sum()))
            scenarios[name] = everyone[loss]
    trial = None
    if try_sites_max >= 0 and plan is not None:
        trial = try_sites_for_plan(
            coverage, plan, spacing_m=spacing_m, max_candidates=try_sites_max, curve=curve
        )
    elif try_sites_max >= 0 and evaluation is not None and evaluation.matrix is not None:
        trial = try_sites_for_evaluation(
            coverage, evaluation, spacing_m=spacing_m, max_candidates=try_sites_max
        )
    return coverage_map(
        try_sites=trial,
        fit_to=coverage.buildings[["geometry"]],
        streets=city.network.edges_gdf()[["geometry"]],
        stations=review.stations if review is not None else coverage.stations,
        service_areas=coverage.service_areas,
        buildings=buildings,
        proposed_sites=plan.sites if plan is not None else None,
        proposals=evaluation.proposals if evaluation is not None else None,
        summary=summary,
        tiles=tiles,
        scenario_layers=scenarios or None,
        relocation_radius_m=review.relocation_radius_m if review is not None else None,
        districts=_map_districts(city, coverage, plan),
        inspector_moves=(
            review.redistribution.moves
            if review is not None and review.redistribution is not None
            else None
        ),
        vehicle_areas=vehicles.drive_areas if vehicles is not None else None,
    )


def _map_districts(
    city: City, coverage: CoverageResult, plan: PlanResult | None
) -> gpd.GeoDataFrame | None:
    table = district_table(city, coverage, plan)
    if table is None or city.districts is None:
        return None
    frame = _districts_frame(city.districts, table)
    frame.attrs["note"] = city.districts_note
    return frame


def write_outputs(
    out_dir: str | Path | OutputSet,
    *,
    city: City,
    coverage: CoverageResult,
    plan: PlanResult | None = None,
    evaluation: EvaluationResult | None = None,
    parameters: dict[str, Any] | None = None,
    tiles: str | None = None,
    review: StationReview | None = None,
    capacity_plan: CapacityPlan | None = None,
    try_sites_max: int = DEFAULT_MAX_CANDIDATES,
    curve: CoverageCurve | None = None,
    inputs: Sequence[Mapping[str, Any]] = (),
    command: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    vehicles: VehiclePlan | None = None,
) -> dict[str, Path]:
    """Write plan.gpkg, summary.json, summary.md and map.html into ``out_dir``, as one set.

    The four files are written into a staging folder beside ``out_dir``, read back and checked,
    and then replace ``out_dir`` whole (:func:`planner.output_set.output_set`): afterwards
    ``out_dir`` holds the complete new set or, after any failure, what it held before. All
    four carry the same run id (summary.json ``run_id``, the memo's last line, a meta tag of
    the map, the GeoPackage's one-row ``run`` table).

    Parameters
    ----------
    out_dir
        The output folder, or an open :class:`~planner.output_set.OutputSet` to write into
        (the caller's ``with output_set(...)`` block then swaps it in).
    inputs
        More input files for the summary's provenance (``role``, ``path``, ``sha256``), e.g.
        the candidates or proposals file; the city's own inputs are always recorded.
    command
        How the run was started (e.g. ``{"argv": [...], "options": {...}}``), recorded as is.
    run_id
        The run id (with a folder ``out_dir``); a new one by default.

    ``try_sites_max`` sets the clickable candidates of the map's "Try sites" panel (see
    :func:`build_map`, as is ``curve``); the candidate spacing is read from
    ``parameters["spacing_m"]``.

    Returns
    -------
    dict
        The final paths of the files by kind (``"gpkg"``, ``"json"``, ``"md"``, ``"map"``).

    Raises
    ------
    InputError
        If ``out_dir`` cannot be used: a file, below a file, not writable, or a folder holding
        files planner did not write (it is replaced whole, so such files are refused, not
        deleted).
    OutputError
        If writing fails for a reason of the environment (disk full, another run holding the
        folder) or a file fails the read-back check; ``out_dir`` is then unchanged.
    """
    coverage = _drawn(city, coverage)
    if isinstance(out_dir, OutputSet):
        return _write_set(
            out_dir, city=city, coverage=coverage, plan=plan, evaluation=evaluation,
            parameters=parameters, tiles=tiles, review=review, capacity_plan=capacity_plan,
            inputs=inputs, command=command, try_sites_max=try_sites_max, curve=curve,
            vehicles=vehicles,
        )  # fmt: skip
    with output_set(out_dir, run_id=run_id) as target:
        return _write_set(
            target, city=city, coverage=coverage, plan=plan, evaluation=evaluation,
            parameters=parameters, tiles=tiles, review=review, capacity_plan=capacity_plan,
            inputs=inputs, command=command, try_sites_max=try_sites_max, curve=curve,
            vehicles=vehicles,
        )  # fmt: skip


def _drawn(city: City, coverage: CoverageResult) -> CoverageResult:
    """``coverage`` with its service areas (drawn now if ``assess_coverage(areas=False)``
    left them out)."""
    if coverage.service_areas is None or coverage.station_areas is None:
        return draw_service_areas(city, coverage)
    return coverage


def _write_set(
    target: OutputSet,
    *,
    city: City,
    coverage: CoverageResult,
    plan: PlanResult | None,
    evaluation: EvaluationResult | None,
    parameters: dict[str, Any] | None,
    tiles: str | None,
    review: StationReview | None,
    capacity_plan: CapacityPlan | None,
    inputs: Sequence[Mapping[str, Any]],
    command: Mapping[str, Any] | None,
    try_sites_max: int = DEFAULT_MAX_CANDIDATES,
    curve: CoverageCurve | None = None,
    vehicles: VehiclePlan | None = None,
) -> dict[str, Path]:
    summary = summary_dict(
        city, coverage, plan=plan, evaluation=evaluation, parameters=parameters, review=review
    )
    summary["run_id"] = target.run_id
    summary["data"]["inputs"] += [dict(i) for i in inputs]
    if command is not None:
        summary["command"] = dict(command)
    layers = build_layers(
        coverage,
        plan=plan,
        evaluation=evaluation,
        districts=city.districts,
        review=review,
        by_district=district_table(city, coverage, plan),
    )
    if capacity_plan is not None:
        summary["capacitated"] = capacity_dict(capacity_plan)
        layers["capacitated_sites"] = capacity_plan.sites.copy()
        layers["capacitated_stations"] = capacity_plan.stations.copy()
    moves = review.redistribution if review is not None else None
    if moves is not None:
        summary["inspector_redistribution"] = redistribution_dict(moves)
        layers["inspector_moves"] = moves.moves.copy()
    if vehicles is not None:  # service vehicles (--vehicles): see planner.vehicles
        summary["vehicles"] = vehicle_outputs.vehicles_dict(vehicles)
        vehicle_outputs.add_vehicle_layers(layers, vehicles)
    # any solve of the run stopped by the wall-clock safety net: the run depended on the machine
    summary["time_limit_hit"] = any(
        bool(part.get("time_limit_hit"))
        for part in (
            summary.get("plan") or {},
            summary.get("evaluation") or {},
            summary.get("capacitated") or {},
            (summary.get("stations_review") or {}).get("repair_schedule") or {},
            summary.get("inspector_redistribution") or {},
            summary.get("vehicles") or {},
        )
        if isinstance(part, dict)
    )
    the_map = build_map(
        city,
        coverage,
        plan=plan,
        evaluation=evaluation,
        summary=summary,
        tiles=tiles,
        review=review,
        try_sites_max=try_sites_max,
        spacing_m=(parameters or {}).get("spacing_m"),
        curve=curve,
        vehicles=vehicles,
    )
    tag_map_run(the_map, target.run_id)
    memo = summary_markdown(summary)
    staging = target.path
    target.expected_layers["plan.gpkg"] = {name: len(gdf) for name, gdf in layers.items()}
    # the GeoPackage is written by GDAL (the GIL released) while the map renders in Python
    with ThreadPoolExecutor(max_workers=1) as pool:
        gpkg = pool.submit(
            write_geopackage,
            staging / "plan.gpkg",
            layers,
            run={
                "run_id": target.run_id,
                "created": summary["created"],
                "planner_version": summary["software"]["planner_version"],
            },
        )
        write_map(staging / "map.html", the_map)
        gpkg.result()
    checkpoint("written:plan.gpkg")
    checkpoint("written:map.html")
    write_json(staging / "summary.json", summary)
    checkpoint("written:summary.json")
    write_text(staging / "summary.md", memo)
    checkpoint("written:summary.md")
    return {
        "gpkg": target.final("plan.gpkg"),
        "json": target.final("summary.json"),
        "md": target.final("summary.md"),
        "map": target.final("map.html"),
    }


def summary_dict(
    city: City,
    coverage: CoverageResult,
    *,
    plan: PlanResult | None = None,
    evaluation: EvaluationResult | None = None,
    parameters: dict[str, Any] | None = None,
    review: StationReview | None = None,
) -> dict[str, Any]:
    """The machine-readable summary of a run (schema in :mod:`planner.outputs`)."""
    s = coverage.summary
    stations = coverage.stations
    connectivity = city.network.connectivity()
    out: dict[str, Any] = {
        "city": city.name,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": {
            "osm_file": Path(city.osm.source).name,
            "sha256": city.osm.sha256,
            "data_date": city.osm.data_date,
            "clipped_ways": city.osm.clipped_ways,
            "inputs": list(city.inputs),
        },
        "parameters": {
            "max_walk_m": coverage.settings.max_walk_m,
            "max_walk_min": coverage.settings.max_walk_min,
            "speed_kmh": coverage.settings.speed_kmh,
            "max_snap_m": coverage.settings.max_snap_m,
            **(parameters or {}),
        },
        "network": {
            "nodes": city.network.n_nodes,
            "edges": city.network.n_edges,
            "length_km": city.network.street_length_m / 1000,
            "pieces": connectivity.n_components,
            "share_length_outside_largest": connectivity.share_length_outside_largest,
        },
        "stations": {
            "total": len(stations),
            "usable": int(stations["usable"].sum()),
            "beyond_reach": int(getattr(city, "stations_beyond_reach", 0)),
            "unusable": _unusable_stations(stations),
        },
        "coverage": s.to_dict(),
        "barriers": barrier_dict(city, coverage),
        "coverage_by_district": _records(district_table(city, coverage, plan)),
        "districts": _districts_dict(city),
        "demand": _demand_dict(coverage),
        "software": {
            "planner_version": __version__,
            "python": platform.python_version(),
            **library_versions(RECORDED_LIBRARIES),
        },
    }
    if plan is not None:
        out["plan"] = plan_dict(plan)
    if evaluation is not None:
        ev = evaluation.evaluation
        out["evaluation"] = {
            "proposals": len(evaluation.proposals),
            "list_residents": float(ev.list_population),
            "best_residents_same_size": float(ev.best.newly_covered_population),
            "gap": float(ev.gap),
            "shortfall_residents": float(ev.shortfall_population),
            "time_limit_hit": bool(ev.best.time_limit_hit),
            "flagged": [
                {"name": n, "flags": f}
                for n, f in zip(
                    evaluation.proposals.get("name", pd.Series([None] * len(evaluation.proposals))),
                    evaluation.proposals["flags"],
                    strict=True,
                )
                if f
            ],
        }
    if review is not None:
        out["stations_review"] = review_dict(review)
    return out


def barrier_dict(city: City, coverage: CoverageResult) -> dict[str, Any]:
    """Barriers used when snapping doors to streets, and the residents they kept from being
    attached across a railway, a river or a motorway (see :mod:`planner.snapping`)."""
    net = city.network
    kinds = [] if net.barrier_kind is None else [str(k) for k in net.barrier_kind]
    out: dict[str, Any] = {
        "lines_by_kind": dict(sorted(pd.Series(kinds, dtype=object).value_counts().items()))
        if kinds
        else {},
        "buildings_across": 0,
        "residents_across": 0.0,
        "across_by_kind": {},
        "buildings_not_snapped": 0,
        "residents_not_snapped": 0.0,
    }
    snaps = coverage.building_snaps
    if snaps is None or snaps.barrier_crossed is None:
        return out
    crossed = snaps.barrier_crossed
    population = coverage.buildings["population"].to_numpy(dtype=float)
    across = crossed != ""
    stranded = across & ~snaps.reached
    out["buildings_across"] = int(across.sum())
    out["residents_across"] = float(population[across].sum())
    out["across_by_kind"] = {
        str(k): {
            "buildings": int((crossed == k).sum()),
            "residents": float(population[crossed == k].sum()),
        }
        for k in sorted(set(crossed[across].tolist()))
    }
    out["buildings_not_snapped"] = int(stranded.sum())
    out["residents_not_snapped"] = float(population[stranded].sum())
    return out


def plan_dict(plan: PlanResult) -> dict[str, Any]:
    """The ``plan`` section of summary.json: sizes, solver, proven bounds and the sites."""
    siting = plan.siting
    plan_out: dict[str, Any] = {
        "method": siting.method,
        "solver_status": siting.solver_status,
        "n_sites": len(plan.sites),
        "n_candidates": len(plan.candidates),
        "coverage_pairs": plan.matrix.n_pairs,
        "residents_covered_after": plan.summary_after.residents_covered,
        "share_covered_after": plan.summary_after.share_covered,
        "newly_covered": float(siting.newly_covered_population),
        "gap": float(siting.gap),
        "proven_optimal": bool(siting.proven_optimal),
        # the wall-clock safety net stopped a solve: the plan depended on the machine's load
        "time_limit_hit": bool(siting.time_limit_hit or plan.rollout.time_limit_hit),
        "message": siting.message,
        "sites": [
            {
                "rank": int(r.rank),
                "candidate_id": r.candidate_id,
                "name": r.name,
                "lon": float(r.lon),
                "lat": float(r.lat),
                "marginal_population": float(r.marginal_population),
                "cumulative_population": float(r.cumulative_population),
                "cumulative_share": float(r.cumulative_share),
                "prefix_gap": None if pd.isna(r.prefix_gap) else float(r.prefix_gap),
                **({"district": r.district} if hasattr(r, "district") else {}),
                **(
                    {
                        "residents_served": float(r.residents_served),
                        "inspectors_needed": int(r.inspectors_needed),
                    }
                    if hasattr(r, "inspectors_needed")
                    else {}
                ),
            }
            for r in plan.sites.itertuples()
        ],
    }
    if isinstance(siting, SitingResult):
        plan_out["upper_bound"] = float(siting.upper_bound)
        if siting.population_walk_m is not None:  # --prefer-shorter-walks
            plan_out["population_walk_m"] = float(siting.population_walk_m)
    else:
        # "gap" and "upper_bound" always speak of coverage at the plan's size; the
        # fewest-sites proof (how many sites are needed) is reported on its own
        plan_out["gap"] = float(siting.coverage_gap)
        plan_out["proven_optimal"] = bool(siting.coverage_proven_optimal)
        plan_out["upper_bound"] = float(siting.coverage_upper_bound)
        plan_out["target_share"] = siting.target_share
        plan_out["target_reachable"] = siting.target_reachable
        plan_out["best_achievable_share"] = siting.best_achievable_share
        plan_out["fewest_sites"] = {
            "n_sites": int(siting.n_sites),
            "lower_bound": int(siting.lower_bound),
            "gap": float(siting.gap),
            "proven_optimal": bool(siting.proven_optimal),
        }
    plan_out["at_most_more"] = _finite(at_most_more(plan_out["gap"]))
    return plan_out


def _finite(value: float) -> float | None:
    """JSON has no infinity: ``None`` for it (the memo then says "unbounded")."""
    return None if not np.isfinite(value) else float(value)


def _records(table: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    return None if table is None else table.to_dict(orient="records")


def _districts_dict(city: City) -> dict[str, Any] | None:
    """The districts' part of summary.json: the note on their date and the calibration."""
    if city.districts is None:
        return None
    cal = city.district_calibration
    return {
        "count": len(city.districts),
        "note": city.districts_note,
        "calibrated": cal is not None,
        "max_factor": None if cal is None else cal.max_factor,
        "calibration": None if cal is None else _records(cal.table),
        "unreliable": [] if cal is None else cal.unreliable,
    }


def _demand_dict(coverage: CoverageResult) -> dict[str, Any]:
    """What the demand points are: buildings, and raster cells without mapped buildings."""
    b = coverage.buildings
    population = b["population"].to_numpy(dtype=float)
    cells = (
        (b["demand_kind"] == RASTER_CELL_KIND).to_numpy()
        if "demand_kind" in b.columns
        else np.zeros(len(b), dtype=bool)
    )
    return {
        "points": len(b),
        "buildings": int((~cells).sum()),
        "raster_cells_without_buildings": int(cells.sum()),
        "residents_in_raster_cells_without_buildings": float(population[cells].sum()),
    }


def _unusable_stations(stations: pd.DataFrame) -> list[dict[str, Any]]:
    """Every station left out, with its file row (file stations) and the reason."""
    bad = stations[~stations["usable"].to_numpy(dtype=bool)]
    rows = bad["row"] if "row" in bad.columns else pd.Series(None, index=bad.index, dtype=object)
    return [
        {
            "station_id": i,
            "name": None if n is None or (isinstance(n, float) and np.isnan(n)) else n,
            "row": None if r is None or pd.isna(r) else int(r),
            "problem": p,
        }
        for i, n, r, p in zip(bad["station_id"], bad["name"], rows, bad["problem"], strict=True)
    ]


def capacity_dict(cp: CapacityPlan) -> dict[str, Any]:
    """The capacitated plan's part of summary.json."""
    r, b = cp.result, cp.before
    return {
        "capacity_inspectors": cp.capacity_inspectors,
        "residents_per_inspector": cp.residents_per_inspector,
        "capacity_residents": cp.capacity_residents,
        "candidates": cp.n_candidates,
        "model_pairs": int(r.n_pairs),
        "assigned_before": float(b.assigned_population),
        "within_reach_before": float(b.within_reach_population),
        "assigned_after": float(r.assigned_population),
        "within_reach_after": float(r.within_reach_population),
        "over_capacity_after": float(r.over_capacity_population),
        "share_assigned_after": float(r.assigned_share),
        "upper_bound": float(r.upper_bound),
        "gap": float(r.gap),
        "proven_optimal": bool(r.proven_optimal),
        "quality": quality_text(r),
        "status": r.status,
        "time_limit_hit": bool(r.time_limit_hit or b.time_limit_hit),
        "message": r.message,
        "sites": [
            {
                "rank": int(s.rank),
                "candidate_id": s.candidate_id,
                "name": s.name,
                "lon": float(s.lon),
                "lat": float(s.lat),
                "assigned_residents": float(s.assigned_residents),
            }
            for s in cp.sites.itertuples()
        ],
    }


def review_dict(review: StationReview) -> dict[str, Any]:
    """The station review's part of summary.json (see :mod:`planner.station_review`)."""
    st = review.stations
    work = st[st["working"].to_numpy(dtype=bool)].sort_values("repair_rank")

    def station(r: Any) -> dict[str, Any]:
        return {
            "station_id": r.station_id,
            "name": r.name if isinstance(r.name, str) else None,
            "status": r.status,
            "residents_served": number_or_none(r.residents_served),
            "residents_served_within_limit": number_or_none(
                getattr(r, "residents_served_within_limit", None)
            ),
            "residents_only_here": number_or_none(r.residents_only_here),
            "repair_rank": None if pd.isna(r.repair_rank) else int(r.repair_rank),
            "inspectors_needed": number_or_none(r.inspectors_needed),
            "inspectors_now": number_or_none(r.inspectors_now),
            "relocation_site_lon": number_or_none(r.relocation_site_lon),
            "relocation_site_lat": number_or_none(r.relocation_site_lat),
            "relocation_gain": number_or_none(r.relocation_gain),
        }

    repairs = work[work["status"] == "repair"]
    out: dict[str, Any] = {
        "statuses": {k: int(v) for k, v in st["status"].value_counts().items()},
        "scenarios": review.scenarios.to_dict(orient="records"),
        "inspectors": review.inspector_totals(),
        "repair_priorities": [station(r) for r in repairs.itertuples()],
        "most_important_stations": [station(r) for r in work.head(10).itertuples()],
        "relocation_radius_m": review.relocation_radius_m,
        "relocation_spacing_m": review.relocation_spacing_m,
        "relocations_that_serve_more": [
            station(r)
            for r in repairs.sort_values("relocation_gain", ascending=False).itertuples()
            if number_or_none(r.relocation_gain) is not None and r.relocation_gain > 0
        ],
        "planned": None,
        "repair_schedule": None,
    }
    if review.planned is not None and review.planned_evaluation is not None:
        ev = review.planned_evaluation.evaluation
        out["planned"] = {
            "stations": len(review.planned),
            "newly_covered_if_all_open": float(ev.list_population),
            "best_same_size_newly_covered": float(ev.best.newly_covered_population),
            "gap": float(ev.gap),
            "opening_order": [
                {
                    "opening_order": int(r.opening_order),
                    "station_id": r.station_id,
                    "name": r.name if isinstance(r.name, str) else None,
                    "alone": number_or_none(r.alone_population),
                    "added_in_order": number_or_none(getattr(r, "added_in_order", None)),
                    "marginal": number_or_none(r.marginal_population),
                    "flags": r.flags,
                }
                for r in review.planned.itertuples()
            ],
        }
    if review.schedule is not None and review.schedule_table is not None:
        sc = review.schedule
        table = review.schedule_table
        out["repair_schedule"] = {
            "batch_size": review.repair_batch,
            "batches": [
                {
                    "batch": int(b),
                    "stations": list(group["station_id"]),
                    "names": [n if isinstance(n, str) else None for n in group["name"]],
                    "residents_without_access": float(group["residents_without_access"].iloc[0]),
                }
                for b, group in table.groupby("batch", sort=True)
            ],
            "worst_batch_residents": float(sc.worst_batch_residents),
            "lower_bound": float(sc.lower_bound),
            "gap": float(sc.gap),
            "status": sc.status,
            "time_limit_hit": bool(sc.time_limit_hit),
        }
    return out


#: Moves listed in summary.json and national.json (all of them are in the GeoPackage layer).
LISTED_MOVES = 300


def _english(words: Callable[[], str]) -> str:
    """``words()`` in English: summary.json's texts are read by scripts, in every language."""
    with i18n.using_language("en"):
        return words()


def redistribution_dict(moves: InspectorMoves) -> dict[str, Any]:
    """The ``inspector_redistribution`` block of summary.json (and, with the per-unit rows and
    each move's units, of national.json): see :mod:`planner.inspector_moves`."""
    r = moves.result
    table = moves.moves
    national = moves.units is not None
    out: dict[str, Any] = {
        "rule": _english(moves.rule),  # untranslated: machine-readable (summary.json)
        "max_move_m": moves.max_move_m,
        # untranslated: machine-readable (summary.json)
        "distance": "straight line between the stations' points (great circle)",
        "shortfall": r.shortfall,
        "surplus": r.surplus,
        "covered": r.covered,
        "to_hire": r.to_hire,
        "moves": r.moves,
        "moves_lower_bound": r.moves_lower_bound,
        "inspectors_moved": r.covered,
        "total_distance_m": round(r.total_distance_m, 1),
        "status": r.status,
        "time_limit_hit": bool(r.time_limit_hit),
        "stations_taking_part": moves.stations_taking_part,
        "stations_without_count": moves.stations_without_count,
        "solve_s": round(r.solve_s, 3),
    }
    if moves.units is not None:
        out["station_rule"] = (  # untranslated: machine-readable (national.json)
            "a station counts in one unit: the first whose area contains it (else the nearest "
            "unit listing it), with the inspectors needed for the residents it serves in all units"
        )
        out["stations_in_several_units"] = moves.stations_in_several_units
        out["units"] = [
            {k: (v if isinstance(v, str) else int(v)) for k, v in row.items()}
            for row in moves.units.to_dict(orient="records")
        ]
    keys = ("from_unit", "from_station_id", "from_name", "to_unit", "to_station_id", "to_name")
    out["move_list"] = [
        {
            **{k: getattr(row, k) for k in keys if national or not k.endswith("_unit")},
            "count": int(row.count),
            "distance_m": float(row.distance_m),
        }
        for row in table.head(LISTED_MOVES).itertuples()
    ]
    out["move_list_complete"] = len(table) <= LISTED_MOVES
    return out
