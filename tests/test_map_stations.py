"""The stations review on the map: status colours, review numbers in the popups, scenario and
relocation layers (planner.maps.coverage_map and planner.report.build_map).

The first tests use SYNTHETIC data: stations and buildings on the made-up 400 m grid of
test_maps.py (UTM 43N, south-west corner at 76.9 E, 43.25 N), with every review number written
in the fixture; expected texts are those numbers formatted by hand. The last two run the command
line on the bundled Almaty 2012 extract with the illustrative stations file and check its map
against its own summary.json; the browser test opens it offline in headless Chromium.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box
from test_maps import UTM, X0, Y0, geojson_layers

from planner.maps import LAYER_RELOCATIONS, LAYER_STATIONS, coverage_map

ROOT = Path(__file__).resolve().parents[1]
NAME = "Post <A&\"B'>"  # must stay text everywhere
GAIN = "Scenario: planned stations open (+155 residents)"  # 120 + 35
LOSS = "Scenario: stations under repair closed (\u22121 500 residents)"


def synthetic_stations() -> gpd.GeoDataFrame:
    """Six SYNTHETIC stations with the columns of planner.station_review.review_stations.

    Working stations are Medeu, the post and the depot; their repair ranks are 2, 1, 3.
    """
    nan = np.nan
    return gpd.GeoDataFrame(
        {
            "name": ["Station Medeu", NAME, "Depot", "New post", "Old post", "Ruin"],
            "status": ["open", "repair", "repair", "planned", "closed", "open"],
            "usable": [True, True, True, True, True, False],
            "problem": ["", "", "", "", "", "building demolished"],
            "working": [True, True, True, False, False, False],
            "residents_within": [1234.0, 800.0, 0.0, 0.0, 0.0, 0.0],
            "residents_served": [5678.4, 2500.0, 100.0, nan, nan, nan],
            "residents_only_here": [432.0, 1500.0, 0.0, nan, nan, nan],
            "repair_rank": [2.0, 1.0, 3.0, nan, nan, nan],
            "inspectors_needed": [2, 1, 1, 0, 0, 0],
            "inspectors_now": [1.0, 3.0, nan, nan, 4.0, nan],
            "inspector_gap": [1.0, -2.0, nan, nan, nan, nan],
            # the post may move to 76.905 E, 43.2515 N and would serve 345.6 more residents;
            # the depot's best site serves as many as it does now
            "relocation_site_lon": [nan, 76.905, 76.9001, nan, nan, nan],
            "relocation_site_lat": [nan, 43.2515, 43.2501, nan, nan, nan],
            "relocation_gain": [nan, 345.6, 0.0, nan, nan, nan],
        },
        geometry=[Point(X0 + 100 * i, Y0 + 100) for i in range(6)],
        crs=UTM,
    )


def scenario_frames() -> dict[str, gpd.GeoDataFrame]:
    """SYNTHETIC buildings that gain (2) and lose (1) walking access."""
    gained = gpd.GeoDataFrame(
        {"population": [120.0, 35.0], "walk_m": [1250.0, np.nan], "nearest_station": [0, None]},
        geometry=[box(X0 + 300, Y0 + 300, X0 + 310, Y0 + 310), box(X0, Y0, X0 + 10, Y0 + 10)],
        crs=UTM,
    )
    lost = gpd.GeoDataFrame(
        {"population": [1500.0], "walk_m": [420.0], "nearest_station": [1]},
        geometry=[box(X0 + 150, Y0 + 150, X0 + 170, Y0 + 170)],
        crs=UTM,
    )
    return {GAIN: gained, LOSS: lost}


def render(**kwargs: Any) -> str:
    return coverage_map(**kwargs).get_root().render()


@pytest.fixture(scope="module")
def page() -> str:
    return render(
        stations=synthetic_stations(),
        scenario_layers=scenario_frames(),
        relocation_radius_m=1000.0,
        summary={"stations_review": {"inspectors": {"residents_per_inspector": 3000.0}}},
    )


def overlays(page: str) -> dict[str, str]:
    """Overlay name -> the JavaScript variable of its layer."""
    over = re.search(r"overlays :  \{(.*?)\}", page, re.S)
    assert over
    return {
        json.loads(name): var
        for name, var in re.findall(r'("(?:[^"\\]|\\.)+") : (\w+),', over.group(1))
    }


def legend(page: str) -> str:
    match = re.search(r"div\.innerHTML = (\".*?\");\n", page)
    assert match
    return str(json.loads(match.group(1)))


def station_props(page: str) -> dict[str, dict[str, Any]]:
    features = geojson_layers(page)[-1]["features"]  # stations are drawn last
    return {f["properties"]["name"]: f["properties"] for f in features}


# --- stations ----------------------------------------------------------------------------------


def test_stations_are_coloured_by_status(page: str) -> None:
    props = station_props(page)
    style = {name: (p["_fill"], p["_color"], p["_dash"]) for name, p in props.items()}
    assert style == {
        "Station Medeu": ("#1f4e9c", "#ffffff", None),  # open: the colour stations always had
        NAME: ("#fb8c00", "#ffffff", None),  # needs repair: orange
        "Depot": ("#fb8c00", "#ffffff", None),
        "New post": ("#ffffff", "#8e24aa", "3 2"),  # planned: hollow, dashed purple
        "Old post": ("#424242", "#ffffff", None),  # closed: dark grey
        "Ruin": ("#9e9e9e", "#c62828", "3 3"),  # unusable: grey with a dashed red outline
    }


def test_popups_carry_the_review_numbers(page: str) -> None:
    props = station_props(page)
    shown = {
        name: {k: v for k, v in p.items() if not k.startswith("_") and v is not None}
        for name, p in props.items()
    }
    assert shown["Station Medeu"] == {
        "name": "Station Medeu",
        "served": "1 234",
        "status": "open",
        "served_all": "5 678",  # 5678.4
        "only_here": "432",
        "rank": "2 of 3",  # three working stations are ranked
        "needed": "2",
        "now": "1",
        "gap": "1 missing",
    }
    assert shown[NAME] == {
        "name": NAME,
        "served": "800",
        "status": "needs repair (still working)",
        "served_all": "2 500",
        "only_here": "1 500",
        "rank": "1 of 3",
        "needed": "1",
        "now": "3",
        "gap": "2 more than needed",  # 1 needed - 3 there
        "moving": "346 residents",  # 345.6
        "site": "43.251500, 76.905000",  # lat, lon
    }
    # no inspectors count: no "now" and no gap; moving gains nothing: no site
    assert shown["Depot"] == {
        "name": "Depot",
        "served": "0",
        "status": "needs repair (still working)",
        "served_all": "100",
        "only_here": "0",
        "rank": "3 of 3",
        "needed": "1",
        "moving": "no residents",
    }
    # stations that do not work today serve nobody: no residents or rank, and the popup says
    # why no inspectors are needed there (not a bare 0 or a silent blank)
    why = "none yet: not working, it serves nobody today"
    assert shown["New post"] == {
        "name": "New post",
        "status": "planned (not open yet)",
        "needed": why,
    }
    assert shown["Old post"] == {"name": "Old post", "status": "closed", "now": "4", "needed": why}
    assert shown["Ruin"] == {
        "name": "Ruin",
        "status": "open; not used in the plan",
        "reason": "building demolished",
    }
    for label in (
        "Residents served: it is their nearest station, at any distance "
        "(the workload of its inspectors)",
        "Residents only here (lose walking access if it closes)",
        "Repair priority (1 = most residents lose access)",
        "Inspectors needed (1 per norm of residents served)",
        "Inspectors now",
        "Inspector gap",
        "Moving it within 1 000 m (instead of repairing it) would add",
        "Best site to move it to (lat, lon)",
    ):
        assert json.dumps(label) in page


def test_legend_has_a_key_of_the_statuses(page: str) -> None:
    text = legend(page)
    for color, label in (
        ("#1f4e9c", "Station open (2)"),  # Medeu and the unusable ruin
        ("#fb8c00", "Station needs repair (still working) (2)"),
        ("#ffffff", "Station planned (1)"),
        ("#424242", "Station closed (1)"),
    ):
        assert re.search(rf'background:{color};[^"]*"></span>{re.escape(label)}</div>', text)
    assert "dashed #8e24aa" in text  # the planned key is a dashed purple ring
    assert "Inspectors needed: 1 per 3 000 residents served" in text


def test_no_status_key_when_every_station_is_open() -> None:
    stations = synthetic_stations().assign(status="open")
    text = legend(render(stations=stations))
    assert "Police station" in text
    assert "Station open" not in text
    # without a status column the popups keep their old wording
    plain = synthetic_stations()[["name", "usable", "problem", "residents_within", "geometry"]]
    props = station_props(render(stations=plain))
    assert props["Station Medeu"]["status"] == "in use"
    assert props["Ruin"]["status"] == "not used in the plan"
    assert props["Depot"]["served"] == "0"


# --- scenarios and relocations -----------------------------------------------------------------


def test_scenario_layers_are_named_with_counts_and_off_at_start(page: str) -> None:
    layers = overlays(page)
    assert list(layers) == [
        GAIN,
        LOSS,
        f"{LAYER_RELOCATIONS} (1)",
        f"{LAYER_STATIONS} (6, 1 unusable)",
    ]
    for name in (GAIN, LOSS, f"{LAYER_RELOCATIONS} (1)"):
        assert f"{layers[name]}.addTo(" not in page  # in the layer list, not drawn at start
    assert f"{layers[f'{LAYER_STATIONS} (6, 1 unusable)']}.addTo(" in page
    text = legend(page)
    assert '<span class="planner-key" style="background:#1b9e77"></span>' + GAIN in text
    assert (
        '<span class="planner-key" style="background:#e7298a"></span>'
        "Scenario: stations under repair closed (\u22121&nbsp;500 residents)"
    ) in text


def test_scenario_buildings_have_residents_in_the_tooltip(page: str) -> None:
    gained, lost, _, _ = geojson_layers(page)
    assert [f["properties"] for f in gained["features"]] == [
        {"population": "120", "walk": "1 250 m", "nearest": "Station Medeu"},
        {"population": "35", "walk": "not reachable", "nearest": None},
    ]
    assert [f["geometry"]["type"] for f in gained["features"]] == ["Polygon", "Polygon"]
    assert [f["properties"] for f in lost["features"]] == [
        {"population": "1 500", "walk": "420 m", "nearest": NAME}
    ]
    assert '"color": "#1b9e77"' in page
    assert '"color": "#e7298a"' in page
    assert json.dumps("Walk to nearest station today") in page
    # as points above max_building_polygons
    small = render(scenario_layers=scenario_frames(), max_building_polygons=1)
    gained, lost = geojson_layers(small)
    assert [f["geometry"]["type"] for f in gained["features"]] == ["Point", "Point"]
    assert [f["geometry"]["type"] for f in lost["features"]] == ["Polygon"]


def test_relocation_site_is_a_ring_with_a_dashed_line_from_its_station(page: str) -> None:
    features = geojson_layers(page)[2]["features"]
    line, ring = features  # only the post gains by moving
    assert line["geometry"]["type"] == "LineString"
    assert ring["geometry"] == {"type": "Point", "coordinates": [76.905, 43.2515]}
    assert line["geometry"]["coordinates"][1] == [76.905, 43.2515]
    station = station_props(page)  # the line starts at the post
    post = next(f for f in geojson_layers(page)[-1]["features"] if f["properties"]["name"] == NAME)
    assert line["geometry"]["coordinates"][0] == post["geometry"]["coordinates"]
    assert line["properties"]["_dash"] == "6 5"
    assert ring["properties"] == {
        "title": f"Relocation site for {NAME}",
        "gain": "346 residents",
        "site": "43.251500, 76.905000",
        "within": "within 1 000 m",
    }
    assert station[NAME]["site"] == ring["properties"]["site"]


def test_names_are_escaped(page: str) -> None:
    assert NAME not in page
    assert "<A&" not in page
    # inside the data as JSON escapes, shown as text by plannerEscape in the browser
    assert "Post \\u003cA\\u0026\\\"B'\\u003e" in page
    odd = "Scenario: <b>\"A\" & 'B'</b>"
    text = render(scenario_layers={odd: scenario_frames()[GAIN]})
    assert "<b>" not in text
    assert list(overlays(text)) == [
        "Scenario: &lt;b&gt;&quot;A&quot; &amp; &#x27;B&#x27;&lt;/b&gt;"
    ]


def test_bad_scenario_layers_are_explained() -> None:
    from planner.errors import InputError

    frames = scenario_frames()
    with pytest.raises(InputError) as err:
        coverage_map(
            scenario_layers={GAIN: frames[GAIN].drop(columns="population"), "": frames[LOSS]},
            relocation_radius_m=-5,
        )
    message = str(err.value)
    assert f"scenario_layers[{GAIN!r}] lacks the column(s) 'population'" in message
    assert "the layer name '' is not a text" in message
    assert "relocation_radius_m=-5 must be a number > 0" in message


def test_inputs_are_not_mutated() -> None:
    from geopandas.testing import assert_geodataframe_equal

    stations, frames = synthetic_stations(), scenario_frames()
    render(stations=stations, scenario_layers=frames)
    assert_geodataframe_equal(stations, synthetic_stations())
    for name, frame in scenario_frames().items():
        assert_geodataframe_equal(frames[name], frame)


# --- the real map ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def almaty_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from planner import cli

    out = tmp_path_factory.mktemp("almaty")
    args = [
        "coverage",
        "--osm",
        str(ROOT / "data" / "almaty_2012.osm.pbf"),
        "--stations",
        str(ROOT / "data" / "almaty_stations_illustrative.csv"),
        "--untyped-buildings-residential",
        "--out",
        str(out),
        "-q",
    ]
    assert cli.main(args) == 0
    return out


def expected_scenarios(out: Path) -> tuple[str, str]:
    """The scenario layer names from the run's summary.json: differences of its scenarios."""
    review = json.loads((out / "summary.json").read_text(encoding="utf-8"))["stations_review"]
    covered = {s["scenario"]: s["residents_covered"] for s in review["scenarios"]}
    today = covered["today (open and under repair)"]
    gain = covered["if the planned stations open"] - today
    loss = today - covered["while the stations under repair are closed"]

    def fmt(value: float) -> str:
        return f"{round(value):,}".replace(",", " ")

    return (
        f"Scenario: planned stations open (+{fmt(gain)} residents)",
        f"Scenario: stations under repair closed (\u2212{fmt(loss)} residents)",
    )


@pytest.mark.slow
def test_almaty_map_has_scenarios_and_the_status_key(almaty_run: Path) -> None:
    page = (almaty_run / "map.html").read_text(encoding="utf-8")
    gain, loss = expected_scenarios(almaty_run)
    layers = overlays(page)
    assert gain in layers
    assert loss in layers
    assert not any(f"{layers[name]}.addTo(" in page for name in (gain, loss))
    assert any(name.startswith(LAYER_RELOCATIONS) for name in layers)
    text = legend(page)
    # the illustrative file has every status
    for label in (
        "Station open (",
        "Station needs repair",
        "Station planned (",
        "Station closed (",
    ):
        assert label in text
    assert "Scenario: planned stations open (+" in text
    statuses = [f["properties"]["_fill"] for f in geojson_layers(page)[-1]["features"]]
    assert {"#1f4e9c", "#fb8c00", "#ffffff", "#424242"} <= set(statuses)


@pytest.mark.slow
@pytest.mark.browser
def test_almaty_map_in_a_browser(almaty_run: Path, tmp_path: Path) -> None:
    # skipped without playwright or Chromium, as in test_map_browser.py
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="Python playwright is not installed; run .ci/install-browser.sh",
    )
    from test_map_browser import ARGS, CHROMIUM, OfflinePage

    if CHROMIUM is None:
        pytest.skip("Chromium not found (apt-get install chromium, or set PLANNER_CHROMIUM)")
    page_text = (almaty_run / "map.html").read_text(encoding="utf-8")
    gain, loss = expected_scenarios(almaty_run)
    names = list(overlays(page_text))
    layers = geojson_layers(page_text)
    # the streets (the base layer) are the first GeoJSON layer, the overlays follow in order
    n_gain = len(layers[names.index(gain) - len(names)]["features"])
    n_loss = len(layers[names.index(loss) - len(names)]["features"])
    assert n_gain > 0
    assert n_loss > 0
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        offline = OfflinePage(browser)
        try:
            page = offline.page
            page.goto((almaty_run / "map.html").resolve().as_uri())
            page.wait_for_selector(".planner-legend")
            labels = page.locator(".leaflet-control-layers-overlays label")
            assert gain in [t.strip() for t in labels.all_inner_texts()]
            before = page.locator("path.leaflet-interactive").count()
            labels.filter(has_text="Scenario: planned stations open").click()
            after_gain = page.locator("path.leaflet-interactive").count()
            assert after_gain == before + n_gain  # one path per building footprint
            labels.filter(has_text="Scenario: stations under repair closed").click()
            assert page.locator("path.leaflet-interactive").count() == after_gain + n_loss
            labels.filter(has_text="Scenario: planned stations open").click()  # off again
            assert page.locator("path.leaflet-interactive").count() == before + n_loss
            assert "Station needs repair" in page.locator(".planner-legend").inner_text()
            page.screenshot(path=str(tmp_path / "almaty.png"))
            assert offline.blocked == []
            assert offline.errors == []
        finally:
            offline.context.close()
            browser.close()
