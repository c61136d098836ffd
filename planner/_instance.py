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

from planner import i18n
from planner._types import BoolArray, FloatArray, IntArray, SparseCoverage
from planner.errors import InputError
from planner.i18n import gettext, ngettext

__all__ = [
    "Instance",
    "check_method",
    "check_solver_options",
    "count_text",
    "is_int",
    "number_text",
    "percent_text",
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


def count_text(n: int | np.integer) -> str:
    """A count in a note: ``1,234`` in English (as it has always read), ``1 234`` in ru/kk."""
    return f"{int(n):,}" if i18n.language() == "en" else i18n.fmt_int(int(n))


def number_text(x: float) -> str:
    """A number as ``%g`` writes it (``30``, ``2.5``), with a decimal comma in ru/kk."""
    text = f"{float(x):g}"
    return text if i18n.language() == "en" else text.replace(".", ",")


def percent_text(share: float, digits: int = 2) -> str:
    """A share of 1 as a percentage: ``87.25%`` in English, ``87,25 %`` in ru/kk."""
    if i18n.language() == "en":
        return f"{100 * share:.{digits}f}%"
    return i18n.fmt_share(share, digits=digits)


def positions(mask: NDArray[np.bool_], limit: int = 5) -> str:
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in idx[:limit])
    return shown + (", ..." if idx.size > limit else "")


def read_instance(
    coverage: SparseCoverage,
    population: ArrayLike,
    already_covered: ArrayLike | None,
    problems: list[str],
    *,
    name: str = "coverage",
    rows: str = "candidate",
) -> Instance | None:
    """Check the shared inputs, appending every problem found; None if unusable.

    ``name`` is the matrix's argument in the messages; ``rows`` says what its rows are,
    ``"candidate"`` (sites) or ``"station"`` (existing stations, as :mod:`planner.repairs` and
    :mod:`planner.capacitated` pass them).
    """
    matrix: sp.csr_array | None = None
    values_are_bool = True
    if not sp.issparse(coverage):
        example = (
            f"scipy.sparse.csr_array((values, ({rows}_rows, demand_cols)), "
            f"shape=(n_{rows}s, n_demand))"
        )
        message = (
            gettext(
                "{name} is a {type}, not a scipy.sparse matrix; build it with {example}, one "
                "stored entry per station-building pair within the walking limit"
            )
            if rows == "station"
            else gettext(
                "{name} is a {type}, not a scipy.sparse matrix; build it with {example}, one "
                "stored entry per candidate-building pair within the walking limit"
            )
        )
        problems.append(
            message.format(name=name, type=type(coverage).__name__, example=example)
        )
    elif coverage.ndim != 2:
        problems.append(
            gettext("{name} has {n} dimensions; it must be 2-D").format(
                name=name, n=coverage.ndim
            )
        )
    else:
        matrix = sp.csr_array(coverage)
        data = np.asarray(matrix.data)
        values_are_bool = data.dtype.kind == "b"
        if data.dtype.kind not in "biuf":
            problems.append(
                gettext("{name} values have dtype {dtype}; use booleans or metres").format(
                    name=name, dtype=data.dtype
                )
            )
        elif data.dtype.kind == "f":
            bad = ~np.isfinite(data) | (data < 0)
            if bad.any():
                problems.append(
                    ngettext(
                        "{name} holds {n} stored values that are NaN, infinite or negative; "
                        "stored values must be walking distances >= 0 (a pair that is not "
                        "covered must simply not be stored)",
                        "{name} holds {n} stored values that are NaN, infinite or negative; "
                        "stored values must be walking distances >= 0 (a pair that is not "
                        "covered must simply not be stored)",
                        int(bad.sum()),
                    ).format(name=name, n=int(bad.sum()))
                )
        elif data.dtype.kind == "i" and (data < 0).any():
            problems.append(
                gettext("{name} holds negative values; walking distances must be >= 0").format(
                    name=name
                )
            )

    n_demand = None if matrix is None else int(matrix.shape[1])
    weights: FloatArray | None = None
    try:
        weights = np.asarray(population, dtype=np.float64)
    except (TypeError, ValueError):
        problems.append(
            gettext("population is not numeric; pass one number of residents per building")
        )
    if weights is not None:
        if weights.ndim != 1:
            problems.append(
                gettext("population has shape {shape}; it must be 1-D (n_demand,)").format(
                    shape=weights.shape
                )
            )
            weights = None
        elif n_demand is not None and weights.size != n_demand:
            problems.append(
                gettext(
                    "population has {n} values but {name} has {columns} demand columns; they "
                    "must describe the same buildings in the same order"
                ).format(n=weights.size, name=name, columns=n_demand)
            )
            weights = None
    if weights is not None:
        nan = np.isnan(weights)
        if nan.any():
            problems.append(
                ngettext(
                    "population is NaN at {n} buildings ({positions}); fill missing "
                    "populations (e.g. with 0) before siting",
                    "population is NaN at {n} buildings ({positions}); fill missing "
                    "populations (e.g. with 0) before siting",
                    int(nan.sum()),
                ).format(
                    n=int(nan.sum()), positions=positions(nan)
                )
            )
        inf = np.isinf(weights)
        if inf.any():
            problems.append(
                gettext("population is infinite at buildings {positions}").format(
                    positions=positions(inf)
                )
            )
        neg = weights < 0
        if neg.any():
            problems.append(
                ngettext(
                    "population is negative at {n} buildings ({positions}); populations must "
                    "be >= 0",
                    "population is negative at {n} buildings ({positions}); populations must "
                    "be >= 0",
                    int(neg.sum()),
                ).format(
                    n=int(neg.sum()), positions=positions(neg)
                )
            )
        if not (nan.any() or inf.any() or neg.any()) and weights.sum() <= 0:
            problems.append(gettext("population sums to 0; there is nobody to cover"))

    covered: BoolArray | None = None
    if already_covered is None:
        if n_demand is not None:
            covered = np.zeros(n_demand, dtype=bool)
    else:
        mask = np.asarray(already_covered)
        if mask.ndim != 1:
            problems.append(
                gettext("already_covered has shape {shape}; it must be 1-D (n_demand,)").format(
                    shape=mask.shape
                )
            )
        elif n_demand is not None and mask.size != n_demand:
            problems.append(
                gettext(
                    "already_covered has {n} values but {name} has {columns} demand columns"
                ).format(n=mask.size, name=name, columns=n_demand)
            )
        elif mask.dtype.kind == "b":
            covered = mask.astype(bool, copy=True)
        elif mask.dtype.kind in "iuf" and np.isin(mask, (0, 1)).all():
            covered = mask.astype(bool)
        else:
            problems.append(
                gettext(
                    "already_covered must be a boolean mask (True = within walking "
                    "distance of an existing station)"
                )
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
        problems.append(
            gettext("method={value} is not one of {choices}").format(
                value=repr(method), choices="'exact', 'greedy'"
            )
        )


def check_solver_options(
    time_limit_s: object, mip_rel_gap: object, problems: list[str], *, node_limit: object = 1
) -> None:
    if (
        not isinstance(time_limit_s, int | float)
        or isinstance(time_limit_s, bool)
        or not time_limit_s > 0
    ):
        problems.append(
            gettext("time_limit_s={value} must be a number of seconds > 0 (inf: no limit)").format(
                value=repr(time_limit_s)
            )
        )
    if not is_int(node_limit) or int(node_limit) < 1:  # type: ignore[call-overload]
        problems.append(
            gettext(
                "node_limit={value} must be a whole number of branch-and-bound nodes >= 1"
            ).format(value=repr(node_limit))
        )
    if (
        not isinstance(mip_rel_gap, int | float)
        or isinstance(mip_rel_gap, bool)
        or not 0 <= mip_rel_gap < 1
    ):
        problems.append(
            gettext("mip_rel_gap={value} must be in [0, 1), e.g. 0.01 for 1%").format(
                value=repr(mip_rel_gap)
            )
        )


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
        problems.append(
            gettext(
                "{name} must be a 1-D list of integer candidate indices (matrix rows)"
            ).format(name=name)
        )
        return np.zeros(0, dtype=np.intp)
    if n_candidates is not None:
        bad = (arr < 0) | (arr >= n_candidates)
        if bad.any():
            problems.append(
                gettext(
                    "{name} holds indices outside 0..{last} at positions {positions} (values "
                    "{values}); they must be rows of the coverage matrix"
                ).format(
                    name=name,
                    last=n_candidates - 1,
                    positions=positions(bad),
                    values=arr[bad][:5].tolist(),
                )
            )
            return np.zeros(0, dtype=np.intp)
    return arr.astype(np.intp)


def raise_if(func: str, problems: list[str]) -> None:
    if problems:
        raise InputError(
            ngettext(
                "{function}: {n} problem(s) with the input",
                "{function}: {n} problem(s) with the input",
                len(problems),
            ).format(function=func, n=len(problems)),
            problems,
            gettext(
                "Each line names the argument and what it must be; fix them all and call again."
            ),
        )
