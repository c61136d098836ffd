"""The ``planner`` command's parser: subcommands, options, defaults, help and examples.

Only argparse and :mod:`planner.defaults` at import time, so ``planner --help`` loads no numpy
or geopandas. :func:`parse_args` is the one way a command line becomes options; ``planner demo``
is turned into the ``plan`` command line it stands for (:func:`demo_argv`) and parsed here too.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path

from planner._version import __version__
from planner.defaults import (
    DEFAULT_DRIVE_MIN,
    DEFAULT_MAX_SNAP_M,
    DEFAULT_MAX_WALK_M,
    DEFAULT_MAX_WALK_MIN,
    DEFAULT_NEW_STATIONS,
    DEFAULT_NODE_LIMIT,
    DEFAULT_RESIDENTS_PER_INSPECTOR,
    DEFAULT_SPEED_KMH,
    DEFAULT_TIME_LIMIT_S,
    DEFAULT_TRY_SITES,
    MAX_DRIVE_MIN,
)
from planner.errors import InputError

__all__ = ["BUNDLED_OSM", "build_parser", "demo_argv", "parse_args"]

BUNDLED_OSM = Path(__file__).resolve().parents[1] / "data" / "almaty_2012.osm.pbf"
BUNDLED_DISTRICTS = Path(__file__).resolve().parents[1] / "data" / "almaty_districts_2024.geojson"


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


def add_solver_limits(group: argparse._ActionsContainer, *, what: str) -> None:
    """``--node-limit`` (the work limit: same inputs, same answer on any machine) and
    ``--time-limit-s`` (a wall-clock safety net, off by default)."""
    group.add_argument(
        "--node-limit",
        type=int,
        default=DEFAULT_NODE_LIMIT,
        help=f"work limit of each exact MILP: branch-and-bound nodes, counted by the solver, so "
        f"the answer does not depend on the machine (default {DEFAULT_NODE_LIMIT:,}); a solve "
        "stopped here keeps its best plan and says it is not proven",
    )
    group.add_argument(
        "--time-limit-s",
        type=float,
        default=DEFAULT_TIME_LIMIT_S,
        help=f"wall-clock safety net for {what}, in seconds (default: off); when it stops a "
        "solve, every output says the result depended on it",
    )


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
    from planner.fetch import check_bbox

    box = (values[0], values[1], values[2], values[3])
    try:
        check_bbox(box)  # before any file is read or anything goes online
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
    lim.add_argument(
        "--walk-min",
        type=float,
        help=f"walking limit in minutes (default {DEFAULT_MAX_WALK_MIN:g})",
    )
    lim.add_argument(
        "--walk-m", type=float, help=f"walking limit in metres (default {DEFAULT_MAX_WALK_M:g})"
    )
    w.add_argument(
        "--speed-kmh",
        type=float,
        default=DEFAULT_SPEED_KMH,
        help=f"walking speed (default {DEFAULT_SPEED_KMH:g} km/h)",
    )
    w.add_argument(
        "--max-snap-m",
        type=float,
        default=DEFAULT_MAX_SNAP_M,
        help=f"furthest door-to-street distance accepted (default {DEFAULT_MAX_SNAP_M:g} m)",
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
        "--boundary",
        type=Path,
        help="restrict to a polygon file (GeoJSON, GeoPackage): residents and new sites inside "
        "it, streets and stations of the walking buffer around it still serve",
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
        default=DEFAULT_RESIDENTS_PER_INSPECTOR,
        help=f"staffing norm: residents per district inspector (default {DEFAULT_RESIDENTS_PER_INSPECTOR:g}; no verified official norm exists, see docs/method.md)",
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
    _add_redistribution_options(r, within="the city")
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


def _add_redistribution_options(
    group: argparse._ActionsContainer, *, within: str, across: bool = False
) -> None:
    group.add_argument(
        "--redistribute-inspectors",
        action="store_true",
        help="find the moves of inspectors from stations above the norm to stations below it "
        "that cover the most shortfall, with the fewest moves (exact; needs an inspectors "
        "column; see docs/method.md section 12)",
    )
    group.add_argument(
        "--max-move-km",
        type=float,
        help="with --redistribute-inspectors: move inspectors only between stations at most "
        f"this far apart in a straight line{', across units too' if across else ''} (default: "
        f"anywhere within {within})",
    )


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
        help=f"drive-time limit of a station's vehicle in minutes (default {DEFAULT_DRIVE_MIN:g}, at most {MAX_DRIVE_MIN:g}; free-flow speeds, one-way streets, turn restrictions ignored)",
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
    add_solver_limits(g, what="each exact solve")
    g.add_argument(
        "--capacity-inspectors",
        type=float,
        help='also plan with capacities: every station (existing and new) serves at most this many inspectors x --residents-per-inspector residents; maximises residents within walking distance and within capacity, with a proven bound (called optimal only when proved, else "best found, at most X %% short"; see docs/method.md section 12)',
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
        default=DEFAULT_NEW_STATIONS,
        help=f"new stations to allocate nationwide (default {DEFAULT_NEW_STATIONS}; with --target-share: the most to use)",
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
    add_solver_limits(a, what="each unit's curve (all k together)")
    a.add_argument(
        "--residents-per-inspector",
        type=float,
        default=DEFAULT_RESIDENTS_PER_INSPECTOR,
        help=f"staffing norm for the inspector totals (default {DEFAULT_RESIDENTS_PER_INSPECTOR:g}; not an official figure)",
    )
    _add_redistribution_options(a, within="each unit", across=True)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="planner",
        description="Walking-distance coverage planner for district police stations, from "
        "OpenStreetMap street networks. Everything runs offline except 'fetch'.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"planner {__version__}")
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
    add_solver_limits(demo, what="each exact solve")
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
    add_solver_limits(evaluate, what="each exact solve")
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


def negative_values_attached(argv: Sequence[str], parser: argparse.ArgumentParser) -> list[str]:
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


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The options of a command line (exits with argparse's message on a bad one)."""
    parser = build_parser()
    return parser.parse_args(negative_values_attached(argv, parser))


#: What ``planner demo`` runs: the bundled Almaty 2012 data as a ``plan`` command.
DEMO_NAME = "Almaty (OSM 2012)"


def demo_argv(args: argparse.Namespace) -> list[str]:
    """The ``planner plan`` command line that ``planner demo`` with ``args`` stands for."""
    argv = [
        "plan",
        "--osm", str(BUNDLED_OSM),
        "--name", DEMO_NAME,
        "--untyped-buildings-residential",
        "--districts", str(args.districts),
        "--walk-min", f"{DEFAULT_MAX_WALK_MIN:g}",
        "--n-sites", str(args.n_sites),
        "--out", str(args.out),
        "--time-limit-s", repr(args.time_limit_s),
        "--node-limit", str(args.node_limit),
        "--try-sites", str(args.try_sites),
    ]  # fmt: skip
    if args.district_population_column is not None:
        argv += ["--district-population-column", args.district_population_column]
    if args.no_try_sites:
        argv.append("--no-try-sites")
    if args.quiet:
        argv.append("-q")
    return argv
