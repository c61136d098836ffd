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

from planner._format import minutes_text, thousands
from planner.i18n import fmt_decimal, gettext, ngettext

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
        gettext("proven optimal")
        if exact
        # (best - plan) / best <= (bound - plan) / bound = gap, as best <= bound
        else gettext("best found, at most {gap} % short of the best possible ({status})").format(
            gap=fmt_decimal(100 * gap, digits=2), status=summary.get("solver_status")
        )
    )
    vehicles = summary.get("vehicles")
    lines = [
        "## " + gettext("Service vehicles"),
        "",
        ngettext(
            # English says "1 vehicles", as it always has
            "{n} vehicles, each at a working station, reach residents within {minutes} minutes' "
            "drive (free-flow speeds: the `maxspeed` of each street or a default per road class; "
            "one-way streets respected, turn restrictions ignored), then at most {kerb} m on foot "
            "from the nearest drivable street. Residents served (within walking distance of any "
            "working station or within the drive of a station with a vehicle): {served} of "
            "{total} ({share} %); {walk} on foot, {gain} more by car. The allocation is {solved}.",
            "{n} vehicles, each at a working station, reach residents within {minutes} minutes' "
            "drive (free-flow speeds: the `maxspeed` of each street or a default per road class; "
            "one-way streets respected, turn restrictions ignored), then at most {kerb} m on foot "
            "from the nearest drivable street. Residents served (within walking distance of any "
            "working station or within the drive of a station with a vehicle): {served} of "
            "{total} ({share} %); {walk} on foot, {gain} more by car. The allocation is {solved}.",
            vehicles if isinstance(vehicles, int | float) else 0,
        ).format(
            n=vehicles,
            minutes=minutes_text(float(summary.get("drive_min") or 0)),
            kerb=minutes_text(float(summary.get("max_kerb_m") or 0)),
            served=n(summary.get("served")),
            total=n(summary.get("residents_total")),
            share=fmt_decimal(100 * float(summary.get("served_share") or 0), digits=1),
            walk=n(summary.get("walk_covered")),
            gain=n(summary.get("vehicle_gain")),
            solved=solved,
        ),
        "",
    ]
    placed = int(summary.get("placed") or 0)
    asked = int(summary.get("vehicles") or 0)
    if placed < asked:
        lines += [
            ngettext(
                "{n} of the {asked} vehicles adds nobody under this measure (every station whose "
                "car would reach anyone new has one; a second car at a station reaches the same "
                "streets): they are not placed.",
                "{n} of the {asked} vehicles add nobody under this measure (every station whose "
                "car would reach anyone new has one; a second car at a station reaches the same "
                "streets): they are not placed.",
                asked - placed,
            ).format(n=asked - placed, asked=asked),
            "",
        ]
    rows = summary.get("stations") or []
    if rows:
        header = [
            gettext("rank"),
            gettext("station"),
            gettext("id"),
            gettext("residents gained (in this order)"),
        ]
        lines += [
            "| " + " | ".join(header) + " |",
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
    exact = (
        gettext("proven optimal")
        if plan.siting.proven_optimal
        else gettext("gap {gap} %").format(gap=fmt_decimal(100 * plan.gap, digits=2))
    )
    return gettext(
        "vehicles: {placed} of {n} placed; +{gain} residents within {minutes} min drive; served "
        "on foot or by car {served} ({share} %), {exact}"
    ).format(
        placed=plan.placed,
        n=plan.n_vehicles,
        gain=thousands(plan.vehicle_gain),
        minutes=minutes_text(plan.drive_min),
        served=thousands(plan.served),
        share=fmt_decimal(100 * share, digits=1),
        exact=exact,
    )
