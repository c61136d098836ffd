"""The QGIS plugin (qgis_plugin/precinct_planner/) and its zip (planner/qgis_plugin.py).

Two kinds of tests:

- plain ones (no QGIS): the zip builder, ``planner --version``, the plugin's runner (finding
  the planner, reading its progress lines and messages) and its styles against map.html's
  colours and classes;
- real headless QGIS (Debian's 3.22 here): ``qgis_process.bin`` lists and runs the algorithms,
  and a PyQGIS script run by QGIS's own Python (``/usr/bin/python3``) loads the styled layers
  and cancels a run. Without QGIS they are skipped with the reason; under ``CI=true`` they fail
  instead (``.ci/install-qgis.sh`` installs QGIS there).

The QGIS runs call the planner of this checkout through a ``planner`` script put first on PATH
(the plugin finds the planner on PATH).
"""

from __future__ import annotations

import importlib
import json
import math
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from planner import maps
from planner.maps import city as city_map
from planner.maps import national as national_map
from planner.qgis_plugin import build_zip
from planner.qgis_plugin import main as zip_main

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "qgis_plugin" / "precinct_planner"
BISHKEK = ROOT / "data" / "bishkek_2025_center.osm.gz"
QGIS_PROCESS = shutil.which("qgis_process.bin") or "/usr/bin/qgis_process.bin"
QGIS_PYTHON = "/usr/bin/python3"

sys.path.insert(0, str(PLUGIN.parent))
runner = importlib.import_module("precinct_planner.runner")
styling = importlib.import_module("precinct_planner.styling")


# ------------------------------------------------------------------------------- the zip builder


def test_zip_holds_the_plugin_folder_and_nothing_else(tmp_path: Path) -> None:
    source = tmp_path / "src" / "precinct_planner"
    shutil.copytree(PLUGIN, source, ignore=shutil.ignore_patterns("__pycache__"))
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "runner.cpython-311.pyc").write_bytes(b"\0")
    (source / "styles" / "old.qml.swp").write_text("x")
    path = build_zip(tmp_path / "dist", source=source)
    assert path == tmp_path / "dist" / "precinct_planner-0.1.0.zip"
    with zipfile.ZipFile(path) as zf:
        names = sorted(zf.namelist())
        metadata = zf.read("precinct_planner/metadata.txt").decode()
    expected = sorted(
        f"precinct_planner/{p.relative_to(PLUGIN).as_posix()}"
        for p in PLUGIN.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert names == expected
    for required in ("__init__.py", "metadata.txt", "provider.py", "algorithms.py", "runner.py",
                     "styles/stations.qml", "styles/service_areas.qml",
                     "styles/uncovered_buildings.qml", "styles/proposed_sites.qml",
                     "styles/districts.qml"):  # fmt: skip
        assert f"precinct_planner/{required}" in names
    assert "qgisMinimumVersion=3.22" in metadata.splitlines()
    assert "hasProcessingProvider=yes" in metadata.splitlines()
    assert not list((tmp_path / "dist").glob(".*partial"))
    # the same source gives the same bytes
    again = build_zip(tmp_path / "dist2", source=source)
    assert again.read_bytes() == path.read_bytes()


def test_zip_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert zip_main(["--zip", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "precinct_planner-0.1.0.zip")
    assert zip_main(["--zip", str(tmp_path), "--source", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not the QGIS plugin's folder (no metadata.txt, __init__.py)" in err


def test_planner_version_is_what_the_plugin_checks(capsys: pytest.CaptureFixture[str]) -> None:
    from planner.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.strip() == "planner 0.1.0"
    assert runner.parse_version(out) == (0, 1, 0)
    assert runner.parse_version(out) >= runner.MIN_VERSION


# ------------------------------------------------------------------------- the plugin's runner


def test_progress_lines_in_chunks_become_steps() -> None:
    parser = runner.StepParser()
    events = []
    for chunk in (
        "  checking the output folder out ...",
        " 0.0 s\n  reading x.osm: streets",
        ", buildings ...",
        " 10 s ... 20 s ...",
        " 21.5 s\n    note: only 3 of 9\n",
        "  units    [###...] 3/6  elapsed 0:00:01\n",
        "\nplanner: bad",
    ):
        events += parser.feed(chunk)
    events += parser.close()
    assert events == [
        ("start", "checking the output folder out"),
        ("done", "checking the output folder out", "checking the output folder out ... 0.0 s"),
        ("start", "reading x.osm: streets, buildings"),
        ("done", "reading x.osm: streets, buildings",
         "reading x.osm: streets, buildings ... 10 s ... 20 s ... 21.5 s"),
        ("line", "    note: only 3 of 9"),
        ("bar", "units", 3, 6),
        ("line", "  units    [###...] 3/6  elapsed 0:00:01"),
        ("line", "planner: bad"),
    ]  # fmt: skip


def test_error_message_is_the_planners_own() -> None:
    stderr = (
        "  reading x ... 0.7 s\n\nplanner: stations file s.gpkg: none of the 2 features is usable\n"
        "  - feature 1: latitude 43.25 is outside the study area\n"
    )
    assert runner.error_message(stderr, 2) == (
        "stations file s.gpkg: none of the 2 features is usable\n"
        "  - feature 1: latitude 43.25 is outside the study area\n"
        "(planner exit code 2: bad input or options)"
    )
    usage = (
        "usage: planner plan [-h]\n"
        "planner plan: error: one of the arguments --n-sites --target-share is required\n"
    )
    assert runner.error_message(usage, 2).splitlines()[0] == (
        "one of the arguments --n-sites --target-share is required"
    )


def _script(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def test_missing_or_old_planner_gets_the_install_command(tmp_path: Path) -> None:
    with pytest.raises(runner.PlannerNotFoundError) as missing:
        runner.find_planner(str(tmp_path / "nowhere" / "planner"))
    assert "is not a file" in str(missing.value)
    assert runner.INSTALL_COMMAND in str(missing.value)
    # a planner from before --version: argparse's usage error
    old = _script(
        tmp_path / "old",
        'echo "planner: error: the following arguments are required: COMMAND" >&2; exit 2',
    )
    with pytest.raises(runner.PlannerNotFoundError) as too_old:
        runner.find_planner(str(old))
    assert "too old or not the precinct planner" in str(too_old.value)
    assert runner.INSTALL_COMMAND in str(too_old.value)
    older = _script(tmp_path / "older", 'echo "planner 0.0.9"')
    with pytest.raises(runner.PlannerNotFoundError, match=r"version 0\.0\.9, too old"):
        runner.find_planner(str(older))
    good = _script(tmp_path / "good", 'echo "planner 0.1.0"')
    assert runner.find_planner(str(good)) == (str(good), "planner 0.1.0")


def test_cancel_sends_sigterm_and_waits(tmp_path: Path) -> None:
    """The runner stops the process with SIGTERM (which the planner handles like Ctrl+C) and
    waits for it to finish its clean-up, rather than killing it."""
    marker = tmp_path / "cleaned"
    child = _script(
        tmp_path / "child",
        f"trap 'sleep 0.3; echo done > {marker}; echo \"planner: terminated\" >&2; exit 143' TERM\n"
        "echo '  step one ...' >&2\nwhile true; do sleep 0.05; done",
    )
    started = []
    with pytest.raises(runner.PlannerFailedError) as failed:
        runner.run_planner([str(child)], on_event=started.append, is_canceled=lambda: bool(started))
    assert failed.value.canceled
    assert failed.value.returncode == 143
    assert str(failed.value).startswith("terminated\n(planner exit code 143: terminated)")
    assert marker.read_text() == "done\n"  # it was waited for, not killed


# ------------------------------------------------------------------ styles: map.html's look


def test_population_classes_are_those_of_the_map() -> None:
    rng = np.random.default_rng(7)
    for values in (
        np.array([1.0, 2.0, 2.0, 3.0, 4.0, 7.5, 9.0, 120.0]),
        np.array([5.0]),
        np.array([0.4, 0.4, 0.4]),
        rng.gamma(2.0, 15.0, size=451),
    ):
        uppers = [upper for _lower, upper, _label in styling.population_classes(values)]
        assert uppers == city_map._population_breaks(values)
    # by hand: quantiles of 1, 2, 2, 3, 4, 7.5, 9, 120 -> ceil 2, 3, 5, 9, 120
    classes = styling.population_classes([1, 2, 2, 3, 4, 7.5, 9, 120])
    assert classes == [(1.0, 2.0, "1–2"), (2.0, 3.0, "3"), (3.0, 5.0, "4–5"),
                       (5.0, 9.0, "6–9"), (9.0, 120.0, "10–120")]  # fmt: skip


def test_share_classes_are_those_of_the_national_map() -> None:
    for shares in ([0.62, 0.7, 0.91], [0.0, 1.0], [0.5], [0.99, 1.0], [0.031, 0.2]):
        lowers = [round(lower * 100) for lower, _upper, _label in styling.share_classes(shares)]
        breaks = national_map._share_breaks(np.array(shares))
        assert lowers == breaks[:5]
        assert round(styling.share_classes(shares)[-1][1] * 100) == breaks[5]
    assert [label for *_, label in styling.share_classes([0.62, 0.91])] == [
        "60–67 %", "67–74 %", "74–81 %", "81–88 %", "88–95 %"
    ]  # fmt: skip


def _qml_colors(name: str) -> list[str]:
    """The fill colours of a style's symbols, in order, as #rrggbb."""
    renderer = ET.parse(PLUGIN / "styles" / name).getroot().find("renderer-v2")
    assert renderer is not None, name
    out = []
    for layer in renderer.iter("layer"):
        props = {p.get("k"): p.get("v") for p in layer.iter("prop")}
        r, g, b, _a = (int(v) for v in props["color"].split(","))
        out.append(f"#{r:02x}{g:02x}{b:02x}")
    return out


def test_shipped_styles_use_the_colours_of_map_html() -> None:
    assert _qml_colors("uncovered_buildings.qml") == list(maps.POPULATION_COLORS)
    assert _qml_colors("districts.qml") == list(maps.DISTRICT_COLORS)
    # service areas: the largest (15 min) first, as map.html draws them
    assert _qml_colors("service_areas.qml") == list(maps.SERVICE_COLORS[:3])
    assert _qml_colors("proposed_sites.qml") == [maps.SITE_COLOR]
    assert _qml_colors("proposals.qml") == [maps.PROPOSAL_COLOR]
    status_fills = [style[0] for style in maps.STATUS_STYLES.values()]
    assert _qml_colors("stations.qml") == [*status_fills, maps.UNUSABLE_COLOR, maps.STATION_COLOR]
    assert _qml_colors("national_units.qml") == [*maps.SHARE_COLORS, maps.NO_SHARE_COLOR]
    tree = ET.parse(PLUGIN / "styles" / "service_areas.qml")
    assert [c.get("value") for c in tree.iter("category")] == ["15", "10", "5"]
    tree = ET.parse(PLUGIN / "styles" / "districts.qml")
    lowers = [float(r.get("lower")) for r in tree.iter("range")]
    assert lowers == [0.0, 0.2, 0.4, 0.6, 0.8]


# ------------------------------------------------------------------------- real headless QGIS


def _require_qgis() -> None:
    missing = []
    if not Path(QGIS_PROCESS).exists():
        missing.append(f"{QGIS_PROCESS} (Debian package qgis)")
    probe = subprocess.run(
        [QGIS_PYTHON, "-c", "import qgis.core"], capture_output=True, check=False
    ) if Path(QGIS_PYTHON).exists() else None  # fmt: skip
    if probe is None or probe.returncode != 0:
        missing.append(f"PyQGIS for {QGIS_PYTHON} (Debian package python3-qgis)")
    if missing:
        reason = "QGIS is not installed: no " + " and no ".join(missing) + " (.ci/install-qgis.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; CI must run the QGIS tests")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def qgis_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for qgis_process and PyQGIS: a profile with the plugin installed from the
    zip that ``python -m planner.qgis_plugin --zip`` builds (unpacked as QGIS's Install from
    ZIP does) and enabled, and this checkout's planner first on PATH."""
    _require_qgis()
    base = tmp_path_factory.mktemp("qgis")
    profile = base / "config" / "profiles" / "default"
    plugins = profile / "python" / "plugins"
    plugins.mkdir(parents=True)
    with zipfile.ZipFile(build_zip(base / "dist")) as zf:
        zf.extractall(plugins)
    (profile / "QGIS").mkdir()
    (profile / "QGIS" / "QGIS3.ini").write_text("[PythonPlugins]\nprecinct_planner=true\n")
    bin_dir = base / "bin"
    bin_dir.mkdir()
    _script(bin_dir / "planner", f'PYTHONPATH="{ROOT}" exec "{sys.executable}" -m planner.cli "$@"')
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        QGIS_CUSTOM_CONFIG_PATH=str(base / "config"),
        XDG_RUNTIME_DIR=str(base),
        # /usr/bin before any other Python's bin folder: QGIS's embedded Python takes its
        # prefix from the first python3 on PATH and crashes on another version's (pyenv's)
        PATH=os.pathsep.join([str(bin_dir), "/usr/bin", env.get("PATH", "")]),
    )
    env.pop("PRECINCT_PLANNER_COMMAND", None)
    env["PRECINCT_TEST_PLUGINS"] = str(plugins)  # for the PyQGIS script
    return env


def qgis_run(env: dict[str, str], algorithm: str, **params: object) -> dict:
    """``qgis_process.bin --json run``; the parsed JSON, or the error output."""
    args = [QGIS_PROCESS, "--json", "run", f"precinct_planner:{algorithm}", "--"]
    args += [f"{k}={v}" for k, v in params.items()]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        return {"failed": done.returncode, "stdout": done.stdout, "stderr": done.stderr}
    return json.loads(done.stdout)


def cli_run(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        ["planner", *args, "-q"], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr


def layers(gpkg: Path) -> dict[str, gpd.GeoDataFrame]:
    import pyogrio

    return {
        name: gpd.read_file(gpkg, layer=name)
        for name, _kind in pyogrio.list_layers(gpkg)
        if name != "run"
    }


def assert_same_layers(a: Path, b: Path, *, rtol: float = 0.0) -> None:
    """Same layers, columns, features and numbers (geometries to 1e-9 degrees with rtol>0)."""
    la, lb = layers(a), layers(b)
    assert sorted(la) == sorted(lb)
    for name in la:
        x, y = la[name], lb[name]
        assert list(x.columns) == list(y.columns), name
        assert len(x) == len(y), name
        pd.testing.assert_frame_equal(
            pd.DataFrame(x.drop(columns="geometry")),
            pd.DataFrame(y.drop(columns="geometry")),
            check_exact=rtol == 0.0,
            rtol=max(rtol, 1e-12),
            obj=name,
        )
        if rtol == 0.0:
            assert shapely.equals_exact(x.geometry.values, y.geometry.values, 0.0).all(), name
        else:
            assert shapely.equals_exact(x.geometry.values, y.geometry.values, 1e-7).all(), name


@pytest.fixture(scope="module")
def cli_coverage(qgis_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "coverage"
    cli_run(qgis_env, "coverage", "--osm", str(BISHKEK), "--out", str(out))
    return out


def test_qgis_process_lists_the_provider(qgis_env: dict[str, str]) -> None:
    done = subprocess.run([QGIS_PROCESS, "list"], env=qgis_env, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, (done.returncode, done.stderr[-3000:], done.stdout[-2000:])
    text = done.stdout
    assert "Precinct planner" in text
    for alg, title in (
        ("coverage", "Walking coverage of police stations"),
        ("plan", "Plan new stations"),
        ("evaluate", "Evaluate proposed sites"),
        ("station_review", "Station review (status, inspectors, repairs)"),
        ("national", "National allocation of new stations"),
    ):
        assert f"precinct_planner:{alg}\t{title}" in text


def test_coverage_in_qgis_equals_the_cli(
    qgis_env: dict[str, str], cli_coverage: Path, tmp_path: Path
) -> None:
    result = qgis_run(qgis_env, "coverage", OSM=BISHKEK, OUTPUT=tmp_path / "q")
    assert "failed" not in result, result
    out = result["results"]
    gpkg = tmp_path / "q" / "plan.gpkg"
    assert out["GEOPACKAGE"] == str(gpkg)
    assert out["MAP"] == str(tmp_path / "q" / "map.html")
    assert out["MEMO"] == str(tmp_path / "q" / "summary.md")
    assert out["STATIONS"] == f"{gpkg}|layername=stations"
    assert out["SERVICE_AREAS"] == f"{gpkg}|layername=service_areas"
    assert out["UNCOVERED_BUILDINGS"] == f'{gpkg}|layername=buildings|subset="covered" = 0'
    assert "DISTRICTS" not in out  # no districts given: no such layer
    assert_same_layers(gpkg, cli_coverage / "plan.gpkg")
    summary = json.loads((cli_coverage / "summary.json").read_text())
    assert out["SHARE_COVERED"] == summary["coverage"]["share_covered"]
    assert out["RESIDENTS_COVERED"] == summary["coverage"]["residents_covered"]
    log = "\n".join(result["log"]["info"])
    assert "walking distances, coverage ..." in log  # the steps, streamed
    assert "service areas (drawn alongside the steps above) ..." in log
    assert "within 800 m (10 min at 4.8 km/h)" in log  # the summary


def test_plan_in_qgis_equals_the_cli(qgis_env: dict[str, str], tmp_path: Path) -> None:
    neither = qgis_run(qgis_env, "plan", OSM=BISHKEK, OUTPUT=tmp_path / "q")
    assert neither["failed"] == 1
    assert "Give the number of new sites, or the share of residents to reach" in (
        neither["stdout"] + neither["stderr"]
    )
    cli_run(qgis_env, "plan", "--osm", str(BISHKEK), "--n-sites", "3", "--walk-m", "700",
            "--out", str(tmp_path / "cli"))  # fmt: skip
    result = qgis_run(qgis_env, "plan", OSM=BISHKEK, N_SITES=3, WALK_LIMIT=700, WALK_UNIT=1,
                      OUTPUT=tmp_path / "q")  # fmt: skip
    assert "failed" not in result, result
    out = result["results"]
    gpkg = tmp_path / "q" / "plan.gpkg"
    assert out["PROPOSED_SITES"] == f"{gpkg}|layername=proposed_sites"
    assert out["UNCOVERED_BUILDINGS"] == f'{gpkg}|layername=buildings|subset="covered_after" = 0'
    assert_same_layers(gpkg, tmp_path / "cli" / "plan.gpkg")
    sites = gpd.read_file(gpkg, layer="proposed_sites")
    assert sites["rank"].tolist() == [1, 2, 3]
    summary = json.loads((tmp_path / "cli" / "summary.json").read_text())
    assert out["SHARE_COVERED_AFTER"] == summary["plan"]["share_covered_after"]
    assert "--walk-m 700" in "\n".join(result["log"]["info"])


#: Two stations in central Bishkek, one with a status and inspectors (hand-placed).
STATIONS = gpd.GeoDataFrame(
    {"name": ["North post", "South post"], "status": ["open", "repair"], "inspectors": [2, 1]},
    geometry=[shapely.Point(74.6300, 42.8650), shapely.Point(74.6420, 42.8500)],
    crs="EPSG:4326",
)


def test_stations_as_a_web_mercator_layer_and_as_a_shapefile_give_the_cli_result(
    qgis_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "cli").mkdir()
    STATIONS.to_file(tmp_path / "cli" / "stations.gpkg", layer="stations", driver="GPKG")
    stations = str(tmp_path / "cli" / "stations.gpkg")
    cli_run(qgis_env, "coverage", "--osm", str(BISHKEK), "--stations", stations,
            "--out", str(tmp_path / "cli_out"))  # fmt: skip
    mercator = tmp_path / "posts_3857.gpkg"
    STATIONS.to_crs("EPSG:3857").to_file(mercator, layer="posts", driver="GPKG")
    shapefile = tmp_path / "shp" / "posts.shp"
    shapefile.parent.mkdir()
    STATIONS.to_file(shapefile)
    outputs = []
    for i, source in enumerate((f"{mercator}|layername=posts", shapefile)):
        result = qgis_run(qgis_env, "coverage", OSM=BISHKEK, STATIONS=source,
                          OUTPUT=tmp_path / f"q{i}")  # fmt: skip
        assert "failed" not in result, result
        outputs.append(tmp_path / f"q{i}" / "plan.gpkg")
    # the shapefile holds the same coordinates: the very same files
    assert_same_layers(outputs[1], tmp_path / "cli_out" / "plan.gpkg")
    # EPSG:3857 -> 4326 moves a point by ~1e-9 degrees: the same up to rounding
    assert_same_layers(outputs[0], tmp_path / "cli_out" / "plan.gpkg", rtol=1e-6)
    stations = gpd.read_file(outputs[0], layer="stations")
    assert stations["station_id"].tolist() == ["stations.gpkg:1", "stations.gpkg:2"]
    assert stations["status"].tolist() == ["open", "repair"]


#: Two hand-made districts splitting the data's buildings at latitude 42.858.
DISTRICTS = gpd.GeoDataFrame(
    {"name": ["North", "South"], "population": [9000, 8000]},
    geometry=[
        shapely.box(74.620, 42.858, 74.655, 42.880),
        shapely.box(74.620, 42.835, 74.655, 42.858),
    ],
    crs="EPSG:4326",
)


def test_station_review_maps_the_chosen_fields(qgis_env: dict[str, str], tmp_path: Path) -> None:
    """Fields called otherwise (a shapefile's 10-character names) are chosen in the dialog and
    handed over as name/status/inspectors; a field already called status is kept aside. The
    districts' name and population fields likewise."""
    (tmp_path / "cli").mkdir()
    STATIONS.to_file(tmp_path / "cli" / "stations.gpkg", layer="stations", driver="GPKG")
    DISTRICTS.to_file(tmp_path / "cli" / "districts.gpkg", layer="districts", driver="GPKG")
    cli_run(qgis_env, "coverage", "--osm", str(BISHKEK), "--stations",
            str(tmp_path / "cli" / "stations.gpkg"), "--repair-batch", "1",
            "--districts", str(tmp_path / "cli" / "districts.gpkg"),
            "--district-population-column", "population",
            "--out", str(tmp_path / "cli_out"))  # fmt: skip
    other = STATIONS.rename(
        columns={"name": "post_nm", "status": "sostoyanie", "inspectors": "staff"}
    )
    other["status"] = "closed"  # a stale column the user did not choose: not read as the status
    other.to_file(tmp_path / "posts.shp")
    rayons = DISTRICTS.rename(columns={"name": "rayon", "population": "pop_2024"})
    rayons["name"] = ["N", "S"]  # not the chosen name field
    rayons.to_file(tmp_path / "rayons.shp")
    result = qgis_run(
        qgis_env, "station_review", OSM=BISHKEK, STATIONS=tmp_path / "posts.shp",
        NAME_FIELD="post_nm", STATUS_FIELD="sostoyanie", INSPECTORS_FIELD="staff",
        REPAIR_BATCH=1, DISTRICTS=tmp_path / "rayons.shp", DISTRICT_NAME_FIELD="rayon",
        DISTRICT_POPULATION_FIELD="pop_2024", OUTPUT=tmp_path / "q",
    )  # fmt: skip
    assert "failed" not in result, result
    assert result["results"]["DISTRICTS"] == f"{tmp_path / 'q' / 'plan.gpkg'}|layername=districts"
    q, cli = layers(tmp_path / "q" / "plan.gpkg"), layers(tmp_path / "cli_out" / "plan.gpkg")
    assert sorted(q) == sorted(cli)
    st = q["stations"]
    assert st["name"].tolist() == ["North post", "South post"]
    assert st["status"].tolist() == ["open", "repair"]
    assert st["inspectors_now"].tolist() == [2, 1]
    assert st["usable"].tolist() == [True, True]
    assert sorted(st["repair_rank"].tolist()) == [1, 2]
    shared = [c for c in cli["stations"].columns if c != "geometry"]
    pd.testing.assert_frame_equal(pd.DataFrame(st[shared]), pd.DataFrame(cli["stations"][shared]))
    assert q["districts"]["name"].tolist() == ["North", "South"]
    assert q["districts"]["official_population"].tolist() == [9000, 8000]
    for name in sorted(set(q) - {"stations", "districts"}):
        pd.testing.assert_frame_equal(q[name], cli[name], obj=name)
    shared = [c for c in cli["districts"].columns if c in q["districts"].columns]
    shared.remove("geometry")
    pd.testing.assert_frame_equal(q["districts"][shared], cli["districts"][shared])
    # the shapefile turned the boxes into clockwise multipolygons: the same areas
    assert shapely.equals(q["districts"].geometry.values, cli["districts"].geometry.values).all()


def test_bad_stations_layer_gives_the_planners_message(
    qgis_env: dict[str, str], tmp_path: Path
) -> None:
    far = gpd.GeoDataFrame(
        {"name": ["Almaty 1", "Almaty 2"]},
        geometry=[shapely.Point(76.95, 43.25), shapely.Point(76.90, 43.20)],
        crs="EPSG:4326",
    ).to_crs("EPSG:3857")
    far.to_file(tmp_path / "far.gpkg", layer="far", driver="GPKG")
    out = tmp_path / "q"
    result = qgis_run(qgis_env, "coverage", OSM=BISHKEK, STATIONS=tmp_path / "far.gpkg",
                      OUTPUT=out)  # fmt: skip
    assert result["failed"] == 1
    text = result["stdout"] + result["stderr"]
    assert (
        "stations file stations.gpkg: all 2 features lie beyond walking reach of this area "
        "(lon 74.6110..74.6624, lat 42.8328..42.8843); they lie around latitude 43.23, "
        "longitude 76.93" in text
    )
    assert "(planner exit code 2: bad input or options)" in text
    assert "stations.gpkg is the layer 'far' (EPSG:3857)" in text
    assert "Traceback" not in text
    assert not out.exists()


def test_missing_planner_is_one_clear_message(qgis_env: dict[str, str], tmp_path: Path) -> None:
    env = dict(qgis_env, PATH="/usr/bin:/bin")
    result = qgis_run(env, "coverage", OSM=BISHKEK, OUTPUT=tmp_path / "q")
    text = result["stdout"] + result["stderr"]
    assert result["failed"] == 1
    assert "The 'planner' command is not installed (not found on the PATH)." in text
    assert runner.INSTALL_COMMAND in text
    assert "Traceback" not in text
    # the provider setting's fallback for scripts: $PRECINCT_PLANNER_COMMAND (off the PATH)
    fake = _script(
        tmp_path / "my planner",
        'if [ "$1" = --version ]; then echo "planner 0.1.0"; exit 0; fi\n'
        'echo "\nplanner: the fake planner was called with $1" >&2; exit 2',
    )
    env["PRECINCT_PLANNER_COMMAND"] = str(fake)
    result = qgis_run(env, "coverage", OSM=BISHKEK, OUTPUT=tmp_path / "q2")
    assert "the fake planner was called with coverage\n(planner exit code 2" in result["stderr"]


def pyqgis(env: dict[str, str], mode: str, out: Path, *extra: str) -> dict:
    done = subprocess.run(
        [QGIS_PYTHON, str(ROOT / "tests" / "_pyqgis_run.py"), mode, env["PRECINCT_TEST_PLUGINS"],
         str(BISHKEK), str(out), *extra],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_layers_load_styled_like_map_html(
    qgis_env: dict[str, str], cli_coverage: Path, tmp_path: Path
) -> None:
    """Each feature is drawn in map.html's colour: stations by status (the two traffic police
    posts of the Bishkek file are unusable: grey), service areas by limit, uncovered buildings
    by the map's residents classes, districts by the share covered."""
    DISTRICTS.to_file(tmp_path / "districts.gpkg", layer="districts", driver="GPKG")
    result = pyqgis(qgis_env, "load", tmp_path / "q", str(tmp_path / "districts.gpkg"))
    assert result["ok"], result
    loaded = result["layers"]
    assert sorted(loaded) == [
        "Districts: share covered", "Police stations", "Service areas (5/10/15 min)",
        "Uncovered residential buildings",
    ]  # fmt: skip
    stations = loaded["Police stations"]
    assert stations["renderer"] == "RuleRenderer"
    assert stations["symbols"] == [
        ["ГАИ города Бишкек", [maps.UNUSABLE_COLOR]],
        ["ГОМ №19", [maps.STATION_COLOR]],
        ["ГОМ №6", [maps.STATION_COLOR]],
        ["РЭО ГАИ", [maps.UNUSABLE_COLOR]],
    ]
    areas = loaded["Service areas (5/10/15 min)"]
    assert areas["renderer"] == "categorizedSymbol"
    assert sorted(areas["symbols"]) == [
        [5.0, [maps.SERVICE_COLORS[2]]], [10.0, [maps.SERVICE_COLORS[1]]],
        [15.0, [maps.SERVICE_COLORS[0]]],
    ]  # fmt: skip
    buildings = loaded["Uncovered residential buildings"]
    cli = gpd.read_file(cli_coverage / "plan.gpkg", layer="buildings")
    uncovered = cli.loc[~cli["covered"].astype(bool), "population"].to_numpy(dtype=float)
    assert buildings["features"] == len(uncovered)
    assert buildings["attribute"] == "population"
    breaks = city_map._population_breaks(uncovered)
    assert [r[1] for r in buildings["ranges"]] == breaks
    assert [r[2] for r in buildings["ranges"]] == list(maps.POPULATION_COLORS[: len(breaks)])
    assert buildings["ranges"][0][0] == math.floor(uncovered.min())
    for population, colors in buildings["symbols"]:  # the class map.html gives it
        klass = int(np.searchsorted(np.array(breaks), population, side="left"))
        assert colors == [maps.POPULATION_COLORS[klass]], population
    districts = loaded["Districts: share covered"]
    assert len(districts["symbols"]) == 2
    for share, colors in districts["symbols"]:
        assert colors == [maps.DISTRICT_COLORS[min(int(share * 5), 4)]], share


def test_cancel_stops_the_planner_and_leaves_the_folder_as_it_was(
    qgis_env: dict[str, str], cli_coverage: Path, tmp_path: Path
) -> None:
    # a new folder: nothing is written, nothing left beside it
    result = pyqgis(qgis_env, "cancel", tmp_path / "new")
    assert not result["ok"]
    # stopped in the first step or the next (the planner may print it before SIGTERM lands)
    assert result["steps"][0] == f"checking the output folder {tmp_path / 'new'}"
    assert result["steps"][1:] in (
        [],
        ["reading bishkek_2025_center.osm.gz: streets, buildings, stations"],
    )
    assert result["errors"][0].startswith(
        f"Canceled; the planner stopped: terminated; nothing was written to {tmp_path / 'new'}"
    )
    assert result["planner_left"] == []
    assert result["stop_s"] < 30
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    # a folder with an earlier run's files: they stay, byte for byte
    previous = tmp_path / "previous"
    shutil.copytree(cli_coverage, previous)
    before = {p.name: p.read_bytes() for p in previous.iterdir()}
    result = pyqgis(qgis_env, "cancel", previous)
    assert "errors" in result, result
    assert "unchanged (the files of the previous run stay as they were)" in result["errors"][0]
    assert {p.name: p.read_bytes() for p in previous.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["previous"]


def test_selected_features_only(qgis_env: dict[str, str], tmp_path: Path) -> None:
    """With "selected features only" ticked, only the selection reaches the planner."""
    STATIONS.to_file(tmp_path / "two.gpkg", layer="two", driver="GPKG")
    result = pyqgis(qgis_env, "selected", tmp_path / "q", str(tmp_path / "two.gpkg"))
    assert result["ok"], result
    stations = gpd.read_file(tmp_path / "q" / "plan.gpkg", layer="stations")
    assert stations["name"].tolist() == ["North post"]
    assert stations["station_id"].tolist() == ["stations.gpkg:1"]
    assert sorted(result["layers"]) == ["my stations"]  # "open the result layers" unticked


def test_national_in_qgis_equals_the_cli(qgis_env: dict[str, str], tmp_path: Path) -> None:
    """A SYNTHETIC country of 3 grid cities (planner.synthetic), 4 new stations."""
    from planner.synthetic import synthetic_country

    synthetic_country(tmp_path / "country", n_cities=3, residents=30_000, stations=20)
    osm = tmp_path / "country" / "synthetic.osm.pbf"
    units = tmp_path / "country" / "synthetic_units.geojson"
    cli_run(qgis_env, "national", "--osm", str(osm), "--units", str(units), "--new-stations", "4",
            "--workers", "1", "--out", str(tmp_path / "cli"))  # fmt: skip
    result = qgis_run(qgis_env, "national", OSM=osm, UNITS=units, BUDGET=4, WORKERS=1,
                      OUTPUT=tmp_path / "q")  # fmt: skip
    assert "failed" not in result, result
    out = result["results"]
    gpkg = tmp_path / "q" / "national.gpkg"
    assert out["UNITS"] == f"{gpkg}|layername=units"
    assert out["SITES"] == f"{gpkg}|layername=sites"
    assert out["MAP"] == str(tmp_path / "q" / "national.html")
    q, cli = layers(gpkg), layers(tmp_path / "cli" / "national.gpkg")
    assert sorted(q) == sorted(cli) == ["sites", "units"]
    assert len(q["sites"]) == 4
    pd.testing.assert_frame_equal(q["sites"], cli["sites"])
    columns = [c for c in cli["units"].columns if c not in ("geometry", "runtime_s")]
    pd.testing.assert_frame_equal(
        pd.DataFrame(q["units"][columns]), pd.DataFrame(cli["units"][columns])
    )
    summary = json.loads((tmp_path / "cli" / "national.json").read_text())
    assert out["NEW_STATIONS_USED"] == summary["new_stations_used"] == 4
    assert out["SHARE_AFTER"] == summary["share_after"]


def test_planner_command_from_the_provider_setting(
    qgis_env: dict[str, str], tmp_path: Path
) -> None:
    """Processing > Options > Providers > Precinct planner > planner command: used when the
    planner is not on the PATH (a QGIS started from the desktop menu)."""
    planner = str(Path(qgis_env["PATH"].split(os.pathsep)[0]) / "planner")
    env = dict(qgis_env, PATH="/usr/bin:/bin")
    result = pyqgis(env, "setting", tmp_path / "q", planner)
    assert result["ok"], result
    assert (tmp_path / "q" / "plan.gpkg").is_file()
