"""Tests of planner.maps.national_map: the rendered HTML, and the page in headless Chromium.

All data here is SYNTHETIC: four 1 km x 1 km square "units" side by side in UTM 33N (EPSG:32633)
whose south-west corner is at 14.5 E, 35.9 N (Malta), with made-up residents and results. Every
number asserted below is written in the fixture or computed by hand in a comment.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import Point, box
from test_maps import CDN_HOSTS, EXTERNAL, geojson_layers, layer_control

from planner.errors import InputError
from planner.maps import (
    LAYER_UNIT_LABELS,
    LAYER_UNITS,
    LAYER_VEHICLES,
    SHARE_COLORS,
    VEHICLE_BASE_COLOR,
    national_map,
    save_map,
)

UTM = "EPSG:32633"
X0, Y0 = pyproj.Transformer.from_crs(4326, UTM, always_xy=True).transform(14.5, 35.9)
TO_LONLAT = pyproj.Transformer.from_crs(UTM, 4326, always_xy=True)
KM = 1000.0

ODD_NAME = "Ак-Жол <\"Old\" & 'New'>"  # quotes, <, & and Cyrillic
HATCH = "url(#planner-hatch)"


def synthetic_units() -> gpd.GeoDataFrame:
    """Three planned units and one failed one, 1 km squares in a row, in UTM 33N."""
    nan = np.nan
    return gpd.GeoDataFrame(
        {
            "name": ["Valletta", "Sliema", ODD_NAME, "Gozo"],
            "status": ["ok", "ok", "ok", "no residential buildings in OSM"],
            "residents": [6000.0, 10000.0, 1234000.0, 31000.0],
            "covered_before": [3000.0, 4000.0, 617000.0, nan],
            "covered_after": [5400.0, 5500.0, 888480.0, nan],
            # Sliema's share_before is missing: computed as 4000 / 10000 = 40.0 %
            "share_before": [0.5, nan, 0.5, nan],
            "share_after": [0.9, 0.55, 0.72, nan],  # 888480 / 1234000 = 0.72
            "new_stations": [3, 1, 0, 0],
            "gap": [0.0, 0.0123, 0.0004, nan],
            "map_link": [
                "units/Valletta/map.html",
                "units/Sliema/map.html",
                "units/Ак-Жол #1/map.html",
                None,
            ],
        },
        geometry=[box(X0 + i * KM, Y0, X0 + (i + 1) * KM, Y0 + KM) for i in range(4)],
        crs=UTM,
    )


# the national totals of the three planned units
SUMMARY = {
    "new_stations": 4,  # 3 + 1 + 0
    "residents": 1_250_000,  # 6000 + 10000 + 1234000
    "covered_before": 624_000,  # 3000 + 4000 + 617000 -> 49.92 %
    "covered_after": 899_380,  # 5400 + 5500 + 888480 -> 71.95 %
    "gap": 0.0123,
    "units_ok": 3,
    "units_failed": 1,
}


@pytest.fixture
def units() -> gpd.GeoDataFrame:
    return synthetic_units()


@pytest.fixture
def page(units: gpd.GeoDataFrame, tmp_path: Path) -> str:
    path = save_map(national_map(units, summary=SUMMARY), tmp_path / "national.html")
    return path.read_text(encoding="utf-8")


def legend(page: str) -> str:
    match = re.search(r"div\.innerHTML = (\".*?\");\n", page)
    assert match
    return str(json.loads(match.group(1)))


def polygons(page: str) -> list[dict[str, Any]]:
    return [f["properties"] for f in geojson_layers(page)[0]["features"]]


def labels(page: str) -> list[dict[str, Any]]:
    return geojson_layers(page)[1]["features"]


def test_national_map_is_offline_and_self_contained(page: str) -> None:
    assert not EXTERNAL.search(page)
    for host in CDN_HOSTS:
        assert host not in page
    assert "jquery" not in page.lower()
    assert "Leaflet 1.9.4" in page
    assert "sourceMappingURL" not in page
    urls = set(re.findall(r"https?://[\w./-]+", page))
    assert urls <= {
        "https://www.openstreetmap.org/copyright",
        "https://leafletjs.com",
        "http://www.w3.org/2000/svg",
        "https://bugs.chromium.org/p/chromium/issues/detail",
        "https://bugzilla.mozilla.org/show_bug.cgi",
    }


def test_layers_are_units_and_labels(page: str) -> None:
    base, overlays = layer_control(page)
    assert base == []
    assert overlays == [f"{LAYER_UNITS} (4, 1 failed)", LAYER_UNIT_LABELS]


def test_units_are_shaded_by_share_after(page: str) -> None:
    # planned shares 55 %, 72 %, 90 %: range 55..90 % in 5 classes of ceil(35 / 5) = 7 points,
    # bounds 55, 62, 69, 76, 83, 90
    fills = [p["_fill"] for p in polygons(page)]
    assert fills == [SHARE_COLORS[4], SHARE_COLORS[0], SHARE_COLORS[2], HATCH]
    dashes = [p["_dash"] for p in polygons(page)]
    assert dashes[:3] == [None, None, None]
    assert dashes[3]  # the failed unit has a dashed outline
    assert 'id="planner-hatch"' in page  # the hatch pattern the failed unit is filled with
    text = legend(page)
    for bounds in ("55–62%", "62–69%", "69–76%", "76–83%", "83–90%"):
        assert bounds in text
    assert "Unit failed (reason in its popup)" in text


def test_units_are_labelled_with_their_new_stations(page: str) -> None:
    features = labels(page)
    # the failed unit gets no label; +0 is drawn faded
    assert [f["properties"]["_label"] for f in features] == ["+3", "+1", "+0"]
    assert [f["properties"]["_faded"] for f in features] == [False, False, True]
    assert [f["properties"]["name"] for f in features] == ["Valletta", "Sliema", ODD_NAME]
    # each label sits in the middle of its square: (i + 0.5) km east, 0.5 km north of the corner
    for i, feature in enumerate(features):
        lon, lat = feature["geometry"]["coordinates"]
        lon_exp, lat_exp = TO_LONLAT.transform(X0 + (i + 0.5) * KM, Y0 + 0.5 * KM)
        assert lon == pytest.approx(lon_exp, abs=2e-4)  # ~20 m
        assert lat == pytest.approx(lat_exp, abs=2e-4)
    assert "planner-unit-label" in page


def test_popups_have_the_units_numbers(page: str) -> None:
    valletta, sliema, odd, gozo = polygons(page)
    assert {k: v for k, v in valletta.items() if not k.startswith("_")} == {
        "name": "Valletta",
        "residents": "6 000",
        "before": "3 000 (50.0%)",
        "after": "5 400 (90.0%)",
        "new": "3",
        "gap": "0% (optimal)",
        "status": "planned",
        "link": "units/Valletta/map.html",
    }
    assert sliema["before"] == "4 000 (40.0%)"  # computed: 4000 / 10000
    assert sliema["after"] == "5 500 (55.0%)"
    assert sliema["gap"] == "1.2%"
    assert odd["residents"] == "1 234 000"
    assert odd["before"] == "617 000 (50.0%)"
    assert odd["after"] == "888 480 (72.0%)"
    assert odd["new"] == "0"
    assert odd["gap"] == "< 0.1%"  # 0.04 %
    assert gozo["residents"] == "31 000"
    assert gozo["before"] is None  # not planned: no coverage numbers
    assert gozo["after"] is None
    assert gozo["gap"] is None
    assert gozo["status"] == "failed: no residential buildings in OSM"
    assert '"Covered with the plan"' in page
    assert '"Optimality gap of the unit"' in page
    assert "open the unit\\u0026#39;s map" in page or "open the unit&#39;s map" in page


def test_links_to_the_unit_maps(page: str) -> None:
    links = [p["link"] for p in polygons(page)]
    # ok units link to their map; the space, '#' and Cyrillic of the odd one are percent-encoded
    assert links == [
        "units/Valletta/map.html",
        "units/Sliema/map.html",
        "units/%D0%90%D0%BA-%D0%96%D0%BE%D0%BB%20%231/map.html",
        None,
    ]
    assert [f["properties"]["link"] for f in labels(page)] == links[:3]
    assert page.count("units/Valletta/map.html") == 2  # in the polygon and in the label
    assert "Gozo/map.html" not in page


def test_names_are_escaped(page: str) -> None:
    assert ODD_NAME not in page
    assert '<"Old"' not in page
    assert "\\u003c\\\"Old\\\" \\u0026 'New'\\u003e" in page  # only inside the JSON data
    assert polygons(page)[2]["name"] == ODD_NAME  # escaped in the browser by plannerEscape


def test_legend_has_the_national_headline_numbers(page: str) -> None:
    text = legend(page)
    assert "<h4>National plan: new police stations</h4>" in text
    assert '<td>New stations (budget)</td><td class="n">4</td>' in text
    assert "Allocated to units" not in text  # 3 + 1 + 0 = the budget
    assert '<td>Residents</td><td class="n">1 250 000</td>' in text
    assert '<td>Covered now</td><td class="n">624 000 (49.9%)</td>' in text  # 624000/1250000
    assert '<td>With the plan</td><td class="n">899 380 (72.0%)</td>' in text  # 0.719504
    assert '<td>Optimality gap</td><td class="n">1.2%</td>' in text
    assert "The allocation is at most 1.2% short of the best possible." in text
    assert '<td>Units planned</td><td class="n">3</td>' in text
    assert '<td>Units failed</td><td class="n">1</td>' in text


def test_missing_summary_keys_are_not_recorded(units: gpd.GeoDataFrame) -> None:
    m = national_map(units, summary={"new_stations": 6}, title='Malta <"test">')
    text = legend(m.get_root().render())
    assert "<h4>Malta &lt;&quot;test&quot;&gt;</h4>" in text
    assert '<td>New stations (budget)</td><td class="n">6</td>' in text
    assert '<td>Allocated to units</td><td class="n">4</td>' in text  # 6 budgeted, 4 placed
    for row in ("Residents", "Covered now", "With the plan", "Optimality gap", "Units planned"):
        assert f'<td>{row}</td><td class="n">not recorded</td>' in text
    assert "short of the best possible" not in text


def test_without_summary_the_legend_sums_the_planned_units(units: gpd.GeoDataFrame) -> None:
    text = legend(national_map(units).get_root().render())
    assert '<td>New stations (budget)</td><td class="n">not recorded</td>' in text
    assert '<td>Allocated to units</td><td class="n">4</td>' in text
    assert '<td>Residents</td><td class="n">1 250 000</td>' in text  # Gozo (failed) left out
    assert '<td>With the plan</td><td class="n">899 380 (72.0%)</td>' in text
    assert '<td>Units failed</td><td class="n">1</td>' in text
    assert '<td>Optimality gap</td><td class="n">not recorded</td>' in text


def test_map_is_fitted_to_the_units(page: str) -> None:
    match = re.search(r"L\.latLngBounds\(\[\[(.*?)\], \[(.*?)\]\]\)", page)
    assert match
    south, west = map(float, match.group(1).split(","))
    north, east = map(float, match.group(2).split(","))
    # the corners of the row of squares, in degrees (UTM grid lines are not meridians)
    lons, lats = TO_LONLAT.transform([X0, X0, X0 + 4 * KM, X0 + 4 * KM], [Y0, Y0 + KM] * 2)
    assert (west, south) == pytest.approx((min(lons), min(lats)), abs=2e-6)
    assert (east, north) == pytest.approx((max(lons), max(lats)), abs=2e-6)
    assert south == pytest.approx(35.9, abs=1e-6)


def test_units_in_lon_lat_give_the_same_map(units: gpd.GeoDataFrame) -> None:
    projected = national_map(units, summary=SUMMARY).get_root().render()
    lonlat = national_map(units.to_crs(4326), summary=SUMMARY).get_root().render()
    assert polygons(lonlat) == polygons(projected)
    assert [f["properties"]["_label"] for f in labels(lonlat)] == ["+3", "+1", "+0"]


def test_a_failed_unit_without_outline_is_left_out(units: gpd.GeoDataFrame) -> None:
    units.loc[3, "geometry"] = None  # a unit whose boundary could not be read
    page = national_map(units, summary=SUMMARY).get_root().render()
    assert [p["name"] for p in polygons(page)] == ["Valletta", "Sliema", ODD_NAME]
    assert '<td>Units failed</td><td class="n">1</td>' in legend(page)  # from the summary
    assert "Unit failed" not in legend(page)  # no hatched unit on the map


def test_input_is_not_modified(units: gpd.GeoDataFrame) -> None:
    before = units.copy()
    national_map(units, summary=SUMMARY).get_root().render()
    assert_geodataframe_equal(units, before)
    assert units.crs == UTM


def test_many_detailed_units_stay_small(tmp_path: Path) -> None:
    # 100 synthetic round units with 5 000-vertex outlines (2 m zigzag every ~6 m): 500 000
    # vertices, simplified by 10 m to a few dozen each
    rng = np.random.default_rng(0)
    angles = np.linspace(0, 2 * np.pi, 5000, endpoint=False)
    radius = 5000 + rng.uniform(-2, 2, angles.size)
    ring = np.c_[radius * np.cos(angles), radius * np.sin(angles)]
    outlines = [
        shapely.Polygon(np.add(ring, [X0 + 12 * KM * (i % 10), Y0 + 12 * KM * (i // 10)]))
        for i in range(100)
    ]
    units = gpd.GeoDataFrame(
        {
            "name": [f"Unit {i}" for i in range(100)],
            "status": ["ok"] * 100,
            "share_after": np.linspace(0.3, 0.95, 100),
            "new_stations": np.arange(100) % 7,
        },
        geometry=outlines,
        crs=UTM,
    )
    path = save_map(national_map(units), tmp_path / "national.html")
    size_mb = path.stat().st_size / 1e6
    assert size_mb < 3
    page = path.read_text(encoding="utf-8")
    features = geojson_layers(page)[0]["features"]
    vertices = [len(f["geometry"]["coordinates"][0]) for f in features]
    assert max(vertices) < 500
    for collection in re.findall(r"L\.geoJSON\((\{.*?\]\}), \{", page):
        assert not re.search(r"\d+\.\d{7,}", collection)  # rounded to 6 decimals
    assert len(labels(page)) == 100


def test_optional_tiles_are_off_at_start(units: gpd.GeoDataFrame) -> None:
    m = national_map(units, tiles="OpenStreetMap", attribution="Boundaries: test <data>")
    page = m.get_root().render()
    base, _ = layer_control(page)
    assert base == ["Plain background (offline)", "Online tiles: OpenStreetMap"]
    assert not EXTERNAL.search(page)
    assert "Boundaries: test \\u0026lt;data\\u0026gt;" in page


def test_problems_are_collected_and_explained(units: gpd.GeoDataFrame) -> None:
    bad = units.drop(columns="status").assign(residents=["many", "1", "2", "3"])
    bad.loc[1, "geometry"] = Point(X0, Y0)
    with pytest.raises(InputError) as err:
        national_map(bad, summary=[1, 2])  # type: ignore[arg-type]
    message = str(err.value)
    assert "units lacks the column(s) 'status'" in message
    assert "units['residents'] holds" in message
    assert "such as 'many', not numbers; convert it with pd.to_numeric" in message
    assert "summary is a list, not a dict" in message
    assert len(err.value.problems) == 3
    with pytest.raises(InputError, match=r"units row 2 \(Sliema\): Point, not a polygon"):
        national_map(units.assign(geometry=[units.geometry[0], Point(X0, Y0), *units.geometry[2:]]))
    with pytest.raises(InputError, match="has no CRS"):
        national_map(units.set_crs(None, allow_override=True))
    with pytest.raises(InputError, match="nothing to draw"):
        national_map(units.iloc[:0])


# --------------------------------------------------------------------------- in a browser


def _chromium() -> str | None:
    candidates = [os.environ.get("PLANNER_CHROMIUM"), "/usr/bin/chromium"]
    candidates += [shutil.which(name) for name in ("chromium", "chromium-browser")]
    return next((c for c in candidates if c and Path(c).is_file()), None)


@pytest.mark.browser
def test_national_map_opens_offline_and_works(units: gpd.GeoDataFrame, tmp_path: Path) -> None:
    # same set-up as test_map_browser.py: Debian's chromium, network off, only file:// allowed
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Python playwright is not installed"
    )
    chromium = _chromium()
    if chromium is None:
        pytest.skip("Chromium not found (apt-get install chromium, or set PLANNER_CHROMIUM)")
    path = save_map(national_map(units, summary=SUMMARY), tmp_path / "national.html")
    (tmp_path / "units" / "Valletta").mkdir(parents=True)
    (tmp_path / "units" / "Valletta" / "map.html").write_text("<title>Valletta map</title>")
    blocked: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(("file://", "data:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
        )
        context = browser.new_context(viewport={"width": 1000, "height": 700})
        context.set_offline(True)
        context.route("**/*", route)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(path.resolve().as_uri())
        page.wait_for_selector(".planner-unit-label")

        # 4 unit polygons, 3 labels; the failed unit is filled with the hatch pattern
        assert page.locator("path.leaflet-interactive").count() == 4
        assert page.locator(".planner-unit-label").all_inner_texts() == ["+3", "+1", "+0"]
        assert page.locator(".planner-unit-faded").count() == 1
        assert page.locator(f'path[fill="{HATCH}"]').count() == 1
        text = page.locator(".planner-legend").inner_text()
        assert "899 380 (72.0%)" in text
        assert "at most 1.2% short of the best possible" in text

        # a click on the odd unit's polygon: its name is text, not markup
        page.locator("path.leaflet-interactive").nth(2).click(position={"x": 15, "y": 15})
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        assert ODD_NAME in popup.inner_text()
        assert re.search(r"Covered with the plan\s+888 480 \(72.0%\)", popup.inner_text())
        assert popup.locator("b, i, script").count() == 0

        # a click on Valletta's label, then on the link to its map
        page.locator(".planner-unit-label", has_text="+3").click()
        page.wait_for_function(
            "document.querySelector('.leaflet-popup-content').innerText.includes('Valletta')"
        )
        text = page.locator(".leaflet-popup-content").inner_text()
        assert re.search(r"New stations\s+3", text)
        assert re.search(r"Covered now\s+3 000 \(50.0%\)", text)
        page.screenshot(path=str(tmp_path / "national.png"))
        if os.environ.get("PLANNER_SCREENSHOT_DIR"):
            shutil.copy(
                tmp_path / "national.png",
                Path(os.environ["PLANNER_SCREENSHOT_DIR"]) / "national.png",
            )
        page.locator(".leaflet-popup-content a", has_text="open the unit's map").click()
        page.wait_for_url("**/units/Valletta/map.html")
        assert page.title() == "Valletta map"
        context.close()
        browser.close()

    assert blocked == []
    assert errors == []


def test_a_unit_with_an_empty_outline_is_left_out_without_a_warning(
    units: gpd.GeoDataFrame, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Malta: a council whose own area is all overlap has an empty polygon; geopandas warned
    # "GeoSeries.notna() previously returned False for ... empty geometries" (an error here:
    # filterwarnings = error)
    units.loc[3, "geometry"] = shapely.Polygon()
    path = save_map(national_map(units, summary=SUMMARY), tmp_path / "national.html")
    names = [p["name"] for p in polygons(path.read_text(encoding="utf-8"))]
    assert names == ["Valletta", "Sliema", ODD_NAME]
    assert "units: 1 rows without geometry not drawn" in caplog.text


# --- service vehicles (national --vehicles) --------------------------------------------------


def synthetic_vehicle_areas() -> gpd.GeoDataFrame:
    """Three service vehicles (as national.gpkg's vehicle_areas): two in Valletta, one in
    Sliema (away from the unit's label), each reaching a 400 m square around its station at the
    square's centre."""
    centres = [(X0 + 300, Y0 + 300), (X0 + 700, Y0 + 700), (X0 + 1300, Y0 + 300)]
    lonlat = [TO_LONLAT.transform(x, y) for x, y in centres]
    return gpd.GeoDataFrame(
        {
            "unit": ["Valletta", "Valletta", "Sliema"],
            "rank": [1, 2, 1],
            "station_id": ["v-1", "v-2", "s-1"],
            "name": ["Valletta police", None, "Sliema police"],
            "drive_min": [10.0, 10.0, 10.0],
            "residents_gained": [500.0, 120.0, 900.0],  # 1 520 in all
            "area_km2": [0.16, 0.16, 0.16],
            "base_lon": [lon for lon, _ in lonlat],
            "base_lat": [lat for _, lat in lonlat],
        },
        geometry=[box(x - 200, y - 200, x + 200, y + 200) for x, y in centres],
        crs=UTM,
    )


def test_national_map_shows_the_service_vehicles(units: gpd.GeoDataFrame, tmp_path: Path) -> None:
    summary = SUMMARY | {"vehicles": {"placed": 3, "vehicle_gain": 1520.0, "drive_min": 10.0}}
    path = save_map(
        national_map(units, summary=summary, vehicle_areas=synthetic_vehicle_areas()),
        tmp_path / "national.html",
    )
    page = path.read_text(encoding="utf-8")
    _, overlays = layer_control(page)
    # above the units, below their labels
    assert overlays[1:] == [f"{LAYER_VEHICLES} (10 min)", LAYER_UNIT_LABELS]
    vehicles = geojson_layers(page)[1]["features"]
    assert [f["geometry"]["type"] for f in vehicles] == ["Polygon"] * 3 + ["Point"] * 3
    props = [f["properties"] for f in vehicles]
    assert [p["unit"] for p in props[:3]] == ["Valletta", "Valletta", "Sliema"]
    assert props[2]["title"] == "Service vehicle at Sliema police"
    assert props[1]["title"] == "Service vehicle at v-2"
    assert props[2]["gained"] == "900"
    assert all(p["_fill"] == VEHICLE_BASE_COLOR for p in props[3:])
    lon, lat = TO_LONLAT.transform(X0 + 1300, Y0 + 300)
    assert vehicles[5]["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-6)
    text = legend(page)
    assert (
        "Reached within 10 min by a service vehicle (3 placed, +1&nbsp;520 residents beyond a walk)"
        in text
    )
    assert "Station with a service vehicle (ringed)" in text
    assert not EXTERNAL.search(page)


def test_without_vehicles_the_national_map_says_nothing_of_them(page: str) -> None:
    assert "service vehicle" not in page.lower()


def test_national_map_with_vehicles_opens_offline(units: gpd.GeoDataFrame, tmp_path: Path) -> None:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Python playwright is not installed"
    )
    chromium = _chromium()
    if chromium is None:
        pytest.skip("Chromium not found (apt-get install chromium, or set PLANNER_CHROMIUM)")
    summary = SUMMARY | {"vehicles": {"placed": 3, "vehicle_gain": 1520.0, "drive_min": 10.0}}
    m = national_map(units, summary=summary, vehicle_areas=synthetic_vehicle_areas())
    path = save_map(m, tmp_path / "national.html")
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
        )
        context = browser.new_context(viewport={"width": 1000, "height": 700})
        context.set_offline(True)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(path.resolve().as_uri())
        page.wait_for_selector(".planner-unit-label")
        overlays = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        assert f"{LAYER_VEHICLES} (10 min)" in [t.strip() for t in overlays]
        # 4 units, 3 drive-time areas and 3 rings around the bases
        assert page.locator("path.leaflet-interactive").count() == 4 + 3 + 3
        rings = page.locator(f"path.leaflet-interactive[fill='{VEHICLE_BASE_COLOR}']")
        assert rings.count() == 3
        text = page.locator(".planner-legend").inner_text().replace("\xa0", " ")
        assert "Reached within 10 min by a service vehicle (3 placed, +1 520 residents" in text
        rings.nth(2).click(force=True)
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        assert "Service vehicle at Sliema police" in popup.inner_text()
        assert re.search(r"Unit\s+Sliema", popup.inner_text())
        context.close()
        browser.close()
    assert errors == []
