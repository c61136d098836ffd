"""The city pipeline end to end on Bishkek (real data), checked for internal consistency and
against independent recomputation."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely

from planner.candidates import read_candidates
from planner.errors import InputError
from planner.pipeline import assess_coverage, evaluate_sites, load_city, plan_sites
from planner.settings import WalkSettings
from tests.conftest import BISHKEK


@pytest.fixture(scope="module")
def city():
    return load_city(BISHKEK)


@pytest.fixture(scope="module")
def coverage(city):
    return assess_coverage(city)


@pytest.fixture(scope="module")
def plan(city, coverage):
    return plan_sites(city, coverage, n_sites=3, spacing_m=100)


def independent_best(matrix, buildings, *, k: int) -> float:
    """Most residents not yet covered that ``k`` candidates can cover: the textbook maximal
    covering MILP solved by scipy (HiGHS), none of planner's reductions or bounds."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    population = buildings["population"].to_numpy(float)
    m = sp.csr_array(matrix)
    m = sp.csr_array((np.ones(m.nnz), m.indices, m.indptr), shape=m.shape)
    cols = np.flatnonzero(~buildings["covered"].to_numpy(bool) & (population > 0))
    a = sp.csc_array(m)[:, cols].T.tocsr()  # buildings x candidates
    n_b, n_c = a.shape
    cover = sp.hstack([-a, sp.identity(n_b)]).tocsr()  # y_i <= sum of x_j reaching i
    budget = sp.csr_array(np.r_[np.ones(n_c), np.zeros(n_b)][None, :])
    res = milp(
        np.r_[np.zeros(n_c), -population[cols]],
        constraints=[LinearConstraint(cover, -np.inf, 0), LinearConstraint(budget, 0, k)],
        integrality=np.r_[np.ones(n_c), np.zeros(n_b)],
        bounds=Bounds(0, 1),
    )
    assert res.status == 0, res.message
    return float(-res.fun)


def test_city_layers(city):
    # two district stations (ГОМ) are usable; the two traffic police offices are kept, unusable
    usable = city.stations[city.stations["usable"]]
    assert sorted(usable["name"]) == ["ГОМ №19", "ГОМ №6"]
    assert len(city.stations) == 4
    assert city.residents["population"].gt(0).all()
    assert city.inputs[0]["role"] == "osm"


def test_coverage_is_consistent(coverage):
    b = coverage.buildings
    s = coverage.summary
    assert s.residents_total == pytest.approx(b["population"].sum())
    assert s.residents_covered == pytest.approx(b.loc[b["walk_m"] <= 800, "population"].sum())
    assert (b["covered"] == (b["walk_m"] <= 800)).all()
    # each building's nearest station is one of the usable ones, and workloads add up
    st = coverage.stations
    assert set(b["nearest_station"].dropna()) <= set(st.index[st["usable"]])
    reachable = b["nearest_station"].notna()
    assert st["residents_nearest"].sum() == pytest.approx(b.loc[reachable, "population"].sum())
    # service areas nest: 5 min inside 10 min inside 15 min
    areas = coverage.service_areas.sort_values("limit_m")
    assert areas["limit_min"].tolist() == [5.0, 10.0, 15.0]
    assert areas["area_km2"].is_monotonic_increasing
    # each usable station has its own area; together they are the dissolved 10-minute area
    own = coverage.station_areas
    assert sorted(own["station_id"]) == sorted(st.loc[st["usable"], "station_id"])
    dissolved = areas.loc[areas["limit_min"] == 10.0].geometry.iloc[0]
    union = shapely.union_all(own.geometry.to_numpy())
    assert union.symmetric_difference(dissolved).area < 1e-6 * dissolved.area
    # the sensitivity row for 4.8 km/h and 10 min is the summary itself
    row = coverage.sensitivity.query("speed_kmh == 4.8 and max_walk_min == 10.0").iloc[0]
    assert row["residents_covered"] == pytest.approx(s.residents_covered)


def test_longer_walk_never_covers_fewer(city):
    shares = [
        assess_coverage(city, settings=WalkSettings(max_walk_m=m)).summary.share_covered
        for m in (400, 800, 1000)
    ]
    assert shares == sorted(shares)


def test_plan_numbers_add_up(coverage, plan):
    sites = plan.sites
    assert sites["rank"].tolist() == [1, 2, 3]
    assert sites["marginal_population"].is_monotonic_decreasing  # greedy rollout order
    assert sites["cumulative_population"].iloc[-1] == pytest.approx(
        plan.siting.newly_covered_population
    )
    total = coverage.summary.residents_total
    after = coverage.summary.residents_covered + plan.siting.newly_covered_population
    assert plan.summary_after.residents_covered == pytest.approx(after)
    assert sites["cumulative_share"].iloc[-1] == pytest.approx(after / total)
    # recompute coverage after from the matrix independently of the pipeline
    rows = plan.candidates.index[plan.candidates["candidate_id"].isin(sites["candidate_id"])]
    reached = np.unique(plan.matrix.matrix[rows.to_numpy(), :].indices)
    covered_after = coverage.buildings["covered"].to_numpy().copy()
    covered_after[reached] = True
    assert (plan.buildings["covered_after"].to_numpy() == covered_after).all()
    # the exact method proves this plan optimal, and an independent MILP (scipy's HiGHS on
    # the textbook formulation, none of planner's reductions or bounds) finds the same value
    assert plan.siting.proven_optimal and plan.siting.gap <= 1e-6
    best = independent_best(plan.matrix.matrix, coverage.buildings, k=3)
    assert plan.siting.newly_covered_population == pytest.approx(best, rel=1e-9)
    assert plan.siting.upper_bound == pytest.approx(best, rel=1e-6)
    # a site's marginal gain never exceeds what it covers alone
    alone = plan.candidates.set_index("candidate_id").loc[sites["candidate_id"], "alone_population"]
    assert (sites["marginal_population"].to_numpy() <= alone.to_numpy() + 1e-6).all()


def test_target_share_plan(city, coverage):
    target = coverage.summary.share_covered + 0.1
    plan = plan_sites(city, coverage, target_share=target, spacing_m=200)
    assert plan.summary_after.share_covered >= target - 1e-9
    n = plan.siting.n_sites
    assert n == len(plan.sites) and plan.siting.proven_optimal
    # fewer sites cannot reach the target: the best n - 1 sites fall short (independent MILP)
    population = coverage.buildings["population"].to_numpy(float)
    short = independent_best(plan.matrix.matrix, coverage.buildings, k=n - 1)
    needed = target * population.sum() - population[coverage.buildings["covered"]].sum()
    assert short < needed
    # and the n sites are the best plan of that size, proven (issue 14)
    best = independent_best(plan.matrix.matrix, coverage.buildings, k=n)
    assert plan.siting.newly_covered_population == pytest.approx(best, rel=1e-9)
    assert plan.siting.coverage_proven_optimal
    assert plan.siting.coverage_upper_bound == pytest.approx(best, rel=1e-6)


def test_plan_needs_one_goal(city, coverage):
    with pytest.raises(InputError, match="n_sites or target_share"):
        plan_sites(city, coverage)


def test_evaluate_flags_by_construction(city, coverage, plan, tmp_path):
    best = plan.sites.to_crs(4326)
    x, y = best.geometry.x.to_numpy(), best.geometry.y.to_numpy()
    station = coverage.stations[coverage.stations["usable"]].to_crs(4326).geometry.iloc[0]
    rows = [
        ("best site", y[0], x[0]),
        ("same spot again", y[0], x[0] + 0.00002),  # 1.6 m east: same coverage
        ("next to a station", station.y, station.x),
        ("in the mountains", 42.60, 74.60),  # ~27 km south of the data: no street near
        ("bad row", "abc", 74.6),
    ]
    path = tmp_path / "proposals.csv"
    pd.DataFrame(rows, columns=["name", "lat", "lon"]).to_csv(path, index=False)
    proposals = read_candidates(path, crs=city.network.crs)
    result = evaluate_sites(city, coverage, proposals, spacing_m=200)
    flags = dict(zip(result.proposals["name"], result.proposals["flags"], strict=True))
    assert flags["best site"] == ""
    assert "duplicates the coverage of best site" in flags["same spot again"]
    # at a station's own spot it reaches exactly the station's residents, all covered already
    assert "covers nobody new" in flags["next to a station"]
    assert "off the network" in flags["in the mountains"]
    assert flags["bad row"].startswith("unusable:")
    ev = result.evaluation
    # only "best site" brings anybody new: the list covers what plan site 1 covers alone
    assert ev.list_population == pytest.approx(plan.sites["marginal_population"].iloc[0])
    # the best plan of the list's size is proven, and the list's gap is measured against it
    assert ev.best.proven_optimal
    bound = ev.best.upper_bound
    assert ev.gap == pytest.approx((bound - ev.list_population) / bound, abs=1e-12)
    assert ev.gap > 0.3  # a duplicate and useless sites: well short of the best


def test_sites_carry_lon_lat_and_best_is_never_below_the_rollout(plan):
    sites = plan.sites
    back = sites.to_crs(4326).geometry
    np.testing.assert_allclose(sites["lon"], back.x, atol=1e-6)
    np.testing.assert_allclose(sites["lat"], back.y, atol=1e-6)
    # the rollout's own prefix is a plan of its size: the best found is at least as good
    assert (sites["best_population_same_size"] >= sites["cumulative_population"] - 1e-6).all()


def test_osm_admin_areas_are_districts_only_when_they_hold_the_residents():
    import geopandas as gpd
    import shapely

    from planner.districts import osm_districts as _osm_districts

    residents = gpd.GeoDataFrame(
        {"population": [60.0, 40.0]},
        geometry=[shapely.box(0, 0, 10, 10), shapely.box(100, 0, 110, 10)],
        crs=32643,
    )
    west = gpd.GeoDataFrame({"name": ["West"]}, geometry=[shapely.box(-5, -5, 50, 50)], crs=32643)
    both = gpd.GeoDataFrame(
        {"name": ["West", "East"]},
        geometry=[shapely.box(-5, -5, 50, 50), shapely.box(50, -5, 150, 50)],
        crs=32643,
    )
    assert _osm_districts(both, residents) is not None  # 100 % of residents inside
    assert _osm_districts(west, residents) is not None  # 60 % >= 50 %
    east = both[both["name"] == "East"]
    assert _osm_districts(east, residents) is None  # 40 % < 50 %: not a district table


def test_run_city_is_pure_and_pickles():
    # the same inputs give the same sites, twice in one process, and the result survives
    # pickling (what a distributed engine does when it ships results between workers)
    import pickle

    from planner.pipeline import run_city

    first = run_city(BISHKEK, n_sites=2, spacing_m=300)
    second = run_city(BISHKEK, n_sites=2, spacing_m=300)
    assert first.plan is not None and second.plan is not None
    assert first.plan.sites["candidate_id"].tolist() == second.plan.sites["candidate_id"].tolist()
    assert first.coverage.summary == second.coverage.summary
    back = pickle.loads(pickle.dumps(first))
    assert back.plan.sites["candidate_id"].tolist() == first.plan.sites["candidate_id"].tolist()
    assert back.coverage.summary == first.coverage.summary


def test_prefer_shorter_walks_reports_the_true_total_walk(city, coverage):
    # the tie-break's total walk (residents x metres to the nearest existing or new station,
    # over covered residents) equals an independent recomputation with walk_distances, and is
    # never longer than the plain plan's
    from planner.distances import walk_distances

    def total_walk(plan):
        st = coverage.stations[coverage.stations["usable"]][["geometry"]]
        every = pd.concat([st, plan.sites[["geometry"]].to_crs(st.crs)], ignore_index=True)
        walks = (
            walk_distances(
                city.network,
                coverage.buildings[["geometry"]],
                gpd.GeoDataFrame(every, crs=st.crs),
                settings=coverage.settings,
            )
            .buildings["walk_m"]
            .to_numpy()
        )
        population = coverage.buildings["population"].to_numpy(float)
        near = walks <= coverage.settings.max_walk_m
        return float((population[near] * walks[near]).sum())

    plain = plan_sites(city, coverage, n_sites=2, spacing_m=300)
    short = plan_sites(city, coverage, n_sites=2, spacing_m=300, prefer_shorter_walks=True)
    assert short.siting.newly_covered_population == pytest.approx(
        plain.siting.newly_covered_population
    )
    assert short.siting.population_walk_m == pytest.approx(total_walk(short), rel=1e-9)
    assert short.siting.population_walk_m <= total_walk(plain) + 1e-6


# --- common mistakes in the Python API get the package's own errors (issue 13) ------------


def test_proposals_without_the_sites_columns_are_an_input_error(city, coverage):
    crs = city.network.crs
    hint = (
        "Read the file with proposals = read_candidates(path, crs=city.network.crs, "
        "what='proposals'), which gives candidate_id ('proposal:<row>'), source ('proposal'), "
        "name, row, usable, problem and the points."
    )
    empty = gpd.GeoDataFrame(geometry=[], crs=crs)
    with pytest.raises(InputError) as info:
        evaluate_sites(city, coverage, empty)
    assert str(info.value) == "\n".join(
        [
            "evaluate_sites: proposals cannot be used",
            "  - proposals has no column 'candidate_id' (a unique id per site, e.g. 'proposal:2')",
            "  - proposals has no column 'source' ('proposal' for the sites of a proposals list)",
            "  - proposals has no rows: there is no site to evaluate",
            hint,
        ]
    )
    # the right columns but no rows; and sites of another kind
    site = shapely.Point(*coverage.buildings.geometry.iloc[0].centroid.coords[0])
    columns = {"candidate_id": ["proposal:2"], "source": ["proposal"], "name": ["a"]}
    with pytest.raises(InputError, match="proposals has no rows: there is no site to evaluate"):
        evaluate_sites(city, coverage, gpd.GeoDataFrame(columns, geometry=[site], crs=crs).iloc[:0])
    other = gpd.GeoDataFrame({**columns, "source": ["network"]}, geometry=[site], crs=crs)
    with pytest.raises(InputError, match="whose 'source' is not 'proposal' \\(network\\)"):
        evaluate_sites(city, coverage, other)
    no_id = gpd.GeoDataFrame({"name": ["a"]}, geometry=[site], crs=crs)
    with pytest.raises(InputError, match="candidates has no column 'candidate_id'"):
        plan_sites(city, coverage, n_sites=1, candidates=no_id)


def test_api_type_mistakes_say_what_was_expected(city, coverage, tmp_path):
    from planner.errors import ArgumentTypeError, PlannerError

    cases = [
        (
            lambda: assess_coverage("file.osm"),
            "assess_coverage: city must be a City (from load_city), not 'file.osm'",
            "city = load_city('file.osm')",
        ),
        (
            lambda: plan_sites(city, None, n_sites=1),
            "plan_sites: coverage must be a CoverageResult (from assess_coverage), not None",
            "coverage = assess_coverage(city)",
        ),
        (
            lambda: plan_sites(coverage, city, n_sites=1),
            "plan_sites: city must be a City (from load_city), not CoverageResult",
            "the wrong order",
        ),
        (
            lambda: evaluate_sites(city, coverage, "props.csv"),
            "evaluate_sites: proposals must be a GeoDataFrame of sites, not 'props.csv'",
            "read_candidates('props.csv'",
        ),
        (
            lambda: plan_sites(city, coverage, n_sites=1, candidates="c.csv"),
            "plan_sites: candidates must be a GeoDataFrame of sites or None, not 'c.csv'",
            "read_candidates('c.csv'",
        ),
        (
            lambda: load_city(None),
            "load_city: osm_path must be the path of an OSM file, not None",
            "load_city('data/almaty_2012.osm.pbf')",
        ),
        (
            lambda: assess_coverage(city, settings=800),
            "assess_coverage: settings must be a WalkSettings or None, not int",
            "WalkSettings(max_walk_m=800)",
        ),
    ]
    for call, first_line, hint in cases:
        with pytest.raises(ArgumentTypeError) as info:
            call()
        assert isinstance(info.value, TypeError) and isinstance(info.value, PlannerError)
        assert str(info.value).splitlines()[0] == first_line
        assert hint in str(info.value)


def test_unreadable_input_files_are_listed_before_reading(tmp_path, monkeypatch):
    from pathlib import Path

    stations = tmp_path / "s.csv"
    stations.write_text("lat,lon\n42.87,74.6\n")
    real_open = Path.open

    def open_(self, *args, **kwargs):
        if self == stations:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)
    with pytest.raises(InputError) as info:
        load_city(BISHKEK, stations_path=stations, districts_path=tmp_path / "d.gpkg")
    message = str(info.value)
    assert message.splitlines()[0] == "input files cannot be read"
    assert f"districts file {tmp_path / 'd.gpkg'} does not exist" in message
    assert f"stations file {stations} cannot be read (Permission denied)" in message


def test_study_area_bounds_and_far_or_swapped_proposals(city, tmp_path):
    from planner.pipeline import study_area_lonlat_bounds

    west, south, east, north = study_area_lonlat_bounds(city)
    lon0, lat0, lon1, lat1 = city.osm.file_bounds_lonlat
    assert (west, south, east, north) == pytest.approx(
        (lon0 - 0.05, lat0 - 0.05, lon1 + 0.05, lat1 + 0.05)
    )
    path = tmp_path / "p.csv"
    # row 2 fine; row 3 swapped; row 4 in Almaty, about 190 km away
    path.write_text("name,lat,lon\nA,42.86,74.63\nB,74.63,42.86\nC,43.25,76.95\n")
    props = read_candidates(
        path, crs=city.network.crs, area_lonlat_bounds=(west, south, east, north)
    )
    assert props["usable"].tolist() == [True, False, False]
    assert "swapped" in props["problem"].iloc[1]
    assert "outside the study area" in props["problem"].iloc[2]


def test_osm_districts_with_one_name_stay_two():
    """Malta's two councils called Ir-Rabat: told apart by their OSM relation, not merged."""
    import geopandas as gpd
    import shapely

    from planner.districts import osm_districts

    residents = gpd.GeoDataFrame(
        {"population": [60.0, 40.0]},
        geometry=[shapely.box(0, 0, 10, 10), shapely.box(100, 0, 110, 10)],
        crs=32643,
    )
    admin = gpd.GeoDataFrame(
        {"name": ["Ir-Rabat", "Ir-Rabat"], "osm_type": "relation", "osm_id": [7510565, 7508583]},
        geometry=[shapely.box(-5, -5, 50, 50), shapely.box(50, -5, 150, 50)],
        crs=32643,
    )
    districts = osm_districts(admin, residents)
    assert districts is not None
    assert districts["name"].tolist() == [
        "Ir-Rabat (relation 7510565)",
        "Ir-Rabat (relation 7508583)",
    ]


def test_a_national_stations_list_gives_the_same_coverage_as_the_city_part(tmp_path):
    """Stations far away are set aside at load; those near the streets, even outside the
    data, keep serving; every number is that of the file without the far rows."""
    import json

    from planner.report import summary_dict
    from tests.conftest import TINY

    near = [
        ("B", 0.0009, 0.0036),  # x 400 m, y 100 m: outside the streets' extent (x <= 300 m)
        ("D", 0.0009, 0.0081),  # x 900 m: within reach (800 + 250 m) but 600 m off the streets
    ]
    rng = np.random.default_rng(18)
    far = [
        (f"far {i}", float(rng.uniform(40.0, 55.0)), float(rng.uniform(50.0, 87.0)))
        for i in range(2000)
    ] + [("C", 0.0009, 0.0135)]  # x 1500 m: 1200 m beyond the streets' extent
    # the far rows interleaved with the near ones, which keep their order
    mixed = [far[0], near[0], *far[1:1000], near[1], *far[1000:]]

    def write(name, rows):
        path = tmp_path / name
        path.write_text(
            "name,lat,lon\n" + "".join(f"{n},{la},{lo}\n" for n, la, lo in rows),
            encoding="utf-8",
        )
        return path

    city_near = load_city(TINY, stations_path=write("near.csv", near))
    city_mixed = load_city(TINY, stations_path=write("mixed.csv", mixed))
    assert city_near.stations_beyond_reach == 0
    assert city_mixed.stations_beyond_reach == 2001
    assert city_mixed.stations["name"].tolist() == ["B", "D"]
    assert city_mixed.stations["usable"].tolist() == [True, True]  # D fails at snapping

    cov_near = assess_coverage(city_near)
    cov_mixed = assess_coverage(city_mixed)
    stations = cov_mixed.stations
    assert stations["usable"].tolist() == [True, False]
    # B, outside the data, serves everybody: 100 m east and 100 m north or south of a street
    # corner at x 300 m, and the whole network lies within 800 m of it
    assert stations["snap_m"].iloc[0] == pytest.approx(100 * 2**0.5, abs=0.5)
    assert stations["residents_within"].iloc[0] == pytest.approx(cov_mixed.summary.residents_total)
    assert cov_mixed.summary.residents_covered == pytest.approx(cov_mixed.summary.residents_total)
    assert "no walkable street within 250 m" in stations["problem"].iloc[1]
    columns = ["usable", "problem", "snap_m", "residents_nearest", "residents_within"]
    pd.testing.assert_frame_equal(
        stations[columns].reset_index(drop=True),
        cov_near.stations[columns].reset_index(drop=True),
    )
    assert cov_mixed.summary == cov_near.summary
    pd.testing.assert_frame_equal(
        cov_mixed.buildings[["walk_m", "covered"]], cov_near.buildings[["walk_m", "covered"]]
    )
    assert (
        cov_mixed.station_areas["area_km2"].tolist() == cov_near.station_areas["area_km2"].tolist()
    )
    summary = json.loads(json.dumps(summary_dict(city_mixed, cov_mixed), default=str))
    assert summary["stations"]["beyond_reach"] == 2001
    assert summary["stations"]["total"] == 2


def test_areas_drawn_later_are_the_same_and_a_plan_carries_its_district_table(tmp_path):
    # the command line draws the service areas on another core while the sites are chosen
    # (assess_coverage(areas=False), then draw_service_areas): the same frames and files
    from dataclasses import replace

    from geopandas.testing import assert_geodataframe_equal

    from planner.districts import BUNDLED_ALMATY_DISTRICTS
    from planner.pipeline import district_table, draw_service_areas
    from planner.report import write_outputs
    from tests.conftest import ALMATY

    city = load_city(ALMATY, districts_path=BUNDLED_ALMATY_DISTRICTS)
    now = assess_coverage(city)
    later = assess_coverage(city, areas=False)
    assert later.service_areas is None and later.station_areas is None
    assert later.summary == now.summary
    from planner.report import build_layers

    with pytest.raises(InputError, match="draw_service_areas"):
        build_layers(later)
    drawn = draw_service_areas(city, later)
    assert len(drawn.service_areas) == 3 and len(drawn.station_areas) > 0
    assert_geodataframe_equal(drawn.service_areas, now.service_areas)
    assert_geodataframe_equal(drawn.station_areas, now.station_areas)
    # the plan's district table is made once, with the plan, and equals a fresh one
    plan = plan_sites(city, later, n_sites=3, spacing_m=200)
    assert plan.by_district is not None and "residents_covered_after" in plan.by_district
    fresh = district_table(city, later, replace(plan, by_district=None))
    pd.testing.assert_frame_equal(plan.by_district, fresh)
    assert district_table(city, later, plan) is plan.by_district
    # undrawn coverage is drawn when written: the same layers as from drawn coverage
    write_outputs(tmp_path / "a", city=city, coverage=later, plan=plan, try_sites_max=-1)
    write_outputs(tmp_path / "b", city=city, coverage=drawn, plan=plan, try_sites_max=-1)
    for layer in ("service_areas", "station_areas", "districts"):
        a = gpd.read_file(tmp_path / "a" / "plan.gpkg", layer=layer)
        b = gpd.read_file(tmp_path / "b" / "plan.gpkg", layer=layer)
        assert_geodataframe_equal(a, b)


def test_background_work_hands_back_its_result_or_its_error():
    # the command line draws the service areas on a daemon thread: nothing waits for it on an
    # error or an interrupt, and whoever asks for the result gets it, or its exception
    import threading

    from planner.cli import _in_background

    started = threading.Event()

    def work(x: int) -> int:
        started.set()
        assert threading.current_thread().daemon
        return x * 2

    assert _in_background(work, 21).result(timeout=10) == 42 and started.is_set()

    def broken() -> None:
        raise InputError("no areas")

    with pytest.raises(InputError, match="no areas"):
        _in_background(broken).result(timeout=10)
