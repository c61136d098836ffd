"""Tests of planner.allocation: hand-computed instances and brute force over all allocations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import planner.allocation as allocation
from planner.allocation import Allocation, allocate, allocate_greedy, fewest_for_target
from planner.errors import InputError

# --------------------------------------------------------------------------------------------
# Brute force: every allocation, independent of the module
# --------------------------------------------------------------------------------------------


def _flat(curve: np.ndarray, k: int) -> float:
    return float(curve[min(k, len(curve) - 1)])


def _all_allocations(curves, budget, lo, hi):
    """Every allocation with lo <= k_i <= hi_i and total <= budget, with its value."""
    ranges = [range(lo[i], min(hi[i], budget) + 1) for i in range(len(curves))]
    for alloc in itertools.product(*ranges):
        if sum(alloc) <= budget:
            yield alloc, math.fsum(_flat(c, k) for c, k in zip(curves, alloc, strict=True))


def _brute(curves, budget, lo, hi):
    """Best value for every b = 0..budget, and for b = budget the allocations reaching it."""
    everything = list(_all_allocations(curves, budget, lo, hi))
    best = []
    for b in range(budget + 1):
        vals = [v for a, v in everything if sum(a) <= b]
        best.append(max(vals) if vals else -math.inf)
    return np.array(best), everything


def _random_curve(rng: np.random.Generator, length: int, *, integer: bool) -> np.ndarray:
    """Non-decreasing from 0; gains of any sign pattern, zeros included (so not concave)."""
    if integer:
        steps = rng.integers(0, 5, size=length - 1).astype(float)
    else:
        steps = rng.random(length - 1) * rng.integers(0, 2, size=length - 1)
    return np.concatenate([[0.0], np.cumsum(steps)])


def _random_instance(rng: np.random.Generator, *, integer: bool):
    n_units = int(rng.integers(1, 4))
    curves = [_random_curve(rng, int(rng.integers(1, 6)), integer=integer) for _ in range(n_units)]
    budget = int(rng.integers(0, 8))
    lo = [0] * n_units
    hi = [budget] * n_units
    max_new = None
    min_new = None
    if rng.random() < 0.5:
        lo = [int(x) for x in rng.integers(0, 3, size=n_units)]
        while sum(lo) > budget:
            lo[int(rng.integers(n_units))] = 0
        min_new = np.array(lo)
    if rng.random() < 0.5:
        caps = [lo[i] + int(rng.integers(0, 4)) for i in range(n_units)]
        free = rng.random(n_units) < 0.3
        max_new = np.where(free, np.inf, caps)
        hi = [budget if free[i] else min(caps[i], budget) for i in range(n_units)]
    return curves, budget, lo, hi, min_new, max_new


# --------------------------------------------------------------------------------------------
# The dynamic programme against brute force
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("integer", [True, False])
def test_dp_matches_brute_force_on_random_instances(integer: bool) -> None:
    rng = np.random.default_rng(20240611 + integer)
    non_concave = 0
    for _ in range(300):
        curves, budget, lo, hi, min_new, max_new = _random_instance(rng, integer=integer)
        non_concave += any((np.diff(np.diff(c)) > 0).any() for c in curves)
        best, everything = _brute(curves, budget, lo, hi)
        res = allocate(curves, budget, min_new=min_new, max_new=max_new)

        np.testing.assert_allclose(res.best_by_budget, best, rtol=1e-12, atol=1e-12)
        assert res.newly_covered == pytest.approx(best[-1], rel=1e-9, abs=1e-12)
        alloc = res.new_stations.tolist()
        assert all(lo[i] <= alloc[i] <= hi[i] for i in range(len(curves)))
        assert res.used == sum(alloc) <= budget
        value = math.fsum(_flat(c, k) for c, k in zip(curves, alloc, strict=True))
        assert res.newly_covered == pytest.approx(value, rel=1e-12, abs=1e-12)
        # The fewest stations among the optimal allocations.
        optimal = [a for a, v in everything if v >= best[-1] - 1e-9 * abs(best[-1])]
        assert res.used == min(sum(a) for a in optimal)
        if integer:  # exact arithmetic: the documented tie-break picks exactly one of them
            fewest = [a for a in optimal if sum(a) == res.used]
            assert tuple(alloc) == min(fewest, key=lambda a: a[::-1])
        assert res.upper_bound == res.newly_covered
        assert res.gap == 0.0
        assert res.method == "dynamic programming"
        assert np.all(np.diff(res.best_by_budget[np.isfinite(res.best_by_budget)]) >= 0)
    assert non_concave > 100  # the instances really exercise non-concave curves


def test_small_table_blocks_give_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    # The DP table is maximised in row blocks; one row (or cell) per block must not change a thing.
    rng = np.random.default_rng(99)
    instances = [_random_instance(rng, integer=True) for _ in range(100)]
    whole = [allocate(c, b, min_new=mn, max_new=mx) for c, b, _, _, mn, mx in instances]
    monkeypatch.setattr(allocation, "_CELLS", 1)
    for (curves, budget, lo, hi, min_new, max_new), ref in zip(instances, whole, strict=True):
        res = allocate(curves, budget, min_new=min_new, max_new=max_new)
        np.testing.assert_array_equal(res.new_stations, ref.new_stations)
        np.testing.assert_array_equal(res.best_by_budget, ref.best_by_budget)
        np.testing.assert_array_equal(res.best_by_budget, _brute(curves, budget, lo, hi)[0])


def test_fewest_for_target_matches_brute_force() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        curves, budget, lo, hi, min_new, max_new = _random_instance(rng, integer=True)
        best, _ = _brute(curves, budget, lo, hi)
        target = float(rng.integers(0, int(best[-1]) + 3))
        res = fewest_for_target(curves, target, max_total=budget, min_new=min_new, max_new=max_new)
        reaching = [b for b in range(budget + 1) if best[b] >= target]
        if not reaching:
            assert res is None
            continue
        assert res is not None
        assert res.budget == reaching[0]
        assert res.newly_covered == best[reaching[0]] >= target
        assert len(res.best_by_budget) == reaching[0] + 1


def test_bound_matches_brute_force_over_bound_curves() -> None:
    rng = np.random.default_rng(11)
    for _ in range(200):
        curves, budget, lo, hi, min_new, max_new = _random_instance(rng, integer=True)
        extra = [rng.integers(0, 3, size=c.size).astype(float) for c in curves]
        bounds = [c + e for c, e in zip(curves, extra, strict=True)]
        res = allocate(curves, budget, bounds=bounds, min_new=min_new, max_new=max_new)
        # Suffix minimum: OPT never decreases, so a bound at j >= k also bounds OPT(k).
        tight = [np.minimum.accumulate(b[::-1])[::-1] for b in bounds]
        bound_best, _ = _brute(tight, budget, lo, hi)
        raw_best, _ = _brute(bounds, budget, lo, hi)
        best, _ = _brute(curves, budget, lo, hi)
        assert res.upper_bound == bound_best[-1]
        np.testing.assert_array_equal(res.bound_by_budget, bound_best)
        assert best[-1] <= res.upper_bound <= raw_best[-1]
        assert res.newly_covered <= res.upper_bound
        assert 0 <= res.gap <= 1


# --------------------------------------------------------------------------------------------
# Greedy: equal to the DP on concave curves, loses on non-concave ones
# --------------------------------------------------------------------------------------------


def test_greedy_equals_dp_on_concave_curves() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        n_units = int(rng.integers(1, 5))
        curves = []
        for _ in range(n_units):
            gains = np.sort(rng.integers(0, 10, size=int(rng.integers(0, 6))))[::-1]
            curves.append(np.concatenate([[0.0], np.cumsum(gains)]))
        budget = int(rng.integers(0, 12))
        min_new = rng.integers(0, 2, size=n_units)
        if min_new.sum() > budget:
            min_new[:] = 0
        max_new = min_new + rng.integers(0, 5, size=n_units)
        dp = allocate(curves, budget, min_new=min_new, max_new=max_new)
        greedy = allocate_greedy(curves, budget, min_new=min_new, max_new=max_new)
        assert greedy.newly_covered == dp.newly_covered
        np.testing.assert_array_equal(greedy.best_by_budget, dp.best_by_budget)
        assert greedy.gap == 0.0
        assert greedy.method == "greedy"
        assert np.all(min_new <= greedy.new_stations)
        assert np.all(greedy.new_stations <= max_new)


#: Elements 1..9 of weight 1; A = {1,2,3}, B = {4,5,6}, C = {7,8,9}, D = {1,2,4,5,7,8}.
SETS = {"A": {1, 2, 3}, "B": {4, 5, 6}, "C": {7, 8, 9}, "D": {1, 2, 4, 5, 7, 8}}
#: OPT(0..3) by hand: 0; D covers 6; D + any other set adds 1; A, B, C cover all 9.
SET_CURVE = [0.0, 6.0, 7.0, 9.0]


def test_set_system_curve_is_not_concave() -> None:
    opt = [
        max(len(set().union(*combo)) for combo in itertools.combinations(SETS.values(), k))
        for k in range(4)
    ]
    assert opt == SET_CURVE
    assert np.diff(SET_CURVE).tolist() == [6.0, 1.0, 2.0]


def test_greedy_loses_where_dp_does_not() -> None:
    # Unit 0 [0, 6, 7, 10] (gains 6, 1, 3), unit 1 [0, 2, 2, 2] (gains 2, 0, 0), budget 3.
    # Greedy: 6 (unit 0), then 2 > 1 (unit 1), then 1 > 0 (unit 0): [2, 1] = 7 + 2 = 9.
    # DP: (3, 0) = 10, (2, 1) = 9, (1, 2) = (1, 1) = 8, (0, 3) = 2: [3, 0] = 10.
    curves = [[0, 6, 7, 10], [0, 2, 2, 2]]
    greedy = allocate_greedy(curves, 3)
    dp = allocate(curves, 3)
    assert greedy.new_stations.tolist() == [2, 1]
    assert greedy.newly_covered == 9.0
    assert dp.new_stations.tolist() == [3, 0]
    assert dp.newly_covered == 10.0
    # Greedy's bound is the exact optimum over the curves: gap (10 - 9) / 10.
    assert greedy.upper_bound == 10.0
    assert greedy.gap == pytest.approx(0.1)
    # By budget: greedy 0, 6, 8, 9; DP 0, 6 (unit 0), 8 (6 + 2), 10.
    assert greedy.best_by_budget.tolist() == [0.0, 6.0, 8.0, 9.0]
    assert dp.best_by_budget.tolist() == [0.0, 6.0, 8.0, 10.0]


def test_greedy_loses_on_the_set_system_curve() -> None:
    # Unit 0 is the set system [0, 6, 7, 9], unit 1 [0, 1.5], budget 3.
    # Greedy: 6 (unit 0), 1.5 > 1 (unit 1), 1 > 0 (unit 0): [2, 1] = 7 + 1.5 = 8.5.
    # DP: (3, 0) = 9 beats (2, 1) = 8.5 and (1, 1) = 7.5.
    curves = [SET_CURVE, [0, 1.5]]
    assert allocate_greedy(curves, 3).newly_covered == 8.5
    assert allocate_greedy(curves, 3).new_stations.tolist() == [2, 1]
    dp = allocate(curves, 3)
    assert dp.newly_covered == 9.0
    assert dp.new_stations.tolist() == [3, 0]
    # With budget 2 both give D + unit 1's station: 6 + 1.5 = 7.5.
    assert allocate(curves, 2).new_stations.tolist() == [1, 1]
    assert allocate_greedy(curves, 2).newly_covered == 7.5


def test_greedy_ties_and_stop() -> None:
    # Two identical units: greedy's tie goes to the lower index. Nothing gains after one each,
    # so greedy stops at 2 of 5.
    g = allocate_greedy([[0, 5], [0, 5]], 1)
    assert g.new_stations.tolist() == [1, 0]
    g = allocate_greedy([[0, 5], [0, 5]], 5)
    assert g.new_stations.tolist() == [1, 1]
    assert g.used == 2
    assert g.best_by_budget.tolist() == [0.0, 5.0, 10.0, 10.0, 10.0, 10.0]


# --------------------------------------------------------------------------------------------
# Limits: minimums, caps, quotas
# --------------------------------------------------------------------------------------------


def test_minimum_forces_stations_that_add_nobody() -> None:
    # Unit 1 is flat at 0 but must get 2: budget 3 leaves 1 for unit 0 (5); budget 4, 2 (8).
    curves = [[0, 5, 8], [0, 0, 0]]
    res = allocate(curves, 3, min_new=[0, 2])
    assert res.new_stations.tolist() == [1, 2]
    assert res.newly_covered == 5.0
    # Budgets 0 and 1 cannot meet the minimum; 2 gives 0, 3 gives 5.
    assert res.best_by_budget.tolist() == [-math.inf, -math.inf, 0.0, 5.0]
    assert allocate(curves, 4, min_new=[0, 2]).new_stations.tolist() == [2, 2]
    g = allocate_greedy(curves, 3, min_new=[0, 2])
    assert g.new_stations.tolist() == [1, 2]
    assert g.best_by_budget.tolist() == [-math.inf, -math.inf, 0.0, 5.0]


def test_minimum_beyond_the_curve_is_valued_flat() -> None:
    # Unit 1's curve ends at K = 1 with 1; a minimum of 3 is valued 1. Budget 4: 1 left for
    # unit 0 (5): 5 + 1 = 6.
    res = allocate([[0, 5, 8], [0, 1]], 4, min_new=[0, 3])
    assert res.new_stations.tolist() == [1, 3]
    assert res.newly_covered == 6.0


def test_quota_and_cap() -> None:
    curves = [[0, 5, 8], [0, 4, 6]]
    # Free, budget 3: (2, 1) = 12 beats (1, 2) = 11.
    assert allocate(curves, 3).new_stations.tolist() == [2, 1]
    # Unit 0 fixed at exactly 1: (1, 2) = 11.
    quota = allocate(curves, 3, min_new=[1, 0], max_new=[1, np.inf])
    assert quota.new_stations.tolist() == [1, 2]
    assert quota.newly_covered == 11.0
    # A quota of 2 is placed even when the budget could do better elsewhere: (2, 0) = 8 with 2.
    assert allocate(curves, 2, min_new=[0, 2], max_new=[0, 2]).new_stations.tolist() == [0, 2]
    # Cap unit 0 at 1 and unit 1 at 1: budget 5 can only use 2: 5 + 4 = 9.
    capped = allocate(curves, 5, max_new=[1, 1])
    assert capped.new_stations.tolist() == [1, 1]
    assert capped.newly_covered == 9.0
    assert capped.used == 2
    assert allocate_greedy(curves, 5, max_new=[1, 1]).new_stations.tolist() == [1, 1]


def test_minimums_above_the_budget_raise() -> None:
    with pytest.raises(InputError, match=r"need 4 new stations but only 3 are available") as e:
        allocate([[0, 1], [0, 1]], 3, min_new=[2, 2])
    assert "--new-stations" in e.value.hint
    with pytest.raises(InputError, match="need 4"):
        allocate_greedy([[0, 1], [0, 1]], 3, min_new=[2, 2])
    with pytest.raises(InputError, match=r"max_total=3"):
        fewest_for_target([[0, 1], [0, 1]], 1.0, max_total=3, min_new=[2, 2])


# --------------------------------------------------------------------------------------------
# Ties: fewest stations, then fewer in the later unit
# --------------------------------------------------------------------------------------------


def test_ties_prefer_fewer_stations() -> None:
    # Unit 0 gains only with its first station, unit 1 too; unit 2 never gains. Budget 5.
    res = allocate([[0, 5, 5, 5], [0, 3, 3], [0, 0, 0, 0]], 5)
    assert res.new_stations.tolist() == [1, 1, 0]
    assert res.used == 2
    assert res.newly_covered == 8.0
    # A unit whose curve is just [0] never gets a station.
    assert allocate([[0.0], [0, 2]], 4).new_stations.tolist() == [0, 1]
    # Nothing gains anywhere: nothing is placed, except the minimum.
    assert allocate([[0, 0], [0, 0]], 3).used == 0
    assert allocate([[0, 0], [0, 0]], 3, min_new=[0, 1]).new_stations.tolist() == [0, 1]


def test_gains_within_relative_tolerance_count_as_ties() -> None:
    # The second station adds 1e-12 of 10: within 1e-9 relative, so it is not placed.
    res = allocate([[0, 10, 10 + 1e-11]], 2)
    assert res.new_stations.tolist() == [1]
    # 1e-6 relative is a real gain and is placed.
    assert allocate([[0, 10, 10 + 1e-5]], 2).new_stations.tolist() == [2]


def test_equal_values_go_to_the_earlier_unit_deterministically() -> None:
    # Identical units, one station: the later unit gets fewer, so unit 0 gets it.
    assert allocate([[0, 5], [0, 5]], 1).new_stations.tolist() == [1, 0]
    # Three units, two stations, all first stations worth 4: units 0 and 1.
    assert allocate([[0, 4], [0, 4], [0, 4]], 2).new_stations.tolist() == [1, 1, 0]
    # (2, 0) = 6 and (0, 2) = 6 and (1, 1) = 6: the last unit gets fewest, then the middle.
    assert allocate([[0, 3, 6], [0, 3, 6]], 2).new_stations.tolist() == [2, 0]
    curves = [np.random.default_rng(5).integers(0, 3, size=6).cumsum() for _ in range(8)]
    curves = [np.concatenate([[0], c]) for c in curves]
    first = allocate(curves, 12).new_stations
    for _ in range(3):
        np.testing.assert_array_equal(allocate(curves, 12).new_stations, first)


# --------------------------------------------------------------------------------------------
# The national bound
# --------------------------------------------------------------------------------------------


def test_hand_computed_bound() -> None:
    # Curves [0,5,8], [0,4,6]; bounds [0,6,9], [0,4,7]; budget 2.
    # Curves: (2,0) = 8, (1,1) = 9, (0,2) = 6 -> 9 with [1, 1]. Budget 1: max(5, 4) = 5.
    # Bounds: (2,0) = 9, (1,1) = 10, (0,2) = 7 -> 10. Budget 1: max(6, 4) = 6.
    # Gap (10 - 9) / 10 = 0.1.
    res = allocate([[0, 5, 8], [0, 4, 6]], 2, bounds=[[0, 6, 9], [0, 4, 7]])
    assert isinstance(res, Allocation)
    assert res.new_stations.tolist() == [1, 1]
    assert res.newly_covered == 9.0
    assert res.upper_bound == 10.0
    assert res.gap == pytest.approx(0.1)
    assert res.best_by_budget.tolist() == [0.0, 5.0, 9.0]
    assert res.bound_by_budget.tolist() == [0.0, 6.0, 10.0]
    assert res.budget == 2
    assert res.used == 2


def test_bounds_equal_to_curves_give_zero_gap() -> None:
    curves = [[0, 0.1, 0.3, 0.35], [0, 0.2, 0.25], [0, 0.7]]
    res = allocate(curves, 4, bounds=curves)
    assert res.gap == 0.0
    assert res.upper_bound == res.newly_covered
    # Hand: 0.7 (unit 2) + 0.2 (unit 1) + 0.3 (unit 0, two stations) = 1.2 with 4.
    assert res.new_stations.tolist() == [2, 1, 1]
    assert res.newly_covered == pytest.approx(1.2)


def test_non_monotone_bound_is_tightened() -> None:
    # Bound at k = 1 is 10 but at k = 2 only 7: OPT(1) <= OPT(2) <= 7, so 7 bounds k = 1 too.
    # Budget 1: curves give 5 (unit 0) or 1 (unit 1); bounds 7 or 1 -> upper bound 7.
    res = allocate([[0, 5, 6], [0, 1]], 1, bounds=[[0, 10, 7], [0, 1]])
    assert res.newly_covered == 5.0
    assert res.upper_bound == 7.0


def test_no_bounds_means_exact_with_respect_to_the_curves() -> None:
    res = allocate([[0, 5, 8], [0, 4, 6]], 2)
    assert res.upper_bound == 9.0
    assert res.gap == 0.0
    np.testing.assert_array_equal(res.bound_by_budget, res.best_by_budget)


# --------------------------------------------------------------------------------------------
# Fewest stations for a target
# --------------------------------------------------------------------------------------------


def test_fewest_for_target_by_hand() -> None:
    # Curves [0,5,8], [0,4,6]. Best by budget: 0, 5, 9 (1,1), 12 (2,1), 14 (2,2), then flat.
    curves = [[0, 5, 8], [0, 4, 6]]
    cases = {0.0: (0, [0, 0]), 5.0: (1, [1, 0]), 8.5: (2, [1, 1]), 9.5: (3, [2, 1])}
    cases[14.0] = (4, [2, 2])
    for target, (budget, alloc) in cases.items():
        res = fewest_for_target(curves, target, max_total=10)
        assert res is not None
        assert (res.budget, res.new_stations.tolist()) == (budget, alloc), target
    res = fewest_for_target(curves, 9.5, max_total=10)
    assert res is not None
    assert res.newly_covered == 12.0
    assert res.best_by_budget.tolist() == [0.0, 5.0, 9.0, 12.0]
    # Within 1e-9 relative counts as reached.
    res = fewest_for_target(curves, 9.0 * (1 + 1e-12), max_total=10)
    assert res is not None
    assert res.budget == 2


def test_fewest_for_target_unreachable() -> None:
    curves = [[0, 5, 8], [0, 4, 6]]
    assert fewest_for_target(curves, 14.5, max_total=10) is None
    assert fewest_for_target(curves, 12.5, max_total=3) is None
    with pytest.raises(InputError, match="finite"):
        fewest_for_target(curves, math.nan, max_total=3)


def test_fewest_for_target_with_bounds_and_quota() -> None:
    # Unit 1 fixed at 1 (4): target 9 needs unit 0 at 1 (5) -> 2 stations; bound 6 + 4 = 10.
    res = fewest_for_target(
        [[0, 5, 8], [0, 4, 6]],
        9.0,
        max_total=5,
        bounds=[[0, 6, 9], [0, 4, 7]],
        min_new=[0, 1],
        max_new=[np.inf, 1],
    )
    assert res is not None
    assert res.new_stations.tolist() == [1, 1]
    assert res.upper_bound == 10.0
    assert res.bound_by_budget.tolist() == [-math.inf, 4.0, 10.0]


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------


def test_bad_curves_are_all_reported() -> None:
    curves = [
        [0, 5, 4],  # decreases at k = 2
        [0, np.nan],  # NaN
        [0, -1, 2],  # negative
        [3, 4],  # does not start at 0
        [0, 2, 3],  # fine, but its bound has the wrong length
        [0, 2, 3],  # fine, but its bound is below it at k = 2
    ]
    bounds = [[0, 5, 5], [0, 1], [0, 1, 2], [3, 4], [0, 2], [0, 2, 2]]
    with pytest.raises(InputError) as e:
        allocate(curves, 3, bounds=bounds, names=["Aa", "Bb", "Cc", "Dd", "Ee", "Ff"])
    problems = e.value.problems
    assert len(problems) == 6, problems
    assert "'Aa'" in problems[0] and "decreases at k = 2" in problems[0]
    assert "'Bb'" in problems[1] and "NaN" in problems[1]
    assert "'Cc'" in problems[2] and "negative at k = 1" in problems[2]
    assert "'Dd'" in problems[3] and "start at 0" in problems[3]
    assert "'Ee'" in problems[4] and "bound has 2 values but the curve has 3" in problems[4]
    assert "'Ff'" in problems[5] and "below the curve at k = 2" in problems[5]
    assert "6 problem(s)" in str(e.value)


def test_bad_limits_are_all_reported() -> None:
    with pytest.raises(InputError) as e:
        allocate(
            [[0, 1], [0, 1], [0, 1]],
            5,
            min_new=[0, -1, 2],
            max_new=[0.5, 3, 1],
            names=["x", "y"],
        )
    problems = e.value.problems
    assert any("names has 2 names but there are 3 units" in p for p in problems)
    assert any("unit 1: min_new is -1;" in p for p in problems)
    assert any("unit 0: max_new is 0.5;" in p for p in problems)
    assert len(problems) == 3, problems
    with pytest.raises(InputError, match="min_new 2 is more than max_new 1"):
        allocate([[0, 1], [0, 1]], 5, min_new=[0, 2], max_new=[3, 1])
    with pytest.raises(InputError, match="min_new has shape"):
        allocate([[0, 1], [0, 1]], 5, min_new=[0, 1, 2])
    with pytest.raises(InputError, match="bounds has 1 arrays but curves has 2"):
        allocate([[0, 1], [0, 1]], 5, bounds=[[0, 1]])
    with pytest.raises(InputError, match="n_new=-1"):
        allocate([[0, 1]], -1)
    with pytest.raises(InputError, match=r"n_new=2\.0"):
        allocate([[0, 1]], 2.0)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="shape"):
        allocate([[[0, 1]]], 1)


def test_tiny_rounding_is_tolerated_and_inputs_are_not_mutated() -> None:
    curve = np.array([1e-12, 5.0, 5.0 - 1e-12, 8.0])
    bound = np.array([0.0, 5.0 - 1e-12, 6.0, 8.0])
    before = curve.copy()
    res = allocate([curve], 3, bounds=[bound])
    assert res.new_stations.tolist() == [3]
    np.testing.assert_array_equal(curve, before)


def test_empty_and_zero_budget() -> None:
    res = allocate([], 3)
    assert res.new_stations.tolist() == []
    assert res.newly_covered == 0.0
    assert res.best_by_budget.tolist() == [0.0] * 4
    res = allocate([[0, 5]], 0)
    assert res.new_stations.tolist() == [0]
    assert res.best_by_budget.tolist() == [0.0]


def test_national_size_uses_the_whole_budget() -> None:
    # (its speed is measured in benchmarks/, not asserted here)
    rng = np.random.default_rng(1)
    curves = [np.concatenate([[0.0], np.cumsum(rng.random(279) * 100)]) for _ in range(100)]
    res = allocate(curves, 279, bounds=[c * 1.1 for c in curves])
    fewest = fewest_for_target(curves, res.newly_covered, max_total=279)
    assert res.used == 279
    assert fewest is not None and fewest.budget == 279


def test_messages_write_numbers_plainly() -> None:
    # numpy scalars and large counts of residents as a person writes them: no np.float64(...),
    # no 1.23457e+06
    with pytest.raises(InputError) as err:
        allocate([np.array([1234567.0, 2000000.0]), [0, 3000000, 2500000]], 1, names=["A", "B"])
    text = str(err.value)
    assert "unit 'A': curve starts at 1234567 with k = 0" in text
    assert "(e.g. 3000000 -> 2500000 at k = 2)" in text
    with pytest.raises(InputError) as err:
        allocate([[0, 1]], np.float64(2.5))
    assert "allocate: n_new=2.5 must be a whole number of stations >= 0" in str(err.value)
    with pytest.raises(InputError) as err:
        allocate([[0, 1]], 1, min_new=np.array([-2.0]), max_new=np.array([1e7 + 0.5]))
    text = str(err.value)
    assert "unit 0: min_new is -2; it must be one of whole numbers >= 0" in text
    assert "unit 0: max_new is 10000000.5; it must be one of" in text
    with pytest.raises(InputError) as err:
        fewest_for_target([[0, 1]], np.float64("nan"), max_total=1)
    assert "target_newly_covered=nan is not a finite number" in str(err.value)
