"""Turn pipeline results into the files a planner opens: plan.gpkg, summary.json/.md, map.html.

Everything is computed before anything is written, and each file is written atomically
(:mod:`planner.outputs`), so an interrupted run leaves the previous outputs intact.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np

from planner.maps import coverage_map
from planner.outputs import (
    summary_markdown,
    write_geopackage,
    write_json,
    write_map,
    write_text,
)
from planner.pipeline import City, CoverageResult, EvaluationResult, PlanResult, summary_dict

__all__ = ["build_layers", "build_map", "write_outputs"]

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
    "usable",
    "problem",
    "snap_m",
    "residents_nearest",
    "residents_within",
    "buildings_nearest",
    "buildings_within",
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
) -> dict[str, gpd.GeoDataFrame]:
    """The GeoPackage layers of a run (metric CRS; reprojected when written).

    ``districts`` (the city's district polygons) adds a ``districts`` layer carrying the
    per-district coverage numbers.
    """
    stations = coverage.stations
    layers = {
        "stations": stations[
            [c for c in STATION_COLUMNS if c in stations.columns] + ["geometry"]
        ].copy(),
        "service_areas": coverage.service_areas.copy(),
        "station_areas": coverage.station_areas.copy(),
        "buildings": _residents_layer(coverage, plan),
    }
    if coverage.by_district is not None and districts is not None:
        layers["districts"] = districts.merge(
            coverage.by_district, left_on="name", right_on="district", how="left"
        ).drop(columns="district")
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
    return layers


def build_map(
    city: City,
    coverage: CoverageResult,
    *,
    plan: PlanResult | None = None,
    evaluation: EvaluationResult | None = None,
    summary: dict[str, Any] | None = None,
    tiles: str | None = None,
) -> folium.Map:
    """The interactive map of a run (works offline; ``tiles`` adds an online background)."""
    buildings = plan.buildings if plan is not None else coverage.buildings
    if plan is not None:
        buildings = buildings[~buildings["covered_after"].to_numpy(dtype=bool)]
    return coverage_map(
        streets=city.network.edges_gdf()[["geometry"]],
        stations=coverage.stations,
        service_areas=coverage.service_areas,
        buildings=buildings,
        proposed_sites=plan.sites if plan is not None else None,
        proposals=evaluation.proposals if evaluation is not None else None,
        summary=summary,
        tiles=tiles,
    )


def write_outputs(
    out_dir: str | Path,
    *,
    city: City,
    coverage: CoverageResult,
    plan: PlanResult | None = None,
    evaluation: EvaluationResult | None = None,
    parameters: dict[str, Any] | None = None,
    tiles: str | None = None,
) -> dict[str, Path]:
    """Write plan.gpkg, summary.json, summary.md and map.html into ``out_dir``.

    Returns
    -------
    dict
        The written files by kind (``"gpkg"``, ``"json"``, ``"md"``, ``"map"``).
    """
    out_dir = Path(out_dir)
    summary = summary_dict(city, coverage, plan=plan, evaluation=evaluation, parameters=parameters)
    layers = build_layers(coverage, plan=plan, evaluation=evaluation, districts=city.districts)
    the_map = build_map(
        city, coverage, plan=plan, evaluation=evaluation, summary=summary, tiles=tiles
    )
    memo = summary_markdown(summary)
    out_dir.mkdir(parents=True, exist_ok=True)
    return {
        "gpkg": write_geopackage(out_dir / "plan.gpkg", layers),
        "json": write_json(out_dir / "summary.json", summary),
        "md": write_text(out_dir / "summary.md", memo),
        "map": write_map(out_dir / "map.html", the_map),
    }
