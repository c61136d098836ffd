"""Coverage summaries on hand-computed numbers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from planner.coverage import (
    coverage_by_district,
    coverage_by_station,
    coverage_sensitivity,
    summarize_arrays,
    summarize_coverage,
    weighted_percentiles,
)
from planner.errors import InputError

# five buildings: 100, 50, 30, 20 residents and one empty garage-like 0
POP = np.array([100.0, 50.0, 30.0, 20.0, 0.0])
WALK = np.array([300.0, 799.0, 801.0, np.inf, 10.0])


def test_summary_by_hand():
    s = summarize_arrays(POP, WALK, max_walk_m=800, speed_kmh=4.8)
    assert s.residents_total == 200
    assert s.residents_covered == 150  # 100 + 50 (+ 0)
    assert s.residents_beyond == 50  # 30 + 20
    assert s.residents_unreachable == 20
    assert s.share_covered == 0.75
    assert (s.buildings_covered, s.buildings_beyond, s.buildings_unreachable) == (3, 2, 1)
    # weighted over the 180 residents who can reach a station, sorted by walk:
    # 300 m (100 people: cumulative 100), 799 m (150), 801 m (180)
    # p50 -> 90 people -> 300 m; p75 -> 135 -> 799 m; p90 -> 162 -> 801 m; p95 -> 801 m
    assert s.walk_m_percentiles == {50: 300.0, 75: 799.0, 90: 801.0, 95: 801.0}
    assert s.max_walk_min == pytest.approx(10.0)


def test_weighted_percentile_edges():
    # equal weights: the median of 1..4 by "smallest value with half the weight below" is 2
    assert weighted_percentiles(np.array([4.0, 1, 3, 2]), np.ones(4), [50, 100]).tolist() == [
        2.0,
        4.0,
    ]
    assert np.isnan(weighted_percentiles(np.array([np.inf]), np.ones(1), [50])).all()


def test_longer_limit_never_covers_fewer():
    rng = np.random.default_rng(3)
    pop = rng.lognormal(3, 1, 500)
    walk = rng.uniform(0, 2000, 500)
    walk[::17] = np.inf
    covered = [
        summarize_arrays(pop, walk, max_walk_m=m, speed_kmh=4.8).residents_covered
        for m in range(0, 2100, 50)
    ]
    assert np.all(np.diff(covered) >= 0)


def test_sensitivity_table_by_hand():
    frame = pd.DataFrame({"population": POP, "walk_m": WALK})
    table = coverage_sensitivity(frame, speeds_kmh=(3.6, 4.8), limits_min=(10,))
    # 10 min at 3.6 km/h = 600 m: only the 300 m building's 100 residents (+ the empty one)
    # 10 min at 4.8 km/h = 800 m: 150 residents
    assert table["max_walk_m"].tolist() == pytest.approx([600.0, 800.0])
    assert table["residents_covered"].tolist() == [100.0, 150.0]
    by_m = coverage_sensitivity(frame, limits_m=(800, 1000))
    assert by_m["residents_covered"].tolist() == [150.0, 180.0]
    with pytest.raises(InputError, match="limits_min or limits_m"):
        coverage_sensitivity(frame)


def test_by_station_workload():
    buildings = pd.DataFrame(
        {"population": POP, "walk_m": WALK, "nearest_station": ["a", "a", "b", None, "b"]}
    )
    stations = pd.DataFrame(index=pd.Index(["a", "b", "c"]))
    out = coverage_by_station(buildings, stations, max_walk_m=800)
    assert out["residents_nearest"].tolist() == [150.0, 30.0, 0.0]
    assert out["residents_within"].tolist() == [150.0, 0.0, 0.0]
    assert out["buildings_nearest"].tolist() == [2, 2, 0]
    assert out["buildings_within"].tolist() == [2, 1, 0]


def test_by_district():
    crs = 32643
    # two districts side by side (0..100 and 100..200 m), a small one nested in the first
    districts = gpd.GeoDataFrame(
        {"name": ["West", "East", "West-inner"]},
        geometry=[
            shapely.box(0, 0, 100, 100),
            shapely.box(100, 0, 200, 100),
            shapely.box(0, 0, 20, 20),
        ],
        crs=crs,
    )
    buildings = gpd.GeoDataFrame(
        {"population": POP, "walk_m": WALK},
        geometry=[
            shapely.box(5, 5, 10, 10),  # West-inner (smallest containing district)
            shapely.box(50, 50, 60, 60),  # West
            shapely.box(150, 50, 160, 60),  # East
            shapely.box(150, 10, 160, 20),  # East
            shapely.box(500, 500, 510, 510),  # outside every district
        ],
        crs=crs,
    )
    out = coverage_by_district(buildings, districts, max_walk_m=800).set_index("district")
    assert out.loc["East", "residents_total"] == 50
    assert out.loc["East", "residents_beyond"] == 50
    assert out.loc["West", "residents_covered"] == 50
    assert out.loc["West-inner", "residents_covered"] == 100
    assert out.loc["(outside)", "residents_total"] == 0
    assert out.index[0] == "East"  # sorted by residents beyond


def test_bad_inputs_are_collected():
    with pytest.raises(InputError) as info:
        summarize_arrays(
            np.array([1.0, -2.0]), np.array([np.nan, 1.0]), max_walk_m=800, speed_kmh=4.8
        )
    assert len(info.value.problems) == 2
    with pytest.raises(InputError, match="lacks the columns"):
        summarize_coverage(pd.DataFrame({"population": [1.0]}), max_walk_m=800, speed_kmh=4.8)


def test_a_walk_exactly_at_the_limit_is_within_it():
    # 800 m is "within 800 m" in every count: the summary, per station and per district
    pop = np.array([10.0, 20.0, 40.0])
    walk = np.array([800.0, np.nextafter(800.0, np.inf), 799.0])
    s = summarize_arrays(pop, walk, max_walk_m=800.0, speed_kmh=4.8)
    assert s.residents_covered == 50.0 and s.buildings_covered == 2
    b = gpd.GeoDataFrame(
        {"population": pop, "walk_m": walk, "nearest_station": ["A", "A", "B"]},
        geometry=shapely.points([(10, 10), (20, 20), (30, 30)]),
        crs="EPSG:32643",
    )
    stations = pd.DataFrame(index=["A", "B"])
    by_station = coverage_by_station(b, stations, max_walk_m=800.0)
    assert by_station["residents_within"].tolist() == [10.0, 40.0]
    district = gpd.GeoDataFrame(
        {"name": ["all"]}, geometry=[shapely.box(0, 0, 100, 100)], crs="EPSG:32643"
    )
    by_district = coverage_by_district(b, district, max_walk_m=800.0).set_index("district")
    assert by_district.loc["all", "residents_covered"] == 50.0
