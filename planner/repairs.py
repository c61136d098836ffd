"""Repairs at existing stations: who depends on each, when to close which, where to move one.

Everything here works on arrays and ``scipy.sparse`` and knows nothing about geometry.

Inputs shared by every function
-------------------------------
S
    ``scipy.sparse`` array or matrix of shape ``(n_stations, n_demand)``. A *stored entry*
    ``(i, j)`` means station ``i`` is within the walking limit of demand point ``j`` (a
    residential building). Only the sparsity structure counts (an explicit ``0.0``, a building at
    the station's door, still means "within the limit"); see :mod:`planner.siting`.
population
    Residents of each demand point, ``n_demand`` finite values >= 0.
working
    Optional boolean mask over the stations, True where the station is open and serving now
    (default: all). A station that is not working covers nobody.

Residents *covered now* are those within the limit of at least one working station.

Repair batches
--------------
Stations under repair close in batches; while a batch is closed, residents lose walking access
when every working station within their limit is in that batch. :func:`schedule_repairs` splits
the stations into the fewest batches allowed by ``batch_size`` so that the worst batch leaves as
few residents without access as possible, and among such schedules the total over all batches
is as small as possible (a second, lexicographic aim).

The model is first reduced: only demand points whose every covering working station is under
repair can ever lose access; demand points with the same set of covering stations are merged
(populations added); sets larger than ``batch_size`` can never be closed at once and are
dropped. A set of one station contributes a fixed load to whichever batch holds that station.
Then greedy assignments improved by local search (moves and swaps; restarts from shuffled
orders, seeded, so the same input gives the same schedule unless the time budget cuts the
restarts short) give a schedule, and lower bounds come from
single stations (no batch can lose less than the residents only one of its stations reaches),
from the average single-station load and from HiGHS. With ``method="exact"`` HiGHS solves
the MILP below (stage 1), then a second MILP minimises the total with the worst batch fixed
(stage 2); each stage keeps the better of its own and the heuristic's schedule.

Stage 1, with positions ``p = 0..n-1`` of the stations and batches ``b = 0..K-1``::

    minimise   z
    subject to sum_b x[p, b] = 1                                   every station in one batch
               sum_p x[p, b] <= batch_size                         batch size
               y[g, b] >= sum_{p in C(g)} x[p, b] - (|C(g)| - 1)   g lost if all of C(g) in b
               z >= sum_p u_p x[p, b] + sum_g w_g y[g, b]          worst batch
               x binary, 0 <= y <= 1

``C(g)`` are the stations of merged demand group ``g`` (at least two), ``w_g`` its residents,
``u_p`` the residents only station ``p`` reaches. Batches are interchangeable, so station
``p`` may only go to batches ``b <= p`` (numbering batches by their first station); groups get
``y[g, b]`` only for batches their first station may use. Stage 2 drops ``z``, bounds every
batch by the worst found and minimises ``sum_{g, b} w_g y[g, b]``.
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

from planner import _instance
from planner._instance import count_text, number_text
from planner._solvers import (
    OPTIMAL_REL_TOL,
    _Clock,
    _group_identical_rows,
    _read_pattern,
    _row_entries,
    _run_model,
    _schedule_model,
    time_limit_hit,
)
from planner._types import BoolArray, FloatArray, IntArray, SparseCoverage
from planner.defaults import DEFAULT_NODE_LIMIT, DEFAULT_TIME_LIMIT_S
from planner.i18n import gettext

__all__ = ["RepairSchedule", "relocation_gains", "residents_only_here", "schedule_repairs"]

logger = logging.getLogger(__name__)

#: Largest MILP (binary ``x`` plus continuous ``y`` variables after reduction and symmetry
#: breaking) handed to HiGHS; beyond it the local-search schedule is returned with its simple
#: bound. Measured (2 cores, HiGHS 1.12, 60 s): on clustered city-like instances (up to 80
#: stations all under repair, batches of 8, 5,300 variables) the single-station bound already
#: proves the local-search schedule optimal in about 1 s. On adversarial ones (every building
#: reached by 2-3 neighbouring stations under repair, none by one alone) HiGHS proved the
#: optimum at 271 variables in 0.2 s, 614 in 1.2 s, 1,361 in 21-39 s and 1,918 in about 60 s,
#: and stopped at the limit with gaps of 2.4% (3,524) and 1.0% (7,161) without improving the
#: local search; far above that HiGHS only burns the time.
SCHEDULE_MILP_MAX_VARS = 20_000
#: Local search stops after this many passes without reaching a local optimum.
_MAX_PASSES = 200
#: Restarts of the local search from shuffled greedy orders.
_RESTARTS = 30



# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _read_stations(
    S: SparseCoverage, population: ArrayLike, problems: list[str], *, name: str = "S"
) -> _instance.Instance | None:
    """The station matrix and population, checked by :func:`planner.siting._read_instance`."""
    return _instance.read_instance(S, population, None, problems, name=name, rows="station")


def _read_working(working: ArrayLike | None, n: int | None, problems: list[str]) -> BoolArray:
    if n is None:
        return np.zeros(0, dtype=bool)
    if working is None:
        return np.ones(n, dtype=bool)
    mask = np.asarray(working)
    if mask.shape != (n,):
        problems.append(
            gettext(
                "{name} has shape {shape}; it must be a boolean mask with one value per station "
                "{expected}"
            ).format(name="working", shape=mask.shape, expected=f"({n},)")
        )
    elif mask.dtype.kind == "b":
        return mask.astype(bool, copy=True)
    elif mask.dtype.kind in "iuf" and np.isin(mask, (0, 1)).all():
        return mask.astype(bool)
    else:
        problems.append(
            gettext(
                "{name} must be a boolean mask (True = the station is open and serving)"
            ).format(name="working")
        )
    return np.ones(n, dtype=bool)


def _read_indices(name: str, rows: object, n: int | None, what: str, problems: list[str]) -> Any:
    """A 1-D array of integer indices in ``0..n-1``; None (with problems appended) if not."""
    try:
        arr = np.asarray(rows)
    except (TypeError, ValueError):
        problems.append(_indices_message(name, what))
        return None
    if arr.size == 0:
        return np.zeros(0, dtype=np.intp)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        problems.append(
            gettext("{problem}, got {value}").format(
                problem=_indices_message(name, what), value=f"{arr!r:.80}"
            )
        )
        return None
    if n is not None:
        bad = (arr < 0) | (arr >= n)
        if bad.any():
            message = (
                gettext(
                    "{name} holds indices outside 0..{last} at positions {positions} (values "
                    "{values}); they must be rows of the station matrix"
                )
                if what == "station"
                else gettext(
                    "{name} holds indices outside 0..{last} at positions {positions} (values "
                    "{values}); they must be rows of the candidate matrix"
                )
            )
            problems.append(
                message.format(
                    name=name,
                    last=n - 1,
                    positions=_instance.positions(bad),
                    values=arr[bad][:5].tolist(),
                )
            )
            return None
    return arr.astype(np.intp)


def _indices_message(name: str, what: str) -> str:
    """"``name`` must be a 1-D list of integer station (or candidate) indices"."""
    if what == "station":
        return gettext("{name} must be a 1-D list of integer station indices").format(name=name)
    return gettext("{name} must be a 1-D list of integer candidate indices").format(name=name)


# --------------------------------------------------------------------------------------------
# Who depends on one station
# --------------------------------------------------------------------------------------------


def _cover_count(P: sp.csr_array, rows: IntArray) -> NDArray[np.int64]:
    """For each demand point, how many of ``rows`` cover it."""
    return np.bincount(_row_entries(P, rows), minlength=P.shape[1]).astype(np.int64)


def _only_here(P: sp.csr_array, weights: FloatArray, working: BoolArray) -> FloatArray:
    count = _cover_count(P, np.flatnonzero(working))
    out = np.asarray(P @ np.where(count == 1, weights, 0.0), dtype=np.float64)
    out[~working] = 0.0
    return out


def residents_only_here(
    S: SparseCoverage, population: ArrayLike, *, working: ArrayLike | None = None
) -> NDArray[np.float64]:
    """Residents who reach station ``i`` and no other working station.

    These are the residents who lose walking access when station ``i`` closes (for a repair, or
    for good): within the limit of ``i`` and of no other working station.

    Parameters
    ----------
    S
        Sparse ``(n_stations, n_demand)`` coverage of the stations.
    population
        Residents per demand point.
    working
        Boolean mask of the stations open now (default all). Stations that are not working get 0
        and do not count as "another station".

    Returns
    -------
    numpy.ndarray
        One value per station (``n_stations``), in residents.

    Raises
    ------
    InputError
        If any input is malformed; every problem is listed.
    """
    problems: list[str] = []
    inst = _read_stations(S, population, problems)
    work = _read_working(working, None if inst is None else inst.n_candidates, problems)
    _instance.raise_if("residents_only_here", problems)
    assert inst is not None
    return _only_here(inst.pattern, inst.population, work)


# --------------------------------------------------------------------------------------------
# Repair batches
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, kw_only=True)
class RepairSchedule:
    """Stations under repair split into batches that close one after the other.

    Attributes
    ----------
    batches
        One array of station indices (rows of ``S``, ascending) per batch. Batches are listed by
        ascending ``loss_per_batch``, ties by their lowest station index; the order is not a
        recommendation of which batch to repair first.
    loss_per_batch
        Residents covered now who lose walking access while each batch is closed.
    worst_batch_residents
        ``max(loss_per_batch)`` (0 with no batch): the objective, minimised.
    total_residents_batches
        ``sum(loss_per_batch)``: the second aim, minimised among schedules with the smallest
        worst batch found. A resident loses access in one batch at most (all their stations
        must be in it), so this is also how many residents lose access at some time during the
        repairs.
    lower_bound
        Proven lower bound on the worst batch of any schedule with ``n_batches`` batches.
    gap
        ``(worst_batch_residents - lower_bound) / worst_batch_residents``; 0 when the worst
        batch is 0.
    proven_optimal
        True when ``gap <= OPTIMAL_REL_TOL``: no schedule has a smaller worst batch.
    total_proven_minimal
        True when, in addition, no schedule with this worst batch has a smaller total.
    residents_at_risk
        Residents covered now only by stations under repair (an upper bound on the total).
    batch_size, n_batches
        The largest batch allowed and the number of batches, ``ceil(n / batch_size)``.
    greedy_worst_batch_residents
        Worst batch of the greedy schedule improved by local search (for comparison).
    method
        ``"exact"`` or ``"greedy"``.
    status
        What happened, e.g. ``"optimal"``, ``"optimal (bound)"``, ``"time limit"``,
        ``"local search"``; the second stage's outcome follows after ``"; total: "``.
    runtime_s
        Wall-clock seconds, validation included.
    message
        Plain-language notes (time limit hit, MILP skipped); empty when there is nothing to say.
    time_limit_hit
        True when the wall-clock safety net (``time_limit_s``) stopped a step.
    """

    batches: tuple[IntArray, ...]
    loss_per_batch: FloatArray
    worst_batch_residents: float
    total_residents_batches: float
    lower_bound: float
    gap: float
    proven_optimal: bool
    total_proven_minimal: bool
    residents_at_risk: float
    batch_size: int
    n_batches: int
    greedy_worst_batch_residents: float
    method: str
    status: str
    runtime_s: float
    message: str
    time_limit_hit: bool = False


@dataclass(frozen=True, eq=False)
class _Batching:
    """A reduced scheduling instance over positions ``0..n-1`` (stations in search order)."""

    stations: IntArray  # original station index of each position
    single: FloatArray  # u_p: residents only position p reaches
    groups: sp.csr_array  # groups x positions (sets of 2..batch_size positions, sorted)
    weights: FloatArray  # w_g
    at_risk: float
    n_batches: int
    batch_size: int

    @property
    def n(self) -> int:
        return int(self.stations.size)

    def losses(self, label: IntArray) -> FloatArray:
        """Residents without access in each batch, for batch ``label[p]`` of every position."""
        loss = np.bincount(label, weights=self.single, minlength=self.n_batches)
        G = self.groups
        if G.shape[0]:
            lab = label[G.indices]
            starts = G.indptr[:-1]
            together = np.minimum.reduceat(lab, starts) == np.maximum.reduceat(lab, starts)
            loss += np.bincount(
                lab[starts][together], weights=self.weights[together], minlength=self.n_batches
            )
        return loss.astype(np.float64)


def _batching(
    P: sp.csr_array,
    weights: FloatArray,
    working: BoolArray,
    under_repair: IntArray,
    batch_size: int,
) -> _Batching:
    """Reduce to demand that can lose access, merge identical station sets, order stations."""
    n = int(under_repair.size)
    n_batches = math.ceil(n / batch_size)
    count_all = _cover_count(P, np.flatnonzero(working))
    count_rep = _cover_count(P, under_repair)
    risk = np.flatnonzero((count_all >= 1) & (count_all == count_rep) & (weights > 0))
    by_demand = sp.csr_array(sp.csr_array(P[under_repair])[:, risk].T)
    by_demand.sort_indices()
    labels, first = _group_identical_rows(by_demand)
    group_w = np.bincount(labels, weights=weights[risk], minlength=first.size)
    G = sp.csr_array(by_demand[first])
    size = np.diff(G.indptr)
    at_risk = float(group_w.sum())
    single_rows = np.flatnonzero(size == 1)
    single = np.bincount(
        G.indices[G.indptr[single_rows]], weights=group_w[single_rows], minlength=n
    ).astype(np.float64)
    multi = np.flatnonzero((size >= 2) & (size <= batch_size))
    G = sp.csr_array(G[multi])
    multi_w = group_w[multi].astype(np.float64)
    # search order: stations with the most residents at stake first (ties: lowest index)
    stake = single + np.bincount(
        G.indices, weights=np.repeat(multi_w, np.diff(G.indptr)), minlength=n
    )
    order = np.lexsort((under_repair, -stake))
    position = np.empty(n, dtype=np.intp)
    position[order] = np.arange(n)
    G = sp.csr_array((G.data, position[G.indices], G.indptr), shape=G.shape)
    G.sort_indices()
    return _Batching(under_repair[order], single[order], G, multi_w, at_risk, n_batches, batch_size)


def _key(loss: FloatArray) -> tuple[float, ...]:
    """Lexicographic aim: worst batch, total, then the other batches from the worst down."""
    ordered = np.sort(loss)[::-1]
    return (float(ordered[0]), float(loss.sum()), *map(float, ordered[1:]))


def _better(a: tuple[float, ...], b: tuple[float, ...], tol: float) -> bool:
    for x, y in zip(a, b, strict=True):
        if x < y - tol:
            return True
        if x > y + tol:
            return False
    return False


def _heuristic(inst: _Batching, *, lower: float, clock: _Clock) -> IntArray:
    """Best of local searches from greedy starts: positions in order, then shuffled orders.

    Runs until ``_RESTARTS`` starts are done or a schedule meets ``lower`` (or, as a safety
    net, the clock runs out; ``clock.hit`` then says so). Deterministic (a fixed seed and
    counted work), so the same input gives the same schedule on any machine.
    """
    tol = 1e-9 * max(inst.at_risk, 1.0)
    rng = np.random.default_rng(0x5EED)
    order = np.arange(inst.n)
    best = _local_search(inst, order, clock=clock)
    best_key = _key(inst.losses(best))
    for _ in range(_RESTARTS):
        if best_key[0] - lower <= tol or clock.past():
            break
        label = _local_search(inst, rng.permutation(inst.n), clock=clock)
        key = _key(inst.losses(label))
        if _better(key, best_key, tol):
            best, best_key = label, key
    return best


def _local_search(inst: _Batching, order: IntArray, *, clock: _Clock) -> IntArray:
    """Greedy assignment of positions in ``order``, then moves and swaps while the aim improves.

    Greedy puts each station in the batch (with room) where the worst batch grows least, then
    the total, then the batch's loss. The search then takes each station ``p`` in turn and
    applies the best move (to another batch with room) or swap (with a station of another
    batch) when it lowers, lexicographically, the worst batch, then the total, then the other
    batches from the worst down. The losses after every possible swap of ``p`` come from a few
    sparse products over the groups (``O(nnz + n * deg(p))``), not from recomputing batches.
    """
    n, K, B = inst.n, inst.n_batches, inst.batch_size
    by_pos = sp.csr_array(inst.groups.T)  # positions x groups
    ent_p = np.repeat(np.arange(n), np.diff(by_pos.indptr))
    ent_g = by_pos.indices
    size = np.diff(inst.groups.indptr)
    w, u = inst.weights, inst.single
    tol = 1e-9 * max(inst.at_risk, 1.0)
    cnt = np.zeros((K, size.size), dtype=np.int64)
    label = np.full(n, -1, dtype=np.intp)
    fill = np.zeros(K, dtype=np.int64)
    loss = np.zeros(K)

    def groups_of(p: int) -> NDArray[np.int32]:
        return by_pos.indices[by_pos.indptr[p] : by_pos.indptr[p + 1]]

    for p in order:
        gs = groups_of(p)
        add = u[p] + (cnt[:, gs] == size[gs] - 1) @ w[gs]
        worst = float(loss.max())
        choice = np.lexsort((np.arange(K), loss + add, add, np.maximum(loss + add, worst)))
        b = int(next(c for c in choice if fill[c] < B))
        label[p], fill[b], loss[b] = b, fill[b] + 1, loss[b] + add[b]
        cnt[b, gs] += 1

    key = _key(loss)
    batches = np.arange(K)
    member = by_pos.toarray() > 0 if n * size.size <= 20_000_000 else None
    for _ in range(_MAX_PASSES):
        improved = False
        for p in range(n):
            if clock.past():
                return label
            b1 = int(label[p])
            gp = groups_of(p)
            lose_p = u[p] + float(w[gp][cnt[b1, gp] == size[gp]].sum())
            top = np.argsort(-loss, kind="stable")[:3]
            # moves of p to a batch with room: losses of b1 and the target change
            to = np.flatnonzero((fill < B) & (batches != b1))
            new_to = loss[to] + u[p] + (cnt[np.ix_(to, gp)] == size[gp] - 1) @ w[gp]
            rest = _max_excluding(loss, top, np.full(to.size, b1), to)
            move_worst = np.maximum(rest, np.maximum(new_to, loss[b1] - lose_p))
            move_total = key[1] - lose_p + new_to - loss[to]
            # swaps of p with every q of another batch
            b2 = label
            full_q = cnt[b2[ent_p], ent_g] == size[ent_g]
            lose_q = u + np.bincount(ent_p, weights=w[ent_g] * full_q, minlength=n)
            v = np.where(cnt[b1] == size - 1, w, 0.0)
            v[gp] = 0.0  # groups of both p and q stay incomplete
            gain_b1 = u + by_pos @ v
            inside = member[:, gp] if member is not None else by_pos[:, gp].toarray() > 0
            ready = (cnt[np.ix_(b2, gp)] == size[gp] - 1) & ~inside
            gain_b2 = u[p] + ready @ w[gp]
            new_b1 = loss[b1] - lose_p + gain_b1
            new_b2 = loss[b2] - lose_q + gain_b2
            rest = _max_excluding(loss, top, np.full(n, b1), b2)
            swap_worst = np.maximum(rest, np.maximum(new_b1, new_b2))
            swap_total = key[1] - lose_p - lose_q + gain_b1 + gain_b2
            swap_ok = b2 != b1
            # best candidate by (worst, total); full key only among those tied with the best
            worst_all = np.r_[move_worst, swap_worst[swap_ok]]
            total_all = np.r_[move_total, swap_total[swap_ok]]
            if worst_all.size == 0:
                continue
            lo_w = float(worst_all.min())
            if lo_w > key[0] + tol:
                continue
            tied = np.flatnonzero(worst_all <= lo_w + tol)
            tied = tied[np.argsort(total_all[tied], kind="stable")]
            q_swap = np.flatnonzero(swap_ok)
            for c in tied:
                new = loss.copy()
                if c < to.size:
                    q, target = -1, int(to[c])
                    new[b1] -= lose_p
                    new[target] = new_to[c]
                else:
                    q = int(q_swap[c - to.size])
                    target = int(b2[q])
                    new[b1] = new_b1[q]
                    new[target] = new_b2[q]
                new_key = _key(new)
                if not _better(new_key, key, tol):
                    if new_key[1] > key[1] + tol:
                        break  # sorted by total: the rest cannot win on the first two
                    continue
                cnt[b1, gp] -= 1
                cnt[target, gp] += 1
                label[p] = target
                if q < 0:
                    fill[b1] -= 1
                    fill[target] += 1
                else:
                    gq = groups_of(q)
                    cnt[target, gq] -= 1
                    cnt[b1, gq] += 1
                    label[q] = b1
                loss, key, improved = new, new_key, True
                break
        if not improved:
            break
    return label


def _max_excluding(
    loss: FloatArray, top: IntArray, a: NDArray[np.integer], b: NDArray[np.integer]
) -> FloatArray:
    """Largest loss over batches other than ``a[i]`` and ``b[i]`` (``top``: 3 largest, desc)."""
    out = np.zeros(a.size)
    done = np.zeros(a.size, dtype=bool)
    for t in top:
        take = ~done & (a != t) & (b != t)
        out[take] = loss[t]
        done |= take
    return out


def _schedule_milp(
    inst: _Batching,
    *,
    worst_cap: float,
    stage: int,
    time_limit_s: float,
    node_limit: int,
) -> tuple[IntArray | None, float, str]:
    """Stage 1 (minimise the worst batch) or 2 (minimise the total, worst <= ``worst_cap``).

    Returns ``(labels or None, HiGHS' dual bound on the stage objective, status)``; the stage-2
    bound leaves out the fixed single-station load ``sum(u)``.
    """
    n, K, B = inst.n, inst.n_batches, inst.batch_size
    model, x_p, x_b = _schedule_model(
        n, K, B, inst.groups, inst.single, inst.weights, worst_cap=worst_cap, stage=stage
    )
    n_x = int(x_p.size)
    out = _run_model(
        model,
        time_limit_s=time_limit_s,
        mip_rel_gap=OPTIMAL_REL_TOL,
        node_limit=node_limit,
    )
    if out.x is None:
        return None, out.dual_bound, out.status
    xs = out.x[:n_x].reshape(-1)
    label = np.full(n, -1, dtype=np.intp)
    on = xs > 0.5
    label[x_p[on]] = x_b[on]
    if (label < 0).any() or np.bincount(label, minlength=K).max() > B:
        return None, out.dual_bound, f"{out.status} (rounding failed)"
    return label, out.dual_bound, out.status


def _milp_vars(inst: _Batching) -> int:
    K = inst.n_batches
    G = inst.groups
    first = G.indices[G.indptr[:-1]] if G.shape[0] else np.zeros(0, dtype=np.int64)
    return int(
        (np.minimum(np.arange(inst.n), K - 1) + 1).sum() + (np.minimum(first, K - 1) + 1).sum()
    )


def schedule_repairs(
    S: SparseCoverage,
    population: ArrayLike,
    under_repair: ArrayLike | Sequence[int],
    *,
    batch_size: int,
    working: ArrayLike | None = None,
    method: Literal["exact", "greedy"] = "exact",
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    node_limit: int = DEFAULT_NODE_LIMIT,
) -> RepairSchedule:
    """Split stations under repair into batches so the worst batch cuts off the fewest residents.

    Each station in ``under_repair`` must close once; at most ``batch_size`` close at the same
    time, in the fewest batches possible, ``ceil(len(under_repair) / batch_size)``. While a batch
    is closed, residents covered now but by no working station outside the batch lose walking
    access. The schedule minimises the worst batch, then the total over batches (see the module
    docstring for the model).

    Parameters
    ----------
    S
        Sparse ``(n_stations, n_demand)`` coverage of the stations.
    population
        Residents per demand point.
    under_repair
        Station indices (rows of ``S``) to repair, each once; they must be working.
    batch_size
        Most stations closed at the same time (a whole number >= 1).
    working
        Boolean mask of the stations open now (default all).
    method
        ``"exact"``: local search, then HiGHS on the reduced MILP (skipped above
        ``SCHEDULE_MILP_MAX_VARS`` variables). ``"greedy"``: the local-search schedule with the
        simple bounds only.
    time_limit_s
        Wall-clock safety net for everything (local search and both MILP stages); ``inf`` (the
        default) is off. On hitting it the best schedule found is returned with its proven gap
        and ``time_limit_hit`` is True: the schedule then depended on the machine's speed.
    node_limit
        Branch-and-bound nodes of each MILP stage (a work limit HiGHS counts itself, so the
        schedule is the same on any machine). On reaching it the best schedule found is
        returned with its proven gap.

    Returns
    -------
    RepairSchedule

    Raises
    ------
    InputError
        If any input is malformed; every problem is listed.
    """
    t0 = time.perf_counter()
    inst, work, rows = _read_schedule_inputs(
        S, population, working, under_repair, batch_size, method, time_limit_s, node_limit
    )
    deadline = t0 + float(time_limit_s)
    B = int(batch_size)

    red = _batching(inst.pattern, inst.population, work, rows, B)
    n, K = red.n, red.n_batches
    notes: list[str] = []
    if n == 0:
        return _schedule_result(
            red,
            np.zeros(0, dtype=np.intp),
            lower=0.0,
            total_minimal=True,
            greedy_worst=0.0,
            method=method,
            status="nothing to schedule",  # untranslated: solver status code
            t0=t0,
            notes=notes,
        )
    # simple bounds: a batch loses at least what each of its stations alone reaches, and the
    # single-station loads (paid in full, whatever the schedule) average to sum(u) / K
    lower = max(float(red.single.max()), float(red.single.sum()) / K)
    tol = 1e-9 * max(red.at_risk, 1.0)
    if K == 1 or B == 1:  # one schedule only (up to batch order)
        label = np.zeros(n, dtype=np.intp) if K == 1 else np.arange(n, dtype=np.intp)
        loss = red.losses(label)
        return _schedule_result(
            red,
            label,
            lower=float(loss.max()),
            total_minimal=True,
            greedy_worst=float(loss.max()),
            method=method,
            status="optimal (only schedule)",
            t0=t0,
            notes=notes,
        )
    clock = _Clock(deadline)
    label = _heuristic(red, lower=lower, clock=clock)
    loss = red.losses(label)
    greedy_worst = float(loss.max())
    total_floor = float(red.single.sum())  # the total can never be lower
    status = "local search"
    total_status = "local search"
    if method == "exact":
        n_vars = _milp_vars(red)
        if greedy_worst - lower <= tol:
            status = "optimal (bound)"
        elif n_vars > SCHEDULE_MILP_MAX_VARS:
            status = (  # untranslated: solver status, a code in summary.json
                f"local search (MILP skipped: {n_vars:,} variables, "
                f"limit {SCHEDULE_MILP_MAX_VARS:,})"
            )
            notes.append(
                gettext(
                    "the MILP has {n} variables after reduction, more than {limit}; the schedule "
                    "is from local search"
                ).format(n=count_text(n_vars), limit=count_text(SCHEDULE_MILP_MAX_VARS))
            )
        elif deadline - time.perf_counter() <= 0:
            status = "time limit"
        else:
            cap = greedy_worst * (1 + 1e-9) + tol
            found, bound, status = _schedule_milp(
                red,
                worst_cap=cap,
                stage=1,
                time_limit_s=deadline - time.perf_counter(),
                node_limit=int(node_limit),
            )
            if not math.isnan(bound):
                lower = max(lower, bound)
            if found is not None:
                new = red.losses(found)
                if _better(_key(new), _key(loss), tol):
                    label, loss = found, new
            if status.startswith("solver failed"):
                logger.warning(  # untranslated: log record for developers
                    "schedule_repairs: HiGHS %s; keeping the local-search schedule", status
                )
        lower = min(lower, float(loss.max()))
        label, loss, total_status = _least_total(
            red, label, loss, n_vars=n_vars, tol=tol, deadline=deadline, node_limit=int(node_limit)
        )
    elif greedy_worst - lower <= tol:
        status = "local search (optimal by bound)"  # untranslated: solver status code
    if total_status == "local search" and float(loss.sum()) - total_floor <= tol:
        total_status = "optimal (bound)"
    worst = float(loss.max())
    proven = worst <= 0 or (worst - lower) / worst <= OPTIMAL_REL_TOL
    total_minimal = proven and total_status.startswith("optimal")
    timed_out = clock.hit or time_limit_hit(status) or time_limit_hit(total_status)
    if timed_out:
        notes.append(
            gettext(
                "time limit of {seconds} s reached: this schedule depended on the time limit; a "
                "faster or less busy machine may find a better one"
            ).format(seconds=number_text(time_limit_s))
        )
    elif "node limit" in status or "node limit" in total_status:
        notes.append(
            gettext("node limit of {nodes} reached; the schedule is not proven").format(
                nodes=count_text(int(node_limit))
            )
        )
    return _schedule_result(
        red,
        label,
        lower=min(lower, worst),
        total_minimal=total_minimal,
        greedy_worst=greedy_worst,
        method=method,
        status=f"{status}; total: {total_status}",
        t0=t0,
        notes=notes,
        time_limit_hit=timed_out,
    )


def _read_schedule_inputs(
    S: SparseCoverage,
    population: ArrayLike,
    working: ArrayLike | None,
    under_repair: ArrayLike | Sequence[int],
    batch_size: int,
    method: str,
    time_limit_s: float,
    node_limit: int,
) -> tuple[_instance.Instance, BoolArray, IntArray]:
    """The inputs of :func:`schedule_repairs` checked; every problem raised together."""
    problems: list[str] = []
    inst = _read_stations(S, population, problems)
    n_st = None if inst is None else inst.n_candidates
    work = _read_working(working, n_st, problems)
    rows = _read_indices("under_repair", under_repair, n_st, "station", problems)
    if rows is not None and rows.size:
        values, counts = np.unique(rows, return_counts=True)
        if (counts > 1).any():
            problems.append(
                gettext(
                    "{name} lists stations {values} more than once; list each station once (it "
                    "closes once)"
                ).format(name="under_repair", values=values[counts > 1][:5].tolist())
            )
        if n_st is not None and not work[rows].all():
            problems.append(
                gettext(
                    "{name} lists stations {values} that are not working; a closed station cannot "
                    "be closed for repair (drop them, or mark them as working)"
                ).format(name="under_repair", values=rows[~work[rows]][:5].tolist())
            )
    if not _instance.is_int(batch_size) or batch_size < 1:
        problems.append(
            gettext("{name}={value} must be a whole number >= 1").format(
                name="batch_size", value=repr(batch_size)
            )
        )
    _instance.check_method(method, problems)
    _instance.check_solver_options(time_limit_s, 0.0, problems, node_limit=node_limit)
    _instance.raise_if("schedule_repairs", problems)
    assert inst is not None and rows is not None
    return inst, work, rows


def _least_total(
    red: _Batching,
    label: IntArray,
    loss: FloatArray,
    *,
    n_vars: int,
    tol: float,
    deadline: float,
    node_limit: int,
) -> tuple[IntArray, FloatArray, str]:
    """Second stage: the least total loss among schedules no worse in their worst batch."""
    worst = float(loss.max())
    total_floor = float(red.single.sum())  # the total can never be lower
    if float(loss.sum()) - total_floor <= tol:
        return label, loss, "optimal (bound)"
    if n_vars > SCHEDULE_MILP_MAX_VARS:
        return label, loss, "local search"
    if deadline - time.perf_counter() <= 0:
        return label, loss, "time limit"
    found, bound, total_status = _schedule_milp(
        red,
        worst_cap=worst * (1 + 1e-9) + tol,
        stage=2,
        time_limit_s=deadline - time.perf_counter(),
        node_limit=node_limit,
    )
    if found is not None:
        new = red.losses(found)
        if float(new.max()) <= worst + tol and _better(_key(new), _key(loss), tol):
            label, loss = found, new
    if not math.isnan(bound) and float(loss.sum()) - (total_floor + bound) <= max(
        tol, OPTIMAL_REL_TOL * float(loss.sum())
    ):
        total_status = "optimal"
    return label, loss, total_status


def _schedule_result(
    red: _Batching,
    label: IntArray,
    *,
    lower: float,
    total_minimal: bool,
    greedy_worst: float,
    method: str,
    status: str,
    t0: float,
    notes: list[str],
    time_limit_hit: bool = False,
) -> RepairSchedule:
    K = red.n_batches
    loss = red.losses(label) if red.n else np.zeros(0)
    members = [np.sort(red.stations[label == b]) for b in range(K)]
    order = sorted(range(K), key=lambda b: (float(loss[b]), int(members[b][0])))
    worst = float(loss.max()) if K else 0.0
    gap = 0.0 if worst <= 0 else max(0.0, (worst - lower) / worst)
    return RepairSchedule(
        batches=tuple(members[b].astype(np.intp) for b in order),
        loss_per_batch=loss[order].astype(np.float64),
        worst_batch_residents=worst,
        total_residents_batches=float(loss.sum()),
        lower_bound=float(lower),
        gap=gap,
        proven_optimal=gap <= OPTIMAL_REL_TOL,
        total_proven_minimal=total_minimal,
        residents_at_risk=red.at_risk,
        batch_size=red.batch_size,
        n_batches=K,
        greedy_worst_batch_residents=greedy_worst,
        method=method,
        status=status,
        runtime_s=time.perf_counter() - t0,
        message="; ".join(notes),
        time_limit_hit=time_limit_hit,
    )


# --------------------------------------------------------------------------------------------
# Moving a station
# --------------------------------------------------------------------------------------------


def relocation_gains(
    S_candidates: SparseCoverage,
    S_stations: SparseCoverage,
    population: ArrayLike,
    station_rows: ArrayLike | Sequence[int],
    candidate_rows_per_station: Sequence[ArrayLike],
    *,
    working: ArrayLike | None = None,
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """For each station, the best site to move it to and how many more residents it would serve.

    Moving station ``s`` to candidate ``c`` means: the working stations, without ``s``, plus
    ``c``. Its gain is the residents covered after the move minus those covered now (positive:
    the move serves more people; negative: every allowed site serves fewer). A station that is
    not working covers nobody now, so moving it means opening ``c`` next to the working stations.

    Parameters
    ----------
    S_candidates
        Sparse ``(n_candidates, n_demand)`` coverage of the candidate sites.
    S_stations
        Sparse ``(n_stations, n_demand)`` coverage of the stations.
    population
        Residents per demand point.
    station_rows
        Stations to consider (rows of ``S_stations``).
    candidate_rows_per_station
        For each entry of ``station_rows``, the candidate rows it may move to (e.g. the sites
        within the relocation radius); may be empty.
    working
        Boolean mask of the stations open now (default all).

    Returns
    -------
    best_candidate : numpy.ndarray
        For each entry of ``station_rows``, the allowed candidate with the largest gain (ties:
        lowest candidate index); -1 where no candidate is allowed.
    gain : numpy.ndarray
        Its gain in residents; NaN where no candidate is allowed.

    Raises
    ------
    InputError
        If any input is malformed; every problem is listed.

    Notes
    -----
    With ``count[j]`` the number of working stations covering ``j``, the gain of ``(s, c)`` is
    ``w(C(c) & {count == 0}) + w(C(c) & C(s) & {count == 1}) - only_here[s]`` (the second term
    only for a working ``s``). The first term is one sparse product over all candidates, the
    second the entries of ``S_s diag(w [count == 1]) S_c^T`` at the allowed pairs; no loop over
    candidates or buildings.
    """
    problems: list[str] = []
    inst = _read_stations(S_stations, population, problems, name="S_stations")
    n_st = None if inst is None else inst.n_candidates
    n_d = None if inst is None else int(inst.pattern.shape[1])
    cand = _read_pattern("S_candidates", S_candidates, n_d, problems)
    n_c = None if cand is None else int(cand.shape[0])
    work = _read_working(working, n_st, problems)
    rows = _read_indices("station_rows", station_rows, n_st, "station", problems)
    lists: list[IntArray] = []
    if isinstance(candidate_rows_per_station, str | bytes) or not isinstance(
        candidate_rows_per_station, Sequence
    ):
        problems.append(
            gettext(
                "{name} must be a list with one array of candidate indices per entry of {rows}"
            ).format(name="candidate_rows_per_station", rows="station_rows")
        )
    else:
        try:
            n_given: int | None = int(np.size(station_rows)) if rows is None else int(rows.size)
        except (TypeError, ValueError):
            n_given = None
        if n_given is not None and len(candidate_rows_per_station) != n_given:
            problems.append(
                gettext(
                    "{name} has {n} entries but {rows} has {given}; give one list of candidates "
                    "per station"
                ).format(
                    name="candidate_rows_per_station",
                    n=len(candidate_rows_per_station),
                    rows="station_rows",
                    given=n_given,
                )
            )
        for i, c in enumerate(candidate_rows_per_station):
            arr = _read_indices(f"candidate_rows_per_station[{i}]", c, n_c, "candidate", problems)
            if arr is not None:
                lists.append(arr)
    _instance.raise_if("relocation_gains", problems)
    assert inst is not None and cand is not None and rows is not None

    P, w = inst.pattern, inst.population
    m = rows.size
    count = _cover_count(P, np.flatnonzero(work))
    only = _only_here(P, w, work)[rows]
    gain_new = np.asarray(cand @ np.where(count == 0, w, 0.0), dtype=np.float64)
    lengths = np.array([a.size for a in lists], dtype=np.int64)
    pair_pos = np.repeat(np.arange(m), lengths)
    pair_c = np.concatenate(lists) if lists else np.zeros(0, dtype=np.intp)
    # residents of s reached by no other working station that candidate c also reaches
    shared = np.flatnonzero(count == 1)
    Ps = sp.csr_array(P[rows][:, shared])
    Ps = sp.csr_array(Ps @ sp.diags_array(w[shared]))
    Ps = sp.csr_array(sp.diags_array(work[rows].astype(np.float64)) @ Ps)
    overlap = sp.csr_array(Ps @ sp.csr_array(cand[:, shared]).T)
    overlap.sum_duplicates()
    overlap.sort_indices()
    entry_row = np.repeat(np.arange(m, dtype=np.int64), np.diff(overlap.indptr))
    keys = entry_row * cand.shape[0] + overlap.indices
    want = pair_pos.astype(np.int64) * cand.shape[0] + pair_c
    at = np.searchsorted(keys, want)
    at_ok = at < keys.size
    hit = np.zeros(want.size, dtype=bool)
    hit[at_ok] = keys[at[at_ok]] == want[at_ok]
    over = np.zeros(want.size)
    over[hit] = overlap.data[at[hit]]
    pair_gain = gain_new[pair_c] + over - only[pair_pos]

    best = np.full(m, -1, dtype=np.intp)
    gain = np.full(m, np.nan)
    if pair_c.size:
        order = np.lexsort((pair_c, -pair_gain, pair_pos))
        first = np.ones(order.size, dtype=bool)
        first[1:] = pair_pos[order][1:] != pair_pos[order][:-1]
        top = order[first]
        best[pair_pos[top]] = pair_c[top]
        gain[pair_pos[top]] = pair_gain[top]
    return best, gain
