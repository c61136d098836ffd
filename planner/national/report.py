"""The national outputs: national.gpkg, national.json, national.md and national.html.

``national.json`` keeps this shape, so anyone can re-check the allocation from the curves::

    {"new_stations": N, "residents": ..., "covered_before": ..., "covered_after": ...,
     "gap": ..., "units": [{"name": ..., "status": "ok" or the failure reason,
     "residents": ..., "covered_before": ..., "covered_after": ..., "new_stations": k,
     "min_new": ..., "max_new": ..., "curve": [{"k": 0, "covered": ..., "bound": ...}, ...]}]}

``covered`` in a curve is the residents within walking distance with ``k`` new sites (existing
stations included), ``bound`` the proven upper bound for ``k``. The allocation maximises the
sum of ``covered`` at the allocated ``k`` (the curve is flat beyond its last ``k``).
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner import i18n
from planner._crs import WGS84
from planner._files import RECORDED_LIBRARIES, library_versions
from planner._format import (
    TIME_LIMIT_LINE,
    count_text,
    illustrative_labels,
    number_or_none,
    thousands,
)
from planner._version import __version__
from planner.i18n import N_, gettext, ngettext
from planner.maps import national_map
from planner.national.results import NationalResult, allocation_table, vehicle_table
from planner.national.units import buffer_m_for
from planner.outputs import (
    redistribution_lines,
    tag_map_run,
    write_geopackage,
    write_json,
    write_map,
    write_text,
)
from planner.report import redistribution_dict
from planner.vehicles import DRIVE_AREA_COLUMNS

__all__ = [
    "national_dict",
    "national_markdown",
    "national_vehicle_lines",
    "national_vehicles_dict",
    "write_national",
]


def write_national(
    folder: str | Path,
    result: NationalResult,
    *,
    run_id: str | None = None,
    command: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """Write the four national files into ``folder``; returns them by kind.

    ``run_id`` goes into national.json (``run_id``), the memo's last line, a meta tag of the
    map and the GeoPackage's one-row ``run`` table; ``command`` (how the run was started) goes
    into national.json as is.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    summary = national_dict(result)
    if command is not None:
        summary["command"] = dict(command)
    layers = national_layers(result)
    units = layers["units"].copy()
    for lang in ("ru", "kk"):  # the units' names in Russian and Kazakh, where known
        local = [getattr(spec, f"name_{lang}", None) for spec in result.unit_specs]
        if any(local):
            units[f"name_{lang}"] = local
    units["map_link"] = [
        f"units/{f}/map.html" if s == "ok" and _has_files(result, u.name) else None
        for f, s, u in zip(units["folder"], units["status"], result.units, strict=True)
    ]
    moves = result.redistribution
    the_map = national_map(
        units,
        summary=summary,
        title=gettext("National plan"),
        inspector_moves=None if moves is None else moves.moves,
        vehicle_areas=layers.get("vehicle_areas"),
    )
    memo = national_markdown(summary)
    run = None
    if run_id is not None:
        summary["run_id"] = run_id
        memo += (
            "\n"
            + gettext("Run id: `{run_id}` (the same in every file this run wrote).").format(
                run_id=run_id
            )
            + "\n"
        )
        tag_map_run(the_map, run_id)
        run = {"run_id": run_id, "created": summary.get("created")}
    return {
        "gpkg": write_geopackage(folder / "national.gpkg", layers, run=run),
        "json": write_json(folder / "national.json", summary),
        "md": write_text(folder / "national.md", memo),
        "map": write_map(folder / "national.html", the_map),
    }


def national_layers(result: NationalResult) -> dict[str, gpd.GeoDataFrame]:
    """Layers ``units``, ``sites``, (with ``--vehicles``) ``vehicle_areas``, (when some
    stations fall in no unit) ``stations_not_assigned`` and (when some homes do)
    ``residents_outside_units``, in EPSG:4326."""
    table = allocation_table(result)
    outlines = [
        shapely.from_wkb(u.outline_wkb) if u.outline_wkb is not None else None for u in result.units
    ]
    units = gpd.GeoDataFrame(table, geometry=outlines, crs=WGS84)
    rows = []
    for u in result.units:
        w = result.written.get(u.name)
        if w is None:
            continue
        for site in w.sites:
            rows.append({"unit": u.name, **site})
    sites = gpd.GeoDataFrame(
        rows,
        columns=[
            "unit",
            "rank",
            "candidate_id",
            "name",
            "newly_covered",
            "cumulative",
            "lon",
            "lat",
        ],
        geometry=gpd.points_from_xy([r["lon"] for r in rows], [r["lat"] for r in rows]),
        crs=WGS84,
    )
    if result.vehicle_allocation is not None:  # --vehicles: see planner.vehicles
        vehicles = vehicle_table(result)
        for column in vehicles.columns.drop("name"):
            units[column] = vehicles[column].to_numpy()
    layers = {"units": units, "sites": sites}
    if result.vehicle_allocation is not None:
        layers["vehicle_areas"] = _vehicle_areas(result)
    outside = result.stations_outside
    if outside is not None and len(outside):
        keep = [c for c in ("row", "station_id", "name", "problem") if c in outside.columns]
        layers["stations_not_assigned"] = outside[[*keep, "geometry"]].to_crs(WGS84)
    homes = result.residents_outside
    if homes is not None and len(homes):
        layers["residents_outside_units"] = homes.to_crs(WGS84)
    if result.redistribution is not None:
        layers["inspector_moves"] = result.redistribution.moves.to_crs(WGS84)
    return layers


def _vehicle_areas(result: NationalResult) -> gpd.GeoDataFrame:
    """Every unit's service vehicles as its files show them: one row per vehicle, its drive-time
    area and base station (EPSG:4326)."""
    rows, geometry = [], []
    for u in result.units:
        w = result.written.get(u.name)
        for area in w.vehicle_areas if w is not None else ():
            rows.append({"unit": u.name, **{k: v for k, v in area.items() if k != "wkb"}})
            geometry.append(shapely.from_wkb(area["wkb"]))
    return gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["unit", *DRIVE_AREA_COLUMNS]),
        geometry=gpd.GeoSeries(geometry, crs=WGS84),
    )


def national_dict(result: NationalResult) -> dict[str, Any]:
    """The machine-readable national summary (shape in the module docstring)."""
    alloc = result.allocation
    table = allocation_table(result)
    ok = table["status"] == "ok"
    residents = float(table.loc[ok, "residents"].sum())
    before = float(table.loc[ok, "covered_before"].sum())
    after = float(table.loc[ok, "covered_after"].sum())
    units = []
    greedy = result.greedy.new_stations
    for u, spec, row, g in zip(
        result.units, result.unit_specs, table.itertuples(), greedy, strict=True
    ):
        entry: dict[str, Any] = {
            "name": u.name,
            **{
                f"name_{lang}": getattr(spec, f"name_{lang}")
                for lang in ("ru", "kk")
                if getattr(spec, f"name_{lang}", None)
            },
            "status": row.status,
            "residents": number_or_none(row.residents),
            "covered_before": number_or_none(row.covered_before),
            "covered_after": number_or_none(row.covered_after),
            "share_before": number_or_none(row.share_before),
            "share_after": number_or_none(row.share_after),
            "new_stations": int(row.new_stations),
            "greedy_new_stations": int(g),
            "min_new": spec.min_new,
            "max_new": spec.max_new,
            "gap": number_or_none(row.gap),
            "stations_usable": u.stations_usable,
            "inspectors_needed": u.inspectors_needed if u.ok else None,
            "inspectors_now": u.inspectors_now if u.ok else None,
            "inspectors_missing": u.inspectors_missing if u.ok else None,
            "stations_total": u.stations_total,
            "buildings": u.buildings,
            "folder": f"units/{u.folder}" if u.ok and _has_files(result, u.name) else None,
            "source": spec.row,
            "seconds": round(u.runtime_s, 2),
            "time_limit_hit": bool(u.time_limit_hit),
            "refined_k": list(u.refined),
            "proven_through_k": _proven_through(u.proven_optimal) if u.ok else None,
            "notes": list(u.notes),
            "curve": [
                {
                    "k": k,
                    "covered": u.covered_before + c,
                    "bound": u.covered_before + b,
                    "proven_optimal": p,
                }
                for k, (c, b, p) in enumerate(
                    zip(u.newly_covered, u.upper_bound, u.proven_optimal, strict=True)
                )
            ]
            if u.ok
            else [],
        }
        units.append(entry)
    order = sorted(range(len(units)), key=lambda i: (-units[i]["new_stations"], i))
    upper = before + alloc.upper_bound
    settings = result.options.settings
    out: dict[str, Any] = {
        "kind": "national plan",
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "new_stations": alloc.budget,
        "new_stations_used": int(alloc.used),
        "residents": residents,
        "covered_before": before,
        "covered_after": after,
        "share_before": before / residents if residents else None,
        "share_after": after / residents if residents else None,
        "newly_covered": float(alloc.newly_covered),
        "upper_bound_covered": upper,
        "gap": float(alloc.gap),
        # the wall-clock safety net cut a unit's curve short: the plan depended on the machine
        "time_limit_hit": bool(result.time_limit_hit),
        "allocation": {
            # untranslated: a value of national.json (machine-readable)
            "method": "dynamic programming over the units' exact per-k curves",
            "newly_covered": float(alloc.newly_covered),
            "upper_bound_newly_covered": float(alloc.upper_bound),
            "gap": float(alloc.gap),
            "greedy_newly_covered": float(result.greedy.newly_covered),
            "unallocated": int(alloc.budget - alloc.used),
            "refinement": result.refinement,
            # the curve is proven at every k up to the unit's allocation + 1 (or its end)
            "units_proven_through_allocated_k_plus_1": sum(
                _proven_through(u.proven_optimal) >= min(int(k) + 1, len(u.proven_optimal) - 1)
                for u, k in zip(result.units, alloc.new_stations, strict=True)
                if u.ok
            ),
        },
        "target": result.target,
        "units_ok": result.n_ok,
        "units_failed": result.n_failed,
        "inspectors": _inspector_totals(result),
        "inspector_redistribution": (
            None if result.redistribution is None else redistribution_dict(result.redistribution)
        ),
        "units": [units[i] for i in order],
        "failed": [{"name": u.name, "reason": u.status} for u in result.units if not u.ok],
        "stations_not_assigned": _outside(result),
        "outside_units": _homes_outside(result, residents),
        "notes": list(result.notes),
        "parameters": {
            "max_walk_m": settings.max_walk_m,
            "max_walk_min": settings.max_walk_min,
            "speed_kmh": settings.speed_kmh,
            "max_snap_m": settings.max_snap_m,
            "spacing_m": result.options.spacing_m,
            "method": result.options.method,
            "time_limit_s_per_unit": (
                result.options.time_limit_s if result.options.time_limit_s < float("inf") else None
            ),
            "node_limit": result.options.node_limit,
            "target_share": result.options.target_share,
            "walking_buffer_m": _buffer_m(result),
            # untranslated: a value of national.json (machine-readable)
            "overlap_rule": "a resident in overlapping units counts in the unit listed first",
        },
        "inputs": list(result.inputs),
        "run": {
            "workers": result.workers,
            "scheduler": result.scheduler,
            "seconds": {k: round(v, 2) for k, v in result.timings_s.items()},
        },
        "software": {
            "planner_version": __version__,
            "python": platform.python_version(),
            **library_versions((*RECORDED_LIBRARIES, "dask", "distributed")),
        },
    }
    vehicles = national_vehicles_dict(result)
    if vehicles is not None:
        out["vehicles"] = vehicles
    return out


def _inspector_totals(result: NationalResult) -> dict[str, Any]:
    ok = [u for u in result.units if u.ok]
    counted = [u for u in ok if u.inspectors_now is not None]
    return {
        "residents_per_inspector": result.options.residents_per_inspector,
        "needed": sum(u.inspectors_needed for u in ok),
        "now": sum(u.inspectors_now or 0 for u in counted) if counted else None,
        "missing": sum(u.inspectors_missing or 0 for u in counted) if counted else None,
        "units_with_counts": len(counted),
        # untranslated: a value of national.json (machine-readable)
        "note": "needed = ceil(residents served / norm) at each working station; the norm is "
        "not an official figure (set it with --residents-per-inspector)",
    }


def _buffer_m(result: NationalResult) -> float:
    return buffer_m_for(result.options.settings)


def _homes_outside(result: NationalResult, in_units: float) -> dict[str, Any] | None:
    """The residents whose door lies in no unit: counted, never dropped silently."""
    homes = result.residents_outside
    if homes is None:
        return None  # a manifest: each file is its unit
    residents = float(homes["population"].sum())
    areas = homes["other_level_area"].dropna().value_counts(sort=False)
    return {
        "buildings": len(homes),
        "residents": residents,
        "share_of_all_residents": residents / (in_units + residents)
        if in_units + residents
        else None,
        "other_level_areas": [{"name": str(k), "buildings": int(v)} for k, v in areas.items()],
    }


def _has_files(result: NationalResult, name: str) -> bool:
    """Whether the unit's folder of city files was written (``--unit-outputs``)."""
    written = result.written.get(name)
    return written is not None and written.status == "ok" and written.files


def _refinement_lines(refinement: dict[str, Any] | None) -> list[str]:
    """The method's sentence on the curve points proven again for the allocation."""
    if not refinement or not refinement.get("points"):
        return []
    rounds = len(refinement["rounds"])
    return [
        "",
        ngettext(
            "The curve points the allocation depends on and that the first pass left unproven "
            "were solved again with the largest models HiGHS is given: {points} point(s) in "
            "{units} unit(s), in {rounds} round(s) (each round allocates again and asks which "
            "points can still narrow the national gap).",
            "The curve points the allocation depends on and that the first pass left unproven "
            "were solved again with the largest models HiGHS is given: {points} point(s) in "
            "{units} unit(s), in {rounds} round(s) (each round allocates again and asks which "
            "points can still narrow the national gap).",
            int(refinement["points"]),
        ).format(
            points=count_text(int(refinement["points"])),
            units=count_text(int(refinement["units"])),
            rounds=count_text(rounds),
        ),
    ]


def _proven_through(proven: Sequence[bool]) -> int:
    """The largest ``m`` such that the curve is proven at every ``k <= m``."""
    flags = np.asarray(proven, dtype=bool)
    open_points = np.flatnonzero(~flags)
    return int(open_points[0] - 1) if open_points.size else int(flags.size - 1)


def _outside(result: NationalResult) -> list[dict[str, Any]]:
    outside = result.stations_outside
    if outside is None or not len(outside):
        return []
    lonlat = outside.to_crs(WGS84)
    rows = []
    for i in range(len(outside)):
        geom = lonlat.geometry.iloc[i]
        has = geom is not None and not geom.is_empty
        rows.append(
            {
                "row": number_or_none(outside["row"].iloc[i]) if "row" in outside.columns else None,
                "name": outside["name"].iloc[i] if "name" in outside.columns else None,
                "reason": str(outside["problem"].iloc[i]),
                "lon": round(geom.x, 6) if has else None,
                "lat": round(geom.y, 6) if has else None,
            }
        )
    return rows


def _time_limited(s: dict[str, Any]) -> str:
    """The units whose curve the wall-clock safety net cut short, by name (and the inspector
    moves, when it stopped them)."""
    cut = [_display(u) for u in s["units"] if u.get("time_limit_hit")]
    if (s.get("inspector_redistribution") or {}).get("time_limit_hit"):
        cut.append(gettext("the inspector moves"))
    return ", ".join(cut) or gettext("none")


def _display(entry: Mapping[str, Any]) -> str:
    """A unit's name in the language in use (``name_ru``/``name_kk`` of national.json where
    the units' source had it), else its ``name``."""
    local = entry.get(f"name_{i18n.language()}")
    return str(local) if local else str(entry["name"])


def _count(n: Any) -> str:
    return "—" if n is None else thousands(n)


def _fixed(x: Any, digits: int = 0) -> str:
    """``x`` with ``digits`` decimals as the memo has always written it in English (no
    thousands separator), and with a decimal comma and spaced thousands in ru/kk."""
    value = float(x)
    if i18n.language() == "en":
        return f"{value:.{digits}f}"
    return i18n.fmt_decimal(value, digits=digits)


def _plain_number(x: Any) -> str:
    """A parameter as Python prints it (``4.8``), with a decimal comma in ru/kk."""
    return str(x) if i18n.language() == "en" else str(x).replace(".", ",")


def _pct(x: Any) -> str:
    return "—" if x is None else gettext("{value} %").format(value=_fixed(100 * x, 1))


def national_markdown(summary: dict[str, Any]) -> str:
    """The national memo, from :func:`national_dict`, in the language in use (numbers too:
    ``1 234 567``, ``18,9 %`` in ru/kk); unit names in it where national.json has them."""
    s = summary
    alloc = s["allocation"]
    params = s["parameters"]
    headline = gettext("- Budget: **{budget}** new stations; allocated **{used}**").format(
        budget=s["new_stations"], used=s["new_stations_used"]
    )
    if alloc["unallocated"]:
        headline += gettext(" ({n} left unallocated: no unit's residents gain from more)").format(
            n=alloc["unallocated"]
        )
    inspectors = s["inspectors"]
    inspector_line = gettext(
        "- District inspectors at the existing stations, at a norm of {norm} residents each "
        "(not an official figure): {needed} needed"
    ).format(
        norm=_count(inspectors["residents_per_inspector"]), needed=_count(inspectors["needed"])
    )
    if inspectors["now"] is not None:
        inspector_line += gettext(
            ", {now} there now, {missing} missing (units whose stations file gives counts)."
        ).format(now=_count(inspectors["now"]), missing=_count(inspectors["missing"]))
    else:
        inspector_line += "."
    inspector_line += " " + gettext(
        "Each station is counted once, in the unit containing it (the nearest unit if it "
        "lies in a walking buffer only), with the residents it serves in every unit; a station "
        "near a border still serves the residents of its neighbours."
    )
    lines = [
        gettext("# National plan: new district police stations within walking distance"),
        "",
        *[f"> **{label}**\n" for label in illustrative_labels(s)],
        gettext(
            "Created {created} by planner {version}. Walking limit {metres} m ({minutes} min at "
            "{speed} km/h)."
        ).format(
            created=s["created"],
            version=s["software"]["planner_version"],
            metres=_fixed(params["max_walk_m"]),
            minutes=_fixed(params["max_walk_min"]),
            speed=_plain_number(params["speed_kmh"]),
        ),
        "",
        gettext("## Headline"),
        "",
        headline + ".",
        ngettext(
            "- Residents in the {n} units computed: **{residents}** (estimated from building "
            "footprints unless an official population was given).",
            "- Residents in the {n} units computed: **{residents}** (estimated from building "
            "footprints unless an official population was given).",
            s["units_ok"],
        ).format(n=s["units_ok"], residents=_count(s["residents"])),
        gettext(
            "- Within walking distance now: {before} ({share_before}); after the plan: "
            "**{after} ({share_after})**."
        ).format(
            before=_count(s["covered_before"]),
            share_before=_pct(s["share_before"]),
            after=_count(s["covered_after"]),
            share_after=_pct(s["share_after"]),
        ),
        gettext(
            "- Proven: no allocation of the same stations can cover more than {bound} "
            "residents, so this plan is at most **{gap} %** short of the best possible "
            "(national optimality gap)."
        ).format(bound=_count(s["upper_bound_covered"]), gap=_fixed(100 * s["gap"], 2)),
        *(
            [
                gettext("- **{line}** Cut short: {units}.").format(
                    line=gettext(TIME_LIMIT_LINE), units=_time_limited(s)
                )
            ]
            if s.get("time_limit_hit")
            else []
        ),
        gettext(
            "- Greedy one-at-a-time allocation would cover {greedy} newly (the exact "
            "allocation: {exact})."
        ).format(
            greedy=_count(alloc["greedy_newly_covered"]), exact=_count(alloc["newly_covered"])
        ),
        inspector_line,
    ]
    if s.get("target"):
        t = s["target"]
        target = _fixed(100 * t["target_share"], 1)
        lines.append(
            gettext("- Target {share} %: reached with the fewest new stations, {n}.").format(
                share=target, n=s["new_stations_used"]
            )
            if t["reachable"]
            else gettext(
                "- Target {share} %: not reachable within {n} new stations; the plan uses the "
                "whole budget."
            ).format(share=target, n=s["new_stations"])
        )
    homes = s.get("outside_units")
    if homes and homes["buildings"]:
        lines.append(
            gettext(
                "- **{residents} residents ({share}) in {buildings} buildings lie in no unit** "
                "and count in none (layer `residents_outside_units`; see the notes)."
            ).format(
                residents=_count(homes["residents"]),
                share=_pct(homes["share_of_all_residents"]),
                buildings=_count(homes["buildings"]),
            )
        )
    if s["units_failed"]:
        lines.append(
            ngettext(
                "- **{n} unit(s) failed** and received no stations (reasons below).",
                "- **{n} unit(s) failed** and received no stations (reasons below).",
                s["units_failed"],
            ).format(n=s["units_failed"])
        )
    lines += [
        "",
        gettext("## Units, by new stations allocated"),
        "",
        gettext(
            "| unit | new stations | residents | covered now | covered after | unit gap | status |"
        ),
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for u in s["units"]:
        status = gettext("ok") if u["status"] == "ok" else u["status"]
        lines.append(
            f"| {_cell(_display(u))} | {u['new_stations']} | {_count(u['residents'])} | "
            f"{_pct(u['share_before'])} | {_pct(u['share_after'])} | "
            f"{_gap(u['gap'])} | {_cell(status)} |"
        )
    if s.get("inspector_redistribution"):
        lines += ["", *redistribution_lines(s["inspector_redistribution"], gpkg="national.gpkg")]
    if s["failed"]:
        names = {u["name"]: _display(u) for u in s["units"]}
        lines += ["", gettext("## Units that failed"), ""]
        lines += [
            f"- {_cell(names.get(f['name'], f['name']))}: {_cell(f['reason'])}" for f in s["failed"]
        ]
    if s["stations_not_assigned"]:
        rows = s["stations_not_assigned"]
        lines += [
            "",
            gettext("## Stations not assigned to any unit ({n})").format(n=len(rows)),
            "",
            gettext(
                "They lie outside every unit and its walking buffer, or their row is unusable; "
                "they are in national.json and the `stations_not_assigned` layer."
            ),
            "",
        ]
        for r in rows[:20]:
            lines.append(
                gettext("- row {row}: {name} — {reason}").format(
                    row=r["row"], name=_cell(r["name"] or ""), reason=r["reason"]
                )
            )
        if len(rows) > 20:
            lines.append(
                ngettext(
                    "- ... {n} more in national.json", "- ... {n} more in national.json",
                    len(rows) - 20,
                ).format(n=len(rows) - 20)
            )  # fmt: skip
    lines += national_vehicle_lines(
        s.get("vehicles"), names={u["name"]: _display(u) for u in s["units"]}
    )
    if s["notes"]:
        lines += ["", gettext("## Notes"), ""] + [f"- {_cell(n)}" for n in s["notes"]]
    lines += [
        "",
        gettext("## Method"),
        "",
        gettext(
            "Each unit ran the city pipeline on its own area plus a walking buffer of {metres} m "
            "(streets and stations across a border still serve; each resident counts in at most "
            "one unit, those in none are reported). For every k the unit's best plan of k new "
            "sites and a proven upper bound were computed; the stations were then allocated by "
            "dynamic programming over these curves (exact for any curve shape), and the same "
            "programme over the bound curves gives the national upper bound. See docs/method.md."
        ).format(metres=_fixed(params["walking_buffer_m"])),
        *_refinement_lines(s["allocation"].get("refinement")),
        "",
        gettext("## Inputs"),
        "",
    ]
    lines += [f"- {i['role']}: `{i['path']}` (sha256 {i['sha256'][:16]}…)" for i in s["inputs"]]
    seconds = s["run"]["seconds"]
    lines += [
        "",
        ngettext(
            "Run on {n} Dask worker(s) ({scheduler}); seconds: {seconds}.",
            "Run on {n} Dask worker(s) ({scheduler}); seconds: {seconds}.",
            s["run"]["workers"],
        ).format(
            n=s["run"]["workers"],
            scheduler=s["run"]["scheduler"],
            seconds=", ".join(
                f"{_step_name(k)} {_plain_number(f'{v:g}')}" for k, v in seconds.items()
            ),
        ),
        "",
    ]
    return "\n".join(lines)


#: The steps of national.json's ``run.seconds`` (keys without ``_s``), as the memo names them.
_STEPS = {
    "reading": N_("reading"),
    "units": N_("units"),
    "allocation": N_("allocation"),
    "unit_outputs": N_("unit_outputs"),
    "inspector_moves": N_("inspector_moves"),
    "national_outputs": N_("national_outputs"),
}


def _step_name(key: str) -> str:
    name = key.removesuffix("_s")
    return gettext(_STEPS[name]) if name in _STEPS else name


def _gap(value: Any) -> str:
    return "—" if value is None else gettext("{value} %").format(value=_fixed(100 * value, 2))


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def national_vehicles_dict(result: NationalResult) -> dict[str, Any] | None:
    """The vehicles' part of national.json (``None`` without ``--vehicles``)."""
    alloc = result.vehicle_allocation
    if alloc is None:
        return None
    table = vehicle_table(result)
    ok = [u.ok for u in result.units]
    residents = sum(u.residents for u in result.units if u.ok)
    before = sum(u.covered_before for u in result.units if u.ok)
    return {
        "vehicles": result.options.vehicles,
        "drive_min": result.options.drive_min,
        "placed": int(alloc.used),
        "vehicle_gain": float(alloc.newly_covered),
        "upper_bound": float(alloc.upper_bound),
        "gap": float(alloc.gap),
        "residents": float(residents),
        "walk_covered": float(before),
        "share_served": (before + alloc.newly_covered) / residents if residents else 0.0,
        "units": [
            {
                "name": r.name,
                "vehicles": int(r.vehicles),
                "vehicle_gain": float(r.vehicle_gain),
                "stations": [s for s in str(r.vehicle_stations).split(";") if s],
            }
            for r, good in zip(table.itertuples(), ok, strict=True)
            if good and r.vehicles > 0
        ],
    }


def national_vehicle_lines(
    summary: Mapping[str, Any] | None, *, names: Mapping[str, str] | None = None
) -> list[str]:
    """The national memo's section on service vehicles (``names``: a unit's name as the memo
    shows it, by its national.json ``name``)."""
    if not isinstance(summary, Mapping):
        return []
    shown_names = names or {}

    def n(x: Any) -> str:
        return thousands(float(x))

    gap = float(summary.get("gap") or 0.0)
    lines = [
        "",
        gettext("## Service vehicles"),
        "",
        ngettext(
            "{vehicles} vehicles shared among the units' working stations (at most one per "
            "station) by the same dynamic programme as the new stations, over each unit's exact "
            "curve of residents reached within {minutes} minutes' drive and not within walking "
            "distance of a station (free-flow speeds, one-way streets, turn restrictions "
            "ignored; vehicles go to existing stations, the new stations' walking areas are not "
            "counted). Placed: {placed}; residents gained: **{gained}**; served on foot or by "
            "car: {share} % of {residents}. Proven: no allocation gains more than {bound} (at "
            "most {gap} % short).",
            "{vehicles} vehicles shared among the units' working stations (at most one per "
            "station) by the same dynamic programme as the new stations, over each unit's exact "
            "curve of residents reached within {minutes} minutes' drive and not within walking "
            "distance of a station (free-flow speeds, one-way streets, turn restrictions "
            "ignored; vehicles go to existing stations, the new stations' walking areas are not "
            "counted). Placed: {placed}; residents gained: **{gained}**; served on foot or by "
            "car: {share} % of {residents}. Proven: no allocation gains more than {bound} (at "
            "most {gap} % short).",
            int(summary["vehicles"]),
        ).format(
            vehicles=summary["vehicles"],
            minutes=_plain_number(f"{float(summary['drive_min']):g}"),
            placed=summary["placed"],
            gained=n(summary["vehicle_gain"]),
            share=_fixed(100 * float(summary["share_served"]), 1),
            residents=n(summary["residents"]),
            bound=n(summary["upper_bound"]),
            gap=_fixed(100 * gap, 2),
        ),
        "",
    ]
    placed = int(summary.get("placed") or 0)
    if placed < int(summary["vehicles"]):
        lines += [
            ngettext(
                "{n} vehicles add nobody anywhere under this measure (every station whose car "
                "would reach anyone new has one): not placed.",
                "{n} vehicles add nobody anywhere under this measure (every station whose car "
                "would reach anyone new has one): not placed.",
                int(summary["vehicles"]) - placed,
            ).format(n=int(summary["vehicles"]) - placed),
            "",
        ]
    units = summary.get("units") or []
    if units:
        lines += [
            gettext("| unit | vehicles | residents gained | stations |"),
            "|---|---:|---:|---|",
        ]
        shown = sorted(units, key=lambda r: -r["vehicles"])[:30]
        for r in shown:
            stations = ", ".join(r["stations"][:8]) + (" …" if len(r["stations"]) > 8 else "")
            name = shown_names.get(r["name"], r["name"])
            lines.append(
                f"| {_cell(name)} | {r['vehicles']} | {n(r['vehicle_gain'])} | {_cell(stations)} |"
            )
        if len(units) > 30:
            lines.append(
                ngettext(
                    "| … {n} more units in national.json | | | |",
                    "| … {n} more units in national.json | | | |",
                    len(units) - 30,
                ).format(n=len(units) - 30)
            )
    return lines
