"""How numbers read in the memos, the map's popups and the command's summary: one home each.

- thousands with a space (``1 234 567``, as in KZ/RU documents): :func:`thousands`, and
  :func:`count_text` which says "not recorded" for a missing value;
- shares (``87.3%``) and walking distances (``430 m``, "not reachable");
- the walking limit of a run's parameters (``800 m (10 min)``);
- :func:`illustrative_labels`: the "ILLUSTRATIVE DATA, NOT REAL" label of every input a run's
  summary flags as made up (the flag itself is the table reader's rule, in ``_tables``);
- :func:`number_or_none`: a JSON-safe float, ``None`` for a missing or NaN value;
- :func:`plain`: a value in a message as a person writes it (``-2``, ``100``, not
  ``np.float64(-2.0)`` or ``1e+02``). Every message that shows a value formats it here.

Plain Python (no numpy import): the command line prints with it too.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from planner import i18n
from planner.i18n import N_, gettext

__all__ = [
    "NOT_RECORDED",
    "NO_LIMIT",
    "count_text",
    "district_text",
    "illustrative_labels",
    "limit_text",
    "lookup",
    "metres_text",
    "number_or_none",
    "plain",
    "share_text",
    "thousands",
]

#: English message ids: every function here returns them translated (:mod:`planner.i18n`).
NOT_RECORDED = N_("not recorded")
NO_LIMIT = N_("the walking limit")


#: The district of residents in no district (``planner.districts.OUTSIDE``), a key in the
#: machine-readable outputs; shown translated by :func:`district_text`.
OUTSIDE_DISTRICT = N_("(outside)")


def district_text(name: Any) -> str:
    """A district's name as shown: ``"(outside)"`` in the language in use, others as they are."""
    return gettext(OUTSIDE_DISTRICT) if name == OUTSIDE_DISTRICT else str(name)


def thousands(value: float) -> str:
    """``1234567.4`` -> ``"1 234 567"`` (space as thousands separator, in every language)."""
    if i18n.language() == "en":
        return f"{value:,.0f}".replace(",", " ")
    return i18n.fmt_int(value)


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, int) and not math.isfinite(float(value)))


def count_text(value: Any) -> str:
    """``1234567`` -> ``"1 234 567"``; ``None``/NaN -> ``"not recorded"``."""
    if _missing(value):
        return gettext(NOT_RECORDED)
    return i18n.fmt_int(float(value))


def share_text(value: Any) -> str:
    """``0.8734`` -> ``"87.3%"`` (``"87,3 %"`` in ru/kk); ``None``/NaN -> ``"not recorded"``."""
    if _missing(value):
        return gettext(NOT_RECORDED)
    return i18n.fmt_share(float(value))


def metres_text(value: Any) -> str:
    """Walking distance in metres, or "not reachable" for ``None``/NaN/inf."""
    if value is None or not math.isfinite(float(value)):
        return gettext("not reachable")
    return gettext("{metres} m").format(metres=count_text(value))


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
        return gettext(NO_LIMIT)
    minutes = (
        gettext("{minutes} min").format(minutes=minutes_text(walk_min))
        if walk_min is not None
        else None
    )
    if walk_m is None:
        return minutes
    text = gettext("{metres} m").format(metres=count_text(walk_m))
    return f"{text} ({minutes})" if minutes is not None else text


def minutes_text(value: Any) -> str:
    """A number of minutes as ``%g`` writes it (``10``, ``7.5``), with a decimal comma in ru/kk."""
    text = f"{float(value):g}"
    return text if i18n.language() == "en" else text.replace(".", ",")


def illustrative_labels(summary: Any) -> list[str]:
    """One label per input that declares itself illustrative or synthetic (flagged
    ``illustrative`` in ``data.inputs``, or ``inputs`` of a national summary, by the table
    reader: :func:`planner._tables.declared_illustrative`), for the top of every output: the
    CLI, summary.md, national.md and the maps' legends all show these words."""
    inputs = lookup(summary, "data", "inputs")
    if inputs is None:
        inputs = lookup(summary, "inputs")
    out = []
    for record in inputs or ():
        if not (isinstance(record, Mapping) and record.get("illustrative")):
            continue
        name = PurePath(str(record.get("path") or "")).name or "(unnamed)"
        note = record.get("illustrative_note")
        out.append(
            gettext(
                "ILLUSTRATIVE DATA, NOT REAL: the {role} file {name} says it is illustrative or "
                "synthetic{note}; every number built from it is illustrative too."
            ).format(role=record.get("role", "input"), name=name, note=f" ({note})" if note else "")
        )
    return out


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
TIME_LIMIT_LINE = N_(
    "This result depended on the time limit: a faster or less busy machine may find a better "
    "one (raise or drop --time-limit-s; --node-limit is the machine-independent work limit)."
)
