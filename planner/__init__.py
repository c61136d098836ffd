"""precinct-planner: walking-distance coverage planning for district police stations.

The public API, in the order data flows through it: read an OSM file, build the walk network,
estimate residents and read stations, measure walking distances and service areas, summarise
coverage, generate candidate sites and the coverage matrix, choose sites, write maps and files.
:mod:`planner.pipeline` strings the steps together.

The names below are imported when first used (PEP 562), so ``import planner`` and the
``planner`` command's ``--help`` load no numpy or geopandas; ``from planner import X`` and
``planner.X`` work as before. The ``TYPE_CHECKING`` block names the same imports for type
checkers (``tests/test_architecture.py`` checks the two lists agree).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from planner._version import __version__

if TYPE_CHECKING:
    from planner.allocation import Allocation, allocate, allocate_greedy, fewest_for_target
    from planner.candidates import (
        building_candidates,
        combine_candidates,
        network_candidates,
        read_candidates,
    )
    from planner.coverage import (
        CoverageSummary,
        coverage_by_district,
        coverage_by_station,
        coverage_sensitivity,
        summarize_coverage,
    )
    from planner.covering import CoverageMatrix, coverage_matrix
    from planner.demand import (
        PopulationSettings,
        calibrate,
        classify_buildings,
        demand_from_buildings,
        demand_from_points,
        demand_from_raster,
    )
    from planner.distances import WalkResult, walk_distances
    from planner.districts import DistrictCalibration, calibrate_by_district
    from planner.drive import DriveNetwork, build_drive_network
    from planner.errors import (
        ArgumentTypeError,
        FetchError,
        InputError,
        OutputError,
        PlannerError,
        SolverError,
    )
    from planner.fetch import fetch_osm
    from planner.isochrones import service_areas
    from planner.maps import coverage_map, national_map, save_map
    from planner.national import NationalOptions, NationalResult, plan_nation
    from planner.network import WalkNetwork, build_walk_network, from_networkx, to_networkx
    from planner.osm import OsmData, OsmScan, read_osm, scan_osm
    from planner.output_set import output_set, read_run_ids
    from planner.outputs import write_geopackage, write_json
    from planner.pipeline import (
        assess_coverage,
        city_from_osm,
        district_table,
        draw_service_areas,
        evaluate_sites,
        load_city,
        plan_curve,
        plan_from_curve,
        plan_sites,
        run_city,
        study_area_lonlat_bounds,
    )
    from planner.report import build_map, write_outputs
    from planner.results import (
        City,
        CityRun,
        CoverageResult,
        EvaluationResult,
        PlanCurve,
        PlanResult,
    )
    from planner.settings import WalkSettings
    from planner.siting import (
        CoverageCurve,
        MinSitesResult,
        ProposalEvaluation,
        RolloutResult,
        SitingResult,
        coverage_curve,
        curve_plan,
        evaluate_proposals,
        maximize_coverage,
        minimize_sites,
        rollout_order,
    )
    from planner.snapping import snap
    from planner.station_review import StationReview, review_stations
    from planner.stations import mark_unusable, read_stations, stations_from_osm
    from planner.try_sites import TrySites, try_sites_for_evaluation, try_sites_for_plan
    from planner.vehicles import VehiclePlan, plan_vehicles


#: Where each public name lives: ``{name: module}``.
_EXPORTS = {
    "Allocation": "planner.allocation",
    "allocate": "planner.allocation",
    "allocate_greedy": "planner.allocation",
    "fewest_for_target": "planner.allocation",
    "building_candidates": "planner.candidates",
    "combine_candidates": "planner.candidates",
    "network_candidates": "planner.candidates",
    "read_candidates": "planner.candidates",
    "CoverageSummary": "planner.coverage",
    "coverage_by_district": "planner.coverage",
    "coverage_by_station": "planner.coverage",
    "coverage_sensitivity": "planner.coverage",
    "summarize_coverage": "planner.coverage",
    "CoverageMatrix": "planner.covering",
    "coverage_matrix": "planner.covering",
    "PopulationSettings": "planner.demand",
    "calibrate": "planner.demand",
    "classify_buildings": "planner.demand",
    "demand_from_buildings": "planner.demand",
    "demand_from_points": "planner.demand",
    "demand_from_raster": "planner.demand",
    "WalkResult": "planner.distances",
    "walk_distances": "planner.distances",
    "DistrictCalibration": "planner.districts",
    "calibrate_by_district": "planner.districts",
    "DriveNetwork": "planner.drive",
    "build_drive_network": "planner.drive",
    "ArgumentTypeError": "planner.errors",
    "FetchError": "planner.errors",
    "InputError": "planner.errors",
    "OutputError": "planner.errors",
    "PlannerError": "planner.errors",
    "SolverError": "planner.errors",
    "fetch_osm": "planner.fetch",
    "service_areas": "planner.isochrones",
    "coverage_map": "planner.maps",
    "national_map": "planner.maps",
    "save_map": "planner.maps",
    "NationalOptions": "planner.national",
    "NationalResult": "planner.national",
    "plan_nation": "planner.national",
    "WalkNetwork": "planner.network",
    "build_walk_network": "planner.network",
    "from_networkx": "planner.network",
    "to_networkx": "planner.network",
    "OsmData": "planner.osm",
    "OsmScan": "planner.osm",
    "read_osm": "planner.osm",
    "scan_osm": "planner.osm",
    "output_set": "planner.output_set",
    "read_run_ids": "planner.output_set",
    "write_geopackage": "planner.outputs",
    "write_json": "planner.outputs",
    "assess_coverage": "planner.pipeline",
    "city_from_osm": "planner.pipeline",
    "district_table": "planner.pipeline",
    "draw_service_areas": "planner.pipeline",
    "evaluate_sites": "planner.pipeline",
    "load_city": "planner.pipeline",
    "plan_curve": "planner.pipeline",
    "plan_from_curve": "planner.pipeline",
    "plan_sites": "planner.pipeline",
    "run_city": "planner.pipeline",
    "study_area_lonlat_bounds": "planner.pipeline",
    "build_map": "planner.report",
    "write_outputs": "planner.report",
    "City": "planner.results",
    "CityRun": "planner.results",
    "CoverageResult": "planner.results",
    "EvaluationResult": "planner.results",
    "PlanCurve": "planner.results",
    "PlanResult": "planner.results",
    "WalkSettings": "planner.settings",
    "CoverageCurve": "planner.siting",
    "MinSitesResult": "planner.siting",
    "ProposalEvaluation": "planner.siting",
    "RolloutResult": "planner.siting",
    "SitingResult": "planner.siting",
    "coverage_curve": "planner.siting",
    "curve_plan": "planner.siting",
    "evaluate_proposals": "planner.siting",
    "maximize_coverage": "planner.siting",
    "minimize_sites": "planner.siting",
    "rollout_order": "planner.siting",
    "snap": "planner.snapping",
    "StationReview": "planner.station_review",
    "review_stations": "planner.station_review",
    "mark_unusable": "planner.stations",
    "read_stations": "planner.stations",
    "stations_from_osm": "planner.stations",
    "TrySites": "planner.try_sites",
    "try_sites_for_evaluation": "planner.try_sites",
    "try_sites_for_plan": "planner.try_sites",
    "VehiclePlan": "planner.vehicles",
    "plan_vehicles": "planner.vehicles",
}

__all__ = [
    "Allocation",
    "ArgumentTypeError",
    "City",
    "CityRun",
    "CoverageCurve",
    "CoverageMatrix",
    "CoverageResult",
    "CoverageSummary",
    "DistrictCalibration",
    "DriveNetwork",
    "EvaluationResult",
    "FetchError",
    "InputError",
    "MinSitesResult",
    "NationalOptions",
    "NationalResult",
    "OsmData",
    "OsmScan",
    "OutputError",
    "PlanCurve",
    "PlanResult",
    "PlannerError",
    "PopulationSettings",
    "ProposalEvaluation",
    "RolloutResult",
    "SitingResult",
    "SolverError",
    "StationReview",
    "TrySites",
    "VehiclePlan",
    "WalkNetwork",
    "WalkResult",
    "WalkSettings",
    "__version__",
    "allocate",
    "allocate_greedy",
    "assess_coverage",
    "build_drive_network",
    "build_map",
    "build_walk_network",
    "building_candidates",
    "calibrate",
    "calibrate_by_district",
    "city_from_osm",
    "classify_buildings",
    "combine_candidates",
    "coverage_by_district",
    "coverage_by_station",
    "coverage_curve",
    "coverage_map",
    "coverage_matrix",
    "coverage_sensitivity",
    "curve_plan",
    "demand_from_buildings",
    "demand_from_points",
    "demand_from_raster",
    "district_table",
    "draw_service_areas",
    "evaluate_proposals",
    "evaluate_sites",
    "fetch_osm",
    "fewest_for_target",
    "from_networkx",
    "load_city",
    "mark_unusable",
    "maximize_coverage",
    "minimize_sites",
    "national_map",
    "network_candidates",
    "output_set",
    "plan_curve",
    "plan_from_curve",
    "plan_nation",
    "plan_sites",
    "plan_vehicles",
    "read_candidates",
    "read_osm",
    "read_run_ids",
    "read_stations",
    "review_stations",
    "rollout_order",
    "run_city",
    "save_map",
    "scan_osm",
    "service_areas",
    "snap",
    "stations_from_osm",
    "study_area_lonlat_bounds",
    "summarize_coverage",
    "to_networkx",
    "try_sites_for_evaluation",
    "try_sites_for_plan",
    "walk_distances",
    "write_geopackage",
    "write_json",
    "write_outputs",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
    else:
        try:  # a submodule not imported yet, e.g. ``planner.siting`` after ``import planner``
            value = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            # untranslated: Python's own wording of a missing attribute, for programmers
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
