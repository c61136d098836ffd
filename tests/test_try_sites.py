"""Tests of planner.try_sites: the data of the map's "Try sites" panel.

The hand-made instance below has 4 candidate sites and 5 buildings (residents 10, 20, 30, 40,
50; building 3 already within walking distance of a station); every expected number is worked
out in the comments. The real-data tests compare the panel's arithmetic with
``evaluate_sites`` (an independent implementation) on Bishkek 2025. The browser side is in
test_map_browser.py.
"""

from __future__ import annotations

import base64
import json

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp
import shapely

from planner.errors import InputError
from planner.osm import OsmData
from planner.pipeline import (
    assess_coverage,
    city_from_osm,
    evaluate_sites,
    plan_sites,
)
from planner.siting import evaluate_proposals
from planner.try_sites import (
    TrySites,
    _read_varints,
    _varints,
    hilbert_key,
    local_sets,
    shown_rows,
    try_sites_for_evaluation,
    try_sites_for_plan,
)

#: candidates x buildings: c0 {0, 1}, c1 {1, 2, 3}, c2 {4}, c3 {3}
COVERAGE = sp.csr_array((np.ones(7), ([0, 0, 1, 1, 1, 2, 3], [0, 1, 1, 2, 3, 4, 3])), shape=(4, 5))
POPULATION = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
COVERED = np.array([False, False, False, True, False])
WEIGHTS = np.where(COVERED, 0.0, POPULATION)  # 10 20 30 0 50


def test_clickable_rows_are_the_best_alone_plus_the_forced_ones() -> None:
    # alone: c0 10+20 = 30, c1 20+30 = 50, c2 50, c3 0 (its building is covered already)
    assert shown_rows(COVERAGE, WEIGHTS, always=np.array([], int), max_candidates=2).tolist() == [
        1,
        2,
    ]  # c1 and c2 tie at 50: the lower row first
    assert shown_rows(COVERAGE, WEIGHTS, always=np.array([3]), max_candidates=1).tolist() == [1, 3]
    assert shown_rows(COVERAGE, WEIGHTS, always=np.array([0]), max_candidates=0).tolist() == [0]
    # a candidate covering nobody new is clickable only when forced
    assert shown_rows(COVERAGE, WEIGHTS, always=np.array([], int), max_candidates=9).tolist() == [
        1,
        2,
        0,
    ]


def test_sets_keep_only_buildings_not_covered_today() -> None:
    # c0, c1, c2 reach buildings 0, 1, 2, 3, 4; building 3 is covered: local 0..3 = 0, 1, 2, 4
    sets, cols = local_sets(COVERAGE, np.array([0, 1, 2]), ~COVERED, np.arange(5))
    assert cols.tolist() == [0, 1, 2, 4]
    assert sets.dtype == bool
    assert sets.toarray().astype(int).tolist() == [[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]]
    # numbered by the key: building 4 first, then 2, 1, 0
    sets, cols = local_sets(COVERAGE, np.array([0, 1, 2]), ~COVERED, np.array([9, 8, 7, 0, 1]))
    assert cols.tolist() == [4, 2, 1, 0]
    assert sets.toarray().astype(int).tolist() == [[0, 0, 1, 1], [0, 1, 1, 0], [1, 0, 0, 0]]


def hand_made() -> TrySites:
    sets, cols = local_sets(COVERAGE, np.array([0, 1, 2]), ~COVERED, np.arange(5))
    return TrySites(
        candidate_id=("c0", "c1", "c2"),
        name=("Abay", None, "Abay"),
        kind=("site", "candidate", "proposal"),
        lon=np.array([76.9, 76.91, 76.92]),
        lat=np.array([43.2, 43.21, 43.22]),
        sets=sets,
        population=POPULATION[cols],
        building_lon=np.array([76.9, 76.901, 76.902, 76.904]),
        building_lat=np.array([43.2, 43.201, 43.202, 43.204]),
        existing_population=40.0,
        total_population=150.0,
        max_walk_m=800.0,
        spacing_m=100.0,
        best_sites=(np.array([], int), np.array([1]), np.array([1, 2])),
        best_upper_bound=np.array([0.0, 50.0, 100.0]),
        default_size=2,
        n_candidates=4,
        context="plan",
    )


def test_numbers_of_a_selection_by_hand() -> None:
    ts = hand_made()
    # c0 and c1 together reach 0, 1, 2: 10 + 20 + 30 = 60 newly; 40 covered before: 100 of 150
    out = ts.evaluate(["c0", "c1"])
    assert out["newly_covered"] == 60.0
    assert out["covered_after"] == 100.0
    assert out["share_after"] == pytest.approx(100 / 150)
    # c0 alone 30, only it reaches building 0 (10); c1 alone 50, only it reaches building 2 (30)
    assert out["sites"] == [
        {"id": "c0", "alone": 30.0, "marginal": 10.0},
        {"id": "c1", "alone": 50.0, "marginal": 30.0},
    ]
    assert ts.evaluate([])["newly_covered"] == 0.0
    assert ts.evaluate([])["covered_after"] == 40.0
    assert ts.evaluate(["c2", "c2"])["sites"] == [{"id": "c2", "alone": 50.0, "marginal": 50.0}]
    assert ts.best_ids(2) == ["c1", "c2"]
    assert ts.best_ids(7) == ["c1", "c2"]  # flat beyond the largest size embedded


def test_unknown_ids_are_all_reported() -> None:
    with pytest.raises(InputError, match="2 id") as err:
        hand_made().evaluate(["c0", "x", "street:1:0"])
    assert "'x'" in str(err.value) and "'street:1:0'" in str(err.value)


def test_varints_are_leb128() -> None:
    assert _varints(np.array([0, 1, 127, 128, 300])) == bytes([0, 1, 0x7F, 0x80, 0x01, 0xAC, 0x02])
    values = np.array([0, 5, 2**14 - 1, 2**14, 2**21 + 3, 2**35 + 7, 2**52])
    assert _read_varints(_varints(values)).tolist() == values.tolist()


def test_hilbert_order_of_a_2x2_grid() -> None:
    # the curve visits (0,0), (0,1), (1,1), (1,0)
    x = np.array([1.0, 0.0, 1.0, 0.0])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    assert hilbert_key(x, y, bits=1).tolist() == [3, 0, 2, 1]


def test_payload_decodes_to_the_same_sets() -> None:
    ts = hand_made()
    payload = ts.payload()
    json.dumps(payload, allow_nan=False)  # plain JSON
    # sets: c0 {0, 1} -> 2, 0, 1; c1 {1, 2} -> 2, 1, 1; c2 {3} -> 1, 3
    assert _read_varints(base64.b64decode(payload["sets"])).tolist() == [2, 0, 1, 2, 1, 1, 1, 3]
    assert np.frombuffer(base64.b64decode(payload["population"]), "<f8").tolist() == [
        10.0,
        20.0,
        30.0,
        50.0,
    ]
    assert np.frombuffer(base64.b64decode(payload["bx"]), "<i4").tolist() == [
        76900000,
        76901000,
        76902000,
        76904000,
    ]
    assert payload["nameList"] == ["Abay"]
    assert payload["nameIndex"] == [0, -1, 0]
    assert payload["best"] == [[], [1], [1, 2]]
    assert payload["existing"] == 40.0 and payload["total"] == 150.0


def test_numbers_equal_evaluate_proposals_on_random_instances() -> None:
    # cross-check with planner.siting.evaluate_proposals, written independently
    rng = np.random.default_rng(7)
    for _ in range(20):
        n_cand, n_b = 12, 40
        dense = rng.random((n_cand, n_b)) < 0.15
        coverage = sp.csr_array(dense.astype(float))
        population = rng.random(n_b) * 300
        covered = rng.random(n_b) < 0.3
        rows = shown_rows(
            coverage, np.where(covered, 0.0, population), always=np.array([0]), max_candidates=8
        )
        sets, cols = local_sets(coverage, rows, ~covered, rng.random(n_b))
        ts = TrySites(
            candidate_id=tuple(f"c{r}" for r in rows),
            name=(None,) * rows.size,
            kind=("candidate",) * rows.size,
            lon=np.zeros(rows.size),
            lat=np.zeros(rows.size),
            sets=sets,
            population=population[cols],
            building_lon=np.zeros(cols.size),
            building_lat=np.zeros(cols.size),
            existing_population=float(population[covered].sum()),
            total_population=float(population.sum()),
            max_walk_m=800.0,
            spacing_m=None,
            best_sites=(np.array([], int),),
            best_upper_bound=np.zeros(1),
            default_size=0,
            n_candidates=n_cand,
            context="plan",
        )
        pick = rng.choice(rows, size=min(4, rows.size), replace=False)
        ours = ts.evaluate([f"c{r}" for r in pick])
        theirs = evaluate_proposals(coverage, population, pick, already_covered=covered)
        assert ours["newly_covered"] == pytest.approx(theirs.list_population, abs=1e-9)
        assert [s["alone"] for s in ours["sites"]] == pytest.approx(theirs.alone_population)
        assert [s["marginal"] for s in ours["sites"]] == pytest.approx(theirs.marginal_population)


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def bishkek(bishkek_osm: OsmData) -> tuple:
    city = city_from_osm(bishkek_osm, name="Bishkek")
    coverage = assess_coverage(city)
    plan = plan_sites(city, coverage, n_sites=2, spacing_m=200.0)
    return city, coverage, plan


def proposals_at(frame: gpd.GeoDataFrame, ids: list[str]) -> gpd.GeoDataFrame:
    """The candidates with these ids as an akimat's proposals (as read_candidates makes)."""
    rows = frame.set_index("candidate_id").loc[ids]
    return gpd.GeoDataFrame(
        {
            "candidate_id": [f"proposal:{i + 1}" for i in range(len(ids))],
            "source": "proposal",
            "name": ids,
            "row": np.arange(1, len(ids) + 1),
        },
        geometry=rows.geometry.to_numpy(),
        crs=frame.crs,
    )


def test_plan_panel_equals_evaluate_sites_on_bishkek(bishkek: tuple) -> None:
    city, coverage, plan = bishkek
    ts = try_sites_for_plan(coverage, plan, spacing_m=200.0, max_candidates=40)
    assert 40 <= len(ts.candidate_id) <= 40 + 2 + 2 * 10  # the plan's and best plans' sites
    assert ts.default_size == 2
    sites = plan.candidates["candidate_id"].to_numpy()[plan.rollout.sites].tolist()
    assert [ts.kind[ts.candidate_id.index(s)] for s in sites] == ["site", "site"]
    # the button's plan for the run's size is the run's plan, with its numbers
    assert sorted(ts.best_ids(2)) == sorted(sites)
    best = ts.evaluate(ts.best_ids(2))
    assert best["newly_covered"] == pytest.approx(plan.siting.newly_covered_population, abs=1e-6)
    assert best["covered_after"] == pytest.approx(plan.summary_after.residents_covered, abs=1e-6)
    assert ts.existing_population == pytest.approx(coverage.summary.residents_covered)
    # any three clickable sites: the same numbers as evaluate_sites on the same points
    ids = [ts.candidate_id[i] for i in (0, 7, 21)]
    ours = ts.evaluate(ids)
    ev = evaluate_sites(city, coverage, proposals_at(plan.candidates, ids), spacing_m=200.0)
    assert ours["newly_covered"] == pytest.approx(ev.evaluation.list_population, abs=1e-6)
    assert round(ours["newly_covered"]) == round(ev.evaluation.list_population)
    assert [s["alone"] for s in ours["sites"]] == pytest.approx(
        ev.proposals["alone_population"].tolist(), abs=1e-6
    )
    assert [s["marginal"] for s in ours["sites"]] == pytest.approx(
        ev.proposals["marginal_population"].tolist(), abs=1e-6
    )
    # the best plans embedded are never better than their proven bounds
    for k in range(len(ts.best_sites)):
        value = ts.evaluate(ts.best_ids(k))["newly_covered"]
        assert value <= ts.best_upper_bound[k] + 1e-6
    assert np.all(np.diff([ts.evaluate(ts.best_ids(k))["newly_covered"] for k in range(6)]) >= 0)


def test_evaluate_panel_has_the_proposals_and_the_best_plan(bishkek: tuple) -> None:
    city, coverage, plan = bishkek
    ids = plan.candidates["candidate_id"].to_numpy()[[3, 30]].tolist()
    ev = evaluate_sites(city, coverage, proposals_at(plan.candidates, ids), spacing_m=200.0)
    ts = try_sites_for_evaluation(coverage, ev, spacing_m=200.0, max_candidates=10)
    assert ts.context == "evaluate" and ts.default_size == 2
    kinds = dict(zip(ts.candidate_id, ts.kind, strict=True))
    assert kinds["proposal:1"] == kinds["proposal:2"] == "proposal"
    out = ts.evaluate(["proposal:1", "proposal:2"])
    assert out["newly_covered"] == pytest.approx(ev.evaluation.list_population, abs=1e-6)
    best = ts.evaluate(ts.best_ids(2))
    assert best["newly_covered"] == pytest.approx(
        ev.evaluation.best.newly_covered_population, abs=1e-6
    )
    assert shapely.get_x(ev.candidates.geometry.iloc[0]) > 0  # metric CRS kept


def test_evaluation_without_matrix_is_explained(bishkek: tuple) -> None:
    from planner.pipeline import EvaluationResult

    _, coverage, plan = bishkek
    bare = EvaluationResult(proposals=plan.sites, evaluation=None, best_sites=plan.sites)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="no candidates and matrix"):
        try_sites_for_evaluation(coverage, bare)


def test_a_curve_already_computed_is_used(bishkek: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    # a national unit's map: its best plans come from the unit's own curve, not a new solve
    from planner import try_sites
    from planner.pipeline import plan_curve, plan_from_curve

    city, coverage, _ = bishkek
    pc = plan_curve(city, coverage, max_sites=4, spacing_m=200.0)
    plan = plan_from_curve(city, coverage, pc, n_sites=3)

    def no_solve(*args: object, **kwargs: object) -> None:
        raise AssertionError("coverage_curve must not run again")

    monkeypatch.setattr(try_sites, "coverage_curve", no_solve)
    ts = try_sites_for_plan(coverage, plan, spacing_m=200.0, max_candidates=5, curve=pc.curve)
    ids = pc.candidates["candidate_id"].to_numpy()
    assert len(ts.best_sites) == 5  # k = 0 .. 4
    for k in (1, 2, 4):
        assert sorted(ts.best_ids(k)) == sorted(ids[pc.curve.sites[k]])
        value = ts.evaluate(ts.best_ids(k))["newly_covered"]
        assert value == pytest.approx(pc.curve.newly_covered[k], abs=1e-6)
    # the plan's own size: the plan itself
    assert sorted(ts.best_ids(3)) == sorted(plan.sites["candidate_id"])


def test_a_plans_prefix_solves_feed_the_panel(
    bishkek: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a plan of 10 sites has solved every size 1..10 for its prefix gaps: the panel's best
    # plans (k = 0..10, the 10 it always shows) are those, not a second solve, and they equal
    # the curve solved on its own
    from planner import try_sites
    from planner.siting import coverage_curve

    city, coverage, _ = bishkek
    plan = plan_sites(city, coverage, n_sites=10, spacing_m=200.0)
    rollout = plan.rollout
    assert len(rollout.best_sites) == 10
    pop = coverage.buildings["population"].to_numpy(dtype=float)
    old = coverage.buildings["covered"].to_numpy(dtype=bool)
    for m, sites in enumerate(rollout.best_sites, start=1):
        assert sites.size <= m
        new = np.unique(plan.matrix.matrix[sites].indices)
        assert pop[new][~old[new]].sum() == pytest.approx(rollout.best_population[m - 1])
    curve = coverage_curve(plan.matrix.matrix, pop, max_sites=10, already_covered=old)

    def no_solve(*args: object, **kwargs: object) -> None:
        raise AssertionError("coverage_curve must not run again")

    monkeypatch.setattr(try_sites, "coverage_curve", no_solve)
    ts = try_sites_for_plan(coverage, plan, spacing_m=200.0, max_candidates=5)
    assert len(ts.best_sites) == 11
    for k in range(1, 11):
        value = ts.evaluate(ts.best_ids(k))["newly_covered"]
        assert value == pytest.approx(curve.newly_covered[k], rel=1e-9)
        assert value <= ts.best_upper_bound[k] + 1e-6
    assert np.all(np.diff(ts.best_upper_bound) >= -1e-9)  # bounds never fall with k
    # a plan smaller than the 10 sizes shown still solves the rest, and so does a plan whose
    # prefix solves the safety net cut short (greedy stand-ins are not shown as best plans)
    small = plan_sites(city, coverage, n_sites=3, spacing_m=200.0)
    with pytest.raises(AssertionError, match="must not run again"):
        try_sites_for_plan(coverage, small, spacing_m=200.0, max_candidates=5)
    from dataclasses import replace

    cut_short = replace(plan, rollout=replace(rollout, time_limit_hit=True))
    with pytest.raises(AssertionError, match="must not run again"):
        try_sites_for_plan(coverage, cut_short, spacing_m=200.0, max_candidates=5)
