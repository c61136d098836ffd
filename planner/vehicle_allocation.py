"""Which stations get a service vehicle: the numeric core of :mod:`planner.vehicles`.

Arrays and ``scipy.sparse`` in, arrays out; no geometry. Placing ``V`` vehicles at stations is
a maximal covering problem: the stations are the candidates, the drive-time coverage matrix says
which buildings a car at each station reaches, and the buildings already within walking
distance count as covered. It is solved by the same exact solver as new stations
(:func:`planner.siting.maximize_coverage`, with its proven gap and its work limit); nationally,
each unit's curve goes into the same dynamic programme as new stations
(:func:`planner.allocation.allocate`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from planner.allocation import Allocation, allocate
from planner.defaults import DEFAULT_NODE_LIMIT, DEFAULT_TIME_LIMIT_S
from planner.siting import CoverageCurve, SitingResult, coverage_curve, maximize_coverage

__all__ = ["allocate_national_vehicles", "allocate_vehicles", "vehicle_curve"]


def allocate_vehicles(
    reach: sp.csr_array,
    population: ArrayLike,
    *,
    n_vehicles: int,
    walk_covered: ArrayLike,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    node_limit: int = DEFAULT_NODE_LIMIT,
    method: str = "exact",
) -> SitingResult:
    """Give at most one vehicle to each of ``n_vehicles`` stations, reaching the most residents.

    ``reach`` is stations x buildings (a stored entry: the building is within the drive limit
    of the station); ``walk_covered`` marks buildings already within walking distance of a
    working station (never counted again). The result's ``sites`` are the stations with a
    vehicle, in rollout order, with the proven bound and gap of
    :func:`planner.siting.maximize_coverage`.
    """
    n = int(reach.shape[0])
    k = min(int(n_vehicles), n) if isinstance(n_vehicles, int | np.integer) else n_vehicles
    return maximize_coverage(
        reach,
        population,
        n_sites=k,
        already_covered=walk_covered,
        method=method,  # type: ignore[arg-type]
        time_limit_s=time_limit_s,
        node_limit=node_limit,
    )


def vehicle_curve(
    reach: sp.csr_array,
    population: ArrayLike,
    *,
    max_vehicles: int,
    walk_covered: ArrayLike,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    node_limit: int = DEFAULT_NODE_LIMIT,
    method: str = "exact",
) -> CoverageCurve:
    """Residents gained with ``v = 0 .. max_vehicles`` vehicles (one curve for the national DP)."""
    return coverage_curve(
        reach,
        population,
        max_sites=min(int(max_vehicles), int(reach.shape[0])),
        already_covered=walk_covered,
        method=method,  # type: ignore[arg-type]
        time_limit_s=time_limit_s,
        node_limit=node_limit,
    )


def allocate_national_vehicles(
    curves: Sequence[ArrayLike],
    bounds: Sequence[ArrayLike],
    n_vehicles: int,
    *,
    names: Sequence[str] | None = None,
) -> Allocation:
    """Share ``n_vehicles`` among units by the same dynamic programme as new stations (exact
    over the curves; the bound curves give the national gap). A unit never takes more vehicles
    than its curve's end: beyond it nobody gains."""
    return allocate(curves, n_vehicles, bounds=bounds, names=names)
