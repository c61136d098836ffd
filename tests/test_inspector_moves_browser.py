"""The inspector moves on the map, opened offline by a real headless Chromium (see
test_map_browser.py for what it needs). Data is SYNTHETIC."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from test_map_browser import OfflinePage, browser, offline  # noqa: F401  (the fixtures)
from test_maps import UTM, X0, Y0, synthetic_layers

from planner.inspector_moves import redistribute_inspectors
from planner.maps import coverage_map, save_map

pytestmark = pytest.mark.browser


def test_arrows_and_their_popup(offline: OfflinePage, tmp_path: Path) -> None:  # noqa: F811
    # two SYNTHETIC stations 400 m apart on a street: A has 2 above the norm, B lacks 3
    stations = gpd.GeoDataFrame(
        {
            "station_id": ["a", "b"],
            "name": ["Station <A>", "Station B"],
            "working": [True, True],
            "inspectors_now": [4.0, 0.0],
            "inspectors_needed": np.array([2, 3]),
        },
        geometry=gpd.points_from_xy([X0, X0 + 400], [Y0 + 200, Y0 + 200]),
        crs=UTM,
    )
    moves = redistribute_inspectors(stations)
    m = coverage_map(**synthetic_layers(), inspector_moves=moves.moves)
    path = save_map(m, tmp_path / "map.html")
    page = offline.page
    page.goto(path.resolve().as_uri())
    page.wait_for_function(f"window.L !== undefined && window.{m.get_name()} !== undefined")
    page.wait_for_selector(".leaflet-control-layers-overlays label")
    overlays = [
        t.strip() for t in page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    ]
    assert "Inspector moves (1)" in overlays
    arrow = page.locator('path[stroke="#6a3d9a"]')
    assert arrow.count() == 1
    arrow.dispatch_event("click")  # a real click could land beside the thin line
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert lines[0] == "2 inspectors"
    assert "From Station <A> [a]" in lines and "To Station B [b]" in lines
    assert "Distance 0.40 km (straight line)" in lines
    # switched off, the arrow goes
    page.locator(".leaflet-control-layers-overlays label", has_text="Inspector moves").click()
    assert page.locator('path[stroke="#6a3d9a"]').count() == 0
    assert offline.blocked == []
    assert offline.errors == []
