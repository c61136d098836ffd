"""Write the plugin's .qml styles from map.html's colours (a developer's tool, run with QGIS).

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 qgis_plugin/make_styles.py

The colours and classes are read from ``planner/maps.py`` (its module constants, parsed with
``ast``: QGIS's Python does not have the planner's dependencies), so the layers in QGIS look
like the layers of map.html; ``tests/test_qgis_plugin.py`` checks the shipped files against
those constants. Re-run after changing a colour there and commit the .qml files.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAPS = HERE.parent / "planner" / "maps.py"
STYLES = HERE / "precinct_planner" / "styles"


def map_constants() -> dict[str, object]:
    """The literal module-level constants of planner/maps.py."""
    out: dict[str, object] = {}
    for node in ast.parse(MAPS.read_text(encoding="utf-8")).body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            value = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            targets = [node.target.id]
            value = node.value
        for name in targets:
            try:
                out[name] = ast.literal_eval(value)
            except ValueError:
                # names of other constants inside (STATUS_STYLES uses STATION_COLOR, ...)
                try:
                    out[name] = eval(compile(ast.Expression(value), "maps", "eval"), {}, out)
                except Exception:
                    continue
    return out


def main() -> int:
    from qgis.core import (
        QgsApplication,
        QgsCategorizedSymbolRenderer,
        QgsFeatureRequest,
        QgsFillSymbol,
        QgsGraduatedSymbolRenderer,
        QgsMarkerSymbol,
        QgsPalLayerSettings,
        QgsProperty,
        QgsRendererCategory,
        QgsRendererRange,
        QgsRuleBasedRenderer,
        QgsSingleSymbolRenderer,
        QgsSymbolLayer,
        QgsTextBufferSettings,
        QgsTextFormat,
        QgsVectorLayer,
        QgsVectorLayerSimpleLabeling,
    )
    from qgis.PyQt.QtGui import QColor, QFont

    app = QgsApplication([], False)
    app.initQgis()
    c = map_constants()
    STYLES.mkdir(parents=True, exist_ok=True)

    def rgba(hex_color: str, alpha: float = 1.0) -> str:
        q = QColor(hex_color)
        return f"{q.red()},{q.green()},{q.blue()},{round(alpha * 255)}"

    def fill(color: str, alpha: float, outline: str, outline_alpha: float, width_mm: float,
             dash: bool = False) -> QgsFillSymbol:  # fmt: skip
        return QgsFillSymbol.createSimple({
            "color": rgba(color, alpha), "outline_color": rgba(outline, outline_alpha),
            "outline_width": str(width_mm), "outline_width_unit": "MM",
            "outline_style": "dash" if dash else "solid",
        })  # fmt: skip

    def marker(shape: str, color: str, outline: str, size_mm: float, width_mm: float,
               dash: bool = False) -> QgsMarkerSymbol:  # fmt: skip
        return QgsMarkerSymbol.createSimple({
            "name": shape, "color": rgba(color), "outline_color": rgba(outline),
            "size": str(size_mm), "size_unit": "MM", "outline_width": str(width_mm),
            "outline_width_unit": "MM", "outline_style": "dash" if dash else "solid",
        })  # fmt: skip

    def save(layer: QgsVectorLayer, name: str) -> None:
        message, ok = layer.saveNamedStyle(str(STYLES / name))
        if not ok:
            raise SystemExit(f"{name}: {message}")
        print(f"wrote {STYLES / name}")

    def labels(layer: QgsVectorLayer, expression: str, color: str) -> None:
        settings = QgsPalLayerSettings()
        settings.fieldName = expression
        settings.isExpression = True
        settings.placement = QgsPalLayerSettings.OverPoint
        fmt = QgsTextFormat()
        font = QFont()
        font.setBold(True)
        fmt.setFont(font)
        fmt.setSize(8)
        fmt.setColor(QColor(color))
        buffer = QgsTextBufferSettings()
        buffer.setEnabled(False)
        fmt.setBuffer(buffer)
        settings.setFormat(fmt)
        layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))
        layer.setLabelsEnabled(True)

    px = 0.26  # one CSS pixel of map.html, in mm at 96 dpi

    # stations by status (map.html: STATUS_STYLES; unusable grey with a dashed red outline)
    layer = QgsVectorLayer("Point?field=status:string&field=usable:integer", "s", "memory")
    root = QgsRuleBasedRenderer.Rule(None)
    statuses = c["STATUS_STYLES"]
    assert isinstance(statuses, dict)
    # "usable" is a GeoPackage boolean: tested as one (in QGIS, `false = 0` is false)
    usable = 'coalesce("usable", true)'
    for status, (fill_color, outline, dash, _wording, legend) in statuses.items():
        cond = f"\"status\" = '{status}'" + (' OR "status" IS NULL' if status == "open" else "")
        rule = QgsRuleBasedRenderer.Rule(
            marker("circle", fill_color, outline, 14 * px, 2 * px, dash is not None),
            filterExp=f"{usable} AND ({cond})",
            label=legend,
        )
        root.appendChild(rule)
    root.appendChild(QgsRuleBasedRenderer.Rule(
        marker("circle", c["UNUSABLE_COLOR"], "#c62828", 14 * px, 2 * px, True),
        filterExp='"usable" IS NOT NULL AND NOT "usable"',
        label="Station not used (the reason is in its attributes)",
    ))  # fmt: skip
    known = ", ".join(f"'{s}'" for s in statuses)
    root.appendChild(QgsRuleBasedRenderer.Rule(
        marker("circle", c["STATION_COLOR"], "#ffffff", 14 * px, 2 * px),
        filterExp=f'{usable} AND "status" IS NOT NULL AND "status" NOT IN ({known})',
        label="Station (other status)",
    ))  # fmt: skip
    layer.setRenderer(QgsRuleBasedRenderer(root))
    save(layer, "stations.qml")

    # service areas 5/10/15 min: largest first, SERVICE_COLORS in that order, 20 % fill
    layer = QgsVectorLayer("MultiPolygon?field=limit_min:double", "a", "memory")
    colors = c["SERVICE_COLORS"]
    categories = [
        QgsRendererCategory(
            minutes, fill(colors[i], 0.2, colors[i], 0.8, px), f"{minutes}-min walk"
        )
        for i, minutes in enumerate((15, 10, 5))
    ]
    renderer = QgsCategorizedSymbolRenderer("limit_min", categories)
    renderer.setOrderBy(
        QgsFeatureRequest.OrderBy([QgsFeatureRequest.OrderByClause("limit_min", False)])
    )
    renderer.setOrderByEnabled(True)
    layer.setRenderer(renderer)
    save(layer, "service_areas.qml")

    # uncovered buildings by residents: POPULATION_COLORS; classes refitted on load
    layer = QgsVectorLayer("Polygon?field=population:double", "b", "memory")
    ranges = [
        QgsRendererRange(i * 10, (i + 1) * 10, fill(color, 0.85, "#7a1c1c", 0.8, 0.5 * px), "")
        for i, color in enumerate(c["POPULATION_COLORS"])
    ]
    layer.setRenderer(QgsGraduatedSymbolRenderer("population", ranges))
    save(layer, "uncovered_buildings.qml")

    # districts by the share covered now: DISTRICT_COLORS, 0-20 ... 80-100 %
    layer = QgsVectorLayer("MultiPolygon?field=share_covered:double", "d", "memory")
    ranges = []
    for i, color in enumerate(c["DISTRICT_COLORS"]):
        symbol = fill(color, 0.25, "#333333", 0.8, 2 * px)
        sl = symbol.symbolLayer(0)
        unreliable = '"reliable" IS NOT NULL AND NOT "reliable"'  # a boolean, when there
        sl.setDataDefinedProperty(
            QgsSymbolLayer.PropertyStrokeColor,
            QgsProperty.fromExpression(f"CASE WHEN {unreliable} THEN '#b71c1c' ELSE '#333333' END"),
        )
        sl.setDataDefinedProperty(
            QgsSymbolLayer.PropertyStrokeStyle,
            QgsProperty.fromExpression(f"CASE WHEN {unreliable} THEN 'dash' ELSE 'solid' END"),
        )
        upper = (i + 1) / 5 - (1e-9 if i < 4 else 0.0)
        ranges.append(QgsRendererRange(i / 5, upper, symbol, f"{20 * i}–{20 * (i + 1)} %"))
    layer.setRenderer(QgsGraduatedSymbolRenderer("share_covered", ranges))
    save(layer, "districts.qml")

    # proposed sites: SITE_COLOR circles labelled by rank
    layer = QgsVectorLayer("Point?field=rank:integer", "p", "memory")
    layer.setRenderer(
        QgsSingleSymbolRenderer(marker("circle", c["SITE_COLOR"], "#ffffff", 24 * px, px))
    )
    labels(layer, '"rank"', "#ffffff")
    save(layer, "proposed_sites.qml")

    # proposals: PROPOSAL_COLOR squares labelled P1, P2, ... in the list's order
    layer = QgsVectorLayer("Point?field=name:string", "q", "memory")
    layer.setRenderer(
        QgsSingleSymbolRenderer(marker("square", c["PROPOSAL_COLOR"], "#ffffff", 24 * px, px))
    )
    labels(layer, "'P' || to_string($id)", "#ffffff")
    save(layer, "proposals.qml")

    # national units by the share covered with the plan: SHARE_COLORS, classes refitted on load
    layer = QgsVectorLayer("MultiPolygon?field=share_after:double", "u", "memory")
    ranges = [
        QgsRendererRange(i / 5, (i + 1) / 5, fill(color, 0.85, "#444444", 1.0, px), "")
        for i, color in enumerate(c["SHARE_COLORS"])
    ]
    renderer = QgsGraduatedSymbolRenderer("share_after", ranges)
    renderer.setSourceSymbol(fill(c["NO_SHARE_COLOR"], 0.85, "#444444", 1.0, px))
    layer.setRenderer(renderer)
    labels(
        layer, 'CASE WHEN "new_stations" > 0 THEN \'+\' || to_string("new_stations") END', "#222222"
    )
    save(layer, "national_units.qml")
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
