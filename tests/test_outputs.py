"""Tests of planner.outputs: atomic writers, GeoPackage round trip, JSON and the memo.

Data is SYNTHETIC (made-up points in UTM 43N near Almaty).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
from shapely.geometry import Point, box

from planner.errors import InputError
from planner.outputs import (
    atomic_path,
    file_sha256,
    summary_markdown,
    write_geopackage,
    write_json,
    write_text,
)

UTM = "EPSG:32643"
X0, Y0 = pyproj.Transformer.from_crs(4326, UTM, always_xy=True).transform(76.9, 43.25)


def plan_layers() -> dict[str, gpd.GeoDataFrame]:
    sites = gpd.GeoDataFrame(
        {
            "rank": [1, 2],
            "marginal_population": np.array([2345, 1000], dtype=np.int64),
            "cumulative_share": [0.5113, 0.6541],
            "flags": [["near river", "outside boundary"], []],
            "usable": [True, False],
        },
        geometry=[Point(X0, Y0), Point(X0 + 100, Y0)],
        crs=UTM,
    )
    buildings = gpd.GeoDataFrame(
        {"population": [12, 40, 85], "walk_m": [950.0, np.nan, 2000.0]},
        index=pd.Index([101, 102, 103], name="osm_id"),
        geometry=[box(X0 + 10 * i, Y0, X0 + 10 * i + 8, Y0 + 8) for i in range(3)],
        crs=UTM,
    )
    return {"sites": sites, "buildings": buildings}


def test_geopackage_round_trip(tmp_path: Path) -> None:
    layers = plan_layers()
    path = write_geopackage(tmp_path / "plan.gpkg", layers)
    assert path == tmp_path / "plan.gpkg"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.gpkg"]
    assert pyogrio.list_layers(path).tolist() == [["sites", "Point"], ["buildings", "Polygon"]]

    sites = gpd.read_file(path, layer="sites")
    assert sites.crs.to_epsg() == 4326
    assert len(sites) == 2
    assert sites["rank"].tolist() == [1, 2]
    assert sites["marginal_population"].tolist() == [2345, 1000]
    assert sites["flags"].tolist() == ['["near river", "outside boundary"]', "[]"]
    assert sites["usable"].tolist() == [True, False]
    assert sites.geometry.iloc[0].x == pytest.approx(76.9, abs=1e-9)
    assert sites.geometry.iloc[0].y == pytest.approx(43.25, abs=1e-9)
    info = pyogrio.read_info(path, layer="sites")
    assert info["ogr_subtypes"][list(info["fields"]).index("usable")] == "OFSTBoolean"

    buildings = gpd.read_file(path, layer="buildings")
    assert len(buildings) == 3
    assert buildings["osm_id"].tolist() == [101, 102, 103]  # named index kept
    assert buildings["walk_m"].isna().tolist() == [False, True, False]


def test_geopackage_inputs_not_mutated(tmp_path: Path) -> None:
    layers = plan_layers()
    before = {k: v.copy() for k, v in layers.items()}
    write_geopackage(tmp_path / "plan.gpkg", layers)
    for key, frame in before.items():
        pd.testing.assert_frame_equal(layers[key], frame)
        assert layers[key].crs == UTM


def test_geopackage_can_keep_the_metric_crs(tmp_path: Path) -> None:
    path = write_geopackage(tmp_path / "plan.gpkg", plan_layers(), crs=None)
    sites = gpd.read_file(path, layer="sites")
    assert sites.crs.to_epsg() == 32643
    assert sites.geometry.iloc[0].x == pytest.approx(X0)


def test_geopackage_problems_are_collected(tmp_path: Path) -> None:
    bad = gpd.GeoDataFrame(
        {"Name": ["a"], "name": ["b"], "fid": [1]}, geometry=[Point(0, 0)], crs=None
    )
    with pytest.raises(InputError) as err:
        write_geopackage(tmp_path / "plan.gpkg", {"x" * 70: bad, "Sites": bad, "sites": bad})
    text = str(err.value)
    assert "name is longer than 63 characters" in text
    assert "has no CRS" in text
    assert "columns 'Name' and 'name' differ only in case" in text
    assert "column 'fid' clashes with the GeoPackage feature id" in text
    assert "layer 'sites': same name as layer 'Sites'" in text
    assert not (tmp_path / "plan.gpkg").exists()


def test_interrupted_geopackage_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "plan.gpkg"
    write_geopackage(path, {"old": plan_layers()["sites"]})
    checksum = file_sha256(path)

    real_to_file = gpd.GeoDataFrame.to_file
    calls = []

    def crash_on_second_layer(self: gpd.GeoDataFrame, filename: Any, **kwargs: Any) -> None:
        calls.append(Path(filename))
        if len(calls) == 2:
            raise KeyboardInterrupt  # the user pressed Ctrl+C while layer 2 was written
        real_to_file(self, filename, **kwargs)

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", crash_on_second_layer)
    with pytest.raises(KeyboardInterrupt):
        write_geopackage(path, plan_layers())

    assert calls[0].parent == tmp_path  # written next to the destination ...
    assert calls[0] != path  # ... but not over it
    assert file_sha256(path) == checksum
    assert pyogrio.list_layers(path).tolist() == [["old", "Point"]]
    assert [p.name for p in tmp_path.iterdir()] == ["plan.gpkg"]  # no temp or journal left


def test_atomic_path_replaces_on_success_and_cleans_up_on_failure(tmp_path: Path) -> None:
    path = tmp_path / "memo.md"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError, match="boom"), atomic_path(path) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("boom")
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["memo.md"]

    with atomic_path(path) as tmp:
        assert tmp.parent == tmp_path
        assert tmp.suffix == ".md"
        tmp.write_text("new", encoding="utf-8")
    assert path.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["memo.md"]


def test_atomic_path_refuses_an_empty_block(tmp_path: Path) -> None:
    path = tmp_path / "memo.md"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="nothing was written"), atomic_path(path):
        pass
    assert path.read_text(encoding="utf-8") == "old"


def test_write_text_failure_keeps_previous(tmp_path: Path) -> None:
    path = write_text(tmp_path / "sub" / "memo.md", "first\n")
    assert path.read_bytes() == b"first\n"
    with pytest.raises(TypeError):
        write_text(path, 123)  # type: ignore[arg-type]
    assert path.read_bytes() == b"first\n"
    assert [p.name for p in path.parent.iterdir()] == ["memo.md"]


def test_write_json_handles_numpy_and_pandas(tmp_path: Path) -> None:
    data = {
        "n": np.int64(7),
        "share": np.float32(0.5),
        "ok": np.bool_(True),
        "missing": np.nan,
        "inf": float("inf"),
        "na": pd.NA,
        "when": pd.Timestamp("2012-06-01T12:00:00Z"),
        "day": dt.date(2012, 6, 1),
        "array": np.array([1, 2, 3], dtype=np.int32),
        "path": Path("data/almaty.osm.pbf"),
        np.int64(5): "numpy key",
        "tags": {"b", "a"},
        "series": pd.Series([1.5, np.nan], index=["x", "y"]),
        "Алматы": "Cyrillic stays readable",
    }
    path = write_json(tmp_path / "summary.json", data)
    text = path.read_text(encoding="utf-8")
    assert "NaN" not in text
    assert "Алматы" in text
    assert json.loads(text) == {
        "n": 7,
        "share": 0.5,
        "ok": True,
        "missing": None,
        "inf": None,
        "na": None,
        "when": "2012-06-01T12:00:00+00:00",
        "day": "2012-06-01",
        "array": [1, 2, 3],
        "path": "data/almaty.osm.pbf",
        "5": "numpy key",
        "tags": ["a", "b"],
        "series": {"x": 1.5, "y": None},
        "Алматы": "Cyrillic stays readable",
    }


def test_write_json_names_the_bad_value(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"data\['plan'\]\['solver'\] is a object"):
        write_json(tmp_path / "x.json", {"plan": {"solver": object()}})
    assert list(tmp_path.iterdir()) == []


def test_file_sha256(tmp_path: Path) -> None:
    path = tmp_path / "abc.txt"
    path.write_bytes(b"abc")
    # SHA-256 of "abc" from FIPS 180-2, appendix B.1
    assert file_sha256(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    with pytest.raises(InputError, match="does not exist"):
        file_sha256(tmp_path / "missing.osm.pbf")


def full_summary() -> dict[str, Any]:
    return {
        "city": "Almaty | synthetic",
        "created": "2025-11-21T22:40:00Z",
        "data": {
            "osm_file": "almaty_2012.osm.pbf",
            "sha256": "ab" * 32,
            "data_date": "2012-06-01",
            "inputs": [{"role": "stations", "path": "stations.csv", "sha256": "cd" * 32}],
        },
        "parameters": {"max_walk_m": 800.0, "max_walk_min": 10.0, "speed_kmh": 4.8},
        "coverage": {
            "residents_total": np.int64(7000),
            "residents_covered": 1234,
            "buildings_total": 500,
            "buildings_beyond": 42,
            "walk_m_percentiles": {"50": 430.2, "90": 1320.0},
        },
        "plan": {
            "n_sites": 2,
            "residents_covered_after": 4579,
            "sites": [
                {
                    "rank": 1,
                    "name": "Site A",
                    "marginal_population": 2345,
                    "cumulative_population": 2345,
                    "cumulative_share": 0.5113,
                },
                {
                    "rank": 2,
                    "marginal_population": 1000,
                    "cumulative_population": 3345,
                    "cumulative_share": 0.6541,
                },
            ],
        },
        "software": {"planner_version": "0.1.0", "python": "3.11.7"},
    }


def test_summary_markdown_has_the_key_numbers() -> None:
    text = summary_markdown(full_summary())
    lines = text.splitlines()
    assert lines[0] == "# Police station coverage plan — Almaty | synthetic"
    assert "by precinct-planner 0.1.0" in text
    assert "| Residents in the study area | 7 000 | 100.0% |" in lines
    # 1234 / 7000 = 0.1763
    assert "| Within 800 m (10 min) of an existing station | 1 234 | 17.6% |" in lines
    # 4579 / 7000 = 0.6541
    assert "| Within 800 m (10 min) after the 2 proposed stations | 4 579 | 65.4% |" in lines
    assert "Residential buildings beyond the limit: 42 of 500." in lines
    assert (
        "Walk to the nearest existing station: 50th percentile 430 m, 90th percentile 1 320 m."
        in lines
    )
    assert "| 1 | Site A | 2 345 | 2 345 | 51.1% |" in lines
    assert "| 2 |  | 1 000 | 3 345 | 65.4% |" in lines
    assert "| `speed_kmh` | 4.8 |" in lines
    assert "- OSM data date: 2012-06-01" in lines
    assert f"- SHA-256: `{'ab' * 32}`" in lines
    assert f"- stations: `stations.csv`, SHA-256 `{'cd' * 32}`" in lines
    assert "- planner_version: 0.1.0" in lines
    assert text.endswith("\n")


def test_summary_markdown_districts_with_calibration_and_raster_cells() -> None:
    summary = full_summary()
    summary["plan"]["sites"][0]["district"] = "Almaly"
    summary["plan"]["sites"][1]["district"] = "(outside)"
    summary["demand"] = {
        "buildings": 480,
        "raster_cells_without_buildings": 20,
        "residents_in_raster_cells_without_buildings": 350.4,
    }
    summary["districts"] = {
        "note": "District boundaries of 2024 over OSM buildings of 2012.",
        "calibrated": True,
        "max_factor": 3.0,
        "unreliable": ["Nauryzbay"],
    }
    summary["coverage_by_district"] = [
        {
            "district": "Almaly",
            "residents_total": 5000.0,
            "residents_covered": 1000.0,
            "share_covered": 0.2,
            "residents_covered_after": 3000.0,
            "share_covered_after": 0.6,
            "official_population": 5000.0,
            "calibration_factor": 0.66,
            "reliable": True,
            "calibration_note": "",
        },
        {
            "district": "Nauryzbay",
            "residents_total": 2000.0,
            "residents_covered": 234.0,
            "share_covered": 0.117,
            "residents_covered_after": 1579.0,
            "share_covered_after": 0.7895,
            "official_population": 2000.0,
            "calibration_factor": 541.6,
            "reliable": False,
            "calibration_note": "factor 541.60 is outside 0.33..3",
        },
        {
            "district": "(outside)",
            "residents_total": 0.0,
            "residents_covered": 0.0,
            "share_covered": 0.0,
            "residents_covered_after": 0.0,
            "share_covered_after": 0.0,
            "official_population": float("nan"),
            "calibration_factor": None,
            "reliable": False,
            "calibration_note": "outside every district: left as estimated",
        },
    ]
    lines = summary_markdown(summary).splitlines()
    assert "| 1 | Site A | Almaly | 2 345 | 2 345 | 51.1% |" in lines
    assert "| 2 |  | (outside) | 1 000 | 3 345 | 65.4% |" in lines
    assert "## Coverage by district" in lines
    assert "District boundaries of 2024 over OSM buildings of 2012." in lines
    assert any("**Not reliable: Nauryzbay**" in line for line in lines)
    assert "| Almaly | 5 000 | 1 000 | 20.0% | 3 000 | 60.0% | 5 000 | 0.66 | yes |" in lines
    assert "| Nauryzbay | 2 000 | 234 | 11.7% | 1 579 | 79.0% | 2 000 | 541.60 | **no** |" in lines
    assert "| (outside) | 0 | 0 | 0.0% | 0 | 0.0% | — | — | **no** |" in lines
    assert "- Nauryzbay: factor 541.60 is outside 0.33..3" in lines
    assert any(
        "480 residential buildings and 20 population-raster cells" in line
        and "(350 residents" in line
        for line in lines
    )


def test_summary_markdown_minimal_and_escaping() -> None:
    text = summary_markdown(
        {"coverage": {"residents_total": 10, "residents_covered": 5}, "parameters": {"note": "a|b"}}
    )
    assert "| Residents in the study area | 10 | 100.0% |" in text
    assert "| Within the walking limit of an existing station | 5 | 50.0% |" in text
    assert "Walking limit not recorded." in text
    assert "| `note` | a\\|b |" in text
    assert "- OSM data date: not recorded" in text


def test_summary_markdown_requires_headline_numbers() -> None:
    with pytest.raises(InputError) as err:
        summary_markdown({"coverage": {"residents_covered": "many"}})
    assert err.value.problems == (
        "summary['coverage']['residents_total'] is missing",
        "summary['coverage']['residents_covered'] = 'many' is not a number",
    )


def _memo_with_plan(plan: dict[str, Any]) -> str:
    summary = full_summary()
    summary["plan"] |= plan
    return summary_markdown(summary)


def test_memo_turns_a_gap_into_at_most_g_over_1_minus_g_more() -> None:
    # the classic greedy instance: plan 5, proven bound 6, gap 1/6; the best may cover 20 % more
    text = _memo_with_plan(
        {
            "method": "greedy",
            "solver_status": "greedy",
            "newly_covered": 5.0,
            "upper_bound": 6.0,
            "gap": 1 / 6,
            "at_most_more": 0.2,
        }
    )
    assert (
        "Coverage: optimality gap 16.67%; proven: no plan with 2 new stations from these "
        "candidate sites brings more than 6 residents newly within the limit, at most 20.00% "
        "more than this plan's 5." in text.splitlines()
    )
    assert "16.67% more" not in text


def test_memo_of_a_proven_plan() -> None:
    text = _memo_with_plan(
        {
            "method": "exact",
            "solver_status": "optimal",
            "newly_covered": 3345.0,
            "upper_bound": 3345.0,
            "gap": 0.0,
            "at_most_more": 0.0,
        }
    )
    assert (
        "Coverage: proven best of all plans with 2 new stations from these candidate sites "
        "(3 345 residents newly within the limit)." in text.splitlines()
    )


def test_memo_of_a_target_share_plan_separates_the_two_proofs() -> None:
    # fewest sites proven (2), and coverage at that size proven only to within 1 %
    plan = {
        "method": "exact",
        "solver_status": "optimal (greedy bound)",
        "share_covered_after": 0.6541,
        "target_share": 0.6,
        "target_reachable": True,
        "fewest_sites": {"n_sites": 2, "lower_bound": 2, "gap": 0.0, "proven_optimal": True},
        "newly_covered": 3345.0,
        "upper_bound": 3345.0 / 0.99,
        "gap": 0.01,
        "at_most_more": 0.01 / 0.99,
    }
    lines = _memo_with_plan(plan).splitlines()
    assert (
        "Fewest stations: 2 new stations reach 65.4% (target 60.0%); proven: no plan with fewer "
        "stations from these candidate sites does." in lines
    )
    assert any(
        line.startswith("Coverage: optimality gap 1.00%;") and "at most 1.01% more" in line
        for line in lines
    )
    # an unproven minimum says how many more stations than necessary the plan may use
    plan["fewest_sites"] = {"n_sites": 2, "lower_bound": 1, "gap": 0.5, "proven_optimal": False}
    text = _memo_with_plan(plan)
    assert "proven only that at least 1 are needed, so this plan may use up to 1 more" in text


def test_districts_layer_leaves_the_share_of_nobody_empty() -> None:
    """A unit's districts layer holds its neighbours with no resident: their share is empty
    (NULL in the GeoPackage), not '0 % covered'."""
    from planner.report import _districts_frame

    districts = gpd.GeoDataFrame(
        {"name": ["Own", "Neighbour"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs=32633,
    )
    table = pd.DataFrame(
        {
            "district": ["Own", "Neighbour"],
            "residents_total": [200.0, 0.0],
            "residents_covered": [50.0, 0.0],
            "share_covered": [0.25, 0.0],  # 50 / 200; nobody: 0 by the table's convention
        }
    )
    frame = _districts_frame(districts, table)
    assert frame["share_covered"].iloc[0] == 0.25
    assert np.isnan(frame["share_covered"].iloc[1])
    assert frame["residents_total"].tolist() == [200.0, 0.0]
