"""precinct-planner: walking-distance coverage planning for district police stations.

The public API, in the order data flows through it: read an OSM file, build the walk network,
estimate residents and read stations, measure walking distances and service areas, summarise
coverage, generate candidate sites and the coverage matrix, choose sites, write maps and files.
:mod:`planner.pipeline` strings the steps together.
"""

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
    City,
    CityRun,
    CoverageResult,
    EvaluationResult,
    PlanCurve,
    PlanResult,
    assess_coverage,
    city_from_osm,
    district_table,
    evaluate_sites,
    load_city,
    plan_curve,
    plan_from_curve,
    plan_sites,
    run_city,
    study_area_lonlat_bounds,
)
from planner.report import build_map, write_outputs
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
from planner.stations import mark_unusable, read_stations, stations_from_osm
from planner.try_sites import TrySites, try_sites_for_evaluation, try_sites_for_plan
from planner.vehicles import VehiclePlan, plan_vehicles

__version__ = "0.1.0"

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
