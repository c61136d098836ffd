"""Type names shared by the numeric cores: the array aliases and the sparse coverage matrix.

Written once here (they were defined again in every numeric module). Only numpy and scipy:
the numeric cores know nothing about geometry.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

__all__ = ["BoolArray", "FloatArray", "Int64Array", "IntArray", "SparseCoverage"]

FloatArray: TypeAlias = NDArray[np.float64]
IntArray: TypeAlias = NDArray[np.intp]
Int64Array: TypeAlias = NDArray[np.int64]
BoolArray: TypeAlias = NDArray[np.bool_]

#: The coverage matrix of the siting functions: a ``scipy.sparse`` array or matrix of shape
#: ``(n_candidates, n_demand)`` whose stored entries are the (site, building) pairs within the
#: walking limit (values: ``True`` or walking metres, an explicit ``0.0`` still means covered).
#: :attr:`planner.covering.CoverageMatrix.matrix` is one. The functions check it at run time
#: and report anything else as an input error.
SparseCoverage: TypeAlias = sp.sparray | sp.spmatrix
