"""The offline Leaflet pieces both maps are built from (private to :mod:`planner.maps`).

- the vendored Leaflet 1.9.4 (``planner/static``), inlined into the page by
  :func:`_make_offline`, with the CSS and the small JavaScript helpers both maps share;
- :class:`_GeoJsonLayer`, the one GeoJSON layer class (core Leaflet only: no jQuery, no marker
  plugins), with :class:`_ScriptElement` and the legend control;
- the input checks of every layer (:func:`_prepare`) and the per-row text helpers;
- :func:`save_map`, which refuses a page that would load anything from the internet.
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

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.map import Layer
from folium.template import Template

from planner._files import atomic_path
from planner.errors import PlannerError
from planner.i18n import JsMessage, gettext, js_messages, js_script, ngettext

if TYPE_CHECKING:
    pass

__all__ = ["save_map"]

log = logging.getLogger(__name__)

LEAFLET_VERSION = "1.9.4"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
LEAFLET_PREFIX = '<a href="https://leafletjs.com">Leaflet</a>'
COORD_DECIMALS = 6
#: Colours of the proposed sites and akimat proposals, used by the shared CSS below.
SITE_COLOR = "#6a1b9a"
PROPOSAL_COLOR = "#e65100"

# untranslated: CSS source
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
# untranslated: JavaScript source
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


# --------------------------------------------------------------------------- offline assets


@functools.cache
def _static_text(name: str) -> str:
    return (resources.files("planner") / "static" / name).read_text(encoding="utf-8")


@functools.cache
def _static_data_uri(name: str) -> str:
    data = (resources.files("planner") / "static" / name).read_bytes()
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


@functools.cache
def _static_messages(name: str) -> tuple[JsMessage, ...]:
    """The texts the script ``planner/static/<name>`` passes to ``gettext``/``ngettext``."""
    return js_messages(_static_text(name))


def _static_script(name: str) -> _Raw:
    """The script ``planner/static/<name>`` inlined, after the table of its texts.

    The table (:func:`planner.i18n.js_script`) holds the translations of the texts the script
    uses, in the language in use when the map is built, with the catalog's plural rule and
    number formats: the page's ``plannerI18n.gettext`` reads the same catalogs as the memo.
    """
    return _Raw(
        f"<script>{_script_safe(js_script(_static_messages(name)))}</script>\n"
        f"<script>{_script_safe(_static_text(name))}</script>"
    )


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


def _offline_map(
    west: float, south: float, east: float, north: float, *, zoom_start: int
) -> folium.Map:
    """An empty map centred on the box, with Leaflet inlined and no online tiles."""
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=zoom_start,
        tiles=None,
        control_scale=False,
        zoom_snap=0.5,
        font_size="13px",
    )
    _make_offline(m)
    return m


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

    Per-feature properties ``_fill`` (``"none"``: not filled), ``_color``, ``_dash`` override
    the layer style (and ``_weight`` the line width, with ``line_weights=True``) and ``_label``
    is the text of a DivIcon marker. Popups and tooltips are tables built in the browser from
    ``(property, label)`` pairs, with every value HTML-escaped.

    The national map's units use the same class: ``unit_labels=True`` draws point features as
    the units' new-station labels (a pill as wide as its text, ``_faded`` for units without
    new stations), ``popup_suffix`` is JavaScript appended to the popup's HTML (the link to the
    unit's map) and ``decimals`` writes shorter coordinates.
    """

    _template = Template(  # untranslated: JavaScript source (a Jinja template)
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
                if (p._fill === "none") { s.fillOpacity = 0; }
                else if (p._fill) { s.fillColor = p._fill; }
                if (p._color) { s.color = p._color; }
                if (p._dash) { s.dashArray = p._dash; }
                {%- if this.line_weights %}
                if (p._weight) { s.weight = p._weight; }
                {%- endif %}
                return s;
            },
            pointToLayer: function (feature, latlng) {
                var p = feature.properties || {};
                {%- if this.unit_labels %}
                var width = 12 + 7 * String(p._label).length;  // bold 12px digits: ~7px each
                return L.marker(latlng, {
                    icon: L.divIcon({
                        className: "planner-unit-label" + (p._faded ? " planner-unit-faded" : ""),
                        html: plannerEscape(p._label),
                        iconSize: [width, 18], iconAnchor: [width / 2, 9], popupAnchor: [0, -9]
                    }),
                    title: String(p.name), riseOnHover: true
                });
                {%- elif this.icon_class %}
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
                                        {{ this.popup_fields|tojson }})
                    {%- if this.popup_suffix %} + {{ this.popup_suffix }}{% endif %};
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
        unit_labels: bool = False,
        popup_suffix: str | None = None,
        decimals: int | None = None,
        line_weights: bool = False,
    ) -> None:
        super().__init__(name=name, overlay=overlay, control=True, show=show)
        self._name = "GeoJsonLayer"
        self.data_js = _feature_collection_js(geometries, properties, decimals=decimals)
        self.unit_labels = unit_labels
        self.line_weights = line_weights
        self.popup_suffix = popup_suffix
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


def _illustrative_html(label: str) -> str:
    """A label of made-up input data, at the top of a legend, impossible to miss."""
    return (
        '<p class="planner-illustrative" style="border:2px solid #c62828;color:#c62828;'
        f'font-weight:bold;padding:4px;margin:4px 0">{html.escape(label)}</p>'
    )


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
        problems.append(
            gettext("{what} is a {type}, not a GeoDataFrame").format(
                what=what, type=type(gdf).__name__
            )
        )
        return None
    start = len(problems)
    if gdf.crs is None:
        problems.append(
            gettext("{what} has no CRS; set it with {what}.set_crs(...)").format(what=what)
        )
    missing = [c for c in required if c not in gdf.columns]
    if missing:
        problems.append(
            ngettext(
                "{what} lacks the column(s) {columns} (it has: {have})",
                "{what} lacks the column(s) {columns} (it has: {have})",
                len(missing),
            ).format(
                what=what,
                columns=", ".join(map(repr, missing)),
                have=", ".join(map(str, gdf.columns[:12])),
            )
        )
    for col in numeric:
        if col in gdf.columns and not pd.api.types.is_numeric_dtype(gdf[col]):
            example = gdf[col].dropna().head(1).tolist()
            text = (
                gettext(
                    "{what}[{column}] holds {dtype} values such as {example}, not numbers; "
                    "convert it with pd.to_numeric({what}[{column}])"
                )
                if example
                else gettext(
                    "{what}[{column}] holds {dtype} values, not numbers; "
                    "convert it with pd.to_numeric({what}[{column}])"
                )
            )
            problems.append(
                text.format(
                    what=what,
                    column=repr(col),
                    dtype=gdf[col].dtype,
                    example=repr(example[0]) if example else "",
                )
            )
    if len(problems) > start:
        return None
    geoms = gdf.geometry.to_numpy()
    # missing (None) or empty (a unit whose own area is all overlap) draw nothing; shapely's
    # tests, as GeoSeries.notna() warns on empty geometries
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not usable.all() and not (what == "service_areas" and not shapely.is_missing(geoms).any()):
        # a band of service area that no station reaches is empty: no news, not drawn
        n = int((~usable).sum())
        log.warning(
            "%s",
            ngettext(
                "{function}: {what}: {n} rows without geometry not drawn",
                "{function}: {what}: {n} rows without geometry not drawn",
                n,
            ).format(function=function, what=what, n=n),
        )
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


def _float_column(gdf: gpd.GeoDataFrame, col: str) -> np.ndarray:
    if col not in gdf.columns:
        return np.full(len(gdf), np.nan)
    return pd.to_numeric(gdf[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def _tile_layer(tiles: str | folium.TileLayer) -> folium.TileLayer:
    """An online background layer: a tile provider's name, a URL template or a TileLayer."""
    if isinstance(tiles, folium.TileLayer):
        return tiles
    url = str(tiles).startswith("http")
    return folium.TileLayer(
        tiles,
        name=None if url else gettext("Online tiles: {tiles}").format(tiles=tiles),
        attr=OSM_ATTRIBUTION if url else None,
    )


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
            gettext(
                "save_map: the map would load {urls} from the internet, so it would not work on "
                "a closed network. Build maps with planner.maps.coverage_map and do not add "
                "folium plugins or markers with Icon/Popup."
            ).format(urls=", ".join(sorted(set(external))))
        )
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    log.info("wrote map %s (%.1f MB)", path, len(page.encode("utf-8")) / 1e6)
    return Path(path)
