"""What the command line adds to the library for its user: options checked before any file is
read and turned into the library's settings, inputs read with their checksums, messages in the
flags the user typed, the libraries' noise kept off the terminal, and a warning before inputs
that will take long.

The library speaks its API (``max_walk_m=-5.0 must be greater than 0``, ``layer='x'``); the
command line translates, with :data:`FLAGS`, rather than making the library speak CLI.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import re
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.defaults import DEFAULT_DRIVE_MIN, DEFAULT_MAX_WALK_MIN, MAX_DRIVE_MIN
from planner.i18n import gettext, language

if TYPE_CHECKING:
    from planner._cli_print import Progress

__all__ = [
    "FLAGS",
    "check_options",
    "command_record",
    "error_text",
    "for_cli",
    "heartbeat",
    "library_noise_off",
    "load",
    "move_problems",
    "number_text",
    "population_settings",
    "read_sites",
    "settings",
    "size_warnings",
    "vehicle_options",
    "vehicle_problems",
]

#: API parameter -> the command-line flag that sets it.
FLAGS = {
    "max_walk_m": "--walk-m",
    "max_walk_min": "--walk-min",
    "speed_kmh": "--speed-kmh",
    "max_snap_m": "--max-snap-m",
    "n_sites": "--n-sites",
    "target_share": "--target-share",
    "spacing_m": "--spacing-m",
    "time_limit_s": "--time-limit-s",
    "node_limit": "--node-limit",
    "floor_area_per_resident_m2": "--floor-area-per-resident-m2",
    "yes_outside_residential_landuse": "--untyped-buildings-residential",
    "total_population": "--total-population",
    "stations_path": "--stations",
    "population_points": "--population-points",
    "population_raster": "--population-raster",
    "districts_path": "--districts",
    "osm_path": "--osm",
    "capacity_inspectors": "--capacity-inspectors",
    "residents_per_inspector": "--residents-per-inspector",
    "repair_batch": "--repair-batch",
    "relocation_radius_m": "--relocation-radius-m",
    "prefer_shorter_walks": "--prefer-shorter-walks",
    "building_sites": "--building-sites",
    "redistribute_inspectors": "--redistribute-inspectors",
    "n_vehicles": "--vehicles",
    "drive_min": "--drive-min",
}
#: API parameters a command-line user never sets: problem lines about them are left out (the
#: line about the parameter they did set says the same thing).
_INTERNAL = ("forced",)
#: API calls in hints (``WalkSettings.from_minutes(10, ...)``) and what to say instead.
_API_HINTS = (
    (
        re.compile(
            r"PopulationSettings\(yes_outside_residential_landuse=True, total_population=\.\.\.\)"
        ),
        "--untyped-buildings-residential with --total-population",
    ),
    (re.compile(r"\(demand_from_raster\)"), "(--population-raster)"),
)
_CALL = re.compile(r"\b[A-Za-z_][\w.]*\([^)]*=")  # an API call with keyword arguments
_TYPED = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, FLAGS)) + r")=(\S+?)(?=[;,)\s]|$)")


def number_text(value: float, spec: str) -> str:
    """``value`` as ``format(value, spec)`` writes it in English (``2,500``, ``87.3``); in
    Russian and Kazakh with a space between thousands and a decimal comma (``2 500``, ``87,3``)."""
    text = format(value, spec)
    if language() == "en":
        return text
    return text.replace(",", " ").replace(".", ",")


def layer_flag(text: str, command: str) -> str:
    """The layer/sheet flag of the file a message is about."""
    if text.startswith("stations file") or "\nstations file" in text:
        return "--stations-layer"
    if "proposals file" in text:
        return "--proposals-layer"
    if "candidate sites file" in text:  # untranslated: the library's English message matched
        return "--proposals-layer" if command == "evaluate" else "--candidates-layer"
    return "--stations-layer"


#: The files of sites, as the library names them, and the flag that gives each.
_SITE_FILES = {"proposals": "--proposals", "candidate sites": "--candidates"}
#: ``proposals file NAME`` up to what is said of it (": ...", " has ...", " is ...").
_SITE_FILE = re.compile(
    r"^(" + "|".join(_SITE_FILES) + r") file (.+?)(?=:| has | is | cannot | does not |$)"
)


def _name_the_flag(headline: str) -> str:
    """``proposals file p.csv: ...`` -> ``proposals file p.csv (--proposals): ...``."""
    return _SITE_FILE.sub(lambda m: f"{m[0]} ({_SITE_FILES[m[1]]})", headline, count=1)


def for_cli(text: str, *, command: str = "") -> str:
    """A library message in the words of the command line.

    ``max_walk_m=-5.0 must be ...`` becomes ``--walk-m -5.0 must be ...``; ``layer='x'`` the
    layer flag of the file concerned; problem lines about parameters the user cannot set and
    hints made of API calls are left out.
    """
    out = []
    for number, line in enumerate(text.splitlines()):
        headline = number == 0  # what went wrong: always kept
        if headline:
            line = _name_the_flag(line)
        if headline and line.startswith("bbox "):
            line = f"--{line}"  # the library's bbox is the --bbox typed
        if not headline and any(re.search(rf"\b{name}\b", line) for name in _INTERNAL):
            continue
        for pattern, replacement in _API_HINTS:
            line = pattern.sub(replacement, line)
        if "layer=" in line:
            flag = layer_flag(text, command)
            line = re.sub(r"layer='<[^>]*>'", f"{flag} NAME", line)
            line = re.sub(r"\(?(?:as )?layer=\.\.\.\)?", f"({flag})", line)
        if not headline and (_CALL.search(line) or "call again" in line):
            continue  # a hint in Python; the problem lines above already name the flags
        line = _TYPED.sub(lambda m: f"{FLAGS[m.group(1)]} {m.group(2)}", line)
        line = re.sub(
            r"(?<![\w-])(" + "|".join(map(re.escape, FLAGS)) + r")(?![\w=(-])",
            lambda m: FLAGS[m.group(1)],
            line,
        )
        out.append(line)
    return "\n".join(out)


def _positive(value: float | None, flag: str, problems: list[str], *, unit: str = "") -> None:
    """``unit``: a translated example, e.g. ``gettext("metres, e.g. 800")``. Values of flags are
    echoed as typed (``4.8``, in every language: the command line takes decimal points)."""
    if value is not None and not (math.isfinite(value) and value > 0):
        text = (
            gettext("{flag} {value}: must be a number > 0 ({unit})")
            if unit
            else gettext("{flag} {value}: must be a number > 0")
        )
        problems.append(text.format(flag=flag, value=f"{value:g}", unit=unit))


def solver_limit_problems(args: argparse.Namespace) -> list[str]:
    """``--time-limit-s`` (> 0; ``inf`` is off) and ``--node-limit`` (>= 1) checked."""
    problems = []
    limit_s = getattr(args, "time_limit_s", None)
    if limit_s is not None and not limit_s > 0:
        problems.append(
            gettext(
                "{flag} {value}: must be a number of seconds > 0 (leave it out for no time limit)"
            ).format(flag="--time-limit-s", value=f"{limit_s:g}")
        )
    nodes = getattr(args, "node_limit", None)
    if nodes is not None and nodes < 1:
        problems.append(
            gettext("{flag} {value}: must be 1 or more (branch-and-bound nodes)").format(
                flag="--node-limit", value=nodes
            )
        )
    return problems


def move_problems(args: argparse.Namespace) -> list[str]:
    """``--max-move-km``: a distance > 0, and only with ``--redistribute-inspectors``."""
    problems: list[str] = []
    km = getattr(args, "max_move_km", None)
    _positive(km, "--max-move-km", problems, unit=gettext("kilometres, e.g. 5"))
    if km is not None and not getattr(args, "redistribute_inspectors", False):
        problems.append(
            gettext("{flag} works with {other}").format(
                flag="--max-move-km", other="--redistribute-inspectors"
            )
        )
    return problems


def check_options(args: argparse.Namespace) -> list[str]:
    """Every impossible option of a city command, before any file is read."""
    problems: list[str] = []

    def get(name: str) -> Any:
        return getattr(args, name, None)

    _positive(get("walk_m"), "--walk-m", problems, unit=gettext("metres, e.g. 800"))
    _positive(get("walk_min"), "--walk-min", problems, unit=gettext("minutes, e.g. 10"))
    _positive(get("speed_kmh"), "--speed-kmh", problems, unit=gettext("km/h, e.g. 4.8"))
    _positive(get("max_snap_m"), "--max-snap-m", problems, unit=gettext("metres, e.g. 250"))
    _positive(get("total_population"), "--total-population", problems)
    _positive(get("floor_area_per_resident_m2"), "--floor-area-per-resident-m2", problems)
    _positive(get("residents_per_inspector"), "--residents-per-inspector", problems)
    _positive(get("relocation_radius_m"), "--relocation-radius-m", problems)
    _positive(get("spacing_m"), "--spacing-m", problems, unit=gettext("metres, e.g. 100"))
    problems += solver_limit_problems(args)
    _positive(get("capacity_inspectors"), "--capacity-inspectors", problems)
    problems += move_problems(args)
    problems += vehicle_problems(args)
    batch, n_sites = get("repair_batch"), get("n_sites")
    if batch is not None and batch < 1:
        problems.append(
            gettext("{flag} {value}: must be 1 or more").format(flag="--repair-batch", value=batch)
        )
    if n_sites is not None and n_sites < 0:
        problems.append(
            gettext("{flag} {value}: must be 0 or more").format(flag="--n-sites", value=n_sites)
        )
    share = get("target_share")
    if share is not None and not (math.isfinite(share) and 0 < share <= 1):
        example = (
            gettext("{share} for {percent} %").format(
                share=f"{share / 100:g}", percent=f"{share:g}"
            )
            if 1 < share <= 100
            else gettext("{share} for {percent} %").format(share="0.9", percent="90")
        )
        problems.append(
            gettext("{flag} {value}: must be a share in (0, 1], e.g. {example}").format(
                flag="--target-share", value=f"{share:g}", example=example
            )
        )
    if get("capacity_inspectors") is not None and get("n_sites") is None:
        problems.append(
            gettext("{flag} works with {other} (the number of new sites)").format(
                flag="--capacity-inspectors", other="--n-sites"
            )
        )
    for flag, name in (
        ("--stations-layer", "stations"),
        ("--candidates-layer", "candidates"),
        ("--proposals-layer", "proposals"),
    ):
        if get(flag[2:].replace("-", "_")) is not None and get(name) is None:
            problems.append(
                gettext(
                    "{flag} names a layer of the {option} file, but no {option} is given"
                ).format(flag=flag, option=f"--{name}")
            )
    return problems


def vehicle_problems(args: argparse.Namespace) -> list[str]:
    """Impossible ``--vehicles``/``--drive-min`` options (city commands and national)."""
    problems: list[str] = []
    vehicles, drive_min = getattr(args, "vehicles", None), getattr(args, "drive_min", None)
    _positive(drive_min, "--drive-min", problems, unit=gettext("minutes, e.g. 10"))
    if drive_min is not None and math.isfinite(drive_min) and drive_min > MAX_DRIVE_MIN:
        problems.append(
            gettext("{flag} {value}: at most {most} minutes").format(
                flag="--drive-min",
                value=f"{drive_min:g}",
                most=f"{MAX_DRIVE_MIN:g}",
            )
        )
    if vehicles is not None and vehicles < 0:
        problems.append(
            gettext("{flag} {value}: must be 0 or more").format(flag="--vehicles", value=vehicles)
        )
    if drive_min is not None and vehicles is None:
        problems.append(
            gettext("{flag} works with {other} (the number of service vehicles)").format(
                flag="--drive-min", other="--vehicles"
            )
        )
    return problems


def vehicle_options(args: argparse.Namespace) -> dict[str, Any]:
    """``--vehicles``/``--drive-min`` as the library's keywords (``{}`` without ``--vehicles``):
    ``n_vehicles`` and ``drive_min`` of :func:`planner.vehicles.plan_vehicles`."""
    vehicles = getattr(args, "vehicles", None)
    if vehicles is None:
        return {}
    drive_min = getattr(args, "drive_min", None)
    return {
        "n_vehicles": int(vehicles),
        "drive_min": DEFAULT_DRIVE_MIN if drive_min is None else float(drive_min),
    }


#: Above these sizes a run takes minutes: the user is told up front.
LARGE_CANDIDATES = 20_000
LARGE_STATIONS = 2_000


def size_warnings(args: argparse.Namespace, city: Any) -> list[str]:
    """Warnings, before the slow steps, about inputs that will make them long."""
    from planner.candidates import DEFAULT_SPACING_M

    out = []
    stations = city.stations
    n_stations = int(stations["usable"].sum()) if "usable" in stations.columns else len(stations)
    if n_stations > LARGE_STATIONS:
        out.append(
            gettext(
                "{n} usable stations: each gets its own walking area and workload, so the "
                "coverage step will take minutes (a city has tens to a few hundred; is this a "
                "national list? use {command} to split it by city)"
            ).format(n=number_text(n_stations, ","), command="'planner national'")
        )
    spacing = getattr(args, "spacing_m", None)
    # The estimate counts sites along every street, an upper bound: sites are only placed near
    # residents not yet covered, often a small part of the city. So only a spacing the user made
    # tighter than the default is worth a word, said as how many times the default's work it is
    # (the demo, which picks its options itself, never warns about them).
    chosen = getattr(args, "command", "") in ("plan", "evaluate") and not getattr(
        args, "demo", False
    )
    if chosen and spacing and spacing < DEFAULT_SPACING_M:
        street_km = float(city.network.edge_length_m.sum()) / 1000
        estimate = street_km * 1000 / spacing
        if estimate > LARGE_CANDIDATES:
            default = street_km * 1000 / DEFAULT_SPACING_M
            out.append(
                gettext(
                    "{flag} {value}: up to about {estimate} candidate sites along {km} km of "
                    "walkable street (about {default} at the default {spacing} m), {times} times "
                    "as many: the coverage matrix and the solver's work grow about as much. "
                    "Sites closer than 25-50 m change a 800 m catchment by less than the "
                    "population estimate's own uncertainty."
                ).format(
                    flag="--spacing-m",
                    value=f"{spacing:g}",
                    estimate=number_text(estimate, ",.0f"),
                    km=number_text(street_km, ",.0f"),
                    default=number_text(default, ",.0f"),
                    spacing=f"{DEFAULT_SPACING_M:g}",
                    times=number_text(DEFAULT_SPACING_M / spacing, ",.3g"),
                )
            )
    return out


@contextmanager
def library_noise_off() -> Iterator[None]:
    """Keep the libraries' own output off the terminal during a step.

    Python warnings (geopandas, pyogrio, shapely) are dropped, and anything written straight to
    the standard output by C code (HiGHS) is discarded: during a step the planner itself writes
    only to the standard error.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            sys.stdout.flush()
            fd = sys.__stdout__.fileno() if sys.__stdout__ is not None else 1
            saved = os.dup(fd)
        except (OSError, ValueError, AttributeError):
            yield
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, fd)
            yield
        finally:
            with suppress(OSError, ValueError):
                sys.stdout.flush()
            os.dup2(saved, fd)
            os.close(saved)
            os.close(devnull)


@contextmanager
def heartbeat(*, every_s: float = 10.0, quiet: bool = False) -> Iterator[None]:
    """While a step runs, print the time spent every ``every_s`` seconds (to stderr), so a
    long step is visibly alive."""
    if quiet:
        yield
        return
    stop = threading.Event()
    t0 = time.perf_counter()

    def tick() -> None:
        while not stop.wait(every_s):
            seconds = gettext("{seconds} s").format(
                seconds=number_text(time.perf_counter() - t0, ".0f")
            )
            print(f" {seconds} ...", end="", file=sys.stderr, flush=True)

    thread = threading.Thread(target=tick, name="planner-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def silence_library_loggers() -> None:
    """Loggers of the libraries (pyogrio writes INFO lines per layer) stay below the notes."""
    for name in ("pyogrio", "fiona", "distributed", "numexpr", "py.warnings"):
        logging.getLogger(name).setLevel(logging.ERROR)


#: Problems printed in an error message; the rest go to a file.
SHOWN_PROBLEMS = 50


def error_text(exc: Any, *, command: str = "") -> str:
    """The message of an :class:`~planner.errors.InputError` for the terminal.

    Past :data:`SHOWN_PROBLEMS` problems (a national list with thousands of bad rows) the
    message shows the first ones and writes all of them to a text file in the temporary
    folder, named in the message, rather than filling the screen. ``--out`` is not touched: a
    failed run leaves it as it was.
    """
    text = str(exc)
    problems = getattr(exc, "problems", ())
    if len(problems) > SHOWN_PROBLEMS:
        import tempfile

        fd, name = tempfile.mkstemp(prefix="planner-problems-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(for_cli(str(exc.what), command=command) + "\n")
            fh.writelines(for_cli(str(p), command=command) + "\n" for p in problems)
        lines = text.splitlines()
        marker = f"  ... and {len(problems) - SHOWN_PROBLEMS} more"
        listed = gettext("{line} (all {n} listed in {file})")
        text = "\n".join(
            listed.format(line=line, n=len(problems), file=name) if line == marker else line
            for line in lines
        )
    return for_cli(text, command=command)


def settings(args: argparse.Namespace) -> Any:
    """The walking settings of the options (the default limit in minutes at the given speed)."""
    from planner.settings import WalkSettings

    if getattr(args, "walk_m", None) is not None:
        return WalkSettings(
            max_walk_m=args.walk_m, speed_kmh=args.speed_kmh, max_snap_m=args.max_snap_m
        )
    minutes = args.walk_min if getattr(args, "walk_min", None) is not None else DEFAULT_MAX_WALK_MIN
    return WalkSettings.from_minutes(minutes, speed_kmh=args.speed_kmh, max_snap_m=args.max_snap_m)


def population_settings(args: argparse.Namespace) -> Any:
    """The footprint estimate's settings of the options, or None for the library's defaults."""
    from planner.demand import PopulationSettings

    options: dict[str, Any] = {}
    if args.floor_area_per_resident_m2 is not None:
        options["floor_area_per_resident_m2"] = args.floor_area_per_resident_m2
    if args.untyped_buildings_residential:
        options["yes_outside_residential_landuse"] = True
    return PopulationSettings(**options) if options else None


def load(args: argparse.Namespace, progress: Progress, *, settings: Any = None) -> Any:
    """The city of a city command's options, read as one step of ``progress``."""
    from planner.pipeline import load_city

    return progress.run(
        gettext("reading {name}: streets, buildings, stations").format(name=args.osm.name),
        load_city,
        args.osm,
        name=args.name,
        bbox=args.bbox,
        boundary=args.boundary,
        stations_path=args.stations,
        population_raster=args.population_raster,
        population_points=args.population_points,
        population_settings=population_settings(args),
        total_population=args.total_population,
        districts_path=args.districts,
        **({} if getattr(args, "barriers", None) is None else {"barriers": args.barriers}),
        district_population_column=args.district_population_column,
        stations_layer=getattr(args, "stations_layer", None),
        **(
            {}
            if settings is None
            else {
                "station_reach_m": settings.max_walk_m + settings.max_snap_m,
                "settings": settings,
            }
        ),
    )


def read_sites(
    progress: Progress,
    city: Any,
    path: Path,
    layer: str | None,
    role: str,
    inputs: list[dict[str, Any]],
) -> Any:
    """Read a candidates or proposals file (checked against the study area), recording it in
    ``inputs`` with its checksum (and whether it declares itself illustrative)."""
    from planner import _tables, pipeline
    from planner._files import input_record
    from planner.candidates import read_candidates

    sites = progress.run(
        (
            gettext("reading the candidate sites {name}")
            if role == "candidates"
            else gettext("reading the proposals {name}")
        ).format(name=path.name),
        partial(read_candidates, what="candidate sites" if role == "candidates" else "proposals"),
        path,
        crs=city.network.crs,
        area_lonlat_bounds=pipeline.study_area_lonlat_bounds(city),
        layer=layer,
    )
    inputs.append(
        input_record(role, path) | _tables.illustrative_fields(sites.attrs.get("illustrative"))
    )
    return sites


def command_record(args: argparse.Namespace, argv: Sequence[str]) -> dict[str, Any]:
    """How the run was started, for summary.json: the arguments and every option's value."""

    def plain(value: Any) -> Any:
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        return value

    return {
        "argv": [str(a) for a in argv],
        "options": {k: plain(v) for k, v in sorted(vars(args).items())},
    }
