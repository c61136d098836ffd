"""The service vehicles' outputs: summary.json part, memo section, map layer.

Kept apart from :mod:`planner.vehicles` (the allocation) so that the memo can be written from a
summary dict alone, as every other memo section is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np

from planner._crs import WGS84
from planner._format import thousands

if TYPE_CHECKING:
    from planner.vehicles import VehiclePlan

__all__ = [
    "LAYER_VEHICLES",
    "add_vehicle_layer",
    "add_vehicle_layers",
    "vehicle_lines",
    "vehicle_summary_line",
    "vehicles_dict",
]

#: Name of the map layer of drive-time areas.
LAYER_VEHICLES = "Service vehicles: drive-time areas"
VEHICLE_COLOR = "#2ca25f"


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


def add_vehicle_layer(the_map: folium.Map, plan: VehiclePlan) -> None:
    """Add the drive-time areas of the stations with a vehicle to a run's map (one layer,
    shown at start, listed in the layer control)."""
    areas = plan.drive_areas
    if not len(areas):
        return
    frame = areas.to_crs(WGS84)
    frame["geometry"] = frame.geometry.simplify(0.00005)
    frame["label"] = [
        f"{r.name or r.station_id}: car within {r.drive_min:g} min, "
        f"+{thousands(r.residents_gained)} residents (rank {r.rank})"
        for r in frame.itertuples()
    ]
    frame["residents_gained"] = np.round(frame["residents_gained"].to_numpy(dtype=float))
    layer = folium.FeatureGroup(name=f"{LAYER_VEHICLES} ({plan.drive_min:g} min)", show=True)
    folium.GeoJson(
        frame[["label", "station_id", "residents_gained", "geometry"]].to_json(),
        style_function=lambda _: {
            "color": VEHICLE_COLOR,
            "weight": 1,
            "fillColor": VEHICLE_COLOR,
            "fillOpacity": 0.15,
        },
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    ).add_to(layer)
    # the layer control names the layers it lists in its script: it must come after them
    controls = [
        (key, child)
        for key, child in the_map._children.items()
        if isinstance(child, folium.LayerControl)
    ]
    for key, _ in controls:
        del the_map._children[key]
    the_map.add_child(layer)
    for key, child in controls:
        the_map.add_child(child, name=key)


def vehicle_summary_line(plan: VehiclePlan) -> str:
    """One line for the command line's summary."""
    share = plan.served / plan.residents_total if plan.residents_total else 0.0
    exact = "proven optimal" if plan.siting.proven_optimal else f"gap {100 * plan.gap:.2f} %"
    return (
        f"vehicles: {plan.placed} of {plan.n_vehicles} placed; +{thousands(plan.vehicle_gain)} "
        f"residents within {plan.drive_min:g} min drive; served on foot or by car "
        f"{thousands(plan.served)} ({100 * share:.1f} %), {exact}"
    )
