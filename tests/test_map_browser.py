"""The map opened from disk by a real headless Chromium with the network switched off.

Needs Debian's ``chromium`` and Python ``playwright`` (``.ci/install-browser.sh`` installs both;
``playwright install`` is not used, it downloads a browser). Skipped, with the reason, when either
is missing. Data is SYNTHETIC (see test_maps.py).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_maps import synthetic_layers

from planner.maps import LAYER_BUILDINGS, LAYER_SITES, LAYER_STREETS, coverage_map, save_map

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="Python playwright is not installed; run .ci/install-browser.sh",
)


def _chromium() -> str | None:
    candidates = [os.environ.get("PLANNER_CHROMIUM"), "/usr/bin/chromium"]
    candidates += [shutil.which(name) for name in ("chromium", "chromium-browser")]
    return next((c for c in candidates if c and Path(c).is_file()), None)


CHROMIUM = _chromium()
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Chromium not found (apt-get install chromium, or set PLANNER_CHROMIUM)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


class OfflinePage:
    """A page that may only read ``file://`` URLs; records everything else it tried."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1200, "height": 800})
        self.context.set_offline(True)
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", self._request)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on(
            "console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None
        )

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("file://", "data:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def _request(self, request: Any) -> None:
        if not request.url.startswith(("file://", "data:")) and request.url not in self.blocked:
            self.blocked.append(request.url)


def click_for_popup(page: Any, locator: Any, *, tries: int = 4) -> None:
    """Click a marker until its popup opens: on a loaded machine the first click can land while
    the map is still settling after its first fit (seen once in 10 clean-clone runs: no popup
    in 30 s). Counted tries, each waiting at most 5 s; the last failure is raised."""
    popup = page.locator(".leaflet-popup-content")
    for attempt in range(tries):
        locator.click()
        try:
            popup.first.wait_for(state="visible", timeout=5_000)
            return
        except Exception:
            if attempt == tries - 1:
                raise


@pytest.fixture
def offline(browser: Any) -> Iterator[OfflinePage]:
    page = OfflinePage(browser)
    yield page
    page.context.close()


def test_map_opens_offline_and_works(offline: OfflinePage, tmp_path: Path) -> None:
    m = coverage_map(**synthetic_layers())
    path = save_map(m, tmp_path / "map.html")
    page = offline.page
    page.goto(path.resolve().as_uri())
    page.wait_for_function(f"window.L !== undefined && window.{m.get_name()} !== undefined")
    page.wait_for_selector(".planner-rank")

    assert page.evaluate("L.version") == "1.9.4"
    # clickable features: 4 buildings and 2 stations (SVG paths), 2 sites and 1 proposal (icons);
    # streets and service areas are not interactive
    assert page.locator("path.leaflet-interactive").count() == 6
    assert page.locator(".leaflet-marker-icon.leaflet-interactive").count() == 3
    # + streets + two service areas
    assert page.locator(".leaflet-overlay-pane path").count() == 6 + 1 + 2

    base = page.locator(".leaflet-control-layers-base label").all_inner_texts()
    overlays = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [t.strip() for t in base] == [LAYER_STREETS]
    assert len(overlays) == 6
    assert f"{LAYER_SITES} (2)" in [t.strip() for t in overlays]

    legend = page.locator(".planner-legend").inner_text()
    assert "1 234 (17.6%)" in legend
    assert "4 579 (65.4%)" in legend
    attribution = page.locator(".leaflet-control-attribution").inner_text()
    assert attribution == "Leaflet | © OpenStreetMap contributors"
    (scale,) = page.locator(".leaflet-control-scale-line").all_inner_texts()  # metric only
    assert re.fullmatch(r"\d+ k?m", scale)

    click_for_popup(page, page.locator(".planner-rank", has_text=re.compile(r"^1$")))
    page.wait_for_function(
        "(() => { const p = document.querySelector('.leaflet-popup');"
        " return p !== null && getComputedStyle(p).opacity === '1'; })()"
    )
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert "Proposed site 1" in popup
    assert re.search(r"Residents newly covered\s+2 345", popup)
    assert re.search(r"Newly covered by sites 1 to this\s+2 345", popup)
    assert re.search(r"Share of residents covered then\s+51.1%", popup)

    page.screenshot(path=str(tmp_path / "map.png"))
    if os.environ.get("PLANNER_SCREENSHOT_DIR"):  # to look at it when developing
        shutil.copy(tmp_path / "map.png", Path(os.environ["PLANNER_SCREENSHOT_DIR"]) / "map.png")
    assert (tmp_path / "map.png").stat().st_size > 10_000

    # switching the buildings layer off removes their four paths
    page.locator(".leaflet-control-layers-overlays label", has_text=LAYER_BUILDINGS).click()
    assert page.locator("path.leaflet-interactive").count() == 2

    assert offline.blocked == []
    assert offline.errors == []


def test_escaped_names_stay_text(offline: OfflinePage, tmp_path: Path) -> None:
    m = coverage_map(**synthetic_layers())
    path = save_map(m, tmp_path / "map.html")
    page = offline.page
    page.goto(path.resolve().as_uri())
    page.wait_for_selector(".planner-proposal")
    click_for_popup(page, page.locator(".planner-proposal"))
    popup = page.locator(".leaflet-popup-content")
    assert "Akimat site <A&B>" in popup.inner_text()  # shown as text, not parsed as HTML
    assert popup.locator("a, b").count() == 0
    assert "outside boundary; near river" in popup.inner_text()
    assert offline.blocked == []
    assert offline.errors == []


def test_map_of_a_real_plan_run(offline: OfflinePage, tmp_path: Path) -> None:
    # the map the command line writes for real data (Bishkek 2025, 2 new sites), opened offline
    import json

    from planner import cli

    data = Path(__file__).resolve().parents[1] / "data" / "bishkek_2025_center.osm.gz"
    out = tmp_path / "out"
    assert (
        cli.main(
            [
                "plan",
                "--osm",
                str(data),
                "--n-sites",
                "2",
                "--spacing-m",
                "200",
                "--out",
                str(out),
                "-q",
            ]
        )
        == 0
    )
    summary = json.loads((out / "summary.json").read_text())
    page = offline.page
    page.goto((out / "map.html").resolve().as_uri())
    page.wait_for_selector(".planner-rank")
    assert page.locator(".planner-rank").count() == 2
    # two usable district stations and two traffic police offices (drawn as unusable)
    overlays = [
        t.strip() for t in page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    ]
    assert any(t.startswith("Existing police stations (4, 2 unusable)") for t in overlays)
    click_for_popup(page, page.locator(".planner-rank", has_text=re.compile(r"^1$")))
    page.wait_for_function(
        "(() => { const p = document.querySelector('.leaflet-popup');"
        " return p !== null && getComputedStyle(p).opacity === '1'; })()"
    )
    popup = page.locator(".leaflet-popup-content").inner_text()
    first = summary["plan"]["sites"][0]
    assert "Proposed site 1" in popup
    assert f"{first['marginal_population']:,.0f}".replace(",", " ") in popup
    page.screenshot(path=str(tmp_path / "real.png"))
    if os.environ.get("PLANNER_SCREENSHOT_DIR"):
        shutil.copy(tmp_path / "real.png", Path(os.environ["PLANNER_SCREENSHOT_DIR"]) / "real.png")
    assert offline.blocked == []
    assert offline.errors == []


def test_demo_map_shows_the_districts(offline: OfflinePage, tmp_path: Path) -> None:
    # `planner demo` with per-district calibration: the real 2024 districts over the 2012 map
    import json

    from planner import cli
    from planner.maps import LAYER_DISTRICTS

    out = tmp_path / "demo"
    args = ["demo", "--n-sites", "2", "--time-limit-s", "5", "--out", str(out), "-q"]
    assert cli.main([*args, "--district-population-column", "population"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    page = offline.page
    page.goto((out / "map.html").resolve().as_uri())
    page.wait_for_selector(".planner-rank")
    overlays = [
        t.strip() for t in page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    ]
    assert LAYER_DISTRICTS in overlays
    legends = page.locator(".planner-legend").all_inner_texts()
    districts_legend = next(t for t in legends if t.startswith("Districts"))
    assert "2024" in districts_legend and "2012" in districts_legend
    assert "numbers not reliable" in districts_legend
    # open Nauryzbay's popup through Leaflet (its polygon lies under buildings and streets)
    text = page.evaluate(
        """() => {
            let found = null;
            for (const key of Object.keys(window)) {
                const m = window[key];
                if (!(m instanceof L.Map)) continue;
                m.eachLayer(l => {
                    const p = l.feature && l.feature.properties;
                    if (p && p.name && p.name.startsWith('Nauryzbay') && p.factor) {
                        l.openPopup(); found = true;
                    }
                });
            }
            return found ? document.querySelector('.leaflet-popup-content').innerText : null;
        }"""
    )
    row = next(r for r in summary["coverage_by_district"] if r["district"] == "Nauryzbay")
    assert text is not None
    assert "Nauryzbay (numbers not reliable)" in text
    assert f"{row['calibration_factor']:.2f}" in text
    assert "Covered after the plan" in text
    # a click on a clickable site lying over a district picks the site (Leaflet stops the map
    # click under an area with a popup: the panel takes it from the popup instead) and the
    # district's popup gives way
    page.evaluate("() => { plannerTrySites.map.closePopup(); }")
    site = next(
        c for c in page.evaluate("plannerTrySites.candidates()") if c["kind"] == "candidate"
    )
    x, y = centre_on(page, site["lat"], site["lon"])
    page.mouse.click(x, y)
    assert page.evaluate("plannerTrySites.selection()") == [site["id"]]
    assert panel(page, "msg").startswith("Added ")
    page.wait_for_timeout(400)  # Leaflet fades a closed popup out for 200 ms
    assert page.locator(".leaflet-popup").count() == 0


# --------------------------------------------------------------------------- "Try sites" panel


def centre_on(page: Any, lat: float, lon: float, zoom: float = 18) -> tuple[float, float]:
    """Centre the map on a point at ``zoom``; the point's position in the page, in pixels."""
    page.evaluate(
        "([lat, lon, zoom]) => {"
        " plannerTrySites.map.setView([lat, lon], zoom, {animate: false}); }",
        [lat, lon, zoom],
    )
    page.wait_for_timeout(150)  # the canvas redraws on the next frame
    x, y = page.evaluate(
        """([lat, lon]) => {
            var m = plannerTrySites.map, p = m.latLngToContainerPoint([lat, lon]);
            var r = m.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }""",
        [lat, lon],
    )
    return x, y


def panel(page: Any, key: str) -> str:
    return page.locator(f'.planner-try [data-try="{key}"]').inner_text().strip()


def test_try_sites_panel_by_hand(offline: OfflinePage, tmp_path: Path) -> None:
    from test_maps import synthetic_try_sites

    ts = synthetic_try_sites()
    path = save_map(coverage_map(**synthetic_layers(), try_sites=ts), tmp_path / "map.html")
    page = offline.page
    page.goto(path.resolve().as_uri())
    page.wait_for_function("window.plannerTrySites !== undefined")
    cands = page.evaluate("plannerTrySites.candidates()")
    assert [c["id"] for c in cands] == ["c0", "c1", "c2"]
    assert cands[0]["name"] == "Abay <avenue>" and cands[1]["name"] is None
    assert cands[2]["lon"] == pytest.approx(ts.lon[2], abs=1e-8)
    assert panel(page, "count") == "0"
    assert panel(page, "before") == "40 (26.7%)"  # 40 of 150
    assert panel(page, "best") == "Best plan of 2 sites"  # nothing selected: the run's size

    # a click on site c0 adds it: buildings 0 and 1, 10 + 20 = 30; 40 + 30 = 70 of 150
    page.mouse.click(*centre_on(page, ts.lat[0], ts.lon[0]))
    assert page.evaluate("plannerTrySites.selection()") == ["c0"]
    assert panel(page, "newly") == "30"
    assert panel(page, "after") == "70 (46.7%)"
    # a click on the street ~17 m east of c1 (40 px at zoom 18) picks c1: buildings 0, 1, 2
    x, y = centre_on(page, ts.lat[1], ts.lon[1])
    page.mouse.click(x + 40, y)
    assert page.evaluate("plannerTrySites.selection()") == ["c0", "c1"]
    # (whole pixels: 17 or 18 m)
    assert re.fullmatch(r"Added c1 \(1[78] m from the click\)\.", panel(page, "msg"))
    assert panel(page, "newly") == "60"
    assert panel(page, "after") == "100 (66.7%)"
    # c0 alone 30, only it reaches building 0 (10); c1 alone 20 + 30 = 50, only it building 2
    rows = page.locator('.planner-try [data-try="sites"] tr').all_inner_texts()
    assert [r.split("\t") for r in rows] == [
        ["Abay <avenue>", "30", "10", "×"],
        ["c1", "50", "30", "×"],
    ]
    assert page.evaluate("plannerTrySites.highlighted()") == 3
    assert page.evaluate("plannerTrySites.timing.lastClickMs") >= 0  # speed: benchmarks/
    # 300 px (~130 m) east of c1 no site is within the 100 m spacing: nothing changes
    page.mouse.click(x + 300, y)
    assert panel(page, "msg").startswith(
        "No clickable site within 100 m of this point (the nearest is 13"
    )  # 300 px = 130.5 m
    assert page.evaluate("plannerTrySites.selection()") == ["c0", "c1"]
    # the x in the list removes a site
    page.locator('.planner-try [data-row="0"]').click()
    assert page.evaluate("plannerTrySites.selection()") == ["c1"]
    assert panel(page, "newly") == "50"

    # the plan's site 1 marker hides c1: its popup has the button instead
    page.evaluate("plannerTrySites.map.closePopup()")
    page.locator(".planner-rank", has_text=re.compile(r"^1$")).click()
    page.locator('.leaflet-popup [data-try="popup"]').click()
    assert page.evaluate("plannerTrySites.selection()") == []
    page.locator(".planner-rank", has_text=re.compile(r"^1$")).click()
    assert page.locator('.leaflet-popup [data-try="popup"]').inner_text() == (
        "Add to my plan (Try sites)"
    )
    page.locator('.leaflet-popup [data-try="popup"]').click()
    assert page.evaluate("plannerTrySites.selection()") == ["c1"]
    centre_on(page, ts.lat[0], ts.lon[0], zoom=16)  # the whole grid in view
    page.locator(".planner-proposal").click()  # the proposal is no clickable site: no button
    assert page.locator(".leaflet-popup").count() == 1
    assert page.locator('.leaflet-popup [data-try="popup"]').count() == 0

    page.locator('.planner-try [data-try="clear"]').click()
    assert panel(page, "count") == "0" and panel(page, "newly") == "0"
    assert page.evaluate("plannerTrySites.highlighted()") == 0
    # best plan of 2 sites: c1 + c2 = 50 + 50 = 100, equal to its bound: proven
    page.locator('.planner-try [data-try="best"]').click()
    assert page.evaluate("plannerTrySites.selection()") == ["c1", "c2"]
    assert panel(page, "after") == "140 (93.3%)"
    assert "proven the most any 2 sites can cover" in panel(page, "msg")

    out = page.evaluate("plannerTrySites.select(['c2', 'c0'])")
    assert out == {
        "newly_covered": 80,
        "covered_after": 120,
        "share_after": 0.8,
        "sites": [
            {"id": "c2", "alone": 50, "marginal": 50},
            {"id": "c0", "alone": 30, "marginal": 30},
        ],
    }
    assert out == ts.evaluate(["c2", "c0"])

    with page.expect_download() as download:
        page.locator('.planner-try [data-try="save"]').click()
    saved = tmp_path / "my_sites.csv"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "my_sites.csv"
    assert saved.read_text().splitlines() == [
        "name,lat,lon,site_id,alone_residents,marginal_residents",
        f"Dostyk,{ts.lat[2]:.8f},{ts.lon[2]:.8f},c2,50.0,50.0",
        f"Abay <avenue>,{ts.lat[0]:.8f},{ts.lon[0]:.8f},c0,30.0,30.0",
    ]
    assert offline.blocked == []
    assert offline.errors == []
    with pytest.raises(sync_api.Error, match="not clickable sites of this map: nope"):
        page.evaluate("plannerTrySites.select(['nope'])")


def test_try_sites_on_a_real_plan_equal_planner_evaluate(
    offline: OfflinePage, tmp_path: Path
) -> None:
    # Bishkek 2025, 2 new sites: the panel against evaluate_sites and `planner evaluate`
    import json

    import geopandas as gpd

    from planner import cli
    from planner.maps.city import _view_bounds
    from planner.pipeline import assess_coverage, evaluate_sites, load_city

    data = Path(__file__).resolve().parents[1] / "data" / "bishkek_2025_center.osm.gz"
    out = tmp_path / "plan"
    common = ["--osm", str(data), "--spacing-m", "200", "-q"]
    assert cli.main(["plan", "--n-sites", "2", "--out", str(out), *common]) == 0
    summary = json.loads((out / "summary.json").read_text())
    page = offline.page
    page.goto((out / "map.html").resolve().as_uri())
    page.wait_for_function("window.plannerTrySites !== undefined")

    city = load_city(data)
    coverage = assess_coverage(city)
    assert coverage.settings.max_walk_m == summary["parameters"]["max_walk_m"]
    # the map opens on the residents
    west, south, east, north = _view_bounds(coverage.buildings)
    view = page.evaluate("plannerTrySites.map.getBounds().toBBoxString()").split(",")
    v_west, v_south, v_east, v_north = map(float, view)
    assert v_west <= west and v_south <= south and v_east >= east and v_north >= north

    # two sites clicked, one picked by a click on the street next to it
    cands = page.evaluate("plannerTrySites.candidates()")
    by_id = {c["id"]: c for c in cands}
    clicks_ms = []
    for k, c in enumerate([cands[0], cands[5], cands[10]]):
        x, y = centre_on(page, c["lat"], c["lon"])
        page.mouse.click(x + (40 if k == 2 else 0), y)
        assert len(page.evaluate("plannerTrySites.selection()")) == k + 1
        clicks_ms.append(page.evaluate("plannerTrySites.timing.lastClickMs"))
    assert all(ms is not None for ms in clicks_ms)  # each click was handled (speed: benchmarks/)
    chosen = page.evaluate("plannerTrySites.selection()")
    shown = page.evaluate("plannerTrySites.numbers()")
    assert panel(page, "newly") == f"{shown['newly_covered']:,.0f}".replace(",", " ")

    # evaluate_sites on the same three points (as a proposals file would give them)
    points = gpd.GeoSeries.from_xy(
        [by_id[i]["lon"] for i in chosen], [by_id[i]["lat"] for i in chosen], crs=4326
    ).to_crs(city.network.crs)
    proposals = gpd.GeoDataFrame(
        {
            "candidate_id": [f"proposal:{i + 1}" for i in range(3)],
            "source": "proposal",
            "name": chosen,
            "row": [1, 2, 3],
        },
        geometry=points.to_numpy(),
        crs=city.network.crs,
    )
    ev = evaluate_sites(city, coverage, proposals, spacing_m=200.0)
    assert shown["newly_covered"] == pytest.approx(ev.evaluation.list_population, abs=1e-6)
    assert [s["alone"] for s in shown["sites"]] == pytest.approx(
        ev.proposals["alone_population"].tolist(), abs=1e-6
    )
    assert [s["marginal"] for s in shown["sites"]] == pytest.approx(
        ev.proposals["marginal_population"].tolist(), abs=1e-6
    )

    # saved as CSV, read back by `planner evaluate`: its list_residents, to the whole resident
    with page.expect_download() as download:
        page.locator('.planner-try [data-try="save"]').click()
    saved = tmp_path / "my_sites.csv"
    download.value.save_as(saved)
    evaluated = tmp_path / "evaluate"
    assert cli.main(["evaluate", "--proposals", str(saved), "--out", str(evaluated), *common]) == 0
    checked = json.loads((evaluated / "summary.json").read_text())["evaluation"]
    assert checked["proposals"] == 3 and checked["flagged"] == []
    assert round(checked["list_residents"]) == round(shown["newly_covered"])
    assert checked["list_residents"] == pytest.approx(shown["newly_covered"], abs=1e-6)
    # the evaluate map: its proposals are clickable, its best plan is evaluate's
    other = offline.context.new_page()
    other.goto((evaluated / "map.html").resolve().as_uri())
    other.wait_for_function("window.plannerTrySites !== undefined")
    proposals = [
        c["id"] for c in other.evaluate("plannerTrySites.candidates()") if c["kind"] == "proposal"
    ]
    assert len(proposals) == 3 and all(p.startswith("proposal:") for p in proposals)
    again = other.evaluate("ids => plannerTrySites.select(ids)", proposals)
    assert again["newly_covered"] == pytest.approx(checked["list_residents"], abs=1e-6)
    assert panel(other, "best") == "Best plan of 3 sites"
    other.evaluate("plannerTrySites.select([])")
    best_three = other.evaluate("plannerTrySites.loadBest()")
    assert best_three["newly_covered"] == pytest.approx(
        checked["best_residents_same_size"], abs=1e-6
    )
    other.close()

    # clear, then the best plan of the run's size: the plan's own numbers
    page.locator('.planner-try [data-try="clear"]').click()
    assert panel(page, "newly") == "0"
    page.locator('.planner-try [data-try="best"]').click()
    best = page.evaluate("plannerTrySites.numbers()")
    plan = summary["plan"]
    assert sorted(page.evaluate("plannerTrySites.selection()")) == sorted(
        s["candidate_id"] for s in plan["sites"]
    )
    assert best["newly_covered"] == pytest.approx(plan["newly_covered"], abs=1e-6)
    assert best["covered_after"] == pytest.approx(plan["residents_covered_after"], abs=1e-6)
    assert panel(page, "after").startswith(
        f"{plan['residents_covered_after']:,.0f}".replace(",", " ")
    )
    assert offline.blocked == []
    assert offline.errors == []


def test_vehicle_layer_in_a_real_run(offline: OfflinePage, tmp_path: Path) -> None:
    # coverage --vehicles on Bishkek: the drive-time areas and the ringed bases are one layer of
    # the map, drawn offline, and the legend says what they are
    import json

    from planner import cli
    from planner.maps import LAYER_VEHICLES, VEHICLE_BASE_COLOR, VEHICLE_COLOR

    data = Path(__file__).resolve().parents[1] / "data" / "bishkek_2025_center.osm.gz"
    out = tmp_path / "out"
    args = ["coverage", "--osm", str(data), "--vehicles", "2", "--drive-min", "2"]
    assert cli.main([*args, "--out", str(out), "-q"]) == 0
    placed = json.loads((out / "summary.json").read_text())["vehicles"]["placed"]
    assert placed >= 1
    page = offline.page
    page.goto((out / "map.html").resolve().as_uri())
    page.wait_for_selector(".leaflet-control-layers-overlays", state="attached")
    assert offline.errors == []
    overlays = [
        t.strip() for t in page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    ]
    assert f"{LAYER_VEHICLES} (2 min)" in overlays
    # one filled area per station with a vehicle, in the car areas' green, and one ring
    assert page.locator(f"path.leaflet-interactive[fill='{VEHICLE_COLOR}']").count() == placed
    rings = page.locator(f"path.leaflet-interactive[fill='{VEHICLE_BASE_COLOR}']")
    assert rings.count() == placed
    legend = page.locator(".planner-legend").inner_text()
    assert "Reached within 2 min by a service vehicle" in legend
    assert "Station with a service vehicle (ringed)" in legend
    # switched off, the layer takes both areas and rings away
    page.locator(".leaflet-control-layers-overlays label", has_text=LAYER_VEHICLES).click()
    assert page.locator(f"path.leaflet-interactive[fill='{VEHICLE_BASE_COLOR}']").count() == 0
    assert page.locator(f"path.leaflet-interactive[fill='{VEHICLE_COLOR}']").count() == 0
    assert offline.blocked == []
    assert offline.errors == []
