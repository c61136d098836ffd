"""How numbers read in the memos, the map's popups and the command's summary: one home each.

- thousands with a space (``1 234 567``, as in KZ/RU documents): :func:`thousands`, and
  :func:`count_text` which says "not recorded" for a missing value;
- shares (``87.3%``) and walking distances (``430 m``, "not reachable");
- the walking limit of a run's parameters (``800 m (10 min)``);
- :func:`number_or_none`: a JSON-safe float, ``None`` for a missing or NaN value;
- :func:`plain`: a value in a message as a person writes it (``-2``, ``100``, not
  ``np.float64(-2.0)`` or ``1e+02``). Every message that shows a value formats it here.

Plain Python (no numpy import): the command line prints with it too.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from typing import Any

__all__ = [
    "NOT_RECORDED",
    "NO_LIMIT",
    "count_text",
    "limit_text",
    "lookup",
    "metres_text",
    "number_or_none",
    "plain",
    "share_text",
    "thousands",
]

NOT_RECORDED = "not recorded"
NO_LIMIT = "the walking limit"


def thousands(value: float) -> str:
    """``1234567.4`` -> ``"1 234 567"`` (space as thousands separator)."""
    return f"{value:,.0f}".replace(",", " ")


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, int) and not math.isfinite(float(value)))


def count_text(value: Any) -> str:
    """``1234567`` -> ``"1 234 567"``; ``None``/NaN -> ``"not recorded"``."""
    if _missing(value):
        return NOT_RECORDED
    return f"{round(float(value)):,}".replace(",", " ")


def share_text(value: Any) -> str:
    """``0.8734`` -> ``"87.3%"``; ``None``/NaN -> ``"not recorded"``."""
    if _missing(value):
        return NOT_RECORDED
    return f"{100.0 * float(value):.1f}%"


def metres_text(value: Any) -> str:
    """Walking distance in metres, or "not reachable" for ``None``/NaN/inf."""
    if value is None or not math.isfinite(float(value)):
        return "not reachable"
    return f"{count_text(value)} m"


def lookup(d: Any, *keys: str) -> Any:
    """``d[k1][k2]...``, or ``None`` where a level is missing or not a mapping."""
    for key in keys:
        if not isinstance(d, Mapping) or key not in d:
            return None
        d = d[key]
    return d


def limit_text(params: Any) -> str:
    """``"800 m (10 min)"`` from ``max_walk_m``/``max_walk_min``, whichever are present."""
    walk_m = lookup(params, "max_walk_m")
    walk_min = lookup(params, "max_walk_min")
    if walk_m is None and walk_min is None:
        return NO_LIMIT
    if walk_m is None:
        return f"{float(walk_min):g} min"
    text = f"{count_text(walk_m)} m"
    return f"{text} ({float(walk_min):g} min)" if walk_min is not None else text


def number_or_none(value: Any) -> float | None:
    """``float(value)``, or ``None`` if it is missing, not a number or NaN."""
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def plain(value: object, *, digits: int | None = None) -> str:
    """``value`` as a person writes it: ``-2``, ``2.5``, ``100``, ``1234567``; text quoted.

    Numbers (Python or numpy) are written in positional notation without a trailing ``.0``;
    ``digits`` rounds to that many significant digits (``plain(99.96, digits=2)`` is ``"100"``).
    Text is quoted like ``repr`` (``'abc'``), so a stray space or an empty cell shows; anything
    else is its ``str``.
    """
    np = sys.modules.get("numpy")  # a numpy scalar means numpy is loaded; never load it here
    if np is not None and isinstance(value, np.generic):
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
        import numpy

        return numpy.format_float_positional(
            value, precision=digits, unique=True, fractional=False, trim="-"
        )
    if isinstance(value, str):
        return repr(value)
    return str(value)


#: Said by every output (memo, CLI, national report) of a result that the wall-clock safety
#: net (``--time-limit-s``) cut short: the same inputs may give another answer elsewhere.
TIME_LIMIT_LINE = (
    "This result depended on the time limit: a faster or less busy machine may find a better "
    "one (raise or drop --time-limit-s; --node-limit is the machine-independent work limit)."
)
