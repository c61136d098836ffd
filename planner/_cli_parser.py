"""The ``planner`` command's parser: subcommands, options, defaults, help and examples.

Only argparse and :mod:`planner.defaults` at import time, so ``planner --help`` loads no numpy
or geopandas. :func:`parse_args` is the one way a command line becomes options; ``planner demo``
is turned into the ``plan`` command line it stands for (:func:`demo_argv`) and parsed here too.

Languages (issue 21): every command takes ``--lang ru|kk|en`` (also before the command), else
``PLANNER_LANG``, else the system locale (:func:`planner.i18n.resolve_language`).
:func:`language_of` reads it from the command line before the parser is built, so that the
help, built and printed in the language in use, is translated. argparse's own texts
("usage:", "options", "error:", "the following arguments are required: %s", ...) come from
its module-level ``_``/``ngettext`` (Python's ``gettext``); :class:`PlannerParser` points those
two names at the planner's catalogs while one of its methods runs (building, parsing, printing
help or an error) and puts argparse's back afterwards, so argparse elsewhere in the process is
untouched. The messages are listed in :data:`ARGPARSE_MESSAGES` for the catalogs, exactly as
Python 3.11's ``argparse.py`` writes them.
"""

from __future__ import annotations

import argparse
import functools
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

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
    DEFAULT_UNIT_OUTPUTS,
    MAX_DRIVE_MIN,
    UNIT_OUTPUTS,
)
from planner.errors import InputError
from planner.i18n import LANGUAGES, N_, fmt_int, gettext, language, ngettext, resolve_language

__all__ = [
    "ARGPARSE_MESSAGES",
    "BUNDLED_OSM",
    "PlannerParser",
    "argparse_in_language",
    "build_parser",
    "demo_argv",
    "language_of",
    "parse_args",
]

#: argparse's messages a user may read (Python 3.11's ``argparse.py``, its ``_()`` calls, with
#: their %-style placeholders as argparse fills them), marked for the catalogs. The one plural
#: message is in :func:`_argparse_plurals`.
ARGPARSE_MESSAGES = [
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("unexpected option string: %s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("%(prog)s: error: %(message)s\n"),
]


def _argparse_plurals(n: int) -> list[str]:
    """argparse's plural messages (for the catalogs; argparse asks :func:`ngettext` itself)."""
    return [ngettext("expected %s argument", "expected %s arguments", n)]


def _argparse_gettext(message: str) -> str:
    # argparse also asks for None (a subparser group's missing description) and "" is the
    # catalog's header: both pass through
    return gettext(message) if message else message


@contextmanager
def argparse_in_language() -> Iterator[None]:
    """argparse's own texts from the planner's catalogs (the language in use) inside the block.

    argparse looks its texts up through its module-level ``_`` and ``ngettext`` at the moment
    it needs them (building a parser, parsing, printing help or an error); they are pointed at
    :mod:`planner.i18n` here and put back after, also when the block ends by ``SystemExit``.
    """
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._ = _argparse_gettext  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


F = TypeVar("F", bound=Callable[..., Any])


def _in_language(method: F) -> F:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with argparse_in_language():
            return method(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class PlannerParser(argparse.ArgumentParser):
    """argparse's parser whose own texts are in the language in use (:func:`argparse_in_language`
    around each method that builds, parses or prints; its subparsers are of this class too)."""

    __init__ = _in_language(argparse.ArgumentParser.__init__)
    add_subparsers = _in_language(argparse.ArgumentParser.add_subparsers)
    parse_args = _in_language(argparse.ArgumentParser.parse_args)  # type: ignore[assignment]
    parse_known_args = _in_language(argparse.ArgumentParser.parse_known_args)  # type: ignore[assignment]
    format_usage = _in_language(argparse.ArgumentParser.format_usage)
    format_help = _in_language(argparse.ArgumentParser.format_help)
    print_usage = _in_language(argparse.ArgumentParser.print_usage)
    print_help = _in_language(argparse.ArgumentParser.print_help)
    error = _in_language(argparse.ArgumentParser.error)  # type: ignore[assignment]


def language_of(argv: Sequence[str]) -> str:
    """The language of a command line: its last ``--lang X`` / ``--lang=X`` (before ``--``,
    before the command or after it), else ``PLANNER_LANG``, else the system locale's.

    Read before the parser is built, so that ``--help`` is in that language.

    Raises
    ------
    InputError
        If ``--lang`` or ``PLANNER_LANG`` names a language the planner does not speak.
    """
    flag = None
    tokens = iter(argv)
    for token in tokens:
        if token == "--":
            break
        if token == "--lang":
            flag = next(tokens, None) or ""
        elif token.startswith("--lang="):
            flag = token.partition("=")[2]
    if flag is not None and not flag.strip():
        flag = repr(flag)  # "--lang ''": said as such, not taken for "not given"
    return resolve_language(flag)


def _lang(text: str) -> str:
    """``--lang``'s value as a language code (``RU``, ``ru_RU`` -> ``ru``)."""
    try:
        return resolve_language(text if text.strip() else repr(text), environ={})
    except InputError as exc:
        # "--lang xx: the planner speaks ...": argparse names the option itself
        raise argparse.ArgumentTypeError(str(exc).splitlines()[0].removeprefix("--lang ")) from None


def add_lang_option(p: argparse.ArgumentParser, *, top: bool = False) -> None:
    """``--lang``: before the command (``planner --lang ru plan ...``) or after it."""
    p.add_argument(
        "--lang",
        type=_lang,
        default=None if top else argparse.SUPPRESS,  # a command's --lang keeps one given before it
        metavar="{" + ",".join(LANGUAGES[1:] + LANGUAGES[:1]) + "}",
        help=gettext(
            "language of the messages, help, memos and maps: ru (Russian), kk (Kazakh) or en "
            "(English); default: the PLANNER_LANG environment variable, else the system locale "
            "when it is Russian or Kazakh, else English"
        ),
    )


def _grouped(value: float) -> str:
    """``1,000,000`` in English (as the help has always written it), ``1 000 000`` in ru/kk."""
    return f"{value:,.0f}" if language() == "en" else fmt_int(value)


BUNDLED_OSM = Path(__file__).resolve().parents[1] / "data" / "almaty_2012.osm.pbf"
BUNDLED_DISTRICTS = Path(__file__).resolve().parents[1] / "data" / "almaty_districts_2024.geojson"


EXAMPLES = {
    "demo": N_("""examples:
  planner demo                        # Almaty 2012, 10 new sites, files in out/demo
  planner demo --n-sites 20 --out out/almaty20
  planner demo --district-population-column population   # scale each district to its official figure
(the bundled districts are of 2024, the bundled streets and buildings of 2012)"""),
    "coverage": N_("""examples:
  planner coverage --osm data/almaty_2012.osm.pbf --out out/almaty
  planner coverage --osm city.osm.pbf --stations stations.csv --walk-min 15 --speed-kmh 4.2
  planner coverage --osm kz.osm.pbf --bbox 76.85,43.20,76.98,43.30 --total-population 2200000
  planner coverage --osm data/almaty_2012.osm.pbf --districts data/almaty_districts_2024.geojson --district-population-column population"""),
    "plan": N_("""examples:
  planner plan --osm data/almaty_2012.osm.pbf --n-sites 10 --out out/plan10
  planner plan --osm data/bishkek_2025_center.osm.gz --target-share 0.95
  planner plan --osm city.osm.pbf --n-sites 5 --candidates akimat_sites.csv --building-sites"""),
    "evaluate": N_("""examples:
  planner evaluate --osm data/almaty_2012.osm.pbf --proposals akimat_sites.csv --out out/eval
  (the proposals file: CSV with name, lat, lon columns, or GeoJSON/GeoPackage points)"""),
    "national": N_("""examples:
  planner national --osm malta.osm.pbf --admin-level 8 --new-stations 20 --out out/malta
  planner national --osm kazakhstan-latest.osm.pbf --units cities.geojson --stations stations.csv --new-stations 279 --out out/kz
  planner national --manifest cities.csv --new-stations 279 --scheduler tcp://10.0.0.5:8786
units file: polygons with a name column and optional population, min_new, max_new, quota columns
manifest: CSV with name,osm[,stations,population,min_new,max_new,quota] (one OSM file per unit)
exit codes: 0 at least one unit succeeded, 2 bad input, 4 every unit failed, 5 the outputs
could not be written (disk full, permissions, another run writing into the same --out)"""),
    "fetch": N_("""examples:
  planner fetch --place "Almaty, Kazakhstan" --out data/almaty_now.osm
  planner fetch --bbox 76.85,43.20,76.98,43.30 --out data/almaty_centre.osm
  (needs the internet; then use the file offline with --osm)"""),
}


EXIT_CODES = N_("""exit codes: 0 done, 2 bad input or options (nothing computed or written), 3 a download
failed, 4 every unit of a national run failed, 5 the outputs could not be written (disk full,
file-size limit, permissions, another run writing into the same --out), 130 interrupted,
143 terminated. --out is replaced as a whole only when the complete new set of files is written
and checked: after any failure or interrupt it holds what it held before.""")


def add_solver_limits(group: argparse._ActionsContainer, *, what: str) -> None:
    """``--node-limit`` (the work limit: same inputs, same answer on any machine) and
    ``--time-limit-s`` (a wall-clock safety net, off by default)."""
    group.add_argument(
        "--node-limit",
        type=int,
        default=DEFAULT_NODE_LIMIT,
        help=gettext(
            "work limit of each exact MILP: branch-and-bound nodes, counted by the solver, so "
            "the answer does not depend on the machine (default {nodes}); a solve stopped here "
            "keeps its best plan and says it is not proven"
        ).format(nodes=_grouped(DEFAULT_NODE_LIMIT)),
    )
    group.add_argument(
        "--time-limit-s",
        type=float,
        default=DEFAULT_TIME_LIMIT_S,
        help=gettext(
            "wall-clock safety net for {what}, in seconds (default: off); when it stops a "
            "solve, every output says the result depended on it"
        ).format(what=what),
    )


def _g(value: float) -> str:
    """A default as ``%g`` writes it (``4.8``), in every language: it is what the user types
    (the command line takes decimal points)."""
    return f"{value:g}"


def _out_dir(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError(
            gettext("an empty folder name; give the output folder, e.g. {example}").format(
                example="--out out/almaty"
            )
        )
    return Path(text)


def _bbox(text: str) -> tuple[float, float, float, float]:
    four = gettext("{value}: give four numbers west,south,east,north, e.g. {example}").format(
        value=repr(text), example="76.85,43.20,76.98,43.30"
    )
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(four) from None
    if len(values) != 4:
        raise argparse.ArgumentTypeError(four)
    from planner.fetch import check_bbox

    box = (values[0], values[1], values[2], values[3])
    try:
        check_bbox(box)  # before any file is read or anything goes online
    except InputError as exc:
        raise argparse.ArgumentTypeError(
            gettext("{value}: {problems} (the order is west,south,east,north)").format(
                value=repr(text), problems="; ".join(exc.problems)
            )
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
            gettext(
                "{value}: 'none' (no barriers at all) cannot be combined with other kinds; give "
                "either --barriers none or the kinds alone, --barriers {others}"
            ).format(value=repr(text), others=others)
        )
    unknown = [k for k in kinds if k not in BARRIER_KINDS]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(
            gettext("{value}: unknown barrier kind {kinds}; choose from {known}, or 'none'").format(
                value=repr(text),
                kinds=", ".join(map(repr, unknown)) or gettext("(empty)"),
                known=",".join(BARRIER_KINDS),
            )
        )
    return kinds


def _add_walking_options(p: argparse.ArgumentParser) -> None:
    w = p.add_argument_group(gettext("walking"))
    lim = w.add_mutually_exclusive_group()
    lim.add_argument(
        "--walk-min",
        type=float,
        help=gettext("walking limit in minutes (default {minutes})").format(
            minutes=_g(DEFAULT_MAX_WALK_MIN)
        ),
    )
    lim.add_argument(
        "--walk-m",
        type=float,
        help=gettext("walking limit in metres (default {metres})").format(
            metres=_g(DEFAULT_MAX_WALK_M)
        ),
    )
    w.add_argument(
        "--speed-kmh",
        type=float,
        default=DEFAULT_SPEED_KMH,
        help=gettext("walking speed (default {speed} km/h)").format(speed=_g(DEFAULT_SPEED_KMH)),
    )
    w.add_argument(
        "--max-snap-m",
        type=float,
        default=DEFAULT_MAX_SNAP_M,
        help=gettext("furthest door-to-street distance accepted (default {metres} m)").format(
            metres=_g(DEFAULT_MAX_SNAP_M)
        ),
    )
    w.add_argument(
        "--barriers",
        type=_barriers,
        default=None,
        metavar="KINDS",
        help=gettext(
            "what a door's straight walk to the street may not cross, comma-separated from "
            "railway,water,motorway,tram,stream,wall (default railway,water,motorway; 'none' to "
            "snap across anything)"
        ),
    )


def _add_city_options(p: argparse.ArgumentParser, *, osm_required: bool = True) -> None:
    g = p.add_argument_group(gettext("study area and data"))
    g.add_argument(
        "--osm",
        type=Path,
        required=osm_required,
        help=gettext("OSM file (.osm.pbf, .osm, .osm.gz, .osm.bz2)"),
    )
    area = g.add_mutually_exclusive_group()
    area.add_argument(
        "--bbox", type=_bbox, help=gettext("restrict to west,south,east,north (degrees)")
    )
    area.add_argument(
        "--boundary",
        type=Path,
        help=gettext(
            "restrict to a polygon file (GeoJSON, GeoPackage): residents and new sites inside "
            "it, streets and stations of the walking buffer around it still serve"
        ),
    )
    g.add_argument(
        "--stations",
        type=Path,
        help=gettext(
            "existing stations file (CSV or Excel with lat/lon, GeoJSON, GeoPackage); default: amenity=police from OSM"
        ),
    )
    g.add_argument(
        "--stations-layer",
        help=gettext(
            "layer (GeoPackage) or sheet (Excel) of the stations file, when it has several"
        ),
    )
    g.add_argument("--name", help=gettext("name of the city or area for the reports"))
    pop = g.add_mutually_exclusive_group()
    pop.add_argument(
        "--population-raster",
        type=Path,
        help=gettext("population GeoTIFF (e.g. WorldPop 100 m), spread over residential buildings"),
    )
    pop.add_argument(
        "--population-points",
        type=Path,
        help=gettext("table of points with a population column, used instead of buildings"),
    )
    g.add_argument(
        "--total-population",
        type=float,
        help=gettext("scale estimates to this known total (e.g. the official population)"),
    )
    g.add_argument(
        "--floor-area-per-resident-m2",
        type=float,
        help=gettext("gross floor area per resident for footprint estimates (default 30)"),
    )
    g.add_argument(
        "--untyped-buildings-residential",
        action="store_true",
        help=gettext(
            "count building=yes outside residential land use as homes (for cities where land use is barely mapped; pair it with --total-population)"
        ),
    )
    g.add_argument(
        "--districts",
        type=Path,
        help=gettext(
            "district polygons with a name column, for the per-district table and map layer"
        ),
    )
    g.add_argument(
        "--district-population-column",
        metavar="COLUMN",
        help=gettext(
            "the districts file's column of official populations: scale each district's residents to it (factors above 3 or below 1/3 are flagged unreliable)"
        ),
    )
    _add_walking_options(p)
    r = p.add_argument_group(
        gettext(
            "existing stations: repairs, inspectors, planned stations (from the stations file's status and inspectors columns)"
        )
    )
    r.add_argument(
        "--residents-per-inspector",
        type=float,
        default=DEFAULT_RESIDENTS_PER_INSPECTOR,
        help=gettext(
            "staffing norm: residents per district inspector (default {residents}; no verified official norm exists, see docs/method.md)"
        ).format(residents=_g(DEFAULT_RESIDENTS_PER_INSPECTOR)),
    )
    r.add_argument(
        "--repair-batch",
        type=int,
        help=gettext(
            "stations that may be closed for repair at once: schedule the repairs in batches of this size"
        ),
    )
    r.add_argument(
        "--relocation-radius-m",
        type=float,
        default=1000.0,
        help=gettext(
            "how far on foot a station under repair may move in the relocation check (default 1000 m)"
        ),
    )
    _add_redistribution_options(r, within=gettext("the city"))
    _add_vehicle_options(p)
    o = p.add_argument_group(gettext("output"))
    o.add_argument(
        "--out",
        type=_out_dir,
        help=gettext(
            "output folder (default out/<command>); replaced as a whole by the new set of "
            "files; must be new, empty or hold only planner's files"
        ),
    )
    o.add_argument(
        "--tiles",
        help=gettext(
            "also offer an online background map, e.g. OpenStreetMap (off by default: the map works offline)"
        ),
    )
    o.add_argument("-q", "--quiet", action="store_true", help=gettext("print only the summary"))


def _add_redistribution_options(
    group: argparse._ActionsContainer, *, within: str, across: bool = False
) -> None:
    group.add_argument(
        "--redistribute-inspectors",
        action="store_true",
        help=gettext(
            "find the moves of inspectors from stations above the norm to stations below it "
            "that cover the most shortfall, with the fewest moves (exact; needs an inspectors "
            "column; see docs/method.md section 12)"
        ),
    )
    group.add_argument(
        "--max-move-km",
        type=float,
        help=(
            gettext(
                "with --redistribute-inspectors: move inspectors only between stations at most "
                "this far apart in a straight line, across units too (default: anywhere within "
                "{within})"
            )
            if across
            else gettext(
                "with --redistribute-inspectors: move inspectors only between stations at most "
                "this far apart in a straight line (default: anywhere within {within})"
            )
        ).format(within=within),
    )


def _add_vehicle_options(p: argparse.ArgumentParser) -> None:
    v = p.add_argument_group(gettext("service vehicles (see docs/method.md section 12.1)"))
    v.add_argument(
        "--vehicles",
        type=int,
        metavar="V",
        help=gettext(
            "place V service vehicles at working stations (at most one each) to serve the most residents within walking distance of any station or within --drive-min of a station with a vehicle (exact, with the gap)"
        ),
    )
    v.add_argument(
        "--drive-min",
        type=float,
        help=gettext(
            "drive-time limit of a station's vehicle in minutes (default {minutes}, at most {most}; free-flow speeds, one-way streets, turn restrictions ignored)"
        ).format(minutes=_g(DEFAULT_DRIVE_MIN), most=_g(MAX_DRIVE_MIN)),
    )


def _add_plan_options(p: argparse.ArgumentParser, *, required: bool) -> None:
    g = p.add_argument_group(gettext("siting"))
    goal = g.add_mutually_exclusive_group(required=required)
    goal.add_argument("--n-sites", type=int, help=gettext("number of new stations to place"))
    goal.add_argument(
        "--target-share",
        type=float,
        help=gettext("fewest new stations to cover this share of residents (0..1)"),
    )
    g.add_argument(
        "--spacing-m",
        type=float,
        default=100.0,
        help=gettext("spacing of generated candidate sites along streets (default 100 m)"),
    )
    g.add_argument(
        "--building-sites",
        action="store_true",
        help=gettext("also consider residential buildings as sites"),
    )
    g.add_argument(
        "--candidates",
        type=Path,
        help=gettext("extra candidate sites file (CSV/Excel/GeoJSON/GeoPackage)"),
    )
    g.add_argument(
        "--candidates-layer",
        help=gettext("layer or sheet of the candidates file, when it has several"),
    )
    g.add_argument(
        "--method",
        choices=("exact", "greedy"),
        default="exact",
        help=gettext("exact (HiGHS, with optimality gap) or greedy"),
    )
    add_solver_limits(g, what=gettext("each exact solve"))
    g.add_argument(
        "--capacity-inspectors",
        type=float,
        help=gettext(
            'also plan with capacities: every station (existing and new) serves at most this many inspectors x --residents-per-inspector residents; maximises residents within walking distance and within capacity, with a proven bound (called optimal only when proved, else "best found, at most X %% short"; see docs/method.md section 12)'
        ),
    )
    g.add_argument(
        "--prefer-shorter-walks",
        action="store_true",
        help=gettext(
            "among equally covering plans, take the one with the shortest total walk (with --n-sites)"
        ),
    )


def _add_try_sites_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(gettext("map.html: the Try sites panel"))
    g.add_argument(
        "--try-sites",
        type=int,
        default=DEFAULT_TRY_SITES,
        metavar="N",
        help=gettext(
            "clickable candidate sites in the map's what-if panel besides the plan's sites and the proposals: the best N by residents covered alone (default {n}; each adds ~0.3 kB to map.html)"
        ).format(n=DEFAULT_TRY_SITES),
    )
    g.add_argument(
        "--no-try-sites",
        action="store_true",
        help=gettext("leave the Try sites panel out of map.html"),
    )


def _add_national_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(gettext("country and units"))
    g.add_argument("--osm", type=Path, help=gettext("the country's OSM file (read once)"))
    units = g.add_mutually_exclusive_group()
    units.add_argument(
        "--units",
        type=Path,
        help=gettext(
            "unit polygons (GeoJSON/GeoPackage/Shapefile) with a name column; optional population, min_new, max_new, quota"
        ),
    )
    units.add_argument(
        "--admin-level",
        type=int,
        help=gettext("use the OSM file's own administrative boundaries of this level as units"),
    )
    g.add_argument(
        "--manifest",
        type=Path,
        help=gettext(
            "CSV with one OSM file per unit: name,osm[,stations,population,min_new,max_new,quota]"
        ),
    )
    g.add_argument(
        "--name-column", help=gettext("the units file's name column (default: found by name)")
    )
    g.add_argument(
        "--stations",
        type=Path,
        help=gettext(
            "national stations file (CSV/Excel/GeoJSON/GeoPackage), each row assigned to its unit; default: amenity=police from OSM"
        ),
    )
    g.add_argument(
        "--stations-layer",
        help=gettext(
            "layer (GeoPackage) or sheet (Excel) of the stations file, when it has several"
        ),
    )
    g.add_argument(
        "--allow-overlap",
        action="store_true",
        help=gettext(
            "accept overlapping units (a resident in an overlap counts in the unit listed first)"
        ),
    )
    g.add_argument(
        "--floor-area-per-resident-m2",
        type=float,
        help=gettext("gross floor area per resident for footprint estimates (default 30)"),
    )
    g.add_argument(
        "--untyped-buildings-residential",
        action="store_true",
        help=gettext("count building=yes outside residential land use as homes"),
    )
    a = p.add_argument_group(gettext("allocation"))
    a.add_argument(
        "--new-stations",
        type=int,
        default=DEFAULT_NEW_STATIONS,
        help=gettext(
            "new stations to allocate nationwide (default {n}; with --target-share: the most to use)"
        ).format(n=DEFAULT_NEW_STATIONS),
    )
    a.add_argument(
        "--target-share",
        type=float,
        help=gettext("instead: the fewest new stations bringing the nation to this share (0..1)"),
    )
    a.add_argument(
        "--spacing-m",
        type=float,
        default=100.0,
        help=gettext("candidate spacing along streets (default 100 m)"),
    )
    a.add_argument("--method", choices=("exact", "greedy"), default="exact")
    add_solver_limits(a, what=gettext("each unit's curve (all k together)"))
    a.add_argument(
        "--residents-per-inspector",
        type=float,
        default=DEFAULT_RESIDENTS_PER_INSPECTOR,
        help=gettext(
            "staffing norm for the inspector totals (default {residents}; not an official figure)"
        ).format(residents=_g(DEFAULT_RESIDENTS_PER_INSPECTOR)),
    )
    _add_redistribution_options(a, within=gettext("each unit"), across=True)
    _add_walking_options(p)
    _add_vehicle_options(p)
    d = p.add_argument_group(gettext("running"))
    d.add_argument(
        "--workers", type=int, help=gettext("local Dask worker processes (default: one per core)")
    )
    d.add_argument(
        "--scheduler",
        help=gettext("address of an existing Dask scheduler, e.g. tcp://10.0.0.5:8786"),
    )
    d.add_argument(
        "--spill-dir",
        type=Path,
        help=gettext(
            "folder for the units' cuts of the OSM file, read there by the workers (default: "
            "the temporary folder with local workers; with --scheduler, a folder every worker "
            "can read, else the cuts travel inside the tasks)"
        ),
    )
    d.add_argument(
        "--out",
        type=_out_dir,
        default=Path("out/national"),
        help=gettext("output folder (default out/national)"),
    )
    d.add_argument(
        "--unit-outputs",
        choices=UNIT_OUTPUTS,
        default=DEFAULT_UNIT_OUTPUTS,
        help=gettext(
            "which units get their own folder of files (plan.gpkg, summary, map.html): all, "
            "allocated (those receiving new stations or vehicles; default) or none; every "
            "unit's numbers are in the national files either way"
        ),
    )
    d.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help=gettext("no progress bar; print only the summary"),
    )


def build_parser() -> argparse.ArgumentParser:
    parser = PlannerParser(
        prog="planner",
        description=gettext(
            "Walking-distance coverage planner for district police stations, from "
            "OpenStreetMap street networks. Everything runs offline except 'fetch'."
        ),
        epilog=gettext(EXIT_CODES),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"planner {__version__}",
        help=gettext("show program's version number and exit"),
    )
    add_lang_option(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    fmt = argparse.RawDescriptionHelpFormatter

    demo = sub.add_parser(
        "demo",
        help=gettext("the whole job on the bundled Almaty data"),
        epilog=gettext(EXAMPLES["demo"]) + "\n\n" + gettext(EXIT_CODES),
        formatter_class=fmt,
    )
    demo.add_argument(
        "--n-sites", type=int, default=10, help=gettext("new stations to place (default 10)")
    )
    demo.add_argument(
        "--out",
        type=_out_dir,
        default=Path("out/demo"),
        help=gettext("output folder (default out/demo)"),
    )
    add_solver_limits(demo, what=gettext("each exact solve"))
    demo.add_argument(
        "--districts",
        type=Path,
        default=BUNDLED_DISTRICTS,
        help=gettext(
            "district polygons (default: the bundled Almaty districts of 2024, data/almaty_districts_2024.geojson)"
        ),
    )
    demo.add_argument(
        "--district-population-column",
        metavar="COLUMN",
        help=gettext(
            "scale each district's residents to this column of official populations (the bundled file's is 'population'; off by default)"
        ),
    )
    demo.add_argument("-q", "--quiet", action="store_true", help=gettext("print only the summary"))
    _add_try_sites_options(demo)
    add_lang_option(demo)

    coverage = sub.add_parser(
        "coverage",
        help=gettext("who lives within a walk of a station"),
        epilog=gettext(EXAMPLES["coverage"]) + "\n\n" + gettext(EXIT_CODES),
        formatter_class=fmt,
    )
    _add_city_options(coverage)
    add_lang_option(coverage)
    plan = sub.add_parser(
        "plan",
        help=gettext("choose sites for new stations"),
        epilog=gettext(EXAMPLES["plan"]) + "\n\n" + gettext(EXIT_CODES),
        formatter_class=fmt,
    )
    _add_city_options(plan)
    _add_plan_options(plan, required=True)
    _add_try_sites_options(plan)
    add_lang_option(plan)
    evaluate = sub.add_parser(
        "evaluate",
        help=gettext("score a list of proposed sites"),
        epilog=gettext(EXAMPLES["evaluate"]) + "\n\n" + gettext(EXIT_CODES),
        formatter_class=fmt,
    )
    _add_city_options(evaluate)
    evaluate.add_argument(
        "--proposals",
        type=Path,
        required=True,
        help=gettext("proposed sites file (CSV or Excel with name, lat, lon; GeoJSON; GeoPackage)"),
    )
    evaluate.add_argument(
        "--proposals-layer",
        help=gettext("layer or sheet of the proposals file, when it has several"),
    )
    evaluate.add_argument(
        "--spacing-m",
        type=float,
        default=100.0,
        help=gettext("spacing of the generated sites the list is compared with"),
    )
    evaluate.add_argument("--method", choices=("exact", "greedy"), default="exact")
    add_solver_limits(evaluate, what=gettext("each exact solve"))
    _add_try_sites_options(evaluate)
    add_lang_option(evaluate)

    national = sub.add_parser(
        "national",
        help=gettext("allocate new stations across a country's cities (on Dask)"),
        epilog=gettext(EXAMPLES["national"]),
        formatter_class=fmt,
    )
    _add_national_options(national)
    add_lang_option(national)

    fetch = sub.add_parser(
        "fetch",
        help=gettext("download an area from OpenStreetMap (online)"),
        epilog=gettext(EXAMPLES["fetch"]),
        formatter_class=fmt,
    )
    where = fetch.add_mutually_exclusive_group(required=True)
    where.add_argument("--place", help=gettext('place name, e.g. "Almaty, Kazakhstan"'))
    where.add_argument("--bbox", type=_bbox, help=gettext("west,south,east,north in degrees"))
    fetch.add_argument("--out", type=Path, required=True, help=gettext("the .osm file to write"))
    add_lang_option(fetch)
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
    """The options of a command line (exits with argparse's message on a bad one), in the
    language in use (set it first: :func:`language_of`)."""
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
    if getattr(args, "lang", None) is not None:
        argv += ["--lang", args.lang]
    return argv
