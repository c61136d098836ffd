"""The numeric machinery of siting: model reduction, greedy, local search, bounds, LP/MILP.

Arrays and ``scipy.sparse`` in, arrays out; no geometry and no validation (the public functions
of :mod:`planner.siting` check their inputs and compose these pieces). A coverage pattern is a
CSR matrix of candidates x demand groups whose stored entries (values ignored) mean "covers".
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from planner._types import BoolArray, FloatArray, IntArray
from planner.i18n import gettext

logger = logging.getLogger("planner.siting")

#: Population below this fraction of the total is treated as zero when comparing gains.
#: A plan counts as proven optimal when its relative gap is at most this (HiGHS works to
#: feasibility tolerances of about 1e-6 too; populations are estimates far coarser than that).
OPTIMAL_REL_TOL = 1e-6
_REL_EPS = 1e-12
#: Subgradient iterations of the Lagrangian bound (each is one sparse matrix-vector product).
_LAGRANGE_ITERATIONS = 400



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


#: Rows are hashed and checked in blocks of about this many entries: the temporary arrays of a
#: big city's matrix (25 M pairs) stay tens of MB instead of a GB.
ROW_BLOCK_PAIRS = 2_000_000


def _row_blocks(indptr: NDArray[np.int64]) -> list[tuple[int, int]]:
    """Consecutive row ranges ``[a, b)`` of about :data:`ROW_BLOCK_PAIRS` entries each."""
    n_rows, nnz = indptr.size - 1, int(indptr[-1])
    cuts = np.searchsorted(indptr, np.arange(ROW_BLOCK_PAIRS, nnz, ROW_BLOCK_PAIRS))
    edges = np.unique(np.r_[0, np.clip(cuts, 0, n_rows), n_rows]).tolist()
    return list(itertools.pairwise(edges))


def _group_identical_rows(M: sp.csr_array) -> tuple[IntArray, IntArray]:
    """Group rows of a canonical CSR matrix that have exactly the same column set.

    Returns ``(labels, first)``: ``labels[r]`` is the group of row ``r``; ``first[g]`` the lowest
    row of group ``g``; groups are numbered in order of their first row. Two random 64-bit sums
    per row find candidate groups in ``O(nnz)``; the groups are then verified exactly, with a
    slow exact fallback in the (astronomically unlikely) case of a hash collision. Both passes
    go through the rows in blocks (:data:`ROW_BLOCK_PAIRS`), so their temporaries stay small.
    """
    n_rows = int(M.shape[0])
    if n_rows == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    indptr = M.indptr.astype(np.int64)
    lengths = np.diff(indptr)
    blocks = _row_blocks(indptr)
    rng = np.random.default_rng(0x51_7E5)
    keys = np.empty((n_rows, 3), dtype=np.uint64)
    keys[:, 2] = lengths
    for c in range(2):
        salt = rng.integers(0, np.iinfo(np.uint64).max, size=M.shape[1], dtype=np.uint64)
        for a, b in blocks:
            lo = indptr[a]
            sums = np.zeros(int(indptr[b] - lo) + 1, dtype=np.uint64)
            np.cumsum(salt[M.indices[lo : indptr[b]]], dtype=np.uint64, out=sums[1:])  # mod 2**64
            keys[a:b, c] = sums[indptr[a + 1 : b + 1] - lo] - sums[indptr[a:b] - lo]
    _, first_sorted, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    del keys
    order = np.argsort(first_sorted, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    labels = rank[inverse.reshape(-1)].astype(np.intp)
    first = first_sorted[order].astype(np.intp)
    rep = first[labels]
    for a, b in blocks:
        mine = _ranges(indptr[a:b], lengths[a:b])
        theirs = _ranges(indptr[rep[a:b]], lengths[a:b])
        if not np.array_equal(M.indices[mine], M.indices[theirs]):
            # untranslated: log record for developers
            logger.debug("hash collision while grouping rows; using the exact fallback")
            return _group_identical_rows_slow(M)
    return labels, first


def _group_identical_rows_slow(M: sp.csr_array) -> tuple[IntArray, IntArray]:
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


def _covered_by(pattern: sp.csr_array, rows: IntArray) -> BoolArray:
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
    weights: FloatArray
    rows: IntArray  # original candidate index of each kept row (ascending)


def _reduce(
    pattern: sp.csr_array, weights: FloatArray, *, exclude: IntArray, dedupe_rows: bool
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


def _dominated_rows(M: sp.csr_array) -> BoolArray:
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
    order: IntArray  # picked rows, in order
    marginal: FloatArray
    upper_bound: float  # online bound on the best `bound_k`-row coverage (inf if not asked)
    rows_lower_bound: int  # lower bound on rows needed for `target` (0 if not asked)


def _greedy(
    M: sp.csr_array,
    weights: FloatArray,
    *,
    max_rows: int,
    allowed: BoolArray | None = None,
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
    pattern: sp.csr_array, weights: FloatArray, sites: IntArray
) -> tuple[IntArray, FloatArray]:
    """Rank ``sites`` greedily (ties: lowest index); returns (ordered sites, marginal gains)."""
    sites = np.unique(sites)
    run = _greedy(sp.csr_array(pattern[sites]), weights, max_rows=sites.size, keep_zero=True)
    return sites[run.order], run.marginal


def _column_hits(
    by_col: sp.csc_array, cols: NDArray[np.integer], values: FloatArray
) -> FloatArray:
    """``M[:, cols] @ values`` for a CSC matrix, touching only those columns' entries."""
    starts = by_col.indptr[cols]
    lengths = by_col.indptr[cols + 1] - starts
    hit = by_col.indices[_ranges(starts, lengths)]
    out = np.bincount(hit, weights=np.repeat(values, lengths), minlength=by_col.shape[0])
    return out.astype(np.float64, copy=False)


def _row_entries(M: sp.csr_array, rows: IntArray) -> NDArray[np.int32]:
    """Column indices of all entries of ``rows`` (with repeats across rows)."""
    starts = M.indptr[rows]
    return M.indices[_ranges(starts, M.indptr[rows + 1] - starts)]


def _local_search(
    M: sp.csr_array, weights: FloatArray, sites: IntArray, *, max_passes: int = 100
) -> tuple[IntArray, float]:
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
    row_bounds: FloatArray  # upper bound on any plan containing each row
    sites: IntArray  # the k rows with the best scores under the best multipliers
    timed_out: bool  # stopped by the wall-clock safety net, not by its iteration count
    multipliers: FloatArray | None = None  # the best multipliers (a warm start for k + 1)


def _harvest(harvest: FloatArray, scores: FloatArray, base: float) -> None:
    """Lower ``harvest[j]`` to ``base + (sum of the j largest scores)`` for ``j = 1 .. K``."""
    K = harvest.size - 1
    n = min(K, scores.size)
    if n == 0:
        return
    top = -np.sort(-np.partition(scores, scores.size - n)[scores.size - n :])
    prefix = base + np.cumsum(top)
    np.minimum(harvest[1 : n + 1], prefix, out=harvest[1 : n + 1])
    if n < K:  # more sites than rows: every row, the rest add nothing
        np.minimum(harvest[n + 1 :], prefix[-1] if n else base, out=harvest[n + 1 :])


#: First step of a warm-started Lagrangian (from the multipliers of a neighbouring ``k``): they
#: are near the optimum already, so the search starts with a quarter of the cold step.
_WARM_STEP = 0.5


def _lagrangian(
    M: sp.csr_array,
    weights: FloatArray,
    k: int,
    *,
    lower: float,
    deadline: float,
    rel_gap: float,
    start: FloatArray | None = None,
    harvest: FloatArray | None = None,
) -> _Lagrange:
    """Lagrangian bound of maximal coverage by subgradient optimisation.

    Relaxing ``y_j <= sum_{i covers j} x_i`` with multipliers ``0 <= lam_j <= w_j`` gives
    ``L(lam) = sum_j (w_j - lam_j) + (sum of the k largest scores s_i = sum_{j in C(i)} lam_j)``,
    an upper bound for every ``lam``; its minimum equals the LP bound. Each iteration is one
    sparse product, so it scales to matrices whose LP HiGHS cannot solve in minutes. For a row
    ``i`` outside the top k, ``L(lam) - s_(k) + s_i`` bounds every plan containing ``i``
    (Lagrangian variable fixing). Polyak steps towards ``lower`` (the best plan known), halving
    the step after 10 iterations without improvement. ``start``: multipliers to begin from (those
    of a neighbouring ``k``, whose optimum moves little), with a smaller first step; every
    ``lam`` gives a valid bound, so a start changes how fast the bound tightens, never whether
    it holds. ``harvest`` (length ``K + 1``): every ``lam`` tried also bounds every other size,
    ``L_j(lam) = sum(w - lam) + (sum of the j largest scores)``; ``harvest[j]`` is lowered to
    the least of these for ``j = 1 .. K`` (one sort per iteration, no more products).
    """
    n_rows = int(M.shape[0])
    lam = 0.5 * weights if start is None else np.clip(start, 0.0, weights)
    tiny = _REL_EPS * float(weights.max(initial=0.0))
    best = math.inf
    best_lam = lam
    step = 2.0 if start is None else _WARM_STEP
    stall = 0
    timed_out = False
    for _ in range(_LAGRANGE_ITERATIONS):
        scores = np.asarray(M @ lam, dtype=np.float64)
        top = np.argpartition(scores, n_rows - k)[n_rows - k :]
        value = float((weights - lam).sum() + scores[top].sum())
        if harvest is not None:
            _harvest(harvest, scores, float((weights - lam).sum()))
        if value < best * (1 - 1e-9):
            best, best_lam, stall = value, lam, 0
        else:
            stall += 1
            if stall >= 10:
                step, stall = step / 2, 0
        if step < 1e-4 or best - lower <= rel_gap * best:
            break
        if time.perf_counter() > deadline:
            timed_out = True
            break
        subgradient = np.bincount(_row_entries(M, top), minlength=M.shape[1]).astype(np.float64)
        subgradient -= lam < weights  # y_j = 1 where its reduced weight is positive
        norm = float(subgradient @ subgradient)
        if norm == 0:
            break
        lam = np.clip(lam - step * max(value - lower, 0.0) / norm * subgradient, 0.0, weights)
        lam[lam < tiny] = 0.0  # no denormals: they make every product many times slower
    fixed = _lagrange_at(M, weights, k, best_lam, harvest=harvest)
    return replace(fixed, timed_out=timed_out)


def _lagrange_at(
    M: sp.csr_array,
    weights: FloatArray,
    k: int,
    lam: FloatArray,
    *,
    harvest: FloatArray | None = None,
) -> _Lagrange:
    """The Lagrangian bound of :func:`_lagrangian` at the multipliers ``lam`` (clipped to
    ``0 .. weights``; any such ``lam`` gives a valid bound, however it was found), each row's
    bound for plans containing it (variable fixing) and the ``k`` rows with the best scores."""
    lam = np.clip(np.asarray(lam, dtype=np.float64), 0.0, weights)
    scores = np.asarray(M @ lam, dtype=np.float64)
    order = np.argsort(-scores, kind="stable")
    base = float((weights - lam).sum())
    if harvest is not None:
        _harvest(harvest, scores, base)
    top = min(int(k), scores.size)  # k may exceed the rows left: then every row is in
    bound = base + float(scores[order[:top]].sum())
    row_bounds = np.full(scores.size, bound)
    outside = order[top:]
    if top > 0 and outside.size:
        row_bounds[outside] = bound - scores[order[top - 1]] + scores[outside]
    return _Lagrange(bound, row_bounds, np.sort(order[:top]).astype(np.intp), False, lam)


# --------------------------------------------------------------------------------------------
# Mixed-integer models
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _MilpOutcome:
    x: FloatArray | None
    dual_bound: float  # HiGHS' bound on the minimised objective (nan if none)
    status: str
    #: Only from :func:`_max_cover_lp`, when solved and fractional: the LP's optimal duals of
    #: the covering rows ``y_j <= sum x_i`` (multipliers of :func:`_lagrange_at`) and its ``x``
    multipliers: FloatArray | None = None
    fractional_x: FloatArray | None = None


def _run_milp(
    c: FloatArray,
    A: sp.csr_array,
    lower: FloatArray,
    upper: FloatArray,
    *,
    integrality: NDArray[np.uint8],
    var_lower: FloatArray,
    var_upper: FloatArray,
    time_limit_s: float,
    mip_rel_gap: float,
    node_limit: int,
    presolve: bool = False,
) -> _MilpOutcome:
    """One HiGHS MILP, stopped by its own node count (``node_limit``: the same answer on any
    machine) or, as a safety net, by the wall clock (``time_limit_s``; ``inf`` is off).

    HiGHS' branch and bound is deterministic for a given model and options (its MIP search is
    serial), so the status and the plan depend on the machine only when the time limit stops
    it: the status is then ``"time limit"`` and callers must say so (``time_limit_hit``).
    """
    options: dict[str, Any] = {
        "mip_rel_gap": float(mip_rel_gap),
        # HiGHS' presolve finds almost nothing to remove in coverage models and took as long
        # as the solve itself on city instances (Almaty, 20 sites: 5 s of 13 s), so it is off
        # unless asked for (the capacitated model: 103 s without it, 42 s with it, Bishkek)
        "presolve": presolve,
        "node_limit": int(node_limit),
    }
    if math.isfinite(time_limit_s):
        options["time_limit"] = max(float(time_limit_s), 0.0)
    res = milp(
        c,
        integrality=integrality,
        bounds=Bounds(var_lower, var_upper),
        constraints=LinearConstraint(A, lower, upper),
        options=options,
    )
    status = _milp_status(int(res.status), str(res.message))
    x = None if res.x is None else np.asarray(res.x, dtype=np.float64)
    bound = res.get("mip_dual_bound")
    dual = float(bound) if bound is not None and np.isfinite(bound) else math.nan
    if res.status == 0 and math.isnan(dual) and res.fun is not None:
        dual = float(res.fun)
    logger.debug("HiGHS MILP: %s after %s nodes", status, res.get("mip_node_count"))
    return _MilpOutcome(x, dual, status)


def _milp_status(code: int, message: str) -> str:
    """Our words for scipy's ``milp`` status: HiGHS reports its node limit as a "solution
    limit" that scipy does not recognise (status 4)."""
    if code == 4 and "Solution limit" in message:
        return "node limit"
    return {0: "optimal", 1: "time limit", 2: "infeasible", 3: "unbounded"}.get(
        code, f"solver failed: {message}"
    )


def time_limit_hit(status: str) -> bool:
    """Whether a solver status says the wall-clock safety net stopped a solve."""
    return "time limit" in status


class _Clock:
    """The wall-clock safety net of a heuristic: ``past()`` says whether ``deadline`` (a
    ``time.perf_counter()`` value; ``inf`` is off) has passed, and ``hit`` remembers that it
    stopped something, so the result can say it depended on the machine's speed."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.hit = False

    def past(self) -> bool:
        if time.perf_counter() > self.deadline:
            self.hit = True
        return self.hit


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
    ``dual_bound`` is the LP optimum (a valid bound on the minimised objective) when solved;
    when it is fractional, its duals and ``x`` (to fix rows and round a plan before the MILP).
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
        options={"time_limit": float(time_limit_s)} if math.isfinite(time_limit_s) else {},
    )
    if res.status == 1 and "time limit" in str(res.message).lower():
        return _MilpOutcome(None, math.nan, "time limit (LP)")
    if res.status != 0 or res.x is None:
        return _MilpOutcome(None, math.nan, "LP not solved")  # untranslated: status code
    x = np.asarray(res.x, dtype=np.float64)
    fractional = (x[:n_c] > 1e-7) & (x[:n_c] < 1 - 1e-7)
    if not fractional.any():
        return _MilpOutcome(x, float(res.fun), "optimal (LP)")
    duals = -np.asarray(res.ineqlin.marginals, dtype=np.float64)[:n_g]
    return _MilpOutcome(
        None, float(res.fun), "LP fractional", multipliers=duals, fractional_x=x[:n_c]
    )


def _tiebreak_milp(
    dist: sp.csr_array,
    population: FloatArray,
    already_covered: BoolArray,
    existing_m: FloatArray,
    *,
    n_sites: int,
    forced: IntArray,
    min_new: float,
    time_limit_s: float,
    mip_rel_gap: float,
    node_limit: int,
) -> tuple[IntArray | None, str]:
    """Second lexicographic stage: least population-weighted walk with coverage >= ``min_new``.

    Variables: ``x_i`` (site built), ``z_ij`` (demand ``j`` walks to site ``i``) for stored pairs
    only, ``s_j`` (demand ``j`` walks to its existing station, or is uncovered if it has none).
    Pairs that cannot shorten an existing walk are left out. The model has one variable and one
    linking row per remaining pair, so it grows with the number of stored pairs.
    """
    w = population
    old = already_covered
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
        return None, "nothing to break ties on"  # untranslated: solver status code
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
        node_limit=node_limit,
    )
    if out.x is None:
        return None, out.status
    return cand[out.x[:n_x] > 0.5].astype(np.intp), out.status


@dataclass(frozen=True, eq=False)
class _MilpModel:
    """A MILP as :func:`_run_milp` takes it: ``min c x``, ``lower <= A x <= upper``."""

    c: FloatArray
    A: sp.csr_array
    lower: FloatArray
    upper: FloatArray
    integrality: NDArray[np.uint8]
    var_lower: FloatArray
    var_upper: FloatArray


def _run_model(
    model: _MilpModel,
    *,
    time_limit_s: float,
    mip_rel_gap: float,
    node_limit: int,
    presolve: bool = False,
) -> _MilpOutcome:
    """:func:`_run_milp` on a built :class:`_MilpModel`."""
    return _run_milp(
        model.c,
        model.A,
        model.lower,
        model.upper,
        integrality=model.integrality,
        var_lower=model.var_lower,
        var_upper=model.var_upper,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        node_limit=node_limit,
        presolve=presolve,
    )


def _schedule_model(
    n: int,
    K: int,
    B: int,
    groups: sp.csr_array,
    single: FloatArray,
    weights: FloatArray,
    *,
    worst_cap: float,
    stage: int,
) -> tuple[_MilpModel, NDArray[np.int64], NDArray[np.int64]]:
    """The repair schedule's MILP (:func:`planner.repairs.schedule_repairs`).

    ``n`` stations in search order go into ``K`` batches of at most ``B``; ``groups`` (rows:
    demand groups, columns: positions) are the stations each group of residents depends on,
    ``single`` the load of each station alone, ``weights`` the residents of each group. Stage 1
    minimises the worst batch (variable ``z``), stage 2 the total with every batch at most
    ``worst_cap``. Returns the model and, for each ``x`` variable, its position and batch.
    """
    G = groups
    n_groups = int(G.shape[0])
    # x[p, b] for b <= min(p, K - 1)
    x_len = np.minimum(np.arange(n), K - 1) + 1
    x_off = np.r_[0, np.cumsum(x_len)[:-1]].astype(np.int64)
    x_p = np.repeat(np.arange(n), x_len)
    x_b = _ranges(np.zeros(n, dtype=np.int64), x_len)
    n_x = int(x_p.size)
    # y[g, b] for b <= min(first position of g, K - 1)
    first = G.indices[G.indptr[:-1]] if n_groups else np.zeros(0, dtype=np.int64)
    y_len = np.minimum(first, K - 1) + 1
    y_g = np.repeat(np.arange(n_groups), y_len)
    y_b = _ranges(np.zeros(n_groups, dtype=np.int64), y_len)
    n_y = int(y_g.size)
    n_z = 1 if stage == 1 else 0
    n_var = n_x + n_y + n_z
    size = np.diff(G.indptr)

    blocks: list[sp.csr_array] = []
    lower: list[FloatArray] = []
    upper: list[FloatArray] = []
    # every station in exactly one batch
    blocks.append(sp.csr_array((np.ones(n_x), (x_p, np.arange(n_x))), shape=(n, n_var)))
    lower.append(np.ones(n))
    upper.append(np.ones(n))
    # batch size
    if n > B:
        blocks.append(sp.csr_array((np.ones(n_x), (x_b, np.arange(n_x))), shape=(K, n_var)))
        lower.append(np.full(K, -np.inf))
        upper.append(np.full(K, float(B)))
    # sum_{p in g} x[p, b] - y[g, b] <= |g| - 1
    if n_y:
        members = np.diff(G.indptr)[y_g]
        row = np.repeat(np.arange(n_y), members)
        p_of = G.indices[_ranges(G.indptr[y_g], members)]
        cols = np.r_[x_off[p_of] + np.repeat(y_b, members), n_x + np.arange(n_y)]
        vals = np.r_[np.ones(row.size), -np.ones(n_y)]
        blocks.append(sp.csr_array((vals, (np.r_[row, np.arange(n_y)], cols)), shape=(n_y, n_var)))
        lower.append(np.full(n_y, -np.inf))
        upper.append((size[y_g] - 1).astype(np.float64))
    # batch loss (- z) <= 0 (stage 1) or <= worst_cap (stage 2)
    rows = np.r_[x_b, y_b]
    cols = np.r_[np.arange(n_x), n_x + np.arange(n_y)]
    vals = np.r_[single[x_p], weights[y_g]]
    if stage == 1:
        rows, cols, vals = (
            np.r_[rows, np.arange(K)],
            np.r_[cols, np.full(K, n_var - 1)],
            np.r_[vals, -np.ones(K)],
        )
    blocks.append(sp.csr_array((vals, (rows, cols)), shape=(K, n_var)))
    lower.append(np.full(K, -np.inf))
    upper.append(np.zeros(K) if stage == 1 else np.full(K, worst_cap))

    cost = np.zeros(n_var)
    var_upper = np.ones(n_var)
    if stage == 1:
        cost[-1] = 1.0
        var_upper[-1] = worst_cap
    else:
        cost[n_x : n_x + n_y] = weights[y_g]
    model = _MilpModel(
        cost,
        sp.csr_array(sp.vstack(blocks, format="csr")),
        np.concatenate(lower),
        np.concatenate(upper),
        np.r_[np.ones(n_x), np.zeros(n_y + n_z)].astype(np.uint8),
        np.zeros(n_var),
        var_upper,
    )
    return model, x_p, x_b


def _capacitated_model(
    capacity: FloatArray,
    is_candidate: BoolArray,
    pairs_row: IntArray,
    pairs_group: IntArray,
    group_weight: FloatArray,
    n_sites: int,
    *,
    strengthen: bool = True,
) -> tuple[_MilpModel, IntArray, FloatArray]:
    """The MILP of :func:`planner.capacitated.maximize_capacitated_coverage`.

    Rows are stations (existing and candidate, ``is_candidate``), ``capacity`` their residents
    (inf: none), and each pair ``(pairs_row, pairs_group)`` a station within reach of a group of
    residents of weight ``group_weight``. Variables: ``x`` for each candidate, then the residents
    ``r_p`` assigned along each pair; ``strengthen`` adds the rows ``r_cj <= w_j x_c`` per
    (site, building) pair. Returns the model, the candidates' rows and each pair's weight.
    """
    n_rows = int(is_candidate.size)
    n_g = int(group_weight.size)
    n_p = int(pairs_row.size)
    cand_rows = np.flatnonzero(is_candidate)
    n_x = int(cand_rows.size)
    x_of_row = np.full(n_rows, -1, dtype=np.intp)
    x_of_row[cand_rows] = np.arange(n_x)
    n_var = n_x + n_p
    pr, pg = pairs_row, pairs_group
    w_pair = group_weight[pg]
    p_idx = np.arange(n_p)
    # a candidate's capacity row also closes it: cap it at its reach so the row always exists
    capacity = capacity.copy()
    reach = np.bincount(pr, weights=w_pair, minlength=n_rows)
    capacity[cand_rows] = np.minimum(capacity[cand_rows], reach[cand_rows])
    blocks: list[sp.csr_array] = []
    upper: list[FloatArray] = []
    # each building assigned at most once
    blocks.append(sp.csr_array((np.ones(n_p), (pg, n_x + p_idx)), shape=(n_g, n_var)))
    upper.append(group_weight.copy())
    # capacities
    capped = np.flatnonzero(np.isfinite(capacity))
    if capped.size:
        crow = np.full(n_rows, -1, dtype=np.intp)
        crow[capped] = np.arange(capped.size)
        in_cap = crow[pr] >= 0
        cand_cap = capped[is_candidate[capped]]
        blocks.append(
            sp.csr_array(
                (
                    np.r_[np.ones(int(in_cap.sum())), -capacity[cand_cap]],
                    (
                        np.r_[crow[pr][in_cap], crow[cand_cap]],
                        np.r_[n_x + p_idx[in_cap], x_of_row[cand_cap]],
                    ),
                ),
                shape=(capped.size, n_var),
            )
        )
        upper.append(np.where(is_candidate[capped], 0.0, capacity[capped]))
    # at most n_sites
    if n_x:
        blocks.append(
            sp.csr_array(
                (np.ones(n_x), (np.zeros(n_x, dtype=np.intp), np.arange(n_x))), shape=(1, n_var)
            )
        )
        upper.append(np.array([float(n_sites)]))
    # strengthening rows r_cj <= w_j x_c per (site, building) pair: the capacity row alone
    # lets the LP relaxation open a site a little and fill it (Bishkek centre, 3 sites,
    # 33,359 pairs: time limit at 60 s without them, proved optimal in 42 s with them)
    if n_x and strengthen:
        cp = np.flatnonzero(x_of_row[pr] >= 0)
        blocks.append(
            sp.csr_array(
                (
                    np.r_[np.ones(cp.size), -w_pair[cp]],
                    (
                        np.r_[np.arange(cp.size), np.arange(cp.size)],
                        np.r_[n_x + cp, x_of_row[pr[cp]]],
                    ),
                ),
                shape=(cp.size, n_var),
            )
        )
        upper.append(np.zeros(cp.size))
    A = sp.csr_array(sp.vstack(blocks, format="csr"))
    hi = np.concatenate(upper)
    model = _MilpModel(
        np.r_[np.zeros(n_x), -np.ones(n_p)],
        A,
        np.full(hi.size, -np.inf),
        hi,
        np.r_[np.ones(n_x), np.zeros(n_p)].astype(np.uint8),
        np.zeros(n_var),
        np.r_[np.ones(n_x), w_pair],
    )
    return model, cand_rows.astype(np.intp), w_pair


def _moves_model(
    surplus: IntArray,
    shortfall: IntArray,
    arc_from: IntArray,
    arc_to: IntArray,
    cost: FloatArray,
    *,
    stage: int,
    flow: float = 0.0,
    moves: float = math.inf,
) -> _MilpModel:
    """A MILP of the inspector moves (:func:`planner.redistribution.solve_moves`) on a set of
    allowed arcs (giver ``arc_from[a]`` to receiver ``arc_to[a]``, at ``cost[a]`` per inspector).

    Variables: ``x_a`` (inspectors moved on arc ``a``, at most ``min(surplus, shortfall)`` of its
    ends), then ``y_a`` (arc used, binary, ``x_a <= cap_a y_a``); rows: each giver sends at most
    its surplus, each receiver gets at most its shortfall. Stage 1 maximises ``sum x`` (a
    transportation problem: every variable whole); stage 2 minimises ``sum y`` with
    ``sum x >= flow``; stage 3 minimises ``sum cost x`` with ``sum x >= flow`` and
    ``sum y <= moves``; in stages 2 and 3 only ``y`` is whole (docs/method.md section 12).
    Stage 4 moves whole inspectors on the given arcs only (every ``y`` fixed to 1) at the least
    ``sum cost x`` with ``sum x >= flow``.
    """
    k = int(arc_from.size)
    cap = np.minimum(surplus[arc_from], shortfall[arc_to]).astype(np.float64)
    givers, giver_row = np.unique(arc_from, return_inverse=True)
    takers, taker_row = np.unique(arc_to, return_inverse=True)
    arcs = np.arange(k)
    n_var = 2 * k
    blocks = [
        sp.csr_array((np.ones(k), (giver_row, arcs)), shape=(givers.size, n_var)),
        sp.csr_array((np.ones(k), (taker_row, arcs)), shape=(takers.size, n_var)),
        sp.csr_array(
            (np.r_[np.ones(k), -cap], (np.r_[arcs, arcs], np.r_[arcs, k + arcs])),
            shape=(k, n_var),
        ),
    ]
    upper = [
        surplus[givers].astype(np.float64),
        shortfall[takers].astype(np.float64),
        np.zeros(k),
    ]
    lower = [np.full(givers.size, -np.inf), np.full(takers.size, -np.inf), np.full(k, -np.inf)]
    row = np.zeros(k, dtype=np.intp)
    if stage > 1:  # keep the cover of stage 1
        blocks.append(sp.csr_array((np.ones(k), (row, arcs)), shape=(1, n_var)))
        lower.append(np.array([float(flow)]))
        upper.append(np.array([np.inf]))
    if stage == 3:  # and the moves of stage 2
        blocks.append(sp.csr_array((np.ones(k), (row, k + arcs)), shape=(1, n_var)))
        lower.append(np.array([-np.inf]))
        upper.append(np.array([float(moves)]))
    zeros = np.zeros(k)
    if stage == 1:
        c = np.r_[-np.ones(k), zeros]
    elif stage == 2:
        c = np.r_[zeros, np.ones(k)]
    else:
        c = np.r_[cost, zeros]
    whole_x = np.ones(k) if stage in (1, 4) else zeros
    whole_y = zeros if stage == 4 else np.ones(k)
    return _MilpModel(
        c.astype(np.float64),
        sp.csr_array(sp.vstack(blocks, format="csr")),
        np.concatenate(lower),
        np.concatenate(upper),
        np.r_[whole_x, whole_y].astype(np.uint8),
        np.r_[zeros, np.ones(k) if stage == 4 else zeros],
        np.r_[cap, np.ones(k)],
    )


def _max_cover_milp(
    red: _Reduced, k: int, *, time_limit_s: float, mip_rel_gap: float, node_limit: int
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
        node_limit=node_limit,
    )


def _min_sites_milp(
    red: _Reduced,
    required: float | None,
    *,
    time_limit_s: float,
    mip_rel_gap: float,
    node_limit: int,
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
        node_limit=node_limit,
    )


def _read_pattern(
    name: str,
    matrix: Any,
    n_demand: int | None,
    problems: list[str],
    *,
    demand_source: str = "population",
) -> sp.csr_array | None:
    """A coverage matrix over the same buildings as ``demand_source``, as a 0/1 pattern; None
    (with the problem listed) if unusable."""
    if not sp.issparse(matrix) or matrix.ndim != 2:
        problems.append(
            gettext(
                "{name} is a {type}, not a 2-D scipy.sparse matrix; build it with {example}; "
                "with no rows use shape {empty}"
            ).format(
                name=name,
                type=type(matrix).__name__,
                example="scipy.sparse.csr_array((values, (rows, demand_cols)), "
                "shape=(n_rows, n_demand))",
                empty="(0, n_demand)",
            )
        )
        return None
    if n_demand is not None and matrix.shape[1] != n_demand:
        problems.append(
            gettext(
                "{name} has {columns} demand columns but {source} has {n}; both must describe "
                "the same buildings in the same order"
            ).format(name=name, columns=matrix.shape[1], source=demand_source, n=n_demand)
        )
        return None
    csr = sp.csr_array(matrix)
    data = np.asarray(csr.data)
    if data.dtype.kind not in "biuf":
        problems.append(
            gettext("{name} values have dtype {dtype}; use booleans or metres").format(
                name=name, dtype=data.dtype
            )
        )
        return None
    if data.dtype.kind in "iuf" and (~np.isfinite(data.astype(np.float64)) | (data < 0)).any():
        problems.append(
            gettext(
                "{name} holds stored values that are NaN, infinite or negative; stored values "
                "must be walking distances >= 0 (a pair that is not covered must not be stored)"
            ).format(name=name)
        )
        return None
    pattern = sp.csr_array(
        (np.ones(csr.nnz), csr.indices.copy(), csr.indptr.copy()), shape=csr.shape
    )
    pattern.sum_duplicates()
    pattern.data[:] = 1.0
    return pattern
