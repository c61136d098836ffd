"""Numbers in messages, written as a person writes them.

``f"{x!r}"`` on a numpy scalar prints ``np.float64(-2.0)`` and ``f"{x:g}"`` prints ``1e+02`` for
100; :func:`plain` prints ``-2`` and ``100``. Every message that shows a value (a user's cell, an
option, a count of residents) formats it here.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["plain"]


def plain(value: object, *, digits: int | None = None) -> str:
    """``value`` as a person writes it: ``-2``, ``2.5``, ``100``, ``1234567``; text quoted.

    Numbers (Python or numpy) are written in positional notation without a trailing ``.0``;
    ``digits`` rounds to that many significant digits (``plain(99.96, digits=2)`` is ``"100"``).
    Text is quoted like ``repr`` (``'abc'``), so a stray space or an empty cell shows; anything
    else is its ``str``.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)  # nan, inf, -inf
        if digits is None and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return np.format_float_positional(
            value, precision=digits, unique=True, fractional=False, trim="-"
        )
    if isinstance(value, str):
        return repr(value)
    return str(value)
