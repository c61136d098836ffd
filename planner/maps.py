"""Interactive coverage map that works without internet: one self-contained HTML file.

:func:`coverage_map` draws the street network (as the base map, instead of online tiles),
existing stations (coloured by status, with the station review's numbers in their popups),
service areas, uncovered residential buildings, proposed sites in rollout order and scored
akimat proposals, with a layer switcher and a legend of the headline numbers. Scenario layers
(residents who gain or lose walking access if stations open or close) and the relocation
sites of stations under repair are offered switched off.
:func:`national_map` draws the overview of a national plan (``national.html``): every unit (city,
local council) shaded by the share of residents covered with the plan, labelled with the new
stations it gets, with a popup linking to the unit's own map. :func:`save_map` writes either
atomically.

Offline by construction
-----------------------
folium's templates load Leaflet, jQuery, Bootstrap, Font-Awesome and awesome-markers from CDNs.
Planners often work on closed government networks, so here:

- the map's ``default_js``/``default_css`` are emptied *on the instance* (folium's class lists,
  shared by every map in the process, are never touched) and Leaflet 1.9.4, vendored in
  ``planner/_static`` (BSD-2-Clause), is inlined into the page header, with the images its CSS
  refers to inlined as ``data:`` URIs;
- only core Leaflet is used: the data layers are :class:`_GeoJsonLayer`, a small folium ``Layer``
  whose template calls ``L.geoJSON`` with ``L.circleMarker``/``L.divIcon`` markers and plain
  HTML popups and tooltips (folium's ``Popup`` needs jQuery, its ``Icon`` awesome-markers);
- :func:`save_map` refuses to write a page that still links an external script or stylesheet.

The result is a single file that also works when copied to another computer. Optional online
tiles (``tiles=``) are the only thing that can reach the internet, and only when switched on.

File size
---------
Coordinates are rounded to 6 decimals (~0.1 m). Streets are simplified by ~1 m and drawn as one
MultiLineString without attributes. Service areas are dissolved per walking limit. Uncovered
buildings are drawn as footprints up to ``max_building_polygons`` (default 20 000, a city's
worth, ~3 MB) and as points (one small circle each) above that, which keeps a 100 000-building
metropolis under ~10 MB and responsive in a browser.

Expected columns
----------------
Every layer is a GeoDataFrame in any CRS (reprojected to EPSG:4326 for the map; inputs are never
modified). Columns other than those below are ignored; optional ones may be absent.

- ``streets``: geometry only (LineString/MultiLineString).
- ``stations`` (as from :mod:`planner.stations`): ``name``, ``usable`` (bool, default True),
  ``problem`` (why unusable), ``residents_within`` (from ``coverage_by_station``: residents
  within the limit for whom it is the nearest station), all optional. Polygons are drawn at an
  inner point. The index identifies the station in ``buildings["nearest_station"]``.
  With the columns of :func:`planner.station_review.review_stations` (all optional):
  ``status`` (``open``, ``planned``, ``repair``, ``closed``) colours the markers; ``working``
  (default: usable and open or under repair), ``residents_served``, ``residents_only_here``,
  ``repair_rank``, ``inspectors_needed``, ``inspectors_now``, ``inspector_gap`` go in the
  popup, and for stations under repair ``relocation_site_lon``/``_lat`` (EPSG:4326) and
  ``relocation_gain`` the relocation check; sites with a positive gain also make the layer
  "Relocation sites" (off at start), a dashed line from each station to its site.
- ``service_areas``: ``limit_m`` (required), ``limit_min`` (optional); one layer per limit.
- ``buildings``: ``population`` (required), ``walk_m`` (optional, NaN/inf = not reachable),
  ``nearest_station`` (optional), ``covered`` (optional bool: rows with True are left out, so
  the full building table may be passed).
- ``proposed_sites`` (a ``RolloutResult`` as rows): ``rank`` (required, 1 = built first),
  ``name``, ``marginal_population`` (newly covered by this site given the earlier ones),
  ``cumulative_population`` (newly covered by sites 1..rank), ``cumulative_share`` (0..1 of all
  residents, existing coverage included) (optional).
- ``proposals`` (a ``ProposalEvaluation`` as rows): ``name``, ``alone_population``,
  ``marginal_population`` (leave-one-out gain), ``greedy_rank``, ``flags`` (text or a
  list of texts) (all optional).
- ``summary``: the summary dict of :mod:`planner.outputs`.
- ``scenario_layers``: layer name -> buildings frame with ``population`` (required),
  ``walk_m`` and ``nearest_station`` (optional, today's), e.g. the residents who gain walking
  access if the planned stations open. Each is drawn in its own colour (``SCENARIO_COLORS``, in
  order), off at start, footprints or points as the uncovered buildings.

For :func:`national_map`, ``units`` holds one (multi)polygon per unit with ``name`` and
``status`` (``"ok"`` or the failure reason) and optionally ``residents``, ``covered_before``,
``covered_after``, ``share_before``, ``share_after``, ``new_stations``, ``gap`` and ``map_link``.
Unit outlines are simplified by 10 m (more if all outlines together would exceed 100 000
vertices), which keeps a 100-unit map at a few MB at most.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import logging
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.map import Layer
from folium.template import Template
from shapely.ops import polylabel

from planner._crs import utm_crs_for
from planner.errors import InputError, PlannerError
from planner.outputs import (
    _fmt_int,
    _fmt_m,
    _fmt_share,
    _get,
    _limit_text,
    atomic_path,
    illustrative_labels,
)

if TYPE_CHECKING:
    from planner.try_sites import TrySites

__all__ = [
    "LAYER_BUILDINGS",
    "LAYER_DISTRICTS",
    "LAYER_PROPOSALS",
    "LAYER_RELOCATIONS",
    "LAYER_SITES",
    "LAYER_STATIONS",
    "LAYER_STREETS",
    "LAYER_UNITS",
    "LAYER_UNIT_LABELS",
    "LEAFLET_VERSION",
    "OSM_ATTRIBUTION",
    "coverage_map",
    "national_map",
    "save_map",
]

log = logging.getLogger(__name__)

LEAFLET_VERSION = "1.9.4"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
LEAFLET_PREFIX = '<a href="https://leafletjs.com">Leaflet</a>'
COORD_DECIMALS = 6
#: Street simplification tolerance in degrees (~1 m at Kazakhstan's latitudes).
STREET_SIMPLIFY_DEG = 1e-5

LAYER_STREETS = "Streets (offline base map)"
LAYER_STATIONS = "Existing police stations"
LAYER_SERVICE = "Service area"
LAYER_BUILDINGS = "Uncovered residential buildings"
LAYER_SITES = "Proposed sites, rollout order"
LAYER_PROPOSALS = "Akimat proposals, scored"
LAYER_RELOCATIONS = "Relocation sites"

#: Sequential fill for residents per building (ColorBrewer YlOrRd, 5 classes).
POPULATION_COLORS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
SERVICE_COLORS = ("#2c7fb8", "#41b6c4", "#7fcdbb", "#253494", "#a1dab4")
STATION_COLOR = "#1f4e9c"
UNUSABLE_COLOR = "#9e9e9e"
SITE_COLOR = "#6a1b9a"
PROPOSAL_COLOR = "#e65100"
REPAIR_COLOR = "#fb8c00"
PLANNED_COLOR = "#8e24aa"
CLOSED_COLOR = "#424242"
#: Buildings of the scenario layers, in the order given (ColorBrewer Dark2: teal, pink, ...).
SCENARIO_COLORS = ("#1b9e77", "#e7298a", "#66a61e", "#e6ab02", "#7570b3")

#: Marker of each station status: fill, outline, dash, wording in the popup and the legend.
STATUS_STYLES: dict[str, tuple[str, str, str | None, str, str]] = {
    "open": (STATION_COLOR, "#ffffff", None, "open", "Station open"),
    "repair": (
        REPAIR_COLOR,
        "#ffffff",
        None,
        "needs repair (still working)",
        "Station needs repair (still working)",
    ),
    "planned": ("#ffffff", PLANNED_COLOR, "3 2", "planned (not open yet)", "Station planned"),
    "closed": (CLOSED_COLOR, "#ffffff", None, "closed", "Station closed"),
}

_CSS = f"""
.planner-table {{ border-collapse: collapse; font-size: 12px; }}
.planner-table th {{ text-align: left; font-weight: normal; color: #555; padding: 1px 8px 1px 0; }}
.planner-table td {{ text-align: right; white-space: nowrap; font-weight: bold; }}
.planner-title {{ font-weight: bold; font-size: 13px; margin-bottom: 3px; }}
.planner-rank, .planner-proposal {{
  width: 24px; height: 24px; line-height: 24px; text-align: center; color: #fff;
  font: bold 12px/24px Arial, sans-serif; border: 2px solid #fff; box-sizing: border-box;
  box-shadow: 0 0 3px rgba(0, 0, 0, .6);
}}
.planner-rank {{ background: {SITE_COLOR}; border-radius: 50%; }}
.planner-proposal {{ background: {PROPOSAL_COLOR}; border-radius: 3px; }}
.planner-legend {{
  background: rgba(255, 255, 255, .92); padding: 8px 10px; border-radius: 5px;
  box-shadow: 0 1px 5px rgba(0, 0, 0, .4); font: 12px/1.4 Arial, sans-serif; max-width: 300px;
}}
.planner-legend h4 {{ margin: 0 0 4px; font-size: 14px; }}
.planner-legend table {{ border-collapse: collapse; margin-bottom: 4px; }}
.planner-legend td {{ padding: 0 6px 0 0; }}
.planner-legend td.n {{ text-align: right; font-weight: bold; white-space: nowrap; }}
.planner-key {{
  display: inline-block; width: 12px; height: 12px; margin-right: 5px; vertical-align: middle;
  border: 1px solid #555;
}}
"""

# Tiny helpers shared by all layers: escape text, build a popup/tooltip table from properties.
_JS = """
function plannerEscape(s) {
  return String(s).replace(/[&<>"']/g, function (c) {
    return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
  });
}
function plannerTable(p, titleKey, fields) {
  var h = "";
  if (titleKey && p[titleKey] !== null && p[titleKey] !== undefined) {
    h += '<div class="planner-title">' + plannerEscape(p[titleKey]) + "</div>";
  }
  h += '<table class="planner-table">';
  fields.forEach(function (f) {
    var v = p[f[0]];
    if (v === null || v === undefined || v === "") { return; }
    h += "<tr><th>" + plannerEscape(f[1]) + "</th><td>" + plannerEscape(v) + "</td></tr>";
  });
  return h + "</table>";
}
"""


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


# --------------------------------------------------------------------------- offline assets


@functools.cache
def _static_text(name: str) -> str:
    return (resources.files("planner") / "_static" / name).read_text(encoding="utf-8")


@functools.cache
def _static_data_uri(name: str) -> str:
    data = (resources.files("planner") / "_static" / name).read_bytes()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


@functools.cache
def _leaflet_css() -> str:
    """Leaflet's CSS with its ``images/*.png`` references inlined as data URIs."""

    def inline(match: re.Match[str]) -> str:
        return f"url({_static_data_uri(match.group(1))})"

    return re.sub(r"url\(images/([\w.-]+\.png)\)", inline, _static_text("leaflet.css"))


@functools.cache
def _leaflet_js() -> str:
    """Leaflet's JS without the source-map comment (which would point at a missing file)."""
    return re.sub(r"//# sourceMappingURL=\S+\s*$", "", _static_text("leaflet.js"))


def _script_safe(text: str) -> str:
    """Guard inlined code against closing its own ``<script>``/``<style>`` element."""
    return re.sub(r"</(script|style)", r"<\\/\1", text, flags=re.IGNORECASE)


def _make_offline(m: folium.Map) -> None:
    """Replace the CDN links of ``m`` with inlined Leaflet, for this map instance only."""
    # Instance attributes shadow folium's class-level lists, which stay untouched, so other
    # maps in the same process keep folium's defaults.
    m.default_js = []
    m.default_css = []
    header = m.get_root().header  # type: ignore[attr-defined]
    header.add_child(
        _Raw(f"<style>{_script_safe(_leaflet_css())}</style>"), name="planner_leaflet_css"
    )
    header.add_child(
        _Raw(f"<script>{_script_safe(_leaflet_js())}</script>"), name="planner_leaflet_js"
    )
    header.add_child(_Raw(f"<style>{_CSS}</style>"), name="planner_css")
    header.add_child(_Raw(f"<script>{_JS}</script>"), name="planner_js")


class _Raw(Element):
    """Finished text (Leaflet's source, a layer's script) added to the page as it is.

    branca wraps every piece of rendered output in a new ``Element``, which compiles it as a
    Jinja template: for megabytes of GeoJSON and Leaflet that lexing costs more than building
    the map. Text here is already final, so it is never compiled.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


class _FastRender(MacroElement):
    """Our MacroElements: the rendered parts go into the page as :class:`_Raw` (placed just
    above ``MacroElement`` in the method order, so folium's own ``render`` steps still run)."""

    def render(self, **kwargs: Any) -> str:
        figure: Any = self.get_root()
        module = self._template.module.__dict__
        for part, target in (
            ("header", figure.header),
            ("html", figure.html),
            ("script", figure.script),
        ):
            macro = module.get(part)
            if macro is not None:
                target.add_child(_Raw(macro(self, kwargs)), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)
        return ""


_EXTERNAL = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']?(?P<js>(?:https?:)?//[^"'\s>]+)"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?(?P<css>(?:https?:)?//[^"'\s>]+)"""
    r"""|@import\s+(?:url\()?\s*["']?(?P<imp>(?:https?:)?//[^"')\s]+)""",
    re.IGNORECASE,
)


def _external_resources(page: str) -> list[str]:
    """URLs of scripts and stylesheets that ``page`` would fetch from the network."""
    return [next(g for g in mt.groups() if g) for mt in _EXTERNAL.finditer(page)]


# --------------------------------------------------------------------------- leaflet pieces


class _GeoJsonLayer(Layer, _FastRender):
    """A GeoJSON layer drawn with core Leaflet only (no jQuery, no marker plugins).

    Per-feature properties ``_fill``, ``_color``, ``_dash`` override the layer style and
    ``_label`` is the text of a DivIcon marker. Popups and tooltips are tables built in the
    browser from ``(property, label)`` pairs, with every value HTML-escaped.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.data_js }}, {
            interactive: {{ this.interactive|tojson }},
            {%- if this.attribution %}
            attribution: {{ this.attribution|tojson }},
            {%- endif %}
            style: function (feature) {
                var s = Object.assign({}, {{ this.style|tojson }});
                var p = feature.properties || {};
                if (p._fill) { s.fillColor = p._fill; }
                if (p._color) { s.color = p._color; }
                if (p._dash) { s.dashArray = p._dash; }
                return s;
            },
            pointToLayer: function (feature, latlng) {
                var p = feature.properties || {};
                {%- if this.icon_class %}
                return L.marker(latlng, {
                    icon: L.divIcon({
                        className: {{ this.icon_class|tojson }},
                        html: plannerEscape(p._label),
                        iconSize: [24, 24], iconAnchor: [12, 12], popupAnchor: [0, -12]
                    }),
                    title: String(p._label), riseOnHover: true
                });
                {%- else %}
                return L.circleMarker(latlng, {radius: {{ this.radius|tojson }}});
                {%- endif %}
            },
            onEachFeature: function (feature, layer) {
                var p = feature.properties || {};
                {%- if this.popup_fields %}
                layer.bindPopup(function () {
                    return plannerTable(p, {{ this.title_key|tojson }},
                                        {{ this.popup_fields|tojson }});
                }, {maxWidth: 340});
                {%- endif %}
                {%- if this.tooltip_fields %}
                layer.bindTooltip(function () {
                    return plannerTable(p, {{ this.title_key|tojson }},
                                        {{ this.tooltip_fields|tojson }});
                }, {sticky: true});
                {%- endif %}
            }
        });
        {% endmacro %}
        """
    )

    def __init__(
        self,
        geometries: np.ndarray,
        properties: list[dict[str, Any]],
        *,
        name: str,
        style: Mapping[str, Any],
        overlay: bool = True,
        show: bool = True,
        interactive: bool = True,
        attribution: str | None = None,
        radius: float = 6.0,
        icon_class: str | None = None,
        title_key: str | None = None,
        popup_fields: Sequence[tuple[str, str]] = (),
        tooltip_fields: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(name=name, overlay=overlay, control=True, show=show)
        self._name = "GeoJsonLayer"
        self.data_js = _feature_collection_js(geometries, properties)
        self.style = dict(style)
        self.interactive = interactive
        self.attribution = attribution
        self.radius = radius
        self.icon_class = icon_class
        self.title_key = title_key
        self.popup_fields = [list(f) for f in popup_fields]
        self.tooltip_fields = [list(f) for f in tooltip_fields]


def _feature_collection_js(
    geometries: np.ndarray, properties: list[dict[str, Any]], *, decimals: int | None = None
) -> str:
    """GeoJSON FeatureCollection text, safe to inline in a ``<script>``.

    With ``decimals``, coordinates are written with at most that many decimals (GEOS writes
    ``14.658582`` as ``14.658581999999999`` even after rounding).
    """
    geojson = shapely.to_geojson(geometries)
    if decimals is not None:
        geojson = [_short_numbers(g, decimals) for g in geojson]
    features = ",".join(
        f'{{"type":"Feature","geometry":{g},"properties":{json.dumps(p, separators=(",", ":"))}}}'
        for g, p in zip(geojson, properties, strict=True)
    )
    text = f'{{"type":"FeatureCollection","features":[{features}]}}'
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _short_numbers(geometry_json: str, decimals: int) -> str:
    """Numbers in a GeoJSON geometry text rounded to ``decimals`` (only coordinates there)."""

    def short(match: re.Match[str]) -> str:
        return repr(round(float(match.group()), decimals))

    return re.sub(rf"-?\d+\.\d{{{decimals + 1},}}(?:[eE][-+]?\d+)?", short, geometry_json)


class _ScriptElement(_FastRender):
    """JavaScript run after the map exists; ``{map}`` and ``{self}`` name the map and element."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.code.replace("{map}", this._parent.get_name()).replace("{self}", this.get_name()) }}
        {% endmacro %}
        """
    )

    def __init__(self, code: str) -> None:
        super().__init__()
        self._name = "ScriptElement"
        self.code = code


def _legend_element(html_text: str) -> _ScriptElement:
    return _ScriptElement(
        "var {self} = L.control({position: 'bottomleft'});\n"
        "{self}.onAdd = function () {\n"
        "  var div = L.DomUtil.create('div', 'planner-legend');\n"
        f"  div.innerHTML = {_js_string(html_text)};\n"
        "  L.DomEvent.disableClickPropagation(div);\n"
        "  L.DomEvent.disableScrollPropagation(div);\n"
        "  return div;\n"
        "};\n"
        "{self}.addTo({map});"
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


def _script_json(text: str) -> str:
    """JSON text safe inside ``<script>`` (no ``<``, ``>``, ``&``, line separators)."""
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _js_string(text: str) -> str:
    return json.dumps(text).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# --------------------------------------------------------------------------- input handling


def _prepare(
    gdf: Any,
    what: str,
    *,
    required: Sequence[str],
    numeric: Sequence[str],
    problems: list[str],
    function: str = "coverage_map",
) -> gpd.GeoDataFrame | None:
    """``gdf`` in EPSG:4326 with usable geometries, or None (problems appended)."""
    if gdf is None:
        return None
    if not isinstance(gdf, gpd.GeoDataFrame):
        problems.append(f"{what} is a {type(gdf).__name__}, not a GeoDataFrame")
        return None
    start = len(problems)
    if gdf.crs is None:
        problems.append(f"{what} has no CRS; set it with {what}.set_crs(...)")
    missing = [c for c in required if c not in gdf.columns]
    if missing:
        problems.append(
            f"{what} lacks the column(s) {', '.join(map(repr, missing))} "
            f"(it has: {', '.join(map(str, gdf.columns[:12]))})"
        )
    for col in numeric:
        if col in gdf.columns and not pd.api.types.is_numeric_dtype(gdf[col]):
            example = gdf[col].dropna().head(1).tolist()
            problems.append(
                f"{what}[{col!r}] holds {gdf[col].dtype} values"
                f"{f' such as {example[0]!r}' if example else ''}, not numbers; "
                f"convert it with pd.to_numeric({what}[{col!r}])"
            )
    if len(problems) > start:
        return None
    usable = gdf.geometry.notna() & ~gdf.geometry.is_empty
    if not usable.all():
        log.warning("%s: %s: %d rows without geometry not drawn", function, what, (~usable).sum())
    out = gdf.loc[usable].to_crs(4326)  # to_crs returns a new frame; the input is untouched
    return out


def _round(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.round(c, COORD_DECIMALS))


def _points(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Point of each row: the point itself, or a point inside polygons and lines."""
    geoms = gdf.geometry.to_numpy()
    is_point = shapely.get_type_id(geoms) == 0
    return _round(np.where(is_point, geoms, shapely.point_on_surface(geoms)))


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, list | tuple | set | np.ndarray):
        return "; ".join(str(v) for v in value) or None
    return str(value)


def _column(gdf: gpd.GeoDataFrame, col: str, fmt: Callable[[Any], str | None]) -> list[Any]:
    if col not in gdf.columns:
        return [None] * len(gdf)
    return [None if _missing(v) else fmt(v) for v in gdf[col].tolist()]


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


# --------------------------------------------------------------------------- layers


def _streets_layer(gdf: gpd.GeoDataFrame) -> _GeoJsonLayer:
    lines = shapely.get_parts(gdf.geometry.to_numpy())
    lines = lines[shapely.get_type_id(lines) == 1]  # LineStrings (polygon areas are skipped)
    lines = _round(shapely.simplify(lines, STREET_SIMPLIFY_DEG, preserve_topology=False))
    merged = shapely.multilinestrings(lines) if len(lines) else shapely.MultiLineString()
    return _GeoJsonLayer(
        np.array([merged]),
        [{}],
        name=LAYER_STREETS,
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
        (f"{name} [{sid}]" if name and sid else name or sid) or f"Station {i + 1}"
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
        return f"{_fmt_int(count)} missing"
    if count < 0:
        return f"{_fmt_int(-count)} more than needed"
    return "none missing"


def _fmt_latlon(lat: float, lon: float) -> str:
    return f"{lat:.6f}, {lon:.6f}"


def _relocation_text(gain: float) -> str:
    count = round(gain)
    if count > 0:
        return f"{_fmt_int(count)} residents"
    if count < 0:
        return f"none (the best site nearby serves {_fmt_int(-count)} fewer)"
    return "no residents"


def _moving_label(radius_m: float | None) -> str:
    within = f"within {_fmt_int(radius_m)} m" if radius_m is not None else "nearby"
    return f"Moving it {within} (instead of repairing it) would add"


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
    served = _column(gdf, "residents_within", _fmt_int)
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
        return _fmt_int(values[i]) if math.isfinite(values[i]) else None

    props = []
    for i, ok in enumerate(usable):
        status = statuses[i] if statuses is not None else None
        fill, outline, dash, wording, _ = STATUS_STYLES.get(status or "open", STATUS_STYLES["open"])
        if status is None:
            status_text = "in use" if ok else "not used in the plan"
        else:
            status_text = (wording if status in STATUS_STYLES else status) + (
                "" if ok else "; not used in the plan"
            )
        repair = status == "repair" and math.isfinite(gain[i])
        moved = repair and gain[i] >= 0.5 and math.isfinite(site_lon[i] + site_lat[i])
        props.append(
            {
                "name": names[i],
                "served": served[i] if ok and working[i] else None,
                "status": status_text,
                "reason": None if ok else (reasons[i] or "reason not recorded"),
                "served_all": count(served_all, i) if working[i] else None,
                "only_here": count(only_here, i) if working[i] else None,
                "rank": (
                    f"{_fmt_int(rank[i])} of {n_ranked}"
                    if working[i] and math.isfinite(rank[i])
                    else None
                ),
                "needed": (
                    count(needed, i)
                    if working[i]
                    else "none yet: not working, it serves nobody today"
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
    extra = f", {n_bad} unusable" if n_bad else ""
    return _GeoJsonLayer(
        _points(gdf),
        props,
        name=f"{LAYER_STATIONS} ({len(gdf)}{extra})",
        radius=7,
        style={"weight": 2, "fillOpacity": 0.95, "opacity": 1},
        title_key="name",
        popup_fields=[
            ("served", "Residents within walking distance"),
            ("status", "Status"),
            ("reason", "Why not used"),
            (
                "served_all",
                "Residents served: it is their nearest station, at any distance "
                "(the workload of its inspectors)",
            ),
            ("only_here", "Residents only here (lose walking access if it closes)"),
            ("rank", "Repair priority (1 = most residents lose access)"),
            ("needed", "Inspectors needed (1 per norm of residents served)"),
            ("now", "Inspectors now"),
            ("gap", "Inspector gap"),
            ("moving", _moving_label(relocation_radius_m)),
            ("site", "Best site to move it to (lat, lon)"),
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
    within = f"within {_fmt_int(relocation_radius_m)} m" if relocation_radius_m else None
    props = [
        {
            "title": f"Relocation site for {names[i]}",
            "gain": f"{_fmt_int(gain[i])} residents",
            "site": _fmt_latlon(site_lat[i], site_lon[i]),
            "within": within,
        }
        for i in rows
    ]
    return _GeoJsonLayer(
        np.concatenate([lines, sites]),
        [{**p, "_dash": "6 5"} for p in props] + props,  # lines below the rings
        name=f"{LAYER_RELOCATIONS} ({rows.size})",
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
            ("gain", "Moving the station here would add (instead of repairing it)"),
            ("site", "Site (lat, lon)"),
            ("within", "On foot from the station"),
        ],
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
        label = f"{_fmt_int(limit_m)} m"
        if not math.isnan(limit_min):
            label = f"{limit_min:g}-min walk ({label})"
        color = SERVICE_COLORS[i % len(SERVICE_COLORS)]
        layers.append(
            _GeoJsonLayer(
                _round(np.array([area])),
                [{}],
                name=f"{LAYER_SERVICE}: {label}",
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
        walk = [_fmt_m(v) for v in gdf["walk_m"].astype(float).tolist()]
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
    points_text = ", as points" if as_points else ""
    geoms = _points(gdf) if as_points else _round(gdf.geometry.to_numpy())
    walk, nearest = _walk_and_nearest(gdf, station_labels)
    # raster cells with residents but no mapped building are demand points, not buildings
    kinds = _column(gdf, "demand_kind", str)
    n_cells = sum(1 for k in kinds if k is not None and k != "building")
    cells_text = f" and raster cells without buildings ({_fmt_int(n_cells)})" if n_cells else ""
    props = [
        {
            "population": _fmt_int(pop) if math.isfinite(pop) else None,
            **({"what": kinds[i]} if "demand_kind" in gdf.columns else {}),
            "walk": walk[i],
            "nearest": nearest[i],
            "_fill": POPULATION_COLORS[min(int(classes[i]), 4)] if breaks else None,
        }
        for i, pop in enumerate(population)
    ]
    if as_points:
        log.info("coverage_map: %d uncovered buildings drawn as points", len(gdf))
    key = []
    lower = float(math.floor(np.nanmin(population))) if breaks else 0.0
    for i, upper in enumerate(breaks):
        text = f"{_fmt_int(lower)}–{_fmt_int(upper)}" if upper > lower else _fmt_int(upper)
        key.append((POPULATION_COLORS[i], text))
        lower = upper + 1
    layer = _GeoJsonLayer(
        geoms,
        props,
        name=f"{LAYER_BUILDINGS}{cells_text} ({_fmt_int(len(gdf))}{points_text})",
        radius=3,
        style={"color": "#7a1c1c", "weight": 0.5, "opacity": 0.8, "fillOpacity": 0.85},
        tooltip_fields=[
            ("what", "Demand point"),
            ("population", "Residents"),
            ("walk", "Walk to nearest station"),
            ("nearest", "Nearest station"),
        ],
    )
    return layer, key


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
            "population": _fmt_int(pop) if math.isfinite(pop) else None,
            "walk": walk[i],
            "nearest": nearest[i],
        }
        for i, pop in enumerate(population)
    ]
    if as_points:
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
            ("population", "Residents"),
            ("walk", "Walk to nearest station today"),
            ("nearest", "Nearest station today"),
        ],
    )


def _sites_layer(gdf: gpd.GeoDataFrame) -> _GeoJsonLayer:
    order = np.argsort(gdf["rank"].to_numpy(dtype=float), kind="stable")
    gdf = gdf.iloc[order]
    ranks = [_fmt_int(r) for r in gdf["rank"].tolist()]
    names = _column(gdf, "name", str)
    new = _column(gdf, "marginal_population", _fmt_int)
    cum = _column(gdf, "cumulative_population", _fmt_int)
    share = _column(gdf, "cumulative_share", _fmt_share)
    district = _column(gdf, "district", str)
    props = [
        {
            "title": f"Proposed site {r}" + (f": {names[i]}" if names[i] else ""),
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
        name=f"{LAYER_SITES} ({len(gdf)})",
        icon_class="planner-rank",
        style={},
        title_key="title",
        popup_fields=[
            ("rank", "Rollout order"),
            ("district", "District"),
            ("new", "Residents newly covered"),
            ("cum", "Newly covered by sites 1 to this"),
            ("share", "Share of residents covered then"),
        ],
    )


def _proposals_layer(gdf: gpd.GeoDataFrame) -> _GeoJsonLayer:
    names = _column(gdf, "name", str)
    alone = _column(gdf, "alone_population", _fmt_int)
    marginal = _column(gdf, "marginal_population", _fmt_int)
    greedy = _column(gdf, "greedy_rank", _fmt_int)
    flags = _column(gdf, "flags", _text)
    props = [
        {
            "title": names[i] or f"Proposal {i + 1}",
            "alone": alone[i],
            "marginal": marginal[i],
            "greedy": greedy[i],
            "flags": flags[i] or "none",
            "_label": f"P{i + 1}",
        }
        for i in range(len(gdf))
    ]
    return _GeoJsonLayer(
        _points(gdf),
        props,
        name=f"{LAYER_PROPOSALS} ({len(gdf)})",
        icon_class="planner-proposal",
        style={},
        title_key="title",
        popup_fields=[
            ("alone", "Residents newly covered, alone"),
            ("marginal", "Lost if dropped from the list"),
            ("greedy", "Rank within the list"),
            ("flags", "Flags"),
        ],
    )


#: Fill of a district by its share of residents covered now: 0-20, 20-40, ..., 80-100 %.
DISTRICT_COLORS = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")
LAYER_DISTRICTS = "Districts: share of residents covered"


def _districts_layer(gdf: gpd.GeoDataFrame) -> tuple[_GeoJsonLayer, _ScriptElement]:
    """District polygons filled by the share covered now, with a popup of their numbers (now,
    after the plan, calibration) and a small legend of their own; districts whose numbers are
    not reliable (``reliable`` False) have a dashed outline and say so."""
    share = _float_column(gdf, "share_covered")
    share_after = _float_column(gdf, "share_covered_after")
    reliable = (
        gdf["reliable"].fillna(True).astype(bool).to_numpy()
        if "reliable" in gdf.columns
        else np.ones(len(gdf), dtype=bool)
    )
    total = _column(gdf, "residents_total", _fmt_int)
    now = _column(gdf, "residents_covered", _fmt_int)
    after = _column(gdf, "residents_covered_after", _fmt_int)
    official = _column(gdf, "official_population", _fmt_int)
    factor = _column(gdf, "calibration_factor", lambda v: f"{float(v):.2f}")
    notes = _column(gdf, "calibration_note", lambda v: _text(v) or None)
    names = _column(gdf, "name", str)
    props = []
    for i in range(len(gdf)):
        cls = min(int(share[i] * 5), 4) if math.isfinite(share[i]) else None
        props.append(
            {
                "name": (names[i] or f"District {i + 1}")
                + ("" if reliable[i] else " (numbers not reliable)"),
                "residents": total[i],
                "now": f"{now[i]} ({_fmt_share(share[i])})" if now[i] is not None else None,
                "after": (
                    f"{after[i]} ({_fmt_share(share_after[i])})" if after[i] is not None else None
                ),
                "official": official[i],
                "factor": factor[i],
                "note": notes[i],
                "_fill": DISTRICT_COLORS[cls] if cls is not None else "#ffffff",
                "_dash": None if reliable[i] else "6 4",
                "_color": "#333333" if reliable[i] else "#b71c1c",
            }
        )
    layer = _GeoJsonLayer(
        _round(gdf.geometry.to_numpy()),
        props,
        name=LAYER_DISTRICTS,
        style={"color": "#333333", "weight": 2, "opacity": 0.8, "fillOpacity": 0.25},
        title_key="name",
        popup_fields=[
            ("residents", "Residents"),
            ("now", "Covered now"),
            ("after", "Covered after the plan"),
            ("official", "Official population"),
            ("factor", "Calibration factor (official / estimated)"),
            ("note", "Note"),
        ],
        tooltip_fields=[("now", "Covered now")],
    )
    esc = html.escape
    parts = ["<div><b>Districts</b>: share of residents within the limit now (click one)</div>"]
    for i, color in enumerate(DISTRICT_COLORS):
        parts.append(
            f'<div><span class="planner-key" style="background:{color};opacity:.6"></span>'
            f"{20 * i}–{20 * (i + 1)}&nbsp;%</div>"
        )
    if not reliable.all():
        parts.append(
            '<div><span class="planner-key" style="border:2px dashed #b71c1c;'
            'box-sizing:border-box"></span>numbers not reliable (buildings incomplete)</div>'
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


def _illustrative_html(label: str) -> str:
    """A label of made-up input data, at the top of the legend, impossible to miss."""
    return (
        '<p class="planner-illustrative" style="border:2px solid #c62828;color:#c62828;'
        f'font-weight:bold;padding:4px;margin:4px 0">{html.escape(label)}</p>'
    )


def _legend_html(
    summary: Mapping[str, Any] | None,
    *,
    population_key: list[tuple[str, str]],
    service_layers: list[_GeoJsonLayer],
    has: Mapping[str, bool],
    station_statuses: Mapping[str, int] | None = None,
    scenario_keys: Sequence[tuple[str, str]] = (),
) -> str:
    esc = html.escape
    parts = []
    city = _get(summary, "city")
    parts.append(f"<h4>Police coverage{f' — {esc(str(city))}' if city else ''}</h4>")
    parts += [_illustrative_html(label) for label in illustrative_labels(summary)]
    if summary:
        cov = _get(summary, "coverage") or {}
        total = _get(cov, "residents_total")
        rows: list[tuple[str, str]] = []
        if total is not None:
            rows.append(("Residents", _fmt_int(total)))
        before = _get(cov, "residents_covered")
        if before is not None:
            share = _get(cov, "share_covered")
            if share is None and total:
                share = float(before) / float(total)
            rows.append(("Covered now", f"{_fmt_int(before)} ({_fmt_share(share)})"))
        after = _get(summary, "plan", "residents_covered_after")
        if after is not None:
            share_after = _get(summary, "plan", "share_covered_after")
            if share_after is None and total:
                share_after = float(after) / float(total)
            rows.append(("With the plan", f"{_fmt_int(after)} ({_fmt_share(share_after)})"))
        params = _get(summary, "parameters")
        if _get(params, "max_walk_m") is not None or _get(params, "max_walk_min") is not None:
            rows.append(("Walking limit", _limit_text(params)))
        date = _get(summary, "data", "data_date")
        if date is not None:
            rows.append(("OSM data date", str(date)))
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
                text = label if status in STATUS_STYLES else f"Station {status}"
                parts.append(
                    key(f"background:{fill};{border}border-radius:50%", f"{text} ({_fmt_int(n)})")
                )
        else:
            parts.append(key(f"background:{STATION_COLOR};border-radius:50%", "Police station"))
        parts.append(
            key(
                f"background:{UNUSABLE_COLOR};border:1px dashed #c62828;border-radius:50%",
                "Station not usable (see popup)",
            )
        )
    for layer in service_layers:
        color = layer.style["fillColor"]
        parts.append(key(f"background:{color};opacity:.5", layer.layer_name))
    norm = _get(summary, "stations_review", "inspectors", "residents_per_inspector")
    if has.get("inspectors") and norm is not None and not _missing(norm):
        parts.append(f"<div>Inspectors needed: 1 per {esc(_fmt_int(norm))} residents served</div>")
    if has.get("relocations"):
        parts.append(
            key(
                f"background:#fff;border:2px solid {REPAIR_COLOR};box-sizing:border-box;"
                "border-radius:50%",
                "Relocation site of a station under repair that would serve more residents "
                "(dashed line from the station; off at start)",
            )
        )
    if scenario_keys:
        parts.append("<div>Scenarios (off at start; switch on in the layer list):</div>")
        parts += [key(f"background:{color}", name) for color, name in scenario_keys]
    if has.get("sites"):
        parts.append(key(f"background:{SITE_COLOR};border-radius:50%", "Proposed site, by rank"))
    if has.get("proposals"):
        parts.append(key(f"background:{PROPOSAL_COLOR}", "Akimat proposal"))
    if population_key:
        parts.append("<div>Residents per uncovered building:</div>")
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

    Returns
    -------
    folium.Map
        Save it with :func:`save_map` (or :func:`planner.outputs.write_map`).

    Raises
    ------
    InputError
        Listing every problem with the inputs, or if there is nothing to draw.
    """
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
    scenarios_w: dict[str, gpd.GeoDataFrame] = {}
    if scenario_layers is not None and not isinstance(scenario_layers, Mapping):
        problems.append(
            f"scenario_layers is a {type(scenario_layers).__name__}, not a dict of "
            "layer name -> GeoDataFrame"
        )
    elif scenario_layers is not None:
        for name, frame in scenario_layers.items():
            if not isinstance(name, str) or not name.strip():
                problems.append(f"scenario_layers: the layer name {name!r} is not a text")
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
        problems.append(f"relocation_radius_m={relocation_radius_m!r} must be a number > 0")
    if sites_w is not None and sites_w["rank"].isna().any():
        problems.append("proposed_sites['rank'] has missing values; number every site 1, 2, ...")
    if summary is not None and not isinstance(summary, Mapping):
        problems.append(f"summary is a {type(summary).__name__}, not a dict")
    if max_building_polygons < 0:
        problems.append(f"max_building_polygons={max_building_polygons} must be 0 or more")
    if problems:
        raise InputError(
            f"coverage_map: {len(problems)} problem(s) with the map layers",
            problems,
            "Column names expected for each layer are listed in help(planner.maps).",
        )
    frames = (streets_w, stations_w, areas_w, buildings_w, sites_w, proposals_w)
    present = [f for f in (*frames, *scenarios_w.values()) if f is not None and len(f)]
    if not present:
        raise InputError(
            "coverage_map: nothing to draw",
            hint="Pass at least one non-empty layer, e.g. coverage_map(streets=..., stations=...).",
        )
    if buildings_w is not None and "covered" in buildings_w.columns:
        buildings_w = buildings_w.loc[~buildings_w["covered"].fillna(False).astype(bool)]

    bounds = np.array([f.total_bounds for f in present])
    west, south = np.nanmin(bounds[:, :2], axis=0)
    east, north = np.nanmax(bounds[:, 2:], axis=0)
    view = _view_bounds(fit_to)
    fit = (west, south, east, north) if view is None else view
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=13,
        tiles=None,
        control_scale=False,
        zoom_snap=0.5,
        font_size="13px",
    )
    _make_offline(m)
    city = _get(summary, "city")
    m.get_root().title = title or (  # type: ignore[attr-defined]
        f"Police station coverage — {city}" if city else "Police station coverage"
    )

    if streets_w is not None:
        m.add_child(_streets_layer(streets_w))
    if tiles is not None:
        tile_layer = (
            tiles
            if isinstance(tiles, folium.TileLayer)
            else folium.TileLayer(
                tiles,
                name=f"Online tiles: {tiles}" if not str(tiles).startswith("http") else None,
                attr=None if not str(tiles).startswith("http") else OSM_ATTRIBUTION,
            )
        )
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
    relocations = None
    if stations_w is not None:
        relocations = _relocations_layer(stations_w, relocation_radius_m=relocation_radius_m)
        if relocations is not None:
            m.add_child(relocations)
        m.add_child(_stations_layer(stations_w, relocation_radius_m=relocation_radius_m))
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
        },
        station_statuses=(
            _status_counts(stations_w) if stations_w is not None and len(stations_w) else None
        ),
        scenario_keys=scenario_keys,
    )
    m.add_child(_legend_element(legend))
    if try_sites is not None:
        root = m.get_root()
        root.header.add_child(  # type: ignore[attr-defined]
            _Raw(f"<style>{_script_safe(_static_text('try_sites.css'))}</style>"),
            name="planner_try_sites_css",
        )
        root.header.add_child(  # type: ignore[attr-defined]
            _Raw(f"<script>{_script_safe(_static_text('try_sites.js'))}</script>"),
            name="planner_try_sites_js",
        )
        m.add_child(_TrySitesPanel(try_sites.payload()))
    m.add_child(folium.LayerControl(collapsed=False, position="topright"))
    fit_west, fit_south, fit_east, fit_north = fit
    m.fit_bounds([[fit_south, fit_west], [fit_north, fit_east]], padding=(10, 10))
    return m


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


def save_map(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write ``m`` as one self-contained HTML file, atomically.

    Parameters
    ----------
    m
        A map from :func:`coverage_map`.
    path
        Destination, conventionally ``.../map.html``.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    PlannerError
        If the page would load a script or stylesheet from the internet (e.g. a folium plugin
        was added to the map); such a map breaks on closed networks.
    """
    page = m.get_root().render()
    external = _external_resources(page)
    if external:
        raise PlannerError(
            "save_map: the map would load "
            + ", ".join(sorted(set(external)))
            + " from the internet, so it would not work on a closed network. Build maps with "
            "planner.maps.coverage_map and do not add folium plugins or markers with Icon/Popup."
        )
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    log.info("wrote map %s (%.1f MB)", path, len(page.encode("utf-8")) / 1e6)
    return Path(path)


# --------------------------------------------------------------------------- national overview

LAYER_UNITS = "Units, shaded by coverage with the plan"
LAYER_UNIT_LABELS = "New stations per unit"
LAYER_PLAIN = "Plain background (offline)"

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
    + "open the unit&#39;s map</a></div>";
}
"""

# Grey hatching for failed units; SVG paths refer to it as fill="url(#planner-hatch)".
_HATCH_SVG = f"""
<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>
<pattern id="planner-hatch" width="6" height="6" patternUnits="userSpaceOnUse"
 patternTransform="rotate(45)"><rect width="6" height="6" fill="#d6d6d6"/>
<line x1="0" y1="0" x2="0" y2="6" stroke="{FAILED_COLOR}" stroke-width="3"/></pattern>
</defs></svg>
"""

_UNIT_POPUP_FIELDS = (
    ("residents", "Residents"),
    ("before", "Covered now"),
    ("after", "Covered with the plan"),
    ("new", "New stations"),
    ("gap", "Optimality gap of the unit"),
    ("status", "Status"),
)


class _UnitsLayer(Layer):
    """Unit polygons, or their new-station labels, each with the unit's popup and map link.

    Features carry the popup values (texts, escaped in the browser) and ``_fill``, ``_color``,
    ``_dash`` (polygons) or ``_label``, ``_faded`` (label points).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.data_js }}, {
            style: function (feature) {
                var p = feature.properties || {};
                var s = Object.assign({}, {{ this.style|tojson }});
                if (p._fill) { s.fillColor = p._fill; }
                if (p._color) { s.color = p._color; }
                if (p._dash) { s.dashArray = p._dash; }
                return s;
            },
            pointToLayer: function (feature, latlng) {
                var p = feature.properties || {};
                var width = 12 + 7 * String(p._label).length;  // bold 12px digits: ~7px each
                return L.marker(latlng, {
                    icon: L.divIcon({
                        className: "planner-unit-label" + (p._faded ? " planner-unit-faded" : ""),
                        html: plannerEscape(p._label),
                        iconSize: [width, 18], iconAnchor: [width / 2, 9], popupAnchor: [0, -9]
                    }),
                    title: String(p.name), riseOnHover: true
                });
            },
            onEachFeature: function (feature, layer) {
                var p = feature.properties || {};
                layer.bindPopup(function () {
                    return plannerTable(p, "name", {{ this.popup_fields|tojson }})
                        + plannerUnitLink(p);
                }, {maxWidth: 340});
                {%- if this.tooltip_fields %}
                layer.bindTooltip(function () {
                    return plannerTable(p, "name", {{ this.tooltip_fields|tojson }});
                }, {sticky: true});
                {%- endif %}
            }
        });
        {% endmacro %}
        """
    )

    def __init__(
        self,
        geometries: np.ndarray,
        properties: list[dict[str, Any]],
        *,
        name: str,
        style: Mapping[str, Any],
        tooltip_fields: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "UnitsLayer"
        self.data_js = _feature_collection_js(geometries, properties, decimals=COORD_DECIMALS)
        self.style = dict(style)
        self.popup_fields = [list(f) for f in _UNIT_POPUP_FIELDS]
        self.tooltip_fields = [list(f) for f in tooltip_fields]


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
        return "0% (optimal)"
    if gap < 0.0005:
        return "< 0.1%"
    return _fmt_share(gap)


def _count_share(count: Any, share: Any, total: Any) -> str | None:
    """``"1 234 (17.6%)"``; the share from ``count / total`` when not given."""
    if _missing(count) or not math.isfinite(float(count)):
        return None
    if (_missing(share) or not math.isfinite(float(share))) and not _missing(total):
        share = float(count) / float(total) if float(total) > 0 else None
    if _missing(share) or not math.isfinite(float(share)):
        return _fmt_int(count)
    return f"{_fmt_int(count)} ({_fmt_share(share)})"


def _float_column(gdf: gpd.GeoDataFrame, col: str) -> np.ndarray:
    if col not in gdf.columns:
        return np.full(len(gdf), np.nan)
    return pd.to_numeric(gdf[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


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


def _unit_properties(gdf: gpd.GeoDataFrame, breaks: Sequence[int]) -> list[dict[str, Any]]:
    names = [name or f"Unit {i + 1}" for i, name in enumerate(_column(gdf, "name", _text))]
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
                "residents": _fmt_int(residents[i]) if math.isfinite(residents[i]) else None,
                "before": _count_share(covered_before[i], share_before[i], residents[i]),
                "after": _count_share(covered_after[i], share, residents[i]),
                "new": str(count) if count is not None else None,
                "gap": _fmt_gap(gaps[i]) if ok[i] else None,
                "status": "planned" if ok[i] else f"failed: {status[i] or 'reason not recorded'}",
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
    residents = _get(summary, "residents")
    budget = _get(summary, "new_stations")
    rows = [("New stations (budget)", _fmt_int(budget))]
    if budget is None or _missing(budget) or round(float(budget)) != round(allocated):
        rows.append(("Allocated to units", _fmt_int(allocated)))
    rows.append(("Residents", _fmt_int(residents)))
    for column, label in (("covered_before", "Covered now"), ("covered_after", "With the plan")):
        share = _get(summary, column.replace("covered", "share"))
        value = _count_share(_get(summary, column), share, residents)
        rows.append((label, value or "not recorded"))
    gap = _get(summary, "gap")
    gap_text = _fmt_gap(gap)
    rows.append(("Optimality gap", gap_text or "not recorded"))
    rows.append(("Units planned", _fmt_int(_get(summary, "units_ok"))))
    rows.append(("Units failed", _fmt_int(_get(summary, "units_failed"))))

    parts = [f"<h4>{esc(heading)}</h4>"]
    parts += [_illustrative_html(label) for label in illustrative_labels(summary)]
    parts.append(
        "<table>"
        + "".join(f'<tr><td>{esc(k)}</td><td class="n">{esc(v)}</td></tr>' for k, v in rows)
        + "</table>"
    )
    if gap_text == "0% (optimal)":
        parts.append("<p>The allocation is the best possible.</p>")
    elif gap_text is not None:
        at_most = gap_text.replace("< ", "less than ")
        parts.append(f"<p>The allocation is at most {esc(at_most)} short of the best possible.</p>")

    def swatch(css_class: str, style: str, label: str) -> str:
        return (
            f'<div><span class="planner-key {css_class}" style="{style}"></span>{esc(label)}</div>'
        )

    if breaks:
        parts.append("<div>Residents covered with the plan:</div>")
        parts += [
            swatch("", f"background:{SHARE_COLORS[i]}", f"{breaks[i]}–{breaks[i + 1]}%")
            for i in range(5)
        ]
    if any(p["_fill"] == NO_SHARE_COLOR for p in props):
        parts.append(swatch("", f"background:{NO_SHARE_COLOR}", "No residents recorded"))
    if not ok.all():
        parts.append(swatch("planner-hatch", "", "Unit failed (reason in its popup)"))
    parts.append(
        "<div>+3 on a unit: new stations allocated to it. Click a unit for its numbers and a link "
        "to its own map.</div>"
    )
    return "".join(parts)


def _tile_layer(tiles: str | folium.TileLayer) -> folium.TileLayer:
    if isinstance(tiles, folium.TileLayer):
        return tiles
    url = str(tiles).startswith("http")
    return folium.TileLayer(
        tiles,
        name=None if url else f"Online tiles: {tiles}",
        attr=OSM_ATTRIBUTION if url else None,
    )


def national_map(
    units: gpd.GeoDataFrame,
    *,
    summary: Mapping[str, Any] | None = None,
    title: str | None = None,
    tiles: str | folium.TileLayer | None = None,
    attribution: str | None = None,
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

    Returns
    -------
    folium.Map
        Save it with :func:`save_map` (conventionally as ``national.html``).

    Raises
    ------
    InputError
        Listing every problem with ``units`` and ``summary``, or if there is nothing to draw.
    """
    problems: list[str] = []
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
                f"units row {i + 1} ({names[i] or 'no name'}): "
                f"{units_w.geometry.iloc[i].geom_type}, not a polygon"
            )
        if len(bad) > 20:
            problems.append(f"... and {len(bad) - 20} more units without polygon geometry")
    if summary is not None and not isinstance(summary, Mapping):
        problems.append(f"summary is a {type(summary).__name__}, not a dict")
    if problems:
        raise InputError(
            f"national_map: {len(problems)} problem(s) with the units",
            problems,
            "Pass one (multi)polygon per unit with at least the columns 'name' and 'status'; "
            "the other columns are listed in help(planner.maps.national_map).",
        )
    assert units_w is not None  # for mypy: problems were raised above
    if not len(units_w):
        raise InputError(
            "national_map: nothing to draw",
            hint="Pass at least one unit with a boundary polygon.",
        )

    metric = _metric_crs(units_w)
    geoms_m = units_w.geometry.to_crs(metric).to_numpy()
    outlines_m, tolerance = _simplified(geoms_m)
    outlines = _round(gpd.GeoSeries(outlines_m, crs=metric).to_crs(4326).to_numpy())
    labels = _round(gpd.GeoSeries(_label_points(geoms_m), crs=metric).to_crs(4326).to_numpy())
    log.info(
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
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=6,
        tiles=None,
        control_scale=False,
        zoom_snap=0.5,
        font_size="13px",
    )
    _make_offline(m)
    root = m.get_root()
    root.header.add_child(  # type: ignore[attr-defined]
        _Raw(f"<style>{_NATIONAL_CSS}</style>"), name="planner_national_css"
    )
    root.header.add_child(  # type: ignore[attr-defined]
        _Raw(f"<script>{_NATIONAL_JS}</script>"), name="planner_national_js"
    )
    root.html.add_child(_Raw(_HATCH_SVG), name="planner_hatch")  # type: ignore[attr-defined]
    heading = title or "National plan: new police stations"
    root.title = title or "Police station coverage — national plan"  # type: ignore[attr-defined]

    if tiles is not None:
        m.add_child(
            _GeoJsonLayer(np.array([], dtype=object), [], name=LAYER_PLAIN, overlay=False, style={})
        )
        tile_layer = _tile_layer(tiles)
        tile_layer.overlay = False
        tile_layer.show = False
        m.add_child(tile_layer)

    n_failed = int((~ok).sum())
    m.add_child(
        _UnitsLayer(
            outlines,
            props,
            name=f"{LAYER_UNITS} ({len(props)}{f', {n_failed} failed' if n_failed else ''})",
            style={"weight": 1.2, "opacity": 0.9, "fillOpacity": 0.75},
            tooltip_fields=[("after", "Covered with the plan"), ("new", "New stations")],
        )
    )
    labelled = [i for i, p in enumerate(props) if p["_label"] is not None]
    m.add_child(
        _UnitsLayer(
            labels[labelled],
            [
                {k: v for k, v in props[i].items() if k not in ("_fill", "_color", "_dash")}
                for i in labelled
            ],
            name=LAYER_UNIT_LABELS,
            style={},
        )
    )
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
            _national_legend_html(summary, units_w, props, ok=ok, breaks=breaks, heading=heading)
        )
    )
    m.add_child(folium.LayerControl(collapsed=False, position="topright"))
    # Fit to the units beside the legend, when the window is wide enough for both.
    m.add_child(
        _ScriptElement(
            f"var {{self}} = L.latLngBounds([[{south}, {west}], [{north}, {east}]]);\n"
            "(function (map, bounds) {\n"
            "  var legend = map.getContainer().querySelector('.planner-legend');\n"
            "  var width = legend ? legend.offsetWidth + 20 : 10;\n"
            "  var left = map.getSize().x - width >= 400 ? width : 10;\n"
            "  map.fitBounds(bounds, {paddingTopLeft: [left, 10], paddingBottomRight: [10, 10]});\n"
            "})({map}, {self});"
        )
    )
    return m
