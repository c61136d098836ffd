"""Validated, frozen settings shared by the pipeline steps.

Settings are plain frozen dataclasses, passed explicitly to every step: there is no module-level
mutable state, so a city run is a pure function of its inputs (safe to run many cities at once).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner.defaults import (
    DEFAULT_MAX_SNAP_M,
    DEFAULT_MAX_WALK_M,
    DEFAULT_MAX_WALK_MIN,
    DEFAULT_SPEED_KMH,
)
from planner.errors import InputError
from planner.i18n import gettext

__all__ = ["DEFAULT_MAX_WALK_MIN", "DEFAULT_SPEED_KMH", "WalkSettings"]


def _check_positive(name: str, value: float, *, upper: float | None = None) -> list[str]:
    problems: list[str] = []
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        problems.append(
            gettext("{name}={value} is not a finite number").format(name=name, value=repr(value))
        )
    elif value <= 0:
        problems.append(
            gettext("{name}={value} must be greater than 0").format(name=name, value=repr(value))
        )
    elif upper is not None and value > upper:
        problems.append(
            gettext("{name}={value} is larger than the plausible maximum {upper}").format(
                name=name, value=repr(value), upper=upper
            )
        )
    return problems


@dataclass(frozen=True, kw_only=True)
class WalkSettings:
    """How far people walk and how points reach the street network.

    Parameters
    ----------
    max_walk_m
        Walking limit along the network, door to door, in metres. Default 800 m, a 10-minute
        walk at 4.8 km/h.
    speed_kmh
        Walking speed used to convert between minutes and metres.
    max_snap_m
        Furthest straight-line distance from a building door, station or site to the nearest
        walkable street that is still accepted. Points further away are reported as
        unreachable rather than snapped across a river or railway.
    """

    max_walk_m: float = DEFAULT_MAX_WALK_M
    speed_kmh: float = DEFAULT_SPEED_KMH
    max_snap_m: float = DEFAULT_MAX_SNAP_M

    def __post_init__(self) -> None:
        problems = _check_positive("max_walk_m", self.max_walk_m, upper=50_000)
        problems += _check_positive("speed_kmh", self.speed_kmh, upper=15)
        problems += _check_positive("max_snap_m", self.max_snap_m, upper=5_000)
        if problems:
            raise InputError(
                gettext("invalid walking settings"),
                problems,
                gettext(
                    "Use a walking limit in metres (e.g. 800) or build the settings with "
                    "{example}."
                ).format(example="WalkSettings.from_minutes(10, speed_kmh=4.8)"),
            )

    @classmethod
    def from_minutes(
        cls,
        max_walk_min: float,
        *,
        speed_kmh: float = DEFAULT_SPEED_KMH,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
    ) -> WalkSettings:
        """Settings for a walking limit given in minutes at ``speed_kmh``."""
        problems = _check_positive("max_walk_min", max_walk_min, upper=600)
        problems += _check_positive("speed_kmh", speed_kmh, upper=15)
        if problems:
            raise InputError(gettext("invalid walking settings"), problems)
        return cls(
            max_walk_m=minutes_to_m(max_walk_min, speed_kmh=speed_kmh),
            speed_kmh=speed_kmh,
            max_snap_m=max_snap_m,
        )

    @property
    def max_walk_min(self) -> float:
        """The walking limit in minutes at ``speed_kmh``."""
        return m_to_minutes(self.max_walk_m, speed_kmh=self.speed_kmh)


def minutes_to_m(minutes: float, *, speed_kmh: float) -> float:
    """Metres walked in ``minutes`` at ``speed_kmh`` (10 min at 4.8 km/h is 800 m)."""
    return float(minutes) * float(speed_kmh) * 1000.0 / 60.0


def m_to_minutes(metres: float, *, speed_kmh: float) -> float:
    """Minutes needed to walk ``metres`` at ``speed_kmh``."""
    return float(metres) * 60.0 / (float(speed_kmh) * 1000.0)
