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

    page.locator(".planner-rank", has_text=re.compile(r"^1$")).click()
    page.wait_for_function(
        "getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
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
    page.locator(".planner-proposal").click()
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
    page.locator(".planner-rank", has_text=re.compile(r"^1$")).click()
    page.wait_for_function(
        "getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
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
    assert offline.blocked == []
    assert offline.errors == []
