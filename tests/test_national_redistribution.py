"""Inspector moves in a national run, on a SYNTHETIC country of grid cities."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from planner.cli import main
from planner.inspector_moves import STATION_COLUMNS, national_redistribution
from planner.national import NationalOptions, UnitOutcome
from planner.national.run import _count_stations_once, _redistribute
from planner.national.units import Unit
from planner.outputs import redistribution_lines
from planner.report import redistribution_dict
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
    # the moves count the stations as the national totals do (each in one unit, once)
    assert block["shortfall"] == s["inspectors"]["missing"] == sum(
        u["inspectors_missing"] or 0 for u in s["units"]
    )
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


def test_a_station_counts_in_its_home_unit_by_hand():
    """Two SYNTHETIC units side by side on the equator, 0.015 degrees (1.67 km) wide. s1 (5
    inspectors) lies in A and serves 4,000 residents of A and 2,000 of B: it counts in A once,
    needing ceil(6,000 / 3,000) = 2, so 3 above the norm. s2 in A has 0 and needs 2; s3 in B
    has 1 and needs 3. Within units s1 gives 2 to s2; within 2.5 km it gives its third to s3."""
    a = shapely.box(0.0, 0.0, 0.015, 0.01)
    b = shapely.box(0.015, 0.0, 0.03, 0.01)
    units = [Unit("A", "a", "row", a, a.buffer(0.01)), Unit("B", "b", "row", b, b.buffer(0.01))]
    outcomes = (
        UnitOutcome(
            "A", "a", "ok",
            station_records=(("s1", 0.005, 0.005, 4000.0, 5.0), ("s2", 0.01, 0.005, 6000.0, 0.0)),
            station_names=("One", None),
        ),
        UnitOutcome(
            "B", "b", "ok",
            station_records=(("s1", 0.005, 0.005, 2000.0, 5.0), ("s3", 0.02, 0.005, 9000.0, 1.0)),
            station_names=("One", "Three"),
        ),
    )  # fmt: skip
    options = NationalOptions(redistribute_inspectors=True, residents_per_inspector=3000.0)
    counted = _count_stations_once(outcomes, units, 3000.0)
    block = redistribution_dict(_redistribute(counted, units, options))
    # the moves count stations as the national totals do
    assert block["shortfall"] == sum(u.inspectors_missing for u in counted) == 4
    assert (block["stations_taking_part"], block["stations_in_several_units"]) == (3, 1)
    a_row, b_row = block["units"]
    assert a_row == {
        "unit": "A", "stations": 2, "inspectors_now": 5, "inspectors_needed": 4, "shortfall": 2,
        "surplus": 3, "received": 2, "sent": 2, "to_hire": 0,
    }  # fmt: skip
    assert (b_row["unit"], b_row["shortfall"], b_row["received"], b_row["to_hire"]) == (
        "B", 2, 0, 2,
    )  # fmt: skip
    assert [
        (m["from_unit"], m["from_station_id"], m["from_name"], m["to_station_id"], m["count"])
        for m in block["move_list"]
    ] == [("A", "s1", "One", "s2", 2)]
    # across units within 2.5 km: s1 gives its third inspector to s3 (1.67 km) too
    across = NationalOptions(
        redistribute_inspectors=True, residents_per_inspector=3000.0, max_move_m=2500.0
    )
    block = redistribution_dict(_redistribute(counted, units, across))
    assert (block["covered"], block["to_hire"], block["moves"]) == (3, 1, 2)
    text = "\n".join(redistribution_lines(block, gpkg="national.gpkg"))
    assert "| B | 1 | 1 | 3 | 2 | 0 | 1 | 0 | 1 |" in text
    assert "across unit borders too" in text


def test_no_count_anywhere_is_nothing_to_redistribute():
    empty = pd.DataFrame(columns=list(STATION_COLUMNS))
    block = redistribution_dict(national_redistribution(empty, units=["a"]))
    assert (block["shortfall"], block["moves"], block["units"]) == (0, 0, [])
    assert "nothing to redistribute" in "\n".join(redistribution_lines(block))


def test_max_move_only_with_redistribution():
    with pytest.raises(Exception, match="max_move_m works with redistribute_inspectors"):
        NationalOptions(max_move_m=5000.0)
    with pytest.raises(Exception, match="max_move_m=-1"):
        NationalOptions(redistribute_inspectors=True, max_move_m=-1.0)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--redistribute-inspectors", "--max-move-km", "0"],
            "--max-move-km 0: must be a number > 0",
        ),
        (["--max-move-km", "3"], "--max-move-km works with --redistribute-inspectors"),
    ],
)
def test_cli_refuses_bad_move_options_before_reading(tmp_path, capsys, options, message):
    missing = tmp_path / "nowhere.osm.pbf"  # never read: the options are checked first
    code = main(
        ["national", "--osm", str(missing), "--admin-level", "8", *options,
         "--out", str(tmp_path / "o")]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err
