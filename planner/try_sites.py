"""The "Try sites" what-if panel of ``map.html``: what the page needs, computed once in Python.

A planner clicks candidate sites on the map and the panel answers at once how many residents
would newly be within walking distance, with no server and no internet. That needs, in the
page, the coverage set of every clickable site (which residential buildings it reaches within
the walking limit, from the same coverage matrix the run solved on) and the residents of those
buildings. :class:`TrySites` holds exactly that, for

- the best ``max_candidates`` candidates by the residents each would newly cover alone,
- every site of the run's own plan and every proposal scored (always clickable),
- every site of the best plans of ``k = 1 .. K`` sites (the "best plan of the same size"
  button), solved with the exact solver of :func:`planner.siting.coverage_curve`, with its
  proven bound; the plan of the run's own size is the run's own plan.

Only buildings that no working station covers today enter the sets (residents already covered
stay covered and count as "before"), so the panel's arithmetic is that of
:func:`planner.siting.evaluate_proposals`: for a selection ``S``, newly covered residents are
the residents of the union of the sets of ``S``; a site's "alone" is the residents of its set,
its "marginal" the residents in its set and in no other set of ``S`` (lost if it is dropped).
:meth:`TrySites.evaluate` is that arithmetic in Python, and the page's JavaScript
(``static/try_sites.js``) repeats it. Population stays in float64 in both (the page gets the
exact 8-byte values), so the panel equals ``planner evaluate``'s ``list_residents`` up to the
order of additions (< 1e-6 residents), i.e. to the whole resident.

Compact embedding (:meth:`TrySites.payload`): each set is a sorted list of building numbers,
written as its length and the gaps between consecutive numbers, as LEB128 variable-length
integers in base64 (buildings are numbered along a space-filling curve, so neighbours, and
therefore gaps, are small); residents as base64 float64; building points as base64 int32
micro-degrees.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely

from planner.defaults import DEFAULT_NODE_LIMIT, DEFAULT_TIME_LIMIT_S, DEFAULT_TRY_SITES
from planner.errors import InputError
from planner.i18n import gettext, ngettext
from planner.results import CoverageResult, EvaluationResult, PlanResult
from planner.siting import CoverageCurve, RolloutResult, SitingResult, coverage_curve

__all__ = [
    "DEFAULT_BEST_SIZES",
    "DEFAULT_MAX_CANDIDATES",
    "TrySites",
    "try_sites_for_evaluation",
    "try_sites_for_plan",
]

log = logging.getLogger(__name__)

#: Clickable candidates besides the plan's sites and the proposals: the best this many by the
#: residents each would newly cover alone (Almaty 2012 has 8 607 candidates at 100 m).
DEFAULT_MAX_CANDIDATES = DEFAULT_TRY_SITES
#: Best plans embedded for every size up to at least this many sites.
DEFAULT_BEST_SIZES = 10
#: Degrees are written with this many decimals (~1 mm): a saved site snaps where it was.
LONLAT_DECIMALS = 8


@dataclass(frozen=True, eq=False)
class TrySites:
    """Everything the "Try sites" panel needs, for one run.

    Attributes
    ----------
    candidate_id, name, kind
        Each clickable site's id (as in the run's candidates), street or proposal name, and
        kind: ``"site"`` (of the run's plan), ``"proposal"`` or ``"candidate"``.
    lon, lat
        Each clickable site's position in degrees.
    sets
        Boolean ``csr_array``, clickable sites x buildings: the buildings each site reaches
        within the walking limit, among those no working station covers today.
    population
        Residents of each of those buildings.
    building_lon, building_lat
        A point inside each of those buildings (degrees), for highlighting.
    existing_population, total_population
        Residents covered by the working stations today, and all residents.
    max_walk_m
        The walking limit of the sets.
    spacing_m
        Spacing of the generated candidates along the streets (a click on the map picks the
        nearest clickable site within it); ``None`` if none were generated.
    best_sites
        ``best_sites[k]``: rows of the best plan with ``k`` sites found (``k = 0 .. K``).
    best_upper_bound
        ``best_upper_bound[k]``: proven bound on the residents any ``k`` sites newly cover.
    default_size
        Sites in the run's own plan, or proposals evaluated (the size loaded by the button
        when nothing is selected).
    n_candidates
        Candidates of the run (clickable or not).
    context
        ``"plan"`` or ``"evaluate"``: which command's numbers the panel is compared with.
    """

    candidate_id: tuple[str, ...]
    name: tuple[str | None, ...]
    kind: tuple[str, ...]
    lon: np.ndarray
    lat: np.ndarray
    sets: sp.csr_array
    population: np.ndarray
    building_lon: np.ndarray
    building_lat: np.ndarray
    existing_population: float
    total_population: float
    max_walk_m: float
    spacing_m: float | None
    best_sites: tuple[np.ndarray, ...]
    best_upper_bound: np.ndarray
    default_size: int
    n_candidates: int
    context: str

    def rows(self, ids: Sequence[str]) -> np.ndarray:
        """Rows of the clickable sites with these ids; every unknown id is reported."""
        position = {c: i for i, c in enumerate(self.candidate_id)}
        unknown = [i for i in ids if i not in position]
        if unknown:
            raise InputError(
                ngettext(
                    "TrySites: {n} id(s) are not clickable sites of this map",
                    "TrySites: {n} id(s) are not clickable sites of this map",
                    len(unknown),
                ).format(n=len(unknown)),
                [repr(i) for i in unknown[:10]],
                gettext(
                    "Take ids from TrySites.candidate_id (or plannerTrySites.candidates() in the "
                    "page)."
                ),
            )
        return np.array([position[i] for i in ids], dtype=np.int64)

    def evaluate(self, ids: Sequence[str]) -> dict[str, Any]:
        """What the panel shows for this selection (``plannerTrySites.select(ids)`` in the page).

        Returns
        -------
        dict
            ``newly_covered``, ``covered_after`` (residents), ``share_after`` (0..1) and
            ``sites``: ``[{"id", "alone", "marginal"}]`` in residents, in the order given
            (a repeated id counts once).
        """
        rows = list(dict.fromkeys(self.rows(ids).tolist()))
        counts = np.zeros(self.population.size, dtype=np.int64)
        for r in rows:
            counts[self._set(r)] += 1
        newly = float(self.population[counts > 0].sum())
        after = self.existing_population + newly
        sites = []
        for r in rows:
            members = self._set(r)
            sites.append(
                {
                    "id": self.candidate_id[r],
                    "alone": float(self.population[members].sum()),
                    "marginal": float(self.population[members[counts[members] == 1]].sum()),
                }
            )
        return {
            "newly_covered": newly,
            "covered_after": after,
            "share_after": after / self.total_population if self.total_population > 0 else 0.0,
            "sites": sites,
        }

    def best_ids(self, n_sites: int) -> list[str]:
        """Ids of the best plan with ``n_sites`` sites (``min(n_sites, K)``)."""
        k = min(int(n_sites), len(self.best_sites) - 1)
        return [self.candidate_id[r] for r in self.best_sites[k]]

    def _set(self, row: int) -> np.ndarray:
        return self.sets.indices[self.sets.indptr[row] : self.sets.indptr[row + 1]]

    def payload(self) -> dict[str, Any]:
        """The compact, JSON-ready form embedded in the page (see the module docstring)."""
        names = list(dict.fromkeys(n for n in self.name if n is not None))
        index = {n: i for i, n in enumerate(names)}
        indices = self.sets.indices.astype(np.int64)
        lengths = np.diff(self.sets.indptr)
        gaps = np.diff(indices, prepend=0)
        first = self.sets.indptr[:-1][lengths > 0]
        gaps[first] = indices[first]  # each set starts from 0 again
        # one stream: each set's length, then its gaps (the first "gap" is its first number)
        stream = np.empty(lengths.size + gaps.size, dtype=np.int64)
        starts = self.sets.indptr[:-1] + np.arange(lengths.size)
        stream[starts] = lengths
        member = np.ones(stream.size, dtype=bool)
        member[starts] = False
        stream[member] = gaps
        return {
            "version": 1,
            "context": self.context,
            "ids": list(self.candidate_id),
            # a street has many candidates: its name is written once
            "nameList": names,
            "nameIndex": [-1 if n is None else index[n] for n in self.name],
            "kinds": list(self.kind),
            "lon": [round(float(v), LONLAT_DECIMALS) for v in self.lon],
            "lat": [round(float(v), LONLAT_DECIMALS) for v in self.lat],
            "sets": _b64(_varints(stream)),
            "population": _b64(self.population.astype("<f8").tobytes()),
            "bx": _b64(np.round(self.building_lon * 1e6).astype("<i4").tobytes()),
            "by": _b64(np.round(self.building_lat * 1e6).astype("<i4").tobytes()),
            "existing": float(self.existing_population),
            "total": float(self.total_population),
            "maxWalkM": float(self.max_walk_m),
            "spacingM": None if self.spacing_m is None else float(self.spacing_m),
            "best": [[int(r) for r in s] for s in self.best_sites],
            "bestBound": [float(b) for b in self.best_upper_bound],
            "defaultSize": int(self.default_size),
            "nCandidates": int(self.n_candidates),
        }


# --------------------------------------------------------------------------- numeric core


def shown_rows(
    coverage: sp.csr_array,
    weights: np.ndarray,
    *,
    always: np.ndarray,
    max_candidates: int,
) -> np.ndarray:
    """Rows to make clickable: ``always`` and the best ``max_candidates`` others by the weight
    each covers alone (only rows covering some weight), most first (ties: lower row)."""
    pattern = coverage.copy()
    pattern.data = np.ones_like(pattern.data)
    alone = np.asarray(pattern @ weights, dtype=float)
    order = np.lexsort((np.arange(alone.size), -alone))
    useful = order[alone[order] > 0]
    forced = np.zeros(alone.size, dtype=bool)
    forced[always] = True
    chosen = np.zeros(alone.size, dtype=bool)
    chosen[useful[~forced[useful]][: max(int(max_candidates), 0)]] = True
    chosen |= forced
    return order[chosen[order]]


def local_sets(
    coverage: sp.csr_array, rows: np.ndarray, keep: np.ndarray, order_key: np.ndarray
) -> tuple[sp.csr_array, np.ndarray]:
    """The sets of ``rows`` over the buildings in ``keep`` they reach, renumbered.

    Returns the boolean sets (rows x local buildings, sorted indices) and the original column
    of each local building; local buildings are numbered by ``order_key`` (then column).
    """
    sub = sp.csr_array(coverage[rows])
    sub.sort_indices()
    mask = keep[sub.indices]
    cols = np.unique(sub.indices[mask])
    cols = cols[np.lexsort((cols, order_key[cols]))]
    local = np.full(coverage.shape[1], -1, dtype=np.int64)
    local[cols] = np.arange(cols.size)
    row_of = np.repeat(np.arange(rows.size), np.diff(sub.indptr))[mask]
    out = sp.csr_array(
        (np.ones(int(mask.sum()), dtype=bool), (row_of, local[sub.indices[mask]])),
        shape=(rows.size, cols.size),
    )
    out.sort_indices()
    return out, cols


def hilbert_key(x: np.ndarray, y: np.ndarray, *, bits: int = 16) -> np.ndarray:
    """Position of each point along a Hilbert curve over their bounding box (near -> near)."""
    n = 1 << bits
    if x.size == 0:
        return np.zeros(0, dtype=np.int64)

    def scaled(v: np.ndarray) -> np.ndarray:
        span = float(v.max() - v.min()) or 1.0
        return np.minimum(((v - v.min()) / span * (n - 1)).astype(np.int64), n - 1)

    xi, yi = scaled(x), scaled(y)
    d = np.zeros(x.size, dtype=np.int64)
    s = n // 2
    while s > 0:
        rx = (xi & s) > 0
        ry = (yi & s) > 0
        d += s * s * ((3 * rx) ^ ry)
        flip = ~ry
        swap_x = np.where(flip & rx, n - 1 - xi, xi)
        swap_y = np.where(flip & rx, n - 1 - yi, yi)
        xi, yi = np.where(flip, swap_y, swap_x), np.where(flip, swap_x, swap_y)
        s //= 2
    return d


def _varints(values: np.ndarray) -> bytes:
    """Unsigned LEB128: 7 bits a byte, low bits first, high bit set on all but the last."""
    v = np.asarray(values, dtype=np.uint64)
    if v.size and int(v.max()) >= 2**53:
        raise ValueError("values too large for the page's decoder")  # untranslated: a bug
    nbytes = np.ones(v.size, dtype=np.int64)
    for shift in range(7, 56, 7):
        nbytes += v >= np.uint64(1 << shift)
    out = np.zeros(int(nbytes.sum()), dtype=np.uint8)
    starts = np.cumsum(nbytes) - nbytes
    for j in range(int(nbytes.max()) if v.size else 0):
        m = nbytes > j
        byte = (v[m] >> np.uint64(7 * j)) & np.uint64(0x7F)
        more = (nbytes[m] > j + 1).astype(np.uint64) << np.uint64(7)
        out[starts[m] + j] = (byte | more).astype(np.uint8)
    return out.tobytes()


def _read_varints(data: bytes) -> np.ndarray:
    """Inverse of :func:`_varints` (for tests and checks)."""
    out, value, shift = [], 0, 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
        else:
            out.append(value)
            value, shift = 0, 0
    return np.array(out, dtype=np.int64)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --------------------------------------------------------------------------- adapters


def try_sites_for_plan(
    coverage: CoverageResult,
    plan: PlanResult,
    *,
    spacing_m: float | None = None,
    max_candidates: int = DEFAULT_MAX_CANDIDATES,
    max_sites: int | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    node_limit: int = DEFAULT_NODE_LIMIT,
    curve: CoverageCurve | None = None,
) -> TrySites:
    """The panel's data for a ``plan`` run: its candidates, with its sites always clickable.

    Parameters
    ----------
    coverage, plan
        From :func:`planner.pipeline.assess_coverage` and :func:`planner.pipeline.plan_sites`.
    spacing_m
        The candidate spacing of the run (a map click picks a site within it).
    max_candidates
        Clickable candidates besides the plan's sites (the best by residents covered alone).
    max_sites
        Best plans are embedded for ``k = 1 .. max(max_sites, plan size)``; default
        ``max(DEFAULT_BEST_SIZES, plan size)``.
    time_limit_s, node_limit
        Wall-clock safety net for all those best plans together (default off) and the work
        limit of each solve (:func:`planner.siting.coverage_curve`).
    curve
        The best plans already computed on ``plan.matrix`` (e.g. a national unit's
        :class:`planner.results.PlanCurve` ``.curve``): used instead of solving again, for
        ``k`` up to its ``max_sites``.
    """
    own = np.asarray(plan.rollout.sites, dtype=np.int64)
    own_bound = float(plan.siting.upper_bound) if isinstance(plan.siting, SitingResult) else np.inf
    k_max = _best_sizes(int(own.size), max_sites)
    best_plans = None
    if curve is not None:
        best_plans = _curve_plans(curve, max(own.size, int(curve.max_sites)))
    elif _prefix_solved(plan.rollout, k_max):  # the rollout solved every size already
        best_plans = _prefix_plans(plan.rollout, k_max)
    kinds = np.full(len(plan.candidates), "candidate", dtype=object)
    kinds[own] = "site"
    return _build(
        coverage,
        plan.candidates,
        plan.matrix.matrix,
        max_walk_m=plan.matrix.max_walk_m,
        always=own,
        kinds=kinds,
        own_plan=own,
        own_bound=own_bound,
        spacing_m=spacing_m,
        max_candidates=max_candidates,
        max_sites=max_sites,
        time_limit_s=time_limit_s,
        node_limit=node_limit,
        context="plan",
        best_plans=best_plans,
    )


def _best_sizes(size: int, max_sites: int | None) -> int:
    """The largest ``k`` whose best plan the panel carries: the run's size, at least
    ``max_sites`` (default :data:`DEFAULT_BEST_SIZES`)."""
    return max(size, DEFAULT_BEST_SIZES if max_sites is None else int(max_sites))


def _prefix_solved(rollout: RolloutResult, k_max: int) -> bool:
    """Whether the rollout's prefix solves give the best plans of sizes ``1 .. k_max`` as a
    curve would: every size solved, none cut short by the safety net (greedy stand-ins), and
    no plan worse than a smaller one (a curve would extend the smaller plan instead)."""
    if len(rollout.best_sites) < k_max or rollout.time_limit_hit:
        return False
    values = np.asarray(rollout.best_population[:k_max], dtype=float)
    tolerance = 1e-9 * max(1.0, float(values.max()))  # the same residents summed another way
    return bool(np.all(np.diff(values) >= -tolerance))


def _prefix_plans(rollout: RolloutResult, k_max: int) -> tuple[list[np.ndarray], np.ndarray]:
    """The best plans of sizes ``0 .. k_max`` the rollout's prefix solves found, and their
    bounds (made non-increasing towards smaller sizes, as on a :func:`coverage_curve`)."""
    m = np.arange(k_max)
    bound = np.r_[0.0, rollout.upper_bound[m]]
    bound = np.minimum.accumulate(bound[::-1])[::-1]  # OPT(k) <= OPT(j) <= bound(j), j > k
    return [np.zeros(0, dtype=np.int64), *rollout.best_sites[:k_max]], bound


def _curve_plans(curve: CoverageCurve, k_max: int) -> tuple[list[np.ndarray], np.ndarray]:
    """The best plans of sizes ``0 .. k_max`` on ``curve`` and their bounds (flat beyond it)."""
    best = [curve.sites[curve.at(k)] for k in range(k_max + 1)]
    return best, np.array([curve.upper_bound[curve.at(k)] for k in range(k_max + 1)], dtype=float)


def try_sites_for_evaluation(
    coverage: CoverageResult,
    evaluation: EvaluationResult,
    *,
    spacing_m: float | None = None,
    max_candidates: int = DEFAULT_MAX_CANDIDATES,
    max_sites: int | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    node_limit: int = DEFAULT_NODE_LIMIT,
) -> TrySites:
    """The panel's data for an ``evaluate`` run: the proposals and the generated candidates,
    the proposals and the best plan of the same size always clickable (see
    :func:`try_sites_for_plan` for the options)."""
    if evaluation.candidates is None or evaluation.matrix is None:
        raise InputError(
            gettext("try_sites_for_evaluation: the evaluation carries no candidates and matrix"),
            hint=gettext("Use an EvaluationResult from planner.pipeline.evaluate_sites."),
        )
    ev = evaluation.evaluation
    best = np.asarray(ev.best.sites, dtype=np.int64)
    proposals = np.unique(np.asarray(ev.proposal_rows, dtype=np.int64))
    kinds = np.full(len(evaluation.candidates), "candidate", dtype=object)
    kinds[proposals] = "proposal"
    return _build(
        coverage,
        evaluation.candidates,
        evaluation.matrix.matrix,
        max_walk_m=evaluation.matrix.max_walk_m,
        always=np.union1d(proposals, best),
        kinds=kinds,
        own_plan=best,
        own_bound=float(ev.best.upper_bound),
        own_size=int(proposals.size),
        spacing_m=spacing_m,
        max_candidates=max_candidates,
        max_sites=max_sites,
        time_limit_s=time_limit_s,
        node_limit=node_limit,
        context="evaluate",
    )


def _build(
    coverage: CoverageResult,
    candidates: gpd.GeoDataFrame,
    matrix: sp.csr_array,
    *,
    max_walk_m: float,
    always: np.ndarray,
    kinds: np.ndarray,
    own_plan: np.ndarray,
    own_bound: float,
    spacing_m: float | None,
    max_candidates: int,
    max_sites: int | None,
    time_limit_s: float,
    node_limit: int,
    context: str,
    own_size: int | None = None,
    best_plans: tuple[list[np.ndarray], np.ndarray] | None = None,
) -> TrySites:
    buildings = coverage.buildings
    population = buildings["population"].to_numpy(dtype=float)
    covered = buildings["covered"].to_numpy(dtype=bool)
    weights = np.where(covered, 0.0, population)
    size = int(own_plan.size if own_size is None else own_size)
    if best_plans is None:
        k_max = _best_sizes(size, max_sites)
        curve = coverage_curve(
            matrix,
            population,
            max_sites=k_max,
            already_covered=covered,
            time_limit_s=time_limit_s,
            node_limit=node_limit,
        )
        best_plans = _curve_plans(curve, k_max)
    best, bound = list(best_plans[0]), best_plans[1].copy()
    k_max = len(best) - 1
    # the run's own plan stands for its size, so the button loads exactly the run's numbers
    best[size] = np.asarray(own_plan, dtype=np.int64)
    bound[size] = min(bound[size], own_bound)
    always = np.unique(np.concatenate([always, *best]).astype(np.int64))
    rows = shown_rows(matrix, weights, always=always, max_candidates=max_candidates)
    doors = shapely.point_on_surface(buildings.geometry.to_crs(4326).to_numpy())
    bx, by = shapely.get_x(doors), shapely.get_y(doors)
    sets, cols = local_sets(matrix, rows, ~covered, hilbert_key(bx, by))
    value = np.array([float(weights[np.unique(matrix[b].indices)].sum()) for b in best])
    bound = np.maximum(bound, value)  # a bound is never below a plan found
    row_of = np.full(matrix.shape[0], -1, dtype=np.int64)
    row_of[rows] = np.arange(rows.size)
    points = shapely.point_on_surface(candidates.geometry.to_crs(4326).to_numpy()[rows])
    names = candidates["name"].to_numpy(dtype=object)[rows] if "name" in candidates else None
    data = TrySites(
        candidate_id=tuple(str(c) for c in candidates["candidate_id"].to_numpy()[rows]),
        name=tuple(
            n if isinstance(n, str) and n.strip() else None
            for n in (names if names is not None else [None] * rows.size)
        ),
        kind=tuple(str(k) for k in kinds[rows]),
        lon=shapely.get_x(points),
        lat=shapely.get_y(points),
        sets=sets,
        population=population[cols],
        building_lon=bx[cols],
        building_lat=by[cols],
        existing_population=float(population[covered].sum()),
        total_population=float(population.sum()),
        max_walk_m=float(max_walk_m),
        spacing_m=spacing_m,
        best_sites=tuple(np.sort(row_of[b]) for b in best),
        best_upper_bound=bound,
        default_size=size,
        n_candidates=int(matrix.shape[0]),
        context=context,
    )
    log.info(  # untranslated: a developer's log line (INFO, not shown by the command line)
        "try sites: %d of %d candidates clickable, %d buildings, %d pairs; best plans up to %d",
        rows.size,
        matrix.shape[0],
        cols.size,
        sets.nnz,
        k_max,
    )
    return data
