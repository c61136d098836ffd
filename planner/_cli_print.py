"""What the ``planner`` command prints: steps with their times and notes, the progress bar of a
national run, and the summaries after a run (to stdout; progress and notes go to stderr).

The library logs; only the command prints (house style).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from planner._cli_inputs import for_cli, heartbeat, library_noise_off
from planner._format import TIME_LIMIT_LINE, illustrative_labels, thousands
from planner.i18n import gettext

__all__ = [
    "Bar",
    "Progress",
    "print_districts",
    "print_illustrative",
    "print_national",
    "print_review",
    "print_summary",
]

T = TypeVar("T")


class Notes(logging.Handler):
    """Collects the library's warnings during a step, to print them after the step's line."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class Progress:
    """Prints each step with the time it took (to stderr), then the warnings it raised."""

    def __init__(self, *, quiet: bool, command: str = "") -> None:
        self.quiet = quiet
        self.command = command
        self.start = time.perf_counter()

    @contextmanager
    def step(self, what: str) -> Iterator[None]:
        t0 = time.perf_counter()
        notes = Notes()
        root = logging.getLogger()
        root.addHandler(notes)
        if not self.quiet:
            print(f"  {what} ...", end="", file=sys.stderr, flush=True)
        try:
            with library_noise_off(), heartbeat(quiet=self.quiet):
                yield
        finally:
            root.removeHandler(notes)
        if not self.quiet:
            print(f" {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
            for message in notes.messages:
                text = for_cli(message, command=self.command).replace("\n", "\n    ")
                print(f"    note: {text}", file=sys.stderr, flush=True)

    def run(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self.step(what):
            return fn(*args, **kwargs)


class Bar:
    """A one-line progress bar for the unit tasks: done/total, elapsed, estimated time left."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        self.start: dict[str, float] = {}
        self.tty = sys.stderr.isatty()

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.quiet:
            return
        now = time.perf_counter()
        t0 = self.start.setdefault(phase, now)
        elapsed = now - t0
        left = "?" if done == 0 else _clock(elapsed / done * (total - done))
        width = 30
        filled = 0 if total == 0 else round(width * done / total)
        line = (
            f"  {phase:<8} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
            f"  elapsed {_clock(elapsed)}  left ~{left}"
        )
        if self.tty:
            end = "\n" if done == total else ""
            print("\r" + line, end=end, file=sys.stderr, flush=True)
        elif done == total or done == 0 or done % max(1, total // 10) == 0:
            print(line, file=sys.stderr, flush=True)


def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def print_summary(
    city: Any,
    coverage: Any,
    plan: Any = None,
    evaluation: Any = None,
    files: dict[str, Path] | None = None,
    review: Any = None,
    capacity_plan: Any = None,
    extra_inputs: Sequence[Any] = (),
    vehicles: Any = None,
) -> None:
    s = coverage.summary
    st = coverage.stations
    print()
    print(f"{city.name}: OSM data of {city.osm.data_date or 'unknown date'}")
    print_illustrative([*city.inputs, *extra_inputs])
    print(
        f"  walk network    {city.network.n_nodes} nodes, {city.network.street_length_m / 1000:.0f} km of walkable street"
    )
    print(
        f"  stations        {int(st['usable'].sum())} usable of {len(st)} (unusable ones are listed with the reason in summary.md and plan.gpkg)"
    )
    if getattr(city, "stations_beyond_reach", 0):
        from planner.stations import beyond_reach_text

        print(f"                  {beyond_reach_text(city.stations_beyond_reach)}")
    b = coverage.buildings
    n_cells = int((b["demand_kind"] != "building").sum()) if "demand_kind" in b.columns else 0
    where = (
        f"{s.buildings_total - n_cells} residential buildings and {n_cells} raster cells without mapped buildings"
        if n_cells
        else f"{s.buildings_total} residential buildings"
    )
    print(f"  residents       {thousands(s.residents_total)} (estimated) in {where}")
    print(
        f"  within {s.max_walk_m:.0f} m ({s.max_walk_min:.0f} min at {s.speed_kmh} km/h): "
        f"{thousands(s.residents_covered)} residents ({100 * s.share_covered:.1f} %)"
    )
    print(
        f"  beyond          {thousands(s.residents_beyond)} residents in {s.buildings_beyond} buildings"
        f" ({thousands(s.residents_unreachable)} reach no station at all)"
    )
    from planner import outputs, report

    for line in outputs.barrier_lines_text(report.barrier_dict(city, coverage)):
        print(f"  {line}")
    if plan is not None:
        sa = plan.summary_after
        r = plan.siting
        print(
            f"  with {len(plan.sites)} new sites: {thousands(sa.residents_covered)} residents ({100 * sa.share_covered:.1f} %)"
        )
        for line in outputs.optimisation_lines(report.plan_dict(plan)):
            print(f"  {line}")
        if r.message:
            print(f"  note: {r.message}")
        cal = city.district_calibration
        unreliable = set(cal.unreliable) if cal is not None else set()
        print("  rank  newly covered  cumulative share  site (latitude, longitude)")
        for row in plan.sites.head(10).itertuples():
            label = row.name if isinstance(row.name, str) else row.candidate_id
            district = f", {row.district}" if hasattr(row, "district") else ""
            if hasattr(row, "district") and row.district in unreliable:
                district += " (district numbers not reliable)"
            print(
                f"  {row.rank:>4}  {thousands(row.marginal_population):>13}  {100 * row.cumulative_share:>15.1f} %  {label} ({row.lat:.5f}, {row.lon:.5f}){district}"
            )
        if len(plan.sites) > 10:
            print(f"  ... {len(plan.sites) - 10} more in plan.gpkg")
        if "inspectors_needed" in plan.sites.columns and len(plan.sites):
            print(
                f"  the new sites would serve {thousands(plan.sites['residents_served'].sum())} residents as their nearest station: {int(plan.sites['inspectors_needed'].sum())} inspectors needed"
            )
    print_districts(city, coverage, plan)
    if evaluation is not None:
        ev = evaluation.evaluation
        print(
            f"  proposals cover {thousands(ev.list_population)} new residents; the best {len(ev.best.sites)} sites"
            f" cover {thousands(ev.best.newly_covered_population)} (the list is {100 * ev.gap:.1f} % short at most)"
        )
        flagged = evaluation.proposals[evaluation.proposals["flags"] != ""]
        for row in flagged.itertuples():
            print(f"  ! {getattr(row, 'name', None) or row.candidate_id}: {row.flags}")
    if review is not None:
        print_review(review)
        if review.redistribution is not None:
            print_redistribution(report.redistribution_dict(review.redistribution))
    if capacity_plan is not None:
        from planner.capacitated import quality_text

        cp = capacity_plan
        r = cp.result
        print(
            f"  with capacities ({cp.capacity_inspectors:g} inspectors x {cp.residents_per_inspector:,.0f} = {thousands(cp.capacity_residents)} residents per station):"
        )
        print(
            f"    within walking distance and capacity now {thousands(cp.before.assigned_population)}; with {len(cp.sites)} new sites {thousands(r.assigned_population)}"
            f" ({100 * r.assigned_share:.1f} %), {thousands(r.over_capacity_population)} within reach but beyond capacity; {quality_text(r)}"
        )
        for row in cp.sites.head(10).itertuples():
            print(
                f"    {row.rank:>4}. {row.name} ({row.lat:.5f}, {row.lon:.5f}): {thousands(row.assigned_residents)} residents assigned"
            )
    if vehicles is not None:
        from planner.vehicle_outputs import vehicle_summary_line

        print(f"  {vehicle_summary_line(vehicles)}")
    others = (
        getattr(getattr(evaluation, "evaluation", None), "best", None),
        getattr(capacity_plan, "result", None),
        getattr(capacity_plan, "before", None),
        getattr(review, "schedule", None),
        getattr(review, "redistribution", None),
        getattr(vehicles, "siting", None),
    )
    if any(getattr(r, "time_limit_hit", False) for r in others):
        print(f"  TIME LIMIT HIT  {gettext(TIME_LIMIT_LINE)}")  # the plan's own line is printed above
    if files:
        print("files:")
        for path in files.values():
            print(f"  {path}")


def print_districts(city: Any, coverage: Any, plan: Any) -> None:
    """The per-district table: coverage now (and after the plan), calibration factors."""
    from planner.pipeline import district_table

    table = district_table(city, coverage, plan)
    if table is None:
        return
    after = "residents_covered_after" in table.columns
    calibrated = "calibration_factor" in table.columns
    print("  by district")
    if city.districts_note:
        print(f"    {city.districts_note}")
    print(
        "    district              residents   covered now"
        + ("   after plan" if after else "")
        + ("  official  factor" if calibrated else "")
    )
    for r in table.itertuples():
        line = f"    {str(r.district)[:20]:<20} {thousands(r.residents_total):>10} {100 * r.share_covered:>11.1f} %"
        if after:
            line += f" {100 * r.share_covered_after:>10.1f} %"
        if calibrated:
            official = (
                "—"
                if r.official_population != r.official_population
                else thousands(r.official_population)
            )
            factor = (
                "—"
                if r.calibration_factor != r.calibration_factor
                else f"{r.calibration_factor:.2f}"
            )
            line += f" {official:>9} {factor:>7}" + (
                "" if r.reliable or r.district == "(outside)" else "  NOT RELIABLE"
            )
        print(line)
    cal = city.district_calibration
    if cal is not None and cal.unreliable:
        print(
            f"  ! numbers not reliable for {', '.join(cal.unreliable)}: calibration factor outside "
            f"{1 / cal.max_factor:.2f}..{cal.max_factor:g}, no estimated resident or no official figure "
            "(summary.md gives the reason of each); where the factor is extreme the mapped buildings "
            "look incomplete or wrong: use a population raster (--population-raster)"
        )


def print_review(review: Any) -> None:
    st = review.stations
    statuses = st["status"].value_counts()
    if set(statuses.index) - {"open"}:
        print("  stations by status: " + ", ".join(f"{k} {v}" for k, v in statuses.items()))
        for sc in review.scenarios.itertuples():
            print(
                f"    {sc.scenario:<44} {thousands(sc.residents_covered):>10} residents ({100 * sc.share_covered:.1f} %)"
            )
    from planner.outputs import (
        BATCH_ORDER_NOTE,
        SERVED_DEFINITION,
        inspector_lines,
        station_label,
    )

    t = review.inspector_totals()
    if t["stations"] == 0:
        print(
            "  ! no station is working (every usable station is closed or planned): 0 % within "
            "walking distance and 0 inspectors needed mean no station to staff, not that none "
            "are needed"
        )
    line = inspector_lines(t)[0].replace("District inspectors at", "inspectors at", 1)
    print(f"  {line}")
    print(f"  {SERVED_DEFINITION}")
    work = st[st["working"].to_numpy(dtype=bool)]
    repairs = work[work["status"] == "repair"].sort_values("repair_rank")
    top = repairs if len(repairs) else work.sort_values("repair_rank")
    what = (
        "repair priorities (stations under repair)" if len(repairs) else "stations that matter most"
    )
    print(f"  {what}: residents who lose walking access if it closes")
    for r in top.head(5).itertuples():
        label = station_label(r.name if isinstance(r.name, str) else None, r.station_id)
        extra = ""
        if r.status == "repair" and r.relocation_gain == r.relocation_gain:
            extra = f"; moving it within {review.relocation_radius_m:.0f} m (best street point, {review.relocation_spacing_m:.0f} m grid) would {'add' if r.relocation_gain > 0 else 'change by'} {thousands(r.relocation_gain)}"
        within = getattr(r, "residents_served_within_limit", float("nan"))
        within_text = f" ({thousands(within)} within the walk)" if within == within else ""
        print(
            f"    {int(r.repair_rank):>3}. {label}: only here {thousands(r.residents_only_here)}, serves {thousands(r.residents_served)}{within_text}{extra}"
        )
    if review.schedule is not None:
        sc = review.schedule
        print(
            f"  repair schedule ({review.repair_batch} at a time): {len(sc.batches)} batches, the worst leaves {thousands(sc.worst_batch_residents)} without walking access ({sc.status})"
        )
        print(f"    {BATCH_ORDER_NOTE}")
    if review.planned is not None and review.planned_evaluation is not None:
        ev = review.planned_evaluation.evaluation
        print(
            f"  planned stations: {len(review.planned)}; all open would add {thousands(ev.list_population)},"
            f" the best {len(review.planned)} sites {thousands(ev.best.newly_covered_population)} (the list is {100 * ev.gap:.1f} % short at most)"
        )
        print("    open them in this order (each adds the most after those before it):")
        for r in review.planned.itertuples():
            label = station_label(r.name if isinstance(r.name, str) else None, r.station_id)
            flags = f"  ! {r.flags}" if r.flags else ""
            added = getattr(r, "added_in_order", float("nan"))
            print(
                f"    {int(r.opening_order):>3}. {label}: adds {thousands(added)} in this position"
                f" ({thousands(r.alone_population)} newly covered on its own){flags}"
            )


def print_redistribution(block: Any, *, gpkg: str = "plan.gpkg", show: int = 5) -> None:
    """The inspector moves: the headline, what stopped the solver, the largest moves."""
    from planner.outputs import redistribution_headline, station_label

    print(f"  inspector moves {redistribution_headline(block)}")
    if block["status"] != "optimal":
        print(f"                  solver stopped at a limit: {block['status']}")
    for mv in (block.get("move_list") or [])[:show]:
        print(
            f"                  {mv['count']} from {station_label(mv['from_name'], mv['from_station_id'])}"
            f" to {station_label(mv['to_name'], mv['to_station_id'])} ({mv['distance_m'] / 1000:,.1f} km)"
        )
    if block["moves"] > show:
        print(f"                  ... {block['moves'] - show} more in {gpkg} (inspector_moves)")


def print_illustrative(inputs: Sequence[Any]) -> None:
    """A line per input that declares itself illustrative or synthetic, before any number."""
    for label in illustrative_labels({"inputs": list(inputs)}):
        print(f"  ! {label}")


def print_national(result: Any, out: Path) -> None:
    from planner.national import allocation_table

    table = allocation_table(result)
    ok = table["status"] == "ok"
    residents = table.loc[ok, "residents"].sum()
    before = table.loc[ok, "covered_before"].sum()
    after = table.loc[ok, "covered_after"].sum()
    a = result.allocation
    s = result.options.settings
    print()
    print(
        f"national plan: {result.n_ok} of {len(result.units)} units computed"
        + (f", {result.n_failed} FAILED (listed below)" if result.n_failed else "")
    )
    print_illustrative(result.inputs)
    if result.n_ok:
        print(
            f"  walking limit   {s.max_walk_m:.0f} m ({s.max_walk_min:.0f} min at {s.speed_kmh} km/h)"
        )
        print(f"  residents       {thousands(residents)} (estimated)")
        homes = result.residents_outside
        if homes is not None and len(homes):
            print(
                f"  in no unit      {thousands(homes['population'].sum())} residents in "
                f"{len(homes)} buildings (counted in no unit; see the note)"
            )
        print(f"  covered now     {thousands(before)} ({100 * before / residents:.1f} %)")
        print(
            f"  after the plan  {thousands(after)} ({100 * after / residents:.1f} %) with {a.used} of {a.budget} new stations"
        )
        print(
            f"  optimality gap  {100 * a.gap:.2f} % (proven: no allocation covers more than {thousands(before + a.upper_bound)})"
        )
        print(f"  greedy allocation would cover {thousands(before + result.greedy.newly_covered)}")
        if result.time_limit_hit:
            print(f"  TIME LIMIT HIT  {gettext(TIME_LIMIT_LINE)}")
        needed = int(table.loc[ok, "inspectors_needed"].sum())
        counted = table.loc[ok, "inspectors_now"].notna()
        line = f"  inspectors      {needed} needed at the existing stations (norm {result.options.residents_per_inspector:,.0f} residents per inspector)"
        if counted.any():
            line += f"; {int(table.loc[ok, 'inspectors_now'].sum())} there now, {int(table.loc[ok, 'inspectors_missing'].sum())} missing"
        print(line)
        if result.redistribution is not None:
            from planner.report import redistribution_dict

            print_redistribution(redistribution_dict(result.redistribution), gpkg="national.gpkg")
        if result.target is not None:
            t = result.target
            print(
                f"  target {100 * t['target_share']:.1f} %: "
                + ("reached" if t["reachable"] else f"NOT reachable with {a.budget} stations")
            )
        shown = table[ok].sort_values("new_stations", ascending=False, kind="stable").head(15)
        print("  unit                              new  covered now  after   unit gap")
        for r in shown.itertuples():
            print(
                f"  {str(r.name)[:32]:<32} {r.new_stations:>4}  {100 * r.share_before:>10.1f} %  {100 * r.share_after:>5.1f} %  {100 * r.gap:>6.2f} %"
            )
        if ok.sum() > 15:
            print(f"  ... {int(ok.sum()) - 15} more units in national.md")
    if result.vehicle_allocation is not None and result.n_ok:
        from planner.national.report import national_vehicles_dict

        v = national_vehicles_dict(result) or {}
        print(
            f"  vehicles        {v['placed']} of {v['vehicles']} placed: +{thousands(v['vehicle_gain'])} residents within {v['drive_min']:g} min drive; served on foot or by car {100 * v['share_served']:.1f} %; gap {100 * v['gap']:.2f} %"
        )
    for r in table[~ok].itertuples():
        print(f"  FAILED {r.name}: {r.status}")
    outside = result.stations_outside
    if outside is not None and len(outside):
        print(f"  {len(outside)} station rows assigned to no unit (listed in national.json)")
    for note in result.notes:
        print(f"  note: {note}")
    if result.n_ok:
        print("files:")
        for name in ("national.html", "national.gpkg", "national.json", "national.md", "units/"):
            print(f"  {out / name}")
    else:
        print("no unit succeeded: nothing written")
