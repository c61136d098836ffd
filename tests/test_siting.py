"""Tests of planner.siting: hand-computed instances, brute force, and spopt's MCLP."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

import planner._solvers as solvers
import planner.siting as siting
from planner.errors import InputError
from planner.siting import (
    evaluate_proposals,
    maximize_coverage,
    minimize_sites,
    rollout_order,
)

# --------------------------------------------------------------------------------------------
# The classic instance where greedy is strictly suboptimal
#
#   demand point:      0  1  2  3  4  5      (population 1 each, total 6)
#   candidate 0:       x  x  x  x  .  .      covers 4
#   candidate 1:       x  x  .  .  x  .      covers 3
#   candidate 2:       .  .  x  x  .  x      covers 3
#
# k = 2: greedy takes 0 (4) and then 1 or 2 (+1 each; tie -> 1): 5.
#        optimum {1, 2} covers all 6; rollout: 1 (3), then 2 (+3) (tie 3/3 -> lower index 1).
# Greedy online bound min_i f(S_i) + top-2 gains: i=0: 0 + 4 + 3 = 7; i=1: 4 + 1 + 1 = 6;
#        i=2: 5 + 1 + 0 = 6  ->  6, so greedy reports gap (6 - 5) / 6 = 1/6.
# Values are walking metres; candidate 1 stands at demand point 4's door: an explicit 0.0 that
# must still count as covered.
# --------------------------------------------------------------------------------------------

CLASSIC_ROWS = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
CLASSIC_COLS = [0, 1, 2, 3, 0, 1, 4, 2, 3, 5]
CLASSIC_M = [100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 0.0, 700.0, 50.0, 250.0]


def classic() -> sp.csr_array:
    return sp.csr_array((CLASSIC_M, (CLASSIC_ROWS, CLASSIC_COLS)), shape=(3, 6))


def test_explicit_zero_is_kept_in_fixture() -> None:
    assert classic().nnz == 10  # the 0.0 entry is stored, not dropped


def test_greedy_is_suboptimal_on_classic_instance() -> None:
    r = maximize_coverage(classic(), np.ones(6), n_sites=2, method="greedy")
    assert r.sites.tolist() == [0, 1]
    assert r.marginal_population.tolist() == [4.0, 1.0]
    assert r.cumulative_population.tolist() == [4.0, 5.0]
    assert r.newly_covered_population == 5.0
    assert r.upper_bound == pytest.approx(6.0)
    assert r.gap == pytest.approx(1 / 6)
    assert not r.proven_optimal


def test_exact_finds_optimum_on_classic_instance() -> None:
    r = maximize_coverage(classic(), np.ones(6), n_sites=2, method="exact")
    assert r.sites.tolist() == [1, 2]
    assert r.marginal_population.tolist() == [3.0, 3.0]
    assert r.newly_covered_population == 6.0
    assert r.covered_share == 1.0
    assert r.upper_bound == pytest.approx(6.0)
    assert r.gap == 0.0
    assert r.proven_optimal
    assert r.greedy_population == 5.0


def test_existing_coverage_is_not_new() -> None:
    # Demand 0 and 1 are covered by an existing station. New population per candidate:
    # 0 -> {2, 3} = 2, 1 -> {4} = 1, 2 -> {2, 3, 5} = 3. Best single site: 2, covering 3 new.
    old = np.array([True, True, False, False, False, False])
    r = maximize_coverage(classic(), np.ones(6), n_sites=1, already_covered=old)
    assert r.sites.tolist() == [2]
    assert r.newly_covered_population == 3.0
    assert r.existing_population == 2.0
    assert r.covered_population == 5.0
    assert r.covered_share == pytest.approx(5 / 6)
    # k = 3: candidates 0 and 1 then add {4} only (2 and 3 are taken by 2): 1 more -> 4 new.
    r3 = maximize_coverage(classic(), np.ones(6), n_sites=3, already_covered=old)
    assert r3.newly_covered_population == 4.0
    assert r3.sites.tolist() == [2, 1]  # candidate 0 adds nobody new and is left out
    assert "2 of 3 sites used" in r3.message


def test_forced_site_is_kept() -> None:
    # Forcing candidate 0 with k = 2: best partner is 1 or 2 (+1 each): total 5, proven optimal
    # among plans containing 0.
    r = maximize_coverage(classic(), np.ones(6), n_sites=2, forced=[0])
    assert r.sites.tolist() == [0, 1]
    assert r.newly_covered_population == 5.0
    assert r.proven_optimal


def test_distance_tiebreak_prefers_shorter_walks() -> None:
    # Two buildings of 1 person; both candidates cover both.
    #   candidate 0: 700 m and 700 m  -> walk 1400 person-metres
    #   candidate 1: 100 m and   0 m  -> walk  100 person-metres
    # Coverage ties (2 each); lowest index wins without the tie-break, candidate 1 with it.
    m = sp.csr_array(([700.0, 700.0, 100.0, 0.0], ([0, 0, 1, 1], [0, 1, 0, 1])), shape=(2, 2))
    plain = maximize_coverage(m, [1.0, 1.0], n_sites=1)
    assert plain.sites.tolist() == [0]
    assert plain.population_walk_m is None
    tie = maximize_coverage(m, [1.0, 1.0], n_sites=1, distance_tiebreak=True)
    assert tie.sites.tolist() == [1]
    assert tie.newly_covered_population == 2.0
    assert tie.population_walk_m == pytest.approx(100.0)


def test_distance_tiebreak_with_existing_station() -> None:
    # Building 0 (2 people) is 50 m from an existing station; building 1 (1 person) is new.
    #   candidate 0: building 0 at 10 m, building 1 at 700 m -> 2*10 + 700 = 720
    #   candidate 1: building 1 at 300 m                     -> 2*50 + 300 = 400
    # Both cover 1 new person; the tie-break takes candidate 1.
    m = sp.csr_array(([10.0, 700.0, 300.0], ([0, 0, 1], [0, 1, 1])), shape=(2, 2))
    r = maximize_coverage(
        m,
        [2.0, 1.0],
        n_sites=1,
        already_covered=[True, False],
        distance_tiebreak=True,
        existing_distance_m=[50.0, np.inf],
    )
    assert r.sites.tolist() == [1]
    assert r.population_walk_m == pytest.approx(400.0)


def test_minimize_sites_classic() -> None:
    # Covering everybody needs {1, 2}. Greedy takes 0, 1, 2 (4, +1, +1). Its lower bound: the
    # two largest single gains 4 + 3 = 7 >= 6, one site (4) is not enough, so at least 2.
    exact = minimize_sites(classic(), np.ones(6), target_share=1.0)
    assert exact.sites.tolist() == [1, 2]
    assert exact.n_sites == 2
    assert exact.lower_bound == 2
    assert exact.proven_optimal
    assert exact.target_reachable
    # found by exact maximal coverage with 2 sites (6 >= 6), then 1 site's bound 4 < 6
    assert exact.solver_status == "optimal (max-coverage search)"
    greedy = minimize_sites(classic(), np.ones(6), target_share=1.0, method="greedy")
    assert greedy.n_sites == 3
    assert greedy.lower_bound == 2
    assert greedy.gap == pytest.approx(1 / 3)
    # 4/6 is reached by candidate 0 alone.
    one = minimize_sites(classic(), np.ones(6), target_share=4 / 6)
    assert one.sites.tolist() == [0]
    assert one.proven_optimal


def test_minimize_sites_unreachable_reports_best_share() -> None:
    # Add building 6 with 4 people that no candidate reaches: total 10, best share 6/10.
    m = sp.csr_array((CLASSIC_M, (CLASSIC_ROWS, CLASSIC_COLS)), shape=(3, 7))
    r = minimize_sites(m, [1, 1, 1, 1, 1, 1, 4], target_share=0.9)
    assert not r.target_reachable
    assert r.best_achievable_share == pytest.approx(0.6)
    assert r.covered_share == pytest.approx(0.6)
    assert r.n_sites == 2  # {1, 2} cover all 6 reachable people
    assert r.proven_optimal
    assert "unreachable" in r.message
    assert "60.00%" in r.message


def test_minimize_sites_nothing_to_add() -> None:
    r = minimize_sites(classic(), np.ones(6), target_share=0.5, already_covered=[1, 1, 1, 0, 0, 0])
    assert r.n_sites == 0
    assert r.sites.size == 0
    assert r.covered_share == 0.5
    assert r.proven_optimal


def test_rollout_and_prefix_gaps() -> None:
    # Chosen {2, 1}: ranked 1 (3, tie with 2 -> lower index), then 2 (+3): cumulative 3, 6.
    # Best 1-site plan is candidate 0 with 4: prefix gap (4 - 3) / 4 = 0.25. Best 2-site: 6.
    r = rollout_order(classic(), np.ones(6), [2, 1], prefix_gaps=True)
    assert r.sites.tolist() == [1, 2]
    assert r.cumulative_population.tolist() == [3.0, 6.0]
    assert r.cumulative_share.tolist() == [0.5, 1.0]
    assert r.best_population.tolist() == [4.0, 6.0]
    assert r.prefix_gap == pytest.approx([0.25, 0.0])
    assert r.prefix_proven_optimal.tolist() == [True, True]
    plain = rollout_order(classic(), np.ones(6), [2, 1])
    assert np.isnan(plain.prefix_gap).all()


def test_evaluate_proposals_classic() -> None:
    # List [0, 1, 2, 0]: alone 4, 3, 3, 4. The list covers all 6.
    # Leave-one-out: position 0 -> 0 (the repeat at position 3 covers the same); position 1 ->
    # building 4 only it covers: 1; position 2 -> building 5: 1; position 3 -> 0.
    # Greedy over the list: 0 (4), 1 (+1, tie with 2), 2 (+1), repeat (0).
    r = evaluate_proposals(classic(), np.ones(6), [0, 1, 2, 0], unreachable=[False] * 3 + [True])
    assert r.alone_population.tolist() == [4.0, 3.0, 3.0, 4.0]
    assert r.marginal_population.tolist() == [0.0, 1.0, 1.0, 0.0]
    assert r.greedy_rank.tolist() == [1, 2, 3, 4]
    assert r.redundant.tolist() == [True, False, False, True]
    assert r.covers_nobody_new.tolist() == [False] * 4
    assert r.subset_of.tolist() == [-1, -1, -1, 0]
    assert r.unreachable.tolist() == [False, False, False, True]
    assert r.list_population == 6.0
    assert r.best.n_sites_requested == 3  # distinct rows
    assert r.best.newly_covered_population == 6.0
    assert r.gap == 0.0


def test_evaluate_proposals_weak_list() -> None:
    # Existing station covers 0 and 1. List [1, 0]: candidate 1 newly covers {4} = 1, candidate 0
    # {2, 3} = 2; list = 3. Best 2-site plan: {1, 2} = {4} + {2, 3, 5} = 4; gap (4 - 3) / 4.
    # Candidate 1 restricted to new points is {4}; nothing contains it -> subset_of -1.
    old = [True, True, False, False, False, False]
    r = evaluate_proposals(classic(), np.ones(6), [1, 0], already_covered=old)
    assert r.alone_population.tolist() == [1.0, 2.0]
    assert r.greedy_rank.tolist() == [2, 1]
    assert r.list_population == 3.0
    assert r.best.newly_covered_population == 4.0
    assert r.gap == pytest.approx(0.25)
    assert r.shortfall_population == 1.0
    assert r.subset_of.tolist() == [-1, -1]
    # Candidate 0 proposed next to 2: {2, 3} is inside {2, 3, 5}; and a proposal covering only
    # the existing station's buildings covers nobody new.
    m = sp.csr_array(([1.0] * 3, ([3, 3, 0], [0, 1, 2])), shape=(4, 6))
    both = sp.csr_array(sp.vstack([classic(), sp.csr_array((1, 6))]))
    r2 = evaluate_proposals(both + m, np.ones(6), [0, 2, 3], already_covered=old)
    assert r2.subset_of.tolist() == [1, -1, -1]
    assert r2.covers_nobody_new.tolist() == [False, False, True]


# --------------------------------------------------------------------------------------------
# Random instances against brute force
# --------------------------------------------------------------------------------------------


def random_instance(
    seed: int, n_cand: int = 12, n_dem: int = 40, density: float = 0.15
) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    dense = rng.random((n_cand, n_dem)) < density
    values = np.where(dense, rng.uniform(0, 800, (n_cand, n_dem)), 0.0)
    values[dense & (rng.random((n_cand, n_dem)) < 0.1)] = 0.0  # explicit zeros
    rows, cols = np.nonzero(dense)
    m = sp.csr_array((values[rows, cols], (rows, cols)), shape=(n_cand, n_dem))
    pop = np.round(rng.lognormal(1.5, 1.0, n_dem), 1)
    pop[rng.random(n_dem) < 0.05] = 0.0
    old = rng.random(n_dem) < 0.2
    return m, pop, old


def brute_max(m: sp.csr_array, pop: np.ndarray, old: np.ndarray, k: int) -> float:
    dense = m.toarray() != 0
    dense |= sp.csr_array((np.ones(m.nnz), m.indices, m.indptr), shape=m.shape).toarray() > 0
    new = np.where(old, 0.0, pop)
    return max(
        float(new[dense[list(s)].any(axis=0)].sum()) if s else 0.0
        for s in itertools.combinations(range(m.shape[0]), k)
    )


@pytest.mark.parametrize("seed", range(8))
def test_max_coverage_matches_brute_force(seed: int) -> None:
    m, pop, old = random_instance(seed)
    for k in range(1, 5):
        best = brute_max(m, pop, old, k)
        exact = maximize_coverage(m, pop, n_sites=k, already_covered=old)
        greedy = maximize_coverage(m, pop, n_sites=k, already_covered=old, method="greedy")
        assert exact.newly_covered_population == pytest.approx(best, rel=1e-9)
        assert exact.proven_optimal
        assert greedy.newly_covered_population <= best + 1e-9
        for r in (exact, greedy):
            assert r.upper_bound >= best - 1e-9
            assert r.gap == pytest.approx(
                (r.upper_bound - r.newly_covered_population) / r.upper_bound if r.upper_bound else 0
            )
            assert r.proven_optimal == (r.gap <= siting.OPTIMAL_REL_TOL)
            assert r.sites.size <= k
            assert r.cumulative_population[-1] == pytest.approx(r.newly_covered_population)
            assert r.covered_population == pytest.approx(
                pop[old].sum() + best if r is exact else pop[old].sum() + r.newly_covered_population
            )
        again = maximize_coverage(m, pop, n_sites=k, already_covered=old)
        assert again.sites.tolist() == exact.sites.tolist()


def assert_exact_as_brute_force(
    m: sp.csr_array, pop: np.ndarray, old: np.ndarray, ks: tuple[int, ...]
) -> None:
    for k in ks:
        best = brute_max(m, pop, old, k)
        r = maximize_coverage(m, pop, n_sites=k, already_covered=old)
        assert r.newly_covered_population == pytest.approx(best, rel=1e-9)
        assert r.proven_optimal
        assert r.upper_bound >= best - 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_milp_path_matches_brute_force(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # One subgradient step only: the Lagrangian bound stays weak and HiGHS has to close the gap.
    monkeypatch.setattr(solvers, "_LAGRANGE_ITERATIONS", 1)
    m, pop, old = random_instance(50 + seed, n_cand=14, n_dem=60, density=0.2)
    assert_exact_as_brute_force(m, pop, old, (2, 3, 4))


@pytest.mark.parametrize("iterations", [1, 3])
def test_lp_duals_fix_rows_before_the_milp(
    iterations: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fractional LP's duals are Lagrangian multipliers: their bound equals the LP's, every
    row's bound is at least the best plan containing it (brute force), and the MILP then runs
    on fewer of the LP's rows (each row's covered residents, which merging demand does not
    change, is one of the LP's rows'), with the same optimum as brute force. With 3 subgradient
    steps the Lagrangian has dropped rows before the LP, so the rows are renumbered twice."""
    monkeypatch.setattr(solvers, "_LAGRANGE_ITERATIONS", iterations)  # leave the LP work
    lp_rows: list[np.ndarray] = []
    pairs: list[tuple[np.ndarray, np.ndarray]] = []
    real_lp, real_milp = siting._max_cover_lp, siting._max_cover_milp

    def lp(sub, k, **kw):  # type: ignore[no-untyped-def]
        out = real_lp(sub, k, **kw)
        lp_rows.append(np.asarray(sub.matrix @ sub.weights))
        if out.x is None and out.multipliers is not None:
            fixed = solvers._lagrange_at(sub.matrix, sub.weights, k, out.multipliers)
            assert fixed.bound == pytest.approx(-out.dual_bound, rel=1e-7)
            dense = sub.matrix.toarray() > 0
            plans = {
                c: float(sub.weights[dense[list(c)].any(axis=0)].sum())
                for c in itertools.combinations(range(dense.shape[0]), k)
            }
            for i in range(dense.shape[0]):
                best_with_i = max(v for c, v in plans.items() if i in c)
                assert fixed.row_bounds[i] >= best_with_i - 1e-6
        return out

    def milp(sub, k, **kw):  # type: ignore[no-untyped-def]
        pairs.append((lp_rows[-1], np.asarray(sub.matrix @ sub.weights)))
        return real_milp(sub, k, **kw)

    monkeypatch.setattr(siting, "_max_cover_lp", lp)
    monkeypatch.setattr(siting, "_max_cover_milp", milp)
    for seed in range(12):
        m, pop, old = random_instance(300 + seed, n_cand=14, n_dem=60, density=0.2)
        assert_exact_as_brute_force(m, pop, old, (2, 3, 4))
    assert len(pairs) >= 5  # fractional LPs were met and MILPs followed them
    for before, after in pairs:  # the MILP's rows are some of the LP's rows
        assert np.isin(np.round(after, 6), np.round(before, 6)).all()
    assert sum(a.size for _, a in pairs) < 0.8 * sum(b.size for b, _ in pairs)


def test_lagrange_at_with_more_sites_than_rows() -> None:
    # 3 rows, k = 4: every row is in the plan; the bound is still valid (everything coverable)
    pattern = sp.csr_array(np.array([[1.0, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]]))
    weights = np.array([2.0, 3.0, 5.0, 7.0])
    lam = np.array([2.0, 1.0, 5.0, 0.0])
    fixed = solvers._lagrange_at(pattern, weights, 4, lam)
    # base (0 + 2 + 0 + 7) + every row's score (3 + 6 + 0)
    assert fixed.bound == pytest.approx(18.0)
    assert fixed.bound >= weights.sum()
    assert fixed.sites.tolist() == [0, 1, 2]
    assert fixed.row_bounds.tolist() == [18.0, 18.0, 18.0]


@pytest.mark.parametrize("seed", range(4))
def test_lagrangian_path_bounds_are_valid(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Forbid the MILP so the result rests on local search and the Lagrangian bound only.
    monkeypatch.setattr(siting, "MILP_MAX_PAIRS", 0)
    m, pop, old = random_instance(100 + seed, n_cand=14, n_dem=60, density=0.2)
    for k in (2, 3, 4):
        best = brute_max(m, pop, old, k)
        r = maximize_coverage(m, pop, n_sites=k, already_covered=old)
        assert r.newly_covered_population <= best + 1e-9
        assert r.upper_bound >= best - 1e-9


@pytest.mark.parametrize("seed", range(4))
def test_lagrangian_row_bounds_are_valid(seed: int) -> None:
    m, pop, _ = random_instance(200 + seed, n_cand=10, n_dem=50, density=0.25)
    pattern = sp.csr_array((np.ones(m.nnz), m.indices, m.indptr), shape=m.shape)
    dense = pattern.toarray() > 0
    k = 3
    lag = solvers._lagrangian(pattern, pop, k, lower=0.0, deadline=np.inf, rel_gap=0.0)
    plans = {
        s: float(pop[dense[list(s)].any(axis=0)].sum())
        for s in itertools.combinations(range(10), k)
    }
    assert lag.bound >= max(plans.values()) - 1e-9
    for i in range(10):
        assert lag.row_bounds[i] >= max(v for s, v in plans.items() if i in s) - 1e-9


def brute_min(m: sp.csr_array, pop: np.ndarray, old: np.ndarray, target: float) -> int | None:
    dense = sp.csr_array((np.ones(m.nnz), m.indices, m.indptr), shape=m.shape).toarray() > 0
    for k in range(m.shape[0] + 1):
        for s in itertools.combinations(range(m.shape[0]), k):
            covered = old | (dense[list(s)].any(axis=0) if s else False)
            if pop[covered].sum() >= target * pop.sum() - 1e-9:
                return k
    return None


@pytest.mark.parametrize("seed", range(5))
def test_minimize_sites_matches_brute_force(seed: int) -> None:
    m, pop, old = random_instance(300 + seed, n_cand=10, n_dem=30, density=0.15)
    dense = sp.csr_array((np.ones(m.nnz), m.indices, m.indptr), shape=m.shape).toarray() > 0
    best_share = pop[old | dense.any(axis=0)].sum() / pop.sum()
    for target in (0.3, 0.5, 0.7, 0.9, 1.0):
        exact = minimize_sites(m, pop, target_share=target, already_covered=old)
        greedy = minimize_sites(m, pop, target_share=target, already_covered=old, method="greedy")
        need = brute_min(m, pop, old, min(target, best_share))
        assert exact.target_reachable == (target <= best_share + 1e-12)
        assert exact.best_achievable_share == pytest.approx(best_share)
        assert exact.n_sites == need
        assert exact.proven_optimal
        assert greedy.n_sites >= need
        assert greedy.lower_bound <= need
        assert exact.covered_share >= min(target, best_share) - 1e-9


def test_group_identical_rows_matches_slow_reference() -> None:
    rng = np.random.default_rng(7)
    base = rng.random((30, 50)) < 0.2
    dense = base[rng.integers(0, 30, 200)]  # many repeated rows
    m = sp.csr_array(dense.astype(float))
    fast = solvers._group_identical_rows(m)
    slow = solvers._group_identical_rows_slow(m)
    assert fast[0].tolist() == slow[0].tolist()
    assert fast[1].tolist() == slow[1].tolist()


@pytest.mark.parametrize("block", [1, 3, 17, 10**9])
def test_group_identical_rows_in_blocks_is_the_same(monkeypatch, block) -> None:
    # rows hashed and checked in blocks of `block` entries (a big city's matrix is done in
    # blocks to keep memory low): the same groups whatever the block, empty rows included
    rng = np.random.default_rng(11)
    base = rng.random((25, 40)) < 0.15
    base[3] = False  # an empty row
    dense = base[rng.integers(0, 25, 150)]
    m = sp.csr_array(dense.astype(float))
    slow = solvers._group_identical_rows_slow(m)
    monkeypatch.setattr(solvers, "ROW_BLOCK_PAIRS", block)
    blocks = solvers._row_blocks(m.indptr.astype(np.int64))
    assert blocks[0][0] == 0 and blocks[-1][1] == m.shape[0]
    assert all(b[1] == a[0] for b, a in itertools.pairwise(blocks))
    if block == 3:
        assert len(blocks) > 50

    def no_fallback(matrix: sp.csr_array) -> None:
        raise AssertionError("the hashed groups were wrong")

    monkeypatch.setattr(solvers, "_group_identical_rows_slow", no_fallback)
    fast = solvers._group_identical_rows(m)
    assert fast[0].tolist() == slow[0].tolist()
    assert fast[1].tolist() == slow[1].tolist()


def test_a_hash_collision_is_caught_block_by_block(monkeypatch) -> None:
    # all salts zero: every row of the same length hashes alike; the check, block by block,
    # must see it and fall back to the exact grouping
    rng = np.random.default_rng(5)
    m = sp.csr_array((rng.random((60, 30)) < 0.2).astype(float))
    slow = solvers._group_identical_rows_slow(m)
    calls = []
    monkeypatch.setattr(solvers, "ROW_BLOCK_PAIRS", 7)

    class ZeroSalts:
        def integers(self, low, high, *, size, dtype):
            return np.zeros(size, dtype=dtype)

    monkeypatch.setattr(solvers.np.random, "default_rng", lambda seed: ZeroSalts())
    real_slow = solvers._group_identical_rows_slow
    monkeypatch.setattr(
        solvers, "_group_identical_rows_slow", lambda matrix: calls.append(1) or real_slow(matrix)
    )
    labels, first = solvers._group_identical_rows(m)
    assert calls == [1]
    assert labels.tolist() == slow[0].tolist() and first.tolist() == slow[1].tolist()


# --------------------------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------------------------


def test_all_problems_reported_together() -> None:
    with pytest.raises(InputError) as info:
        maximize_coverage(
            classic(),
            [1.0, np.nan, -2.0, 1.0, 1.0],  # wrong length
            n_sites=-1,
            method="best",  # type: ignore[arg-type]
            time_limit_s=0,
        )
    text = "\n".join(info.value.problems)
    assert "5 values but coverage has 6" in text
    assert "n_sites=-1" in text
    assert "method='best'" in text
    assert "time_limit_s=0" in text
    assert isinstance(info.value, ValueError)


def test_population_problems_listed() -> None:
    with pytest.raises(InputError) as info:
        maximize_coverage(classic(), [1.0, np.nan, -2.0, 1.0, 1.0, 1.0], n_sites=1)
    assert len(info.value.problems) == 2
    assert "NaN at 1 buildings (1)" in info.value.problems[0]
    assert "negative at 1 buildings (2)" in info.value.problems[1]


@pytest.mark.parametrize("target", [0.0, 1.5, -0.1, 90])
def test_target_share_out_of_range(target: float) -> None:
    with pytest.raises(InputError, match="target_share"):
        minimize_sites(classic(), np.ones(6), target_share=target)


def test_other_input_checks() -> None:
    with pytest.raises(InputError, match=r"not a scipy\.sparse matrix"):
        maximize_coverage(np.ones((3, 6)), np.ones(6), n_sites=1)
    with pytest.raises(InputError, match="NaN, infinite or negative"):
        maximize_coverage(sp.csr_array(np.array([[1.0, -5.0]])), np.ones(2), n_sites=1)
    with pytest.raises(InputError, match=r"outside 0\.\.2"):
        rollout_order(classic(), np.ones(6), [0, 3])
    with pytest.raises(InputError, match="more than once"):
        rollout_order(classic(), np.ones(6), [1, 1])
    with pytest.raises(InputError, match="needs method='exact'"):
        maximize_coverage(classic(), np.ones(6), n_sites=1, method="greedy", distance_tiebreak=True)
    with pytest.raises(InputError, match="existing_distance_m"):
        maximize_coverage(
            classic(), np.ones(6), n_sites=1, distance_tiebreak=True, already_covered=[1] + [0] * 5
        )
    with pytest.raises(InputError, match="sums to 0"):
        maximize_coverage(classic(), np.zeros(6), n_sites=1)
    with pytest.raises(InputError, match="forced has 2 sites but n_sites=1"):
        maximize_coverage(classic(), np.ones(6), n_sites=1, forced=[0, 1])


def test_inputs_not_mutated() -> None:
    m = classic()
    pop = np.ones(6)
    old = np.zeros(6, dtype=bool)
    before = (m.data.copy(), m.indices.copy(), pop.copy(), old.copy())
    maximize_coverage(m, pop, n_sites=2, already_covered=old, distance_tiebreak=True)
    assert np.array_equal(m.data, before[0])
    assert np.array_equal(m.indices, before[1])
    assert np.array_equal(pop, before[2])
    assert np.array_equal(old, before[3])


# --------------------------------------------------------------------------------------------
# Cross-check with spopt's MCLP (PuLP + CBC)
# --------------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize(("seed", "k"), [(0, 3), (1, 5), (2, 8)])
def test_matches_spopt_mclp(seed: int, k: int) -> None:
    pytest.importorskip("spopt")
    pulp = pytest.importorskip("pulp")
    from spopt.locate import MCLP

    rng = np.random.default_rng(seed)
    buildings = rng.uniform(0, 3000, (150, 2))
    sites = rng.uniform(0, 3000, (40, 2))
    dist = np.linalg.norm(buildings[:, None, :] - sites[None, :, :], axis=2)  # (150, 40)
    pop = np.round(rng.lognormal(2.0, 1.0, 150))
    # spopt: cost matrix is (demand, facility); covered when cost <= service_radius.
    model = MCLP.from_cost_matrix(dist, pop, service_radius=600.0, p_facilities=k)
    model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    theirs = float(pulp.value(model.problem.objective))
    rows, cols = np.nonzero(dist.T <= 600.0)
    m = sp.csr_array((dist.T[rows, cols], (rows, cols)), shape=(40, 150))
    ours = maximize_coverage(m, pop, n_sites=k)
    assert ours.proven_optimal
    assert ours.newly_covered_population == pytest.approx(theirs, rel=1e-9)


def test_dominated_candidates_are_found_by_hand() -> None:
    from planner._solvers import _dominated_rows

    # row 0 covers {0, 1}, inside row 1's {0, 1, 2}; row 2 covers {3}, inside row 3's {2, 3};
    # row 3 is not inside row 1 (3 is missing there), row 1 is inside nothing
    M = sp.csr_array(
        np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 0, 1], [0, 0, 1, 1]], dtype=float)
    )
    assert _dominated_rows(M).tolist() == [True, False, True, False]


def test_dropping_dominated_candidates_keeps_the_optimum() -> None:
    # the same 2-site optimum with and without a dominated duplicate-ish candidate added
    base = classic()
    extra = sp.vstack([base, sp.csr_array(np.array([[1, 0, 0, 0, 0, 0]], dtype=float))])
    a = maximize_coverage(base, np.ones(6), n_sites=2)
    b = maximize_coverage(sp.csr_array(extra), np.ones(6), n_sites=2)
    assert a.newly_covered_population == b.newly_covered_population == 6.0


# --------------------------------------------------------------------------------------------
# What the numbers prove (issue 14): coverage at the fewest-sites size, gaps against the bound
# --------------------------------------------------------------------------------------------


def test_minimize_sites_returns_the_best_plan_of_its_size() -> None:
    # Target 5/6. One site reaches at most 4 < 5, so 2 are needed (greedy's bound proves it at
    # once). Greedy's 2 sites {0, 1} cover 5; the best 2 sites {1, 2} cover all 6. The fewest-
    # sites answer must be the best plan of that size, with its coverage proven.
    r = minimize_sites(classic(), np.ones(6), target_share=5 / 6)
    assert r.n_sites == 2 and r.lower_bound == 2 and r.proven_optimal
    assert sorted(r.sites.tolist()) == [1, 2]
    assert r.newly_covered_population == 6.0
    assert r.coverage_upper_bound == pytest.approx(6.0)
    assert r.coverage_gap == 0.0 and r.coverage_proven_optimal
    # greedy keeps greedy's plan, and says honestly how far it may be from the best: bound 6
    g = minimize_sites(classic(), np.ones(6), target_share=5 / 6, method="greedy")
    assert g.sites.tolist() == [0, 1] and g.newly_covered_population == 5.0
    assert g.coverage_upper_bound == pytest.approx(6.0)
    assert g.coverage_gap == pytest.approx(1 / 6)
    assert not g.coverage_proven_optimal


@pytest.mark.parametrize("seed", range(4))
def test_minimize_sites_coverage_equals_brute_force_at_its_size(seed: int) -> None:
    m, pop, old = random_instance(500 + seed, n_cand=9, n_dem=25, density=0.2)
    dense = sp.csr_array((np.ones(m.nnz), m.indices, m.indptr), shape=m.shape).toarray() > 0
    for target in (0.4, 0.6, 0.8):
        r = minimize_sites(m, pop, target_share=target, already_covered=old)
        best = max(
            pop[~old & dense[list(s)].any(axis=0)].sum() if s else 0.0
            for s in itertools.combinations(range(m.shape[0]), r.n_sites)
        )
        assert r.newly_covered_population == pytest.approx(best)
        assert r.coverage_upper_bound >= best - 1e-9


def test_at_most_more_is_relative_to_the_plan() -> None:
    # classic greedy: gap 1/6 against the bound 6; the optimum 6 is 20 % more than 5, not 16.67 %
    r = maximize_coverage(classic(), np.ones(6), n_sites=2, method="greedy")
    more = siting.at_most_more(r.gap)
    assert more == pytest.approx(0.2)
    assert r.newly_covered_population * (1 + more) == pytest.approx(r.upper_bound)
    assert siting.at_most_more(0.0) == 0.0
    assert siting.at_most_more(1.0) == float("inf")
    with pytest.raises(InputError, match="gap"):
        siting.at_most_more(1.5)


def test_evaluation_gap_is_measured_against_the_bound_not_the_best_found() -> None:
    # With greedy, the best 2-site plan found is greedy's {0, 1} (5) and the bound is 6. The list
    # {0, 1} equals the best found, yet it may be 1/6 short of the optimum: the gap must say so.
    ev = evaluate_proposals(classic(), np.ones(6), [0, 1], method="greedy")
    assert ev.list_population == 5.0
    assert ev.best.newly_covered_population == 5.0
    assert ev.best.upper_bound == pytest.approx(6.0)
    assert ev.gap == pytest.approx(1 / 6)


def test_prefix_gaps_are_measured_against_the_bound_not_the_best_found() -> None:
    # A budget too small for exact prefix solves: greedy's bounds stand in. Prefix 1 ({0}: 4) has
    # greedy bound 4 (gap 0); prefix 2 ({0, 1}: 5) has greedy bound 6, so gap 1/6 although the
    # best 2-site plan FOUND (greedy's) also covers 5.
    r = rollout_order(classic(), np.ones(6), [0, 1], prefix_gaps=True, time_limit_s=0.01)
    assert r.time_limit_hit  # the wall clock decided: the result says so
    assert r.cumulative_population.tolist() == [4.0, 5.0]
    assert r.best_population.tolist() == [4.0, 5.0]
    assert r.upper_bound.tolist() == pytest.approx([4.0, 6.0])
    assert r.prefix_gap.tolist() == pytest.approx([0.0, 1 / 6])
