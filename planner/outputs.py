"""Files for GIS and memos: a GeoPackage, JSON, Markdown and the map, each written atomically.

Every writer goes through :func:`atomic_path`: the content is written to a hidden temporary file in
the destination folder and moved over the destination with :func:`os.replace` only once it is
complete. An interrupted or failed run therefore leaves the previous file intact (or no file),
never a half-written one, and leaves no temporary file behind.

Summary schema
--------------
:func:`summary_markdown`, :func:`write_json` and the legend of :func:`planner.maps.coverage_map`
share one ``summary`` dict. Only ``coverage.residents_total`` and ``coverage.residents_covered``
are required; every other key is optional and shown as "not recorded" when missing::

    {
        "city": "Almaty",
        "created": "2025-11-21T22:40:00Z",            # ISO 8601, UTC
        "data": {
            "osm_file": "almaty_2012.osm.pbf",
            "sha256": "9f86d0...",                     # file_sha256(osm_file)
            "data_date": "2012-06-01",                 # OSM replication timestamp of the extract
            "inputs": [                                # other input files, optional
                {"role": "stations", "path": "stations.csv", "sha256": "..."},
                {"role": "bbox", "value": [76.85, 43.2, 76.98, 43.3]},  # not a file
            ],
        },
        "parameters": {                                # the settings the run used, flat
            "max_walk_m": 800.0, "max_walk_min": 10.0, "speed_kmh": 4.8, "max_snap_m": 250.0,
            "n_sites": 5, ...
        },
        "stations": {                                  # the existing stations read
            "total": 36, "usable": 35,
            "beyond_reach": 9964,                      # rows of the file left out: too far
            "unusable": [{"station_id": "...", "name": "...", "problem": "..."}],
        },
        "coverage": {                                  # before the plan: existing stations
            "residents_total": 123456,
            "residents_covered": 98765,
            "share_covered": 0.8,                      # 0..1
            "buildings_total": 5000,
            "buildings_beyond": 420,                   # residential buildings beyond the limit
            "walk_m_percentiles": {"50": 430.0, "90": 1320.0},
        },
        "plan": {                                      # after the proposed sites, optional
            "n_sites": 3,
            "residents_covered_after": 118000,
            "share_covered_after": 0.956,
            "sites": [                                 # rollout order, as in the sites layer
                {"rank": 1, "name": "...", "marginal_population": 9000,
                 "cumulative_population": 9000,    # newly covered by sites 1..rank
                 "cumulative_share": 0.873},       # all covered / total, existing included
            ],
        },
        "vehicles": {                                  # with --vehicles (planner.vehicle_outputs)
            "vehicles": 10, "placed": 10, "drive_min": 5.0, "walk_covered": 208330,
            "vehicle_gain": 775817, "served": 984148, "gap": 0.0, "stations": [...],
        },
        "software": {"planner_version": "0.1.0", "python": "3.11.7", "osmnx": "2.0.1", ...},
        "run_id": "20251121T224000Z-1a2b3c",          # the same in every file of the run
        "command": {"argv": [...], "options": {...}},  # how the run was started (CLI)
    }
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._files import atomic_path, checkpoint, file_sha256, write_text
from planner._format import (
    NO_LIMIT,
    TIME_LIMIT_LINE,
    count_text,
    illustrative_labels,
    limit_text,
    lookup,
    metres_text,
    share_text,
)
from planner.errors import InputError
from planner.i18n import gettext
from planner.maps import save_map
from planner.output_set import output_set
from planner.stations import beyond_reach_text
from planner.vehicle_outputs import vehicle_lines

if TYPE_CHECKING:
    import folium

__all__ = [
    "atomic_path",
    "file_sha256",
    "output_set",
    "redistribution_headline",
    "redistribution_lines",
    "summary_markdown",
    "tag_map_run",
    "write_geopackage",
    "write_json",
    "write_map",
    "write_text",
]

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]

#: Longest layer or field name accepted: PostgreSQL's identifier limit, so layers can be loaded
#: into PostGIS unchanged (GeoPackage itself has no limit, Shapefile's is 10).
MAX_NAME_LENGTH = 63
def write_json(path: PathLike, data: Any) -> Path:
    """Write ``data`` as indented UTF-8 JSON, atomically.

    numpy and pandas scalars and arrays, dates, paths, sets and dataclasses are converted to
    plain JSON; NaN, infinities, ``pd.NA`` and ``NaT`` become ``null`` (JSON has no NaN).

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    TypeError
        If a value cannot be represented in JSON; the message names where it is in ``data``.
    """
    text = json.dumps(_jsonable(data, "data"), indent=2, ensure_ascii=False, allow_nan=False)
    return write_text(path, text + "\n")


def write_map(path: PathLike, m: folium.Map) -> Path:
    """Render a folium map to a single self-contained HTML file, atomically.

    Same as :func:`planner.maps.save_map` (argument order as in the other ``write_*``).
    """
    return save_map(m, path)


def tag_map_run(m: folium.Map, run_id: str) -> None:
    """Put ``<meta name="planner-run-id" content="...">`` into the map page's head."""
    import folium
    from branca.element import Figure

    root = m.get_root()
    if not isinstance(root, Figure):  # pragma: no cover - folium maps always have one
        raise TypeError(f"tag_map_run: the map's root is a {type(root).__name__}, not a Figure")
    root.header.add_child(folium.Element(f'<meta name="planner-run-id" content="{run_id}">'))


def _jsonable(obj: Any, where: str) -> Any:
    """Plain-JSON copy of ``obj``; ``where`` names the position for error messages."""
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, np.generic):
        return _jsonable(obj.item(), where)
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist(), where)
    if isinstance(obj, dt.datetime | dt.date | dt.time):
        return obj.isoformat()
    if isinstance(obj, pd.Timedelta | dt.timedelta):
        return obj.total_seconds()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _jsonable(dataclasses.asdict(obj), where)
    if isinstance(obj, pd.DataFrame):
        return _jsonable(obj.to_dict(orient="records"), where)
    if isinstance(obj, pd.Series):
        return _jsonable(obj.to_dict(), where)
    if isinstance(obj, Mapping):
        return {_json_key(k, where): _jsonable(v, f"{where}[{k!r}]") for k, v in obj.items()}
    if isinstance(obj, set | frozenset):
        items = [_jsonable(v, f"{where}[...]") for v in obj]
        with contextlib.suppress(TypeError):
            items.sort()
        return items
    if isinstance(obj, list | tuple):
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    raise TypeError(
        f"write_json: {where} is a {type(obj).__name__}, which cannot be written as JSON; "
        "convert it to a number, string, list or dict first (e.g. str(value))."
    )


def _json_key(key: Any, where: str) -> str:
    if isinstance(key, str):
        return key
    plain = _jsonable(key, where)
    if isinstance(plain, dict | list) or plain is None:
        raise TypeError(f"write_json: {where} has a key {key!r} that cannot be a JSON key")
    return str(plain).lower() if isinstance(plain, bool) else str(plain)


# --------------------------------------------------------------------------- GeoPackage


def write_geopackage(
    path: PathLike,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    crs: str | int | None = "EPSG:4326",
    run: Mapping[str, Any] | None = None,
) -> Path:
    """Write several GeoDataFrames as layers of one GeoPackage, atomically.

    The file is built in a temporary file next to ``path`` and replaces ``path`` only when every
    layer is written, so an interrupted run leaves the previous GeoPackage intact.

    Choices, for QGIS and colleagues' tools:

    - Layers are reprojected to ``crs``, EPSG:4326 by default (the house rule: computations are
      metric, exports are longitude/latitude; every GIS reads 4326 without a datum prompt).
      ``crs=None`` keeps each layer's own CRS (e.g. the metric UTM CRS, to measure in QGIS).
    - List, tuple, set, dict and array cells become JSON text; other non-text objects and
      categoricals become text; booleans stay booleans; a named index becomes a column.
    - Mixed Polygon/MultiPolygon layers are promoted to Multi*.

    Parameters
    ----------
    path
        Destination, conventionally ``.../plan.gpkg``.
    layers
        Layer name -> GeoDataFrame, written in this order. Names and column names must be
        unique ignoring case (SQLite), at most 63 characters, and no column may be called
        ``fid`` (the GeoPackage feature id).
    crs
        Target CRS of every layer, or ``None`` to keep each layer's CRS.
    run
        Facts about the run (e.g. ``{"run_id": ..., "created": ...}``), written as a one-row
        table ``run`` without geometry (a GeoPackage "attributes" table, shown by QGIS).

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    InputError
        Listing every problem with the layers (all of them, not just the first).
    """
    prepared = _prepare_layers(layers, crs=crs, run=run)
    with atomic_path(path) as tmp:
        for name, gdf in prepared.items():
            gdf.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
            checkpoint(f"gpkg-layer:{name}")
        if run:
            import pyogrio

            row = pd.DataFrame({k: [v] for k, v in run.items()})
            pyogrio.write_dataframe(row, tmp, layer="run", driver="GPKG")
    log.info("wrote %d layers to %s", len(prepared), path)
    return Path(path)


def _prepare_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    crs: str | int | None,
    run: Mapping[str, Any] | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    problems: list[str] = []
    if not isinstance(layers, Mapping) or not layers:
        raise InputError(
            "write_geopackage: no layers to write",
            hint="Pass a dict such as {'stations': stations, 'sites': sites}.",
        )
    seen_layers: dict[str, str] = {}
    for name, gdf in layers.items():
        if not isinstance(name, str) or not name.strip():
            problems.append(f"layer name {name!r} is not a non-empty string")
            continue
        if len(name) > MAX_NAME_LENGTH:
            problems.append(f"layer {name!r}: name is longer than {MAX_NAME_LENGTH} characters")
        if name.lower() in seen_layers:
            problems.append(
                f"layer {name!r}: same name as layer {seen_layers[name.lower()]!r} "
                "(GeoPackage layer names ignore case)"
            )
        seen_layers[name.lower()] = name
        if name.lower() == "run" and run:
            problems.append("layer 'run': the name is taken by the table of the run's facts")
        if not isinstance(gdf, gpd.GeoDataFrame):
            problems.append(f"layer {name!r}: is a {type(gdf).__name__}, not a GeoDataFrame")
            continue
        if gdf.crs is None:
            problems.append(f"layer {name!r}: has no CRS; set it with gdf.set_crs(...)")
        columns = [str(c) for c in _with_index(gdf).columns if c != gdf.geometry.name]
        seen_cols: dict[str, str] = {}
        for col in columns:
            if col.lower() == "fid":
                problems.append(
                    f"layer {name!r}: column {col!r} clashes with the GeoPackage feature id; "
                    "rename it, e.g. gdf.rename(columns={'fid': 'source_fid'})"
                )
            if len(col) > MAX_NAME_LENGTH:
                problems.append(
                    f"layer {name!r}: column {col[:20]!r}... is longer than "
                    f"{MAX_NAME_LENGTH} characters"
                )
            if col.lower() in seen_cols:
                problems.append(
                    f"layer {name!r}: columns {seen_cols[col.lower()]!r} and {col!r} differ "
                    "only in case, which GeoPackage cannot store"
                )
            seen_cols[col.lower()] = col
    if problems:
        raise InputError(
            f"write_geopackage: {len(problems)} problem(s) with the layers for the GeoPackage",
            problems,
            "Rename the layers or columns listed (gdf.rename(columns=...)) and write again.",
        )
    return {name: _prepare_frame(gdf, crs=crs) for name, gdf in layers.items()}


def _with_index(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Keep a named index (e.g. OSM ids) as columns; drop an anonymous one."""
    if any(n is not None for n in gdf.index.names):
        return gdf.reset_index()
    return gdf.reset_index(drop=True)


def _prepare_frame(gdf: gpd.GeoDataFrame, *, crs: str | int | None) -> gpd.GeoDataFrame:
    out = _with_index(gdf)  # a new frame: the caller's is never touched
    if crs is not None:
        out = out.to_crs(crs)
    out.columns = [c if c == out.geometry.name else str(c) for c in out.columns]
    geom_name = out.geometry.name
    for col in out.columns:
        if col == geom_name:
            continue
        series = out[col]
        if isinstance(series.dtype, gpd.array.GeometryDtype):
            out[col] = series.to_wkt()
        elif isinstance(series.dtype, pd.CategoricalDtype):
            out[col] = (
                series.astype(object)
                .where(series.notna(), None)
                .map(lambda v: v if v is None else str(v))
            )
        elif series.dtype == object:
            out[col] = _object_column(series)
    return out


def _object_column(series: pd.Series) -> pd.Series:
    """Booleans with gaps -> nullable boolean; strings stay; anything else -> text."""
    values = series.dropna()
    if len(values) and all(isinstance(v, bool | np.bool_) for v in values):
        return series.astype("boolean")
    if all(isinstance(v, str) for v in values):
        return series

    def to_text(v: Any) -> Any:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        if isinstance(v, str):
            return v
        if isinstance(v, list | tuple | set | frozenset | dict | np.ndarray):
            return json.dumps(_jsonable(v, "cell"), ensure_ascii=False)
        return str(v)

    return series.map(to_text).astype(object)


# --------------------------------------------------------------------------- memo


def _cell(value: Any) -> str:
    """A value for a Markdown table cell: text with ``|`` and newlines escaped."""
    if value is None:
        return "not recorded"
    return re.sub(r"\s*\n\s*", " ", str(value)).replace("|", "\\|")


def summary_markdown(summary: Mapping[str, Any]) -> str:
    """A one-page Markdown memo of a run: key numbers, plan, parameters, data, software.

    Parameters
    ----------
    summary
        The summary dict described in the module docstring. Only
        ``coverage.residents_total`` and ``coverage.residents_covered`` are required.

    Returns
    -------
    str
        Markdown text, ending with a newline.

    Raises
    ------
    InputError
        If required numbers are missing or not numbers (all such problems listed).
    """
    problems = []
    if not isinstance(summary, Mapping):
        raise InputError(
            f"summary_markdown: summary is a {type(summary).__name__}, not a dict",
            hint="Pass the summary dict described in planner.outputs.",
        )
    for key in ("residents_total", "residents_covered"):
        value = lookup(summary, "coverage", key)
        if value is None:
            problems.append(f"summary['coverage'][{key!r}] is missing")
        elif not isinstance(value, int | float | np.number) or isinstance(value, bool):
            problems.append(f"summary['coverage'][{key!r}] = {value!r} is not a number")
    if problems:
        raise InputError(
            "summary_markdown: the summary lacks the headline numbers",
            problems,
            "Fill summary['coverage'] from the coverage step before writing the memo.",
        )

    city = lookup(summary, "city")
    cov = summary["coverage"]
    total = float(cov["residents_total"])
    covered = float(cov["residents_covered"])
    share = lookup(cov, "share_covered")
    if share is None and total > 0:
        share = covered / total
    params = lookup(summary, "parameters") or {}
    limit = limit_text(params)

    lines = [f"# Police station coverage plan{f' — {city}' if city else ''}", ""]
    lines += [f"> **{_cell(label)}**\n" for label in illustrative_labels(summary)]
    created = lookup(summary, "created")
    version = lookup(summary, "software", "planner_version")
    lines += [
        f"Generated {created or 'at an unrecorded time'}"
        f"{f' by precinct-planner {version}' if version else ''}. "
        + (
            f"Walking limit: {limit}, measured along the street network."
            if limit != gettext(NO_LIMIT)
            else "Walking limit not recorded."
        ),
        "",
        "## Key numbers",
        "",
        "| | residents | share |",
        "|---|---:|---:|",
        f"| Residents in the study area | {count_text(total)} | 100.0% |",
        f"| Within {limit} of an existing station | {count_text(covered)} | {share_text(share)} |",
    ]
    plan = lookup(summary, "plan") or {}
    after = lookup(plan, "residents_covered_after")
    if after is not None:
        share_after = lookup(plan, "share_covered_after")
        if share_after is None and total > 0:
            share_after = float(after) / total
        n_sites = lookup(plan, "n_sites")
        lines.append(
            f"| Within {limit} after the {count_text(n_sites) + ' ' if n_sites else ''}"
            f"proposed stations | {count_text(after)} | {share_text(share_after)} |"
        )
    lines.append("")
    beyond = lookup(cov, "buildings_beyond")
    if beyond is not None:
        b_total = lookup(cov, "buildings_total")
        of_total = f" of {count_text(b_total)}" if b_total is not None else ""
        lines.append(f"Residential buildings beyond the limit: {count_text(beyond)}{of_total}.")
    far = lookup(summary, "stations", "beyond_reach")
    if far:
        lines.append(f"{beyond_reach_text(int(far))}.")
    lines += barrier_lines_text(lookup(summary, "barriers"))
    lines += optimisation_lines(plan)
    if lookup(summary, "time_limit_hit") and not lookup(plan, "time_limit_hit"):
        # the capacitated plan, a repair schedule, a comparison
        lines.append(gettext(TIME_LIMIT_LINE))
    pct = lookup(cov, "walk_m_percentiles")
    if isinstance(pct, Mapping) and pct:
        parts = [f"{k}th percentile {metres_text(v)}" for k, v in pct.items()]
        lines.append("Walk to the nearest existing station: " + ", ".join(parts) + ".")
    if lines[-1]:
        lines.append("")

    demand = lookup(summary, "demand") or {}
    cells = lookup(demand, "raster_cells_without_buildings")
    in_cells = lookup(demand, "residents_in_raster_cells_without_buildings")
    if cells:
        lines += [
            f"Demand points: {count_text(lookup(demand, 'buildings'))} residential buildings and "
            f"{count_text(cells)} population-raster cells with residents but no mapped "
            f"residential building ({count_text(in_cells)} residents, each cell a point at its "
            "centre).",
            "",
        ]

    lines += _site_lines(lookup(plan, "sites"))
    lines += _district_lines(summary)

    lines += _unusable_station_lines(lookup(summary, "stations"))
    lines += _review_lines(lookup(summary, "stations_review"))
    lines += redistribution_lines(lookup(summary, "inspector_redistribution"))
    lines += _capacity_lines(lookup(summary, "capacitated"))
    lines += vehicle_lines(lookup(summary, "vehicles"))

    lines += _record_lines(summary, params)
    return "\n".join(lines) + "\n"


def _site_lines(sites: Any) -> list[str]:
    """The memo's table of the proposed stations in rollout order."""
    lines: list[str] = []
    if isinstance(sites, list | tuple) and sites:
        with_district = any(isinstance(x, Mapping) and "district" in x for x in sites)
        lines += [
            "## Proposed stations in rollout order",
            "",
            "| rank | site |"
            + (" district |" if with_district else "")
            + " newly covered | newly covered, cumulative | share covered after |",
            "|---:|---|" + ("---|" if with_district else "") + "---:|---:|---:|",
        ]
        for site in sites:
            lines.append(
                f"| {_cell(lookup(site, 'rank'))} | {_cell(lookup(site, 'name') or '')} "
                + (f"| {_cell(lookup(site, 'district') or '')} " if with_district else "")
                + f"| {count_text(lookup(site, 'marginal_population'))} "
                f"| {count_text(lookup(site, 'cumulative_population'))} "
                f"| {share_text(lookup(site, 'cumulative_share'))} |"
            )
        lines.append("")
    return lines


def _record_lines(summary: Mapping[str, Any], params: Any) -> list[str]:
    """The memo's record of the run: parameters, data and inputs with checksums, software."""
    lines: list[str] = []
    lines += ["## Parameters", ""]
    if isinstance(params, Mapping) and params:
        lines += ["| parameter | value |", "|---|---|"]
        lines += [f"| `{_cell(k)}` | {_cell(v)} |" for k, v in params.items()]
    else:
        lines.append("Not recorded.")
    lines.append("")

    data = lookup(summary, "data") or {}
    lines += [
        "## Data",
        "",
        f"- OpenStreetMap extract: `{_cell(lookup(data, 'osm_file'))}`",
        f"- OSM data date: {_cell(lookup(data, 'data_date'))}",
        f"- SHA-256: `{_cell(lookup(data, 'sha256'))}`",
    ]
    for item in lookup(data, "inputs") or []:
        if lookup(item, "path") is None and lookup(item, "value") is not None:
            role, value = lookup(item, "role") or "input", lookup(item, "value")
            lines.append(f"- {_cell(role)}: {_cell(value)}")
            continue
        lines.append(
            f"- {_cell(lookup(item, 'role') or 'input')}: `{_cell(lookup(item, 'path'))}`, "
            f"SHA-256 `{_cell(lookup(item, 'sha256'))}`"
        )
    lines += ["- Map data © OpenStreetMap contributors, ODbL.", ""]

    software = lookup(summary, "software") or {}
    lines += ["## Software", ""]
    if isinstance(software, Mapping) and software:
        lines += [f"- {_cell(k)}: {_cell(v)}" for k, v in software.items()]
    else:
        lines.append("Not recorded.")
    run_id = lookup(summary, "run_id")
    if run_id:
        lines += ["", f"Run id: `{_cell(run_id)}` (the same in every file this run wrote)."]
    return lines


_BARRIER_WORDS = {
    "railway": "a railway",
    "water": "a river, canal or lake shore",
    "motorway": "a motorway or trunk road",
    "tram": "a tram line",
    "stream": "a stream",
    "wall": "a wall or fence",
}


def barrier_lines_text(barriers: Any) -> list[str]:
    """The memo's sentence on doors kept from being attached to a street across a barrier."""
    if not isinstance(barriers, Mapping):
        return []
    n = lookup(barriers, "buildings_across")
    if not n:
        return []
    by_kind = lookup(barriers, "across_by_kind") or {}
    parts = [
        f"{count_text(lookup(v, 'buildings'))} across {_BARRIER_WORDS.get(str(k), str(k))}"
        for k, v in by_kind.items()
    ]
    stranded = lookup(barriers, "buildings_not_snapped") or 0
    tail = (
        f" {count_text(stranded)} of them ({count_text(lookup(barriers, 'residents_not_snapped'))} "
        "residents) have no street on their own side within the snapping limit and count as "
        "unreachable."
        if stranded
        else ""
    )
    return [
        f"Barriers: the nearest street of {count_text(n)} residential buildings "
        f"({count_text(lookup(barriers, 'residents_across'))} residents) lies across a barrier "
        f"({', '.join(parts)}); they were attached to the nearest street on their own side "
        f"instead.{tail}"
    ]


def optimisation_lines(plan: Any) -> list[str]:
    """What the optimisation proved about a plan, in words (for the memo and the CLI).

    With a fixed number of stations: the plan's value and the proven bound on any plan of the
    same size. With a target share: first how many stations are proven necessary, then the same
    statement about coverage at the plan's size. A gap ``g`` is turned into "at most
    ``g / (1 - g)`` more" (:func:`planner.siting.at_most_more`), never "``g`` more".
    """
    gap = lookup(plan, "gap")
    status = lookup(plan, "solver_status")
    if gap is None or status is None:
        return []
    gap = float(gap)
    n = lookup(plan, "n_sites")
    stations = (
        f"{count_text(n)} new station{'' if n == 1 else 's'}"
        if n is not None
        else "as many stations"
    )
    method = lookup(plan, "method") or "exact"
    if method == "exact" and gap > 1e-6 and "limit" in str(status):
        lines = [
            f"Optimisation: not proven optimal; the exact solver stopped at its limit "
            f"({status})."
        ]
    else:
        lines = [f"Optimisation: {method} solver, {status}."]
    if lookup(plan, "time_limit_hit"):
        lines.append(gettext(TIME_LIMIT_LINE))
    fewest = lookup(plan, "fewest_sites")
    target = lookup(plan, "target_share")
    if isinstance(fewest, Mapping) and target is not None:
        lower = lookup(fewest, "lower_bound")
        reach = (
            f"reach {share_text(lookup(plan, 'share_covered_after'))} (target {share_text(target)})"
            if lookup(plan, "target_reachable") is not False
            else f"reach {share_text(lookup(plan, 'best_achievable_share'))}, all that these "
            f"candidate sites can reach (target {share_text(target)} is out of reach)"
        )
        if lookup(fewest, "proven_optimal"):
            proof = "proven: no plan with fewer stations from these candidate sites does."
        else:
            proof = (
                f"proven only that at least {count_text(lower)} are needed, so this plan may use "
                f"up to {count_text(int(n or 0) - int(lower or 0))} more than necessary."
            )
        lines.append(f"Fewest stations: {stations} {reach}; {proof}")
    walk = lookup(plan, "population_walk_m")
    if walk is not None:
        lines.append(
            "Shorter walks preferred: among plans covering as many residents, this one was "
            "sought with the least total walk of covered residents "
            f"({count_text(float(walk) / 1000)} resident-km to the nearest station; tie-break "
            "status in the line above)."
        )
    new = lookup(plan, "newly_covered")
    bound = lookup(plan, "upper_bound")
    if gap <= 1e-6:
        value = f" ({count_text(new)} residents newly within the limit)" if new is not None else ""
        lines.append(
            f"Coverage: proven best of all plans with {stations} from these candidate sites{value}."
        )
        return lines
    more = lookup(plan, "at_most_more")
    if more is None:  # the plan brings nobody new while the bound is positive
        lines.append(
            f"Coverage: optimality gap {100 * gap:.2f}%; plans with {stations} from these "
            f"candidate sites may bring up to {count_text(bound)} residents newly within the limit."
        )
        return lines
    claim = (
        f"more than {count_text(bound)} residents newly within the limit, at most "
        f"{100 * float(more):.2f}% more than this plan's {count_text(new)}"
        if bound is not None and new is not None
        else f"more than {100 * float(more):.2f}% more residents within the limit than this plan"
    )
    lines.append(
        f"Coverage: optimality gap {100 * gap:.2f}%; proven: no plan with {stations} from these "
        f"candidate sites brings {claim}."
    )
    return lines


def _district_lines(summary: Mapping[str, Any]) -> list[str]:
    """The memo's per-district table, with the calibration factors and their warnings."""
    rows = lookup(summary, "coverage_by_district")
    if not isinstance(rows, list | tuple) or not rows:
        return []
    info = lookup(summary, "districts") or {}
    lines = ["## Coverage by district", ""]
    note = lookup(info, "note")
    if note:
        lines += [str(note), ""]
    calibrated = bool(lookup(info, "calibrated"))
    unreliable = list(lookup(info, "unreliable") or [])
    if calibrated:
        limit = float(lookup(info, "max_factor") or 3.0)
        lines.append(
            "Residents were scaled district by district to the official populations of the "
            "districts file (the factor is official / estimated from the buildings)."
            + (
                f" **Not reliable: {', '.join(map(str, unreliable))}**: a factor outside "
                f"{1 / limit:.2f}..{limit:g} says the mapped buildings there are incomplete or "
                "wrong (their residents are spread over too few buildings), a district without "
                "an estimated resident cannot be scaled, one without an official figure is left "
                "as estimated (see the notes below); use a population raster "
                "(--population-raster)."
                if unreliable
                else ""
            )
        )
        lines.append("")
    after = any(isinstance(r, Mapping) and "residents_covered_after" in r for r in rows)
    header = "| district | residents | covered now | share |"
    rule = "|---|---:|---:|---:|"
    if after:
        header += " covered after the plan | share |"
        rule += "---:|---:|"
    if calibrated:
        header += " official population | factor | reliable |"
        rule += "---:|---:|---|"
    lines += [header, rule]
    for r in rows:
        cells = [
            _cell(lookup(r, "district")),
            count_text(lookup(r, "residents_total")),
            count_text(lookup(r, "residents_covered")),
            share_text(lookup(r, "share_covered")),
        ]
        if after:
            cells += [
                count_text(lookup(r, "residents_covered_after")),
                share_text(lookup(r, "share_covered_after")),
            ]
        if calibrated:
            factor = lookup(r, "calibration_factor")
            official = lookup(r, "official_population")
            cells += [
                "—" if _absent(official) else count_text(official),
                "—" if _absent(factor) else f"{float(factor):.2f}",
                "yes" if lookup(r, "reliable") else "**no**",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    notes = [
        f"- {_cell(lookup(r, 'district'))}: {_cell(lookup(r, 'calibration_note'))}"
        for r in rows
        if lookup(r, "calibration_note")
    ]
    if notes:
        lines += [*notes, ""]
    return lines


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, float | np.floating) and not math.isfinite(value))


def _capacity_quality(cap: Mapping[str, Any]) -> str:
    """Proven optimal only when the summary says so; never "exact" for a stopped solve."""
    quality = lookup(cap, "quality")
    if isinstance(quality, str) and quality:
        return _cell(quality)
    gap = 100 * float(lookup(cap, "gap") or 0)  # a summary written before "quality" existed
    return f"{_cell(lookup(cap, 'status'))}, gap {gap:.2f} %"


def _unusable_station_lines(stations: Any) -> list[str]:
    """Every station row left out of the analysis, with its file row and the reason."""
    bad = lookup(stations, "unusable") if isinstance(stations, Mapping) else None
    if not isinstance(bad, list | tuple) or not bad:
        return []
    lines = [
        f"## Stations left out ({len(bad)})",
        "",
        "These stations are not used anywhere in this memo (coverage, inspectors, plans). "
        "Rows of a stations file (the row is the file's line, the header being row 1) can be "
        "fixed there and the run repeated.",
        "",
        "| station | row | name | reason |",
        "|---|---:|---|---|",
    ]
    for st in bad:
        if not isinstance(st, Mapping):
            continue
        row = lookup(st, "row")
        lines.append(
            f"| {_cell(lookup(st, 'station_id'))} | {'' if row is None else _cell(row)} "
            f"| {_cell(lookup(st, 'name') or '')} | {_cell(lookup(st, 'problem'))} |"
        )
    return [*lines, ""]


def _capacity_lines(cap: Any) -> list[str]:
    """The memo's lines on the capacitated plan (with --capacity-inspectors)."""
    if not isinstance(cap, Mapping):
        return []
    lines = [
        "## With station capacities",
        "",
        "Every station, existing or new, serves at most "
        f"{count_text(lookup(cap, 'capacity_residents'))} residents "
        f"({lookup(cap, 'capacity_inspectors')} inspectors x "
        f"{count_text(lookup(cap, 'residents_per_inspector'))} residents). "
        "Residents within walking "
        f"distance and within capacity: {count_text(lookup(cap, 'assigned_before'))} now, "
        f"{count_text(lookup(cap, 'assigned_after'))} with "
        f"{len(lookup(cap, 'sites') or [])} new sites "
        f"({share_text(lookup(cap, 'share_assigned_after'))}); "
        f"{count_text(lookup(cap, 'over_capacity_after'))} within reach but beyond capacity. The "
        f"plan is {_capacity_quality(cap)}.",
        "",
    ]
    for site in lookup(cap, "sites") or []:
        lines.append(
            f"- {_cell(site.get('name'))} ({site.get('lat')}, {site.get('lon')}): "
            f"{count_text(site.get('assigned_residents'))} residents assigned"
        )
    if lines[-1]:
        lines.append("")
    return lines


def station_label(name: Any, station_id: Any) -> str:
    """A station as the memo, the CLI and the map name it: its name and its id, so that two
    stations with one name ("Участок 1") can be told apart."""
    if name is None or (isinstance(name, float) and math.isnan(name)) or name == "":
        return str(station_id)
    return f"{name} [{station_id}]"


#: What a station's "served" residents are, in every text that shows them.
SERVED_DEFINITION = (
    "Served: the residents for whom it is the nearest working station on foot, at any "
    "distance (its inspectors' workload; inspectors needed are counted from these); "
    "of them, 'within the walk' live within the walking limit."
)
#: The repair schedule's batches are a partition, not a sequence.
BATCH_ORDER_NOTE = (
    "The batches are numbered for reference only: their order is not a recommended sequence "
    "(any order leaves the same residents without access in each batch)."
)


def _review_lines(review: Any) -> list[str]:
    """The memo's section on repairs, inspectors and planned stations (if reviewed)."""
    if not isinstance(review, Mapping):
        return []
    lines = ["## Existing stations: repairs, inspectors, stations due to open", ""]
    scenarios = lookup(review, "scenarios") or []
    if scenarios:
        lines += ["| scenario | working stations | residents within the limit | share |"]
        lines += ["|---|---:|---:|---:|"]
        for sc in scenarios:
            lines.append(
                f"| {_cell(lookup(sc, 'scenario'))} | {count_text(lookup(sc, 'stations'))} "
                f"| {count_text(lookup(sc, 'residents_covered'))} "
                f"| {share_text(lookup(sc, 'share_covered'))} |"
            )
        lines.append("")
    insp = lookup(review, "inspectors") or {}
    norm = lookup(insp, "residents_per_inspector")
    if lookup(insp, "stations") == 0:
        lines += [
            "**Warning: no station is working** (every usable station is closed or planned): "
            "nobody is within walking distance of a working station, and 0 inspectors needed "
            "means no station to staff, not that none are needed.",
            "",
        ]
    if norm is not None:
        lines += [*inspector_lines(insp), ""]
    repairs = lookup(review, "repair_priorities") or []
    if repairs:
        lines += [
            "Stations under repair, most important first (residents who lose walking access "
            "while it is closed):",
            "",
            "| rank | station | only here | served | of them within the walk | move instead: "
            "gain | inspectors needed |",
            "|---:|---|---:|---:|---:|---:|---:|",
        ]
        for r in repairs:
            gain = lookup(r, "relocation_gain")
            label = station_label(lookup(r, "name"), lookup(r, "station_id"))
            lines.append(
                f"| {_cell(lookup(r, 'repair_rank'))} | {_cell(label)} "
                f"| {count_text(lookup(r, 'residents_only_here'))} "
                f"| {count_text(lookup(r, 'residents_served'))} "
                f"| {count_text(lookup(r, 'residents_served_within_limit'))} "
                f"| {'—' if gain is None else count_text(gain)} "
                f"| {count_text(lookup(r, 'inspectors_needed'))} |"
            )
        spacing = lookup(review, "relocation_spacing_m")
        lines += [
            "",
            "Move instead: the most residents within the walking limit if the station moved "
            f"within {count_text(lookup(review, 'relocation_radius_m'))} m on foot instead of "
            "being repaired, minus today's; the best among all street points "
            + (f"{count_text(spacing)} m apart there." if spacing is not None else "there."),
            "",
        ]
    schedule = lookup(review, "repair_schedule")
    if isinstance(schedule, Mapping):
        lines.append(
            f"Repair schedule, {_cell(lookup(schedule, 'batch_size'))} at a time: the worst batch "
            f"leaves {count_text(lookup(schedule, 'worst_batch_residents'))} residents without "
            f"walking access ({_cell(lookup(schedule, 'status'))}, gap "
            f"{100 * float(lookup(schedule, 'gap') or 0):.2f}%)."
        )
        lines.append(BATCH_ORDER_NOTE)
        for b in lookup(schedule, "batches") or []:
            names = ", ".join(
                station_label(n, s) for n, s in zip(b["names"], b["stations"], strict=True)
            )
            lines.append(
                f"- batch {b['batch']}: {_cell(names)} "
                f"({count_text(b['residents_without_access'])} without access)"
            )
        lines.append("")
    planned = lookup(review, "planned")
    if isinstance(planned, Mapping):
        lines.append(
            f"Planned stations ({count_text(lookup(planned, 'stations'))}): "
            "opening all would bring "
            f"{count_text(lookup(planned, 'newly_covered_if_all_open'))} more residents within the "
            f"limit; the best {count_text(lookup(planned, 'stations'))} sites from all candidates "
            f"would bring {count_text(lookup(planned, 'best_same_size_newly_covered'))} (the list "
            f"is at most {100 * float(lookup(planned, 'gap') or 0):.1f}% short). Open them in "
            "this order (each adds the most after those before it):"
        )
        for r in lookup(planned, "opening_order") or []:
            flags = f" — {r['flags']}" if r.get("flags") else ""
            label = station_label(r.get("name"), r.get("station_id"))
            lines.append(
                f"{r['opening_order']}. {_cell(label)}: "
                f"adds {count_text(r.get('added_in_order'))} in this position; "
                f"{count_text(r.get('alone'))} newly covered on its own, "
                f"{count_text(r.get('marginal'))} beyond the rest of the list{_cell(flags)}"
            )
        lines.append("")
    return lines


def inspector_lines(insp: Any) -> list[str]:
    """The inspector totals in words whose arithmetic closes (memo and CLI)."""
    norm = lookup(insp, "residents_per_inspector")
    now = lookup(insp, "now")
    needed = count_text(lookup(insp, "needed"))
    at_counted = count_text(lookup(insp, "needed_at_counted"))
    missing = count_text(lookup(insp, "missing"))
    surplus = count_text(lookup(insp, "surplus"))
    text = (
        f"District inspectors at a norm of {count_text(norm)} residents served per inspector "
        "(no verified official norm; set with --residents-per-inspector): "
        f"{needed} needed at the {count_text(lookup(insp, 'stations'))} working stations"
    )
    if now is None:
        text += " (the stations file gives no inspector counts)."
    else:
        text += (
            f"; at the {count_text(lookup(insp, 'stations_with_count'))} of them with a count, "
            f"{at_counted} needed and {count_text(now)} there now: "
            f"{missing} missing at stations short of the norm and "
            f"{surplus} surplus at stations above it "
            f"({at_counted} − {count_text(now)} = {missing} − {surplus})."
        )
    idle = lookup(insp, "listed_not_working")
    if idle:
        text += (
            f" {count_text(idle)} more inspectors are listed at "
            f"{count_text(lookup(insp, 'stations_not_working_with_count'))} stations that are not "
            "working (planned or closed); they are not counted above, since nobody is served "
            "there yet."
        )
    return [text, "", SERVED_DEFINITION]


#: Moves listed in the memo (summary.json lists more; the GeoPackage layer has them all).
MEMO_MOVES = 30


def _km(metres: Any, decimals: int) -> str:
    return f"{float(metres) / 1000:,.{decimals}f}".replace(",", " ")


def redistribution_headline(block: Mapping[str, Any]) -> str:
    """``"redistribution closes X of the Y shortfall; Z must be hired (K moves, D km in all,
    counted per inspector)"`` from an ``inspector_redistribution`` block (memo and CLI)."""
    k = lookup(block, "moves") or 0
    text = (
        f"redistribution closes {count_text(lookup(block, 'covered'))} of the "
        f"{count_text(lookup(block, 'shortfall'))} shortfall; "
        f"{count_text(lookup(block, 'to_hire'))} must be hired"
    )
    if k:
        text += (
            f" ({count_text(k)} move{'s' if k != 1 else ''}, "
            f"{_km(lookup(block, 'total_distance_m') or 0, 1)} km in all, counted per inspector)"
        )
    return text


def redistribution_lines(block: Any, *, gpkg: str = "plan.gpkg") -> list[str]:
    """The memo's section on redistributing inspectors (empty without the block); with the
    block's ``units`` (national.json), a row per unit."""
    if not isinstance(block, Mapping):
        return []
    lines = ["## Redistributing inspectors", ""]
    if not lookup(block, "stations_taking_part"):
        return [
            *lines,
            "No working station has a known number of inspectors: nothing to redistribute (add "
            "an `inspectors` column to the stations file).",
            "",
        ]
    head = redistribution_headline(block)
    without = lookup(block, "stations_without_count")
    lines += [
        head[0].upper() + head[1:] + ".",
        "",
        f"Moves are allowed {lookup(block, 'rule')}. Only working stations with a known count "
        f"take part ({count_text(lookup(block, 'stations_taking_part'))}"
        + (
            f"; {count_text(without)} working stations without a count are left out"
            if without
            else ""
        )
        + f"). {count_text(lookup(block, 'surplus'))} inspectors are above the norm at their "
        "stations. The moves cover the most shortfall possible, with the fewest moves among "
        "equally good answers and then the shortest total distance (docs/method.md section 12).",
    ]
    status = lookup(block, "status")
    if status == "optimal":
        lines.append("The answer is proven optimal (HiGHS).")
    else:
        lines.append(
            f"The solver stopped at a limit ({_cell(status)}): the number of moves is the best "
            f"found, at least {count_text(lookup(block, 'moves_lower_bound'))} are needed"
            + (
                "."
                if "most shortfall covered not found" in str(status)
                else "; the shortfall covered is proven."
            )
        )
    lines.append("")
    moves = lookup(block, "move_list") or []
    if moves:
        lines += ["| from | to | inspectors | distance |", "|---|---|---:|---:|"]
        for mv in moves[:MEMO_MOVES]:
            lines.append(
                f"| {_cell(station_label(mv.get('from_name'), mv.get('from_station_id')))} "
                f"| {_cell(station_label(mv.get('to_name'), mv.get('to_station_id')))} "
                f"| {mv['count']} | {_km(mv['distance_m'], 2)} km |"
            )
        n_moves = lookup(block, "moves") or 0
        if n_moves > MEMO_MOVES:
            lines += [
                "",
                f"… and {count_text(n_moves - MEMO_MOVES)} more moves in the `inspector_moves` "
                f"layer of {gpkg}.",
            ]
        lines.append("")
    units = lookup(block, "units") or []
    if units:
        lines += [
            "Per unit (a station counts in one unit):",
            "",
            "| unit | stations with a count | inspectors now | needed | shortfall | surplus "
            "| received | sent | to hire |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {_cell(u['unit'])} | {u['stations']} | {u['inspectors_now']} "
            f"| {u['inspectors_needed']} | {u['shortfall']} | {u['surplus']} "
            f"| {u['received']} | {u['sent']} | {u['to_hire']} |"
            for u in units
        ]
        lines.append("")
    return lines
