"""How many residents live within a walk of a station: totals, percentiles, stations, districts.

The numeric core works on two arrays, each building's ``population`` and its door-to-door
``walk_m`` to the nearest station (inf when none can be reached), so a different walking limit
or speed is a new threshold on the same distances, not a new search
(:func:`coverage_sensitivity`). The frame adapters take the ``buildings`` frame of
:func:`planner.distances.walk_distances` after population has been estimated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.defaults import DEFAULT_SPEED_KMH
from planner.districts import OUTSIDE, district_index
from planner.errors import InputError
from planner.i18n import gettext
from planner.settings import m_to_minutes, minutes_to_m

__all__ = [
    "CoverageSummary",
    "coverage_by_district",
    "coverage_by_station",
    "coverage_sensitivity",
    "summarize_coverage",
]

#: Percentiles of the walk reported (population weighted: "half of the residents walk less than").
PERCENTILES = (50, 75, 90, 95)


@dataclass(frozen=True)
class CoverageSummary:
    """Residents and buildings within and beyond the walking limit.

    ``walk_m_percentiles`` are population-weighted percentiles of the walk to the nearest
    station over residents who can reach one (``{50: 412.0, ...}``: half of them walk less than
    412 m). ``*_unreachable`` counts those who reach no station at all (no street within the
    snap limit, or a network piece without a station); they are also counted as beyond.
    """

    max_walk_m: float
    speed_kmh: float
    residents_total: float
    residents_covered: float
    residents_beyond: float
    residents_unreachable: float
    share_covered: float
    buildings_total: int
    buildings_covered: int
    buildings_beyond: int
    buildings_unreachable: int
    walk_m_percentiles: dict[int, float]

    @property
    def max_walk_min(self) -> float:
        return m_to_minutes(self.max_walk_m, speed_kmh=self.speed_kmh)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary (percentile keys as strings such as ``"50"``)."""
        out = asdict(self)
        out["max_walk_min"] = self.max_walk_min
        out["walk_m_percentiles"] = {str(k): v for k, v in self.walk_m_percentiles.items()}
        return out


def _check_arrays(population: np.ndarray, walk_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    population = np.asarray(population, dtype=float)
    walk_m = np.asarray(walk_m, dtype=float)
    problems = []
    if population.shape != walk_m.shape:
        problems.append(
            gettext("population has {shape} values, walk_m {walk_shape}").format(
                shape=population.shape, walk_shape=walk_m.shape
            )
        )
    elif (~np.isfinite(population) | (population < 0)).any():
        bad = int(np.flatnonzero(~np.isfinite(population) | (population < 0))[0])
        problems.append(
            gettext("population must be finite and >= 0 (position {position}: {value})").format(
                position=bad, value=population[bad]
            )
        )
    if np.isnan(walk_m).any():
        problems.append(
            gettext("walk_m has NaN values; use inf for buildings that reach no station")
        )
    if problems:
        raise InputError(gettext("coverage: inconsistent inputs"), problems)
    return population, walk_m


def weighted_percentiles(
    values: np.ndarray, weights: np.ndarray, percentiles: Sequence[float]
) -> np.ndarray:
    """Weighted percentiles (the smallest value below which ``p`` % of the weight lies)."""
    finite = np.isfinite(values) & (weights > 0)
    values, weights = values[finite], weights[finite]
    if values.size == 0:
        return np.full(len(percentiles), np.nan)
    order = np.argsort(values, kind="stable")
    values, cum = values[order], np.cumsum(weights[order])
    targets = np.asarray(percentiles, dtype=float) / 100.0 * cum[-1]
    pos = np.minimum(np.searchsorted(cum, targets - 1e-9 * cum[-1], side="left"), values.size - 1)
    return values[pos]


def summarize_arrays(
    population: np.ndarray, walk_m: np.ndarray, *, max_walk_m: float, speed_kmh: float
) -> CoverageSummary:
    """:class:`CoverageSummary` from per-building population and walk (the numeric core)."""
    population, walk_m = _check_arrays(population, walk_m)
    covered = walk_m <= max_walk_m
    unreachable = ~np.isfinite(walk_m)
    total = float(population.sum())
    pct = weighted_percentiles(walk_m, population, PERCENTILES)
    return CoverageSummary(
        max_walk_m=float(max_walk_m),
        speed_kmh=float(speed_kmh),
        residents_total=total,
        residents_covered=float(population[covered].sum()),
        residents_beyond=float(population[~covered].sum()),
        residents_unreachable=float(population[unreachable].sum()),
        share_covered=float(population[covered].sum()) / total if total > 0 else 0.0,
        buildings_total=int(walk_m.size),
        buildings_covered=int(covered.sum()),
        buildings_beyond=int((~covered).sum()),
        buildings_unreachable=int(unreachable.sum()),
        walk_m_percentiles={p: float(v) for p, v in zip(PERCENTILES, pct.tolist(), strict=True)},
    )


def _columns(buildings: pd.DataFrame, *, function: str) -> tuple[np.ndarray, np.ndarray]:
    missing = [c for c in ("population", "walk_m") if c not in buildings.columns]
    if missing:
        raise InputError(
            gettext("{function}: the buildings frame lacks the columns {columns}").format(
                function=function, columns=missing
            ),
            hint=gettext(
                "Estimate population with planner.demand and walking distances with "
                "planner.walk_distances first; their outputs carry these columns."
            ),
        )
    return (
        buildings["population"].to_numpy(dtype=float),
        buildings["walk_m"].to_numpy(dtype=float),
    )


def summarize_coverage(
    buildings: pd.DataFrame, *, max_walk_m: float, speed_kmh: float
) -> CoverageSummary:
    """Coverage of residents from a frame with ``population`` and ``walk_m`` columns."""
    population, walk_m = _columns(buildings, function="summarize_coverage")
    return summarize_arrays(population, walk_m, max_walk_m=max_walk_m, speed_kmh=speed_kmh)


def coverage_sensitivity(
    buildings: pd.DataFrame,
    *,
    speeds_kmh: Iterable[float] = (DEFAULT_SPEED_KMH,),
    limits_min: Iterable[float] | None = None,
    limits_m: Iterable[float] | None = None,
) -> pd.DataFrame:
    """The coverage summary for several walking speeds and limits in one call.

    Planning norms differ (3.6 to 5 km/h; 400 to 1,000 m), so one table shows how much the
    answer depends on them. Limits are given in minutes (converted at each speed) or in
    metres (the same for every speed). The distances are computed once: ``walk_m`` must have
    been computed without a cap shorter than the largest limit.

    Returns
    -------
    pandas.DataFrame
        One row per (speed, limit): ``speed_kmh``, ``max_walk_min``, ``max_walk_m``,
        ``residents_covered``, ``residents_beyond``, ``share_covered``, ``buildings_beyond``
        and the walk percentiles.
    """
    population, walk_m = _columns(buildings, function="coverage_sensitivity")
    if (limits_min is None) == (limits_m is None):
        raise InputError(
            gettext("coverage_sensitivity: give limits_min or limits_m (one of them)"),
            hint=gettext("e.g. {example} or {other}.").format(
                example="limits_min=(5, 10, 15)", other="limits_m=(400, 800, 1000)"
            ),
        )
    rows = []
    for speed in speeds_kmh:
        if limits_min is not None:
            pairs = [(minutes_to_m(t, speed_kmh=speed), float(t)) for t in limits_min]
        else:
            assert limits_m is not None
            pairs = [(float(m), m_to_minutes(m, speed_kmh=speed)) for m in limits_m]
        for metres, minutes in pairs:
            s = summarize_arrays(population, walk_m, max_walk_m=metres, speed_kmh=speed)
            rows.append(
                {
                    "speed_kmh": float(speed),
                    "max_walk_min": minutes,
                    "max_walk_m": metres,
                    "residents_covered": s.residents_covered,
                    "residents_beyond": s.residents_beyond,
                    "share_covered": s.share_covered,
                    "buildings_beyond": s.buildings_beyond,
                    **{f"walk_m_p{k}": v for k, v in s.walk_m_percentiles.items()},
                }
            )
    return pd.DataFrame(rows)


def coverage_by_station(
    buildings: pd.DataFrame,
    stations: pd.DataFrame,
    *,
    max_walk_m: float,
) -> pd.DataFrame:
    """Residents for whom each station is the nearest: an inspector's potential workload.

    Returns a frame aligned to ``stations.index`` with ``residents_nearest`` (all residents
    whose nearest station it is), ``residents_within`` (of those, within the limit),
    ``buildings_nearest`` and ``buildings_within``.
    """
    population, walk_m = _columns(buildings, function="coverage_by_station")
    if "nearest_station" not in buildings.columns:
        raise InputError(
            gettext("coverage_by_station: the buildings frame lacks 'nearest_station'"),
            hint=gettext("Use the buildings frame returned by planner.walk_distances."),
        )
    frame = pd.DataFrame(
        {
            "station": buildings["nearest_station"].to_numpy(),
            "population": population,
            "within": walk_m <= max_walk_m,
        }
    )
    frame = frame[frame["station"].notna()]
    frame["population_within"] = frame["population"] * frame["within"]
    grouped = frame.groupby("station", sort=False).agg(
        residents_nearest=("population", "sum"),
        residents_within=("population_within", "sum"),
        buildings_nearest=("population", "size"),
        buildings_within=("within", "sum"),
    )
    out = grouped.reindex(stations.index).fillna(0.0)
    for col in ("buildings_nearest", "buildings_within"):
        out[col] = out[col].astype(int)
    return out


def coverage_by_district(
    buildings: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    *,
    max_walk_m: float,
    name_column: str = "name",
    covered_after_column: str | None = None,
) -> pd.DataFrame:
    """Residents within and beyond the limit in each district (a building counts where its
    representative point lies, see :func:`planner.districts.district_index`; buildings in no
    district are reported as ``"(outside)"``).

    Every district has a row, also one without any resident (a district the map's buildings
    do not reach). ``covered_after_column`` names a boolean column of ``buildings`` (such as
    the plan's ``covered_after``) counted in ``residents_covered_after`` and
    ``share_covered_after``.

    Returns
    -------
    pandas.DataFrame
        One row per district: ``district``, ``residents_total``, ``residents_covered``,
        ``residents_beyond``, ``share_covered``, ``buildings_beyond`` (and the two ``_after``
        columns); sorted by residents beyond, largest first.
    """
    population, walk_m = _columns(buildings, function="coverage_by_district")
    if name_column not in districts.columns:
        raise InputError(
            gettext("coverage_by_district: the districts have no column {column}").format(
                column=repr(name_column)
            ),
            hint=gettext("Columns are {columns}; pass name_column=...").format(
                columns=list(districts.columns)
            ),
        )
    if covered_after_column is not None and covered_after_column not in buildings.columns:
        raise InputError(
            gettext("coverage_by_district: the buildings have no column {column}").format(
                column=repr(covered_after_column)
            ),
            hint=gettext("Pass the plan's buildings (PlanResult.buildings) for covered_after."),
        )
    if districts.crs != buildings.crs:
        districts = districts.to_crs(buildings.crs)
    names = districts[name_column].astype(str).to_numpy(dtype=object)
    index = district_index(buildings.geometry, districts.geometry)
    district = np.full(index.size, OUTSIDE, dtype=object)
    district[index >= 0] = names[index[index >= 0]]
    covered = walk_m <= max_walk_m
    columns = {
        "district": district,
        "population": population,
        "covered_population": population * covered,
        "beyond": ~covered,
    }
    if covered_after_column is not None:
        after = buildings[covered_after_column].to_numpy(dtype=bool)
        columns["covered_after_population"] = population * after
    frame = pd.DataFrame(columns)
    aggregations = {
        "residents_total": ("population", "sum"),
        "residents_covered": ("covered_population", "sum"),
        "buildings_beyond": ("beyond", "sum"),
    }
    if covered_after_column is not None:
        aggregations["residents_covered_after"] = ("covered_after_population", "sum")
    out = frame.groupby("district", sort=False).agg(**aggregations)
    every = list(dict.fromkeys(names)) + ([OUTSIDE] if (index < 0).any() else [])
    out = out.reindex(every, fill_value=0)
    out["buildings_beyond"] = out["buildings_beyond"].astype(int)
    out["residents_beyond"] = out["residents_total"] - out["residents_covered"]
    total = out["residents_total"].to_numpy(dtype=float)

    def share(column: str) -> np.ndarray:
        values = out[column].to_numpy(dtype=float)
        return np.divide(values, total, out=np.zeros(total.size), where=total > 0)

    out["share_covered"] = share("residents_covered")
    order = [
        "district",
        "residents_total",
        "residents_covered",
        "residents_beyond",
        "share_covered",
        "buildings_beyond",
    ]
    if covered_after_column is not None:
        out["share_covered_after"] = share("residents_covered_after")
        order += ["residents_covered_after", "share_covered_after"]
    out = out.rename_axis("district").reset_index()
    out = out.sort_values(["residents_beyond", "district"], ascending=[False, True])
    return out[order].reset_index(drop=True)
