"""The national plan: every unit (city, council) through the city pipeline on Dask, then the
best allocation of the new stations across them.

The layer sits on top of the city pipeline and uses only its public functions:

1. **One read.** The country file is read once (:func:`planner.osm.scan_osm`), in one
   streaming pass; each unit gets its own cut (:meth:`planner.osm.OsmScan.cut`): the streets,
   buildings and police inside its polygon plus a walking buffer (see
   :mod:`planner.national.units`), projected to the unit's own UTM zone. A national stations
   file is read once and each row handed to every unit whose buffer holds it (it may serve
   residents of all of them). With a manifest, each unit has its own file. For counting
   inspectors a station belongs to exactly one unit
   (:func:`planner.national.run._count_stations_once`): the one whose area contains it, the
   first in the units' order if several do, the nearest if none does (a station in a buffer
   only).
2. **One task per unit** (:func:`unit_curve`): :func:`planner.pipeline.city_from_osm`,
   :func:`~planner.pipeline.assess_coverage` and :func:`~planner.pipeline.plan_curve` (the best
   plan for every ``k = 0 .. K`` with its proven bound). It is a pure function of its inputs;
   the heavy result stays on the worker and only the curve (a few numbers per ``k``) travels
   back. A unit that fails (no streets, no residents, bad data) returns its reason and never
   stops the others.
3. **The allocation** (:mod:`planner.allocation`, numeric, knows nothing of Dask): dynamic
   programming over the curves, exact for any curve shape; the same DP over the bound curves
   gives the national upper bound and so the national optimality gap.
4. **Writing.** Each unit's outputs (plan.gpkg, summary, map.html with its allocated ``k``)
   are written by the worker holding it, into ``units/<folder>/``; the client writes
   ``national.gpkg``, ``national.json``, ``national.md`` and ``national.html``. Everything goes
   to a staging folder beside ``--out`` that replaces it only when complete and checked
   (:func:`planner.output_set.output_set`, the same transaction as a city run's; each unit's
   folder is itself written as one set). All files carry the run's id.

The result does not depend on the number of workers or the order in which tasks finish: each
unit's result is a function of its inputs alone (while its solver time limit is not reached:
then the curve's gap says so), and the allocation sees the units in input order.

With ``scheduler=`` (an existing cluster), the workers must be able to import ``planner`` and
write to ``out_dir``: use a path on a file system shared with the workers.

Package layout
--------------
- :mod:`planner.national.units`: the units (polygons, OSM boundaries or a manifest), their own
  areas and walking buffers, the stations of each unit;
- :mod:`planner.national.run`: :func:`plan_nation` and the unit task :func:`unit_curve`, on Dask;
- :mod:`planner.national.results`: :class:`NationalOptions`, :class:`NationalResult` and the
  per-unit outcomes (below the run and the report, which both read them);
- :mod:`planner.national.report`: ``national.gpkg``, ``.json``, ``.md`` and ``.html``.

The allocation itself is :mod:`planner.allocation` (numeric, no Dask). The names below are
re-exported here, so ``from planner.national import plan_nation`` works as before.
"""

from planner.national.report import national_dict, national_markdown, write_national
from planner.national.results import (
    DEFAULT_NEW_STATIONS,
    NationalOptions,
    NationalResult,
    UnitOutcome,
    UnitWritten,
    allocation_table,
)
from planner.national.run import plan_nation, unit_curve

__all__ = [
    "DEFAULT_NEW_STATIONS",
    "NationalOptions",
    "NationalResult",
    "UnitOutcome",
    "UnitWritten",
    "allocation_table",
    "national_dict",
    "national_markdown",
    "plan_nation",
    "unit_curve",
    "write_national",
]
