"""Redistributing inspectors between a city's stations: the GeoDataFrame side.

A thin adapter around the numeric core :mod:`planner.redistribution`: it takes the reviewed
stations (:func:`planner.station_review.review_stations`: ``working``, ``inspectors_now``,
``inspectors_needed``), solves the moves and turns them into the ``inspector_moves`` layer of
plan.gpkg, the ``inspector_redistribution`` block of summary.json, the memo section, the CLI
lines and a map layer. The rule (docs/method.md section 12): only working stations with a known
inspector count take part; a move stays within the unit (the city, or a national unit) or, with
``max_move_m``, between stations at most that far apart in a straight line.
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from planner.errors import InputError
from planner.redistribution import Redistribution, redistribute

logger = logging.getLogger("planner.inspector_moves")

#: Columns of the ``inspector_moves`` layer (besides the line geometry).
MOVE_COLUMNS = (
    "from_station_id",
    "from_name",
    "to_station_id",
    "to_name",
    "count",
    "distance_m",
)
#: Name of the map layer (followed by the number of moves).
LAYER_NAME = "Inspector moves"
#: Moves listed in the memo and in summary.json (all are in the GeoPackage layer).
MEMO_MOVES = 30
MOVE_COLOR = "#6a3d9a"


@dataclass(frozen=True, eq=False)
class InspectorMoves:
    """The moves of :func:`redistribute_inspectors`.

    Attributes
    ----------
    result
        The numeric answer (:class:`planner.redistribution.Redistribution`); its station
        positions index ``stations``.
    moves
        The ``inspector_moves`` layer: :data:`MOVE_COLUMNS` and a line from the giving to the
        receiving station, in the stations' CRS.
    max_move_m
        The distance limit, or ``None`` (moves within the unit).
    stations_taking_part, stations_without_count
        Working stations with a known count, and working stations without one (left out).
    """

    result: Redistribution
    moves: gpd.GeoDataFrame
    max_move_m: float | None
    stations_taking_part: int
    stations_without_count: int

    def rule(self) -> str:
        """The allowed moves, in words."""
        if self.max_move_m is None:
            return "between working stations of the same unit (the whole city in a city run)"
        return (
            f"between working stations at most {self.max_move_m / 1000:g} km apart (straight line)"
        )


def redistribute_inspectors(
    stations: gpd.GeoDataFrame,
    *,
    max_move_m: float | None = None,
    unit_column: str | None = None,
    time_limit_s: float = 60.0,
) -> InspectorMoves:
    """The moves of inspectors that cover the most shortfall (fewest moves, then shortest).

    Parameters
    ----------
    stations
        Reviewed stations (:attr:`planner.station_review.StationReview.stations`), in a metric
        CRS, with ``station_id``, ``working``, ``inspectors_now``, ``inspectors_needed``.
    max_move_m
        ``None``: any move within a unit; a number: moves between stations at most this far
        apart (straight line), across units too.
    unit_column
        Column naming each station's unit; ``None``: all stations are one unit.
    time_limit_s
        HiGHS time per mixed-integer programme.

    Raises
    ------
    InputError
        Without any inspector count, or with a bad ``max_move_m``.
    """
    if max_move_m is not None and not (
        isinstance(max_move_m, int | float) and math.isfinite(max_move_m) and max_move_m > 0
    ):
        raise InputError(
            f"maximum move distance {max_move_m!r} m (--max-move-km) must be a positive number",
            hint="e.g. --max-move-km 5; leave it out to allow moves anywhere within the city",
        )
    missing = [
        c for c in ("station_id", "working", "inspectors_now", "inspectors_needed")
        if c not in stations.columns
    ]  # fmt: skip
    if missing:
        raise InputError(
            f"redistribute_inspectors: the stations lack {', '.join(missing)}",
            hint="pass review_stations(city, coverage).stations",
        )
    working = stations["working"].to_numpy(dtype=bool)
    now = stations["inspectors_now"].to_numpy(dtype=float)
    known = working & np.isfinite(now)
    if not known.any():
        raise InputError(
            "--redistribute-inspectors needs the number of inspectors at the stations: the "
            "stations file has no inspectors column with a count at any working station",
            hint="add a column 'inspectors' (whole numbers) to the stations file, as in "
            "data/almaty_stations_illustrative.csv",
        )
    needed = np.where(known, stations["inspectors_needed"].to_numpy(dtype=float), np.nan)
    now = np.where(known, now, np.nan)
    points = stations.geometry.to_crs(4326)
    result = redistribute(
        now,
        needed,
        lon=points.x.to_numpy(),
        lat=points.y.to_numpy(),
        unit=None if unit_column is None else stations[unit_column].to_numpy(),
        max_move_m=max_move_m,
        time_limit_s=time_limit_s,
    )
    logger.info(
        "redistribution: %d moves cover %d of %d missing inspectors (%s)",
        result.moves, result.covered, result.shortfall, result.status,
    )  # fmt: skip
    return InspectorMoves(
        result=result,
        moves=moves_frame(stations, result),
        max_move_m=None if max_move_m is None else float(max_move_m),
        stations_taking_part=int(known.sum()),
        stations_without_count=int((working & ~known).sum()),
    )


def moves_frame(stations: gpd.GeoDataFrame, result: Redistribution) -> gpd.GeoDataFrame:
    """The ``inspector_moves`` layer: one line per move, from the giving station."""
    ids = stations["station_id"].to_numpy(dtype=object)
    names = (
        stations["name"].to_numpy(dtype=object)
        if "name" in stations.columns
        else np.full(len(stations), None, dtype=object)
    )
    geoms = stations.geometry.to_numpy()
    lines = [
        shapely.LineString([geoms[i].coords[0], geoms[j].coords[0]])
        for i, j in zip(result.source, result.target, strict=True)
    ]
    frame = pd.DataFrame(
        {
            "from_station_id": ids[result.source],
            "from_name": [_text(v) for v in names[result.source]],
            "to_station_id": ids[result.target],
            "to_name": [_text(v) for v in names[result.target]],
            "count": result.count.astype(np.int64),
            "distance_m": np.round(result.distance_m, 1),
        }
    )
    out = gpd.GeoDataFrame(frame, geometry=lines, crs=stations.crs)
    # largest moves first, then the shortest
    order = np.lexsort((out["distance_m"].to_numpy(), -out["count"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _label(name: Any, station_id: Any) -> str:
    return f"{name} ({station_id})" if name else str(station_id)


def redistribution_dict(moves: InspectorMoves) -> dict[str, Any]:
    """The ``inspector_redistribution`` block of summary.json."""
    r = moves.result
    table = moves.moves
    return {
        "rule": moves.rule(),
        "max_move_m": moves.max_move_m,
        "distance": "straight line between the stations' points (great circle)",
        "shortfall": r.shortfall,
        "surplus": r.surplus,
        "covered": r.covered,
        "to_hire": r.to_hire,
        "moves": r.moves,
        "moves_lower_bound": r.moves_lower_bound,
        "inspectors_moved": r.covered,
        "total_distance_m": round(r.total_distance_m, 1),
        "status": r.status,
        "stations_taking_part": moves.stations_taking_part,
        "stations_without_count": moves.stations_without_count,
        "solve_s": round(r.solve_s, 3),
        "move_list": [
            {
                "from_station_id": row.from_station_id,
                "from_name": row.from_name,
                "to_station_id": row.to_station_id,
                "to_name": row.to_name,
                "count": int(row.count),
                "distance_m": float(row.distance_m),
            }
            for row in table.head(MEMO_MOVES * 10).itertuples()
        ],
        "move_list_complete": len(table) <= MEMO_MOVES * 10,
    }


def _int(value: Any) -> str:
    return f"{int(value):,}" if value is not None else "—"


def headline(block: Mapping[str, Any]) -> str:
    """The line "redistribution closes X of the Y shortfall; Z must be hired", with the moves."""
    k = block["moves"]
    text = (
        f"redistribution closes {_int(block['covered'])} of the {_int(block['shortfall'])} "
        f"shortfall; {_int(block['to_hire'])} must be hired"
    )
    if k:
        text += (
            f" ({_int(k)} move{'s' if k != 1 else ''}, {block['total_distance_m'] / 1000:,.1f} km "
            "in all, counted per inspector)"
        )
    return text


def memo_lines(block: Mapping[str, Any] | None) -> list[str]:
    """The memo's section on redistributing inspectors (empty without the block)."""
    if not block:
        return []
    lines = ["## Redistributing inspectors", ""]
    if not block.get("stations_taking_part"):
        return [
            *lines,
            "No working station has a known number of inspectors: nothing to redistribute (add "
            "an `inspectors` column to the stations file).",
            "",
        ]
    head = headline(block)
    lines.append(head[0].upper() + head[1:] + ".")
    lines.append("")
    lines.append(
        f"Moves are allowed {block['rule']}. Only working stations with a known count take "
        f"part ({_int(block['stations_taking_part'])}"
        + (
            f"; {_int(block['stations_without_count'])} working stations without a count are "
            "left out"
            if block.get("stations_without_count")
            else ""
        )
        + f"). {_int(block['surplus'])} inspectors are above the norm at their stations. The "
        "moves cover the most shortfall possible, with the fewest moves among equally good "
        "answers and then the shortest total distance (docs/method.md section 12)."
    )
    if block["status"] == "optimal":
        lines.append("The answer is proven optimal (HiGHS).")
    else:
        lines.append(
            f"The solver stopped early ({block['status']}): the number of moves is the best "
            f"found, at least {_int(block['moves_lower_bound'])} are needed."
        )
    lines.append("")
    moves = block.get("move_list") or []
    if moves:
        lines += ["| from | to | inspectors | distance |", "|---|---|---:|---:|"]
        for mv in moves[:MEMO_MOVES]:
            lines.append(
                f"| {_cell(_label(mv['from_name'], mv['from_station_id']))} "
                f"| {_cell(_label(mv['to_name'], mv['to_station_id']))} "
                f"| {mv['count']} | {mv['distance_m'] / 1000:,.2f} km |"
            )
        if block["moves"] > MEMO_MOVES:
            lines.append("")
            lines.append(
                f"… and {block['moves'] - MEMO_MOVES} more moves in the `inspector_moves` "
                "layer of plan.gpkg."
            )
        lines.append("")
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def cli_lines(block: Mapping[str, Any], *, show: int = 5) -> list[str]:
    """The CLI summary lines (indented like the rest of the summary)."""
    lines = [f"  inspector moves {headline(block)}"]
    if block["status"] != "optimal":
        lines.append(f"                  solver stopped early: {block['status']}")
    for mv in (block.get("move_list") or [])[:show]:
        lines.append(
            f"                  {mv['count']} from {_label(mv['from_name'], mv['from_station_id'])}"
            f" to {_label(mv['to_name'], mv['to_station_id'])} ({mv['distance_m'] / 1000:,.1f} km)"
        )
    if block["moves"] > show:
        lines.append(
            f"                  ... {block['moves'] - show} more in plan.gpkg (inspector_moves)"
        )
    return lines


def map_layer(moves: gpd.GeoDataFrame) -> folium.FeatureGroup | None:
    """Arrows from the giving to the receiving stations, with popups; None without moves."""
    if moves is None or not len(moves):
        return None
    group = folium.FeatureGroup(name=f"{LAYER_NAME} ({len(moves)})", show=True)
    for row, line in zip(moves.itertuples(), _arrows(moves), strict=True):
        text = (
            f"<b>{html.escape(str(row.count))} inspector{'s' if row.count != 1 else ''}</b><br>"
            f"from {html.escape(_label(row.from_name, row.from_station_id))}<br>"
            f"to {html.escape(_label(row.to_name, row.to_station_id))}<br>"
            f"{row.distance_m / 1000:,.2f} km (straight line)"
        )
        arrow = folium.PolyLine(
            line, color=MOVE_COLOR, weight=2 + min(int(row.count), 6), opacity=0.9
        )
        arrow.add_child(
            _Popup(
                text,
                tooltip=f"{int(row.count)} \u2192 "
                f"{html.escape(_label(row.to_name, row.to_station_id))}",
            )
        )
        arrow.add_to(group)
    return group


class _Popup(MacroElement):
    """A popup and tooltip bound in plain Leaflet (folium's Popup needs jQuery, which the
    offline map does not load); the texts are JSON strings in the script, HTML-escaped."""

    _template = Template(
        "{% macro script(this, kwargs) %}\n"
        "{{ this._parent.get_name() }}.bindPopup({{ this.html|tojson }}, {maxWidth: 300});\n"
        "{{ this._parent.get_name() }}.bindTooltip({{ this.tooltip|tojson }}, {sticky: true});\n"
        "{% endmacro %}"
    )

    def __init__(self, html_text: str, *, tooltip: str) -> None:
        super().__init__()
        self._name = "PlannerMovePopup"
        self.html = html_text
        self.tooltip = tooltip


def _arrows(moves: gpd.GeoDataFrame) -> list[list[list[list[float]]]]:
    """Per move, the shaft and a two-stroke head at the receiving end, as (lat, lon) lists."""
    out = []
    for geom in moves.geometry:
        (x0, y0), (x1, y1) = geom.coords[0], geom.coords[-1]
        length = math.hypot(x1 - x0, y1 - y0)
        head = min(80.0, 0.3 * length)
        parts = [[(x0, y0), (x1, y1)]]
        if length > 0:
            ux, uy = (x1 - x0) / length, (y1 - y0) / length
            for sign in (1, -1):
                a = math.radians(25) * sign
                hx = x1 - head * (ux * math.cos(a) - uy * math.sin(a))
                hy = y1 - head * (ux * math.sin(a) + uy * math.cos(a))
                parts.append([(x1, y1), (hx, hy)])
        out.append(parts)
    flat = [pt for parts in out for part in parts for pt in part]
    if not flat:
        return []
    lonlat = gpd.GeoSeries(shapely.points(flat), crs=moves.crs).to_crs(4326)
    xs, ys = lonlat.x.to_numpy(), lonlat.y.to_numpy()
    result, k = [], 0
    for parts in out:
        move = []
        for part in parts:
            move.append(
                [[round(float(ys[k + t]), 7), round(float(xs[k + t]), 7)] for t in range(len(part))]
            )
            k += len(part)
        result.append(move)
    return result


def with_redistribution(
    review: Any, *, max_move_km: float | None = None, time_limit_s: float = 60.0
) -> Any:
    """``review`` (a :class:`planner.station_review.StationReview`) with its inspector moves
    (``--redistribute-inspectors``, ``--max-move-km``)."""
    from dataclasses import replace

    if max_move_km is not None and not (math.isfinite(max_move_km) and max_move_km > 0):
        raise InputError(
            f"--max-move-km {max_move_km:g} must be a positive number of kilometres",
            hint="e.g. --max-move-km 5; leave it out to allow moves anywhere within the city",
        )
    moves = redistribute_inspectors(
        review.stations,
        max_move_m=None if max_move_km is None else 1000.0 * float(max_move_km),
        time_limit_s=time_limit_s,
    )
    return replace(review, redistribution=moves)


# --- national ------------------------------------------------------------------------------------

#: Fields of a unit's station rows (:func:`unit_station_rows`), sent back from its worker.
STATION_ROW_FIELDS = ("station_id", "name", "lon", "lat", "inspectors_now", "inspectors_needed")


def unit_station_rows(
    stations: pd.DataFrame, residents_per_inspector: float, *, outline: Any = None
) -> tuple[tuple[Any, ...], ...]:
    """A unit's working stations with a known inspector count, as small tuples
    (:data:`STATION_ROW_FIELDS`) for the national redistribution.

    ``stations`` are a unit's coverage stations (``residents_nearest``, ``inspectors``; metric
    CRS); with ``outline`` (EPSG:4326), only stations inside it: a station belongs to the one unit
    containing it, though it may serve residents of the walking buffer around.
    """
    from planner.station_review import inspectors_needed
    from planner.stations import working

    if "inspectors" not in stations.columns:
        return ()
    st = stations[working(stations)]
    now = st["inspectors"].to_numpy(dtype=float)
    known = np.isfinite(now)
    if not known.any():
        return ()
    st = st[known]
    needed = inspectors_needed(st["residents_nearest"].fillna(0.0), residents_per_inspector)
    points = st.geometry.to_crs(4326)
    inside = (
        np.ones(len(st), dtype=bool)
        if outline is None
        else shapely.covers(outline, points.to_numpy())
    )
    names = st["name"] if "name" in st.columns else pd.Series([None] * len(st), index=st.index)
    return tuple(
        (str(sid), _text(name), float(p.x), float(p.y), float(n), int(k))
        for sid, name, p, n, k, keep in zip(
            st["station_id"], names, points, now[known], needed, inside, strict=True
        )
        if keep
    )


@dataclass(frozen=True, eq=False)
class NationalMoves:
    """The national redistribution (:func:`national_redistribution`).

    Attributes
    ----------
    moves
        The moves with ``from_unit``/``to_unit`` (EPSG:4326 lines).
    units
        Per unit: ``unit``, ``stations`` (with a count, each in one unit), ``inspectors_now``,
        ``inspectors_needed``, ``shortfall``, ``surplus``, ``received``, ``sent``, ``to_hire``.
    """

    result: Redistribution
    moves: gpd.GeoDataFrame
    units: pd.DataFrame
    max_move_m: float | None
    stations_taking_part: int
    duplicates_dropped: int

    def rule(self) -> str:
        if self.max_move_m is None:
            return "between working stations of the same unit"
        return (
            f"between working stations at most {self.max_move_m / 1000:g} km apart "
            "(straight line), across unit borders too"
        )


def national_redistribution(
    unit_rows: Mapping[str, tuple[tuple[Any, ...], ...]],
    *,
    max_move_m: float | None = None,
    time_limit_s: float = 60.0,
) -> NationalMoves:
    """The best moves over the country, from each unit's :func:`unit_station_rows`.

    ``unit_rows`` maps unit names (in input order) to their rows. A station listed by two units
    (on a shared border) counts in the first only, like residents in overlapping units.
    """
    records = []
    seen: set[str] = set()
    duplicates = 0
    for unit, rows in unit_rows.items():
        for row in rows:
            if row[0] in seen:
                duplicates += 1
                continue
            seen.add(row[0])
            records.append((unit, *row))
    table = pd.DataFrame(records, columns=["unit", *STATION_ROW_FIELDS])
    frame = gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs=4326
    )
    result = redistribute(
        table["inspectors_now"].to_numpy(dtype=float),
        table["inspectors_needed"].to_numpy(dtype=float),
        lon=table["lon"].to_numpy(dtype=float),
        lat=table["lat"].to_numpy(dtype=float),
        unit=None if max_move_m is not None else table["unit"].to_numpy(dtype=object),
        max_move_m=max_move_m,
        time_limit_s=time_limit_s,
    )
    moves = moves_frame(frame, result)
    unit_of = dict(zip(table["station_id"], table["unit"], strict=True))
    moves.insert(0, "from_unit", moves["from_station_id"].map(unit_of))
    moves.insert(3, "to_unit", moves["to_station_id"].map(unit_of))
    gap = (table["inspectors_needed"] - table["inspectors_now"]).round()
    table["shortfall"] = gap.clip(lower=0).astype(int)
    table["surplus"] = (-gap).clip(lower=0).astype(int)
    received = moves.groupby("to_unit")["count"].sum()
    sent = moves.groupby("from_unit")["count"].sum()
    per_unit = table.groupby("unit", sort=False).agg(
        stations=("station_id", "size"),
        inspectors_now=("inspectors_now", "sum"),
        inspectors_needed=("inspectors_needed", "sum"),
        shortfall=("shortfall", "sum"),
        surplus=("surplus", "sum"),
    )
    per_unit = per_unit.reindex([u for u in unit_rows if u in per_unit.index])
    per_unit["received"] = received.reindex(per_unit.index).fillna(0).astype(int)
    per_unit["sent"] = sent.reindex(per_unit.index).fillna(0).astype(int)
    per_unit["to_hire"] = per_unit["shortfall"] - per_unit["received"]
    return NationalMoves(
        result=result,
        moves=moves,
        units=per_unit.reset_index(),
        max_move_m=max_move_m,
        stations_taking_part=len(table),
        duplicates_dropped=duplicates,
    )


def national_dict(moves: NationalMoves) -> dict[str, Any]:
    """The ``inspector_redistribution`` block of national.json."""
    r = moves.result
    return {
        "rule": moves.rule(),
        "max_move_m": moves.max_move_m,
        "distance": "straight line between the stations' points (great circle)",
        "station_rule": "a station belongs to the one unit containing it (the first listed "
        "when on a shared border)",
        "shortfall": r.shortfall,
        "surplus": r.surplus,
        "covered": r.covered,
        "to_hire": r.to_hire,
        "moves": r.moves,
        "moves_lower_bound": r.moves_lower_bound,
        "total_distance_m": round(r.total_distance_m, 1),
        "status": r.status,
        "stations_taking_part": moves.stations_taking_part,
        "stations_without_count": 0,
        "stations_in_two_units": moves.duplicates_dropped,
        "units": [
            {k: (v if isinstance(v, str) else int(v)) for k, v in row.items()}
            for row in moves.units.to_dict(orient="records")
        ],
        "move_list": [
            {
                "from_unit": row.from_unit,
                "from_station_id": row.from_station_id,
                "from_name": row.from_name,
                "to_unit": row.to_unit,
                "to_station_id": row.to_station_id,
                "to_name": row.to_name,
                "count": int(row.count),
                "distance_m": float(row.distance_m),
            }
            for row in moves.moves.head(MEMO_MOVES * 10).itertuples()
        ],
        "move_list_complete": len(moves.moves) <= MEMO_MOVES * 10,
    }


def national_memo_lines(block: Mapping[str, Any] | None) -> list[str]:
    """The national memo's section: the country's headline and a row per unit."""
    if not block:
        return []
    lines = memo_lines(block)
    units = block.get("units") or []
    if units:
        lines += [
            "Per unit (a station counts in the one unit containing it):",
            "",
            "| unit | stations with a count | inspectors now | needed | shortfall | surplus "
            "| received | sent | to hire |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {_cell(str(u['unit']))} | {u['stations']} | {u['inspectors_now']} "
            f"| {u['inspectors_needed']} | {u['shortfall']} | {u['surplus']} "
            f"| {u['received']} | {u['sent']} | {u['to_hire']} |"
            for u in units
        ]
        lines.append("")
    return lines


def add_map_layer(the_map: folium.Map, moves: gpd.GeoDataFrame) -> None:
    """Add the arrows (:func:`map_layer`) to a finished map, ahead of its layer control.

    The layer control's script names every layer, so a layer added after the control would be
    used before it exists (a script error that leaves the map without its control): the
    control is moved to the end again.
    """
    layer = map_layer(moves)
    if layer is None:
        return
    children = the_map._children  # branca keeps the render order here
    controls = [(k, c) for k, c in children.items() if isinstance(c, folium.LayerControl)]
    for key, _ in controls:
        del children[key]
    the_map.add_child(layer)
    for key, control in controls:
        children[key] = control
