"""Sharing new stations among units (cities) exactly, by dynamic programming: the numeric core.

Everything here works on 1-D numpy arrays, one per unit, and knows nothing about files,
geometry or how the per-unit numbers were computed.

Inputs shared by every function
-------------------------------
curves
    One curve per unit ``i = 0 .. U-1``: ``curves[i][k]`` is the number of residents newly covered
    with ``k`` new stations in that unit (the best plan found), ``k = 0 .. K_i``. Beyond ``K_i``
    the curve is *flat*: ``curves[i][k] = curves[i][K_i]`` for ``k > K_i`` (``K_i`` is where no
    candidate adds anybody, or the per-unit budget the curve was computed up to). A curve starts
    at 0 and never decreases (both checked to within ``1e-9`` times its largest value); it need
    not be concave.
bounds
    Optional, the same lengths as ``curves``: ``bounds[i][k]`` is a proven upper bound on the best
    value *any* plan with ``k`` stations could reach in unit ``i`` (so ``bounds[i][k] >=
    curves[i][k]``), flat beyond its end like the curve.
min_new, max_new
    Optional per-unit numbers of stations: at least ``min_new[i]`` and at most ``max_new[i]``
    (``np.inf`` for no cap). ``None`` means 0 and no cap for every unit; a fixed quota ``q`` is
    ``min_new[i] = max_new[i] = q``.

The dynamic programme
---------------------
Write ``c_i(k)`` for the flat-extended curve and ``L_i <= k <= H_i`` for unit ``i``'s limits.
With ``G_0(0) = 0`` and ``G_0(t) = -inf`` for ``t > 0``, the best value of units ``0 .. i`` with
*exactly* ``t`` stations in all is::

    G_{i+1}(t) = max over L_i <= k <= min(H_i, t) of  G_i(t - k) + c_i(k)

and the best national value for a budget ``b`` is ``best(b) = max_{t <= b} G_U(t)`` ("at most
``b`` stations"). This is exact for *any* curve shape: every allocation ``(k_0, .., k_{U-1})``
with total ``t`` is one path through the recurrence, and the recurrence keeps, for each ``t``,
the best of all of them (the objective is a sum of per-unit terms coupled only through the total).
No concavity or monotonicity is used. One unit costs ``O(N * K)`` (the table of candidates
``G_i(t - k) + c_i(k)``, shape ``(N + 1, K + 1)``, is maximised row-wise by numpy in blocks of
bounded memory), the whole run ``O(U * N * K)``. Because curves are flat beyond ``K_i``,
a unit never needs more than ``max(K_i, L_i)`` stations, which caps ``K`` (and ``N``: budgets
beyond the sum of these caps change nothing).

Ties. Values within ``1e-9`` (relative) of the optimum count as equal. Among them the allocation
with the **fewest stations in total** is returned: stations that add nobody are not placed
(unless a minimum forces them). Among the optimal allocations with that total, the **last unit
gets as few stations as possible, then the second-to-last, and so on** (the lexicographically
smallest allocation read from the last unit backwards), which is the order the backtracking
meets them in. The result depends on nothing but the inputs.

Why greedy is exact only for concave curves
-------------------------------------------
The classical greedy rule (repeatedly give a station to the unit whose curve rises most at its
next station) is optimal when every curve has non-increasing gains (concave): then the ``b``
largest gains over all units can be taken in order, and taking them is optimal. The exact best
value of maximal coverage as a function of ``k`` need not be concave, though. Elements
``1 .. 9`` of weight 1 and the sets ``A = {1,2,3}``, ``B = {4,5,6}``, ``C = {7,8,9}``,
``D = {1,2,4,5,7,8}`` give ``OPT(1) = 6`` (``D``), ``OPT(2) = 7`` (``D`` plus any other),
``OPT(3) = 9`` (``A, B, C``): gains 6, 1, 2. Next to a unit whose first station adds 1.5, greedy
with 3 stations spends the second one there (1.5 > 1) and ends with ``7 + 1.5 = 8.5``, while
``9 + 0 = 9`` was possible. Curves computed by the exact per-unit solver therefore need the
dynamic programme; :func:`allocate_greedy` is kept to show where greedy loses.

The national upper bound
------------------------
With ``bounds``, the same dynamic programme is run on the bound curves with the same limits and
the same budget; call its optimum ``B*``. Let ``(k_0, .., k_{U-1})`` be *any* allocation that
meets the limits and the budget, and ``OPT_i(k)`` the true best value of unit ``i`` with ``k``
stations. Then ``sum_i OPT_i(k_i) <= sum_i bounds_i(k_i) <= B*``: the first step termwise
because each ``bounds_i`` bounds ``OPT_i``, the second because the dynamic programme maximises
exactly this sum over exactly these allocations. So ``B*`` bounds the best national value
of every allocation with every per-unit plan, and the reported ``upper_bound = max(B*,
newly_covered)`` and ``gap = (upper_bound - newly_covered) / upper_bound`` are proven. Before
this, each bound curve is replaced by its suffix minimum ``min_{j >= k} bounds_i(j)``, which is
still a valid bound because ``OPT_i`` never decreases (``OPT_i(k) <= OPT_i(j) <= bounds_i(j)``
for ``j >= k``), and is tighter when the per-``k`` bounds came from separate solves.

Without ``bounds``, ``upper_bound = newly_covered`` and ``gap = 0``: the allocation is then
*exact with respect to the curves*, not proven optimal with respect to the unknown true per-unit
optima (each curve is only the best plan found).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from planner._format import plain
from planner._types import FloatArray, Int64Array
from planner.errors import InputError
from planner.i18n import N_, gettext, ngettext

__all__ = ["Allocation", "allocate", "allocate_greedy", "fewest_for_target", "refinement_points"]

logger = logging.getLogger(__name__)

#: Relative tolerance: values this close count as equal (ties, targets), curves may dip by this
#: fraction of their largest value, start this close to 0, and bounds may fall this far below
#: their curve (rounding in the solvers that produced them).
REL_TOL = 1e-9

#: Cells of the DP table handled in one numpy block (memory ~ 30 bytes per cell at the peak).
_CELLS = 1 << 20



@dataclass(frozen=True, eq=False, kw_only=True)
class Allocation:
    """New stations shared among units, with the national value and its proven bound.

    Attributes
    ----------
    new_stations
        Stations per unit, aligned with the curves.
    newly_covered
        ``sum_i curves[i][new_stations[i]]`` (flat beyond each curve's end), summed in unit
        order.
    upper_bound
        Proven upper bound on the best national value of any allocation meeting the same limits
        and budget (see the module docstring). Equal to ``newly_covered`` when no bounds were
        given (:func:`allocate`), and to the exact optimum over the curves for
        :func:`allocate_greedy`.
    gap
        ``(upper_bound - newly_covered) / upper_bound``; 0 when ``upper_bound`` is 0.
    budget
        The number of new stations allowed (``n_new``; for :func:`fewest_for_target`, the
        smallest budget that reaches the target).
    used
        ``new_stations.sum()``; less than ``budget`` when no unit gains from more stations.
    best_by_budget
        Best national value for every budget ``b = 0 .. budget`` under the same limits (for
        greedy: greedy's value). ``-inf`` for budgets below ``sum(min_new)``, which no allocation
        meets. Non-decreasing.
    bound_by_budget
        The national upper bound for every budget ``b = 0 .. budget``; ``>= best_by_budget``.
        Equal to ``best_by_budget`` when no bounds were given.
    method
        ``"dynamic programming"`` or ``"greedy"``.
    """

    new_stations: Int64Array
    newly_covered: float
    upper_bound: float
    gap: float
    budget: int
    used: int
    best_by_budget: FloatArray
    bound_by_budget: FloatArray
    method: str


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def allocate(
    curves: Sequence[ArrayLike],
    n_new: int,
    *,
    bounds: Sequence[ArrayLike] | None = None,
    min_new: ArrayLike | None = None,
    max_new: ArrayLike | None = None,
    names: Sequence[str] | None = None,
) -> Allocation:
    """Share at most ``n_new`` new stations among units to cover the most residents, exactly.

    Parameters
    ----------
    curves
        Per unit, residents newly covered with ``k = 0, 1, ..`` new stations (see the module
        docstring); any non-decreasing shape starting at 0.
    n_new
        Number of new stations available nationally (at most this many are placed).
    bounds
        Per unit, proven upper bounds on the best value with ``k`` stations, the same lengths as
        ``curves``. Gives a proven national ``upper_bound`` and ``gap``.
    min_new, max_new
        Per-unit least and most new stations (whole numbers; ``np.inf`` in ``max_new`` for no
        cap). ``None``: 0 and no cap.
    names
        Unit names, used in error messages.

    Returns
    -------
    Allocation
        The optimal allocation using the fewest stations among those within ``1e-9`` (relative)
        of the best value; remaining ties give the later units fewer stations.

    Raises
    ------
    InputError
        Bad curves, bounds or limits (every problem listed), or minimums that need more than
        ``n_new`` stations.
    """
    units = _validate("allocate", curves, bounds, min_new, max_new, names)
    budget = _check_count("allocate", "n_new", n_new)
    _check_minimums(units, budget, "n_new", "--new-stations")
    lo, hi = _limits(units, budget)
    final, choice = _forward(units.curves, lo, hi, budget)
    best = _by_budget(final, budget)
    alloc, value = _backtrack(final, choice, best, budget, units.curves)
    bound = _bound_by_budget(units, lo, hi, budget, best)
    return _result(alloc, value, bound, budget, best, "dynamic programming", units.has_bounds)


def allocate_greedy(
    curves: Sequence[ArrayLike],
    n_new: int,
    *,
    min_new: ArrayLike | None = None,
    max_new: ArrayLike | None = None,
    names: Sequence[str] | None = None,
) -> Allocation:
    """Share new stations by the classical greedy marginal rule (for comparison).

    Every unit first gets its minimum; then, one station at a time, the unit whose curve rises
    most with its next station gets it (ties: the lowest unit index), skipping units at their
    ``max_new``, until no unit gains anything (gain ``> 0``) or the budget is spent.

    Optimal when every curve has non-increasing gains (concave); otherwise it can lose (see the
    module docstring). The result's ``upper_bound`` is the exact optimum over the curves
    (computed by :func:`allocate`), so ``gap`` shows what greedy gave away.

    Parameters
    ----------
    curves, n_new, min_new, max_new, names
        As in :func:`allocate`.

    Returns
    -------
    Allocation
        With ``method="greedy"``; ``best_by_budget[b]`` is greedy's value with budget ``b``
        (greedy's plans are nested, so they are prefixes of one run).

    Raises
    ------
    InputError
        As :func:`allocate`.
    """
    units = _validate("allocate_greedy", curves, None, min_new, max_new, names)
    budget = _check_count("allocate_greedy", "n_new", n_new)
    _check_minimums(units, budget, "n_new", "--new-stations")
    lo, hi = _limits(units, budget)

    k = lo.copy()
    ends = np.array([c.size - 1 for c in units.curves], dtype=np.int64)

    def gain(i: int) -> float:
        if k[i] >= hi[i]:
            return -math.inf
        c = units.curves[i]
        return float(c[min(k[i] + 1, ends[i])] - c[min(k[i], ends[i])])

    gains = np.array([gain(i) for i in range(k.size)], dtype=np.float64)
    used_min = int(lo.sum())
    values = [_value(units.curves, k)]
    for _ in range(budget - used_min):
        if gains.size == 0:
            break
        i = int(np.argmax(gains))  # first maximum: lowest index on ties
        if not gains[i] > 0:
            break
        k[i] += 1
        gains[i] = gain(i)
        values.append(_value(units.curves, k))

    greedy_best = np.full(budget + 1, -np.inf)
    steps = np.arange(budget + 1) - used_min
    feasible = steps >= 0
    greedy_best[feasible] = np.asarray(values)[np.minimum(steps[feasible], len(values) - 1)]

    final, _ = _forward(units.curves, lo, hi, budget)
    exact = np.maximum(_by_budget(final, budget), greedy_best)
    return _result(k, values[-1], exact, budget, greedy_best, "greedy", has_bounds=True)


def fewest_for_target(
    curves: Sequence[ArrayLike],
    target_newly_covered: float,
    *,
    max_total: int,
    bounds: Sequence[ArrayLike] | None = None,
    min_new: ArrayLike | None = None,
    max_new: ArrayLike | None = None,
    names: Sequence[str] | None = None,
) -> Allocation | None:
    """The fewest new stations nationally that newly cover at least a target number of residents.

    One dynamic programme for ``max_total`` gives the best value for every budget ``b <=
    max_total``; the smallest ``b`` whose best value reaches the target (to within ``1e-9``
    relative) is chosen, and its optimal allocation returned.

    Parameters
    ----------
    curves, bounds, min_new, max_new, names
        As in :func:`allocate`.
    target_newly_covered
        Residents to cover newly, nationally.
    max_total
        Largest number of new stations to consider.

    Returns
    -------
    Allocation or None
        The allocation for the smallest sufficient budget (``budget`` is that number, and
        ``best_by_budget`` runs up to it); ``None`` when even ``max_total`` stations cannot reach
        the target.

    Raises
    ------
    InputError
        As :func:`allocate`; also for a target that is not a finite number, or minimums that
        need more than ``max_total`` stations.
    """
    units = _validate("fewest_for_target", curves, bounds, min_new, max_new, names)
    limit = _check_count("fewest_for_target", "max_total", max_total)
    if (
        not isinstance(target_newly_covered, int | float | np.integer | np.floating)
        or isinstance(target_newly_covered, bool | np.bool_)
        or not math.isfinite(target_newly_covered)
    ):
        raise InputError(
            gettext("{function}: {name}={value} is not a finite number").format(
                function="fewest_for_target",
                name="target_newly_covered",
                value=plain(target_newly_covered),
            ),
            hint=gettext("Pass the number of residents to cover newly, e.g. 25000."),
        )
    target = float(target_newly_covered)
    _check_minimums(units, limit, "max_total", "max_total")
    lo, hi = _limits(units, limit)
    final, choice = _forward(units.curves, lo, hi, limit)
    best = _by_budget(final, limit)
    reached = np.flatnonzero(best >= target - REL_TOL * abs(target))
    if reached.size == 0:
        logger.debug(  # untranslated: log record for developers
            "target %.6g unreachable: best with %d stations %.6g", target, limit, best[-1]
        )
        return None
    budget = int(reached[0])
    alloc, value = _backtrack(final, choice, best, budget, units.curves)
    bound = _bound_by_budget(units, lo, hi, limit, best)
    return _result(
        alloc,
        value,
        bound[: budget + 1],
        budget,
        best[: budget + 1],
        "dynamic programming",
        units.has_bounds,
    )


def refinement_points(
    curves: Sequence[ArrayLike],
    bounds: Sequence[ArrayLike],
    n_new: int,
    *,
    settled: Sequence[ArrayLike],
    min_new: ArrayLike | None = None,
    max_new: ArrayLike | None = None,
    names: Sequence[str] | None = None,
    ahead: int = 0,
    proven: Sequence[ArrayLike] | None = None,
) -> list[Int64Array]:
    """The curve points whose proof can narrow the national gap, per unit.

    The national bound ``B*`` is reached by an allocation ``u`` of the *bound* curves (the
    dynamic programme of :func:`allocate` run on the bounds). If every point ``(i, u_i)`` were
    proven (curve equal to bound), ``sum_i curves_i(u_i) = B*`` would be a feasible value, so
    the best allocation over the curves would reach ``B*``: the national gap would be 0. Each
    unit's points returned are therefore, among ``k = 1 .. K_i``: ``u_i``, the unit's ``k_i`` in
    the best allocation over the curves (its plan is the one built), ``k_i + 1`` (where the
    allocation moves next) and, once ``k_i`` and ``k_i + 1`` are ``proven``, every ``k`` below
    ``k_i`` (so the whole curve a user reads up to the unit's allocation + 1 is proven, not only
    the points the gap needs; a unit whose allocation the solver cannot prove is spared the
    work below it), each only when it is not ``settled`` (proven, or already solved as far as
    the solver's limits allow). Solving them and calling this again until nothing is returned
    closes the gap, except at points the solver could not prove.

    Parameters
    ----------
    curves, bounds, min_new, max_new, names
        As in :func:`allocate` (``bounds`` required).
    n_new
        The national budget.
    settled
        Per unit, booleans of the curve's length: ``True`` where the point needs no more work.
    ahead
        Also up to this many unsettled points above ``u_i`` (when ``u_i`` itself is unsettled):
        as bounds fall, the allocation over the bounds tends to move up one point per round,
        so solving a few ahead saves rounds (each round waits for its slowest point).
    proven
        Per unit, booleans of the curve's length: ``True`` where the point is proven optimal
        (default: ``settled``).

    Returns
    -------
    list of numpy.ndarray
        Per unit, the sorted values of ``k`` to solve (often empty).

    Raises
    ------
    InputError
        As :func:`allocate`; also when ``settled`` does not match the curves.
    """
    units = _validate("refinement_points", curves, bounds, min_new, max_new, names)
    budget = _check_count("refinement_points", "n_new", n_new)
    _check_minimums(units, budget, "n_new", "--new-stations")
    assert units.bounds is not None
    done = _per_curve("settled", settled, units.curves)
    exact = done if proven is None else _per_curve("proven", proven, units.curves)
    lo, hi = _limits(units, budget)
    final, choice = _forward(units.curves, lo, hi, budget)
    lower, _ = _backtrack(final, choice, _by_budget(final, budget), budget, units.curves)
    tightened = _tightened(units.bounds)
    final_b, choice_b = _forward(tightened, lo, hi, budget)
    upper, _ = _backtrack(final_b, choice_b, _by_budget(final_b, budget), budget, tightened)
    out = []
    for c, s, e, k_low, k_up in zip(units.curves, done, exact, lower, upper, strict=True):
        wanted = {int(k_low), int(k_low) + 1, int(k_up)}
        if e[int(k_low) : int(k_low) + 2].all():  # the allocation's points are proven
            wanted |= set(range(1, int(k_low)))
        if ahead > 0 and 1 <= k_up < c.size and not s[k_up]:
            above = np.flatnonzero(~s[int(k_up) + 1 :])[:ahead] + int(k_up) + 1
            wanted |= {int(k) for k in above}
        out.append(np.array(sorted(k for k in wanted if 1 <= k < c.size and not s[k]), np.int64))
    return out


def _per_curve(
    name: str, values: Sequence[ArrayLike], curves: Sequence[FloatArray]
) -> list[NDArray[np.bool_]]:
    """``values`` as booleans, one array per curve of the curve's length, or InputError."""
    arrays = [np.asarray(v, dtype=bool) for v in values]
    wrong = [
        i for i, (a, c) in enumerate(zip(arrays, curves, strict=False)) if a.shape != c.shape
    ]
    if len(arrays) != len(curves) or wrong:
        raise InputError(
            gettext(
                "{function}: {name} must have one array per curve, of the curve's length"
            ).format(function="refinement_points", name=name),
            [f"unit {i}: {arrays[i].shape} vs {curves[i].shape}" for i in wrong[:10]],
        )
    return arrays


# --------------------------------------------------------------------------------------------
# The dynamic programme
# --------------------------------------------------------------------------------------------


def _limits(units: _Units, budget: int) -> tuple[Int64Array, Int64Array]:
    """Effective per-unit limits: a unit never needs more than ``max(K_i, min_i)`` stations
    (flat beyond ``K_i``), nor more than the budget leaves after the other units' minimums."""
    lo = units.min_new
    ends = np.array([c.size - 1 for c in units.curves], dtype=np.int64)
    useful = np.maximum(ends, lo).astype(np.float64)
    room = budget - (int(lo.sum()) - lo)
    hi = np.minimum(np.minimum(units.max_new, useful), room).astype(np.int64)
    return lo, hi


def _forward(
    values: Sequence[FloatArray], lo: Int64Array, hi: Int64Array, budget: int
) -> tuple[FloatArray, Int64Array]:
    """``G_U(t)`` for every exact total ``t``, and the smallest optimal ``k`` per unit and ``t``.

    Totals beyond the sum of the units' caps are unreachable, so the table stops there (the
    caller extends ``best`` flat).
    """
    n = int(min(budget, int(hi.sum()))) if hi.size else 0
    G = np.full(n + 1, -np.inf)
    G[0] = 0.0
    choice = np.zeros((len(values), n + 1), dtype=np.int64)
    reach = 0  # largest total units 0..i-1 can use: G is -inf beyond it
    for i, c in enumerate(values):
        ks = np.arange(lo[i], min(int(hi[i]), n) + 1, dtype=np.int64)
        gains = c[np.minimum(ks, c.size - 1)]
        reach = min(reach + int(ks[-1]), n)
        new_G = np.full(n + 1, -np.inf)
        rows = max(1, _CELLS // ks.size)  # bound the memory of one block of the table
        for start in range(0, reach + 1, rows):
            totals = np.arange(start, min(start + rows, reach + 1))
            prev = totals[:, None] - ks[None, :]  # row t, column j: total left for units < i
            table = np.where(prev >= 0, G[np.maximum(prev, 0)] + gains[None, :], -np.inf)
            j = np.argmax(table, axis=1)  # first maximum: the fewest stations in unit i
            new_G[totals] = table[np.arange(totals.size), j]
            choice[i, totals] = ks[j]
        G = new_G
    return G, choice


def _by_budget(final: FloatArray, budget: int) -> FloatArray:
    """``best(b) = max_{t <= b} G_U(t)`` for ``b = 0 .. budget`` (flat beyond the table)."""
    best = np.maximum.accumulate(final)
    if best.size < budget + 1:
        best = np.concatenate([best, np.full(budget + 1 - best.size, best[-1])])
    return best


def _backtrack(
    final: FloatArray,
    choice: Int64Array,
    best: FloatArray,
    budget: int,
    values: Sequence[FloatArray],
) -> tuple[Int64Array, float]:
    """The allocation for ``budget``: the fewest total stations within ``REL_TOL`` of the best,
    then the fewest stations in the last unit, the second-to-last, ..."""
    target = best[budget]
    usable = final[: budget + 1]
    t = int(np.flatnonzero(usable >= target - REL_TOL * abs(target))[0])
    alloc = np.zeros(choice.shape[0], dtype=np.int64)
    for i in range(choice.shape[0] - 1, -1, -1):
        alloc[i] = choice[i, t]
        t -= int(alloc[i])
    return alloc, _value(values, alloc)


def _value(values: Sequence[FloatArray], alloc: Int64Array) -> float:
    """``sum_i c_i(k_i)``, flat beyond each curve's end, summed in unit order as the DP does."""
    total = 0.0
    for c, k in zip(values, alloc, strict=True):
        total += float(c[min(int(k), c.size - 1)])
    return total


def _bound_by_budget(
    units: _Units, lo: Int64Array, hi: Int64Array, budget: int, best: FloatArray
) -> FloatArray:
    """The national bound for every budget (``best`` itself without bounds)."""
    if units.bounds is None:
        return best.copy()
    final, _ = _forward(_tightened(units.bounds), lo, hi, budget)
    return np.maximum(_by_budget(final, budget), best)


def _tightened(bounds: Sequence[FloatArray]) -> list[FloatArray]:
    """Each bound curve replaced by its suffix minimum ``min_{j >= k} bounds(j)``: still a bound
    (``OPT`` never decreases), and tighter (see the module docstring)."""
    return [np.minimum.accumulate(b[::-1])[::-1] for b in bounds]


def _result(
    alloc: Int64Array,
    value: float,
    bound_by_budget: FloatArray,
    budget: int,
    best_by_budget: FloatArray,
    method: str,
    has_bounds: bool,
) -> Allocation:
    upper = max(float(bound_by_budget[budget]), value) if has_bounds else value
    gap = (upper - value) / upper if upper > 0 else 0.0
    return Allocation(
        new_stations=alloc.astype(np.int64),
        newly_covered=value,
        upper_bound=upper,
        gap=gap,
        budget=budget,
        used=int(alloc.sum()),
        best_by_budget=best_by_budget.astype(np.float64),
        bound_by_budget=bound_by_budget.astype(np.float64),
        method=method,
    )


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, kw_only=True)
class _Units:
    """Validated inputs: float curves (and bounds), integer minimums, float caps (inf = none)."""

    curves: list[FloatArray]
    bounds: list[FloatArray] | None
    min_new: Int64Array
    max_new: FloatArray

    @property
    def has_bounds(self) -> bool:
        return self.bounds is not None


def _validate(
    func: str,
    curves: Sequence[ArrayLike],
    bounds: Sequence[ArrayLike] | None,
    min_new: ArrayLike | None,
    max_new: ArrayLike | None,
    names: Sequence[str] | None,
) -> _Units:
    problems: list[str] = []
    if isinstance(curves, str | bytes) or not hasattr(curves, "__len__"):
        raise InputError(
            gettext(
                "{function}: curves must be a sequence with one 1-D array per unit, got {type}"
            ).format(function=func, type=type(curves).__name__),
            hint=gettext("Pass a list such as {example}.").format(
                example="[np.array([0, 120, 200]), np.array([0, 80])]"
            ),
        )
    n_units = len(curves)
    labels = [gettext("unit {name}").format(name=i) for i in range(n_units)]
    if names is not None:
        if isinstance(names, str):
            problems.append(
                ngettext(
                    "names has a string but there are {n} units (curves)",
                    "names has a string but there are {n} units (curves)",
                    n_units,
                ).format(n=n_units)
            )
        elif len(names) != n_units:
            problems.append(
                ngettext(
                    "names has {count} names but there are {n} units (curves)",
                    "names has {count} names but there are {n} units (curves)",
                    n_units,
                ).format(count=len(names), n=n_units)
            )
        else:
            labels = [gettext("unit {name}").format(name=plain(name)) for name in names]

    parsed = [_read_curve(labels[i], "curve", curves[i], problems) for i in range(n_units)]

    parsed_bounds: list[FloatArray | None] | None = None
    if bounds is not None:
        if isinstance(bounds, str | bytes) or not hasattr(bounds, "__len__"):
            problems.append(
                gettext("bounds must be a sequence with one 1-D array per unit, like curves")
            )
        elif len(bounds) != n_units:
            problems.append(
                gettext("bounds has {n} arrays but curves has {units}; give one per unit").format(
                    n=len(bounds), units=n_units
                )
            )
        else:
            parsed_bounds = [
                _read_curve(labels[i], "bound", bounds[i], problems) for i in range(n_units)
            ]
            for label, c, b in zip(labels, parsed, parsed_bounds, strict=True):
                if c is not None and b is not None:
                    _check_bound(label, c, b, problems)

    lo = _read_limits("min_new", min_new, n_units, labels, problems, allow_inf=False)
    hi = _read_limits("max_new", max_new, n_units, labels, problems, allow_inf=True)
    if lo is not None and hi is not None:
        for i in np.flatnonzero(lo > hi):
            problems.append(
                gettext(
                    "{unit}: min_new {low} is more than max_new {high}; lower the minimum or "
                    "raise the cap"
                ).format(unit=labels[i], low=int(lo[i]), high=int(hi[i]))
            )

    if problems:
        raise InputError(
            ngettext(
                "{function}: {n} problem(s) with the input",
                "{function}: {n} problem(s) with the input",
                len(problems),
            ).format(function=func, n=len(problems)),
            problems,
            gettext("Each line names the unit and what is wrong; fix them all and call again."),
        )
    ok_curves = [c for c in parsed if c is not None]
    ok_bounds = None if parsed_bounds is None else [b for b in parsed_bounds if b is not None]
    return _Units(
        curves=ok_curves,
        bounds=ok_bounds,
        min_new=np.zeros(n_units, dtype=np.int64) if lo is None else lo.astype(np.int64),
        max_new=np.full(n_units, np.inf) if hi is None else hi,
    )


#: What :func:`_read_curve` reads, as its messages name it.
_KINDS = {"curve": N_("curve"), "bound": N_("bound")}


def _read_curve(label: str, kind: str, values: object, problems: list[str]) -> FloatArray | None:
    what = gettext(_KINDS[kind])
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        problems.append(
            gettext("{unit}: {kind} is not an array of numbers").format(unit=label, kind=what)
        )
        return None
    if arr.ndim != 1 or arr.size == 0:
        problems.append(
            gettext(
                "{unit}: {kind} has shape {shape}; it must be a non-empty 1-D array indexed by "
                "the number of new stations k = 0, 1, ..."
            ).format(unit=label, kind=what, shape=arr.shape)
        )
        return None
    bad = ~np.isfinite(arr)
    if bad.any():
        problems.append(
            gettext(
                "{unit}: {kind} holds NaN or infinite values at k = {where}; every value must be "
                "a finite number of residents"
            ).format(unit=label, kind=what, where=_where(bad))
        )
        return None
    if (arr < 0).any():
        problems.append(
            gettext(
                "{unit}: {kind} is negative at k = {where}; residents cannot be fewer than 0"
            ).format(unit=label, kind=what, where=_where(arr < 0))
        )
        return None
    if kind == "curve":
        _check_curve(label, arr, problems)
    return arr


def _check_curve(label: str, c: FloatArray, problems: list[str]) -> None:
    tol = REL_TOL * float(c.max())
    if c[0] > tol:
        problems.append(
            gettext(
                "{unit}: curve starts at {value} with k = 0 new stations; it must start at 0 (it "
                "counts residents *newly* covered, beyond the existing stations)"
            ).format(unit=label, value=plain(c[0]))
        )
    down = np.diff(c) < -tol
    if down.any():
        k = int(np.flatnonzero(down)[0]) + 1
        problems.append(
            gettext(
                "{unit}: curve decreases at k = {where} (e.g. {before} -> {after} at k = {k}); "
                "more stations never cover fewer residents, so use the best plan with at most k "
                "stations ({function}) or check that unit's solver"
            ).format(
                unit=label,
                where=_where(down, offset=1),
                before=plain(c[k - 1]),
                after=plain(c[k]),
                k=k,
                function="np.maximum.accumulate",
            )
        )


def _check_bound(label: str, c: FloatArray, b: FloatArray, problems: list[str]) -> None:
    if b.size != c.size:
        problems.append(
            gettext(
                "{unit}: bound has {n} values but the curve has {size}; bounds[i] must give a "
                "bound for every k of curves[i]"
            ).format(unit=label, n=b.size, size=c.size)
        )
        return
    below = b < c - REL_TOL * float(max(c.max(), b.max()))
    if below.any():
        k = int(np.flatnonzero(below)[0])
        problems.append(
            gettext(
                "{unit}: bound is below the curve at k = {where} (e.g. {bound} < {value} at k = "
                "{k}); an upper bound can never be below a value actually reached"
            ).format(unit=label, where=_where(below), bound=plain(b[k]), value=plain(c[k]), k=k)
        )


def _read_limits(
    name: str,
    values: ArrayLike | None,
    n_units: int,
    labels: list[str],
    problems: list[str],
    *,
    allow_inf: bool,
) -> FloatArray | None:
    """Per-unit limits as floats (whole numbers, or +inf where allowed); None when absent/bad."""
    if values is None:
        return None
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        problems.append(
            gettext("{name} must be an array of whole numbers, one per unit").format(name=name)
        )
        return None
    if arr.ndim != 1 or arr.size != n_units:
        problems.append(
            ngettext(
                "{name} has shape {shape} but there are {n} units; give one number per unit",
                "{name} has shape {shape} but there are {n} units; give one number per unit",
                n_units,
            ).format(name=name, shape=arr.shape, n=n_units)
        )
        return None
    ok = (arr >= 0) & ((np.isfinite(arr) & (arr == np.round(arr))) | (allow_inf & (arr == np.inf)))
    if not ok.all():
        what = (
            gettext("whole numbers >= 0 (np.inf for no cap)")
            if allow_inf
            else gettext("whole numbers >= 0")
        )
        for i in np.flatnonzero(~ok):
            problems.append(
                gettext("{unit}: {name} is {value}; it must be one of {what}").format(
                    unit=labels[i], name=name, value=plain(arr[i]), what=what
                )
            )
        return None
    return arr


def _check_count(func: str, name: str, value: object) -> int:
    if (
        not isinstance(value, int | np.integer)
        or isinstance(value, bool | np.bool_)
        or int(value) < 0
    ):
        # 2.0 stays 2.0 (a float, refused for its type), np.float64(2.5) reads 2.5
        as_typed = value.item() if isinstance(value, np.generic) else value
        raise InputError(
            gettext("{function}: {name}={value} must be a whole number of stations >= 0").format(
                function=func, name=name, value=repr(as_typed)
            ),
            hint=gettext("Pass e.g. {example}.").format(example=f"{name}=279"),
        )
    return int(value)


def _check_minimums(units: _Units, budget: int, name: str, option: str) -> None:
    """Raise if the minimums need more than ``budget`` (``name``; the user raises ``option``)."""
    need = int(units.min_new.sum())
    if need > budget:
        raise InputError(
            ngettext(
                "The per-unit minimums need {need} new stations but only {budget} are available "
                "({name}={budget})",
                "The per-unit minimums need {need} new stations but only {budget} are available "
                "({name}={budget})",
                need,
            ).format(need=need, budget=budget, name=name),
            hint=gettext(
                "Lower the minimums (min_new or the fixed quotas) or raise {option} to at least "
                "{need}."
            ).format(option=option, need=need),
        )


def _where(mask: NDArray[np.bool_], *, offset: int = 0) -> str:
    idx = (np.flatnonzero(mask) + offset).tolist()
    shown = ", ".join(map(str, idx[:10]))
    if len(idx) <= 10:
        return shown
    return gettext("{shown} and {n} more").format(shown=shown, n=len(idx) - 10)
