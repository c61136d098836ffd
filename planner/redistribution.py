"""Redistributing district inspectors: the moves that cover the most shortfall, exactly.

The numeric core (arrays in, arrays out; no geometry). A station ``i`` with ``now_i`` inspectors
and ``needed_i`` by the staffing norm has a *surplus* ``max(now_i - needed_i, 0)`` and a
*shortfall* ``max(needed_i - now_i, 0)``. A *move* ``(i, j, c)`` sends ``c >= 1`` inspectors from a
station with a surplus to a station short of the norm; it is allowed when both stations are in the
same unit (city, district), or, with ``max_move_m``, when they are at most that far apart in a
straight line (great-circle distance between the stations' points; see docs/method.md section 12
for why not the walking distance).

The answer is lexicographically optimal:

1. the most shortfall covered (inspectors moved);
2. among those, the fewest moves (distinct ``(from, to)`` pairs);
3. among those, the shortest total distance, ``sum(count x distance_m)`` (each inspector moved
   counts once).

Step 1 is a transportation problem (integral: its constraint matrix is totally unimodular);
steps 2 and 3 need a binary "move used" variable per pair (fewest moves is a fixed-charge
problem, which no flow formulation captures), so each is a small mixed-integer programme solved
by HiGHS to proven optimality, one connected component of the "allowed move" graph at a time
(the objectives add up over components, so the component optima together are the optimum). The
models are built in :mod:`planner._solvers` (``_moves_model``) and run there (``_run_model``):
each MILP stops at its node limit (``node_limit``, counted by HiGHS: the same answer on any
machine) and, as a safety net, when ``time_limit_s`` (for the whole call; ``inf``, the default,
is off) has passed; the answer then says what was proven. The proof is in docs/method.md
section 12; the tests compare the answer with brute force over every move set on small random
instances.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from planner import _instance
from planner._solvers import _MilpOutcome, _moves_model, _run_model, time_limit_hit
from planner.defaults import DEFAULT_NODE_LIMIT, DEFAULT_TIME_LIMIT_S
from planner.i18n import gettext

__all__ = [
    "EARTH_RADIUS_M",
    "Redistribution",
    "great_circle_m",
    "redistribute",
    "solve_moves",
    "surplus_and_shortfall",
]

logger = logging.getLogger("planner.redistribution")

#: Mean Earth radius (m) of the great-circle distance.
EARTH_RADIUS_M = 6_371_008.8

_FloatArray = NDArray[np.float64]
_IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Redistribution:
    """The moves of :func:`redistribute` (or :func:`solve_moves`) and their totals.

    Attributes
    ----------
    source, target
        Per move: the positions (in the input arrays) of the station giving and receiving.
    count
        Per move: inspectors moved (>= 1).
    distance_m
        Per move: the distance between the two stations.
    shortfall
        Inspectors missing at stations short of the norm, before any move (``Y``).
    surplus
        Inspectors above the norm at stations with a surplus, before any move.
    covered
        Shortfall covered by the moves (``X``); ``shortfall - covered`` must be hired.
    moves_lower_bound
        A proven lower bound on the number of moves (equal to ``len(count)`` when optimal).
    status
        ``"optimal"`` (all three objectives proven) or what stopped the solver (its words end
        in ``"node limit"`` or ``"time limit"``).
    """

    source: _IntArray
    target: _IntArray
    count: _IntArray
    distance_m: _FloatArray
    shortfall: int
    surplus: int
    covered: int
    moves_lower_bound: int
    status: str
    solve_s: float = 0.0

    @property
    def moves(self) -> int:
        """Number of moves (distinct pairs of stations)."""
        return int(self.count.size)

    @property
    def to_hire(self) -> int:
        """Shortfall no move can cover (``Z = Y - X``)."""
        return int(self.shortfall - self.covered)

    @property
    def total_distance_m(self) -> float:
        """``sum(count x distance_m)``: each inspector moved counted once."""
        return float(np.dot(self.count, self.distance_m))

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"

    @property
    def time_limit_hit(self) -> bool:
        """Whether the wall-clock safety net stopped a solve (the answer then depended on the
        machine's speed and load)."""
        return time_limit_hit(self.status)


def surplus_and_shortfall(now: Any, needed: Any) -> tuple[_IntArray, _IntArray]:
    """Per station ``(surplus, shortfall)``; 0 for both where ``now`` is unknown (NaN)."""
    now_a = np.asarray(now, dtype=float)
    needed_a = np.asarray(needed, dtype=float)
    known = np.isfinite(now_a) & np.isfinite(needed_a)
    diff = np.where(known, np.nan_to_num(needed_a) - np.nan_to_num(now_a), 0.0)
    diff = np.round(diff).astype(np.int64)
    return np.clip(-diff, 0, None), np.clip(diff, 0, None)


def great_circle_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> _FloatArray:
    """Great-circle (haversine) distance in metres; broadcasts like numpy."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))), dtype=float)


def redistribute(
    now: Any,
    needed: Any,
    *,
    lon: Any,
    lat: Any,
    unit: Any = None,
    max_move_m: float | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    node_limit: int = DEFAULT_NODE_LIMIT,
) -> Redistribution:
    """The best moves of inspectors between stations (see the module docstring).

    Parameters
    ----------
    now, needed
        Per station: inspectors there now (NaN: unknown, the station takes no part) and needed.
    lon, lat
        Per station: its point in degrees (for the distances).
    unit
        Per station: its unit (any hashable labels); ``None``: all in one unit.
    max_move_m
        ``None``: moves within a unit; a number: moves between any stations at most this far
        apart (straight line), across units too.
    time_limit_s, node_limit
        The work limit of each mixed-integer programme (branch-and-bound nodes) and the
        wall-clock safety net of the whole call (seconds; ``inf``: off).

    Raises
    ------
    InputError
        Listing every bad argument.
    """
    problems: list[str] = []
    _instance.check_solver_options(time_limit_s, 0.0, problems, node_limit=node_limit)
    if max_move_m is not None and not (
        isinstance(max_move_m, int | float)
        and not isinstance(max_move_m, bool)
        and 0 < max_move_m < np.inf
    ):
        problems.append(
            gettext("{option} must be a number of metres > 0").format(
                option=f"max_move_m={max_move_m!r}"
            )
        )
    sizes = {np.size(now), np.size(needed), np.size(lon), np.size(lat)}
    if unit is not None:
        sizes.add(np.size(unit))
    if len(sizes) > 1:
        problems.append(
            gettext(
                "now, needed, lon, lat (and unit) must have one value per station; their lengths "
                "are {lengths}"
            ).format(lengths=sorted(sizes))
        )
    _instance.raise_if("redistribute", problems)
    surplus, shortfall = surplus_and_shortfall(now, needed)
    src = np.flatnonzero(surplus > 0)
    dst = np.flatnonzero(shortfall > 0)
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    distance = great_circle_m(lon_a[src][:, None], lat_a[src][:, None], lon_a[dst], lat_a[dst])
    if max_move_m is not None:
        allowed = distance <= float(max_move_m)
    elif unit is None:
        allowed = np.ones(distance.shape, dtype=bool)
    else:
        codes = np.unique(np.asarray(unit, dtype=object).astype(str), return_inverse=True)[1]
        allowed = codes[src][:, None] == codes[dst][None, :]
    allowed &= np.isfinite(distance)
    result = solve_moves(
        surplus[src],
        shortfall[dst],
        distance,
        allowed=allowed,
        time_limit_s=time_limit_s,
        node_limit=node_limit,
    )
    return Redistribution(
        source=src[result.source].astype(np.int64),
        target=dst[result.target].astype(np.int64),
        count=result.count,
        distance_m=result.distance_m,
        shortfall=int(shortfall.sum()),
        surplus=int(surplus.sum()),
        covered=result.covered,
        moves_lower_bound=result.moves_lower_bound,
        status=result.status,
        solve_s=result.solve_s,
    )


def solve_moves(
    surplus: Any,
    shortfall: Any,
    distance_m: Any,
    *,
    allowed: Any = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    node_limit: int = DEFAULT_NODE_LIMIT,
) -> Redistribution:
    """The lexicographic optimum on a bipartite instance.

    Parameters
    ----------
    surplus
        Inspectors each giving station may give (non-negative integers), length ``m``.
    shortfall
        Inspectors each receiving station lacks (non-negative integers), length ``n``.
    distance_m
        ``m x n`` distances between them.
    allowed
        ``m x n`` booleans: may inspectors move from ``i`` to ``j``; ``None``: every pair.
    time_limit_s, node_limit
        The work limit of each mixed-integer programme (branch-and-bound nodes) and the
        wall-clock safety net of the whole call (seconds; ``inf``: off).

    Returns
    -------
    Redistribution
        ``source``/``target`` index ``surplus``/``shortfall``.
    """
    started = time.perf_counter()
    problems: list[str] = []
    _instance.check_solver_options(time_limit_s, 0.0, problems, node_limit=node_limit)
    _instance.raise_if("solve_moves", problems)
    deadline = started + float(time_limit_s)
    s = np.asarray(surplus, dtype=np.int64).reshape(-1)
    d = np.asarray(shortfall, dtype=np.int64).reshape(-1)
    dist = np.asarray(distance_m, dtype=float).reshape(s.size, d.size)
    ok = np.ones(dist.shape, dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    ok = ok & (s[:, None] > 0) & (d[None, :] > 0)
    ai, aj = np.nonzero(ok)
    empty = np.zeros(0, dtype=np.int64)
    if ai.size == 0:
        return Redistribution(
            empty, empty, empty, np.zeros(0), int(d.sum()), int(s.sum()), 0, 0, "optimal",
            time.perf_counter() - started,
        )  # fmt: skip
    # connected components of the allowed-move graph (sources 0..m-1, sinks m..m+n-1)
    m, n = s.size, d.size
    graph = sp.coo_array((np.ones(ai.size), (ai, m + aj)), shape=(m + n, m + n)).tocsr()
    _, labels = connected_components(graph, directed=False)
    arc_label = labels[ai]
    counts = np.zeros(ai.size, dtype=np.int64)
    bound = 0
    statuses: list[str] = []
    for comp in np.unique(arc_label):
        arcs = np.flatnonzero(arc_label == comp)
        x, lower, status = _solve_component(
            s,
            d,
            ai[arcs],
            aj[arcs],
            dist[ai[arcs], aj[arcs]],
            deadline=deadline,
            node_limit=int(node_limit),
        )
        counts[arcs] = x
        bound += lower
        if status != "optimal":
            statuses.append(status)
    used = np.flatnonzero(counts > 0)
    order = used[np.lexsort((aj[used], ai[used]))]
    return Redistribution(
        source=ai[order].astype(np.int64),
        target=aj[order].astype(np.int64),
        count=counts[order],
        distance_m=dist[ai[order], aj[order]],
        shortfall=int(d.sum()),
        surplus=int(s.sum()),
        covered=int(counts.sum()),
        moves_lower_bound=int(bound),
        status="optimal" if not statuses else "; ".join(sorted(set(statuses))),
        solve_s=time.perf_counter() - started,
    )


def _solve_component(
    s: _IntArray,
    d: _IntArray,
    ai: NDArray[np.intp],
    aj: NDArray[np.intp],
    dist: _FloatArray,
    *,
    deadline: float,
    node_limit: int,
) -> tuple[_IntArray, int, str]:
    """``(count per arc, lower bound on moves, status)`` for one connected component."""
    k = ai.size
    scale = float(dist.max()) if dist.size and dist.max() > 0 else 1.0
    cost = dist / scale

    def run(stage: int, **limits: float) -> _MilpOutcome:
        model = _moves_model(s, d, ai, aj, cost, stage=stage, **limits)
        # HiGHS' presolve halves these small models (the bounds x <= cap y tighten)
        return _run_model(
            model,
            time_limit_s=deadline - time.perf_counter(),
            mip_rel_gap=0.0,
            node_limit=node_limit,
            presolve=True,
        )

    # 1. most shortfall covered: a transportation problem (totally unimodular, integral)
    res1 = run(1)
    if res1.x is None:
        # only the safety net stops a problem whose LP is integral: nothing proven, no moves
        return (
            np.zeros(k, dtype=np.int64),
            0,
            (  # untranslated: the solver status (summary.json)
                f"most shortfall covered not found: {res1.status}"
            ),
        )
    x1 = np.round(res1.x[:k]).astype(np.int64)
    flow = int(x1.sum())
    # each station giving or receiving is in a move of its own: at least as many moves as the
    # fewest receivers (givers) that can take (give) the whole cover
    rows_src, rows_dst = np.unique(ai), np.unique(aj)
    trivial = max(_fewest_to_reach(d[rows_dst], flow), _fewest_to_reach(s[rows_src], flow))
    # 2. fewest moves with that cover: x continuous, y ("pair used") whole; for any set of used
    # pairs the inspectors moved form a transportation polytope whose optimal faces are
    # integral, so the fewest pairs and (3.) the shortest distance are the same as with whole
    # x, and a last solve on the chosen pairs with whole x returns a whole answer of that
    # distance (docs/method.md section 12)
    res2 = run(2, flow=flow)
    dual = res2.dual_bound
    lower = max(trivial, int(np.ceil(dual - 1e-6)) if np.isfinite(dual) else 0)
    if res2.x is None:
        found = int((x1 > 0).sum())
        return (
            x1,
            max(lower, 0),
            # untranslated: the solver status (summary.json)
            f"fewest moves not proven ({found} found, at least {lower}): {res2.status}",
        )
    moves = round(float(res2.x[k:].sum()))
    status = "optimal"
    if res2.status == "optimal":
        lower = moves
    else:
        # untranslated: the solver status (summary.json)
        status = f"fewest moves not proven ({moves} found, at least {lower}): {res2.status}"
    # 3. shortest total distance with that cover and that many moves
    res3 = run(3, flow=flow, moves=moves)
    best = res3 if res3.x is not None else res2
    if res3.status != "optimal" and status == "optimal":
        status = f"shortest distance not proven: {res3.status}"  # untranslated: solver status
    assert best.x is not None
    # whole inspectors on the chosen pairs, with the same cover and no longer distance
    used = np.flatnonzero((best.x[k:] > 0.5) | (best.x[:k] > 1e-9))
    res4 = _run_milp_on(used, s, d, ai, aj, cost, flow, deadline=deadline, node_limit=node_limit)
    if res4.x is None:  # only the safety net stops it: step 1's whole answer stands
        found = int((x1 > 0).sum())
        return (
            x1,
            lower,
            # untranslated: the solver status (summary.json)
            f"fewest moves not proven ({found} found, at least {lower}): {res4.status}",
        )
    x = np.zeros(k, dtype=np.int64)
    x[used] = np.round(res4.x[: used.size]).astype(np.int64)
    _check(x, s, d, ai, aj)
    if x.sum() != flow:  # pragma: no cover - HiGHS keeps the equality row
        # untranslated: an internal error
        raise RuntimeError("redistribution: the later stages lost covered shortfall")
    return x, lower, status


def _run_milp_on(
    used: NDArray[np.intp],
    s: _IntArray,
    d: _IntArray,
    ai: NDArray[np.intp],
    aj: NDArray[np.intp],
    cost: _FloatArray,
    flow: int,
    *,
    deadline: float,
    node_limit: int,
) -> _MilpOutcome:
    """Whole inspectors moved on the ``used`` pairs only: cover ``flow`` at the least cost."""
    model = _moves_model(s, d, ai[used], aj[used], cost[used], stage=4, flow=flow)
    return _run_model(
        model,
        time_limit_s=deadline - time.perf_counter(),
        mip_rel_gap=0.0,
        node_limit=node_limit,
        presolve=True,
    )


def _fewest_to_reach(values: _IntArray, total: int) -> int:
    """The fewest of ``values`` (largest first) whose sum reaches ``total``."""
    if total <= 0:
        return 0
    reached = np.cumsum(np.sort(values)[::-1])
    return int(np.searchsorted(reached, total) + 1)


def _check(
    x: _IntArray,
    s: _IntArray,
    d: _IntArray,
    ai: NDArray[np.intp],
    aj: NDArray[np.intp],
) -> None:
    """Rounded HiGHS answers must still respect every bound."""
    cap = np.minimum(s[ai], d[aj])
    sent = np.bincount(ai, weights=x, minlength=s.size)
    got = np.bincount(aj, weights=x, minlength=d.size)
    if (x < 0).any() or (x > cap).any() or (sent > s).any() or (got > d).any():
        # untranslated: an internal error
        raise RuntimeError("redistribution: HiGHS returned moves beyond a station's numbers")
