"""Coordinate reference system helpers: pick a metric CRS once, refuse degrees later."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pyproj

from planner.errors import InputError
from planner.i18n import N_, gettext

if TYPE_CHECKING:
    import geopandas as gpd

    from planner.network import WalkNetwork

WGS84 = pyproj.CRS.from_epsg(4326)

#: A "degree" beyond this (in absolute value) is surely a metre of a projected CRS.
METRES_NOT_DEGREES = 1000.0
#: What the readers say about such numbers (stations, sites, polygons); shown translated.
METRES_TEXT = N_("these look like metres, not degrees")

#: The inputs the readers and checks name in their messages (their ``what``), marked for
#: translation: :func:`noun` shows them in the user's language (any other text as it is).
INPUT_NOUNS = (
    N_("stations"),
    N_("candidate sites"),
    N_("proposals"),
    N_("population points"),
    N_("districts"),
    N_("boundary"),
    N_("units"),
    N_("manifest"),
    N_("the features"),
    N_("the police layer"),
    N_("the walk network's CRS"),
    N_("the buildings"),
    N_("the stations"),
    N_("the residential areas"),
    N_("the residential buildings"),
    N_("the network"),
)


def noun(what: str) -> str:
    """``what`` (an input named in a message, e.g. ``"stations"``) in the language in use."""
    return gettext(what)


def looks_like_metres(value: float) -> bool:
    """Whether a coordinate read as degrees is rather a projected coordinate in metres."""
    return math.isfinite(value) and abs(value) > METRES_NOT_DEGREES


def require_degrees(
    crs: object, bounds: tuple[float, float, float, float], *, what: str, name: str
) -> None:
    """Refuse polygons whose coordinates cannot be the longitudes/latitudes their CRS says.

    ``bounds`` are ``(minx, miny, maxx, maxy)`` of the polygons as read, in ``crs``. A file
    without a CRS, and a GeoJSON without a ``crs`` member (read as EPSG:4326), is taken to be
    in degrees; numbers in metres (EPSG:3857, UTM) there would put every polygon outside the
    Earth and every resident "(outside)". Only a geographic (or missing) CRS is checked.
    """
    if crs is not None and not pyproj.CRS.from_user_input(crs).is_geographic:
        return
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    if not all(math.isfinite(v) for v in bounds):
        return
    if minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90:
        return
    metres = any(looks_like_metres(v) for v in (minx, miny, maxx, maxy))
    why = (
        gettext("the file records no CRS")
        if crs is None
        else gettext(
            "the file's CRS is {crs}, which is also what a GeoJSON without 'crs' is read as"
        ).format(crs=pyproj.CRS.from_user_input(crs).name)
    )
    values = {
        "what": noun(what),
        "name": name,
        "minx": f"{minx:.10g}",
        "maxx": f"{maxx:.10g}",
        "miny": f"{miny:.10g}",
        "maxy": f"{maxy:.10g}",
        "why": why,
    }
    message = (
        gettext(
            "{what} file {name}: coordinates x {minx}..{maxx}, y {miny}..{maxy} are read as "
            "degrees ({why}) but lie outside longitude -180..180, latitude -90..90: {metres} "
            "(a projected CRS such as EPSG:3857 or UTM)"
        ).format(metres=gettext(METRES_TEXT), **values)
        if metres
        else gettext(
            "{what} file {name}: coordinates x {minx}..{maxx}, y {miny}..{maxy} are read as "
            "degrees ({why}) but lie outside longitude -180..180, latitude -90..90"
        ).format(**values)
    )
    raise InputError(
        message,
        hint=gettext(
            "Save the file with its CRS recorded, or reprojected to EPSG:4326 (QGIS: Export > "
            "Save Features As..., CRS EPSG:4326 - WGS 84), and give that file."
        ),
    )


def utm_crs_for(lon: float, lat: float) -> pyproj.CRS:
    """The WGS 84 / UTM zone CRS containing the point (``lon``, ``lat``) in degrees."""
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    epsg = (32600 if lat >= 0 else 32700) + zone
    return pyproj.CRS.from_epsg(epsg)


def require_metric_crs(crs: object, *, what: str, function: str) -> pyproj.CRS:
    """Return ``crs`` as a :class:`pyproj.CRS` if it is projected in metres, else raise.

    Walking distances in degrees are meaningless; geopandas only warns about that, which is too
    weak here, so every function that measures distance calls this first.
    """
    if crs is None:
        raise InputError(
            gettext("{function}: {what} has no coordinate reference system").format(
                function=function, what=noun(what)
            ),
            hint=gettext(
                "Set one with gdf.set_crs(...) (EPSG:4326 for longitude/latitude) and project "
                "it with gdf.to_crs(network.crs)."
            ),
        )
    crs = pyproj.CRS.from_user_input(crs)
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if not crs.is_projected or unit not in {"metre", "meter"}:
        raise InputError(
            gettext(
                "{function}: {what} is in {crs}, whose units are {unit}, not metres; distances "
                "would be wrong"
            ).format(
                function=function,
                what=noun(what),
                crs=repr(crs.name),
                unit=unit or gettext("unknown"),
            ),
            hint=gettext(
                "Project it first: gdf.to_crs(network.crs), the metric (UTM) CRS the walk "
                "network was built in."
            ),
        )
    return crs


def require_same_crs(network: WalkNetwork, gdf: gpd.GeoDataFrame, *, function: str) -> None:
    """Refuse features whose CRS is not the walk network's (distances would be wrong)."""
    if not network.crs.equals(gdf.crs):
        raise InputError(
            gettext(
                "{function}: the features are in {crs} but the walk network is in "
                "{network_crs}; distances would be wrong"
            ).format(function=function, crs=repr(gdf.crs.name), network_crs=repr(network.crs.name)),
            hint=gettext("Project them first: gdf.to_crs(network.crs)."),
        )
