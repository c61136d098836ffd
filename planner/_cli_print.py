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

from planner._cli_inputs import for_cli, heartbeat, library_noise_off, number_text
from planner._format import (
    TIME_LIMIT_LINE,
    count_text,
    district_text,
    illustrative_labels,
    thousands,
)
from planner.i18n import N_, gettext, ngettext

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

#: The phases of a national run's progress bar (named by :mod:`planner.national.run`).
PHASES = (N_("units"), N_("writing"))


def _pct(share: float, spec: str = ".1f") -> str:
    """A share of 1 as the number of a percentage: ``87.3`` (``87,3`` in ru/kk)."""
    return number_text(100 * share, spec)


def _seconds(seconds: float, spec: str) -> str:
    return gettext("{seconds} s").format(seconds=number_text(seconds, spec))


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
        self.noted: set[str] = set()  # a note is printed once per run, not again by a later step

    @contextmanager
    def aside(self) -> Iterator[None]:
        """Work between the steps: its warnings are printed as notes (those not printed yet)."""
        notes = Notes()
        root = logging.getLogger()
        root.addHandler(notes)
        try:
            with library_noise_off():
                yield
        finally:
            root.removeHandler(notes)
        self._print_notes(notes.messages)

    def _print_notes(self, messages: list[str]) -> None:
        for message in messages:
            if self.quiet or message in self.noted:
                continue
            self.noted.add(message)
            text = for_cli(message, command=self.command).replace("\n", "\n    ")
            print("    " + gettext("note: {text}").format(text=text), file=sys.stderr, flush=True)

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
            print(f" {_seconds(time.perf_counter() - t0, '.1f')}", file=sys.stderr, flush=True)
            self._print_notes(notes.messages)

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
        times = gettext("elapsed {elapsed}  left ~{left}").format(
            elapsed=_clock(elapsed), left=left
        )
        line = f"  {gettext(phase):<8} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}  {times}"
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
    print(
        gettext("{city}: OSM data of {date}").format(
            city=city.name, date=city.osm.data_date or gettext("unknown date")
        )
    )
    print_illustrative([*city.inputs, *extra_inputs])
    print(
        "  "
        + gettext("walk network    {nodes} nodes, {km} km of walkable street").format(
            nodes=city.network.n_nodes, km=number_text(city.network.street_length_m / 1000, ".0f")
        )
    )
    print(
        "  "
        + gettext(
            "stations        {usable} usable of {total} (unusable ones are listed with the reason in summary.md and plan.gpkg)"
        ).format(usable=int(st["usable"].sum()), total=len(st))
    )
    if getattr(city, "stations_beyond_reach", 0):
        from planner.stations import beyond_reach_text

        print(f"                  {beyond_reach_text(city.stations_beyond_reach)}")
    b = coverage.buildings
    n_cells = int((b["demand_kind"] != "building").sum()) if "demand_kind" in b.columns else 0
    where = (
        gettext(
            "{buildings} residential buildings and {cells} raster cells without mapped buildings"
        ).format(buildings=s.buildings_total - n_cells, cells=n_cells)
        if n_cells
        else gettext("{buildings} residential buildings").format(buildings=s.buildings_total)
    )
    print(
        "  "
        + gettext("residents       {residents} (estimated) in {where}").format(
            residents=thousands(s.residents_total), where=where
        )
    )
    print(
        "  "
        + gettext(
            "within {metres} m ({minutes} min at {speed} km/h): {residents} residents ({share} %)"
        ).format(
            metres=number_text(s.max_walk_m, ".0f"),
            minutes=number_text(s.max_walk_min, ".0f"),
            speed=number_text(s.speed_kmh, ""),
            residents=thousands(s.residents_covered),
            share=_pct(s.share_covered),
        )
    )
    print(
        "  "
        + gettext(
            "beyond          {residents} residents in {buildings} buildings ({unreachable} reach no station at all)"
        ).format(
            residents=thousands(s.residents_beyond),
            buildings=s.buildings_beyond,
            unreachable=thousands(s.residents_unreachable),
        )
    )
    from planner import outputs, report

    for line in outputs.barrier_lines_text(report.barrier_dict(city, coverage)):
        print(f"  {line}")
    if plan is not None:
        sa = plan.summary_after
        r = plan.siting
        print(
            "  "
            + ngettext(
                "with {n} new sites: {residents} residents ({share} %)",
                "with {n} new sites: {residents} residents ({share} %)",
                len(plan.sites),
            ).format(
                n=len(plan.sites),
                residents=thousands(sa.residents_covered),
                share=_pct(sa.share_covered),
            )
        )
        for line in outputs.optimisation_lines(report.plan_dict(plan)):
            print(f"  {line}")
        if r.message:
            print("  " + gettext("note: {text}").format(text=r.message))
        cal = city.district_calibration
        unreliable = set(cal.unreliable) if cal is not None else set()
        print("  " + gettext("rank  newly covered  cumulative share  site (latitude, longitude)"))
        for row in plan.sites.head(10).itertuples():
            label = row.name if isinstance(row.name, str) else row.candidate_id
            district = f", {district_text(row.district)}" if hasattr(row, "district") else ""
            if hasattr(row, "district") and row.district in unreliable:
                district += " (" + gettext("district numbers not reliable") + ")"
            print(
                f"  {row.rank:>4}  {thousands(row.marginal_population):>13}  {_pct(row.cumulative_share, '>15.1f')} %  {label} ({row.lat:.5f}, {row.lon:.5f}){district}"
            )
        if len(plan.sites) > 10:
            more = len(plan.sites) - 10
            print(
                "  "
                + ngettext("... {n} more in plan.gpkg", "... {n} more in plan.gpkg", more).format(
                    n=more
                )
            )
        if "inspectors_needed" in plan.sites.columns and len(plan.sites):
            print(
                "  "
                + gettext(
                    "the new sites would serve {residents} residents as their nearest station: {n} inspectors needed"
                ).format(
                    residents=thousands(plan.sites["residents_served"].sum()),
                    n=int(plan.sites["inspectors_needed"].sum()),
                )
            )
    print_districts(city, coverage, plan)
    if evaluation is not None:
        ev = evaluation.evaluation
        print(
            "  "
            + gettext(
                "proposals cover {residents} new residents; the best {n} sites cover {best} (the list is {gap} % short at most)"
            ).format(
                residents=thousands(ev.list_population),
                n=len(ev.best.sites),
                best=thousands(ev.best.newly_covered_population),
                gap=_pct(ev.gap),
            )
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
            "  "
            + gettext(
                "with capacities ({inspectors} inspectors x {norm} = {residents} residents per station):"
            ).format(
                inspectors=number_text(cp.capacity_inspectors, "g"),
                norm=number_text(cp.residents_per_inspector, ",.0f"),
                residents=thousands(cp.capacity_residents),
            )
        )
        print(
            "    "
            + gettext(
                "within walking distance and capacity now {before}; with {n} new sites {after} ({share} %), {over} within reach but beyond capacity; {quality}"
            ).format(
                before=thousands(cp.before.assigned_population),
                n=len(cp.sites),
                after=thousands(r.assigned_population),
                share=_pct(r.assigned_share),
                over=thousands(r.over_capacity_population),
                quality=quality_text(r),
            )
        )
        for row in cp.sites.head(10).itertuples():
            print(
                f"    {row.rank:>4}. "
                + gettext("{name} ({lat}, {lon}): {residents} residents assigned").format(
                    name=row.name,
                    lat=f"{row.lat:.5f}",
                    lon=f"{row.lon:.5f}",
                    residents=thousands(row.assigned_residents),
                )
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
        # the plan's own line is printed above
        print("  " + gettext("TIME LIMIT HIT  {text}").format(text=gettext(TIME_LIMIT_LINE)))
    if files:
        print(gettext("files:"))
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
    print("  " + gettext("by district"))
    if city.districts_note:
        print(f"    {city.districts_note}")
    print(
        "    "
        + gettext("district              residents   covered now")
        + (gettext("   after plan") if after else "")
        + (gettext("  official  factor") if calibrated else "")
    )
    for r in table.itertuples():
        line = f"    {district_text(r.district)[:20]:<20} {thousands(r.residents_total):>10} {_pct(r.share_covered, '>11.1f')} %"
        if after:
            line += f" {_pct(r.share_covered_after, '>10.1f')} %"
        if calibrated:
            official = (
                "—"
                if r.official_population != r.official_population
                else thousands(r.official_population)
            )
            factor = (
                "—"
                if r.calibration_factor != r.calibration_factor
                else number_text(r.calibration_factor, ".2f")
            )
            line += f" {official:>9} {factor:>7}" + (
                "" if r.reliable or r.district == "(outside)" else "  " + gettext("NOT RELIABLE")
            )
        print(line)
    cal = city.district_calibration
    if cal is not None and cal.unreliable:
        print(
            "  "
            + gettext(
                "! numbers not reliable for {districts}: calibration factor outside "
                "{low}..{high}, no estimated resident or no official figure "
                "(summary.md gives the reason of each); where the factor is extreme the mapped buildings "
                "look incomplete or wrong: use a population raster (--population-raster)"
            ).format(
                districts=", ".join(cal.unreliable),
                low=number_text(1 / cal.max_factor, ".2f"),
                high=number_text(cal.max_factor, "g"),
            )
        )


def print_review(review: Any) -> None:
    st = review.stations
    statuses = st["status"].value_counts()
    if set(statuses.index) - {"open"}:
        print(
            "  "
            + gettext("stations by status: {counts}").format(
                counts=", ".join(f"{k} {v}" for k, v in statuses.items())
            )
        )
        for sc in review.scenarios.itertuples():
            print(
                f"    {sc.scenario:<44} "
                + gettext("{residents} residents ({share} %)").format(
                    residents=f"{thousands(sc.residents_covered):>10}",
                    share=_pct(sc.share_covered),
                )
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
            "  "
            + gettext(
                "! no station is working (every usable station is closed or planned): 0 % within "
                "walking distance and 0 inspectors needed mean no station to staff, not that none "
                "are needed"
            )
        )
    # untranslated: the memo's English words, shortened for the command line
    line = inspector_lines(t)[0].replace("District inspectors at", "inspectors at", 1)
    print(f"  {line}")
    print(f"  {gettext(SERVED_DEFINITION)}")
    work = st[st["working"].to_numpy(dtype=bool)]
    repairs = work[work["status"] == "repair"].sort_values("repair_rank")
    top = repairs if len(repairs) else work.sort_values("repair_rank")
    heading = (
        gettext(
            "repair priorities (stations under repair): residents who lose walking access if it closes"
        )
        if len(repairs)
        else gettext("stations that matter most: residents who lose walking access if it closes")
    )
    print(f"  {heading}")
    for r in top.head(5).itertuples():
        label = station_label(r.name if isinstance(r.name, str) else None, r.station_id)
        extra = ""
        if r.status == "repair" and r.relocation_gain == r.relocation_gain:
            extra = (
                gettext(
                    "; moving it within {radius} m (best street point, {spacing} m grid) would add {residents}"
                )
                if r.relocation_gain > 0
                else gettext(
                    "; moving it within {radius} m (best street point, {spacing} m grid) would change by {residents}"
                )
            ).format(
                radius=number_text(review.relocation_radius_m, ".0f"),
                spacing=number_text(review.relocation_spacing_m, ".0f"),
                residents=thousands(r.relocation_gain),
            )
        within = getattr(r, "residents_served_within_limit", float("nan"))
        within_text = (
            gettext(" ({residents} within the walk)").format(residents=thousands(within))
            if within == within
            else ""
        )
        print(
            f"    {int(r.repair_rank):>3}. "
            + gettext("{label}: only here {only}, serves {served}{within}{extra}").format(
                label=label,
                only=thousands(r.residents_only_here),
                served=thousands(r.residents_served),
                within=within_text,
                extra=extra,
            )
        )
    if review.schedule is not None:
        sc = review.schedule
        print(
            "  "
            + gettext(
                "repair schedule ({batch} at a time): {n} batches, the worst leaves {residents} without walking access ({status})"
            ).format(
                batch=review.repair_batch,
                n=len(sc.batches),
                residents=thousands(sc.worst_batch_residents),
                status=sc.status,
            )
        )
        print(f"    {gettext(BATCH_ORDER_NOTE)}")
    if review.planned is not None and review.planned_evaluation is not None:
        ev = review.planned_evaluation.evaluation
        print(
            "  "
            + gettext(
                "planned stations: {n}; all open would add {residents}, the best {n} sites {best} (the list is {gap} % short at most)"
            ).format(
                n=len(review.planned),
                residents=thousands(ev.list_population),
                best=thousands(ev.best.newly_covered_population),
                gap=_pct(ev.gap),
            )
        )
        print(
            "    " + gettext("open them in this order (each adds the most after those before it):")
        )
        for r in review.planned.itertuples():
            label = station_label(r.name if isinstance(r.name, str) else None, r.station_id)
            flags = f"  ! {r.flags}" if r.flags else ""
            added = getattr(r, "added_in_order", float("nan"))
            print(
                f"    {int(r.opening_order):>3}. "
                + gettext(
                    "{label}: adds {added} in this position ({alone} newly covered on its own)"
                ).format(label=label, added=thousands(added), alone=thousands(r.alone_population))
                + flags
            )


def print_redistribution(block: Any, *, gpkg: str = "plan.gpkg", show: int = 5) -> None:
    """The inspector moves: the headline, what stopped the solver, the largest moves."""
    from planner.outputs import redistribution_headline, station_label

    print(
        "  " + gettext("inspector moves {headline}").format(headline=redistribution_headline(block))
    )
    indent = " " * 18
    if block["status"] != "optimal":
        print(
            indent + gettext("solver stopped at a limit: {status}").format(status=block["status"])
        )
    for mv in (block.get("move_list") or [])[:show]:
        print(
            indent
            + gettext("{count} from {origin} to {target} ({km} km)").format(
                count=mv["count"],
                origin=station_label(mv["from_name"], mv["from_station_id"]),
                target=station_label(mv["to_name"], mv["to_station_id"]),
                km=number_text(mv["distance_m"] / 1000, ",.1f"),
            )
        )
    if block["moves"] > show:
        more = block["moves"] - show
        print(
            indent
            + ngettext(
                "... {n} more in {file} (inspector_moves)",
                "... {n} more in {file} (inspector_moves)",
                more,
            ).format(n=more, file=gpkg)
        )


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
    headline = gettext("national plan: {ok} of {n} units computed").format(
        ok=result.n_ok, n=len(result.units)
    )
    if result.n_failed:
        headline += gettext(", {failed} FAILED (listed below)").format(failed=result.n_failed)
    print(headline)
    print_illustrative(result.inputs)
    if result.n_ok:
        print(
            "  "
            + gettext("walking limit   {metres} m ({minutes} min at {speed} km/h)").format(
                metres=number_text(s.max_walk_m, ".0f"),
                minutes=number_text(s.max_walk_min, ".0f"),
                speed=number_text(s.speed_kmh, ""),
            )
        )
        print(
            "  "
            + gettext("residents       {residents} (estimated)").format(
                residents=thousands(residents)
            )
        )
        homes = result.residents_outside
        if homes is not None and len(homes):
            print(
                "  "
                + gettext(
                    "in no unit      {residents} residents in {n} buildings (counted in no unit; see the note)"
                ).format(residents=thousands(homes["population"].sum()), n=len(homes))
            )
        print(
            "  "
            + gettext("covered now     {residents} ({share} %)").format(
                residents=thousands(before), share=_pct(before / residents)
            )
        )
        print(
            "  "
            + gettext(
                "after the plan  {residents} ({share} %) with {used} of {budget} new stations"
            ).format(
                residents=thousands(after),
                share=_pct(after / residents),
                used=a.used,
                budget=a.budget,
            )
        )
        print(
            "  "
            + gettext(
                "optimality gap  {gap} % (proven: no allocation covers more than {bound})"
            ).format(gap=_pct(a.gap, ".2f"), bound=thousands(before + a.upper_bound))
        )
        refinement = result.refinement or {}
        if refinement.get("points"):
            print(
                "  "
                + ngettext(
                    "proof           {points} curve point(s) the allocation depends on solved "
                    "again with HiGHS, in {units} unit(s), {rounds} round(s)",
                    "proof           {points} curve point(s) the allocation depends on solved "
                    "again with HiGHS, in {units} unit(s), {rounds} round(s)",
                    int(refinement["points"]),
                ).format(
                    points=count_text(int(refinement["points"])),
                    units=count_text(int(refinement["units"])),
                    rounds=count_text(len(refinement["rounds"])),
                )
            )
        print(
            "  "
            + gettext("greedy allocation would cover {residents}").format(
                residents=thousands(before + result.greedy.newly_covered)
            )
        )
        if result.time_limit_hit:
            print("  " + gettext("TIME LIMIT HIT  {text}").format(text=gettext(TIME_LIMIT_LINE)))
        needed = int(table.loc[ok, "inspectors_needed"].sum())
        counted = table.loc[ok, "inspectors_now"].notna()
        line = "  " + gettext(
            "inspectors      {needed} needed at the existing stations (norm {norm} residents per inspector)"
        ).format(needed=needed, norm=number_text(result.options.residents_per_inspector, ",.0f"))
        if counted.any():
            line += gettext("; {now} there now, {missing} missing").format(
                now=int(table.loc[ok, "inspectors_now"].sum()),
                missing=int(table.loc[ok, "inspectors_missing"].sum()),
            )
        print(line)
        if result.redistribution is not None:
            from planner.report import redistribution_dict

            print_redistribution(redistribution_dict(result.redistribution), gpkg="national.gpkg")
        if result.target is not None:
            t = result.target
            share = _pct(t["target_share"])
            print(
                "  "
                + (
                    gettext("target {share} %: reached").format(share=share)
                    if t["reachable"]
                    else gettext("target {share} %: NOT reachable with {budget} stations").format(
                        share=share, budget=a.budget
                    )
                )
            )
        shown = table[ok].sort_values("new_stations", ascending=False, kind="stable").head(15)
        print(
            "  " + gettext("unit                              new  covered now  after   unit gap")
        )
        for r in shown.itertuples():
            print(
                f"  {str(r.name)[:32]:<32} {r.new_stations:>4}  {_pct(r.share_before, '>10.1f')} %  {_pct(r.share_after, '>5.1f')} %  {_pct(r.gap, '>6.2f')} %"
            )
        if ok.sum() > 15:
            more = int(ok.sum()) - 15
            print(
                "  "
                + ngettext(
                    "... {n} more units in national.md", "... {n} more units in national.md", more
                ).format(n=more)
            )
    if result.vehicle_allocation is not None and result.n_ok:
        from planner.national.report import national_vehicles_dict

        v = national_vehicles_dict(result) or {}
        print(
            "  "
            + gettext(
                "vehicles        {placed} of {vehicles} placed: +{gain} residents within {minutes} min drive; served on foot or by car {share} %; gap {gap} %"
            ).format(
                placed=v["placed"],
                vehicles=v["vehicles"],
                gain=thousands(v["vehicle_gain"]),
                minutes=number_text(v["drive_min"], "g"),
                share=_pct(v["share_served"]),
                gap=_pct(v["gap"], ".2f"),
            )
        )
    for r in table[~ok].itertuples():
        print("  " + gettext("FAILED {name}: {status}").format(name=r.name, status=r.status))
    outside = result.stations_outside
    if outside is not None and len(outside):
        print(
            "  "
            + ngettext(
                "{n} station rows assigned to no unit (listed in national.json)",
                "{n} station rows assigned to no unit (listed in national.json)",
                len(outside),
            ).format(n=len(outside))
        )
    for note in result.notes:
        print("  " + gettext("note: {text}").format(text=note))
    if result.n_ok:
        print(gettext("files:"))
        folders = sum(1 for w in result.written.values() if w.status == "ok" and w.files)
        names = ("national.html", "national.gpkg", "national.json", "national.md")
        for name in (*names, "units/") if folders else names:
            print(f"  {out / name}")
        if result.options.unit_outputs != "all":
            print(
                "  "
                + ngettext(
                    "(a folder of city files for {n} of {total} units: --unit-outputs {mode})",
                    "(a folder of city files for {n} of {total} units: --unit-outputs {mode})",
                    folders,
                ).format(
                    n=count_text(folders), total=count_text(result.n_ok),
                    mode=result.options.unit_outputs,
                )
            )
    else:
        print(gettext("no unit succeeded: nothing written"))
