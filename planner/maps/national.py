"""The national overview map (``national.html``): every unit shaded by the share of residents
covered with the plan, labelled with its new stations, with a popup linking to its own map.
Built from the shared pieces of :mod:`planner.maps._leaflet`.
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import folium
import geopandas as gpd
import numpy as np
import shapely
from shapely.ops import polylabel

from planner import i18n
from planner._crs import utm_crs_for
from planner._format import count_text, illustrative_labels, lookup, share_text
from planner._tables import LOCAL_NAME_COLUMNS
from planner.errors import InputError
from planner.i18n import N_, gettext, ngettext
from planner.maps._leaflet import (
    COORD_DECIMALS,
    LEAFLET_PREFIX,
    OSM_ATTRIBUTION,
    _column,
    _float_column,
    _GeoJsonLayer,
    _illustrative_html,
    _js_string,
    _legend_element,
    _missing,
    _offline_map,
    _prepare,
    _Raw,
    _round,
    _script_safe,
    _ScriptElement,
    _text,
    _tile_layer,
)
from planner.maps.city import (
    MOVE_COLOR,
    VEHICLE_NUMERIC_COLUMNS,
    inspector_moves_layer,
    vehicles_layer,
    vehicles_legend_html,
)

if TYPE_CHECKING:
    pass

__all__ = ["LAYER_UNITS", "LAYER_UNIT_LABELS", "national_map"]

log = logging.getLogger(__name__)

#: Layer names: the English text is the id; the layer control shows ``gettext(LAYER_...)``.
LAYER_UNITS = N_("Units, shaded by coverage with the plan")
LAYER_UNIT_LABELS = N_("New stations per unit")
LAYER_PLAIN = N_("Plain background (offline)")

#: Sequential fill for the share of residents covered with the plan (ColorBrewer YlGnBu, 5).
SHARE_COLORS = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
#: Fill of a unit that was planned but has no share (no residents recorded).
NO_SHARE_COLOR = "#f0f0f0"
FAILED_COLOR = "#9e9e9e"
FAILED_OUTLINE = "#c62828"
#: Unit outlines are simplified by this much (metres) for display; more if the map would be big.
UNIT_SIMPLIFY_M = (10.0, 20.0, 50.0, 100.0, 200.0)
#: Vertex budget of all unit outlines together (~22 bytes each in the page).
MAX_UNIT_VERTICES = 100_000
#: Service vehicles' drive-time areas are simplified by this much (degrees, ~20 m) nationally.
VEHICLE_SIMPLIFY_DEG_NATIONAL = 2e-4

# untranslated: CSS source
_NATIONAL_CSS = f"""
.planner-unit-label {{
  background: #fff; color: #222; border: 1.5px solid #333; border-radius: 9px;
  box-sizing: border-box; text-align: center; font: bold 12px/15px Arial, sans-serif;
  white-space: nowrap; box-shadow: 0 0 3px rgba(0, 0, 0, .5);
}}
.planner-unit-faded {{ opacity: .55; font-weight: normal; }}
.planner-unit-link {{ margin-top: 4px; font-size: 12px; }}
.planner-legend p {{ margin: 0 0 4px; }}
.planner-hatch {{
  background: repeating-linear-gradient(45deg, #757575 0 1.5px, #d6d6d6 1.5px 4px);
  border: 1px dashed {FAILED_OUTLINE};
}}
"""

_NATIONAL_JS = """
function plannerUnitLink(p) {
  if (!p.link) { return ""; }
  return '<div class="planner-unit-link"><a href="' + plannerEscape(p.link) + '">'
    + %(link)s;
}
"""  # untranslated: JavaScript source (its one text is filled in by _national_js)


def _national_js() -> str:
    """The national map's script, its link text in the language in use (HTML-escaped)."""
    text = html.escape(gettext("open the unit's map"), quote=False).replace("'", "&#39;")
    link = json.dumps(text.replace('"', "&quot;") + "</a></div>", ensure_ascii=False)
    return _script_safe(_NATIONAL_JS % {"link": link})


# Grey hatching for failed units; SVG paths refer to it as fill="url(#planner-hatch)".
_HATCH_SVG = f"""
<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>
<pattern id="planner-hatch" width="6" height="6" patternUnits="userSpaceOnUse"
 patternTransform="rotate(45)"><rect width="6" height="6" fill="#d6d6d6"/>
<line x1="0" y1="0" x2="0" y2="6" stroke="{FAILED_COLOR}" stroke-width="3"/></pattern>
</defs></svg>
"""

#: The units' popup: property and label (an English id, shown through ``gettext``).
_UNIT_POPUP_FIELDS = (
    ("residents", N_("Residents")),
    ("before", N_("Covered now")),
    ("after", N_("Covered with the plan")),
    ("new", N_("New stations")),
    ("gap", N_("Optimality gap of the unit")),
    ("status", N_("Status")),
)


def _units_layer(
    geometries: np.ndarray,
    properties: list[dict[str, Any]],
    *,
    name: str,
    style: Mapping[str, Any],
    tooltip_fields: Sequence[tuple[str, str]] = (),
) -> _GeoJsonLayer:
    """Unit polygons, or their new-station labels, each with the unit's popup and map link.

    Features carry the popup values (texts, escaped in the browser) and ``_fill``, ``_color``,
    ``_dash`` (polygons) or ``_label``, ``_faded`` (label points).
    """
    return _GeoJsonLayer(
        geometries,
        properties,
        name=name,
        style=style,
        title_key="name",
        popup_fields=[(key, gettext(label)) for key, label in _UNIT_POPUP_FIELDS],
        tooltip_fields=tooltip_fields,
        unit_labels=True,
        popup_suffix="plannerUnitLink(p)",
        decimals=COORD_DECIMALS,
    )


def _share_breaks(shares: np.ndarray) -> list[int]:
    """Six class bounds in whole percent (5 equal classes) spanning the shares (0..1).

    The range is widened to multiples of 5 % and the class width rounded up to a whole percent,
    e.g. shares 0.62..0.91 -> 60, 67, 74, 81, 88, 95. Empty if no share is known.
    """
    values = shares[np.isfinite(shares)] * 100.0
    if not len(values):
        return []
    low = min(max(math.floor(float(values.min()) / 5.0 + 1e-9) * 5, 0), 95)
    high = max(min(math.ceil(float(values.max()) / 5.0 - 1e-9) * 5, 100), low + 5)
    step = max(1, math.ceil((high - low) / 5.0))
    low = min(low, 100 - 5 * step)
    return [low + i * step for i in range(6)]


def _share_class(share: float, breaks: Sequence[int]) -> int:
    return int(np.searchsorted(np.asarray(breaks[1:-1]), round(share * 100.0, 9), side="right"))


def _fmt_gap(value: Any) -> str | None:
    """Optimality gap (0..1) as text: ``"1.2%"``, ``"0% (optimal)"``, ``"< 0.1%"``."""
    if _missing(value) or not math.isfinite(float(value)):
        return None
    gap = float(value)
    if gap <= 1e-9:
        return gettext("{share} (optimal)").format(share=i18n.fmt_share(0.0, digits=0))
    if gap < 0.0005:
        return f"< {i18n.fmt_share(0.001)}"
    return share_text(gap)


def _count_share(count: Any, share: Any, total: Any) -> str | None:
    """``"1 234 (17.6%)"``; the share from ``count / total`` when not given."""
    if _missing(count) or not math.isfinite(float(count)):
        return None
    if (_missing(share) or not math.isfinite(float(share))) and not _missing(total):
        share = float(count) / float(total) if float(total) > 0 else None
    if _missing(share) or not math.isfinite(float(share)):
        return count_text(count)
    return f"{count_text(count)} ({share_text(share)})"


def _metric_crs(gdf: gpd.GeoDataFrame) -> Any:
    """``gdf``'s CRS if it is in metres, else the UTM zone of the centre of its bounds."""
    crs = gdf.crs
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if crs.is_projected and unit in {"metre", "meter"}:
        return crs
    west, south, east, north = gdf.geometry.to_crs(4326).total_bounds
    return utm_crs_for((west + east) / 2.0, (south + north) / 2.0)


def _label_points(geoms: np.ndarray) -> np.ndarray:
    """A central point inside each (multi)polygon: the pole of inaccessibility of its largest
    part, so labels sit in the main body of a city rather than on an exclave."""
    points = []
    for geom in geoms:
        parts = shapely.get_parts(geom)
        polygons = parts[shapely.get_type_id(parts) == 3]
        if not len(polygons):
            points.append(shapely.point_on_surface(geom))
            continue
        largest = polygons[int(np.argmax(shapely.area(polygons)))]
        tolerance = max(math.sqrt(float(shapely.area(largest))) / 100.0, 1.0)
        points.append(polylabel(largest, tolerance))
    return np.array(points, dtype=object)


def _simplified(geoms: np.ndarray) -> tuple[np.ndarray, float]:
    """Outlines simplified by the smallest tolerance that keeps the vertex budget."""
    for tolerance in UNIT_SIMPLIFY_M:
        out = shapely.simplify(geoms, tolerance, preserve_topology=True)
        if int(shapely.get_num_coordinates(out).sum()) <= MAX_UNIT_VERTICES:
            break
    return out, tolerance


def _display_names(gdf: gpd.GeoDataFrame) -> list[str | None]:
    """Each unit's name in the language in use: ``name_ru``/``name_kk`` (also ``name:ru``,
    ``name:kk``) where the frame has it, else ``name``."""
    names = _column(gdf, "name", _text)
    for column in reversed(LOCAL_NAME_COLUMNS.get(i18n.language(), ())):  # the OSM tag wins
        if column in gdf.columns:
            local = _column(gdf, column, _text)
            names = [loc or name for loc, name in zip(local, names, strict=True)]
    return names


def _unit_properties(gdf: gpd.GeoDataFrame, breaks: Sequence[int]) -> list[dict[str, Any]]:
    names = [
        name or gettext("Unit {n}").format(n=i + 1) for i, name in enumerate(_display_names(gdf))
    ]
    status = _column(gdf, "status", _text)
    ok = [(s or "").strip().lower() == "ok" for s in status]
    residents = _float_column(gdf, "residents")
    shares_after = _unit_shares(gdf)
    share_before = _float_column(gdf, "share_before")
    covered_before = _float_column(gdf, "covered_before")
    covered_after = _float_column(gdf, "covered_after")
    new = _float_column(gdf, "new_stations")
    gaps = _float_column(gdf, "gap")
    links = _column(gdf, "map_link", _text)
    props = []
    for i, name in enumerate(names):
        share = shares_after[i]
        if not ok[i]:
            fill, color, dash = "url(#planner-hatch)", FAILED_OUTLINE, "5 4"
        elif math.isfinite(share) and breaks:
            fill, color, dash = SHARE_COLORS[_share_class(share, breaks)], "#444444", None
        else:
            fill, color, dash = NO_SHARE_COLOR, "#444444", None
        count = round(float(new[i])) if math.isfinite(new[i]) else None
        props.append(
            {
                "name": name,
                "residents": count_text(residents[i]) if math.isfinite(residents[i]) else None,
                "before": _count_share(covered_before[i], share_before[i], residents[i]),
                "after": _count_share(covered_after[i], share, residents[i]),
                "new": str(count) if count is not None else None,
                "gap": _fmt_gap(gaps[i]) if ok[i] else None,
                "status": (
                    gettext("planned")
                    if ok[i]
                    else gettext("failed: {reason}").format(
                        reason=status[i] or gettext("reason not recorded")
                    )
                ),
                "link": _safe_link(links[i]) if ok[i] and links[i] else None,
                "_fill": fill,
                "_color": color,
                "_dash": dash,
                "_label": f"+{count}" if ok[i] and count is not None else None,
                "_faded": count == 0,
            }
        )
    return props


def _unit_shares(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """``share_after``, or ``covered_after / residents`` where it is missing."""
    share = _float_column(gdf, "share_after")
    residents = _float_column(gdf, "residents")
    after = _float_column(gdf, "covered_after")
    with np.errstate(divide="ignore", invalid="ignore"):
        computed = np.where(residents > 0, after / residents, np.nan)
    return np.where(np.isfinite(share), share, computed)


def _safe_link(link: str) -> str:
    """A relative link as a URL: characters that would break it (space, #, ?) percent-encoded.

    ``http(s)://`` and ``file://`` prefixes are kept; other schemes (``javascript:``) lose
    their meaning because ``:`` is encoded.
    """
    match = re.match(r"(?i)(https?://|file://)(.*)", link)
    if match:
        return match.group(1) + quote(match.group(2), safe="/%:@")
    return quote(link.replace("\\", "/"), safe="/%")


def _national_legend_html(
    summary: Mapping[str, Any] | None,
    units: gpd.GeoDataFrame,
    props: list[dict[str, Any]],
    *,
    ok: np.ndarray,
    breaks: Sequence[int],
    heading: str,
    moves: _GeoJsonLayer | None = None,
    vehicles: gpd.GeoDataFrame | None = None,
) -> str:
    esc = html.escape
    new = _float_column(units, "new_stations")
    allocated = float(np.nansum(new[ok])) if ok.any() else 0.0
    if summary is None:
        # no national summary: totals over the planned units
        def total(col: str) -> float | None:
            values = _float_column(units, col)[ok]
            return float(np.nansum(values)) if np.isfinite(values).any() else None

        summary = {
            "residents": total("residents"),
            "covered_before": total("covered_before"),
            "covered_after": total("covered_after"),
            "units_ok": int(ok.sum()),
            "units_failed": int((~ok).sum()),
        }
    residents = lookup(summary, "residents")
    budget = lookup(summary, "new_stations")
    rows = [(gettext("New stations (budget)"), count_text(budget))]
    if budget is None or _missing(budget) or round(float(budget)) != round(allocated):
        rows.append((gettext("Allocated to units"), count_text(allocated)))
    rows.append((gettext("Residents"), count_text(residents)))
    for column, label in (
        ("covered_before", N_("Covered now")),
        ("covered_after", N_("With the plan")),
    ):
        share = lookup(summary, column.replace("covered", "share"))
        value = _count_share(lookup(summary, column), share, residents)
        rows.append((gettext(label), value or gettext("not recorded")))
    gap = lookup(summary, "gap")
    gap_text = _fmt_gap(gap)
    rows.append((gettext("Optimality gap"), gap_text or gettext("not recorded")))
    rows.append((gettext("Units planned"), count_text(lookup(summary, "units_ok"))))
    rows.append((gettext("Units failed"), count_text(lookup(summary, "units_failed"))))

    parts = [f"<h4>{esc(heading)}</h4>"]
    parts += [_illustrative_html(label) for label in illustrative_labels(summary)]
    parts.append(
        "<table>"
        + "".join(f'<tr><td>{esc(k)}</td><td class="n">{esc(v)}</td></tr>' for k, v in rows)
        + "</table>"
    )
    if gap_text is not None and not _missing(gap) and float(gap) <= 1e-9:
        text = gettext("The allocation is the best possible.")
        parts.append(f"<p>{esc(text)}</p>")
    elif gap_text is not None:
        at_most = (
            gettext("less than {share}").format(share=i18n.fmt_share(0.001))
            if gap_text.startswith("< ")
            else gap_text
        )
        text = gettext("The allocation is at most {gap} short of the best possible.").format(
            gap=at_most
        )
        parts.append(f"<p>{esc(text)}</p>")

    def swatch(css_class: str, style: str, label: str) -> str:
        return (
            f'<div><span class="planner-key {css_class}" style="{style}"></span>{esc(label)}</div>'
        )

    if breaks:
        text = gettext("Residents covered with the plan:")
        parts.append(f"<div>{esc(text)}</div>")
        parts += [
            swatch("", f"background:{SHARE_COLORS[i]}", _class_text(breaks[i], breaks[i + 1]))
            for i in range(5)
        ]
    if any(p["_fill"] == NO_SHARE_COLOR for p in props):
        parts.append(swatch("", f"background:{NO_SHARE_COLOR}", gettext("No residents recorded")))
    if not ok.all():
        parts.append(swatch("planner-hatch", "", gettext("Unit failed (reason in its popup)")))
    if moves is not None:
        parts.append(
            swatch(
                "",
                f"background:{MOVE_COLOR};height:3px;border:0",
                gettext("Inspector move between stations (click an arrow)"),
            )
        )
    if vehicles is not None and len(vehicles):
        parts.append(vehicles_legend_html(lookup(summary, "vehicles"), vehicles))
    text = gettext(
        "+3 on a unit: new stations allocated to it. Click a unit for its numbers and a link "
        "to its own map."
    )
    parts.append(f"<div>{esc(text)}</div>")
    return "".join(parts)


def _class_text(low: int, high: int) -> str:
    """A class of the legend: ``"60–67%"`` (``"60–67 %"`` in ru/kk)."""
    share = i18n.fmt_share(high / 100.0, digits=0)
    return f"{low}–{share}"


def _check_units(
    units: Any, summary: Any, vehicle_areas: Any = None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame | None]:
    """The units (and service vehicles) of :func:`national_map` checked, in EPSG:4326; all
    problems raised together."""
    problems: list[str] = []
    vehicles_w = _prepare(
        vehicle_areas,
        "vehicle_areas",
        required=("drive_min",),
        numeric=VEHICLE_NUMERIC_COLUMNS,
        problems=problems,
        function="national_map",
    )
    units_w = _prepare(
        units,
        "units",
        required=("name", "status"),
        numeric=(
            "residents",
            "covered_before",
            "covered_after",
            "share_before",
            "share_after",
            "new_stations",
            "gap",
        ),
        problems=problems,
        function="national_map",
    )
    if units_w is not None:
        kinds = shapely.get_type_id(units_w.geometry.to_numpy())
        bad = np.flatnonzero(~np.isin(kinds, (3, 6)))
        names = _column(units_w, "name", _text)
        for i in bad[:20]:
            problems.append(
                gettext("units row {row} ({name}): {type}, not a polygon").format(
                    row=i + 1,
                    name=names[i] or gettext("no name"),
                    type=units_w.geometry.iloc[i].geom_type,
                )
            )
        if len(bad) > 20:
            problems.append(
                ngettext(
                    "... and {n} more units without polygon geometry",
                    "... and {n} more units without polygon geometry",
                    len(bad) - 20,
                ).format(n=len(bad) - 20)
            )
    if summary is not None and not isinstance(summary, Mapping):
        problems.append(
            gettext("summary is a {type}, not a dict").format(type=type(summary).__name__)
        )
    if problems:
        raise InputError(
            ngettext(
                "national_map: {n} problem(s) with the units",
                "national_map: {n} problem(s) with the units",
                len(problems),
            ).format(n=len(problems)),
            problems,
            gettext(
                "Pass one (multi)polygon per unit with at least the columns 'name' and 'status'; "
                "the other columns are listed in help(planner.maps.national_map)."
            ),
        )
    assert units_w is not None  # for mypy: problems were raised above
    if not len(units_w):
        raise InputError(
            gettext("national_map: nothing to draw"),
            hint=gettext("Pass at least one unit with a boundary polygon."),
        )
    return units_w, vehicles_w


def _national_page(m: folium.Map) -> Any:
    """The national map's own CSS, script and hatch pattern in the page; returns its root."""
    root = m.get_root()
    root.header.add_child(  # type: ignore[attr-defined]
        _Raw(f"<style>{_NATIONAL_CSS}</style>"), name="planner_national_css"
    )
    root.header.add_child(  # type: ignore[attr-defined]
        _Raw(f"<script>{_national_js()}</script>"), name="planner_national_js"
    )
    root.html.add_child(_Raw(_HATCH_SVG), name="planner_hatch")  # type: ignore[attr-defined]
    return root


def _fit_beside_legend(west: float, south: float, east: float, north: float) -> _ScriptElement:
    """Fit to the units beside the legend, when the window is wide enough for both."""
    return _ScriptElement(
        f"var {{self}} = L.latLngBounds([[{south}, {west}], [{north}, {east}]]);\n"
        "(function (map, bounds) {\n"
        "  var legend = map.getContainer().querySelector('.planner-legend');\n"
        "  var width = legend ? legend.offsetWidth + 20 : 10;\n"
        "  var left = map.getSize().x - width >= 400 ? width : 10;\n"
        "  map.fitBounds(bounds, {paddingTopLeft: [left, 10], paddingBottomRight: [10, 10]});\n"
        "})({map}, {self});"
    )


def national_map(
    units: gpd.GeoDataFrame,
    *,
    summary: Mapping[str, Any] | None = None,
    title: str | None = None,
    tiles: str | folium.TileLayer | None = None,
    attribution: str | None = None,
    inspector_moves: gpd.GeoDataFrame | None = None,
    vehicle_areas: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """An offline overview map of a national plan: one shaded polygon per unit.

    Units (cities, local councils) are shaded by the share of residents covered with the plan
    (5 classes, bounds in whole percent fitted to the data), failed units are grey, hatched
    with a dashed red outline. Each planned unit is labelled ``+k``, the new stations allocated
    to it (``+0`` faded). A click on a unit or its label opens its numbers and a link to the
    unit's own map; the legend holds the national headline numbers.

    Parameters
    ----------
    units
        One (multi)polygon per unit, in any CRS (not modified). Columns: ``name``, ``status``
        (``"ok"`` or why the unit failed) required; ``residents``, ``covered_before``,
        ``covered_after`` (residents), ``share_before``, ``share_after`` (0..1; computed from
        the counts when missing), ``new_stations``, ``gap`` (the unit's optimality gap, 0..1)
        and ``map_link`` (relative URL of the unit's map, e.g. ``"units/Valletta/map.html"``)
        optional. Outlines are simplified for display (10 m, more if the outlines together
        would exceed ``MAX_UNIT_VERTICES``).
    summary
        National summary with ``new_stations`` (the budget), ``residents``, ``covered_before``,
        ``covered_after``, ``gap``, ``units_ok``, ``units_failed``; missing keys are shown as
        "not recorded". Without a summary the legend sums the planned units.
    title
        Heading of the legend and page title.
    tiles
        Optional online background (as in :func:`coverage_map`), offered as a second base
        layer, off at start; the plain offline background is the default.
    attribution
        Credit for the boundaries, e.g. ``"Boundaries: geokz (A. Rodionov), CC BY 4.0"``;
        shown as text in the attribution line.
    inspector_moves
        The inspector moves over the country (as in :func:`coverage_map`): arrows from the
        giving to the receiving station, with a popup each.
    vehicle_areas
        With ``--vehicles``: the service vehicles of every unit, one row per vehicle (columns as
        ``coverage_map``'s ``vehicle_areas``, plus ``unit``), drawn as one layer above the units
        (each vehicle's drive-time area, simplified by ~20 m, and a ring around its base
        station), with a line in the legend (numbers from ``summary["vehicles"]``).

    Returns
    -------
    folium.Map
        Save it with :func:`save_map` (conventionally as ``national.html``).

    Raises
    ------
    InputError
        Listing every problem with ``units`` and ``summary``, or if there is nothing to draw.
    """
    units_w, vehicles_w = _check_units(units, summary, vehicle_areas)
    problems: list[str] = []
    moves_w = _prepare(
        inspector_moves,
        "inspector_moves",
        required=("count",),
        numeric=("count", "distance_m"),
        problems=problems,
        function="national_map",
    )
    if problems:
        raise InputError(
            ngettext(
                "national_map: {n} problem(s) with the map layers",
                "national_map: {n} problem(s) with the map layers",
                len(problems),
            ).format(n=len(problems)),
            problems,
        )

    metric = _metric_crs(units_w)
    geoms_m = units_w.geometry.to_crs(metric).to_numpy()
    outlines_m, tolerance = _simplified(geoms_m)
    outlines = _round(gpd.GeoSeries(outlines_m, crs=metric).to_crs(4326).to_numpy())
    labels = _round(gpd.GeoSeries(_label_points(geoms_m), crs=metric).to_crs(4326).to_numpy())
    log.info(  # untranslated: an info log for developers
        "national_map: %d units, outlines simplified by %g m (%d vertices)",
        len(units_w),
        tolerance,
        int(shapely.get_num_coordinates(outlines).sum()),
    )

    shares = _unit_shares(units_w)
    status = _column(units_w, "status", _text)
    ok = np.array([(s or "").strip().lower() == "ok" for s in status], dtype=bool)
    breaks = _share_breaks(shares[ok])
    props = _unit_properties(units_w, breaks)

    west, south, east, north = shapely.total_bounds(outlines)
    m = _offline_map(west, south, east, north, zoom_start=6)
    root = _national_page(m)
    heading = title or gettext("National plan: new police stations")
    root.title = title or gettext("Police station coverage — national plan")

    if tiles is not None:
        m.add_child(
            _GeoJsonLayer(
                np.array([], dtype=object), [], name=gettext(LAYER_PLAIN), overlay=False, style={}
            )
        )
        tile_layer = _tile_layer(tiles)
        tile_layer.overlay = False
        tile_layer.show = False
        m.add_child(tile_layer)

    n_failed = int((~ok).sum())
    m.add_child(
        _units_layer(
            outlines,
            props,
            name=(
                ngettext(
                    "{layer} ({n}, {failed} failed)", "{layer} ({n}, {failed} failed)", n_failed
                ).format(layer=gettext(LAYER_UNITS), n=len(props), failed=n_failed)
                if n_failed
                else gettext("{layer} ({n})").format(layer=gettext(LAYER_UNITS), n=len(props))
            ),
            style={"weight": 1.2, "opacity": 0.9, "fillOpacity": 0.75},
            tooltip_fields=[
                ("after", gettext("Covered with the plan")),
                ("new", gettext("New stations")),
            ],
        )
    )
    if vehicles_w is not None and len(vehicles_w):
        m.add_child(vehicles_layer(vehicles_w, simplify_deg=VEHICLE_SIMPLIFY_DEG_NATIONAL))
    labelled = [i for i, p in enumerate(props) if p["_label"] is not None]
    m.add_child(
        _units_layer(
            labels[labelled],
            [
                {k: v for k, v in props[i].items() if k not in ("_fill", "_color", "_dash")}
                for i in labelled
            ],
            name=gettext(LAYER_UNIT_LABELS),
            style={},
        )
    )
    moves = inspector_moves_layer(moves_w) if moves_w is not None else None
    if moves is not None:
        m.add_child(moves)
    credits = [OSM_ATTRIBUTION] + ([html.escape(attribution)] if attribution else [])
    m.add_child(
        _ScriptElement(
            "L.control.scale({imperial: false}).addTo({map});\n"
            f"{{map}}.attributionControl.setPrefix({_js_string(LEAFLET_PREFIX)});\n"
            + "".join(
                f"{{map}}.attributionControl.addAttribution({_js_string(c)});\n" for c in credits
            )
        )
    )
    m.add_child(
        _legend_element(
            _national_legend_html(
                summary,
                units_w,
                props,
                ok=ok,
                breaks=breaks,
                heading=heading,
                moves=moves,
                vehicles=vehicles_w,
            )
        )
    )
    m.add_child(folium.LayerControl(collapsed=False, position="topright"))
    m.add_child(_fit_beside_legend(west, south, east, north))
    return m
