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
    district_text,
    illustrative_labels,
    limit_text,
    lookup,
    metres_text,
    minutes_text,
    share_text,
)
from planner.errors import InputError
from planner.i18n import N_, fmt_decimal, fmt_share, gettext, ngettext
from planner.inspector_moves import move_rule
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
        raise TypeError(  # untranslated: an internal error (a bug)
            f"tag_map_run: the map's root is a {type(root).__name__}, not a Figure"
        )
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
    raise TypeError(  # untranslated: a programmer's error (the caller's data)
        f"write_json: {where} is a {type(obj).__name__}, which cannot be written as JSON; "
        "convert it to a number, string, list or dict first (e.g. str(value))."
    )


def _json_key(key: Any, where: str) -> str:
    if isinstance(key, str):
        return key
    plain = _jsonable(key, where)
    if isinstance(plain, dict | list) or plain is None:
        raise TypeError(  # untranslated: a programmer's error (the caller's data)
            f"write_json: {where} has a key {key!r} that cannot be a JSON key"
        )
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
            gettext("write_geopackage: no layers to write"),
            hint=gettext("Pass a dict such as {example}.").format(
                example="{'stations': stations, 'sites': sites}"  # untranslated: Python code
            ),
        )
    seen_layers: dict[str, str] = {}
    for name, gdf in layers.items():
        if not isinstance(name, str) or not name.strip():
            problems.append(
                gettext("layer name {name} is not a non-empty string").format(name=repr(name))
            )
            continue
        if len(name) > MAX_NAME_LENGTH:
            problems.append(
                gettext("layer {name}: name is longer than {limit} characters").format(
                    name=repr(name), limit=MAX_NAME_LENGTH
                )
            )
        if name.lower() in seen_layers:
            problems.append(
                gettext(
                    "layer {name}: same name as layer {other} (GeoPackage layer names ignore case)"
                ).format(name=repr(name), other=repr(seen_layers[name.lower()]))
            )
        seen_layers[name.lower()] = name
        if name.lower() == "run" and run:
            problems.append(
                gettext("layer {name}: the name is taken by the table of the run's facts").format(
                    name="'run'"
                )
            )
        if not isinstance(gdf, gpd.GeoDataFrame):
            problems.append(
                gettext("layer {name}: is a {type}, not a GeoDataFrame").format(
                    name=repr(name), type=type(gdf).__name__
                )
            )
            continue
        if gdf.crs is None:
            problems.append(
                gettext("layer {name}: has no CRS; set it with {call}").format(
                    name=repr(name), call="gdf.set_crs(...)"
                )
            )
        columns = [str(c) for c in _with_index(gdf).columns if c != gdf.geometry.name]
        seen_cols: dict[str, str] = {}
        for col in columns:
            if col.lower() == "fid":
                problems.append(
                    gettext(
                        "layer {name}: column {column} clashes with the GeoPackage feature id; "
                        "rename it, e.g. {call}"
                    ).format(
                        name=repr(name),
                        column=repr(col),
                        call="gdf.rename(columns={'fid': 'source_fid'})",
                    )
                )
            if len(col) > MAX_NAME_LENGTH:
                problems.append(
                    gettext(
                        "layer {name}: column {column}... is longer than {limit} characters"
                    ).format(name=repr(name), column=repr(col[:20]), limit=MAX_NAME_LENGTH)
                )
            if col.lower() in seen_cols:
                problems.append(
                    gettext(
                        "layer {name}: columns {first} and {second} differ only in case, which "
                        "GeoPackage cannot store"
                    ).format(name=repr(name), first=repr(seen_cols[col.lower()]), second=repr(col))
                )
            seen_cols[col.lower()] = col
    if problems:
        raise InputError(
            ngettext(
                "write_geopackage: {n} problem(s) with the layers for the GeoPackage",
                "write_geopackage: {n} problem(s) with the layers for the GeoPackage",
                len(problems),
            ).format(n=len(problems)),
            problems,
            gettext("Rename the layers or columns listed ({call}) and write again.").format(
                call="gdf.rename(columns=...)"
            ),
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
        return gettext("not recorded")
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
            gettext("summary_markdown: summary is a {type}, not a dict").format(
                type=type(summary).__name__
            ),
            hint=gettext("Pass the summary dict described in planner.outputs."),
        )
    for key in ("residents_total", "residents_covered"):
        value = lookup(summary, "coverage", key)
        where = f"summary['coverage'][{key!r}]"
        if value is None:
            problems.append(gettext("{where} is missing").format(where=where))
        elif not isinstance(value, int | float | np.number) or isinstance(value, bool):
            problems.append(
                gettext("{where} = {value} is not a number").format(where=where, value=repr(value))
            )
    if problems:
        raise InputError(
            gettext("summary_markdown: the summary lacks the headline numbers"),
            problems,
            gettext("Fill {key} from the coverage step before writing the memo.").format(
                key="summary['coverage']"
            ),
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

    title = (
        gettext("Police station coverage plan — {city}").format(city=city)
        if city
        else gettext("Police station coverage plan")
    )
    lines = [f"# {title}", ""]
    lines += [f"> **{_cell(label)}**\n" for label in illustrative_labels(summary)]
    created = lookup(summary, "created")
    version = lookup(summary, "software", "planner_version")
    if created and version:
        generated = gettext("Generated {created} by precinct-planner {version}.")
    elif created:
        generated = gettext("Generated {created}.")
    elif version:
        generated = gettext("Generated at an unrecorded time by precinct-planner {version}.")
    else:
        generated = gettext("Generated at an unrecorded time.")
    lines += [
        generated.format(created=created, version=version)
        + " "
        + (
            gettext("Walking limit: {limit}, measured along the street network.").format(
                limit=limit
            )
            if limit != gettext(NO_LIMIT)
            else gettext("Walking limit not recorded.")
        ),
        "",
        "## " + gettext("Key numbers"),
        "",
        "| | {residents} | {share} |".format(
            residents=gettext("residents"), share=gettext("share")
        ),
        "|---|---:|---:|",
        _table_row([gettext("Residents in the study area"), count_text(total), fmt_share(1.0)]),
        "| {label} | {covered} | {share} |".format(
            label=gettext("Within {limit} of an existing station").format(limit=limit),
            covered=count_text(covered),
            share=share_text(share),
        ),
    ]
    plan = lookup(summary, "plan") or {}
    after = lookup(plan, "residents_covered_after")
    if after is not None:
        share_after = lookup(plan, "share_covered_after")
        if share_after is None and total > 0:
            share_after = float(after) / total
        n_sites = lookup(plan, "n_sites")
        label = (
            ngettext(
                # English says "stations" for one too, as it always has
                "Within {limit} after the {n} proposed stations",
                "Within {limit} after the {n} proposed stations",
                n_sites,
            )
            if n_sites
            else gettext("Within {limit} after the proposed stations")
        )
        lines.append(
            f"| {label.format(limit=limit, n=count_text(n_sites))} | {count_text(after)} "
            f"| {share_text(share_after)} |"
        )
    lines.append("")
    beyond = lookup(cov, "buildings_beyond")
    if beyond is not None:
        b_total = lookup(cov, "buildings_total")
        lines.append(
            gettext("Residential buildings beyond the limit: {n} of {total}.").format(
                n=count_text(beyond), total=count_text(b_total)
            )
            if b_total is not None
            else gettext("Residential buildings beyond the limit: {n}.").format(
                n=count_text(beyond)
            )
        )
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
        parts = [
            gettext("{k}th percentile {distance}").format(k=k, distance=metres_text(v))
            for k, v in pct.items()
        ]
        lines.append(
            gettext("Walk to the nearest existing station: {percentiles}.").format(
                percentiles=", ".join(parts)
            )
        )
    if lines[-1]:
        lines.append("")

    demand = lookup(summary, "demand") or {}
    cells = lookup(demand, "raster_cells_without_buildings")
    in_cells = lookup(demand, "residents_in_raster_cells_without_buildings")
    if cells:
        lines += [
            gettext(
                "Demand points: {buildings} residential buildings and {cells} population-raster "
                "cells with residents but no mapped residential building ({residents} residents, "
                "each cell a point at its centre)."
            ).format(
                buildings=count_text(lookup(demand, "buildings")),
                cells=count_text(cells),
                residents=count_text(in_cells),
            ),
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
        header = [gettext("rank"), gettext("site")]
        header += [gettext("district")] if with_district else []
        header += [
            gettext("newly covered"),
            gettext("newly covered, cumulative"),
            gettext("share covered after"),
        ]
        lines += [
            "## " + gettext("Proposed stations in rollout order"),
            "",
            _table_row(header),
            "|---:|---|" + ("---|" if with_district else "") + "---:|---:|---:|",
        ]
        for site in sites:
            lines.append(
                f"| {_cell(lookup(site, 'rank'))} | {_cell(lookup(site, 'name') or '')} "
                + (
                    f"| {_cell(district_text(lookup(site, 'district') or ''))} "
                    if with_district
                    else ""
                )
                + f"| {count_text(lookup(site, 'marginal_population'))} "
                f"| {count_text(lookup(site, 'cumulative_population'))} "
                f"| {share_text(lookup(site, 'cumulative_share'))} |"
            )
        lines.append("")
    return lines


def _table_row(cells: list[str]) -> str:
    """A Markdown table row (header or body) from its cells: ``| a | b |``."""
    return "| " + " | ".join(cells) + " |"


def _record_lines(summary: Mapping[str, Any], params: Any) -> list[str]:
    """The memo's record of the run: parameters, data and inputs with checksums, software.

    The parameters' names, the input files' roles (``stations``, ``osm``) and the software's
    names are shown as the run recorded them (summary.json's keys), in every language.
    """
    lines: list[str] = []
    lines += ["## " + gettext("Parameters"), ""]
    if isinstance(params, Mapping) and params:
        lines += [_table_row([gettext("parameter"), gettext("value")]), "|---|---|"]
        lines += [f"| `{_cell(k)}` | {_cell(v)} |" for k, v in params.items()]
    else:
        lines.append(gettext("Not recorded."))
    lines.append("")

    data = lookup(summary, "data") or {}
    lines += [
        "## " + gettext("Data"),
        "",
        "- "
        + gettext("OpenStreetMap extract: {file}").format(
            file=f"`{_cell(lookup(data, 'osm_file'))}`"
        ),
        "- " + gettext("OSM data date: {date}").format(date=_cell(lookup(data, "data_date"))),
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
    lines += ["- " + gettext("Map data © OpenStreetMap contributors, ODbL."), ""]

    software = lookup(summary, "software") or {}
    lines += ["## " + gettext("Software"), ""]
    if isinstance(software, Mapping) and software:
        lines += [f"- {_cell(k)}: {_cell(v)}" for k, v in software.items()]
    else:
        lines.append(gettext("Not recorded."))
    run_id = lookup(summary, "run_id")
    if run_id:
        lines += [
            "",
            gettext("Run id: {run_id} (the same in every file this run wrote).").format(
                run_id=f"`{_cell(run_id)}`"
            ),
        ]
    return lines


#: What each kind of barrier is called in the memo (message ids: shown through gettext).
_BARRIER_WORDS = {
    "railway": N_("a railway"),
    "water": N_("a river, canal or lake shore"),
    "motorway": N_("a motorway or trunk road"),
    "tram": N_("a tram line"),
    "stream": N_("a stream"),
    "wall": N_("a wall or fence"),
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
        gettext("{n} across {barrier}").format(
            n=count_text(lookup(v, "buildings")),
            barrier=gettext(_BARRIER_WORDS[str(k)]) if str(k) in _BARRIER_WORDS else str(k),
        )
        for k, v in by_kind.items()
    ]
    stranded = lookup(barriers, "buildings_not_snapped") or 0
    tail = (
        " "
        + gettext(
            "{n} of them ({residents} residents) have no street on their own side within the "
            "snapping limit and count as unreachable."
        ).format(
            n=count_text(stranded),
            residents=count_text(lookup(barriers, "residents_not_snapped")),
        )
        if stranded
        else ""
    )
    return [
        ngettext(
            "Barriers: the nearest street of {n} residential buildings ({residents} residents) "
            "lies across a barrier ({barriers}); they were attached to the nearest street on "
            "their own side instead.",
            "Barriers: the nearest street of {n} residential buildings ({residents} residents) "
            "lies across a barrier ({barriers}); they were attached to the nearest street on "
            "their own side instead.",
            n,
        ).format(
            n=count_text(n),
            residents=count_text(lookup(barriers, "residents_across")),
            barriers=", ".join(parts),
        )
        + tail
    ]


#: The siting methods' names in the memo (summary.json's ``plan.method`` values).
_METHODS = {"exact": N_("exact"), "greedy": N_("greedy")}


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
    # "3 new stations" as a subject, "with 3 new stations" after "plans" (two messages: the
    # translations put the count in two grammatical cases)
    stations = (
        ngettext("{n} new station", "{n} new stations", n).format(n=count_text(n))
        if n is not None
        else gettext("as many stations")
    )
    with_stations = (
        ngettext("with {n} new station", "with {n} new stations", n).format(n=count_text(n))
        if n is not None
        else gettext("with as many stations")
    )
    method = lookup(plan, "method") or "exact"
    # the method and the solver's status are shown as summary.json records them
    if method == "exact" and gap > 1e-6 and "limit" in str(status):
        lines = [
            gettext(
                "Optimisation: not proven optimal; the exact solver stopped at its limit "
                "({status})."
            ).format(status=status)
        ]
    else:
        lines = [
            gettext("Optimisation: {method} solver, {status}.").format(
                method=gettext(_METHODS[method]) if method in _METHODS else method, status=status
            )
        ]
    if lookup(plan, "time_limit_hit"):
        lines.append(gettext(TIME_LIMIT_LINE))
    fewest = lookup(plan, "fewest_sites")
    target = lookup(plan, "target_share")
    if isinstance(fewest, Mapping) and target is not None:
        lower = lookup(fewest, "lower_bound")
        if lookup(fewest, "proven_optimal"):
            proof = gettext("proven: no plan with fewer stations from these candidate sites does.")
        else:
            proof = ngettext(
                "proven only that at least {lower} are needed, so this plan may use up to "
                "{more} more than necessary.",
                "proven only that at least {lower} are needed, so this plan may use up to "
                "{more} more than necessary.",
                lower or 0,
            ).format(lower=count_text(lower), more=count_text(int(n or 0) - int(lower or 0)))
        if lookup(plan, "target_reachable") is not False:
            fewest_line = ngettext(
                "Fewest stations: {stations} reach {share} (target {target}); {proof}",
                "Fewest stations: {stations} reach {share} (target {target}); {proof}",
                n or 0,
            ).format(
                stations=stations,
                share=share_text(lookup(plan, "share_covered_after")),
                target=share_text(target),
                proof=proof,
            )
        else:
            fewest_line = ngettext(
                "Fewest stations: {stations} reach {share}, all that these candidate sites can "
                "reach (target {target} is out of reach); {proof}",
                "Fewest stations: {stations} reach {share}, all that these candidate sites can "
                "reach (target {target} is out of reach); {proof}",
                n or 0,
            ).format(
                stations=stations,
                share=share_text(lookup(plan, "best_achievable_share")),
                target=share_text(target),
                proof=proof,
            )
        lines.append(fewest_line)
    walk = lookup(plan, "population_walk_m")
    if walk is not None:
        lines.append(
            gettext(
                "Shorter walks preferred: among plans covering as many residents, this one was "
                "sought with the least total walk of covered residents ({km} resident-km to the "
                "nearest station; tie-break status in the line above)."
            ).format(km=count_text(float(walk) / 1000))
        )
    new = lookup(plan, "newly_covered")
    bound = lookup(plan, "upper_bound")
    if gap <= 1e-6:
        if new is not None:
            lines.append(
                gettext(
                    "Coverage: proven best of all plans {with_stations} from these candidate "
                    "sites ({residents} residents newly within the limit)."
                ).format(with_stations=with_stations, residents=count_text(new))
            )
        else:
            lines.append(
                gettext(
                    "Coverage: proven best of all plans {with_stations} from these candidate sites."
                ).format(with_stations=with_stations)
            )
        return lines
    more = lookup(plan, "at_most_more")
    if more is None:  # the plan brings nobody new while the bound is positive
        lines.append(
            gettext(
                "Coverage: optimality gap {gap}; plans {with_stations} from these candidate sites "
                "may bring up to {bound} residents newly within the limit."
            ).format(
                gap=fmt_share(gap, digits=2), with_stations=with_stations, bound=count_text(bound)
            )
        )
        return lines
    if bound is not None and new is not None:
        text = gettext(
            "Coverage: optimality gap {gap}; proven: no plan {with_stations} from these "
            "candidate sites brings more than {bound} residents newly within the limit, at most "
            "{more} more than this plan's {new}."
        )
    else:
        text = gettext(
            "Coverage: optimality gap {gap}; proven: no plan {with_stations} from these "
            "candidate sites brings more than {more} more residents within the limit than this "
            "plan."
        )
    lines.append(
        text.format(
            gap=fmt_share(gap, digits=2),
            with_stations=with_stations,
            bound=count_text(bound),
            more=fmt_share(float(more), digits=2),
            new=count_text(new),
        )
    )
    return lines


def _district_lines(summary: Mapping[str, Any]) -> list[str]:
    """The memo's per-district table, with the calibration factors and their warnings."""
    rows = lookup(summary, "coverage_by_district")
    if not isinstance(rows, list | tuple) or not rows:
        return []
    info = lookup(summary, "districts") or {}
    lines = ["## " + gettext("Coverage by district"), ""]
    note = lookup(info, "note")
    if note:
        lines += [str(note), ""]
    calibrated = bool(lookup(info, "calibrated"))
    unreliable = list(lookup(info, "unreliable") or [])
    if calibrated:
        limit = float(lookup(info, "max_factor") or 3.0)
        lines.append(
            gettext(
                "Residents were scaled district by district to the official populations of the "
                "districts file (the factor is official / estimated from the buildings)."
            )
            + (
                " "
                + gettext(
                    "**Not reliable: {districts}**: a factor outside {low}..{high} says the "
                    "mapped buildings there are incomplete or wrong (their residents are spread "
                    "over too few buildings), a district without an estimated resident cannot be "
                    "scaled, one without an official figure is left as estimated (see the notes "
                    "below); use a population raster (--population-raster)."
                ).format(
                    districts=", ".join(map(str, unreliable)),
                    low=fmt_decimal(1 / limit, digits=2),
                    high=minutes_text(limit),
                )
                if unreliable
                else ""
            )
        )
        lines.append("")
    after = any(isinstance(r, Mapping) and "residents_covered_after" in r for r in rows)
    header = [gettext("district"), gettext("residents"), gettext("covered now"), gettext("share")]
    rule = "|---|---:|---:|---:|"
    if after:
        header += [gettext("covered after the plan"), gettext("share")]
        rule += "---:|---:|"
    if calibrated:
        header += [gettext("official population"), gettext("factor"), gettext("reliable")]
        rule += "---:|---:|---|"
    lines += [_table_row(header), rule]
    for r in rows:
        cells = [
            _cell(district_text(lookup(r, "district"))),
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
                "—" if _absent(factor) else fmt_decimal(float(factor), digits=2),
                gettext("yes") if lookup(r, "reliable") else "**{no}**".format(no=gettext("no")),
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
    return gettext("{status}, gap {gap} %").format(
        status=_cell(lookup(cap, "status")), gap=fmt_decimal(gap, digits=2)
    )


def _unusable_station_lines(stations: Any) -> list[str]:
    """Every station row left out of the analysis, with its file row and the reason."""
    bad = lookup(stations, "unusable") if isinstance(stations, Mapping) else None
    if not isinstance(bad, list | tuple) or not bad:
        return []
    lines = [
        "## " + gettext("Stations left out ({n})").format(n=len(bad)),
        "",
        gettext(
            "These stations are not used anywhere in this memo (coverage, inspectors, plans). "
            "Rows of a stations file (the row is the file's line, the header being row 1) can be "
            "fixed there and the run repeated."
        ),
        "",
        _table_row([gettext("station"), gettext("row"), gettext("name"), gettext("reason")]),
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
    n_sites = len(lookup(cap, "sites") or [])
    lines = [
        "## " + gettext("With station capacities"),
        "",
        ngettext(
            # English says "1 new sites", as it always has
            "Every station, existing or new, serves at most {capacity} residents ({inspectors} "
            "inspectors x {per_inspector} residents). Residents within walking distance and "
            "within capacity: {before} now, {after} with {n} new sites ({share}); {over} within "
            "reach but beyond capacity. The plan is {quality}.",
            "Every station, existing or new, serves at most {capacity} residents ({inspectors} "
            "inspectors x {per_inspector} residents). Residents within walking distance and "
            "within capacity: {before} now, {after} with {n} new sites ({share}); {over} within "
            "reach but beyond capacity. The plan is {quality}.",
            n_sites,
        ).format(
            capacity=count_text(lookup(cap, "capacity_residents")),
            inspectors=lookup(cap, "capacity_inspectors"),
            per_inspector=count_text(lookup(cap, "residents_per_inspector")),
            before=count_text(lookup(cap, "assigned_before")),
            after=count_text(lookup(cap, "assigned_after")),
            n=n_sites,
            share=share_text(lookup(cap, "share_assigned_after")),
            over=count_text(lookup(cap, "over_capacity_after")),
            quality=_capacity_quality(cap),
        ),
        "",
    ]
    for site in lookup(cap, "sites") or []:
        lines.append(
            gettext("- {site} ({lat}, {lon}): {residents} residents assigned").format(
                site=_cell(site.get("name")),
                lat=site.get("lat"),
                lon=site.get("lon"),
                residents=count_text(site.get("assigned_residents")),
            )
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
#: (A message id, like every text constant here: show it with ``gettext(SERVED_DEFINITION)``.)
SERVED_DEFINITION = N_(
    "Served: the residents for whom it is the nearest working station on foot, at any "
    "distance (its inspectors' workload; inspectors needed are counted from these); "
    "of them, 'within the walk' live within the walking limit."
)
#: The repair schedule's batches are a partition, not a sequence.
BATCH_ORDER_NOTE = N_(
    "The batches are numbered for reference only: their order is not a recommended sequence "
    "(any order leaves the same residents without access in each batch)."
)


def _review_lines(review: Any) -> list[str]:
    """The memo's section on repairs, inspectors and planned stations (if reviewed)."""
    if not isinstance(review, Mapping):
        return []
    lines = ["## " + gettext("Existing stations: repairs, inspectors, stations due to open"), ""]
    scenarios = lookup(review, "scenarios") or []
    if scenarios:
        header = [
            gettext("scenario"),
            gettext("working stations"),
            gettext("residents within the limit"),
            gettext("share"),
        ]
        lines += [_table_row(header)]
        lines += ["|---|---:|---:|---:|"]
        for sc in scenarios:
            # summary.json names the scenario in English (planner.station_review.SCENARIOS)
            scenario = lookup(sc, "scenario")
            lines.append(
                f"| {_cell(gettext(scenario) if isinstance(scenario, str) else scenario)} "
                f"| {count_text(lookup(sc, 'stations'))} "
                f"| {count_text(lookup(sc, 'residents_covered'))} "
                f"| {share_text(lookup(sc, 'share_covered'))} |"
            )
        lines.append("")
    insp = lookup(review, "inspectors") or {}
    norm = lookup(insp, "residents_per_inspector")
    if lookup(insp, "stations") == 0:
        lines += [
            gettext(
                "**Warning: no station is working** (every usable station is closed or planned): "
                "nobody is within walking distance of a working station, and 0 inspectors needed "
                "means no station to staff, not that none are needed."
            ),
            "",
        ]
    if norm is not None:
        lines += [*inspector_lines(insp), ""]
    repairs = lookup(review, "repair_priorities") or []
    if repairs:
        header = [
            gettext("rank"),
            gettext("station"),
            gettext("only here"),
            gettext("served"),
            gettext("of them within the walk"),
            gettext("move instead: gain"),
            gettext("inspectors needed"),
        ]
        lines += [
            gettext(
                "Stations under repair, most important first (residents who lose walking access "
                "while it is closed):"
            ),
            "",
            _table_row(header),
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
        radius = count_text(lookup(review, "relocation_radius_m"))
        lines += [
            "",
            (
                gettext(
                    "Move instead: the most residents within the walking limit if the station "
                    "moved within {radius} m on foot instead of being repaired, minus today's; "
                    "the best among all street points {spacing} m apart there."
                ).format(radius=radius, spacing=count_text(spacing))
                if spacing is not None
                else gettext(
                    "Move instead: the most residents within the walking limit if the station "
                    "moved within {radius} m on foot instead of being repaired, minus today's; "
                    "the best among all street points there."
                ).format(radius=radius)
            ),
            "",
        ]
    schedule = lookup(review, "repair_schedule")
    if isinstance(schedule, Mapping):
        lines.append(
            gettext(
                "Repair schedule, {size} at a time: the worst batch leaves {residents} residents "
                "without walking access ({status}, gap {gap})."
            ).format(
                size=_cell(lookup(schedule, "batch_size")),
                residents=count_text(lookup(schedule, "worst_batch_residents")),
                status=_cell(lookup(schedule, "status")),
                gap=fmt_share(float(lookup(schedule, "gap") or 0), digits=2),
            )
        )
        lines.append(gettext(BATCH_ORDER_NOTE))
        for b in lookup(schedule, "batches") or []:
            names = ", ".join(
                station_label(n, s) for n, s in zip(b["names"], b["stations"], strict=True)
            )
            lines.append(
                gettext("- batch {batch}: {stations} ({residents} without access)").format(
                    batch=b["batch"],
                    stations=_cell(names),
                    residents=count_text(b["residents_without_access"]),
                )
            )
        lines.append("")
    planned = lookup(review, "planned")
    if isinstance(planned, Mapping):
        n_planned = lookup(planned, "stations")
        lines.append(
            ngettext(
                # English says "the best 1 sites", as it always has
                "Planned stations ({n}): opening all would bring {all_open} more residents within "
                "the limit; the best {n} sites from all candidates would bring {best} (the list "
                "is at most {gap} short). Open them in this order (each adds the most after "
                "those before it):",
                "Planned stations ({n}): opening all would bring {all_open} more residents within "
                "the limit; the best {n} sites from all candidates would bring {best} (the list "
                "is at most {gap} short). Open them in this order (each adds the most after "
                "those before it):",
                n_planned or 0,
            ).format(
                n=count_text(n_planned),
                all_open=count_text(lookup(planned, "newly_covered_if_all_open")),
                best=count_text(lookup(planned, "best_same_size_newly_covered")),
                gap=fmt_share(float(lookup(planned, "gap") or 0), digits=1),
            )
        )
        for r in lookup(planned, "opening_order") or []:
            flags = f" — {r['flags']}" if r.get("flags") else ""
            label = station_label(r.get("name"), r.get("station_id"))
            lines.append(
                gettext(
                    "{order}. {station}: adds {added} in this position; {alone} newly covered on "
                    "its own, {marginal} beyond the rest of the list{flags}"
                ).format(
                    order=r["opening_order"],
                    station=_cell(label),
                    added=count_text(r.get("added_in_order")),
                    alone=count_text(r.get("alone")),
                    marginal=count_text(r.get("marginal")),
                    flags=_cell(flags),
                )
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
    stations = lookup(insp, "stations")
    values = {
        "norm": count_text(norm),
        "needed": needed,
        "stations": count_text(stations),
        "with_count": count_text(lookup(insp, "stations_with_count")),
        "at_counted": at_counted,
        "now": count_text(now),
        "missing": missing,
        "surplus": surplus,
    }
    if now is None:
        text = ngettext(
            # English says "the 1 working stations", as it always has
            "District inspectors at a norm of {norm} residents served per inspector (no verified "
            "official norm; set with --residents-per-inspector): {needed} needed at the "
            "{stations} working stations (the stations file gives no inspector counts).",
            "District inspectors at a norm of {norm} residents served per inspector (no verified "
            "official norm; set with --residents-per-inspector): {needed} needed at the "
            "{stations} working stations (the stations file gives no inspector counts).",
            stations or 0,
        ).format(**values)
    else:
        text = ngettext(
            "District inspectors at a norm of {norm} residents served per inspector (no verified "
            "official norm; set with --residents-per-inspector): {needed} needed at the "
            "{stations} working stations; at the {with_count} of them with a count, {at_counted} "
            "needed and {now} there now: {missing} missing at stations short of the norm and "
            "{surplus} surplus at stations above it ({at_counted} − {now} = {missing} − "
            "{surplus}).",
            "District inspectors at a norm of {norm} residents served per inspector (no verified "
            "official norm; set with --residents-per-inspector): {needed} needed at the "
            "{stations} working stations; at the {with_count} of them with a count, {at_counted} "
            "needed and {now} there now: {missing} missing at stations short of the norm and "
            "{surplus} surplus at stations above it ({at_counted} − {now} = {missing} − "
            "{surplus}).",
            stations or 0,
        ).format(**values)
    idle = lookup(insp, "listed_not_working")
    if idle:
        text += " " + ngettext(
            "{n} more inspectors are listed at {stations} stations that are not working (planned "
            "or closed); they are not counted above, since nobody is served there yet.",
            "{n} more inspectors are listed at {stations} stations that are not working (planned "
            "or closed); they are not counted above, since nobody is served there yet.",
            idle,
        ).format(
            n=count_text(idle),
            stations=count_text(lookup(insp, "stations_not_working_with_count")),
        )
    return [text, "", gettext(SERVED_DEFINITION)]


#: Moves listed in the memo (summary.json lists more; the GeoPackage layer has them all).
MEMO_MOVES = 30


def _km(metres: Any, decimals: int) -> str:
    return fmt_decimal(float(metres) / 1000, digits=decimals)


def redistribution_headline(block: Mapping[str, Any]) -> str:
    """``"redistribution closes X of the Y shortfall; Z must be hired (K moves, D km in all,
    counted per inspector)"`` from an ``inspector_redistribution`` block (memo and CLI)."""
    k = lookup(block, "moves") or 0
    values = {
        "covered": count_text(lookup(block, "covered")),
        "shortfall": count_text(lookup(block, "shortfall")),
        "to_hire": count_text(lookup(block, "to_hire")),
        "moves": count_text(k),
        "km": _km(lookup(block, "total_distance_m") or 0, 1),
    }
    if k:
        return ngettext(
            "redistribution closes {covered} of the {shortfall} shortfall; {to_hire} must be "
            "hired ({moves} move, {km} km in all, counted per inspector)",
            "redistribution closes {covered} of the {shortfall} shortfall; {to_hire} must be "
            "hired ({moves} moves, {km} km in all, counted per inspector)",
            k,
        ).format(**values)
    return gettext(
        "redistribution closes {covered} of the {shortfall} shortfall; {to_hire} must be hired"
    ).format(**values)


def redistribution_lines(block: Any, *, gpkg: str = "plan.gpkg") -> list[str]:
    """The memo's section on redistributing inspectors (empty without the block); with the
    block's ``units`` (national.json), a row per unit."""
    if not isinstance(block, Mapping):
        return []
    lines = ["## " + gettext("Redistributing inspectors"), ""]
    if not lookup(block, "stations_taking_part"):
        return [
            *lines,
            gettext(
                "No working station has a known number of inspectors: nothing to redistribute "
                "(add an `inspectors` column to the stations file)."
            ),
            "",
        ]
    head = redistribution_headline(block)
    without = lookup(block, "stations_without_count")
    rule = lookup(block, "rule")  # summary.json's English words, said again in the language
    if isinstance(block, Mapping) and "max_move_m" in block:
        rule = move_rule(lookup(block, "max_move_m"), national=lookup(block, "units") is not None)
    taking_part = count_text(lookup(block, "stations_taking_part"))
    surplus = lookup(block, "surplus")
    lines += [
        head[0].upper() + head[1:] + ".",
        "",
        (
            gettext(
                "Moves are allowed {rule}. Only working stations with a known count take part "
                "({n}; {without} working stations without a count are left out)."
            )
            if without
            else gettext(
                "Moves are allowed {rule}. Only working stations with a known count take part "
                "({n})."
            )
        ).format(
            rule=rule,
            n=taking_part,
            without=count_text(without),
        )
        + " "
        + ngettext(
            "{n} inspectors are above the norm at their stations.",
            "{n} inspectors are above the norm at their stations.",
            surplus or 0,
        ).format(n=count_text(surplus))
        + " "
        + gettext(
            "The moves cover the most shortfall possible, with the fewest moves among equally "
            "good answers and then the shortest total distance (docs/method.md section 12)."
        ),
    ]
    status = lookup(block, "status")
    if status == "optimal":
        lines.append(gettext("The answer is proven optimal (HiGHS)."))
    else:
        # the solver's status is shown as summary.json records it
        values = {
            "status": _cell(status),
            "lower": count_text(lookup(block, "moves_lower_bound")),
        }
        lines.append(
            gettext(
                "The solver stopped at a limit ({status}): the number of moves is the best found, "
                "at least {lower} are needed."
            ).format(**values)
            if "most shortfall covered not found" in str(status)  # untranslated: a status
            else gettext(
                "The solver stopped at a limit ({status}): the number of moves is the best found, "
                "at least {lower} are needed; the shortfall covered is proven."
            ).format(**values)
        )
    lines.append("")
    moves = lookup(block, "move_list") or []
    if moves:
        header = [gettext("from"), gettext("to"), gettext("inspectors"), gettext("distance")]
        lines += [_table_row(header), "|---|---|---:|---:|"]
        for mv in moves[:MEMO_MOVES]:
            lines.append(
                f"| {_cell(station_label(mv.get('from_name'), mv.get('from_station_id')))} "
                f"| {_cell(station_label(mv.get('to_name'), mv.get('to_station_id')))} "
                f"| {mv['count']} "
                "| " + gettext("{km} km").format(km=_km(mv["distance_m"], 2)) + " |"
            )
        n_moves = lookup(block, "moves") or 0
        if n_moves > MEMO_MOVES:
            lines += [
                "",
                ngettext(
                    "… and {n} more moves in the `inspector_moves` layer of {gpkg}.",
                    "… and {n} more moves in the `inspector_moves` layer of {gpkg}.",
                    n_moves - MEMO_MOVES,
                ).format(n=count_text(n_moves - MEMO_MOVES), gpkg=gpkg),
            ]
        lines.append("")
    units = lookup(block, "units") or []
    if units:
        header = [
            gettext("unit"),
            gettext("stations with a count"),
            gettext("inspectors now"),
            gettext("needed"),
            gettext("shortfall"),
            gettext("surplus"),
            gettext("received"),
            gettext("sent"),
            gettext("to hire"),
        ]
        lines += [
            gettext("Per unit (a station counts in one unit):"),
            "",
            _table_row(header),
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
