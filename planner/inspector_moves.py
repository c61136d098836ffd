"""Redistributing inspectors between stations: the GeoDataFrame side of the moves.

A thin adapter around the numeric core :mod:`planner.redistribution`: it takes the reviewed
stations (:func:`planner.station_review.review_stations`: ``working``, ``inspectors_now``,
``inspectors_needed``), or nationally each unit's working stations counted once
(:mod:`planner.national.run`), solves the moves and returns them as :class:`InspectorMoves`:
the ``inspector_moves`` layer of plan.gpkg (national.gpkg) with its numbers. The rule
(docs/method.md section 12): only working stations with a known inspector count take part; a
move stays within the unit (the city, or a national unit) or, with ``max_move_m``, between
stations at most that far apart in a straight line.

What the outputs make of it lives with the other outputs: the ``inspector_redistribution`` block
of summary.json and national.json in :func:`planner.report.redistribution_dict`, the memo section
in :func:`planner.outputs.redistribution_lines`, the map's arrows in
:func:`planner.maps.city.inspector_moves_layer`, the command line's lines in
:mod:`planner._cli_print`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._crs import WGS84
from planner.defaults import DEFAULT_NODE_LIMIT, DEFAULT_TIME_LIMIT_S
from planner.errors import InputError
from planner.i18n import gettext, language
from planner.redistribution import Redistribution, redistribute

__all__ = [
    "MOVE_COLUMNS",
    "STATION_COLUMNS",
    "InspectorMoves",
    "moves_frame",
    "national_redistribution",
    "redistribute_inspectors",
    "with_redistribution",
]

logger = logging.getLogger("planner.inspector_moves")

#: Columns of the ``inspector_moves`` layer (besides the line geometry); nationally
#: ``from_unit`` and ``to_unit`` too.
MOVE_COLUMNS = (
    "from_station_id",
    "from_name",
    "to_station_id",
    "to_name",
    "count",
    "distance_m",
)
#: Columns of the national station table (:func:`national_redistribution`).
STATION_COLUMNS = (
    "unit",
    "station_id",
    "name",
    "lon",
    "lat",
    "inspectors_now",
    "inspectors_needed",
)


@dataclass(frozen=True, eq=False)
class InspectorMoves:
    """The moves of :func:`redistribute_inspectors` or :func:`national_redistribution`.

    Attributes
    ----------
    result
        The numeric answer (:class:`planner.redistribution.Redistribution`).
    moves
        The ``inspector_moves`` layer: :data:`MOVE_COLUMNS` (nationally with ``from_unit`` and
        ``to_unit``) and a line from the giving to the receiving station; the largest moves
        first, then the shortest.
    max_move_m
        The distance limit, or ``None`` (moves within the unit).
    stations_taking_part, stations_without_count
        Working stations with a known count, and working stations without one (left out).
    units
        Nationally, a row per unit: ``unit``, ``stations`` (with a count, each in its home
        unit), ``inspectors_now``, ``inspectors_needed``, ``shortfall``, ``surplus``,
        ``received``, ``sent``, ``to_hire``; ``None`` in a city run.
    stations_in_several_units
        Nationally, stations listed by more than one unit (each counted in its home unit only).
    """

    result: Redistribution
    moves: gpd.GeoDataFrame
    max_move_m: float | None
    stations_taking_part: int
    stations_without_count: int
    units: pd.DataFrame | None = None
    stations_in_several_units: int = 0

    @property
    def national(self) -> bool:
        return self.units is not None

    @property
    def time_limit_hit(self) -> bool:
        """Whether the wall-clock safety net stopped a solve of the moves."""
        return self.result.time_limit_hit

    def rule(self) -> str:
        """The allowed moves, in words (in the language in use: :func:`move_rule`)."""
        return move_rule(self.max_move_m, national=self.national)


def move_rule(max_move_m: float | None, *, national: bool) -> str:
    """The allowed moves in words, completing "Moves are allowed ...": within a unit, or at most
    ``max_move_m`` apart (straight line). summary.json keeps the English words (``rule``)."""
    if max_move_m is None:
        if national:
            return gettext("between working stations of the same unit")
        return gettext("between working stations of the same unit (the whole city in a city run)")
    km = f"{max_move_m / 1000:g}"
    return (
        gettext(
            "between working stations at most {km} km apart (straight line), across unit "
            "borders too"
        )
        if national
        else gettext("between working stations at most {km} km apart (straight line)")
    ).format(km=km if language() == "en" else km.replace(".", ","))


def _check_max_move(max_move_m: Any) -> None:
    if max_move_m is not None and not (
        isinstance(max_move_m, int | float)
        and not isinstance(max_move_m, bool)
        and math.isfinite(max_move_m)
        and max_move_m > 0
    ):
        raise InputError(
            gettext("{option} must be a number of metres > 0").format(
                option=f"max_move_m={max_move_m!r}"
            ),
            hint=gettext("e.g. {example}; None allows moves anywhere within the unit").format(
                example="max_move_m=5000"
            ),
        )


def redistribute_inspectors(
    stations: gpd.GeoDataFrame,
    *,
    max_move_m: float | None = None,
    unit_column: str | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    node_limit: int = DEFAULT_NODE_LIMIT,
) -> InspectorMoves:
    """The moves of inspectors that cover the most shortfall (fewest moves, then shortest).

    Parameters
    ----------
    stations
        Reviewed stations (:attr:`planner.station_review.StationReview.stations`), in any CRS,
        with ``station_id``, ``working``, ``inspectors_now``, ``inspectors_needed``.
    max_move_m
        ``None``: any move within a unit; a number: moves between stations at most this far
        apart (straight line), across units too.
    unit_column
        Column naming each station's unit; ``None``: all stations are one unit.
    time_limit_s, node_limit
        The solver's limits (see :func:`planner.redistribution.redistribute`).

    Raises
    ------
    InputError
        Without any inspector count, or with a bad ``max_move_m``.
    """
    _check_max_move(max_move_m)
    missing = [
        c for c in ("station_id", "working", "inspectors_now", "inspectors_needed")
        if c not in stations.columns
    ]  # fmt: skip
    if missing:
        raise InputError(
            gettext("redistribute_inspectors: the stations lack {columns}").format(
                columns=", ".join(missing)
            ),
            hint=gettext("pass {value}").format(value="review_stations(city, coverage).stations"),
        )
    working = stations["working"].to_numpy(dtype=bool)
    now = stations["inspectors_now"].to_numpy(dtype=float)
    known = working & np.isfinite(now)
    if not known.any():
        raise InputError(
            gettext(
                "redistribute_inspectors needs the number of inspectors at the stations: the "
                "stations file has no inspectors column with a count at any working station"
            ),
            hint=gettext(
                "add a column {column} (whole numbers) to the stations file, as in {example}"
            ).format(column="'inspectors'", example="data/almaty_stations_illustrative.csv"),
        )
    needed = np.where(known, stations["inspectors_needed"].to_numpy(dtype=float), np.nan)
    now = np.where(known, now, np.nan)
    points = stations.geometry.to_crs(WGS84)
    result = redistribute(
        now,
        needed,
        lon=points.x.to_numpy(),
        lat=points.y.to_numpy(),
        unit=None if unit_column is None else stations[unit_column].to_numpy(),
        max_move_m=max_move_m,
        time_limit_s=time_limit_s,
        node_limit=node_limit,
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


def with_redistribution(
    review: Any,
    *,
    max_move_m: float | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    node_limit: int = DEFAULT_NODE_LIMIT,
) -> Any:
    """``review`` (a :class:`planner.station_review.StationReview`) with its inspector moves
    in ``review.redistribution``."""
    moves = redistribute_inspectors(
        review.stations, max_move_m=max_move_m, time_limit_s=time_limit_s, node_limit=node_limit
    )
    return replace(review, redistribution=moves)


def moves_frame(stations: gpd.GeoDataFrame, result: Redistribution) -> gpd.GeoDataFrame:
    """The ``inspector_moves`` layer: one line per move, from the giving station; the largest
    moves first, then the shortest."""
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
    order = np.lexsort((out["distance_m"].to_numpy(), -out["count"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


# --- national ------------------------------------------------------------------------------------


def national_redistribution(
    stations: pd.DataFrame,
    *,
    units: Sequence[str],
    max_move_m: float | None = None,
    stations_in_several_units: int = 0,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    node_limit: int = DEFAULT_NODE_LIMIT,
) -> InspectorMoves:
    """The best moves over the country.

    Parameters
    ----------
    stations
        The working stations of the units, each once, in its home unit (the national counting
        rule of :mod:`planner.national.run`): :data:`STATION_COLUMNS`, ``lon``/``lat`` in
        degrees, ``inspectors_now`` NaN where the count is not known (the station takes no
        part), ``inspectors_needed`` at the norm for the residents it serves in all units.
    units
        The units' names in input order (the per-unit table's rows; units without a station
        with a count have none).
    max_move_m
        ``None``: moves within each unit; a number: between any stations at most this far
        apart (straight line), across units too.
    stations_in_several_units
        How many stations more than one unit listed (reported).
    """
    _check_max_move(max_move_m)
    missing = [c for c in STATION_COLUMNS if c not in stations.columns]
    if missing:
        raise InputError(
            gettext("national_redistribution: the stations lack {columns}").format(
                columns=", ".join(missing)
            )
        )
    now_all = stations["inspectors_now"].to_numpy(dtype=float)
    known = np.isfinite(now_all)
    table = stations.loc[known, list(STATION_COLUMNS)].reset_index(drop=True)
    frame = gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs=WGS84
    )
    result = redistribute(
        table["inspectors_now"].to_numpy(dtype=float),
        table["inspectors_needed"].to_numpy(dtype=float),
        lon=table["lon"].to_numpy(dtype=float),
        lat=table["lat"].to_numpy(dtype=float),
        unit=None if max_move_m is not None else table["unit"].to_numpy(dtype=object),
        max_move_m=max_move_m,
        time_limit_s=time_limit_s,
        node_limit=node_limit,
    )
    moves = moves_frame(frame, result)
    unit_of = dict(zip(table["station_id"], table["unit"], strict=True))
    moves.insert(0, "from_unit", moves["from_station_id"].map(unit_of))
    moves.insert(3, "to_unit", moves["to_station_id"].map(unit_of))
    return InspectorMoves(
        result=result,
        moves=moves,
        max_move_m=None if max_move_m is None else float(max_move_m),
        stations_taking_part=len(table),
        stations_without_count=int((~known).sum()),
        units=_per_unit(table, moves, units),
        stations_in_several_units=int(stations_in_several_units),
    )


def _per_unit(table: pd.DataFrame, moves: pd.DataFrame, units: Sequence[str]) -> pd.DataFrame:
    """A row per unit with a station taking part: its numbers before and after the moves."""
    gap = (table["inspectors_needed"] - table["inspectors_now"]).round()
    table = table.assign(
        shortfall=gap.clip(lower=0).astype(int), surplus=(-gap).clip(lower=0).astype(int)
    )
    per_unit = table.groupby("unit", sort=False).agg(
        stations=("station_id", "size"),
        inspectors_now=("inspectors_now", "sum"),
        inspectors_needed=("inspectors_needed", "sum"),
        shortfall=("shortfall", "sum"),
        surplus=("surplus", "sum"),
    )
    per_unit = per_unit.reindex([u for u in units if u in per_unit.index])
    per_unit[["inspectors_now", "inspectors_needed"]] = (
        per_unit[["inspectors_now", "inspectors_needed"]].round().astype(int)
    )
    received = moves.groupby("to_unit")["count"].sum()
    sent = moves.groupby("from_unit")["count"].sum()
    per_unit["received"] = received.reindex(per_unit.index).fillna(0).astype(int)
    per_unit["sent"] = sent.reindex(per_unit.index).fillna(0).astype(int)
    per_unit["to_hire"] = per_unit["shortfall"] - per_unit["received"]
    return per_unit.rename_axis("unit").reset_index()
