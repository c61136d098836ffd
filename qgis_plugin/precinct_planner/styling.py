"""Class bounds that depend on the data, computed as map.html computes them.

Plain Python (no QGIS, no numpy): the shipped ``.qml`` styles hold the colours and the fixed
classes; the two data-fitted classifications of map.html are recomputed here when a layer is
loaded. They follow ``planner.maps.city._population_breaks`` (quantiles of the uncovered
buildings' residents) and ``planner.maps.national._share_breaks`` (national units' share covered
after the plan);
``tests/test_qgis_plugin.py`` checks both against those functions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def _quantile(sorted_values: list[float], q: float) -> float:
    """numpy's default (linear) quantile of sorted values."""
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    frac = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * frac


def _finite(values: Iterable[object]) -> list[float]:
    out = []
    for v in values:
        try:
            f = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out.append(f)
    return out


def population_classes(values: Iterable[object]) -> list[tuple[float, float, str]]:
    """``(lower, upper, label)`` of up to 5 classes of residents per building.

    Upper bounds are the 20/40/60/80/100 % quantiles rounded up to whole residents (duplicates
    merged); a building belongs to the first class whose upper bound it does not exceed.
    """
    finite = sorted(_finite(values))
    if not finite:
        return []
    breaks = sorted({float(math.ceil(_quantile(finite, q))) for q in (0.2, 0.4, 0.6, 0.8, 1.0)})
    lower = float(math.floor(finite[0]))
    out = []
    for i, upper in enumerate(breaks):
        low_label = lower if i == 0 else breaks[i - 1] + 1
        label = f"{low_label:,.0f}–{upper:,.0f}" if upper > low_label else f"{upper:,.0f}"
        out.append((lower if i == 0 else breaks[i - 1], upper, label.replace(",", " ")))
    return out


def share_classes(values: Iterable[object]) -> list[tuple[float, float, str]]:
    """``(lower, upper, label)`` of the 5 equal classes of shares (0..1) fitted to the data,
    bounds in whole percent widened to multiples of 5 % (e.g. 60, 67, 74, 81, 88, 95 %).

    A share on a bound belongs to the upper class, as in map.html; the ranges' upper ends are
    set just below the next bound for that.
    """
    shares = [v * 100.0 for v in _finite(values)]
    if not shares:
        return []
    low = min(max(math.floor(min(shares) / 5.0 + 1e-9) * 5, 0), 95)
    high = max(min(math.ceil(max(shares) / 5.0 - 1e-9) * 5, 100), low + 5)
    step = max(1, math.ceil((high - low) / 5.0))
    low = min(low, 100 - 5 * step)
    breaks = [low + i * step for i in range(6)]
    out = []
    for i in range(5):
        upper = breaks[i + 1] / 100.0 - (1e-9 if i < 4 else 0.0)
        out.append((breaks[i] / 100.0, upper, f"{breaks[i]}–{breaks[i + 1]} %"))
    return out
