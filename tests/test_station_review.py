"""Repairs, inspectors and planned stations (planner.station_review), by hand and on real data."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from planner.cli import main
from planner.demand import PopulationSettings
from planner.distances import walk_distances
from planner.pipeline import City, assess_coverage, load_city
from planner.settings import WalkSettings
from planner.station_review import inspectors_needed, review_stations
from planner.stations import (
    STATUS_SPELLINGS,
    _status_key,
    parse_status,
    read_stations,
    working,
)
from tests._walk_grid import CRS, plain_grid
from tests.conftest import ALMATY, BISHKEK, DATA

ILLUSTRATIVE = DATA / "almaty_stations_illustrative.csv"


# --- statuses ----------------------------------------------------------------------------------


def test_every_accepted_status_spelling():
    for status, spellings in STATUS_SPELLINGS.items():
        for text in spellings:
            for variant in (text, text.upper(), f"  {text.capitalize()}. "):
                parsed, unknown = parse_status([variant])
                assert (parsed, unknown) == ([status], []), variant
    assert parse_status(["Открыт", "на ремонте", "ЖАБЫҚ", "жоспарланған", "Закрытo"]) == (
        ["open", "repair", "closed", "planned", "closed"],  # a Latin "o" in a Cyrillic word
        [],
    )
    assert parse_status(["", None, float("nan")]) == (["open", "open", "open"], [])


def test_common_status_spellings_are_read():
    # issue 20: each of these made its row unusable (coverage fell 9 % on the illustrative file)
    values = [
        "в ремонте",
        "ремонтируется",
        "жондеуде",
        "ашык",
        "жабык",
        "жоспарланган",
        "В РЕМОНТЕ.",
        "  на   капремонте ",
        "жұмыс iстейдi",
        "Жабык!",
        "временно закрыт",
    ]
    assert parse_status(values) == (
        ["repair", "repair", "repair", "open", "closed", "planned",
         "repair", "repair", "open", "closed", "closed"],
        [],
    )  # fmt: skip
    # folding the Kazakh letters never makes two statuses' spellings meet
    keys: dict[str, str] = {}
    for status, spellings in STATUS_SPELLINGS.items():
        for text in spellings:
            assert keys.setdefault(_status_key(text), status) == status, text
    # a word that is neither stays unknown
    assert parse_status(["maybe", "ремонтник"]) == ([None, None], [0, 1])


def test_inspector_counts_are_whole_numbers(tmp_path, caplog):
    path = _write_stations(tmp_path, [""] * 8, ["3", "inf", "1e3", "2.5", "", "-1", "4,0", "двое"])
    st = read_stations(path, crs="EPSG:32643")
    assert st["usable"].tolist() == [True, False, False, False, True, False, True, False]
    counts = st["inspectors"].tolist()
    assert counts[0] == 3 and counts[6] == 4
    assert all(np.isnan(counts[i]) for i in (1, 2, 3, 4, 5, 7))
    problem = st["problem"].tolist()
    for i, value in [(1, "inf"), (2, "1e3"), (3, "2.5"), (5, "-1"), (7, "двое")]:
        assert f"column 'инспекторы': '{value}' is not a number of inspectors" in problem[i]
    assert "not a number of inspectors (rows 3, 4, 5, 7, 9)" in caplog.text


def test_unusable_rows_listed_in_memo_json_and_map(tmp_path):
    """Bishkek centre (SYNTHETIC stations): the issue's spellings are read, the bad rows are
    listed with file row, column and value in summary.md, summary.json and the map."""
    frame = pd.DataFrame(
        {
            "name": ["A", "B", "C", "D", "E", "F"],
            "lat": [42.850, 42.855, 42.860, 42.865, 42.870, 42.858],
            "lon": [74.630, 74.635, 74.640, 74.645, 74.630, 74.645],
            "статус": ["ашык", "в ремонте", "жоспарланган", "maybe", "жабык", "ремонтируется"],
            "инспекторы": ["2", "1", "", "3", "2.5", "inf"],
        }
    )
    path = tmp_path / "stations.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    code = main(["coverage", "--osm", str(BISHKEK), "--stations", str(path), "--out", str(out),
                 "-q"])  # fmt: skip
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    bad = {u["row"]: u for u in summary["stations"]["unusable"]}
    assert sorted(bad) == [5, 6, 7]  # D (status), E and F (inspectors); header is row 1
    assert "status 'maybe' is not one of" in bad[5]["problem"]
    assert "column 'инспекторы': '2.5' is not a number of inspectors" in bad[6]["problem"]
    assert "column 'инспекторы': 'inf' is not a number of inspectors" in bad[7]["problem"]
    assert summary["stations_review"]["statuses"] == {
        "open": 1,
        "repair": 2,
        "planned": 1,
        "closed": 1,
    }
    md = (out / "summary.md").read_text()
    assert "## Stations left out (3)" in md
    assert "| stations.csv:6 | 6 | E | column 'инспекторы': '2.5' is not a number" in md
    html = (out / "map.html").read_text()
    assert "3 unusable" in html and "is not a number of inspectors" in html


def _write_stations(tmp_path, statuses, inspectors=None):
    # SYNTHETIC rows near Almaty's centre
    lat = 43.25 + 0.001 * np.arange(len(statuses))
    frame = pd.DataFrame(
        {"name": [f"S{i}" for i in range(len(statuses))], "lat": lat, "lon": 76.93}
    )
    frame["статус"] = statuses
    if inspectors is not None:
        frame["инспекторы"] = inspectors
    path = tmp_path / "stations.csv"
    frame.to_csv(path, index=False)
    return path


def test_unknown_statuses_reported_by_row(tmp_path, caplog):
    path = _write_stations(tmp_path, ["открыт", "maybe", "ремонт", "??"], ["2", "x", "", "1"])
    st = read_stations(path, crs="EPSG:32643")
    assert [None if pd.isna(v) else v for v in st["status"]] == ["open", None, "repair", None]
    assert st["usable"].tolist() == [True, False, True, False]
    assert "status 'maybe' is not one of open, planned, repair, closed" in st["problem"].iloc[1]
    assert st["row"].tolist() == [2, 3, 4, 5]
    assert "rows 3, 5" in caplog.text
    # inspectors: numbers kept, the bad cell unknown (and said so), blank unknown
    assert st["inspectors"].tolist()[0] == 2 and np.isnan(st["inspectors"].iloc[1])
    assert "not a number of inspectors (rows 3)" in caplog.text
    assert working(st).tolist() == [True, False, True, False]


def test_no_usable_station_left_exits_2(tmp_path, capsys):
    path = _write_stations(tmp_path, ["maybe", "later"])
    code = main(
        ["coverage", "--osm", str(ALMATY), "--stations", str(path), "--out", str(tmp_path / "o")]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "no usable station left" in err and "row 2: status 'maybe' not recognised" in err
    assert "Traceback" not in err


# --- by hand on the 3x3 grid (100 m blocks) -----------------------------------------------------
#
# Walking limit 120 m. Stations (on the streets): A (100,100) under repair, B (100,150) open,
# C (0,0) under repair. Homes (points on the streets): b1 (100,50) 10 residents, b2 (100,180) 20,
# b3 (50,0) 30, b4 (200,200) 40, b5 (0,200) 50.
#   A reaches b1 (50 m), b2 (80 m); B reaches b1 (100 m), b2 (30 m); C reaches b3 (50 m).
#   b4 (nearest B, 150 m) and b5 (nearest A/B/C, 200 m) are beyond the limit.
#   Only here: A 0 (b1 and b2 are B's too), B 0, C 30.
#   Served (nearest, any distance): A {b1: 50 m} 10; B {b2: 30 m, b4: 150 m, b5: 150 m via
#   (100,200)} 110; C {b3: 50 m} 30. Rank: C (30 only here), then B and A (0), B first (serves
#   more). Inspectors at 25 residents each: A 1, B 5, C 2.


@pytest.fixture(scope="module")
def grid_review():
    network = plain_grid()
    homes = gpd.GeoDataFrame(
        {"population": [10.0, 20.0, 30.0, 40.0, 50.0]},
        geometry=gpd.points_from_xy([100, 100, 50, 200, 0], [50, 180, 0, 200, 200]),
        crs=CRS,
    )
    stations = gpd.GeoDataFrame(
        {
            "station_id": ["A", "B", "C"],
            "name": ["A", "B", "C"],
            "source": "file",
            "kind": "district_post",
            "usable": True,
            "problem": "",
            "status": ["repair", "open", "repair"],
            "inspectors": [1.0, 5.0, np.nan],
        },
        geometry=gpd.points_from_xy([100, 100, 0], [100, 150, 0]),
        crs=CRS,
    )
    city = City(
        name="grid (synthetic)",
        osm=None,  # type: ignore[arg-type]
        network=network,
        residents=homes,
        stations=stations,
        districts=None,
    )
    settings = WalkSettings(max_walk_m=120.0)
    coverage = assess_coverage(city, settings=settings, service_limits_min=(1.0,))
    review = review_stations(
        city, coverage, residents_per_inspector=25, repair_batch=1, spacing_m=25.0,
        relocation_radius_m=100.0, relocation_spacing_m=25.0,
    )  # fmt: skip
    return city, coverage, review


def test_grid_only_here_served_rank_and_inspectors(grid_review):
    _, coverage, review = grid_review
    st = review.stations.set_index("station_id")
    assert coverage.summary.residents_covered == 60
    assert st["residents_only_here"].to_dict() == {"A": 0.0, "B": 0.0, "C": 30.0}
    assert st["residents_served"].to_dict() == {"A": 10.0, "B": 110.0, "C": 30.0}
    assert st["repair_rank"].to_dict() == {"C": 1.0, "B": 2.0, "A": 3.0}
    assert st["inspectors_needed"].to_dict() == {"A": 1, "B": 5, "C": 2}
    assert st.loc["A", "inspector_gap"] == 0  # 1 needed, 1 there
    assert st.loc["B", "inspector_gap"] == 0  # 5 needed, 5 there
    assert np.isnan(st.loc["C", "inspector_gap"])  # count unknown
    totals = review.inspector_totals()
    assert (totals["needed"], totals["now"], totals["missing"]) == (8, 6, 0)


def test_grid_removing_a_fully_overlapped_station_changes_nothing(grid_review):
    city, coverage, _review = grid_review
    for sid, drop in (("A", 0.0), ("B", 0.0), ("C", 30.0)):
        others = city.stations[city.stations["station_id"] != sid]
        walk = walk_distances(
            city.network, city.residents, others, settings=coverage.settings, search_limit_m=np.inf
        )
        covered = float(city.residents["population"][walk.buildings["covered"]].sum())
        assert coverage.summary.residents_covered - covered == drop


def test_grid_scenarios(grid_review):
    _, _, review = grid_review
    sc = review.scenarios.set_index("scenario")["residents_covered"].to_dict()
    assert sc["today (open and under repair)"] == 60
    assert sc["while the stations under repair are closed"] == 30  # B alone: b1 and b2
    assert sc["if the planned stations open"] == 60  # none planned
    assert review.planned is None


def test_grid_relocation(grid_review):
    _, _, review = grid_review
    st = review.stations.set_index("station_id")
    # A may move up to 100 m on foot: to (100,187.5) it reaches b2, b4 (112.5 m) and b5
    # (112.5 m); b1 stays covered by B: 60 + 40 + 50 = 150 covered instead of 60: +90
    assert st.loc["A", "relocation_gain"] == pytest.approx(90.0)
    # C: to (0,87.5) it reaches b5 (112.5 m) but loses b3 (137.5 m): +50 - 30 = +20
    assert st.loc["C", "relocation_gain"] == pytest.approx(20.0)
    for sid, xy in (("A", (100.0, 187.5)), ("C", (0.0, 87.5))):
        site = gpd.GeoSeries(
            [shapely.Point(st.loc[sid, "relocation_site_lon"], st.loc[sid, "relocation_site_lat"])],
            crs=4326,
        ).to_crs(CRS)
        assert site.x.iloc[0] == pytest.approx(xy[0], abs=0.1)
        assert site.y.iloc[0] == pytest.approx(xy[1], abs=0.1)
    assert np.isnan(st.loc["B", "relocation_gain"])  # open: no relocation check


def test_grid_repair_schedule(grid_review):
    _, _, review = grid_review
    # one at a time: closing A loses nobody (B covers b1, b2), closing C loses b3
    assert review.schedule is not None
    assert sorted(review.schedule.loss_per_batch) == [0.0, 30.0]
    assert review.schedule.worst_batch_residents == 30.0
    table = review.schedule_table
    assert table.groupby("batch")["station_id"].apply(list).tolist() == [["A"], ["C"]]


def test_inspectors_needed_rounds_up():
    assert inspectors_needed([0, 1, 3000, 3000.0000001, 6001], 3000).tolist() == [0, 1, 1, 1, 3]


# --- real data -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def almaty_review():
    city = load_city(
        ALMATY,
        stations_path=ILLUSTRATIVE,
        population_settings=PopulationSettings(yes_outside_residential_landuse=True),
    )
    coverage = assess_coverage(city)
    return city, coverage, review_stations(city, coverage, repair_batch=3)


@pytest.mark.slow
def test_only_here_equals_the_coverage_drop_on_real_data(almaty_review):
    """For every working station of Almaty: recompute coverage without it (multi-source
    Dijkstra, an independent path from the coverage matrix) and compare the drop."""
    city, coverage, review = almaty_review
    st = review.stations
    work = st["working"].to_numpy(dtype=bool)
    population = city.residents["population"].to_numpy()
    now = coverage.summary.residents_covered
    assert work.sum() == 33
    for i in np.flatnonzero(work):
        keep = work.copy()
        keep[i] = False
        walk = walk_distances(
            city.network, city.residents, city.stations[keep], search_limit_m=800.0
        )
        drop = now - float(population[walk.buildings["covered"].to_numpy()].sum())
        assert st["residents_only_here"].iloc[i] == pytest.approx(drop, abs=1e-6), st.iloc[i].name


@pytest.mark.slow
def test_relocation_gain_on_real_data(almaty_review):
    """Moving the top-ranked station under repair to its relocation site: the recomputed
    coverage changes by exactly the reported gain."""
    city, coverage, review = almaty_review
    st = review.stations
    repairs = st[(st["status"] == "repair") & st["relocation_gain"].notna()]
    top = repairs.sort_values("relocation_gain", ascending=False).iloc[0]
    moved = city.stations.copy()
    i = moved.index[moved["station_id"] == top["station_id"]][0]
    site = gpd.GeoSeries(
        [shapely.Point(top["relocation_site_lon"], top["relocation_site_lat"])], crs=4326
    ).to_crs(moved.crs)
    moved.loc[i, "geometry"] = site.iloc[0]
    walk = walk_distances(city.network, city.residents, moved[working(moved)], search_limit_m=800.0)
    population = city.residents["population"].to_numpy()
    after = float(population[walk.buildings["covered"].to_numpy()].sum())
    # lon/lat are rounded to 6 decimals (~0.1 m): the site may snap a hair differently
    assert after - coverage.summary.residents_covered == pytest.approx(
        top["relocation_gain"], rel=1e-3
    )
    assert top["relocation_gain"] > 0


@pytest.mark.slow
def test_cli_end_to_end_with_the_illustrative_file(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        ["coverage", "--osm", str(ALMATY), "--stations", str(ILLUSTRATIVE),
         "--untyped-buildings-residential", "--repair-batch", "2",
         "--residents-per-inspector", "4000", "--out", str(out), "-q"]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert "at a norm of 4 000 residents served per inspector" in printed
    assert "if the planned stations open" in printed and "open them in this order" in printed
    summary = json.loads((out / "summary.json").read_text())
    rv = summary["stations_review"]
    assert rv["statuses"] == {"open": 25, "repair": 8, "planned": 6, "closed": 3}
    assert rv["inspectors"]["residents_per_inspector"] == 4000
    assert len(rv["repair_priorities"]) == 8
    assert rv["repair_schedule"]["batch_size"] == 2
    assert len(rv["repair_schedule"]["batches"]) == 4
    worst = max(b["residents_without_access"] for b in rv["repair_schedule"]["batches"])
    assert rv["repair_schedule"]["worst_batch_residents"] == pytest.approx(worst)
    assert [p["opening_order"] for p in rv["planned"]["opening_order"]] == [1, 2, 3, 4, 5, 6]
    assert (
        rv["planned"]["best_same_size_newly_covered"] >= rv["planned"]["newly_covered_if_all_open"]
    )
    sc = {s["scenario"]: s["residents_covered"] for s in rv["scenarios"]}
    assert sc["today (open and under repair)"] == pytest.approx(
        summary["coverage"]["residents_covered"]
    )
    assert sc["while the stations under repair are closed"] < sc["today (open and under repair)"]
    # the scenario (coverage of the planned stations) agrees with the proposals' evaluation
    assert sc["if the planned stations open"] == pytest.approx(
        sc["today (open and under repair)"] + rv["planned"]["newly_covered_if_all_open"]
    )
    layers = set(gpd.list_layers(out / "plan.gpkg")["name"])
    assert {"stations", "repair_schedule", "planned"} <= layers
    stations = gpd.read_file(out / "plan.gpkg", layer="stations")
    for column in (
        "status", "residents_served", "residents_only_here", "repair_rank", "inspectors_needed",
        "inspectors_now", "inspector_gap", "relocation_site_lon", "relocation_site_lat",
        "relocation_gain",
    ):  # fmt: skip
        assert column in stations.columns
    memo = (out / "summary.md").read_text()
    assert "Existing stations: repairs, inspectors, stations due to open" in memo
    assert "at a norm of 4 000 residents served per inspector" in memo
    assert memo.splitlines()[2].startswith("> **ILLUSTRATIVE DATA, NOT REAL: the stations file")


def test_grid_new_site_workload(grid_review):
    city, coverage, _ = grid_review
    from planner.station_review import sites_workload

    # a new site at (0,200) is the nearest station of b5 only (0 m; b4 stays with B at 150 m)
    site = gpd.GeoDataFrame({"rank": [1]}, geometry=[shapely.Point(0, 200)], crs=CRS)
    out = sites_workload(city, coverage, site, residents_per_inspector=25)
    assert out["residents_served"].tolist() == [50.0]
    assert out["inspectors_needed"].tolist() == [2]


@pytest.mark.slow
def test_capacitated_plan_on_real_data(tmp_path, capsys):
    from tests.conftest import BISHKEK

    out = tmp_path / "out"
    code = main(
        ["plan", "--osm", str(BISHKEK), "--n-sites", "2", "--capacity-inspectors", "1",
         "--spacing-m", "200", "--out", str(out), "-q"]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert "with capacities (1 inspectors x 3,000 = 3 000 residents per station)" in printed
    cap = json.loads((out / "summary.json").read_text())["capacitated"]
    assert cap["capacity_residents"] == 3000
    assert cap["assigned_after"] >= cap["assigned_before"]
    assert cap["assigned_after"] <= cap["within_reach_after"] + 1e-6
    assert all(s["assigned_residents"] <= 3000 + 1e-6 for s in cap["sites"])
    stations = gpd.read_file(out / "plan.gpkg", layer="capacitated_stations")
    assert (stations["assigned_after"] <= 3000 + 1e-6).all()
    assert len(gpd.read_file(out / "plan.gpkg", layer="capacitated_sites")) == len(cap["sites"])


@pytest.mark.slow
def test_capacitated_plan_without_binding_capacity_is_the_plain_plan():
    """With capacities nobody reaches, the capacitated model is maximal coverage: the same
    candidates (near the uncovered) and the same optimum as plan_sites."""
    from planner.pipeline import plan_sites
    from planner.station_review import plan_with_capacity
    from tests.conftest import BISHKEK

    city = load_city(BISHKEK)
    coverage = assess_coverage(city)
    plain = plan_sites(city, coverage, n_sites=2, spacing_m=200.0, prefix_gaps=False)
    capped = plan_with_capacity(city, coverage, n_sites=2, capacity_inspectors=1e6, spacing_m=200.0)
    assert capped.before.assigned_population == pytest.approx(coverage.summary.residents_covered)
    assert capped.result.assigned_population == pytest.approx(plain.summary_after.residents_covered)


# --- relocation search on a fine grid ---------------------------------------------------------
# The 3x3 grid of 100 m blocks, a walking limit of 100 m. A (under repair) at (0,0) covers only
# h1 (0,0) 10; B (open) at (0,200) covers nobody. h2 (130,200) 20, h3 (200,40) 30,
# h4 (200,200) 40. On 100 m candidates (edge midpoints) the best site is (150,200): h2 at 20 m,
# h4 at 50 m = 60, minus h1's 10: +50. Searched every 20 m, (200,130) reaches h3 (90 m) and h4
# (70 m) = 70: +60, which the 100 m search misses.


@pytest.fixture(scope="module")
def fine_grid():
    network = plain_grid()
    homes = gpd.GeoDataFrame(
        {"population": [10.0, 20.0, 30.0, 40.0]},
        geometry=gpd.points_from_xy([0, 130, 200, 200], [0, 200, 40, 200]),
        crs=CRS,
    )
    stations = gpd.GeoDataFrame(
        {
            "station_id": ["A", "B"],
            "name": ["Участок 1", "Участок 1"],
            "source": "file",
            "kind": "district_post",
            "usable": True,
            "problem": "",
            "status": ["repair", "open"],
            "inspectors": [1.0, 1.0],
        },
        geometry=gpd.points_from_xy([0, 0], [0, 200]),
        crs=CRS,
    )
    city = City(
        name="grid (synthetic)",
        osm=None,  # type: ignore[arg-type]
        network=network,
        residents=homes,
        stations=stations,
        districts=None,
    )
    coverage = assess_coverage(
        city, settings=WalkSettings(max_walk_m=100.0), service_limits_min=(1.0,)
    )
    return city, coverage


def test_relocation_searches_every_20_m(fine_grid):
    city, coverage = fine_grid
    review = review_stations(city, coverage, residents_per_inspector=25)  # default search
    st = review.stations.set_index("station_id")
    assert coverage.summary.residents_covered == 10
    assert st.loc["A", "relocation_gain"] == pytest.approx(60.0)  # not the 100 m grid's 50
    assert review.relocation_spacing_m == 20.0
    coarse = review_stations(
        city, coverage, residents_per_inspector=25, relocation_spacing_m=100.0
    ).stations.set_index("station_id")
    assert coarse.loc["A", "relocation_gain"] == pytest.approx(50.0)


def test_relocation_gain_equals_brute_force(fine_grid):
    """Every street point of the 20 m grid within the radius, coverage recomputed from scratch
    (multi-source Dijkstra) with A moved there: the best gain is the reported one."""
    from planner.candidates import network_candidates

    city, coverage = fine_grid
    radius_m = 150.0
    review = review_stations(
        city, coverage, residents_per_inspector=25, relocation_radius_m=radius_m
    )
    st = review.stations.set_index("station_id")
    population = city.residents["population"].to_numpy()
    a = city.stations[city.stations["station_id"] == "A"]
    sites = network_candidates(city.network, spacing_m=20.0)
    # the walk from A (at node 0) to each point: A is at a grid node, so along the streets
    # it is |x| + |y| on this grid (every point lies on a grid edge)
    xy = shapely.get_coordinates(sites.geometry.to_numpy())
    allowed = np.abs(xy[:, 0]) + np.abs(xy[:, 1]) <= radius_m + 1e-9
    assert allowed.sum() > 5
    best = -np.inf
    for point in sites.geometry[allowed]:
        moved = city.stations.copy()
        moved.loc[a.index[0], "geometry"] = point
        walk = walk_distances(
            city.network, city.residents, moved, settings=coverage.settings, search_limit_m=np.inf
        )
        after = float(population[walk.buildings["covered"].to_numpy()].sum())
        best = max(best, after - coverage.summary.residents_covered)
    # within 150 m on foot of (0,0): at best (150,0) reaches h3 (90 m) and loses h1: +30 - 10
    assert best == 20.0
    assert st.loc["A", "relocation_gain"] == pytest.approx(best)


# --- the memo's wording ------------------------------------------------------------------------
# The 3x3 grid, a 100 m walk, 25 residents per inspector. A "Участок 1" (0,0), open, 3
# inspectors; B "Участок 1" (200,200), open, 0 inspectors; P (200,0) and Q (200,30) planned
# with 22 and 0 listed; C (0,200) closed with 4. Homes: h1 (0,0) 10 and h2 (90,0) 20 have A
# nearest (within the walk); h3 (200,200) 60 and h4 (200,50) 15 have B nearest (h4 at 150 m,
# beyond the walk). Served: A 30 (30 within), B 75 (60 within). Needed: A 2 (1 surplus), B 3
# (3 missing): 5 needed - 3 now = 3 missing - 1 surplus. P reaches h4 (50 m): adds 15; Q then
# adds 0 (it reaches only h4, 20 m), though 15 on its own.


def _wording_city(statuses):
    homes = gpd.GeoDataFrame(
        {"population": [10.0, 20.0, 60.0, 15.0]},
        geometry=gpd.points_from_xy([0, 90, 200, 200], [0, 0, 200, 50]),
        crs=CRS,
    )
    stations = gpd.GeoDataFrame(
        {
            "station_id": ["A", "B", "P", "Q", "C"],
            "name": ["Участок 1", "Участок 1", "Участок 2", "Участок 3", "Участок 4"],
            "source": "file",
            "kind": "district_post",
            "usable": True,
            "problem": "",
            "status": statuses,
            "inspectors": [3.0, 0.0, 22.0, 0.0, 4.0],
        },
        geometry=gpd.points_from_xy([0, 200, 200, 200, 0], [0, 200, 0, 30, 200]),
        crs=CRS,
    )
    city = City(
        name="grid (synthetic)",
        osm=None,  # type: ignore[arg-type]
        network=plain_grid(),
        residents=homes,
        stations=stations,
        districts=None,
    )
    coverage = assess_coverage(
        city, settings=WalkSettings(max_walk_m=100.0), service_limits_min=(1.0,)
    )
    review = review_stations(city, coverage, residents_per_inspector=25, method="greedy")
    return coverage, review


def _memo(coverage, review):
    from planner.outputs import summary_markdown
    from planner.report import review_dict

    s = coverage.summary
    return summary_markdown(
        {
            "coverage": {
                "residents_total": s.residents_total,
                "residents_covered": s.residents_covered,
            },
            "stations_review": review_dict(review),
        }
    )


def test_memo_defines_served_and_closes_the_inspector_arithmetic():
    coverage, review = _wording_city(["open", "open", "planned", "planned", "closed"])
    st = review.stations.set_index("station_id")
    assert st["residents_served"].dropna().to_dict() == {"A": 30.0, "B": 75.0}
    assert st["residents_served_within_limit"].dropna().to_dict() == {"A": 30.0, "B": 60.0}
    t = review.inspector_totals()
    assert {k: t[k] for k in ("needed", "needed_at_counted", "now", "missing", "surplus")} == {
        "needed": 5, "needed_at_counted": 5, "now": 3, "missing": 3, "surplus": 1,
    }  # fmt: skip
    assert (t["listed_not_working"], t["stations_not_working_with_count"]) == (26, 3)
    # not working: inspectors needed blank, with the reason, not 0 next to a blank "served"
    assert st.loc[["P", "Q", "C"], "inspectors_needed"].isna().all()
    assert st.loc["P", "inspectors_note"].startswith("not working (planned)")
    planned = review.planned.set_index("station_id")
    assert planned["added_in_order"].to_dict() == {"P": 15.0, "Q": 0.0}
    assert planned["alone_population"].to_dict() == {"P": 15.0, "Q": 15.0}
    memo = _memo(coverage, review)
    assert (
        "Served: the residents for whom it is the nearest working station on foot, at any " in memo
    )
    assert (
        "at the 2 of them with a count, 5 needed and 3 there now: 3 missing at stations short "
        "of the norm and 1 surplus at stations above it (5 − 3 = 3 − 1)." in memo
    )
    assert "26 more inspectors are listed at 3 stations that are not working" in memo
    assert "1. Участок 2 [P]: adds 15 in this position; 15 newly covered on its own" in memo
    assert "2. Участок 3 [Q]: adds 0 in this position; 15 newly covered on its own" in memo
    assert "Warning: no station is working" not in memo


def test_cli_names_stations_with_their_id_and_the_batch_order_is_no_sequence(fine_grid, capsys):
    from planner._cli_print import print_review

    city, coverage = fine_grid
    review = review_stations(city, coverage, residents_per_inspector=25, repair_batch=1)
    print_review(review)
    printed = capsys.readouterr().out
    assert "Участок 1 [A]: only here 10, serves 40 (10 within the walk)" in printed
    assert "order is not a recommended sequence" in printed
    memo = _memo(coverage, review)
    assert "| Участок 1 [A] |" in memo
    assert "- batch 1: Участок 1 [A] (10 without access)" in memo
    assert "order is not a recommended sequence" in memo
    assert "the best among all street points 20 m apart there" in memo


def test_no_working_station_is_warned():
    coverage, review = _wording_city(["closed", "closed", "planned", "planned", "closed"])
    assert review.inspector_totals()["needed"] == 0
    assert "**Warning: no station is working**" in _memo(coverage, review)
