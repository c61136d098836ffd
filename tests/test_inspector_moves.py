"""Inspector moves on stations (planner.inspector_moves): the layer, memo, map and the CLI
(the summary block is planner.report's, the memo section planner.outputs', the arrows
planner.maps.city's)."""

from __future__ import annotations

import json
import math

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from planner.cli import main
from planner.errors import InputError
from planner.inspector_moves import redistribute_inspectors
from planner.maps import coverage_map
from planner.maps.city import inspector_moves_layer
from planner.outputs import redistribution_headline as headline
from planner.outputs import redistribution_lines as memo_lines
from planner.report import redistribution_dict
from tests.conftest import ALMATY, DATA

ILLUSTRATIVE = DATA / "almaty_stations_illustrative.csv"
STEP_M = 6_371_008.8 * math.pi / 18000  # 0.01 degree of longitude on the equator


def _stations(now, needed, working=None, unit=None):
    # SYNTHETIC stations on the equator, 0.01 degree apart
    n = len(now)
    frame = gpd.GeoDataFrame(
        {
            "station_id": [f"s{i}" for i in range(n)],
            "name": [f"Station {i}" for i in range(n)],
            "working": [True] * n if working is None else working,
            "inspectors_now": np.asarray(now, dtype=float),
            "inspectors_needed": needed,
        },
        geometry=gpd.points_from_xy(0.01 * np.arange(n), np.zeros(n)),
        crs=4326,
    )
    if unit is not None:
        frame["unit"] = unit
    return frame


def test_moves_layer_by_hand():
    # s0 +3, s1 -1, s2 -2 (s3 is closed: its 4 inspectors take no part; s4 has no count)
    st = _stations([5, 1, 0, 4, np.nan], [2, 2, 2, 0, 3], working=[True, True, True, False, True])
    mv = redistribute_inspectors(st)
    frame = mv.moves
    assert frame[["from_station_id", "to_station_id", "count"]].to_numpy().tolist() == [
        ["s0", "s2", 2],
        ["s0", "s1", 1],
    ]  # the larger move first
    assert frame["distance_m"].tolist() == pytest.approx([2 * STEP_M, STEP_M], abs=0.05)
    assert frame.geometry.iloc[0].coords[:] == [(0.0, 0.0), (0.02, 0.0)]
    assert (mv.stations_taking_part, mv.stations_without_count) == (3, 1)
    block = redistribution_dict(mv)
    assert (block["shortfall"], block["covered"], block["to_hire"], block["moves"]) == (3, 3, 0, 2)
    assert block["total_distance_m"] == pytest.approx((2 * 2 + 1) * STEP_M, abs=0.1)
    assert block["status"] == "optimal"


def test_units_and_distance_limit():
    st = _stations([3, 0, 3, 0], [1, 2, 1, 2], unit=["a", "b", "b", "a"])
    # within units: s0 -> s3 (3 steps), s2 -> s1 (1 step)
    mv = redistribute_inspectors(st, unit_column="unit")
    assert mv.moves[["from_station_id", "to_station_id"]].to_numpy().tolist() == [
        ["s2", "s1"],
        ["s0", "s3"],
    ]
    # within 1.5 km (one step, across units): s0 reaches only s1, s2 reaches s1 and s3; all 4
    # are covered with 2 moves only as s0 -> s1 2 and s2 -> s3 2
    mv = redistribute_inspectors(st, unit_column="unit", max_move_m=1500)
    assert mv.moves[["from_station_id", "to_station_id", "count"]].to_numpy().tolist() == [
        ["s0", "s1", 2],
        ["s2", "s3", 2],
    ]


def test_refusals():
    with pytest.raises(InputError, match="needs the number of inspectors"):
        redistribute_inspectors(_stations([np.nan, np.nan], [1, 1]))
    with pytest.raises(InputError, match=r"max_move_m=-5.0 must be a number of metres > 0"):
        redistribute_inspectors(_stations([1, 0], [0, 1]), max_move_m=-5.0)


def test_memo_and_map():
    mv = redistribute_inspectors(_stations([3, 0, 0], [1, 1, 2]))
    block = redistribution_dict(mv)
    assert headline(block).startswith("redistribution closes 2 of the 3 shortfall; 1 must be hired")
    text = "\n".join(memo_lines(block))
    assert "## Redistributing inspectors" in text
    assert "Redistribution closes 2 of the 3 shortfall; 1 must be hired" in text
    assert "| Station 0 [s0] | Station 2 [s2] | 2 | 2.22 km |" in text
    assert memo_lines(None) == []
    st = _stations([3, 0, 0], [1, 1, 2])
    m = coverage_map(stations=st, inspector_moves=mv.moves)
    page = m.get_root().render()
    layer = next(
        c for c in m._children.values() if getattr(c, "layer_name", "").startswith("Inspector")
    )
    control = next(c for c in m._children.values() if isinstance(c, folium.LayerControl))
    assert page.index(f"var {layer.get_name()} =") < page.index(f"var {control.get_name()}_layers")
    assert '"Inspector moves (1)"' in page
    # the popup's texts are data (escaped in the page), built into HTML by plannerTable
    assert '"title":"2 inspectors","from":"Station 0 [s0]","to":"Station 2 [s2]"' in page
    assert '"distance":"2.22 km (straight line)","_weight":4' in page
    assert "Inspector move: from a station above the norm" in page  # the legend
    assert inspector_moves_layer(mv.moves.iloc[:0]) is None


def test_cli_with_the_illustrative_file(tmp_path, capsys):
    # data/almaty_stations_illustrative.csv: every inspector number is made up (illustrative)
    out = tmp_path / "out"
    code = main(
        ["coverage", "--osm", str(ALMATY), "--stations", str(ILLUSTRATIVE),
         "--untyped-buildings-residential", "--redistribute-inspectors", "--out", str(out), "-q"]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    block = summary["inspector_redistribution"]
    insp = summary["stations_review"]["inspectors"]
    stations = gpd.read_file(out / "plan.gpkg", layer="stations")
    moves = gpd.read_file(out / "plan.gpkg", layer="inspector_moves")
    # by hand from the stations layer: surplus and shortfall of working stations with a count
    work = stations[stations["working"].astype(bool) & stations["inspectors_now"].notna()]
    gap = (work["inspectors_needed"] - work["inspectors_now"]).to_numpy()
    assert block["shortfall"] == insp["missing"] == int(gap.clip(0).sum())
    assert block["surplus"] == insp["surplus"] == int((-gap).clip(0).sum())
    # one unit, every pair allowed: all of the smaller side moves
    assert block["covered"] == min(block["surplus"], block["shortfall"])
    assert block["to_hire"] == block["shortfall"] - block["covered"]
    assert int(moves["count"].sum()) == block["covered"] and len(moves) == block["moves"]
    # no station gives more than its surplus or gets more than its shortfall
    by_id = work.set_index("station_id")
    surplus = (by_id["inspectors_now"] - by_id["inspectors_needed"]).clip(lower=0)
    shortfall = (by_id["inspectors_needed"] - by_id["inspectors_now"]).clip(lower=0)
    sent = moves.groupby("from_station_id")["count"].sum()
    got = moves.groupby("to_station_id")["count"].sum()
    assert (sent <= surplus[sent.index]).all() and (got <= shortfall[got.index]).all()
    # every station that gives or receives is in a move of its own
    assert block["moves"] >= max(len(sent), len(got)) and block["status"] == "optimal"
    assert (
        f"redistribution closes {block['covered']} of the {block['shortfall']} shortfall; "
        f"{block['to_hire']} must be hired" in printed
    )
    memo = (out / "summary.md").read_text()
    assert "## Redistributing inspectors" in memo
    readme = " ".join((DATA.parent / "README.md").read_text().split())
    assert f"without `--max-move-km` it closes {block['covered']} (all the surplus" in readme
    page = (out / "map.html").read_text()
    assert f"Inspector moves ({block['moves']})" in page


def test_cli_max_move_km(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        ["coverage", "--osm", str(ALMATY), "--stations", str(ILLUSTRATIVE),
         "--untyped-buildings-residential", "--redistribute-inspectors", "--max-move-km", "5",
         "--out", str(out), "-q"]
    )  # fmt: skip
    capsys.readouterr()
    assert code == 0
    moves = gpd.read_file(out / "plan.gpkg", layer="inspector_moves")
    assert len(moves) and (moves["distance_m"] <= 5000).all()
    summary = json.loads((out / "summary.json").read_text())
    block = summary["inspector_redistribution"]
    assert block["max_move_m"] == 5000
    assert summary["parameters"]["max_move_km"] == 5
    # the README quotes this run
    readme = " ".join((DATA.parent / "README.md").read_text().split())
    assert (
        f"closes {block['covered']} of the {block['shortfall']} shortfall; "
        f"{block['to_hire']} must be hired ({block['moves']} moves" in readme
    )


def test_cli_without_inspector_counts_exits_2(tmp_path, capsys):
    # SYNTHETIC: two stations near Almaty's centre without an inspectors column
    path = tmp_path / "stations.csv"
    pd.DataFrame({"name": ["A", "B"], "lat": [43.25, 43.26], "lon": [76.93, 76.94]}).to_csv(
        path, index=False
    )
    code = main(
        ["coverage", "--osm", str(ALMATY), "--stations", str(path), "--redistribute-inspectors",
         "--out", str(tmp_path / "o")]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert "--redistribute-inspectors needs the number of inspectors" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--redistribute-inspectors", "--max-move-km", "-1"],
            "--max-move-km -1: must be a number > 0",
        ),
        (["--max-move-km", "3"], "--max-move-km works with --redistribute-inspectors"),
    ],
)
def test_cli_refuses_bad_move_options_before_reading(tmp_path, capsys, options, message):
    missing = tmp_path / "nowhere.osm.pbf"  # never read: the options are checked first
    code = main(["coverage", "--osm", str(missing), *options, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err
