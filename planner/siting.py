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
incrementally, which costs ``O(nnz)`` over the whole run (see :func:`_greedy`). It always comes
with a valid *online* bound (Minoux 1978; Leskovec et al. 2007): for every greedy prefix ``S``,
``OPT_k <= f(S) + (sum of the k largest marginal gains with respect to S)``; the smallest of these
bounds is reported. It is much tighter in practice than the a-priori ``1 - 1/e`` factor.

``method="exact"`` solves a mixed-integer model with HiGHS (:func:`scipy.optimize.milp`) after
shrinking it: demand that is already covered, has no population or no candidate is dropped;
demand points covered by exactly the same candidates are merged (their populations added); and
candidates that cover nothing new, or exactly the same as a lower-numbered candidate, are dropped.
None of this changes the optimum. scipy's ``milp`` takes no starting solution, so greedy runs
first; if HiGHS stops at the time limit the better of the two plans is returned together with
the best proven bound (the smaller of the greedy bound and the HiGHS dual bound).

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
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from planner.errors import InputError

__all__ = [
    "MinSitesResult",
    "ProposalEvaluation",
    "RolloutResult",
    "SitingResult",
    "evaluate_proposals",
    "maximize_coverage",
    "minimize_sites",
    "rollout_order",
]

logger = logging.getLogger(__name__)

Method = Literal["exact", "greedy"]

#: A plan counts as proven optimal when its relative gap is at most this (HiGHS works to
#: feasibility tolerances of about 1e-6 too; populations are estimates far coarser than that).
OPTIMAL_REL_TOL = 1e-6
#: Population below this fraction of the total is treated as zero when comparing gains.
_REL_EPS = 1e-12
#: Largest model (stored coverage pairs after reduction) handed to HiGHS. Beyond this even the
#: root LP of a city-sized instance takes minutes and HiGHS' presolve does not honour the time
#: limit; such instances get the Lagrangian bound instead (see :func:`_lagrangian`).
MILP_MAX_PAIRS = 300_000
#: Subgradient iterations of the Lagrangian bound (each is one sparse matrix-vector product).
_LAGRANGE_ITERATIONS = 400

_FloatArray = NDArray[np.float64]
_IntArray = NDArray[np.intp]
_BoolArray = NDArray[np.bool_]


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
    """

    sites: _IntArray
    marginal_population: _FloatArray
    cumulative_population: _FloatArray
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
    target_share
        The share of the total population asked for.
    target_reachable
        False when even all candidates together cannot reach ``target_share``; the plan then
        reaches ``best_achievable_share`` instead and ``message`` says so.
    best_achievable_share
        Covered share with every candidate built (existing coverage included).
    newly_covered_population, existing_population, covered_population, total_population,
    covered_share, method, solver_status, runtime_s, message
        As in :class:`SitingResult`.
    """

    sites: _IntArray
    marginal_population: _FloatArray
    cumulative_population: _FloatArray
    n_sites: int
    lower_bound: int
    gap: float
    proven_optimal: bool
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
    """

    sites: _IntArray
    marginal_population: _FloatArray
    cumulative_population: _FloatArray
    cumulative_share: _FloatArray
    best_population: _FloatArray
    upper_bound: _FloatArray
    prefix_gap: _FloatArray
    prefix_proven_optimal: _BoolArray


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

    proposal_rows: _IntArray
    alone_population: _FloatArray
    marginal_population: _FloatArray
    greedy_rank: _IntArray
    covers_nobody_new: _BoolArray
    redundant: _BoolArray
    subset_of: _IntArray
    unreachable: _BoolArray
    list_population: float
    best: SitingResult
    gap: float
    shortfall_population: float


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Instance:
    """Validated inputs: the coverage pattern (all stored entries set to 1.0), weights, mask."""

    pattern: sp.csr_array
    population: _FloatArray
    already_covered: _BoolArray
    values_are_bool: bool

    @property
    def n_candidates(self) -> int:
        return int(self.pattern.shape[0])

    @property
    def total_population(self) -> float:
        return float(self.population.sum())

    @property
    def existing_population(self) -> float:
        return float(self.population[self.already_covered].sum())

    def new_weights(self, extra_covered: _BoolArray | None = None) -> _FloatArray:
        """Population that is not yet covered (by existing stations and ``extra_covered``)."""
        covered = (
            self.already_covered if extra_covered is None else self.already_covered | extra_covered
        )
        return np.where(covered, 0.0, self.population)


def _positions(mask: NDArray[np.bool_], limit: int = 5) -> str:
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in idx[:limit])
    return shown + (", ..." if idx.size > limit else "")


def _read_instance(
    coverage: Any, population: ArrayLike, already_covered: ArrayLike | None, problems: list[str]
) -> _Instance | None:
    """Check the shared inputs, appending every problem found; None if unusable."""
    matrix: sp.csr_array | None = None
    values_are_bool = True
    if not sp.issparse(coverage):
        problems.append(
            f"coverage is a {type(coverage).__name__}, not a scipy.sparse matrix; build it with "
            "scipy.sparse.csr_array((values, (candidate_rows, demand_cols)), shape=(n_candidates, "
            "n_demand)), one stored entry per candidate-building pair within the walking limit"
        )
    elif coverage.ndim != 2:
        problems.append(f"coverage has {coverage.ndim} dimensions; it must be 2-D")
    else:
        matrix = sp.csr_array(coverage)
        data = np.asarray(matrix.data)
        values_are_bool = data.dtype.kind == "b"
        if data.dtype.kind not in "biuf":
            problems.append(f"coverage values have dtype {data.dtype}; use booleans or metres")
        elif data.dtype.kind == "f":
            bad = ~np.isfinite(data) | (data < 0)
            if bad.any():
                problems.append(
                    f"coverage holds {int(bad.sum())} stored values that are NaN, infinite or "
                    "negative; stored values must be walking distances >= 0 (a pair that is not "
                    "covered must simply not be stored)"
                )
        elif data.dtype.kind == "i" and (data < 0).any():
            problems.append("coverage holds negative values; walking distances must be >= 0")

    n_demand = None if matrix is None else int(matrix.shape[1])
    weights: _FloatArray | None = None
    try:
        weights = np.asarray(population, dtype=np.float64)
    except (TypeError, ValueError):
        problems.append("population is not numeric; pass one number of residents per building")
    if weights is not None:
        if weights.ndim != 1:
            problems.append(f"population has shape {weights.shape}; it must be 1-D (n_demand,)")
            weights = None
        elif n_demand is not None and weights.size != n_demand:
            problems.append(
                f"population has {weights.size} values but coverage has {n_demand} demand "
                "columns; they must describe the same buildings in the same order"
            )
            weights = None
    if weights is not None:
        nan = np.isnan(weights)
        if nan.any():
            problems.append(
                f"population is NaN at {int(nan.sum())} buildings ({_positions(nan)}); "
                "fill missing populations (e.g. with 0) before siting"
            )
        inf = np.isinf(weights)
        if inf.any():
            problems.append(f"population is infinite at buildings {_positions(inf)}")
        neg = weights < 0
        if neg.any():
            problems.append(
                f"population is negative at {int(neg.sum())} buildings "
                f"({_positions(neg)}); populations must be >= 0"
            )
        if not (nan.any() or inf.any() or neg.any()) and weights.sum() <= 0:
            problems.append("population sums to 0; there is nobody to cover")

    covered: _BoolArray | None = None
    if already_covered is None:
        if n_demand is not None:
            covered = np.zeros(n_demand, dtype=bool)
    else:
        mask = np.asarray(already_covered)
        if mask.ndim != 1:
            problems.append(f"already_covered has shape {mask.shape}; it must be 1-D (n_demand,)")
        elif n_demand is not None and mask.size != n_demand:
            problems.append(
                f"already_covered has {mask.size} values but coverage has {n_demand} demand columns"
            )
        elif mask.dtype.kind == "b":
            covered = mask.astype(bool, copy=True)
        elif mask.dtype.kind in "iuf" and np.isin(mask, (0, 1)).all():
            covered = mask.astype(bool)
        else:
            problems.append(
                "already_covered must be a boolean mask (True = within walking "
                "distance of an existing station)"
            )

    if matrix is None or weights is None or covered is None or problems:
        return None
    pattern = sp.csr_array(
        (np.ones(matrix.nnz), matrix.indices.copy(), matrix.indptr.copy()), shape=matrix.shape
    )
    pattern.sum_duplicates()  # also sorts the indices
    pattern.data[:] = 1.0
    return _Instance(pattern, weights, covered, values_are_bool)


def _check_method(method: object, problems: list[str]) -> None:
    if method not in ("exact", "greedy"):
        problems.append(f"method={method!r} is not one of 'exact', 'greedy'")


def _check_solver_options(time_limit_s: object, mip_rel_gap: object, problems: list[str]) -> None:
    if (
        not isinstance(time_limit_s, int | float)
        or isinstance(time_limit_s, bool)
        or not time_limit_s > 0
    ):
        problems.append(f"time_limit_s={time_limit_s!r} must be a number of seconds > 0")
    if (
        not isinstance(mip_rel_gap, int | float)
        or isinstance(mip_rel_gap, bool)
        or not 0 <= mip_rel_gap < 1
    ):
        problems.append(f"mip_rel_gap={mip_rel_gap!r} must be in [0, 1), e.g. 0.01 for 1%")


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _read_rows(
    name: str, rows: ArrayLike | None, n_candidates: int | None, problems: list[str]
) -> _IntArray:
    """Candidate indices as an intp array; problems appended for bad values."""
    if rows is None:
        return np.zeros(0, dtype=np.intp)
    arr = np.asarray(rows)
    if arr.size == 0:
        return np.zeros(0, dtype=np.intp)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        problems.append(f"{name} must be a 1-D list of integer candidate indices (matrix rows)")
        return np.zeros(0, dtype=np.intp)
    if n_candidates is not None:
        bad = (arr < 0) | (arr >= n_candidates)
        if bad.any():
            problems.append(
                f"{name} holds indices outside 0..{n_candidates - 1} at positions "
                f"{_positions(bad)} (values {arr[bad][:5].tolist()}); they must be rows of the "
                "coverage matrix"
            )
            return np.zeros(0, dtype=np.intp)
    return arr.astype(np.intp)


def _raise_if(func: str, problems: list[str]) -> None:
    if problems:
        raise InputError(
            f"{func}: {len(problems)} problem(s) with the input",
            problems,
            "Each line names the argument and what it must be; fix them all and call again.",
        )


# --------------------------------------------------------------------------------------------
# Sparse helpers
# --------------------------------------------------------------------------------------------


def _ranges(starts: NDArray[np.integer], lengths: NDArray[np.integer]) -> NDArray[np.int64]:
    """Concatenation of ``arange(s, s + n)`` for each pair, without a Python loop."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(np.asarray(starts, dtype=np.int64), lengths) + np.arange(total) - offsets


def _group_identical_rows(M: sp.csr_array) -> tuple[_IntArray, _IntArray]:
    """Group rows of a canonical CSR matrix that have exactly the same column set.

    Returns ``(labels, first)``: ``labels[r]`` is the group of row ``r``; ``first[g]`` the lowest
    row of group ``g``; groups are numbered in order of their first row. Two random 64-bit sums
    per row find candidate groups in ``O(nnz)``; the groups are then verified exactly, with a
    slow exact fallback in the (astronomically unlikely) case of a hash collision.
    """
    n_rows = int(M.shape[0])
    if n_rows == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    indptr = M.indptr.astype(np.int64)
    lengths = np.diff(indptr)
    rng = np.random.default_rng(0x51_7E5)
    keys = np.empty((n_rows, 3), dtype=np.uint64)
    keys[:, 2] = lengths
    for c in range(2):
        salt = rng.integers(0, np.iinfo(np.uint64).max, size=M.shape[1], dtype=np.uint64)
        sums = np.zeros(M.indices.size + 1, dtype=np.uint64)
        np.cumsum(salt[M.indices], dtype=np.uint64, out=sums[1:])  # wraps modulo 2**64
        keys[:, c] = sums[indptr[1:]] - sums[indptr[:-1]]
    _, first_sorted, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first_sorted, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    labels = rank[inverse.reshape(-1)].astype(np.intp)
    first = first_sorted[order].astype(np.intp)
    rep = first[labels]
    mine = _ranges(indptr[:-1], lengths)
    theirs = _ranges(indptr[rep], lengths)
    if not np.array_equal(M.indices[mine], M.indices[theirs]):
        logger.debug("hash collision while grouping rows; using the exact fallback")
        return _group_identical_rows_slow(M)
    return labels, first


def _group_identical_rows_slow(M: sp.csr_array) -> tuple[_IntArray, _IntArray]:
    """Exact reference for :func:`_group_identical_rows` (a dict of index bytes)."""
    seen: dict[bytes, int] = {}
    labels = np.empty(M.shape[0], dtype=np.intp)
    first: list[int] = []
    for r in range(M.shape[0]):
        key = M.indices[M.indptr[r] : M.indptr[r + 1]].tobytes()
        if key not in seen:
            seen[key] = len(first)
            first.append(r)
        labels[r] = seen[key]
    return labels, np.asarray(first, dtype=np.intp)


def _covered_by(pattern: sp.csr_array, rows: _IntArray) -> _BoolArray:
    """Mask of demand points covered by any of ``rows``."""
    mask = np.zeros(pattern.shape[1], dtype=bool)
    if rows.size:
        starts = pattern.indptr[rows]
        mask[pattern.indices[_ranges(starts, pattern.indptr[rows + 1] - starts)]] = True
    return mask


@dataclass(frozen=True, eq=False)
class _Reduced:
    """A shrunk max-coverage instance: kept candidates x merged demand groups."""

    matrix: sp.csr_array
    weights: _FloatArray
    rows: _IntArray  # original candidate index of each kept row (ascending)


def _reduce(
    pattern: sp.csr_array, weights: _FloatArray, *, exclude: _IntArray, dedupe_rows: bool
) -> _Reduced:
    """Drop useless demand and candidates and merge identical demand columns (and candidates)."""
    col_count = np.bincount(pattern.indices, minlength=pattern.shape[1])
    active = np.flatnonzero((weights > 0) & (col_count > 0))
    sub = pattern[:, active]
    useful = np.diff(sub.indptr) > 0
    useful[exclude] = False
    rows = np.flatnonzero(useful).astype(np.intp)
    sub = sp.csr_array(sub[rows])
    by_demand = sp.csr_array(sub.T)
    by_demand.sort_indices()
    labels, first = _group_identical_rows(by_demand)
    group_weights = np.bincount(labels, weights=weights[active], minlength=first.size)
    matrix = sp.csr_array(by_demand[first].T)
    matrix.sort_indices()
    if dedupe_rows and matrix.shape[0] > 1:
        _, keep = _group_identical_rows(matrix)
        matrix = sp.csr_array(matrix[keep])
        rows = rows[keep]
        dominated = _dominated_rows(matrix)
        if dominated.any():
            keep = np.flatnonzero(~dominated)
            matrix = sp.csr_array(matrix[keep])
            rows = rows[keep]
            # dropping rows can make demand groups identical: merge them again
            by_group = sp.csr_array(matrix.T)
            by_group.sort_indices()
            labels, first = _group_identical_rows(by_group)
            group_weights = np.bincount(labels, weights=group_weights, minlength=first.size)
            matrix = sp.csr_array(by_group[first].T)
            matrix.sort_indices()
    return _Reduced(matrix, group_weights.astype(np.float64), rows)


#: Skip the dominance test when computing row overlaps would touch more pairs than this.
DOMINANCE_MAX_WORK = 50_000_000


def _dominated_rows(M: sp.csr_array) -> _BoolArray:
    """Rows whose column set lies inside another row's (rows must be distinct sets).

    A candidate covering a subset of what another covers is never needed: swapping it for the
    other never covers less (for maximal coverage and for minimum sites alike). Found from the
    row overlaps ``M @ M.T`` (``|S_i & S_j| == |S_i|``); skipped (nothing dropped) when that
    product would be too large, since it only speeds the solver up.
    """
    n_rows = int(M.shape[0])
    col_count = np.bincount(M.indices, minlength=M.shape[1]).astype(np.float64)
    if n_rows < 2 or float((col_count**2).sum()) > DOMINANCE_MAX_WORK:
        return np.zeros(n_rows, dtype=bool)
    ones = sp.csr_array((np.ones(M.nnz), M.indices, M.indptr), shape=M.shape)
    overlap = sp.coo_array(ones @ ones.T)
    size = np.diff(M.indptr)
    r, c, v = overlap.row, overlap.col, overlap.data
    inside = (r != c) & (np.rint(v).astype(np.int64) == size[r]) & (size[c] > size[r])
    dominated = np.zeros(n_rows, dtype=bool)
    dominated[r[inside]] = True
    return dominated


# --------------------------------------------------------------------------------------------
# Greedy
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _GreedyRun:
    order: _IntArray  # picked rows, in order
    marginal: _FloatArray
    upper_bound: float  # online bound on the best `bound_k`-row coverage (inf if not asked)
    rows_lower_bound: int  # lower bound on rows needed for `target` (0 if not asked)


def _greedy(
    M: sp.csr_array,
    weights: _FloatArray,
    *,
    max_rows: int,
    allowed: _BoolArray | None = None,
    bound_k: int | None = None,
    target: float | None = None,
    keep_zero: bool = False,
) -> _GreedyRun:
    """Greedy max coverage over the rows of ``M`` with column weights ``weights``.

    Instead of CELF's lazy re-evaluation, the exact gain of every row is kept up to date: when a
    pick newly covers columns ``J``, the gains of all rows covering ``J`` drop by their weights
    (one ``bincount`` over those columns' entries). Each column is covered once, so all updates
    together cost ``O(nnz)``, and the exact gains at every step give the online bounds for free.
    Ties (within ``1e-12`` of the total weight) go to the lowest row index.

    ``bound_k``: report ``min_i f(S_i) + top-k gains`` over all prefixes. ``target``: stop once
    coverage reaches it and report ``max_i min{m : top-m gains w.r.t. S_i >= target - f(S_i)}``,
    a lower bound on the rows any plan reaching ``target`` needs. ``keep_zero``: keep picking
    rows that add nothing (lowest index first) until ``max_rows``.
    """
    n_rows = int(M.shape[0])
    total = float(weights.sum())
    tol = _REL_EPS * max(total, 1.0)
    by_col = sp.csc_array(M)
    gains = np.asarray(M @ weights, dtype=np.float64)
    if allowed is not None:
        gains[~allowed] = -np.inf
    uncovered = np.ones(M.shape[1], dtype=bool)
    order: list[int] = []
    marginal: list[float] = []
    covered_sum = 0.0
    upper = math.inf
    rows_lb = 0

    def update_bounds() -> None:
        nonlocal upper, rows_lb
        positive = gains[gains > 0]
        if bound_k is not None:
            if bound_k == 0:
                top = 0.0
            elif positive.size > bound_k:
                top = float(np.partition(positive, positive.size - bound_k)[-bound_k:].sum())
            else:
                top = float(positive.sum())
            upper = min(upper, covered_sum + top, total)
        if target is not None:
            need = target - covered_sum
            if need > tol:
                cums = np.cumsum(np.sort(positive)[::-1])
                m = int(np.searchsorted(cums, need - tol)) + 1  # first m with cums[m-1] >= need
                rows_lb = max(rows_lb, m if m <= cums.size else n_rows + 1)

    update_bounds()
    while len(order) < max_rows and n_rows:
        if target is not None and covered_sum >= target:
            break
        best = float(gains.max())
        if best == -np.inf or (best <= tol and not keep_zero):
            break
        i = int(np.flatnonzero(gains >= best - tol)[0])
        cols = M.indices[M.indptr[i] : M.indptr[i + 1]]
        new = cols[uncovered[cols]]
        gain = float(weights[new].sum())
        uncovered[new] = False
        order.append(i)
        marginal.append(gain)
        covered_sum += gain
        gains[i] = -np.inf
        if new.size:
            starts = by_col.indptr[new]
            lengths = by_col.indptr[new + 1] - starts
            hit = by_col.indices[_ranges(starts, lengths)]
            gains -= np.bincount(hit, weights=np.repeat(weights[new], lengths), minlength=n_rows)
        update_bounds()
    return _GreedyRun(
        np.asarray(order, dtype=np.intp), np.asarray(marginal, dtype=np.float64), upper, rows_lb
    )


def _rollout(
    pattern: sp.csr_array, weights: _FloatArray, sites: _IntArray
) -> tuple[_IntArray, _FloatArray]:
    """Rank ``sites`` greedily (ties: lowest index); returns (ordered sites, marginal gains)."""
    sites = np.unique(sites)
    run = _greedy(sp.csr_array(pattern[sites]), weights, max_rows=sites.size, keep_zero=True)
    return sites[run.order], run.marginal


def _column_hits(
    by_col: sp.csc_array, cols: NDArray[np.integer], values: _FloatArray
) -> _FloatArray:
    """``M[:, cols] @ values`` for a CSC matrix, touching only those columns' entries."""
    starts = by_col.indptr[cols]
    lengths = by_col.indptr[cols + 1] - starts
    hit = by_col.indices[_ranges(starts, lengths)]
    out = np.bincount(hit, weights=np.repeat(values, lengths), minlength=by_col.shape[0])
    return out.astype(np.float64, copy=False)


def _row_entries(M: sp.csr_array, rows: _IntArray) -> NDArray[np.int32]:
    """Column indices of all entries of ``rows`` (with repeats across rows)."""
    starts = M.indptr[rows]
    return M.indices[_ranges(starts, M.indptr[rows + 1] - starts)]


def _local_search(
    M: sp.csr_array, weights: _FloatArray, sites: _IntArray, *, max_passes: int = 100
) -> tuple[_IntArray, float]:
    """Improve a plan by single swaps (Teitz-Bart interchange), first improvement.

    For each chosen row ``s`` the best replacement ``c`` gains ``gain(c | S) + w(U_s & C(c))``
    and loses ``w(U_s)``, where ``U_s`` are the columns only ``s`` covers; gains are kept up to
    date incrementally, so a pass costs about ``k`` column gathers, not ``k`` full products.
    Deterministic (lowest index among equal replacements).
    """
    n_rows, n_cols = M.shape
    sites = np.array(sites, dtype=np.intp)
    if sites.size == 0 or sites.size >= n_rows:
        return sites, float(weights[_covered_by(M, sites)].sum())
    by_col = sp.csc_array(M)
    count = np.bincount(_row_entries(M, sites), minlength=n_cols)
    gain_add = np.asarray(M @ np.where(count == 0, weights, 0.0), dtype=np.float64)
    tol = _REL_EPS * max(float(weights.sum()), 1.0) * 1e3
    chosen = np.zeros(n_rows, dtype=bool)
    chosen[sites] = True
    for _ in range(max_passes):
        improved = False
        for t in range(sites.size):
            s = sites[t]
            cols = M.indices[M.indptr[s] : M.indptr[s + 1]]
            only = cols[count[cols] == 1]
            swap_gain = gain_add + _column_hits(by_col, only, weights[only])
            swap_gain[chosen] = -np.inf
            c = int(np.argmax(swap_gain))
            if swap_gain[c] - float(weights[only].sum()) <= tol:
                continue
            count[cols] -= 1
            freed = cols[count[cols] == 0]
            gain_add += _column_hits(by_col, freed, weights[freed])
            new_cols = M.indices[M.indptr[c] : M.indptr[c + 1]]
            taken = new_cols[count[new_cols] == 0]
            gain_add -= _column_hits(by_col, taken, weights[taken])
            count[new_cols] += 1
            sites[t] = c
            chosen[s], chosen[c] = False, True
            improved = True
        if not improved:
            break
    return sites, float(weights[count > 0].sum())


@dataclass(frozen=True, eq=False)
class _Lagrange:
    bound: float  # valid upper bound on the best k-row coverage
    row_bounds: _FloatArray  # upper bound on any plan containing each row
    sites: _IntArray  # the k rows with the best scores under the best multipliers


def _lagrangian(
    M: sp.csr_array, weights: _FloatArray, k: int, *, lower: float, deadline: float, rel_gap: float
) -> _Lagrange:
    """Lagrangian bound of maximal coverage by subgradient optimisation.

    Relaxing ``y_j <= sum_{i covers j} x_i`` with multipliers ``0 <= lam_j <= w_j`` gives
    ``L(lam) = sum_j (w_j - lam_j) + (sum of the k largest scores s_i = sum_{j in C(i)} lam_j)``,
    an upper bound for every ``lam``; its minimum equals the LP bound. Each iteration is one
    sparse product, so it scales to matrices whose LP HiGHS cannot solve in minutes. For a row
    ``i`` outside the top k, ``L(lam) - s_(k) + s_i`` bounds every plan containing ``i``
    (Lagrangian variable fixing). Polyak steps towards ``lower`` (the best plan known), halving
    the step after 10 iterations without improvement.
    """
    n_rows = int(M.shape[0])
    lam = 0.5 * weights
    tiny = _REL_EPS * float(weights.max(initial=0.0))
    best = math.inf
    best_lam = lam
    step = 2.0
    stall = 0
    for _ in range(_LAGRANGE_ITERATIONS):
        scores = np.asarray(M @ lam, dtype=np.float64)
        top = np.argpartition(scores, n_rows - k)[n_rows - k :]
        value = float((weights - lam).sum() + scores[top].sum())
        if value < best * (1 - 1e-9):
            best, best_lam, stall = value, lam, 0
        else:
            stall += 1
            if stall >= 10:
                step, stall = step / 2, 0
        if step < 1e-4 or best - lower <= rel_gap * best or time.perf_counter() > deadline:
            break
        subgradient = np.bincount(_row_entries(M, top), minlength=M.shape[1]).astype(np.float64)
        subgradient -= lam < weights  # y_j = 1 where its reduced weight is positive
        norm = float(subgradient @ subgradient)
        if norm == 0:
            break
        lam = np.clip(lam - step * max(value - lower, 0.0) / norm * subgradient, 0.0, weights)
        lam[lam < tiny] = 0.0  # no denormals: they make every product many times slower
    scores = np.asarray(M @ best_lam, dtype=np.float64)
    order = np.argsort(-scores, kind="stable")
    base = float((weights - best_lam).sum())
    bound = base + float(scores[order[:k]].sum())
    row_bounds = np.full(n_rows, bound)
    outside = order[k:]
    row_bounds[outside] = bound - scores[order[k - 1]] + scores[outside]
    return _Lagrange(bound, row_bounds, np.sort(order[:k]).astype(np.intp))


# --------------------------------------------------------------------------------------------
# Mixed-integer models
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _MilpOutcome:
    x: _FloatArray | None
    dual_bound: float  # HiGHS' bound on the minimised objective (nan if none)
    status: str


def _run_milp(
    c: _FloatArray,
    A: sp.csr_array,
    lower: _FloatArray,
    upper: _FloatArray,
    *,
    integrality: NDArray[np.uint8],
    var_lower: _FloatArray,
    var_upper: _FloatArray,
    time_limit_s: float,
    mip_rel_gap: float,
) -> _MilpOutcome:
    res = milp(
        c,
        integrality=integrality,
        bounds=Bounds(var_lower, var_upper),
        constraints=LinearConstraint(A, lower, upper),
        # HiGHS' presolve finds almost nothing to remove in coverage models and took as long
        # as the solve itself on city instances (Almaty, 20 sites: 5 s of 13 s), so it is off
        options={
            "time_limit": float(time_limit_s),
            "mip_rel_gap": float(mip_rel_gap),
            "presolve": False,
        },
    )
    status = {0: "optimal", 1: "time limit", 2: "infeasible", 3: "unbounded"}.get(
        res.status, f"solver failed: {res.message}"
    )
    x = None if res.x is None else np.asarray(res.x, dtype=np.float64)
    bound = res.get("mip_dual_bound")
    dual = float(bound) if bound is not None and np.isfinite(bound) else math.nan
    if res.status == 0 and math.isnan(dual) and res.fun is not None:
        dual = float(res.fun)
    return _MilpOutcome(x, dual, status)


def _cover_links(M: sp.csr_array, n_extra: int = 0) -> sp.csr_array:
    """Rows ``y_j - sum_{i covers j} x_i <= 0`` over variables ``[x, y, extra]``."""
    n_g = int(M.shape[1])
    return sp.csr_array(
        sp.hstack(
            [-sp.csr_array(M.T), sp.eye_array(n_g, format="csr"), sp.csr_array((n_g, n_extra))],
            format="csr",
        )
    )


def _max_cover_lp(red: _Reduced, k: int, *, time_limit_s: float) -> _MilpOutcome:
    """The LP relaxation of :func:`_max_cover_milp`, by interior point with crossover.

    Coverage LPs of real cities are often integral at the optimum; then the LP alone proves the
    plan optimal. HiGHS' interior point solved them 2-3x faster than the simplex the MIP solver
    uses at its root (Almaty, 20 sites: 2.9 s against 7.0 s). Returns ``x`` only when integral;
    ``dual_bound`` is the LP optimum (a valid bound on the minimised objective) when solved.
    """
    n_c, n_g = red.matrix.shape
    A = sp.csr_array(
        sp.vstack(
            [_cover_links(red.matrix), sp.csr_array(np.r_[np.ones(n_c), np.zeros(n_g)][None, :])],
            format="csr",
        )
    )
    res = linprog(
        np.r_[np.zeros(n_c), -red.weights],
        A_ub=sp.csr_matrix(A),
        b_ub=np.r_[np.zeros(n_g), float(k)],
        bounds=np.c_[np.zeros(n_c + n_g), np.ones(n_c + n_g)],
        method="highs-ipm",
        options={"time_limit": float(time_limit_s)},
    )
    if res.status != 0 or res.x is None:
        return _MilpOutcome(None, math.nan, "LP not solved")
    x = np.asarray(res.x, dtype=np.float64)
    fractional = (x[:n_c] > 1e-7) & (x[:n_c] < 1 - 1e-7)
    integral = not fractional.any()
    return _MilpOutcome(
        x if integral else None, float(res.fun), "optimal (LP)" if integral else "LP fractional"
    )


def _max_cover_milp(
    red: _Reduced, k: int, *, time_limit_s: float, mip_rel_gap: float
) -> _MilpOutcome:
    """max sum w_j y_j  s.t.  y_j <= sum_{i covers j} x_i,  sum x <= k,  x binary, 0 <= y <= 1.

    For binary ``x`` the best ``y`` is integral, so ``y`` can stay continuous.
    """
    n_c, n_g = red.matrix.shape
    A = sp.csr_array(
        sp.vstack(
            [_cover_links(red.matrix), sp.csr_array(np.r_[np.ones(n_c), np.zeros(n_g)][None, :])],
            format="csr",
        )
    )
    lower = np.full(n_g + 1, -np.inf)
    upper = np.r_[np.zeros(n_g), float(k)]
    return _run_milp(
        np.r_[np.zeros(n_c), -red.weights],
        A,
        lower,
        upper,
        integrality=np.r_[np.ones(n_c), np.zeros(n_g)].astype(np.uint8),
        var_lower=np.zeros(n_c + n_g),
        var_upper=np.ones(n_c + n_g),
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
    )


def _min_sites_milp(
    red: _Reduced, required: float | None, *, time_limit_s: float, mip_rel_gap: float
) -> _MilpOutcome:
    """min sum x  s.t.  sum w_j y_j >= required,  y_j <= sum_{i covers j} x_i.

    ``required=None`` asks to cover every group (set cover: ``y`` fixed to 1).
    """
    n_c, n_g = red.matrix.shape
    rows = [_cover_links(red.matrix)]
    lower = [np.full(n_g, -np.inf)]
    upper = [np.zeros(n_g)]
    if required is not None:
        rows.append(sp.csr_array(np.r_[np.zeros(n_c), red.weights][None, :]))
        lower.append(np.array([required]))
        upper.append(np.array([np.inf]))
    y_lower = np.ones(n_g) if required is None else np.zeros(n_g)
    return _run_milp(
        np.r_[np.ones(n_c), np.zeros(n_g)],
        sp.csr_array(sp.vstack(rows, format="csr")),
        np.concatenate(lower),
        np.concatenate(upper),
        integrality=np.r_[np.ones(n_c), np.zeros(n_g)].astype(np.uint8),
        var_lower=np.r_[np.zeros(n_c), y_lower],
        var_upper=np.ones(n_c + n_g),
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
    )


# --------------------------------------------------------------------------------------------
# Walking distances for the tie-break
# --------------------------------------------------------------------------------------------


def _distance_matrix(coverage: Any) -> sp.csr_array:
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
    dist: sp.csr_array, inst: _Instance, existing_m: _FloatArray, sites: _IntArray
) -> float:
    """Sum of population x distance to the nearest new or existing station, covered people."""
    best = np.where(inst.already_covered, existing_m, np.inf)
    if sites.size:
        sub = sp.coo_array(dist[np.unique(sites)])
        np.minimum.at(best, sub.coords[1], sub.data)
    reach = np.isfinite(best)
    return float(inst.population[reach] @ best[reach])


def _tiebreak_milp(
    dist: sp.csr_array,
    inst: _Instance,
    existing_m: _FloatArray,
    *,
    n_sites: int,
    forced: _IntArray,
    min_new: float,
    time_limit_s: float,
    mip_rel_gap: float,
) -> tuple[_IntArray | None, str]:
    """Second lexicographic stage: least population-weighted walk with coverage >= ``min_new``.

    Variables: ``x_i`` (site built), ``z_ij`` (demand ``j`` walks to site ``i``) for stored pairs
    only, ``s_j`` (demand ``j`` walks to its existing station, or is uncovered if it has none).
    Pairs that cannot shorten an existing walk are left out. The model has one variable and one
    linking row per remaining pair, so it grows with the number of stored pairs.
    """
    w = inst.population
    old = inst.already_covered
    col_count = np.bincount(dist.indices, minlength=dist.shape[1])
    demand = np.flatnonzero((w > 0) & (col_count > 0))
    coo = sp.coo_array(dist[:, demand])
    pr, pj = coo.coords
    pd = np.asarray(coo.data, dtype=np.float64)
    j_global = demand[pj]
    keep = ~old[j_global] | (pd < existing_m[j_global])
    pr, pj, pd, j_global = pr[keep], pj[keep], pd[keep], j_global[keep]
    # demand without any useful pair contributes a constant: drop it
    used_j, pj = np.unique(pj, return_inverse=True)
    j_global = demand[used_j]
    cand, pi = np.unique(np.r_[pr, forced], return_inverse=True)
    pi = pi[: pr.size]
    n_x, n_p, n_j = cand.size, pr.size, used_j.size
    if n_p == 0:
        return None, "nothing to break ties on"
    n_var = n_x + n_p + n_j
    old_j = old[j_global]
    cost = np.r_[
        np.zeros(n_x),
        w[j_global][pj] * pd,
        np.where(old_j, w[j_global] * existing_m[j_global], 0.0),
    ]
    p_idx = np.arange(n_p)
    assign = sp.csr_array(
        (
            np.ones(n_p + n_j),
            (np.r_[pj, np.arange(n_j)], np.r_[n_x + p_idx, n_x + n_p + np.arange(n_j)]),
        ),
        shape=(n_j, n_var),
    )
    link = sp.csr_array(
        (np.r_[np.ones(n_p), -np.ones(n_p)], (np.r_[p_idx, p_idx], np.r_[n_x + p_idx, pi])),
        shape=(n_p, n_var),
    )
    new_pair = ~old_j[pj]
    cover_row = sp.csr_array(
        (
            w[j_global][pj][new_pair],
            (np.zeros(int(new_pair.sum()), dtype=np.int64), n_x + p_idx[new_pair]),
        ),
        shape=(1, n_var),
    )
    budget = sp.csr_array(
        (np.ones(n_x), (np.zeros(n_x, dtype=np.int64), np.arange(n_x))), shape=(1, n_var)
    )
    A = sp.csr_array(sp.vstack([assign, link, cover_row, budget], format="csr"))
    lower = np.r_[np.ones(n_j), np.full(n_p, -np.inf), min_new, -np.inf]
    upper = np.r_[np.ones(n_j), np.zeros(n_p), np.inf, float(n_sites)]
    var_lower = np.zeros(n_var)
    var_lower[np.searchsorted(cand, forced)] = 1.0
    out = _run_milp(
        cost,
        A,
        lower,
        upper,
        integrality=np.r_[np.ones(n_x), np.zeros(n_p + n_j)].astype(np.uint8),
        var_lower=var_lower,
        var_upper=np.ones(n_var),
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
    )
    if out.x is None:
        return None, out.status
    return cand[out.x[:n_x] > 0.5].astype(np.intp), out.status


# --------------------------------------------------------------------------------------------
# Maximal coverage
# --------------------------------------------------------------------------------------------


def _gap_max(bound: float, objective: float) -> float:
    return 0.0 if bound <= 0 else max(0.0, (bound - objective) / bound)


@dataclass(frozen=True, eq=False)
class _MaxCover:
    sites: _IntArray  # unordered
    objective: float
    upper_bound: float
    greedy_objective: float
    status: str


def _max_coverage_core(
    inst: _Instance,
    k: int,
    *,
    forced: _IntArray,
    method: str,
    time_limit_s: float,
    mip_rel_gap: float,
    dedupe_rows: bool = True,
    reduced: _Reduced | None = None,
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
    deadline = time.perf_counter() + time_limit_s
    if _gap_max(upper, objective) <= OPTIMAL_REL_TOL:
        status = "optimal (greedy bound)" if method == "exact" else "greedy"
    elif method == "exact":
        picked, objective, upper, status = _exact_max_cover(
            reduced,
            k_free,
            picked,
            objective - forced_gain,
            upper - forced_gain,
            deadline=deadline,
            mip_rel_gap=mip_rel_gap,
        )
        objective += forced_gain
        upper += forced_gain
    sites = np.r_[forced, picked].astype(np.intp)
    upper = max(upper, objective)
    return _MaxCover(sites, objective, upper, greedy_obj, status)


def _exact_max_cover(
    red: _Reduced,
    k: int,
    picked: _IntArray,
    objective: float,
    upper: float,
    *,
    deadline: float,
    mip_rel_gap: float,
) -> tuple[_IntArray, float, float, str]:
    """Greedy plan in, best plan and bound out (all in original row numbers, reduced objective).

    Steps, each only while the gap is open: swap local search; Lagrangian bound, whose
    multipliers also exclude rows that cannot be in any plan better than the incumbent; HiGHS on
    what remains if it is small enough (``MILP_MAX_PAIRS``).
    """
    M, weights = red.matrix, red.weights
    local = np.searchsorted(red.rows, picked)

    def closed() -> bool:
        return _gap_max(upper, objective) <= max(mip_rel_gap, OPTIMAL_REL_TOL)

    local, objective = _local_search(M, weights, local)
    status = "local search"
    if not closed():
        lag = _lagrangian(M, weights, k, lower=objective, deadline=deadline, rel_gap=mip_rel_gap)
        upper = min(upper, lag.bound)
        tried, tried_obj = _local_search(M, weights, lag.sites)
        if tried_obj > objective:
            local, objective = tried, tried_obj
        status = "Lagrangian bound"
        keep = lag.row_bounds >= objective * (1 - 1e-9)
        keep[local] = True
        fixed_bound = float(lag.row_bounds[~keep].max()) if (~keep).any() else 0.0
        rows = np.flatnonzero(keep)
        if closed():
            status = (
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
            if sub.matrix.nnz > MILP_MAX_PAIRS:
                status = (
                    f"Lagrangian bound (MILP skipped: {sub.matrix.nnz:,} pairs left after "
                    f"reduction, limit {MILP_MAX_PAIRS:,})"
                )
            elif remaining <= 0:
                status = "time limit"
            else:
                out = _max_cover_lp(sub, k, time_limit_s=remaining)
                if out.x is None:
                    if not math.isnan(out.dual_bound):
                        upper = min(upper, max(-out.dual_bound, fixed_bound))
                    remaining = deadline - time.perf_counter()
                    if remaining > 0 and not closed():
                        out = _max_cover_milp(
                            sub, k, time_limit_s=remaining, mip_rel_gap=mip_rel_gap
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
                    logger.warning(
                        "maximize_coverage: HiGHS %s; keeping the heuristic plan", status
                    )
    elif objective > 0:
        status = "optimal (local search)"
    return red.rows[np.sort(local)], objective, max(upper, objective), status


def maximize_coverage(
    coverage: Any,
    population: ArrayLike,
    *,
    n_sites: int,
    already_covered: ArrayLike | None = None,
    method: Method = "exact",
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 1e-6,
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
        Time limit of each HiGHS solve. On hitting it the best plan found is returned with its
        proven gap.
    mip_rel_gap
        HiGHS stops once its relative gap is at most this.
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
    inst = _read_instance(coverage, population, already_covered, problems)
    n_cand = None if inst is None else inst.n_candidates
    if not _is_int(n_sites) or n_sites < 0:
        problems.append(f"n_sites={n_sites!r} must be a whole number >= 0")
    _check_method(method, problems)
    _check_solver_options(time_limit_s, mip_rel_gap, problems)
    forced_rows = _read_rows("forced", forced, n_cand, problems)
    if forced_rows.size != np.unique(forced_rows).size:
        problems.append("forced lists a candidate more than once")
    if _is_int(n_sites) and forced_rows.size > n_sites:
        problems.append(f"forced has {forced_rows.size} sites but n_sites={n_sites}; raise n_sites")
    existing_m = np.zeros(0)
    if distance_tiebreak:
        if method != "exact":
            problems.append("distance_tiebreak=True needs method='exact'")
        if inst is not None and inst.values_are_bool:
            problems.append(
                "distance_tiebreak=True needs walking distances in metres as the "
                "coverage values, but the matrix holds booleans"
            )
        existing_m = _read_existing_distance(existing_distance_m, inst, problems)
    _raise_if("maximize_coverage", problems)
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
            inst,
            existing_m,
            n_sites=n_sites,
            forced=forced_rows,
            min_new=objective - slack,
            time_limit_s=time_limit_s,
            mip_rel_gap=mip_rel_gap,
        )
        if candidate is not None:
            new_obj = float(weights[_covered_by(inst.pattern, candidate)].sum())
            new_walk = _population_walk_m(dist, inst, existing_m, candidate)
            if new_obj >= objective - slack and new_walk < walk_m:
                sites, objective, walk_m = candidate, new_obj, new_walk
        status = f"{status}; tie-break: {tb_status}"

    ordered, marginal = _rollout(inst.pattern, weights, sites)
    keep = (marginal > 0) | np.isin(ordered, forced_rows)
    if distance_tiebreak:
        keep[:] = True  # a site covering nobody new may still shorten walks
    ordered, marginal = ordered[keep], marginal[keep]
    notes = []
    if ordered.size < n_sites:
        notes.append(
            f"{ordered.size} of {n_sites} sites used: no other candidate covers anybody new"
        )
    if status.startswith("time limit"):
        notes.append(
            f"time limit of {time_limit_s:g} s reached; the plan is within "
            f"{100 * _gap_max(best.upper_bound, objective):.2f}% of the optimum"
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
    )


def _read_existing_distance(
    values: ArrayLike | None, inst: _Instance | None, problems: list[str]
) -> _FloatArray:
    if inst is None:
        return np.zeros(0)
    n_demand = inst.population.size
    if values is None:
        if inst.already_covered.any():
            problems.append(
                "distance_tiebreak=True with existing coverage needs "
                "existing_distance_m (walking metres to the nearest existing station)"
            )
        return np.full(n_demand, np.inf)
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (n_demand,):
        problems.append(f"existing_distance_m has shape {arr.shape}; expected ({n_demand},)")
        return np.full(n_demand, np.inf)
    bad = np.isnan(arr) | (arr < 0)
    if bad.any():
        problems.append(f"existing_distance_m is NaN or negative at {_positions(bad)}")
    missing = inst.already_covered & np.isinf(arr)
    if missing.any():
        problems.append(
            f"demand {_positions(missing)} is already_covered but its "
            "existing_distance_m is inf; give the walking distance to that station"
        )
    return arr


def _siting_result(
    inst: _Instance,
    sites: _IntArray,
    marginal: _FloatArray,
    *,
    upper_bound: float,
    greedy_population: float,
    n_sites: int,
    method: str,
    status: str,
    t0: float,
    walk_m: float | None,
    message: str,
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
    )


# --------------------------------------------------------------------------------------------
# Minimum number of stations
# --------------------------------------------------------------------------------------------


def minimize_sites(
    coverage: Any,
    population: ArrayLike,
    *,
    target_share: float,
    already_covered: ArrayLike | None = None,
    method: Method = "exact",
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 1e-6,
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
    inst = _read_instance(coverage, population, already_covered, problems)
    if (
        not isinstance(target_share, int | float)
        or isinstance(target_share, bool)
        or not 0 < target_share <= 1
    ):
        problems.append(
            f"target_share={target_share!r} must be in (0, 1], e.g. 0.9 for 90% "
            "(a share, not a percentage)"
        )
    _check_method(method, problems)
    _check_solver_options(time_limit_s, mip_rel_gap, problems)
    _raise_if("minimize_sites", problems)
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
            f"target {100 * target_share:.1f}% is unreachable with these candidates: building "
            f"all of them covers {100 * best_share:.2f}%; the plan reaches that share"
        )
    if reachable:
        goal = required - slack
    else:  # every coverable group: stay below the smallest group so none can be skipped
        smallest = float(reduced.weights.min()) if reduced.weights.size else 0.0
        goal = coverable - min(0.5 * smallest, slack)
    if goal <= 0:
        sites = np.zeros(0, dtype=np.intp)
        lower_bound = 0
        status = "optimal (nothing to add)"
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
            )
        elif method == "exact" and reduced.matrix.nnz > MILP_MAX_PAIRS:
            status = (
                f"greedy (MILP skipped: {reduced.matrix.nnz:,} pairs after reduction, "
                f"limit {MILP_MAX_PAIRS:,})"
            )
        elif method == "exact":
            out = _min_sites_milp(
                reduced,
                goal if reachable else None,
                time_limit_s=time_limit_s,
                mip_rel_gap=mip_rel_gap,
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
                logger.warning("minimize_sites: HiGHS %s; keeping the greedy plan", status)
        lower_bound = min(lower_bound, sites.size)
    if status == "time limit":
        notes.append(
            f"time limit of {time_limit_s:g} s reached; at least {lower_bound} sites are needed"
        )
    ordered, marginal = _rollout(inst.pattern, weights, sites)
    cumulative = np.cumsum(marginal)
    new_total = float(cumulative[-1]) if cumulative.size else 0.0
    n = int(ordered.size)
    return MinSitesResult(
        sites=ordered,
        marginal_population=marginal,
        cumulative_population=cumulative,
        n_sites=n,
        lower_bound=int(lower_bound),
        gap=0.0 if n == 0 else (n - lower_bound) / n,
        proven_optimal=n == lower_bound,
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
    )


def _fewest_by_max_coverage(
    inst: _Instance,
    reduced: _Reduced,
    goal: float,
    sites: _IntArray,
    lower_bound: int,
    *,
    deadline: float,
    mip_rel_gap: float,
) -> tuple[_IntArray, int, str]:
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
            reduced=reduced,
        )
        if plan.objective >= goal:
            sites = np.asarray(plan.sites, dtype=np.intp)
            k = int(sites.size) - 1
            status = "optimal (max-coverage search)"
            continue
        if plan.upper_bound < goal:
            return sites, k + 1, "optimal (max-coverage search)"
        return sites, lower_bound, f"undecided at {k} sites (max-coverage gap open)"
    return sites, max(lower_bound, int(sites.size)), status if sites.size else "optimal"


# --------------------------------------------------------------------------------------------
# Staged rollout
# --------------------------------------------------------------------------------------------


def rollout_order(
    coverage: Any,
    population: ArrayLike,
    chosen: ArrayLike,
    *,
    already_covered: ArrayLike | None = None,
    prefix_gaps: bool = False,
    time_limit_s: float = 10.0,
    mip_rel_gap: float = 1e-6,
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
    inst = _read_instance(coverage, population, already_covered, problems)
    rows = _read_rows("chosen", chosen, None if inst is None else inst.n_candidates, problems)
    if rows.size != np.unique(rows).size:
        problems.append("chosen lists a candidate more than once")
    _check_solver_options(time_limit_s, mip_rel_gap, problems)
    _raise_if("rollout_order", problems)
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
    if prefix_gaps and m:
        none = np.zeros(0, dtype=np.intp)
        reduced = _reduce(inst.pattern, weights, exclude=none, dedupe_rows=True)
        deadline = time.perf_counter() + float(time_limit_s)
        for size in range(1, m + 1):
            # the budget is shared: each prefix gets an equal part of what is left; once it is
            # spent, the greedy online bound (valid, but weaker) stands in for the exact one
            budget_s = (deadline - time.perf_counter()) / (m - size + 1)
            plan = _max_coverage_core(
                inst,
                size,
                forced=none,
                method="exact" if budget_s > 0.05 else "greedy",
                time_limit_s=max(budget_s, 0.05),
                mip_rel_gap=mip_rel_gap,
                reduced=reduced,
            )
            bound = max(plan.upper_bound, float(cumulative[size - 1]))
            # the rollout's own prefix is a plan of this size too: the best found is never less
            best[size - 1] = max(plan.objective, float(cumulative[size - 1]))
            upper[size - 1] = bound
            gap[size - 1] = _gap_max(bound, float(cumulative[size - 1]))
            optimal[size - 1] = _gap_max(bound, float(best[size - 1])) <= OPTIMAL_REL_TOL
    return RolloutResult(
        sites=ordered,
        marginal_population=marginal,
        cumulative_population=cumulative,
        cumulative_share=share,
        best_population=best,
        upper_bound=upper,
        prefix_gap=gap,
        prefix_proven_optimal=optimal,
    )


# --------------------------------------------------------------------------------------------
# Evaluating a proposed list
# --------------------------------------------------------------------------------------------


def evaluate_proposals(
    coverage: Any,
    population: ArrayLike,
    proposal_rows: ArrayLike | Sequence[int],
    *,
    already_covered: ArrayLike | None = None,
    unreachable: ArrayLike | None = None,
    method: Method = "exact",
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 1e-6,
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
    inst = _read_instance(coverage, population, already_covered, problems)
    rows = _read_rows(
        "proposal_rows", proposal_rows, None if inst is None else inst.n_candidates, problems
    )
    n_prop = int(np.asarray(proposal_rows).size)
    flags = np.zeros(rows.size, dtype=bool)
    if unreachable is not None:
        mask = np.asarray(unreachable)
        if mask.shape != (n_prop,) or mask.dtype.kind != "b":
            problems.append(
                f"unreachable must be a boolean mask with one value per proposal "
                f"({n_prop}), got shape {mask.shape} and dtype {mask.dtype}"
            )
        else:
            flags = mask.copy()
    _check_method(method, problems)
    _check_solver_options(time_limit_s, mip_rel_gap, problems)
    _raise_if("evaluate_proposals", problems)
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
