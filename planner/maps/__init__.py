"""Interactive coverage map that works without internet: one self-contained HTML file.

:func:`coverage_map` draws the street network (as the base map, instead of online tiles),
existing stations (coloured by status, with the station review's numbers in their popups),
service areas, uncovered residential buildings, proposed sites in rollout order and scored
akimat proposals, with a layer switcher and a legend of the headline numbers. Scenario layers
(residents who gain or lose walking access if stations open or close) and the relocation
sites of stations under repair are offered switched off.
:func:`national_map` draws the overview of a national plan (``national.html``): every unit (city,
local council) shaded by the share of residents covered with the plan, labelled with the new
stations it gets, with a popup linking to the unit's own map. :func:`save_map` writes either
atomically.

Offline by construction
-----------------------
folium's templates load Leaflet, jQuery, Bootstrap, Font-Awesome and awesome-markers from CDNs.
Planners often work on closed government networks, so here:

- the map's ``default_js``/``default_css`` are emptied *on the instance* (folium's class lists,
  shared by every map in the process, are never touched) and Leaflet 1.9.4, vendored in
  ``planner/static`` (BSD-2-Clause), is inlined into the page header, with the images its CSS
  refers to inlined as ``data:`` URIs;
- only core Leaflet is used: the data layers are :class:`_GeoJsonLayer`, a small folium ``Layer``
  whose template calls ``L.geoJSON`` with ``L.circleMarker``/``L.divIcon`` markers and plain
  HTML popups and tooltips (folium's ``Popup`` needs jQuery, its ``Icon`` awesome-markers);
- :func:`save_map` refuses to write a page that still links an external script or stylesheet.

The result is a single file that also works when copied to another computer. Optional online
tiles (``tiles=``) are the only thing that can reach the internet, and only when switched on.

File size
---------
Coordinates are rounded to 6 decimals (~0.1 m). Streets are simplified by ~1 m and drawn as one
MultiLineString without attributes. Service areas are dissolved per walking limit. Uncovered
buildings are drawn as footprints up to ``max_building_polygons`` (default 20 000, a city's
worth, ~3 MB) and as points (one small circle each) above that, which keeps a 100 000-building
metropolis under ~10 MB and responsive in a browser.

Expected columns
----------------
Every layer is a GeoDataFrame in any CRS (reprojected to EPSG:4326 for the map; inputs are never
modified). Columns other than those below are ignored; optional ones may be absent.

- ``streets``: geometry only (LineString/MultiLineString).
- ``stations`` (as from :mod:`planner.stations`): ``name``, ``usable`` (bool, default True),
  ``problem`` (why unusable), ``residents_within`` (from ``coverage_by_station``: residents
  within the limit for whom it is the nearest station), all optional. Polygons are drawn at an
  inner point. The index identifies the station in ``buildings["nearest_station"]``.
  With the columns of :func:`planner.station_review.review_stations` (all optional):
  ``status`` (``open``, ``planned``, ``repair``, ``closed``) colours the markers; ``working``
  (default: usable and open or under repair), ``residents_served``, ``residents_only_here``,
  ``repair_rank``, ``inspectors_needed``, ``inspectors_now``, ``inspector_gap`` go in the
  popup, and for stations under repair ``relocation_site_lon``/``_lat`` (EPSG:4326) and
  ``relocation_gain`` the relocation check; sites with a positive gain also make the layer
  "Relocation sites" (off at start), a dashed line from each station to its site.
- ``inspector_moves`` (the layer of :mod:`planner.inspector_moves`): lines from the giving to
  the receiving station with ``count`` (required), ``from_station_id``, ``from_name``,
  ``to_station_id``, ``to_name``, ``distance_m``; drawn as arrows as wide as the inspectors
  moved, with a popup each (the national map takes the same layer).
- ``service_areas``: ``limit_m`` (required), ``limit_min`` (optional); one layer per limit.
- ``buildings``: ``population`` (required), ``walk_m`` (optional, NaN/inf = not reachable),
  ``nearest_station`` (optional), ``covered`` (optional bool: rows with True are left out, so
  the full building table may be passed).
- ``proposed_sites`` (a ``RolloutResult`` as rows): ``rank`` (required, 1 = built first),
  ``name``, ``marginal_population`` (newly covered by this site given the earlier ones),
  ``cumulative_population`` (newly covered by sites 1..rank), ``cumulative_share`` (0..1 of all
  residents, existing coverage included) (optional).
- ``proposals`` (a ``ProposalEvaluation`` as rows): ``name``, ``alone_population``,
  ``marginal_population`` (leave-one-out gain), ``greedy_rank``, ``flags`` (text or a
  list of texts) (all optional).
- ``vehicle_areas`` (a ``VehiclePlan.drive_areas``, :mod:`planner.vehicles`): one row per service
  vehicle, its drive-time area as geometry, ``drive_min`` (required), ``rank``, ``station_id``,
  ``name``, ``residents_gained``, ``area_km2``, ``base_lon``/``base_lat`` (EPSG:4326, the station
  it is based at; drawn ringed) (optional); on the national map also ``unit``.
- ``summary``: the summary dict of :mod:`planner.outputs`.
- ``scenario_layers``: layer name -> buildings frame with ``population`` (required),
  ``walk_m`` and ``nearest_station`` (optional, today's), e.g. the residents who gain walking
  access if the planned stations open. Each is drawn in its own colour (``SCENARIO_COLORS``, in
  order), off at start, footprints or points as the uncovered buildings.

For :func:`national_map`, ``units`` holds one (multi)polygon per unit with ``name`` and
``status`` (``"ok"`` or the failure reason) and optionally ``residents``, ``covered_before``,
``covered_after``, ``share_before``, ``share_after``, ``new_stations``, ``gap`` and ``map_link``.
Unit outlines are simplified by 10 m (more if all outlines together would exceed 100 000
vertices), which keeps a 100-unit map at a few MB at most.

Package layout
--------------
- :mod:`planner.maps._leaflet`: the vendored Leaflet, the one GeoJSON layer class, the shared
  CSS/JS, the input checks of every layer and :func:`save_map`;
- :mod:`planner.maps.city`: :func:`coverage_map` and its layers;
- :mod:`planner.maps.national`: :func:`national_map`.

Every public name is re-exported here, so ``from planner.maps import coverage_map`` (and the
layer names and colours) work as before the package existed.
"""

from planner.maps._leaflet import (
    COORD_DECIMALS,
    LEAFLET_PREFIX,
    LEAFLET_VERSION,
    OSM_ATTRIBUTION,
    PROPOSAL_COLOR,
    SITE_COLOR,
    save_map,
)
from planner.maps.city import (
    CLOSED_COLOR,
    DISTRICT_COLORS,
    FIT_TRIM_ABOVE,
    LAYER_BUILDINGS,
    LAYER_DISTRICTS,
    LAYER_INSPECTOR_MOVES,
    LAYER_PROPOSALS,
    LAYER_RELOCATIONS,
    LAYER_SERVICE,
    LAYER_SITES,
    LAYER_STATIONS,
    LAYER_STREETS,
    LAYER_VEHICLES,
    MOVE_COLOR,
    PLANNED_COLOR,
    POPULATION_COLORS,
    REPAIR_COLOR,
    SCENARIO_COLORS,
    SERVICE_COLORS,
    STATION_COLOR,
    STATION_REVIEW_COLUMNS,
    STATUS_STYLES,
    STREET_SIMPLIFY_DEG,
    UNUSABLE_COLOR,
    VEHICLE_BASE_COLOR,
    VEHICLE_COLOR,
    coverage_map,
)
from planner.maps.national import (
    FAILED_COLOR,
    FAILED_OUTLINE,
    LAYER_PLAIN,
    LAYER_UNIT_LABELS,
    LAYER_UNITS,
    MAX_UNIT_VERTICES,
    NO_SHARE_COLOR,
    SHARE_COLORS,
    UNIT_SIMPLIFY_M,
    national_map,
)

__all__ = [
    "CLOSED_COLOR",
    "COORD_DECIMALS",
    "DISTRICT_COLORS",
    "FAILED_COLOR",
    "FAILED_OUTLINE",
    "FIT_TRIM_ABOVE",
    "LAYER_BUILDINGS",
    "LAYER_DISTRICTS",
    "LAYER_INSPECTOR_MOVES",
    "LAYER_PLAIN",
    "LAYER_PROPOSALS",
    "LAYER_RELOCATIONS",
    "LAYER_SERVICE",
    "LAYER_SITES",
    "LAYER_STATIONS",
    "LAYER_STREETS",
    "LAYER_UNITS",
    "LAYER_UNIT_LABELS",
    "LAYER_VEHICLES",
    "LEAFLET_PREFIX",
    "LEAFLET_VERSION",
    "MAX_UNIT_VERTICES",
    "MOVE_COLOR",
    "NO_SHARE_COLOR",
    "OSM_ATTRIBUTION",
    "PLANNED_COLOR",
    "POPULATION_COLORS",
    "PROPOSAL_COLOR",
    "REPAIR_COLOR",
    "SCENARIO_COLORS",
    "SERVICE_COLORS",
    "SHARE_COLORS",
    "SITE_COLOR",
    "STATION_COLOR",
    "STATION_REVIEW_COLUMNS",
    "STATUS_STYLES",
    "STREET_SIMPLIFY_DEG",
    "UNIT_SIMPLIFY_M",
    "UNUSABLE_COLOR",
    "VEHICLE_BASE_COLOR",
    "VEHICLE_COLOR",
    "coverage_map",
    "national_map",
    "save_map",
]
