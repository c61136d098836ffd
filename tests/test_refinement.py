"""Proving the curve points a national allocation depends on (issue 22, goal 1).

``planner.allocation.refinement_points`` says which unproven points can narrow the national
gap; ``planner.siting.refine_curve`` solves them again with the largest MILPs. Checked by hand,
against brute force over every allocation, and against brute force over every plan.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from planner.allocation import allocate, refinement_points
from planner.errors import InputError
from planner.siting import coverage_curve, refine_curve


def _brute_allocation(curves: list[np.ndarray], budget: int) -> float:
    best = 0.0
    ranges = [range(c.size) for c in curves]
    for ks in itertools.product(*ranges):
        if sum(ks) <= budget:
            best = max(best, sum(float(c[k]) for c, k in zip(curves, ks, strict=True)))
    return best


def test_points_by_hand():
    # unit 0 is the docstring's non-concave unit (6, 7, 9), with loose bounds at k = 1..3;
    # unit 1 is proven: 1.5 for its first station, little after
    curves = [np.array([0.0, 6, 7, 9]), np.array([0.0, 1.5, 1.6, 1.7])]
    bounds = [np.array([0.0, 8, 9, 10]), np.array([0.0, 1.5, 1.6, 1.7])]
    settled = [np.array([True, False, False, False]), np.ones(4, dtype=bool)]
    # over the curves: (3, 0) = 9; over the bounds: (2, 1) = 9 + 1.5 = 10.5
    assert allocate(curves, 3, bounds=bounds).upper_bound == pytest.approx(10.5)
    points = refinement_points(curves, bounds, 3, settled=settled)
    assert [p.tolist() for p in points] == [[2, 3], []]  # u_0 = 2; k_0 = 3 (k_0 + 1 is past K)
    # once the allocation's point k_0 = 3 is proven, every point below it is asked for, so the
    # curve a user reads is proven up to the allocation + 1 (issue 22, goal 1), though the gap
    # does not need it; a point settled but not proven (the solver's limits) asks for nothing
    settled[0][[2, 3]] = True
    unproven = [np.array([True, False, False, False]), np.ones(4, dtype=bool)]
    assert [p.tolist() for p in refinement_points(curves, bounds, 3, settled=settled)] == [[1], []]
    points = refinement_points(curves, bounds, 3, settled=settled, proven=unproven)
    assert [p.tolist() for p in points] == [[], []]
    # settled points are never asked for again
    settled[0][1] = True
    assert [p.tolist() for p in refinement_points(curves, bounds, 3, settled=settled)] == [[], []]
    with pytest.raises(InputError, match="settled must have one array per curve"):
        refinement_points(curves, bounds, 3, settled=[np.ones(3, dtype=bool)] * 2)
    with pytest.raises(InputError, match="proven must have one array per curve"):
        refinement_points(curves, bounds, 3, settled=settled, proven=[np.ones(4, dtype=bool)])


def test_points_below_wait_for_the_allocation_and_the_next_point_proven():
    """Below the allocation k_0 = 3, k = 1 is asked for only when both k_0 and k_0 + 1 are
    proven: settled at the solver's limits (unproven) at k_0 + 1 asks for nothing."""
    curves = [np.array([0.0, 6, 7, 9, 9.5]), np.array([0.0, 1.5, 1.6, 1.7, 1.8])]
    bounds = [np.array([0.0, 8, 9, 10, 10]), curves[1].copy()]
    assert allocate(curves, 3, bounds=bounds).new_stations.tolist() == [3, 0]
    settled = [np.array([True, False, True, True, True]), np.ones(5, dtype=bool)]
    k1_unproven = [np.array([True, False, False, True, False]), np.ones(5, dtype=bool)]
    k1_proven = [np.array([True, False, False, True, True]), np.ones(5, dtype=bool)]
    points = refinement_points(curves, bounds, 3, settled=settled, proven=k1_unproven)
    assert [p.tolist() for p in points] == [[], []]
    points = refinement_points(curves, bounds, 3, settled=settled, proven=k1_proven)
    assert [p.tolist() for p in points] == [[1], []]


@pytest.mark.parametrize("seed", range(25))
def test_refining_the_points_asked_for_closes_the_gap(seed):
    """Curves start as weak plans with loose bounds; proving only the points asked for, round
    after round, ends with the exact national optimum (brute force over every allocation) and
    a gap of 0, long before every point is proven."""
    rng = np.random.default_rng(seed)
    n_units, budget = 4, 6
    opt = [
        np.r_[0.0, np.cumsum(rng.uniform(0, 10, size=6) * rng.integers(0, 2, size=6))]
        for _ in range(n_units)
    ]
    lower = [
        np.maximum.accumulate(o - rng.uniform(0, 3, size=o.size) * (np.arange(o.size) > 0)).clip(0)
        for o in opt
    ]
    lower = [np.minimum(lo, o) for lo, o in zip(lower, opt, strict=True)]
    for lo in lower:
        lo[0] = 0.0
    upper = [o + rng.uniform(0, 4, size=o.size) * (np.arange(o.size) > 0) for o in opt]
    proven = [np.isclose(lo, up) for lo, up in zip(lower, upper, strict=True)]
    solved = 0
    for _ in range(100):
        points = refinement_points(lower, upper, budget, settled=proven)
        if not any(p.size for p in points):
            break
        for i, ks in enumerate(points):
            for k in ks:  # the exact solver: plan and bound both reach OPT
                lower[i][k] = upper[i][k] = opt[i][k]
                proven[i][k] = True
                solved += 1
            lower[i] = np.maximum.accumulate(lower[i])
            upper[i] = np.maximum(np.minimum.accumulate(upper[i][::-1])[::-1], lower[i])
    result = allocate(lower, budget, bounds=upper)
    assert result.newly_covered == pytest.approx(_brute_allocation(opt, budget))
    assert result.gap == pytest.approx(0.0, abs=1e-9)
    # every unit's curve is proven up to its allocation + 1 (or its end)
    for i, k in enumerate(result.new_stations):
        assert proven[i][: int(k) + 2].all()
    assert solved < sum(o.size - 1 for o in opt)  # fewer points than the whole curves


def test_points_the_solver_cannot_prove_end_the_rounds_with_an_honest_gap():
    """A point solved 'as far as the limits allow' (settled, still unproven) is not asked for
    again; the rounds end and the gap stays proven (the bound is above the true optimum)."""
    opt = [np.array([0.0, 5, 9, 12]), np.array([0.0, 4, 7, 8])]
    lower = [np.array([0.0, 5, 8, 11]), np.array([0.0, 4, 7, 8])]
    upper = [np.array([0.0, 5, 10, 13]), np.array([0.0, 4, 7, 8])]
    settled = [np.array([True, True, False, False]), np.ones(4, dtype=bool)]
    asked = []
    for _ in range(10):
        points = refinement_points(lower, upper, 3, settled=settled)
        if not any(p.size for p in points):
            break
        for i, ks in enumerate(points):
            asked += [(i, int(k)) for k in ks]
            settled[i][ks] = True  # the node limit stopped it: nothing changes
    assert sorted(asked) == [(0, 2), (0, 3)]
    result = allocate(lower, 3, bounds=upper)
    assert result.upper_bound >= _brute_allocation(opt, 3) - 1e-9
    assert result.gap > 0


def _instance(seed: int) -> tuple[sp.csr_array, np.ndarray]:
    rng = np.random.default_rng(seed)
    dense = rng.random((14, 60)) < 0.18
    return sp.csr_array(dense.astype(np.float64)), rng.integers(1, 30, size=60).astype(float)


def _brute_max(pattern: sp.csr_array, population: np.ndarray, k: int) -> float:
    dense = pattern.toarray() > 0
    best = 0.0
    for rows in itertools.combinations(range(dense.shape[0]), k):
        best = max(best, float(population[dense[list(rows)].any(axis=0)].sum()))
    return best


def test_refine_curve_proves_the_points_the_first_pass_left_open():
    """With MILPs switched off in the first pass (``max_milp_pairs=0``) some points keep only
    their Lagrangian bound; refining them proves them, and they equal brute force over every
    plan; the rest of the curve stays consistent."""
    pattern, population = _instance(3)
    first = coverage_curve(pattern, population, max_sites=6, max_milp_pairs=0)
    open_points = [k for k in range(1, first.k_max + 1) if not first.proven_optimal[k]]
    assert open_points, "the instance must leave a point to refine"
    assert all("MILP skipped" in first.status[k] for k in open_points)
    refined = refine_curve(pattern, population, first, open_points)
    for k in range(1, refined.k_max + 1):
        brute = _brute_max(pattern, population, k)
        assert refined.newly_covered[k] == pytest.approx(brute), k
        assert refined.upper_bound[k] >= brute - 1e-9, k
        if k in open_points:
            assert refined.proven_optimal[k], k
            assert "(refined" in refined.status[k]
        covered = pattern[refined.sites[k]].toarray().any(axis=0)
        assert population[covered].sum() == pytest.approx(refined.newly_covered[k])
    assert np.all(np.diff(refined.newly_covered) >= -1e-9)
    assert np.all(np.diff(refined.upper_bound) >= -1e-9)
    assert refined.runtime_s >= first.runtime_s
    # refining nothing changes nothing; a point off the curve is refused
    assert refine_curve(pattern, population, first, []) is first
    with pytest.raises(InputError, match="not on the curve"):
        refine_curve(pattern, population, first, [first.k_max + 1])


def test_a_better_plan_carries_over_to_the_next_point():
    """When refining k finds a better plan, k + 1 is never left below it (the plan for k plus
    its best extra site)."""
    for seed in range(40):
        pattern, population = _instance(seed)
        first = coverage_curve(pattern, population, max_sites=6, max_milp_pairs=0, method="greedy")
        k = next(
            (
                k
                for k in range(1, 6)
                if first.newly_covered[k] < _brute_max(pattern, population, k) - 1e-9
            ),
            None,
        )
        if k is None:
            continue
        refined = refine_curve(pattern, population, first, [k])
        assert refined.newly_covered[k] == pytest.approx(_brute_max(pattern, population, k))
        assert np.all(np.diff(refined.newly_covered) >= -1e-9)
        return
    pytest.fail("no seed gave a greedy plan below the optimum")


# --- the anchored first pass of big curves (issue 22, goal 4) ------------------------------------


def test_every_multiplier_bounds_every_size():
    """``_lagrangian(harvest=...)``: each multiplier vector tried also bounds every other size;
    the harvested bounds are never below the brute-force optimum and are the run's own bound
    (or better) at the run's size."""
    from planner._solvers import _lagrangian

    for seed in range(8):
        pattern, population = _instance(seed)
        harvest = np.full(8, np.inf)
        harvest[0] = 0.0
        lag = _lagrangian(
            pattern, population, 3, lower=0.0, deadline=float("inf"), rel_gap=1e-9,
            harvest=harvest,
        )  # fmt: skip
        assert harvest[3] <= lag.bound + 1e-9
        for k in range(1, 8):
            assert harvest[k] >= _brute_max(pattern, population, k) - 1e-9, (seed, k)
        assert np.all(np.isfinite(harvest))
        assert harvest[4] < population.sum()  # near the run's size: not the trivial bound


def test_anchored_curve_is_valid_consistent_and_the_same_every_time(monkeypatch):
    """Above ``CURVE_ANCHOR_MIN_WORK`` (here 0) the first pass bounds every size from a few
    anchor runs: each plan is a real plan (its sites cover what it says), never above brute
    force, each bound never below it; the curve is monotone and repeatable."""
    import planner.siting as siting

    monkeypatch.setattr(siting, "CURVE_ANCHOR_MIN_WORK", 0)
    gaps = []
    for seed in range(6):
        pattern, population = _instance(seed)
        curve = coverage_curve(pattern, population, max_sites=7, max_milp_pairs=0)
        again = coverage_curve(pattern, population, max_sites=7, max_milp_pairs=0)
        assert all("anchored" in s for s in curve.status[1:]), curve.status
        np.testing.assert_array_equal(curve.newly_covered, again.newly_covered)
        np.testing.assert_array_equal(curve.upper_bound, again.upper_bound)
        for k in range(1, 8):
            brute = _brute_max(pattern, population, k)
            assert curve.newly_covered[k] <= brute + 1e-9, (seed, k)
            assert curve.upper_bound[k] >= brute - 1e-9, (seed, k)
            assert len(curve.sites[k]) <= k
            covered = pattern[curve.sites[k]].toarray().any(axis=0)
            assert population[covered].sum() == pytest.approx(curve.newly_covered[k])
            gaps.append((curve.upper_bound[k] - brute) / brute)
        assert np.all(np.diff(curve.newly_covered) >= -1e-9)
        assert np.all(np.diff(curve.upper_bound) >= -1e-9)
    assert np.median(gaps) < 0.05  # the anchors' multipliers bound the other sizes closely


def test_anchored_points_are_refined_to_the_optimum(monkeypatch):
    """The refining rounds solve the anchored curve's open points as a single run would."""
    import planner.siting as siting

    monkeypatch.setattr(siting, "CURVE_ANCHOR_MIN_WORK", 0)
    pattern, population = _instance(3)
    first = coverage_curve(pattern, population, max_sites=6, max_milp_pairs=0)
    open_points = [k for k in range(1, 7) if not first.proven_optimal[k]]
    assert open_points
    refined = refine_curve(pattern, population, first, open_points)
    for k in open_points:
        assert refined.newly_covered[k] == pytest.approx(_brute_max(pattern, population, k))
        assert refined.proven_optimal[k]
