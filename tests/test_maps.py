"""Tests of planner.maps on the rendered HTML (the browser test is test_map_browser.py).

All data here is SYNTHETIC: a 400 m x 400 m street grid in UTM 43N (EPSG:32643) whose south-west
corner is at 76.9 E, 43.25 N (Almaty), with made-up stations, buildings and sites. Every number
asserted below is written in the fixture or computed by hand in a comment.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pyproj
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import LineString, Point, box

from planner.errors import InputError, PlannerError
from planner.maps import (
    LAYER_BUILDINGS,
    LAYER_PROPOSALS,
    LAYER_SITES,
    LAYER_STATIONS,
    LAYER_STREETS,
    LAYER_VEHICLES,
    VEHICLE_BASE_COLOR,
    VEHICLE_COLOR,
    coverage_map,
    save_map,
)

UTM = "EPSG:32643"
X0, Y0 = pyproj.Transformer.from_crs(4326, UTM, always_xy=True).transform(76.9, 43.25)

CDN_HOSTS = (
    "cdn.jsdelivr.net",
    "code.jquery.com",
    "cdnjs.cloudflare.com",
    "bootstrapcdn.com",
    "fontawesome",
    "unpkg.com",
)
EXTERNAL = re.compile(
    r"""<script\b[^>]*\bsrc\s*=|<link\b[^>]*\bhref\s*=\s*["']?(https?:)?//|@import""",
    re.IGNORECASE,
)


def synthetic_layers() -> dict[str, Any]:
    """Every layer of the map, synthetic, in UTM 43N."""
    lines = [LineString([(X0, Y0 + d), (X0 + 400, Y0 + d)]) for d in (0, 200, 400)]
    lines += [LineString([(X0 + d, Y0), (X0 + d, Y0 + 400)]) for d in (0, 200, 400)]
    streets = gpd.GeoDataFrame({"highway": ["residential"] * 6}, geometry=lines, crs=UTM)
    stations = gpd.GeoDataFrame(
        {
            "name": ["Station Medeu", "Old post"],
            "residents_within": [1234, 0],
            "usable": [True, False],
            "problem": ["", "building demolished"],
        },
        # the second station is a footprint polygon: drawn at a point inside it
        geometry=[Point(X0, Y0), box(X0 + 390, Y0 + 390, X0 + 410, Y0 + 410)],
        crs=UTM,
    )
    service_areas = gpd.GeoDataFrame(
        {
            "station": ["Station Medeu"] * 3,
            "limit_min": [5.0, 10.0, 10.0],
            "limit_m": [400.0, 800.0, 800.0],
        },
        geometry=[
            Point(X0, Y0).buffer(150),
            Point(X0, Y0).buffer(300),
            Point(X0 + 50, Y0).buffer(300),  # overlaps the previous one: dissolved
        ],
        crs=UTM,
    )
    buildings = gpd.GeoDataFrame(
        {
            "population": [12, 40, 85, 150, 999],
            "walk_m": [950.0, 1210.4, np.nan, 2000.0, 100.0],
            # index of the nearest station in `stations`, as planner.walk_distances gives it
            "nearest_station": [0, 0, None, 1, 0],
            "covered": [False, False, False, False, True],  # the 999-resident one is covered
        },
        geometry=[box(X0 + 300 + 15 * i, Y0 + 300, X0 + 310 + 15 * i, Y0 + 310) for i in range(5)],
        crs=UTM,
    )
    proposed_sites = gpd.GeoDataFrame(
        {
            "rank": [2, 1],  # deliberately not sorted
            "marginal_population": [1000, 2345],
            "cumulative_population": [3345, 2345],  # 2345, then 2345 + 1000
            # existing 1234 included: (1234 + 2345) / 7000 = 51.1 %, (1234 + 3345) / 7000 = 65.4 %
            "cumulative_share": [4579 / 7000, 3579 / 7000],
        },
        geometry=[Point(X0 + 200, Y0 + 400), Point(X0 + 400, Y0 + 200)],
        crs=UTM,
    )
    proposals = gpd.GeoDataFrame(
        {
            "name": ["Akimat site <A&B>"],
            "alone_population": [777],
            "marginal_population": [55],
            "greedy_rank": [1],
            "flags": [["outside boundary", "near river"]],
        },
        geometry=[Point(X0 + 100, Y0 + 300)],
        crs=UTM,
    )
    summary = {
        "city": "Almaty (synthetic)",
        "coverage": {"residents_total": 7000, "residents_covered": 1234},  # 17.6 %
        "plan": {"residents_covered_after": 4579},  # 65.4 %
        "parameters": {"max_walk_m": 800.0, "max_walk_min": 10.0},
        "data": {"data_date": "2012-06-01"},
    }
    return {
        "streets": streets,
        "stations": stations,
        "service_areas": service_areas,
        "buildings": buildings,
        "proposed_sites": proposed_sites,
        "proposals": proposals,
        "summary": summary,
    }


@pytest.fixture
def layers() -> dict[str, Any]:
    return synthetic_layers()


@pytest.fixture
def page(layers: dict[str, Any]) -> str:
    return coverage_map(**layers).get_root().render()


def geojson_layers(page: str) -> list[dict[str, Any]]:
    """The FeatureCollections inlined in the page, in drawing order."""
    found = re.findall(r"L\.geoJSON\((\{\"type\":\"FeatureCollection\".*?\]\}), \{", page)
    return [json.loads(text) for text in found]


def layer_control(page: str) -> tuple[list[str], list[str]]:
    """Names of the base layers and overlays in the layer control."""
    base = re.search(r"base_layers : \{(.*?)\}", page, re.S)
    over = re.search(r"overlays :  \{(.*?)\}", page, re.S)
    assert base and over
    return re.findall(r'"(.+?)" :', base.group(1)), re.findall(r'"(.+?)" :', over.group(1))


def test_every_layer_is_in_the_layer_control(page: str) -> None:
    base, overlays = layer_control(page)
    assert base == [LAYER_STREETS]
    assert overlays == [
        "Service area: 10-min walk (800 m)",  # largest first, drawn below
        "Service area: 5-min walk (400 m)",
        f"{LAYER_BUILDINGS} (4)",  # the covered building is left out
        f"{LAYER_STATIONS} (2, 1 unusable)",
        f"{LAYER_PROPOSALS} (1)",
        f"{LAYER_SITES} (2)",
    ]


def test_streets_are_one_feature_without_attributes(page: str) -> None:
    streets = geojson_layers(page)[0]
    assert len(streets["features"]) == 1
    geometry = streets["features"][0]["geometry"]
    assert geometry["type"] == "MultiLineString"
    assert len(geometry["coordinates"]) == 6
    assert streets["features"][0]["properties"] == {}
    # south-west corner of the grid is 76.9 E, 43.25 N
    assert geometry["coordinates"][0][0] == pytest.approx([76.9, 43.25], abs=1e-6)


def test_service_areas_are_dissolved_per_limit(page: str) -> None:
    areas_800, areas_400 = geojson_layers(page)[1:3]
    assert len(areas_800["features"]) == 1  # two overlapping 800 m areas -> one polygon
    assert areas_800["features"][0]["geometry"]["type"] == "Polygon"
    assert len(areas_400["features"]) == 1


def test_station_popups_have_names_residents_and_reasons(page: str) -> None:
    stations = geojson_layers(page)[4]["features"]
    medeu, old = (f["properties"] for f in stations)
    assert medeu["name"] == "Station Medeu"
    assert medeu["served"] == "1 234"
    assert medeu["status"] == "in use"
    assert medeu["reason"] is None
    assert old["name"] == "Old post"
    assert old["served"] is None  # an unusable station serves nobody in the plan
    assert old["status"] == "not used in the plan"
    assert old["reason"] == "building demolished"
    assert old["_fill"] != medeu["_fill"]
    # the polygon footprint is drawn at a point inside it: 400 m east and north of the corner
    lon, lat = stations[1]["geometry"]["coordinates"]
    lon_exp, lat_exp = pyproj.Transformer.from_crs(UTM, 4326, always_xy=True).transform(
        X0 + 400, Y0 + 400
    )
    assert lon == pytest.approx(lon_exp, abs=2e-4)
    assert lat == pytest.approx(lat_exp, abs=2e-4)
    assert '"Residents within walking distance"' in page
    assert '"Why not used"' in page


def test_uncovered_buildings_are_shaded_by_population(page: str) -> None:
    buildings = [f["properties"] for f in geojson_layers(page)[3]["features"]]
    assert [b["population"] for b in buildings] == ["12", "40", "85", "150"]
    assert [b["walk"] for b in buildings] == ["950 m", "1 210 m", "not reachable", "2 000 m"]
    assert [b["nearest"] for b in buildings] == ["Station Medeu", "Station Medeu", None, "Old post"]
    fills = [b["_fill"] for b in buildings]
    assert len(set(fills)) == 4  # four different populations, four shades
    assert fills[0] == "#ffffb2"  # fewest residents: lightest
    assert fills[-1] == "#bd0026"  # most residents: darkest
    assert '"Walk to nearest station"' in page


def test_proposed_sites_are_numbered_in_rollout_order(page: str) -> None:
    sites = [f["properties"] for f in geojson_layers(page)[6]["features"]]
    assert [s["_label"] for s in sites] == ["1", "2"]
    first, second = sites
    assert first == {
        "title": "Proposed site 1",
        "rank": "1",
        "new": "2 345",
        "cum": "2 345",
        "share": "51.1%",  # 3579 / 7000 = 0.5113
        "_label": "1",
    }
    assert (second["new"], second["cum"], second["share"]) == ("1 000", "3 345", "65.4%")
    assert "planner-rank" in page


def test_proposals_are_escaped_and_scored(page: str) -> None:
    (proposal,) = [f["properties"] for f in geojson_layers(page)[5]["features"]]
    assert proposal["title"] == "Akimat site <A&B>"
    assert proposal["alone"] == "777"
    assert proposal["marginal"] == "55"
    assert proposal["greedy"] == "1"
    assert proposal["flags"] == "outside boundary; near river"
    assert "<A&B>" not in page  # only as \u003cA\u0026B\u003e inside the script


def test_legend_has_the_headline_numbers(page: str) -> None:
    match = re.search(r"div\.innerHTML = (\".*?\");\n", page)
    assert match
    legend = json.loads(match.group(1))
    assert "Almaty (synthetic)" in legend
    assert '<td>Residents</td><td class="n">7 000</td>' in legend
    assert '<td>Covered now</td><td class="n">1 234 (17.6%)</td>' in legend  # 1234/7000
    assert '<td>With the plan</td><td class="n">4 579 (65.4%)</td>' in legend  # 4579/7000
    assert '<td>Walking limit</td><td class="n">800 m (10 min)</td>' in legend
    assert '<td>OSM data date</td><td class="n">2012-06-01</td>' in legend
    assert "Service area: 5-min walk (400 m)" in legend


def test_map_is_offline_and_self_contained(page: str) -> None:
    assert not EXTERNAL.search(page)
    for host in CDN_HOSTS:
        assert host not in page
    assert "jquery" not in page.lower()
    assert "bootstrap" not in page.lower()
    assert "Leaflet 1.9.4" in page  # leaflet.js inlined
    assert ".leaflet-container" in page  # leaflet.css inlined
    assert "url(images/" not in page  # its images are data: URIs
    assert "data:image/png;base64," in page
    assert "sourceMappingURL" not in page
    # remaining URLs are links in attribution text and Leaflet's own code, never fetched
    urls = set(re.findall(r"https?://[\w./-]+", page))
    assert urls <= {
        "https://www.openstreetmap.org/copyright",
        "https://leafletjs.com",
        "http://www.w3.org/2000/svg",
        "https://bugs.chromium.org/p/chromium/issues/detail",
        "https://bugzilla.mozilla.org/show_bug.cgi",
    }


def test_osm_attribution_is_shown(page: str) -> None:
    assert "attributionControl.addAttribution(" in page
    assert "OpenStreetMap\\u003c/a\\u003e contributors" in page


def test_coordinates_are_rounded_to_6_decimals(page: str) -> None:
    for collection in re.findall(r"L\.geoJSON\((\{.*?\]\}), \{", page):
        assert not re.search(r"\d+\.\d{7,}", collection)


def test_inputs_are_not_mutated(layers: dict[str, Any]) -> None:
    before = {k: v.copy() for k, v in layers.items() if isinstance(v, gpd.GeoDataFrame)}
    coverage_map(**layers).get_root().render()
    for key, frame in before.items():
        assert_geodataframe_equal(layers[key], frame)
        assert layers[key].crs == UTM


def test_maps_do_not_share_state(layers: dict[str, Any]) -> None:
    default_js = list(folium.Map.default_js)
    default_css = list(folium.Map.default_css)
    ours = coverage_map(**layers)
    plain = folium.Map(tiles=None)
    assert folium.Map.default_js == default_js
    assert folium.Map.default_css == default_css
    # a plain folium map made afterwards keeps folium's CDN links ...
    assert "cdn.jsdelivr.net/npm/leaflet" in plain.get_root().render()
    # ... and ours stays offline, also when rendered twice
    ours.get_root().render()
    assert not EXTERNAL.search(ours.get_root().render())


def test_many_buildings_are_drawn_as_points(layers: dict[str, Any]) -> None:
    page = coverage_map(**layers, max_building_polygons=3).get_root().render()
    _, overlays = layer_control(page)
    assert f"{LAYER_BUILDINGS} (4, as points)" in overlays
    buildings = geojson_layers(page)[3]["features"]
    assert [f["geometry"]["type"] for f in buildings] == ["Point"] * 4


def test_optional_online_tiles_are_an_extra_base_layer(layers: dict[str, Any]) -> None:
    page = coverage_map(**layers, tiles="OpenStreetMap").get_root().render()
    base, _ = layer_control(page)
    assert base[0] == LAYER_STREETS
    assert len(base) == 2
    assert "tile.openstreetmap.org" in page  # a tile URL template, loaded only when chosen
    assert not EXTERNAL.search(page)


def test_single_layer_and_no_summary() -> None:
    stations = synthetic_layers()["stations"]
    page = coverage_map(stations=stations).get_root().render()
    _, overlays = layer_control(page)
    assert overlays == [f"{LAYER_STATIONS} (2, 1 unusable)"]
    assert "Covered now" not in page


def test_problems_are_collected_and_explained(layers: dict[str, Any]) -> None:
    with pytest.raises(InputError) as err:
        coverage_map(
            buildings=layers["buildings"].drop(columns="population"),
            proposed_sites=layers["proposed_sites"].set_crs(None, allow_override=True),
            service_areas=layers["service_areas"].assign(limit_m="800"),
        )
    message = str(err.value)
    assert "buildings lacks the column(s) 'population'" in message
    assert "proposed_sites has no CRS" in message
    assert "service_areas['limit_m'] holds" in message
    assert "such as '800', not numbers; convert it with pd.to_numeric" in message
    assert len(err.value.problems) == 3


def test_nothing_to_draw_is_an_error() -> None:
    with pytest.raises(InputError, match="nothing to draw"):
        coverage_map()


def test_save_map_writes_one_file(layers: dict[str, Any], tmp_path: Path) -> None:
    path = save_map(coverage_map(**layers), tmp_path / "out" / "map.html")
    assert path == tmp_path / "out" / "map.html"
    assert [p.name for p in path.parent.iterdir()] == ["map.html"]
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "Leaflet 1.9.4" in text


def test_save_map_refuses_cdn_plugins(layers: dict[str, Any], tmp_path: Path) -> None:
    m = coverage_map(**layers)
    folium.plugins.Fullscreen().add_to(m)  # loads its JS from a CDN
    with pytest.raises(PlannerError, match="would not work on a closed network"):
        save_map(m, tmp_path / "map.html")
    assert list(tmp_path.iterdir()) == []


def test_districts_layer_shares_now_and_after_with_its_own_legend(
    layers: dict[str, Any],
) -> None:
    from planner.maps import DISTRICT_COLORS, LAYER_DISTRICTS

    # two SYNTHETIC districts, west and east halves of the grid
    districts = gpd.GeoDataFrame(
        {
            "name": ["West", "East"],
            "residents_total": [1000.0, 400.0],
            "residents_covered": [500.0, 0.0],
            "share_covered": [0.5, 0.0],  # 500 / 1000; 0 / 400
            "residents_covered_after": [900.0, 100.0],
            "share_covered_after": [0.9, 0.25],
            "official_population": [1000.0, 400.0],
            "calibration_factor": [1.25, 80.0],
            "reliable": [True, False],
            "calibration_note": ["", "factor 80.00 is outside 0.33..3"],
        },
        geometry=[box(X0, Y0, X0 + 200, Y0 + 400), box(X0 + 200, Y0, X0 + 400, Y0 + 400)],
        crs=UTM,
    )
    districts.attrs["note"] = "Districts of 2024 over buildings of 2012 <old>"
    layers["proposed_sites"]["district"] = ["East", "West"]
    page = coverage_map(**layers, districts=districts).get_root().render()
    _, overlays = layer_control(page)
    assert LAYER_DISTRICTS in overlays
    found = [
        fc
        for fc in geojson_layers(page)
        if fc["features"] and "factor" in fc["features"][0]["properties"]
    ]
    assert len(found) == 1
    west, east = (f["properties"] for f in found[0]["features"])
    assert west["name"] == "West"
    assert west["now"] == "500 (50.0%)" and west["after"] == "900 (90.0%)"
    assert west["_fill"] == DISTRICT_COLORS[2]  # 50 % is in the class 40-60 %
    assert west["factor"] == "1.25" and west["note"] is None and west["_dash"] is None
    assert east["name"] == "East (numbers not reliable)"
    assert east["now"] == "0 (0.0%)" and east["after"] == "100 (25.0%)"
    assert east["_fill"] == DISTRICT_COLORS[0] and east["_dash"] == "6 4"
    assert east["official"] == "400" and east["note"] == "factor 80.00 is outside 0.33..3"
    assert '"Covered after the plan"' in page
    # the districts' own legend, with the note escaped
    assert "Districts of 2024 over buildings of 2012 \\u0026lt;old\\u0026gt;" in page
    assert "numbers not reliable (buildings incomplete)" in page
    # the district of every proposed site is in its popup
    sites = [
        fc
        for fc in geojson_layers(page)
        if fc["features"] and "cum" in fc["features"][0]["properties"]
    ]
    assert [f["properties"]["district"] for f in sites[0]["features"]] == ["West", "East"]
    assert '"District"' in page


def test_raster_cells_are_named_as_such_not_as_buildings(layers: dict[str, Any]) -> None:
    from planner.demand import RASTER_CELL_KIND

    buildings = layers["buildings"]
    buildings["demand_kind"] = ["building", "building", RASTER_CELL_KIND, "building", "building"]
    page = coverage_map(**layers).get_root().render()
    _, overlays = layer_control(page)
    # 4 uncovered rows, one of them a raster cell without a mapped building
    assert f"{LAYER_BUILDINGS} and raster cells without buildings (1) (4)" in overlays
    props = [f["properties"] for f in geojson_layers(page)[3]["features"]]
    assert [p["what"] for p in props] == ["building", "building", RASTER_CELL_KIND, "building"]
    assert '"Demand point"' in page


# --------------------------------------------------------------------------- "Try sites" panel


def synthetic_try_sites() -> Any:
    """A "Try sites" panel for the synthetic map (SYNTHETIC numbers, worked out by hand).

    Candidates c0 at (200, 200), c1 at (400, 200), c2 at (0, 400) m from the grid's corner;
    four uncovered buildings of 10, 20, 30 and 50 residents at the centres of the first four
    synthetic buildings; c0 reaches buildings 0 and 1, c1 buildings 1 and 2, c2 building 3.
    40 residents are covered today, of 150. Best plans: 1 site c1 (50), 2 sites c1 + c2 (100).
    """
    import scipy.sparse as sp

    from planner.try_sites import TrySites

    to_lonlat = pyproj.Transformer.from_crs(UTM, 4326, always_xy=True)
    sites = [(200, 200), (400, 200), (0, 400)]
    lon, lat = to_lonlat.transform([X0 + x for x, _ in sites], [Y0 + y for _, y in sites])
    homes = [(305 + 15 * i, 305) for i in range(4)]
    hlon, hlat = to_lonlat.transform([X0 + x for x, _ in homes], [Y0 + y for _, y in homes])
    sets = sp.csr_array(
        np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]], dtype=bool), dtype=bool
    )
    return TrySites(
        candidate_id=("c0", "c1", "c2"),
        name=("Abay <avenue>", None, "Dostyk"),
        kind=("site", "candidate", "proposal"),
        lon=np.array(lon),
        lat=np.array(lat),
        sets=sets,
        population=np.array([10.0, 20.0, 30.0, 50.0]),
        building_lon=np.array(hlon),
        building_lat=np.array(hlat),
        existing_population=40.0,
        total_population=150.0,
        max_walk_m=800.0,
        spacing_m=100.0,
        best_sites=(np.array([], int), np.array([1]), np.array([1, 2])),
        best_upper_bound=np.array([0.0, 50.0, 100.0]),
        default_size=2,
        n_candidates=3,
        context="plan",
    )


def test_try_sites_panel_is_inlined_with_its_data(layers: dict[str, Any]) -> None:
    ts = synthetic_try_sites()
    page = coverage_map(**layers, try_sites=ts).get_root().render()
    assert "function plannerTrySites(map, data)" in page  # the script, inlined
    assert ".planner-try {" in page  # its style
    found = re.search(r"plannerTrySites\((map_\w+), (\{.*?\})\);\n", page)
    assert found and found.group(1).startswith("map_")
    assert json.loads(found.group(2)) == json.loads(json.dumps(ts.payload()))
    assert "Abay \\u003cavenue\\u003e" in found.group(2)  # no markup inside the script
    assert not EXTERNAL.search(page)
    without = coverage_map(**layers).get_root().render()
    assert "plannerTrySites(map_" not in without


def fitted_bounds(page: str) -> list[list[float]]:
    found = re.search(r"map_\w+\.fitBounds\(\s*(\[\[.*?\]\])", page, re.S)
    assert found
    return json.loads(found.group(1))


def test_map_opens_fitted_to_the_residents(layers: dict[str, Any]) -> None:
    # the streets span 0..400 m; the residents' buildings 300..370 m east, 300..310 m north
    everything = fitted_bounds(coverage_map(**layers).get_root().render())
    residents = fitted_bounds(
        coverage_map(**layers, fit_to=layers["buildings"]).get_root().render()
    )
    to_lonlat = pyproj.Transformer.from_crs(UTM, 4326, always_xy=True)
    # points inside the footprints: their centres, 305 + 15 i m east, 305 m north
    lon, lat = to_lonlat.transform([X0 + 305 + 15 * i for i in range(5)], [Y0 + 305] * 5)
    west, south, east, north = min(lon), min(lat), max(lon), max(lat)
    assert residents[0] == pytest.approx([south, west], abs=2e-6)
    assert residents[1] == pytest.approx([north, east], abs=2e-6)
    assert everything[0][1] < west - 0.003  # the whole grid starts ~300 m further west


def test_fit_ignores_the_outermost_residents_of_a_big_city() -> None:
    # 1 000 buildings on a 100 m line and one 50 km away: the view keeps to the line
    points = [Point(X0 + 0.1 * i, Y0) for i in range(1000)] + [Point(X0 + 50_000, Y0)]
    homes = gpd.GeoDataFrame({"population": [1.0] * len(points)}, geometry=points, crs=UTM)
    bounds = fitted_bounds(coverage_map(buildings=homes, fit_to=homes).get_root().render())
    to_lonlat = pyproj.Transformer.from_crs(UTM, 4326, always_xy=True)
    east_of_line, _ = to_lonlat.transform(X0 + 101, Y0)
    assert bounds[1][1] < east_of_line


def test_districts_without_residents_are_not_shaded(layers: dict[str, Any]) -> None:
    """A unit's map shows its neighbours and the country around it, which hold none of its
    residents: they are outlined, not shaded as '0-20 %' covered."""
    from planner.maps.city import DISTRICT_COLORS

    districts = gpd.GeoDataFrame(
        {
            "name": ["Own", "Neighbour"],
            "residents_total": [1000.0, 0.0],
            "residents_covered": [100.0, 0.0],
            "share_covered": [0.1, 0.0],  # 100 / 1000; no residents: 0 by convention
        },
        geometry=[box(X0, Y0, X0 + 200, Y0 + 400), box(X0 + 200, Y0, X0 + 400, Y0 + 400)],
        crs=UTM,
    )
    page = coverage_map(**layers, districts=districts).get_root().render()
    found = [
        fc
        for fc in geojson_layers(page)
        if fc["features"] and fc["features"][0]["properties"].get("name") == "Own"
    ]
    own, neighbour = (f["properties"] for f in found[0]["features"])
    assert own["_fill"] == DISTRICT_COLORS[0]  # 10 % is in the class 0-20 %
    assert neighbour["_fill"] == "none"
    assert 'if (p._fill === "none") { s.fillOpacity = 0; }' in page
    assert "no residents in the study area" in page


def test_an_empty_band_of_service_area_is_not_news(caplog: pytest.LogCaptureFixture) -> None:
    """A national unit whose stations reach nobody within 5 minutes has an empty 5-minute band;
    the run printed "service_areas: 1 rows without geometry not drawn" for every such unit."""
    import logging

    import geopandas as gpd
    import shapely

    from planner.maps._leaflet import _prepare

    areas = gpd.GeoDataFrame(
        {"limit_m": [400.0, 800.0], "limit_min": [5.0, 10.0]},
        geometry=[shapely.Polygon(), shapely.box(0, 0, 100, 100)],
        crs=32643,
    )
    problems: list[str] = []
    with caplog.at_level(logging.WARNING):
        out = _prepare(areas, "service_areas", required=("limit_m",), numeric=(), problems=problems)
    assert out is not None and len(out) == 1 and problems == []
    assert caplog.text == ""
    areas.loc[0, "geometry"] = None  # a missing geometry is still said
    with caplog.at_level(logging.WARNING):
        _prepare(areas, "service_areas", required=("limit_m",), numeric=(), problems=problems)
    assert "service_areas: 1 rows without geometry not drawn" in caplog.text


# --- service vehicles (--vehicles) -----------------------------------------------------------


def synthetic_vehicle_areas() -> gpd.GeoDataFrame:
    """Two service vehicles, as planner.vehicles.VehiclePlan.drive_areas: one at Station Medeu
    (X0, Y0, i.e. 76.9 E, 43.25 N) reaching a 1 km square, one at a station known by its id
    only, 400 m north-east, reaching a smaller square."""
    to_lonlat = pyproj.Transformer.from_crs(UTM, 4326, always_xy=True)
    lon2, lat2 = to_lonlat.transform(X0 + 400, Y0 + 400)
    return gpd.GeoDataFrame(
        {
            "rank": [1, 2],
            "station_id": ["osm-1", "osm-7"],
            "name": ["Station Medeu", None],
            "drive_min": [5.0, 5.0],
            "residents_gained": [2345.4, 1111.0],  # 3 456 in all
            "area_km2": [1.0, 0.25],
            "base_lon": [76.9, lon2],
            "base_lat": [43.25, lat2],
        },
        geometry=[
            box(X0 - 500, Y0 - 500, X0 + 500, Y0 + 500),
            box(X0 + 150, Y0 + 150, X0 + 650, Y0 + 650),
        ],
        crs=UTM,
    )


def legend_html(page: str) -> str:
    match = re.search(r"div\.innerHTML = (\".*?\");\n", page)
    assert match
    return str(json.loads(match.group(1)))


def test_service_vehicles_are_one_layer_with_their_bases_and_a_legend_line(
    layers: dict[str, Any], tmp_path: Path
) -> None:
    layers["summary"]["vehicles"] = {"placed": 2, "vehicle_gain": 3456.4, "drive_min": 5.0}
    m = coverage_map(**layers, vehicle_areas=synthetic_vehicle_areas())
    page = save_map(m, tmp_path / "map.html").read_text(encoding="utf-8")
    _, overlays = layer_control(page)
    name = f"{LAYER_VEHICLES} (5 min)"
    assert name == "Service vehicles: bases and drive-time areas (5 min)"
    # drawn below the stations, so that their markers sit inside the rings
    assert overlays.index(name) < overlays.index(f"{LAYER_STATIONS} (2, 1 unusable)")
    titles = [str(c["features"][0]["properties"].get("title")) for c in geojson_layers(page)]
    (vehicles,) = [
        c for c, t in zip(geojson_layers(page), titles, strict=True) if t.startswith("Service vehi")
    ]
    kinds = [f["geometry"]["type"] for f in vehicles["features"]]
    assert kinds == ["Polygon", "Polygon", "Point", "Point"]  # two areas, then two bases
    first, _, base, _ = (f["properties"] for f in vehicles["features"])
    assert first["title"] == "Service vehicle at Station Medeu"
    assert first["gained"] == "2 345" and first["reach"] == "5 min" and first["rank"] == "1"
    assert first["area"] == "1.0 km\u00b2"
    assert "_fill" not in first  # the areas take the layer's fill
    assert vehicles["features"][1]["properties"]["title"] == "Service vehicle at osm-7"
    assert base["title"] == first["title"]
    assert base["_fill"] == base["_color"] == VEHICLE_BASE_COLOR
    assert vehicles["features"][2]["geometry"]["coordinates"] == [76.9, 43.25]
    assert f'"fillColor": "{VEHICLE_COLOR}"' in page
    legend = legend_html(page)
    assert (
        "Reached within 5 min by a service vehicle (2 placed, +3&nbsp;456 residents beyond a walk)"
        in legend
    )
    assert "Station with a service vehicle (ringed)" in legend


def test_vehicle_legend_numbers_from_the_areas_without_a_summary(layers: dict[str, Any]) -> None:
    del layers["summary"]
    page = coverage_map(**layers, vehicle_areas=synthetic_vehicle_areas()).get_root().render()
    # 2345.4 + 1111 = 3456.4 residents, 2 rows
    legend = legend_html(page)
    assert "by a service vehicle (2 placed, +3&nbsp;456 residents beyond a walk)" in legend


def test_without_vehicles_the_map_says_nothing_of_them(page: str) -> None:
    assert "service vehicle" not in page.lower()


def test_vehicle_areas_are_checked_with_the_other_layers(layers: dict[str, Any]) -> None:
    areas = synthetic_vehicle_areas().drop(columns="drive_min")
    areas["residents_gained"] = ["many", "few"]
    with pytest.raises(InputError) as info:
        coverage_map(**layers, vehicle_areas=areas)
    text = str(info.value)
    assert "vehicle_areas lacks the column(s) 'drive_min'" in text
