"""Inspector moves in a national run, on a SYNTHETIC country of grid cities."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest

from planner.cli import main
from planner.synthetic import synthetic_country


@pytest.fixture(scope="module")
def country(tmp_path_factory):
    """5 SYNTHETIC grid cities with 20 stations in all; made-up inspector counts."""
    c = synthetic_country(
        tmp_path_factory.mktemp("country"), n_cities=5, residents=30_000, stations=20, seed=7
    )
    stations = pd.read_csv(c.stations_path)
    stations["inspectors"] = [(7 * i) % 13 for i in range(len(stations))]  # SYNTHETIC counts
    path = c.stations_path.with_name("stations_with_inspectors.csv")
    stations.to_csv(path, index=False)
    return c, path, stations


def _run(country, out, *extra):  # type: ignore[no-untyped-def]
    c, path, _ = country
    code = main(
        ["national", "-q", "--osm", str(c.osm_path), "--units", str(c.units_path),
         "--stations", str(path), "--new-stations", "2", "--workers", "1",
         "--redistribute-inspectors", *extra, "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    return json.loads((out / "national.json").read_text())


def test_within_units(country, tmp_path, capsys):
    s = _run(country, tmp_path / "out")
    printed = capsys.readouterr().out
    block = s["inspector_redistribution"]
    units = block["units"]
    # every station of the file lies in one unit and counts there once (unusable ones, e.g. too
    # far from a street, take no part, as in the station review)
    stations = country[2]
    per_unit = {u["name"]: u for u in s["units"]}
    usable = sum(u["stations_usable"] for u in per_unit.values())
    assert block["stations_taking_part"] == usable == sum(u["stations"] for u in units)
    assert usable < len(stations)  # the check below then compares whole units only
    for u in units:
        whole = per_unit[u["unit"]]["stations_usable"] == per_unit[u["unit"]]["stations_total"]
        in_file = stations.loc[stations["unit"] == u["unit"], "inspectors"].sum()
        assert u["inspectors_now"] == in_file if whole else u["inspectors_now"] <= in_file
        # moves stay within the unit: all of its smaller side moves
        assert u["received"] == u["sent"] == min(u["surplus"], u["shortfall"])
        assert u["to_hire"] == u["shortfall"] - u["received"]
    assert block["shortfall"] == sum(u["shortfall"] for u in units)
    assert block["covered"] == sum(u["received"] for u in units)
    assert block["to_hire"] == block["shortfall"] - block["covered"]
    assert block["status"] == "optimal"
    assert all(m["from_unit"] == m["to_unit"] for m in block["move_list"])
    moves = gpd.read_file(tmp_path / "out" / "national.gpkg", layer="inspector_moves")
    assert len(moves) == block["moves"] and moves["count"].sum() == block["covered"]
    md = (tmp_path / "out" / "national.md").read_text()
    assert "## Redistributing inspectors" in md and "| to hire |" in md
    assert f"Inspector moves ({block['moves']})" in (tmp_path / "out" / "national.html").read_text()
    assert f"redistribution closes {block['covered']} of the {block['shortfall']}" in printed


def test_across_units_within_a_distance(country, tmp_path, capsys):
    # the SYNTHETIC cities lie within 2,000 km of each other: every pair is allowed
    s = _run(country, tmp_path / "out", "--max-move-km", "2000")
    capsys.readouterr()
    block = s["inspector_redistribution"]
    assert block["max_move_m"] == 2_000_000
    assert block["covered"] == min(block["surplus"], block["shortfall"])
    assert all(m["distance_m"] <= 2_000_000 for m in block["move_list"])
