"""The results of the city pipeline, as frozen dataclasses (filled by :mod:`planner.pipeline`).

They live below the orchestration so that a reader of a result (the station review, the "Try
sites" panel, the report) never imports the orchestrator. Only type imports here: the module
loads without numpy or geopandas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp
    import shapely

    from planner.coverage import CoverageSummary
    from planner.covering import CoverageMatrix
    from planner.districts import DistrictCalibration
    from planner.network import WalkNetwork
    from planner.osm import OsmData
    from planner.settings import WalkSettings
    from planner.siting import (
        CoverageCurve,
        MinSitesResult,
        ProposalEvaluation,
        RolloutResult,
        SitingResult,
    )
    from planner.snapping import Snaps

__all__ = [
    "City",
    "CityRun",
    "CoverageResult",
    "CurveModel",
    "EvaluationResult",
    "PlanCurve",
    "PlanResult",
]


@dataclass(frozen=True, eq=False)
class City:
    """Everything read for one study area, in the network's metric CRS.

    Attributes
    ----------
    name
        Label for reports (default: the OSM file's name).
    osm
        The raw layers read from the OSM file.
    network
        The walk network.
    residents
        Residential buildings (or population points) with ``population``.
    stations
        Existing stations, including unusable ones with the reason.
    districts
        District polygons with a ``name`` column, or ``None``.
    inputs
        The input files with their role and SHA-256 checksum, for the report; also the study
        area (``role`` ``"bbox"`` with its ``value``, ``"boundary"`` with the file's checksum).
    area
        The city's own territory (metric CRS) when the streets reach beyond it: residents are
        counted and new sites placed only inside it; ``None``: everywhere.
    district_calibration
        The per-district calibration (:func:`planner.districts.calibrate_by_district`) when
        the districts carry official populations, else ``None``.
    districts_note
        What to know about the districts beside the OSM data (their date), for the reports.
    stations_beyond_reach
        Rows of the stations file that lie beyond walking reach of this area (farther than
        ``station_reach_m`` from every street) and were left out: counted, not listed.
    station_reach_m
        The reach used for that rule (walking limit plus snapping limit).
    """

    name: str
    osm: OsmData
    network: WalkNetwork
    residents: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame | None
    inputs: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    area: shapely.Geometry | None = None
    district_calibration: DistrictCalibration | None = None
    districts_note: str | None = None
    stations_beyond_reach: int = 0
    station_reach_m: float = float("inf")


@dataclass(frozen=True, eq=False)
class CoverageResult:
    """Coverage of residents by the existing stations.

    Attributes
    ----------
    settings
        Walking settings used.
    buildings
        The residents with ``walk_m``, ``walk_min``, ``nearest_station``, ``snap_m``,
        ``reachable`` and ``covered``.
    stations
        All stations with ``usable``/``problem``, ``snap_m`` and their workload:
        ``residents_nearest``, ``residents_within``, ``buildings_nearest``,
        ``buildings_within``.
    service_areas
        Dissolved walkable areas for each limit (``limit_m``, ``limit_min``, ``area_km2``);
        ``None`` until drawn (``assess_coverage(..., areas=False)``, then
        :func:`planner.pipeline.draw_service_areas`).
    station_areas
        Each usable station's own walkable area at the walking limit (overlapping where
        stations share streets): ``station_id``, ``limit_m``, ``area_km2``, ``street_m``;
        ``None`` until drawn, as ``service_areas``.
    summary
        Residents within and beyond the limit.
    by_district
        Per-district table, or ``None`` without districts.
    sensitivity
        Coverage for several speeds and limits.
    building_snaps
        Where each resident's door reached the street, reused by the coverage matrix.
    service_limits_min
        The limits (minutes) the service areas are drawn at (``None``: the defaults).
    """

    settings: WalkSettings
    buildings: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    service_areas: gpd.GeoDataFrame | None
    station_areas: gpd.GeoDataFrame | None
    summary: CoverageSummary
    by_district: pd.DataFrame | None
    sensitivity: pd.DataFrame
    building_snaps: Snaps | None = None
    service_limits_min: tuple[float, ...] | None = None


@dataclass(frozen=True, eq=False)
class PlanResult:
    """New station sites chosen to bring the most residents within walking distance.

    Attributes
    ----------
    candidates
        Every candidate considered (``candidate_id``, ``source``, ``name``,
        ``alone_population``: residents it would newly cover on its own).
    matrix
        The sparse coverage matrix (candidates x residents).
    siting
        The solver's result, with objective, bound and gap.
    rollout
        The chosen sites in rollout order with the gap of each prefix to the best plan of its
        size.
    sites
        The chosen sites in rollout order: ``rank``, ``candidate_id``, ``source``, ``name``,
        ``marginal_population`` (residents this site newly covers after the sites before it),
        ``cumulative_population`` (newly covered by the first ``rank`` sites),
        ``cumulative_share`` (share of all residents covered, existing stations included),
        ``best_population_same_size`` (the best plan with ``rank`` sites found within the
        prefix budget), ``prefix_gap`` (at most this share short of the best possible plan
        of that size) and ``lon``/``lat``.
    buildings
        The residents with ``covered_after``: within the limit of an existing or new station.
    summary_after
        Coverage after building the chosen sites.
    by_district
        Coverage by district now and after the plan (:func:`planner.pipeline.district_table`),
        made once with the plan; ``None`` without districts. A plan copied with other
        ``buildings`` (``dataclasses.replace``) must be given ``by_district=None`` too, so
        that the table is made again.
    """

    candidates: gpd.GeoDataFrame
    matrix: CoverageMatrix
    siting: SitingResult | MinSitesResult
    rollout: RolloutResult
    sites: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    summary_after: CoverageSummary
    by_district: pd.DataFrame | None = None


@dataclass(frozen=True, eq=False)
class PlanCurve:
    """The best plan for every number of new sites in one city (see :func:`plan_curve`).

    Attributes
    ----------
    candidates
        Every candidate considered, as in :class:`PlanResult`.
    matrix
        The sparse coverage matrix (candidates x residents).
    curve
        Newly covered residents and the proven bound for every ``k = 0 .. K``, and the sites.
    """

    candidates: gpd.GeoDataFrame
    matrix: CoverageMatrix
    curve: CoverageCurve


@dataclass(frozen=True, eq=False)
class CurveModel:
    """The numbers behind a :class:`PlanCurve`, without geometry or tables: what solving one of
    its points again needs (a national run's worker reads back only this, not the whole city).

    Attributes
    ----------
    matrix
        The coverage matrix (candidates x buildings), as in :class:`PlanCurve`.
    population
        Residents of each building.
    covered
        Whether each building is covered by a working station already.
    curve
        The curve, as in :class:`PlanCurve`.
    """

    matrix: sp.csr_array
    population: np.ndarray
    covered: np.ndarray
    curve: CoverageCurve


@dataclass(frozen=True, eq=False)
class EvaluationResult:
    """An akimat's proposed sites, scored one by one and as a list.

    Attributes
    ----------
    proposals
        Every proposal as read (unusable ones included) with ``alone_population``,
        ``marginal_population``, ``greedy_rank``, ``flags`` (text) and ``snap_m``.
    evaluation
        The numeric evaluation (list vs best plan of the same size, gap).
    best_sites
        The best plan of the same size from all candidates (proposals and generated).
    candidates
        Every candidate the proposals were compared with (the usable proposals, with
        ``source == "proposal"``, and the generated sites), the rows of ``matrix``.
    matrix
        The sparse coverage matrix (candidates x residents) the numbers come from.
    """

    proposals: gpd.GeoDataFrame
    evaluation: ProposalEvaluation
    best_sites: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame | None = None
    matrix: CoverageMatrix | None = None


@dataclass(frozen=True, eq=False)
class CityRun:
    """Everything one city's run produced (see :func:`run_city`)."""

    city: City
    coverage: CoverageResult
    plan: PlanResult | None
