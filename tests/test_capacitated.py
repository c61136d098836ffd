"""Tests of planner.capacitated: hand-computed instances and brute force with separate LPs."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

import planner.capacitated as capacitated
from planner._solvers import _MilpOutcome
from planner.capacitated import maximize_capacitated_coverage
from planner.errors import InputError

INF = math.inf

# --------------------------------------------------------------------------------------------
# Independent reference: one dense LP per set of open stations (scipy.optimize.linprog)
# --------------------------------------------------------------------------------------------


def lp_assigned(dense: np.ndarray, pop: np.ndarray, cap: np.ndarray) -> float:
    """Most residents assignable: variables r_ij >= 0 per (open station, building) in reach,
    sum_i r_ij <= pop_j, sum_j r_ij <= cap_i."""
    pairs = list(zip(*np.nonzero(dense), strict=True))
    if not pairs:
        return 0.0
    rows, bounds = [], []
    for j in range(dense.shape[1]):
        rows.append([1.0 if jj == j else 0.0 for _, jj in pairs])
        bounds.append(pop[j])
    for i in range(dense.shape[0]):
        if np.isfinite(cap[i]):
            rows.append([1.0 if ii == i else 0.0 for ii, _ in pairs])
            bounds.append(cap[i])
    res = linprog(-np.ones(len(pairs)), A_ub=np.array(rows), b_ub=np.array(bounds), method="highs")
    assert res.status == 0
    return float(-res.fun)


def brute_best(
    E: np.ndarray, C: np.ndarray, pop: np.ndarray, cap_e: np.ndarray, cap_n: np.ndarray, k: int
) -> float:
    return max(
        lp_assigned(np.vstack([E, C[list(s)]]), pop, np.r_[cap_e, cap_n[list(s)]])
        for s in itertools.combinations(range(C.shape[0]), k)
    )


def as_sparse(dense: np.ndarray) -> sp.csr_array:
    return sp.csr_array(dense.astype(float))


def check_assignment(
    r: capacitated.CapacitatedResult,
    E: np.ndarray,
    C: np.ndarray,
    pop: np.ndarray,
    cap_e: np.ndarray,
    cap_n: np.ndarray,
) -> None:
    """Capacities, buildings and reach are respected; the reported totals add up."""
    A_e = r.assignment_existing.toarray()
    A_n = r.assignment_new.toarray()
    assert A_e.shape == E.shape and A_n.shape == C.shape
    assert (A_e >= 0).all() and (A_n >= 0).all()
    assert not (A_e > 0)[~E].any() and not (A_n > 0)[~C].any()  # only within reach
    closed = np.setdiff1d(np.arange(C.shape[0]), r.sites)
    assert not A_n[closed].any()
    assert (A_e.sum(axis=1) <= cap_e + 1e-9).all()  # never over capacity
    assert (A_n.sum(axis=1) <= cap_n + 1e-9).all()
    per_building = A_e.sum(axis=0) + A_n.sum(axis=0)
    assert (per_building <= pop + 1e-9).all()
    assert r.assigned_population == pytest.approx(per_building.sum())
    assert r.assigned_per_station.tolist() == pytest.approx(
        [*A_e.sum(axis=1), *A_n[r.sites].sum(axis=1)]
    )
    assert r.capacity_per_station.tolist() == [*cap_e, *cap_n[r.sites]]
    reach = E.any(axis=0) | C[r.sites].any(axis=0)
    assert r.within_reach_population == pytest.approx(pop[reach].sum())
    assert r.over_capacity_population == pytest.approx(
        pop[reach].sum() - r.assigned_population, abs=1e-6
    )
    assert r.unassigned_within_reach.tolist() == pytest.approx(
        np.where(reach, pop - per_building, 0.0).tolist(), abs=1e-6
    )
    assert r.upper_bound >= r.assigned_population - 1e-9
    assert r.assigned_share == pytest.approx(r.assigned_population / pop.sum())


# --------------------------------------------------------------------------------------------
# Hand examples
# --------------------------------------------------------------------------------------------


def test_two_stations_share_a_building() -> None:
    # building A (150 residents) is within reach of stations 0 and 1 only, capacity 100 each:
    # one station alone serves 100, the two together all 150 (split between them)
    E = np.array([[True], [True]])
    none = sp.csr_array((0, 1))
    pop = np.array([150.0])
    both = maximize_capacitated_coverage(
        as_sparse(E), none, pop, n_sites=0, capacity_existing=100.0, capacity_new=100.0
    )
    assert both.assigned_population == pytest.approx(150.0)
    assert both.over_capacity_population == pytest.approx(0.0)
    assert both.assigned_per_station.sum() == pytest.approx(150.0)
    assert (both.assigned_per_station <= 100.0).all()
    one = maximize_capacitated_coverage(
        as_sparse(E[:1]), none, pop, n_sites=0, capacity_existing=100.0, capacity_new=100.0
    )
    assert one.assigned_population == pytest.approx(100.0)
    assert one.over_capacity_population == pytest.approx(50.0)
    assert one.unassigned_within_reach.tolist() == pytest.approx([50.0])
    assert one.status == "optimal" and one.proven_optimal


def test_shared_building_with_residents_elsewhere() -> None:
    #   building:   A (150)   B (100)   C (30, nobody in reach)
    #   station 0:  x         x          capacity 100
    #   station 1:  x         .          capacity 100
    # Capacity 200 for 250 residents in reach: 200 assigned, 50 over capacity; station 1 must
    # be full (only A), station 0 too. C is neither assigned nor "over capacity".
    E = np.array([[True, True, False], [True, False, False]])
    pop = np.array([150.0, 100.0, 30.0])
    r = maximize_capacitated_coverage(
        as_sparse(E),
        sp.csr_array((0, 3)),
        pop,
        n_sites=0,
        capacity_existing=[100, 100],
        capacity_new=1.0,
    )
    assert r.assigned_population == pytest.approx(200.0)
    assert r.within_reach_population == 250.0
    assert r.over_capacity_population == pytest.approx(50.0)
    assert r.assigned_per_station.tolist() == pytest.approx([100.0, 100.0])
    assert r.unassigned_within_reach[2] == 0.0
    assert r.total_population == 280.0
    check_assignment(r, E, np.zeros((0, 3), dtype=bool), pop, np.array([100.0, 100.0]), np.zeros(0))


#   building:      A (150)   B (80)   C (90)
#   existing 0:    x         .        .         capacity 100
#   candidate 0:   x         x        .         capacity 100
#   candidate 1:   .         .        x         capacity 100
#   candidate 2:   .         x        .         capacity 50
# One site:  c0 -> 100 + 100 = 200;  c1 -> 100 + 90 = 190;  c2 -> 100 + 50 = 150.
# Two sites: {c0, c1} -> 100 + 100 + 90 = 290;  {c0, c2} -> A + B = 230 in reach;
#            {c1, c2} -> 100 + 90 + 50 = 240.
SITE_E = np.array([[True, False, False]])
SITE_C = np.array([[True, True, False], [False, False, True], [False, True, False]])
SITE_POP = np.array([150.0, 80.0, 90.0])


@pytest.mark.parametrize(("k", "sites", "assigned"), [(1, [0], 200.0), (2, [0, 1], 290.0)])
def test_choosing_sites_hand_example(k: int, sites: list[int], assigned: float) -> None:
    r = maximize_capacitated_coverage(
        as_sparse(SITE_E),
        as_sparse(SITE_C),
        SITE_POP,
        n_sites=k,
        capacity_existing=100.0,
        capacity_new=[100.0, 100.0, 50.0],
    )
    assert r.sites.tolist() == sites
    assert r.assigned_population == pytest.approx(assigned)
    assert r.proven_optimal and r.gap <= 1e-6
    assert r.upper_bound == pytest.approx(assigned)
    check_assignment(r, SITE_E, SITE_C, SITE_POP, np.array([100.0]), np.array([100.0, 100.0, 50.0]))


def test_no_sites_is_the_existing_coverage() -> None:
    r = maximize_capacitated_coverage(
        as_sparse(SITE_E),
        as_sparse(SITE_C),
        SITE_POP,
        n_sites=0,
        capacity_existing=100.0,
        capacity_new=100.0,
    )
    assert r.sites.size == 0
    assert r.assigned_population == pytest.approx(100.0)
    assert r.within_reach_population == 150.0
    assert r.assignment_new.shape == (3, 3) and r.assignment_new.nnz == 0


def test_unused_sites_are_left_out() -> None:
    # only candidate 0 reaches anybody new; asking for 2 sites gives 1 and says why
    C = np.array([[False, True], [False, False], [True, False]])
    E = np.array([[True, False]])
    r = maximize_capacitated_coverage(
        as_sparse(E),
        as_sparse(C),
        np.array([10.0, 20.0]),
        n_sites=2,
        capacity_existing=INF,
        capacity_new=INF,
    )
    assert r.sites.tolist() == [0]
    assert r.assigned_population == 30.0
    assert "1 of 2 sites used" in r.message


def test_zero_capacity_station_serves_nobody() -> None:
    E = np.array([[True, True]])
    r = maximize_capacitated_coverage(
        as_sparse(E),
        sp.csr_array((0, 2)),
        np.array([10.0, 20.0]),
        n_sites=0,
        capacity_existing=0.0,
        capacity_new=1.0,
    )
    assert r.assigned_population == 0.0
    assert r.over_capacity_population == 30.0  # within reach, but no room at all


# --------------------------------------------------------------------------------------------
# Brute force
# --------------------------------------------------------------------------------------------


def random_case(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_e, n_c, n_d = int(rng.integers(0, 4)), int(rng.integers(1, 7)), int(rng.integers(1, 10))
    E = rng.random((n_e, n_d)) < 0.35
    C = rng.random((n_c, n_d)) < 0.4
    pop = rng.integers(0, 60, n_d).astype(float)
    pop[0] += 1
    cap_e = rng.choice([0.0, 15.0, 40.0, 70.0, INF], n_e)
    cap_n = rng.choice([0.0, 15.0, 40.0, 70.0, INF], n_c)
    return E, C, pop, cap_e, cap_n


@pytest.mark.parametrize("seed", range(40))
def test_matches_brute_force_with_separate_lps(seed: int) -> None:
    E, C, pop, cap_e, cap_n = random_case(seed)
    for k in range(C.shape[0] + 1):
        best = brute_best(E, C, pop, cap_e, cap_n, k)
        E_sp = as_sparse(E) if E.shape[0] else sp.csr_array((0, E.shape[1]))
        r = maximize_capacitated_coverage(
            E_sp, as_sparse(C), pop, n_sites=k, capacity_existing=cap_e, capacity_new=cap_n
        )
        assert r.assigned_population == pytest.approx(best, rel=1e-7, abs=1e-7)
        assert r.proven_optimal
        assert r.upper_bound >= best - 1e-6
        assert r.sites.size <= k
        check_assignment(r, E, C, pop, cap_e, cap_n)


@pytest.mark.parametrize("seed", range(15))
def test_milp_alone_matches_brute_force(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # no greedy plan (existing stations only, no assignment): HiGHS must find the optimum
    def nothing(
        model: capacitated._Model, n_sites: int, **_: float
    ) -> tuple[np.ndarray, None, bool]:
        return (~model.is_candidate).astype(np.float64), None, False

    monkeypatch.setattr(capacitated, "_heuristic", nothing)
    E, C, pop, cap_e, cap_n = random_case(100 + seed)
    k = max(1, C.shape[0] // 2)
    best = brute_best(E, C, pop, cap_e, cap_n, k)
    E_sp = as_sparse(E) if E.shape[0] else sp.csr_array((0, E.shape[1]))
    r = maximize_capacitated_coverage(
        E_sp, as_sparse(C), pop, n_sites=k, capacity_existing=cap_e, capacity_new=cap_n
    )
    assert r.assigned_population == pytest.approx(best, rel=1e-7, abs=1e-7)
    assert r.proven_optimal
    check_assignment(r, E, C, pop, cap_e, cap_n)


def test_greedy_alone_is_kept_when_highs_finds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # HiGHS "times out" on the MILP (the LPs still run): the greedy plan is the answer.
    # Greedy on the hand example with one site: c0 serves min(100, 50 + 80) = 100, c1 90, c2 50
    real = capacitated._run_milp

    def no_milp(c: np.ndarray, A: sp.csr_array, *args: object, **kw: object) -> _MilpOutcome:
        integrality = kw["integrality"]
        assert isinstance(integrality, np.ndarray)
        if integrality.any():
            return _MilpOutcome(None, math.nan, "time limit")
        return real(c, A, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(capacitated, "_run_milp", no_milp)
    # without the simple bound, greedy cannot prove itself optimal and HiGHS is asked
    monkeypatch.setattr(capacitated, "_simple_bound", lambda model, n_sites: math.inf)
    # nor the plain plan's bound (and its sites: none)
    monkeypatch.setattr(
        capacitated,
        "_uncapacitated",
        lambda model, n_sites, **_: (math.inf, ~model.is_candidate, False),
    )
    r = maximize_capacitated_coverage(
        as_sparse(SITE_E),
        as_sparse(SITE_C),
        SITE_POP,
        n_sites=2,
        capacity_existing=100.0,
        capacity_new=[100.0, 100.0, 50.0],
    )
    assert r.sites.tolist() == [0, 1]  # then c1 serves 90, c2 at most 30 of B
    assert r.assigned_population == pytest.approx(290.0)
    assert "HiGHS found no plan" in r.message
    assert r.upper_bound == math.inf and r.gap == 1.0 and not r.proven_optimal
    # never called exact: the memo and the CLI say "best found, at most X % short"
    assert "best found, at most 100.00% short" in r.message
    assert capacitated.quality_text(r).startswith("best found, at most 100.00 % short")
    check_assignment(r, SITE_E, SITE_C, SITE_POP, np.array([100.0]), np.array([100.0, 100.0, 50.0]))


def test_simple_bound_proves_greedy_on_the_hand_example() -> None:
    # bound: existing room min(100, 150) + the two largest candidate rooms min(100, 230) and
    # min(100, 90) = 290, which the greedy plan {c0, c1} reaches: no MILP needed
    r = maximize_capacitated_coverage(
        as_sparse(SITE_E),
        as_sparse(SITE_C),
        SITE_POP,
        n_sites=2,
        capacity_existing=100.0,
        capacity_new=[100.0, 100.0, 50.0],
    )
    assert r.status == "optimal (greedy bound)"
    assert r.upper_bound == pytest.approx(290.0)
    assert capacitated.quality_text(r) == "proven optimal" and not r.message


@pytest.mark.parametrize("seed", range(15))
def test_infinite_capacity_is_maximal_coverage(seed: int) -> None:
    rng = np.random.default_rng(500 + seed)
    n_e, n_c, n_d = int(rng.integers(0, 3)), int(rng.integers(2, 8)), int(rng.integers(3, 15))
    E = rng.random((n_e, n_d)) < 0.3
    C = rng.random((n_c, n_d)) < 0.3
    pop = rng.integers(0, 50, n_d).astype(float)
    pop[0] += 1
    E_sp = as_sparse(E) if n_e else sp.csr_array((0, n_d))
    for k in range(n_c + 1):
        best = max(
            float(pop[E.any(axis=0) | C[list(s)].any(axis=0)].sum())
            for s in itertools.combinations(range(n_c), k)
        )
        r = maximize_capacitated_coverage(
            E_sp, as_sparse(C), pop, n_sites=k, capacity_existing=INF, capacity_new=INF
        )
        assert r.assigned_population == pytest.approx(best)
        assert r.over_capacity_population == pytest.approx(0.0, abs=1e-9)


# --------------------------------------------------------------------------------------------
# Inputs and limits
# --------------------------------------------------------------------------------------------


def test_lists_every_problem() -> None:
    with pytest.raises(InputError) as err:
        maximize_capacitated_coverage(
            as_sparse(SITE_E),
            as_sparse(SITE_C)[:, :2],
            SITE_POP,
            n_sites=-1,
            capacity_existing=[100.0, 5.0],
            capacity_new=-3.0,
            time_limit_s=0,
        )
    text = "\n".join(err.value.problems)
    assert "S_candidates has 2 demand columns but S_existing has 3" in text
    assert "n_sites=-1" in text
    assert "capacity_existing has shape (2,)" in text
    assert "time_limit_s=0" in text
    with pytest.raises(InputError) as err:
        maximize_capacitated_coverage(
            SITE_E,
            as_sparse(SITE_C),
            SITE_POP,
            n_sites=1,
            capacity_existing=1.0,
            capacity_new=[1.0, np.nan, -1.0],
        )
    text = "\n".join(err.value.problems)
    assert "S_existing is a ndarray" in text
    with pytest.raises(InputError) as err:
        maximize_capacitated_coverage(
            as_sparse(SITE_E),
            as_sparse(SITE_C),
            SITE_POP,
            n_sites=4,
            capacity_existing=1.0,
            capacity_new=[1.0, np.nan, -1.0],
        )
    text = "\n".join(err.value.problems)
    assert "n_sites=4 but there are only 3 candidate sites" in text
    assert "capacity_new is NaN or negative at rows [1, 2]" in text


def test_refuses_models_above_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(capacitated, "CAPACITATED_MAX_PAIRS", 3)
    with pytest.raises(InputError) as err:
        maximize_capacitated_coverage(
            as_sparse(SITE_E),
            as_sparse(SITE_C),
            SITE_POP,
            n_sites=1,
            capacity_existing=100.0,
            capacity_new=100.0,
        )
    assert "5 station-building pairs" in str(err.value)
    assert "fewer candidates" in err.value.hint
    # the pure LP has its own, larger limit
    r = maximize_capacitated_coverage(
        as_sparse(SITE_E),
        as_sparse(SITE_C),
        SITE_POP,
        n_sites=0,
        capacity_existing=100.0,
        capacity_new=100.0,
    )
    assert r.assigned_population == pytest.approx(100.0)


# --------------------------------------------------------------------------------------------
# Bishkek centre, `plan --n-sites 3 --capacity-inspectors 2` (binding) and 100 (not binding):
# proven optimal, checked by an independent textbook MILP (issue 20, defect 2)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bishkek_capacitated() -> dict[str, object]:
    """Both capacitated plans of the CLI path, with the matrices the core was given."""
    from planner.pipeline import assess_coverage, load_city, plan_sites
    from planner.station_review import plan_with_capacity
    from tests.conftest import BISHKEK

    city = load_city(BISHKEK)
    coverage = assess_coverage(city)
    seen: list[tuple[sp.csr_array, sp.csr_array, np.ndarray, float]] = []
    real = capacitated.maximize_capacitated_coverage

    def spy(S: object, C: object, pop: object, **kw: object) -> object:
        if kw["n_sites"]:
            seen.append((sp.csr_array(S), sp.csr_array(C), np.asarray(pop), kw["capacity_new"]))
        return real(S, C, pop, **kw)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(capacitated, "maximize_capacitated_coverage", spy)
        plans = {
            k: plan_with_capacity(city, coverage, n_sites=3, capacity_inspectors=k)
            for k in (2, 100)
        }
    plain = plan_sites(city, coverage, n_sites=3, prefix_gaps=False)
    return {"plans": plans, "inputs": dict(zip((2, 100), seen, strict=True)), "plain": plain}


def textbook_max_cover(E: sp.csr_array, C: sp.csr_array, pop: np.ndarray, k: int) -> float:
    """Church and ReVelle's maximal covering model (existing stations always open), solved by
    scipy.optimize.milp: an upper bound on every capacitated plan with ``k`` sites."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    n_c, n_d = C.shape
    by_existing = np.zeros(n_d, dtype=bool)
    by_existing[sp.coo_array(E).col] = True
    # y_j <= sum_c C_cj x_c for buildings the existing stations leave out; y_j = 1 otherwise
    link = sp.hstack([-sp.csr_array(C.T), sp.eye_array(n_d)]).tocsr()
    budget = sp.csr_array(np.r_[np.ones(n_c), np.zeros(n_d)][None, :])
    res = milp(
        np.r_[np.zeros(n_c), -np.where(by_existing, 0.0, pop)],
        integrality=np.r_[np.ones(n_c), np.zeros(n_d)],
        bounds=Bounds(0, 1),
        constraints=[LinearConstraint(link, -np.inf, np.where(by_existing, 1.0, 0.0)),
                     LinearConstraint(budget, -np.inf, k)],
    )  # fmt: skip
    assert res.status == 0
    return float(pop[by_existing].sum() - res.fun)


def textbook_capacitated(
    E: sp.csr_array, C: sp.csr_array, pop: np.ndarray, k: int, capacity: float
) -> float:
    """Current and Storbeck's capacitated maximal covering model, written out: fractions
    a_ij per (station, building) in reach, sum_i a_ij <= 1, sum_j pop_j a_ij <= capacity (x_i
    for sites), a_ij <= x_i, sum x <= k; solved by scipy.optimize.milp with presolve."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    n_e = E.shape[0]
    P = sp.coo_array(sp.vstack([E, C]))
    keep = pop[P.col] > 0
    st, bl = P.row[keep], P.col[keep]
    n_c, n_p, n_d = C.shape[0], st.size, C.shape[1]
    n_v = n_c + n_p
    pair = n_c + np.arange(n_p)
    site = st >= n_e
    n_s = int(site.sum())
    to_site = np.arange(n_s)
    rows = [
        sp.csr_array((np.ones(n_p), (bl, pair)), shape=(n_d, n_v)),
        sp.csr_array(
            (
                np.r_[pop[bl], -capacity * np.ones(n_c)],
                (np.r_[st, n_e + np.arange(n_c)], np.r_[pair, np.arange(n_c)]),
            ),
            shape=(n_e + n_c, n_v),
        ),
        sp.csr_array(
            (
                np.r_[np.ones(n_s), -np.ones(n_s)],
                (np.r_[to_site, to_site], np.r_[pair[site], st[site] - n_e]),
            ),
            shape=(n_s, n_v),
        ),
        sp.csr_array((np.ones(n_c), (np.zeros(n_c, dtype=int), np.arange(n_c))), shape=(1, n_v)),
    ]
    hi = np.r_[np.ones(n_d), np.full(n_e, capacity), np.zeros(n_c), np.zeros(n_s), k]
    res = milp(
        np.r_[np.zeros(n_c), -pop[bl]],
        integrality=np.r_[np.ones(n_c), np.zeros(n_p)],
        bounds=Bounds(0, 1),
        constraints=LinearConstraint(sp.vstack(rows).tocsr(), -np.inf, hi),
        options={"presolve": True},
    )
    assert res.status == 0
    return float(-res.fun)


@pytest.mark.parametrize("inspectors", [2, 100])
def test_bishkek_capacitated_plans_are_proven_optimal(
    bishkek_capacitated: dict[str, object], inspectors: int
) -> None:
    plans = bishkek_capacitated["plans"]
    E, C, pop, capacity = bishkek_capacitated["inputs"][inspectors]  # type: ignore[index]
    r = plans[inspectors].result  # type: ignore[index]
    assert capacity == inspectors * 3000.0
    assert r.proven_optimal and r.gap <= 1e-9, r.status
    assert "best found" not in r.message
    # the textbook maximal covering model bounds every capacitated plan, and the plan reaches it
    best = textbook_max_cover(E, C, pop, 3)
    assert best == pytest.approx(16_094.7, abs=0.05)
    assert r.assigned_population == pytest.approx(best, rel=1e-9)
    # the assignment, checked from scratch: only pairs in reach, no building over its residents,
    # no station over its capacity
    A = sp.csr_array(sp.vstack([r.assignment_existing, r.assignment_new], format="csr"))
    A.eliminate_zeros()
    reach = sp.csr_array(sp.vstack([E, C], format="csr"))  # stored entries, zero walks included
    pattern = sp.csr_array((np.ones(reach.nnz), reach.indices, reach.indptr), shape=reach.shape)
    assert sp.csr_array(A.multiply(pattern)).nnz == A.nnz
    assert np.all(A.sum(axis=0) <= pop + 1e-6)
    assert np.all(A.sum(axis=1) <= capacity + 1e-6)
    assert float(A.sum()) == pytest.approx(r.assigned_population)


def test_bishkek_capacity_that_does_not_bind_is_the_plain_plan(
    bishkek_capacitated: dict[str, object],
) -> None:
    r = bishkek_capacitated["plans"][100].result  # type: ignore[index]
    plain = bishkek_capacitated["plain"]
    assert plain.siting.proven_optimal  # type: ignore[attr-defined]
    covered = plain.summary_after.residents_covered  # type: ignore[attr-defined]
    assert r.assigned_population == pytest.approx(covered, rel=1e-9)


@pytest.mark.slow
def test_bishkek_binding_capacity_equals_the_textbook_capacitated_milp(
    bishkek_capacitated: dict[str, object],
) -> None:
    """The full Current-Storbeck model (33,359 pairs; about a minute on 2 cores)."""
    E, C, pop, capacity = bishkek_capacitated["inputs"][2]  # type: ignore[index]
    r = bishkek_capacitated["plans"][2].result  # type: ignore[index]
    assert textbook_capacitated(E, C, pop, 3, capacity) == pytest.approx(
        r.assigned_population, rel=1e-7
    )


def test_memo_says_best_found_unless_proven() -> None:
    from planner.outputs import _capacity_lines

    cap = {"capacity_residents": 6000, "capacity_inspectors": 2, "residents_per_inspector": 3000,
           "sites": [], "gap": 0.0618, "status": "time limit", "proven_optimal": False,
           "quality": "best found, at most 6.18 % short of the best possible (not proved "
           "optimal: time limit)"}  # fmt: skip
    text = "\n".join(_capacity_lines(cap))
    assert "The plan is best found, at most 6.18 % short of the best possible" in text
    assert "exact" not in text and "optimal (" not in text


def test_dominated_candidates_are_dropped_by_hand() -> None:
    # buildings b0..b3 with 10, 20, 30, 40 residents; capacity 100 never binds at c0 (it
    # reaches 60), so c1 (b0, b1), a subset of c0 (b0, b1, b2), and c2, the same set as c0, are
    # dominated, and so is c4 (b0, b1, b2) with a binding capacity of 25: c0 can take all its
    # residents. c3 (b3) is not: nothing else reaches b3.
    C = np.array([[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 0, 1], [1, 1, 1, 0]], dtype=bool)
    pop = np.array([10.0, 20.0, 30.0, 40.0])
    cap = np.array([100.0, 100.0, 100.0, 100.0, 25.0])
    P = sp.csr_array(as_sparse(C))
    model = capacitated._build_model(P, pop, cap, np.ones(5, dtype=bool))
    reduced = capacitated._drop_dominated(model)
    kept = sorted({int(model.stations[r]) for r in reduced.pairs_row})
    assert kept == [0, 3]
    for k in range(6):
        best = brute_best(np.zeros((0, 4), dtype=bool), C, pop, np.zeros(0), cap, k)
        r = maximize_capacitated_coverage(
            sp.csr_array((0, 4)), P, pop, n_sites=k, capacity_existing=0.0, capacity_new=cap
        )
        assert r.assigned_population == pytest.approx(best)
        assert r.assigned_population == pytest.approx([0, 60, 100, 100, 100, 100][k])
