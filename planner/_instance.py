"""The siting instance: checking the inputs every siting function shares (private).

:func:`read_instance` checks the coverage matrix, the residents per building and the mask of
buildings already covered, collecting every problem (they are reported together, as the house
style asks), and returns the validated :class:`Instance`: the coverage *pattern* (every stored
entry set to 1.0), the weights and the mask. :mod:`planner.siting`, :mod:`planner.repairs` and
:mod:`planner.capacitated` call it by module (``_instance.read_instance(...)``) together with the
small option checks below. Arrays in, arrays out: no geometry here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from planner._types import BoolArray, FloatArray, IntArray, SparseCoverage
from planner.errors import InputError

__all__ = [
    "Instance",
    "check_method",
    "check_solver_options",
    "is_int",
    "positions",
    "raise_if",
    "read_instance",
    "read_rows",
]



@dataclass(frozen=True, eq=False)
class Instance:
    """Validated inputs: the coverage pattern (all stored entries set to 1.0), weights, mask."""

    pattern: sp.csr_array
    population: FloatArray
    already_covered: BoolArray
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

    def new_weights(self, extra_covered: BoolArray | None = None) -> FloatArray:
        """Population that is not yet covered (by existing stations and ``extra_covered``)."""
        covered = (
            self.already_covered if extra_covered is None else self.already_covered | extra_covered
        )
        return np.where(covered, 0.0, self.population)


def positions(mask: NDArray[np.bool_], limit: int = 5) -> str:
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in idx[:limit])
    return shown + (", ..." if idx.size > limit else "")


def read_instance(
    coverage: SparseCoverage,
    population: ArrayLike,
    already_covered: ArrayLike | None,
    problems: list[str],
) -> Instance | None:
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
    weights: FloatArray | None = None
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
                f"population is NaN at {int(nan.sum())} buildings ({positions(nan)}); "
                "fill missing populations (e.g. with 0) before siting"
            )
        inf = np.isinf(weights)
        if inf.any():
            problems.append(f"population is infinite at buildings {positions(inf)}")
        neg = weights < 0
        if neg.any():
            problems.append(
                f"population is negative at {int(neg.sum())} buildings "
                f"({positions(neg)}); populations must be >= 0"
            )
        if not (nan.any() or inf.any() or neg.any()) and weights.sum() <= 0:
            problems.append("population sums to 0; there is nobody to cover")

    covered: BoolArray | None = None
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
    return Instance(pattern, weights, covered, values_are_bool)


def check_method(method: object, problems: list[str]) -> None:
    if method not in ("exact", "greedy"):
        problems.append(f"method={method!r} is not one of 'exact', 'greedy'")


def check_solver_options(
    time_limit_s: object, mip_rel_gap: object, problems: list[str], *, node_limit: object = 1
) -> None:
    if (
        not isinstance(time_limit_s, int | float)
        or isinstance(time_limit_s, bool)
        or not time_limit_s > 0
    ):
        problems.append(
            f"time_limit_s={time_limit_s!r} must be a number of seconds > 0 (inf: no limit)"
        )
    if not is_int(node_limit) or int(node_limit) < 1:  # type: ignore[call-overload]
        problems.append(
            f"node_limit={node_limit!r} must be a whole number of branch-and-bound nodes >= 1"
        )
    if (
        not isinstance(mip_rel_gap, int | float)
        or isinstance(mip_rel_gap, bool)
        or not 0 <= mip_rel_gap < 1
    ):
        problems.append(f"mip_rel_gap={mip_rel_gap!r} must be in [0, 1), e.g. 0.01 for 1%")


def is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def read_rows(
    name: str, rows: ArrayLike | None, n_candidates: int | None, problems: list[str]
) -> IntArray:
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
                f"{positions(bad)} (values {arr[bad][:5].tolist()}); they must be rows of the "
                "coverage matrix"
            )
            return np.zeros(0, dtype=np.intp)
    return arr.astype(np.intp)


def raise_if(func: str, problems: list[str]) -> None:
    if problems:
        raise InputError(
            f"{func}: {len(problems)} problem(s) with the input",
            problems,
            "Each line names the argument and what it must be; fix them all and call again.",
        )
