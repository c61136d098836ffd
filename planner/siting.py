"""Choosing station sites on a coverage matrix: the numeric core.

Everything here works on arrays and knows nothing about geometry. The GeoDataFrame adapters
build the inputs and map the chosen row indices back to places.

Inputs shared by every function
-------------------------------
coverage
    ``scipy.sparse`` array or matrix of shape ``(n_candidates, n_demand)``. A *stored entry*
    ``(i, j)`` means candidate site ``i`` is within the walking limit of demand point ``j`` (a
    residential building). Only the sparsity structure counts, not the values: the values may be
    walking distances in metres and a building right at the door of a site is stored as an
    explicit ``0.0``, which still means "covered". Do not call ``eliminate_zeros()`` on a distance
    matrix. Values, when numeric, must be finite and >= 0; they are read as metres only by
    ``distance_tiebreak``.
population
    Residents of each demand point, ``n_demand`` finite values >= 0.
already_covered
    Boolean mask of the demand points already within walking distance of an existing station.
    Existing stations are always kept, so their population counts as covered but never as
    *newly* covered.

Solvers
-------
``method="greedy"`` is the classic greedy heuristic with exact marginal gains kept up to date
incrementally, which costs ``O(nnz)`` over the whole run (``planner._solvers._greedy``). It
always comes with a valid *online* bound (Minoux 1978; Leskovec et al. 2007): for every greedy
prefix ``S``, ``OPT_k <= f(S) + (sum of the k largest marginal gains with respect to S)``; the
smallest of these bounds is reported. It is much tighter in practice than the a-priori
``1 - 1/e`` factor.

``method="exact"`` first shrinks the model: demand that is already covered, has no population
or no candidate is dropped; demand points covered by exactly the same candidates are merged
(their populations added); candidates that cover nothing new, the same as a lower-numbered
candidate, or a subset of another candidate's demand (dominated) are dropped. None of this
changes the optimum. Then, each step only while the gap is open: greedy, swap local search, a
Lagrangian bound that also rules out candidates, the LP relaxation by HiGHS' interior point
(integral on real cities, which proves optimality), and HiGHS' MIP (:func:`scipy.optimize.milp`,
presolve off) on what remains. The fewest sites for a target share are found by solving
maximal coverage for ``k = n - 1, n - 2, ...`` from greedy's ``n``. When a time limit stops the
search, the best plan found is returned with the best proven bound. The solver machinery
(reduction, greedy, bounds, and every LP and MILP, the distance tie-break's included) lives in
:mod:`planner._solvers` and the input checks in :mod:`planner._instance`; this module composes
them and builds the results.

Every result reports its objective, the best proven bound and the relative optimality gap, so a
plan from a time-limited run says honestly how far from optimal it can be. Results are
deterministic: the same input gives the same sites (ties go to the lowest candidate index in
greedy; HiGHS is deterministic for a given model).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from planner import _instance
from planner._instance import count_text, number_text, percent_text
from planner._solvers import (
    _REL_EPS,
    OPTIMAL_REL_TOL,
    _covered_by,
    _greedy,
    _lagrange_at,
    _lagrangian,
    _local_search,
    _max_cover_lp,
    _max_cover_milp,
    _MilpOutcome,
    _min_sites_milp,
    _reduce,
    _Reduced,
    _rollout,
    _tiebreak_milp,
    time_limit_hit,
)
from planner._types import BoolArray, FloatArray, IntArray, SparseCoverage
from planner.defaults import DEFAULT_NODE_LIMIT, DEFAULT_TIME_LIMIT_S
from planner.errors import InputError
from planner.i18n import gettext, ngettext

__all__ = [
    "CoverageCurve",
    "CurvePoint",
    "MinSitesResult",
    "ProposalEvaluation",
    "RolloutResult",
    "SitingResult",
    "apply_curve_points",
    "at_most_more",
    "coverage_curve",
    "curve_plan",
    "evaluate_proposals",
    "maximize_coverage",
    "minimize_sites",
    "refine_curve",
    "rollout_order",
    "solve_curve_points",
]

logger = logging.getLogger(__name__)

Method = Literal["exact", "greedy"]

#: Largest model (stored coverage pairs after reduction) handed to HiGHS. Beyond this even the
#: root LP of a city-sized instance takes minutes and HiGHS' presolve does not honour the time
#: limit; such instances get the Lagrangian bound instead (see :func:`_lagrangian`).
MILP_MAX_PAIRS = 300_000
#: The same limit when a national run refines the curve points its allocation depends on
#: (:func:`solve_curve_points`): only a few points per unit are solved this way, and HiGHS'
#: node limit bounds the branching, but nothing bounds the root LP but the model's size. City
#: 077 of the 600-unit synthetic country (458,816 pairs at k = 28) is proven in 2-35 s per point
#: with it; with 5,000,000, a city of 2.1 M residents (seed 7's City 444) spent over 8 minutes
#: in single LPs (BENCHMARKS.md, "The country at scale").
REFINE_MILP_MAX_PAIRS = 1_000_000
#: A curve's first pass without HiGHS (a national run's) solves each size on its own while the
#: reduced model's coverage pairs times the curve's sizes stay below this; above it, Lagrangian
#: runs at a few anchor sizes bound every size (:func:`_anchored_curve`). Point by point costs
#: about 0.8 microseconds per pair and size (400 sparse products of 2 ns per pair): 40 s here;
#: a 2.2 M-resident city of houses (7.1 M pairs, 279 sizes) took 6 s per size, 28 minutes.
CURVE_ANCHOR_MIN_WORK = 50_000_000
#: Anchor sizes grow by this factor (1, 2, 3, 4, 6, 8, 11, ... : 17 anchors up to 279).
CURVE_ANCHOR_RATIO = 1.4
#: Time given to the proof at the found size in :func:`minimize_sites` when its own time limit
#: is already spent (the greedy bound comes first and is immediate).
_MIN_PROOF_S = 5.0


def at_most_more(gap: float) -> float:
    """How much more than a plan the best plan may cover, given the plan's optimality gap.

    The gap is measured against the proven bound, ``gap = (bound - value) / bound``, so the best
    plan covers at most ``bound = value / (1 - gap)``: up to ``gap / (1 - gap)`` more than the
    plan, not ``gap`` more. A gap of 1/6 (16.67 %) allows 20 % more.

    Parameters
    ----------
    gap
        Optimality gap in [0, 1].

    Returns
    -------
    float
        The largest possible relative improvement (``inf`` when ``gap`` is 1: the plan covers
        nobody while the bound is positive).

    Examples
    --------
    >>> round(at_most_more(1 / 6), 4)
    0.2
    """
    g = float(gap)
    if not 0.0 <= g <= 1.0:
        raise InputError(
            gettext("{function}: gap={value} must be in [0, 1]").format(
                function="at_most_more", value=repr(gap)
            )
        )
    return math.inf if g >= 1.0 else g / (1.0 - g)


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, kw_only=True)
class SitingResult:
    """A set of new station sites chosen to cover as many residents as possible.

    Attributes
    ----------
    sites
        Chosen candidate indices (rows of the coverage matrix) in rollout order: each site is the
        one adding the most newly covered population given the sites before it. Forced sites are
        included. Candidates that would cover nobody new are left out, so there can be fewer than
        ``n_sites_requested`` (see ``message``), except forced sites, which are always listed.
    marginal_population
        Population newly covered by each site of ``sites`` given the sites before it.
    cumulative_population
        Running total of ``marginal_population``: newly covered population after building the
        first 1, 2, ... sites.
    newly_covered_population
        Population covered by the new sites and not by existing stations.
    existing_population
        Population already covered by existing stations.
    covered_population
        ``existing_population + newly_covered_population``.
    total_population
        Population of all demand points.
    covered_share
        ``covered_population / total_population``.
    upper_bound
        Best proven upper bound on the newly covered population of any plan with
        ``n_sites_requested`` sites (containing the forced sites).
    gap
        Relative optimality gap ``(upper_bound - newly_covered_population) / upper_bound``,
        0 when the bound is 0. The plan is at most this fraction short of the optimum.
    proven_optimal
        True when ``gap <= OPTIMAL_REL_TOL``.
    greedy_population
        Newly covered population of the greedy plan (for comparison; equal to
        ``newly_covered_population`` when ``method="greedy"``).
    n_sites_requested
        The ``n_sites`` asked for.
    method
        ``"exact"`` or ``"greedy"``.
    solver_status
        What happened, e.g. ``"optimal"``, ``"time limit"``, ``"greedy"``,
        ``"optimal (greedy bound)"``; with a distance tie-break the second stage's status follows
        after ``"; tie-break: "``.
    runtime_s
        Wall-clock seconds spent, validation included.
    population_walk_m
        With ``distance_tiebreak=True``: sum over covered residents of population times walking
        distance (metres) to the nearest new or existing station, for the returned plan. ``None``
        otherwise.
    message
        Plain-language notes for the report (fewer sites than asked, time limit hit, ...);
        empty when there is nothing to say.
    time_limit_hit
        True when the wall-clock safety net (``time_limit_s``) stopped a solve: the plan then
        depended on the machine's speed and load, and every output says so.
    """

    sites: IntArray
    marginal_population: FloatArray
    cumulative_population: FloatArray
    newly_covered_population: float
    existing_population: float
    covered_population: float
    total_population: float
    covered_share: float
    upper_bound: float
    gap: float
    proven_optimal: bool
    greedy_population: float
    n_sites_requested: int
    method: str
    solver_status: str
    runtime_s: float
    population_walk_m: float | None
    message: str
    time_limit_hit: bool = False


@dataclass(frozen=True, eq=False, kw_only=True)
class MinSitesResult:
    """The fewest new sites reaching a covered share of the total population.

    Attributes
    ----------
    sites
        Chosen candidate indices in rollout order (largest marginal gain first).
    marginal_population, cumulative_population
        As in :class:`SitingResult`.
    n_sites
        ``len(sites)``. When the target is unreachable, the number of sites of the plan reaching
        ``best_achievable_share`` (the minimum, if ``proven_optimal``).
    lower_bound
        Best proven lower bound on the number of new sites needed (for the target, or for
        ``best_achievable_share`` when the target is unreachable).
    gap
        ``(n_sites - lower_bound) / n_sites``, 0 when ``n_sites`` is 0.
    proven_optimal
        True when ``n_sites == lower_bound``.
    coverage_upper_bound
        Proven upper bound on the newly covered population of ANY plan with ``n_sites`` sites:
        the fewest-sites search proves how many sites are needed; this proves how well a plan of
        that size can do. The returned plan is the best plan of ``n_sites`` sites found.
    coverage_gap
        ``(coverage_upper_bound - newly_covered_population) / coverage_upper_bound`` (0 when
        the bound is 0): a plan of the same size may cover up to
        ``coverage_gap / (1 - coverage_gap)`` more than this one (see :func:`at_most_more`).
    coverage_proven_optimal
        True when ``coverage_gap`` is within the solver tolerance of 0.
    target_share
        The share of the total population asked for.
    target_reachable
        False when even all candidates together cannot reach ``target_share``; the plan then
        reaches ``best_achievable_share`` instead and ``message`` says so.
    best_achievable_share
        Covered share with every candidate built (existing coverage included).
    newly_covered_population, existing_population, covered_population, total_population,
    covered_share, method, solver_status, runtime_s, message, time_limit_hit
        As in :class:`SitingResult`.
    """

    sites: IntArray
    marginal_population: FloatArray
    cumulative_population: FloatArray
    n_sites: int
    lower_bound: int
    gap: float
    proven_optimal: bool
    coverage_upper_bound: float
    coverage_gap: float
    coverage_proven_optimal: bool
    target_share: float
    target_reachable: bool
    best_achievable_share: float
    newly_covered_population: float
    existing_population: float
    covered_population: float
    total_population: float
    covered_share: float
    method: str
    solver_status: str
    runtime_s: float
    message: str
    time_limit_hit: bool = False


@dataclass(frozen=True, eq=False, kw_only=True)
class RolloutResult:
    """A chosen set of sites ranked for staged construction.

    Attributes
    ----------
    sites
        The chosen candidate indices, largest marginal gain first (ties: lowest index). Sites
        that add nobody new come last.
    marginal_population
        Population newly covered by each site given the ones before it.
    cumulative_population
        Newly covered population after building the first ``m`` sites, ``m = 1 .. len(sites)``.
    cumulative_share
        Covered share of the total population (existing coverage included) after ``m`` sites.
    best_population
        With ``prefix_gaps=True``: newly covered population of the best ``m``-site plan found from
        all candidates; NaN otherwise.
    upper_bound
        With ``prefix_gaps=True``: proven upper bound for ``m`` sites; NaN otherwise.
    prefix_gap
        ``(upper_bound - cumulative_population) / upper_bound`` per prefix (0 when the bound is
        0): how far building the first ``m`` sites of this plan can be from the best ``m``-site
        plan. NaN without ``prefix_gaps``.
    prefix_proven_optimal
        Whether the bound for ``m`` sites was proven tight (``best_population`` optimal).
    time_limit_hit
        True when the wall-clock safety net cut a prefix solve short.
    best_sites
        With ``prefix_gaps=True``: the candidate rows (sorted) of the best ``m``-site plan
        found, ``m = 1 .. len(sites)`` (the one ``best_population`` counts); empty otherwise.
    """

    sites: IntArray
    marginal_population: FloatArray
    cumulative_population: FloatArray
    cumulative_share: FloatArray
    best_population: FloatArray
    upper_bound: FloatArray
    prefix_gap: FloatArray
    prefix_proven_optimal: BoolArray
    time_limit_hit: bool = False
    best_sites: tuple[IntArray, ...] = ()


@dataclass(frozen=True, eq=False, kw_only=True)
class ProposalEvaluation:
    """A proposed list of sites checked one by one and as a whole.

    Per-proposal arrays are aligned with ``proposal_rows``; "new" always means not covered by
    existing stations.

    Attributes
    ----------
    proposal_rows
        The proposals as given (candidate indices).
    alone_population
        Population the proposal would newly cover if it were the only new site.
    marginal_population
        Leave-one-out gain: newly covered population of the whole list minus that of the list
        without this entry. A proposal listed twice has 0 for both entries.
    greedy_rank
        1-based rank in the greedy rollout of the list (ties: earlier position in the list).
    covers_nobody_new
        ``alone_population == 0``.
    redundant
        Covers someone new alone, but the other proposals together already cover all of it
        (``alone_population > 0`` and ``marginal_population == 0``).
    subset_of
        Position (into ``proposal_rows``) of another proposal whose newly covered demand points
        contain all of this one's, or -1. When two proposals cover exactly the same points, the
        later one points to the earlier one. Points without population are ignored; proposals
        covering nobody new get -1 (see ``covers_nobody_new``).
    unreachable
        The caller's ``unreachable`` mask (e.g. off the walking network), all False if not given.
    list_population
        Newly covered population of the whole list.
    best
        The best plan from all candidates with as many sites as the list has distinct rows.
    gap
        ``(best.upper_bound - list_population) / best.upper_bound`` (0 when the bound is 0): the
        list covers at least this fraction less than the best possible plan of its size, and no
        more than that.
    shortfall_population
        ``best.newly_covered_population - list_population``.
    """

    proposal_rows: IntArray
    alone_population: FloatArray
    marginal_population: FloatArray
    greedy_rank: IntArray
    covers_nobody_new: BoolArray
    redundant: BoolArray
    subset_of: IntArray
    unreachable: BoolArray
    list_population: float
    best: SitingResult
    gap: float
    shortfall_population: float


# --------------------------------------------------------------------------------------------
# Walking distances for the tie-break
# --------------------------------------------------------------------------------------------


def _distance_matrix(coverage: SparseCoverage) -> sp.csr_array:
    """Coverage values as metres, canonical CSR; duplicate pairs keep their smallest value."""
    coo = sp.coo_array(coverage)
    rows, cols = coo.coords
    vals = np.asarray(coo.data, dtype=np.float64)
    order = np.lexsort((vals, cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    first = np.ones(rows.size, dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    indptr = np.zeros(coo.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows[first], minlength=coo.shape[0]), out=indptr[1:])
    return sp.csr_array((vals[first], cols[first], indptr), shape=coo.shape)


def _population_walk_m(
    dist: sp.csr_array, inst: _instance.Instance, existing_m: FloatArray, sites: IntArray
) -> float:
    """Sum of population x distance to the nearest new or existing station, covered people."""
    best = np.where(inst.already_covered, existing_m, np.inf)
    if sites.size:
        sub = sp.coo_array(dist[np.unique(sites)])
        np.minimum.at(best, sub.coords[1], sub.data)
    reach = np.isfinite(best)
    return float(inst.population[reach] @ best[reach])


# --------------------------------------------------------------------------------------------
# Maximal coverage
# --------------------------------------------------------------------------------------------


def _gap_max(bound: float, objective: float) -> float:
    return 0.0 if bound <= 0 else max(0.0, (bound - objective) / bound)


@dataclass(frozen=True, eq=False)
class _MaxCover:
    sites: IntArray  # unordered
    objective: float
    upper_bound: float
    greedy_objective: float
    status: str
    time_limit_hit: bool  # the wall-clock safety net stopped a step


def _max_coverage_core(
    inst: _instance.Instance,
    k: int,
    *,
    forced: IntArray,
    method: str,
    time_limit_s: float,
    mip_rel_gap: float,
    node_limit: int,
    dedupe_rows: bool = True,
    reduced: _Reduced | None = None,
    max_pairs: int = MILP_MAX_PAIRS,
) -> _MaxCover:
    """Best plan of ``k`` sites containing ``forced``; objective = newly covered population."""
    base_weights = inst.new_weights()
    forced_mask = _covered_by(inst.pattern, forced)
    forced_gain = float(base_weights[forced_mask].sum())
    weights = np.where(forced_mask, 0.0, base_weights)
    if reduced is None:
        reduced = _reduce(inst.pattern, weights, exclude=forced, dedupe_rows=dedupe_rows)
    k_free = k - forced.size
    run = _greedy(reduced.matrix, reduced.weights, max_rows=k_free, bound_k=k_free)
    greedy_obj = forced_gain + float(run.marginal.sum())
    upper = forced_gain + min(run.upper_bound, float(reduced.weights.sum()))
    picked = reduced.rows[run.order]
    objective = greedy_obj
    status = "greedy"
    timed_out = False
    deadline = time.perf_counter() + time_limit_s
    if _gap_max(upper, objective) <= OPTIMAL_REL_TOL:
        status = "optimal (greedy bound)" if method == "exact" else "greedy"
    elif method == "exact":
        picked, objective, upper, status, timed_out = _exact_max_cover(
            reduced,
            k_free,
            picked,
            objective - forced_gain,
            upper - forced_gain,
            deadline=deadline,
            mip_rel_gap=mip_rel_gap,
            node_limit=node_limit,
            max_pairs=max_pairs,
        )
        objective += forced_gain
        upper += forced_gain
    sites = np.r_[forced, picked].astype(np.intp)
    upper = max(upper, objective)
    return _MaxCover(sites, objective, upper, greedy_obj, status, timed_out)


def _kept_rows(row_bounds: FloatArray, objective: float) -> tuple[BoolArray, float]:
    """Rows that may be in a plan better than ``objective`` (their bound reaches it), and the
    best bound of the rows dropped (0 if none): no plan holding one of them does better."""
    kept = row_bounds >= objective * (1 - 1e-9)
    return kept, float(row_bounds[~kept].max()) if (~kept).any() else 0.0


def _exact_max_cover(
    red: _Reduced,
    k: int,
    picked: IntArray,
    objective: float,
    upper: float,
    *,
    deadline: float,
    mip_rel_gap: float,
    node_limit: int,
    max_pairs: int = MILP_MAX_PAIRS,
) -> tuple[IntArray, float, float, str, bool]:
    """Greedy plan in, best plan and bound out (all in original row numbers, reduced objective).

    Steps, each only while the gap is open: swap local search; Lagrangian bound, whose
    multipliers also exclude rows that cannot be in any plan better than the incumbent; HiGHS on
    what remains if it is small enough (``max_pairs``), within ``node_limit`` nodes. Every
    step is counted, not timed; ``deadline`` is only the wall-clock safety net, and the last
    value returned says whether it stopped anything.
    """
    M, weights = red.matrix, red.weights
    local = np.searchsorted(red.rows, picked)

    def closed() -> bool:
        return _gap_max(upper, objective) <= max(mip_rel_gap, OPTIMAL_REL_TOL)

    local, objective = _local_search(M, weights, local)
    status = "local search"
    timed_out = False
    if not closed():
        lag = _lagrangian(
            M,
            weights,
            k,
            lower=objective,
            deadline=deadline,
            rel_gap=mip_rel_gap,
        )
        timed_out = lag.timed_out
        upper = min(upper, lag.bound)
        tried, tried_obj = _local_search(M, weights, lag.sites)
        if tried_obj > objective:
            local, objective = tried, tried_obj
        status = "Lagrangian bound"
        keep, _ = _kept_rows(lag.row_bounds, objective)
        keep[local] = True
        fixed_bound = float(lag.row_bounds[~keep].max()) if (~keep).any() else 0.0
        rows = np.flatnonzero(keep)
        if closed():
            status = (  # untranslated: solver status, a code in summary.json
                "optimal (Lagrangian bound)"
                if _gap_max(upper, objective) <= (OPTIMAL_REL_TOL)
                else "stopped at mip_rel_gap (Lagrangian bound)"
            )
        elif rows.size <= k:
            local, objective = rows, float(weights[_covered_by(M, rows)].sum())
            upper = min(upper, max(objective, fixed_bound))
            status = "optimal (Lagrangian fixing)"
        else:
            sub = _reduce(M[rows], weights, exclude=np.zeros(0, dtype=np.intp), dedupe_rows=True)
            remaining = deadline - time.perf_counter()
            if sub.matrix.nnz > max_pairs:
                status = (  # untranslated: solver status, a code in summary.json
                    f"Lagrangian bound (MILP skipped: {sub.matrix.nnz:,} pairs left after "
                    f"reduction, limit {max_pairs:,})"
                )
            elif remaining <= 0:
                status = "time limit"
            else:
                out = _max_cover_lp(sub, k, time_limit_s=remaining)
                if out.x is None:
                    if not math.isnan(out.dual_bound):
                        upper = min(upper, max(-out.dual_bound, fixed_bound))
                    remaining = deadline - time.perf_counter()
                    if out.multipliers is not None and not closed() and remaining > 0:
                        # the LP's duals fix rows, after plans rounded from the LP raise the bar
                        lp = _lagrange_at(sub.matrix, sub.weights, k, out.multipliers)
                        upper = min(upper, max(lp.bound, fixed_bound))
                        assert out.fractional_x is not None
                        rounded = np.argsort(-out.fractional_x, kind="stable")[:k]
                        for start in (rounded, lp.sites):
                            tried, tried_obj = _local_search(M, weights, rows[sub.rows[start]])
                            if tried_obj > objective:
                                local, objective = tried, tried_obj
                        kept, dropped_bound = _kept_rows(lp.row_bounds, objective)
                        fixed_bound = max(fixed_bound, dropped_bound)
                        rows = rows[sub.rows[kept]]
                        sub = _reduce(
                            M[rows], weights, exclude=np.zeros(0, dtype=np.intp), dedupe_rows=True
                        )
                        remaining = deadline - time.perf_counter()
                    if closed():  # by the LP's bound (a plan rounded from it may reach it)
                        out = _MilpOutcome(
                            None,
                            math.nan,
                            "optimal (LP bound)"
                            if _gap_max(upper, objective) <= OPTIMAL_REL_TOL
                            else "stopped at mip_rel_gap (LP bound)",  # untranslated: status code
                        )
                    elif remaining > 0:
                        out = _max_cover_milp(
                            sub,
                            k,
                            time_limit_s=remaining,
                            mip_rel_gap=mip_rel_gap,
                            node_limit=node_limit,
                        )
                    else:
                        out = _MilpOutcome(None, math.nan, "time limit")
                status = out.status
                if not math.isnan(out.dual_bound):
                    upper = min(upper, max(-out.dual_bound, fixed_bound))
                if out.x is not None:
                    chosen = rows[sub.rows[out.x[: sub.rows.size] > 0.5]]
                    value = float(weights[_covered_by(M, chosen)].sum())
                    if value >= objective:
                        local, objective = chosen, value
                if status.startswith("solver failed"):
                    logger.warning(  # untranslated: log record for developers
                        "maximize_coverage: HiGHS %s; keeping the heuristic plan", status
                    )
    elif objective > 0:
        status = "optimal (local search)"
    timed_out = timed_out or time_limit_hit(status)
    return red.rows[np.sort(local)], objective, max(upper, objective), status, timed_out


def maximize_coverage(
    coverage: SparseCoverage,
    population: ArrayLike,
    *,
    n_sites: int,
    already_covered: ArrayLike | None = None,
    method: Method = "exact",
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    mip_rel_gap: float = 1e-6,
    node_limit: int = DEFAULT_NODE_LIMIT,
    distance_tiebreak: bool = False,
    existing_distance_m: ArrayLike | None = None,
    forced: ArrayLike | None = None,
) -> SitingResult:
    """Choose ``n_sites`` new stations covering the most residents not yet covered.

    Parameters
    ----------
    coverage
        Sparse ``(n_candidates, n_demand)`` matrix; a stored entry means "within walking
        distance" (explicit zeros count; see the module docstring).
    population
        Residents per demand point.
    n_sites
        Number of new stations to open (forced sites included).
    already_covered
        Demand already covered by existing stations (never counted as newly covered).
    method
        ``"exact"`` (HiGHS MILP after greedy) or ``"greedy"`` (greedy with an online bound).
    time_limit_s
        Wall-clock safety net of the solve (``inf``, the default: off). On hitting it the best
        plan found is returned with its proven gap and ``time_limit_hit`` is True: the plan
        then depended on the machine's speed and load.
    mip_rel_gap
        HiGHS stops once its relative gap is at most this.
    node_limit
        Work limit of each HiGHS MILP, in branch-and-bound nodes. HiGHS counts them itself, so
        the same inputs give the same plan on any machine; on reaching it the best plan found
        is returned with its proven gap (status ``"node limit"``).
    distance_tiebreak
        Among plans covering the same population, prefer the one with the least total
        population-weighted walk to the nearest new or existing station (a second MILP that
        keeps the coverage at least as good). Needs ``method="exact"``, walking distances in
        metres as the matrix values, and ``existing_distance_m`` when ``already_covered`` has any
        True. The second model has a variable per stored pair, so on city-sized matrices it may
        stop at the time limit; the first-stage plan is kept when it finds nothing better.
    existing_distance_m
        Walking distance of each demand point to its nearest existing station (``inf`` if none);
        only used by ``distance_tiebreak``.
    forced
        Candidates that must be among the new sites (e.g. already approved); the optimum and the
        bound are then over plans containing them.

    Returns
    -------
    SitingResult
        The plan in rollout order with its bound and gap.

    Raises
    ------
    InputError
        If any input is malformed; every problem is listed.
    """
    t0 = time.perf_counter()
    problems: list[str] = []
    inst = _instance.read_instance(coverage, population, already_covered, problems)
    n_cand = None if inst is None else inst.n_candidates
    if not _instance.is_int(n_sites) or n_sites < 0:
        problems.append(
            gettext("{name}={value} must be a whole number >= 0").format(
                name="n_sites", value=repr(n_sites)
            )
        )
    _instance.check_method(method, problems)
    _instance.check_solver_options(time_limit_s, mip_rel_gap, problems, node_limit=node_limit)
    forced_rows = _instance.read_rows("forced", forced, n_cand, problems)
    if forced_rows.size != np.unique(forced_rows).size:
        problems.append(gettext("{name} lists a candidate more than once").format(name="forced"))
    if _instance.is_int(n_sites) and forced_rows.size > n_sites:
        problems.append(
            ngettext(
                "forced has {n} sites but n_sites={n_sites}; raise n_sites",
                "forced has {n} sites but n_sites={n_sites}; raise n_sites",
                int(forced_rows.size),
            ).format(n=forced_rows.size, n_sites=n_sites)
        )
    existing_m = np.zeros(0)
    if distance_tiebreak:
        if method != "exact":
            problems.append(
                gettext("{option} needs {needed}").format(
                    option="distance_tiebreak=True", needed="method='exact'"
                )
            )
        if inst is not None and inst.values_are_bool:
            problems.append(
                gettext(
                    "{option} needs walking distances in metres as the coverage values, but the "
                    "matrix holds booleans"
                ).format(option="distance_tiebreak=True")
            )
        existing_m = _read_existing_distance(existing_distance_m, inst, problems)
    _instance.raise_if("maximize_coverage", problems)
    assert inst is not None
    n_sites = int(n_sites)
    forced_rows = np.unique(forced_rows)

    best = _max_coverage_core(
        inst,
        n_sites,
        forced=forced_rows,
        method=method,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        node_limit=node_limit,
        dedupe_rows=not distance_tiebreak,
    )
    sites, objective, status = best.sites, best.objective, best.status
    walk_m: float | None = None
    weights = inst.new_weights()
    if distance_tiebreak:
        dist = _distance_matrix(coverage)
        walk_m = _population_walk_m(dist, inst, existing_m, sites)
        slack = OPTIMAL_REL_TOL * max(objective, 1.0) * 1e-3
        candidate, tb_status = _tiebreak_milp(
            dist,
            inst.population,
            inst.already_covered,
            existing_m,
            n_sites=n_sites,
            forced=forced_rows,
            min_new=objective - slack,
            time_limit_s=time_limit_s,
            mip_rel_gap=mip_rel_gap,
            node_limit=node_limit,
        )
        if candidate is not None:
            new_obj = float(weights[_covered_by(inst.pattern, candidate)].sum())
            new_walk = _population_walk_m(dist, inst, existing_m, candidate)
            if new_obj >= objective - slack and new_walk < walk_m:
                sites, objective, walk_m = candidate, new_obj, new_walk
        status = f"{status}; tie-break: {tb_status}"  # untranslated: solver status code

    ordered, marginal = _rollout(inst.pattern, weights, sites)
    keep = (marginal > 0) | np.isin(ordered, forced_rows)
    if distance_tiebreak:
        keep[:] = True  # a site covering nobody new may still shorten walks
    ordered, marginal = ordered[keep], marginal[keep]
    notes = []
    if ordered.size < n_sites:
        notes.append(_unused_note(int(ordered.size), n_sites))
    timed_out = best.time_limit_hit or (distance_tiebreak and time_limit_hit(status))
    if timed_out:
        notes.append(
            gettext(
                "time limit of {seconds} s reached; the plan is within {gap} of the optimum"
            ).format(
                seconds=number_text(time_limit_s),
                gap=percent_text(_gap_max(best.upper_bound, objective)),
            )
        )
    elif "node limit" in status:
        notes.append(
            gettext(
                "node limit of {nodes} reached; the plan is within {gap} of the optimum"
            ).format(
                nodes=count_text(node_limit),
                gap=percent_text(_gap_max(best.upper_bound, objective)),
            )
        )
    return _siting_result(
        inst,
        ordered,
        marginal,
        upper_bound=max(best.upper_bound, objective),
        greedy_population=best.greedy_objective,
        n_sites=n_sites,
        method=method,
        status=status,
        t0=t0,
        walk_m=walk_m,
        message="; ".join(notes),
        time_limit_hit=timed_out,
    )


def _unused_note(used: int, n_sites: int) -> str:
    """The note of a plan that found fewer useful sites than asked for."""
    return ngettext(
        "{used} of {n} sites used: no other candidate covers anybody new",
        "{used} of {n} sites used: no other candidate covers anybody new",
        n_sites,
    ).format(used=used, n=n_sites)


def _read_existing_distance(
    values: ArrayLike | None, inst: _instance.Instance | None, problems: list[str]
) -> FloatArray:
    if inst is None:
        return np.zeros(0)
    n_demand = inst.population.size
    if values is None:
        if inst.already_covered.any():
            problems.append(
                gettext(
                    "{option} with existing coverage needs {argument} (walking metres to the "
                    "nearest existing station)"
                ).format(option="distance_tiebreak=True", argument="existing_distance_m")
            )
        return np.full(n_demand, np.inf)
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (n_demand,):
        problems.append(
            gettext("{name} has shape {shape}; expected {expected}").format(
                name="existing_distance_m", shape=arr.shape, expected=f"({n_demand},)"
            )
        )
        return np.full(n_demand, np.inf)
    bad = np.isnan(arr) | (arr < 0)
    if bad.any():
        problems.append(
            gettext("{name} is NaN or negative at {positions}").format(
                name="existing_distance_m", positions=_instance.positions(bad)
            )
        )
    missing = inst.already_covered & np.isinf(arr)
    if missing.any():
        problems.append(
            gettext(
                "demand {positions} is already_covered but its existing_distance_m is inf; give "
                "the walking distance to that station"
            ).format(positions=_instance.positions(missing))
        )
    return arr


def _siting_result(
    inst: _instance.Instance,
    sites: IntArray,
    marginal: FloatArray,
    *,
    upper_bound: float,
    greedy_population: float,
    n_sites: int,
    method: str,
    status: str,
    t0: float,
    walk_m: float | None,
    message: str,
    time_limit_hit: bool = False,
) -> SitingResult:
    cumulative = np.cumsum(marginal)
    new = float(cumulative[-1]) if cumulative.size else 0.0
    total = inst.total_population
    existing = inst.existing_population
    gap = _gap_max(upper_bound, new)
    return SitingResult(
        sites=sites,
        marginal_population=marginal,
        cumulative_population=cumulative,
        newly_covered_population=new,
        existing_population=existing,
        covered_population=existing + new,
        total_population=total,
        covered_share=(existing + new) / total,
        upper_bound=upper_bound,
        gap=gap,
        proven_optimal=gap <= OPTIMAL_REL_TOL,
        greedy_population=greedy_population,
        n_sites_requested=n_sites,
        method=method,
        solver_status=status,
        runtime_s=time.perf_counter() - t0,
        population_walk_m=walk_m,
        message=message,
        time_limit_hit=time_limit_hit,
    )


# --------------------------------------------------------------------------------------------
# The coverage curve: the best plan for every number of sites
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, kw_only=True)
class CoverageCurve:
    """The best plan found for every number of new sites ``k = 0 .. K``, with proven bounds.

    A national allocation needs, for every city, how many residents ``k`` new stations would
    bring within walking distance for every ``k``: this curve. ``K`` is ``max_sites`` or, when
    smaller, the number of sites after which no candidate adds anybody (the curve is flat
    beyond ``K``).

    Attributes
    ----------
    newly_covered
        ``newly_covered[k]``: newly covered population of the best ``k``-site plan found
        (``newly_covered[0] == 0``); non-decreasing.
    upper_bound
        ``upper_bound[k]``: proven upper bound on any ``k``-site plan; non-decreasing and never
        below ``newly_covered[k]``.
    proven_optimal
        ``upper_bound[k]`` is within ``OPTIMAL_REL_TOL`` of ``newly_covered[k]``.
    sites
        ``sites[k]``: candidate rows of that plan (sorted; only sites that add somebody).
    greedy
        The greedy plan's newly covered population for each ``k`` (for comparison).
    status
        How each ``k`` was solved (``status[0]`` is ``"no sites"``).
    coverable_population
        Newly covered population if every candidate were built.
    existing_population, total_population
        As in :class:`SitingResult`.
    max_sites
        The cap asked for.
    runtime_s
        Wall-clock seconds.
    time_limit_hit
        True when the wall-clock safety net (``time_limit_s``) cut any ``k`` short (its status
        then says ``"time limit"``): the curve depended on the machine's speed and load.
    """

    newly_covered: FloatArray
    upper_bound: FloatArray
    proven_optimal: BoolArray
    sites: tuple[IntArray, ...]
    greedy: FloatArray
    status: tuple[str, ...]
    coverable_population: float
    existing_population: float
    total_population: float
    max_sites: int
    runtime_s: float
    time_limit_hit: bool = False

    @property
    def k_max(self) -> int:
        """``K``: the largest ``k`` on the curve."""
        return int(self.newly_covered.size - 1)

    def at(self, k: int) -> int:
        """The curve index holding the plan for ``k`` sites (``min(k, K)``: flat beyond)."""
        return min(int(k), self.k_max)


def coverage_curve(
    coverage: SparseCoverage,
    population: ArrayLike,
    *,
    max_sites: int,
    already_covered: ArrayLike | None = None,
    method: Method = "exact",
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    mip_rel_gap: float = 1e-6,
    node_limit: int = DEFAULT_NODE_LIMIT,
    max_milp_pairs: int = MILP_MAX_PAIRS,
) -> CoverageCurve:
    """The best plan of every size ``k = 0 .. max_sites`` (see :class:`CoverageCurve`).

    Each ``k`` is solved exactly as :func:`maximize_coverage` with ``n_sites=k`` solves it
    (same reduction, greedy start, local search, Lagrangian bound and HiGHS), so the plan for
    ``k`` equals what a single-city run with ``k`` sites chooses. ``time_limit_s`` is shared
    by all ``k`` (each gets an equal part of what is left, as in :func:`rollout_order`); it is
    a safety net, off by default (``node_limit`` bounds each solve's work instead); where it
    runs out, the greedy plan and its online bound stand in, the gap stays honest and
    ``time_limit_hit`` says so. Two repairs keep the curve consistent: a plan for ``k`` is
    never worse than the plan for ``k - 1`` plus its best extra site, and a bound for ``k`` is
    never above a bound for a larger ``k`` (``OPT(k) <= OPT(j) <= bound(j)`` for ``j > k``).
    ``max_milp_pairs`` is the largest model HiGHS is given (``MILP_MAX_PAIRS``, as in
    :func:`maximize_coverage`); beyond it a point keeps its Lagrangian bound, and
    :func:`refine_curve` can prove chosen points with larger models.

    Raises
    ------
    InputError
        If any input is malformed; every problem is listed.
    """
    t0 = time.perf_counter()
    problems: list[str] = []
    inst = _instance.read_instance(coverage, population, already_covered, problems)
    if not _instance.is_int(max_sites) or max_sites < 0:
        problems.append(
            gettext("{name}={value} must be a whole number >= 0").format(
                name="max_sites", value=repr(max_sites)
            )
        )
    _instance.check_method(method, problems)
    _instance.check_solver_options(time_limit_s, mip_rel_gap, problems, node_limit=node_limit)
    _instance.raise_if("coverage_curve", problems)
    assert inst is not None
    weights = inst.new_weights()
    none = np.zeros(0, dtype=np.intp)
    reduced = _reduce(inst.pattern, weights, exclude=none, dedupe_rows=True)
    everything = _greedy(reduced.matrix, reduced.weights, max_rows=int(reduced.matrix.shape[0]))
    coverable = float(everything.marginal.sum())
    k_max = min(int(max_sites), int(everything.order.size))
    greedy = np.r_[0.0, np.cumsum(everything.marginal[:k_max])]
    best = np.zeros(k_max + 1)
    upper = np.zeros(k_max + 1)
    sites: list[IntArray] = [none]
    status = ["no sites"]
    timed_out = False
    deadline = t0 + float(time_limit_s)
    anchored = (
        method == "exact"
        and int(max_milp_pairs) == 0
        and reduced.matrix.nnz * k_max > CURVE_ANCHOR_MIN_WORK
        and k_max > 0
    )
    if anchored:  # a big model's first pass: bounds from a few anchor sizes (see _anchored_curve)
        best, upper, sites, status, timed_out = _anchored_curve(
            inst, reduced, everything.order, k_max, deadline=deadline, mip_rel_gap=mip_rel_gap
        )
    for k in range(1, 0 if anchored else k_max + 1):
        budget_s = (deadline - time.perf_counter()) / (k_max - k + 1)
        out_of_time = method == "exact" and budget_s <= 0.05
        plan = _max_coverage_core(
            inst,
            k,
            forced=none,
            method="greedy" if out_of_time else method,
            time_limit_s=max(budget_s, 0.05),
            mip_rel_gap=mip_rel_gap,
            node_limit=node_limit,
            reduced=reduced,
            max_pairs=int(max_milp_pairs),
        )
        ordered, marginal = _rollout(inst.pattern, weights, plan.sites)
        chosen, value, how = np.sort(ordered[marginal > 0]), float(marginal.sum()), plan.status
        if out_of_time:
            how = f"time limit ({how})"  # untranslated: solver status code
        timed_out = timed_out or out_of_time or plan.time_limit_hit
        if value < best[k - 1]:  # a time-limited solve: extend the previous plan instead
            chosen, value = _extend(inst.pattern, weights, sites[k - 1])
            how = f"{plan.status}; previous plan extended"  # untranslated: solver status code
        best[k], upper[k] = value, max(plan.upper_bound, value)
        sites.append(chosen.astype(np.intp))
        status.append(how)
    if k_max < int(max_sites) or k_max == 0:
        upper[k_max] = best[k_max] = coverable if k_max else 0.0
    upper, optimal = _consistent_bounds(best, upper, coverable)
    return CoverageCurve(
        newly_covered=best,
        upper_bound=upper,
        proven_optimal=optimal,
        sites=tuple(sites),
        greedy=greedy,
        status=tuple(status),
        coverable_population=coverable,
        existing_population=inst.existing_population,
        total_population=inst.total_population,
        max_sites=int(max_sites),
        runtime_s=time.perf_counter() - t0,
        time_limit_hit=timed_out,
    )


def _consistent_bounds(
    best: FloatArray, upper: FloatArray, coverable: float
) -> tuple[FloatArray, BoolArray]:
    """Bounds no higher than any bound of a larger ``k`` (``OPT(k) <= OPT(j) <= bound(j)``),
    nor than everything coverable, nor below the plans; and which points they prove."""
    upper = np.maximum(np.minimum.accumulate(upper[::-1])[::-1], best)
    upper = np.minimum(upper, coverable)
    upper = np.maximum(upper, best)
    optimal = np.array(
        [_gap_max(u, b) <= OPTIMAL_REL_TOL for u, b in zip(upper, best, strict=True)],
        dtype=bool,
    )
    return upper, optimal


@dataclass(frozen=True, eq=False)
class CurvePoint:
    """One point of a curve solved again (:func:`solve_curve_points`).

    ``k``; ``newly_covered`` and ``sites`` (sorted candidate rows) of the plan found;
    ``upper_bound`` proven for any ``k``-site plan; ``status`` of the solve; whether the
    wall-clock safety net stopped it; its seconds.
    """

    k: int
    newly_covered: float
    upper_bound: float
    sites: IntArray
    status: str
    time_limit_hit: bool
    seconds: float


def solve_curve_points(
    coverage: SparseCoverage,
    population: ArrayLike,
    points: Sequence[int],
    *,
    already_covered: ArrayLike | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    mip_rel_gap: float = 1e-6,
    node_limit: int = DEFAULT_NODE_LIMIT,
    max_milp_pairs: int = REFINE_MILP_MAX_PAIRS,
) -> tuple[CurvePoint, ...]:
    """The best plan of each size in ``points``, solved exactly as :func:`coverage_curve`
    solves a point, but with HiGHS allowed models of up to ``max_milp_pairs`` coverage pairs
    (``node_limit`` still bounds each MILP's work). :func:`apply_curve_points` puts them on a
    curve; separate calls can run in parallel (a national run solves one point per task).

    Raises
    ------
    InputError
        If any input is malformed.
    """
    problems: list[str] = []
    inst = _instance.read_instance(coverage, population, already_covered, problems)
    problems += [
        gettext("{name}={value} must be a whole number >= 1").format(name="points", value=p)
        for p in points
        if not _instance.is_int(p) or int(p) < 1
    ][:10]
    _instance.check_solver_options(time_limit_s, mip_rel_gap, problems, node_limit=node_limit)
    _instance.raise_if("solve_curve_points", problems)
    assert inst is not None
    ks = sorted({int(p) for p in points})
    if not ks:
        return ()
    weights = inst.new_weights()
    none = np.zeros(0, dtype=np.intp)
    reduced = _reduce(inst.pattern, weights, exclude=none, dedupe_rows=True)
    deadline = time.perf_counter() + float(time_limit_s)
    solved = []
    for i, k in enumerate(ks):
        t0 = time.perf_counter()
        plan = _max_coverage_core(
            inst,
            k,
            forced=none,
            method="exact",
            time_limit_s=max((deadline - t0) / (len(ks) - i), 0.05),
            mip_rel_gap=mip_rel_gap,
            node_limit=node_limit,
            reduced=reduced,
            max_pairs=int(max_milp_pairs),
        )
        ordered, marginal = _rollout(inst.pattern, weights, plan.sites)
        solved.append(
            CurvePoint(
                k=k,
                newly_covered=float(marginal.sum()),
                upper_bound=float(plan.upper_bound),
                sites=np.sort(ordered[marginal > 0]).astype(np.intp),
                status=plan.status,
                time_limit_hit=bool(plan.time_limit_hit),
                seconds=time.perf_counter() - t0,
            )
        )
    return tuple(solved)


def apply_curve_points(
    coverage: SparseCoverage,
    population: ArrayLike,
    curve: CoverageCurve,
    solved: Sequence[CurvePoint],
    *,
    already_covered: ArrayLike | None = None,
) -> CoverageCurve:
    """``curve`` with the points of :func:`solve_curve_points` (of the same instance) on it.

    Each point keeps the better of its old and new plan and the lower of its old and new
    bound; the curve stays consistent: a plan for ``k`` is never worse than the plan for
    ``k - 1`` plus its best extra site, and bounds of smaller ``k`` follow a lowered bound.
    The result does not depend on the order of ``solved``.

    Raises
    ------
    InputError
        If any input is malformed or a point is not on the curve.
    """
    problems: list[str] = []
    inst = _instance.read_instance(coverage, population, already_covered, problems)
    problems += _off_curve([p.k for p in solved], curve)
    _instance.raise_if("apply_curve_points", problems)
    assert inst is not None
    if not solved:
        return curve
    weights = inst.new_weights()
    best, upper = curve.newly_covered.copy(), curve.upper_bound.copy()
    sites, status = list(curve.sites), list(curve.status)
    for p in sorted(solved, key=lambda p: (p.k, -p.newly_covered, p.upper_bound)):
        k = p.k
        upper[k] = min(upper[k], max(p.upper_bound, best[k]))
        if p.newly_covered > best[k]:
            best[k], sites[k] = p.newly_covered, p.sites
            status[k] = f"{p.status} (refined)"  # untranslated: solver status code
        else:
            status[k] = f"{p.status} (refined; earlier plan kept)"  # untranslated: status
    for k in range(1, curve.k_max + 1):  # a better plan for k - 1 carries over to k
        if best[k] < best[k - 1]:
            chosen, value = _extend(inst.pattern, weights, sites[k - 1])
            best[k], sites[k] = value, chosen.astype(np.intp)
            status[k] = f"{status[k]}; previous plan extended"  # untranslated: status code
    upper, optimal = _consistent_bounds(best, upper, curve.coverable_population)
    return replace(
        curve,
        newly_covered=best,
        upper_bound=upper,
        proven_optimal=optimal,
        sites=tuple(sites),
        status=tuple(status),
        runtime_s=curve.runtime_s + sum(p.seconds for p in solved),
        time_limit_hit=curve.time_limit_hit or any(p.time_limit_hit for p in solved),
    )


def _off_curve(points: Sequence[object], curve: CoverageCurve) -> list[str]:
    """The problem of ``points`` that are no ``k`` of ``curve`` (``1 .. K``), if any."""
    bad = [p for p in points if not _instance.is_int(p) or not 1 <= int(p) <= curve.k_max]
    if not bad:
        return []
    return [
        gettext("points {values} are not on the curve (k = 1 .. {k_max})").format(
            values=bad[:10], k_max=curve.k_max
        )
    ]


def _anchor_sizes(k_max: int) -> list[int]:
    """1, 2, 3, 4, then about 40 % apart, and ``k_max``: where the anchored first pass runs a
    Lagrangian of its own."""
    sizes = {k for k in (1, 2, 3, 4) if k <= k_max}
    k = 4.0
    while k < k_max:
        k *= CURVE_ANCHOR_RATIO
        sizes.add(min(k_max, round(k)))
    sizes.add(k_max)
    return sorted(sizes)


def _anchored_curve(
    inst: _instance.Instance,
    reduced: _Reduced,
    greedy_order: IntArray,
    k_max: int,
    *,
    deadline: float,
    mip_rel_gap: float,
) -> tuple[FloatArray, FloatArray, list[IntArray], list[str], bool]:
    """The first pass of a curve too big to solve point by point: plans and bounds for every
    ``k = 0 .. k_max`` from a few Lagrangian runs.

    Plans: the greedy plan of each size improved by swap local search. Bounds: a Lagrangian run
    at each anchor size (:func:`_anchor_sizes`, each warm-started from the previous one), and
    every multiplier vector tried on the way bounds *every* size at once
    (``_lagrangian(harvest=...)``), so each ``k`` gets the least bound any of them gives. Every
    step is counted (iterations, passes), so the pass is the same on any machine; the refining
    rounds of a national run then solve the points the allocation depends on exactly as a
    single run would. Returns the curve's values, bounds, sites (original rows), statuses and
    whether the wall-clock safety net stopped a step.
    """
    M, weights = reduced.matrix, reduced.weights
    pattern, new_weights = inst.pattern, inst.new_weights()
    best = np.zeros(k_max + 1)
    local: list[IntArray] = [np.zeros(0, dtype=np.intp)]
    found_obj = [0.0]
    for k in range(1, k_max + 1):
        start = np.asarray(greedy_order[:k], dtype=np.intp).copy()
        found, value = _local_search(M, weights, start)
        local.append(np.asarray(found, dtype=np.intp))
        found_obj.append(value)
    harvest = np.full(k_max + 1, np.inf)
    harvest[0] = 0.0
    warm: FloatArray | None = None
    timed_out = False
    for a in _anchor_sizes(k_max):
        objective = found_obj[a]
        lag = _lagrangian(
            M, weights, a, lower=objective, deadline=deadline, rel_gap=mip_rel_gap,
            start=warm, harvest=harvest,
        )  # fmt: skip
        warm, timed_out = lag.multipliers, timed_out or lag.timed_out
        tried, tried_obj = _local_search(M, weights, lag.sites)
        if tried_obj > objective:
            local[a] = np.asarray(tried, dtype=np.intp)
    upper = np.zeros(k_max + 1)
    sites: list[IntArray] = [np.zeros(0, dtype=np.intp)]
    status = ["no sites"]
    for k in range(1, k_max + 1):
        ordered, marginal = _rollout(pattern, new_weights, reduced.rows[local[k]])
        chosen, value = np.sort(ordered[marginal > 0]), float(marginal.sum())
        how = "local search; anchored Lagrangian bound"  # untranslated: solver status code
        if value < best[k - 1]:  # the plan of k - 1 and its best extra site are better
            chosen, value = _extend(pattern, new_weights, sites[k - 1])
            how = "previous plan extended; anchored Lagrangian bound"  # untranslated: status
        best[k], upper[k] = value, max(float(harvest[k]), value)
        if _gap_max(upper[k], value) <= OPTIMAL_REL_TOL:
            how = "optimal (anchored Lagrangian bound)"  # untranslated: solver status code
        sites.append(chosen.astype(np.intp))
        status.append(how)
    return best, upper, sites, status, timed_out


def refine_curve(
    coverage: SparseCoverage,
    population: ArrayLike,
    curve: CoverageCurve,
    points: Sequence[int],
    *,
    already_covered: ArrayLike | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    mip_rel_gap: float = 1e-6,
    node_limit: int = DEFAULT_NODE_LIMIT,
    max_milp_pairs: int = REFINE_MILP_MAX_PAIRS,
) -> CoverageCurve:
    """``curve`` with the plans of ``points`` (values of ``k``) solved again, exactly, with
    HiGHS allowed models of up to ``max_milp_pairs`` coverage pairs: :func:`solve_curve_points`
    then :func:`apply_curve_points`.

    :func:`coverage_curve` solves every ``k`` and gives the largest instances only their
    Lagrangian bound (``MILP_MAX_PAIRS``); a national run then proves the few points its
    allocation depends on (:func:`planner.allocation.refinement_points` says which).

    Raises
    ------
    InputError
        If any input is malformed or a point is not on the curve.
    """
    _instance.raise_if("refine_curve", _off_curve(points, curve))  # before any solve
    solved = solve_curve_points(
        coverage,
        population,
        points,
        already_covered=already_covered,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        node_limit=node_limit,
        max_milp_pairs=max_milp_pairs,
    )
    return apply_curve_points(coverage, population, curve, solved, already_covered=already_covered)


def _extend(pattern: sp.csr_array, weights: FloatArray, sites: IntArray) -> tuple[IntArray, float]:
    """``sites`` plus the one candidate adding the most (ties: lowest index), and its value."""
    covered = _covered_by(pattern, sites)
    gains = np.asarray(pattern @ np.where(covered, 0.0, weights), dtype=float)
    base = float(weights[covered].sum())
    best = int(np.argmax(gains))
    if gains[best] <= 0:
        return sites, base
    return np.unique(np.r_[sites, best]).astype(np.intp), base + float(gains[best])


def curve_plan(
    coverage: SparseCoverage,
    population: ArrayLike,
    curve: CoverageCurve,
    n_sites: int,
    *,
    already_covered: ArrayLike | None = None,
) -> SitingResult:
    """The :class:`SitingResult` of the curve's plan for ``n_sites`` (``min(n_sites, K)``), in
    rollout order, with the curve's proven bound."""
    t0 = time.perf_counter()
    problems: list[str] = []
    inst = _instance.read_instance(coverage, population, already_covered, problems)
    if not _instance.is_int(n_sites) or n_sites < 0:
        problems.append(
            gettext("{name}={value} must be a whole number >= 0").format(
                name="n_sites", value=repr(n_sites)
            )
        )
    _instance.raise_if("curve_plan", problems)
    assert inst is not None
    k = curve.at(int(n_sites))
    weights = inst.new_weights()
    ordered, marginal = _rollout(inst.pattern, weights, curve.sites[k])
    notes = []
    if ordered.size < n_sites:
        notes.append(_unused_note(int(ordered.size), int(n_sites)))
    return _siting_result(
        inst,
        ordered,
        marginal,
        upper_bound=float(curve.upper_bound[k]),
        greedy_population=float(curve.greedy[k]),
        n_sites=int(n_sites),
        method="exact",
        status=curve.status[k],
        t0=t0,
        walk_m=None,
        message="; ".join(notes),
        time_limit_hit=time_limit_hit(curve.status[k]),
    )


# --------------------------------------------------------------------------------------------
# Minimum number of stations
# --------------------------------------------------------------------------------------------


def minimize_sites(
    coverage: SparseCoverage,
    population: ArrayLike,
    *,
    target_share: float,
    already_covered: ArrayLike | None = None,
    method: Method = "exact",
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    mip_rel_gap: float = 1e-6,
    node_limit: int = DEFAULT_NODE_LIMIT,
) -> MinSitesResult:
    """Fewest new stations so that ``target_share`` of ALL residents is within walking distance.

    The share counts existing and new coverage together. If the candidates cannot reach the
    target, the result is not an error: ``target_reachable`` is False, ``best_achievable_share``
    is what all candidates together reach, and the plan is the smallest one found reaching it.

    Parameters
    ----------
    coverage, population, already_covered
        See :func:`maximize_coverage`.
    target_share
        Share of the total population to cover, in (0, 1].
    method, time_limit_s, mip_rel_gap
        See :func:`maximize_coverage`. Greedy stops as soon as the target is met.

    Returns
    -------
    MinSitesResult

    Raises
    ------
    InputError
        If any input is malformed; every problem is listed.
    """
    t0 = time.perf_counter()
    problems: list[str] = []
    inst = _instance.read_instance(coverage, population, already_covered, problems)
    if (
        not isinstance(target_share, int | float)
        or isinstance(target_share, bool)
        or not 0 < target_share <= 1
    ):
        problems.append(
            gettext(
                "{name}={value} must be in (0, 1], e.g. 0.9 for 90% (a share, not a percentage)"
            ).format(name="target_share", value=repr(target_share))
        )
    _instance.check_method(method, problems)
    _instance.check_solver_options(time_limit_s, mip_rel_gap, problems, node_limit=node_limit)
    _instance.raise_if("minimize_sites", problems)
    assert inst is not None

    total = inst.total_population
    existing = inst.existing_population
    weights = inst.new_weights()
    reduced = _reduce(inst.pattern, weights, exclude=np.zeros(0, dtype=np.intp), dedupe_rows=True)
    coverable = float(reduced.weights.sum())
    best_share = (existing + coverable) / total
    slack = _REL_EPS * 1e3 * total  # forgives rounding in "share >= target"
    required = float(target_share) * total - existing
    reachable = required <= coverable + slack
    notes: list[str] = []
    if not reachable:
        notes.append(
            gettext(
                "target {target} is unreachable with these candidates: building all of them "
                "covers {best}; the plan reaches that share"
            ).format(target=percent_text(float(target_share), 1), best=percent_text(best_share))
        )
    if reachable:
        goal = required - slack
    else:  # every coverable group: stay below the smallest group so none can be skipped
        smallest = float(reduced.weights.min()) if reduced.weights.size else 0.0
        goal = coverable - min(0.5 * smallest, slack)
    if goal <= 0:
        sites = np.zeros(0, dtype=np.intp)
        lower_bound = 0
        status = "optimal (nothing to add)"  # untranslated: solver status code
    else:
        run = _greedy(reduced.matrix, reduced.weights, max_rows=reduced.rows.size, target=goal)
        sites = reduced.rows[run.order]
        lower_bound = run.rows_lower_bound
        status = "greedy"
        if lower_bound >= sites.size:
            status = "optimal (greedy bound)" if method == "exact" else "greedy"
        elif method == "exact" and reachable:
            sites, lower_bound, status = _fewest_by_max_coverage(
                inst,
                reduced,
                goal,
                sites,
                lower_bound,
                deadline=t0 + time_limit_s,
                mip_rel_gap=mip_rel_gap,
                node_limit=node_limit,
            )
        elif method == "exact" and reduced.matrix.nnz > MILP_MAX_PAIRS:
            status = (  # untranslated: solver status, a code in summary.json
                f"greedy (MILP skipped: {reduced.matrix.nnz:,} pairs after reduction, "
                f"limit {MILP_MAX_PAIRS:,})"
            )
        elif method == "exact":
            sites, lower_bound, status = _fewest_by_milp(
                inst,
                reduced,
                goal,
                sites,
                lower_bound,
                reachable=reachable,
                slack=slack,
                time_limit_s=time_limit_s,
                mip_rel_gap=mip_rel_gap,
                node_limit=node_limit,
            )
        lower_bound = min(lower_bound, sites.size)
    if time_limit_hit(status):
        notes.append(
            ngettext(
                "time limit of {seconds} s reached; at least {n} sites are needed",
                "time limit of {seconds} s reached; at least {n} sites are needed",
                int(lower_bound),
            ).format(seconds=number_text(time_limit_s), n=lower_bound)
        )
    elif status == "node limit":
        notes.append(
            ngettext(
                "node limit of {nodes} reached; at least {n} sites are needed",
                "node limit of {nodes} reached; at least {n} sites are needed",
                int(lower_bound),
            ).format(nodes=count_text(node_limit), n=lower_bound)
        )
    # The fewest-sites search proves the NUMBER of sites, not that these sites cover the most
    # residents a plan of that size can: solve maximal coverage at that size, keep its plan when
    # it covers more (it still reaches the target) and report its proven bound.
    sites, coverage_bound, size_timed_out = _best_of_size(
        inst,
        reduced,
        sites,
        slack=slack,
        method=method,
        time_limit_s=max(t0 + time_limit_s - time.perf_counter(), _MIN_PROOF_S),
        mip_rel_gap=mip_rel_gap,
        node_limit=node_limit,
    )
    ordered, marginal = _rollout(inst.pattern, weights, sites)
    cumulative = np.cumsum(marginal)
    new_total = float(cumulative[-1]) if cumulative.size else 0.0
    n = int(ordered.size)
    coverage_gap = _gap_max(coverage_bound, new_total) if n else 0.0
    return MinSitesResult(
        sites=ordered,
        marginal_population=marginal,
        cumulative_population=cumulative,
        n_sites=n,
        lower_bound=int(lower_bound),
        gap=0.0 if n == 0 else (n - lower_bound) / n,
        proven_optimal=n == lower_bound,
        coverage_upper_bound=coverage_bound if n else 0.0,
        coverage_gap=coverage_gap,
        coverage_proven_optimal=coverage_gap <= OPTIMAL_REL_TOL,
        target_share=float(target_share),
        target_reachable=bool(reachable),
        best_achievable_share=best_share,
        newly_covered_population=new_total,
        existing_population=existing,
        covered_population=existing + new_total,
        total_population=total,
        covered_share=(existing + new_total) / total,
        method=method,
        solver_status=status,
        runtime_s=time.perf_counter() - t0,
        message="; ".join(notes),
        time_limit_hit=time_limit_hit(status) or size_timed_out,
    )


def _fewest_by_milp(
    inst: _instance.Instance,
    reduced: _Reduced,
    goal: float,
    sites: IntArray,
    lower_bound: int,
    *,
    reachable: bool,
    slack: float,
    time_limit_s: float,
    mip_rel_gap: float,
    node_limit: int,
) -> tuple[IntArray, int, str]:
    """HiGHS on the fewest sites newly covering ``goal`` residents (when the target is not
    ``reachable``: every coverable group); the greedy ``sites`` stay unless it finds fewer."""
    weights = inst.new_weights()
    out = _min_sites_milp(
        reduced,
        goal if reachable else None,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        node_limit=node_limit,
    )
    status = out.status
    if not math.isnan(out.dual_bound):
        lower_bound = max(lower_bound, math.ceil(out.dual_bound - 1e-6))
    if out.x is not None:
        milp_sites = reduced.rows[out.x[: reduced.rows.size] > 0.5]
        new = float(weights[_covered_by(inst.pattern, milp_sites)].sum())
        if new >= goal - slack and milp_sites.size < sites.size:
            sites = milp_sites
    if status.startswith("solver failed"):
        logger.warning(  # untranslated: log record for developers
            "minimize_sites: HiGHS %s; keeping the greedy plan", status
        )
    return sites, lower_bound, status


def _best_of_size(
    inst: _instance.Instance,
    reduced: _Reduced,
    sites: IntArray,
    *,
    slack: float,
    method: Method,
    time_limit_s: float,
    mip_rel_gap: float,
    node_limit: int,
) -> tuple[IntArray, float, bool]:
    """The most residents a plan of ``sites.size`` sites covers: its sites if better, and the
    proven bound (the fewest-sites search proves the number of sites, not the coverage), and
    whether the wall-clock safety net stopped that solve."""
    weights = inst.new_weights()
    n_found = int(sites.size)
    coverage_bound = float(weights[_covered_by(inst.pattern, sites)].sum()) if n_found else 0.0
    timed_out = False
    if n_found:
        best = _max_coverage_core(
            inst,
            n_found,
            forced=np.zeros(0, dtype=np.intp),
            method=method,
            time_limit_s=time_limit_s,
            mip_rel_gap=mip_rel_gap,
            node_limit=node_limit,
            reduced=reduced,
        )
        if best.objective > coverage_bound + slack:
            sites = np.asarray(best.sites, dtype=np.intp)
        coverage_bound = max(float(best.upper_bound), coverage_bound)
        timed_out = best.time_limit_hit
    return sites, coverage_bound, timed_out


def _fewest_by_max_coverage(
    inst: _instance.Instance,
    reduced: _Reduced,
    goal: float,
    sites: IntArray,
    lower_bound: int,
    *,
    deadline: float,
    mip_rel_gap: float,
    node_limit: int,
) -> tuple[IntArray, int, str]:
    """Fewest sites covering ``goal``, by exact maximal coverage for ``k = n - 1, n - 2, ...``.

    Starting from a plan of ``n`` sites (greedy's), solve the best ``k = n - 1`` site plan: if it
    still covers ``goal``, keep it and try one fewer; if its proven upper bound is below
    ``goal``, no ``k``-site plan can reach it and the current plan is optimal. Each step is the
    fast maximal-coverage solve (Lagrangian bound, LP, MILP), so this scales to city instances
    where a direct minimum-sites MILP is too big. Returns ``(sites, lower_bound, status)``.
    """
    none = np.zeros(0, dtype=np.intp)
    status = "greedy"
    k = int(sites.size) - 1
    while k >= max(lower_bound, 1):
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return sites, lower_bound, "time limit"
        plan = _max_coverage_core(
            inst,
            k,
            forced=none,
            method="exact",
            time_limit_s=remaining,
            mip_rel_gap=mip_rel_gap,
            node_limit=node_limit,
            reduced=reduced,
        )
        if plan.time_limit_hit:
            return sites, lower_bound, f"time limit at {k} sites"  # untranslated: status code
        if plan.objective >= goal:
            sites = np.asarray(plan.sites, dtype=np.intp)
            k = int(sites.size) - 1
            status = "optimal (max-coverage search)"
            continue
        if plan.upper_bound < goal:
            return sites, k + 1, "optimal (max-coverage search)"
        # untranslated: solver status, a code in summary.json
        return sites, lower_bound, f"undecided at {k} sites (max-coverage gap open)"
    return sites, max(lower_bound, int(sites.size)), status if sites.size else "optimal"


# --------------------------------------------------------------------------------------------
# Staged rollout
# --------------------------------------------------------------------------------------------


def rollout_order(
    coverage: SparseCoverage,
    population: ArrayLike,
    chosen: ArrayLike,
    *,
    already_covered: ArrayLike | None = None,
    prefix_gaps: bool = False,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    mip_rel_gap: float = 1e-6,
    node_limit: int = DEFAULT_NODE_LIMIT,
) -> RolloutResult:
    """Order a chosen set of sites for construction, largest marginal gain first.

    Parameters
    ----------
    coverage, population, already_covered
        See :func:`maximize_coverage`.
    chosen
        Candidate indices to rank (each at most once).
    prefix_gaps
        Also solve, for every prefix length ``m``, the best ``m``-site plan from all candidates
        (exact, within a shared time budget) and report how far the first ``m`` sites of this
        rollout are from it. An optimal ``k``-site plan does not contain optimal smaller plans,
        so an early stage can lag behind what ``m`` sites could do.
    time_limit_s, mip_rel_gap
        Time budget for all prefix solves together, shared out evenly; prefixes reached after
        it is spent get greedy's online bound (valid, weaker), so the gaps stay honest.

    Returns
    -------
    RolloutResult

    Raises
    ------
    InputError
        If any input is malformed; every problem is listed.
    """
    problems: list[str] = []
    inst = _instance.read_instance(coverage, population, already_covered, problems)
    n_candidates = None if inst is None else inst.n_candidates
    rows = _instance.read_rows("chosen", chosen, n_candidates, problems)
    if rows.size != np.unique(rows).size:
        problems.append(gettext("{name} lists a candidate more than once").format(name="chosen"))
    _instance.check_solver_options(time_limit_s, mip_rel_gap, problems, node_limit=node_limit)
    _instance.raise_if("rollout_order", problems)
    assert inst is not None

    weights = inst.new_weights()
    ordered, marginal = _rollout(inst.pattern, weights, rows)
    cumulative = np.cumsum(marginal)
    total = inst.total_population
    share = (inst.existing_population + cumulative) / total
    m = ordered.size
    best = np.full(m, np.nan)
    upper = np.full(m, np.nan)
    gap = np.full(m, np.nan)
    optimal = np.zeros(m, dtype=bool)
    timed_out = False
    best_sites: list[IntArray] = []
    if prefix_gaps and m:
        none = np.zeros(0, dtype=np.intp)
        reduced = _reduce(inst.pattern, weights, exclude=none, dedupe_rows=True)
        deadline = time.perf_counter() + float(time_limit_s)
        for size in range(1, m + 1):
            # the budget is shared: each prefix gets an equal part of what is left; once it is
            # spent, the greedy online bound (valid, but weaker) stands in for the exact one
            budget_s = (deadline - time.perf_counter()) / (m - size + 1)
            timed_out = timed_out or budget_s <= 0.05
            plan = _max_coverage_core(
                inst,
                size,
                forced=none,
                method="exact" if budget_s > 0.05 else "greedy",
                time_limit_s=max(budget_s, 0.05),
                mip_rel_gap=mip_rel_gap,
                node_limit=node_limit,
                reduced=reduced,
            )
            bound = max(plan.upper_bound, float(cumulative[size - 1]))
            # the rollout's own prefix is a plan of this size too: the best found is never less
            best[size - 1] = max(plan.objective, float(cumulative[size - 1]))
            found = ordered[:size] if plan.objective < float(cumulative[size - 1]) else plan.sites
            found_order, found_marginal = _rollout(inst.pattern, weights, found)
            best_sites.append(np.sort(found_order[found_marginal > 0]))  # as on a curve
            upper[size - 1] = bound
            gap[size - 1] = _gap_max(bound, float(cumulative[size - 1]))
            optimal[size - 1] = _gap_max(bound, float(best[size - 1])) <= OPTIMAL_REL_TOL
            timed_out = timed_out or plan.time_limit_hit
    return RolloutResult(
        sites=ordered,
        marginal_population=marginal,
        cumulative_population=cumulative,
        cumulative_share=share,
        best_population=best,
        upper_bound=upper,
        prefix_gap=gap,
        prefix_proven_optimal=optimal,
        time_limit_hit=timed_out,
        best_sites=tuple(best_sites),
    )


# --------------------------------------------------------------------------------------------
# Evaluating a proposed list
# --------------------------------------------------------------------------------------------


def evaluate_proposals(
    coverage: SparseCoverage,
    population: ArrayLike,
    proposal_rows: ArrayLike | Sequence[int],
    *,
    already_covered: ArrayLike | None = None,
    unreachable: ArrayLike | None = None,
    method: Method = "exact",
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    mip_rel_gap: float = 1e-6,
    node_limit: int = DEFAULT_NODE_LIMIT,
) -> ProposalEvaluation:
    """Check a proposed list of sites one by one and against the best plan of the same size.

    Parameters
    ----------
    coverage, population, already_covered
        See :func:`maximize_coverage`.
    proposal_rows
        Candidate indices of the proposals, in the proposer's order (repeats are flagged, not
        rejected).
    unreachable
        Optional boolean mask over the proposals decided by the caller (e.g. the site is off the
        walking network); it is only reported. Coverage always comes from the matrix.
    method, time_limit_s, mip_rel_gap
        For the best plan of the same size; see :func:`maximize_coverage`.

    Returns
    -------
    ProposalEvaluation

    Raises
    ------
    InputError
        If any input is malformed; every problem is listed.
    """
    problems: list[str] = []
    inst = _instance.read_instance(coverage, population, already_covered, problems)
    rows = _instance.read_rows(
        "proposal_rows", proposal_rows, None if inst is None else inst.n_candidates, problems
    )
    n_prop = int(np.asarray(proposal_rows).size)
    flags = np.zeros(rows.size, dtype=bool)
    if unreachable is not None:
        mask = np.asarray(unreachable)
        if mask.shape != (n_prop,) or mask.dtype.kind != "b":
            problems.append(
                gettext(
                    "{name} must be a boolean mask with one value per proposal ({n}), got shape "
                    "{shape} and dtype {dtype}"
                ).format(name="unreachable", n=n_prop, shape=mask.shape, dtype=mask.dtype)
            )
        else:
            flags = mask.copy()
    _instance.check_method(method, problems)
    _instance.check_solver_options(time_limit_s, mip_rel_gap, problems, node_limit=node_limit)
    _instance.raise_if("evaluate_proposals", problems)
    assert inst is not None

    weights = inst.new_weights()
    sub = sp.csr_array(inst.pattern[rows])
    n = rows.size
    row_of_entry = np.repeat(np.arange(n), np.diff(sub.indptr))
    entry_w = weights[sub.indices]
    alone = np.bincount(row_of_entry, weights=entry_w, minlength=n).astype(np.float64)
    multiplicity = np.bincount(sub.indices, minlength=inst.pattern.shape[1])
    unique_entry = multiplicity[sub.indices] == 1
    marginal = np.bincount(row_of_entry, weights=entry_w * unique_entry, minlength=n).astype(
        np.float64
    )
    covered_mask = _covered_by(inst.pattern, rows)
    list_population = float(weights[covered_mask].sum())

    run = _greedy(sub, weights, max_rows=n, keep_zero=True)
    rank = np.empty(n, dtype=np.intp)
    rank[run.order] = np.arange(1, n + 1)

    # subset relation on the newly covered points with population
    keep = (weights[sub.indices] > 0).astype(np.float64)
    new_sets = sp.csr_array((keep, sub.indices, sub.indptr), shape=sub.shape)
    new_sets.eliminate_zeros()
    shared = (new_sets @ new_sets.T).toarray()
    size = np.diag(shared).copy()
    pos = np.arange(n)
    contains = (shared == size[:, None]) & (size[:, None] > 0) & (pos[:, None] != pos[None, :])
    contains &= (size[None, :] > size[:, None]) | (pos[None, :] < pos[:, None])
    subset_of = np.full(n, -1, dtype=np.intp)
    if n:
        subset_of = np.where(contains.any(axis=1), contains.argmax(axis=1), -1).astype(np.intp)

    distinct = np.unique(rows)
    t0 = time.perf_counter()
    plan = _max_coverage_core(
        inst,
        int(distinct.size),
        forced=np.zeros(0, dtype=np.intp),
        method=method,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        node_limit=node_limit,
    )
    ordered, plan_marginal = _rollout(inst.pattern, weights, plan.sites)
    useful = plan_marginal > 0
    best = _siting_result(
        inst,
        ordered[useful],
        plan_marginal[useful],
        upper_bound=max(plan.upper_bound, list_population, plan.objective),
        greedy_population=plan.greedy_objective,
        n_sites=int(distinct.size),
        method=method,
        status=plan.status,
        t0=t0,
        walk_m=None,
        message="",
        time_limit_hit=plan.time_limit_hit,
    )
    return ProposalEvaluation(
        proposal_rows=rows,
        alone_population=alone,
        marginal_population=marginal,
        greedy_rank=rank,
        covers_nobody_new=alone == 0,
        redundant=(alone > 0) & (marginal == 0),
        subset_of=subset_of,
        unreachable=flags,
        list_population=list_population,
        best=best,
        gap=_gap_max(best.upper_bound, list_population),
        shortfall_population=best.newly_covered_population - list_population,
    )
