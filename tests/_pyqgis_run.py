"""Run a Precinct planner algorithm in PyQGIS, as the QGIS desktop does (run by QGIS's Python).

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/_pyqgis_run.py MODE PLUGINS OSM OUT [STATIONS]

Used by ``tests/test_qgis_plugin.py``; prints one JSON object on its last line.

- ``load``: run "Walking coverage", then load the results the way the Processing dialog does
  (``handleAlgorithmResults``: the layers with their post-processors, i.e. the shipped
  styles) and describe the project's layers, with the colours each feature is drawn in; a
  fifth argument gives a districts file.
- ``cancel``: run it with a feedback that cancels as soon as the planner starts its first step
  (checking the output folder, where it takes the lock and makes its staging folder; the
  stop lands there or in the next step, reading the OSM file), and report the error and how
  long the stop took. Cancelling at the first step leaves the whole run as margin on a busy
  machine.
- ``selected``: run it on the stations file given as a fifth argument, loaded as a layer with
  only its first feature selected and "selected features only" ticked, and "open the result
  layers" unticked.
- ``setting``: run it with the provider setting "planner command" set to the fifth argument.
"""

import json
import os
import sys
import time
from pathlib import Path

from qgis.core import (
    QgsApplication,
    QgsExpressionContextUtils,
    QgsGraduatedSymbolRenderer,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingFeedback,
    QgsProject,
    QgsRenderContext,
    QgsVectorLayer,
)


def main():
    mode, plugins, osm, out = sys.argv[1:5]
    app = QgsApplication([], False)
    app.initQgis()
    sys.path.insert(0, "/usr/share/qgis/python/plugins")
    sys.path.insert(0, plugins)
    from processing.core.Processing import Processing

    Processing.initialize()
    import precinct_planner

    plugin = precinct_planner.classFactory(None)
    plugin.initProcessing()
    registry = QgsApplication.processingRegistry()
    alg = registry.createAlgorithmById("precinct_planner:coverage")
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    result = {"mode": mode}

    class Feedback(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.texts = []
            self.canceled_at = None

        def reportError(self, error, fatalError=False):  # noqa: N802
            result.setdefault("errors", []).append(error)

        def setProgressText(self, text):  # noqa: N802
            self.texts.append(text)
            if mode == "cancel" and text.startswith("checking") and self.canceled_at is None:
                self.canceled_at = time.monotonic()
                self.cancel()

    feedback = Feedback()
    parameters = {"OSM": osm, "OUTPUT": out}
    if mode == "load" and len(sys.argv) > 5:  # districts, to see their layer styled too
        parameters["DISTRICTS"] = sys.argv[5]
    if mode == "setting":  # the planner command set in Processing > Options > Providers
        from processing.core.ProcessingConfig import ProcessingConfig

        ProcessingConfig.setSettingValue("PRECINCT_PLANNER_COMMAND", sys.argv[5])
    if mode == "selected":  # a stations layer of which only the first feature is selected
        layer = QgsVectorLayer(sys.argv[5], "my stations", "ogr")
        QgsProject.instance().addMapLayer(layer)
        first = min(f.id() for f in layer.getFeatures())
        layer.selectByIds([first])
        parameters["STATIONS"] = QgsProcessingFeatureSourceDefinition(layer.id(), True)
        parameters["LOAD_LAYERS"] = False
    ok = False
    try:
        outputs, ok = alg.run(parameters, context, feedback)
    except QgsProcessingException as exc:
        result["error"] = str(exc)
        outputs = {}
    if feedback.canceled_at is not None:
        result["stop_s"] = time.monotonic() - feedback.canceled_at
    result["ok"] = ok
    result["steps"] = feedback.texts
    result["outputs"] = {k: v for k, v in outputs.items() if isinstance(v, (str, int, float))}
    if ok:
        from processing.gui.Postprocessing import handleAlgorithmResults

        handleAlgorithmResults(alg, context, feedback)
        layers = {}
        for layer in QgsProject.instance().mapLayers().values():
            renderer = layer.renderer()
            info = {
                "renderer": renderer.type(),
                "features": layer.featureCount(),
                "source": layer.source(),
                "labels": bool(layer.labelsEnabled()),
            }
            if isinstance(renderer, QgsGraduatedSymbolRenderer):
                info["attribute"] = renderer.classAttribute()
                info["ranges"] = [
                    [r.lowerValue(), r.upperValue(), r.symbol().color().name()]
                    for r in renderer.ranges()
                ]
            info["symbols"] = _symbols(layer)
            layers[layer.name()] = info
        result["layers"] = layers
    if mode == "setting":
        ProcessingConfig.setSettingValue("PRECINCT_PLANNER_COMMAND", "")
    result["planner_left"] = [
        p.name for p in Path("/proc").iterdir() if p.name.isdigit() and _runs_into(p.name, out)
    ]
    print(json.dumps(result))
    QgsProject.instance().clear()
    plugin.unload()
    return 0


#: The attribute shown beside each feature's colours, by layer.
_KEYS = ("population", "limit_min", "share_covered", "name")


def _symbols(layer):
    """Per feature: its key attribute and the colours of the symbols its renderer draws."""
    renderer = layer.renderer().clone()
    context = QgsRenderContext()
    context.expressionContext().appendScopes(
        QgsExpressionContextUtils.globalProjectLayerScopes(layer)
    )
    renderer.startRender(context, layer.fields())
    key = next((k for k in _KEYS if layer.fields().indexOf(k) >= 0), None)
    out = []
    for feature in layer.getFeatures():
        context.expressionContext().setFeature(feature)
        colors = [s.color().name() for s in renderer.symbolsForFeature(feature, context)]
        value = feature[key] if key else None
        out.append([value if isinstance(value, (str, int, float)) else None, colors])
    renderer.stopRender(context)
    return out


def _runs_into(pid, out):
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if int(pid) == os.getpid():
        return False
    return out.encode() in args and (
        b"planner.cli" in args or any(a.endswith(b"/planner") for a in args)
    )


if __name__ == "__main__":
    sys.exit(main())
