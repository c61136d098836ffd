"""The ``planner`` command line, a thin layer over :mod:`planner.pipeline` and :mod:`planner.report`.

It is four flat modules: this one runs a command (:func:`main`); :mod:`planner._cli_parser`
holds the parser (light: ``planner --help`` imports no numpy), :mod:`planner._cli_inputs` turns
options into the library's inputs and messages into the user's flags, :mod:`planner._cli_print`
prints the steps and the summaries.

Exit codes: 0 success, 2 bad input (a clear message, no traceback), 3 a download failed,
4 a national run in which every unit failed (the reasons are printed), 5 the outputs could not
be written for a reason of the environment (disk full, file-size limit, permissions, another run
writing into the same --out; the --out folder is then unchanged), 130 interrupted (Ctrl+C),
143 terminated (SIGTERM).

Every command speaks the language of ``--lang`` (else ``PLANNER_LANG``, else the system
locale's when Russian or Kazakh, else English), set before the parser is built so that the help
is translated too (:func:`planner._cli_parser.language_of`); a national run hands it to its Dask
workers with each unit's task.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TypeVar

from planner._cli_inputs import (
    check_options,
    command_record,
    error_text,
    load,
    move_problems,
    population_settings,
    read_sites,
    settings,
    silence_library_loggers,
    size_warnings,
    solver_limit_problems,
    vehicle_options,
    vehicle_problems,
)
from planner._cli_parser import BUNDLED_OSM, demo_argv, language_of, parse_args
from planner._cli_print import Bar, Progress, print_national, print_summary
from planner.defaults import (
    DEFAULT_DRIVE_MIN,
    DEFAULT_NODE_LIMIT,
    DEFAULT_TIME_LIMIT_S,
    DEFAULT_TRY_SITES,
)
from planner.errors import FetchError, InputError, OutputError
from planner.i18n import gettext, language, resolve_language, set_language, using_language

__all__ = ["main"]

T = TypeVar("T")


def _run(args: argparse.Namespace, run_id: str, argv: Sequence[str]) -> int:
    if args.command == "fetch":
        from planner.fetch import fetch_osm

        path = fetch_osm(args.out, place=args.place, bbox=args.bbox)
        print(gettext("saved {path}; use it offline with --osm {path}").format(path=path))
        return 0
    progress = Progress(quiet=args.quiet, command=args.command)
    if args.command == "national":
        return _run_national(args, progress, run_id, argv)
    if args.command == "demo":
        if not BUNDLED_OSM.exists():
            raise InputError(
                gettext("the bundled data {path} is not there").format(path=BUNDLED_OSM),
                hint=gettext(
                    "Run the demo from a clone of the project (pip install -e .), or use {example}."
                ).format(example="'planner plan --osm FILE --n-sites 10'"),
            )
        args = parse_args(demo_argv(args))
        args.demo = True  # options chosen by the demo, not the user: no warnings about them
    return _run_city(args, progress, run_id, argv)


def _run_city(
    args: argparse.Namespace, progress: Progress, run_id: str, argv: Sequence[str]
) -> int:
    """``coverage``, ``plan`` and ``evaluate`` (and ``demo``, a ``plan``): one city's run."""
    from planner import pipeline, report
    from planner.network import DEFAULT_BARRIERS
    from planner.output_set import output_set
    from planner.station_review import review_stations

    problems = check_options(args)
    if problems:
        raise InputError(
            gettext("invalid options for {command}").format(command=f"'planner {args.command}'"),
            problems,
        )
    if getattr(args, "try_sites", 0) < 0:
        raise InputError(
            gettext("{flag} {value}: give 0 or more clickable candidate sites").format(
                flag="--try-sites", value=args.try_sites
            ),
            hint=gettext(
                "e.g. {example} (the default); --no-try-sites leaves the panel out."
            ).format(example="--try-sites 3000"),
        )
    out = args.out or Path("out") / args.command
    walk = settings(args)
    extra_inputs: list[dict[str, Any]] = []
    with ExitStack() as stack:
        with progress.step(gettext("checking the output folder {out}").format(out=out)):
            target = stack.enter_context(output_set(out, run_id=run_id))
        city = load(args, progress, settings=walk)
        for warning in size_warnings(args, city):
            print(
                "  " + gettext("warning: {warning}").format(warning=warning),
                file=sys.stderr,
                flush=True,
            )
        coverage = progress.run(
            gettext("walking distances, coverage"),
            pipeline.assess_coverage,
            city,
            settings=walk,
            areas=False,
        )
        # the service areas (a picture: no number depends on them) are drawn in the background
        # while the stations are reviewed and the sites chosen; joined before writing
        drawing = _in_background(pipeline.draw_service_areas, city, coverage)
        review = progress.run(
            gettext("stations: repairs, inspectors, planned stations"),
            review_stations,
            city,
            coverage,
            residents_per_inspector=args.residents_per_inspector,
            repair_batch=args.repair_batch,
            relocation_radius_m=args.relocation_radius_m,
            time_limit_s=getattr(args, "time_limit_s", DEFAULT_TIME_LIMIT_S),
            node_limit=getattr(args, "node_limit", DEFAULT_NODE_LIMIT),
        )
        if getattr(args, "redistribute_inspectors", False):
            from planner.inspector_moves import with_redistribution

            review = progress.run(
                gettext("inspector moves (HiGHS)"),
                with_redistribution,
                review,
                max_move_m=None if args.max_move_km is None else 1000.0 * args.max_move_km,
                time_limit_s=getattr(args, "time_limit_s", DEFAULT_TIME_LIMIT_S),
                node_limit=getattr(args, "node_limit", DEFAULT_NODE_LIMIT),
            )
        vehicles = None
        if vehicle_options(args):
            from planner.vehicles import plan_vehicles

            vehicles = progress.run(
                gettext("service vehicles: drive network, drive times, allocation"),
                plan_vehicles,
                city,
                coverage,
                **vehicle_options(args),
                time_limit_s=getattr(args, "time_limit_s", DEFAULT_TIME_LIMIT_S),
                node_limit=getattr(args, "node_limit", DEFAULT_NODE_LIMIT),
            )
        plan = evaluation = capacity_plan = None
        parameters: dict[str, Any] = {
            "barriers": ",".join(
                DEFAULT_BARRIERS if getattr(args, "barriers", None) is None else args.barriers
            )
            or "none",  # untranslated: a value of summary.json
            "residents_per_inspector": args.residents_per_inspector,
            "repair_batch": args.repair_batch,
            "relocation_radius_m": args.relocation_radius_m,
        }
        if vehicles is not None:
            parameters |= {"vehicles": vehicles.n_vehicles, "drive_min": vehicles.drive_min}
        if args.command == "plan":
            plan, capacity_plan = _plan(args, progress, city, coverage, extra_inputs)
            parameters |= {
                "n_sites": args.n_sites,
                "target_share": args.target_share,
                "spacing_m": args.spacing_m,
                "method": args.method,
                **solver_limits(args),
                "capacity_inspectors": args.capacity_inspectors,
                "building_sites": args.building_sites,
                "prefer_shorter_walks": args.prefer_shorter_walks,
            }
        elif args.command == "evaluate":
            proposals = read_sites(
                progress, city, args.proposals, args.proposals_layer, "proposals", extra_inputs
            )
            evaluation = progress.run(
                gettext("scoring the proposals against the best plan"),
                pipeline.evaluate_sites,
                city,
                coverage,
                proposals,
                spacing_m=args.spacing_m,
                method=args.method,
                time_limit_s=args.time_limit_s,
                node_limit=args.node_limit,
            )
            parameters |= {
                "proposals": str(args.proposals),
                "spacing_m": args.spacing_m,
                "method": args.method,
                **solver_limits(args),
            }
        if getattr(args, "redistribute_inspectors", False):
            parameters |= {"redistribute_inspectors": True, "max_move_km": args.max_move_km}
            parameters.setdefault("node_limit", getattr(args, "node_limit", DEFAULT_NODE_LIMIT))
        coverage = progress.run(
            gettext("service areas (drawn alongside the steps above)"), drawing.result
        )
        with progress.step(
            gettext("writing plan.gpkg, summary and map.html to {out}").format(out=out)
        ):
            files = report.write_outputs(
                target,
                city=city,
                coverage=coverage,
                plan=plan,
                evaluation=evaluation,
                parameters=parameters,
                tiles=args.tiles,
                review=review,
                capacity_plan=capacity_plan,
                try_sites_max=(
                    -1
                    if getattr(args, "no_try_sites", False)
                    else getattr(args, "try_sites", DEFAULT_TRY_SITES)
                ),
                inputs=extra_inputs,
                command=command_record(args, argv),
                vehicles=vehicles,
            )
            stack.close()  # check the files and swap them in
    args.outcome = 0  # the set is in place: an interrupt from here on changes nothing
    print_summary(
        city,
        coverage,
        plan,
        evaluation,
        files,
        review,
        capacity_plan,
        extra_inputs=extra_inputs,
        vehicles=vehicles,
    )
    return 0


def _in_background(fn: Callable[..., T], *args: Any) -> Future[T]:
    """``fn(*args)`` on a daemon thread: an error or an interrupt of the run does not wait for
    it (a pool's thread would be joined first, holding up the message and the clean-up)."""
    future: Future[T] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # handed to whoever waits for the result
            future.set_exception(exc)

    threading.Thread(target=run, name="planner-background", daemon=True).start()
    return future


def solver_limits(args: argparse.Namespace) -> dict[str, Any]:
    """The solver's limits as the run's parameters record them (no time limit: ``None``)."""
    limit_s = float(args.time_limit_s)
    return {
        "time_limit_s": limit_s if limit_s < float("inf") else None,
        "node_limit": int(args.node_limit),
    }


def _plan(
    args: argparse.Namespace,
    progress: Progress,
    city: Any,
    coverage: Any,
    extra_inputs: list[dict[str, Any]],
) -> tuple[Any, Any]:
    """``planner plan``: the new sites with their workload, and the capacitated plan if asked."""
    from dataclasses import replace

    from planner import pipeline
    from planner.station_review import plan_with_capacity, sites_workload

    extra = None
    if args.candidates is not None:
        extra = read_sites(
            progress, city, args.candidates, args.candidates_layer, "candidates", extra_inputs
        )
    plan = progress.run(
        gettext("candidate sites, coverage matrix, optimisation"),
        pipeline.plan_sites,
        city,
        coverage,
        n_sites=args.n_sites,
        target_share=args.target_share,
        spacing_m=args.spacing_m,
        building_sites=args.building_sites,
        candidates=extra,
        method=args.method,
        time_limit_s=args.time_limit_s,
        node_limit=args.node_limit,
        prefer_shorter_walks=args.prefer_shorter_walks,
    )
    with progress.aside():  # the walk from each new site: its notes were printed above
        workload = sites_workload(
            city, coverage, plan.sites, residents_per_inspector=args.residents_per_inspector
        )
    plan = replace(plan, sites=workload)
    capacity_plan = None
    if args.capacity_inspectors is not None:
        if args.n_sites is None:
            raise InputError(
                gettext("{flag} works with {other} (the number of new sites)").format(
                    flag="--capacity-inspectors", other="--n-sites"
                ),
                hint=gettext("e.g. {example}").format(
                    example="planner plan --osm city.osm.pbf --n-sites 5 --capacity-inspectors 2"
                ),
            )
        capacity_plan = progress.run(
            gettext("capacitated plan (HiGHS)"),
            plan_with_capacity,
            city,
            coverage,
            n_sites=args.n_sites,
            capacity_inspectors=args.capacity_inspectors,
            residents_per_inspector=args.residents_per_inspector,
            spacing_m=args.spacing_m,
            time_limit_s=args.time_limit_s,
            node_limit=args.node_limit,
        )
    return plan, capacity_plan


def _run_national(
    args: argparse.Namespace, progress: Progress, run_id: str, argv: Sequence[str]
) -> int:
    from planner.national import NationalOptions, plan_nation

    problems = []
    if args.new_stations < 0:
        problems.append(
            gettext("{flag} {value}: must be 0 or more").format(
                flag="--new-stations", value=args.new_stations
            )
        )
    if args.target_share is not None and not 0 < args.target_share <= 1:
        problems.append(
            gettext("{flag} {value}: give a share in (0, 1], e.g. 0.9 for 90 %").format(
                flag="--target-share", value=args.target_share
            )
        )
    if args.workers is not None and args.workers < 1:
        problems.append(
            gettext("{flag} {value}: need at least 1").format(flag="--workers", value=args.workers)
        )
    if args.spacing_m <= 0:
        problems.append(
            gettext("{flag} {value}: must be > 0").format(flag="--spacing-m", value=args.spacing_m)
        )
    problems += solver_limit_problems(args)
    problems += move_problems(args)
    if args.stations_layer is not None and args.stations is None:
        problems.append(
            gettext("{flag} names a layer of the {option} file, but no {option} is given").format(
                flag="--stations-layer", option="--stations"
            )
        )
    problems += vehicle_problems(args)
    if problems:
        raise InputError(
            gettext("{command}: invalid options").format(command="planner national"), problems
        )
    vehicles = vehicle_options(args)
    options = NationalOptions(
        settings=settings(args),
        new_stations=args.new_stations,
        target_share=args.target_share,
        spacing_m=args.spacing_m,
        method=args.method,
        time_limit_s=args.time_limit_s,
        node_limit=args.node_limit,
        population_settings=population_settings(args),
        allow_overlap=args.allow_overlap,
        residents_per_inspector=args.residents_per_inspector,
        **({} if args.barriers is None else {"barriers": args.barriers}),
        redistribute_inspectors=args.redistribute_inspectors,
        max_move_m=None if args.max_move_km is None else 1000.0 * args.max_move_km,
        vehicles=vehicles.get("n_vehicles", 0),
        drive_min=vehicles.get("drive_min", DEFAULT_DRIVE_MIN),
        unit_outputs=args.unit_outputs,
    )
    result = plan_nation(
        osm_path=args.osm,
        units_path=args.units,
        admin_level=args.admin_level,
        manifest_path=args.manifest,
        stations_path=args.stations,
        stations_layer=args.stations_layer,
        name_column=args.name_column,
        options=options,
        out_dir=args.out,
        scheduler=args.scheduler,
        workers=args.workers,
        progress=Bar(quiet=args.quiet),
        step=progress.step,
        run_id=run_id,
        command=command_record(args, argv),
        spill_dir=args.spill_dir,
    )
    args.outcome = 0 if result.n_ok else 4  # decided: an interrupt from here on changes nothing
    print_national(result, args.out)
    return int(args.outcome)


class _Terminated(BaseException):
    """SIGTERM, raised like Ctrl+C so that unfinished outputs are cleaned up."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        lang = language_of(argv)  # before the parser is built: --help is in this language too
    except InputError:
        with using_language(_fallback_language()):  # the message said in that language
            try:
                language_of(argv)
            except InputError as exc:
                print(f"planner: {error_text(exc)}", file=sys.stderr)
        return 2
    with using_language(lang):  # English again after the run (main may be called in-process)
        args = parse_args(argv)
        if getattr(args, "lang", None) not in (None, lang):
            set_language(args.lang)  # an abbreviated flag (--la kk) that argparse read
        args.lang = language()  # recorded in summary.json; passed on by the demo to its plan
        return _main(args, argv)


def _fallback_language() -> str:
    """The language to say that --lang is wrong in: PLANNER_LANG's or the locale's, else English."""
    try:
        return resolve_language(None)
    except InputError:
        return "en"


def _main(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from planner.output_set import new_run_id

    # warnings raised inside a step are printed after it by _Progress, as notes; nothing else
    # of the library's logging reaches the screen
    logging.getLogger().setLevel(logging.WARNING)
    silence_library_loggers()
    run_id = new_run_id()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        try:
            return _outcome(args, run_id, argv)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
    except (KeyboardInterrupt, _Terminated) as exc:
        # a signal while the outcome was being reported or the handler put back: the outcome
        # stands (a second signal here would end the process, as Python does by default)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        return _interrupted(args, run_id, terminated=isinstance(exc, _Terminated))


def _interrupted(args: argparse.Namespace, run_id: str, *, terminated: bool) -> int:
    """Exit code and message for Ctrl+C (130) or SIGTERM (143), or the run's own code when
    the signal came after its outcome was settled (the output set swapped in)."""
    decided = getattr(args, "outcome", None)
    state = _out_state(args, run_id)
    if decided is not None:
        said = (
            gettext("terminated after the run was complete; {state}")
            if terminated
            else gettext("interrupted after the run was complete; {state}")
        )
        print(f"\nplanner: {said.format(state=state)}", file=sys.stderr)
        return int(decided)
    said = gettext("terminated; {state}") if terminated else gettext("interrupted; {state}")
    print(f"\nplanner: {said.format(state=state)}", file=sys.stderr)
    return 143 if terminated else 130


def _outcome(args: argparse.Namespace, run_id: str, argv: Sequence[str]) -> int:
    """Run the command; errors become their message and exit code."""
    try:
        return _run(args, run_id, argv)
    except InputError as exc:
        print(f"\nplanner: {error_text(exc, command=args.command)}", file=sys.stderr)
        return 2
    except FetchError as exc:
        print(f"\nplanner: {exc}", file=sys.stderr)
        return 3
    except OutputError as exc:
        print(f"\nplanner: {exc}", file=sys.stderr)
        return 5
    except OSError as exc:
        if exc.filename is None:
            raise
        # a file the checks did not foresee (removed or locked while the run read it)
        print(
            f"\nplanner: {exc.filename}: {exc.strerror or exc}\n"
            + gettext("Check the path and the file's permissions (ls -l)."),
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return _interrupted(args, run_id, terminated=False)
    except _Terminated:
        return _interrupted(args, run_id, terminated=True)


def _out_state(args: argparse.Namespace, run_id: str) -> str:
    """What an interrupt left in --out, read from the folder itself."""
    from planner.output_set import read_run_ids

    if args.command == "fetch":
        return gettext("{out} was not changed unless it was complete").format(out=args.out)
    out = args.out or Path("out") / args.command
    try:
        ids = read_run_ids(out) if out.is_dir() else {}
    except (OSError, ValueError):
        ids = {}
    if ids and set(ids.values()) == {run_id}:
        return gettext("the outputs were already complete: {out} holds this run's files").format(
            out=out
        )
    if not ids:
        return gettext("nothing was written to {out}").format(out=out)
    return gettext("{out} is unchanged (the files of the previous run stay as they were)").format(
        out=out
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
