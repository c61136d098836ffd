"""The defaults of ``planner``, each written once (issue 19).

A plain module of numbers, with no imports: the command line reads its defaults and help text
from here without loading numpy or geopandas, and the library's settings, the station review, the
national run and the map's "Try sites" panel take theirs from here too.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_DRIVE_MIN",
    "DEFAULT_MAX_KERB_M",
    "DEFAULT_MAX_SNAP_M",
    "DEFAULT_MAX_WALK_M",
    "DEFAULT_MAX_WALK_MIN",
    "DEFAULT_NEW_STATIONS",
    "DEFAULT_NODE_LIMIT",
    "DEFAULT_RESIDENTS_PER_INSPECTOR",
    "DEFAULT_SPEED_KMH",
    "DEFAULT_TIME_LIMIT_S",
    "DEFAULT_TRY_SITES",
    "DEFAULT_UNIT_OUTPUTS",
    "MAX_DRIVE_MIN",
    "UNIT_OUTPUTS",
]

#: Default walking speed. 4.8 km/h (80 m/min) is the usual planning figure for an adult
#: pedestrian; measured speeds of older people are nearer 3.6 km/h, so run a sensitivity check.
DEFAULT_SPEED_KMH = 4.8
#: Default walking limit: "police within walking distance" read as a 10-minute walk.
DEFAULT_MAX_WALK_MIN = 10.0
#: The same limit in metres at the default speed (800 m).
DEFAULT_MAX_WALK_M = DEFAULT_MAX_WALK_MIN * DEFAULT_SPEED_KMH * 1000.0 / 60.0
#: Furthest straight line from a door, station or site to the nearest walkable street accepted.
DEFAULT_MAX_SNAP_M = 250.0
#: Staffing norm: residents per district inspector. No verified official norm exists (see
#: docs/method.md); the figure is a planning assumption that every report states.
DEFAULT_RESIDENTS_PER_INSPECTOR = 3000.0
#: Clickable candidate sites of map.html's "Try sites" panel (besides the plan's own sites).
DEFAULT_TRY_SITES = 3000
#: The programme's number of new precinct points nationwide (``planner national``'s budget).
DEFAULT_NEW_STATIONS = 279
#: Work limit of every exact solve: branch-and-bound nodes HiGHS may explore in one MILP
#: (scipy's ``node_limit``, HiGHS' ``mip_max_nodes``). The solver counts them itself, so the
#: answer is the same on a busy or a fast machine. The bundled instances prove optimality with
#: at most a few hundred nodes per solve (measured in BENCHMARKS.md); a solve that stops here
#: keeps its best plan and its proven gap ("node limit").
DEFAULT_NODE_LIMIT = 20_000
#: Wall-clock safety net per command's exact solves, in seconds; ``inf`` (the default) is off.
#: When a finite limit actually stops a solve, the result depended on the machine's speed and
#: load, and every output says so (``time_limit_hit``).
DEFAULT_TIME_LIMIT_S = float("inf")
#: Default drive-time limit of a station's service vehicle, minutes (``--drive-min``).
DEFAULT_DRIVE_MIN = 10.0
#: The longest drive-time limit accepted, minutes: beyond it a "service area" is a region.
MAX_DRIVE_MIN = 120.0
#: A door (or station) further than this straight line from the nearest node of the car
#: network is not reached by car: the inspector walks at most this far from the kerb.
DEFAULT_MAX_KERB_M = 250.0

#: Which units of a national run get their own folder of city files (plan.gpkg, summary.json,
#: summary.md, map.html): ``all``; ``allocated`` (the units that receive new stations or
#: vehicles: the ones an akimat acts on); ``none``. Every unit's numbers are in the national
#: files either way. Writing is about half of a national run's time on Malta (issue 22).
UNIT_OUTPUTS = ("all", "allocated", "none")
DEFAULT_UNIT_OUTPUTS = "allocated"
