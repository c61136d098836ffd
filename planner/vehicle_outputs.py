"""A city run's service vehicles in its outputs: summary.json part, memo section, GeoPackage
columns and layer, the command line's line (the map's layer is
:func:`planner.maps.city.vehicles_layer`).

Kept apart from :mod:`planner.vehicles` (the allocation) so that the memo can be written from a
summary dict alone, as every other memo section is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np

from planner._format import thousands

if TYPE_CHECKING:
    from planner.vehicles import VehiclePlan

__all__ = [
    "add_vehicle_layers",
    "vehicle_lines",
    "vehicle_summary_line",
    "vehicles_dict",
]


def vehicles_dict(plan: VehiclePlan) -> dict[str, Any]:
    """The vehicles' part of summary.json."""
    st = plan.stations
    with_car = st[st["vehicles"].to_numpy() > 0]
    order = plan.drive_areas
    return {
        "vehicles": plan.n_vehicles,
        "placed": plan.placed,
        "drive_min": plan.drive_min,
        "max_kerb_m": plan.max_kerb_m,
        "residents_total": plan.residents_total,
        "walk_covered": plan.walk_covered,
        "vehicle_gain": plan.vehicle_gain,
        "served": plan.served,
        "served_share": plan.served / plan.residents_total if plan.residents_total else 0.0,
        "upper_bound": plan.upper_bound,
        "gap": plan.gap,
        "proven_optimal": bool(plan.siting.proven_optimal),
        "solver_status": plan.siting.solver_status,
        "time_limit_hit": bool(plan.siting.time_limit_hit),
        "stations": [
            {
                "rank": int(r.rank),
                "station_id": None if r.station_id is None else str(r.station_id),
                "name": None if r.name is None or r.name != r.name else str(r.name),
                "residents_gained": float(r.residents_gained),
            }
            for r in order.itertuples()
        ],
        "stations_with_vehicle": len(with_car),
    }


def vehicle_lines(summary: Mapping[str, Any] | None) -> list[str]:
    """The memo's section on service vehicles (empty without ``--vehicles``)."""
    if not isinstance(summary, Mapping):
        return []

    def n(x: Any) -> str:
        return thousands(float(x))

    exact = summary.get("proven_optimal")
    gap = float(summary.get("gap") or 0.0)
    solved = (
        "proven optimal"
        if exact
        # (best - plan) / best <= (bound - plan) / bound = gap, as best <= bound
        else f"best found, at most {100 * gap:.2f} % short of the best possible "
        f"({summary.get('solver_status')})"
    )
    lines = [
        "## Service vehicles",
        "",
        f"{summary.get('vehicles')} vehicles, each at a working station, reach residents within "
        f"{float(summary.get('drive_min') or 0):g} minutes' drive (free-flow speeds: the "
        "`maxspeed` of each street or a default per road class; one-way streets respected, "
        "turn restrictions ignored), then at most "
        f"{float(summary.get('max_kerb_m') or 0):g} m on foot from the nearest drivable street. "
        f"Residents served (within walking distance of any working station or within the drive "
        f"of a station with a vehicle): {n(summary.get('served'))} of "
        f"{n(summary.get('residents_total'))} "
        f"({100 * float(summary.get('served_share') or 0):.1f} %); "
        f"{n(summary.get('walk_covered'))} on foot, {n(summary.get('vehicle_gain'))} more by car. "
        f"The allocation is {solved}.",
        "",
    ]
    placed = int(summary.get("placed") or 0)
    asked = int(summary.get("vehicles") or 0)
    if placed < asked:
        lines += [
            f"{asked - placed} of the {asked} vehicles "
            f"{'adds' if asked - placed == 1 else 'add'} nobody under this measure (every "
            "station whose car would reach anyone new has one; a second car at a station "
            "reaches the same streets): they are not placed.",
            "",
        ]
    rows = summary.get("stations") or []
    if rows:
        lines += [
            "| rank | station | id | residents gained (in this order) |",
            "|---:|---|---|---:|",
        ]
        for r in rows:
            lines.append(
                f"| {r.get('rank')} | {r.get('name') or ''} | {r.get('station_id') or ''} "
                f"| {n(r.get('residents_gained'))} |"
            )
        lines.append("")
    return lines


def add_vehicle_layers(layers: dict[str, gpd.GeoDataFrame], plan: VehiclePlan) -> None:
    """Add the vehicles to a run's GeoPackage layers: ``vehicles`` on ``stations``,
    ``drive_min_nearest`` (fastest drive from any working station, empty when none) and
    ``vehicle_reached`` on ``buildings``, and the ``vehicle_areas`` layer."""
    stations = layers["stations"]
    stations["vehicles"] = plan.stations["vehicles"].reindex(stations.index, fill_value=0)
    buildings = layers.get("buildings")
    if buildings is not None:
        minutes = plan.buildings["drive_min_nearest"].reindex(buildings.index).to_numpy(float)
        buildings["drive_min_nearest"] = np.where(np.isfinite(minutes), minutes, np.nan)
        reached = plan.buildings["vehicle_reached"].reindex(buildings.index, fill_value=False)
        buildings["vehicle_reached"] = reached.to_numpy(dtype=bool)
    layers["vehicle_areas"] = plan.drive_areas.copy()


def vehicle_summary_line(plan: VehiclePlan) -> str:
    """One line for the command line's summary."""
    share = plan.served / plan.residents_total if plan.residents_total else 0.0
    exact = "proven optimal" if plan.siting.proven_optimal else f"gap {100 * plan.gap:.2f} %"
    return (
        f"vehicles: {plan.placed} of {plan.n_vehicles} placed; +{thousands(plan.vehicle_gain)} "
        f"residents within {plan.drive_min:g} min drive; served on foot or by car "
        f"{thousands(plan.served)} ({100 * share:.1f} %), {exact}"
    )
