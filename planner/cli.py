"""The ``planner`` command line, a thin layer over :mod:`planner.pipeline` and :mod:`planner.report`.

Exit codes: 0 success, 2 bad input (a clear message, no traceback), 3 a download failed,
4 a national run in which every unit failed (the reasons are printed), 5 the outputs could not
be written for a reason of the environment (disk full, file-size limit, permissions, another run
writing into the same --out; the --out folder is then unchanged), 130 interrupted (Ctrl+C),
143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import logging
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from planner.errors import FetchError, InputError, OutputError

__all__ = ["main"]

T = TypeVar("T")

BUNDLED_OSM = Path(__file__).resolve().parents[1] / "data" / "almaty_2012.osm.pbf"
BUNDLED_DISTRICTS = Path(__file__).resolve().parents[1] / "data" / "almaty_districts_2024.geojson"
#: Clickable candidates of map.html's "Try sites" panel (planner.try_sites.DEFAULT_MAX_CANDIDATES).
DEFAULT_TRY_SITES = 3000

EXAMPLES = {
    "demo": """examples:
  planner demo                        # Almaty 2012, 10 new sites, files in out/demo
  planner demo --n-sites 20 --out out/almaty20
  planner demo --district-population-column population   # scale each district to its official figure
(the bundled districts are of 2024, the bundled streets and buildings of 2012)""",
    "coverage": """examples:
  planner coverage --osm data/almaty_2012.osm.pbf --out out/almaty
  planner coverage --osm city.osm.pbf --stations stations.csv --walk-min 15 --speed-kmh 4.2
  planner coverage --osm kz.osm.pbf --bbox 76.85,43.20,76.98,43.30 --total-population 2200000
  planner coverage --osm data/almaty_2012.osm.pbf --districts data/almaty_districts_2024.geojson --district-population-column population""",
    "plan": """examples:
  planner plan --osm data/almaty_2012.osm.pbf --n-sites 10 --out out/plan10
  planner plan --osm data/bishkek_2025_center.osm.gz --target-share 0.95
  planner plan --osm city.osm.pbf --n-sites 5 --candidates akimat_sites.csv --building-sites""",
    "evaluate": """examples:
  planner evaluate --osm data/almaty_2012.osm.pbf --proposals akimat_sites.csv --out out/eval
  (the proposals file: CSV with name, lat, lon columns, or GeoJSON/GeoPackage points)""",
    "national": """examples:
  planner national --osm malta.osm.pbf --admin-level 8 --new-stations 20 --out out/malta
  planner national --osm kazakhstan-latest.osm.pbf --units cities.geojson --stations stations.csv --new-stations 279 --out out/kz
  planner national --manifest cities.csv --new-stations 279 --scheduler tcp://10.0.0.5:8786
units file: polygons with a name column and optional population, min_new, max_new, quota columns
manifest: CSV with name,osm[,stations,population,min_new,max_new,quota] (one OSM file per unit)
exit codes: 0 at least one unit succeeded, 2 bad input, 4 every unit failed, 5 the outputs
could not be written (disk full, permissions, another run writing into the same --out)""",
    "fetch": """examples:
  planner fetch --place "Almaty, Kazakhstan" --out data/almaty_now.osm
  planner fetch --bbox 76.85,43.20,76.98,43.30 --out data/almaty_centre.osm
  (needs the internet; then use the file offline with --osm)""",
}


EXIT_CODES = """exit codes: 0 done, 2 bad input or options (nothing computed or written), 3 a download
failed, 4 every unit of a national run failed, 5 the outputs could not be written (disk full,
file-size limit, permissions, another run writing into the same --out), 130 interrupted,
143 terminated. --out is replaced as a whole only when the complete new set of files is written
and checked: after any failure or interrupt it holds what it held before."""


def _out_dir(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "an empty folder name; give the output folder, e.g. --out out/almaty"
        )
    return Path(text)


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give four numbers west,south,east,north, e.g. 76.85,43.20,76.98,43.30"
        ) from None
    if len(values) != 4:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give four numbers west,south,east,north, e.g. 76.85,43.20,76.98,43.30"
        )
    from planner.fetch import _check_bbox

    box = (values[0], values[1], values[2], values[3])
    try:
        _check_bbox(box)  # before any file is read or anything goes online
    except InputError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r}: " + "; ".join(exc.problems) + " (the order is west,south,east,north)"
        ) from None
    return box


def _barriers(text: str) -> tuple[str, ...]:
    from planner.network import BARRIER_KINDS

    if text.strip().lower() == "none":
        return ()
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    if any(k.lower() == "none" for k in kinds):
        others = ",".join(k for k in kinds if k.lower() != "none")
        raise argparse.ArgumentTypeError(
            f"{text!r}: 'none' (no barriers at all) cannot be combined with other kinds; give "
            f"either --barriers none or the kinds alone, --barriers {others}"
        )
    unknown = [k for k in kinds if k not in BARRIER_KINDS]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(
            f"{text!r}: unknown barrier kind {', '.join(map(repr, unknown)) or '(empty)'}; "
            f"choose from {','.join(BARRIER_KINDS)}, or 'none'"
        )
    return kinds


def _add_walking_options(p: argparse.ArgumentParser) -> None:
    w = p.add_argument_group("walking")
    lim = w.add_mutually_exclusive_group()
    lim.add_argument("--walk-min", type=float, help="walking limit in minutes (default 10)")
    lim.add_argument("--walk-m", type=float, help="walking limit in metres (default 800)")
    w.add_argument("--speed-kmh", type=float, default=4.8, help="walking speed (default 4.8 km/h)")
    w.add_argument(
        "--max-snap-m",
        type=float,
        default=250.0,
        help="furthest door-to-street distance accepted (default 250 m)",
    )
    w.add_argument(
        "--barriers",
        type=_barriers,
        default=None,
        metavar="KINDS",
        help="what a door's straight walk to the street may not cross, comma-separated from "
        "railway,water,motorway,tram,stream,wall (default railway,water,motorway; 'none' to "
        "snap across anything)",
    )


def _add_city_options(p: argparse.ArgumentParser, *, osm_required: bool = True) -> None:
    g = p.add_argument_group("study area and data")
    g.add_argument(
        "--osm",
        type=Path,
        required=osm_required,
        help="OSM file (.osm.pbf, .osm, .osm.gz, .osm.bz2)",
    )
    area = g.add_mutually_exclusive_group()
    area.add_argument("--bbox", type=_bbox, help="restrict to west,south,east,north (degrees)")
    area.add_argument(
        "--boundary", type=Path, help="restrict to a polygon file (GeoJSON, GeoPackage)"
    )
    g.add_argument(
        "--stations",
        type=Path,
        help="existing stations file (CSV or Excel with lat/lon, GeoJSON, GeoPackage); default: amenity=police from OSM",
    )
    g.add_argument(
        "--stations-layer",
        help="layer (GeoPackage) or sheet (Excel) of the stations file, when it has several",
    )
    g.add_argument("--name", help="name of the city or area for the reports")
    pop = g.add_mutually_exclusive_group()
    pop.add_argument(
        "--population-raster",
        type=Path,
        help="population GeoTIFF (e.g. WorldPop 100 m), spread over residential buildings",
    )
    pop.add_argument(
        "--population-points",
        type=Path,
        help="table of points with a population column, used instead of buildings",
    )
    g.add_argument(
        "--total-population",
        type=float,
        help="scale estimates to this known total (e.g. the official population)",
    )
    g.add_argument(
        "--floor-area-per-resident-m2",
        type=float,
        help="gross floor area per resident for footprint estimates (default 30)",
    )
    g.add_argument(
        "--untyped-buildings-residential",
        action="store_true",
        help="count building=yes outside residential land use as homes (for cities where land use is barely mapped; pair it with --total-population)",
    )
    g.add_argument(
        "--districts",
        type=Path,
        help="district polygons with a name column, for the per-district table and map layer",
    )
    g.add_argument(
        "--district-population-column",
        metavar="COLUMN",
        help="the districts file's column of official populations: scale each district's residents to it (factors above 3 or below 1/3 are flagged unreliable)",
    )
    _add_walking_options(p)
    r = p.add_argument_group(
        "existing stations: repairs, inspectors, planned stations (from the stations file's status and inspectors columns)"
    )
    r.add_argument(
        "--residents-per-inspector",
        type=float,
        default=3000.0,
        help="staffing norm: residents per district inspector (default 3000; no verified official norm exists, see docs/method.md)",
    )
    r.add_argument(
        "--repair-batch",
        type=int,
        help="stations that may be closed for repair at once: schedule the repairs in batches of this size",
    )
    r.add_argument(
        "--relocation-radius-m",
        type=float,
        default=1000.0,
        help="how far on foot a station under repair may move in the relocation check (default 1000 m)",
    )
    _add_vehicle_options(p)
    o = p.add_argument_group("output")
    o.add_argument(
        "--out",
        type=_out_dir,
        help="output folder (default out/<command>); replaced as a whole by the new set of "
        "files; must be new, empty or hold only planner's files",
    )
    o.add_argument(
        "--tiles",
        help="also offer an online background map, e.g. OpenStreetMap (off by default: the map works offline)",
    )
    o.add_argument("-q", "--quiet", action="store_true", help="print only the summary")


def _add_vehicle_options(p: argparse.ArgumentParser) -> None:
    v = p.add_argument_group("service vehicles (see docs/method.md section 12.1)")
    v.add_argument(
        "--vehicles",
        type=int,
        metavar="V",
        help="place V service vehicles at working stations (at most one each) to serve the most residents within walking distance of any station or within --drive-min of a station with a vehicle (exact, with the gap)",
    )
    v.add_argument(
        "--drive-min",
        type=float,
        help="drive-time limit of a station's vehicle in minutes (default 10; free-flow speeds, one-way streets, turn restrictions ignored)",
    )


def _national_vehicle_options(args: argparse.Namespace) -> dict[str, Any]:
    """NationalOptions' vehicle fields (checked with the city commands' rules)."""
    if args.vehicles is None:
        return {}
    return {"vehicles": args.vehicles} | (
        {} if args.drive_min is None else {"drive_min": args.drive_min}
    )


def _add_plan_options(p: argparse.ArgumentParser, *, required: bool) -> None:
    g = p.add_argument_group("siting")
    goal = g.add_mutually_exclusive_group(required=required)
    goal.add_argument("--n-sites", type=int, help="number of new stations to place")
    goal.add_argument(
        "--target-share",
        type=float,
        help="fewest new stations to cover this share of residents (0..1)",
    )
    g.add_argument(
        "--spacing-m",
        type=float,
        default=100.0,
        help="spacing of generated candidate sites along streets (default 100 m)",
    )
    g.add_argument(
        "--building-sites", action="store_true", help="also consider residential buildings as sites"
    )
    g.add_argument(
        "--candidates", type=Path, help="extra candidate sites file (CSV/Excel/GeoJSON/GeoPackage)"
    )
    g.add_argument(
        "--candidates-layer", help="layer or sheet of the candidates file, when it has several"
    )
    g.add_argument(
        "--method",
        choices=("exact", "greedy"),
        default="exact",
        help="exact (HiGHS, with optimality gap) or greedy",
    )
    g.add_argument(
        "--time-limit-s",
        type=float,
        default=60.0,
        help="time limit of each exact solve (default 60 s)",
    )
    g.add_argument(
        "--capacity-inspectors",
        type=float,
        help="also plan with capacities: every station (existing and new) serves at most this many inspectors x --residents-per-inspector residents; maximises residents within walking distance and within capacity (exact with HiGHS; see docs/method.md for its size limit)",
    )
    g.add_argument(
        "--prefer-shorter-walks",
        action="store_true",
        help="among equally covering plans, take the one with the shortest total walk (with --n-sites)",
    )


def _add_try_sites_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("map.html: the Try sites panel")
    g.add_argument(
        "--try-sites",
        type=int,
        default=DEFAULT_TRY_SITES,
        metavar="N",
        help=f"clickable candidate sites in the map's what-if panel besides the plan's sites and the proposals: the best N by residents covered alone (default {DEFAULT_TRY_SITES}; each adds ~0.3 kB to map.html)",
    )
    g.add_argument(
        "--no-try-sites", action="store_true", help="leave the Try sites panel out of map.html"
    )


def _add_national_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("country and units")
    g.add_argument("--osm", type=Path, help="the country's OSM file (read once)")
    units = g.add_mutually_exclusive_group()
    units.add_argument(
        "--units",
        type=Path,
        help="unit polygons (GeoJSON/GeoPackage/Shapefile) with a name column; optional population, min_new, max_new, quota",
    )
    units.add_argument(
        "--admin-level",
        type=int,
        help="use the OSM file's own administrative boundaries of this level as units",
    )
    g.add_argument(
        "--manifest",
        type=Path,
        help="CSV with one OSM file per unit: name,osm[,stations,population,min_new,max_new,quota]",
    )
    g.add_argument("--name-column", help="the units file's name column (default: found by name)")
    g.add_argument(
        "--stations",
        type=Path,
        help="national stations file (CSV/Excel/GeoJSON/GeoPackage), each row assigned to its unit; default: amenity=police from OSM",
    )
    g.add_argument(
        "--stations-layer",
        help="layer (GeoPackage) or sheet (Excel) of the stations file, when it has several",
    )
    g.add_argument(
        "--allow-overlap",
        action="store_true",
        help="accept overlapping units (a resident in an overlap counts in the unit listed first)",
    )
    g.add_argument(
        "--floor-area-per-resident-m2",
        type=float,
        help="gross floor area per resident for footprint estimates (default 30)",
    )
    g.add_argument(
        "--untyped-buildings-residential",
        action="store_true",
        help="count building=yes outside residential land use as homes",
    )
    a = p.add_argument_group("allocation")
    a.add_argument(
        "--new-stations",
        type=int,
        default=279,
        help="new stations to allocate nationwide (default 279; with --target-share: the most to use)",
    )
    a.add_argument(
        "--target-share",
        type=float,
        help="instead: the fewest new stations bringing the nation to this share (0..1)",
    )
    a.add_argument(
        "--spacing-m",
        type=float,
        default=100.0,
        help="candidate spacing along streets (default 100 m)",
    )
    a.add_argument("--method", choices=("exact", "greedy"), default="exact")
    a.add_argument(
        "--time-limit-s",
        type=float,
        default=60.0,
        help="solver time for each unit's curve, all k together (default 60 s)",
    )
    a.add_argument(
        "--residents-per-inspector",
        type=float,
        default=3000.0,
        help="staffing norm for the inspector totals (default 3000; not an official figure)",
    )
    _add_walking_options(p)
    _add_vehicle_options(p)
    d = p.add_argument_group("running")
    d.add_argument(
        "--workers", type=int, help="local Dask worker processes (default: one per core)"
    )
    d.add_argument(
        "--scheduler", help="address of an existing Dask scheduler, e.g. tcp://10.0.0.5:8786"
    )
    d.add_argument(
        "--out",
        type=_out_dir,
        default=Path("out/national"),
        help="output folder (default out/national)",
    )
    d.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar; print only the summary"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="planner",
        description="Walking-distance coverage planner for district police stations, from "
        "OpenStreetMap street networks. Everything runs offline except 'fetch'.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    fmt = argparse.RawDescriptionHelpFormatter

    demo = sub.add_parser(
        "demo",
        help="the whole job on the bundled Almaty data",
        epilog=EXAMPLES["demo"] + "\n\n" + EXIT_CODES,
        formatter_class=fmt,
    )
    demo.add_argument("--n-sites", type=int, default=10, help="new stations to place (default 10)")
    demo.add_argument(
        "--out", type=_out_dir, default=Path("out/demo"), help="output folder (default out/demo)"
    )
    demo.add_argument(
        "--time-limit-s", type=float, default=60.0, help="time limit of each exact solve"
    )
    demo.add_argument(
        "--districts",
        type=Path,
        default=BUNDLED_DISTRICTS,
        help="district polygons (default: the bundled Almaty districts of 2024, data/almaty_districts_2024.geojson)",
    )
    demo.add_argument(
        "--district-population-column",
        metavar="COLUMN",
        help="scale each district's residents to this column of official populations (the bundled file's is 'population'; off by default)",
    )
    demo.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    _add_try_sites_options(demo)

    coverage = sub.add_parser(
        "coverage",
        help="who lives within a walk of a station",
        epilog=EXAMPLES["coverage"] + "\n\n" + EXIT_CODES,
        formatter_class=fmt,
    )
    _add_city_options(coverage)
    plan = sub.add_parser(
        "plan",
        help="choose sites for new stations",
        epilog=EXAMPLES["plan"] + "\n\n" + EXIT_CODES,
        formatter_class=fmt,
    )
    _add_city_options(plan)
    _add_plan_options(plan, required=True)
    _add_try_sites_options(plan)
    evaluate = sub.add_parser(
        "evaluate",
        help="score a list of proposed sites",
        epilog=EXAMPLES["evaluate"] + "\n\n" + EXIT_CODES,
        formatter_class=fmt,
    )
    _add_city_options(evaluate)
    evaluate.add_argument(
        "--proposals",
        type=Path,
        required=True,
        help="proposed sites file (CSV or Excel with name, lat, lon; GeoJSON; GeoPackage)",
    )
    evaluate.add_argument(
        "--proposals-layer", help="layer or sheet of the proposals file, when it has several"
    )
    evaluate.add_argument(
        "--spacing-m",
        type=float,
        default=100.0,
        help="spacing of the generated sites the list is compared with",
    )
    evaluate.add_argument("--method", choices=("exact", "greedy"), default="exact")
    evaluate.add_argument("--time-limit-s", type=float, default=60.0)
    _add_try_sites_options(evaluate)

    national = sub.add_parser(
        "national",
        help="allocate new stations across a country's cities (on Dask)",
        epilog=EXAMPLES["national"],
        formatter_class=fmt,
    )
    _add_national_options(national)

    fetch = sub.add_parser(
        "fetch",
        help="download an area from OpenStreetMap (online)",
        epilog=EXAMPLES["fetch"],
        formatter_class=fmt,
    )
    where = fetch.add_mutually_exclusive_group(required=True)
    where.add_argument("--place", help='place name, e.g. "Almaty, Kazakhstan"')
    where.add_argument("--bbox", type=_bbox, help="west,south,east,north in degrees")
    fetch.add_argument("--out", type=Path, required=True, help="the .osm file to write")
    return parser


#: A value that starts like a negative number: -180,-90,180,90 or -5e3 or -.5
_NEGATIVE_VALUE = re.compile(r"-\.?\d")


def _negative_values_attached(argv: Sequence[str], parser: argparse.ArgumentParser) -> list[str]:
    """``--bbox -180,-90,180,90`` as ``--bbox=-180,-90,180,90``.

    argparse takes a token starting with ``-`` for an option unless it is a plain negative
    number (``-5``), so a box west of Greenwich (``-9.5,38.6,-9.0,39.0``) or ``-5e3`` after
    an option that takes a value failed with "expected one argument". Such a value is attached
    to its option with ``=``, which argparse reads as the option's value.
    """
    takes_value: set[str] = set()
    parsers = [parser]
    while parsers:
        current = parsers.pop()
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
            elif action.option_strings and action.nargs is None:
                takes_value.update(action.option_strings)
    out: list[str] = []
    tokens = iter(argv)
    for token in tokens:
        if token == "--":
            out += [token, *tokens]
            break
        if token in takes_value:
            value = next(tokens, None)
            if value is None:
                out.append(token)
            elif _NEGATIVE_VALUE.match(value):
                out.append(f"{token}={value}")
            else:
                out += [token, value]
            continue
        out.append(token)
    return out


class _Notes(logging.Handler):
    """Collects the library's warnings during a step, to print them after the step's line."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class _Progress:
    """Prints each step with the time it took (to stderr), then the warnings it raised."""

    def __init__(self, *, quiet: bool, command: str = "") -> None:
        self.quiet = quiet
        self.command = command
        self.start = time.perf_counter()

    @contextmanager
    def step(self, what: str) -> Iterator[None]:
        from planner._cli_inputs import for_cli, heartbeat, library_noise_off

        t0 = time.perf_counter()
        notes = _Notes()
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


def _settings(args: argparse.Namespace) -> Any:
    from planner.settings import WalkSettings

    if getattr(args, "walk_m", None) is not None:
        return WalkSettings(
            max_walk_m=args.walk_m, speed_kmh=args.speed_kmh, max_snap_m=args.max_snap_m
        )
    minutes = args.walk_min if getattr(args, "walk_min", None) is not None else 10.0
    return WalkSettings.from_minutes(minutes, speed_kmh=args.speed_kmh, max_snap_m=args.max_snap_m)


def _load(args: argparse.Namespace, progress: _Progress) -> Any:
    from planner.demand import PopulationSettings
    from planner.pipeline import load_city

    options: dict[str, Any] = {}
    if args.floor_area_per_resident_m2 is not None:
        options["floor_area_per_resident_m2"] = args.floor_area_per_resident_m2
    if args.untyped_buildings_residential:
        options["yes_outside_residential_landuse"] = True
    population_settings = PopulationSettings(**options) if options else None
    return progress.run(
        f"reading {args.osm.name}: streets, buildings, stations",
        load_city,
        args.osm,
        name=args.name,
        bbox=args.bbox,
        boundary=args.boundary,
        stations_path=args.stations,
        population_raster=args.population_raster,
        population_points=args.population_points,
        population_settings=population_settings,
        total_population=args.total_population,
        districts_path=args.districts,
        **({} if getattr(args, "barriers", None) is None else {"barriers": args.barriers}),
        district_population_column=args.district_population_column,
        stations_layer=getattr(args, "stations_layer", None),
    )


def _fmt(n: float) -> str:
    return f"{n:,.0f}".replace(",", " ")


def _print_summary(
    city: Any,
    coverage: Any,
    plan: Any = None,
    evaluation: Any = None,
    files: dict[str, Path] | None = None,
    review: Any = None,
    capacity_plan: Any = None,
) -> None:
    s = coverage.summary
    st = coverage.stations
    print()
    print(f"{city.name}: OSM data of {city.osm.data_date or 'unknown date'}")
    print(
        f"  walk network    {city.network.n_nodes} nodes, {city.network.street_length_m / 1000:.0f} km of walkable street"
    )
    print(
        f"  stations        {int(st['usable'].sum())} usable of {len(st)} (unusable ones are listed in plan.gpkg with the reason)"
    )
    b = coverage.buildings
    n_cells = int((b["demand_kind"] != "building").sum()) if "demand_kind" in b.columns else 0
    where = (
        f"{s.buildings_total - n_cells} residential buildings and {n_cells} raster cells without mapped buildings"
        if n_cells
        else f"{s.buildings_total} residential buildings"
    )
    print(f"  residents       {_fmt(s.residents_total)} (estimated) in {where}")
    print(
        f"  within {s.max_walk_m:.0f} m ({s.max_walk_min:.0f} min at {s.speed_kmh} km/h): "
        f"{_fmt(s.residents_covered)} residents ({100 * s.share_covered:.1f} %)"
    )
    print(
        f"  beyond          {_fmt(s.residents_beyond)} residents in {s.buildings_beyond} buildings"
        f" ({_fmt(s.residents_unreachable)} reach no station at all)"
    )
    from planner import outputs, report

    for line in outputs.barrier_lines_text(report.barrier_dict(city, coverage)):
        print(f"  {line}")
    if plan is not None:
        sa = plan.summary_after
        r = plan.siting
        print(
            f"  with {len(plan.sites)} new sites: {_fmt(sa.residents_covered)} residents ({100 * sa.share_covered:.1f} %)"
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
                f"  {row.rank:>4}  {_fmt(row.marginal_population):>13}  {100 * row.cumulative_share:>15.1f} %  {label} ({row.lat:.5f}, {row.lon:.5f}){district}"
            )
        if len(plan.sites) > 10:
            print(f"  ... {len(plan.sites) - 10} more in plan.gpkg")
        if "inspectors_needed" in plan.sites.columns and len(plan.sites):
            print(
                f"  the new sites would serve {_fmt(plan.sites['residents_served'].sum())} residents as their nearest station: {int(plan.sites['inspectors_needed'].sum())} inspectors needed"
            )
    _print_districts(city, coverage, plan)
    if evaluation is not None:
        ev = evaluation.evaluation
        print(
            f"  proposals cover {_fmt(ev.list_population)} new residents; the best {len(ev.best.sites)} sites"
            f" cover {_fmt(ev.best.newly_covered_population)} (the list is {100 * ev.gap:.1f} % short at most)"
        )
        flagged = evaluation.proposals[evaluation.proposals["flags"] != ""]
        for row in flagged.itertuples():
            print(f"  ! {getattr(row, 'name', None) or row.candidate_id}: {row.flags}")
    if review is not None:
        _print_review(review)
    if capacity_plan is not None:
        cp = capacity_plan
        r = cp.result
        print(
            f"  with capacities ({cp.capacity_inspectors:g} inspectors x {cp.residents_per_inspector:,.0f} = {_fmt(cp.capacity_residents)} residents per station):"
        )
        print(
            f"    within walking distance and capacity now {_fmt(cp.before.assigned_population)}; with {len(cp.sites)} new sites {_fmt(r.assigned_population)}"
            f" ({100 * r.assigned_share:.1f} %), {_fmt(r.over_capacity_population)} within reach but beyond capacity; {r.status}, gap {100 * r.gap:.2f} %"
        )
        for row in cp.sites.head(10).itertuples():
            print(
                f"    {row.rank:>4}. {row.name} ({row.lat:.5f}, {row.lon:.5f}): {_fmt(row.assigned_residents)} residents assigned"
            )
    if files:
        print("files:")
        for path in files.values():
            print(f"  {path}")


def _print_districts(city: Any, coverage: Any, plan: Any) -> None:
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
        line = f"    {str(r.district)[:20]:<20} {_fmt(r.residents_total):>10} {100 * r.share_covered:>11.1f} %"
        if after:
            line += f" {100 * r.share_covered_after:>10.1f} %"
        if calibrated:
            official = (
                "—"
                if r.official_population != r.official_population
                else _fmt(r.official_population)
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


def _print_review(review: Any) -> None:
    st = review.stations
    statuses = st["status"].value_counts()
    if set(statuses.index) - {"open"}:
        print("  stations by status: " + ", ".join(f"{k} {v}" for k, v in statuses.items()))
        for sc in review.scenarios.itertuples():
            print(
                f"    {sc.scenario:<44} {_fmt(sc.residents_covered):>10} residents ({100 * sc.share_covered:.1f} %)"
            )
    t = review.inspector_totals()
    line = (
        f"  inspectors      {t['needed']} needed at {t['stations']} working stations"
        f" (norm {review.residents_per_inspector:,.0f} residents per inspector; --residents-per-inspector)"
    )
    if t["now"] is not None:
        line += f"; {t['now']} there now at {t['stations_with_count']} stations with a count, {t['missing']} missing"
    print(line)
    work = st[st["working"].to_numpy(dtype=bool)]
    repairs = work[work["status"] == "repair"].sort_values("repair_rank")
    top = repairs if len(repairs) else work.sort_values("repair_rank")
    what = (
        "repair priorities (stations under repair)" if len(repairs) else "stations that matter most"
    )
    print(f"  {what}: residents who lose walking access if it closes")
    for r in top.head(5).itertuples():
        label = r.name if isinstance(r.name, str) else r.station_id
        extra = ""
        if r.status == "repair" and r.relocation_gain == r.relocation_gain:
            extra = f"; moving it within {review.relocation_radius_m:.0f} m would {'add' if r.relocation_gain > 0 else 'change by'} {_fmt(r.relocation_gain)}"
        print(
            f"    {int(r.repair_rank):>3}. {str(label)[:40]:<40} only here {_fmt(r.residents_only_here):>8}, serves {_fmt(r.residents_served):>8}{extra}"
        )
    if review.schedule is not None:
        sc = review.schedule
        print(
            f"  repair schedule ({review.repair_batch} at a time): {len(sc.batches)} batches, the worst leaves {_fmt(sc.worst_batch_residents)} without walking access ({sc.status})"
        )
    if review.planned is not None and review.planned_evaluation is not None:
        ev = review.planned_evaluation.evaluation
        print(
            f"  planned stations: {len(review.planned)}; all open would add {_fmt(ev.list_population)},"
            f" the best {len(review.planned)} sites {_fmt(ev.best.newly_covered_population)} (the list is {100 * ev.gap:.1f} % short at most)"
        )
        print("    open them in this order:")
        for r in review.planned.itertuples():
            label = r.name if isinstance(r.name, str) else r.station_id
            flags = f"  ! {r.flags}" if r.flags else ""
            print(
                f"    {int(r.opening_order):>3}. {label}: {_fmt(r.alone_population)} newly covered{flags}"
            )


def _run(args: argparse.Namespace, run_id: str, argv: Sequence[str]) -> int:
    from planner import pipeline, report
    from planner.output_set import output_set

    if args.command == "fetch":
        from planner.fetch import fetch_osm

        path = fetch_osm(args.out, place=args.place, bbox=args.bbox)
        print(f"saved {path}; use it offline with --osm {path}")
        return 0
    progress = _Progress(quiet=args.quiet, command=args.command)
    if args.command == "national":
        return _run_national(args, progress, run_id, argv)
    if args.command == "demo":
        if not BUNDLED_OSM.exists():
            raise InputError(
                f"the bundled data {BUNDLED_OSM} is not there",
                hint="Run the demo from a clone of the project (pip install -e .), or use "
                "'planner plan --osm FILE --n-sites 10'.",
            )
        ns = argparse.Namespace(
            osm=BUNDLED_OSM,
            bbox=None,
            boundary=None,
            stations=None,
            name="Almaty (OSM 2012)",
            population_raster=None,
            population_points=None,
            total_population=None,
            floor_area_per_resident_m2=None,
            untyped_buildings_residential=True,
            districts=args.districts,
            district_population_column=args.district_population_column,
            walk_m=None,
            walk_min=10.0,
            speed_kmh=4.8,
            max_snap_m=250.0,
            out=args.out,
            tiles=None,
            quiet=args.quiet,
            n_sites=args.n_sites,
            target_share=None,
            spacing_m=100.0,
            building_sites=False,
            candidates=None,
            prefer_shorter_walks=False,
            method="exact",
            time_limit_s=args.time_limit_s,
            residents_per_inspector=3000.0,
            repair_batch=None,
            relocation_radius_m=1000.0,
            capacity_inspectors=None,
            stations_layer=None,
            candidates_layer=None,
            try_sites=args.try_sites,
            no_try_sites=args.no_try_sites,
            command="plan",
        )
        args = ns
    from planner._cli_inputs import check_options, size_warnings

    problems = check_options(args)
    if problems:
        raise InputError(f"invalid options for 'planner {args.command}'", problems)
    if getattr(args, "try_sites", 0) < 0:
        raise InputError(
            f"--try-sites {args.try_sites}: give 0 or more clickable candidate sites",
            hint="e.g. --try-sites 3000 (the default); --no-try-sites leaves the panel out.",
        )
    out = args.out or Path("out") / args.command
    settings = _settings(args)
    extra_inputs: list[dict[str, Any]] = []
    with ExitStack() as stack:
        with progress.step(f"checking the output folder {out}"):
            target = stack.enter_context(output_set(out, run_id=run_id))
        city = _load(args, progress)
        for warning in size_warnings(args, city):
            print(f"  warning: {warning}", file=sys.stderr, flush=True)
        coverage = progress.run(
            "walking distances, service areas, coverage",
            pipeline.assess_coverage,
            city,
            settings=settings,
        )
        from planner.station_review import review_stations

        review = progress.run(
            "stations: repairs, inspectors, planned stations",
            review_stations,
            city,
            coverage,
            residents_per_inspector=args.residents_per_inspector,
            repair_batch=args.repair_batch,
            relocation_radius_m=args.relocation_radius_m,
            time_limit_s=getattr(args, "time_limit_s", 60.0),
        )
        vehicles = None
        if getattr(args, "vehicles", None) is not None:
            from planner.vehicles import plan_vehicles

            vehicles = progress.run(
                "service vehicles: drive network, drive times, allocation",
                plan_vehicles,
                city,
                coverage,
                n_vehicles=args.vehicles,
                drive_min=10.0 if args.drive_min is None else args.drive_min,
                time_limit_s=getattr(args, "time_limit_s", 60.0),
            )
        plan = evaluation = capacity_plan = None
        from planner.network import DEFAULT_BARRIERS

        parameters: dict[str, Any] = {
            "barriers": ",".join(
                DEFAULT_BARRIERS if getattr(args, "barriers", None) is None else args.barriers
            )
            or "none",
            "residents_per_inspector": args.residents_per_inspector,
            "repair_batch": args.repair_batch,
            "relocation_radius_m": args.relocation_radius_m,
        }
        if vehicles is not None:
            parameters |= {"vehicles": vehicles.n_vehicles, "drive_min": vehicles.drive_min}
        if args.command == "plan":
            extra = None
            if args.candidates is not None:
                extra = _read_sites(
                    progress, city, args.candidates, args.candidates_layer, "candidates",
                    extra_inputs,
                )  # fmt: skip
            plan = progress.run(
                "candidate sites, coverage matrix, optimisation",
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
                prefer_shorter_walks=args.prefer_shorter_walks,
            )
            from dataclasses import replace

            from planner.station_review import sites_workload

            plan = replace(
                plan,
                sites=sites_workload(
                    city, coverage, plan.sites, residents_per_inspector=args.residents_per_inspector
                ),
            )
            if args.capacity_inspectors is not None:
                from planner.station_review import plan_with_capacity

                if args.n_sites is None:
                    raise InputError(
                        "--capacity-inspectors works with --n-sites (the number of new sites)",
                        hint="e.g. planner plan --osm city.osm.pbf --n-sites 5 --capacity-inspectors 2",
                    )
                capacity_plan = progress.run(
                    "capacitated plan (HiGHS)",
                    plan_with_capacity,
                    city,
                    coverage,
                    n_sites=args.n_sites,
                    capacity_inspectors=args.capacity_inspectors,
                    residents_per_inspector=args.residents_per_inspector,
                    spacing_m=args.spacing_m,
                    time_limit_s=args.time_limit_s,
                )
            parameters |= {
                "n_sites": args.n_sites,
                "target_share": args.target_share,
                "spacing_m": args.spacing_m,
                "method": args.method,
                "time_limit_s": args.time_limit_s,
                "capacity_inspectors": args.capacity_inspectors,
                "building_sites": args.building_sites,
                "prefer_shorter_walks": args.prefer_shorter_walks,
            }
        elif args.command == "evaluate":
            proposals = _read_sites(
                progress, city, args.proposals, args.proposals_layer, "proposals", extra_inputs
            )
            evaluation = progress.run(
                "scoring the proposals against the best plan",
                pipeline.evaluate_sites,
                city,
                coverage,
                proposals,
                spacing_m=args.spacing_m,
                method=args.method,
                time_limit_s=args.time_limit_s,
            )
            parameters |= {
                "proposals": str(args.proposals),
                "spacing_m": args.spacing_m,
                "method": args.method,
            }
        with progress.step(f"writing plan.gpkg, summary and map.html to {out}"):
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
                command=_command(args, argv),
                vehicles=vehicles,
            )
            stack.close()  # check the files and swap them in
    _print_summary(city, coverage, plan, evaluation, files, review, capacity_plan)
    if vehicles is not None:
        from planner.vehicle_outputs import vehicle_summary_line

        print(vehicle_summary_line(vehicles))
    return 0


def _read_sites(
    progress: _Progress,
    city: Any,
    path: Path,
    layer: str | None,
    role: str,
    inputs: list[dict[str, Any]],
) -> Any:
    """Read a candidates or proposals file (checked against the study area), recording it in
    ``inputs`` with its checksum."""
    from planner import pipeline
    from planner.candidates import read_candidates

    sites = progress.run(
        f"reading the {'candidate sites' if role == 'candidates' else role} {path.name}",
        partial(read_candidates, what="candidate sites" if role == "candidates" else "proposals"),
        path,
        crs=city.network.crs,
        area_lonlat_bounds=pipeline.study_area_lonlat_bounds(city),
        layer=layer,
    )
    inputs.append(_input_file(role, path))
    return sites


def _input_file(role: str, path: Path) -> dict[str, str]:
    from planner.outputs import file_sha256

    return {"role": role, "path": str(path), "sha256": file_sha256(path)}


def _command(args: argparse.Namespace, argv: Sequence[str]) -> dict[str, Any]:
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


class _Bar:
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


def _run_national(
    args: argparse.Namespace, progress: _Progress, run_id: str, argv: Sequence[str]
) -> int:
    from planner.demand import PopulationSettings
    from planner.national import NationalOptions, plan_nation

    problems = []
    if args.new_stations < 0:
        problems.append(f"--new-stations {args.new_stations}: must be 0 or more")
    if args.target_share is not None and not 0 < args.target_share <= 1:
        problems.append(
            f"--target-share {args.target_share}: give a share in (0, 1], e.g. 0.9 for 90 %"
        )
    if args.workers is not None and args.workers < 1:
        problems.append(f"--workers {args.workers}: need at least 1")
    if args.spacing_m <= 0:
        problems.append(f"--spacing-m {args.spacing_m}: must be > 0")
    if args.time_limit_s <= 0:
        problems.append(f"--time-limit-s {args.time_limit_s}: must be > 0")
    if args.stations_layer is not None and args.stations is None:
        problems.append(
            "--stations-layer names a layer of the --stations file, but no --stations is given"
        )
    from planner._cli_inputs import vehicle_problems

    problems += vehicle_problems(args)
    if problems:
        raise InputError("planner national: invalid options", problems)
    pop: dict[str, Any] = {}
    if args.floor_area_per_resident_m2 is not None:
        pop["floor_area_per_resident_m2"] = args.floor_area_per_resident_m2
    if args.untyped_buildings_residential:
        pop["yes_outside_residential_landuse"] = True
    options = NationalOptions(
        settings=_settings(args),
        new_stations=args.new_stations,
        target_share=args.target_share,
        spacing_m=args.spacing_m,
        method=args.method,
        time_limit_s=args.time_limit_s,
        population_settings=PopulationSettings(**pop) if pop else None,
        allow_overlap=args.allow_overlap,
        residents_per_inspector=args.residents_per_inspector,
        **({} if args.barriers is None else {"barriers": args.barriers}),
        **_national_vehicle_options(args),
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
        progress=_Bar(quiet=args.quiet),
        step=progress.step,
        run_id=run_id,
        command=_command(args, argv),
    )
    _print_national(result, args.out)
    return 0 if result.n_ok else 4


def _print_national(result: Any, out: Path) -> None:
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
    if result.n_ok:
        print(
            f"  walking limit   {s.max_walk_m:.0f} m ({s.max_walk_min:.0f} min at {s.speed_kmh} km/h)"
        )
        print(f"  residents       {_fmt(residents)} (estimated)")
        print(f"  covered now     {_fmt(before)} ({100 * before / residents:.1f} %)")
        print(
            f"  after the plan  {_fmt(after)} ({100 * after / residents:.1f} %) with {a.used} of {a.budget} new stations"
        )
        print(
            f"  optimality gap  {100 * a.gap:.2f} % (proven: no allocation covers more than {_fmt(before + a.upper_bound)})"
        )
        print(f"  greedy allocation would cover {_fmt(before + result.greedy.newly_covered)}")
        needed = int(table.loc[ok, "inspectors_needed"].sum())
        counted = table.loc[ok, "inspectors_now"].notna()
        line = f"  inspectors      {needed} needed at the existing stations (norm {result.options.residents_per_inspector:,.0f} residents per inspector)"
        if counted.any():
            line += f"; {int(table.loc[ok, 'inspectors_now'].sum())} there now, {int(table.loc[ok, 'inspectors_missing'].sum())} missing"
        print(line)
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
        from planner.vehicle_outputs import national_vehicles_dict

        v = national_vehicles_dict(result) or {}
        print(
            f"  vehicles        {v['placed']} of {v['vehicles']} placed: +{_fmt(v['vehicle_gain'])} residents within {v['drive_min']:g} min drive; served on foot or by car {100 * v['share_served']:.1f} %; gap {100 * v['gap']:.2f} %"
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


class _Terminated(BaseException):
    """SIGTERM, raised like Ctrl+C so that unfinished outputs are cleaned up."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    from planner._cli_inputs import error_text, silence_library_loggers
    from planner.output_set import new_run_id

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    args = parser.parse_args(_negative_values_attached(argv, parser))
    # warnings raised inside a step are printed after it by _Progress, as notes; nothing else
    # of the library's logging reaches the screen
    logging.getLogger().setLevel(logging.WARNING)
    silence_library_loggers()
    run_id = new_run_id()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
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
            "Check the path and the file's permissions (ls -l).",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print(f"\nplanner: interrupted; {_out_state(args, run_id)}", file=sys.stderr)
        return 130
    except _Terminated:
        print(f"\nplanner: terminated; {_out_state(args, run_id)}", file=sys.stderr)
        return 143
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _out_state(args: argparse.Namespace, run_id: str) -> str:
    """What an interrupt left in --out, read from the folder itself."""
    from planner.output_set import read_run_ids

    if args.command == "fetch":
        return f"{args.out} was not changed unless it was complete"
    out = args.out or Path("out") / args.command
    try:
        ids = read_run_ids(out) if out.is_dir() else {}
    except (OSError, ValueError):
        ids = {}
    if ids and set(ids.values()) == {run_id}:
        return f"the outputs were already complete: {out} holds this run's files"
    if not ids:
        return f"nothing was written to {out}"
    return f"{out} is unchanged (the files of the previous run stay as they were)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
