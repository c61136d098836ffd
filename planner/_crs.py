"""Coordinate reference system helpers: pick a metric CRS once, refuse degrees later."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyproj

from planner.errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd

    from planner.network import WalkNetwork

WGS84 = pyproj.CRS.from_epsg(4326)


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
            f"{function}: {what} has no coordinate reference system",
            hint="Set one with gdf.set_crs(...) (EPSG:4326 for longitude/latitude) and project "
            "it with gdf.to_crs(network.crs).",
        )
    crs = pyproj.CRS.from_user_input(crs)
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if not crs.is_projected or unit not in {"metre", "meter"}:
        raise InputError(
            f"{function}: {what} is in {crs.name!r}, whose units are {unit or 'unknown'}, "
            "not metres; distances would be wrong",
            hint="Project it first: gdf.to_crs(network.crs), the metric (UTM) CRS the walk "
            "network was built in.",
        )
    return crs


def require_same_crs(network: WalkNetwork, gdf: gpd.GeoDataFrame, *, function: str) -> None:
    """Refuse features whose CRS is not the walk network's (distances would be wrong)."""
    if not network.crs.equals(gdf.crs):
        raise InputError(
            f"{function}: the features are in {gdf.crs.name!r} but the walk network is in "
            f"{network.crs.name!r}; distances would be wrong",
            hint="Project them first: gdf.to_crs(network.crs).",
        )
