"""Vehicles at stations: the allocation against brute force, the city adapter, the memo."""

from __future__ import annotations

import dataclasses
import itertools
import json
import re

import networkx as nx
import numpy as np
import pyogrio
import pytest
import scipy.sparse as sp
import shapely

from planner import cli, pipeline
from planner.allocation import allocate
from planner.drive import snap_to_drive, to_networkx
from planner.errors import InputError
from planner.maps import LAYER_VEHICLES
from planner.national import NationalOptions, plan_nation
from planner.snapping import door_points
from planner.stations import working
from planner.synthetic import synthetic_country
from planner.vehicle_outputs import vehicle_lines, vehicles_dict
from planner.vehicles import (
    allocate_vehicles,
    plan_vehicles,
    vehicle_curve,
)
from tests.conftest import BISHKEK


def _best(reach: np.ndarray, population: np.ndarray, walk: np.ndarray, k: int) -> float:
    """Brute force: the most residents not within walking distance reached by k stations' cars."""
    best = 0.0
    for combo in itertools.combinations(range(reach.shape[0]), min(k, reach.shape[0])):
        hit = reach[list(combo)].any(axis=0) & ~walk
        best = max(best, float(population[hit].sum()))
    return best


def test_hand_instance():
    # stations A, B, C; buildings 0..4 with 10, 20, 30, 40, 50 residents; 4 is within walking
    # distance already. A reaches 0, 1, 4; B reaches 2; C reaches 1, 3.
    # One car: C (20 + 40 = 60). Two cars: A + C (10 + 20 + 40 = 70) or B + C (30 + 60 = 90).
    reach = sp.csr_array(np.array([[1, 1, 0, 0, 1], [0, 0, 1, 0, 0], [0, 1, 0, 1, 0]], dtype=float))
    population = np.array([10.0, 20, 30, 40, 50])
    walk = np.array([False, False, False, False, True])
    one = allocate_vehicles(reach, population, n_vehicles=1, walk_covered=walk)
    assert one.sites.tolist() == [2] and one.newly_covered_population == 60
    two = allocate_vehicles(reach, population, n_vehicles=2, walk_covered=walk)
    assert sorted(two.sites.tolist()) == [1, 2] and two.newly_covered_population == 90
    assert two.proven_optimal and two.gap == 0
    # more vehicles than stations: every station that adds somebody gets one, no more
    many = allocate_vehicles(reach, population, n_vehicles=7, walk_covered=walk)
    assert sorted(many.sites.tolist()) == [0, 1, 2] and many.newly_covered_population == 100
    curve = vehicle_curve(reach, population, max_vehicles=5, walk_covered=walk)
    assert curve.newly_covered.tolist() == [0, 60, 90, 100]


@pytest.mark.parametrize("seed", range(6))
def test_allocation_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n_st, n_b = 7, 25
    reach = rng.random((n_st, n_b)) < 0.25
    population = rng.integers(1, 50, n_b).astype(float)
    walk = rng.random(n_b) < 0.3
    for k in range(0, 5):
        got = allocate_vehicles(
            sp.csr_array(reach.astype(float)), population, n_vehicles=k, walk_covered=walk
        )
        assert got.newly_covered_population == pytest.approx(_best(reach, population, walk, k))
        assert got.proven_optimal
    curve = vehicle_curve(
        sp.csr_array(reach.astype(float)), population, max_vehicles=4, walk_covered=walk
    )
    assert curve.newly_covered.tolist() == pytest.approx(
        [_best(reach, population, walk, k) for k in range(curve.k_max + 1)]
    )


def test_national_vehicles_through_the_dp_match_brute_force():
    # two units, 5 vehicles: the DP over the units' curves equals brute force over all splits
    rng = np.random.default_rng(3)
    units = []
    for _ in range(2):
        reach = rng.random((5, 20)) < 0.3
        units.append((reach, rng.integers(1, 30, 20).astype(float), rng.random(20) < 0.2))
    curves = [
        vehicle_curve(sp.csr_array(r.astype(float)), p, max_vehicles=5, walk_covered=w)
        for r, p, w in units
    ]
    alloc = allocate([c.newly_covered for c in curves], 5, bounds=[c.upper_bound for c in curves])
    brute = max(_best(*units[0], a) + _best(*units[1], 5 - a) for a in range(6))
    assert alloc.newly_covered == pytest.approx(brute)
    assert alloc.gap <= 1e-6  # proven within the solver's tolerance


# --- the city adapter on a real extract ------------------------------------------------------


@pytest.fixture(scope="module")
def bishkek():
    city = pipeline.load_city(BISHKEK)
    return city, pipeline.assess_coverage(city)


def test_bishkek_vehicles_match_an_independent_brute_force(bishkek):
    city, coverage = bishkek
    plan = plan_vehicles(city, coverage, n_vehicles=2, drive_min=2.0)
    # independently: networkx drive times from every working station, buildings by their
    # nearest node of the car network within 250 m, every pair of stations tried
    net = plan.network
    graph = to_networkx(net)
    st = coverage.stations[working(coverage.stations)]
    st_node, _ = snap_to_drive(net, door_points(st))
    b_node, _ = snap_to_drive(net, door_points(coverage.buildings))
    rows = []
    for s in st_node.tolist():
        times = (
            nx.single_source_dijkstra_path_length(graph, s, cutoff=120.0, weight="time_s")
            if s >= 0
            else {}
        )
        rows.append([b >= 0 and b in times for b in b_node.tolist()])
    reach = np.array(rows)
    population = coverage.buildings["population"].to_numpy(dtype=float)
    walk = coverage.buildings["covered"].to_numpy(dtype=bool)
    best = _best(reach, population, walk, 2)
    assert best > 0  # the instance is not trivial
    assert plan.vehicle_gain == pytest.approx(best)
    assert plan.siting.proven_optimal
    assert int(plan.stations["vehicles"].sum()) == plan.placed <= 2
    assert len(plan.drive_areas) == plan.placed
    assert (plan.drive_areas["area_km2"] > 0).all()
    served = plan.buildings["served"].to_numpy(dtype=bool)
    assert population[served].sum() == pytest.approx(plan.walk_covered + plan.vehicle_gain)
    summary = vehicles_dict(plan)
    memo = "\n".join(vehicle_lines(summary))
    assert "## Service vehicles" in memo and "proven optimal" in memo
    assert "turn restrictions ignored" in memo


def test_bad_vehicle_options_are_input_errors(bishkek):
    city, coverage = bishkek
    with pytest.raises(InputError, match="vehicles=-1"):
        plan_vehicles(city, coverage, n_vehicles=-1)
    with pytest.raises(InputError, match="drive_min=0"):
        plan_vehicles(city, coverage, n_vehicles=1, drive_min=0)


# --- the command line --------------------------------------------------------------------------


def test_cli_vehicles_outputs(tmp_path, capsys):
    out = tmp_path / "run"
    code = cli.main(
        ["coverage", "--osm", str(BISHKEK), "--vehicles", "2", "--drive-min", "2", "--out",
         str(out), "-q"]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert "vehicles: " in printed and "proven optimal" in printed
    summary = json.loads((out / "summary.json").read_text())
    v = summary["vehicles"]
    assert v["vehicles"] == 2 and v["drive_min"] == 2
    assert v["served"] == pytest.approx(v["walk_covered"] + v["vehicle_gain"])
    assert summary["parameters"]["vehicles"] == 2
    memo = (out / "summary.md").read_text()
    assert "## Service vehicles" in memo
    layers = dict(pyogrio.list_layers(out / "plan.gpkg"))
    assert "vehicle_areas" in layers
    stations = pyogrio.read_dataframe(out / "plan.gpkg", layer="stations")
    assert int(stations["vehicles"].sum()) == v["placed"] == len(v["stations"])
    homes = pyogrio.read_dataframe(out / "plan.gpkg", layer="buildings")
    by_car = homes["vehicle_reached"].astype(bool) & ~homes["covered"].astype(bool)
    assert homes.loc[by_car, "population"].sum() == pytest.approx(v["vehicle_gain"])
    assert (homes.loc[homes["vehicle_reached"].astype(bool), "drive_min_nearest"] <= 2).all()
    page = (out / "map.html").read_text()
    assert f"{LAYER_VEHICLES} (2 min)" in page
    legend = _legend(page)
    gain = f"{v['vehicle_gain']:,.0f}".replace(",", "&nbsp;")
    text = f"Reached within 2 min by a service vehicle ({v['placed']} placed, +{gain} residents"
    assert text in legend
    assert "Station with a service vehicle (ringed)" in legend
    # one area and one ring per vehicle, the rings at the stations that have one
    features = _vehicle_features(page)
    polygons = [f for f in features if f["geometry"]["type"] != "Point"]
    rings = [f["geometry"]["coordinates"] for f in features if f["geometry"]["type"] == "Point"]
    assert len(polygons) == len(rings) == v["placed"]
    with_car = stations[stations["vehicles"] > 0].to_crs(4326)
    expected = sorted((round(p.x, 6), round(p.y, 6)) for p in with_car.geometry)
    assert sorted((round(x, 6), round(y, 6)) for x, y in rings) == expected
    areas = pyogrio.read_dataframe(out / "plan.gpkg", layer="vehicle_areas")
    assert areas["base_lon"].notna().all() and len(areas) == v["placed"]


def _legend(page: str) -> str:
    match = re.search(r"div\.innerHTML = (\".*?\");\n", page)
    assert match
    return str(json.loads(match.group(1)))


def _vehicle_features(page: str) -> list[dict]:
    """The features of the map's service-vehicle layer (areas, then rings)."""
    found = re.findall(r"L\.geoJSON\((\{\"type\":\"FeatureCollection\".*?\]\}), \{", page)
    layers = [json.loads(text)["features"] for text in found]
    (vehicles,) = [
        f
        for f in layers
        if f and str(f[0]["properties"].get("title")).startswith("Service vehicle")
    ]
    return vehicles


def test_a_city_run_without_vehicles_says_nothing_of_them(tmp_path):
    out = tmp_path / "run"
    assert cli.main(["coverage", "--osm", str(BISHKEK), "--out", str(out), "-q"]) == 0
    for name in ("map.html", "summary.md"):
        assert "service vehicle" not in (out / name).read_text(encoding="utf-8").lower(), name
    assert "vehicles" not in json.loads((out / "summary.json").read_text())


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--drive-min", "5"], "--drive-min works with --vehicles"),
        (["--vehicles", "-3"], "--vehicles -3: must be 0 or more"),
        (["--vehicles", "3", "--drive-min", "0"], "--drive-min 0: must be a number > 0"),
    ],
)
def test_cli_bad_vehicle_options(tmp_path, capsys, extra, message):
    code = cli.main(["coverage", "--osm", str(BISHKEK), *extra, "--out", str(tmp_path / "x")])
    assert code == 2
    assert message in capsys.readouterr().err


# --- nationally ---------------------------------------------------------------------------------


def test_national_vehicles_on_a_synthetic_country(tmp_path):
    country = synthetic_country(tmp_path / "c", n_cities=3, residents=20_000, stations=4, seed=11)
    out = tmp_path / "out"
    result = plan_nation(
        osm_path=country.osm_path,
        units_path=country.units_path,
        stations_path=country.stations_path,
        options=NationalOptions(new_stations=2, vehicles=5, drive_min=2.0, time_limit_s=20),
        out_dir=out,
        workers=1,
    )
    assert result.n_ok == 3
    alloc = result.vehicle_allocation
    assert alloc is not None
    curves = [u.vehicle_curve for u in result.units]
    assert all(c[0] == 0 for c in curves)
    assert any(len(c) >= 2 for c in curves)  # some unit gains from a car

    # an independent exact split of the 5 vehicles over the three curves (flat beyond the end)
    def value(c: tuple[float, ...], v: int) -> float:
        return c[min(v, len(c) - 1)]

    brute = max(
        value(curves[0], a) + value(curves[1], b) + value(curves[2], 5 - a - b)
        for a in range(6)
        for b in range(6 - a)
    )
    assert alloc.newly_covered == pytest.approx(brute)
    assert int(alloc.new_stations.sum()) == alloc.used <= 5
    for u, v in zip(result.units, alloc.new_stations.tolist(), strict=True):
        assert len(u.vehicle_stations[min(v, len(u.vehicle_curve) - 1)]) <= v
    summary = json.loads((out / "national.json").read_text())
    assert summary["vehicles"]["vehicle_gain"] == pytest.approx(alloc.newly_covered)
    assert sum(u["vehicles"] for u in summary["vehicles"]["units"]) == alloc.used
    memo = (out / "national.md").read_text()
    assert "## Service vehicles" in memo
    units = pyogrio.read_dataframe(out / "national.gpkg", layer="units")
    assert int(units["vehicles"].sum()) == alloc.used

    # the maps: each unit's own map shows its vehicles, the national map all of them
    by_unit = {u["name"]: u for u in summary["vehicles"]["units"]}
    areas = pyogrio.read_dataframe(out / "national.gpkg", layer="vehicle_areas")
    assert len(areas) == alloc.used
    for u in result.units:
        folder = out / "units" / u.folder
        unit_page = (folder / "map.html").read_text(encoding="utf-8")
        unit_summary = json.loads((folder / "summary.json").read_text())
        mine = by_unit.get(u.name)
        if mine is None:  # no vehicle here: the unit's files say nothing of them
            assert "service vehicle" not in unit_page.lower()
            assert "vehicles" not in unit_summary
            continue
        assert f"{LAYER_VEHICLES} (2 min)" in unit_page
        assert "by a service vehicle" in _legend(unit_page)
        # the unit's files show the stations national.json gives it, and the same gain
        ids = [s["station_id"] for s in unit_summary["vehicles"]["stations"]]
        assert sorted(ids) == sorted(mine["stations"])
        assert unit_summary["vehicles"]["vehicle_gain"] == pytest.approx(mine["vehicle_gain"])
        assert sorted(areas.loc[areas["unit"] == u.name, "station_id"]) == sorted(ids)
        rings = [f for f in _vehicle_features(unit_page) if f["geometry"]["type"] == "Point"]
        assert len(rings) == mine["vehicles"]
    page = (out / "national.html").read_text(encoding="utf-8")
    assert f"{LAYER_VEHICLES} (2 min)" in page
    gain = f"{alloc.newly_covered:,.0f}".replace(",", "&nbsp;")
    assert (
        f"Reached within 2 min by a service vehicle ({alloc.used} placed, +{gain} residents"
        in _legend(page)
    )
    features = _vehicle_features(page)
    assert sum(f["geometry"]["type"] == "Point" for f in features) == alloc.used
    assert {f["properties"]["unit"] for f in features} == set(by_unit)


def test_a_unit_places_vehicles_only_at_its_own_stations(bishkek):
    # a national unit's cut holds the stations of its walking buffer too; each station belongs
    # to one unit, so only those inside the unit's own area may get a vehicle
    city, coverage = bishkek
    everywhere = plan_vehicles(city, coverage, n_vehicles=1, drive_min=2.0)
    with_car = everywhere.stations["vehicles"].to_numpy() > 0
    assert with_car.sum() == 1
    xy = door_points(coverage.stations)
    x0, y0 = xy[with_car][0]
    # the unit's own area: everything but a 50 m square around that station
    big = shapely.box(*(xy.min(axis=0) - 1e4), *(xy.max(axis=0) + 1e4))
    area = big.difference(shapely.box(x0 - 50, y0 - 50, x0 + 50, y0 + 50))
    unit = plan_vehicles(
        dataclasses.replace(city, area=area), coverage, n_vehicles=1, drive_min=2.0
    )
    got = unit.stations["vehicles"].to_numpy() > 0
    assert not got[with_car].any()
    assert unit.vehicle_gain <= everywhere.vehicle_gain


def test_national_bad_vehicle_options_are_listed_together(tmp_path, capsys):
    code = cli.main(
        ["national", "--osm", str(BISHKEK), "--admin-level", "8", "--new-stations", "-1",
         "--drive-min", "500", "--out", str(tmp_path / "x")]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert "--new-stations -1" in err
    assert "--drive-min 500: at most 120 minutes" in err
    assert "--drive-min works with --vehicles" in err


def test_memo_says_best_found_with_the_bound_when_not_proven():
    summary = {
        "vehicles": 5, "placed": 4, "drive_min": 10.0, "max_kerb_m": 250.0,
        "residents_total": 1000.0, "walk_covered": 500.0, "vehicle_gain": 300.0,
        "served": 800.0, "served_share": 0.8, "gap": 0.1, "proven_optimal": False,
        "solver_status": "time limit", "stations": [],
    }  # fmt: skip
    memo = "\n".join(vehicle_lines(summary))
    # gap 10 % of the bound: the plan is at most 10 % short of the best possible
    assert "best found, at most 10.00 % short" in memo
    assert "proven optimal" not in memo
    assert "1 of the 5 vehicles adds nobody" in memo
    assert vehicle_lines(None) == []
