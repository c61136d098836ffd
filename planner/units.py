"""National units: moved to :mod:`planner.national.units` (issue 19); this path keeps working.

Every public name of :mod:`planner.national.units` is importable from here too.
"""

from planner.national.units import (
    NAME_COLUMNS,
    SLIVER_SHARE,
    STREET_MARGIN_M,
    Unit,
    assign_stations,
    buffer_m_for,
    buffered_area,
    prepare_units,
    read_manifest,
    read_units,
    residents_outside_units,
    units_from_osm,
)

__all__ = [
    "NAME_COLUMNS",
    "SLIVER_SHARE",
    "STREET_MARGIN_M",
    "Unit",
    "assign_stations",
    "buffer_m_for",
    "buffered_area",
    "prepare_units",
    "read_manifest",
    "read_units",
    "residents_outside_units",
    "units_from_osm",
]
