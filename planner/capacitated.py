"""Maximal capacitated coverage: new sites when every station can serve only so many residents.

The numeric core, arrays and ``scipy.sparse`` in, arrays out; no geometry. The problem is the
one Esri Network Analyst calls *Maximize Capacitated Coverage*: choose ``n_sites`` candidate
sites so that as many residents as possible are assigned to an open station within the walking
limit, no station being assigned more residents than its capacity. Existing stations are always
open. Esri then minimises the weighted walking distance as a second aim; this module does not.

Inputs
------
S_existing, S_candidates
    ``scipy.sparse`` matrices of shapes ``(n_existing, n_demand)`` and ``(n_candidates,
    n_demand)``; a stored entry ``(i, j)`` means station or site ``i`` is within the walking
    limit of demand point ``j`` (a building). Only the sparsity structure counts (see
    :mod:`planner.siting`). ``n_existing`` may be 0.
population
    Residents of each demand point, ``n_demand`` finite values >= 0.
capacity_existing, capacity_new
    Residents each station (each candidate site, if chosen) can serve: one number for all or
    one per row; ``numpy.inf`` for no limit.

The model
---------
A building holds many residents, and they need not all go to the same station: ``a_ij`` is the
*fraction* of building ``j`` assigned to station ``i``, one continuous variable per stored pair;
only the site choice ``x_c`` is binary::

    maximise   sum_ij w_j a_ij
    subject to sum_i a_ij <= 1                       for every building j
               sum_j w_j a_ij <= cap_i               for every existing station i
               sum_j w_j a_cj <= cap'_c x_c          for every candidate c
               sum_c x_c <= n_sites,  x binary,  0 <= a <= 1

with ``cap'_c = min(cap_c, residents c reaches)``, so that the capacity row also keeps a closed
site from serving anybody (also for infinite capacity). The MILP also has the standard
strengthening rows ``a_cj <= x_c`` per (site, building) pair: without them the LP relaxation
opens a site a little and fills it, and HiGHS stopped at the 60 s limit with a 6 % gap on the
Bishkek centre (3 sites, 33,359 pairs); with them (and HiGHS' presolve) it proves the optimum
there in 42 s. (Earlier measurements without presolve found them slower on a random 53,508-pair
instance; the solve below rarely gets that far, see the plain-plan bound.)

HiGHS works in residents ``r_ij = w_j a_ij`` (all assignment coefficients 1). Opening a site
never hurts, so "at most ``n_sites``" has the same optimum as "exactly"; sites that end up
serving nobody are not reported. With ``n_sites=0`` (or no candidates) the model is a pure LP:
the capacitated coverage of the existing stations.

Before solving, buildings without residents or without any station of positive capacity are
dropped, capacities larger than everything a station could reach are dropped (they never bind),
and buildings reached by exactly the same stations are merged (residents added; the merged
building's assignment splits back in proportion). Candidates reaching only buildings that a
station of never-binding capacity also reaches are dropped (:func:`_drop_dominated`; on the
Bishkek centre 33,359 pairs become 20,227, and the forced MILP takes 7 s instead of 34 s).
None of this changes the optimum.

Then a greedy plan comes first: sites one at a time, each the one serving most residents that
are still unassigned (up to its capacity), re-solving the assignment LP of the open stations
after each pick. A simple bound (residents reachable at all; capacity of the existing stations
plus the ``n_sites`` largest candidates, each capped at what it reaches) proves it optimal
surprisingly often. Otherwise the best plan *without* capacities over the same candidates is
solved (:func:`planner.siting.maximize_coverage`, fast and exact on city instances): nobody is
assigned beyond reach, so its proven coverage bounds every capacitated plan, and its sites are a
second start, whose assignment LP is solved. When capacity does not bind, that start reaches the
bound and is proved optimal at once; on the Bishkek centre it does so for 2 inspectors per
station too (16,094.7 residents, 0.2 s). Only if neither start meets the bound does HiGHS
(:func:`scipy.optimize.milp`) solve the model; the better plan is kept, with the smaller of the
bounds as the proven upper bound. A run stopped by the time limit says "best found, at most X %
short" (:func:`quality_text`), never optimal. The assignment is finally clipped onto the
constraints exactly (HiGHS works to a feasibility tolerance of about 1e-6), so no capacity is
exceeded in the result.

Size limit
----------
Measured before the strengthening rows, presolve and the plain-plan start were added (not
re-measured since), on random clustered city-like instances (8 km square, 800 m walking limit, 20-30
existing stations, capacities binding at about half the demand, 2 cores, HiGHS 1.12 via
SciPy 1.17, ``time_limit_s=60``), pairs counted after reduction:

==========  =======  =====  ======  =========================================
pairs       sites    time   gap     how
==========  =======  =====  ======  =========================================
6,548       10       0.2 s  0       greedy meets the simple bound
21,662      10       0.4 s  0       greedy meets the simple bound
48,617      10       20 s   0       HiGHS optimal
53,508      25       60 s   0       greedy plan, HiGHS' bound at the limit
150,887     10       61 s   0       HiGHS' bound at the limit
401,128     10       62 s   0       HiGHS' bound at the limit
1,099,769   10       77 s   2.9%    greedy plan, simple bound (no HiGHS bound)
==========  =======  =====  ======  =========================================

Models above ``CAPACITATED_MAX_PAIRS`` (300,000) are refused with an
:class:`~planner.errors.InputError`: HiGHS' root LP then no longer finishes within a minute
and the answer would be the greedy plan with a weak bound. The fixes are fewer candidates (a
shortlist from :func:`planner.siting.maximize_coverage`, whose greedy scales to whole cities)
or checking a chosen shortlist with ``n_sites=0`` (the sites appended to ``S_existing``), a
pure LP that fits up to ``CAPACITATED_MAX_PAIRS_LP`` pairs (730,000 pairs: 15 s; 2.3 million:
95 s). The run may overshoot ``time_limit_s`` by the time spent building the model and the
final assignment LP.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from planner import _instance, i18n
from planner._instance import count_text, number_text, percent_text
from planner._solvers import (
    DOMINANCE_MAX_WORK,
    OPTIMAL_REL_TOL,
    _capacitated_model,
    _covered_by,
    _group_identical_rows,
    _read_pattern,
    _run_milp,
    time_limit_hit,
)
from planner._types import BoolArray, FloatArray, IntArray, SparseCoverage
from planner.defaults import DEFAULT_NODE_LIMIT, DEFAULT_TIME_LIMIT_S
from planner.errors import InputError, SolverError
from planner.i18n import gettext, ngettext
from planner.siting import maximize_coverage

__all__ = ["CapacitatedResult", "maximize_capacitated_coverage", "quality_text"]

logger = logging.getLogger(__name__)

#: Largest model with sites to choose (stored pairs after reduction, existing and candidate
#: together); see "Size limit" in the module docstring for the measurements.
CAPACITATED_MAX_PAIRS = 300_000
#: Largest pure LP (``n_sites=0``): about 20 s at this size.
CAPACITATED_MAX_PAIRS_LP = 1_000_000
#: Share of ``time_limit_s`` (the wall-clock safety net) the greedy plan may use before the MILP.
_HEURISTIC_SHARE = 0.25
#: Picks of the greedy plan after which the assignment LP is no longer re-solved at every pick
#: (a count, so the greedy plan is the same on any machine).
_HEURISTIC_LP_PICKS = 100



@dataclass(frozen=True, eq=False, kw_only=True)
class CapacitatedResult:
    """New sites and an assignment of residents to stations within capacity.

    Attributes
    ----------
    sites
        Chosen candidate indices (rows of ``S_candidates``), ascending. Sites that would serve
        nobody are left out, so there can be fewer than ``n_sites_requested`` (see ``message``).
    assigned_per_station
        Residents assigned to each station: the existing stations in their order, then the
        chosen sites in the order of ``sites``.
    capacity_per_station
        The capacities, in the same order.
    assignment_existing
        Sparse ``(n_existing, n_demand)`` matrix of residents assigned, stored only where
        residents are assigned (always at a stored pair of ``S_existing``).
    assignment_new
        Sparse ``(n_candidates, n_demand)`` matrix of residents assigned to the chosen sites
        (rows of other candidates are empty).
    assigned_population
        Residents assigned in all: the objective, maximised.
    within_reach_population
        Residents within the walking limit of at least one open station (existing or chosen).
    over_capacity_population
        ``within_reach_population - assigned_population``: residents within reach of an open
        station but not assigned, because the stations they reach are full.
    unassigned_within_reach
        Per building (``n_demand``): its residents within reach but not assigned.
    total_population
        Residents of all buildings.
    assigned_share
        ``assigned_population / total_population``.
    upper_bound
        Proven upper bound on the residents any plan with ``n_sites_requested`` sites can assign.
    gap
        ``(upper_bound - assigned_population) / upper_bound``; 0 when the bound is 0.
    proven_optimal
        True when ``gap <= max(mip_rel_gap, OPTIMAL_REL_TOL)``.
    n_sites_requested
        The ``n_sites`` asked for.
    n_pairs
        Stored pairs in the reduced model (its size; see ``CAPACITATED_MAX_PAIRS``).
    status
        What happened, e.g. ``"optimal"``, ``"time limit"``, ``"nothing to assign"``.
    runtime_s
        Wall-clock seconds, validation included.
    message
        Plain-language notes (fewer sites than asked, time limit hit); empty when there is
        nothing to say.
    time_limit_hit
        True when the wall-clock safety net (``time_limit_s``) stopped a step: the plan then
        depended on the machine's speed and load.
    """

    sites: IntArray
    assigned_per_station: FloatArray
    capacity_per_station: FloatArray
    assignment_existing: sp.csr_array
    assignment_new: sp.csr_array
    assigned_population: float
    within_reach_population: float
    over_capacity_population: float
    unassigned_within_reach: FloatArray
    total_population: float
    assigned_share: float
    upper_bound: float
    gap: float
    proven_optimal: bool
    n_sites_requested: int
    n_pairs: int
    status: str
    runtime_s: float
    message: str
    time_limit_hit: bool = False


def quality_text(result: CapacitatedResult) -> str:
    """How good the plan is, in the memo's words: ``"proven optimal"`` only when it is;
    otherwise ``"best found, at most X % short of the best possible"`` (X the gap)."""
    if result.proven_optimal:
        return gettext("proven optimal")
    gap = (
        f"{100 * result.gap:.2f}"
        if i18n.language() == "en"
        else i18n.fmt_decimal(100 * result.gap, digits=2)
    )
    return gettext(
        "best found, at most {gap} % short of the best possible (not proved optimal: {status})"
    ).format(gap=gap, status=result.status)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _read_pattern_candidates(
    matrix: SparseCoverage, n_demand: int | None, problems: list[str]
) -> sp.csr_array | None:
    return _read_pattern("S_candidates", matrix, n_demand, problems, demand_source="S_existing")


def _read_capacity(name: str, value: Any, n: int | None, problems: list[str]) -> FloatArray:
    """One capacity per row (a scalar is broadcast); ``inf`` allowed, NaN and < 0 are not."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        problems.append(
            gettext("{name} must be a number of residents or one number per station").format(
                name=name
            )
        )
        return np.zeros(0)
    if n is None:
        return np.zeros(0)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    elif arr.shape != (n,):
        problems.append(
            gettext(
                "{name} has shape {shape}; give one number for all stations or one per station "
                "{expected}"
            ).format(name=name, shape=arr.shape, expected=f"({n},)")
        )
        return np.zeros(n)
    bad = np.isnan(arr) | (arr < 0)
    if bad.any():
        idx = np.flatnonzero(bad)
        problems.append(
            gettext(
                "{name} is NaN or negative at rows {rows}; capacities are residents >= 0 (use "
                "numpy.inf for no limit)"
            ).format(name=name, rows=f"{idx[:5].tolist()}{', ...' if idx.size > 5 else ''}")
        )
    return arr


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Model:
    """The reduced model: stations (existing then candidates) x merged building groups."""

    pairs_row: IntArray  # reduced station row of each pair (sorted by row)
    pairs_group: IntArray  # group of each pair
    stations: IntArray  # row of the stacked matrix [existing; candidates] per reduced row
    is_candidate: BoolArray  # per reduced row
    capacity: FloatArray  # per reduced row (inf = non-binding)
    group_weight: FloatArray
    group_of: IntArray  # per original building: its group, -1 if dropped

    @property
    def n_pairs(self) -> int:
        return int(self.pairs_row.size)


def _build_model(
    P: sp.csr_array, weights: FloatArray, capacity: FloatArray, is_candidate: BoolArray
) -> _Model:
    """Reduce the stacked pattern ``P`` (existing rows, then candidate rows)."""
    live_rows = capacity > 0
    reach = np.bincount(P.indices[np.repeat(live_rows, np.diff(P.indptr))], minlength=P.shape[1])
    demand = np.flatnonzero((weights > 0) & (reach > 0))
    sub = sp.csr_array(sp.csr_array(P[np.flatnonzero(live_rows)])[:, demand])
    rows = np.flatnonzero(live_rows)
    by_demand = sp.csr_array(sub.T)
    by_demand.sort_indices()
    labels, first = _group_identical_rows(by_demand)
    group_weight = np.bincount(labels, weights=weights[demand], minlength=first.size)
    M = sp.csr_array(by_demand[first].T)  # reduced rows x groups
    M.sort_indices()
    used = np.diff(M.indptr) > 0
    M = sp.csr_array(M[np.flatnonzero(used)])
    rows = rows[used]
    cap = capacity[rows].astype(np.float64)
    reachable = np.asarray(M @ group_weight, dtype=np.float64)
    cap[cap >= reachable] = np.inf  # can never bind
    group_of = np.full(P.shape[1], -1, dtype=np.intp)
    group_of[demand] = labels
    coo = sp.coo_array(M)
    order = np.lexsort((coo.col, coo.row))
    return _Model(
        coo.row[order].astype(np.intp),
        coo.col[order].astype(np.intp),
        rows.astype(np.intp),
        is_candidate[rows],
        cap,
        group_weight.astype(np.float64),
        group_of,
    )


def _drop_dominated(model: _Model) -> _Model:
    """The model without the candidates no optimal plan needs.

    Candidate ``c`` is dominated by a station ``d`` (existing or candidate) whose capacity never
    binds (``inf`` after :func:`_build_model`) and that reaches every building ``c`` reaches
    (``d`` before ``c`` when both reach the same ones): in any plan with ``c`` open, ``c``'s
    residents can all go to ``d`` instead (opened in ``c``'s place if closed), so dropping ``c``
    never lowers the optimum. Found from the row overlaps, like
    :func:`planner._solvers._dominated_rows`, and skipped when that product would be too large.
    """
    n_rows, n_g = int(model.stations.size), int(model.group_weight.size)
    col_count = np.bincount(model.pairs_group, minlength=n_g).astype(np.float64)
    free = np.isinf(model.capacity)
    if not (model.is_candidate.any() and free.any()) or float((col_count**2).sum()) > (
        DOMINANCE_MAX_WORK
    ):
        return model
    ones = sp.csr_array(
        (np.ones(model.n_pairs), (model.pairs_row, model.pairs_group)), shape=(n_rows, n_g)
    )
    overlap = sp.coo_array(ones @ sp.csr_array(ones[np.flatnonzero(free)]).T)
    size = np.diff(ones.indptr)
    r = overlap.row
    c = np.flatnonzero(free)[overlap.col]
    inside = (
        (r != c)
        & model.is_candidate[r]
        & (np.rint(overlap.data).astype(np.int64) == size[r])
        & ((size[c] > size[r]) | (c < r))
    )
    dominated = np.zeros(n_rows, dtype=bool)
    dominated[r[inside]] = True
    if not dominated.any():
        return model
    keep = ~dominated[model.pairs_row]
    return _Model(
        model.pairs_row[keep],
        model.pairs_group[keep],
        model.stations,
        model.is_candidate,
        model.capacity,
        model.group_weight,
        model.group_of,
    )


def _solve(
    model: _Model,
    n_sites: int,
    *,
    time_limit_s: float,
    mip_rel_gap: float,
    node_limit: int,
    strengthen: bool = True,
) -> tuple[FloatArray | None, FloatArray | None, float, str]:
    """Returns ``(x per reduced row, a per pair, dual bound on assigned residents, status)``.

    The variables are residents ``r_p = w_g a_p`` rather than fractions, so every coefficient
    of the assignment rows is 1 (better scaled for the simplex). A candidate's capacity is
    capped at the residents it reaches, so its capacity row ``sum_j r_cj <= cap_c x_c`` exists
    for every candidate and closes it when ``x_c = 0``.
    """
    n_rows = int(model.stations.size)
    milp_model, cand_rows, w_pair = _capacitated_model(
        model.capacity,
        model.is_candidate,
        model.pairs_row,
        model.pairs_group,
        model.group_weight,
        n_sites,
        strengthen=strengthen,
    )
    n_x = int(cand_rows.size)
    out = _run_milp(
        milp_model.c,
        milp_model.A,
        milp_model.lower,
        milp_model.upper,
        integrality=milp_model.integrality,
        var_lower=milp_model.var_lower,
        var_upper=milp_model.var_upper,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        node_limit=node_limit,
        presolve=bool(n_x),
    )
    bound = -out.dual_bound if not math.isnan(out.dual_bound) else math.inf
    if out.x is None:
        return None, None, bound, out.status
    x_rows = np.ones(n_rows)
    x_rows[cand_rows] = np.rint(out.x[:n_x])
    return x_rows, out.x[n_x:] / w_pair, bound, out.status


def _objective(model: _Model, a: FloatArray) -> float:
    return float(a @ model.group_weight[model.pairs_group])


def _repair(model: _Model, x_rows: FloatArray, a: FloatArray) -> FloatArray:
    """Clip an assignment onto the constraints exactly: closed sites, buildings, capacities."""
    a = np.clip(a, 0.0, 1.0)
    a[x_rows[model.pairs_row] < 0.5] = 0.0
    per_group = np.bincount(model.pairs_group, weights=a, minlength=model.group_weight.size)
    over = per_group > 1.0
    if over.any():
        a = a / np.where(over, per_group, 1.0)[model.pairs_group]
    load = np.bincount(
        model.pairs_row,
        weights=a * model.group_weight[model.pairs_group],
        minlength=model.stations.size,
    )
    cap = model.capacity
    scale = np.ones(cap.size)
    full = np.isfinite(cap) & (load > cap)
    # a hair below the capacity, so rounding of the product cannot push the load over it
    scale[full] = cap[full] / load[full] * (1 - 1e-12)
    return a * scale[model.pairs_row]


def _restrict(model: _Model, open_rows: BoolArray) -> _Model:
    """The model with the rows in ``open_rows`` fixed open and all others closed (an LP)."""
    keep = open_rows[model.pairs_row]
    return _Model(
        model.pairs_row[keep],
        model.pairs_group[keep],
        model.stations,
        np.zeros(model.stations.size, dtype=bool),
        model.capacity,
        model.group_weight,
        model.group_of,
    )


def _assign(
    model: _Model, open_rows: BoolArray, *, time_limit_s: float
) -> tuple[FloatArray | None, float, str]:
    """Best assignment with exactly ``open_rows`` open: ``(fractions per pair, LP value,
    status)``; the fractions are None if HiGHS did not finish."""
    keep = open_rows[model.pairs_row]
    if not keep.any():
        return np.zeros(model.n_pairs), 0.0, "optimal (nothing open)"
    _, a_kept, value, status = _solve(
        _restrict(model, open_rows), 0, time_limit_s=time_limit_s, mip_rel_gap=0.0, node_limit=1
    )
    if a_kept is None:
        return None, value, status
    a = np.zeros(model.n_pairs)
    a[keep] = a_kept
    return _repair(model, open_rows.astype(np.float64), a), value, status


def _heuristic(
    model: _Model, n_sites: int, *, soft_deadline: float, deadline: float
) -> tuple[FloatArray, FloatArray | None, bool]:
    """Greedy sites, each the one serving most of the residents the plan so far leaves out.

    The next site is the candidate with the largest ``min(capacity, residents it reaches that
    are not assigned yet)``, ties to the lowest row. After each pick the assignment LP (open
    rows only, small) is re-solved to know who is still unassigned; after
    ``_HEURISTIC_LP_PICKS`` picks (or, as a safety net, past ``soft_deadline``) the residents a
    pick takes are instead removed in proportion from the buildings it reaches, and the LP is
    solved once at the end (by ``deadline``; if even that fails, the last plan with a solved LP
    is returned). Returns ``(x per reduced row, a per pair or None, whether the wall clock
    cut anything short)``.
    """
    n_g = int(model.group_weight.size)
    open_rows = ~model.is_candidate
    by_group = sp.csr_array(
        (np.ones(model.n_pairs), (model.pairs_row, model.pairs_group)),
        shape=(model.stations.size, n_g),
    )

    timed_out = False

    def solve_open(until: float) -> tuple[FloatArray | None, FloatArray]:
        nonlocal timed_out
        a, _, status = _assign(
            model, open_rows, time_limit_s=max(until - time.perf_counter(), 1.0)
        )
        timed_out = timed_out or time_limit_hit(status)
        if a is None:
            return None, model.group_weight.copy()
        served = np.bincount(
            model.pairs_group, weights=a * model.group_weight[model.pairs_group], minlength=n_g
        )
        return a, np.maximum(model.group_weight - served, 0.0)

    a, left = solve_open(deadline)
    good = (open_rows, a)
    stale = False
    for pick in range(n_sites):
        gain = np.minimum(np.asarray(by_group @ left, dtype=np.float64), model.capacity)
        gain[open_rows] = -np.inf
        best = int(np.argmax(gain))
        if not gain[best] > 0:
            break
        open_rows = open_rows.copy()
        open_rows[best] = True
        if not stale and pick < _HEURISTIC_LP_PICKS and time.perf_counter() >= soft_deadline:
            timed_out = True
        elif not stale and pick < _HEURISTIC_LP_PICKS:
            a, left = solve_open(deadline)
            if a is not None:
                good = (open_rows, a)
                continue
        groups = by_group.indices[by_group.indptr[best] : by_group.indptr[best + 1]]
        reach = float(left[groups].sum())
        left[groups] *= 1.0 - min(float(model.capacity[best]), reach) / reach
        stale = True
    if stale:
        a, _ = solve_open(deadline)
        if a is not None:
            good = (open_rows, a)
    return good[0].astype(np.float64), good[1], timed_out


def _uncapacitated(
    model: _Model, n_sites: int, *, time_limit_s: float, mip_rel_gap: float, node_limit: int
) -> tuple[float, BoolArray, bool]:
    """The best plan ignoring capacities: ``(proven bound on its coverage, its open rows,
    whether the wall-clock safety net stopped it)``.

    A capacitated plan never serves more than its stations reach, so the bound (residents of
    the groups the existing stations reach plus the plain model's proven bound on what
    ``n_sites`` candidates add) also bounds the capacitated optimum. Solved by
    :func:`planner.siting.maximize_coverage` on the reduced model's pattern.
    """
    n_rows = int(model.stations.size)
    n_g = int(model.group_weight.size)
    pattern = sp.csr_array(
        (np.ones(model.n_pairs), (model.pairs_row, model.pairs_group)), shape=(n_rows, n_g)
    )
    cand_rows = np.flatnonzero(model.is_candidate)
    already = _covered_by(pattern, np.flatnonzero(~model.is_candidate))
    plain = maximize_coverage(
        sp.csr_array(pattern[cand_rows]),
        model.group_weight,
        n_sites=min(n_sites, int(cand_rows.size)),
        already_covered=already,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        node_limit=node_limit,
    )
    open_rows = ~model.is_candidate
    open_rows[cand_rows[plain.sites]] = True
    bound = float(model.group_weight[already].sum()) + float(plain.upper_bound)
    return bound, open_rows, plain.time_limit_hit


def _simple_bound(model: _Model, n_sites: int) -> float:
    """Residents reachable at all, and open capacity (existing plus the largest candidates)."""
    w_pair = model.group_weight[model.pairs_group]
    reach = np.bincount(model.pairs_row, weights=w_pair, minlength=model.stations.size)
    room = np.minimum(model.capacity, reach)
    cand = np.sort(room[model.is_candidate])[::-1]
    by_capacity = float(room[~model.is_candidate].sum() + cand[:n_sites].sum())
    return min(float(model.group_weight.sum()), by_capacity)


# --------------------------------------------------------------------------------------------
# Public function
# --------------------------------------------------------------------------------------------


def maximize_capacitated_coverage(
    S_existing: SparseCoverage,
    S_candidates: SparseCoverage,
    population: ArrayLike,
    *,
    n_sites: int,
    capacity_existing: ArrayLike,
    capacity_new: ArrayLike,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    mip_rel_gap: float = 1e-6,
    node_limit: int = DEFAULT_NODE_LIMIT,
) -> CapacitatedResult:
    """Choose ``n_sites`` new stations so the most residents are served within capacity.

    Every resident may be assigned to one open station within the walking limit (existing
    stations are always open), residents of one building possibly split between stations; no
    station may be assigned more residents than its capacity. See the module docstring for the
    model, the reductions and the size limit.

    Parameters
    ----------
    S_existing
        Sparse ``(n_existing, n_demand)`` coverage of the existing stations (``n_existing`` may
        be 0).
    S_candidates
        Sparse ``(n_candidates, n_demand)`` coverage of the candidate sites.
    population
        Residents per demand point.
    n_sites
        Number of candidate sites to open, ``0 <= n_sites <= n_candidates``; 0 gives the
        capacitated coverage of the existing stations (a pure LP).
    capacity_existing, capacity_new
        Residents each existing station / each candidate site can serve: a number for all or
        one per row; ``numpy.inf`` for no limit.
    time_limit_s
        Wall-clock safety net for the whole call (``inf``, the default: off). On hitting it
        the best plan found is returned with its proven gap and ``time_limit_hit`` is True.
    mip_rel_gap
        HiGHS stops once its relative gap is at most this.
    node_limit
        Branch-and-bound nodes of the MILP (a work limit HiGHS counts itself, so the plan is
        the same on any machine); on reaching it the best plan found is returned with its gap.

    Returns
    -------
    CapacitatedResult

    Raises
    ------
    InputError
        If any input is malformed (every problem is listed), or if the reduced model has more
        pairs than ``CAPACITATED_MAX_PAIRS`` (``CAPACITATED_MAX_PAIRS_LP`` for ``n_sites=0``).
    SolverError
        If HiGHS solves neither the model nor the greedy plan's assignment LP within the time
        limit; raise ``time_limit_s``.
    """
    t0 = time.perf_counter()
    inst, cand, cap_e, cap_n = _read_inputs(
        S_existing,
        S_candidates,
        population,
        n_sites=n_sites,
        capacity_existing=capacity_existing,
        capacity_new=capacity_new,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        node_limit=node_limit,
    )
    n_e, n_c = inst.n_candidates, int(cand.shape[0])
    n_sites = int(n_sites)
    w = inst.population
    total = inst.total_population

    use_cand = cand if n_sites > 0 else sp.csr_array((0, cand.shape[1]))
    P = sp.csr_array(sp.vstack([inst.pattern, use_cand], format="csr"))
    capacity = np.r_[cap_e, cap_n if n_sites > 0 else np.zeros(0)]
    is_cand = np.r_[np.zeros(n_e, dtype=bool), np.ones(use_cand.shape[0], dtype=bool)]
    model = _drop_dominated(_build_model(P, w, capacity, is_cand))
    _check_size(model, n_e=n_e, n_sites=n_sites)

    notes: list[str] = []
    deadline = t0 + float(time_limit_s)
    bound = _simple_bound(model, n_sites)
    timed_out = False
    if model.n_pairs == 0:
        x_rows, a, status = np.ones(0), np.zeros(0), "nothing to assign"  # untranslated: status
    elif not model.is_candidate.any():  # a pure LP
        x_rows = np.ones(model.stations.size)
        a_lp, value, status = _assign(model, x_rows > 0, time_limit_s=float(time_limit_s))
        if a_lp is None:
            raise SolverError(
                gettext(
                    "{function}: HiGHS did not solve the assignment LP ({status}) within "
                    "{seconds} s; raise time_limit_s"
                ).format(
                    function="maximize_capacitated_coverage",
                    status=status,
                    seconds=number_text(time_limit_s),
                )
            )
        a = a_lp
        bound = min(bound, value)
    else:
        # a heuristic plan first: the answer if HiGHS finds nothing better within the limit
        x_rows, a_h, timed_out = _heuristic(
            model,
            n_sites,
            soft_deadline=time.perf_counter() + _HEURISTIC_SHARE * float(time_limit_s),
            deadline=deadline,
        )
        a = np.zeros(model.n_pairs) if a_h is None else a_h
        best = _objective(model, a)
        status = "greedy"
        tol = max(float(mip_rel_gap), OPTIMAL_REL_TOL)
        if best >= bound * (1 - tol):
            status = "optimal (greedy bound)"
        else:
            # the best plan without capacities: its coverage bounds every capacitated plan,
            # and its sites are a second start (the optimum itself when capacity does not bind)
            plain_bound, plain_rows, plain_timed_out = _uncapacitated(
                model,
                n_sites,
                time_limit_s=max(deadline - time.perf_counter(), 1.0),
                mip_rel_gap=float(mip_rel_gap),
                node_limit=int(node_limit),
            )
            bound = min(bound, plain_bound)
            a_p, _, p_status = _assign(
                model, plain_rows, time_limit_s=max(deadline - time.perf_counter(), 1.0)
            )
            timed_out = timed_out or plain_timed_out or time_limit_hit(p_status)
            if a_p is not None and _objective(model, a_p) > best:
                x_rows, a, best = plain_rows.astype(np.float64), a_p, _objective(model, a_p)
                a_h = a_p
                status = "plain plan"
            if best >= bound * (1 - tol):
                status = "optimal (plain-plan bound)"
        if not status.startswith("optimal"):
            x_sol, a_sol, milp_bound, status = _solve(
                model,
                n_sites,
                time_limit_s=max(deadline - time.perf_counter(), 1.0),
                mip_rel_gap=float(mip_rel_gap),
                node_limit=int(node_limit),
            )
            bound = min(bound, milp_bound)
            if x_sol is not None and a_sol is not None:
                a_milp = _repair(model, x_sol, a_sol)
                if _objective(model, a_milp) >= best:
                    x_rows, a, best = x_sol, a_milp, _objective(model, a_milp)
            elif a_h is None:
                raise SolverError(
                    gettext(
                        "{function}: HiGHS found no plan ({status}) within {seconds} s, and the "
                        "greedy plan's assignment LP did not finish either; raise time_limit_s "
                        "or pass fewer candidates"
                    ).format(
                        function="maximize_capacitated_coverage",
                        status=status,
                        seconds=number_text(time_limit_s),
                    )
                )
            else:
                notes.append(
                    gettext(
                        "HiGHS found no plan ({status}); the sites are the best start found "
                        "(greedy or the plain plan's sites)"
                    ).format(status=status)
                )
            if status.startswith("solver failed"):
                logger.warning("maximize_capacitated_coverage: HiGHS %s", status)
            if status in ("time limit", "node limit") and best >= bound * (1 - OPTIMAL_REL_TOL):
                # untranslated: solver status, a code in summary.json
                status = f"optimal (HiGHS bound at the {status})"
    return _result(
        model,
        inst.pattern,
        cand,
        w,
        total,
        n_e,
        n_c,
        cap_e,
        cap_n,
        x_rows,
        a,
        bound=bound,
        n_sites=n_sites,
        mip_rel_gap=float(mip_rel_gap),
        status=status,
        t0=t0,
        notes=notes,
        time_limit_s=float(time_limit_s),
        node_limit=int(node_limit),
        timed_out=timed_out or time_limit_hit(status),
    )


def _read_inputs(
    S_existing: SparseCoverage,
    S_candidates: SparseCoverage,
    population: ArrayLike,
    *,
    n_sites: int,
    capacity_existing: ArrayLike | float,
    capacity_new: ArrayLike | float,
    time_limit_s: float,
    mip_rel_gap: float,
    node_limit: int,
) -> tuple[_instance.Instance, sp.csr_array, FloatArray, FloatArray]:
    """The inputs of :func:`maximize_capacitated_coverage` checked; all problems together."""
    problems: list[str] = []
    inst = _instance.read_instance(
        S_existing, population, None, problems, name="S_existing", rows="station"
    )
    n_e = None if inst is None else inst.n_candidates
    n_d = None if inst is None else int(inst.pattern.shape[1])
    cand = _read_pattern_candidates(S_candidates, n_d, problems)
    n_c = None if cand is None else int(cand.shape[0])
    if not _instance.is_int(n_sites) or n_sites < 0:
        problems.append(
            gettext("{name}={value} must be a whole number >= 0").format(
                name="n_sites", value=repr(n_sites)
            )
        )
    elif n_c is not None and n_sites > n_c:
        problems.append(
            ngettext(
                "n_sites={n_sites} but there are only {n} candidate sites; ask for at most {n}",
                "n_sites={n_sites} but there are only {n} candidate sites; ask for at most {n}",
                n_c,
            ).format(n_sites=n_sites, n=n_c)
        )
    cap_e = _read_capacity("capacity_existing", capacity_existing, n_e, problems)
    cap_n = _read_capacity("capacity_new", capacity_new, n_c, problems)
    _instance.check_solver_options(time_limit_s, mip_rel_gap, problems, node_limit=node_limit)
    _instance.raise_if("maximize_capacitated_coverage", problems)
    assert inst is not None and cand is not None and n_e is not None and n_c is not None
    return inst, cand, cap_e, cap_n


def _check_size(model: _Model, *, n_e: int, n_sites: int) -> None:
    """Refuse a model larger than HiGHS solves in about a minute, saying what to pass instead."""
    limit = CAPACITATED_MAX_PAIRS if n_sites > 0 else CAPACITATED_MAX_PAIRS_LP
    if model.n_pairs > limit:
        raise InputError(
            gettext(
                "{function}: the model has {n} station-building pairs after reduction, more "
                "than the {limit} HiGHS handles in about a minute"
            ).format(
                function="maximize_capacitated_coverage",
                n=count_text(model.n_pairs),
                limit=count_text(limit),
            ),
            [
                gettext(
                    "{existing} existing stations and {candidates} useful candidate sites over "
                    "{buildings} buildings with residents"
                ).format(
                    existing=n_e,
                    candidates=model.is_candidate.sum(),
                    buildings=count_text(int((model.group_of >= 0).sum())),
                )
            ],
            gettext(
                "Pass fewer candidates (e.g. the best 3-5 x n_sites from {function}, which "
                "scales to whole cities), or a shorter walking limit; to check a chosen set of "
                "sites, append its rows to S_existing and call with n_sites=0 (a pure LP, limit "
                "{limit} pairs)."
            ).format(
                function="planner.siting.maximize_coverage(..., method='greedy')",
                limit=count_text(CAPACITATED_MAX_PAIRS_LP),
            ),
        )


def _result(
    model: _Model,
    E: sp.csr_array,
    C: sp.csr_array,
    w: FloatArray,
    total: float,
    n_e: int,
    n_c: int,
    cap_e: FloatArray,
    cap_n: FloatArray,
    x_rows: FloatArray,
    a: FloatArray,
    *,
    bound: float,
    n_sites: int,
    mip_rel_gap: float,
    status: str,
    t0: float,
    notes: list[str],
    time_limit_s: float,
    node_limit: int,
    timed_out: bool,
) -> CapacitatedResult:
    n_d = int(E.shape[1])
    n_g = int(model.group_weight.size)
    # back to buildings: every building of a merged group gets the group's fractions
    members = np.flatnonzero(model.group_of >= 0)
    to_buildings = sp.csr_array((w[members], (model.group_of[members], members)), shape=(n_g, n_d))
    fractions = sp.csr_array(
        (a, (model.stations[model.pairs_row], model.pairs_group)), shape=(n_e + n_c, n_g)
    )
    full = sp.csr_array(fractions @ to_buildings)
    full.eliminate_zeros()
    full.sort_indices()
    assign_e = sp.csr_array(full[:n_e])
    assign_n = sp.csr_array(full[n_e:])
    load = np.asarray(full.sum(axis=1)).reshape(-1)
    open_sites = np.sort(model.stations[(x_rows > 0.5) & model.is_candidate] - n_e)
    sites = open_sites[load[n_e + open_sites] > 0]
    assigned = float(load.sum())
    reach = _covered_by(E, np.arange(n_e, dtype=np.intp)) | _covered_by(C, sites)
    assigned_j = np.asarray(full.sum(axis=0)).reshape(-1)
    unassigned = np.where(reach, np.maximum(w - assigned_j, 0.0), 0.0)
    within = float(w[reach].sum())
    upper = max(bound, assigned)  # inf when HiGHS proved no bound
    gap = 0.0 if upper <= 0 else 1.0 if math.isinf(upper) else (upper - assigned) / upper
    if sites.size < n_sites:
        notes.append(
            ngettext(
                "{used} of {n} sites used: no other candidate would serve anybody",
                "{used} of {n} sites used: no other candidate would serve anybody",
                n_sites,
            ).format(used=sites.size, n=n_sites)
        )
    if not gap <= max(mip_rel_gap, OPTIMAL_REL_TOL):
        short = percent_text(gap)
        if timed_out:
            note = gettext(
                "time limit of {seconds} s reached; best found, at most {gap} short of the best "
                "possible plan (not proved optimal)"
            ).format(seconds=number_text(time_limit_s), gap=short)
        elif "node limit" in status:
            note = gettext(
                "node limit of {nodes} reached; best found, at most {gap} short of the best "
                "possible plan (not proved optimal)"
            ).format(nodes=count_text(node_limit), gap=short)
        else:
            note = gettext(
                "best found, at most {gap} short of the best possible plan (not proved optimal)"
            ).format(gap=short)
        notes.append(note)
    elif timed_out:
        notes.append(
            gettext("time limit of {seconds} s reached").format(
                seconds=number_text(time_limit_s)
            )
        )
    return CapacitatedResult(
        sites=sites.astype(np.intp),
        assigned_per_station=np.r_[load[:n_e], load[n_e + sites]].astype(np.float64),
        capacity_per_station=np.r_[cap_e, cap_n[sites]].astype(np.float64),
        assignment_existing=assign_e,
        assignment_new=assign_n,
        assigned_population=assigned,
        within_reach_population=within,
        over_capacity_population=max(within - assigned, 0.0),
        unassigned_within_reach=unassigned,
        total_population=total,
        assigned_share=assigned / total if total > 0 else 0.0,
        upper_bound=upper,
        gap=gap,
        proven_optimal=gap <= max(mip_rel_gap, OPTIMAL_REL_TOL),
        n_sites_requested=n_sites,
        n_pairs=model.n_pairs,
        status=status,
        runtime_s=time.perf_counter() - t0,
        message="; ".join(notes),
        time_limit_hit=timed_out,
    )
