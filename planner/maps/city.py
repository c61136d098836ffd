"""The city's coverage map (``map.html``): :func:`coverage_map`.

Streets as the offline base map, existing stations coloured by status with the station review's
numbers, service areas, uncovered buildings, proposed sites in rollout order, scored proposals,
districts, scenario and relocation layers, the legend and the "Try sites" panel. The layer
columns it reads are listed in :mod:`planner.maps`; the Leaflet pieces come from
:mod:`planner.maps._leaflet`.
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from folium.template import Template

from planner import i18n
from planner._format import (
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
from planner.i18n import N_, fmt_decimal, gettext, ngettext
from planner.maps._leaflet import (
    LEAFLET_PREFIX,
    OSM_ATTRIBUTION,
    PROPOSAL_COLOR,
    SITE_COLOR,
    _column,
    _FastRender,
    _float_column,
    _GeoJsonLayer,
    _illustrative_html,
    _js_string,
    _legend_element,
    _missing,
    _offline_map,
    _points,
    _prepare,
    _Raw,
    _round,
    _script_json,
    _script_safe,
    _ScriptElement,
    _static_script,
    _static_text,
    _text,
    _tile_layer,
)

if TYPE_CHECKING:
    from planner.try_sites import TrySites

__all__ = [
    "DISTRICT_COLORS",
    "LAYER_BUILDINGS",
    "LAYER_DISTRICTS",
    "LAYER_INSPECTOR_MOVES",
    "LAYER_PROPOSALS",
    "LAYER_RELOCATIONS",
    "LAYER_SITES",
    "LAYER_STATIONS",
    "LAYER_STREETS",
    "LAYER_VEHICLES",
    "STATION_REVIEW_COLUMNS",
    "VEHICLE_BASE_COLOR",
    "VEHICLE_COLOR",
    "VEHICLE_NUMERIC_COLUMNS",
    "coverage_map",
    "inspector_moves_layer",
    "vehicles_layer",
    "vehicles_legend_html",
]

log = logging.getLogger(__name__)

#: Street simplification tolerance in degrees (~1 m at Kazakhstan's latitudes).
STREET_SIMPLIFY_DEG = 1e-5

#: Layer names: the English text is the id (used as a key by the tests and other modules); the
#: layer control shows ``gettext(LAYER_...)``, in the run's language.
LAYER_STREETS = N_("Streets (offline base map)")
LAYER_STATIONS = N_("Existing police stations")
LAYER_SERVICE = N_("Service area")
LAYER_BUILDINGS = N_("Uncovered residential buildings")
LAYER_SITES = N_("Proposed sites, rollout order")
LAYER_PROPOSALS = N_("Akimat proposals, scored")
LAYER_RELOCATIONS = N_("Relocation sites")
#: The arrows of :mod:`planner.inspector_moves` (followed by the number of moves).
LAYER_INSPECTOR_MOVES = N_("Inspector moves")
LAYER_VEHICLES = N_("Service vehicles: bases and drive-time areas")

#: Sequential fill for residents per building (ColorBrewer YlOrRd, 5 classes).
POPULATION_COLORS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
SERVICE_COLORS = ("#2c7fb8", "#41b6c4", "#7fcdbb", "#253494", "#a1dab4")
STATION_COLOR = "#1f4e9c"
UNUSABLE_COLOR = "#9e9e9e"
REPAIR_COLOR = "#fb8c00"
PLANNED_COLOR = "#8e24aa"
CLOSED_COLOR = "#424242"
MOVE_COLOR = "#6a3d9a"
#: Buildings of the scenario layers, in the order given (ColorBrewer Dark2: teal, pink, ...).
SCENARIO_COLORS = ("#1b9e77", "#e7298a", "#66a61e", "#e6ab02", "#7570b3")

#: Marker of each station status: fill, outline, dash, wording in the popup and the legend
#: (English ids, shown through ``gettext``).
STATUS_STYLES: dict[str, tuple[str, str, str | None, str, str]] = {
    "open": (STATION_COLOR, "#ffffff", None, N_("open"), N_("Station open")),
    "repair": (
        REPAIR_COLOR,
        "#ffffff",
        None,
        N_("needs repair (still working)"),
        N_("Station needs repair (still working)"),
    ),
    "planned": (
        "#ffffff",
        PLANNED_COLOR,
        "3 2",
        N_("planned (not open yet)"),
        N_("Station planned"),
    ),
    "closed": (CLOSED_COLOR, "#ffffff", None, N_("closed"), N_("Station closed")),
}


#: The stations review's numeric columns (:func:`planner.station_review.review_stations`), shown
#: in the stations' popups and kept in the GeoPackage's stations layer.
STATION_REVIEW_COLUMNS = (
    "residents_served",
    "residents_only_here",
    "repair_rank",
    "inspectors_needed",
    "inspectors_now",
    "inspector_gap",
    "relocation_site_lon",
    "relocation_site_lat",
    "relocation_gain",
)


class _TrySitesPanel(_FastRender):
    """The "Try sites" panel (``_static/try_sites.js``) with its data inlined as JSON."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        plannerTrySites({{ this._parent.get_name() }}, {{ this.payload_js }});
        {% endmacro %}
        """
    )

    def __init__(self, payload: Mapping[str, Any]) -> None:
        super().__init__()
        self._name = "TrySitesPanel"
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        self.payload_js = _script_json(text)


# --------------------------------------------------------------------------- layers


def _streets_layer(gdf: gpd.GeoDataFrame) -> _GeoJsonLayer:
    lines = shapely.get_parts(gdf.geometry.to_numpy())
    lines = lines[shapely.get_type_id(lines) == 1]  # LineStrings (polygon areas are skipped)
    lines = _round(shapely.simplify(lines, STREET_SIMPLIFY_DEG, preserve_topology=False))
    merged = shapely.multilinestrings(lines) if len(lines) else shapely.MultiLineString()
    return _GeoJsonLayer(
        np.array([merged]),
        [{}],
        name=gettext(LAYER_STREETS),
        overlay=False,
        interactive=False,
        attribution=OSM_ATTRIBUTION,
        style={"color": "#8c8c8c", "weight": 1, "opacity": 0.9},
    )


def _station_labels(gdf: gpd.GeoDataFrame) -> list[str]:
    """Station names with their id (``"Участок 1 [st-7]"``: two stations may share a name),
    ``"Station 3"`` (3rd row) where neither is known."""
    names = _column(gdf, "name", str)
    ids = _column(gdf, "station_id", str) if "station_id" in gdf.columns else [None] * len(gdf)
    return [
        (f"{name} [{sid}]" if name and sid else name or sid)
        or gettext("Station {n}").format(n=i + 1)
        for i, (name, sid) in enumerate(zip(names, ids, strict=True))
    ]


def _lookup(labels: Mapping[Any, str], value: Any) -> str | None:
    """Station name for an index value of the stations frame (ids may come back as floats)."""
    if _missing(value):
        return None
    if value in labels:
        return labels[value]
    if isinstance(value, float) and value.is_integer() and int(value) in labels:
        return labels[int(value)]
    return str(value)


def _statuses(gdf: gpd.GeoDataFrame) -> list[str] | None:
    """Station statuses in lower case (blank = ``"open"``), or None without a status column."""
    if "status" not in gdf.columns:
        return None
    return [
        "open" if _missing(v) or not str(v).strip() else str(v).strip().lower()
        for v in gdf["status"].tolist()
    ]


def _working(gdf: gpd.GeoDataFrame, usable: list[bool], statuses: list[str] | None) -> list[bool]:
    """The ``working`` column, else usable and open or under repair (as planner.stations)."""
    if "working" in gdf.columns:
        return [not _missing(v) and bool(v) for v in gdf["working"].tolist()]
    if statuses is None:
        return list(usable)
    return [ok and st in ("open", "repair") for ok, st in zip(usable, statuses, strict=True)]


def _fmt_gap_inspectors(value: float) -> str | None:
    """Inspectors needed minus those there now, as words: ``"3 missing"``."""
    if not math.isfinite(value):
        return None
    count = round(value)
    if count > 0:
        return gettext("{count} missing").format(count=count_text(count))
    if count < 0:
        return gettext("{count} more than needed").format(count=count_text(-count))
    return gettext("none missing")


def _decimal(value: float, digits: int) -> str:
    """``1234.5`` as today's English writes it (no thousands separator), ``1 234,5`` in ru/kk."""
    return f"{value:.{digits}f}" if i18n.language() == "en" else fmt_decimal(value, digits=digits)


def _fmt_latlon(lat: float, lon: float) -> str:
    return f"{lat:.6f}, {lon:.6f}"


def _relocation_text(gain: float) -> str:
    count = round(gain)
    if count > 0:
        return ngettext("{count} residents", "{count} residents", count).format(
            count=count_text(count)
        )
    if count < 0:
        return gettext("none (the best site nearby serves {count} fewer)").format(
            count=count_text(-count)
        )
    return gettext("no residents")


def _moving_label(radius_m: float | None) -> str:
    if radius_m is None:
        return gettext("Moving it nearby (instead of repairing it) would add")
    return gettext("Moving it within {metres} m (instead of repairing it) would add").format(
        metres=count_text(radius_m)
    )


def _stations_layer(
    gdf: gpd.GeoDataFrame, *, relocation_radius_m: float | None = None
) -> _GeoJsonLayer:
    usable = (
        gdf["usable"].fillna(True).astype(bool).tolist()
        if "usable" in gdf.columns
        else [True] * len(gdf)
    )
    statuses = _statuses(gdf)
    working = _working(gdf, usable, statuses)
    names = _station_labels(gdf)
    served = _column(gdf, "residents_within", count_text)
    reasons = _column(gdf, "problem", _text)
    served_all = _float_column(gdf, "residents_served")
    only_here = _float_column(gdf, "residents_only_here")
    rank = _float_column(gdf, "repair_rank")
    n_ranked = int(np.isfinite(rank).sum())
    needed = _float_column(gdf, "inspectors_needed")
    now = _float_column(gdf, "inspectors_now")
    gap = _float_column(gdf, "inspector_gap")
    site_lon = _float_column(gdf, "relocation_site_lon")
    site_lat = _float_column(gdf, "relocation_site_lat")
    gain = _float_column(gdf, "relocation_gain")

    def count(values: np.ndarray, i: int) -> str | None:
        return count_text(values[i]) if math.isfinite(values[i]) else None

    props = []
    for i, ok in enumerate(usable):
        status = statuses[i] if statuses is not None else None
        fill, outline, dash, wording, _ = STATUS_STYLES.get(status or "open", STATUS_STYLES["open"])
        if status is None:
            status_text = gettext("in use") if ok else gettext("not used in the plan")
        else:
            shown = gettext(wording) if status in STATUS_STYLES else status
            status_text = (
                shown if ok else gettext("{status}; not used in the plan").format(status=shown)
            )
        repair = status == "repair" and math.isfinite(gain[i])
        moved = repair and gain[i] >= 0.5 and math.isfinite(site_lon[i] + site_lat[i])
        props.append(
            {
                "name": names[i],
                "served": served[i] if ok and working[i] else None,
                "status": status_text,
                "reason": None if ok else (reasons[i] or gettext("reason not recorded")),
                "served_all": count(served_all, i) if working[i] else None,
                "only_here": count(only_here, i) if working[i] else None,
                "rank": (
                    gettext("{rank} of {n}").format(rank=count_text(rank[i]), n=n_ranked)
                    if working[i] and math.isfinite(rank[i])
                    else None
                ),
                "needed": (
                    count(needed, i)
                    if working[i]
                    else gettext("none yet: not working, it serves nobody today")
                    if ok and status in ("planned", "closed")
                    else None
                ),
                "now": count(now, i),
                "gap": _fmt_gap_inspectors(gap[i]) if working[i] else None,
                "moving": _relocation_text(gain[i]) if repair else None,
                "site": _fmt_latlon(site_lat[i], site_lon[i]) if moved else None,
                "_fill": fill if ok else UNUSABLE_COLOR,
                "_dash": dash if ok else "3 3",
                "_color": outline if ok else "#c62828",
            }
        )
    n_bad = len(usable) - sum(usable)
    layer = gettext(LAYER_STATIONS)
    if n_bad:
        label = ngettext(
            "{layer} ({n}, {bad} unusable)", "{layer} ({n}, {bad} unusable)", n_bad
        ).format(layer=layer, n=len(gdf), bad=n_bad)
    else:
        label = gettext("{layer} ({n})").format(layer=layer, n=len(gdf))
    return _GeoJsonLayer(
        _points(gdf),
        props,
        name=label,
        radius=7,
        style={"weight": 2, "fillOpacity": 0.95, "opacity": 1},
        title_key="name",
        popup_fields=[
            ("served", gettext("Residents within walking distance")),
            ("status", gettext("Status")),
            ("reason", gettext("Why not used")),
            (
                "served_all",
                gettext(
                    "Residents served: it is their nearest station, at any distance "
                    "(the workload of its inspectors)"
                ),
            ),
            ("only_here", gettext("Residents only here (lose walking access if it closes)")),
            ("rank", gettext("Repair priority (1 = most residents lose access)")),
            ("needed", gettext("Inspectors needed (1 per norm of residents served)")),
            ("now", gettext("Inspectors now")),
            ("gap", gettext("Inspector gap")),
            ("moving", _moving_label(relocation_radius_m)),
            ("site", gettext("Best site to move it to (lat, lon)")),
        ],
    )


def _relocations_layer(
    gdf: gpd.GeoDataFrame, *, relocation_radius_m: float | None = None
) -> _GeoJsonLayer | None:
    """A dashed line from each station under repair to its relocation site and a ring there,
    for the sites that would serve more residents; None when there are none."""
    site_lon = _float_column(gdf, "relocation_site_lon")
    site_lat = _float_column(gdf, "relocation_site_lat")
    gain = _float_column(gdf, "relocation_gain")
    statuses = _statuses(gdf)
    repair = (
        np.array([s == "repair" for s in statuses], dtype=bool)
        if statuses is not None
        else np.ones(len(gdf), dtype=bool)
    )
    rows = np.flatnonzero(
        repair & np.isfinite(site_lon) & np.isfinite(site_lat) & np.isfinite(gain) & (gain >= 0.5)
    )
    if not rows.size:
        return None
    rows = rows[np.argsort(-gain[rows], kind="stable")]  # largest gain first
    names = _station_labels(gdf)
    stations = _points(gdf)
    sites = _round(shapely.points(site_lon[rows], site_lat[rows]))
    lines = shapely.linestrings(
        [
            [shapely.get_coordinates(stations[i])[0], shapely.get_coordinates(site)[0]]
            for i, site in zip(rows, sites, strict=True)
        ]
    )
    within = (
        gettext("within {metres} m").format(metres=count_text(relocation_radius_m))
        if relocation_radius_m
        else None
    )
    props = [
        {
            "title": gettext("Relocation site for {station}").format(station=names[i]),
            "gain": ngettext("{count} residents", "{count} residents", round(gain[i])).format(
                count=count_text(gain[i])
            ),
            "site": _fmt_latlon(site_lat[i], site_lon[i]),
            "within": within,
        }
        for i in rows
    ]
    return _GeoJsonLayer(
        np.concatenate([lines, sites]),
        [{**p, "_dash": "6 5"} for p in props] + props,  # lines below the rings
        name=gettext("{layer} ({n})").format(layer=gettext(LAYER_RELOCATIONS), n=rows.size),
        show=False,
        radius=6,
        style={
            "color": REPAIR_COLOR,
            "weight": 3,
            "opacity": 1,
            "fillColor": "#ffffff",
            "fillOpacity": 1,
        },
        title_key="title",
        popup_fields=[
            ("gain", gettext("Moving the station here would add (instead of repairing it)")),
            ("site", gettext("Site (lat, lon)")),
            ("within", gettext("On foot from the station")),
        ],
    )


def _move_label(name: Any, station_id: Any) -> str:
    """A station of a move as the stations layer names it (``"Участок 1 [st-7]"``)."""
    text = _text(name)
    return f"{text} [{station_id}]" if text else str(station_id)


def _arrows(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Per move (EPSG:4326 lines), the shaft and a two-stroke head at the receiving end, at
    most 80 m long (local metres: longitudes scaled by the cosine of the latitude)."""
    geoms = gdf.geometry.to_numpy()
    start = shapely.get_coordinates(shapely.get_point(geoms, 0))
    end = shapely.get_coordinates(shapely.get_point(geoms, -1))
    out = []
    for (x0, y0), (x1, y1) in zip(start, end, strict=True):
        kx = 111_320.0 * max(math.cos(math.radians(y1)), 1e-6)
        ky = 110_574.0
        dx, dy = (x1 - x0) * kx, (y1 - y0) * ky
        length = math.hypot(dx, dy)
        parts = [[(x0, y0), (x1, y1)]]
        if length > 0:
            head = min(80.0, 0.3 * length)
            ux, uy = dx / length, dy / length
            for sign in (1, -1):
                a = math.radians(25) * sign
                hx = -head * (ux * math.cos(a) - uy * math.sin(a))
                hy = -head * (ux * math.sin(a) + uy * math.cos(a))
                parts.append([(x1, y1), (x1 + hx / kx, y1 + hy / ky)])
        out.append(shapely.MultiLineString(parts))
    return _round(np.array(out, dtype=object))


def inspector_moves_layer(gdf: gpd.GeoDataFrame, *, show: bool = True) -> _GeoJsonLayer | None:
    """Arrows from the giving to the receiving station of each inspector move (the
    ``inspector_moves`` layer of :mod:`planner.inspector_moves`, in EPSG:4326), as wide as
    the inspectors moved, with a popup each; None without moves. The city and the national
    map both draw it."""
    if gdf is None or not len(gdf):
        return None
    count = _float_column(gdf, "count")
    distance = _float_column(gdf, "distance_m")
    froms, tos = (
        [
            _move_label(name, sid)
            for name, sid in zip(
                _column(gdf, f"{end}_name", str),
                _column(gdf, f"{end}_station_id", str),
                strict=True,
            )
        ]
        for end in ("from", "to")
    )
    props = [
        {
            "title": ngettext("{n} inspector", "{n} inspectors", c).format(n=minutes_text(c)),
            "from": f,
            "to": t,
            "distance": (
                gettext("{km} km (straight line)").format(km=fmt_decimal(d / 1000, digits=2))
                if math.isfinite(d)
                else None
            ),
            "_weight": 2 + min(int(c), 6) if math.isfinite(c) else 2,
        }
        for c, f, t, d in zip(count, froms, tos, distance, strict=True)
    ]
    return _GeoJsonLayer(
        _arrows(gdf),
        props,
        name=gettext("{layer} ({n})").format(layer=gettext(LAYER_INSPECTOR_MOVES), n=len(props)),
        show=show,
        style={"color": MOVE_COLOR, "weight": 3, "opacity": 0.9},
        line_weights=True,
        title_key="title",
        popup_fields=[
            ("from", gettext("From")),
            ("to", gettext("To")),
            ("distance", gettext("Distance")),
        ],
        tooltip_fields=[("to", gettext("To"))],
    )


def _status_counts(gdf: gpd.GeoDataFrame) -> dict[str, int] | None:
    """Stations per status, known statuses first in the order of ``STATUS_STYLES``."""
    statuses = _statuses(gdf)
    if statuses is None:
        return None
    order = [*STATUS_STYLES, *sorted(set(statuses) - set(STATUS_STYLES))]
    return {s: statuses.count(s) for s in order if s in statuses}


def _service_area_layers(gdf: gpd.GeoDataFrame) -> list[_GeoJsonLayer]:
    layers = []
    limits = gdf[["limit_m"]].copy()
    limits["limit_min"] = gdf["limit_min"] if "limit_min" in gdf.columns else np.nan
    keys = sorted(
        {(float(m), float(t)) for m, t in limits.itertuples(index=False, name=None)},
        key=lambda k: -k[0],  # largest first, so smaller areas are drawn on top
    )
    for i, (limit_m, limit_min) in enumerate(keys):
        rows = (limits["limit_m"] == limit_m) & (
            limits["limit_min"].isna()
            if math.isnan(limit_min)
            else limits["limit_min"] == limit_min
        )
        area = shapely.union_all(gdf.geometry.to_numpy()[rows.to_numpy()])
        label = gettext("{metres} m").format(metres=count_text(limit_m))
        if not math.isnan(limit_min):
            label = gettext("{minutes}-min walk ({metres})").format(
                minutes=minutes_text(limit_min), metres=label
            )
        color = SERVICE_COLORS[i % len(SERVICE_COLORS)]
        layers.append(
            _GeoJsonLayer(
                _round(np.array([area])),
                [{}],
                name=gettext("{layer}: {label}").format(layer=gettext(LAYER_SERVICE), label=label),
                interactive=False,
                style={
                    "color": color,
                    "weight": 1,
                    "opacity": 0.8,
                    "fillColor": color,
                    "fillOpacity": 0.2,
                },
            )
        )
    return layers


def _population_breaks(population: np.ndarray) -> list[float]:
    """Upper bounds of up to 5 classes (quantiles, rounded to whole residents)."""
    values = population[np.isfinite(population)]
    if not len(values):
        return []
    qs = np.quantile(values, [0.2, 0.4, 0.6, 0.8, 1.0])
    return sorted({float(math.ceil(q)) for q in qs})


def _walk_and_nearest(
    gdf: gpd.GeoDataFrame, station_labels: Mapping[Any, str]
) -> tuple[list[str | None], list[str | None]]:
    """Texts of ``walk_m`` and the name of ``nearest_station`` of each building."""
    if "walk_m" not in gdf.columns:
        walk: list[str | None] = [None] * len(gdf)
    else:  # NaN means "not reachable", which _column would drop as missing
        walk = [metres_text(v) for v in gdf["walk_m"].astype(float).tolist()]
    nearest: list[str | None] = (
        [_lookup(station_labels, v) for v in gdf["nearest_station"].tolist()]
        if "nearest_station" in gdf.columns
        else [None] * len(gdf)
    )
    return walk, nearest


def _buildings_layer(
    gdf: gpd.GeoDataFrame, *, max_polygons: int, station_labels: Mapping[Any, str]
) -> tuple[_GeoJsonLayer, list[tuple[str, str]]]:
    population = gdf["population"].to_numpy(dtype=float)
    breaks = _population_breaks(population)
    classes = np.searchsorted(np.array(breaks), population, side="left") if breaks else []
    as_points = len(gdf) > max_polygons
    geoms = _points(gdf) if as_points else _round(gdf.geometry.to_numpy())
    walk, nearest = _walk_and_nearest(gdf, station_labels)
    # raster cells with residents but no mapped building are demand points, not buildings
    kinds = _column(gdf, "demand_kind", str)
    n_cells = sum(1 for k in kinds if k is not None and k != "building")
    props = [
        {
            "population": count_text(pop) if math.isfinite(pop) else None,
            **({"what": _demand_kind_text(kinds[i])} if "demand_kind" in gdf.columns else {}),
            "walk": walk[i],
            "nearest": nearest[i],
            "_fill": POPULATION_COLORS[min(int(classes[i]), 4)] if breaks else None,
        }
        for i, pop in enumerate(population)
    ]
    if as_points:
        # untranslated: an info log for developers
        log.info("coverage_map: %d uncovered buildings drawn as points", len(gdf))
    key = []
    lower = float(math.floor(np.nanmin(population))) if breaks else 0.0
    for i, upper in enumerate(breaks):
        text = f"{count_text(lower)}–{count_text(upper)}" if upper > lower else count_text(upper)
        key.append((POPULATION_COLORS[i], text))
        lower = upper + 1
    layer = _GeoJsonLayer(
        geoms,
        props,
        name=_buildings_layer_name(len(gdf), n_cells, as_points),
        radius=3,
        style={"color": "#7a1c1c", "weight": 0.5, "opacity": 0.8, "fillOpacity": 0.85},
        tooltip_fields=[
            ("what", gettext("Demand point")),
            ("population", gettext("Residents")),
            ("walk", gettext("Walk to nearest station")),
            ("nearest", gettext("Nearest station")),
        ],
    )
    return layer, key


#: ``demand_kind`` values (:mod:`planner.demand`) as the tooltip shows them (English ids).
_DEMAND_KINDS = {
    "building": N_("building"),
    # untranslated: the key is the demand_kind value of planner.demand (machine-readable)
    "raster cell without mapped buildings": N_("raster cell without mapped buildings"),
}


def _demand_kind_text(kind: str | None) -> str | None:
    return None if kind is None else gettext(_DEMAND_KINDS[kind]) if kind in _DEMAND_KINDS else kind


def _buildings_layer_name(n: int, n_cells: int, as_points: bool) -> str:
    """``"Uncovered residential buildings (4)"``, with the raster cells and ", as points"."""
    layer = gettext(LAYER_BUILDINGS)
    if n_cells:
        layer = gettext("{layer} and raster cells without buildings ({cells})").format(
            layer=layer, cells=count_text(n_cells)
        )
    if as_points:
        return gettext("{layer} ({n}, as points)").format(layer=layer, n=count_text(n))
    return gettext("{layer} ({n})").format(layer=layer, n=count_text(n))


def _scenario_layer(
    gdf: gpd.GeoDataFrame,
    *,
    name: str,
    color: str,
    max_polygons: int,
    station_labels: Mapping[Any, str],
) -> _GeoJsonLayer:
    """Buildings of one scenario in one colour, off at start; tooltip with residents."""
    as_points = len(gdf) > max_polygons
    geoms = _points(gdf) if as_points else _round(gdf.geometry.to_numpy())
    population = gdf["population"].to_numpy(dtype=float)
    walk, nearest = _walk_and_nearest(gdf, station_labels)
    props = [
        {
            "population": count_text(pop) if math.isfinite(pop) else None,
            "walk": walk[i],
            "nearest": nearest[i],
        }
        for i, pop in enumerate(population)
    ]
    if as_points:
        # untranslated: an info log for developers
        log.info("coverage_map: %s: %d buildings drawn as points", name, len(gdf))
    return _GeoJsonLayer(
        geoms,
        props,
        name=html.escape(name),  # Leaflet's layer control shows names as HTML
        show=False,
        radius=3,
        style={
            "color": color,
            "weight": 1,
            "opacity": 0.9,
            "fillColor": color,
            "fillOpacity": 0.75,
        },
        tooltip_fields=[
            ("population", gettext("Residents")),
            ("walk", gettext("Walk to nearest station today")),
            ("nearest", gettext("Nearest station today")),
        ],
    )


def _sites_layer(gdf: gpd.GeoDataFrame) -> _GeoJsonLayer:
    order = np.argsort(gdf["rank"].to_numpy(dtype=float), kind="stable")
    gdf = gdf.iloc[order]
    ranks = [count_text(r) for r in gdf["rank"].tolist()]
    names = _column(gdf, "name", str)
    new = _column(gdf, "marginal_population", count_text)
    cum = _column(gdf, "cumulative_population", count_text)
    share = _column(gdf, "cumulative_share", share_text)
    district = _column(gdf, "district", district_text)
    props = [
        {
            "title": (
                gettext("Proposed site {rank}: {name}").format(rank=r, name=names[i])
                if names[i]
                else gettext("Proposed site {rank}").format(rank=r)
            ),
            "rank": r,
            **({"district": district[i]} if "district" in gdf.columns else {}),
            "new": new[i],
            "cum": cum[i],
            "share": share[i],
            "_label": r,
        }
        for i, r in enumerate(ranks)
    ]
    return _GeoJsonLayer(
        _points(gdf),
        props,
        name=gettext("{layer} ({n})").format(layer=gettext(LAYER_SITES), n=len(gdf)),
        icon_class="planner-rank",
        style={},
        title_key="title",
        popup_fields=[
            ("rank", gettext("Rollout order")),
            ("district", gettext("District")),
            ("new", gettext("Residents newly covered")),
            ("cum", gettext("Newly covered by sites 1 to this")),
            ("share", gettext("Share of residents covered then")),
        ],
    )


def _proposals_layer(gdf: gpd.GeoDataFrame) -> _GeoJsonLayer:
    names = _column(gdf, "name", str)
    alone = _column(gdf, "alone_population", count_text)
    marginal = _column(gdf, "marginal_population", count_text)
    greedy = _column(gdf, "greedy_rank", count_text)
    flags = _column(gdf, "flags", _text)
    props = [
        {
            "title": names[i] or gettext("Proposal {n}").format(n=i + 1),
            "alone": alone[i],
            "marginal": marginal[i],
            "greedy": greedy[i],
            "flags": flags[i] or gettext("none"),
            "_label": f"P{i + 1}",
        }
        for i in range(len(gdf))
    ]
    return _GeoJsonLayer(
        _points(gdf),
        props,
        name=gettext("{layer} ({n})").format(layer=gettext(LAYER_PROPOSALS), n=len(gdf)),
        icon_class="planner-proposal",
        style={},
        title_key="title",
        popup_fields=[
            ("alone", gettext("Residents newly covered, alone")),
            ("marginal", gettext("Lost if dropped from the list")),
            ("greedy", gettext("Rank within the list")),
            ("flags", gettext("Flags")),
        ],
    )


#: Fill of the area a service vehicle reaches, and the ring around the station it is based at.
VEHICLE_COLOR = "#2ca25f"
VEHICLE_BASE_COLOR = "#006d2c"
#: Numeric columns of a ``vehicle_areas`` layer (:attr:`planner.vehicles.VehiclePlan.drive_areas`).
VEHICLE_NUMERIC_COLUMNS = (
    "rank", "drive_min", "residents_gained", "area_km2", "base_lon", "base_lat",
)  # fmt: skip
#: Drive-time areas are simplified by this much (degrees, ~5 m) on the city map.
VEHICLE_SIMPLIFY_DEG = 5e-5


def _minutes_text(minutes: np.ndarray) -> str:
    """``"10 min"``, or ``"5-10 min"`` when the areas were drawn with different limits."""
    finite = minutes[np.isfinite(minutes)]
    if not finite.size:
        return gettext("drive time not recorded")
    low, high = float(finite.min()), float(finite.max())
    if low == high:
        return gettext("{minutes} min").format(minutes=minutes_text(low))
    return gettext("{minutes} min").format(minutes=f"{minutes_text(low)}\u2013{minutes_text(high)}")


def vehicles_layer(
    areas: gpd.GeoDataFrame, *, simplify_deg: float = VEHICLE_SIMPLIFY_DEG
) -> _GeoJsonLayer:
    """The service vehicles of a run: each one's drive-time area, filled, and a ring around the
    station it is based at (``base_lon``/``base_lat``), with the residents it adds in popups.

    ``areas`` is checked and in EPSG:4326 (``_prepare``), one row per vehicle: a
    :attr:`planner.vehicles.VehiclePlan.drive_areas` (``drive_min`` required; ``rank``,
    ``station_id``, ``name``, ``residents_gained``, ``area_km2``, ``base_lon``, ``base_lat``
    and, on the national map, ``unit`` optional). Shared by :func:`coverage_map` and
    :func:`planner.maps.national_map`.
    """
    minutes = _float_column(areas, "drive_min")
    ranks = _float_column(areas, "rank")
    names = _column(areas, "name", _text)
    ids = _column(areas, "station_id", _text)
    units = _column(areas, "unit", _text)
    gained = _column(areas, "residents_gained", count_text)
    km2 = _float_column(areas, "area_km2")
    lon, lat = _float_column(areas, "base_lon"), _float_column(areas, "base_lat")
    props = []
    for i in range(len(areas)):
        station = names[i] or ids[i] or gettext("station {n}").format(n=i + 1)
        props.append(
            {
                "title": gettext("Service vehicle at {station}").format(station=station),
                "unit": units[i],
                "reach": (
                    gettext("{minutes} min").format(minutes=minutes_text(minutes[i]))
                    if math.isfinite(minutes[i])
                    else None
                ),
                "gained": gained[i],
                "rank": count_text(ranks[i]) if math.isfinite(ranks[i]) else None,
                "area": (
                    gettext("{area} km\u00b2").format(area=_decimal(km2[i], 1))
                    if math.isfinite(km2[i])
                    else None
                ),
            }
        )
    outlines = _round(shapely.simplify(areas.geometry.to_numpy(), simplify_deg))
    based = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    bases = _round(shapely.points(lon[based], lat[based]))
    ring = {"_fill": VEHICLE_BASE_COLOR, "_color": VEHICLE_BASE_COLOR}
    return _GeoJsonLayer(
        np.concatenate([outlines, bases]),
        props + [props[i] | ring for i in based],
        name=gettext("{layer} ({n})").format(
            layer=gettext(LAYER_VEHICLES), n=_minutes_text(minutes)
        ),
        radius=11,
        style={
            "color": VEHICLE_COLOR,
            "weight": 1.5,
            "opacity": 0.9,
            "fillColor": VEHICLE_COLOR,
            "fillOpacity": 0.15,
        },
        title_key="title",
        popup_fields=[
            ("unit", gettext("Unit")),
            ("reach", gettext("Reached by car within")),
            ("gained", gettext("Residents it adds beyond a walk (in rollout order)")),
            ("rank", gettext("Rollout order")),
            ("area", gettext("Area reached")),
        ],
        tooltip_fields=[("gained", gettext("Residents it adds beyond a walk"))],
    )


def vehicles_legend_html(vehicles: Mapping[str, Any] | None, areas: gpd.GeoDataFrame) -> str:
    """The legend's lines on service vehicles: the area reached and the bases, with the numbers
    of ``vehicles`` (the summary's ``vehicles`` part: ``placed``, ``vehicle_gain``,
    ``drive_min``), else those of ``areas``."""
    esc = html.escape
    minutes = _float_column(areas, "drive_min")
    limit = lookup(vehicles, "drive_min")
    reach = (
        gettext("{minutes} min").format(minutes=minutes_text(limit))
        if limit is not None
        else _minutes_text(minutes)
    )
    placed = lookup(vehicles, "placed")
    gain = lookup(vehicles, "vehicle_gain")
    if placed is None:
        placed = len(areas)
    if gain is None and "residents_gained" in areas.columns:
        gain = float(np.nansum(_float_column(areas, "residents_gained")))
    numbers = (
        gettext("{placed} placed, +{gain} residents beyond a walk").format(
            placed=count_text(placed), gain=count_text(gain)
        )
        if gain is not None
        else gettext("{placed} placed").format(placed=count_text(placed))
    )

    def key(style: str, label: str) -> str:
        text = re.sub(r"(?<=\d) (?=\d{3}\b)", "&nbsp;", esc(label))
        return f'<div><span class="planner-key" style="{style}"></span>{text}</div>'

    return key(
        f"background:{VEHICLE_COLOR};opacity:.5",
        gettext("Reached within {reach} by a service vehicle ({numbers})").format(
            reach=reach, numbers=numbers
        ),
    ) + key(
        f"background:#fff;border:2px solid {VEHICLE_BASE_COLOR};box-sizing:border-box;"
        "border-radius:50%",
        gettext("Station with a service vehicle (ringed)"),
    )


#: Fill of a district by its share of residents covered now: 0-20, 20-40, ..., 80-100 %.
DISTRICT_COLORS = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")
LAYER_DISTRICTS = N_("Districts: share of residents covered")


def _districts_layer(gdf: gpd.GeoDataFrame) -> tuple[_GeoJsonLayer, _ScriptElement]:
    """District polygons filled by the share covered now, with a popup of their numbers (now,
    after the plan, calibration) and a small legend of their own; districts whose numbers are
    not reliable (``reliable`` False) have a dashed outline and say so. Districts without
    residents in the study area (neighbours of a unit, the country around it) are not filled:
    a share of nobody is no share."""
    share = _float_column(gdf, "share_covered")
    if "residents_total" in gdf.columns:
        empty = ~(_float_column(gdf, "residents_total") > 0)
        share = np.where(empty, np.nan, share)
    share_after = _float_column(gdf, "share_covered_after")
    reliable = (
        gdf["reliable"].fillna(True).astype(bool).to_numpy()
        if "reliable" in gdf.columns
        else np.ones(len(gdf), dtype=bool)
    )
    total = _column(gdf, "residents_total", count_text)
    now = _column(gdf, "residents_covered", count_text)
    after = _column(gdf, "residents_covered_after", count_text)
    official = _column(gdf, "official_population", count_text)
    factor = _column(gdf, "calibration_factor", lambda v: _decimal(float(v), 2))
    notes = _column(gdf, "calibration_note", lambda v: _text(v) or None)
    names = _column(gdf, "name", str)
    props = []
    for i in range(len(gdf)):
        cls = min(int(share[i] * 5), 4) if math.isfinite(share[i]) else None
        props.append(
            {
                "name": (
                    (names[i] or gettext("District {n}").format(n=i + 1))
                    if reliable[i]
                    else gettext("{district} (numbers not reliable)").format(
                        district=names[i] or gettext("District {n}").format(n=i + 1)
                    )
                ),
                "residents": total[i],
                "now": f"{now[i]} ({share_text(share[i])})" if now[i] is not None else None,
                "after": (
                    f"{after[i]} ({share_text(share_after[i])})" if after[i] is not None else None
                ),
                "official": official[i],
                "factor": factor[i],
                "note": notes[i],
                "_fill": DISTRICT_COLORS[cls] if cls is not None else "none",
                "_dash": None if reliable[i] else "6 4",
                "_color": "#333333" if reliable[i] else "#b71c1c",
            }
        )
    layer = _GeoJsonLayer(
        _round(gdf.geometry.to_numpy()),
        props,
        name=gettext(LAYER_DISTRICTS),
        style={"color": "#333333", "weight": 2, "opacity": 0.8, "fillOpacity": 0.25},
        title_key="name",
        popup_fields=[
            ("residents", gettext("Residents")),
            ("now", gettext("Covered now")),
            ("after", gettext("Covered after the plan")),
            ("official", gettext("Official population")),
            ("factor", gettext("Calibration factor (official / estimated)")),
            ("note", gettext("Note")),
        ],
        tooltip_fields=[("now", gettext("Covered now"))],
    )
    esc = html.escape
    parts = [
        "<div>"
        + gettext("{b}Districts{_b}: share of residents within the limit now (click one)").format(
            b="<b>", _b="</b>"
        )
        + "</div>"
    ]
    for i, color in enumerate(DISTRICT_COLORS):
        parts.append(
            f'<div><span class="planner-key" style="background:{color};opacity:.6"></span>'
            f"{20 * i}–{20 * (i + 1)}&nbsp;%</div>"
        )
    if not np.isfinite(share).all():
        parts.append(
            '<div><span class="planner-key" style="border:2px solid #333333;'
            'box-sizing:border-box"></span>'
            + esc(gettext("no residents in the study area"))
            + "</div>"
        )
    if not reliable.all():
        parts.append(
            '<div><span class="planner-key" style="border:2px dashed #b71c1c;'
            'box-sizing:border-box"></span>'
            + esc(gettext("numbers not reliable (buildings incomplete)"))
            + "</div>"
        )
    note = gdf.attrs.get("note")
    if note:
        parts.append(f'<div style="max-width:260px">{esc(str(note))}</div>')
    legend = _ScriptElement(
        "var {self} = L.control({position: 'bottomright'});\n"
        "{self}.onAdd = function () {\n"
        "  var div = L.DomUtil.create('div', 'planner-legend');\n"
        f"  div.innerHTML = {_js_string(''.join(parts))};\n"
        "  L.DomEvent.disableClickPropagation(div);\n"
        "  return div;\n"
        "};\n"
        "{self}.addTo({map});"
    )
    return layer, legend


def _legend_html(
    summary: Mapping[str, Any] | None,
    *,
    population_key: list[tuple[str, str]],
    service_layers: list[_GeoJsonLayer],
    has: Mapping[str, bool],
    station_statuses: Mapping[str, int] | None = None,
    scenario_keys: Sequence[tuple[str, str]] = (),
    vehicles_key: str = "",
) -> str:
    esc = html.escape
    parts = []
    city = lookup(summary, "city")
    heading = (
        gettext("Police coverage — {city}").format(city=city)
        if city
        else gettext("Police coverage")
    )
    parts.append(f"<h4>{esc(heading)}</h4>")
    parts += [_illustrative_html(label) for label in illustrative_labels(summary)]
    if summary:
        cov = lookup(summary, "coverage") or {}
        total = lookup(cov, "residents_total")
        rows: list[tuple[str, str]] = []
        if total is not None:
            rows.append((gettext("Residents"), count_text(total)))
        before = lookup(cov, "residents_covered")
        if before is not None:
            share = lookup(cov, "share_covered")
            if share is None and total:
                share = float(before) / float(total)
            rows.append((gettext("Covered now"), f"{count_text(before)} ({share_text(share)})"))
        after = lookup(summary, "plan", "residents_covered_after")
        if after is not None:
            share_after = lookup(summary, "plan", "share_covered_after")
            if share_after is None and total:
                share_after = float(after) / float(total)
            rows.append(
                (gettext("With the plan"), f"{count_text(after)} ({share_text(share_after)})")
            )
        params = lookup(summary, "parameters")
        if lookup(params, "max_walk_m") is not None or lookup(params, "max_walk_min") is not None:
            rows.append((gettext("Walking limit"), limit_text(params)))
        date = lookup(summary, "data", "data_date")
        if date is not None:
            rows.append((gettext("OSM data date"), str(date)))
        parts.append(
            "<table>"
            + "".join(f'<tr><td>{esc(k)}</td><td class="n">{esc(v)}</td></tr>' for k, v in rows)
            + "</table>"
        )

    def key(style: str, label: str) -> str:
        # "51 295": keep the digit groups of a number on one line
        text = re.sub(r"(?<=\d) (?=\d{3}\b)", "&nbsp;", esc(label))
        return f'<div><span class="planner-key" style="{style}"></span>{text}</div>'

    if has.get("stations"):
        if station_statuses and set(station_statuses) != {"open"}:
            for status, n in station_statuses.items():
                fill, outline, dash, _, label = STATUS_STYLES.get(status, STATUS_STYLES["open"])
                border = (
                    f"border:2px dashed {outline};box-sizing:border-box;"
                    if dash
                    else "border:1px solid #555;"
                )
                text = (
                    gettext(label)
                    if status in STATUS_STYLES
                    else gettext("Station {status}").format(status=status)
                )
                parts.append(
                    key(f"background:{fill};{border}border-radius:50%", f"{text} ({count_text(n)})")
                )
        else:
            parts.append(
                key(f"background:{STATION_COLOR};border-radius:50%", gettext("Police station"))
            )
        parts.append(
            key(
                f"background:{UNUSABLE_COLOR};border:1px dashed #c62828;border-radius:50%",
                gettext("Station not usable (see popup)"),
            )
        )
    for layer in service_layers:
        color = layer.style["fillColor"]
        parts.append(key(f"background:{color};opacity:.5", layer.layer_name))
    if vehicles_key:
        parts.append(vehicles_key)
    norm = lookup(summary, "stations_review", "inspectors", "residents_per_inspector")
    if has.get("inspectors") and norm is not None and not _missing(norm):
        per = esc(count_text(norm))
        text = gettext("Inspectors needed: 1 per {norm} residents served").format(norm=per)
        parts.append(f"<div>{text}</div>")
    if has.get("relocations"):
        parts.append(
            key(
                f"background:#fff;border:2px solid {REPAIR_COLOR};box-sizing:border-box;"
                "border-radius:50%",
                gettext(
                    "Relocation site of a station under repair that would serve more residents "
                    "(dashed line from the station; off at start)"
                ),
            )
        )
    if has.get("moves"):
        parts.append(
            key(
                f"background:{MOVE_COLOR};height:3px;border:0",
                gettext(
                    "Inspector move: from a station above the norm to one below it (click an arrow)"
                ),
            )
        )
    if scenario_keys:
        text = gettext("Scenarios (off at start; switch on in the layer list):")
        parts.append(f"<div>{esc(text)}</div>")
        parts += [key(f"background:{color}", name) for color, name in scenario_keys]
    if has.get("sites"):
        parts.append(
            key(f"background:{SITE_COLOR};border-radius:50%", gettext("Proposed site, by rank"))
        )
    if has.get("proposals"):
        parts.append(key(f"background:{PROPOSAL_COLOR}", gettext("Akimat proposal")))
    if population_key:
        text = gettext("Residents per uncovered building:")
        parts.append(f"<div>{esc(text)}</div>")
        parts += [key(f"background:{color}", label) for color, label in population_key]
    return "".join(parts)


# --------------------------------------------------------------------------- public API


def coverage_map(
    *,
    streets: gpd.GeoDataFrame | None = None,
    stations: gpd.GeoDataFrame | None = None,
    service_areas: gpd.GeoDataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    proposed_sites: gpd.GeoDataFrame | None = None,
    proposals: gpd.GeoDataFrame | None = None,
    summary: Mapping[str, Any] | None = None,
    tiles: str | folium.TileLayer | None = None,
    max_building_polygons: int = 20_000,
    title: str | None = None,
    scenario_layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    relocation_radius_m: float | None = None,
    districts: gpd.GeoDataFrame | None = None,
    try_sites: TrySites | None = None,
    fit_to: gpd.GeoDataFrame | None = None,
    inspector_moves: gpd.GeoDataFrame | None = None,
    vehicle_areas: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """An interactive map of coverage and the plan that works without internet.

    Every layer is optional and can be switched on and off in the map. Column names for each
    layer are listed in the module docstring; inputs may be in any CRS and are not modified.

    Parameters
    ----------
    streets
        Street network, drawn as thin grey lines as the offline base map.
    stations
        Existing police stations; popup with name and residents served, unusable ones grey
        with a dashed red outline and the reason. With a ``status`` column, coloured by
        status (open blue, needs repair orange, planned a dashed purple ring, closed dark
        grey) and, with the station review's columns, its numbers in the popup and the
        layer "Relocation sites" (off at start).
    service_areas
        Walkable areas around stations, one layer per distinct ``limit_m``.
    buildings
        Uncovered residential buildings, filled by ``population``; tooltip with the walk to
        and the name of the nearest station.
    proposed_sites
        Chosen sites, numbered by ``rank``; popup with newly and cumulatively covered
        residents.
    proposals
        Akimat proposals scored by ``evaluate``; popup with residents covered alone, marginal
        gain and flags.
    summary
        Summary dict (schema in :mod:`planner.outputs`); its headline numbers go in the legend.
    tiles
        Optional online background (an xyzservices name such as ``"OpenStreetMap"``, a tile URL
        template, or a ``folium.TileLayer``), offered as a second base layer, off at start. The
        map works without it; leave it ``None`` for closed networks.
    max_building_polygons
        Above this many uncovered buildings, draw them as points instead of footprints to keep
        the file small.
    title
        Page title; default from ``summary["city"]``.
    scenario_layers
        Layer name -> buildings (``population`` required; ``walk_m``, ``nearest_station``
        optional), e.g. ``{"Scenario: planned stations open (+1 234 residents)": gained}``;
        each drawn in its own colour of ``SCENARIO_COLORS`` (in order), off at start, and
        named in the legend.
    relocation_radius_m
        The radius of the relocation check of stations under repair, for the popups.
    districts
        District polygons with ``name``, ``residents_total``, ``residents_covered``,
        ``share_covered`` and optionally ``residents_covered_after``, ``share_covered_after``,
        ``official_population``, ``calibration_factor``, ``reliable``, ``calibration_note``
        (the per-district table of :func:`planner.pipeline.district_table` on the polygons);
        filled by the share covered now, with its own legend; ``attrs["note"]`` (the date of
        the districts beside the OSM data) is shown in that legend.
    try_sites
        Adds the "Try sites" what-if panel (:mod:`planner.try_sites`): its candidate sites
        are drawn as small markers; clicking them builds "my plan" and the panel shows the
        residents it would newly cover, computed in the page from the embedded coverage sets.
    fit_to
        The map opens fitted to these features (e.g. all residents; the middle 99 % of them
        in each direction when there are more than 200); default: every layer.
    inspector_moves
        The moves of :mod:`planner.inspector_moves` (lines from the giving to the receiving
        station with ``count`` required; ``from_station_id``, ``from_name``,
        ``to_station_id``, ``to_name``, ``distance_m``): arrows as wide as the inspectors
        moved (:func:`inspector_moves_layer`).
    vehicle_areas
        Service vehicles (``--vehicles``; :attr:`planner.vehicles.VehiclePlan.drive_areas`):
        one row per vehicle, its drive-time area as geometry, ``drive_min`` required,
        ``rank``, ``station_id``, ``name``, ``residents_gained``, ``area_km2`` and its base
        station's ``base_lon``/``base_lat`` (EPSG:4326) optional. Drawn as one layer (the areas
        filled, a ring around each base station) with a line in the legend; the numbers in the
        legend come from ``summary["vehicles"]`` when given.

    Returns
    -------
    folium.Map
        Save it with :func:`save_map` (or :func:`planner.outputs.write_map`).

    Raises
    ------
    InputError
        Listing every problem with the inputs, or if there is nothing to draw.
    """
    layers = _check_layers(
        streets=streets,
        stations=stations,
        service_areas=service_areas,
        buildings=buildings,
        proposed_sites=proposed_sites,
        proposals=proposals,
        districts=districts,
        scenario_layers=scenario_layers,
        relocation_radius_m=relocation_radius_m,
        summary=summary,
        max_building_polygons=max_building_polygons,
        inspector_moves=inspector_moves,
        vehicle_areas=vehicle_areas,
    )
    streets_w, stations_w, areas_w = layers.streets, layers.stations, layers.service_areas
    buildings_w, sites_w, proposals_w = layers.buildings, layers.sites, layers.proposals
    districts_w, scenarios_w, present = layers.districts, layers.scenarios, layers.present

    bounds = np.array([f.total_bounds for f in present])
    west, south = np.nanmin(bounds[:, :2], axis=0)
    east, north = np.nanmax(bounds[:, 2:], axis=0)
    view = _view_bounds(fit_to)
    fit = (west, south, east, north) if view is None else view
    m = _offline_map(west, south, east, north, zoom_start=13)
    city = lookup(summary, "city")
    m.get_root().title = title or (  # type: ignore[attr-defined]
        gettext("Police station coverage — {city}").format(city=city)
        if city
        else gettext("Police station coverage")
    )

    if streets_w is not None:
        m.add_child(_streets_layer(streets_w))
    if tiles is not None:
        tile_layer = _tile_layer(tiles)
        tile_layer.overlay = False
        tile_layer.show = streets_w is None
        m.add_child(tile_layer)
    service_layers = _service_area_layers(areas_w) if areas_w is not None else []
    for layer in service_layers:
        m.add_child(layer)
    if districts_w is not None and len(districts_w):
        for element in _districts_layer(districts_w):
            m.add_child(element)
    population_key: list[tuple[str, str]] = []
    labels = (
        dict(zip(stations_w.index, _station_labels(stations_w), strict=True))
        if stations_w is not None
        else {}
    )
    if buildings_w is not None:
        layer, population_key = _buildings_layer(
            buildings_w, max_polygons=max_building_polygons, station_labels=labels
        )
        m.add_child(layer)
    scenario_keys = []
    for i, (name, frame) in enumerate(scenarios_w.items()):
        color = SCENARIO_COLORS[i % len(SCENARIO_COLORS)]
        m.add_child(
            _scenario_layer(
                frame,
                name=name,
                color=color,
                max_polygons=max_building_polygons,
                station_labels=labels,
            )
        )
        scenario_keys.append((color, name))
    vehicles_w = layers.vehicles
    if vehicles_w is not None and len(vehicles_w):
        m.add_child(vehicles_layer(vehicles_w))  # below the stations: their rings show around
    relocations = None
    if stations_w is not None:
        relocations = _relocations_layer(stations_w, relocation_radius_m=relocation_radius_m)
        if relocations is not None:
            m.add_child(relocations)
        m.add_child(_stations_layer(stations_w, relocation_radius_m=relocation_radius_m))
    moves = inspector_moves_layer(layers.moves) if layers.moves is not None else None
    if moves is not None:
        m.add_child(moves)
    if proposals_w is not None:
        m.add_child(_proposals_layer(proposals_w))
    if sites_w is not None:
        m.add_child(_sites_layer(sites_w))

    m.add_child(
        _ScriptElement(
            # metric scale only; a neutral Leaflet credit instead of 1.9's flag prefix
            "L.control.scale({imperial: false}).addTo({map});\n"
            f"{{map}}.attributionControl.setPrefix({_js_string(LEAFLET_PREFIX)});\n"
            f"{{map}}.attributionControl.addAttribution({_js_string(OSM_ATTRIBUTION)});"
        )
    )
    legend = _legend_html(
        summary,
        population_key=population_key,
        service_layers=service_layers,
        has={
            "stations": stations_w is not None and len(stations_w) > 0,
            "sites": sites_w is not None and len(sites_w) > 0,
            "proposals": proposals_w is not None and len(proposals_w) > 0,
            "relocations": relocations is not None,
            "inspectors": stations_w is not None and "inspectors_needed" in stations_w.columns,
            "moves": moves is not None,
        },
        station_statuses=(
            _status_counts(stations_w) if stations_w is not None and len(stations_w) else None
        ),
        scenario_keys=scenario_keys,
        vehicles_key=(
            vehicles_legend_html(lookup(summary, "vehicles"), vehicles_w)
            if vehicles_w is not None and len(vehicles_w)
            else ""
        ),
    )
    m.add_child(_legend_element(legend))
    if try_sites is not None:
        _add_try_sites(m, try_sites)
    m.add_child(folium.LayerControl(collapsed=False, position="topright"))
    fit_west, fit_south, fit_east, fit_north = fit
    m.fit_bounds([[fit_south, fit_west], [fit_north, fit_east]], padding=(10, 10))
    return m


@dataclass(frozen=True)
class _CityLayers:
    """The layers of :func:`coverage_map` checked and in EPSG:4326 (``None``: not given)."""

    streets: gpd.GeoDataFrame | None
    stations: gpd.GeoDataFrame | None
    service_areas: gpd.GeoDataFrame | None
    buildings: gpd.GeoDataFrame | None  # only the uncovered ones
    sites: gpd.GeoDataFrame | None
    proposals: gpd.GeoDataFrame | None
    districts: gpd.GeoDataFrame | None
    scenarios: dict[str, gpd.GeoDataFrame]
    present: list[gpd.GeoDataFrame]  # the non-empty layers, for the map's extent
    moves: gpd.GeoDataFrame | None = None
    vehicles: gpd.GeoDataFrame | None = None


def _check_layers(
    *,
    streets: Any,
    stations: Any,
    service_areas: Any,
    buildings: Any,
    proposed_sites: Any,
    proposals: Any,
    districts: Any,
    scenario_layers: Any,
    relocation_radius_m: Any,
    summary: Any,
    max_building_polygons: int,
    inspector_moves: Any = None,
    vehicle_areas: Any = None,
) -> _CityLayers:
    """Every layer of :func:`coverage_map` checked; all problems raised together."""
    problems: list[str] = []
    streets_w = _prepare(streets, "streets", required=(), numeric=(), problems=problems)
    stations_w = _prepare(
        stations,
        "stations",
        required=(),
        numeric=("residents_within", *STATION_REVIEW_COLUMNS),
        problems=problems,
    )
    areas_w = _prepare(
        service_areas,
        "service_areas",
        required=("limit_m",),
        numeric=("limit_m", "limit_min"),
        problems=problems,
    )
    buildings_w = _prepare(
        buildings,
        "buildings",
        required=("population",),
        numeric=("population", "walk_m"),
        problems=problems,
    )
    sites_w = _prepare(
        proposed_sites,
        "proposed_sites",
        required=("rank",),
        numeric=("rank", "marginal_population", "cumulative_population", "cumulative_share"),
        problems=problems,
    )
    proposals_w = _prepare(
        proposals,
        "proposals",
        required=(),
        numeric=("alone_population", "marginal_population", "greedy_rank"),
        problems=problems,
    )
    districts_w = _prepare(
        districts,
        "districts",
        required=("share_covered",),
        numeric=("residents_total", "residents_covered", "share_covered"),
        problems=problems,
    )
    if districts_w is not None and districts is not None:
        districts_w.attrs["note"] = districts.attrs.get("note")
    moves_w = _prepare(
        inspector_moves,
        "inspector_moves",
        required=("count",),
        numeric=("count", "distance_m"),
        problems=problems,
    )
    vehicles_w = _prepare(
        vehicle_areas,
        "vehicle_areas",
        required=("drive_min",),
        numeric=VEHICLE_NUMERIC_COLUMNS,
        problems=problems,
    )
    scenarios_w: dict[str, gpd.GeoDataFrame] = {}
    if scenario_layers is not None and not isinstance(scenario_layers, Mapping):
        problems.append(
            gettext("scenario_layers is a {type}, not a dict of layer name -> GeoDataFrame").format(
                type=type(scenario_layers).__name__
            )
        )
    elif scenario_layers is not None:
        for name, frame in scenario_layers.items():
            if not isinstance(name, str) or not name.strip():
                problems.append(
                    gettext("scenario_layers: the layer name {name} is not a text").format(
                        name=repr(name)
                    )
                )
                continue
            prepared = _prepare(
                frame,
                f"scenario_layers[{name!r}]",
                required=("population",),
                numeric=("population", "walk_m"),
                problems=problems,
            )
            if prepared is not None:
                scenarios_w[name] = prepared
    if relocation_radius_m is not None and not (
        isinstance(relocation_radius_m, int | float) and relocation_radius_m > 0
    ):
        problems.append(
            gettext("relocation_radius_m={value} must be a number > 0").format(
                value=repr(relocation_radius_m)
            )
        )
    if sites_w is not None and sites_w["rank"].isna().any():
        problems.append(
            gettext("proposed_sites['rank'] has missing values; number every site 1, 2, ...")
        )
    if summary is not None and not isinstance(summary, Mapping):
        problems.append(
            gettext("summary is a {type}, not a dict").format(type=type(summary).__name__)
        )
    if max_building_polygons < 0:
        problems.append(
            gettext("max_building_polygons={value} must be 0 or more").format(
                value=max_building_polygons
            )
        )
    if problems:
        raise InputError(
            ngettext(
                "coverage_map: {n} problem(s) with the map layers",
                "coverage_map: {n} problem(s) with the map layers",
                len(problems),
            ).format(n=len(problems)),
            problems,
            gettext("Column names expected for each layer are listed in help(planner.maps)."),
        )
    frames = (streets_w, stations_w, areas_w, buildings_w, sites_w, proposals_w, vehicles_w)
    present = [f for f in (*frames, *scenarios_w.values()) if f is not None and len(f)]
    if not present:
        raise InputError(
            gettext("coverage_map: nothing to draw"),
            hint=gettext(
                "Pass at least one non-empty layer, e.g. coverage_map(streets=..., stations=...)."
            ),
        )
    if buildings_w is not None and "covered" in buildings_w.columns:
        buildings_w = buildings_w.loc[~buildings_w["covered"].fillna(False).astype(bool)]

    return _CityLayers(
        streets=streets_w,
        stations=stations_w,
        service_areas=areas_w,
        buildings=buildings_w,
        sites=sites_w,
        proposals=proposals_w,
        districts=districts_w,
        scenarios=scenarios_w,
        present=present,
        moves=moves_w,
        vehicles=vehicles_w,
    )


def _add_try_sites(m: folium.Map, try_sites: TrySites) -> None:
    """The "Try sites" panel: its script and style in the page header, its data inlined."""
    root = m.get_root()
    root.header.add_child(  # type: ignore[attr-defined]
        _Raw(f"<style>{_script_safe(_static_text('try_sites.css'))}</style>"),
        name="planner_try_sites_css",
    )
    root.header.add_child(  # type: ignore[attr-defined]
        _static_script("try_sites.js"),  # with its texts in the run's language
        name="planner_try_sites_js",
    )
    m.add_child(_TrySitesPanel(try_sites.payload()))


#: With more residential buildings than this, the map opens on the middle 99 % of them in
#: each direction (a far-off farm does not widen the view).
FIT_TRIM_ABOVE = 200


def _view_bounds(frame: Any) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) in degrees of where ``frame``'s features are, or None."""
    if frame is None or not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
        return None
    geoms = frame.geometry.to_numpy()
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if not geoms.size:
        return None
    points = gpd.GeoSeries(shapely.point_on_surface(geoms), crs=frame.crs).to_crs(4326)
    x, y = points.x.to_numpy(), points.y.to_numpy()
    if x.size <= FIT_TRIM_ABOVE:
        return float(x.min()), float(y.min()), float(x.max()), float(y.max())
    (west, east), (south, north) = np.quantile(x, [0.005, 0.995]), np.quantile(y, [0.005, 0.995])
    return float(west), float(south), float(east), float(north)
