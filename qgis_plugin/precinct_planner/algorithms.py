"""The Processing algorithms: one per planner command, each running the ``planner`` command.

Each algorithm exports its input layers to temporary GeoPackages (in the layer's own CRS,
selected features only when asked), runs the planner on them (:mod:`.runner`), streams its
steps into the progress bar and the log, and returns the planner's files: the layers of
``plan.gpkg`` (or ``national.gpkg``), loaded into the project with the shipped styles, the memo,
``map.html`` and ``summary.json``, and the headline numbers.
"""

import json
import shlex
import shutil
import sqlite3
import tempfile
from pathlib import Path

from qgis.core import (
    QgsFeature,
    QgsFeatureSink,
    QgsFields,
    QgsGraduatedSymbolRenderer,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputFile,
    QgsProcessingOutputFolder,
    QgsProcessingOutputHtml,
    QgsProcessingOutputNumber,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingUtils,
    QgsRendererRange,
    QgsVectorFileWriter,
)

from . import runner, styling

STYLES = Path(__file__).with_name("styles")
OSM_FILTER = (
    "OpenStreetMap files (*.osm.pbf *.pbf *.osm *.osm.gz *.gz *.osm.bz2 *.bz2);;All files (*.*)"
)

#: Processing outputs made from GeoPackage layers: output name, layer, subset, style, title.
CITY_LAYERS = (
    ("STATIONS", "stations", None, "stations.qml", "Police stations"),
    ("SERVICE_AREAS", "service_areas", None, "service_areas.qml", "Service areas (5/10/15 min)"),
    ("UNCOVERED_BUILDINGS", "buildings", '"covered" = 0', "uncovered_buildings.qml",
     "Uncovered residential buildings"),
    ("DISTRICTS", "districts", None, "districts.qml", "Districts: share covered"),
)  # fmt: skip
PLAN_LAYERS = (
    ("STATIONS", "stations", None, "stations.qml", "Police stations"),
    ("SERVICE_AREAS", "service_areas", None, "service_areas.qml", "Service areas (5/10/15 min)"),
    ("UNCOVERED_BUILDINGS", "buildings", '"covered_after" = 0', "uncovered_buildings.qml",
     "Residential buildings uncovered after the plan"),
    ("PROPOSED_SITES", "proposed_sites", None, "proposed_sites.qml", "Proposed sites, by rank"),
    ("DISTRICTS", "districts", None, "districts.qml", "Districts: share covered"),
)  # fmt: skip
EVALUATE_LAYERS = (
    *CITY_LAYERS,
    ("PROPOSALS", "proposals", None, "proposals.qml", "Proposed sites, scored"),
    ("BEST_SITES", "best_sites_same_size", None, "proposed_sites.qml",
     "Best sites of the same number"),
)  # fmt: skip
NATIONAL_LAYERS = (
    ("UNITS", "units", None, "national_units.qml", "Units: share covered with the plan"),
    ("SITES", "sites", None, "proposed_sites.qml", "New stations, by rank in their unit"),
)
#: Post-processors must outlive the algorithm object (QGIS keeps only a pointer).
_KEEP_ALIVE = []


def gpkg_layers(path):
    """Layer names of a GeoPackage, read with sqlite3 (no GDAL call needed)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return [r[0] for r in db.execute("SELECT table_name FROM gpkg_contents")]


class StyleLayer(QgsProcessingLayerPostProcessorInterface):
    """Applies a shipped .qml to a loaded layer; the data-fitted classes of map.html (residents
    per uncovered building, national shares) are recomputed from the layer's values."""

    def __init__(self, qml):
        super().__init__()
        self.qml = str(STYLES / qml)

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        if layer is None or not layer.isValid():
            return
        _message, ok = layer.loadNamedStyle(self.qml)
        if not ok:
            feedback.reportError(f"style {self.qml} could not be applied: {_message}")
            return
        restyle(layer)
        layer.triggerRepaint()


def restyle(layer):
    """Refit a graduated renderer's classes to the data where map.html does so."""
    renderer = layer.renderer()
    if not isinstance(renderer, QgsGraduatedSymbolRenderer):
        return
    attribute = renderer.classAttribute()
    if attribute == "population":
        classes = styling.population_classes(f[attribute] for f in layer.getFeatures())
    elif attribute == "share_after":
        classes = styling.share_classes(f[attribute] for f in layer.getFeatures())
    else:
        return
    old = renderer.ranges()
    if not classes or not old:
        return
    ranges = []
    for i, (lower, upper, label) in enumerate(classes):
        symbol = old[min(i, len(old) - 1)].symbol().clone()
        ranges.append(QgsRendererRange(lower, upper, symbol, label))
    new = QgsGraduatedSymbolRenderer(attribute, ranges)
    if renderer.sourceSymbol() is not None:
        new.setSourceSymbol(renderer.sourceSymbol().clone())
    layer.setRenderer(new)


class PlannerAlgorithm(QgsProcessingAlgorithm):
    """Shared machinery; subclasses add parameters and build the command line."""

    NAME = ""
    DISPLAY = ""
    COMMAND = ""
    LAYERS = CITY_LAYERS
    FILES = (("GEOPACKAGE", "plan.gpkg", "GeoPackage (plan.gpkg)"),
             ("MEMO", "summary.md", "Memo (summary.md)"),
             ("SUMMARY_JSON", "summary.json", "Summary (summary.json)"))  # fmt: skip
    MAP_FILE = "map.html"
    SUMMARY_FILE = "summary.json"
    STEPS = 5

    def __init__(self):
        super().__init__()
        self._to_load = []
        self._handed = []

    def createInstance(self):  # noqa: N802
        return type(self)()

    def name(self):
        return self.NAME

    def displayName(self):  # noqa: N802
        return self.DISPLAY

    def group(self):
        return "City" if self.COMMAND != "national" else "Country"

    def groupId(self):  # noqa: N802
        return "city" if self.COMMAND != "national" else "country"

    def flags(self):
        return super().flags() | QgsProcessingAlgorithm.FlagCanCancel

    # -- parameters -------------------------------------------------------------------------

    def _advanced(self, parameter):
        parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        self.addParameter(parameter)

    def add_osm(self):
        self.addParameter(
            QgsProcessingParameterFile(
                "OSM", "OpenStreetMap file (.osm.pbf, .osm, .osm.gz)", fileFilter=OSM_FILTER
            )
        )

    def add_stations(self, *, optional=True):
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "STATIONS",
                "Police stations (empty: the amenity=police of the OSM file)"
                if optional
                else "Police stations",
                [QgsProcessing.TypeVectorPoint],
                optional=optional,
            )
        )

    def add_study_area(self):
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "BOUNDARY",
                "Study area (polygons; empty: the whole OSM file)",
                [QgsProcessing.TypeVectorPolygon],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "DISTRICTS",
                "Districts (polygons, for the per-district table and layer)",
                [QgsProcessing.TypeVectorPolygon],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                "DISTRICT_NAME_FIELD",
                "District name field (empty: a field called name, район, ...)",
                parentLayerParameterName="DISTRICTS",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                "DISTRICT_POPULATION_FIELD",
                "District official population field (scales each district to it)",
                parentLayerParameterName="DISTRICTS",
                type=QgsProcessingParameterField.Numeric,
                optional=True,
            )
        )

    def add_walking(self):
        self.addParameter(
            QgsProcessingParameterNumber(
                "WALK_LIMIT",
                "Walking limit",
                QgsProcessingParameterNumber.Double,
                defaultValue=10.0,
                minValue=0.000001,
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                "WALK_UNIT", "Walking limit in", options=["minutes", "metres"], defaultValue=0
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "SPEED_KMH",
                "Walking speed (km/h)",
                QgsProcessingParameterNumber.Double,
                defaultValue=4.8,
                minValue=0.000001,
            )
        )

    def add_population(self):
        self._advanced(
            QgsProcessingParameterBoolean(
                "UNTYPED_BUILDINGS_RESIDENTIAL",
                "Count untyped buildings (building=yes) outside residential land use as homes",
                defaultValue=False,
            )
        )
        self._advanced(
            QgsProcessingParameterNumber(
                "TOTAL_POPULATION",
                "Scale the residents to this known total (official population)",
                QgsProcessingParameterNumber.Double,
                optional=True,
                minValue=0.000001,
            )
        )

    def add_output(self):
        self.addParameter(
            QgsProcessingParameterFolderDestination(
                "OUTPUT", "Output folder (replaced whole by the planner's files)"
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                "LOAD_LAYERS",
                "Open the result layers in the project, styled like map.html (untick inside "
                "a model for intermediate steps)",
                defaultValue=True,
            )
        )
        self.addOutput(QgsProcessingOutputFolder("OUTPUT", "Output folder"))
        for name, _file, title in self.FILES:
            self.addOutput(QgsProcessingOutputFile(name, title))
        self.addOutput(QgsProcessingOutputHtml("MAP", "Interactive map (map.html)"))
        for name, _layer, _subset, _style, title in self.LAYERS:
            self.addOutput(QgsProcessingOutputVectorLayer(name, title))
        for name, title in self.numbers():
            self.addOutput(QgsProcessingOutputNumber(name, title))

    def numbers(self):
        return (
            ("RESIDENTS", "Residents (estimated)"),
            ("RESIDENTS_COVERED", "Residents within the walking limit"),
            ("SHARE_COVERED", "Share of residents within the walking limit (0..1)"),
        )

    # -- running ----------------------------------------------------------------------------

    def arguments(self, parameters, context, feedback, folder):
        """The planner's arguments after the command (without --out)."""
        raise NotImplementedError

    def city_arguments(self, parameters, context, feedback, folder):
        args = ["--osm", self.parameterAsFile(parameters, "OSM", context)]
        names = self.station_field_names(parameters, context)
        self.export_point_layer(
            parameters, "STATIONS", "--stations", args, context, feedback, folder, names=names
        )
        boundary = self.export(parameters, "BOUNDARY", "boundary", context, feedback, folder)
        if boundary:
            args += ["--boundary", boundary]
        names = {}
        name_field = self.parameterAsString(parameters, "DISTRICT_NAME_FIELD", context)
        if name_field:
            names[name_field] = "name"
        districts = self.export(parameters, "DISTRICTS", "districts", context, feedback, folder,
                                names=names)  # fmt: skip
        if districts:
            args += ["--districts", districts]
            population = self.parameterAsString(parameters, "DISTRICT_POPULATION_FIELD", context)
            if population:
                args += ["--district-population-column", names.get(population, population)]
        args += self.walking_arguments(parameters, context)
        if self.parameterAsBool(parameters, "UNTYPED_BUILDINGS_RESIDENTIAL", context):
            args.append("--untyped-buildings-residential")
        total = self.optional_number(parameters, "TOTAL_POPULATION", context)
        if total is not None:
            args += ["--total-population", _num(total)]
        return args

    def station_field_names(self, parameters, context):
        return {}

    def walking_arguments(self, parameters, context):
        limit = self.parameterAsDouble(parameters, "WALK_LIMIT", context)
        unit = self.parameterAsEnum(parameters, "WALK_UNIT", context)
        speed = self.parameterAsDouble(parameters, "SPEED_KMH", context)
        return [
            "--walk-m" if unit == 1 else "--walk-min",
            _num(limit),
            "--speed-kmh",
            _num(speed),
        ]

    def optional_number(self, parameters, name, context):
        value = parameters.get(name)
        if value is None or value == "":
            return None
        return self.parameterAsDouble(parameters, name, context)

    def export_point_layer(self, parameters, name, flag, args, context, feedback, folder, *,
                           names=None):  # fmt: skip
        path = self.export(parameters, name, name.lower(), context, feedback, folder, names=names)
        if path:
            args += [flag, path]

    def export(self, parameters, name, stem, context, feedback, folder, *, names=None):
        """Write the layer of parameter ``name`` to ``folder/stem.gpkg`` (its own CRS, the
        selected features only when the user asked), with the fields of ``names`` renamed
        (a field already named like a new name gets ``_original`` appended). None when the
        parameter is empty."""
        if parameters.get(name) in (None, ""):
            return None
        source = self.parameterAsSource(parameters, name, context)
        if source is None:
            return None
        names = dict(names or {})
        keep = []
        fields = QgsFields()
        taken = {n.lower() for n in names.values()}
        for i, f in enumerate(source.fields()):
            if f.name().lower() == "fid":  # the GeoPackage's own key
                continue
            field = type(f)(f)
            new = names.get(f.name())
            if new is None and f.name().lower() in taken:
                new = f"{f.name()}_original"
            if new is not None:
                field.setName(new)
            fields.append(field)
            keep.append(i)
        path = str(Path(folder) / f"{stem}.gpkg")
        options = QgsVectorFileWriter.SaveVectorOptions()
        options.driverName = "GPKG"
        options.layerName = stem
        options.fileEncoding = "UTF-8"
        writer = QgsVectorFileWriter.create(
            path, fields, source.wkbType(), source.sourceCrs(), context.transformContext(), options
        )
        if writer.hasError() != QgsVectorFileWriter.NoError:
            raise QgsProcessingException(
                f"could not write the {stem} layer to {path}: {writer.errorMessage()}"
            )
        n = 0
        for feature in source.getFeatures():
            if feedback.isCanceled():
                break
            out = QgsFeature(fields)
            out.setGeometry(feature.geometry())
            attributes = feature.attributes()
            out.setAttributes([attributes[i] for i in keep])
            writer.addFeature(out, QgsFeatureSink.FastInsert)
            n += 1
        del writer
        crs = source.sourceCrs().authid() or "its own CRS"
        feedback.pushInfo(
            f"{name.lower()}: {n} features of {source.sourceName()} handed over as {path} ({crs})"
        )
        self._handed.append((f"{stem}.gpkg", f"'{source.sourceName()}' ({crs})"))
        return path

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from .provider import planner_command_setting

        try:
            exe, version = runner.find_planner(planner_command_setting())
        except runner.PlannerNotFoundError as exc:
            raise QgsProcessingException(str(exc)) from None
        feedback.pushInfo(f"using {exe} ({version})")
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        if not out:
            raise QgsProcessingException("no output folder given")
        folder = tempfile.mkdtemp(prefix="precinct_planner_", dir=QgsProcessingUtils.tempFolder())
        try:
            args = [exe, self.COMMAND, *self.arguments(parameters, context, feedback, folder)]
            args += ["--out", out]
            if feedback.isCanceled():
                return {}
            feedback.pushCommandInfo(" ".join(shlex.quote(a) for a in args))
            steps = self.expected_steps(parameters)
            state = {"done": 0, "bar": 0.0}

            def on_event(event):
                kind = event[0]
                if kind == "start":
                    feedback.setProgressText(str(event[1]))
                elif kind == "done":
                    feedback.pushConsoleInfo(str(event[2]))
                    state["done"] += 1
                    state["bar"] = 0.0
                elif kind == "bar":  # national: units done of all; a full bar is a step
                    _phase, done, total = event[1:]
                    state["bar"] = done / total if total else 0.0
                    if total and done == total:
                        state["done"] += 1
                        state["bar"] = 0.0
                elif kind == "line":
                    feedback.pushConsoleInfo(str(event[1]))
                feedback.setProgress(min(99.0, 100.0 * (state["done"] + state["bar"]) / steps))

            try:
                finished = runner.run_planner(
                    args, on_event=on_event, is_canceled=feedback.isCanceled
                )
            except runner.PlannerFailedError as exc:
                if exc.canceled:
                    raise QgsProcessingException(f"Canceled; the planner stopped: {exc}") from None
                text = str(exc)
                handed = [f"{file} is the layer {layer}" for file, layer in self._handed
                          if file in text]  # fmt: skip
                if handed:
                    text += "\n(" + "; ".join(handed) + ", handed to the planner as a GeoPackage)"
                raise QgsProcessingException(text) from None
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        feedback.setProgress(100)
        feedback.pushInfo(finished.stdout.strip())
        results = self.results(out, context)
        if not self.parameterAsBool(parameters, "LOAD_LAYERS", context):
            self._to_load = []
        return results

    def expected_steps(self, parameters):
        return self.STEPS

    def results(self, out, context):
        out_path = Path(out)
        results = {"OUTPUT": str(out_path)}
        for name, file, _title in self.FILES:
            results[name] = str(out_path / file)
        results["MAP"] = str(out_path / self.MAP_FILE)
        gpkg = out_path / self.FILES[0][1]
        present = set(gpkg_layers(gpkg))
        self._to_load = []
        for name, layer, subset, style, title in self.LAYERS:
            if layer not in present:
                continue
            uri = f"{gpkg}|layername={layer}"
            if subset:
                uri += f"|subset={subset}"
            results[name] = uri
            self._to_load.append((uri, title, name, style))
        results.update(self.summary_numbers(out_path / self.SUMMARY_FILE))
        return results

    def summary_numbers(self, path):
        summary = json.loads(Path(path).read_text(encoding="utf-8"))
        cov = summary.get("coverage", {})
        return {
            "RESIDENTS": cov.get("residents_total"),
            "RESIDENTS_COVERED": cov.get("residents_covered"),
            "SHARE_COVERED": cov.get("share_covered"),
        }

    def postProcessAlgorithm(self, context, feedback):  # noqa: N802
        """Load the layers into the project with their styles (runs in the main thread)."""
        project = context.project()
        if project is None:
            return {}
        for uri, title, name, style in self._to_load:
            details = QgsProcessingContext.LayerDetails(title, project, name)
            processor = StyleLayer(style)
            _KEEP_ALIVE.append(processor)
            details.setPostProcessor(processor)
            context.addLayerToLoadOnCompletion(uri, details)
        return {}

    def shortHelpString(self):  # noqa: N802
        return self.HELP + (
            "\n\nRuns the installed 'planner' command (found on the PATH, or set in Processing "
            "> Options > Providers > Precinct planner); input layers are handed to it as "
            "temporary GeoPackages in their own CRS. Cancel stops the planner; the output "
            "folder then stays as it was. The folder is replaced whole by the new files, so "
            "choose a new or empty folder, or one holding only an earlier run's files."
        )

    HELP = ""


def _num(value):
    return f"{value:g}" if float(value) != int(value) else str(int(value))


class CoverageAlgorithm(PlannerAlgorithm):
    NAME = "coverage"
    DISPLAY = "Walking coverage of police stations"
    COMMAND = "coverage"
    HELP = (
        "Who lives within a walk of a police station (planner coverage): walking distance "
        "door to door along the streets of the OSM file, 5/10/15-minute service areas, the "
        "residential buildings beyond the limit with their estimated residents, and, with "
        "districts, the share covered in each."
    )

    def initAlgorithm(self, config=None):  # noqa: N802
        self.add_osm()
        self.add_stations()
        self.add_study_area()
        self.add_walking()
        self.add_population()
        self.add_output()

    def arguments(self, parameters, context, feedback, folder):
        return self.city_arguments(parameters, context, feedback, folder)


class PlanAlgorithm(PlannerAlgorithm):
    NAME = "plan"
    DISPLAY = "Plan new stations"
    COMMAND = "plan"
    LAYERS = PLAN_LAYERS
    HELP = (
        "Sites for new stations that bring the most residents within walking distance (planner "
        "plan): give the number of sites, or the share of residents to reach with the fewest "
        "sites. Exact (HiGHS) with the proven optimality gap in the log and the memo."
    )

    def initAlgorithm(self, config=None):  # noqa: N802
        self.add_osm()
        self.add_stations()
        self.add_study_area()
        self.add_walking()
        self.addParameter(
            QgsProcessingParameterNumber(
                "N_SITES", "Number of new sites", QgsProcessingParameterNumber.Integer,
                optional=True, minValue=0,
            )
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterNumber(
                "TARGET_SHARE",
                "Or: share of residents to reach with the fewest sites (0..1, e.g. 0.9)",
                QgsProcessingParameterNumber.Double,
                optional=True,
                minValue=0.0,
                maxValue=1.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "CANDIDATES",
                "Candidate sites besides the generated ones (points)",
                [QgsProcessing.TypeVectorPoint],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "CAPACITY_INSPECTORS",
                "Capacity: inspectors per station (with the number of sites)",
                QgsProcessingParameterNumber.Double,
                optional=True,
                minValue=0.000001,
            )
        )
        self._advanced(
            QgsProcessingParameterNumber(
                "SPACING_M", "Spacing of generated sites along streets (m)",
                QgsProcessingParameterNumber.Double, defaultValue=100.0, minValue=0.000001,
            )
        )  # fmt: skip
        self._advanced(
            QgsProcessingParameterBoolean(
                "BUILDING_SITES", "Also consider residential buildings as sites", defaultValue=False
            )
        )
        self._advanced(
            QgsProcessingParameterEnum(
                "METHOD", "Method", options=["exact", "greedy"], defaultValue=0
            )
        )
        self._advanced(
            QgsProcessingParameterNumber(
                "TIME_LIMIT_S", "Time limit of each exact solve (s)",
                QgsProcessingParameterNumber.Double, defaultValue=60.0, minValue=0.000001,
            )
        )  # fmt: skip
        self.add_population()
        self.add_output()

    def numbers(self):
        return (
            *super().numbers(),
            ("RESIDENTS_COVERED_AFTER", "Residents within the walking limit with the new sites"),
            ("SHARE_COVERED_AFTER", "Share within the walking limit with the new sites (0..1)"),
        )

    def summary_numbers(self, path):
        out = super().summary_numbers(path)
        plan = json.loads(Path(path).read_text(encoding="utf-8")).get("plan", {})
        out["RESIDENTS_COVERED_AFTER"] = plan.get("residents_covered_after")
        out["SHARE_COVERED_AFTER"] = plan.get("share_covered_after")
        return out

    def checkParameterValues(self, parameters, context):  # noqa: N802
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        given = [p for p in ("N_SITES", "TARGET_SHARE") if parameters.get(p) not in (None, "")]
        if len(given) != 1:
            if given:
                return False, "Give the number of new sites or the share to reach, not both."
            return False, (
                "Give the number of new sites, or the share of residents to reach with the "
                "fewest sites (e.g. 0.9)."
            )
        return True, ""

    def expected_steps(self, parameters):
        extra = parameters.get("CANDIDATES") not in (None, "")
        capacity = parameters.get("CAPACITY_INSPECTORS") not in (None, "")
        return 6 + int(extra) + int(capacity)

    def arguments(self, parameters, context, feedback, folder):
        args = self.city_arguments(parameters, context, feedback, folder)
        n_sites = parameters.get("N_SITES")
        if n_sites not in (None, ""):
            args += ["--n-sites", str(self.parameterAsInt(parameters, "N_SITES", context))]
        share = self.optional_number(parameters, "TARGET_SHARE", context)
        if share is not None:
            args += ["--target-share", _num(share)]
        self.export_point_layer(parameters, "CANDIDATES", "--candidates", args, context,
                                feedback, folder)  # fmt: skip
        capacity = self.optional_number(parameters, "CAPACITY_INSPECTORS", context)
        if capacity is not None:
            args += ["--capacity-inspectors", _num(capacity)]
        args += ["--spacing-m", _num(self.parameterAsDouble(parameters, "SPACING_M", context))]
        if self.parameterAsBool(parameters, "BUILDING_SITES", context):
            args.append("--building-sites")
        method = ("exact", "greedy")[self.parameterAsEnum(parameters, "METHOD", context)]
        args += ["--method", method]
        args += [
            "--time-limit-s",
            _num(self.parameterAsDouble(parameters, "TIME_LIMIT_S", context)),
        ]
        return args


class EvaluateAlgorithm(PlannerAlgorithm):
    NAME = "evaluate"
    DISPLAY = "Evaluate proposed sites"
    COMMAND = "evaluate"
    LAYERS = EVALUATE_LAYERS
    STEPS = 7
    HELP = (
        "Score a list of proposed sites (planner evaluate): the residents each brings within "
        "walking distance, alone and within the list, and how far the list is from the best "
        "sites of the same number."
    )

    def initAlgorithm(self, config=None):  # noqa: N802
        self.add_osm()
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "PROPOSALS", "Proposed sites (points)", [QgsProcessing.TypeVectorPoint]
            )
        )
        self.add_stations()
        self.add_study_area()
        self.add_walking()
        self.add_population()
        self.add_output()

    def arguments(self, parameters, context, feedback, folder):
        args = self.city_arguments(parameters, context, feedback, folder)
        self.export_point_layer(parameters, "PROPOSALS", "--proposals", args, context, feedback,
                                folder)  # fmt: skip
        return args


class StationReviewAlgorithm(PlannerAlgorithm):
    NAME = "station_review"
    DISPLAY = "Station review (status, inspectors, repairs)"
    COMMAND = "coverage"
    HELP = (
        "The stations you have (planner coverage with a stations layer): residents each "
        "serves and those only it serves (who lose walking access while it is closed), "
        "repair priorities and a repair schedule, whether a station under repair should move, "
        "inspectors needed at a staffing norm, and the planned stations in opening order. "
        "Choose the layer's status field (open, planned, repair, closed, or their Russian and "
        "Kazakh spellings) and inspectors field."
    )

    def initAlgorithm(self, config=None):  # noqa: N802
        self.add_osm()
        self.add_stations(optional=False)
        for name, title, kind in (
            ("NAME_FIELD", "Station name field", QgsProcessingParameterField.Any),
            ("STATUS_FIELD", "Status field (open, planned, repair, closed)",
             QgsProcessingParameterField.Any),
            ("INSPECTORS_FIELD", "Inspectors field (number now at the station)",
             QgsProcessingParameterField.Any),
        ):  # fmt: skip
            self.addParameter(
                QgsProcessingParameterField(
                    name, title, parentLayerParameterName="STATIONS", type=kind, optional=True
                )
            )
        self.addParameter(
            QgsProcessingParameterNumber(
                "RESIDENTS_PER_INSPECTOR", "Residents per inspector (staffing norm)",
                QgsProcessingParameterNumber.Double, defaultValue=3000.0, minValue=0.000001,
            )
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterNumber(
                "REPAIR_BATCH", "Stations that may be closed for repair at once (schedule)",
                QgsProcessingParameterNumber.Integer, optional=True, minValue=1,
            )
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterNumber(
                "RELOCATION_RADIUS_M", "How far on foot a station under repair may move (m)",
                QgsProcessingParameterNumber.Double, defaultValue=1000.0, minValue=0.000001,
            )
        )  # fmt: skip
        self.add_study_area()
        self.add_walking()
        self.add_population()
        self.add_output()

    def station_field_names(self, parameters, context):
        names = {}
        for param, canonical in (("NAME_FIELD", "name"), ("STATUS_FIELD", "status"),
                                 ("INSPECTORS_FIELD", "inspectors")):  # fmt: skip
            field = self.parameterAsString(parameters, param, context)
            if field:
                names[field] = canonical
        return names

    def arguments(self, parameters, context, feedback, folder):
        args = self.city_arguments(parameters, context, feedback, folder)
        norm = self.parameterAsDouble(parameters, "RESIDENTS_PER_INSPECTOR", context)
        args += ["--residents-per-inspector", _num(norm)]
        if parameters.get("REPAIR_BATCH") not in (None, ""):
            args += [
                "--repair-batch",
                str(self.parameterAsInt(parameters, "REPAIR_BATCH", context)),
            ]
        radius = self.parameterAsDouble(parameters, "RELOCATION_RADIUS_M", context)
        args += ["--relocation-radius-m", _num(radius)]
        return args


class NationalAlgorithm(PlannerAlgorithm):
    NAME = "national"
    DISPLAY = "National allocation of new stations"
    COMMAND = "national"
    LAYERS = NATIONAL_LAYERS
    FILES = (("GEOPACKAGE", "national.gpkg", "GeoPackage (national.gpkg)"),
             ("MEMO", "national.md", "Memo (national.md)"),
             ("SUMMARY_JSON", "national.json", "Summary (national.json)"))  # fmt: skip
    MAP_FILE = "national.html"
    SUMMARY_FILE = "national.json"
    STEPS = 5  # reading, units (bar), allocating, writing the units (bar), writing
    HELP = (
        "How many new stations each city or council gets, and where (planner national): the "
        "country's OSM file is read once, every unit's best plan of every size is computed "
        "with a proven bound, and the budget is allocated exactly. Units come from a polygon "
        "layer (with a name field; optional population, min_new, max_new, quota fields) or "
        "from the OSM file's own boundaries of an admin level."
    )

    def initAlgorithm(self, config=None):  # noqa: N802
        self.add_osm()
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "UNITS", "Units (polygons; empty: the OSM file's boundaries of the admin level)",
                [QgsProcessing.TypeVectorPolygon], optional=True,
            )
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterField(
                "UNIT_NAME_FIELD", "Unit name field", parentLayerParameterName="UNITS",
                optional=True,
            )
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterNumber(
                "ADMIN_LEVEL", "Or: admin_level of the OSM boundaries to use as units (e.g. 8)",
                QgsProcessingParameterNumber.Integer, optional=True, minValue=1, maxValue=12,
            )
        )  # fmt: skip
        self.add_stations()
        self.addParameter(
            QgsProcessingParameterNumber(
                "BUDGET", "New stations to allocate (budget)",
                QgsProcessingParameterNumber.Integer, defaultValue=279, minValue=0,
            )
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterNumber(
                "TARGET_SHARE", "Or: the fewest stations bringing the nation to this share (0..1)",
                QgsProcessingParameterNumber.Double, optional=True, minValue=0.0, maxValue=1.0,
            )
        )  # fmt: skip
        self._advanced(
            QgsProcessingParameterNumber(
                "WORKERS", "Local worker processes (empty: one per core)",
                QgsProcessingParameterNumber.Integer, optional=True, minValue=1,
            )
        )  # fmt: skip
        self.add_walking()
        self._advanced(
            QgsProcessingParameterBoolean(
                "UNTYPED_BUILDINGS_RESIDENTIAL",
                "Count untyped buildings (building=yes) outside residential land use as homes",
                defaultValue=False,
            )
        )
        self.add_output()

    def numbers(self):
        return (
            ("NEW_STATIONS_USED", "New stations allocated"),
            ("SHARE_BEFORE", "Share of the nation's residents within the walking limit now"),
            ("SHARE_AFTER", "Share within the walking limit with the new stations (0..1)"),
            ("GAP", "Optimality gap of the allocation (0..1)"),
        )

    def summary_numbers(self, path):
        summary = json.loads(Path(path).read_text(encoding="utf-8"))
        return {
            "NEW_STATIONS_USED": summary.get("new_stations_used"),
            "SHARE_BEFORE": summary.get("share_before"),
            "SHARE_AFTER": summary.get("share_after"),
            "GAP": summary.get("gap"),
        }

    def arguments(self, parameters, context, feedback, folder):
        args = ["--osm", self.parameterAsFile(parameters, "OSM", context)]
        units = self.export(parameters, "UNITS", "units", context, feedback, folder)
        if units:
            args += ["--units", units]
            name = self.parameterAsString(parameters, "UNIT_NAME_FIELD", context)
            if name:
                args += ["--name-column", name]
        if parameters.get("ADMIN_LEVEL") not in (None, ""):
            args += ["--admin-level", str(self.parameterAsInt(parameters, "ADMIN_LEVEL", context))]
        self.export_point_layer(parameters, "STATIONS", "--stations", args, context, feedback,
                                folder)  # fmt: skip
        args += ["--new-stations", str(self.parameterAsInt(parameters, "BUDGET", context))]
        share = self.optional_number(parameters, "TARGET_SHARE", context)
        if share is not None:
            args += ["--target-share", _num(share)]
        if parameters.get("WORKERS") not in (None, ""):
            args += ["--workers", str(self.parameterAsInt(parameters, "WORKERS", context))]
        args += self.walking_arguments(parameters, context)
        if self.parameterAsBool(parameters, "UNTYPED_BUILDINGS_RESIDENTIAL", context):
            args.append("--untyped-buildings-residential")
        return args


ALGORITHMS = (
    CoverageAlgorithm,
    PlanAlgorithm,
    EvaluateAlgorithm,
    StationReviewAlgorithm,
    NationalAlgorithm,
)
