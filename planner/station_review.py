"""The reform's other decisions, for the stations a city already has: repairs, inspectors and
stations due to open.

:func:`review_stations` takes a city and its coverage (:func:`planner.pipeline.assess_coverage`)
and answers, for every station of the stations file (see the ``status`` column in
:mod:`planner.stations`):

- ``residents_served``: residents for whom it is the nearest working station on foot, at any
  distance, within and beyond the walking limit (its workload, and what its inspectors are
  counted from); ``residents_served_within_limit``: those of them within the limit;
- ``residents_only_here``: residents within the walking limit of this station and of no other
  working station: those who lose walking access while it is closed
  (:func:`planner.repairs.residents_only_here`); it equals the drop in covered residents when
  coverage is recomputed without the station;
- ``repair_rank``: 1 = the station whose closure would cost most (by ``residents_only_here``,
  ties by ``residents_served``), over all working stations;
- ``inspectors_needed = ceil(residents_served / R)`` for the staffing norm ``R`` residents per
  district inspector (blank for stations not working, with the reason in ``inspectors_note``),
  and, with an inspectors column in the file, ``inspectors_now`` and
  ``inspector_gap = needed - now``;
- for stations under repair, a **relocation check**: the best single site within
  ``relocation_radius_m`` on foot of the station, searched exactly over every street point of a
  ``relocation_spacing_m`` (20 m) grid there, and ``relocation_gain``: residents within the
  limit if the station moved there instead of being repaired, minus today's (positive =
  relocating serves more people);
- a **repair schedule** (with ``repair_batch``): the stations under repair in batches of at most
  that many closed at once, so that the residents without walking access during the worst batch
  are as few as possible (:func:`planner.repairs.schedule_repairs`);
- **scenarios**: residents covered today (open and repair stations), if the planned stations
  open, and while the stations under repair are closed;
- the **planned stations** scored like an akimat's proposals (residents each would newly cover,
  its marginal gain within the list, flags), in an opening order, and compared with the best
  plan of the same size from all candidates.

The staffing norm: there is no published official norm we could verify. Press reports cite
about 3,000 residents per district inspector in Russia and up to 4,000 in Kazakh cities (called
twice the norm); the default here is :data:`DEFAULT_RESIDENTS_PER_INSPECTOR` = 3,000, always
printed, and set with ``--residents-per-inspector``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner import capacitated
from planner.candidates import DEFAULT_SPACING_M, network_candidates
from planner.covering import coverage_matrix
from planner.defaults import (
    DEFAULT_NODE_LIMIT,
    DEFAULT_RESIDENTS_PER_INSPECTOR,
    DEFAULT_TIME_LIMIT_S,
)
from planner.distances import walk_distances
from planner.errors import InputError
from planner.i18n import N_, gettext
from planner.pipeline import evaluate_sites
from planner.repairs import RepairSchedule, relocation_gains, residents_only_here, schedule_repairs
from planner.results import City, CoverageResult, EvaluationResult
from planner.snapping import door_points
from planner.stations import working

if TYPE_CHECKING:
    from planner.inspector_moves import InspectorMoves

__all__ = [
    "DEFAULT_RELOCATION_RADIUS_M",
    "DEFAULT_RELOCATION_SPACING_M",
    "DEFAULT_RESIDENTS_PER_INSPECTOR",
    "CapacityPlan",
    "StationReview",
    "inspectors_needed",
    "plan_with_capacity",
    "review_stations",
    "sites_workload",
]

#: How far (on foot) a station under repair may move in the relocation check.
DEFAULT_RELOCATION_RADIUS_M = 1000.0
#: Spacing of the street points searched in the relocation check. Finer than the candidates of a
#: plan (100 m): the search covers one station's surroundings only, and a 100 m grid missed a
#: third of the gain of some Almaty stations (docs/method.md section 12). The gain is exact over
#: this grid: the best among all street points kept one per 20 m x 20 m square.
DEFAULT_RELOCATION_SPACING_M = 20.0


def inspectors_needed(residents: Any, residents_per_inspector: float) -> np.ndarray:
    """``ceil(residents / residents_per_inspector)`` (0 for nobody)."""
    values = np.asarray(residents, dtype=float)
    out = np.ceil(np.round(values / residents_per_inspector, 9))
    return np.where(np.isfinite(out), out, 0.0).astype(np.int64)


@dataclass(frozen=True, eq=False)
class StationReview:
    """What :func:`review_stations` found (see the module docstring).

    Attributes
    ----------
    stations
        Every station with ``status``, ``working``, ``residents_served``,
        ``residents_only_here``, ``repair_rank``, ``inspectors_needed``, ``inspectors_now``,
        ``inspector_gap``, ``relocation_site_lon``/``_lat`` and ``relocation_gain``.
    scenarios
        ``scenario``, ``stations`` (working in it), ``residents_covered``, ``share_covered``.
    planned
        The planned stations scored as proposals, with ``opening_order``; ``None`` without any.
    planned_evaluation
        The full evaluation of the planned list (best plan of the same size, gap).
    schedule
        The repair schedule, or ``None`` without ``repair_batch`` or stations under repair.
    schedule_table
        One row per (batch, station): ``batch``, ``station_id``, ``name``,
        ``residents_without_access`` (during that batch) and the station's point.
    residents_per_inspector
        The staffing norm used.
    relocation_radius_m
        The radius of the relocation check.
    """

    stations: gpd.GeoDataFrame
    scenarios: pd.DataFrame
    planned: gpd.GeoDataFrame | None
    planned_evaluation: EvaluationResult | None
    schedule: RepairSchedule | None
    schedule_table: gpd.GeoDataFrame | None
    residents_per_inspector: float
    relocation_radius_m: float
    repair_batch: int | None = None
    #: Spacing of the street points searched in the relocation check.
    relocation_spacing_m: float = DEFAULT_RELOCATION_SPACING_M
    #: Per resident building (aligned with ``coverage.buildings``): within the limit if the
    #: planned stations open, and while the stations under repair are closed.
    covered_if_planned_open: np.ndarray | None = None
    covered_while_repair_closed: np.ndarray | None = None
    #: The inspector moves (:func:`planner.inspector_moves.with_redistribution`), if asked for.
    redistribution: InspectorMoves | None = None

    def inspector_totals(self) -> dict[str, Any]:
        """Inspectors needed, at the stations now, missing and surplus, over the working
        stations: ``needed_at_counted - now == missing - surplus`` (``needed_at_counted``:
        needed at the stations with a count). Inspectors listed at stations that are not
        working (planned, closed) are counted apart, in ``listed_not_working``."""
        all_work = self.stations["working"].to_numpy(dtype=bool)
        st = self.stations[all_work]
        now = st["inspectors_now"].to_numpy(dtype=float)
        known = np.isfinite(now)
        gap = st["inspector_gap"].to_numpy(dtype=float)
        needed = st["inspectors_needed"].to_numpy(dtype=float)
        usable = self.stations["usable"].to_numpy(dtype=bool)
        idle = self.stations[usable & ~all_work]
        idle_now = idle["inspectors_now"].to_numpy(dtype=float)
        idle_known = np.isfinite(idle_now)
        return {
            "residents_per_inspector": self.residents_per_inspector,
            "needed": int(needed.sum()),
            "needed_at_counted": int(needed[known].sum()) if known.any() else None,
            "now": int(now[known].sum()) if known.any() else None,
            "missing": int(np.clip(gap[known], 0, None).sum()) if known.any() else None,
            "surplus": int(np.clip(-gap[known], 0, None).sum()) if known.any() else None,
            "stations_with_count": int(known.sum()),
            "stations": len(st),
            "listed_not_working": int(idle_now[idle_known].sum()),
            "stations_not_working_with_count": int(idle_known.sum()),
        }


def review_stations(
    city: City,
    coverage: CoverageResult,
    *,
    residents_per_inspector: float = DEFAULT_RESIDENTS_PER_INSPECTOR,
    repair_batch: int | None = None,
    relocation_radius_m: float = DEFAULT_RELOCATION_RADIUS_M,
    spacing_m: float = DEFAULT_SPACING_M,
    relocation_spacing_m: float = DEFAULT_RELOCATION_SPACING_M,
    method: Literal["exact", "greedy"] = "exact",
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    node_limit: int = DEFAULT_NODE_LIMIT,
) -> StationReview:
    """Repairs, inspectors, planned stations and scenarios for a city's stations.

    Parameters
    ----------
    city, coverage
        From :func:`planner.pipeline.load_city` and :func:`~planner.pipeline.assess_coverage`.
    residents_per_inspector
        The staffing norm ``R``.
    repair_batch
        How many stations may be closed for repair at once; ``None``: no schedule.
    relocation_radius_m
        How far on foot a station under repair may move in the relocation check.
    spacing_m
        Spacing of the candidate sites of the planned stations' comparison.
    relocation_spacing_m
        Spacing of the street points searched in the relocation check (every point of that
        grid within ``relocation_radius_m`` on foot is tried).
    method, time_limit_s, node_limit
        Solver of the repair schedule and of the planned list's comparison (see
        :func:`planner.pipeline.plan_sites`).
    """
    _check_review_options(
        city,
        coverage,
        residents_per_inspector=residents_per_inspector,
        repair_batch=repair_batch,
        relocation_radius_m=relocation_radius_m,
        relocation_spacing_m=relocation_spacing_m,
    )
    settings = coverage.settings
    stations = coverage.stations.copy()
    if "status" not in stations.columns:
        stations["status"] = "open"
    if "inspectors" not in stations.columns:
        stations["inspectors"] = np.nan
    work = working(stations)
    buildings = coverage.buildings
    population = buildings["population"].to_numpy(dtype=float)
    rows = np.flatnonzero(work)
    S = coverage_matrix(
        city.network,
        buildings,
        _as_sites(stations.iloc[rows]),
        settings=settings,
        building_snaps=coverage.building_snaps,
    ).matrix
    pattern = S.copy()
    pattern.data = np.ones_like(pattern.data)
    only = residents_only_here(pattern, population)
    served = stations["residents_nearest"].to_numpy(dtype=float)
    n = len(stations)
    only_all = np.full(n, np.nan)
    only_all[rows] = only
    rank = np.full(n, np.nan)
    order = np.lexsort((-served[rows], -only))  # by only-here, then served, descending
    rank[rows[order]] = np.arange(1, rows.size + 1)
    # not working (planned, closed): nobody has it as their station, so nothing is needed
    # there today; blank with the reason rather than a 0 that reads as "fully staffed"
    needed = np.where(
        work, inspectors_needed(np.nan_to_num(served), residents_per_inspector), np.nan
    )
    now = stations["inspectors"].to_numpy(dtype=float)
    out = stations.copy()
    out["working"] = work
    out["residents_served"] = np.where(work, served, np.nan)
    if "residents_within" in stations.columns:
        within = stations["residents_within"].to_numpy(dtype=float)
        out["residents_served_within_limit"] = np.where(work, within, np.nan)
    out["residents_only_here"] = only_all
    out["repair_rank"] = rank
    out["inspectors_needed"] = needed
    out["inspectors_note"] = [
        ""
        if w
        else gettext(
            "not working ({status}): serves nobody yet, so no inspectors are needed here today"
        ).format(status=st)
        for w, st in zip(work, stations["status"].astype(str), strict=True)
    ]
    out["inspectors_now"] = now
    out["inspector_gap"] = np.where(work & np.isfinite(now), needed - now, np.nan)
    status = stations["status"].to_numpy(dtype=object)
    repair_local = np.flatnonzero(status[rows] == "repair")
    lon, lat, gain = _relocations(
        city, coverage, stations, rows, repair_local, pattern, population,
        radius_m=relocation_radius_m, spacing_m=relocation_spacing_m,
    )  # fmt: skip
    out["relocation_site_lon"] = lon
    out["relocation_site_lat"] = lat
    out["relocation_gain"] = gain

    covered_now = _covered(pattern, np.arange(rows.size))
    open_local = np.flatnonzero(status[rows] == "open")
    covered_open = _covered(pattern, open_local)
    planned_rows, covered_planned, planned, evaluation = _planned_stations(
        city,
        coverage,
        stations,
        status,
        covered_now,
        spacing_m=spacing_m,
        method=method,
        time_limit_s=time_limit_s,
        node_limit=node_limit,
    )
    total = float(population.sum())
    now_value = float(population[covered_now].sum())
    scenarios = [
        # the names are summary.json's (English); the memo shows them translated
        (N_("today (open and under repair)"), int(rows.size), now_value),
        (
            N_("if the planned stations open"),
            int(rows.size + planned_rows.size),
            float(population[covered_planned].sum()),
        ),
        (
            N_("while the stations under repair are closed"),
            int(open_local.size),
            float(population[covered_open].sum()),
        ),
    ]
    scenario_frame = _scenario_frame(scenarios, total)
    schedule = table = None
    if repair_batch is not None and repair_local.size:
        schedule = schedule_repairs(
            pattern,
            population,
            repair_local,
            batch_size=repair_batch,
            method=method,
            time_limit_s=time_limit_s,
            node_limit=node_limit,
        )
        table = _schedule_table(schedule, stations, rows)
    return StationReview(
        stations=out,
        scenarios=scenario_frame,
        planned=planned,
        planned_evaluation=evaluation,
        schedule=schedule,
        schedule_table=table,
        residents_per_inspector=float(residents_per_inspector),
        relocation_radius_m=float(relocation_radius_m),
        repair_batch=repair_batch,
        relocation_spacing_m=float(relocation_spacing_m),
        covered_if_planned_open=covered_planned,
        covered_while_repair_closed=covered_open,
    )


def _added_in_order(
    P: Any,
    population: np.ndarray,
    covered_now: np.ndarray,
    planned_rows: np.ndarray,
    stations: gpd.GeoDataFrame,
    planned: gpd.GeoDataFrame,
) -> np.ndarray:
    """Residents each planned station brings within the limit when opened in the opening
    order, after the stations before it (0 for one opened after others covering its homes)."""
    row_of = {sid: k for k, sid in enumerate(stations.iloc[planned_rows]["station_id"])}
    covered = covered_now.copy()
    added = np.full(len(planned), np.nan)
    for i, (sid, order) in enumerate(
        zip(planned["station_id"], planned["opening_order"], strict=True)
    ):
        if sid not in row_of or not order >= 1:
            continue
        mask = _covered(P, np.array([row_of[sid]]))
        added[i] = float(population[mask & ~covered].sum())
        covered |= mask
    return added


def _check_review_options(
    city: Any,
    coverage: Any,
    *,
    residents_per_inspector: Any,
    repair_batch: Any,
    relocation_radius_m: Any,
    relocation_spacing_m: Any,
) -> None:
    """The arguments of :func:`review_stations` checked; every problem raised together."""
    problems = []
    if not isinstance(city, City) or not isinstance(coverage, CoverageResult):
        raise InputError(
            gettext(
                "review_stations: expected review_stations(city, coverage) with a City from "
                "load_city and a CoverageResult from assess_coverage"
            ),
            hint=gettext("got {city} and {coverage}").format(
                city=type(city).__name__, coverage=type(coverage).__name__
            ),
        )
    if not (isinstance(residents_per_inspector, int | float) and residents_per_inspector > 0):
        problems.append(
            gettext(
                "residents per inspector {value} must be a positive number "
                "(--residents-per-inspector)"
            ).format(value=repr(residents_per_inspector))
        )
    if repair_batch is not None and (not isinstance(repair_batch, int) or repair_batch < 1):
        problems.append(
            gettext("repair batch {value} must be a whole number >= 1 (--repair-batch)").format(
                value=repr(repair_batch)
            )
        )
    if not relocation_radius_m > 0:
        problems.append(
            gettext("relocation radius {value} m must be > 0").format(
                value=repr(relocation_radius_m)
            )
        )
    if not (isinstance(relocation_spacing_m, int | float) and relocation_spacing_m > 0):
        problems.append(
            gettext("relocation spacing {value} m must be > 0").format(
                value=repr(relocation_spacing_m)
            )
        )
    if problems:
        raise InputError(gettext("invalid station review options"), problems)


def _planned_stations(
    city: City,
    coverage: CoverageResult,
    stations: gpd.GeoDataFrame,
    status: np.ndarray,
    covered_now: np.ndarray,
    *,
    spacing_m: float,
    method: Literal["exact", "greedy"],
    time_limit_s: float,
    node_limit: int,
) -> tuple[np.ndarray, np.ndarray, gpd.GeoDataFrame | None, EvaluationResult | None]:
    """The planned stations: their rows, who is covered if they open, and their evaluation
    as proposals (in opening order, with what each adds in its position)."""
    planned_rows = np.flatnonzero(stations["usable"].to_numpy(dtype=bool) & (status == "planned"))
    planned: gpd.GeoDataFrame | None = None
    evaluation: EvaluationResult | None = None
    covered_planned = covered_now.copy()
    if planned_rows.size:
        P = coverage_matrix(
            city.network,
            coverage.buildings,
            _as_sites(stations.iloc[planned_rows]),
            settings=coverage.settings,
            building_snaps=coverage.building_snaps,
        ).matrix
        covered_planned |= _covered(P, np.arange(planned_rows.size))
        evaluation = evaluate_sites(
            city,
            coverage,
            _as_proposals(stations.iloc[planned_rows]),
            spacing_m=spacing_m,
            method=method,
            time_limit_s=time_limit_s,
            node_limit=node_limit,
        )
        planned = evaluation.proposals.copy()
        planned.insert(0, "opening_order", planned["greedy_rank"])
        planned = planned.sort_values(["opening_order", "station_id"], kind="stable")
        planned["added_in_order"] = _added_in_order(
            P,
            coverage.buildings["population"].to_numpy(dtype=float),
            covered_now,
            planned_rows,
            stations,
            planned,
        )
    return planned_rows, covered_planned, planned, evaluation


def _scenario_frame(scenarios: list[tuple[str, int, float]], total: float) -> pd.DataFrame:
    """Residents covered in each scenario: stations open, residents, share of all residents."""
    return pd.DataFrame(
        [
            {
                "scenario": name,
                "stations": k,
                "residents_covered": value,
                "share_covered": value / total if total > 0 else 0.0,
            }
            for name, k, value in scenarios
        ]
    )


def _covered(pattern: Any, rows: np.ndarray) -> np.ndarray:
    mask = np.zeros(pattern.shape[1], dtype=bool)
    if rows.size:
        mask[np.unique(pattern[rows].indices)] = True
    return mask


def _as_sites(stations: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"candidate_id": stations["station_id"].to_numpy(), "source": "station"},
        geometry=stations.geometry.to_numpy(),
        crs=stations.crs,
    )


def _as_proposals(stations: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Planned stations in the shape of an akimat's proposals file."""
    frame = gpd.GeoDataFrame(
        {
            "candidate_id": [f"planned:{s}" for s in stations["station_id"]],
            "source": "proposal",
            "name": stations["name"].to_numpy(),
            "station_id": stations["station_id"].to_numpy(),
            "row": stations["row"].to_numpy()
            if "row" in stations.columns
            else stations["station_id"].to_numpy(),
            "usable": True,
            "problem": "",
        },
        geometry=stations.geometry.to_numpy(),
        crs=stations.crs,
    )
    return frame.reset_index(drop=True)


def _relocations(
    city: City,
    coverage: CoverageResult,
    stations: gpd.GeoDataFrame,
    rows: np.ndarray,
    repair_local: np.ndarray,
    pattern: Any,
    population: np.ndarray,
    *,
    radius_m: float,
    spacing_m: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(stations)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    gain = np.full(n, np.nan)
    if not repair_local.size:
        return lon, lat, gain
    repair = stations.iloc[rows[repair_local]]
    cands = network_candidates(
        city.network, spacing_m=spacing_m, near_xy=door_points(repair), within_m=radius_m
    )
    if city.area is not None and len(cands):
        xy = shapely.get_coordinates(cands.geometry.to_numpy())
        cands = cands[shapely.contains_xy(city.area, xy[:, 0], xy[:, 1])].reset_index(drop=True)
    if not len(cands):
        return lon, lat, gain
    near = coverage_matrix(
        city.network,
        cands,
        _as_sites(repair),
        settings=replace(coverage.settings, max_walk_m=radius_m),
    ).matrix
    allowed = [near[[i]].indices.astype(np.int64) for i in range(len(repair))]
    S_cand = coverage_matrix(
        city.network,
        coverage.buildings,
        cands,
        settings=coverage.settings,
        building_snaps=coverage.building_snaps,
    ).matrix
    S_cand.data = np.ones_like(S_cand.data)
    best, delta = relocation_gains(S_cand, pattern, population, repair_local, allowed)
    best = np.asarray(best)
    points = gpd.GeoSeries(cands.geometry.to_numpy(), crs=cands.crs).to_crs(4326)
    for i, row in enumerate(rows[repair_local]):
        if best[i] >= 0:
            lon[row] = round(float(points.iloc[best[i]].x), 6)
            lat[row] = round(float(points.iloc[best[i]].y), 6)
            gain[row] = float(delta[i])
    return lon, lat, gain


def _schedule_table(
    schedule: RepairSchedule, stations: gpd.GeoDataFrame, rows: np.ndarray
) -> gpd.GeoDataFrame:
    records = []
    geoms = []
    for b, (batch, loss) in enumerate(
        zip(schedule.batches, schedule.loss_per_batch, strict=True), start=1
    ):
        for local in batch:
            st = stations.iloc[rows[int(local)]]
            records.append(
                {
                    "batch": b,
                    "station_id": st["station_id"],
                    "name": st["name"],
                    "residents_without_access": float(loss),
                }
            )
            geoms.append(st.geometry)
    return gpd.GeoDataFrame(records, geometry=geoms, crs=stations.crs)


def sites_workload(
    city: City,
    coverage: CoverageResult,
    sites: gpd.GeoDataFrame,
    *,
    residents_per_inspector: float = DEFAULT_RESIDENTS_PER_INSPECTOR,
) -> gpd.GeoDataFrame:
    """``sites`` with ``residents_served`` (residents for whom the new site would be the
    nearest station, within and beyond the limit, with the working stations still there) and
    ``inspectors_needed``: the staffing of new sites, as for existing stations."""
    out = sites.copy()
    if not len(sites):
        out["residents_served"] = np.zeros(0)
        out["inspectors_needed"] = np.zeros(0, dtype=np.int64)
        return out
    existing = coverage.stations[working(coverage.stations)]
    both = gpd.GeoDataFrame(
        {"kind": ["existing"] * len(existing) + ["new"] * len(sites)},
        geometry=list(existing.geometry) + list(sites.to_crs(existing.crs).geometry),
        crs=existing.crs,
    )
    walk = walk_distances(
        city.network, coverage.buildings, both, settings=coverage.settings, search_limit_m=np.inf
    )
    nearest = walk.buildings["nearest_station"].to_numpy()
    population = coverage.buildings["population"].to_numpy(dtype=float)
    known = ~pd.isna(nearest)
    served = np.bincount(
        nearest[known].astype(np.int64), weights=population[known], minlength=len(both)
    )[len(existing) :]
    out["residents_served"] = served
    out["inspectors_needed"] = inspectors_needed(served, residents_per_inspector)
    return out


@dataclass(frozen=True, eq=False)
class CapacityPlan:
    """New sites when every station serves at most ``capacity_residents`` residents.

    Attributes
    ----------
    before
        The existing stations alone, within capacity (no new site).
    result
        The best plan of ``n_sites`` new sites within capacity (see
        :mod:`planner.capacitated`).
    sites
        The chosen sites: ``candidate_id``, ``name``, ``assigned_residents``, ``capacity``,
        ``lon``/``lat`` and the point.
    stations
        The working stations with ``assigned_before``, ``assigned_after`` and ``capacity``.
    capacity_residents
        ``capacity_inspectors x residents_per_inspector``.
    capacity_inspectors, residents_per_inspector
        The inputs of the capacity.
    n_candidates
        Candidate sites considered (near residents uncovered or beyond capacity today).
    """

    before: Any
    result: Any
    sites: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    capacity_residents: float
    capacity_inspectors: float
    residents_per_inspector: float
    n_candidates: int


def plan_with_capacity(
    city: City,
    coverage: CoverageResult,
    *,
    n_sites: int,
    capacity_inspectors: float,
    residents_per_inspector: float = DEFAULT_RESIDENTS_PER_INSPECTOR,
    spacing_m: float = DEFAULT_SPACING_M,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    node_limit: int = DEFAULT_NODE_LIMIT,
) -> CapacityPlan:
    """Maximal capacitated coverage (Esri's "Maximize Capacitated Coverage" is the anchor):
    every station, existing or new, serves at most ``capacity_inspectors x
    residents_per_inspector`` residents; choose ``n_sites`` new sites so that the most residents
    are both within walking distance and within a station's capacity, each assigned to one
    station. Exact with HiGHS up to :data:`planner.capacitated.CAPACITATED_MAX_PAIRS` stored
    pairs; beyond that an :class:`InputError` says so and how to shrink the instance.

    Candidates are generated along the streets (``spacing_m``) near the residents who today are
    beyond the walking limit or beyond the capacity of the stations they reach.
    """
    if not (capacity_inspectors > 0 and residents_per_inspector > 0):
        raise InputError(
            gettext("invalid capacity"),
            [
                gettext(
                    "--capacity-inspectors {capacity} and --residents-per-inspector {norm} must "
                    "both be > 0"
                ).format(capacity=repr(capacity_inspectors), norm=repr(residents_per_inspector))
            ],
        )
    capacity = float(capacity_inspectors) * float(residents_per_inspector)
    settings = coverage.settings
    buildings = coverage.buildings
    population = buildings["population"].to_numpy(dtype=float)
    stations = coverage.stations[working(coverage.stations)]
    S = coverage_matrix(
        city.network,
        buildings,
        _as_sites(stations),
        settings=settings,
        building_snaps=coverage.building_snaps,
    ).matrix
    empty = S[:0]
    before = capacitated.maximize_capacitated_coverage(
        S, empty, population, n_sites=0, capacity_existing=capacity, capacity_new=capacity,
        time_limit_s=time_limit_s,
        node_limit=node_limit,
    )  # fmt: skip
    need = ~buildings["covered"].to_numpy(dtype=bool) | (before.unassigned_within_reach > 0)
    near = door_points(buildings[need])
    cands = (
        network_candidates(
            city.network, spacing_m=spacing_m, near_xy=near, within_m=settings.max_walk_m
        )
        if need.any()
        else network_candidates(city.network, spacing_m=spacing_m).iloc[:0]
    )
    if city.area is not None and len(cands):
        xy = shapely.get_coordinates(cands.geometry.to_numpy())
        cands = cands[shapely.contains_xy(city.area, xy[:, 0], xy[:, 1])].reset_index(drop=True)
    S_cand = coverage_matrix(
        city.network, buildings, cands, settings=settings, building_snaps=coverage.building_snaps
    ).matrix
    result = capacitated.maximize_capacitated_coverage(
        S, S_cand, population, n_sites=min(int(n_sites), len(cands)),
        capacity_existing=capacity, capacity_new=capacity, time_limit_s=time_limit_s,
        node_limit=node_limit,
    )  # fmt: skip
    chosen = cands.iloc[np.asarray(result.sites, dtype=np.int64)]
    points = chosen.geometry.to_crs(4326)
    n_existing = len(stations)
    sites = gpd.GeoDataFrame(
        {
            "candidate_id": chosen["candidate_id"].to_numpy(),
            "name": chosen["name"].to_numpy(),
            "assigned_residents": result.assigned_per_station[n_existing:],
            "capacity": capacity,
            "lon": np.round(points.x.to_numpy(), 6),
            "lat": np.round(points.y.to_numpy(), 6),
        },
        geometry=chosen.geometry.to_numpy(),
        crs=cands.crs,
    )
    sites = sites.sort_values("assigned_residents", ascending=False, kind="stable")
    sites.insert(0, "rank", np.arange(1, len(sites) + 1))
    st = stations[["station_id", "name", "geometry"]].copy()
    st["assigned_before"] = before.assigned_per_station[:n_existing]
    st["assigned_after"] = result.assigned_per_station[:n_existing]
    st["capacity"] = capacity
    return CapacityPlan(
        before=before,
        result=result,
        sites=sites.reset_index(drop=True),
        stations=st,
        capacity_residents=capacity,
        capacity_inspectors=float(capacity_inspectors),
        residents_per_inspector=float(residents_per_inspector),
        n_candidates=len(cands),
    )
